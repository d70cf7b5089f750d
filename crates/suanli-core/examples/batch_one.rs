//! Batch-1 decode on every catalogued chip against weights ÷ bandwidth:
//! `cargo run --release -p suanli-core --example batch_one`.
use suanli_core::Catalog;
use suanli_core::infer::{InferCalibration, batch_one_decode};

fn main() {
    let c = Catalog::builtin().expect("catalog");
    for a in &c.accelerators {
        match batch_one_decode(&c, &a.id, &InferCalibration::default()) {
            Some((m, p, step, ideal)) => {
                println!("{:<16} {m:<14} {p:<5} {:>8.2} ms  {:>5.3}x", a.id, step * 1e3, step / ideal);
            }
            None => println!("{:<16} neither model fits one chip", a.id),
        }
    }
}
