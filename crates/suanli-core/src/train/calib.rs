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
    /// GEMM dimension at which efficiency halves (tile and wave quantisation): efficiency =
    /// MAMF fraction × d ÷ (d + `gemm_half_dim`) for the smallest GEMM dimension d.
    pub gemm_half_dim: f64,
    /// Attention-core (QKᵀ, softmax, AV) throughput relative to the chip's BF16 GEMM rate,
    /// counting the full (non-causal) FLOPs as MFU does.
    pub attention_efficiency: f64,
    /// Memory-bound traffic (norms, residual adds, dropout, activation functions, casts) per
    /// token per layer per unit of hidden size, bytes, forward pass, with unfused kernels;
    /// the backward pass moves twice this.
    pub elementwise_bytes_unfused: f64,
    /// The same with Transformer Engine's fused kernels.
    pub elementwise_bytes_fused: f64,
    /// Fraction of tensor-parallel communication hidden behind GEMMs when overlapped.
    pub tp_overlap_fraction: f64,
    /// Fraction of peak HBM bandwidth memory-bound kernels reach.
    pub memory_efficiency: f64,
    /// Fraction of link bandwidth collectives reach (NCCL bus bandwidth ÷ link rate).
    pub collective_efficiency: f64,
    /// Slow-down of compute while communication runs beneath it: the collective's kernels take
    /// SMs and memory bandwidth, so each second of hidden communication still costs this many
    /// seconds of compute.
    pub overlap_interference: f64,
    /// Latency of one collective step, seconds.
    pub collective_latency_s: f64,
    /// Fixed per-layer, per-micro-batch cost of kernel launches and framework work, seconds,
    /// forward pass (backward twice).
    pub layer_overhead_s: f64,
    /// Memory held outside model state and activations (CUDA context, NCCL buffers,
    /// allocator fragmentation), GiB.
    pub reserved_gib: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            default_gemm_efficiency: 0.75,
            gemm_half_dim: 256.0,
            attention_efficiency: 0.5,
            elementwise_bytes_unfused: 40.0,
            elementwise_bytes_fused: 10.0,
            tp_overlap_fraction: 0.7,
            memory_efficiency: 0.7,
            collective_efficiency: 0.6,
            overlap_interference: 0.4,
            collective_latency_s: 10e-6,
            layer_overhead_s: 60e-6,
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
}

/// Bytes of traffic per attention-score element when scores are materialised: write the
/// scores (2), read and write them in softmax (4), dropout read, write and mask (5), read in
/// the AV product (2) — 13 bytes, forward pass.
pub const SCORE_BYTES: f64 = 13.0;

impl Stack {
    /// Megatron-Core / NeMo with Transformer Engine (2024): the default.
    pub const MODERN: Stack =
        Stack { name: "modern", fused_elementwise: true, flash_attention: true, tp_comm_overlap: true };

    /// PyTorch with a fused attention kernel but unfused elementwise kernels and no
    /// tensor-parallel overlap (Meta's LLaMA code, 2023; Megatron-LM 2022).
    pub const FUSED_ATTENTION: Stack = Stack {
        name: "fused-attention",
        fused_elementwise: false,
        flash_attention: true,
        tp_comm_overlap: false,
    };

    /// Megatron-LM as of 2021 (Narayanan et al.): attention scores materialised, no overlap.
    pub const LEGACY: Stack =
        Stack { name: "legacy", fused_elementwise: false, flash_attention: false, tp_comm_overlap: false };

    /// Every preset.
    pub const ALL: [Stack; 3] = [Stack::MODERN, Stack::FUSED_ATTENTION, Stack::LEGACY];

    /// A preset by name.
    #[must_use]
    pub fn by_name(name: &str) -> Option<Stack> {
        Stack::ALL.into_iter().find(|s| s.name == name)
    }
}
