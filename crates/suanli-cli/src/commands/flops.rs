//! `suanli flops --model M`.

use suanli_core::model::arithmetic;
use suanli_core::{Catalog, Error};

use crate::cli::Output;
use crate::io::{self, CliError};

fn positive(key: &str, v: Option<f64>, max: f64) -> Result<(), CliError> {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0 && x <= max) => {
            Err(Error::invalid("command line", key, x, format!("a positive number up to {max:e}")).into())
        }
        _ => Ok(()),
    }
}

pub(crate) fn run(
    catalog: &Catalog,
    model: &str,
    tokens: Option<f64>,
    seq_len: Option<f64>,
    out: &Output,
) -> Result<(), CliError> {
    positive("--tokens", tokens, 1e16)?;
    positive("--seq-len", seq_len, 1e8)?;
    let spec = io::model(catalog, model)?;
    let a = arithmetic(&spec, seq_len.unwrap_or(f64::from(spec.max_context)), tokens);
    io::emit(&suanli_report::render_arithmetic(&a, super::format(out.format)?)?, out.output.as_deref())
}
