//! `infer`: one replica configuration, or a search over TP / PP / EP and precision.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::hardware::PeakKind;
use suanli_core::infer::{
    Engine, InferCalibration, InferConfig, Limits, Mode, Precisions, Replica, best_load, cost_per_million,
    evaluate, search,
};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::Cluster;
use suanli_report::{
    GpuRef, Header, InferConfigOut, InferDoc, LayoutRef, ModelRef, PrecisionRef, RankRow, Uncertainty,
};
use suanli_sim::metrics::Latency;

use crate::error::{ApiError, ApiResult, Reply};
use crate::input::{self, count, nonzero};

/// Precisions a request may name for serving.
const SERVING: [Precision; 6] =
    [Precision::Bf16, Precision::Fp16, Precision::Fp8, Precision::Int8, Precision::Int4, Precision::Fp4];

/// Deepest pipeline the search tries.
const MAX_SEARCHED_PP: u32 = 8;

/// Largest prompt or output length, tokens.
pub const MAX_TOKENS: u64 = 10_000_000;

/// The layout search's precision and limits (`infer`, `sweep`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchOptions {
    /// bf16 … int4, or `auto`.
    pub precision: Option<String>,
    /// Compute in bf16 on chips lacking the precision.
    pub fallback: bool,
    /// TTFT limit, s.
    pub max_ttft: Option<f64>,
    /// TPOT limit, s.
    pub max_tpot: Option<f64>,
    /// Rank by cost.
    pub per_dollar: bool,
}

impl SearchOptions {
    /// The precisions to try, after checking the limits.
    pub(crate) fn precisions(&self) -> Result<Vec<Precision>, ApiError> {
        for (key, v) in [("max_ttft", self.max_ttft), ("max_tpot", self.max_tpot)] {
            if let Some(x) = v.filter(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(ApiError::invalid(key, x, "a positive number of seconds"));
            }
        }
        Ok(match self.precision.as_deref() {
            Some("auto") => {
                vec![Precision::Bf16, Precision::Fp8, Precision::Int8, Precision::Int4, Precision::Fp4]
            }
            None => vec![Precision::Bf16],
            Some(p) => vec![input::precision("precision", p, &SERVING).map_err(|_| {
                ApiError::invalid("precision", p, "bf16, fp16, fp8, int8, int4, fp4 (nvfp4, mxfp4) or auto")
            })?],
        })
    }

    fn auto(&self) -> bool {
        self.precision.as_deref() == Some("auto")
    }
}

/// `infer`: memory, KV cache, throughput and latency of a serving replica; without `tp`, the
/// best TP / PP / EP (and precision with `precision: auto`) under the latency limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct InferRequest {
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
    /// Server id for the scale-up fabric (default: the catalog's server holding that GPU).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub server: Option<String>,
    /// Tensor-parallel degree. Without it, TP (and PP, EP when not given) are searched.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub tp: Option<u32>,
    /// Pipeline stages (default 1 when `tp` is given).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub pp: Option<u32>,
    /// Expert-parallel degree for MoE models (default 1 when `tp` is given): a divisor of tp,
    /// or a multiple of it for wide EP (attention data-parallel over ep ÷ tp groups).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub ep: Option<u32>,
    /// Attention data-parallel groups for wide expert parallelism (DeepSeek-style): attention
    /// replicated over this many groups of tp GPUs, the routed experts sharded over all of
    /// them (ep = tp × dp_attention), tokens dispatched and combined by all-to-all. Default:
    /// ep ÷ tp when ep exceeds tp, else 1; without tp, searched.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp_attention: Option<u32>,
    /// Prompt tokens per request.
    #[cfg_attr(feature = "clap", arg(long = "input-tokens", visible_alias = "input", value_parser = crate::count::parse_u64))]
    #[serde(alias = "input")]
    pub input_tokens: u64,
    /// Output tokens per request.
    #[cfg_attr(feature = "clap", arg(long = "output-tokens", visible_alias = "output", value_parser = crate::count::parse_u64))]
    #[serde(alias = "output")]
    pub output_tokens: u64,
    /// A static batch of this many requests (prefill all, then decode).
    #[cfg_attr(feature = "clap", arg(long, conflicts_with = "concurrency", value_parser = crate::count::parse_u64))]
    #[serde(default)]
    pub batch: Option<u64>,
    /// This many concurrent requests, continuously batched. Neither: maximum load.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u64))]
    #[serde(default)]
    pub concurrency: Option<u64>,
    /// Weights, activations and KV cache: bf16 (default), fp16, fp8, int8, int4 (weight-only),
    /// or auto (search every precision the chip computes in).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub precision: Option<String>,
    /// Weight precision, overriding `precision`.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub weights: Option<String>,
    /// KV-cache precision, overriding `precision`.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub kv: Option<String>,
    /// When the chip lacks the activation precision, compute in bf16 (fp16 without bf16) and
    /// keep the stored precisions, instead of failing.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub fallback: bool,
    /// Engine cap on sequences per step (default 2048).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub max_batch: Option<u32>,
    /// Engine budget of tokens per step (default 8192).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Speculative decoding: mtp, eagle or draft:<model id> (the layout is chosen without it,
    /// then evaluated with it).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub speculative: Option<String>,
    /// Draft tokens per step (default: mtp 1, eagle 4, draft model 4).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub draft_tokens: Option<u32>,
    /// Per-token acceptance rate of the draft (default: mtp 0.85, eagle 0.75, draft model 0.6).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub acceptance: Option<f64>,
    /// Search limit on time to first token, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub max_ttft: Option<f64>,
    /// Search limit on time per output token, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub max_tpot: Option<f64>,
    /// Rank the search by cost per token instead of throughput per GPU.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub per_dollar: bool,
    /// A measured calibration (the text of a file `scripts/measure-gpu.py` wrote): its curves
    /// replace the fitted efficiencies for the chip it measured. On the command line
    /// `--calibration FILE`.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

impl InferRequest {
    /// The search options this request carries.
    #[must_use]
    pub fn search_options(&self) -> SearchOptions {
        SearchOptions {
            precision: self.precision.clone(),
            fallback: self.fallback,
            max_ttft: self.max_ttft,
            max_tpot: self.max_tpot,
            per_dollar: self.per_dollar,
        }
    }
}

/// The chip's rates for `p`'s activation precision; with `fallback`, bf16 (or fp16) when it
/// lacks that precision. Returns the precisions actually used and a note on the fallback.
fn cluster_for(
    c: &Catalog,
    gpu: &str,
    server: Option<&str>,
    p: Precisions,
    fallback: bool,
) -> Result<(Cluster, Precisions, Option<String>), ApiError> {
    let acc = c.accelerator(gpu).map_err(|e| ApiError::from(e).at("gpu"))?;
    let cluster = |q: Precision| input::cluster(c, gpu, server, q);
    if acc.peak_flops(p.activations, PeakKind::Dense).is_some() {
        return Ok((cluster(p.activations)?, p, None));
    }
    let have: Vec<&str> = acc.dense_tflops.keys().map(|p| p.name()).collect();
    if !fallback {
        return Err(ApiError::invalid(
            "precision",
            p.activations,
            format!(
                "a precision {} computes in ({}); set fallback to keep {} weights and KV cache and compute in bf16",
                acc.id,
                have.join(", "),
                p.weights
            ),
        ));
    }
    let to = [Precision::Bf16, Precision::Fp16]
        .into_iter()
        .find(|q| acc.peak_flops(*q, PeakKind::Dense).is_some())
        .ok_or_else(|| {
            ApiError::invalid(
                "precision",
                p.activations,
                format!("{} has no bf16 or fp16 rate to fall back to", acc.id),
            )
        })?;
    let used = Precisions { activations: to, ..p };
    let note = format!(
        "{} has no {} rate: computing in {to} with {} weights and {} KV cache (fallback)",
        acc.id, p.activations, p.weights, p.kv
    );
    Ok((cluster(to)?, used, Some(note)))
}

/// What the fastest fitting layouts reach one request at a time, for a message when a latency
/// limit cannot be met ("; the best achievable TPOT is 7.9 ms (tp8×pp1 …)").
#[allow(clippy::too_many_arguments)]
fn nearest_latency(
    spec: &ModelSpec,
    lookup: &dyn Fn(&Precisions) -> Option<Cluster>,
    fitting: &[suanli_core::infer::Candidate],
    engine: &Engine,
    calib: &InferCalibration,
    input: u32,
    output: u32,
) -> String {
    let at_one: Vec<(String, f64, f64)> = fitting
        .iter()
        .filter_map(|c| {
            let cl = lookup(&c.config.precision)?;
            let r = evaluate(
                &Replica::new(spec, &cl, &c.config, engine, calib),
                input,
                output,
                Mode::Concurrency(1),
            );
            r.fits.then(|| (label(&c.config), r.ttft_s, r.tpot_s))
        })
        .collect();
    let best = |pick: fn(&(String, f64, f64)) -> f64| {
        at_one.iter().min_by(|a, b| pick(a).total_cmp(&pick(b))).map(|x| (x.0.clone(), pick(x)))
    };
    match (best(|x| x.1), best(|x| x.2)) {
        (Some((lt, ttft)), Some((lp, tpot))) => format!(
            "; the best achievable TTFT is {:.1} ms ({lt}) and TPOT {:.1} ms ({lp}), one request at a time",
            ttft * 1e3,
            tpot * 1e3
        ),
        _ => "; no layout fits in memory at all".to_string(),
    }
}

/// `tp{}×pp{} ep{} w/a/kv` (with ` dpa{}` for attention data parallelism).
pub(crate) fn label(cfg: &InferConfig) -> String {
    let dpa = cfg.dp_attention();
    let dpa = if dpa > 1 { format!(" dpa{dpa}") } else { String::new() };
    format!(
        "tp{}×pp{} ep{}{dpa} {}/{}/{}",
        cfg.tp, cfg.pp, cfg.ep, cfg.precision.weights, cfg.precision.activations, cfg.precision.kv
    )
}

/// Expert-parallel degrees searched for a MoE model: the divisors of each tp (experts inside
/// the tensor-parallel group), and wide EP over attention data-parallel groups — ep a
/// multiple of tp from 2·tp up to the experts (at most 512 GPUs a stage): powers of two and
/// whole scale-up domains (multiples of the server's GPUs).
pub(crate) fn expert_degrees(tps: &[u32], experts: u32, node: u32, dp_attention: Option<u32>) -> Vec<u32> {
    let cap = experts.min(512);
    let mut v: Vec<u32> = if dp_attention.is_some_and(|d| d > 1) { Vec::new() } else { tps.to_vec() };
    let mut wide: Vec<u32> = (1..=9).map(|k| 1u32 << k).collect();
    wide.extend((1..=cap / node.max(1)).map(|k| k * node.max(1)));
    for &tp in tps {
        for &e in &wide {
            let ok = e > tp && e % tp == 0 && e <= cap && dp_attention.is_none_or(|d| e == tp * d);
            if ok && !v.contains(&e) {
                v.push(e);
            }
        }
    }
    v.sort_unstable();
    v
}

fn divisors_up_to(n: u32, max: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut d = 1;
    while u64::from(d) * u64::from(d) <= u64::from(n) {
        if n % d == 0 {
            out.push(d);
            if d != n / d {
                out.push(n / d);
            }
        }
        d += 1;
    }
    out.retain(|&x| x <= max);
    out.sort_unstable();
    out
}

/// The inference plan, and why it does not fit when it does not.
pub fn infer(catalog: &Catalog, r: &InferRequest) -> ApiResult<InferDoc> {
    let catalog = &*input::calibrated(catalog, r.calibration.as_deref())?;
    let mut reply = infer_uncalibrated(catalog, r)?;
    reply.answer.notes.extend(input::calibration_note(catalog, &[r.gpu.as_str()]));
    Ok(reply)
}

fn infer_uncalibrated(catalog: &Catalog, r: &InferRequest) -> ApiResult<InferDoc> {
    let spec: ModelSpec = input::model(catalog, r.model.as_deref(), r.model_config.as_ref())?;
    let input = count("input_tokens", r.input_tokens, MAX_TOKENS)?;
    let output = count("output_tokens", r.output_tokens, MAX_TOKENS)?;
    let total = u64::from(input) + u64::from(output);
    if total > u64::from(spec.max_context) {
        return Err(ApiError::invalid(
            "input_tokens",
            format!("{input} + {output} output tokens = {total}"),
            format!("at most {}'s context of {} tokens", spec.id, spec.max_context),
        ));
    }
    let mode = match (r.batch, r.concurrency) {
        (Some(_), Some(_)) => return Err(ApiError::field("batch", "give batch or concurrency, not both")),
        (Some(b), None) => Mode::Batch(count("batch", b, 1_000_000)?),
        (None, Some(c)) => Mode::Concurrency(count("concurrency", c, 1_000_000)?),
        (None, None) => Mode::MaxLoad,
    };
    let opts = r.search_options();
    let base = opts.precisions()?;
    nonzero(&[
        ("tp", r.tp),
        ("pp", r.pp),
        ("ep", r.ep),
        ("max_batch", r.max_batch),
        ("max_tokens", r.max_tokens),
    ])?;
    let engine = Engine {
        max_batch: r.max_batch.unwrap_or(2048),
        max_tokens: r.max_tokens.unwrap_or(8192),
        ..Engine::default()
    };
    let calib = InferCalibration::default();
    let weights = r.weights.as_deref().map(|w| input::precision("weights", w, &SERVING)).transpose()?;
    let kv = r.kv.as_deref().map(|k| input::precision("kv", k, &SERVING[..4])).transpose()?;
    let mut notes = Vec::new();
    let checkpoint = (r.precision.is_none() && r.weights.is_none())
        .then(|| input::checkpoint_precisions(catalog, &r.gpu, spec.stored_precision))
        .flatten();
    let wanted: Vec<Precisions> = match checkpoint {
        Some((p, note)) => {
            notes.push(note);
            vec![Precisions { kv: kv.unwrap_or(p.kv), ..p }]
        }
        None => base
            .iter()
            .map(|&p| {
                let u = Precisions::uniform(p);
                Precisions { weights: weights.unwrap_or(u.weights), kv: kv.unwrap_or(u.kv), ..u }
            })
            .collect(),
    };
    let chip = catalog.accelerator(&r.gpu).map_err(|e| ApiError::from(e).at("gpu"))?.id.clone();
    let server = r.server.as_deref();
    // The scale-up domain: the chosen server's GPUs (72 on an NVL72 rack), not a fixed 8.
    let node = cluster_for(catalog, &r.gpu, server, wanted[0], true).map_or_else(
        |_| {
            catalog
                .servers
                .iter()
                .find(|s| s.accelerator.as_deref() == Some(chip.as_str()))
                .map_or(8, |s| s.accelerator_count.max(1))
        },
        |(c, _, _)| c.node_size,
    );
    if r.dp_attention == Some(0) {
        return Err(ApiError::invalid("dp_attention", 0, "a positive number of groups"));
    }
    if let Some(d) = r.dp_attention.filter(|&d| d > 1) {
        if spec.moe.is_none() {
            return Err(ApiError::invalid("dp_attention", d, "1 for a dense model (wide EP needs experts)"));
        }
    }
    let speculation =
        crate::traffic::speculation(catalog, r.speculative.as_deref(), r.draft_tokens, r.acceptance)?;

    let (cfg, cluster, result, ranking) = if r.tp.is_none() {
        // TP and EP inside the scale-up domain (and wide EP beyond it); PP up to 8 stages (a
        // pipeline depth, not a domain: deeper ones only lengthen the first token).
        let tps = divisors_up_to(node, node);
        let pps = r.pp.map_or_else(|| divisors_up_to(spec.layers, MAX_SEARCHED_PP), |p| vec![p]);
        let eps = r.ep.map_or_else(
            || spec.moe.as_ref().map_or(vec![1], |m| expert_degrees(&tps, m.experts, node, r.dp_attention)),
            |e| vec![e],
        );
        let limits =
            Limits { max_ttft_s: opts.max_ttft, max_tpot_s: opts.max_tpot, per_dollar: opts.per_dollar };
        let auto = opts.auto();
        let lookup = |p: &Precisions| -> Option<Cluster> {
            cluster_for(catalog, &r.gpu, server, *p, opts.fallback && !auto).ok().map(|(c, _, _)| c)
        };
        if !auto {
            // Surface a missing precision as an error rather than an empty search.
            let (_, _, note) = cluster_for(catalog, &r.gpu, server, wanted[0], opts.fallback)?;
            notes.extend(note);
        }
        let found =
            search(&spec, &lookup, &tps, &pps, &eps, &wanted, &engine, &calib, input, output, &limits);
        let Some(best) = found.best else {
            let free = Limits { max_ttft_s: None, max_tpot_s: None, per_dollar: false };
            let fitting =
                search(&spec, &lookup, &tps, &pps, &eps, &wanted, &engine, &calib, input, output, &free);
            let near = nearest_latency(&spec, &lookup, &fitting.ranked, &engine, &calib, input, output);
            return Err(ApiError::Infeasible(format!(
                "no configuration fits and meets the limits ({} evaluated on {}: tp up to {node}, pp up to {MAX_SEARCHED_PP}, wide EP up to {} GPUs a stage){near}",
                found.evaluated,
                r.gpu,
                eps.iter().max().copied().unwrap_or(1)
            )));
        };
        let (cluster, used, _) = cluster_for(catalog, &r.gpu, server, best.config.precision, opts.fallback)?;
        let cfg = InferConfig { precision: used, ..best.config };
        let replica = Replica::new(&spec, &cluster, &cfg, &engine, &calib);
        let result = match mode {
            Mode::MaxLoad => best.result,
            m => evaluate(&replica, input, output, m),
        };
        let ranking: Vec<RankRow> = found
            .ranked
            .iter()
            .take(10)
            .map(|c| RankRow {
                layout: label(&c.config),
                output_tokens_per_s_per_gpu: c.result.output_tokens_per_s_per_gpu,
                batch: c.result.batch,
                ttft_s: Latency::fixed(c.result.ttft_s),
                tpot_s: Latency::fixed(c.result.tpot_s),
                cost_usd_per_million_output_tokens: c.cost_usd_per_million_output_tokens,
            })
            .collect();
        if opts.max_ttft.is_some() || opts.max_tpot.is_some() {
            notes.push("the search caps the batch at the largest that meets the latency limits".to_string());
        }
        (cfg, cluster, result, Some(ranking))
    } else {
        let tp = r.tp.unwrap_or(1);
        let (cluster, used, note) = cluster_for(catalog, &r.gpu, server, wanted[0], opts.fallback)?;
        notes.extend(note);
        let ep = match (r.ep, r.dp_attention) {
            (Some(e), Some(d)) if u64::from(e) != u64::from(tp) * u64::from(d) && d > 1 => {
                return Err(ApiError::invalid(
                    "dp_attention",
                    d,
                    format!("ep ÷ tp ({e} ÷ {tp}) when both are given"),
                ));
            }
            (Some(e), _) => e,
            (None, Some(d)) => tp.saturating_mul(d),
            (None, None) => 1,
        };
        let cfg = InferConfig { tp, pp: r.pp.unwrap_or(1), ep, precision: used };
        cfg.check(&spec, input, output, "request")?;
        let replica = Replica::new(&spec, &cluster, &cfg, &engine, &calib);
        let limits = Limits { max_ttft_s: opts.max_ttft, max_tpot_s: opts.max_tpot, per_dollar: false };
        let result = match (mode, opts.max_ttft.is_some() || opts.max_tpot.is_some()) {
            (Mode::MaxLoad, true) => best_load(&replica, input, output, &limits)
                .unwrap_or_else(|| evaluate(&replica, input, output, Mode::Concurrency(1))),
            (m, _) => evaluate(&replica, input, output, m),
        };
        (cfg, cluster, result, None)
    };
    let result = match &speculation {
        None => result,
        Some(sp) => {
            let plain = Replica::new(&spec, &cluster, &cfg, &engine, &calib);
            let replica = sp.apply(&spec, plain, &engine, &calib).ok_or_else(|| {
                ApiError::invalid(
                    "speculative",
                    r.speculative.as_deref().unwrap_or(""),
                    format!("a draft model that takes tp {} and pp {}", cfg.tp, cfg.pp),
                )
            })?;
            let limits = Limits { max_ttft_s: opts.max_ttft, max_tpot_s: opts.max_tpot, per_dollar: false };
            let s = replica.speculation.as_ref().map(suanli_core::infer::Speculation::summary);
            if let Some(s) = s {
                notes.push(format!(
                    "speculative decoding ({}): {} draft tokens at acceptance {} emit {:.2} tokens a step; TPOT without it {:.2} ms",
                    s.method, s.draft_tokens, s.acceptance, s.tokens_per_step, result.tpot_s * 1e3
                ));
            }
            match (mode, opts.max_ttft.is_some() || opts.max_tpot.is_some()) {
                (Mode::MaxLoad, true) => best_load(&replica, input, output, &limits)
                    .unwrap_or_else(|| evaluate(&replica, input, output, Mode::Concurrency(1))),
                (m, _) => evaluate(&replica, input, output, m),
            }
        }
    };
    Ok(answer(
        &Chosen {
            catalog,
            spec: &spec,
            cluster: &cluster,
            cfg,
            engine: &engine,
            calib: &calib,
            mode,
            input,
            output,
            speculation: speculation.as_ref(),
        },
        result,
        ranking,
        notes,
    ))
}

/// The chosen configuration and the request's workload.
struct Chosen<'a> {
    catalog: &'a Catalog,
    spec: &'a ModelSpec,
    cluster: &'a Cluster,
    cfg: InferConfig,
    engine: &'a Engine,
    calib: &'a InferCalibration,
    mode: Mode,
    input: u32,
    output: u32,
    speculation: Option<&'a suanli_sim::engine::SpeculationSpec>,
}

/// Why a replica that does not fit does not: weights and workspace, or a KV pool too small
/// for the batch.
fn unfit_reason(replica: &Replica, result: &suanli_core::infer::InferResult, total: u64) -> String {
    let m = &replica.memory;
    let need = m.weights_gib + m.workspace_gib + m.reserved_gib;
    if m.kv_cache_gib <= 0.0 {
        format!(
            "does not fit: weights, workspace and reserve need {need:.1} GiB per GPU, {:.1} GiB available; raise tp or pp, or lower the precision",
            m.capacity_gib
        )
    } else {
        format!(
            "does not fit: the KV pool ({:.1} GiB per GPU) holds {} requests of {total} tokens, fewer than the batch of {}",
            m.kv_cache_gib,
            replica.kv_capacity(total as f64),
            result.batch
        )
    }
}

/// The answer document for the chosen configuration.
fn answer(
    c: &Chosen<'_>,
    result: suanli_core::infer::InferResult,
    ranking: Option<Vec<RankRow>>,
    mut notes: Vec<String>,
) -> Reply<InferDoc> {
    let Chosen { catalog, spec, cluster, cfg, engine, calib, mode, input, output, speculation } = *c;
    let total = u64::from(input) + u64::from(output);
    if spec.mla.is_none() && cfg.tp > spec.kv_heads {
        notes.push(format!(
            "tp {} exceeds the {} KV heads: each GPU keeps a copy of one KV head, {}× the KV memory of an even split",
            cfg.tp,
            spec.kv_heads,
            cfg.tp / spec.kv_heads.max(1)
        ));
    }
    let replica = Replica::new(spec, cluster, &cfg, engine, calib);
    let replica = match speculation {
        Some(sp) => sp.apply(spec, replica.clone(), engine, calib).unwrap_or(replica),
        None => replica,
    };
    let cost = cost_per_million(cluster, &cfg, &result);
    if cost.is_none() {
        notes.push(format!(
            "no cloud price for {} in the catalog: cost per token not computed",
            cluster.accelerator
        ));
    }
    let load = match mode {
        Mode::MaxLoad => "max_load".to_string(),
        Mode::Concurrency(c) => format!("concurrency {c}"),
        Mode::Batch(b) => format!("batch {b}"),
    };
    let unfit = (!result.fits).then(|| unfit_reason(&replica, &result, total));
    let header = Header {
        model: ModelRef::of(spec),
        gpu: Some(GpuRef::of(catalog, &cluster.accelerator, cfg.gpus())),
        layout: Some(LayoutRef { tp: cfg.tp, pp: cfg.pp, dp: cfg.dp_attention(), ep: cfg.ep, cp: 1 }),
        precision: Some(PrecisionRef {
            weights: cfg.precision.weights,
            activations: cfg.precision.activations,
            kv: cfg.precision.kv,
        }),
    };
    let uncertainty = input::band(catalog, "inference", &cluster.accelerator)
        .map(|b| Uncertainty::throughput("output_tokens_per_s", result.output_tokens_per_s, &b));
    let doc = InferDoc {
        uncertainty,
        header,
        workload: InferConfigOut {
            input_tokens: input,
            output_tokens: output,
            load,
            engine_max_batch: engine.max_batch,
            engine_max_tokens: engine.max_tokens,
        },
        fits: result.fits,
        memory_gib_per_gpu: replica.memory.total_gib,
        kv_cache_gib: replica.memory.kv_cache_gib,
        max_batch: result.max_batch,
        max_batch_limited_by: result.max_batch_limited_by.to_string(),
        batch: result.batch,
        ttft_s: Latency::fixed(result.ttft_s),
        tpot_s: Latency::fixed(result.tpot_s),
        e2e_s: Latency::fixed(result.e2e_s),
        output_tokens_per_s: result.output_tokens_per_s,
        output_tokens_per_s_per_gpu: result.output_tokens_per_s_per_gpu,
        total_tokens_per_s: result.total_tokens_per_s,
        cost_usd_per_million_output_tokens: cost,
        bound: result.bound,
        memory: replica.memory,
        step: result.step,
        search: ranking,
        notes,
    };
    Reply { answer: doc, infeasible: unfit }
}

#[cfg(test)]
mod tests {
    use super::divisors_up_to;

    #[test]
    fn divisors_come_from_a_square_root_scan() {
        assert_eq!(divisors_up_to(12, 8), vec![1, 2, 3, 4, 6]);
        assert_eq!(divisors_up_to(61, 8), vec![1]);
        assert_eq!(divisors_up_to(u32::MAX, 8), vec![1, 3, 5]);
    }
}
