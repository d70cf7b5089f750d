//! `suanli audit`: each claim, what its values imply, and whether it follows.

use serde::Serialize;
use suanli_core::econ::AuditResult;

use crate::{Format, Table, render_table, tagged};

#[derive(Serialize)]
struct AuditDoc<'a> {
    title: Option<&'a str>,
    claims: &'a [AuditResult],
    flagged: Vec<&'a str>,
}

/// Renders an audit.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_audit(
    title: Option<&str>,
    results: &[AuditResult],
    format: Format,
) -> Result<String, serde_json::Error> {
    let flagged: Vec<&str> = results.iter().filter(|r| !r.holds).map(|r| r.reference.as_str()).collect();
    if format == Format::Json {
        return tagged(&AuditDoc { title, claims: results, flagged }, "audit");
    }
    if format == Format::Csv {
        let rows: Vec<serde_json::Value> =
            results.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
        return Ok(crate::csv::records(&rows));
    }
    let mut s = format!("{}\n\n", title.unwrap_or("Claims audit"));
    let mut t = Table::new(&["ref", "kind", "formula", ">stated", ">implied", "verdict", "note"]);
    for r in results {
        t.row([
            r.reference.clone(),
            r.kind.clone(),
            r.formula.clone(),
            r.stated.clone(),
            r.implied_display.clone(),
            if r.holds {
                "holds".to_string()
            } else {
                format!("DOES NOT FOLLOW: implies {}", r.implied_display)
            },
            r.note.clone().unwrap_or_default(),
        ]);
    }
    s.push_str(&render_table(&t, format));
    s.push_str(&format!(
        "\n{} of {} claims follow{}\n",
        results.len() - flagged.len(),
        results.len(),
        if flagged.is_empty() { String::new() } else { format!("; flagged: {}", flagged.join(", ")) }
    ));
    Ok(s)
}
