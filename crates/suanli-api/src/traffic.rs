//! Request lengths, arrival shape, precision and engine limits, shared by `serve` and
//! `simulate`.

use suanli_core::Catalog;
use suanli_core::infer::speculation_defaults;
use suanli_core::infer::{Engine, Precisions};
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;
use suanli_core::train::Cluster;
use suanli_sim::engine::{DraftSpec, SpeculationSpec};
use suanli_sim::workload::{Arrivals, Lengths, PRESETS, Preset, parse_trace};

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
    pub workload: Option<&'a str>,
}

/// A workload preset by name.
pub(crate) fn preset(name: &str) -> Result<Preset, ApiError> {
    Preset::named(name).ok_or_else(|| ApiError::invalid("workload", name, PRESETS.join(", ")))
}

/// Speculative decoding from a request's `speculative`, `draft_tokens` and `acceptance`:
/// `mtp`, `eagle` or `draft:<model id>`, defaults per method from [`speculation_defaults`].
pub(crate) fn speculation(
    catalog: &Catalog,
    method: Option<&str>,
    tokens: Option<u32>,
    acceptance: Option<f64>,
) -> Result<Option<SpeculationSpec>, ApiError> {
    let Some(m) = method else {
        if tokens.is_some() || acceptance.is_some() {
            return Err(ApiError::field(
                "speculative",
                "give speculative (mtp, eagle, draft:<model id>) with draft_tokens or acceptance",
            ));
        }
        return Ok(None);
    };
    let draft = match m {
        "mtp" => DraftSpec::Mtp,
        "eagle" => DraftSpec::Eagle,
        _ => match m.strip_prefix("draft:") {
            Some(id) => DraftSpec::Model(Box::new(
                catalog.model(id).map_err(|e| ApiError::from(e).at("speculative"))?.clone(),
            )),
            None => return Err(ApiError::invalid("speculative", m, "mtp, eagle or draft:<model id>")),
        },
    };
    let (k0, a0) = speculation_defaults(if m.starts_with("draft:") { "draft" } else { m });
    let k = tokens.unwrap_or(k0);
    if !(1..=16).contains(&k) {
        return Err(ApiError::invalid("draft_tokens", k, "from 1 to 16"));
    }
    let a = acceptance.unwrap_or(a0);
    if !(a.is_finite() && (0.0..=1.0).contains(&a)) {
        return Err(ApiError::invalid("acceptance", a, "a probability from 0 to 1"));
    }
    Ok(Some(SpeculationSpec { draft, tokens: k, acceptance: a }))
}

impl Traffic<'_> {
    /// One precision for weights, activations and KV.
    pub(crate) fn precision(&self) -> Result<Precisions, ApiError> {
        precisions("precision", self.precision.unwrap_or("bf16"))
    }

    /// [`Traffic::precision`] on `gpu`, or with no precision asked the checkpoint's
    /// ([`input::checkpoint_precisions`]) and a note saying so.
    pub(crate) fn precision_on(
        &self,
        catalog: &Catalog,
        gpu: &str,
        stored: Option<Precision>,
    ) -> Result<(Precisions, Option<String>), ApiError> {
        if self.precision.is_none()
            && let Some((p, note)) = input::checkpoint_precisions(catalog, gpu, stored)
        {
            return Ok((p, Some(note)));
        }
        Ok((self.precision()?, None))
    }

    /// Fixed lengths, a named distribution, or lengths drawn from a trace's text.
    pub(crate) fn lengths(&self, m: &ModelSpec) -> Result<Lengths, ApiError> {
        if let Some(w) = self.workload {
            if self.lengths.is_some() || self.lengths_trace.is_some() || self.input_tokens.is_some() {
                return Err(ApiError::field("workload", "give workload or lengths / input_tokens, not both"));
            }
            return Ok(preset(w)?.lengths);
        }
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

/// A served precision by name for `field`: bf16, fp16, fp8, int8 the same for weights,
/// activations and KV; fp4 (NVFP4 on Blackwell) for weights and activations with an fp8 KV
/// cache, as FP4 deployments of DeepSeek-R1 keep it (TensorRT-LLM's and SGLang's NVFP4
/// checkpoints quantise the GEMMs, not the cache).
pub(crate) fn precisions(field: &str, name: &str) -> Result<Precisions, ApiError> {
    let p = input::precision(
        field,
        name,
        &[Precision::Bf16, Precision::Fp16, Precision::Fp8, Precision::Int8, Precision::Int4, Precision::Fp4],
    )?;
    Ok(Precisions::uniform(p))
}

/// `e` with the request fields it names renamed by `map` (`tp` → `prefill_tp` for an error
/// found checking the prefill pool's layout).
pub(crate) fn renamed(e: ApiError, map: &[(&str, &str)]) -> ApiError {
    match e {
        ApiError::Input(mut i) => {
            if let Some(to) = map.iter().find(|(from, _)| i.field.as_deref() == Some(*from)).map(|m| m.1) {
                i.field = Some(to.to_string());
            }
            ApiError::Input(i)
        }
        other => other,
    }
}

/// The chip's rates at `p`'s activation precision.
pub(crate) fn cluster(c: &Catalog, gpu: &str, p: &Precisions) -> Result<Cluster, ApiError> {
    input::cluster(c, gpu, None, p.activations)
}

/// Tensor-parallel degrees for a chip: divisors of its server size.
pub(crate) fn tps(cl: &Cluster) -> Vec<u32> {
    (1..=cl.node_size).filter(|t| cl.node_size % t == 0).collect()
}
