//! Heterogeneous fleets (Mélange, Griggs et al. 2024, arXiv 2404.14527): the cheapest
//! combination of chip types for a workload's length distribution, short and long requests on
//! different chips.
//!
//! 1. **Buckets.** The peak hour's requests are split by total length (prompt + output) at
//!    the 50th, 80th and 95th percentiles into up to four buckets, each with its share of the
//!    peak rate and its mean lengths.
//! 2. **Assignment.** Every assignment of buckets to chips is tried (chips^buckets, 4⁴ = 256 for
//!    four chips). The buckets a chip gets are served together by one pool at their pooled
//!    mean lengths: the layout with the fewest dollars, each replica's analytic capacity
//!    within the latency targets ([`replica_capacity`]) and `⌈λ ÷ (rate × 0.85)⌉` replicas,
//!    exactly as the single-chip sizing counts them (every bucket on one chip is the whole
//!    distribution at its mean lengths: the single-chip analytic plan). The cheapest
//!    assignment wins, so the mix is never dearer than the best single chip; the saving is
//!    reported against it.
//!
//! The sizing is analytic (no simulation): each bucket is served at its mean lengths.

use serde::Serialize;
use suanli_core::infer::{FLEET_HEADROOM, InferCalibration, InferConfig, replica_capacity};
use suanli_core::units::HOURS_PER_MONTH;

use crate::fleet::{FleetSpec, layouts};

/// Most chip types a mix considers (the assignment is exhaustive: chips^buckets).
pub const MAX_MIX_CHIPS: usize = 16;

/// A length bucket of the workload.
#[derive(Debug, Clone, Serialize)]
pub struct MixBucket {
    /// Largest prompt + output tokens in the bucket.
    pub max_total_tokens: u32,
    /// Share of the requests.
    pub share: f64,
    /// Mean prompt tokens.
    pub input_mean: f64,
    /// Mean output tokens.
    pub output_mean: f64,
    /// Chip serving it in the cheapest mix.
    pub gpu: String,
}

/// One pool of the mix: replicas of one chip and layout.
#[derive(Debug, Clone, Serialize)]
pub struct MixPool {
    /// Chip id.
    pub gpu: String,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Expert-parallel degree.
    pub ep: u32,
    /// Replicas.
    pub replicas: u64,
    /// GPUs.
    pub gpus: u64,
    /// USD a month.
    pub cost_usd_per_month: f64,
}

/// The cheapest mix and the best single chip, sized the same way.
#[derive(Debug, Clone, Serialize)]
pub struct MixPlan {
    /// The workload's buckets.
    pub buckets: Vec<MixBucket>,
    /// The pools.
    pub pools: Vec<MixPool>,
    /// USD a month of the mix.
    pub cost_usd_per_month: f64,
    /// GPUs of the mix.
    pub gpus: u64,
    /// The best single chip.
    pub single_gpu: String,
    /// Its USD a month (every bucket on it).
    pub single_cost_usd_per_month: f64,
    /// Single minus mix, USD a month (≥ 0).
    pub saving_usd_per_month: f64,
    /// The saving over the single chip's cost.
    pub saving_fraction: f64,
}

/// A pool: the best layout of a chip for some buckets, its replicas and monthly cost.
#[derive(Clone, Copy)]
struct Fit {
    cfg: InferConfig,
    replicas: u64,
    usd: f64,
}

/// Sizes the cheapest mix of `s.chips` (priced chips only) for `s`'s lengths. `None` when
/// no assignment meets the targets, or no chip has a price.
#[must_use]
pub fn size_mix(s: &FleetSpec) -> Option<MixPlan> {
    if s.check("fleet").is_err() || s.chips.is_empty() || s.chips.len() > MAX_MIX_CHIPS {
        return None;
    }
    let buckets = buckets(s);
    let nb = buckets.len();
    let nc = s.chips.len();
    let full = (1usize << nb) - 1;
    let calib = InferCalibration::default();
    // fits[mask][c]: chip c's cheapest layout for the buckets in `mask` served together, at
    // their pooled mean lengths (the whole distribution's exact means for every bucket).
    let fits: Vec<Vec<Option<Fit>>> = (0..=full)
        .map(|mask| {
            if mask == 0 {
                return vec![None; nc];
            }
            let (share, i, o) = pooled(s, &buckets, mask, full);
            let (i, o) = (i.round().max(1.0) as u32, o.round().max(1.0) as u32);
            s.chips.iter().map(|chip| best_fit(s, chip, i, o, share, &calib)).collect()
        })
        .collect();
    let mut assign = vec![0usize; nb];
    let mut masks = vec![0usize; nc];
    let mut best: Option<(f64, Vec<usize>)> = None;
    let mut single: Option<(f64, usize)> = None;
    let total = nc.checked_pow(u32::try_from(nb).ok()?)?;
    for code in 0..total {
        let mut x = code;
        for a in &mut assign {
            *a = x % nc;
            x /= nc;
        }
        let Some(cost) = assignment_cost(s, &buckets, &fits, &assign, &mut masks) else { continue };
        if assign.iter().all(|&c| c == assign[0]) && single.is_none_or(|(b, _)| cost < b) {
            single = Some((cost, assign[0]));
        }
        if best.as_ref().is_none_or(|(b, _)| cost < *b) {
            best = Some((cost, assign.clone()));
        }
    }
    let (cost, assign) = best?;
    let (single_cost, single_chip) = single?;
    assignment_cost(s, &buckets, &fits, &assign, &mut masks)?;
    let pools: Vec<MixPool> = masks
        .iter()
        .enumerate()
        .filter(|(_, m)| **m != 0)
        .filter_map(|(c, &m)| {
            let f = fits[m][c]?;
            let replicas = f.replicas;
            Some(MixPool {
                gpu: s.chips[c].cluster.accelerator.clone(),
                tp: f.cfg.tp,
                pp: f.cfg.pp,
                ep: f.cfg.ep,
                replicas,
                gpus: replicas * f.cfg.gpus(),
                cost_usd_per_month: f.usd,
            })
        })
        .collect();
    let buckets = buckets
        .iter()
        .zip(&assign)
        .map(|(&(max, share, i, o), &c)| MixBucket {
            max_total_tokens: max,
            share,
            input_mean: i,
            output_mean: o,
            gpu: s.chips[c].cluster.accelerator.clone(),
        })
        .collect();
    let saving = (single_cost - cost).max(0.0);
    Some(MixPlan {
        buckets,
        gpus: pools.iter().map(|p| p.gpus).sum(),
        pools,
        cost_usd_per_month: cost,
        single_gpu: s.chips[single_chip].cluster.accelerator.clone(),
        single_cost_usd_per_month: single_cost,
        saving_usd_per_month: saving,
        saving_fraction: if single_cost > 0.0 { saving / single_cost } else { 0.0 },
    })
}

/// Share and mean lengths of the buckets in `mask`; the whole distribution's exact means when
/// `mask` is every bucket.
fn pooled(s: &FleetSpec, buckets: &[(u32, f64, f64, f64)], mask: usize, full: usize) -> (f64, f64, f64) {
    if mask == full {
        let (i, o) = s.lengths.means();
        return (1.0, i, o);
    }
    let (mut share, mut i, mut o) = (0.0, 0.0, 0.0);
    for (b, &(_, sh, bi, bo)) in buckets.iter().enumerate() {
        if mask & (1 << b) != 0 {
            share += sh;
            i += sh * bi;
            o += sh * bo;
        }
    }
    (share, i / share.max(1e-12), o / share.max(1e-12))
}

/// The layout of `chip` with the cheapest pool for `share` of the peak rate at lengths
/// (`i`, `o`): replicas `⌈λ ÷ (rate × headroom)⌉`, as the single-chip sizing counts them.
fn best_fit(
    s: &FleetSpec,
    chip: &crate::fleet::ChipOption,
    i: u32,
    o: u32,
    share: f64,
    calib: &InferCalibration,
) -> Option<Fit> {
    let price = chip.cluster.cloud_usd_per_gpu_hour?;
    let mut best: Option<Fit> = None;
    for cfg in layouts(chip) {
        let Some(r) = s.replica(chip, &cfg, i, o, calib) else { continue };
        let Some((rate, _)) = replica_capacity(&r, i, o, s.ttft_p99, s.tpot_p99) else { continue };
        let replicas = (s.peak_rate * share / (rate * FLEET_HEADROOM)).ceil().max(1.0);
        if !(replicas.is_finite() && replicas < 1e12) {
            continue;
        }
        let usd = price * cfg.gpus() as f64 * HOURS_PER_MONTH * replicas;
        if best.is_none_or(|b| usd < b.usd) {
            best = Some(Fit { cfg, replicas: replicas as u64, usd });
        }
    }
    best
}

/// The monthly cost of an assignment (each chip's buckets pooled), filling `masks` with the
/// buckets each chip serves; `None` when a chip cannot serve its pool.
fn assignment_cost(
    _s: &FleetSpec,
    _buckets: &[(u32, f64, f64, f64)],
    fits: &[Vec<Option<Fit>>],
    assign: &[usize],
    masks: &mut [usize],
) -> Option<f64> {
    masks.iter_mut().for_each(|m| *m = 0);
    for (b, &c) in assign.iter().enumerate() {
        masks[c] |= 1 << b;
    }
    let mut cost = 0.0;
    for (c, &m) in masks.iter().enumerate() {
        if m != 0 {
            cost += fits[m][c]?.usd;
        }
    }
    Some(cost)
}

/// The peak hour's requests split at the 50th, 80th and 95th percentiles of total length:
/// (largest total, share, mean prompt, mean output) per non-empty bucket.
fn buckets(s: &FleetSpec) -> Vec<(u32, f64, f64, f64)> {
    let n = s.sim_requests.clamp(1000, 20_000);
    let mut w = s.clone();
    w.sim_requests = n;
    let mut reqs: Vec<(u32, u32)> = w.peak_requests().iter().map(|q| (q.input, q.output)).collect();
    reqs.sort_unstable_by_key(|&(i, o)| u64::from(i) + u64::from(o));
    let len = reqs.len();
    let mut out = Vec::new();
    let mut start = 0;
    for q in [0.5, 0.8, 0.95, 1.0] {
        let mut end = ((len as f64 * q).round() as usize).min(len);
        // Keep equal totals in one bucket.
        while end < len && end > 0 && total(reqs[end]) == total(reqs[end - 1]) {
            end += 1;
        }
        if end <= start {
            continue;
        }
        let part = &reqs[start..end];
        let k = part.len() as f64;
        let (si, so) = part.iter().fold((0.0, 0.0), |(a, b), &(i, o)| (a + f64::from(i), b + f64::from(o)));
        out.push((
            u32::try_from(total(part[part.len() - 1])).unwrap_or(u32::MAX),
            k / len as f64,
            si / k,
            so / k,
        ));
        start = end;
    }
    out
}

fn total((i, o): (u32, u32)) -> u64 {
    u64::from(i) + u64::from(o)
}
