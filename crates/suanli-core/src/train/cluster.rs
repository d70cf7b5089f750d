//! The hardware a training job runs on: one accelerator type in servers of `node_size`, a
//! scale-up fabric inside each server and a scale-out network between them.

use std::sync::Arc;

use crate::calibration::ChipCurves;
use crate::catalog::Catalog;
use crate::error::Error;
use crate::hardware::{Accelerator, PeakKind, Server, host_link};
use crate::precision::Precision;

use super::calib::Calibration;

/// Per-GPU rates of a cluster, in SI units.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Accelerator id.
    pub accelerator: String,
    /// Server id the network figures come from.
    pub server: Option<String>,
    /// The accelerator's micro-architecture, where the catalog states it.
    pub arch: Option<String>,
    /// Dense peak at the training precision, FLOP/s.
    pub peak_flops: f64,
    /// Dense peak the attention core runs at (BF16: FlashAttention does not run in FP8), FLOP/s.
    pub attention_peak_flops: f64,
    /// Fraction of the dense peak a large GEMM reaches (measured MAMF ÷ peak, or the default).
    pub gemm_efficiency: f64,
    /// Fraction of [`Self::attention_peak_flops`] the attention core reaches (a fused
    /// FlashAttention-style forward, FLOPs counted as executed): the chip class's fitted
    /// value, [`Calibration::attention_efficiency_for`]. Training applies its own calibration
    /// (with measured curves by sequence length where present); serving's prefill and decode
    /// attention run the same forward kernels at this rate.
    pub attention_efficiency: f64,
    /// HBM bandwidth, B/s.
    pub hbm_bytes_per_s: f64,
    /// Dense FP32 peak of the CUDA cores (vector units), FLOP/s, 0 where the catalog has none:
    /// on NVIDIA's Hopper, Ada and Blackwell chips it is SMs × 128 lanes × 2 × boost clock, so
    /// it stands for the SMs' aggregate clock rate, which bounds work the SMs do outside the
    /// tensor cores (see [`crate::infer::InferCalibration::moe_permute_sm_bytes_per_flop`]).
    pub vector_flops: f64,
    /// Memory capacity, GiB (vendors' "80 GB" HBM parts hold 80 GiB).
    pub memory_gib: f64,
    /// GPUs per server (the scale-up domain).
    pub node_size: u32,
    /// Scale-up bandwidth per GPU, one direction, B/s.
    pub scale_up_bytes_per_s: f64,
    /// Scale-out bandwidth per GPU, one direction, B/s.
    pub scale_out_bytes_per_s: f64,
    /// Bandwidth of the GPU's link to host memory, one direction, B/s ([`crate::hardware::host_link`]): what
    /// activation offload ([`super::Layout::offload_layers`]) copies over.
    pub host_bytes_per_s: f64,
    /// Whether the scale-out figure is an assumption (no NICs catalogued).
    pub scale_out_assumed: bool,
    /// TDP per GPU, W (0 when unpublished).
    pub tdp_w: f64,
    /// Cloud price per GPU-hour, USD, where the catalog has one.
    pub cloud_usd_per_gpu_hour: Option<f64>,
    /// Measured curves for this chip at this precision (the catalog's measured calibration),
    /// replacing the fitted efficiencies where they are present.
    pub measured: Option<Arc<ChipCurves>>,
}

/// Scale-out per GPU assumed when a server lists no NICs: one 200 Gb/s port per GPU.
pub const DEFAULT_SCALE_OUT_GBPS: f64 = 200.0;

impl Cluster {
    /// Builds a cluster of `accelerator` chips in `server` (or the first catalogued server
    /// holding that chip, or 8-GPU nodes with assumed networking).
    ///
    /// # Errors
    /// Unknown ids, a server holding another chip, a precision the chip does not publish.
    pub fn new(
        c: &Catalog,
        accelerator: &str,
        server: Option<&str>,
        precision: Precision,
        calib: &Calibration,
    ) -> Result<Cluster, Error> {
        let a: &Accelerator = c.accelerator(accelerator)?;
        let s: Option<&Server> = match server {
            Some(id) => {
                let s = c.server(id)?;
                if s.accelerator.as_deref() != Some(a.id.as_str()) {
                    return Err(Error::invalid(
                        "command line",
                        "server",
                        id,
                        format!(
                            "a server holding {} (it holds {})",
                            a.id,
                            s.accelerator.as_deref().unwrap_or("none")
                        ),
                    ));
                }
                Some(s)
            }
            None => c
                .servers
                .iter()
                .filter(|s| s.accelerator.as_deref() == Some(a.id.as_str()))
                .max_by_key(|s| (s.nics.is_some(), s.accelerator_count == 8)),
        };
        let peak = a.peak_flops(precision, PeakKind::Dense).ok_or_else(|| {
            let have: Vec<&str> = a.dense_tflops.keys().map(|p| p.name()).collect();
            Error::invalid(
                "command line",
                "precision",
                precision,
                format!("a precision {} computes in: {}", a.id, have.join(", ")),
            )
        })?;
        let measured = a
            .mamf_tflops
            .get(&precision)
            .or_else(|| if precision == Precision::Fp16 { a.mamf_tflops.get(&Precision::Bf16) } else { None })
            .map(|f| f.v * 1e12 / peak);
        let node_size = s.map_or(8, |s| s.accelerator_count.max(1));
        let (scale_out, assumed) = match s.and_then(Server::scale_out_gbs_per_accelerator) {
            Some(gbs) => (gbs * 1e9, false),
            None => (DEFAULT_SCALE_OUT_GBPS / 8.0 * 1e9, true),
        };
        let mut cluster = Cluster {
            accelerator: a.id.clone(),
            server: s.map(|s| s.id.clone()),
            arch: a.arch.clone(),
            peak_flops: peak,
            attention_peak_flops: a
                .peak_flops(Precision::Bf16, PeakKind::Dense)
                .or_else(|| a.peak_flops(Precision::Fp16, PeakKind::Dense))
                .map_or(peak, |p| p.min(peak)),
            gemm_efficiency: measured
                .unwrap_or(match a.arch.as_deref() {
                    Some(arch) if arch.starts_with("blackwell") && precision == Precision::Fp4 => {
                        calib.gemm_efficiency_blackwell_fp4
                    }
                    Some("blackwell-ultra") => calib.gemm_efficiency_blackwell_ultra,
                    Some(arch) if arch.starts_with("blackwell") => calib.gemm_efficiency_blackwell,
                    _ => calib.default_gemm_efficiency,
                })
                .min(1.0),
            attention_efficiency: calib.attention_efficiency_for(a.arch.as_deref()),
            hbm_bytes_per_s: a.memory_bw_tbs.v * 1e12,
            vector_flops: a.peak_flops(Precision::Fp32, PeakKind::Dense).unwrap_or(0.0),
            memory_gib: a.memory_gb.v,
            node_size,
            scale_up_bytes_per_s: a.scale_up_gbs.v / 2.0 * 1e9,
            scale_out_bytes_per_s: scale_out,
            scale_out_assumed: assumed,
            host_bytes_per_s: host_link(&a.id, a.arch.as_deref()).0,
            tdp_w: a.tdp_w.as_ref().map_or(0.0, |f| f.v),
            cloud_usd_per_gpu_hour: a.cloud_usd_per_hour.as_ref().map(|f| f.v),
            measured: None,
        };
        if let Some(m) = c.measured.as_ref().filter(|m| m.file.device.chip == a.id) {
            let curves = ChipCurves::new(
                m,
                precision,
                cluster.peak_flops,
                cluster.attention_peak_flops,
                cluster.hbm_bytes_per_s,
                cluster.scale_up_bytes_per_s,
            );
            if let Some(e) = curves.large_gemm_efficiency {
                cluster.gemm_efficiency = e;
            }
            cluster.measured = Some(Arc::new(curves));
        }
        Ok(cluster)
    }

    /// The note a report carries when this cluster uses measured curves.
    #[must_use]
    pub fn measured_note(&self) -> Option<String> {
        let m = self.measured.as_ref()?;
        let gemm = if m.gemm.is_empty() {
            "no GEMM curves at this precision: fitted GEMM efficiency".to_string()
        } else {
            format!("{} GEMM curves", m.gemm.len())
        };
        Some(format!("{} applied to {}: {gemm}", m.label, self.accelerator))
    }
}
