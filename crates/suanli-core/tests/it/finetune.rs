//! Fine-tuning: LoRA/QLoRA memory against the published single-card results, trainable
//! parameters by hand, the LoRA FLOP ratio, and RLHF phase shares.

use suanli_core::Catalog;
use suanli_core::finetune::{
    BaseWeights, LoraSpec, Placement, RlAlgorithm, RlhfSpec, Target, lora_params, parse_targets, plan_lora,
    plan_rlhf,
};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster, Prepared, Stack, Workload};

fn lora(model: &str, gpu: &str, base: BaseWeights, targets: &str) -> suanli_core::finetune::LoraPlan {
    lora_with(model, gpu, base, targets, 512, false)
}

fn lora_with(
    model: &str,
    gpu: &str,
    base: BaseWeights,
    targets: &str,
    seq_len: u32,
    unsloth: bool,
) -> suanli_core::finetune::LoraPlan {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model(model).expect("model");
    let cluster = Cluster::new(&c, gpu, None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let w = Workload { global_batch: 16, seq_len, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let job = LoraSpec {
        rank: 16,
        targets: parse_targets(targets).expect("targets"),
        base,
        gpus: 1,
        micro_batch: 1,
        global_batch: 16,
        seq_len,
        checkpointing: true,
        offload_checkpoints: unsloth,
        fused_loss: unsloth,
        tokens: 1e7,
    };
    plan_lora(spec, &cluster, &job, &p).expect("plan")
}

#[test]
fn lora_7b_fits_a_24gb_card_and_qlora_70b_a_48gb_card() {
    let small = lora("llama2-7b", "l4", BaseWeights::Bf16, "attention");
    assert!(small.fits, "LoRA 7B on 24 GB: {:.1} GiB", small.memory.total_gib);
    // Dettmers et al. 2023: a 65B model fine-tuned with QLoRA on one 48 GB GPU.
    let q65 = lora("llama-65b", "l40s", BaseWeights::Nf4, "attention");
    assert!(q65.fits, "QLoRA 65B on 48 GB: {:.1} GiB", q65.memory.total_gib);
    let q70 = lora("llama2-70b", "l40s", BaseWeights::Nf4, "attention");
    assert!(q70.fits, "QLoRA 70B on 48 GB: {:.1} GiB", q70.memory.total_gib);
    // The same model with a bf16 base does not fit: 4-bit storage is what makes it fit.
    let bf16 = lora("llama2-70b", "l40s", BaseWeights::Bf16, "attention");
    assert!(!bf16.fits);
    assert!(q70.memory.base_weights_gib < 0.27 * bf16.memory.base_weights_gib);
}

#[test]
fn offloaded_checkpoints_and_a_fused_loss_free_memory_that_grows_with_depth_and_vocabulary() {
    // Llama 3.1 8B QLoRA at 32k tokens on an H100: 32 layer checkpoints of 32k × 4,096 bf16
    // (8 GiB) and 32k × 128,256 logits stay on the GPU unless offloaded and fused.
    let plain = lora_with("llama3.1-8b", "h100-sxm", BaseWeights::Nf4, "all", 32_768, false);
    let unsloth = lora_with("llama3.1-8b", "h100-sxm", BaseWeights::Nf4, "all", 32_768, true);
    let checkpoints = 30.0 * 2.0 * 32_768.0 * 4096.0 / f64::from(1u32 << 30);
    let saved = plain.memory.activations_gib - unsloth.memory.activations_gib;
    assert!((saved - checkpoints).abs() < 1e-9, "30 of 32 checkpoints leave: {saved} GiB");
    assert_eq!(unsloth.memory.logits_gib, 0.0);
    assert!(plain.memory.logits_gib > 2.0);
    assert_eq!(plain.memory.base_weights_gib, unsloth.memory.base_weights_gib);
    // The copies (8 GiB out and back over PCIe 5.0, ≈ 0.3 s) hide under a step of seconds.
    assert!(unsloth.step_time_s >= plain.step_time_s && unsloth.step_time_s < plain.step_time_s * 1.01);
}

#[test]
fn trainable_parameters_match_a_hand_computation() {
    let c = Catalog::builtin().expect("catalog");
    // Llama 2 7B, rank 16 on q, k, v, o: 32 layers × 4 × 16 × (4096 + 4096).
    let m = c.model("llama2-7b").expect("model");
    let attn = parse_targets("attention").expect("targets");
    assert_eq!(lora_params(m, 16, &attn), Ok(32.0 * 4.0 * 16.0 * 8192.0));
    // Llama 3.1 8B (GQA), rank 8 on q and v: q is 4096→4096, v is 4096→1024.
    let m = c.model("llama3.1-8b").expect("model");
    assert_eq!(lora_params(m, 8, &[Target::Q, Target::V]), Ok(32.0 * 8.0 * (8192.0 + 5120.0)));
    // Rank 64 on all linear layers of LLaMA 65B (QLoRA's setting): q,k,v,o and gate, up, down.
    let m = c.model("llama-65b").expect("model");
    let all = parse_targets("all").expect("targets");
    let per_layer = 64.0 * (4.0 * 16_384.0 + 3.0 * (8192.0 + 22_016.0));
    assert_eq!(lora_params(m, 64, &all), Ok(80.0 * per_layer));
    assert!(lora_params(m, 0, &all).is_err());
    assert!(lora_params(m, 9000, &all).is_err());
    assert!(parse_targets("q,wq").is_err());
}

#[test]
fn lora_flops_are_about_two_thirds_of_full_fine_tuning() {
    let p = lora("llama2-7b", "h100-sxm", BaseWeights::Bf16, "attention");
    let ratio = p.flops_per_token / p.full_flops_per_token;
    assert!((ratio - 2.0 / 3.0).abs() < 0.02, "{ratio}");
}

#[test]
fn generation_dominates_long_responses_training_short_ones() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama2-70b").expect("model");
    let cluster =
        Cluster::new(&c, "a100-sxm-80gb", None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let share = |r: u32, name: &str| {
        let job = RlhfSpec {
            algorithm: RlAlgorithm::Ppo,
            prompts: 512,
            prompt_len: 256,
            response_len: r,
            group: 1,
            ppo_epochs: 1,
            gpus: 64,
            placement: Placement::Colocated,
        };
        let plan = plan_rlhf(spec, &cluster, &job).expect("plan");
        plan.phases.iter().find(|p| p.name == name).map_or(0.0, |p| p.share)
    };
    let mut last = 0.0;
    for r in [32, 256, 1024, 2048] {
        let g = share(r, "generation");
        assert!(g >= last, "generation share grows with response length");
        last = g;
    }
    assert!(share(32, "training") > share(32, "generation"));
    assert!(share(2048, "generation") > share(2048, "training"));
}
