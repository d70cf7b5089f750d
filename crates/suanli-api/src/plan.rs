//! `plan`: a scenario (TOML or JSON text) and its report.

use suanli_core::Catalog;
use suanli_core::plan::PlanReport;
use suanli_core::scenario::Scenario;

use crate::error::{ApiError, ApiResult, Reply};

/// A scenario from TOML, or from JSON (an object: the same keys as the TOML).
pub fn scenario(text: &str, origin: &str) -> Result<Scenario, ApiError> {
    let text = crate::input::toml_of(text, origin, "scenario")?;
    Scenario::from_toml(&text, origin).map_err(|e| ApiError::from(e).at("scenario"))
}

/// The plan's report. Model references that name files must have been resolved by the
/// caller (the library reads no files): over the API they are catalog ids.
pub fn plan(catalog: &Catalog, s: &Scenario, origin: &str) -> ApiResult<PlanReport> {
    let r = suanli_core::plan::plan(s, catalog, origin).map_err(|e| ApiError::from(e).at("scenario"))?;
    Ok(Reply::ok(r))
}
