//! `suanli validate published`: the published set's coverage and accuracy per file, family and
//! scenario, and its rows.

use suanli_core::published::PublishedReport;

use crate::{Format, JSON_SCHEMA_VERSION, Table, to_json};

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |x| format!("{:.1} %", x * 100.0))
}

/// Renders the published-set report; `rows` adds every row after the summaries.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_published(
    r: &PublishedReport,
    rows: bool,
    format: Format,
) -> Result<String, serde_json::Error> {
    match format {
        Format::Json => {
            let doc = if rows {
                serde_json::json!({ "schema_version": JSON_SCHEMA_VERSION, "kind": "validation_published", "summaries": r.summaries, "rows": r.rows })
            } else {
                serde_json::json!({ "schema_version": JSON_SCHEMA_VERSION, "kind": "validation_published", "summaries": r.summaries })
            };
            return to_json(&doc);
        }
        Format::Csv => {
            let table: Vec<serde_json::Value> = if rows {
                r.rows.iter().map(serde_json::to_value).collect::<Result<_, _>>()?
            } else {
                r.summaries
                    .iter()
                    .map(|s| {
                        let mut v = serde_json::to_value(s)?;
                        if let Some(o) = v.as_object_mut() {
                            o.remove("refusals");
                        }
                        Ok(v)
                    })
                    .collect::<Result<_, serde_json::Error>>()?
            };
            return Ok(crate::csv::records(&table));
        }
        _ => {}
    }
    let md = format == Format::Markdown;
    let render = |t: &Table| if md { t.to_markdown() } else { t.to_text() };
    let mut t = Table::new(&[
        "file",
        "family",
        "scenario",
        "metric",
        ">asked",
        ">answered",
        ">median |error|",
        ">p90 |error|",
    ]);
    for s in &r.summaries {
        t.row([
            s.file.to_string(),
            s.family.clone(),
            s.scenario.clone(),
            s.metric.clone(),
            s.asked.to_string(),
            s.answered.to_string(),
            pct(s.median_abs_error),
            pct(s.p90_abs_error),
        ]);
    }
    let mut out = String::from(
        "Published measurements (validation/published/), each row at its own chip, precision and layout\n\n",
    );
    out.push_str(&render(&t));
    let mut refused = Table::new(&["file", ">rows", "why not answered"]);
    for s in r.summaries.iter().filter(|s| s.family == "all" && s.scenario == "all" && s.metric == "all") {
        for (why, n) in &s.refusals {
            refused.row([s.file.to_string(), n.to_string(), why.clone()]);
        }
    }
    out.push_str("\nRows not answered:\n\n");
    out.push_str(&render(&refused));
    if rows {
        let mut t = Table::new(&["file", "id", "gpu", "metric", ">published", ">suanli", ">error", "note"]);
        for x in &r.rows {
            t.row([
                x.file.to_string(),
                x.id.clone(),
                x.gpu.clone(),
                x.metric.clone(),
                format!("{}", x.published),
                x.predicted.map_or_else(|| "—".into(), |v| format!("{v:.4}")),
                pct(x.rel_error),
                x.refused.clone().unwrap_or_default(),
            ]);
        }
        out.push('\n');
        out.push_str(&render(&t));
    }
    Ok(out)
}
