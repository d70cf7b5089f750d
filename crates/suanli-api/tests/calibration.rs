//! A measured calibration sent inline (the file's text in `calibration`): the JSON front door
//! applies it, names it in the notes, and maps a bad one to a 400 on `calibration`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use suanli_api::json::call;
use suanli_core::Catalog;

const FIXTURE: &str = include_str!("../../suanli-core/tests/fixtures/calibration/h100-synthetic.json");

fn infer(c: &Catalog, calibration: Option<&str>) -> Value {
    let mut body =
        json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "tp": 1, "input": 4000, "output": 50, "batch": 1});
    if let Some(t) = calibration {
        body["calibration"] = Value::from(t);
    }
    serde_json::from_str(&call(c, "infer", body).unwrap()).unwrap()
}

#[test]
fn inline_calibration_changes_the_answer_and_is_named() {
    let c = Catalog::builtin().unwrap();
    let plain = infer(&c, None);
    let measured = infer(&c, Some(FIXTURE));
    let notes = measured["notes"].to_string();
    assert!(notes.contains("measured calibration (NVIDIA H100 80GB HBM3 (synthetic)"), "{notes}");
    assert_ne!(plain["ttft_s"], measured["ttft_s"]);
    // Half the GEMM rate: a slower prefill than the file's own.
    let mut half: Value = serde_json::from_str(FIXTURE).unwrap();
    for g in half["gemm"].as_array_mut().unwrap() {
        for t in g["tflops"].as_array_mut().unwrap() {
            *t = Value::from(t.as_f64().unwrap() / 2.0);
        }
    }
    let slow = infer(&c, Some(&half.to_string()));
    let ttft = |v: &Value| v["ttft_s"]["mean"].as_f64().unwrap();
    assert!(ttft(&slow) > 1.3 * ttft(&measured), "{} vs {}", ttft(&slow), ttft(&measured));
}

#[test]
fn a_bad_calibration_is_a_400_on_calibration() {
    let c = Catalog::builtin().unwrap();
    let body = json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "input": 100, "output": 10,
        "calibration": FIXTURE.replacen("\"format\": \"suanli-calibration\"", "\"format\": \"csv\"", 1)});
    let e = call(&c, "infer", body).unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(e.field.as_deref(), Some("calibration"));
    assert!(e.message.contains("`format`"), "{}", e.message);
    let body =
        json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "input": 100, "output": 10, "calibration": 3});
    assert_eq!(call(&c, "infer", body).unwrap_err().status, 400);
}

#[test]
fn a_scenario_sends_its_calibration_inline_not_as_a_path() {
    let c = Catalog::builtin().unwrap();
    let a800 = FIXTURE.replacen("\"chip\": \"h100-sxm\"", "\"chip\": \"a800-sxm-80gb\"", 1);
    let mut doc: Value = toml::from_str::<toml::Value>(suanli_core::scenario::CHATGPT_2023)
        .map(|t| serde_json::to_value(t).unwrap())
        .unwrap();
    doc["calibration"] = json!({"data": a800});
    let v: Value =
        serde_json::from_str(&call(&c, "plan", json!({"document": doc.clone()})).unwrap()).unwrap();
    assert!(v["calibration"].as_str().unwrap().contains("synthetic"));
    doc["calibration"] = json!({"file": "/etc/passwd"});
    let e = call(&c, "plan", json!({"document": doc})).unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("calibration.file"), "{}", e.message);
}
