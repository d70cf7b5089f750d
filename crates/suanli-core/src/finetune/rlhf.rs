//! RLHF: PPO (Ouyang et al. 2022, arXiv:2203.02155) and GRPO (Shao et al. 2024,
//! arXiv:2402.03300), one iteration at a time.
//!
//! 1. **Generation**: the actor writes a response of `R` tokens to each of `P` prompts (GRPO:
//!    `G` responses each) — inference, timed by the inference planner as static batches on the
//!    generation GPUs, within the KV-cache limit.
//! 2. **Scoring**: forward passes of the reference and reward models (and the critic, PPO) over
//!    every prompt + response, at the training planner's achieved efficiency.
//! 3. **Training**: `E` PPO epochs over those tokens for the actor (and the critic, PPO), timed
//!    by the training planner's best layout on the training GPUs.
//!
//! Colocated placement runs the phases one after another on all GPUs (weights resharded
//! between them); separated placement gives the actor half the GPUs (three quarters for GRPO),
//! the critic a quarter and the frozen models the rest, so critic and actor train in parallel.

use serde::Serialize;

use crate::error::Error;
use crate::infer::{
    Engine, InferCalibration, InferConfig, Mode, Precisions, Replica, evaluate as infer_eval,
};
use crate::model::{ModelSpec, forward_flops_per_token};
use crate::precision::Precision;
use crate::train::{
    Calibration, Candidates, Cluster, Constraints, Objective, Prepared, Stack, Workload, search,
};

/// The algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RlAlgorithm {
    /// Actor, critic, reference and reward models.
    Ppo,
    /// No critic; a group of responses per prompt gives the baseline.
    Grpo,
}

/// Where the models run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// All models share all GPUs, phase by phase.
    Colocated,
    /// Each model on its own GPUs.
    Separated,
}

/// One RLHF iteration's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RlhfSpec {
    /// Algorithm.
    pub algorithm: RlAlgorithm,
    /// Prompts per iteration.
    pub prompts: u32,
    /// Prompt tokens.
    pub prompt_len: u32,
    /// Response tokens.
    pub response_len: u32,
    /// Responses per prompt (GRPO ≥ 2; PPO 1).
    pub group: u32,
    /// Passes over the iteration's data in training.
    pub ppo_epochs: u32,
    /// GPUs in all.
    pub gpus: u32,
    /// Placement.
    pub placement: Placement,
}

impl RlhfSpec {
    /// Tokens per sequence (prompt + response), `None` when the sum leaves `u32`.
    #[must_use]
    pub fn sequence_len(&self) -> Option<u32> {
        self.prompt_len.checked_add(self.response_len)
    }

    /// Sequences per iteration (prompts × the group for GRPO), `None` when the product
    /// leaves `u32`.
    #[must_use]
    pub fn sequences(&self) -> Option<u32> {
        let group = if self.algorithm == RlAlgorithm::Grpo { self.group.max(2) } else { 1 };
        self.prompts.checked_mul(group)
    }

    /// Checks the counts against each other and the model, with checked arithmetic.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the key and the accepted range.
    pub fn check(&self, spec: &ModelSpec, origin: &str) -> Result<(), Error> {
        for (key, v) in [
            ("prompts", self.prompts),
            ("prompt_len", self.prompt_len),
            ("response_len", self.response_len),
            ("gpus", self.gpus),
        ] {
            if v == 0 {
                return Err(Error::invalid(origin, key, v, "a positive integer"));
            }
        }
        match self.sequence_len() {
            Some(n) if n <= spec.max_context => {}
            _ => {
                return Err(Error::invalid(
                    origin,
                    "prompt_len + response_len",
                    format!("{} + {}", self.prompt_len, self.response_len),
                    format!("at most {}'s context of {}", spec.id, spec.max_context),
                ));
            }
        }
        if self.sequences().is_none() {
            return Err(Error::invalid(
                origin,
                "prompts",
                self.prompts,
                format!("prompts × group ({} × {}) at most {}", self.prompts, self.group, u32::MAX),
            ));
        }
        Ok(())
    }
}

/// One phase of an iteration.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// `generation`, `scoring`, `training`, `reshard`.
    pub name: &'static str,
    /// Seconds.
    pub seconds: f64,
    /// Share of the iteration.
    pub share: f64,
    /// FLOPs.
    pub flops: f64,
    /// GPUs it runs on.
    pub gpus: u32,
    /// How it is computed.
    pub detail: String,
}

/// An iteration planned.
#[derive(Debug, Clone, Serialize)]
pub struct RlhfPlan {
    /// Phases in order.
    pub phases: Vec<Phase>,
    /// Seconds per iteration.
    pub iteration_s: f64,
    /// FLOPs per iteration.
    pub flops: f64,
    /// The phase that takes longest.
    pub bound: &'static str,
    /// Memory per GPU in the training phase, GiB.
    pub memory_gib_per_gpu: f64,
    /// Whether the training phase fits.
    pub fits: bool,
}

fn split(gpus: u32, algorithm: RlAlgorithm, placement: Placement) -> (u32, u32, u32) {
    // (actor, critic, frozen models)
    match (placement, algorithm) {
        (Placement::Colocated, _) => (gpus, gpus, gpus),
        (Placement::Separated, RlAlgorithm::Ppo) => ((gpus / 2).max(1), (gpus / 4).max(1), (gpus / 4).max(1)),
        (Placement::Separated, RlAlgorithm::Grpo) => {
            (((u64::from(gpus) * 3 / 4) as u32).max(1), 0, (gpus / 4).max(1))
        }
    }
}

/// The training planner's fastest layout for `gpus` GPUs: its MFU, step and memory.
fn train_best(
    spec: &ModelSpec,
    c: &Cluster,
    gpus: u32,
    sequences: u32,
    seq: u32,
) -> Option<crate::train::Evaluation> {
    let w = Workload { global_batch: sequences.max(1), seq_len: seq, precision: Precision::Bf16 };
    let calib = Calibration::default();
    let p = Prepared::new(spec, c, &w, &calib, &Stack::MODERN);
    let cons =
        Constraints { gpus: Some(u64::from(gpus)), max_gpus: u64::from(gpus), ..Constraints::default() };
    let cands = Candidates::new(spec, &w, &cons, c.node_size);
    search(&p, &cands, Objective::Fastest).best
}

/// Plans one iteration. `None` when the actor fits neither for generation nor for training.
#[must_use]
pub fn plan_rlhf(spec: &ModelSpec, c: &Cluster, job: &RlhfSpec) -> Option<RlhfPlan> {
    let (actor_gpus, critic_gpus, frozen_gpus) = split(job.gpus, job.algorithm, job.placement);
    // Counts that leave u32 have no plan (`RlhfSpec::check` names them).
    let sequences = job.sequences()?;
    let (lp, r) = (f64::from(job.prompt_len), f64::from(job.response_len));
    let seq = job.sequence_len()?;
    let tokens = f64::from(sequences) * (lp + r);

    // Generation on the actor's GPUs.
    let engine = Engine::default();
    let icalib = InferCalibration::default();
    let prec = Precisions::uniform(Precision::Bf16);
    let (replica, tp) = (1..=c.node_size.min(actor_gpus))
        .filter(|t| c.node_size % t == 0 && actor_gpus % t == 0)
        .map(|tp| {
            (Replica::new(spec, c, &InferConfig { tp, pp: 1, ep: 1, precision: prec }, &engine, &icalib), tp)
        })
        .find(|(rep, tp)| rep.fits() && spec.heads % tp == 0 && rep.kv_capacity(lp + r) >= 1.0)?;
    let replicas = actor_gpus / tp;
    let per_replica = f64::from(sequences).div_euclid(f64::from(replicas)).max(1.0);
    let batch = per_replica.min(replica.kv_capacity(lp + r)).min(f64::from(engine.max_batch)).max(1.0);
    let rounds = (per_replica / batch).ceil();
    let round = infer_eval(&replica, job.prompt_len, job.response_len, Mode::Batch(batch as u32));
    let gen_s = rounds * round.e2e_s;
    let gen_flops = f64::from(sequences)
        * (lp * forward_flops_per_token(spec, lp / 2.0) + r * forward_flops_per_token(spec, lp + r / 2.0));

    // Training efficiency from the training planner.
    let actor_train = train_best(spec, c, actor_gpus, sequences, seq)?;
    let fwd = forward_flops_per_token(spec, f64::from(seq));
    let rate = |gpus: u32, mfu: f64| f64::from(gpus) * c.peak_flops * mfu;

    // Scoring.
    let scorers = if job.algorithm == RlAlgorithm::Ppo { 3.0 } else { 2.0 };
    let score_flops = scorers * tokens * fwd;
    let score_s = match job.placement {
        Placement::Colocated => score_flops / rate(job.gpus, actor_train.mfu),
        Placement::Separated => {
            let frozen = 2.0 * tokens * fwd / rate(frozen_gpus, actor_train.mfu);
            let critic =
                if critic_gpus > 0 { tokens * fwd / rate(critic_gpus, actor_train.mfu) } else { 0.0 };
            frozen.max(critic)
        }
    };

    // Training.
    let epochs = f64::from(job.ppo_epochs.max(1));
    let per_model = epochs * tokens * 3.0 * fwd;
    let trained = if job.algorithm == RlAlgorithm::Ppo { 2.0 } else { 1.0 };
    let (train_s, train_gpus) = match job.placement {
        Placement::Colocated => (trained * per_model / rate(job.gpus, actor_train.mfu), job.gpus),
        Placement::Separated => {
            let actor = per_model / rate(actor_gpus, actor_train.mfu);
            let critic = if job.algorithm == RlAlgorithm::Ppo {
                let ce = train_best(spec, c, critic_gpus, sequences, seq)?;
                per_model / rate(critic_gpus, ce.mfu)
            } else {
                0.0
            };
            (actor.max(critic), actor_gpus)
        }
    };
    let mut phases = vec![
        Phase {
            name: "generation",
            seconds: gen_s,
            share: 0.0,
            flops: gen_flops,
            gpus: actor_gpus,
            detail: format!(
                "{sequences} responses of {} tokens: {replicas} replicas of tp {tp}, static batches of {}, {rounds} rounds of {:.1} s ({} bound)",
                job.response_len, batch as u32, round.e2e_s, round.bound.decode
            ),
        },
        Phase {
            name: "scoring",
            seconds: score_s,
            share: 0.0,
            flops: score_flops,
            gpus: if job.placement == Placement::Colocated { job.gpus } else { frozen_gpus + critic_gpus },
            detail: format!(
                "{} forward passes over {:.3e} tokens at {:.0} % MFU",
                scorers,
                tokens,
                actor_train.mfu * 100.0
            ),
        },
        Phase {
            name: "training",
            seconds: train_s,
            share: 0.0,
            flops: trained * per_model,
            gpus: train_gpus,
            detail: format!(
                "{} model(s) × {} epoch(s) over {:.3e} tokens, tp {} × pp {} × dp {}, {:.0} % MFU",
                trained,
                epochs,
                tokens,
                actor_train.layout.tp,
                actor_train.layout.pp,
                actor_train.layout.dp,
                actor_train.mfu * 100.0
            ),
        },
    ];
    if job.placement == Placement::Colocated {
        // Resharding the actor from its training shards (ZeRO-3 over all GPUs) to the
        // generation layout: every GPU gathers its whole tensor-parallel shard of the bf16
        // weights, `2·P/tp` bytes, over the scale-up link (the replica sits in one server), and
        // each weight tensor costs the refit's host-side handling.
        let bytes = 2.0 * spec.params().total / f64::from(tp);
        let tensors = weight_tensors(spec);
        phases.push(Phase {
            name: "reshard",
            seconds: bytes / c.scale_up_bytes_per_s + tensors * REFIT_SECONDS_PER_TENSOR,
            share: 0.0,
            flops: 0.0,
            gpus: job.gpus,
            detail: format!(
                "actor weights gathered into the generation layout: {:.1} GB per GPU over the scale-up link, {tensors:.0} tensors",
                bytes / 1e9
            ),
        });
    }
    let total: f64 = phases.iter().map(|p| p.seconds).sum();
    for p in &mut phases {
        p.share = p.seconds / total;
    }
    let bound = phases.iter().max_by(|a, b| a.seconds.total_cmp(&b.seconds)).map_or("training", |p| p.name);
    // Memory in the training phase. Colocated: every model is sharded over all GPUs (ZeRO-3,
    // as colocated RLHF frameworks do): 16 bytes a parameter for each trained model, 2 for each
    // frozen one, plus the actor's activations. Separated: the actor's own training layout.
    let params = spec.params().total;
    let gib = 1024.0 * 1024.0 * 1024.0;
    let m = &actor_train.memory;
    let memory = match job.placement {
        Placement::Colocated => {
            let frozen = 2.0;
            (16.0 * trained + 2.0 * frozen) * params / f64::from(job.gpus) / gib
                + m.activations_gib
                + m.logits_gib
                + m.reserved_gib
        }
        Placement::Separated => m.total_gib,
    };
    Some(RlhfPlan {
        flops: phases.iter().map(|p| p.flops).sum(),
        phases,
        iteration_s: total,
        bound,
        memory_gib_per_gpu: memory,
        fits: memory <= c.memory_gib,
    })
}

// ---------------------------------------------------------------------------------------------
// One GRPO / DAPO step as NeMo-RL runs it, phase by phase at the speed of what each phase uses.
// ---------------------------------------------------------------------------------------------

/// One GRPO (or DAPO) step as NeMo-RL schedules it (NVIDIA-NeMo/RL `nemo_rl/algorithms/grpo.py`,
/// `grpo_train` and `async_grpo_train`): vLLM generates the rollouts, the policy computes the
/// previous and the reference log-probabilities (`get_logprobs`,
/// `get_reference_policy_logprobs`), Megatron-Core trains over the rollouts in optimizer steps of
/// `train_global_batch` sequences, and the new weights are refitted into vLLM
/// (`refit_policy_generation`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RlStepSpec {
    /// Sequences generated per step (prompts × generations per prompt).
    pub rollouts: u32,
    /// Prompt tokens of each rollout.
    pub prompt_len: u32,
    /// Mean response tokens.
    pub mean_response_len: f64,
    /// Longest response (vLLM's `max_model_len` less the prompt).
    pub max_response_len: u32,
    /// Sequences per optimizer step (`train_global_batch_size`).
    pub train_global_batch: u32,
    /// GPUs in all.
    pub gpus: u32,
    /// vLLM tensor-parallel size of a generation replica.
    pub generation_tp: u32,
    /// Generation shares the training GPUs (on-policy, `generation.colocated.enabled`); else it
    /// runs on `generation_gpus` of its own and overlaps the next step's generation with this
    /// step's training (`async_grpo`, 1-step off-policy).
    pub colocated: bool,
    /// GPUs running vLLM (all of them when colocated).
    pub generation_gpus: u32,
    /// Fraction of each GPU's memory vLLM may use (`vllm_cfg.gpu_memory_utilization`).
    pub generation_memory_fraction: f64,
    /// vLLM's weights and GEMMs (bf16 or fp8); the KV cache stays bf16 (`kv_cache_dtype: auto`).
    pub generation_precision: Precision,
    /// Most sequences a vLLM step runs (`max_num_seqs`).
    pub max_seqs: u32,
    /// Most tokens a vLLM step runs (`max_num_batched_tokens`).
    pub max_batched_tokens: u32,
    /// Prompts a step (`grpo.num_prompts_per_step`): the off-policy collector keeps this many
    /// prompt groups in flight ([`simulate_async_generation`]); unused when colocated.
    pub prompt_groups: u32,
}

/// vLLM's batch limits on GPUs of 70 GiB or more other than A100 (`vllm/engine/arg_utils.py`,
/// `EngineArgs.get_batch_defaults`, `UsageContext.LLM_CLASS`): 1,024 sequences, 16,384 tokens.
pub const VLLM_MAX_NUM_SEQS: u32 = 1024;
/// See [`VLLM_MAX_NUM_SEQS`].
pub const VLLM_MAX_BATCHED_TOKENS: u32 = 16384;

/// vLLM's batch limits for an engine built as `AsyncLLM.from_engine_args` builds it (vLLM
/// 0.11, the NeMo-RL rows' pin): its usage context (`UsageContext.ENGINE_CONTEXT`) has no
/// entry in `EngineArgs.get_batch_defaults`, so unset limits fall to `SchedulerConfig`'s own
/// defaults (`vllm/config/scheduler.py`, `__post_init__`): 128 sequences and, with chunked
/// prefill on, `DEFAULT_MAX_NUM_BATCHED_TOKENS` = 2,048 tokens a step. NeMo-RL's
/// `async_engine: true` generation takes this path (`vllm_worker_async.py`, `_create_engine`).
pub const VLLM_ENGINE_MAX_NUM_SEQS: u32 = 128;
/// See [`VLLM_ENGINE_MAX_NUM_SEQS`].
pub const VLLM_ENGINE_MAX_BATCHED_TOKENS: u32 = 2048;

/// One generation run of a replica, simulated step by step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GenerationRun {
    /// Seconds until the last response is done.
    pub seconds: f64,
    /// Decode steps.
    pub steps: u64,
    /// Most sequences decoding at once.
    pub peak_batch: u32,
    /// Sequences preempted (KV cache full, recomputed later as vLLM does).
    pub preemptions: u32,
    /// Longest response, tokens.
    pub longest: u32,
}

/// Response lengths of `n` rollouts with mean `mean` and cap `max`: the quantiles
/// `(i + ½)/n` of an exponential distribution clipped at the cap, whose scale μ solves
/// `μ·(1 − e^(−max/μ)) = mean` (the clipped mean). The exponential is the maximum-entropy law of
/// a positive length with a given mean; the clip is vLLM stopping at `max_model_len`, so a
/// share `e^(−max/μ)` of the responses is truncated. Returned in a fixed scrambled order (a
/// golden-ratio stride), as a shuffled dataset hands them to the engine.
#[must_use]
pub fn response_lengths(n: u32, mean: f64, max: u32) -> Vec<u32> {
    let n = n.max(1);
    let cap = f64::from(max.max(1));
    let mean = mean.clamp(1.0, cap);
    let clipped = |mu: f64| mu * (1.0 - (-cap / mu).exp());
    let (mut lo, mut hi) = (mean * 0.5, cap * 1e6);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if clipped(mid) < mean { lo = mid } else { hi = mid }
    }
    let mu = 0.5 * (lo + hi);
    let sorted: Vec<u32> = (0..n)
        .map(|i| {
            let q = (f64::from(i) + 0.5) / f64::from(n);
            ((-mu * (1.0 - q).ln()).ceil().clamp(1.0, cap)) as u32
        })
        .collect();
    // A stride coprime with n near n/φ visits every index once.
    let mut stride = ((f64::from(n) * 0.618_033_988_75).round() as u32).max(1);
    while gcd(stride, n) != 1 {
        stride += 1;
    }
    (0..n).map(|j| sorted[((u64::from(j) * u64::from(stride)) % u64::from(n)) as usize]).collect()
}

/// Host-side cost of a refit per weight tensor, seconds: NeMo-RL gathers each tensor from the
/// Megatron layout (a pipeline broadcast, tensor- and expert-parallel all-gathers: small
/// collectives launched from Python), renames and reshapes it to the Hugging Face layout, and
/// vLLM's `load_weights` copies it into its own (fused) parameter, one tensor at a time, so a
/// model of many small tensors (an MoE's experts) refits far slower than its bytes over the
/// link. NVIDIA-NeMo/RL PR #449 ("refit speedup", May 2025) measured 50 s for a ~30B MoE (about
/// 19,000 tensors, ~2.6 ms each) against 7 s for a dense ~30B model on 16 nodes; the rows'
/// releases (v0.4, v0.5) pack the tensors into shared buffers. Fitted on the 64 NeMo-RL GRPO
/// rows of `finetune.csv` with the refit's bytes ([`plan_rl_step`]), the colocated host
/// traffic and vLLM's engine limits in place, by the sum of median and p90 |error| over
/// 0.3–2 ms: 0.8 ms (59.5 %; 0.5 ms 61.3 %, 1.2 ms 67.2 %, 2 ms 88.1 %). Refitted with the
/// off-policy step as [`simulate_async_generation`] pipelines it and the colocated optimizer
/// offload at [`PAGEABLE_HOST_BYTES_PER_S`] (fitted in turn with this): still 0.8 ms (50.6 %;
/// 0.7 ms 51.2 %, 0.9 ms 51.6 %, 1.0 ms 54.2 %). The fit trades the async DeepSeek-V3 rows (too
/// long with a larger cost) against the colocated ones (too short with a smaller one).
pub const REFIT_SECONDS_PER_TENSOR: f64 = 0.8e-3;

/// Weight tensors of the model as a Hugging Face checkpoint names them, which is how a refit
/// hands them to vLLM (`load_weights`, one tensor at a time): per layer the attention
/// projections (4), the dense FFN's three or, in an MoE layer, three per routed and shared
/// expert and the router, and two norms; plus the embedding, the final norm and the output head
/// (Llama 3.1 8B: 32 × 9 + 3 = 291, its checkpoint's count; Qwen3's per-head q/k norms are
/// left out).
#[must_use]
pub fn weight_tensors(spec: &ModelSpec) -> f64 {
    let layers = f64::from(spec.layers);
    let per_layer = 4.0 + 2.0;
    match &spec.moe {
        Some(m) => {
            let moe_layers = f64::from(spec.layers - m.dense_layers);
            layers * per_layer
                + f64::from(m.dense_layers) * 3.0
                + moe_layers * (3.0 * f64::from(m.experts + m.shared) + 1.0)
                + 3.0
        }
        None => layers * (per_layer + 3.0) + 3.0,
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Continuous batching of `lengths` responses to `prompt`-token prompts on one replica, as
/// vLLM's scheduler runs them: it admits waiting sequences while the running ones number under
/// `max_seqs`, the step's prompt tokens stay within `max_tokens` and the paged KV cache holds
/// their current tokens; when the growing sequences overflow the cache it preempts the newest
/// (its KV freed, recomputed when readmitted). Each step takes the inference step model's time
/// ([`Replica::step`]) for the running batch at its mean context plus the admitted prompts. The
/// run ends when the longest response does: the long tail runs at a small batch.
///
/// # Errors
/// A message when the KV cache cannot hold one prompt and its response.
pub fn simulate_generation(
    replica: &Replica,
    prompt: u32,
    lengths: &[u32],
    max_seqs: u32,
    max_tokens: u32,
) -> Result<GenerationRun, String> {
    let p = f64::from(prompt);
    let cap = replica.memory.kv_tokens;
    let longest = lengths.iter().copied().max().unwrap_or(0);
    if cap < p + f64::from(longest) {
        return Err(format!(
            "the generation replica's KV cache ({cap:.0} tokens) cannot hold one {prompt}-token prompt and a {longest}-token response"
        ));
    }
    let mut e = VllmEngine { queue: (0..lengths.len()).collect(), ..VllmEngine::default() };
    let mut ended = Vec::new();
    let limits = (max_seqs.max(1) as usize, max_tokens);
    while !e.queue.is_empty() || !e.running.is_empty() {
        e.round(replica, (p, cap, 1.0), limits, |i| lengths[i].max(1), &mut ended)?;
        ended.clear();
    }
    Ok(GenerationRun { seconds: e.t, steps: e.steps, peak_batch: e.peak, preemptions: e.preempted, longest })
}

/// The simulated vLLM engine between scheduling rounds: the waiting sequences, the running
/// ones (sequence, tokens generated so far), the KV tokens in use, whether admission holds
/// after a preemption (until a response ends and frees its blocks), the clock and counters.
#[derive(Debug, Default)]
struct VllmEngine {
    queue: std::collections::VecDeque<usize>,
    running: Vec<(usize, u32)>,
    used: f64,
    hold: bool,
    t: f64,
    steps: u64,
    peak: u32,
    preempted: u32,
}

impl VllmEngine {
    /// One scheduling round of `r` replicas run as one engine (prompts of `p` tokens, a KV
    /// pool of `cap` tokens, `limits` = (sequences, tokens) a step): admission ([`admit`])
    /// unless a preemption holds it; if the pool cannot grow every running sequence by a
    /// token, the newest is preempted (its KV freed, recomputed when readmitted) and no time
    /// passes; else the admitted prompts' prefill and `k` decode steps at the batch's mean
    /// context ([`Replica::step`]), `k` the steps to the first response's end (`len`) or the
    /// pool's room, or one where the token budget cut admission short. The sequences that end
    /// are pushed onto `ended`.
    fn round(
        &mut self,
        replica: &Replica,
        (p, cap, r): (f64, f64, f64),
        limits: (usize, u32),
        len: impl Fn(usize) -> u32,
        ended: &mut Vec<usize>,
    ) -> Result<(), String> {
        let (admitted, budget_stop) = if self.hold {
            (0.0, false)
        } else {
            admit(&mut self.queue, &mut self.running, &mut self.used, (p, cap), limits)
        };
        if self.running.is_empty() {
            return Err("no sequence could be admitted to the generation replica".into());
        }
        let a = self.running.len() as f64;
        self.peak = self.peak.max(self.running.len() as u32);
        let to_end = self.running.iter().map(|&(i, done)| len(i) - done).min().unwrap_or(1);
        let room = ((cap - self.used) / a).floor();
        if room < 1.0 {
            let (i, done) = self.running.pop().expect("running is not empty when the cache is full");
            self.used -= p + f64::from(done);
            self.queue.push_front(i);
            self.preempted += 1;
            self.hold = true;
            return Ok(());
        }
        let k = if budget_stop { 1.0 } else { f64::from(to_end).min(room) };
        let ctx = p + self.running.iter().map(|&(_, done)| f64::from(done)).sum::<f64>() / a;
        if admitted > 0.0 {
            self.t += replica.step(0.0, 0.0, admitted / r, p / 2.0, admitted / p / r).total_s;
        }
        self.t += k * replica.step(a / r, ctx + k / 2.0, 0.0, 0.0, a / r).total_s;
        self.steps += k as u64;
        let k = k as u32;
        self.used += a * f64::from(k);
        let before = ended.len();
        let used = &mut self.used;
        self.running.retain_mut(|(i, done)| {
            *done += k;
            if *done >= len(*i) {
                *used -= p + f64::from(*done);
                ended.push(*i);
                false
            } else {
                true
            }
        });
        if ended.len() > before {
            self.hold = false;
        }
        Ok(())
    }
}

/// vLLM's admission for one step: queued sequences (prompts of `p` tokens) join the running
/// ones while a seat is free (`max_seqs`), the KV pool (`cap` tokens, `used` so far) holds the
/// prompt and one more token, and the step's token budget (`max_tokens`) holds the prompts
/// admitted so far; the first prompt is let in whatever the budget. Returns the prompt tokens
/// admitted and whether the budget stopped admission.
fn admit(
    queue: &mut std::collections::VecDeque<usize>,
    running: &mut Vec<(usize, u32)>,
    used: &mut f64,
    (p, cap): (f64, f64),
    (max_seqs, max_tokens): (usize, u32),
) -> (f64, bool) {
    let mut admitted = 0.0;
    while running.len() < max_seqs {
        let Some(&i) = queue.front() else { break };
        if *used + p + 1.0 > cap {
            break;
        }
        if admitted + p > f64::from(max_tokens) && admitted > 0.0 {
            return (admitted, true);
        }
        queue.pop_front();
        running.push((i, 0));
        *used += p;
        admitted += p;
    }
    (admitted, false)
}

/// The vLLM generation replica of an RL step: `generation_tp` GPUs at the recipe's memory
/// fraction (a tensor-parallel group wider than a server all-reduces at its NICs' rate), the
/// `VllmV1` stack's constants, bf16 KV. Returns it with the replica count and tp.
fn generation_replica(
    spec: &ModelSpec,
    cluster: &Cluster,
    job: &RlStepSpec,
) -> Result<(Replica, u32, u32), String> {
    let tp = job.generation_tp.max(1);
    if job.generation_gpus % tp != 0 || job.generation_gpus == 0 {
        return Err(format!("generation GPUs {} not a multiple of generation tp {tp}", job.generation_gpus));
    }
    let replicas = job.generation_gpus / tp;
    let mut gen_cluster = cluster.clone();
    gen_cluster.memory_gib = cluster.memory_gib * job.generation_memory_fraction;
    if tp > cluster.node_size {
        // A tensor-parallel group spanning servers all-reduces at the speed of its slowest
        // hop: each GPU's NIC (the ring or tree crosses servers once per step of the ring).
        gen_cluster.scale_up_bytes_per_s = cluster.scale_out_bytes_per_s.min(cluster.scale_up_bytes_per_s);
    }
    let engine = Engine {
        max_batch: job.max_seqs,
        max_tokens: job.max_batched_tokens,
        kv_memory_fraction: 1.0,
        max_new_tokens: None,
    };
    let icalib = crate::infer::Stack::VllmV1.calibration(&InferCalibration::default());
    let prec = Precisions {
        weights: job.generation_precision,
        activations: job.generation_precision,
        kv: Precision::Bf16,
    };
    let cfg = InferConfig { tp, pp: 1, ep: 1, precision: prec };
    cfg.check(spec, job.prompt_len, job.max_response_len.max(1), "generation").map_err(|e| e.to_string())?;
    let replica = Replica::new(spec, &gen_cluster, &cfg, &engine, &icalib);
    if !replica.fits() {
        return Err(format!(
            "generation tp {tp}: the weights leave no KV cache in {:.0} % of {:.0} GiB",
            job.generation_memory_fraction * 100.0,
            cluster.memory_gib
        ));
    }
    Ok((replica, replicas, tp))
}

/// The steady state of NeMo-RL's 1-step off-policy step (NVIDIA-NeMo/RL
/// `nemo_rl/algorithms/async_utils.py`, `AsyncTrajectoryCollector`, and `async_grpo_train` at
/// the rows' commits), simulated on the generation replicas:
///
/// - the collector keeps at most `num_prompts_per_step × max_trajectory_age_steps` prompt groups
///   in flight (`_inflight_sema`, age 1 in the recipes), one thread per group that returns when
///   every generation of the group has ended, and lets the next group in as one ends, so the
///   engine does not drain between steps: the next step's groups take the seats the finished
///   ones leave;
/// - with weights of version `w` it generates only for training step `w + 1`
///   (`_calculate_target_weights`): a step's groups wait for the refit that ends the training
///   step two before it (the first two steps' groups start at once, as at start-up);
/// - the training loop takes step `s` when all its groups have ended and the previous step's
///   log-probs, training and refit are done, then spends `train_s` on log-probs and training and
///   `refit_s` on the refit; in-flight weight updates (`in_flight_weight_updates`) do not drain
///   the engine first, but the update runs inside vLLM's engine loop (`collective_rpc`), which
///   steps no sequence while it loads: the engine stands still for `refit_s`.
///
/// Each sample goes to the replicas round-robin (`_async_generate_base`), so the `replicas`
/// identical replicas are simulated as one engine with `replicas` times the seats, token budget
/// and KV blocks, each step at one replica's step time for `1/replicas` of the batch; a group
/// ends when its slowest sample does. `lengths` are one step's responses in the order they are
/// sent, cut into `groups` prompt groups of consecutive sequences. Five steps are simulated with
/// [`simulate_generation`]'s scheduler (admission by seats, token budget and KV blocks;
/// preemption as there); `seconds` is the training loop's period between its last two steps.
///
/// # Errors
/// A message when the KV cache cannot hold one prompt and its response.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
pub fn simulate_async_generation(
    replica: &Replica,
    prompt: u32,
    lengths: &[u32],
    groups: u32,
    replicas: u32,
    limits: (u32, u32),
    train_s: f64,
    refit_s: f64,
) -> Result<GenerationRun, String> {
    const STEPS: usize = 5;
    let p = f64::from(prompt);
    let r = f64::from(replicas.max(1));
    let one_cap = replica.memory.kv_tokens;
    let cap = one_cap * r;
    let (max_seqs, max_tokens) =
        (limits.0.saturating_mul(replicas.max(1)), limits.1.saturating_mul(replicas.max(1)));
    let longest = lengths.iter().copied().max().unwrap_or(0);
    if one_cap < p + f64::from(longest) {
        return Err(format!(
            "the generation replica's KV cache ({one_cap:.0} tokens) cannot hold one {prompt}-token prompt and a {longest}-token response"
        ));
    }
    let n = lengths.len();
    if n == 0 {
        return Ok(GenerationRun {
            seconds: train_s + refit_s,
            steps: 0,
            peak_batch: 0,
            preemptions: 0,
            longest: 0,
        });
    }
    let g = (groups.max(1) as usize).min(n);
    let total_groups = g * STEPS;
    let mut remaining = vec![0usize; total_groups];
    for s in 0..STEPS {
        for i in 0..n {
            remaining[s * g + s_group(i, n, g)] += 1;
        }
    }
    // When step s's refit ends, once its training has started.
    let refit_end = |start: Option<f64>| start.map(|x| x + train_s + refit_s);
    let len = |k: usize| lengths[k % n].max(1);
    let mut e = VllmEngine { queue: (0..n).collect(), ..VllmEngine::default() };
    let mut ended = Vec::new();
    // Groups allowed in but not yet let in: the semaphore's free seats.
    let (mut seats, mut next_group) = (0usize, g);
    let mut groups_left = [g; STEPS];
    // Step ends (all groups done), training starts and refit windows, as they become known.
    let mut step_end: Vec<Option<f64>> = vec![None; STEPS];
    let mut train_start: Vec<Option<f64>> = vec![None; STEPS];
    let mut stalled = [false; STEPS];
    let limits = (max_seqs.max(1) as usize, max_tokens);
    loop {
        // The training loop: step s starts when its groups are done and step s - 1's refit is.
        for s in 0..STEPS {
            if train_start[s].is_none()
                && let Some(end) = step_end[s]
            {
                let free = if s == 0 { Some(0.0) } else { refit_end(train_start[s - 1]) };
                if let Some(free) = free {
                    train_start[s] = Some(end.max(free));
                }
            }
        }
        // The engine stands still while a refit loads (once per refit, when the clock reaches it).
        for s in 0..STEPS {
            if let Some(ts) = train_start[s]
                && !stalled[s]
                && e.t >= ts + train_s
            {
                e.t = e.t.max(ts + train_s + refit_s);
                stalled[s] = true;
            }
        }
        // Let groups in while there are seats and their weights exist.
        while seats > 0 && next_group < total_groups {
            let step = next_group / g;
            let gate = if step < 2 { Some(0.0) } else { refit_end(train_start[step - 2]) };
            match gate {
                Some(at) if at <= e.t => {
                    let ng = next_group % g;
                    // Group ng holds the sequences i with ⌊i·g/n⌋ = ng.
                    let (from, to) = ((ng * n).div_ceil(g), ((ng + 1) * n).div_ceil(g));
                    e.queue.extend((from..to).map(|j| step * n + j));
                    next_group += 1;
                    seats -= 1;
                }
                _ => break,
            }
        }
        if e.queue.is_empty() && e.running.is_empty() {
            if next_group >= total_groups {
                break;
            }
            // Idle until the gating refit ends.
            let step = next_group / g;
            match refit_end(train_start[step - 2]) {
                Some(x) => {
                    e.t = e.t.max(x);
                    continue;
                }
                None => return Err("the off-policy pipeline stalled".into()),
            }
        }
        e.round(replica, (p, cap, r), limits, len, &mut ended)?;
        for i in ended.drain(..) {
            let s = i / n;
            let gi = s * g + s_group(i, n, g);
            remaining[gi] -= 1;
            if remaining[gi] == 0 {
                groups_left[s] -= 1;
                if groups_left[s] == 0 {
                    step_end[s] = Some(e.t);
                }
                seats += 1;
            }
        }
    }
    let (Some(a), Some(b)) = (train_start[STEPS - 2], train_start[STEPS - 1]) else {
        return Err("the off-policy pipeline did not finish".into());
    };
    Ok(GenerationRun {
        seconds: b - a,
        steps: e.steps / STEPS as u64,
        peak_batch: (f64::from(e.peak) / r).ceil() as u32,
        preemptions: e.preempted / STEPS as u32,
        longest,
    })
}

/// The group of sequence `i` (numbered across steps) among `g` groups of `n` sequences a step.
fn s_group(i: usize, n: usize, g: usize) -> usize {
    (i % n) * g / n
}

/// A refit's cost: seconds, the bytes each generation GPU receives, and the path they take.
struct Refit {
    seconds: f64,
    bytes: f64,
    path: &'static str,
}

/// The refit of one step (NVIDIA-NeMo/RL `refit_policy_generation` at the rows' commits). The
/// policy exports its weights through Megatron-Bridge (`export_hf_weights`, which hands every
/// training rank each full Hugging Face tensor in the training dtype, bf16) and vLLM loads them
/// one tensor at a time (`load_weights`; FP8 generation casts them there), so both paths pay
/// `per_tensor` for each of the model's [`weight_tensors`], and the bytes are the whole model
/// in bf16, `2·P`, whatever the generation precision or tensor parallelism:
///
/// - colocated (`stream_weights_via_ipc_zmq`): each GPU packs the tensors into a CUDA-IPC
///   buffer and its vLLM worker copies them into its parameters, two copies in HBM (a read and
///   a write each): `4·2P ÷ HBM bandwidth`;
/// - separate generation GPUs (`broadcast_weights_for_collective`,
///   `packed_broadcast_producer`): training rank 0 broadcasts the packed tensors to every
///   generation GPU with NCCL, a pipelined broadcast whose rings cross servers on every NIC of
///   the source's server at once and which the source feeds over its scale-up link:
///   `2P ÷ min(scale-up, GPUs a server × scale-out)`.
fn refit_seconds(
    spec: &ModelSpec,
    cluster: &Cluster,
    job: &RlStepSpec,
    tensors: f64,
    per_tensor: f64,
) -> Refit {
    let bytes = 2.0 * spec.params().total;
    let (link_s, path) = if job.colocated {
        (4.0 * bytes / cluster.hbm_bytes_per_s, "copied through a CUDA-IPC buffer on each GPU")
    } else {
        let nics = f64::from(cluster.node_size) * cluster.scale_out_bytes_per_s;
        (bytes / cluster.scale_up_bytes_per_s.min(nics), "broadcast from one training GPU over NCCL")
    };
    Refit { seconds: link_s + tensors * per_tensor, bytes, path }
}

/// Host-memory traffic of a colocated step, per GPU.
#[derive(Default)]
struct Switch {
    seconds: f64,
    bytes: f64,
}

/// A colocated step hands each GPU back and forth between the policy and vLLM through host
/// memory (NVIDIA-NeMo/RL `grpo_train` and `megatron_policy_worker.py` at the rows' commits):
///
/// - `offload_before_refit` frees the gradient buffers (Megatron-Core's
///   `_ParamAndGradBuffer.offload_to_cpu` resizes their storage to 0: nothing is copied; they come
///   back zeroed) and moves the optimizer states to the host, `offload_after_refit` the weights
///   (into a pinned buffer kept from step to step); vLLM sleeps after generating
///   (`sleep(level=1)`: its weights copied to pinned host memory, the KV cache dropped) and wakes
///   before the next refit; `prepare_for_lp_inference` and `prepare_for_training` bring the
///   weights and the optimizer states back. Weights cross the host link twice a step:
///   `2·(vLLM weights a GPU + policy weights a GPU) ÷ host bandwidth`.
/// - The optimizer states go another way (`move_optimizer`: `state[k] = v.to("cpu")`, then
///   `v.to("cuda")`, tensor by tensor): into freshly allocated pageable host memory and back out
///   of it, through the driver's staging buffers, at [`PAGEABLE_HOST_BYTES_PER_S`]. They are the
///   Adam moments `exp_avg` and `exp_avg_sq` (the optimizer's `state`; the fp32 main weights
///   are its parameters and stay): 8 of the 12 bytes a parameter shard the training planner
///   counts as optimizer state.
fn colocated_switch(
    spec: &ModelSpec,
    cluster: &Cluster,
    train: &crate::train::Evaluation,
    job: &RlStepSpec,
) -> Switch {
    let gib = 1024.0 * 1024.0 * 1024.0;
    let vllm = spec.params().total * job.generation_precision.bytes() / f64::from(job.generation_tp.max(1));
    let m = &train.memory;
    let pinned = 2.0 * (vllm + m.weights_gib * gib);
    let moments = 2.0 * m.optimizer_gib * gib * ADAM_MOMENT_SHARE;
    Switch {
        seconds: pinned / cluster.host_bytes_per_s + moments / PAGEABLE_HOST_BYTES_PER_S,
        bytes: pinned + moments,
    }
}

/// The share of the training planner's optimizer state (12 bytes a parameter shard: fp32 main
/// weight, `exp_avg`, `exp_avg_sq`) that NeMo-RL's `move_optimizer` moves: the two moments.
const ADAM_MOMENT_SHARE: f64 = 8.0 / 12.0;

/// Rate of a GPU's copies into and out of freshly allocated pageable host memory, bytes/s: the
/// colocated step's optimizer offload (`Tensor.to("cpu")` allocates new pageable memory every
/// step, glibc hands such large blocks back to the kernel when they are freed, so each step's
/// copy faults its pages in again, and a pageable copy is staged through the driver's pinned
/// buffers and a CPU memcpy, all eight GPUs of a server doing it at once); pinned transfers run
/// at the host link's rate instead. First-touch page faults alone hold a thread to a few GB/s
/// (a 4 KiB page zeroed and mapped per fault). Fitted on the 30 colocated NeMo-RL GRPO rows
/// (the only ones it touches; grid 0.4-3 GB/s, scored by their median + p90 |error|),
/// alternating with [`REFIT_SECONDS_PER_TENSOR`] fitted on all 64 until neither moved: 0.75 GB/s
/// (colocated 8.8 % / 27.7 %; 0.5 GB/s 12.1 / 26.7, 1 GB/s 8.4 / 28.5, 1.5 GB/s 9.5 / 30.6,
/// 3 GB/s 12.8 / 34.6; without this term 15.9 / 31.7). That is the low end of what pageable
/// copies reach, so it likely also holds the switch's other host-side work that is not modelled
/// one by one: the `gc.collect()` and `torch.cuda.empty_cache()` around every offload and
/// vLLM's wake-up remapping its memory.
pub const PAGEABLE_HOST_BYTES_PER_S: f64 = 0.75e9;

/// One RL step planned.
#[derive(Debug, Clone, Serialize)]
pub struct RlStepPlan {
    /// Phases: `generation`, `logprobs`, `training`, `refit`.
    pub phases: Vec<Phase>,
    /// Seconds per step.
    pub step_s: f64,
    /// Rollout tokens (prompt + response) a second per GPU.
    pub tokens_per_s_per_gpu: f64,
    /// Colocated, one generation replica's run; off-policy, the pipeline's steady state
    /// ([`simulate_async_generation`]: `seconds` is the training loop's period, the batch a
    /// replica's).
    pub generation: GenerationRun,
}

/// Plans one NeMo-RL GRPO/DAPO step from the training planner's evaluation of one optimizer
/// step (`train`, `train_global_batch` sequences at the mean rollout length on the training
/// GPUs):
///
/// - **generation**: colocated, [`simulate_generation`] on one of the `generation_gpus ÷ tp`
///   identical vLLM replicas, its share of the rollouts; off-policy, the collector's steady
///   state ([`simulate_async_generation`], `prompt_groups` groups in flight); in both, vLLM's
///   memory limited to `generation_memory_fraction` of each GPU, each step at the step model's
///   time with vLLM V1's host costs (`infer::Stack::VllmV1`); a replica wider than a server all-reduces over
///   the NICs.
/// - **logprobs**: two forward passes (previous policy and reference) over every rollout token
///   at the training step's model-FLOP rate (4/3 of it where the training step recomputes
///   every layer, which a forward pass does not), plus the reference weights swapped in and
///   out over the host link.
/// - **training**: `rollouts ÷ train_global_batch` optimizer steps.
/// - **refit**: the whole model in bf16 exported and loaded, over the path the placement uses,
///   plus [`REFIT_SECONDS_PER_TENSOR`] for each of the model's [`weight_tensors`]
///   (`refit_seconds`).
/// - **switch** (colocated only): the policy's and vLLM's state moved to host memory and back
///   each step (`colocated_switch`).
///
/// Colocated the phases run one after another. Off-policy the step is the training loop's
/// period in [`simulate_async_generation`]'s pipeline over all the generation replicas (at least
/// the longer of a step's generation and its log-probs + training, plus the refit, during which
/// the engine stands still); the generation phase is that period less the refit.
///
/// # Errors
/// A message when the generation replica does not fit or the layout is inconsistent.
pub fn plan_rl_step(
    spec: &ModelSpec,
    cluster: &Cluster,
    train: &crate::train::Evaluation,
    job: &RlStepSpec,
) -> Result<RlStepPlan, String> {
    let (replica, replicas, tp) = generation_replica(spec, cluster, job)?;
    let per_replica = job.rollouts.div_ceil(replicas);
    let lengths = response_lengths(per_replica, job.mean_response_len, job.max_response_len);
    // Colocated, each step's rollouts start on an empty engine and the step waits for the
    // longest; off-policy the collector feeds the engine without draining it between steps
    // and the step lasts as long as the engine takes to finish a step's groups in steady state.
    let mut one = if job.colocated {
        simulate_generation(&replica, job.prompt_len, &lengths, job.max_seqs, job.max_batched_tokens)?
    } else {
        GenerationRun { seconds: 0.0, steps: 0, peak_batch: 0, preemptions: 0, longest: 0 }
    };
    let mut gen_s = one.seconds;

    let mean_len = f64::from(job.prompt_len) + job.mean_response_len;
    let tokens = f64::from(job.rollouts) * mean_len;
    let train_gpus = train.gpus as f64;
    let fwd = forward_flops_per_token(spec, mean_len);
    let logprob_flops = 2.0 * tokens * fwd;
    // The training step's model-FLOP rate counts forward + backward (3 forward passes' worth);
    // with full recompute the GPUs also rerun each forward (4 passes' worth of time), which a
    // log-prob pass does not: it runs at 4/3 of that rate.
    let no_recompute = if train.layout.recompute == crate::train::Recompute::Full { 4.0 / 3.0 } else { 1.0 };
    // The reference log-probs swap the reference weights in (`use_reference_model`: the
    // policy's state dict copied to host memory, the reference's loaded from it, the policy's
    // loaded back): three copies of the weights a GPU over the host link.
    let gib = 1024.0 * 1024.0 * 1024.0;
    let swap_s = 3.0 * train.memory.weights_gib * gib / cluster.host_bytes_per_s;
    let logprob_s = logprob_flops / (train_gpus * cluster.peak_flops * train.mfu * no_recompute) + swap_s;
    let opt_steps = f64::from(job.rollouts) / f64::from(job.train_global_batch.max(1));
    let train_s = opt_steps * train.step_time_s;

    let tensors = weight_tensors(spec);
    let per_tensor = REFIT_SECONDS_PER_TENSOR;
    let refit = refit_seconds(spec, cluster, job, tensors, per_tensor);
    let refit_s = refit.seconds;
    // Colocated, the policy and vLLM hand the GPU to each other over the host link every step.
    let switch = if job.colocated { colocated_switch(spec, cluster, train, job) } else { Switch::default() };

    // Off-policy: the training loop's period from the pipeline simulated over the replicas
    // (the step's generation, its wait for weights and the engine's stall during each refit);
    // the generation phase is what of it the training side does not cover.
    let step_s = if job.colocated {
        gen_s + logprob_s + train_s + refit_s + switch.seconds
    } else {
        let all = response_lengths(job.rollouts, job.mean_response_len, job.max_response_len);
        one = simulate_async_generation(
            &replica,
            job.prompt_len,
            &all,
            job.prompt_groups,
            replicas,
            (job.max_seqs, job.max_batched_tokens),
            logprob_s + train_s,
            refit_s,
        )?;
        gen_s = one.seconds - refit_s;
        one.seconds
    };
    let gen_gpus = job.generation_gpus;
    let tgpus = train.gpus as u32;
    let mut phases = vec![
        Phase {
            name: "generation",
            seconds: gen_s,
            share: 0.0,
            flops: 0.0,
            gpus: gen_gpus,
            detail: format!(
                "{} rollouts on {replicas} vLLM replicas of tp {tp}: {per_replica} each, prompt {} + mean {:.0} (max {}) response tokens, {} steps, peak batch {}, {} preemptions, longest {}",
                job.rollouts,
                job.prompt_len,
                job.mean_response_len,
                job.max_response_len,
                one.steps,
                one.peak_batch,
                one.preemptions,
                one.longest
            ),
        },
        Phase {
            name: "logprobs",
            seconds: logprob_s,
            share: 0.0,
            flops: logprob_flops,
            gpus: tgpus,
            detail: format!(
                "2 forward passes over {tokens:.3e} tokens at {:.0} % MFU, reference weights swapped in and out over the host link ({swap_s:.1} s)",
                train.mfu * no_recompute * 100.0
            ),
        },
        Phase {
            name: "training",
            seconds: train_s,
            share: 0.0,
            flops: 3.0 * tokens * fwd,
            gpus: tgpus,
            detail: format!(
                "{opt_steps:.1} optimizer steps of {:.1} s (tp {} pp {} dp {} cp {} ep {})",
                train.step_time_s,
                train.layout.tp,
                train.layout.pp,
                train.layout.dp,
                train.layout.cp,
                train.layout.ep
            ),
        },
        Phase {
            name: "refit",
            seconds: refit_s,
            share: 0.0,
            flops: 0.0,
            gpus: gen_gpus,
            detail: format!(
                "{:.1} GB of bf16 weights {}; {tensors:.0} tensors at {:.2} ms each",
                refit.bytes / 1e9,
                refit.path,
                per_tensor * 1e3
            ),
        },
    ];
    if job.colocated {
        phases.push(Phase {
            name: "switch",
            seconds: switch.seconds,
            share: 0.0,
            flops: 0.0,
            gpus: gen_gpus,
            detail: format!(
                "{:.1} GB per GPU to host memory and back: vLLM's and the policy's weights through pinned memory over the host link, the Adam moments through fresh pageable memory at {:.2} GB/s; gradient buffers freed, not copied",
                switch.bytes / 1e9,
                PAGEABLE_HOST_BYTES_PER_S / 1e9
            ),
        });
    }
    for p in &mut phases {
        p.share = p.seconds / step_s;
    }
    Ok(RlStepPlan {
        phases,
        step_s,
        tokens_per_s_per_gpu: tokens / step_s / f64::from(job.gpus),
        generation: one,
    })
}
