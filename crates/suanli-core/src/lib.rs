//! suanli-core: the pure arithmetic of large-language-model compute.
//!
//! No I/O, no threads, no async: plain functions over plain data, so the CLI, the web server
//! and tests call the same code. The pipeline:
//!
//! 1. [`catalog`]: accelerators, servers and models, every figure with its source.
//! 2. [`model`]: a Transformer's shape → parameters ([`model::ParamCount`]) and FLOPs.
//! 3. [`analyst`]: the top-down formulas of analyst reports, each named.
//! 4. [`scenario`]: a validated description of what to estimate (TOML).
//! 5. [`plan`]: a scenario → a [`plan::PlanReport`] of figures, each with its method, inputs,
//!    the claim it checks and its first-principles counterpart.

pub mod analyst;
pub mod calibration;
pub mod catalog;
pub mod econ;
pub mod error;
pub mod finetune;
pub mod hardware;
pub mod infer;
pub mod model;
pub mod plan;
pub mod precision;
pub mod published;
pub mod scenario;
pub mod sigfig;
pub mod sourced;
pub mod suggest;
pub mod train;
pub mod uncertainty;
pub mod units;
pub mod validation;

pub use catalog::Catalog;
pub use error::Error;
