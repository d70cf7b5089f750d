//! One module per subcommand: resolve the command line's files into a typed request, call
//! the library, render, write.

pub(crate) mod audit;
pub(crate) mod calibration;
pub(crate) mod catalog;
pub(crate) mod finetune;
pub(crate) mod flops;
pub(crate) mod infer;
pub(crate) mod plan;
pub(crate) mod serve;
pub(crate) mod sweep;
pub(crate) mod train;
pub(crate) mod validate;

use std::path::Path;

use suanli_api::Reply;
use suanli_report::Format;

use crate::cli::FormatArg;
use crate::io::{self, CliError};

/// Any format (the plan report supports them all).
pub(crate) fn any_format(f: FormatArg) -> Format {
    match f {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
        FormatArg::Markdown => Format::Markdown,
        FormatArg::Csv => Format::Csv,
        FormatArg::Html => Format::Html,
    }
}

/// A format for commands that have no HTML page.
pub(crate) fn format(f: FormatArg) -> Result<Format, CliError> {
    if f == FormatArg::Html {
        return Err(CliError::Input(
            "`--format` = html: for plan, serve and simulate; use table, json, markdown or csv".into(),
        ));
    }
    Ok(any_format(f))
}

/// Writes a reply's rendered answer. An answer that is not a solution (a layout that does
/// not fit) is still shown on stdout, never written to the output file, and exits 1.
pub(crate) fn deliver<T>(
    reply: Reply<T>,
    render: impl FnOnce(&T) -> Result<String, serde_json::Error>,
    path: Option<&Path>,
) -> Result<(), CliError> {
    let text = render(&reply.answer)?;
    match reply.infeasible {
        None => io::emit(&text, path),
        Some(why) => {
            io::emit(&text, None)?;
            Err(CliError::Infeasible(why))
        }
    }
}
