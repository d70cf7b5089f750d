//! Disaggregated serving: a prefill pool computes each prompt and its first token, the prompt's
//! KV cache crosses the network, and a decode pool generates the rest (DistServe, Zhong et al.
//! 2024; Splitwise, Patel et al. 2024). Prefill bursts then never stall running decodes, at the
//! price of a KV transfer and two pools to size.
//!
//! The two pools are simulated one after the other with the same engine: the prefill pool sees
//! every request with one output token; each request reaches the decode pool when its prefill
//! finished plus its transfer time, with its prompt (and first token) already in the KV cache,
//! so only preemption makes the decode pool recompute a prompt. Per request:
//! TTFT = prefill first token − arrival; TPOT = (decode finish − first token) / (output − 1),
//! which carries the transfer and the decode queue; E2E = decode finish − arrival.

use serde::Serialize;
use suanli_core::infer::Replica;

use crate::engine::StepModel;
use crate::metrics::{Latency, latency};
use crate::sim::{Occupancy, SimConfig, SimReport, run, summarise};
use crate::workload::Request;

/// Fixed cost of one KV-cache hand-off between a prefill and a decode replica: connection
/// lookup, the RDMA request and its completion (tens of µs each on InfiniBand/RoCE; DistServe
/// and Mooncake report set-up well under a millisecond). An assumption, not fitted.
pub const KV_TRANSFER_SETUP_S: f64 = 200e-6;

/// The path a prompt's KV cache takes from a prefill to a decode replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KvPath {
    /// The scale-up fabric (NVLink): both pools in one scale-up domain.
    ScaleUp,
    /// Each GPU's share of its server's NICs (RDMA).
    ScaleOut,
}

impl KvPath {
    /// `nvlink` or `nic`, as the request names it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            KvPath::ScaleUp => "nvlink",
            KvPath::ScaleOut => "nic",
        }
    }
}

/// The link a KV hand-off crosses: its path and each side's rate per GPU, one direction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KvLink {
    /// Scale-up fabric or NICs.
    pub path: KvPath,
    /// Bytes/s a prefill GPU sends at.
    pub prefill_bytes_per_s: f64,
    /// Bytes/s a decode GPU receives at.
    pub decode_bytes_per_s: f64,
}

impl KvLink {
    /// `path` between `prefill` and `decode` replicas: each GPU's scale-up rate or its share
    /// of the server's NICs, from each side's chip.
    #[must_use]
    pub fn new(path: KvPath, prefill: &Replica, decode: &Replica) -> KvLink {
        let rate = |r: &Replica| match path {
            KvPath::ScaleUp => r.cluster().scale_up_bytes_per_s,
            KvPath::ScaleOut => r.cluster().scale_out_bytes_per_s,
        };
        KvLink { path, prefill_bytes_per_s: rate(prefill), decode_bytes_per_s: rate(decode) }
    }

    /// The slower side's rate per GPU (what the report shows).
    #[must_use]
    pub fn bytes_per_s(&self) -> f64 {
        self.prefill_bytes_per_s.min(self.decode_bytes_per_s)
    }
}

/// Whether `p` prefill and `d` decode replicas can share scale-up domains: the same chip in
/// the same server (one NVLink fabric), and one group of the pools' ratio — `p/g` prefill and
/// `d/g` decode replicas, `g = gcd(p, d)` — fits in one domain (`Cluster::node_size` GPUs:
/// 8 on an HGX board, 72 on an NVL72 rack), so the fleet tiles into domains that each hold
/// their own prefill and decode replicas.
#[must_use]
pub fn shares_scale_up_domain(prefill: &Replica, p: u64, decode: &Replica, d: u64) -> bool {
    let (a, b) = (prefill.cluster(), decode.cluster());
    if a.accelerator != b.accelerator || a.server != b.server || p == 0 || d == 0 {
        return false;
    }
    let g = gcd(p, d);
    let group = (p / g)
        .saturating_mul(prefill.config.gpus())
        .saturating_add((d / g).saturating_mul(decode.config.gpus()));
    group <= u64::from(a.node_size)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// The KV cache's width on the wire, bytes per value: the narrower of the two pools' KV
/// precisions (the wider side converts: the prefill side quantises before sending, or the
/// decode side widens on arrival).
#[must_use]
pub fn kv_wire_bytes(prefill: &Replica, decode: &Replica) -> f64 {
    prefill.config.precision.kv.bytes().min(decode.config.precision.kv.bytes())
}

/// KV-cache bytes per prompt token that one GPU sends (prefill) or receives (decode), each
/// side's own shard at the wire's width: every GPU moves its shard at once.
#[must_use]
pub fn kv_shard_bytes(prefill: &Replica, decode: &Replica) -> (f64, f64) {
    let wire = kv_wire_bytes(prefill, decode);
    let shard = |r: &Replica| r.memory.kv_bytes_per_token * wire / r.config.precision.kv.bytes();
    (shard(prefill), shard(decode))
}

/// KV-cache bytes per prompt token per GPU on the side that sets the pace (for the notes).
#[must_use]
pub fn kv_bytes_per_token_per_gpu(prefill: &Replica, decode: &Replica) -> f64 {
    let (p, d) = kv_shard_bytes(prefill, decode);
    p.max(d)
}

/// Seconds to send `input` prompt tokens' KV cache from a prefill to a decode replica:
/// `setup + input × max(shard_p ÷ rate_p, shard_d ÷ rate_d) + conversion`, each side's shard
/// ([`kv_shard_bytes`]) over its GPU's rate on `link`; when the precisions differ, the wider
/// side reads its shard and writes the converted one through HBM once (at peak bandwidth: a
/// lower bound on a pass that is small beside the link). The set-up cost
/// [`KV_TRANSFER_SETUP_S`] is taken for either path.
#[must_use]
pub fn kv_transfer_s(prefill: &Replica, decode: &Replica, link: &KvLink, input: u32) -> f64 {
    let (p, d) = kv_shard_bytes(prefill, decode);
    let n = f64::from(input);
    let wire = (p / link.prefill_bytes_per_s).max(d / link.decode_bytes_per_s);
    let (pk, dk) = (prefill.config.precision.kv.bytes(), decode.config.precision.kv.bytes());
    let convert = if pk > dk {
        (prefill.memory.kv_bytes_per_token + p) / prefill.cluster().hbm_bytes_per_s
    } else if dk > pk {
        (decode.memory.kv_bytes_per_token + d) / decode.cluster().hbm_bytes_per_s
    } else {
        0.0
    };
    KV_TRANSFER_SETUP_S + n * (wire + convert)
}

/// A disaggregated run: the whole deployment as a user sees it, and each pool.
#[derive(Debug, Clone, Serialize)]
pub struct DisaggReport {
    /// End to end, arrival to last token (its `series` is the decode pool's).
    pub combined: SimReport,
    /// The prefill pool (requests with one output token).
    pub prefill: SimReport,
    /// The decode pool (requests arriving with their prompt's KV cache).
    pub decode: SimReport,
    /// KV-cache transfer time per request, seconds.
    pub kv_transfer_s: Latency,
}

/// Simulates `reqs` (sorted by arrival) on `prefill_cfg.replicas` prefill replicas and
/// `decode_cfg.replicas` decode replicas; `transfer_s` gives a request's KV transfer time.
/// Targets and warm-up of the combined statistics come from `prefill_cfg`.
#[must_use]
pub fn simulate_disaggregated(
    reqs: &[Request],
    prefill_model: &dyn StepModel,
    decode_model: &dyn StepModel,
    prefill_cfg: &SimConfig,
    decode_cfg: &SimConfig,
    transfer_s: &dyn Fn(&Request) -> f64,
) -> DisaggReport {
    let n = reqs.len();
    let prefill_reqs: Vec<Request> = reqs.iter().map(|q| Request { output: 1, ..*q }).collect();
    let pre = run(&prefill_reqs, prefill_model, prefill_cfg, false);

    // Requests that still have tokens to generate go to the decode pool once their KV arrives:
    // the prompt and the first token are cached; `output − 1` tokens remain.
    let transfers: Vec<f64> = reqs.iter().map(transfer_s).collect();
    let mut handed: Vec<(usize, Request)> = (0..n)
        .filter(|&i| reqs[i].output > 1 && !pre.finish[i].is_nan())
        .map(|i| {
            let q = reqs[i];
            let arrival_s = pre.finish[i] + transfers[i];
            (i, Request { arrival_s, input: q.input + 1, output: q.output - 1, ..q })
        })
        .collect();
    handed.sort_by(|a, b| a.1.arrival_s.total_cmp(&b.1.arrival_s));
    let decode_reqs: Vec<Request> = handed.iter().map(|h| h.1).collect();
    // Warm-up is applied once, to the combined statistics, not again inside the decode pool.
    // Admission control is the front door's (the prefill pool's): a handed-off request is not
    // turned away.
    let dec = run(&decode_reqs, decode_model, &SimConfig { warmup: 0.0, max_queue: 0, ..*decode_cfg }, true);

    let mut finish: Vec<f64> =
        (0..n).map(|i| if reqs[i].output > 1 { f64::NAN } else { pre.finish[i] }).collect();
    for (k, (i, _)) in handed.iter().enumerate() {
        finish[*i] = dec.finish[k];
    }
    let sum = summarise(reqs, &pre.admitted, &pre.first, &finish, &pre.rejected, prefill_cfg);
    let completed = finish.iter().filter(|x| !x.is_nan()).count();
    let turned_away = pre.rejected.iter().filter(|&&r| r).count();
    let (p, d) = (&pre.report, &dec.report);
    let busy = p.utilisation * f64::from(prefill_cfg.replicas.max(1)) * p.duration_s
        + d.utilisation * f64::from(decode_cfg.replicas.max(1)) * d.duration_s;
    // Little's law on the window from the first arrival to the last completion: the time
    // average of requests in the system is the sum of their latencies over the window.
    let window = sum.duration;
    let occ = Occupancy {
        mean_in_system: sum.mean_e2e_all * completed as f64 / window,
        littles_law_product: completed as f64 / window * sum.mean_e2e_all,
        preemptions: p.preemptions + d.preemptions,
        swaps: p.swaps + d.swaps,
        cached_prefix_tokens: p.cached_prefix_tokens,
        utilisation: busy / (f64::from(prefill_cfg.replicas.max(1) + decode_cfg.replicas.max(1)) * window),
        saturated: p.saturated || d.saturated || completed + turned_away < n,
        series: d.series.clone(),
    };
    let combined = sum.report(reqs, prefill_cfg, occ);
    DisaggReport { combined, prefill: pre.report, decode: dec.report, kv_transfer_s: latency(transfers) }
}
