//! MLPerf Server rows: the load is held at the row's `request_rate` (Poisson arrivals, as
//! loadgen issues them) and the latencies come from simulating that rate on the row's fleet
//! with the engine configured as the submission published it. Core cannot run the simulator
//! (suanli-sim depends on core), so it describes the run ([`ServerRun`]) and a
//! [`ServerModel`] passed in by `suanli-api` answers it.
//!
//! What the run holds, and where each setting comes from:
//! - **Prompt lengths**: the dataset's distribution ([`mlperf_prompts`]), not its mean.
//! - **Output length**: the dataset's mean output (`mlperf-datasets.csv` publishes no spread).
//! - **Layout**: the row's `tp`/`pp` where published, else the submission's configuration
//!   ([`reference_engine`]), else the tensor-parallel degree that serves the most.
//! - **Engine**: the submission's scheduler, maximum batch, token budget per step and whether a
//!   prompt may be chunked ([`reference_engine`]).
//! - **Metrics** as loadgen computes them (mlcommons/inference, commit b66003e1,
//!   `loadgen/logging.cc` `RecordSampleCompletion` and `loadgen/results.cc`): TTFT from the
//!   query's issue to the first token, so it includes the wait for admission; per-sample
//!   TPOT = (latency − TTFT) ÷ (tokens − 1); the mean is the mean over samples and the p99
//!   the 99th percentile of the samples.

use super::MLPERF_DATASETS_CSV;
use super::csv::records;
use crate::infer::Replica;

/// The engine a submission ran its Server scenario with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerEngine {
    /// Tensor-parallel degree per replica (`None`: not stated; the row's or the search's).
    pub tp: Option<u32>,
    /// Most sequences in a step (`None`: the engine's KV pool is the only bound).
    pub max_batch: Option<u32>,
    /// Most tokens (prompt plus decode) in a step.
    pub max_tokens: u32,
    /// Whether a prompt may be split over steps.
    pub chunked_prefill: bool,
    /// Whether steps with prompts waiting run prompts only (vLLM's original scheduler) rather
    /// than prompts fused with every running decode (TensorRT-LLM's in-flight batching).
    pub prefill_first: bool,
    /// A harness that holds queries and forwards them in batches, each batch to the next
    /// replica in turn: (seconds it waits at most, most queries a batch).
    pub batcher: Option<(f64, u32)>,
    /// Where the settings are published.
    pub source: &'static str,
}

/// NVIDIA's MLPerf Inference v4.1 harness (mlcommons/inference_results_v4.1, commit 198fc467).
const NVIDIA_V41: &str = "mlcommons/inference_results_v4.1@198fc467 closed/NVIDIA";

/// The engine of a v4.1 Server submission, from the row's model, chip and engine column.
///
/// TensorRT rows run NVIDIA's harness (every TensorRT submitter ships NVIDIA's `configs/`;
/// ASUSTeK, Dell, Fujitsu, GigaComputing and the others repeat the same `tensor_parallelism`
/// per chip): in-flight batching in `GptManager` with the `max_util` capacity scheduler
/// (`code/harness/harness_llm/main_llm.cc`: `trtllm_batch_sched_policy` defaults to
/// `max_util`, i.e. paged KV that pauses requests when blocks run out, not guaranteed-no-evict)
/// and no context chunking (`llm_core.cc` builds `SchedulerConfig` from the policy alone; the
/// comment there leaves chunking for later); the token budget is the engine's
/// `max_num_tokens` (`configs/llama2-70b/__init__.py`: 4096; `configs/mixtral-8x7b/__init__.py`:
/// 16384, 8192 on H200 in `Server/__init__.py`); the layout and `gpu_batch_size` per chip
/// from `configs/<benchmark>/Server/__init__.py`.
///
/// vLLM rows: AMD's MI300X harness, whose Server runs are `test_VllmFp8/run_tests_Server.sh`
/// → `test_VllmFp8_SyncServer_perf.sh` (under `closed/AMD/code/llama2-70b-99.9/`): one GPU per
/// engine (`-tp 1 -dp 8`), `--enable-batcher`; `VllmFp8/mainVllmFp8_SyncServer.py`:
/// `max_num_seqs` 768, `max_num_batched_tokens` 65536, chunked prefill left off, batcher
/// threshold 0.3 s and 96 queries; `VllmFp8/sync_sut.py` `batch_samples_loop` sends a batch
/// when it holds 96 queries or 0.3 s after the previous batch, to the next engine in turn;
/// `VllmFp8/queue_llm.py` feeds vLLM's engine, whose default scheduler runs prompts first.
#[must_use]
pub fn reference_engine(model: &str, gpu: &str, engine: &str) -> Option<ServerEngine> {
    if engine.starts_with("TensorRT") {
        let (tp, max_batch, max_tokens) = match (model, gpu) {
            ("llama2-70b", "h100-sxm") => (Some(2), Some(1024), 4096),
            ("llama2-70b", "h100-nvl") => (Some(2), Some(640), 4096),
            ("llama2-70b", "h200") => (Some(1), Some(896), 4096),
            ("llama2-70b", "gh200") => (Some(1), Some(806), 4096),
            ("llama2-70b", _) => (None, None, 4096),
            ("mixtral-8x7b", "h100-sxm") => (Some(1), Some(896), 16_384),
            ("mixtral-8x7b", "h200") => (Some(1), Some(1200), 8192),
            ("mixtral-8x7b", "gh200") => (Some(1), Some(3072), 16_384),
            ("mixtral-8x7b", _) => (None, None, 16_384),
            _ => return None,
        };
        return Some(ServerEngine {
            tp,
            max_batch,
            max_tokens,
            chunked_prefill: false,
            prefill_first: false,
            batcher: None,
            source: NVIDIA_V41,
        });
    }
    if engine.starts_with("vLLM") && gpu == "mi300x" && model == "llama2-70b" {
        return Some(ServerEngine {
            tp: Some(1),
            max_batch: Some(768),
            max_tokens: 65_536,
            chunked_prefill: false,
            prefill_first: true,
            batcher: Some((0.3, 96)),
            source: "mlcommons/inference_results_v4.1@198fc467 closed/AMD",
        });
    }
    None
}

/// [`reference_engine`] for the system a row's `source` names: NVIDIA's Server configuration
/// registers a few systems with their own batch cap (`configs/llama2-70b/Server/__init__.py`:
/// `H200_SXM_141GB_CTSx1` 850 and `H200_SXM_141GB_CTSx8` 1024 sequences, where the plain H200
/// takes 896); the result directory in the source path (`…/results/H200-SXM-141GB-CTSx8_TRT/…`)
/// names the system.
#[must_use]
pub fn submission_engine(model: &str, gpu: &str, engine: &str, source: &str) -> Option<ServerEngine> {
    let mut e = reference_engine(model, gpu, engine)?;
    if engine.starts_with("TensorRT") && model == "llama2-70b" && gpu == "h200" {
        if source.contains("H200-SXM-141GB-CTSx8") {
            e.max_batch = Some(1024);
        } else if source.contains("H200-SXM-141GB-CTSx1") {
            e.max_batch = Some(850);
        }
    }
    Some(e)
}

/// Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
fn probit(p: f64) -> f64 {
    const A: [f64; 6] = [
        -39.696_830_286_653_76,
        220.946_098_424_520_5,
        -275.928_510_446_968_7,
        138.357_751_867_269,
        -30.664_798_066_147_16,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -54.476_098_798_224_06,
        161.585_836_858_040_9,
        -155.698_979_859_886_6,
        66.801_311_887_719_72,
        -13.280_681_552_885_72,
    ];
    const C: [f64; 6] = [
        -0.007_784_894_002_430_293,
        -0.322_396_458_041_136_4,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [0.007_784_695_709_041_462, 0.322_467_129_070_039_8, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Prompt lengths drawn per request: this many equal-weight quantiles of the distribution.
pub const PROMPT_QUANTILES: usize = 1000;

/// The prompt-length distribution of an MLPerf dataset, as [`PROMPT_QUANTILES`] equal-weight
/// quantiles (ascending), with the dataset's mean output length and a note.
///
/// The quantile function matches what `mlperf-datasets.csv` publishes: the median `p50`, the
/// 99th percentile `p99`, the longest prompt and (as closely as the shape allows) the mean.
/// From the median to the 99th percentile it is log-normal, `p50·exp(σ_hi·z)` with
/// `σ_hi = ln(p99 ÷ p50) ÷ z₀.₉₉`; above, log-linear in the quantile up to the maximum; below
/// the median log-normal with its own `σ_lo`, solved (bisection over 0…3) so that the mean
/// equals the published mean (a lower `σ_lo` raises it); where even `σ_lo = 0` leaves the mean
/// short (prompt lengths piled above the median, as in OpenOrca), `σ_lo = 0`. `None` where
/// the dataset's prompt lengths are not published (GPT-J).
#[must_use]
pub fn mlperf_prompts(model: &str) -> Option<(Vec<u32>, f64, String)> {
    let d = records(MLPERF_DATASETS_CSV).into_iter().find(|d| {
        d.get("model") == model && (model != "mixtral-8x7b" || d.get("benchmark").contains("v4.1"))
    })?;
    let (p50, p99, max, mean, out) = (
        d.num("p50_input_tokens")?,
        d.num("p99_input_tokens")?,
        d.num("max_input_tokens")?,
        d.num("mean_input_tokens")?,
        d.num("mean_output_tokens")?,
    );
    let z99 = probit(0.99);
    let sigma_hi = (p99 / p50).ln().max(0.0) / z99;
    let us: Vec<f64> = (0..PROMPT_QUANTILES).map(|k| (k as f64 + 0.5) / PROMPT_QUANTILES as f64).collect();
    let quantile = |u: f64, sigma_lo: f64| -> f64 {
        let v = if u < 0.5 {
            p50 * (sigma_lo * probit(u)).exp()
        } else if u <= 0.99 {
            p50 * (sigma_hi * probit(u)).exp()
        } else {
            (p99.ln() + (max.ln() - p99.ln()) * (u - 0.99) / 0.01).exp()
        };
        v.clamp(1.0, max)
    };
    let mean_of = |s: f64| us.iter().map(|&u| quantile(u, s)).sum::<f64>() / us.len() as f64;
    let sigma_lo = if mean_of(0.0) <= mean {
        0.0
    } else {
        let (mut lo, mut hi) = (0.0, 3.0);
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if mean_of(mid) > mean { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    };
    let prompts: Vec<u32> = us.iter().map(|&u| quantile(u, sigma_lo).round() as u32).collect();
    let got = prompts.iter().map(|&p| f64::from(p)).sum::<f64>() / prompts.len() as f64;
    let note = format!(
        "prompts: {PROMPT_QUANTILES} quantiles matching the dataset's median {p50}, p99 {p99}, max {max} \
         (mean {got:.0} of {mean:.0}); output {out}"
    );
    Some((prompts, out, note))
}

/// One MLPerf Server run to simulate.
#[derive(Debug, Clone, Copy)]
pub struct ServerRun<'a> {
    /// The replica (chip, layout, precision).
    pub replica: &'a Replica,
    /// Replicas in the system.
    pub replicas: u32,
    /// Requests/s offered to the whole system (Poisson).
    pub rate: f64,
    /// Prompt lengths, equal-weight quantiles; each request draws one.
    pub prompts: &'a [u32],
    /// Output tokens per request.
    pub output: u32,
    /// The engine.
    pub engine: ServerEngine,
}

/// What the simulation of a [`ServerRun`] measured, seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerLatency {
    /// Mean TTFT.
    pub ttft_mean: f64,
    /// 99th-percentile TTFT.
    pub ttft_p99: f64,
    /// Mean per-sample TPOT.
    pub tpot_mean: f64,
    /// 99th-percentile per-sample TPOT.
    pub tpot_p99: f64,
    /// How it was simulated.
    pub note: String,
}

/// A simulator for [`ServerRun`]s (`suanli-api` passes suanli-sim's).
pub type ServerModel<'a> = &'a dyn Fn(&ServerRun<'_>) -> Option<ServerLatency>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probit_is_the_normal_quantile() {
        assert!(probit(0.5).abs() < 1e-9);
        assert!((probit(0.99) - 2.326_347_874).abs() < 1e-6);
        assert!((probit(0.01) + 2.326_347_874).abs() < 1e-6);
        assert!((probit(0.841_344_746) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn prompts_match_the_published_statistics() {
        let (p, out, _) = mlperf_prompts("llama2-70b").expect("published");
        assert_eq!(p.len(), PROMPT_QUANTILES);
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "ascending");
        let at = |u: f64| p[((u * PROMPT_QUANTILES as f64) as usize).min(PROMPT_QUANTILES - 1)];
        assert!((i64::from(at(0.5)) - 152).abs() <= 2, "median {}", at(0.5));
        assert!((i64::from(at(0.99)) - 791).abs() <= 15, "p99 {}", at(0.99));
        assert!(*p.last().expect("some") <= 1021);
        let mean = p.iter().map(|&x| f64::from(x)).sum::<f64>() / p.len() as f64;
        assert!((mean - 222.33).abs() / 222.33 < 0.05, "mean {mean}");
        assert!((out - 294.45).abs() < 1e-9);
        // Llama 3.1 405B's prompts sit mostly above the mean: σ_lo is solved, the mean matched.
        let (p, _, _) = mlperf_prompts("llama3.1-405b").expect("published");
        let mean = p.iter().map(|&x| f64::from(x)).sum::<f64>() / p.len() as f64;
        assert!((mean - 9428.64).abs() / 9428.64 < 0.01, "mean {mean}");
        assert!(mlperf_prompts("gpt-j-6b").is_none());
    }

    #[test]
    fn the_submissions_engines() {
        let e = reference_engine("llama2-70b", "h100-sxm", "TensorRT 10.2.0, CUDA 12.4").expect("nvidia");
        assert_eq!((e.tp, e.max_batch, e.max_tokens, e.chunked_prefill), (Some(2), Some(1024), 4096, false));
        let v = reference_engine("llama2-70b", "mi300x", "vLLM 0.4.3+rocm614").expect("amd");
        assert!(v.prefill_first && v.tp == Some(1));
        assert!(reference_engine("gpt-j-6b", "h100-sxm", "TensorRT 10.2.0").is_none());
        let cts = "closed/NVIDIA/results/H200-SXM-141GB-CTSx8_TRT/llama2-70b-99/Server";
        let e = submission_engine("llama2-70b", "h200", "TensorRT 10.2.0", cts).expect("nvidia");
        assert_eq!(e.max_batch, Some(1024));
        let plain = "closed/NVIDIA/results/H200-SXM-141GBx8_TRT/llama2-70b-99/Server";
        let e = submission_engine("llama2-70b", "h200", "TensorRT 10.2.0", plain).expect("nvidia");
        assert_eq!(e.max_batch, Some(896));
    }
}
