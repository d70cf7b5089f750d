//! Decoder-only Transformer models: their shape, parameter counts and FLOPs.

mod arithmetic;
mod flops;
mod hf;
mod params;
mod spec;

pub use arithmetic::{Arithmetic, TrainingCompute, arithmetic};
pub use flops::{
    attention_flops_per_token, forward_flops_per_token, kv_bytes_per_token, kv_cache_elements,
    kv_cache_elements_total, recurrent_state_elements, training_flops, training_flops_6nd,
};
pub use hf::{SUPPORTED_MODEL_TYPES, from_hf_config};
pub use params::ParamCount;
pub use spec::{
    Attention, Block, BlockFfn, FfnKind, Indexer, LinearAttention, LowRank, Mamba, Mixer, Mla, ModelSpec,
    Moe, Norm, Position,
};
