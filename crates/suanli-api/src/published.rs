//! The published set with the simulator behind its MLPerf Server p99 rows: core predicts
//! means; the p99 TTFT and TPOT of a Server run come from simulating its fleet at the
//! published request rate (Poisson arrivals, the dataset's prompt lengths).

use suanli_core::Catalog;
use suanli_core::infer::Replica;
use suanli_core::published::{LengthPoint, PublishedReport, report_with};
use suanli_sim::sim::{SimConfig, try_simulate};
use suanli_sim::workload::{Arrivals, Lengths, WorkloadSpec};

/// Requests simulated per Server row (the first 10 % are warm-up).
pub const P99_REQUESTS: usize = 4_000;

/// p99 TTFT and TPOT of `replicas` copies of `rep` at `rate` requests/s.
fn p99(
    rep: &Replica,
    replicas: u32,
    rate: f64,
    points: &[LengthPoint],
    output: u32,
) -> Option<(f64, f64, String)> {
    let mut pairs = Vec::new();
    for p in points {
        let n = (p.weight * 100.0).round().max(1.0) as usize;
        pairs.extend(std::iter::repeat_n((p.input, output), n));
    }
    let w = WorkloadSpec {
        rate,
        arrivals: Arrivals::Poisson,
        lengths: Lengths::Empirical(pairs),
        turns: 1,
        think_s: 1.0,
        daily: None,
        max_context: u32::MAX,
    };
    w.check("published").ok()?;
    let reqs = w.generate(P99_REQUESTS, 1);
    let cfg = SimConfig { replicas, ..SimConfig::default() };
    let r = try_simulate(&reqs, rep, &cfg).ok()?;
    let how = format!(
        "simulated: {P99_REQUESTS} Poisson requests at {rate} requests/s over {replicas} replica(s){}",
        if r.saturated { ", saturated" } else { "" }
    );
    Some((r.ttft_s.p99, r.tpot_s.p99, how))
}

/// Every published row, the Server p99 latencies simulated.
#[must_use]
pub fn published_report(catalog: &Catalog) -> PublishedReport {
    report_with(catalog, Some(&p99))
}
