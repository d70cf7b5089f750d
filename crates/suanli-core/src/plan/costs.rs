//! Cost of a server: owned (capital, electricity, hosting) against rented, from the
//! scenario's `[costs]` and the catalog's prices (`econ::tco`).

use super::{Basis, Builder, Ctx, Hw, e};
use crate::econ::{Tco, TcoInputs, tco};
use crate::error::Error;
use crate::scenario::{Costs, Scenario};
use crate::sourced::Money;
use crate::units::{self, Currency, HOURS_PER_MONTH};

/// The TCO section; returns its inputs and result for the month by stage.
///
/// - `tco.server_price_usd`: the scenario's or catalog's price (see [`tco_inputs`]).
/// - `tco.capital_per_month_usd` = price × (1 + network share) ÷ (12 × years).
/// - `tco.facility_kw` = (accelerators × TDP × utilisation + server overhead) × PUE.
/// - `tco.energy_per_month_usd` = kW × hours a month × electricity price.
/// - `tco.hosting_per_month_usd` = kW × hosting price per kW-month.
/// - `tco.owned_per_month_usd` = capital + electricity + hosting; `tco.owned_per_gpu_hour_usd`
///   = that ÷ (accelerators × hours a month).
/// - the cloud figures: see [`cloud`].
pub(super) fn section(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    costs: &Costs,
    hw: &Hw<'_>,
) -> Result<(TcoInputs, Tco), Error> {
    let tco_in = tco_inputs(cx.s, costs, hw, cx.origin)?;
    let t = tco(&tco_in);
    let money = |b: &mut Builder<'_>, key: &str, label: &str, v: f64, formula: String| {
        b.push(key, label, v, "USD", Basis::FirstPrinciples, "econ::tco", formula, None);
    };
    b.push(
        "tco.server_price_usd",
        format!("{} price", hw.server.id),
        tco_in.server_price,
        "USD",
        Basis::Data,
        "input",
        "scenario or catalog",
        None,
    );
    money(
        b,
        "tco.capital_per_month_usd",
        "capital a month (server + network, amortised)",
        t.capital_per_month,
        format!(
            "{} × (1 + {}) ÷ (12 × {} years)",
            e(tco_in.server_price),
            tco_in.network_share,
            tco_in.years
        ),
    );
    b.push(
        "tco.facility_kw",
        "facility power per server",
        t.facility_kw,
        "kW",
        Basis::FirstPrinciples,
        "econ::tco",
        format!(
            "({} × {} W × {} + {} W) × PUE {}",
            tco_in.accelerators, tco_in.tdp_w, tco_in.utilisation, tco_in.server_overhead_w, tco_in.pue
        ),
        None,
    );
    money(
        b,
        "tco.energy_per_month_usd",
        "electricity a month",
        t.energy_per_month,
        format!(
            "{} kW × {} h × {} USD/kWh",
            e(t.facility_kw),
            e(HOURS_PER_MONTH),
            e(tco_in.electricity_per_kwh)
        ),
    );
    money(
        b,
        "tco.hosting_per_month_usd",
        "hosting a month",
        t.hosting_per_month,
        format!("{} kW × {} USD per kW-month", e(t.facility_kw), e(tco_in.hosting_per_kw_month)),
    );
    money(
        b,
        "tco.owned_per_month_usd",
        "owned server, all in, a month",
        t.owned_per_month,
        "capital + electricity + hosting".into(),
    );
    money(
        b,
        "tco.owned_per_gpu_hour_usd",
        "owned cost per accelerator-hour",
        t.owned_per_gpu_hour,
        format!("{} ÷ ({} × {} h)", e(t.owned_per_month), tco_in.accelerators, e(HOURS_PER_MONTH)),
    );
    cloud(b, &tco_in, &t);
    Ok((tco_in, t))
}

/// Renting the same accelerators, when a cloud price is known.
///
/// - `tco.cloud_on_demand_per_month_usd` = accelerators × USD per GPU-hour × hours a month.
/// - `tco.cloud_reserved_per_month_usd` = on demand × (1 − reserved discount).
/// - `tco.break_even_months` = price × (1 + network share) ÷ (on demand − electricity −
///   hosting); infinite when renting costs less than running an owned server.
fn cloud(b: &mut Builder<'_>, tco_in: &TcoInputs, t: &Tco) {
    let (Some(od), Some(rs)) = (t.cloud_on_demand_per_month, t.cloud_reserved_per_month) else { return };
    let money = |b: &mut Builder<'_>, key: &str, label: &str, v: f64, formula: String| {
        b.push(key, label, v, "USD", Basis::FirstPrinciples, "econ::tco", formula, None);
    };
    money(
        b,
        "tco.cloud_on_demand_per_month_usd",
        "the same accelerators rented on demand, a month",
        od,
        format!(
            "{} × {} USD/GPU-h × {} h",
            tco_in.accelerators,
            e(tco_in.cloud_per_gpu_hour.unwrap_or_default()),
            e(HOURS_PER_MONTH)
        ),
    );
    money(
        b,
        "tco.cloud_reserved_per_month_usd",
        "rented as reserved capacity, a month",
        rs,
        format!("{} × (1 − {})", e(od), tco_in.reserved_discount),
    );
    b.push(
        "tco.break_even_months",
        "months after which buying beats renting on demand",
        t.break_even_months.unwrap_or(f64::INFINITY),
        "months",
        Basis::FirstPrinciples,
        "econ::tco",
        format!(
            "{} × (1 + {}) ÷ ({} − {})",
            e(tco_in.server_price),
            tco_in.network_share,
            e(od),
            e(t.energy_per_month + t.hosting_per_month)
        ),
        t.break_even_months
            .is_none()
            .then(|| "renting costs less than running an owned server: never".to_string()),
    );
}

/// TCO inputs in USD: the scenario's costs, the catalog's server price (else its chip cost)
/// and cloud price.
pub(super) fn tco_inputs(s: &Scenario, c: &Costs, hw: &Hw<'_>, origin: &str) -> Result<TcoInputs, Error> {
    let rate = s.currency.rate();
    let usd = |m: &Money| units::convert(m.v, m.currency, Currency::Usd, rate);
    let server_price = match (&c.server_price, &hw.server.price) {
        (Some(a), _) => a.usd(rate),
        (None, Some(m)) => usd(m),
        (None, None) => {
            let cpu = hw.server.cpu.unit_price.as_ref().map(usd);
            let acc = hw.server.accelerator_unit_price.as_ref().or(hw.accelerator.price.as_ref()).map(usd);
            match (cpu, acc) {
                (Some(cpu), Some(acc)) => {
                    f64::from(hw.server.cpu.count) * cpu + f64::from(hw.server.accelerator_count) * acc
                }
                _ => {
                    return Err(Error::invalid(
                        origin,
                        "costs.server_price",
                        "(missing)",
                        format!("a price for {}: the catalog has none", hw.server.id),
                    ));
                }
            }
        }
    };
    Ok(TcoInputs {
        server_price,
        years: c.years,
        accelerators: f64::from(hw.server.accelerator_count),
        tdp_w: hw.accelerator.tdp_w.as_ref().map_or(0.0, |f| f.v),
        utilisation: c.utilisation,
        server_overhead_w: c.server_overhead_w,
        pue: c.pue,
        electricity_per_kwh: c.electricity_per_kwh.usd(rate),
        hosting_per_kw_month: c.hosting_per_kw_month.usd(rate),
        network_share: c.network_share,
        cloud_per_gpu_hour: c.cloud_per_gpu_hour.as_ref().map(|a| a.usd(rate)).or(hw
            .accelerator
            .cloud_usd_per_hour
            .as_ref()
            .map(|f| f.v)),
        reserved_discount: c.reserved_discount,
    })
}
