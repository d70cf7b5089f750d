//! Total cost of ownership of a server, and the rent-or-buy break-even.
//!
//! Owned, per month: `price × (1 + network share) ÷ (12 × years)` of capital, power
//! `(accelerators × TDP × utilisation + server overhead) × PUE × 730.5 h × price per kWh`, and
//! hosting `facility kW × price per kW-month`. Rented: `accelerators × price per GPU-hour ×
//! 730.5 h`, less a reserved-capacity discount. Break-even: the month from which owning has
//! cost less in total, `(price × (1 + network share)) ÷ (rent − running costs)`.

use serde::Serialize;

use crate::units::HOURS_PER_MONTH;

/// Inputs, all amounts in one currency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TcoInputs {
    /// Purchase price of one server.
    pub server_price: f64,
    /// Years over which it is amortised.
    pub years: f64,
    /// Accelerators in the server.
    pub accelerators: f64,
    /// TDP of one accelerator, W.
    pub tdp_w: f64,
    /// Average accelerator power as a fraction of TDP.
    pub utilisation: f64,
    /// Power of the rest of the server (CPUs, memory, fans, NICs), W.
    pub server_overhead_w: f64,
    /// Power usage effectiveness.
    pub pue: f64,
    /// Electricity, per kWh.
    pub electricity_per_kwh: f64,
    /// Hosting (space, cooling capacity), per kW of facility power per month.
    pub hosting_per_kw_month: f64,
    /// Network (switches, optics, cables) as a fraction of the server price.
    pub network_share: f64,
    /// Cloud price per accelerator-hour, on demand.
    pub cloud_per_gpu_hour: Option<f64>,
    /// Discount of reserved capacity on the on-demand price (0–1).
    pub reserved_discount: f64,
}

/// Monthly costs of one server.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tco {
    /// Capital (server + network) per month.
    pub capital_per_month: f64,
    /// Facility power, kW.
    pub facility_kw: f64,
    /// Electricity per month.
    pub energy_per_month: f64,
    /// Hosting per month.
    pub hosting_per_month: f64,
    /// Owned total per month.
    pub owned_per_month: f64,
    /// Owned cost per accelerator-hour.
    pub owned_per_gpu_hour: f64,
    /// Cloud on demand per month.
    pub cloud_on_demand_per_month: Option<f64>,
    /// Cloud reserved per month.
    pub cloud_reserved_per_month: Option<f64>,
    /// Months after which buying has cost less than renting on demand (none if never).
    pub break_even_months: Option<f64>,
}

/// Computes the TCO of one server.
#[must_use]
pub fn tco(t: &TcoInputs) -> Tco {
    let upfront = t.server_price * (1.0 + t.network_share);
    let capital = upfront / (12.0 * t.years);
    let it_kw = (t.accelerators * t.tdp_w * t.utilisation + t.server_overhead_w) / 1000.0;
    let facility_kw = it_kw * t.pue;
    let energy = facility_kw * HOURS_PER_MONTH * t.electricity_per_kwh;
    let hosting = facility_kw * t.hosting_per_kw_month;
    let owned = capital + energy + hosting;
    let cloud = t.cloud_per_gpu_hour.map(|p| p * t.accelerators * HOURS_PER_MONTH);
    let running = energy + hosting;
    let break_even = cloud.and_then(|c| if c > running { Some(upfront / (c - running)) } else { None });
    Tco {
        capital_per_month: capital,
        facility_kw,
        energy_per_month: energy,
        hosting_per_month: hosting,
        owned_per_month: owned,
        owned_per_gpu_hour: owned / (t.accelerators.max(1.0) * HOURS_PER_MONTH),
        cloud_on_demand_per_month: cloud,
        cloud_reserved_per_month: cloud.map(|c| c * (1.0 - t.reserved_discount)),
        break_even_months: break_even,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_worked_case() {
        // A 250,000 USD 8-GPU server over 4 years, 15 % network, 700 W GPUs at 75 %,
        // 2 kW of other load, PUE 1.25, 0.10 USD/kWh, 150 USD per kW-month, 2.50 USD/GPU-h.
        let t = tco(&TcoInputs {
            server_price: 250_000.0,
            years: 4.0,
            accelerators: 8.0,
            tdp_w: 700.0,
            utilisation: 0.75,
            server_overhead_w: 2000.0,
            pue: 1.25,
            electricity_per_kwh: 0.10,
            hosting_per_kw_month: 150.0,
            network_share: 0.15,
            cloud_per_gpu_hour: Some(2.5),
            reserved_discount: 0.4,
        });
        // Capital: 287,500 ÷ 48 = 5,989.58.
        assert!((t.capital_per_month - 5_989.583_333).abs() < 1e-3);
        // IT load 4.2 + 2.0 = 6.2 kW; facility 7.75 kW.
        assert!((t.facility_kw - 7.75).abs() < 1e-12);
        // Energy: 7.75 kW × 730.5 h × 0.10 = 566.1375; hosting 7.75 × 150 = 1,162.5.
        assert!((t.energy_per_month - 566.1375).abs() < 1e-9);
        assert!((t.hosting_per_month - 1162.5).abs() < 1e-9);
        assert!((t.owned_per_month - (5_989.583_333 + 566.1375 + 1162.5)).abs() < 1e-3);
        // Cloud: 8 × 2.50 × 730.5 = 14,610 a month; reserved 8,766.
        assert_eq!(t.cloud_on_demand_per_month, Some(14_610.0));
        assert!((t.cloud_reserved_per_month.unwrap_or_default() - 8766.0).abs() < 1e-9);
        // Break-even: 287,500 ÷ (14,610 − 1,728.6375) = 22.32 months.
        let be = t.break_even_months.unwrap_or_default();
        assert!((be - 287_500.0 / (14_610.0 - 1728.6375)).abs() < 1e-9 && (be - 22.32).abs() < 0.01, "{be}");
    }

    #[test]
    fn never_breaks_even_when_renting_is_cheaper_than_running() {
        let t = tco(&TcoInputs {
            server_price: 1.0,
            years: 1.0,
            accelerators: 1.0,
            tdp_w: 1000.0,
            utilisation: 1.0,
            server_overhead_w: 0.0,
            pue: 1.0,
            electricity_per_kwh: 1.0,
            hosting_per_kw_month: 0.0,
            network_share: 0.0,
            cloud_per_gpu_hour: Some(0.5),
            reserved_discount: 0.0,
        });
        assert_eq!(t.break_even_months, None);
    }
}
