//! The OpenAPI 3.1 document, its request schemas generated from the library's request types.

use serde_json::Value;
use suanli_core::scenario::Scenario;

fn schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// The document.
pub(crate) fn document() -> Value {
    let err = serde_json::json!({ "description": "an error", "content": { "application/json": { "schema": {
        "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["message"],
        "properties": { "field": { "type": ["string", "null"] }, "message": { "type": "string" } } },
        "result": { "description": "422 only: the answer that is not a solution" } } } } } });
    let errors = |v: &mut Value| {
        for code in ["400", "403", "413", "415", "422", "503"] {
            v["post"]["responses"][code] = err.clone();
        }
    };
    let op = |summary: &str, req: Value, kind: &str| {
        let answer = suanli_api::schemas::answer(kind)
            .unwrap_or_else(|| serde_json::json!({ "type": "object", "required": ["kind", "rows"] }));
        let mut v = serde_json::json!({ "post": { "summary": summary,
            "requestBody": { "required": true, "content": { "application/json": { "schema": req } } },
            "responses": {
                "200": { "description": "the same JSON as the command's `-f json`", "content": { "application/json": { "schema": answer } } } } } });
        errors(&mut v);
        v
    };
    let mut plan = serde_json::json!({ "post": { "summary": "a scenario's report (TOML or JSON body; ?format=json|html|markdown|csv)",
        "requestBody": { "required": true, "content": { "application/toml": { "schema": { "type": "string" } }, "application/json": { "schema": schema::<Scenario>() } } },
        "responses": { "200": { "description": "the report" } } } });
    errors(&mut plan);
    let mut audit = serde_json::json!({ "post": { "summary": "audit a claims file (TOML or JSON)",
        "requestBody": { "required": true, "content": { "application/toml": { "schema": { "type": "string" } } } },
        "responses": { "200": { "description": "each claim with its implied value" } } } });
    errors(&mut audit);
    serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "suanli", "version": env!("CARGO_PKG_VERSION"), "description": "LLM compute planning: training, inference, serving fleets, plans, audits. Requests are typed (unknown fields refused); cross-origin requests and foreign Host headers get 403, non-JSON bodies 415." },
        "paths": {
            "/healthz": { "get": { "summary": "liveness", "responses": { "200": { "description": "ok" } } } },
            "/v1/catalog/{kind}": { "get": { "summary": "catalog entries with sources", "parameters": [{ "name": "kind", "in": "path", "required": true, "schema": { "enum": ["accelerators", "servers", "models"] } }], "responses": { "200": { "description": "entries and sources" }, "404": err } } },
            "/v1/flops": op("parameters and FLOPs (suanli flops)", schema::<suanli_api::FlopsRequest>(), "flops"),
            "/v1/infer": op("inference plan (suanli infer)", schema::<suanli_api::InferRequest>(), "infer"),
            "/v1/train": op("training plan (suanli train)", schema::<suanli_api::TrainRequest>(), "train"),
            "/v1/serve": op("fleet sizing (suanli serve)", schema::<suanli_api::ServeRequest>(), "serve"),
            "/v1/sweep": op("best layout per model × chip × lengths (suanli sweep)", schema::<suanli_api::SweepRequest>(), "sweep"),
            "/v1/finetune": op("fine-tuning plan (suanli finetune)", schema::<suanli_api::FinetuneRequest>(), "finetune"),
            "/v1/simulate": op("fleet simulation (suanli simulate)", schema::<suanli_api::SimulateRequest>(), "simulate"),
            "/v1/plan": plan,
            "/v1/audit": audit
        }
    })
}
