//! `suanli train`: the chosen layout, its throughput, memory and time breakdowns, and the
//! search's Pareto front.

use serde::Serialize;
use suanli_core::sigfig::{human, percent};
use suanli_core::train::TrainReport;

use crate::contract::{Header, contract, contract_csv};
use crate::{Format, Table, range_and_notes, render_table};

/// One member of the (GPUs, time) Pareto front.
#[derive(Debug, Clone, Serialize)]
pub struct FrontRow {
    /// GPUs.
    pub gpus: u64,
    /// Servers.
    pub servers: u64,
    /// Seconds per step.
    pub step_time_s: f64,
    /// Days for the token budget.
    #[serde(rename = "time_days")]
    pub train_days: Option<f64>,
    /// Model FLOPs utilisation.
    pub mfu: f64,
    /// Cost for the token budget, USD.
    pub cost_usd: Option<f64>,
    /// `tp×pp×dp×cp`, micro-batch, recompute, ZeRO.
    pub layout: String,
}

/// Search statistics.
#[derive(Debug, Clone, Serialize)]
pub struct SearchStats {
    /// Layouts evaluated.
    pub evaluated: u64,
    /// Layouts that fit.
    pub feasible: u64,
    /// Wall time, seconds.
    pub seconds: f64,
    /// The (GPUs, time) front of fitting layouts.
    pub front: Vec<FrontRow>,
}

/// Everything `suanli train` prints.
#[derive(Debug, Clone, Serialize)]
pub struct TrainDoc {
    /// Model, chips, layout and precision (the contract's header).
    #[serde(skip)]
    pub header: Header,
    /// Model id.
    #[serde(skip)]
    pub model: String,
    /// Accelerator id.
    #[serde(skip)]
    pub gpu: String,
    /// Server the network comes from.
    pub server: Option<String>,
    /// Software stack.
    pub stack: String,
    /// The result.
    #[serde(flatten)]
    pub report: TrainReport,
    /// Search statistics, when anything was searched.
    pub search: Option<SearchStats>,
    /// Where the headline figure likely lies (the published rows of this chip generation).
    pub uncertainty: Option<crate::contract::Uncertainty>,
    /// Assumptions and caveats.
    pub notes: Vec<String>,
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map_or_else(
        || "—".to_string(),
        |x| if unit.is_empty() { human(x) } else { format!("{} {unit}", human(x)) },
    )
}

/// Renders a training plan.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_train(d: &TrainDoc, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return contract("train", &d.header, d);
    }
    if format == Format::Csv {
        return contract_csv("train", &d.header, d);
    }
    let render = |t: &Table| render_table(t, format);
    let r = &d.report;
    let c = &r.config;
    let mut s = format!(
        "Training {} on {} × {}{} ({} stack)\n\n",
        d.model,
        r.gpus,
        d.gpu,
        d.server.as_ref().map_or(String::new(), |s| format!(" in {s} servers")),
        d.stack
    );
    s.push_str(&format!(
        "Layout: tp {} × pp {} × dp {} × cp {} (ep {}, vp {}), micro-batch {}, global batch {} × {} tokens, recompute {}, ZeRO-{}, {}\n\n",
        c.layout.tp,
        c.layout.pp,
        c.layout.dp,
        c.layout.cp,
        c.layout.ep,
        c.layout.vp,
        c.layout.micro_batch,
        c.global_batch,
        c.seq_len,
        c.layout.recompute.name(),
        c.layout.zero,
        c.precision
    ));
    let mut t = Table::new(&["figure", ">value"]);
    let rows: Vec<(&str, String)> = vec![
        (
            "fits",
            format!(
                "{} ({:.1} of {:.0} GiB per GPU)",
                if r.fits { "yes" } else { "NO" },
                r.memory_gib_per_gpu,
                r.memory_capacity_gib
            ),
        ),
        ("step time", format!("{} s", human(r.step_time_s))),
        ("tokens/s", human(r.tokens_per_s)),
        ("tokens/s per GPU", human(r.tokens_per_s_per_gpu)),
        ("model TFLOP/s per GPU", human(r.model_tflops_per_gpu)),
        ("hardware TFLOP/s per GPU", human(r.hardware_tflops_per_gpu)),
        ("MFU", percent(r.mfu)),
        ("HFU", percent(r.hfu)),
        ("servers", r.servers.to_string()),
        ("time to train", opt(r.train_days, "days")),
        ("GPU-hours", opt(r.gpu_hours, "")),
        ("energy", opt(r.energy_mwh, "MWh")),
        ("cloud cost", opt(r.cost_usd, "USD")),
    ];
    for (k, v) in rows {
        t.row([k.to_string(), v]);
    }
    s.push_str(&render(&t));
    let b = &r.breakdown.time_s;
    let step = r.step_time_s;
    let mut t = Table::new(&["step time part", ">seconds", ">share"]);
    for (k, v) in [
        ("compute", b.compute_s),
        ("recompute", b.recompute_s),
        ("tensor-parallel comm", b.tp_comm_s),
        ("expert-parallel comm", b.ep_comm_s),
        ("context-parallel comm", b.cp_comm_s),
        ("pipeline bubble", b.pp_bubble_s),
        ("pipeline sends", b.pp_p2p_s),
        ("data-parallel comm (exposed)", b.dp_comm_s),
        ("optimizer", b.optimizer_s),
    ] {
        t.row([k.to_string(), human(v), percent(v / step)]);
    }
    s.push('\n');
    s.push_str(&render(&t));
    let m = &r.breakdown.memory_gib;
    let mut t = Table::new(&["memory per GPU", ">GiB"]);
    for (k, v) in [
        ("weights", m.weights_gib),
        ("gradients", m.gradients_gib),
        ("optimizer states", m.optimizer_gib),
        ("activations", m.activations_gib),
        ("logits", m.logits_gib),
        ("reserved", m.reserved_gib),
        ("total", m.total_gib),
    ] {
        t.row([k.to_string(), format!("{v:.2}")]);
    }
    s.push('\n');
    s.push_str(&render(&t));
    if let Some(st) = &d.search {
        s.push_str(&format!(
            "\nSearched {} layouts ({} fit) in {:.3} s.\n",
            human(st.evaluated as f64),
            human(st.feasible as f64),
            st.seconds
        ));
        if st.front.len() > 1 {
            let mut t = Table::new(&["layout", ">GPUs", ">servers", ">step s", ">days", ">MFU", ">cost USD"]);
            for f in &st.front {
                t.row([
                    f.layout.clone(),
                    f.gpus.to_string(),
                    f.servers.to_string(),
                    human(f.step_time_s),
                    opt(f.train_days, ""),
                    percent(f.mfu),
                    opt(f.cost_usd, ""),
                ]);
            }
            s.push_str("\nPareto front (GPUs vs time):\n\n");
            s.push_str(&render(&t));
        }
    }
    s.push_str(&range_and_notes(d.uncertainty.as_ref(), &d.notes));
    Ok(s)
}
