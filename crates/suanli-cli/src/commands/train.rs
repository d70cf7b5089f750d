//! `suanli train`: the library's training plan with a progress bar and the search's wall time.

use std::io::{IsTerminal, Write};
use std::time::Instant;

use suanli_core::Catalog;

use crate::cli::TrainArgs;
use crate::io::{self, CliError};

fn progress_bar(enabled: bool) -> impl Fn(usize, usize) + Sync {
    move |done: usize, total: usize| {
        if enabled && (done == total || done % (total / 50).max(1) == 0) {
            let width = 30;
            let filled = done * width / total.max(1);
            let mut err = std::io::stderr().lock();
            let _ = write!(
                err,
                "\rsearching [{}{}] {done}/{total}",
                "#".repeat(filled),
                " ".repeat(width - filled)
            );
            if done == total {
                let _ = writeln!(err);
            }
        }
    }
}

pub(crate) fn run(catalog: &Catalog, a: &TrainArgs) -> Result<(), CliError> {
    let mut catalog = catalog.clone();
    let mut req = a.req.clone();
    io::model_ref(&mut catalog, &mut req.model)?;
    req.calibration = io::calibration(a.calibration.calibration.as_deref())?.or(req.calibration);
    let format = super::format(a.out.format)?;
    let started = Instant::now();
    let show = !a.quiet && std::io::stderr().is_terminal();
    let mut reply = suanli_api::train(&catalog, &req, &progress_bar(show))?;
    if let Some(s) = reply.answer.search.as_mut() {
        s.seconds = started.elapsed().as_secs_f64();
    }
    super::deliver(reply, |d| suanli_report::render_train(d, format), a.out.output.as_deref())
}
