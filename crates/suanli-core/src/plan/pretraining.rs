//! Pre-training: compute by 6·N·D and from the shape, the compare models, and the servers
//! each deadline takes (analyst peak, dense lower bound, the training planner's layout).

use super::{Basis, Builder, Ctx, Hw, day_key, e};
use crate::analyst;
use crate::error::Error;
use crate::hardware::PeakKind;
use crate::model::{ParamCount, training_flops};
use crate::scenario::{Method, Pretraining};
use crate::sigfig;
use crate::train::{
    self, Calibration, Candidates, Cluster, Constraints, DEFAULT_SEQ_LEN, Evaluation, Objective, Prepared,
    Stack, Workload,
};
use crate::units::FLOP_PER_PF_DAY;

/// What the pre-training section computed, for the sections after it.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PretrainingOut {
    /// 6·N·D PF/s-days of one run, computed whether or not analyst figures are reported
    /// (the inference and fine-tuning methods read it).
    pub(super) pf_days: Option<f64>,
    /// `pretraining.pf_days` as reported (`None` when the analyst method is left out).
    pub(super) reported_pf_days: Option<f64>,
    /// `pretraining.pf_days_from_shape` as reported.
    pub(super) reported_shape_pf_days: Option<f64>,
}

/// The pre-training section.
///
/// - `pretraining.pf_days` = 6 × N × D ÷ 8.64e19, N the parameters the analyst methods use
///   (`model.params`, else the active parameters: a mixture of experts trains at the cost of
///   the parameters a token passes through, not its total), D the tokens;
///   `pretraining.compare.<id>.pf_days` the same for each compare model (see [`compare`]).
/// - `pretraining.pf_days_from_shape` = 3 × (2 × matmul params + attention at the sequence
///   length) × D ÷ 8.64e19; the sequence length is `first_principles.seq_len`, else
///   min(the model's context, `DEFAULT_SEQ_LEN` = 4,096), which the formula then states.
/// - per deadline, see [`deadline`].
pub(super) fn section(cx: &Ctx<'_>, b: &mut Builder<'_>) -> Result<PretrainingOut, Error> {
    let Some(p) = &cx.s.pretraining else { return Ok(PretrainingOut::default()) };
    let (spec, params) = (cx.spec, cx.params);
    let pf = analyst::pretraining_pf_days_6nd(params, p.tokens);
    let moe = cx.s.model.params.is_none() && is_moe(&cx.pc);
    let mut caveat = "6·N·D leaves out attention FLOPs and any recomputation".to_string();
    if moe {
        caveat = format!("{caveat}; {}", moe_caveat(&cx.pc, p.tokens, Some("model.params_from_shape")));
    }
    let reported_pf_days = b.push(
        "pretraining.pf_days",
        format!("{} pre-training compute, 6·N·D", spec.name),
        pf,
        "PF/s-days",
        Basis::Analyst,
        "analyst::pretraining_pf_days_6nd",
        format!(
            "6 × {} {}params × {} tokens ÷ 8.64e19 FLOP per PF/s-day",
            e(params),
            if moe { "active " } else { "" },
            e(p.tokens)
        ),
        Some(caveat),
    );
    compare(cx, b, p)?;
    let shape_flop = training_flops(spec, p.tokens, cx.seq_len);
    let shape_pf = shape_flop / FLOP_PER_PF_DAY;
    let reported_shape_pf_days = b.push(
        "pretraining.pf_days_from_shape",
        "pre-training compute from the shape, attention included",
        shape_pf,
        "PF/s-days",
        Basis::FirstPrinciples,
        "model::training_flops",
        format!(
            "3 × (2 × {} matmul params + attention at {} tokens) × {} tokens ÷ 8.64e19{}",
            e(cx.pc.active_matmul(spec)),
            e(cx.seq_len),
            e(p.tokens),
            if cx.seq_len_default {
                format!(
                    "; sequence length min({} context, {}), the default (first_principles.seq_len sets it)",
                    e(f64::from(spec.max_context)),
                    e(f64::from(DEFAULT_SEQ_LEN))
                )
            } else {
                String::new()
            }
        ),
        None,
    );
    if let Some(hw) = &cx.hw {
        let planned = if cx.s.wants(Method::FirstPrinciples) && !p.days.is_empty() {
            Some(PlannedTraining::new(cx, hw, p)?)
        } else {
            None
        };
        for &d in &p.days {
            deadline(cx, b, hw, p, planned.as_ref(), (pf, shape_pf), d);
        }
    }
    Ok(PretrainingOut { pf_days: Some(pf), reported_pf_days, reported_shape_pf_days })
}

/// `pretraining.compare.<id>.pf_days` = 6 × N × D ÷ 8.64e19 for each compare model, N its
/// stated parameters, else its active parameters (all of them for a dense model).
fn compare(cx: &Ctx<'_>, b: &mut Builder<'_>, p: &Pretraining) -> Result<(), Error> {
    for m in &p.compare {
        let other = cx.catalog.model(&m.id)?;
        let pc = other.params();
        let n = m.params.unwrap_or_else(|| pc.six_nd());
        let moe = m.params.is_none() && is_moe(&pc);
        b.push(
            format!("pretraining.compare.{}.pf_days", other.id),
            format!("{} pre-training compute, 6·N·D", other.name),
            analyst::pretraining_pf_days_6nd(n, p.tokens),
            "PF/s-days",
            Basis::Analyst,
            "analyst::pretraining_pf_days_6nd",
            format!(
                "6 × {} {}params × {} tokens ÷ 8.64e19",
                e(n),
                if moe { "active " } else { "" },
                e(p.tokens)
            ),
            moe.then(|| moe_caveat(&pc, p.tokens, None)),
        );
    }
    Ok(())
}

/// Whether a model is a mixture of experts: a token passes through fewer parameters than it
/// has.
fn is_moe(pc: &ParamCount) -> bool {
    pc.six_nd() < pc.total
}

/// The caveat of a 6·N·D figure on a mixture of experts: N is its active parameters, beside
/// the total (and where the report shows it) and what 6·N·D on the total would give.
fn moe_caveat(pc: &ParamCount, tokens: f64, total_shown: Option<&str>) -> String {
    format!(
        "N counts the active parameters of a mixture-of-experts model, the ones a token passes through: {} of {} total{}; 6·N·D on the total would give {} PF/s-days",
        e(pc.six_nd()),
        e(pc.total),
        total_shown.map(|k| format!(" (total N shown in {k})")).unwrap_or_default(),
        e(analyst::pretraining_pf_days_6nd(pc.total, tokens))
    )
}

/// The servers to pre-train in `d` days.
///
/// - `pretraining.servers.<d>` = PF/s-days ÷ (d × analyst PF/s per server × utilisation),
///   unrounded.
/// - `pretraining.servers_dense_peak.<d>` = ⌈shape PF/s-days ÷ (d × dense PF/s per server)⌉.
/// - `pretraining.servers_planned.<d>` and `pretraining.gpu_hours_planned.<d>`: see
///   [`planned`].
fn deadline(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    hw: &Hw<'_>,
    p: &Pretraining,
    planned: Option<&PlannedTraining>,
    (pf, shape_pf): (f64, f64),
    d: f64,
) {
    let kind = cx.s.hardware.as_ref().map_or(PeakKind::Dense, |h| h.analyst_peak);
    let per_chip = hw.analyst_pflops * 1e3 / f64::from(hw.server.accelerator_count);
    let raw = analyst::servers_at_peak(pf, d, hw.analyst_pflops, hw.analyst_utilisation);
    let mut caveat = Vec::new();
    if kind == PeakKind::Sparse {
        caveat.push(format!(
            "counts the 2:4-sparsity peak ({} TFLOP/s per {}, twice the dense rate), which dense GEMMs cannot use",
            e(per_chip), hw.accelerator.id
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
        format!("⌈{} PF/s-days ÷ ({} days × {} PF/s dense)⌉", e(shape_pf), e(d), e(hw.dense_pflops)),
        None,
    );
    if let Some(search) = planned {
        self::planned(b, hw, p, search, d);
    }
}

/// The training planner's fewest-server layout stepping fast enough for `d` days.
///
/// - `pretraining.servers_planned.<d>` = ⌈GPUs of the layout ÷ GPUs per server⌉.
/// - `pretraining.gpu_hours_planned.<d>` = GPUs × days taken × 24, days taken = D ÷ tokens/s
///   ÷ 86,400.
fn planned(b: &mut Builder<'_>, hw: &Hw<'_>, p: &Pretraining, search: &PlannedTraining, d: f64) {
    let Some((ev, met)) = search.for_deadline(d) else { return };
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
    b.band_time_like(
        &format!("pretraining.servers_planned.{}", day_key(d)),
        "training",
        hw.accelerator.arch.as_deref(),
    );
    b.push(
        format!("pretraining.gpu_hours_planned.{}", day_key(d)),
        format!("{} hours of that plan", hw.accelerator.id),
        days_taken * 24.0 * ev.gpus as f64,
        "GPU-hours",
        Basis::FirstPrinciples,
        "train::search (fewest servers)",
        format!("{} GPUs × {} days × 24", ev.gpus, e(days_taken)),
        None,
    );
    b.band_time_like(
        &format!("pretraining.gpu_hours_planned.{}", day_key(d)),
        "training",
        hw.accelerator.arch.as_deref(),
    );
}

/// The training planner run for the scenario's pre-training deadlines.
pub(super) struct PlannedTraining {
    prepared: Prepared,
    candidates: Candidates,
    workload: Workload,
    stack: Stack,
    steps: f64,
    node_size: u32,
}

impl PlannedTraining {
    /// Prepares the search for the scenario's model, servers, precision and stack at the
    /// sequence length of `cx`.
    pub(super) fn new(cx: &Ctx<'_>, hw: &Hw<'_>, p: &Pretraining) -> Result<PlannedTraining, Error> {
        let (s, spec, seq_len) = (cx.s, cx.spec, cx.seq_len);
        let precision = s.hardware.as_ref().map_or(crate::precision::Precision::Bf16, |h| h.precision);
        let calib = Calibration::default();
        let stack = Stack::by_name(&s.first_principles.stack).ok_or_else(|| {
            Error::invalid(
                cx.origin,
                "first_principles.stack",
                &s.first_principles.stack,
                crate::train::Stack::accepted(),
            )
        })?;
        let cluster = Cluster::new(cx.catalog, &hw.accelerator.id, Some(&hw.server.id), precision, &calib)?;
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
    pub(super) fn for_deadline(&self, days: f64) -> Option<(Evaluation, bool)> {
        let max_step_s = days * 86_400.0 / self.steps;
        let obj = Objective::FewestServers { max_step_s, node_size: self.node_size };
        let best = train::search(&self.prepared, &self.candidates, obj).best?;
        Some((best, best.step_time_s <= max_step_s))
    }
}

#[cfg(test)]
mod tests {
    use crate::Catalog;
    use crate::plan::{PlanReport, plan};
    use crate::scenario::Scenario;
    use crate::units::FLOP_PER_PF_DAY;

    fn run(text: &str) -> PlanReport {
        let s = Scenario::from_toml(text, "t.toml").expect("valid");
        plan(&s, &Catalog::builtin().expect("catalog"), "t.toml").expect("plans")
    }

    fn value(r: &PlanReport, key: &str) -> f64 {
        r.figure(key).unwrap_or_else(|| panic!("no {key}")).value
    }

    #[test]
    fn six_nd_counts_active_parameters_of_a_mixture_of_experts() {
        let r = run(
            "name = \"x\"\nmethods = [\"analyst\"]\n[model]\nid = \"deepseek-v3\"\n[pretraining]\ntokens = 14.8e12\n\
             [[pretraining.compare]]\nid = \"mixtral-8x7b\"\n[[pretraining.compare]]\nid = \"llama2-7b\"\n",
        );
        let flop = value(&r, "pretraining.pf_days") * FLOP_PER_PF_DAY;
        assert!((flop / 3.3e24 - 1.0).abs() < 0.02, "{flop:e}");
        assert_eq!(r.model.params_used, r.model.active_params_from_shape);
        let f = r.figure("pretraining.pf_days").expect("figure");
        assert!(f.formula.contains("active params"), "{}", f.formula);
        assert!(f.caveat.as_deref().is_some_and(|c| c.contains("model.params_from_shape")));
        // Mixtral 8x7B: 12.9B active of 46.7B.
        let mixtral = value(&r, "pretraining.compare.mixtral-8x7b.pf_days") * FLOP_PER_PF_DAY;
        assert!((mixtral / (6.0 * 12.9e9 * 14.8e12) - 1.0).abs() < 0.02, "{mixtral:e}");
        // A dense model: every parameter, no MoE caveat.
        let dense = r.figure("pretraining.compare.llama2-7b.pf_days").expect("figure");
        let n = Catalog::builtin().expect("catalog").model("llama2-7b").expect("model").params().total;
        assert_eq!(dense.value, 6.0 * n * 14.8e12 / FLOP_PER_PF_DAY);
        assert!(dense.caveat.is_none() && !dense.formula.contains("active"));
    }

    #[test]
    fn stated_parameters_are_used_as_stated() {
        let r = run("name = \"x\"\nmethods = [\"analyst\"]\n[model]\nid = \"deepseek-v3\"\nparams = 671e9\n\
             [pretraining]\ntokens = 14.8e12\n");
        assert_eq!(value(&r, "pretraining.pf_days"), 6.0 * 671e9 * 14.8e12 / FLOP_PER_PF_DAY);
        assert!(!r.figure("pretraining.pf_days").expect("figure").formula.contains("active"));
    }

    #[test]
    fn sequence_length_defaults_to_the_context_capped_at_4096() {
        let catalog = Catalog::builtin().expect("catalog");
        let spec = catalog.model("deepseek-v3").expect("model");
        let base = "name = \"x\"\n[model]\nid = \"deepseek-v3\"\n[pretraining]\ntokens = 14.8e12\n";
        let r = run(base);
        let f = r.figure("pretraining.pf_days_from_shape").expect("figure");
        let want = crate::model::training_flops(spec, 14.8e12, 4096.0) / FLOP_PER_PF_DAY;
        assert_eq!(f.value, want);
        assert!(f.formula.contains("attention at 4,096 tokens"), "{}", f.formula);
        assert!(f.formula.contains("min(163,840 context, 4,096), the default"), "{}", f.formula);
        // A stated length is used as stated, and the formula does not call it a default.
        let r = run(&format!("{base}[first_principles]\nseq_len = 8192\n"));
        let f = r.figure("pretraining.pf_days_from_shape").expect("figure");
        assert_eq!(f.value, crate::model::training_flops(spec, 14.8e12, 8192.0) / FLOP_PER_PF_DAY);
        assert!(!f.formula.contains("default"), "{}", f.formula);
        // A context shorter than the default caps it.
        let r = run("name = \"x\"\n[model]\nid = \"gpt3-small\"\n[pretraining]\ntokens = 300e9\n");
        let f = r.figure("pretraining.pf_days_from_shape").expect("figure");
        assert!(f.formula.contains("attention at 2,048 tokens"), "{}", f.formula);
    }
}
