//! The plan as CSV, as charts, and as one self-contained HTML page (inline SVG, no scripts,
//! no network).

use std::fmt::Write as _;

use suanli_core::plan::PlanReport;
use suanli_core::sigfig::human;

use crate::svg::{Chart, Line};
use crate::{Format, Table};

fn fig(r: &PlanReport, key: &str) -> Option<f64> {
    r.figure(key).map(|f| f.value).filter(|v| v.is_finite())
}

/// Every chart the report supports that this scenario has data for: (file stem, chart).
#[must_use]
pub fn plan_charts(r: &PlanReport) -> Vec<(String, Chart)> {
    let mut out = Vec::new();
    if let (Some(pf), Some(s)) = (fig(r, "pretraining.pf_days"), &r.server) {
        let shape = fig(r, "pretraining.pf_days_from_shape").unwrap_or(pf);
        let days: Vec<f64> = (1..=30).map(f64::from).collect();
        let mut lines = vec![
            Line {
                name: format!("analyst: {} peak × {}", s.analyst_peak.name(), s.analyst_utilisation),
                points: days
                    .iter()
                    .map(|d| (*d, pf / (d * s.analyst_pflops * s.analyst_utilisation)))
                    .collect(),
                markers_only: false,
            },
            Line {
                name: "dense peak, 100 % (lower bound)".into(),
                points: days.iter().map(|d| (*d, shape / (d * s.dense_pflops))).collect(),
                markers_only: false,
            },
        ];
        let planned: Vec<(f64, f64)> = r
            .figures()
            .filter_map(|f| {
                let d = f
                    .key
                    .strip_prefix("pretraining.servers_planned.")?
                    .strip_suffix('d')?
                    .parse::<f64>()
                    .ok()?;
                Some((d, f.value))
            })
            .collect();
        if !planned.is_empty() {
            lines.push(Line {
                name: "training planner (fewest servers)".into(),
                points: planned,
                markers_only: true,
            });
        }
        out.push((
            "servers-vs-days".to_string(),
            Chart::Lines {
                title: format!("Servers to pre-train {} vs days", r.model.id),
                x_label: "deadline (days)".into(),
                y_label: format!("{} servers", s.id),
                lines,
            },
        ));
    }
    let stages = [("pretraining", "pre-training"), ("finetune", "fine-tuning"), ("inference", "inference")];
    for (what, unit, stem, title) in [
        ("pf_days", "PF/s-days a month", "compute-by-stage", "Monthly compute by stage"),
        ("cost_usd", "USD a month", "cost-by-stage", "Monthly cost by stage"),
    ] {
        let groups: Vec<(String, Vec<f64>)> =
            [("analyst", "analyst"), ("first_principles", "first principles")]
                .iter()
                .map(|(m, label)| {
                    (
                        label.to_string(),
                        stages
                            .iter()
                            .map(|(k, _)| fig(r, &format!("monthly.{k}.{m}.{what}")).unwrap_or(f64::NAN))
                            .collect(),
                    )
                })
                .filter(|(_, v): &(String, Vec<f64>)| v.iter().any(|x| x.is_finite()))
                .collect();
        if !groups.is_empty() {
            out.push((
                stem.to_string(),
                Chart::Bars {
                    title: title.into(),
                    y_label: unit.into(),
                    categories: stages.iter().map(|(_, l)| (*l).to_string()).collect(),
                    groups,
                },
            ));
        }
    }
    let parts = [
        ("capital", "tco.capital_per_month_usd"),
        ("electricity", "tco.energy_per_month_usd"),
        ("hosting", "tco.hosting_per_month_usd"),
        ("owned, total", "tco.owned_per_month_usd"),
        ("cloud on demand", "tco.cloud_on_demand_per_month_usd"),
        ("cloud reserved", "tco.cloud_reserved_per_month_usd"),
    ];
    let present: Vec<(&str, f64)> = parts.iter().filter_map(|(l, k)| fig(r, k).map(|v| (*l, v))).collect();
    if present.len() >= 3 {
        out.push((
            "cost-breakdown".to_string(),
            Chart::Bars {
                title: "One server a month: owning vs renting".into(),
                y_label: "USD a month".into(),
                categories: present.iter().map(|(l, _)| (*l).to_string()).collect(),
                groups: vec![("USD a month".into(), present.iter().map(|(_, v)| *v).collect())],
            },
        ));
    }
    if let Some(s) = &r.sensitivity {
        out.push((
            "sensitivity".to_string(),
            Chart::Tornado {
                title: format!("Sensitivity of the {} (inputs ±{:.0} %)", s.headline, s.change * 100.0),
                x_label: s.unit.clone(),
                base: s.base,
                rows: s
                    .rows
                    .iter()
                    .filter(|x| x.low.is_finite() && x.high.is_finite())
                    .map(|x| (x.input.clone(), x.low, x.high))
                    .collect(),
            },
        ));
    }
    out
}

/// Every figure as one tidy CSV table: a row per figure with its raw value and unit, the
/// seed claims that check it (`claim_refs`, `claim_stated`, `claim_reproduced`), then the
/// sensitivity rows as figures of section `sensitivity`.
#[must_use]
pub fn render_plan_csv(r: &PlanReport) -> String {
    let mut t = Table::new(&[
        "section",
        "key",
        "label",
        "value",
        "unit",
        "display",
        "basis",
        "method",
        "formula",
        "refs",
        "caveat",
        "claim_refs",
        "claim_stated",
        "claim_reproduced",
        "likely_low",
        "likely_high",
    ]);
    for s in &r.sections {
        for f in &s.figures {
            let claims: Vec<_> = r.claims.iter().filter(|c| c.figure == f.key).collect();
            let join = |g: &dyn Fn(&suanli_core::plan::ClaimCheck) -> String| {
                claims.iter().map(|c| g(c)).collect::<Vec<_>>().join(" ")
            };
            t.row([
                s.id.clone(),
                f.key.clone(),
                f.label.clone(),
                format!("{}", f.value),
                f.unit.clone(),
                f.display.clone(),
                f.basis.label().to_string(),
                f.method.clone(),
                f.formula.clone(),
                f.refs.join(" "),
                f.caveat.clone().unwrap_or_default(),
                join(&|c| c.reference.clone()),
                join(&|c| c.stated.clone()),
                join(&|c| c.reproduced.to_string()),
                f.uncertainty.as_ref().map_or_else(String::new, |b| format!("{}", b.low)),
                f.uncertainty.as_ref().map_or_else(String::new, |b| format!("{}", b.high)),
            ]);
        }
    }
    if let Some(sens) = &r.sensitivity {
        for row in &sens.rows {
            for (side, v) in [("lowered", row.low), ("raised", row.high)] {
                t.row([
                    "sensitivity".to_string(),
                    format!("sensitivity.{}.{side}", row.input),
                    format!("headline with {} {side} by {}", row.input, sens.change),
                    format!("{v}"),
                    String::new(),
                    String::new(),
                    "first principles".to_string(),
                    "plan::sensitivity".to_string(),
                    format!("base {}", sens.base),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
        }
    }
    t.to_csv()
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The start of a self-contained report page (no scripts, no external assets) up to its `<h1>`.
pub(crate) fn page_head(title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}table{{border-collapse:collapse;margin:1em 0;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}td.n{{text-align:right}}.flag{{color:#b00;font-weight:bold}}figure{{margin:1.5em 0}}.basis{{color:#666}}</style></head><body>\n<h1>{t}</h1>\n",
        t = esc(title)
    )
}

/// One HTML page: header, every chart as inline SVG, every section as a table.
#[must_use]
pub fn render_plan_html(r: &PlanReport) -> String {
    let mut h = page_head(&r.scenario);
    if let Some(d) = &r.description {
        let _ = writeln!(h, "<p>{}</p>", esc(d));
    }
    let _ = write!(
        h,
        "<ul><li>Model: {} ({}), {} parameters used by the analyst methods</li>",
        esc(&r.model.id),
        esc(&r.model.name),
        human(r.model.params_used)
    );
    if let Some(s) = &r.server {
        let _ = write!(
            h,
            "<li>Server: {} ({}), {} × {}: analyst peak {} PF/s ({} {}), dense {} PF/s</li>",
            esc(&s.id),
            esc(&s.name),
            s.accelerators,
            esc(&s.accelerator),
            human(s.analyst_pflops),
            s.analyst_peak.name(),
            esc(&s.precision),
            human(s.dense_pflops)
        );
    }
    let _ = writeln!(h, "<li>{} CNY per USD</li></ul>", r.cny_per_usd);
    if !r.claims.is_empty() {
        let _ = write!(
            h,
            "<h2>Claims checked</h2><p>{} of {} reproduced{}.</p><table><tr><th>ref</th><th>figure</th><th>stated</th><th>suanli</th><th>verdict</th></tr>",
            r.claim_summary.reproduced,
            r.claim_summary.total,
            if r.claim_summary.flagged.is_empty() {
                String::new()
            } else {
                format!("; flagged: {}", r.claim_summary.flagged.join(", "))
            }
        );
        for c in &r.claims {
            let verdict = if c.reproduced {
                "reproduced".to_string()
            } else {
                format!("<span class=\"flag\">does not follow: implies {}</span>", esc(&c.implied))
            };
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{verdict}</td></tr>",
                esc(&c.reference),
                esc(&c.figure),
                esc(&c.stated),
                esc(&c.implied)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Charts</h2>\n");
    for (stem, c) in plan_charts(r) {
        let _ = writeln!(h, "<figure id=\"{stem}\">{}</figure>", c.to_svg());
    }
    for s in &r.sections {
        let _ = write!(
            h,
            "<h2>{}</h2><table><tr><th>figure</th><th>value</th><th>basis</th><th>method</th><th>formula</th><th>note</th></tr>",
            esc(&s.title)
        );
        for f in &s.figures {
            let _ = write!(
                h,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"basis\">{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                esc(&f.label),
                esc(&crate::plan_view::with_band(f)),
                f.basis.label(),
                esc(&f.method),
                esc(&f.formula),
                esc(f.caveat.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("<p class=\"basis\">Generated by suanli. Basis: data = an input; analyst = a top-down formula; first principles = the planners; assumption = depends on a stated assumption.</p></body></html>\n");
    h
}

/// Used by the renderers' dispatcher.
pub(crate) fn render(r: &PlanReport, format: Format) -> Option<String> {
    match format {
        Format::Html => Some(render_plan_html(r)),
        Format::Csv => Some(render_plan_csv(r)),
        _ => None,
    }
}
