//! Physical constants of the inference model, fitted on the published throughput rows
//! (`validation/published/inference.csv`: TensorRT-LLM v1.0 max-throughput runs and MLPerf
//! v4.1 Offline) with `validation/inference.csv` (TensorRT-LLM v0.17 on H100) kept within its
//! test tolerances and batch-1 decode within 1.5x of weights ÷ bandwidth on every chip
//! (`cargo run --release -p suanli-core --example fit_published_inference`), and applied
//! unchanged to every catalogued chip.

/// The constants. [`InferCalibration::default`] holds the fitted values (coordinate descent,
/// minimising median + p90 |error| on the published rows, then checked on every inference row
/// with the Server latencies; with the [`Stack`] presets, the host's work overlapped with the
/// GPU's ([`InferCalibration::host_overlap`]) and the RTX PRO 6000's matmul rates in the
/// catalog and NVFP4's block scales counted with the weights, and an MoE layer's traffic outside
/// its GEMMs at the SMs' rate ([`InferCalibration::moe_permute_sm_bytes_per_flop`]), the
/// TensorRT-LLM v1.0 rows sit at median 8.7 %, p90 23.8 % (9.6 / 25.3 % with all of that
/// traffic at the DRAM rate, 11.2 / 31.4 % before the overlap scheduler), the MLPerf
/// v4.1 Offline rows at median 5.2 %, p90 15.8 %; the older set, TensorRT-LLM v0.17's C++
/// executor, at median 6.2 %, worst 14.1 %). The chip-specific rates come from the catalog (peak,
/// measured matmul efficiency or the chip class's, HBM and link bandwidth), so the same
/// constants serve every chip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferCalibration {
    /// Fraction of peak HBM bandwidth reached streaming weights (decode GEMV kernels reach
    /// 75–90 %); at least 0.75 so batch-1 decode stays within 1.5x of weights ÷ bandwidth.
    pub hbm_efficiency: f64,
    /// Fraction of peak HBM bandwidth the paged-attention decode kernels reach reading the KV
    /// cache (blocks of 32-64 tokens scattered over the pool, per sequence and head group);
    /// fitted: 0.75 (0.6 before the attention groups' prefill budget was fixed: the MoE rows'
    /// too-fast prefill had held it down while Llama 3.1 8B, KV-bound, ran 13-27 % slow).
    pub kv_hbm_efficiency: f64,
    /// Sharpness `p` of the roofline: a GEMM group whose compute and memory times are `t_c`
    /// and `t_m` takes `(t_c^p + t_m^p)^(1/p)`, the max of the two when `p` is large, their
    /// sum at `p = 1`; near the ridge point loads and tensor-core work do not fully overlap
    /// (at the ridge, `2^(1/p)` times either). Fitted: 2.25 (2 and below fit the throughput
    /// rows as well but take batch-1 decode past 1.5x weights ÷ bandwidth on the H20, whose
    /// padded 16-row GEMMs sit near its low ridge point).
    pub roofline_sharpness: f64,
    /// Memory traffic of an MoE layer outside its GEMMs per routed copy of a token, bytes per
    /// unit of hidden size: permute and un-permute (read and write, 2 bytes each: 8, as in
    /// training) plus what TensorRT-LLM's MoE path adds per copy (input quantisation and
    /// scale-factor swizzle, the expanded activations between the two GEMMs' passes, the
    /// top-k weighted finalize). 32: the TensorRT-LLM v1.0 rows' fit (grid 8-128) prefers
    /// 64, which takes Mixtral 8x7B's MLPerf capacity below its Server rows' offered rates;
    /// at 32 Mixtral's Offline rows sit within +1..+5 % (+9..+10 % at 8). These bytes pass
    /// through the SMs at [`Self::moe_permute_sm_bytes_per_flop`]; only the copies' own bytes
    /// reach DRAM.
    pub moe_permute_bytes_per_hidden: f64,
    /// Rate at which the SMs move an MoE layer's per-copy traffic outside the GEMMs
    /// ([`Self::moe_permute_bytes_per_hidden`]), bytes per FP32 FLOP of the chip's CUDA cores
    /// (`Cluster::vector_flops`, SMs × 256 × clock on NVIDIA's parts). Those kernels (routing,
    /// expansion and quantisation of the copies, the gated activation, the top-k weighted
    /// finalize) gather and scatter rows by expert, mostly through the L2, and are bound by
    /// the SMs' load/store throughput, which grows with SMs × clock; DRAM sees only the copies'
    /// own bytes (`Replica`'s `permute_dram_bytes`, counted from the kernels). A layer takes the
    /// slower of the two. Fitted on the published inference rows (grid 0.04-0.075): 0.05, i.e.
    /// 12.8 bytes per SM per clock (0.04: median 9.8 %, rows within 10 % 324; 0.05: 9.6 %, 326;
    /// 0.0625: 9.7 %, 326 on the rows without Server latencies). It is what separates the RTX PRO 6000
    /// (GDDR7 at 1.8 TB/s, 188 SMs at 2.6 GHz: 125 FP32 TFLOP/s) from the B200 (8 TB/s, 148
    /// SMs: 80 TFLOP/s): with all of the traffic at the DRAM rate the RTX PRO 6000's
    /// Qwen3-30B-A3B rows ran 15-50 % slow on one GPU while the B200's sat within ±10 %, which
    /// HBM bandwidth alone (4.5x apart) cannot give. Chips without an FP32 figure keep the
    /// traffic at the DRAM rate.
    pub moe_permute_sm_bytes_per_flop: f64,
    /// Extra fixed cost of an MoE layer per step (router, top-k, permutation, grouped-GEMM
    /// setup and finalize kernels on top of a dense layer's), seconds; fitted: 80 µs.
    pub moe_layer_overhead_s: f64,
    /// Rows a GEMM's tokens are padded to: TensorRT-LLM's small-batch kernels swap the
    /// operands so the tokens run along the MMA tile's N side (8-16 wide) rather than its
    /// 64-row M side (Hopper `wgmma` m64, Blackwell `tcgen05` M 64/128); a step of `T` tokens
    /// computes at `T ÷ (⌈T/16⌉·16)` of the chip's large-GEMM rate. Fitted: 16.
    pub gemm_tile_rows: f64,
    /// Rows an MoE layer's grouped GEMM pads each expert's tokens to: the grouped kernels
    /// (CUTLASS / TensorRT-LLM's MoE GEMMs) tile every expert's rows along the MMA's M side, so
    /// an expert receiving `m` tokens computes at `m ÷ (⌈m/t⌉·t)` of the rate (no operand swap
    /// for small batches as the dense kernels do). Fitted on the published MoE rows: 128, the
    /// CTA tile M of the grouped kernels' large tactics.
    pub expert_tile_rows: f64,
    /// Routed copies the busiest expert-parallel GPU computes, over the mean (the straggler
    /// factor `γ = max ÷ mean` of the GPUs' expert loads): with whole experts placed on each
    /// of `ep` GPUs, every MoE layer waits for the GPU holding the popular experts
    /// (pre-trained routers stay skewed: Nguyen et al. 2026, "Least-Loaded Expert
    /// Parallelism", arXiv:2601.17111; expert-load-balancer write-ups put γ at 1.2-1.8 without
    /// rebalancing, and TensorRT-LLM v1.0's `trtllm-bench` runs place experts statically).
    /// Experts split tensor-parallel share every expert evenly and do not wait. Fitted on the
    /// published rows (grid 1.0-1.8): 1.8, the top of the reported range; it takes the
    /// multi-GPU MoE rows' mean bias from +13-17 % to within ±10 % (Llama 4 Scout +11 %).
    pub expert_imbalance: f64,
    /// Fixed cost of a GEMM's output tile in units of its contraction depth `K` (pipeline fill,
    /// epilogue: loading the accumulator, scaling, converting and storing the tile), so a GEMM
    /// of depth `K` runs at `K ÷ (K + K₀)` of the large-GEMM rate. It matters for small-expert
    /// MoE layers (Qwen3-30B-A3B's experts contract over 768 and 2,048), hardly for dense
    /// layers (K of 4,096 and more: 6-16 %). Fitted: 768 (grid 0-2,048), i.e. a tile costs as
    /// much as twelve 64-deep k-blocks besides its main loop.
    pub gemm_depth_overhead: f64,
    /// Fraction of the chip's large-GEMM efficiency (measured MAMF or the chip class's) the
    /// engine's GEMM kernels reach over a serving step (its kernel library, scaling recipe and
    /// fusions): 1 for TensorRT-LLM v1.0; see [`Stack`].
    pub gemm_fraction: f64,
    /// Fraction of the chip class's attention-core rate (`Cluster::attention_efficiency` of
    /// the BF16 peak, fitted on the long-sequence training runs, where attention dominates)
    /// the serving engine's attention kernels reach: 1 (grid 0.6-1.0 on the published
    /// inference rows with the step's chunked prefill: 60, 58 and 59 rows beyond 25 % at 0.6,
    /// 0.8 and 1, so the training figure stands). It was 0.5 of the chip's GEMM efficiency at
    /// the row's precision while a step spread the prefill over every decode step
    /// ([`crate::infer::evaluate`]), which hid most of the prefill's attention under the decode
    /// step's KV reads and left the constant free; it also charged an NVFP4 row's attention at
    /// the FP4 GEMMs' efficiency, though attention runs in 16 or 8 bits.
    pub attention_efficiency: f64,
    /// Fraction of the scale-up link rate (one direction) an inference all-reduce reaches over
    /// a serving step. NCCL's bus bandwidth on 8 × H100 peaks near 360 of 450 GB/s, 0.8, for
    /// large messages (`train::Calibration::scale_up_bus_efficiency`); fitted on the published
    /// throughput rows (`fit_published_inference`, commit 69779d8): 0.5, so it also carries what
    /// a step's mid-sized, back-to-back all-reduces lose to that peak (protocol switch, kernel
    /// launch between layers). `published::inference` slows only the wire, at 0.8, where a
    /// board's peer links are slower than the chip's (`PeerFabric`).
    pub collective_efficiency: f64,
    /// Small-message latency of one all-reduce on the scale-up fabric with the kernel launch
    /// and synchronisation around it, seconds. NCCL's small all-reduce takes 10-47 µs inside a
    /// server to across servers; fitted: 40 µs.
    pub collective_latency_s: f64,
    /// Fixed cost of one engine step (scheduling, sampling, launches), seconds.
    pub step_overhead_s: f64,
    /// Host-side cost per sequence in a step, seconds: the engine's per-request work between
    /// forwards (scheduling, building the step's inputs and KV block tables, sampling, emitting
    /// the token), which runs on the CPU and does not shrink with a faster GPU. TensorRT-LLM's
    /// PyTorch executor does it in Python per request. Fitted with [`Self::host_overlap`] and
    /// [`Self::grace_host_factor`] on the 328 TensorRT-LLM v1.0 rows (grid 4-40 µs): 35 µs. The
    /// rows show it directly: Qwen3-30B-A3B at 128/128 on one GPU runs 39.8k tokens/s on B200
    /// and 28.0k on the RTX PRO 6000, which has 4.5x less FP4 compute and bandwidth — the B200
    /// waits for its host (4,096 sequences × 25 µs ≈ 100 ms a step). Before the overlap
    /// scheduler was modelled (host and GPU time added) the fit took 4 µs, and the GPU-side
    /// constants absorbed the rest.
    pub sequence_overhead_s: f64,
    /// Cost per layer per step outside GEMMs and attention (norms, activations, kernel
    /// launches), seconds; fitted: 5 µs.
    pub layer_overhead_s: f64,
    /// Memory bytes per token per layer of elementwise traffic, per unit of hidden size (the
    /// norms, residual adds, rotary embedding, activation and quantisation of each layer, read
    /// and written in 16 bits); fitted: 80.
    pub elementwise_bytes_per_hidden: f64,
    /// Whether the engine prepares step `n + 1` on the host while the GPU runs step `n`
    /// (TensorRT-LLM's overlap scheduler, on by default in its PyTorch executor), so that a step
    /// takes the longer of the host's work ([`Self::step_overhead_s`] and
    /// [`Self::sequence_overhead_s`] per sequence) and the GPU's, not their sum. Only without
    /// pipeline parallelism: TensorRT-LLM v1.0 runs `pp > 1` in its own executor loop,
    /// `_executor_loop_pp`, and picks the overlapping loop only for `pp = 1`
    /// (`PyExecutor.__init__` in `tensorrt_llm/_torch/pyexecutor/py_executor.py`), so each
    /// stage's micro-batch pays its host work in series. That is the pattern of the RTX PRO 6000
    /// Llama 3.3 70B rows by pipeline depth: with the host cost added at every depth, PP 8 ran
    /// 30-60 % fast on the decode-heavy lengths and PP 1 5-17 % slow (each stage's host
    /// handles every sequence once a token, while its GPU work shrinks with the stages). True
    /// for TensorRT-LLM v1.0 (the default); the other stacks run one step after the other.
    pub host_overlap: bool,
    /// How much longer the engine's host work per sequence takes on a Grace CPU (GB200 and the
    /// other superchips, where the GPU's host is the Arm Neoverse V2 Grace on NVLink-C2C) than
    /// on the x86 hosts of the HGX and PCIe servers. The TensorRT-LLM v1.0 single-GPU rows show
    /// it: Qwen3-30B-A3B at 128/128 runs 24.1k tokens/s on one GB200 and 39.8k on one B200,
    /// though the GB200 has the same HBM and more power, while at 20,000/2,000 (GPU-bound) the
    /// GB200 is 9 % faster. Fitted on the 40 answered GB200 rows with
    /// [`Self::sequence_overhead_s`] (grid 1.0-2.5): 1.5. TensorRT-LLM v1.0 only: the other
    /// stacks' host costs were fitted without it and keep 1.
    pub grace_host_factor: f64,
    /// Memory held outside weights, KV cache and workspace (CUDA context, NCCL, allocator), GiB.
    pub reserved_gib: f64,
    /// Whether the engine captures CUDA graphs for its decode batches before it sizes the KV
    /// pool, so the graphs' private memory pool (the activations and logits of the largest
    /// captured batch) is held outside it: TensorRT-LLM v1.0's PyTorch executor with the
    /// perf-overview's `cuda_graph_config` (the default stack); not the other stacks
    /// ([`Stack::calibration`]). On the 328 TensorRT-LLM v1.0 rows (with the 16-bit output
    /// head of `Replica::new`) it moves the family from 175 to 177 rows within 10 % and p90
    /// from 25.3 % to 24.8 %, most on the memory-tight 8 × H100 Llama 4 Maverick rows
    /// (+38 % → +18 % at 128/2,048).
    pub cuda_graph_pool: bool,
    /// Bytes each parameter of a model's vision tower ([`crate::ModelSpec::vision_params`])
    /// takes on every GPU of a replica, which the KV pool does not get: 4 (fp32) for
    /// TensorRT-LLM's PyTorch executor, whose `Llama4VisionEncoder` builds Hugging Face's
    /// `Llama4VisionModel` and `Llama4MultiModalProjector` at torch's default dtype, loads the
    /// checkpoint's weights into them and moves them to each rank's GPU without a cast (it
    /// casts the pixel values to float32 to match), on every rank unless
    /// `TLLM_MULTIMODAL_DISAGGREGATED` is set (`tensorrt_llm/_torch/models/modeling_llama.py`,
    /// NVIDIA/TensorRT-LLM commit 3a5901cd0d77bed18baaf402d1d12fab468d44a9). 0 for the other
    /// stacks, whose rows are text-only models.
    pub vision_bytes_per_param: f64,
    /// How the attention data-parallel groups of a wide-EP replica hand the MoE layers their
    /// tokens: DeepEP's point-to-point dispatch and combine by default.
    pub expert_exchange: ExpertExchange,
}

/// How the attention data-parallel groups of a replica with `ep > tp` move tokens to the
/// experts and back, once per MoE layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpertExchange {
    /// Each token's `k` routed copies go point to point to the GPUs holding those experts and
    /// come back weighted (DeepEP's kernels, as SGLang and DeepSeek serve wide EP), hidden by
    /// two-batch overlap where that pays.
    PointToPoint,
    /// Every group's tokens are all-gathered before the MoE layer and its outputs
    /// reduce-scattered after, as ring collectives over the link: TensorRT-LLM's path for
    /// attention DP wherever its all-to-all does not apply (`fused_moe_cutlass.py`,
    /// `select_alltoall_method_type`: only with `moe_ep_size > top_k` and multi-node NVLink
    /// memory, or DeepEP enabled by environment). No overlap with computation.
    AllGather,
}

impl Default for InferCalibration {
    fn default() -> Self {
        InferCalibration {
            hbm_efficiency: 0.75,
            gemm_tile_rows: 16.0,
            expert_tile_rows: 128.0,
            expert_imbalance: 1.8,
            gemm_depth_overhead: 768.0,
            kv_hbm_efficiency: 0.75,
            roofline_sharpness: 2.25,
            moe_permute_bytes_per_hidden: 32.0,
            moe_permute_sm_bytes_per_flop: 0.05,
            moe_layer_overhead_s: 80e-6,
            gemm_fraction: 1.0,
            attention_efficiency: 1.0,
            collective_efficiency: 0.5,
            collective_latency_s: 40e-6,
            step_overhead_s: 0.5e-3,
            sequence_overhead_s: 35e-6,
            layer_overhead_s: 5e-6,
            elementwise_bytes_per_hidden: 80.0,
            reserved_gib: 2.0,
            cuda_graph_pool: true,
            vision_bytes_per_param: 4.0,
            host_overlap: true,
            grace_host_factor: 1.5,
            expert_exchange: ExpertExchange::PointToPoint,
        }
    }
}

/// A serving software stack whose achievable rates differ from the default's (TensorRT-LLM
/// v1.0, the newest stack, which [`InferCalibration::default`] describes): chosen from a
/// published row's `engine` column; each preset overrides only the constants it names, fitted
/// on that stack's published rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// TensorRT-LLM v1.0 with its PyTorch executor (`trtllm-bench`): the defaults.
    TrtllmPytorch,
    /// TensorRT-LLM's C++ executor (v0.17 and earlier, `validation/inference.csv`): the
    /// per-request bookkeeping is compiled, so no
    /// [`InferCalibration::sequence_overhead_s`]; otherwise the defaults.
    TrtllmCpp,
    /// NVIDIA's MLPerf Inference v4.1 harness on TensorRT 9.3 / 10.x engines (the C++
    /// executor, as [`Stack::TrtllmCpp`]: no [`InferCalibration::sequence_overhead_s`]; FP8 with
    /// per-tensor scales) with a per-step fixed cost of `TENSORRT_MLPERF_STEP_OVERHEAD_S`, an
    /// all-reduce latency of `TENSORRT_MLPERF_COLLECTIVE_LATENCY_S` and its wire at
    /// `TENSORRT_MLPERF_COLLECTIVE_EFFICIENCY` of the link (see there for the fit on the MLPerf
    /// v4.1 Offline and Server TensorRT rows).
    TensorrtMlperf,
    /// vLLM 0.4 on ROCm (AMD's MI300X MLPerf v4.1 harness, `vLLM 0.4.3+rocm614`): the Python
    /// engine of that generation does its scheduling, input preparation and sampling on the
    /// host every step, and its FP8 GEMMs (hipBLASLt, per-tensor scales) reach less of the
    /// chip's large-GEMM rate; constants in `VLLM_ROCM`, fitted on AMD's MI300X rows.
    VllmRocm,
    /// Any other engine (vLLM, SGLang, ...): the defaults without the overlap scheduler and
    /// with `OTHER_SEQUENCE_OVERHEAD_S` per sequence, for want of enough published rows to fit
    /// its own.
    Other,
    /// vLLM V1 (0.8-0.10) on NVIDIA GPUs as NeMo-RL drives it for GRPO rollouts: constants in
    /// `VLLM_V1`, fitted on the NeMo-RL GRPO rows of `finetune.csv`, and its Triton MoE
    /// kernel's 64-row expert tiles (`VLLM_FUSED_MOE_BLOCK_M`).
    VllmV1,
}

impl Stack {
    /// The stack a published `engine` string names.
    #[must_use]
    pub fn from_engine(engine: &str) -> Stack {
        if engine.contains("trtllm-bench") || engine.contains("PyTorch backend") {
            Stack::TrtllmPytorch
        } else if engine.starts_with("TensorRT") {
            Stack::TensorrtMlperf
        } else if engine.starts_with("vLLM") && engine.contains("rocm") {
            Stack::VllmRocm
        } else {
            Stack::Other
        }
    }

    /// `base` with this stack's constants.
    #[must_use]
    pub fn calibration(self, base: &InferCalibration) -> InferCalibration {
        let mut c = *base;
        // Only TensorRT-LLM's PyTorch executor overlaps the host's work with the GPU's, and the
        // Grace host factor was fitted on its rows only.
        if self != Stack::TrtllmPytorch {
            c.host_overlap = false;
            c.grace_host_factor = 1.0;
            // Graph memory outside the KV pool is the PyTorch executor's: NVIDIA's MLPerf
            // harness ran without CUDA graphs (`use_graphs = False`, see
            // `TENSORRT_MLPERF_STEP_OVERHEAD_S`), the C++ runtime captures its graphs on the
            // engine's own execution-context memory, and vLLM sizes its KV pool before
            // capturing, from the margin `gpu_memory_utilization` leaves.
            c.cuda_graph_pool = false;
            c.vision_bytes_per_param = 0.0;
        }
        match self {
            Stack::TrtllmCpp => c.sequence_overhead_s = 0.0,
            Stack::TensorrtMlperf => {
                c.sequence_overhead_s = 0.0;
                c.step_overhead_s = TENSORRT_MLPERF_STEP_OVERHEAD_S;
                c.collective_latency_s = TENSORRT_MLPERF_COLLECTIVE_LATENCY_S;
                c.collective_efficiency = TENSORRT_MLPERF_COLLECTIVE_EFFICIENCY;
            }
            Stack::VllmRocm => {
                let (step, sequence, gemm) = VLLM_ROCM;
                c.step_overhead_s = step;
                c.sequence_overhead_s = sequence;
                c.gemm_fraction = gemm;
            }
            Stack::VllmV1 => {
                let (step, sequence) = VLLM_V1;
                c.step_overhead_s = step;
                c.sequence_overhead_s = sequence;
                c.expert_tile_rows = VLLM_FUSED_MOE_BLOCK_M;
            }
            Stack::Other => c.sequence_overhead_s = OTHER_SEQUENCE_OVERHEAD_S,
            Stack::TrtllmPytorch => {}
        }
        c
    }
}

/// [`Stack::Other`]'s host cost per sequence, seconds: 4 µs, what the default stack carried
/// (added to the GPU's time) before TensorRT-LLM v1.0's overlap scheduler was modelled and its
/// own host cost refitted at 35 µs. The engines this stack stands for have too few published
/// rows (six vLLM 0.5.2 MLPerf rows) to fit their own, so they keep the earlier value.
const OTHER_SEQUENCE_OVERHEAD_S: f64 = 4e-6;

/// [`Stack::TensorrtMlperf`]'s fixed cost of one engine step (the batch-independent part of
/// an in-flight-batching iteration of NVIDIA's 2024 TensorRT runtime, which the per-GEMM,
/// per-layer and per-collective terms do not resolve), seconds: 19 ms (first fitted at 35 ms, then 28 ms). The harness ran its
/// engines without CUDA graphs (`use_graphs = False` in `closed/NVIDIA/configs/mixtral-8x7b/
/// __init__.py`, mlcommons/inference_results_v4.1@a2f5d66d), so every kernel of a step is
/// launched from the host, and the executor rebuilt the step's batch on the host each
/// iteration; the constant holds that part of a step that does not grow with the batch.
///
/// Fitted jointly on the 47 answered MLPerf v4.1 TensorRT systems (Llama 2 70B and Mixtral
/// 8x7B; Offline throughput and the Server rows' mean and p99 TTFT and TPOT, each Server row
/// simulated at its published rate): a Server row holds the load at its rate, so its TPOT
/// fixes a point `S(B)` of the step time where Little's law puts `B = λ·output·TPOT`
/// sequences in the batch, while the Offline row fixes `S` at the batch cap. On 8 × H100
/// Llama 2 70B (tp 2, 4 replicas) the Server point is `S(≈600) = 115 ms` and the Offline
/// point `S(896) ≈ 150 ms`: a line through them has an intercept near 40 ms, where the
/// physical model alone gave 17 ms and a steeper slope (the GEMM fraction had been lowered to
/// 0.7 to match Offline, which left every Server batch 2x too small and its TPOT 2x too low).
/// Grid over the fixed cost 0.5-55 ms × GEMM fraction 0.7-1.1 (score: median and p90
/// |error| of those rows): 35 ms with the default GEMM fraction (1.0) scores median 13.8 %,
/// p90 44 % (Offline 10/29 %, Server TPOT mean 13/32 %, TTFT mean 24/44 %), against 42.5/75 %
/// with 0.5 ms and 0.7; 40 ms × 1.05 scores alike (12.9/44.8 %); a per-layer cost instead
/// (0.3-0.45 ms a layer) scores 20/66 % at best. The p90 is held by rows the engine settings
/// cannot separate: MaxQ (power-capped) and H200-CTS (raised-power) systems, and submitters of
/// the same chip and rate whose published TPOT differs by 30 %.
///
/// Refitted at 28 ms once the default step model gained the grouped-GEMM expert tile and the
/// contraction-depth cost per GEMM tile (`InferCalibration::gemm_depth_overhead`), which lower
/// the physical step's GEMM rate by ≈ 5 % at 70B shapes: grid 25-40 ms × GEMM fraction
/// 1.0-1.15 × depth cost 0-512 × MoE layer cost 80-300 µs over the same rows, scored by the
/// MLPerf family's and the whole inference file's median + p90. 28 ms with every other
/// constant at its default (GEMM fraction 1, depth 512, MoE layer 80 µs) scores the MLPerf
/// family median 13.0 %, p90 46.6 % (Offline 5.0/29.9 %, Server TPOT mean 18.3/38.1 %, TTFT
/// mean 24.2/51.9 %) and the inference file 14.8/44.2 %; the separate 300 µs MoE layer cost the
/// first fit wanted no longer helps (Mixtral Offline is within 5 % with the new expert tiles).
///
/// Refitted at 19 ms when the default step model was refitted (KV reads at 0.8 of the HBM
/// rate, 80 bytes of elementwise traffic per unit of hidden size, 10 µs a layer, depth cost
/// 768): grid 5-28 ms × GEMM fraction 0.95-1.05 over the same TensorRT rows; 19 ms with the
/// GEMM fraction 1 scores median 12.2 %, p90 45.9 % (Offline 4.9/15.7 %, Server TPOT mean
/// 18.9/43.0 %, TTFT mean 26.1/49.9 %); from 21 ms some Server rows saturate (TTFT p90 > 100 %),
/// at 16 ms Offline runs 7 % fast.
///
/// Refitted at 13 ms, with [`TENSORRT_MLPERF_COLLECTIVE_LATENCY_S`], once the Server rows were
/// simulated in steady state (a warm-up of two request lifetimes left out, the load held on
/// until the measured requests finish): the earlier fits saw runs of ≈ 160 s whose measured
/// requests mostly met a batch filling or draining, so their TPOT came out low and the fixed
/// cost high. In steady state 19 ms saturates the Mixtral 8x7B H100 rows (their rates are
/// 0.97 of Offline; the simulated batch meets its KV pool at ≈ 800 sequences) and leaves the
/// Llama 2 70B H100 tp-2 TPOT 12 % low and the H200 tp-1 TPOT 12 % high: the tp-2 engines
/// want a costlier step, the tp-1 engines a cheaper one, which a per-step constant cannot
/// give and a per-all-reduce one can. Grid 8-24 ms × per-layer cost 5-300 µs × per-sequence
/// cost 0-10 µs × all-reduce latency 40-100 µs over the TensorRT rows, scored by the MLPerf
/// Server latency rows' and Offline rows' median + p90 |error|: 13 ms with 90 µs all-reduces
/// scores Server latency 19.3 / 48.2 %, Offline 9.0 / 18.9 % (16 ms with the default 40 µs:
/// 20.5 / 53.7 %, 7.5 / 18.4 %; a per-layer or per-sequence cost only moves the cliff).
///
/// Refitted at 14 ms, with [`TENSORRT_MLPERF_COLLECTIVE_LATENCY_S`] at 100 µs, when the
/// all-reduce's wire moved to NCCL's large-message bus efficiency
/// ([`TENSORRT_MLPERF_COLLECTIVE_EFFICIENCY`]) and the Mixtral Offline rows took their
/// submissions' batch caps (`mixtral_offline` in `published::inference`): grid 12-16 ms ×
/// 90-140 µs × bus efficiency 0.5-0.9 over the TensorRT rows, scored by the count of inference
/// rows beyond 25 % and the file's median. See [`TENSORRT_MLPERF_COLLECTIVE_EFFICIENCY`].
const TENSORRT_MLPERF_STEP_OVERHEAD_S: f64 = 14e-3;

/// [`Stack::TensorrtMlperf`]'s fraction of the scale-up link (one direction) a step's
/// all-reduce reaches on the wire: 0.8, nccl-tests' bus bandwidth for large all-reduces on
/// 8 × H100 (≈ 360 of 450 GB/s, [`crate::train::Calibration::scale_up_bus_efficiency`]), where
/// the default stack's fitted 0.5 ([`InferCalibration::collective_efficiency`]) also carries
/// per-message costs. With the 2024 harness's per-all-reduce latency fitted on its own
/// ([`TENSORRT_MLPERF_COLLECTIVE_LATENCY_S`]), the size term is left the wire's: a 16 MB
/// decode all-reduce on an H100 pair costs about what it did at 0.5 with 90 µs, but a PCIe
/// tensor-parallel group pays its bytes at the link's own rate, not 1.6 × slower. Fitted with
/// the step cost (grid above): 0.8 scores 73 inference rows beyond 25 % against 82 at 0.5
/// (the Fujitsu L40S tp-4 Server rows, simulated at a rate the 0.5 engine cannot hold,
/// saturated; at 0.8 their TTFT and TPOT come within 15 %, and its Offline row from −13 to
/// −5 %); 0.9 is worse (the H100 tp-2 TPOT rows run 25-30 % fast).
const TENSORRT_MLPERF_COLLECTIVE_EFFICIENCY: f64 = 0.8;

/// [`Stack::TensorrtMlperf`]'s latency of one tensor-parallel all-reduce with its launch and
/// synchronisation, seconds: 90 µs, where the default is 40 µs
/// ([`InferCalibration::collective_latency_s`]). The 2024 harness launched every kernel of a
/// step from the host (no CUDA graphs, `use_graphs = False`), and a tensor-parallel engine
/// synchronises its GPUs at every all-reduce, so each of a layer's two all-reduces waits for
/// the slower rank's launches as well as for the wire; a tp-1 engine has none. Fitted jointly
/// with [`TENSORRT_MLPERF_STEP_OVERHEAD_S`] (see there): at 90 µs it took the steady-state
/// Llama 2 70B H100 tp-2 Server TPOT from 17 % low to within ≈ 10 % without slowing the tp-1
/// engines; refitted at 100 µs when the wire moved to 0.8 of the link
/// ([`TENSORRT_MLPERF_COLLECTIVE_EFFICIENCY`]).
const TENSORRT_MLPERF_COLLECTIVE_LATENCY_S: f64 = 100e-6;

/// [`Stack::VllmRocm`]'s (step overhead s, per-sequence host cost s, GEMM fraction):
/// (20 ms, 50 µs, 0.9). vLLM before 0.6 ran its scheduler, input preparation, sampling and
/// detokenisation in Python between forwards, one step at a time (the vLLM blog's v0.6.0
/// performance update, 2024-09-05, profiled v0.5.3 on one H100: 29 % of the execution time in
/// scheduling and gathering the previous step's results, with the GPU waiting), a fixed part
/// per step and a part per running sequence; AMD's FP8 GEMMs reach 0.9 of the chip's rate.
/// Fitted on AMD's MI300X FP8 rows (1 × and 2 × 8 × MI300X: Offline and Server, 18 rows),
/// grid 0.5-25 ms × 0-100 µs × 0.6-1.0: median 7.1 %, p90 13.7 % (Offline 7/10 %, Server TPOT
/// mean 5/8 %, TTFT mean 7/18 %) against 40/85 % with the defaults (Offline +60 %, TPOT 5x too
/// low). Dell's MI300X rows, published as fp16 weights, are not in the fit. Refitted with the
/// default step model (grid 10-20 ms × 30-50 µs × 0.8-1.0): (20 ms, 50 µs, 0.9) scores median
/// 9.0 %, p90 13.7 % (Offline 8.3 %, TPOT mean 10.5 %, TTFT mean 7.0 %); (10 ms, 50 µs, 0.8)
/// 4.7 / 18.7 %.
const VLLM_ROCM: (f64, f64, f64) = (20e-3, 50e-6, 0.9);

/// Rows [`Stack::VllmV1`]'s grouped MoE GEMM pads each expert's tokens to: vLLM's Triton
/// `fused_moe` kernel tiles them by `BLOCK_SIZE_M` = 64 in its default configuration (16 only
/// when the step has no more tokens than experts; `get_default_config` in
/// `vllm/model_executor/layers/fused_moe/fused_moe.py`, and 64 for block-quantized FP8 too),
/// where TensorRT-LLM's CUTLASS grouped kernels take 128 ([`InferCalibration::expert_tile_rows`]).
/// On the NeMo-RL MoE rows it takes the RL families from median 19.5 %, p90 47.4 % to 16.9 /
/// 42.9 % (16 and 32 score 17.7-18.0 / 43.4-43.6 %).
const VLLM_FUSED_MOE_BLOCK_M: f64 = 64.0;

/// [`Stack::VllmV1`]'s (step overhead s, per-sequence host cost s): (5 ms, 10 µs). vLLM V1's
/// engine core runs each step's scheduling, input preparation (block tables, positions),
/// sampling and output processing in Python around the CUDA-graph forward, and hands every
/// step's new tokens to the front-end process over a socket: a fixed host cost per step, and a
/// part per running request that does not shrink with a faster GPU. NeMo-RL's rollouts decode
/// thousands of steps at a few hundred sequences, so this cost sets a good part of the
/// generation phase.
///
/// Fitted on the 64 answered NeMo-RL GRPO rows of `finetune.csv` (v0.4 and v0.5 tables, H100
/// and GB200, step time and tokens/s/GPU), grid 0.5-13 ms × 0-30 µs scored by the median and
/// p90 |error|: (5 ms, 10 µs) scores median 16.9 %, p90 44.6 % (colocated rows median 11.4 %,
/// async 29.0 %) against 26.1 / 47.9 % (colocated 23.2 %) with the TensorRT-LLM defaults
/// (0.5 ms, 4 µs); 6-7 ms with 0-10 µs scores within a point. The async rows barely move: where
/// they are off the training side or the MoE step model sets the step, not the host.
const VLLM_V1: (f64, f64) = (5e-3, 10e-6);

#[cfg(test)]
mod tests {
    use super::*;

    /// `c` with the PyTorch executor's own settings (host overlap, Grace host factor, graph
    /// pool, vision tower), which every other stack turns off, put back from `d`.
    fn with_pytorch_executor(c: InferCalibration, d: &InferCalibration) -> InferCalibration {
        InferCalibration {
            host_overlap: d.host_overlap,
            grace_host_factor: d.grace_host_factor,
            cuda_graph_pool: d.cuda_graph_pool,
            vision_bytes_per_param: d.vision_bytes_per_param,
            ..c
        }
    }

    #[test]
    fn stacks_come_from_the_engine_column_and_override_only_their_constants() {
        let trtllm = Stack::from_engine("TensorRT-LLM v1.0 (PyTorch backend, trtllm-bench throughput)");
        assert_eq!(trtllm, Stack::TrtllmPytorch);
        assert_eq!(Stack::from_engine("TensorRT 10.2.0, CUDA 12.4"), Stack::TensorrtMlperf);
        assert_eq!(Stack::from_engine("vLLM 0.4.3+rocm614, PyTorch 2.3.0, ROCm 6.1.2"), Stack::VllmRocm);
        assert_eq!(Stack::from_engine("vLLM 0.5.2"), Stack::Other);
        let d = InferCalibration::default();
        assert_eq!(trtllm.calibration(&d), d, "the default is the newest stack");
        let mlperf = Stack::TensorrtMlperf.calibration(&d);
        assert!(mlperf.step_overhead_s > d.step_overhead_s && mlperf.sequence_overhead_s == 0.0);
        assert!(mlperf.collective_latency_s > d.collective_latency_s);
        assert!(mlperf.collective_efficiency > d.collective_efficiency, "the wire at NCCL's bus rate");
        assert!(d.host_overlap && !mlperf.host_overlap, "only TensorRT-LLM v1.0 overlaps host and GPU");
        let back = InferCalibration {
            step_overhead_s: d.step_overhead_s,
            sequence_overhead_s: d.sequence_overhead_s,
            collective_latency_s: d.collective_latency_s,
            collective_efficiency: d.collective_efficiency,
            ..with_pytorch_executor(mlperf, &d)
        };
        assert_eq!(back, d);
        let rocm = Stack::VllmRocm.calibration(&d);
        assert!(rocm.gemm_fraction < 1.0 && rocm.sequence_overhead_s > d.sequence_overhead_s);
        let back = InferCalibration {
            step_overhead_s: d.step_overhead_s,
            sequence_overhead_s: d.sequence_overhead_s,
            gemm_fraction: d.gemm_fraction,
            ..with_pytorch_executor(rocm, &d)
        };
        assert_eq!(back, d);
        let v1 = Stack::VllmV1.calibration(&d);
        assert!(v1.step_overhead_s > d.step_overhead_s && v1.sequence_overhead_s == VLLM_V1.1);
        assert!(v1.expert_tile_rows < d.expert_tile_rows, "vLLM's Triton MoE tiles are 64 rows");
        assert_eq!(
            InferCalibration {
                step_overhead_s: d.step_overhead_s,
                sequence_overhead_s: d.sequence_overhead_s,
                expert_tile_rows: d.expert_tile_rows,
                ..with_pytorch_executor(v1, &d)
            },
            d
        );
        let cpp = Stack::TrtllmCpp.calibration(&d);
        assert_eq!(
            InferCalibration { sequence_overhead_s: d.sequence_overhead_s, ..with_pytorch_executor(cpp, &d) },
            d
        );
    }
}
