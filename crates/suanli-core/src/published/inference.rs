//! `inference.csv`: the inference planner at the published chip, precision and layout.
//!
//! - TensorRT-LLM max-throughput rows: the row's TP × PP group at maximum load
//!   (continuous batching, engine defaults) with the row's uniform lengths.
//! - MLPerf Offline: the whole system's GPUs split into replicas of the published layout, or,
//!   where no layout is published, of the tensor-parallel degree (≤ 8, dividing the system)
//!   that serves the most; prompt lengths from `mlperf-datasets.csv` (see
//!   [`mlperf_length_points`]), the dataset's mean output length.
//! - MLPerf Server: the rate is fixed, so the throughput predicted is `min(capacity,
//!   request_rate × mean output)`. The latencies (mean and p99 TTFT and TPOT) come from
//!   simulating the row's rate on its fleet with the submission's engine ([`super::server`]),
//!   through a [`ServerModel`] that `suanli-api` passes (core cannot call suanli-sim); without
//!   one the means come from the planner at the concurrency Little's law gives for that rate
//!   (`n = λ·latency(n)`, iterated) and the p99 rows are refused.

use super::csv::{Record, records};
use super::server::{ServerModel, ServerRun, mlperf_prompts, reference_engine};
use super::shape::shape;
use super::training::cluster_for;
use super::{INFERENCE_CSV, MLPERF_DATASETS_CSV, PublishedRow};
use crate::catalog::Catalog;
use crate::infer::{Engine, InferCalibration, InferConfig, InferResult, Mode, Precisions, Replica, evaluate};
use crate::model::ModelSpec;
use crate::precision::Precision;
use crate::train::{Calibration, Cluster};

/// One prompt length standing for a share of an MLPerf dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LengthPoint {
    /// Prompt tokens.
    pub input: u32,
    /// Share of the requests (the points' weights sum to 1).
    pub weight: f64,
}

/// Standard normal quantiles at 10, 30, 50, 70 and 90 %: five equal-weight points.
const Z: [f64; 5] = [-1.281_551_6, -0.524_400_5, 0.0, 0.524_400_5, 1.281_551_6];

/// The prompt-length points of an MLPerf benchmark's dataset and its mean output length:
/// a log-normal with the dataset's median (`p50`) and mean (`σ² = 2·ln(mean ÷ median)`),
/// evaluated at the 10/30/50/70/90 % quantiles and cut at the dataset's maximum.
/// Also the benchmark's `max_new_tokens` (what a no-evict scheduler reserves KV for).
/// `None` where the dataset's input lengths are not published (GPT-J).
#[must_use]
pub fn mlperf_length_points(model: &str) -> Option<(Vec<LengthPoint>, f64, Option<u32>)> {
    let d = records(MLPERF_DATASETS_CSV).into_iter().find(|d| {
        d.get("model") == model && (model != "mixtral-8x7b" || d.get("benchmark").contains("v4.1"))
    })?;
    let (p50, mean, max, out) = (
        d.num("p50_input_tokens")?,
        d.num("mean_input_tokens")?,
        d.num("max_input_tokens")?,
        d.num("mean_output_tokens")?,
    );
    let sigma = (2.0 * (mean / p50).ln()).max(0.0).sqrt();
    let points = Z
        .iter()
        .map(|z| LengthPoint {
            input: (p50 * (sigma * z).exp()).min(max).round().max(1.0) as u32,
            weight: 0.2,
        })
        .collect();
    Some((points, out, d.int("max_new_tokens")))
}

fn precisions(recipe: &str) -> Option<Precisions> {
    let p = match recipe {
        // FP4 checkpoints served by TensorRT-LLM keep an FP8 KV cache.
        "nvfp4" | "fp4" => {
            return Some(Precisions {
                weights: Precision::Fp4,
                activations: Precision::Fp4,
                kv: Precision::Fp8,
            });
        }
        "fp8" => Precision::Fp8,
        "fp16" => Precision::Fp16,
        "bf16" => Precision::Bf16,
        "int8" => Precision::Int8,
        "int4" => Precision::Int4,
        _ => return None,
    };
    Some(Precisions::uniform(p))
}

/// A prepared replica and how many of them the row's GPUs hold.
struct Fleet {
    replica: Replica,
    replicas: f64,
    tp: u32,
    pp: u32,
}

fn replica(
    spec: &ModelSpec,
    cluster: &Cluster,
    tp: u32,
    pp: u32,
    p: Precisions,
    engine: &Engine,
    calib: &InferCalibration,
) -> Option<Replica> {
    let cfg = InferConfig { tp, pp, ep: 1, precision: p };
    // The tensor-parallel rules apply; a pipeline that does not divide the layers evenly (as
    // published for some TensorRT-LLM runs) is evaluated with the mean stage.
    InferConfig { pp: 1, ..cfg }.check(spec, 1, 1, "published").ok()?;
    Some(Replica::new(spec, cluster, &cfg, engine, calib))
}

/// Output tokens/s of one replica over the length points, combined by time: each point's
/// requests take `O ÷ rate` seconds per request-share, so the mix runs at the weighted
/// harmonic mean of the rates.
fn mixed_rate(r: &Replica, points: &[LengthPoint], output: u32) -> (f64, bool) {
    let mut inv = 0.0;
    let mut fits = true;
    for pt in points {
        let res = evaluate(r, pt.input, output, Mode::MaxLoad);
        fits &= res.fits;
        inv += pt.weight / res.output_tokens_per_s.max(1e-9);
    }
    (1.0 / inv, fits)
}

fn fleet(
    spec: &ModelSpec,
    cluster: &Cluster,
    r: &Record,
    p: Precisions,
    engine: &Engine,
    calib: &InferCalibration,
    (points, output): (&[LengthPoint], u32),
) -> Result<(Fleet, f64, bool), String> {
    let gpus = r.int("gpus").ok_or("gpus not published")?;
    let options: Vec<(u32, u32)> = match (r.int("tp"), r.int("pp")) {
        (Some(tp), pp) => vec![(tp, pp.unwrap_or(1))],
        (None, Some(pp)) => vec![(1, pp)],
        (None, None) => (1..=gpus.min(8)).filter(|t| gpus % t == 0).map(|t| (t, 1)).collect(),
    };
    let mut best: Option<(Fleet, f64, bool)> = None;
    for (tp, pp) in options {
        let Some(rep) = replica(spec, cluster, tp, pp, p, engine, calib) else { continue };
        let replicas = (f64::from(gpus) / (f64::from(tp) * f64::from(pp))).floor().max(1.0);
        let (rate, fits) = mixed_rate(&rep, points, output);
        let total = if fits { rate * replicas } else { 0.0 };
        if best.as_ref().is_none_or(|b| total > b.1) {
            best = Some((Fleet { replica: rep, replicas, tp, pp }, total, fits));
        }
    }
    best.ok_or_else(|| "no tensor/pipeline layout is valid for this model".into())
}

/// The planner at a fixed arrival rate per replica: the concurrency `n` that Little's law
/// gives (`n = λ·e2e(n)`), found by iteration, at the median prompt.
fn at_rate(rep: &Replica, lambda: f64, input: u32, output: u32) -> InferResult {
    let mut n = 1.0_f64;
    let mut res = evaluate(rep, input, output, Mode::Concurrency(1));
    for _ in 0..60 {
        res = evaluate(rep, input, output, Mode::Concurrency(n.round().max(1.0) as u32));
        let next = (lambda * res.e2e_s).clamp(1.0, f64::from(res.max_batch.max(1)));
        if (next - n).abs() < 0.5 {
            break;
        }
        n = 0.5 * (n + next);
    }
    res
}

fn predict(
    c: &Catalog,
    calib: &InferCalibration,
    r: &Record,
    row: &mut PublishedRow,
    sim: Option<ServerModel<'_>>,
) -> Result<(f64, String), String> {
    let spec = shape(r)?;
    let recipe = r.get("precision");
    let p = precisions(recipe).ok_or_else(|| format!("precision `{recipe}` not modelled"))?;
    let cluster = cluster_for(c, r.get("gpu"), p.activations, &Calibration::default())?;
    let scenario = r.get("scenario");
    let metric = r.get("metric");
    let mut notes = Vec::new();
    let mut engine = Engine::default();
    let (points, output) = match (r.int("input_tokens"), r.num("output_tokens")) {
        (Some(i), Some(o)) => (vec![LengthPoint { input: i, weight: 1.0 }], o),
        _ => {
            let (pts, o, max_new) = mlperf_length_points(r.get("model"))
                .ok_or("the dataset's input lengths are not published (mlperf-datasets.csv)")?;
            let shown: Vec<String> = pts.iter().map(|p| p.input.to_string()).collect();
            notes.push(format!(
                "prompt lengths {} (log-normal quantiles), output {o}, KV reserved for {} new tokens",
                shown.join("/"),
                max_new.unwrap_or(0)
            ));
            engine.max_new_tokens = max_new;
            (pts, o)
        }
    };
    let out = output.round().max(1.0) as u32;
    let (f, capacity, fits) = fleet(&spec, &cluster, r, p, &engine, calib, (&points, out))?;
    notes.push(format!("{} replica(s) of tp {} pp {}", f.replicas, f.tp, f.pp));
    if !fits {
        notes.push("does not fit per the planner".into());
    }
    row.scenario = scenario.to_string();
    match (scenario, metric) {
        ("server", "output_tokens_per_s") => {
            let rate = r.num("request_rate").ok_or("request_rate not published")?;
            let offered = rate * output;
            notes.push(format!("capacity {capacity:.0} tokens/s vs offered {offered:.0}"));
            Ok((capacity.min(offered), notes.join("; ")))
        }
        ("server", "ttft_mean_s" | "tpot_mean_s" | "ttft_p99_s" | "tpot_p99_s") if sim.is_some() => {
            let model = sim.ok_or("no simulator")?;
            server_latency(&spec, &cluster, r, p, calib, model)
        }
        ("server", "ttft_mean_s" | "tpot_mean_s") => {
            let rate = r.num("request_rate").ok_or("request_rate not published")?;
            let median = points[points.len() / 2].input;
            let res = at_rate(&f.replica, rate / f.replicas, median, out);
            notes.push(format!("Little's-law concurrency {} per replica at the median prompt", res.batch));
            let v = if metric == "ttft_mean_s" { res.ttft_s } else { res.tpot_s };
            Ok((v, notes.join("; ")))
        }
        ("server", _) => {
            Err("p99 latency needs the serving simulator (suanli-sim); core predicts means".into())
        }
        (_, "output_tokens_per_s") => Ok((capacity, notes.join("; "))),
        _ => Err(format!("metric `{metric}` in scenario `{scenario}` not predicted")),
    }
}

/// Every row of `inference.csv`.
#[must_use]
pub fn inference(c: &Catalog, calib: &InferCalibration) -> Vec<PublishedRow> {
    inference_with(c, calib, None)
}

/// Every row of `inference.csv`, the Server latency rows simulated by `sim` when given.
#[must_use]
pub fn inference_with(
    c: &Catalog,
    calib: &InferCalibration,
    sim: Option<ServerModel<'_>>,
) -> Vec<PublishedRow> {
    records(INFERENCE_CSV)
        .iter()
        .map(|r| {
            let mut row = PublishedRow::new("inference", r);
            row.scenario = r.get("scenario").to_string();
            match predict(c, calib, r, &mut row, sim) {
                Ok((v, note)) => row.answer(v, note),
                Err(why) => row.refuse(why),
            }
        })
        .collect()
}

/// A Server row's latency from simulating its rate: the prompts drawn from the dataset's
/// distribution, the layout as published (else the submission's, else the one that serves the
/// most), the submission's engine where known (else in-flight batching with chunked prefill,
/// the simulator's default), the dataset's mean output.
fn server_latency(
    spec: &ModelSpec,
    cluster: &Cluster,
    r: &Record,
    p: Precisions,
    calib: &InferCalibration,
    model: ServerModel<'_>,
) -> Result<(f64, String), String> {
    let rate = r.num("request_rate").ok_or("request_rate not published")?;
    let (prompts, output, mut note) = mlperf_prompts(r.get("model"))
        .ok_or("the dataset's prompt lengths are not published (mlperf-datasets.csv)")?;
    let known = reference_engine(r.get("model"), r.get("gpu"), r.get("engine"));
    let engine = known.unwrap_or(super::server::ServerEngine {
        tp: None,
        max_batch: None,
        max_tokens: 8192,
        chunked_prefill: true,
        prefill_first: false,
        batcher: None,
        source: "not published: the simulator's default engine",
    });
    let out = output.round().max(1.0) as u32;
    let gpus = r.int("gpus").ok_or("gpus not published")?;
    // The paged KV pool of the submission's engine (90 % of the memory left after the weights:
    // `kvcache_free_gpu_mem_frac = 0.90` in NVIDIA's Server configs), not a reservation for the
    // benchmark's max new tokens: the `max_util` scheduler pages.
    let eng = Engine {
        max_batch: engine.max_batch.unwrap_or(Engine::default().max_batch),
        max_tokens: engine.max_tokens,
        ..Engine::default()
    };
    let layouts: Vec<(u32, u32)> = match (r.int("tp"), r.int("pp"), engine.tp) {
        (Some(tp), pp, _) => vec![(tp, pp.unwrap_or(1))],
        (None, Some(pp), _) => vec![(1, pp)],
        (None, None, Some(tp)) if gpus % tp == 0 => vec![(tp, 1)],
        _ => (1..=gpus.min(8)).filter(|t| gpus % t == 0).map(|t| (t, 1)).collect(),
    };
    let points: Vec<LengthPoint> =
        prompts.iter().step_by(100).map(|&input| LengthPoint { input, weight: 0.1 }).collect();
    let mut best: Option<(Replica, u32, u32, f64)> = None;
    for (tp, pp) in layouts {
        let Some(rep) = replica(spec, cluster, tp, pp, p, &eng, calib) else { continue };
        let n = (gpus / (tp * pp)).max(1);
        let (rate_per, fits) = mixed_rate(&rep, &points, out);
        let total = if fits { rate_per * f64::from(n) } else { 0.0 };
        if best.as_ref().is_none_or(|b| total > b.3) {
            best = Some((rep, n, tp, total));
        }
    }
    let (rep, replicas, tp, _) = best.ok_or("no tensor/pipeline layout is valid for this model")?;
    let run = ServerRun { replica: &rep, replicas, rate, prompts: &prompts, output: out, engine };
    let lat = model(&run).ok_or("the simulation has no answer")?;
    note.push_str(&format!(
        "; {replicas} replica(s) of tp {tp} pp {}; engine ({}): max batch {}, {} tokens a step, {}; {}",
        rep.config.pp,
        engine.source,
        engine.max_batch.map_or_else(|| "KV-bound".to_string(), |b| b.to_string()),
        engine.max_tokens,
        match (engine.prefill_first, engine.chunked_prefill) {
            (true, _) => "prompts-first steps",
            (false, true) => "chunked prompts fused with decodes",
            (false, false) => "whole prompts fused with decodes",
        }
        .to_string()
            + &engine.batcher.map_or_else(String::new, |(w, n)| {
                format!(
                    ", queries batched by the harness ({w} s or {n} queries, a batch to each replica in turn)"
                )
            }),
        lat.note
    ));
    let v = match r.get("metric") {
        "ttft_mean_s" => lat.ttft_mean,
        "ttft_p99_s" => lat.ttft_p99,
        "tpot_mean_s" => lat.tpot_mean,
        _ => lat.tpot_p99,
    };
    Ok((v, note))
}
