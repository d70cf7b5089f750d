//! One module per subcommand.

pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod finetune;
pub(crate) mod flops;
pub(crate) mod infer;
pub(crate) mod plan;
pub(crate) mod serve;
pub(crate) mod sweep;
pub(crate) mod train;
pub(crate) mod validate;

use suanli_report::Format;

use crate::cli::FormatArg;
use crate::io::CliError;

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

/// A format for commands other than `plan`: HTML is the plan report's alone.
pub(crate) fn format(f: FormatArg) -> Result<Format, CliError> {
    if f == FormatArg::Html {
        return Err(CliError::Input(
            "--format html is for `suanli plan`; use table, json, markdown or csv".into(),
        ));
    }
    Ok(any_format(f))
}
