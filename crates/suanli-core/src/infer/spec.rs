//! Speculative decoding: a cheap draft proposes `k` tokens per sequence, the target verifies
//! them (and samples one more) in one step of `k + 1` query tokens per sequence.
//!
//! With a per-token acceptance rate `α` (each draft token accepted independently, Leviathan
//! et al. 2023, "Fast Inference from Transformers via Speculative Decoding", eq. 1), a verify
//! step emits `τ = (1 − α^(k+1)) ÷ (1 − α)` tokens per sequence on average (`k + 1` when
//! `α = 1`). The step costs the target's roofline at `k + 1` query tokens per sequence (the
//! weights and each sequence's KV cache read once, the GEMM rows and attention FLOPs
//! `k + 1`-fold) plus `k` autoregressive draft forwards at the running batch.
//!
//! Drafts and their defaults (the acceptance rate is an input; these are the published
//! measurements it defaults to):
//! - `mtp` — the model's own multi-token-prediction module (one transformer block and the
//!   shared output head), `k = 1`, `α = 0.85`: DeepSeek-V3 Technical Report (arXiv
//!   2412.19437), §5.4.3: "the acceptance rate of the second token prediction ranges between
//!   85 % and 90 %" (1.8× tokens/s).
//! - `eagle` — a one-block feature-level draft head over the target's output head, `k = 4`,
//!   `α = 0.75` (chain drafting): EAGLE (Li et al., ICML 2024, arXiv 2401.15077) measures
//!   per-position acceptance rates of about 0.7–0.8 on MT-bench and average acceptance lengths
//!   of 3.5–4 with its tree; a chain of 4 at 0.75 gives τ = 3.05. EAGLE-2/3 trees reach 4–6.
//! - `draft:<model id>` — a separate small model on the same GPUs, `k = 4`, `α = 0.6`:
//!   Leviathan et al. 2023 (Table 3) measure α from about 0.5 to 0.9 across draft/target
//!   pairs and tasks; 0.6 is a conservative mid value for a same-family 1B–8B draft.
//!
//! Memory: the draft's weights come out of the KV pool and its KV cache (one block for
//! `mtp`/`eagle`, the whole draft model for `draft:`) is added per token.

use serde::Serialize;

use super::step::Replica;
use crate::model::ModelSpec;

/// The draft that proposes tokens.
#[derive(Debug, Clone)]
pub enum Draft {
    /// A block of the target's own shape (MTP module, EAGLE head): its forward costs
    /// `fraction` of a target decode step at the same batch.
    Block {
        /// `mtp` or `eagle`.
        method: &'static str,
        /// Draft forward ÷ target forward (one block plus the output head over the model's
        /// active parameters).
        fraction: f64,
    },
    /// A separate draft model on the replica's GPUs (same tensor-parallel layout).
    Model {
        /// The draft model's id.
        id: String,
        /// The draft prepared on the same chip and layout.
        replica: Box<Replica>,
    },
}

/// Speculative decoding on a replica.
#[derive(Debug, Clone)]
pub struct Speculation {
    /// The draft.
    pub draft: Draft,
    /// Draft tokens proposed per sequence per step (`k`).
    pub tokens: u32,
    /// Probability each draft token is accepted (`α`), in [0, 1].
    pub acceptance: f64,
}

/// A speculation's summary for reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeculationRef {
    /// `mtp`, `eagle` or `draft:<model id>`.
    pub method: String,
    /// Draft tokens per step.
    pub draft_tokens: u32,
    /// Per-token acceptance rate.
    pub acceptance: f64,
    /// Mean tokens a verify step emits per sequence, `(1 − α^(k+1)) ÷ (1 − α)`.
    pub tokens_per_step: f64,
}

/// Default draft length and acceptance rate of a method (see the module documentation for
/// the sources): `mtp` 1 and 0.85, `eagle` 4 and 0.75, a draft model 4 and 0.6.
#[must_use]
pub fn defaults(method: &str) -> (u32, f64) {
    match method {
        "mtp" => (1, 0.85),
        "eagle" => (4, 0.75),
        _ => (4, 0.6),
    }
}

/// Mean tokens emitted per verify step: `(1 − α^(k+1)) ÷ (1 − α)`.
#[must_use]
pub fn tokens_per_step(k: u32, alpha: f64) -> f64 {
    let a = alpha.clamp(0.0, 1.0);
    let k1 = f64::from(k) + 1.0;
    if (1.0 - a).abs() < 1e-12 { k1 } else { (1.0 - a.powf(k1)) / (1.0 - a) }
}

impl Draft {
    /// A block of `spec`'s own shape (`mtp`, `eagle`): one layer's share of the active body
    /// plus the output head, over the active parameters.
    #[must_use]
    pub fn block(method: &'static str, spec: &ModelSpec) -> Draft {
        let active = spec.params().active_matmul(spec);
        let head = f64::from(spec.vocab) * f64::from(spec.hidden);
        let layer = (active - head).max(0.0) / f64::from(spec.layers.max(1));
        Draft::Block { method, fraction: ((layer + head) / active.max(1.0)).clamp(0.0, 1.0) }
    }
}

impl Speculation {
    /// Mean tokens emitted per sequence per step.
    #[must_use]
    pub fn tokens_per_step(&self) -> f64 {
        tokens_per_step(self.tokens, self.acceptance)
    }

    /// `mtp`, `eagle` or `draft:<id>`.
    #[must_use]
    pub fn method(&self) -> String {
        match &self.draft {
            Draft::Block { method, .. } => (*method).to_string(),
            Draft::Model { id, .. } => format!("draft:{id}"),
        }
    }

    /// The summary for reports.
    #[must_use]
    pub fn summary(&self) -> SpeculationRef {
        SpeculationRef {
            method: self.method(),
            draft_tokens: self.tokens,
            acceptance: self.acceptance,
            tokens_per_step: self.tokens_per_step(),
        }
    }
}
