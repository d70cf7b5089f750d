//! Serving as it is done in 2026: pipeline and expert parallelism in the simulator,
//! speculative decoding, capacity headroom, workload presets.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;
use common::workload;

use suanli_core::Catalog;
use suanli_core::infer::{Engine, InferCalibration, Mode, Precisions, Replica, evaluate, tokens_per_step};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::engine::{DraftSpec, SpeculationSpec};
use suanli_sim::fleet::{ChipOption, FleetSpec, saturation_rate, size};
use suanli_sim::sim::{SimConfig, simulate};
use suanli_sim::workload::{Arrivals, Lengths, PRESETS, Preset, WorkloadSpec};

fn replica(model: &str, tp: u32, pp: u32) -> Replica {
    common::replica_at(model, "h100-sxm", Precision::Bf16, (tp, pp, 1))
}

fn speculative(model: &str, r: Replica, draft: DraftSpec, k: u32, alpha: f64) -> Replica {
    let c = Catalog::builtin().unwrap();
    let spec = c.model(model).unwrap();
    SpeculationSpec { draft, tokens: k, acceptance: alpha }
        .apply(spec, r, &Engine::default(), &InferCalibration::default())
        .unwrap()
}

#[test]
fn acceptance_length_follows_leviathan() {
    assert!((tokens_per_step(1, 0.85) - 1.85).abs() < 1e-12);
    assert!((tokens_per_step(4, 0.75) - 3.050_781_25).abs() < 1e-9);
    assert!((tokens_per_step(4, 1.0) - 5.0).abs() < 1e-12);
    assert!((tokens_per_step(4, 0.0) - 1.0).abs() < 1e-12);
}

/// At low load a decode step is memory-bound: verifying k + 1 tokens costs about one step,
/// so TPOT falls by τ ÷ (verify ÷ plain + the draft's k forwards). The simulator matches the
/// step model's factor within 5 %, and the factor is that of the planner's `evaluate`.
#[test]
fn speculation_lowers_tpot_by_the_expected_factor_at_low_load() {
    let model = "llama3.1-70b";
    let plain = replica(model, 4, 1);
    for (draft, k, alpha) in [
        (DraftSpec::Eagle, 4, 0.75),
        (DraftSpec::Mtp, 1, 0.85),
        (
            DraftSpec::Model(Box::new(Catalog::builtin().unwrap().model("llama3.1-8b").unwrap().clone())),
            4,
            0.6,
        ),
    ] {
        let name = format!("{draft:?}").chars().take(12).collect::<String>();
        let spec = speculative(model, plain.clone(), draft, k, alpha);
        let tau = tokens_per_step(k, alpha);
        let ctx = 512.0 + 128.0;
        let expected =
            plain.step(1.0, ctx, 0.0, 0.0, 1.0).total_s * tau / spec.step(1.0, ctx, 0.0, 0.0, 1.0).total_s;
        assert!(expected > 1.0 && expected < tau, "{name}: factor {expected} outside (1, τ = {tau})");
        let reqs = workload(0.05, 512, 256).generate(200, 3);
        let cfg = SimConfig::default();
        let a = simulate(&reqs, &plain, &cfg);
        let b = simulate(&reqs, &spec, &cfg);
        let got = a.tpot_s.mean / b.tpot_s.mean;
        assert!(
            (got - expected).abs() / expected < 0.05,
            "{name}: simulated {got:.3}× vs step model {expected:.3}×"
        );
        let ea = evaluate(&plain, 512, 256, Mode::Concurrency(1));
        let eb = evaluate(&spec, 512, 256, Mode::Concurrency(1));
        let planned = ea.tpot_s / eb.tpot_s;
        assert!((planned - got).abs() / got < 0.08, "{name}: planner {planned:.3}× vs simulated {got:.3}×");
        // Every output token still arrives: the token clock never loses or invents tokens.
        assert_eq!(b.output_tokens_per_s * b.duration_s, a.output_tokens_per_s * a.duration_s);
    }
    // The EAGLE defaults roughly halve TPOT or better on a memory-bound 70B.
    let e = speculative(model, plain.clone(), DraftSpec::Eagle, 4, 0.75);
    let f = evaluate(&plain, 512, 256, Mode::Concurrency(1)).tpot_s
        / evaluate(&e, 512, 256, Mode::Concurrency(1)).tpot_s;
    assert!(f > 2.0, "EAGLE factor {f}");
}

/// Speculation never lifts throughput past the compute bound: at saturation the verify step
/// computes k + 1 tokens for τ accepted, so even a perfect draft (α = 1) stays under
/// peak ÷ (2·N) output tokens a second, and at realistic acceptance a compute-bound replica
/// serves fewer tokens a second with it than without.
#[test]
fn speculation_never_raises_throughput_beyond_the_compute_bound() {
    let c = Catalog::builtin().unwrap();
    let model = "llama3.1-8b";
    let spec_m = c.model(model).unwrap();
    let plain = replica(model, 1, 1);
    let cluster = plain.cluster().clone();
    let bound = cluster.peak_flops / (2.0 * spec_m.params().active_matmul(spec_m));
    let (i, o) = (256, 256);
    let base = evaluate(&plain, i, o, Mode::MaxLoad);
    assert!(base.output_tokens_per_s < bound);
    for alpha in [0.6, 0.75, 0.9, 1.0] {
        let s = speculative(model, plain.clone(), DraftSpec::Eagle, 4, alpha);
        let e = evaluate(&s, i, o, Mode::MaxLoad);
        assert!(
            e.output_tokens_per_s < bound,
            "α {alpha}: {} ≥ compute bound {bound}",
            e.output_tokens_per_s
        );
        if alpha <= 0.75 {
            assert!(
                e.output_tokens_per_s <= base.output_tokens_per_s,
                "α {alpha}: {} > {} without speculation",
                e.output_tokens_per_s,
                base.output_tokens_per_s
            );
        }
        // The simulator at an overload: what it completes stays under the bound too.
        let reqs = workload(2.0 * base.output_tokens_per_s / f64::from(o), i, o).generate(4000, 5);
        let r = simulate(&reqs, &s, &SimConfig::default());
        assert!(r.output_tokens_per_s < bound, "simulated {} ≥ {bound}", r.output_tokens_per_s);
    }
}

#[test]
fn speculation_takes_kv_memory_for_the_draft() {
    let plain = replica("llama3.1-70b", 4, 1);
    let m = Catalog::builtin().unwrap().model("llama3.1-8b").unwrap().clone();
    let d = speculative("llama3.1-70b", plain.clone(), DraftSpec::Model(Box::new(m)), 4, 0.6);
    let e = speculative("llama3.1-70b", plain.clone(), DraftSpec::Eagle, 4, 0.75);
    assert!(d.memory.kv_tokens < e.memory.kv_tokens && e.memory.kv_tokens < plain.memory.kv_tokens);
    assert!(d.memory.weights_gib > e.memory.weights_gib && e.memory.weights_gib > plain.memory.weights_gib);
}

/// A pipeline of `pp` stages in the simulator: a step is one round through the stages, so at
/// one request at a time TPOT is the planner's `pp × stage step`.
#[test]
fn pipeline_stages_match_the_planner_at_low_load() {
    for (tp, pp) in [(4, 1), (2, 2), (1, 4)] {
        let r = replica("llama3.1-70b", tp, pp);
        assert!(r.fits());
        let planned = evaluate(&r, 512, 256, Mode::Concurrency(1)).tpot_s;
        let reqs = workload(0.05, 512, 256).generate(200, 9);
        let got = simulate(&reqs, &r, &SimConfig::default()).tpot_s.mean;
        assert!(
            (got - planned).abs() / planned < 0.05,
            "tp {tp} pp {pp}: simulated {got} vs planned {planned}"
        );
    }
}

/// Busy time reads high at low load (a replica stepping a batch of one is busy), while the
/// fraction of the saturation rate reads low; past the saturation rate the run saturates.
#[test]
fn capacity_headroom_differs_from_busy_time() {
    let r = replica("llama3.1-8b", 1, 1);
    let sat = saturation_rate(&r, 512, 256);
    assert!(sat > 1.0);
    let low = simulate(&workload(0.02 * sat, 512, 256).generate(3000, 2), &r, &SimConfig::default());
    assert!(low.utilisation > 0.5, "busy {}", low.utilisation);
    assert!(!low.saturated);
    let over = simulate(&workload(1.5 * sat, 512, 256).generate(20_000, 2), &r, &SimConfig::default());
    assert!(over.saturated, "1.5 × the saturation rate must saturate");
    let under = simulate(&workload(0.6 * sat, 512, 256).generate(20_000, 2), &r, &SimConfig::default());
    assert!(!under.saturated, "0.6 × the saturation rate must not saturate");
}

#[test]
fn workload_presets_have_their_documented_shapes() {
    for name in PRESETS {
        let p = Preset::named(name).unwrap();
        assert_eq!(p.name, name);
        assert!(!p.source.is_empty());
    }
    assert!(Preset::named("video").is_none());
    assert_eq!(Preset::named("chat").unwrap().lengths, Lengths::SHAREGPT);
    let (ri, ro) = Preset::named("rag").unwrap().lengths.means();
    assert!(ri > 10.0 * ro);
    let reasoning = Preset::named("reasoning").unwrap();
    let w = WorkloadSpec { lengths: reasoning.lengths.clone(), ..workload(1.0, 1, 1) };
    let reqs = w.generate(5000, 1);
    let mut outs: Vec<u32> = reqs.iter().map(|q| q.output).collect();
    outs.sort_unstable();
    let (p10, p90) = (outs[500], outs[4500]);
    assert!(p10 >= 7000 && p90 <= 33_000, "reasoning outputs p10 {p10}, p90 {p90}");
    let agent = Preset::named("agent").unwrap();
    let w = WorkloadSpec {
        lengths: agent.lengths,
        turns: agent.turns,
        think_s: agent.think_s,
        ..workload(1.0, 1, 1)
    };
    let reqs = w.generate(800, 1);
    let with_prefix = reqs.iter().filter(|q| q.prefix > 0).count();
    assert!(with_prefix as f64 > 0.8 * 7.0 / 8.0 * 800.0, "{with_prefix} of 800 reuse a prefix");
}

fn fleet(model: &str, pps: Vec<u32>, speculation: Option<SpeculationSpec>) -> FleetSpec {
    let c = Catalog::builtin().unwrap();
    let p = Precisions::uniform(Precision::Bf16);
    FleetSpec {
        model: c.model(model).unwrap().clone(),
        chips: vec![ChipOption {
            cluster: Cluster::new(&c, "h100-sxm", None, p.activations, &Calibration::default()).unwrap(),
            precision: p,
            tps: vec![1, 2, 4, 8],
            pps,
            eps: vec![1],
        }],
        peak_rate: 10.0,
        mean_rate: 5.0,
        lengths: Lengths::Fixed { input: 1000, output: 300 },
        arrivals: Arrivals::Poisson,
        ttft_p99: 2.0,
        tpot_p99: 0.05,
        engine: Engine::default(),
        simulate: false,
        seed: 1,
        sim_requests: 2000,
        power_utilisation: 0.7,
        pue: 1.2,
        speculation,
    }
}

/// `serve` searches pipeline stages: the candidates include pp > 1 and the plan is never
/// dearer than the tensor-parallel-only one; speculation lets a tight TPOT target be met
/// with fewer GPUs.
#[test]
fn fleet_search_covers_pipeline_stages_and_speculation() {
    let tp_only = size(&fleet("llama3.1-70b", vec![1], None)).unwrap();
    let with_pp = size(&fleet("llama3.1-70b", vec![1, 2, 4], None)).unwrap();
    assert!(with_pp.candidates.iter().any(|c| c.pp > 1));
    assert!(with_pp.cost_usd_per_month.unwrap() <= tp_only.cost_usd_per_month.unwrap());
    assert!(with_pp.load_fraction > 0.0 && with_pp.load_fraction < 1.0);
    let mut tight = fleet("llama3.1-70b", vec![1], None);
    tight.tpot_p99 = 0.015;
    let spec = SpeculationSpec { draft: DraftSpec::Eagle, tokens: 4, acceptance: 0.75 };
    let mut tight_spec = fleet("llama3.1-70b", vec![1], Some(spec));
    tight_spec.tpot_p99 = 0.015;
    let a = size(&tight);
    let b = size(&tight_spec).expect("speculation meets a 15 ms TPOT");
    assert!(a.as_ref().is_none_or(|a| b.gpus < a.gpus), "speculation: {} GPUs", b.gpus);
}

fn mix_fleet(chips: &[&str], lengths: Lengths, rate: f64, tpot: f64) -> FleetSpec {
    let c = Catalog::builtin().unwrap();
    let p = Precisions::uniform(Precision::Bf16);
    let chips = chips
        .iter()
        .map(|g| ChipOption {
            cluster: Cluster::new(&c, g, None, p.activations, &Calibration::default()).unwrap(),
            precision: p,
            tps: vec![1, 2, 4, 8],
            pps: vec![1],
            eps: vec![1],
        })
        .collect();
    FleetSpec {
        chips,
        peak_rate: rate,
        mean_rate: rate,
        lengths,
        ttft_p99: 3.0,
        tpot_p99: tpot,
        ..fleet("llama3.1-8b", vec![1], None)
    }
}

/// The documented case: 80 % decode-heavy chat turns (100 prompt, 1,000 output tokens) and
/// 20 % prefill-heavy document prompts (16,000 prompt, 50 output). Decode at a TPOT limit is
/// memory-bound, and an A100 80GB gives more HBM bandwidth per dollar than an H100 (2.0 TB/s
/// at 1.79 USD/h against 3.35 TB/s at 2.99 USD/h in the catalog); prefill is compute-bound,
/// and the H100 gives more FLOPs per dollar. Each chip's own share is strictly cheaper than
/// all on one, and the mix never costs more than the best single chip.
#[test]
fn mix_is_strictly_cheaper_for_a_bimodal_workload() {
    use suanli_sim::mix::size_mix;
    let mut pairs = vec![(100, 1000); 8];
    pairs.extend([(16_000, 50); 2]);
    let s = mix_fleet(&["a100-sxm-80gb", "h100-sxm"], Lengths::Empirical(pairs), 200.0, 0.03);
    let single = size(&s).unwrap();
    let m = size_mix(&s).unwrap();
    assert!(m.cost_usd_per_month < 0.9 * m.single_cost_usd_per_month, "{m:?}");
    assert!((m.single_cost_usd_per_month - single.cost_usd_per_month.unwrap()).abs() < 1e-6);
    let short = m.buckets.iter().find(|b| b.max_total_tokens < 2000).unwrap();
    let long = m.buckets.iter().find(|b| b.max_total_tokens > 10_000).unwrap();
    assert_eq!((short.gpu.as_str(), long.gpu.as_str()), ("a100-sxm-80gb", "h100-sxm"));
    assert!(m.saving_fraction > 0.1 && m.saving_usd_per_month > 0.0);
}

/// Whatever the lengths, the mix is never dearer than the best single chip, which is the
/// single-chip plan.
#[test]
fn mix_is_never_dearer_than_the_best_single_chip() {
    use suanli_sim::mix::size_mix;
    let chips = ["a10g", "l40s", "a100-sxm-80gb", "h100-sxm"];
    for (lengths, rate) in [
        (Lengths::SHAREGPT, 50.0),
        (Lengths::Fixed { input: 2000, output: 200 }, 30.0),
        (Preset::named("rag").unwrap().lengths, 20.0),
        (Lengths::Empirical(vec![(50, 20), (3000, 800), (8000, 100)]), 10.0),
    ] {
        let s = mix_fleet(&chips, lengths.clone(), rate, 0.05);
        let m = size_mix(&s).unwrap();
        let single = size(&s).unwrap();
        assert!(m.cost_usd_per_month <= m.single_cost_usd_per_month + 1e-6, "{lengths:?}");
        assert!(m.cost_usd_per_month <= single.cost_usd_per_month.unwrap() + 1e-6, "{lengths:?}");
        assert!(m.saving_usd_per_month >= 0.0);
        let share: f64 = m.buckets.iter().map(|b| b.share).sum();
        assert!((share - 1.0).abs() < 1e-9);
    }
}

/// Prefill first stalls the running decodes while prompts are prefilled, so p99 TPOT grows;
/// Sarathi-Serve's chunked prefill (the continuous scheduler) bounds a step by the token
/// budget, so a smaller chunk lowers p99 TPOT (and raises TTFT).
#[test]
fn prefill_first_stalls_decodes_and_the_chunk_bounds_the_step() {
    use suanli_sim::sim::Scheduler;
    let r = replica("llama3.1-8b", 1, 1);
    let reqs = workload(3.0, 4000, 300).generate(3000, 4);
    let run = |scheduler, max_tokens| {
        simulate(&reqs, &r, &SimConfig { scheduler, max_tokens, ..SimConfig::default() })
    };
    let chunked = run(Scheduler::Continuous, 8192);
    let first = run(Scheduler::PrefillFirst, 8192);
    assert!(first.tpot_s.p99 > 1.1 * chunked.tpot_s.p99, "{} vs {}", first.tpot_s.p99, chunked.tpot_s.p99);
    assert!((first.littles_law_product - first.mean_in_system).abs() < 1e-6 * first.mean_in_system.max(1.0));
    let small = run(Scheduler::Continuous, 512);
    assert!(small.tpot_s.p99 < 0.8 * chunked.tpot_s.p99);
    assert!(small.ttft_s.p50 > chunked.ttft_s.p50);
    // The step is bounded: 512 tokens of prefill plus the decodes never take longer than a
    // full 512-token prefill step of the planner plus the largest batch's decode.
    let bound = r.step(0.0, 0.0, 512.0, 4000.0, 1.0).total_s + r.step(64.0, 4300.0, 0.0, 0.0, 64.0).total_s;
    assert!(small.tpot_s.p99 < bound, "{} ≥ {bound}", small.tpot_s.p99);
}

/// The fleet hour by hour: the peak hour keeps the sized fleet, quiet hours fewer replicas,
/// and the autoscaled month costs less than the peak fleet held all day.
#[test]
fn daily_curve_follows_the_traffic() {
    use suanli_sim::fleet::daily_plan;
    use suanli_sim::workload::DailyCurve;
    let mut s = fleet("llama3.1-70b", vec![1], None);
    let curve = DailyCurve::peak_to_average(3.0);
    s.mean_rate = 20.0;
    s.peak_rate = 20.0 * curve.peak_ratio();
    let plan = size(&s).unwrap();
    let d = daily_plan(&s, &plan, &curve).unwrap();
    assert_eq!(d.hours.len(), 24);
    let peak = d.hours.iter().max_by(|a, b| a.requests_per_s.total_cmp(&b.requests_per_s)).unwrap();
    assert_eq!(peak.hour, 14);
    assert_eq!(peak.replicas, plan.replicas);
    assert!(d.hours.iter().all(|h| h.replicas >= 1 && h.replicas <= plan.replicas && h.load_fraction < 1.0));
    let mean: f64 = d.hours.iter().map(|h| h.requests_per_s).sum::<f64>() / 24.0;
    assert!((mean - 20.0).abs() < 1e-9);
    assert!(d.autoscaled_cost_usd_per_month.unwrap() < 0.8 * d.fixed_cost_usd_per_month.unwrap());
}
