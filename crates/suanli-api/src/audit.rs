//! `audit`: stated claims recomputed from stated values.

use suanli_core::econ::{AuditResult, audit as run_audit, parse_claims};

use crate::error::{ApiResult, Reply};

/// An audit's answer.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The claims file's title.
    pub title: Option<String>,
    /// Each claim with the value its inputs imply.
    pub results: Vec<AuditResult>,
}

impl Audit {
    /// Claims that do not follow from their values.
    #[must_use]
    pub fn flagged(&self) -> usize {
        self.results.iter().filter(|r| !r.holds).count()
    }
}

/// Audits a claims file's text (TOML, or JSON with the same keys).
pub fn audit(text: &str, origin: &str) -> ApiResult<Audit> {
    let toml_text;
    let text = if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| suanli_core::Error::Syntax {
            origin: origin.into(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        toml_text =
            toml::to_string(&v).map_err(|e| crate::ApiError::field("claims", format!("{origin}: {e}")))?;
        toml_text.as_str()
    } else {
        text
    };
    let f = parse_claims(text, origin)?;
    let results = run_audit(&f, origin)?;
    Ok(Reply::ok(Audit { title: f.title, results }))
}
