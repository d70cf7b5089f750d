//! suanli in the browser: one function, [`call`], over `suanli_api::json::call` with the
//! built-in catalog parsed once. `page.html` loads it (through wasm-bindgen's `--target web`
//! glue) when it is not served by `suanli web`, so the exported folder answers every planner
//! with no server.
//!
//! Besides the commands of `json::call` (the same JSON as `suanli <command> -f json`), two
//! that the server answers at its own paths: `plan_html` (`{"document": …}` → the plan as the
//! HTML report, what `POST /v1/plan?format=html` answers) and `scenario_chatgpt` (the
//! embedded ChatGPT scenario's TOML, what `GET /v1/scenarios/chatgpt` answers).
//! The host build has the same function (tests call it); only the `wasm_bindgen` export is
//! wasm-only.

use std::sync::OnceLock;

use serde_json::{Value, json};
use suanli_api::json::CallError;
use suanli_core::Catalog;

fn catalog() -> Result<&'static Catalog, String> {
    static C: OnceLock<Result<Catalog, String>> = OnceLock::new();
    C.get_or_init(|| Catalog::builtin().map_err(|e| e.to_string())).as_ref().map_err(Clone::clone)
}

fn error(status: u16, message: &str) -> String {
    json!({ "status": status, "error": { "kind": "input", "field": null, "message": message } }).to_string()
}

fn failed(e: &CallError) -> String {
    let mut v = e.to_json();
    v["status"] = json!(e.status);
    v.to_string()
}

/// The answer to `command` for the JSON `body`: the answer's JSON, or
/// `{"status": 400|404|422|500, "error": {"kind", "field", "message"}, "result"?}`.
#[must_use]
pub fn answer(command: &str, body: &str) -> String {
    let catalog = match catalog() {
        Ok(c) => c,
        Err(e) => return error(500, &format!("built-in catalog: {e}")),
    };
    if command == "scenario_chatgpt" {
        return json!({ "toml": suanli_core::scenario::CHATGPT_2023 }).to_string();
    }
    let body: Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(e) => return error(400, &format!("the body is not JSON: {e}")),
    };
    if command == "plan_html" {
        return plan_html(catalog, body);
    }
    match suanli_api::json::call(catalog, command, body) {
        Ok(text) => text,
        Err(e) => failed(&e),
    }
}

/// `plan_html`: the scenario (`{"document": TOML text or object}`) as the HTML report.
fn plan_html(catalog: &Catalog, body: Value) -> String {
    let doc = match body.get("document") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => return error(400, "plan_html: give {\"document\": the scenario's TOML text}"),
    };
    let report = suanli_api::scenario(&doc, "document")
        .and_then(|s| suanli_api::plan(catalog, &s, "document"))
        .map_err(CallError::from);
    match report {
        Ok(r) => match suanli_report::render_plan(&r.answer, suanli_report::Format::Html) {
            Ok(html) => json!({ "html": html }).to_string(),
            Err(e) => error(500, &format!("answer: {e}")),
        },
        Err(e) => failed(&e),
    }
}

/// `call(command, body)` for JavaScript (wasm32 only): see [`answer`].
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
#[must_use]
pub fn call(command: &str, body: &str) -> String {
    answer(command, body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_json_call_and_reports_errors() {
        let body = r#"{"model":"llama3.1-8b","gpu":"h100-sxm","input":512,"output":128}"#;
        let direct = suanli_api::json::call(
            &Catalog::builtin().unwrap(),
            "infer",
            serde_json::from_str(body).unwrap(),
        )
        .unwrap();
        assert_eq!(answer("infer", body), direct);
        let e: Value = serde_json::from_str(&answer("infer", "{nope")).unwrap();
        assert_eq!(e["status"], 400);
        let e: Value = serde_json::from_str(&answer("nothing", "{}")).unwrap();
        assert_eq!(e["status"], 404);
        let e: Value = serde_json::from_str(&answer("infer", r#"{"model":"x","gpu":"h100-sxm"}"#)).unwrap();
        assert_eq!(e["status"], 400);
        let toml: Value = serde_json::from_str(&answer("scenario_chatgpt", "")).unwrap();
        let html: Value =
            serde_json::from_str(&answer("plan_html", &json!({"document": toml["toml"]}).to_string()))
                .unwrap();
        assert!(html["html"].as_str().unwrap().contains("<svg"), "{html}");
    }
}
