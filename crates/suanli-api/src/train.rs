//! `train`: evaluate one layout, or search the layouts left open.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Constraints, Evaluation, Layout, Objective, Operating, Outcome, Prepared,
    Recompute, Stack, TrainReport, Workload, batch_hint, check_stages, nearest_miss, uneven_split,
};
use suanli_report::{
    FrontRow, GpuRef, Header, LayoutRef, ModelRef, PrecisionRef, SearchStats, TrainDoc, Uncertainty,
};

use crate::error::{ApiError, ApiResult, Reply};
use crate::input::{self, nonzero, positive};

/// The sequence length every command defaults to, tokens (capped by the model's context).
pub use suanli_core::train::DEFAULT_SEQ_LEN;

/// `train`: memory, step time and throughput of a parallel layout; fields left out are
/// searched for the fastest layout that fits (or, with `days`, the fewest servers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
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
    /// Server id for the network (default: the catalog's server holding that GPU).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub server: Option<String>,
    /// GPUs. Without it, `days` searches for the fewest servers.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u64))]
    #[serde(default)]
    pub gpus: Option<u64>,
    /// Tensor-parallel degree.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub tp: Option<u32>,
    /// Pipeline stages.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub pp: Option<u32>,
    /// Data-parallel replicas.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub dp: Option<u32>,
    /// Expert-parallel degree (MoE).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub ep: Option<u32>,
    /// Context-parallel degree.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub cp: Option<u32>,
    /// Layers of the first pipeline stage, which also embeds (uneven stages, Megatron-Core's
    /// `decoder_first_pipeline_num_layers`; needs pp). Default: an even split where pp divides
    /// the layers, else embedding and loss counted as a layer each.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_stage_layers: Option<u32>,
    /// Layers of the last pipeline stage, which also computes the logits and the loss (uneven
    /// stages; needs pp).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_stage_layers: Option<u32>,
    /// Expert tensor-parallel degree (MoE; Megatron-Core's `expert_tensor_parallel_size`):
    /// 1 keeps experts whole so ep spans the tensor-parallel ranks too (ep × etp divides
    /// tp·dp·cp). Default: searched between tp and 1.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etp: Option<u32>,
    /// Virtual pipeline stages per GPU (interleaved 1F1B).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub vp: Option<u32>,
    /// Sequences per micro-batch.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub micro_batch: Option<u32>,
    /// Sequences per optimizer step (default 1024).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub global_batch: Option<u32>,
    /// Let the global batch split unevenly over the data-parallel replicas, as metaseq and
    /// FSDP engines do: micro-batches dealt round-robin, some replicas running one more, the
    /// step waiting for the slowest. Default: Megatron's rule, dp × micro_batch divides the
    /// global batch.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uneven_batch: bool,
    /// Layers of each pipeline stage whose activations are offloaded to host memory during
    /// the forward pass and fetched back for the backward (Megatron-Core's
    /// `cpu_offloading_num_layers`; Megatron-Bridge's FSDP recipes on GB200 and GB300 use it
    /// in place of recomputation): over NVLink-C2C on Grace superchips, PCIe elsewhere.
    /// Fewer than a stage's layers, with vp 1. Default 0: none.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offload_layers: Option<u32>,
    /// Tokens per sequence (default 4096, at most the model's context).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub seq_len: Option<u32>,
    /// Activation recomputation: none, selective or full (default: searched).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub recompute: Option<String>,
    /// ZeRO stage (0–3; default: searched).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub zero: Option<u8>,
    /// Data-parallel sharding by name: `zero1` (Megatron's distributed optimizer), `fsdp`
    /// (ZeRO-3 over every data-parallel rank) or `hsdp` (ZeRO-3 inside each server, replicated
    /// across servers). Sets `zero`; default: searched.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<String>,
    /// Matmul precision: bf16 (default), fp16 or fp8.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub precision: Option<String>,
    /// Training tokens, for time, GPU-hours, energy and cost.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true, value_parser = crate::count::parse_amount))]
    #[serde(default)]
    pub tokens: Option<f64>,
    /// Deadline in days: find the fewest servers that train `tokens` in time.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub days: Option<f64>,
    /// Software stack: modern (default: Transformer Engine, FlashAttention, overlap),
    /// fused-attention, legacy (Megatron-LM 2021).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub stack: Option<String>,
    /// Average power as a fraction of TDP (default 0.8).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub power_utilisation: Option<f64>,
    /// Power usage effectiveness of the data centre (default 1.2).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub pue: Option<f64>,
    /// Rows of the Pareto front to return (default 8, at most 1000).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub top: Option<u32>,
    /// A measured calibration (the text of a file `scripts/measure-gpu.py` wrote): its curves
    /// replace the fitted efficiencies for the chip it measured. On the command line
    /// `--calibration FILE`.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

/// Rules a fixed field must obey on its own, before any search.
fn check_fixed(a: &TrainRequest, m: &ModelSpec, seq: u32, global_batch: u32) -> Result<(), ApiError> {
    nonzero(&[
        ("tp", a.tp),
        ("pp", a.pp),
        ("dp", a.dp),
        ("ep", a.ep),
        ("cp", a.cp),
        ("vp", a.vp),
        ("micro_batch", a.micro_batch),
    ])?;
    if let Some(tp) = a.tp {
        if m.heads % tp != 0 {
            return Err(ApiError::invalid(
                "tp",
                tp,
                format!("a divisor of the attention heads ({})", m.heads),
            ));
        }
    }
    let (first, last) = stage_fields(a, m)?;
    if let Some(n) = a.offload_layers.filter(|&n| n > 0) {
        let stage = m.layers / a.pp.unwrap_or(1).max(1);
        if n >= stage {
            return Err(ApiError::invalid(
                "offload_layers",
                n,
                format!("fewer than the layers of a pipeline stage ({stage} of {} layers)", m.layers),
            ));
        }
        if a.vp.is_some_and(|vp| vp > 1) {
            return Err(ApiError::invalid(
                "offload_layers",
                n,
                "0 with vp above 1 (offload needs plain 1F1B)",
            ));
        }
    }
    if let Some(pp) = a.pp {
        if pp > m.layers {
            return Err(ApiError::invalid("pp", pp, format!("at most the layers ({})", m.layers)));
        }
        let (first, last) = match (first, last) {
            (None, None) => uneven_split(m.layers, pp).unwrap_or((0, 0)),
            (f, l) => (f.unwrap_or(0), l.unwrap_or(0)),
        };
        let probe = Layout {
            tp: 1,
            pp,
            dp: 1,
            ep: 1,
            cp: 1,
            vp: a.vp.unwrap_or(1),
            micro_batch: 1,
            recompute: Recompute::Full,
            zero: 0,
            first_stage_layers: first,
            last_stage_layers: last,
            etp: 0,
            hsdp: false,
            uneven_batch: false,
            offload_layers: 0,
        };
        check_stages(&probe, m.layers, "request").map_err(ApiError::from)?;
    }
    if let Some(cp) = a.cp {
        if seq % cp != 0 {
            return Err(ApiError::invalid("cp", cp, format!("a divisor of the sequence length ({seq})")));
        }
    }
    match (&m.moe, a.etp) {
        (None, Some(e)) if e > 1 => return Err(ApiError::invalid("etp", e, "1 for a dense model")),
        (_, Some(0)) => return Err(ApiError::invalid("etp", 0, "a positive integer")),
        _ => {}
    }
    match (&m.moe, a.ep) {
        (None, Some(ep)) if ep != 1 => return Err(ApiError::invalid("ep", ep, "1 for a dense model")),
        (Some(moe), Some(ep)) if moe.experts % ep != 0 => {
            return Err(ApiError::invalid("ep", ep, format!("a divisor of the experts ({})", moe.experts)));
        }
        _ => {}
    }
    if let Some(z) = a.zero {
        if z > 3 {
            return Err(ApiError::invalid("zero", z, "0, 1, 2 or 3"));
        }
    }
    if let (Some(dp), Some(mb), true) = (a.dp, a.micro_batch, a.uneven_batch) {
        let (batch, mb64) = (u64::from(global_batch), u64::from(mb));
        if batch % mb64 != 0 || batch < u64::from(dp) * mb64 {
            return Err(ApiError::invalid(
                "global_batch",
                global_batch,
                format!(
                    "with uneven_batch, a multiple of micro_batch ({mb}) and at least dp × micro_batch ({dp} × {mb}), one micro-batch a replica"
                ),
            ));
        }
    }
    if let (Some(dp), Some(mb), false) = (a.dp, a.micro_batch, a.uneven_batch) {
        let per_step = u64::from(dp) * u64::from(mb);
        if u64::from(global_batch) % per_step != 0 {
            let lower = u64::from(global_batch) / per_step * per_step;
            let near = if lower == 0 { per_step } else { lower };
            return Err(ApiError::invalid(
                "global_batch",
                global_batch,
                format!(
                    "a multiple of dp × micro_batch ({dp} × {mb} = {per_step}); the nearest workable batch is {near}, or uneven_batch where the engine deals micro-batches unevenly (metaseq, FSDP)"
                ),
            ));
        }
    }
    if let Some(g) = a.gpus {
        let fixed: u64 =
            [a.tp, a.pp, a.dp, a.cp].iter().fold(1u64, |n, v| n.saturating_mul(u64::from(v.unwrap_or(1))));
        let all = a.tp.is_some() && a.pp.is_some() && a.dp.is_some() && a.cp.is_some();
        if (all && fixed != g) || g % fixed != 0 {
            return Err(ApiError::invalid(
                "gpus",
                g,
                format!("tp·pp·dp·cp = {fixed} (or a multiple of it when some are searched)"),
            ));
        }
    }
    Ok(())
}

/// The uneven-stage fields: both, or one with the other derived (the remaining layers split
/// evenly over the other stages); they need pp.
fn stage_fields(a: &TrainRequest, m: &ModelSpec) -> Result<(Option<u32>, Option<u32>), ApiError> {
    let (f, l) = (a.first_stage_layers, a.last_stage_layers);
    if f.is_none() && l.is_none() {
        return Ok((None, None));
    }
    let key = if f.is_some() { "first_stage_layers" } else { "last_stage_layers" };
    let Some(pp) = a.pp else {
        return Err(ApiError::field(key, "give pp with first_stage_layers or last_stage_layers"));
    };
    let given = f.or(l).unwrap_or(0);
    if given == 0 || given >= m.layers || pp < 2 {
        return Err(ApiError::invalid(
            key,
            given,
            format!("from 1 to {} layers, with pp ≥ 2 (pp {pp})", m.layers.saturating_sub(1)),
        ));
    }
    if f.is_some() && l.is_some() {
        return Ok((f, l));
    }
    // One given: the rest split evenly over the other pp − 1 stages.
    let rest = m.layers - given;
    if rest % (pp - 1) != 0 {
        return Err(ApiError::invalid(
            key,
            given,
            format!("leaving the other {} stages an equal share of the {} layers", pp - 1, m.layers),
        ));
    }
    let other = Some(rest / (pp - 1));
    Ok(if f.is_some() { (f, other) } else { (other, l) })
}

/// The named sharding's hybrid flag (`Some(true)` for hsdp), after checking it against `zero`.
fn hsdp(a: &TrainRequest) -> Result<Option<bool>, ApiError> {
    let Some(name) = a.sharding.as_deref() else { return Ok(None) };
    let (zero, hybrid) = match input::choice("sharding", Some(name), &["zero1", "fsdp", "hsdp"])? {
        "zero1" => (1, None),
        "fsdp" => (3, Some(false)),
        _ => (3, Some(true)),
    };
    if a.zero.is_some_and(|z| z != zero) {
        return Err(ApiError::invalid(
            "sharding",
            name,
            format!("consistent with zero ({}): {name} is ZeRO-{zero}", a.zero.unwrap_or_default()),
        ));
    }
    Ok(hybrid.or(Some(false)))
}

fn l_pp(e: &Evaluation) -> u32 {
    e.layout.pp
}

fn layout_label(e: &Evaluation) -> String {
    let l = &e.layout;
    format!(
        "{}×{}×{}×{} vp{} mb{} {} z{}",
        l.tp,
        l.pp,
        l.dp,
        l.cp,
        l.vp,
        l.micro_batch,
        l.recompute.name(),
        l.zero
    )
}

/// The request's scalar fields, checked, with their defaults.
struct Scalars {
    power_utilisation: f64,
    pue: f64,
    global_batch: u32,
    top: u32,
}

fn scalars(a: &TrainRequest) -> Result<Scalars, ApiError> {
    positive("tokens", a.tokens, 1e16)?;
    positive("days", a.days, 36_500.0)?;
    let power_utilisation = a.power_utilisation.unwrap_or(0.8);
    positive("power_utilisation", Some(power_utilisation), 1.0)?;
    let pue = a.pue.unwrap_or(1.2);
    if !(1.0..=3.0).contains(&pue) {
        return Err(ApiError::invalid("pue", pue, "a number from 1 to 3"));
    }
    let global_batch = a.global_batch.unwrap_or(1024);
    if global_batch == 0 {
        return Err(ApiError::invalid("global_batch", 0, "a positive number of sequences"));
    }
    if a.gpus == Some(0) {
        return Err(ApiError::invalid("gpus", 0, "a positive number of GPUs"));
    }
    let top = a.top.unwrap_or(8);
    if top > 1000 {
        return Err(ApiError::invalid("top", top, "at most 1000 rows"));
    }
    Ok(Scalars { power_utilisation, pue, global_batch, top })
}

/// The training plan. `progress(done, total)` is called as the search proceeds (the CLI
/// draws a bar with it; other front ends pass a no-op). The search's wall time is the
/// caller's to measure (`search.seconds` is 0 here: the library reads no clock).
pub fn train(
    catalog: &Catalog,
    a: &TrainRequest,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> ApiResult<TrainDoc> {
    #[cfg(feature = "parallel")]
    let search = parallel_search;
    #[cfg(not(feature = "parallel"))]
    let search = sequential_search;
    let catalog = &*input::calibrated(catalog, a.calibration.as_deref())?;
    let mut reply = train_with(catalog, a, progress, search)?;
    reply.answer.notes.extend(input::calibration_note(catalog, &[a.gpu.as_str()]));
    Ok(reply)
}

/// A layout search: over threads or on this one, with the same outcome.
type SearchFn = fn(&Prepared, &Candidates, Objective, &(dyn Fn(usize, usize) + Sync)) -> Outcome;

fn train_with(
    catalog: &Catalog,
    a: &TrainRequest,
    progress: &(dyn Fn(usize, usize) + Sync),
    search: SearchFn,
) -> ApiResult<TrainDoc> {
    let Scalars { power_utilisation, pue, global_batch, top } = scalars(a)?;
    let spec = input::model(catalog, a.model.as_deref(), a.model_config.as_ref())?;
    let seq = a.seq_len.unwrap_or_else(|| spec.max_context.min(DEFAULT_SEQ_LEN));
    if seq == 0 || seq > spec.max_context {
        return Err(ApiError::invalid(
            "seq_len",
            seq,
            format!("a positive number of tokens up to {}'s context of {}", spec.id, spec.max_context),
        ));
    }
    check_fixed(a, &spec, seq, global_batch)?;
    let stages = stage_fields(a, &spec)?;
    let precision = input::precision(
        "precision",
        a.precision.as_deref().unwrap_or("bf16"),
        &[Precision::Bf16, Precision::Fp16, Precision::Fp8],
    )?;
    let recompute =
        match input::choice("recompute", a.recompute.as_deref(), &["", "none", "selective", "full"])? {
            "" => None,
            "none" => Some(Recompute::None),
            "selective" => Some(Recompute::Selective),
            _ => Some(Recompute::Full),
        };
    let stack_names = Stack::ALL.map(|s| s.name);
    let stack_name = input::choice("stack", a.stack.as_deref(), &stack_names)?;
    let stack = Stack::by_name(stack_name).unwrap_or(Stack::MODERN);
    let calib = Calibration::default();
    let cluster = input::cluster(catalog, &a.gpu, a.server.as_deref(), precision)?;
    let w = Workload { global_batch, seq_len: seq, precision };
    let (objective, max_step) = match (a.days, a.tokens, a.gpus) {
        (Some(days), Some(tokens), _) => {
            let steps = tokens / (f64::from(global_batch) * f64::from(seq));
            let max_step_s = days * 86_400.0 / steps;
            (Objective::FewestServers { max_step_s, node_size: cluster.node_size }, Some(max_step_s))
        }
        (Some(d), None, _) => return Err(ApiError::invalid("days", d, "used with tokens")),
        (None, _, Some(_)) => (Objective::Fastest, None),
        (None, _, None) => {
            return Err(ApiError::field("gpus", "give gpus, or days with tokens to find the fewest servers"));
        }
    };
    let constraints = Constraints {
        gpus: if a.days.is_some() { None } else { a.gpus },
        max_gpus: a.gpus.unwrap_or(u64::MAX),
        tp: a.tp,
        pp: a.pp,
        dp: a.dp,
        ep: a.ep,
        cp: a.cp,
        vp: a.vp,
        micro_batch: a.micro_batch,
        recompute,
        zero: a.zero.or(match a.sharding.as_deref() {
            Some("zero1") => Some(1),
            Some("fsdp" | "hsdp") => Some(3),
            _ => None,
        }),
        first_stage_layers: stages.0,
        last_stage_layers: stages.1,
        etp: a.etp,
        hsdp: hsdp(a)?,
        uneven_batch: a.uneven_batch,
        offload_layers: a.offload_layers.unwrap_or(0),
    };
    let cands = Candidates::try_new(&spec, &w, &constraints, cluster.node_size)?;
    if cands.outer.is_empty() {
        if let Some(why) = batch_hint(&spec, &w, &constraints, cluster.node_size) {
            return Err(ApiError::invalid("global_batch", global_batch, why));
        }
    }
    let prepared = Prepared::new(&spec, &cluster, &w, &calib, &stack);
    let outcome = search(&prepared, &cands, objective, progress);
    let op = Operating { power_utilisation, pue };

    // A fully fixed layout that does not fit is reported, then refused.
    let single = outcome.evaluated == 1;
    let chosen = match (outcome.best, outcome.nearest_miss) {
        (Some(b), _) => b,
        (None, Some(miss)) if single => miss,
        (None, _) => {
            let why = nearest_miss(&outcome, cluster.memory_gib).unwrap_or_else(|| {
                format!(
                    "no layout satisfies the fixed fields: the global batch ({global_batch}) must split over dp × micro_batch and the GPU count over tp·pp·cp"
                )
            });
            return Err(ApiError::Infeasible(why));
        }
    };
    let mut notes = vec![format!("sequence length {seq} tokens")];
    if spec.moe.is_some() && chosen.layout.expert_tp() != chosen.layout.tp {
        notes.push(format!(
            "expert tensor parallelism etp {}: the expert-parallel group of ep {} × etp {} GPUs spans the tensor-parallel ranks",
            chosen.layout.expert_tp(),
            chosen.layout.ep,
            chosen.layout.expert_tp()
        ));
    }
    if chosen.layout.zero == 3 {
        notes.push(if chosen.layout.hsdp {
            "hybrid sharding (HSDP): ZeRO-3 inside each server, gradient shards all-reduced across servers"
                .to_string()
        } else {
            "fully sharded data parallelism (FSDP): ZeRO-3 over every data-parallel rank".to_string()
        });
    }
    if chosen.layout.uneven() {
        let (f, mid, la) = chosen.layout.stage_layers(spec.layers);
        let middle = if l_pp(&chosen) > 2 {
            format!(", {mid} on each of the {} middle stages", l_pp(&chosen) - 2)
        } else {
            String::new()
        };
        notes.push(format!(
            "uneven pipeline stages: {f} layers on the first (with the embedding){middle}, {la} on the last (with the loss); the slowest stage sets the pace"
        ));
    }
    if chosen.layout.uneven_batch {
        let m = chosen.micro_batches;
        let mb = chosen.layout.micro_batch;
        let total = global_batch / mb.max(1);
        let dp = chosen.layout.dp;
        let long = total - (m - 1) * dp;
        notes.push(format!(
            "uneven micro-batches: {total} micro-batches of {mb} over dp {dp}, {long} replicas run {m} and {} run {}; the step waits for the slowest",
            dp - long,
            m - 1
        ));
    }
    if cluster.scale_out_assumed {
        notes.push(format!(
            "no NICs catalogued for this server: scale-out assumed {} Gb/s per GPU",
            suanli_core::train::DEFAULT_SCALE_OUT_GBPS
        ));
    }
    if cluster.cloud_usd_per_gpu_hour.is_none() && a.tokens.is_some() {
        notes.push(format!("no cloud price for {} in the catalog: cost not computed", cluster.accelerator));
    }
    notes.push(format!(
        "energy counts the GPUs at {power_utilisation} of TDP × PUE {pue}; servers' CPUs, memory and network are not included"
    ));
    let report = TrainReport::new(&chosen, &w, &cluster, a.tokens, &op);
    let front = outcome
        .front
        .members
        .iter()
        .rev()
        .take(top as usize)
        .map(|e| {
            let r = TrainReport::new(e, &w, &cluster, a.tokens, &op);
            FrontRow {
                gpus: e.gpus,
                servers: r.servers,
                step_time_s: e.step_time_s,
                train_days: r.train_days,
                mfu: e.mfu,
                cost_usd: r.cost_usd,
                layout: layout_label(e),
            }
        })
        .collect();
    let l = &chosen.layout;
    let header = Header {
        model: ModelRef::of(&spec),
        gpu: Some(GpuRef::of(catalog, &cluster.accelerator, chosen.gpus)),
        layout: Some(LayoutRef { tp: l.tp, pp: l.pp, dp: l.dp, ep: l.ep, cp: l.cp }),
        precision: Some(PrecisionRef { weights: Precision::Bf16, activations: precision, kv: precision }),
    };
    let uncertainty =
        input::band(catalog, "training", &cluster.accelerator).map(|b| match report.train_days {
            Some(days) => Uncertainty::time("time_days", days, &b),
            None => Uncertainty::time("step_time_s", chosen.step_time_s, &b),
        });
    let doc = TrainDoc {
        uncertainty,
        header,
        model: spec.id.clone(),
        gpu: cluster.accelerator.clone(),
        server: cluster.server.clone(),
        stack: stack.name.to_string(),
        report,
        search: (!single).then_some(SearchStats {
            evaluated: outcome.evaluated,
            feasible: outcome.feasible,
            seconds: 0.0,
            front,
        }),
        notes,
    };
    let infeasible = if !chosen.fits {
        Some(format!(
            "the layout does not fit: it needs {:.1} GiB per GPU, {:.1} GiB available",
            chosen.memory.total_gib, cluster.memory_gib
        ))
    } else {
        match (max_step, a.days) {
            (Some(limit), Some(days)) if chosen.step_time_s > limit => Some(format!(
                "no layout trains the tokens in {days} days at global batch {global_batch}; the fastest shown takes {:.1} days",
                doc.report.train_days.unwrap_or_default()
            )),
            _ => None,
        }
    };
    Ok(Reply { answer: doc, infeasible })
}

/// The layout search over threads (rayon, feature `parallel`).
#[cfg(feature = "parallel")]
fn parallel_search(
    p: &Prepared,
    cands: &Candidates,
    obj: Objective,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Outcome {
    suanli_search::search(p, cands, obj, progress)
}

/// The same search on this thread (without `parallel`: the browser build); same outcome.
#[cfg(any(test, not(feature = "parallel")))]
fn sequential_search(
    p: &Prepared,
    cands: &Candidates,
    obj: Objective,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Outcome {
    let total = cands.outer.len();
    let out = suanli_core::train::search(p, cands, obj);
    progress(total, total);
    out
}

#[cfg(all(test, feature = "parallel"))]
#[allow(clippy::unwrap_used)]
mod search_tests {
    use super::*;

    /// Without the `parallel` feature the answers are the same, byte for byte.
    #[test]
    fn sequential_and_parallel_searches_agree() {
        let c = Catalog::builtin().unwrap();
        for body in [
            r#"{"model": "llama3.1-8b", "gpu": "h100-sxm", "gpus": 256, "tokens": 1e12}"#,
            r#"{"model": "gpt3-175b", "gpu": "a100-sxm-80gb", "days": 30, "tokens": 3e11}"#,
            r#"{"model": "mixtral-8x7b", "gpu": "h100-sxm", "gpus": 64, "tokens": 1e11, "top": 5}"#,
        ] {
            let r: TrainRequest = crate::json::parse(serde_json::from_str(body).unwrap()).unwrap();
            let seq = train_with(&c, &r, &|_, _| {}, sequential_search).unwrap();
            let par = train_with(&c, &r, &|_, _| {}, parallel_search).unwrap();
            let j = |d: &Reply<TrainDoc>| serde_json::to_string(&d.answer).unwrap();
            assert_eq!(j(&seq), j(&par), "{body}");
        }
    }
}
