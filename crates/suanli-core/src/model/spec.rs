//! The shape of a decoder-only Transformer, enough for parameter, FLOP and byte arithmetic.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::precision::Precision;
use crate::sourced::Figure;

/// The feed-forward block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FfnKind {
    /// Two matrices with a GELU (or ReLU, squared ReLU) between: `2·d·ff` weights.
    Gelu,
    /// Gated SiLU (Shazeer 2020): three matrices, `3·d·ff` weights.
    #[default]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// A learned table of `max_context × hidden` (GPT-2/3, OPT).
    Learned,
    /// Rotary embeddings (no parameters).
    #[default]
    Rope,
    /// ALiBi biases (no parameters).
    Alibi,
}

/// Normalisation layers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Norm {
    /// LayerNorm: scale and bias (`2·d` parameters).
    Layernorm,
    /// RMSNorm: scale only (`d` parameters).
    #[default]
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
    /// The first `dense_layers` layers use a dense FFN of size `ffn` instead of experts. Only the
    /// count matters to the arithmetic, so interleaved dense layers (Llama 4's
    /// `interleave_moe_layer_step`, `moe_layer_freq` lists) are counted here too.
    #[serde(default)]
    pub dense_layers: u32,
    /// Hidden size of all shared experts together, where it is not `shared × expert_ffn`
    /// (Qwen's `shared_expert_intermediate_size`, Gemma 4's dense MLP beside its experts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_ffn: Option<u32>,
    /// Latent width the routed experts work in (NVIDIA's LatentMoE): the layer projects
    /// `hidden → latent` before the experts and back after them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latent: Option<u32>,
}

impl Moe {
    /// Hidden size of the shared experts together (saturating: shapes past `u32` are refused
    /// by the range checks, this only keeps the arithmetic total).
    #[must_use]
    pub fn shared_width(&self) -> u32 {
        self.shared_ffn.unwrap_or(self.shared.saturating_mul(self.expert_ffn))
    }
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

/// What mixes information across positions in one block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mixer {
    /// Softmax attention over the whole context (full-length KV cache).
    #[default]
    Full,
    /// Softmax attention over the last `window` tokens (KV cache of `min(window, context)`).
    Sliding,
    /// Softmax attention within fixed chunks of `window` tokens (Llama 4's chunked attention).
    Chunked,
    /// Softmax attention over a raw window of `window` tokens plus the older context pooled
    /// into one row per `compress` tokens (DeepSeek-V4's compressed attention).
    Compressed,
    /// Linear attention with a fixed-size state ([`LinearAttention`], Qwen3.5's Gated DeltaNet).
    Linear,
    /// A Mamba-2 state-space mixer with a fixed-size state ([`Mamba`]).
    Mamba,
    /// No mixer: an FFN-only block (Nemotron-H's `-`/`E` layers, pruned attention).
    None,
}

impl Mixer {
    /// Whether the mixer is softmax attention with a per-token KV cache.
    #[must_use]
    pub fn is_softmax(self) -> bool {
        matches!(self, Mixer::Full | Mixer::Sliding | Mixer::Chunked | Mixer::Compressed)
    }
}

/// The feed-forward part of one block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BlockFfn {
    /// A dense FFN of width `ffn` (or the block's `ffn_size`).
    #[default]
    Dense,
    /// The model's mixture of experts ([`Moe`]).
    Moe,
    /// No FFN: a mixer-only block (Nemotron-H's `M` and `*` layers).
    None,
}

/// A run of `count` identical blocks. Their order does not matter to the arithmetic, so a model
/// lists one group per distinct kind of block, in any order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// Blocks of this kind.
    pub count: u32,
    /// Token mixer.
    #[serde(default)]
    pub mixer: Mixer,
    /// Sliding window or chunk, in tokens (`sliding`, `chunked`, `compressed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<u32>,
    /// Tokens pooled into one compressed KV row (`compressed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<u32>,
    /// Key/value heads where they differ from the model's `kv_heads`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kv_heads: Option<u32>,
    /// Head dimension where it differs from the model's `head_dim`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_dim: Option<u32>,
    /// Keys double as values (Gemma 4's global layers): no value projection, one cached tensor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shared_kv: bool,
    /// The model's sparse-attention indexer ([`Indexer`]) selects what this block attends to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub indexed: bool,
    /// Feed-forward part.
    #[serde(default)]
    pub ffn: BlockFfn,
    /// Dense FFN width where it differs from the model's `ffn`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ffn_size: Option<u32>,
}

/// Linear attention with a gated delta rule (Qwen3-Next/Qwen3.5 `linear_attention` layers):
/// Q and K of `key_heads × key_head_dim`, V and an output gate of `value_heads ×
/// value_head_dim`, a short causal convolution over Q, K, V, and a state of
/// `value_heads × key_head_dim × value_head_dim` per sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinearAttention {
    /// Query/key heads.
    pub key_heads: u32,
    /// Value heads.
    pub value_heads: u32,
    /// Query/key head dimension.
    pub key_head_dim: u32,
    /// Value head dimension.
    pub value_head_dim: u32,
    /// Causal convolution width.
    #[serde(default = "default_conv")]
    pub conv_kernel: u32,
}

/// A Mamba-2 mixer (Dao & Gu 2024): inner width `heads × head_dim`, `groups` groups of B and C
/// of `state` each, a state of `heads × head_dim × state` per sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Mamba {
    /// SSM heads.
    pub heads: u32,
    /// Dimension of one head.
    pub head_dim: u32,
    /// State size per head channel (`ssm_state_size`).
    pub state: u32,
    /// Groups sharing B and C (`n_groups`).
    #[serde(default = "one")]
    pub groups: u32,
    /// Causal convolution width.
    #[serde(default = "default_conv")]
    pub conv_kernel: u32,
}

/// A sparse-attention indexer (DeepSeek-V3.2's DSA, GLM-5, DeepSeek-V4, MiniMax-M3): light
/// scoring heads over every earlier token pick `topk` tokens (or blocks) for the main attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Indexer {
    /// Indexer heads.
    pub heads: u32,
    /// Indexer head dimension (one key of this size is cached per token).
    pub head_dim: u32,
    /// Tokens the main attention attends to after selection.
    pub topk: u32,
}

/// Low-rank query and grouped low-rank output projections (DeepSeek-V4 attention).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LowRank {
    /// Rank of the query compression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q_rank: Option<u32>,
    /// Rank of each group's output compression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub o_rank: Option<u32>,
    /// Output groups (each maps `heads·head_dim / groups` to `o_rank`).
    #[serde(default = "one")]
    pub o_groups: u32,
}

fn one() -> u32 {
    1
}

fn default_conv() -> u32 {
    4
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

fn is_zero_f(v: &f64) -> bool {
    *v == 0.0
}

/// A decoder-only Transformer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
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
    /// The blocks by kind, when they are not all alike; empty means `layers` blocks of full
    /// attention, with a dense FFN or (after `moe.dense_layers` dense ones) experts. Counts
    /// sum to `layers`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
    /// Shape of the `linear` mixers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linear_attention: Option<LinearAttention>,
    /// Shape of the `mamba` mixers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mamba: Option<Mamba>,
    /// Sparse-attention indexer of the blocks marked `indexed` (all attention blocks when
    /// `blocks` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexer: Option<Indexer>,
    /// Low-rank query/output projections of the attention (DeepSeek-V4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low_rank: Option<LowRank>,
    /// A sigmoid gate on the attention output, projected with the queries (Qwen3.5
    /// `attn_output_gate`): the query projection is twice as wide.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attention_gate: bool,
    /// One learned attention-sink logit per head and attention block (gpt-oss).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attention_sinks: bool,
    /// Clamp on the gated activation's inputs (gpt-oss `swiglu_limit`, 7.0): the gate half
    /// clamped from above and the linear half to ±limit before `x·σ(1.702x)·(y + 1)`. None
    /// for an unclamped activation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_clamp: Option<f64>,
    /// Multi-token-prediction modules shipped with the weights (DeepSeek-V3's
    /// `num_nextn_predict_layers`); counted apart from `total` (see `ParamCount::mtp`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mtp_layers: u32,
    /// Parameters of a vision (or audio) encoder beside the language model, estimated from its
    /// config; kept out of `total` and of the FLOPs per text token (see `ParamCount::vision`).
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub vision_params: f64,
    /// The precision the checkpoint stores its weights in (from `quantization_config`), a
    /// default for the weight precision; none for 16-bit checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_precision: Option<Precision>,
    /// Whether that checkpoint keeps its attention and embedding weights in 16 bits
    /// (`quantization_config.modules_to_not_convert` / `ignore` / `exclude_modules` listing the
    /// attention, as gpt-oss's MXFP4 and NVIDIA's NVFP4 releases do): served at the stored
    /// precision, only the rest (experts, MLPs) takes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stored_16bit_attention: bool,
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
        if let Some(c) = self.activation_clamp.filter(|c| !(c.is_finite() && *c > 0.0)) {
            return Err(("activation_clamp".into(), format!("{c} must be a positive number")));
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
        self.check_blocks()
    }

    fn check_blocks(&self) -> Result<(), (String, String)> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        let sum: u64 = self.blocks.iter().map(|b| u64::from(b.count)).sum();
        if sum != u64::from(self.layers) {
            return Err(("blocks".into(), format!("counts sum to {sum}, not layers ({})", self.layers)));
        }
        for b in &self.blocks {
            let needs_window = matches!(b.mixer, Mixer::Sliding | Mixer::Chunked | Mixer::Compressed);
            if needs_window && b.window.is_none_or(|w| w == 0) {
                return Err((
                    "blocks.window".into(),
                    format!("a {:?} block needs a positive window", b.mixer),
                ));
            }
            if b.mixer == Mixer::Compressed && b.compress.is_none_or(|c| c == 0) {
                return Err((
                    "blocks.compress".into(),
                    "a compressed block needs a positive compress".into(),
                ));
            }
            if b.mixer == Mixer::Linear && self.linear_attention.is_none() {
                return Err((
                    "linear_attention".into(),
                    "linear blocks need a [model.linear_attention]".into(),
                ));
            }
            if b.mixer == Mixer::Mamba && self.mamba.is_none() {
                return Err(("mamba".into(), "mamba blocks need a [model.mamba]".into()));
            }
            if b.ffn == BlockFfn::Moe && self.moe.is_none() {
                return Err(("moe".into(), "moe blocks need a [model.moe]".into()));
            }
            if b.indexed && self.indexer.is_none() {
                return Err(("indexer".into(), "indexed blocks need a [model.indexer]".into()));
            }
            if let Some(kv) = b.kv_heads {
                if kv == 0 || kv > self.heads || self.heads % kv != 0 {
                    return Err((
                        "blocks.kv_heads".into(),
                        format!("{kv} must divide heads ({})", self.heads),
                    ));
                }
            }
            if b.head_dim == Some(0) || b.ffn_size == Some(0) {
                return Err(("blocks".into(), "head_dim and ffn_size must be positive".into()));
            }
        }
        Ok(())
    }

    /// The blocks by kind: `blocks` when given, else the uniform stack it stands for (full
    /// attention, indexed when the model has an indexer; `moe.dense_layers` dense FFNs, the
    /// rest experts).
    #[must_use]
    pub fn block_groups(&self) -> Vec<Block> {
        if !self.blocks.is_empty() {
            return self.blocks.clone();
        }
        let indexed = self.indexer.is_some();
        let block = |count, ffn| Block { count, indexed, ffn, ..Block::default() };
        match &self.moe {
            None => vec![block(self.layers, BlockFfn::Dense)],
            Some(moe) => {
                let dense = moe.dense_layers.min(self.layers);
                [block(dense, BlockFfn::Dense), block(self.layers - dense, BlockFfn::Moe)]
                    .into_iter()
                    .filter(|b| b.count > 0)
                    .collect()
            }
        }
    }

    /// Blocks whose FFN is a mixture of experts.
    #[must_use]
    pub fn moe_blocks(&self) -> u32 {
        self.block_groups().iter().filter(|b| b.ffn == BlockFfn::Moe).map(|b| b.count).sum()
    }
}
