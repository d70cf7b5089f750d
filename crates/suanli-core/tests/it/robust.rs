//! Issue 12 in the core: out-of-range inputs are errors naming the key and the accepted range,
//! and counts derived from user input never wrap.

use suanli_core::Catalog;
use suanli_core::finetune::{Placement, RlAlgorithm, RlhfSpec, plan_rlhf};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Candidates, Cluster, Constraints, MAX_LAYOUTS, Workload};

fn accelerator_block(id: &str) -> String {
    let text = include_str!("../../catalog/accelerators.toml");
    let start = text.find(&format!("id = \"{id}\"")).unwrap();
    let end = start + text[start..].find("[[accelerator]]").unwrap();
    format!("[[accelerator]]\n{}", &text[start..end])
}

#[test]
fn catalog_figures_out_of_their_physical_range_name_key_and_range() {
    for (from, to, key, range) in [
        ("memory_bw_tbs = { v = 3.35", "memory_bw_tbs = { v = 1e-320", "memory_bw_tbs", "1e-4 to 1e5 TB/s"),
        ("memory_gb = { v = 80", "memory_gb = { v = 8e9", "memory_gb", "GB"),
        ("tdp_w = { v = 700", "tdp_w = { v = 0.5", "tdp_w", "W"),
        ("bf16 = { v = 989.4", "bf16 = { v = 1e300", "dense_tflops.bf16", "TFLOP/s"),
        ("cloud_usd_per_hour = { v = 2.99", "cloud_usd_per_hour = { v = 1e9", "cloud_usd_per_hour", "USD/h"),
        ("price = { v = 30000", "price = { v = 1e-300", "price", "1e-6"),
    ] {
        let block = accelerator_block("h100-sxm");
        assert!(block.contains(from), "{from}");
        let mut c = Catalog::parse_builtin().unwrap();
        c.merge_toml(&block.replace(from, to), "user.toml").unwrap();
        let e = c.check("user.toml").unwrap_err().to_string();
        assert!(e.contains(&format!("accelerator.h100-sxm.{key}")) && e.contains(range), "{e}");
        assert!(!e.contains('\n'));
    }
    // The built-in catalog is within every range.
    Catalog::parse_builtin().unwrap().check("built-in").unwrap();
}

#[test]
fn catalog_model_shapes_are_bounded() {
    let text = include_str!("../../catalog/models.toml");
    let start = text.find("id = \"llama3.1-8b\"").unwrap();
    let end = start + text[start..].find("[[model]]").unwrap();
    let block = format!("[[model]]\n{}", &text[start..end]).replace("layers = 32", "layers = 2147483648");
    let mut c = Catalog::parse_builtin().unwrap();
    c.merge_toml(&block, "user.toml").unwrap();
    let e = c.check("user.toml").unwrap_err().to_string();
    assert!(e.contains("model.llama3.1-8b.layers") && e.contains("at most 100000"), "{e}");
}

#[test]
fn rlhf_counts_that_leave_u32_are_refused() {
    let c = Catalog::builtin().unwrap();
    let spec = c.model("llama3.1-8b").unwrap();
    let cluster = Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).unwrap();
    let job = RlhfSpec {
        algorithm: RlAlgorithm::Grpo,
        prompts: u32::MAX,
        prompt_len: u32::MAX,
        response_len: 2,
        group: 8,
        ppo_epochs: 1,
        gpus: u32::MAX,
        placement: Placement::Separated,
    };
    assert_eq!(job.sequence_len(), None);
    assert_eq!(job.sequences(), None);
    let e = job.check(spec, "command line").unwrap_err().to_string();
    assert!(e.contains("prompt_len + response_len") && e.contains("131072"), "{e}");
    assert!(plan_rlhf(spec, &cluster, &job).is_none());
    let e = RlhfSpec { prompt_len: 100, ..job }.check(spec, "command line").unwrap_err().to_string();
    assert!(e.contains("prompts"), "{e}");
}

#[test]
fn a_search_space_over_the_bound_is_an_error_naming_it() {
    let c = Catalog::builtin().unwrap();
    let mut m = c.model("llama3.1-8b").unwrap().clone();
    m.layers = 3_603_600; // 360 divisors
    let w = Workload { global_batch: 3_603_600, seq_len: 4096, precision: Precision::Bf16 };
    let cons = Constraints { max_gpus: u64::MAX, ..Constraints::default() };
    let e = Candidates::try_new(&m, &w, &cons, 8).unwrap_err().to_string();
    assert!(
        e.contains("at most") && (e.contains(&MAX_LAYOUTS.to_string()) || e.contains("combinations")),
        "{e}"
    );
    assert!(Candidates::new(&m, &w, &cons, 8).outer.is_empty());
    // A normal search is well inside.
    let m = c.model("llama3.1-70b").unwrap();
    let w = Workload { global_batch: 1024, seq_len: 8192, precision: Precision::Bf16 };
    assert!(!Candidates::try_new(m, &w, &cons, 8).unwrap().outer.is_empty());
}

#[test]
fn extreme_layouts_evaluate_without_wrapping() {
    use suanli_core::finetune::{BaseWeights, LoraSpec, Target, plan_lora};
    use suanli_core::train::{Layout, Prepared, Recompute, Stack, evaluate};
    let c = Catalog::builtin().unwrap();
    let spec = c.model("llama3.1-8b").unwrap();
    let cluster = Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).unwrap();
    let w = Workload { global_batch: u32::MAX, seq_len: 1 << 31, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    for (tp, pp, dp, cp, vp, mb) in [
        (1, 1, 1 << 31, 1 << 31, 1, 1),
        (8, 32, u32::MAX, u32::MAX, u32::MAX, u32::MAX),
        (u32::MAX, u32::MAX, u32::MAX, u32::MAX, 1, 1),
        (1, 2, 65_536, 1, 1 << 31, 65_536),
    ] {
        let l = Layout { cp, vp, ..Layout::model_and_data_parallel(tp, pp, dp, mb, Recompute::Full, 1) };
        let e = evaluate(&p, &l);
        assert!(e.gpus >= u64::from(dp), "{l:?}: no wrapped GPU count");
        assert!(l.check(spec, &w, "cli").is_err(), "{l:?} is refused");
    }
    let job = LoraSpec {
        rank: 16,
        targets: vec![Target::Q, Target::V],
        base: BaseWeights::Nf4,
        gpus: 65_536,
        micro_batch: 65_536,
        global_batch: u32::MAX,
        seq_len: 1 << 20,
        checkpointing: true,
        offload_checkpoints: false,
        fused_loss: false,
        tokens: 1e15,
    };
    let w = Workload { global_batch: job.global_batch, seq_len: job.seq_len, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let plan = plan_lora(spec, &cluster, &job, &p).unwrap();
    assert!(plan.step_time_s > 0.0);
}
