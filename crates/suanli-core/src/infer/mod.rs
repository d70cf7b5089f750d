//! The inference planner: memory, KV cache, prefill and decode step times on a roofline with
//! achievable efficiencies, and throughput and latency under continuous batching.
//!
//! One replica is a tensor-parallel (`tp`) × pipeline-parallel (`pp`) group; expert
//! parallelism (`ep`, MoE only) splits the experts over the same GPUs (ep divides tp).
//! A step processes the decode tokens of the running sequences plus chunked prefill tokens,
//! within a token budget (`max_tokens`) and a sequence cap (`max_batch`), as in TensorRT-LLM's
//! and vLLM's in-flight batching.

mod calib;
mod config;
mod memory;
mod perf;
mod search;
mod spec;
mod step;

pub use calib::{ExpertExchange, InferCalibration, Stack};
pub use config::{Engine, InferConfig, Mode, Precisions};
pub use memory::InferMemory;
pub use perf::{Bound, InferResult, evaluate};
pub use search::{
    Candidate, FLEET_HEADROOM, Limits, SearchResult, best_load, cost_per_million, replica_capacity,
    replicas_for, search,
};
pub use spec::{Draft, Speculation, SpeculationRef, defaults as speculation_defaults, tokens_per_step};
pub use step::{Replica, StepTime, batch_one_decode};
