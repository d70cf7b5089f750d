//! `suanli finetune`: memory, step time, days, GPU-hours, compute and cost, by phase.

use serde::Serialize;
use suanli_core::sigfig::{count, human, percent};

use crate::contract::{Header, contract, contract_csv};
use crate::{Format, Table, range_and_notes, render_table};

/// One phase of a step (or of an RLHF iteration).
#[derive(Debug, Clone, Serialize)]
pub struct PhaseOut {
    /// Name.
    pub name: String,
    /// Seconds per step or iteration.
    pub seconds: f64,
    /// Share of the step.
    pub share: f64,
    /// How it is computed.
    pub detail: String,
}

/// What `suanli finetune` prints.
#[derive(Debug, Clone, Serialize)]
pub struct FinetuneOut {
    /// Model, chips and precision (the contract's header).
    #[serde(skip)]
    pub header: Header,
    /// Model id.
    #[serde(skip)]
    pub model: String,
    /// Chip id.
    #[serde(skip)]
    pub gpu: String,
    /// GPUs.
    #[serde(skip)]
    pub gpus: u32,
    /// `sft`, `lora`, `qlora`, `ppo`, `grpo`.
    pub method: String,
    /// The layout or adapter setup, in words.
    #[serde(rename = "setup")]
    pub layout: String,
    /// Whether it fits.
    pub fits: bool,
    /// Trainable parameters.
    pub trainable_params: u64,
    /// Memory per GPU, GiB.
    pub memory_gib_per_gpu: f64,
    /// Capacity, GiB.
    pub memory_capacity_gib: f64,
    /// Seconds per optimizer step (RLHF: per iteration).
    pub step_time_s: f64,
    /// Days for the whole job.
    pub time_days: f64,
    /// GPU-hours.
    pub gpu_hours: f64,
    /// Model compute, PF/s-days.
    pub pf_days: f64,
    /// Cloud cost, USD.
    pub cost_usd: Option<f64>,
    /// Training tokens (SFT, LoRA).
    pub tokens: Option<f64>,
    /// Where a step's time goes.
    pub breakdown: Vec<PhaseOut>,
    /// Where the headline figure likely lies (the published rows of this chip generation).
    pub uncertainty: Option<crate::contract::Uncertainty>,
    /// Assumptions.
    pub notes: Vec<String>,
}

/// Renders a fine-tuning plan.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_finetune(d: &FinetuneOut, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return contract("finetune", &d.header, d);
    }
    if format == Format::Csv {
        return contract_csv("finetune", &d.header, d);
    }
    let mut s =
        format!("{} of {} on {} × {}: {}\n\n", d.method.to_uppercase(), d.model, d.gpus, d.gpu, d.layout);
    let mut t = Table::new(&["figure", ">value"]);
    for (k, v) in [
        (
            "fits",
            format!(
                "{} ({:.1} of {:.0} GiB per GPU)",
                if d.fits { "yes" } else { "NO" },
                d.memory_gib_per_gpu,
                d.memory_capacity_gib
            ),
        ),
        ("trainable parameters", count(d.trainable_params as f64)),
        ("step time", format!("{} s", human(d.step_time_s))),
        ("time", format!("{} days", human(d.time_days))),
        ("GPU-hours", human(d.gpu_hours)),
        ("compute", format!("{} PF/s-days", human(d.pf_days))),
        ("cloud cost", d.cost_usd.map_or_else(|| "—".into(), |c| format!("{} USD", human(c)))),
    ] {
        t.row([k.to_string(), v]);
    }
    s.push_str(&render_table(&t, format));
    let mut t = Table::new(&["phase", ">seconds", ">share", "detail"]);
    for p in &d.breakdown {
        t.row([p.name.clone(), human(p.seconds), percent(p.share), p.detail.clone()]);
    }
    s.push('\n');
    s.push_str(&render_table(&t, format));
    s.push_str(&range_and_notes(d.uncertainty.as_ref(), &d.notes));
    Ok(s)
}
