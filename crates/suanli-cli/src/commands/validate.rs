//! `suanli validate`.

use suanli_core::Catalog;
use suanli_core::validation::report;

use crate::cli::Output;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, rows: bool, out: &Output) -> Result<(), CliError> {
    let r = report(catalog);
    io::emit(&suanli_report::render_validation(&r, rows, super::format(out.format))?, out.output.as_deref())
}
