//! `suanli serve` (fleet sizing) and `suanli simulate` (a fixed fleet).

use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::sigfig::human;
use suanli_core::train::{Calibration, Cluster};
use suanli_core::{Catalog, Error};
use suanli_report::{DisaggPools, ServeDoc, SimDoc, SimSetup, render_serve, render_sim};
use suanli_sim::disagg::{
    KV_TRANSFER_SETUP_S, kv_bytes_per_token_per_gpu, kv_transfer_s, simulate_disaggregated,
};
use suanli_sim::fleet::{ChipOption, FleetSpec, size, size_disaggregated};
use suanli_sim::sim::{KvPolicy, Router, Scheduler, SimConfig, simulate};
use suanli_sim::workload::{Arrivals, DailyCurve, Lengths, WorkloadSpec, parse_trace};

use crate::cli::{ServeArgs, SimulateArgs, TrafficArgs};
use crate::io::{self, CliError};

fn flag(key: &str, v: impl std::fmt::Display, rule: impl Into<String>) -> CliError {
    Error::invalid("command line", key, v, rule).into()
}

fn positive(key: &str, v: f64) -> Result<f64, CliError> {
    if v.is_finite() && v > 0.0 { Ok(v) } else { Err(flag(key, v, "a positive number")) }
}

fn precision(t: &TrafficArgs) -> Precisions {
    Precisions::uniform(match t.precision.as_str() {
        "fp16" => Precision::Fp16,
        "fp8" => Precision::Fp8,
        "int8" => Precision::Int8,
        _ => Precision::Bf16,
    })
}

fn lengths(t: &TrafficArgs, m: &ModelSpec) -> Result<Lengths, CliError> {
    match (&t.lengths, t.input, t.output) {
        (Some(name), _, _) if name == "sharegpt" => Ok(Lengths::SHAREGPT),
        (Some(path), _, _) => {
            let text = io::read(std::path::Path::new(path))?;
            let reqs = parse_trace(&text, path, m.max_context)?;
            Ok(Lengths::Empirical(reqs.iter().map(|r| (r.input, r.output)).collect()))
        }
        (None, Some(i), Some(o)) => {
            if i < 1 || o < 1 || i > i64::from(u32::MAX) || o > i64::from(u32::MAX) {
                return Err(flag("--input/--output", format!("{i}/{o}"), "positive token counts"));
            }
            let total = i + o;
            if total > i64::from(m.max_context) {
                return Err(flag(
                    "--input + --output",
                    format!("{i} + {o} = {total}"),
                    format!("at most {}'s context of {} tokens", m.id, m.max_context),
                ));
            }
            Ok(Lengths::Fixed { input: i as u32, output: o as u32 })
        }
        _ => Err(CliError::Input("give --input I --output O, or --lengths sharegpt|FILE".into())),
    }
}

fn arrivals(t: &TrafficArgs) -> Result<Arrivals, CliError> {
    let x = t.burstiness;
    if !(x.is_finite() && (0.0..=20.0).contains(&x)) {
        Err(flag("--burstiness", x, "a coefficient of variation from 0 (constant) to 20"))
    } else if x == 0.0 {
        Ok(Arrivals::Constant)
    } else if (x - 1.0).abs() < 1e-12 {
        Ok(Arrivals::Poisson)
    } else {
        Ok(Arrivals::Gamma { cv: x })
    }
}

fn engine(t: &TrafficArgs) -> Result<Engine, CliError> {
    if t.max_batch == 0 || t.max_tokens == 0 {
        return Err(flag(
            "--max-batch/--max-tokens",
            format!("{}/{}", t.max_batch, t.max_tokens),
            "positive",
        ));
    }
    Ok(Engine { max_batch: t.max_batch, max_tokens: t.max_tokens, ..Engine::default() })
}

fn cluster(c: &Catalog, gpu: &str, p: &Precisions) -> Result<Cluster, CliError> {
    Ok(Cluster::new(c, gpu, None, p.activations, &Calibration::default())?)
}

/// Tensor-parallel degrees for a chip: divisors of its server size.
fn tps(cl: &Cluster) -> Vec<u32> {
    (1..=cl.node_size).filter(|t| cl.node_size % t == 0).collect()
}

pub(crate) fn run_serve(catalog: &Catalog, a: &ServeArgs) -> Result<(), CliError> {
    let spec = io::model(catalog, &a.model)?;
    let t = &a.traffic;
    let lengths = lengths(t, &spec)?;
    let ttft = positive("--ttft-p99", a.ttft_p99)?;
    let tpot = positive("--tpot-p99", a.tpot_p99)?;
    let (peak, mean) = match (a.rate, a.daily_requests) {
        (Some(r), _) => {
            let r = positive("--rate", r)?;
            (r, r)
        }
        (None, Some(d)) => {
            let d = positive("--daily-requests", d)?;
            let ratio = a.peak_to_average;
            if !(1.0..=12.0).contains(&ratio) {
                return Err(flag("--peak-to-average", ratio, "a ratio from 1 to 12"));
            }
            let mean = d / 86_400.0;
            (mean * DailyCurve::peak_to_average(ratio).peak_ratio(), mean)
        }
        (None, None) => return Err(CliError::Input("give --rate R or --daily-requests N".into())),
    };
    if a.requests < 100 {
        return Err(flag("--requests", a.requests, "at least 100"));
    }
    let p = precision(t);
    let gpus: Vec<String> = if a.gpu.is_empty() {
        catalog.accelerators.iter().filter(|x| x.cloud_usd_per_hour.is_some()).map(|x| x.id.clone()).collect()
    } else {
        a.gpu.clone()
    };
    let mut chips = Vec::new();
    let mut notes = Vec::new();
    for g in &gpus {
        match cluster(catalog, g, &p) {
            Ok(cl) => {
                let tps = match a.tp {
                    Some(tp) => vec![tp],
                    None => tps(&cl),
                };
                chips.push(ChipOption { cluster: cl, precision: p, tps });
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
        arrivals: arrivals(t)?,
        ttft_p99: ttft,
        tpot_p99: tpot,
        engine: engine(t)?,
        simulate: a.simulate,
        seed: t.seed,
        sim_requests: a.requests,
        power_utilisation: 0.7,
        pue: 1.2,
    };
    let Some(plan) = size(&fleet) else {
        return Err(CliError::Infeasible(format!(
            "no chip and layout meets p99 TTFT ≤ {ttft} s and TPOT ≤ {tpot} s for {} (chips tried: {})",
            spec.id,
            gpus.join(", ")
        )));
    };
    notes.push(format!(
        "peak hour at {:.2} requests/s, monthly traffic at the mean of {:.2}; power at 70 % of TDP × PUE 1.2, GPUs only",
        peak, mean
    ));
    if !a.simulate {
        notes.push("analytic sizing (steady state, 15 % headroom); add --simulate to confirm tails with the simulator".into());
    }
    let disaggregated = if a.disaggregate {
        let d = size_disaggregated(&fleet, &plan);
        match &d {
            Some(x) => notes.push(format!(
                "disaggregated: {} prefill replicas (tp {}) and {} decode replicas (tp {}), each pool's layout searched; KV cache sent over each GPU's share of the server NICs plus {} µs set-up",
                x.prefill_replicas,
                x.prefill_tp,
                x.decode_replicas,
                x.decode_tp,
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
    let doc = ServeDoc { model: spec.id.clone(), plan, targets: (ttft, tpot), disaggregated, notes };
    io::emit(&render_serve(&doc, super::any_format(a.out.format))?, a.out.out_file.as_deref())
}

pub(crate) fn run_simulate(catalog: &Catalog, a: &SimulateArgs) -> Result<(), CliError> {
    let spec = io::model(catalog, &a.model)?;
    let t = &a.traffic;
    if a.replicas == 0 || a.replicas > 100_000 {
        return Err(flag("--replicas", a.replicas, "from 1 to 100000"));
    }
    let p = precision(t);
    let cl = cluster(catalog, &a.gpu, &p)?;
    let eng = engine(t)?;
    let calib = InferCalibration::default();
    let reqs = match (&a.trace, a.rate) {
        (Some(path), _) => parse_trace(&io::read(path)?, &path.display().to_string(), spec.max_context)?,
        (None, Some(rate)) => {
            let rate = positive("--rate", rate)?;
            if a.requests == 0 || a.requests > 50_000_000 {
                return Err(flag("--requests", a.requests, "from 1 to 50000000"));
            }
            if a.turns == 0 {
                return Err(flag("--turns", 0, "at least 1"));
            }
            let w = WorkloadSpec {
                rate,
                arrivals: arrivals(t)?,
                lengths: lengths(t, &spec)?,
                turns: a.turns,
                think_s: positive("--think", a.think)?,
                daily: None,
                max_context: spec.max_context,
            };
            w.generate(a.requests, t.seed)
        }
        (None, None) => return Err(CliError::Input("give --rate R or --trace FILE".into())),
    };
    let (max_in, max_out) = reqs.iter().fold((1, 1), |(i, o), r| (i.max(r.input), o.max(r.output)));
    let tp = match a.tp {
        Some(tp) => tp,
        None => tps(&cl)
            .into_iter()
            .find(|&tp| {
                let cfg = InferConfig { tp, pp: 1, ep: 1, precision: p };
                cfg.check(&spec, 1, 1, "simulate").is_ok()
                    && Replica::new(&spec, &cl, &cfg, &eng, &calib).fits()
            })
            .ok_or_else(|| {
                CliError::Infeasible(format!(
                    "{} does not fit on up to {} × {}",
                    spec.id, cl.node_size, cl.accelerator
                ))
            })?,
    };
    let cfg = InferConfig { tp, pp: 1, ep: 1, precision: p };
    cfg.check(&spec, max_in.min(spec.max_context - 1), 1, "command line")?;
    let replica = Replica::new(&spec, &cl, &cfg, &eng, &calib);
    if !replica.fits() {
        return Err(CliError::Infeasible(format!(
            "{} at tp {tp} does not fit: weights and workspace exceed {:.0} GiB per {}",
            spec.id, cl.memory_gib, cl.accelerator
        )));
    }
    let targets = match (a.ttft_p99, a.tpot_p99) {
        (Some(x), Some(y)) => Some((positive("--ttft-p99", x)?, positive("--tpot-p99", y)?)),
        (None, None) => None,
        _ => {
            return Err(CliError::Input(
                "give both --ttft-p99 and --tpot-p99 for goodput, or neither".into(),
            ));
        }
    };
    let (router, router_name) = match a.router.as_str() {
        "round-robin" => (Router::RoundRobin, "round-robin"),
        "prefix-affinity" => (Router::PrefixAffinity, "prefix-affinity"),
        _ => (Router::LeastOutstanding, "least-outstanding"),
    };
    let sim_cfg = SimConfig {
        replicas: a.replicas,
        router,
        scheduler: if a.scheduler == "static" { Scheduler::Static } else { Scheduler::Continuous },
        kv_policy: if a.kv_policy == "reserve" { KvPolicy::Reserve } else { KvPolicy::Paged },
        max_batch: eng.max_batch,
        max_tokens: eng.max_tokens,
        targets,
        ..SimConfig::default()
    };
    let mut notes =
        vec!["the first 10 % of requests are warm-up and left out of the latency statistics".to_string()];
    let (report, disaggregated) = match a.prefill_replicas {
        None => (simulate(&reqs, &replica, &sim_cfg), None),
        Some(p) => {
            if p == 0 || p > 100_000 {
                return Err(flag("--prefill-replicas", p, "from 1 to 100000"));
            }
            let pre = match a.prefill_tp {
                None => replica.clone(),
                Some(ptp) => {
                    let pcfg = InferConfig { tp: ptp, ..cfg };
                    pcfg.check(&spec, max_in.min(spec.max_context - 1), 1, "command line")?;
                    let r = Replica::new(&spec, &cl, &pcfg, &eng, &calib);
                    if !r.fits() {
                        return Err(CliError::Infeasible(format!(
                            "{} at prefill tp {ptp} does not fit: weights and workspace exceed {:.0} GiB per {}",
                            spec.id, cl.memory_gib, cl.accelerator
                        )));
                    }
                    r
                }
            };
            let link = cl.scale_out_bytes_per_s;
            let kv_bytes = kv_bytes_per_token_per_gpu(&pre, &replica);
            let transfer = |q: &suanli_sim::workload::Request| kv_transfer_s(&pre, &replica, link, q.input);
            let prefill_cfg = SimConfig { replicas: p, ..sim_cfg };
            let d = simulate_disaggregated(&reqs, &pre, &replica, &prefill_cfg, &sim_cfg, &transfer);
            notes.push(format!(
                "disaggregated: {p} prefill replicas (tp {}) send each prompt's KV cache ({} KB per token per GPU on the side holding more) at {} GB/s per GPU{}, plus {} µs setup; the decode pool's latencies include that transfer",
                pre.config.tp,
                human(kv_bytes / 1e3),
                human(link / 1e9),
                if cl.scale_out_assumed { " (assumed: the catalog has no NIC figure for this server)" } else { "" },
                human(KV_TRANSFER_SETUP_S * 1e6)
            ));
            let pools = DisaggPools {
                prefill: d.prefill,
                decode: d.decode,
                kv_transfer_s: d.kv_transfer_s,
                kv_link_bytes_per_s: link,
            };
            (d.combined, Some(pools))
        }
    };
    if max_out == 1 {
        notes.push("every request has one output token: TPOT is undefined".into());
    }
    if report.saturated {
        notes.push("saturated: lower --rate or add --replicas".into());
    }
    let doc = SimDoc {
        config: SimSetup {
            model: spec.id.clone(),
            gpu: cl.accelerator.clone(),
            tp,
            replicas: a.replicas,
            prefill_replicas: a.prefill_replicas,
            prefill_tp: a.prefill_replicas.map(|_| a.prefill_tp.unwrap_or(tp)),
            precision: p.weights.name().into(),
            router: router_name.into(),
            scheduler: a.scheduler.clone(),
            kv_policy: a.kv_policy.clone(),
            seed: t.seed,
        },
        report,
        disaggregated,
        notes,
    };
    io::emit(&render_sim(&doc, super::any_format(a.out.format))?, a.out.out_file.as_deref())
}
