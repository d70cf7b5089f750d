//! Fits the inference planner's calibration constants on `validation/inference.csv` by grid
//! search, printing each improvement of median + worst absolute error:
//! `cargo run --release -p suanli-core --example fit_inference`.
#![allow(clippy::unwrap_used)]

mod fit;

use suanli_core::Catalog;
use suanli_core::infer::InferCalibration;
use suanli_core::validation::inference;

fn score(c: &Catalog, cal: &InferCalibration) -> (f64, f64) {
    fit::median_and_worst("inference", &inference(c, cal))
}

/// The constants searched and the values tried.
const AXES: [fit::Axis<InferCalibration>; 7] = [
    (&[0.55, 0.6, 0.65, 0.7, 0.75, 0.8], |c, v| c.hbm_efficiency = v),
    (&[16.0, 64.0, 128.0], |c, v| c.gemm_tile_rows = v),
    (&[0.6, 0.8, 1.0], |c, v| c.attention_efficiency = v),
    (&[0.4, 0.55, 0.7], |c, v| c.collective_efficiency = v),
    (&[5e-6, 10e-6, 20e-6], |c, v| c.collective_latency_s = v),
    (&[0.5e-3, 1e-3, 2e-3], |c, v| c.step_overhead_s = v),
    (&[5e-6, 10e-6, 20e-6], |c, v| c.layer_overhead_s = v),
];

fn main() {
    let c = Catalog::builtin().unwrap();
    fit::run(&AXES, |cal| score(&c, cal));
}
