//! `suanli audit FILE`: exits 1 when a claim does not follow from its values.

use std::path::Path;

use crate::cli::Output;
use crate::io::{self, CliError};

pub(crate) fn run(file: &Path, out: &Output) -> Result<(), CliError> {
    let origin = file.display().to_string();
    let reply = suanli_api::audit(&io::read(file)?, &origin)?;
    let a = &reply.answer;
    let text = suanli_report::render_audit(a.title.as_deref(), &a.results, super::format(out.format)?)?;
    io::emit(&text, out.output.as_deref())?;
    match a.flagged() {
        0 => Ok(()),
        n => Err(CliError::Infeasible(format!(
            "{n} of {} claims do not follow from their values",
            a.results.len()
        ))),
    }
}
