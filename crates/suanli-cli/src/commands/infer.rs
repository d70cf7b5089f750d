//! `suanli infer`: one replica configuration, or a search over TP / PP / EP and precision.

use suanli_core::hardware::PeakKind;
use suanli_core::infer::{
    Engine, InferCalibration, InferConfig, Limits, Mode, Precisions, Replica, best_load, cost_per_million,
    evaluate, search,
};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_core::{Catalog, Error};
use suanli_report::{InferConfigOut, InferDoc, RankRow, render_infer};

use crate::cli::{InferArgs, LayoutSearch};
use crate::io::{self, CliError};

fn flag(key: &str, v: impl std::fmt::Display, rule: impl Into<String>) -> CliError {
    Error::invalid("command line", key, v, rule).into()
}

fn precision(key: &str, name: &str) -> Result<Precision, CliError> {
    match name {
        "bf16" => Ok(Precision::Bf16),
        "fp16" => Ok(Precision::Fp16),
        "fp8" => Ok(Precision::Fp8),
        "int8" => Ok(Precision::Int8),
        "int4" => Ok(Precision::Int4),
        other => Err(flag(key, other, "bf16, fp16, fp8, int8 or int4")),
    }
}

fn count(key: &str, v: i64, max: i64) -> Result<u32, CliError> {
    if (1..=max).contains(&v) {
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    } else {
        Err(flag(key, v, format!("a positive integer up to {max}")))
    }
}

/// The chip's rates for `p`'s activation precision; with `fallback`, bf16 (or fp16) when it
/// lacks that precision. Returns the precisions actually used.
fn cluster_for(
    c: &Catalog,
    a: &InferArgs,
    p: Precisions,
    fallback: bool,
) -> Result<(Cluster, Precisions, Option<String>), CliError> {
    let acc = c.accelerator(&a.gpu)?;
    let calib = Calibration::default();
    if acc.peak_flops(p.activations, PeakKind::Dense).is_some() {
        let cl = Cluster::new(c, &a.gpu, a.server.as_deref(), p.activations, &calib)?;
        return Ok((cl, p, None));
    }
    let have: Vec<&str> = acc.dense_tflops.keys().map(|p| p.name()).collect();
    if !fallback {
        return Err(flag(
            "--precision",
            p.activations,
            format!(
                "a precision {} computes in ({}); pass --fallback to keep {} weights and KV cache and compute in bf16",
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
            flag("--precision", p.activations, format!("{} has no bf16 or fp16 rate to fall back to", acc.id))
        })?;
    let used = Precisions { activations: to, ..p };
    let note = format!(
        "{} has no {} rate: computing in {to} with {} weights and {} KV cache (--fallback)",
        acc.id, p.activations, p.weights, p.kv
    );
    Ok((Cluster::new(c, &a.gpu, a.server.as_deref(), to, &calib)?, used, Some(note)))
}

fn label(cfg: &InferConfig) -> String {
    format!(
        "tp{}×pp{} ep{} {}/{}/{}",
        cfg.tp, cfg.pp, cfg.ep, cfg.precision.weights, cfg.precision.activations, cfg.precision.kv
    )
}

fn divisors_up_to(n: u32, max: u32) -> Vec<u32> {
    (1..=n.min(max)).filter(|d| n % d == 0).collect()
}

/// Checks the search flags; returns the precisions to try.
pub(crate) fn check_search(s: &LayoutSearch) -> Result<Vec<Precision>, CliError> {
    for (key, v) in [("--max-ttft", s.max_ttft), ("--max-tpot", s.max_tpot)] {
        if let Some(x) = v.filter(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(flag(key, x, "a positive number of seconds"));
        }
    }
    Ok(if s.precision == "auto" {
        vec![Precision::Bf16, Precision::Fp8, Precision::Int8, Precision::Int4]
    } else {
        vec![precision("--precision", &s.precision)?]
    })
}

pub(crate) fn run(catalog: &Catalog, a: &InferArgs) -> Result<(), CliError> {
    let (doc, unfit) = plan(catalog, a)?;
    io::emit(&render_infer(&doc, super::format(a.format)?)?, a.out_file.as_deref())?;
    unfit.map_or(Ok(()), |why| Err(CliError::Infeasible(why)))
}

/// The inference plan for `a`, and why it does not fit when it does not (the report is still
/// worth printing then: it shows the memory that overflows).
pub(crate) fn plan(catalog: &Catalog, a: &InferArgs) -> Result<(InferDoc, Option<String>), CliError> {
    let spec: ModelSpec = io::model(catalog, &a.model)?;
    let input = count("--input", a.input, 10_000_000)?;
    let output = count("--output", a.output, 10_000_000)?;
    let total = u64::from(input) + u64::from(output);
    if total > u64::from(spec.max_context) {
        return Err(flag(
            "--input + --output",
            format!("{input} + {output} = {total}"),
            format!("at most {}'s context of {} tokens", spec.id, spec.max_context),
        ));
    }
    let mode = match (a.batch, a.concurrency) {
        (Some(b), _) => Mode::Batch(count("--batch", b, 1_000_000)?),
        (None, Some(c)) => Mode::Concurrency(count("--concurrency", c, 1_000_000)?),
        (None, None) => Mode::MaxLoad,
    };
    let base = check_search(&a.search)?;
    for (key, v) in [("--tp", a.tp), ("--pp", a.pp), ("--ep", a.ep)] {
        if v == Some(0) {
            return Err(flag(key, 0, "a positive integer"));
        }
    }
    if a.max_batch == 0 || a.max_tokens == 0 {
        return Err(flag(
            "--max-batch/--max-tokens",
            format!("{}/{}", a.max_batch, a.max_tokens),
            "positive",
        ));
    }
    let engine = Engine { max_batch: a.max_batch, max_tokens: a.max_tokens, ..Engine::default() };
    let calib = InferCalibration::default();
    let weights = a.weights.as_deref().map(|w| precision("--weights", w)).transpose()?;
    let kv = a.kv.as_deref().map(|k| precision("--kv", k)).transpose()?;
    if kv == Some(Precision::Int4) {
        return Err(flag("--kv", "int4", "bf16, fp16, fp8 or int8"));
    }
    let wanted: Vec<Precisions> = base
        .iter()
        .map(|&p| {
            let u = Precisions::uniform(p);
            Precisions { weights: weights.unwrap_or(u.weights), kv: kv.unwrap_or(u.kv), ..u }
        })
        .collect();
    let mut notes = Vec::new();
    let chip = catalog.accelerator(&a.gpu)?.id.clone();
    let node = catalog
        .servers
        .iter()
        .find(|s| s.accelerator.as_deref() == Some(chip.as_str()))
        .map_or(8, |s| s.accelerator_count.max(1));

    let searching = a.tp.is_none();
    let (cfg, cluster, result, ranking) = if searching {
        let tps = divisors_up_to(node, node);
        let pps = a.pp.map_or_else(|| divisors_up_to(spec.layers, 8), |p| vec![p]);
        let eps = a.ep.map_or_else(|| spec.moe.as_ref().map_or(vec![1], |_| tps.clone()), |e| vec![e]);
        let limits = Limits {
            max_ttft_s: a.search.max_ttft,
            max_tpot_s: a.search.max_tpot,
            per_dollar: a.search.per_dollar,
        };
        let auto = a.search.precision == "auto";
        let lookup = |p: &Precisions| -> Option<Cluster> {
            cluster_for(catalog, a, *p, a.search.fallback && !auto).ok().map(|(c, _, _)| c)
        };
        if !auto {
            // Surface a missing precision as an error rather than an empty search.
            let (_, _, note) = cluster_for(catalog, a, wanted[0], a.search.fallback)?;
            notes.extend(note);
        }
        let found =
            search(&spec, &lookup, &tps, &pps, &eps, &wanted, &engine, &calib, input, output, &limits);
        let Some(best) = found.best else {
            return Err(CliError::Infeasible(format!(
                "no configuration fits and meets the limits ({} evaluated on {}: tp up to {node}, pp up to 8)",
                found.evaluated, a.gpu
            )));
        };
        let (cluster, used, _) = cluster_for(catalog, a, best.config.precision, a.search.fallback)?;
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
                ttft_s: c.result.ttft_s,
                tpot_s: c.result.tpot_s,
                cost_usd_per_million_output_tokens: c.cost_usd_per_million_output_tokens,
            })
            .collect();
        if a.search.max_ttft.is_some() || a.search.max_tpot.is_some() {
            notes.push("the search caps the batch at the largest that meets the latency limits".to_string());
        }
        (cfg, cluster, result, Some(ranking))
    } else {
        let tp = a.tp.unwrap_or(1);
        let (cluster, used, note) = cluster_for(catalog, a, wanted[0], a.search.fallback)?;
        notes.extend(note);
        let cfg = InferConfig { tp, pp: a.pp.unwrap_or(1), ep: a.ep.unwrap_or(1), precision: used };
        cfg.check(&spec, input, output, "command line")?;
        let replica = Replica::new(&spec, &cluster, &cfg, &engine, &calib);
        let limits =
            Limits { max_ttft_s: a.search.max_ttft, max_tpot_s: a.search.max_tpot, per_dollar: false };
        let result = match (mode, a.search.max_ttft.is_some() || a.search.max_tpot.is_some()) {
            (Mode::MaxLoad, true) => best_load(&replica, input, output, &limits)
                .unwrap_or_else(|| evaluate(&replica, input, output, Mode::Concurrency(1))),
            (m, _) => evaluate(&replica, input, output, m),
        };
        (cfg, cluster, result, None)
    };
    if spec.mla.is_none() && cfg.tp > spec.kv_heads {
        notes.push(format!(
            "tp {} exceeds the {} KV heads: each GPU keeps a copy of one KV head, {}× the KV memory of an even split",
            cfg.tp,
            spec.kv_heads,
            cfg.tp / spec.kv_heads
        ));
    }
    let replica = Replica::new(&spec, &cluster, &cfg, &engine, &calib);
    let cost = cost_per_million(&cluster, &cfg, &result);
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
    let doc = InferDoc {
        config: InferConfigOut {
            model: spec.id.clone(),
            gpu: cluster.accelerator.clone(),
            tp: cfg.tp,
            pp: cfg.pp,
            ep: cfg.ep,
            weights: cfg.precision.weights.name().into(),
            activations: cfg.precision.activations.name().into(),
            kv: cfg.precision.kv.name().into(),
            input,
            output,
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
        ttft_s: result.ttft_s,
        tpot_s: result.tpot_s,
        e2e_s: result.e2e_s,
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
    let unfit = (!result.fits).then(|| {
        let m = &replica.memory;
        let need = m.weights_gib + m.workspace_gib + m.reserved_gib;
        if m.kv_cache_gib <= 0.0 {
            format!(
                "does not fit: weights, workspace and reserve need {need:.1} GiB per GPU, {:.1} GiB available; raise --tp or --pp, or lower the precision",
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
    });
    Ok((doc, unfit))
}
