//! Inference: the monthly bill and its compute by cost equivalence, compute from tokens
//! served, and the servers for the traffic (the inference planner's fleet for the peak hour,
//! else an assumed utilisation; the analyst's servers at peak).

use super::pretraining::PretrainingOut;
use super::{Basis, Builder, Ctx, Hw, e};
use crate::analyst;
use crate::catalog::Catalog;
use crate::error::Error;
use crate::infer::{
    Engine, InferCalibration, InferConfig, Precisions, Replica, replica_capacity, replicas_for,
};
use crate::model::{ModelSpec, forward_flops_per_token};
use crate::scenario::{Inference, Method, Scenario};
use crate::sigfig;
use crate::train::{Calibration, Cluster};
use crate::units::{DAYS_PER_MONTH, FLOP_PER_PF_DAY};

/// What the inference section computed, for the sections after it.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct InferenceOut {
    /// Monthly PF/s-days by cost equivalence, computed whether or not analyst figures are
    /// reported (the fine-tuning method reads it).
    pub(super) pf_days: Option<f64>,
    /// Those PF/s-days per interaction.
    pub(super) pf_days_per_interaction_analyst: Option<f64>,
    /// Forward FLOPs of one interaction from the shape.
    pub(super) flop_per_interaction: Option<f64>,
    /// `inference.pf_days_per_month` as reported.
    pub(super) reported_pf_days: Option<f64>,
    /// `inference.pf_days_per_month_bottom_up` as reported.
    pub(super) reported_bottom_up_pf_days: Option<f64>,
    /// `inference.servers_planned` as reported.
    pub(super) servers_planned: Option<f64>,
}

/// The inference section.
///
/// - `inference.monthly_interactions`: the input.
/// - `inference.monthly_cost_usd` = interactions × cost per interaction.
/// - `inference.pf_days_per_month` = bill ÷ (training run cost ÷ training run PF/s-days).
/// - `inference.pf_days_per_month_bottom_up`, the servers: see [`bottom_up`].
/// - `inference.servers_analyst` = cost-equivalent PF/s-days ÷ (days a month × analyst PF/s
///   × utilisation).
pub(super) fn section(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    pre: &PretrainingOut,
) -> Result<InferenceOut, Error> {
    let mut out = InferenceOut::default();
    let Some(i) = &cx.s.inference else { return Ok(out) };
    b.push(
        "inference.monthly_interactions",
        "interactions a month",
        i.monthly_interactions,
        "",
        Basis::Data,
        "input",
        "scenario input",
        None,
    );
    if let Some(cost) = i.cost_per_interaction_usd {
        cost_equivalence(cx, b, i, cost, pre, &mut out)?;
    }
    if let Some(tokens) = i.tokens_per_interaction {
        bottom_up(cx, b, i, tokens, &mut out)?;
    }
    if let (Some(pf), Some(hw)) = (out.pf_days, &cx.hw) {
        b.push(
            "inference.servers_analyst",
            format!("{} servers running the cost-equivalent compute all month at analyst peak", hw.server.id),
            analyst::servers_at_peak(pf, DAYS_PER_MONTH, hw.analyst_pflops, hw.analyst_utilisation),
            "servers",
            Basis::Analyst,
            "analyst::servers_at_peak",
            format!("{} PF/s-days ÷ ({} days × {} PF/s)", e(pf), e(DAYS_PER_MONTH), e(hw.analyst_pflops)),
            None,
        );
    }
    Ok(out)
}

/// The monthly bill and, with a training run's cost, its compute by cost equivalence.
fn cost_equivalence(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    i: &Inference,
    cost: f64,
    pre: &PretrainingOut,
    out: &mut InferenceOut,
) -> Result<(), Error> {
    let bill = analyst::monthly_operating_cost(i.monthly_interactions, cost);
    b.push(
        "inference.monthly_cost_usd",
        "monthly compute bill",
        bill,
        "USD",
        Basis::Analyst,
        "analyst::monthly_operating_cost",
        format!("{} interactions × {} USD", e(i.monthly_interactions), cost),
        None,
    );
    let Some(run_cost) = i.training_run_cost_usd else { return Ok(()) };
    let run_pf = i.training_run_pf_days.or(pre.pf_days).ok_or_else(|| Error::MissingKey {
        origin: cx.origin.to_string(),
        key: "inference.training_run_pf_days (or a [pretraining] section)".into(),
    })?;
    let pf = analyst::inference_pf_days_by_cost_equivalence(bill, run_cost, run_pf);
    out.pf_days = Some(pf);
    out.pf_days_per_interaction_analyst = Some(pf / i.monthly_interactions);
    out.reported_pf_days = b.push(
        "inference.pf_days_per_month",
        "monthly inference compute by cost equivalence",
        pf,
        "PF/s-days",
        Basis::Analyst,
        "analyst::inference_pf_days_by_cost_equivalence",
        format!("{} USD ÷ ({} USD ÷ {} PF/s-days)", e(bill), e(run_cost), e(run_pf)),
        Some("assumes a PF/s-day costs the same in serving as in training; serving is memory-bound and runs at a fraction of training's utilisation".into()),
    );
    Ok(())
}

/// Compute from tokens served and the servers for it.
///
/// - `inference.pf_days_per_month_bottom_up` = interactions × tokens × forward FLOP per token
///   (at the mean context, default half the tokens) ÷ 8.64e19.
/// - `inference.servers_planned`: see [`planned_servers`]; without input and output lengths,
///   `inference.servers_at_utilisation` = ⌈PF/s-days ÷ days a month ÷ (dense PF/s × serving
///   utilisation)⌉.
fn bottom_up(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    i: &Inference,
    tokens: f64,
    out: &mut InferenceOut,
) -> Result<(), Error> {
    let (s, spec, fp) = (cx.s, cx.spec, &cx.s.first_principles);
    let ctx = i.mean_context.unwrap_or(tokens / 2.0);
    let flop = tokens * forward_flops_per_token(spec, ctx);
    out.flop_per_interaction = Some(flop);
    let pf = i.monthly_interactions * flop / FLOP_PER_PF_DAY;
    let ratio = out.pf_days.map(|a| format!("; the cost-equivalence figure is {:.1}× this", a / pf));
    out.reported_bottom_up_pf_days = b.push(
        "inference.pf_days_per_month_bottom_up",
        "monthly inference compute from tokens served",
        pf,
        "PF/s-days",
        Basis::FirstPrinciples,
        "model::forward_flops_per_token",
        format!(
            "{} interactions × {} tokens × {} FLOP/token (context {}) ÷ 8.64e19",
            e(i.monthly_interactions),
            e(tokens),
            e(forward_flops_per_token(spec, ctx)),
            e(ctx)
        ),
        Some(format!("tokens per interaction is an assumption{}", ratio.unwrap_or_default())),
    );
    let Some(hw) = &cx.hw else { return Ok(()) };
    let fleet = match (i.input_tokens, i.output_tokens) {
        (Some(input), Some(output)) if s.wants(Method::FirstPrinciples) => {
            serving_fleet(spec, cx.catalog, hw, s, input, output, i.monthly_interactions)?
        }
        _ => None,
    };
    if let Some(f) = fleet {
        out.servers_planned = planned_servers(b, hw, i, &f);
    } else {
        let sustained = pf / DAYS_PER_MONTH;
        b.push(
            "inference.servers_at_utilisation",
            format!(
                "{} servers to serve the traffic at an assumed {} utilisation",
                hw.server.id,
                sigfig::percent(fp.serving_utilisation)
            ),
            (sustained / (hw.dense_pflops * fp.serving_utilisation)).ceil(),
            "servers",
            Basis::Assumption,
            "analyst::servers_at_peak",
            format!(
                "⌈{} PF/s sustained ÷ ({} PF/s dense × {})⌉, average load, no peak-hour headroom",
                e(sustained),
                e(hw.dense_pflops),
                fp.serving_utilisation
            ),
            Some(
                "average load only; the fleet simulator will size for the peak hour and latency targets"
                    .into(),
            ),
        );
    }
    Ok(())
}

/// `inference.servers_planned` = ⌈replicas × tp ÷ GPUs per server⌉, replicas = ⌈peak
/// requests/s ÷ (a replica's rate × 0.85)⌉.
fn planned_servers(b: &mut Builder<'_>, hw: &Hw<'_>, i: &Inference, f: &ServingFleet) -> Option<f64> {
    let v = b.push(
        "inference.servers_planned",
        format!("{} servers for the peak hour within p99 latency targets, inference planner", hw.server.id),
        f.servers as f64,
        "servers",
        Basis::FirstPrinciples,
        "infer::replica_capacity",
        format!(
            "⌈{} replicas × tp {} ÷ {}⌉; replicas = ⌈{} requests/s peak ÷ ({} per replica × 0.85)⌉",
            f.replicas,
            f.tp,
            hw.server.accelerator_count,
            e(f.peak_rate),
            e(f.replica_rate)
        ),
        Some(format!(
            "analytic steady state: tp {} {} replicas at batch {} (TPOT {} ms, TTFT {} ms), {} peak-to-average, targets p99 TTFT {} s and TPOT {} s; `suanli serve --simulate` confirms the tails",
            f.tp,
            f.precision,
            f.batch,
            e(f.tpot_s * 1e3),
            e(f.ttft_s * 1e3),
            i.peak_to_average,
            i.ttft_p99_s,
            i.tpot_p99_s
        )),
    );
    b.band_time_like("inference.servers_planned", "inference", hw.accelerator.arch.as_deref());
    v
}

/// The serving fleet the inference planner sizes for the scenario's traffic.
pub(super) struct ServingFleet {
    tp: u32,
    precision: &'static str,
    replicas: u64,
    pub(super) servers: u64,
    peak_rate: f64,
    replica_rate: f64,
    batch: u32,
    ttft_s: f64,
    tpot_s: f64,
}

/// Sizes replicas of `spec` on the scenario's server for its peak hour: every tensor-parallel
/// degree that divides the server, the one needing the fewest servers.
pub(super) fn serving_fleet(
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    s: &Scenario,
    input: u32,
    output: u32,
    monthly: f64,
) -> Result<Option<ServingFleet>, Error> {
    let Some(i) = &s.inference else { return Ok(None) };
    let precision = s.hardware.as_ref().map_or(crate::precision::Precision::Bf16, |h| h.precision);
    let p = Precisions::uniform(precision);
    let cluster = Cluster::new(
        catalog,
        &hw.accelerator.id,
        Some(&hw.server.id),
        p.activations,
        &Calibration::default(),
    )?;
    let node = hw.server.accelerator_count.max(1);
    let peak_rate = monthly / (DAYS_PER_MONTH * 86_400.0) * i.peak_to_average;
    let mut best: Option<ServingFleet> = None;
    for tp in (1..=node).filter(|t| node % t == 0) {
        let cfg = InferConfig { tp, pp: 1, ep: 1, precision: p };
        if cfg.check(spec, input, output, "scenario").is_err() {
            continue;
        }
        let replica = Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default());
        let Some((rate, res)) = replica_capacity(&replica, input, output, i.ttft_p99_s, i.tpot_p99_s) else {
            continue;
        };
        let replicas = replicas_for(peak_rate, rate);
        let servers = replicas.saturating_mul(u64::from(tp)).div_ceil(u64::from(node));
        if best.as_ref().is_none_or(|b| servers < b.servers) {
            best = Some(ServingFleet {
                tp,
                precision: precision.name(),
                replicas,
                servers,
                peak_rate,
                replica_rate: rate,
                batch: res.batch,
                ttft_s: res.ttft_s,
                tpot_s: res.tpot_s,
            });
        }
    }
    Ok(best)
}
