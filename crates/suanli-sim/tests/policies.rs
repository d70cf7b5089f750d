//! Serving policies: Orca's whole-prompt steps, priority classes, admission control and KV
//! offload to host memory — each shows its defining behaviour.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use common::{replica, workload};

use suanli_core::Catalog;
use suanli_core::infer::{Engine, Precisions};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::fleet::{ChipOption, FleetSpec, size};
use suanli_sim::policy::{Offload, host_link};
use suanli_sim::sim::{Scheduler, SimConfig, simulate};
use suanli_sim::tune::search_engine;
use suanli_sim::workload::{Arrivals, Lengths, assign_classes};

/// Orca batches whole prompts with the decodes, so a 4,000-token prompt lengthens the step of
/// every decoding sequence; chunked prefill with a 512-token budget bounds that step. Orca's
/// worst TPOT is therefore higher, and (no prompt waits behind a chunk) its median TTFT lower.
#[test]
fn orca_takes_whole_prompts_and_chunking_bounds_the_step() {
    let r = replica("llama3.1-8b", 1);
    let reqs = workload(3.0, 4000, 300).generate(3000, 4);
    let run =
        |scheduler| simulate(&reqs, &r, &SimConfig { scheduler, max_tokens: 512, ..SimConfig::default() });
    let (orca, chunked) = (run(Scheduler::Orca), run(Scheduler::Continuous));
    assert!(!orca.saturated && !chunked.saturated);
    assert!(orca.tpot_s.p99 > 1.2 * chunked.tpot_s.p99, "{} vs {}", orca.tpot_s.p99, chunked.tpot_s.p99);
    assert!(orca.ttft_s.p50 < chunked.ttft_s.p50, "{} vs {}", orca.ttft_s.p50, chunked.ttft_s.p50);
    // A whole prompt's step: at least the planner's 4,000-token prefill.
    let whole = r.step(0.0, 0.0, 4000.0, 2000.0, 1.0).total_s;
    assert!(orca.cdf.tpot_s.last().unwrap() * 299.0 >= whole);
    // Every request completes, and Little's law holds.
    assert_eq!(orca.series.completions.iter().sum::<u64>(), 3000);
    assert!((orca.littles_law_product - orca.mean_in_system).abs() < 1e-6 * orca.mean_in_system);
}

/// Near saturation the urgent class (20 % of requests) waits less: it is admitted first, so
/// its TTFT percentiles sit below the other class's, and goodput is reported per class
/// against each class's own targets.
#[test]
fn the_urgent_class_is_admitted_first() {
    let r = replica("llama3.1-8b", 1);
    let mut reqs = workload(7.0, 4000, 200).generate(4000, 9);
    assign_classes(&mut reqs, &[0.2, 0.8], 9);
    let share = reqs.iter().filter(|q| q.class == 0).count() as f64 / reqs.len() as f64;
    assert!((share - 0.2).abs() < 0.03, "{share}");
    let cfg = SimConfig {
        max_tokens: 2048,
        class_targets: [Some((1.0, 0.1)), Some((30.0, 0.5)), None, None],
        ..SimConfig::default()
    };
    let rep = simulate(&reqs, &r, &cfg);
    assert_eq!(rep.classes.len(), 2);
    let (urgent, rest) = (&rep.classes[0], &rep.classes[1]);
    assert_eq!(urgent.requests + rest.requests, reqs.len());
    assert!(urgent.ttft_s.p50 < rest.ttft_s.p50, "{} vs {}", urgent.ttft_s.p50, rest.ttft_s.p50);
    assert!(urgent.ttft_s.p99 < 0.5 * rest.ttft_s.p99, "{} vs {}", urgent.ttft_s.p99, rest.ttft_s.p99);
    assert_eq!(urgent.targets, Some((1.0, 0.1)));
    // Without classes nobody is favoured: the same requests, one class, give one TTFT between.
    let mut flat = reqs.clone();
    flat.iter_mut().for_each(|q| q.class = 0);
    let one = simulate(&flat, &r, &SimConfig { max_tokens: 2048, ..SimConfig::default() });
    assert!(one.classes.is_empty());
    assert!(urgent.ttft_s.mean < one.ttft_s.mean && one.ttft_s.mean < rest.ttft_s.mean * 1.05);
}

/// Offered twice what a replica carries, an unbounded queue grows without end; admission
/// control turns the excess away, keeps the admitted requests' TTFT bounded and counts the
/// rejected ones against goodput.
#[test]
fn admission_control_bounds_the_queue() {
    let r = replica("llama3.1-8b", 1);
    let reqs = workload(30.0, 4000, 200).generate(3000, 5);
    let open = simulate(&reqs, &r, &SimConfig { targets: Some((2.0, 0.1)), ..SimConfig::default() });
    assert!(open.saturated);
    let guarded =
        simulate(&reqs, &r, &SimConfig { targets: Some((2.0, 0.1)), max_queue: 8, ..SimConfig::default() });
    assert!(!guarded.saturated);
    assert!(guarded.rejected > 1000, "{}", guarded.rejected);
    assert_eq!(guarded.series.completions.iter().sum::<u64>() + guarded.rejected, 3000);
    assert!(guarded.ttft_s.p99 < 0.1 * open.ttft_s.p99, "{} vs {}", guarded.ttft_s.p99, open.ttft_s.p99);
    // Goodput's denominator holds the rejected requests.
    assert!(guarded.goodput < 0.6, "{}", guarded.goodput);
}

/// With a KV pool too small for the batch, preempted sequences are recomputed; with host
/// memory to swap into they are copied out and back instead — no recomputation, and the
/// copies cost what the host link says (a link 1,000 times slower makes the run slower).
#[test]
fn kv_offload_swaps_instead_of_recomputing() {
    let r = replica("llama3.1-70b", 4);
    let reqs = workload(4.0, 8000, 2000).generate(1500, 3);
    let per_token = r.memory.kv_bytes_per_token;
    let (link, _) = host_link("h100-sxm", Some("hopper"));
    let host = |tokens_per_s| Offload { host_tokens: 10_000_000, tokens_per_s };
    let base = simulate(&reqs, &r, &SimConfig::default());
    assert!(base.preemptions > 50, "{}", base.preemptions);
    let fast =
        simulate(&reqs, &r, &SimConfig { offload: Some(host(link / per_token)), ..SimConfig::default() });
    assert_eq!(fast.preemptions, 0);
    assert!(fast.swaps > 50);
    assert!(fast.e2e_s.mean <= base.e2e_s.mean, "{} vs {}", fast.e2e_s.mean, base.e2e_s.mean);
    let slow = simulate(
        &reqs,
        &r,
        &SimConfig { offload: Some(host(link / per_token / 1000.0)), ..SimConfig::default() },
    );
    assert!(slow.e2e_s.mean > fast.e2e_s.mean);
    // A host pool of one token holds nothing: every preemption recomputes again.
    let tiny = simulate(
        &reqs,
        &r,
        &SimConfig { offload: Some(Offload { host_tokens: 1, tokens_per_s: 1e9 }), ..SimConfig::default() },
    );
    assert_eq!(tiny.swaps, 0);
    assert_eq!(tiny.preemptions, base.preemptions);
}

/// `serve --search-engine`: long prompts under a tight TPOT target want a small prefill chunk
/// (the budget bounds every step a chunk rides in), so the knob search needs fewer replicas
/// than the default 8,192-token budget; it never needs more, and a relaxed target keeps the
/// default.
#[test]
fn the_engine_search_picks_a_small_chunk_for_long_prompts_and_a_tight_tpot() {
    let c = Catalog::builtin().unwrap();
    let p = Precisions::uniform(Precision::Bf16);
    let spec = |tpot: f64| FleetSpec {
        model: c.model("llama3.1-8b").unwrap().clone(),
        chips: vec![ChipOption {
            cluster: Cluster::new(&c, "h100-sxm", None, p.activations, &Calibration::default()).unwrap(),
            precision: p,
            tps: vec![1],
            pps: vec![1],
            eps: vec![1],
        }],
        peak_rate: 10.0,
        mean_rate: 10.0,
        lengths: Lengths::Fixed { input: 6000, output: 300 },
        arrivals: Arrivals::Poisson,
        ttft_p99: 3.0,
        tpot_p99: tpot,
        engine: Engine::default(),
        simulate: true,
        seed: 1,
        sim_requests: 4000,
        power_utilisation: 0.7,
        pue: 1.2,
        speculation: None,
    };
    let tight = spec(0.025);
    let plan = size(&tight).unwrap();
    let es = search_engine(&tight, &plan).unwrap();
    assert_eq!(es.grid.len(), 16);
    assert_eq!(es.default_replicas, plan.replicas);
    assert!(es.replicas < plan.replicas, "{} vs {}", es.replicas, plan.replicas);
    assert!(es.max_tokens <= 2048, "{}", es.max_tokens);
    assert!(es.grid.iter().all(|g| g.replicas.is_none_or(|n| n >= es.replicas)));
    let relaxed = spec(0.2);
    let plan = size(&relaxed).unwrap();
    let es = search_engine(&relaxed, &plan).unwrap();
    assert!(es.replicas <= plan.replicas);
    if es.replicas == plan.replicas {
        assert_eq!((es.max_batch, es.max_tokens), (2048, 8192), "a tie keeps the default engine");
    }
}
