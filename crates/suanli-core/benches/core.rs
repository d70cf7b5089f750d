//! Throughput of the core arithmetic: `cargo bench -p suanli-core`.
//!
//! Each benchmark reports items per second: models evaluated, scenarios planned, catalogs loaded.

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use suanli_core::Catalog;
use suanli_core::model::forward_flops_per_token;
use suanli_core::plan::plan;
use suanli_core::scenario::Scenario;

fn main() {
    divan::main();
}

/// Parameter count and forward FLOPs for every catalogued model: models evaluated per second.
#[divan::bench]
fn model_arithmetic(bencher: Bencher) {
    let c = Catalog::builtin().expect("catalog");
    bencher.counter(ItemsCount::new(c.models.len())).bench(|| {
        c.models.iter().map(|m| m.params().total + forward_flops_per_token(m, black_box(4096.0))).sum::<f64>()
    });
}

/// The whole ChatGPT plan (every seed figure, first-principles counterparts, claim checks):
/// scenarios planned per second.
#[divan::bench]
fn chatgpt_plan(bencher: Bencher) {
    let c = Catalog::builtin().expect("catalog");
    let s = Scenario::chatgpt_2023().expect("scenario");
    bencher.counter(ItemsCount::new(1usize)).bench(|| plan(black_box(&s), &c, "bench").expect("plans"));
}

/// Parsing and checking the embedded catalog: catalogs loaded per second (start-up cost).
#[divan::bench]
fn catalog_load(bencher: Bencher) {
    bencher.counter(ItemsCount::new(1usize)).bench(|| Catalog::parse_builtin().expect("catalog"));
}

/// A copy of the once-parsed catalog: what each command (and each web request) pays.
#[divan::bench]
fn catalog_copy(bencher: Bencher) {
    bencher.counter(ItemsCount::new(1usize)).bench(|| Catalog::builtin().expect("catalog"));
}

/// Parsing and validating the ChatGPT scenario TOML.
#[divan::bench]
fn scenario_parse(bencher: Bencher) {
    bencher.counter(ItemsCount::new(1usize)).bench(|| Scenario::chatgpt_2023().expect("scenario"));
}

fn infer_setup(model: &str) -> (suanli_core::model::ModelSpec, Catalog) {
    let c = Catalog::builtin().expect("catalog");
    (c.model(model).expect("model").clone(), c)
}

/// One inference evaluation (a replica at maximum load): evaluations per second.
#[divan::bench]
fn infer_evaluate(bencher: Bencher) {
    use suanli_core::infer::{Engine, InferCalibration, InferConfig, Mode, Precisions, Replica, evaluate};
    use suanli_core::precision::Precision;
    use suanli_core::train::{Calibration, Cluster};
    let (spec, c) = infer_setup("llama3.1-70b");
    let p = Precisions::uniform(Precision::Fp8);
    let cluster =
        Cluster::new(&c, "h100-sxm", None, p.activations, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp: 4, pp: 1, ep: 1, precision: p };
    let r = Replica::new(&spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default());
    bencher.counter(ItemsCount::new(1usize)).bench(|| evaluate(black_box(&r), 1000, 1000, Mode::MaxLoad));
}

/// The full inference search for Mixtral 8x7B on H100: TP × PP × EP × four precisions, the
/// batch binary-searched under a 50 ms TPOT limit.
#[divan::bench]
fn infer_full_search(bencher: Bencher) {
    use suanli_core::infer::{Engine, InferCalibration, Limits, Precisions, search};
    use suanli_core::precision::Precision;
    use suanli_core::train::{Calibration, Cluster};
    let (spec, c) = infer_setup("mixtral-8x7b");
    let precisions: Vec<Precisions> = [Precision::Bf16, Precision::Fp8, Precision::Int8, Precision::Int4]
        .into_iter()
        .map(Precisions::uniform)
        .collect();
    let lookup =
        |p: &Precisions| Cluster::new(&c, "h100-sxm", None, p.activations, &Calibration::default()).ok();
    let limits = Limits { max_ttft_s: Some(2.0), max_tpot_s: Some(0.05), per_dollar: false };
    bencher.bench(|| {
        search(
            black_box(&spec),
            &lookup,
            &[1, 2, 4, 8],
            &[1, 2, 4, 8],
            &[1, 2, 4, 8],
            &precisions,
            &Engine::default(),
            &InferCalibration::default(),
            1000,
            1000,
            &limits,
        )
    });
}
