//! The JSON front door answers every command and maps failures to typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use suanli_api::json::call;
use suanli_core::Catalog;

fn ok(c: &Catalog, cmd: &str, body: Value) -> Value {
    let text = call(c, cmd, body).unwrap_or_else(|e| panic!("{cmd}: {e:?}"));
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn every_command_answers() {
    let c = Catalog::builtin().unwrap();
    let kinds = [
        ("flops", json!({"model": "llama2-7b"})),
        ("infer", json!({"model": "llama2-7b", "gpu": "h100-sxm", "input": 512, "output": 128})),
        ("train", json!({"model": "llama2-7b", "gpu": "h100-sxm", "gpus": 8})),
        ("finetune", json!({"model": "llama2-7b", "gpu": "h100-sxm", "method": "lora"})),
        (
            "serve",
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "rate": 2, "input": 512, "output": 128, "ttft_p99": 2, "tpot_p99": 0.1}),
        ),
        (
            "simulate",
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "replicas": 1, "rate": 1, "requests": 200, "input": 128, "output": 32}),
        ),
        ("plan", json!({"document": suanli_core::scenario::CHATGPT_2023})),
        ("audit", json!({"document": "[[value]]\nid = \"a\"\nvalue = 1.0\nunit = \"USD\"\n"})),
        ("validate", json!({})),
        ("catalog", json!({"id": "h100-sxm"})),
    ];
    for (cmd, body) in kinds {
        let v = ok(&c, cmd, body);
        assert!(v.is_object(), "{cmd}: {v}");
        assert!(v["schema_version"].is_number(), "{cmd} carries schema_version: {v}");
    }
    let sweep =
        json!({"model": "llama2-7b", "gpu": ["h100-sxm", "a100-sxm-80gb"], "input": [128], "output": [32]});
    assert_eq!(ok(&c, "sweep", sweep)["rows"].as_array().map(Vec::len), Some(2));
    assert!(ok(&c, "catalog", json!({"kind": "accelerators"})).is_object());
}

#[test]
fn failures_are_typed() {
    let c = Catalog::builtin().unwrap();
    let e = call(&c, "infer", json!({"model": "llama2-7b", "gpu": "h100-sxm", "input": 512})).unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("output_tokens")));
    let e = call(
        &c,
        "infer",
        json!({"model": "llama2-7b", "gpu": "h100-sxm", "input": 5, "output": 5, "colour": 1}),
    )
    .unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("colour")));
    let e = call(
        &c,
        "infer",
        json!({"model": "llama2-7b", "gpu": "h100-sxm", "input": 5, "output": 5, "tp": -1}),
    )
    .unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("tp")));
    let e =
        call(&c, "infer", json!({"model": "nope", "gpu": "h100-sxm", "input": 5, "output": 5})).unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("model")));
    let e = call(
        &c,
        "infer",
        json!({"model": "llama3.1-405b", "gpu": "l4", "tp": 1, "input": 512, "output": 64}),
    )
    .unwrap_err();
    assert_eq!(e.status, 422);
    assert!(e.answer.is_some(), "a layout that does not fit still shows its memory");
    assert_eq!(e.to_json()["error"]["kind"], "infeasible");
    assert_eq!(call(&c, "nope", json!({})).unwrap_err().status, 404);
}

/// A small `simulate` request with `extra` fields.
fn sim(extra: Value) -> Value {
    let mut body = json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "replicas": 1, "rate": 2, "requests": 100, "input": 256, "output": 32});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

/// The serving policies answer through the JSON front door: per-class goodput, rejections, swaps.
#[test]
fn simulate_policies_answer() {
    let c = Catalog::builtin().unwrap();
    let a = ok(
        &c,
        "simulate",
        sim(
            json!({"classes": "0.3:0.5:0.05,0.7:5:0.5", "max_queue": 4, "kv_offload_gib": 16, "scheduler": "orca", "rate": 40, "requests": 400}),
        ),
    );
    assert_eq!(a["classes"].as_array().unwrap().len(), 2);
    assert!(a["rejected"].as_u64().is_some() && a["swaps"].as_u64().is_some());
    let notes = a["notes"].to_string();
    assert!(
        notes.contains("admission control")
            && notes.contains("KV offload")
            && notes.contains("priority classes")
    );
}

/// FP4 is a serving precision (NVFP4 and MXFP4 name it); a chip without an FP4 rate refuses it
/// naming the field; a checkpoint's stored precision is the default: weights and activations on
/// a chip that computes at it, weights only elsewhere.
#[test]
fn fp4_serving_and_the_checkpoint_precision() {
    let c = Catalog::builtin().unwrap();
    let infer = |extra: Value| {
        let mut body = json!({"gpu": "b200", "batch": 8, "input": 512, "output": 64});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        call(&c, "infer", body)
    };
    let a: Value =
        serde_json::from_str(&infer(json!({"model": "llama3.1-8b", "precision": "nvfp4"})).unwrap()).unwrap();
    assert_eq!(a["precision"]["weights"], "fp4");
    assert_eq!(a["precision"]["kv"], "fp8");
    let e = infer(json!({"model": "llama3.1-8b", "precision": "nvfp4", "gpu": "h100-sxm"})).unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("precision")), "{}", e.message);
    let oss: Value =
        serde_json::from_str(include_str!("../../suanli-core/catalog/hf/openai--gpt-oss-120b.json")).unwrap();
    let on = |gpu: &str| -> Value {
        serde_json::from_str(&infer(json!({"model_config": oss.clone(), "gpu": gpu})).unwrap()).unwrap()
    };
    let (b200, h100) = (on("b200"), on("h100-sxm"));
    assert_eq!(
        (b200["precision"]["weights"].as_str(), b200["precision"]["activations"].as_str()),
        (Some("fp4"), Some("fp4"))
    );
    assert_eq!(
        (h100["precision"]["weights"].as_str(), h100["precision"]["activations"].as_str()),
        (Some("fp4"), Some("bf16"))
    );
    assert!(h100["notes"].to_string().contains("weight-only"));
    // Asked for, bf16 it is.
    let bf16: Value = serde_json::from_str(
        &infer(json!({"model_config": oss, "gpu": "h100-sxm", "precision": "bf16"})).unwrap(),
    )
    .unwrap();
    assert_eq!(bf16["precision"]["weights"], "bf16");
}

#[test]
fn the_new_fields_refuse_bad_values_naming_them() {
    let c = Catalog::builtin().unwrap();
    let cases = [
        (
            "infer",
            json!({"model": "deepseek-v3", "gpu": "h100-sxm", "tp": 1, "ep": 8, "dp_attention": 0, "input": 512, "output": 64}),
            "dp_attention",
        ),
        (
            "infer",
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "input": 512, "output": 64, "speculative": "medusa"}),
            "speculative",
        ),
        ("train", json!({"model": "llama2-7b", "gpu": "h100-sxm", "gpus": 8, "etp": 2}), "etp"),
        (
            "train",
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "gpus": 8, "sharding": "zero9"}),
            "sharding",
        ),
        (
            "train",
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "gpus": 8, "pp": 2, "first_stage_layers": 0}),
            "first_stage_layers",
        ),
        (
            "serve",
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "rate": 2, "workload": "poetry", "ttft_p99": 2, "tpot_p99": 0.1}),
            "workload",
        ),
        ("validate", json!({"set": "nope"}), "set"),
        ("simulate", sim(json!({"classes": "0.5:1:0.1,0.6:5:0.5"})), "classes"),
        ("simulate", sim(json!({"classes": "1"})), "classes"),
        ("simulate", sim(json!({"classes": "0.5:1,0.5:1"})), "classes"),
        ("simulate", sim(json!({"max_queue": 0})), "max_queue"),
        ("simulate", sim(json!({"kv_offload_gib": -1})), "kv_offload_gib"),
        ("simulate", sim(json!({"kv_offload_gib": 8, "kv_policy": "reserve"})), "kv_offload_gib"),
        ("simulate", sim(json!({"scheduler": "fifo"})), "scheduler"),
    ];
    for (cmd, body, field) in cases {
        let e = call(&c, cmd, body).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, Some(field)), "{cmd} {field}: {}", e.message);
    }
}

/// OPT-175B's published layout through the JSON front door: refused with the field named
/// under Megatron's rule, answered with `uneven_batch`.
#[test]
fn train_uneven_batch_through_json() {
    let c = Catalog::builtin().unwrap();
    let body = |uneven: bool| {
        json!({"model": "opt-175b", "gpu": "a100-sxm-80gb", "gpus": 992, "tp": 8, "pp": 1, "dp": 124,
               "micro_batch": 1, "global_batch": 1024, "seq_len": 2048, "sharding": "fsdp",
               "uneven_batch": uneven})
    };
    let e = call(&c, "train", body(false)).expect_err("1,024 over dp 124");
    let s = format!("{e:?}");
    assert!(s.contains("global_batch") && s.contains("uneven_batch"), "{s}");
    let v = ok(&c, "train", body(true));
    assert_eq!(v["layout"]["dp"], 124);
    assert!(v["notes"].to_string().contains("32 replicas run 9"), "{}", v["notes"]);
}

#[test]
fn whole_prompts_wait_for_room_in_the_step_budget() {
    let c = Catalog::builtin().unwrap();
    let body = |chunked: bool| {
        json!({"model": "llama2-7b", "gpu": "h100-sxm", "replicas": 1, "rate": 40, "requests": 2000,
               "input": 1500, "output": 64, "max_tokens": 2048, "chunked_prefill": chunked})
    };
    let chunked = ok(&c, "simulate", body(true));
    let whole = ok(&c, "simulate", body(false));
    let mean =
        |v: &Value, k: &str| v["report"][k]["mean"].as_f64().or_else(|| v[k]["mean"].as_f64()).unwrap();
    // A 1,500-token prompt fits a 2,048-token step once, so whole prompts go one a step while
    // chunks pack the budget: the runs differ, and both finish every request.
    assert!((mean(&chunked, "ttft_s") - mean(&whole, "ttft_s")).abs() > 1e-6);
    for v in [&chunked, &whole] {
        assert!(v.to_string().contains("\"measured\""), "{v}");
    }
    let bad = json!({"model": "llama2-7b", "gpu": "h100-sxm", "replicas": 1, "rate": 1, "input": 8,
                     "output": 8, "chunked_prefill": "yes"});
    let e = call(&c, "simulate", bad).unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("chunked_prefill")), "{}", e.message);
}
