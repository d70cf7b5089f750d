//! The JSON contract (`schema_version` 2) across every subcommand, the checked-in answer
//! schemas, and tidy CSV: one header row, one record per row, numeric cells raw.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn repo(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// Stdout of a run that exits 0.
fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("suanli").expect("binary").args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// One invocation per planner (the arguments before `-f`).
fn planners() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("flops", vec!["flops", "-m", "deepseek-v3", "--tokens", "1.48e13"]),
        (
            "infer",
            vec![
                "infer",
                "-m",
                "llama3.1-8b",
                "--gpu",
                "h100-sxm",
                "--input-tokens",
                "1000",
                "--output-tokens",
                "200",
            ],
        ),
        (
            "train",
            vec!["train", "-m", "llama2-7b", "--gpu", "h100-sxm", "--gpus", "64", "--tokens", "1e11", "-q"],
        ),
        ("finetune", vec!["finetune", "-m", "llama2-7b", "--gpu", "h100-sxm", "--method", "lora"]),
        (
            "serve",
            vec![
                "serve",
                "-m",
                "llama3.1-8b",
                "--gpu",
                "h100-sxm",
                "--rate",
                "5",
                "--input-tokens",
                "512",
                "--output-tokens",
                "128",
                "--ttft-p99",
                "2",
                "--tpot-p99",
                "0.1",
            ],
        ),
        (
            "simulate",
            vec![
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
                "300",
                "--input-tokens",
                "256",
                "--output-tokens",
                "64",
            ],
        ),
    ]
}

#[test]
fn every_planner_answer_has_the_shared_top_level_and_matches_its_schema() {
    for (kind, args) in planners() {
        let v: Value = serde_json::from_str(&run(&[&args[..], &["-f", "json"]].concat())).expect("JSON");
        assert_eq!(v["schema_version"], 2, "{kind}");
        assert_eq!(v["kind"], kind);
        let m = &v["model"];
        assert!(m["id"].is_string() && m["name"].is_string(), "{kind}: model {m}");
        assert!(m["params"].is_u64() && m["active_params"].is_u64(), "{kind}: counts are integers: {m}");
        assert!(v["notes"].as_array().is_some_and(|n| n.iter().all(Value::is_string)), "{kind}: notes");
        if kind != "flops" {
            let g = &v["gpu"];
            assert!(g["id"].is_string() && g["name"].is_string() && g["count"].is_u64(), "{kind}: gpu {g}");
            for p in ["weights", "activations", "kv"] {
                assert!(v["precision"][p].is_string(), "{kind}: precision.{p}");
            }
        }
        if v.get("layout").is_some() {
            for k in ["tp", "pp", "dp", "ep", "cp"] {
                assert!(v["layout"][k].is_u64(), "{kind}: layout.{k}");
            }
        }
        let schema: Value = serde_json::from_str(
            &std::fs::read_to_string(repo(&format!("schemas/answers/{kind}.schema.json")))
                .expect("schema checked in"),
        )
        .expect("schema JSON");
        let wrong = suanli_api::schemas::violations(&schema, &v);
        assert!(wrong.is_empty(), "{kind}: {wrong:?}");
    }
    // Sweep rows carry the version too, and the MoE model's 6·N·D uses active parameters.
    let v: Value =
        serde_json::from_str(&run(&["flops", "-m", "deepseek-v3", "--tokens", "1.48e13", "-f", "json"]))
            .unwrap();
    assert!(v["model"]["active_params"].as_u64() < v["model"]["params"].as_u64());
}

#[test]
fn checked_in_answer_schemas_are_current() {
    for (kind, schema) in suanli_api::schemas::answers() {
        let path = repo(&format!("schemas/answers/{kind}.schema.json"));
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        let fresh = run(&["schema", kind]);
        assert_eq!(
            current,
            fresh,
            "{} is stale: run `cargo run -- schema {kind} -o schemas/answers/{kind}.schema.json`",
            path.display()
        );
        assert_eq!(serde_json::from_str::<Value>(&fresh).unwrap(), schema);
    }
}

/// Every command that writes CSV: the planners, sweep, plan, validate, catalog, audit.
fn csv_commands() -> Vec<Vec<String>> {
    let mut all: Vec<Vec<String>> =
        planners().into_iter().map(|(_, a)| a.iter().map(|s| s.to_string()).collect()).collect();
    let extra: Vec<Vec<&str>> = vec![
        vec![
            "sweep",
            "-m",
            "llama2-7b,llama3.1-8b",
            "--gpu",
            "h100-sxm,a100-sxm-80gb",
            "--input-tokens",
            "128",
            "--output-tokens",
            "32",
        ],
        vec!["plan"],
        vec!["validate"],
        vec!["validate", "training"],
        vec!["catalog", "accelerators"],
        vec!["catalog", "servers"],
        vec!["catalog", "models"],
        vec!["catalog", "show", "h100-sxm"],
    ];
    all.extend(extra.into_iter().map(|a| a.into_iter().map(String::from).collect()));
    all
}

/// Whether a column holds numbers by its name (the unit is in the name).
fn numeric(column: &str) -> bool {
    [
        "_s", "_gib", "_usd", "_per_s", "_days", "_mean", "_p50", "_p90", "_p99", "_params", "_count", "_tp",
        "_pp", "_dp",
    ]
    .iter()
    .any(|u| column.ends_with(u))
        || ["batch", "gpus", "replicas", "servers", "mfu", "hfu", "value"].contains(&column)
}

#[test]
fn every_csv_is_one_tidy_table() {
    for args in csv_commands() {
        let mut argv: Vec<&str> = args.iter().map(String::as_str).collect();
        argv.extend(["-f", "csv"]);
        let text = run(&argv);
        let mut reader =
            csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let header = reader.headers().unwrap_or_else(|e| panic!("{argv:?}: {e}")).clone();
        assert!(header.len() > 1, "{argv:?}: header {header:?}");
        assert!(
            header.iter().all(|h| !h.is_empty() && !h.contains(' ')),
            "{argv:?}: column names {header:?}"
        );
        let mut records = 0;
        for row in reader.records() {
            let row = row.unwrap_or_else(|e| panic!("{argv:?}: not one table: {e}"));
            records += 1;
            for (h, cell) in header.iter().zip(row.iter()) {
                if numeric(h) && !cell.is_empty() && h != "value" {
                    assert!(cell.parse::<f64>().is_ok(), "{argv:?}: `{h}` = {cell:?} is not a raw number");
                }
            }
        }
        assert!(records >= 1, "{argv:?}: no records");
    }
}
