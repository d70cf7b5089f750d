//! Property tests (proptest) of the planners' invariants over generated layouts, loads and
//! figures: the training step's parts sum to it, MFU ≤ HFU ≤ 1, memory grows with the
//! micro-batch, weak scaling never lowers throughput; TPOT is at least the time to read the
//! weights, throughput does not fall as the batch grows while memory allows it; stated figures
//! round-trip through `round_sig` and `parse_stated`; and the planners survive extreme shapes.

use proptest::prelude::*;
use suanli_core::Catalog;
use suanli_core::infer::{
    Engine, InferCalibration, InferConfig, Mode, Precisions, Replica, evaluate as infer_eval,
};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::sigfig::{parse_stated, percent_decimals, round_sig};
use suanli_core::train::{
    Calibration, Candidates, Cluster, Constraints, Layout, Objective, Prepared, Recompute, Stack, Workload,
    evaluate, search,
};

const MODELS: [&str; 5] = ["llama3.1-8b", "gpt3-13b", "llama3.1-70b", "mixtral-8x7b", "deepseek-v3"];
const GPUS: [&str; 3] = ["h100-sxm", "a100-sxm-80gb", "mi300x"];

fn catalog() -> &'static Catalog {
    static C: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    C.get_or_init(|| Catalog::builtin().unwrap())
}

fn model(i: usize) -> ModelSpec {
    catalog().model(MODELS[i % MODELS.len()]).unwrap().clone()
}

fn cluster(i: usize, p: Precision) -> Cluster {
    Cluster::new(catalog(), GPUS[i % GPUS.len()], None, p, &Calibration::default()).unwrap()
}

/// A valid layout for `m` built from arbitrary choices: each degree is a divisor picked by
/// index, so every generated layout passes `Layout::check` or is skipped.
#[derive(Debug, Clone)]
struct Choice {
    model: usize,
    gpu: usize,
    tp: usize,
    pp: usize,
    vp: usize,
    dp: u32,
    ep: usize,
    mb: u32,
    per_mb: u32,
    recompute: usize,
    zero: u8,
    seq: u32,
    stack: usize,
}

fn choice() -> impl Strategy<Value = Choice> {
    (
        (0..MODELS.len(), 0..GPUS.len(), any::<usize>(), any::<usize>(), any::<usize>(), 1u32..=64),
        (
            any::<usize>(),
            1u32..=8,
            1u32..=16,
            0usize..3,
            0u8..4,
            prop_oneof![Just(2048u32), Just(4096), Just(8192)],
            0usize..3,
        ),
    )
        .prop_map(|((model, gpu, tp, pp, vp, dp), (ep, mb, per_mb, recompute, zero, seq, stack))| {
            Choice { model, gpu, tp, pp, vp, dp, ep, mb, per_mb, recompute, zero, seq, stack }
        })
}

fn divisors(n: u32) -> Vec<u32> {
    (1..=n).filter(|d| n % d == 0).collect()
}

fn pick(ds: &[u32], i: usize) -> u32 {
    ds[i % ds.len()]
}

fn build(c: &Choice) -> Option<(ModelSpec, Workload, Layout)> {
    let m = model(c.model);
    let tp =
        pick(&divisors(m.heads.min(8)).into_iter().filter(|t| m.heads % t == 0).collect::<Vec<_>>(), c.tp);
    let pp = pick(&divisors(m.layers).into_iter().filter(|&p| p <= 16).collect::<Vec<_>>(), c.pp);
    let vp = if pp > 1 {
        pick(&divisors(m.layers / pp).into_iter().filter(|&v| v <= 4).collect::<Vec<_>>(), c.vp)
    } else {
        1
    };
    let ep = match &m.moe {
        Some(moe) => {
            pick(&divisors(moe.experts).into_iter().filter(|e| c.dp % e == 0).collect::<Vec<_>>(), c.ep)
        }
        None => 1,
    };
    let zero = if pp > 1 { c.zero.min(1) } else { c.zero };
    // The batch: micro-batches a multiple of pp (interleaving needs it).
    let micro_batches = c.per_mb * pp;
    let w =
        Workload { global_batch: c.dp * c.mb * micro_batches, seq_len: c.seq, precision: Precision::Bf16 };
    let l = Layout {
        ep,
        vp,
        ..Layout::model_and_data_parallel(tp, pp, c.dp, c.mb, Recompute::ALL[c.recompute], zero)
    };
    l.check(&m, &w, "prop").ok()?;
    Some((m, w, l))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The parts of the step sum to it; 0 < MFU ≤ HFU ≤ 1; memory is positive and finite.
    #[test]
    fn step_parts_sum_and_utilisation_is_bounded(c in choice()) {
        let Some((m, w, l)) = build(&c) else { return Ok(()) };
        let cl = cluster(c.gpu, w.precision);
        let p = Prepared::new(&m, &cl, &w, &Calibration::default(), &Stack::ALL[c.stack]);
        let e = evaluate(&p, &l);
        let t = e.time;
        let sum = t.compute_s + t.recompute_s + t.tp_comm_s + t.ep_comm_s + t.cp_comm_s + t.pp_bubble_s + t.pp_p2p_s + t.dp_comm_s + t.optimizer_s;
        prop_assert!((sum - e.step_time_s).abs() <= 1e-9 * e.step_time_s, "{l:?}: {sum} vs {}", e.step_time_s);
        prop_assert!(e.mfu > 0.0 && e.mfu <= e.hfu + 1e-12 && e.hfu <= 1.0, "{l:?}: mfu {} hfu {}", e.mfu, e.hfu);
        prop_assert!(e.memory.total_gib.is_finite() && e.memory.total_gib > 0.0);
        prop_assert_eq!(e.gpus, l.gpus());
    }

    /// Doubling the micro-batch (same global batch) never lowers memory per GPU.
    #[test]
    fn memory_grows_with_micro_batch(c in choice()) {
        let Some((m, w, l)) = build(&c) else { return Ok(()) };
        let bigger = Layout { micro_batch: l.micro_batch * 2, ..l };
        if bigger.check(&m, &w, "prop").is_err() {
            return Ok(());
        }
        let cl = cluster(c.gpu, w.precision);
        let p = Prepared::new(&m, &cl, &w, &Calibration::default(), &Stack::ALL[c.stack]);
        let (a, b) = (evaluate(&p, &l).memory.total_gib, evaluate(&p, &bigger).memory.total_gib);
        prop_assert!(b >= a * (1.0 - 1e-12), "{l:?}: {a} GiB, doubled micro-batch {b} GiB");
    }

    /// More GPUs at the same per-GPU work (dp doubled with the global batch) never lower the
    /// tokens per second — within one network regime. Doubling out of one server's scale-up
    /// domain can: each GPU's data-parallel traffic (a ZeRO-3 gather of its weight shard, the
    /// gradient reduction) does not shrink with dp and moves from NVLink to the NICs, so a
    /// communication-bound step (tiny per-GPU batches) slows by more than 2× (Llama 3.1 8B, tp
    /// 2, ZeRO-3, one 2,048-token sequence a replica: dp 4 → 8 crosses the 8-GPU server).
    #[test]
    fn weak_scaling_never_lowers_throughput(c in choice()) {
        let Some((m, w, l)) = build(&c) else { return Ok(()) };
        let w2 = Workload { global_batch: w.global_batch * 2, ..w };
        let l2 = Layout { dp: l.dp * 2, ..l };
        if l2.check(&m, &w2, "prop").is_err() {
            return Ok(());
        }
        let cl = cluster(c.gpu, w.precision);
        let node = u64::from(cl.node_size);
        if l.gpus() <= node && l2.gpus() > node {
            return Ok(());
        }
        let stack = Stack::ALL[c.stack];
        let e1 = evaluate(&Prepared::new(&m, &cl, &w, &Calibration::default(), &stack), &l);
        let e2 = evaluate(&Prepared::new(&m, &cl, &w2, &Calibration::default(), &stack), &l2);
        // Layouts that do not fit are not run: the property is about the ones that could be.
        if !(e1.fits && e2.fits) {
            return Ok(());
        }
        prop_assert!(e2.tokens_per_s >= e1.tokens_per_s * (1.0 - 1e-12), "{l:?}: {} → {}", e1.tokens_per_s, e2.tokens_per_s);
    }
}

fn replica(model_i: usize, gpu: usize, tp: usize, prec: usize) -> Option<Replica> {
    let m = model(model_i);
    let p = [Precision::Bf16, Precision::Fp8][prec % 2];
    let precisions = Precisions::uniform(p);
    let cl = Cluster::new(
        catalog(),
        GPUS[gpu % GPUS.len()],
        None,
        precisions.activations,
        &Calibration::default(),
    )
    .ok()?;
    let tp = [1, 2, 4, 8][tp % 4];
    let cfg = InferConfig { tp, pp: 1, ep: 1, precision: precisions };
    cfg.check(&m, 1, 1, "prop").ok()?;
    let r = Replica::new(&m, &cl, &cfg, &Engine::default(), &InferCalibration::default());
    r.fits().then_some(r)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Decoding a token reads every weight a GPU holds (dense models): TPOT is at least that
    /// time at the chip's peak bandwidth.
    #[test]
    fn tpot_is_at_least_the_weight_read(model_i in 0usize..3, gpu in 0usize..3, tp in 0usize..4, prec in 0usize..2, input in 1u32..8000, output in 2u32..4000, conc in 1u32..512) {
        let Some(r) = replica(model_i, gpu, tp, prec) else { return Ok(()) };
        let e = infer_eval(&r, input, output, Mode::Concurrency(conc));
        let bound = r.memory.weights_gib * 1024.0 * 1024.0 * 1024.0 / r.cluster().hbm_bytes_per_s;
        prop_assert!(e.tpot_s >= bound * (1.0 - 1e-9), "tpot {} < weight read {bound}", e.tpot_s);
        prop_assert!(e.ttft_s > 0.0 && e.output_tokens_per_s > 0.0);
    }

    /// Throughput does not fall as concurrency grows up to the batch memory allows — beyond the
    /// GEMMs' tile quantisation: a step of 193 sequences pads its rows to the kernel's next
    /// tile, as real kernels do, so throughput may dip by the padded share just past a tile
    /// boundary before it climbs again: under 2 % for the dense GEMMs' 16-row tiles, up to 3 %
    /// where an MoE layer's grouped GEMM pads each expert's rows to 128
    /// (`InferCalibration::expert_tile_rows`).
    #[test]
    fn throughput_non_decreasing_in_batch(model_i in 0usize..5, gpu in 0usize..3, tp in 0usize..4, prec in 0usize..2, input in 1u32..4000, output in 2u32..2000, a in 1u32..256, b in 1u32..256) {
        let Some(r) = replica(model_i, gpu, tp, prec) else { return Ok(()) };
        let cap = infer_eval(&r, input, output, Mode::MaxLoad).max_batch;
        let (lo, hi) = (a.min(b).min(cap.max(1)), a.max(b).min(cap.max(1)));
        let (x, y) = (infer_eval(&r, input, output, Mode::Concurrency(lo)), infer_eval(&r, input, output, Mode::Concurrency(hi)));
        let dip = if model(model_i).moe.is_some() { 0.03 } else { 0.02 };
        prop_assert!(y.output_tokens_per_s >= x.output_tokens_per_s * (1.0 - dip), "batch {lo}: {} tok/s, batch {hi}: {}", x.output_tokens_per_s, y.output_tokens_per_s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// A value rounded to n significant figures and printed with n digits parses back to the
    /// same value and n figures, and is reproduced by the unrounded value.
    #[test]
    fn sigfig_round_trip(mantissa in 1.0f64..10.0, exp in -30i32..30, n in 1u32..10, negative in any::<bool>()) {
        let v = if negative { -1.0 } else { 1.0 } * mantissa * 10f64.powi(exp);
        let rounded = round_sig(v, n);
        let text = format!("{:.*e}", (n - 1) as usize, rounded);
        let s = parse_stated(&text).unwrap();
        prop_assert_eq!(s.sig_figs, n, "{}", text);
        prop_assert!((s.value - rounded).abs() <= 1e-12 * rounded.abs(), "{text}: {} vs {rounded}", s.value);
        prop_assert!(s.reproduced_by(v), "{text} not reproduced by {v}");
        prop_assert!(round_sig(rounded, n) == rounded || (round_sig(rounded, n) - rounded).abs() <= 1e-15 * rounded.abs());
    }

    /// A percentage printed with `percent_decimals` decimals has the stated significant figures.
    #[test]
    fn percent_round_trip(pct in 0.01f64..999.0, n in 1u32..6) {
        let rounded = round_sig(pct, n);
        let d = percent_decimals(n, rounded);
        let text = format!("{rounded:.d$}%");
        let s = parse_stated(&text).unwrap();
        prop_assert!(s.sig_figs >= n.min(s.sig_figs), "{}", text);
        prop_assert!((s.value * 100.0 - rounded).abs() <= 1e-9 * rounded, "{text}");
    }

    /// Total over every value.
    #[test]
    fn sigfig_helpers_are_total(v in any::<f64>(), n in any::<u32>()) {
        let _ = percent_decimals(n, v);
        let r = round_sig(v, n % 40);
        prop_assert!(r.is_nan() == v.is_nan());
    }
}

/// Shapes far beyond any real model, searched and evaluated: no panic, no hang.
#[test]
fn extreme_shapes_search_in_bounded_time() {
    let base = model(0);
    let cl = cluster(0, Precision::Bf16);
    let started = std::time::Instant::now();
    for (layers, experts, batch) in [
        (1u32 << 31, None, 1024u32),
        (3_603_600, None, 3_603_600),
        (32, Some(u32::MAX), 1024),
        (32, None, u32::MAX),
        (u32::MAX, None, 4_294_967_291),
    ] {
        let mut m = base.clone();
        m.layers = layers;
        if let Some(e) = experts {
            let mut moe = model(3).moe.unwrap();
            moe.experts = e;
            m.moe = Some(moe);
        }
        let w = Workload { global_batch: batch, seq_len: 4096, precision: Precision::Bf16 };
        let p = Prepared::new(&m, &cl, &w, &Calibration::default(), &Stack::MODERN);
        for cons in [
            Constraints { gpus: Some(8), max_gpus: 8, ..Constraints::default() },
            Constraints { gpus: None, max_gpus: u64::MAX, ..Constraints::default() },
            Constraints {
                gpus: Some(8),
                max_gpus: 8,
                dp: Some(u32::MAX),
                micro_batch: Some(u32::MAX),
                vp: Some(u32::MAX),
                pp: Some(2),
                ..Constraints::default()
            },
        ] {
            let cands = Candidates::new(&m, &w, &cons, 8);
            let _ = search(&p, &cands, Objective::Fastest);
            let _ = Candidates::try_new(&m, &w, &cons, 8);
        }
    }
    assert!(started.elapsed().as_secs() < 60, "took {:?}", started.elapsed());
}

/// Layouts with degrees at the u32 limits are refused by `Layout::check`, never wrapped.
#[test]
fn layout_check_never_wraps() {
    let m = model(0);
    let w = Workload { global_batch: u32::MAX, seq_len: 1 << 31, precision: Precision::Bf16 };
    for (dp, mb, pp, vp, cp) in [
        (65_536, 65_536, 1, 1, 1),
        (1, 1, 2, 1 << 31, 1),
        (1 << 31, 1, 32, 1, 1 << 31),
        (u32::MAX, u32::MAX, 1, 1, 1),
    ] {
        let l = Layout { cp, vp, ..Layout::model_and_data_parallel(1, pp, dp, mb, Recompute::Full, 0) };
        let _ = l.check(&m, &w, "cli");
        let _ = l.micro_batches(&w);
        let _ = l.schedulable(&w);
    }
}

#[test]
fn generated_layouts_are_mostly_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut built, mut fit, mut weak) = (0, 0, 0);
    for _ in 0..400 {
        let c = choice().new_tree(&mut runner).unwrap().current();
        if let Some((m, w, l)) = build(&c) {
            built += 1;
            let cl = cluster(c.gpu, w.precision);
            let p = Prepared::new(&m, &cl, &w, &Calibration::default(), &Stack::MODERN);
            if evaluate(&p, &l).fits {
                fit += 1;
            }
            let w2 = Workload { global_batch: w.global_batch * 2, ..w };
            if (Layout { dp: l.dp * 2, ..l }).check(&m, &w2, "p").is_ok() {
                weak += 1;
            }
        }
    }
    eprintln!("built {built}, fit {fit}, weak-scalable {weak} of 400");
    assert!(built >= 200, "most generated choices are valid layouts: {built} of 400");
}
