//! Market: workload shares, year-on-year growth and compound annual growth of a series.

use super::{Basis, Builder, Ctx, e};
use crate::analyst;

/// The market section.
///
/// - `market.share.<year>.inference`: the input; `market.share.<year>.training` = 1 − it.
/// - `market.growth.<a>-<z>` = z ÷ a − 1 for consecutive points.
/// - `market.cagr.<a>-<z>` = (z ÷ a)^(1/years) − 1 for every pair more than a year apart.
pub(super) fn section(cx: &Ctx<'_>, b: &mut Builder<'_>) {
    let Some(m) = &cx.s.market else { return };
    for w in &m.workload_shares {
        b.push(
            format!("market.share.{}.inference", w.year),
            format!("{} AI-server workload: inference share", w.year),
            w.inference,
            "fraction",
            Basis::Data,
            "input",
            "scenario input",
            None,
        );
        b.push(
            format!("market.share.{}.training", w.year),
            format!("{} AI-server workload: training share", w.year),
            1.0 - w.inference,
            "fraction",
            Basis::Analyst,
            "complement",
            format!("1 − {}", w.inference),
            None,
        );
    }
    for pair in m.points.windows(2) {
        let (a, z) = (&pair[0], &pair[1]);
        b.push(
            format!("market.growth.{}-{}", a.year, z.year),
            format!("{} growth {}→{}", m.name, a.year, z.year),
            analyst::growth(a.value, z.value),
            "fraction",
            Basis::Analyst,
            "analyst::growth",
            format!("{} ÷ {} − 1", e(z.value), e(a.value)),
            None,
        );
    }
    for (i, a) in m.points.iter().enumerate() {
        for z in &m.points[i + 1..] {
            let years = f64::from(z.year) - f64::from(a.year);
            if years > 1.0 {
                b.push(
                    format!("market.cagr.{}-{}", a.year, z.year),
                    format!("{} compound annual growth {}→{}", m.name, a.year, z.year),
                    analyst::cagr(a.value, z.value, years),
                    "fraction",
                    Basis::Analyst,
                    "analyst::cagr",
                    format!("({} ÷ {})^(1/{years}) − 1", e(z.value), e(a.value)),
                    None,
                );
            }
        }
    }
}
