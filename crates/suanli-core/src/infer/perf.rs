//! Throughput and latency of a replica under a load.
//!
//! Continuous batching in steady state: `b` sequences cycle through prefill (TTFT) and `O − 1`
//! decode steps (TPOT each); while one decodes, the others' prompts are prefilled alongside,
//! `(b − 1)·I/O` tokens a step on average, in chunks that fill the step's token budget, so a
//! TPOT is the mean of decode-only steps and full-chunk steps (`decode_step`). Output tokens/s = `b·O ÷ (TTFT + (O−1)·TPOT)`. `b` is capped by the engine's sequence cap, by its token budget
//! (`b ≤ max_tokens ÷ (1 + I/O)`) and by the KV pool (each sequence reserves `I + O` tokens, or `I` plus
//! the engine's `max_new_tokens` when that is larger, as TensorRT-LLM's default
//! guaranteed-no-evict scheduler does). With `pp` stages the batch
//! splits into `pp` micro-batches in flight, one per stage.

use serde::Serialize;

use super::config::Mode;
use super::step::{Replica, StepTime};

/// What bounds each phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Bound {
    /// A full prefill step: `compute`, `memory` or `network`.
    pub prefill: &'static str,
    /// A decode step at the running batch.
    pub decode: &'static str,
}

/// A replica's performance under a load.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InferResult {
    /// Whether weights and workspace leave room for the KV cache of at least one request.
    pub fits: bool,
    /// Most sequences the replica runs at once for these lengths.
    pub max_batch: u32,
    /// What sets `max_batch`: `max_batch`, `max_tokens` or `kv_cache`.
    pub max_batch_limited_by: &'static str,
    /// Sequences running.
    pub batch: u32,
    /// Time to first token, seconds.
    pub ttft_s: f64,
    /// Time per output token after the first, seconds.
    pub tpot_s: f64,
    /// Request latency, seconds.
    pub e2e_s: f64,
    /// Output tokens a second, whole replica.
    pub output_tokens_per_s: f64,
    /// Output tokens a second per GPU.
    pub output_tokens_per_s_per_gpu: f64,
    /// Prompt and output tokens a second, whole replica.
    pub total_tokens_per_s: f64,
    /// Bound per phase.
    pub bound: Bound,
    /// The decode-side step (steady state), slowest stage: the mean over decode-only steps and
    /// steps that carry a prompt chunk, each part the mean of its own (`decode_step`).
    pub step: StepTime,
}

/// Evaluates `input`/`output`-token requests on a replica under `mode`.
#[must_use]
pub fn evaluate(r: &Replica, input: u32, output: u32, mode: Mode) -> InferResult {
    let (i, o) = (f64::from(input), f64::from(output));
    let pp = f64::from(r.config.pp);
    let gpus = r.config.gpus() as f64;
    let engine = &r.engine;
    // Speculation emits τ tokens a step and holds k draft slots per sequence.
    let tau = r.tokens_per_step();
    let slots = r.speculation.as_ref().map_or(0.0, |s| f64::from(s.tokens));
    let reserve = engine.max_new_tokens.map_or(o, |m| f64::from(m).max(o)) + slots;
    let kv_cap = r.kv_capacity(i + reserve);
    // Each attention data-parallel group schedules its own batch under the engine's limits.
    let groups = f64::from(r.config.dp_attention());
    let tok_cap = (f64::from(engine.max_tokens) / (1.0 + slots + i * tau / o)).floor().max(1.0) * groups;
    let seq_cap = f64::from(engine.max_batch) * groups;
    let max_batch = kv_cap.min(tok_cap).min(seq_cap).max(0.0);
    let limited_by = if max_batch == kv_cap {
        "kv_cache"
    } else if max_batch == tok_cap {
        "max_tokens"
    } else {
        "max_batch"
    };
    let budget = f64::from(engine.max_tokens);
    let prefill_step = r.step(0.0, 0.0, budget.min(i).max(1.0), i / 2.0, 1.0);

    let (batch, ttft, tpot, step) = match mode {
        Mode::MaxLoad | Mode::Concurrency(_) => {
            let wanted = match mode {
                Mode::Concurrency(c) => f64::from(c),
                _ => max_batch,
            };
            let b = wanted.min(max_batch).max(1.0);
            // While a request decodes, the other b − 1 cycle through prefill: (b − 1)·I/O prompt
            // tokens a step on average. Its own prefill runs in chunks of what the budget
            // leaves after the decode tokens, alongside the others' work.
            let others = (b - 1.0) * i / o * tau;
            let per = |x: f64| x / pp;
            let step = decode_step(r, (b, pp), (i, o), others, room(budget, b, slots, groups));
            let tpot = pp * step.total_s / tau;
            // The token budget is each attention group's; the running batch spreads over them.
            let chunk = (budget - (b - 1.0) / groups).max(1.0).min(i);
            let chunks = (i / chunk).ceil();
            let first = r.step(per(b - 1.0), i + o / 2.0, per(others + chunk), i / 2.0, per(b + others / i));
            let mut ttft = chunks * pp * first.total_s;
            if wanted > b {
                // Requests beyond the running batch wait for whole requests to finish.
                ttft += (wanted / b - 1.0) * (ttft + (o - 1.0) * tpot);
            }
            (b, ttft, tpot, step)
        }
        Mode::Batch(n) => {
            let b = f64::from(n).max(1.0);
            let chunks = (b * i / budget).ceil().max(1.0);
            let chunk = b * i / chunks;
            let pre = r.step(0.0, 0.0, chunk / 1.0, i / 2.0, b / chunks);
            let ttft = (chunks + pp - 1.0) * pre.total_s;
            let step = r.step(b / pp, i + o / 2.0, 0.0, 0.0, b / pp);
            (b, ttft, pp * step.total_s / tau, step)
        }
    };
    let e2e = ttft + (o - 1.0) * tpot;
    // Each running sequence completes a request every TTFT + (O − 1)·TPOT.
    let cycle = match mode {
        Mode::Concurrency(c) if f64::from(c) > batch => e2e / (f64::from(c) / batch),
        _ => e2e,
    };
    let (out_rate, total_rate) = (batch * o / cycle, batch * (i + o) / cycle);
    let fits = r.fits() && kv_cap >= 1.0 && (!matches!(mode, Mode::Batch(_)) || batch <= kv_cap);
    InferResult {
        fits,
        max_batch: max_batch as u32,
        max_batch_limited_by: limited_by,
        batch: batch as u32,
        ttft_s: ttft,
        tpot_s: tpot,
        e2e_s: e2e,
        output_tokens_per_s: out_rate,
        output_tokens_per_s_per_gpu: out_rate / gpus,
        total_tokens_per_s: total_rate,
        bound: Bound {
            prefill: prefill_step.bound(),
            decode: r.step(batch / pp, i + o / 2.0, 0.0, 0.0, batch / pp).bound(),
        },
        step,
    }
}

/// Prompt tokens a step holds besides `b` running sequences' decode tokens (each with its
/// `slots` draft tokens): what the token budget leaves in each of the `groups` attention
/// groups, all groups together.
fn room(budget: f64, b: f64, slots: f64, groups: f64) -> f64 {
    (budget - b * (1.0 + slots) / groups).max(1.0) * groups
}

/// The mean step a decoding sequence meets while the `b − 1` others cycle through their
/// `i`-token prompts, `others` prompt tokens a step on average (`(b − 1)·I/O·τ`), over `pp`
/// micro-batches in flight.
///
/// The scheduler fills a step's token budget with prompt chunks (TensorRT-LLM's
/// `max_num_tokens` with chunked context, Sarathi-Serve's stall-free batching, Agrawal et al.
/// 2024, arXiv:2403.02310): a waiting prompt takes all of the `room` the decodes leave, so a
/// share `f = others ÷ room` of steps carries a full chunk and the rest decode only, and the
/// mean step is `(1 − f)·S(b, 0) + f·S(b, room)`. A chunk's compute does not hide under a
/// decode-only step's weight and KV reads, as it would if the same tokens were spread over
/// every step; with `others ≥ room` every step is full.
fn decode_step(r: &Replica, (b, pp): (f64, f64), (i, o): (f64, f64), others: f64, room: f64) -> StepTime {
    let ctx = i + o / 2.0;
    let step = |prefill: f64| r.step(b / pp, ctx, prefill / pp, i / 2.0, (b + prefill / i) / pp);
    if others <= 0.0 || others >= room {
        return step(others);
    }
    StepTime::mix(&step(0.0), &step(room), others / room)
}
