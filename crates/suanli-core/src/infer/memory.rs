//! Memory of one GPU of a replica: weights, KV cache, workspace.

use serde::Serialize;

/// Memory per GPU, GiB.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InferMemory {
    /// Weights (all experts of an MoE model).
    pub weights_gib: f64,
    /// Activation workspace for a full step (`max_tokens` tokens, `max_batch` logits).
    pub workspace_gib: f64,
    /// CUDA context, communication buffers, allocator.
    pub reserved_gib: f64,
    /// KV-cache pool: the engine's fraction of what is left.
    pub kv_cache_gib: f64,
    /// Everything the engine allocates.
    pub total_gib: f64,
    /// The chip's capacity.
    pub capacity_gib: f64,
    /// KV bytes one token takes on this GPU (its heads, its layers).
    pub kv_bytes_per_token: f64,
    /// Tokens the KV pool holds.
    pub kv_tokens: f64,
}
