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
    /// 8-bit floating point (E4M3 / E5M2).
    Fp8,
    /// 4-bit floating point (Blackwell's FP4 / NVFP4).
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
