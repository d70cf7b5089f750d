//! Error bands: how far off an answer may be, from the validation residuals of its family.
//!
//! For every published row suanli answers (`validation/published/`, see [`crate::published`])
//! the ratio `r = predicted throughput ÷ published throughput` is taken (for a published step
//! time, `r = published time ÷ predicted time`, the same thing). Rows are grouped by workload
//! (`training`, `inference`, `finetune`, and `rlhf` for GRPO/PPO rows) and chip generation (the accelerator's `arch`); a
//! group's band is the 10th and 90th percentile of `r` (nearest rank). A prediction `p` of a
//! throughput then lies, for 80 % of the published rows of its family, in
//! `[p / r₉₀, p / r₁₀]`, and a time `t` in `[t · r₁₀, t · r₉₀]`.
//!
//! The bands are data, computed from the published set by `suanli validate bands` and checked
//! in as `validation/bands.csv` (a test fails when they are stale), so answering a question
//! never re-runs the validation.

use std::sync::OnceLock;

use serde::Serialize;

use crate::published::PublishedReport;

/// The checked-in bands.
pub const BANDS_CSV: &str = include_str!("../../../validation/bands.csv");

/// Fewest rows a (workload, generation) group needs for its own band; smaller groups use the
/// workload's band over every generation.
pub const MIN_ROWS: usize = 8;

/// One family's band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// `training`, `inference` or `finetune`.
    pub workload: String,
    /// Chip generation (`hopper`, `blackwell`, …) or `all`.
    pub arch: String,
    /// Published rows behind it.
    pub rows: usize,
    /// 10th percentile of predicted ÷ published throughput.
    pub r10: f64,
    /// 90th percentile.
    pub r90: f64,
}

impl Band {
    /// Where a throughput `p` likely lies: `(low, high)`.
    #[must_use]
    pub fn throughput(&self, p: f64) -> (f64, f64) {
        (p / self.r90, p / self.r10)
    }

    /// Where a time (or a count of GPUs needed) `t` likely lies: `(low, high)`.
    #[must_use]
    pub fn time(&self, t: f64) -> (f64, f64) {
        (t * self.r10, t * self.r90)
    }

    /// What the band rests on, in words.
    #[must_use]
    pub fn basis(&self) -> String {
        let on = if self.arch == "all" {
            "all chip generations".to_string()
        } else {
            format!("{} chips", self.arch)
        };
        format!(
            "p10–p90 of predicted ÷ published throughput over {} published {} rows on {on} (validation/published, `suanli validate published`)",
            self.rows, self.workload
        )
    }
}

/// Whether a published metric is a throughput (else a time) and enters the bands at all:
/// mean and p99 serving latencies under load are left out (they need the simulator).
fn ratio(metric: &str, predicted: f64, published: f64) -> Option<f64> {
    if !(predicted > 0.0 && published > 0.0 && predicted.is_finite() && published.is_finite()) {
        return None;
    }
    match metric {
        "tokens_per_s_per_gpu" | "output_tokens_per_s" | "model_tflops_per_gpu" => {
            Some(predicted / published)
        }
        "step_time_s" => Some(published / predicted),
        _ => None,
    }
}

/// Nearest-rank percentile of sorted `v`.
fn pct(v: &[f64], q: f64) -> f64 {
    let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// The workload a published row's band belongs to: its file, except reinforcement-learning
/// post-training (GRPO, DAPO, PPO), whose step mixes generation, scoring and training and
/// errs otherwise than supervised fine-tuning: `rlhf`.
#[must_use]
pub fn workload_of<'a>(file: &'a str, scenario: &str) -> &'a str {
    if file == "finetune" && matches!(scenario, "grpo" | "dapo" | "ppo") { "rlhf" } else { file }
}

/// The bands from a published report, as CSV (`workload,arch,rows,r10,r90`).
#[must_use]
pub fn bands_csv(rep: &PublishedReport, arch_of: &dyn Fn(&str) -> Option<String>) -> String {
    let mut groups: std::collections::BTreeMap<(String, String), Vec<f64>> =
        std::collections::BTreeMap::new();
    for r in &rep.rows {
        let (Some(p), true) = (r.predicted, r.refused.is_none()) else { continue };
        if r.file == "memory" || (r.file == "inference" && r.scenario == "server") {
            continue;
        }
        let Some(x) = ratio(&r.metric, p, r.published) else { continue };
        let arch = arch_of(&r.gpu).unwrap_or_else(|| "other".into());
        let workload = workload_of(r.file, &r.scenario);
        groups.entry((workload.to_string(), arch)).or_default().push(x);
        groups.entry((workload.to_string(), "all".into())).or_default().push(x);
    }
    let mut out = String::from("workload,arch,rows,r10,r90\n");
    for ((w, a), mut v) in groups {
        if v.len() < MIN_ROWS && a != "all" {
            continue;
        }
        v.sort_by(f64::total_cmp);
        // Rounded outwards to the 4 decimals written, so the percentile rows stay inside.
        let (lo, hi) = ((pct(&v, 0.1) * 1e4).floor() / 1e4, (pct(&v, 0.9) * 1e4).ceil() / 1e4);
        out.push_str(&format!("{w},{a},{},{lo:.4},{hi:.4}\n", v.len()));
    }
    out
}

fn parse(text: &str) -> Vec<Band> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            match f.as_slice() {
                [w, a, n, lo, hi] => Some(Band {
                    workload: (*w).to_string(),
                    arch: (*a).to_string(),
                    rows: n.parse().ok()?,
                    r10: lo.parse().ok()?,
                    r90: hi.parse().ok()?,
                }),
                _ => None,
            }
        })
        .collect()
}

/// The band for a workload on a chip generation: its own when the group is large enough, else
/// the workload's over every generation; `None` when the published set has no such workload.
#[must_use]
pub fn band(workload: &str, arch: Option<&str>) -> Option<Band> {
    static BANDS: OnceLock<Vec<Band>> = OnceLock::new();
    let bands = BANDS.get_or_init(|| parse(BANDS_CSV));
    let find = |a: &str| bands.iter().find(|b| b.workload == workload && b.arch == a).cloned();
    arch.and_then(find).or_else(|| find("all"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_orient_throughput_and_time() {
        let b = Band { workload: "training".into(), arch: "hopper".into(), rows: 20, r10: 0.8, r90: 1.25 };
        assert_eq!(b.throughput(100.0), (80.0, 125.0));
        assert_eq!(b.time(10.0), (8.0, 12.5));
        assert!(b.basis().contains("20 published training rows on hopper chips"));
    }

    #[test]
    fn checked_in_bands_parse_and_cover_every_workload() {
        for w in ["training", "inference", "finetune", "rlhf"] {
            let b = band(w, Some("no-such-arch")).unwrap_or_else(|| panic!("{w}"));
            assert_eq!(b.arch, "all");
            assert!(b.r10 <= 1.0 + 1e-9 || b.r10 <= b.r90, "{b:?}");
            assert!(b.r10 <= b.r90 && b.r10 > 0.0, "{b:?}");
        }
    }
}
