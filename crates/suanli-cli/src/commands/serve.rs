//! `suanli serve` (fleet sizing) and `suanli simulate` (a fixed fleet).

use suanli_core::Catalog;

use crate::cli::{ServeArgs, SimulateArgs};
use crate::io::{self, CliError};

/// A trace file's text, its syntax checked here so errors name the file (the library checks
/// it again against the model's context).
fn trace_text(path: &std::path::Path) -> Result<String, CliError> {
    let text = io::read(path)?;
    suanli_sim::workload::parse_trace(&text, &path.display().to_string(), u32::MAX)?;
    Ok(text)
}

/// `--lengths FILE`: the trace's text travels in the request (`lengths_trace`).
fn lengths_file(lengths: &mut Option<String>, trace: &mut Option<String>) -> Result<(), CliError> {
    if let Some(path) = lengths.as_deref().filter(|l| *l != "sharegpt") {
        *trace = Some(trace_text(std::path::Path::new(path))?);
        *lengths = None;
    }
    Ok(())
}

pub(crate) fn run_serve(catalog: &Catalog, a: &ServeArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    io::model_ref(&mut catalog, &mut req.model)?;
    req.calibration = io::calibration(a.calibration.calibration.as_deref())?.or(req.calibration);
    lengths_file(&mut req.lengths, &mut req.lengths_trace)?;
    let format = super::any_format(a.out.format);
    let progress = io::Progress::start("sizing the fleet", 0, a.out.quiet);
    let reply = suanli_api::serve(&catalog, &req)?;
    drop(progress);
    super::deliver(reply, |d| suanli_report::render_serve(d, format), a.out.out_file.as_deref())
}

pub(crate) fn run_simulate(catalog: &Catalog, a: &SimulateArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    io::model_ref(&mut catalog, &mut req.model)?;
    req.calibration = io::calibration(a.calibration.calibration.as_deref())?.or(req.calibration);
    lengths_file(&mut req.lengths, &mut req.lengths_trace)?;
    if let Some(path) = &a.trace {
        req.trace = Some(trace_text(path)?);
    }
    let format = super::any_format(a.out.format);
    let progress = io::Progress::start(
        format!("simulating {} requests", req.requests.map_or_else(|| "10,000".into(), |n| n.to_string())),
        0,
        a.out.quiet,
    );
    let reply = suanli_api::simulate(&catalog, &req)?;
    drop(progress);
    super::deliver(reply, |d| suanli_report::render_sim(d, format), a.out.out_file.as_deref())
}
