//! `suanli sweep`: one row per (model, chip, lengths) combination, in a form whose shards
//! concatenate (JSON Lines; CSV with the header on the first shard only).

use serde::Serialize;
use suanli_core::sigfig::human;

use crate::{Format, JSON_SCHEMA_VERSION, Table, render_table};

/// One combination's best serving layout.
#[derive(Debug, Clone, Serialize)]
pub struct SweepRow {
    /// Position in the whole sweep (before sharding), from 0.
    pub index: usize,
    /// Model id.
    pub model: String,
    /// Chip id.
    pub gpu: String,
    /// Prompt tokens.
    pub input: u32,
    /// Output tokens.
    pub output: u32,
    /// `ok`, `does not fit`, or why the combination was skipped.
    pub status: String,
    /// Best layout (`tp×pp ep precision`), when one fits.
    pub layout: Option<String>,
    /// GPUs per replica.
    pub gpus: Option<u32>,
    /// Sequences per replica at the chosen load.
    pub batch: Option<u32>,
    /// Time to first token, s.
    #[serde(rename = "ttft_mean_s")]
    pub ttft_s: Option<f64>,
    /// Time per output token, s.
    #[serde(rename = "tpot_mean_s")]
    pub tpot_s: Option<f64>,
    /// Output tokens a second per GPU.
    pub output_tokens_per_s_per_gpu: Option<f64>,
    /// USD per million output tokens at the catalog's cloud price.
    pub cost_usd_per_million_output_tokens: Option<f64>,
}

/// Renders sweep rows. `first_shard` puts the CSV header (and the table title) in.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_sweep(
    rows: &[SweepRow],
    format: Format,
    first_shard: bool,
) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        let mut s = String::new();
        for r in rows {
            let mut v = serde_json::to_value(r)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("schema_version".into(), JSON_SCHEMA_VERSION.into());
                o.insert("kind".into(), "sweep".into());
            }
            s.push_str(&serde_json::to_string(&v)?);
            s.push('\n');
        }
        return Ok(s);
    }
    let raw = format == Format::Csv;
    let num = |x: Option<f64>| x.map_or_else(String::new, |v| if raw { v.to_string() } else { human(v) });
    let int = |x: Option<u32>| x.map_or_else(String::new, |v| v.to_string());
    let mut t = Table::new(&[
        ">index",
        "model",
        "gpu",
        ">input",
        ">output",
        "status",
        "layout",
        ">gpus",
        ">batch",
        ">ttft_mean_s",
        ">tpot_mean_s",
        ">output_tokens_per_s_per_gpu",
        ">cost_usd_per_million_output_tokens",
    ]);
    for r in rows {
        t.row([
            r.index.to_string(),
            r.model.clone(),
            r.gpu.clone(),
            r.input.to_string(),
            r.output.to_string(),
            r.status.clone(),
            r.layout.clone().unwrap_or_default(),
            int(r.gpus),
            int(r.batch),
            num(r.ttft_s),
            num(r.tpot_s),
            num(r.output_tokens_per_s_per_gpu),
            num(r.cost_usd_per_million_output_tokens),
        ]);
    }
    let s = render_table(&t, format);
    if raw && !first_shard {
        // Later shards leave the header out so that `cat` joins them into one file.
        return Ok(s.split_once('\n').map_or(String::new(), |(_, rest)| rest.to_string()));
    }
    Ok(s)
}
