//! One module per subcommand.

pub(crate) mod catalog;
pub(crate) mod finetune;
pub(crate) mod flops;
pub(crate) mod infer;
pub(crate) mod plan;
pub(crate) mod serve;
pub(crate) mod train;
pub(crate) mod validate;

use suanli_report::Format;

use crate::cli::FormatArg;

pub(crate) fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Table => Format::Table,
        FormatArg::Json => Format::Json,
        FormatArg::Markdown => Format::Markdown,
    }
}
