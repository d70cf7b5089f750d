//! `suanli validate`.

use suanli_core::Catalog;

use crate::cli::Output;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, set: &str, rows: bool, out: &Output) -> Result<(), CliError> {
    let format = super::format(out.format)?;
    if set == "bands" {
        let rep = suanli_core::published::report(catalog);
        let arch = |g: &str| catalog.accelerator(g).ok().and_then(|a| a.arch.clone());
        return io::emit(&suanli_core::uncertainty::bands_csv(&rep, &arch), out.output.as_deref());
    }
    if set == "published" {
        let rep = suanli_api::published_report(catalog);
        return io::emit(&suanli_report::render_published(&rep, rows, format)?, out.output.as_deref());
    }
    let req = suanli_api::json::ValidateRequest { set: Some(set.to_string()), rows };
    let r = suanli_api::json::validate(catalog, &req).map_err(|e| match e {
        suanli_api::ApiError::Input(i) => CliError::Input(i.message_with(|_| "SET".into())),
        other => other.into(),
    })?;
    let rows = rows || set != "all";
    io::emit(
        &suanli_report::render_validation(&r.answer, rows, super::format(out.format)?)?,
        out.output.as_deref(),
    )
}
