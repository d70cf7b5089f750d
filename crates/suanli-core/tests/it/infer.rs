//! The inference planner: published throughput, the memory-bound decode by hand, memory and
//! KV-cache capacity by hand, and properties.

use suanli_core::Catalog;
use suanli_core::infer::{
    Engine, InferCalibration, InferConfig, Mode, Precisions, Replica, batch_one_decode, evaluate,
};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_core::validation::{inference, summarise};

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn replica(model: &str, gpu: &str, tp: u32, p: Precision) -> Replica {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model(model).expect("model");
    let prec = Precisions::uniform(p);
    let cluster = Cluster::new(&c, gpu, None, prec.activations, &Calibration::default()).expect("cluster");
    let cfg = InferConfig { tp, pp: 1, ep: 1, precision: prec };
    cfg.check(spec, 1, 1, "test").expect("valid");
    Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default())
}

#[test]
fn every_published_row_within_20_percent_median_within_10() {
    let c = Catalog::builtin().expect("catalog");
    let rows = inference(&c, &InferCalibration::default());
    assert_eq!(rows.len(), 17, "every row of inference.csv predicted");
    for r in &rows {
        assert!(
            r.rel_error.abs() <= 0.20,
            "{}: {:.0} vs {} ({:+.1} %)",
            r.id,
            r.predicted,
            r.published,
            r.rel_error * 100.0
        );
    }
    let median = summarise("inference", &rows).expect("rows").median_abs_error;
    assert!(median <= 0.10, "median {median:.3}");
}

#[test]
fn a_large_batch_of_short_sequences_is_host_bound_under_the_overlap_scheduler() {
    // Llama 3.1 8B fp8 on one B200, 2,048 sequences at 200 tokens of context: the host's
    // bookkeeping (per step plus per sequence) outlasts the GPU's step, which it runs beside.
    let r = replica("llama3.1-8b", "b200", 1, Precision::Fp8);
    let cal = InferCalibration::default();
    let step = r.step(2048.0, 200.0, 0.0, 0.0, 2048.0);
    let host = cal.step_overhead_s + 2048.0 * cal.sequence_overhead_s;
    assert!((step.host_s - host).abs() / host < 1e-9, "{} vs {host}", step.host_s);
    assert_eq!(step.total_s, step.host_s);
    assert_eq!(step.bound(), "host");
    // A short batch is the GPU's again: the weight reads outlast the host's work.
    let small = r.step(8.0, 200.0, 0.0, 0.0, 8.0);
    assert!(small.total_s > small.host_s);
    assert_eq!(small.bound(), "memory");
}

#[test]
fn batch_one_decode_is_memory_bound_and_matches_a_hand_computation() {
    // Llama 3.1 70B, bf16, tp 4 on H100 SXM; one sequence at 1,000 tokens of context.
    let r = replica("llama3.1-70b", "h100-sxm", 4, Precision::Bf16);
    let cal = InferCalibration::default();
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama3.1-70b").expect("model");
    let params = 70_553_706_496.0; // the shape's count (see the catalog test)
    let bw = 3.35e12 * cal.hbm_efficiency;
    let weights = params * 2.0 / 4.0 / bw;
    // One token padded to the GEMM tile's rows, at the measured matmul rate (794.5 TFLOP/s)
    // times the tiles' depth efficiency K ÷ (K + K₀): 2/3 of the FLOPs contract over the
    // hidden size 8,192, 1/3 over the FFN's width on one GPU, 28,672 ÷ 4.
    let flops = 2.0 * spec.params().active_matmul(spec) / 4.0;
    let k0 = cal.gemm_depth_overhead;
    let depth = 1.0 / (2.0 / 3.0 * (8192.0 + k0) / 8192.0 + 1.0 / 3.0 * (7168.0 + k0) / 7168.0);
    let compute = flops * cal.gemm_tile_rows / (794.5e12 * depth);
    let p = cal.roofline_sharpness;
    let gemm = (weights.powf(p) + compute.powf(p)).powf(1.0 / p);
    let kv_per_token = 80.0 * 2.0 * (8.0 / 4.0) * 128.0 * 2.0; // layers × K,V × heads per GPU × dim × bytes
    let ctx = 1000.0;
    let kv = ctx * kv_per_token / (3.35e12 * cal.kv_hbm_efficiency);
    let act = 8192.0 * 2.0;
    let all_reduce = cal.collective_latency_s + 2.0 * 3.0 / 4.0 * act / (450e9 * cal.collective_efficiency);
    let comm = 2.0 * 80.0 * all_reduce;
    let device = 80.0 * cal.layer_overhead_s + cal.elementwise_bytes_per_hidden * 8192.0 * 80.0 / 4.0 / bw;
    // The host's work for the next step (TensorRT-LLM's overlap scheduler) runs while the GPU
    // computes this one, so the step is the longer of the two.
    let host = cal.step_overhead_s + cal.sequence_overhead_s;
    assert!(cal.host_overlap);
    let hand = (gemm + kv + comm + device).max(host);
    let step = r.step(1.0, ctx, 0.0, 0.0, 1.0);
    assert!(step.gemm_memory_s > step.gemm_compute_s && step.attention_memory_s > step.attention_compute_s);
    assert_eq!(step.bound(), "memory");
    assert!((step.total_s - hand).abs() / hand < 1e-9, "{} vs {hand}", step.total_s);
    assert!((r.memory.kv_bytes_per_token - kv_per_token).abs() < 1e-9);
}

#[test]
fn batch_one_decode_streams_the_weights_on_every_chip() {
    // Batch-1 decode is bound by the weights crossing HBM: never faster than weight bytes ÷
    // peak bandwidth, and within 1.5x of it (efficiency, overheads, the KV cache, the
    // padded GEMM rows), on every catalogued chip that holds Llama 3.1 70B or 8B.
    let c = Catalog::builtin().expect("catalog");
    let cal = InferCalibration::default();
    let mut checked = 0;
    for a in &c.accelerators {
        let Some((model, p, step, ideal)) = batch_one_decode(&c, &a.id, &cal) else { continue };
        let ratio = step / ideal;
        assert!((1.0..=1.5).contains(&ratio), "{} ({model}, {p}): {ratio:.3}x weights ÷ bandwidth", a.id);
        checked += 1;
    }
    assert!(checked >= c.accelerators.len() - 2, "{checked} of {} chips checked", c.accelerators.len());
}

#[test]
fn llama31_70b_bf16_needs_two_gpus_and_kv_capacity_at_8k() {
    let one = replica("llama3.1-70b", "h100-sxm", 1, Precision::Bf16);
    assert!(!one.fits(), "weights alone are {:.0} GiB", one.memory.weights_gib);
    let two = replica("llama3.1-70b", "h100-sxm", 2, Precision::Bf16);
    assert!(two.fits());
    // Per GPU: 80 layers × (K and V) × 4 of 8 KV heads × 128 × 2 bytes = 160 KiB per token.
    assert_eq!(two.memory.kv_bytes_per_token, 163_840.0);
    // Pool: 90 % of what weights (70.55B × 2 bytes ÷ 2 GPUs), workspace and 2 GiB leave. The
    // workspace holds a `max_tokens` step and, beside it, the CUDA graph pool of the largest
    // captured decode batch (2,048, the default `max_batch`): its activations and logits.
    let weights_gib = 70_553_706_496.0 * 2.0 / 2.0 / GIB;
    let step = |t: f64| t * (8192.0 * 16.0 + 28672.0 / 2.0 * 6.0) + 2048.0 * 128_256.0 / 2.0 * 4.0;
    let workspace = step(8192.0) + step(2048.0);
    let pool_gib = 0.9 * (80.0 - weights_gib - workspace / GIB - 2.0);
    assert!((two.memory.kv_cache_gib - pool_gib).abs() < 1e-9, "{} vs {pool_gib}", two.memory.kv_cache_gib);
    let sequences_8k = (pool_gib * GIB / 163_840.0 / 8192.0).floor();
    assert_eq!(two.kv_capacity(8192.0), sequences_8k);
    assert!(sequences_8k >= 1.0);
}

#[test]
fn latency_grows_with_load_and_throughput_with_batch() {
    let r = replica("llama3.1-8b", "h100-sxm", 1, Precision::Bf16);
    let mut last = (0.0, 0.0);
    for c in [1, 4, 16, 64, 256] {
        let e = evaluate(&r, 1000, 500, Mode::Concurrency(c));
        assert!(e.tpot_s > last.0 && e.output_tokens_per_s > last.1, "concurrency {c}");
        last = (e.tpot_s, e.output_tokens_per_s);
    }
    let long = evaluate(&r, 20_000, 2000, Mode::MaxLoad);
    let short = evaluate(&r, 1000, 1000, Mode::MaxLoad);
    assert!(long.max_batch < short.max_batch);
    assert_eq!(long.max_batch_limited_by, "kv_cache");
    let b = evaluate(&r, 1000, 500, Mode::Batch(8));
    assert!(b.ttft_s > 0.0 && b.e2e_s > b.ttft_s);
}

#[test]
fn prompt_chunks_fill_the_token_budget_on_a_share_of_the_steps() {
    // Llama 3.1 8B fp8 on one H100 at 20,000/2,000 under maximum load: the KV pool holds a few
    // dozen sequences, whose prompts arrive at (b − 1)·I/O tokens a step on average. A share
    // f = that ÷ (budget − b) of the steps carries a full chunk, the rest decode only, and the
    // TPOT is their mean, by hand from two steps.
    let r = replica("llama3.1-8b", "h100-sxm", 1, Precision::Fp8);
    let (i, o) = (20_000.0, 2000.0);
    let e = evaluate(&r, 20_000, 2000, Mode::MaxLoad);
    let b = f64::from(e.batch);
    let others = (b - 1.0) * i / o;
    let room = f64::from(Engine::default().max_tokens) - b;
    let f = others / room;
    assert!(f > 0.0 && f < 1.0, "a share of the steps: {f}");
    let decode = r.step(b, i + o / 2.0, 0.0, 0.0, b).total_s;
    let chunk = r.step(b, i + o / 2.0, room, i / 2.0, b + room / i).total_s;
    let want = (1.0 - f) * decode + f * chunk;
    assert!((e.tpot_s - want).abs() < 1e-12 * want, "tpot {} s, by hand {want} s", e.tpot_s);
    // The roofline is convex in the step's tokens, so bursts never beat the same prompt tokens
    // spread over every step: the chunk's compute cannot hide under a decode step's KV reads.
    let spread = r.step(b, i + o / 2.0, others, i / 2.0, b + others / i).total_s;
    assert!(e.tpot_s > spread, "{} s against {spread} s spread out", e.tpot_s);
    // A lone sequence has no others' prompts: every step decodes only.
    let one = evaluate(&r, 20_000, 2000, Mode::Concurrency(1));
    let alone = r.step(1.0, i + o / 2.0, 0.0, 0.0, 1.0).total_s;
    assert!((one.tpot_s - alone).abs() < 1e-12 * alone, "{} s against {alone} s", one.tpot_s);
}

/// Qwen3-235B-A22B at FP8 on 8 H200: `tp` × `ep` (ep 8 with tp 1 is 8 attention groups).
fn qwen3_235b_on_8_h200(tp: u32, ep: u32, engine: &Engine, cal: &InferCalibration) -> Replica {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("qwen3-235b-a22b").expect("model");
    let prec = Precisions::uniform(Precision::Fp8);
    let cluster = Cluster::new(&c, "h200", None, prec.activations, &Calibration::default()).expect("cluster");
    Replica::new(spec, &cluster, &InferConfig { tp, pp: 1, ep, precision: prec }, engine, cal)
}

#[test]
fn attention_groups_prefill_within_their_own_token_budget() {
    // Qwen3-235B over 8 H200 as 8 attention groups: each group's 8,192-token budget holds its
    // share of the running batch plus a whole 128-token prompt, so under maximum load a prompt
    // is prefilled in one step, not one token a step as if one group held the whole batch.
    let engine = Engine { max_batch: 4096, max_tokens: 8192, ..Engine::default() };
    let r = qwen3_235b_on_8_h200(1, 8, &engine, &InferCalibration::default());
    let e = evaluate(&r, 128, 128, Mode::MaxLoad);
    assert!(e.batch > 8192, "batch {} spans the groups", e.batch);
    assert!(e.ttft_s < 2.0 * e.tpot_s, "ttft {} s, tpot {} s", e.ttft_s, e.tpot_s);
}

#[test]
fn expert_parallel_layers_wait_for_the_busiest_gpu() {
    // The router's skew slows a layer whose experts sit whole on each of ep GPUs by the
    // straggler factor on its expert GEMMs; experts split tensor-parallel share every expert
    // evenly and do not wait.
    let step = |(tp, ep): (u32, u32), imbalance: f64| {
        let cal = InferCalibration { expert_imbalance: imbalance, ..InferCalibration::default() };
        qwen3_235b_on_8_h200(tp, ep, &Engine::default(), &cal).step(4096.0, 2048.0, 0.0, 0.0, 4096.0)
    };
    let (even, skewed) = (step((1, 8), 1.0), step((1, 8), 1.8));
    assert!(
        (skewed.gemm_compute_s - even.gemm_compute_s) > 0.0 && skewed.total_s > even.total_s,
        "{even:?} {skewed:?}"
    );
    assert_eq!(step((8, 1), 1.0), step((8, 1), 1.8));
}

#[test]
fn context_and_layout_rules_name_the_numbers() {
    let c = Catalog::builtin().expect("catalog");
    let spec = c.model("llama2-7b").expect("model");
    let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: Precisions::uniform(Precision::Bf16) };
    let e = cfg.check(spec, 4000, 200, "cli").expect_err("too long").to_string();
    assert!(e.contains("4000 + 200 = 4200") && e.contains("4096"), "{e}");
    let qwen = suanli_core::model::from_hf_config(
        &std::fs::read_to_string(format!("{}/tests/fixtures/hf/qwen2-7b.json", env!("CARGO_MANIFEST_DIR")))
            .expect("fixture"),
        "qwen2-7b.json",
    )
    .expect("imports");
    let e = InferConfig { tp: 7, ..cfg }.check(&qwen, 10, 10, "cli").expect_err("kv heads").to_string();
    assert!(e.contains("KV heads (4)"), "{e}");
}

#[test]
fn no_chip_sustains_more_matmul_per_watt_than_its_measured_flagship() {
    // A power-capped card of a die (H100 NVL at 400 W, H100 PCIe at 350 W) cannot beat the
    // energy per FLOP the full-power part was measured at (H100 SXM at 700 W): its catalogued
    // MAMF is at most TDP × (flagship MAMF ÷ flagship TDP), at every precision.
    let c = Catalog::builtin().expect("catalog");
    let sxm = c.accelerator("h100-sxm").expect("h100-sxm");
    let sxm_w = sxm.tdp_w.as_ref().expect("tdp").v;
    for id in ["h100-nvl", "h100-pcie", "h200"] {
        let a = c.accelerator(id).expect(id);
        let w = a.tdp_w.as_ref().expect("tdp").v;
        for (p, f) in &sxm.mamf_tflops {
            let cap = f.v * w.min(sxm_w) / sxm_w;
            let m = a.mamf_tflops.get(p).unwrap_or_else(|| panic!("{id} {p:?}: a sustained rate")).v;
            assert!(m <= cap * (1.0 + 1e-3), "{id} {p:?}: {m} TFLOP/s above {cap:.1}");
            assert!(m <= a.dense_tflops[p].v, "{id} {p:?}: below the peak");
        }
    }
}
