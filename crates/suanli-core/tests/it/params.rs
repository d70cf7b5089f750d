use suanli_core::Catalog;

use crate::rel;

#[test]
fn published_parameter_counts_within_two_percent() {
    let c = Catalog::builtin().expect("catalog");
    let mut checked = 0;
    for m in &c.models {
        let p = m.params();
        if let Some(f) = &m.published_params_b {
            let err = rel(p.total / 1e9, f.v);
            assert!(
                err < 0.02,
                "{}: computed {:.2}B vs published {}B ({:.2} %)",
                m.id,
                p.total / 1e9,
                f.v,
                err * 100.0
            );
            checked += 1;
        }
        if let Some(f) = &m.published_active_params_b {
            let err = rel(p.active / 1e9, f.v);
            assert!(err < 0.02, "{}: active {:.2}B vs {}B", m.id, p.active / 1e9, f.v);
        }
    }
    assert!(checked >= 25, "only {checked} models have published counts");
}

#[test]
fn dense_models_have_all_params_active_and_moe_fewer() {
    let c = Catalog::builtin().expect("catalog");
    for m in &c.models {
        let p = m.params();
        if m.moe.is_none() {
            assert_eq!(p.total, p.active, "{}", m.id);
        } else {
            assert!(p.active < p.total / 3.0, "{}", m.id);
        }
        let parts = p.embedding + p.unembedding + p.attention + p.ffn + p.experts + p.norms;
        assert!(rel(parts, p.total) < 1e-12, "{}: parts sum to the total", m.id);
    }
}

#[test]
fn forward_flops_grow_with_context_and_match_2n_without_it() {
    use suanli_core::model::{attention_flops_per_token, forward_flops_per_token};
    let c = Catalog::builtin().expect("catalog");
    let m = c.model("llama2-7b").expect("model");
    let p = m.params();
    let base = forward_flops_per_token(m, 0.0);
    // 2 FLOP per multiply-add over every weight but the input embedding lookup.
    assert!(rel(base, 2.0 * (p.total - p.embedding)) < 1e-12);
    let at_4k = forward_flops_per_token(m, 4096.0);
    assert!(at_4k > base);
    // 4·L·c·h·d_head for standard attention.
    assert_eq!(attention_flops_per_token(m, 4096.0), 4.0 * 32.0 * 4096.0 * 32.0 * 128.0);
}
