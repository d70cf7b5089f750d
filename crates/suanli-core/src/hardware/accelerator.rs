//! One accelerator chip (GPU, TPU, NPU) and its published rates.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::precision::Precision;
use crate::sourced::{Figure, Money};

/// Which vendor peak a calculation uses.
///
/// Vendors headline 2:4 structured-sparsity rates, exactly twice the dense rate. Dense is what a
/// Transformer's dense GEMMs can reach; sparse is kept apart so the two are never mixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PeakKind {
    /// Dense matrix-unit peak.
    Dense,
    /// Peak with 2:4 structured sparsity, as headlined in datasheets.
    Sparse,
}

impl PeakKind {
    /// `dense` or `sparse`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            PeakKind::Dense => "dense",
            PeakKind::Sparse => "sparse",
        }
    }
}

/// An accelerator as published by its vendor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accelerator {
    /// Catalog id, lowercase with dashes (`h100-sxm`).
    pub id: String,
    /// Other names accepted on the command line.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Marketing name.
    pub name: String,
    /// Maker.
    pub vendor: String,
    /// Micro-architecture (`hopper`, `blackwell`, `cdna3`, …): the chip class that fitted
    /// efficiencies without a per-chip measurement are keyed by (see
    /// `train::Calibration::attention_efficiency_for`). Absent: an earlier or unlisted class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Dense peak per chip, in TFLOP/s (TOPS for integer formats), by precision.
    pub dense_tflops: BTreeMap<Precision, Figure>,
    /// Peak per chip with 2:4 structured sparsity, in TFLOP/s (TOPS), where the vendor states one.
    #[serde(default)]
    pub sparse_tflops: BTreeMap<Precision, Figure>,
    /// Measured maximum achievable matmul throughput (MAMF), TFLOP/s, by precision: what a
    /// large GEMM really reaches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mamf_tflops: BTreeMap<Precision, Figure>,
    /// Memory capacity per chip, in GB as the vendor states it.
    pub memory_gb: Figure,
    /// Peak memory bandwidth per chip, in TB/s.
    pub memory_bw_tbs: Figure,
    /// Scale-up (NVLink, Infinity Fabric, ICI, HCCS…) bandwidth per chip, GB/s, both directions summed.
    pub scale_up_gbs: Figure,
    /// Name of the scale-up link (`NVLink 4`, `PCIe 4.0 x16`, …).
    pub scale_up_link: String,
    /// Thermal design power per chip, W.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tdp_w: Option<Figure>,
    /// Purchase price per chip, where one is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Cloud rental price per chip-hour, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_usd_per_hour: Option<Figure>,
    /// A documented gap: why the catalog has no purchase `price` or no `cloud_usd_per_hour`
    /// for this chip (which one is missing, what was searched and when), so that a missing
    /// price is a recorded finding rather than an oversight. The catalog leaves a price out
    /// rather than guess one; `check` refuses an empty note, and one on a chip with both
    /// prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_public_price: Option<String>,
    /// Free-form remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Accelerator {
    /// Peak in FLOP/s (not tera) for a precision and kind, if published.
    #[must_use]
    pub fn peak_flops(&self, precision: Precision, kind: PeakKind) -> Option<f64> {
        let table = match kind {
            PeakKind::Dense => &self.dense_tflops,
            PeakKind::Sparse => &self.sparse_tflops,
        };
        table.get(&precision).map(|f| f.v * 1e12)
    }

    /// Every figure of this chip with a label, for source checks.
    #[must_use]
    pub fn figures(&self) -> Vec<(String, &Figure)> {
        let mut out = Vec::new();
        for (p, f) in &self.dense_tflops {
            out.push((format!("dense_tflops.{p}"), f));
        }
        for (p, f) in &self.sparse_tflops {
            out.push((format!("sparse_tflops.{p}"), f));
        }
        for (p, f) in &self.mamf_tflops {
            out.push((format!("mamf_tflops.{p}"), f));
        }
        out.push(("memory_gb".into(), &self.memory_gb));
        out.push(("memory_bw_tbs".into(), &self.memory_bw_tbs));
        out.push(("scale_up_gbs".into(), &self.scale_up_gbs));
        if let Some(f) = &self.tdp_w {
            out.push(("tdp_w".into(), f));
        }
        if let Some(f) = &self.cloud_usd_per_hour {
            out.push(("cloud_usd_per_hour".into(), f));
        }
        out
    }
}
