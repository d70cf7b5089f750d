//! The shape of a decoder-only Transformer, enough for parameter, FLOP and byte arithmetic.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::sourced::Figure;

/// The feed-forward block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FfnKind {
    /// Two matrices with a GELU (or ReLU) between: `2·d·ff` weights.
    Gelu,
    /// Gated SiLU (Shazeer 2020): three matrices, `3·d·ff` weights.
    Swiglu,
    /// Gated GELU: three matrices, `3·d·ff` weights.
    Geglu,
}

impl FfnKind {
    /// Weight matrices in one FFN: 2 for a plain MLP, 3 for a gated one.
    #[must_use]
    pub fn matrices(self) -> f64 {
        match self {
            FfnKind::Gelu => 2.0,
            FfnKind::Swiglu | FfnKind::Geglu => 3.0,
        }
    }
}

/// How positions enter the model; only learned tables add parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// A learned table of `max_context × hidden` (GPT-2/3, OPT).
    Learned,
    /// Rotary embeddings (no parameters).
    Rope,
    /// ALiBi biases (no parameters).
    Alibi,
}

/// Normalisation layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// LayerNorm: scale and bias (`2·d` parameters).
    Layernorm,
    /// RMSNorm: scale only (`d` parameters).
    Rmsnorm,
}

/// Attention variant, derived from the head counts and MLA ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attention {
    /// Multi-head: as many KV heads as query heads.
    MultiHead,
    /// Grouped-query: fewer KV heads than query heads, more than one.
    GroupedQuery,
    /// Multi-query: one KV head.
    MultiQuery,
    /// DeepSeek's multi-head latent attention.
    Mla,
}

/// Mixture-of-experts feed-forward layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    /// Routed experts per MoE layer.
    pub experts: u32,
    /// Routed experts active per token (top-k).
    pub active: u32,
    /// Shared experts every token passes through.
    #[serde(default)]
    pub shared: u32,
    /// Hidden size of one expert's FFN.
    pub expert_ffn: u32,
    /// The first `dense_layers` layers use a dense FFN of size `ffn` instead of experts.
    #[serde(default)]
    pub dense_layers: u32,
}

/// DeepSeek multi-head latent attention ranks (DeepSeek-V2, arXiv:2405.04434, section 2.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mla {
    /// Rank of the query compression, or none for an uncompressed query projection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_lora_rank: Option<u32>,
    /// Rank of the joint key-value compression (the cached latent).
    pub kv_lora_rank: u32,
    /// Per-head query/key dimension without rotary embedding.
    pub qk_nope_head_dim: u32,
    /// Per-head query/key dimension carrying rotary embedding (the key part is shared by heads).
    pub qk_rope_head_dim: u32,
    /// Per-head value dimension.
    pub v_head_dim: u32,
}

/// A decoder-only Transformer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Catalog id.
    pub id: String,
    /// Other accepted names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Display name.
    pub name: String,
    /// Model family (`gpt3`, `llama`, …).
    pub family: String,
    /// Transformer blocks.
    pub layers: u32,
    /// Model (residual stream) width.
    pub hidden: u32,
    /// Query heads.
    pub heads: u32,
    /// Key/value heads (equal to `heads` for multi-head attention, 1 for multi-query).
    pub kv_heads: u32,
    /// Dimension of one head.
    pub head_dim: u32,
    /// Hidden size of the dense FFN.
    pub ffn: u32,
    /// Kind of FFN.
    pub ffn_kind: FfnKind,
    /// Vocabulary size.
    pub vocab: u32,
    /// Longest context the model was trained for.
    pub max_context: u32,
    /// Whether the output projection shares the input embedding's weights.
    pub tied_embeddings: bool,
    /// Position encoding.
    pub position: Position,
    /// Normalisation.
    pub norm: Norm,
    /// Whether linear layers carry biases.
    pub bias: bool,
    /// Mixture of experts, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moe: Option<Moe>,
    /// Multi-head latent attention, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mla: Option<Mla>,
    /// Parameter count the authors publish, in billions, for checking the arithmetic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_params_b: Option<Figure>,
    /// Active parameters per token the authors publish (MoE), in billions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_active_params_b: Option<Figure>,
    /// Key of the source of the shape.
    pub src: String,
    /// Free-form remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl ModelSpec {
    /// The attention variant.
    #[must_use]
    pub fn attention(&self) -> Attention {
        if self.mla.is_some() {
            Attention::Mla
        } else if self.kv_heads == self.heads {
            Attention::MultiHead
        } else if self.kv_heads == 1 {
            Attention::MultiQuery
        } else {
            Attention::GroupedQuery
        }
    }

    /// Checks the shape is internally consistent; returns the offending key and why.
    ///
    /// # Errors
    /// A `(key, message)` pair for the first inconsistency found.
    pub fn check(&self) -> Result<(), (String, String)> {
        let positive = [
            ("layers", self.layers),
            ("hidden", self.hidden),
            ("heads", self.heads),
            ("kv_heads", self.kv_heads),
            ("head_dim", self.head_dim),
            ("ffn", self.ffn),
            ("vocab", self.vocab),
            ("max_context", self.max_context),
        ];
        for (key, v) in positive {
            if v == 0 {
                return Err((key.into(), "must be a positive integer".into()));
            }
        }
        if self.kv_heads > self.heads || self.heads % self.kv_heads != 0 {
            return Err(("kv_heads".into(), format!("{} must divide heads ({})", self.kv_heads, self.heads)));
        }
        if let Some(moe) = &self.moe {
            if moe.experts == 0 || moe.active == 0 || moe.active > moe.experts {
                return Err((
                    "moe.active".into(),
                    format!("{} must be between 1 and moe.experts ({})", moe.active, moe.experts),
                ));
            }
            if moe.expert_ffn == 0 {
                return Err(("moe.expert_ffn".into(), "must be a positive integer".into()));
            }
            if moe.dense_layers > self.layers {
                return Err((
                    "moe.dense_layers".into(),
                    format!("{} exceeds layers ({})", moe.dense_layers, self.layers),
                ));
            }
        }
        Ok(())
    }
}
