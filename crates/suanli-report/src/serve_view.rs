//! `suanli simulate` and `suanli serve`: latency percentiles, throughput, fleet and cost.

use serde::Serialize;
use suanli_core::sigfig::{human, percent};
use suanli_sim::fleet::{DisaggFleet, FleetPlan};
use suanli_sim::metrics::Latency;
use suanli_sim::sim::SimReport;

use crate::contract::{Header, contract, contract_csv};
use crate::plan_html::{esc, page_head};
use crate::svg::{Chart, Line};
use crate::{Format, Table, notes_block, range_and_notes, render_table};

/// What `suanli simulate` ran.
#[derive(Debug, Clone, Serialize)]
pub struct SimSetup {
    /// Model id.
    #[serde(skip)]
    pub model: String,
    /// Chip id.
    #[serde(skip)]
    pub gpu: String,
    /// Tensor parallel per replica.
    #[serde(skip)]
    pub tp: u32,
    /// Pipeline stages per replica (in the header's layout).
    #[serde(skip)]
    pub pp: u32,
    /// Expert-parallel degree (in the header's layout).
    #[serde(skip)]
    pub ep: u32,
    /// Replicas (the decode pool's when disaggregated).
    pub replicas: u32,
    /// Prefill replicas of a disaggregated deployment (none: prefill and decode share replicas).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefill_replicas: Option<u32>,
    /// Tensor-parallel degree of a prefill replica (disaggregated only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefill_tp: Option<u32>,
    /// Precision served.
    #[serde(skip)]
    pub precision: String,
    /// Router.
    pub router: String,
    /// Batching policy.
    pub scheduler: String,
    /// KV admission policy.
    pub kv_policy: String,
    /// Seed.
    pub seed: u64,
    /// The workload preset, if one was named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Speculative decoding, when on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speculation: Option<suanli_core::infer::SpeculationRef>,
}

/// Capacity headroom beside busy-time utilisation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Capacity {
    /// Arrivals a second offered.
    pub offered_requests_per_s: f64,
    /// Requests a second the fleet carries at saturation (the planner's maximum load per
    /// replica, latency aside).
    pub saturation_requests_per_s: f64,
    /// Offered over saturation: the fraction of capacity in use.
    pub load_fraction: f64,
    /// Busy-time utilisation (a replica stepping a small batch reads busy).
    pub busy_utilisation: f64,
}

/// Everything `suanli simulate` prints.
#[derive(Debug, Clone, Serialize)]
pub struct SimDoc {
    /// Model, chips, layout and precision (the contract's header).
    #[serde(skip)]
    pub header: Header,
    /// The setup.
    pub config: SimSetup,
    /// The measurements (end to end when disaggregated).
    #[serde(flatten)]
    pub report: SimReport,
    /// Each pool of a disaggregated deployment and the KV transfer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disaggregated: Option<DisaggPools>,
    /// Capacity headroom.
    pub capacity: Capacity,
    /// Caveats.
    pub notes: Vec<String>,
}

/// The pools of a disaggregated run.
#[derive(Debug, Clone, Serialize)]
pub struct DisaggPools {
    /// The prefill pool.
    pub prefill: SimReport,
    /// The decode pool.
    pub decode: SimReport,
    /// KV-cache transfer per request, seconds.
    pub kv_transfer_s: Latency,
    /// Bytes a second each GPU sends the KV cache at (its share of the server's NICs).
    pub kv_link_bytes_per_s: f64,
}

/// Everything `suanli serve` prints.
#[derive(Debug, Clone, Serialize)]
pub struct ServeDoc {
    /// Model, chips, layout and precision (the contract's header).
    #[serde(skip)]
    pub header: Header,
    /// Model id.
    #[serde(skip)]
    pub model: String,
    /// The fleet.
    #[serde(flatten)]
    pub plan: FleetPlan,
    /// The engine-knob search (with `--search-engine`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_search: Option<suanli_sim::tune::EngineSearch>,
    /// Targets: p99 TTFT and TPOT, seconds.
    pub targets: Targets,
    /// The same chip and layout as separate prefill and decode pools (with `--disaggregate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disaggregated: Option<DisaggFleet>,
    /// Where the headline figure likely lies (the published rows of this chip generation).
    pub uncertainty: Option<crate::contract::Uncertainty>,
    /// The cheapest mix of chip types (with `--mix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mix: Option<suanli_sim::mix::MixPlan>,
    /// The fleet hour by hour (with `--daily-curve`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily: Option<suanli_sim::fleet::DailyPlan>,
    /// Assumptions.
    pub notes: Vec<String>,
}

/// The latency targets a fleet is sized for.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Targets {
    /// p99 time to first token, s.
    pub ttft_p99_s: f64,
    /// p99 time per output token, s.
    pub tpot_p99_s: f64,
}

fn lat_rows(t: &mut Table, name: &str, l: &Latency) {
    let ms = |x: f64| format!("{} ms", human(x * 1e3));
    t.row([name.to_string(), ms(l.mean), ms(l.p50), ms(l.p90), ms(l.p99)]);
}

fn latency_table(ttft: &Latency, tpot: &Latency, e2e: &Latency, queue: Option<&Latency>) -> Table {
    let mut t = Table::new(&["latency", ">mean", ">p50", ">p90", ">p99"]);
    lat_rows(&mut t, "TTFT", ttft);
    lat_rows(&mut t, "TPOT", tpot);
    lat_rows(&mut t, "end-to-end", e2e);
    if let Some(q) = queue {
        lat_rows(&mut t, "queue wait", q);
    }
    t
}

/// Renders a simulation.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_sim(d: &SimDoc, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return contract("simulate", &d.header, d);
    }
    if format == Format::Csv {
        return contract_csv("simulate", &d.header, d);
    }
    if format == Format::Html {
        let text = render_sim(d, Format::Table)?;
        let title = format!("Simulation: {} on {}", d.config.model, d.config.gpu);
        return Ok(report_page(&title, &text, &sim_charts(&d.report)));
    }
    let render = |t: &Table| render_table(t, format);
    let c = &d.config;
    let r = &d.report;
    let fleet = match c.prefill_replicas {
        Some(p) => {
            format!("{p} prefill (tp {}) + {} decode replicas", c.prefill_tp.unwrap_or(c.tp), c.replicas)
        }
        None => format!("{} replicas", c.replicas),
    };
    let mut s = format!(
        "Simulated {} requests of {} on {fleet} × {} {} (tp {}, pp {}, ep {}), {} routing, {} batching, {} KV, seed {}\n\n",
        r.requests,
        c.model,
        // GPUs a replica takes: tp × pp, times the attention data-parallel groups of wide EP.
        c.tp * c.pp * if c.ep > c.tp && c.tp > 0 { c.ep / c.tp } else { 1 },
        c.gpu,
        c.tp,
        c.pp,
        c.ep,
        c.router,
        c.scheduler,
        c.kv_policy,
        c.seed
    );
    if r.saturated {
        s.push_str("SATURATED: the offered load exceeds the fleet's capacity; the queue grows without bound and the latencies below are not steady-state values.\n\n");
    }
    s.push_str(&render(&latency_table(&r.ttft_s, &r.tpot_s, &r.e2e_s, Some(&r.queue_s))));
    let mut t = Table::new(&["figure", ">value"]);
    for (k, v) in [
        ("requests/s completed", human(r.throughput_requests_per_s)),
        ("output tokens/s", human(r.output_tokens_per_s)),
        ("goodput (meets targets)", percent(r.goodput)),
        ("replica utilisation (busy time)", percent(r.utilisation)),
        ("capacity in use (offered ÷ saturation rate)", percent(d.capacity.load_fraction)),
        ("mean requests in system (L)", human(r.mean_in_system)),
        ("arrival rate × mean latency (λW)", human(r.littles_law_product)),
        ("preemptions", r.preemptions.to_string()),
        ("preempted KV swapped to host memory", r.swaps.to_string()),
        ("rejected by admission control", r.rejected.to_string()),
        ("prompt tokens from cached prefixes", human(r.cached_prefix_tokens as f64)),
        ("simulated seconds", human(r.duration_s)),
    ] {
        t.row([k.to_string(), v]);
    }
    s.push('\n');
    s.push_str(&render(&t));
    if !r.classes.is_empty() {
        let mut t = Table::new(&[
            "class",
            ">requests",
            ">rejected",
            ">p99 TTFT",
            ">p99 TPOT",
            ">targets (TTFT / TPOT)",
            ">goodput",
        ]);
        let ms = |x: f64| format!("{} ms", human(x * 1e3));
        for c in &r.classes {
            let targets = c.targets.map_or("—".to_string(), |(a, b)| format!("{} / {}", ms(a), ms(b)));
            t.row([
                c.class.to_string(),
                c.requests.to_string(),
                c.rejected.to_string(),
                ms(c.ttft_s.p99),
                ms(c.tpot_s.p99),
                targets,
                percent(c.goodput),
            ]);
        }
        s.push_str("\npriority classes (0 the most urgent)\n");
        s.push_str(&render(&t));
    }
    if let Some(pools) = &d.disaggregated {
        let mut t = Table::new(&[
            "pool",
            ">p99 arrival to first token",
            ">p99 TPOT",
            ">utilisation",
            ">preemptions",
            "saturated",
        ]);
        let ms = |x: f64| format!("{} ms", human(x * 1e3));
        for (name, p) in [("prefill", &pools.prefill), ("decode", &pools.decode)] {
            let tpot = if name == "prefill" { "—".to_string() } else { ms(p.tpot_s.p99) };
            t.row([
                name.to_string(),
                ms(p.ttft_s.p99),
                tpot,
                percent(p.utilisation),
                p.preemptions.to_string(),
                p.saturated.to_string(),
            ]);
        }
        s.push('\n');
        s.push_str(&render(&t));
        s.push_str(&format!(
            "\nKV transfer per request: mean {} ms, p99 {} ms at {} GB/s per GPU\n",
            human(pools.kv_transfer_s.mean * 1e3),
            human(pools.kv_transfer_s.p99 * 1e3),
            human(pools.kv_link_bytes_per_s / 1e9)
        ));
    }
    s.push_str(&notes_block(&d.notes));
    Ok(s)
}

/// The latency CDF charts (TTFT, TPOT, end to end) and the queue over time.
#[must_use]
pub fn sim_charts(r: &SimReport) -> Vec<Chart> {
    let cdf = |title: &str, values: &[f64]| Chart::Lines {
        title: format!("{title}: distribution over requests"),
        x_label: "latency, ms".into(),
        y_label: "fraction of requests at or below".into(),
        lines: vec![Line {
            name: title.into(),
            // The maximum (quantile 1) is one request; leaving it out keeps the axis readable.
            points: values
                .iter()
                .zip(&r.cdf.quantiles)
                .filter(|(_, q)| **q < 1.0)
                .map(|(v, q)| (v * 1e3, *q))
                .collect(),
            markers_only: false,
        }],
    };
    let mut charts =
        vec![cdf("TTFT", &r.cdf.ttft_s), cdf("TPOT", &r.cdf.tpot_s), cdf("End-to-end latency", &r.cdf.e2e_s)];
    let sr = &r.series;
    let t = |k: usize| sr.start_s + (k as f64 + 0.5) * sr.interval_s;
    charts.push(Chart::Lines {
        title: "Waiting requests and completions over time".into(),
        x_label: "simulated time, s".into(),
        y_label: "requests".into(),
        lines: vec![
            Line {
                name: "mean waiting".into(),
                points: sr.mean_queue.iter().enumerate().map(|(k, q)| (t(k), *q)).collect(),
                markers_only: false,
            },
            Line {
                name: "completed per second".into(),
                points: sr
                    .completions
                    .iter()
                    .enumerate()
                    .map(|(k, c)| (t(k), *c as f64 / sr.interval_s))
                    .collect(),
                markers_only: false,
            },
        ],
    });
    charts
}

/// A self-contained page: the text report, then its charts as SVG.
fn report_page(title: &str, text: &str, charts: &[Chart]) -> String {
    let mut h = page_head(title);
    h.push_str("<pre>");
    h.push_str(&esc(text));
    h.push_str("</pre>\n");
    for c in charts {
        h.push_str(&format!("<figure>{}</figure>\n", c.to_svg()));
    }
    h.push_str("<p class=\"basis\">Generated by suanli.</p></body></html>\n");
    h
}

/// Renders a fleet plan.
///
/// # Errors
/// JSON serialisation errors (not expected).
pub fn render_serve(d: &ServeDoc, format: Format) -> Result<String, serde_json::Error> {
    if format == Format::Json {
        return contract("serve", &d.header, d);
    }
    if format == Format::Csv {
        return contract_csv("serve", &d.header, d);
    }
    if format == Format::Html {
        let text = render_serve(d, Format::Table)?;
        let charts = d.plan.simulation.as_ref().map(sim_charts).unwrap_or_default();
        return Ok(report_page(&format!("Fleet for {}", d.model), &text, &charts));
    }
    let render = |t: &Table| render_table(t, format);
    let p = &d.plan;
    let c = &p.config;
    let mut s = format!(
        "Fleet for {}: {} replicas × {} {} (tp {}{}, {}) = {} GPUs in {} servers{} — {} for p99 TTFT ≤ {} s and p99 TPOT ≤ {} ms at {} requests/s peak\n\n",
        d.model,
        p.replicas,
        c.gpus(),
        p.gpu,
        c.tp,
        match (c.pp, c.ep) {
            (1, 1) => String::new(),
            (pp, 1) => format!(" pp {pp}"),
            (1, ep) => format!(" ep {ep}"),
            (pp, ep) => format!(" pp {pp} ep {ep}"),
        },
        c.precision.weights,
        p.gpus,
        p.servers,
        p.server.as_ref().map_or(String::new(), |x| format!(" ({x})")),
        p.method,
        human(d.targets.ttft_p99_s),
        human(d.targets.tpot_p99_s * 1e3),
        human(p.peak_requests_per_s)
    );
    s.push_str(&render(&latency_table(&p.ttft_s, &p.tpot_s, &p.e2e_s, None)));
    let money = |x: Option<f64>| x.map_or_else(|| "—".to_string(), |v| format!("{} USD", human(v)));
    let mut t = Table::new(&["figure", ">value"]);
    for (k, v) in [
        ("goodput in the peak hour", percent(p.goodput)),
        ("capacity in use (peak ÷ saturation rate)", percent(p.load_fraction)),
        ("cost a month (cloud)", money(p.cost_usd_per_month)),
        ("cost per 1M output tokens", money(p.cost_usd_per_million_output_tokens)),
        ("average power", format!("{} kW", human(p.power_kw))),
        ("output tokens a month", human(p.output_tokens_per_month)),
        ("compute served a month", format!("{} PF/s-days", human(p.pf_days_per_month))),
    ] {
        t.row([k.to_string(), v]);
    }
    s.push('\n');
    s.push_str(&render(&t));
    let mut t =
        Table::new(&["candidate", ">req/s per replica", ">replicas (analytic)", ">GPUs", ">USD a month"]);
    for c in &p.candidates {
        t.row([
            format!(
                "{} tp{}{}{}",
                c.gpu,
                c.tp,
                if c.pp > 1 { format!(" pp{}", c.pp) } else { String::new() },
                if c.ep > 1 { format!(" ep{}", c.ep) } else { String::new() }
            ),
            human(c.replica_requests_per_s),
            c.replicas.to_string(),
            c.gpus.to_string(),
            money(c.cost_usd_per_month),
        ]);
    }
    s.push_str("\nCandidates (analytic bound, cheapest first):\n\n");
    s.push_str(&render(&t));
    if let Some(x) = &d.disaggregated {
        let ms = |v: f64| format!("{} ms", human(v * 1e3));
        let mut t = Table::new(&[
            "deployment",
            ">replicas",
            ">GPUs",
            ">servers",
            ">p99 TTFT",
            ">p99 TPOT",
            ">USD a month",
        ]);
        t.row([
            "colocated".to_string(),
            format!("{} (tp {})", p.replicas, p.config.tp),
            p.gpus.to_string(),
            p.servers.to_string(),
            ms(p.ttft_s.p99),
            ms(p.tpot_s.p99),
            money(p.cost_usd_per_month),
        ]);
        t.row([
            "disaggregated".to_string(),
            {
                let ep = |e: u32| if e > 1 { format!(" ep {e}") } else { String::new() };
                let on =
                    if x.prefill_gpu == p.gpu { String::new() } else { format!(" on {}", x.prefill_gpu) };
                format!(
                    "{} prefill (tp {}{}{on}) + {} decode (tp {}{})",
                    x.prefill_replicas,
                    x.prefill_tp,
                    ep(x.prefill_ep),
                    x.decode_replicas,
                    x.decode_tp,
                    ep(x.decode_ep)
                )
            },
            x.gpus.to_string(),
            x.servers.to_string(),
            ms(x.ttft_s.p99),
            ms(x.tpot_s.p99),
            money(x.cost_usd_per_month),
        ]);
        s.push_str(&format!(
            "\nPrefill and decode on separate replicas (simulated; KV transfer mean {} ms):\n\n",
            human(x.kv_transfer_s.mean * 1e3)
        ));
        s.push_str(&render(&t));
    }
    if let Some(day) = &d.daily {
        let mut t = Table::new(&["hour", ">requests/s", ">replicas", ">GPUs", ">capacity in use"]);
        for h in &day.hours {
            t.row([
                format!("{:02}:00", h.hour),
                human(h.requests_per_s),
                h.replicas.to_string(),
                h.gpus.to_string(),
                percent(h.load_fraction),
            ]);
        }
        s.push_str("\nHour by hour (replicas following the traffic):\n\n");
        s.push_str(&render(&t));
        s.push_str(&format!(
            "\n{} GPU-hours a day; autoscaled {} a month against {} for the peak fleet all day.\n",
            human(day.gpu_hours_per_day),
            money(day.autoscaled_cost_usd_per_month),
            money(day.fixed_cost_usd_per_month)
        ));
    }
    if let Some(m) = &d.mix {
        let mut t = Table::new(&["bucket (≤ tokens)", ">share", ">mean prompt", ">mean output", "chip"]);
        for b in &m.buckets {
            t.row([
                b.max_total_tokens.to_string(),
                percent(b.share),
                human(b.input_mean),
                human(b.output_mean),
                b.gpu.clone(),
            ]);
        }
        s.push_str(
            "
Mix of chip types by request length (analytic):

",
        );
        s.push_str(&render(&t));
        let mut t = Table::new(&["pool", ">replicas", ">GPUs", ">USD a month"]);
        for p in &m.pools {
            t.row([
                format!("{} tp{} pp{} ep{}", p.gpu, p.tp, p.pp, p.ep),
                p.replicas.to_string(),
                p.gpus.to_string(),
                money(Some(p.cost_usd_per_month)),
            ]);
        }
        t.row([
            format!("best single chip: {}", m.single_gpu),
            String::new(),
            String::new(),
            money(Some(m.single_cost_usd_per_month)),
        ]);
        s.push('\n');
        s.push_str(&render(&t));
        s.push_str(&format!(
            "\nThe mix costs {} a month, {} less than {} alone.\n",
            money(Some(m.cost_usd_per_month)),
            percent(m.saving_fraction),
            m.single_gpu
        ));
    }
    s.push_str(&range_and_notes(d.uncertainty.as_ref(), &d.notes));
    Ok(s)
}
