//! Memory per GPU of a layout: model state under ZeRO and activations under recomputation.
//!
//! - Model state, mixed-precision Adam (Rajbhandari et al. 2020, arXiv:1910.02054, section 3):
//!   2 bytes of weights + 2 of gradients + 12 of optimizer state (fp32 master copy, momentum,
//!   variance) per parameter. ZeRO-1 shards the 12 over the data-parallel group, ZeRO-2 also
//!   the gradients, ZeRO-3 also the weights.
//! - Activations per layer and micro-batch (Korthikanti et al. 2022, arXiv:2205.05198,
//!   Table 2, with sequence parallelism): `s·b·h·c / t` bytes plus `5·a·s²·b / t` for attention
//!   scores unless recomputed; full recomputation keeps only the layer input `2·s·b·h / t`.
//!   The coefficient `c` (34 for GPT with a 4h GELU MLP) is rebuilt from the block's tensors so
//!   that GQA, gated MLPs and MoE top-k routing scale it.
//! - Logits at the loss take the stack's bytes per element (4 for a fused fp32 loss); the
//!   allocator's fragmentation adds a fraction of the tensors, the CUDA context and NCCL
//!   buffers a fixed reserve.
//! - Activation offload (`offload_layers`) moves those layers' activations to host memory
//!   between the forward and backward passes; one layer's copy in flight stays on the GPU.
//! - 1F1B keeps `min(pp, m)` micro-batches in flight on the first stage; interleaving adds a
//!   factor `1 + (pp − 1)/(pp·vp)` (Korthikanti et al. 2022, section 4.2.3).

use serde::Serialize;

use super::layout::{Layout, Recompute};
use super::time::Prepared;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Memory per GPU on the most loaded pipeline stage, GiB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MemoryBreakdown {
    /// Weights (2 bytes a parameter).
    pub weights_gib: f64,
    /// Gradients (2 bytes a parameter).
    pub gradients_gib: f64,
    /// Optimizer states (12 bytes a parameter).
    pub optimizer_gib: f64,
    /// Activations of the in-flight micro-batches.
    pub activations_gib: f64,
    /// Output logits of one micro-batch in fp32 (last stage).
    pub logits_gib: f64,
    /// Context, communication buffers, fragmentation.
    pub reserved_gib: f64,
    /// Sum.
    pub total_gib: f64,
}

/// Parameters one GPU holds on the most loaded stage, before ZeRO sharding.
pub(crate) fn params_per_gpu(p: &Prepared, l: &Layout) -> f64 {
    let layers = stage_layers(p, l);
    let blocks = layers * (p.attention_per_layer + p.dense_ffn_per_layer * p.dense_fraction)
        + layers * p.experts_per_layer * p.moe_fraction / f64::from(l.ep) * f64::from(l.tp)
            / f64::from(l.expert_tp().max(1));
    // Embedding on the first stage, output projection (or the tied copy) on the last.
    let ends = if l.pp == 1 { p.embedding + p.unembedding } else { p.embedding.max(p.unembedding) };
    (blocks + ends) / f64::from(l.tp)
}

/// Layers of the most loaded stage: `layers ÷ pp` for an even split; with uneven stages the
/// largest stage's (counted with the first stage's in-flight micro-batches and both ends'
/// weights: an upper bound).
fn stage_layers(p: &Prepared, l: &Layout) -> f64 {
    if l.uneven() {
        let (f, la) = (f64::from(l.first_stage_layers), f64::from(l.last_stage_layers));
        let mid = if l.pp > 2 { (p.layers - f - la) / f64::from(l.pp - 2) } else { 0.0 };
        f.max(la).max(mid)
    } else {
        p.layers / f64::from(l.pp)
    }
}

/// Activation bytes of one layer for one micro-batch.
pub(crate) fn activation_bytes_per_layer(p: &Prepared, l: &Layout, recompute: Recompute) -> f64 {
    let s = p.seq_len / f64::from(l.cp);
    let sbh = s * f64::from(l.micro_batch) * p.hidden;
    let t = f64::from(l.tp);
    match recompute {
        Recompute::Full => 2.0 * sbh / t,
        Recompute::Selective => sbh * p.activation_coefficient / t,
        // A fused attention kernel never stores the scores: no recomputation keeps what
        // selective recomputation keeps.
        Recompute::None if p.flash_attention() => sbh * p.activation_coefficient / t,
        Recompute::None => {
            sbh * p.activation_coefficient / t + 5.0 * p.heads * s * p.seq_len * f64::from(l.micro_batch) / t
        }
    }
}

/// Activation bytes of the first stage's in-flight micro-batches, and the fp32 logits of one
/// micro-batch on the last stage.
fn activations_and_logits(p: &Prepared, l: &Layout, micro_batches: u32) -> (f64, f64) {
    let layers = stage_layers(p, l);
    let pp = f64::from(l.pp);
    let in_flight = f64::from(l.pp.min(micro_batches));
    let interleave = if l.vp > 1 { 1.0 + (pp - 1.0) / (pp * f64::from(l.vp)) } else { 1.0 };
    // Offloaded layers' activations wait in host memory; one layer's stays on the GPU while
    // its copy is in flight.
    let offloaded = f64::from(l.offload_layers).min(layers);
    let staged = if offloaded > 0.0 { 1.0 } else { 0.0 };
    let mut act = ((layers - offloaded) * in_flight * interleave + staged)
        * activation_bytes_per_layer(p, l, l.recompute);
    if l.recompute == Recompute::Full {
        // The layer being recomputed holds its full activations during its backward pass.
        act += activation_bytes_per_layer(p, l, Recompute::Selective);
    }
    let tokens = p.seq_len / f64::from(l.cp) * f64::from(l.micro_batch);
    (act, tokens * p.vocab * p.logits_bytes / f64::from(l.tp))
}

/// Activation and logits bytes per GPU of a data-parallel layout (one micro-batch in flight).
#[must_use]
pub fn memory_parts(p: &Prepared, l: &Layout) -> (f64, f64) {
    activations_and_logits(p, l, 1)
}

/// Ranks the ZeRO state is sharded over: every dp·cp rank, or with hybrid sharding (HSDP)
/// those inside one server.
pub(crate) fn shard_ranks(p: &Prepared, l: &Layout) -> f64 {
    let group = u64::from(l.dp) * u64::from(l.cp);
    if l.hsdp {
        let node = u64::from(p.cluster().node_size.max(1));
        let in_node = (node / u64::from(l.tp.max(1))).max(1);
        group.min(in_node) as f64
    } else {
        group as f64
    }
}

/// Memory breakdown of a layout.
pub(crate) fn memory(p: &Prepared, l: &Layout, micro_batches: u32) -> MemoryBreakdown {
    let params = params_per_gpu(p, l);
    let shard = shard_ranks(p, l);
    let (w, g, o) = match l.zero {
        0 => (2.0, 2.0, 12.0),
        1 => (2.0, 2.0, 12.0 / shard),
        2 => (2.0, 2.0 / shard, 12.0 / shard),
        _ => (2.0 / shard, 2.0 / shard, 12.0 / shard),
    };
    let (act, logits) = activations_and_logits(p, l, micro_batches);
    let weights_gib = params * w / GIB;
    let gradients_gib = params * g / GIB;
    let optimizer_gib = params * o / GIB;
    let activations_gib = act / GIB;
    let logits_gib = logits / GIB;
    // Context and communication buffers, plus the allocator's fragmentation on the tensors.
    let tensors = weights_gib + gradients_gib + optimizer_gib + activations_gib + logits_gib;
    let reserved_gib = p.reserved_gib + p.fragmentation * tensors;
    let total_gib = tensors + reserved_gib;
    MemoryBreakdown {
        weights_gib,
        gradients_gib,
        optimizer_gib,
        activations_gib,
        logits_gib,
        reserved_gib,
        total_gib,
    }
}
