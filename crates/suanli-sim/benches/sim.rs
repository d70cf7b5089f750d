//! Simulator speed: `cargo bench -p suanli-sim`.
//!
//! Simulated requests per second on one core: 16 replicas of Llama 3.1 70B (TP 8 on H100,
//! BF16) serving 1,000,000 ShareGPT-like requests at 400 requests/s (about 80 % load).

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use suanli_core::Catalog;
use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::sim::{SimConfig, simulate};
use suanli_sim::workload::{Arrivals, Lengths, WorkloadSpec};

fn main() {
    divan::main();
}

/// The benchmark's replica and its million requests.
fn setup() -> (Replica, Vec<suanli_sim::workload::Request>) {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-70b").expect("model");
    let p = Precisions::uniform(Precision::Bf16);
    let cluster =
        Cluster::new(&c, "h100-sxm", None, p.activations, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp: 8, pp: 1, ep: 1, precision: p };
    let replica = Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default());
    let w = WorkloadSpec {
        rate: 400.0,
        arrivals: Arrivals::Poisson,
        lengths: Lengths::SHAREGPT,
        turns: 1,
        think_s: 0.0,
        daily: None,
        max_context: spec.max_context,
    };
    (replica, w.generate(1_000_000, 1))
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn million_chat_requests_16_replicas(bencher: Bencher) {
    let (replica, reqs) = setup();
    let sim = SimConfig { replicas: 16, ..SimConfig::default() };
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| simulate(black_box(&reqs), &replica, &sim));
}

/// The same million requests on 6 prefill + 12 decode replicas with a 10 ms KV transfer: both
/// pools simulated, requests handed over between them.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn million_chat_requests_disaggregated(bencher: Bencher) {
    let (replica, reqs) = setup();
    let prefill = SimConfig { replicas: 6, ..SimConfig::default() };
    let decode = SimConfig { replicas: 12, ..SimConfig::default() };
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| {
        suanli_sim::disagg::simulate_disaggregated(
            black_box(&reqs),
            &replica,
            &replica,
            &prefill,
            &decode,
            &|_| 0.01,
        )
    });
}

/// The same million requests with EAGLE speculative decoding (4 draft tokens, acceptance
/// 0.75): the token clock advances ⌊τ⌋ or ⌈τ⌉ a step, still O(1) a step.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn million_chat_requests_speculative(bencher: Bencher) {
    use suanli_sim::engine::{DraftSpec, SpeculationSpec};
    let (replica, reqs) = setup();
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-70b").expect("model");
    let replica = SpeculationSpec { draft: DraftSpec::Eagle, tokens: 4, acceptance: 0.75 }
        .apply(spec, replica, &Engine::default(), &InferCalibration::default())
        .expect("eagle");
    let sim = SimConfig { replicas: 16, ..SimConfig::default() };
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| simulate(black_box(&reqs), &replica, &sim));
}

/// The same million requests in two priority classes (20 % urgent) with admission control
/// (64 waiting per replica) and 16 GiB of host memory per GPU for swapped KV: the policy
/// paths ([`suanli_sim::policy`]) on the hot loop.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn million_chat_requests_classes_admission_offload(bencher: Bencher) {
    use suanli_sim::policy::{Offload, host_link};
    let (replica, mut reqs) = setup();
    suanli_sim::workload::assign_classes(&mut reqs, &[0.2, 0.8], 1);
    let per_token = replica.memory.kv_bytes_per_token;
    let offload = Offload {
        host_tokens: (16.0 * f64::from(1u32 << 30) / per_token) as u64,
        tokens_per_s: host_link("h100-sxm", Some("hopper")).0 / per_token,
    };
    let sim = SimConfig {
        replicas: 16,
        class_targets: [Some((0.5, 0.05)), Some((10.0, 0.2)), None, None],
        max_queue: 64,
        offload: Some(offload),
        ..SimConfig::default()
    };
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| simulate(black_box(&reqs), &replica, &sim));
}

/// `serve --mix` for 4 chip types (A10G, L40S, A100 80GB, H100): Llama 3.1 8B, ShareGPT-like
/// lengths, every layout (tp 1–8, pp 1–4) of every chip for each of the 15 bucket subsets,
/// then the 4⁴ assignments. Items: mixes sized.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn serve_mix_four_chip_types(bencher: Bencher) {
    use suanli_sim::fleet::{ChipOption, FleetSpec};
    let c = Catalog::builtin().expect("catalog");
    let p = Precisions::uniform(Precision::Bf16);
    let chips = ["a10g", "l40s", "a100-sxm-80gb", "h100-sxm"]
        .iter()
        .map(|g| ChipOption {
            cluster: Cluster::new(&c, g, None, p.activations, &Calibration::default()).expect("cluster"),
            precision: p,
            tps: vec![1, 2, 4, 8],
            pps: vec![1, 2, 4],
            eps: vec![1],
        })
        .collect();
    let s = FleetSpec {
        model: c.model("llama3.1-8b").expect("model").clone(),
        chips,
        peak_rate: 200.0,
        mean_rate: 100.0,
        lengths: Lengths::SHAREGPT,
        arrivals: Arrivals::Poisson,
        ttft_p99: 2.0,
        tpot_p99: 0.05,
        engine: Engine::default(),
        simulate: false,
        seed: 1,
        sim_requests: 20_000,
        power_utilisation: 0.7,
        pue: 1.2,
        speculation: None,
    };
    bencher.counter(ItemsCount::new(1usize)).bench(|| suanli_sim::mix::size_mix(black_box(&s)));
}
