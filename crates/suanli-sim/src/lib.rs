//! suanli-sim: a discrete-event simulator of LLM serving fleets, and fleet sizing.
//!
//! [`workload`] generates or reads requests; [`sim::simulate`] runs them through replicas whose
//! step time comes from the inference planner ([`engine::StepModel`]); [`fleet`] finds the
//! cheapest fleet meeting latency targets in the peak hour; [`disagg`] runs separate prefill
//! and decode pools with the KV cache sent between them; [`policy`] holds priority classes,
//! admission control and KV offload. Deterministic for a seed.

pub mod disagg;
pub mod engine;
pub mod fleet;
pub mod metrics;
pub mod mix;
pub mod policy;
pub mod rng;
pub mod sim;
pub mod tune;
pub mod workload;
