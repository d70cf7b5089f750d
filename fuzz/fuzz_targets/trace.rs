//! A request trace (CSV or JSON Lines): parsed, and what parses is simulated on a fixed step.
#![no_main]

use libfuzzer_sys::fuzz_target;
use suanli_sim::engine::FixedStep;
use suanli_sim::sim::{SimConfig, simulate};
use suanli_sim::workload::parse_trace;

fuzz_target!(|text: &str| {
    if let Ok(reqs) = parse_trace(text, "trace.csv", 131_072) {
        if reqs.len() <= 64 && reqs.iter().all(|q| q.output <= 4096) {
            let _ = simulate(&reqs, &FixedStep { seconds: 0.01, kv_tokens: 1 << 16 }, &SimConfig::default());
        }
    }
});
