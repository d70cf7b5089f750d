//! Every published inference row (without the Server p99 rows, which need the simulator) as
//! CSV: `cargo run --release -p suanli-core --example inference_rows > rows.csv`.
use suanli_core::Catalog;
use suanli_core::infer::InferCalibration;
use suanli_core::published::inference;

fn main() {
    let c = Catalog::builtin().expect("catalog");
    println!("file,family,id,metric,scenario,predicted,published,rel_error");
    for r in inference(&c, &InferCalibration::default()) {
        println!(
            "inference,{},{},{},{},{},{},{}",
            r.family,
            r.id,
            r.metric,
            r.scenario,
            r.predicted.map_or(String::new(), |v| v.to_string()),
            r.published,
            r.rel_error.map_or(String::new(), |v| v.to_string())
        );
    }
}
