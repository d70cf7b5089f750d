//! Command-line conventions: completions, man pages, counts with suffixes, `-o` as a file,
//! JSON scenarios, a nearest miss when a latency target cannot be met.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

fn suanli(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("suanli").expect("binary").args(args).output().expect("runs")
}

fn ok(args: &[&str]) -> String {
    let out = suanli(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completions_and_man_pages() {
    assert!(ok(&["completions", "bash"]).contains("_suanli()"));
    assert!(ok(&["completions", "zsh"]).contains("#compdef suanli"));
    assert!(ok(&["completions", "fish"]).contains("complete -c suanli"));
    let man = ok(&["man"]);
    assert!(man.contains(".TH suanli 1") && man.contains("infer"), "{}", &man[..200.min(man.len())]);
    let dir = std::env::temp_dir().join(format!("suanli-man-{}", std::process::id()));
    ok(&["man", "--dir", dir.to_str().unwrap()]);
    for page in ["suanli.1", "suanli-infer.1", "suanli-train.1", "suanli-serve.1"] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap_or_else(|_| panic!("{page}"));
        assert!(text.contains(".TH"), "{page}");
    }
    let help = ok(&["infer", "--help"]);
    assert!(help.contains("Examples:") && help.contains("suanli infer -m"), "{help}");
}

#[test]
fn counts_take_suffixes_and_exponents() {
    let a: Value = serde_json::from_str(&ok(&[
        "train",
        "-m",
        "llama2-7b",
        "--gpu",
        "h100-sxm",
        "--gpus",
        "64",
        "--tokens",
        "2T",
        "--global-batch",
        "1k",
        "-q",
        "-f",
        "json",
    ]))
    .unwrap();
    let b: Value = serde_json::from_str(&ok(&[
        "train",
        "-m",
        "llama2-7b",
        "--gpu",
        "h100-sxm",
        "--gpus",
        "6.4e1",
        "--tokens",
        "2e12",
        "--global-batch",
        "1000",
        "-q",
        "-f",
        "json",
    ]))
    .unwrap();
    assert_eq!(a["time_days"], b["time_days"]);
    assert_eq!(a["config"]["global_batch"], 1000);
    let bad = suanli(&["train", "-m", "llama2-7b", "--gpu", "h100-sxm", "--gpus", "1.5"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn token_counts_have_their_own_names_and_o_is_a_file_everywhere() {
    let new = ok(&[
        "infer",
        "-m",
        "llama2-7b",
        "--gpu",
        "h100-sxm",
        "--input-tokens",
        "512",
        "--output-tokens",
        "128",
        "-f",
        "json",
    ]);
    let old = ok(&[
        "infer",
        "-m",
        "llama2-7b",
        "--gpu",
        "h100-sxm",
        "--input",
        "512",
        "--output",
        "128",
        "-f",
        "json",
    ]);
    assert_eq!(new, old, "the old names are aliases");
    let dir = std::env::temp_dir().join(format!("suanli-o-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (cmd, extra) in [
        (
            "infer",
            vec!["-m", "llama2-7b", "--gpu", "h100-sxm", "--input-tokens", "64", "--output-tokens", "16"],
        ),
        ("train", vec!["-m", "llama2-7b", "--gpu", "h100-sxm", "--gpus", "8", "-q"]),
        ("flops", vec!["-m", "llama2-7b"]),
    ] {
        let path = dir.join(format!("{cmd}.json"));
        let mut args = vec![cmd];
        args.extend(extra);
        args.extend(["-f", "json", "-o", path.to_str().unwrap()]);
        assert!(ok(&args).is_empty(), "{cmd}: -o writes the file, not stdout");
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["kind"], cmd);
    }
}

#[test]
fn plan_reads_a_json_scenario() {
    let toml_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/chatgpt-2023.toml"))
            .unwrap();
    let v: toml::Value = toml::from_str(&toml_text).unwrap();
    let dir = std::env::temp_dir().join(format!("suanli-json-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chatgpt.json");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let from_json = ok(&["plan", path.to_str().unwrap(), "-f", "json"]);
    let from_toml = ok(&["plan", "-f", "json"]);
    let (a, b): (Value, Value) =
        (serde_json::from_str(&from_json).unwrap(), serde_json::from_str(&from_toml).unwrap());
    assert_eq!(a["sections"], b["sections"]);
    assert_eq!(a["claims"], b["claims"]);
}

#[test]
fn an_unmeetable_latency_target_says_what_is_achievable() {
    let out = suanli(&[
        "infer",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "200",
        "--max-tpot",
        "0.001",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("best achievable") && e.contains("TPOT") && e.contains(" ms"), "{e}");
    let out = suanli(&[
        "serve",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "5",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "200",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.001",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("best achievable is TPOT"), "{e}");
}

#[test]
fn sweeps_stream_the_same_rows_they_write_whole_and_quiet_is_accepted() {
    let base = [
        "sweep",
        "-m",
        "llama2-7b,llama3.1-8b",
        "--gpu",
        "h100-sxm,a100-sxm-80gb",
        "--input-tokens",
        "128,512",
        "--output-tokens",
        "32",
    ];
    let dir = std::env::temp_dir().join(format!("suanli-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for fmt in ["csv", "json"] {
        let streamed = ok(&[&base[..], &["-f", fmt, "--quiet"]].concat());
        let path = dir.join(format!("sweep.{fmt}"));
        ok(&[&base[..], &["-f", fmt, "-o", path.to_str().unwrap()]].concat());
        assert_eq!(streamed, std::fs::read_to_string(&path).unwrap(), "{fmt}");
        assert_eq!(streamed.lines().count(), if fmt == "csv" { 9 } else { 8 });
    }
    let out = suanli(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "1",
        "--rate",
        "1",
        "--requests",
        "200",
        "--input-tokens",
        "64",
        "--output-tokens",
        "16",
        "-q",
    ]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs a command that must fail with exit 2 and one stderr line naming `key`, writing nothing
/// to stdout.
fn bad(args: &[&str], key: &str) {
    let out = suanli(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(key), "{args:?}: the error names {key}: {err}");
}

#[test]
fn the_new_inputs_refuse_bad_values_naming_them() {
    let infer =
        ["infer", "-m", "deepseek-v3", "--gpu", "h100-sxm", "--input-tokens", "512", "--output-tokens", "64"];
    bad(&[&infer[..], &["--tp", "1", "--ep", "8", "--dp-attention", "0"]].concat(), "--dp-attention");
    let dense =
        ["infer", "-m", "llama2-7b", "--gpu", "h100-sxm", "--input-tokens", "512", "--output-tokens", "64"];
    bad(&[&dense[..], &["--tp", "1", "--dp-attention", "4"]].concat(), "--dp-attention");
    let train = ["train", "-m", "llama2-7b", "--gpu", "h100-sxm", "--gpus", "8", "-q"];
    bad(&[&train[..], &["--etp", "2"]].concat(), "--etp");
    bad(&[&train[..], &["--sharding", "zero9"]].concat(), "--sharding");
    bad(&[&train[..], &["--pp", "2", "--first-stage-layers", "0"]].concat(), "--first-stage-layers");
    bad(&["schema", "nope"], "WHAT");
    bad(&["validate", "nope"], "SET");
    bad(&["flops", "-m", "llama2-7b", "--tokens", "lots"], "--tokens");
    let sim = [
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "1",
        "--rate",
        "2",
        "--requests",
        "100",
        "--input-tokens",
        "256",
        "--output-tokens",
        "32",
        "-q",
    ];
    bad(&[&sim[..], &["--classes", "0.5,0.6"]].concat(), "--classes");
    bad(&[&sim[..], &["--max-queue", "0"]].concat(), "--max-queue");
    bad(&[&sim[..], &["--kv-offload-gib", "nan"]].concat(), "--kv-offload-gib");
    bad(&[&sim[..], &["--scheduler", "fifo"]].concat(), "--scheduler");
    let serve = [
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "2",
        "--input-tokens",
        "256",
        "--output-tokens",
        "32",
        "--ttft-p99",
        "1",
        "--tpot-p99",
        "0.05",
        "-q",
    ];
    bad(&[&serve[..], &["--search-engine"]].concat(), "--simulate");
    bad(&[&serve[..], &["--simulate", "--search-engine", "--max-tokens", "512"]].concat(), "search_engine");
}
