//! The month by stage: each stage's compute, servers and cost by both methods, the totals,
//! and the unit costs of the planned serving fleet (with the sensitivity of its cost).

use super::finetune::FinetuneOut;
use super::inference::InferenceOut;
use super::pretraining::{PlannedTraining, PretrainingOut};
use super::sensitivity::serving_sensitivity;
use super::{Basis, Builder, Ctx, Hw, Sensitivity, e};
use crate::econ::{Tco, TcoInputs};
use crate::error::Error;
use crate::scenario::{Costs, Inference, Method};
use crate::units::DAYS_PER_MONTH;

/// What the earlier sections reported, for the month by stage.
#[derive(Debug, Clone, Copy)]
pub(super) struct Earlier<'a> {
    pub(super) pretraining: &'a PretrainingOut,
    pub(super) inference: &'a InferenceOut,
    pub(super) finetune: &'a FinetuneOut,
}

/// One stage of the month by both methods.
struct Stage {
    key: &'static str,
    label: &'static str,
    pf_analyst: Option<f64>,
    pf_planned: Option<f64>,
    servers_planned: Option<f64>,
}

/// Servers, facility kW and cost a month, summed over the stages, for each method.
type Totals = [(f64, f64, f64); 2];

/// The month-by-stage section; returns the sensitivity of the serving cost when a fleet was
/// planned.
///
/// - `monthly.<stage>.<method>.pf_days`: the stage's compute from the sections above
///   (pre-training × runs a month).
/// - `monthly.<stage>.<method>.servers`: see [`stage`]; `monthly.<stage>.<method>.cost_usd` =
///   servers × owned server-month.
/// - `monthly.total.<method>.servers|power_kw|cost_usd`: the sums (kW = servers × facility kW).
/// - unit costs: see [`unit_costs`].
pub(super) fn section(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    (costs, hw): (&Costs, &Hw<'_>),
    (tco_in, t): (&TcoInputs, &Tco),
    earlier: Earlier<'_>,
) -> Result<Option<Sensitivity>, Error> {
    let s = cx.s;
    let runs = s.pretraining.as_ref().map_or(0.0, |p| p.runs_per_month);
    let mut planned_pre = None;
    if let Some(p) = &s.pretraining {
        if s.wants(Method::FirstPrinciples) {
            let plan_t = PlannedTraining::new(cx, hw, p)?;
            let node = u64::from(hw.server.accelerator_count.max(1));
            planned_pre = plan_t
                .for_deadline(DAYS_PER_MONTH)
                .filter(|_| runs > 0.0)
                .map(|(ev, _)| ev.gpus.div_ceil(node) as f64);
        }
    }
    let (pre, inf, ft) = (earlier.pretraining, earlier.inference, earlier.finetune);
    let stages = [
        Stage {
            key: "pretraining",
            label: "pre-training",
            pf_analyst: pre.reported_pf_days.map(|x| x * runs),
            pf_planned: pre.reported_shape_pf_days.map(|x| x * runs),
            servers_planned: planned_pre,
        },
        Stage {
            key: "finetune",
            label: "fine-tuning",
            pf_analyst: ft.reported_pf_days,
            pf_planned: ft.planned_pf_days,
            servers_planned: ft.servers_planned,
        },
        Stage {
            key: "inference",
            label: "inference",
            pf_analyst: inf.reported_pf_days,
            pf_planned: inf.reported_bottom_up_pf_days,
            servers_planned: inf.servers_planned,
        },
    ];
    let mut totals = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)];
    for st in &stages {
        stage(b, hw, t, st, &mut totals);
    }
    push_totals(b, t, &totals);
    let mut sensitivity = None;
    if let (Some(i), Some(servers)) = (&s.inference, inf.servers_planned) {
        unit_costs(cx, b, i, servers, tco_in, t);
        sensitivity = serving_sensitivity(s, cx.spec, cx.catalog, hw, costs, cx.origin)?;
    }
    Ok(sensitivity)
}

/// One stage's figures by each method.
///
/// Analyst servers = ⌈PF/s-days ÷ (days a month × analyst PF/s × utilisation)⌉; planned
/// servers come from the planners (pre-training: the fewest servers that finish a run within
/// the month).
fn stage(b: &mut Builder<'_>, hw: &Hw<'_>, t: &Tco, st: &Stage, totals: &mut Totals) {
    let month_servers = |pf: f64, pflops: f64, util: f64| (pf / (DAYS_PER_MONTH * pflops * util)).ceil();
    let (key, label) = (st.key, st.label);
    let analyst_servers =
        st.pf_analyst.map(|pf| month_servers(pf, hw.analyst_pflops, hw.analyst_utilisation));
    let analyst_formula = st
        .pf_analyst
        .map(|pf| format!("⌈{} ÷ ({} days × {} PF/s)⌉", e(pf), e(DAYS_PER_MONTH), e(hw.analyst_pflops)))
        .unwrap_or_default();
    let planned_formula = if key == "pretraining" {
        format!("fewest servers to finish a run within the month ({} days)", e(DAYS_PER_MONTH))
    } else {
        "from the sections above".to_string()
    };
    let methods = [
        (
            0,
            "analyst",
            "analyst",
            Basis::Analyst,
            st.pf_analyst,
            analyst_servers,
            analyst_formula,
            "analyst peak all month",
        ),
        (
            1,
            "first_principles",
            "first principles",
            Basis::FirstPrinciples,
            st.pf_planned,
            st.servers_planned,
            planned_formula,
            "planners",
        ),
    ];
    for (mi, m, name, basis, pf, servers, formula, how) in methods {
        if let Some(pf) = pf {
            b.push(
                format!("monthly.{key}.{m}.pf_days"),
                format!("{label}: compute, {name}"),
                pf,
                "PF/s-days",
                basis,
                "from the sections above",
                "from the sections above",
                None,
            );
        }
        if let Some(servers) = servers {
            b.push(
                format!("monthly.{key}.{m}.servers"),
                format!("{label}: servers, {how}"),
                servers,
                "servers",
                basis,
                "planners or analyst::servers_at_peak",
                formula,
                None,
            );
            b.push(
                format!("monthly.{key}.{m}.cost_usd"),
                format!("{label}: cost a month, {name} servers"),
                servers * t.owned_per_month,
                "USD",
                basis,
                "econ::tco",
                format!("{servers} × {}", e(t.owned_per_month)),
                None,
            );
            totals[mi].0 += servers;
            totals[mi].1 += servers * t.facility_kw;
            totals[mi].2 += servers * t.owned_per_month;
        }
    }
}

/// `monthly.total.<method>.servers|power_kw|cost_usd`, for each method with servers.
fn push_totals(b: &mut Builder<'_>, t: &Tco, totals: &Totals) {
    for (i, (m, basis)) in
        [("analyst", Basis::Analyst), ("first_principles", Basis::FirstPrinciples)].into_iter().enumerate()
    {
        if totals[i].0 > 0.0 {
            b.push(
                format!("monthly.total.{m}.servers"),
                format!("all stages: servers ({})", m.replace('_', " ")),
                totals[i].0,
                "servers",
                basis,
                "sum",
                "sum of the stages",
                None,
            );
            b.push(
                format!("monthly.total.{m}.power_kw"),
                format!("all stages: facility power ({})", m.replace('_', " ")),
                totals[i].1,
                "kW",
                basis,
                "sum",
                format!("servers × {} kW", e(t.facility_kw)),
                None,
            );
            b.push(
                format!("monthly.total.{m}.cost_usd"),
                format!("all stages: cost a month ({})", m.replace('_', " ")),
                totals[i].2,
                "USD",
                basis,
                "sum",
                "sum of the stages",
                None,
            );
        }
    }
}

/// Unit costs from the planned serving fleet.
///
/// - `monthly.cost_per_interaction_usd` = servers × owned server-month ÷ interactions.
/// - `monthly.cost_per_million_output_tokens_usd` = that ÷ output tokens × 10^6.
/// - `monthly.tutoring_cny_per_hour` = interactions an hour × cost per interaction × CNY per USD.
/// - `monthly.budget.<i>.interactions_per_day` = ⌊budget ÷ (server price × (1 + network
///   share))⌋ × interactions per server-day of the planned fleet.
fn unit_costs(cx: &Ctx<'_>, b: &mut Builder<'_>, inf: &Inference, servers: f64, tco_in: &TcoInputs, t: &Tco) {
    let (s, rate) = (cx.s, cx.rate);
    let monthly_cost = servers * t.owned_per_month;
    let per = monthly_cost / inf.monthly_interactions;
    b.push(
        "monthly.cost_per_interaction_usd",
        "serving cost per interaction, planned fleet",
        per,
        "USD",
        Basis::FirstPrinciples,
        "econ::tco",
        format!("{} USD ÷ {} interactions", e(monthly_cost), e(inf.monthly_interactions)),
        inf.cost_per_interaction_usd.map(|c| format!("the seed's figure is {c} USD")),
    );
    if let Some(o) = inf.output_tokens {
        b.push(
            "monthly.cost_per_million_output_tokens_usd",
            "serving cost per million output tokens",
            per / f64::from(o) * 1e6,
            "USD",
            Basis::FirstPrinciples,
            "econ::tco",
            format!("{} USD ÷ {o} tokens × 10^6", e(per)),
            None,
        );
    }
    if let Some(tut) = s.unit_economics.as_ref().and_then(|u| u.tutoring.as_ref()) {
        let ai = tut.interactions_per_hour * per * rate;
        b.push(
            "monthly.tutoring_cny_per_hour",
            "AI tutoring per lesson-hour at the planned serving cost",
            ai,
            "CNY",
            Basis::FirstPrinciples,
            "econ::tco",
            format!("{} interactions × {} USD × {rate}", e(tut.interactions_per_hour), e(per)),
            Some(format!("the teacher costs {} CNY", e(tut.teacher_cny_per_hour))),
        );
    }
    if let Some(u) = &s.unit_economics {
        let per_server_day = inf.monthly_interactions / DAYS_PER_MONTH / servers;
        for (i, budget) in u.hardware_budgets_cny.iter().enumerate() {
            let n = (budget / rate / (tco_in.server_price * (1.0 + tco_in.network_share))).floor();
            b.push(
                format!("monthly.budget.{i}.interactions_per_day"),
                format!("interactions a day a {} CNY budget's servers sustain (planned fleet)", e(*budget)),
                n * per_server_day,
                "interactions/day",
                Basis::FirstPrinciples,
                "infer::replica_capacity",
                format!(
                    "⌊{} CNY ÷ server with network⌋ = {n} servers × {} interactions per server-day",
                    e(*budget),
                    e(per_server_day)
                ),
                None,
            );
        }
    }
}
