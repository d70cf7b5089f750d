//! `serve`: the cheapest fleet that meets p99 latency targets in the peak hour.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::infer::{InferCalibration, InferConfig, Mode, evaluate};
use suanli_core::sigfig::human;
use suanli_report::{GpuRef, Header, LayoutRef, ModelRef, PrecisionRef, ServeDoc, Targets, Uncertainty};
use suanli_sim::disagg::KV_TRANSFER_SETUP_S;
use suanli_sim::fleet::{ChipOption, FleetSpec, size_disaggregated, try_size};
use suanli_sim::workload::DailyCurve;

use crate::error::{ApiError, ApiResult, Reply};
use crate::input::{self, positive_value};
use crate::traffic::{Traffic, cluster, tps};

/// Most requests one simulation may take (the simulator's stated memory cap).
pub const MAX_SIM_REQUESTS: u64 = suanli_sim::sim::MAX_REQUESTS as u64;

/// `serve`: size the cheapest fleet that meets p99 latency targets in the peak hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct ServeRequest {
    /// Catalog id (on the command line also a Hugging Face `config.json`, a snapshot folder or
    /// a TOML file with one `[[model]]`).
    #[cfg_attr(feature = "clap", arg(long, short = 'm', required = true))]
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted as JSON (instead of `model`).
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_config: Option<Value>,
    /// Chips to consider (repeat). Default: every catalogued chip with a cloud price.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default, deserialize_with = "crate::lists::one_or_many")]
    #[schemars(with = "crate::lists::OneOrMany")]
    pub gpu: Vec<String>,
    /// Fix the tensor-parallel degree (default: searched).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub tp: Option<u32>,
    /// Peak request rate, requests/s.
    #[cfg_attr(
        feature = "clap",
        arg(long, allow_negative_numbers = true, conflicts_with = "daily_requests")
    )]
    #[serde(default)]
    pub rate: Option<f64>,
    /// Requests a day (with `peak_to_average` for the peak hour).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true, value_parser = crate::count::parse_amount))]
    #[serde(default)]
    pub daily_requests: Option<f64>,
    /// Peak-hour rate over the day's mean rate (default 2).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub peak_to_average: Option<f64>,
    /// p99 time-to-first-token target, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    pub ttft_p99: f64,
    /// p99 time-per-output-token target, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    pub tpot_p99: f64,
    /// Confirm the analytic sizing with the simulator (and adjust the replica count).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub simulate: bool,
    /// Requests per confirming simulation (default 20000).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u64))]
    #[serde(default)]
    pub requests: Option<u64>,
    /// Also size the chosen chip and layout as separate prefill and decode pools (simulated).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub disaggregate: bool,
    /// Search the engine's batch cap (64–2048) and token budget a step (the prefill chunk,
    /// 1k–16k) by simulation on the chosen chip and layout, and size the fleet with the best
    /// (with `simulate`; not with `max_batch` or `max_tokens` given).
    #[cfg_attr(feature = "clap", arg(long, requires = "simulate"))]
    #[serde(default)]
    pub search_engine: bool,
    /// With disaggregate: the prefill pool on this chip instead (compute-rich prefill,
    /// bandwidth-rich decode); the KV cache then crosses the NICs.
    #[cfg_attr(feature = "clap", arg(long, requires = "disaggregate"))]
    #[serde(default)]
    pub prefill_gpu: Option<String>,
    /// With disaggregate: the prefill pool's precision (default: `precision`).
    #[cfg_attr(feature = "clap", arg(long, requires = "disaggregate"))]
    #[serde(default)]
    pub prefill_precision: Option<String>,
    /// Also size the cheapest mix of the chips (short and long requests on different chip
    /// types, Mélange-style) and its saving against the best single chip (analytic).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub mix: bool,
    /// Also give the fleet hour by hour over the day (with `daily_requests`): replicas
    /// following the traffic, each hour's share of capacity, the autoscaled cost.
    #[cfg_attr(feature = "clap", arg(long, requires = "daily_requests"))]
    #[serde(default)]
    pub daily_curve: bool,
    /// Prompt tokens per request (with `output_tokens`).
    #[cfg_attr(feature = "clap", arg(long = "input-tokens", visible_alias = "input", value_parser = crate::count::parse_u64))]
    #[serde(default, alias = "input")]
    pub input_tokens: Option<u64>,
    /// Output tokens per request (with `input_tokens`).
    #[cfg_attr(feature = "clap", arg(long = "output-tokens", visible_alias = "output", value_parser = crate::count::parse_u64))]
    #[serde(default, alias = "output")]
    pub output_tokens: Option<u64>,
    /// A length distribution instead: `sharegpt` (built in; on the command line also a trace
    /// file to draw (prompt, output) pairs from).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub lengths: Option<String>,
    /// A trace's text (CSV or JSON Lines: arrival_s, input_tokens, output_tokens) whose
    /// (prompt, output) pairs are the length distribution.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lengths_trace: Option<String>,
    /// Coefficient of variation of inter-arrival gaps (1 = Poisson, the default; > 1 bursty;
    /// 0 = constant).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub burstiness: Option<f64>,
    /// Random seed (default 1).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub seed: Option<u64>,
    /// Precision served (weights, activations, KV): bf16 (default), fp16, fp8, int8, or fp4
    /// (weights and activations; the KV cache in fp8).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub precision: Option<String>,
    /// Engine cap on sequences per step (default 2048).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub max_batch: Option<u32>,
    /// Engine budget of tokens per step (default 8192).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Fix the pipeline stages per replica (default: searched, 1 to 8).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub pp: Option<u32>,
    /// Fix the expert-parallel degree (MoE; default: searched): a divisor of tp, or a multiple
    /// of it for wide EP with attention data parallelism (ep 16–256 across servers, as
    /// DeepSeek-V3 and Kimi K2 are served).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub ep: Option<u32>,
    /// A workload preset instead of lengths: chat (ShareGPT), rag (4k prompts), reasoning
    /// (16k outputs), agent (8 turns sharing a prefix); sources in the README.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub workload: Option<String>,
    /// Speculative decoding: mtp, eagle or draft:<model id>.
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
    /// A measured calibration (the text of a file `scripts/measure-gpu.py` wrote): its curves
    /// replace the fitted efficiencies for the chip it measured. On the command line
    /// `--calibration FILE`.
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

impl ServeRequest {
    pub(crate) fn traffic(&self) -> Traffic<'_> {
        Traffic {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            lengths: self.lengths.as_deref(),
            lengths_trace: self.lengths_trace.as_deref(),
            burstiness: self.burstiness,
            precision: self.precision.as_deref(),
            max_batch: self.max_batch,
            max_tokens: self.max_tokens,
            workload: self.workload.as_deref(),
        }
    }
}

/// The lowest TTFT and TPOT any chip and layout reaches one request at a time (mean request
/// lengths), for the message when the targets cannot be met.
fn nearest_latency(fleet: &FleetSpec) -> String {
    let (input, output) = fleet.lengths.means();
    let (i, o) = (input.round().max(1.0) as u32, output.round().max(1.0) as u32);
    let calib = InferCalibration::default();
    let mut best: Option<(f64, f64, String)> = None;
    for chip in &fleet.chips {
        for &tp in &chip.tps {
            let cfg = InferConfig { tp, pp: 1, ep: 1, precision: chip.precision };
            // With the fleet's speculation, if any.
            let Some(replica) = fleet.replica(chip, &cfg, i, o, &calib) else { continue };
            let r = evaluate(&replica, i, o, Mode::Concurrency(1));
            if r.fits && best.as_ref().is_none_or(|b| r.tpot_s < b.1) {
                best = Some((r.ttft_s, r.tpot_s, format!("{} tp{tp}", chip.cluster.accelerator)));
            }
        }
    }
    best.map_or_else(
        || "; no chip and layout fits the model in memory".to_string(),
        |(ttft, tpot, at)| {
            format!(
                "; the best achievable is TPOT {:.1} ms and TTFT {:.0} ms ({at}, one request at a time)",
                tpot * 1e3,
                ttft * 1e3
            )
        },
    )
}

/// A note on the speculation the fleet runs.
fn notes_spec(notes: &mut Vec<String>, sp: &suanli_sim::engine::SpeculationSpec) {
    let method = match &sp.draft {
        suanli_sim::engine::DraftSpec::Mtp => "mtp".to_string(),
        suanli_sim::engine::DraftSpec::Eagle => "eagle".to_string(),
        suanli_sim::engine::DraftSpec::Model(m) => format!("draft:{}", m.id),
    };
    notes.push(format!(
        "speculative decoding ({method}): {} draft tokens at acceptance {} emit {:.2} tokens a step on average; every replica pays the draft's forwards and memory",
        sp.tokens,
        sp.acceptance,
        suanli_core::infer::tokens_per_step(sp.tokens, sp.acceptance)
    ));
}

/// The prefill pool's chip for `disaggregate` when `prefill_gpu` or `prefill_precision` names
/// one (`None`: the plan's chip). Errors name the prefill fields.
fn prefill_chip(
    catalog: &Catalog,
    a: &ServeRequest,
    spec: &suanli_core::model::ModelSpec,
    decode: &suanli_core::infer::Precisions,
) -> Result<Option<ChipOption>, ApiError> {
    if a.prefill_gpu.is_none() && a.prefill_precision.is_none() {
        return Ok(None);
    }
    let p = match a.prefill_precision.as_deref() {
        Some(name) => crate::traffic::precisions("prefill_precision", name)?,
        None => *decode,
    };
    let gpu = match (a.prefill_gpu.as_deref(), a.gpu.as_slice()) {
        (Some(g), _) => g,
        (None, [g]) => g.as_str(),
        (None, _) => {
            return Err(ApiError::field(
                "prefill_precision",
                "name the prefill chip with prefill_gpu (or one gpu) for a prefill precision",
            ));
        }
    };
    let lacking = if a.prefill_precision.is_some() { "prefill_precision" } else { "prefill_gpu" };
    let cl = cluster(catalog, gpu, &p)
        .map_err(|e| crate::traffic::renamed(e, &[("gpu", "prefill_gpu"), ("precision", lacking)]))?;
    let tps = tps(&cl);
    let eps = match &spec.moe {
        Some(m) => crate::infer::expert_degrees(&tps, m.experts, cl.node_size, None),
        None => vec![1],
    };
    Ok(Some(ChipOption { cluster: cl, precision: p, tps, pps: vec![1], eps }))
}

/// The fleet plan.
pub fn serve(catalog: &Catalog, a: &ServeRequest) -> ApiResult<ServeDoc> {
    let catalog = &*input::calibrated(catalog, a.calibration.as_deref())?;
    let mut reply = serve_uncalibrated(catalog, a)?;
    reply
        .answer
        .notes
        .extend(input::calibration_note(catalog, &a.gpu.iter().map(String::as_str).collect::<Vec<_>>()));
    Ok(reply)
}

fn serve_uncalibrated(catalog: &Catalog, a: &ServeRequest) -> ApiResult<ServeDoc> {
    let spec = input::model(catalog, a.model.as_deref(), a.model_config.as_ref())?;
    let t = a.traffic();
    let lengths = t.lengths(&spec)?;
    let ttft = positive_value("ttft_p99", a.ttft_p99)?;
    let tpot = positive_value("tpot_p99", a.tpot_p99)?;
    if a.daily_curve && a.daily_requests.is_none() {
        return Err(ApiError::field(
            "daily_curve",
            "give daily_requests (and peak_to_average) for a daily curve",
        ));
    }
    let (peak, mean) = match (a.rate, a.daily_requests) {
        (Some(_), Some(_)) => return Err(ApiError::field("rate", "give rate or daily_requests, not both")),
        (Some(r), None) => {
            input::positive("rate", Some(r), 1e9)?;
            (r, r)
        }
        (None, Some(d)) => {
            input::positive("daily_requests", Some(d), 1e14)?;
            let ratio = a.peak_to_average.unwrap_or(2.0);
            if !(1.0..=12.0).contains(&ratio) {
                return Err(ApiError::invalid("peak_to_average", ratio, "a ratio from 1 to 12"));
            }
            let mean = d / 86_400.0;
            (mean * DailyCurve::peak_to_average(ratio).peak_ratio(), mean)
        }
        (None, None) => return Err(ApiError::field("rate", "give rate (requests/s) or daily_requests")),
    };
    let requests = a.requests.unwrap_or(20_000);
    if !(100..=MAX_SIM_REQUESTS).contains(&requests) {
        return Err(ApiError::invalid("requests", requests, format!("from 100 to {MAX_SIM_REQUESTS}")));
    }
    input::nonzero(&[("tp", a.tp), ("pp", a.pp), ("ep", a.ep)])?;
    let speculation =
        crate::traffic::speculation(catalog, a.speculative.as_deref(), a.draft_tokens, a.acceptance)?;
    t.precision()?;
    let gpus: Vec<String> = if a.gpu.is_empty() {
        catalog.accelerators.iter().filter(|x| x.cloud_usd_per_hour.is_some()).map(|x| x.id.clone()).collect()
    } else {
        a.gpu.clone()
    };
    let unpriced: Vec<&str> = if a.gpu.is_empty() {
        catalog
            .accelerators
            .iter()
            .filter(|x| x.cloud_usd_per_hour.is_none())
            .map(|x| x.id.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let mut chips = Vec::new();
    let mut notes = Vec::new();
    if !unpriced.is_empty() {
        notes.push(format!(
            "left out for want of a cloud price in the catalog (name one with gpu to size it anyway): {}",
            unpriced.join(", ")
        ));
    }
    for g in &gpus {
        let (p, note) = t.precision_on(catalog, g, spec.stored_precision)?;
        if let Some(n) = note.filter(|n| !notes.contains(n)) {
            notes.push(n);
        }
        match cluster(catalog, g, &p) {
            Ok(cl) => {
                let tps = match a.tp {
                    Some(tp) => vec![tp],
                    None => tps(&cl),
                };
                let pps = match a.pp {
                    Some(pp) => vec![pp],
                    None => (1..=8).filter(|d| spec.layers % d == 0).collect(),
                };
                let eps = match (a.ep, &spec.moe) {
                    (Some(ep), _) => vec![ep],
                    (None, Some(m)) => crate::infer::expert_degrees(&tps, m.experts, cl.node_size, None),
                    (None, None) => vec![1],
                };
                chips.push(ChipOption { cluster: cl, precision: p, tps, pps, eps });
            }
            // A chip named explicitly must work; defaults that lack the precision are skipped.
            Err(e) if !a.gpu.is_empty() => return Err(e),
            Err(_) => notes.push(format!("{g} skipped: no {} rate", p.activations)),
        }
    }
    let fleet = FleetSpec {
        model: spec.clone(),
        chips,
        peak_rate: peak,
        mean_rate: mean,
        lengths,
        arrivals: t.arrivals()?,
        ttft_p99: ttft,
        tpot_p99: tpot,
        engine: t.engine()?,
        simulate: a.simulate,
        seed: a.seed.unwrap_or(1),
        sim_requests: usize::try_from(requests).unwrap_or(usize::MAX),
        power_utilisation: 0.7,
        pue: 1.2,
        speculation: speculation.clone(),
    };
    let Some(plan) = try_size(&fleet)? else {
        return Err(ApiError::Infeasible(format!(
            "no chip and layout meets p99 TTFT ≤ {ttft} s and TPOT ≤ {tpot} s for {} (chips tried: {}){}",
            spec.id,
            gpus.join(", "),
            nearest_latency(&fleet)
        )));
    };
    let (fleet, plan, engine_search) = searched_engine(a, fleet, plan, &mut notes)?;
    notes.push(format!(
        "peak hour at {peak:.2} requests/s, monthly traffic at the mean of {mean:.2}; power at 70 % of TDP × PUE 1.2, GPUs only"
    ));
    if !a.simulate {
        notes.push(
            "analytic sizing (steady state, 15 % headroom); set simulate to confirm tails with the simulator"
                .into(),
        );
    }
    if let Some(sp) = &speculation {
        notes_spec(&mut notes, sp);
    }
    if let Some(w) = a.workload.as_deref() {
        notes.push(format!("workload {w}: {}", crate::traffic::preset(w)?.source));
        if w == "agent" {
            notes.push("serve sizes an agent's turns as independent requests (no prefix cache): an upper bound; simulate the fleet with --workload agent for the cached prefixes".into());
        }
    }
    let disaggregated = if a.disaggregate {
        let prefill = prefill_chip(catalog, a, &spec, &plan.config.precision)?;
        let d = size_disaggregated(&fleet, &plan, prefill.as_ref());
        match &d {
            Some(x) => notes.push(format!(
                "disaggregated: {} prefill replicas ({} {}, tp {} ep {}) and {} decode replicas ({} {}, tp {} ep {}), each pool's layout searched; KV cache sent over {} at {} GB/s per GPU plus {} µs set-up",
                x.prefill_replicas,
                x.prefill_gpu,
                x.prefill_precision,
                x.prefill_tp,
                x.prefill_ep,
                x.decode_replicas,
                plan.gpu,
                plan.config.precision.weights,
                x.decode_tp,
                x.decode_ep,
                if x.kv_link == "nvlink" { "NVLink (pools in shared scale-up domains)" } else { "each GPU's share of the server NICs" },
                human(x.kv_link_bytes_per_s / 1e9),
                human(KV_TRANSFER_SETUP_S * 1e6)
            )),
            None => notes.push(format!(
                "disaggregated: no split of up to {} GPUs per pool meets the targets",
                plan.gpus.max(1) * 4
            )),
        }
        d
    } else {
        None
    };
    let c = &plan.config;
    let header = Header {
        model: ModelRef::of(&spec),
        gpu: Some(GpuRef::of(catalog, &plan.gpu, plan.gpus)),
        layout: Some(LayoutRef {
            tp: c.tp,
            pp: c.pp,
            dp: u32::try_from(plan.replicas).unwrap_or(u32::MAX),
            ep: c.ep,
            cp: 1,
        }),
        precision: Some(PrecisionRef {
            weights: c.precision.weights,
            activations: c.precision.activations,
            kv: c.precision.kv,
        }),
    };
    let targets = Targets { ttft_p99_s: ttft, tpot_p99_s: tpot };
    let uncertainty = input::band(catalog, "inference", &plan.gpu).map(|b| {
        // A replica's true capacity is its predicted capacity ÷ r: the fleet needs r× the replicas.
        let per = plan.gpus as f64 / plan.replicas.max(1) as f64;
        let replicas = |r: f64| (plan.replicas as f64 * r).ceil().max(1.0);
        Uncertainty {
            metric: "gpus".into(),
            low: replicas(b.r10) * per,
            high: replicas(b.r90) * per,
            basis: b.basis(),
        }
    });
    let mix = if a.mix {
        if fleet.chips.len() > suanli_sim::mix::MAX_MIX_CHIPS {
            return Err(ApiError::invalid(
                "gpu",
                fleet.chips.len(),
                format!("at most {} chips for mix (name them with gpu)", suanli_sim::mix::MAX_MIX_CHIPS),
            ));
        }
        let m = suanli_sim::mix::size_mix(&fleet);
        match &m {
            Some(m) => notes.push(format!(
                "mix: {} buckets of total length (50th, 80th, 95th percentiles), each on its cheapest chip; {} a month against {} for {} alone ({} saved), analytic",
                m.buckets.len(),
                human(m.cost_usd_per_month),
                human(m.single_cost_usd_per_month),
                m.single_gpu,
                suanli_core::sigfig::percent(m.saving_fraction)
            )),
            None => notes.push("mix: no priced chip meets the targets for every length bucket".into()),
        }
        m
    } else {
        None
    };
    let daily = if a.daily_curve {
        let curve = DailyCurve::peak_to_average(a.peak_to_average.unwrap_or(2.0));
        let d = suanli_sim::fleet::daily_plan(&fleet, &plan, &curve);
        if d.is_some() {
            notes.push("daily curve: a von Mises day peaking at 14:00; each hour keeps the peak fleet's replicas per request/s (at least one), analytic".into());
        }
        d
    } else {
        None
    };
    Ok(Reply::ok(ServeDoc {
        header,
        model: spec.id.clone(),
        plan,
        engine_search,
        targets,
        disaggregated,
        uncertainty,
        mix,
        daily,
        notes,
    }))
}

/// With `search_engine`: the knob grid on the plan's chip and layout, and the fleet re-sized
/// with the winning knobs when they save replicas.
fn searched_engine(
    a: &ServeRequest,
    fleet: FleetSpec,
    plan: suanli_sim::fleet::FleetPlan,
    notes: &mut Vec<String>,
) -> Result<(FleetSpec, suanli_sim::fleet::FleetPlan, Option<suanli_sim::tune::EngineSearch>), ApiError> {
    if !a.search_engine {
        return Ok((fleet, plan, None));
    }
    if !a.simulate {
        return Err(ApiError::field(
            "search_engine",
            "give simulate with search_engine (the knobs are sized by simulation)",
        ));
    }
    if a.max_batch.is_some() || a.max_tokens.is_some() {
        return Err(ApiError::field(
            "search_engine",
            "search_engine chooses max_batch and max_tokens: give neither",
        ));
    }
    let default = fleet.engine;
    let Some(es) = suanli_sim::tune::search_engine(&fleet, &plan) else {
        notes.push(
            "engine search: no grid point meets the targets with fewer replicas; the default engine stays"
                .into(),
        );
        return Ok((fleet, plan, None));
    };
    let tuned = FleetSpec {
        engine: suanli_core::infer::Engine {
            max_batch: es.max_batch,
            max_tokens: es.max_tokens,
            ..fleet.engine
        },
        ..fleet.clone()
    };
    let better = (es.replicas < plan.replicas).then(|| try_size(&tuned)).transpose()?.flatten();
    let (fleet, plan) = match better {
        Some(p) if p.gpus < plan.gpus => (tuned, p),
        _ => (fleet, plan),
    };
    notes.push(format!(
        "engine search: max_batch {} and max_tokens {} let {} replicas meet the targets where the default engine ({} / {}) needs {} ({} grid points simulated); the fleet is sized with the search's choice when it saves GPUs",
        es.max_batch,
        es.max_tokens,
        es.replicas,
        default.max_batch,
        default.max_tokens,
        es.default_replicas,
        es.grid.len()
    ));
    Ok((fleet, plan, Some(es)))
}
