//! Start-up unit economics: what a hardware budget buys and serves, what a fund pays for,
//! and AI tutoring against a teacher.

use super::inference::InferenceOut;
use super::{Basis, Builder, Ctx, e, to_cny};
use crate::analyst;
use crate::error::Error;
use crate::hardware::{Accelerator, PeakKind, Server};
use crate::precision::Precision;
use crate::scenario::{Tutoring, UnitEconomics};
use crate::sigfig;
use crate::units::{self, Currency, FLOP_PER_PF_DAY};

/// The unit-economics section.
///
/// - budgets: see [`budgets`].
/// - `unit_economics.rnd_cny_per_year`: the input.
/// - `unit_economics.training_runs_funded` = ⌊fund ÷ cost of a run⌋.
/// - tutoring: see [`tutoring`].
pub(super) fn section(cx: &Ctx<'_>, b: &mut Builder<'_>, inference: &InferenceOut) -> Result<(), Error> {
    let Some(u) = &cx.s.unit_economics else { return Ok(()) };
    if !u.hardware_budgets_cny.is_empty() {
        budgets(cx, b, u, inference)?;
    }
    if let Some(r) = u.rnd_cny_per_year {
        b.push(
            "unit_economics.rnd_cny_per_year",
            "R&D spend a year",
            r,
            "CNY",
            Basis::Data,
            "input",
            "scenario input",
            None,
        );
    }
    if let (Some(fund), Some(run)) = (u.fund_usd, u.training_run_cost_usd) {
        b.push(
            "unit_economics.training_runs_funded",
            format!("training runs a {} USD fund pays for", e(fund)),
            analyst::units_affordable(fund, run),
            "runs",
            Basis::Analyst,
            "analyst::units_affordable",
            format!("⌊{} USD ÷ {} USD per run⌋", e(fund), e(run)),
            Some("compute only: staff, data and failed runs are not counted".into()),
        );
    }
    if let Some(t) = &u.tutoring {
        tutoring(cx, b, t)?;
    }
    Ok(())
}

/// What each hardware budget buys and serves.
///
/// - `unit_economics.budget.<i>.servers` = ⌊budget ÷ server price (else its chip cost)⌋.
/// - `unit_economics.budget.<i>.interactions_per_day_analyst` = servers × analyst PF/s ×
///   utilisation ÷ cost-equivalent PF/s-days per interaction.
/// - `unit_economics.budget.<i>.interactions_per_day` = servers × dense PF/s × serving
///   utilisation ÷ (FLOP per interaction ÷ 8.64e19).
fn budgets(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    u: &UnitEconomics,
    inference: &InferenceOut,
) -> Result<(), Error> {
    let (s, fp) = (cx.s, &cx.s.first_principles);
    let server_id = u.server.as_deref().or(s.hardware.as_ref().map(|h| h.server.as_str()));
    let Some(server_id) = server_id else {
        return Err(Error::MissingKey {
            origin: cx.origin.to_string(),
            key: "unit_economics.server (or [hardware])".into(),
        });
    };
    let server = cx.catalog.server(server_id)?;
    let chip = server.accelerator.as_deref().map(|a| cx.catalog.accelerator(a)).transpose()?;
    let unit_cost = unit_cost(cx, server, chip, server_id)?;
    let per_server = |kind: PeakKind, p: Precision| -> Option<f64> {
        chip.and_then(|c| c.peak_flops(p, kind)).map(|f| f * f64::from(server.accelerator_count) / 1e15)
    };
    let precision = s.hardware.as_ref().map_or(Precision::Bf16, |h| h.precision);
    let analyst_kind = s.hardware.as_ref().map_or(PeakKind::Dense, |h| h.analyst_peak);
    for (i, budget) in u.hardware_budgets_cny.iter().enumerate() {
        let n = analyst::units_affordable(*budget, unit_cost);
        b.push(
            format!("unit_economics.budget.{i}.servers"),
            format!("{} servers a {} CNY budget buys", server.id, e(*budget)),
            n,
            "servers",
            Basis::Analyst,
            "analyst::units_affordable",
            format!("⌊{} CNY ÷ {} CNY per server⌋", e(*budget), e(unit_cost)),
            server
                .price
                .is_none()
                .then(|| "priced at chip cost: a whole server costs more, so fewer are bought".to_string()),
        );
        if let (Some(per), Some(pfi)) =
            (per_server(analyst_kind, precision), inference.pf_days_per_interaction_analyst)
        {
            let util = s.hardware.as_ref().map_or(1.0, |h| h.analyst_utilisation);
            b.push(
                format!("unit_economics.budget.{i}.interactions_per_day_analyst"),
                "interactions a day those servers serve, at the cost-equivalent compute per interaction",
                analyst::interactions_per_day(n * per * util, pfi),
                "interactions/day",
                Basis::Analyst,
                "analyst::interactions_per_day",
                format!("{n} servers × {} PF/s × {util} ÷ {:.3e} PF/s-days per interaction", e(per), pfi),
                None,
            );
        }
        if let (Some(per), Some(flop)) =
            (per_server(PeakKind::Dense, precision), inference.flop_per_interaction)
        {
            b.push(
                format!("unit_economics.budget.{i}.interactions_per_day"),
                format!(
                    "interactions a day at dense peak × {} utilisation, {}",
                    sigfig::percent(fp.serving_utilisation),
                    cx.spec.id
                ),
                analyst::interactions_per_day(n * per * fp.serving_utilisation, flop / FLOP_PER_PF_DAY),
                "interactions/day",
                Basis::Assumption,
                "analyst::interactions_per_day",
                format!(
                    "{n} servers × {} PF/s × {} ÷ ({} FLOP per interaction ÷ 8.64e19)",
                    e(per),
                    fp.serving_utilisation,
                    e(flop)
                ),
                None,
            );
        }
    }
    Ok(())
}

/// A server's price in CNY: the catalog's, else CPUs × CPU price + accelerators ×
/// accelerator price.
fn unit_cost(
    cx: &Ctx<'_>,
    server: &Server,
    chip: Option<&Accelerator>,
    server_id: &str,
) -> Result<f64, Error> {
    let rate = cx.rate;
    let cpu = server.cpu.unit_price.as_ref().map(|m| to_cny(m, rate));
    let acc = server
        .accelerator_unit_price
        .as_ref()
        .or_else(|| chip.and_then(|c| c.price.as_ref()))
        .map(|m| to_cny(m, rate));
    match (server.price.as_ref(), cpu, acc) {
        (Some(p), _, _) => Ok(to_cny(p, rate)),
        (None, Some(c), Some(a)) => Ok(analyst::server_chip_cost(
            f64::from(server.cpu.count),
            c,
            f64::from(server.accelerator_count),
            a,
        )),
        _ => Err(Error::invalid(
            cx.origin,
            "unit_economics.server",
            format!("\"{server_id}\""),
            "a server with a price, or CPU and accelerator prices, in the catalog",
        )),
    }
}

/// AI tutoring against a teacher.
///
/// - `unit_economics.tutoring.ai_cny_per_hour` = interactions an hour × cost per interaction ×
///   CNY per USD.
/// - `unit_economics.tutoring.teacher_cny_per_hour`: the input.
/// - `unit_economics.tutoring.ai_share_of_teacher` = AI ÷ teacher.
fn tutoring(cx: &Ctx<'_>, b: &mut Builder<'_>, t: &Tutoring) -> Result<(), Error> {
    let rate = cx.rate;
    let cost = t
        .cost_per_interaction_usd
        .or(cx.s.inference.as_ref().and_then(|i| i.cost_per_interaction_usd))
        .ok_or_else(|| Error::MissingKey {
            origin: cx.origin.to_string(),
            key: "unit_economics.tutoring.cost_per_interaction_usd".into(),
        })?;
    let ai = units::convert(
        analyst::tutoring_cost_per_hour(t.interactions_per_hour, cost),
        Currency::Usd,
        Currency::Cny,
        rate,
    );
    b.push(
        "unit_economics.tutoring.ai_cny_per_hour",
        "AI tutoring compute cost per lesson-hour",
        ai,
        "CNY",
        Basis::Analyst,
        "analyst::tutoring_cost_per_hour",
        format!("{} interactions × {cost} USD × {rate} CNY/USD", e(t.interactions_per_hour)),
        None,
    );
    b.push(
        "unit_economics.tutoring.teacher_cny_per_hour",
        "human teacher per hour",
        t.teacher_cny_per_hour,
        "CNY",
        Basis::Data,
        "input",
        "scenario input",
        None,
    );
    b.push(
        "unit_economics.tutoring.ai_share_of_teacher",
        "AI compute cost as a share of the teacher's",
        ai / t.teacher_cny_per_hour,
        "fraction",
        Basis::Analyst,
        "ratio",
        format!("{} ÷ {}", e(ai), e(t.teacher_cny_per_hour)),
        None,
    );
    Ok(())
}
