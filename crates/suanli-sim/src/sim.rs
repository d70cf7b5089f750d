//! The discrete-event simulation: routing, per-replica continuous batching with a paged KV
//! cache, chunked prefill, preemption by recomputation (or a swap to host memory), priority
//! classes, admission control, and the metrics.
//!
//! Events are arrivals (pre-generated, merged in time order) and step completions (one per
//! busy replica, in a heap). A replica's step costs O(1) plus O(log n) per sequence that joins
//! or leaves: running sequences are not touched one by one; each carries the step at which it
//! finishes, and the batch's total context grows by the batch size every step.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap, HashSet, VecDeque};
use std::ops::Range;

use crate::policy::{ClassReport, ClassTargets, MAX_CLASSES, Offload, Waiting, class_index};

use serde::Serialize;

use suanli_core::Error;

use crate::engine::StepModel;
use crate::metrics::{CDF_QUANTILES, Cdf, Latency, Series, latency, latency_of_sorted, quantiles_of_sorted};
use crate::workload::Request;

/// How requests are spread over replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Router {
    /// In turn.
    RoundRobin,
    /// To the replica with the fewest requests queued or running.
    LeastOutstanding,
    /// A conversation's turns to the same replica (its prefix stays cached).
    PrefixAffinity,
}

/// Batching policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheduler {
    /// Continuous (in-flight) batching: sequences join and leave every step.
    Continuous,
    /// Static batching: a batch runs to its last sequence before the next is admitted.
    Static,
    /// Prefill first (vLLM's original scheduler, Orca-style without chunking): while any
    /// prompt waits to be prefilled, steps run prompts only (up to the token budget) and the
    /// running decodes stall. Continuous batching is Sarathi-Serve's chunked prefill instead:
    /// decodes first, prompt chunks in what the budget (`max_tokens`, the chunk size) leaves,
    /// so the budget bounds a step and TPOT.
    PrefillFirst,
    /// Orca's iteration-level scheduling (Yu et al., OSDI 2022): decodes and whole prompts in
    /// one step, no chunking — the budget decides how many whole prompts join a step (at least
    /// one), so a long prompt lengthens that step for every decoding sequence.
    Orca,
}

/// KV-cache admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KvPolicy {
    /// Admit when the prompt's blocks are free; preempt (and later recompute) the newest
    /// sequence when decoding runs out of blocks (vLLM).
    Paged,
    /// Reserve the whole request (prompt + output) at admission; never preempt (TensorRT-LLM's
    /// guaranteed-no-evict).
    Reserve,
}

/// Simulation settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimConfig {
    /// Replicas.
    pub replicas: u32,
    /// Router.
    pub router: Router,
    /// Batching.
    pub scheduler: Scheduler,
    /// KV admission.
    pub kv_policy: KvPolicy,
    /// Most sequences in a step.
    pub max_batch: u32,
    /// Most tokens in a step.
    pub max_tokens: u32,
    /// Whether a prompt may be split over steps (Sarathi-Serve chunked prefill, vLLM's
    /// `enable_chunked_prefill`, TensorRT-LLM's `enable_chunked_context`). Without it a prompt
    /// joins a step only whole, first come first served: the first prompt that does not fit in
    /// what `max_tokens` leaves after the decodes waits for a later step (a prompt is always
    /// taken when the step would otherwise carry none, so one longer than the budget runs alone).
    pub chunked_prefill: bool,
    /// KV block size, tokens.
    pub block_tokens: u32,
    /// Fraction of the earliest requests left out of the latency statistics (warm-up).
    pub warmup: f64,
    /// Targets for goodput: p99 TTFT and TPOT limits per request, seconds.
    pub targets: Option<(f64, f64)>,
    /// Per priority class targets, where a class has its own ([`crate::policy`]).
    pub class_targets: ClassTargets,
    /// Admission control: a replica with this many requests whose prompts have not finished
    /// prefilling (queued or in prefill) rejects new arrivals (0: never).
    pub max_queue: u32,
    /// Swap preempted KV cache to host memory instead of recomputing it.
    pub offload: Option<Offload>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            replicas: 1,
            router: Router::LeastOutstanding,
            scheduler: Scheduler::Continuous,
            kv_policy: KvPolicy::Paged,
            max_batch: 2048,
            max_tokens: 8192,
            chunked_prefill: true,
            block_tokens: 16,
            warmup: 0.1,
            targets: None,
            class_targets: [None; MAX_CLASSES],
            max_queue: 0,
            offload: None,
        }
    }
}

/// Most requests one simulation holds: a run keeps about 150 bytes a request (its state, its
/// times, the sorted latency samples), so 1.5 GB at the cap. The time series is bounded apart
/// (`metrics::MAX_INTERVALS`).
pub const MAX_REQUESTS: usize = 10_000_000;

/// Most replicas one simulation runs.
pub const MAX_REPLICAS: u32 = 1_000_000;

impl SimConfig {
    /// The requests measured of `n` (indices in arrival order): all after the first
    /// `warmup` share (clamped to 0–0.9), and the goodput scale from the measured share to
    /// all, `1 ÷ (1 − warmup)`.
    fn measured_window(&self, n: usize) -> (Range<usize>, f64) {
        let w = self.warmup.clamp(0.0, 0.9);
        (((n as f64) * w) as usize..n, 1.0 / (1.0 - w))
    }

    /// Checks the settings and the request count against the bounds, before a run.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the setting and its accepted range.
    pub fn check(&self, requests: usize, origin: &str) -> Result<(), Error> {
        if requests == 0 || requests > MAX_REQUESTS {
            return Err(Error::invalid(origin, "requests", requests, format!("from 1 to {MAX_REQUESTS}")));
        }
        if self.replicas == 0 || self.replicas > MAX_REPLICAS {
            return Err(Error::invalid(
                origin,
                "replicas",
                self.replicas,
                format!("from 1 to {MAX_REPLICAS}"),
            ));
        }
        for (key, v) in [("max_batch", self.max_batch), ("max_tokens", self.max_tokens)] {
            if v == 0 {
                return Err(Error::invalid(origin, key, v, "a positive integer"));
            }
        }
        if !(0.0..=0.9).contains(&self.warmup) {
            return Err(Error::invalid(origin, "warmup", self.warmup, "a fraction from 0 to 0.9"));
        }
        if let Some(o) = self.offload
            && !(o.tokens_per_s.is_finite() && o.tokens_per_s > 0.0)
        {
            return Err(Error::invalid(origin, "kv_offload", o.tokens_per_s, "a positive host-link rate"));
        }
        for (ttft, tpot) in self.targets.iter().chain(self.class_targets.iter().flatten()).copied() {
            for (key, v) in [("ttft_p99", ttft), ("tpot_p99", tpot)] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::invalid(origin, key, v, "a positive number of seconds"));
                }
            }
        }
        Ok(())
    }
}

/// [`simulate`] after [`SimConfig::check`].
///
/// # Errors
/// A setting or request count out of range.
pub fn try_simulate(reqs: &[Request], model: &dyn StepModel, cfg: &SimConfig) -> Result<SimReport, Error> {
    cfg.check(reqs.len(), "simulate")?;
    Ok(simulate(reqs, model, cfg))
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct SimReport {
    /// Requests simulated.
    pub requests: usize,
    /// Requests in the statistics (after warm-up).
    pub measured: usize,
    /// Simulated seconds from the first arrival to the last completion.
    pub duration_s: f64,
    /// Time to first token.
    pub ttft_s: Latency,
    /// Time per output token after the first.
    pub tpot_s: Latency,
    /// Request latency.
    pub e2e_s: Latency,
    /// Wait from arrival to admission into a batch.
    pub queue_s: Latency,
    /// Completed requests per second.
    pub throughput_requests_per_s: f64,
    /// Output tokens per second.
    pub output_tokens_per_s: f64,
    /// Fraction of measured (and rejected) requests meeting the targets (1 without targets
    /// and rejections).
    pub goodput: f64,
    /// Requests per second meeting the targets.
    pub goodput_requests_per_s: f64,
    /// Mean requests in the system (time average).
    pub mean_in_system: f64,
    /// Arrival rate × mean latency: Little's law says this equals `mean_in_system`.
    pub littles_law_product: f64,
    /// Sequences preempted (and recomputed) for lack of KV blocks.
    pub preemptions: u64,
    /// Preempted sequences whose KV cache went to host memory instead of being recomputed.
    pub swaps: u64,
    /// Requests rejected by admission control (all of the run).
    pub rejected: u64,
    /// Per priority class, when the requests have more than one.
    pub classes: Vec<ClassReport>,
    /// Prompt tokens served from a cached prefix.
    pub cached_prefix_tokens: u64,
    /// Mean fraction of time replicas are busy.
    pub utilisation: f64,
    /// Whether the queue grew without bound: offered load exceeds capacity.
    pub saturated: bool,
    /// Queue length, utilisation and latency over time.
    pub series: Series,
    /// TTFT, TPOT and latency distributions of the measured requests.
    pub cdf: Cdf,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Time(f64);
impl Eq for Time {}
impl PartialOrd for Time {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Time {
    fn cmp(&self, o: &Self) -> Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[derive(Default)]
struct Rep {
    waiting: Waiting,
    prefilling: VecDeque<u32>,
    running: Vec<u32>,
    finishes: BinaryHeap<Reverse<(u64, u32, u32)>>,
    pending: Vec<(u32, u32)>,
    seen: HashSet<u32>,
    b: u64,
    sum_ctx: u64,
    /// The token clock: tokens each running sequence has emitted since the replica started
    /// (one a step; with speculative decoding ⌊τ⌋ or ⌈τ⌉, τ on average).
    step: u64,
    /// Steps taken.
    rounds: u64,
    /// Whether the step in flight is prompts only (decodes stalled, prefill first).
    stall: bool,
    kv_used: u64,
    /// KV tokens of swapped-out sequences in host memory.
    host_used: u64,
    /// Host-link copies (swap out, swap in) the next step waits for, seconds.
    transfer_s: f64,
    busy: bool,
    busy_s: f64,
}

impl Rep {
    fn outstanding(&self) -> usize {
        self.waiting.len() + self.prefilling.len() + self.b as usize
    }
}

struct State<'a> {
    reqs: &'a [Request],
    cfg: SimConfig,
    kv_cap: u64,
    need: Vec<u32>,
    prefilled: Vec<u32>,
    produced: Vec<u32>,
    join_step: Vec<u64>,
    epoch: Vec<u32>,
    held: Vec<u64>,
    done: Vec<bool>,
    admitted: Vec<f64>,
    first: Vec<f64>,
    finish: Vec<f64>,
    preemptions: u64,
    cached: u64,
    /// Mean tokens a step emits per decoding sequence.
    tau: f64,
    /// KV tokens of each request held in host memory (swapped out).
    swapped: Vec<u64>,
    swaps: u64,
    /// Whether any request has a class above 0 (preemption then picks by class).
    classed: bool,
}

impl State<'_> {
    /// KV tokens (whole blocks) a request takes when admitted: its prompt (plus anything it
    /// had produced before a preemption), or with `Reserve` its whole length.
    fn reserve(&self, r: u32) -> u64 {
        let i = r as usize;
        let q = &self.reqs[i];
        let tokens = match self.cfg.kv_policy {
            KvPolicy::Paged => u64::from(q.input) + u64::from(self.produced[i]),
            KvPolicy::Reserve => u64::from(q.input) + u64::from(q.output),
        };
        let b = u64::from(self.cfg.block_tokens.max(1));
        tokens.div_ceil(b) * b
    }

    /// Admits and chunks work for the next step; returns its duration, or `None` when idle.
    fn start(&mut self, rep: &mut Rep, now: f64, model: &dyn StepModel) -> Option<f64> {
        let admit = self.cfg.scheduler != Scheduler::Static || (rep.b == 0 && rep.prefilling.is_empty());
        if admit {
            while let Some(r) = rep.waiting.front() {
                if rep.b as usize + rep.prefilling.len() >= self.cfg.max_batch as usize {
                    break;
                }
                let need = self.reserve(r);
                // Keep a watermark of 1 % of the pool plus one step of decode growth free, as
                // vLLM does, so an admission is not preempted by the very next step.
                let headroom = self.kv_cap / 100 + rep.b;
                if rep.kv_used + need + headroom > self.kv_cap && (rep.b > 0 || !rep.prefilling.is_empty()) {
                    break;
                }
                rep.kv_used += need;
                self.held[r as usize] = need;
                rep.waiting.pop_front();
                if let Some(o) = self.cfg.offload {
                    let back = std::mem::take(&mut self.swapped[r as usize]);
                    rep.host_used -= back;
                    rep.transfer_s += back as f64 / o.tokens_per_s;
                }
                let q = &self.reqs[r as usize];
                if self.admitted[r as usize].is_nan() {
                    self.admitted[r as usize] = now;
                }
                if self.cfg.router == Router::PrefixAffinity
                    && q.prefix > 0
                    && rep.seen.contains(&q.conversation)
                    && self.produced[r as usize] == 0
                {
                    let hit = q.prefix.min(self.need[r as usize].saturating_sub(1));
                    self.need[r as usize] -= hit;
                    self.cached += u64::from(hit);
                }
                rep.seen.insert(q.conversation);
                if self.classed {
                    // Prompts are chunked in class order: behind the more urgent and equal ones.
                    let reqs = self.reqs;
                    let at = rep.prefilling.iter().position(|&x| reqs[x as usize].class > q.class);
                    rep.prefilling.insert(at.unwrap_or(rep.prefilling.len()), r);
                } else {
                    rep.prefilling.push_back(r);
                }
            }
        }
        rep.stall = self.cfg.scheduler == Scheduler::PrefillFirst && !rep.prefilling.is_empty();
        let decoding = if rep.stall { 0 } else { rep.b };
        let mut budget = u64::from(self.cfg.max_tokens).saturating_sub(decoding);
        let (mut prefill, mut ctx_weighted, mut completing) = (0u64, 0.0, 0u64);
        rep.pending.clear();
        let orca = self.cfg.scheduler == Scheduler::Orca;
        let whole = orca || !self.cfg.chunked_prefill;
        for &r in &rep.prefilling {
            if budget == 0 && !(orca && prefill == 0) {
                break;
            }
            let i = r as usize;
            let left = u64::from(self.need[i] - self.prefilled[i]);
            // Whole prompts (Orca, or chunking off): one that does not fit what the budget leaves
            // waits for a later step — under Orca once a prompt is in (it takes one a step
            // whatever the decodes use), without chunking also when decodes fill the budget.
            if whole && left > budget && (prefill > 0 || (!orca && decoding > 0)) {
                break;
            }
            let n = if whole { left } else { left.min(budget) };
            budget = budget.saturating_sub(n);
            // Tokens already in the cache before this chunk: a cached prefix, earlier chunks.
            let base = u64::from(self.reqs[i].input) + u64::from(self.produced[i]);
            let offset = (base.saturating_sub(u64::from(self.need[i])) + u64::from(self.prefilled[i])) as f64;
            ctx_weighted += n as f64 * (offset + n as f64 / 2.0);
            prefill += n;
            if n == left {
                completing += 1;
            }
            rep.pending.push((r, n as u32));
        }
        if rep.b == 0 && prefill == 0 {
            return None;
        }
        let b = decoding as f64;
        let mean_ctx = if decoding > 0 { rep.sum_ctx as f64 / b } else { 0.0 };
        let pctx = if prefill > 0 { ctx_weighted / prefill as f64 } else { 0.0 };
        let dt = model.step_s(b, mean_ctx, prefill as f64, pctx, b + completing as f64).max(1e-9);
        Some(dt + std::mem::take(&mut rep.transfer_s))
    }

    /// Applies a finished step at `now`.
    fn finish_step(&mut self, rep: &mut Rep, now: f64, completed: &mut Vec<u32>) {
        // Every running sequence advances by the same count, so the mean over steps is τ; a
        // prompts-only step advances none.
        let adv = if rep.stall {
            0
        } else if self.tau == 1.0 {
            rep.rounds += 1;
            1
        } else {
            rep.rounds += 1;
            ((rep.rounds as f64 * self.tau).floor() - ((rep.rounds - 1) as f64 * self.tau).floor()) as u64
        };
        rep.step += adv;
        rep.sum_ctx += rep.b * adv;
        if self.cfg.kv_policy == KvPolicy::Paged {
            rep.kv_used += rep.b * adv;
        }
        let pending = std::mem::take(&mut rep.pending);
        for &(r, n) in &pending {
            let i = r as usize;
            self.prefilled[i] += n;
            if self.prefilled[i] < self.need[i] {
                continue;
            }
            // Prefill complete: the step emitted this sequence's next token.
            if let Some(pos) = rep.prefilling.iter().position(|&x| x == r) {
                rep.prefilling.remove(pos);
            }
            if self.first[i].is_nan() {
                self.first[i] = now;
            }
            self.produced[i] += 1;
            let q = &self.reqs[i];
            if self.produced[i] >= q.output {
                self.complete(rep, r, now, false, completed);
                continue;
            }
            rep.b += 1;
            rep.sum_ctx += u64::from(q.input + self.produced[i]);
            if self.cfg.kv_policy == KvPolicy::Paged {
                rep.kv_used += 1;
                self.held[i] += 1;
            }
            self.join_step[i] = rep.step;
            rep.running.push(r);
            rep.finishes.push(Reverse((rep.step + u64::from(q.output - self.produced[i]), r, self.epoch[i])));
        }
        rep.pending = pending;
        rep.pending.clear();
        while let Some(&Reverse((s, r, e))) = rep.finishes.peek() {
            if s > rep.step {
                break;
            }
            rep.finishes.pop();
            if e == self.epoch[r as usize] && !self.done[r as usize] {
                self.complete(rep, r, now, true, completed);
            }
        }
        if self.cfg.kv_policy == KvPolicy::Paged {
            // A lone sequence is never preempted: one longer than the whole pool runs on
            // (oversubscribed) instead of recomputing its context for every token, which made
            // the run quadratic in its length.
            while rep.kv_used > self.kv_cap && rep.b > 1 {
                let Some(r) = self.victim(rep) else { break };
                let i = r as usize;
                if self.done[i] {
                    continue;
                }
                let q = &self.reqs[i];
                let produced = self.produced[i] + (rep.step - self.join_step[i]) as u32;
                let ctx = u64::from(q.input + produced);
                rep.b -= 1;
                rep.sum_ctx -= ctx;
                let held = self.held[i] + (rep.step - self.join_step[i]);
                rep.kv_used = rep.kv_used.saturating_sub(held);
                self.held[i] = 0;
                self.epoch[i] += 1;
                self.produced[i] = produced;
                self.need[i] = q.input + produced;
                self.prefilled[i] = 0;
                if let Some(o) = self.cfg.offload
                    && rep.host_used + held <= o.host_tokens
                {
                    // Swapped out: on readmission only the next token is computed, after the
                    // copy back.
                    rep.host_used += held;
                    self.swapped[i] = held;
                    rep.transfer_s += held as f64 / o.tokens_per_s;
                    self.prefilled[i] = self.need[i] - 1;
                    self.swaps += 1;
                } else {
                    self.preemptions += 1;
                }
                rep.waiting.push_front(r, q.class);
            }
        }
        if rep.running.len() > 64 && rep.running.len() > 2 * rep.b as usize {
            let done = &self.done;
            rep.running.retain(|&r| !done[r as usize]);
        }
    }

    /// The sequence to preempt: the newest, or with priority classes the newest of the least
    /// urgent class running.
    fn victim(&self, rep: &mut Rep) -> Option<u32> {
        if !self.classed {
            return rep.running.pop();
        }
        let (pos, _) = rep
            .running
            .iter()
            .enumerate()
            .filter(|&(_, &r)| !self.done[r as usize])
            .max_by_key(|&(pos, &r)| (self.reqs[r as usize].class, pos))?;
        Some(rep.running.remove(pos))
    }

    fn complete(&mut self, rep: &mut Rep, r: u32, now: f64, running: bool, completed: &mut Vec<u32>) {
        let i = r as usize;
        let q = &self.reqs[i];
        if running {
            rep.b -= 1;
            // Its context: the prompt, what it had produced on joining and a token a clock
            // tick since (speculation can overshoot the output on the last step).
            let ctx = u64::from(q.input + self.produced[i]) + (rep.step - self.join_step[i]);
            rep.sum_ctx -= ctx;
        }
        let held = match (self.cfg.kv_policy, running) {
            (KvPolicy::Paged, true) => self.held[i] + (rep.step - self.join_step[i]),
            _ => self.held[i],
        };
        rep.kv_used = rep.kv_used.saturating_sub(held);
        self.held[i] = 0;
        self.done[i] = true;
        self.finish[i] = now;
        completed.push(r);
    }
}

/// Simulates `reqs` (sorted by arrival) on `cfg.replicas` identical replicas.
#[must_use]
pub fn simulate(reqs: &[Request], model: &dyn StepModel, cfg: &SimConfig) -> SimReport {
    run(reqs, model, cfg, false).report
}

/// [`simulate`] of requests that reach the engine at their `arrival_s` but are timed from
/// `issued[i]` (a client or harness that holds a query before sending it on: MLPerf's loadgen
/// times a query from its issue, a batching harness forwards it later). TTFT, latency, queue
/// and goodput count from the issue; where `issued` is short or later than the arrival, from
/// the arrival.
#[must_use]
pub fn simulate_issued(
    reqs: &[Request],
    issued: &[f64],
    model: &dyn StepModel,
    cfg: &SimConfig,
) -> SimReport {
    let (window, cap) = cfg.measured_window(reqs.len());
    windowed(reqs, issued, model, cfg, window, cap)
}

/// [`simulate_issued`] whose latency statistics (TTFT, TPOT, latency, queue, goodput and
/// their distributions) are those of the requests in `window` (indices in arrival order)
/// alone, whatever `cfg.warmup` says: a steady-state run measures the requests that arrive
/// once the batch has filled (those before are warm-up) and keeps the load on with later
/// arrivals until they finish (those after). Throughput, occupancy and saturation stay those
/// of the whole run.
#[must_use]
pub fn simulate_window(
    reqs: &[Request],
    issued: &[f64],
    model: &dyn StepModel,
    cfg: &SimConfig,
    window: Range<usize>,
) -> SimReport {
    let share = reqs.len() as f64 / window.len().max(1) as f64;
    windowed(reqs, issued, model, cfg, window, share)
}

/// [`simulate_window`], goodput scaled from the measured requests to all by at most `cap`.
fn windowed(
    reqs: &[Request],
    issued: &[f64],
    model: &dyn StepModel,
    cfg: &SimConfig,
    window: Range<usize>,
    cap: f64,
) -> SimReport {
    let run = run(reqs, model, cfg, false);
    let timed: Vec<Request> = reqs
        .iter()
        .enumerate()
        .map(|(i, q)| Request { arrival_s: issued.get(i).map_or(q.arrival_s, |&t| t.min(q.arrival_s)), ..*q })
        .collect();
    let sum = summarise_range(&timed, &run.admitted, &run.first, &run.finish, &run.rejected, cfg, window);
    let mut r = run.report;
    // As `Summary::report` scales goodput from the measured share to all requests.
    let scale = (reqs.len() as f64 / sum.measured.max(1) as f64).min(cap);
    r.goodput_requests_per_s = sum.good as f64 / r.duration_s * scale;
    r.measured = sum.measured;
    r.ttft_s = sum.ttft;
    r.tpot_s = sum.tpot;
    r.e2e_s = sum.e2e;
    r.queue_s = sum.queue;
    r.goodput = sum.goodput;
    r.cdf = sum.cdf;
    r
}

/// A run's report and each request's times (NaN where it did not happen).
pub(crate) struct Run {
    pub(crate) report: SimReport,
    pub(crate) admitted: Vec<f64>,
    pub(crate) first: Vec<f64>,
    pub(crate) finish: Vec<f64>,
    pub(crate) rejected: Vec<bool>,
}

/// Latency statistics of the measured requests (after warm-up, in arrival order).
pub(crate) struct Summary {
    pub(crate) measured: usize,
    pub(crate) ttft: Latency,
    pub(crate) tpot: Latency,
    pub(crate) e2e: Latency,
    pub(crate) queue: Latency,
    /// Measured requests meeting the targets.
    pub(crate) good: usize,
    pub(crate) goodput: f64,
    /// First arrival to last completion, seconds.
    pub(crate) duration: f64,
    /// Mean latency over every completed request (warm-up included), for Little's law.
    pub(crate) mean_e2e_all: f64,
    pub(crate) cdf: Cdf,
    /// Rejected by admission control, all of the run.
    pub(crate) rejected: u64,
    pub(crate) classes: Vec<ClassReport>,
}

/// What a run measures besides the latency statistics.
pub(crate) struct Occupancy {
    pub(crate) mean_in_system: f64,
    pub(crate) littles_law_product: f64,
    pub(crate) preemptions: u64,
    pub(crate) swaps: u64,
    pub(crate) cached_prefix_tokens: u64,
    pub(crate) utilisation: f64,
    pub(crate) saturated: bool,
    pub(crate) series: Series,
}

impl Summary {
    /// The report: these statistics, throughput over `duration`, and `occ`.
    pub(crate) fn report(self, reqs: &[Request], cfg: &SimConfig, occ: Occupancy) -> SimReport {
        let n = reqs.len();
        let outputs: u64 = reqs.iter().map(|q| u64::from(q.output)).sum();
        // Goodput a second, scaled from the measured share to all requests.
        let scale = (n as f64 / self.measured.max(1) as f64).min(cfg.measured_window(n).1);
        SimReport {
            requests: n,
            measured: self.measured,
            duration_s: self.duration,
            ttft_s: self.ttft,
            tpot_s: self.tpot,
            e2e_s: self.e2e,
            queue_s: self.queue,
            throughput_requests_per_s: n as f64 / self.duration,
            output_tokens_per_s: outputs as f64 / self.duration,
            goodput: self.goodput,
            goodput_requests_per_s: self.good as f64 / self.duration * scale,
            mean_in_system: occ.mean_in_system,
            littles_law_product: occ.littles_law_product,
            preemptions: occ.preemptions,
            swaps: occ.swaps,
            rejected: self.rejected,
            classes: self.classes,
            cached_prefix_tokens: occ.cached_prefix_tokens,
            utilisation: occ.utilisation,
            saturated: occ.saturated,
            series: occ.series,
            cdf: self.cdf,
        }
    }
}

/// TTFT is `first − arrival`; TPOT is `(finish − first) / (output − 1)`; E2E `finish − arrival`;
/// goodput the share of measured (and rejected) requests within their class's targets.
pub(crate) fn summarise(
    reqs: &[Request],
    admitted: &[f64],
    first: &[f64],
    finish: &[f64],
    rejected: &[bool],
    cfg: &SimConfig,
) -> Summary {
    summarise_range(reqs, admitted, first, finish, rejected, cfg, cfg.measured_window(reqs.len()).0)
}

/// [`summarise`] of the requests in `window` (indices in arrival order) only.
fn summarise_range(
    reqs: &[Request],
    admitted: &[f64],
    first: &[f64],
    finish: &[f64],
    rejected: &[bool],
    cfg: &SimConfig,
    window: Range<usize>,
) -> Summary {
    let n = reqs.len();
    let t0 = reqs.first().map_or(0.0, |q| q.arrival_s);
    let (skip, stop) = (window.start.min(n), window.end.min(n));
    let measured: Vec<usize> = (skip..stop).filter(|&i| !finish[i].is_nan()).collect();
    let refused = (skip..stop).filter(|&i| rejected.get(i) == Some(&true)).count();
    let pick =
        |f: &dyn Fn(usize) -> Option<f64>| -> Vec<f64> { measured.iter().filter_map(|&i| f(i)).collect() };
    let tpot_of =
        |i: usize| (reqs[i].output > 1).then(|| (finish[i] - first[i]) / f64::from(reqs[i].output - 1));
    let class = |i: usize| class_index(reqs[i].class);
    let targets_of = |i: usize| cfg.class_targets[class(i)].or(cfg.targets);
    let meets = |i: usize| match targets_of(i) {
        Some((t_ttft, t_tpot)) => {
            first[i] - reqs[i].arrival_s <= t_ttft && tpot_of(i).unwrap_or(0.0) <= t_tpot
        }
        None => true,
    };
    let good = measured.iter().filter(|&&i| meets(i)).count();
    let end = finish.iter().copied().filter(|x| !x.is_nan()).fold(t0, f64::max);
    let all: Vec<f64> =
        (0..n).filter(|&i| !finish[i].is_nan()).map(|i| finish[i] - reqs[i].arrival_s).collect();
    // Sorted once each: the percentiles and the CDF both read the sorted samples.
    let sorted_in = |ids: &[usize], f: &dyn Fn(usize) -> Option<f64>| {
        let mut xs: Vec<f64> = ids.iter().filter_map(|&i| f(i)).collect();
        xs.sort_unstable_by(f64::total_cmp);
        xs
    };
    let sorted = |f: &dyn Fn(usize) -> Option<f64>| sorted_in(&measured, f);
    let (ttft, tpot, e2e) = (
        sorted(&|i| Some(first[i] - reqs[i].arrival_s)),
        sorted(&tpot_of),
        sorted(&|i| Some(finish[i] - reqs[i].arrival_s)),
    );
    let cdf = Cdf {
        quantiles: CDF_QUANTILES.to_vec(),
        ttft_s: quantiles_of_sorted(&ttft),
        tpot_s: quantiles_of_sorted(&tpot),
        e2e_s: quantiles_of_sorted(&e2e),
    };
    let top = (0..n).map(class).max().unwrap_or(0);
    let classes = if top == 0 {
        Vec::new()
    } else {
        (0..=top)
            .map(|c| {
                let of = |i: &usize| class(*i) == c;
                let mine: Vec<usize> = measured.iter().copied().filter(of).collect();
                let refused = (skip..stop).filter(of).filter(|&i| rejected.get(i) == Some(&true)).count();
                let latency_of = |f: &dyn Fn(usize) -> Option<f64>| latency_of_sorted(&sorted_in(&mine, f));
                let ok = mine.iter().filter(|&&i| meets(i)).count();
                let asked = mine.len() + refused;
                ClassReport {
                    class: c as u8,
                    requests: (0..n).filter(of).count(),
                    measured: mine.len(),
                    rejected: refused,
                    targets: cfg.class_targets[c].or(cfg.targets),
                    ttft_s: latency_of(&|i| Some(first[i] - reqs[i].arrival_s)),
                    tpot_s: latency_of(&tpot_of),
                    goodput: if asked == 0 { 0.0 } else { ok as f64 / asked as f64 },
                }
            })
            .collect()
    };
    let asked = measured.len() + refused;
    Summary {
        measured: measured.len(),
        ttft: latency_of_sorted(&ttft),
        tpot: latency_of_sorted(&tpot),
        e2e: latency_of_sorted(&e2e),
        queue: latency(pick(&|i| Some(admitted[i] - reqs[i].arrival_s))),
        good,
        goodput: if asked == 0 { 0.0 } else { good as f64 / asked as f64 },
        duration: (end - t0).max(1e-9),
        mean_e2e_all: all.iter().sum::<f64>() / all.len().max(1) as f64,
        cdf,
        rejected: rejected.iter().filter(|&&r| r).count() as u64,
        classes,
    }
}

/// The simulation; with `kv_ready` every prompt's KV cache is already in place on arrival
/// (the decode pool of a disaggregated deployment), so only the next token is computed.
pub(crate) fn run(reqs: &[Request], model: &dyn StepModel, cfg: &SimConfig, kv_ready: bool) -> Run {
    let n = reqs.len();
    let nan = f64::NAN;
    let mut st = State {
        reqs,
        cfg: *cfg,
        kv_cap: model.kv_tokens(),
        need: reqs.iter().map(|q| if kv_ready { q.input.min(1) } else { q.input }).collect(),
        prefilled: vec![0; n],
        produced: vec![0; n],
        join_step: vec![0; n],
        epoch: vec![0; n],
        held: vec![0; n],
        done: vec![false; n],
        admitted: vec![nan; n],
        first: vec![nan; n],
        finish: vec![nan; n],
        preemptions: 0,
        cached: 0,
        tau: model.tokens_per_step().clamp(1.0, 64.0),
        swapped: vec![0; n],
        swaps: 0,
        classed: reqs.iter().any(|q| q.class > 0),
    };
    let mut rejected = vec![false; n];
    let replicas = cfg.replicas.max(1) as usize;
    let mut reps: Vec<Rep> = (0..replicas).map(|_| Rep::default()).collect();
    let mut events: BinaryHeap<Reverse<(Time, usize)>> = BinaryHeap::new();
    let t0 = reqs.first().map_or(0.0, |q| q.arrival_s);
    let span = reqs.last().map_or(0.0, |q| q.arrival_s) - t0;
    let mut series = Series::new(t0, (span / 60.0).max(1e-3));
    let mut next = 0usize;
    let mut rr = 0usize;
    let (mut in_system, mut area, mut last_t) = (0usize, 0.0, t0);
    let mut completed = Vec::new();
    let marks = [n / 4, n / 2, 3 * n / 4, n.saturating_sub(1)];
    let mut waiting_at = [0usize; 4];
    // Least-outstanding routing reads the (outstanding, replica) minimum in O(log n); the
    // waiting total is kept as a running count, so no event walks the replicas.
    let least_outstanding = cfg.router == Router::LeastOutstanding;
    let mut by_load: BTreeSet<(usize, usize)> =
        if least_outstanding { (0..replicas).map(|i| (0, i)).collect() } else { BTreeSet::new() };
    let mut waiting_total = 0usize;
    // Applies `f` to replica `r`, keeping the routing index and the waiting total in step.
    let touch = |reps: &mut [Rep],
                 r: usize,
                 by_load: &mut BTreeSet<(usize, usize)>,
                 waiting_total: &mut usize,
                 f: &mut dyn FnMut(&mut Rep)| {
        let (load, waiting) = (reps[r].outstanding(), reps[r].waiting.len());
        f(&mut reps[r]);
        let (load_after, waiting_after) = (reps[r].outstanding(), reps[r].waiting.len());
        *waiting_total = *waiting_total + waiting_after - waiting;
        if least_outstanding && load_after != load {
            by_load.remove(&(load, r));
            by_load.insert((load_after, r));
        }
    };

    loop {
        let arrival = reqs.get(next).map(|q| q.arrival_s);
        let step = events.peek().map(|Reverse((t, _))| t.0);
        let (now, is_arrival) = match (arrival, step) {
            (None, None) => break,
            (Some(a), Some(s)) if s <= a => (s, false),
            (Some(a), _) => (a, true),
            (None, Some(s)) => (s, false),
        };
        area += in_system as f64 * (now - last_t);
        last_t = now;
        let r_idx = if is_arrival {
            let q = &reqs[next];
            let r = match cfg.router {
                Router::RoundRobin => {
                    rr = (rr + 1) % replicas;
                    rr
                }
                Router::LeastOutstanding => by_load.first().map_or(0, |&(_, i)| i),
                Router::PrefixAffinity => q.conversation as usize % replicas,
            };
            let id = next as u32;
            series.arrival(now);
            if cfg.max_queue > 0 && reps[r].waiting.len() + reps[r].prefilling.len() >= cfg.max_queue as usize
            {
                // Admission control turns it away; it never enters the system.
                rejected[next] = true;
                if let Some(k) = marks.iter().position(|&m| m == next) {
                    waiting_at[k] = waiting_total;
                }
                next += 1;
                continue;
            }
            let class = q.class;
            touch(&mut reps, r, &mut by_load, &mut waiting_total, &mut |p| p.waiting.push_back(id, class));
            in_system += 1;
            if let Some(k) = marks.iter().position(|&m| m == next) {
                waiting_at[k] = waiting_total;
            }
            series.queue(now, waiting_total);
            next += 1;
            if reps[r].busy {
                continue;
            }
            r
        } else {
            let Some(Reverse((_, r))) = events.pop() else { break };
            completed.clear();
            touch(&mut reps, r, &mut by_load, &mut waiting_total, &mut |p| {
                st.finish_step(p, now, &mut completed)
            });
            in_system -= completed.len();
            for &c in &completed {
                series.completion(now, reqs[c as usize].output);
            }
            reps[r].busy = false;
            r
        };
        let mut started = None;
        touch(&mut reps, r_idx, &mut by_load, &mut waiting_total, &mut |p| started = st.start(p, now, model));
        if let Some(dt) = started {
            reps[r_idx].busy = true;
            reps[r_idx].busy_s += dt;
            series.busy(now, dt);
            events.push(Reverse((Time(now + dt), r_idx)));
        }
    }

    let sum = summarise(reqs, &st.admitted, &st.first, &st.finish, &rejected, cfg);
    let rate = n as f64 / span.max(1e-9);
    let busy: f64 = reps.iter().map(|p| p.busy_s).sum();
    let saturated = n >= 100
        && waiting_at[3] as f64 > 1.5 * waiting_at[1] as f64 + 50.0
        && waiting_at[3] as f64 > 0.02 * n as f64;
    let occ = Occupancy {
        mean_in_system: area / (last_t - t0).max(1e-9),
        littles_law_product: (n as f64 / (last_t - t0).max(1e-9)) * sum.mean_e2e_all,
        preemptions: st.preemptions,
        swaps: st.swaps,
        cached_prefix_tokens: st.cached,
        utilisation: busy / (replicas as f64 * sum.duration),
        saturated: saturated
            || (rate > 0.0
                && st.finish.iter().zip(&rejected).any(|(x, &turned_away)| x.is_nan() && !turned_away)),
        series,
    };
    let report = sum.report(reqs, cfg, occ);
    Run { report, admitted: st.admitted, first: st.first, finish: st.finish, rejected }
}
