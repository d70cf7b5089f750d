//! Measured calibration (`tests/fixtures/calibration/h100-synthetic.json`): the planners use
//! the file's GEMM efficiency at every measured M, and the curves move the answers the way
//! they should.

use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::calibration::Measured;
use suanli_core::hardware::PeakKind;
use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster, Layout, Prepared, Recompute, Stack, Workload, evaluate};

const FIXTURE: &str = include_str!("../fixtures/calibration/h100-synthetic.json");

fn fixture() -> Value {
    serde_json::from_str(FIXTURE).expect("fixture is JSON")
}

/// The catalog with `file` attached (`None`: the built-in catalog).
fn catalog(file: Option<&Value>) -> Catalog {
    let c = Catalog::builtin().expect("catalog");
    match file {
        Some(v) => c.with_measured(Measured::parse(&v.to_string(), "test").expect("valid")).expect("chip"),
        None => c,
    }
}

fn replica(c: &Catalog, gpu: &str, p: Precision) -> Replica {
    let spec = c.model("llama3.1-8b").expect("model");
    let prec = Precisions::uniform(p);
    let cluster = Cluster::new(c, gpu, None, p, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: prec };
    Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default())
}

/// Scales every value of `key` in the GEMM curves (or `hbm.read_gbps`) by `f`.
fn scaled_gemm(mut v: Value, f: f64) -> Value {
    for g in v["gemm"].as_array_mut().expect("gemm") {
        for t in g["tflops"].as_array_mut().expect("tflops") {
            *t = Value::from(t.as_f64().expect("number") * f);
        }
    }
    v
}

fn peak_bf16() -> f64 {
    let c = Catalog::builtin().expect("catalog");
    c.accelerator("h100-sxm").expect("h100").peak_flops(Precision::Bf16, PeakKind::Dense).expect("bf16")
}

#[test]
fn gemm_efficiency_at_each_measured_m_equals_the_files() {
    // One bf16 shape: every GEMM of the model maps onto it.
    let mut v = fixture();
    let first = v["gemm"][0].clone();
    v["gemm"] = Value::Array(vec![first.clone()]);
    let r = replica(&catalog(Some(&v)), "h100-sxm", Precision::Bf16);
    let peak = peak_bf16();
    let ms = first["m"].as_array().expect("m");
    let tf = first["tflops"].as_array().expect("tflops");
    for (m, t) in ms.iter().zip(tf) {
        let (m, t) = (m.as_f64().expect("m"), t.as_f64().expect("t"));
        let want = t * 1e12 / peak;
        let got = r.dense_gemm_efficiency(m);
        assert!((got / want - 1.0).abs() < 0.01, "M = {m}: {got} vs the file's {want}");
    }
}

#[test]
fn every_shape_of_the_model_uses_its_own_curve() {
    // The fixture's four llama3.1-8b tp1 shapes: the group's efficiency at each measured M is
    // the FLOP-weighted harmonic mean of the four curves there (their times add).
    let v = fixture();
    let r = replica(&catalog(Some(&v)), "h100-sxm", Precision::Bf16);
    let peak = peak_bf16();
    let curves: Vec<&Value> = v["gemm"]
        .as_array()
        .expect("gemm")
        .iter()
        .filter(|g| {
            g["dtype"] == "bf16" && g["shape"].as_str().expect("shape").starts_with("llama3.1-8b tp1")
        })
        .collect();
    assert_eq!(curves.len(), 4);
    let ms: Vec<f64> = curves[0]["m"].as_array().expect("m").iter().map(|m| m.as_f64().expect("m")).collect();
    for (i, m) in ms.iter().enumerate() {
        let (mut flops, mut time) = (0.0, 0.0);
        for g in &curves {
            let nk = g["n"].as_f64().expect("n") * g["k"].as_f64().expect("k");
            flops += nk;
            time += nk / (g["tflops"][i].as_f64().expect("t") * 1e12 / peak);
        }
        let want = flops / time;
        let got = r.dense_gemm_efficiency(*m);
        assert!((got / want - 1.0).abs() < 0.01, "M = {m}: {got} vs {want}");
    }
}

#[test]
fn half_the_gemm_rate_slows_prefill_and_large_steps() {
    let base = fixture();
    let full = replica(&catalog(Some(&base)), "h100-sxm", Precision::Bf16);
    let half = replica(&catalog(Some(&scaled_gemm(base, 0.5))), "h100-sxm", Precision::Bf16);
    // A 4,096-token prefill is compute-bound: nearly twice as long.
    let (a, b) = (full.step(0.0, 0.0, 4096.0, 2048.0, 1.0), half.step(0.0, 0.0, 4096.0, 2048.0, 1.0));
    assert!((b.gemm_compute_s / a.gemm_compute_s - 2.0).abs() < 1e-9, "{a:?} {b:?}");
    assert!(b.total_s > 1.5 * a.total_s, "prefill {} → {}", a.total_s, b.total_s);
    // A decode step of 256 sequences is slower too.
    let (a, b) = (full.step(256.0, 1000.0, 0.0, 0.0, 256.0), half.step(256.0, 1000.0, 0.0, 0.0, 256.0));
    assert!(b.total_s > a.total_s, "decode 256 {} → {}", a.total_s, b.total_s);
}

#[test]
fn faster_hbm_lowers_batch_one_tpot() {
    let base = fixture();
    let mut fast = base.clone();
    fast["hbm"]["read_gbps"] = Value::from(3300.0);
    let slow = replica(&catalog(Some(&base)), "h100-sxm", Precision::Bf16).step(1.0, 1000.0, 0.0, 0.0, 1.0);
    let quick = replica(&catalog(Some(&fast)), "h100-sxm", Precision::Bf16).step(1.0, 1000.0, 0.0, 0.0, 1.0);
    assert!(quick.total_s < slow.total_s, "{} → {}", slow.total_s, quick.total_s);
    assert!((slow.gemm_memory_s / quick.gemm_memory_s - 1.1).abs() < 1e-9);
    // And the measured 3,000 GB/s (90 % of peak) beats the fitted 75 %.
    let fitted = replica(&catalog(None), "h100-sxm", Precision::Bf16).step(1.0, 1000.0, 0.0, 0.0, 1.0);
    assert!(slow.gemm_memory_s < fitted.gemm_memory_s);
}

#[test]
fn fp8_uses_the_fp8_curves_and_other_chips_are_untouched() {
    let v = fixture();
    let c = catalog(Some(&v));
    let r = replica(&c, "h100-sxm", Precision::Fp8);
    let peak =
        c.accelerator("h100-sxm").expect("h100").peak_flops(Precision::Fp8, PeakKind::Dense).expect("fp8");
    let fp8: Vec<&Value> =
        v["gemm"].as_array().expect("gemm").iter().filter(|g| g["dtype"] == "fp8").collect();
    let last = fp8[0]["tflops"].as_array().expect("t").len() - 1;
    let eff = r.dense_gemm_efficiency(16384.0);
    for g in &fp8 {
        let e = g["tflops"][last].as_f64().expect("t") * 1e12 / peak;
        assert!((eff / e - 1.0).abs() < 0.02, "{eff} vs {e}");
    }
    // An A100 plans exactly as without the file.
    let with = replica(&c, "a100-sxm-80gb", Precision::Bf16).step(8.0, 1000.0, 512.0, 256.0, 8.0);
    let without =
        replica(&catalog(None), "a100-sxm-80gb", Precision::Bf16).step(8.0, 1000.0, 512.0, 256.0, 8.0);
    assert_eq!(with, without);
}

#[test]
fn training_steps_follow_the_measured_gemm_rate() {
    let c = catalog(None);
    let spec = c.model("llama3.1-8b").expect("model").clone();
    let w = Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 };
    // From JSON, so that layout fields added later take their defaults.
    let recompute = serde_json::to_value(Recompute::Full).expect("serialises");
    let l: Layout = serde_json::from_value(serde_json::json!({
        "tp": 1, "pp": 1, "dp": 8, "ep": 1, "cp": 1, "vp": 1, "micro_batch": 1, "recompute": recompute, "zero": 1
    }))
    .expect("a layout");
    let step = |cat: &Catalog| {
        let cl =
            Cluster::new(cat, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
        let p = Prepared::new(&spec, &cl, &w, &Calibration::default(), &Stack::MODERN);
        evaluate(&p, &l).step_time_s
    };
    let base = fixture();
    let full = step(&catalog(Some(&base)));
    let half = step(&catalog(Some(&scaled_gemm(base, 0.5))));
    assert!(half > 1.5 * full, "{full} → {half}");
    assert!(full.is_finite() && full > 0.0);
}

#[test]
fn bad_files_name_the_field() {
    let mut v = fixture();
    v["gemm"][1]["m"][2] = Value::from(2.0);
    let e = Measured::parse(&v.to_string(), "f.json").expect_err("descending M").to_string();
    assert!(e.contains("gemm[1].m[2]"), "{e}");
    let mut v = fixture();
    v["device"]["chip"] = Value::from("h1000");
    let m = Measured::parse(&v.to_string(), "f.json").expect("parses");
    let e = Catalog::builtin().expect("catalog").with_measured(m).expect_err("unknown chip").to_string();
    assert!(e.contains("device.chip"), "{e}");
    let mut v = fixture();
    v["hbm"]["read_gbps"] = Value::from(0.0);
    let e = Measured::parse(&v.to_string(), "f.json").expect_err("zero").to_string();
    assert!(e.contains("hbm.read_gbps"), "{e}");
    let mut v = fixture();
    v["gemm"][0]["tflops"] = Value::from(vec![1.0]);
    let e = Measured::parse(&v.to_string(), "f.json").expect_err("length").to_string();
    assert!(e.contains("gemm[0].tflops"), "{e}");
}

#[test]
fn weight_only_quantisation_keeps_the_fitted_gemm_rate() {
    // The curves were measured with bf16 weights: int4 weights with bf16 GEMMs stream a quarter
    // of the bytes, so the measured small-M times do not apply to them.
    let int4 = |c: &Catalog| {
        let spec = c.model("llama3.1-8b").expect("model");
        let prec = Precisions { weights: Precision::Int4, ..Precisions::uniform(Precision::Bf16) };
        let cluster =
            Cluster::new(c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
        let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: prec };
        Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default())
    };
    let with = int4(&catalog(Some(&fixture())));
    let without = int4(&catalog(None));
    for m in [1.0, 16.0, 4096.0] {
        let (a, b) = (with.dense_gemm_efficiency(m), without.dense_gemm_efficiency(m));
        // Only the large-GEMM efficiency (the file's median at the largest M) differs.
        let ratio = with.cluster().gemm_efficiency / without.cluster().gemm_efficiency;
        assert!((a / b / ratio - 1.0).abs() < 1e-12, "M = {m}: {a} vs {b}");
    }
}
