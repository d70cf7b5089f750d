//! The published set with the simulator behind its MLPerf Server latency rows: each Server
//! row's fleet simulated at the published request rate (Poisson arrivals, as loadgen issues
//! them; prompts drawn from the dataset's distribution; the submission's engine), its mean and
//! p99 TTFT and TPOT measured as loadgen measures them.

use suanli_core::Catalog;
use suanli_core::published::{PublishedReport, ServerLatency, ServerRun, report_with};
use suanli_sim::sim::{KvPolicy, Scheduler, SimConfig, try_simulate};
use suanli_sim::workload::{Arrivals, Lengths, WorkloadSpec};

/// Requests simulated per replica of a Server row (the first 10 % are warm-up), at least
/// [`P99_REQUESTS`] in all: a p99 over a few thousand samples per replica.
pub(crate) const REQUESTS_PER_REPLICA: usize = 3_000;

/// Fewest requests simulated per Server row.
pub const P99_REQUESTS: usize = 8_000;

/// Most requests simulated per Server row (a 16-replica system).
pub(crate) const MAX_SERVER_REQUESTS: usize = 48_000;

/// The latencies of one Server run, simulated.
fn simulate_server(run: &ServerRun<'_>) -> Option<ServerLatency> {
    let pairs: Vec<(u32, u32)> = run.prompts.iter().map(|&p| (p, run.output)).collect();
    let w = WorkloadSpec {
        rate: run.rate,
        arrivals: Arrivals::Poisson,
        lengths: Lengths::Empirical(pairs),
        turns: 1,
        think_s: 1.0,
        daily: None,
        max_context: u32::MAX,
    };
    w.check("published").ok()?;
    let n = (REQUESTS_PER_REPLICA * run.replicas as usize).clamp(P99_REQUESTS, MAX_SERVER_REQUESTS);
    let reqs = w.generate(n, 1);
    let e = run.engine;
    let cfg = SimConfig {
        replicas: run.replicas,
        scheduler: if e.prefill_first { Scheduler::PrefillFirst } else { Scheduler::Continuous },
        kv_policy: KvPolicy::Paged,
        max_batch: e.max_batch.unwrap_or(SimConfig::default().max_batch),
        max_tokens: e.max_tokens,
        chunked_prefill: e.chunked_prefill,
        ..SimConfig::default()
    };
    let r = try_simulate(&reqs, run.replica, &cfg).ok()?;
    let note = format!(
        "simulated: {n} Poisson requests at {} requests/s over {} replica(s), mean {:.0} in flight per replica{}",
        run.rate,
        run.replicas,
        r.mean_in_system / f64::from(run.replicas.max(1)),
        if r.saturated { ", saturated" } else { "" }
    );
    Some(ServerLatency {
        ttft_mean: r.ttft_s.mean,
        ttft_p99: r.ttft_s.p99,
        tpot_mean: r.tpot_s.mean,
        tpot_p99: r.tpot_s.p99,
        note,
    })
}

/// Every published row, the Server latencies simulated.
#[must_use]
pub fn published_report(catalog: &Catalog) -> PublishedReport {
    report_with(catalog, Some(&simulate_server))
}
