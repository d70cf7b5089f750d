//! Measured calibration: a file written by `scripts/measure-gpu.py` on one GPU, whose curves
//! replace the fitted efficiencies for that chip.
//!
//! The file is JSON (`format` = `"suanli-calibration"`, `version` = 1; the README's "Measure
//! your own GPU" documents every key). It arrives here as text ([`Measured::parse`]); the
//! catalog carries it ([`Catalog::with_measured`]) and [`crate::train::Cluster::new`] turns it
//! into the chip's [`ChipCurves`] at the cluster's precision, divided by the catalog's peaks:
//!
//! - GEMMs: efficiency = measured TFLOP/s ÷ the dense peak, per (N, K) shape, interpolated
//!   linearly in ln M between the measured row counts (held flat outside them). A planner's
//!   GEMM group uses the measured shape nearest in ln N + ln K to each of its GEMMs, weighted
//!   by FLOPs (the time of the group is the sum of its GEMMs').
//! - HBM: read-only bandwidth ÷ peak streams weights (inference), copy bandwidth ÷ peak the
//!   memory-bound kernels (training).
//! - Attention: prefill TFLOP/s (causal, `2·b·h·d·S²` executed FLOPs) ÷ the BF16 peak by prompt
//!   length; decode KV bytes read per second ÷ HBM peak by context length.
//! - Collectives: the all-reduce's bus bandwidth by message size gives `α + S ÷ (η·B)`: `η`
//!   from the largest message, `α` the median excess time of the small ones.

mod curves;

use std::sync::Arc;

use serde::Deserialize;

use crate::Catalog;
use crate::error::Error;

pub use curves::{ChipCurves, Curve, GemmCurve, GemmMix, Shape, layer_shapes, nearest_mix};

/// The `format` value of a calibration file.
pub const FORMAT: &str = "suanli-calibration";
/// The file version this build reads.
pub const VERSION: u32 = 1;

/// A calibration file as written (`deny_unknown_fields`: a misspelt key is an error).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// `"suanli-calibration"`.
    pub format: String,
    /// 1.
    pub version: u32,
    /// The device and software measured.
    pub device: Device,
    /// What the script did not measure, and why.
    #[serde(default)]
    pub skipped: Vec<String>,
    /// GEMM curves, one per precision and (N, K) shape.
    #[serde(default)]
    pub gemm: Vec<Gemm>,
    /// Achievable HBM bandwidth.
    #[serde(default)]
    pub hbm: Option<Hbm>,
    /// Attention curves.
    #[serde(default)]
    pub attention: Option<Attention>,
    /// Collective bus bandwidth by message size.
    #[serde(default)]
    pub collectives: Vec<Collective>,
    /// End-to-end decode steps of a randomly initialised model (reported, not applied).
    #[serde(default)]
    pub decode_step: Option<DecodeStep>,
}

/// The device.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// As the driver names it (`torch.cuda.get_device_name`).
    pub name: String,
    /// The catalog's accelerator id the curves apply to.
    pub chip: String,
    /// GPUs visible to the script.
    #[serde(default = "one")]
    pub count: u32,
    /// Driver version.
    #[serde(default)]
    pub driver: Option<String>,
    /// PyTorch version.
    #[serde(default)]
    pub torch: Option<String>,
    /// CUDA runtime version.
    #[serde(default)]
    pub cuda: Option<String>,
    /// When (UTC, ISO 8601).
    #[serde(default)]
    pub measured_at: Option<String>,
}

fn one() -> u32 {
    1
}

/// One GEMM curve: `C[M×N] = A[M×K]·B[K×N]` at `m[i]` rows took `tflops[i]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gemm {
    /// `bf16` or `fp8`.
    pub dtype: String,
    /// What the shape is (`llama3.1-8b tp1 qkv`).
    #[serde(default)]
    pub shape: String,
    /// Output columns.
    pub n: u64,
    /// Reduction dimension.
    pub k: u64,
    /// Rows (tokens), ascending.
    pub m: Vec<f64>,
    /// Achieved TFLOP/s (`2·M·N·K` per GEMM), one per row count.
    pub tflops: Vec<f64>,
}

/// HBM bandwidth, GB/s (10⁹ B/s).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hbm {
    /// Device-to-device copy, bytes read plus bytes written per second.
    pub copy_gbps: f64,
    /// A reduction over a large buffer, bytes read per second.
    pub read_gbps: f64,
}

/// Attention curves.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attention {
    /// Causal prefill by prompt length.
    #[serde(default)]
    pub prefill: Option<AttentionCurve>,
    /// One query token per sequence against a KV cache, by context length.
    #[serde(default)]
    pub decode: Option<AttentionCurve>,
}

/// An attention curve over context lengths.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttentionCurve {
    /// Sequences.
    pub batch: u64,
    /// Query heads.
    pub heads: u64,
    /// KV heads.
    pub kv_heads: u64,
    /// Head dimension.
    pub head_dim: u64,
    /// Context lengths (prompt length for prefill), ascending.
    pub context: Vec<f64>,
    /// Prefill: TFLOP/s counting `2·b·h·d·S²` (causal) FLOPs.
    #[serde(default)]
    pub tflops: Option<Vec<f64>>,
    /// Decode: GB/s of KV cache read.
    #[serde(default)]
    pub gbps: Option<Vec<f64>>,
}

/// A collective's bus bandwidth (nccl-tests' convention) by message size.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collective {
    /// `all_reduce` or `all_gather`.
    pub op: String,
    /// GPUs in the group.
    pub gpus: u32,
    /// Message sizes, bytes, ascending.
    pub bytes: Vec<f64>,
    /// Bus bandwidth, GB/s.
    pub busbw_gbps: Vec<f64>,
}

/// End-to-end decode steps.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeStep {
    /// The catalog model whose shape was initialised randomly.
    pub model: String,
    /// Layers run (fewer than the model's to fit the time budget; times are scaled per layer).
    pub layers: u32,
    /// KV context per sequence.
    pub context: u64,
    /// Batch sizes.
    pub batch: Vec<f64>,
    /// Step time replayed as a CUDA graph, ms (for `layers` layers).
    pub graph_ms: Vec<f64>,
    /// Step time eager, ms.
    #[serde(default)]
    pub eager_ms: Vec<f64>,
}

/// A parsed, checked calibration file with its origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    /// Where it came from (a path or `request`).
    pub origin: String,
    /// The file.
    pub file: File,
}

impl Measured {
    /// Parses and checks a calibration file.
    ///
    /// # Errors
    /// A JSON syntax or shape error (line, column and the field's path), the wrong format or
    /// version, or a value out of range, each naming the field.
    pub fn parse(text: &str, origin: &str) -> Result<Measured, Error> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let file: File = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let message =
                if path == "." || path.is_empty() { inner.to_string() } else { format!("`{path}`: {inner}") };
            // One line whatever the keys hold.
            let message = message.replace('\n', "\\n").replace('\r', "\\r");
            Error::Syntax { origin: origin.to_string(), line: inner.line(), column: inner.column(), message }
        })?;
        check(&file, origin)?;
        Ok(Measured { origin: origin.to_string(), file })
    }

    /// A one-line description for reports' notes: the device, the software, when, and the
    /// file where its origin is a path.
    #[must_use]
    pub fn label(&self) -> String {
        let d = &self.file.device;
        let mut parts = vec![d.name.clone()];
        for (k, v) in
            [("torch", &d.torch), ("CUDA", &d.cuda), ("driver", &d.driver), ("measured", &d.measured_at)]
        {
            if let Some(v) = v {
                parts.push(format!("{k} {v}"));
            }
        }
        let from =
            if self.origin == "calibration" { String::new() } else { format!(" from {}", self.origin) };
        format!("measured calibration{from} ({})", parts.join(", "))
    }
}

/// Rates (TFLOP/s, GB/s) a file may hold: from 10⁻⁶ to 10⁷ (10 EFLOP/s, 10 PB/s per GPU), so
/// every efficiency and time derived from them stays finite.
const RATES: (f64, f64) = (1e-6, 1e7);
/// Sizes (rows, tokens of context, bytes) a file may hold.
const SIZES: (f64, f64) = (1.0, 1e13);

fn in_range(origin: &str, key: &str, v: f64, (lo, hi): (f64, f64)) -> Result<(), Error> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(Error::invalid(origin, key, v, format!("a number from {lo:e} to {hi:e}")))
    }
}

fn positive(origin: &str, key: &str, v: f64) -> Result<(), Error> {
    in_range(origin, key, v, RATES)
}

/// Checks a pair of arrays: same non-zero length, `xs` sizes strictly ascending, `ys` rates.
fn series(origin: &str, key: &str, xs: &[f64], ykey: &str, ys: &[f64]) -> Result<(), Error> {
    if xs.is_empty() {
        return Err(Error::invalid(origin, key, "[]", "at least one value"));
    }
    if xs.len() != ys.len() {
        return Err(Error::invalid(
            origin,
            ykey,
            format!("{} values", ys.len()),
            format!("one per `{key}` value ({})", xs.len()),
        ));
    }
    for (i, &x) in xs.iter().enumerate() {
        in_range(origin, &format!("{key}[{i}]"), x, SIZES)?;
        if i > 0 && x <= xs[i - 1] {
            return Err(Error::invalid(origin, format!("{key}[{i}]"), x, "values in ascending order"));
        }
    }
    for (i, &y) in ys.iter().enumerate() {
        positive(origin, &format!("{ykey}[{i}]"), y)?;
    }
    Ok(())
}

fn check(f: &File, origin: &str) -> Result<(), Error> {
    if f.format != FORMAT {
        return Err(Error::invalid(origin, "format", &f.format, format!("\"{FORMAT}\"")));
    }
    if f.version != VERSION {
        return Err(Error::invalid(
            origin,
            "version",
            f.version,
            format!("{VERSION} (this build reads version {VERSION})"),
        ));
    }
    if f.device.chip.trim().is_empty() {
        return Err(Error::invalid(
            origin,
            "device.chip",
            "\"\"",
            "the catalog id of the measured accelerator",
        ));
    }
    if f.device.count == 0 {
        return Err(Error::invalid(origin, "device.count", 0, "at least 1"));
    }
    for (i, g) in f.gemm.iter().enumerate() {
        let key = |k: &str| format!("gemm[{i}].{k}");
        if !matches!(g.dtype.as_str(), "bf16" | "fp8") {
            return Err(Error::invalid(origin, key("dtype"), &g.dtype, "bf16 or fp8"));
        }
        for (k, v) in [("n", g.n), ("k", g.k)] {
            if v == 0 || v > 1 << 24 {
                return Err(Error::invalid(origin, key(k), v, "1 to 16,777,216"));
            }
        }
        series(origin, &key("m"), &g.m, &key("tflops"), &g.tflops)?;
    }
    if let Some(h) = &f.hbm {
        positive(origin, "hbm.copy_gbps", h.copy_gbps)?;
        positive(origin, "hbm.read_gbps", h.read_gbps)?;
    }
    if let Some(a) = &f.attention {
        for (name, c, field) in [("prefill", &a.prefill, "tflops"), ("decode", &a.decode, "gbps")] {
            let Some(c) = c else { continue };
            let key = |k: &str| format!("attention.{name}.{k}");
            for (k, v) in
                [("batch", c.batch), ("heads", c.heads), ("kv_heads", c.kv_heads), ("head_dim", c.head_dim)]
            {
                if v == 0 {
                    return Err(Error::invalid(origin, key(k), 0, "at least 1"));
                }
            }
            let ys = if field == "tflops" { &c.tflops } else { &c.gbps };
            let ys = ys
                .as_ref()
                .ok_or_else(|| Error::MissingKey { origin: origin.to_string(), key: key(field) })?;
            series(origin, &key("context"), &c.context, &key(field), ys)?;
        }
    }
    for (i, c) in f.collectives.iter().enumerate() {
        let key = |k: &str| format!("collectives[{i}].{k}");
        if !matches!(c.op.as_str(), "all_reduce" | "all_gather") {
            return Err(Error::invalid(origin, key("op"), &c.op, "all_reduce or all_gather"));
        }
        if c.gpus < 2 {
            return Err(Error::invalid(origin, key("gpus"), c.gpus, "at least 2"));
        }
        series(origin, &key("bytes"), &c.bytes, &key("busbw_gbps"), &c.busbw_gbps)?;
    }
    if let Some(d) = &f.decode_step {
        if d.layers == 0 {
            return Err(Error::invalid(origin, "decode_step.layers", 0, "at least 1"));
        }
        series(origin, "decode_step.batch", &d.batch, "decode_step.graph_ms", &d.graph_ms)?;
        if !d.eager_ms.is_empty() {
            series(origin, "decode_step.batch", &d.batch, "decode_step.eager_ms", &d.eager_ms)?;
        }
    }
    Ok(())
}

impl Catalog {
    /// This catalog with a measured calibration attached: clusters of its chip use the curves.
    ///
    /// # Errors
    /// The file's chip is not in the catalog (the error names `device.chip`).
    pub fn with_measured(&self, m: Measured) -> Result<Catalog, Error> {
        if let Err(e) = self.accelerator(&m.file.device.chip) {
            return Err(Error::invalid(
                m.origin.clone(),
                "device.chip",
                &m.file.device.chip,
                format!("a catalogued accelerator id ({e})"),
            ));
        }
        let mut c = self.clone();
        c.measured = Some(Arc::new(m));
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../tests/fixtures/calibration/h100-synthetic.json");

    #[test]
    fn the_fixture_parses() {
        let m = Measured::parse(FIXTURE, "fixture").unwrap();
        assert_eq!(m.file.device.chip, "h100-sxm");
        assert!(!m.file.gemm.is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        let bad = FIXTURE.replacen("\"version\": 1", "\"version\": 7", 1);
        let e = Measured::parse(&bad, "f").unwrap_err().to_string();
        assert!(e.contains("`version`"), "{e}");
        let bad = FIXTURE.replacen("\"read_gbps\":", "\"read_gbps\": -1, \"x\":", 1);
        let e = Measured::parse(&bad, "f").unwrap_err().to_string();
        assert!(e.contains("hbm"), "{e}");
        let bad = FIXTURE.replacen("\"dtype\": \"bf16\"", "\"dtype\": 16", 1);
        let e = Measured::parse(&bad, "f").unwrap_err().to_string();
        assert!(e.contains("gemm[0].dtype"), "{e}");
        // A denormal rate would make a step infinitely long (found by the fuzz test).
        let bad = FIXTURE.replacen("151.84", "1e-320", 1);
        let e = Measured::parse(&bad, "f").unwrap_err().to_string();
        assert!(e.contains("gemm[0].tflops[3]"), "{e}");
        let e = Measured::parse("{", "f").unwrap_err().to_string();
        assert!(e.starts_with("f:"), "{e}");
    }
}
