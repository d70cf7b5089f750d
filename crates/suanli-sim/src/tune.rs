//! Engine knobs for a sized fleet: `serve --simulate` searches the batch cap (TensorRT-LLM
//! `max_batch_size`, vLLM `max_num_seqs`) and the token budget a step (`max_num_tokens` /
//! `max_num_batched_tokens`, the chunk size of chunked prefill) on the chosen chip and layout.
//!
//! The two pull latency in opposite directions: a larger budget prefills prompts in fewer
//! steps (lower TTFT) but makes every step that carries a chunk longer (higher TPOT); a lower
//! batch cap bounds the decode step (TPOT) but queues requests (TTFT). Which setting lets the
//! fewest replicas meet both p99 targets depends on the workload, so each grid point is sized
//! by simulation — the fewest replicas whose simulated p99s are within the targets, found by
//! [`crate::fleet`]'s doubling-then-bisection search up to the default engine's count — and the cheapest wins (ties keep the default,
//! then the larger knobs).

use serde::Serialize;
use suanli_core::infer::{Engine, InferCalibration};

use crate::fleet::{FleetPlan, FleetSpec, fewest, passes, simulate_slice};
use crate::sim::SimReport;

/// Batch caps tried, largest first (a tie keeps the larger cap: less queueing under bursts).
pub const MAX_BATCHES: [u32; 4] = [2048, 1024, 256, 64];
/// Token budgets (chunk sizes) tried, largest first (a tie keeps the larger budget: lower TTFT).
pub const TOKEN_BUDGETS: [u32; 4] = [16384, 8192, 2048, 1024];

/// One grid point's sizing.
#[derive(Debug, Clone, Serialize)]
pub struct KnobRow {
    /// Sequences a step.
    pub max_batch: u32,
    /// Tokens a step.
    pub max_tokens: u32,
    /// Fewest replicas meeting the targets with these knobs, if any up to the default's count.
    pub replicas: Option<u64>,
}

/// The search's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct EngineSearch {
    /// The winning batch cap.
    pub max_batch: u32,
    /// The winning token budget.
    pub max_tokens: u32,
    /// Replicas with the winning knobs.
    pub replicas: u64,
    /// Replicas with the default engine (the sized plan's).
    pub default_replicas: u64,
    /// Every grid point.
    pub grid: Vec<KnobRow>,
    /// The winning knobs' simulation.
    #[serde(skip)]
    pub simulation: Option<SimReport>,
}

/// Searches the knob grid on `plan`'s chip and layout (`None` when the plan was not
/// simulated or its chip is not in `s`).
#[must_use]
pub fn search_engine(s: &FleetSpec, plan: &FleetPlan) -> Option<EngineSearch> {
    plan.simulation.as_ref()?;
    let chip = s.chips.iter().find(|c| c.cluster.accelerator == plan.gpu)?;
    let (mean_in, mean_out) = s.lengths.means();
    let (i, o) = (mean_in.round().max(1.0) as u32, mean_out.round().max(1.0) as u32);
    let reqs = s.peak_requests();
    let calib = InferCalibration::default();
    let mut grid = Vec::with_capacity(MAX_BATCHES.len() * TOKEN_BUDGETS.len());
    let mut best: Option<(u32, u32, u64, SimReport)> = None;
    for &max_batch in &MAX_BATCHES {
        for &max_tokens in &TOKEN_BUDGETS {
            let engine = Engine { max_batch, max_tokens, ..s.engine };
            let spec = FleetSpec { engine, ..s.clone() };
            let found = spec.replica(chip, &plan.config, i, o, &calib).and_then(|r| {
                // Fewest passing replicas up to the default's count, keeping that run's report.
                let mut best: Option<(u64, SimReport)> = None;
                let n = fewest(plan.replicas, &mut |n| {
                    let rep = simulate_slice(&spec, &reqs, &r, n);
                    let ok = passes(&rep, &spec);
                    if ok && best.as_ref().is_none_or(|b| n < b.0) {
                        best = Some((n, rep));
                    }
                    ok
                })?;
                best.filter(|b| b.0 == n)
            });
            grid.push(KnobRow { max_batch, max_tokens, replicas: found.as_ref().map(|f| f.0) });
            if let Some((n, rep)) = found {
                let is_default = max_batch == s.engine.max_batch && max_tokens == s.engine.max_tokens;
                let better = best.as_ref().is_none_or(|(_, _, bn, _)| n < *bn || (n == *bn && is_default));
                if better {
                    best = Some((max_batch, max_tokens, n, rep));
                }
            }
        }
    }
    let (max_batch, max_tokens, replicas, rep) = best?;
    Some(EngineSearch {
        max_batch,
        max_tokens,
        replicas,
        default_replicas: plan.replicas,
        grid,
        simulation: Some(rep),
    })
}
