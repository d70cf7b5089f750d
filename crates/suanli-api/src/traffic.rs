//! Request lengths, arrival shape, precision and engine limits, shared by `serve` and
//! `simulate`.

use suanli_core::Catalog;
use suanli_core::infer::{Engine, Precisions};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::workload::{Arrivals, Lengths, parse_trace};

use crate::error::ApiError;
use crate::input;

/// The traffic fields of a `serve` or `simulate` request.
pub(crate) struct Traffic<'a> {
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub lengths: Option<&'a str>,
    pub lengths_trace: Option<&'a str>,
    pub burstiness: Option<f64>,
    pub precision: Option<&'a str>,
    pub max_batch: Option<u32>,
    pub max_tokens: Option<u32>,
}

impl Traffic<'_> {
    /// One precision for weights, activations and KV.
    pub(crate) fn precision(&self) -> Result<Precisions, ApiError> {
        let p = input::precision(
            "precision",
            self.precision.unwrap_or("bf16"),
            &[Precision::Bf16, Precision::Fp16, Precision::Fp8, Precision::Int8],
        )?;
        Ok(Precisions::uniform(p))
    }

    /// Fixed lengths, a named distribution, or lengths drawn from a trace's text.
    pub(crate) fn lengths(&self, m: &ModelSpec) -> Result<Lengths, ApiError> {
        match (self.lengths, self.lengths_trace, self.input_tokens, self.output_tokens) {
            (Some("sharegpt"), None, None, None) => Ok(Lengths::SHAREGPT),
            (Some(other), None, None, None) => Err(ApiError::invalid("lengths", other, "sharegpt")),
            (None, Some(text), None, None) => {
                let reqs = parse_trace(text, "lengths_trace", m.max_context)
                    .map_err(|e| ApiError::from(e).at("lengths_trace"))?;
                Ok(Lengths::Empirical(reqs.iter().map(|r| (r.input, r.output)).collect()))
            }
            (None, None, Some(i), Some(o)) => {
                let i = input::count("input_tokens", i, u64::from(u32::MAX))?;
                let o = input::count("output_tokens", o, u64::from(u32::MAX))?;
                let total = u64::from(i) + u64::from(o);
                if total > u64::from(m.max_context) {
                    return Err(ApiError::invalid(
                        "input_tokens",
                        format!("{i} + {o} output tokens = {total}"),
                        format!("at most {}'s context of {} tokens", m.id, m.max_context),
                    ));
                }
                Ok(Lengths::Fixed { input: i, output: o })
            }
            _ => Err(ApiError::field(
                "input_tokens",
                "give input_tokens with output_tokens, or lengths (sharegpt), or a lengths trace — one of them",
            )),
        }
    }

    /// The arrival process from the coefficient of variation of the gaps.
    pub(crate) fn arrivals(&self) -> Result<Arrivals, ApiError> {
        let x = self.burstiness.unwrap_or(1.0);
        if !(x.is_finite() && (x == 0.0 || (0.05..=20.0).contains(&x))) {
            Err(ApiError::invalid(
                "burstiness",
                x,
                "0 (constant gaps), or a coefficient of variation from 0.05 to 20",
            ))
        } else if x == 0.0 {
            Ok(Arrivals::Constant)
        } else if (x - 1.0).abs() < 1e-12 {
            Ok(Arrivals::Poisson)
        } else {
            Ok(Arrivals::Gamma { cv: x })
        }
    }

    /// Engine limits per replica.
    pub(crate) fn engine(&self) -> Result<Engine, ApiError> {
        input::nonzero(&[("max_batch", self.max_batch), ("max_tokens", self.max_tokens)])?;
        Ok(Engine {
            max_batch: self.max_batch.unwrap_or(2048),
            max_tokens: self.max_tokens.unwrap_or(8192),
            ..Engine::default()
        })
    }
}

/// The chip's rates at `p`'s activation precision.
pub(crate) fn cluster(c: &Catalog, gpu: &str, p: &Precisions) -> Result<Cluster, ApiError> {
    Cluster::new(c, gpu, None, p.activations, &Calibration::default())
        .map_err(|e| ApiError::from(e).at("gpu"))
}

/// Tensor-parallel degrees for a chip: divisors of its server size.
pub(crate) fn tps(cl: &Cluster) -> Vec<u32> {
    (1..=cl.node_size).filter(|t| cl.node_size % t == 0).collect()
}
