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
    let text = crate::input::toml_of(text, origin, "claims")?;
    let f = parse_claims(&text, origin)?;
    let results = run_audit(&f, origin)?;
    Ok(Reply::ok(Audit { title: f.title, results }))
}
