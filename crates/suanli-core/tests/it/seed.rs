//! Every figure of the seed (shared/seed/CLAIMS.md, S1–S14), exactly.

use suanli_core::Catalog;
use suanli_core::plan::{PlanReport, plan};
use suanli_core::scenario::Scenario;
use suanli_core::sigfig::round_sig;

fn report() -> PlanReport {
    let s = Scenario::chatgpt_2023().expect("embedded scenario");
    plan(&s, &Catalog::builtin().expect("catalog"), "chatgpt").expect("plans")
}

fn v(r: &PlanReport, key: &str) -> f64 {
    r.figure(key).unwrap_or_else(|| panic!("figure {key}")).value
}

#[test]
fn s2_pretraining_compute() {
    let r = report();
    assert_eq!(round_sig(v(&r, "pretraining.compare.gpt3-small.pf_days"), 2), 2.6);
    assert_eq!(round_sig(v(&r, "pretraining.pf_days"), 3), 3640.0);
}

#[test]
fn s3_to_s6_inference_and_finetune() {
    let r = report();
    assert_eq!(v(&r, "inference.monthly_interactions"), 8.89e8);
    assert!((v(&r, "inference.monthly_cost_usd") - 8.89e6).abs() < 1e-6);
    assert_eq!(format!("{:.1}", v(&r, "inference.pf_days_per_month")), "7034.7");
    assert_eq!(format!("{:.1}", v(&r, "finetune.pf_days_per_month")), "1350.4");
}

#[test]
fn s7_s8_chip_costs() {
    let r = report();
    assert_eq!(v(&r, "chip_cost.nf5280m6.min"), 64_000.0);
    assert_eq!(v(&r, "chip_cost.nf5280m6.max"), 128_000.0);
    assert_eq!(v(&r, "chip_cost.nf5688m6-a800.max"), 960_000.0);
}

#[test]
fn s9_servers_at_sparse_peak_with_the_seeds_rounding() {
    let r = report();
    assert_eq!(v(&r, "pretraining.servers.3d").round(), 243.0);
    assert_eq!(v(&r, "pretraining.servers.5d").round(), 146.0);
    assert_eq!(v(&r, "pretraining.servers.10d").round(), 73.0);
    let server = r.server.as_ref().expect("server");
    assert!((server.analyst_pflops - 4.992).abs() < 1e-12);
    assert!((server.dense_pflops - 2.496).abs() < 1e-12);
    let caveat = r.figure("pretraining.servers.3d").and_then(|f| f.caveat.clone()).expect("caveat");
    assert!(caveat.contains("sparsity") && caveat.contains("100 %"), "{caveat}");
    // First principles: dense peak needs twice as many; the training planner, with a real
    // layout at GPT-3's batch, several times more, and always at least the dense bound.
    assert!(v(&r, "pretraining.servers_dense_peak.3d") >= 2.0 * 243.0);
    for d in ["3d", "5d", "10d"] {
        let planned = v(&r, &format!("pretraining.servers_planned.{d}"));
        assert!(planned >= v(&r, &format!("pretraining.servers_dense_peak.{d}")), "{d}");
        let f = r.figure(&format!("pretraining.servers_planned.{d}")).expect("figure");
        assert!(f.caveat.as_deref().is_some_and(|c| c.starts_with("layout tp ")), "{d}: layout shown");
    }
    assert!(v(&r, "pretraining.servers_planned.3d") > v(&r, "pretraining.servers_planned.10d"));
}

#[test]
fn s10_s11_growth_and_the_flagged_cagr() {
    let r = report();
    assert_eq!(format!("{:.1}", v(&r, "market.growth.2021-2022") * 100.0), "72.7");
    assert_eq!(format!("{:.1}", v(&r, "market.cagr.2022-2026") * 100.0), "47.6");
    assert_eq!(format!("{:.1}", v(&r, "market.cagr.2021-2026") * 100.0), "52.3");
    let s11 = r.claims.iter().find(|c| c.reference == "S11").expect("S11 checked");
    assert!(!s11.reproduced);
    assert_eq!(s11.stated, "69.2%");
    assert_eq!(s11.implied, "47.6%");
    let s10 = r.claims.iter().find(|c| c.reference == "S10").expect("S10 checked");
    assert!(s10.reproduced);
}

#[test]
fn every_claim_but_s11_is_reproduced() {
    let r = report();
    assert_eq!(r.claim_summary.flagged, vec!["S11".to_string()]);
    assert_eq!(r.claim_summary.total, 14);
    assert_eq!(r.claim_summary.reproduced, 13);
}

#[test]
fn s1_s12_s13_s14_are_shown() {
    let r = report();
    assert!((v(&r, "market.share.2021.training") - 0.424).abs() < 1e-12);
    assert!((v(&r, "market.share.2026.training") - 0.378).abs() < 1e-12);
    assert_eq!(v(&r, "servers.dgx-2.accelerators"), 16.0);
    assert_eq!(v(&r, "servers.dgx-station-a100.accelerators"), 4.0);
    assert!(r.figure("servers.sugon-x785-g40.accelerators").expect("S12").label.contains("inference"));
    assert_eq!(v(&r, "unit_economics.budget.0.servers"), 10.0);
    assert_eq!(v(&r, "unit_economics.budget.1.servers"), 20.0);
    assert_eq!(v(&r, "unit_economics.training_runs_funded"), 10.0);
    assert!(v(&r, "unit_economics.tutoring.ai_cny_per_hour") > 0.0);
}

#[test]
fn fine_tuning_has_a_first_principles_estimate_beside_1350_4() {
    let r = report();
    let f = r.figure("finetune.pf_days_per_month_planned").expect("planned fine-tuning");
    assert!(f.value > 0.0);
    let caveat = f.caveat.as_deref().expect("assumptions");
    for word in ["PPO", "iterations", "prompts", "epochs", "SFT tokens", "1,350.4"] {
        assert!(caveat.contains(word), "{word} in {caveat}");
    }
    assert!(v(&r, "finetune.servers_planned") >= 1.0);
    // Serving, bottom-up: the inference planner's fleet for the peak hour.
    assert!(v(&r, "inference.servers_planned") > v(&r, "inference.servers_analyst"));
}
