//! The published measurement set (`validation/published/` at the repository root, copied from
//! the project's shared validation set): every row of `training.csv`, `inference.csv`,
//! `finetune.csv` and `memory.csv` predicted with the row's own chip, precision and layout
//! through the core planners, or refused with the reason.
//!
//! Rules:
//! - The chip is the row's `gpu`; a chip missing from the catalog is a refusal, never a
//!   stand-in. Model shapes come from the row's shape columns.
//! - The published layout is used as published (a pipeline that does not divide the layers
//!   evenly is evaluated with the mean stage, which the note says). Fields the source leaves
//!   empty are searched (training) or chosen for the highest throughput (MLPerf inference).
//! - MLPerf rows take their lengths from `mlperf-datasets.csv`: a log-normal fitted to the
//!   dataset's median and mean prompt length, cut at its maximum, evaluated at five quantiles
//!   and combined by time (tokens ÷ seconds summed over the quantile points).
//! - Nothing is fitted per row. `summarise` gives, per file and per source family, how many
//!   rows were asked, answered and refused (with the reasons) and the median and 90th
//!   percentile of |relative error|.

mod csv;
mod finetune;
mod inference;
mod server;
mod shape;
mod training;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::infer::InferCalibration;
use crate::train::Calibration;

pub use csv::{Record, records};
pub use finetune::{finetune, memory};
pub use inference::{LengthPoint, inference, inference_evaluation, inference_with, mlperf_length_points};
pub use server::{
    KvPool, PROMPT_QUANTILES, RESULTS_REPO, ServerEngine, ServerLatency, ServerModel, ServerRun, board_power,
    clock_scale, mlperf_outputs, mlperf_prompts, paired_output, peer_fabric, reference_engine,
    submission_engine, submission_precision,
};
pub use shape::shape;
pub use training::{training, training_evaluation};

/// `training.csv`.
pub const TRAINING_CSV: &str = include_str!("../../../../validation/published/training.csv");
/// `inference.csv`.
pub const INFERENCE_CSV: &str = include_str!("../../../../validation/published/inference.csv");
/// `finetune.csv`.
pub const FINETUNE_CSV: &str = include_str!("../../../../validation/published/finetune.csv");
/// `memory.csv`.
pub const MEMORY_CSV: &str = include_str!("../../../../validation/published/memory.csv");
/// `mlperf-datasets.csv`: the MLPerf datasets' prompt and output lengths.
pub const MLPERF_DATASETS_CSV: &str = include_str!("../../../../validation/published/mlperf-datasets.csv");

/// One published row and what suanli makes of it.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedRow {
    /// `training`, `inference`, `finetune` or `memory`.
    pub file: &'static str,
    /// Row id.
    pub id: String,
    /// Source family.
    pub family: String,
    /// Scenario (inference), method (fine-tuning, memory) or empty.
    pub scenario: String,
    /// Model id as published.
    pub model: String,
    /// Chip id as published.
    pub gpu: String,
    /// Metric as published.
    pub metric: String,
    /// The published value.
    pub published: f64,
    /// suanli's value, when the row is answered.
    pub predicted: Option<f64>,
    /// (predicted − published) ÷ published, when answered and the published value is not 0.
    pub rel_error: Option<f64>,
    /// Why the row is not answered.
    pub refused: Option<String>,
    /// Assumptions and derivations behind the prediction.
    pub note: String,
}

impl PublishedRow {
    pub(crate) fn new(file: &'static str, r: &Record) -> PublishedRow {
        PublishedRow {
            file,
            id: r.get("id").to_string(),
            family: r.get("family").to_string(),
            scenario: String::new(),
            model: r.get("model").to_string(),
            gpu: r.get("gpu").to_string(),
            metric: r.get("metric").to_string(),
            published: r.num("value").unwrap_or(f64::NAN),
            predicted: None,
            rel_error: None,
            refused: None,
            note: String::new(),
        }
    }

    pub(crate) fn answer(mut self, predicted: f64, note: impl Into<String>) -> PublishedRow {
        self.predicted = Some(predicted);
        self.rel_error = if self.published != 0.0 && self.published.is_finite() && predicted.is_finite() {
            Some((predicted - self.published) / self.published)
        } else {
            None
        };
        self.note = note.into();
        self
    }

    pub(crate) fn refuse(mut self, reason: impl Into<String>) -> PublishedRow {
        self.refused = Some(reason.into());
        self
    }
}

/// Accuracy and coverage of one group of rows.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSummary {
    /// File.
    pub file: &'static str,
    /// Source family, or `all`.
    pub family: String,
    /// Scenario, or `all`.
    pub scenario: String,
    /// Metric, or `all` (a scenario with several metrics is also summarised per metric).
    pub metric: String,
    /// Rows in the group.
    pub asked: usize,
    /// Rows predicted.
    pub answered: usize,
    /// Rows with a relative error (answered, published value not 0).
    pub scored: usize,
    /// Rows refused.
    pub refused: usize,
    /// Refusal reasons with their counts, most frequent first.
    pub refusals: Vec<(String, usize)>,
    /// Median |relative error| of the scored rows.
    pub median_abs_error: Option<f64>,
    /// 90th percentile (nearest rank) of |relative error|.
    pub p90_abs_error: Option<f64>,
}

/// Every row and the summaries.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedReport {
    /// Per file, per (file, family) and per (file, family, scenario).
    pub summaries: Vec<GroupSummary>,
    /// Every row.
    pub rows: Vec<PublishedRow>,
}

/// Median and nearest-rank 90th percentile of `v` (sorted in place); `None` when empty.
#[must_use]
pub fn median_p90(v: &mut [f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    let rank = ((0.9 * n as f64).ceil() as usize).clamp(1, n);
    Some((median, v[rank - 1]))
}

fn group(
    file: &'static str,
    family: &str,
    scenario: &str,
    metric: &str,
    rows: &[&PublishedRow],
) -> GroupSummary {
    let mut errs: Vec<f64> = rows.iter().filter_map(|r| r.rel_error.map(f64::abs)).collect();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows {
        if let Some(why) = &r.refused {
            *reasons.entry(why.clone()).or_default() += 1;
        }
    }
    let mut refusals: Vec<(String, usize)> = reasons.into_iter().collect();
    refusals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mp = median_p90(&mut errs);
    GroupSummary {
        file,
        family: family.to_string(),
        scenario: scenario.to_string(),
        metric: metric.to_string(),
        asked: rows.len(),
        answered: rows.iter().filter(|r| r.predicted.is_some()).count(),
        scored: errs.len(),
        refused: rows.iter().filter(|r| r.refused.is_some()).count(),
        refusals,
        median_abs_error: mp.map(|m| m.0),
        p90_abs_error: mp.map(|m| m.1),
    }
}

/// Summaries per file, per (file, family), per (file, family, scenario) and, where a scenario
/// holds several metrics, per (file, family, scenario, metric), in file order.
#[must_use]
pub fn summarise(rows: &[PublishedRow]) -> Vec<GroupSummary> {
    fn distinct<'a>(rows: &[&'a PublishedRow], key: fn(&'a PublishedRow) -> &'a str) -> Vec<&'a str> {
        let mut v: Vec<&str> = rows.iter().map(|r| key(r)).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    let mut out = Vec::new();
    for file in ["training", "inference", "finetune", "memory"] {
        let in_file: Vec<&PublishedRow> = rows.iter().filter(|r| r.file == file).collect();
        let Some(first) = in_file.first() else { continue };
        let f = first.file;
        out.push(group(f, "all", "all", "all", &in_file));
        for fam in distinct(&in_file, |r| r.family.as_str()) {
            let in_fam: Vec<&PublishedRow> = in_file.iter().copied().filter(|r| r.family == fam).collect();
            out.push(group(f, fam, "all", "all", &in_fam));
            let scenarios = distinct(&in_fam, |r| r.scenario.as_str());
            for sc in &scenarios {
                let in_sc: Vec<&PublishedRow> =
                    in_fam.iter().copied().filter(|r| r.scenario == *sc).collect();
                if scenarios.len() > 1 {
                    out.push(group(f, fam, sc, "all", &in_sc));
                }
                let metrics = distinct(&in_sc, |r| r.metric.as_str());
                if metrics.len() > 1 {
                    for m in metrics {
                        let in_m: Vec<&PublishedRow> =
                            in_sc.iter().copied().filter(|r| r.metric == m).collect();
                        out.push(group(f, fam, sc, m, &in_m));
                    }
                }
            }
        }
    }
    out
}

/// Every published row predicted with the default calibrations (the Server means from the
/// planner, the p99 rows refused: see [`report_with`]).
#[must_use]
pub fn report(c: &Catalog) -> PublishedReport {
    report_with(c, None)
}

/// Every published row, the MLPerf Server latencies answered by simulating each row's rate.
#[must_use]
pub fn report_with(c: &Catalog, sim: Option<ServerModel<'_>>) -> PublishedReport {
    let mut rows = training(c, &Calibration::default());
    rows.extend(inference::inference_with(c, &InferCalibration::default(), sim));
    rows.extend(finetune(c));
    rows.extend(memory(c));
    PublishedReport { summaries: summarise(&rows), rows }
}
