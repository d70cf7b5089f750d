//! What is served and how: precisions, the replica's parallelism, the engine's limits and the
//! load.

use serde::Serialize;

use crate::error::Error;
use crate::model::ModelSpec;
use crate::precision::Precision;

/// Precisions of the weights, the activations (the GEMMs' compute format) and the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Precisions {
    /// Stored weights (int4 = weight-only quantisation).
    pub weights: Precision,
    /// Activations: the GEMMs run at this precision's rate.
    pub activations: Precision,
    /// KV cache.
    pub kv: Precision,
}

impl Precisions {
    /// The same precision everywhere (int4 keeps bf16 activations: it is weight-only).
    #[must_use]
    pub fn uniform(p: Precision) -> Precisions {
        match p {
            // INT4 is weight-only (AWQ/GPTQ kernels): activations and KV in bf16.
            Precision::Int4 => Precisions { weights: p, activations: Precision::Bf16, kv: Precision::Bf16 },
            // FP4 engines (TensorRT-LLM NVFP4, vLLM MXFP4) keep an FP8 KV cache.
            Precision::Fp4 => Precisions { weights: p, activations: p, kv: Precision::Fp8 },
            _ => Precisions { weights: p, activations: p, kv: p },
        }
    }
}

/// The replica's parallel layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InferConfig {
    /// Tensor-parallel degree.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Expert-parallel degree (MoE). Up to tp: a divisor of tp (experts sharded inside the
    /// tensor-parallel group). Above tp: a multiple of it, and attention runs data-parallel
    /// over `ep ÷ tp` groups of tp GPUs (DeepSeek-style wide EP, [`InferConfig::dp_attention`]),
    /// the routed experts sharded over all `ep` GPUs of a stage with an all-to-all dispatch
    /// and combine per MoE layer.
    pub ep: u32,
    /// Precisions.
    pub precision: Precisions,
}

/// Engine limits, with defaults matching common engines' throughput settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Engine {
    /// Most sequences in a step (TensorRT-LLM `max_batch_size`; vLLM `max_num_seqs`).
    pub max_batch: u32,
    /// Most tokens in a step (TensorRT-LLM `max_num_tokens`; vLLM `max_num_batched_tokens`).
    pub max_tokens: u32,
    /// Fraction of the memory left after weights that the KV cache may take (TensorRT-LLM
    /// `kv_cache_free_gpu_mem_fraction`, 0.9 by default).
    pub kv_memory_fraction: f64,
    /// Output tokens the scheduler reserves KV cache for per request when that exceeds the
    /// request's own output (the harness's `max_new_tokens`: a guaranteed-no-evict scheduler
    /// reserves the prompt plus this, whatever the request then generates). `None`: the
    /// request's own length.
    pub max_new_tokens: Option<u32>,
}

impl Default for Engine {
    /// 2,048 sequences and 8,192 tokens a step, 90 % of free memory for the KV cache.
    fn default() -> Self {
        Engine { max_batch: 2048, max_tokens: 8192, kv_memory_fraction: 0.9, max_new_tokens: None }
    }
}

/// How much load the replica serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// As many sequences as memory, `max_batch` and `max_tokens` allow (continuous batching).
    MaxLoad,
    /// A fixed number of concurrent requests, continuously batched (closed loop).
    Concurrency(u32),
    /// A static batch: prefill all, then decode all.
    Batch(u32),
}

impl InferConfig {
    /// Attention data-parallel groups per pipeline stage: `ep ÷ tp` when ep exceeds tp (wide
    /// expert parallelism), else 1.
    #[must_use]
    pub fn dp_attention(&self) -> u32 {
        if self.ep > self.tp && self.tp > 0 { self.ep / self.tp } else { 1 }
    }

    /// GPUs of the replica: tp · pp · dp_attention.
    #[must_use]
    pub fn gpus(&self) -> u64 {
        u64::from(self.tp) * u64::from(self.pp) * u64::from(self.dp_attention())
    }

    /// Checks the layout against the model and the request lengths.
    ///
    /// # Errors
    /// The violated rule, naming the flag and value.
    pub fn check(&self, m: &ModelSpec, input: u32, output: u32, origin: &str) -> Result<(), Error> {
        for (key, v) in [("tp", self.tp), ("pp", self.pp), ("ep", self.ep)] {
            if v == 0 {
                return Err(Error::invalid(origin, key, v, "a positive integer"));
            }
        }
        if input == 0 || output == 0 {
            return Err(Error::invalid(
                origin,
                "input/output",
                format!("{input}/{output}"),
                "positive token counts",
            ));
        }
        let total = u64::from(input) + u64::from(output);
        if total > u64::from(m.max_context) {
            return Err(Error::invalid(
                origin,
                "input + output",
                format!("{input} + {output} = {total}"),
                format!("at most the model's context of {} tokens", m.max_context),
            ));
        }
        if m.heads % self.tp != 0 {
            return Err(Error::invalid(
                origin,
                "tp",
                self.tp,
                format!("a divisor of the attention heads ({})", m.heads),
            ));
        }
        if m.mla.is_none() && self.tp < m.kv_heads && m.kv_heads % self.tp != 0 {
            return Err(Error::invalid(
                origin,
                "tp",
                self.tp,
                format!(
                    "a divisor of the KV heads ({}) or a multiple of them (then each GPU keeps a copy)",
                    m.kv_heads
                ),
            ));
        }
        if m.mla.is_none() && self.tp > m.kv_heads && self.tp % m.kv_heads != 0 {
            return Err(Error::invalid(
                origin,
                "tp",
                self.tp,
                format!("a multiple of the KV heads ({})", m.kv_heads),
            ));
        }
        if m.layers % self.pp != 0 {
            return Err(Error::invalid(
                origin,
                "pp",
                self.pp,
                format!("a divisor of the layers ({})", m.layers),
            ));
        }
        match &m.moe {
            Some(moe) if self.ep > self.tp && (self.ep % self.tp != 0 || self.ep > moe.experts) => {
                Err(Error::invalid(
                    origin,
                    "ep",
                    self.ep,
                    format!(
                        "above tp, a multiple of tp ({}) and at most the experts ({}) (attention data-parallel over ep ÷ tp groups)",
                        self.tp, moe.experts
                    ),
                ))
            }
            Some(moe) if self.ep <= self.tp && (moe.experts % self.ep != 0 || self.tp % self.ep != 0) => {
                Err(Error::invalid(
                    origin,
                    "ep",
                    self.ep,
                    format!(
                        "a divisor of both the experts ({}) and tp ({}), or a multiple of tp (wide EP with attention data parallelism)",
                        moe.experts, self.tp
                    ),
                ))
            }
            None if self.ep != 1 => Err(Error::invalid(origin, "ep", self.ep, "1 for a dense model")),
            _ => Ok(()),
        }
    }
}
