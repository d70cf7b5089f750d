//! The simulator against queueing theory and against the inference planner.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use common::{replica, workload};

use suanli_core::Catalog;
use suanli_core::infer::{Engine, InferCalibration, Mode, Precisions, Replica, evaluate};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::engine::FixedStep;
use suanli_sim::sim::{KvPolicy, Router, Scheduler, SimConfig, simulate};
use suanli_sim::workload::{Arrivals, WorkloadSpec};

#[test]
fn batch_one_fixed_service_matches_md1() {
    // One token of prompt, ten of output: ten steps of 10 ms, so D = 0.1 s. ρ = 0.7.
    let step = FixedStep { seconds: 0.01, kv_tokens: 1 << 30 };
    let d = 0.1;
    let rate = 7.0;
    let reqs = workload(rate, 1, 10).generate(300_000, 11);
    let cfg = SimConfig { max_batch: 1, ..SimConfig::default() };
    let r = simulate(&reqs, &step, &cfg);
    let rho = rate * d;
    let wq = rho * d / (2.0 * (1.0 - rho)); // Pollaczek–Khinchine for M/D/1
    assert!((r.queue_s.mean - wq).abs() / wq < 0.02, "simulated {:.5} vs {wq:.5}", r.queue_s.mean);
    assert!((r.e2e_s.mean - (wq + d)).abs() / (wq + d) < 0.02);
    assert!(!r.saturated);
}

#[test]
fn littles_law_holds_on_every_run() {
    let model = replica("llama3.1-8b", 1);
    for (rate, router, sched, kv) in [
        (20.0, Router::RoundRobin, Scheduler::Continuous, KvPolicy::Paged),
        (60.0, Router::LeastOutstanding, Scheduler::Continuous, KvPolicy::Reserve),
        (10.0, Router::PrefixAffinity, Scheduler::Static, KvPolicy::Paged),
    ] {
        let mut w = workload(rate, 800, 200);
        w.turns = 3;
        w.think_s = 5.0;
        let reqs = w.generate(20_000, 5);
        let cfg = SimConfig { replicas: 2, router, scheduler: sched, kv_policy: kv, ..SimConfig::default() };
        let r = simulate(&reqs, &model, &cfg);
        let (l, lw) = (r.mean_in_system, r.littles_law_product);
        assert!((l - lw).abs() / lw < 1e-6, "{router:?} {sched:?}: L = {l}, λW = {lw}");
    }
}

#[test]
fn low_load_equals_the_planner() {
    let model = replica("llama3.1-70b", 4);
    let reqs = workload(0.0005, 1000, 500).generate(200, 9);
    let r = simulate(&reqs, &model, &SimConfig::default());
    let p = evaluate(&model, 1000, 500, Mode::Concurrency(1));
    assert!((r.ttft_s.mean - p.ttft_s).abs() / p.ttft_s < 0.02, "TTFT {} vs {}", r.ttft_s.mean, p.ttft_s);
    assert!((r.tpot_s.mean - p.tpot_s).abs() / p.tpot_s < 0.02, "TPOT {} vs {}", r.tpot_s.mean, p.tpot_s);
}

#[test]
fn tails_grow_with_load_and_saturation_is_reported() {
    let model = replica("llama3.1-8b", 1);
    let cap = evaluate(&model, 1000, 300, Mode::MaxLoad).output_tokens_per_s / 300.0;
    let mut last = 0.0;
    for frac in [0.2, 0.5, 0.8] {
        let reqs = workload(cap * frac, 1000, 300).generate(20_000, 1);
        let r = simulate(&reqs, &model, &SimConfig::default());
        assert!(!r.saturated, "{frac}");
        assert!(r.ttft_s.p99 >= last, "{frac}");
        last = r.ttft_s.p99;
    }
    let reqs = workload(cap * 1.5, 1000, 300).generate(20_000, 1);
    let r = simulate(&reqs, &model, &SimConfig::default());
    assert!(r.saturated, "150 % of capacity must saturate");
}

#[test]
fn deterministic_for_a_seed_and_kv_pressure_preempts() {
    let model = replica("llama3.1-70b", 2);
    let reqs = workload(30.0, 4000, 2000).generate(3000, 2);
    let a = simulate(&reqs, &model, &SimConfig::default());
    let b = simulate(&reqs, &model, &SimConfig::default());
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert!(a.preemptions > 0, "long requests at high load run out of KV blocks");
    let reserve =
        simulate(&reqs, &model, &SimConfig { kv_policy: KvPolicy::Reserve, ..SimConfig::default() });
    assert_eq!(reserve.preemptions, 0);
}

#[test]
fn sized_fleet_meets_targets_under_other_seeds() {
    use suanli_sim::fleet::{ChipOption, FleetSpec, size};
    let c = Catalog::builtin().unwrap();
    let spec = c.model("llama3.1-8b").unwrap().clone();
    let p = Precisions::uniform(Precision::Bf16);
    let chips = ["h100-sxm", "a100-sxm-80gb"]
        .iter()
        .map(|g| ChipOption {
            cluster: Cluster::new(&c, g, None, p.activations, &Calibration::default()).unwrap(),
            precision: p,
            tps: vec![1, 2],
            pps: vec![1],
            eps: vec![1],
        })
        .collect();
    let fleet = FleetSpec {
        model: spec,
        chips,
        peak_rate: 40.0,
        mean_rate: 20.0,
        lengths: suanli_sim::workload::Lengths::SHAREGPT,
        arrivals: Arrivals::Poisson,
        ttft_p99: 1.0,
        tpot_p99: 0.03,
        engine: Engine::default(),
        simulate: true,
        seed: 1,
        sim_requests: 8000,
        power_utilisation: 0.7,
        pue: 1.2,
        speculation: None,
    };
    let started = std::time::Instant::now();
    let plan = size(&fleet).expect("a fleet meets the targets");
    assert_eq!(plan.method, "simulated");
    assert!(plan.ttft_s.p99 <= 1.0 && plan.tpot_s.p99 <= 0.03);
    let replica = {
        let chip = fleet.chips.iter().find(|ch| ch.cluster.accelerator == plan.gpu).unwrap();
        Replica::new(
            &fleet.model,
            &chip.cluster,
            &plan.config,
            &Engine::default(),
            &InferCalibration::default(),
        )
    };
    let w = WorkloadSpec { lengths: suanli_sim::workload::Lengths::SHAREGPT, ..workload(40.0, 1, 1) };
    for seed in [2, 3, 4] {
        let reqs = w.generate(8000, seed);
        let r =
            simulate(&reqs, &replica, &SimConfig { replicas: plan.replicas as u32, ..SimConfig::default() });
        assert!(
            !r.saturated && r.ttft_s.p99 <= 1.0 && r.tpot_s.p99 <= 0.03,
            "seed {seed}: {:?} {:?}",
            r.ttft_s,
            r.tpot_s
        );
    }
    // The analytic bound is never above what the simulation needed by more than its headroom.
    assert!(plan.candidates.iter().any(|c| c.gpu == plan.gpu));
    let _ = started;
}

#[test]
fn disaggregated_at_low_load_adds_only_the_transfer() {
    use suanli_sim::disagg::simulate_disaggregated;
    let r = replica("llama3.1-8b", 1);
    let reqs = workload(0.2, 1000, 101).generate(400, 5);
    let colocated = simulate(&reqs, &r, &SimConfig::default());
    let one = SimConfig { replicas: 1, ..SimConfig::default() };
    let instant = simulate_disaggregated(&reqs, &r, &r, &one, &one, &|_| 0.0);
    let rel = |a: f64, b: f64| (a - b).abs() / b;
    // Alone in the system (the median request; some overlap another at 0.2 requests/s), a
    // request's prefill and decode steps are the same in both setups.
    assert!(
        rel(instant.combined.ttft_s.p50, colocated.ttft_s.p50) < 0.01,
        "{:?} vs {:?}",
        instant.combined.ttft_s,
        colocated.ttft_s
    );
    assert!(
        rel(instant.combined.tpot_s.p50, colocated.tpot_s.p50) < 0.02,
        "{:?} vs {:?}",
        instant.combined.tpot_s,
        colocated.tpot_s
    );
    assert_eq!(instant.decode.requests, reqs.len(), "every request reaches the decode pool");
    assert!(!instant.combined.saturated);
    // A 50 ms transfer leaves TTFT alone and spreads over the 100 remaining tokens' TPOT.
    let slow = simulate_disaggregated(&reqs, &r, &r, &one, &one, &|_| 0.05);
    assert!(rel(slow.combined.ttft_s.mean, instant.combined.ttft_s.mean) < 1e-9);
    let added = slow.combined.tpot_s.mean - instant.combined.tpot_s.mean;
    assert!((added - 0.05 / 100.0).abs() < 0.05 / 100.0 * 0.05, "TPOT grew by {added}");
    assert!((slow.kv_transfer_s.mean - 0.05).abs() < 1e-12);
    // Little's law holds end to end.
    let c = &slow.combined;
    assert!(rel(c.mean_in_system, c.littles_law_product) < 0.02, "{c:?}");
}

#[test]
fn disaggregation_shields_decode_from_prefill_interference() {
    use suanli_sim::disagg::simulate_disaggregated;
    // Long prompts, short replies: in a colocated replica every prefill chunk lands in the
    // running decodes' steps; a separate decode pool never sees one. Same four GPUs each way.
    let r = replica("llama3.1-8b", 1);
    let reqs = workload(12.0, 6000, 150).generate(6000, 9);
    let colocated = simulate(&reqs, &r, &SimConfig { replicas: 4, ..SimConfig::default() });
    let split = simulate_disaggregated(
        &reqs,
        &r,
        &r,
        &SimConfig { replicas: 2, ..SimConfig::default() },
        &SimConfig { replicas: 2, ..SimConfig::default() },
        &|q| f64::from(q.input) * 131_072.0 / 50e9,
    );
    assert!(!colocated.saturated && !split.combined.saturated, "{colocated:?}\n{split:?}");
    assert!(
        split.combined.tpot_s.p99 < 0.8 * colocated.tpot_s.p99,
        "p99 TPOT: disaggregated {} vs colocated {}",
        split.combined.tpot_s.p99,
        colocated.tpot_s.p99
    );
}

/// A step that costs a millisecond a token, so a step's time shows what it carried.
struct PerToken;

impl suanli_sim::engine::StepModel for PerToken {
    fn step_s(&self, decode: f64, _: f64, prefill: f64, _: f64, _: f64) -> f64 {
        1e-3 * (decode + prefill)
    }

    fn kv_tokens(&self) -> u64 {
        1 << 30
    }
}

#[test]
fn without_chunked_prefill_prompts_join_a_step_whole() {
    let req = |arrival_s, input| suanli_sim::workload::Request {
        arrival_s,
        input,
        output: 2,
        conversation: 0,
        prefix: 0,
        class: 0,
    };
    let cfg =
        |chunked_prefill| SimConfig { max_tokens: 100, chunked_prefill, warmup: 0.0, ..SimConfig::default() };
    // A 60-token prompt starts a 60 ms step; two more arrive during it. With a 100-token
    // budget the next step holds the first's decode and 99 prompt tokens: chunked, all of the
    // second and 39 of the third (100 ms); whole, the second alone (61 ms), the third waiting.
    // The third's first token comes at 181 ms either way (21 or 60 tokens beside one decode).
    let three = [req(0.0, 60), req(0.001, 60), req(0.001, 60)];
    let chunked = simulate(&three, &PerToken, &cfg(true));
    let whole = simulate(&three, &PerToken, &cfg(false));
    let mean = |ttfts: [f64; 3]| ttfts.iter().sum::<f64>() / 3.0;
    assert!((chunked.ttft_s.mean - mean([0.060, 0.159, 0.181])).abs() < 1e-9, "{}", chunked.ttft_s.mean);
    assert!((whole.ttft_s.mean - mean([0.060, 0.120, 0.181])).abs() < 1e-9, "{}", whole.ttft_s.mean);
    // A lone prompt longer than the budget runs whole in one step rather than never.
    let long = simulate(&[req(0.0, 300)], &PerToken, &cfg(false));
    assert!((long.ttft_s.mean - 0.300).abs() < 1e-9, "{}", long.ttft_s.mean);
    assert_eq!(long.measured, 1);
}

#[test]
fn latency_counts_from_the_issue_when_a_harness_holds_queries() {
    let step = FixedStep { seconds: 0.01, kv_tokens: 1 << 30 };
    let reqs = workload(5.0, 16, 8).generate(2_000, 3);
    let cfg = SimConfig { warmup: 0.0, ..SimConfig::default() };
    let direct = simulate(&reqs, &step, &cfg);
    // Each query issued 0.2 s before it reaches the engine: the same run, timed 0.2 s longer.
    let issued: Vec<f64> = reqs.iter().map(|q| q.arrival_s - 0.2).collect();
    let held = suanli_sim::sim::simulate_issued(&reqs, &issued, &step, &cfg);
    assert!((held.ttft_s.mean - direct.ttft_s.mean - 0.2).abs() < 1e-9);
    assert!((held.e2e_s.p99 - direct.e2e_s.p99 - 0.2).abs() < 1e-9);
    assert!((held.tpot_s.mean - direct.tpot_s.mean).abs() < 1e-12, "TPOT runs from the first token");
    assert_eq!(held.measured, direct.measured);
}

/// A step of 2 ms plus 0.1 ms a decoding sequence.
struct Affine;

impl suanli_sim::engine::StepModel for Affine {
    fn step_s(&self, decode: f64, _: f64, _: f64, _: f64, _: f64) -> f64 {
        2e-3 + 1e-4 * decode
    }

    fn kv_tokens(&self) -> u64 {
        1 << 30
    }
}

#[test]
fn a_window_measures_the_steady_state_alone() {
    // 50 requests/s of 100 output tokens: in steady state `B = λ·out·S` sequences decode and
    // `S = 2 ms + 0.1 ms·B`, so S = 4 ms (B = 20). Requests that meet the batch filling (the
    // first lifetime, ≈ 0.4 s) or draining (the last) see shorter steps.
    let reqs = workload(50.0, 16, 100).generate(2_000, 5);
    let cfg = SimConfig { warmup: 0.0, ..SimConfig::default() };
    let whole = simulate(&reqs, &Affine, &cfg);
    let same = suanli_sim::sim::simulate_window(&reqs, &[], &Affine, &cfg, 0..reqs.len());
    assert!((same.tpot_s.mean - whole.tpot_s.mean).abs() < 1e-15 && same.measured == whole.measured);
    let filling = suanli_sim::sim::simulate_window(&reqs, &[], &Affine, &cfg, 0..10);
    let steady = suanli_sim::sim::simulate_window(&reqs, &[], &Affine, &cfg, 200..1_800);
    assert_eq!((filling.measured, steady.measured), (10, 1_600));
    assert!(filling.tpot_s.mean < 0.8 * steady.tpot_s.mean, "{} {}", filling.tpot_s.mean, steady.tpot_s.mean);
    assert!((steady.tpot_s.mean / 4e-3 - 1.0).abs() < 0.1, "{}", steady.tpot_s.mean);
    // Throughput and occupancy stay those of the whole run.
    assert!((steady.mean_in_system - whole.mean_in_system).abs() < 1e-12);
}
