//! `suanli flops`.

use suanli_core::Catalog;

use crate::cli::FlopsArgs;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, a: &FlopsArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    io::model_ref(&mut catalog, &mut req.model)?;
    let format = super::format(a.out.format)?;
    let reply = suanli_api::flops(&catalog, &req)?;
    super::deliver(reply, |d| suanli_report::render_arithmetic(d, format), a.out.output.as_deref())
}
