//! `simulate`: a fixed fleet under generated traffic or a trace.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::infer::{InferCalibration, InferConfig, Replica};
use suanli_core::sigfig::human;
use suanli_report::{
    Capacity, DisaggPools, GpuRef, Header, LayoutRef, ModelRef, PrecisionRef, SimDoc, SimSetup,
};
use suanli_sim::disagg::{
    KV_TRANSFER_SETUP_S, KvLink, KvPath, kv_bytes_per_token_per_gpu, kv_transfer_s, shares_scale_up_domain,
    simulate_disaggregated,
};
use suanli_sim::fleet::engine_limits;
use suanli_sim::sim::{KvPolicy, Router, Scheduler, SimConfig, try_simulate};
use suanli_sim::workload::{WorkloadSpec, parse_trace};

use crate::error::{ApiError, ApiResult, Reply};
use crate::input::{self, positive_value};
use crate::serve::MAX_SIM_REQUESTS;
use crate::traffic::{Traffic, cluster, tps};

/// Most replicas in one pool.
pub const MAX_REPLICAS: u32 = 100_000;

/// `simulate`: arrivals, continuous batching, latency percentiles of a fixed fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct SimulateRequest {
    /// Catalog id (on the command line also a Hugging Face `config.json`, a snapshot folder or
    /// a TOML file with one `[[model]]`).
    #[cfg_attr(feature = "clap", arg(long, short = 'm', required = true))]
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted as JSON (instead of `model`).
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_config: Option<Value>,
    /// Chip id.
    #[cfg_attr(feature = "clap", arg(long))]
    pub gpu: String,
    /// Tensor-parallel degree per replica (default: the smallest that fits).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub tp: Option<u32>,
    /// Replicas (with `prefill_replicas`: the decode pool's).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    pub replicas: u32,
    /// Disaggregate: this many prefill replicas compute prompts and send their KV cache to the
    /// decode replicas (over NVLink when the pools share scale-up domains, else the NICs).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub prefill_replicas: Option<u32>,
    /// Tensor-parallel degree of a prefill replica (default: `tp` on the same chip and
    /// precision, else the smallest that fits).
    #[cfg_attr(feature = "clap", arg(long, requires = "prefill_replicas", value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub prefill_tp: Option<u32>,
    /// Chip of the prefill pool (default: `gpu`): compute-rich prefill beside bandwidth-rich
    /// decode.
    #[cfg_attr(feature = "clap", arg(long, requires = "prefill_replicas"))]
    #[serde(default)]
    pub prefill_gpu: Option<String>,
    /// Precision of the prefill pool (default: `precision`); the KV cache crosses at the
    /// narrower of the two pools' KV precisions.
    #[cfg_attr(feature = "clap", arg(long, requires = "prefill_replicas"))]
    #[serde(default)]
    pub prefill_precision: Option<String>,
    /// Expert-parallel degree of a prefill replica (default: `ep`, within the prefill tp when
    /// ep is not wide); above prefill_tp, wide EP.
    #[cfg_attr(feature = "clap", arg(long, requires = "prefill_replicas", value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub prefill_ep: Option<u32>,
    /// How the KV cache travels between the pools: auto (default: NVLink when both pools are
    /// the same chip and fit shared scale-up domains, else the NICs), nvlink or nic.
    #[cfg_attr(feature = "clap", arg(long, requires = "prefill_replicas"))]
    #[serde(default)]
    pub kv_link: Option<String>,
    /// Request rate, requests/s.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub rate: Option<f64>,
    /// A trace's text (CSV or JSON Lines: arrival_s, input_tokens, output_tokens) instead of
    /// generated traffic (on the command line: `--trace FILE`).
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Requests to generate (default 10000).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u64))]
    #[serde(default)]
    pub requests: Option<u64>,
    /// Turns per conversation (their prompts share the previous turns as a prefix; default 1).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub turns: Option<u32>,
    /// Mean think time between turns, seconds (default 30).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub think: Option<f64>,
    /// Router: least-outstanding (default), round-robin, prefix-affinity.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub router: Option<String>,
    /// Batching: continuous (default; Sarathi-Serve chunked prefill: decodes first, prompt
    /// chunks within max_tokens, the chunk size), prefill-first (prompts-only steps stall the
    /// decodes), orca (whole prompts join the decodes' step, no chunking) or static.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub scheduler: Option<String>,
    /// KV admission: paged (vLLM, preempts; default) or reserve (TensorRT-LLM, never preempts).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub kv_policy: Option<String>,
    /// Priority classes, most urgent first: `SHARE[:TTFT_P99:TPOT_P99],…` (shares summing to 1,
    /// targets in seconds; up to 4 classes), e.g. `0.2:0.5:0.03,0.8:10:0.2`. The urgent class
    /// is admitted first and preempted last; goodput is reported per class.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub classes: Option<String>,
    /// Admission control: a replica with this many requests not yet past prefill (queued or
    /// prefilling) rejects new arrivals (they count against goodput; default: never).
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub max_queue: Option<u32>,
    /// Host memory per GPU, GiB, that preempted KV cache is swapped to over the chip's host
    /// link (PCIe or NVLink-C2C) instead of being recomputed (paged KV only; default: none).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub kv_offload_gib: Option<f64>,
    /// p99 TTFT target for goodput, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub ttft_p99: Option<f64>,
    /// p99 TPOT target for goodput, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub tpot_p99: Option<f64>,
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
    /// A trace's text whose (prompt, output) pairs are the length distribution.
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
    /// Whether a prompt may be split over steps (default true: Sarathi-Serve chunked prefill;
    /// false: a prompt joins a step whole, first come first served, as TensorRT-LLM without
    /// `enable_chunked_context` or vLLM without `enable_chunked_prefill`).
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub chunked_prefill: Option<bool>,
    /// Pipeline stages per replica (default 1): a step is one round through the stages.
    #[cfg_attr(feature = "clap", arg(long, value_parser = crate::count::parse_u32))]
    #[serde(default)]
    pub pp: Option<u32>,
    /// Expert-parallel degree per replica (MoE; default 1): a divisor of tp, or a multiple of
    /// it for wide EP (attention data-parallel over ep ÷ tp groups of tp GPUs, experts over
    /// all ep GPUs, across servers: DeepSeek-style decode at ep 32–72).
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

impl SimulateRequest {
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

/// The requests to simulate: a trace's, or generated from the rate and lengths.
fn requests(
    a: &SimulateRequest,
    t: &Traffic<'_>,
    spec: &suanli_core::model::ModelSpec,
    seed: u64,
) -> Result<Vec<suanli_sim::workload::Request>, ApiError> {
    Ok(match (&a.trace, a.rate) {
        (Some(_), Some(_)) => return Err(ApiError::field("rate", "give rate or a trace, not both")),
        (Some(text), None) => {
            parse_trace(text, "trace", spec.max_context).map_err(|e| ApiError::from(e).at("trace"))?
        }
        (None, Some(rate)) => {
            input::positive("rate", Some(rate), 1e7)?;
            let requests = a.requests.unwrap_or(10_000);
            if requests == 0 || requests > MAX_SIM_REQUESTS {
                return Err(ApiError::invalid("requests", requests, format!("from 1 to {MAX_SIM_REQUESTS}")));
            }
            let preset = a.workload.as_deref().map(crate::traffic::preset).transpose()?;
            let turns = a.turns.or(preset.as_ref().map(|p| p.turns)).unwrap_or(1);
            if turns == 0 || turns > 1000 {
                return Err(ApiError::invalid("turns", turns, "from 1 to 1000"));
            }
            let w = WorkloadSpec {
                rate,
                arrivals: t.arrivals()?,
                lengths: t.lengths(spec)?,
                turns,
                think_s: positive_value(
                    "think",
                    a.think.or(preset.as_ref().map(|p| p.think_s)).unwrap_or(30.0),
                )?,
                daily: None,
                max_context: spec.max_context,
            };
            w.check("request")?;
            w.generate(usize::try_from(requests).unwrap_or(usize::MAX), seed)
        }
        (None, None) => return Err(ApiError::field("rate", "give rate (requests/s) or a trace")),
    })
}

/// The simulation report.
pub fn simulate(catalog: &Catalog, a: &SimulateRequest) -> ApiResult<SimDoc> {
    let catalog = &*input::calibrated(catalog, a.calibration.as_deref())?;
    let mut reply = simulate_uncalibrated(catalog, a)?;
    reply.answer.notes.extend(input::calibration_note(catalog, &[a.gpu.as_str()]));
    Ok(reply)
}

fn simulate_uncalibrated(catalog: &Catalog, a: &SimulateRequest) -> ApiResult<SimDoc> {
    let spec = input::model(catalog, a.model.as_deref(), a.model_config.as_ref())?;
    let t = a.traffic();
    if a.replicas == 0 || a.replicas > MAX_REPLICAS {
        return Err(ApiError::invalid("replicas", a.replicas, format!("from 1 to {MAX_REPLICAS}")));
    }
    input::nonzero(&[
        ("tp", a.tp),
        ("prefill_tp", a.prefill_tp),
        ("pp", a.pp),
        ("ep", a.ep),
        ("prefill_ep", a.prefill_ep),
    ])?;
    let (pp, ep) = (a.pp.unwrap_or(1), a.ep.unwrap_or(1));
    let speculation =
        crate::traffic::speculation(catalog, a.speculative.as_deref(), a.draft_tokens, a.acceptance)?;
    let (p, checkpoint_note) = t.precision_on(catalog, &a.gpu, spec.stored_precision)?;
    let cl = cluster(catalog, &a.gpu, &p)?;
    let eng = t.engine()?;
    let calib = InferCalibration::default();
    // An agent's turns share their history: route them to the replica holding it.
    let default_router = (a.workload.as_deref() == Some("agent")).then_some("prefix-affinity");
    let router_name = input::choice(
        "router",
        a.router.as_deref().or(default_router),
        &["least-outstanding", "round-robin", "prefix-affinity"],
    )?;
    let scheduler = input::choice(
        "scheduler",
        a.scheduler.as_deref(),
        &["continuous", "static", "prefill-first", "orca"],
    )?;
    let classes = a.classes.as_deref().map(parse_classes).transpose()?;
    let kv_policy = input::choice("kv_policy", a.kv_policy.as_deref(), &["paged", "reserve"])?;
    let seed = a.seed.unwrap_or(1);
    let mut reqs = requests(a, &t, &spec, seed)?;
    if let Some(c) = &classes {
        let shares: Vec<f64> = c.iter().map(|x| x.0).collect();
        suanli_sim::workload::assign_classes(&mut reqs, &shares, seed);
    }
    let (max_in, max_out) = reqs.iter().fold((1, 1), |(i, o), r| (i.max(r.input), o.max(r.output)));
    let tp = match a.tp {
        Some(tp) => tp,
        None => tps(&cl)
            .into_iter()
            .find(|&tp| {
                let cfg = InferConfig { tp, pp, ep, precision: p };
                cfg.check(&spec, 1, 1, "request").is_ok()
                    && Replica::new(&spec, &cl, &cfg, &eng, &calib).fits()
            })
            .ok_or_else(|| {
                ApiError::Infeasible(format!(
                    "{} does not fit on up to {} × {}",
                    spec.id, cl.node_size, cl.accelerator
                ))
            })?,
    };
    let cfg = InferConfig { tp, pp, ep, precision: p };
    cfg.check(&spec, max_in.min(spec.max_context.saturating_sub(1)).max(1), 1, "request")?;
    let replica = Replica::new(&spec, &cl, &cfg, &eng, &calib);
    let replica = match &speculation {
        None => replica,
        Some(sp) => sp.apply(&spec, replica, &eng, &calib).ok_or_else(|| {
            ApiError::invalid(
                "speculative",
                a.speculative.as_deref().unwrap_or(""),
                format!("a draft model that takes tp {tp} and pp {pp}"),
            )
        })?,
    };
    if !replica.fits() {
        return Err(ApiError::Infeasible(format!(
            "{} at tp {tp} does not fit: weights and workspace exceed {:.0} GiB per {}",
            spec.id, cl.memory_gib, cl.accelerator
        )));
    }
    let targets = match (a.ttft_p99, a.tpot_p99) {
        (Some(x), Some(y)) => Some((positive_value("ttft_p99", x)?, positive_value("tpot_p99", y)?)),
        (None, None) => None,
        _ => {
            return Err(ApiError::field(
                "ttft_p99",
                "give both ttft_p99 and tpot_p99 for goodput, or neither",
            ));
        }
    };
    let router = match router_name {
        "round-robin" => Router::RoundRobin,
        "prefix-affinity" => Router::PrefixAffinity,
        _ => Router::LeastOutstanding,
    };
    let (max_batch, max_tokens) = engine_limits(&replica);
    let sim_cfg = SimConfig {
        replicas: a.replicas,
        router,
        scheduler: match scheduler {
            "static" => Scheduler::Static,
            "prefill-first" => Scheduler::PrefillFirst,
            "orca" => Scheduler::Orca,
            _ => Scheduler::Continuous,
        },
        kv_policy: if kv_policy == "reserve" { KvPolicy::Reserve } else { KvPolicy::Paged },
        max_batch,
        max_tokens,
        chunked_prefill: a.chunked_prefill.unwrap_or(true),
        targets,
        class_targets: class_targets(classes.as_deref()),
        max_queue: a.max_queue.unwrap_or(0),
        offload: None,
        ..SimConfig::default()
    };
    let mut notes =
        vec!["the first 10 % of requests are warm-up and left out of the latency statistics".to_string()];
    notes.extend(checkpoint_note);
    let sim_cfg = match a.kv_offload_gib {
        None => sim_cfg,
        Some(gib) => {
            if !(gib.is_finite() && gib > 0.0 && gib <= 65_536.0) {
                return Err(ApiError::invalid(
                    "kv_offload_gib",
                    gib,
                    "GiB of host memory per GPU, above 0 and at most 65536",
                ));
            }
            if kv_policy == "reserve" {
                return Err(ApiError::invalid(
                    "kv_offload_gib",
                    gib,
                    "paged KV only (reserve never preempts)",
                ));
            }
            let per_token = replica.memory.kv_bytes_per_token.max(1.0);
            let (link, what) = suanli_sim::policy::host_link(&cl.accelerator, cl.arch.as_deref());
            let host_tokens = (gib * f64::from(1u32 << 30) / per_token) as u64;
            notes.push(format!(
                "KV offload: {} GiB of host memory per GPU ({} tokens) over {what}; a preempted sequence's KV is copied out and back ({} µs per 1k tokens each way) instead of recomputed",
                human(gib),
                human(host_tokens as f64),
                human(1000.0 * per_token / link * 1e6),
            ));
            SimConfig {
                offload: Some(suanli_sim::policy::Offload { host_tokens, tokens_per_s: link / per_token }),
                ..sim_cfg
            }
        }
    };
    if let Some(q) = a.max_queue {
        if q == 0 {
            return Err(ApiError::invalid(
                "max_queue",
                q,
                "a positive number of waiting requests per replica",
            ));
        }
        notes.push(format!(
            "admission control: a replica with {q} requests queued or in prefill rejects new ones; rejected requests count against goodput"
        ));
    }
    if let Some(c) = &classes {
        notes.push(format!(
            "{} priority classes (shares {}): the most urgent waiting request is admitted first and the least urgent running one preempted first",
            c.len(),
            c.iter().map(|x| human(x.0)).collect::<Vec<_>>().join(" / ")
        ));
    }
    let (report, disaggregated, prefill) = match a.prefill_replicas {
        None => (try_simulate(&reqs, &replica, &sim_cfg)?, None, None),
        Some(pr) => {
            let pool = Pools { spec: &spec, decode: &replica, decode_cluster: &cl, max_in, engine: &eng };
            let d = disaggregated(catalog, a, &pool, pr, &reqs, &sim_cfg)?;
            notes.push(d.note);
            (d.combined, Some(d.pools), Some((d.prefill, d.prefill_cluster)))
        }
    };
    if max_out == 1 {
        notes.push("every request has one output token: TPOT is undefined".into());
    }
    if report.saturated {
        notes.push("saturated: lower the rate or add replicas".into());
    }
    if let Some(s) = &replica.speculation {
        let r = s.summary();
        notes.push(format!(
            "speculative decoding ({}): {} draft tokens at acceptance {} emit {:.2} tokens a step on average; the draft's forwards are in each step",
            r.method, r.draft_tokens, r.acceptance, r.tokens_per_step
        ));
    }
    if let Some(w) = a.workload.as_deref() {
        notes.push(format!("workload {w}: {}", crate::traffic::preset(w)?.source));
    }
    // Capacity headroom: the offered rate over what the fleet carries at saturation.
    let (mean_in, mean_out) = {
        let n = reqs.len().max(1) as f64;
        let (si, so) =
            reqs.iter().fold((0.0, 0.0), |(i, o), q| (i + f64::from(q.input), o + f64::from(q.output)));
        ((si / n).round().max(1.0) as u32, (so / n).round().max(1.0) as u32)
    };
    let span = reqs.last().map_or(0.0, |q| q.arrival_s) - reqs.first().map_or(0.0, |q| q.arrival_s);
    let offered = if span > 0.0 { reqs.len() as f64 / span } else { 0.0 };
    let saturation = f64::from(a.replicas) * suanli_sim::fleet::saturation_rate(&replica, mean_in, mean_out);
    let capacity = Capacity {
        offered_requests_per_s: offered,
        saturation_requests_per_s: saturation,
        load_fraction: if saturation > 0.0 { offered / saturation } else { 0.0 },
        busy_utilisation: report.utilisation,
    };
    // GPUs of the header's chip: the decode pool's, and the prefill pool's on the same chip.
    let prefill_gpus = match &prefill {
        Some((r, pcl)) if pcl.accelerator == cl.accelerator => {
            u64::from(a.prefill_replicas.unwrap_or(0)) * r.config.gpus()
        }
        _ => 0,
    };
    let replicas = u64::from(a.replicas) * replica.config.gpus() + prefill_gpus;
    let header = Header {
        model: ModelRef::of(&spec),
        gpu: Some(GpuRef::of(catalog, &cl.accelerator, replicas)),
        layout: Some(LayoutRef { tp, pp, dp: a.replicas, ep, cp: 1 }),
        precision: Some(PrecisionRef { weights: p.weights, activations: p.activations, kv: p.kv }),
    };
    let doc = SimDoc {
        header,
        config: SimSetup {
            model: spec.id.clone(),
            gpu: cl.accelerator.clone(),
            tp,
            pp,
            ep,
            replicas: a.replicas,
            prefill_replicas: a.prefill_replicas,
            prefill_tp: prefill.as_ref().map(|(r, _)| r.config.tp),
            precision: p.weights.name().into(),
            router: router_name.into(),
            scheduler: scheduler.into(),
            kv_policy: kv_policy.into(),
            seed,
            workload: a.workload.clone(),
            speculation: replica.speculation.as_ref().map(suanli_core::infer::Speculation::summary),
        },
        report,
        capacity,
        disaggregated,
        notes,
    };
    Ok(Reply::ok(doc))
}

/// One priority class as asked: its share of requests and its own targets, if given.
type ClassSpec = (f64, Option<(f64, f64)>);

/// `SHARE[:TTFT_P99:TPOT_P99],…`, most urgent first.
fn parse_classes(text: &str) -> Result<Vec<ClassSpec>, ApiError> {
    const ACCEPTED: &str = "SHARE[:TTFT_P99:TPOT_P99] per class, comma-separated, most urgent first (2 to 4 classes, shares summing to 1, targets in seconds), e.g. 0.2:0.5:0.03,0.8:10:0.2";
    let bad = || ApiError::invalid("classes", text, ACCEPTED);
    let mut out = Vec::new();
    for part in text.split(',') {
        let nums: Vec<f64> =
            part.split(':').map(|x| x.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
        if nums.iter().any(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(bad());
        }
        out.push(match nums.as_slice() {
            [share] => (*share, None),
            [share, ttft, tpot] => (*share, Some((*ttft, *tpot))),
            _ => return Err(bad()),
        });
    }
    let total: f64 = out.iter().map(|c| c.0).sum();
    if !(2..=suanli_sim::policy::MAX_CLASSES).contains(&out.len()) || (total - 1.0).abs() > 1e-6 {
        return Err(bad());
    }
    Ok(out)
}

fn class_targets(classes: Option<&[ClassSpec]>) -> suanli_sim::policy::ClassTargets {
    let mut t = [None; suanli_sim::policy::MAX_CLASSES];
    for (slot, c) in t.iter_mut().zip(classes.unwrap_or(&[])) {
        *slot = c.1;
    }
    t
}

/// The decode pool a disaggregated simulation hands requests to, and what the prefill pool's
/// defaults come from.
struct Pools<'a> {
    spec: &'a suanli_core::model::ModelSpec,
    decode: &'a Replica,
    decode_cluster: &'a suanli_core::train::Cluster,
    max_in: u32,
    engine: &'a suanli_core::infer::Engine,
}

/// A disaggregated run: the end-to-end report, both pools, the note describing them, and the
/// prefill replica with its chip.
struct Disaggregated {
    combined: suanli_sim::sim::SimReport,
    pools: DisaggPools,
    note: String,
    prefill: Replica,
    prefill_cluster: suanli_core::train::Cluster,
}

/// The prefill pool's replica: on `prefill_gpu` at `prefill_precision` (each defaulting to
/// the decode pool's), with `prefill_tp` (default: the decode tp on the same chip and
/// precision, else the smallest that fits) and `prefill_ep` (default: the decode ep, kept
/// within the prefill tp unless it is wide). Errors name the prefill fields.
fn prefill_replica(
    catalog: &Catalog,
    a: &SimulateRequest,
    pool: &Pools<'_>,
) -> Result<(Replica, suanli_core::train::Cluster), ApiError> {
    let dec = pool.decode;
    let precision = match a.prefill_precision.as_deref() {
        Some(name) => crate::traffic::precisions("prefill_precision", name)?,
        None => dec.config.precision,
    };
    let same = a.prefill_gpu.is_none() && a.prefill_precision.is_none();
    let cl = if same {
        pool.decode_cluster.clone()
    } else {
        let gpu = a.prefill_gpu.as_deref().unwrap_or(&a.gpu);
        // A precision the chip lacks is the prefill precision's fault when one was given,
        // else the prefill chip's.
        let lacking = if a.prefill_precision.is_some() { "prefill_precision" } else { "prefill_gpu" };
        cluster(catalog, gpu, &precision)
            .map_err(|e| crate::traffic::renamed(e, &[("gpu", "prefill_gpu"), ("precision", lacking)]))?
    };
    let calib = InferCalibration::default();
    let prompt = pool.max_in.min(pool.spec.max_context.saturating_sub(1)).max(1);
    let wide = dec.config.dp_attention() > 1;
    let ep_for = |tp: u32| match a.prefill_ep {
        Some(ep) => ep,
        None if wide => dec.config.ep,
        None => dec.config.ep.min(tp),
    };
    let layout = |tp: u32| InferConfig { tp, pp: 1, ep: ep_for(tp), precision };
    let tp = match a.prefill_tp {
        Some(tp) => tp,
        None if same => dec.config.tp,
        None => tps(&cl)
            .into_iter()
            .find(|&tp| {
                layout(tp).check(pool.spec, prompt, 1, "request").is_ok()
                    && Replica::new(pool.spec, &cl, &layout(tp), pool.engine, &calib).fits()
            })
            .ok_or_else(|| {
                ApiError::Infeasible(format!(
                    "{} does not fit on up to {} × {} for the prefill pool",
                    pool.spec.id, cl.node_size, cl.accelerator
                ))
            })?,
    };
    if same && a.prefill_tp.is_none() && a.prefill_ep.is_none() {
        return Ok((dec.clone(), cl));
    }
    // On the decode pool's chip and precision the prefill replica keeps its pipeline stages.
    let cfg = InferConfig { pp: if same { dec.config.pp } else { 1 }, ..layout(tp) };
    cfg.check(pool.spec, prompt, 1, "request").map_err(|e| {
        crate::traffic::renamed(ApiError::from(e), &[("tp", "prefill_tp"), ("ep", "prefill_ep")])
    })?;
    let r = Replica::new(pool.spec, &cl, &cfg, pool.engine, &calib);
    if !r.fits() {
        return Err(ApiError::Infeasible(format!(
            "{} at prefill tp {tp} does not fit: weights and workspace exceed {:.0} GiB per {}",
            pool.spec.id, cl.memory_gib, cl.accelerator
        )));
    }
    Ok((r, cl))
}

/// Simulates `reqs` on `pr` prefill replicas and the decode pool, the KV cache sent over the
/// link `kv_link` names (auto: NVLink when the pools share scale-up domains).
fn disaggregated(
    catalog: &Catalog,
    a: &SimulateRequest,
    pool: &Pools<'_>,
    pr: u32,
    reqs: &[suanli_sim::workload::Request],
    sim_cfg: &SimConfig,
) -> Result<Disaggregated, ApiError> {
    if pr == 0 || pr > MAX_REPLICAS {
        return Err(ApiError::invalid("prefill_replicas", pr, format!("from 1 to {MAX_REPLICAS}")));
    }
    let (pre, pcl) = prefill_replica(catalog, a, pool)?;
    let dec = pool.decode;
    let shared = shares_scale_up_domain(&pre, u64::from(pr), dec, u64::from(a.replicas));
    let path = match input::choice("kv_link", a.kv_link.as_deref(), &["auto", "nvlink", "nic"])? {
        "nic" => KvPath::ScaleOut,
        "nvlink" if !shared => {
            return Err(ApiError::invalid(
                "kv_link",
                "nvlink",
                format!(
                    "auto or nic: NVLink joins only pools of one chip whose replicas fit shared scale-up domains ({} GPUs of {})",
                    pool.decode_cluster.node_size, pool.decode_cluster.accelerator
                ),
            ));
        }
        "nvlink" => KvPath::ScaleUp,
        _ if shared => KvPath::ScaleUp,
        _ => KvPath::ScaleOut,
    };
    let link = KvLink::new(path, &pre, dec);
    let kv_bytes = kv_bytes_per_token_per_gpu(&pre, dec);
    let transfer = |q: &suanli_sim::workload::Request| kv_transfer_s(&pre, dec, &link, q.input);
    let (max_batch, max_tokens) = engine_limits(&pre);
    let prefill_cfg = SimConfig { replicas: pr, max_batch, max_tokens, ..*sim_cfg };
    let d = simulate_disaggregated(reqs, &pre, dec, &prefill_cfg, sim_cfg, &transfer);
    let wire = suanli_sim::disagg::kv_wire_bytes(&pre, dec);
    let converted = if pre.config.precision.kv == dec.config.precision.kv {
        String::new()
    } else {
        format!(
            ", converted from {} to {} (the wire carries {} byte(s) a value)",
            pre.config.precision.kv,
            dec.config.precision.kv,
            human(wire)
        )
    };
    let assumed = match path {
        KvPath::ScaleOut if pcl.scale_out_assumed || pool.decode_cluster.scale_out_assumed => {
            " (assumed: the catalog has no NIC figure for this server)"
        }
        _ => "",
    };
    let note = format!(
        "disaggregated: {pr} prefill replicas ({} × {}, tp {} ep {}, {}) send each prompt's KV cache ({} KB per token per GPU on the side holding more{converted}) over {} at {} GB/s per GPU{assumed}, plus {} µs setup; the decode pool's latencies include that transfer",
        pre.config.gpus(),
        pcl.accelerator,
        pre.config.tp,
        pre.config.ep,
        pre.config.precision.weights,
        human(kv_bytes / 1e3),
        match path {
            KvPath::ScaleUp => "NVLink (both pools in shared scale-up domains)",
            KvPath::ScaleOut => "the NICs",
        },
        human(link.bytes_per_s() / 1e9),
        human(KV_TRANSFER_SETUP_S * 1e6)
    );
    let pools = DisaggPools {
        prefill: d.prefill,
        decode: d.decode,
        kv_transfer_s: d.kv_transfer_s,
        kv_link_bytes_per_s: link.bytes_per_s(),
    };
    Ok(Disaggregated { combined: d.combined, pools, note, prefill: pre, prefill_cluster: pcl })
}
