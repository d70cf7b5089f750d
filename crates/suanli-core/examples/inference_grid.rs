//! The published inference rows' errors under constants overridden from the command line,
//! summarised by family and by chip and model, for grid fits by hand:
//! `cargo run --release -p suanli-core --example inference_grid -- sequence_overhead_s=20e-6 ...`
//! (names as in [`InferCalibration`]; `--rows` prints every row as CSV too).
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use suanli_core::Catalog;
use suanli_core::infer::{InferCalibration, batch_one_decode};
use suanli_core::published::{inference as published_inference, inference_evaluation, median_p90};
use suanli_core::validation::{inference, summarise};

fn set(c: &mut InferCalibration, key: &str, v: f64) {
    match key {
        "hbm_efficiency" => c.hbm_efficiency = v,
        "kv_hbm_efficiency" => c.kv_hbm_efficiency = v,
        "roofline_sharpness" => c.roofline_sharpness = v,
        "moe_permute_bytes_per_hidden" => c.moe_permute_bytes_per_hidden = v,
        "moe_permute_sm_bytes_per_flop" => c.moe_permute_sm_bytes_per_flop = v,
        "moe_layer_overhead_s" => c.moe_layer_overhead_s = v,
        "gemm_tile_rows" => c.gemm_tile_rows = v,
        "expert_tile_rows" => c.expert_tile_rows = v,
        "expert_imbalance" => c.expert_imbalance = v,
        "gemm_depth_overhead" => c.gemm_depth_overhead = v,
        "attention_efficiency" => c.attention_efficiency = v,
        "collective_efficiency" => c.collective_efficiency = v,
        "collective_latency_s" => c.collective_latency_s = v,
        "step_overhead_s" => c.step_overhead_s = v,
        "sequence_overhead_s" => c.sequence_overhead_s = v,
        "layer_overhead_s" => c.layer_overhead_s = v,
        "elementwise_bytes_per_hidden" => c.elementwise_bytes_per_hidden = v,
        "host_overlap" => c.host_overlap = v > 0.0,
        "gemm_fraction" => c.gemm_fraction = v,
        "grace_host_factor" => c.grace_host_factor = v,
        "reserved_gib" => c.reserved_gib = v,
        _ => panic!("unknown constant {key}"),
    }
}

fn line(name: &str, e: &mut [f64], signed: &[f64]) -> String {
    let n = e.len();
    let within = e.iter().filter(|x| **x <= 0.10).count();
    let (m, p) = median_p90(e).unwrap_or((f64::NAN, f64::NAN));
    let mut s = signed.to_vec();
    s.sort_by(f64::total_cmp);
    let sm = if s.is_empty() { f64::NAN } else { s[s.len() / 2] };
    format!(
        "{name:40} n {n:3} median {:5.1} p90 {:5.1} signed {:+6.1} within10 {within}",
        m * 100.0,
        p * 100.0,
        sm * 100.0
    )
}

fn main() {
    let c = Catalog::builtin().unwrap();
    let mut cal = InferCalibration::default();
    let mut rows = false;
    let mut ids = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--rows" {
            rows = true;
            continue;
        }
        if a.starts_with("in-") {
            ids.push(a);
            continue;
        }
        let (k, v) = a.split_once('=').expect("key=value");
        set(&mut cal, k, v.parse().expect("a number"));
    }
    if !ids.is_empty() {
        for id in ids {
            let (points, _) = inference_evaluation(&c, &cal, &id).unwrap();
            for (pt, r) in points {
                let s = r.step;
                println!(
                    "{id} in {} batch {} ({}) tok/s {:.0} step {:.2}ms = gemm c{:.2}/m{:.2} attn c{:.2}/m{:.2} comm {:.2} over {:.2}",
                    pt.input,
                    r.batch,
                    r.max_batch_limited_by,
                    r.output_tokens_per_s,
                    s.total_s * 1e3,
                    s.gemm_compute_s * 1e3,
                    s.gemm_memory_s * 1e3,
                    s.attention_compute_s * 1e3,
                    s.attention_memory_s * 1e3,
                    s.comm_s * 1e3,
                    s.overhead_s * 1e3,
                );
            }
        }
        return;
    }
    let pubs = published_inference(&c, &cal);
    let csv = suanli_core::published::INFERENCE_CSV;
    let mut meta: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut header: Vec<String> = Vec::new();
    for l in csv.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<String> = split(l);
        if header.is_empty() {
            header = f;
            continue;
        }
        let get = |k: &str| f[header.iter().position(|h| h == k).unwrap()].clone();
        meta.insert(get("id"), (get("gpu"), get("model")));
    }
    let mut groups: BTreeMap<String, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
    let mut all = Vec::new();
    for r in pubs.iter().filter(|r| r.scenario != "server" || r.metric == "output_tokens_per_s") {
        let Some(e) = r.rel_error else { continue };
        if rows {
            println!("row,{},{},{},{e:.4}", r.id, r.metric, r.scenario);
        }
        all.push(e.abs());
        let fam = format!("{} {}", r.family, r.scenario);
        let g = groups.entry(fam).or_default();
        g.0.push(e.abs());
        g.1.push(e);
        if r.family.starts_with("trtllm") {
            let (gpu, model) = meta.get(&r.id).cloned().unwrap_or_default();
            for key in [format!("  {gpu}"), format!("  {gpu} {model}")] {
                let g = groups.entry(key).or_default();
                g.0.push(e.abs());
                g.1.push(e);
            }
        }
    }
    println!("{}", line("all (no server p99)", &mut all.clone(), &[]));
    for (k, (mut a, s)) in groups {
        println!("{}", line(&k, &mut a, &s));
    }
    let old = summarise("inference", &inference(&c, &cal)).unwrap();
    let excess = c
        .accelerators
        .iter()
        .filter_map(|a| batch_one_decode(&c, &a.id, &cal))
        .map(|(_, _, step, ideal)| step / ideal)
        .fold(0.0, f64::max);
    println!(
        "old inference set median {:.1} worst {:.1}; batch-1 worst {:.2}x",
        old.median_abs_error * 100.0,
        old.worst_abs_error * 100.0,
        excess
    );
}

fn split(l: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut q = false;
    for ch in l.chars() {
        match ch {
            '"' => q = !q,
            ',' if !q => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}
