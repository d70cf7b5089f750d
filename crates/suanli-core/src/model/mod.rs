//! Decoder-only Transformer models: their shape, parameter counts and FLOPs.

mod arithmetic;
mod flops;
mod hf;
mod params;
mod spec;

pub use arithmetic::{Arithmetic, TrainingCompute, arithmetic};
pub use flops::{attention_flops_per_token, forward_flops_per_token, training_flops, training_flops_6nd};
pub use hf::{SUPPORTED_MODEL_TYPES, from_hf_config};
pub use params::ParamCount;
pub use spec::{Attention, FfnKind, Mla, ModelSpec, Moe, Norm, Position};
