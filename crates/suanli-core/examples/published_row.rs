//! One training row's evaluation: `cargo run --release -p suanli-core --example published_row ID`.
use suanli_core::Catalog;
use suanli_core::published::training_evaluation;
use suanli_core::train::Calibration;

fn main() {
    let c = Catalog::builtin().expect("catalog");
    for id in std::env::args().skip(1) {
        match training_evaluation(&c, &Calibration::default(), &id) {
            Ok((e, note)) => println!("{id}: {note}\n{e:#?}"),
            Err(why) => println!("{id}: {why}"),
        }
    }
}
