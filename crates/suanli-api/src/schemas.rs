//! The JSON Schemas of the planners' answers (the `schema_version` 2 contract): one place
//! that lists each answer's required keys, used for `schemas/answers/`, the OpenAPI document
//! and the tests that check real answers against them.

use serde_json::Value;
use suanli_report::answer_schema;

/// One answer's kind, header parts, result keys and latency keys.
type Answer = (&'static str, &'static [&'static str], &'static [&'static str], &'static [&'static str]);

/// Every planner answer.
const ANSWERS: [Answer; 6] = [
    ("flops", &[], &["params", "seq_len", "attention", "forward_flop_per_token"], &[]),
    (
        "infer",
        &["gpu", "layout", "precision"],
        &[
            "workload",
            "fits",
            "memory_gib_per_gpu",
            "kv_cache_gib",
            "max_batch",
            "batch",
            "output_tokens_per_s",
            "output_tokens_per_s_per_gpu",
            "total_tokens_per_s",
            "cost_usd_per_million_output_tokens",
            "bound",
            "uncertainty",
            "memory",
            "step",
        ],
        &["ttft_s", "tpot_s", "e2e_s"],
    ),
    (
        "train",
        &["gpu", "layout", "precision"],
        &[
            "config",
            "fits",
            "memory_gib_per_gpu",
            "step_time_s",
            "tokens_per_s",
            "tokens_per_s_per_gpu",
            "mfu",
            "hfu",
            "time_days",
            "gpu_hours",
            "servers",
            "energy_mwh",
            "cost_usd",
            "breakdown",
            "uncertainty",
        ],
        &[],
    ),
    (
        "finetune",
        &["gpu", "precision"],
        &[
            "method",
            "setup",
            "fits",
            "trainable_params",
            "memory_gib_per_gpu",
            "step_time_s",
            "time_days",
            "gpu_hours",
            "pf_days",
            "cost_usd",
            "breakdown",
            "uncertainty",
        ],
        &[],
    ),
    (
        "serve",
        &["gpu", "layout", "precision"],
        &[
            "replicas",
            "gpus",
            "servers",
            "targets",
            "cost_usd_per_month",
            "power_kw",
            "uncertainty",
            "load_fraction",
        ],
        &["ttft_s", "tpot_s", "e2e_s"],
    ),
    (
        "simulate",
        &["gpu", "layout", "precision"],
        &["config", "throughput_requests_per_s", "output_tokens_per_s", "goodput", "capacity"],
        &["ttft_s", "tpot_s", "e2e_s"],
    ),
];

/// Every planner answer's kind and JSON Schema.
#[must_use]
pub fn answers() -> Vec<(&'static str, Value)> {
    ANSWERS.iter().map(|(k, with, results, lat)| (*k, answer_schema(k, with, results, lat))).collect()
}

/// The schema of one answer kind.
#[must_use]
pub fn answer(kind: &str) -> Option<Value> {
    answers().into_iter().find(|(k, _)| *k == kind).map(|(_, v)| v)
}

/// Checks `v` against `schema` as far as the contract goes: required keys present, `const`s
/// equal, object- and array-typed properties of the right type. Returns what is wrong.
#[must_use]
pub fn violations(schema: &Value, v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if v.get(r).is_none() {
            out.push(format!("missing `{r}`"));
        }
    }
    if let Some(props) = schema["properties"].as_object() {
        for (k, p) in props {
            let Some(x) = v.get(k) else { continue };
            if let Some(c) = p.get("const") {
                if c != x {
                    out.push(format!("`{k}` = {x}, expected {c}"));
                }
            }
            if p["type"] == "object" && !x.is_object() {
                out.push(format!("`{k}` is not an object"));
            }
            for r in p["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if x.get(r).is_none() {
                    out.push(format!("`{k}.{r}` missing"));
                }
            }
        }
    }
    out
}
