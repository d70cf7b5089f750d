//! suanli-report: renders core results for people (aligned text tables, Markdown) and for
//! programs (JSON). One module per report; the text-table primitive is shared.
//!
//! Renderers are pure: they take results and return a `String`. Writing is the caller's job.

mod arithmetic_view;
mod audit_view;
mod catalog_view;
mod contract;
mod csv;
mod finetune_view;
mod infer_view;
mod plan_html;
mod plan_view;
mod published_view;
mod serve_view;
mod svg;
mod sweep_view;
mod table;
mod train_view;
mod validation_view;

pub use arithmetic_view::render_arithmetic;
pub use audit_view::render_audit;
pub use catalog_view::{CatalogKind, catalog_entry, catalog_list};
pub use contract::{
    GpuRef, Header, JSON_SCHEMA_VERSION, LayoutRef, ModelRef, PrecisionRef, Uncertainty, answer_schema,
};
pub use finetune_view::{FinetuneOut, PhaseOut, render_finetune};
pub use infer_view::{InferConfigOut, InferDoc, RankRow, render_infer};
pub use plan_html::{plan_charts, render_plan_csv, render_plan_html};
pub use plan_view::render_plan;
pub use published_view::render_published;
pub use serve_view::{
    Capacity, DisaggPools, ServeDoc, SimDoc, SimSetup, Targets, render_serve, render_sim, sim_charts,
};
pub use svg::{Chart, Line};
pub use sweep_view::{SweepRow, render_sweep};
pub use table::Table;
pub use train_view::{FrontRow, SearchStats, TrainDoc, render_train};
pub use validation_view::render_validation;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned plain-text tables for a terminal.
    Table,
    /// Pretty-printed JSON (the stable contract).
    Json,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// Comma-separated values, one table after another.
    Csv,
    /// One self-contained HTML page with inline SVG charts (the plan report).
    Html,
}

/// JSON of a document with `schema_version` and `kind` added at its top level.
pub(crate) fn tagged<T: serde::Serialize>(d: &T, kind: &str) -> Result<String, serde_json::Error> {
    let mut v = serde_json::to_value(d)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("schema_version".into(), JSON_SCHEMA_VERSION.into());
        o.insert("kind".into(), kind.into());
    }
    to_json(&v)
}

/// A table as Markdown, CSV or aligned text.
pub(crate) fn render_table(t: &Table, format: Format) -> String {
    match format {
        Format::Markdown | Format::Html => t.to_markdown(),
        Format::Csv => t.to_csv(),
        _ => t.to_text(),
    }
}

/// The likely range of the headline figure, then the notes.
pub(crate) fn range_and_notes(u: Option<&contract::Uncertainty>, notes: &[String]) -> String {
    let mut s = u.map_or_else(String::new, |u| format!("\nlikely range: {}\n", u.line()));
    s.push_str(&notes_block(notes));
    s
}

/// `note:` lines after a report.
pub(crate) fn notes_block(notes: &[String]) -> String {
    let mut s = String::new();
    for n in notes {
        s.push_str(&format!("\nnote: {n}"));
    }
    if !notes.is_empty() {
        s.push('\n');
    }
    s
}

/// Serialises a value as pretty JSON with a trailing newline.
///
/// # Errors
/// Only if the value cannot be represented (non-string map keys), which our types exclude.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}
