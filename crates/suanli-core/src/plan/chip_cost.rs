//! Server chip cost: what a server's CPUs and accelerators cost, at its fewest and most CPUs.

use super::{Basis, Builder, Ctx, e, to_cny};
use crate::analyst;
use crate::error::Error;

/// The chip-cost section.
///
/// `chip_cost.<server>.min|max` = CPUs × CPU price + accelerators × accelerator price, in CNY
/// (`max` alone when the server has one CPU count).
pub(super) fn section(cx: &Ctx<'_>, b: &mut Builder<'_>) -> Result<(), Error> {
    let Some(cc) = &cx.s.chip_cost else { return Ok(()) };
    let (catalog, origin, rate) = (cx.catalog, cx.origin, cx.rate);
    for (idx, id) in cc.servers.iter().enumerate() {
        let server = catalog.server(id)?;
        let cpu_price = server.cpu.unit_price.as_ref().ok_or_else(|| {
            Error::invalid(
                origin,
                format!("chip_cost.servers[{idx}]"),
                format!("\"{id}\""),
                "a server with cpu.unit_price in the catalog (add one with --catalog)",
            )
        })?;
        let cpu = to_cny(cpu_price, rate);
        let (acc_n, acc_price) = if server.accelerator_count == 0 {
            (0.0, 0.0)
        } else {
            let chip = server.accelerator.as_deref().map(|a| catalog.accelerator(a)).transpose()?;
            let price = server
                .accelerator_unit_price
                .as_ref()
                .or_else(|| chip.and_then(|c| c.price.as_ref()))
                .ok_or_else(|| {
                    Error::invalid(
                        origin,
                        format!("chip_cost.servers[{idx}]"),
                        format!("\"{id}\""),
                        "a server whose accelerator has a price in the catalog",
                    )
                })?;
            (f64::from(server.accelerator_count), to_cny(price, rate))
        };
        let counts: &[(&str, u32)] = if server.cpu.min_count == server.cpu.count {
            &[("max", server.cpu.count)]
        } else {
            &[("min", server.cpu.min_count), ("max", server.cpu.count)]
        };
        for &(suffix, cpus) in counts {
            let cpus = f64::from(cpus);
            b.push(
                format!("chip_cost.{}.{suffix}", server.id),
                format!("{} chip cost, {cpus} CPU{}", server.name, if cpus == 1.0 { "" } else { "s" }),
                analyst::server_chip_cost(cpus, cpu, acc_n, acc_price),
                "CNY",
                Basis::Analyst,
                "analyst::server_chip_cost",
                format!("{cpus} × {} CNY + {acc_n} × {} CNY", e(cpu), e(acc_price)),
                Some("chips only: memory, storage, chassis, NICs and margin are not counted".into()),
            );
        }
    }
    Ok(())
}
