//! LoRA and QLoRA (Hu et al. 2021, arXiv:2106.09685; Dettmers et al. 2023, arXiv:2305.14314).
//!
//! - Trainable parameters: each adapted `d_in → d_out` projection gains `r·(d_in + d_out)`.
//! - Memory: frozen base weights at their precision (bf16 2 bytes; int8 1; NF4 4 bits plus
//!   0.127 bits of double-quantised constants), adapters with fp32 weights, gradients and
//!   Adam states (16 bytes each), activations as in full training (the backward pass still
//!   needs them for the input gradients), logits, and for QLoRA one layer dequantised to bf16.
//! - FLOPs per token: forward `F` and activation gradients `≈ F` through the frozen base, but
//!   no weight gradients for it; adapters add `6·P_lora`. So `2F + 6·P_lora` against full
//!   fine-tuning's `3F`: about two thirds.
//! - Time: the training planner's evaluation of the same model, layout and batch, its compute
//!   scaled by that FLOP ratio, with the optimizer and gradient reduction of the adapters only,
//!   plus QLoRA's dequantisation traffic.

use serde::Serialize;

use crate::model::{ModelSpec, forward_flops_per_token};
use crate::train::{Cluster, Evaluation, Layout, Prepared, Recompute, evaluate, memory_parts};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// A projection LoRA can adapt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Query projection.
    Q,
    /// Key projection.
    K,
    /// Value projection.
    V,
    /// Attention output projection.
    O,
    /// Gate projection of a gated MLP.
    Gate,
    /// Up projection (first MLP matrix).
    Up,
    /// Down projection (second MLP matrix).
    Down,
}

/// Parses `attention`, `mlp`, `all`, or a comma list of `q,k,v,o,gate,up,down` (the
/// `q_proj`-style names are accepted too).
///
/// # Errors
/// The unknown name and what is accepted.
pub fn parse_targets(s: &str) -> Result<Vec<Target>, String> {
    let accepted = "attention, mlp, all, or a list of q, k, v, o, gate, up, down";
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let name = part.strip_suffix("_proj").unwrap_or(part);
        match name {
            "attention" => out.extend([Target::Q, Target::K, Target::V, Target::O]),
            "mlp" => out.extend([Target::Gate, Target::Up, Target::Down]),
            "all" => out.extend([
                Target::Q,
                Target::K,
                Target::V,
                Target::O,
                Target::Gate,
                Target::Up,
                Target::Down,
            ]),
            "q" => out.push(Target::Q),
            "k" => out.push(Target::K),
            "v" => out.push(Target::V),
            "o" => out.push(Target::O),
            "gate" => out.push(Target::Gate),
            "up" | "fc1" => out.push(Target::Up),
            "down" | "fc2" => out.push(Target::Down),
            other => return Err(format!("unknown target module `{other}`: {accepted}")),
        }
    }
    out.dedup();
    if out.is_empty() {
        return Err(format!("no target modules: {accepted}"));
    }
    Ok(out)
}

/// Trainable LoRA parameters: Σ over layers and adapted projections of `r·(d_in + d_out)`.
/// A gate target is skipped on models without a gated MLP; MoE experts each get adapters.
///
/// # Errors
/// A rank of 0 or above the hidden size; attention targets on an MLA model.
pub fn lora_params(spec: &ModelSpec, rank: u32, targets: &[Target]) -> Result<f64, String> {
    if rank == 0 || rank > spec.hidden {
        return Err(format!("rank {rank}: from 1 to the hidden size ({})", spec.hidden));
    }
    let r = f64::from(rank);
    let h = f64::from(spec.hidden);
    let q = f64::from(spec.heads) * f64::from(spec.head_dim);
    let kv = f64::from(spec.kv_heads) * f64::from(spec.head_dim);
    let gated = spec.ffn_kind != crate::model::FfnKind::Gelu;
    let (ffn, mlps) = match &spec.moe {
        Some(m) => (f64::from(m.expert_ffn), f64::from(m.experts) + f64::from(m.shared)),
        None => (f64::from(spec.ffn), 1.0),
    };
    let mut per_layer = 0.0;
    for t in targets {
        if spec.mla.is_some() && matches!(t, Target::Q | Target::K | Target::V | Target::O) {
            return Err("attention targets on a multi-head-latent-attention model are not modelled".into());
        }
        per_layer += match t {
            Target::Q | Target::O => r * (h + q),
            Target::K | Target::V => r * (h + kv),
            Target::Gate if gated => mlps * r * (h + ffn),
            Target::Gate => 0.0,
            Target::Up | Target::Down => mlps * r * (h + ffn),
        };
    }
    Ok(per_layer * f64::from(spec.layers))
}

/// Precision of the frozen base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseWeights {
    /// bfloat16 (LoRA).
    Bf16,
    /// 8-bit integer.
    Int8,
    /// 4-bit NormalFloat with double quantisation (QLoRA).
    Nf4,
}

impl BaseWeights {
    /// Bytes a frozen parameter takes: NF4 is 4 bits plus 0.127 bits of constants.
    #[must_use]
    pub fn bytes(self) -> f64 {
        match self {
            BaseWeights::Bf16 => 2.0,
            BaseWeights::Int8 => 1.0,
            BaseWeights::Nf4 => (4.0 + 0.127) / 8.0,
        }
    }
}

/// A LoRA/QLoRA job.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraSpec {
    /// Rank.
    pub rank: u32,
    /// Adapted projections.
    pub targets: Vec<Target>,
    /// Frozen base precision.
    pub base: BaseWeights,
    /// GPUs (data parallel; the frozen base is sharded over them when one cannot hold it).
    pub gpus: u32,
    /// Sequences per GPU per micro-step.
    pub micro_batch: u32,
    /// Sequences per optimizer step, all GPUs.
    pub global_batch: u32,
    /// Tokens per sequence.
    pub seq_len: u32,
    /// Gradient checkpointing (recompute each layer in the backward pass).
    pub checkpointing: bool,
    /// With checkpointing, each layer's checkpointed input copied to host memory in the
    /// forward pass and back for the backward pass (Unsloth's `use_gradient_checkpointing =
    /// "unsloth"`): the GPU holds two checkpoints (the one in use and the one arriving) instead
    /// of one per layer, and the copies cross the host link.
    pub offload_checkpoints: bool,
    /// The loss computed block by block without storing the logits (Cut Cross-Entropy,
    /// Wijmans et al. 2024, arXiv:2411.09009, which Unsloth and Liger run): no logits memory.
    pub fused_loss: bool,
    /// Training tokens in total (examples × length × epochs).
    pub tokens: f64,
}

/// The result.
#[derive(Debug, Clone, Serialize)]
pub struct LoraPlan {
    /// Trainable parameters.
    pub trainable_params: f64,
    /// Whether the base is sharded over the GPUs.
    pub sharded: bool,
    /// Memory per GPU, GiB, by part.
    pub memory: LoraMemory,
    /// Whether it fits.
    pub fits: bool,
    /// Model FLOPs per token (no recomputation).
    pub flops_per_token: f64,
    /// Full fine-tuning's model FLOPs per token, for comparison.
    pub full_flops_per_token: f64,
    /// Seconds per optimizer step.
    pub step_time_s: f64,
    /// Seconds per step by part.
    pub breakdown: LoraTime,
    /// Steps for the token budget.
    pub steps: f64,
}

/// Memory per GPU, GiB.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LoraMemory {
    /// Frozen base weights.
    pub base_weights_gib: f64,
    /// Adapter weights, gradients and Adam states.
    pub adapters_gib: f64,
    /// Activations.
    pub activations_gib: f64,
    /// Logits of a micro-batch, fp32.
    pub logits_gib: f64,
    /// A dequantised layer (QLoRA) or a gathered layer (sharded base).
    pub layer_buffer_gib: f64,
    /// Context and allocator reserve.
    pub reserved_gib: f64,
    /// Sum.
    pub total_gib: f64,
}

/// Step time by part, seconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LoraTime {
    /// Forward and activation-gradient compute through the base, and the adapters.
    pub compute_s: f64,
    /// Recomputation under gradient checkpointing.
    pub recompute_s: f64,
    /// Dequantising NF4/int8 weights to bf16 (memory-bound).
    pub dequantise_s: f64,
    /// Gathering a sharded base, reducing adapter gradients, and offloaded checkpoints' copies
    /// where they outlast the compute they overlap.
    pub comm_s: f64,
    /// Adapter optimizer.
    pub optimizer_s: f64,
}

/// Bytes the backward pass of one recomputed layer holds beside its activations: the
/// gradients of the feed-forward intermediates (for a gated FFN the gate and up outputs, both
/// live when the activation's backward runs; bf16, 2 bytes each) for `tokens` tokens. For MoE
/// each token's routed and shared experts' intermediates.
fn backward_working_set(spec: &ModelSpec, tokens: f64) -> f64 {
    let per_token = match &spec.moe {
        Some(m) => f64::from(m.active + m.shared) * f64::from(m.expert_ffn),
        None => f64::from(spec.ffn),
    };
    let tensors = spec.ffn_kind.matrices() - 1.0;
    tensors * 2.0 * per_token * tokens
}

/// Plans a LoRA or QLoRA job on `cluster`; `prepared` is the training planner's preparation
/// of the same model, cluster and workload (global batch, sequence length).
///
/// # Errors
/// A bad rank or target (see [`lora_params`]).
pub fn plan_lora(
    spec: &ModelSpec,
    cluster: &Cluster,
    job: &LoraSpec,
    prepared: &Prepared,
) -> Result<LoraPlan, String> {
    plan_lora_model_parallel(spec, cluster, job, prepared, 1, 1)
}

/// [`plan_lora`] with the frozen base split `tp` ways by tensor parallelism and over `pp`
/// pipeline stages (`job.gpus` = tp · pp · data-parallel replicas): the evaluation of that
/// layout scaled to LoRA's FLOPs, plus its tensor-parallel collectives and pipeline sends,
/// which the frozen base still needs; weights, adapters and their states split tp · pp ways.
///
/// # Errors
/// A bad rank or target, or `tp · pp` not dividing the GPUs.
pub fn plan_lora_model_parallel(
    spec: &ModelSpec,
    cluster: &Cluster,
    job: &LoraSpec,
    prepared: &Prepared,
    tp: u32,
    pp: u32,
) -> Result<LoraPlan, String> {
    let trainable = lora_params(spec, job.rank, &job.targets)?;
    let pc = spec.params();
    let recompute = if job.checkpointing { Recompute::Full } else { Recompute::Selective };
    let (tp, pp) = (tp.max(1), pp.max(1));
    if job.gpus % (tp * pp) != 0 {
        return Err(format!("tp × pp ({tp} × {pp}) must divide the GPUs ({})", job.gpus));
    }
    let model_parallel = f64::from(tp) * f64::from(pp);
    let dp = job.gpus / (tp * pp);
    let per_gpu_batch = job.global_batch / dp.max(1);
    // Quantised bases (bitsandbytes int8 / NF4) keep the embedding and the output projection
    // in 16 bits; only the blocks' linear layers are quantised.
    let ends = pc.embedding + pc.unembedding;
    let base_bytes = match job.base {
        BaseWeights::Bf16 => pc.total * 2.0,
        b => (pc.total - ends) * b.bytes() + ends * 2.0,
    };
    let one_gpu = (base_bytes + trainable * 16.0) / model_parallel / GIB;
    let sharded = dp > 1 && one_gpu > cluster.memory_gib * 0.6;
    let layout = Layout::model_and_data_parallel(
        tp,
        pp,
        dp,
        job.micro_batch.min(per_gpu_batch.max(1)),
        recompute,
        if sharded { 3 } else { 0 },
    );
    let e: Evaluation = evaluate(prepared, &layout);
    let (mut act_bytes, mut logits_bytes) = memory_parts(prepared, &layout);
    // A checkpoint is one layer's bf16 input: 2 bytes × tokens × hidden ÷ tp.
    let checkpoint =
        2.0 * f64::from(job.seq_len) * f64::from(layout.micro_batch) * f64::from(spec.hidden) / f64::from(tp);
    let stage_layers = f64::from(spec.layers) / f64::from(pp);
    let offloaded = job.checkpointing && job.offload_checkpoints;
    if offloaded {
        act_bytes -= (stage_layers - 2.0).max(0.0) * checkpoint;
    }
    if job.checkpointing {
        act_bytes += backward_working_set(spec, f64::from(job.seq_len) * f64::from(layout.micro_batch))
            / f64::from(tp);
    }
    if job.fused_loss {
        logits_bytes = 0.0;
    }
    let shard = if sharded { f64::from(dp) } else { 1.0 } * model_parallel;
    let layer_params = pc.total / f64::from(spec.layers);
    let layer_buffer = match (job.base, sharded) {
        (BaseWeights::Bf16, false) => 0.0,
        _ => layer_params * 2.0,
    };
    let reserved = 1.5;
    let memory = LoraMemory {
        base_weights_gib: base_bytes / shard / GIB,
        adapters_gib: trainable * 16.0 / model_parallel / GIB,
        activations_gib: act_bytes / GIB,
        logits_gib: logits_bytes / GIB,
        layer_buffer_gib: layer_buffer / GIB,
        reserved_gib: reserved,
        total_gib: 0.0,
    };
    let total = memory.base_weights_gib
        + memory.adapters_gib
        + memory.activations_gib
        + memory.logits_gib
        + memory.layer_buffer_gib
        + reserved;
    let memory = LoraMemory { total_gib: total, ..memory };

    let fwd = forward_flops_per_token(spec, f64::from(job.seq_len));
    let full = 3.0 * fwd;
    let lora = 2.0 * fwd + 6.0 * trainable;
    let ratio = lora / full;
    let tokens_step = f64::from(job.global_batch) * f64::from(job.seq_len);
    let m = f64::from(e.micro_batches.max(1));
    let passes = if job.checkpointing { 3.0 } else { 2.0 };
    let dequantise_s = match job.base {
        BaseWeights::Bf16 => 0.0,
        b => m * passes * pc.total / shard.max(1.0) * (b.bytes() + 4.0) / (cluster.hbm_bytes_per_s * 0.7),
    };
    let gather_s = if sharded {
        // Each micro-batch gathers the frozen base for forward and backward, overlapped with
        // that micro-batch's compute; the part that sticks out is charged.
        let per = base_bytes / model_parallel * (f64::from(dp) - 1.0)
            / f64::from(dp)
            / (cluster.scale_out_bytes_per_s * 0.6);
        (m * passes * per - (e.time.compute_s + e.time.recompute_s) * ratio).max(0.0)
    } else {
        0.0
    };
    // Offloaded checkpoints go out in the forward pass and come back in the backward pass,
    // overlapped with that micro-batch's compute; the part that sticks out is charged.
    let offload_s = if offloaded {
        (m * 2.0 * stage_layers * checkpoint / cluster.host_bytes_per_s
            - (e.time.compute_s + e.time.recompute_s) * ratio)
            .max(0.0)
    } else {
        0.0
    };
    let reduce_s = if dp > 1 {
        2.0 * 4.0 * trainable / model_parallel / (cluster.scale_out_bytes_per_s * 0.6)
    } else {
        0.0
    };
    let breakdown = LoraTime {
        compute_s: e.time.compute_s * ratio + e.time.pp_bubble_s * ratio,
        recompute_s: e.time.recompute_s,
        dequantise_s,
        // The frozen base's tensor-parallel collectives and pipeline sends still run.
        comm_s: gather_s + reduce_s + offload_s + e.time.tp_comm_s + e.time.pp_p2p_s,
        optimizer_s: trainable / model_parallel * 30.0 / (cluster.hbm_bytes_per_s * 0.7),
    };
    let step = breakdown.compute_s
        + breakdown.recompute_s
        + breakdown.dequantise_s
        + breakdown.comm_s
        + breakdown.optimizer_s;
    Ok(LoraPlan {
        trainable_params: trainable,
        sharded,
        fits: total <= cluster.memory_gib,
        memory,
        flops_per_token: lora,
        full_flops_per_token: full,
        step_time_s: step,
        breakdown,
        steps: job.tokens / tokens_step,
    })
}
