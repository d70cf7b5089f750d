//! Parameter counts from a model's shape.
//!
//! Per block (Vaswani et al. 2017; GPT-3, Brown et al. 2020, Table 2.1 uses the same count):
//! - attention: `d·(h·dₕ)` for Q, `2·d·(kv·dₕ)` for K and V, `(h·dₕ)·d` for the output,
//!   plus biases where the model has them; MLA replaces Q/K/V with low-rank projections
//!   (DeepSeek-V2, arXiv:2405.04434, eq. 9–14);
//! - FFN: `m·d·ff` with m = 2 for a GELU MLP, 3 for a gated (SwiGLU/GeGLU) one, plus biases;
//!   MoE layers hold `(E + shared)` such FFNs of width `expert_ffn` and a `d·E` router;
//! - norms: two per block (`2·d` each for LayerNorm, `d` for RMSNorm) and one final.
//!
//! Outside the blocks: the `V·d` embedding, an untied `V·d` output projection, and a learned
//! position table of `ctx·d`.

use serde::Serialize;

use super::spec::{FfnKind, ModelSpec, Norm, Position};

/// A model's parameters, by part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParamCount {
    /// Every parameter.
    pub total: f64,
    /// Parameters a token passes through (MoE: only the routed-active and shared experts).
    pub active: f64,
    /// Input token embedding plus any learned position table.
    pub embedding: f64,
    /// Untied output projection (0 when tied to the embedding).
    pub unembedding: f64,
    /// Attention projections in all blocks.
    pub attention: f64,
    /// Dense FFNs in all blocks.
    pub ffn: f64,
    /// Expert FFNs and routers in all MoE blocks.
    pub experts: f64,
    /// Expert FFN parameters a token activates in all MoE blocks (routed-active + shared + router).
    pub experts_active: f64,
    /// Normalisation parameters.
    pub norms: f64,
}

impl ParamCount {
    /// Parameters outside the embedding tables (Kaplan et al. 2020's N).
    #[must_use]
    pub fn non_embedding(&self) -> f64 {
        self.total - self.embedding - self.unembedding
    }

    /// Parameters that take part in a token's matrix multiplications: every active weight but the
    /// embedding lookups, plus the output projection even when tied (it is still a GEMM).
    #[must_use]
    pub fn active_matmul(&self, spec: &ModelSpec) -> f64 {
        let output = f64::from(spec.vocab) * f64::from(spec.hidden);
        self.active - self.embedding - self.unembedding + output
    }
}

fn ffn_params(d: f64, ff: f64, kind: FfnKind, bias: bool) -> f64 {
    let weights = kind.matrices() * d * ff;
    let biases = if bias { (kind.matrices() - 1.0) * ff + d } else { 0.0 };
    weights + biases
}

fn attention_params(spec: &ModelSpec) -> f64 {
    let d = f64::from(spec.hidden);
    let h = f64::from(spec.heads);
    if let Some(mla) = &spec.mla {
        let qk = f64::from(mla.qk_nope_head_dim) + f64::from(mla.qk_rope_head_dim);
        let q = match mla.q_lora_rank {
            Some(r) => {
                let r = f64::from(r);
                d * r + r + r * h * qk
            }
            None => d * h * qk,
        };
        let kv_rank = f64::from(mla.kv_lora_rank);
        let kv_a = d * (kv_rank + f64::from(mla.qk_rope_head_dim)) + kv_rank;
        let kv_b = kv_rank * h * (f64::from(mla.qk_nope_head_dim) + f64::from(mla.v_head_dim));
        let o = h * f64::from(mla.v_head_dim) * d;
        return q + kv_a + kv_b + o;
    }
    let q_dim = h * f64::from(spec.head_dim);
    let kv_dim = f64::from(spec.kv_heads) * f64::from(spec.head_dim);
    let weights = d * q_dim + 2.0 * d * kv_dim + q_dim * d;
    let biases = if spec.bias { q_dim + 2.0 * kv_dim + d } else { 0.0 };
    weights + biases
}

impl ModelSpec {
    /// Counts parameters from the shape.
    #[must_use]
    pub fn params(&self) -> ParamCount {
        let d = f64::from(self.hidden);
        let v = f64::from(self.vocab);
        let layers = f64::from(self.layers);
        let norm_size = match self.norm {
            Norm::Layernorm => 2.0 * d,
            Norm::Rmsnorm => d,
        };
        let position = match self.position {
            Position::Learned => f64::from(self.max_context) * d,
            Position::Rope | Position::Alibi => 0.0,
        };
        let embedding = v * d + position;
        let unembedding = if self.tied_embeddings { 0.0 } else { v * d };
        let attention = layers * attention_params(self);
        let norms = (2.0 * layers + 1.0) * norm_size;

        let dense_ffn = ffn_params(d, f64::from(self.ffn), self.ffn_kind, self.bias);
        let (ffn, experts, experts_active) = match &self.moe {
            None => (layers * dense_ffn, 0.0, 0.0),
            Some(moe) => {
                let dense_layers = f64::from(moe.dense_layers);
                let moe_layers = layers - dense_layers;
                let one = ffn_params(d, f64::from(moe.expert_ffn), self.ffn_kind, self.bias);
                let router = d * f64::from(moe.experts);
                let all = (f64::from(moe.experts) + f64::from(moe.shared)) * one + router;
                let active = (f64::from(moe.active) + f64::from(moe.shared)) * one + router;
                (dense_layers * dense_ffn, moe_layers * all, moe_layers * active)
            }
        };
        let shared = embedding + unembedding + attention + norms + ffn;
        ParamCount {
            total: shared + experts,
            active: shared + experts_active,
            embedding,
            unembedding,
            attention,
            ffn,
            experts,
            experts_active,
            norms,
        }
    }
}
