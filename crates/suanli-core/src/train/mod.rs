//! The training planner: memory per GPU, step time and throughput of one parallel layout,
//! from first principles, and the enumeration of layouts for a search.
//!
//! Conventions (Narayanan et al. 2021, arXiv:2104.04473; Korthikanti et al. 2022,
//! arXiv:2205.05198):
//! - `tp` tensor, `pp` pipeline (with `vp` virtual stages per GPU), `dp` data, `cp` context
//!   parallel; GPUs = tp·pp·dp·cp. Expert parallelism `ep` divides dp·cp (experts are sharded
//!   across data-parallel ranks, as in Megatron-Core).
//! - Ranks are placed tp innermost, then cp, then dp, then pp: a server's GPUs take whole
//!   tensor-parallel groups first.
//! - Sequence parallelism is on whenever tp > 1 (activations between blocks are split tp ways).
//! - Model FLOPs count the forward and backward passes once (no recomputation), attention at
//!   the full sequence length (PaLM's MFU convention); hardware FLOPs add recomputation.

/// The sequence length the planners default to, tokens, capped by the model's context. The
/// same value as `suanli_api::DEFAULT_SEQ_LEN`.
pub const DEFAULT_SEQ_LEN: u32 = 4096;

mod calib;
mod cluster;
mod layout;
mod memory;
mod report;
mod search;
mod time;

pub use calib::{Calibration, RecomputeModules, SCORE_BYTES, Stack, UNFUSED_ROPE_BYTES};
pub use cluster::{Cluster, DEFAULT_SCALE_OUT_GBPS};
pub use layout::{Layout, Recompute, Workload, check_stages, uneven_split};
pub use memory::{MemoryBreakdown, memory_parts};
pub use report::{Breakdown, ConfigOut, Operating, TrainReport};
pub use search::{
    Candidates, Constraints, MAX_LAYOUT_GPUS, MAX_LAYOUTS, MAX_OUTER_CHUNKS, Objective, Outcome, Pareto,
    batch_hint, nearest_miss, search, search_chunk,
};
pub use time::{Evaluation, Prepared, TimeBreakdown, evaluate};
