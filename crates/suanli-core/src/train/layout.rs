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
    /// Layers of the first pipeline stage (which also embeds); 0 with `last_stage_layers` 0:
    /// an even split (Megatron-Core's `decoder_first_pipeline_num_layers`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub first_stage_layers: u32,
    /// Layers of the last pipeline stage (which also computes the logits and the loss); 0 with
    /// `first_stage_layers` 0: an even split.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_stage_layers: u32,
    /// Expert tensor-parallel degree (Megatron-Core's `expert_tensor_parallel_size`): each
    /// expert split this many ways, the expert-parallel group of `ep × etp` GPUs drawn from
    /// the tp·dp·cp ranks, so ep need not divide dp·cp. 0: the same as tp (experts split like
    /// the dense layers, ep over dp·cp).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub etp: u32,
    /// Hybrid sharding (HSDP, with ZeRO-3): the model state sharded over the data-parallel
    /// ranks inside one server only and replicated across servers, the gradient shards then
    /// all-reduced across them. False: sharded over every dp·cp rank (FSDP).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hsdp: bool,
    /// Uneven micro-batches over the data-parallel replicas (metaseq / FSDP style): the
    /// global batch's `global_batch ÷ micro_batch` micro-batches are dealt round-robin, so
    /// some replicas run one more than the others and the step waits for the slowest, which
    /// runs ⌈global_batch ÷ (micro_batch · dp)⌉ of them (`micro_batches`). Needs
    /// `micro_batch` to divide the batch, every replica at least one micro-batch, and plain
    /// 1F1B (vp 1). False: Megatron's rule, dp × micro_batch divides the global batch.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uneven_batch: bool,
    /// Layers of each pipeline stage whose activations are offloaded to host memory
    /// (Megatron-Core's `cpu_offloading_num_layers`, activations only): copied to the host
    /// during the layer's forward pass and back before its backward pass over the GPU's host
    /// link ([`super::Cluster::host_bytes_per_s`]: NVLink-C2C on Grace superchips, PCIe
    /// elsewhere), overlapped with compute, so they hold no GPU memory between the passes.
    /// Fewer than the stage's layers; needs plain 1F1B (vp 1). 0: none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub offload_layers: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(v: &u32) -> bool {
    *v == 0
}

/// The uneven split Megatron-Core's `account_for_embedding_in_pipeline_split` and
/// `account_for_loss_in_pipeline_split` give when `pp` does not divide the layers: the
/// embedding and the loss each count as a layer, the middle stages take
/// `q = ⌈(layers + 2) ÷ pp⌉` layers and the first and last share the rest (the first the
/// larger half: the last also computes the logits). `Some((0, 0))` when `pp` divides the
/// layers (even split); `None` when no split leaves every stage a layer.
#[must_use]
pub fn uneven_split(layers: u32, pp: u32) -> Option<(u32, u32)> {
    if pp == 0 || pp > layers {
        return None;
    }
    if layers % pp == 0 {
        return Some((0, 0));
    }
    if pp == 2 {
        return Some((layers - layers / 2, layers / 2));
    }
    let q = (u64::from(layers) + 2).div_ceil(u64::from(pp));
    let rest = i64::from(layers) - (i64::from(pp) - 2) * q as i64;
    if rest < 2 {
        return None;
    }
    let rest = rest as u32;
    Some((rest - rest / 2, rest / 2))
}

impl Layout {
    /// A tp × pp × dp layout with nothing else split: no expert, context or virtual-pipeline
    /// parallelism, even stages, activations kept on the GPU.
    #[must_use]
    pub fn model_and_data_parallel(
        tp: u32,
        pp: u32,
        dp: u32,
        micro_batch: u32,
        recompute: Recompute,
        zero: u8,
    ) -> Layout {
        Layout {
            tp,
            pp,
            dp,
            ep: 1,
            cp: 1,
            vp: 1,
            micro_batch,
            recompute,
            zero,
            first_stage_layers: 0,
            last_stage_layers: 0,
            etp: 0,
            hsdp: false,
            uneven_batch: false,
            offload_layers: 0,
        }
    }

    /// GPUs the layout occupies: tp·pp·dp·cp (`u64::MAX` when that overflows).
    #[must_use]
    pub fn gpus(&self) -> u64 {
        // Saturating: four u32 degrees can exceed u64 (a layout that large fails `check`).
        (u64::from(self.tp) * u64::from(self.pp)).saturating_mul(u64::from(self.dp) * u64::from(self.cp))
    }

    /// Layers of the (first, each middle, last) pipeline stage for a model of `layers` layers
    /// (an even split unless `first_stage_layers`/`last_stage_layers` are set; with pp 1 the one
    /// stage is all three). Middle is 0 when pp ≤ 2.
    #[must_use]
    pub fn stage_layers(&self, layers: u32) -> (u32, u32, u32) {
        let pp = self.pp.max(1);
        if self.first_stage_layers == 0 && self.last_stage_layers == 0 {
            let each = layers / pp;
            return (each, if pp > 2 { each } else { 0 }, each);
        }
        let ends = self.first_stage_layers.saturating_add(self.last_stage_layers);
        let middle = if pp > 2 { layers.saturating_sub(ends) / (pp - 2) } else { 0 };
        (self.first_stage_layers, middle, self.last_stage_layers)
    }

    /// The expert tensor-parallel degree in force (`etp`, or tp when 0).
    #[must_use]
    pub fn expert_tp(&self) -> u32 {
        if self.etp == 0 { self.tp } else { self.etp }
    }

    /// Whether the stages are split unevenly.
    #[must_use]
    pub fn uneven(&self) -> bool {
        self.first_stage_layers != 0 || self.last_stage_layers != 0
    }

    /// Micro-batches each pipeline runs per step: global batch ÷ (dp · micro-batch); with
    /// `uneven_batch`, the slowest replica's ⌈(global batch ÷ micro-batch) ÷ dp⌉.
    #[must_use]
    pub fn micro_batches(&self, w: &Workload) -> u32 {
        let batch = u64::from(w.global_batch);
        let m = if self.uneven_batch {
            batch.checked_div(u64::from(self.micro_batch)).and_then(|n| {
                let dp = u64::from(self.dp);
                (dp > 0).then(|| n.div_ceil(dp))
            })
        } else {
            batch.checked_div(u64::from(self.dp) * u64::from(self.micro_batch))
        };
        m.map_or(0, |m| u32::try_from(m).unwrap_or(u32::MAX))
    }

    /// Whether the layout obeys the scheduling rules the enumeration does not guarantee by
    /// construction: interleaving needs the micro-batches to be a multiple of pp, and ZeRO-2/3
    /// do not combine with pipeline parallelism.
    #[must_use]
    pub fn schedulable(&self, w: &Workload) -> bool {
        (self.vp == 1 || (!self.uneven_batch && self.micro_batches(w).checked_rem(self.pp) == Some(0)))
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
        check_stages(self, m.layers, origin)?;
        if self.offload_layers > 0 {
            let (f, mid, la) = self.stage_layers(m.layers);
            let layers = [f, mid, la].into_iter().filter(|&n| n > 0).min().unwrap_or(0);
            if self.vp > 1 || self.offload_layers >= layers {
                return bad(
                    "offload_layers",
                    self.offload_layers,
                    format!(
                        "fewer than the layers of a pipeline stage ({layers}), with vp 1 (Megatron-Core offloads whole layers of one model chunk)"
                    ),
                );
            }
        }
        if w.seq_len % self.cp != 0 {
            return bad("cp", self.cp, format!("a divisor of the sequence length ({})", w.seq_len));
        }
        // The expert-parallel group (ep × etp GPUs) tiles the tp·dp·cp ranks of a stage.
        let ranks = u64::from(self.tp) * u64::from(self.dp) * u64::from(self.cp);
        let expert_group = u64::from(self.ep) * u64::from(self.expert_tp());
        let ep_ok = match &m.moe {
            Some(moe) => moe.experts % self.ep == 0 && expert_group > 0 && ranks % expert_group == 0,
            None => self.ep == 1 && self.etp <= 1,
        };
        if !ep_ok {
            let rule = match &m.moe {
                Some(moe) => format!(
                    "a divisor of the experts ({}) with ep × etp ({} × {}) dividing tp·dp·cp ({ranks})",
                    moe.experts,
                    self.ep,
                    self.expert_tp()
                ),
                None => "1 for a dense model (and etp 0 or 1)".to_string(),
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
        check_batch(self, w, origin)?;
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
        if self.hsdp && self.zero != 3 {
            return Err(Error::invalid(origin, "zero", self.zero, "3 with hybrid sharding (hsdp)"));
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

/// The global-batch rule: dp × micro_batch divides the batch (Megatron), or with
/// `uneven_batch` the micro-batch divides it and every replica gets at least one, under
/// plain 1F1B.
fn check_batch(l: &Layout, w: &Workload, origin: &str) -> Result<(), Error> {
    let (batch, dp, mb) = (u64::from(w.global_batch), u64::from(l.dp), u64::from(l.micro_batch));
    if !l.uneven_batch {
        if batch % (dp * mb) != 0 {
            return Err(Error::invalid(
                origin,
                "global_batch",
                w.global_batch,
                format!(
                    "a multiple of dp × micro_batch ({} × {}), or uneven_batch where the engine deals micro-batches unevenly over the replicas (metaseq, FSDP)",
                    l.dp, l.micro_batch
                ),
            ));
        }
        return Ok(());
    }
    if batch % mb != 0 || batch < dp * mb {
        return Err(Error::invalid(
            origin,
            "global_batch",
            w.global_batch,
            format!(
                "with uneven_batch, a multiple of micro_batch ({}) and at least dp × micro_batch ({} × {}), one micro-batch a replica",
                l.micro_batch, l.dp, l.micro_batch
            ),
        ));
    }
    if l.vp > 1 {
        return Err(Error::invalid(
            origin,
            "vp",
            l.vp,
            "1 with uneven_batch (interleaved 1F1B needs every replica's micro-batches a multiple of pp)",
        ));
    }
    Ok(())
}

/// The pipeline-split rules: an even split needs pp to divide the layers; an uneven one gives
/// every stage at least a layer, the middle stages an equal share, and pp ≥ 2; interleaving
/// needs each stage's layers divisible by vp.
///
/// # Errors
/// [`Error::InvalidValue`] naming `pp`, `first_stage_layers`, `last_stage_layers` or `vp`.
pub fn check_stages(l: &Layout, layers: u32, origin: &str) -> Result<(), Error> {
    let (first, last, pp) = (l.first_stage_layers, l.last_stage_layers, l.pp);
    if !l.uneven() {
        if layers % pp != 0 {
            let hint = uneven_split(layers, pp).map_or(String::new(), |(f, la)| {
                format!(", or uneven stages (e.g. first_stage_layers {f}, last_stage_layers {la})")
            });
            return Err(Error::invalid(
                origin,
                "pp",
                pp,
                format!("a divisor of the layers ({layers}){hint}"),
            ));
        }
    } else {
        if pp < 2 {
            return Err(Error::invalid(
                origin,
                "first_stage_layers",
                first,
                "left out with pp 1 (uneven stages need pp ≥ 2)",
            ));
        }
        let ends = u64::from(first) + u64::from(last);
        let rest = u64::from(layers).saturating_sub(ends);
        let ok = first >= 1
            && last >= 1
            && ends <= u64::from(layers)
            && if pp == 2 { rest == 0 } else { rest >= u64::from(pp - 2) && rest % u64::from(pp - 2) == 0 };
        if !ok {
            let rule = if pp == 2 {
                format!(
                    "with last_stage_layers ({last}) summing to the layers ({layers}) over pp 2, each ≥ 1"
                )
            } else {
                format!(
                    "≥ 1, leaving the other {} stages an equal share (≥ 1 each) of the {layers} layers (last_stage_layers {last})",
                    pp - 2
                )
            };
            return Err(Error::invalid(origin, "first_stage_layers", first, rule));
        }
    }
    if l.vp > 1 {
        let (f, mid, la) = l.stage_layers(layers);
        let ok = pp > 1 && f % l.vp == 0 && la % l.vp == 0 && (pp <= 2 || mid % l.vp == 0);
        if !ok {
            return Err(Error::invalid(
                origin,
                "vp",
                l.vp,
                format!(
                    "1, or with pp > 1 a divisor of every stage's layers (first {f}, middle {mid}, last {la})"
                ),
            ));
        }
    }
    Ok(())
}
