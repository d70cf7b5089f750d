//! A scenario → a report of figures, each with its method, formula and caveats, and the
//! stated claims checked against them.
//!
//! Figure keys (`pretraining.pf_days`, `chip_cost.nf5688m6-a800.max`, …) are a stable
//! contract: claims refer to them and the JSON output carries them.
//!
//! One module per section of the report, in report order; each is a function from the
//! scenario's inputs (`Ctx`) and what earlier sections computed (a small typed struct each:
//! `pretraining::PretrainingOut`, `inference::InferenceOut`, `finetune::FinetuneOut`) to
//! its figures, pushed on a shared `Builder`:
//!
//! | module | section id | figures |
//! |---|---|---|
//! | `pretraining` | `pretraining` | 6·N·D, compute from the shape, servers per deadline |
//! | `inference` | `inference` | bill, cost equivalence, tokens served, serving fleet |
//! | `finetune` | `finetune` | workload share, the planned post-training month, the total |
//! | `chip_cost` | `chip_cost` | CPUs and accelerators of a server, in CNY |
//! | `server_classes` | `servers` | accelerators per catalogued server |
//! | `market` | `market` | workload shares, growth, CAGR |
//! | `unit_economics` | `unit_economics` | budgets, funds, tutoring |
//! | `costs` | `tco` | owned against rented server-month |
//! | `monthly` | `monthly` | the month by stage, totals, unit costs (`sensitivity`) |
//! | `claims` | — | stated claims against the figures |

mod builder;
mod chip_cost;
mod claims;
mod costs;
mod finetune;
mod inference;
mod market;
mod monthly;
mod pretraining;
mod report;
mod sensitivity;
mod server_classes;
mod unit_economics;

use builder::{Builder, day_key, e, to_cny};
pub use report::{
    Basis, ClaimCheck, ClaimSummary, ModelSummary, PlanReport, ReportFigure, Section, Sensitivity,
    SensitivityRow, ServerSummary,
};

use crate::catalog::Catalog;
use crate::error::Error;
use crate::hardware::{Accelerator, PeakKind, Server};
use crate::model::{ModelSpec, ParamCount};
use crate::scenario::Scenario;
use crate::train::DEFAULT_SEQ_LEN;

/// The scenario's inputs as every section reads them: the scenario, the merged catalog, the
/// model, the resolved hardware and the derived defaults.
struct Ctx<'a> {
    s: &'a Scenario,
    catalog: &'a Catalog,
    /// Names the scenario file in errors.
    origin: &'a str,
    spec: &'a ModelSpec,
    /// The model's parameters from its shape.
    pc: ParamCount,
    /// Parameters the analyst methods use: `model.params`, else the `N` of 6·N·D from the
    /// shape ([`ParamCount::six_nd`]: active parameters, all of them for a dense model).
    params: f64,
    /// The scenario's server, if it names one.
    hw: Option<Hw<'a>>,
    /// First-principles sequence length: `first_principles.seq_len`, else min(the model's
    /// context, [`DEFAULT_SEQ_LEN`]).
    seq_len: f64,
    /// Whether `seq_len` is the default (the figures using it say so in their formula).
    seq_len_default: bool,
    /// CNY per USD.
    rate: f64,
}

/// The scenario's server with the peaks the methods use.
struct Hw<'a> {
    server: &'a Server,
    accelerator: &'a Accelerator,
    analyst_pflops: f64,
    dense_pflops: f64,
    analyst_utilisation: f64,
}

fn resolve_hardware<'a>(s: &Scenario, c: &'a Catalog, origin: &str) -> Result<Option<Hw<'a>>, Error> {
    let Some(h) = &s.hardware else { return Ok(None) };
    let server = c.server(&h.server)?;
    let Some(acc_id) = &server.accelerator else {
        return Err(Error::invalid(
            origin,
            "hardware.server",
            format!("\"{}\"", h.server),
            "a server with a catalogued accelerator",
        ));
    };
    let accelerator = c.accelerator(acc_id)?;
    let available = |kind: PeakKind| {
        let t = match kind {
            PeakKind::Dense => &accelerator.dense_tflops,
            PeakKind::Sparse => &accelerator.sparse_tflops,
        };
        t.keys().map(|p| p.name()).collect::<Vec<_>>().join(", ")
    };
    let peak = |kind: PeakKind, key: &str| {
        accelerator.peak_flops(h.precision, kind).ok_or_else(|| {
            Error::invalid(
                origin,
                key,
                format!("{} at {}", kind.name(), h.precision),
                format!(
                    "a precision {} publishes a {} rate for: {}",
                    accelerator.id,
                    kind.name(),
                    if available(kind).is_empty() { "none".to_string() } else { available(kind) }
                ),
            )
        })
    };
    let dense = peak(PeakKind::Dense, "hardware.precision")?;
    let analyst = peak(h.analyst_peak, "hardware.analyst_peak")?;
    let n = f64::from(server.accelerator_count);
    Ok(Some(Hw {
        server,
        accelerator,
        analyst_pflops: n * analyst / 1e15,
        dense_pflops: n * dense / 1e15,
        analyst_utilisation: h.analyst_utilisation,
    }))
}

/// Computes the report for a scenario.
///
/// `origin` names the scenario file in errors. The scenario's own `[catalog]` entries are
/// merged over `catalog` first.
///
/// # Errors
/// Unknown ids, a precision the chip does not publish, missing prices, claims naming unknown
/// figures.
pub fn plan(s: &Scenario, catalog: &Catalog, origin: &str) -> Result<PlanReport, Error> {
    let merged;
    let catalog = match &s.catalog {
        Some(file) => {
            let mut c = catalog.clone();
            c.merge_file(file.clone());
            c.check(origin)?;
            merged = c;
            &merged
        }
        None => catalog,
    };
    let calibrated;
    let catalog = match &s.calibration {
        Some(crate::scenario::CalibrationRef { data: Some(text), .. }) => {
            let m = crate::calibration::Measured::parse(text, &format!("{origin}: calibration"))?;
            calibrated = catalog.with_measured(m)?;
            &calibrated
        }
        Some(crate::scenario::CalibrationRef { file: Some(f), data: None }) => {
            return Err(Error::invalid(
                origin,
                "calibration.file",
                f,
                "a file the command line reads; elsewhere send its text as `calibration.data`",
            ));
        }
        _ => catalog,
    };
    let spec: &ModelSpec = catalog.model(&s.model.id)?;
    let pc = spec.params();
    let cx = Ctx {
        s,
        catalog,
        origin,
        spec,
        pc,
        params: s.model.params.unwrap_or(pc.six_nd()),
        hw: resolve_hardware(s, catalog, origin)?,
        seq_len: s.first_principles.seq_len.unwrap_or(f64::from(spec.max_context.min(DEFAULT_SEQ_LEN))),
        seq_len_default: s.first_principles.seq_len.is_none(),
        rate: s.currency.rate(),
    };
    let mut b = Builder::new(s);
    let mut sections = Vec::new();

    let pre = pretraining::section(&cx, &mut b)?;
    b.take("pretraining", "Pre-training compute and servers", &mut sections);
    let inf = inference::section(&cx, &mut b, &pre)?;
    b.take("inference", "Inference compute", &mut sections);
    let ft = finetune::section(&cx, &mut b, &pre, &inf)?;
    b.take("finetune", "Fine-tuning and monthly total", &mut sections);
    chip_cost::section(&cx, &mut b)?;
    b.take("chip_cost", "Server chip cost", &mut sections);
    server_classes::section(&cx, &mut b)?;
    b.take("servers", "Server classes", &mut sections);
    market::section(&cx, &mut b);
    b.take("market", "Market", &mut sections);
    unit_economics::section(&cx, &mut b, &inf)?;
    b.take("unit_economics", "Start-up unit economics", &mut sections);
    let mut sensitivity = None;
    if let (Some(costs), Some(hw)) = (&s.costs, &cx.hw) {
        let (tco_in, t) = costs::section(&cx, &mut b, costs, hw)?;
        b.take("tco", "Cost of a server", &mut sections);
        let earlier = monthly::Earlier { pretraining: &pre, inference: &inf, finetune: &ft };
        sensitivity = monthly::section(&cx, &mut b, (costs, hw), (&tco_in, &t), earlier)?;
        b.take("monthly", "The month by stage", &mut sections);
    }
    let (claims, claim_summary) = claims::check(s, &mut sections, origin)?;
    Ok(report(&cx, sections, claims, claim_summary, sensitivity))
}

/// The report around its sections: the scenario, the model and the server as used.
fn report(
    cx: &Ctx<'_>,
    sections: Vec<Section>,
    claims: Vec<ClaimCheck>,
    claim_summary: ClaimSummary,
    sensitivity: Option<Sensitivity>,
) -> PlanReport {
    let s = cx.s;
    PlanReport {
        calibration: cx.catalog.measured.as_ref().map(|m| m.label()),
        scenario: s.name.clone(),
        description: s.description.clone(),
        cny_per_usd: cx.rate,
        model: ModelSummary {
            id: cx.spec.id.clone(),
            name: cx.spec.name.clone(),
            params_from_shape: cx.pc.total,
            active_params_from_shape: cx.pc.active,
            params_used: cx.params,
        },
        server: cx.hw.as_ref().map(|hw| ServerSummary {
            id: hw.server.id.clone(),
            name: hw.server.name.clone(),
            accelerator: hw.accelerator.id.clone(),
            accelerators: hw.server.accelerator_count,
            precision: s.hardware.as_ref().map_or("bf16", |h| h.precision.name()).to_string(),
            analyst_peak: s.hardware.as_ref().map_or(PeakKind::Dense, |h| h.analyst_peak),
            analyst_pflops: hw.analyst_pflops,
            analyst_utilisation: hw.analyst_utilisation,
            dense_pflops: hw.dense_pflops,
        }),
        sections,
        claims,
        claim_summary,
        sensitivity,
    }
}
