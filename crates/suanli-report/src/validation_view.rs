//! `suanli validate`: errors against published measurements.

use suanli_core::sigfig::human;
use suanli_core::validation::Report;

use crate::{Format, JSON_SCHEMA_VERSION, Table, to_json};

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

/// Renders the validation report; `rows` adds every row after the summary.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_validation(r: &Report, rows: bool, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return to_json(
            &serde_json::json!({ "schema_version": JSON_SCHEMA_VERSION, "kind": "validation", "result": r }),
        );
    }
    if format == Format::Csv {
        // One tidy table: every row when asked for, else the summaries.
        let table: Vec<serde_json::Value> = if rows {
            r.rows.iter().map(serde_json::to_value).collect::<Result<_, _>>()?
        } else {
            r.summaries.iter().map(serde_json::to_value).collect::<Result<_, _>>()?
        };
        return Ok(crate::csv::records(&table));
    }
    let md = format == Format::Markdown;
    let render = |t: &Table| if md { t.to_markdown() } else { t.to_text() };
    let mut t = Table::new(&["set", ">rows", ">median |error|", ">worst |error|", "worst row"]);
    for s in &r.summaries {
        t.row([
            s.set.clone(),
            s.rows.to_string(),
            pct(s.median_abs_error),
            pct(s.worst_abs_error),
            s.worst_id.clone(),
        ]);
    }
    for p in &r.pending {
        t.row([p.set.clone(), p.rows.to_string(), "pending".into(), "pending".into(), p.reason.clone()]);
    }
    let mut s = render(&t);
    if rows {
        let mut t = Table::new(&["set", "id", "metric", ">published", ">suanli", ">error"]);
        for r in &r.rows {
            t.row([
                r.set.clone(),
                r.id.clone(),
                r.metric.clone(),
                human(r.published),
                human(r.predicted),
                pct(r.rel_error),
            ]);
        }
        s.push('\n');
        s.push_str(&render(&t));
    }
    Ok(s)
}
