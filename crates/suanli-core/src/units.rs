//! Units and conversions.
//!
//! suanli keeps quantities as `f64` with the unit in the name (`flops`, `pf_days`, `usd`).
//! The conversions below are the only place where unit factors live.

/// FLOP in one PF/s-day: 10^15 FLOP/s × 86,400 s = 8.64 × 10^19 FLOP.
///
/// The unit of OpenAI's compute tables (Brown et al. 2020, Table D.1) and of the seed.
pub const FLOP_PER_PF_DAY: f64 = 1e15 * SECONDS_PER_DAY;

/// Seconds in a day.
pub const SECONDS_PER_DAY: f64 = 86_400.0;

/// Days in the average month used for monthly figures (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;

/// Hours in the average month (730.5 h).
pub const HOURS_PER_MONTH: f64 = DAYS_PER_MONTH * 24.0;

/// FLOP → PF/s-days.
#[must_use]
pub fn flop_to_pf_days(flop: f64) -> f64 {
    flop / FLOP_PER_PF_DAY
}

/// PF/s-days → FLOP.
#[must_use]
pub fn pf_days_to_flop(pf_days: f64) -> f64 {
    pf_days * FLOP_PER_PF_DAY
}

/// Sustained PF/s needed to do `pf_days` of work in `days` days: `pf_days / days`.
#[must_use]
pub fn pf_days_to_sustained_pflops(pf_days: f64, days: f64) -> f64 {
    pf_days / days
}

/// FLOP/s → EFLOPS (10^18 FLOP/s).
#[must_use]
pub fn flops_to_eflops(flops: f64) -> f64 {
    flops / 1e18
}

/// Accelerator-hours to do `flop` of work on chips sustaining `flops_per_gpu` FLOP/s each:
/// `flop / flops_per_gpu / 3600`.
#[must_use]
pub fn gpu_hours(flop: f64, flops_per_gpu: f64) -> f64 {
    flop / flops_per_gpu / 3600.0
}

/// A currency in which prices are written.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// US dollar.
    Usd,
    /// Chinese yuan (renminbi).
    Cny,
}

impl Currency {
    /// The ISO 4217 code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Cny => "CNY",
        }
    }
}

/// Converts an amount between USD and CNY with `cny_per_usd` (CNY for one USD).
#[must_use]
pub fn convert(amount: f64, from: Currency, to: Currency, cny_per_usd: f64) -> f64 {
    match (from, to) {
        (Currency::Usd, Currency::Cny) => amount * cny_per_usd,
        (Currency::Cny, Currency::Usd) => amount / cny_per_usd,
        _ => amount,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pf_day_is_8_64e19_flop() {
        assert_eq!(FLOP_PER_PF_DAY, 8.64e19);
        assert!((flop_to_pf_days(3.14e23) - 3634.26).abs() < 0.01);
        assert_eq!(pf_days_to_flop(1.0), 8.64e19);
    }

    #[test]
    fn currency_round_trip() {
        let cny = convert(100.0, Currency::Usd, Currency::Cny, 7.0);
        assert_eq!(cny, 700.0);
        assert_eq!(convert(cny, Currency::Cny, Currency::Usd, 7.0), 100.0);
        assert_eq!(convert(5.0, Currency::Usd, Currency::Usd, 7.0), 5.0);
    }
}
