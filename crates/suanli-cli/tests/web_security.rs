//! `suanli web` against an attacker, over real sockets: argument-injection payloads on every
//! endpoint touch no file, cross-site and DNS-rebinding requests get 403, other body types
//! 415, slow clients are dropped, work caps hold on typed values.
#![cfg(feature = "web")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_suanli"))
            .args(["web", "--addr", "127.0.0.1:0", "--stdin-lifeline"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).expect("announces itself");
        let addr = line.split("http://").nth(1).and_then(|s| s.split_whitespace().next()).expect("address");
        Server { child, addr: addr.to_string() }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a raw request with the given extra headers; returns (status, body).
fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP reply: {text:?}"));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status");
    (status, body.to_string())
}

fn post_json(addr: &str, path: &str, body: &Value) -> (u16, String) {
    send(addr, "POST", path, &[("Content-Type", "application/json")], body.to_string().as_bytes())
}

/// A fresh folder for planted files.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("suanli-sec-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every file below `dir` with its contents.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap_or_default()))
        .collect();
    out.sort();
    out
}

const ENDPOINTS: [&str; 7] = ["infer", "train", "finetune", "serve", "simulate", "sweep", "flops"];

/// A valid body for each endpoint, to which the payloads are added.
fn base(endpoint: &str) -> Value {
    match endpoint {
        "infer" => json!({"model": "llama-2-70b", "gpu": "h100-sxm", "tp": 8, "input": 512, "output": 256}),
        "train" => json!({"model": "llama2-7b", "gpu": "h100-sxm", "gpus": 8}),
        "finetune" => json!({"model": "llama2-7b", "gpu": "h100-sxm", "method": "lora"}),
        "serve" => {
            json!({"model": "llama2-7b", "gpu": ["h100-sxm"], "rate": 5, "input": 512, "output": 128, "ttft_p99": 2, "tpot_p99": 0.1})
        }
        "simulate" => {
            json!({"model": "llama2-7b", "gpu": "h100-sxm", "replicas": 1, "rate": 1, "requests": 200, "input": 128, "output": 32})
        }
        "sweep" => json!({"model": ["llama2-7b"], "gpu": ["h100-sxm"], "input": [128], "output": [32]}),
        _ => json!({"model": "llama2-7b"}),
    }
}

#[test]
fn injection_payloads_are_4xx_and_touch_no_file() {
    let s = Server::start(&[]);
    let dir = scratch("inject");
    let victim = dir.join("victim.json");
    std::fs::write(&victim, "{\"secret_key\": 1}").unwrap();
    let before = snapshot(&dir);
    let target = dir.join("written");
    let t = target.display().to_string();
    let v = victim.display().to_string();
    let payloads: Vec<(&str, Value)> = vec![
        ("out-file", json!(t)),
        ("out_file", json!(t)),
        ("output", json!(t)),
        ("fallback", json!(format!("--out-file={t}"))),
        (&*Box::leak(format!("output={t}").into_boxed_str()), json!(true)),
        (&*Box::leak(format!("catalog={v}").into_boxed_str()), json!(true)),
        (&*Box::leak(format!("trace={v}").into_boxed_str()), json!(true)),
        ("catalog", json!(v)),
        ("charts", json!(dir.display().to_string())),
        ("model", json!([v])),
        ("model", json!(v)),
        ("lengths", json!(v)),
        ("trace", json!(v)),
        ("requests", json!(["2000000"])),
        (
            "input=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40",
            json!(true),
        ),
        ("gpu", json!(format!("--catalog={v}"))),
    ];
    for ep in ENDPOINTS {
        for (k, val) in &payloads {
            let mut body = base(ep);
            body[*k] = val.clone();
            let (status, text) = post_json(&s.addr, &format!("/v1/{ep}"), &body);
            assert!((400..500).contains(&status), "{ep} {k}: {status} {text}");
            assert!(!text.contains("secret_key"), "{ep} {k} leaked the file: {text}");
            if !val.to_string().contains("--") {
                assert!(!text.contains("`--"), "{ep} {k} speaks of CLI flags: {text}");
            }
            let v: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("{ep} {k}: not JSON {text}"));
            assert!(v["error"]["message"].is_string(), "{ep} {k}: {text}");
        }
    }
    assert_eq!(snapshot(&dir), before, "a file was created or changed");
    assert!(!target.exists());
}

#[test]
fn a_pasted_config_is_parsed_in_memory_and_leaves_nothing_behind() {
    let s = Server::start(&[]);
    let tmp = std::env::temp_dir();
    let count = || std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    let before = count();
    let cfg = json!({"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000, "max_position_embeddings": 4096});
    for _ in 0..25 {
        let (status, text) = post_json(
            &s.addr,
            "/v1/infer",
            &json!({"model_config": cfg, "gpu": "h100-sxm", "input": 512, "output": 128}),
        );
        assert_eq!(status, 200, "{text}");
    }
    let bad = json!({"model_type": "llama", "hidden_size": "big"});
    let (status, text) = post_json(
        &s.addr,
        "/v1/infer",
        &json!({"model_config": bad, "gpu": "h100-sxm", "input": 5, "output": 5}),
    );
    assert_eq!(status, 400, "{text}");
    assert!(!text.contains(&tmp.display().to_string()), "no temp paths in errors: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert!(v["error"]["field"].as_str().is_some_and(|f| f.starts_with("model_config")), "{text}");
    // Other tests may create files in the temp folder at the same time; 25 requests must not
    // add 25 scratch files.
    assert!(count() < before + 10, "scratch files left behind");
}

#[test]
fn cross_site_and_rebinding_requests_are_403_and_other_bodies_415() {
    let s = Server::start(&[]);
    let body = base("infer").to_string();
    let json_ct = ("Content-Type", "application/json");
    let (st, _) =
        send(&s.addr, "POST", "/v1/infer", &[json_ct, ("Origin", "http://evil.example")], body.as_bytes());
    assert_eq!(st, 403);
    let (st, _) = send(&s.addr, "POST", "/v1/infer", &[json_ct, ("Origin", "null")], body.as_bytes());
    assert_eq!(st, 403);
    let own = format!("http://{}", s.addr);
    let (st, t) = send(&s.addr, "POST", "/v1/infer", &[json_ct, ("Origin", &own)], body.as_bytes());
    assert_eq!(st, 200, "{t}");
    let port = s.addr.rsplit(':').next().unwrap();
    let rebound = format!("attacker.example:{port}");
    let (st, _) = send(&s.addr, "POST", "/v1/infer", &[json_ct, ("Host", &rebound)], body.as_bytes());
    assert_eq!(st, 403);
    let (st, _) = send(&s.addr, "GET", "/v1/catalog/models", &[("Host", &rebound)], b"");
    assert_eq!(st, 403, "reads are guarded too");
    let local = format!("localhost:{port}");
    let (st, _) = send(&s.addr, "GET", "/healthz", &[("Host", &local)], b"");
    assert_eq!(st, 200);
    for ct in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""] {
        let (st, t) = send(&s.addr, "POST", "/v1/infer", &[("Content-Type", ct)], body.as_bytes());
        assert_eq!(st, 415, "{ct}: {t}");
    }
    let (st, _) = send(&s.addr, "POST", "/v1/plan", &[("Content-Type", "text/plain")], b"x = 1");
    assert_eq!(st, 415);
    let (st, _) =
        send(&s.addr, "POST", "/v1/audit", &[("Content-Type", "application/toml")], b"[[value]]\nid = 1");
    assert_eq!(st, 400, "TOML is documented for /v1/audit");
    let (st, _) = send(&s.addr, "GET", "/v1/nope", &[], b"");
    assert_eq!(st, 404);

    let allowed =
        Server::start(&["--allow-origin", "https://planner.example", "--allow-host", "planner.internal"]);
    let (st, _) = send(
        &allowed.addr,
        "POST",
        "/v1/infer",
        &[json_ct, ("Origin", "https://planner.example")],
        body.as_bytes(),
    );
    assert_eq!(st, 200);
    let named = format!("planner.internal:{}", allowed.addr.rsplit(':').next().unwrap());
    let (st, _) = send(&allowed.addr, "GET", "/healthz", &[("Host", &named)], b"");
    assert_eq!(st, 200);
}

#[test]
fn work_caps_hold_on_typed_values() {
    let s = Server::start(&[]);
    let mut sim = base("simulate");
    sim["requests"] = json!(2_000_000);
    let (st, t) = post_json(&s.addr, "/v1/simulate", &sim);
    assert_eq!(st, 400, "{t}");
    assert!(t.contains("\"field\":\"requests\""), "{t}");
    sim["requests"] = json!("2000000");
    assert_eq!(post_json(&s.addr, "/v1/simulate", &sim).0, 400, "a count sent as text is a type error");
    let mut serve = base("serve");
    serve["simulate"] = json!(true);
    serve["requests"] = json!(10_000_000);
    assert_eq!(post_json(&s.addr, "/v1/serve", &serve).0, 400);
    let inputs: Vec<u32> = (1..=500).collect();
    let (st, t) = post_json(
        &s.addr,
        "/v1/sweep",
        &json!({"model": "llama2-7b", "gpu": "all", "input": inputs, "output": [16]}),
    );
    assert_eq!(st, 400, "{t}");
}

#[test]
fn slow_clients_are_dropped_after_the_header_timeout() {
    let s = Server::start(&["--header-timeout", "1"]);
    let mut c = TcpStream::connect(&s.addr).unwrap();
    c.write_all(b"POST /v1/infer HTTP/1.1\r\nHost: x\r\n").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    assert!(started.elapsed() < Duration::from_secs(15), "the connection was held open");
    // The server still answers others.
    assert_eq!(send(&s.addr, "GET", "/healthz", &[], b"").0, 200);
}
