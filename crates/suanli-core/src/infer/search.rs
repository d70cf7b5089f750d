//! The best replica layout and precision for a model on a chip, under latency limits.

use serde::Serialize;

use super::calib::InferCalibration;
use super::config::{Engine, InferConfig, Mode, Precisions};
use super::perf::{InferResult, evaluate};
use super::step::Replica;
use crate::model::ModelSpec;
use crate::train::Cluster;

/// Latency limits and the objective.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Limits {
    /// Largest acceptable time to first token, seconds.
    pub max_ttft_s: Option<f64>,
    /// Largest acceptable time per output token, seconds.
    pub max_tpot_s: Option<f64>,
    /// Rank by output tokens per dollar instead of per GPU-second.
    pub per_dollar: bool,
}

impl Limits {
    fn met(&self, r: &InferResult) -> bool {
        self.max_ttft_s.is_none_or(|t| r.ttft_s <= t) && self.max_tpot_s.is_none_or(|t| r.tpot_s <= t)
    }
}

/// One evaluated candidate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Candidate {
    /// Layout and precisions.
    pub config: InferConfig,
    /// Performance at the largest load meeting the limits.
    pub result: InferResult,
    /// Memory per GPU, GiB.
    pub memory_gib_per_gpu: f64,
    /// KV pool per GPU, GiB.
    pub kv_cache_gib: f64,
    /// Cloud cost per million output tokens, USD.
    pub cost_usd_per_million_output_tokens: Option<f64>,
}

/// What the search found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchResult {
    /// Layouts × precisions evaluated.
    pub evaluated: u64,
    /// The best candidate meeting the limits.
    pub best: Option<Candidate>,
    /// Every fitting candidate meeting the limits, best first.
    pub ranked: Vec<Candidate>,
    /// Candidates that fit but miss the limits at any load, or that do not fit, for reporting.
    pub rejected: u64,
}

fn cost(c: &Cluster, cfg: &InferConfig, r: &InferResult) -> Option<f64> {
    let gpus = cfg.gpus() as f64;
    c.cloud_usd_per_gpu_hour.map(|p| p * gpus / (r.output_tokens_per_s * 3600.0) * 1e6)
}

/// Evaluates one configuration at the largest concurrency meeting the limits (binary search:
/// latency grows with the batch).
#[must_use]
pub fn best_load(r: &Replica, input: u32, output: u32, limits: &Limits) -> Option<InferResult> {
    let full = evaluate(r, input, output, Mode::MaxLoad);
    if !full.fits {
        return None;
    }
    if limits.met(&full) {
        return Some(full);
    }
    let (mut lo, mut hi) = (1u32, full.max_batch.max(1));
    let first = evaluate(r, input, output, Mode::Concurrency(1));
    if !limits.met(&first) {
        return None;
    }
    let mut best = first;
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        let e = evaluate(r, input, output, Mode::Concurrency(mid));
        if limits.met(&e) {
            best = e;
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(best)
}

/// Searches layouts (`tps` × `pps` × `eps`; an ep above tp is wide EP with attention data
/// parallelism, see [`InferConfig::ep`]) and precisions. `cluster_for` gives the chip's
/// rates for an activation precision, or `None` when the chip lacks it.
#[allow(clippy::too_many_arguments)]
#[must_use]
pub fn search(
    spec: &ModelSpec,
    cluster_for: &dyn Fn(&Precisions) -> Option<Cluster>,
    tps: &[u32],
    pps: &[u32],
    eps: &[u32],
    precisions: &[Precisions],
    engine: &Engine,
    calib: &InferCalibration,
    input: u32,
    output: u32,
    limits: &Limits,
) -> SearchResult {
    let mut out = SearchResult::default();
    for p in precisions {
        let Some(cluster) = cluster_for(p) else { continue };
        for &tp in tps {
            for &pp in pps {
                for &ep in eps {
                    let cfg = InferConfig { tp, pp, ep, precision: *p };
                    if cfg.check(spec, input, output, "search").is_err() {
                        continue;
                    }
                    // Wide EP degrees that divide the experts, or fill whole scale-up domains
                    // (redundant experts then fill the spare slots, as on an NVL72 rack).
                    let experts = spec.moe.as_ref().map_or(1, |m| m.experts);
                    if ep > tp && experts % ep != 0 && ep % cluster.node_size.max(1) != 0 {
                        continue;
                    }
                    out.evaluated += 1;
                    let replica = Replica::new(spec, &cluster, &cfg, engine, calib);
                    match best_load(&replica, input, output, limits) {
                        Some(result) => out.ranked.push(Candidate {
                            config: cfg,
                            result,
                            memory_gib_per_gpu: replica.memory.total_gib,
                            kv_cache_gib: replica.memory.kv_cache_gib,
                            cost_usd_per_million_output_tokens: cost(&cluster, &cfg, &result),
                        }),
                        None => out.rejected += 1,
                    }
                }
            }
        }
    }
    let key = |c: &Candidate| {
        if limits.per_dollar {
            c.cost_usd_per_million_output_tokens.map_or(f64::INFINITY, |x| x)
        } else {
            -c.result.output_tokens_per_s_per_gpu
        }
    };
    out.ranked.sort_by(|a, b| key(a).total_cmp(&key(b)));
    out.best = out.ranked.first().copied();
    out
}

/// The cost of a candidate, exposed for reports of a single configuration.
#[must_use]
pub fn cost_per_million(c: &Cluster, cfg: &InferConfig, r: &InferResult) -> Option<f64> {
    cost(c, cfg, r)
}

/// Fraction of a replica's analytic capacity a fleet plans to use, leaving room for bursts
/// and queueing (the simulator then confirms the tails).
pub const FLEET_HEADROOM: f64 = 0.85;

/// Requests per second one replica carries with mean TPOT within `tpot_p99_s` and mean TTFT
/// within a third of `ttft_p99_s` (queueing fattens the tail), and the load it runs at.
#[must_use]
pub fn replica_capacity(
    r: &Replica,
    input: u32,
    output: u32,
    ttft_p99_s: f64,
    tpot_p99_s: f64,
) -> Option<(f64, InferResult)> {
    let limits =
        Limits { max_ttft_s: Some(ttft_p99_s / 3.0), max_tpot_s: Some(tpot_p99_s), per_dollar: false };
    let res = best_load(r, input, output, &limits)?;
    Some((res.output_tokens_per_s / f64::from(output), res))
}

/// Replicas for a peak rate: `⌈peak ÷ (per-replica rate × FLEET_HEADROOM)⌉`.
#[must_use]
pub fn replicas_for(peak_requests_per_s: f64, replica_requests_per_s: f64) -> u64 {
    (peak_requests_per_s / (replica_requests_per_s * FLEET_HEADROOM)).ceil().max(1.0) as u64
}
