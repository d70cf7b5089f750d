//! Step time of a layout, with its parts, and the throughput figures derived from it.
//!
//! Per layer and micro-batch on one GPU, forward pass:
//! `t_f = F_gemm/(peak·η_gemm) + F_attn/(peak·η_gemm·η_attn) + B_elem/(bw_hbm·η_mem) + t_launch
//!       + 2 tensor-parallel collectives [+ 2 expert all-to-alls] [+ exposed context-parallel ring]`;
//! backward doubles the compute and repeats the collectives; recomputation adds a forward
//! (full) or the attention core (selective). With `m` micro-batches, a stage of `L/pp` layers
//! and the output layer on the last stage, the 1F1B pipeline takes `(m + (pp−1)/vp)·t_stage`
//! (Narayanan et al. 2021, eq. 1–2). Gradient reduction over the data-parallel group overlaps
//! the last micro-batch's backward pass; what is left is exposed. Then the optimizer step.
//!
//! Collectives are ring-based and hierarchical: inside a server over the scale-up fabric,
//! across servers over each GPU's share of the NICs; a ring all-reduce moves `2(n−1)/n` of
//! the buffer (Patarasuk & Yuan 2009), with a per-step latency.

use serde::Serialize;

use super::calib::{
    CLAMPED_GLU_BACKWARD_BYTES, CLAMPED_GLU_FORWARD_BYTES, Calibration, SCORE_BYTES, Stack,
    UNFUSED_ROPE_BYTES, tensor_flops_per_exponential,
};
use super::cluster::Cluster;
use super::layout::{Layout, Recompute, Workload};
use super::memory::{MemoryBreakdown, activation_bytes_per_layer, memory, params_per_gpu, shard_ranks};
use crate::calibration::{GemmMix, layer_shapes, nearest_mix};
use crate::model::{FfnKind, ModelSpec, attention_flops_per_token, forward_flops_per_token};

/// Everything about a (model, cluster, workload) that does not depend on the layout,
/// computed once per search.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub(crate) layers: f64,
    pub(crate) hidden: f64,
    pub(crate) heads: f64,
    pub(crate) vocab: f64,
    pub(crate) seq_len: f64,
    pub(crate) global_batch: f64,
    pub(crate) attention_per_layer: f64,
    pub(crate) dense_ffn_per_layer: f64,
    pub(crate) experts_per_layer: f64,
    pub(crate) dense_fraction: f64,
    pub(crate) moe_fraction: f64,
    pub(crate) embedding: f64,
    pub(crate) unembedding: f64,
    pub(crate) activation_coefficient: f64,
    matmul_flops_per_token_layer: f64,
    attention_flops_per_token_layer: f64,
    output_flops_per_token: f64,
    model_flops_per_token: f64,
    forward_flops_per_token: f64,
    attention_flops_per_token: f64,
    widest_ffn: f64,
    expert_flops_per_token_layer: f64,
    expert_ffn: f64,
    expert_token_share: f64,
    experts: f64,
    routed_k: f64,
    kv_dim: f64,
    /// Query and key elements a token carries through the rotary embedding: (heads + KV
    /// heads) · head_dim, or MLA's rotary parts (one per head and the shared key).
    rope_dim: f64,
    /// Forward attention time over its FLOP-proportional time: 1, or more where the fused
    /// kernel waits on the exponentials of the softmax ([`exponential_bound`]).
    attention_exp_factor: f64,
    pub(crate) reserved_gib: f64,
    pub(crate) fragmentation: f64,
    quantised_per_token_layer: f64,
    /// HBM bytes per token of one layer's forward re-run of the recipe's recomputed modules
    /// ([`Stack::recompute_modules`]), paid again in the backward pass.
    partial_recompute_bytes_per_token_layer: f64,
    /// GEMM FLOPs per token of one layer's forward re-run of the recipe's recomputed modules
    /// (MLA's up-projections), paid again in the backward pass.
    partial_recompute_flops_per_token_layer: f64,
    /// Memory traffic of routed experts' biases per token of a MoE layer, bytes, forward and
    /// backward together (zero without biases): [`Calibration::moe_expert_bias_bytes_per_hidden`].
    expert_bias_bytes_per_token_layer: f64,
    /// Memory traffic of a clamped gated activation's eager clamps and concatenation per
    /// token of a MoE layer, bytes, forward and backward together (zero without a clamp or
    /// with the fused grouped MLP): [`CLAMPED_GLU_FORWARD_BYTES`] + [`CLAMPED_GLU_BACKWARD_BYTES`]
    /// per element of the routed copies' first-layer outputs.
    clamp_bytes_per_token_layer: f64,
    pub(crate) logits_bytes: f64,
    cluster: Cluster,
    calib: Calibration,
    stack: Stack,
    /// Measured GEMM efficiency by tensor-parallel degree (1, 2, 4 … 64): the dense and the
    /// expert GEMMs of one layer, when the cluster has measured curves.
    measured_gemm: Vec<(u32, GemmMix, GemmMix)>,
}

/// The mixes of measured GEMM curves for a layer at tensor-parallel degree `tp`.
fn gemm_mixes(spec: &ModelSpec, curves: &[crate::calibration::GemmCurve], tp: u32) -> (GemmMix, GemmMix) {
    let (dense, expert) = layer_shapes(spec, f64::from(tp));
    (nearest_mix(curves, &dense), nearest_mix(curves, &expert))
}

/// The calibration with a cluster's measured values in place of the fitted ones: copy
/// bandwidth for memory-bound kernels, the all-reduce's latency and bus efficiency inside a
/// server, prefill attention at the sequence length.
fn measured_calibration(cluster: &Cluster, calib: &Calibration, seq: f64) -> Calibration {
    let mut cal = *calib;
    if let Some(m) = &cluster.measured {
        if let Some(e) = m.hbm_copy_efficiency {
            cal.memory_efficiency = e;
        }
        if let Some((alpha, eta)) = m.all_reduce {
            cal.collective_latency_s = alpha;
            cal.scale_up_bus_efficiency = eta;
        }
        if let Some(a) = &m.prefill_attention {
            cal.attention_efficiency = a.at(seq);
            cal.attention_efficiency_blackwell = cal.attention_efficiency;
        }
    }
    cal
}

/// How much longer a fused attention kernel's forward pass takes than its matrix products
/// alone at the chip's rate, where each score's exponential takes longer than its products:
/// `max(1, R ÷ F)`, with `F` the products' FLOPs per score (`2·(d_qk + d_v)`: `QKᵀ` and `PV`)
/// and `R` the chip's 16-bit tensor FLOPs per exponential ([`tensor_flops_per_exponential`]).
/// The softmax runs one `exp2` per score on the special-function units while the tensor cores
/// compute the products; the kernel overlaps the two (FlashAttention-3 / -4 pipelining), so
/// the slower sets the time. On B200 at head dimension 128 the two are equal (FlashAttention-4
/// is written around this balance), so head dimension 64 (GPT-OSS) waits on the
/// exponentials for twice its products' time; Hopper and Blackwell Ultra (twice the
/// exponential rate) stay bound by the products down to head dimension 64. The backward pass
/// (five products and one exponential a score) stays bound by its products. The fitted
/// attention efficiency applies on top, as measured at head dimension 128.
fn exponential_bound(spec: &ModelSpec, cluster: &Cluster) -> f64 {
    let Some(r) = tensor_flops_per_exponential(&cluster.accelerator, cluster.arch.as_deref()) else {
        return 1.0;
    };
    let per_score = match &spec.mla {
        Some(mla) => 2.0 * f64::from(mla.qk_nope_head_dim + mla.qk_rope_head_dim + mla.v_head_dim),
        None => 4.0 * f64::from(spec.head_dim),
    };
    if per_score > 0.0 { (r / per_score).max(1.0) } else { 1.0 }
}

impl Prepared {
    /// Precomputes the layout-independent quantities.
    #[must_use]
    pub fn new(
        spec: &ModelSpec,
        cluster: &Cluster,
        w: &Workload,
        calib: &Calibration,
        stack: &Stack,
    ) -> Prepared {
        let pc = spec.params();
        let layers = f64::from(spec.layers);
        let h = f64::from(spec.hidden);
        let (moe_layers, dense_layers, top_k, share, expert_ffn) = match &spec.moe {
            Some(m) => (
                f64::from(spec.layers - m.dense_layers),
                f64::from(m.dense_layers),
                f64::from(m.active) + f64::from(m.shared),
                f64::from(m.active) / f64::from(m.experts),
                f64::from(m.expert_ffn),
            ),
            None => (0.0, layers, 1.0, 1.0, 0.0),
        };
        let per = |total: f64, n: f64| if n > 0.0 { total / n } else { 0.0 };
        let dense_ffn_per_layer = per(pc.ffn, dense_layers);
        let experts_per_layer = per(pc.experts, moe_layers);
        let experts_active_per_layer = per(pc.experts_active, moe_layers);
        let attention_per_layer = (pc.attention + pc.norms) / layers;
        let dense_fraction = dense_layers / layers;
        let moe_fraction = moe_layers / layers;
        // Korthikanti et al.'s 34 rebuilt: attention 7 + 4·(kv width ÷ hidden), two norms 4,
        // MLP 3 + (4 for GELU, 6 for gated) × FFN width ÷ hidden (× top-k for MoE).
        let kv_ratio =
            if spec.mla.is_some() { 1.0 } else { f64::from(spec.kv_heads) * f64::from(spec.head_dim) / h };
        let per_width = match spec.ffn_kind {
            FfnKind::Gelu => 4.0,
            FfnKind::Swiglu | FfnKind::Geglu => 6.0,
        };
        let ffn_width = dense_fraction * f64::from(spec.ffn) + moe_fraction * top_k * expert_ffn;
        let seq = f64::from(w.seq_len);
        // Inputs of the block's GEMMs a low-precision recipe quantises, elements per token:
        // QKV and MLP-up inputs (h each), the attention output's input (heads·head_dim) and the
        // MLP-down input (the FFN width, × top-k for MoE).
        let quantised = if w.precision.bytes() < 2.0 {
            2.0 * h + f64::from(spec.heads) * f64::from(spec.head_dim) + ffn_width
        } else {
            0.0
        };
        // With a low-precision recipe Transformer Engine saves each GEMM's quantised input for
        // the weight-gradient GEMM (only the column-wise copy that GEMM reads, 1 byte an
        // element in FP8 / MXFP8, half in FP4) in place of the bf16 tensor (2 bytes): the
        // four inputs above shrink by `2 − bytes` each (TE `Linear` / `LayerNormLinear`
        // forward: the quantised `inputmat` is what is saved for backward).
        // Without dropout the two 1-byte masks (one in the attention's 7, one in the MLP's 3)
        // are not stored ([`Stack::dropout`]).
        let masks = if stack.dropout { 0.0 } else { 2.0 };
        // Biased experts: per routed copy, the probability-scaled second-layer bias
        // (`moe_expert_bias_bytes_per_hidden` per hidden element) and the first layer's bias
        // gradient (its bf16 output gradient read again: 2 bytes per element of the fc1 width,
        // `matrices − 1` expert widths).
        let expert_bias = if spec.bias && spec.moe.is_some() {
            let fc1_width = (spec.ffn_kind.matrices() - 1.0) * expert_ffn;
            f64::from(spec.moe.as_ref().map_or(0, |m| m.active))
                * (calib.moe_expert_bias_bytes_per_hidden * h + 2.0 * fc1_width)
        } else {
            0.0
        };
        // The recipe's recomputed modules ([`Stack::recompute_modules`]) drop their outputs
        // and re-run their forward before their backward. `layernorm`: each of the two norms'
        // output (the QKV and MLP-up GEMM input, stored at `b` bytes an element, the
        // quantised width of a low-precision recipe) is not kept, 2·b per hidden element; the
        // re-run reads the bf16 input and writes the output (2 + 2 bytes an element each).
        // `moe_act`: each routed copy's activation output (the fc2 input, `expert_ffn`
        // elements at `b` bytes) is not kept; the re-run reads fc1's output (`matrices − 1`
        // expert widths in bf16) and writes the activation (`b` bytes an element).
        let b = w.precision.bytes().min(2.0);
        let rm = stack.recompute_modules;
        let routed = spec.moe.as_ref().map_or(0.0, |m| f64::from(m.active));
        // A clamped gated activation (gpt-oss) in eagerly run experts: Megatron-Core clamps
        // the two halves of each routed copy's fc1 output and concatenates them with plain
        // PyTorch ops before the fused activation ([`CLAMPED_GLU_FORWARD_BYTES`], backward
        // [`CLAMPED_GLU_BACKWARD_BYTES`]), and the clamps keep the fc1 output for their
        // backward while the activation keeps the clamped copy: a second bf16 copy of it
        // stays in memory unless the activation is recomputed. The full-iteration recipes'
        // fused grouped MLP clamps inside its activation kernel (Transformer Engine's
        // `ScaledClampedQGeGLU` op): neither.
        // Each routed copy's fc1 output: `matrices − 1` expert widths (gate and up when gated).
        let fc1_width = (spec.ffn_kind.matrices() - 1.0) * expert_ffn;
        let clamped_elems =
            if spec.activation_clamp.is_some() && spec.moe.is_some() && !stack.moe_static_graphs {
                routed * fc1_width
            } else {
                0.0
            };
        let clamp_saved = if rm.moe_act { 0.0 } else { moe_fraction * clamped_elems * 2.0 / h };
        let (ln_saved, ln_bytes) = if rm.layernorm { (2.0 * b, 2.0 * 4.0 * h) } else { (0.0, 0.0) };
        let (act_saved, act_bytes) = if rm.moe_act && spec.moe.is_some() {
            (
                moe_fraction * routed * expert_ffn * b / h,
                moe_fraction
                    * (routed * (2.0 * fc1_width + b * expert_ffn)
                        + clamped_elems * CLAMPED_GLU_FORWARD_BYTES),
            )
        } else {
            (0.0, 0.0)
        };
        // `mla_up_proj`: the query and key-value up-projections re-run (2 FLOPs per weight:
        // `q_lora_rank → heads·(qk_nope + qk_rope)` and `kv_lora_rank → heads·(qk_nope + v)`),
        // and the attention core's query, key and value they produce are not kept (the
        // `2 + 4·kv_ratio` of the attention's activations).
        let (mla_saved, mla_flops) = match (&spec.mla, rm.mla_up_proj) {
            (Some(mla), true) => {
                let heads = f64::from(spec.heads);
                let q_width = heads * f64::from(mla.qk_nope_head_dim + mla.qk_rope_head_dim);
                let kv_width = heads * f64::from(mla.qk_nope_head_dim + mla.v_head_dim);
                let q_up = mla.q_lora_rank.map_or(0.0, |r| f64::from(r) * q_width);
                (2.0 + 4.0 * kv_ratio, 2.0 * (q_up + f64::from(mla.kv_lora_rank) * kv_width))
            }
            _ => (0.0, 0.0),
        };
        let activation_coefficient = 7.0 + 4.0 * kv_ratio + 4.0 + 3.0 + per_width * ffn_width / h
            - masks
            - quantised * (2.0 - w.precision.bytes()) / h
            - ln_saved
            - act_saved
            - mla_saved
            + clamp_saved;
        Prepared {
            layers,
            hidden: h,
            heads: f64::from(spec.heads),
            vocab: f64::from(spec.vocab),
            seq_len: seq,
            global_batch: f64::from(w.global_batch),
            attention_per_layer,
            dense_ffn_per_layer,
            experts_per_layer,
            dense_fraction,
            moe_fraction,
            embedding: pc.embedding,
            unembedding: if spec.tied_embeddings { f64::from(spec.vocab) * h } else { pc.unembedding },
            activation_coefficient,
            matmul_flops_per_token_layer: 2.0
                * (attention_per_layer
                    + dense_fraction * dense_ffn_per_layer
                    + moe_fraction * experts_active_per_layer),
            attention_flops_per_token_layer: attention_flops_per_token(spec, seq) / layers,
            output_flops_per_token: 2.0 * f64::from(spec.vocab) * h,
            model_flops_per_token: 3.0 * forward_flops_per_token(spec, seq),
            forward_flops_per_token: forward_flops_per_token(spec, seq),
            attention_flops_per_token: attention_flops_per_token(spec, seq),
            widest_ffn: if dense_layers > 0.0 { f64::from(spec.ffn) } else { h },
            expert_flops_per_token_layer: 2.0 * moe_fraction * experts_active_per_layer,
            expert_ffn,
            expert_token_share: share,
            experts: spec.moe.as_ref().map_or(0.0, |m| f64::from(m.experts)),
            routed_k: spec.moe.as_ref().map_or(0.0, |m| f64::from(m.active)),
            kv_dim: f64::from(spec.kv_heads) * f64::from(spec.head_dim),
            rope_dim: match &spec.mla {
                Some(mla) => (f64::from(spec.heads) + 1.0) * f64::from(mla.qk_rope_head_dim),
                None => f64::from(spec.heads + spec.kv_heads) * f64::from(spec.head_dim),
            },
            attention_exp_factor: exponential_bound(spec, cluster),
            reserved_gib: calib.reserved_gib,
            fragmentation: calib.fragmentation_fraction,
            quantised_per_token_layer: quantised,
            partial_recompute_bytes_per_token_layer: ln_bytes + act_bytes,
            partial_recompute_flops_per_token_layer: mla_flops,
            expert_bias_bytes_per_token_layer: expert_bias,
            clamp_bytes_per_token_layer: clamped_elems
                * (CLAMPED_GLU_FORWARD_BYTES + CLAMPED_GLU_BACKWARD_BYTES),
            logits_bytes: stack.logits_bytes,
            cluster: cluster.clone(),
            calib: measured_calibration(cluster, calib, seq),
            stack: *stack,
            measured_gemm: match &cluster.measured {
                Some(m) if !m.gemm.is_empty() => (0..7)
                    .map(|i| {
                        let (d, e) = gemm_mixes(spec, &m.gemm, 1 << i);
                        (1 << i, d, e)
                    })
                    .collect(),
                _ => Vec::new(),
            },
        }
    }

    /// The cluster.
    #[must_use]
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Whether the stack's attention is a fused kernel (scores never stored).
    pub(crate) fn flash_attention(&self) -> bool {
        self.stack.flash_attention
    }

    /// Model FLOPs per token trained (forward + backward, attention at the full sequence).
    #[must_use]
    pub fn model_flops_per_token(&self) -> f64 {
        self.model_flops_per_token
    }
}

/// Where a step's time goes, seconds. The parts on the critical path sum to the step time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct TimeBreakdown {
    /// GEMMs, attention core, elementwise kernels and launch overhead of all micro-batches
    /// (forward and backward), with what activation-offload copies leave exposed, excluding
    /// recomputation and the pipeline bubble.
    pub compute_s: f64,
    /// Recomputation.
    pub recompute_s: f64,
    /// Tensor-parallel collectives.
    pub tp_comm_s: f64,
    /// Expert-parallel all-to-alls.
    pub ep_comm_s: f64,
    /// Context-parallel ring exchanges not hidden behind attention.
    pub cp_comm_s: f64,
    /// Pipeline bubble: `(pp − 1)/vp` stage times.
    pub pp_bubble_s: f64,
    /// Pipeline point-to-point sends.
    pub pp_p2p_s: f64,
    /// Data-parallel gradient reduction (and ZeRO gathers) left exposed.
    pub dp_comm_s: f64,
    /// Optimizer step.
    pub optimizer_s: f64,
}

/// A layout evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    /// The layout.
    pub layout: Layout,
    /// GPUs used.
    pub gpus: u64,
    /// Micro-batches per pipeline per step.
    pub micro_batches: u32,
    /// Whether the memory fits the chip.
    pub fits: bool,
    /// Memory per GPU.
    pub memory: MemoryBreakdown,
    /// Seconds per optimizer step.
    pub step_time_s: f64,
    /// Parts of the step.
    pub time: TimeBreakdown,
    /// Tokens a second, all GPUs.
    pub tokens_per_s: f64,
    /// Tokens a second per GPU.
    pub tokens_per_s_per_gpu: f64,
    /// Model FLOP/s per GPU, TFLOP/s (no recomputation counted).
    pub model_tflops_per_gpu: f64,
    /// Hardware FLOP/s per GPU, TFLOP/s (recomputation counted).
    pub hardware_tflops_per_gpu: f64,
    /// Model FLOPs utilisation of the dense peak.
    pub mfu: f64,
    /// Hardware FLOPs utilisation of the dense peak.
    pub hfu: f64,
}

/// Time of a collective moving `bytes` per GPU over `n` ranks, `k` of them per server;
/// `factor` is 2 for an all-reduce, 1 for a reduce-scatter, all-gather or all-to-all.
fn collective(p: &Prepared, bytes: f64, n: u32, k: u32, factor: f64) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let c = &p.cluster;
    let cal = &p.calib;
    let k = f64::from(k.clamp(1, n));
    let nodes = f64::from(n) / k;
    let intra = if k > 1.0 {
        factor * (k - 1.0) / k * bytes / (c.scale_up_bytes_per_s * cal.scale_up_bus_efficiency)
    } else {
        0.0
    };
    let inter = if nodes > 1.0 {
        factor * (nodes - 1.0) / nodes * (bytes / k) / (c.scale_out_bytes_per_s * cal.collective_efficiency)
    } else {
        0.0
    };
    // Small-message latency by group size: an all-reduce's inside a server, or across
    // servers once the group spans them, growing with the tree's depth (log₂ of the servers:
    // the inter-server figure at 2 servers, 2.5× it at 16); the other collectives (factor 1)
    // take half.
    let alpha = if nodes > 1.0 {
        cal.collective_latency_inter_s * (1.0 + nodes.log2()) / 2.0
    } else {
        cal.collective_latency_s
    };
    intra + inter + factor / 2.0 * alpha
}

/// Time of an all-to-all in which each of `n` ranks, `k` of them per server, sends `bytes`
/// spread evenly over the group (MoE token dispatch or combine). Unlike a reduction, nothing
/// is combined inside the server first: the `(n − k)/n` of a rank's bytes bound for other
/// servers all leave through its own share of the NICs, while the `(k − 1)/n` for its server's
/// peers go over the scale-up fabric at the same time, so the slower of the two sets the time
/// (an all-to-all over InfiniBand is bounded by the NIC, near its line rate:
/// [`Calibration::all_to_all_efficiency`]), plus a send's latency.
fn all_to_all(p: &Prepared, bytes: f64, n: u32, k: u32) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    let c = &p.cluster;
    let cal = &p.calib;
    let (nf, kf) = (f64::from(n), f64::from(k.clamp(1, n)));
    let intra = bytes * (kf - 1.0) / nf / (c.scale_up_bytes_per_s * cal.scale_up_bus_efficiency);
    let inter = bytes * (nf - kf) / nf / (c.scale_out_bytes_per_s * cal.all_to_all_efficiency);
    let alpha = if nf > kf {
        cal.collective_latency_inter_s * (1.0 + (nf / kf).log2()) / 2.0
    } else {
        cal.collective_latency_s
    };
    intra.max(inter) + alpha / 2.0
}

/// Time of one MoE dispatch (or combine) of `bytes` of activations per GPU (one copy of
/// each token) over an expert-parallel group of `n` ranks, `k` per server. Each token goes to
/// `top_k` routed experts spread evenly over the group (shared experts run where the token
/// is). The `alltoall` dispatcher sends every copy: `top_k · bytes`. A hierarchical dispatcher (DeepEP, HybridEP) sends a token once to each
/// remote server holding one of its experts: with `N = n/k` servers the expected number of
/// other servers a token reaches is `(N − 1)·(1 − (1 − 1/N)^top_k)` (each expert falls in a
/// given server with probability `1/N`), against `top_k·(N − 1)/N` copies.
fn dispatch(p: &Prepared, bytes: f64, n: u32, k: u32) -> f64 {
    let kf = f64::from(k.clamp(1, n));
    let servers = f64::from(n) / kf;
    let copies = p.routed_k;
    if p.stack.hierarchical_dispatch && servers > 1.0 {
        let remote = (servers - 1.0) * (1.0 - (1.0 - 1.0 / servers).powf(copies));
        // The same time as a plain all-to-all whose remote share carries `remote` copies.
        let inter_bytes = bytes * remote;
        let intra_bytes = bytes * copies * (kf - 1.0) / f64::from(n);
        let c = &p.cluster;
        let cal = &p.calib;
        let intra = intra_bytes / (c.scale_up_bytes_per_s * cal.scale_up_bus_efficiency);
        let inter = inter_bytes / (c.scale_out_bytes_per_s * cal.all_to_all_efficiency);
        let alpha = cal.collective_latency_inter_s * (1.0 + servers.log2()) / 2.0;
        intra.max(inter) + alpha / 2.0
    } else {
        all_to_all(p, bytes * copies, n, k)
    }
}

/// Ranks of a group of `size` with `stride` between neighbours that share a server.
fn per_node(node: u32, stride: u32, size: u32) -> u32 {
    if stride >= node { 1 } else { (node / stride).min(size).max(1) }
}

/// Evaluates a layout (assumed valid: see [`Layout::check`]).
#[must_use]
pub fn evaluate(p: &Prepared, l: &Layout) -> Evaluation {
    let c = &p.cluster;
    let cal = &p.calib;
    let (tp, pp, dp, cp, ep, vp) = (l.tp, l.pp, l.dp, l.cp, l.ep, l.vp);
    let t = f64::from(tp);
    // Micro-batches of the slowest replica: with uneven micro-batches (`Layout::uneven_batch`)
    // some replicas run one more, and the step waits for them.
    let m = if l.uneven_batch {
        (p.global_batch / f64::from(l.micro_batch) / f64::from(dp)).ceil().max(1.0)
    } else {
        (p.global_batch / (f64::from(dp) * f64::from(l.micro_batch))).max(1.0)
    };
    let tokens = p.seq_len / f64::from(cp) * f64::from(l.micro_batch);

    // Compute of one layer, forward. Dense GEMMs (attention projections, dense FFN) run at
    // the efficiency of their smallest dimension; expert GEMMs are grouped GEMMs whose row
    // count is the tokens each local expert receives (`tokens·k/E` from each of the `ep`
    // ranks), so small experts at small batches run well below the chip's large-GEMM rate.
    // Measured curves, where the cluster has them, give both at the rows M of each GEMM.
    let half = cal.gemm_half_dim;
    let measured = p.measured_gemm.iter().find(|(d, _, _)| *d == tp);
    let dim = tokens.min(p.hidden / t).min(p.widest_ffn / t);
    let eta = match measured {
        Some((_, mix, _)) if !mix.is_empty() => mix.at(tokens),
        _ => c.gemm_efficiency * dim / (dim + half),
    };
    let dense_flops = p.matmul_flops_per_token_layer - p.expert_flops_per_token_layer;
    let mut gemm = tokens * dense_flops / t / (c.peak_flops * eta);
    if p.moe_fraction > 0.0 {
        // With expert tensor parallelism below tp the TP ranks split the tokens instead of
        // the experts (etp/tp of them each): fewer rows per expert GEMM, the same FLOPs a GPU.
        let etp = f64::from(l.expert_tp());
        let rows = (tokens * etp / t * p.expert_token_share * f64::from(ep)).max(1.0);
        let d = rows.min(p.expert_ffn).min(p.hidden);
        let eta_e = match measured {
            Some((_, _, mix)) if !mix.is_empty() => mix.at(rows),
            _ => c.gemm_efficiency * d / (d + half),
        };
        gemm += tokens * p.expert_flops_per_token_layer / t / (c.peak_flops * eta_e);
    }
    // A fused (FlashAttention) kernel skips the masked half of causal attention; the FLOPs
    // counted are the full `s²` ones (PaLM's convention), so it does half of them. Unfused
    // attention computes every score, then masks.
    let st = &p.stack;
    let causal = if st.flash_attention { 0.5 } else { 1.0 };
    let attn = causal * tokens * p.attention_flops_per_token_layer
        / t
        / (c.attention_peak_flops * cal.attention_efficiency_for(c.arch.as_deref()));
    // The fused kernel's forward pass may wait on the softmax's exponentials
    // ([`exponential_bound`]); its backward pass does not.
    let attn_f = if st.flash_attention { attn * p.attention_exp_factor } else { attn };
    let attn_bwd = if st.flash_attention { cal.attention_backward_ratio } else { 2.0 };
    let score_bytes = if st.flash_attention { 0.0 } else { SCORE_BYTES * p.heads * p.seq_len };
    let per_hidden =
        if st.fused_elementwise { cal.elementwise_bytes_fused } else { cal.elementwise_bytes_unfused };
    let bw_mem = c.hbm_bytes_per_s * cal.memory_efficiency;
    let scores = tokens * score_bytes / t / bw_mem;
    let permute =
        p.moe_fraction * tokens * p.routed_k * cal.moe_permute_bytes_per_hidden * p.hidden / t / bw_mem;
    let casts = tokens * p.quantised_per_token_layer * cal.quantise_bytes_per_element / t / bw_mem;
    // The experts' bias traffic is counted forward and backward together; the step charges a
    // forward pass's memory traffic three times (forward, backward twice), so a third here.
    // The full-iteration recipes run the experts through Transformer Engine's fused grouped
    // MLP, which scales the fc2 bias inside the grouped GEMM: no separate pass.
    let expert_bias = if p.stack.moe_static_graphs {
        0.0
    } else {
        p.moe_fraction * tokens * p.expert_bias_bytes_per_token_layer / 3.0 / t / bw_mem
    };
    // The clamped activation's eager passes, forward and backward together: a third here too.
    let clamp = p.moe_fraction * tokens * p.clamp_bytes_per_token_layer / 3.0 / t / bw_mem;
    // Unfused RoPE: its bytes are forward and backward together, so a third here too.
    let rope =
        if st.rope_unfused { tokens * p.rope_dim * UNFUSED_ROPE_BYTES / 3.0 / t / bw_mem } else { 0.0 };
    let elem =
        tokens * per_hidden * p.hidden / t / bw_mem + scores + permute + casts + expert_bias + clamp + rope;
    // Host-side work of a MoE layer grows with the experts each GPU holds (`E/ep`, × etp/tp
    // when expert tensor parallelism is narrower than tp): one GEMM launch set and split per
    // local expert, behind a host synchronisation on the routed token counts.
    let local_experts = p.experts / f64::from(ep) * f64::from(l.expert_tp()) / t;
    let moe_host = if p.stack.moe_static_graphs {
        0.0
    } else {
        p.moe_fraction * local_experts * cal.moe_expert_overhead_s
    };
    let compute_f = gemm + attn_f + elem + cal.layer_overhead_s + moe_host;
    // Forward plus backward of one layer: twice the forward for everything but the fused
    // attention kernel, whose backward takes `attention_backward_ratio` times its forward.
    let fwd_bwd = 3.0 * (compute_f - attn_f) + attn_f + attn_bwd * attn;

    // Communication of one layer, forward (the backward pass repeats it).
    let act_bytes = tokens * p.hidden * 2.0;
    let oi = cal.overlap_interference;
    let tp_f = if tp > 1 {
        let raw = 2.0 * collective(p, act_bytes, tp, tp.min(c.node_size), 2.0);
        // Transformer Engine's comm+GEMM overlap (Userbuffers) needs the TP group inside one
        // NVLink domain (CUDA IPC / multicast handles): a group spanning servers runs its
        // collectives exposed (TransformerEngine issue #1071).
        let hidden = if st.tp_comm_overlap && tp <= c.node_size { cal.tp_overlap_fraction } else { 0.0 };
        raw * (1.0 - hidden) + oi * raw * hidden
    } else {
        0.0
    };
    let ep_f = if ep > 1 && p.moe_fraction > 0.0 {
        // Expert-parallel ranks sit tp·cp apart with etp = tp; with a smaller etp the group
        // runs through the TP ranks too, etp apart.
        let stride = if l.expert_tp() == tp { tp.saturating_mul(cp) } else { l.expert_tp() };
        let k = per_node(c.node_size, stride, ep);
        p.moe_fraction * 2.0 * dispatch(p, act_bytes / t, ep, k)
    } else {
        0.0
    };
    // Context parallelism: a ring of cp − 1 steps passes each rank's keys and values (2 bytes
    // each) around, inside the server at the scale-up bus rate, across servers at the NIC's
    // point-to-point rate, hidden behind the attention it feeds; the backward pass sends twice
    // the bytes (the gradients too) behind the attention backward (`attention_backward_ratio`
    // times the forward).
    let cp_ring = |bytes_factor: f64, window: f64| {
        if cp <= 1 {
            return 0.0;
        }
        let kv = tokens * 2.0 * p.kv_dim * 2.0 / t;
        let k = per_node(c.node_size, tp, cp);
        let bw = if k >= cp {
            c.scale_up_bytes_per_s * cal.scale_up_bus_efficiency
        } else {
            c.scale_out_bytes_per_s * cal.p2p_efficiency
        };
        let ring = bytes_factor * f64::from(cp - 1) * kv / bw;
        (ring - window).max(0.0) + oi * ring.min(window)
    };
    let cp_f = cp_ring(1.0, attn_f);
    let cp_b = cp_ring(2.0, attn_bwd * attn);
    let comm_f = tp_f + ep_f + cp_f;
    // A layer's expert all-to-alls, forward and backward. Overlapped (the stack's
    // `ep_comm_overlap`), one micro-batch's dispatch and combine run beneath another's compute
    // of the same layer (its backward pass under the other's forward and the other way round):
    // what outlasts that compute is exposed, plus the interference of what hides.
    let ep_layer = if st.ep_comm_overlap {
        let window = fwd_bwd;
        let oi_ep = cal.ep_overlap_interference;
        (2.0 * ep_f - window).max(0.0) + oi_ep * (2.0 * ep_f).min(window)
    } else {
        2.0 * ep_f
    };
    // Activation offload: an offloaded layer's activations go to host memory during its
    // forward pass and come back during the backward pass of the layer after it, each copy
    // hidden behind that compute where the host link keeps up (plus the interference of the
    // copy engines' HBM traffic).
    let offload = if l.offload_layers > 0 {
        let copy = activation_bytes_per_layer(p, l, l.recompute) / c.host_bytes_per_s;
        let hide = |window: f64| (copy - window).max(0.0) + oi * copy.min(window);
        hide(compute_f) + hide(fwd_bwd - compute_f)
    } else {
        0.0
    };
    // Selective recomputation re-runs the attention core forward: the fused kernel, or the
    // unfused QKᵀ, softmax, dropout and AV with their score traffic (Korthikanti et al. 2022,
    // section 4.2.2).
    // The recipe's recomputed modules ([`Stack::recompute_modules`]) re-run their forward
    // under either of the other options; full recomputation already re-runs them.
    let partial = tokens * p.partial_recompute_bytes_per_token_layer / t / bw_mem
        + tokens * p.partial_recompute_flops_per_token_layer / t / (c.peak_flops * eta);
    let recompute = match l.recompute {
        Recompute::Full => compute_f + comm_f,
        Recompute::Selective => attn_f + scores + partial,
        Recompute::None => partial,
    };
    // The output layer (logits GEMM) runs in 16 bits under every recipe: Megatron-Core builds
    // it as its own `tensor_parallel.ColumnParallelLinear` (`GPTModel.output_layer`,
    // `megatron/core/models/gpt/gpt_model.py`; its `LinearCrossEntropyModule` subclass in later
    // releases), not a Transformer Engine module, so an FP8,
    // MXFP8 or NVFP4 autocast leaves it at the chip's BF16 rate (`attention_peak_flops`: the
    // dense BF16 peak, capped at the recipe's).
    let output = 3.0 * tokens * p.output_flops_per_token / t / (c.attention_peak_flops * c.gemm_efficiency)
        + 3.0 * tokens * p.vocab * 4.0 / t / (c.hbm_bytes_per_s * cal.memory_efficiency);
    // The slowest stage sets the pace. An even split: the last stage's layers plus the output
    // layer (and loss). Uneven (Megatron-Core): the first stage's layers plus the embedding
    // (its lookup and gradient, a few bytes a hidden element), each middle stage's layers, or
    // the last's plus the output; each stage's work is its layers' plus its ends'.
    let (layers, ends) = if l.uneven() {
        let (f, mid, la) = (
            f64::from(l.first_stage_layers),
            if pp > 2 {
                (p.layers - f64::from(l.first_stage_layers) - f64::from(l.last_stage_layers))
                    / f64::from(pp - 2)
            } else {
                0.0
            },
            f64::from(l.last_stage_layers),
        );
        let per_layer = fwd_bwd + recompute + 2.0 * tp_f + ep_layer + cp_f + cp_b;
        let embed = 3.0 * tokens * p.hidden * 4.0 / t / (c.hbm_bytes_per_s * cal.memory_efficiency);
        let first = f * per_layer + embed;
        let last = la * per_layer + output;
        let middle = mid * per_layer;
        if last >= first && last >= middle {
            (la, output)
        } else if first >= middle {
            (f, embed)
        } else {
            (mid, 0.0)
        }
    } else {
        (p.layers / f64::from(pp), output)
    };
    let stage_compute = layers * fwd_bwd + ends;
    let stage_recompute = layers * recompute;
    let stage_offload = f64::from(l.offload_layers).min(layers) * offload;
    let stage_tp = layers * 2.0 * tp_f;
    let stage_ep = layers * ep_layer;
    let stage_cp = layers * (cp_f + cp_b);
    let stage = stage_compute + stage_recompute + stage_tp + stage_ep + stage_cp + stage_offload;
    let bubble = f64::from(pp - 1) / f64::from(vp) * stage;

    // Pipeline sends: activations forward, gradients backward, vp times per micro-batch.
    let p2p = if pp > 1 {
        let crosses = tp.saturating_mul(cp).saturating_mul(dp) >= c.node_size;
        let (bw, alpha) = if crosses {
            (c.scale_out_bytes_per_s * cal.collective_efficiency, cal.collective_latency_inter_s)
        } else {
            (c.scale_up_bytes_per_s * cal.scale_up_bus_efficiency, cal.collective_latency_s)
        };
        m * 2.0 * f64::from(vp) * (act_bytes / t / bw + alpha / 2.0)
    } else {
        0.0
    };

    // Data-parallel gradient reduction (the stack's gradient bytes: fp32 by default, bf16 where
    // the recipe sets `grad_reduce_in_fp32 = False`) and
    // ZeRO parameter gathers (bf16). ZeRO-0/1 reduce once a step, overlapped with the last
    // micro-batch's backward pass; ZeRO-2/3 keep only a gradient shard, so they reduce-scatter
    // every micro-batch, and ZeRO-3 also gathers the weights before each forward and backward,
    // each overlapped with that micro-batch's compute.
    let params = params_per_gpu(p, l);
    let g = st.grad_reduce_bytes;
    let group = dp.saturating_mul(cp);
    let k = per_node(c.node_size, tp, group);
    let per_mb_backward = layers * (fwd_bwd - compute_f + comm_f);
    // Communication `comm` hidden behind `window` seconds of compute: what sticks out, plus
    // the interference of what hides.
    let exposed = |comm: f64, window: f64| (comm - window).max(0.0) + oi * comm.min(window);
    let dp_exposed = match l.zero {
        0 => exposed(collective(p, g * params, group, k, 2.0), per_mb_backward),
        1 => {
            let rs_ag = collective(p, g * params, group, k, 1.0) + collective(p, 2.0 * params, group, k, 1.0);
            exposed(rs_ag, per_mb_backward)
        }
        2 => {
            let rs = collective(p, g * params, group, k, 1.0);
            m * exposed(rs, per_mb_backward) + collective(p, 2.0 * params, group, k, 1.0)
        }
        _ if l.hsdp => {
            // Shard inside the server, then all-reduce each shard's gradients across the
            // servers' replicas once a step (overlapped with the last backward pass).
            let s = shard_ranks(p, l) as u32;
            let rs = collective(p, g * params, s, s, 1.0);
            let ag = collective(p, 2.0 * params, s, s, 1.0);
            let replicas = (group / s.max(1)).max(1);
            let across = collective(p, g * params / f64::from(s.max(1)), replicas, 1, 2.0);
            m * exposed(rs + 2.0 * ag, stage) + exposed(across, per_mb_backward)
        }
        _ => {
            let rs = collective(p, g * params, group, k, 1.0);
            let ag = collective(p, 2.0 * params, group, k, 1.0);
            m * exposed(rs + 2.0 * ag, stage)
        }
    };

    let sharded = if l.zero >= 1 { params / shard_ranks(p, l) } else { params };
    let optimizer = sharded * 30.0 / (c.hbm_bytes_per_s * cal.memory_efficiency);

    let pipeline = m * stage + bubble;
    let step = pipeline + p2p + dp_exposed + optimizer;
    let gpus = l.gpus();
    let g = gpus as f64;
    let tokens_step = p.global_batch * p.seq_len;
    let model_flops = p.model_flops_per_token * tokens_step;
    let partial_flops = p.layers * p.partial_recompute_flops_per_token_layer;
    let hw_extra = match l.recompute {
        Recompute::Full => p.forward_flops_per_token,
        Recompute::Selective => p.attention_flops_per_token + partial_flops,
        Recompute::None => partial_flops,
    } * tokens_step;
    let micro_batches = m as u32;
    let mem = memory(p, l, micro_batches);
    Evaluation {
        layout: *l,
        gpus,
        micro_batches,
        fits: mem.total_gib <= c.memory_gib,
        memory: mem,
        step_time_s: step,
        time: TimeBreakdown {
            compute_s: m * (stage_compute + stage_offload),
            recompute_s: m * stage_recompute,
            tp_comm_s: m * stage_tp,
            ep_comm_s: m * stage_ep,
            cp_comm_s: m * stage_cp,
            pp_bubble_s: bubble,
            pp_p2p_s: p2p,
            dp_comm_s: dp_exposed,
            optimizer_s: optimizer,
        },
        tokens_per_s: tokens_step / step,
        tokens_per_s_per_gpu: tokens_step / step / g,
        model_tflops_per_gpu: model_flops / step / g / 1e12,
        hardware_tflops_per_gpu: (model_flops + hw_extra) / step / g / 1e12,
        mfu: model_flops / step / g / c.peak_flops,
        hfu: (model_flops + hw_extra) / step / g / c.peak_flops,
    }
}

#[cfg(test)]
mod tests {
    use super::exponential_bound;
    use crate::catalog::Catalog;
    use crate::model::{Mla, ModelSpec};
    use crate::precision::Precision;
    use crate::train::{Calibration, Cluster};

    #[test]
    fn softmax_exponentials_bound_small_heads_on_b200_only() {
        let c = Catalog::builtin().expect("catalog");
        let cal = Calibration::default();
        let chip = |id: &str| Cluster::new(&c, id, None, Precision::Bf16, &cal).expect(id);
        let heads = |d: u32| ModelSpec { head_dim: d, ..ModelSpec::default() };
        // B200: 512 tensor FLOPs an exponential against 4·64 = 256 FLOPs a score at head
        // dimension 64 (GPT-OSS), so twice the products' time; balanced at 128.
        assert!((exponential_bound(&heads(64), &chip("b200")) - 2.0).abs() < 1e-12);
        assert!((exponential_bound(&heads(128), &chip("b200")) - 1.0).abs() < 1e-12);
        // Twice the exponential rate (B300) or half the tensor rate (H100): products bound.
        for id in ["b300", "gb300", "h100-sxm"] {
            assert!((exponential_bound(&heads(64), &chip(id)) - 1.0).abs() < 1e-12, "{id}");
        }
        // MLA's 192-wide query-key and 128-wide value heads: 640 FLOPs a score.
        let mla = ModelSpec {
            mla: Some(Mla {
                q_lora_rank: Some(1536),
                kv_lora_rank: 512,
                qk_nope_head_dim: 128,
                qk_rope_head_dim: 64,
                v_head_dim: 128,
            }),
            ..ModelSpec::default()
        };
        assert!((exponential_bound(&mla, &chip("gb200")) - 1.0).abs() < 1e-12);
    }
}
