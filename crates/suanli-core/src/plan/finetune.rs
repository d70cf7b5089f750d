//! Fine-tuning and the monthly total: fine-tuning compute by workload share, the planned
//! month of post-training (RLHF + SFT) from a stated schedule, and the month's compute.

use super::inference::InferenceOut;
use super::pretraining::PretrainingOut;
use super::{Basis, Builder, Ctx, Hw, e};
use crate::analyst;
use crate::error::Error;
use crate::finetune::{Placement, RlAlgorithm, RlhfSpec, plan_rlhf};
use crate::model::{ModelSpec, forward_flops_per_token};
use crate::precision::Precision;
use crate::scenario::{FinetuneSchedule, Method};
use crate::train::{
    self, Calibration, Candidates, Cluster, Constraints, Objective, Prepared, Stack, Workload,
};
use crate::units::{DAYS_PER_MONTH, FLOP_PER_PF_DAY, HOURS_PER_MONTH};

/// What the fine-tuning section computed, for the sections after it.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FinetuneOut {
    /// `finetune.pf_days_per_month` as reported.
    pub(super) reported_pf_days: Option<f64>,
    /// `finetune.pf_days_per_month_planned` as reported.
    pub(super) planned_pf_days: Option<f64>,
    /// `finetune.servers_planned` as reported.
    pub(super) servers_planned: Option<f64>,
}

/// The fine-tuning section.
///
/// - `finetune.pf_days_per_month` = inference PF/s-days × training share ÷ inference share −
///   pre-training PF/s-days × runs a month (the workload-share method).
/// - `finetune.pf_days_per_month_planned`, `finetune.servers_planned`: see [`schedule`].
/// - `compute.pf_days_per_month` = pre-training × runs + fine-tuning + inference.
/// - `compute.servers_analyst` = that ÷ (days a month × analyst PF/s × utilisation).
pub(super) fn section(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    pre: &PretrainingOut,
    inference: &InferenceOut,
) -> Result<FinetuneOut, Error> {
    let mut out = FinetuneOut::default();
    let s = cx.s;
    let Some(f) = &s.finetune else { return Ok(out) };
    let (Some(inf), Some(pre)) = (inference.pf_days, pre.pf_days) else {
        return Err(Error::MissingKey {
            origin: cx.origin.to_string(),
            key: "inference.training_run_cost_usd and [pretraining] (the workload-share method needs both)"
                .into(),
        });
    };
    let runs = s.pretraining.as_ref().map_or(1.0, |p| p.runs_per_month);
    let pre_used = s.inference.as_ref().and_then(|i| i.training_run_pf_days).unwrap_or(pre);
    let ft =
        analyst::finetune_pf_days_by_workload_share(inf, f.training_share, f.inference_share, pre_used, runs);
    out.reported_pf_days = b.push(
        "finetune.pf_days_per_month",
        "monthly fine-tuning compute by workload share (at least)",
        ft,
        "PF/s-days",
        Basis::Analyst,
        "analyst::finetune_pf_days_by_workload_share",
        format!("{} × {} ÷ {} − {} × {}", e(inf), f.training_share, f.inference_share, e(pre_used), runs),
        Some("borrows a national AI-server workload split for one operator's model".into()),
    );
    if let (Some(sc), Some(hw)) = (&f.schedule, &cx.hw) {
        if s.wants(Method::FirstPrinciples) {
            (out.planned_pf_days, out.servers_planned) = schedule(cx, b, hw, sc, ft)?;
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
    if let Some(hw) = &cx.hw {
        b.push(
            "compute.servers_analyst",
            format!("{} servers for the monthly compute at analyst peak", hw.server.id),
            analyst::servers_at_peak(total, DAYS_PER_MONTH, hw.analyst_pflops, hw.analyst_utilisation),
            "servers",
            Basis::Analyst,
            "analyst::servers_at_peak",
            format!("{} PF/s-days ÷ ({} days × {} PF/s)", e(total), e(DAYS_PER_MONTH), e(hw.analyst_pflops)),
            None,
        );
    }
    Ok(out)
}

/// The first-principles month of post-training: RLHF iterations from the fine-tuning planner
/// and SFT tokens from the training planner, on the scenario's servers.
///
/// - `finetune.pf_days_per_month_planned` = (iterations × FLOP per iteration + SFT tokens × 3
///   × forward FLOP per token at min(context, 2,048)) ÷ 8.64e19.
/// - `finetune.servers_planned` = ⌈(iterations × iteration s + SFT GPU-hours) ÷ (hours a month × GPUs
///   per server)⌉.
///
/// Returns the two figures as reported.
fn schedule(
    cx: &Ctx<'_>,
    b: &mut Builder<'_>,
    hw: &Hw<'_>,
    sc: &FinetuneSchedule,
    analyst: f64,
) -> Result<(Option<f64>, Option<f64>), Error> {
    let spec = cx.spec;
    let cluster = Cluster::new(
        cx.catalog,
        &hw.accelerator.id,
        Some(&hw.server.id),
        Precision::Bf16,
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
            cx.origin,
            "finetune.schedule.gpus",
            sc.gpus,
            format!("enough {} GPUs to hold {} for generation and training", hw.accelerator.id, spec.id),
        ));
    };
    let seq = 2048u32.min(spec.max_context);
    let sft_flops = sc.sft_tokens_per_month * 3.0 * forward_flops_per_token(spec, f64::from(seq));
    let sft_hours = sft_gpu_hours(spec, &cluster, sc, seq);
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
    let planned_pf = b.push(
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
    let servers = b.push(
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
    Ok((planned_pf, servers))
}

/// GPU-hours of the month's SFT tokens at the fastest layout on the schedule's GPUs (0 without
/// SFT tokens or without a layout that fits).
fn sft_gpu_hours(spec: &ModelSpec, cluster: &Cluster, sc: &FinetuneSchedule, seq: u32) -> f64 {
    if sc.sft_tokens_per_month > 0.0 {
        let w = Workload { global_batch: 1024, seq_len: seq, precision: Precision::Bf16 };
        let p = Prepared::new(spec, cluster, &w, &Calibration::default(), &Stack::MODERN);
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
    }
}
