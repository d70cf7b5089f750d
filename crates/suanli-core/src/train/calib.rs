//! Constants of the step-time model: physical ones (`Calibration`) and those of the software
//! stack (`Stack`), each fitted on or taken from published data.
//!
//! The fit: `suanli validate training` against `validation/training.csv` (13 runs: Megatron-LM
//! on A100 in 2021, Meta's LLaMA-65B run, NVIDIA NeMo on H100 with FP8 in 2024). No constant
//! is per row; a row's software stack follows from its source (Megatron-LM 2021 → `legacy`,
//! the others → `modern`).

use serde::Serialize;

/// Physical constants. [`Calibration::default`] holds the fitted values: a grid search
/// (`cargo run --release -p suanli-core --example fit_training`) over the six constants marked
/// *fitted*, minimising median + worst absolute error on `validation/training.csv`, then
/// rounded to physically plausible values (median 6.3 %, worst 11.9 %). The others are
/// measured or assumed as documented.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Fraction of dense peak a large GEMM reaches when the chip's catalog has no measured
    /// maximum achievable matmul FLOPS (MAMF). Measured MAMF: A100 87 %, H100 80 % (BF16).
    pub default_gemm_efficiency: f64,
    /// The same for Blackwell-class chips (`arch` starting with `blackwell`), for which the
    /// catalog has no measured MAMF: fitted on the published Megatron-Bridge runs on B200,
    /// GB200, B300 and GB300 (FP8, MXFP8, NVFP4 and BF16 recipes).
    pub gemm_efficiency_blackwell: f64,
    /// The same for Blackwell Ultra chips (`arch` `blackwell-ultra`: B300, GB300) at 16 and 8
    /// bits: the same tensor cores as Blackwell but a 1,100-1,400 W budget (B200 1,000 W,
    /// GB200 1,200 W), so large GEMMs hold their clocks nearer the rated peak. Fitted on the
    /// published Megatron-Bridge B300 and GB300 FP8, MXFP8 and BF16 runs, which came out
    /// 8-23 % slow (median by chip and recipe) at the Blackwell figure: 0.6; refitted to 0.62
    /// once the output layer runs at the BF16 rate under 8-bit recipes (it is not a
    /// Transformer Engine module, see `train::time::evaluate`): the 47 B300 and GB300
    /// Megatron-Bridge training and fine-tuning rows' median signed error −4.1 % → −2.2 %,
    /// level with the B200 and GB200 rows' −2.2 % at the Blackwell figure.
    pub gemm_efficiency_blackwell_ultra: f64,
    /// The same for FP4 (NVFP4 / MXFP4) GEMMs on Blackwell-class chips, whose 2-3x peak is
    /// reached less fully (block scales, smaller tiles per byte of operands): fitted on the
    /// published NVFP4 training runs.
    pub gemm_efficiency_blackwell_fp4: f64,
    /// GEMM dimension at which efficiency halves (tile and wave quantisation): efficiency =
    /// MAMF fraction × d ÷ (d + `gemm_half_dim`) for the smallest GEMM dimension d.
    pub gemm_half_dim: f64,
    /// Attention-core (QKᵀ, softmax, AV) forward throughput as a fraction of the chip's dense
    /// BF16 peak, FLOPs counted as executed (a fused kernel skips the masked half of causal
    /// attention), for chip classes before Blackwell. Fitted on the published long-sequence
    /// runs (NeMo, Llama 2 7B on H100 at 4K-1M tokens, where attention dominates); FlashAttention-3
    /// reaches 0.6-0.75 forward on H100 (Shah et al. 2024, arXiv:2407.08608).
    pub attention_efficiency: f64,
    /// The same for Blackwell-class chips (`arch` starting with `blackwell`: 5th-generation
    /// tensor cores with tensor memory), fitted on NeMo's Llama 3 8B B200 runs at 8K-1M tokens.
    pub attention_efficiency_blackwell: f64,
    /// Memory-bound traffic (norms, residual adds, dropout, activation functions, casts) per
    /// token per layer per unit of hidden size, bytes, forward pass, with unfused kernels;
    /// the backward pass moves twice this.
    pub elementwise_bytes_unfused: f64,
    /// The same with Transformer Engine's fused kernels.
    pub elementwise_bytes_fused: f64,
    /// Memory traffic of MoE token routing per routed copy of a token, bytes per unit of
    /// hidden size, forward pass: the permutation that groups tokens by expert reads and writes
    /// each copy (2 + 2 bytes in bf16) and the un-permutation with the gate-weighted sum reads
    /// and writes it again (2 + 2): 8. The backward pass moves twice this.
    pub moe_permute_bytes_per_hidden: f64,
    /// Memory traffic of the biases of routed experts (GPT-OSS), bytes per routed copy of a
    /// token per unit of hidden size, forward and backward together, where the experts run
    /// eagerly ([`Stack::moe_static_graphs`] false). Megatron-Core's grouped experts do not
    /// fuse the second linear layer's bias into the GEMM, since each copy's bias is scaled by
    /// its router probability: `TEGroupedMLP._apply_bias` (Megatron-Core 0.15-0.18) forms
    /// `b · p` per expert in fp32 (write 4), adds the bf16 output (read 2 + 4, write 4),
    /// concatenates the experts' rows (read 4, write 4) and casts back (read 4, write 2),
    /// 28 bytes an element forward; autograd runs the cast, concatenation, add and product
    /// backwards (about 32), 60 in all. The first layer's bias is fused into the
    /// activation; its gradient reads the layer's bf16 output gradient once more (2 bytes per
    /// element of the fc1 width), which the step model adds per routed copy. Not fitted.
    pub moe_expert_bias_bytes_per_hidden: f64,
    /// Memory traffic of quantising a GEMM input for an FP8 / MXFP8 / NVFP4 recipe, bytes per
    /// element: read the bf16 tensor (2), write the low-precision copy (1 for FP8, with its
    /// scales; FP4 writes half but adds the random Hadamard transform's pass), 3. The backward
    /// pass quantises the gradients (and MXFP8 the transposed copies), so it moves about twice
    /// the forward's, as the other elementwise traffic.
    pub quantise_bytes_per_element: f64,
    /// Fraction of tensor-parallel communication hidden behind GEMMs when overlapped.
    pub tp_overlap_fraction: f64,
    /// Fraction of peak HBM bandwidth memory-bound kernels reach.
    pub memory_efficiency: f64,
    /// Fraction of the scale-out NIC line rate a large collective reaches across servers
    /// (NCCL bus bandwidth ÷ NIC rate).
    pub collective_efficiency: f64,
    /// Fraction of the scale-out NIC line rate a MoE token dispatch or combine (an all-to-all)
    /// reaches across servers: each GPU's tokens leave through its own NIC straight to their
    /// peers, with no reduction and no multi-hop ring, so the transfer runs near the link
    /// rate. DeepEP's normal kernels measure 43-58 GB/s of RDMA bottleneck bandwidth for 16 to
    /// 64 expert-parallel ranks over 400 Gb/s ConnectX-7 (about 50 GB/s), dispatch and combine
    /// alike (deepseek-ai/DeepEP README, "Normal kernels with NVLink and RDMA forwarding"):
    /// 0.9, taken for the `alltoall` dispatcher's NCCL all-to-all as well. Not fitted; on the
    /// published Megatron-Bridge rows 0.8-0.95 give the same training figures within half a
    /// point, while the all-reduce figure ([`Calibration::collective_efficiency`], 0.5) left
    /// the cross-server expert-parallel rows (DeepSeek-V3 on B200 at ep 32 and on H100 at ep
    /// 64) 27-51 % slow.
    pub all_to_all_efficiency: f64,
    /// Fraction of the scale-out NIC line rate a context-parallel ring step reaches between
    /// servers: each GPU sends its keys and values to one peer over its own NIC, with no
    /// reduction and no multi-hop ring, so NCCL send/receive runs near the link rate
    /// (`sendrecv_perf` across two nodes at about 90 % of the port's rate, against about half
    /// for an all-reduce's bus bandwidth, [`Calibration::collective_efficiency`]). Fitted on
    /// the NeMo long-sequence rows (Llama 2 7B on H100 at cp 4-32: the 256K-1M rows move from
    /// 18-26 % slow to 8-12 %). Pipeline sends still take `collective_efficiency`: moving them
    /// to this figure helps the published set but puts LLaMA-65B of `validation/training.csv`
    /// at +17 %, past its tolerance (unresolved).
    pub p2p_efficiency: f64,
    /// Fraction of the scale-up link rate (one direction) a large collective reaches inside a
    /// server: NCCL all-reduce bus bandwidth on 8 × H100 over NVLink 4 peaks near 360 GB/s of
    /// the 450 GB/s per direction, 0.8 (NVIDIA nccl-tests; S. Bekman, Machine Learning
    /// Engineering, "Network"). The time of a collective of `S` bus bytes is `α + S ÷ (η·B)`,
    /// so the achieved bus bandwidth follows `S ÷ (α + S/(η·B))`, half the peak at `S = α·η·B`.
    pub scale_up_bus_efficiency: f64,
    /// Slow-down of compute while communication runs beneath it: the collective's kernels take
    /// SMs and memory bandwidth, so each second of hidden communication still costs this many
    /// seconds of compute.
    pub overlap_interference: f64,
    /// The same for expert all-to-alls overlapped with another micro-batch's compute
    /// ([`Stack::ep_comm_overlap`]): DeepEP / HybridEP dispatch and combine run as kernels that
    /// hold 20-32 SMs while they move data (DeepEP's normal kernels 20-24 of an H800's 132;
    /// Megatron-Bridge's full-iteration recipes give HybridEP's preprocessing 32), and a layer's
    /// experts wait for their tokens, so hidden expert traffic costs more compute than a
    /// tensor-parallel collective's. Fitted (0.1-0.7 scanned) on the ten full-iteration MoE rows
    /// of the published set (DeepSeek-V3, Qwen3-30B-A3B, Qwen3-235B-A22B, GPT-OSS-120B on GB200,
    /// GB300 and B300, NeMo 26.06 and 26.08): 0.5 (those rows' median |error| 16 % → 6 %).
    pub ep_overlap_interference: f64,
    /// Small-message latency `α` of an all-reduce inside a server (NCCL over NVLink, about
    /// 10 µs), seconds; reduce-scatter, all-gather, all-to-all and point-to-point sends take
    /// half.
    pub collective_latency_s: f64,
    /// The same across two servers (NCCL over InfiniBand/RoCE: tens of µs; 47 µs for a
    /// multi-node all-reduce of a few KB), seconds; a group over `N` servers takes
    /// `(1 + log₂ N) ÷ 2` times this (tree depth).
    pub collective_latency_inter_s: f64,
    /// Attention backward ÷ forward time of a fused (FlashAttention) kernel: the backward runs
    /// five `s²` GEMMs (recomputing `QKᵀ`, then `dV`, `dP`, `dQ`, `dK`) against the forward's two
    /// (Dao 2023, arXiv:2307.08691, section 3.1.2), so 2.5.
    pub attention_backward_ratio: f64,
    /// Memory the allocator holds beyond what tensors need (PyTorch caching-allocator
    /// fragmentation), as a fraction of the tensors' bytes.
    pub fragmentation_fraction: f64,
    /// Fixed per-layer, per-micro-batch cost of kernel launches and framework work, seconds,
    /// forward pass (backward twice).
    pub layer_overhead_s: f64,
    /// Host-side cost of a MoE layer per expert a GPU holds, per micro-batch, seconds, forward
    /// pass (backward twice): Transformer Engine's grouped linear layers split and launch the
    /// GEMMs of every local expert (fc1, activation, fc2, and the permutation's per-expert
    /// offsets) after the dropless router's token counts reach the host, so the launches are
    /// not hidden behind earlier kernels. Paid only by stacks that run MoE layers eagerly
    /// ([`Stack::moe_static_graphs`] false: Megatron-Bridge before NeMo 26.06). Fitted
    /// (`examples/fit_published.rs`) on the 60 MoE rows of the published Megatron-Bridge set
    /// from NeMo 25.09 to 26.04.01 (DeepSeek-V3, Kimi-K2, Qwen3-30B-A3B and 235B-A22B,
    /// GPT-OSS-120B on H100, B200, B300, GB200 and GB300, 2 to 32 local experts): 80 µs
    /// (published training median |error| 16.0 % → 13.3 %, p90 49 % → 35 %).
    pub moe_expert_overhead_s: f64,
    /// Memory held outside model state and activations (CUDA context, NCCL buffers,
    /// allocator fragmentation), GiB.
    pub reserved_gib: f64,
}

impl Calibration {
    /// The attention efficiency of a chip class (`Cluster::arch`).
    #[must_use]
    pub fn attention_efficiency_for(&self, arch: Option<&str>) -> f64 {
        match arch {
            Some(a) if a.starts_with("blackwell") => self.attention_efficiency_blackwell,
            _ => self.attention_efficiency,
        }
    }
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            default_gemm_efficiency: 0.75,
            gemm_efficiency_blackwell: 0.5,
            gemm_efficiency_blackwell_ultra: 0.62,
            gemm_efficiency_blackwell_fp4: 0.4,
            gemm_half_dim: 512.0,
            attention_efficiency: 0.6,
            attention_efficiency_blackwell: 0.75,
            elementwise_bytes_unfused: 40.0,
            elementwise_bytes_fused: 40.0,
            moe_permute_bytes_per_hidden: 8.0,
            moe_expert_bias_bytes_per_hidden: 60.0,
            quantise_bytes_per_element: 3.0,
            tp_overlap_fraction: 0.9,
            memory_efficiency: 0.7,
            collective_efficiency: 0.5,
            all_to_all_efficiency: 0.9,
            p2p_efficiency: 0.9,
            scale_up_bus_efficiency: 0.8,
            overlap_interference: 0.1,
            ep_overlap_interference: 0.5,
            collective_latency_s: 10e-6,
            collective_latency_inter_s: 47e-6,
            attention_backward_ratio: 2.5,
            fragmentation_fraction: 0.05,
            layer_overhead_s: 120e-6,
            moe_expert_overhead_s: 80e-6,
            reserved_gib: 3.0,
        }
    }
}

/// What the training software does, as facts about it: whether elementwise kernels are fused
/// (Transformer Engine), whether attention is a fused FlashAttention-style kernel, whether
/// tensor-parallel communication is overlapped with GEMMs. The magnitudes live in
/// [`Calibration`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stack {
    /// Name.
    pub name: &'static str,
    /// Norms, activations, bias and residual adds fused into few kernels (Transformer Engine).
    pub fused_elementwise: bool,
    /// Attention in one fused kernel (FlashAttention, xformers): scores never reach memory.
    pub flash_attention: bool,
    /// Tensor-parallel collectives overlapped with GEMMs (userbuffers / TP comm overlap).
    pub tp_comm_overlap: bool,
    /// Bytes per logit (token × vocabulary entry) held at the loss: 4 for a fused fp32
    /// cross-entropy (Megatron's vocab-parallel loss); 18 for Hugging Face transformers, which
    /// keeps the bf16 logits (2), their fp32 upcast (4), the contiguous shifted copy the loss
    /// takes (4), the fp32 log-softmax (4) and its fp32 gradient (4).
    pub logits_bytes: f64,
    /// MoE tokens dispatched hierarchically (DeepEP / HybridEP, Megatron-Core's `flex`
    /// dispatcher): a token bound for several experts on one remote server crosses the
    /// scale-out network once and is copied to them over the scale-up fabric there, in place
    /// of one copy per expert (the `alltoall` dispatcher).
    pub hierarchical_dispatch: bool,
    /// The whole iteration, MoE layers included, replayed from CUDA graphs with static
    /// expert buffers (Megatron-Core `cuda_graph_impl = "full_iteration"` with
    /// `moe_paged_stash` and an expert capacity factor): no host work per local expert
    /// ([`Calibration::moe_expert_overhead_s`] is not paid). The same recipes run the experts
    /// through Transformer Engine's fused grouped MLP (`cutedsl_fused_grouped_mlp`, Megatron-Core
    /// `use_transformer_engine_op_fuser`), which applies the probability-scaled fc2 bias inside
    /// the grouped GEMM ([`Calibration::moe_expert_bias_bytes_per_hidden`] is not paid either).
    pub moe_static_graphs: bool,
    /// MoE dispatch and combine overlapped with another micro-batch's compute (Megatron-Core
    /// `overlap_moe_expert_parallel_comm` with `delay_wgrad_compute`: the schedule pairs one
    /// micro-batch's forward pass with another's backward pass layer by layer and runs each
    /// one's all-to-alls beneath the other's compute). Every full-iteration MoE recipe of
    /// Megatron-Bridge sets it (`moe_a2a_overlap = True` beside each `cuda_graph_impl =
    /// "full_iteration"` in v0.5.0 `scripts/performance/configs/*/*_workload_base_configs.py`;
    /// `overlap_moe_expert_parallel_comm = True` in v0.6.0 `perf_recipes/{qwen,deepseek}/
    /// common.py`), so [`Stack::of_megatron_bridge_recipe`] turns it on for those recipes. The
    /// eager recipes that set `moe_a2a_overlap` get it from `moe_dispatch`. The presets leave
    /// it off: most eager recipes set `moe_a2a_overlap = False`, and NeMo-RL's
    /// Megatron training (the RL rows, which take `modern`) does not overlap.
    pub ep_comm_overlap: bool,
    /// The recipes train with hidden dropout, so each layer stores two dropout masks (after
    /// attention and after the MLP, one byte an element: 2 of Korthikanti et al.'s 34 bytes
    /// per `s·b·h`). Megatron-LM's GPT-3 runs used dropout 0.1; the Megatron-Bridge recipes
    /// of the models in the published set (Llama 3, Qwen3, DeepSeek-V3, GPT-OSS)
    /// set `hidden_dropout = attention_dropout = 0`, as do Llama's Hugging Face configs, and
    /// store no masks.
    pub dropout: bool,
    /// Bytes per gradient element the data-parallel reduction moves: 4 with Megatron's
    /// default fp32 reduction, 2 where the recipe reduces in bf16 (Megatron-Bridge's
    /// performance scripts set `grad_reduce_in_fp32 = False` for every model,
    /// `scripts/performance/configs/*/*_llm_pretrain.py`).
    pub grad_reduce_bytes: f64,
    /// Rotary embeddings applied by PyTorch ops rather than the fused kernel the rest of the
    /// stack would use ([`UNFUSED_ROPE_BYTES`] a query or key element). Megatron-Bridge turns
    /// `apply_rope_fusion` off for any position embedding but plain `rope`
    /// (`validate_rope_fusion_compatibility`, `src/megatron/bridge/utils/fusions.py` from
    /// v0.3.0, called by `GPTModelProvider.provide`), and GPT-OSS runs YaRN
    /// (`position_embedding_type = "yarn"` in its provider and bridge), so its recipes pay it
    /// ([`Stack::of_megatron_bridge_recipe`]). The presets leave it off: the fused stacks run
    /// Transformer Engine's fused RoPE, and the unfused stacks' elementwise bytes
    /// ([`Calibration::elementwise_bytes_unfused`]) already hold their RoPE ops.
    pub rope_unfused: bool,
    /// Modules the recipe recomputes on top of the layout's recomputation option
    /// (Megatron-Core `recompute_granularity = "selective"` with `recompute_modules`), set
    /// only from a published Megatron-Bridge recipe ([`Stack::of_megatron_bridge_recipe`]);
    /// not a user-facing setting, so not serialised.
    #[serde(skip)]
    pub recompute_modules: RecomputeModules,
}

/// Modules a Megatron-Core recipe recomputes in the backward pass besides the attention core
/// (`recompute_modules` of `TransformerConfig`): each one's forward is re-run before its
/// backward and its output is not kept (Megatron-Core `CheckpointWithoutOutput`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecomputeModules {
    /// `layernorm`: the two norms of every layer (input and pre-MLP norm).
    pub layernorm: bool,
    /// `moe_act`: the routed experts' activation function (the gated product of fc1's halves).
    pub moe_act: bool,
    /// `mla_up_proj`: multi-head latent attention's up-projections (the query and key-value
    /// GEMMs from the compressed latents to the heads).
    pub mla_up_proj: bool,
}

impl RecomputeModules {
    /// Nothing recomputed beyond the layout's option.
    pub const NONE: RecomputeModules =
        RecomputeModules { layernorm: false, moe_act: false, mla_up_proj: false };
}

/// Extra HBM bytes per query or key element, forward and backward together, of rotary
/// embeddings applied by unfused PyTorch ops (Megatron-Core's `_apply_rotary_pos_emb_bshd`:
/// `t·cos + rotate_half(t)·sin`) over the fused kernel. Forward, in bf16: `rotate_half`
/// reads and writes the tensor and negates half of it (6 bytes), the two products read and
/// write it each (8), the sum reads two and writes one (6): 20 bytes; the backward pass runs
/// the same ops on the gradient: 20 more. The fused kernel reads and writes each element once
/// a pass (8 bytes), so 40 − 8 = 32 extra.
pub const UNFUSED_ROPE_BYTES: f64 = 32.0;

/// HBM bytes per element of a routed expert's first-layer output (the `2·F` gate and linear
/// halves, bf16), forward pass, of a clamped gated activation run eagerly (Megatron-Core
/// `weighted_bias_quick_geglu_impl` with `clamp_value`, 0.15 to 0.19: the clamps and the
/// concatenation are plain PyTorch ops outside the fused activation kernel). The gate half's
/// `clamp(max)` and the linear half's `clamp(−c, c)` read and write their half (2 + 2 bytes
/// per element of it, 2 per element of the whole), then `torch.cat` reads and writes the
/// whole (4): 8 bytes. Recomputing the activation (`recompute_modules` with `moe_act`) runs
/// them again.
pub(crate) const CLAMPED_GLU_FORWARD_BYTES: f64 = 8.0;

/// The same, backward pass: autograd's `clamp_backward` is `where(x ≤ c, g, 0)` for the gate
/// half (the comparison reads 2 and writes a 1-byte mask, `where` reads 1 + 2 and writes 2: 8
/// per element of the half) and `where((x ≥ −c) ∧ (x ≤ c), g, 0)` for the linear half (two
/// comparisons 3 each, the `and` 3, `where` 5: 14), 11 per element of the whole; the
/// gradient of `chunk` concatenates the halves' gradients (read 2, write 2): 15 bytes.
pub(crate) const CLAMPED_GLU_BACKWARD_BYTES: f64 = 15.0;

/// Dense 16-bit tensor-core FLOPs a chip issues in the time its special-function units
/// produce one exponential (`exp2`), per streaming multiprocessor and clock: the SFU (MUFU)
/// returns 16 `exp2` a clock per SM on Ampere, Hopper and Blackwell (CUDA C++ Programming
/// Guide, arithmetic-instruction throughput table: 16 for compute capabilities 8.0, 9.0 and
/// 10.0), against 2,048 dense BF16 tensor FLOPs a clock per SM on A100 (312 TFLOP/s over 108
/// SMs at 1.41 GHz), 4,096 on H100 (989 over 132 at 1.83 GHz) and 8,192 on B200 and GB200
/// (5th-generation tensor cores: 2.25 PFLOP/s over 148 SMs at about 1.86 GHz), so 128, 256 and
/// 512. Blackwell Ultra (B300, GB300) doubles the SFU's exponential rate for attention (NVIDIA,
/// "Inside NVIDIA Blackwell Ultra", 2025: 2× attention-layer acceleration) on the same tensor
/// cores: 256. The workstation and consumer Blackwell parts (RTX PRO 6000, RTX 5090: compute
/// capability 12.0, without the 5th-generation tensor cores) and other chips: `None` (not
/// modelled, the attention stays bound by its products).
#[must_use]
pub(crate) fn tensor_flops_per_exponential(accelerator: &str, arch: Option<&str>) -> Option<f64> {
    match (accelerator, arch) {
        ("b200" | "gb200", _) => Some(512.0),
        (_, Some("blackwell-ultra") | Some("hopper")) => Some(256.0),
        (_, Some("ampere")) => Some(128.0),
        _ => None,
    }
}

/// Bytes of traffic per attention-score element when scores are materialised: write the
/// scores (2), read and write them in softmax (4), dropout read, write and mask (5), read in
/// the AV product (2) — 13 bytes, forward pass.
pub const SCORE_BYTES: f64 = 13.0;

/// The NeMo container release `(yy, mm)` of a Megatron-Bridge framework text (`"Megatron-Bridge
/// / NeMo 26.04.01 container"` → `(26, 4)`); `None` without a Megatron-Bridge release.
fn nemo_release(framework: &str) -> Option<(u32, u32)> {
    nemo_release_patch(framework).map(|(yy, mm, _)| (yy, mm))
}

/// [`nemo_release`] with the container's patch number (`26.04.01` → `(26, 4, 1)`, `26.04` →
/// `(26, 4, 0)`).
fn nemo_release_patch(framework: &str) -> Option<(u32, u32, u32)> {
    if !framework.contains("Megatron-Bridge") {
        return None;
    }
    let rest = &framework[framework.find("NeMo ")? + 5..];
    let mut parts = rest.split(|c: char| !c.is_ascii_digit());
    let yy: u32 = parts.next()?.parse().ok()?;
    let mm: u32 = parts.next()?.parse().ok()?;
    let patch: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((yy, mm, patch))
}

/// How a Megatron-Bridge MoE recipe moves its tokens: `(hierarchical, overlapped)`, whether
/// the recipe sets a `flex` dispatcher backend (DeepEP or HybridEP: `moe_flex_dispatcher_backend`,
/// else Megatron-Core's `alltoall` dispatcher) and whether it overlaps the expert all-to-alls
/// with another micro-batch's compute (`moe_a2a_overlap`, which sets
/// `overlap_moe_expert_parallel_comm` and `delay_wgrad_compute`). By NeMo release
/// `(yy, mm, patch)`, catalog model and chip id (`recipe` the precision column):
///
/// - 25.09 (`scripts/performance/run_script.py` at v0.1.0rc4): DeepSeek-V3 runs DeepEP with the
///   1F1B all-to-all overlap on H100 only (`enable_deepep`, `A2A_1F1B`); on B200 and GB200
///   token dropping turns DeepEP off; the Qwen3 recipes set no backend.
/// - 25.11 (`scripts/performance/configs/*/workload_base_configs.py` at v0.2.0): HybridEP on
///   GB200 and GB300 (DeepSeek-V3, Qwen3), DeepEP with overlap for DeepSeek-V3 on H100;
///   Qwen3-235B-A22B overlaps on B200 and H100 and Qwen3-30B-A3B on H100 without a backend;
///   GPT-OSS sets none.
/// - 26.02 and 26.02.01 (`*_workload_base_configs.py` at v0.3.0, whose layouts those rows
///   publish): HybridEP for DeepSeek-V3 everywhere; Qwen3-235B-A22B without a backend off the
///   NVL72 racks, overlapped on B300 and H100; Qwen3-30B-A3B without one on B200 and with
///   DeepEP and overlap on H100; GPT-OSS none.
/// - 26.04 (v0.4.0) and 26.04.01 (v0.4.2): Qwen3-235B-A22B without a backend on B200 and H100
///   (and B300 at 26.04; overlapped on H100), GPT-OSS without one on H100 and B200 at 26.04.01 and overlapped on
///   GB200; DeepSeek-V3's B200 MXFP8 recipe moves to DeepEP with overlap at 26.04.01 (pp 8,
///   vp 2, ep 32).
/// - 26.06 (v0.5.0) and later: as 26.04.01 (GPT-OSS's GB200 overlap only for BF16).
///
/// A recipe not named keeps the hierarchical dispatcher without overlap. Inside one NVLink
/// domain the two dispatchers cost the same here ([`Stack::hierarchical_dispatch`]).
fn moe_dispatch(release: (u32, u32, u32), model: &str, gpu: &str, recipe: &str) -> (bool, bool) {
    let ds = model == "deepseek-v3";
    let q235 = model == "qwen3-235b-a22b";
    let q30 = model == "qwen3-30b-a3b";
    let oss = model == "gpt-oss-120b";
    let h100 = gpu == "h100-sxm";
    let nvl72 = matches!(gpu, "gb200" | "gb300");
    let (yy, mm, patch) = release;
    // `(alltoall, overlapped)`: the recipes that set no flex backend, and those that overlap.
    let (alltoall, overlapped) = match (yy, mm) {
        (25, 9) => (!(ds && h100), ds && h100),
        (25, 11) => (
            (!nvl72 || oss) && !(ds && h100),
            (ds && h100) || (q235 && matches!(gpu, "b200" | "h100-sxm")) || (q30 && h100),
        ),
        (26, 2) => (
            oss || (q235 && !nvl72) || (q30 && gpu == "b200"),
            (q235 && matches!(gpu, "b300" | "h100-sxm")) || (q30 && h100),
        ),
        (26, 4) if patch == 0 => {
            ((q235 && !nvl72) || (oss && h100), (q235 && h100) || (oss && gpu == "gb200"))
        }
        _ => (
            (q235 && matches!(gpu, "b200" | "h100-sxm"))
                || (oss && matches!(gpu, "h100-sxm" | "b200" | "gb200")),
            (q235 && h100)
                || (oss && gpu == "gb200" && ((yy, mm) == (26, 4) || recipe == "bf16"))
                || (ds && gpu == "b200" && recipe == "mxfp8"),
        ),
    };
    (!alltoall, overlapped)
}

impl Stack {
    /// Megatron-Core / NeMo with Transformer Engine, as Megatron-Bridge runs it from NeMo 26.06
    /// (Megatron-Bridge 0.5.0) on: the default. MoE tokens go through the `flex` dispatcher
    /// (HybridEP / DeepEP), and the MoE recipes replay the whole iteration from CUDA graphs
    /// with static expert buffers (`cuda_graph_impl = "full_iteration"`, `moe_paged_stash`,
    /// CuTeDSL fused grouped MLP: `scripts/performance/configs/{deepseek,qwen,gpt_oss}/` at
    /// v0.5.0; v0.5.1 release notes), so no host work per local expert remains.
    pub const MODERN: Stack = Stack {
        name: "modern",
        fused_elementwise: true,
        flash_attention: true,
        tp_comm_overlap: true,
        logits_bytes: 4.0,
        hierarchical_dispatch: true,
        moe_static_graphs: true,
        ep_comm_overlap: false,
        dropout: false,
        grad_reduce_bytes: 2.0,
        rope_unfused: false,
        recompute_modules: RecomputeModules::NONE,
    };

    /// Megatron-Bridge as its NeMo 25.09 to 26.04.01 containers run it (Megatron-Bridge 0.1
    /// to 0.4): the same kernels, but MoE layers run eagerly (CUDA graphs at most around the
    /// router and the token preprocessing, `cuda_graph_scope = ["moe_router",
    /// "moe_preprocess"]` in `scripts/performance/configs/qwen3/workload_base_configs.py` at
    /// v0.2.0), so each local expert's grouped-GEMM split and launches cost host time
    /// ([`Calibration::moe_expert_overhead_s`]), and their expert all-to-alls are not overlapped
    /// with compute (`moe_a2a_overlap = False` in most of them). The dispatcher is hierarchical where the
    /// recipe sets a DeepEP or HybridEP backend, which this preset assumes; a published
    /// recipe's own dispatcher and overlap come from `moe_dispatch`. Later releases'
    /// MoE recipes without full-iteration graphs run the same way
    /// ([`Stack::of_megatron_bridge_recipe`]).
    pub const MEGATRON_BRIDGE_26_04: Stack = Stack {
        name: "megatron-bridge-26.04",
        moe_static_graphs: false,
        ep_comm_overlap: false,
        ..Stack::MODERN
    };

    /// PyTorch with a fused attention kernel but unfused elementwise kernels and no
    /// tensor-parallel overlap (Meta's LLaMA code, 2023; Megatron-LM 2022).
    pub const FUSED_ATTENTION: Stack = Stack {
        name: "fused-attention",
        fused_elementwise: false,
        flash_attention: true,
        tp_comm_overlap: false,
        logits_bytes: 4.0,
        hierarchical_dispatch: false,
        moe_static_graphs: false,
        ep_comm_overlap: false,
        dropout: true,
        grad_reduce_bytes: 4.0,
        rope_unfused: false,
        recompute_modules: RecomputeModules::NONE,
    };

    /// Megatron-LM as of 2021 (Narayanan et al.): attention scores materialised, no overlap.
    pub const LEGACY: Stack = Stack {
        name: "legacy",
        fused_elementwise: false,
        flash_attention: false,
        tp_comm_overlap: false,
        logits_bytes: 4.0,
        hierarchical_dispatch: false,
        moe_static_graphs: false,
        ep_comm_overlap: false,
        dropout: true,
        grad_reduce_bytes: 4.0,
        rope_unfused: false,
        recompute_modules: RecomputeModules::NONE,
    };

    /// Hugging Face transformers + PEFT with FlashAttention-2 (2024): unfused elementwise
    /// kernels, no tensor parallelism, the loss over upcast logits. Not among the `--stack`
    /// presets; the published fine-tuning memory rows use it.
    pub const HF_TRANSFORMERS: Stack = Stack {
        name: "hf-transformers",
        fused_elementwise: false,
        flash_attention: true,
        tp_comm_overlap: false,
        logits_bytes: 18.0,
        hierarchical_dispatch: false,
        moe_static_graphs: false,
        ep_comm_overlap: false,
        dropout: false,
        grad_reduce_bytes: 4.0,
        rope_unfused: false,
        recompute_modules: RecomputeModules::NONE,
    };

    /// Every preset.
    pub const ALL: [Stack; 4] =
        [Stack::MODERN, Stack::FUSED_ATTENTION, Stack::LEGACY, Stack::MEGATRON_BRIDGE_26_04];

    /// The presets' names, for error messages: "modern, fused-attention, … or legacy".
    #[must_use]
    pub fn accepted() -> String {
        let names: Vec<&str> = Stack::ALL.iter().map(|s| s.name).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }

    /// The Megatron-Bridge preset of a NeMo container release (`"Megatron-Bridge / NeMo
    /// 26.04.01 container"`): 25.09 up to 26.04.01 → `megatron-bridge-26.04`, 26.06 and later
    /// → `modern`; `None` when the text names no Megatron-Bridge release (NeMo 2.0 runs such
    /// as `"NeMo 24.07"`).
    #[must_use]
    pub fn of_nemo_release(framework: &str) -> Option<Stack> {
        nemo_release(framework).map(Stack::of_release)
    }

    /// [`Stack::of_nemo_release`] for a parsed `(yy, mm)` release.
    fn of_release(release: (u32, u32)) -> Stack {
        if release < (26, 6) { Stack::MEGATRON_BRIDGE_26_04 } else { Stack::MODERN }
    }

    /// The preset of one Megatron-Bridge performance recipe: the release's
    /// ([`Stack::of_nemo_release`]), except that from NeMo 26.06 on only some MoE recipes
    /// replay the whole iteration from CUDA graphs; the others keep their MoE layers eager
    /// (`cuda_graph_impl = "transformer_engine"` around attention and the router at most, or
    /// none) and take `megatron-bridge-26.04`. The full-iteration recipes
    /// (`cuda_graph_impl = "full_iteration"` with the CuTeDSL fused grouped MLP) are the MXFP8
    /// ones on GB200 and GB300 (DeepSeek-V3, Qwen3-30B-A3B, Qwen3-235B-A22B, GPT-OSS-120B)
    /// and Qwen3-30B-A3B's MXFP8 recipe on B300: Megatron-Bridge v0.5.0
    /// `scripts/performance/configs/{deepseek,qwen,gpt_oss,kimi}/*_workload_base_configs.py`
    /// (B200, H100, the BF16 and FP8 current-scaling recipes, DeepSeek-V3's, GPT-OSS's and
    /// Qwen3-235B's B300 recipes and Kimi-K2's set none) and v0.6.0
    /// `src/megatron/bridge/perf_recipes/*/gb{200,300}/` for NeMo 26.08. `model` is the
    /// catalog id, `gpu` the chip id, `recipe` the precision column (`mxfp8`, `bf16` …).
    #[must_use]
    pub fn of_megatron_bridge_recipe(framework: &str, model: &str, gpu: &str, recipe: &str) -> Option<Stack> {
        let (yy, mm, patch) = nemo_release_patch(framework)?;
        let version = (yy, mm);
        let (hierarchical, overlapped) = moe_dispatch((yy, mm, patch), model, gpu, recipe);
        let release = Stack::of_release(version);
        // GPT-OSS trains with YaRN rotary embeddings, which Megatron-Bridge does not fuse.
        // Its GB200, B200 and H100 recipes (BF16 and 8-bit alike) recompute the norms and
        // the experts' activation (`recompute_modules = ["layernorm", "moe_act"]` in
        // `GPT_OSS_120B_PRETRAIN_CONFIG_{GB200,B200,H100}_BF16_V1`,
        // `scripts/performance/configs/gpt_oss/` at v0.2.0 (`workload_base_configs.py`) to
        // v0.5.0 (`gpt_oss_workload_base_configs.py`), the V2 and 8-bit configs inheriting
        // them; `perf_recipes/gpt_oss/{gb200,b200}/gpt_oss.py` at v0.6.0); its GB300 and B300
        // recipes recompute nothing.
        let gpt_oss = model == "gpt-oss-120b";
        let recompute_modules = if gpt_oss && matches!(gpu, "gb200" | "b200" | "h100-sxm") {
            RecomputeModules { layernorm: true, moe_act: true, mla_up_proj: false }
        } else if model == "deepseek-v3" {
            Stack::deepseek_v3_recompute(version, gpu, recipe)
        } else {
            RecomputeModules::NONE
        };
        // The recipe's dispatcher, and its expert all-to-all overlap where it runs the MoE
        // layers eagerly ([`moe_dispatch`]; the full-iteration recipes below always overlap).
        let eager = |st: Stack| Stack {
            hierarchical_dispatch: hierarchical,
            ep_comm_overlap: st.ep_comm_overlap || overlapped,
            ..st
        };
        let stack = Stack { rope_unfused: gpt_oss, recompute_modules, ..release };
        if !stack.moe_static_graphs {
            return Some(eager(stack));
        }
        let grace = matches!(gpu, "gb200" | "gb300")
            && matches!(model, "deepseek-v3" | "qwen3-30b-a3b" | "qwen3-235b-a22b" | "gpt-oss-120b");
        let full_iteration = recipe == "mxfp8" && (grace || (gpu == "b300" && model == "qwen3-30b-a3b"));
        // The full-iteration recipes also overlap the expert all-to-alls (`moe_a2a_overlap`).
        Some(if full_iteration {
            Stack { ep_comm_overlap: true, ..stack }
        } else {
            eager(Stack {
                rope_unfused: stack.rope_unfused,
                recompute_modules: stack.recompute_modules,
                ..Stack::MEGATRON_BRIDGE_26_04
            })
        })
    }

    /// The modules DeepSeek-V3's Megatron-Bridge recipe recomputes, by NeMo release
    /// `(yy, mm)`, chip and precision column. `mla_up_proj` on B200, B300 and H100 in every
    /// release (H100 adds `mlp`, the 3 dense layers' MLPs, not modelled); on GB200 through
    /// 26.02, then only for BF16 in 26.04 and 26.06 (the 8-bit configs recompute `mlp`), for
    /// BF16 and MXFP8 in 26.08; on GB300 `moe_act` in 25.11 and for BF16 after, `mla_up_proj`
    /// for the 8-bit recipes of 26.02 to 26.04 and FP8 current scaling after, nothing for
    /// MXFP8 from 26.06. Sources: `scripts/performance/run_script.py` at v0.1.0rc4 (25.09),
    /// `scripts/performance/configs/deepseek/workload_base_configs.py` at v0.2.0 (25.11),
    /// `deepseek_workload_base_configs.py` at v0.3.0 (26.02), v0.4.0 (26.04) and v0.5.0
    /// (26.06) (`DEEPSEEK_V3_PRETRAIN_CONFIG_{GPU}_V1` and its precision aliases),
    /// `src/megatron/bridge/perf_recipes/deepseek/{gb200,gb300}/deepseek_v3.py` at v0.6.0
    /// (26.08).
    fn deepseek_v3_recompute(release: (u32, u32), gpu: &str, recipe: &str) -> RecomputeModules {
        let none = RecomputeModules::NONE;
        let mla = RecomputeModules { mla_up_proj: true, ..none };
        let act = RecomputeModules { moe_act: true, ..none };
        let bf16 = recipe == "bf16";
        match gpu {
            "b200" | "b300" | "h100-sxm" => mla,
            "gb200" if release < (26, 4) || bf16 || (release >= (26, 8) && recipe == "mxfp8") => mla,
            "gb300" if release < (26, 2) || bf16 => act,
            "gb300" if release < (26, 6) || recipe == "fp8" => mla,
            _ => none,
        }
    }

    /// A preset by name.
    #[must_use]
    pub fn by_name(name: &str) -> Option<Stack> {
        Stack::ALL.into_iter().find(|s| s.name == name)
    }
}
