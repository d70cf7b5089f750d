//! `suanli infer`: a replica's memory, throughput and latency, and the search's ranking.

use serde::Serialize;
use suanli_core::infer::{Bound, InferMemory, StepTime};
use suanli_core::sigfig::human;

use suanli_sim::metrics::Latency;

use crate::contract::{Header, contract, contract_csv};
use crate::{Format, Table, notes_block, render_table};

/// The workload and engine limits (model, chip, layout and precision are in the header).
#[derive(Debug, Clone, Serialize)]
pub struct InferConfigOut {
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Output tokens.
    pub output_tokens: u32,
    /// `max_load`, `concurrency` or `batch`.
    pub load: String,
    /// Engine sequence cap.
    pub engine_max_batch: u32,
    /// Engine token budget per step.
    pub engine_max_tokens: u32,
}

/// One row of a search ranking.
#[derive(Debug, Clone, Serialize)]
pub struct RankRow {
    /// `tp×pp ep precision`.
    pub layout: String,
    /// Output tokens/s per GPU.
    pub output_tokens_per_s_per_gpu: f64,
    /// Batch.
    pub batch: u32,
    /// TTFT, s (steady state: every percentile equals the mean).
    pub ttft_s: Latency,
    /// TPOT, s.
    pub tpot_s: Latency,
    /// USD per million output tokens.
    pub cost_usd_per_million_output_tokens: Option<f64>,
}

/// Everything `suanli infer` prints.
#[derive(Debug, Clone, Serialize)]
pub struct InferDoc {
    /// Model, chips, layout and precision (the contract's header).
    #[serde(skip)]
    pub header: Header,
    /// Workload and engine limits.
    pub workload: InferConfigOut,
    /// Whether it fits.
    pub fits: bool,
    /// Memory the engine allocates per GPU, GiB.
    pub memory_gib_per_gpu: f64,
    /// KV-cache pool per GPU, GiB.
    pub kv_cache_gib: f64,
    /// Most concurrent sequences for these lengths.
    pub max_batch: u32,
    /// What sets `max_batch`.
    pub max_batch_limited_by: String,
    /// Sequences running.
    pub batch: u32,
    /// Time to first token, s (steady state: every percentile equals the mean).
    pub ttft_s: Latency,
    /// Time per output token, s.
    pub tpot_s: Latency,
    /// Request latency, s.
    pub e2e_s: Latency,
    /// Output tokens/s, the whole TP×PP group.
    pub output_tokens_per_s: f64,
    /// Output tokens/s per GPU.
    pub output_tokens_per_s_per_gpu: f64,
    /// Prompt + output tokens/s.
    pub total_tokens_per_s: f64,
    /// USD per million output tokens at the cloud price, if the catalog has one.
    pub cost_usd_per_million_output_tokens: Option<f64>,
    /// What bounds each phase.
    pub bound: Bound,
    /// Memory breakdown.
    pub memory: InferMemory,
    /// The steady-state step on the slowest stage.
    pub step: StepTime,
    /// Where the throughput likely lies (the published rows of this chip generation).
    pub uncertainty: Option<crate::contract::Uncertainty>,
    /// Search ranking (best first), when a search ran.
    pub search: Option<Vec<RankRow>>,
    /// Assumptions, fallbacks, caveats.
    pub notes: Vec<String>,
}

fn ms(s: f64) -> String {
    format!("{} ms", human(s * 1e3))
}

/// Renders an inference plan.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_infer(d: &InferDoc, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return contract("infer", &d.header, d);
    }
    if format == Format::Csv {
        return contract_csv("infer", &d.header, d);
    }
    let render = |t: &Table| render_table(t, format);
    let c = &d.workload;
    let h = &d.header;
    let l = h.layout.unwrap_or_default();
    let p = h.precision.map(|p| (p.weights.name(), p.activations.name(), p.kv.name())).unwrap_or_default();
    let gpu = h.gpu.as_ref().map_or("", |g| g.id.as_str());
    // Wide EP: attention data-parallel over `dp` groups of tp GPUs a stage.
    let dpa = if l.dp > 1 { format!(" over {} attention data-parallel groups", l.dp) } else { String::new() };
    let mut s = format!(
        "Serving {} on {} × {gpu} (tp {} × pp {}, ep {}{dpa}), weights {}, activations {}, KV {}; {} in / {} out tokens, {}\n\n",
        h.model.id,
        l.tp * l.pp * l.dp.max(1),
        l.tp,
        l.pp,
        l.ep,
        p.0,
        p.1,
        p.2,
        c.input_tokens,
        c.output_tokens,
        c.load.replace('_', " ")
    );
    let mut t = Table::new(&["figure", ">value"]);
    let m = &d.memory;
    let rows: Vec<(&str, String)> = vec![
        ("fits", if d.fits { "yes".into() } else { "NO".into() }),
        ("memory per GPU", format!("{:.1} of {:.0} GiB", d.memory_gib_per_gpu, m.capacity_gib)),
        ("  weights", format!("{:.2} GiB", m.weights_gib)),
        ("  KV cache", format!("{:.2} GiB ({} tokens)", m.kv_cache_gib, human(m.kv_tokens.floor()))),
        ("  workspace + reserved", format!("{:.2} GiB", m.workspace_gib + m.reserved_gib)),
        ("KV cache per token per GPU", format!("{} KiB", human(m.kv_bytes_per_token / 1024.0))),
        ("max batch", format!("{} (limited by {})", d.max_batch, d.max_batch_limited_by.replace('_', " "))),
        ("batch", d.batch.to_string()),
        ("TTFT", ms(d.ttft_s.mean)),
        ("TPOT", ms(d.tpot_s.mean)),
        ("end-to-end", format!("{} s", human(d.e2e_s.mean))),
        ("output tokens/s", human(d.output_tokens_per_s)),
        ("output tokens/s per GPU", human(d.output_tokens_per_s_per_gpu)),
        ("total tokens/s", human(d.total_tokens_per_s)),
        (
            "USD per 1M output tokens",
            d.cost_usd_per_million_output_tokens.map_or_else(|| "—".to_string(), |c| format!("{c:.3}")),
        ),
        ("bound: prefill / decode", format!("{} / {}", d.bound.prefill, d.bound.decode)),
        (
            "output tokens/s, likely range (p10–p90)",
            d.uncertainty.as_ref().map_or_else(
                || "—".to_string(),
                |u| format!("{} – {}", human(u.low.round()), human(u.high.round())),
            ),
        ),
    ];
    for (k, v) in rows {
        t.row([k.to_string(), v]);
    }
    s.push_str(&render(&t));
    let st = &d.step;
    let mut t = Table::new(&["mean step part (slowest stage)", ">time"]);
    for (k, v) in [
        ("GEMMs, compute", st.gemm_compute_s),
        ("GEMMs, weight reads", st.gemm_memory_s),
        ("attention, compute", st.attention_compute_s),
        ("attention, KV reads", st.attention_memory_s),
        ("communication", st.comm_s),
        ("overhead", st.overhead_s),
        ("  of which the host's (overlapped where pp = 1)", st.host_s),
        ("step (each its rooflines' maxima + the rest)", st.total_s),
    ] {
        t.row([k.to_string(), ms(v)]);
    }
    s.push('\n');
    s.push_str(&render(&t));
    if let Some(rank) = &d.search {
        let mut t = Table::new(&["layout", ">tok/s/GPU", ">batch", ">TTFT", ">TPOT", ">USD/1M"]);
        for r in rank {
            t.row([
                r.layout.clone(),
                human(r.output_tokens_per_s_per_gpu),
                r.batch.to_string(),
                ms(r.ttft_s.mean),
                ms(r.tpot_s.mean),
                r.cost_usd_per_million_output_tokens.map_or_else(|| "—".to_string(), |c| format!("{c:.3}")),
            ]);
        }
        s.push_str("\nSearch ranking (best first):\n\n");
        s.push_str(&render(&t));
    }
    s.push_str(&notes_block(&d.notes));
    Ok(s)
}
