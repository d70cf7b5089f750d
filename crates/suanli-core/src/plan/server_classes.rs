//! Server classes: the accelerators of each server the scenario names, from the catalog.

use super::{Basis, Builder, Ctx};
use crate::error::Error;

/// The server-classes section: `servers.<id>.accelerators`, the catalog's accelerator count.
pub(super) fn section(cx: &Ctx<'_>, b: &mut Builder<'_>) -> Result<(), Error> {
    let Some(sc) = &cx.s.server_classes else { return Ok(()) };
    for id in &sc.servers {
        let server = cx.catalog.server(id)?;
        b.push(
            format!("servers.{}.accelerators", server.id),
            format!(
                "{} — {} — {}",
                server.name,
                server.role.label(),
                server.accelerator.as_deref().unwrap_or("accelerator not catalogued")
            ),
            f64::from(server.accelerator_count),
            "accelerators",
            Basis::Catalog,
            "catalog",
            format!("catalog entry {} (source: {})", server.id, server.src),
            None,
        );
    }
    Ok(())
}
