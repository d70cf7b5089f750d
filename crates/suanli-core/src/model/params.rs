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
//!
//! Models whose blocks differ ([`ModelSpec::blocks`]) are counted block kind by block kind:
//! sliding, chunked and compressed attention have the same projections as full attention (with
//! the block's KV heads and head dimension); linear-attention and Mamba-2 mixers count their
//! projections, convolution and per-head constants; a block without a mixer or FFN has one
//! norm fewer. Left out as below 0.1 % of any model here: per-head Q/K norms, routers' biases,
//! expert gates of shared experts and the hyper-connection mixing weights of DeepSeek-V4.
//! Multi-token-prediction modules and vision encoders are counted apart from `total`.

use serde::Serialize;

use super::spec::{Block, BlockFfn, FfnKind, Mixer, ModelSpec, Moe, Norm, Position};

/// A model's parameters, by part.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParamCount {
    /// Every parameter of the language model (without MTP modules and encoders).
    pub total: f64,
    /// Parameters a token passes through (MoE: only the routed-active and shared experts).
    pub active: f64,
    /// Input token embedding plus any learned position table.
    pub embedding: f64,
    /// Untied output projection (0 when tied to the embedding).
    pub unembedding: f64,
    /// Token mixers in all blocks: attention projections (with any indexer), linear attention,
    /// Mamba.
    pub attention: f64,
    /// Dense FFNs in all blocks.
    pub ffn: f64,
    /// Expert FFNs and routers in all MoE blocks.
    pub experts: f64,
    /// Expert FFN parameters a token activates in all MoE blocks (routed-active + shared + router).
    pub experts_active: f64,
    /// Normalisation parameters.
    pub norms: f64,
    /// Multi-token-prediction modules (one block each plus its input projection and norms),
    /// not in `total`: DeepSeek-V3's 671B leaves out its 14B MTP module.
    pub mtp: f64,
    /// Vision or audio encoder estimated from the config, not in `total`.
    pub vision: f64,
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

    /// Everything the checkpoint stores: the language model, MTP modules and encoders.
    #[must_use]
    pub fn checkpoint(&self) -> f64 {
        self.total + self.mtp + self.vision
    }

    /// The `N` of `6·N·D`: active parameters (all of them for a dense model). Training a
    /// mixture of experts costs what its active parameters cost, not its total.
    #[must_use]
    pub fn six_nd(&self) -> f64 {
        self.active
    }
}

fn ffn_params(d: f64, ff: f64, kind: FfnKind, bias: bool) -> f64 {
    let weights = kind.matrices() * d * ff;
    let biases = if bias { (kind.matrices() - 1.0) * ff + d } else { 0.0 };
    weights + biases
}

/// Softmax-attention projections of one block with `kv` KV heads of `hd` dimensions.
fn attention_params(spec: &ModelSpec, kv: f64, hd: f64, shared_kv: bool) -> f64 {
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
    let q_dim = h * hd;
    let kv_dim = kv * hd;
    let gate = if spec.attention_gate { q_dim } else { 0.0 };
    let kv_mats = if shared_kv { 1.0 } else { 2.0 };
    let (q, o) = match &spec.low_rank {
        Some(lr) => {
            let q = match lr.q_rank {
                Some(r) => {
                    let r = f64::from(r);
                    d * r + r + r * (q_dim + gate)
                }
                None => d * (q_dim + gate),
            };
            let o = match lr.o_rank {
                Some(r) => {
                    let r = f64::from(r);
                    let g = f64::from(lr.o_groups.max(1));
                    q_dim * r + g * r * d
                }
                None => q_dim * d,
            };
            (q, o)
        }
        None => (d * (q_dim + gate), q_dim * d),
    };
    let weights = q + kv_mats * d * kv_dim + o;
    let biases = if spec.bias { q_dim + kv_mats * kv_dim + d } else { 0.0 };
    let sinks = if spec.attention_sinks { h } else { 0.0 };
    weights + biases + sinks
}

/// The indexer of one block: a query projection (from the query latent when MLA/low-rank
/// compresses queries, else from the hidden state), one key, per-head weights, a key norm.
fn indexer_params(spec: &ModelSpec) -> f64 {
    let Some(ix) = &spec.indexer else { return 0.0 };
    let d = f64::from(spec.hidden);
    let q_in = spec
        .mla
        .as_ref()
        .and_then(|m| m.q_lora_rank)
        .or_else(|| spec.low_rank.as_ref().and_then(|l| l.q_rank))
        .map_or(d, f64::from);
    let (h, hd) = (f64::from(ix.heads), f64::from(ix.head_dim));
    q_in * h * hd + d * hd + d * h + 2.0 * hd
}

fn mixer_params(spec: &ModelSpec, b: &Block) -> f64 {
    let d = f64::from(spec.hidden);
    match b.mixer {
        Mixer::Full | Mixer::Sliding | Mixer::Chunked | Mixer::Compressed => {
            let kv = f64::from(b.kv_heads.unwrap_or(spec.kv_heads));
            let hd = f64::from(b.head_dim.unwrap_or(spec.head_dim));
            let indexer = if b.indexed { indexer_params(spec) } else { 0.0 };
            attention_params(spec, kv, hd, b.shared_kv) + indexer
        }
        Mixer::Linear => spec.linear_attention.as_ref().map_or(0.0, |la| {
            let key = f64::from(la.key_heads) * f64::from(la.key_head_dim);
            let value = f64::from(la.value_heads) * f64::from(la.value_head_dim);
            let vh = f64::from(la.value_heads);
            let conv = (2.0 * key + value) * f64::from(la.conv_kernel);
            // Q, K, V and the output gate; the decay and beta inputs; the output projection;
            // dt bias and A per value head; the gated norm over one value head.
            d * (2.0 * key + 2.0 * value)
                + d * 2.0 * vh
                + value * d
                + conv
                + 2.0 * vh
                + f64::from(la.value_head_dim)
        }),
        Mixer::Mamba => spec.mamba.as_ref().map_or(0.0, |m| {
            let inner = f64::from(m.heads) * f64::from(m.head_dim);
            let bc = 2.0 * (f64::from(m.groups) * f64::from(m.state));
            let heads = f64::from(m.heads);
            let conv_dim = inner + bc;
            // in_proj to x, z, B, C and dt; conv weight and bias; dt bias, A, D; gated norm;
            // out_proj.
            d * (2.0 * inner + bc + heads)
                + conv_dim * (f64::from(m.conv_kernel) + 1.0)
                + 3.0 * heads
                + inner
                + inner * d
        }),
        Mixer::None => 0.0,
    }
}

/// One MoE block's experts: `(all, active)`, routers and latent projections included.
fn moe_params(spec: &ModelSpec, moe: &Moe) -> (f64, f64) {
    let d = f64::from(spec.hidden);
    let width = moe.latent.map_or(d, f64::from);
    let one = ffn_params(width, f64::from(moe.expert_ffn), spec.ffn_kind, spec.bias);
    let shared_w = moe.shared_width();
    let shared =
        if shared_w > 0 { ffn_params(d, f64::from(shared_w), spec.ffn_kind, spec.bias) } else { 0.0 };
    let latent = moe.latent.map_or(0.0, |l| 2.0 * d * f64::from(l));
    let router = d * f64::from(moe.experts);
    let all = f64::from(moe.experts) * one + shared + router + latent;
    let active = f64::from(moe.active) * one + shared + router + latent;
    (all, active)
}

/// Parameters of one block by part: `(mixer, dense ffn, experts, experts active, norms)`.
fn block_params(spec: &ModelSpec, b: &Block, norm_size: f64) -> (f64, f64, f64, f64, f64) {
    let d = f64::from(spec.hidden);
    let mixer = mixer_params(spec, b);
    let (ffn, experts, experts_active) = match (b.ffn, &spec.moe) {
        (BlockFfn::Dense, _) | (BlockFfn::Moe, None) => {
            let ff = f64::from(b.ffn_size.unwrap_or(spec.ffn));
            (ffn_params(d, ff, spec.ffn_kind, spec.bias), 0.0, 0.0)
        }
        (BlockFfn::Moe, Some(moe)) => {
            let (all, active) = moe_params(spec, moe);
            (0.0, all, active)
        }
        (BlockFfn::None, _) => (0.0, 0.0, 0.0),
    };
    let norms = f64::from(u8::from(b.mixer != Mixer::None) + u8::from(b.ffn != BlockFfn::None)) * norm_size;
    (mixer, ffn, experts, experts_active, norms)
}

impl ModelSpec {
    /// Counts parameters from the shape.
    #[must_use]
    pub fn params(&self) -> ParamCount {
        let d = f64::from(self.hidden);
        let v = f64::from(self.vocab);
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
        let (mut attention, mut ffn, mut experts, mut experts_active) = (0.0, 0.0, 0.0, 0.0);
        let mut norms = norm_size;
        for b in self.block_groups() {
            let n = f64::from(b.count);
            let (m, f, e, ea, nm) = block_params(self, &b, norm_size);
            attention += n * m;
            ffn += n * f;
            experts += n * e;
            experts_active += n * ea;
            norms += n * nm;
        }
        let mtp = if self.mtp_layers == 0 {
            0.0
        } else {
            let ffn = if self.moe.is_some() { BlockFfn::Moe } else { BlockFfn::Dense };
            let block = Block { count: 1, ffn, indexed: self.indexer.is_some(), ..Block::default() };
            let (m, f, e, _, nm) = block_params(self, &block, norm_size);
            // The block, the projection of [embedding; hidden] back to d, and three norms.
            f64::from(self.mtp_layers) * (m + f + e + nm + 2.0 * d * d + 3.0 * norm_size)
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
            mtp,
            vision: self.vision_params,
        }
    }
}
