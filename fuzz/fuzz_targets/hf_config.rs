//! A Hugging Face `config.json`: imported, and what checks is counted and searched on 8 GPUs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use suanli_core::Catalog;
use suanli_core::model::from_hf_config;
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Objective, Prepared, Stack, Workload, search,
};

fuzz_target!(|text: &str| {
    let Ok(m) = from_hf_config(text, "config.json") else { return };
    if m.check().is_err() {
        return;
    }
    let _ = m.params();
    let c = Catalog::builtin().expect("built-in catalog");
    let cl = Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let w = Workload { global_batch: 64, seq_len: 2048, precision: Precision::Bf16 };
    let p = Prepared::new(&m, &cl, &w, &Calibration::default(), &Stack::MODERN);
    let cons = Constraints { gpus: Some(8), max_gpus: 8, ..Constraints::default() };
    let _ = search(&p, &Candidates::new(&m, &w, &cons, 8), Objective::Fastest);
});
