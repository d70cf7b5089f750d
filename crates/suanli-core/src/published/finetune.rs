//! `finetune.csv` and `memory.csv`.
//!
//! - SFT rows are full fine-tuning: the training planner at the published layout.
//! - LoRA rows: `finetune::plan_lora_model_parallel` at the published tp × pp, rank 32 on every linear layer
//!   (NeMo's default; the tables do not state the rank, and at these ranks the adapters cost
//!   under 1 % of the step), frozen base in bf16, no activation checkpointing.
//! - GRPO rows (NeMo-RL): `finetune::plan_rl_step` with the published rollouts, mean
//!   rollout length, maximum length, generation and training layouts; what the table leaves out
//!   comes from the run's recipe at the table's commit ([`NemoRlRecipe`]) and the prompt length
//!   is an estimate of the dataset's ([`OPENMATH_PROMPT_TOKENS`]). The DAPO rows are refused:
//!   dynamic sampling makes the generated batches per step unknown.
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
use crate::finetune::{
    BaseWeights, LoraSpec, RlStepSpec, Target, VLLM_ENGINE_MAX_BATCHED_TOKENS, VLLM_ENGINE_MAX_NUM_SEQS,
    VLLM_MAX_BATCHED_TOKENS, VLLM_MAX_NUM_SEQS, plan_lora, plan_lora_model_parallel, plan_rl_step,
};
use crate::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use crate::model::ModelSpec;
use crate::precision::Precision;
use crate::train::{
    Calibration, Cluster, Layout, Prepared, Recompute, Stack, Workload, check_stages, evaluate,
};

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
    if matches!(method, "grpo" | "dapo") && r.get("family").starts_with("nemo-rl") {
        return predict_nemo_rl(c, r);
    }
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

/// Prompt tokens of an OpenMathInstruct-2 GRPO rollout (the NeMo-RL tables' GRPO dataset):
/// the problem (GSM8K- and MATH-style word problems, about 60–90 tokens), NeMo-RL's
/// `examples/prompts/cot.txt` instruction around it (about 25 tokens) and the chat template's
/// header (10–30 tokens). An estimate: neither the table nor the dataset card gives the mean.
/// The response is the published mean rollout length less this; at 700–5,700-token rollouts a
/// ±50-token error moves the decoded tokens by 1–8 %.
pub(crate) const OPENMATH_PROMPT_TOKENS: u32 = 128;

/// What a NeMo-RL performance table leaves out but its recipe
/// (`examples/configs/recipes/llm/performance/*.yaml` and their base `grpo_math_1B.yaml`, at the
/// commit the row cites: 9dbd9adc9 for v0.5, cff17f83b for v0.4) sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NemoRlRecipe {
    /// Generation on the training GPUs (`policy.generation.colocated.enabled`, true in
    /// `grpo_math_1B.yaml`); the `*-async-1off` recipes set it false and give generation half
    /// the nodes (`colocated.resources.num_nodes`: 1 of 2, 16 of 32, 32 of 64 ...).
    pub colocated: bool,
    /// `vllm_cfg.gpu_memory_utilization`: 0.6 in `grpo_math_1B.yaml` (colocated), 0.8 in the
    /// async recipes.
    pub gpu_memory_utilization: f64,
    /// `megatron_cfg.activation_checkpointing`: true in the Llama 3.1 8B, DeepSeek-V3 and
    /// Qwen3-235B recipes (Megatron full recompute), false (the base's default) for Qwen3-30B-A3B
    /// and Qwen3-32B.
    pub recompute: Recompute,
    /// Prompt tokens (dataset estimate).
    pub prompt_len: u32,
    /// vLLM's `max_num_seqs` and `max_num_batched_tokens`. No recipe sets the token budget and
    /// only `grpo-deepseek-v3-64n8g-fp8-async-1off.yaml` the sequences (32), so they are vLLM's
    /// defaults for the engine NeMo-RL builds: with `vllm_cfg.async_engine: true` (every async
    /// recipe, and the on-policy DeepSeek-V3 and Qwen3-235B ones) an `AsyncLLM`
    /// ([`VLLM_ENGINE_MAX_NUM_SEQS`], [`VLLM_ENGINE_MAX_BATCHED_TOKENS`]), else the offline
    /// `LLM` class ([`VLLM_MAX_NUM_SEQS`], [`VLLM_MAX_BATCHED_TOKENS`]).
    pub max_seqs: u32,
    /// See `max_seqs`.
    pub max_batched_tokens: u32,
    /// `megatron_cfg.num_layers_in_first_pipeline_stage` and `..._last_pipeline_stage`: 11 and
    /// 11 in `grpo-qwen3-235b-16n8g.yaml`, which the 4-GPU-node (GB200) Qwen3-235B recipes
    /// inherit with pipeline size 4 (middle stages of 36 layers); DeepSeek-V3's recipes set
    /// Megatron-Core's own uneven split (3 and 2 at pp 16, 7 and 6 at pp 8).
    pub stages: Option<(u32, u32)>,
    /// `grpo.num_generations_per_prompt`: 16 in `grpo-deepseek-v3-32n8g.yaml` (and the recipes
    /// built on it), 32 in every other performance recipe; the rollouts over it are the step's
    /// prompt groups (`num_prompts_per_step`: 32, 16 for Qwen3-235B, 64 for the rest).
    pub generations_per_prompt: u32,
}

impl NemoRlRecipe {
    /// The recipe of a published row.
    #[must_use]
    pub(crate) fn of(r: &Record) -> NemoRlRecipe {
        let colocated = !r.get("source_detail").contains("Off");
        let recompute = match r.get("model") {
            "llama3.1-8b" | "deepseek-v3" | "qwen3-235b-a22b" => Recompute::Full,
            _ => Recompute::None,
        };
        let model = r.get("model");
        let async_engine = !colocated || matches!(model, "deepseek-v3" | "qwen3-235b-a22b");
        let (mut max_seqs, max_batched_tokens) = if async_engine {
            (VLLM_ENGINE_MAX_NUM_SEQS, VLLM_ENGINE_MAX_BATCHED_TOKENS)
        } else {
            (VLLM_MAX_NUM_SEQS, VLLM_MAX_BATCHED_TOKENS)
        };
        if model == "deepseek-v3" && r.get("precision") == "fp8" {
            max_seqs = 32;
        }
        NemoRlRecipe {
            colocated,
            gpu_memory_utilization: if colocated { 0.6 } else { 0.8 },
            recompute,
            prompt_len: OPENMATH_PROMPT_TOKENS,
            max_seqs,
            max_batched_tokens,
            stages: (model == "qwen3-235b-a22b").then_some((11, 11)),
            generations_per_prompt: if model == "deepseek-v3" { 16 } else { 32 },
        }
    }
}

/// Megatron-Core as NeMo-RL's Megatron policy runs it (`policy.megatron_cfg` of
/// `examples/configs/grpo_math_1B.yaml` at the rows' commits, applied in
/// `nemo_rl/models/megatron/setup.py`): Transformer Engine's fused kernels and attention, bf16
/// gradient reduction (`grad_reduce_in_fp32: false`), but MoE tokens through the `allgather`
/// dispatcher with DeepEP off (`moe_token_dispatcher_type: "allgather"`,
/// `moe_enable_deepep: false`: one copy per expert, not hierarchical), MoE layers run eagerly
/// (no CUDA-graph settings in the policy; graphs are built only for Megatron's own generation
/// backend, unused here), and no tensor-parallel communication overlap (`tp_comm_overlap`
/// is never set, so Megatron-Bridge's default, off). The performance recipes change none of
/// these.
pub(crate) const NEMO_RL_MEGATRON: Stack = Stack {
    name: "nemo-rl-megatron",
    tp_comm_overlap: false,
    hierarchical_dispatch: false,
    moe_static_graphs: false,
    ..Stack::MODERN
};

/// The `[a,b,...]` list after `key` in a row's `source_detail`, `n/a` entries as `None`.
fn bracket_list(detail: &str, key: &str) -> Option<Vec<Option<u32>>> {
    let rest = &detail[detail.find(key)? + key.len()..];
    let open = rest.find('[')?;
    let close = rest.find(']')?;
    Some(rest[open + 1..close].split(',').map(|x| x.trim().parse().ok()).collect())
}

fn predict_nemo_rl(c: &Catalog, r: &Record) -> Result<(f64, String), String> {
    if r.get("method") == "dapo" {
        // `dapo-deepseek-v3-64n8g.yaml`: `use_dynamic_sampling: true`, `batch_multiplier: 3`,
        // `dynamic_sampling_max_gen_batches: 10` — each step generates batches until enough
        // prompt groups have mixed rewards; how many it took is not published.
        return Err(
            "DAPO dynamic sampling generates an unpublished number of batches per step (recipe: use_dynamic_sampling, batch_multiplier 3, up to 10 batches)"
                .into(),
        );
    }
    let spec = shape(r)?;
    let recipe = r.get("precision");
    let precision = recipe_precision(recipe).ok_or_else(|| format!("precision `{recipe}` not modelled"))?;
    let calib = Calibration::default();
    let cluster = cluster_for(c, r.get("gpu"), precision, &calib)?;
    let (Some(gpus), Some(rollouts), Some(max_len), Some(gb)) =
        (r.int("gpus"), r.int("rollouts"), r.int("seq_len"), r.int("global_batch"))
    else {
        return Err("gpus, rollouts, seq_len or global_batch not published".into());
    };
    let mean_len = r.num("mean_seq_len").ok_or("mean_seq_len not published")?;
    let detail = r.get("source_detail");
    let gen_tp = bracket_list(detail, "generation [TP,PP]=")
        .and_then(|v| v.first().copied().flatten())
        .ok_or("generation layout not published")?;
    // Training layout: the columns, else the table's list (Llama rows: TP first, PP sixth).
    let listed = bracket_list(detail, "training layout as published:");
    let from_list = |i: usize| listed.as_ref().and_then(|v| v.get(i).copied().flatten());
    let tp = r.int("tp").or_else(|| from_list(0)).unwrap_or(1);
    let pp = r.int("pp").or_else(|| from_list(5)).unwrap_or(1);
    let (cp, ep) = (r.int("cp").unwrap_or(1), r.int("ep").unwrap_or(1));
    let rec = NemoRlRecipe::of(r);
    let (train_gpus, gen_gpus) = if rec.colocated { (gpus, gpus) } else { (gpus / 2, gpus - gpus / 2) };
    let shards = tp * pp * cp;
    if shards == 0 || train_gpus % shards != 0 {
        return Err(format!("training tp·pp·cp = {shards} does not divide {train_gpus} training GPUs"));
    }
    let dp = train_gpus / shards;
    let prompt = rec.prompt_len;
    let mean_response = mean_len - f64::from(prompt);
    if mean_response < 1.0 || max_len <= prompt {
        return Err(format!("mean_seq_len {mean_len} leaves no response after a {prompt}-token prompt"));
    }
    // Sequence packing (`policy.sequence_packing.enabled`, micro-batches of
    // `max_total_sequence_length` tokens): as many mean-length rollouts as fill one.
    let seq = mean_len.round() as u32;
    let mb = (max_len / seq).max(1);
    // The planner takes whole micro-batches per data-parallel rank: the optimizer batch rounded
    // to a multiple of mb·dp (the step count below keeps the rollout tokens).
    let unit = mb * dp;
    let gb = ((f64::from(gb) / f64::from(unit)).round() as u32).max(1) * unit;
    let w = Workload { global_batch: gb, seq_len: seq, precision };
    let published = Published {
        tp: Some(tp),
        pp: Some(pp),
        dp: Some(dp),
        ep: Some(ep),
        cp: Some(cp),
        vp: Some(1),
        micro_batch: Some(mb),
        recompute: Some(rec.recompute),
        fsdp: false,
        mtp: false,
        stack: NEMO_RL_MEGATRON,
    };
    let (mut train, mut train_note) =
        evaluate_published(&spec, &cluster, &w, &calib, train_gpus, &published)?;
    // The recipe's own stage sizes where they differ from Megatron-Core's uneven split.
    if let Some((first, last)) = rec.stages.filter(|_| pp > 2) {
        let l = &train.layout;
        let layout = Layout { first_stage_layers: first, last_stage_layers: last, ..*l };
        if (l.first_stage_layers, l.last_stage_layers) != (first, last)
            && check_stages(&layout, spec.layers, "recipe").is_ok()
        {
            let p = Prepared::new(&spec, &cluster, &w, &calib, &NEMO_RL_MEGATRON);
            train = evaluate(&p, &layout);
            let mid = layout.stage_layers(spec.layers).1;
            train_note = format!(
                "{} layers over pp {pp}: the recipe's stages, first {first}, middle {mid}, last {last}",
                spec.layers
            );
        }
    }
    let job = RlStepSpec {
        rollouts,
        prompt_len: prompt,
        mean_response_len: mean_response,
        max_response_len: max_len - prompt,
        train_global_batch: gb,
        gpus,
        generation_tp: gen_tp,
        colocated: rec.colocated,
        generation_gpus: gen_gpus,
        generation_memory_fraction: rec.gpu_memory_utilization,
        generation_precision: precision,
        max_seqs: rec.max_seqs,
        max_batched_tokens: rec.max_batched_tokens,
        prompt_groups: (rollouts / rec.generations_per_prompt).max(1),
    };
    let plan = plan_rl_step(&spec, &cluster, &train, &job)?;
    let phase = |n: &str| plan.phases.iter().find(|p| p.name == n).map_or(0.0, |p| p.seconds);
    let mut note = format!(
        "{}; prompt {prompt} tokens assumed (dataset estimate), responses exponential clipped at {} (assumed); gen {:.0} s (peak batch {} a replica, {} preemptions), logprobs {:.0} s, train {:.0} s, refit {:.1} s, switch {:.1} s; training mb {mb} packed",
        if rec.colocated {
            "colocated, vLLM at 60 % memory (recipe)"
        } else {
            "async 1-off: generation on half the GPUs pipelined with training (the recipe's prompt groups in flight), vLLM at 80 % memory (recipe)"
        },
        max_len - prompt,
        phase("generation"),
        plan.generation.peak_batch,
        plan.generation.preemptions,
        phase("logprobs"),
        phase("training"),
        phase("refit"),
        phase("switch"),
    );
    if !train_note.is_empty() {
        note.push_str("; ");
        note.push_str(&train_note);
    }
    match r.get("metric") {
        "step_time_s" => Ok((plan.step_s, note)),
        // Rollout tokens over step time and GPUs (the published figure is the 5-step mean of
        // that ratio, 1.02–1.25 times the ratio of the means).
        "tokens_per_s_per_gpu" => Ok((plan.tokens_per_s_per_gpu, note)),
        m => Err(format!("metric `{m}` not predicted")),
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
    let layout = Layout::model_and_data_parallel(1, 1, gpus, 1, Recompute::Full, 3);
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
