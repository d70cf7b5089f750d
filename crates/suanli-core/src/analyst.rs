//! Analyst methods: the closed-form, top-down formulas of brokerage-style compute estimates.
//!
//! Each is a named function so a report can say which one produced a figure. They reproduce the
//! seed's arithmetic (see `shared/seed/CLAIMS.md`); where a method is physically weak the doc
//! says why and the plan prints a first-principles figure beside it.

use crate::units::FLOP_PER_PF_DAY;

/// Pre-training compute by `6·N·D`, in PF/s-days (Kaplan et al. 2020; seed S2).
///
/// Ignores attention FLOPs (a few percent at 2K context, much more at long context) and any
/// recomputation.
#[must_use]
pub fn pretraining_pf_days_6nd(params: f64, tokens: f64) -> f64 {
    6.0 * params * tokens / FLOP_PER_PF_DAY
}

/// Monthly operating compute bill: `interactions × cost per interaction` (seed S4).
#[must_use]
pub fn monthly_operating_cost(interactions: f64, cost_per_interaction: f64) -> f64 {
    interactions * cost_per_interaction
}

/// Inference compute by cost equivalence: `monthly bill ÷ (training cost ÷ training PF/s-days)`
/// (seed S5).
///
/// Assumes a PF/s-day costs the same in serving as in training. It does not: decode is
/// memory-bandwidth bound and runs at a small fraction of the utilisation of training, so a
/// dollar buys fewer useful FLOP in serving; the method overstates the FLOP served and
/// understates the hardware needed for it.
#[must_use]
pub fn inference_pf_days_by_cost_equivalence(
    monthly_cost: f64,
    training_run_cost: f64,
    training_run_pf_days: f64,
) -> f64 {
    monthly_cost / (training_run_cost / training_run_pf_days)
}

/// Fine-tuning compute by workload share: the training share of all compute, minus the
/// pre-training runs, given the inference compute (seed S6):
/// `inference × training_share ÷ inference_share − pretraining × runs`.
///
/// Borrows a whole country's server-workload split (IDC) for one model's operator.
#[must_use]
pub fn finetune_pf_days_by_workload_share(
    inference_pf_days: f64,
    training_share: f64,
    inference_share: f64,
    pretraining_pf_days: f64,
    pretraining_runs: f64,
) -> f64 {
    inference_pf_days * training_share / inference_share - pretraining_pf_days * pretraining_runs
}

/// Servers to do `pf_days` of work in `days` days at `server_pflops` peak per server and a
/// utilisation (1.0 = the analyst's 100 %): `pf_days ÷ (days × server_pflops × utilisation)`.
///
/// Unrounded: a caller rounds up for a count that suffices (the seed rounds to nearest).
#[must_use]
pub fn servers_at_peak(pf_days: f64, days: f64, server_pflops: f64, utilisation: f64) -> f64 {
    pf_days / (days * server_pflops * utilisation)
}

/// Days `servers` take to do `pf_days` of work: the inverse of [`servers_at_peak`].
#[must_use]
pub fn days_at_peak(pf_days: f64, servers: f64, server_pflops: f64, utilisation: f64) -> f64 {
    pf_days / (servers * server_pflops * utilisation)
}

/// Chip cost of a server: `cpus × cpu price + accelerators × accelerator price` (seed S7, S8).
#[must_use]
pub fn server_chip_cost(cpus: f64, cpu_price: f64, accelerators: f64, accelerator_price: f64) -> f64 {
    cpus * cpu_price + accelerators * accelerator_price
}

/// Growth from one value to the next: `to ÷ from − 1` (seed S10).
#[must_use]
pub fn growth(from: f64, to: f64) -> f64 {
    to / from - 1.0
}

/// Compound annual growth rate: `(to ÷ from)^(1/years) − 1` (seed S11).
#[must_use]
pub fn cagr(from: f64, to: f64, years: f64) -> f64 {
    (to / from).powf(1.0 / years) - 1.0
}

/// A value compounded forward: `from × (1 + rate)^years`.
#[must_use]
pub fn compound(from: f64, rate: f64, years: f64) -> f64 {
    from * (1.0 + rate).powf(years)
}

/// Cost of a lesson-hour of AI tutoring: `interactions per hour × cost per interaction`
/// (seed S14, with the interaction rate an input).
#[must_use]
pub fn tutoring_cost_per_hour(interactions_per_hour: f64, cost_per_interaction: f64) -> f64 {
    interactions_per_hour * cost_per_interaction
}

/// Whole units a budget buys: `floor(budget ÷ unit cost)` (seed S13).
#[must_use]
pub fn units_affordable(budget: f64, unit_cost: f64) -> f64 {
    (budget / unit_cost).floor()
}

/// Interactions a day that `pflops` of sustained compute serves at `pf_days_per_interaction`
/// each: `pflops ÷ pf_days_per_interaction` (one PF/s for a day is one PF/s-day).
#[must_use]
pub fn interactions_per_day(pflops: f64, pf_days_per_interaction: f64) -> f64 {
    pflops / pf_days_per_interaction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_arithmetic() {
        assert!((pretraining_pf_days_6nd(174.6e9, 300e9) - 3637.5).abs() < 1e-9);
        assert!((inference_pf_days_by_cost_equivalence(8.89e6, 4.6e6, 3640.0) - 7034.696).abs() < 1e-3);
        assert!(
            (finetune_pf_days_by_workload_share(7034.696, 41.5, 58.5, 3640.0, 1.0) - 1350.43).abs() < 1e-2
        );
        assert!((servers_at_peak(3640.0, 3.0, 4.992, 1.0) - 243.05).abs() < 1e-2);
        assert_eq!(server_chip_cost(2.0, 64_000.0, 8.0, 104_000.0), 960_000.0);
        assert!((growth(155.2, 268.0) - 0.7268).abs() < 1e-4);
        assert!((cagr(268.0, 1271.4, 4.0) - 0.4759).abs() < 1e-4);
        assert!((compound(268.0, cagr(268.0, 1271.4, 4.0), 4.0) - 1271.4).abs() < 1e-9);
        assert_eq!(units_affordable(10.0e6, 960_000.0), 10.0);
        assert!((days_at_peak(3640.0, 243.0, 4.992, 1.0) - 3.0006).abs() < 1e-3);
    }
}
