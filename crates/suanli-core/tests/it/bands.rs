//! The error bands every answer carries: current with the published set, and honest — the band
//! of a row's family holds the published value for at least 80 % of the rows.

use suanli_core::Catalog;
use suanli_core::published::report;
use suanli_core::uncertainty::{BANDS_CSV, band, bands_csv, workload_of};

#[test]
fn checked_in_bands_are_current_and_cover_80_percent() {
    let c = Catalog::builtin().expect("catalog");
    let rep = report(&c);
    let arch = |g: &str| c.accelerator(g).ok().and_then(|a| a.arch.clone());
    assert_eq!(
        bands_csv(&rep, &arch),
        BANDS_CSV,
        "validation/bands.csv is stale: run `cargo run --release -- validate bands -o validation/bands.csv`"
    );
    let (mut inside, mut rows) = (0usize, 0usize);
    for r in rep.rows.iter().filter(|r| r.refused.is_none() && r.file != "memory" && r.scenario != "server") {
        let Some(p) = r.predicted else { continue };
        let throughput = matches!(
            r.metric.as_str(),
            "tokens_per_s_per_gpu" | "output_tokens_per_s" | "model_tflops_per_gpu"
        );
        if !throughput && r.metric != "step_time_s" {
            continue;
        }
        let b = band(workload_of(r.file, &r.scenario), arch(&r.gpu).as_deref())
            .expect("every answered workload has a band");
        let (lo, hi) = if throughput { b.throughput(p) } else { b.time(p) };
        rows += 1;
        if (lo * (1.0 - 1e-9)..=hi * (1.0 + 1e-9)).contains(&r.published) {
            inside += 1;
        }
    }
    assert!(rows > 400, "{rows} rows");
    let share = inside as f64 / rows as f64;
    assert!(share >= 0.8, "the bands hold {inside} of {rows} published values ({:.1} %)", share * 100.0);
}
