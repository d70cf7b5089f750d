//! Fleet sizing: the cheapest fleet (chip, replica layout, replica count) that meets p99
//! latency targets in the peak hour.
//!
//! 1. **Analytic bound.** For each chip and tensor-parallel degree that fits, the inference
//!    planner gives the largest load a replica carries with mean TPOT within the p99 target
//!    and mean TTFT within a third of it (queueing fattens the tail); replicas =
//!    ⌈peak rate ÷ (per-replica rate × 0.85)⌉, keeping 15 % headroom for bursts.
//! 2. **Simulation.** The cheapest candidates are simulated at the peak rate; the replica
//!    count is raised until simulated p99 TTFT and TPOT are within 95 % of the targets, then
//!    lowered while they stay there.

use serde::Serialize;
use suanli_core::infer::{
    Engine, InferCalibration, InferConfig, Limits, Precisions, Replica, best_load, replica_capacity,
    replicas_for,
};
use suanli_core::model::{ModelSpec, forward_flops_per_token};
use suanli_core::train::Cluster;
use suanli_core::units::{FLOP_PER_PF_DAY, HOURS_PER_MONTH};

use crate::engine::SpeculationSpec;
use crate::metrics::Latency;
pub use crate::sim::MAX_REQUESTS;
use crate::sim::{SimConfig, SimReport, simulate};
use crate::workload::{Arrivals, Lengths, MAX_RATE, Request, WorkloadSpec};
use suanli_core::Error;

/// A chip to consider, with its rates at the serving precision.
#[derive(Debug, Clone)]
pub struct ChipOption {
    /// The chip's rates.
    pub cluster: Cluster,
    /// Precisions served.
    pub precision: Precisions,
    /// Tensor-parallel degrees to try.
    pub tps: Vec<u32>,
    /// Pipeline-parallel degrees to try (`[1]` for none).
    pub pps: Vec<u32>,
    /// Expert-parallel degrees to try (`[1]` for a dense model): a divisor of tp (experts
    /// inside the tensor-parallel group), or a multiple of it for wide EP (attention
    /// data-parallel over `ep ÷ tp` groups, experts over all `ep` GPUs, across servers).
    pub eps: Vec<u32>,
}

/// The sizing problem.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// The model.
    pub model: ModelSpec,
    /// Chips to consider.
    pub chips: Vec<ChipOption>,
    /// Peak-hour request rate, requests/s.
    pub peak_rate: f64,
    /// Mean request rate over the month, requests/s.
    pub mean_rate: f64,
    /// Request lengths.
    pub lengths: Lengths,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// p99 TTFT target, seconds.
    pub ttft_p99: f64,
    /// p99 TPOT target, seconds.
    pub tpot_p99: f64,
    /// Engine limits.
    pub engine: Engine,
    /// Confirm with the simulator.
    pub simulate: bool,
    /// Seed of the simulations.
    pub seed: u64,
    /// Requests per simulation.
    pub sim_requests: usize,
    /// Average GPU power as a fraction of TDP while serving.
    pub power_utilisation: f64,
    /// Data-centre PUE.
    pub pue: f64,
    /// Speculative decoding on every replica.
    pub speculation: Option<SpeculationSpec>,
}

/// Most GPUs a sized fleet may have (16.8 million): a peak rate that needs more is an input
/// error, not a count to print.
pub const MAX_FLEET_GPUS: u64 = 1 << 24;

impl FleetSpec {
    /// Checks the rates, targets and factors.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the field and its accepted range.
    pub fn check(&self, origin: &str) -> Result<(), Error> {
        let bad = |key: &str, v: f64, rule: &str| {
            Err(Error::invalid(origin, key, suanli_core::sigfig::human(v), rule))
        };
        if !(self.peak_rate.is_finite() && self.peak_rate > 0.0 && self.peak_rate <= MAX_RATE) {
            return bad("peak_rate", self.peak_rate, "a positive number of requests/s up to 1e9");
        }
        if !(self.mean_rate.is_finite() && self.mean_rate > 0.0 && self.mean_rate <= MAX_RATE) {
            return bad("mean_rate", self.mean_rate, "a positive number of requests/s up to 1e9");
        }
        for (key, v) in [("ttft_p99", self.ttft_p99), ("tpot_p99", self.tpot_p99)] {
            if !(v.is_finite() && v > 0.0 && v <= 86_400.0) {
                return bad(key, v, "a positive number of seconds up to 86400");
            }
        }
        if !(self.power_utilisation.is_finite()
            && self.power_utilisation > 0.0
            && self.power_utilisation <= 1.0)
        {
            return bad("power_utilisation", self.power_utilisation, "a fraction of TDP in (0, 1]");
        }
        if !(1.0..=3.0).contains(&self.pue) {
            return bad("pue", self.pue, "a number from 1 to 3");
        }
        if self.sim_requests > MAX_REQUESTS {
            return bad("sim_requests", self.sim_requests as f64, "at most 10000000 requests per simulation");
        }
        WorkloadSpec {
            rate: self.peak_rate,
            arrivals: self.arrivals,
            lengths: self.lengths.clone(),
            turns: 1,
            think_s: 0.0,
            daily: None,
            max_context: self.model.max_context,
        }
        .check(origin)
    }

    /// The peak hour's traffic: `sim_requests` single-turn requests at the peak rate.
    #[must_use]
    pub fn peak_requests(&self) -> Vec<Request> {
        let w = WorkloadSpec {
            rate: self.peak_rate,
            arrivals: self.arrivals,
            lengths: self.lengths.clone(),
            turns: 1,
            think_s: 0.0,
            daily: None,
            max_context: self.model.max_context,
        };
        w.generate(self.sim_requests, self.seed)
    }
}

/// One candidate's analytic sizing.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateRow {
    /// Chip id.
    pub gpu: String,
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Expert-parallel degree.
    pub ep: u32,
    /// Requests/s one replica carries within the targets.
    pub replica_requests_per_s: f64,
    /// Replicas from the analytic bound.
    pub replicas: u64,
    /// GPUs.
    pub gpus: u64,
    /// USD a month at the cloud price, if known.
    pub cost_usd_per_month: Option<f64>,
}

/// The chosen fleet.
#[derive(Debug, Clone, Serialize)]
pub struct FleetPlan {
    /// Chip id (the answer's `gpu` header).
    #[serde(skip_serializing)]
    pub gpu: String,
    /// Server id the chip comes in, if catalogued.
    pub server: Option<String>,
    /// Replica layout and precisions.
    #[serde(skip_serializing)]
    pub config: InferConfig,
    /// Replicas.
    pub replicas: u64,
    /// GPUs.
    pub gpus: u64,
    /// Servers (of the chip's server size).
    pub servers: u64,
    /// `analytic` or `simulated`.
    pub method: &'static str,
    /// Time to first token in the peak hour.
    pub ttft_s: Latency,
    /// Time per output token in the peak hour.
    pub tpot_s: Latency,
    /// Request latency in the peak hour.
    pub e2e_s: Latency,
    /// Peak-hour rate, requests/s.
    pub peak_requests_per_s: f64,
    /// Fraction of peak-hour requests meeting both targets (simulated), or 1.
    pub goodput: f64,
    /// Requests/s the fleet carries at saturation (every replica at the planner's maximum
    /// load, latency targets aside).
    pub saturation_requests_per_s: f64,
    /// Capacity headroom: the peak rate over the saturation rate (busy-time utilisation reads
    /// near 100 % at low load on a replica that could take more; this does not).
    pub load_fraction: f64,
    /// Busy-time utilisation of the confirming simulation, when one ran.
    pub busy_utilisation: Option<f64>,
    /// USD a month at the cloud price.
    pub cost_usd_per_month: Option<f64>,
    /// USD per million output tokens over the month's traffic.
    pub cost_usd_per_million_output_tokens: Option<f64>,
    /// Average power, kW (GPUs × TDP × utilisation × PUE).
    pub power_kw: f64,
    /// Compute the month's traffic takes, PF/s-days (2·N + attention FLOPs per token).
    pub pf_days_per_month: f64,
    /// Output tokens a month.
    pub output_tokens_per_month: f64,
    /// Every candidate's analytic sizing, cheapest first.
    pub candidates: Vec<CandidateRow>,
    /// The last simulation, when one ran.
    #[serde(skip)]
    pub simulation: Option<SimReport>,
}

const SIM_MARGIN: f64 = 0.95;

/// The most replicas a confirming simulation runs. A homogeneous, load-balanced fleet of n
/// replicas behaves like SLICE of them at SLICE / n of the traffic (a thinned Poisson stream
/// is Poisson); simulating the slice keeps sizing fast for fleets of any size.
const SLICE: u64 = 64;

/// `n` replicas' worth of `reqs` as at most `max` replicas: the replica count to simulate and
/// the requests with arrivals stretched by `n / max` when `n` exceeds it.
fn slice_of(reqs: &[Request], n: f64, max: u64) -> (u64, std::borrow::Cow<'_, [Request]>) {
    let whole = n.ceil().max(1.0) as u64;
    if whole <= max {
        return (whole, std::borrow::Cow::Borrowed(reqs));
    }
    let f = n / max as f64;
    let t0 = reqs.first().map_or(0.0, |q| q.arrival_s);
    let stretched = reqs.iter().map(|q| Request { arrival_s: t0 + (q.arrival_s - t0) * f, ..*q }).collect();
    (max, std::borrow::Cow::Owned(stretched))
}

struct Option_ {
    chip: usize,
    /// GPUs a replica takes (tp × pp × attention data-parallel groups).
    gpus: u64,
    replica: Replica,
    rate: f64,
    replicas: u64,
    cost: Option<f64>,
}

fn monthly_cost(c: &Cluster, gpus: u64) -> Option<f64> {
    c.cloud_usd_per_gpu_hour.map(|p| p * gpus as f64 * HOURS_PER_MONTH)
}

/// Whether a simulated fleet meets the spec's targets (within [`SIM_MARGIN`]) unsaturated.
pub(crate) fn passes(r: &SimReport, s: &FleetSpec) -> bool {
    !r.saturated && r.ttft_s.p99 <= SIM_MARGIN * s.ttft_p99 && r.tpot_s.p99 <= SIM_MARGIN * s.tpot_p99
}

/// `n` replicas of `replica` with its engine's limits ([`engine_limits`]) and the spec's
/// targets carrying `reqs` (the peak hour). A fleet larger than the slice is simulated as `SLICE` of its replicas carrying their
/// share of the traffic (arrivals stretched by n / SLICE).
pub(crate) fn simulate_slice(s: &FleetSpec, reqs: &[Request], replica: &Replica, n: u64) -> SimReport {
    let (slice, reqs) = slice_of(reqs, n as f64, SLICE);
    let (max_batch, max_tokens) = engine_limits(replica);
    let cfg = SimConfig {
        replicas: slice as u32,
        max_batch,
        max_tokens,
        targets: Some((s.ttft_p99, s.tpot_p99)),
        ..SimConfig::default()
    };
    simulate(&reqs, replica, &cfg)
}

/// Sizes the fleet. `None` when no chip and layout can meet the targets, or the inputs are
/// out of range (see [`try_size`] for the reason).
#[must_use]
pub fn size(s: &FleetSpec) -> Option<FleetPlan> {
    try_size(s).ok().flatten()
}

/// Sizes the fleet after checking the spec. `Ok(None)` when no chip and layout can meet the
/// targets.
///
/// # Errors
/// A spec out of range ([`FleetSpec::check`]), or a peak rate that every chip would need more
/// than [`MAX_FLEET_GPUS`] GPUs to carry.
pub fn try_size(s: &FleetSpec) -> Result<Option<FleetPlan>, Error> {
    s.check("fleet")?;
    let mut over = false;
    let plan = size_checked(s, &mut over);
    if plan.is_none() && over {
        return Err(Error::invalid(
            "fleet",
            "peak_rate",
            s.peak_rate,
            format!("a rate the cheapest fleet carries with at most {MAX_FLEET_GPUS} GPUs"),
        ));
    }
    Ok(plan)
}

fn size_checked(s: &FleetSpec, over: &mut bool) -> Option<FleetPlan> {
    let (mean_in, mean_out) = s.lengths.means();
    let (i, out) = (mean_in.round().max(1.0) as u32, mean_out.round().max(1.0) as u32);
    let calib = InferCalibration::default();
    let limits =
        Limits { max_ttft_s: Some(s.ttft_p99 / 3.0), max_tpot_s: Some(s.tpot_p99), per_dollar: false };
    let mut options: Vec<Option_> = Vec::new();
    for (ci, chip) in s.chips.iter().enumerate() {
        for cfg in layouts(chip) {
            let Some(replica) = s.replica(chip, &cfg, i, out, &calib) else { continue };
            let Some((rate, _)) = replica_capacity(&replica, i, out, s.ttft_p99, s.tpot_p99) else {
                continue;
            };
            let replicas = replicas_for(s.peak_rate, rate);
            let tp = cfg.gpus();
            if replicas.checked_mul(tp).is_none_or(|g| g > MAX_FLEET_GPUS) {
                *over = true;
                continue;
            }
            let cost = monthly_cost(&chip.cluster, replicas * tp);
            options.push(Option_ { chip: ci, gpus: tp, replica, rate, replicas, cost });
        }
    }
    let key = |o: &Option_| (o.cost.unwrap_or(f64::INFINITY), o.replicas * o.gpus);
    options.sort_by(|a, b| key(a).0.total_cmp(&key(b).0).then(key(a).1.cmp(&key(b).1)));
    let candidates: Vec<CandidateRow> = options
        .iter()
        .map(|o| CandidateRow {
            gpu: s.chips[o.chip].cluster.accelerator.clone(),
            tp: o.replica.config.tp,
            pp: o.replica.config.pp,
            ep: o.replica.config.ep,
            replica_requests_per_s: o.rate,
            replicas: o.replicas,
            gpus: o.replicas * o.gpus,
            cost_usd_per_month: o.cost,
        })
        .collect();

    let reqs = if s.simulate { s.peak_requests() } else { Vec::new() };
    let run = |o: &Option_, n: u64| simulate_slice(s, &reqs, &o.replica, n);

    // Simulate the three cheapest analytic options; keep the cheapest confirmed fleet.
    let mut best: Option<(usize, u64, Option<SimReport>)> = None;
    let tries = if s.simulate { 3 } else { 1 };
    for (idx, o) in options.iter().enumerate().take(tries) {
        let (n, report) = if s.simulate {
            let mut hi = o.replicas;
            let mut rep = run(o, hi);
            let mut grow = 0;
            while !passes(&rep, s) && grow < 12 && hi * o.gpus <= MAX_FLEET_GPUS {
                hi = ((hi as f64) * 1.25).ceil() as u64 + 1;
                rep = run(o, hi);
                grow += 1;
            }
            if !passes(&rep, s) {
                continue;
            }
            // Lower while the targets still hold (bisection above the zero-headroom bound).
            let mut lo = (s.peak_rate / o.rate).ceil().max(1.0) as u64;
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                let r = run(o, mid);
                if passes(&r, s) {
                    hi = mid;
                    rep = r;
                } else {
                    lo = mid + 1;
                }
            }
            if rep.requests > 0 && hi != lo {
                rep = run(o, hi);
            }
            (hi, Some(rep))
        } else {
            (o.replicas, None)
        };
        let cost = monthly_cost(&s.chips[o.chip].cluster, n * o.gpus);
        let better = match &best {
            None => true,
            Some((bi, bn, _)) => {
                let bc = monthly_cost(&s.chips[options[*bi].chip].cluster, bn * options[*bi].gpus);
                match (cost, bc) {
                    (Some(a), Some(b)) => a < b,
                    _ => n * o.gpus < bn * options[*bi].gpus,
                }
            }
        };
        if better {
            best = Some((idx, n, report));
        }
    }
    let (idx, replicas, report) = best?;
    let o = &options[idx];
    let chip = &s.chips[o.chip];
    let gpus = replicas * o.gpus;
    let node = u64::from(chip.cluster.node_size.max(1));
    let seconds = HOURS_PER_MONTH * 3600.0;
    let requests = s.mean_rate * seconds;
    let output_tokens = requests * mean_out;
    let flops = requests * (mean_in + mean_out) * forward_flops_per_token(&s.model, mean_in + mean_out / 2.0);
    let cost = monthly_cost(&chip.cluster, gpus);
    let analytic = evaluate_at(o, i, out, &limits);
    let saturation = replicas as f64 * saturation_rate(&o.replica, i, out);
    let (ttft, tpot, e2e, goodput, method) = match &report {
        Some(r) => (r.ttft_s, r.tpot_s, r.e2e_s, r.goodput, "simulated"),
        None => (analytic.0, analytic.1, analytic.2, 1.0, "analytic"),
    };
    Some(FleetPlan {
        gpu: chip.cluster.accelerator.clone(),
        server: chip.cluster.server.clone(),
        config: o.replica.config,
        replicas,
        gpus,
        servers: gpus.div_ceil(node),
        method,
        ttft_s: ttft,
        tpot_s: tpot,
        e2e_s: e2e,
        peak_requests_per_s: s.peak_rate,
        goodput,
        saturation_requests_per_s: saturation,
        load_fraction: if saturation > 0.0 { s.peak_rate / saturation } else { f64::INFINITY },
        busy_utilisation: report.as_ref().map(|r| r.utilisation),
        cost_usd_per_month: cost,
        cost_usd_per_million_output_tokens: cost.map(|c| c / output_tokens * 1e6),
        power_kw: gpus as f64 * chip.cluster.tdp_w * s.power_utilisation * s.pue / 1000.0,
        pf_days_per_month: flops / FLOP_PER_PF_DAY,
        output_tokens_per_month: output_tokens,
        candidates,
        simulation: report,
    })
}

/// Every layout of `chip` to try: tp × pp × ep, ep dividing tp or (wide EP) a multiple of it.
pub(crate) fn layouts(chip: &ChipOption) -> Vec<InferConfig> {
    let mut v = Vec::new();
    for &tp in &chip.tps {
        for &pp in &chip.pps {
            for &ep in &chip.eps {
                let (tp1, ep1) = (tp.max(1), ep.max(1));
                if (ep1 <= tp1 && tp1 % ep1 == 0) || (ep1 > tp1 && ep1 % tp1 == 0) {
                    v.push(InferConfig { tp, pp, ep, precision: chip.precision });
                }
            }
        }
    }
    v
}

/// The simulator's per-replica engine limits for `r`: the engine's sequence and token caps,
/// times the attention data-parallel groups under wide EP (each group schedules its own
/// batch; the simulator runs the replica as one scheduler over all of them, balanced).
#[must_use]
pub fn engine_limits(r: &Replica) -> (u32, u32) {
    let d = r.config.dp_attention().max(1);
    (r.engine.max_batch.saturating_mul(d), r.engine.max_tokens.saturating_mul(d))
}

/// Requests/s one replica carries at saturation: the planner's maximum load, no latency
/// limit.
#[must_use]
pub fn saturation_rate(r: &Replica, input: u32, output: u32) -> f64 {
    let e = suanli_core::infer::evaluate(r, input, output, suanli_core::infer::Mode::MaxLoad);
    if e.fits { e.output_tokens_per_s / f64::from(output.max(1)) } else { 0.0 }
}

impl FleetSpec {
    /// A replica of the model on `chip` in layout `cfg` (with the spec's speculation), or
    /// `None` when the layout breaks a rule for these lengths or does not fit.
    #[must_use]
    pub fn replica(
        &self,
        chip: &ChipOption,
        cfg: &InferConfig,
        input: u32,
        output: u32,
        calib: &InferCalibration,
    ) -> Option<Replica> {
        cfg.check(&self.model, input, output, "fleet").ok()?;
        let r = Replica::new(&self.model, &chip.cluster, cfg, &self.engine, calib);
        let r = match &self.speculation {
            None => r,
            Some(sp) => sp.apply(&self.model, r, &self.engine, calib)?,
        };
        r.fits().then_some(r)
    }
}

/// The analytic latencies of an option at its load: every percentile equals the mean.
fn evaluate_at(o: &Option_, input: u32, output: u32, limits: &Limits) -> (Latency, Latency, Latency) {
    let flat = |x: f64| Latency { mean: x, p50: x, p90: x, p99: x };
    match best_load(&o.replica, input, output, limits) {
        Some(r) => (flat(r.ttft_s), flat(r.tpot_s), flat(r.e2e_s)),
        None => (Latency::default(), Latency::default(), Latency::default()),
    }
}

/// The chosen fleet split into a prefill pool and a decode pool, each with its own layout; the
/// prefill pool on the decode pool's chip or another.
#[derive(Debug, Clone, Serialize)]
pub struct DisaggFleet {
    /// Chip of the prefill pool.
    pub prefill_gpu: String,
    /// Precision the prefill pool serves (weights, activations and KV).
    pub prefill_precision: String,
    /// Prefill replicas.
    pub prefill_replicas: u64,
    /// Tensor-parallel degree of a prefill replica.
    pub prefill_tp: u32,
    /// Expert-parallel degree of a prefill replica (above tp: wide EP).
    pub prefill_ep: u32,
    /// GPUs a prefill replica takes.
    pub prefill_replica_gpus: u64,
    /// Decode replicas.
    pub decode_replicas: u64,
    /// Tensor-parallel degree of a decode replica.
    pub decode_tp: u32,
    /// Expert-parallel degree of a decode replica (above tp: wide EP).
    pub decode_ep: u32,
    /// GPUs a decode replica takes.
    pub decode_replica_gpus: u64,
    /// GPUs in both pools.
    pub gpus: u64,
    /// Servers (of each chip's server size; each pool on its own servers).
    pub servers: u64,
    /// Time to first token in the peak hour.
    pub ttft_s: Latency,
    /// Time per output token in the peak hour (the KV transfer included).
    pub tpot_s: Latency,
    /// Request latency in the peak hour.
    pub e2e_s: Latency,
    /// KV-cache transfer per request.
    pub kv_transfer_s: Latency,
    /// The KV cache's path: `nvlink` (both pools in shared scale-up domains) or `nic`.
    pub kv_link: &'static str,
    /// Bytes/s per GPU on that path (the slower side).
    pub kv_link_bytes_per_s: f64,
    /// Fraction of peak-hour requests meeting both targets.
    pub goodput: f64,
    /// USD a month at the cloud prices.
    pub cost_usd_per_month: Option<f64>,
}

/// The fewest `n` in `1..=cap` for which `ok(n)` holds, assuming it stays true above: doubling,
/// then bisection. `None` when even `cap` fails.
pub(crate) fn fewest(cap: u64, ok: &mut dyn FnMut(u64) -> bool) -> Option<u64> {
    let mut hi = 1;
    while !ok(hi) {
        if hi >= cap {
            return None;
        }
        hi = (hi * 2).min(cap);
    }
    let mut lo = hi / 2 + 1;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(hi)
}

/// The pool layouts to try on `chip` (pp 1): each tensor-parallel degree with experts inside
/// its group (`ep` = the largest of `chip.eps` dividing it), and `wide`'s wide-EP layout when
/// the plan chose one.
fn pool_layouts(
    s: &FleetSpec,
    chip: &ChipOption,
    wide: Option<&InferConfig>,
    lengths: (u32, u32),
    calib: &InferCalibration,
) -> Vec<Replica> {
    let mut cfgs: Vec<InferConfig> = chip
        .tps
        .iter()
        .map(|&tp| {
            let ep =
                chip.eps.iter().copied().filter(|&e| e >= 1 && e <= tp && tp % e == 0).max().unwrap_or(1);
            InferConfig { tp, pp: 1, ep, precision: chip.precision }
        })
        .collect();
    if let Some(w) = wide.filter(|w| w.dp_attention() > 1) {
        cfgs.push(InferConfig { pp: 1, precision: chip.precision, ..*w });
    }
    cfgs.iter().filter_map(|cfg| s.replica(chip, cfg, lengths.0, lengths.1, calib)).collect()
}

/// The KV link between `p` prefill and `d` decode replicas: the scale-up fabric when they can
/// share scale-up domains ([`crate::disagg::shares_scale_up_domain`]), else the NICs.
#[must_use]
pub fn kv_link(pre: &Replica, p: u64, dec: &Replica, d: u64) -> crate::disagg::KvLink {
    use crate::disagg::{KvLink, KvPath, shares_scale_up_domain};
    let path = if shares_scale_up_domain(pre, p, dec, d) { KvPath::ScaleUp } else { KvPath::ScaleOut };
    KvLink::new(path, pre, dec)
}

/// Sizes `plan` as two pools, choosing each pool's layout (DistServe's placement search,
/// reduced to pool sizes and layouts): the decode pool on the plan's chip, the prefill pool on
/// `prefill` (another chip, or another precision; default: the plan's chip). TTFT depends only
/// on the prefill pool and TPOT mostly on the decode pool, so for each prefill layout that
/// fits, the fewest prefill replicas whose simulated p99 TTFT is within 95 % of the target are
/// found (with a decode pool of the colocated layout, as large as the colocated fleet), and
/// the layout with the fewest GPUs is kept; then, for each decode layout, the fewest decode
/// replicas that bring p99 TPOT (KV transfer included) within 95 % of its target, keeping the
/// fewest GPUs. Layouts: each tensor-parallel degree of the chip, plus the plan's wide-EP
/// layout when it has one. The KV cache crosses NVLink when the pools can share scale-up
/// domains, else each GPU's share of the NICs ([`kv_link`], [`crate::disagg::kv_transfer_s`]).
/// `None` when the plan's chip is not in `s` or no split of up to 4× the colocated GPUs works.
#[must_use]
pub fn size_disaggregated(
    s: &FleetSpec,
    plan: &FleetPlan,
    prefill: Option<&ChipOption>,
) -> Option<DisaggFleet> {
    use crate::disagg::{kv_transfer_s, simulate_disaggregated};
    let chip = s.chips.iter().find(|c| c.cluster.accelerator == plan.gpu)?;
    let pchip = prefill.unwrap_or(chip);
    let calib = InferCalibration::default();
    let (mean_in, mean_out) = s.lengths.means();
    let (i, out) = (mean_in.round().max(1.0) as u32, mean_out.round().max(1.0) as u32);
    let decode_layouts = pool_layouts(s, chip, Some(&plan.config), (i, out), &calib);
    let prefill_layouts = pool_layouts(s, pchip, Some(&plan.config), (i, out), &calib);
    let colocated = s.replica(chip, &plan.config, i, out, &calib)?;
    // Large fleets are sized on a slice: 16 colocated replicas' worth of traffic, pool counts
    // scaled back up by the same factor at the end.
    let f = (plan.replicas as f64 / 16.0).max(1.0);
    let all = s.peak_requests();
    let (_, reqs) = slice_of(&all, f * 16.0, 16);
    let cfg = |n: u64, r: &Replica| {
        let (max_batch, max_tokens) = engine_limits(r);
        SimConfig {
            replicas: n as u32,
            max_batch,
            max_tokens,
            targets: Some((s.ttft_p99, s.tpot_p99)),
            ..SimConfig::default()
        }
    };
    let run = |pre: &Replica, p: u64, dec: &Replica, d: u64| {
        let link = kv_link(pre, p, dec, d);
        let transfer = |q: &crate::workload::Request| kv_transfer_s(pre, dec, &link, q.input);
        (simulate_disaggregated(&reqs, pre, dec, &cfg(p, pre), &cfg(d, dec), &transfer), link)
    };
    let gpu_cap = ((plan.gpus.max(1) * 4) as f64 / f).ceil() as u64;
    let gpus_of = |r: &Replica| r.config.gpus().max(1);
    let generous = ((plan.replicas.max(1) as f64) / f).ceil() as u64;

    // The prefill pool: fewest GPUs over the layouts.
    let mut best_prefill: Option<(u64, &Replica)> = None;
    for pre in &prefill_layouts {
        let cap = gpu_cap / gpus_of(pre);
        let Some(n) = (cap >= 1)
            .then(|| {
                fewest(cap, &mut |p| {
                    let (r, _) = run(pre, p, &colocated, generous);
                    !r.prefill.saturated && r.combined.ttft_s.p99 <= SIM_MARGIN * s.ttft_p99
                })
            })
            .flatten()
        else {
            continue;
        };
        if best_prefill.is_none_or(|(m, best)| n * gpus_of(pre) < m * gpus_of(best)) {
            best_prefill = Some((n, pre));
        }
    }
    let (p, pre) = best_prefill?;

    // The decode pool: fewest GPUs over the layouts, keeping the smallest passing run's report.
    type Run = (crate::disagg::DisaggReport, crate::disagg::KvLink);
    let mut best: Option<(u64, &Replica, Run)> = None;
    for dec in &decode_layouts {
        let cap = gpu_cap / gpus_of(dec);
        let mut smallest: Option<(u64, Run)> = None;
        let found = (cap >= 1)
            .then(|| {
                fewest(cap, &mut |d| {
                    let r = run(pre, p, dec, d);
                    let ok = passes(&r.0.combined, s);
                    if ok && smallest.as_ref().is_none_or(|(n, _)| d < *n) {
                        smallest = Some((d, r));
                    }
                    ok
                })
            })
            .flatten();
        let (Some(n), Some((_, report))) = (found, smallest) else { continue };
        if best.as_ref().is_none_or(|(m, b, _)| n * gpus_of(dec) < m * gpus_of(b)) {
            best = Some((n, dec, report));
        }
    }
    let (d, dec, (r, link)) = best?;
    let (p, d) = ((p as f64 * f).ceil() as u64, (d as f64 * f).ceil() as u64);
    let (pg, dg) = (p * gpus_of(pre), d * gpus_of(dec));
    let servers = |c: &Cluster, g: u64| g.div_ceil(u64::from(c.node_size.max(1)));
    let cost = match (monthly_cost(&pchip.cluster, pg), monthly_cost(&chip.cluster, dg)) {
        (Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
    Some(DisaggFleet {
        prefill_gpu: pchip.cluster.accelerator.clone(),
        prefill_precision: pre.config.precision.weights.name().to_string(),
        prefill_replicas: p,
        prefill_tp: pre.config.tp,
        prefill_ep: pre.config.ep,
        prefill_replica_gpus: gpus_of(pre),
        decode_replicas: d,
        decode_tp: dec.config.tp,
        decode_ep: dec.config.ep,
        decode_replica_gpus: gpus_of(dec),
        gpus: pg + dg,
        servers: servers(&pchip.cluster, pg) + servers(&chip.cluster, dg),
        ttft_s: r.combined.ttft_s,
        tpot_s: r.combined.tpot_s,
        e2e_s: r.combined.e2e_s,
        kv_transfer_s: r.kv_transfer_s,
        kv_link: link.path.name(),
        kv_link_bytes_per_s: link.bytes_per_s(),
        goodput: r.combined.goodput,
        cost_usd_per_month: cost,
    })
}

/// One hour of the day for a fleet that scales with the traffic.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct HourRow {
    /// Hour of the day, 0–23.
    pub hour: u32,
    /// Requests/s in that hour.
    pub requests_per_s: f64,
    /// Replicas carrying it (the peak fleet scaled by the hour's rate, at least one).
    pub replicas: u64,
    /// GPUs.
    pub gpus: u64,
    /// The hour's rate over those replicas' saturation rate.
    pub load_fraction: f64,
}

/// The sized fleet hour by hour over a daily curve.
#[derive(Debug, Clone, Serialize)]
pub struct DailyPlan {
    /// The 24 hours.
    pub hours: Vec<HourRow>,
    /// USD a month when replicas follow the hours (cloud price per GPU-hour).
    pub autoscaled_cost_usd_per_month: Option<f64>,
    /// USD a month of the peak fleet held all day.
    pub fixed_cost_usd_per_month: Option<f64>,
    /// GPU-hours a day, autoscaled.
    pub gpu_hours_per_day: f64,
}

/// `plan` hour by hour over `curve` (mean rate `s.mean_rate`): each hour keeps
/// `⌈replicas × rate_h ÷ peak⌉` replicas (at least one), the sized fleet's replicas per
/// request/s, and reports what fraction of their saturation rate the hour uses.
#[must_use]
pub fn daily_plan(s: &FleetSpec, plan: &FleetPlan, curve: &crate::workload::DailyCurve) -> Option<DailyPlan> {
    let chip = s.chips.iter().find(|c| c.cluster.accelerator == plan.gpu)?;
    let (mean_in, mean_out) = s.lengths.means();
    let (i, o) = (mean_in.round().max(1.0) as u32, mean_out.round().max(1.0) as u32);
    let replica = s.replica(chip, &plan.config, i, o, &InferCalibration::default())?;
    let sat = saturation_rate(&replica, i, o);
    let mean_w = curve.weights.iter().sum::<f64>() / 24.0;
    let per_replica = plan.config.gpus();
    let hours: Vec<HourRow> = curve
        .weights
        .iter()
        .zip(0u32..)
        .map(|(w, hour)| {
            let rate = s.mean_rate * w / mean_w;
            let replicas = ((plan.replicas as f64) * rate / s.peak_rate).ceil().max(1.0) as u64;
            HourRow {
                hour,
                requests_per_s: rate,
                replicas,
                gpus: replicas * per_replica,
                load_fraction: if sat > 0.0 { rate / (replicas as f64 * sat) } else { 0.0 },
            }
        })
        .collect();
    let gpu_hours: f64 = hours.iter().map(|h| h.gpus as f64).sum();
    let days = HOURS_PER_MONTH / 24.0;
    Some(DailyPlan {
        autoscaled_cost_usd_per_month: chip.cluster.cloud_usd_per_gpu_hour.map(|p| p * gpu_hours * days),
        fixed_cost_usd_per_month: plan.cost_usd_per_month,
        gpu_hours_per_day: gpu_hours,
        hours,
    })
}
