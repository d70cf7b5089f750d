//! `suanli validate`.

use suanli_core::Catalog;
use suanli_core::validation::report;

use crate::cli::Output;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, set: &str, rows: bool, out: &Output) -> Result<(), CliError> {
    let sets = ["all", "gpt3-compute", "published-params", "training", "inference"];
    if !sets.contains(&set) {
        return Err(suanli_core::Error::invalid(
            "command line",
            "SET",
            set,
            format!("one of {}", sets.join(", ")),
        )
        .into());
    }
    let mut r = report(catalog);
    if set != "all" {
        r.rows.retain(|x| x.set == set);
        r.summaries.retain(|x| x.set == set);
        r.pending.clear();
    }
    let rows = rows || set != "all";
    io::emit(&suanli_report::render_validation(&r, rows, super::format(out.format)?)?, out.output.as_deref())
}
