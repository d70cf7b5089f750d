//! `finetune`: full SFT, LoRA, QLoRA, or an RLHF iteration (PPO, GRPO).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::finetune::{
    BaseWeights, LoraSpec, Placement, RlAlgorithm, RlhfSpec, parse_targets, plan_lora_model_parallel,
    plan_rlhf,
};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Objective, Prepared, Stack, TrainReport, Workload,
};
use suanli_core::units::FLOP_PER_PF_DAY;
use suanli_report::{FinetuneOut, GpuRef, Header, ModelRef, PhaseOut, PrecisionRef, Uncertainty};

use crate::error::{ApiError, ApiResult, Reply};
use crate::input;

/// `finetune`: full SFT, LoRA, QLoRA, or an RLHF iteration (PPO, GRPO).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct FinetuneRequest {
    /// Catalog id (on the command line also a Hugging Face `config.json`, a snapshot folder or
    /// a TOML file with one `[[model]]`).
    #[cfg_attr(feature = "clap", arg(long, short = 'm', required = true))]
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted as JSON (instead of `model`).
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_config: Option<Value>,
    /// Accelerator id.
    #[cfg_attr(feature = "clap", arg(long))]
    pub gpu: String,
    /// GPUs (default 1).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub gpus: Option<u32>,
    /// sft (full fine-tuning), lora, qlora, ppo or grpo.
    #[cfg_attr(feature = "clap", arg(long))]
    pub method: String,
    /// LoRA rank (default 16).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub rank: Option<u32>,
    /// LoRA targets: attention (default), mlp, all, or a list of q,k,v,o,gate,up,down.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub targets: Option<String>,
    /// Training examples (SFT, LoRA; default 100000).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u64))]
    #[serde(default)]
    pub examples: Option<u64>,
    /// Mean example length, tokens (default 512).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub mean_len: Option<u32>,
    /// Epochs over the examples (default 3).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub epochs: Option<u32>,
    /// Pad every example to `seq_len` instead of packing them.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub padded: bool,
    /// Sequence length of a training row (default 4096, at most the model's context).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub seq_len: Option<u32>,
    /// Sequences per optimizer step (default 64).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub global_batch: Option<u32>,
    /// Sequences per GPU per micro-step (LoRA/QLoRA; default 1).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub micro_batch: Option<u32>,
    /// Turn off gradient checkpointing (LoRA/QLoRA keep it on by default).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub no_checkpointing: bool,
    /// LoRA/QLoRA: copy each layer's checkpoint to host memory and back (Unsloth's
    /// offloaded gradient checkpointing), so checkpoints do not grow with the depth on the GPU.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub offload_checkpoints: bool,
    /// LoRA/QLoRA: compute the loss block by block without storing logits (Cut Cross-Entropy,
    /// as Unsloth and Liger run it).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub fused_loss: bool,
    /// Prompts per RLHF iteration (default 512).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub prompts: Option<u32>,
    /// Prompt tokens (RLHF; default 512).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub prompt_len: Option<u32>,
    /// Response tokens (RLHF; default 512).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub response_len: Option<u32>,
    /// Responses per prompt (GRPO, at least 2; default 8).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub group_size: Option<u32>,
    /// Training passes per RLHF iteration (default 2).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub ppo_epochs: Option<u32>,
    /// RLHF iterations (default 1).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub iterations: Option<u32>,
    /// RLHF placement: colocated (default) or separated.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub placement: Option<String>,
    /// A measured calibration (the text of a file `scripts/measure-gpu.py` wrote): its curves
    /// replace the fitted efficiencies for the chip it measured. On the command line
    /// `--calibration FILE`.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

/// A request with its defaults filled in.
struct Resolved {
    gpu: String,
    gpus: u32,
    method: String,
    rank: i64,
    targets: String,
    examples: u64,
    mean_len: u32,
    epochs: u32,
    padded: bool,
    seq_len: u32,
    global_batch: u32,
    micro_batch: u32,
    no_checkpointing: bool,
    offload_checkpoints: bool,
    fused_loss: bool,
    prompts: u32,
    prompt_len: u32,
    response_len: u32,
    group_size: i64,
    ppo_epochs: u32,
    iterations: u32,
    placement: String,
}

impl Resolved {
    fn new(a: &FinetuneRequest, context: u32) -> Result<Resolved, ApiError> {
        let method =
            input::choice("method", Some(a.method.as_str()), &["sft", "lora", "qlora", "ppo", "grpo"])?;
        let placement = input::choice("placement", a.placement.as_deref(), &["colocated", "separated"])?;
        Ok(Resolved {
            gpu: a.gpu.clone(),
            gpus: a.gpus.unwrap_or(1),
            method: method.to_string(),
            rank: i64::from(a.rank.unwrap_or(16)),
            targets: a.targets.clone().unwrap_or_else(|| "attention".into()),
            examples: a.examples.unwrap_or(100_000),
            mean_len: a.mean_len.unwrap_or(512),
            epochs: a.epochs.unwrap_or(3),
            padded: a.padded,
            seq_len: a.seq_len.unwrap_or_else(|| context.min(crate::train::DEFAULT_SEQ_LEN)),
            global_batch: a.global_batch.unwrap_or(64),
            micro_batch: a.micro_batch.unwrap_or(1),
            no_checkpointing: a.no_checkpointing,
            offload_checkpoints: a.offload_checkpoints,
            fused_loss: a.fused_loss,
            prompts: a.prompts.unwrap_or(512),
            prompt_len: a.prompt_len.unwrap_or(512),
            response_len: a.response_len.unwrap_or(512),
            group_size: i64::from(a.group_size.unwrap_or(8)),
            ppo_epochs: a.ppo_epochs.unwrap_or(2),
            iterations: a.iterations.unwrap_or(1),
            placement: placement.to_string(),
        })
    }
}

/// The fine-tuning plan.
pub fn finetune(catalog: &Catalog, a: &FinetuneRequest) -> ApiResult<FinetuneOut> {
    let catalog = &*input::calibrated(catalog, a.calibration.as_deref())?;
    let mut reply = finetune_uncalibrated(catalog, a)?;
    reply.answer.notes.extend(input::calibration_note(catalog, &[a.gpu.as_str()]));
    Ok(reply)
}

fn finetune_uncalibrated(catalog: &Catalog, a: &FinetuneRequest) -> ApiResult<FinetuneOut> {
    let spec = input::model(catalog, a.model.as_deref(), a.model_config.as_ref())?;
    let a = &Resolved::new(a, spec.max_context)?;
    if a.gpus == 0 {
        return Err(ApiError::invalid("gpus", 0, "a positive number of GPUs"));
    }
    let adapters = a.method == "lora" || a.method == "qlora";
    for (key, on) in [("offload_checkpoints", a.offload_checkpoints), ("fused_loss", a.fused_loss)] {
        if on && !adapters {
            return Err(ApiError::invalid(
                key,
                true,
                format!("only with method lora or qlora, not {}", a.method),
            ));
        }
    }
    if a.offload_checkpoints && a.no_checkpointing {
        return Err(ApiError::invalid(
            "offload_checkpoints",
            true,
            "only with gradient checkpointing on: without it there are no checkpoints to offload",
        ));
    }
    for (key, v) in [
        ("seq_len", a.seq_len),
        ("global_batch", a.global_batch),
        ("mean_len", a.mean_len),
        ("epochs", a.epochs),
    ] {
        if v == 0 {
            return Err(ApiError::invalid(key, 0, "a positive integer"));
        }
    }
    if a.seq_len > spec.max_context {
        return Err(ApiError::invalid(
            "seq_len",
            a.seq_len,
            format!("at most {}'s context of {} tokens", spec.id, spec.max_context),
        ));
    }
    let calib = Calibration::default();
    let cluster = input::cluster(catalog, &a.gpu, None, Precision::Bf16)?;
    let tokens = if a.padded {
        a.examples as f64 * f64::from(a.seq_len)
    } else {
        a.examples as f64 * f64::from(a.mean_len)
    } * f64::from(a.epochs);
    let mut notes = Vec::new();
    let price = cluster.cloud_usd_per_gpu_hour;
    let gpus = f64::from(a.gpus);
    let ctx = Ctx { spec: &spec, cluster: &cluster, calib: &calib, a, tokens };
    let (doc, fits, need) = match a.method.as_str() {
        "sft" => sft(&ctx)?,
        "lora" | "qlora" => lora(&ctx, &mut notes)?,
        _ => rlhf(&ctx, &mut notes)?,
    };
    if price.is_none() {
        notes.push(format!("no cloud price for {} in the catalog: cost not computed", cluster.accelerator));
    }
    let gpu_hours = doc.seconds * gpus / 3600.0;
    let header = Header {
        model: ModelRef::of(&spec),
        gpu: Some(GpuRef::of(catalog, &cluster.accelerator, u64::from(a.gpus))),
        layout: None,
        precision: Some(PrecisionRef {
            weights: if a.method == "qlora" { Precision::Int4 } else { Precision::Bf16 },
            activations: Precision::Bf16,
            kv: Precision::Bf16,
        }),
    };
    let workload = suanli_core::uncertainty::workload_of("finetune", &a.method);
    let uncertainty = input::band(catalog, workload, &cluster.accelerator)
        .map(|b| Uncertainty::time("time_days", doc.seconds / 86_400.0, &b));
    let out = FinetuneOut {
        uncertainty,
        header,
        model: spec.id.clone(),
        gpu: cluster.accelerator.clone(),
        gpus: a.gpus,
        method: a.method.clone(),
        layout: doc.layout,
        fits,
        trainable_params: doc.trainable.round() as u64,
        memory_gib_per_gpu: doc.memory,
        memory_capacity_gib: cluster.memory_gib,
        step_time_s: doc.step,
        time_days: doc.seconds / 86_400.0,
        gpu_hours,
        pf_days: doc.flops / FLOP_PER_PF_DAY,
        cost_usd: price.map(|p| p * gpu_hours),
        tokens: if a.method == "ppo" || a.method == "grpo" { None } else { Some(tokens) },
        breakdown: doc.phases,
        notes,
    };
    let infeasible = (!fits).then(|| {
        format!("does not fit: needs {need:.1} GiB per GPU, {:.1} GiB available", cluster.memory_gib)
    });
    Ok(Reply { answer: out, infeasible })
}

/// What every method's plan needs.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    spec: &'a ModelSpec,
    cluster: &'a Cluster,
    calib: &'a Calibration,
    a: &'a Resolved,
    tokens: f64,
}

/// Full fine-tuning: the training planner's fastest layout on the GPUs.
fn sft(c: &Ctx<'_>) -> Result<(FinetuneDocBuilder, bool, f64), ApiError> {
    let Ctx { spec, cluster, calib, a, tokens } = *c;
    let w = Workload { global_batch: a.global_batch, seq_len: a.seq_len, precision: Precision::Bf16 };
    let p = Prepared::new(spec, cluster, &w, calib, &Stack::MODERN);
    let cons =
        Constraints { gpus: Some(u64::from(a.gpus)), max_gpus: u64::from(a.gpus), ..Constraints::default() };
    let out = suanli_core::train::search(
        &p,
        &Candidates::new(spec, &w, &cons, cluster.node_size),
        Objective::Fastest,
    );
    let Some(e) = out.best else {
        let why = suanli_core::train::nearest_miss(&out, cluster.memory_gib)
            .unwrap_or_else(|| "no layout divides the GPUs and the batch".into());
        return Err(ApiError::Infeasible(format!("full fine-tuning does not fit: {why}")));
    };
    let r = TrainReport::new(&e, &w, cluster, Some(tokens), &suanli_core::train::Operating::default());
    let t = &r.breakdown.time_s;
    let phases = [
        ("compute", t.compute_s),
        ("recompute", t.recompute_s),
        ("communication", t.tp_comm_s + t.ep_comm_s + t.cp_comm_s + t.pp_p2p_s + t.dp_comm_s),
        ("pipeline bubble", t.pp_bubble_s),
        ("optimizer", t.optimizer_s),
    ];
    let doc = FinetuneDocBuilder {
        trainable: spec.params().total,
        memory: r.memory_gib_per_gpu,
        step: r.step_time_s,
        seconds: tokens / r.tokens_per_s,
        flops: tokens * p.model_flops_per_token(),
        phases: phases
            .iter()
            .map(|(n, s)| PhaseOut {
                name: (*n).into(),
                seconds: *s,
                share: s / r.step_time_s,
                detail: String::new(),
            })
            .collect(),
        layout: format!(
            "tp {} × pp {} × dp {}, micro-batch {}, recompute {}, ZeRO-{}",
            e.layout.tp,
            e.layout.pp,
            e.layout.dp,
            e.layout.micro_batch,
            e.layout.recompute.name(),
            e.layout.zero
        ),
    };
    Ok((doc, r.fits, r.memory_gib_per_gpu))
}

/// LoRA / QLoRA: adapters over a frozen (optionally NF4) base.
fn lora(c: &Ctx<'_>, notes: &mut Vec<String>) -> Result<(FinetuneDocBuilder, bool, f64), ApiError> {
    let Ctx { spec, cluster, calib, a, tokens } = *c;
    if a.rank <= 0 || a.rank > i64::from(spec.hidden) {
        return Err(ApiError::invalid(
            "rank",
            a.rank,
            format!("from 1 to the hidden size ({})", spec.hidden),
        ));
    }
    let targets = parse_targets(&a.targets).map_err(|m| ApiError::invalid("targets", &a.targets, m))?;
    let w = Workload { global_batch: a.global_batch, seq_len: a.seq_len, precision: Precision::Bf16 };
    // Data parallel over every GPU when the batch splits that way; a smaller batch (as in the
    // published LoRA runs: 32 sequences on 64 GPUs) takes the fewest tensor-parallel ways
    // inside a server that leave data-parallel replicas dividing it.
    let mb = u64::from(a.micro_batch.max(1));
    let splits = |tp: u32| a.gpus % tp == 0 && u64::from(a.global_batch) % (u64::from(a.gpus / tp) * mb) == 0;
    let Some(tp) = (1..=cluster.node_size.max(1))
        .filter(|t| cluster.node_size % t == 0 && spec.heads % t == 0)
        .find(|&t| splits(t))
    else {
        return Err(ApiError::invalid(
            "global_batch",
            a.global_batch,
            format!(
                "a multiple of data-parallel replicas × micro-batch ({} GPUs ÷ tp up to {}, × {})",
                a.gpus, cluster.node_size, a.micro_batch
            ),
        ));
    };
    if tp > 1 {
        notes.push(format!(
            "global batch {} < {} GPUs × micro-batch {}: the base is split tp {tp} ways, {} data-parallel replicas",
            a.global_batch,
            a.gpus,
            a.micro_batch.max(1),
            a.gpus / tp
        ));
    }
    let p = Prepared::new(spec, cluster, &w, calib, &Stack::MODERN);
    let job = LoraSpec {
        rank: a.rank as u32,
        targets,
        base: if a.method == "qlora" { BaseWeights::Nf4 } else { BaseWeights::Bf16 },
        gpus: a.gpus,
        micro_batch: a.micro_batch.max(1),
        global_batch: a.global_batch,
        seq_len: a.seq_len,
        checkpointing: !a.no_checkpointing,
        offload_checkpoints: a.offload_checkpoints,
        fused_loss: a.fused_loss,
        tokens,
    };
    let plan = plan_lora_model_parallel(spec, cluster, &job, &p, tp, 1)
        .map_err(|m| ApiError::invalid("rank", format!("{}/{}", a.rank, a.targets), m))?;
    let b = &plan.breakdown;
    let phases = [
        ("compute (forward, input gradients, adapters)", b.compute_s),
        ("recompute (gradient checkpointing)", b.recompute_s),
        ("dequantise base weights", b.dequantise_s),
        ("communication", b.comm_s),
        ("adapter optimizer", b.optimizer_s),
    ];
    if plan.sharded {
        notes.push(format!(
            "the frozen base is sharded over the {} GPUs (FSDP) and gathered layer by layer",
            a.gpus
        ));
    }
    notes.push(format!(
        "LoRA FLOPs per token are {:.1} % of full fine-tuning's (forward and input gradients through the frozen base, weight gradients for adapters only)",
        plan.flops_per_token / plan.full_flops_per_token * 100.0
    ));
    let doc = FinetuneDocBuilder {
        trainable: plan.trainable_params,
        memory: plan.memory.total_gib,
        step: plan.step_time_s,
        seconds: plan.step_time_s * plan.steps,
        flops: tokens * plan.flops_per_token,
        phases: phases
            .iter()
            .map(|(n, s)| PhaseOut {
                name: (*n).into(),
                seconds: *s,
                share: s / plan.step_time_s,
                detail: String::new(),
            })
            .collect(),
        layout: format!(
            "rank {} on {}, base {:?}, {} GPU(s) data parallel, micro-batch {}, checkpointing {}{}{}",
            a.rank,
            a.targets,
            job.base,
            a.gpus,
            job.micro_batch,
            job.checkpointing,
            if job.offload_checkpoints { " (offloaded to host)" } else { "" },
            if job.fused_loss { ", fused loss" } else { "" }
        ),
    };
    Ok((doc, plan.fits, plan.memory.total_gib))
}

/// An RLHF iteration (PPO, GRPO): generation, scoring and training phases.
fn rlhf(c: &Ctx<'_>, notes: &mut Vec<String>) -> Result<(FinetuneDocBuilder, bool, f64), ApiError> {
    let Ctx { spec, cluster, a, .. } = *c;
    let algorithm = if a.method == "grpo" { RlAlgorithm::Grpo } else { RlAlgorithm::Ppo };
    if algorithm == RlAlgorithm::Grpo && a.group_size < 2 {
        return Err(ApiError::invalid(
            "group_size",
            a.group_size,
            "at least 2 for GRPO (the group is the baseline)",
        ));
    }
    if a.group_size < 1 || a.group_size > 1024 {
        return Err(ApiError::invalid("group_size", a.group_size, "from 1 to 1024"));
    }
    for (key, v) in [
        ("prompts", a.prompts),
        ("prompt_len", a.prompt_len),
        ("response_len", a.response_len),
        ("iterations", a.iterations),
    ] {
        if v == 0 {
            return Err(ApiError::invalid(key, 0, "a positive integer"));
        }
    }
    if u64::from(a.prompt_len) + u64::from(a.response_len) > u64::from(spec.max_context) {
        return Err(ApiError::invalid(
            "prompt_len",
            format!("{} + {}", a.prompt_len, a.response_len),
            format!("at most {}'s context of {}", spec.id, spec.max_context),
        ));
    }
    let job = RlhfSpec {
        algorithm,
        prompts: a.prompts,
        prompt_len: a.prompt_len,
        response_len: a.response_len,
        group: a.group_size as u32,
        ppo_epochs: a.ppo_epochs,
        gpus: a.gpus,
        placement: if a.placement == "separated" { Placement::Separated } else { Placement::Colocated },
    };
    job.check(spec, "request")?;
    let Some(plan) = plan_rlhf(spec, cluster, &job) else {
        return Err(ApiError::Infeasible(format!(
            "{} does not fit for generation or training on {} × {}",
            spec.id, a.gpus, cluster.accelerator
        )));
    };
    notes.push(format!("the slowest phase is {}", plan.bound));
    notes.push("actor, critic, reference and reward models are the same size (the critic and reward model as large as the actor)".into());
    let iters = f64::from(a.iterations);
    let doc = FinetuneDocBuilder {
        trainable: spec.params().total * if algorithm == RlAlgorithm::Ppo { 2.0 } else { 1.0 },
        memory: plan.memory_gib_per_gpu,
        step: plan.iteration_s,
        seconds: plan.iteration_s * iters,
        flops: plan.flops * iters,
        phases: plan
            .phases
            .iter()
            .map(|p| PhaseOut {
                name: p.name.into(),
                seconds: p.seconds,
                share: p.share,
                detail: p.detail.clone(),
            })
            .collect(),
        layout: format!("{} iteration(s), {} placement", a.iterations, a.placement),
    };
    Ok((doc, plan.fits, plan.memory_gib_per_gpu))
}

struct FinetuneDocBuilder {
    trainable: f64,
    memory: f64,
    step: f64,
    seconds: f64,
    flops: f64,
    phases: Vec<PhaseOut>,
    layout: String,
}
