//! A measured file turned into one chip's efficiencies at one precision.

use super::Measured;
use crate::model::{FfnKind, ModelSpec};
use crate::precision::Precision;

/// A curve interpolated linearly in ln x between its points and held flat outside them.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    ln_x: Vec<f64>,
    y: Vec<f64>,
}

impl Curve {
    /// A curve through `(x[i], y[i])` (`x` ascending and positive, as the file check ensures).
    #[must_use]
    pub fn new(x: &[f64], y: &[f64]) -> Curve {
        Curve { ln_x: x.iter().map(|v| v.ln()).collect(), y: y.to_vec() }
    }

    /// The value at `x`.
    #[must_use]
    pub fn at(&self, x: f64) -> f64 {
        let n = self.y.len();
        let l = x.max(f64::MIN_POSITIVE).ln();
        if n == 1 || l <= self.ln_x[0] {
            return self.y[0];
        }
        if l >= self.ln_x[n - 1] {
            return self.y[n - 1];
        }
        let i = self.ln_x.partition_point(|&v| v <= l).clamp(1, n - 1);
        let (x0, x1, y0, y1) = (self.ln_x[i - 1], self.ln_x[i], self.y[i - 1], self.y[i]);
        y0 + (y1 - y0) * (l - x0) / (x1 - x0)
    }

    /// The last (largest-x) value.
    #[must_use]
    pub fn last(&self) -> f64 {
        self.y[self.y.len() - 1]
    }
}

/// One measured GEMM shape's efficiency (fraction of the dense peak) by rows M.
#[derive(Debug, Clone, PartialEq)]
pub struct GemmCurve {
    /// Output columns.
    pub n: f64,
    /// Reduction dimension.
    pub k: f64,
    /// Efficiency by M.
    pub efficiency: Curve,
}

/// A group of GEMMs (weights ∝ FLOPs, summing to 1) each on its nearest measured curve.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GemmMix {
    parts: Vec<(f64, Curve)>,
}

impl GemmMix {
    /// The group's efficiency at `m` rows: total FLOPs ÷ the sum of each GEMM's time.
    #[must_use]
    pub fn at(&self, m: f64) -> f64 {
        let inv: f64 = self.parts.iter().map(|(w, c)| w / c.at(m)).sum();
        if inv > 0.0 { 1.0 / inv } else { 0.0 }
    }

    /// Whether the group is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

/// The mix for GEMMs `(n, k)` (FLOPs ∝ n·k per row) over `curves`: each on the curve nearest in
/// `|ln n − ln n'| + |ln k − ln k'|`.
#[must_use]
pub fn nearest_mix(curves: &[GemmCurve], shapes: &[Shape]) -> GemmMix {
    if curves.is_empty() {
        return GemmMix::default();
    }
    let total: f64 = shapes.iter().map(|(n, k)| n * k).sum();
    let parts = shapes
        .iter()
        .filter(|(n, k)| n * k > 0.0 && total > 0.0)
        .map(|&(n, k)| {
            let d = |c: &GemmCurve| (n.ln() - c.n.ln()).abs() + (k.ln() - c.k.ln()).abs();
            let best = curves.iter().min_by(|a, b| d(a).total_cmp(&d(b))).unwrap_or(&curves[0]);
            (n * k / total, best.efficiency.clone())
        })
        .collect();
    GemmMix { parts }
}

/// A GEMM's (N, K): output columns and reduction dimension.
pub type Shape = (f64, f64);

/// The (N, K) of one layer's weight GEMMs on one GPU at tensor-parallel degree `tp`: the
/// dense ones (fused QKV, attention output, fused gate-up or up, down) and a routed expert's
/// (gate-up, down; experts are not split by `tp`).
#[must_use]
pub fn layer_shapes(spec: &ModelSpec, tp: f64) -> (Vec<Shape>, Vec<Shape>) {
    let h = f64::from(spec.hidden);
    let tp = tp.max(1.0);
    let q = f64::from(spec.heads) * f64::from(spec.head_dim);
    let kv = f64::from(spec.kv_heads) * f64::from(spec.head_dim);
    let up = |ffn: f64| match spec.ffn_kind {
        FfnKind::Gelu => ffn,
        FfnKind::Swiglu | FfnKind::Geglu => 2.0 * ffn,
    };
    let mut dense = vec![((q + 2.0 * kv) / tp, h), (h, q / tp)];
    let dense_layers = spec.moe.as_ref().map_or(spec.layers, |m| m.dense_layers);
    if dense_layers > 0 && spec.ffn > 0 {
        let f = f64::from(spec.ffn);
        dense.extend([(up(f) / tp, h), (h, f / tp)]);
    }
    let expert = match &spec.moe {
        Some(m) => {
            let f = f64::from(m.expert_ffn);
            vec![(up(f), h), (h, f)]
        }
        None => Vec::new(),
    };
    (dense, expert)
}

/// One chip's measured efficiencies at one precision, relative to the catalog's peaks.
#[derive(Debug, Clone, PartialEq)]
pub struct ChipCurves {
    /// The file's description for notes.
    pub label: String,
    /// The GEMM curves at the cluster's precision (empty when the file has none for it).
    pub gemm: Vec<GemmCurve>,
    /// Large-GEMM efficiency: the median over shapes of each curve's largest-M value.
    pub large_gemm_efficiency: Option<f64>,
    /// Read-only HBM bandwidth ÷ peak.
    pub hbm_read_efficiency: Option<f64>,
    /// Copy HBM bandwidth ÷ peak.
    pub hbm_copy_efficiency: Option<f64>,
    /// Prefill attention efficiency (÷ the attention peak) by prompt length.
    pub prefill_attention: Option<Curve>,
    /// Decode KV read bandwidth ÷ HBM peak by context length.
    pub decode_kv: Option<Curve>,
    /// All-reduce inside the server: (latency α seconds, bus efficiency η of the scale-up rate).
    pub all_reduce: Option<(f64, f64)>,
}

impl ChipCurves {
    /// The curves of `m` for a chip with these peaks (FLOP/s, B/s) at `precision`.
    #[must_use]
    pub fn new(
        m: &Measured,
        precision: Precision,
        peak_flops: f64,
        attention_peak_flops: f64,
        hbm_bytes_per_s: f64,
        scale_up_bytes_per_s: f64,
    ) -> ChipCurves {
        let f = &m.file;
        let dtype = match precision {
            Precision::Bf16 | Precision::Fp16 => Some("bf16"),
            Precision::Fp8 => Some("fp8"),
            _ => None,
        };
        let gemm: Vec<GemmCurve> = f
            .gemm
            .iter()
            .filter(|g| Some(g.dtype.as_str()) == dtype)
            .map(|g| {
                let eff: Vec<f64> = g.tflops.iter().map(|t| t * 1e12 / peak_flops).collect();
                GemmCurve { n: g.n as f64, k: g.k as f64, efficiency: Curve::new(&g.m, &eff) }
            })
            .collect();
        let mut large: Vec<f64> = gemm.iter().map(|g| g.efficiency.last()).collect();
        large.sort_by(f64::total_cmp);
        let large_gemm_efficiency = (!large.is_empty()).then(|| large[large.len() / 2]);
        let att = f.attention.as_ref();
        let prefill_attention = att.and_then(|a| a.prefill.as_ref()).and_then(|c| {
            let y: Vec<f64> = c.tflops.as_ref()?.iter().map(|t| t * 1e12 / attention_peak_flops).collect();
            Some(Curve::new(&c.context, &y))
        });
        let decode_kv = att.and_then(|a| a.decode.as_ref()).and_then(|c| {
            let y: Vec<f64> = c.gbps.as_ref()?.iter().map(|g| g * 1e9 / hbm_bytes_per_s).collect();
            Some(Curve::new(&c.context, &y))
        });
        let all_reduce = f
            .collectives
            .iter()
            .filter(|c| c.op == "all_reduce")
            .max_by_key(|c| c.gpus)
            .map(|c| fit_collective(&c.bytes, &c.busbw_gbps, c.gpus, scale_up_bytes_per_s));
        ChipCurves {
            label: m.label(),
            gemm,
            large_gemm_efficiency,
            hbm_read_efficiency: f.hbm.map(|h| h.read_gbps * 1e9 / hbm_bytes_per_s),
            hbm_copy_efficiency: f.hbm.map(|h| h.copy_gbps * 1e9 / hbm_bytes_per_s),
            prefill_attention,
            decode_kv,
            all_reduce,
        }
    }
}

/// `α + S ÷ (η·B)` from bus bandwidths: `η` from the largest message's bus bandwidth, `α` the
/// median over messages of the time beyond `S ÷ (η·B)` (bus bytes `S = 2(n−1)/n` × message).
fn fit_collective(bytes: &[f64], busbw_gbps: &[f64], gpus: u32, link: f64) -> (f64, f64) {
    let n = f64::from(gpus);
    let eta = busbw_gbps[busbw_gbps.len() - 1] * 1e9 / link;
    let mut excess: Vec<f64> = bytes
        .iter()
        .zip(busbw_gbps)
        .map(|(b, g)| {
            let bus = 2.0 * (n - 1.0) / n * b;
            (bus / (g * 1e9) - bus / (eta * link)).max(0.0)
        })
        .collect();
    excess.sort_by(f64::total_cmp);
    (excess[excess.len() / 2], eta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_in_log_x() {
        let c = Curve::new(&[1.0, 100.0], &[0.0, 1.0]);
        assert!((c.at(10.0) - 0.5).abs() < 1e-12);
        assert_eq!(c.at(0.5), 0.0);
        assert_eq!(c.at(1e6), 1.0);
        assert_eq!(c.at(100.0), 1.0);
    }

    #[test]
    fn a_mix_adds_times() {
        let a = GemmCurve { n: 100.0, k: 100.0, efficiency: Curve::new(&[1.0], &[0.5]) };
        let b = GemmCurve { n: 1000.0, k: 1000.0, efficiency: Curve::new(&[1.0], &[0.25]) };
        // Both shapes are nearest the first curve.
        let mix = nearest_mix(&[a, b], &[(110.0, 90.0), (100.0, 100.0 * 1.0)]);
        assert!((mix.at(5.0) - 0.5).abs() < 1e-12);
        let a = GemmCurve { n: 100.0, k: 100.0, efficiency: Curve::new(&[1.0], &[0.5]) };
        let b = GemmCurve { n: 1000.0, k: 1000.0, efficiency: Curve::new(&[1.0], &[0.25]) };
        let mix = nearest_mix(&[a, b], &[(100.0, 1000.0), (1000.0, 1000.0)]);
        // (100, 1000) is as near both; the first wins: weights 1/11 and 10/11.
        assert!((mix.at(1.0) - 1.0 / (1.0 / 11.0 / 0.5 + 10.0 / 11.0 / 0.25)).abs() < 1e-12);
    }

    #[test]
    fn collective_fit_recovers_alpha_and_eta() {
        let (alpha, eta, link, n) = (20e-6, 0.8, 450e9, 8.0);
        let bytes = [1e4, 1e5, 1e6, 1e7, 1e8, 1e10];
        let bw: Vec<f64> = bytes
            .iter()
            .map(|b| {
                let bus = 2.0 * (n - 1.0) / n * b;
                bus / (alpha + bus / (eta * link)) / 1e9
            })
            .collect();
        let (a, e) = fit_collective(&bytes, &bw, 8, link);
        assert!((e - eta).abs() / eta < 0.01, "{e}");
        assert!((a - alpha).abs() / alpha < 0.05, "{a}");
    }
}
