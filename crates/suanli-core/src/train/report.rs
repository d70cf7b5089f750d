//! A training plan's headline figures: time to train, GPU-hours, servers, energy, cost.

use serde::Serialize;

use super::cluster::Cluster;
use super::layout::{Layout, Workload};
use super::memory::MemoryBreakdown;
use super::time::{Evaluation, TimeBreakdown};
use crate::precision::Precision;

/// Assumptions for energy and cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Operating {
    /// Average power draw as a fraction of TDP during training.
    pub power_utilisation: f64,
    /// Data-centre power usage effectiveness.
    pub pue: f64,
}

impl Default for Operating {
    /// 80 % of TDP (large training runs draw 70–90 %), PUE 1.2.
    fn default() -> Self {
        Operating { power_utilisation: 0.8, pue: 1.2 }
    }
}

/// The layout in the CLI's JSON contract: the layout's fields plus the workload's.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigOut {
    /// tp, pp, dp, ep, cp, vp, `micro_batch`, recompute, zero.
    #[serde(flatten)]
    pub layout: Layout,
    /// Sequences per step.
    pub global_batch: u32,
    /// Tokens per sequence.
    pub seq_len: u32,
    /// Matmul precision.
    pub precision: Precision,
}

/// Time and memory breakdowns.
#[derive(Debug, Clone, Serialize)]
pub struct Breakdown {
    /// Seconds per step by part.
    pub time_s: TimeBreakdown,
    /// GiB per GPU by part.
    pub memory_gib: MemoryBreakdown,
}

/// The headline figures of one evaluated layout.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// The layout.
    pub config: ConfigOut,
    /// GPUs.
    pub gpus: u64,
    /// Whether it fits memory.
    pub fits: bool,
    /// Memory per GPU, GiB.
    pub memory_gib_per_gpu: f64,
    /// Memory capacity per GPU, GiB.
    pub memory_capacity_gib: f64,
    /// Seconds per step.
    pub step_time_s: f64,
    /// Tokens a second.
    pub tokens_per_s: f64,
    /// Tokens a second per GPU.
    pub tokens_per_s_per_gpu: f64,
    /// Model TFLOP/s per GPU.
    pub model_tflops_per_gpu: f64,
    /// Hardware TFLOP/s per GPU.
    pub hardware_tflops_per_gpu: f64,
    /// Model FLOPs utilisation.
    pub mfu: f64,
    /// Hardware FLOPs utilisation.
    pub hfu: f64,
    /// Days to train the token budget (with one).
    #[serde(rename = "time_days")]
    pub train_days: Option<f64>,
    /// GPU-hours for the token budget.
    pub gpu_hours: Option<f64>,
    /// Servers of the cluster's size.
    pub servers: u64,
    /// Energy for the token budget, MWh (GPUs only, × PUE).
    pub energy_mwh: Option<f64>,
    /// Cloud cost for the token budget, USD.
    pub cost_usd: Option<f64>,
    /// Where time and memory go.
    pub breakdown: Breakdown,
}

impl TrainReport {
    /// Derives the headline figures; `tokens` is the training budget, if any.
    #[must_use]
    pub fn new(
        e: &Evaluation,
        w: &Workload,
        c: &Cluster,
        tokens: Option<f64>,
        op: &Operating,
    ) -> TrainReport {
        let l = &e.layout;
        let g = e.gpus as f64;
        let seconds = tokens.map(|t| t / e.tokens_per_s);
        let gpu_hours = seconds.map(|s| s * g / 3600.0);
        TrainReport {
            config: ConfigOut {
                layout: *l,
                global_batch: w.global_batch,
                seq_len: w.seq_len,
                precision: w.precision,
            },
            gpus: e.gpus,
            fits: e.fits,
            memory_gib_per_gpu: e.memory.total_gib,
            memory_capacity_gib: c.memory_gib,
            step_time_s: e.step_time_s,
            tokens_per_s: e.tokens_per_s,
            tokens_per_s_per_gpu: e.tokens_per_s_per_gpu,
            model_tflops_per_gpu: e.model_tflops_per_gpu,
            hardware_tflops_per_gpu: e.hardware_tflops_per_gpu,
            mfu: e.mfu,
            hfu: e.hfu,
            train_days: seconds.map(|s| s / 86_400.0),
            gpu_hours,
            servers: e.gpus.div_ceil(u64::from(c.node_size)),
            energy_mwh: gpu_hours.map(|h| h * c.tdp_w * op.power_utilisation * op.pue / 1e6),
            cost_usd: gpu_hours.and_then(|h| c.cloud_usd_per_gpu_hour.map(|p| p * h)),
            breakdown: Breakdown { time_s: e.time, memory_gib: e.memory },
        }
    }
}
