//! The JSON contract shared by every planner answer (`schema_version` 2).
//!
//! Every answer starts with the same keys: `schema_version`, `kind`, `model {id, name,
//! params, active_params}`, and where they apply `gpu {id, name, count}`, `layout {tp, pp,
//! dp, ep, cp}` and `precision {weights, activations, kv}`; the command's results follow, with
//! units in their key names (`_s`, `_gib`, `_usd`, `_per_s`), every latency as an object
//! `{mean, p50, p90, p99}` under an `_s` key, counts as integers, enums in snake_case, and
//! `notes` as a list of strings.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::model::ModelSpec;
use suanli_core::precision::Precision;

use crate::to_json;

/// Version of the JSON documents' shape; bumped on breaking changes.
pub const JSON_SCHEMA_VERSION: u32 = 2;

/// The model an answer is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct ModelRef {
    /// Catalog id (or the imported config's id).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Total parameters.
    pub params: u64,
    /// Parameters active per token (equal to `params` for a dense model).
    pub active_params: u64,
}

impl ModelRef {
    /// The reference for `m`.
    #[must_use]
    pub fn of(m: &ModelSpec) -> ModelRef {
        let p = m.params();
        ModelRef {
            id: m.id.clone(),
            name: m.name.clone(),
            params: p.total.round() as u64,
            active_params: p.active.round() as u64,
        }
    }
}

/// The accelerators an answer uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct GpuRef {
    /// Catalog id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// How many the answer uses.
    pub count: u64,
}

impl GpuRef {
    /// `count` of the catalog's accelerator `id` (its id as the name when it is unknown).
    #[must_use]
    pub fn of(c: &Catalog, id: &str, count: u64) -> GpuRef {
        let name = c.accelerator(id).map_or_else(|_| id.to_string(), |a| a.name.clone());
        GpuRef { id: id.to_string(), name, count }
    }
}

/// A parallel layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LayoutRef {
    /// Tensor parallelism.
    pub tp: u32,
    /// Pipeline stages.
    pub pp: u32,
    /// Data-parallel replicas.
    pub dp: u32,
    /// Expert parallelism.
    pub ep: u32,
    /// Context parallelism.
    pub cp: u32,
}

/// The number formats of weights, compute and KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PrecisionRef {
    /// Stored weights.
    pub weights: Precision,
    /// Matmul inputs (compute).
    pub activations: Precision,
    /// KV cache (training: the activations' format).
    pub kv: Precision,
}

impl PrecisionRef {
    /// One format for everything.
    #[must_use]
    pub fn uniform(p: Precision) -> PrecisionRef {
        PrecisionRef { weights: p, activations: p, kv: p }
    }
}

/// How far off a headline figure may be: where it lies for 80 % of the published rows of its
/// family (`suanli_core::uncertainty`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Uncertainty {
    /// The figure the band is for (a key of the answer).
    pub metric: String,
    /// Low end.
    pub low: f64,
    /// High end.
    pub high: f64,
    /// Which percentiles of which validation rows.
    pub basis: String,
}

impl Uncertainty {
    /// The band of a throughput-like figure.
    #[must_use]
    pub fn throughput(metric: &str, v: f64, b: &suanli_core::uncertainty::Band) -> Uncertainty {
        let (low, high) = b.throughput(v);
        Uncertainty { metric: metric.into(), low, high, basis: b.basis() }
    }

    /// The band of a time-like figure (or of a count that scales like one).
    #[must_use]
    pub fn time(metric: &str, v: f64, b: &suanli_core::uncertainty::Band) -> Uncertainty {
        let (low, high) = b.time(v);
        Uncertainty { metric: metric.into(), low, high, basis: b.basis() }
    }

    /// One line for a report: `likely 2,100 to 3,800 (basis)`.
    #[must_use]
    pub fn line(&self) -> String {
        format!(
            "{} likely between {} and {} ({})",
            self.metric,
            suanli_core::sigfig::human(suanli_core::sigfig::round_sig(self.low, 3)),
            suanli_core::sigfig::human(suanli_core::sigfig::round_sig(self.high, 3)),
            self.basis
        )
    }
}

/// The keys every planner answer starts with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Header {
    /// The model.
    pub model: ModelRef,
    /// The accelerators, where the answer involves them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gpu: Option<GpuRef>,
    /// The parallel layout, where the answer involves one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayoutRef>,
    /// The number formats, where the answer involves them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionRef>,
}

/// `{schema_version, kind}`, then `header`'s keys, then `body`'s.
pub(crate) fn contract_value<T: Serialize>(
    kind: &str,
    header: &Header,
    body: &T,
) -> Result<Value, serde_json::Error> {
    let mut out = serde_json::Map::new();
    out.insert("schema_version".into(), JSON_SCHEMA_VERSION.into());
    out.insert("kind".into(), kind.into());
    if let Value::Object(h) = serde_json::to_value(header)? {
        out.extend(h);
    }
    if let Value::Object(b) = serde_json::to_value(body)? {
        for (k, v) in b {
            out.entry(k).or_insert(v);
        }
    }
    Ok(Value::Object(out))
}

/// One tidy CSV record of [`contract_value`].
pub(crate) fn contract_csv<T: Serialize>(
    kind: &str,
    header: &Header,
    body: &T,
) -> Result<String, serde_json::Error> {
    Ok(crate::csv::record(&contract_value(kind, header, body)?))
}

/// Pretty JSON of [`contract_value`].
pub(crate) fn contract<T: Serialize>(
    kind: &str,
    header: &Header,
    body: &T,
) -> Result<String, serde_json::Error> {
    to_json(&contract_value(kind, header, body)?)
}

/// The JSON Schema of an answer of `kind`: the shared header, `schema_version` and `kind`
/// required, `gpu`/`layout`/`precision` required where `with` names them, the command's
/// own result keys (`results`) required too, and `latencies` as `{mean, p50, p90, p99}`.
#[must_use]
pub fn answer_schema(kind: &str, with: &[&str], results: &[&str], latencies: &[&str]) -> Value {
    let header = serde_json::to_value(schemars::schema_for!(Header)).unwrap_or_default();
    let mut props = header["properties"].clone();
    props["schema_version"] = serde_json::json!({ "const": JSON_SCHEMA_VERSION });
    props["kind"] = serde_json::json!({ "const": kind });
    props["notes"] = serde_json::json!({ "type": "array", "items": { "type": "string" } });
    for l in latencies {
        props[*l] = serde_json::json!({ "type": "object", "required": ["mean", "p50", "p90", "p99"],
            "properties": { "mean": { "type": "number" }, "p50": { "type": "number" }, "p90": { "type": "number" }, "p99": { "type": "number" } } });
    }
    let mut required: Vec<&str> = vec!["schema_version", "kind", "model", "notes"];
    required.extend(with);
    required.extend(results);
    required.extend(latencies);
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("suanli {kind} answer (schema_version {JSON_SCHEMA_VERSION})"),
        "type": "object",
        "required": required,
        "properties": props,
        "$defs": header["$defs"],
        "additionalProperties": true
    })
}
