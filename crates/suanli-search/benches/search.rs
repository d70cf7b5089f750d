//! Training-planner search speed: `cargo bench -p suanli-search`.
//!
//! - `evaluate_one_thread`: layouts evaluated per second on one thread (the core's sequential
//!   search over every layout of GPT-3 175B on 4,096 A100s).
//! - `search_gpt3_175b`: wall time of the full parallel search on 1,024, 4,096 and 16,384
//!   A100s, with the layouts per second it reaches.

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use suanli_core::Catalog;
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Objective, Prepared, Stack, Workload, search,
};

fn main() {
    divan::main();
}

const W: Workload = Workload { global_batch: 2048, seq_len: 2048, precision: Precision::Bf16 };

fn setup(gpus: u64) -> (Prepared, Candidates, usize) {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("gpt3-175b").expect("model");
    let calib = Calibration::default();
    let cluster = Cluster::new(&c, "a100-sxm-80gb", None, Precision::Bf16, &calib).expect("cluster");
    let cands = Candidates::new(
        spec,
        &W,
        &Constraints { gpus: Some(gpus), max_gpus: gpus, ..Constraints::default() },
        8,
    );
    let mut n: usize = 0;
    for &chunk in &cands.outer {
        cands.for_each(chunk, |_| n += 1);
    }
    (Prepared::new(spec, &cluster, &W, &calib, &Stack::MODERN), cands, n)
}

#[divan::bench]
fn evaluate_one_thread(bencher: Bencher) {
    let (p, cands, n) = setup(4096);
    bencher.counter(ItemsCount::new(n)).bench(|| search(black_box(&p), &cands, Objective::Fastest));
}

#[divan::bench(args = [1024, 4096, 16384])]
fn search_gpt3_175b(bencher: Bencher, gpus: u64) {
    let (p, cands, n) = setup(gpus);
    bencher
        .counter(ItemsCount::new(n))
        .bench(|| suanli_search::search(black_box(&p), &cands, Objective::Fastest, &|_, _| {}));
}

/// The `--days` search: every layout at any GPU count (GPT-3 175B, batch 2,048), fewest
/// servers that step within 3 s.
#[divan::bench]
fn fewest_servers_any_gpu_count(bencher: Bencher) {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("gpt3-175b").expect("model");
    let calib = Calibration::default();
    let cluster = Cluster::new(&c, "a100-sxm-80gb", None, Precision::Bf16, &calib).expect("cluster");
    let cands = Candidates::new(spec, &W, &Constraints { max_gpus: u64::MAX, ..Constraints::default() }, 8);
    let mut n: usize = 0;
    for &chunk in &cands.outer {
        cands.for_each(chunk, |_| n += 1);
    }
    let p = Prepared::new(spec, &cluster, &W, &calib, &Stack::MODERN);
    let obj = Objective::FewestServers { max_step_s: 3.0, node_size: 8 };
    bencher
        .counter(ItemsCount::new(n))
        .bench(|| suanli_search::search(black_box(&p), &cands, obj, &|_, _| {}));
}
