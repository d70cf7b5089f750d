//! Request types of the HTTP API (for the OpenAPI document) and their translation into the
//! command line the CLI already validates: one set of rules for both front ends.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

/// `POST /v1/infer`: the `suanli infer` flags as JSON fields.
#[allow(dead_code)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InferRequest {
    /// Catalog id (or send `model_config`).
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted.
    pub model_config: Option<Value>,
    /// Accelerator id.
    pub gpu: String,
    /// Server id for the scale-up fabric (default: the catalog's server holding that GPU).
    pub server: Option<String>,
    /// Tensor parallelism (omit to search).
    pub tp: Option<u32>,
    /// Pipeline stages.
    pub pp: Option<u32>,
    /// Expert parallelism.
    pub ep: Option<u32>,
    /// Prompt tokens.
    pub input: i64,
    /// Output tokens.
    pub output: i64,
    /// A static batch.
    pub batch: Option<i64>,
    /// Concurrent requests.
    pub concurrency: Option<i64>,
    /// bf16, fp16, fp8, int8, int4 or auto.
    pub precision: Option<String>,
    /// Weight precision.
    pub weights: Option<String>,
    /// KV-cache precision.
    pub kv: Option<String>,
    /// Fall back to bf16 compute when the chip lacks the precision.
    pub fallback: Option<bool>,
    /// Engine sequence cap.
    pub max_batch: Option<u32>,
    /// Engine token budget.
    pub max_tokens: Option<u32>,
    /// TTFT limit for the search, s.
    pub max_ttft: Option<f64>,
    /// TPOT limit for the search, s.
    pub max_tpot: Option<f64>,
    /// Rank by cost.
    pub per_dollar: Option<bool>,
}

/// `POST /v1/train`: the `suanli train` flags as JSON fields.
#[allow(dead_code)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TrainRequest {
    /// Catalog id (or send `model_config`).
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted.
    pub model_config: Option<Value>,
    /// Accelerator id.
    pub gpu: String,
    /// Server id.
    pub server: Option<String>,
    /// GPUs.
    pub gpus: Option<u64>,
    /// Tensor parallelism.
    pub tp: Option<u32>,
    /// Pipeline stages.
    pub pp: Option<u32>,
    /// Data parallelism.
    pub dp: Option<u32>,
    /// Expert parallelism.
    pub ep: Option<u32>,
    /// Context parallelism.
    pub cp: Option<u32>,
    /// Virtual stages.
    pub vp: Option<u32>,
    /// Micro-batch.
    pub micro_batch: Option<u32>,
    /// Sequences per step.
    pub global_batch: Option<u32>,
    /// Tokens per sequence.
    pub seq_len: Option<u32>,
    /// none, selective or full.
    pub recompute: Option<String>,
    /// ZeRO stage.
    pub zero: Option<u8>,
    /// bf16, fp16 or fp8.
    pub precision: Option<String>,
    /// Training tokens.
    pub tokens: Option<f64>,
    /// Deadline, days.
    pub days: Option<f64>,
    /// Average power as a fraction of TDP.
    pub power_utilisation: Option<f64>,
    /// Power usage effectiveness of the data centre.
    pub pue: Option<f64>,
    /// Rows of the Pareto front to return.
    pub top: Option<u32>,
    /// modern, fused-attention or legacy.
    pub stack: Option<String>,
}

/// `POST /v1/finetune`: the `suanli finetune` flags as JSON fields.
#[allow(dead_code)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinetuneRequest {
    /// Catalog id (or send `model_config`).
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted.
    pub model_config: Option<Value>,
    /// Accelerator id.
    pub gpu: String,
    /// GPUs.
    pub gpus: Option<u32>,
    /// sft, lora, qlora, ppo or grpo.
    pub method: String,
    /// LoRA rank.
    pub rank: Option<i64>,
    /// LoRA targets: attention, mlp, all, or a list of q,k,v,o,gate,up,down.
    pub targets: Option<String>,
    /// Training examples (SFT, LoRA).
    pub examples: Option<u64>,
    /// Mean example length, tokens.
    pub mean_len: Option<u32>,
    /// Epochs over the examples.
    pub epochs: Option<u32>,
    /// Pad every example to `seq_len` instead of packing.
    pub padded: Option<bool>,
    /// Sequence length of a training row.
    pub seq_len: Option<u32>,
    /// Sequences per optimizer step.
    pub global_batch: Option<u32>,
    /// Sequences per GPU per micro-step (LoRA/QLoRA).
    pub micro_batch: Option<u32>,
    /// Turn off gradient checkpointing.
    pub no_checkpointing: Option<bool>,
    /// Prompts per RLHF iteration.
    pub prompts: Option<u32>,
    /// Prompt tokens (RLHF).
    pub prompt_len: Option<u32>,
    /// Response tokens (RLHF).
    pub response_len: Option<u32>,
    /// Responses per prompt (GRPO, at least 2).
    pub group_size: Option<i64>,
    /// Training passes per RLHF iteration.
    pub ppo_epochs: Option<u32>,
    /// RLHF iterations.
    pub iterations: Option<u32>,
    /// colocated or separated.
    pub placement: Option<String>,
}

/// `POST /v1/sweep`: the `suanli sweep` flags as JSON fields (lists as arrays).
#[allow(dead_code)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SweepRequest {
    /// Catalog ids.
    pub model: Vec<String>,
    /// Chip ids, or `all`.
    pub gpu: Vec<String>,
    /// Prompt lengths.
    pub input: Vec<i64>,
    /// Output lengths.
    pub output: Vec<i64>,
    /// bf16, fp16, fp8, int8, int4 or auto.
    pub precision: Option<String>,
    /// Compute in bf16/fp16 on chips lacking the precision.
    pub fallback: Option<bool>,
    /// TTFT limit, s.
    pub max_ttft: Option<f64>,
    /// TPOT limit, s.
    pub max_tpot: Option<f64>,
    /// Rank by cost.
    pub per_dollar: Option<bool>,
    /// `k/n`: every n-th combination from the k-th.
    pub shard: Option<String>,
}

/// `POST /v1/serve`: the `suanli serve` flags as JSON fields.
#[allow(dead_code)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServeRequest {
    /// Catalog id.
    pub model: String,
    /// Chips to consider.
    pub gpu: Option<Vec<String>>,
    /// Fixed tensor parallelism.
    pub tp: Option<u32>,
    /// Peak requests/s.
    pub rate: Option<f64>,
    /// Requests a day.
    pub daily_requests: Option<f64>,
    /// Peak over mean.
    pub peak_to_average: Option<f64>,
    /// Prompt tokens.
    pub input: Option<i64>,
    /// Output tokens.
    pub output: Option<i64>,
    /// `sharegpt`.
    pub lengths: Option<String>,
    /// p99 TTFT target, s.
    pub ttft_p99: f64,
    /// p99 TPOT target, s.
    pub tpot_p99: f64,
    /// Engine sequence cap per replica.
    pub max_batch: Option<u32>,
    /// Engine token budget per step.
    pub max_tokens: Option<u32>,
    /// Confirm with the simulator.
    pub simulate: Option<bool>,
    /// Requests per simulation (work budget applies).
    pub requests: Option<u64>,
    /// Seed.
    pub seed: Option<u64>,
    /// Gap coefficient of variation.
    pub burstiness: Option<f64>,
    /// Precision.
    pub precision: Option<String>,
    /// Also size separate prefill and decode pools (simulated).
    pub disaggregate: Option<bool>,
}

/// `POST /v1/simulate`: the `suanli simulate` flags as JSON fields.
#[allow(dead_code)]
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SimulateRequest {
    /// Catalog id.
    pub model: String,
    /// Chip id.
    pub gpu: String,
    /// Tensor parallelism.
    pub tp: Option<u32>,
    /// Replicas.
    pub replicas: u32,
    /// Requests/s.
    pub rate: f64,
    /// Requests to simulate (work budget applies).
    pub requests: Option<u64>,
    /// Prompt tokens.
    pub input: Option<i64>,
    /// Output tokens.
    pub output: Option<i64>,
    /// `sharegpt`.
    pub lengths: Option<String>,
    /// Seed.
    pub seed: Option<u64>,
    /// round-robin, least-outstanding, prefix-affinity.
    pub router: Option<String>,
    /// continuous or static.
    pub scheduler: Option<String>,
    /// paged or reserve.
    pub kv_policy: Option<String>,
    /// Turns per conversation.
    pub turns: Option<u32>,
    /// Think time, s.
    pub think: Option<f64>,
    /// p99 TTFT target, s.
    pub ttft_p99: Option<f64>,
    /// p99 TPOT target, s.
    pub tpot_p99: Option<f64>,
    /// Gap coefficient of variation.
    pub burstiness: Option<f64>,
    /// Precision.
    pub precision: Option<String>,
    /// Engine sequence cap per replica.
    pub max_batch: Option<u32>,
    /// Engine token budget per step.
    pub max_tokens: Option<u32>,
    /// Disaggregate: prefill replicas (`replicas` is then the decode pool).
    pub prefill_replicas: Option<u32>,
    /// Tensor-parallel degree of a prefill replica (default: `tp`).
    pub prefill_tp: Option<u32>,
}

/// An API error: the field at fault (if one is) and a message.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub field: Option<String>,
    pub message: String,
}

impl ApiError {
    pub(crate) fn bad(field: Option<&str>, message: impl Into<String>) -> ApiError {
        ApiError { status: 400, field: field.map(str::to_string), message: message.into() }
    }

    pub(crate) fn body(&self) -> Value {
        serde_json::json!({ "error": { "field": self.field, "message": self.message } })
    }
}

/// Keys that would reach the server's file system or output; the API refuses them.
/// (`output` is a token count for `infer`, `serve` and `simulate`, a file path for `train`
/// and `finetune`.)
/// `format` and `quiet` are the server's to set: it always asks for JSON and no progress bar.
const FORBIDDEN: [&str; 6] = ["catalog", "out_file", "charts", "trace", "format", "quiet"];

/// Commands whose `--output` is a file path rather than a token count.
const FILE_OUTPUT: [&str; 2] = ["train", "finetune"];

/// Distinguishes scratch files written by concurrent requests.
static SCRATCH_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Most model × chip × lengths combinations one sweep call may ask for (`gpu: ["all"]`
/// counts as 64 chips).
pub(crate) const MAX_SWEEP_COMBINATIONS: usize = 2_000;

/// Largest number of simulated requests one API call may ask for.
pub(crate) const MAX_SIM_REQUESTS: u64 = 200_000;

/// Translates a JSON object into `suanli <command> --flag value …`, refusing file access and
/// work beyond the budget. `model_config` is written to `scratch` and passed as a file.
pub(crate) fn argv(command: &str, body: &Value, scratch: &std::path::Path) -> Result<Vec<String>, ApiError> {
    let Value::Object(map) = body else {
        return Err(ApiError::bad(None, "the body must be a JSON object"));
    };
    let mut out = vec!["suanli".to_string(), command.to_string()];
    let fields: BTreeMap<&String, &Value> = map.iter().collect();
    for (k, v) in fields {
        let key = k.as_str();
        if FORBIDDEN.contains(&key) || (key == "output" && FILE_OUTPUT.contains(&command)) {
            return Err(ApiError::bad(Some(key), format!("`{key}` is not accepted over HTTP")));
        }
        if key == "model_config" {
            let seq = SCRATCH_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("pasted-{}-{seq}.json", std::process::id());
            let path = scratch.join(name);
            std::fs::write(&path, v.to_string()).map_err(|e| ApiError {
                status: 500,
                field: None,
                message: format!("scratch file: {e}"),
            })?;
            if !map.contains_key("model") {
                out.push("--model".into());
                out.push(path.display().to_string());
            }
            continue;
        }
        if key == "model" {
            let s = v.as_str().unwrap_or_default().to_ascii_lowercase();
            if s.ends_with(".json") || s.ends_with(".toml") || s.contains('/') {
                return Err(ApiError::bad(
                    Some("model"),
                    "a catalog id; send a config.json as `model_config`",
                ));
            }
        }
        if key == "lengths" && v.as_str() != Some("sharegpt") {
            return Err(ApiError::bad(Some("lengths"), "`sharegpt` (files are not read over HTTP)"));
        }
        if command == "sweep" && key == "model" {
            // Items a list flag holds: array elements or comma-separated parts, `all` as 64 chips.
            let len = |k: &str| {
                let parts = |x: &Value| match x {
                    Value::String(t) => t.split(',').map(|p| if p.trim() == "all" { 64 } else { 1 }).sum(),
                    _ => 1,
                };
                match map.get(k) {
                    Some(Value::Array(xs)) => xs.iter().map(parts).sum::<usize>().max(1),
                    Some(x) => parts(x),
                    None => 1,
                }
            };
            let n = len("model") * len("gpu") * len("input") * len("output");
            if n > MAX_SWEEP_COMBINATIONS {
                return Err(ApiError::bad(
                    Some("model"),
                    format!(
                        "{n} combinations exceed the server's work budget of {MAX_SWEEP_COMBINATIONS}; shard the sweep (`shard`) or run `suanli sweep`"
                    ),
                ));
            }
        }
        // A count sent as a number or as text (clap accepts both).
        let count = v.as_f64().or_else(|| v.as_str().and_then(|t| t.trim().parse::<f64>().ok()));
        if key == "requests" && count.is_some_and(|n| n > MAX_SIM_REQUESTS as f64) {
            return Err(ApiError {
                status: 400,
                field: Some("requests".into()),
                message: format!(
                    "{v} simulated requests exceed the server's work budget of {MAX_SIM_REQUESTS}"
                ),
            });
        }
        let flag = format!("--{}", key.replace('_', "-"));
        let mut push = |x: &Value| -> Result<(), ApiError> {
            match x {
                Value::Null => {}
                Value::Bool(true) => out.push(flag.clone()),
                Value::Bool(false) => {}
                Value::Number(n) => {
                    out.push(flag.clone());
                    out.push(n.to_string());
                }
                Value::String(s) => {
                    out.push(flag.clone());
                    out.push(s.clone());
                }
                _ => return Err(ApiError::bad(Some(key), "a number, string or boolean")),
            }
            Ok(())
        };
        match v {
            Value::Array(items) => {
                for x in items {
                    push(x)?;
                }
            }
            x => push(x)?,
        }
    }
    out.push("--format".into());
    out.push("json".into());
    if command == "train" {
        out.push("--quiet".into());
    }
    Ok(out)
}

/// The flag a command-line error names, as the JSON field.
pub(crate) fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    let raw = &message[start..end];
    let name = raw.trim_start_matches('-').split([' ', '=', '/']).next().unwrap_or(raw);
    Some(name.replace('-', "_"))
}

/// The request field an error is about: errors quote either a flag (`tp`) or a rejected value
/// (`nope` in "unknown model `nope`"); a value is traced back to the field that carried it.
pub(crate) fn request_field(quoted: Option<String>, body: &Value) -> Option<String> {
    let quoted = quoted?;
    let Value::Object(map) = body else { return Some(quoted) };
    if map.contains_key(&quoted) {
        return Some(quoted);
    }
    let carrier = map.iter().find(|(_, v)| match v {
        Value::String(s) => s.replace('-', "_").eq_ignore_ascii_case(&quoted),
        Value::Number(n) => n.to_string() == quoted,
        _ => false,
    });
    Some(carrier.map_or(quoted, |(k, _)| k.clone()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    /// The OpenAPI request types and the command line agree field for field, so the document
    /// describes exactly what `argv` will accept.
    #[test]
    fn request_types_match_the_command_line() {
        let check = |name: &str, schema: schemars::Schema| {
            let v = serde_json::to_value(schema).unwrap_or_default();
            let props: Vec<String> =
                v["properties"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
            let cli = Cli::command();
            let sub = cli.find_subcommand(name).unwrap_or_else(|| panic!("no `{name}` command"));
            let flags: Vec<String> = sub
                .get_arguments()
                .filter_map(|a| a.get_long().map(|l| l.replace('-', "_")))
                .filter(|l| {
                    !FORBIDDEN.contains(&l.as_str())
                        && l != "help"
                        && !(l == "output" && FILE_OUTPUT.contains(&name))
                })
                .collect();
            let extra: Vec<&String> =
                props.iter().filter(|p| p.as_str() != "model_config" && !flags.contains(p)).collect();
            assert!(extra.is_empty(), "`{name}` request fields that are not flags: {extra:?}");
            let missing: Vec<&String> = flags.iter().filter(|f| !props.contains(f)).collect();
            assert!(missing.is_empty(), "`{name}` flags missing from the request type: {missing:?}");
        };
        check("infer", schemars::schema_for!(InferRequest));
        check("train", schemars::schema_for!(TrainRequest));
        check("serve", schemars::schema_for!(ServeRequest));
        check("finetune", schemars::schema_for!(FinetuneRequest));
        check("sweep", schemars::schema_for!(SweepRequest));
        check("simulate", schemars::schema_for!(SimulateRequest));
    }

    #[test]
    fn a_rejected_value_is_traced_to_its_field() {
        let body = serde_json::json!({"model": "gpt-17", "tp": 8});
        assert_eq!(request_field(Some("gpt_17".into()), &body).as_deref(), Some("model"));
        assert_eq!(request_field(Some("tp".into()), &body).as_deref(), Some("tp"));
        assert_eq!(request_field(Some("8".into()), &body).as_deref(), Some("tp"));
        assert_eq!(request_field(None, &body), None);
    }

    #[test]
    fn argv_refuses_files_and_oversized_work() {
        let dir = std::env::temp_dir();
        let ok = argv(
            "infer",
            &serde_json::json!({"model": "llama-2-70b", "tp": 8, "fallback": true, "batch": null}),
            &dir,
        );
        assert_eq!(
            ok.ok(),
            Some(
                ["suanli", "infer", "--fallback", "--model", "llama-2-70b", "--tp", "8", "--format", "json"]
                    .map(String::from)
                    .to_vec()
            )
        );
        let e = argv("infer", &serde_json::json!({"model": "../secret.json"}), &dir).err();
        assert_eq!(e.and_then(|e| e.field).as_deref(), Some("model"));
        let e = argv("simulate", &serde_json::json!({"requests": MAX_SIM_REQUESTS + 1}), &dir).err();
        assert_eq!(e.and_then(|e| e.field).as_deref(), Some("requests"));
    }
}
