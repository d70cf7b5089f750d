//! One inference row's evaluation, per prompt-length point, with the step breakdown:
//! `cargo run --release -p suanli-core --example inference_row ID...`.
use suanli_core::Catalog;
use suanli_core::infer::InferCalibration;
use suanli_core::published::inference_evaluation;

fn main() {
    let c = Catalog::builtin().expect("catalog");
    for id in std::env::args().skip(1) {
        match inference_evaluation(&c, &InferCalibration::default(), &id) {
            Ok((points, note)) => {
                println!("{id}: {note}");
                for (pt, r) in points {
                    let s = r.step;
                    println!(
                        "  input {} (weight {:.2}): batch {} ({}) tok/s {:.0} ttft {:.3}s tpot {:.2}ms | step {:.2}ms = gemm c{:.2}/m{:.2} attn c{:.2}/m{:.2} comm {:.2} over {:.2}",
                        pt.input,
                        pt.weight,
                        r.batch,
                        r.max_batch_limited_by,
                        r.output_tokens_per_s,
                        r.ttft_s,
                        r.tpot_s * 1e3,
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
            Err(why) => println!("{id}: {why}"),
        }
    }
}
