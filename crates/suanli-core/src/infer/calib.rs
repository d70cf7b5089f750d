//! Physical constants of the inference model, fitted once on `validation/inference.csv`
//! (TensorRT-LLM v0.17 on H100, FP8) and applied unchanged to every catalogued chip.

/// The constants. [`InferCalibration::default`] holds the fitted values: a grid search over
/// the first seven (`cargo run --release -p suanli-core --example fit_inference`) minimising
/// median + worst absolute error (median 5.9 %, worst 16.9 %). The chip-specific rates come
/// from the catalog (peak, measured matmul efficiency, HBM and link bandwidth), so the same
/// constants serve every chip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InferCalibration {
    /// Fraction of peak HBM bandwidth reached streaming weights and KV cache (decode GEMV and
    /// paged attention kernels reach 75–90 %).
    pub hbm_efficiency: f64,
    /// Tokens in a step at which GEMM efficiency is half the chip's measured maximum (small-M
    /// GEMMs underfill the tensor cores): efficiency = MAMF fraction × T ÷ (T + this).
    pub gemm_half_tokens: f64,
    /// Attention-core throughput relative to the chip's GEMM rate.
    pub attention_efficiency: f64,
    /// Fraction of link bandwidth collectives reach.
    pub collective_efficiency: f64,
    /// Latency of one all-reduce on the scale-up fabric, seconds.
    pub collective_latency_s: f64,
    /// Fixed cost of one engine step (scheduling, sampling, launches), seconds.
    pub step_overhead_s: f64,
    /// Cost per layer per step outside GEMMs and attention (norms, activations, kernel
    /// launches), seconds.
    pub layer_overhead_s: f64,
    /// Memory bytes per token per layer of elementwise traffic, per unit of hidden size.
    pub elementwise_bytes_per_hidden: f64,
    /// Memory held outside weights, KV cache and workspace (CUDA context, NCCL, allocator), GiB.
    pub reserved_gib: f64,
}

impl Default for InferCalibration {
    fn default() -> Self {
        InferCalibration {
            hbm_efficiency: 0.75,
            gemm_half_tokens: 256.0,
            attention_efficiency: 0.3,
            collective_efficiency: 0.4,
            collective_latency_s: 5e-6,
            step_overhead_s: 1e-3,
            layer_overhead_s: 10e-6,
            elementwise_bytes_per_hidden: 20.0,
            reserved_gib: 2.0,
        }
    }
}
