//! `suanli web`: the planners over HTTP and a dashboard page.
//!
//! Each endpoint deserializes its JSON body into the library's typed request and calls the
//! same function as the CLI ([`handlers`]); no command line is built and nothing is written
//! to disk for a request. [`guard`] refuses foreign `Host` and `Origin` headers (403) and
//! non-JSON bodies (415) before any handler runs. CPU work runs on blocking threads under
//! `--jobs` permits and the `--timeout` budget; connections must send their headers within
//! [`HEADER_TIMEOUT`].

mod error;
mod guard;
mod handlers;
mod openapi;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use suanli_core::scenario::CHATGPT_2023;
use tokio::sync::Semaphore;

use crate::io::CliError;
use error::{HttpError, json};
use guard::Allowed;
use handlers::AppState;

/// Request bodies above this size are refused (413).
const BODY_LIMIT: usize = 1 << 20;

/// A connection that has not sent a request's headers by then is closed.
pub(crate) const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The server's router.
fn router(st: Arc<AppState>, allowed: Arc<Allowed>) -> Router {
    let page = || async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("page.html")) };
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(|| async { json(StatusCode::OK, &serde_json::json!({ "status": "ok" })) }))
        .route("/openapi.json", get(|| async { json(StatusCode::OK, &openapi::document()) }))
        .route("/v1/catalog/{kind}", get(handlers::catalog))
        .route(
            "/v1/scenarios/chatgpt",
            get(|| async { ([(header::CONTENT_TYPE, "application/toml; charset=utf-8")], CHATGPT_2023) }),
        )
        .route("/v1/flops", post(handlers::flops))
        .route("/v1/infer", post(handlers::infer))
        .route("/v1/train", post(handlers::train))
        .route("/v1/finetune", post(handlers::finetune))
        .route("/v1/serve", post(handlers::serve))
        .route("/v1/simulate", post(handlers::simulate))
        .route("/v1/sweep", post(handlers::sweep))
        .route("/v1/plan", post(handlers::plan))
        .route("/v1/audit", post(handlers::audit))
        .fallback(|| async {
            HttpError::new(StatusCode::NOT_FOUND, "no such endpoint; see /openapi.json").into_response()
        })
        .method_not_allowed_fallback(|| async {
            HttpError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "wrong method: the /v1 planners take POST, the catalog and /healthz GET; see /openapi.json",
            )
            .into_response()
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(allowed, guard::check))
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
    /// Accept requests whose `Host` header is this name (repeat), e.g. behind a reverse proxy.
    /// Without it only loopback names and the bound address are accepted (DNS rebinding).
    #[arg(long, value_name = "NAME")]
    pub(crate) allow_host: Vec<String>,
    /// Accept requests from pages of this origin (repeat), e.g. `https://planner.example.com`.
    /// Without it, cross-origin requests are refused with 403.
    #[arg(long, value_name = "ORIGIN")]
    pub(crate) allow_origin: Vec<String>,
    /// Seconds a connection may take to send a request's headers (slow clients are dropped).
    #[arg(long, default_value_t = HEADER_TIMEOUT.as_secs_f64(), hide = true)]
    pub(crate) header_timeout: f64,
    /// Exit when standard input closes: a parent process (a test harness, a supervisor) that
    /// holds the pipe takes the server down with it, even if it cannot kill it.
    #[arg(long, hide = true)]
    pub(crate) stdin_lifeline: bool,
}

/// Serves `app` on `listener`, each connection with the header-read timeout, until Ctrl-C.
async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
) -> Result<(), CliError> {
    let shutdown = tokio::signal::ctrl_c();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut shutdown => return Ok(()),
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or a reset before accept: keep serving the others.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let _ = http.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// Runs the server until interrupted.
pub(crate) fn run(a: &WebArgs) -> Result<(), CliError> {
    if !(a.timeout.is_finite() && a.timeout > 0.0 && a.timeout <= 3600.0) {
        return Err(CliError::Input(format!(
            "`--timeout` = {}: seconds, more than 0 and at most 3600",
            a.timeout
        )));
    }
    if !(a.header_timeout.is_finite() && a.header_timeout > 0.0 && a.header_timeout <= 600.0) {
        return Err(CliError::Input(format!(
            "`--header-timeout` = {}: seconds, more than 0 and at most 600",
            a.header_timeout
        )));
    }
    if !(1..=1024).contains(&a.jobs) {
        return Err(CliError::Input(format!("`--jobs` = {}: from 1 to 1024", a.jobs)));
    }
    let catalog = Arc::new(suanli_core::Catalog::builtin()?);
    let st = Arc::new(AppState {
        jobs: Arc::new(Semaphore::new(a.jobs)),
        budget: Duration::from_secs_f64(a.timeout),
        catalog,
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
        let allowed = Arc::new(Allowed {
            local: Some(local),
            hosts: a.allow_host.iter().map(|h| h.to_ascii_lowercase()).collect(),
            origins: a.allow_origin.clone(),
        });
        serve(listener, router(st, allowed), Duration::from_secs_f64(a.header_timeout)).await
    })
}
