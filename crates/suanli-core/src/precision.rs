//! Numeric precisions for which accelerators publish peak rates.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A number format a matrix unit computes in.
///
/// Integer formats are rated in TOPS, floating-point formats in TFLOP/s; the catalog stores
/// both as "tera-operations per second" under the precision's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// IEEE single precision on the vector units (not tensor cores).
    Fp32,
    /// NVIDIA TensorFloat-32 on tensor cores.
    Tf32,
    /// bfloat16.
    Bf16,
    /// IEEE half precision.
    Fp16,
    /// 8-bit floating point (E4M3 / E5M2). Microscaled MXFP8 (a shared exponent per 32
    /// values) runs at the same tensor-core rate on Blackwell and CDNA 4, so `mxfp8` names this
    /// precision for peaks; the recipe's scaling traffic is the training model's business.
    #[serde(alias = "mxfp8")]
    Fp8,
    /// 4-bit floating point (Blackwell's FP4 / NVFP4, OCP MXFP4), at one rate for both
    /// scalings.
    #[serde(alias = "nvfp4", alias = "mxfp4")]
    Fp4,
    /// 8-bit integer.
    Int8,
    /// 4-bit integer.
    Int4,
}

impl Precision {
    /// Every precision, in display order.
    pub const ALL: [Precision; 8] = [
        Precision::Fp32,
        Precision::Tf32,
        Precision::Bf16,
        Precision::Fp16,
        Precision::Fp8,
        Precision::Fp4,
        Precision::Int8,
        Precision::Int4,
    ];

    /// The lowercase name used in files and on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Tf32 => "tf32",
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Fp8 => "fp8",
            Precision::Fp4 => "fp4",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
        }
    }

    /// A precision or low-precision recipe by name (`mxfp8` → fp8, `nvfp4`/`mxfp4` → fp4).
    #[must_use]
    pub fn parse(name: &str) -> Option<Precision> {
        match name.to_ascii_lowercase().as_str() {
            "mxfp8" => Some(Precision::Fp8),
            "nvfp4" | "mxfp4" => Some(Precision::Fp4),
            n => Precision::ALL.into_iter().find(|p| p.name() == n),
        }
    }

    /// Bytes one value occupies.
    #[must_use]
    pub fn bytes(self) -> f64 {
        match self {
            Precision::Fp32 | Precision::Tf32 => 4.0,
            Precision::Bf16 | Precision::Fp16 => 2.0,
            Precision::Fp8 | Precision::Int8 => 1.0,
            Precision::Fp4 | Precision::Int4 => 0.5,
        }
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipes_name_their_peak_precision() {
        assert_eq!(Precision::parse("mxfp8"), Some(Precision::Fp8));
        assert_eq!(Precision::parse("NVFP4"), Some(Precision::Fp4));
        assert_eq!(Precision::parse("bf16"), Some(Precision::Bf16));
        assert_eq!(Precision::parse("fp6"), None);
        let p: Precision = serde_json::from_str("\"mxfp4\"").expect("alias");
        assert_eq!(p, Precision::Fp4);
    }
}
