//! Predictions against published measurements (`validation/` at the repository root).
//!
//! The data files are embedded so `suanli validate` and the README's error table need nothing
//! but the binary. Sets that need planners not yet built are listed as pending, not dropped.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::infer::{Engine, InferCalibration, InferConfig, Mode, Precisions, Replica, evaluate};
use crate::model::{FfnKind, ModelSpec, Norm, Position, training_flops_6nd};
use crate::precision::Precision;
use crate::train::{
    Calibration, Cluster, Constraints, Layout, Objective, Prepared, Recompute, Stack, Workload, search,
};
use crate::units::FLOP_PER_PF_DAY;

/// GPT-3 Table D.1 (Brown et al. 2020): shapes and training compute.
pub const GPT3_COMPUTE_CSV: &str = include_str!("../../../validation/gpt3-compute.csv");
/// Published training throughput.
pub const TRAINING_CSV: &str = include_str!("../../../validation/training.csv");
/// Published inference throughput.
pub const INFERENCE_CSV: &str = include_str!("../../../validation/inference.csv");

/// One prediction against one published number.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Validation set.
    pub set: String,
    /// Row id.
    pub id: String,
    /// What is compared.
    pub metric: String,
    /// The published number.
    pub published: f64,
    /// suanli's number.
    pub predicted: f64,
    /// (predicted − published) ÷ published.
    pub rel_error: f64,
}

/// Error statistics of one set.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Validation set.
    pub set: String,
    /// Rows compared.
    pub rows: usize,
    /// Median of |relative error|.
    pub median_abs_error: f64,
    /// Largest |relative error|.
    pub worst_abs_error: f64,
    /// The row with the largest error.
    pub worst_id: String,
}

/// A set not yet predicted.
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// Validation set.
    pub set: String,
    /// Rows in it.
    pub rows: usize,
    /// What is missing.
    pub reason: String,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Per-set statistics.
    pub summaries: Vec<Summary>,
    /// Every row.
    pub rows: Vec<Row>,
    /// Sets waiting for a planner.
    pub pending: Vec<Pending>,
}

fn data_lines(csv: &str) -> impl Iterator<Item = Vec<&str>> {
    csv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .map(|l| l.split(',').collect())
}

fn row(set: &str, id: &str, metric: &str, published: f64, predicted: f64) -> Row {
    Row {
        set: set.into(),
        id: id.into(),
        metric: metric.into(),
        published,
        predicted,
        rel_error: (predicted - published) / published,
    }
}

/// GPT-3 training compute: `6·N·D` with N from the catalogued shape, against Table D.1.
#[must_use]
pub fn gpt3_compute(c: &Catalog) -> Vec<Row> {
    let mut out = Vec::new();
    for f in data_lines(GPT3_COMPUTE_CSV) {
        let (Some(id), Some(tokens_b), Some(pf)) = (f.first(), f.get(6), f.get(7)) else { continue };
        let (Ok(tokens_b), Ok(pf)) = (tokens_b.parse::<f64>(), pf.parse::<f64>()) else { continue };
        let Ok(m) = c.model(id) else { continue };
        let predicted = training_flops_6nd(m.params().total, tokens_b * 1e9) / FLOP_PER_PF_DAY;
        out.push(row("gpt3-compute", id, "train PF/s-days (6ND)", pf, predicted));
    }
    out
}

/// Parameter counts from shapes against the authors' published counts.
#[must_use]
pub fn published_params(c: &Catalog) -> Vec<Row> {
    c.models
        .iter()
        .filter_map(|m| {
            let p = m.published_params_b.as_ref()?;
            Some(row("published-params", &m.id, "parameters (B)", p.v, m.params().total / 1e9))
        })
        .collect()
}

/// One row of `training.csv`, parsed.
#[derive(Debug, Clone)]
pub struct TrainingRow {
    /// Row id.
    pub id: String,
    /// The model built from the row's shape.
    pub model: ModelSpec,
    /// Accelerator id.
    pub gpu: String,
    /// GPUs.
    pub gpus: u64,
    /// What the row fixes (empty fields are searched).
    pub constraints: Constraints,
    /// Batch, sequence, precision.
    pub workload: Workload,
    /// `hw_tflops_per_gpu` or `model_tokens_per_s_per_gpu`.
    pub metric: String,
    /// Published value.
    pub value: f64,
    /// The software stack the run used, from its source (Megatron-LM 2021 → legacy).
    pub stack: Stack,
}

fn shape_from_row(id: &str, kind: &str, n: &[u32; 7]) -> ModelSpec {
    let [layers, hidden, heads, kv_heads, ffn, vocab, seq] = *n;
    let llama = kind == "llama";
    ModelSpec {
        id: id.to_string(),
        aliases: Vec::new(),
        name: id.to_string(),
        family: kind.to_string(),
        layers,
        hidden,
        heads,
        kv_heads,
        head_dim: hidden / heads.max(1),
        ffn,
        ffn_kind: if llama { FfnKind::Swiglu } else { FfnKind::Gelu },
        vocab,
        max_context: seq,
        tied_embeddings: !llama,
        position: if llama { Position::Rope } else { Position::Learned },
        norm: if llama { Norm::Rmsnorm } else { Norm::Layernorm },
        bias: !llama,
        moe: None,
        mla: None,
        published_params_b: None,
        published_active_params_b: None,
        src: "validation".into(),
        notes: None,
        ..ModelSpec::default()
    }
}

/// The software a published run used, from its source: Megatron-LM 2021 (Narayanan et al.)
/// materialised attention scores; Meta's LLaMA code (Touvron et al.) fused attention only;
/// NeMo (2024) is the modern Transformer Engine stack.
fn stack_of_source(source: &str) -> Stack {
    if source.contains("Narayanan") {
        Stack::LEGACY
    } else if source.contains("Touvron") {
        Stack::FUSED_ATTENTION
    } else {
        Stack::MODERN
    }
}

/// Parses `training.csv`. Rows that do not parse are skipped (the file is ours and tested).
#[must_use]
pub fn training_rows() -> Vec<TrainingRow> {
    let mut out = Vec::new();
    for line in TRAINING_CSV.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).skip(1) {
        let f: Vec<&str> = line.splitn(22, ',').collect();
        if f.len() < 22 {
            continue;
        }
        let num = |i: usize| f[i].trim().parse::<u32>().ok();
        let shape = [num(2), num(3), num(4), num(5), num(6), num(7), num(8)];
        let Some(shape) = shape.into_iter().collect::<Option<Vec<u32>>>() else { continue };
        let Ok(shape) = <[u32; 7]>::try_from(shape) else { continue };
        let (Some(gpus), Some(global_batch), Ok(value)) = (num(11), num(15), f[20].trim().parse::<f64>())
        else {
            continue;
        };
        let precision = match f[18].trim() {
            "fp8" => Precision::Fp8,
            "fp16" => Precision::Fp16,
            _ => Precision::Bf16,
        };
        let recompute = match f[17].trim() {
            "full" => Some(Recompute::Full),
            "selective" => Some(Recompute::Selective),
            "none" => Some(Recompute::None),
            _ => None,
        };
        out.push(TrainingRow {
            id: f[0].to_string(),
            model: shape_from_row(f[0], f[1].trim(), &shape),
            gpu: f[10].trim().to_string(),
            gpus: u64::from(gpus),
            constraints: Constraints {
                gpus: Some(u64::from(gpus)),
                max_gpus: u64::from(gpus),
                tp: num(12),
                pp: num(13),
                dp: num(14),
                micro_batch: num(16),
                recompute,
                ..Constraints::default()
            },
            workload: Workload { global_batch, seq_len: shape[6], precision },
            metric: f[19].trim().to_string(),
            value,
            stack: stack_of_source(f[21]),
        });
    }
    out
}

/// Predicts every training row with its given layout (empty fields searched for the fastest
/// fitting layout). Returns the rows and, per row, the layout chosen.
#[must_use]
pub fn training(c: &Catalog, calib: &Calibration) -> (Vec<Row>, Vec<(String, Option<Layout>)>) {
    let mut rows = Vec::new();
    let mut layouts = Vec::new();
    for r in training_rows() {
        let Ok(cluster) = Cluster::new(c, &r.gpu, None, r.workload.precision, calib) else { continue };
        let prepared = Prepared::new(&r.model, &cluster, &r.workload, calib, &r.stack);
        let cands = crate::train::Candidates::new(&r.model, &r.workload, &r.constraints, cluster.node_size);
        let outcome = search(&prepared, &cands, Objective::Fastest);
        let predicted = outcome.best.map_or(0.0, |e| match r.metric.as_str() {
            "hw_tflops_per_gpu" => e.hardware_tflops_per_gpu,
            _ => e.tokens_per_s_per_gpu,
        });
        layouts.push((r.id.clone(), outcome.best.map(|e| e.layout)));
        rows.push(row("training", &r.id, &r.metric, r.value, predicted));
    }
    (rows, layouts)
}

/// One row of `inference.csv`, parsed.
#[derive(Debug, Clone)]
pub struct InferenceRow {
    /// Row id.
    pub id: String,
    /// Catalog model id.
    pub model: String,
    /// Accelerator id.
    pub gpu: String,
    /// Tensor parallelism.
    pub tp: u32,
    /// Precision of weights, activations and KV cache.
    pub precision: Precision,
    /// Prompt tokens.
    pub input: u32,
    /// Output tokens.
    pub output: u32,
    /// Published output tokens per second, whole TP group.
    pub value: f64,
}

/// Parses `inference.csv`.
#[must_use]
pub fn inference_rows() -> Vec<InferenceRow> {
    data_lines(INFERENCE_CSV)
        .filter_map(|f| {
            let precision = match f.get(4)?.trim() {
                "fp8" => Precision::Fp8,
                "fp16" => Precision::Fp16,
                "int8" => Precision::Int8,
                _ => Precision::Bf16,
            };
            Some(InferenceRow {
                id: f.first()?.to_string(),
                model: f.get(1)?.trim().to_string(),
                gpu: f.get(2)?.trim().to_string(),
                tp: f.get(3)?.trim().parse().ok()?,
                precision,
                input: f.get(5)?.trim().parse().ok()?,
                output: f.get(6)?.trim().parse().ok()?,
                value: f.get(7)?.trim().parse().ok()?,
            })
        })
        .collect()
}

/// Predicts every inference row at maximum load with the engine defaults, at the constants of
/// the stack that measured them (TensorRT-LLM v0.17's C++ executor, [`crate::infer::Stack::TrtllmCpp`]).
#[must_use]
pub fn inference(c: &Catalog, calib: &InferCalibration) -> Vec<Row> {
    let calib = &crate::infer::Stack::TrtllmCpp.calibration(calib);
    let mut rows = Vec::new();
    for r in inference_rows() {
        let Ok(spec) = c.model(&r.model) else { continue };
        let p = Precisions::uniform(r.precision);
        let Ok(cluster) = Cluster::new(c, &r.gpu, None, p.activations, &Calibration::default()) else {
            continue;
        };
        let cfg = InferConfig { tp: r.tp, pp: 1, ep: 1, precision: p };
        let replica = Replica::new(spec, &cluster, &cfg, &Engine::default(), calib);
        let res = evaluate(&replica, r.input, r.output, Mode::MaxLoad);
        rows.push(row(
            "inference",
            &r.id,
            "output tokens/s",
            r.value,
            if res.fits { res.output_tokens_per_s } else { 0.0 },
        ));
    }
    rows
}

/// Median and worst absolute relative error of `set`'s rows (the median of an even count is
/// the mean of the middle two), with the worst row. `None` when the set has no rows.
#[must_use]
pub fn summarise(set: &str, rows: &[Row]) -> Option<Summary> {
    let mut errs: Vec<(f64, &str)> =
        rows.iter().filter(|r| r.set == set).map(|r| (r.rel_error.abs(), r.id.as_str())).collect();
    if errs.is_empty() {
        return None;
    }
    errs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = errs.len();
    let median = if n % 2 == 1 { errs[n / 2].0 } else { (errs[n / 2 - 1].0 + errs[n / 2].0) / 2.0 };
    let (worst, worst_id) = errs[n - 1];
    Some(Summary {
        set: set.into(),
        rows: n,
        median_abs_error: median,
        worst_abs_error: worst,
        worst_id: worst_id.into(),
    })
}

/// Every comparison suanli can make today.
#[must_use]
pub fn report(c: &Catalog) -> Report {
    let mut rows = gpt3_compute(c);
    rows.extend(published_params(c));
    rows.extend(training(c, &Calibration::default()).0);
    rows.extend(inference(c, &InferCalibration::default()));
    let summaries = ["gpt3-compute", "published-params", "training", "inference"]
        .iter()
        .filter_map(|s| summarise(s, &rows))
        .collect();
    let pending = Vec::new();
    Report { summaries, rows, pending }
}
