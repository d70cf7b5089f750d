//! Prints the published-set summaries (`cargo run --release -p suanli-core --example published`);
//! with an argument, every row of that file (`training`, `inference`, `finetune`, `memory`).

use suanli_core::Catalog;
use suanli_core::published::report;

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1} %", v * 100.0))
}

fn main() {
    let c = Catalog::builtin().expect("catalog");
    let rep = report(&c);
    let file = std::env::args().nth(1);
    if let Some(f) = &file {
        for r in rep.rows.iter().filter(|r| r.file == f) {
            println!(
                "{:<40} {:<14} {:<12} {:<22} pub {:>10.4} pred {:>10} err {:>8} {}",
                r.id,
                r.gpu,
                r.scenario,
                r.metric,
                r.published,
                r.predicted.map_or("-".into(), |v| format!("{v:.4}")),
                pct(r.rel_error),
                r.refused.clone().unwrap_or_else(|| r.note.clone())
            );
        }
    }
    println!(
        "{:<10} {:<30} {:<15} {:<22} {:>5} {:>5} {:>5} {:>5} {:>9} {:>9}",
        "file", "family", "scenario", "metric", "asked", "ans", "score", "ref", "median", "p90"
    );
    for s in &rep.summaries {
        println!(
            "{:<10} {:<30} {:<15} {:<22} {:>5} {:>5} {:>5} {:>5} {:>9} {:>9}",
            s.file,
            s.family,
            s.scenario,
            s.metric,
            s.asked,
            s.answered,
            s.scored,
            s.refused,
            pct(s.median_abs_error),
            pct(s.p90_abs_error)
        );
        if file.is_none() {
            for (why, n) in &s.refusals {
                if s.family == "all" {
                    println!("           refused {n}: {why}");
                }
            }
        }
    }
}
