//! Auditing a set of stated figures: each claim is recomputed from the values it names and
//! flagged when the stated figure does not round to it.
//!
//! A claims file (TOML) holds `[[value]]`s (`id`, `value`, `unit`, optional `year`) and claims
//! of several kinds relating them: `growth` (`to ÷ from − 1`), `cagr` (`(to ÷ from)^(1/years) −
//! 1`, years from the values' `year`s), `share` (`part ÷ whole`), `sum` (Σ `parts`), `ratio`
//! (`a ÷ b`) and `product` (`a × b`). A claim's `stated` figure is written as printed
//! ("72.7%", "1350.4"); it holds when the implied value rounds to it.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::sigfig::{parse_stated, round_sig};

/// Units a value may carry.
pub const UNITS: [&str; 16] = [
    "EFLOPS",
    "PFLOPS",
    "TFLOPS",
    "PF/s-days",
    "FLOP",
    "USD",
    "CNY",
    "servers",
    "GPUs",
    "tokens",
    "requests",
    "parameters",
    "count",
    "fraction",
    "percent",
    "days",
];

/// A stated value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    /// Identifier the claims refer to.
    pub id: String,
    /// The value.
    pub value: f64,
    /// Its unit (one of [`UNITS`]).
    pub unit: String,
    /// Year, for growth rates.
    #[serde(default)]
    pub year: Option<i32>,
}

/// A stated claim relating values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Reference shown in the report.
    #[serde(rename = "ref")]
    pub reference: String,
    /// `growth`, `cagr`, `share`, `sum`, `ratio` or `product`.
    pub kind: String,
    /// From (growth, cagr) or part (share) or a (ratio, product).
    #[serde(default)]
    pub from: Option<String>,
    /// To (growth, cagr) or whole (share) or b (ratio, product).
    #[serde(default)]
    pub to: Option<String>,
    /// Parts (sum).
    #[serde(default)]
    pub parts: Vec<String>,
    /// The figure as printed.
    pub stated: String,
    /// Context.
    #[serde(default)]
    pub note: Option<String>,
}

/// A claims file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimsFile {
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// Values.
    #[serde(default)]
    pub value: Vec<Value>,
    /// Claims.
    #[serde(default)]
    pub claim: Vec<Claim>,
}

/// One claim audited.
#[derive(Debug, Clone, Serialize)]
pub struct AuditResult {
    /// Reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Kind.
    pub kind: String,
    /// The formula with values.
    pub formula: String,
    /// As stated.
    pub stated: String,
    /// What the values imply, unrounded (fractions for percentages).
    pub implied: f64,
    /// The implied value at the stated precision, formatted like the statement.
    pub implied_display: String,
    /// Whether the statement follows.
    pub holds: bool,
    /// Context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Parses and checks a claims file: known units, ids that exist, stated figures that parse.
///
/// # Errors
/// Syntax errors with line and column; unknown units, ids or kinds, naming the entry.
pub fn parse_claims(text: &str, origin: &str) -> Result<ClaimsFile, Error> {
    let f: ClaimsFile = toml::from_str(text).map_err(|e| Error::from_toml(origin, text, &e))?;
    for (i, v) in f.value.iter().enumerate() {
        if !UNITS.contains(&v.unit.as_str()) {
            return Err(Error::invalid(
                origin,
                format!("value[{i}].unit"),
                format!("\"{}\"", v.unit),
                format!("one of {}", UNITS.join(", ")),
            ));
        }
        if !v.value.is_finite() {
            return Err(Error::invalid(origin, format!("value[{i}].value"), v.value, "a finite number"));
        }
    }
    for (i, c) in f.claim.iter().enumerate() {
        parse_stated(&c.stated).map_err(|m| {
            Error::invalid(origin, format!("claim[{i}].stated"), format!("\"{}\"", c.stated), m)
        })?;
        let names: Vec<&String> = c.from.iter().chain(c.to.iter()).chain(c.parts.iter()).collect();
        for n in names {
            if !f.value.iter().any(|v| &v.id == n) {
                return Err(Error::invalid(
                    origin,
                    format!("claim[{i}]"),
                    format!("\"{n}\""),
                    "the id of a [[value]]",
                ));
            }
        }
        let needs = match c.kind.as_str() {
            "growth" | "cagr" | "share" | "ratio" | "product" => c.from.is_some() && c.to.is_some(),
            "sum" => !c.parts.is_empty() && c.to.is_some(),
            other => {
                return Err(Error::invalid(
                    origin,
                    format!("claim[{i}].kind"),
                    format!("\"{other}\""),
                    "growth, cagr, share, sum, ratio or product",
                ));
            }
        };
        if !needs {
            return Err(Error::invalid(
                origin,
                format!("claim[{i}]"),
                &c.kind,
                "`from` and `to` (sum: `parts` and `to`)",
            ));
        }
    }
    Ok(f)
}

/// Audits every claim.
///
/// # Errors
/// Values of different units where a claim needs one unit, or years missing for a CAGR.
pub fn audit(f: &ClaimsFile, origin: &str) -> Result<Vec<AuditResult>, Error> {
    let get = |id: &str| f.value.iter().find(|v| v.id == id);
    let mut out = Vec::new();
    for (i, c) in f.claim.iter().enumerate() {
        let a = c.from.as_deref().and_then(get);
        let b = c.to.as_deref().and_then(get);
        let same_unit = |x: &Value, y: &Value| -> Result<(), Error> {
            if x.unit == y.unit {
                Ok(())
            } else {
                Err(Error::invalid(
                    origin,
                    format!("claim[{i}]"),
                    format!("{} {} vs {} {}", x.id, x.unit, y.id, y.unit),
                    "values of one unit",
                ))
            }
        };
        let (implied, formula) = match (c.kind.as_str(), a, b) {
            ("growth", Some(x), Some(y)) => {
                same_unit(x, y)?;
                (y.value / x.value - 1.0, format!("{} ÷ {} − 1", y.value, x.value))
            }
            ("cagr", Some(x), Some(y)) => {
                same_unit(x, y)?;
                let (Some(y0), Some(y1)) = (x.year, y.year) else {
                    return Err(Error::invalid(
                        origin,
                        format!("claim[{i}]"),
                        &c.reference,
                        "values with a `year` for a CAGR",
                    ));
                };
                let years = f64::from(y1) - f64::from(y0);
                if years <= 0.0 {
                    return Err(Error::invalid(origin, format!("claim[{i}]"), years, "a later `to` year"));
                }
                (
                    (y.value / x.value).powf(1.0 / years) - 1.0,
                    format!("({} ÷ {})^(1/{years}) − 1", y.value, x.value),
                )
            }
            ("share", Some(x), Some(y)) => {
                same_unit(x, y)?;
                (x.value / y.value, format!("{} ÷ {}", x.value, y.value))
            }
            ("ratio", Some(x), Some(y)) => (x.value / y.value, format!("{} ÷ {}", x.value, y.value)),
            ("product", Some(x), Some(y)) => (x.value * y.value, format!("{} × {}", x.value, y.value)),
            ("sum", _, Some(total)) => {
                let parts: Vec<&Value> = c.parts.iter().filter_map(|p| get(p)).collect();
                for p in &parts {
                    same_unit(p, total)?;
                }
                let s: f64 = parts.iter().map(|p| p.value).sum();
                // A sum claim states the total: the parts imply it.
                (s, parts.iter().map(|p| p.value.to_string()).collect::<Vec<_>>().join(" + "))
            }
            _ => continue,
        };
        let stated = parse_stated(&c.stated)
            .map_err(|m| Error::invalid(origin, format!("claim[{i}].stated"), &c.stated, m))?;
        let rounded = round_sig(implied, stated.sig_figs);
        let implied_display = if c.stated.trim_end().ends_with('%') {
            let digits = crate::sigfig::percent_decimals(stated.sig_figs, rounded * 100.0);
            format!("{:.*}%", digits, rounded * 100.0)
        } else {
            crate::sigfig::human(rounded)
        };
        out.push(AuditResult {
            reference: c.reference.clone(),
            kind: c.kind.clone(),
            formula,
            stated: c.stated.clone(),
            implied,
            implied_display,
            holds: stated.reproduced_by(implied),
            note: c.note.clone(),
        });
    }
    Ok(out)
}
