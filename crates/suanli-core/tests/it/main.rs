//! Integration tests of the core: catalog invariants, parameter and FLOP arithmetic against
#![allow(clippy::panic, clippy::unwrap_used)]
//! published figures, the config.json importer, scenarios and the seed's figures.

mod bands;
mod calibration;
mod catalog;
mod finetune;
mod fuzz;
mod gpt3;
mod hf;
mod infer;
mod layouts;
mod params;
mod props;
mod published;
mod robust;
mod scenario;
mod seed;
mod train;

/// Relative error |a − b| / |b|.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}
