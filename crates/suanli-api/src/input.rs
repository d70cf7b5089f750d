//! Checks shared by every request: numbers in range, precisions by name, the model a
//! request names (a catalog id or a pasted `config.json`, parsed in memory).

use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::calibration::Measured;
use suanli_core::model::{ModelSpec, from_hf_config};
use suanli_core::precision::Precision;

use crate::error::ApiError;

/// `v`, when given, is finite, positive and at most `max`.
pub(crate) fn positive(field: &str, v: Option<f64>, max: f64) -> Result<(), ApiError> {
    match v {
        Some(x) if !(x.is_finite() && x > 0.0 && x <= max) => {
            Err(ApiError::invalid(field, x, format!("a positive number up to {max:e}")))
        }
        _ => Ok(()),
    }
}

/// `v` is finite and positive.
pub(crate) fn positive_value(field: &str, v: f64) -> Result<f64, ApiError> {
    if v.is_finite() && v > 0.0 { Ok(v) } else { Err(ApiError::invalid(field, v, "a positive number")) }
}

/// A count from 1 to `max`.
pub(crate) fn count(field: &str, v: u64, max: u64) -> Result<u32, ApiError> {
    if (1..=max).contains(&v) {
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    } else {
        Err(ApiError::invalid(field, v, format!("a positive integer up to {max}")))
    }
}

/// Zero is refused for the layout degrees a request fixes.
pub(crate) fn nonzero(fields: &[(&str, Option<u32>)]) -> Result<(), ApiError> {
    match fields.iter().find(|(_, v)| *v == Some(0)) {
        Some((k, _)) => Err(ApiError::invalid(k, 0, "a positive integer")),
        None => Ok(()),
    }
}

/// A precision by name, from `accepted`.
pub(crate) fn precision(field: &str, name: &str, accepted: &[Precision]) -> Result<Precision, ApiError> {
    Precision::parse(name).filter(|p| accepted.contains(p)).ok_or_else(|| {
        let names: Vec<&str> = accepted.iter().map(|p| p.name()).collect();
        let fp4 = if accepted.contains(&Precision::Fp4) { " (nvfp4 and mxfp4 are fp4)" } else { "" };
        ApiError::invalid(field, name, format!("one of {}{fp4}", names.join(", ")))
    })
}

/// One of `accepted` (the first is the default when `v` is absent).
pub(crate) fn choice<'a>(field: &str, v: Option<&'a str>, accepted: &[&'a str]) -> Result<&'a str, ApiError> {
    match v {
        None => Ok(accepted[0]),
        Some(x) if accepted.contains(&x) => Ok(x),
        Some(x) => Err(ApiError::invalid(field, x, format!("one of {}", accepted.join(", ")))),
    }
}

/// A TOML document's text: `text` itself, or, when it is a JSON object, that object written as
/// TOML (so scenarios and claims files take one parser). A JSON syntax error keeps its line and
/// column; a value TOML cannot hold is `field`'s fault.
pub(crate) fn toml_of<'a>(
    text: &'a str,
    origin: &str,
    field: &str,
) -> Result<std::borrow::Cow<'a, str>, ApiError> {
    if !text.trim_start().starts_with('{') {
        return Ok(std::borrow::Cow::Borrowed(text));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::from(suanli_core::Error::Syntax {
            origin: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    })?;
    let toml = toml::to_string(&v).map_err(|e| ApiError::field(field, format!("{origin}: {e}")))?;
    Ok(std::borrow::Cow::Owned(toml))
}

/// A chip's rates at `precision` on `server` (default: the catalog's server holding it); an
/// unknown server is the `server` field's fault, anything else the `gpu` field's.
pub(crate) fn cluster(
    catalog: &Catalog,
    gpu: &str,
    server: Option<&str>,
    precision: Precision,
) -> Result<suanli_core::train::Cluster, ApiError> {
    let calib = suanli_core::train::Calibration::default();
    suanli_core::train::Cluster::new(catalog, gpu, server, precision, &calib).map_err(|e| match e {
        e @ suanli_core::Error::UnknownId { kind: "server", .. } => ApiError::from(e).at("server"),
        e => ApiError::from(e).at("gpu"),
    })
}

/// The error band of `workload` (`training`, `inference`, `finetune`, `rlhf`) on `gpu`'s generation.
pub(crate) fn band(catalog: &Catalog, workload: &str, gpu: &str) -> Option<suanli_core::uncertainty::Band> {
    let arch = catalog.accelerator(gpu).ok().and_then(|a| a.arch.clone());
    suanli_core::uncertainty::band(workload, arch.as_deref())
}

/// The model a request names: `model_config` (a Hugging Face `config.json` as JSON) when
/// given, else the catalog id in `model`.
pub(crate) fn model(
    catalog: &Catalog,
    id: Option<&str>,
    config: Option<&Value>,
) -> Result<ModelSpec, ApiError> {
    match (config, id) {
        (Some(cfg), _) => {
            if !cfg.is_object() {
                return Err(ApiError::field("model_config", "a config.json object"));
            }
            from_hf_config(&cfg.to_string(), "model_config").map_err(|e| match ApiError::from(e) {
                ApiError::Input(mut i) => {
                    i.field = Some(i.field.map_or("model_config".into(), |f| format!("model_config.{f}")));
                    i.origin = None;
                    ApiError::Input(i)
                }
                other => other,
            })
        }
        (None, Some(id)) => catalog.model(id).cloned().map_err(|e| ApiError::from(e).at("model")),
        (None, None) => {
            Err(ApiError::field("model", "required: a catalog id, or a config.json in model_config"))
        }
    }
}

/// The catalog with the request's measured calibration (the file's text) attached, and the
/// calibration: the catalog unchanged without one.
pub(crate) fn calibrated<'a>(
    catalog: &'a Catalog,
    text: Option<&str>,
) -> Result<std::borrow::Cow<'a, Catalog>, ApiError> {
    let Some(text) = text else { return Ok(std::borrow::Cow::Borrowed(catalog)) };
    let bad = |e: suanli_core::Error| ApiError::field("calibration", e.to_string());
    let m = Measured::parse(text, "calibration").map_err(bad)?;
    catalog.with_measured(m).map(std::borrow::Cow::Owned).map_err(bad)
}

/// The note saying which calibration a report used: the measured file for its chip (applied
/// when the request's chips, or every chip when it names none, include the file's), or none.
pub(crate) fn calibration_note(catalog: &Catalog, gpus: &[&str]) -> Option<String> {
    let m = catalog.measured.as_ref()?;
    let chip = m.file.device.chip.as_str();
    let ids: Vec<&str> = gpus.iter().map(|g| catalog.accelerator(g).map_or(*g, |a| a.id.as_str())).collect();
    Some(if ids.is_empty() || ids.contains(&chip) {
        format!(
            "{}: its GEMM (by M, per shape; bf16 and fp8), HBM, attention and all-reduce curves replace the fitted efficiencies for {chip}",
            m.label()
        )
    } else {
        format!("{} not applied: it measured {chip}, not {}", m.label(), ids.join(", "))
    })
}

/// The precisions to serve a model at when the request names none: the checkpoint's stored
/// precision (`quantization_config`), as weights and activations where `gpu` computes at it
/// (an FP8 or NVFP4 checkpoint on a chip with that tensor-core rate; an FP4 checkpoint keeps an
/// FP8 KV cache, [`Precisions::uniform`]), and as weights only — activations and KV cache in
/// bf16, the dequantising kernels vLLM and TensorRT-LLM use (Marlin, weight-only GEMMs) — where
/// it does not. `None` for a 16-bit checkpoint, an unknown chip, or a chip lacking bf16 too.
pub(crate) fn checkpoint_precisions(
    catalog: &Catalog,
    gpu: &str,
    stored: Option<Precision>,
) -> Option<(suanli_core::infer::Precisions, String)> {
    use suanli_core::hardware::PeakKind;
    use suanli_core::infer::Precisions;
    let p = stored
        .filter(|p| matches!(p, Precision::Fp8 | Precision::Fp4 | Precision::Int8 | Precision::Int4))?;
    let acc = catalog.accelerator(gpu).ok()?;
    let computes = |q: Precision| acc.peak_flops(q, PeakKind::Dense).is_some();
    let u = Precisions::uniform(p);
    if computes(u.activations) {
        return Some((
            u,
            format!(
                "weights and activations in {p} as the checkpoint stores them (quantization_config); set precision to serve otherwise"
            ),
        ));
    }
    computes(Precision::Bf16).then(|| {
        (
            Precisions { weights: p, activations: Precision::Bf16, kv: Precision::Bf16 },
            format!("{p} weights as the checkpoint stores them (quantization_config), run weight-only: {} has no {p} rate, so activations and KV cache are bf16", acc.id),
        )
    })
}
