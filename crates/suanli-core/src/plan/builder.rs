//! The shared machinery of the sections: [`Builder`] collects figures (dropping those of a
//! method the scenario leaves out), [`display`] and [`e`] format numbers, [`to_cny`] converts
//! prices, [`day_key`] names a deadline in a figure key.

use super::{Basis, ReportFigure, Section};
use crate::scenario::{Method, Scenario};
use crate::sigfig;
use crate::sourced::Money;
use crate::units::{self, Currency};

/// The figures of the section being built.
pub(super) struct Builder<'a> {
    scenario: &'a Scenario,
    figures: Vec<ReportFigure>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(scenario: &'a Scenario) -> Builder<'a> {
        Builder { scenario, figures: Vec::new() }
    }

    /// Adds a figure unless its basis belongs to a method the scenario leaves out; returns
    /// the value when the figure is reported, so later sections use exactly what was shown.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn push(
        &mut self,
        key: impl Into<String>,
        label: impl Into<String>,
        value: f64,
        unit: &str,
        basis: Basis,
        method: &str,
        formula: impl Into<String>,
        caveat: Option<String>,
    ) -> Option<f64> {
        let wanted = match basis {
            Basis::Analyst => self.scenario.wants(Method::Analyst),
            Basis::FirstPrinciples | Basis::Assumption => self.scenario.wants(Method::FirstPrinciples),
            Basis::Data | Basis::Catalog => true,
        };
        if !wanted {
            return None;
        }
        let display = display(value, unit, self.scenario.currency.rate());
        self.figures.push(ReportFigure {
            key: key.into(),
            label: label.into(),
            value,
            unit: unit.to_string(),
            display,
            basis,
            method: method.to_string(),
            formula: formula.into(),
            caveat,
            refs: Vec::new(),
            uncertainty: None,
        });
        Some(value)
    }

    /// Closes the section: its figures become `out`'s next section (none if it has none).
    pub(super) fn take(&mut self, id: &str, title: &str, out: &mut Vec<Section>) {
        let figures = std::mem::take(&mut self.figures);
        if !figures.is_empty() {
            out.push(Section { id: id.to_string(), title: title.to_string(), figures });
        }
    }
}

/// Formats a value with its unit; money gets its conversion.
pub(super) fn display(value: f64, unit: &str, cny_per_usd: f64) -> String {
    match unit {
        "fraction" => sigfig::percent(value),
        "USD" => format!(
            "{} USD ({} CNY)",
            sigfig::human(value),
            sigfig::human(units::convert(value, Currency::Usd, Currency::Cny, cny_per_usd))
        ),
        "CNY" => format!(
            "{} CNY ({} USD)",
            sigfig::human(value),
            sigfig::human(units::convert(value, Currency::Cny, Currency::Usd, cny_per_usd))
        ),
        "" => sigfig::human(value),
        u => format!("{} {u}", sigfig::human(value)),
    }
}

/// A number inside a formula: grouped digits below a billion, `1.746e11` above.
pub(super) fn e(v: f64) -> String {
    if v.abs() >= 1e9 { format!("{:e}", sigfig::round_sig(v, 4)) } else { sigfig::human(v) }
}

/// Converts a catalog price to CNY.
pub(super) fn to_cny(m: &Money, cny_per_usd: f64) -> f64 {
    units::convert(m.v, m.currency, Currency::Cny, cny_per_usd)
}

/// A deadline in a figure key: `3d`, `2.5d`.
pub(super) fn day_key(d: f64) -> String {
    if d.fract() == 0.0 { format!("{d:.0}d") } else { format!("{d}d") }
}

impl Builder<'_> {
    /// Gives the figure just pushed under `key` the likely range of a planner's time-like figure
    /// (servers, GPU-hours, days scale with the true ÷ predicted throughput) for `workload` on
    /// the chip generation `arch`.
    pub(crate) fn band_time_like(&mut self, key: &str, workload: &str, arch: Option<&str>) {
        let Some(band) = crate::uncertainty::band(workload, arch) else { return };
        if let Some(f) = self.figures.last_mut().filter(|f| f.key == key) {
            let (low, high) = band.time(f.value);
            f.uncertainty = Some(super::report::FigureBand { low, high, basis: band.basis() });
        }
    }
}
