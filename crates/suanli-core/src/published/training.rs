//! `training.csv` (and the SFT rows of `finetune.csv`): the training planner at the published
//! layout.

use super::csv::{Record, records};
use super::shape::shape;
use super::{PublishedRow, TRAINING_CSV};
use crate::catalog::Catalog;
use crate::model::{ModelSpec, forward_flops_per_token};
use crate::precision::Precision;
use crate::train::{
    Calibration, Candidates, Cluster, Constraints, Evaluation, Layout, Objective, Prepared, Recompute, Stack,
    Workload, check_stages, evaluate, search, uneven_split,
};

/// The GEMM precision of a published recipe: MXFP8 computes at the FP8 rate and NVFP4 at the
/// FP4 rate (Blackwell), so they share those peaks; the recipe name stays in the row.
pub(crate) fn recipe_precision(recipe: &str) -> Option<Precision> {
    Precision::parse(recipe)
        .filter(|p| matches!(p, Precision::Bf16 | Precision::Fp16 | Precision::Fp8 | Precision::Fp4))
}

/// The cluster of the row's chip at `precision`, or the refusal.
pub(crate) fn cluster_for(
    c: &Catalog,
    gpu: &str,
    precision: Precision,
    calib: &Calibration,
) -> Result<Cluster, String> {
    if c.accelerator(gpu).is_err() {
        return Err(format!("chip `{gpu}` is not in the catalog"));
    }
    Cluster::new(c, gpu, None, precision, calib).map_err(|_| format!("{gpu} publishes no {precision} peak"))
}

/// The layout fields a row publishes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Published {
    pub tp: Option<u32>,
    pub pp: Option<u32>,
    pub dp: Option<u32>,
    pub ep: Option<u32>,
    pub cp: Option<u32>,
    pub vp: Option<u32>,
    pub micro_batch: Option<u32>,
    pub recompute: Option<Recompute>,
    pub fsdp: bool,
    /// The run trains a multi-token-prediction block on the last stage (DeepSeek-V3's
    /// Megatron-Bridge recipes: `mtp_num_layers` 1), which the shape does not hold.
    pub mtp: bool,
    /// The software stack of the row's release and recipe (`framework`, `model`, `gpu`,
    /// `precision`): a Megatron-Bridge recipe's preset ([`Stack::of_megatron_bridge_recipe`]),
    /// else the modern stack.
    pub stack: Stack,
}

impl Published {
    pub(crate) fn of(r: &Record) -> Published {
        Published {
            tp: r.int("tp"),
            pp: r.int("pp"),
            dp: r.int("dp"),
            ep: r.int("ep"),
            cp: r.int("cp"),
            vp: r.int("vp"),
            micro_batch: r.int("micro_batch"),
            recompute: match r.get("recompute") {
                "none" => Some(Recompute::None),
                "selective" => Some(Recompute::Selective),
                "full" => Some(Recompute::Full),
                _ => None,
            },
            fsdp: r.int("fsdp").is_some(),
            mtp: r.get("model") == "deepseek-v3",
            stack: Stack::of_megatron_bridge_recipe(
                r.get("framework"),
                r.get("model"),
                r.get("gpu"),
                r.get("precision"),
            )
            .unwrap_or(Stack::MODERN),
        }
    }
}

/// Whether the row-parallel GEMMs of one tensor-parallel rank keep the widths Transformer
/// Engine's 8-bit and 4-bit GEMMs accept: an FP8 weight's inner dimension must be a multiple of
/// 16 (`assert_dim_for_fp8_exec` in `transformer_engine/pytorch/utils.py`: height divisible
/// by 8, width by 16), so the attention output's `heads·head_dim/tp` and the MLP's `ffn/tp`
/// columns must be (Llama 2 7B's 11 008 at tp 32 gives 344: refused, so FP8 stops at tp 16).
/// BF16 and FP16 take any width.
fn low_precision_gemm_fits(spec: &ModelSpec, precision: Precision, tp: u32) -> bool {
    if !matches!(precision, Precision::Fp8 | Precision::Fp4) {
        return true;
    }
    let width = |n: u32| n % tp == 0 && (n / tp) % 16 == 0;
    width(spec.heads * spec.head_dim) && width(spec.ffn)
}

/// The evaluation of the published layout: every recomputation option the row allows,
/// ZeRO-1 (Megatron's distributed optimizer) or ZeRO-3 for FSDP; the fastest that fits, else
/// the fastest (with a note). Layout fields the row leaves empty are searched.
pub(crate) fn evaluate_published(
    spec: &ModelSpec,
    cluster: &Cluster,
    w: &Workload,
    calib: &Calibration,
    gpus: u32,
    l: &Published,
) -> Result<(Evaluation, String), String> {
    let p = Prepared::new(spec, cluster, w, calib, &l.stack);
    let mut notes = Vec::new();
    if let (Some(tp), Some(pp), Some(dp), Some(micro_batch)) = (l.tp, l.pp, l.dp, l.micro_batch) {
        let cp = l.cp.unwrap_or(1);
        let (ep, vp) = (l.ep.unwrap_or(1), l.vp.unwrap_or(1));
        // Stages: even where pp divides the layers, else Megatron-Core's uneven split
        // (embedding and loss counted as a layer each); a split interleaving cannot keep
        // whole falls back to the mean stage (noted).
        let (mut first, mut last) = uneven_split(spec.layers, pp).unwrap_or((0, 0));
        let probe = |first_stage_layers, last_stage_layers| Layout {
            tp,
            pp,
            dp,
            ep,
            cp,
            vp,
            micro_batch,
            recompute: Recompute::Full,
            zero: 1,
            first_stage_layers,
            last_stage_layers,
            // Megatron-Bridge's MoE recipes keep experts whole (`expert_tensor_parallel_size`
            // 1, scripts/performance/configs/*/workload_base_configs.py since v0.2.0).
            etp: u32::from(spec.moe.is_some()),
            hsdp: false,
            uneven_batch: false,
            offload_layers: 0,
        };
        // Megatron-Core's `account_for_embedding_in_pipeline_split` and
        // `account_for_loss_in_pipeline_split` (set by the Llama 3.1 405B and Qwen3-235B-A22B
        // recipes, `src/megatron/bridge/recipes/{llama/llama3,qwen/qwen3_moe}.py`): the
        // embedding and the loss count as a layer each and the `layers + 2` split evenly over
        // the pp × vp virtual stages, so the first and last stages hold one layer fewer beside
        // their ends, the same counts as the uneven split, whose virtual stages need not hold
        // equal layers.
        let virtual_split = vp > 1 && first > 0 && (spec.layers + 2) % (pp * vp) == 0;
        if first > 0 && l.mtp {
            // The last stage also runs the MTP block (about a layer and a second output head)
            // that the shape lacks: the mean stage with the output on it stands in.
            first = 0;
            last = 0;
            notes.push(format!(
                "{} layers over pp {pp}: mean stage with the output used (the MTP block on the last stage is not in the shape)",
                spec.layers
            ));
        } else if !virtual_split && check_stages(&probe(first, last), spec.layers, "published").is_err() {
            first = 0;
            last = 0;
            notes.push(format!("{} layers over pp {pp} × vp {vp}: mean stage used", spec.layers));
        } else if virtual_split {
            let mid = probe(first, last).stage_layers(spec.layers).1;
            notes.push(format!(
                "{} layers over pp {pp} × vp {vp}: embedding and loss counted as layers, first {first}, middle {mid}, last {last}",
                spec.layers
            ));
        } else if first > 0 {
            let mid = probe(first, last).stage_layers(spec.layers).1;
            notes.push(format!(
                "{} layers over pp {pp}: uneven stages first {first}, middle {mid}, last {last}",
                spec.layers
            ));
        }
        if tp * pp * dp * cp != gpus {
            notes.push(format!("tp·pp·dp·cp = {} (row: {gpus} GPUs)", tp * pp * dp * cp));
        }
        let zero = if l.fsdp { 3 } else { 1 };
        let options: Vec<Recompute> = l.recompute.map_or(Recompute::ALL.to_vec(), |r| vec![r]);
        let mut evals: Vec<Evaluation> = options
            .iter()
            .map(|&recompute| {
                let layout = Layout { recompute, zero, ..probe(first, last) };
                evaluate(&p, &layout)
            })
            .collect();
        // Megatron-Bridge's FSDP recipes offload the activations of some layers to host memory
        // instead of recomputing (`cpu_offloading_num_layers`: 40 of Llama 3 70B's 80 layers on
        // GB200, 20 on GB300, 5 on B200, `scripts/performance/configs/llama/
        // llama3_workload_base_configs.py`), as many as the memory needs: the fewest offloaded
        // layers that fit without recomputation joins the options.
        if l.fsdp && options.contains(&Recompute::None) {
            let base = Layout { recompute: Recompute::None, zero, ..probe(first, last) };
            let fits = (1..spec.layers / pp)
                .map(|n| Layout { offload_layers: n, ..base })
                .map(|layout| evaluate(&p, &layout))
                .find(|e| e.fits);
            if let Some(e) = fits {
                let n = e.layout.offload_layers;
                let layers = if n == 1 { "layer" } else { "layers" };
                notes.push(format!("activations of {n} {layers} offloaded to host memory"));
                evals.push(e);
            }
        }
        let fastest = |fit: bool| {
            evals
                .iter()
                .filter(|e| !fit || e.fits)
                .min_by(|a, b| a.step_time_s.total_cmp(&b.step_time_s))
                .copied()
        };
        let e = match fastest(true) {
            Some(e) => e,
            None => {
                let e = fastest(false).ok_or("no layout")?;
                notes.push(format!(
                    "planner memory {:.0} GiB exceeds {:.0} GiB",
                    e.memory.total_gib, cluster.memory_gib
                ));
                e
            }
        };
        if l.recompute.is_none() {
            notes.push(format!("recompute not published: {} chosen", e.layout.recompute.name()));
        }
        let rm = l.stack.recompute_modules;
        let modules: Vec<&str> =
            [(rm.layernorm, "layernorm"), (rm.moe_act, "moe_act"), (rm.mla_up_proj, "mla_up_proj")]
                .iter()
                .filter(|m| m.0)
                .map(|m| m.1)
                .collect();
        if !modules.is_empty() && e.layout.recompute != Recompute::Full {
            notes.push(format!("recipe recomputes {}", modules.join(", ")));
        }
        return Ok((e, notes.join("; ")));
    }
    let cons = Constraints {
        gpus: Some(u64::from(gpus)),
        max_gpus: u64::from(gpus),
        tp: l.tp,
        pp: l.pp,
        dp: l.dp,
        ep: l.ep,
        cp: l.cp,
        vp: l.vp,
        micro_batch: l.micro_batch,
        recompute: l.recompute,
        zero: if l.fsdp { Some(3) } else { None },
        first_stage_layers: None,
        last_stage_layers: None,
        etp: None,
        hsdp: if l.fsdp { Some(false) } else { None },
        uneven_batch: false,
        offload_layers: 0,
    };
    // The planner keeps tensor-parallel groups inside a server. NeMo's long-sequence runs
    // without context parallelism raise TP to fit the activations, bounded by the attention's
    // query groups, not by the server (footnote 1 of `docs/source/performance/
    // performance_long_sequence.md`: Llama 3 8B cannot run 1M tokens without CP because its 8
    // groups cap TP at 8), so past the server where the model has more groups than a server
    // has GPUs (Llama 2 7B: 32 on 8-GPU DGX H100). Where the row leaves tp open, those degrees
    // are searched too, as far as the precision's GEMMs allow them ([`low_precision_gemm_fits`]).
    let wide_tps: Vec<u32> = if l.tp.is_none() {
        (cluster.node_size + 1..=spec.kv_heads)
            .filter(|&t| spec.kv_heads % t == 0 && spec.heads % t == 0 && gpus % t == 0)
            .filter(|&t| low_precision_gemm_fits(spec, w.precision, t))
            .collect()
    } else {
        Vec::new()
    };
    let best = std::iter::once(cons)
        .chain(wide_tps.iter().map(|&t| Constraints { tp: Some(t), ..cons }))
        .filter_map(|cons| {
            search(&p, &Candidates::new(spec, w, &cons, cluster.node_size), Objective::Fastest).best
        })
        .min_by(|a, b| a.step_time_s.total_cmp(&b.step_time_s))
        .ok_or_else(|| "layout not published and no searched layout fits".to_string())?;
    let b = best.layout;
    notes.push(format!(
        "layout searched: tp {} pp {} dp {} cp {} ep {} vp {} mb {} {} zero {}",
        b.tp,
        b.pp,
        b.dp,
        b.cp,
        b.ep,
        b.vp,
        b.micro_batch,
        b.recompute.name(),
        b.zero
    ));
    Ok((best, notes.join("; ")))
}

/// The evaluation behind one training row's prediction (for inspection), by row id.
///
/// # Errors
/// An unknown id, or the row's refusal.
pub fn training_evaluation(
    c: &Catalog,
    calib: &Calibration,
    id: &str,
) -> Result<(Evaluation, String), String> {
    let r = records(TRAINING_CSV).into_iter().find(|r| r.get("id") == id).ok_or("no such row")?;
    let spec = shape(&r)?;
    let precision = recipe_precision(r.get("precision")).ok_or("precision not modelled")?;
    let cluster = cluster_for(c, r.get("gpu"), precision, calib)?;
    let (Some(seq_len), Some(gpus), Some(global_batch)) =
        (r.int("seq_len"), r.int("gpus"), r.int("global_batch"))
    else {
        return Err("seq_len, gpus or global_batch not published".into());
    };
    let w = Workload { global_batch, seq_len, precision };
    evaluate_published(&spec, &cluster, &w, calib, gpus, &Published::of(&r))
}

fn predict(c: &Catalog, calib: &Calibration, r: &Record) -> Result<(f64, String), String> {
    let spec = shape(r)?;
    let recipe = r.get("precision");
    let precision = recipe_precision(recipe).ok_or_else(|| format!("precision `{recipe}` not modelled"))?;
    let cluster = cluster_for(c, r.get("gpu"), precision, calib)?;
    let (Some(seq_len), Some(gpus), Some(global_batch)) =
        (r.int("seq_len"), r.int("gpus"), r.int("global_batch"))
    else {
        return Err("seq_len, gpus or global_batch not published".into());
    };
    let metric = r.get("metric");
    if !matches!(metric, "tokens_per_s_per_gpu" | "model_tflops_per_gpu") {
        return Err(format!("metric `{metric}` not predicted"));
    }
    let w = Workload { global_batch, seq_len, precision };
    let (e, note) = evaluate_published(&spec, &cluster, &w, calib, gpus, &Published::of(r))?;
    if metric == "tokens_per_s_per_gpu" {
        return Ok((e.tokens_per_s_per_gpu, note));
    }
    // NeMo and Megatron-Bridge count model FLOPs with causal attention (a token attends to
    // s/2 earlier tokens on average): their printed TFLOP/s equal tokens/s × 3 × forward FLOPs
    // at context s/2 (checked on the rows that print both).
    let per_token = 3.0 * forward_flops_per_token(&spec, f64::from(seq_len) / 2.0);
    let note = if note.is_empty() { String::new() } else { format!("{note}; ") };
    Ok((
        e.tokens_per_s_per_gpu * per_token / 1e12,
        format!("{note}model FLOPs counted with causal attention"),
    ))
}

/// Every row of `training.csv`.
#[must_use]
pub fn training(c: &Catalog, calib: &Calibration) -> Vec<PublishedRow> {
    records(TRAINING_CSV)
        .iter()
        .map(|r| {
            let row = PublishedRow::new("training", r);
            match predict(c, calib, r) {
                Ok((v, note)) => row.answer(v, note),
                Err(why) => row.refuse(why),
            }
        })
        .collect()
}
