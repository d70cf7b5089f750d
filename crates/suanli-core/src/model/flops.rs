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
//!
//! Blocks that do not attend to the whole context see fewer tokens: a sliding or chunked block
//! `min(window, c)`, a compressed block its raw window plus one row per `compress` older
//! tokens, an indexed block the indexer's `topk` (plus the indexer's own scoring of all `c`
//! tokens, `2·c·h_idx·d_idx`). Linear-attention and Mamba mixers update a fixed state: 4 FLOP
//! per state element per token (decay-and-add, then the read-out), whatever the context.

use super::spec::{Block, Mixer, ModelSpec};

/// Tokens a block's softmax attention scores for a token with `context` earlier tokens.
fn attended(spec: &ModelSpec, b: &Block, context: f64) -> f64 {
    let window = b.window.map_or(context, f64::from);
    let seen = match b.mixer {
        Mixer::Full => context,
        Mixer::Sliding | Mixer::Chunked => context.min(window),
        Mixer::Compressed => {
            let raw = context.min(window);
            let rows = (context - raw).max(0.0) / f64::from(b.compress.unwrap_or(1).max(1));
            return raw
                + match (&spec.indexer, b.indexed) {
                    (Some(ix), true) => rows.min(f64::from(ix.topk)),
                    _ => rows,
                };
        }
        Mixer::Linear | Mixer::Mamba | Mixer::None => return 0.0,
    };
    match (&spec.indexer, b.indexed) {
        (Some(ix), true) => seen.min(f64::from(ix.topk)),
        _ => seen,
    }
}

/// Elements of the fixed state one recurrent mixer keeps per sequence.
#[must_use]
pub fn recurrent_state_elements(spec: &ModelSpec, mixer: Mixer) -> f64 {
    match mixer {
        Mixer::Linear => spec.linear_attention.as_ref().map_or(0.0, |la| {
            f64::from(la.value_heads) * f64::from(la.key_head_dim) * f64::from(la.value_head_dim)
        }),
        Mixer::Mamba => spec
            .mamba
            .as_ref()
            .map_or(0.0, |m| f64::from(m.heads) * f64::from(m.head_dim) * f64::from(m.state)),
        _ => 0.0,
    }
}

/// Attention FLOPs for one token of a forward pass that attends to `context` tokens.
///
/// `2·L·c·h·(d_qk + d_v)`; for standard attention `d_qk = d_v = head_dim`, so `4·L·c·h·dₕ`.
/// Per block kind as in the module notes.
#[must_use]
pub fn attention_flops_per_token(spec: &ModelSpec, context: f64) -> f64 {
    let h = f64::from(spec.heads);
    let mut total = 0.0;
    for b in spec.block_groups() {
        let n = f64::from(b.count);
        let (qk, v) = match &spec.mla {
            Some(mla) => {
                (f64::from(mla.qk_nope_head_dim) + f64::from(mla.qk_rope_head_dim), f64::from(mla.v_head_dim))
            }
            None => {
                let hd = f64::from(b.head_dim.unwrap_or(spec.head_dim));
                (hd, hd)
            }
        };
        let per = match b.mixer {
            Mixer::Linear | Mixer::Mamba => 4.0 * recurrent_state_elements(spec, b.mixer),
            Mixer::None => 0.0,
            _ => {
                let scoring = match (&spec.indexer, b.indexed) {
                    (Some(ix), true) => 2.0 * context * f64::from(ix.heads) * f64::from(ix.head_dim),
                    _ => 0.0,
                };
                2.0 * attended(spec, &b, context) * h * (qk + v) + scoring
            }
        };
        total += n * per;
    }
    total
}

/// KV-cache elements one block of this kind holds for a sequence of `context` tokens: a full
/// block `context` rows, a sliding or chunked block `min(window, context)`, a compressed block
/// its raw window plus `context / compress` rows, a recurrent block its fixed state; a row is
/// `2·kv_heads·head_dim` (one tensor when keys double as values; the MLA latent plus its rotary
/// key), plus the indexer's key on indexed blocks.
///
/// Multiply by the KV precision's bytes; divide by `context` for bytes per token.
#[must_use]
pub fn kv_cache_elements(spec: &ModelSpec, block: &Block, context: f64) -> f64 {
    let kv_heads = f64::from(block.kv_heads.unwrap_or(spec.kv_heads));
    let head_dim = f64::from(block.head_dim.unwrap_or(spec.head_dim));
    let row = match &spec.mla {
        Some(mla) => f64::from(mla.kv_lora_rank) + f64::from(mla.qk_rope_head_dim),
        None if block.shared_kv => kv_heads * head_dim,
        None => 2.0 * kv_heads * head_dim,
    };
    let index_row = match (&spec.indexer, block.indexed) {
        (Some(ix), true) => f64::from(ix.head_dim),
        _ => 0.0,
    };
    let window = block.window.map_or(context, f64::from);
    match block.mixer {
        Mixer::Full => context * (row + index_row),
        Mixer::Sliding | Mixer::Chunked => context.min(window) * (row + index_row),
        Mixer::Compressed => {
            // DeepSeek-V4 keeps one latent of `head_dim` per row (keys and values shared).
            let raw = context.min(window);
            let rows = (context - raw).max(0.0) / f64::from(block.compress.unwrap_or(1).max(1));
            (raw + rows) * (kv_heads * head_dim) + rows * index_row
        }
        Mixer::Linear | Mixer::Mamba => recurrent_state_elements(spec, block.mixer),
        Mixer::None => 0.0,
    }
}

/// KV-cache (and recurrent-state) elements of the whole model for one sequence of `context`
/// tokens, summed over [`kv_cache_elements`] of every block.
#[must_use]
pub fn kv_cache_elements_total(spec: &ModelSpec, context: f64) -> f64 {
    spec.block_groups().iter().map(|b| f64::from(b.count) * kv_cache_elements(spec, b, context)).sum()
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

/// KV-cache (and recurrent-state) bytes per token of context for one sequence of `context`
/// tokens at `bytes_per_element` (the KV precision's width): [`kv_cache_elements_total`] ÷
/// `context`. Falls with context on models whose sliding-window, compressed or recurrent
/// blocks hold a bounded cache.
#[must_use]
pub fn kv_bytes_per_token(spec: &ModelSpec, context: f64, bytes_per_element: f64) -> f64 {
    if context <= 0.0 {
        return 0.0;
    }
    kv_cache_elements_total(spec, context) * bytes_per_element / context
}
