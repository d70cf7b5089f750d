//! A parallel layout and the workload it runs, with the divisibility rules.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::ModelSpec;
use crate::precision::Precision;

/// Activation recomputation (Korthikanti et al. 2022, section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recompute {
    /// Keep every activation, attention scores included.
    None,
    /// Recompute the attention core (scores, softmax, dropout) in the backward pass; memory as
    /// with FlashAttention.
    Selective,
    /// Keep only each layer's input and recompute the whole layer forward.
    Full,
}

impl Recompute {
    /// Every option, cheapest memory last.
    pub const ALL: [Recompute; 3] = [Recompute::None, Recompute::Selective, Recompute::Full];

    /// Lowercase name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Recompute::None => "none",
            Recompute::Selective => "selective",
            Recompute::Full => "full",
        }
    }
}

/// The training job: batch, sequence and precision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workload {
    /// Sequences per optimizer step.
    pub global_batch: u32,
    /// Tokens per sequence.
    pub seq_len: u32,
    /// Precision of the matrix multiplications (bf16, fp16 or fp8).
    pub precision: Precision,
}

/// One way to split a model over GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Layout {
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Data-parallel replicas.
    pub dp: u32,
    /// Expert-parallel degree (MoE; divides dp·cp).
    pub ep: u32,
    /// Context-parallel degree (splits each sequence).
    pub cp: u32,
    /// Virtual pipeline stages per GPU (interleaved 1F1B; 1 = plain 1F1B).
    pub vp: u32,
    /// Sequences per micro-batch.
    pub micro_batch: u32,
    /// Activation recomputation.
    pub recompute: Recompute,
    /// ZeRO stage: 0 none, 1 optimizer states, 2 + gradients, 3 + weights sharded over dp.
    pub zero: u8,
}

impl Layout {
    /// GPUs the layout occupies: tp·pp·dp·cp (`u64::MAX` when that overflows).
    #[must_use]
    pub fn gpus(&self) -> u64 {
        // Saturating: four u32 degrees can exceed u64 (a layout that large fails `check`).
        (u64::from(self.tp) * u64::from(self.pp)).saturating_mul(u64::from(self.dp) * u64::from(self.cp))
    }

    /// Micro-batches each pipeline runs per step: global batch ÷ (dp · micro-batch).
    #[must_use]
    pub fn micro_batches(&self, w: &Workload) -> u32 {
        let per_step = u64::from(self.dp) * u64::from(self.micro_batch);
        u64::from(w.global_batch).checked_div(per_step).map_or(0, |m| m as u32)
    }

    /// Whether the layout obeys the scheduling rules the enumeration does not guarantee by
    /// construction: interleaving needs the micro-batches to be a multiple of pp, and ZeRO-2/3
    /// do not combine with pipeline parallelism.
    #[must_use]
    pub fn schedulable(&self, w: &Workload) -> bool {
        (self.vp == 1 || self.micro_batches(w).checked_rem(self.pp) == Some(0))
            && (self.zero < 2 || self.pp == 1)
    }

    /// Checks every divisibility rule; the error names the violated constraint.
    ///
    /// # Errors
    /// [`Error::InvalidValue`] with the flag, its value and the rule.
    pub fn check(&self, m: &ModelSpec, w: &Workload, origin: &str) -> Result<(), Error> {
        let bad = |key: &str, v: u32, rule: String| Err(Error::invalid(origin, key, v, rule));
        for (key, v) in [
            ("tp", self.tp),
            ("pp", self.pp),
            ("dp", self.dp),
            ("ep", self.ep),
            ("cp", self.cp),
            ("vp", self.vp),
            ("micro_batch", self.micro_batch),
        ] {
            if v == 0 {
                return bad(key, v, "a positive integer".into());
            }
        }
        if m.heads % self.tp != 0 {
            return bad("tp", self.tp, format!("a divisor of the attention heads ({})", m.heads));
        }
        if m.layers % self.pp != 0 {
            return bad("pp", self.pp, format!("a divisor of the layers ({})", m.layers));
        }
        if self.vp > 1
            && (self.pp == 1 || u64::from(m.layers) % (u64::from(self.pp) * u64::from(self.vp)) != 0)
        {
            return bad(
                "vp",
                self.vp,
                format!("1, or with pp > 1 a divisor of layers ÷ pp ({} ÷ {})", m.layers, self.pp),
            );
        }
        if w.seq_len % self.cp != 0 {
            return bad("cp", self.cp, format!("a divisor of the sequence length ({})", w.seq_len));
        }
        let ep_ok = match &m.moe {
            Some(moe) => {
                moe.experts % self.ep == 0
                    && (u64::from(self.dp) * u64::from(self.cp)) % u64::from(self.ep) == 0
            }
            None => self.ep == 1,
        };
        if !ep_ok {
            let rule = match &m.moe {
                Some(moe) => format!(
                    "a divisor of both the experts ({}) and dp·cp ({})",
                    moe.experts,
                    u64::from(self.dp) * u64::from(self.cp)
                ),
                None => "1 for a dense model".to_string(),
            };
            return bad("ep", self.ep, rule);
        }
        if self.gpus() > crate::train::MAX_LAYOUT_GPUS {
            return Err(Error::invalid(
                origin,
                "gpus",
                self.gpus(),
                format!("at most {} GPUs (tp·pp·dp·cp)", crate::train::MAX_LAYOUT_GPUS),
            ));
        }
        if self.zero > 3 {
            return Err(Error::invalid(origin, "zero", self.zero, "0, 1, 2 or 3"));
        }
        if u64::from(w.global_batch) % (u64::from(self.dp) * u64::from(self.micro_batch)) != 0 {
            return bad(
                "global_batch",
                w.global_batch,
                format!("a multiple of dp × micro_batch ({} × {})", self.dp, self.micro_batch),
            );
        }
        let m = self.micro_batches(w);
        if self.vp > 1 && m % self.pp != 0 {
            return bad(
                "vp",
                self.vp,
                format!(
                    "1 unless the micro-batches per step ({m}) are a multiple of pp ({}) (interleaved 1F1B)",
                    self.pp
                ),
            );
        }
        if self.zero >= 2 && self.pp > 1 {
            return Err(Error::invalid(
                origin,
                "zero",
                self.zero,
                "0 or 1 with pipeline parallelism (sharded gradients and weights do not combine with pp > 1)",
            ));
        }
        Ok(())
    }
}
