//! Predictions against published measurements (`validation/` at the repository root).
//!
//! The data files are embedded so `suanli validate` and the README's error table need nothing
//! but the binary. Sets that need planners not yet built are listed as pending, not dropped.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::model::training_flops_6nd;
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

fn summarise(set: &str, rows: &[Row]) -> Option<Summary> {
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
    let summaries = ["gpt3-compute", "published-params"].iter().filter_map(|s| summarise(s, &rows)).collect();
    let pending = vec![
        Pending {
            set: "training".into(),
            rows: data_lines(TRAINING_CSV).count(),
            reason: "needs the training planner (step time, layouts)".into(),
        },
        Pending {
            set: "inference".into(),
            rows: data_lines(INFERENCE_CSV).count(),
            reason: "needs the inference planner (prefill/decode roofline, batching)".into(),
        },
    ];
    Report { summaries, rows, pending }
}
