//! The NeMo-RL GRPO rows of the published fine-tuning set, one line each with the phases the
//! note names, and their median / p90 |error| per family and placement:
//! `cargo run --release -p suanli-core --example rl_rows`.

use suanli_core::Catalog;
use suanli_core::published::{finetune, median_p90};

fn main() {
    let c = Catalog::builtin().expect("catalog");
    let rows = finetune(&c);
    let mut groups: Vec<(String, Vec<f64>)> = Vec::new();
    let mut push = |k: String, e: f64| match groups.iter_mut().find(|(g, _)| *g == k) {
        Some((_, v)) => v.push(e),
        None => groups.push((k, vec![e])),
    };
    for r in &rows {
        let Some(e) = r.rel_error else { continue };
        push("finetune all".to_string(), e.abs());
        if !r.family.starts_with("nemo-rl") {
            push(format!("{} {}", r.family, r.scenario), e.abs());
            continue;
        }
        let mode = if r.note.contains("async") { "async" } else { "colocated" };
        println!(
            "{:<20} {:<16} {:<9} {:<6} {:<5} pub {:>8.1} pred {:>8.1} {:>+5.0}%  {}",
            r.id.trim_start_matches("ft-nemo-rl-"),
            r.model,
            r.gpu,
            if r.metric == "step_time_s" { "step" } else { "tok/s" },
            &mode[..5],
            r.published,
            r.predicted.unwrap_or(0.0),
            e * 100.0,
            r.note.split("; ").filter(|s| s.starts_with("gen ")).collect::<Vec<_>>().join("")
        );
        push(format!("{} all", r.family), e.abs());
        push(format!("{} {mode}", r.family), e.abs());
        push(format!("nemo-rl {mode}"), e.abs());
        push("nemo-rl all".into(), e.abs());
    }
    for (k, mut v) in groups {
        let above = v.iter().filter(|e| **e > 0.35).count();
        let n = v.len();
        let (m, p) = median_p90(&mut v).unwrap_or((0.0, 0.0));
        println!("{k:<40} n {n:>3}  median {:>5.1} %  p90 {:>5.1} %  >35 %: {above}", m * 100.0, p * 100.0);
    }
}
