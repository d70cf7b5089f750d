//! `suanli finetune`.

use suanli_core::Catalog;

use crate::cli::FinetuneArgs;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, a: &FinetuneArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    io::model_ref(&mut catalog, &mut req.model)?;
    req.calibration = io::calibration(a.calibration.calibration.as_deref())?.or(req.calibration);
    let format = super::format(a.out.format)?;
    let reply = suanli_api::finetune(&catalog, &req)?;
    super::deliver(reply, |d| suanli_report::render_finetune(d, format), a.out.output.as_deref())
}
