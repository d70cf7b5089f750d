//! Self-contained SVG charts: lines, grouped bars and tornadoes, with labelled axes.

use std::fmt::Write as _;

use suanli_core::sigfig::human;

const W: f64 = 760.0;
const H: f64 = 420.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 70.0;
const PALETTE: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];

/// A series of points.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend name.
    pub name: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
    /// Draw markers only.
    pub markers_only: bool,
}

/// A chart.
#[derive(Debug, Clone)]
pub enum Chart {
    /// Lines over a numeric x axis.
    Lines {
        /// Title.
        title: String,
        /// x-axis label with unit.
        x_label: String,
        /// y-axis label with unit.
        y_label: String,
        /// Series.
        lines: Vec<Line>,
    },
    /// Grouped bars.
    Bars {
        /// Title.
        title: String,
        /// y-axis label with unit.
        y_label: String,
        /// Category labels.
        categories: Vec<String>,
        /// (series name, one value per category).
        groups: Vec<(String, Vec<f64>)>,
    },
    /// A tornado: each input's low and high outcome around a base.
    Tornado {
        /// Title.
        title: String,
        /// x-axis label with unit.
        x_label: String,
        /// The base value.
        base: f64,
        /// (input, outcome when lowered, outcome when raised), largest swing first.
        rows: Vec<(String, f64, f64)>,
    },
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Round tick positions covering `[lo, hi]`.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-12);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| span / s <= 6.0).unwrap_or(10.0 * mag);
    let start = (lo / step).floor() * step;
    // Ticks from below `lo` up to the first at or above `hi`, so the axis covers every point.
    let mut out: Vec<f64> = Vec::new();
    for i in 0..=14 {
        let t = start + f64::from(i) * step;
        if t >= lo - 1e-9 * span {
            out.push(t);
        }
        if t >= hi - 1e-9 * span {
            break;
        }
    }
    out
}

fn header(out: &mut String, title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" font-family="sans-serif" font-size="12"><title>{t}</title><rect width="{W}" height="{H}" fill="white"/><text x="{x}" y="28" text-anchor="middle" font-size="16" font-weight="bold">{t}</text>"#,
        t = esc(title),
        x = W / 2.0
    );
}

fn axes(out: &mut String, x_label: &str, y_label: &str, y_ticks: &[f64], y: &dyn Fn(f64) -> f64) {
    let (x0, x1, y0, y1) = (LEFT, W - RIGHT, TOP, H - BOTTOM);
    for t in y_ticks {
        let py = y(*t);
        let _ = write!(
            out,
            r##"<line x1="{x0}" y1="{py:.1}" x2="{x1}" y2="{py:.1}" stroke="#e5e5e5"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{l}</text>"##,
            tx = x0 - 6.0,
            ty = py + 4.0,
            l = esc(&human(*t))
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="black"/><line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="black"/><text x="{cx}" y="{lx}" text-anchor="middle">{xl}</text><text transform="translate(18,{cy}) rotate(-90)" text-anchor="middle">{yl}</text>"#,
        cx = (x0 + x1) / 2.0,
        lx = H - 22.0,
        xl = esc(x_label),
        cy = (y0 + y1) / 2.0,
        yl = esc(y_label)
    );
}

fn legend(out: &mut String, names: &[String]) {
    for (i, n) in names.iter().enumerate() {
        let x = LEFT + 10.0 + (i as f64) * 220.0;
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{y}" width="12" height="12" fill="{c}"/><text x="{tx}" y="{ty}">{n}</text>"#,
            y = TOP - 14.0,
            c = PALETTE[i % PALETTE.len()],
            tx = x + 16.0,
            ty = TOP - 4.0,
            n = esc(n)
        );
    }
}

impl Chart {
    /// The chart's title.
    #[must_use]
    pub fn title(&self) -> &str {
        match self {
            Chart::Lines { title, .. } | Chart::Bars { title, .. } | Chart::Tornado { title, .. } => title,
        }
    }

    /// Renders the chart as one `<svg>` element.
    #[must_use]
    pub fn to_svg(&self) -> String {
        let mut out = String::new();
        header(&mut out, self.title());
        let (x0, x1, y0, y1) = (LEFT, W - RIGHT, TOP, H - BOTTOM);
        match self {
            Chart::Lines { x_label, y_label, lines, .. } => {
                let pts =
                    lines.iter().flat_map(|l| l.points.iter()).filter(|p| p.0.is_finite() && p.1.is_finite());
                let (mut xmin, mut xmax, mut ymax) = (f64::MAX, f64::MIN, 0.0f64);
                for &(x, y) in pts {
                    xmin = xmin.min(x);
                    xmax = xmax.max(x);
                    ymax = ymax.max(y);
                }
                if xmin > xmax {
                    (xmin, xmax) = (0.0, 1.0);
                }
                let yt = ticks(0.0, ymax.max(1e-12) * 1.05);
                let ytop = yt.last().copied().unwrap_or(1.0).max(1e-12);
                let sx = |x: f64| x0 + (x - xmin) / (xmax - xmin).max(1e-12) * (x1 - x0);
                let sy = |y: f64| y1 - y / ytop * (y1 - y0);
                axes(&mut out, x_label, y_label, &yt, &sy);
                for t in ticks(xmin, xmax) {
                    let _ = write!(
                        out,
                        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                        sx(t),
                        y1 + 16.0,
                        esc(&human(t))
                    );
                }
                for (i, l) in lines.iter().enumerate() {
                    let c = PALETTE[i % PALETTE.len()];
                    let finite: Vec<(f64, f64)> =
                        l.points.iter().copied().filter(|p| p.0.is_finite() && p.1.is_finite()).collect();
                    if l.markers_only {
                        for (x, y) in finite {
                            let _ = write!(
                                out,
                                r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{c}"><title>{}: {}</title></circle>"#,
                                sx(x),
                                sy(y),
                                esc(&human(x)),
                                esc(&human(y))
                            );
                        }
                    } else {
                        let d: Vec<String> =
                            finite.iter().map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y))).collect();
                        let _ = write!(
                            out,
                            r#"<polyline fill="none" stroke="{c}" stroke-width="2" points="{}"/>"#,
                            d.join(" ")
                        );
                    }
                }
                legend(&mut out, &lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>());
            }
            Chart::Bars { y_label, categories, groups, .. } => {
                let ymax = groups
                    .iter()
                    .flat_map(|g| g.1.iter())
                    .copied()
                    .filter(|v| v.is_finite())
                    .fold(0.0f64, f64::max);
                let yt = ticks(0.0, ymax.max(1e-12) * 1.05);
                let ytop = yt.last().copied().unwrap_or(1.0).max(1e-12);
                let sy = |y: f64| y1 - y / ytop * (y1 - y0);
                axes(&mut out, "", y_label, &yt, &sy);
                let slot = (x1 - x0) / categories.len().max(1) as f64;
                let bw = slot * 0.8 / groups.len().max(1) as f64;
                for (ci, cat) in categories.iter().enumerate() {
                    let cx = x0 + slot * ci as f64;
                    let _ = write!(
                        out,
                        r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                        cx + slot / 2.0,
                        y1 + 16.0,
                        esc(cat)
                    );
                    for (gi, (name, vals)) in groups.iter().enumerate() {
                        let v = vals.get(ci).copied().unwrap_or(0.0);
                        if !v.is_finite() {
                            continue;
                        }
                        let x = cx + slot * 0.1 + bw * gi as f64;
                        let _ = write!(
                            out,
                            r#"<rect x="{x:.1}" y="{:.1}" width="{bw:.1}" height="{:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                            sy(v),
                            (y1 - sy(v)).max(0.0),
                            PALETTE[gi % PALETTE.len()],
                            esc(name),
                            esc(cat),
                            esc(&human(v))
                        );
                    }
                }
                legend(&mut out, &groups.iter().map(|g| g.0.clone()).collect::<Vec<_>>());
            }
            Chart::Tornado { x_label, base, rows, .. } => {
                let (lo, hi) =
                    rows.iter().fold((*base, *base), |(a, b), r| (a.min(r.1).min(r.2), b.max(r.1).max(r.2)));
                let pad = (hi - lo).max(base.abs() * 0.01).max(1e-12) * 0.05;
                let xt = ticks(lo - pad, hi + pad);
                let (xa, xb) = (xt.first().copied().unwrap_or(lo), xt.last().copied().unwrap_or(hi));
                let left = LEFT + 120.0;
                let sx = |x: f64| left + (x - xa) / (xb - xa).max(1e-12) * (x1 - left);
                let band = (y1 - y0) / rows.len().max(1) as f64;
                for t in &xt {
                    let _ = write!(
                        out,
                        r##"<line x1="{p:.1}" y1="{y0}" x2="{p:.1}" y2="{y1}" stroke="#e5e5e5"/><text x="{p:.1}" y="{}" text-anchor="middle">{}</text>"##,
                        y1 + 16.0,
                        esc(&human(*t)),
                        p = sx(*t)
                    );
                }
                for (i, (name, l, h)) in rows.iter().enumerate() {
                    let y = y0 + band * i as f64 + band * 0.15;
                    let bh = band * 0.7;
                    for (v, c, which) in [(l, PALETTE[0], "lowered"), (h, PALETTE[1], "raised")] {
                        let (a, b) = if *v < *base { (sx(*v), sx(*base)) } else { (sx(*base), sx(*v)) };
                        let _ = write!(
                            out,
                            r#"<rect x="{a:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{c}"><title>{} {which}: {}</title></rect>"#,
                            (b - a).max(0.5),
                            esc(name),
                            esc(&human(*v))
                        );
                    }
                    let _ = write!(
                        out,
                        r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                        left - 6.0,
                        y + bh / 2.0 + 4.0,
                        esc(name)
                    );
                }
                let _ = write!(
                    out,
                    r#"<line x1="{p:.1}" y1="{y0}" x2="{p:.1}" y2="{y1}" stroke="black"/><text x="{cx}" y="{lx}" text-anchor="middle">{xl}</text>"#,
                    p = sx(*base),
                    cx = (left + x1) / 2.0,
                    lx = H - 22.0,
                    xl = esc(x_label)
                );
                legend(&mut out, &["input lowered".to_string(), "input raised".to_string()]);
            }
        }
        out.push_str("</svg>");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover() {
        assert_eq!(ticks(0.0, 100.0), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(ticks(0.0, 1613.0).last(), Some(&2000.0));
        let t = ticks(0.0, 7.3);
        assert!(t.first() == Some(&0.0) && t.len() >= 4);
    }

    #[test]
    fn charts_render_well_formed_svg() {
        let c = Chart::Bars {
            title: "A & B".into(),
            y_label: "PF/s-days".into(),
            categories: vec!["x".into(), "y".into()],
            groups: vec![("one".into(), vec![1.0, 2.0])],
        };
        let s = c.to_svg();
        assert!(
            s.starts_with("<svg")
                && s.ends_with("</svg>")
                && s.contains("A &amp; B")
                && s.contains("PF/s-days")
        );
    }
}
