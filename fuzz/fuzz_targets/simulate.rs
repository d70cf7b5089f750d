//! The simulator on arbitrary small workloads, step models and configurations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use suanli_sim::engine::FixedStep;
use suanli_sim::policy::Offload;
use suanli_sim::sim::{KvPolicy, Router, Scheduler, SimConfig, simulate};
use suanli_sim::workload::Request;

fuzz_target!(|data: &[u8]| {
    if data.len() < 24 {
        return;
    }
    let (head, body) = data.split_at(24);
    let f = |i: usize| f64::from_le_bytes(head[i..i + 8].try_into().unwrap_or([0; 8]));
    let (seconds, warmup) = (f(0), f(8));
    let cfg = SimConfig {
        replicas: u32::from(head[16] % 8) + 1,
        router: [Router::RoundRobin, Router::LeastOutstanding, Router::PrefixAffinity]
            [usize::from(head[17] % 3)],
        scheduler: [Scheduler::Continuous, Scheduler::Static, Scheduler::PrefillFirst, Scheduler::Orca]
            [usize::from(head[18] % 4)],
        kv_policy: if head[19] % 2 == 0 { KvPolicy::Paged } else { KvPolicy::Reserve },
        max_batch: u32::from(head[20]) + 1,
        max_tokens: u32::from(u16::from_le_bytes([head[21], head[22]])) + 1,
        block_tokens: u32::from(head[23] % 64),
        warmup,
        targets: Some((1.0, 0.1)),
        class_targets: [None, Some((5.0, 0.5)), None, None],
        // Swapping instead of recomputing, when the bit is set; every arrival still completes.
        offload: (head[19] & 2 != 0).then_some(Offload { host_tokens: u64::from(head[20]) * 64, tokens_per_s: 1e6 }),
        ..SimConfig::default()
    };
    let mut reqs: Vec<Request> = body
        .chunks_exact(8)
        .take(64)
        .map(|c| Request {
            arrival_s: f64::from(u16::from_le_bytes([c[0], c[1]])) * 0.01,
            input: u32::from(u16::from_le_bytes([c[2], c[3]])) + 1,
            output: u32::from(u16::from_le_bytes([c[4], c[5]]) % 2048) + 1,
            conversation: u32::from(c[6] % 8),
            prefix: u32::from(c[7]),
            class: c[6] / 64,
        })
        .collect();
    reqs.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
    let kv = u64::from(u32::from_le_bytes([head[16], head[17], head[18], head[19]]));
    let r = simulate(&reqs, &FixedStep { seconds, kv_tokens: kv }, &cfg);
    let completed: u64 = r.series.completions.iter().sum();
    assert_eq!(completed, reqs.len() as u64, "every arrival completes");
});
