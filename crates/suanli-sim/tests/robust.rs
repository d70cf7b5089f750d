//! Robustness and conservation properties of the simulator over generated inputs (proptest):
//! no panic or hang on any step model, workload or configuration; every request that arrives
//! completes; Little's law holds; the samplers and the trace parser are total.
#![allow(clippy::unwrap_used, clippy::panic)]

use proptest::prelude::*;
use suanli_sim::engine::FixedStep;
use suanli_sim::metrics::MAX_INTERVALS;
use suanli_sim::rng::Rng;
use suanli_sim::sim::{KvPolicy, Router, Scheduler, SimConfig, simulate};
use suanli_sim::workload::{Arrivals, Lengths, Request, WorkloadSpec, parse_trace};

fn requests() -> impl Strategy<Value = Vec<Request>> {
    prop::collection::vec((0.0f64..1e4, 1u32..3000, 1u32..400, 0u32..6, 0u32..500), 1..60).prop_map(|rows| {
        let mut reqs: Vec<Request> = rows
            .into_iter()
            .map(|(arrival_s, input, output, conversation, prefix)| Request {
                arrival_s,
                input,
                output,
                conversation,
                prefix: prefix.min(input),
                class: (conversation % 3) as u8,
            })
            .collect();
        reqs.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
        reqs
    })
}

fn config() -> impl Strategy<Value = SimConfig> {
    (
        1u32..6,
        prop_oneof![Just(Router::RoundRobin), Just(Router::LeastOutstanding), Just(Router::PrefixAffinity)],
        prop_oneof![
            Just(Scheduler::Continuous),
            Just(Scheduler::Static),
            Just(Scheduler::PrefillFirst),
            Just(Scheduler::Orca)
        ],
        prop_oneof![Just(KvPolicy::Paged), Just(KvPolicy::Reserve)],
        1u32..64,
        1u32..10_000,
        0u32..64,
        0.0f64..1.0,
        any::<bool>(),
    )
        .prop_map(
            |(
                replicas,
                router,
                scheduler,
                kv_policy,
                max_batch,
                max_tokens,
                block_tokens,
                warmup,
                chunked_prefill,
            )| {
                SimConfig {
                    replicas,
                    router,
                    scheduler,
                    kv_policy,
                    max_batch,
                    max_tokens,
                    chunked_prefill,
                    block_tokens,
                    warmup,
                    targets: Some((1.0, 0.1)),
                    class_targets: [None, Some((5.0, 0.5)), None, None],
                    max_queue: 0,
                    // Swapping preempted KV to a small host pool: every arrival still completes.
                    offload: (block_tokens % 2 == 1)
                        .then_some(suanli_sim::policy::Offload { host_tokens: 4096, tokens_per_s: 1e6 }),
                }
            },
        )
}

fn step_seconds() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1e-4f64..1.0,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(1e300),
        1 => Just(-1.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arrivals = completions + in system (0 at the end: the run drains), on any step model,
    /// KV pool and configuration; the series stays within its bucket bound.
    #[test]
    fn every_arrival_completes(reqs in requests(), cfg in config(), seconds in step_seconds(), kv in prop_oneof![Just(0u64), 1u64..100_000, Just(u64::MAX)]) {
        let r = simulate(&reqs, &FixedStep { seconds, kv_tokens: kv }, &cfg);
        prop_assert_eq!(r.requests, reqs.len());
        let arrived: u64 = r.series.arrivals.iter().sum();
        let completed: u64 = r.series.completions.iter().sum();
        prop_assert_eq!(arrived, reqs.len() as u64);
        prop_assert_eq!(completed, reqs.len() as u64);
        prop_assert!(r.series.arrivals.len() <= MAX_INTERVALS);
        // At every interval's end: arrivals so far = completions so far + requests in system.
        let (mut arrived_by, mut completed_by) = (0u64, 0u64);
        for (a, c) in r.series.arrivals.iter().zip(&r.series.completions) {
            arrived_by += a;
            completed_by += c;
            prop_assert!(completed_by <= arrived_by, "completions ran ahead of arrivals");
        }
        let tokens: u64 = reqs.iter().map(|q| u64::from(q.output)).sum();
        prop_assert_eq!(r.series.output_tokens.iter().sum::<u64>(), tokens);
    }

    /// Little's law: the time average of requests in system equals arrival rate × mean latency
    /// (the time integral of requests in system is the sum of their latencies).
    #[test]
    fn littles_law(reqs in requests(), cfg in config(), seconds in 1e-3f64..0.5) {
        let r = simulate(&reqs, &FixedStep { seconds, kv_tokens: 1 << 20 }, &cfg);
        let (l, lw) = (r.mean_in_system, r.littles_law_product);
        prop_assert!((l - lw).abs() <= 1e-6 * l.abs().max(1.0), "L = {l}, λW = {lw}");
        prop_assert!(r.utilisation <= 1.0 + 1e-9, "utilisation {}", r.utilisation);
        prop_assert!(r.goodput >= 0.0 && r.goodput <= 1.0);
    }

    /// The gamma sampler returns a finite, non-negative number for every shape and scale.
    #[test]
    fn gamma_is_total(k in any::<f64>(), theta in any::<f64>(), seed in any::<u64>()) {
        let x = Rng::new(seed).gamma(k, theta);
        prop_assert!(x.is_finite() && x >= 0.0, "gamma({k}, {theta}) = {x}");
    }

    /// Workload generation is total over any checked spec, and arrivals are sorted.
    #[test]
    fn generation_is_total(rate in prop_oneof![1e-9f64..1e9, Just(1e9)], cv in prop_oneof![Just(1e-160), 1e-6f64..100.0, Just(0.0)], turns in 1u32..5, input in 1u32..200_000, output in 1u32..200_000, seed in any::<u64>()) {
        let arrivals = if cv == 0.0 { Arrivals::Constant } else { Arrivals::Gamma { cv } };
        let w = WorkloadSpec { rate, arrivals, lengths: Lengths::Fixed { input, output }, turns, think_s: 1.0, daily: None, max_context: 131_072 };
        let reqs = w.generate(50, seed);
        prop_assert_eq!(reqs.len(), 50);
        prop_assert!(reqs.windows(2).all(|p| p[0].arrival_s <= p[1].arrival_s));
        prop_assert!(reqs.iter().all(|q| q.arrival_s.is_finite() && q.input >= 1));
    }

    /// Generation is total even over parameters `check` refuses: no panic, no NaN arrival, no
    /// zero-token prompt.
    #[test]
    fn generation_survives_any_parameters(rate in any::<f64>(), cv in any::<f64>(), mean in any::<f64>(), think in any::<f64>(), turns in 0u32..4, max_context in any::<u32>(), seed in any::<u64>()) {
        let w = WorkloadSpec {
            rate,
            arrivals: Arrivals::Gamma { cv },
            lengths: Lengths::LogNormal { input_mean: mean, output_mean: mean, cv },
            turns,
            think_s: think,
            daily: None,
            max_context,
        };
        let reqs = w.generate(20, seed);
        prop_assert_eq!(reqs.len(), 20);
        prop_assert!(reqs.iter().all(|q| !q.arrival_s.is_nan() && q.input >= 1 && q.output >= 1));
        let _ = w.check("fuzz");
    }

    /// The trace parser returns a value or an error for any text, never a panic.
    #[test]
    fn trace_parser_is_total(text in "(arrival_s,input_tokens,output_tokens\n)?([-0-9.e,{}\":a-z_ \n]{0,200})", max_context in any::<u32>()) {
        let _ = parse_trace(&text, "fuzz.csv", max_context);
    }
}

#[test]
fn workload_check_names_the_parameter() {
    let w = WorkloadSpec {
        rate: 10.0,
        arrivals: Arrivals::Gamma { cv: 1e-160 },
        lengths: Lengths::Fixed { input: 10, output: 10 },
        turns: 1,
        think_s: 0.0,
        daily: None,
        max_context: 4096,
    };
    let e = w.check("command line").unwrap_err().to_string();
    assert!(e.contains("burstiness") && e.contains("1e-6"), "{e}");
    let e =
        WorkloadSpec { rate: 1e308, arrivals: Arrivals::Poisson, ..w }.check("x").unwrap_err().to_string();
    assert!(e.contains("rate"), "{e}");
}

#[test]
fn routing_many_replicas_is_fast() {
    // 100,000 replicas and 200,000 requests: least-outstanding routing is O(log n) a request.
    let w = WorkloadSpec {
        rate: 1000.0,
        arrivals: Arrivals::Poisson,
        lengths: Lengths::Fixed { input: 10, output: 4 },
        turns: 1,
        think_s: 0.0,
        daily: None,
        max_context: 4096,
    };
    let reqs = w.generate(200_000, 1);
    let started = std::time::Instant::now();
    let cfg = SimConfig { replicas: 100_000, ..SimConfig::default() };
    let r = simulate(&reqs, &FixedStep { seconds: 0.01, kv_tokens: 1 << 20 }, &cfg);
    assert_eq!(r.series.completions.iter().sum::<u64>(), 200_000);
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

#[test]
fn far_apart_and_long_requests_stay_small() {
    let trace = "arrival_s,input_tokens,output_tokens\n0,100,10\n1e15,100,10\n";
    let reqs = parse_trace(trace, "t.csv", 4096).unwrap();
    let r = simulate(&reqs, &FixedStep { seconds: 0.01, kv_tokens: 1 << 20 }, &SimConfig::default());
    assert!(r.series.arrivals.len() <= MAX_INTERVALS);
    let reqs = vec![
        Request { arrival_s: 0.0, input: 100, output: 100_000, conversation: 0, prefix: 0, class: 0 },
        Request { arrival_s: 1e-6, input: 100, output: 100_000, conversation: 1, prefix: 0, class: 0 },
    ];
    let r = simulate(&reqs, &FixedStep { seconds: 0.01, kv_tokens: 1 << 20 }, &SimConfig::default());
    assert!(r.series.arrivals.len() <= MAX_INTERVALS);
    assert_eq!(r.series.completions.iter().sum::<u64>(), 2);
}

#[test]
fn an_absurd_peak_rate_is_an_error_not_a_wrapped_fleet() {
    use suanli_core::Catalog;
    use suanli_core::infer::{Engine, Precisions};
    use suanli_core::precision::Precision;
    use suanli_core::train::{Calibration, Cluster};
    use suanli_sim::fleet::{ChipOption, FleetSpec, MAX_FLEET_GPUS, size, try_size};
    let c = Catalog::builtin().unwrap();
    let p = Precisions::uniform(Precision::Bf16);
    let fleet = |peak_rate: f64| FleetSpec {
        model: c.model("llama3.1-8b").unwrap().clone(),
        chips: vec![ChipOption {
            cluster: Cluster::new(&c, "h100-sxm", None, p.activations, &Calibration::default()).unwrap(),
            precision: p,
            tps: vec![1, 2],
            pps: vec![1],
            eps: vec![1],
        }],
        peak_rate,
        mean_rate: peak_rate.min(1e9),
        lengths: Lengths::Fixed { input: 500, output: 200 },
        arrivals: Arrivals::Poisson,
        ttft_p99: 1.0,
        tpot_p99: 0.1,
        engine: Engine::default(),
        simulate: false,
        seed: 1,
        sim_requests: 1000,
        power_utilisation: 0.7,
        pue: 1.2,
        speculation: None,
    };
    let e = try_size(&fleet(1e308)).unwrap_err().to_string();
    assert!(e.contains("peak_rate"), "{e}");
    assert!(size(&fleet(1e308)).is_none());
    // Within the rate bound but past the GPU bound: the error names the bound.
    let e = try_size(&fleet(1e9)).unwrap_err().to_string();
    assert!(e.contains(&MAX_FLEET_GPUS.to_string()), "{e}");
    let plan = try_size(&fleet(100.0)).unwrap().unwrap();
    assert!(plan.replicas >= 1 && plan.gpus <= MAX_FLEET_GPUS);
}

#[test]
fn a_request_longer_than_the_kv_pool_does_not_thrash() {
    // Found by the `simulate` fuzz target: with an empty KV pool a lone paged sequence was
    // preempted after every token and its whole context recomputed (65,533 prefill steps a
    // token here: 134 million steps). A lone sequence now runs on.
    let reqs = vec![
        Request { arrival_s: 0.0, input: 65_533, output: 2048, conversation: 7, prefix: 255, class: 0 },
        Request { arrival_s: 327.67, input: 1, output: 1, conversation: 0, prefix: 0, class: 0 },
    ];
    let cfg = SimConfig { max_batch: 1, max_tokens: 1, block_tokens: 0, warmup: 0.0, ..SimConfig::default() };
    let started = std::time::Instant::now();
    let r = simulate(&reqs, &FixedStep { seconds: 0.0, kv_tokens: 0 }, &cfg);
    assert_eq!(r.series.completions.iter().sum::<u64>(), 2);
    assert!(started.elapsed().as_secs() < 20, "took {:?}", started.elapsed());
}

#[test]
fn simulation_bounds_are_checked_up_front() {
    use suanli_sim::sim::{MAX_REQUESTS, try_simulate};
    let cfg = SimConfig::default();
    let e = cfg.check(MAX_REQUESTS + 1, "command line").unwrap_err().to_string();
    assert!(e.contains("requests") && e.contains("10000000"), "{e}");
    let e = SimConfig { replicas: 0, ..cfg }.check(10, "x").unwrap_err().to_string();
    assert!(e.contains("replicas"), "{e}");
    let e = SimConfig { warmup: f64::NAN, ..cfg }.check(10, "x").unwrap_err().to_string();
    assert!(e.contains("warmup"), "{e}");
    let reqs = vec![Request { arrival_s: 0.0, input: 10, output: 5, conversation: 0, prefix: 0, class: 0 }];
    assert!(try_simulate(&reqs, &FixedStep { seconds: 0.01, kv_tokens: 1 << 10 }, &cfg).is_ok());
    assert!(try_simulate(&[], &FixedStep { seconds: 0.01, kv_tokens: 1 << 10 }, &cfg).is_err());
}
