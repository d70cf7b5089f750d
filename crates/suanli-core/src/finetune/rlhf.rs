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
        // Resharding the actor between the inference and training layouts: each GPU sends
        // and receives its share of the weights once each way.
        let bytes = 2.0 * 2.0 * spec.params().total / f64::from(job.gpus);
        phases.push(Phase {
            name: "reshard",
            seconds: bytes / (c.scale_up_bytes_per_s * 0.6),
            share: 0.0,
            flops: 0.0,
            gpus: job.gpus,
            detail: "actor weights moved between generation and training layouts".into(),
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
