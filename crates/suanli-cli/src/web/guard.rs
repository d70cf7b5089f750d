//! Who may talk to the server: requests whose `Host` is not this server (DNS rebinding) or
//! whose `Origin` is another site (cross-site requests from a page the user visits) get 403;
//! bodies that are not JSON (or TOML where documented) get 415.
//!
//! A cross-site page can send a "simple" POST (`text/plain`, `application/x-www-form-urlencoded`)
//! without a CORS preflight, and a rebinding page's requests carry its own host name; both are
//! stopped here, before any handler runs.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::HttpError;

/// The hosts and origins the server accepts besides its own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Allowed {
    /// The address the server is bound to.
    pub local: Option<SocketAddr>,
    /// Extra `Host` names (`--allow-host`), lowercase, with or without a port.
    pub hosts: Vec<String>,
    /// Extra origins (`--allow-origin`), such as `https://planner.example.com`.
    pub origins: Vec<String>,
}

/// `host[:port]` → (host, port); IPv6 literals keep their brackets.
fn split_host(value: &str) -> (&str, Option<&str>) {
    if let Some(end) = value.find(']') {
        let (h, rest) = value.split_at(end + 1);
        return (h, rest.strip_prefix(':'));
    }
    match value.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (value, None),
    }
}

impl Allowed {
    /// Whether a `Host` header names this server: a loopback name, the bound address, any IP
    /// literal when bound to all interfaces (a rebinding attack needs a DNS name), or an
    /// allowed name; the port, when given, must be ours.
    pub(crate) fn host_ok(&self, value: &str) -> bool {
        let value = value.trim().to_ascii_lowercase();
        if self.hosts.iter().any(|h| *h == value || split_host(&value).0 == h.as_str()) {
            return true;
        }
        let (host, port) = split_host(&value);
        let port_ok = match (port, self.local) {
            (Some(p), Some(l)) => p == l.port().to_string(),
            (None, Some(l)) => l.port() == 80,
            (_, None) => true,
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ip = bare.parse::<std::net::IpAddr>().ok();
        let loopback_name = host == "localhost" || host.ends_with(".localhost");
        let ours = match (ip, self.local) {
            (Some(ip), Some(l)) => ip.is_loopback() || ip == l.ip() || l.ip().is_unspecified(),
            (Some(ip), None) => ip.is_loopback(),
            (None, _) => loopback_name,
        };
        port_ok && ours
    }

    /// Whether an `Origin` header is this server's own (scheme http, the request's host) or
    /// an allowed one.
    pub(crate) fn origin_ok(&self, origin: &str, host: &str) -> bool {
        let origin = origin.trim().to_ascii_lowercase();
        self.origins.iter().any(|o| o.to_ascii_lowercase() == origin)
            || origin == format!("http://{}", host.trim().to_ascii_lowercase())
    }
}

fn header(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The guard as middleware: Host, then Origin, then the body's type.
pub(crate) async fn check(State(allowed): State<Arc<Allowed>>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let Some(host) = header(h, header::HOST).filter(|v| allowed.host_ok(v)) else {
        return HttpError::new(
            StatusCode::FORBIDDEN,
            "the Host header does not name this server (start it with --allow-host NAME to accept that name)",
        )
        .into_response();
    };
    if let Some(origin) = h.get(header::ORIGIN) {
        let ok = origin.to_str().is_ok_and(|o| allowed.origin_ok(o, host));
        if !ok {
            return HttpError::new(
                StatusCode::FORBIDDEN,
                "cross-origin requests are refused (start the server with --allow-origin ORIGIN to accept one)",
            )
            .into_response();
        }
    }
    if req.method() == Method::POST {
        let toml_ok = matches!(req.uri().path(), "/v1/plan" | "/v1/audit");
        let ctype = header(h, header::CONTENT_TYPE).unwrap_or("");
        let essence = ctype.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let ok = essence == "application/json" || (toml_ok && essence == "application/toml");
        if !ok {
            let accepted = if toml_ok { "application/json or application/toml" } else { "application/json" };
            return HttpError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("the body's Content-Type must be {accepted}, not `{ctype}`"),
            )
            .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> Allowed {
        Allowed {
            local: Some("127.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!())),
            ..Allowed::default()
        }
    }

    #[test]
    fn hosts() {
        let a = loopback();
        for ok in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LOCALHOST:8080"] {
            assert!(a.host_ok(ok), "{ok}");
        }
        for bad in ["evil.example:8080", "127.0.0.1:9999", "10.0.0.1:8080", "localhost", "attacker.com"] {
            assert!(!a.host_ok(bad), "{bad}");
        }
        let all = Allowed {
            local: Some("0.0.0.0:8080".parse().unwrap_or_else(|_| unreachable!())),
            ..Allowed::default()
        };
        assert!(all.host_ok("192.168.1.5:8080"));
        assert!(!all.host_ok("rebind.example:8080"));
        let named = Allowed { hosts: vec!["planner.internal".into()], ..all };
        assert!(named.host_ok("planner.internal:8080"));
    }

    #[test]
    fn origins() {
        let a = loopback();
        assert!(a.origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!a.origin_ok("http://evil.example", "127.0.0.1:8080"));
        assert!(!a.origin_ok("null", "127.0.0.1:8080"));
        let b = Allowed { origins: vec!["https://ok.example".into()], ..loopback() };
        assert!(b.origin_ok("https://ok.example", "127.0.0.1:8080"));
    }
}
