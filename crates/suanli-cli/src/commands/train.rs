//! `suanli train`: evaluate one layout, or search the layouts left open.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Evaluation, Objective, Operating, Prepared, Recompute,
    Stack, TrainReport, Workload, nearest_miss,
};
use suanli_core::{Catalog, Error};
use suanli_report::{FrontRow, SearchStats, TrainDoc, render_train};

use crate::cli::TrainArgs;
use crate::io::{self, CliError};

fn flag(key: &str, v: impl std::fmt::Display, rule: impl Into<String>) -> CliError {
    Error::invalid("command line", key, v, rule).into()
}

fn positive(key: &str, v: Option<f64>, max: f64) -> Result<(), CliError> {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0 && x <= max) => {
            Err(flag(key, x, format!("a positive number up to {max:e}")))
        }
        _ => Ok(()),
    }
}

/// Rules a fixed flag must obey on its own, before any search.
fn check_fixed(a: &TrainArgs, m: &ModelSpec, seq: u32) -> Result<(), CliError> {
    for (key, v) in [
        ("--tp", a.tp),
        ("--pp", a.pp),
        ("--dp", a.dp),
        ("--ep", a.ep),
        ("--cp", a.cp),
        ("--vp", a.vp),
        ("--micro-batch", a.micro_batch),
    ] {
        if v == Some(0) {
            return Err(flag(key, 0, "a positive integer"));
        }
    }
    if let Some(tp) = a.tp {
        if m.heads % tp != 0 {
            return Err(flag("--tp", tp, format!("a divisor of the attention heads ({})", m.heads)));
        }
    }
    if let Some(pp) = a.pp {
        if m.layers % pp != 0 {
            return Err(flag("--pp", pp, format!("a divisor of the layers ({})", m.layers)));
        }
        if let Some(vp) = a.vp {
            if vp > 1 && (pp == 1 || m.layers % (pp * vp) != 0) {
                return Err(flag(
                    "--vp",
                    vp,
                    format!("1, or with pp > 1 a divisor of layers ÷ pp ({} ÷ {pp})", m.layers),
                ));
            }
        }
    }
    if let Some(cp) = a.cp {
        if seq % cp != 0 {
            return Err(flag("--cp", cp, format!("a divisor of the sequence length ({seq})")));
        }
    }
    match (&m.moe, a.ep) {
        (None, Some(ep)) if ep != 1 => return Err(flag("--ep", ep, "1 for a dense model")),
        (Some(moe), Some(ep)) if moe.experts % ep != 0 => {
            return Err(flag("--ep", ep, format!("a divisor of the experts ({})", moe.experts)));
        }
        _ => {}
    }
    if let Some(z) = a.zero {
        if z > 3 {
            return Err(flag("--zero", z, "0, 1, 2 or 3"));
        }
    }
    if let (Some(dp), Some(mb)) = (a.dp, a.micro_batch) {
        if a.global_batch % (dp * mb) != 0 {
            return Err(flag(
                "--global-batch",
                a.global_batch,
                format!("a multiple of dp × micro-batch ({dp} × {mb})"),
            ));
        }
    }
    if let Some(g) = a.gpus {
        let fixed: u64 = [a.tp, a.pp, a.dp, a.cp].iter().map(|v| u64::from(v.unwrap_or(1))).product();
        let all = a.tp.is_some() && a.pp.is_some() && a.dp.is_some() && a.cp.unwrap_or(1) > 0;
        if (all && fixed != g) || g % fixed != 0 {
            return Err(flag(
                "--gpus",
                g,
                format!("tp·pp·dp·cp = {fixed} (or a multiple of it when some are searched)"),
            ));
        }
    }
    Ok(())
}

fn progress_bar(enabled: bool) -> impl Fn(usize, usize) + Sync {
    move |done: usize, total: usize| {
        if enabled && (done == total || done % (total / 50).max(1) == 0) {
            let width = 30;
            let filled = done * width / total.max(1);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\rsearching [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                let _ = writeln!(err);
            }
        }
    }
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

pub(crate) fn run(catalog: &Catalog, a: &TrainArgs) -> Result<(), CliError> {
    positive("--tokens", a.tokens, 1e16)?;
    positive("--days", a.days, 36_500.0)?;
    positive("--power-utilisation", Some(a.power_utilisation), 1.0)?;
    if !(1.0..=3.0).contains(&a.pue) {
        return Err(flag("--pue", a.pue, "a number from 1 to 3"));
    }
    if a.global_batch == 0 {
        return Err(flag("--global-batch", 0, "a positive number of sequences"));
    }
    if a.gpus == Some(0) {
        return Err(flag("--gpus", 0, "a positive number of GPUs"));
    }
    let spec = io::model(catalog, &a.model)?;
    let seq = a.seq_len.unwrap_or_else(|| spec.max_context.min(4096));
    if seq == 0 {
        return Err(flag("--seq-len", 0, "a positive number of tokens"));
    }
    check_fixed(a, &spec, seq)?;
    let precision = match a.precision.as_str() {
        "fp16" => Precision::Fp16,
        "fp8" => Precision::Fp8,
        _ => Precision::Bf16,
    };
    let recompute = a.recompute.as_deref().map(|r| match r {
        "none" => Recompute::None,
        "selective" => Recompute::Selective,
        _ => Recompute::Full,
    });
    let stack = Stack::by_name(&a.stack).unwrap_or(Stack::MODERN);
    let calib = Calibration::default();
    let cluster = Cluster::new(catalog, &a.gpu, a.server.as_deref(), precision, &calib)?;
    let w = Workload { global_batch: a.global_batch, seq_len: seq, precision };
    let (objective, max_step) = match (a.days, a.tokens, a.gpus) {
        (Some(days), Some(tokens), _) => {
            let steps = tokens / (f64::from(a.global_batch) * f64::from(seq));
            let max_step_s = days * 86_400.0 / steps;
            (Objective::FewestServers { max_step_s, node_size: cluster.node_size }, Some(max_step_s))
        }
        (Some(_), None, _) => return Err(flag("--days", a.days.unwrap_or_default(), "used with --tokens")),
        (None, _, Some(_)) => (Objective::Fastest, None),
        (None, _, None) => {
            return Err(CliError::Input(
                "give --gpus N, or --days D with --tokens T to find the fewest servers".into(),
            ));
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
        zero: a.zero,
    };
    let cands = Candidates::new(&spec, &w, &constraints, cluster.node_size);
    let prepared = Prepared::new(&spec, &cluster, &w, &calib, &stack);
    let started = Instant::now();
    let show = !a.quiet && std::io::stderr().is_terminal() && cands.outer.len() > 1;
    let outcome = suanli_search::search(&prepared, &cands, objective, &progress_bar(show));
    let seconds = started.elapsed().as_secs_f64();
    let op = Operating { power_utilisation: a.power_utilisation, pue: a.pue };

    // A fully fixed layout that does not fit is reported, then refused.
    let single = outcome.evaluated == 1;
    let chosen = match (outcome.best, outcome.nearest_miss) {
        (Some(b), _) => b,
        (None, Some(miss)) if single => miss,
        (None, _) => {
            let why = nearest_miss(&outcome, cluster.memory_gib).unwrap_or_else(|| {
                "no layout satisfies the fixed flags: check that the global batch splits over dp × micro-batch and the GPU count over tp·pp·cp".to_string()
            });
            return Err(CliError::Infeasible(why));
        }
    };
    let mut notes = Vec::new();
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
        "energy counts the GPUs at {} of TDP × PUE {}; servers' CPUs, memory and network are not included",
        a.power_utilisation, a.pue
    ));
    let report = TrainReport::new(&chosen, &w, &cluster, a.tokens, &op);
    let front = outcome
        .front
        .members
        .iter()
        .rev()
        .take(a.top)
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
    let doc = TrainDoc {
        model: spec.id.clone(),
        gpu: cluster.accelerator.clone(),
        server: cluster.server.clone(),
        stack: stack.name.to_string(),
        report,
        search: (!single).then_some(SearchStats {
            evaluated: outcome.evaluated,
            feasible: outcome.feasible,
            seconds,
            front,
        }),
        notes,
    };
    io::emit(&render_train(&doc, super::format(a.out.format)?)?, a.out.output.as_deref())?;
    if !chosen.fits {
        return Err(CliError::Infeasible(format!(
            "the layout does not fit: it needs {:.1} GiB per GPU, {:.1} GiB available",
            chosen.memory.total_gib, cluster.memory_gib
        )));
    }
    if let (Some(limit), Some(days)) = (max_step, a.days) {
        if chosen.step_time_s > limit {
            return Err(CliError::Infeasible(format!(
                "no layout trains the tokens in {days} days at global batch {}; the fastest shown takes {:.1} days",
                a.global_batch,
                doc.report.train_days.unwrap_or_default()
            )));
        }
    }
    Ok(())
}
