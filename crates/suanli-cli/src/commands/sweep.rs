//! `suanli sweep`: every model × chip × lengths combination's best serving layout.

use suanli_core::Catalog;

use crate::cli::SweepArgs;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, a: &SweepArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    for m in &mut req.model {
        let mut r = Some(m.clone());
        io::model_ref(&mut catalog, &mut r)?;
        *m = r.unwrap_or_default();
    }
    let format = super::format(a.out.format)?;
    let sweep = suanli_api::sweep(&catalog, &req)?;
    let rows: Vec<_> = sweep.rows(&catalog).collect();
    io::emit(&suanli_report::render_sweep(&rows, format, sweep.k == 1)?, a.out.out_file.as_deref())
}
