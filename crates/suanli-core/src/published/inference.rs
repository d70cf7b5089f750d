//! `inference.csv`: the inference planner at the published chip, precision and layout.
//!
//! - TensorRT-LLM max-throughput rows: the row's TP × PP group at maximum load
//!   (continuous batching) with the row's uniform lengths and `trtllm-bench`'s own batch and
//!   token caps for that layout and those lengths.
//! - MLPerf Offline: the whole system's GPUs split into replicas of the published layout, or,
//!   where no layout is published, of the tensor-parallel degree (≤ 8, dividing the system)
//!   that serves the most (the NVIDIA harness's layout and batch cap where its configuration
//!   states them); prompt lengths from `mlperf-datasets.csv` (see [`mlperf_length_points`]), the
//!   dataset's mean output length; paged KV (each request holds its own tokens).
//! - Each row at its software stack's constants ([`Stack::from_engine`]).
//! - MLPerf Server: the rate is fixed, so the throughput predicted is `min(capacity,
//!   request_rate × mean output)`. The latencies (mean and p99 TTFT and TPOT) come from
//!   simulating the row's rate on its fleet with the submission's engine ([`super::server`]),
//!   through a [`ServerModel`] that `suanli-api` passes (core cannot call suanli-sim); without
//!   one the means come from the planner at the concurrency Little's law gives for that rate
//!   (`n = λ·latency(n)`, iterated) and the p99 rows are refused.

use super::csv::{Record, records};
use super::server::{
    KvPool, RESULTS_REPO, ServerModel, ServerRun, board_power, clock_scale, mlperf_outputs, mlperf_prompts,
    peer_fabric, submission_engine, submission_precision, system_fact,
};
use super::shape::shape;
use super::training::cluster_for;
use super::{INFERENCE_CSV, MLPERF_DATASETS_CSV, PublishedRow};
use crate::catalog::Catalog;
use crate::hardware::PeerFabric;
use crate::infer::{
    Engine, ExpertExchange, InferCalibration, InferConfig, InferResult, Mode, Precisions, Replica, Stack,
    evaluate,
};
use crate::model::ModelSpec;
use crate::precision::Precision;
use crate::train::{Calibration, Cluster};

/// One prompt length standing for a share of an MLPerf dataset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LengthPoint {
    /// Prompt tokens.
    pub input: u32,
    /// Share of the requests (the points' weights sum to 1).
    pub weight: f64,
}

/// Standard normal quantiles at 10, 30, 50, 70 and 90 %: five equal-weight points.
const Z: [f64; 5] = [-1.281_551_6, -0.524_400_5, 0.0, 0.524_400_5, 1.281_551_6];

/// The prompt-length points of an MLPerf benchmark's dataset and its mean output length:
/// a log-normal with the dataset's median (`p50`) and mean (`σ² = 2·ln(mean ÷ median)`),
/// evaluated at the 10/30/50/70/90 % quantiles and cut at the dataset's maximum.
/// Also the benchmark's `max_new_tokens` (what a no-evict scheduler reserves KV for).
/// `None` where the dataset's input lengths are not published (GPT-J).
#[must_use]
pub fn mlperf_length_points(model: &str) -> Option<(Vec<LengthPoint>, f64, Option<u32>)> {
    let d = records(MLPERF_DATASETS_CSV).into_iter().find(|d| {
        d.get("model") == model && (model != "mixtral-8x7b" || d.get("benchmark").contains("v4.1"))
    })?;
    let (p50, mean, max, out) = (
        d.num("p50_input_tokens")?,
        d.num("mean_input_tokens")?,
        d.num("max_input_tokens")?,
        d.num("mean_output_tokens")?,
    );
    let sigma = (2.0 * (mean / p50).ln()).max(0.0).sqrt();
    let points = Z
        .iter()
        .map(|z| LengthPoint {
            input: (p50 * (sigma * z).exp()).min(max).round().max(1.0) as u32,
            weight: 0.2,
        })
        .collect();
    Some((points, out, d.int("max_new_tokens")))
}

/// The precision a row ran at: the CSV's, except NVIDIA's MLPerf v4.1 B200 preview, which
/// quantised Llama 2 70B to FP4 (Tom's Hardware, 2024-08-28, "Nvidia publishes first
/// Blackwell B200 MLPerf results: up to 4X faster than its H100 predecessor, when using FP4":
/// "Nvidia's Blackwell processor used FP4 precision"); the CSV, reading the harness's
/// `use_fp8` flag, says fp8. A submission whose run scripts set another precision than its
/// system description's `weight_data_types` runs at the scripts' ([`submission_precision`]).
fn row_precision(r: &Record) -> &str {
    if r.get("family") == "mlperf-inference-v4.1" && r.get("gpu") == "b200" {
        "fp4"
    } else if let Some(p) =
        submission_precision(r.get("source")).filter(|_| r.get("family").starts_with("mlperf"))
    {
        p
    } else {
        r.get("precision")
    }
}

fn precisions(recipe: &str) -> Option<Precisions> {
    // FP4 keeps an FP8 KV cache (`Precisions::uniform`), as TensorRT-LLM serves it.
    let p = match recipe {
        "nvfp4" | "fp4" => Precision::Fp4,
        "fp8" => Precision::Fp8,
        "fp16" => Precision::Fp16,
        "bf16" => Precision::Bf16,
        "int8" => Precision::Int8,
        "int4" => Precision::Int4,
        _ => return None,
    };
    Some(Precisions::uniform(p))
}

/// The engine limits `trtllm-bench throughput` sets for a run (TensorRT-LLM v1.0,
/// `tensorrt_llm/bench/build/tuning.py`: `calc_engine_setting` and `finetune_setting`): the
/// requests whose prompt plus output fit the KV memory its estimate leaves (the GPUs' memory
/// less the weights, times `kv_cache_free_gpu_mem_fraction`), capped at 4,096 and divided by
/// the pipeline stages, rounded up to 32, 128 or 256 (at least 64), as `max_batch_size` per
/// micro-batch; `max_num_tokens` that batch times `1 + I/O`, capped at 32,768 and rounded up
/// (at least 2,048). The perf-overview runs set the KV fraction to 0.95 ("in many cases",
/// `docs/source/performance/perf-overview.md`). Our batch and token caps cover all `pp`
/// micro-batches in flight, so both are multiplied by `pp`.
fn trtllm_bench_engine(
    spec: &ModelSpec,
    cluster: &Cluster,
    tp: u32,
    pp: u32,
    p: Precisions,
    input: u32,
    output: u32,
) -> Engine {
    const KV_FRACTION: f64 = 0.95;
    let gib = 1024.0_f64.powi(3);
    let kv_heads = f64::from(spec.kv_heads.max(tp));
    let kv_per_token =
        2.0 * f64::from(spec.layers) * kv_heads * f64::from(spec.head_dim) * p.kv.bytes() / gib;
    let gpus = f64::from(tp) * f64::from(pp);
    let weights = spec.params().total * p.weights.bytes() / gib;
    let cache = (cluster.memory_gib * gpus - weights) * KV_FRACTION;
    let requests = (cache / (kv_per_token * (f64::from(input) + f64::from(output)))).max(1.0);
    let raw_bs = requests.min(4096.0) / f64::from(pp);
    let raw_tokens = (raw_bs * (1.0 + f64::from(input) / f64::from(output))).min(32768.0);
    let round = |x: f64, step: f64| step * (x / step).ceil();
    let max_bs = if raw_bs < 256.0 {
        round(raw_bs, 32.0).max(64.0)
    } else if raw_bs < 1024.0 {
        round(raw_bs, 128.0)
    } else {
        round(raw_bs, 256.0)
    };
    let max_tokens = if raw_tokens < 4096.0 {
        round(raw_tokens, 256.0).max(2048.0)
    } else if raw_tokens < 8192.0 {
        round(raw_tokens, 512.0)
    } else {
        round(raw_tokens, 1024.0)
    };
    Engine {
        max_batch: (max_bs * f64::from(pp)) as u32,
        max_tokens: (max_tokens * f64::from(pp)) as u32,
        kv_memory_fraction: KV_FRACTION,
        max_new_tokens: None,
    }
}

/// The layout a `trtllm-bench` row of `tp` × `pp` GPUs runs. Dense models: tensor parallel as
/// published. MoE models: the perf-overview's MoE recipe (TensorRT-LLM v1.0
/// `docs/source/performance/perf-overview.md`, "For MoE models": `--ep $ep_size` and
/// `enable_attention_dp: true`), so attention and the dense weights run data-parallel over the
/// `tp` GPUs of a stage and the routed experts are sharded over them. The expert-parallel size
/// is not stated per cell; we take `ep = tp` (every GPU a whole share of the experts), the
/// only value for which the recipe's `--ep` does anything with attention DP. (The page nests
/// `enable_attention_dp` under `cuda_graph_config`, whose pydantic model forbids unknown keys,
/// so the runs must have set it at the top level, where it belongs.) The tokens reach
/// the experts by all-gather and reduce-scatter ([`ExpertExchange::AllGather`]): TensorRT-LLM
/// v1.0 picks its all-to-all only with `moe_ep_size > top_k` on multi-node NVLink systems
/// (`select_alltoall_method_type`), i.e. an NVL72 rack, where we keep the point-to-point
/// exchange.
fn trtllm_bench_layout(
    spec: &ModelSpec,
    cluster: &Cluster,
    tp: u32,
    pp: u32,
    p: Precisions,
    calib: &InferCalibration,
) -> (InferConfig, InferCalibration) {
    let mut cal = *calib;
    match &spec.moe {
        Some(m) if tp > 1 && tp <= m.experts => {
            let all_to_all = tp > m.active && cluster.node_size > 8;
            cal.expert_exchange =
                if all_to_all { ExpertExchange::PointToPoint } else { ExpertExchange::AllGather };
            (InferConfig { tp: 1, pp, ep: tp, precision: p }, cal)
        }
        _ => (InferConfig { tp, pp, ep: 1, precision: p }, cal),
    }
}

/// NVIDIA's MLPerf Inference v4.1 harness settings for Llama 2 70B per chip (closed division,
/// `closed/NVIDIA/configs/llama2-70b/{Offline,Server}/__init__.py` in
/// mlcommons/inference_results_v4.1, commit a2f5d66d): tensor-parallel degree (the same in
/// both scenarios) and `gpu_batch_size` (the engine's batch cap per replica) for Offline and for
/// Server. Partner submissions of the TensorRT harness that leave the layout unpublished run
/// these configurations.
const NVIDIA_LLAMA2: [(&str, u32, u32, u32); 4] =
    [("h100-sxm", 2, 896, 1024), ("h100-nvl", 2, 1300, 640), ("h200", 1, 806, 896), ("gh200", 1, 806, 806)];

/// Offline submissions of the NVIDIA harness whose own class sets another layout than
/// [`NVIDIA_LLAMA2`] gives the chip, or one for a chip NVIDIA's configs leave out, resolved by
/// hand in `closed/<submitter>/configs/llama2-70b/Offline/{__init__,custom}.py` at
/// mlcommons/inference_results_v4.1 commit a2f5d66d (`OfflineGPUBaseConfig`:
/// `tensor_parallelism` 2 where a class does not set it): submitter, system (result
/// directory), tensor-parallel degree, `gpu_batch_size`, the file and class.
const OFFLINE_LLAMA2: [(&str, &str, (u32, u32), &str); 3] = [
    (
        "ASUSTeK",
        "ESC8000A_E12_H100x8_TRT",
        (2, 896),
        "closed/ASUSTeK/configs/llama2-70b/Offline/custom.py ESC8000A_E12_H100X8",
    ),
    (
        "Fujitsu",
        "CDI_L40Sx8_TRT",
        (4, 1024),
        "closed/Fujitsu/configs/llama2-70b/Offline/custom.py CDI_L40SX8",
    ),
    (
        "Lenovo",
        "SR675_V3_8xH100_NVL_TRT",
        (1, 1300),
        "closed/Lenovo/configs/llama2-70b/Offline/__init__.py SR675_V3_8XH100_NVL",
    ),
];

/// The NVIDIA harness layout and batch cap for a TensorRT MLPerf row whose layout is unpublished
/// or the harness's, where the harness states them: the submission's own Offline class where
/// [`OFFLINE_LLAMA2`] holds it, its own Server class where its Server engine
/// ([`submission_engine`]) states both, else NVIDIA's for the chip.
fn harness(r: &Record) -> Option<(u32, u32)> {
    if !nvidia_harness(r) || r.get("model") != "llama2-70b" {
        return None;
    }
    let server = r.get("scenario") == "server";
    // The submission's own class: its Server engine's where that states layout and batch,
    // its Offline class where [`OFFLINE_LLAMA2`] holds it.
    let own = if server {
        submission_engine(r.get("model"), r.get("gpu"), r.get("engine"), r.get("source"))
            .and_then(|e| e.tp.zip(e.max_batch))
    } else {
        system_fact(&OFFLINE_LLAMA2, r.get("source")).map(|(layout, _)| layout)
    };
    own.filter(|&(tp, _)| r.int("tp").is_none_or(|t| t == tp)).or_else(|| {
        NVIDIA_LLAMA2
            .iter()
            .find(|&&(g, tp, _, _)| g == r.get("gpu") && r.int("tp").is_none_or(|t| t == tp))
            .map(|&(_, tp, offline, srv)| (tp, if server { srv } else { offline }))
    })
}

/// NVIDIA's MLPerf Inference v4.1 harness settings for Mixtral 8x7B Offline per chip (the
/// `OfflineGPUBaseConfig` classes of NVIDIA's `configs/mixtral-8x7b/Offline/__init__.py`, as
/// the partners' copies carry them, e.g. `closed/Supermicro/configs/mixtral-8x7b/Offline/
/// __init__.py`, whose `GPUBaseConfig` sets `max_num_tokens = 16384` in
/// `closed/NVIDIA/configs/mixtral-8x7b/__init__.py`, mlcommons/inference_results_v4.1@a2f5d66d):
/// chip, `gpu_batch_size` (the engine's batch cap) and `max_num_tokens` (tokens a step). All
/// tensor-parallel 1. `H100_SXM_80GBx1` sets 896 sequences and 8,192 tokens,
/// `H200_SXM_141GBx1` 3,072 (its MaxQ class inherits them), `GH200_144GB_aarch64x1` 806. The
/// partners' own Offline classes repeat them (Dell `XE8640_H100_SXM_80GBx4` 896 and 8,192,
/// `XE9680_H200_SXM_141GBX8` and GigaComputing's `G593_SD1` 3,072) except where
/// [`OFFLINE_MIXTRAL_OWN`] holds them.
const NVIDIA_MIXTRAL_OFFLINE: [(&str, u32, u32); 3] =
    [("h100-sxm", 896, 8192), ("h200", 3072, 16_384), ("gh200", 806, 16_384)];

/// Mixtral Offline classes of partners that set other limits than [`NVIDIA_MIXTRAL_OFFLINE`]:
/// submitter, system (result directory), (batch cap, tokens a step), the file and class.
/// Fujitsu's `GX2560M7_H100_SXM_80GBX4` sets 896 sequences and leaves `max_num_tokens` at the
/// base 16,384.
const OFFLINE_MIXTRAL_OWN: [(&str, &str, (u32, u32), &str); 1] = [(
    "Fujitsu",
    "GX2560M7_H100_SXM_80GBx4_TRT",
    (896, 16_384),
    "closed/Fujitsu/configs/mixtral-8x7b/Offline/custom.py GX2560M7_H100_SXM_80GBX4",
)];

/// Whether a row ran NVIDIA's MLPerf harness on TensorRT engines ([`Stack::TensorrtMlperf`]),
/// whose config classes [`harness`] and [`mixtral_offline`] read.
fn nvidia_harness(r: &Record) -> bool {
    r.get("family").starts_with("mlperf") && Stack::from_engine(r.get("engine")) == Stack::TensorrtMlperf
}

/// The batch cap and tokens a step of a TensorRT MLPerf Mixtral Offline row's engine.
fn mixtral_offline(r: &Record) -> Option<(u32, u32)> {
    if !nvidia_harness(r) || r.get("model") != "mixtral-8x7b" || r.get("scenario") != "offline" {
        return None;
    }
    system_fact(&OFFLINE_MIXTRAL_OWN, r.get("source"))
        .map(|(limits, _)| limits)
        .or_else(|| NVIDIA_MIXTRAL_OFFLINE.iter().find(|m| m.0 == r.get("gpu")).map(|m| (m.1, m.2)))
}

/// How a row's engine limits are set: the planner's defaults with the row's `max_new_tokens`,
/// or `trtllm-bench`'s own settings for the layout and lengths.
#[derive(Clone, Copy)]
enum Limits {
    Fixed(Engine),
    TrtllmBench,
}

/// A prepared replica and how many of them the row's GPUs hold.
struct Fleet {
    replica: Replica,
    replicas: f64,
    tp: u32,
    pp: u32,
}

fn replica(
    spec: &ModelSpec,
    cluster: &Cluster,
    cfg: InferConfig,
    engine: &Engine,
    calib: &InferCalibration,
) -> Option<Replica> {
    // The tensor-parallel rules apply; a pipeline that does not divide the layers evenly (as
    // published for some TensorRT-LLM runs) is evaluated with the mean stage.
    InferConfig { pp: 1, ..cfg }.check(spec, 1, 1, "published").ok()?;
    Some(Replica::new(spec, cluster, &cfg, engine, calib))
}

/// `$num_requests` of each `trtllm-bench` run by its input and output lengths (TensorRT-LLM
/// v1.0 `docs/source/performance/perf-overview.md`, "Preparing a Dataset": more requests for
/// short lengths "to guarantee that the system hit a steady state").
const TRTLLM_BENCH_REQUESTS: [(u32, u32, u32); 10] = [
    (128, 128, 30_000),
    (128, 2048, 3000),
    (128, 4096, 1500),
    (1000, 2000, 1500),
    (2048, 128, 3000),
    (2048, 2048, 1500),
    (5000, 500, 1500),
    (1000, 1000, 3000),
    (500, 2000, 3000),
    (20_000, 2000, 1000),
];

/// Requests in the dataset of a `trtllm-bench` run of these lengths, where the page states it.
fn trtllm_bench_requests(input: u32, output: u32) -> Option<u32> {
    TRTLLM_BENCH_REQUESTS.iter().find(|&&(i, o, _)| i == input && o == output).map(|&(.., n)| n)
}

/// Sequences running on average when `n` requests of identical lengths all arrive at once and
/// the engine holds `capacity` of them: they run in `⌈n ÷ capacity⌉` waves that start and end
/// together, `n ÷ waves` each. A dataset smaller than the KV capacity never fills it.
fn wave_concurrency(n: u32, capacity: u32) -> u32 {
    let waves = n.div_ceil(capacity.max(1));
    n.div_ceil(waves)
}

/// Output tokens/s of one replica over the length points, combined by time: each point's
/// requests take `O ÷ rate` seconds per request-share, so the mix runs at the weighted
/// harmonic mean of the rates.
fn mixed_rate(r: &Replica, points: &[LengthPoint], output: u32, dataset: Option<u32>) -> (f64, bool) {
    let mut inv = 0.0;
    let mut fits = true;
    for pt in points {
        let mut res = evaluate(r, pt.input, output, Mode::MaxLoad);
        if let Some(n) = dataset.filter(|_| res.batch > 0) {
            let running = wave_concurrency(n, res.batch);
            if running < res.batch {
                res = evaluate(r, pt.input, output, Mode::Concurrency(running));
            }
        }
        fits &= res.fits;
        inv += pt.weight / res.output_tokens_per_s.max(1e-9);
    }
    (1.0 / inv, fits)
}

fn fleet(
    spec: &ModelSpec,
    cluster: &Cluster,
    r: &Record,
    p: Precisions,
    limits: Limits,
    calib: &InferCalibration,
    (points, output): (&[LengthPoint], u32),
) -> Result<(Fleet, f64, bool), String> {
    let gpus = r.int("gpus").ok_or("gpus not published")?;
    let options: Vec<(u32, u32)> = match (harness(r), r.int("tp"), r.int("pp")) {
        (Some((tp, _)), ..) => vec![(tp, 1)],
        (None, Some(tp), pp) => vec![(tp, pp.unwrap_or(1))],
        (None, None, Some(pp)) => vec![(1, pp)],
        (None, None, None) => (1..=gpus.min(8)).filter(|t| gpus % t == 0).map(|t| (t, 1)).collect(),
    };
    // A `trtllm-bench` run's dataset size, the same for every layout tried.
    let dataset = match (limits, points) {
        (Limits::TrtllmBench, [pt]) => trtllm_bench_requests(pt.input, output),
        _ => None,
    };
    let mut best: Option<(Fleet, f64, bool)> = None;
    for (tp, pp) in options {
        let engine = match limits {
            Limits::Fixed(e) => e,
            Limits::TrtllmBench => {
                let input = points.first().map_or(1, |pt| pt.input);
                trtllm_bench_engine(spec, cluster, tp, pp, p, input, output)
            }
        };
        let (cfg, calib) = match limits {
            Limits::TrtllmBench => trtllm_bench_layout(spec, cluster, tp, pp, p, calib),
            Limits::Fixed(_) => (InferConfig { tp, pp, ep: 1, precision: p }, *calib),
        };
        let own = wired(cluster, r, tp, &calib);
        let Some(rep) = replica(spec, own.as_ref().unwrap_or(cluster), cfg, &engine, &calib) else {
            continue;
        };
        let replicas = (f64::from(gpus) / (f64::from(tp) * f64::from(pp))).floor().max(1.0);
        let (rate, fits) = mixed_rate(&rep, points, output, dataset);
        let total = if fits { rate * replicas } else { 0.0 };
        if best.as_ref().is_none_or(|b| total > b.1) {
            best = Some((Fleet { replica: rep, replicas, tp, pp }, total, fits));
        }
    }
    best.ok_or_else(|| "no tensor/pipeline layout is valid for this model".into())
}

/// The planner at a fixed arrival rate per replica: the concurrency `n` that Little's law
/// gives (`n = λ·e2e(n)`), found by iteration, at the median prompt.
fn at_rate(rep: &Replica, lambda: f64, input: u32, output: u32) -> InferResult {
    let mut n = 1.0_f64;
    let mut res = evaluate(rep, input, output, Mode::Concurrency(1));
    for _ in 0..60 {
        res = evaluate(rep, input, output, Mode::Concurrency(n.round().max(1.0) as u32));
        let next = (lambda * res.e2e_s).clamp(1.0, f64::from(res.max_batch.max(1)));
        if (next - n).abs() < 0.5 {
            break;
        }
        n = 0.5 * (n + next);
    }
    res
}

/// The engine limits, the prompt-length points and the output length a row is evaluated with:
/// its own uniform lengths, or the MLPerf dataset's distribution.
fn lengths(r: &Record) -> Result<(Limits, Vec<LengthPoint>, f64), String> {
    let mut engine = Engine::default();
    let (points, output) = match (r.int("input_tokens"), r.num("output_tokens")) {
        (Some(i), Some(o)) => (vec![LengthPoint { input: i, weight: 1.0 }], o),
        _ => {
            let (pts, o, max_new) = mlperf_length_points(r.get("model"))
                .ok_or("the dataset's input lengths are not published (mlperf-datasets.csv)")?;
            // Paged KV: the engines reserve a request's blocks as its tokens arrive (the NVIDIA
            // harness's batch caps, e.g. 896 sequences on two H100s, hold only with the
            // requests' own lengths, not `max_new_tokens` = {max_new:?} each).
            let _ = max_new;
            if let Some((_, batch)) = harness(r) {
                engine.max_batch = batch;
            }
            if let Some((batch, tokens)) = mixtral_offline(r) {
                (engine.max_batch, engine.max_tokens) = (batch, tokens);
            }
            (pts, o)
        }
    };
    let limits =
        if r.get("engine").contains("trtllm-bench") { Limits::TrtllmBench } else { Limits::Fixed(engine) };
    Ok((limits, points, output))
}

/// What [`lengths`] assumed, where the row does not state it.
fn lengths_note(r: &Record, limits: Limits, points: &[LengthPoint], output: f64) -> Option<String> {
    let Limits::Fixed(engine) = limits else {
        return Some(
            "trtllm-bench's max_batch_size and max_num_tokens for the layout and lengths, KV fraction 0.95"
                .into(),
        );
    };
    if r.int("input_tokens").is_some() {
        return None;
    }
    let shown: Vec<String> = points.iter().map(|p| p.input.to_string()).collect();
    Some(format!(
        "prompt lengths {} (log-normal quantiles), output {output}, KV reserved for {} new tokens",
        shown.join("/"),
        engine.max_new_tokens.unwrap_or(0)
    ))
}

/// The row's chip at its system's board power where that is not the chip's TDP
/// ([`board_power`]): the FLOP rates at [`clock_scale`] of the clock, HBM unchanged; with a note.
fn clocked(cluster: Cluster, r: &Record) -> (Cluster, Option<String>) {
    let Some((w, src)) = board_power(r.get("source")).filter(|_| r.get("family").starts_with("mlperf"))
    else {
        return (cluster, None);
    };
    let scale = clock_scale(Some(w), cluster.tdp_w);
    if (scale - 1.0).abs() < 1e-12 {
        return (cluster, None);
    }
    let note = format!(
        "compute at {scale:.3} of the clock: {w} W board power ({src}) against the chip's {} W TDP, {}",
        cluster.tdp_w,
        if w < cluster.tdp_w { "linear at the voltage floor" } else { "cube-root law" }
    );
    let c = Cluster {
        peak_flops: cluster.peak_flops * scale,
        attention_peak_flops: cluster.attention_peak_flops * scale,
        vector_flops: cluster.vector_flops * scale,
        ..cluster
    };
    (c, Some(note))
}

/// The row's cluster with the all-reduce bandwidth a tensor-parallel group of `tp` GPUs reaches
/// on its system's GPU-to-GPU fabric, where the system is not joined by a switch
/// ([`peer_fabric`]): `None` where the chip's own figure holds.
///
/// The step's all-reduce moves `2(t−1)/t·S` bytes per GPU at the fitted
/// [`InferCalibration::collective_efficiency`] `η` of the chip's scale-up rate `B`
/// (`S ÷ (η·B)`, fitted on switched boards, so it holds whatever else scales with the reduced
/// bytes besides the wire). On slower links `B_g` only the wire slows, at the rate a large
/// collective reaches on the links, `η_w` = [`Calibration::scale_up_bus_efficiency`] (0.8,
/// nccl-tests' bus bandwidth): `S ÷ (η·B) + S·(1/B_g − 1/B) ÷ η_w`. The cluster carries that
/// as the equivalent rate `B' = 1 ÷ (1/B + (η/η_w)·(1/B_g − 1/B))` (an HGX H100 4-GPU pair:
/// B 450, B_g 150, η 0.5: 200 GB/s).
fn wired(cluster: &Cluster, r: &Record, tp: u32, calib: &InferCalibration) -> Option<Cluster> {
    let (fabric, _) = row_fabric(r)?;
    let chip = cluster.scale_up_bytes_per_s;
    let group = fabric.group_bytes_per_s(tp, chip);
    if tp < 2 || group >= chip {
        return None;
    }
    let wire = Calibration::default().scale_up_bus_efficiency;
    // A measured all-reduce efficiency replaces the fitted one in the step (as there).
    let eta =
        cluster.measured.as_ref().and_then(|m| m.all_reduce).map_or(calib.collective_efficiency, |m| m.1);
    let slower = eta / wire * (1.0 / group - 1.0 / chip);
    Some(Cluster { scale_up_bytes_per_s: 1.0 / (1.0 / chip + slower), ..cluster.clone() })
}

/// The note a row carries where its system's GPUs are not joined by a switch ([`wired`]).
fn wired_note(r: &Record) -> Option<String> {
    let (fabric, src) = row_fabric(r)?;
    Some(format!("{} ({src}): a tensor-parallel group reduces over its own links only", fabric.label()))
}

/// The GPU-to-GPU fabric of an MLPerf row's system where no switch joins its GPUs ([`peer_fabric`]).
fn row_fabric(r: &Record) -> Option<(PeerFabric, &'static str)> {
    peer_fabric(r.get("source")).filter(|_| r.get("family").starts_with("mlperf"))
}

fn predict(
    c: &Catalog,
    calib: &InferCalibration,
    r: &Record,
    row: &mut PublishedRow,
    sim: Option<ServerModel<'_>>,
) -> Result<(f64, String), String> {
    let spec = shape(r)?;
    let recipe = row_precision(r);
    let p = precisions(recipe).ok_or_else(|| format!("precision `{recipe}` not modelled"))?;

    let (cluster, clock_note) =
        clocked(cluster_for(c, r.get("gpu"), p.activations, &Calibration::default())?, r);
    let calib = &Stack::from_engine(r.get("engine")).calibration(calib);
    let scenario = r.get("scenario");
    let metric = r.get("metric");
    let mut notes: Vec<String> = clock_note.into_iter().chain(wired_note(r)).collect();
    if recipe != r.get("precision") {
        notes
            .push(format!("run at {recipe} as its submitter reported, not the CSV's {}", r.get("precision")));
    }
    // What the chip and precision notes say leads a simulated latency row's note too.
    let lead = notes.join("; ");
    let (limits, points, output) = lengths(r)?;
    if let Some(note) = lengths_note(r, limits, &points, output) {
        notes.push(note);
    }
    let out = output.round().max(1.0) as u32;
    let (f, capacity, fits) = fleet(&spec, &cluster, r, p, limits, calib, (&points, out))?;
    let layout = f.replica.config;
    notes.push(if layout.dp_attention() > 1 {
        format!(
            "{} replica(s) of tp {} pp {} as attention DP {} with EP {} (the MoE recipe)",
            f.replicas,
            f.tp,
            f.pp,
            layout.dp_attention(),
            layout.ep
        )
    } else {
        format!("{} replica(s) of tp {} pp {}", f.replicas, f.tp, f.pp)
    });
    if !fits {
        notes.push("does not fit per the planner".into());
    }
    row.scenario = scenario.to_string();
    match (scenario, metric) {
        ("server", "output_tokens_per_s") => {
            let rate = r.num("request_rate").ok_or("request_rate not published")?;
            let offered = rate * output;
            notes.push(format!("capacity {capacity:.0} tokens/s vs offered {offered:.0}"));
            Ok((capacity.min(offered), notes.join("; ")))
        }
        ("server", "ttft_mean_s" | "tpot_mean_s" | "ttft_p99_s" | "tpot_p99_s") if sim.is_some() => {
            let model = sim.ok_or("no simulator")?;
            let (v, note) = server_latency(c, &spec, &cluster, r, p, calib, model)?;
            Ok((v, if lead.is_empty() { note } else { format!("{lead}; {note}") }))
        }
        ("server", "ttft_mean_s" | "tpot_mean_s") => {
            let rate = r.num("request_rate").ok_or("request_rate not published")?;
            let median = points[points.len() / 2].input;
            let res = at_rate(&f.replica, rate / f.replicas, median, out);
            notes.push(format!("Little's-law concurrency {} per replica at the median prompt", res.batch));
            let v = if metric == "ttft_mean_s" { res.ttft_s } else { res.tpot_s };
            Ok((v, notes.join("; ")))
        }
        ("server", _) => {
            Err("p99 latency needs the serving simulator (suanli-sim); core predicts means".into())
        }
        (_, "output_tokens_per_s") => Ok((capacity, notes.join("; "))),
        _ => Err(format!("metric `{metric}` in scenario `{scenario}` not predicted")),
    }
}

/// The evaluations behind one inference row's prediction (for inspection), by row id: the
/// chosen replica's result at each prompt-length point, with the notes.
///
/// # Errors
/// An unknown id, or the row's refusal.
pub fn inference_evaluation(
    c: &Catalog,
    calib: &InferCalibration,
    id: &str,
) -> Result<(Vec<(LengthPoint, InferResult)>, String), String> {
    let r = records(INFERENCE_CSV).into_iter().find(|r| r.get("id") == id).ok_or("no such row")?;
    let mut row = PublishedRow::new("inference", &r);
    let (_, note) = predict(c, calib, &r, &mut row, None)?;
    let spec = shape(&r)?;
    let p = precisions(row_precision(&r)).ok_or("precision not modelled")?;
    let (cluster, _) = clocked(cluster_for(c, r.get("gpu"), p.activations, &Calibration::default())?, &r);
    let calib = &Stack::from_engine(r.get("engine")).calibration(calib);
    let (limits, points, output) = lengths(&r)?;
    let out = output.round().max(1.0) as u32;
    let (f, _, _) = fleet(&spec, &cluster, &r, p, limits, calib, (&points, out))?;
    let results = points.iter().map(|pt| (*pt, evaluate(&f.replica, pt.input, out, Mode::MaxLoad))).collect();
    Ok((results, note))
}

/// Every row of `inference.csv`.
#[must_use]
pub fn inference(c: &Catalog, calib: &InferCalibration) -> Vec<PublishedRow> {
    inference_with(c, calib, None)
}

/// Every row of `inference.csv`, the Server latency rows simulated by `sim` when given.
#[must_use]
pub fn inference_with(
    c: &Catalog,
    calib: &InferCalibration,
    sim: Option<ServerModel<'_>>,
) -> Vec<PublishedRow> {
    records(INFERENCE_CSV)
        .iter()
        .map(|r| {
            let mut row = PublishedRow::new("inference", r);
            row.scenario = r.get("scenario").to_string();
            match predict(c, calib, r, &mut row, sim) {
                Ok((v, note)) => row.answer(v, note),
                Err(why) => row.refuse(why),
            }
        })
        .collect()
}

/// A Server row's latency from simulating its rate: the prompts drawn from the dataset's
/// distribution, the layout as published (else the submission's, else the one that serves the
/// most), the submission's engine where known (else in-flight batching with chunked prefill,
/// the simulator's default), the dataset's output lengths ([`mlperf_outputs`], else its mean).
fn server_latency(
    c: &Catalog,
    spec: &ModelSpec,
    cluster: &Cluster,
    r: &Record,
    p: Precisions,
    calib: &InferCalibration,
    model: ServerModel<'_>,
) -> Result<(f64, String), String> {
    let rate = r.num("request_rate").ok_or("request_rate not published")?;
    let (prompts, output, mut note) = mlperf_prompts(r.get("model"))
        .ok_or("the dataset's prompt lengths are not published (mlperf-datasets.csv)")?;
    let known = submission_engine(r.get("model"), r.get("gpu"), r.get("engine"), r.get("source"));
    let engine = known.unwrap_or(super::server::ServerEngine {
        tp: None,
        max_batch: None,
        max_tokens: 8192,
        kv: KvPool::FreeFraction(Engine::default().kv_memory_fraction),
        chunked_prefill: true,
        prefill_first: false,
        batcher: None,
        precision: None,
        power_w: None,
        source: "not published: the simulator's default engine",
    });
    // The precision the submission's run script sets, where the row's column names the
    // checkpoint's (Dell's MI300X: `weight_data_types` fp16, run with `--quantization fp8`).
    let own;
    let (p, cluster) = match engine.precision.and_then(|q| precisions(q).map(|pq| (q, pq))) {
        Some((q, pq)) if pq != p => {
            note.push_str(&format!("; run at {q} as the submission's script sets it"));
            own = clocked(cluster_for(c, r.get("gpu"), pq.activations, &Calibration::default())?, r).0;
            (pq, &own)
        }
        _ => (p, cluster),
    };
    let out = output.round().max(1.0) as u32;
    let gpus = r.int("gpus").ok_or("gpus not published")?;
    // The paged KV pool of the submission's engine (its `kvcache_free_gpu_mem_frac` of the
    // memory left after the weights, or vLLM's `gpu_memory_utilization` of the whole GPU), not a
    // reservation for the benchmark's max new tokens: the `max_util` scheduler pages.
    let base = Engine {
        max_batch: engine.max_batch.unwrap_or(Engine::default().max_batch),
        max_tokens: engine.max_tokens,
        kv_memory_fraction: 1.0,
        ..Engine::default()
    };
    let layouts: Vec<(u32, u32)> = match (r.int("tp"), r.int("pp"), engine.tp) {
        (Some(tp), pp, _) => vec![(tp, pp.unwrap_or(1))],
        (None, Some(pp), _) => vec![(1, pp)],
        (None, None, Some(tp)) if gpus % tp == 0 => vec![(tp, 1)],
        _ => (1..=gpus.min(8)).filter(|t| gpus % t == 0).map(|t| (t, 1)).collect(),
    };
    let points: Vec<LengthPoint> =
        prompts.iter().step_by(100).map(|&input| LengthPoint { input, weight: 0.1 }).collect();
    let mut best: Option<(Replica, u32, u32, f64)> = None;
    for (tp, pp) in layouts {
        let cfg = InferConfig { tp, pp, ep: 1, precision: p };
        let own = wired(cluster, r, tp, calib);
        let cluster = own.as_ref().unwrap_or(cluster);
        let Some(whole) = replica(spec, cluster, cfg, &base, calib) else { continue };
        let m = &whole.memory;
        let eng =
            Engine { kv_memory_fraction: engine.kv.free_fraction(m.capacity_gib, m.kv_cache_gib), ..base };
        let Some(rep) = replica(spec, cluster, cfg, &eng, calib) else { continue };
        let n = (gpus / (tp * pp)).max(1);
        let (rate_per, fits) = mixed_rate(&rep, &points, out, None);
        let total = if fits { rate_per * f64::from(n) } else { 0.0 };
        if best.as_ref().is_none_or(|b| total > b.3) {
            best = Some((rep, n, tp, total));
        }
    }
    let (rep, replicas, tp, _) = best.ok_or("no tensor/pipeline layout is valid for this model")?;
    // Output lengths drawn from the dataset's per-sample distribution where published, else
    // every request generates the mean.
    let outputs = match mlperf_outputs(r.get("model")) {
        Some((q, what)) => {
            note.push_str(&format!("; {what}"));
            q
        }
        None => Vec::new(),
    };
    let run = ServerRun {
        replica: &rep,
        replicas,
        rate,
        prompts: &prompts,
        output: out,
        outputs: &outputs,
        engine,
    };
    let lat = model(&run).ok_or("the simulation has no answer")?;
    note.push_str(&format!(
        "; {replicas} replica(s) of tp {tp} pp {}; engine ({RESULTS_REPO} {}): max batch {}, {} tokens a step, KV pool {:.1} GiB a GPU ({}), {}; {}",
        rep.config.pp,
        engine.source,
        engine.max_batch.map_or_else(|| "KV-bound".to_string(), |b| b.to_string()),
        engine.max_tokens,
        rep.memory.kv_cache_gib,
        match engine.kv {
            KvPool::FreeFraction(f) => format!("{f} of the free memory"),
            KvPool::GpuShare(u) => format!("vLLM gpu_memory_utilization {u}"),
        },
        match (engine.prefill_first, engine.chunked_prefill) {
            (true, _) => "prompts-first steps",
            (false, true) => "chunked prompts fused with decodes",
            (false, false) => "whole prompts fused with decodes",
        }
        .to_string()
            + &engine.batcher.map_or_else(String::new, |(w, n)| {
                format!(
                    ", queries batched by the harness ({w} s or {n} queries, a batch to each replica in turn)"
                )
            }),
        lat.note
    ));
    let v = match r.get("metric") {
        "ttft_mean_s" => lat.ttft_mean,
        "ttft_p99_s" => lat.ttft_p99,
        "tpot_mean_s" => lat.tpot_mean,
        _ => lat.tpot_p99,
    };
    Ok((v, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h200(c: &Catalog) -> Cluster {
        cluster_for(c, "h200", Precision::Fp8, &Calibration::default()).expect("h200")
    }

    #[test]
    fn trtllm_bench_sizes_the_batch_from_the_kv_memory_it_estimates() {
        // Llama 3.1 70B FP8 on one H200 (141 GiB): weights 70.55e9 B = 65.7 GiB, KV 2 × 80
        // layers × 8 heads × 128 × 1 B = 160 KiB a token; 0.95 of the rest holds 1,831 requests
        // of 128 + 128 tokens: batch 256·⌈1831/256⌉ = 2,048, tokens 256·⌈3662/256⌉ = 3,840.
        let c = Catalog::builtin().expect("catalog");
        let spec = c.model("llama3.1-70b").expect("model");
        let p = Precisions::uniform(Precision::Fp8);
        let e = trtllm_bench_engine(spec, &h200(&c), 1, 1, p, 128, 128);
        assert_eq!((e.max_batch, e.max_tokens), (2048, 3840));
        assert!((e.kv_memory_fraction - 0.95).abs() < 1e-12);
        // 20,000 + 2,000 tokens: 21 requests, raised to the floor of 64 sequences and 2,048 tokens.
        let e = trtllm_bench_engine(spec, &h200(&c), 1, 1, p, 20_000, 2_000);
        assert_eq!((e.max_batch, e.max_tokens), (64, 2048));
        // Two pipeline stages: twice the GPUs' memory, the per-micro-batch cap times the stages.
        let one = trtllm_bench_engine(spec, &h200(&c), 1, 1, p, 1000, 1000);
        let two = trtllm_bench_engine(spec, &h200(&c), 1, 2, p, 1000, 1000);
        assert!(two.max_batch > one.max_batch && two.max_batch % 2 == 0);
    }

    #[test]
    fn a_four_gpu_hgx_pair_reduces_over_its_own_six_links() {
        // HGX H100 4-GPU: the pair's wire at 150 of 450 GB/s; with the fitted η 0.5 and the
        // wire's 0.8, 1/B' = 1/450 + (0.5/0.8)·(1/150 − 1/450): 200 GB/s.
        let c = Catalog::builtin().expect("catalog");
        let rows = records(INFERENCE_CSV);
        let by = |system: &str| {
            rows.iter()
                .find(|r| r.get("source").contains(&format!("/results/{system}/llama2-70b")))
                .expect("a Llama 2 70B row")
        };
        let cluster = cluster_for(&c, "h100-sxm", Precision::Fp8, &Calibration::default()).expect("h100");
        let cal = InferCalibration { collective_efficiency: 0.5, ..InferCalibration::default() };
        let dell = by("XE8640_H100_SXM_80GBx4_TRT");
        let w = wired(&cluster, dell, 2, &cal).expect("a mesh");
        assert!((w.scale_up_bytes_per_s - 200e9).abs() < 1e6, "{}", w.scale_up_bytes_per_s);
        assert!(wired(&cluster, dell, 1, &cal).is_none(), "one GPU reduces nothing");
        assert!(wired_note(dell).is_some_and(|n| n.contains("no NVSwitch")));
        assert!(wired(&cluster, by("XE9680_H100_SXM_80GBx8_TRT"), 2, &cal).is_none());
    }

    #[test]
    fn a_dataset_smaller_than_the_kv_capacity_runs_in_one_wave() {
        assert_eq!(trtllm_bench_requests(128, 2048), Some(3000));
        assert_eq!(trtllm_bench_requests(128, 256), None);
        // 3,000 requests where 3,933 fit: one wave of all of them.
        assert_eq!(wave_concurrency(3000, 3933), 3000);
        // Where 1,593 fit: two waves of 1,500.
        assert_eq!(wave_concurrency(3000, 1593), 1500);
        assert_eq!(wave_concurrency(30_000, 4096), 3750);
        assert_eq!(wave_concurrency(1, 1), 1);
    }

    #[test]
    fn trtllm_moe_rows_run_attention_dp_with_the_experts_sharded() {
        let c = Catalog::builtin().expect("catalog");
        let p = Precisions::uniform(Precision::Fp8);
        let cal = InferCalibration::default();
        let moe = c.model("mixtral-8x7b").expect("model");
        let (cfg, got) = trtllm_bench_layout(moe, &h200(&c), 8, 1, p, &cal);
        assert_eq!((cfg.tp, cfg.pp, cfg.ep, cfg.dp_attention()), (1, 1, 8, 8));
        assert_eq!(got.expert_exchange, ExpertExchange::AllGather);
        assert_eq!(InferCalibration { expert_exchange: cal.expert_exchange, ..got }, cal);
        // One GPU, or a dense model: the published tensor-parallel layout.
        let (one, _) = trtllm_bench_layout(moe, &h200(&c), 1, 2, p, &cal);
        assert_eq!((one.tp, one.pp, one.ep), (1, 2, 1));
        let dense = c.model("llama3.1-70b").expect("model");
        let (d, same) = trtllm_bench_layout(dense, &h200(&c), 4, 1, p, &cal);
        assert_eq!((d.tp, d.ep, d.dp_attention()), (4, 1, 1));
        assert_eq!(same, cal);
    }

    #[test]
    fn nvidia_harness_layouts_apply_to_tensorrt_rows_only() {
        let rows = records(INFERENCE_CSV);
        let find = |gpu: &str, engine: &str, scenario: &str| {
            rows.iter().find(|r| {
                r.get("model") == "llama2-70b"
                    && r.get("scenario") == scenario
                    && r.get("gpu") == gpu
                    && r.get("engine").starts_with(engine)
                    && r.int("tp").is_none()
            })
        };
        let nvl = find("h100-nvl", "TensorRT", "offline").expect("an H100 NVL TensorRT row");
        assert_eq!(harness(nvl), Some((2, 1300)));
        let nvl = find("h100-nvl", "TensorRT", "server").expect("an H100 NVL TensorRT Server row");
        assert_eq!(harness(nvl), Some((2, 640)), "the Server configuration's batch");
        let sxm = find("h100-sxm", "TensorRT", "offline").expect("an H100 SXM TensorRT row");
        assert_eq!(harness(sxm), Some((2, 896)));
        let amd = find("mi300x", "vLLM", "offline").expect("an MI300X vLLM row");
        assert_eq!(harness(amd), None);
        // A submission's own Offline class: Fujitsu's L40S engines are tensor-parallel 4,
        // Lenovo's H100 NVL ones single-GPU; their Server rows take the Server classes.
        let by = |system: &str, scenario: &str| {
            rows.iter()
                .find(|r| {
                    r.get("model") == "llama2-70b"
                        && r.get("scenario") == scenario
                        && r.get("source").contains(&format!("/results/{system}/"))
                })
                .expect(system)
        };
        assert_eq!(harness(by("CDI_L40Sx8_TRT", "offline")), Some((4, 1024)));
        assert_eq!(harness(by("SR675_V3_8xH100_NVL_TRT", "offline")), Some((1, 1300)));
        // Lenovo's Server class is single-GPU too (`tensor_parallelism = 1`, 640 sequences).
        assert_eq!(harness(by("SR675_V3_8xH100_NVL_TRT", "server")), Some((1, 640)));
    }
}
