//! `suanli audit FILE`.

use std::path::Path;

use suanli_core::econ::{audit, parse_claims};

use crate::cli::Output;
use crate::io::{self, CliError};

pub(crate) fn run(file: &Path, out: &Output) -> Result<(), CliError> {
    let origin = file.display().to_string();
    let claims = parse_claims(&io::read(file)?, &origin)?;
    let results = audit(&claims, &origin)?;
    let text = suanli_report::render_audit(claims.title.as_deref(), &results, super::format(out.format)?)?;
    io::emit(&text, out.output.as_deref())
}
