//! `suanli plan [FILE]`.

use std::path::Path;

use suanli_core::Catalog;
use suanli_core::plan::plan;
use suanli_core::scenario::{CHATGPT_2023, Scenario};

use crate::cli::Output;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, file: Option<&Path>, out: &Output) -> Result<(), CliError> {
    let (text, origin) = match file {
        Some(p) => (io::read(p)?, p.display().to_string()),
        None => (CHATGPT_2023.to_string(), "examples/chatgpt-2023.toml (built in)".to_string()),
    };
    let scenario = Scenario::from_toml(&text, &origin)?;
    let report = plan(&scenario, catalog, &origin)?;
    let rendered = suanli_report::render_plan(&report, super::format(out.format))?;
    io::emit(&rendered, out.output.as_deref())
}
