//! `--calibration FILE` on the planners, `suanli calibration show`, scenarios'
//! `[calibration] file`, and `scripts/measure-gpu.py` without a GPU.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn suanli() -> Command {
    let mut c = Command::cargo_bin("suanli").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn fixture() -> PathBuf {
    repo("crates/suanli-core/tests/fixtures/calibration/h100-synthetic.json")
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("suanli-calibration-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn json(args: &[&str]) -> Value {
    let out = suanli().args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn notes(v: &Value) -> String {
    v["notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

fn fails(args: &[&str]) -> String {
    let out = suanli().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[test]
fn show_summarises_the_file() {
    let f = fixture();
    let out = suanli().args(["calibration", "show"]).arg(&f).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "h100-sxm",
        "torch 2.5.1",
        "llama3.1-8b tp1 gate_up",
        "HBM",
        "prefill",
        "all-reduce model",
        "CUDA graph",
        "graph ÷ suanli",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
}

#[test]
fn a_bad_file_is_an_input_error_naming_the_field() {
    let dir = tmp_dir("bad");
    let text = std::fs::read_to_string(fixture()).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, text.replacen("\"version\": 1", "\"version\": 2", 1)).unwrap();
    let p = bad.to_str().unwrap();
    let e = fails(&["calibration", "show", p]);
    assert!(e.contains("`version`") && e.contains("bad.json"), "{e}");
    let e = fails(&[
        "infer",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--input-tokens",
        "100",
        "--output-tokens",
        "10",
        "--calibration",
        p,
    ]);
    assert!(e.contains("`version`"), "{e}");
    std::fs::write(&bad, text.replacen("\"copy_gbps\"", "\"copy_gbs\"", 1)).unwrap();
    let e = fails(&["calibration", "show", p]);
    assert!(e.contains("copy_gbs") && e.contains("hbm"), "{e}");
    let e = fails(&["calibration", "show", "/nonexistent/cal.json"]);
    assert!(e.contains("/nonexistent/cal.json"), "{e}");
}

#[test]
fn the_planners_use_the_file_and_say_so() {
    let f = fixture();
    let f = f.to_str().unwrap();
    let infer = [
        "infer",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "1",
        "--input-tokens",
        "2000",
        "--output-tokens",
        "100",
        "--batch",
        "1",
        "-f",
        "json",
    ];
    let plain = json(&infer);
    let mut args = infer.to_vec();
    args.extend(["--calibration", f]);
    let measured = json(&args);
    assert!(
        notes(&measured).contains("measured calibration (NVIDIA H100 80GB HBM3 (synthetic)"),
        "{}",
        notes(&measured)
    );
    assert!(!notes(&plain).contains("measured calibration"));
    // The synthetic file reads HBM at 90 % of peak where the fitted model assumes 75 %.
    let tpot = |v: &Value| v["tpot_s"]["mean"].as_f64().unwrap();
    assert!(tpot(&measured) < tpot(&plain), "{} vs {}", tpot(&measured), tpot(&plain));
    // Another chip: the file is named and not applied.
    let mut other = infer.to_vec();
    other[4] = "a100-sxm-80gb";
    let base = json(&other);
    other.extend(["--calibration", f]);
    let v = json(&other);
    assert!(notes(&v).contains("not applied: it measured h100-sxm, not a100-sxm-80gb"), "{}", notes(&v));
    assert_eq!(tpot(&v), tpot(&base));

    let cases: [&[&str]; 4] = [
        &[
            "train",
            "-m",
            "llama3.1-8b",
            "--gpu",
            "h100-sxm",
            "--gpus",
            "8",
            "--tokens",
            "1B",
            "--tp",
            "1",
            "--pp",
            "1",
            "-q",
        ],
        &["finetune", "-m", "llama3.1-8b", "--gpu", "h100-sxm", "--method", "lora", "--examples", "1k"],
        &[
            "serve",
            "-m",
            "llama3.1-8b",
            "--gpu",
            "h100-sxm",
            "--rate",
            "5",
            "--input-tokens",
            "500",
            "--output-tokens",
            "100",
            "--ttft-p99",
            "2",
            "--tpot-p99",
            "0.05",
        ],
        &[
            "simulate",
            "-m",
            "llama3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "1",
            "--rate",
            "2",
            "--input-tokens",
            "500",
            "--output-tokens",
            "100",
        ],
    ];
    for case in cases {
        let mut args = case.to_vec();
        args.extend(["-f", "json", "--calibration", f]);
        let v = json(&args);
        assert!(notes(&v).contains("measured calibration"), "{}: {}", case[0], notes(&v));
    }
}

#[test]
fn a_scenario_names_its_calibration_file() {
    let dir = tmp_dir("scenario");
    // The built-in scenario plans on A800 servers: the fixture measured as that chip.
    let text = std::fs::read_to_string(fixture()).unwrap().replacen(
        "\"chip\": \"h100-sxm\"",
        "\"chip\": \"a800-sxm-80gb\"",
        1,
    );
    std::fs::write(dir.join("a800.json"), text).unwrap();
    let scenario = std::fs::read_to_string(repo("examples/chatgpt-2023.toml")).unwrap();
    let with = dir.join("with.toml");
    std::fs::write(&with, format!("{scenario}\n[calibration]\nfile = \"a800.json\"\n")).unwrap();
    let plain = json(&["plan", "-f", "json"]);
    let v = json(&["plan", with.to_str().unwrap(), "-f", "json"]);
    assert!(v["calibration"].as_str().unwrap().contains("synthetic"), "{}", v["calibration"]);
    assert!(plain.get("calibration").is_none());
    assert_ne!(v["sections"], plain["sections"], "the measured curves change some first-principles figure");
    let missing = dir.join("missing.toml");
    std::fs::write(&missing, format!("{scenario}\n[calibration]\nfile = \"nope.json\"\n")).unwrap();
    let e = fails(&["plan", missing.to_str().unwrap()]);
    assert!(e.contains("nope.json"), "{e}");
}

fn python() -> Option<&'static str> {
    let ok =
        std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    ok.then_some("python3")
}

fn script() -> PathBuf {
    repo("scripts/measure-gpu.py")
}

#[test]
fn the_script_writes_a_file_suanli_reads_without_a_gpu() {
    let Some(py) = python() else {
        eprintln!("skipped: no python3 on PATH");
        return;
    };
    let help = std::process::Command::new(py).arg(script()).arg("--help").output().unwrap();
    assert!(help.status.success(), "{}", String::from_utf8_lossy(&help.stderr));
    assert!(String::from_utf8_lossy(&help.stdout).contains("--dry-run"));
    let dir = tmp_dir("script");
    let out = dir.join("dry.json");
    let run = std::process::Command::new(py)
        .arg(script())
        .args(["--dry-run", "--chip", "h100-sxm", "-q", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["format"], "suanli-calibration");
    assert_eq!(v["version"], 1);
    let shown = suanli().args(["calibration", "show"]).arg(&out).output().unwrap();
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    // Planning with a header-only file changes nothing but the note.
    let args = [
        "infer",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "1",
        "--input-tokens",
        "500",
        "--output-tokens",
        "50",
        "-f",
        "json",
    ];
    let plain = json(&args);
    let mut with = args.to_vec();
    with.extend(["--calibration", out.to_str().unwrap()]);
    let v = json(&with);
    assert_eq!(v["tpot_s"], plain["tpot_s"]);
    assert_eq!(v["ttft_s"], plain["ttft_s"]);
    measured_needs_torch(py, &dir);
}

/// Without torch (as on CI) a real run says so and exits 3; with torch but no GPU, the same.
fn measured_needs_torch(py: &str, dir: &Path) {
    let has_torch = std::process::Command::new(py)
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_torch {
        eprintln!("torch is installed: the measuring run is left to a machine with a GPU");
        return;
    }
    let run =
        std::process::Command::new(py).arg(script()).arg("-o").arg(dir.join("x.json")).output().unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&run.stderr).contains("PyTorch is not installed"));
    assert!(!dir.join("x.json").exists());
}
