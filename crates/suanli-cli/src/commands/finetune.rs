//! `suanli finetune`.

use suanli_core::finetune::{
    BaseWeights, LoraSpec, Placement, RlAlgorithm, RlhfSpec, parse_targets, plan_lora, plan_rlhf,
};
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Objective, Prepared, Stack, TrainReport, Workload,
};
use suanli_core::units::FLOP_PER_PF_DAY;
use suanli_core::{Catalog, Error};
use suanli_report::{FinetuneOut, PhaseOut, render_finetune};

use crate::cli::FinetuneArgs;
use crate::io::{self, CliError};

fn flag(key: &str, v: impl std::fmt::Display, rule: impl Into<String>) -> CliError {
    Error::invalid("command line", key, v, rule).into()
}

pub(crate) fn run(catalog: &Catalog, a: &FinetuneArgs) -> Result<(), CliError> {
    let spec = io::model(catalog, &a.model)?;
    if a.gpus == 0 {
        return Err(flag("--gpus", 0, "a positive number of GPUs"));
    }
    for (key, v) in [
        ("--seq-len", a.seq_len),
        ("--global-batch", a.global_batch),
        ("--mean-len", a.mean_len),
        ("--epochs", a.epochs),
    ] {
        if v == 0 {
            return Err(flag(key, 0, "a positive integer"));
        }
    }
    if a.seq_len > spec.max_context {
        return Err(flag(
            "--seq-len",
            a.seq_len,
            format!("at most {}'s context of {} tokens", spec.id, spec.max_context),
        ));
    }
    let calib = Calibration::default();
    let cluster = Cluster::new(catalog, &a.gpu, None, Precision::Bf16, &calib)?;
    let tokens = if a.padded {
        a.examples as f64 * f64::from(a.seq_len)
    } else {
        a.examples as f64 * f64::from(a.mean_len)
    } * f64::from(a.epochs);
    let mut notes = Vec::new();
    let price = cluster.cloud_usd_per_gpu_hour;
    let gpus = f64::from(a.gpus);
    let (doc, fits, need) = match a.method.as_str() {
        "sft" => {
            let w = Workload { global_batch: a.global_batch, seq_len: a.seq_len, precision: Precision::Bf16 };
            let p = Prepared::new(&spec, &cluster, &w, &calib, &Stack::MODERN);
            let cons = Constraints {
                gpus: Some(u64::from(a.gpus)),
                max_gpus: u64::from(a.gpus),
                ..Constraints::default()
            };
            let out = suanli_core::train::search(
                &p,
                &Candidates::new(&spec, &w, &cons, cluster.node_size),
                Objective::Fastest,
            );
            let Some(e) = out.best else {
                let why = suanli_core::train::nearest_miss(&out, cluster.memory_gib)
                    .unwrap_or_else(|| "no layout divides the GPUs and the batch".into());
                return Err(CliError::Infeasible(format!("full fine-tuning does not fit: {why}")));
            };
            let r =
                TrainReport::new(&e, &w, &cluster, Some(tokens), &suanli_core::train::Operating::default());
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
            (doc, r.fits, r.memory_gib_per_gpu)
        }
        "lora" | "qlora" => {
            if a.rank <= 0 || a.rank > i64::from(spec.hidden) {
                return Err(flag("--rank", a.rank, format!("from 1 to the hidden size ({})", spec.hidden)));
            }
            let targets = parse_targets(&a.targets).map_err(|m| flag("--targets", &a.targets, m))?;
            let w = Workload { global_batch: a.global_batch, seq_len: a.seq_len, precision: Precision::Bf16 };
            if a.global_batch % (a.gpus * a.micro_batch.max(1)) != 0 {
                return Err(flag(
                    "--global-batch",
                    a.global_batch,
                    format!("a multiple of gpus × micro-batch ({} × {})", a.gpus, a.micro_batch),
                ));
            }
            let p = Prepared::new(&spec, &cluster, &w, &calib, &Stack::MODERN);
            let job = LoraSpec {
                rank: a.rank as u32,
                targets,
                base: if a.method == "qlora" { BaseWeights::Nf4 } else { BaseWeights::Bf16 },
                gpus: a.gpus,
                micro_batch: a.micro_batch.max(1),
                global_batch: a.global_batch,
                seq_len: a.seq_len,
                checkpointing: !a.no_checkpointing,
                tokens,
            };
            let plan = plan_lora(&spec, &cluster, &job, &p)
                .map_err(|m| flag("--rank/--targets", format!("{}/{}", a.rank, a.targets), m))?;
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
                    "rank {} on {}, base {:?}, {} GPU(s) data parallel, micro-batch {}, checkpointing {}",
                    a.rank, a.targets, job.base, a.gpus, job.micro_batch, job.checkpointing
                ),
            };
            (doc, plan.fits, plan.memory.total_gib)
        }
        _ => {
            let algorithm = if a.method == "grpo" { RlAlgorithm::Grpo } else { RlAlgorithm::Ppo };
            if algorithm == RlAlgorithm::Grpo && a.group_size < 2 {
                return Err(flag(
                    "--group-size",
                    a.group_size,
                    "at least 2 for GRPO (the group is the baseline)",
                ));
            }
            if a.group_size < 1 || a.group_size > 1024 {
                return Err(flag("--group-size", a.group_size, "from 1 to 1024"));
            }
            for (key, v) in [
                ("--prompts", a.prompts),
                ("--prompt-len", a.prompt_len),
                ("--response-len", a.response_len),
                ("--iterations", a.iterations),
            ] {
                if v == 0 {
                    return Err(flag(key, 0, "a positive integer"));
                }
            }
            if a.prompt_len + a.response_len > spec.max_context {
                return Err(flag(
                    "--prompt-len + --response-len",
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
                placement: if a.placement == "separated" {
                    Placement::Separated
                } else {
                    Placement::Colocated
                },
            };
            let Some(plan) = plan_rlhf(&spec, &cluster, &job) else {
                return Err(CliError::Infeasible(format!(
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
            (doc, plan.fits, plan.memory_gib_per_gpu)
        }
    };
    if price.is_none() {
        notes.push(format!("no cloud price for {} in the catalog: cost not computed", cluster.accelerator));
    }
    let gpu_hours = doc.seconds * gpus / 3600.0;
    let out = FinetuneOut {
        model: spec.id.clone(),
        gpu: cluster.accelerator.clone(),
        gpus: a.gpus,
        method: a.method.clone(),
        layout: doc.layout,
        fits,
        trainable_params: doc.trainable,
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
    io::emit(&render_finetune(&out, super::format(a.out.format)?)?, a.out.output.as_deref())?;
    if !fits {
        return Err(CliError::Infeasible(format!(
            "does not fit: needs {need:.1} GiB per GPU, {:.1} GiB available",
            cluster.memory_gib
        )));
    }
    Ok(())
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
