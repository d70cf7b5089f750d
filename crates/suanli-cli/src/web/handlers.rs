//! The endpoints: a JSON body deserialized straight into the library's typed request, work
//! caps checked on the typed values, the library function run off the async threads, and
//! the answer rendered by the same renderer as `-f json`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use suanli_api::ApiResult;
use suanli_core::Catalog;
use suanli_report::Format;
use tokio::sync::Semaphore;

use super::error::{HttpError, json};

/// Most model × chip × lengths combinations one sweep call may ask for.
pub(crate) const MAX_SWEEP_COMBINATIONS: usize = 2_000;

/// Most simulated requests one call may ask for.
pub(crate) const MAX_SIM_REQUESTS: u64 = 200_000;

/// Most replicas one simulation may hold.
pub(crate) const MAX_SIM_REPLICAS: u32 = 4_096;

/// What every handler shares.
pub(crate) struct AppState {
    pub jobs: Arc<Semaphore>,
    pub budget: Duration,
    pub catalog: Arc<Catalog>,
}

/// The body as a `T` (the library's checks: unknown and missing fields named, type errors
/// with the field's path).
fn parse<T: DeserializeOwned + JsonSchema + 'static>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, HttpError> {
    let bytes = body.map_err(|r| HttpError::new(r.status(), format!("request body: {}", r.body_text())))?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| HttpError::bad(None, format!("the body is not JSON: {e}")))?;
    Ok(suanli_api::json::parse(v)?)
}

/// Runs `work` on a blocking thread that holds a job permit until the work ends, so a
/// computation that outlives its budget still counts against `--jobs`; waiting for a permit
/// and working share the time budget (503 when it runs out).
pub(crate) async fn off_thread<T: Send + 'static>(
    st: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HttpError> {
    let jobs = Arc::clone(&st.jobs);
    let run = async move {
        let permit = jobs
            .acquire_owned()
            .await
            .map_err(|_| HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "the server is shutting down"))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| HttpError::new(StatusCode::SERVICE_UNAVAILABLE, "the computation was cancelled"))
    };
    tokio::time::timeout(st.budget, run).await.unwrap_or_else(|_| {
        Err(HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "the work budget of {:.1} s was exceeded: fix more of the layout or lower the load",
                st.budget.as_secs_f64()
            ),
        ))
    })
}

/// A planner's reply as JSON: 200 with the answer, 422 with the reason and the answer when
/// the answer is not a solution.
fn reply<T>(
    r: ApiResult<T>,
    render: impl FnOnce(&T, Format) -> Result<String, serde_json::Error>,
) -> Result<Response, HttpError> {
    let text = suanli_api::json::answer(r, |d| render(d, Format::Json))?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// One planner endpoint: parse, check the caps, compute off-thread, render.
async fn planner<Req, Doc>(
    st: Arc<AppState>,
    body: Result<Bytes, BytesRejection>,
    cap: fn(&Req) -> Result<(), HttpError>,
    work: fn(&Catalog, &Req) -> ApiResult<Doc>,
    render: fn(&Doc, Format) -> Result<String, serde_json::Error>,
) -> Response
where
    Req: DeserializeOwned + JsonSchema + Send + 'static,
    Doc: Send + 'static,
{
    let run = async {
        let req: Req = parse(body)?;
        cap(&req)?;
        let catalog = Arc::clone(&st.catalog);
        let r = off_thread(&st, move || work(&catalog, &req)).await?;
        reply(r, render)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

fn no_cap<T>(_: &T) -> Result<(), HttpError> {
    Ok(())
}

fn over(field: &str, v: impl std::fmt::Display, max: impl std::fmt::Display) -> HttpError {
    HttpError::bad(
        Some(field.into()),
        format!(
            "`{field}` = {v}: more than the server's work budget of {max}; run `suanli` locally for more"
        ),
    )
}

fn simulate_cap(r: &suanli_api::SimulateRequest) -> Result<(), HttpError> {
    let n = r.requests.unwrap_or(10_000);
    if n > MAX_SIM_REQUESTS {
        return Err(over("requests", n, MAX_SIM_REQUESTS));
    }
    for (k, v) in [("replicas", Some(r.replicas)), ("prefill_replicas", r.prefill_replicas)] {
        if let Some(v) = v.filter(|&v| v > MAX_SIM_REPLICAS) {
            return Err(over(k, v, MAX_SIM_REPLICAS));
        }
    }
    Ok(())
}

fn serve_cap(r: &suanli_api::ServeRequest) -> Result<(), HttpError> {
    match r.requests {
        Some(n) if n > MAX_SIM_REQUESTS => Err(over("requests", n, MAX_SIM_REQUESTS)),
        _ => Ok(()),
    }
}

fn train_work(c: &Catalog, r: &suanli_api::TrainRequest) -> ApiResult<suanli_report::TrainDoc> {
    suanli_api::train(c, r, &|_, _| {})
}

pub(crate) async fn infer(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    planner(st, body, no_cap, suanli_api::infer, suanli_report::render_infer).await
}

pub(crate) async fn train(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    planner(st, body, no_cap, train_work, suanli_report::render_train).await
}

pub(crate) async fn finetune(
    State(st): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    planner(st, body, no_cap, suanli_api::finetune, suanli_report::render_finetune).await
}

pub(crate) async fn flops(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    planner(st, body, no_cap, suanli_api::flops, suanli_report::render_arithmetic).await
}

pub(crate) async fn serve(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    planner(st, body, serve_cap, suanli_api::serve, suanli_report::render_serve).await
}

pub(crate) async fn simulate(
    State(st): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    planner(st, body, simulate_cap, suanli_api::simulate, suanli_report::render_sim).await
}

pub(crate) async fn sweep(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    let run = async {
        let req: suanli_api::SweepRequest = parse(body)?;
        let sweep = suanli_api::sweep(&st.catalog, &req).map_err(HttpError::from)?;
        if sweep.shard_len() > MAX_SWEEP_COMBINATIONS {
            return Err(over("model", format!("{} combinations", sweep.shard_len()), MAX_SWEEP_COMBINATIONS));
        }
        let catalog = Arc::clone(&st.catalog);
        let rows = off_thread(&st, move || sweep.rows(&catalog).collect::<Vec<_>>()).await?;
        let rows: Vec<Value> = rows.iter().filter_map(|r| serde_json::to_value(r).ok()).collect();
        Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "schema_version": suanli_report::JSON_SCHEMA_VERSION, "kind": "sweep", "rows": rows }),
        ))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// The body as text (a TOML or JSON document).
fn text(body: Result<Bytes, BytesRejection>) -> Result<String, HttpError> {
    let bytes = body.map_err(|r| HttpError::new(r.status(), format!("request body: {}", r.body_text())))?;
    String::from_utf8(bytes.to_vec()).map_err(|_| HttpError::bad(None, "the body is not UTF-8"))
}

pub(crate) async fn plan(
    State(st): State<Arc<AppState>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let run = async {
        let (format, ctype) = match q.get("format").map_or("json", String::as_str) {
            "json" => (Format::Json, "application/json"),
            "html" => (Format::Html, "text/html; charset=utf-8"),
            "markdown" => (Format::Markdown, "text/markdown; charset=utf-8"),
            "csv" => (Format::Csv, "text/csv; charset=utf-8"),
            other => {
                return Err(HttpError::bad(
                    Some("format".into()),
                    format!("`format` = {other}: json, html, markdown or csv"),
                ));
            }
        };
        let text = text(body)?;
        let catalog = Arc::clone(&st.catalog);
        let out = off_thread(&st, move || -> Result<String, HttpError> {
            let s = suanli_api::scenario(&text, "request body")?;
            let r = suanli_api::plan(&catalog, &s, "request body")?;
            suanli_report::render_plan(&r.answer, format)
                .map_err(|e| HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("answer: {e}")))
        })
        .await??;
        Ok((StatusCode::OK, [(header::CONTENT_TYPE, ctype)], out).into_response())
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn audit(State(st): State<Arc<AppState>>, body: Result<Bytes, BytesRejection>) -> Response {
    let run = async {
        let text = text(body)?;
        let out = off_thread(&st, move || -> Result<String, HttpError> {
            let r = suanli_api::audit(&text, "request body")?;
            suanli_report::render_audit(r.answer.title.as_deref(), &r.answer.results, Format::Json)
                .map_err(|e| HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("answer: {e}")))
        })
        .await??;
        Ok::<_, HttpError>(
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], out).into_response(),
        )
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

pub(crate) async fn catalog(State(st): State<Arc<AppState>>, Path(kind): Path<String>) -> Response {
    let k = match kind.as_str() {
        "accelerators" => suanli_report::CatalogKind::Accelerators,
        "servers" => suanli_report::CatalogKind::Servers,
        "models" => suanli_report::CatalogKind::Models,
        other => {
            return HttpError {
                status: StatusCode::NOT_FOUND,
                field: Some("kind".into()),
                message: format!("`{other}`: accelerators, servers or models"),
                result: None,
            }
            .into_response();
        }
    };
    match suanli_report::catalog_list(&st.catalog, k, Format::Json) {
        Ok(s) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()).into_response(),
    }
}
