//! The disaggregated pools' fields through the JSON front door (HTTP and Python share it): a
//! pool chip the catalog lacks, a precision the chip does not compute in, a KV link that
//! cannot be, each a 400 naming its field; wide EP and heterogeneous pools answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use suanli_api::json::call;
use suanli_core::Catalog;

fn simulate(extra: Value) -> Value {
    let mut body = json!({
        "model": "llama3.1-70b", "gpu": "h100-sxm", "tp": 4, "replicas": 2, "prefill_replicas": 1,
        "rate": 2, "requests": 300, "input": 2000, "output": 300
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

#[test]
fn pool_fields_refuse_bad_values_naming_them() {
    let c = Catalog::builtin().unwrap();
    let serve = |extra: Value| {
        let mut b = json!({
            "model": "llama3.1-70b", "gpu": "h20", "rate": 2, "input": 1000, "output": 200,
            "ttft_p99": 2, "tpot_p99": 0.1, "disaggregate": true
        });
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let cases = [
        ("simulate", simulate(json!({"prefill_gpu": "h999"})), "prefill_gpu"),
        ("simulate", simulate(json!({"prefill_precision": "fp4"})), "prefill_precision"),
        (
            "simulate",
            simulate(json!({"prefill_gpu": "a100-sxm-80gb", "prefill_precision": "fp8"})),
            "prefill_precision",
        ),
        ("simulate", simulate(json!({"prefill_gpu": "h20", "kv_link": "nvlink"})), "kv_link"),
        ("simulate", simulate(json!({"kv_link": "infiniband"})), "kv_link"),
        ("simulate", simulate(json!({"prefill_ep": 0})), "prefill_ep"),
        ("serve", serve(json!({"prefill_gpu": "nope"})), "prefill_gpu"),
        ("serve", serve(json!({"prefill_gpu": "h100-sxm", "prefill_precision": "fp4"})), "prefill_precision"),
    ];
    for (cmd, body, field) in cases {
        let e = call(&c, cmd, body).unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, Some(field)), "{cmd} {field}: {}", e.message);
    }
}

#[test]
fn heterogeneous_and_wide_pools_answer() {
    let c = Catalog::builtin().unwrap();
    let v: Value = serde_json::from_str(
        &call(&c, "simulate", simulate(json!({"gpu": "h20", "prefill_gpu": "h100-sxm"}))).unwrap(),
    )
    .unwrap();
    let kv = v["disaggregated"]["kv_transfer_s"]["mean"].as_f64().unwrap();
    assert!(kv > 0.0 && kv.is_finite());
    let wide = json!({
        "model": "deepseek-v3", "gpu": "h100-sxm", "precision": "fp8", "tp": 1, "ep": 72, "replicas": 1,
        "rate": 10, "requests": 500, "input": 2000, "output": 100
    });
    let v: Value = serde_json::from_str(&call(&c, "simulate", wide).unwrap()).unwrap();
    assert_eq!(v["gpu"]["count"], 72);
    assert!(v["tpot_s"]["p50"].as_f64().unwrap() > 0.0);
}
