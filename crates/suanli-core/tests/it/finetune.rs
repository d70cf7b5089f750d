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

fn h100_replica(model: &str, tp: u32) -> (suanli_core::infer::Replica, Cluster) {
    use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model(model).expect("model");
    let cluster =
        Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp, pp: 1, ep: 1, precision: Precisions::uniform(Precision::Bf16) };
    let engine = Engine { max_batch: 1024, max_tokens: 16384, kv_memory_fraction: 0.9, max_new_tokens: None };
    (Replica::new(spec, &cluster, &cfg, &engine, &InferCalibration::default()), cluster)
}

#[test]
fn response_lengths_keep_the_mean_and_the_cap() {
    use suanli_core::finetune::response_lengths;
    for (n, mean, cap) in
        [(128u32, 900.0, 3968u32), (256, 3100.0, 3968), (64, 600.0, 1408), (2048, 5500.0, 8064)]
    {
        let l = response_lengths(n, mean, cap);
        assert_eq!(l.len(), n as usize);
        assert!(l.iter().all(|&x| (1..=cap).contains(&x)), "within 1..={cap}");
        let m = l.iter().map(|&x| f64::from(x)).sum::<f64>() / f64::from(n);
        assert!((m / mean - 1.0).abs() < 0.02, "mean {m} for {mean}");
        // A long-tailed law: the longest is well above the mean (or at the cap).
        let longest = *l.iter().max().expect("lengths");
        assert!(f64::from(longest) > 2.0 * mean || longest == cap, "longest {longest} for mean {mean}");
    }
    // Every quantile once: the sorted lengths are the same whatever the order.
    let mut a = response_lengths(100, 500.0, 4000);
    a.sort_unstable();
    assert!(a.windows(2).all(|w| w[0] <= w[1]) && a[0] < a[99]);
}

#[test]
fn generation_waits_for_the_longest_response_and_grows_with_the_work() {
    use suanli_core::finetune::{response_lengths, simulate_generation};
    let (rep, _) = h100_replica("llama3.1-8b", 1);
    let lengths = response_lengths(128, 900.0, 3968);
    let run = simulate_generation(&rep, 128, &lengths, 1024, 16384).expect("fits");
    let longest = f64::from(run.longest);
    // The tail: the longest response decodes one token a step, each step at least a batch-1
    // step's time.
    let one = rep.step(1.0, 128.0 + longest / 2.0, 0.0, 0.0, 1.0).total_s;
    assert!(run.seconds >= longest * one * 0.99, "{} s < {longest} × {one}", run.seconds);
    assert_eq!(run.steps, u64::from(run.longest), "all 128 fit at once: steps = the longest");
    assert_eq!(run.preemptions, 0);
    // Twice the rollouts never take less time; a batch-limited engine takes longer.
    let two: Vec<u32> = lengths.iter().chain(lengths.iter()).copied().collect();
    let run2 = simulate_generation(&rep, 128, &two, 1024, 16384).expect("fits");
    assert!(run2.seconds >= run.seconds);
    let capped = simulate_generation(&rep, 128, &lengths, 16, 16384).expect("fits");
    assert!(capped.seconds > run.seconds && capped.peak_batch == 16);
    // Degenerate input ends: nothing to generate takes no time; a zero length counts as one token.
    let none = simulate_generation(&rep, 128, &[], 1024, 16384).expect("empty");
    assert_eq!((none.seconds, none.steps), (0.0, 0));
    let zero = simulate_generation(&rep, 128, &[0, 3], 0, 16384).expect("finishes");
    assert_eq!(zero.steps, 4, "one sequence at a time (max_seqs 0 acts as 1): 1 + 3 steps");
}

#[test]
fn off_policy_steps_pipeline_generation_with_training_and_stall_for_the_refit() {
    use suanli_core::finetune::{response_lengths, simulate_async_generation, simulate_generation};
    let (rep, _) = h100_replica("llama3.1-8b", 1);
    // 2,048 rollouts of 64 prompt groups over 8 replicas, 128 seats each (AsyncLLM).
    let all = response_lengths(2048, 1000.0, 3968);
    let period = |train: f64, refit: f64| {
        simulate_async_generation(&rep, 128, &all, 64, 8, (128, 2048), train, refit).expect("fits").seconds
    };
    // Training-bound: the loop's period is log-probs + training + refit, exactly.
    assert!((period(500.0, 5.0) - 505.0).abs() < 1e-6);
    // Generation-bound: the engine's steady state, not drained between steps, beats one
    // replica's share started on an empty engine (two waves of 128 and a long tail) ...
    let share = response_lengths(256, 1000.0, 3968);
    let drained = simulate_generation(&rep, 128, &share, 128, 2048).expect("fits").seconds;
    let steady = period(0.0, 0.0);
    assert!(steady < drained, "{steady} vs {drained}");
    // ... but no seat does more than a seat's work: at least the decoded tokens over the seats.
    let tokens: f64 = all.iter().map(|&x| f64::from(x)).sum();
    let fastest = rep.step(1.0, 128.0, 0.0, 0.0, 1.0).total_s;
    assert!(steady >= tokens / (8.0 * 128.0) * fastest);
    // The engine stands still while the weights load: a refit lengthens a generation-bound
    // step by about its own time; the period never falls as work or the refit grows.
    let with_refit = period(0.0, 10.0);
    assert!(with_refit >= steady + 9.0 && with_refit <= steady + 11.0, "{with_refit} vs {steady}");
    let mut last = 0.0;
    for train in [0.0, 20.0, 40.0, 80.0, 160.0] {
        let p = period(train, 1.0);
        assert!(p + 1e-9 >= last && p + 1e-9 >= train + 1.0, "{train}: {p}");
        last = p;
    }
    let longer = response_lengths(2048, 1500.0, 3968);
    let p_longer =
        simulate_async_generation(&rep, 128, &longer, 64, 8, (128, 2048), 0.0, 0.0).expect("fits").seconds;
    assert!(p_longer > steady);
}

#[test]
fn a_full_kv_cache_preempts_and_still_finishes() {
    use suanli_core::finetune::{response_lengths, simulate_generation};
    let (rep, _) = h100_replica("qwen3-32b", 2);
    let lengths = response_lengths(1024, 3100.0, 3968);
    let run = simulate_generation(&rep, 128, &lengths, 1024, 16384).expect("fits");
    let tokens: f64 = lengths.iter().map(|&x| f64::from(x)).sum();
    assert!(f64::from(run.peak_batch) < 1024.0, "the KV cache limits the batch");
    assert!(run.peak_batch as f64 * 3968.0 >= rep.memory.kv_tokens * 0.5);
    // At least the decode tokens at the peak batch.
    assert!(run.steps as f64 >= tokens / f64::from(run.peak_batch));
}

#[test]
fn refit_counts_the_checkpoint_tensors_and_moe_refits_slower() {
    use suanli_core::finetune::weight_tensors;
    let c = Catalog::builtin().expect("catalog");
    let n = |m: &str| weight_tensors(c.model(m).expect("model"));
    assert!((n("llama3.1-8b") - 291.0).abs() < 0.5, "Llama 3.1 8B's checkpoint holds 291 tensors");
    // Qwen3-30B-A3B: 48 layers of 128 experts × 3 matrices dominate.
    assert!(n("qwen3-30b-a3b") > 48.0 * 128.0 * 3.0);
    assert!(n("qwen3-30b-a3b") > 20.0 * n("qwen3-32b"));
}

/// One NeMo-RL-style GRPO step of Llama 3.1 8B on 16 H100s: 2,048 rollouts of 128 + ~900
/// tokens, trained data parallel with full recompute.
fn llama_rl_step(colocated: bool, generation: Precision) -> (suanli_core::finetune::RlStepPlan, (f64, f64)) {
    use suanli_core::finetune::{RlStepSpec, plan_rl_step};
    use suanli_core::train::{Layout, Recompute, evaluate};
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-8b").expect("model");
    let cluster =
        Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let train_gpus = if colocated { 16 } else { 8 };
    let w = Workload { global_batch: 512, seq_len: 1024, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let train = evaluate(&p, &Layout::model_and_data_parallel(1, 1, train_gpus, 4, Recompute::Full, 1));
    let job = RlStepSpec {
        rollouts: 2048,
        prompt_len: 128,
        mean_response_len: 896.0,
        max_response_len: 3968,
        train_global_batch: 512,
        gpus: 16,
        generation_tp: 1,
        colocated,
        generation_gpus: if colocated { 16 } else { 8 },
        generation_memory_fraction: if colocated { 0.6 } else { 0.8 },
        generation_precision: generation,
        max_seqs: 1024,
        max_batched_tokens: 16384,
        prompt_groups: 64,
    };
    let plan = plan_rl_step(spec, &cluster, &train, &job).expect("plans");
    let gib = 1024.0 * 1024.0 * 1024.0;
    let m = &train.memory;
    (plan, (m.weights_gib * gib, m.optimizer_gib * gib))
}

#[test]
fn rl_refit_moves_the_whole_bf16_model_and_a_colocated_step_pays_the_host_switch() {
    use suanli_core::finetune::{PAGEABLE_HOST_BYTES_PER_S, REFIT_SECONDS_PER_TENSOR, weight_tensors};
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-8b").expect("model");
    let cluster =
        Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let phase = |plan: &suanli_core::finetune::RlStepPlan, n: &str| {
        plan.phases.iter().find(|p| p.name == n).map(|p| p.seconds)
    };
    let bytes = 2.0 * spec.params().total;
    let host_cost = weight_tensors(spec) * REFIT_SECONDS_PER_TENSOR;

    // Separate generation GPUs: one training GPU broadcasts the whole bf16 model, whatever
    // precision vLLM generates in; no host switch.
    let (apart, _) = llama_rl_step(false, Precision::Bf16);
    let (apart_fp8, _) = llama_rl_step(false, Precision::Fp8);
    let link = cluster.scale_up_bytes_per_s.min(f64::from(cluster.node_size) * cluster.scale_out_bytes_per_s);
    let refit = phase(&apart, "refit").expect("refit");
    assert!((refit - (bytes / link + host_cost)).abs() < 1e-9 * refit, "{refit}");
    assert_eq!(phase(&apart_fp8, "refit"), Some(refit));
    assert!(phase(&apart, "switch").is_none());

    // Colocated: the refit copies through an IPC buffer in HBM, and the step moves vLLM's
    // weights and the policy's state to host memory and back.
    let (together, (weights, optimizer)) = llama_rl_step(true, Precision::Bf16);
    let refit = phase(&together, "refit").expect("refit");
    assert!((refit - (4.0 * bytes / cluster.hbm_bytes_per_s + host_cost)).abs() < 1e-9 * refit);
    // The weights (vLLM's and the policy's) go to pinned host memory and back over the link;
    // the gradient buffers are freed, not copied; the Adam moments (8 of the optimizer's 12
    // bytes a parameter shard) go through fresh pageable memory at the slower pageable rate.
    let switch = phase(&together, "switch").expect("switch");
    let expected = 2.0 * (bytes + weights) / cluster.host_bytes_per_s
        + 2.0 * optimizer * (8.0 / 12.0) / PAGEABLE_HOST_BYTES_PER_S;
    assert!((switch - expected).abs() < 1e-9 * expected, "{switch} vs {expected}");
    assert!(PAGEABLE_HOST_BYTES_PER_S < cluster.host_bytes_per_s, "pageable copies are slower than pinned");
    assert!(switch > 1.0, "8B: tens of GB a GPU each way through host memory take over a second");
    let sum: f64 = together.phases.iter().map(|p| p.seconds).sum();
    assert!((together.step_s - sum).abs() < 1e-9 * sum, "colocated phases run one after another");
}

#[test]
fn rl_logprobs_run_without_the_training_recompute_and_swap_the_reference_weights() {
    use suanli_core::model::forward_flops_per_token;
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-8b").expect("model");
    let cluster =
        Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("cluster");
    let (plan, _) = llama_rl_step(true, Precision::Bf16);
    let lp = plan.phases.iter().find(|p| p.name == "logprobs").expect("logprobs");
    let tokens = 2048.0 * (128.0 + 896.0);
    let at_train_rate = lp.flops / (16.0 * cluster.peak_flops);
    assert!((lp.flops - 2.0 * tokens * forward_flops_per_token(spec, 1024.0)).abs() < 1e-6 * lp.flops);
    // The same phase's FLOPs at the training step's MFU would take 4/3 as long, less the swap.
    let w = Workload { global_batch: 512, seq_len: 1024, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let train = suanli_core::train::evaluate(
        &p,
        &suanli_core::train::Layout::model_and_data_parallel(
            1,
            1,
            16,
            4,
            suanli_core::train::Recompute::Full,
            1,
        ),
    );
    let swap = 3.0 * train.memory.weights_gib * 1024.0 * 1024.0 * 1024.0 / cluster.host_bytes_per_s;
    let compute = at_train_rate / train.mfu * 3.0 / 4.0;
    assert!(
        (lp.seconds - (compute + swap)).abs() < 1e-9 * lp.seconds,
        "{} vs {}",
        lp.seconds,
        compute + swap
    );
    assert!(swap > 0.5, "three copies of 16 GB over PCIe");
}
