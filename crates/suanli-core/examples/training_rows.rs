//! Every training row of the published set as CSV (id, family, rel_error, note), and the old
//! `validation/training.csv` summary: `cargo run --release -p suanli-core --example training_rows`.
use suanli_core::Catalog;
use suanli_core::published::training;
use suanli_core::train::Calibration;
use suanli_core::validation::{summarise, training as old_training};

fn main() {
    let c = Catalog::builtin().expect("catalog");
    let mut cal = Calibration::default();
    if let Ok(v) = std::env::var("GEMM_BU") {
        cal.gemm_efficiency_blackwell_ultra = v.parse().expect("GEMM_BU");
    }
    println!("family,file,id,rel_error,note");
    for r in training(&c, &cal) {
        let e = r.rel_error.map_or(String::new(), |e| format!("{e}"));
        println!("{},training,{},{e},\"{}\"", r.family, r.id, r.note.replace('"', "'"));
    }
    let old = old_training(&c, &cal).0;
    if std::env::args().any(|a| a == "--old") {
        for r in &old {
            eprintln!("{:<40} {:+.4}", r.id, r.rel_error);
        }
    }
    if let Some(s) = summarise("training", &old) {
        eprintln!("old training: median {:.4} worst {:.4}", s.median_abs_error, s.worst_abs_error);
    }
}
