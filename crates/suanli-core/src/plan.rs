//! A scenario → a report of figures, each with its method, formula and caveats, and the
//! stated claims checked against them.
//!
//! Figure keys (`pretraining.pf_days`, `chip_cost.nf5688m6-a800.max`, …) are a stable
//! contract: claims refer to them and the JSON output carries them.

use serde::Serialize;

use crate::analyst;
use crate::catalog::Catalog;
use crate::error::Error;
use crate::hardware::{Accelerator, PeakKind, Server};
use crate::infer::{
    Engine, InferCalibration, InferConfig, Precisions, Replica, replica_capacity, replicas_for,
};
use crate::model::{ModelSpec, forward_flops_per_token, training_flops};
use crate::scenario::{Method, Scenario};
use crate::sigfig::{self, parse_stated};
use crate::suggest::nearest;
use crate::train::{
    self, Calibration, Candidates, Cluster, Constraints, Evaluation, Objective, Prepared, Stack, Workload,
};
use crate::units::{self, Currency, DAYS_PER_MONTH, FLOP_PER_PF_DAY, HOURS_PER_MONTH};

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
    /// Parameters the analyst methods use (stated, or from the shape).
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

struct Builder<'a> {
    scenario: &'a Scenario,
    figures: Vec<ReportFigure>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        key: impl Into<String>,
        label: impl Into<String>,
        value: f64,
        unit: &str,
        basis: Basis,
        method: &str,
        formula: impl Into<String>,
        caveat: Option<String>,
    ) {
        let wanted = match basis {
            Basis::Analyst => self.scenario.wants(Method::Analyst),
            Basis::FirstPrinciples | Basis::Assumption => self.scenario.wants(Method::FirstPrinciples),
            Basis::Data | Basis::Catalog => true,
        };
        if !wanted {
            return;
        }
        let display = display(value, unit, self.scenario.currency.rate());
        self.figures.push(ReportFigure {
            key: key.into(),
            label: label.into(),
            value,
            unit: unit.to_string(),
            display,
            basis,
            method: method.to_string(),
            formula: formula.into(),
            caveat,
            refs: Vec::new(),
        });
    }

    fn take(&mut self, id: &str, title: &str, out: &mut Vec<Section>) {
        let figures = std::mem::take(&mut self.figures);
        if !figures.is_empty() {
            out.push(Section { id: id.to_string(), title: title.to_string(), figures });
        }
    }
}

/// Formats a value with its unit; money gets its conversion.
fn display(value: f64, unit: &str, cny_per_usd: f64) -> String {
    match unit {
        "fraction" => sigfig::percent(value),
        "USD" => format!(
            "{} USD ({} CNY)",
            sigfig::human(value),
            sigfig::human(units::convert(value, Currency::Usd, Currency::Cny, cny_per_usd))
        ),
        "CNY" => format!(
            "{} CNY ({} USD)",
            sigfig::human(value),
            sigfig::human(units::convert(value, Currency::Cny, Currency::Usd, cny_per_usd))
        ),
        "" => sigfig::human(value),
        u => format!("{} {u}", sigfig::human(value)),
    }
}

/// A number inside a formula: grouped digits below a billion, `1.746e11` above.
fn e(v: f64) -> String {
    if v.abs() >= 1e9 { format!("{:e}", sigfig::round_sig(v, 4)) } else { sigfig::human(v) }
}

/// Converts a catalog price to CNY.
fn to_cny(m: &crate::sourced::Money, cny_per_usd: f64) -> f64 {
    units::convert(m.v, m.currency, Currency::Cny, cny_per_usd)
}

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

/// The first-principles month of post-training: RLHF iterations from the fine-tuning planner
/// and SFT tokens from the training planner, on the scenario's servers.
fn push_finetune_schedule(
    b: &mut Builder<'_>,
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    sc: &crate::scenario::FinetuneSchedule,
    analyst: f64,
    origin: &str,
) -> Result<(), Error> {
    use crate::finetune::{Placement, RlAlgorithm, RlhfSpec, plan_rlhf};
    let cluster = Cluster::new(
        catalog,
        &hw.accelerator.id,
        Some(&hw.server.id),
        crate::precision::Precision::Bf16,
        &Calibration::default(),
    )?;
    let algorithm = if sc.method == "grpo" { RlAlgorithm::Grpo } else { RlAlgorithm::Ppo };
    let job = RlhfSpec {
        algorithm,
        prompts: sc.prompts,
        prompt_len: sc.prompt_len,
        response_len: sc.response_len,
        group: sc.group,
        ppo_epochs: sc.ppo_epochs,
        gpus: sc.gpus,
        placement: Placement::Colocated,
    };
    let Some(rl) = plan_rlhf(spec, &cluster, &job) else {
        return Err(Error::invalid(
            origin,
            "finetune.schedule.gpus",
            sc.gpus,
            format!("enough {} GPUs to hold {} for generation and training", hw.accelerator.id, spec.id),
        ));
    };
    let seq = 2048u32.min(spec.max_context);
    let sft_flops = sc.sft_tokens_per_month * 3.0 * forward_flops_per_token(spec, f64::from(seq));
    let sft_hours = if sc.sft_tokens_per_month > 0.0 {
        let w = Workload { global_batch: 1024, seq_len: seq, precision: crate::precision::Precision::Bf16 };
        let p = Prepared::new(spec, &cluster, &w, &Calibration::default(), &Stack::MODERN);
        let cons = Constraints {
            gpus: Some(u64::from(sc.gpus)),
            max_gpus: u64::from(sc.gpus),
            ..Constraints::default()
        };
        let best =
            train::search(&p, &Candidates::new(spec, &w, &cons, cluster.node_size), Objective::Fastest).best;
        best.map_or(0.0, |e| sc.sft_tokens_per_month / e.tokens_per_s / 3600.0 * f64::from(sc.gpus))
    } else {
        0.0
    };
    let rl_hours = sc.iterations_per_month * rl.iteration_s / 3600.0 * f64::from(sc.gpus);
    let pf = (sc.iterations_per_month * rl.flops + sft_flops) / FLOP_PER_PF_DAY;
    let hours = rl_hours + sft_hours;
    let assumptions = format!(
        "assumptions: {} {} iterations a month of {} prompts × {} + {} tokens{}, {} epochs, colocated on {} {}; {} SFT tokens a month; an iteration takes {} s, bound by {}",
        e(sc.iterations_per_month),
        sc.method.to_uppercase(),
        sc.prompts,
        sc.prompt_len,
        sc.response_len,
        if algorithm == RlAlgorithm::Grpo { format!(" (groups of {})", sc.group) } else { String::new() },
        sc.ppo_epochs,
        sc.gpus,
        hw.accelerator.id,
        e(sc.sft_tokens_per_month),
        e(rl.iteration_s),
        rl.bound
    );
    b.push(
        "finetune.pf_days_per_month_planned",
        "monthly post-training compute from a stated schedule (RLHF + SFT)",
        pf,
        "PF/s-days",
        Basis::Assumption,
        "finetune::plan_rlhf + train::search",
        format!(
            "({} iterations × {:.3e} FLOP + {:.3e} SFT FLOP) ÷ 8.64e19",
            e(sc.iterations_per_month),
            rl.flops,
            sft_flops
        ),
        Some(format!("{assumptions}; the workload-share method gives {} PF/s-days", e(analyst))),
    );
    b.push(
        "finetune.servers_planned",
        format!("{} servers busy all month with that post-training", hw.server.id),
        (hours / (HOURS_PER_MONTH * f64::from(hw.server.accelerator_count.max(1)))).ceil(),
        "servers",
        Basis::Assumption,
        "finetune::plan_rlhf + train::search",
        format!(
            "⌈{} GPU-hours ÷ ({} h × {} GPUs)⌉",
            e(hours),
            e(HOURS_PER_MONTH),
            hw.server.accelerator_count
        ),
        None,
    );
    Ok(())
}

/// TCO inputs in USD: the scenario's costs, the catalog's server price (else its chip cost)
/// and cloud price.
fn tco_inputs(
    s: &Scenario,
    c: &crate::scenario::Costs,
    catalog: &Catalog,
    hw: &Hw<'_>,
    origin: &str,
) -> Result<crate::econ::TcoInputs, Error> {
    let rate = s.currency.rate();
    let usd = |m: &crate::sourced::Money| units::convert(m.v, m.currency, Currency::Usd, rate);
    let server_price = match (&c.server_price, &hw.server.price) {
        (Some(a), _) => a.usd(rate),
        (None, Some(m)) => usd(m),
        (None, None) => {
            let cpu = hw.server.cpu.unit_price.as_ref().map(usd);
            let acc = hw.server.accelerator_unit_price.as_ref().or(hw.accelerator.price.as_ref()).map(usd);
            match (cpu, acc) {
                (Some(cpu), Some(acc)) => {
                    f64::from(hw.server.cpu.count) * cpu + f64::from(hw.server.accelerator_count) * acc
                }
                _ => {
                    return Err(Error::invalid(
                        origin,
                        "costs.server_price",
                        "(missing)",
                        format!("a price for {}: the catalog has none", hw.server.id),
                    ));
                }
            }
        }
    };
    let _ = catalog;
    Ok(crate::econ::TcoInputs {
        server_price,
        years: c.years,
        accelerators: f64::from(hw.server.accelerator_count),
        tdp_w: hw.accelerator.tdp_w.as_ref().map_or(0.0, |f| f.v),
        utilisation: c.utilisation,
        server_overhead_w: c.server_overhead_w,
        pue: c.pue,
        electricity_per_kwh: c.electricity_per_kwh.usd(rate),
        hosting_per_kw_month: c.hosting_per_kw_month.usd(rate),
        network_share: c.network_share,
        cloud_per_gpu_hour: c.cloud_per_gpu_hour.as_ref().map(|a| a.usd(rate)).or(hw
            .accelerator
            .cloud_usd_per_hour
            .as_ref()
            .map(|f| f.v)),
        reserved_discount: c.reserved_discount,
    })
}

/// The monthly serving cost (planned fleet × owned server-month), as a function of the
/// scenario, for the sensitivity analysis.
fn serving_cost(
    s: &Scenario,
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    c: &crate::scenario::Costs,
    origin: &str,
) -> Result<Option<f64>, Error> {
    let Some(i) = &s.inference else { return Ok(None) };
    let (Some(input), Some(output)) = (i.input_tokens, i.output_tokens) else { return Ok(None) };
    let Some(f) = serving_fleet(spec, catalog, hw, s, input, output, i.monthly_interactions)? else {
        return Ok(None);
    };
    let t = crate::econ::tco(&tco_inputs(s, c, catalog, hw, origin)?);
    Ok(Some(f.servers as f64 * t.owned_per_month))
}

/// Moves each input by ± the scenario's sensitivity and recomputes the monthly serving cost.
fn serving_sensitivity(
    s: &Scenario,
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    c: &crate::scenario::Costs,
    origin: &str,
) -> Result<Option<Sensitivity>, Error> {
    let Some(base) = serving_cost(s, spec, catalog, hw, c, origin)? else { return Ok(None) };
    let x = c.sensitivity;
    type Edit = fn(&mut Scenario, f64);
    let edits: [(&str, Edit); 11] = [
        ("inference.monthly_interactions", |s, k| {
            if let Some(i) = &mut s.inference {
                i.monthly_interactions *= k
            }
        }),
        ("inference.input_tokens", |s, k| {
            if let Some(i) = &mut s.inference {
                i.input_tokens = i.input_tokens.map(|v| ((f64::from(v) * k).round() as u32).max(1))
            }
        }),
        ("inference.output_tokens", |s, k| {
            if let Some(i) = &mut s.inference {
                i.output_tokens = i.output_tokens.map(|v| ((f64::from(v) * k).round() as u32).max(1))
            }
        }),
        ("inference.peak_to_average", |s, k| {
            if let Some(i) = &mut s.inference {
                i.peak_to_average = (i.peak_to_average * k).max(1.0)
            }
        }),
        ("inference.tpot_p99_s", |s, k| {
            if let Some(i) = &mut s.inference {
                i.tpot_p99_s *= k
            }
        }),
        ("inference.ttft_p99_s", |s, k| {
            if let Some(i) = &mut s.inference {
                i.ttft_p99_s *= k
            }
        }),
        ("costs.server_price", |s, k| {
            if let Some(c) = &mut s.costs {
                if let Some(p) = &mut c.server_price {
                    p.amount *= k
                }
            }
        }),
        ("costs.electricity_per_kwh", |s, k| {
            if let Some(c) = &mut s.costs {
                c.electricity_per_kwh.amount *= k
            }
        }),
        ("costs.pue", |s, k| {
            if let Some(c) = &mut s.costs {
                c.pue = (c.pue * k).max(1.0)
            }
        }),
        ("costs.utilisation", |s, k| {
            if let Some(c) = &mut s.costs {
                c.utilisation = (c.utilisation * k).min(1.0)
            }
        }),
        ("costs.years", |s, k| {
            if let Some(c) = &mut s.costs {
                c.years *= k
            }
        }),
    ];
    let mut rows = Vec::new();
    for (name, edit) in edits {
        let at = |k: f64| -> Result<f64, Error> {
            let mut t = s.clone();
            edit(&mut t, k);
            let costs = t.costs.clone().unwrap_or_else(|| c.clone());
            Ok(serving_cost(&t, spec, catalog, hw, &costs, origin)?.unwrap_or(f64::NAN))
        };
        rows.push(SensitivityRow { input: name.to_string(), low: at(1.0 - x)?, high: at(1.0 + x)? });
    }
    let swing = |r: &SensitivityRow| (r.high - r.low).abs();
    rows.sort_by(|a, b| swing(b).total_cmp(&swing(a)).then(a.input.cmp(&b.input)));
    Ok(Some(Sensitivity {
        headline: "monthly serving cost, planned fleet".into(),
        unit: "USD".into(),
        base,
        change: x,
        rows,
    }))
}

/// The serving fleet the inference planner sizes for the scenario's traffic.
struct ServingFleet {
    tp: u32,
    precision: &'static str,
    replicas: u64,
    servers: u64,
    peak_rate: f64,
    replica_rate: f64,
    batch: u32,
    ttft_s: f64,
    tpot_s: f64,
}

/// Sizes replicas of `spec` on the scenario's server for its peak hour: every tensor-parallel
/// degree that divides the server, the one needing the fewest servers.
fn serving_fleet(
    spec: &ModelSpec,
    catalog: &Catalog,
    hw: &Hw<'_>,
    s: &Scenario,
    input: u32,
    output: u32,
    monthly: f64,
) -> Result<Option<ServingFleet>, Error> {
    let Some(i) = &s.inference else { return Ok(None) };
    let precision = s.hardware.as_ref().map_or(crate::precision::Precision::Bf16, |h| h.precision);
    let p = Precisions::uniform(precision);
    let cluster = Cluster::new(
        catalog,
        &hw.accelerator.id,
        Some(&hw.server.id),
        p.activations,
        &Calibration::default(),
    )?;
    let node = hw.server.accelerator_count.max(1);
    let peak_rate = monthly / (DAYS_PER_MONTH * 86_400.0) * i.peak_to_average;
    let mut best: Option<ServingFleet> = None;
    for tp in (1..=node).filter(|t| node % t == 0) {
        let cfg = InferConfig { tp, pp: 1, ep: 1, precision: p };
        if cfg.check(spec, input, output, "scenario").is_err() {
            continue;
        }
        let replica = Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default());
        let Some((rate, res)) = replica_capacity(&replica, input, output, i.ttft_p99_s, i.tpot_p99_s) else {
            continue;
        };
        let replicas = replicas_for(peak_rate, rate);
        let servers = (replicas * u64::from(tp)).div_ceil(u64::from(node));
        if best.as_ref().is_none_or(|b| servers < b.servers) {
            best = Some(ServingFleet {
                tp,
                precision: precision.name(),
                replicas,
                servers,
                peak_rate,
                replica_rate: rate,
                batch: res.batch,
                ttft_s: res.ttft_s,
                tpot_s: res.tpot_s,
            });
        }
    }
    Ok(best)
}

/// The training planner run for the scenario's pre-training deadlines.
struct PlannedTraining {
    prepared: Prepared,
    candidates: Candidates,
    workload: Workload,
    stack: Stack,
    steps: f64,
    node_size: u32,
}

impl PlannedTraining {
    fn new(
        s: &Scenario,
        spec: &ModelSpec,
        catalog: &Catalog,
        hw: &Hw<'_>,
        p: &crate::scenario::Pretraining,
        seq_len: f64,
        origin: &str,
    ) -> Result<PlannedTraining, Error> {
        let precision = s.hardware.as_ref().map_or(crate::precision::Precision::Bf16, |h| h.precision);
        let calib = Calibration::default();
        let stack = Stack::by_name(&s.first_principles.stack).ok_or_else(|| {
            Error::invalid(
                origin,
                "first_principles.stack",
                &s.first_principles.stack,
                "modern, fused-attention or legacy",
            )
        })?;
        let cluster = Cluster::new(catalog, &hw.accelerator.id, Some(&hw.server.id), precision, &calib)?;
        let seq = seq_len.round().clamp(1.0, f64::from(u32::MAX)) as u32;
        let workload = Workload { global_batch: p.global_batch, seq_len: seq, precision };
        let constraints = Constraints { max_gpus: u64::MAX, ..Constraints::default() };
        Ok(PlannedTraining {
            prepared: Prepared::new(spec, &cluster, &workload, &calib, &stack),
            candidates: Candidates::new(spec, &workload, &constraints, cluster.node_size),
            workload,
            stack,
            steps: p.tokens / (f64::from(p.global_batch) * seq_len),
            node_size: cluster.node_size,
        })
    }

    /// The fewest-server layout meeting `days`, and whether it does (else the fastest).
    fn for_deadline(&self, days: f64) -> Option<(Evaluation, bool)> {
        let max_step_s = days * 86_400.0 / self.steps;
        let obj = Objective::FewestServers { max_step_s, node_size: self.node_size };
        let best = train::search(&self.prepared, &self.candidates, obj).best?;
        Some((best, best.step_time_s <= max_step_s))
    }
}

fn day_key(d: f64) -> String {
    if d.fract() == 0.0 { format!("{d:.0}d") } else { format!("{d}d") }
}

/// Computes the report for a scenario.
///
/// `origin` names the scenario file in errors. The scenario's own `[catalog]` entries are
/// merged over `catalog` first.
///
/// # Errors
/// Unknown ids, a precision the chip does not publish, missing prices, claims naming unknown
/// figures.
#[allow(clippy::too_many_lines)]
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
    let spec: &ModelSpec = catalog.model(&s.model.id)?;
    let pc = spec.params();
    let params = s.model.params.unwrap_or(pc.total);
    let hw = resolve_hardware(s, catalog, origin)?;
    let fp = &s.first_principles;
    let seq_len = fp.seq_len.unwrap_or(f64::from(spec.max_context));
    let rate = s.currency.rate();
    let mut b = Builder { scenario: s, figures: Vec::new() };
    let mut sections = Vec::new();

    // Pre-training.
    let mut pretraining_pf_days = None;
    if let Some(p) = &s.pretraining {
        let pf = analyst::pretraining_pf_days_6nd(params, p.tokens);
        pretraining_pf_days = Some(pf);
        b.push(
            "pretraining.pf_days",
            format!("{} pre-training compute, 6·N·D", spec.name),
            pf,
            "PF/s-days",
            Basis::Analyst,
            "analyst::pretraining_pf_days_6nd",
            format!("6 × {} params × {} tokens ÷ 8.64e19 FLOP per PF/s-day", e(params), e(p.tokens)),
            Some("6·N·D leaves out attention FLOPs and any recomputation".into()),
        );
        for m in &p.compare {
            let other = catalog.model(&m.id)?;
            let n = m.params.unwrap_or_else(|| other.params().total);
            b.push(
                format!("pretraining.compare.{}.pf_days", other.id),
                format!("{} pre-training compute, 6·N·D", other.name),
                analyst::pretraining_pf_days_6nd(n, p.tokens),
                "PF/s-days",
                Basis::Analyst,
                "analyst::pretraining_pf_days_6nd",
                format!("6 × {} params × {} tokens ÷ 8.64e19", e(n), e(p.tokens)),
                None,
            );
        }
        let shape_flop = training_flops(spec, p.tokens, seq_len);
        let shape_pf = shape_flop / FLOP_PER_PF_DAY;
        b.push(
            "pretraining.pf_days_from_shape",
            "pre-training compute from the shape, attention included",
            shape_pf,
            "PF/s-days",
            Basis::FirstPrinciples,
            "model::training_flops",
            format!(
                "3 × (2 × {} matmul params + attention at {} tokens) × {} tokens ÷ 8.64e19",
                e(pc.active_matmul(spec)),
                e(seq_len),
                e(p.tokens)
            ),
            None,
        );
        if let Some(hw) = &hw {
            let acc = hw.accelerator;
            let kind = s.hardware.as_ref().map_or(PeakKind::Dense, |h| h.analyst_peak);
            let per_chip = hw.analyst_pflops * 1e3 / f64::from(hw.server.accelerator_count);
            let planned = if s.wants(Method::FirstPrinciples) && !p.days.is_empty() {
                Some(PlannedTraining::new(s, spec, catalog, hw, p, seq_len, origin)?)
            } else {
                None
            };
            for &d in &p.days {
                let raw = analyst::servers_at_peak(pf, d, hw.analyst_pflops, hw.analyst_utilisation);
                let mut caveat = Vec::new();
                if kind == PeakKind::Sparse {
                    caveat.push(format!(
                        "counts the 2:4-sparsity peak ({} TFLOP/s per {}, twice the dense rate), which dense GEMMs cannot use",
                        e(per_chip), acc.id
                    ));
                }
                if hw.analyst_utilisation >= 1.0 {
                    caveat.push("assumes 100 % utilisation; large runs reach 30–55 % of dense peak".into());
                }
                if raw.round() < raw {
                    caveat.push(format!(
                        "rounded to nearest, {} servers do only {} PF/s-days in {} days; {} are needed",
                        raw.round(),
                        e(raw.round() * d * hw.analyst_pflops * hw.analyst_utilisation),
                        e(d),
                        raw.ceil()
                    ));
                }
                b.push(
                    format!("pretraining.servers.{}", day_key(d)),
                    format!("{} servers to pre-train in {} days (analyst peak)", hw.server.id, e(d)),
                    raw,
                    "servers",
                    Basis::Analyst,
                    "analyst::servers_at_peak",
                    format!(
                        "{} PF/s-days ÷ ({} days × {} PF/s per server × {})",
                        e(pf),
                        e(d),
                        e(hw.analyst_pflops),
                        e(hw.analyst_utilisation)
                    ),
                    if caveat.is_empty() { None } else { Some(caveat.join("; ")) },
                );
                b.push(
                    format!("pretraining.servers_dense_peak.{}", day_key(d)),
                    format!("servers in {} days at dense peak, 100 % utilisation (a lower bound)", e(d)),
                    analyst::servers_at_peak(shape_pf, d, hw.dense_pflops, 1.0).ceil(),
                    "servers",
                    Basis::FirstPrinciples,
                    "analyst::servers_at_peak",
                    format!(
                        "⌈{} PF/s-days ÷ ({} days × {} PF/s dense)⌉",
                        e(shape_pf),
                        e(d),
                        e(hw.dense_pflops)
                    ),
                    None,
                );
                let Some(search) = &planned else { continue };
                let Some((ev, met)) = search.for_deadline(d) else {
                    continue;
                };
                let l = &ev.layout;
                let days_taken = p.tokens / ev.tokens_per_s / 86_400.0;
                let servers = ev.gpus.div_ceil(u64::from(hw.server.accelerator_count.max(1))) as f64;
                b.push(
                    format!("pretraining.servers_planned.{}", day_key(d)),
                    format!("fewest {} servers to pre-train in {} days, training planner", hw.server.id, e(d)),
                    servers,
                    "servers",
                    Basis::FirstPrinciples,
                    "train::search (fewest servers)",
                    format!(
                        "fewest servers over every layout (tp, pp, dp, vp, micro-batch, recompute, ZeRO) stepping in ≤ {} s: {} steps of {} × {} tokens",
                        e(d * 86_400.0 / search.steps),
                        e(search.steps),
                        search.workload.global_batch,
                        search.workload.seq_len
                    ),
                    Some(format!(
                        "layout tp {} × pp {} × dp {} (vp {}, micro-batch {}, recompute {}, ZeRO-{}), {} stack: {} MFU, {} days{}",
                        l.tp,
                        l.pp,
                        l.dp,
                        l.vp,
                        l.micro_batch,
                        l.recompute.name(),
                        l.zero,
                        search.stack.name,
                        sigfig::percent(ev.mfu),
                        e(days_taken),
                        if met {
                            String::new()
                        } else {
                            format!(
                                "; no layout meets {} days at a global batch of {} sequences",
                                e(d),
                                search.workload.global_batch
                            )
                        }
                    )),
                );
                b.push(
                    format!("pretraining.gpu_hours_planned.{}", day_key(d)),
                    format!("{} hours of that plan", acc.id),
                    days_taken * 24.0 * ev.gpus as f64,
                    "GPU-hours",
                    Basis::FirstPrinciples,
                    "train::search (fewest servers)",
                    format!("{} GPUs × {} days × 24", ev.gpus, e(days_taken)),
                    None,
                );
            }
        }
    }
    b.take("pretraining", "Pre-training compute and servers", &mut sections);

    // Inference.
    let mut inference_pf_days = None;
    let mut pf_days_per_interaction_analyst = None;
    let mut flop_per_interaction = None;
    if let Some(i) = &s.inference {
        b.push(
            "inference.monthly_interactions",
            "interactions a month",
            i.monthly_interactions,
            "",
            Basis::Data,
            "input",
            "scenario input",
            None,
        );
        if let Some(cost) = i.cost_per_interaction_usd {
            let bill = analyst::monthly_operating_cost(i.monthly_interactions, cost);
            b.push(
                "inference.monthly_cost_usd",
                "monthly compute bill",
                bill,
                "USD",
                Basis::Analyst,
                "analyst::monthly_operating_cost",
                format!("{} interactions × {} USD", e(i.monthly_interactions), cost),
                None,
            );
            if let Some(run_cost) = i.training_run_cost_usd {
                let run_pf =
                    i.training_run_pf_days.or(pretraining_pf_days).ok_or_else(|| Error::MissingKey {
                        origin: origin.to_string(),
                        key: "inference.training_run_pf_days (or a [pretraining] section)".into(),
                    })?;
                let pf = analyst::inference_pf_days_by_cost_equivalence(bill, run_cost, run_pf);
                inference_pf_days = Some(pf);
                pf_days_per_interaction_analyst = Some(pf / i.monthly_interactions);
                b.push(
                    "inference.pf_days_per_month",
                    "monthly inference compute by cost equivalence",
                    pf,
                    "PF/s-days",
                    Basis::Analyst,
                    "analyst::inference_pf_days_by_cost_equivalence",
                    format!("{} USD ÷ ({} USD ÷ {} PF/s-days)", e(bill), e(run_cost), e(run_pf)),
                    Some("assumes a PF/s-day costs the same in serving as in training; serving is memory-bound and runs at a fraction of training's utilisation".into()),
                );
            }
        }
        if let Some(tokens) = i.tokens_per_interaction {
            let ctx = i.mean_context.unwrap_or(tokens / 2.0);
            let flop = tokens * forward_flops_per_token(spec, ctx);
            flop_per_interaction = Some(flop);
            let pf = i.monthly_interactions * flop / FLOP_PER_PF_DAY;
            let ratio =
                inference_pf_days.map(|a| format!("; the cost-equivalence figure is {:.1}× this", a / pf));
            b.push(
                "inference.pf_days_per_month_bottom_up",
                "monthly inference compute from tokens served",
                pf,
                "PF/s-days",
                Basis::FirstPrinciples,
                "model::forward_flops_per_token",
                format!(
                    "{} interactions × {} tokens × {} FLOP/token (context {}) ÷ 8.64e19",
                    e(i.monthly_interactions),
                    e(tokens),
                    e(forward_flops_per_token(spec, ctx)),
                    e(ctx)
                ),
                Some(format!("tokens per interaction is an assumption{}", ratio.unwrap_or_default())),
            );
            if let Some(hw) = &hw {
                let fleet = match (i.input_tokens, i.output_tokens) {
                    (Some(input), Some(output)) if s.wants(Method::FirstPrinciples) => {
                        serving_fleet(spec, catalog, hw, s, input, output, i.monthly_interactions)?
                    }
                    _ => None,
                };
                match fleet {
                    Some(f) => {
                        b.push(
                            "inference.servers_planned",
                            format!("{} servers for the peak hour within p99 latency targets, inference planner", hw.server.id),
                            f.servers as f64,
                            "servers",
                            Basis::FirstPrinciples,
                            "infer::replica_capacity",
                            format!(
                                "⌈{} replicas × tp {} ÷ {}⌉; replicas = ⌈{} requests/s peak ÷ ({} per replica × 0.85)⌉",
                                f.replicas,
                                f.tp,
                                hw.server.accelerator_count,
                                e(f.peak_rate),
                                e(f.replica_rate)
                            ),
                            Some(format!(
                                "analytic steady state: tp {} {} replicas at batch {} (TPOT {} ms, TTFT {} ms), {} peak-to-average, targets p99 TTFT {} s and TPOT {} s; `suanli serve --simulate` confirms the tails",
                                f.tp,
                                f.precision,
                                f.batch,
                                e(f.tpot_s * 1e3),
                                e(f.ttft_s * 1e3),
                                i.peak_to_average,
                                i.ttft_p99_s,
                                i.tpot_p99_s
                            )),
                        );
                    }
                    None => {
                        let sustained = pf / DAYS_PER_MONTH;
                        b.push(
                            "inference.servers_at_utilisation",
                            format!("{} servers to serve the traffic at an assumed {} utilisation", hw.server.id, sigfig::percent(fp.serving_utilisation)),
                            (sustained / (hw.dense_pflops * fp.serving_utilisation)).ceil(),
                            "servers",
                            Basis::Assumption,
                            "analyst::servers_at_peak",
                            format!(
                                "⌈{} PF/s sustained ÷ ({} PF/s dense × {})⌉, average load, no peak-hour headroom",
                                e(sustained),
                                e(hw.dense_pflops),
                                fp.serving_utilisation
                            ),
                            Some("average load only; the fleet simulator will size for the peak hour and latency targets".into()),
                        );
                    }
                }
            }
        }
        if let (Some(pf), Some(hw)) = (inference_pf_days, &hw) {
            b.push(
                "inference.servers_analyst",
                format!(
                    "{} servers running the cost-equivalent compute all month at analyst peak",
                    hw.server.id
                ),
                analyst::servers_at_peak(pf, DAYS_PER_MONTH, hw.analyst_pflops, hw.analyst_utilisation),
                "servers",
                Basis::Analyst,
                "analyst::servers_at_peak",
                format!("{} PF/s-days ÷ ({} days × {} PF/s)", e(pf), e(DAYS_PER_MONTH), e(hw.analyst_pflops)),
                None,
            );
        }
    }
    b.take("inference", "Inference compute", &mut sections);

    // Fine-tuning and the monthly total.
    if let Some(f) = &s.finetune {
        let (Some(inf), Some(pre)) = (inference_pf_days, pretraining_pf_days) else {
            return Err(Error::MissingKey {
                origin: origin.to_string(),
                key:
                    "inference.training_run_cost_usd and [pretraining] (the workload-share method needs both)"
                        .into(),
            });
        };
        let runs = s.pretraining.as_ref().map_or(1.0, |p| p.runs_per_month);
        let pre_used = s.inference.as_ref().and_then(|i| i.training_run_pf_days).unwrap_or(pre);
        let ft = analyst::finetune_pf_days_by_workload_share(
            inf,
            f.training_share,
            f.inference_share,
            pre_used,
            runs,
        );
        b.push(
            "finetune.pf_days_per_month",
            "monthly fine-tuning compute by workload share (at least)",
            ft,
            "PF/s-days",
            Basis::Analyst,
            "analyst::finetune_pf_days_by_workload_share",
            format!("{} × {} ÷ {} − {} × {}", e(inf), f.training_share, f.inference_share, e(pre_used), runs),
            Some("borrows a national AI-server workload split for one operator's model".into()),
        );
        if let (Some(sc), Some(hw)) = (&f.schedule, &hw) {
            if s.wants(Method::FirstPrinciples) {
                push_finetune_schedule(&mut b, spec, catalog, hw, sc, ft, origin)?;
            }
        }
        let total = inf + ft + pre_used * runs;
        b.push(
            "compute.pf_days_per_month",
            "monthly compute: pre-training + fine-tuning + inference",
            total,
            "PF/s-days",
            Basis::Analyst,
            "sum",
            format!("{} + {} + {}", e(pre_used * runs), e(ft), e(inf)),
            None,
        );
        if let Some(hw) = &hw {
            b.push(
                "compute.servers_analyst",
                format!("{} servers for the monthly compute at analyst peak", hw.server.id),
                analyst::servers_at_peak(total, DAYS_PER_MONTH, hw.analyst_pflops, hw.analyst_utilisation),
                "servers",
                Basis::Analyst,
                "analyst::servers_at_peak",
                format!(
                    "{} PF/s-days ÷ ({} days × {} PF/s)",
                    e(total),
                    e(DAYS_PER_MONTH),
                    e(hw.analyst_pflops)
                ),
                None,
            );
        }
    }
    b.take("finetune", "Fine-tuning and monthly total", &mut sections);

    // Chip cost.
    if let Some(cc) = &s.chip_cost {
        for (idx, id) in cc.servers.iter().enumerate() {
            let server = catalog.server(id)?;
            let cpu_price = server.cpu.unit_price.as_ref().ok_or_else(|| {
                Error::invalid(
                    origin,
                    format!("chip_cost.servers[{idx}]"),
                    format!("\"{id}\""),
                    "a server with cpu.unit_price in the catalog (add one with --catalog)",
                )
            })?;
            let cpu = to_cny(cpu_price, rate);
            let (acc_n, acc_price) = if server.accelerator_count == 0 {
                (0.0, 0.0)
            } else {
                let chip = server.accelerator.as_deref().map(|a| catalog.accelerator(a)).transpose()?;
                let price = server
                    .accelerator_unit_price
                    .as_ref()
                    .or_else(|| chip.and_then(|c| c.price.as_ref()))
                    .ok_or_else(|| {
                        Error::invalid(
                            origin,
                            format!("chip_cost.servers[{idx}]"),
                            format!("\"{id}\""),
                            "a server whose accelerator has a price in the catalog",
                        )
                    })?;
                (f64::from(server.accelerator_count), to_cny(price, rate))
            };
            let counts: &[(&str, u32)] = if server.cpu.min_count == server.cpu.count {
                &[("max", server.cpu.count)]
            } else {
                &[("min", server.cpu.min_count), ("max", server.cpu.count)]
            };
            for &(suffix, cpus) in counts {
                let cpus = f64::from(cpus);
                b.push(
                    format!("chip_cost.{}.{suffix}", server.id),
                    format!("{} chip cost, {cpus} CPU{}", server.name, if cpus == 1.0 { "" } else { "s" }),
                    analyst::server_chip_cost(cpus, cpu, acc_n, acc_price),
                    "CNY",
                    Basis::Analyst,
                    "analyst::server_chip_cost",
                    format!("{cpus} × {} CNY + {acc_n} × {} CNY", e(cpu), e(acc_price)),
                    Some("chips only: memory, storage, chassis, NICs and margin are not counted".into()),
                );
            }
        }
    }
    b.take("chip_cost", "Server chip cost", &mut sections);

    // Server classes.
    if let Some(sc) = &s.server_classes {
        for id in &sc.servers {
            let server = catalog.server(id)?;
            b.push(
                format!("servers.{}.accelerators", server.id),
                format!(
                    "{} — {} — {}",
                    server.name,
                    server.role.label(),
                    server.accelerator.as_deref().unwrap_or("accelerator not catalogued")
                ),
                f64::from(server.accelerator_count),
                "accelerators",
                Basis::Catalog,
                "catalog",
                format!("catalog entry {} (source: {})", server.id, server.src),
                None,
            );
        }
    }
    b.take("servers", "Server classes", &mut sections);

    // Market.
    if let Some(m) = &s.market {
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
    b.take("market", "Market", &mut sections);

    // Unit economics.
    if let Some(u) = &s.unit_economics {
        let server_id = u.server.as_deref().or(s.hardware.as_ref().map(|h| h.server.as_str()));
        if !u.hardware_budgets_cny.is_empty() {
            let Some(server_id) = server_id else {
                return Err(Error::MissingKey {
                    origin: origin.to_string(),
                    key: "unit_economics.server (or [hardware])".into(),
                });
            };
            let server = catalog.server(server_id)?;
            let chip = server.accelerator.as_deref().map(|a| catalog.accelerator(a)).transpose()?;
            let cpu = server.cpu.unit_price.as_ref().map(|m| to_cny(m, rate));
            let acc = server
                .accelerator_unit_price
                .as_ref()
                .or_else(|| chip.and_then(|c| c.price.as_ref()))
                .map(|m| to_cny(m, rate));
            let unit_cost = match (server.price.as_ref(), cpu, acc) {
                (Some(p), _, _) => to_cny(p, rate),
                (None, Some(c), Some(a)) => analyst::server_chip_cost(
                    f64::from(server.cpu.count),
                    c,
                    f64::from(server.accelerator_count),
                    a,
                ),
                _ => {
                    return Err(Error::invalid(
                        origin,
                        "unit_economics.server",
                        format!("\"{server_id}\""),
                        "a server with a price, or CPU and accelerator prices, in the catalog",
                    ));
                }
            };
            let per_server = |kind: PeakKind, p: crate::precision::Precision| -> Option<f64> {
                chip.and_then(|c| c.peak_flops(p, kind))
                    .map(|f| f * f64::from(server.accelerator_count) / 1e15)
            };
            let precision = s.hardware.as_ref().map_or(crate::precision::Precision::Bf16, |h| h.precision);
            let analyst_kind = s.hardware.as_ref().map_or(PeakKind::Dense, |h| h.analyst_peak);
            for (i, budget) in u.hardware_budgets_cny.iter().enumerate() {
                let n = analyst::units_affordable(*budget, unit_cost);
                b.push(
                    format!("unit_economics.budget.{i}.servers"),
                    format!("{} servers a {} CNY budget buys", server.id, e(*budget)),
                    n,
                    "servers",
                    Basis::Analyst,
                    "analyst::units_affordable",
                    format!("⌊{} CNY ÷ {} CNY per server⌋", e(*budget), e(unit_cost)),
                    server.price.is_none().then(|| {
                        "priced at chip cost: a whole server costs more, so fewer are bought".to_string()
                    }),
                );
                if let (Some(per), Some(pfi)) =
                    (per_server(analyst_kind, precision), pf_days_per_interaction_analyst)
                {
                    let util = s.hardware.as_ref().map_or(1.0, |h| h.analyst_utilisation);
                    b.push(
                        format!("unit_economics.budget.{i}.interactions_per_day_analyst"),
                        "interactions a day those servers serve, at the cost-equivalent compute per interaction",
                        analyst::interactions_per_day(n * per * util, pfi),
                        "interactions/day",
                        Basis::Analyst,
                        "analyst::interactions_per_day",
                        format!("{n} servers × {} PF/s × {util} ÷ {:.3e} PF/s-days per interaction", e(per), pfi),
                        None,
                    );
                }
                if let (Some(per), Some(flop)) =
                    (per_server(PeakKind::Dense, precision), flop_per_interaction)
                {
                    b.push(
                        format!("unit_economics.budget.{i}.interactions_per_day"),
                        format!(
                            "interactions a day at dense peak × {} utilisation, {}",
                            sigfig::percent(fp.serving_utilisation),
                            spec.id
                        ),
                        analyst::interactions_per_day(
                            n * per * fp.serving_utilisation,
                            flop / FLOP_PER_PF_DAY,
                        ),
                        "interactions/day",
                        Basis::Assumption,
                        "analyst::interactions_per_day",
                        format!(
                            "{n} servers × {} PF/s × {} ÷ ({} FLOP per interaction ÷ 8.64e19)",
                            e(per),
                            fp.serving_utilisation,
                            e(flop)
                        ),
                        None,
                    );
                }
            }
        }
        if let Some(r) = u.rnd_cny_per_year {
            b.push(
                "unit_economics.rnd_cny_per_year",
                "R&D spend a year",
                r,
                "CNY",
                Basis::Data,
                "input",
                "scenario input",
                None,
            );
        }
        if let (Some(fund), Some(run)) = (u.fund_usd, u.training_run_cost_usd) {
            b.push(
                "unit_economics.training_runs_funded",
                format!("training runs a {} USD fund pays for", e(fund)),
                analyst::units_affordable(fund, run),
                "runs",
                Basis::Analyst,
                "analyst::units_affordable",
                format!("⌊{} USD ÷ {} USD per run⌋", e(fund), e(run)),
                Some("compute only: staff, data and failed runs are not counted".into()),
            );
        }
        if let Some(t) = &u.tutoring {
            let cost = t
                .cost_per_interaction_usd
                .or(s.inference.as_ref().and_then(|i| i.cost_per_interaction_usd))
                .ok_or_else(|| Error::MissingKey {
                    origin: origin.to_string(),
                    key: "unit_economics.tutoring.cost_per_interaction_usd".into(),
                })?;
            let ai = units::convert(
                analyst::tutoring_cost_per_hour(t.interactions_per_hour, cost),
                Currency::Usd,
                Currency::Cny,
                rate,
            );
            b.push(
                "unit_economics.tutoring.ai_cny_per_hour",
                "AI tutoring compute cost per lesson-hour",
                ai,
                "CNY",
                Basis::Analyst,
                "analyst::tutoring_cost_per_hour",
                format!("{} interactions × {cost} USD × {rate} CNY/USD", e(t.interactions_per_hour)),
                None,
            );
            b.push(
                "unit_economics.tutoring.teacher_cny_per_hour",
                "human teacher per hour",
                t.teacher_cny_per_hour,
                "CNY",
                Basis::Data,
                "input",
                "scenario input",
                None,
            );
            b.push(
                "unit_economics.tutoring.ai_share_of_teacher",
                "AI compute cost as a share of the teacher's",
                ai / t.teacher_cny_per_hour,
                "fraction",
                Basis::Analyst,
                "ratio",
                format!("{} ÷ {}", e(ai), e(t.teacher_cny_per_hour)),
                None,
            );
        }
    }
    b.take("unit_economics", "Start-up unit economics", &mut sections);

    // Costs: TCO of a server, the month by stage, unit costs, sensitivity.
    let mut sensitivity = None;
    if let (Some(costs), Some(hw)) = (&s.costs, &hw) {
        let tco_in = tco_inputs(s, costs, catalog, hw, origin)?;
        let t = crate::econ::tco(&tco_in);
        let money = |b: &mut Builder<'_>, key: &str, label: &str, v: f64, formula: String| {
            b.push(key, label, v, "USD", Basis::FirstPrinciples, "econ::tco", formula, None);
        };
        b.push(
            "tco.server_price_usd",
            format!("{} price", hw.server.id),
            tco_in.server_price,
            "USD",
            Basis::Data,
            "input",
            "scenario or catalog",
            None,
        );
        money(
            &mut b,
            "tco.capital_per_month_usd",
            "capital a month (server + network, amortised)",
            t.capital_per_month,
            format!(
                "{} × (1 + {}) ÷ (12 × {} years)",
                e(tco_in.server_price),
                tco_in.network_share,
                tco_in.years
            ),
        );
        b.push(
            "tco.facility_kw",
            "facility power per server",
            t.facility_kw,
            "kW",
            Basis::FirstPrinciples,
            "econ::tco",
            format!(
                "({} × {} W × {} + {} W) × PUE {}",
                tco_in.accelerators, tco_in.tdp_w, tco_in.utilisation, tco_in.server_overhead_w, tco_in.pue
            ),
            None,
        );
        money(
            &mut b,
            "tco.energy_per_month_usd",
            "electricity a month",
            t.energy_per_month,
            format!(
                "{} kW × {} h × {} USD/kWh",
                e(t.facility_kw),
                e(HOURS_PER_MONTH),
                e(tco_in.electricity_per_kwh)
            ),
        );
        money(
            &mut b,
            "tco.hosting_per_month_usd",
            "hosting a month",
            t.hosting_per_month,
            format!("{} kW × {} USD per kW-month", e(t.facility_kw), e(tco_in.hosting_per_kw_month)),
        );
        money(
            &mut b,
            "tco.owned_per_month_usd",
            "owned server, all in, a month",
            t.owned_per_month,
            "capital + electricity + hosting".into(),
        );
        money(
            &mut b,
            "tco.owned_per_gpu_hour_usd",
            "owned cost per accelerator-hour",
            t.owned_per_gpu_hour,
            format!("{} ÷ ({} × {} h)", e(t.owned_per_month), tco_in.accelerators, e(HOURS_PER_MONTH)),
        );
        if let (Some(od), Some(rs)) = (t.cloud_on_demand_per_month, t.cloud_reserved_per_month) {
            money(
                &mut b,
                "tco.cloud_on_demand_per_month_usd",
                "the same accelerators rented on demand, a month",
                od,
                format!(
                    "{} × {} USD/GPU-h × {} h",
                    tco_in.accelerators,
                    e(tco_in.cloud_per_gpu_hour.unwrap_or_default()),
                    e(HOURS_PER_MONTH)
                ),
            );
            money(
                &mut b,
                "tco.cloud_reserved_per_month_usd",
                "rented as reserved capacity, a month",
                rs,
                format!("{} × (1 − {})", e(od), tco_in.reserved_discount),
            );
            b.push(
                "tco.break_even_months",
                "months after which buying beats renting on demand",
                t.break_even_months.unwrap_or(f64::INFINITY),
                "months",
                Basis::FirstPrinciples,
                "econ::tco",
                format!(
                    "{} × (1 + {}) ÷ ({} − {})",
                    e(tco_in.server_price),
                    tco_in.network_share,
                    e(od),
                    e(t.energy_per_month + t.hosting_per_month)
                ),
                t.break_even_months
                    .is_none()
                    .then(|| "renting costs less than running an owned server: never".to_string()),
            );
        }
        b.take("tco", "Cost of a server", &mut sections);

        // The month by stage.
        let find = |key: &str| {
            sections.iter().flat_map(|x| x.figures.iter()).find(|f| f.key == key).map(|f| f.value)
        };
        let month_servers = |pf: f64, pflops: f64, util: f64| (pf / (DAYS_PER_MONTH * pflops * util)).ceil();
        let runs = s.pretraining.as_ref().map_or(0.0, |p| p.runs_per_month);
        let mut planned_pre = None;
        if let Some(p) = &s.pretraining {
            if s.wants(Method::FirstPrinciples) {
                let plan_t = PlannedTraining::new(s, spec, catalog, hw, p, seq_len, origin)?;
                let node = u64::from(hw.server.accelerator_count.max(1));
                planned_pre = plan_t
                    .for_deadline(DAYS_PER_MONTH)
                    .filter(|_| runs > 0.0)
                    .map(|(ev, _)| ev.gpus.div_ceil(node) as f64);
            }
        }
        struct Stage {
            key: &'static str,
            label: &'static str,
            pf_analyst: Option<f64>,
            pf_planned: Option<f64>,
            servers_planned: Option<f64>,
        }
        let stages = [
            Stage {
                key: "pretraining",
                label: "pre-training",
                pf_analyst: find("pretraining.pf_days").map(|x| x * runs),
                pf_planned: find("pretraining.pf_days_from_shape").map(|x| x * runs),
                servers_planned: planned_pre,
            },
            Stage {
                key: "finetune",
                label: "fine-tuning",
                pf_analyst: find("finetune.pf_days_per_month"),
                pf_planned: find("finetune.pf_days_per_month_planned"),
                servers_planned: find("finetune.servers_planned"),
            },
            Stage {
                key: "inference",
                label: "inference",
                pf_analyst: find("inference.pf_days_per_month"),
                pf_planned: find("inference.pf_days_per_month_bottom_up"),
                servers_planned: find("inference.servers_planned"),
            },
        ];
        let mut totals = [(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)];
        for st in stages {
            let (key, label) = (st.key, st.label);
            let analyst_servers =
                st.pf_analyst.map(|pf| month_servers(pf, hw.analyst_pflops, hw.analyst_utilisation));
            let analyst_formula = st
                .pf_analyst
                .map(|pf| {
                    format!("⌈{} ÷ ({} days × {} PF/s)⌉", e(pf), e(DAYS_PER_MONTH), e(hw.analyst_pflops))
                })
                .unwrap_or_default();
            let planned_formula = if key == "pretraining" {
                format!("fewest servers to finish a run within the month ({} days)", e(DAYS_PER_MONTH))
            } else {
                "from the sections above".to_string()
            };
            let methods = [
                (
                    0,
                    "analyst",
                    "analyst",
                    Basis::Analyst,
                    st.pf_analyst,
                    analyst_servers,
                    analyst_formula,
                    "analyst peak all month",
                ),
                (
                    1,
                    "first_principles",
                    "first principles",
                    Basis::FirstPrinciples,
                    st.pf_planned,
                    st.servers_planned,
                    planned_formula,
                    "planners",
                ),
            ];
            for (mi, m, name, basis, pf, servers, formula, how) in methods {
                if let Some(pf) = pf {
                    b.push(
                        format!("monthly.{key}.{m}.pf_days"),
                        format!("{label}: compute, {name}"),
                        pf,
                        "PF/s-days",
                        basis,
                        "from the sections above",
                        "from the sections above",
                        None,
                    );
                }
                if let Some(servers) = servers {
                    b.push(
                        format!("monthly.{key}.{m}.servers"),
                        format!("{label}: servers, {how}"),
                        servers,
                        "servers",
                        basis,
                        "planners or analyst::servers_at_peak",
                        formula,
                        None,
                    );
                    b.push(
                        format!("monthly.{key}.{m}.cost_usd"),
                        format!("{label}: cost a month, {name} servers"),
                        servers * t.owned_per_month,
                        "USD",
                        basis,
                        "econ::tco",
                        format!("{servers} × {}", e(t.owned_per_month)),
                        None,
                    );
                    totals[mi].0 += servers;
                    totals[mi].1 += servers * t.facility_kw;
                    totals[mi].2 += servers * t.owned_per_month;
                }
            }
        }
        for (i, (m, basis)) in [("analyst", Basis::Analyst), ("first_principles", Basis::FirstPrinciples)]
            .into_iter()
            .enumerate()
        {
            if totals[i].0 > 0.0 {
                b.push(
                    format!("monthly.total.{m}.servers"),
                    format!("all stages: servers ({})", m.replace('_', " ")),
                    totals[i].0,
                    "servers",
                    basis,
                    "sum",
                    "sum of the stages",
                    None,
                );
                b.push(
                    format!("monthly.total.{m}.power_kw"),
                    format!("all stages: facility power ({})", m.replace('_', " ")),
                    totals[i].1,
                    "kW",
                    basis,
                    "sum",
                    format!("servers × {} kW", e(t.facility_kw)),
                    None,
                );
                b.push(
                    format!("monthly.total.{m}.cost_usd"),
                    format!("all stages: cost a month ({})", m.replace('_', " ")),
                    totals[i].2,
                    "USD",
                    basis,
                    "sum",
                    "sum of the stages",
                    None,
                );
            }
        }
        // Unit costs from the planned serving fleet.
        if let (Some(inf), Some(servers)) = (&s.inference, find("inference.servers_planned")) {
            let monthly_cost = servers * t.owned_per_month;
            let per = monthly_cost / inf.monthly_interactions;
            b.push(
                "monthly.cost_per_interaction_usd",
                "serving cost per interaction, planned fleet",
                per,
                "USD",
                Basis::FirstPrinciples,
                "econ::tco",
                format!("{} USD ÷ {} interactions", e(monthly_cost), e(inf.monthly_interactions)),
                inf.cost_per_interaction_usd.map(|c| format!("the seed's figure is {c} USD")),
            );
            if let Some(o) = inf.output_tokens {
                b.push(
                    "monthly.cost_per_million_output_tokens_usd",
                    "serving cost per million output tokens",
                    per / f64::from(o) * 1e6,
                    "USD",
                    Basis::FirstPrinciples,
                    "econ::tco",
                    format!("{} USD ÷ {o} tokens × 10^6", e(per)),
                    None,
                );
            }
            if let Some(tut) = s.unit_economics.as_ref().and_then(|u| u.tutoring.as_ref()) {
                let ai = tut.interactions_per_hour * per * rate;
                b.push(
                    "monthly.tutoring_cny_per_hour",
                    "AI tutoring per lesson-hour at the planned serving cost",
                    ai,
                    "CNY",
                    Basis::FirstPrinciples,
                    "econ::tco",
                    format!("{} interactions × {} USD × {rate}", e(tut.interactions_per_hour), e(per)),
                    Some(format!("the teacher costs {} CNY", e(tut.teacher_cny_per_hour))),
                );
            }
            if let Some(u) = &s.unit_economics {
                let per_server_day = inf.monthly_interactions / DAYS_PER_MONTH / servers;
                for (i, budget) in u.hardware_budgets_cny.iter().enumerate() {
                    let n = (budget / rate / (tco_in.server_price * (1.0 + tco_in.network_share))).floor();
                    b.push(
                        format!("monthly.budget.{i}.interactions_per_day"),
                        format!(
                            "interactions a day a {} CNY budget's servers sustain (planned fleet)",
                            e(*budget)
                        ),
                        n * per_server_day,
                        "interactions/day",
                        Basis::FirstPrinciples,
                        "infer::replica_capacity",
                        format!(
                            "⌊{} CNY ÷ server with network⌋ = {n} servers × {} interactions per server-day",
                            e(*budget),
                            e(per_server_day)
                        ),
                        None,
                    );
                }
            }
            sensitivity = serving_sensitivity(s, spec, catalog, hw, costs, origin)?;
        }
        b.take("monthly", "The month by stage", &mut sections);
    }

    // Claims.
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
    let claim_summary = ClaimSummary {
        total: claims.len(),
        reproduced: claims.iter().filter(|c| c.reproduced).count(),
        flagged: claims.iter().filter(|c| !c.reproduced).map(|c| c.reference.clone()).collect(),
    };

    Ok(PlanReport {
        scenario: s.name.clone(),
        description: s.description.clone(),
        cny_per_usd: rate,
        model: ModelSummary {
            id: spec.id.clone(),
            name: spec.name.clone(),
            params_from_shape: pc.total,
            active_params_from_shape: pc.active,
            params_used: params,
        },
        server: hw.map(|hw| ServerSummary {
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
    })
}
