//! suanli's typed API: one request type and one function per question, shared by every
//! front end (the CLI, the HTTP server, and the Python and browser builds to come).
//!
//! Requests are plain data (serde + schemars; with the `clap` feature also `clap::Args`, so
//! the command line flattens the very same fields). Functions take the catalog and a request
//! and return a [`Reply`] or a typed [`ApiError`] naming the request field at fault. Nothing
//! here reads or writes files, reads the clock or prints: a request never names a server
//! path, and a pasted `config.json` is parsed in memory.

mod audit;
pub mod count;
mod error;
mod finetune;
mod flops;
mod infer;
mod input;
pub mod json;
mod lists;
mod plan;
mod published;
pub mod schemas;
mod serve;
mod simulate;
mod sweep;
mod traffic;
mod train;

pub use audit::{Audit, audit};
pub use error::{ApiError, ApiResult, InputError, Reply};
pub use finetune::{FinetuneRequest, finetune};
pub use flops::{FlopsRequest, flops};
pub use infer::{InferRequest, MAX_TOKENS, SearchOptions, infer};
pub use plan::{plan, scenario};
pub use published::{P99_REQUESTS, published_report};
pub use serve::{MAX_SIM_REQUESTS, ServeRequest, serve};
pub use simulate::{MAX_REPLICAS, SimulateRequest, simulate};
pub use sweep::{Sweep, SweepRequest, sweep};
pub use train::{DEFAULT_SEQ_LEN, TrainRequest, train};
