//! FLOPs per token and per training run.
//!
//! A multiply-add is 2 FLOP. A token's forward pass through the matrix multiplications costs
//! `2·N_matmul` FLOP (Kaplan et al. 2020, arXiv:2001.08361, Table 1), where `N_matmul` counts the
//! active weights a token multiplies (the output projection included, embedding lookups not).
//! Attention over `c` earlier tokens adds, per layer, `2·c·(h·d_qk)` for the scores `QKᵀ` and
//! `2·c·(h·d_v)` for the weighted sum of values.
//!
//! Training is forward + backward ≈ 3 × forward (the backward pass computes gradients for both
//! activations and weights), hence the analyst's `6·N·D` (Kaplan et al. 2020, section 2.1;
//! Brown et al. 2020, Appendix D). With attention it is `(6·N + 6·attention) · D`; taking
//! `c = seq_len` for every token follows PaLM's MFU convention (Chowdhery et al. 2022,
//! Appendix B: `6N + 12·L·H·Q·T`).

use super::spec::ModelSpec;

/// Attention FLOPs for one token of a forward pass that attends to `context` tokens.
///
/// `2·L·c·h·(d_qk + d_v)`; for standard attention `d_qk = d_v = head_dim`, so `4·L·c·h·dₕ`.
#[must_use]
pub fn attention_flops_per_token(spec: &ModelSpec, context: f64) -> f64 {
    let (qk, v) = match &spec.mla {
        Some(mla) => {
            (f64::from(mla.qk_nope_head_dim) + f64::from(mla.qk_rope_head_dim), f64::from(mla.v_head_dim))
        }
        None => (f64::from(spec.head_dim), f64::from(spec.head_dim)),
    };
    2.0 * f64::from(spec.layers) * context * f64::from(spec.heads) * (qk + v)
}

/// Forward FLOPs for one token attending to `context` tokens: `2·N_matmul + attention`.
/// Pass `context = 0` for the attention-free count.
#[must_use]
pub fn forward_flops_per_token(spec: &ModelSpec, context: f64) -> f64 {
    2.0 * spec.params().active_matmul(spec) + attention_flops_per_token(spec, context)
}

/// The analyst's training compute: `6 · N · D` FLOP, with `N` parameters and `D` tokens.
#[must_use]
pub fn training_flops_6nd(params: f64, tokens: f64) -> f64 {
    6.0 * params * tokens
}

/// Training compute from the shape: `3 × forward_flops_per_token(seq_len) × tokens`.
///
/// Counts active parameters (MoE), the output projection and attention at `seq_len`; no
/// recomputation (that is hardware FLOPs, not model FLOPs).
#[must_use]
pub fn training_flops(spec: &ModelSpec, tokens: f64, seq_len: f64) -> f64 {
    3.0 * forward_flops_per_token(spec, seq_len) * tokens
}
