//! Catalog listings and single entries.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};
use suanli_core::Catalog;
use suanli_core::hardware::PeakKind;
use suanli_core::precision::Precision;
use suanli_core::sigfig::human;
use suanli_core::sourced::{Figure, Money};

use crate::{Format, JSON_SCHEMA_VERSION, Table, to_json};

/// Which part of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogKind {
    /// Chips.
    Accelerators,
    /// Servers.
    Servers,
    /// Models.
    Models,
}

impl CatalogKind {
    fn name(self) -> &'static str {
        match self {
            CatalogKind::Accelerators => "accelerators",
            CatalogKind::Servers => "servers",
            CatalogKind::Models => "models",
        }
    }
}

fn fig(f: Option<&Figure>) -> String {
    f.map_or_else(|| "—".to_string(), |f| human(f.v))
}

fn money(m: Option<&Money>) -> String {
    m.map_or_else(|| "—".to_string(), |m| format!("{} {}", human(m.v), m.currency.code()))
}

fn billions(v: f64) -> String {
    format!("{:.2}", v / 1e9)
}

/// Every source key an entry's JSON cites, resolved.
fn cited_sources(c: &Catalog, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "src" {
                    if let Some(key) = x.as_str() {
                        if let Some(cite) = c.source(key) {
                            out.insert(key.to_string(), cite.to_string());
                        }
                    }
                } else {
                    cited_sources(c, x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| cited_sources(c, x, out)),
        _ => {}
    }
}

#[derive(Serialize)]
struct Listing {
    schema_version: u32,
    kind: &'static str,
    entries: Vec<Value>,
    sources: BTreeMap<String, String>,
}

fn model_json(m: &suanli_core::model::ModelSpec) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(m)?;
    let p = m.params();
    if let Value::Object(o) = &mut v {
        o.insert(
            "computed".into(),
            json!({
                "params": p.total,
                "active_params": p.active,
                "embedding_params": p.embedding + p.unembedding,
                "attention": format!("{:?}", m.attention()),
            }),
        );
    }
    Ok(v)
}

/// Lists one kind of catalog entry.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn catalog_list(c: &Catalog, kind: CatalogKind, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json || format == Format::Csv {
        let entries: Vec<Value> = match kind {
            CatalogKind::Accelerators => {
                c.accelerators.iter().map(serde_json::to_value).collect::<Result<_, _>>()?
            }
            CatalogKind::Servers => c.servers.iter().map(serde_json::to_value).collect::<Result<_, _>>()?,
            CatalogKind::Models => c.models.iter().map(model_json).collect::<Result<_, _>>()?,
        };
        if format == Format::Csv {
            return Ok(crate::csv::records(&entries));
        }
        let mut sources = BTreeMap::new();
        entries.iter().for_each(|e| cited_sources(c, e, &mut sources));
        return to_json(&Listing {
            schema_version: JSON_SCHEMA_VERSION,
            kind: kind.name(),
            entries,
            sources,
        });
    }
    let t = match kind {
        CatalogKind::Accelerators => {
            let mut t = Table::new(&[
                "id",
                "name",
                ">bf16",
                ">fp16",
                ">fp8",
                ">int8",
                ">bf16 sparse",
                ">mem GB",
                ">TB/s",
                ">scale-up GB/s",
                ">TDP W",
                ">price",
                ">rent USD/h",
            ]);
            for a in &c.accelerators {
                let d = |p: Precision| fig(a.dense_tflops.get(&p));
                t.row([
                    a.id.clone(),
                    a.name.clone(),
                    d(Precision::Bf16),
                    d(Precision::Fp16),
                    d(Precision::Fp8),
                    d(Precision::Int8),
                    a.peak_flops(Precision::Bf16, PeakKind::Sparse).map_or("—".into(), |f| human(f / 1e12)),
                    human(a.memory_gb.v),
                    human(a.memory_bw_tbs.v),
                    human(a.scale_up_gbs.v),
                    fig(a.tdp_w.as_ref()),
                    money(a.price.as_ref()),
                    fig(a.cloud_usd_per_hour.as_ref()),
                ]);
            }
            t
        }
        CatalogKind::Servers => {
            let mut t = Table::new(&[
                "id",
                "name",
                "role",
                "accelerators",
                "cpus",
                ">net Gb/s",
                ">power kW",
                ">price",
            ]);
            for s in &c.servers {
                t.row([
                    s.id.clone(),
                    s.name.clone(),
                    s.role.label().to_string(),
                    format!("{} × {}", s.accelerator_count, s.accelerator.as_deref().unwrap_or("—")),
                    format!("{}–{} × {}", s.cpu.min_count, s.cpu.count, s.cpu.model),
                    s.nics.as_ref().map_or("—".into(), |n| human(f64::from(n.count) * n.gbps_each.v)),
                    fig(s.power_kw.as_ref()),
                    money(s.price.as_ref()),
                ]);
            }
            t
        }
        CatalogKind::Models => {
            let mut t = Table::new(&[
                "id",
                "name",
                ">layers",
                ">hidden",
                ">heads/kv",
                "ffn",
                ">vocab",
                ">context",
                ">params B",
                ">active B",
                ">published B",
            ]);
            for m in &c.models {
                let p = m.params();
                t.row([
                    m.id.clone(),
                    m.name.clone(),
                    m.layers.to_string(),
                    m.hidden.to_string(),
                    format!("{}/{}", m.heads, m.kv_heads),
                    format!("{:?} {}", m.ffn_kind, m.ffn).to_lowercase(),
                    m.vocab.to_string(),
                    m.max_context.to_string(),
                    billions(p.total),
                    billions(p.active),
                    fig(m.published_params_b.as_ref()),
                ]);
            }
            t
        }
    };
    let note = match kind {
        CatalogKind::Accelerators => {
            "Dense peaks in TFLOP/s (TOPS for int8) per chip; sparse = 2:4 structured sparsity; price = purchase, rent = cloud USD per chip-hour (— : none public, `no_public_price` says why). `suanli catalog show ID` gives every figure's source.\n"
        }
        CatalogKind::Servers => {
            "Net = scale-out ports × line rate. `suanli catalog show ID` gives sources.\n"
        }
        CatalogKind::Models => "Parameters computed from the shape; published = the authors' count.\n",
    };
    Ok(match format {
        Format::Markdown => format!("{}\n{note}", t.to_markdown()),
        _ => format!("{}\n{note}", t.to_text()),
    })
}

/// Shows one entry (accelerator, server or model) with every figure's source.
///
/// # Errors
/// [`suanli_core::Error::UnknownId`] when no kind has the id; JSON errors are mapped into it
/// as not expected.
pub fn catalog_entry(c: &Catalog, id: &str, format: Format) -> Result<String, suanli_core::Error> {
    let (kind, value) = if let Ok(a) = c.accelerator(id) {
        ("accelerator", serde_json::to_value(a))
    } else if let Ok(s) = c.server(id) {
        ("server", serde_json::to_value(s))
    } else if let Ok(m) = c.model(id) {
        ("model", model_json(m))
    } else {
        let all = c
            .accelerators
            .iter()
            .map(|a| a.id.as_str())
            .chain(c.servers.iter().map(|s| s.id.as_str()))
            .chain(c.models.iter().map(|m| m.id.as_str()));
        return Err(suanli_core::Error::UnknownId {
            kind: "catalog entry",
            id: id.to_string(),
            suggestions: suanli_core::suggest::nearest(id, all),
        });
    };
    let value = value.unwrap_or(Value::Null);
    let mut sources = BTreeMap::new();
    cited_sources(c, &value, &mut sources);
    if format == Format::Json {
        let doc = json!({ "schema_version": JSON_SCHEMA_VERSION, "kind": kind, "entry": value, "sources": sources });
        return Ok(to_json(&doc).unwrap_or_default());
    }
    let mut t = Table::new(&["field", "value", "source", "confidence"]);
    flatten("", &value, &mut t);
    if format == Format::Csv {
        return Ok(t.to_csv());
    }
    let mut s = format!("{kind} {id}\n\n");
    s.push_str(&if format == Format::Markdown { t.to_markdown() } else { t.to_text() });
    s.push_str("\nSources\n\n");
    for (k, v) in &sources {
        s.push_str(&format!("{k}: {v}\n"));
    }
    Ok(s)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), human),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// One row per leaf; a sourced figure (`{v, src, conf}`) is one row with its source.
fn flatten(prefix: &str, v: &Value, t: &mut Table) {
    match v {
        Value::Object(m) if m.contains_key("v") && m.contains_key("src") => {
            let mut value = scalar(&m["v"]);
            if let Some(cur) = m.get("currency") {
                value = format!("{value} {}", scalar(cur));
            }
            if let Some(n) = m.get("note") {
                value = format!("{value} ({})", scalar(n));
            }
            t.row([
                prefix.to_string(),
                value,
                scalar(&m["src"]),
                m.get("conf").map(scalar).unwrap_or_default(),
            ]);
        }
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, x, t);
            }
        }
        Value::Array(a) if a.iter().all(|x| !x.is_object()) => {
            t.row([
                prefix.to_string(),
                a.iter().map(scalar).collect::<Vec<_>>().join(", "),
                String::new(),
                String::new(),
            ]);
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, t);
            }
        }
        other => t.row([prefix.to_string(), scalar(other), String::new(), String::new()]),
    }
}
