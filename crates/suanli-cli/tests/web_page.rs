//! The dashboard (`src/web/page.html`) in headless Chromium, in both of its modes: served by
//! `suanli web` (answers over HTTP) and exported as a static folder (`scripts/build-static.sh`,
//! answers from the WebAssembly build) behind a plain static file server. Every planner runs
//! and shows a result and a chart, with no console error, no failed request and no request
//! beyond the page's own origin; a share link restores its inputs, precision and a pasted
//! `config.json` included.
//!
//! The page writes what it saw into `<pre id="diag">` (mode, errors, requests to other
//! origins, failed requests, which planners ran, the restored inputs, its own share link);
//! Chromium's `--dump-dom` hands the DOM back. `.ci/run` installs Chromium, the wasm target and
//! wasm-bindgen; outside CI (no `CI` variable) a missing tool skips.
#![cfg(feature = "web")]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::{Value, json};

mod common;

/// Every planner of the page, by section id.
const PLANNERS: [&str; 7] = ["infer", "front", "train", "finetune", "fleet", "sweep", "plan"];

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `suanli web` on a free loopback port: (process, "127.0.0.1:PORT").
fn suanli_web() -> (Proc, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_suanli"))
        .args(["web", "--addr", "127.0.0.1:0", "--stdin-lifeline"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).expect("announces itself");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (Proc(child), addr)
}

/// `python3 -m http.server` serving `dir` on a free loopback port: (process, "127.0.0.1:PORT").
fn static_server(dir: &Path) -> (Proc, String) {
    let mut child = Command::new("python3")
        .args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).expect("announces itself");
    // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
    let port = line
        .split(" port ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no port in {line:?}"))
        .to_string();
    (Proc(child), format!("127.0.0.1:{port}"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The exported folder: `SUANLI_STATIC_DIR` when set, else built once by
/// `scripts/build-static.sh` into this test's temporary directory (its own cargo target
/// directory, so the build does not wait on this `cargo test`). `None` (skip) outside CI when
/// wasm-bindgen is missing.
fn static_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(d) = std::env::var_os("SUANLI_STATIC_DIR") {
            return Some(PathBuf::from(d));
        }
        let has_bindgen =
            Command::new("wasm-bindgen").arg("--version").output().is_ok_and(|o| o.status.success());
        if !has_bindgen {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI installs wasm-bindgen-cli (.ci/run); it is missing"
            );
            eprintln!("skipped: wasm-bindgen is not installed (CI installs it)");
            return None;
        }
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let dir = tmp.join("suanli-static");
        let out = Command::new("bash")
            .arg(repo().join("scripts/build-static.sh"))
            .arg(&dir)
            .env("CARGO_TARGET_DIR", tmp.join("wasm-target"))
            .output()
            .expect("the build script runs");
        assert!(out.status.success(), "build-static.sh: {}", String::from_utf8_lossy(&out.stderr));
        Some(dir)
    })
    .as_deref()
}

/// The DOM after the page's scripts ran (`--dump-dom` under a virtual-time budget).
fn dom(browser: &str, url: &str) -> String {
    let profile = std::env::temp_dir().join(format!(
        "suanli-chromium-{}-{}",
        std::process::id(),
        url.len() ^ url.as_ptr() as usize
    ));
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--virtual-time-budget=120000",
            "--window-size=1440,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", url])
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(dom.contains("id=\"diag\""), "the page loaded: {}", String::from_utf8_lossy(&out.stderr));
    dom
}

/// What the page recorded in `<pre id="diag">`.
fn diag(dom: &str) -> Value {
    let from = dom.find("<pre id=\"diag\">").expect("diag block") + "<pre id=\"diag\">".len();
    let text = &dom[from..from + dom[from..].find("</pre>").expect("diag end")];
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("diag is not JSON ({e}): {text}"))
}

/// One planner's section of the DOM.
fn section<'a>(dom: &'a str, id: &str) -> &'a str {
    let from =
        dom.find(&format!("id=\"{id}\" data-tab=\"{id}\"")).unwrap_or_else(|| panic!("no section {id}"));
    let rest = &dom[from..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// The page ran every planner in `mode` cleanly, each with a result and a chart.
fn check_all_planners(dom: &str, mode: &str) {
    let d = diag(dom);
    assert_eq!(d["done"], true, "the page finished: {d}");
    assert_eq!(d["mode"], mode, "{d}");
    assert_eq!(d["errors"], json!([]), "no console or script errors: {d}");
    assert_eq!(d["foreign"], json!([]), "no request beyond the page's origin: {d}");
    assert_eq!(d["failed"], json!([]), "no failed request: {d}");
    for id in PLANNERS {
        assert_eq!(d["ran"][id], true, "{id} ran without an error: {d}");
        let s = section(dom, id);
        assert!(!s.contains("class=\"err\""), "{id} shows no error: {}", &s[..s.len().min(3000)]);
        assert!(s.contains("<table"), "{id} shows its numbers");
        assert!(s.contains("<svg"), "{id} draws a chart");
        for raw in [">true<", ">false<", "NaN", "undefined", "[object"] {
            assert!(!s.contains(raw), "{id} shows a raw `{raw}`");
        }
    }
    // Formatted with units, not raw fractions and flags.
    let infer = section(dom, "infer");
    assert!(infer.contains(" ms") && infer.contains(" GiB") && infer.contains("yes: "), "units in infer");
    let train = section(dom, "train");
    assert!(train.contains(" days") && train.contains(" %") && train.contains("$"), "units in train");
    assert!(section(dom, "fleet").contains(" %</div>"), "goodput as a percentage");
    assert!(section(dom, "fleet").contains("prefill (tp "), "the disaggregated pools are shown");
    assert!(section(dom, "front").contains("class=\"front\""), "the latency-throughput front is drawn");
    assert!(section(dom, "plan").contains("servers-vs-days"), "the plan's servers-against-days chart");
    assert_eq!(
        section(dom, "sweep").matches("<tr>").count(),
        1 + 2 * 3 * 2,
        "a row per model × GPU × input length"
    );
}

/// A share link that sets the precision and pastes a `config.json`, opened, runs inference
/// with them; the link the page then makes restores the same inputs again.
fn check_share_link(browser: &str, origin: &str) {
    let cfg = std::fs::read_to_string(repo().join("crates/suanli-core/catalog/hf/Qwen--Qwen3-1.7B.json"))
        .expect("fixture");
    let state = json!({"tab": "infer", "model": "llama3.1-8b", "gpu": "h100-sxm", "precision": "fp8",
        "config": cfg, "input": "512", "output": "128", "gpus": "128"});
    let b64 = base64url(state.to_string().as_bytes());
    let first = dom(browser, &format!("http://{origin}/#s={b64}"));
    let d = diag(&first);
    assert_eq!(d["errors"], json!([]), "{d}");
    for (k, v) in [("precision", "fp8"), ("model", "llama3.1-8b"), ("gpu", "h100-sxm")] {
        assert_eq!(d["inputs"][k], v, "{k} restored: {d}");
    }
    assert_eq!(d["inputs"]["config"].as_str().map(str::trim), Some(cfg.trim()), "config.json restored");
    assert_eq!(d["ran"]["infer"], true, "{d}");
    let infer = section(&first, "infer");
    assert!(infer.contains("pasted config.json (1.72 B parameters)"), "the pasted model is planned");
    assert!(infer.contains("<td>fp8</td>"), "at the shared precision");
    // The page's own link, opened again, restores the same inputs.
    let link = d["share"].as_str().expect("the page's share link").to_string();
    assert!(link.contains("#s="), "{link}");
    let again = diag(&dom(browser, &link));
    assert_eq!(again["inputs"], d["inputs"], "the page's link restores what it was opened with");
    assert_eq!(again["ran"]["infer"], true, "{again}");
    // A link of the previous page (`#infer=<request JSON>`) still opens.
    let old = json!({"model": "llama3.1-70b", "gpu": "h100-sxm", "input": 512, "output": 128, "precision": "fp8", "tp": 4});
    let old = dom(browser, &format!("http://{origin}/#infer={}", percent(&old.to_string())));
    let d = diag(&old);
    assert_eq!(
        (d["inputs"]["model"].as_str(), d["inputs"]["precision"].as_str()),
        (Some("llama3.1-70b"), Some("fp8")),
        "{d}"
    );
    assert!(section(&old, "infer").contains("tp 4 × pp 1"), "the old link's layout");
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut s = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    s
}

const RUN_ALL: &str = "#run=infer,front,train,finetune,fleet,sweep,plan&disagg=1";

#[test]
fn served_page_runs_every_planner() {
    let Some(browser) = common::chromium() else { return };
    let (_server, addr) = suanli_web();
    check_all_planners(&dom(browser, &format!("http://{addr}/{RUN_ALL}")), "server");
    check_share_link(browser, &addr);
}

#[test]
fn static_page_runs_every_planner_in_webassembly() {
    let Some(browser) = common::chromium() else { return };
    let Some(dir) = static_dir() else { return };
    let page = std::fs::read_to_string(dir.join("index.html")).expect("index.html");
    assert_eq!(page, include_str!("../src/web/page.html"), "the exported page is the served page");
    for f in ["suanli_wasm.js", "suanli_wasm_bg.wasm", "healthz"] {
        assert!(dir.join(f).is_file(), "the export has {f}");
    }
    let (_server, addr) = static_server(dir);
    check_all_planners(&dom(browser, &format!("http://{addr}/{RUN_ALL}")), "wasm");
    check_share_link(browser, &addr);
}

#[test]
fn page_loads_nothing_from_elsewhere() {
    let page = include_str!("../src/web/page.html");
    for external in ["src=\"http", "href=\"http", "src='http", "@import", "url(http", "cdn", "//fonts."] {
        assert!(!page.contains(external), "the page loads `{external}`");
    }
    assert_eq!(page.matches("<style>").count(), 1, "one embedded stylesheet");
    assert!(page.contains("prefers-color-scheme: dark"), "a dark scheme");
    assert!(page.contains("算力") && page.contains("Noto Sans CJK SC"), "算力 with CJK font fallbacks");
}
