//! The training planner: published runs, the Megatron-LM 34-day estimate, memory rules and
//! properties over many layouts.

use suanli_core::Catalog;
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Evaluation, Layout, Objective, Prepared, Recompute,
    RecomputeModules, Stack, Workload, evaluate, search,
};
use suanli_core::validation::{summarise, training};

struct Setup {
    spec: ModelSpec,
    cluster: Cluster,
}

fn setup(model: &str, gpu: &str, precision: Precision) -> Setup {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model(model).expect("model").clone();
    let cluster = Cluster::new(&c, gpu, None, precision, &Calibration::default()).expect("cluster");
    Setup { spec, cluster }
}

fn eval(s: &Setup, w: &Workload, stack: Stack, l: Layout) -> Evaluation {
    let p = Prepared::new(&s.spec, &s.cluster, w, &Calibration::default(), &stack);
    l.check(&s.spec, w, "test").expect("valid layout");
    evaluate(&p, &l)
}

fn layout(tp: u32, pp: u32, dp: u32, micro_batch: u32, recompute: Recompute, zero: u8) -> Layout {
    Layout::model_and_data_parallel(tp, pp, dp, micro_batch, recompute, zero)
}

const GPT3_BATCH: Workload = Workload { global_batch: 1536, seq_len: 2048, precision: Precision::Bf16 };

#[test]
fn every_published_run_within_15_percent_median_within_7() {
    let c = Catalog::builtin().expect("catalog");
    let (rows, layouts) = training(&c, &Calibration::default());
    assert_eq!(rows.len(), 13, "every row of training.csv predicted");
    for (r, (_, l)) in rows.iter().zip(&layouts) {
        assert!(l.is_some(), "{}: a layout fits", r.id);
        assert!(
            r.rel_error.abs() <= 0.15,
            "{}: {:.1} vs {} ({:+.1} %)",
            r.id,
            r.predicted,
            r.published,
            r.rel_error * 100.0
        );
    }
    let median = summarise("training", &rows).expect("rows").median_abs_error;
    assert!(median <= 0.07, "median {median:.3}");
}

#[test]
fn gpt3_175b_on_1024_a100_takes_about_34_days() {
    // Narayanan et al. 2021, section 5.1: 300B tokens, 1,024 A100s, batch 1,536, about 34 days
    // at their measured throughput (tp 8 × pp 8, full recomputation, Megatron-LM of 2021).
    let s = setup("gpt3-175b", "a100-sxm-80gb", Precision::Bf16);
    let p = Prepared::new(&s.spec, &s.cluster, &GPT3_BATCH, &Calibration::default(), &Stack::LEGACY);
    let constraints = Constraints {
        gpus: Some(1024),
        max_gpus: 1024,
        tp: Some(8),
        pp: Some(8),
        recompute: Some(Recompute::Full),
        ..Constraints::default()
    };
    let cands = Candidates::new(&s.spec, &GPT3_BATCH, &constraints, s.cluster.node_size);
    let best = search(&p, &cands, Objective::Fastest).best.expect("a layout fits");
    let days = 300e9 / best.tokens_per_s / 86_400.0;
    assert!((days - 34.0).abs() / 34.0 <= 0.15, "{days:.1} days");
}

#[test]
fn gpt3_175b_needs_model_parallelism_or_zero3() {
    let s = setup("gpt3-175b", "a100-sxm-80gb", Precision::Bf16);
    let one = Workload { global_batch: 1, ..GPT3_BATCH };
    for r in Recompute::ALL {
        for z in 0..=3 {
            let e = eval(&s, &one, Stack::MODERN, layout(1, 1, 1, 1, r, z));
            assert!(!e.fits, "fits on one GPU with {r:?}, ZeRO-{z}: {:.0} GiB", e.memory.total_gib);
        }
    }
    let e = eval(&s, &GPT3_BATCH, Stack::MODERN, layout(8, 8, 16, 1, Recompute::Selective, 1));
    assert!(e.fits, "tp 8 × pp 8: {:.1} GiB", e.memory.total_gib);
    let e = eval(&s, &GPT3_BATCH, Stack::MODERN, layout(1, 1, 256, 1, Recompute::Full, 3));
    assert!(e.fits, "ZeRO-3 over 256 GPUs: {:.1} GiB", e.memory.total_gib);
}

#[test]
fn memory_grows_with_micro_batch_and_sequence() {
    let s = setup("llama2-70b", "h100-sxm", Precision::Bf16);
    for r in Recompute::ALL {
        let mut last = 0.0;
        for mb in [1, 2, 4, 8] {
            let e = eval(
                &s,
                &Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 },
                Stack::MODERN,
                layout(8, 4, 2, mb, r, 1),
            );
            assert!(e.memory.total_gib > last, "{r:?} mb {mb}");
            last = e.memory.total_gib;
        }
        let mut last = 0.0;
        for seq in [1024, 2048, 4096, 8192] {
            let w = Workload { global_batch: 64, seq_len: seq, precision: Precision::Bf16 };
            let e = eval(&s, &w, Stack::MODERN, layout(8, 4, 2, 1, r, 1));
            assert!(e.memory.total_gib > last, "{r:?} seq {seq}");
            last = e.memory.total_gib;
        }
    }
}

#[test]
fn mfu_never_exceeds_one_and_parts_sum_to_the_step() {
    for (model, gpu, precision) in [
        ("gpt3-175b", "a100-sxm-80gb", Precision::Bf16),
        ("llama3.1-8b", "h100-sxm", Precision::Fp8),
        ("mixtral-8x7b", "h100-sxm", Precision::Bf16),
        ("llama3.1-405b", "b200", Precision::Bf16),
    ] {
        let s = setup(model, gpu, precision);
        let w = Workload { global_batch: 512, seq_len: 4096, precision };
        for stack in Stack::ALL {
            let p = Prepared::new(&s.spec, &s.cluster, &w, &Calibration::default(), &stack);
            let cands =
                Candidates::new(&s.spec, &w, &Constraints { max_gpus: 4096, ..Constraints::default() }, 8);
            let mut n = 0;
            for &chunk in cands.outer.iter().step_by(7) {
                cands.for_each(chunk, |l| {
                    let e = evaluate(&p, l);
                    assert!(
                        e.mfu > 0.0 && e.mfu <= 1.0 && e.hfu <= 1.0 && e.mfu <= e.hfu + 1e-12,
                        "{model} {l:?}: {}",
                        e.mfu
                    );
                    let t = e.time;
                    let sum = t.compute_s
                        + t.recompute_s
                        + t.tp_comm_s
                        + t.ep_comm_s
                        + t.cp_comm_s
                        + t.pp_bubble_s
                        + t.pp_p2p_s
                        + t.dp_comm_s
                        + t.optimizer_s;
                    assert!((sum - e.step_time_s).abs() <= 1e-9 * e.step_time_s, "{model} {l:?}");
                    n += 1;
                });
            }
            assert!(n > 100, "{model}: {n} layouts checked");
        }
    }
}

#[test]
fn adding_data_parallel_replicas_never_lowers_tokens_per_second() {
    let s = setup("gpt3-13b", "a100-sxm-80gb", Precision::Bf16);
    for stack in Stack::ALL {
        for (tp, pp) in [(1, 1), (2, 2), (8, 1), (4, 4), (8, 8)] {
            for r in Recompute::ALL {
                for z in [0u8, 1] {
                    // Strong scaling: the same 1,024-sequence batch over more replicas.
                    let mut last = 0.0;
                    for dp in [1, 2, 4, 8, 16, 32, 64, 128] {
                        let e = eval(
                            &s,
                            &Workload { global_batch: 1024, ..GPT3_BATCH },
                            stack,
                            layout(tp, pp, dp, 1, r, z),
                        );
                        assert!(e.tokens_per_s >= last, "{} tp{tp} pp{pp} dp{dp} {r:?} z{z}", stack.name);
                        last = e.tokens_per_s;
                    }
                    // Weak scaling: 16 sequences a replica.
                    let mut last = 0.0;
                    for dp in [1, 2, 4, 8, 16, 32, 64, 128] {
                        let w = Workload { global_batch: 16 * dp, ..GPT3_BATCH };
                        let e = eval(&s, &w, stack, layout(tp, pp, dp, 1, r, z));
                        assert!(
                            e.tokens_per_s >= last,
                            "weak {} tp{tp} pp{pp} dp{dp} {r:?} z{z}",
                            stack.name
                        );
                        last = e.tokens_per_s;
                    }
                }
            }
        }
    }
}

#[test]
fn invalid_layouts_name_the_constraint() {
    let s = setup("gpt3-175b", "a100-sxm-80gb", Precision::Bf16);
    let check = |l: Layout| l.check(&s.spec, &GPT3_BATCH, "cli").expect_err("invalid").to_string();
    assert!(check(layout(5, 1, 1, 1, Recompute::Full, 0)).contains("divisor of the attention heads (96)"));
    assert!(check(layout(8, 7, 1, 1, Recompute::Full, 0)).contains("divisor of the layers (96)"));
    assert!(check(layout(8, 8, 7, 1, Recompute::Full, 0)).contains("multiple of dp × micro_batch"));
    assert!(check(layout(8, 8, 16, 1, Recompute::Full, 2)).contains("pipeline"));
    let mut l = layout(8, 8, 16, 1, Recompute::Full, 1);
    l.ep = 2;
    assert!(check(l).contains("dense model"));
}

/// The DeepSeek-V3 expert-traffic tests' batch: 1,024 sequences of 4,096 tokens at FP8.
const MOE_BATCH: Workload = Workload { global_batch: 1024, seq_len: 4096, precision: Precision::Fp8 };

fn moe_layout(dp: u32, ep: u32) -> Layout {
    Layout { ep, etp: 1, ..layout(1, 1, dp, 1, Recompute::None, 1) }
}

/// DeepSeek-V3's expert all-to-all on H100 servers (8 GPUs, one 400 Gb/s NIC each): once the
/// expert group leaves the server, the copies bound for other servers all cross the NICs.
#[test]
fn expert_all_to_all_across_servers_is_bounded_by_the_nics() {
    let s = setup("deepseek-v3", "h100-sxm", Precision::Fp8);
    let w = MOE_BATCH;
    let cal = Calibration::default();
    let inside = eval(&s, &w, Stack::FUSED_ATTENTION, moe_layout(64, 8));
    let across = eval(&s, &w, Stack::FUSED_ATTENTION, moe_layout(64, 32));
    // Per MoE layer and micro-batch, forward and backward: four all-to-alls of top-k copies of
    // the micro-batch's activations, 3/4 of them bound for the other three servers.
    let m = f64::from(across.micro_batches);
    let moe_layers = f64::from(s.spec.layers - s.spec.moe.as_ref().expect("moe").dense_layers);
    let copies = 8.0 * 4096.0 * f64::from(s.spec.hidden) * 2.0;
    let nic = s.cluster.scale_out_bytes_per_s * cal.all_to_all_efficiency;
    let floor = 4.0 * moe_layers * m * copies * 0.75 / nic;
    assert!(across.time.ep_comm_s >= floor, "{} s below the NIC floor {floor} s", across.time.ep_comm_s);
    assert!(across.time.ep_comm_s < 1.05 * floor + 1.0, "{} s, floor {floor} s", across.time.ep_comm_s);
    assert!(across.time.ep_comm_s > 5.0 * inside.time.ep_comm_s, "NVLink inside, the NICs across");
}

/// A hierarchical dispatcher (DeepEP / HybridEP) sends a token once per remote server: with
/// 8 of 256 experts over 4 servers, `3·(1 − (3/4)^8)` ≈ 2.7 copies leave the server instead of
/// `8·3/4` = 6.
#[test]
fn hierarchical_dispatch_sends_one_copy_per_remote_server() {
    let s = setup("deepseek-v3", "h100-sxm", Precision::Fp8);
    let w = MOE_BATCH;
    let flat = eval(&s, &w, Stack::FUSED_ATTENTION, moe_layout(64, 32)).time.ep_comm_s;
    let hier = eval(&s, &w, Stack::MODERN, moe_layout(64, 32)).time.ep_comm_s;
    let ratio = flat / hier;
    let expected = 6.0 / (3.0 * (1.0 - 0.75_f64.powi(8)));
    assert!((ratio - expected).abs() < 0.05 * expected, "ratio {ratio:.3}, expected {expected:.3}");
}

/// The full-iteration recipes overlap a micro-batch's expert all-to-alls with another's
/// compute: inside a server, where they fit beneath it, only the interference
/// (`ep_overlap_interference` of the traffic's time) is left.
#[test]
fn overlapped_expert_all_to_alls_leave_their_interference() {
    let s = setup("deepseek-v3", "h100-sxm", Precision::Fp8);
    let w = MOE_BATCH;
    let cal = Calibration::default();
    let plain = eval(&s, &w, Stack::MEGATRON_BRIDGE_26_04, moe_layout(64, 8));
    let recipe = Stack::of_megatron_bridge_recipe(
        "Megatron-Bridge / NeMo 26.08 container",
        "deepseek-v3",
        "gb200",
        "mxfp8",
    )
    .expect("a Megatron-Bridge release");
    let overlapped = eval(&s, &w, recipe, moe_layout(64, 8));
    let expected = cal.ep_overlap_interference * plain.time.ep_comm_s;
    let got = overlapped.time.ep_comm_s;
    assert!(plain.time.ep_comm_s > 0.0, "ep 8 exchanges tokens");
    assert!((got - expected).abs() < 1e-9 * expected, "{got} s, expected {expected} s");
    assert!(recipe.ep_comm_overlap, "the full-iteration recipes overlap");
    assert!(Stack::ALL.iter().all(|s| !s.ep_comm_overlap), "the presets do not");
}

/// Eager MoE layers (Megatron-Bridge before NeMo 26.06) pay host time per local expert; the
/// full-iteration CUDA graphs of the modern stack do not, and dense models are unaffected.
#[test]
fn eager_moe_layers_pay_host_time_per_local_expert() {
    let s = setup("deepseek-v3", "h100-sxm", Precision::Fp8);
    let w = MOE_BATCH;
    let cal = Calibration::default();
    let moe_layers = f64::from(s.spec.layers - s.spec.moe.as_ref().expect("moe").dense_layers);
    for ep in [8, 32] {
        let eager = eval(&s, &w, Stack::MEGATRON_BRIDGE_26_04, moe_layout(64, ep));
        let graphs = eval(&s, &w, Stack::MODERN, moe_layout(64, ep));
        let local = 256.0 / f64::from(ep);
        let extra = 3.0 * moe_layers * local * cal.moe_expert_overhead_s * f64::from(eager.micro_batches);
        let got = eager.time.compute_s - graphs.time.compute_s;
        assert!(
            (got - extra).abs() < 1e-9 * eager.step_time_s.max(1.0),
            "ep {ep}: {got} s, expected {extra} s"
        );
    }
    let d = setup("llama3.1-8b", "h100-sxm", Precision::Fp8);
    let l = layout(1, 1, 8, 1, Recompute::None, 1);
    let a = eval(&d, &w, Stack::MEGATRON_BRIDGE_26_04, l).step_time_s;
    let b = eval(&d, &w, Stack::MODERN, l).step_time_s;
    assert!((a - b).abs() <= 1e-12 * a, "dense: {a} vs {b}");
}

/// GPT-OSS's experts carry biases: with eager MoE layers each routed copy moves the
/// probability-scaled fc2 bias (60 bytes a hidden element, forward and backward) and reads its
/// fc1 output gradient again for the fc1 bias gradient (2 bytes an element of the 2·F gated
/// width), at the HBM rate memory-bound kernels reach; without biases none of it, nor where
/// the fused grouped MLP of the full-iteration recipes applies the bias inside the GEMM.
#[test]
fn biased_experts_move_their_probability_scaled_bias_per_routed_copy() {
    let mut s = setup("gpt-oss-120b", "b200", Precision::Bf16);
    assert!(s.spec.bias, "gpt-oss's config.json sets attention_bias");
    let w = Workload { global_batch: 512, seq_len: 4096, precision: Precision::Bf16 };
    let l = Layout { ep: 8, ..layout(1, 1, 64, 4, Recompute::None, 1) };
    let eager = Stack::MEGATRON_BRIDGE_26_04;
    let biased = eval(&s, &w, eager, l);
    let fused = eval(&s, &w, Stack::MODERN, l);
    s.spec.bias = false;
    let plain = eval(&s, &w, eager, l);
    let fused_plain = eval(&s, &w, Stack::MODERN, l);
    let fused_extra = fused.time.compute_s - fused_plain.time.compute_s;
    assert!(fused_extra < 0.002 * fused.time.compute_s, "fused grouped MLP: {fused_extra} s");
    let cal = Calibration::default();
    let (h, f, k) = (2880.0, 2880.0, 4.0);
    let tokens = 4096.0 * 4.0 * f64::from(biased.micro_batches) * 36.0;
    let bytes = tokens * k * (cal.moe_expert_bias_bytes_per_hidden * h + 2.0 * 2.0 * f);
    let expected = bytes / (s.cluster.hbm_bytes_per_s * cal.memory_efficiency);
    let got = biased.time.compute_s - plain.time.compute_s;
    // Within 1 %: the biases' own FLOPs (2 per bias parameter) count among the GEMMs'.
    assert!((got - expected).abs() < 0.01 * expected, "{got} s, expected {expected} s");
    assert!(got > 0.05 * biased.step_time_s, "a visible share of the step: {got} of {}", biased.step_time_s);
}

/// GPT-OSS's gated activation clamps its inputs (`swiglu_limit` 7.0). Eager MoE layers run
/// the clamps and the concatenation as separate PyTorch ops over each routed copy's fc1 output
/// (2·F bf16 elements): 8 bytes an element forward and 15 backward at the HBM rate
/// memory-bound kernels reach, and a second copy of that output stays in memory. With the
/// experts' activation recomputed the forward passes run again and no copy is kept; the fused
/// grouped MLP of the full-iteration recipes pays none of it.
#[test]
fn clamped_activation_pays_eager_passes_over_each_routed_copy() {
    let mut s = setup("gpt-oss-120b", "b300", Precision::Bf16);
    assert_eq!(s.spec.activation_clamp, Some(7.0), "gpt-oss's config.json sets swiglu_limit");
    let w = Workload { global_batch: 1280, seq_len: 4096, precision: Precision::Bf16 };
    let l = Layout { ep: 8, ..layout(1, 1, 64, 4, Recompute::None, 1) };
    let eager = Stack::MEGATRON_BRIDGE_26_04;
    let act =
        Stack { recompute_modules: RecomputeModules { moe_act: true, ..RecomputeModules::NONE }, ..eager };
    let runs = |s: &Setup| [eager, act, Stack::MODERN].map(|st| eval(s, &w, st, l));
    let [clamped, clamped_act, fused] = runs(&s);
    s.spec.activation_clamp = None;
    let [plain, plain_act, fused_plain] = runs(&s);
    let bw = s.cluster.hbm_bytes_per_s * Calibration::default().memory_efficiency;
    let elements = 4096.0 * 4.0 * f64::from(clamped.micro_batches) * 36.0 * 4.0 * 2.0 * 2880.0;
    let expected = elements * (8.0 + 15.0) / bw;
    let got = clamped.time.compute_s - plain.time.compute_s;
    assert!((got - expected).abs() < 1e-9 * expected, "{got} s, expected {expected} s");
    assert!(
        got > 0.05 * clamped.step_time_s,
        "a visible share of the step: {got} of {}",
        clamped.step_time_s
    );
    let rerun = clamped_act.time.recompute_s - plain_act.time.recompute_s;
    assert!((rerun - elements * 8.0 / bw).abs() < 1e-9 * rerun, "recomputed clamps: {rerun} s");
    assert!(clamped.memory.activations_gib > plain.memory.activations_gib, "the clamps keep the fc1 output");
    let kept = clamped_act.memory.activations_gib - plain_act.memory.activations_gib;
    assert!(kept.abs() < 1e-9, "recomputed activation keeps no copy: {kept} GiB");
    assert!(
        (fused.step_time_s - fused_plain.step_time_s).abs() < 1e-12 * fused.step_time_s,
        "fused grouped MLP"
    );
}

/// FP8 recipes keep the quantised GEMM inputs for the backward pass: per layer and token
/// `(2 − 1)·(2h + heads·head_dim + ffn)` bytes fewer than bf16 (Llama 3.1 8B: 4096·3 + 14,336).
#[test]
fn fp8_recipes_store_quantised_gemm_inputs() {
    let bf = setup("llama3.1-8b", "h100-sxm", Precision::Bf16);
    let f8 = setup("llama3.1-8b", "h100-sxm", Precision::Fp8);
    let l = layout(1, 1, 8, 1, Recompute::None, 1);
    let w16 = Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 };
    let w8 = Workload { precision: Precision::Fp8, ..w16 };
    let a16 = eval(&bf, &w16, Stack::MODERN, l).memory.activations_gib;
    let a8 = eval(&f8, &w8, Stack::MODERN, l).memory.activations_gib;
    let saved = 32.0 * 4096.0 * (3.0 * 4096.0 + 14336.0) / f64::from(1u32 << 30);
    assert!((a16 - a8 - saved).abs() < 1e-9, "{a16} − {a8} GiB, expected {saved} GiB fewer");
    let full16 =
        eval(&bf, &w16, Stack::MODERN, Layout { recompute: Recompute::Full, ..l }).memory.activations_gib;
    assert!(full16 < a8, "full recomputation keeps only the layer inputs");
}

#[test]
fn megatron_bridge_releases_map_to_their_stack() {
    let of = |f: &str| Stack::of_nemo_release(f).map(|s| s.name);
    assert_eq!(of("Megatron-Bridge / NeMo 25.09 container"), Some("megatron-bridge-26.04"));
    assert_eq!(of("Megatron-Bridge / NeMo 26.04.01 container"), Some("megatron-bridge-26.04"));
    assert_eq!(of("Megatron-Bridge / NeMo 26.06 container"), Some("modern"));
    assert_eq!(of("Megatron-Bridge / NeMo 26.08 container"), Some("modern"));
    assert_eq!(of("NeMo 24.07"), None);
    assert_eq!(of("Megatron-Bridge main"), None);
    assert_eq!(Stack::by_name("megatron-bridge-26.04"), Some(Stack::MEGATRON_BRIDGE_26_04));
    assert!(Stack::accepted().ends_with("legacy or megatron-bridge-26.04"), "{}", Stack::accepted());
}

#[test]
fn only_full_iteration_recipes_of_26_06_on_skip_the_moe_host_work() {
    let of = |f: &str, model: &str, gpu: &str, recipe: &str| {
        Stack::of_megatron_bridge_recipe(f, model, gpu, recipe).map(|s| s.moe_static_graphs)
    };
    let r26 = "Megatron-Bridge / NeMo 26.06 container";
    // The MXFP8 recipes on GB200 / GB300 replay the whole iteration; B300 only for Qwen3-30B.
    assert_eq!(of(r26, "gpt-oss-120b", "gb300", "mxfp8"), Some(true));
    assert_eq!(of("Megatron-Bridge / NeMo 26.08 container", "deepseek-v3", "gb200", "mxfp8"), Some(true));
    assert_eq!(of(r26, "qwen3-30b-a3b", "b300", "mxfp8"), Some(true));
    // Everything else runs its MoE layers eagerly.
    assert_eq!(of(r26, "gpt-oss-120b", "b300", "mxfp8"), Some(false));
    assert_eq!(of(r26, "deepseek-v3", "b300", "mxfp8"), Some(false));
    assert_eq!(of(r26, "qwen3-30b-a3b", "h100-sxm", "fp8"), Some(false));
    assert_eq!(of(r26, "kimi-k2", "gb300", "mxfp8"), Some(false));
    assert_eq!(of(r26, "gpt-oss-120b", "gb300", "bf16"), Some(false));
    // Before 26.06 the release decides alone.
    assert_eq!(
        of("Megatron-Bridge / NeMo 26.04.01 container", "gpt-oss-120b", "gb300", "mxfp8"),
        Some(false)
    );
    assert_eq!(of("NeMo 24.07", "gpt-oss-120b", "gb300", "mxfp8"), None);
}

/// Llama 3.1 70B on 64 GPUs with FSDP (ZeRO-3), micro-batch 2 of 8,192 tokens at FP8, as
/// Megatron-Bridge's GB200 recipe runs it.
fn fsdp_70b(offload_layers: u32, recompute: Recompute) -> Layout {
    Layout { offload_layers, ..layout(1, 1, 64, 2, recompute, 3) }
}

const FSDP_70B: Workload = Workload { global_batch: 256, seq_len: 8192, precision: Precision::Fp8 };

#[test]
fn activation_offload_fits_what_keeping_every_activation_does_not() {
    let s = setup("llama3.1-70b", "gb200", Precision::Fp8);
    let keep = eval(&s, &FSDP_70B, Stack::MODERN, fsdp_70b(0, Recompute::None));
    let offload = eval(&s, &FSDP_70B, Stack::MODERN, fsdp_70b(40, Recompute::None));
    let full = eval(&s, &FSDP_70B, Stack::MODERN, fsdp_70b(0, Recompute::Full));
    assert!(!keep.fits, "80 layers of activations: {:.0} GiB", keep.memory.total_gib);
    assert!(offload.fits, "40 layers offloaded: {:.0} GiB", offload.memory.total_gib);
    // 40 of 80 layers' activations leave the GPU, one layer's copy in flight stays.
    let per_layer = keep.memory.activations_gib / 80.0;
    let moved = keep.memory.activations_gib - offload.memory.activations_gib;
    assert!((moved / per_layer - 39.0).abs() < 1e-6, "{moved:.1} GiB moved, {per_layer:.2} a layer");
    // Over NVLink-C2C the copies hide behind the layers' compute: faster than recomputing.
    assert!(
        offload.step_time_s < 0.9 * full.step_time_s,
        "offload {:.2} s, full recomputation {:.2} s",
        offload.step_time_s,
        full.step_time_s
    );
    assert!(offload.step_time_s < 1.05 * keep.step_time_s, "{} vs {}", offload.step_time_s, keep.step_time_s);
}

#[test]
fn activation_offload_over_pcie_is_exposed_where_nvlink_c2c_hides_it() {
    // The same job on B200 (PCIe 5.0 to the host, 54 GB/s) and GB200 (C2C, 450 GB/s): the
    // copies of one layer's activations outlast its compute over PCIe.
    let cost = |gpu: &str| {
        let s = setup("llama3.1-70b", gpu, Precision::Fp8);
        let keep = eval(&s, &FSDP_70B, Stack::MODERN, fsdp_70b(0, Recompute::None));
        let offload = eval(&s, &FSDP_70B, Stack::MODERN, fsdp_70b(20, Recompute::None));
        offload.step_time_s / keep.step_time_s - 1.0
    };
    let (c2c, pcie) = (cost("gb200"), cost("b200"));
    assert!(c2c < 0.05, "C2C: +{:.1} %", c2c * 100.0);
    assert!(pcie > 4.0 * c2c && pcie > 0.1, "PCIe: +{:.1} %, C2C +{:.1} %", pcie * 100.0, c2c * 100.0);
}

#[test]
fn activation_offload_needs_fewer_layers_than_a_stage_and_plain_1f1b() {
    let s = setup("llama3.1-70b", "gb200", Precision::Fp8);
    let w = FSDP_70B;
    let all = fsdp_70b(80, Recompute::None);
    let e = all.check(&s.spec, &w, "test").expect_err("every layer offloaded");
    assert!(e.to_string().contains("offload_layers") && e.to_string().contains("80"), "{e}");
    let interleaved = Layout { offload_layers: 2, vp: 2, zero: 1, ..layout(1, 4, 16, 1, Recompute::None, 1) };
    let e = interleaved.check(&s.spec, &w, "test").expect_err("vp 2");
    assert!(e.to_string().contains("vp 1"), "{e}");
}

#[test]
fn dropout_masks_are_stored_only_by_stacks_that_train_with_dropout() {
    // Two 1-byte masks per element of s·b·h a layer (Korthikanti et al.'s 34 includes them);
    // recipes without dropout store none.
    let s = setup("llama3.1-8b", "h100-sxm", Precision::Bf16);
    let w = Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 };
    let l = layout(2, 1, 4, 2, Recompute::Selective, 1);
    let with = eval(&s, &w, Stack { dropout: true, ..Stack::MODERN }, l);
    let without = eval(&s, &w, Stack::MODERN, l);
    let masks = 2.0 * 4096.0 * 2.0 * 4096.0 / 2.0 * 32.0 / f64::from(1u32 << 30);
    let diff = with.memory.activations_gib - without.memory.activations_gib;
    assert!((diff - masks).abs() < 1e-9, "{diff} GiB vs {masks} GiB of masks");
}

#[test]
fn unfused_rope_costs_its_bytes_per_query_and_key_element() {
    // GPT-OSS's YaRN RoPE runs unfused in Megatron-Bridge: 32 extra bytes a q/k element,
    // forward and backward, on the memory-bound side of the step only.
    let s = setup("llama3.1-8b", "h100-sxm", Precision::Bf16);
    let w = Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 };
    let l = layout(2, 1, 4, 2, Recompute::None, 1);
    let fused = eval(&s, &w, Stack::MODERN, l);
    let unfused = eval(&s, &w, Stack { rope_unfused: true, ..Stack::MODERN }, l);
    let extra = unfused.step_time_s - fused.step_time_s;
    assert!(extra > 0.0, "unfused RoPE adds time");
    assert!(
        extra < 0.1 * fused.step_time_s,
        "a few per cent, not more: {extra} s of {} s",
        fused.step_time_s
    );
    assert_eq!(unfused.memory.total_gib, fused.memory.total_gib, "no memory change");
    // Only the GPT-OSS recipes set it.
    let oss = Stack::of_megatron_bridge_recipe(
        "Megatron-Bridge / NeMo 25.11 container",
        "gpt-oss-120b",
        "b200",
        "bf16",
    );
    let qwen = Stack::of_megatron_bridge_recipe(
        "Megatron-Bridge / NeMo 25.11 container",
        "qwen3-30b-a3b",
        "b200",
        "bf16",
    );
    assert!(oss.expect("recipe").rope_unfused);
    assert!(!qwen.expect("recipe").rope_unfused);
}

#[test]
fn recipe_recomputed_norms_and_expert_activations_trade_bytes_for_memory() {
    // GPT-OSS-120B (36 MoE layers, hidden 2880, 4 routed experts of width 2880, SwiGLU) with
    // `recompute_modules = ["layernorm", "moe_act"]`: each layer drops the two norm outputs
    // (2 × 2 bytes per hidden element) and each routed copy's activation output (2880 × 2
    // bytes), and re-runs both forward in the backward pass (memory-bound, a few per cent).
    let s = setup("gpt-oss-120b", "b200", Precision::Bf16);
    let w = Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 };
    let both = RecomputeModules { layernorm: true, moe_act: true, mla_up_proj: false };
    let with = Stack { recompute_modules: both, ..Stack::MODERN };
    let l = moe_layout(8, 8);
    let plain = eval(&s, &w, Stack::MODERN, l);
    let partial = eval(&s, &w, with, l);
    let saved = 36.0 * 4096.0 * (2.0 * 2.0 * 2880.0 + 4.0 * 2880.0 * 2.0) / f64::from(1u32 << 30);
    let diff = plain.memory.activations_gib - partial.memory.activations_gib;
    assert!((diff - saved).abs() < 1e-9, "{diff} GiB saved vs {saved} GiB");
    let extra = partial.step_time_s - plain.step_time_s;
    assert!(extra > 0.0, "the re-run forward costs time");
    assert!(
        extra < 0.05 * plain.step_time_s,
        "memory-bound passes only: {extra} s of {} s",
        plain.step_time_s
    );
    // Full recomputation already re-runs every module: no extra time.
    let full = Layout { recompute: Recompute::Full, ..l };
    assert_eq!(eval(&s, &w, with, full).step_time_s, eval(&s, &w, Stack::MODERN, full).step_time_s);
    // Only GPT-OSS's GB200, B200 and H100 recipes set them (GB300 and B300 recompute nothing).
    let of = |gpu: &str, model: &str| {
        Stack::of_megatron_bridge_recipe("Megatron-Bridge / NeMo 26.04.01 container", model, gpu, "bf16")
            .expect("recipe")
            .recompute_modules
    };
    assert_eq!(of("b200", "gpt-oss-120b"), both);
    assert_eq!(of("gb200", "gpt-oss-120b"), both);
    assert_eq!(of("h100-sxm", "gpt-oss-120b"), both);
    assert_eq!(of("gb300", "gpt-oss-120b"), RecomputeModules::NONE);
    assert_eq!(of("b200", "qwen3-30b-a3b"), RecomputeModules::NONE);
    assert_eq!(Stack::MODERN.recompute_modules, RecomputeModules::NONE);
}

#[test]
fn recipe_recomputed_mla_up_projections_rerun_their_gemms_and_drop_q_k_v() {
    // DeepSeek-V3 (61 layers, hidden 7168, 128 heads; q_lora 1536 → 128·(128 + 64), kv_lora
    // 512 → 128·(128 + 128)) with `recompute_modules = ["mla_up_proj"]`: the up-projection
    // GEMMs run a second forward (hardware FLOPs above the model's by exactly theirs) and the
    // attention core's query, key and value (2 + 4 bytes per hidden element) are not kept.
    let s = setup("deepseek-v3", "b200", Precision::Bf16);
    let w = Workload { global_batch: 64, seq_len: 4096, precision: Precision::Bf16 };
    let mla = RecomputeModules { mla_up_proj: true, ..RecomputeModules::NONE };
    let l = moe_layout(8, 8);
    let plain = eval(&s, &w, Stack::MODERN, l);
    let partial = eval(&s, &w, Stack { recompute_modules: mla, ..Stack::MODERN }, l);
    let up = 61.0 * 2.0 * (1536.0 * 128.0 * 192.0 + 512.0 * 128.0 * 256.0);
    let model = 3.0 * suanli_core::model::forward_flops_per_token(&s.spec, 4096.0);
    let ratio = partial.hfu / partial.mfu - 1.0;
    assert!((ratio - up / model).abs() < 1e-9, "{ratio} vs {}", up / model);
    assert_eq!(plain.hfu, plain.mfu, "nothing recomputed without it");
    assert!(partial.step_time_s > plain.step_time_s);
    let saved = 61.0 * 4096.0 * 7168.0 * 6.0 / f64::from(1u32 << 30);
    let diff = plain.memory.activations_gib - partial.memory.activations_gib;
    assert!((diff - saved).abs() < 1e-9, "{diff} GiB saved vs {saved} GiB");
    // The release's recipe for each chip and precision.
    let of = |release: &str, gpu: &str, recipe: &str| {
        let framework = format!("Megatron-Bridge / NeMo {release} container");
        Stack::of_megatron_bridge_recipe(&framework, "deepseek-v3", gpu, recipe)
            .expect("recipe")
            .recompute_modules
    };
    let act = RecomputeModules { moe_act: true, ..RecomputeModules::NONE };
    assert_eq!(of("25.09", "gb200", "fp8"), mla);
    assert_eq!(of("26.04.01", "gb200", "mxfp8"), RecomputeModules::NONE, "recomputes the dense MLPs only");
    assert_eq!(of("26.08", "gb200", "mxfp8"), mla);
    assert_eq!(of("26.04", "b200", "mxfp8"), mla);
    assert_eq!(of("25.11", "gb300", "mxfp8"), act);
    assert_eq!(of("26.04.01", "gb300", "mxfp8"), mla);
    assert_eq!(of("26.06", "gb300", "mxfp8"), RecomputeModules::NONE);
}

/// A published Megatron-Bridge MoE recipe carries its own dispatcher (DeepEP / HybridEP, else
/// the `alltoall` one) and its eager all-to-all overlap (`moe_a2a_overlap`), by release.
#[test]
fn megatron_bridge_recipes_set_their_dispatcher_and_overlap() {
    let of = |release: &str, model: &str, gpu: &str, recipe: &str| {
        let framework = format!("Megatron-Bridge / NeMo {release} container");
        let s = Stack::of_megatron_bridge_recipe(&framework, model, gpu, recipe).expect("recipe");
        (s.hierarchical_dispatch, s.ep_comm_overlap)
    };
    // 25.09: DeepEP with the 1F1B all-to-all overlap on H100; token dropping turns DeepEP off
    // on B200.
    assert_eq!(of("25.09", "deepseek-v3", "h100-sxm", "fp8"), (true, true));
    assert_eq!(of("25.09", "deepseek-v3", "b200", "fp8"), (false, false));
    // Qwen3-235B-A22B on H100: no backend, overlapped from 25.11 on.
    assert_eq!(of("25.09", "qwen3-235b-a22b", "h100-sxm", "fp8"), (false, false));
    assert_eq!(of("26.04.01", "qwen3-235b-a22b", "h100-sxm", "fp8"), (false, true));
    // DeepSeek-V3's B200 MXFP8 recipe moves to DeepEP with overlap in the 26.04.01 container.
    assert_eq!(of("26.04", "deepseek-v3", "b200", "mxfp8"), (true, false));
    assert_eq!(of("26.04.01", "deepseek-v3", "b200", "mxfp8"), (true, true));
    // The full-iteration recipes overlap as before.
    assert_eq!(of("26.08", "deepseek-v3", "gb200", "mxfp8"), (true, true));
}
