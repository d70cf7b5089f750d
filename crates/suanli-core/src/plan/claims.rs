//! Claims: each stated figure checked against the report's value at the stated significant
//! figures.

use super::{ClaimCheck, ClaimSummary, Section};
use crate::error::Error;
use crate::scenario::Scenario;
use crate::sigfig::{self, parse_stated};
use crate::suggest::nearest;

/// Checks the scenario's claims against `sections`, adding each claim's reference to its
/// figure's `refs`.
///
/// A claim is reproduced when suanli's value rounds to the stated figure at the stated
/// significant figures; `implied` is that rounding, formatted like the claim (`72.7%`).
///
/// # Errors
/// A stated value that does not parse, a figure key the report lacks (with the nearest keys).
pub(super) fn check(
    s: &Scenario,
    sections: &mut [Section],
    origin: &str,
) -> Result<(Vec<ClaimCheck>, ClaimSummary), Error> {
    let mut claims = Vec::new();
    for (i, c) in s.claims.iter().enumerate() {
        let stated = parse_stated(&c.stated).map_err(|m| {
            Error::invalid(origin, format!("claims[{i}].stated"), format!("\"{}\"", c.stated), m)
        })?;
        let Some(fig) = sections.iter_mut().flat_map(|s| s.figures.iter_mut()).find(|f| f.key == c.figure)
        else {
            let keys: Vec<&str> =
                sections.iter().flat_map(|s| s.figures.iter()).map(|f| f.key.as_str()).collect();
            let near = nearest(&c.figure, keys.iter().copied());
            return Err(Error::invalid(
                origin,
                format!("claims[{i}].figure"),
                format!("\"{}\"", c.figure),
                if near.is_empty() {
                    "a figure key of this report (see `suanli plan --format json`)".to_string()
                } else {
                    format!("a figure key of this report, such as {}", near.join(", "))
                },
            ));
        };
        fig.refs.push(c.reference.clone());
        let rounded = sigfig::round_sig(fig.value, stated.sig_figs);
        let implied = if c.stated.trim_end().ends_with('%') {
            let decimals = sigfig::percent_decimals(stated.sig_figs, rounded * 100.0);
            format!("{:.*}%", decimals, rounded * 100.0)
        } else {
            sigfig::human(rounded)
        };
        claims.push(ClaimCheck {
            reference: c.reference.clone(),
            figure: c.figure.clone(),
            stated: c.stated.clone(),
            computed: fig.value,
            implied,
            reproduced: stated.reproduced_by(fig.value),
            note: c.note.clone(),
        });
    }
    let summary = ClaimSummary {
        total: claims.len(),
        reproduced: claims.iter().filter(|c| c.reproduced).count(),
        flagged: claims.iter().filter(|c| !c.reproduced).map(|c| c.reference.clone()).collect(),
    };
    Ok((claims, summary))
}
