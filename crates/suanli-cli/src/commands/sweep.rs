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
    let progress = io::Progress::start("sweeping", sweep.shard_len(), a.out.quiet);
    // JSON Lines and CSV to stdout stream a row at a time; tables (aligned widths) and files
    // (written whole) need every row first.
    let streams = a.out.out_file.is_none()
        && matches!(format, suanli_report::Format::Json | suanli_report::Format::Csv);
    if streams {
        let mut header = sweep.k == 1;
        for row in sweep.rows(&catalog) {
            progress.tick();
            let text = suanli_report::render_sweep(std::slice::from_ref(&row), format, header)?;
            io::emit(&text, None)?;
            header = false;
        }
        return Ok(());
    }
    let rows: Vec<_> = sweep.rows(&catalog).inspect(|_| progress.tick()).collect();
    drop(progress);
    io::emit(&suanli_report::render_sweep(&rows, format, sweep.k == 1)?, a.out.out_file.as_deref())
}
