//! The plan report: each figure with its method, the claims it checks and caveats.

use serde::Serialize;
use suanli_core::plan::{ClaimCheck, PlanReport};
use suanli_core::sigfig::{count, human};

use crate::{Format, JSON_SCHEMA_VERSION, Table, to_json};

#[derive(Serialize)]
struct JsonPlan<'a> {
    schema_version: u32,
    kind: &'static str,
    #[serde(flatten)]
    report: &'a PlanReport,
}

fn verdict(c: &ClaimCheck) -> String {
    if c.reproduced {
        "reproduced".to_string()
    } else {
        format!("DOES NOT FOLLOW: the inputs imply {}", c.implied)
    }
}

fn refs_cell(report: &PlanReport, refs: &[String]) -> String {
    refs.iter()
        .map(|r| {
            let ok = report.claims.iter().filter(|c| &c.reference == r).all(|c| c.reproduced);
            format!("{r} {}", if ok { "ok" } else { "FLAGGED" })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `13 of 14 reproduced; flagged: S11`.
fn claim_totals(r: &PlanReport) -> String {
    let c = &r.claim_summary;
    let flagged =
        if c.flagged.is_empty() { String::new() } else { format!("; flagged: {}", c.flagged.join(", ")) };
    format!("{} of {} reproduced{flagged}", c.reproduced, c.total)
}

fn header_lines(r: &PlanReport) -> Vec<String> {
    let mut out = vec![format!(
        "Model: {} ({}): {} parameters used by the analyst methods; {} from the shape ({} active per token)",
        r.model.id,
        r.model.name,
        count(r.model.params_used),
        count(r.model.params_from_shape),
        count(r.model.active_params_from_shape)
    )];
    if let Some(s) = &r.server {
        out.push(format!(
            "Server: {} ({}): {} × {}; analyst peak {} PF/s ({} {}), dense peak {} PF/s",
            s.id,
            s.name,
            s.accelerators,
            s.accelerator,
            human(s.analyst_pflops),
            s.analyst_peak.name(),
            s.precision,
            human(s.dense_pflops)
        ));
    }
    out.push(format!("Exchange rate: {} CNY per USD", r.cny_per_usd));
    if let Some(c) = &r.calibration {
        out.push(format!("Calibration: {c}, replacing the fitted efficiencies for its chip"));
    }
    out
}

/// Renders a plan report.
///
/// # Errors
/// JSON serialisation errors (not expected for these types).
pub fn render_plan(r: &PlanReport, format: Format) -> Result<String, serde_json::Error> {
    if let Some(s) = crate::plan_html::render(r, format) {
        return Ok(s);
    }
    match format {
        Format::Json => to_json(&JsonPlan { schema_version: JSON_SCHEMA_VERSION, kind: "plan", report: r }),
        Format::Table => Ok(text(r)),
        _ => Ok(markdown(r)),
    }
}

fn text(r: &PlanReport) -> String {
    let mut s = format!("{}\n{}\n", r.scenario, "=".repeat(r.scenario.chars().count()));
    if let Some(d) = &r.description {
        s.push_str(d);
        s.push('\n');
    }
    s.push('\n');
    for l in header_lines(r) {
        s.push_str(&l);
        s.push('\n');
    }
    let mut notes = Vec::new();
    for sec in &r.sections {
        s.push_str(&format!("\n{}\n\n", sec.title));
        let mut t = Table::new(&["figure", ">value", "basis", "claim", "note"]);
        for f in &sec.figures {
            let note = f.caveat.as_ref().map_or(String::new(), |c| {
                let i = notes.iter().position(|n| n == c).unwrap_or_else(|| {
                    notes.push(c.clone());
                    notes.len() - 1
                });
                format!("[{}]", i + 1)
            });
            t.row([f.label.clone(), with_band(f), f.basis.label().to_string(), refs_cell(r, &f.refs), note]);
        }
        s.push_str(&t.to_text());
    }
    if !r.claims.is_empty() {
        s.push_str(&format!("\nClaims checked: {}\n\n", claim_totals(r)));
        let mut t = Table::new(&["ref", "figure", ">stated", ">suanli", "verdict"]);
        for c in &r.claims {
            t.row([c.reference.clone(), c.figure.clone(), c.stated.clone(), c.implied.clone(), verdict(c)]);
        }
        s.push_str(&t.to_text());
        for c in r.claims.iter().filter(|c| c.note.is_some()) {
            s.push_str(&format!(
                "  {} {}: {}\n",
                c.reference,
                c.figure,
                c.note.as_deref().unwrap_or_default()
            ));
        }
    }
    if !notes.is_empty() {
        s.push_str("\nNotes\n\n");
        for (i, n) in notes.iter().enumerate() {
            s.push_str(&format!("[{}] {n}\n", i + 1));
        }
    }
    s.push_str("\nBasis: data = an input; analyst = a top-down formula; first principles = the model's shape and dense peaks; assumption = depends on a stated utilisation.\n");
    s
}

fn markdown(r: &PlanReport) -> String {
    let mut s = format!("# {}\n\n", r.scenario);
    if let Some(d) = &r.description {
        s.push_str(&format!("{d}\n\n"));
    }
    for l in header_lines(r) {
        s.push_str(&format!("- {l}\n"));
    }
    for sec in &r.sections {
        s.push_str(&format!("\n## {}\n\n", sec.title));
        let mut t = Table::new(&["figure", "key", ">value", "basis", "method", "formula", "claim"]);
        let mut caveats = Vec::new();
        for f in &sec.figures {
            t.row([
                f.label.clone(),
                format!("`{}`", f.key),
                with_band(f),
                f.basis.label().to_string(),
                format!("`{}`", f.method),
                f.formula.clone(),
                refs_cell(r, &f.refs),
            ]);
            if let Some(c) = &f.caveat {
                caveats.push(format!("- `{}`: {c}\n", f.key));
            }
        }
        s.push_str(&t.to_markdown());
        if !caveats.is_empty() {
            s.push_str("\nCaveats:\n\n");
            s.push_str(&caveats.concat());
        }
    }
    if !r.claims.is_empty() {
        s.push_str(&format!("\n## Claims checked\n\n{}.\n\n", claim_totals(r)));
        let mut t = Table::new(&["ref", "figure", ">stated", ">suanli", "verdict", "note"]);
        for c in &r.claims {
            t.row([
                c.reference.clone(),
                format!("`{}`", c.figure),
                c.stated.clone(),
                c.implied.clone(),
                verdict(c),
                c.note.clone().unwrap_or_default(),
            ]);
        }
        s.push_str(&t.to_markdown());
    }
    s
}

/// A figure's display value with its likely range, when a planner gave one.
pub(crate) fn with_band(f: &suanli_core::plan::ReportFigure) -> String {
    match &f.uncertainty {
        Some(b) => format!(
            "{} (likely {}–{})",
            f.display,
            suanli_core::sigfig::human(suanli_core::sigfig::round_sig(b.low, 3)),
            suanli_core::sigfig::human(suanli_core::sigfig::round_sig(b.high, 3))
        ),
        None => f.display.clone(),
    }
}
