//! Sensitivity: the monthly serving cost (planned fleet × owned server-month) with each input
//! moved by ± the scenario's `costs.sensitivity`, largest swing first.

use super::costs::tco_inputs;
use super::inference::serving_fleet;
use super::{Hw, Sensitivity, SensitivityRow};
use crate::catalog::Catalog;
use crate::econ::tco;
use crate::error::Error;
use crate::model::ModelSpec;
use crate::scenario::{Costs, Scenario};

/// The monthly serving cost (planned fleet × owned server-month), as a function of the
/// scenario, for the sensitivity analysis.
fn serving_cost(
    s: &Scenario,
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    c: &Costs,
    origin: &str,
) -> Result<Option<f64>, Error> {
    let Some(i) = &s.inference else { return Ok(None) };
    let (Some(input), Some(output)) = (i.input_tokens, i.output_tokens) else { return Ok(None) };
    let Some(f) = serving_fleet(spec, catalog, hw, s, input, output, i.monthly_interactions)? else {
        return Ok(None);
    };
    let t = tco(&tco_inputs(s, c, hw, origin)?);
    Ok(Some(f.servers as f64 * t.owned_per_month))
}

/// Moves each input by ± the scenario's sensitivity and recomputes the monthly serving cost.
pub(super) fn serving_sensitivity(
    s: &Scenario,
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    c: &Costs,
    origin: &str,
) -> Result<Option<Sensitivity>, Error> {
    let Some(base) = serving_cost(s, spec, catalog, hw, c, origin)? else { return Ok(None) };
    let x = c.sensitivity;
    type Edit = fn(&mut Scenario, f64);
    let edits: [(&str, Edit); 11] = [
        ("inference.monthly_interactions", |s, k| {
            if let Some(i) = &mut s.inference {
                i.monthly_interactions *= k
            }
        }),
        ("inference.input_tokens", |s, k| {
            if let Some(i) = &mut s.inference {
                i.input_tokens = i.input_tokens.map(|v| ((f64::from(v) * k).round() as u32).max(1))
            }
        }),
        ("inference.output_tokens", |s, k| {
            if let Some(i) = &mut s.inference {
                i.output_tokens = i.output_tokens.map(|v| ((f64::from(v) * k).round() as u32).max(1))
            }
        }),
        ("inference.peak_to_average", |s, k| {
            if let Some(i) = &mut s.inference {
                i.peak_to_average = (i.peak_to_average * k).max(1.0)
            }
        }),
        ("inference.tpot_p99_s", |s, k| {
            if let Some(i) = &mut s.inference {
                i.tpot_p99_s *= k
            }
        }),
        ("inference.ttft_p99_s", |s, k| {
            if let Some(i) = &mut s.inference {
                i.ttft_p99_s *= k
            }
        }),
        ("costs.server_price", |s, k| {
            if let Some(c) = &mut s.costs {
                if let Some(p) = &mut c.server_price {
                    p.amount *= k
                }
            }
        }),
        ("costs.electricity_per_kwh", |s, k| {
            if let Some(c) = &mut s.costs {
                c.electricity_per_kwh.amount *= k
            }
        }),
        ("costs.pue", |s, k| {
            if let Some(c) = &mut s.costs {
                c.pue = (c.pue * k).max(1.0)
            }
        }),
        ("costs.utilisation", |s, k| {
            if let Some(c) = &mut s.costs {
                c.utilisation = (c.utilisation * k).min(1.0)
            }
        }),
        ("costs.years", |s, k| {
            if let Some(c) = &mut s.costs {
                c.years *= k
            }
        }),
    ];
    let mut rows = Vec::new();
    for (name, edit) in edits {
        let at = |k: f64| -> Result<f64, Error> {
            let mut t = s.clone();
            edit(&mut t, k);
            let costs = t.costs.clone().unwrap_or_else(|| c.clone());
            Ok(serving_cost(&t, spec, catalog, hw, &costs, origin)?.unwrap_or(f64::NAN))
        };
        rows.push(SensitivityRow { input: name.to_string(), low: at(1.0 - x)?, high: at(1.0 + x)? });
    }
    let swing = |r: &SensitivityRow| (r.high - r.low).abs();
    rows.sort_by(|a, b| swing(b).total_cmp(&swing(a)).then(a.input.cmp(&b.input)));
    Ok(Some(Sensitivity {
        headline: "monthly serving cost, planned fleet".into(),
        unit: "USD".into(),
        base,
        change: x,
        rows,
    }))
}
