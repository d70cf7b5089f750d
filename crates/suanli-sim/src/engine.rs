//! The step-time model a simulated replica uses.

use suanli_core::infer::Replica;

/// What a replica's scheduler needs from the performance model.
pub trait StepModel {
    /// Seconds for a step with `decode` sequences at mean context `decode_ctx`, `prefill`
    /// prompt tokens attending `prefill_ctx` on average, and `logits` tokens sampled.
    fn step_s(&self, decode: f64, decode_ctx: f64, prefill: f64, prefill_ctx: f64, logits: f64) -> f64;
    /// Tokens the KV pool holds.
    fn kv_tokens(&self) -> u64;
}

impl StepModel for Replica {
    fn step_s(&self, decode: f64, decode_ctx: f64, prefill: f64, prefill_ctx: f64, logits: f64) -> f64 {
        self.step(decode, decode_ctx, prefill, prefill_ctx, logits).total_s
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
