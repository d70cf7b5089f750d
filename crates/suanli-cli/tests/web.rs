//! `suanli web` over real sockets: every endpoint, each kind of bad input, the page in headless
//! Chromium, and 64 concurrent connections without an error.
#![cfg(feature = "web")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A `suanli web` process on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_suanli"))
            .args(["web", "--addr", "127.0.0.1:0", "--stdin-lifeline"])
            .args(extra)
            // The shared server lives in a static, which is never dropped: the pipe closing
            // when this test process exits is what stops it.
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let mut line = String::new();
        BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).expect("announces itself");
        assert!(line.contains("loopback only"), "{line}");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .expect("address")
            .to_string();
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One server shared by the tests that do not need special flags.
fn shared() -> &'static str {
    static S: OnceLock<(String, std::sync::Mutex<Server>)> = OnceLock::new();
    let (addr, _) = S.get_or_init(|| {
        let s = Server::start(&[]);
        (s.addr.clone(), std::sync::Mutex::new(s))
    });
    addr
}

struct Reply {
    status: u16,
    content_type: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// An error reply: the status, and the `field` it names.
    fn error(&self, status: u16) -> Option<String> {
        assert_eq!(self.status, status, "{}", self.body);
        let v = self.json();
        let message = v["error"]["message"].as_str().expect("error.message");
        assert!(!message.is_empty());
        v["error"]["field"].as_str().map(str::to_string)
    }
}

/// A minimal HTTP/1.1 client: one request per connection.
fn http(addr: &str, method: &str, path: &str, content_type: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading the whole body and close; that is fine.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no HTTP reply: {text:?}"));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).expect("status code");
    let content_type = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type:").map(|v| v.trim().to_string()))
        .unwrap_or_default();
    Reply { status, content_type, body: body.to_string() }
}

fn get(path: &str) -> Reply {
    http(shared(), "GET", path, "text/plain", b"")
}

fn post(path: &str, body: &Value) -> Reply {
    http(shared(), "POST", path, "application/json", body.to_string().as_bytes())
}

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn infer_body() -> Value {
    json!({"model": "llama-2-70b", "gpu": "h100-sxm", "tp": 8, "input": 512, "output": 256})
}

#[test]
fn health_catalog_and_openapi() {
    assert_eq!(get("/healthz").json()["status"], "ok");
    for kind in ["accelerators", "servers", "models"] {
        let v = get(&format!("/v1/catalog/{kind}")).json();
        assert_eq!(v["kind"], kind);
        assert!(v["entries"].as_array().unwrap().len() >= 5, "{kind}");
    }
    assert_eq!(get("/v1/catalog/chips").error(404).as_deref(), Some("kind"));
    assert_eq!(get("/v2/nothing").error(404), None);
    assert_eq!(get("/v1/infer").error(405), None, "a planner wants POST, and says so in JSON");
    let doc = get("/openapi.json").json();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/healthz",
        "/v1/catalog/{kind}",
        "/v1/infer",
        "/v1/train",
        "/v1/serve",
        "/v1/simulate",
        "/v1/plan",
        "/v1/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    // The request schema is generated from the request type, with the CLI's field names.
    let props = &doc["paths"]["/v1/infer"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"];
    for f in ["model", "model_config", "gpu", "tp", "input_tokens", "output_tokens", "precision"] {
        assert!(props.get(f).is_some(), "infer schema lacks {f}: {props}");
    }
    // Every documented response key is in a real response.
    let examples = [
        ("/v1/infer", infer_body()),
        ("/v1/train", json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "gpus": 64, "tokens": 1e12})),
        (
            "/v1/serve",
            json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "rate": 20, "input": 1000, "output": 500, "ttft_p99": 2, "tpot_p99": 0.1}),
        ),
        (
            "/v1/simulate",
            json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "replicas": 2, "rate": 5, "requests": 500, "input": 512, "output": 128}),
        ),
        ("/v1/finetune", json!({"model": "llama-2-7b", "gpu": "a100-sxm-80gb", "method": "lora"})),
    ];
    for (path, body) in examples {
        let answer = post(path, &body);
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let answer = answer.json();
        let documented = &doc["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["required"];
        let keys =
            documented.as_array().unwrap_or_else(|| panic!("{path}: no documented keys in {documented}"));
        for k in keys {
            assert!(
                answer.get(k.as_str().unwrap()).is_some(),
                "{path} documents `{k}` but does not answer it"
            );
        }
    }
    let chatgpt = get("/v1/scenarios/chatgpt");
    assert_eq!(chatgpt.status, 200);
    assert_eq!(chatgpt.body, std::fs::read_to_string(repo("examples/chatgpt-2023.toml")).unwrap());
}

#[test]
fn infer_matches_the_cli() {
    let r = post("/v1/infer", &infer_body());
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.content_type.starts_with("application/json"));
    let api = r.json();
    let out = Command::new(env!("CARGO_BIN_EXE_suanli"))
        .args([
            "infer",
            "-m",
            "llama-2-70b",
            "--gpu",
            "h100-sxm",
            "--tp",
            "8",
            "--input",
            "512",
            "--output",
            "256",
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(api, cli, "the API and the CLI give one answer");
    assert!(api["tpot_s"]["mean"].as_f64().unwrap() > 0.0);

    // A pasted config.json instead of a catalog id.
    let cfg = json!({"model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
        "intermediate_size": 11008, "vocab_size": 32000, "max_position_embeddings": 4096});
    let r = post("/v1/infer", &json!({"model_config": cfg, "gpu": "h100-sxm", "input": 512, "output": 256}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["layout"]["tp"], 1, "a 7B model fits on one H100");
}

#[test]
fn infer_bad_input_names_the_field() {
    let with = |k: &str, v: Value| {
        let mut b = infer_body();
        b[k] = v;
        post("/v1/infer", &b)
    };
    assert_eq!(with("model", json!("gpt-17")).error(400).as_deref(), Some("model"), "unknown model");
    assert_eq!(with("gpu", json!("h900")).error(400).as_deref(), Some("gpu"), "unknown GPU");
    assert_eq!(with("tp", json!("eight")).error(400).as_deref(), Some("tp"), "wrong type");
    assert_eq!(with("tp", json!({"x": 1})).error(400).as_deref(), Some("tp"), "wrong type");
    assert_eq!(with("tp", json!(3)).error(400).as_deref(), Some("tp"), "tp must divide the heads");
    assert_eq!(with("input", json!(-5)).error(400).as_deref(), Some("input"), "negative");
    assert_eq!(with("colour", json!("blue")).error(400).as_deref(), Some("colour"), "unknown field");
    assert_eq!(
        with("catalog", json!("/etc/passwd")).error(400).as_deref(),
        Some("catalog"),
        "no file access"
    );
    let mut missing = infer_body();
    missing.as_object_mut().unwrap().remove("output");
    assert_eq!(post("/v1/infer", &missing).error(400).as_deref(), Some("output_tokens"), "missing field");
    assert_eq!(http(shared(), "POST", "/v1/infer", "application/json", b"{not json").error(400), None);
    assert_eq!(post("/v1/infer", &json!([1, 2])).error(400), None);
    // A model that fits nowhere is a 422 with the reason, not a 500.
    let r = post(
        "/v1/infer",
        &json!({"model": "llama3.1-405b", "gpu": "l4", "tp": 1, "input": 512, "output": 256}),
    );
    assert!(r.status == 422 || r.status == 400, "{} {}", r.status, r.body);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("GiB"), "{}", r.body);
}

#[test]
fn offload_and_fused_loss_inputs_are_checked_by_name() {
    let ft = |extra: Value| {
        let mut b = json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "method": "qlora"});
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        post("/v1/finetune", &b)
    };
    let ok = ft(json!({"offload_checkpoints": true, "fused_loss": true}));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.json()["setup"].as_str().unwrap().contains("offloaded to host"), "{}", ok.body);
    let field = |extra: Value| ft(extra).error(400);
    assert_eq!(field(json!({"offload_checkpoints": "yes"})).as_deref(), Some("offload_checkpoints"));
    assert_eq!(field(json!({"fused_loss": 1})).as_deref(), Some("fused_loss"));
    assert_eq!(
        field(json!({"method": "sft", "fused_loss": true})).as_deref(),
        Some("fused_loss"),
        "the loss fusion is a LoRA/QLoRA option"
    );
    assert_eq!(
        field(json!({"offload_checkpoints": true, "no_checkpointing": true})).as_deref(),
        Some("offload_checkpoints"),
        "no checkpoints to offload"
    );
    let train = |n: Value| {
        post(
            "/v1/train",
            &json!({"model": "llama3.1-8b", "gpu": "h100-sxm", "gpus": 8, "tokens": 1e9, "offload_layers": n}),
        )
    };
    assert_eq!(train(json!(-1)).error(400).as_deref(), Some("offload_layers"), "negative");
    assert_eq!(train(json!("all")).error(400).as_deref(), Some("offload_layers"), "wrong type");
}

#[test]
fn a_calibration_travels_inline_never_as_a_path() {
    let text =
        std::fs::read_to_string(repo("crates/suanli-core/tests/fixtures/calibration/h100-synthetic.json"))
            .expect("fixture");
    let mut b = infer_body();
    b["calibration"] = json!(text);
    let r = post("/v1/infer", &b);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["notes"].to_string().contains("measured calibration"), "{}", r.body);
    b["calibration"] = json!(repo("crates/suanli-core/tests/fixtures/calibration/h100-synthetic.json"));
    assert_eq!(post("/v1/infer", &b).error(400).as_deref(), Some("calibration"), "a path is not read");
}

#[test]
fn train_serve_and_simulate() {
    let r = post(
        "/v1/train",
        &json!({"model": "gpt3-175b", "gpu": "a100-sxm-80gb", "gpus": 1024, "tokens": 300e9}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert!(v["time_days"].as_f64().unwrap() > 10.0, "{v}");
    assert_eq!(
        post("/v1/train", &json!({"model": "gpt3-175b", "gpu": "a100-sxm-80gb", "output": "/tmp/x"}))
            .error(400)
            .as_deref(),
        Some("output")
    );

    let r = post(
        "/v1/serve",
        &json!({"model": "llama-2-70b", "gpu": "h100-sxm", "rate": 10, "input": 512, "output": 256, "ttft_p99": 2.0, "tpot_p99": 0.1}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["servers"].as_u64().unwrap() >= 1, "{}", r.body);

    let r = post(
        "/v1/simulate",
        &json!({"model": "llama-2-70b", "gpu": "h100-sxm", "tp": 8, "replicas": 2, "rate": 5, "requests": 2000, "input": 512, "output": 128}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["kind"], "simulate");
    assert!(v["goodput_requests_per_s"].as_f64().unwrap() > 4.0, "{v}");
    // Work budget: too many simulated requests is refused before any work is done.
    let big = json!({"model": "llama-2-70b", "gpu": "h100-sxm", "replicas": 2, "rate": 5, "requests": 5_000_000, "input": 512, "output": 128});
    assert_eq!(post("/v1/simulate", &big).error(400).as_deref(), Some("requests"));
    let mut as_text = big.clone();
    as_text["requests"] = json!("5000000");
    assert_eq!(post("/v1/simulate", &as_text).error(400).as_deref(), Some("requests"), "a count as text");
    assert_eq!(
        post("/v1/simulate", &json!({"model": "llama-2-70b", "gpu": "h100-sxm", "rate": 5}))
            .error(400)
            .as_deref(),
        Some("replicas")
    );
    assert_eq!(
        post(
            "/v1/simulate",
            &json!({"model": "llama-2-70b", "gpu": "h100-sxm", "replicas": 1, "trace": "/etc/passwd"})
        )
        .error(400)
        .as_deref(),
        Some("trace")
    );
}

#[test]
fn finetune_endpoint() {
    let r =
        post("/v1/finetune", &json!({"model": "llama-2-70b", "gpu": "l40s", "method": "qlora", "rank": 64}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["fits"], true, "QLoRA on a 70B model fits one 48 GB card: {}", r.body);
    let bad = post(
        "/v1/finetune",
        &json!({"model": "llama-2-7b", "gpu": "a100-sxm-80gb", "method": "grpo", "group_size": 1}),
    );
    assert_eq!(bad.error(400).as_deref(), Some("group_size"));
    let bad = post("/v1/finetune", &json!({"model": "llama-2-7b", "gpu": "a100-sxm-80gb", "method": "dpo"}));
    assert_eq!(bad.error(400).as_deref(), Some("method"));
}

#[test]
fn sweep_endpoint() {
    let r = post(
        "/v1/sweep",
        &json!({"model": ["llama3.1-8b", "llama3.1-70b"], "gpu": ["h100-sxm"], "input": [1000], "output": [200, 500]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.json()["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|x| x["status"] == "ok"), "{rows:?}");
    let half = post(
        "/v1/sweep",
        &json!({"model": ["llama3.1-8b", "llama3.1-70b"], "gpu": ["h100-sxm"], "input": [1000], "output": [200, 500], "shard": "2/2"}),
    );
    assert_eq!(half.json()["rows"].as_array().unwrap().len(), 2);
    let many: Vec<u32> = (1..=200).map(|x| x * 10).collect();
    let big = json!({"model": ["llama3.1-8b"], "gpu": ["all"], "input": many, "output": [100]});
    assert_eq!(post("/v1/sweep", &big).error(400).as_deref(), Some("model"), "over the combination budget");
    // Counts are typed: a comma list in a string is a type error, so no budget can be dodged.
    let as_strings = json!({"model": "llama3.1-8b", "gpu": "all", "input": many.iter().map(u32::to_string).collect::<Vec<_>>().join(","), "output": [100]});
    assert_eq!(post("/v1/sweep", &as_strings).error(400).as_deref(), Some("input"), "strings are not counts");
    let bad = post(
        "/v1/sweep",
        &json!({"model": ["llama3.1-8b"], "gpu": ["h100-sxm"], "input": [1000], "output": [100], "shard": "3/2"}),
    );
    assert_eq!(bad.error(400).as_deref(), Some("shard"));
}

#[test]
fn plan_accepts_toml_and_json() {
    let toml_text = std::fs::read_to_string(repo("examples/chatgpt-2023.toml")).unwrap();
    let r = http(shared(), "POST", "/v1/plan", "application/toml", toml_text.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    let from_toml = r.json();
    let as_json: Value = serde_json::to_value(toml::from_str::<toml::Value>(&toml_text).unwrap()).unwrap();
    let from_json = post("/v1/plan", &as_json).json();
    assert_eq!(from_toml, from_json, "TOML and JSON scenarios plan alike");

    let html = http(shared(), "POST", "/v1/plan?format=html", "application/toml", toml_text.as_bytes());
    assert!(html.content_type.starts_with("text/html"), "{}", html.content_type);
    assert!(html.body.contains("<svg"));
    let md = http(shared(), "POST", "/v1/plan?format=markdown", "application/toml", toml_text.as_bytes());
    assert!(md.body.starts_with('#'), "{}", &md.body[..80]);
    assert_eq!(
        http(shared(), "POST", "/v1/plan?format=pdf", "application/toml", toml_text.as_bytes())
            .error(400)
            .as_deref(),
        Some("format")
    );

    let broken = http(shared(), "POST", "/v1/plan", "application/toml", b"[model\nid = ");
    broken.error(400);
    let bad = toml_text.replacen("server = \"nf5688m6-a800\"", "server = \"nf9999\"", 1);
    assert_ne!(bad, toml_text, "the example names its server");
    let r = http(shared(), "POST", "/v1/plan", "application/toml", bad.as_bytes());
    assert!(r.error(400).is_some(), "{}", r.body);
}

#[test]
fn audit_endpoint() {
    let claims = std::fs::read_to_string(repo("examples/seed-market-claims.toml")).unwrap();
    let r = http(shared(), "POST", "/v1/audit", "application/toml", claims.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.json()["claims"].as_array().unwrap().is_empty(), "{}", r.body);
    http(shared(), "POST", "/v1/audit", "application/toml", b"[[claim]]\nvalue = -1\n").error(400);
}

#[test]
fn oversized_body_is_refused() {
    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = http(shared(), "POST", "/v1/plan", "application/toml", &big);
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("limit"));
}

#[test]
fn work_over_the_time_budget_is_a_503() {
    let s = Server::start(&["--timeout", "0.001"]);
    // A whole layout search for a 175B model on 1024 GPUs takes longer than a millisecond.
    let body = json!({"model": "gpt3-175b", "gpu": "a100-sxm-80gb", "days": 30, "tokens": 300e9}).to_string();
    let r = http(&s.addr, "POST", "/v1/train", "application/json", body.as_bytes());
    assert_eq!(r.error(503), None);
    assert!(r.body.contains("budget"), "{}", r.body);
    // The server still answers afterwards.
    assert_eq!(http(&s.addr, "GET", "/healthz", "text/plain", b"").status, 200);
}

#[test]
fn bad_server_flags_exit_2() {
    for (flag, value) in [
        ("--timeout", "1e30"),
        ("--timeout", "0"),
        ("--timeout", "nan"),
        ("--jobs", "0"),
        ("--jobs", "100000"),
        ("--header-timeout", "0"),
        ("--header-timeout", "1e9"),
        ("--header-timeout", "nan"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_suanli"))
            .args(["web", "--addr", "127.0.0.1:0", flag, value])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag) && err.starts_with("error: "), "{err}");
    }
}

#[test]
fn page_is_self_contained() {
    let page = get("/");
    assert_eq!(page.status, 200);
    assert!(page.content_type.starts_with("text/html"));
    for external in ["src=\"http", "href=\"http", "src='http", "@import", "cdn"] {
        assert!(!page.body.contains(external), "the page loads `{external}`");
    }
}

/// 64 connections in parallel for two seconds: every answer is a 200 with the same result.
/// (The 10-second wrk run with the published numbers is `scripts/loadtest.sh`.)
#[test]
fn sixty_four_concurrent_connections_without_an_error() {
    let body = infer_body().to_string();
    let expected = post("/v1/infer", &infer_body()).body;
    let until = Instant::now() + Duration::from_secs(2);
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (body, expected) = (body.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut n = 0u32;
                while Instant::now() < until {
                    let r = http(shared(), "POST", "/v1/infer", "application/json", body.as_bytes());
                    assert_eq!(r.status, 200, "{}", r.body);
                    assert_eq!(r.body, expected);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u32 = threads.into_iter().map(|t| t.join().expect("no errors")).sum();
    assert!(total >= 64, "{total} requests");
}

/// Odd bodies on every POST endpoint: always a 4xx with a JSON error, never a 500 or a
/// dropped connection.
#[test]
fn odd_input_is_never_a_server_error() {
    let long = "x".repeat(100_000);
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"42".to_vec(),
        b"\"text\"".to_vec(),
        b"{\"model\": {\"nested\": [1, 2, {}]}}".to_vec(),
        b"{\"model\": \"\\u0000\\u202e\", \"gpu\": \"\xe7\xae\x97\xe5\x8a\x9b\"}".to_vec(),
        format!("{{\"model\": \"{long}\", \"gpu\": \"h100-sxm\"}}").into_bytes(),
        b"{\"model\": \"llama3.1-8b\", \"gpu\": \"h100-sxm\", \"input\": 1e308, \"output\": -1e308}".to_vec(),
        b"{\"model\": \"llama3.1-8b\", \"gpu\": \"h100-sxm\", \"input\": 18446744073709551616, \"output\": 1}".to_vec(),
        b"{\"model\": \"llama3.1-8b\", \"gpu\": \"h100-sxm\", \"tp\": 0, \"input\": 1, \"output\": 1}".to_vec(),
        b"{\"model\": \"llama3.1-8b\", \"gpu\": \"h100-sxm\", \"tp\": -8, \"input\": 1, \"output\": 1}".to_vec(),
        b"{\"model\": \"llama3.1-8b\", \"gpu\": \"h100-sxm\", \"--input\": 1}".to_vec(),
        b"{\"model\": \"llama3.1-8b\", \"gpu\": \"h100-sxm\", \"input\": \"--help\", \"output\": 1}".to_vec(),
        vec![0xff, 0xfe, 0x00, 0x7b],
        b"[[model]]\nid = 5\n".to_vec(),
    ];
    for path in [
        "/v1/infer",
        "/v1/train",
        "/v1/serve",
        "/v1/simulate",
        "/v1/finetune",
        "/v1/sweep",
        "/v1/plan",
        "/v1/audit",
    ] {
        for b in &bodies {
            let r = http(shared(), "POST", path, "application/json", b);
            assert!(
                (400..500).contains(&r.status) || r.status == 200,
                "{path} {:?}: {} {}",
                String::from_utf8_lossy(&b[..b.len().min(80)]),
                r.status,
                &r.body[..r.body.len().min(300)]
            );
            if r.status != 200 {
                r.error(r.status);
            }
        }
    }
}
