//! `suanli infer`.

use suanli_core::Catalog;

use crate::cli::InferArgs;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, a: &InferArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    io::model_ref(&mut catalog, &mut req.model)?;
    req.calibration = io::calibration(a.calibration.calibration.as_deref())?.or(req.calibration);
    let format = super::format(a.out.format)?;
    let reply = suanli_api::infer(&catalog, &req)?;
    super::deliver(reply, |d| suanli_report::render_infer(d, format), a.out.out_file.as_deref())
}
