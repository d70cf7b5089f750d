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
    bencher.counter(ItemsCount::new(1usize)).bench(|| Catalog::builtin().expect("catalog"));
}

/// Parsing and validating the ChatGPT scenario TOML.
#[divan::bench]
fn scenario_parse(bencher: Bencher) {
    bencher.counter(ItemsCount::new(1usize)).bench(|| Scenario::chatgpt_2023().expect("scenario"));
}
