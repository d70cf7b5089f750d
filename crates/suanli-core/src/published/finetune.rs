//! `finetune.csv` and `memory.csv`.
//!
//! - SFT rows are full fine-tuning: the training planner at the published layout.
//! - LoRA rows: `finetune::plan_lora_model_parallel` at the published tp × pp, rank 32 on every linear layer
//!   (NeMo's default; the tables do not state the rank, and at these ranks the adapters cost
//!   under 1 % of the step), frozen base in bf16, no activation checkpointing.
//! - GRPO / DAPO rows are refused: the sources give neither the prompt/response split nor the
//!   group size that `finetune::plan_rlhf` needs.
//! - Memory: the longest QLoRA context that fits (binary search over the sequence length with
//!   `plan_lora`'s memory under the Hugging Face stack: gradient checkpointing on, the loss
//!   over upcast logits, `train::Stack::HF_TRANSFORMERS`) and "fits"
//!   rows (1 = fits). Unsloth's rows run as Unsloth does: each layer's checkpoint offloaded to
//!   host memory (`use_gradient_checkpointing = "unsloth"`) and the loss fused with the output
//!   projection (Cut Cross-Entropy), so neither the checkpoints nor the logits grow on the GPU.

use super::csv::{Record, records};
use super::shape::shape;
use super::training::{Published, cluster_for, evaluate_published, recipe_precision};
use super::{FINETUNE_CSV, MEMORY_CSV, PublishedRow};
use crate::catalog::Catalog;
use crate::finetune::{BaseWeights, LoraSpec, Target, plan_lora, plan_lora_model_parallel};
use crate::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use crate::model::ModelSpec;
use crate::precision::Precision;
use crate::train::{Calibration, Cluster, Layout, Prepared, Recompute, Stack, Workload, evaluate};

const ALL_LINEAR: [Target; 7] =
    [Target::Q, Target::K, Target::V, Target::O, Target::Gate, Target::Up, Target::Down];

fn lora_spec(rank: u32, base: BaseWeights, gpus: u32, mb: u32, gb: u32, seq: u32, ckpt: bool) -> LoraSpec {
    LoraSpec {
        rank,
        targets: ALL_LINEAR.to_vec(),
        base,
        gpus,
        micro_batch: mb,
        global_batch: gb,
        seq_len: seq,
        checkpointing: ckpt,
        offload_checkpoints: false,
        fused_loss: false,
        tokens: f64::from(gb) * f64::from(seq),
    }
}

fn lora_plan(
    spec: &ModelSpec,
    cluster: &Cluster,
    job: &LoraSpec,
    precision: Precision,
    stack: &Stack,
) -> Result<crate::finetune::LoraPlan, String> {
    let w = Workload { global_batch: job.global_batch, seq_len: job.seq_len, precision };
    let calib = Calibration::default();
    let p = Prepared::new(spec, cluster, &w, &calib, stack);
    plan_lora(spec, cluster, job, &p)
}

fn predict_finetune(c: &Catalog, r: &Record) -> Result<(f64, String), String> {
    let method = r.get("method");
    if matches!(method, "grpo" | "dapo" | "ppo") {
        return Err("prompt/response split and group size not published (plan_rlhf needs them)".into());
    }
    let spec = shape(r)?;
    let recipe = r.get("precision");
    let precision = recipe_precision(recipe).ok_or_else(|| format!("precision `{recipe}` not modelled"))?;
    let calib = Calibration::default();
    let cluster = cluster_for(c, r.get("gpu"), precision, &calib)?;
    let (Some(seq), Some(gpus), Some(gb)) = (r.int("seq_len"), r.int("gpus"), r.int("global_batch")) else {
        return Err("seq_len, gpus or global_batch not published".into());
    };
    if r.get("metric") != "tokens_per_s_per_gpu" {
        return Err(format!("metric `{}` not predicted", r.get("metric")));
    }
    match method {
        "sft" => {
            let w = Workload { global_batch: gb, seq_len: seq, precision };
            let (e, note) = evaluate_published(&spec, &cluster, &w, &calib, gpus, &Published::of(r))?;
            Ok((e.tokens_per_s_per_gpu, note))
        }
        "lora" => {
            let (tp, pp) = (r.int("tp").unwrap_or(1), r.int("pp").unwrap_or(1));
            let rank = r.int("lora_rank").unwrap_or(32);
            let mb = r.int("micro_batch").unwrap_or(1);
            let job = lora_spec(rank, BaseWeights::Bf16, gpus, mb, gb, seq, false);
            let w = Workload { global_batch: gb, seq_len: seq, precision };
            let p = Prepared::new(&spec, &cluster, &w, &calib, &Stack::MODERN);
            let plan = plan_lora_model_parallel(&spec, &cluster, &job, &p, tp, pp)?;
            let tps = f64::from(gb) * f64::from(seq) / plan.step_time_s / f64::from(gpus);
            let mut note = format!("rank {rank} on all linear layers (rank not published), bf16 base");
            if !plan.fits {
                note.push_str("; does not fit per the planner");
            }
            Ok((tps, note))
        }
        m => Err(format!("method `{m}` not modelled")),
    }
}

/// Every row of `finetune.csv`.
#[must_use]
pub fn finetune(c: &Catalog) -> Vec<PublishedRow> {
    records(FINETUNE_CSV)
        .iter()
        .map(|r| {
            let mut row = PublishedRow::new("finetune", r);
            row.scenario = r.get("method").to_string();
            match predict_finetune(c, r) {
                Ok((v, note)) => row.answer(v, note),
                Err(why) => row.refuse(why),
            }
        })
        .collect()
}

/// The chip's rates with `gib` of memory: for rows that name only a capacity (`gpu-NNgb`),
/// whose answer depends on the capacity alone.
fn capacity_cluster(c: &Catalog, gpu: &str) -> Result<(Cluster, String), String> {
    if let Some(gb) =
        gpu.strip_prefix("gpu-").and_then(|s| s.strip_suffix("gb")).and_then(|s| s.parse::<f64>().ok())
    {
        let mut cl = Cluster::new(c, "a100-sxm-80gb", None, Precision::Bf16, &Calibration::default())
            .map_err(|e| e.to_string())?;
        cl.memory_gib = gb;
        return Ok((cl, format!("capacity-only row: {gb} GB, rates unused")));
    }
    Ok((cluster_for(c, gpu, Precision::Bf16, &Calibration::default())?, String::new()))
}

/// The longest sequence (tokens) whose QLoRA step fits, 0 when none does; `unsloth` runs it
/// as Unsloth does (checkpoints offloaded to host memory, the loss fused with the output
/// projection so no logits are stored).
fn longest_fitting(spec: &ModelSpec, cluster: &Cluster, rank: u32, unsloth: bool) -> Result<u32, String> {
    let fits = |seq: u32| -> Result<bool, String> {
        let mut job = lora_spec(rank, BaseWeights::Nf4, 1, 1, 1, seq, true);
        job.offload_checkpoints = unsloth;
        job.fused_loss = unsloth;
        Ok(lora_plan(spec, cluster, &job, Precision::Bf16, &Stack::HF_TRANSFORMERS)?.fits)
    };
    if !fits(1)? {
        return Ok(0);
    }
    let (mut lo, mut hi) = (1u32, 1u32 << 21);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

fn predict_memory(c: &Catalog, r: &Record, row: &mut PublishedRow) -> Result<(f64, String), String> {
    let spec = shape(r)?;
    let method = r.get("method");
    row.scenario = method.to_string();
    let (cluster, mut note) = capacity_cluster(c, r.get("gpu"))?;
    match r.get("metric") {
        "max_context_fits" => {
            let unsloth = r.get("framework").starts_with("Unsloth");
            if unsloth {
                note.push_str("; checkpoints offloaded to host memory, fused loss (Unsloth)");
            }
            let rank = r.int("lora_rank").unwrap_or(32);
            let seq = longest_fitting(&spec, &cluster, rank, unsloth)?;
            if row.published == 0.0 {
                note.push_str(if seq == 0 { "; agrees: nothing fits" } else { "; disagrees: published OOM" });
            }
            Ok((f64::from(seq), note.trim_start_matches("; ").to_string()))
        }
        "fits" => {
            let gpus = r.int("gpus").ok_or("gpus not published")?;
            let fits = match method {
                "inference" => {
                    let p = match r.get("precision") {
                        "int4" => Precisions::uniform(Precision::Int4),
                        _ => Precisions::uniform(Precision::Bf16),
                    };
                    let cfg = InferConfig { tp: gpus, pp: 1, ep: 1, precision: p };
                    if cfg.check(&spec, 1, 1, "published").is_err() {
                        return Err(format!("tp {gpus} does not divide the model's heads"));
                    }
                    Replica::new(&spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default())
                        .fits()
                }
                "qlora" | "lora" => {
                    // Sequence length not published: 2,048 tokens, one sequence per GPU.
                    let base = if method == "qlora" { BaseWeights::Nf4 } else { BaseWeights::Bf16 };
                    let job = lora_spec(16, base, gpus, 1, gpus, 2048, true);
                    note = "rank 16, 2,048 tokens, batch 1 per GPU assumed (not published)".into();
                    lora_plan(&spec, &cluster, &job, Precision::Bf16, &Stack::HF_TRANSFORMERS)?.fits
                }
                "sft" => {
                    note =
                        "ZeRO-3 over every GPU (DeepSpeed, as the blog's PEFT/transformers setup), gradient \
                            checkpointing, 2,048 tokens, batch 1 per GPU assumed (not published)"
                            .into();
                    full_finetune_fits(&spec, &cluster, gpus)
                }
                _ => return Err(format!("`fits` for method `{method}` is not predicted")),
            };
            Ok((if fits { 1.0 } else { 0.0 }, note))
        }
        m => Err(format!("metric `{m}` not predicted")),
    }
}

/// Whether full fine-tuning fits `gpus` GPUs data parallel with the weights, gradients and
/// Adam states sharded over all of them (ZeRO-3) and every layer recomputed, one 2,048-token
/// sequence a GPU under the Hugging Face stack.
fn full_finetune_fits(spec: &ModelSpec, cluster: &Cluster, gpus: u32) -> bool {
    let w = Workload { global_batch: gpus, seq_len: 2048, precision: Precision::Bf16 };
    let p = Prepared::new(spec, cluster, &w, &Calibration::default(), &Stack::HF_TRANSFORMERS);
    let layout = Layout {
        tp: 1,
        pp: 1,
        dp: gpus,
        ep: 1,
        cp: 1,
        vp: 1,
        micro_batch: 1,
        recompute: Recompute::Full,
        zero: 3,
        first_stage_layers: 0,
        last_stage_layers: 0,
        etp: 0,
        hsdp: false,
        uneven_batch: false,
        offload_layers: 0,
    };
    evaluate(&p, &layout).fits
}

/// Every row of `memory.csv`.
#[must_use]
pub fn memory(c: &Catalog) -> Vec<PublishedRow> {
    records(MEMORY_CSV)
        .iter()
        .map(|r| {
            let mut row = PublishedRow::new("memory", r);
            match predict_memory(c, r, &mut row) {
                Ok((v, note)) => row.answer(v, note),
                Err(why) => row.refuse(why),
            }
        })
        .collect()
}
