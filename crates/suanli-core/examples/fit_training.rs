//! Fits the training planner's calibration constants on `validation/training.csv` by grid
//! search, printing each improvement of median + worst absolute error:
//! `cargo run --release -p suanli-core --example fit_training`.
#![allow(clippy::unwrap_used)]

mod fit;

use suanli_core::Catalog;
use suanli_core::train::Calibration;
use suanli_core::validation::training;

fn score(c: &Catalog, cal: &Calibration) -> (f64, f64) {
    fit::median_and_worst("training", &training(c, cal).0)
}

/// The constants searched and the values tried.
const AXES: [fit::Axis<Calibration>; 8] = [
    (&[0.4, 0.5, 0.6, 0.7, 0.8], |c, v| c.attention_efficiency = v),
    (&[20.0, 40.0, 60.0, 80.0, 100.0], |c, v| c.elementwise_bytes_unfused = v),
    (&[5.0, 10.0, 20.0, 30.0], |c, v| c.elementwise_bytes_fused = v),
    (&[0.5, 0.7, 0.9], |c, v| c.tp_overlap_fraction = v),
    (&[0.2, 0.3, 0.4, 0.5], |c, v| c.overlap_interference = v),
    (&[0.5, 0.6, 0.7, 0.8], |c, v| c.collective_efficiency = v),
    (&[128.0, 256.0, 512.0], |c, v| c.gemm_half_dim = v),
    (&[20e-6, 60e-6, 120e-6], |c, v| c.layer_overhead_s = v),
];

fn main() {
    let c = Catalog::builtin().unwrap();
    fit::run(&AXES, |cal| score(&c, cal));
}
