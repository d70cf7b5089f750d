//! Issue 11's layouts: uneven pipeline stages, the GPU count never exceeded, the global batch
//! that does not split, wide expert parallelism with attention data parallelism.

use suanli_core::Catalog;
use suanli_core::infer::{
    Engine, InferCalibration, InferConfig, Mode, Precisions, Replica, evaluate as serve,
};
use suanli_core::precision::Precision;
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Layout, Objective, Prepared, Recompute, Stack, Workload,
    batch_hint, evaluate, search, uneven_split,
};

fn layout(tp: u32, pp: u32, dp: u32, first: u32, last: u32) -> Layout {
    Layout {
        first_stage_layers: first,
        last_stage_layers: last,
        ..Layout::model_and_data_parallel(tp, pp, dp, 1, Recompute::Full, 1)
    }
}

#[test]
fn megatron_core_splits_embedding_and_loss_as_layers() {
    assert_eq!(uneven_split(126, 16), Some((7, 7)), "Llama 3.1 405B");
    assert_eq!(uneven_split(70, 12), Some((5, 5)), "BLOOM");
    assert_eq!(uneven_split(70, 8), Some((8, 8)), "GLM-130B");
    assert_eq!(uneven_split(61, 16), Some((3, 2)), "DeepSeek-V3");
    assert_eq!(uneven_split(61, 2), Some((31, 30)));
    assert_eq!(uneven_split(32, 8), Some((0, 0)), "even");
    assert_eq!(uneven_split(4, 5), None);
    for (layers, pp) in [(126u32, 16u32), (70, 12), (70, 8), (61, 16), (61, 8), (94, 8)] {
        let (f, l) = uneven_split(layers, pp).expect("split");
        let lay = layout(1, pp, 1, f, l);
        let (first, mid, last) = lay.stage_layers(layers);
        assert_eq!(first + mid * (pp - 2) + last, layers, "{layers} over {pp}");
        assert!(first <= mid && last <= mid, "ends carry fewer layers");
    }
}

#[test]
fn uneven_stages_are_accepted_and_the_slowest_sets_the_pace() {
    let c = Catalog::builtin().expect("catalog");
    for (model, pp, gpus) in
        [("llama3.1-405b", 16u32, 2048u64), ("bloom-176b", 12, 384), ("glm-130b", 8, 768)]
    {
        let spec = c.model(model).expect("model");
        let cluster =
            Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("c");
        let w = Workload { global_batch: 1536, seq_len: 2048, precision: Precision::Bf16 };
        let cons = Constraints {
            gpus: Some(gpus),
            max_gpus: gpus,
            tp: Some(8),
            pp: Some(pp),
            ..Constraints::default()
        };
        let cands = Candidates::try_new(spec, &w, &cons, cluster.node_size).expect("candidates");
        assert!(!cands.outer.is_empty(), "{model}: pp {pp} over {} layers searched", spec.layers);
        let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
        let o = search(&p, &cands, Objective::Fastest);
        let best = o.best.or(o.nearest_miss).expect("evaluated");
        assert!(best.layout.uneven(), "{model}");
        best.layout.check(spec, &w, "test").expect("valid");
        let t = &best.time;
        let parts = t.compute_s
            + t.recompute_s
            + t.tp_comm_s
            + t.ep_comm_s
            + t.cp_comm_s
            + t.pp_bubble_s
            + t.pp_p2p_s
            + t.dp_comm_s
            + t.optimizer_s;
        assert!((parts - best.step_time_s).abs() <= 1e-9 * best.step_time_s, "{model}: parts sum");
    }
    // A lopsided split is slower than the balanced one: the slowest stage sets the pace.
    let spec = c.model("llama3.1-405b").expect("model");
    let cluster = Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("c");
    let w = Workload { global_batch: 1024, seq_len: 4096, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let balanced = layout(8, 16, 16, 7, 7);
    let lopsided = layout(8, 16, 16, 14, 14); // middle stages (126 − 28) ÷ 14 = 7
    let heavy_last = layout(8, 16, 16, 1, 13); // middle 8, last 13
    for l in [balanced, lopsided, heavy_last] {
        l.check(spec, &w, "test").expect("valid");
    }
    let t = |l: &Layout| evaluate(&p, l).step_time_s;
    assert!(t(&heavy_last) > t(&balanced) * 1.3, "{} vs {}", t(&heavy_last), t(&balanced));
    assert!(t(&lopsided) > t(&balanced), "14-layer ends are slower than 8-layer middles");
    // Rules: the middle stages need an equal share; pp 1 cannot be uneven.
    let e = layout(8, 16, 16, 6, 7).check(spec, &w, "cli").expect_err("113 over 14").to_string();
    assert!(e.contains("first_stage_layers"), "{e}");
    assert!(layout(8, 1, 16, 60, 66).check(spec, &w, "cli").is_err());
    let e = layout(8, 16, 16, 0, 0).check(spec, &w, "cli").expect_err("uneven needed").to_string();
    assert!(e.contains("first_stage_layers 7"), "the error suggests the split: {e}");
}

#[test]
fn deepseek_v3_pipelines_over_61_layers() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("deepseek-v3").expect("model");
    let cluster = Cluster::new(&c, "h100-sxm", None, Precision::Fp8, &Calibration::default()).expect("c");
    let w = Workload { global_batch: 4096, seq_len: 4096, precision: Precision::Fp8 };
    let cons = Constraints {
        gpus: Some(1024),
        max_gpus: 1024,
        tp: Some(2),
        pp: Some(16),
        ep: Some(64),
        ..Constraints::default()
    };
    let cands = Candidates::try_new(spec, &w, &cons, cluster.node_size).expect("candidates");
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let o = search(&p, &cands, Objective::Fastest);
    assert!(o.evaluated > 0);
    let l = o.best.or(o.nearest_miss).expect("a layout").layout;
    assert_eq!((l.first_stage_layers, l.last_stage_layers), (3, 2));
}

#[test]
fn a_fixed_gpu_count_is_never_exceeded() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-8b").expect("model");
    let w = Workload { global_batch: 1024, seq_len: 8192, precision: Precision::Bf16 };
    for gpus in [64u64, 512] {
        let cons = Constraints {
            gpus: Some(gpus),
            max_gpus: gpus,
            tp: Some(8),
            pp: Some(8),
            dp: Some(1),
            ..Constraints::default()
        };
        let cands = Candidates::try_new(spec, &w, &cons, 8).expect("candidates");
        assert!(!cands.outer.is_empty());
        for &chunk in &cands.outer {
            cands.for_each(chunk, |l| assert_eq!(l.gpus(), gpus, "{l:?}"));
        }
    }
}

#[test]
fn a_batch_that_does_not_split_names_dp_and_the_nearest_batch_and_gpus() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-8b").expect("model");
    let w = Workload { global_batch: 1024, seq_len: 4096, precision: Precision::Bf16 };
    let cons = Constraints { gpus: Some(768), max_gpus: 768, ..Constraints::default() };
    assert!(Candidates::try_new(spec, &w, &cons, 8).expect("c").outer.is_empty());
    let why = batch_hint(spec, &w, &cons, 8).expect("the batch is the cause");
    for part in ["global batch (1024)", "dp ", "micro_batch 1", "nearest workable batch", "1024 GPUs"] {
        assert!(why.contains(part), "{part}: {why}");
    }
    let ok = Constraints { gpus: Some(512), max_gpus: 512, ..Constraints::default() };
    assert!(batch_hint(spec, &w, &ok, 8).is_none(), "512 GPUs split 1024 sequences");
}

fn wide(gpu: &str, tp: u32, ep: u32, p: Precision) -> (InferConfig, Replica) {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("deepseek-v3").expect("model");
    let prec = Precisions::uniform(p);
    let cluster = Cluster::new(&c, gpu, None, prec.activations, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp, pp: 1, ep, precision: prec };
    cfg.check(spec, 1000, 1000, "test").expect("valid");
    (cfg, Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default()))
}

#[test]
fn wide_ep_with_attention_data_parallelism_serves_deepseek_v3() {
    for gpu in ["h100-sxm", "h800-sxm", "h20"] {
        let (cfg, r) = wide(gpu, 1, 32, Precision::Fp8);
        assert_eq!((cfg.dp_attention(), cfg.gpus()), (32, 32));
        assert!(r.fits(), "{gpu}");
        let e = serve(&r, 1000, 1000, Mode::MaxLoad);
        assert!(e.fits && e.output_tokens_per_s_per_gpu > 0.0, "{gpu}");
        assert!(e.step.comm_s > 0.0, "the all-to-all is counted");
    }
    // Across servers the dispatch is slower than inside one NVL72 domain.
    let (_, h100) = wide("h100-sxm", 1, 64, Precision::Fp8);
    let (_, gb200) = wide("gb200", 1, 64, Precision::Fp8);
    let a2a = |r: &Replica| r.step(256.0, 1500.0, 0.0, 0.0, 256.0).comm_s;
    assert!(a2a(&h100) > a2a(&gb200), "{} vs {}", a2a(&h100), a2a(&gb200));
    // More expert-parallel GPUs hold fewer experts each.
    let (_, w32) = wide("h100-sxm", 1, 32, Precision::Fp8);
    assert!(h100.memory.weights_gib < w32.memory.weights_gib);
    // ep above tp must be a multiple of it.
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("deepseek-v3").expect("model");
    let bad = InferConfig { tp: 8, pp: 1, ep: 12, precision: Precisions::uniform(Precision::Fp8) };
    let e = bad.check(spec, 10, 10, "cli").expect_err("12 is not a multiple of 8").to_string();
    assert!(e.contains("multiple of tp"), "{e}");
}

#[test]
fn expert_parallelism_spans_tensor_ranks_with_its_own_etp() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("deepseek-v3").expect("model");
    let w = Workload { global_batch: 1024, seq_len: 4096, precision: Precision::Fp8 };
    // 2 × 16 = 32 ranks a stage: ep 32 needs whole experts (etp 1), not etp = tp = 2.
    let l = Layout { ep: 32, ..layout(2, 1, 16, 0, 0) };
    let e = l.check(spec, &w, "cli").expect_err("ep 32 × etp 2 > 32 ranks").to_string();
    assert!(e.contains("ep × etp"), "{e}");
    let whole = Layout { etp: 1, ..l };
    whole.check(spec, &w, "cli").expect("ep 32 × etp 1 tiles tp 2 × dp 16");
    let cluster = Cluster::new(&c, "h100-sxm", None, Precision::Fp8, &Calibration::default()).expect("c");
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    // Same expert group size (32 GPUs) either way: the same expert weights per GPU.
    let split = Layout { ep: 16, etp: 0, ..l };
    split.check(spec, &w, "cli").expect("ep 16 × etp 2");
    let (a, b) = (evaluate(&p, &whole).memory.weights_gib, evaluate(&p, &split).memory.weights_gib);
    assert!((a - b).abs() < 1e-9 * a, "{a} vs {b}");
}

#[test]
fn hybrid_sharding_keeps_the_state_inside_a_server() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-8b").expect("model");
    let cluster = Cluster::new(&c, "h100-sxm", None, Precision::Bf16, &Calibration::default()).expect("c");
    let w = Workload { global_batch: 1024, seq_len: 4096, precision: Precision::Bf16 };
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let fsdp = Layout { zero: 3, ..layout(1, 1, 64, 0, 0) };
    let hsdp = Layout { hsdp: true, ..fsdp };
    hsdp.check(spec, &w, "cli").expect("valid");
    let (f, h) = (evaluate(&p, &fsdp), evaluate(&p, &hsdp));
    // Sharded 8 ways (one server) instead of 64: 8× the optimizer state, less exposed traffic.
    assert!((h.memory.optimizer_gib / f.memory.optimizer_gib - 8.0).abs() < 1e-9);
    assert!(h.time.dp_comm_s < f.time.dp_comm_s);
    let e = Layout { zero: 1, ..hsdp }.check(spec, &w, "cli").expect_err("hsdp is ZeRO-3").to_string();
    assert!(e.contains("hsdp"), "{e}");
    // The search offers it once dp spans servers.
    let cons =
        Constraints { gpus: Some(64), max_gpus: 64, tp: Some(1), zero: Some(3), ..Constraints::default() };
    let cands = Candidates::try_new(spec, &w, &cons, cluster.node_size).expect("c");
    let mut both = (false, false);
    for &chunk in &cands.outer {
        cands.for_each(chunk, |l| if l.hsdp { both.1 = true } else { both.0 = true });
    }
    assert_eq!(both, (true, true));
}

/// OPT-175B as published (Zhang et al. 2022, arXiv:2205.01068, section 2.3 and Table 1): 992
/// A100 80GB, Megatron tensor parallelism 8 with FSDP over the other 124 ranks, a 2M-token
/// batch = 1,024 sequences of 2,048. 1,024 does not divide over dp 124; metaseq deals the
/// micro-batches unevenly (32 replicas run 9, 92 run 8) and the step waits for the slowest.
fn opt_175b() -> (Catalog, Workload, Layout) {
    let c = Catalog::builtin().expect("catalog");
    let w = Workload { global_batch: 1024, seq_len: 2048, precision: Precision::Bf16 };
    let l = Layout { zero: 3, ..layout(8, 1, 124, 0, 0) };
    (c, w, l)
}

#[test]
fn opt_175b_uneven_micro_batches_are_refused_by_default_and_accepted_behind_the_flag() {
    let (c, w, even) = opt_175b();
    let spec = c.model("opt-175b").expect("model");
    let e = even.check(spec, &w, "test").expect_err("Megatron's rule: dp × micro_batch divides the batch");
    let s = e.to_string();
    assert!(s.contains("global_batch") && s.contains("124 × 1") && s.contains("uneven_batch"), "{s}");
    let uneven = Layout { uneven_batch: true, ..even };
    uneven.check(spec, &w, "test").expect("metaseq's uneven split is accepted");
    // ⌈1024 / 124⌉ = 9 micro-batches on the slowest replica (8.26 on average).
    assert_eq!(uneven.micro_batches(&w), 9);
    // Still refused where the rule cannot hold: fewer micro-batches than replicas, a
    // micro-batch that does not divide the batch, interleaved 1F1B.
    let small = Workload { global_batch: 100, ..w };
    assert!(uneven.check(spec, &small, "t").expect_err("100 < 124").to_string().contains("at least dp"));
    let odd = Layout { micro_batch: 3, ..uneven };
    assert!(odd.check(spec, &w, "t").is_err(), "3 does not divide 1024");
    let vp = Layout { vp: 2, zero: 1, uneven_batch: true, ..layout(8, 8, 124, 0, 0) };
    let e = vp.check(spec, &w, "t").expect_err("vp 2 with uneven batches");
    assert!(e.to_string().contains("vp"), "{e}");
}

#[test]
fn opt_175b_step_waits_for_the_slowest_replica() {
    let (c, w, even) = opt_175b();
    let spec = c.model("opt-175b").expect("model");
    let cluster =
        Cluster::new(&c, "a100-sxm-80gb", None, Precision::Bf16, &Calibration::default()).expect("c");
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let uneven = evaluate(&p, &Layout { uneven_batch: true, ..even });
    assert_eq!(uneven.micro_batches, 9);
    // The same replicas each running 9 micro-batches of a batch that splits evenly (1,116
    // sequences) take the same step: the slowest replica sets it.
    let w9 = Workload { global_batch: 124 * 9, ..w };
    let p9 = Prepared::new(spec, &cluster, &w9, &Calibration::default(), &Stack::MODERN);
    let nine = evaluate(&p9, &even);
    assert!(
        (uneven.step_time_s / nine.step_time_s - 1.0).abs() < 1e-9,
        "{} vs {}",
        uneven.step_time_s,
        nine.step_time_s
    );
    // ... but only 1,024 sequences count as work: throughput is 1024/1116 of the even run's.
    let ratio = uneven.tokens_per_s / nine.tokens_per_s;
    assert!((ratio - 1024.0 / 1116.0).abs() < 1e-9, "{ratio}");
    // 8 micro-batches a replica (992 sequences) would be faster.
    let w8 = Workload { global_batch: 124 * 8, ..w };
    let p8 = Prepared::new(spec, &cluster, &w8, &Calibration::default(), &Stack::MODERN);
    assert!(evaluate(&p8, &even).step_time_s < uneven.step_time_s);
}

#[test]
fn opt_175b_search_on_992_gpus_finds_the_uneven_layout_only_when_allowed() {
    let (c, w, _) = opt_175b();
    let spec = c.model("opt-175b").expect("model");
    let cluster =
        Cluster::new(&c, "a100-sxm-80gb", None, Precision::Bf16, &Calibration::default()).expect("c");
    let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
    let mut cons = Constraints {
        gpus: Some(992),
        max_gpus: 992,
        tp: Some(8),
        pp: Some(1),
        zero: Some(3),
        hsdp: Some(false),
        ..Constraints::default()
    };
    assert!(Candidates::try_new(spec, &w, &cons, 8).expect("c").outer.is_empty(), "refused by default");
    let why = batch_hint(spec, &w, &cons, 8).expect("the batch is the cause");
    assert!(why.contains("uneven_batch"), "{why}");
    cons.uneven_batch = true;
    let cands = Candidates::try_new(spec, &w, &cons, 8).expect("c");
    let best = search(&p, &cands, Objective::Fastest).best.expect("a layout fits on 992 A100s");
    assert_eq!((best.layout.tp, best.layout.dp, best.gpus), (8, 124, 992));
    assert!(best.layout.uneven_batch);
    assert!(best.micro_batches >= 2, "{}", best.micro_batches);
    assert!(batch_hint(spec, &w, &cons, 8).is_none() || !cands.outer.is_empty());
}
