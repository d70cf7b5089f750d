//! Figures that carry their source.
//!
//! Every number in the catalog is a [`Figure`]: a value, the key of the source it comes from
//! (resolved in the catalog's `[sources]` table) and how sure we are of it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::units::Currency;

/// How a catalog figure is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// From the vendor's own datasheet or page, or a primary paper.
    Confirmed,
    /// From a reputable secondary source (a book, an MLPerf disclosure, trade press quoting the vendor).
    Secondary,
    /// A reported or assumed figure that could not be checked against a primary source.
    Estimate,
    /// Computed by arithmetic from other sourced figures.
    Derived,
}

impl Confidence {
    /// A short label for tables.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Secondary => "secondary",
            Confidence::Estimate => "estimate",
            Confidence::Derived => "derived",
        }
    }
}

/// A number with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// The value, in the unit named by the field that holds it.
    pub v: f64,
    /// Key into the catalog's `[sources]` table.
    pub src: String,
    /// How the figure is known.
    pub conf: Confidence,
    /// A remark (what the figure covers, a caveat).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A price with its currency and source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The amount.
    pub v: f64,
    /// The currency of `v`.
    pub currency: Currency,
    /// Key into the catalog's `[sources]` table.
    pub src: String,
    /// How the price is known.
    pub conf: Confidence,
    /// A remark (list or street price, date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
