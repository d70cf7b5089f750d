//! The step-time model a simulated replica uses.

use suanli_core::infer::Replica;

/// What a replica's scheduler needs from the performance model.
pub trait StepModel {
    /// Seconds for a step with `decode` sequences at mean context `decode_ctx`, `prefill`
    /// prompt tokens attending `prefill_ctx` on average, and `logits` tokens sampled.
    fn step_s(&self, decode: f64, decode_ctx: f64, prefill: f64, prefill_ctx: f64, logits: f64) -> f64;
    /// Tokens the KV pool holds.
    fn kv_tokens(&self) -> u64;
    /// Mean tokens a step emits per decoding sequence (speculative decoding's `τ`; 1 without).
    fn tokens_per_step(&self) -> f64 {
        1.0
    }
}

/// With `pp` stages a step is one round through the pipeline: the batch splits into `pp`
/// micro-batches, one per stage, and every sequence advances once a round — `pp` steps of a
/// stage at `1/pp` of the work each (the planner's `evaluate` makes the same assumption).
impl StepModel for Replica {
    fn step_s(&self, decode: f64, decode_ctx: f64, prefill: f64, prefill_ctx: f64, logits: f64) -> f64 {
        let pp = f64::from(self.config.pp.max(1));
        if pp <= 1.0 {
            return self.step(decode, decode_ctx, prefill, prefill_ctx, logits).total_s;
        }
        pp * self.step(decode / pp, decode_ctx, prefill / pp, prefill_ctx, logits / pp).total_s
    }

    fn tokens_per_step(&self) -> f64 {
        Replica::tokens_per_step(self)
    }

    fn kv_tokens(&self) -> u64 {
        self.memory.kv_tokens.max(0.0) as u64
    }
}

/// A step model with a fixed time per step (for checks against queueing theory).
#[derive(Debug, Clone, Copy)]
pub struct FixedStep {
    /// Seconds per step.
    pub seconds: f64,
    /// KV tokens.
    pub kv_tokens: u64,
}

impl StepModel for FixedStep {
    fn step_s(&self, _: f64, _: f64, _: f64, _: f64, _: f64) -> f64 {
        self.seconds
    }

    fn kv_tokens(&self) -> u64 {
        self.kv_tokens
    }
}

/// Which draft speculative decoding uses, before it is placed on a chip.
#[derive(Debug, Clone, PartialEq)]
pub enum DraftSpec {
    /// The model's multi-token-prediction module.
    Mtp,
    /// An EAGLE draft head.
    Eagle,
    /// A separate draft model.
    Model(Box<suanli_core::model::ModelSpec>),
}

/// Speculative decoding as requested: the draft, its length and the acceptance rate.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeculationSpec {
    /// The draft.
    pub draft: DraftSpec,
    /// Draft tokens per step.
    pub tokens: u32,
    /// Per-token acceptance rate.
    pub acceptance: f64,
}

impl SpeculationSpec {
    /// `r` (a replica of `target`) drafting with this speculation; a draft model is placed on
    /// the same chip with the same tensor- and pipeline-parallel degrees. `None` when the draft
    /// model cannot take that layout.
    #[must_use]
    pub fn apply(
        &self,
        target: &suanli_core::model::ModelSpec,
        r: Replica,
        engine: &suanli_core::infer::Engine,
        calib: &suanli_core::infer::InferCalibration,
    ) -> Option<Replica> {
        use suanli_core::infer::{Draft, InferConfig, Speculation};
        let draft = match &self.draft {
            DraftSpec::Mtp => Draft::block("mtp", target),
            DraftSpec::Eagle => Draft::block("eagle", target),
            DraftSpec::Model(m) => {
                let cfg = InferConfig { ep: 1, ..r.config };
                cfg.check(m, 1, 1, "speculative").ok()?;
                let d = Replica::new(m, r.cluster(), &cfg, engine, calib);
                Draft::Model { id: m.id.clone(), replica: Box::new(d) }
            }
        };
        Some(r.with_speculation(Speculation { draft, tokens: self.tokens, acceptance: self.acceptance }))
    }
}
