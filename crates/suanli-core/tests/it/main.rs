//! Integration tests of the core: catalog invariants, parameter and FLOP arithmetic against
//! published figures, the config.json importer, scenarios and the seed's figures.

mod catalog;
mod gpt3;
mod hf;
mod params;
mod scenario;
mod seed;

/// Relative error |a − b| / |b|.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}
