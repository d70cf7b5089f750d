//! Simulator speed on the wide-EP and heterogeneous-pool paths: `cargo bench -p suanli-sim
//! --bench pools`. Items: simulated requests.
//!
//! - DeepSeek-V3 fp8 on one wide-EP replica of 72 H100s (tp 1, ep 72: 72 attention groups,
//!   one scheduler of 72 × 2,048 sequences) under 200,000 chat requests at 60 requests/s.
//! - The same model disaggregated: 8 prefill replicas of ep 32 and 2 decode replicas of ep 72,
//!   KV over the NICs, 200,000 requests of 2,000 in / 200 out at 150 requests/s.
//! - Heterogeneous pools: Llama 3.1 70B, H100 prefill (tp 4) and H20 decode (tp 4), 1,000,000
//!   chat requests at 100 requests/s on 6 + 12 replicas.

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use suanli_core::Catalog;
use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::disagg::{KvLink, KvPath, kv_transfer_s, simulate_disaggregated};
use suanli_sim::fleet::engine_limits;
use suanli_sim::sim::{SimConfig, simulate};
use suanli_sim::workload::{Arrivals, Lengths, Request, WorkloadSpec};

fn main() {
    divan::main();
}

fn replica(model: &str, gpu: &str, p: Precision, tp: u32, ep: u32) -> Replica {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model(model).expect("model");
    let p = Precisions::uniform(p);
    let cluster = Cluster::new(&c, gpu, None, p.activations, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp, pp: 1, ep, precision: p };
    Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default())
}

fn requests(rate: f64, lengths: Lengths, n: usize) -> Vec<Request> {
    WorkloadSpec {
        rate,
        arrivals: Arrivals::Poisson,
        lengths,
        turns: 1,
        think_s: 0.0,
        daily: None,
        max_context: 131_072,
    }
    .generate(n, 1)
}

fn sim(r: &Replica, replicas: u32) -> SimConfig {
    let (max_batch, max_tokens) = engine_limits(r);
    SimConfig { replicas, max_batch, max_tokens, ..SimConfig::default() }
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn wide_ep_replica_deepseek_v3_72_h100(bencher: Bencher) {
    let r = replica("deepseek-v3", "h100-sxm", Precision::Fp8, 1, 72);
    let reqs = requests(60.0, Lengths::SHAREGPT, 200_000);
    let cfg = sim(&r, 1);
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| simulate(black_box(&reqs), &r, &cfg));
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn wide_ep_disaggregated_deepseek_v3(bencher: Bencher) {
    let pre = replica("deepseek-v3", "h100-sxm", Precision::Fp8, 1, 32);
    let dec = replica("deepseek-v3", "h100-sxm", Precision::Fp8, 1, 72);
    let reqs = requests(150.0, Lengths::Fixed { input: 2000, output: 200 }, 200_000);
    let link = KvLink::new(KvPath::ScaleOut, &pre, &dec);
    let (pc, dc) = (sim(&pre, 8), sim(&dec, 2));
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| {
        simulate_disaggregated(black_box(&reqs), &pre, &dec, &pc, &dc, &|q| {
            kv_transfer_s(&pre, &dec, &link, q.input)
        })
    });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn heterogeneous_pools_h100_prefill_h20_decode(bencher: Bencher) {
    let pre = replica("llama3.1-70b", "h100-sxm", Precision::Bf16, 4, 1);
    let dec = replica("llama3.1-70b", "h20", Precision::Bf16, 4, 1);
    let reqs = requests(100.0, Lengths::SHAREGPT, 1_000_000);
    let link = KvLink::new(KvPath::ScaleOut, &pre, &dec);
    let (pc, dc) = (sim(&pre, 6), sim(&dec, 12));
    bencher.counter(ItemsCount::new(reqs.len())).bench(|| {
        simulate_disaggregated(black_box(&reqs), &pre, &dec, &pc, &dc, &|q| {
            kv_transfer_s(&pre, &dec, &link, q.input)
        })
    });
}
