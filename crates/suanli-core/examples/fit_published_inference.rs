//! Fits the inference planner's constants on the published TensorRT-LLM v1.0 throughput rows
//! (`validation/published/inference.csv`) by coordinate descent, scored by their median + p90
//! |error|, keeping the MLPerf v4.1 Offline rows at median 5.3 %, p90 15.8 % or better,
//! `validation/inference.csv` within its tolerances (median within 10 %, worst within 16 %)
//! and batch-1 decode within 1.5x of weights ÷ bandwidth on every chip (the excess counts as
//! old-set error): `cargo run --release -p suanli-core --example fit_published_inference --
//! [name=value ...]` (the starting point's overrides, names as in its axes).
#![allow(clippy::unwrap_used)]

use suanli_core::Catalog;
use suanli_core::infer::{InferCalibration, batch_one_decode};
use suanli_core::published::{inference as published_inference, median_p90};
use suanli_core::validation::{inference, summarise};

type Axis = (&'static str, &'static [f64], fn(&mut InferCalibration, f64));

const AXES: [Axis; 17] = [
    ("expert_imbalance", &[1.0, 1.2, 1.4, 1.6, 1.8], |c, v| c.expert_imbalance = v),
    (
        "sequence_overhead_s",
        &[0.0, 4e-6, 8e-6, 12e-6, 16e-6, 20e-6, 25e-6, 30e-6, 35e-6, 40e-6, 50e-6, 60e-6],
        |c, v| c.sequence_overhead_s = v,
    ),
    ("grace_host_factor", &[1.0, 1.25, 1.5, 1.75, 2.0, 2.5], |c, v| c.grace_host_factor = v),
    ("kv_hbm_efficiency", &[0.6, 0.7, 0.75, 0.8, 0.85, 0.9], |c, v| c.kv_hbm_efficiency = v),
    ("roofline_sharpness", &[2.0, 2.25, 2.5, 2.75, 3.0, 4.0], |c, v| c.roofline_sharpness = v),
    ("moe_layer_overhead_s", &[0.0, 10e-6, 20e-6, 40e-6, 80e-6], |c, v| c.moe_layer_overhead_s = v),
    ("hbm_efficiency", &[0.75, 0.8, 0.85, 0.9], |c, v| c.hbm_efficiency = v),
    ("attention_efficiency", &[0.6, 0.7, 0.8, 0.9, 1.0, 1.2], |c, v| c.attention_efficiency = v),
    ("collective_efficiency", &[0.3, 0.4, 0.5, 0.6, 0.7, 0.8], |c, v| c.collective_efficiency = v),
    ("collective_latency_s", &[5e-6, 10e-6, 20e-6, 40e-6], |c, v| c.collective_latency_s = v),
    ("step_overhead_s", &[0.0, 0.5e-3, 1e-3, 2e-3, 4e-3, 8e-3], |c, v| c.step_overhead_s = v),
    ("layer_overhead_s", &[5e-6, 7e-6, 10e-6, 15e-6, 20e-6], |c, v| c.layer_overhead_s = v),
    ("elementwise_bytes_per_hidden", &[0.0, 10.0, 20.0, 40.0, 60.0, 80.0, 160.0], |c, v| {
        c.elementwise_bytes_per_hidden = v
    }),
    ("gemm_tile_rows", &[16.0, 64.0, 128.0], |c, v| c.gemm_tile_rows = v),
    ("moe_permute_bytes_per_hidden", &[0.0, 4.0, 8.0, 16.0, 24.0, 32.0, 64.0], |c, v| {
        c.moe_permute_bytes_per_hidden = v
    }),
    ("expert_tile_rows", &[16.0, 32.0, 64.0, 128.0], |c, v| c.expert_tile_rows = v),
    ("gemm_depth_overhead", &[0.0, 128.0, 256.0, 384.0, 512.0, 768.0, 1024.0, 2048.0], |c, v| {
        c.gemm_depth_overhead = v
    }),
];

/// How far the worst chip's batch-1 decode exceeds 1.5x weights ÷ bandwidth.
fn batch_one_excess(c: &Catalog, cal: &InferCalibration) -> f64 {
    c.accelerators
        .iter()
        .filter_map(|a| batch_one_decode(c, &a.id, cal))
        .map(|(_, _, step, ideal)| (step / ideal - 1.5).max(0.0))
        .fold(0.0, f64::max)
}

fn score(c: &Catalog, cal: &InferCalibration) -> (f64, f64, f64, f64, f64) {
    let rows = published_inference(c, cal);
    let errors = |family: &str| {
        let mut e: Vec<f64> = rows
            .iter()
            .filter(|r| r.metric == "output_tokens_per_s" && r.scenario != "server")
            .filter(|r| r.family.starts_with(family))
            .filter_map(|r| r.rel_error.map(f64::abs))
            .collect();
        median_p90(&mut e).unwrap()
    };
    let (med, p90) = errors("trtllm");
    let (mlperf_med, mlperf_p90) = errors("mlperf");
    let old = summarise("inference", &inference(c, cal)).unwrap();
    // MLPerf Offline may not get worse than median 5.3 %, p90 15.8 %.
    let mlperf = (mlperf_med - 0.053).max(0.0) + (mlperf_p90 - 0.158).max(0.0);
    (med, p90, old.median_abs_error, old.worst_abs_error + 10.0 * batch_one_excess(c, cal), mlperf)
}

fn objective(s: (f64, f64, f64, f64, f64)) -> f64 {
    s.0 + s.1 + (s.2 - 0.10).max(0.0) * 10.0 + (s.3 - 0.16).max(0.0) * 10.0 + s.4 * 10.0
}

fn main() {
    let c = Catalog::builtin().unwrap();
    let mut best = InferCalibration::default();
    for a in std::env::args().skip(1) {
        let (k, v) = a.split_once('=').unwrap();
        let v: f64 = v.parse().unwrap();
        AXES.iter().find(|x| x.0 == k).unwrap().2(&mut best, v);
    }
    let mut best_s = score(&c, &best);
    println!(
        "start: TensorRT-LLM median {:.3} p90 {:.3}; old median {:.3} worst {:.3}",
        best_s.0, best_s.1, best_s.2, best_s.3
    );
    for pass in 0..3 {
        for (name, values, set) in AXES {
            for &v in values {
                let mut cal = best;
                set(&mut cal, v);
                let s = score(&c, &cal);
                if objective(s) < objective(best_s) - 1e-9 {
                    best = cal;
                    best_s = s;
                    println!(
                        "pass {pass} {name} = {v}: TensorRT-LLM median {:.3} p90 {:.3}; old median {:.3} worst {:.3}",
                        s.0, s.1, s.2, s.3
                    );
                }
            }
        }
    }
    println!("{best:?}");
}
