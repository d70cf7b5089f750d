//! One engine step on one pipeline stage: a roofline per operation.
//!
//! - Weight GEMMs: `max(bytes moved ÷ (HBM·η_hbm), FLOPs ÷ (peak·η(M)))` for each group of
//!   GEMMs sharing a row count `M`: the dense ones (attention projections, dense and shared
//!   FFN, the output head) at `M` = the step's tokens, the routed experts at `M` = the tokens
//!   each touched expert receives. `η(M) = MAMF fraction × M ÷ (⌈M/m⌉·m)`: a tensor-core GEMM
//!   pads its rows to the MMA tile `m` (64 on Hopper's wgmma and Blackwell's tcgen05), so a
//!   decode step of a few sequences pays for `m` rows of compute yet stays memory-bound
//!   wherever `m·2·peak⁻¹ < bytes per weight ÷ bandwidth`, as on every catalogued chip. MoE
//!   layers read only the experts the step's tokens touch: `E·(1 − (1 − k/E)^T)` of them.
//!   The routed experts' grouped GEMM pads each expert's rows to its own tile
//!   (`InferCalibration::expert_tile_rows`), and every GEMM pays a fixed cost per output tile
//!   worth `K₀` of contraction depth, `K ÷ (K + K₀)` (`InferCalibration::gemm_depth_overhead`),
//!   which small experts (K of 768-2,048) feel and dense layers hardly do.
//! - Attention: decode reads each sequence's KV cache (`b · c · bytes per token`), prefill
//!   computes `4·c·h·d` FLOPs per token; each is a roofline of its own.
//! - Tensor parallelism: two all-reduces per layer of the step's activations, each a
//!   small-message latency plus `2(t−1)/t` of the bytes over the link's achievable bus
//!   bandwidth; pipeline stages send activations point to point.
//! - Wide expert parallelism (ep > tp): attention and the dense weights are replicated over
//!   `d = ep ÷ tp` data-parallel groups, each with its share of the batch and its own KV cache;
//!   the routed experts are sharded over all `ep` GPUs of a stage (⌈E/ep⌉ on the busiest), and
//!   each MoE layer dispatches and combines its tokens' top-k copies point to point (DeepEP),
//!   over the scale-up fabric to the peers in its domain and the NICs to the rest, with
//!   two-batch overlap hiding it behind computation where that pays
//!   (`Replica::expert_exchange`); or, as TensorRT-LLM does for attention DP without its
//!   all-to-all, an all-gather of every group's tokens and a reduce-scatter of the outputs
//!   (`ExpertExchange::AllGather`).
//! - Fixed costs: per step (scheduling, sampling), per sequence in the step (the engine's host
//!   work per request, shared by the attention groups' host processes; slower on a Grace host)
//!   and per layer (norms, launches). The first two run on the host: with TensorRT-LLM's
//!   overlap scheduler (`InferCalibration::host_overlap`, one pipeline stage) the host prepares
//!   the next step while the GPU runs this one, so the step takes the longer of the two; else
//!   their sum. [`StepTime::overhead_s`] reports both kinds.

use serde::Serialize;

use super::calib::{ExpertExchange, InferCalibration};
use super::config::{Engine, InferConfig};
use super::memory::InferMemory;
use super::spec::{Draft, Speculation};
use crate::calibration::{GemmMix, layer_shapes, nearest_mix};
use crate::model::{ModelSpec, attention_flops_per_token};
use crate::precision::Precision;
use crate::train::Cluster;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Small-message cost of one wide-EP dispatch or combine (kernel launch, the peers'
/// completion flags), seconds: 20 µs, with [`EP_EXCHANGE_EFFICIENCY`] the least-squares fit
/// of `t = α + remote bytes ÷ (η · 50 GB/s)` to DeepEP's low-latency kernels on H800 with one
/// 400 Gb/s ConnectX-7 per GPU (github.com/deepseek-ai/DeepEP, docs/legacy.md, "Low-latency
/// kernels with pure RDMA": 128 tokens a GPU, hidden 7168, top-8, fp8 dispatch, bf16
/// combine; dispatch 118/155/173/192/194 µs and combine 195/273/314/369/360 µs at EP
/// 16/32/64/128/256). The fit reproduces all ten within 6.5 %, and the intranode EP 8 pair
/// (77 and 114 µs) within 11 % over NVLink at the same efficiency.
pub(crate) const EP_EXCHANGE_LATENCY_S: f64 = 20e-6;

/// Fraction of a link's one-way rate a wide-EP dispatch or combine reaches: 0.84 (fitted with
/// [`EP_EXCHANGE_LATENCY_S`]; DeepEP V2's NVLink figures on B200, 643–740 of 900 GB/s, are
/// 0.71–0.82).
pub(crate) const EP_EXCHANGE_EFFICIENCY: f64 = 0.84;

/// Bytes of block scales per FP4 weight: NVFP4 stores one E4M3 scale (1 byte) per 16 values
/// besides one fp32 scale per tensor (NVIDIA, "Introducing NVFP4 for Efficient and Accurate
/// Low-Precision Inference", developer blog, 2025: "a shared FP8 (E4M3) scale factor for each
/// 16-value micro-block"), so a weight takes 4.5 bits, 0.5625 bytes, in memory and on every
/// read; the weights are 12.5 % larger than 4 bits alone and the KV pool smaller by as much.
/// TensorRT-LLM runs NVFP4 on Blackwell; an MXFP4 checkpoint (one E8M0 scale per 32 values,
/// gpt-oss) carries half this and is counted at NVFP4's. Measured on the 216 answered
/// TensorRT-LLM v1.0 NVFP4 rows: with the scales the TensorRT-LLM family goes from median
/// 10.2 %, p90 26.0 % to 9.6 / 25.3 % (rows within 10 %: 159 to 168).
const FP4_SCALE_BYTES: f64 = 1.0 / 16.0;

/// Bytes a value of `p` takes in memory and on every read: its width, plus the block scales
/// of FP4 ([`FP4_SCALE_BYTES`]).
fn stored_bytes(p: Precision) -> f64 {
    p.bytes() + if p == Precision::Fp4 { FP4_SCALE_BYTES } else { 0.0 }
}

/// The decode batch sizes `trtllm-bench` captures CUDA graphs for in the perf-overview runs
/// (TensorRT-LLM v1.0 `docs/source/performance/perf-overview.md`, `cuda_graph_config.batch_sizes`
/// of `llm_options.yml`), those up to the engine's `max_batch_size` being captured.
const CUDA_GRAPH_BATCHES: [f64; 15] =
    [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 384.0, 512.0, 1024.0, 2048.0, 4096.0, 8192.0];

/// What a step computes besides the expert exchange, for two-batch overlap.
#[derive(Debug, Clone, Copy)]
struct Overlap {
    /// GEMMs, attention and fixed costs, seconds.
    work_s: f64,
    /// The GEMMs' compute side.
    gemm_compute_s: f64,
    /// The GEMMs' memory side.
    gemm_memory_s: f64,
}

/// Where one step's time goes on the slowest stage, seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct StepTime {
    /// Weight GEMMs, compute side of the roofline.
    pub gemm_compute_s: f64,
    /// Weight GEMMs, memory side (weights streamed).
    pub gemm_memory_s: f64,
    /// Attention, compute side.
    pub attention_compute_s: f64,
    /// Attention, memory side (KV cache read).
    pub attention_memory_s: f64,
    /// Tensor-parallel and pipeline communication.
    pub comm_s: f64,
    /// Fixed per-step and per-layer costs, the host's (per step and per sequence) included.
    pub overhead_s: f64,
    /// The host's part of `overhead_s` (scheduling and per-sequence bookkeeping). Under the
    /// overlap scheduler (one pipeline stage) it runs beside the GPU's work, so the parts can
    /// add up to more than `total_s`; where it outlasts the GPU's work the step is host-bound.
    pub host_s: f64,
    /// Speculative decoding's draft forwards (0 without speculation).
    pub draft_s: f64,
    /// The step: rooflines' maxima plus communication and overhead; with the host's work
    /// overlapped, the larger of it and the rest.
    pub total_s: f64,
}

impl StepTime {
    /// The mean of two kinds of step, a share `f` of them `b` and the rest `a`: every part
    /// (and the total) the weighted mean.
    #[must_use]
    pub fn mix(a: &StepTime, b: &StepTime, f: f64) -> StepTime {
        let m = |x: f64, y: f64| (1.0 - f) * x + f * y;
        StepTime {
            gemm_compute_s: m(a.gemm_compute_s, b.gemm_compute_s),
            gemm_memory_s: m(a.gemm_memory_s, b.gemm_memory_s),
            attention_compute_s: m(a.attention_compute_s, b.attention_compute_s),
            attention_memory_s: m(a.attention_memory_s, b.attention_memory_s),
            comm_s: m(a.comm_s, b.comm_s),
            overhead_s: m(a.overhead_s, b.overhead_s),
            host_s: m(a.host_s, b.host_s),
            draft_s: m(a.draft_s, b.draft_s),
            total_s: m(a.total_s, b.total_s),
        }
    }

    /// What bounds the step: `host` where the host's work, overlapped, sets the step
    /// (`total_s` = `host_s`), else `compute`, `memory` or `network`.
    #[must_use]
    pub fn bound(&self) -> &'static str {
        if self.host_s > 0.0 && self.host_s >= self.total_s {
            return "host";
        }
        let (gc, gm, ac, am) =
            (self.gemm_compute_s, self.gemm_memory_s, self.attention_compute_s, self.attention_memory_s);
        let compute = if gc >= gm { gc } else { 0.0 } + if ac >= am { ac } else { 0.0 };
        let memory = if gm > gc { gm } else { 0.0 } + if am > ac { am } else { 0.0 };
        if self.comm_s > compute && self.comm_s > memory {
            "network"
        } else if compute >= memory {
            "compute"
        } else {
            "memory"
        }
    }
}

/// A replica prepared for step-time evaluation.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The layout.
    pub config: InferConfig,
    /// The engine limits.
    pub engine: Engine,
    /// Memory per GPU.
    pub memory: InferMemory,
    /// Speculative decoding, when the replica drafts and verifies.
    pub speculation: Option<Speculation>,
    layers_per_stage: f64,
    hidden: f64,
    dense_bytes_stage: f64,
    expert_bytes_layer: f64,
    moe_layers_stage: f64,
    experts: f64,
    top_k: f64,
    body_flops_per_token: f64,
    expert_flops_per_token: f64,
    head_flops_per_token: f64,
    attention_per_token_per_context: f64,
    attention_dp: f64,
    /// DRAM bytes an MoE layer moves per routed copy of a token outside its GEMMs' weight
    /// reads: the copy written at the activations' width and read by the first GEMM, the
    /// gated first GEMM's 16-bit output written and read by the activation, the activated
    /// copy written and read by the second GEMM at the activations' width, and the second
    /// GEMM's 16-bit output written and read by the finalize: `(2a + 4)·h + (8 + 2a)·f` for
    /// `a` bytes an activation (NVFP4: ½ + 1/16 with its block scales), hidden size `h` and
    /// expert width `f` (TensorRT-LLM's CUTLASS MoE path, `cutlass_kernels/moe_gemm`:
    /// `expandInputRowsKernel`, `doActivation`, `finalizeMoeRoutingKernel`, each a kernel of
    /// its own between the grouped GEMMs).
    permute_dram_bytes: f64,
    /// The dense and the expert GEMMs' efficiency at their contraction depths (`K ÷ (K + K₀)`,
    /// FLOP-weighted).
    depth: (f64, f64),
    cluster: Cluster,
    calib: InferCalibration,
    /// How much longer the engine's host work per sequence takes on this GPU's host than on
    /// an x86 server's (see [`InferCalibration::grace_host_factor`]).
    host_factor: f64,
    /// Measured GEMM efficiency of the dense and the expert GEMMs by M, when the cluster has
    /// measured curves at its precision and the weights are as wide as the activations.
    measured_gemm: Option<(GemmMix, GemmMix)>,
}

/// The constants with a cluster's measured values in place of the fitted ones: read-only
/// bandwidth for streaming weights, the all-reduce's latency and bus efficiency.
fn measured_calibration(cluster: &Cluster, calib: &InferCalibration) -> InferCalibration {
    let mut cal = *calib;
    if let Some(m) = &cluster.measured {
        if let Some(e) = m.hbm_read_efficiency {
            cal.hbm_efficiency = e;
        }
        if let Some((alpha, eta)) = m.all_reduce {
            cal.collective_latency_s = alpha;
            cal.collective_efficiency = eta;
        }
    }
    cal
}

impl Replica {
    /// Prepares a replica of `spec` on `cluster` (whose peak is at the activation precision).
    #[must_use]
    pub fn new(
        spec: &ModelSpec,
        cluster: &Cluster,
        cfg: &InferConfig,
        engine: &Engine,
        calib: &InferCalibration,
    ) -> Replica {
        let pc = spec.params();
        let (tp, pp) = (f64::from(cfg.tp), f64::from(cfg.pp));
        let d = f64::from(cfg.dp_attention());
        let gpus = tp * pp * d;
        // Block-scaled FP4 weights carry their scales: streamed and held with the 4-bit values.
        let wb = stored_bytes(cfg.precision.weights);
        let layers = f64::from(spec.layers);
        let h = f64::from(spec.hidden);
        let (moe_layers, experts, top_k) = match &spec.moe {
            Some(m) => (f64::from(spec.layers - m.dense_layers), f64::from(m.experts), f64::from(m.active)),
            None => (0.0, 1.0, 1.0),
        };
        // Routed experts (shared experts are always read, so they count as dense).
        let routed = match &spec.moe {
            Some(m) => pc.experts * f64::from(m.experts) / (f64::from(m.experts) + f64::from(m.shared)),
            None => 0.0,
        };
        // The busiest GPU's share of the routed experts: 1/(tp·pp) of them inside a
        // tensor-parallel group; with wide EP ⌈E/ep⌉ whole experts on each of ep GPUs a stage.
        let expert_share =
            if d > 1.0 { (experts / f64::from(cfg.ep)).ceil() / experts / pp } else { 1.0 / gpus };
        let expert_bytes_layer =
            if moe_layers > 0.0 { routed * wb / moe_layers * expert_share * pp } else { 0.0 };
        // Dense weights (attention, dense and shared FFN, embeddings) are replicated over the
        // attention data-parallel groups. A checkpoint served at its stored precision that
        // keeps attention and embeddings in 16 bits (gpt-oss's MXFP4, NVFP4 releases) keeps
        // them so: only the rest takes the low precision.
        let kept = if spec.stored_16bit_attention && spec.stored_precision == Some(cfg.precision.weights) {
            pc.attention + pc.embedding + pc.unembedding
        } else {
            0.0
        };
        let wb16 = Precision::Bf16.bytes().max(wb);
        // Bytes a step streams: the embedding table is looked up (a row a token), not
        // streamed, but the output head is read whole, in 16 bits in quantized checkpoints
        // (below). With an untied head the size of the embedding, counting both at the GEMM
        // width is exactly the 16-bit head at 8 bits; at 16 bits it over-counts the lookup
        // (kept as fitted); below 8 bits (NVFP4) the head is streamed at its own 16 bits and
        // the lookup table not at all.
        let gemm_bytes_stage = ((pc.total - routed - kept) * wb + kept * wb16) / (tp * pp);
        let dense_bytes_stage = if wb < 1.0 && kept <= 0.0 && pc.unembedding > 0.0 {
            ((pc.total - routed - pc.embedding - pc.unembedding) * wb + pc.unembedding * wb16) / (tp * pp)
        } else {
            gemm_bytes_stage
        };
        // Bytes it holds: quantized checkpoints quantize linear layers only, so the token
        // embedding (a lookup table) and the output head stay in 16 bits (the head is
        // excluded by default: `modules_to_not_convert: ["lm_head", …]` in
        // Qwen/Qwen3-235B-A22B-FP8, `ignore: ["language_model.lm_head", …]` with
        // `targets: ["Linear"]` in nvidia/Kimi-K2.5-NVFP4): 2 bytes a parameter whatever the
        // GEMM precision, which the KV pool does not get.
        let tables = if kept > 0.0 { 0.0 } else { pc.embedding + pc.unembedding };
        let held_bytes_stage = gemm_bytes_stage + tables * (wb16 - wb) / (tp * pp);
        // A vision tower beside the language model is held whole on every GPU at
        // `InferCalibration::vision_bytes_per_param`, whatever the layout.
        let vision_bytes = spec.vision_params * calib.vision_bytes_per_param;
        let weights_gib = (held_bytes_stage + routed * wb * expert_share + vision_bytes) / GIB;

        // KV cache per token on one GPU.
        let kv_b = cfg.precision.kv.bytes();
        let kv_per_layer = match &spec.mla {
            Some(mla) => (f64::from(mla.kv_lora_rank) + f64::from(mla.qk_rope_head_dim)) * kv_b,
            None => {
                let heads_per_gpu = (f64::from(spec.kv_heads) / tp).ceil().max(1.0);
                2.0 * heads_per_gpu * f64::from(spec.head_dim) * kv_b
            }
        };
        let kv_bytes_per_token = kv_per_layer * layers / pp;

        // Workspace: a full step's activations and the logits of a full batch (`T` =
        // `max_tokens` a GPU's step, per attention group). Exchanged point to point, a GPU's
        // experts receive `d·T·k ÷ ep = T·k ÷ tp` routed copies on average, as many as without
        // attention DP. All-gathered ([`ExpertExchange::AllGather`]), the MoE layer runs on
        // the tokens of all `d` groups, and the grouped-GEMM kernel sizes its buffers
        // (permuted inputs, gated FC1 output, FC2 output) for every routed copy, `d·T·k` rows,
        // since routing is only known at run time (TensorRT-LLM's CUTLASS MoE workspace is
        // `expanded_num_rows = num_rows × top_k` whatever the EP share; its attention-DP MoE
        // is not chunked below `max_num_tokens × dp_size` tokens by default), plus the
        // gathered hidden states, `d·T·h` 16-bit values. This is the peak TensorRT-LLM's KV
        // estimate sees: it runs a `max_num_tokens` step and gives the KV pool its fraction of
        // what is left after it (`(total − peak) × fraction`, `KvCacheCreator` in
        // `tensorrt_llm/_torch/pyexecutor/_util.py`).
        let gathered = d > 1.0 && calib.expert_exchange == ExpertExchange::AllGather;
        let activations = |t: f64| {
            let ffn_bytes = match &spec.moe {
                Some(m) => {
                    let (k, s, f) = (f64::from(m.active), f64::from(m.shared), f64::from(m.expert_ffn));
                    let copies = if gathered { d * k } else { k };
                    t * f * (copies + s) / tp * 2.0 * 3.0 + if gathered { d * t * h * 2.0 } else { 0.0 }
                }
                None => t * f64::from(spec.ffn) / tp * 2.0 * 3.0,
            };
            t * h * 2.0 * 8.0 + ffn_bytes
        };
        let logits_bytes = |b: f64| b * f64::from(spec.vocab) / tp * 4.0;
        // CUDA graphs ([`InferCalibration::cuda_graph_pool`]): TensorRT-LLM's PyTorch executor
        // captures a decode graph for each listed batch size up to `max_batch_size`
        // ([`CUDA_GRAPH_BATCHES`]) before it profiles memory, and the graphs' private pool,
        // the activations and logits of the largest captured batch, stays allocated outside
        // torch's count: the profiling adds it to the peak as "Memory used outside torch (e.g.,
        // NCCL and CUDA graphs)" before giving the KV pool its fraction of the rest
        // (`KvCacheCreator` in `tensorrt_llm/_torch/pyexecutor/_util.py`).
        let t = f64::from(engine.max_tokens);
        let graph_batch = CUDA_GRAPH_BATCHES
            .iter()
            .copied()
            .filter(|&b| b <= f64::from(engine.max_batch) / pp)
            .fold(0.0, f64::max);
        let graphs =
            if calib.cuda_graph_pool { activations(graph_batch) + logits_bytes(graph_batch) } else { 0.0 };
        let workspace = activations(t) + logits_bytes(f64::from(engine.max_batch)) + graphs;
        let workspace_gib = workspace / GIB;
        let free = cluster.memory_gib - weights_gib - workspace_gib - calib.reserved_gib;
        let kv_cache_gib = (free * engine.kv_memory_fraction).max(0.0);
        // Each attention group keeps its own sequences' KV cache.
        let kv_tokens = kv_cache_gib * GIB / kv_bytes_per_token * d;
        let memory = InferMemory {
            weights_gib,
            workspace_gib,
            reserved_gib: calib.reserved_gib,
            kv_cache_gib,
            total_gib: weights_gib + workspace_gib + calib.reserved_gib + kv_cache_gib,
            capacity_gib: cluster.memory_gib,
            kv_bytes_per_token,
            kv_tokens,
        };

        let head = f64::from(spec.vocab) * h;
        // The output head of a quantized checkpoint stays in 16 bits (above), so its GEMM runs
        // at the 16-bit tensor-core rate, not at the activations' low-precision one: its FLOPs
        // count `peak ÷ peak₁₆` times at the step's rate (2 for FP8, 4 for NVFP4 on Hopper and
        // Blackwell, whose dense peaks double with each halving of the width). With the head
        // streamed at 16 bits below 8 (above), on the 328 TensorRT-LLM v1.0 rows: 168 to 175
        // within 10 % (median 9.6 to 9.5 %); the 52 MLPerf v4.1 Offline rows 28 to 30. Llama 4
        // feels it most: its 202,048 × 5,120 head is 6 % of its 17B active weights.
        let head_rate = if wb < wb16 && cluster.attention_peak_flops > 0.0 {
            (cluster.peak_flops / cluster.attention_peak_flops).max(1.0)
        } else {
            1.0
        };
        let active = pc.active_matmul(spec);
        // A gated FFN does 2/3 of its FLOPs contracting over the hidden size (gate, up) and 1/3
        // over its width (down); attention projections contract over the hidden size.
        let k0 = calib.gemm_depth_overhead;
        let depth = |k: f64| if k > 0.0 { k / (k + k0) } else { 1.0 };
        let ffn_depth = |f: f64| 1.0 / (2.0 / 3.0 / depth(h) + 1.0 / 3.0 / depth(f));
        let depth = match &spec.moe {
            Some(m) => {
                // Experts sharded tensor-parallel (ep below tp) split their width.
                let split = (tp / f64::from(cfg.ep.min(cfg.tp))).max(1.0);
                (depth(h), ffn_depth(f64::from(m.expert_ffn) / if d > 1.0 { 1.0 } else { split }))
            }
            None => (ffn_depth(f64::from(spec.ffn) / tp), 1.0),
        };
        Replica {
            config: *cfg,
            engine: *engine,
            memory,
            speculation: None,
            layers_per_stage: layers / pp,
            hidden: h,
            dense_bytes_stage,
            expert_bytes_layer,
            moe_layers_stage: moe_layers / pp,
            experts,
            top_k,
            permute_dram_bytes: spec.moe.as_ref().map_or(0.0, |m| {
                let a = stored_bytes(cfg.precision.activations);
                (2.0 * a + 4.0) * h + (8.0 + 2.0 * a) * f64::from(m.expert_ffn)
            }),
            body_flops_per_token: 2.0 * (active - head) / gpus,
            expert_flops_per_token: if moe_layers > 0.0 {
                2.0 * top_k * routed / experts / gpus
            } else {
                0.0
            },
            head_flops_per_token: 2.0 * head / (tp * d) * head_rate,
            attention_per_token_per_context: attention_flops_per_token(spec, 1.0) / gpus,
            attention_dp: d,
            depth,
            cluster: cluster.clone(),
            calib: measured_calibration(cluster, calib),
            host_factor: if crate::hardware::grace_host(&cluster.accelerator) {
                calib.grace_host_factor
            } else {
                1.0
            },
            // The curves were measured with weights at the activations' width: weight-only
            // quantisation (int4 or int8 weights, bf16 GEMMs) keeps the fitted model.
            measured_gemm: cluster
                .measured
                .as_ref()
                .filter(|_| wb == cfg.precision.activations.bytes())
                .map(|m| {
                    let (dense, expert) = layer_shapes(spec, tp);
                    (nearest_mix(&m.gemm, &dense), nearest_mix(&m.gemm, &expert))
                })
                .filter(|(dense, _)| !dense.is_empty()),
        }
    }

    /// The dense GEMMs' efficiency (fraction of the dense peak) at `tokens` rows: measured,
    /// or the chip's large-GEMM efficiency with rows padded to the tile.
    #[must_use]
    pub fn dense_gemm_efficiency(&self, tokens: f64) -> f64 {
        match &self.measured_gemm {
            Some((mix, _)) => mix.at(tokens),
            None => {
                self.cluster.gemm_efficiency
                    * self.calib.gemm_fraction
                    * self.padded(tokens, self.calib.gemm_tile_rows)
                    * self.depth.0
            }
        }
    }

    /// The routed experts' GEMM efficiency at `rows` rows per expert.
    fn expert_gemm_efficiency(&self, rows: f64) -> f64 {
        match &self.measured_gemm {
            Some((_, mix)) if !mix.is_empty() => mix.at(rows),
            _ => {
                self.cluster.gemm_efficiency
                    * self.calib.gemm_fraction
                    * self.spread_padded(rows, self.calib.expert_tile_rows)
                    * self.depth.1
            }
        }
    }

    /// Useful fraction of a GEMM whose `m` rows are padded to a tile of `tile` rows.
    fn padded(&self, m: f64, tile: f64) -> f64 {
        if m <= 0.0 { 1.0 } else { m / ((m / tile).ceil() * tile) }
    }

    /// [`Self::padded`] for a grouped GEMM whose experts receive `m` rows on average: the
    /// router gives each expert a different count, so where an expert's last tile ends is
    /// spread over the tile and half a tile is padding on average, `m ÷ (m + tile/2)`, never
    /// less than one whole tile, `m ÷ tile` (a smooth expectation, where [`Self::padded`] of
    /// the mean would step at every tile boundary).
    fn spread_padded(&self, m: f64, tile: f64) -> f64 {
        if m <= 0.0 { 1.0 } else { m / (m + tile / 2.0).max(tile) }
    }

    /// Whether the weights and workspace leave room for any KV cache.
    #[must_use]
    pub fn fits(&self) -> bool {
        self.memory.kv_cache_gib > 0.0
    }

    /// Sequences of `tokens` tokens each the KV pool holds.
    #[must_use]
    pub fn kv_capacity(&self, tokens: f64) -> f64 {
        (self.memory.kv_tokens / tokens).floor()
    }

    /// One step on the slowest stage: `decode` sequences at mean context `decode_ctx`,
    /// `prefill` prompt tokens attending `prefill_ctx` on average, `heads` of them needing
    /// logits. With speculation each decode sequence verifies `k + 1` tokens and the draft
    /// runs `k` forwards at the decode batch first ([`StepTime::draft_s`]).
    #[must_use]
    pub fn step(
        &self,
        decode: f64,
        decode_ctx: f64,
        prefill: f64,
        prefill_ctx: f64,
        logits: f64,
    ) -> StepTime {
        let Some(s) = &self.speculation else {
            return self.roofline(decode, 1.0, decode_ctx, prefill, prefill_ctx, logits);
        };
        let q = f64::from(s.tokens) + 1.0;
        let mut t = self.roofline(decode, q, decode_ctx, prefill, prefill_ctx, logits + decode * (q - 1.0));
        if decode > 0.0 {
            let k = f64::from(s.tokens);
            let one = match &s.draft {
                Draft::Block { fraction, .. } => {
                    fraction * self.roofline(decode, 1.0, decode_ctx, 0.0, 0.0, decode).total_s
                }
                Draft::Model { replica, .. } => {
                    replica.roofline(decode, 1.0, decode_ctx, 0.0, 0.0, decode).total_s
                }
            };
            t.draft_s = k * one;
            t.total_s += t.draft_s;
        }
        t
    }

    /// Mean tokens a step emits per decode sequence: 1, or speculation's `τ`.
    #[must_use]
    pub fn tokens_per_step(&self) -> f64 {
        self.speculation.as_ref().map_or(1.0, Speculation::tokens_per_step)
    }

    /// This replica drafting and verifying with `s`: the draft's weights come out of the KV
    /// pool and its KV cache per token is added to the target's.
    #[must_use]
    pub fn with_speculation(mut self, s: Speculation) -> Replica {
        let (weights_gib, kv_bytes) = match &s.draft {
            // One layer's weights and KV on the stage that holds the draft (the last).
            Draft::Block { .. } => (
                self.memory.weights_gib / self.layers_per_stage,
                self.memory.kv_bytes_per_token / self.layers_per_stage,
            ),
            Draft::Model { replica, .. } => (replica.memory.weights_gib, replica.memory.kv_bytes_per_token),
        };
        let m = &mut self.memory;
        m.weights_gib += weights_gib;
        let free = m.capacity_gib - m.weights_gib - m.workspace_gib - m.reserved_gib;
        m.kv_cache_gib = (free * self.engine.kv_memory_fraction).max(0.0);
        m.kv_bytes_per_token += kv_bytes;
        m.kv_tokens = m.kv_cache_gib * GIB / m.kv_bytes_per_token;
        m.total_gib = m.weights_gib + m.workspace_gib + m.reserved_gib + m.kv_cache_gib;
        self.speculation = Some(s);
        self
    }

    /// The roofline step with `q` query tokens per decode sequence (each sequence's KV cache
    /// read once).
    fn roofline(
        &self,
        decode: f64,
        q: f64,
        decode_ctx: f64,
        prefill: f64,
        prefill_ctx: f64,
        logits: f64,
    ) -> StepTime {
        let c = &self.cluster;
        let cal = &self.calib;
        let tokens = decode * q + prefill;
        let bw = c.hbm_bytes_per_s * cal.hbm_efficiency;
        // Dense GEMMs: every token through the same weights.
        let expert_flops = tokens * self.expert_flops_per_token;
        let dense_flops =
            tokens * self.body_flops_per_token - expert_flops + logits * self.head_flops_per_token;
        let d = self.attention_dp;
        let dense_compute = dense_flops / (c.peak_flops * self.dense_gemm_efficiency(tokens / d));
        let dense_memory = self.dense_bytes_stage / bw;
        // Routed experts: the touched ones, each with its share of the tokens' copies.
        let touched = if self.moe_layers_stage > 0.0 {
            self.experts * (1.0 - (1.0 - self.top_k / self.experts).powf(tokens))
        } else {
            0.0
        };
        let (expert_compute, expert_memory) = if touched > 0.0 {
            let per_expert = tokens * self.top_k / touched;
            // Whole experts on each of ep GPUs: the layer waits for the busiest one.
            let straggler = if self.config.ep > 1 { cal.expert_imbalance } else { 1.0 };
            (
                straggler * expert_flops / (c.peak_flops * self.expert_gemm_efficiency(per_expert)),
                self.moe_layers_stage * self.expert_bytes_layer * touched / self.experts / bw,
            )
        } else {
            (0.0, 0.0)
        };
        let gemm_compute_s = dense_compute + expert_compute;
        let gemm_memory_s = dense_memory + expert_memory;
        // A measured GEMM time already holds the overlap of loads and tensor-core work near the
        // ridge: the larger of the two sides, not the fitted blend.
        let p = if self.measured_gemm.is_some() { f64::INFINITY } else { cal.roofline_sharpness };
        let roof = |a: f64, b: f64| match a.max(b) {
            m if m <= 0.0 => 0.0,
            m if p.is_infinite() => m,
            _ => (a.powf(p) + b.powf(p)).powf(1.0 / p),
        };
        let gemm_s = roof(dense_compute, dense_memory) + roof(expert_compute, expert_memory);
        let measured = c.measured.as_deref();
        let attn = |ctx: f64| self.attention_per_token_per_context * ctx;
        let fitted_attention = c.attention_peak_flops * c.attention_efficiency * cal.attention_efficiency;
        // Measured prefill attention is by prompt length: twice the mean context attended.
        let prefill_attention = measured
            .and_then(|m| m.prefill_attention.as_ref())
            .map_or(fitted_attention, |a| c.attention_peak_flops * a.at(2.0 * prefill_ctx));
        let attention_compute_s = attn(decode * q * decode_ctx) / fitted_attention
            + attn(prefill * prefill_ctx) / prefill_attention;
        let kv_efficiency =
            measured.and_then(|m| m.decode_kv.as_ref()).map_or(cal.kv_hbm_efficiency, |k| k.at(decode_ctx));
        let attention_memory_s =
            decode / d * decode_ctx * self.memory.kv_bytes_per_token / (c.hbm_bytes_per_s * kv_efficiency);
        let act = tokens / d * self.hidden * 2.0;
        let tp = f64::from(self.config.tp);
        let all_reduce = if self.config.tp > 1 {
            cal.collective_latency_s
                + 2.0 * (tp - 1.0) / tp * act / (c.scale_up_bytes_per_s * cal.collective_efficiency)
        } else {
            0.0
        };
        let p2p = if self.config.pp > 1 {
            cal.collective_latency_s + act / tp / (c.scale_up_bytes_per_s * cal.collective_efficiency)
        } else {
            0.0
        };
        let comm_s = 2.0 * self.layers_per_stage * all_reduce + p2p;
        let elementwise =
            tokens / d * cal.elementwise_bytes_per_hidden * self.hidden * self.layers_per_stage / tp / bw;
        // Each routed copy's traffic outside the GEMMs runs through the SMs and their L2 at a
        // rate set by the SMs' clock, and its DRAM share at the HBM's: the slower of the two.
        let copies = self.moe_layers_stage * tokens / d * self.top_k / tp;
        let traffic = cal.moe_permute_bytes_per_hidden * self.hidden;
        let sm_rate = c.vector_flops * cal.moe_permute_sm_bytes_per_flop;
        let permute = if sm_rate > 0.0 {
            copies * (self.permute_dram_bytes / bw).max(traffic / sm_rate)
        } else {
            copies * traffic / bw
        };
        // Each attention group's ranks schedule their own sequences, on their own host
        // processes at once.
        let host_s = cal.step_overhead_s + logits / d * cal.sequence_overhead_s * self.host_factor;
        let device_overhead_s = self.layers_per_stage * cal.layer_overhead_s
            + self.moe_layers_stage * cal.moe_layer_overhead_s
            + elementwise
            + permute;
        let overhead_s = host_s + device_overhead_s;
        let work_s = gemm_s + attention_compute_s.max(attention_memory_s) + overhead_s;
        let comm_s =
            comm_s + self.expert_exchange(tokens / d, Overlap { work_s, gemm_compute_s, gemm_memory_s });
        let device_s = gemm_s + attention_compute_s.max(attention_memory_s) + comm_s + device_overhead_s;
        let total_s =
            if cal.host_overlap && self.config.pp == 1 { device_s.max(host_s) } else { device_s + host_s };
        StepTime {
            gemm_compute_s,
            gemm_memory_s,
            attention_compute_s,
            attention_memory_s,
            comm_s,
            overhead_s,
            host_s,
            draft_s: 0.0,
            total_s,
        }
    }

    /// Wide EP's dispatch and combine over a stage's MoE layers, the part not hidden behind
    /// computation, seconds; zero without wide EP. `tokens` is one attention group's tokens
    /// this step, `o` what the step computes besides.
    ///
    /// **One exchange** (DeepEP's low-latency kernels, which SGLang and DeepSeek run for
    /// decode): each GPU sends every token's `k` routed copies to the GPUs holding those
    /// experts and gets them back weighted — dispatch in fp8 with one fp32 scale per 128
    /// values when the activations are 8-bit or narrower (`h·(1 + 4/128)` bytes a copy; else
    /// bf16, `2h`) and combine in bf16 (`2h`). Of the copies, `(n − 1)/ep` go to the
    /// other GPUs of the scale-up domain (`n` = its GPUs, at most `ep`) over the fabric and
    /// `(ep − n)/ep` over the GPU's NIC, both at once, so each of dispatch and combine takes
    /// `α + max(bytes_up ÷ (η·B_up), bytes_out ÷ (η·B_out))`
    /// with [`EP_EXCHANGE_LATENCY_S`] and [`EP_EXCHANGE_EFFICIENCY`], fitted on DeepEP's
    /// published kernel table (below). No collective tree: the kernels write straight into
    /// each peer's buffer, so the latency does not grow with the number of servers.
    ///
    /// **Two-batch overlap** (DeepSeek's decode and prefill design, SGLang `--enable-two-batch-overlap`): the
    /// batch runs as two micro-batches, one computing while the other's tokens are in flight, so
    /// a layer takes `max(c + x, a)` for computation `c`, exchange `a` and `x` what splitting
    /// costs: the weights streamed twice (the GEMMs' memory side counts again where it exceeds
    /// the compute side) and each layer's fixed kernel costs paid twice. The engine overlaps
    /// where that is cheaper than `c + a`, as SGLang's measurements show it does from about
    /// 64–128 tokens a GPU (lmsys.org/blog/2025-05-05-large-scale-ep: −27 % at 32, +25.5 % at
    /// 256 tokens a GPU).
    fn expert_exchange(&self, tokens: f64, o: Overlap) -> f64 {
        if self.attention_dp <= 1.0 || self.moe_layers_stage <= 0.0 || tokens <= 0.0 {
            return 0.0;
        }
        if self.calib.expert_exchange == ExpertExchange::AllGather {
            return self.moe_layers_stage * self.gathered_exchange(tokens);
        }
        let c = &self.cluster;
        let ep = f64::from(self.config.ep);
        let node = f64::from(c.node_size.max(1)).min(ep);
        let h = self.hidden;
        let act = self.config.precision.activations.bytes();
        let dispatch = if act <= 1.0 { h * (1.0 + 4.0 / 128.0) } else { 2.0 * h };
        let copies = tokens / f64::from(self.config.tp) * self.top_k;
        let one = |width: f64| {
            let bytes = copies * width;
            let up = bytes * (node - 1.0) / ep / (c.scale_up_bytes_per_s * EP_EXCHANGE_EFFICIENCY);
            let out = bytes * (ep - node) / ep / (c.scale_out_bytes_per_s * EP_EXCHANGE_EFFICIENCY);
            EP_EXCHANGE_LATENCY_S + up.max(out)
        };
        let a = one(dispatch) + one(2.0 * h);
        // Per layer of the stage: the computation, and what two micro-batches add to it.
        let layers = self.layers_per_stage;
        let work = o.work_s / layers;
        let cal = &self.calib;
        let split = ((o.gemm_compute_s.max(2.0 * o.gemm_memory_s) - o.gemm_compute_s.max(o.gemm_memory_s))
            + layers * cal.layer_overhead_s
            + self.moe_layers_stage * cal.moe_layer_overhead_s)
            / layers;
        let overlapped = (work + split).max(a) - work;
        self.moe_layers_stage * a.min(overlapped)
    }

    /// One MoE layer's all-gather and reduce-scatter ([`ExpertExchange::AllGather`]), seconds:
    /// `tokens` of each of the `d` attention groups (per tensor-parallel rank) gathered by every
    /// GPU of the stage before the experts and their outputs reduce-scattered after. A ring
    /// collective moves `(d − 1)` groups' worth through each GPU's link, so each takes
    /// `α + (d − 1)·T·w ÷ (η·B)` with `w` the bytes a token carries: the hidden state quantised
    /// before the gather at the activations' width (NVFP4 adds one fp8 scale per 16 values:
    /// `h·(½ + 1/16)`; fp8 `h`; else `2h`), the bf16 outputs `2h` after; `α` and `η` the
    /// collectives' latency and bus efficiency ([`InferCalibration::collective_latency_s`],
    /// [`InferCalibration::collective_efficiency`]), `B` the scale-up link one way (the NIC
    /// where the groups span servers).
    fn gathered_exchange(&self, tokens: f64) -> f64 {
        let c = &self.cluster;
        let cal = &self.calib;
        let d = self.attention_dp;
        let h = self.hidden;
        let act = self.config.precision.activations.bytes();
        let gather = if act < 1.0 {
            h * (act + 1.0 / 16.0)
        } else if act <= 1.0 {
            h
        } else {
            2.0 * h
        };
        let per_rank = tokens / f64::from(self.config.tp);
        let ep = f64::from(self.config.ep);
        let link = if ep <= f64::from(c.node_size.max(1)) {
            c.scale_up_bytes_per_s
        } else {
            c.scale_out_bytes_per_s
        };
        let one = |width: f64| {
            cal.collective_latency_s + (d - 1.0) * per_rank * width / (link * cal.collective_efficiency)
        };
        one(gather) + one(2.0 * h)
    }

    /// The cluster.
    #[must_use]
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }
}

/// Batch-1 decode on one chip: the largest of Llama 3.1 70B and 8B whose weights fit one GPU,
/// at the widest precision among bf16, fp16, fp8 and int8 that the chip computes in and that
/// fits; one sequence at 1,000 tokens of context. Returns (model, precision, step seconds,
/// weight bytes ÷ peak HBM bandwidth seconds), or `None` when neither model fits.
#[must_use]
pub fn batch_one_decode(
    c: &crate::catalog::Catalog,
    gpu: &str,
    calib: &InferCalibration,
) -> Option<(String, Precision, f64, f64)> {
    use super::config::Precisions;
    use crate::train::Calibration;
    for model in ["llama3.1-70b", "llama3.1-8b"] {
        let spec = c.model(model).ok()?;
        for p in [Precision::Bf16, Precision::Fp16, Precision::Fp8, Precision::Int8] {
            let prec = Precisions::uniform(p);
            let Ok(cluster) = Cluster::new(c, gpu, None, p, &Calibration::default()) else { continue };
            let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: prec };
            let r = Replica::new(spec, &cluster, &cfg, &Engine::default(), calib);
            if !r.fits() || r.kv_capacity(1001.0) < 1.0 {
                continue;
            }
            let ideal = spec.params().total * p.bytes() / cluster.hbm_bytes_per_s;
            let step = r.step(1.0, 1000.0, 0.0, 0.0, 1.0).total_s;
            return Some((model.to_string(), p, step, ideal));
        }
    }
    None
}

#[cfg(test)]
mod exchange_tests {
    use super::{Overlap, Replica};
    use crate::Catalog;
    use crate::infer::{Engine, InferCalibration, InferConfig, Precisions};
    use crate::precision::Precision;
    use crate::train::{Calibration, Cluster};

    /// DeepSeek-V3 fp8 with tp 1 and `ep` experts-parallel GPUs on H100 servers (8 GPUs, one
    /// 400 Gb/s NIC each: DeepEP's H800 test rig has the same NIC and GPUs per server).
    fn replica(ep: u32) -> Replica {
        let c = Catalog::builtin().unwrap();
        let spec = c.model("deepseek-v3").unwrap();
        let cl = Cluster::new(&c, "h100-sxm", None, Precision::Fp8, &Calibration::default()).unwrap();
        let cfg = InferConfig { tp: 1, pp: 1, ep, precision: Precisions::uniform(Precision::Fp8) };
        Replica::new(spec, &cl, &cfg, &Engine::default(), &InferCalibration::default())
    }

    /// Dispatch + combine of one MoE layer against DeepEP's low-latency table (docs/legacy.md:
    /// 128 tokens a GPU, top-8, hidden 7168, fp8 dispatch, bf16 combine), nothing to hide
    /// behind.
    #[test]
    fn exchange_matches_deepep_low_latency_kernels() {
        let nothing = Overlap { work_s: 0.0, gemm_compute_s: 0.0, gemm_memory_s: 0.0 };
        for (ep, dispatch_us, combine_us) in [
            (16, 118.0, 195.0),
            (32, 155.0, 273.0),
            (64, 173.0, 314.0),
            (128, 192.0, 369.0),
            (256, 194.0, 360.0),
        ] {
            let r = replica(ep);
            let per_layer = r.expert_exchange(128.0, nothing) / r.moe_layers_stage;
            let published = (dispatch_us + combine_us) * 1e-6;
            let err = per_layer / published - 1.0;
            assert!(err.abs() < 0.06, "ep {ep}: {:.0} µs against {:.0} µs", per_layer * 1e6, published * 1e6);
        }
    }

    /// TensorRT-LLM's all-gather exchange: Qwen3-235B-A22B (hidden 4,096) on 8 B200 as 8
    /// attention groups of 512 tokens each, NVFP4: each MoE layer gathers 7 × 512 tokens at
    /// 4,096 × (½ + 1/16) bytes and reduce-scatters 7 × 512 × 4,096 × 2 bytes over the
    /// 900 GB/s one-way NVLink at the collectives' efficiency, plus their latencies; it does
    /// not depend on top-k (every token goes to every GPU) and grows with the group count.
    #[test]
    fn all_gather_exchange_matches_a_hand_computation() {
        use crate::infer::ExpertExchange;
        let c = Catalog::builtin().unwrap();
        let mut spec = c.model("deepseek-v3").unwrap().clone();
        spec.hidden = 4096;
        let cl = Cluster::new(&c, "b200", None, Precision::Fp4, &Calibration::default()).unwrap();
        let cal =
            InferCalibration { expert_exchange: ExpertExchange::AllGather, ..InferCalibration::default() };
        let cfg = |ep| InferConfig { tp: 1, pp: 1, ep, precision: Precisions::uniform(Precision::Fp4) };
        let r = Replica::new(&spec, &cl, &cfg(8), &Engine::default(), &cal);
        let link = cl.scale_up_bytes_per_s * cal.collective_efficiency;
        let hand = 2.0 * cal.collective_latency_s
            + 7.0 * 512.0 * 4096.0 * (0.5 + 1.0 / 16.0) / link
            + 7.0 * 512.0 * 4096.0 * 2.0 / link;
        let got = r.gathered_exchange(512.0);
        assert!((got - hand).abs() / hand < 1e-12, "{got} vs {hand}");
        let nothing = Overlap { work_s: 0.0, gemm_compute_s: 0.0, gemm_memory_s: 0.0 };
        assert!((r.expert_exchange(512.0, nothing) - r.moe_layers_stage * hand).abs() < 1e-12);
        let four = Replica::new(&spec, &cl, &cfg(4), &Engine::default(), &cal);
        assert!(four.gathered_exchange(512.0) < got);
    }

    /// Two-batch overlap never costs more than running without it, and hides the exchange
    /// behind enough computation.
    #[test]
    fn overlap_hides_the_exchange_behind_computation() {
        let r = replica(72);
        let bare = r.expert_exchange(256.0, Overlap { work_s: 0.0, gemm_compute_s: 0.0, gemm_memory_s: 0.0 });
        let behind =
            r.expert_exchange(256.0, Overlap { work_s: 1.0, gemm_compute_s: 0.5, gemm_memory_s: 0.01 });
        // What stays is what splitting costs: each layer's fixed kernel costs paid twice.
        assert!(bare > 0.0 && behind > 0.0 && behind < 0.15 * bare, "{bare} {behind}");
        // Memory-bound GEMMs: splitting the batch streams the weights twice, so the overlap
        // is declined when that costs more than the exchange.
        let memory_bound =
            r.expert_exchange(256.0, Overlap { work_s: 1.0, gemm_compute_s: 0.0, gemm_memory_s: 0.9 });
        assert!((memory_bound - bare).abs() < 1e-12, "{memory_bound} {bare}");
    }

    /// SGLang measures two-batch overlap losing at small decode batches (−27 % at 32 tokens a
    /// GPU) and winning at large ones (+25.5 % at 256): the model declines it at 32 (the
    /// step's communication is the bare exchange) and takes it at 256 (less than the bare
    /// exchange).
    #[test]
    fn overlap_declined_at_small_decode_batches_and_taken_at_large() {
        let r = replica(72);
        let nothing = Overlap { work_s: 0.0, gemm_compute_s: 0.0, gemm_memory_s: 0.0 };
        for (per_gpu, overlapped) in [(32.0, false), (256.0, true)] {
            let t = r.step(per_gpu * 72.0, 2000.0, 0.0, 0.0, per_gpu * 72.0);
            let bare = r.expert_exchange(per_gpu, nothing);
            if overlapped {
                assert!(t.comm_s < 0.6 * bare, "{per_gpu}: {} of {bare}", t.comm_s);
            } else {
                assert!((t.comm_s - bare).abs() < 1e-12, "{per_gpu}: {} of {bare}", t.comm_s);
            }
        }
    }
}
