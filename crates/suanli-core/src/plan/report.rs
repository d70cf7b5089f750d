//! The report's types: figures grouped in sections, claim checks, the model and server as
//! used, and the sensitivity rows. Serialised as the JSON contract.

use serde::Serialize;

use crate::hardware::PeakKind;

/// How a figure was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// An input taken from the scenario or its source.
    Data,
    /// An analyst method (top-down).
    Analyst,
    /// First-principles arithmetic on the model's shape and dense peaks.
    FirstPrinciples,
    /// Depends on a stated assumption (utilisation, MFU).
    Assumption,
    /// Read from the catalog.
    Catalog,
}

impl Basis {
    /// Label for tables.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Basis::Data => "data",
            Basis::Analyst => "analyst",
            Basis::FirstPrinciples => "first principles",
            Basis::Assumption => "assumption",
            Basis::Catalog => "catalog",
        }
    }
}

/// One computed figure.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFigure {
    /// Stable key.
    pub key: String,
    /// What it is.
    pub label: String,
    /// The value, unrounded (fractions for percentages).
    pub value: f64,
    /// Unit of `value`.
    pub unit: String,
    /// The value formatted for people.
    pub display: String,
    /// How it was obtained.
    pub basis: Basis,
    /// The function that computed it.
    pub method: String,
    /// The formula with the inputs substituted.
    pub formula: String,
    /// Where the method errs or what the figure leaves out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
    /// References of the claims that state this figure.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refs: Vec<String>,
    /// Where a planner's figure likely lies (`uncertainty`: the p10–p90 of its family's
    /// validation residuals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty: Option<FigureBand>,
}

/// A figure's likely range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureBand {
    /// Low end, in the figure's unit.
    pub low: f64,
    /// High end.
    pub high: f64,
    /// Which percentiles of which validation rows.
    pub basis: String,
}

/// A group of figures.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Key prefix.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Figures in order.
    pub figures: Vec<ReportFigure>,
}

/// A stated claim against suanli's value.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimCheck {
    /// Reference (`S2`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// Figure key.
    pub figure: String,
    /// As stated.
    pub stated: String,
    /// suanli's unrounded value.
    pub computed: f64,
    /// suanli's value rounded to the stated significant figures, formatted like the claim.
    pub implied: String,
    /// Whether the computed value rounds to the stated figure.
    pub reproduced: bool,
    /// Context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Totals of the claim checks.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimSummary {
    /// Claims checked.
    pub total: usize,
    /// Claims whose figure suanli reproduces.
    pub reproduced: usize,
    /// References of claims that do not follow.
    pub flagged: Vec<String>,
}

/// The model as the report used it.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSummary {
    /// Catalog id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Parameters from the shape.
    pub params_from_shape: f64,
    /// Active parameters per token (MoE).
    pub active_params_from_shape: f64,
    /// Parameters the analyst methods use (stated, or from the shape: the active parameters
    /// of a mixture of experts, all of them for a dense model).
    pub params_used: f64,
}

/// The server as the report used it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerSummary {
    /// Catalog id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Accelerator id.
    pub accelerator: String,
    /// Accelerators per server.
    pub accelerators: u32,
    /// Precision of the peaks.
    pub precision: String,
    /// Peak kind the analyst method uses.
    pub analyst_peak: PeakKind,
    /// Server peak the analyst method uses, PF/s.
    pub analyst_pflops: f64,
    /// Utilisation the analyst method assumes.
    pub analyst_utilisation: f64,
    /// Dense server peak, PF/s.
    pub dense_pflops: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct PlanReport {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// CNY per USD used for conversions.
    pub cny_per_usd: f64,
    /// The model.
    pub model: ModelSummary,
    /// The server, if the scenario names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerSummary>,
    /// Figures by section.
    pub sections: Vec<Section>,
    /// Claims checked.
    pub claims: Vec<ClaimCheck>,
    /// Totals.
    pub claim_summary: ClaimSummary,
    /// How the monthly serving cost moves with each input, largest swing first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<Sensitivity>,
    /// The measured calibration the first-principles figures used, when the scenario gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
}

/// A one-at-a-time sensitivity analysis of a headline figure.
#[derive(Debug, Clone, Serialize)]
pub struct Sensitivity {
    /// What is measured.
    pub headline: String,
    /// Its unit.
    pub unit: String,
    /// Its value with every input as stated.
    pub base: f64,
    /// Relative change applied to each input.
    pub change: f64,
    /// One row per input.
    pub rows: Vec<SensitivityRow>,
}

/// The headline with one input lowered and raised.
#[derive(Debug, Clone, Serialize)]
pub struct SensitivityRow {
    /// Input (scenario key).
    pub input: String,
    /// Headline with the input lowered.
    pub low: f64,
    /// Headline with the input raised.
    pub high: f64,
}

impl PlanReport {
    /// Every figure, in order.
    pub fn figures(&self) -> impl Iterator<Item = &ReportFigure> {
        self.sections.iter().flat_map(|s| s.figures.iter())
    }

    /// A figure by key.
    #[must_use]
    pub fn figure(&self, key: &str) -> Option<&ReportFigure> {
        self.figures().find(|f| f.key == key)
    }
}
