//! Enumerating layouts and reducing evaluations to the best, a Pareto front and the nearest
//! miss. The enumeration is split into independent "outer" chunks (tp, cp, pp, vp, dp) so a
//! caller can evaluate them in parallel and merge the partial results; the core stays
//! single-threaded.

use serde::Serialize;

use super::layout::{Layout, Recompute, Workload, uneven_split};
use super::time::{Evaluation, Prepared, evaluate};
use crate::error::Error;
use crate::model::ModelSpec;

/// What the user fixed; `None` is searched.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Constraints {
    /// Exact GPU count, or any count up to `max_gpus`.
    pub gpus: Option<u64>,
    /// Upper bound on GPUs when `gpus` is not fixed.
    pub max_gpus: u64,
    /// Tensor parallelism.
    pub tp: Option<u32>,
    /// Pipeline parallelism.
    pub pp: Option<u32>,
    /// Data parallelism.
    pub dp: Option<u32>,
    /// Expert parallelism.
    pub ep: Option<u32>,
    /// Context parallelism.
    pub cp: Option<u32>,
    /// Virtual pipeline stages.
    pub vp: Option<u32>,
    /// Micro-batch.
    pub micro_batch: Option<u32>,
    /// Recomputation.
    pub recompute: Option<Recompute>,
    /// ZeRO stage.
    pub zero: Option<u8>,
    /// Layers of the first pipeline stage (with `last_stage_layers`; needs `pp`). Left out:
    /// an even split where pp divides the layers, else [`uneven_split`].
    pub first_stage_layers: Option<u32>,
    /// Layers of the last pipeline stage.
    pub last_stage_layers: Option<u32>,
    /// Expert tensor parallelism (0 = tp). Left out, a MoE model tries tp and 1.
    pub etp: Option<u32>,
    /// Hybrid sharding with ZeRO-3 (HSDP). Left out, ZeRO-3 tries FSDP and HSDP.
    pub hsdp: Option<bool>,
    /// Allow uneven micro-batches over the data-parallel replicas where dp × micro-batch does
    /// not divide the batch ([`Layout::uneven_batch`]: metaseq / FSDP engines). Only a dp the
    /// GPU count or `dp` fixes is taken unevenly; a free dp is still searched over the
    /// batch's divisors.
    pub uneven_batch: bool,
    /// Layers of each stage whose activations go to host memory ([`Layout::offload_layers`]),
    /// fixed, not searched (0: none); layouts it does not fit (vp > 1, a stage of no more
    /// layers) are left out.
    pub offload_layers: u32,
}

/// Every divisor of `n`, ascending, from its prime factorisation (trial division up to
/// √n: at most 65,536 steps for any `u32`, where counting up to `n` took billions).
pub(crate) fn divisors(n: u32) -> Vec<u32> {
    if n == 0 {
        return Vec::new();
    }
    let mut out = vec![1u32];
    let mut rest = n;
    let mut p = 2u32;
    while u64::from(p) * u64::from(p) <= u64::from(rest) {
        if rest % p == 0 {
            let mut e = 0;
            while rest % p == 0 {
                rest /= p;
                e += 1;
            }
            out = times_powers(&out, p, e);
        }
        p += if p == 2 { 1 } else { 2 };
    }
    if rest > 1 {
        out = times_powers(&out, rest, 1);
    }
    out.sort_unstable();
    out
}

/// Each of `ds` times p⁰ … pᵉ (every product divides the original number, so fits a `u32`).
fn times_powers(ds: &[u32], p: u32, e: u32) -> Vec<u32> {
    let mut next = Vec::with_capacity(ds.len() * (e as usize + 1));
    for &d in ds {
        let mut x = d;
        next.push(x);
        for _ in 0..e {
            x = x.saturating_mul(p);
            next.push(x);
        }
    }
    next
}

fn choose(fixed: Option<u32>, all: impl FnOnce() -> Vec<u32>) -> Vec<u32> {
    fixed.map_or_else(all, |v| vec![v])
}

/// The search space, split into outer chunks.
#[derive(Debug, Clone)]
pub struct Candidates {
    /// (tp, cp, pp, vp, dp) combinations.
    pub outer: Vec<[u32; 5]>,
    /// Expert-parallel degrees to try (divisors of the experts; `[1]` for a dense model), before
    /// each chunk keeps those dividing its dp·cp.
    eps: Vec<u32>,
    global_batch: u32,
    layers: u32,
    moe: bool,
    node_size: u32,
    c: Constraints,
}

/// Largest micro-batch considered: beyond it GEMMs are already large and memory only grows.
const MAX_MICRO_BATCH: u32 = 32;

/// Most GPUs a layout may occupy (16.8 million, far beyond any cluster): keeps every product
/// of parallel degrees inside `u32` arithmetic.
pub const MAX_LAYOUT_GPUS: u64 = 1 << 24;

/// Most outer chunks one search enumerates.
pub const MAX_OUTER_CHUNKS: usize = 1 << 18;

/// Most layouts one search evaluates (a few hundred nanoseconds each).
pub const MAX_LAYOUTS: u64 = 1 << 24;

fn too_large(what: &str, n: impl std::fmt::Display, max: impl std::fmt::Display) -> Error {
    Error::invalid(
        "search",
        what,
        n,
        format!(
            "at most {max}: fix some of --tp, --pp, --vp, --dp, --cp, --ep, --micro-batch to narrow the search"
        ),
    )
}

impl Candidates {
    /// Enumerates the outer chunks for a model, workload and server size. A search space over
    /// the bounds of [`Candidates::try_new`] enumerates nothing (use `try_new` for the reason).
    #[must_use]
    pub fn new(spec: &ModelSpec, w: &Workload, c: &Constraints, node_size: u32) -> Candidates {
        Candidates::try_new(spec, w, c, node_size).unwrap_or_else(|_| Candidates {
            outer: Vec::new(),
            eps: Vec::new(),
            global_batch: w.global_batch,
            layers: spec.layers,
            moe: spec.moe.is_some(),
            node_size,
            c: *c,
        })
    }

    /// Enumerates the outer chunks for a model, workload and server size. Layouts over
    /// [`MAX_LAYOUT_GPUS`] GPUs are left out.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] when the space exceeds [`MAX_OUTER_CHUNKS`] chunks or
    /// [`MAX_LAYOUTS`] layouts.
    pub fn try_new(
        spec: &ModelSpec,
        w: &Workload,
        c: &Constraints,
        node_size: u32,
    ) -> Result<Candidates, Error> {
        let limit = c.gpus.unwrap_or(c.max_gpus).min(MAX_LAYOUT_GPUS);
        // Tensor-parallel groups must not straddle servers: tp divides the server's GPUs.
        let tps = choose(c.tp, || divisors(spec.heads).into_iter().filter(|t| node_size % t == 0).collect());
        let cps = choose(c.cp, || {
            if w.seq_len >= 8192 {
                [1, 2, 4, 8].into_iter().filter(|d| w.seq_len % d == 0).collect()
            } else {
                vec![1]
            }
        });
        let layer_divisors = divisors(spec.layers);
        // Pipeline depths: the layers' divisors (even stages), and where they do not divide,
        // the depths Megatron-Core splits unevenly: divisors of layers + 2 (embedding and loss
        // counted as a layer each) and powers of two.
        let pps = pipeline_depths(spec, c);
        let batch_divisors =
            if c.dp.is_none() && c.gpus.is_none() { divisors(w.global_batch) } else { Vec::new() };
        let eps = choose(c.ep, || spec.moe.as_ref().map_or_else(|| vec![1], |m| divisors(m.experts)));
        let etps = if spec.moe.is_some() { 2 } else { 1 };
        let inner_fixed = eps.len() as u64
            * c.etp.map_or(etps, |_| 1)
            * c.recompute.map_or(Recompute::ALL.len() as u64, |_| 1)
            * c.zero.map_or(5, |_| 1);
        let mut layouts = 0u64;
        let mut outer = Vec::new();
        for &tp in &tps {
            for &cp in &cps {
                for &pp in &pps {
                    let Some((first, last)) = stage_split(c, spec.layers, pp) else { continue };
                    let base = u64::from(tp) * u64::from(cp) * u64::from(pp);
                    if base == 0 || base > limit {
                        continue;
                    }
                    let probe = Layout {
                        tp,
                        pp,
                        dp: 1,
                        ep: 1,
                        cp,
                        vp: 1,
                        micro_batch: 1,
                        recompute: Recompute::Full,
                        zero: 0,
                        first_stage_layers: first,
                        last_stage_layers: last,
                        etp: 0,
                        hsdp: false,
                        uneven_batch: false,
                        offload_layers: 0,
                    };
                    let (f, mid, la) = probe.stage_layers(spec.layers);
                    let vps = choose(c.vp, || {
                        if pp > 1 {
                            layer_divisors
                                .iter()
                                .copied()
                                .filter(|d| f % d == 0 && la % d == 0 && (pp <= 2 || mid % d == 0))
                                .collect()
                        } else {
                            vec![1]
                        }
                    });
                    let dps = match (c.dp, c.gpus) {
                        // With dp and the GPU count fixed, only the (tp, cp, pp) that fill
                        // exactly the GPUs count: cp is never searched past them.
                        (Some(d), Some(g)) => {
                            if base.saturating_mul(u64::from(d)) == g {
                                vec![d]
                            } else {
                                vec![]
                            }
                        }
                        (Some(d), None) => vec![d],
                        (None, Some(g)) => {
                            if g % base != 0 {
                                vec![]
                            } else {
                                u32::try_from(g / base).map(|d| vec![d]).unwrap_or_default()
                            }
                        }
                        (None, None) => batch_divisors.clone(),
                    };
                    for &vp in &vps {
                        for &dp in &dps {
                            let divides = dp > 0 && w.global_batch % dp == 0;
                            let uneven = c.uneven_batch && dp > 0 && dp <= w.global_batch;
                            if !(divides || uneven) || base * u64::from(dp) > MAX_LAYOUT_GPUS {
                                continue;
                            }
                            if c.gpus.is_none() && base * u64::from(dp) > c.max_gpus {
                                continue;
                            }
                            let mbs = c.micro_batch.map_or_else(
                                || micro_batches_for(w.global_batch, dp, c.uneven_batch).len() as u64,
                                |_| 1,
                            );
                            layouts += mbs * inner_fixed;
                            outer.push([tp, cp, pp, vp, dp]);
                            if outer.len() > MAX_OUTER_CHUNKS {
                                return Err(too_large(
                                    "layouts",
                                    format!("over {MAX_OUTER_CHUNKS} (tp, cp, pp, vp, dp) combinations"),
                                    MAX_OUTER_CHUNKS,
                                ));
                            }
                        }
                    }
                }
            }
        }
        if layouts > MAX_LAYOUTS {
            return Err(too_large("layouts", layouts, MAX_LAYOUTS));
        }
        Ok(Candidates {
            outer,
            eps,
            global_batch: w.global_batch,
            layers: spec.layers,
            moe: spec.moe.is_some(),
            node_size,
            c: *c,
        })
    }

    /// Calls `f` with every layout of one outer chunk.
    pub fn for_each(&self, chunk: [u32; 5], mut f: impl FnMut(&Layout)) {
        let [tp, cp, pp, vp, dp] = chunk;
        if dp == 0 || pp == 0 {
            return;
        }
        let Some((first_stage_layers, last_stage_layers)) = stage_split(&self.c, self.layers, pp) else {
            return;
        };
        if self.c.offload_layers > 0 {
            let shortest = if first_stage_layers == 0 && last_stage_layers == 0 {
                self.layers / pp
            } else {
                first_stage_layers.min(last_stage_layers)
            };
            if vp > 1 || self.c.offload_layers >= shortest {
                return;
            }
        }
        let batch = self.global_batch;
        let mbs = choose(self.c.micro_batch, || micro_batches_for(batch, dp, self.c.uneven_batch));
        let ranks = u64::from(tp) * u64::from(dp) * u64::from(cp);
        // Expert tensor parallelism: as tp (0), or none (1) so that EP spans the TP ranks too.
        let fixed = [self.c.etp.unwrap_or(0)];
        let etps: &[u32] = match self.c.etp {
            Some(_) => &fixed,
            None if self.moe && tp > 1 => &[0, 1],
            None => &[0],
        };
        let recomputes = self.c.recompute.map_or_else(|| Recompute::ALL.to_vec(), |r| vec![r]);
        // ZeRO stages, ZeRO-3 as FSDP and (where dp·cp spans servers) HSDP.
        let spans = ranks > u64::from(self.node_size);
        let zeros: Vec<(u8, bool)> = match (self.c.zero, self.c.hsdp) {
            (_, Some(true)) => vec![(3, true)],
            (Some(z), _) => vec![(z, false)]
                .into_iter()
                .chain((z == 3 && spans && self.c.hsdp.is_none()).then_some((3, true)))
                .collect(),
            (None, Some(false)) => vec![(0, false), (1, false), (2, false), (3, false)],
            (None, None) => {
                let mut v = vec![(0, false), (1, false), (2, false), (3, false)];
                if spans {
                    v.push((3, true));
                }
                v
            }
        };
        for &micro_batch in &mbs {
            // Even: dp × micro-batch divides the batch. Uneven (where allowed and needed): the
            // micro-batch divides it and every replica gets one; the slowest replica runs ⌈m⌉.
            let even = micro_batch > 0 && batch % (dp * micro_batch) == 0;
            let uneven_batch = !even
                && self.c.uneven_batch
                && micro_batch > 0
                && batch % micro_batch == 0
                && batch / micro_batch >= dp;
            if !(even || uneven_batch) {
                continue;
            }
            // The (etp, ep) whose expert group tiles the ranks; a fixed ep that tiles with no
            // etp is still evaluated once (with the first etp), as before.
            let tiles = |e: u32, x: u32| {
                let et = u64::from(if e == 0 { tp } else { e });
                ranks % (u64::from(x) * et) == 0
            };
            let pairs = etps.iter().flat_map(|e| self.eps.iter().map(move |x| (e, x)));
            for (&etp, &ep) in pairs.filter(|&(&e, &x)| {
                x > 0
                    && (tiles(e, x)
                        || (self.c.ep.is_some() && e == etps[0] && !etps.iter().any(|&o| tiles(o, x))))
            }) {
                let m = (batch / micro_batch).div_ceil(dp);
                if vp > 1 && (uneven_batch || m % pp != 0) {
                    continue;
                }
                for &recompute in &recomputes {
                    for &(zero, hsdp) in &zeros {
                        if zero >= 2 && pp > 1 {
                            continue;
                        }
                        f(&Layout {
                            tp,
                            pp,
                            dp,
                            ep,
                            cp,
                            vp,
                            micro_batch,
                            recompute,
                            zero,
                            first_stage_layers,
                            last_stage_layers,
                            etp,
                            hsdp,
                            uneven_batch,
                            offload_layers: self.c.offload_layers,
                        });
                    }
                }
            }
        }
    }
}

/// Micro-batch sizes (up to [`MAX_MICRO_BATCH`]) a replica can run: those where dp ×
/// micro-batch divides the batch, and with `uneven` also those dividing the batch into at
/// least dp micro-batches.
fn micro_batches_for(batch: u32, dp: u32, uneven: bool) -> Vec<u32> {
    (1..=MAX_MICRO_BATCH)
        .filter(|&b| {
            let even = dp > 0 && (batch / dp) % b == 0 && batch % dp == 0;
            even || (uneven && batch % b == 0 && batch / b >= dp)
        })
        .collect()
}

/// Pipeline depths searched: the layers' divisors (even stages), and where they do not
/// divide, the depths Megatron-Core splits unevenly: divisors of layers + 2 (embedding and
/// loss counted as a layer each) and powers of two.
fn pipeline_depths(spec: &ModelSpec, c: &Constraints) -> Vec<u32> {
    choose(c.pp, || {
        let mut v = divisors(spec.layers);
        let extra = divisors(spec.layers.saturating_add(2))
            .into_iter()
            .chain((0..31).map(|k| 1u32 << k).take_while(|&x| x <= spec.layers));
        for x in extra {
            if !v.contains(&x) && uneven_split(spec.layers, x).is_some() {
                v.push(x);
            }
        }
        v.sort_unstable();
        v
    })
}

/// The (first, last) stage layers of a pipeline depth: the fixed ones, else an even split or
/// [`uneven_split`]; `None` when the depth cannot split the layers.
fn stage_split(c: &Constraints, layers: u32, pp: u32) -> Option<(u32, u32)> {
    match (c.first_stage_layers, c.last_stage_layers) {
        (None, None) => uneven_split(layers, pp),
        (f, l) => {
            let probe = Layout {
                tp: 1,
                pp,
                dp: 1,
                ep: 1,
                cp: 1,
                vp: 1,
                micro_batch: 1,
                recompute: Recompute::Full,
                zero: 0,
                first_stage_layers: f.unwrap_or(0),
                last_stage_layers: l.unwrap_or(0),
                etp: 0,
                hsdp: false,
                uneven_batch: false,
                offload_layers: 0,
            };
            super::layout::check_stages(&probe, layers, "search").ok()?;
            Some((probe.first_stage_layers, probe.last_stage_layers))
        }
    }
}

/// Why a search with a fixed GPU count enumerated nothing, when the global batch is the cause:
/// which (tp, pp, cp) fill the GPUs, the dp × micro-batch that does not divide the batch, the
/// nearest workable batches and the nearest GPU counts (below and above) that work at this
/// batch. `None` when the GPU count is not fixed or the batch is not the cause.
#[must_use]
pub fn batch_hint(spec: &ModelSpec, w: &Workload, c: &Constraints, node_size: u32) -> Option<String> {
    let g = c.gpus?;
    let tps = choose(c.tp, || divisors(spec.heads).into_iter().filter(|t| node_size % t == 0).collect());
    let cps = choose(c.cp, || {
        if w.seq_len >= 8192 {
            [1, 2, 4, 8].into_iter().filter(|d| w.seq_len % d == 0).collect()
        } else {
            vec![1]
        }
    });
    let pps = pipeline_depths(spec, c);
    let mut bases: Vec<(u64, [u32; 3])> = Vec::new();
    for &tp in &tps {
        for &cp in &cps {
            for &pp in &pps {
                if stage_split(c, spec.layers, pp).is_some() {
                    bases.push((u64::from(tp) * u64::from(cp) * u64::from(pp), [tp, pp, cp]));
                }
            }
        }
    }
    bases.sort_unstable();
    let mb = u64::from(c.micro_batch.unwrap_or(1));
    let batch = u64::from(w.global_batch);
    // The data-parallel degrees `gpus` allows, with the (tp, pp, cp) giving each.
    let dps = |gpus: u64| {
        bases
            .iter()
            .filter(move |(b, _)| *b > 0 && gpus % b == 0)
            .map(move |(b, l)| (gpus / b, *l))
            .filter(|(d, _)| c.dp.is_none_or(|x| u64::from(x) == *d))
    };
    let options: Vec<(u64, [u32; 3])> = dps(g).collect();
    if options.is_empty() || options.iter().any(|(d, _)| batch % (d * mb) == 0) {
        return None;
    }
    // The dp whose nearest workable batch is closest to the requested one.
    let near = |step: u64| {
        let lo = batch / step * step;
        if lo == 0 { (step, step) } else { (lo, lo + step) }
    };
    let (dp, [tp, pp, cp]) = *options
        .iter()
        .min_by_key(|(d, _)| {
            let (lo, hi) = near(d * mb);
            (batch - lo.min(batch)).min(hi - batch)
        })
        .unwrap_or(&options[0]);
    let (lo, hi) = near(dp * mb);
    // The most data-parallel option too (tp alone inside a server), when it differs.
    let wide = options.iter().max_by_key(|(d, l)| (*d, std::cmp::Reverse(l[1]))).copied();
    let wide = match wide {
        Some((d, [t, p, cp])) if d != dp => {
            let (a, b) = near(d * mb);
            format!(" (dp {dp}), or {a} or {b} with dp {d} (tp {t} × pp {p} × cp {cp})")
        }
        _ => String::new(),
    };
    let works = |gpus: u64| dps(gpus).any(|(d, _)| batch % (d * mb) == 0);
    let below = (1..g.min(1 << 12)).map(|k| g - k).find(|&x| works(x));
    let above = (1..=g.min(1 << 12)).map(|k| g + k).take_while(|&x| x <= MAX_LAYOUT_GPUS).find(|&x| works(x));
    let counts: Vec<String> = below.into_iter().chain(above).map(|x| x.to_string()).collect();
    let counts = if counts.is_empty() {
        String::new()
    } else {
        format!(", or {} GPUs at batch {batch}", counts.join(" or "))
    };
    Some(format!(
        "the global batch ({batch}) does not split over {g} GPUs: dp {dp} (tp {tp} × pp {pp} × cp {cp} per replica) × micro_batch {mb} = {} does not divide it; the nearest workable batch is {lo} or {hi}{wide}{counts}{uneven}",
        dp * mb,
        uneven = if c.uneven_batch {
            ""
        } else {
            ", or uneven_batch where the engine deals micro-batches unevenly over the replicas (metaseq, FSDP)"
        }
    ))
}

/// What the search optimises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    /// Shortest step.
    Fastest,
    /// Fewest servers whose step takes at most this long; ties go to the faster.
    FewestServers {
        /// Step-time bound, seconds.
        max_step_s: f64,
        /// GPUs per server.
        node_size: u32,
    },
}

/// The (GPUs, step time) Pareto front: no member is beaten on both.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pareto {
    /// Members, sorted by GPUs.
    pub members: Vec<Evaluation>,
}

impl Pareto {
    /// Offers an evaluation.
    pub fn offer(&mut self, e: &Evaluation) {
        if self.members.iter().any(|m| m.gpus <= e.gpus && m.step_time_s <= e.step_time_s) {
            return;
        }
        self.members.retain(|m| !(e.gpus <= m.gpus && e.step_time_s <= m.step_time_s));
        let at = self.members.partition_point(|m| m.gpus < e.gpus);
        self.members.insert(at, *e);
    }

    /// Merges another front.
    pub fn merge(&mut self, other: &Pareto) {
        for e in &other.members {
            self.offer(e);
        }
    }
}

/// A partial or final search result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    /// Layouts evaluated.
    pub evaluated: u64,
    /// Layouts that fit memory.
    pub feasible: u64,
    /// The best fitting layout for the objective.
    pub best: Option<Evaluation>,
    /// The fitting layouts' (GPUs, step time) front.
    pub front: Pareto,
    /// The layout that came closest to fitting (least memory over capacity).
    pub nearest_miss: Option<Evaluation>,
    /// With a step-time bound: the fastest fitting layout, met or not.
    pub fastest: Option<Evaluation>,
}

fn better(obj: Objective, a: &Evaluation, b: &Evaluation) -> bool {
    match obj {
        Objective::Fastest => a.step_time_s < b.step_time_s,
        Objective::FewestServers { max_step_s, node_size } => {
            let ok_a = a.step_time_s <= max_step_s;
            let ok_b = b.step_time_s <= max_step_s;
            let servers = |e: &Evaluation| e.gpus.div_ceil(u64::from(node_size));
            match (ok_a, ok_b) {
                (true, false) => true,
                (false, true) => false,
                (true, true) => (servers(a), a.step_time_s) < (servers(b), b.step_time_s),
                (false, false) => a.step_time_s < b.step_time_s,
            }
        }
    }
}

impl Outcome {
    /// Accounts one evaluation.
    pub fn offer(&mut self, obj: Objective, e: &Evaluation) {
        self.evaluated += 1;
        if !e.fits {
            let over = |x: &Evaluation| x.memory.total_gib;
            if self.nearest_miss.as_ref().is_none_or(|m| over(e) < over(m)) {
                self.nearest_miss = Some(*e);
            }
            return;
        }
        self.feasible += 1;
        if self.best.as_ref().is_none_or(|b| better(obj, e, b)) {
            self.best = Some(*e);
        }
        if self.fastest.as_ref().is_none_or(|b| e.step_time_s < b.step_time_s) {
            self.fastest = Some(*e);
        }
        self.front.offer(e);
    }

    /// Merges a partial result.
    pub fn merge(mut self, obj: Objective, other: Outcome) -> Outcome {
        self.evaluated += other.evaluated;
        self.feasible += other.feasible;
        if let Some(b) = other.best {
            if self.best.as_ref().is_none_or(|x| better(obj, &b, x)) {
                self.best = Some(b);
            }
        }
        if let Some(f) = other.fastest {
            if self.fastest.as_ref().is_none_or(|x| f.step_time_s < x.step_time_s) {
                self.fastest = Some(f);
            }
        }
        if let Some(n) = other.nearest_miss {
            if self.nearest_miss.as_ref().is_none_or(|x| n.memory.total_gib < x.memory.total_gib) {
                self.nearest_miss = Some(n);
            }
        }
        self.front.merge(&other.front);
        self
    }
}

/// Evaluates one outer chunk.
#[must_use]
pub fn search_chunk(p: &Prepared, cands: &Candidates, chunk: [u32; 5], obj: Objective) -> Outcome {
    let mut out = Outcome::default();
    cands.for_each(chunk, |l| out.offer(obj, &evaluate(p, l)));
    out
}

/// Sequential search over every chunk (the parallel one lives in `suanli-search`).
#[must_use]
pub fn search(p: &Prepared, cands: &Candidates, obj: Objective) -> Outcome {
    cands.outer.iter().fold(Outcome::default(), |acc, &c| acc.merge(obj, search_chunk(p, cands, c, obj)))
}

/// The nearest miss of an outcome with no feasible layout, as a sentence.
#[must_use]
pub fn nearest_miss(o: &Outcome, capacity_gib: f64) -> Option<String> {
    let m = o.nearest_miss.as_ref()?;
    let l = &m.layout;
    Some(format!(
        "no layout fits; nearest miss tp={} pp={} dp={} cp={} ep={} micro_batch={} recompute={} zero={} needs {:.1} GiB per GPU, {:.1} GiB available",
        l.tp,
        l.pp,
        l.dp,
        l.cp,
        l.ep,
        l.micro_batch,
        l.recompute.name(),
        l.zero,
        m.memory.total_gib,
        capacity_gib
    ))
}

#[cfg(test)]
mod tests {
    use super::divisors;

    #[test]
    fn divisors_by_factorisation() {
        for n in [1u32, 2, 12, 97, 360, 1024, 65_536, 1_000_000] {
            let slow: Vec<u32> = (1..=n).filter(|d| n % d == 0).collect();
            assert_eq!(divisors(n), slow, "{n}");
        }
        assert!(divisors(0).is_empty());
        assert_eq!(
            divisors(u32::MAX),
            vec![
                1,
                3,
                5,
                15,
                17,
                51,
                85,
                255,
                257,
                771,
                1285,
                3855,
                4369,
                13107,
                21845,
                65535,
                65537,
                196_611,
                327_685,
                983_055,
                1_114_129,
                3_342_387,
                5_570_645,
                16_711_935,
                16_843_009,
                50_529_027,
                84_215_045,
                252_645_135,
                286_331_153,
                858_993_459,
                1_431_655_765,
                4_294_967_295
            ]
        );
        assert_eq!(divisors(1 << 31).len(), 32);
        assert_eq!(divisors(4_294_967_291), vec![1, 4_294_967_291]);
    }
}
