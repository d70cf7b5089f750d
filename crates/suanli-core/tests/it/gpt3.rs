//! GPT-3 Table D.1 (Brown et al. 2020): training compute of the eight GPT-3 sizes.

use suanli_core::Catalog;
use suanli_core::analyst::pretraining_pf_days_6nd;
use suanli_core::model::training_flops_6nd;

use crate::rel;

const CSV: &str = include_str!("../../../../validation/gpt3-compute.csv");

#[test]
fn table_d1_within_one_percent_for_every_row() {
    let c = Catalog::builtin().expect("catalog");
    let mut rows = 0;
    for line in CSV.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().expect("number");
        let (id, params_m, layers, d_model, tokens_b, pf_days, flops) =
            (f[0], num(1), num(2), num(3), num(6), num(7), num(8));
        let m = c.model(id).expect("catalogued");
        assert_eq!(f64::from(m.layers), layers, "{id} layers");
        assert_eq!(f64::from(m.hidden), d_model, "{id} d_model");
        let n = m.params().total;
        assert!(rel(n, params_m * 1e6) < 0.01, "{id}: {n} params vs {params_m}M");
        let computed = pretraining_pf_days_6nd(n, tokens_b * 1e9);
        assert!(rel(computed, pf_days) < 0.01, "{id}: {computed} vs {pf_days} PF/s-days");
        assert!(rel(training_flops_6nd(n, tokens_b * 1e9), flops) < 0.01, "{id}: FLOP");
        rows += 1;
    }
    assert_eq!(rows, 8);
}
