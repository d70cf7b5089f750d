//! `suanli web`: the planners over HTTP (axum) and a dashboard page.
//!
//! JSON endpoints take the CLI's flags as fields and answer with the CLI's JSON: a request is
//! translated into the command line ([`api::argv`]) and run by the same code, so validation
//! and output are identical. CPU-heavy work runs on blocking threads, at most a few at once,
//! each under a time budget; errors are `{"error": {"field", "message"}}` with a 4xx status
//! (503 when the budget runs out).

mod api;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use serde_json::Value;
use suanli_core::plan::plan;
use suanli_core::scenario::{CHATGPT_2023, Scenario};
use tokio::sync::Semaphore;

use crate::cli::Cli;
use crate::io::{CliError, captured};
use api::{ApiError, argv, field_of, request_field};

/// Request bodies above this size are refused (413).
const BODY_LIMIT: usize = 1 << 20;

struct AppState {
    jobs: Arc<Semaphore>,
    budget: Duration,
    scratch: std::path::PathBuf,
}

fn json_response(status: u16, body: &Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn error(e: &ApiError) -> Response {
    json_response(e.status, &e.body())
}

/// A clap error as an API error naming the field.
fn clap_error(e: &clap::Error) -> ApiError {
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let field =
        arg.map(|a| a.trim_start_matches('-').split([' ', '=']).next().unwrap_or_default().replace('-', "_"));
    let first = e.to_string().lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
    let message = match e.kind() {
        ErrorKind::UnknownArgument => format!("unknown field `{}`", field.clone().unwrap_or_default()),
        ErrorKind::MissingRequiredArgument => {
            format!("missing field `{}`", field.clone().unwrap_or_default())
        }
        _ => first,
    };
    ApiError { status: 400, field, message }
}

/// Runs `work` on a blocking thread that holds a job permit until the work ends, so a
/// computation that outlives its budget still counts against `--jobs`; waiting for a permit
/// and working share the time budget (503 when it runs out).
async fn off_thread<T: Send + 'static>(
    st: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let jobs = Arc::clone(&st.jobs);
    let run = async move {
        let permit = jobs.acquire_owned().await.map_err(|_| ApiError {
            status: 503,
            field: None,
            message: "the server is shutting down".into(),
        })?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| ApiError {
            status: 500,
            field: None,
            message: "the computation failed".into(),
        })
    };
    tokio::time::timeout(st.budget, run).await.unwrap_or_else(|_| {
        Err(ApiError {
            status: 503,
            field: None,
            message: format!(
                "the work budget of {:.1} s was exceeded: fix more of the layout or lower the load",
                st.budget.as_secs_f64()
            ),
        })
    })
}

/// Runs a CLI command line on a blocking thread under the budget.
async fn run_argv(st: &AppState, argv: Vec<String>, body: Value) -> Response {
    let task = off_thread(st, move || {
        let cli = match Cli::try_parse_from(argv) {
            Ok(c) => c,
            Err(e) => return (Err(clap_error(&e)), String::new()),
        };
        let (result, out) = captured(|| crate::run(cli));
        let mapped = result.map_err(|e| match e {
            CliError::Input(m) => {
                ApiError { status: 400, field: request_field(field_of(&m), &body), message: m }
            }
            CliError::Infeasible(m) => ApiError { status: 422, field: None, message: m },
            CliError::Output(m) => ApiError { status: 500, field: None, message: m },
        });
        (mapped, out)
    });
    match task.await {
        Err(e) => error(&e),
        Ok((Ok(()), out)) => match serde_json::from_str::<Value>(&out) {
            Ok(v) => json_response(200, &v),
            // JSON Lines (`sweep`): one array of the rows.
            Err(_) => match out.lines().map(serde_json::from_str::<Value>).collect::<Result<Vec<_>, _>>() {
                Ok(rows) => json_response(200, &serde_json::json!({ "kind": "sweep", "rows": rows })),
                Err(_) => (StatusCode::OK, out).into_response(),
            },
        },
        Ok((Err(e), out)) => {
            let mut body = e.body();
            if let Ok(v) = serde_json::from_str::<Value>(&out) {
                body["result"] = v;
            }
            json_response(e.status, &body)
        }
    }
}

/// The body's bytes, or the extractor's rejection (413 over the size cap) as a JSON error.
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|r| ApiError {
        status: r.status().as_u16(),
        field: None,
        message: format!("request body: {r}"),
    })
}

fn body_json(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let bytes = body_bytes(body)?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad(None, format!("request body is not JSON: {e}")))
}

async fn command(st: Arc<AppState>, name: &str, body: Result<Bytes, BytesRejection>) -> Response {
    let (args, request) = match body_json(body).and_then(|v| Ok((argv(name, &v, &st.scratch)?, v))) {
        Ok(a) => a,
        Err(e) => return error(&e),
    };
    let pasted: Vec<std::path::PathBuf> =
        args.iter().map(std::path::PathBuf::from).filter(|p| p.starts_with(&st.scratch)).collect();
    let response = run_argv(&st, args, request).await;
    for p in pasted {
        // A pasted config.json lives only for its request; a failed removal leaves a file in
        // the server's own temporary folder, which is harmless.
        let _ = std::fs::remove_file(p);
    }
    response
}

/// The planners answered by [`command`]: a JSON body run as that command's flags.
const COMMANDS: [&str; 6] = ["infer", "train", "serve", "simulate", "finetune", "sweep"];

async fn command_handler(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !COMMANDS.contains(&name.as_str()) {
        return error(&ApiError {
            status: 404,
            field: None,
            message: "no such endpoint; see /openapi.json".into(),
        });
    }
    command(st, &name, body).await
}

/// Text of a TOML-or-JSON body: JSON is turned into TOML so both take one parser.
fn toml_text(body: Result<Bytes, BytesRejection>) -> Result<String, ApiError> {
    let bytes = body_bytes(body)?;
    let text =
        String::from_utf8(bytes.to_vec()).map_err(|_| ApiError::bad(None, "request body is not UTF-8"))?;
    if text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| ApiError::bad(None, format!("request body is not JSON: {e}")))?;
        return toml::to_string(&v).map_err(|e| ApiError::bad(None, format!("request body: {e}")));
    }
    Ok(text)
}

async fn plan_handler(
    State(st): State<Arc<AppState>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let text = match toml_text(body) {
        Ok(t) => t,
        Err(e) => return error(&e),
    };
    let format = match q.get("format").map_or("json", String::as_str) {
        "json" => suanli_report::Format::Json,
        "html" => suanli_report::Format::Html,
        "markdown" => suanli_report::Format::Markdown,
        "csv" => suanli_report::Format::Csv,
        other => {
            return error(&ApiError::bad(Some("format"), format!("`{other}`: json, html, markdown or csv")));
        }
    };
    let task = off_thread(&st, move || -> Result<String, ApiError> {
        let to_api = |e: suanli_core::Error| {
            let m = e.to_string();
            ApiError { status: 400, field: field_of(&m), message: m }
        };
        let catalog = suanli_core::Catalog::builtin().map_err(to_api)?;
        let s = Scenario::from_toml(&text, "request body").map_err(to_api)?;
        let r = plan(&s, &catalog, "request body").map_err(to_api)?;
        suanli_report::render_plan(&r, format).map_err(|e| ApiError {
            status: 500,
            field: None,
            message: e.to_string(),
        })
    });
    match task.await.and_then(|r| r) {
        Err(e) => error(&e),
        Ok(out) => {
            let ctype = match format {
                suanli_report::Format::Json => "application/json",
                suanli_report::Format::Html => "text/html; charset=utf-8",
                suanli_report::Format::Csv => "text/csv; charset=utf-8",
                _ => "text/markdown; charset=utf-8",
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, ctype)], out).into_response()
        }
    }
}

async fn audit_handler(body: Result<Bytes, BytesRejection>) -> Response {
    let text = match toml_text(body) {
        Ok(t) => t,
        Err(e) => return error(&e),
    };
    let result = suanli_core::econ::parse_claims(&text, "request body")
        .and_then(|f| suanli_core::econ::audit(&f, "request body").map(|r| (f, r)));
    match result {
        Ok((f, r)) => {
            match suanli_report::render_audit(f.title.as_deref(), &r, suanli_report::Format::Json) {
                Ok(s) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], s).into_response(),
                Err(e) => error(&ApiError { status: 500, field: None, message: e.to_string() }),
            }
        }
        Err(e) => {
            let m = e.to_string();
            error(&ApiError { status: 400, field: field_of(&m), message: m })
        }
    }
}

async fn catalog(Path(kind): Path<String>) -> Response {
    let k = match kind.as_str() {
        "accelerators" => suanli_report::CatalogKind::Accelerators,
        "servers" => suanli_report::CatalogKind::Servers,
        "models" => suanli_report::CatalogKind::Models,
        other => {
            return error(&ApiError {
                status: 404,
                field: Some("kind".into()),
                message: format!("`{other}`: accelerators, servers or models"),
            });
        }
    };
    match suanli_core::Catalog::builtin().map_err(|e| e.to_string()).and_then(|c| {
        suanli_report::catalog_list(&c, k, suanli_report::Format::Json).map_err(|e| e.to_string())
    }) {
        Ok(s) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(m) => error(&ApiError { status: 500, field: None, message: m }),
    }
}

async fn openapi() -> Response {
    json_response(200, &openapi_doc())
}

fn schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null)
}

/// The OpenAPI 3.1 document; request schemas are generated from the request types.
fn openapi_doc() -> Value {
    let err = serde_json::json!({ "description": "bad input", "content": { "application/json": { "schema": {
        "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["message"],
        "properties": { "field": { "type": ["string", "null"] }, "message": { "type": "string" } } } } } } } });
    let op = |summary: &str, req: Value, keys: &[&str]| {
        serde_json::json!({ "post": { "summary": summary,
            "requestBody": { "required": true, "content": { "application/json": { "schema": req } } },
            "responses": {
                "200": { "description": "the CLI's JSON", "content": { "application/json": { "schema": { "type": "object", "required": keys } } } },
                "400": err, "413": err, "422": err, "503": err } } })
    };
    let scenario = schema::<Scenario>();
    serde_json::json!({
        "openapi": "3.1.0",
        "info": { "title": "suanli", "version": env!("CARGO_PKG_VERSION"), "description": "LLM compute planning: training, inference, serving fleets, plans, audits." },
        "paths": {
            "/healthz": { "get": { "summary": "liveness", "responses": { "200": { "description": "ok" } } } },
            "/v1/catalog/{kind}": { "get": { "summary": "catalog entries with sources", "parameters": [{ "name": "kind", "in": "path", "required": true, "schema": { "enum": ["accelerators", "servers", "models"] } }], "responses": { "200": { "description": "entries and sources" }, "404": err } } },
            "/v1/infer": op("inference plan (suanli infer)", schema::<api::InferRequest>(), &["config", "fits", "memory_gib_per_gpu", "kv_cache_gib", "max_batch", "batch", "ttft_s", "tpot_s", "e2e_s", "output_tokens_per_s", "output_tokens_per_s_per_gpu", "total_tokens_per_s", "cost_usd_per_million_output_tokens", "bound"]),
            "/v1/train": op("training plan (suanli train)", schema::<api::TrainRequest>(), &["config", "fits", "memory_gib_per_gpu", "step_time_s", "tokens_per_s", "mfu", "hfu", "servers", "breakdown"]),
            "/v1/serve": op("fleet sizing (suanli serve)", schema::<api::ServeRequest>(), &["replicas", "gpus", "servers", "config", "ttft_s", "tpot_s", "e2e_s", "cost_usd_per_month", "power_kw"]),
            "/v1/sweep": op("best layout per model × chip × lengths (suanli sweep)", schema::<api::SweepRequest>(), &["kind", "rows"]),
            "/v1/finetune": op("fine-tuning plan (suanli finetune)", schema::<api::FinetuneRequest>(), &["method", "fits", "trainable_params", "memory_gib_per_gpu", "step_time_s", "time_days", "gpu_hours", "pf_days", "cost_usd", "breakdown"]),
            "/v1/simulate": op("fleet simulation (suanli simulate)", schema::<api::SimulateRequest>(), &["ttft_s", "tpot_s", "e2e_s", "throughput_requests_per_s", "output_tokens_per_s", "goodput"]),
            "/v1/plan": { "post": { "summary": "a scenario's report (TOML or JSON body; ?format=json|html|markdown|csv)",
                "requestBody": { "required": true, "content": { "application/toml": { "schema": { "type": "string" } }, "application/json": { "schema": scenario } } },
                "responses": { "200": { "description": "the report" }, "400": err, "413": err, "503": err } } },
            "/v1/audit": { "post": { "summary": "audit a claims file (TOML or JSON)", "requestBody": { "required": true, "content": { "application/toml": { "schema": { "type": "string" } } } },
                "responses": { "200": { "description": "each claim with its implied value" }, "400": err, "413": err } } }
        }
    })
}

/// The server's router.
fn router(st: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("page.html"))
            }),
        )
        .route("/healthz", get(|| async { json_response(200, &serde_json::json!({ "status": "ok" })) }))
        .route("/openapi.json", get(openapi))
        .route("/v1/catalog/{kind}", get(catalog))
        .route(
            "/v1/scenarios/chatgpt",
            get(|| async { ([(header::CONTENT_TYPE, "application/toml; charset=utf-8")], CHATGPT_2023) }),
        )
        .route("/v1/{command}", post(command_handler))
        .route("/v1/plan", post(plan_handler))
        .route("/v1/audit", post(audit_handler))
        .fallback(|| async {
            error(&ApiError {
                status: 404,
                field: None,
                message: "no such endpoint; see /openapi.json".into(),
            })
        })
        .method_not_allowed_fallback(|| async {
            error(&ApiError {
                status: 405,
                field: None,
                message: "wrong method: the /v1 planners take POST, the catalog and /healthz GET; see /openapi.json".into(),
            })
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(st)
}

/// `suanli web` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct WebArgs {
    /// Address to listen on. The default is loopback only; give 0.0.0.0:8080 to listen on all interfaces.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) addr: SocketAddr,
    /// Seconds a single computation may take before the request is answered 503.
    #[arg(long, default_value_t = 20.0)]
    pub(crate) timeout: f64,
    /// Computations run at once (others wait).
    #[arg(long, default_value_t = 4)]
    pub(crate) jobs: usize,
    /// Exit when standard input closes: a parent process (a test harness, a supervisor) that
    /// holds the pipe takes the server down with it, even if it cannot kill it.
    #[arg(long, hide = true)]
    pub(crate) stdin_lifeline: bool,
}

/// Runs the server until interrupted.
pub(crate) fn run(a: &WebArgs) -> Result<(), CliError> {
    if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout <= 3600.0) {
        return Err(CliError::Input(format!(
            "`--timeout` = {}: seconds, more than 0 and at most 3600",
            a.timeout
        )));
    }
    if !(1..=1024).contains(&a.jobs) {
        return Err(CliError::Input(format!("`--jobs` = {}: from 1 to 1024", a.jobs)));
    }
    let scratch = std::env::temp_dir().join(format!("suanli-web-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| CliError::Output(format!("scratch folder: {e}")))?;
    let st = Arc::new(AppState {
        jobs: Arc::new(Semaphore::new(a.jobs)),
        budget: Duration::from_secs_f64(a.timeout),
        scratch,
    });
    if a.stdin_lifeline {
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
            std::process::exit(0);
        });
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Output(format!("runtime: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(a.addr)
            .await
            .map_err(|e| CliError::Input(format!("cannot listen on {}: {e}", a.addr)))?;
        let local = listener.local_addr().map_err(|e| CliError::Output(e.to_string()))?;
        let scope = if local.ip().is_loopback() {
            "loopback only; pass --addr 0.0.0.0:PORT to listen on all interfaces"
        } else {
            "all interfaces of this address"
        };
        eprintln!("suanli web listening on http://{local} ({scope})");
        axum::serve(listener, router(st))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| CliError::Output(format!("server: {e}")))
    })
}
