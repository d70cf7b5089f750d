//! MLPerf Server rows: the load is held at the row's `request_rate` (Poisson arrivals, as
//! loadgen issues them) and the latencies come from simulating that rate on the row's fleet
//! with the engine configured as the submission published it. Core cannot run the simulator
//! (suanli-sim depends on core), so it describes the run ([`ServerRun`]) and a
//! [`ServerModel`] passed in by `suanli-api` answers it.
//!
//! What the run holds, and where each setting comes from:
//! - **Prompt lengths**: the dataset's distribution ([`mlperf_prompts`]), not its mean.
//! - **Output lengths**: the dataset's per-sample distribution ([`mlperf_outputs`]: Llama 2 70B
//!   and Mixtral 8x7B, from the MLCommons dataset files, at the mean `mlperf-datasets.csv`
//!   publishes), drawn independently of the prompt; the mean alone where no per-sample lengths
//!   are published.
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
use crate::hardware::{NVLINK4_LINK_GBS, PCIE5_X16_GBS, PeerFabric};
use crate::infer::Replica;

/// How a submission sizes its engine's paged KV pool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KvPool {
    /// TensorRT-LLM's `kv_cache_free_gpu_mem_fraction` (the NVIDIA harness's
    /// `kvcache_free_gpu_mem_frac`): this share of the memory the weights and the step's
    /// activations leave free.
    FreeFraction(f64),
    /// vLLM's `gpu_memory_utilization`: the engine may take this share of the GPU's whole
    /// memory; the KV pool is what the weights and activations leave of it.
    GpuShare(f64),
}

impl KvPool {
    /// The pool as a share of the free memory (what [`crate::infer::Engine`] takes), for a GPU
    /// of `capacity_gib` whose weights, activations and reserve leave `free_gib`: a vLLM share
    /// `u` leaves `(1 − u)·capacity` of the free memory unused, `1 − (1 − u)·capacity ÷ free`.
    #[must_use]
    pub fn free_fraction(self, capacity_gib: f64, free_gib: f64) -> f64 {
        match self {
            KvPool::FreeFraction(f) => f,
            KvPool::GpuShare(u) if free_gib > 0.0 => {
                (1.0 - (1.0 - u) * capacity_gib / free_gib).clamp(0.0, 1.0)
            }
            KvPool::GpuShare(_) => 0.0,
        }
    }
}

/// The engine a submission ran its Server scenario with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ServerEngine {
    /// Tensor-parallel degree per replica (`None`: not stated; the row's or the search's).
    pub tp: Option<u32>,
    /// Most sequences in a step (`None`: the engine's KV pool is the only bound).
    pub max_batch: Option<u32>,
    /// Most tokens (prompt plus decode) in a step.
    pub max_tokens: u32,
    /// How the KV pool is sized.
    pub kv: KvPool,
    /// Whether a prompt may be split over steps.
    pub chunked_prefill: bool,
    /// Whether steps with prompts waiting run prompts only (vLLM's original scheduler) rather
    /// than prompts fused with every running decode (TensorRT-LLM's in-flight batching).
    pub prefill_first: bool,
    /// A harness that holds queries and forwards them in batches, each batch to the next
    /// replica in turn: (seconds it waits at most, most queries a batch).
    pub batcher: Option<(f64, u32)>,
    /// The weight (and KV) precision the submission's run script sets, where the row's
    /// precision column (the system description's `weight_data_types`) names the checkpoint's.
    pub precision: Option<&'static str>,
    /// Board power the submission runs its GPUs at where it is not the chip's TDP, W (a MaxQ
    /// configuration's `power_limit`; a system description's TGP): see [`clock_scale`].
    pub power_w: Option<f64>,
    /// Where the settings are published (a path in [`RESULTS_REPO`]).
    pub source: &'static str,
}

/// The repository and commit the submissions' configurations are read from.
pub const RESULTS_REPO: &str = "mlcommons/inference_results_v4.1@a2f5d66d";

/// NVIDIA's harness as its Server configurations run it: in-flight batching in `GptManager`
/// with the `max_util` capacity scheduler (`closed/NVIDIA/code/harness/harness_llm/main_llm.cc`:
/// `trtllm_batch_sched_policy` defaults to `max_util`, i.e. paged KV that pauses requests when
/// blocks run out, not guaranteed-no-evict), no context chunking (`llm_core.cc` builds
/// `SchedulerConfig` from the policy alone; the Triton harness sets `enable_chunked_context`
/// false in `code/common/triton/base_config.py`), queries to the least busy replica
/// (`traffic_distribution_policy` 2, load balancing, `llm_server.cc`).
const fn trt(tp: u32, max_batch: u32, max_tokens: u32, kv: f64, source: &'static str) -> ServerEngine {
    ServerEngine {
        tp: Some(tp),
        max_batch: Some(max_batch),
        max_tokens,
        kv: KvPool::FreeFraction(kv),
        chunked_prefill: false,
        prefill_first: false,
        batcher: None,
        precision: None,
        power_w: None,
        source,
    }
}

/// AMD's vLLM harness for MI300X (`closed/<submitter>/code/llama2-70b-99/VllmFp8/`): one GPU per
/// engine (`-tp 1 -dp 8` in the run scripts), FP8 weights and KV cache (`--quantization fp8
/// --kv-cache-dtype fp8`), chunked prefill left off (vLLM's default scheduler then runs
/// prompts first), `--enable-batcher`: `sync_sut.py`/`async_sut.py` `batch_samples_loop` sends
/// a batch when it holds `gpu_batch_size` queries or `batcher_threshold` seconds after the
/// previous one, to the next engine in turn. `gpu_memory_utilization`, `max_num_seqs` and
/// `max_num_batched_tokens` are what reaches vLLM: the main script's argument default where it
/// has one (`setup_llm_kwargs` takes `args.x if args.x else llm_config.x`), else its
/// `DefaultEngineInput` value.
const fn vllm_mi300x(
    gpu_share: f64,
    (max_batch, max_tokens): (u32, u32),
    batcher: (f64, u32),
    source: &'static str,
) -> ServerEngine {
    ServerEngine {
        tp: Some(1),
        max_batch: Some(max_batch),
        max_tokens,
        kv: KvPool::GpuShare(gpu_share),
        chunked_prefill: false,
        prefill_first: true,
        batcher: Some(batcher),
        precision: Some("fp8"),
        power_w: None,
        source,
    }
}

/// AMD's synchronous vLLM server, the same on its three MI300X systems
/// (`run_tests_Server.sh` → `test_VllmFp8_SyncServer_perf.sh`, `mainVllmFp8_SyncServer.py`),
/// which passes none of the three engine flags, so the script's argument defaults apply
/// (lines 54-56: `--max-num-seqs` 1024, `--max-num-batched-tokens` 49152,
/// `--gpu-memory-utilization` 0.97; its `DefaultEngineInput` 768, 65536 and 0.99 are never
/// used); batcher 0.3 s and 96 queries (`--batcher-threshold`, `--gpu-batch-size`).
const AMD_SYNC_SERVER: ServerEngine = vllm_mi300x(
    0.97,
    (1024, 49_152),
    (0.3, 96),
    "closed/AMD/code/llama2-70b-99/VllmFp8/mainVllmFp8_SyncServer.py, test_VllmFp8/test_VllmFp8_SyncServer_perf.sh",
);

/// One Server submission: submitter, system (the result directory), benchmark model, engine.
type Submission = (&'static str, &'static str, &'static str, ServerEngine);

/// Every MLPerf Inference v4.1 closed Server submission of Llama 2 70B and Mixtral 8x7B in the
/// published set, with the engine its own configuration sets. TensorRT submissions ship
/// NVIDIA's `configs/`; the class registered for the system in
/// `configs/<model>/Server/{__init__,custom}.py` is resolved by hand through its parents
/// (`gpu_batch_size`, `tensor_parallelism`, `kvcache_free_gpu_mem_frac`, which
/// `ServerGPUBaseConfig` sets to 0.90 and a class may override, and `max_num_tokens`, which
/// `configs/<model>/__init__.py` `GPUBaseConfig` sets: 4096 for Llama 2 70B, 16384 for
/// Mixtral 8x7B). Each entry cites the file and class.
const SUBMISSIONS: [Submission; 42] = {
    const L2: &str = "llama2-70b";
    const MX: &str = "mixtral-8x7b";
    [
        // NVIDIA.
        (
            "NVIDIA",
            "DGX-H100_H100-SXM-80GBx8_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py H100_SXM_80GB_TP2x4 ← TP2x2 ← TP2x1",
            ),
        ),
        (
            "NVIDIA",
            "DGX-H100_H100-SXM-80GBx8_TRT",
            MX,
            trt(
                1,
                896,
                16_384,
                0.90,
                "closed/NVIDIA/configs/mixtral-8x7b/Server/__init__.py H100_SXM_80GBx8 ← H100_SXM_80GBx1",
            ),
        ),
        (
            "NVIDIA",
            "GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT",
            L2,
            trt(
                1,
                806,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py GH200_144GB_aarch64x1",
            ),
        ),
        (
            "NVIDIA",
            "GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT",
            MX,
            trt(
                1,
                3072,
                16_384,
                0.90,
                "closed/NVIDIA/configs/mixtral-8x7b/Server/__init__.py GH200_144GB_aarch64x1",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GB-CTSx1_TRT",
            L2,
            trt(
                1,
                850,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py H200_SXM_141GB_CTSx1; closed/NVIDIA/systems/H200-SXM-141GB-CTSx1_TRT.json hw_notes \"H200 TGP 1000W\"",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GB-CTSx8_TRT",
            L2,
            trt(
                1,
                1024,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py H200_SXM_141GB_CTSx8 ← CTSx1; closed/NVIDIA/systems/H200-SXM-141GB-CTSx8_TRT.json hw_notes \"H200 TGP 1000W\"",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GBx8_TRT",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py H200_SXM_141GBx8 ← H200_SXM_141GBx1",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GBx8_TRT",
            MX,
            trt(
                1,
                1200,
                8192,
                0.90,
                "closed/NVIDIA/configs/mixtral-8x7b/Server/__init__.py H200_SXM_141GBx8 ← H200_SXM_141GBx1",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GBx8_TRT_MaxQ",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py H200_SXM_141GBx8_MaxQ (power_limit 500) ← H200_SXM_141GBx1_MaxQ ← H200_SXM_141GBx1",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GBx8_TRT_MaxQ",
            MX,
            trt(
                1,
                1200,
                8192,
                0.90,
                "closed/NVIDIA/configs/mixtral-8x7b/Server/__init__.py H200_SXM_141GBx8_MaxQ (power_limit 500) ← H200_SXM_141GBx8 ← H200_SXM_141GBx1",
            ),
        ),
        (
            "NVIDIA",
            "H200-SXM-141GBx8_TRT_Triton",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/NVIDIA/configs/llama2-70b/Server/__init__.py H200_SXM_141GBx8_Triton ← H200_SXM_141GBx8 ← H200_SXM_141GBx1",
            ),
        ),
        // ASUSTeK (ServerGPUBaseConfig: tensor_parallelism 2 where a class does not set it).
        (
            "ASUSTeK",
            "ESC4000A_E12_4XH100_TRT",
            L2,
            trt(2, 640, 4096, 0.90, "closed/ASUSTeK/configs/llama2-70b/Server/custom.py ESC4000A_E12_4XH100"),
        ),
        (
            "ASUSTeK",
            "ESC8000A_E12_H100x8_TRT",
            L2,
            trt(2, 896, 4096, 0.95, "closed/ASUSTeK/configs/llama2-70b/Server/custom.py ESC8000A_E12_H100X8"),
        ),
        (
            "ASUSTeK",
            "ESC_N8_E11_H100x8_TRT",
            L2,
            trt(2, 1024, 4096, 0.90, "closed/ASUSTeK/configs/llama2-70b/Server/custom.py ESC_N8_E11_H100x8"),
        ),
        // Dell (its custom.py redefines ServerGPUBaseConfig with the same values).
        (
            "Dell",
            "XE8640_H100_SXM_80GBx4_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/Dell/configs/llama2-70b/Server/custom.py XE8640_H100_SXM_80GBx4",
            ),
        ),
        (
            "Dell",
            "XE8640_H100_SXM_80GBx4_TRT",
            MX,
            trt(
                1,
                896,
                16_384,
                0.90,
                "closed/Dell/configs/mixtral-8x7b/Server/custom.py XE8640_H100_SXM_80GBx4",
            ),
        ),
        (
            "Dell",
            "XE9640_H100_SXM_80GBx4_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/Dell/configs/llama2-70b/Server/custom.py XE9640_H100_SXM_80GBX4",
            ),
        ),
        (
            "Dell",
            "XE9680_H100_SXM_80GBx8_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/Dell/configs/llama2-70b/Server/custom.py XE9680_H100_SXM_80GBX8",
            ),
        ),
        (
            "Dell",
            "XE9680_H200_SXM_141GBx8_TRT",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/Dell/configs/llama2-70b/Server/custom.py XE9680_H200_SXM_141GBX8",
            ),
        ),
        // Dell's MI300X Server run is the asynchronous server (`test_VllmFp8/run_tests_Server.sh`
        // → `test_VllmFp8_AsyncServer_perf.sh`), whose `mainVllmFp8_AsyncServer.py` sets
        // `gpu_memory_utilization` 0.97 and keeps the batcher's defaults, 0.4 s and 32 queries.
        (
            "Dell",
            "XE9680_MI300X_192GBx8",
            L2,
            vllm_mi300x(
                0.97,
                (768, 65_536),
                (0.4, 32),
                "closed/Dell/code/llama2-70b-99/VllmFp8/mainVllmFp8_AsyncServer.py, test_VllmFp8/test_VllmFp8_AsyncServer_perf.sh",
            ),
        ),
        // AMD: the synchronous server ([`AMD_SYNC_SERVER`]).
        ("AMD", "1xMI300X_2xEPYC-9374F", L2, AMD_SYNC_SERVER),
        ("AMD", "8xMI300X_2xEPYC-9374F", L2, AMD_SYNC_SERVER),
        ("AMD", "8xMI300X_2xEPYC-TURIN", L2, AMD_SYNC_SERVER),
        // Fujitsu.
        (
            "Fujitsu",
            "CDI_L40Sx8_TRT",
            L2,
            trt(4, 1024, 4096, 0.90, "closed/Fujitsu/configs/llama2-70b/Server/custom.py CDI_L40SX8"),
        ),
        (
            "Fujitsu",
            "GX2560M7_H100_SXM_80GBx4_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/Fujitsu/configs/llama2-70b/Server/custom.py GX2560M7_H100_SXM_80GBX4",
            ),
        ),
        (
            "Fujitsu",
            "GX2560M7_H100_SXM_80GBx4_TRT",
            MX,
            trt(
                1,
                1024,
                16_384,
                0.90,
                "closed/Fujitsu/configs/mixtral-8x7b/Server/custom.py GX2560M7_H100_SXM_80GBX4",
            ),
        ),
        // GigaComputing.
        (
            "GigaComputing",
            "GIGABYTE_G593_SD1_H200_SXM_141GBx8_TRT",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/GigaComputing/configs/llama2-70b/Server/custom.py GIGABYTE_G593_SD1_H200_SXM_141GBX8",
            ),
        ),
        (
            "GigaComputing",
            "GIGABYTE_G593_SD1_H200_SXM_141GBx8_TRT",
            MX,
            trt(
                1,
                1200,
                8192,
                0.90,
                "closed/GigaComputing/configs/mixtral-8x7b/Server/custom.py GIGABYTE_G593_SD1_H200_SXM_141GBX8",
            ),
        ),
        // Google (NVIDIA's classes).
        (
            "Google",
            "DGX-H100_H100-SXM-80GBx8_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/Google/configs/llama2-70b/Server/__init__.py H100_SXM_80GB_TP2x4 ← TP2x2 ← TP2x1",
            ),
        ),
        (
            "Google",
            "DGX-H100_H100-SXM-80GBx8_TRT",
            MX,
            trt(
                1,
                896,
                16_384,
                0.90,
                "closed/Google/configs/mixtral-8x7b/Server/__init__.py H100_SXM_80GBx8 ← H100_SXM_80GBx1",
            ),
        ),
        // HPE.
        (
            "HPE",
            "HPE_Cray_XD670_H100_SXM_80GBx8_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.97,
                "closed/HPE/configs/llama2-70b/Server/custom.py HPE_CRAY_XD670_H100_SXM_80GBX8 ← H100_SXM_80GB_TP2x4 ← TP2x2 ← TP2x1",
            ),
        ),
        (
            "HPE",
            "HPE_Cray_XD670_H100_SXM_80GBx8_TRT",
            MX,
            trt(
                1,
                1024,
                16_384,
                0.90,
                "closed/HPE/configs/mixtral-8x7b/Server/custom.py HPE_CRAY_XD670_H100_SXM_80GBX8",
            ),
        ),
        (
            "HPE",
            "HPE_ProLiant_DL380a_H100_NVL_94GBx4_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.95,
                "closed/HPE/configs/llama2-70b/Server/custom.py HPE_PROLIANT_DL380A_H100_NVL_94GBX4",
            ),
        ),
        (
            "HPE",
            "GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT",
            L2,
            trt(1, 806, 4096, 0.90, "closed/HPE/configs/llama2-70b/Server/__init__.py GH200_144GB_aarch64x1"),
        ),
        (
            "HPE",
            "GH200-GraceHopper-Superchip_GH200-144GB_aarch64x1_TRT",
            MX,
            trt(
                1,
                3072,
                16_384,
                0.90,
                "closed/HPE/configs/mixtral-8x7b/Server/__init__.py GH200_144GB_aarch64x1",
            ),
        ),
        // Juniper Networks: NVIDIA's two-GPU class per replica, over two and four DGX nodes.
        (
            "JuniperNetworks",
            "DGX-H100_H100-SXM-80GBx16_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/JuniperNetworks/configs/llama2-70b/Server/__init__.py H100_SXM_80GB_TP2x4 ← TP2x2 ← TP2x1 on each 8-GPU node (target 17.8 × 4 a node)",
            ),
        ),
        (
            "JuniperNetworks",
            "DGX-H100_H100-SXM-80GBx32_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/JuniperNetworks/configs/llama2-70b/Server/__init__.py H100_SXM_80GB_TP2x4 ← TP2x2 ← TP2x1 on each 8-GPU node (target 17.8 × 4 a node)",
            ),
        ),
        // Lenovo (ServerGPUBaseConfig: tensor_parallelism 2 where a class does not set it).
        (
            "Lenovo",
            "H200_SXM_141GBx8_TRT",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/Lenovo/configs/llama2-70b/Server/__init__.py H200_SXM_141GBx8 ← H200_SXM_141GBx1",
            ),
        ),
        (
            "Lenovo",
            "Lenovo_8xH200_TRT",
            L2,
            trt(
                1,
                896,
                4096,
                0.90,
                "closed/Lenovo/configs/llama2-70b/Server/__init__.py Lenovo_8xH200 ← H200_SXM_141GBx1",
            ),
        ),
        (
            "Lenovo",
            "SR675_V3_8xH100_NVL_TRT",
            L2,
            trt(
                1,
                640,
                4096,
                0.90,
                "closed/Lenovo/configs/llama2-70b/Server/__init__.py SR675_V3_8XH100_NVL",
            ),
        ),
        // Sustainable Metal Cloud.
        (
            "Sustainable_Metal_Cloud",
            "SMC_H100_SXM_80GBX8_TRT",
            L2,
            trt(
                2,
                1024,
                4096,
                0.90,
                "closed/Sustainable_Metal_Cloud/configs/llama2-70b/Server/custom.py SMC_H100_SXM_80GBX8",
            ),
        ),
        (
            "Sustainable_Metal_Cloud",
            "SMC_H100_SXM_80GBX8_TRT",
            MX,
            trt(
                1,
                896,
                16_384,
                0.90,
                "closed/Sustainable_Metal_Cloud/configs/mixtral-8x7b/Server/custom.py SMC_H100_SXM_80GBX8",
            ),
        ),
    ]
};

/// Supermicro's four H100 systems: every class inherits NVIDIA's (`closed/Supermicro/configs/
/// llama2-70b/Server/custom.py` from `H100_SXM_80GB_TP2x4`, `mixtral-8x7b/Server/custom.py`
/// from `H100_SXM_80GBx8`), changing only `server_target_qps`.
const SUPERMICRO: [&str; 4] = [
    "AS_4125GS_TNHR2_LCC_H100_SXM_80GBx8_TRT",
    "AS_8125GS_TNHR_H100_SXM_80GBx8_TRT",
    "SYS_421GE_TNHR2_LCC_H100_SXM_80GBx8_TRT",
    "SYS_821GE_TNHR_H100_SXM_80GBx8_TRT",
];

/// The engine of a v4.1 Server submission by chip, where the submission's own configuration
/// is not in [`SUBMISSIONS`]: NVIDIA's classes for the chip (TensorRT rows), AMD's harness
/// (vLLM on MI300X).
#[must_use]
pub fn reference_engine(model: &str, gpu: &str, engine: &str) -> Option<ServerEngine> {
    if engine.starts_with("TensorRT") {
        let nv = |tp, batch, tokens| {
            let e = trt(tp, batch, tokens, 0.90, "closed/NVIDIA/configs (the chip's class)");
            Some(e)
        };
        return match (model, gpu) {
            ("llama2-70b", "h100-sxm") => nv(2, 1024, 4096),
            ("llama2-70b", "h100-nvl") => nv(2, 640, 4096),
            ("llama2-70b", "h200") => nv(1, 896, 4096),
            ("llama2-70b", "gh200") => nv(1, 806, 4096),
            ("mixtral-8x7b", "h100-sxm") => nv(1, 896, 16_384),
            ("mixtral-8x7b", "h200") => nv(1, 1200, 8192),
            ("mixtral-8x7b", "gh200") => nv(1, 3072, 16_384),
            ("llama2-70b" | "mixtral-8x7b", _) => Some(ServerEngine {
                tp: None,
                max_batch: None,
                max_tokens: if model == "llama2-70b" { 4096 } else { 16_384 },
                source: "closed/NVIDIA/configs/<model>/__init__.py max_num_tokens (no class for the chip)",
                ..trt(1, 0, 0, 0.90, "")
            }),
            _ => None,
        };
    }
    if engine.starts_with("vLLM") && gpu == "mi300x" && model == "llama2-70b" {
        return SUBMISSIONS.iter().find(|s| s.0 == "AMD").map(|s| s.3);
    }
    None
}

/// The precision the run scripts of the system a row's `source` names set, in every scenario,
/// where [`SUBMISSIONS`] records one (Dell's MI300X: `--quantization fp8 --kv-cache-dtype fp8`
/// in `closed/Dell/code/llama2-70b-99/test_VllmFp8/test_VllmFp8_{Offline,AsyncServer}_perf.sh`,
/// where its system description says fp16 weights).
#[must_use]
pub fn submission_precision(source: &str) -> Option<&'static str> {
    let (submitter, system, _) = submission_of(source)?;
    SUBMISSIONS.iter().find(|s| s.0 == submitter && s.1 == system).and_then(|s| s.3.precision)
}

/// Systems whose GPUs run at a board power other than the chip's TDP, W, with where it is
/// published: NVIDIA's H200 MaxQ system sets `power_limit = 500` in both scenarios' classes
/// (`closed/NVIDIA/configs/{llama2-70b,mixtral-8x7b}/{Offline,Server}/__init__.py`
/// `H200_SXM_141GBx8_MaxQ`, or its `H200_SXM_141GBx1_MaxQ` parent); the CTS systems' H200s
/// are 1,000 W parts (`closed/NVIDIA/systems/H200-SXM-141GB-CTSx{1,8}_TRT.json`, `hw_notes`
/// "H200 TGP 1000W").
const BOARD_POWER: [(&str, &str, f64, &str); 3] = [
    ("NVIDIA", "H200-SXM-141GBx8_TRT_MaxQ", 500.0, "power_limit 500 in H200_SXM_141GBx8_MaxQ"),
    ("NVIDIA", "H200-SXM-141GB-CTSx1_TRT", 1000.0, "H200 TGP 1000W (systems/H200-SXM-141GB-CTSx1_TRT.json)"),
    ("NVIDIA", "H200-SXM-141GB-CTSx8_TRT", 1000.0, "H200 TGP 1000W (systems/H200-SXM-141GB-CTSx8_TRT.json)"),
];

/// The board power of the system a row's `source` names, W, and where it is published, where
/// it is not the chip's TDP ([`BOARD_POWER`]).
#[must_use]
pub fn board_power(source: &str) -> Option<(f64, &'static str)> {
    system_fact(&BOARD_POWER, source)
}

/// The entry of a per-system table (submitter, result directory, fact, where it is published)
/// for the system a row's `source` names.
pub(super) fn system_fact<T: Copy>(
    table: &[(&str, &str, T, &'static str)],
    source: &str,
) -> Option<(T, &'static str)> {
    let (submitter, system, _) = submission_of(source)?;
    table.iter().find(|b| b.0 == submitter && b.1 == system).map(|b| (b.2, b.3))
}

/// Systems whose GPUs are not joined by a switch, with the fabric their system description
/// publishes (mlcommons/inference_results_v4.1 `closed/<submitter>/systems/<system>.json`,
/// `accelerator_interconnect`): the three 4-GPU HGX H100 boards say "6x 4th Gen NVLink", where
/// NVIDIA's 8-GPU NVSwitch boards say "18x" (`closed/NVIDIA/systems/H200-SXM-141GBx8_TRT_MaxQ.json`):
/// with no NVSwitch each GPU's 18 links go six to each of its three peers, so a tensor-parallel
/// pair shares six links, 150 GB/s one way against the switch's 450 ([`PeerFabric::Mesh`]).
///
/// ASUSTeK's ESC4000A-E12 has four H100 NVL cards and no NVLink bridge
/// (`accelerator_interconnect` "N/A", `accelerator_host_interconnect` "PCIe Gen5 x16"), so its
/// pairs reduce over PCIe ([`PeerFabric::Pcie`]): its Offline row goes from +28 % to +2 % and
/// its Server TTFT p99 from −45 to +14 %, its TPOT rows from −36…−39 % to +33…+40 % (the
/// simulated replicas run near the Server class's 640-sequence cap). It was left out while the
/// MLPerf all-reduce ran at the fitted 0.5 of the link, where the Server rows saturated.
const PEER_FABRIC: [(&str, &str, PeerFabric, &str); 4] = {
    const HGX4: PeerFabric = PeerFabric::Mesh { links_per_peer: 6, link_gbs: NVLINK4_LINK_GBS };
    [
        (
            "Dell",
            "XE8640_H100_SXM_80GBx4_TRT",
            HGX4,
            "systems/XE8640_H100_SXM_80GBx4_TRT.json \"6x 4th Gen NVLink\"",
        ),
        (
            "Dell",
            "XE9640_H100_SXM_80GBx4_TRT",
            HGX4,
            "systems/XE9640_H100_SXM_80GBx4_TRT.json \"6x 4th Gen NVLink\"",
        ),
        (
            "Fujitsu",
            "GX2560M7_H100_SXM_80GBx4_TRT",
            HGX4,
            "systems/GX2560M7_H100_SXM_80GBx4_TRT.json \"6x 4th Gen NVLINK\"",
        ),
        (
            "ASUSTeK",
            "ESC4000A_E12_4XH100_TRT",
            PeerFabric::Pcie { gbs: PCIE5_X16_GBS },
            "systems/ESC4000A_E12_4XH100_TRT.json accelerator_interconnect \"N/A\", PCIe Gen5 x16",
        ),
    ]
};

/// The GPU-to-GPU fabric of the system a row's `source` names, and where it is published, where
/// its GPUs are not joined by a switch ([`PEER_FABRIC`]).
#[must_use]
pub fn peer_fabric(source: &str) -> Option<(PeerFabric, &'static str)> {
    system_fact(&PEER_FABRIC, source)
}

/// The compute clock of a GPU run at `power_w` instead of its TDP, as a share of the clock at
/// TDP. A GPU held at its power limit draws dynamic power `P ∝ C·V²·f` (Weste & Harris, *CMOS
/// VLSI Design*, 4th ed., §5.1), and how `P` follows the clock depends on where the voltage is:
/// - **above TDP** (a part rated for more board power, the 1,000 W CTS H200s) DVFS raises the
///   voltage with the clock, `V ∝ f`, so `P ∝ f³` and the clock rises by the cube root,
///   `(power_w ÷ tdp_w)^(1/3)`;
/// - **below TDP** (a MaxQ `power_limit`) the voltage cannot follow the clock down: a chip
///   under a full tensor load at its TDP already runs below its boost clock, near the bottom of
///   its voltage–frequency curve, and at the voltage floor `V = V_min` the power is linear in
///   the clock, `P ∝ f`, so the clock falls in proportion, `power_w ÷ tdp_w`. The cube root
///   would keep 0.894 of the clock at 500 of 700 W, more than NVIDIA's own H200 runs keep of
///   their throughput (`closed/NVIDIA/results/H200-SXM-141GBx8_TRT{,_MaxQ}/{llama2-70b-99,
///   mixtral-8x7b}/Offline`: 25,262 of 31,303 and 48,988 of 59,022 tokens/s, 0.81 and 0.83,
///   with memory-bound work in the steps that the clock does not slow).
///
/// The FLOP rates scale with the clock; HBM bandwidth does not. 1 where either power is unknown.
#[must_use]
pub fn clock_scale(power_w: Option<f64>, tdp_w: f64) -> f64 {
    match power_w {
        Some(p) if p > 0.0 && tdp_w > 0.0 && p < tdp_w => p / tdp_w,
        Some(p) if p > 0.0 && tdp_w > 0.0 => (p / tdp_w).cbrt(),
        _ => 1.0,
    }
}

/// The submitter, system (result directory) and benchmark directory a row's `source` names
/// (`…closed/<submitter>/results/<system>/<benchmark>/…`).
fn submission_of(source: &str) -> Option<(&str, &str, &str)> {
    let rest = &source[source.find("closed/")? + "closed/".len()..];
    let mut parts = rest.split('/');
    let submitter = parts.next()?;
    if parts.next()? != "results" {
        return None;
    }
    Some((submitter, parts.next()?, parts.next()?))
}

/// The engine the submission a row's `source` names ran its Server scenario with: its own
/// configuration where [`SUBMISSIONS`] holds it, else [`reference_engine`] for the chip.
#[must_use]
pub fn submission_engine(model: &str, gpu: &str, engine: &str, source: &str) -> Option<ServerEngine> {
    if let Some((submitter, system, bench)) = submission_of(source)
        && bench.starts_with(model)
    {
        if let Some(s) = SUBMISSIONS.iter().find(|s| s.0 == submitter && s.1 == system && s.2 == model) {
            return Some(ServerEngine { power_w: board_power(source).map(|b| b.0), ..s.3 });
        }
        if submitter == "Supermicro" && SUPERMICRO.contains(&system) {
            let mut e = reference_engine(model, gpu, engine)?;
            e.source = if model == "llama2-70b" {
                "closed/Supermicro/configs/llama2-70b/Server/custom.py ← H100_SXM_80GB_TP2x4 ← TP2x2 ← TP2x1"
            } else {
                "closed/Supermicro/configs/mixtral-8x7b/Server/custom.py ← H100_SXM_80GBx8 ← H100_SXM_80GBx1"
            };
            return Some(e);
        }
    }
    reference_engine(model, gpu, engine)
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

/// Output lengths of an MLPerf dataset's samples as 100 equal-weight quantiles (the
/// `(k + ½)/100` quantiles, ascending), from the per-sample lengths openshift-psap's
/// performance-dashboard extracted from the MLCommons dataset files
/// (`mlperf-data/summaries/{llama2-70b-99,mixtral-8x7b}.csv` at commit 7cd1065d; its
/// `generate_dataset_summaries.py` reads `tok_output_length` of
/// `open_orca_gpt4_tokenized_llama.sampled_24576.pkl.gz` and `tok_ref_output_len` of the
/// Mixtral dataset): Mixtral 8x7B's are the reference model's own outputs (15,000 samples, mean
/// 144.8); Llama 2 70B's are the OpenOrca GPT-4 responses the prompts came with (24,576
/// samples, mean 218.9), not Llama 2 Chat's, whose mean `mlperf-datasets.csv` gives (294.45):
/// [`mlperf_outputs`] stretches that shape to the published mean.
const OUTPUT_QUANTILES: [(&str, [u16; 100]); 2] = [
    (
        "llama2-70b",
        [
            3, 5, 7, 10, 13, 16, 19, 22, 25, 29, 32, 36, 40, 43, 47, 51, 54, 58, 61, 65, 68, 72, 75, 79, 82,
            85, 89, 92, 96, 100, 103, 108, 112, 116, 120, 125, 129, 134, 139, 144, 149, 153, 157, 162, 167,
            171, 175, 179, 183, 188, 192, 196, 200, 204, 208, 212, 216, 220, 224, 229, 233, 237, 242, 246,
            251, 255, 260, 265, 270, 274, 279, 284, 289, 295, 300, 306, 311, 318, 324, 332, 341, 349, 358,
            368, 380, 390, 401, 413, 426, 441, 457, 477, 499, 521, 549, 579, 619, 669, 730, 843,
        ],
    ),
    (
        "mixtral-8x7b",
        [
            22, 27, 30, 32, 34, 37, 39, 41, 43, 46, 47, 50, 52, 54, 56, 58, 59, 61, 63, 65, 67, 69, 70, 72,
            73, 75, 76, 78, 80, 81, 83, 84, 86, 87, 89, 90, 92, 93, 95, 96, 98, 99, 101, 102, 104, 106, 107,
            109, 111, 112, 114, 116, 118, 119, 121, 123, 125, 127, 129, 131, 133, 136, 138, 141, 143, 146,
            149, 152, 155, 158, 161, 165, 169, 173, 177, 181, 186, 189, 194, 199, 204, 209, 215, 224, 231,
            239, 246, 255, 264, 273, 285, 297, 312, 328, 352, 375, 403, 451, 529, 674,
        ],
    ),
];

/// The output lengths of an MLPerf dataset's samples as equal-weight quantiles whose mean is
/// the dataset's published mean output (`mean_output_tokens` of `mlperf-datasets.csv`), each
/// capped at its `max_new_tokens`: the per-sample shape of [`OUTPUT_QUANTILES`] scaled by the
/// published mean ÷ its own mean (Llama 2 70B: 294.45 ÷ 218.7, GPT-4's response lengths
/// stretched to Llama 2 Chat's mean; Mixtral 8x7B: 145.9 ÷ 144.4), with a note. `None` for a
/// dataset without per-sample lengths.
///
/// The stretched Llama 2 shape agrees with what the submissions' Server logs imply: loadgen's
/// latency percentiles over TPOT give the output lengths (`latency ≈ TTFT + (n − 1)·TPOT`; NVIDIA
/// DGX H100, `mlperf_log_summary.txt`: p50 39.05 s, p90 81.39 s, p99 144.8 s at TPOT 0.155 s,
/// i.e. n ≈ 250, 523 and 933) against the stretched quantiles' 258, 615 and 1,024.
#[must_use]
pub fn mlperf_outputs(model: &str) -> Option<(Vec<u32>, String)> {
    let (_, q) = OUTPUT_QUANTILES.iter().find(|(m, _)| *m == model)?;
    let d = records(MLPERF_DATASETS_CSV).into_iter().find(|d| {
        d.get("model") == model && (model != "mixtral-8x7b" || d.get("benchmark").contains("v4.1"))
    })?;
    let (mean, max_new) = (d.num("mean_output_tokens")?, d.num("max_new_tokens")?);
    let own = q.iter().map(|&x| f64::from(x)).sum::<f64>() / q.len() as f64;
    let k = mean / own;
    let out: Vec<u32> =
        q.iter().map(|&x| (f64::from(x) * k).round().clamp(1.0, max_new.max(1.0)) as u32).collect();
    let got = out.iter().map(|&x| f64::from(x)).sum::<f64>() / out.len() as f64;
    let note = format!(
        "outputs: {} quantiles of the dataset's per-sample lengths scaled to its mean {mean} (mean {got:.0}, median {}, p99 {})",
        out.len(),
        out[out.len() / 2],
        out[out.len() * 99 / 100]
    );
    Some((out, note))
}

/// The output quantile request `k` draws of `n`: `37·k mod n`, a fixed shuffle (37 is prime to
/// 100) that pairs the ascending prompt quantiles with output quantiles spread over the whole
/// range, so prompt and output lengths are drawn independently.
#[must_use]
pub fn paired_output(k: usize, n: usize) -> usize {
    if n == 0 { 0 } else { (37 * k) % n }
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
    /// Output tokens per request where [`ServerRun::outputs`] is empty (the dataset's mean).
    pub output: u32,
    /// Output lengths, equal-weight quantiles ([`mlperf_outputs`]); request `k` draws quantile
    /// [`paired_output`]`(k)`. Empty: every request generates [`ServerRun::output`] tokens.
    pub outputs: &'a [u32],
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
        let row = |s: &str| {
            format!(
                "github mlcommons/inference_results_v4.1 summary_results.json; closed/{s}/Server/performance/run_1/mlperf_log_summary.txt"
            )
        };
        let trt = "TensorRT 10.2.0, CUDA 12.4";
        let cts = row("NVIDIA/results/H200-SXM-141GB-CTSx8_TRT/llama2-70b-99");
        assert_eq!(submission_engine("llama2-70b", "h200", trt, &cts).and_then(|e| e.max_batch), Some(1024));
        let cts1 = row("NVIDIA/results/H200-SXM-141GB-CTSx1_TRT/llama2-70b-99");
        assert_eq!(submission_engine("llama2-70b", "h200", trt, &cts1).and_then(|e| e.max_batch), Some(850));
        let plain = row("NVIDIA/results/H200-SXM-141GBx8_TRT/llama2-70b-99");
        assert_eq!(submission_engine("llama2-70b", "h200", trt, &plain).and_then(|e| e.max_batch), Some(896));
        // HPE's own KV fraction; Fujitsu's L40S layout, which NVIDIA's configs do not have.
        let hpe = row("HPE/results/HPE_Cray_XD670_H100_SXM_80GBx8_TRT/llama2-70b-99");
        assert_eq!(
            submission_engine("llama2-70b", "h100-sxm", trt, &hpe).map(|e| e.kv),
            Some(KvPool::FreeFraction(0.97))
        );
        let l40s = row("Fujitsu/results/CDI_L40Sx8_TRT/llama2-70b-99");
        let e = submission_engine("llama2-70b", "l40s", trt, &l40s).expect("fujitsu");
        assert_eq!((e.tp, e.max_batch), (Some(4), Some(1024)));
        assert_eq!(reference_engine("llama2-70b", "l40s", trt).and_then(|e| e.tp), None);
        // The same system directory under another benchmark takes that benchmark's class.
        let mx = row("HPE/results/HPE_Cray_XD670_H100_SXM_80GBx8_TRT/mixtral-8x7b");
        let e = submission_engine("mixtral-8x7b", "h100-sxm", trt, &mx).expect("hpe");
        assert_eq!((e.tp, e.max_batch, e.max_tokens), (Some(1), Some(1024), 16_384));
        // Dell's MI300X: the asynchronous server's batcher and memory share, FP8 as its script runs it.
        let dell = row("Dell/results/XE9680_MI300X_192GBx8/llama2-70b-99");
        let e = submission_engine("llama2-70b", "mi300x", "vLLM 0.4.3", &dell).expect("dell");
        assert_eq!((e.batcher, e.kv, e.precision), (Some((0.4, 32)), KvPool::GpuShare(0.97), Some("fp8")));
        let offline = "closed/Dell/results/XE9680_MI300X_192GBx8/llama2-70b-99/Offline/performance/run_1/x";
        assert_eq!(submission_precision(offline), Some("fp8"));
        assert_eq!(submission_precision(&hpe), None);
        // Supermicro inherits NVIDIA's classes; an unknown system falls back to the chip's.
        let smc = row("Supermicro/results/SYS_821GE_TNHR_H100_SXM_80GBx8_TRT/llama2-70b-99");
        let e = submission_engine("llama2-70b", "h100-sxm", trt, &smc).expect("supermicro");
        assert_eq!((e.tp, e.max_batch), (Some(2), Some(1024)));
        assert!(e.source.starts_with("closed/Supermicro/"));
        let other = row("Nobody/results/X_TRT/llama2-70b-99");
        assert_eq!(
            submission_engine("llama2-70b", "h100-sxm", trt, &other),
            reference_engine("llama2-70b", "h100-sxm", trt)
        );
        // Every entry's source is a file under its own submitter.
        for (submitter, _, _, e) in SUBMISSIONS {
            assert!(e.source.starts_with(&format!("closed/{submitter}/")), "{}", e.source);
        }
    }

    #[test]
    fn a_power_limit_scales_the_clock_linearly_and_a_raised_power_by_the_cube_root() {
        // MaxQ H200 at 500 of 700 W: 0.714 of the clock (at the voltage floor); the 1,000 W CTS
        // part 1.126 (the voltage rising with the clock).
        assert!((clock_scale(Some(500.0), 700.0) - 500.0 / 700.0).abs() < 1e-12);
        assert!((clock_scale(Some(1000.0), 700.0) - 1.126_2).abs() < 1e-4);
        assert_eq!(clock_scale(None, 700.0), 1.0);
        assert_eq!(clock_scale(Some(500.0), 0.0), 1.0);
        let row = "closed/NVIDIA/results/H200-SXM-141GBx8_TRT_MaxQ/mixtral-8x7b/Server/x";
        let e = submission_engine("mixtral-8x7b", "h200", "TensorRT 10.2.0", row).expect("maxq");
        assert_eq!((e.power_w, e.max_batch), (Some(500.0), Some(1200)));
        let offline = "closed/NVIDIA/results/H200-SXM-141GB-CTSx1_TRT/llama2-70b-99/Offline/x";
        assert_eq!(board_power(offline).map(|b| b.0), Some(1000.0));
        assert_eq!(board_power("closed/NVIDIA/results/H200-SXM-141GBx8_TRT/llama2-70b-99/Offline/x"), None);
    }

    #[test]
    fn the_four_gpu_hgx_boards_are_meshes() {
        let row =
            |s: &str| format!("closed/{s}/llama2-70b-99/Server/performance/run_1/mlperf_log_summary.txt");
        for system in
            ["Dell/results/XE8640_H100_SXM_80GBx4_TRT", "Fujitsu/results/GX2560M7_H100_SXM_80GBx4_TRT"]
        {
            let (f, src) = peer_fabric(&row(system)).expect("a 4-GPU board");
            assert_eq!(f, PeerFabric::Mesh { links_per_peer: 6, link_gbs: 25.0 });
            assert!(src.contains("6x 4th Gen NVL"), "{src}");
            // A tensor-parallel pair: a third of the 450 GB/s an NVSwitch gives.
            assert!((f.group_bytes_per_s(2, 450e9) - 150e9).abs() < 1.0);
        }
        assert!(peer_fabric(&row("NVIDIA/results/DGX-H100_H100-SXM-80GBx8_TRT")).is_none());
        assert!(peer_fabric(&row("Dell/results/XE9680_H100_SXM_80GBx8_TRT")).is_none());
    }

    #[test]
    fn output_lengths_keep_the_datasets_shape_and_its_published_mean() {
        // Llama 2 70B: GPT-4's response lengths stretched from mean 218.7 to 294.45, the top
        // quantile (843 × 1.346 = 1,135) capped at max_new_tokens 1,024.
        let (l, note) = mlperf_outputs("llama2-70b").expect("llama");
        assert_eq!(l.len(), 100);
        assert!(l.windows(2).all(|w| w[0] <= w[1]));
        let mean = l.iter().map(|&x| f64::from(x)).sum::<f64>() / 100.0;
        assert!((mean - 294.45).abs() < 3.0, "{mean}");
        assert_eq!((l[50], l[99]), ((192.0_f64 * 294.45 / 218.7).round() as u32, 1024));
        assert!(note.contains("mean 294.45"), "{note}");
        // Mixtral 8x7B: its reference outputs, nearly unscaled (144.35 → 145.9).
        let (m, _) = mlperf_outputs("mixtral-8x7b").expect("mixtral");
        let mean = m.iter().map(|&x| f64::from(x)).sum::<f64>() / 100.0;
        assert!((mean - 145.9).abs() < 0.6, "{mean}");
        assert!(m[0] >= 20 && m[99] < 700);
        assert!(mlperf_outputs("gpt-j-6b").is_none());
    }

    #[test]
    fn each_output_quantile_goes_to_prompts_spread_over_the_range() {
        // 1,000 ascending prompt quantiles over 100 output quantiles: each output ten times,
        // once in every tenth of the prompts.
        let mut seen = vec![Vec::new(); 100];
        for k in 0..1000 {
            seen[paired_output(k, 100)].push(k / 100);
        }
        for deciles in &seen {
            let mut d = deciles.clone();
            d.sort_unstable();
            assert_eq!(d, (0..10).collect::<Vec<_>>());
        }
        // Independent draws: the prompts' and outputs' ranks uncorrelated.
        let (n, mx, my) = (1000.0, 499.5, 49.5);
        let cov: f64 =
            (0..1000).map(|k| (k as f64 - mx) * (paired_output(k, 100) as f64 - my)).sum::<f64>() / n;
        let corr = cov / (288.7 * 28.87);
        assert!(corr.abs() < 0.05, "{corr}");
        assert_eq!(paired_output(5, 0), 0);
    }

    #[test]
    fn a_vllm_memory_share_is_a_share_of_the_whole_gpu() {
        // 192 GiB, 124 GiB free after weights and activations: 0.97 of the GPU leaves 5.76 GiB
        // unused, 1 − 5.76/124 of the free memory.
        let f = KvPool::GpuShare(0.97).free_fraction(192.0, 124.0);
        assert!((f - (1.0 - 0.03 * 192.0 / 124.0)).abs() < 1e-12);
        assert_eq!(KvPool::FreeFraction(0.9).free_fraction(192.0, 124.0), 0.9);
        assert_eq!(KvPool::GpuShare(0.5).free_fraction(192.0, 10.0), 0.0);
    }
}
