//! The `suanli` binary end to end: every subcommand, its formats, and bad input.
#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::PathBuf;

mod common;

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

fn stdout(args: &[&str]) -> String {
    let out = suanli().args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(args)).expect("valid JSON")
}

/// Runs a command that must exit with `code`; returns its stdout as JSON.
fn json_exit(args: &[&str], code: i32) -> Value {
    let out = suanli().args(args).output().expect("runs");
    assert_eq!(out.status.code(), Some(code), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// Runs a command that must fail with exit code 2 and a one-line error; returns the line.
fn fails(args: &[&str]) -> String {
    let out = suanli().args(args).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} exit code; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: one line, got {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("suanli-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn no_arguments_runs_the_chatgpt_plan() {
    assert_eq!(stdout(&[]), stdout(&["plan"]));
}

#[test]
fn plan_table_snapshot() {
    insta::assert_snapshot!("plan_table", stdout(&["plan"]));
}

#[test]
fn plan_markdown_snapshot() {
    insta::assert_snapshot!("plan_markdown", stdout(&["plan", "--format", "markdown"]));
}

#[test]
fn plan_json_shows_every_seed_figure() {
    let v = json(&["plan", "--format", "json"]);
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["kind"], "plan");
    let claims = v["claims"].as_array().expect("claims");
    let by_ref = |r: &str| claims.iter().filter(|c| c["ref"] == r).collect::<Vec<_>>();
    for (r, stated) in [
        ("S2", "2.6"),
        ("S2", "3640"),
        ("S4", "8.89e6"),
        ("S5", "7034.7"),
        ("S6", "1350.4"),
        ("S8", "960000"),
        ("S9", "243"),
        ("S9", "146"),
        ("S9", "73"),
        ("S10", "72.7%"),
    ] {
        let c =
            by_ref(r).into_iter().find(|c| c["stated"] == stated).unwrap_or_else(|| panic!("{r} {stated}"));
        assert_eq!(c["reproduced"], true, "{r} {stated}");
    }
    let s11 = &by_ref("S11")[0];
    assert_eq!(s11["reproduced"], false);
    assert_eq!(s11["stated"], "69.2%");
    assert_eq!(s11["implied"], "47.6%");
    assert_eq!(v["claim_summary"]["flagged"], serde_json::json!(["S11"]));
    let keys: Vec<&str> = v["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .flat_map(|s| s["figures"].as_array().expect("figures").iter())
        .map(|f| f["key"].as_str().expect("key"))
        .collect();
    for k in [
        "market.share.2021.training",
        "servers.dgx-2.accelerators",
        "unit_economics.budget.0.servers",
        "unit_economics.tutoring.ai_share_of_teacher",
        "pretraining.servers_planned.3d",
    ] {
        assert!(keys.contains(&k), "{k}");
    }
}

#[test]
fn plan_is_deterministic_and_writes_files_whole() {
    let a = stdout(&["plan", "-f", "json"]);
    assert_eq!(a, stdout(&["plan", "-f", "json"]));
    let out = std::env::temp_dir().join(format!("suanli-plan-{}.json", std::process::id()));
    suanli().args(["plan", "-f", "json", "-o"]).arg(&out).assert().success();
    assert_eq!(std::fs::read_to_string(&out).expect("written"), a);
    let _ = std::fs::remove_file(&out);
    let bad = std::env::temp_dir().join("suanli-no-such-dir").join("x.json");
    let r = suanli().args(["plan", "-o"]).arg(&bad).output().expect("runs");
    assert_eq!(r.status.code(), Some(1));
    assert!(!bad.exists());
}

#[test]
fn plan_runs_the_tutoring_example() {
    let text = stdout(&["plan", repo("examples/tutoring-startup.toml").to_str().expect("path")]);
    assert!(text.contains("l40s-8x-pcie"));
    assert!(text.contains("AI compute cost as a share of the teacher's"));
}

#[test]
fn catalog_lists_with_sources() {
    let v = json(&["catalog", "accelerators", "--format", "json"]);
    let entries = v["entries"].as_array().expect("entries");
    assert!(entries.len() >= 18);
    for a in entries {
        let src = a["dense_tflops"].as_object().expect("dense").values().next().expect("a rate")["src"]
            .as_str()
            .expect("src");
        assert!(v["sources"][src].is_string(), "{src} resolved");
        assert!(a["memory_gb"]["conf"].is_string());
    }
    assert!(json(&["catalog", "models", "-f", "json"])["entries"].as_array().expect("models").len() >= 25);
    assert!(json(&["catalog", "servers", "-f", "json"])["entries"].as_array().expect("servers").len() >= 8);
    let table = stdout(&["catalog", "accelerators"]);
    assert!(table.contains("h100-sxm") && table.contains("989.4"));
    let gb200 = table.lines().find(|l| l.starts_with("gb200 ")).expect("gb200 row");
    assert!(table.contains("rent USD/h") && gb200.trim_end().ends_with("10.5"), "{gb200}");
    assert!(stdout(&["catalog", "models", "-f", "markdown"]).contains("| llama3.1-405b |"));
    assert!(stdout(&["catalog", "servers"]).contains("nf5688m6-a800"));
}

#[test]
fn catalog_show_gives_every_source() {
    let text = stdout(&["catalog", "show", "a800"]);
    assert!(text.contains("sparse_tflops.fp16") && text.contains("tweakers-a800"), "{text}");
    let v = json(&["catalog", "show", "llama2-70b", "-f", "json"]);
    assert_eq!(v["kind"], "model");
    assert!(v["entry"]["computed"]["params"].as_f64().expect("params") > 6.8e10);
    assert!(v["sources"]["touvron2023b"].is_string());
    assert!(stdout(&["catalog", "show", "dgx-h100"]).contains("power_kw"));
}

#[test]
fn user_catalog_extends_the_builtin_one() {
    let file = tmp(
        "mine.toml",
        r#"
[sources]
lab = "our lab"
[[accelerator]]
id = "my-npu"
name = "My NPU"
vendor = "Me"
scale_up_link = "PCIe"
memory_gb = { v = 64, src = "lab", conf = "estimate" }
memory_bw_tbs = { v = 1.0, src = "lab", conf = "estimate" }
scale_up_gbs = { v = 64, src = "lab", conf = "estimate" }
dense_tflops = { bf16 = { v = 100, src = "lab", conf = "estimate" } }
"#,
    );
    let text = stdout(&["--catalog", file.to_str().expect("path"), "catalog", "show", "my-npu"]);
    assert!(text.contains("our lab"));
}

#[test]
fn flops_from_id_and_from_config_json() {
    let v = json(&["flops", "--model", "llama2-7b", "--tokens", "2e12", "-f", "json"]);
    assert_eq!(v["params"]["total"].as_f64(), Some(6_738_415_616.0));
    let pf = v["training"]["pf_days_6nd"].as_f64().expect("pf");
    assert!((pf - 6.0 * 6_738_415_616.0 * 2e12 / 8.64e19).abs() < 1e-6);
    let cfg = repo("crates/suanli-core/tests/fixtures/hf/mixtral-8x7b.json");
    let v = json(&["flops", "--model", cfg.to_str().expect("path"), "-f", "json"]);
    assert_eq!(v["params"]["total"].as_f64(), Some(46_702_792_704.0));
    assert!(stdout(&["flops", "-m", "deepseek-v3"]).contains("Mla"));
}

#[test]
fn validate_reports_errors() {
    let text = stdout(&["validate", "--rows"]);
    for set in ["gpt3-compute", "published-params", "training", "inference"] {
        assert!(text.contains(set), "{set}");
    }
    assert!(!text.contains("pending"), "every set is predicted");
    let v = json(&["validate", "-f", "json"]);
    let s = &v["result"]["summaries"][0];
    assert_eq!(s["set"], "gpt3-compute");
    assert!(s["worst_abs_error"].as_f64().expect("worst") < 0.01);
}

#[test]
fn checked_in_schema_is_current() {
    let current = std::fs::read_to_string(repo("schemas/scenario.schema.json")).expect("schema checked in");
    let fresh = stdout(&["schema"]);
    assert!(
        current == fresh,
        "schemas/scenario.schema.json is stale: run `cargo run -- schema -o schemas/scenario.schema.json`"
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let e = fails(&["plan", tmp("broken.toml", "name = \"x\"\n[model\n").to_str().expect("p")]);
    assert!(e.contains("broken.toml:2:"), "{e}");
    let e =
        fails(&["plan", tmp("unknown.toml", "name = \"x\"\n[model]\nid = \"gpt4\"\n").to_str().expect("p")]);
    assert!(e.contains("unknown model `gpt4`") && e.contains("did you mean"), "{e}");
    let e = fails(&[
        "plan",
        tmp("neg.toml", "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[pretraining]\ntokens = -1\n")
            .to_str()
            .expect("p"),
    ]);
    assert!(e.contains("pretraining.tokens") && e.contains("-1"), "{e}");
    let e = fails(&[
        "plan",
        tmp("zero.toml", "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[pretraining]\ntokens = 0\n")
            .to_str()
            .expect("p"),
    ]);
    assert!(e.contains("pretraining.tokens"), "{e}");
    let e = fails(&[
        "plan",
        tmp(
            "missing.toml",
            "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[inference]\ncost_per_interaction_usd = 0.01\n",
        )
        .to_str()
        .expect("p"),
    ]);
    assert!(e.contains("monthly_interactions"), "{e}");
    let e = fails(&["catalog", "show", "h100x"]);
    assert!(e.contains("h100"), "{e}");
    let e = fails(&["flops", "--model", "lama2-7b"]);
    assert!(e.contains("llama2-7b"), "{e}");
    let e = fails(&["flops", "--model", "llama2-7b", "--tokens", "-5"]);
    assert!(e.contains("--tokens"), "{e}");
    let e =
        fails(&["flops", "--model", tmp("bad.json", "{\"model_type\": \"llama\",,}").to_str().expect("p")]);
    assert!(e.contains("bad.json:1:"), "{e}");
    let e =
        fails(&["flops", "--model", tmp("nokey.json", "{\"model_type\": \"llama\"}").to_str().expect("p")]);
    assert!(e.contains("missing required key `hidden_size`"), "{e}");
    let e = fails(&[
        "--catalog",
        tmp("badcat.toml", "[[model]]\nid = 3\n").to_str().expect("p"),
        "catalog",
        "models",
    ]);
    assert!(e.contains("badcat.toml:2:"), "{e}");
    let e = fails(&["plan", "/no/such/file.toml"]);
    assert!(e.contains("cannot read /no/such/file.toml"), "{e}");
    let out = suanli().args(["plan", "--format", "yaml"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// The activation clamp (gpt-oss `swiglu_limit`, or `activation_clamp` in a `[[model]]`) must
/// be a positive number: a negative or zero one is one line naming the key, exit 2, and the
/// directory the command runs in is left as it was.
#[test]
fn a_bad_activation_clamp_is_refused_by_name() {
    let config = std::fs::read_to_string(repo("crates/suanli-core/catalog/hf/openai--gpt-oss-120b.json"))
        .expect("the built-in gpt-oss config");
    let bad = config.replacen("\"swiglu_limit\": 7.0", "\"swiglu_limit\": -3.0", 1);
    assert_ne!(bad, config, "the config sets swiglu_limit");
    let file = tmp("bad-clamp.json", &bad);
    // An empty directory of its own to run in (other tests write beside `file` meanwhile).
    let dir = file.with_extension("cwd");
    std::fs::create_dir_all(&dir).expect("cwd");
    let out = suanli()
        .current_dir(&dir)
        .args(["train", "-m", file.to_str().expect("p"), "--gpu", "b200", "--gpus", "8"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8(out.stderr).expect("utf-8");
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(e.contains("`swiglu_limit` = -3") && e.contains("positive"), "{e}");
    assert_eq!(std::fs::read_dir(&dir).expect("cwd").count(), 0, "nothing written where it ran");
    let e = fails(&["flops", "--model", tmp("bad-clamp.json", &bad).to_str().expect("p")]);
    assert!(e.contains("swiglu_limit"), "{e}");
    let model = |clamp: &str| {
        format!(
            "[[model]]\nid = \"clamped-small\"\nname = \"Clamped small\"\nfamily = \"test\"\nlayers = 12\nhidden = 768\n\
             heads = 12\nkv_heads = 12\nhead_dim = 64\nffn = 3072\nffn_kind = \"swiglu\"\nvocab = 50257\n\
             max_context = 2048\ntied_embeddings = false\nposition = \"rope\"\nnorm = \"rmsnorm\"\nbias = false\n\
             activation_clamp = {clamp}\nsrc = \"brown2020\"\n"
        )
    };
    for clamp in ["-1.0", "0.0"] {
        let cat = tmp("clamp-cat.toml", &model(clamp));
        let e = fails(&["--catalog", cat.to_str().expect("p"), "flops", "--model", "clamped-small"]);
        assert!(e.contains("activation_clamp") && e.contains("positive"), "{clamp}: {e}");
    }
    let cat = tmp("clamp-cat.toml", &model("7.0"));
    stdout(&["--catalog", cat.to_str().expect("p"), "flops", "--model", "clamped-small"]);
}

#[test]
fn readme_shows_the_current_validation_table() {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README");
    let all = stdout(&["validate", "-f", "markdown"]);
    let first = all.split("\n\n").next().expect("a table");
    assert!(
        readme.contains(first.trim_end()),
        "README's accuracy table is stale: paste `suanli validate -f markdown`"
    );
    // The published set's table, as `suanli validate published -f markdown` prints it.
    let published = stdout(&["validate", "published", "-f", "markdown"]);
    let rows: Vec<&str> = published.lines().filter(|l| l.starts_with('|')).collect();
    let first_table = rows
        .iter()
        .take_while(|l| !l.starts_with("| file | >rows") && !l.contains("why not answered"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        readme.contains(&first_table),
        "README's published-set table is stale: paste the first table of `suanli validate published -f markdown`"
    );
}

#[test]
fn scenario_model_can_be_a_config_json() {
    let dir = std::env::temp_dir().join(format!("suanli-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::copy(repo("crates/suanli-core/tests/fixtures/hf/mistral-7b.json"), dir.join("mistral.json"))
        .expect("copy");
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, "name = \"m\"\n[model]\nid = \"mistral.json\"\n[pretraining]\ntokens = 1e12\n")
        .expect("write");
    let v = json(&["plan", scenario.to_str().expect("path"), "-f", "json"]);
    assert_eq!(v["model"]["id"], "mistral");
    assert_eq!(v["model"]["params_from_shape"].as_f64(), Some(7_241_732_096.0));
}

#[test]
fn a_dozen_broken_scenarios_exit_2_without_panicking() {
    let broken = [
        "",
        "name = \"x\"",
        "[[[",
        "name = \"x\"\n[model]\nid = 3\n",
        "name = \"x\"\n[model]\nid = \"no-such-model\"\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\nparams = -7e9\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[hardware]\nserver = \"nope\"\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[hardware]\nserver = \"sugon-x785-g30\"\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[pretraining]\ntokens = 1e12\ndays = [0]\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[finetune]\ntraining_share = 0.4\ninference_share = 0.6\n",
        "name = \"x\"\n[model]\nid = \"missing.json\"\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[chip_cost]\nservers = [\"dgx-h100\"]\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[market]\nname = \"m\"\nunit = \"u\"\npoints = [{ year = 2022, value = 1 }, { year = 2021, value = 2 }]\n",
    ];
    for (i, text) in broken.iter().enumerate() {
        let p = tmp(&format!("broken-{i}.toml"), text);
        let e = fails(&["plan", p.to_str().expect("path")]);
        assert!(!e.contains("panicked"), "{e}");
    }
}

#[test]
fn train_json_contract() {
    let v = json(&[
        "train",
        "-m",
        "llama2-70b",
        "--gpu",
        "h100-sxm",
        "--gpus",
        "64",
        "--global-batch",
        "128",
        "--seq-len",
        "4096",
        "--precision",
        "fp8",
        "--tokens",
        "2e12",
        "-f",
        "json",
    ]);
    for key in [
        "config",
        "fits",
        "memory_gib_per_gpu",
        "step_time_s",
        "tokens_per_s",
        "tokens_per_s_per_gpu",
        "model_tflops_per_gpu",
        "hardware_tflops_per_gpu",
        "mfu",
        "hfu",
        "time_days",
        "gpu_hours",
        "servers",
        "energy_mwh",
        "cost_usd",
        "breakdown",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in [
        "tp",
        "pp",
        "dp",
        "ep",
        "cp",
        "vp",
        "micro_batch",
        "global_batch",
        "seq_len",
        "recompute",
        "zero",
        "precision",
    ] {
        assert!(v["config"].get(key).is_some(), "missing config.{key}");
    }
    assert_eq!(v["kind"], "train");
    assert_eq!(v["fits"], true);
    let c = &v["config"];
    let product = ["tp", "pp", "dp", "cp"].iter().map(|k| c[*k].as_u64().expect("int")).product::<u64>();
    assert_eq!(product, 64);
    assert!(v["mfu"].as_f64().expect("mfu") < 1.0);
    assert_eq!(v["servers"], 8);
    assert!(v["search"]["evaluated"].as_u64().expect("evaluated") > 100);
    assert!(v["cost_usd"].as_f64().expect("h100 has a cloud price") > 0.0);
}

#[test]
fn train_fixed_layout_and_table() {
    let text = stdout(&[
        "train",
        "-m",
        "gpt3-175b",
        "--gpu",
        "a100-sxm-80gb",
        "--gpus",
        "1024",
        "--tp",
        "8",
        "--pp",
        "8",
        "--dp",
        "16",
        "--micro-batch",
        "1",
        "--vp",
        "1",
        "--recompute",
        "full",
        "--zero",
        "1",
        "--global-batch",
        "1536",
        "--seq-len",
        "2048",
        "--tokens",
        "300e9",
        "--stack",
        "legacy",
    ]);
    assert!(text.contains("tp 8 × pp 8 × dp 16"), "{text}");
    assert!(text.contains("pipeline bubble") && text.contains("optimizer states"));
    assert!(!text.contains("Searched"), "a fixed layout is not a search");
}

#[test]
fn train_days_mode_finds_fewest_servers() {
    let v = json(&[
        "train",
        "-m",
        "gpt3-175b",
        "--gpu",
        "a800",
        "--global-batch",
        "1536",
        "--seq-len",
        "2048",
        "--tokens",
        "300e9",
        "--days",
        "10",
        "--precision",
        "fp16",
        "-f",
        "json",
    ]);
    assert!(v["time_days"].as_f64().expect("days") <= 10.0);
    let servers = v["servers"].as_u64().expect("servers");
    assert!(servers > 150 && servers < 1000, "{servers}");
    assert_eq!(v["server"], "nf5688m6-a800");
}

#[test]
fn train_bad_layouts() {
    let base =
        ["train", "-m", "gpt3-175b", "--gpu", "a100-sxm-80gb", "--global-batch", "1536", "--seq-len", "2048"];
    fn join<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        base.iter().chain(extra).copied().collect()
    }
    let with = |extra: &[&'static str]| join(&base, extra);
    let e = fails(&with(&["--gpus", "1024", "--tp", "5"]));
    assert!(e.contains("--tp") && e.contains("attention heads (96)"), "{e}");
    // pp 7 is accepted since issue 11 (uneven stages: 13 + 5 × 14 + 13 layers); 97 cannot split 96.
    let e = fails(&with(&["--gpus", "1024", "--pp", "97"]));
    assert!(e.contains("--pp") && e.contains("layers (96)"), "{e}");
    let e = fails(&with(&["--gpus", "1024", "--pp", "8", "--first-stage-layers", "6"]));
    assert!(e.contains("--first-stage-layers") && e.contains("96 layers"), "{e}");
    let e = fails(&with(&["--gpus", "1000", "--tp", "8", "--pp", "8", "--dp", "16"]));
    assert!(e.contains("--gpus") && e.contains("tp·pp·dp·cp = 1024"), "{e}");
    let e = fails(&["train", "-m", "gpt3-175b", "--gpu", "h100x", "--gpus", "8"]);
    assert!(e.contains("unknown accelerator `h100x`") && e.contains("h100"), "{e}");
    let e = fails(&with(&["--days", "3"]));
    assert!(e.contains("--days") && e.contains("tokens"), "{e}");
    let e = fails(&with(&[]));
    assert!(e.contains("--gpus"), "{e}");
    let e = fails(&with(&["--gpus", "8", "--precision", "fp8"]));
    assert!(e.contains("precision") && e.contains("bf16"), "{e}");

    // A fixed layout that does not fit: exit 1, GiB needed and available.
    let one = [
        "train",
        "-m",
        "gpt3-175b",
        "--gpu",
        "a100-sxm-80gb",
        "--seq-len",
        "2048",
        "--global-batch",
        "1",
        "--gpus",
        "1",
        "--tp",
        "1",
        "--pp",
        "1",
        "--dp",
        "1",
        "--micro-batch",
        "1",
        "--recompute",
        "full",
        "--zero",
        "0",
        "--vp",
        "1",
    ];
    let out = suanli().args(one).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not fit") && err.contains("GiB per GPU") && err.contains("80.0 GiB available"),
        "{err}"
    );

    // A search with nothing feasible reports the nearest miss.
    let two = [
        "train",
        "-m",
        "gpt3-175b",
        "--gpu",
        "a100-sxm-80gb",
        "--seq-len",
        "2048",
        "--global-batch",
        "2",
        "--gpus",
        "2",
    ];
    let out = suanli().args(two).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nearest miss") && err.contains("GiB"), "{err}");
}

/// OPT-175B's published layout (Zhang et al. 2022, arXiv:2205.01068: 992 A100 80GB, tensor
/// parallelism 8 and FSDP over 124 replicas, 1,024 sequences of 2,048 a step) is refused
/// under Megatron's divisibility rule, naming `--uneven-batch`, and accepted with it.
#[test]
fn train_opt_175b_published_layout_with_uneven_micro_batches() {
    let base = [
        "train",
        "-m",
        "opt-175b",
        "--gpu",
        "a100-sxm-80gb",
        "--gpus",
        "992",
        "--tp",
        "8",
        "--pp",
        "1",
        "--dp",
        "124",
        "--global-batch",
        "1024",
        "--seq-len",
        "2048",
        "--sharding",
        "fsdp",
    ];
    let e = fails(&base);
    assert!(e.contains("--global-batch") && e.contains("dp 124") && e.contains("uneven_batch"), "{e}");
    let with_mb: Vec<&str> = base.iter().copied().chain(["--micro-batch", "1"]).collect();
    let e = fails(&with_mb);
    assert!(e.contains("nearest workable batch is 992") && e.contains("uneven_batch"), "{e}");
    let args: Vec<&str> = with_mb.iter().copied().chain(["--uneven-batch", "-f", "json"]).collect();
    let v = json(&args);
    assert_eq!(v["gpus"], 992);
    assert_eq!(v["layout"]["dp"], 124);
    assert_eq!(v["layout"]["tp"], 8);
    let notes = v["notes"].to_string();
    assert!(notes.contains("32 replicas run 9 and 92 run 8"), "{notes}");
    // Fewer micro-batches than replicas is still refused.
    let few: Vec<&str> = base
        .iter()
        .map(|a| if *a == "1024" { "64" } else { a })
        .chain(["--micro-batch", "1", "--uneven-batch"])
        .collect();
    let e = fails(&few);
    assert!(e.contains("--global-batch") && e.contains("at least dp × micro_batch"), "{e}");
}

#[test]
fn validate_training_prints_every_row() {
    let text = stdout(&["validate", "training"]);
    let rows = text.lines().filter(|l| l.starts_with("training ")).count();
    assert_eq!(rows, 14, "13 rows and the summary: {text}");
    assert!(text.contains("median") && text.contains("nemo-gpt3-175b-h100-fp8"));
}

#[test]
fn infer_json_contract() {
    let v = json(&[
        "infer",
        "--model",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "1",
        "--input",
        "1000",
        "--output",
        "1000",
        "--precision",
        "fp8",
        "--format",
        "json",
    ]);
    for key in [
        "workload",
        "fits",
        "memory_gib_per_gpu",
        "kv_cache_gib",
        "max_batch",
        "batch",
        "ttft_s",
        "tpot_s",
        "e2e_s",
        "output_tokens_per_s",
        "output_tokens_per_s_per_gpu",
        "total_tokens_per_s",
        "cost_usd_per_million_output_tokens",
        "bound",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["kind"], "infer");
    assert_eq!(v["precision"]["weights"], "fp8");
    assert!(
        ["compute", "memory", "network", "host"].contains(&v["bound"]["decode"].as_str().expect("bound"))
    );
    let tps = v["output_tokens_per_s"].as_f64().expect("rate");
    assert!((tps - 15_245.0).abs() / 15_245.0 < 0.2, "{tps}");
    assert!(v["cost_usd_per_million_output_tokens"].as_f64().expect("h100 price") > 0.0);
}

#[test]
fn infer_modes_and_overrides() {
    let base = [
        "infer",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "4",
        "--input",
        "500",
        "--output",
        "200",
        "-f",
        "json",
    ];
    let batch = json(&[&base[..], &["--batch", "8"]].concat());
    assert_eq!(batch["batch"], 8);
    assert_eq!(batch["workload"]["load"], "batch 8");
    let conc = json(&[&base[..], &["--concurrency", "32"]].concat());
    assert_eq!(conc["batch"], 32);
    let mixed = json(&[&base[..], &["--precision", "fp8", "--kv", "bf16"]].concat());
    assert_eq!(mixed["precision"]["kv"], "bf16");
    assert_eq!(mixed["precision"]["weights"], "fp8");
    let int4 = json(&[&base[..], &["--weights", "int4"]].concat());
    assert_eq!(int4["precision"]["activations"], "bf16");
}

#[test]
fn infer_search_respects_latency_limits() {
    let v = json(&[
        "infer",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--input",
        "1000",
        "--output",
        "500",
        "--precision",
        "auto",
        "--max-tpot",
        "0.04",
        "-f",
        "json",
    ]);
    assert!(v["tpot_s"]["mean"].as_f64().expect("tpot") <= 0.04);
    assert!(v["search"].as_array().expect("ranking").len() > 3);
    let text =
        stdout(&["infer", "-m", "mixtral-8x7b", "--gpu", "h100-sxm", "--input", "1000", "--output", "1000"]);
    assert!(text.contains("Search ranking"), "{text}");
}

#[test]
fn infer_bad_input() {
    let e = fails(&[
        "infer",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "a100-sxm-80gb",
        "--tp",
        "1",
        "--input",
        "100",
        "--output",
        "100",
        "--precision",
        "fp8",
    ]);
    assert!(e.contains("fp8") && e.contains("fallback") && e.contains("bf16"), "{e}");
    let v = json(&[
        "infer",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "a100-sxm-80gb",
        "--tp",
        "1",
        "--input",
        "100",
        "--output",
        "100",
        "--precision",
        "fp8",
        "--fallback",
        "-f",
        "json",
    ]);
    assert_eq!(v["precision"]["activations"], "bf16");
    assert!(
        v["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n.as_str().is_some_and(|s| s.contains("fallback")))
    );
    let e = fails(&[
        "infer",
        "-m",
        "llama2-7b",
        "--gpu",
        "h100",
        "--tp",
        "1",
        "--input",
        "4000",
        "--output",
        "200",
    ]);
    assert!(e.contains("4000 + 200 output tokens = 4200") && e.contains("4096"), "{e}");
    let e =
        fails(&["infer", "-m", "llama2-7b", "--gpu", "h100", "--tp", "3", "--input", "10", "--output", "10"]);
    assert!(e.contains("tp") && e.contains("heads"), "{e}");
    let e =
        fails(&["infer", "-m", "llama2-7b", "--gpu", "h100", "--tp", "1", "--input", "0", "--output", "10"]);
    assert!(e.contains("--input"), "{e}");
    // Does not fit: exit 1 with the GiB.
    let out = suanli()
        .args([
            "infer",
            "-m",
            "llama3.1-70b",
            "--gpu",
            "h100-sxm",
            "--tp",
            "1",
            "--input",
            "100",
            "--output",
            "100",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not fit") && err.contains("GiB"), "{err}");
}

#[test]
fn validate_inference_prints_every_row() {
    let text = stdout(&["validate", "inference"]);
    let rows = text.lines().filter(|l| l.starts_with("inference ")).count();
    assert_eq!(rows, 18, "17 rows and the summary: {text}");
}

fn has_latency(v: &Value, key: &str) {
    for p in ["mean", "p50", "p90", "p99"] {
        assert!(v[key][p].as_f64().is_some(), "{key}.{p}");
    }
}

#[test]
fn simulate_json_contract() {
    const ARGS: [&str; 22] = [
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "2",
        "--rate",
        "10",
        "--requests",
        "3000",
        "--input",
        "500",
        "--output",
        "200",
        "--seed",
        "7",
        "--ttft-p99",
        "1",
        "--tpot-p99",
        "0.05",
        "-f",
    ];
    let args: Vec<&str> = ARGS.iter().copied().chain(["json"]).collect();
    let v = json(&args);
    for key in ["ttft_s", "tpot_s", "e2e_s"] {
        has_latency(&v, key);
    }
    assert_eq!(v["kind"], "simulate");
    for key in ["throughput_requests_per_s", "output_tokens_per_s", "goodput", "saturated"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["saturated"], false);
    assert!(v["goodput"].as_f64().expect("goodput") > 0.9);
    // Same seed, same bytes.
    assert_eq!(stdout(&args), stdout(&args));
}

#[test]
fn simulate_disaggregated_prefill_and_decode() {
    let base = "simulate -m llama3.1-8b --gpu h100-sxm --tp 1 --rate 12 --input 6000 --output 150 --requests 3000 -f json";
    let args =
        |extra: &str| -> Vec<String> { base.split(' ').chain(extra.split(' ')).map(String::from).collect() };
    let run = |extra: &str| {
        let a = args(extra);
        json(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let colocated = run("--replicas 4");
    let split = run("--replicas 2 --prefill-replicas 2");
    assert_eq!(split["config"]["prefill_replicas"], 2);
    assert!(colocated.get("disaggregated").is_none());
    let pools = &split["disaggregated"];
    for pool in ["prefill", "decode"] {
        assert_eq!(pools[pool]["saturated"], false, "{pool}");
    }
    has_latency(&split, "tpot_s");
    has_latency(pools, "kv_transfer_s");
    // Four one-GPU replicas fit one 8-GPU HGX board: the KV cache crosses NVLink (450 GB/s a
    // direction); over the NICs at 50 GB/s, 6,000 prompt tokens × 128 KiB per token take
    // about 16 ms.
    let transfer = pools["kv_transfer_s"]["mean"].as_f64().unwrap();
    assert!((transfer - (200e-6 + 6000.0 * 131_072.0 / 450e9)).abs() < 1e-6, "{transfer}");
    let nic = run("--replicas 2 --prefill-replicas 2 --kv-link nic");
    let transfer = nic["disaggregated"]["kv_transfer_s"]["mean"].as_f64().unwrap();
    assert!((transfer - (200e-6 + 6000.0 * 131_072.0 / 50e9)).abs() < 1e-6, "{transfer}");
    // Long prompts interleaved with decodes slow every colocated step; the decode pool never
    // runs a prefill: TPOT's tail falls, TTFT rises (half the GPUs prefill).
    let p99 = |v: &Value, k: &str| v[k]["p99"].as_f64().unwrap();
    assert!(p99(&split, "tpot_s") < 0.6 * p99(&colocated, "tpot_s"), "{split}");
    assert!(p99(&split, "ttft_s") > p99(&colocated, "ttft_s"));
    let text = stdout(
        &args("--replicas 2 --prefill-replicas 2")
            .iter()
            .map(String::as_str)
            .filter(|a| *a != "-f" && *a != "json")
            .collect::<Vec<_>>(),
    );
    assert!(
        text.contains("2 prefill (tp 1) + 2 decode replicas") && text.contains("KV transfer per request"),
        "{text}"
    );
    let e = fails(&args("--replicas 2 --prefill-replicas 0").iter().map(String::as_str).collect::<Vec<_>>());
    assert!(e.contains("--prefill-replicas"), "{e}");
}

#[test]
fn serve_sizes_disaggregated_pools_within_the_targets() {
    let v = json(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "12",
        "--input",
        "6000",
        "--output",
        "150",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.03",
        // Tensor-parallel only, as the pools are: `serve` would otherwise find tp 1 × pp 4.
        "--pp",
        "1",
        "--simulate",
        "--disaggregate",
        "-f",
        "json",
    ]);
    let d = &v["disaggregated"];
    let (p, dec) = (d["prefill_replicas"].as_u64().unwrap(), d["decode_replicas"].as_u64().unwrap());
    assert!(p >= 1 && dec >= 1, "{d}");
    let (ptp, dtp) = (d["prefill_tp"].as_u64().unwrap(), d["decode_tp"].as_u64().unwrap());
    assert_eq!(d["gpus"].as_u64().unwrap(), p * ptp + dec * dtp);
    let colocated_gpus = v["gpus"].as_u64().unwrap();
    assert!(p * ptp + dec * dtp <= colocated_gpus, "here splitting saves GPUs: {d}");
    assert!(d["ttft_s"]["p99"].as_f64().unwrap() <= 0.95 * 2.0, "{d}");
    assert!(d["tpot_s"]["p99"].as_f64().unwrap() <= 0.95 * 0.03, "{d}");
    has_latency(d, "kv_transfer_s");
    // The split, re-simulated on its own with another seed, still meets the targets.
    let sim = json(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--tp",
        &v["layout"]["tp"].to_string(),
        "--replicas",
        &dec.to_string(),
        "--prefill-replicas",
        &p.to_string(),
        "--rate",
        "12",
        "--input",
        "6000",
        "--output",
        "150",
        "--requests",
        "20000",
        "--seed",
        "3",
        "-f",
        "json",
    ]);
    assert!(sim["ttft_s"]["p99"].as_f64().unwrap() <= 2.0, "{sim}");
    assert!(sim["tpot_s"]["p99"].as_f64().unwrap() <= 0.03, "{sim}");
    // Without the flag there is no such section.
    let plain = json(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "12",
        "--input",
        "6000",
        "--output",
        "150",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.03",
        "-f",
        "json",
    ]);
    assert!(plain.get("disaggregated").is_none());
}

#[test]
fn simulate_latency_distribution_and_html() {
    let args = [
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "2",
        "--rate",
        "10",
        "--requests",
        "3000",
        "--lengths",
        "sharegpt",
    ];
    let with = |f: &'static str| -> Vec<&'static str> { args.iter().copied().chain(["-f", f]).collect() };
    let v = json(&with("json"));
    let cdf = &v["cdf"];
    let q: Vec<f64> = cdf["quantiles"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(q.len(), 23);
    for key in ["ttft_s", "tpot_s", "e2e_s"] {
        let xs: Vec<f64> = cdf[key].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert_eq!(xs.len(), q.len(), "{key}");
        assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{key} is a distribution: {xs:?}");
        // The CDF's 0.5, 0.9 and 0.99 points are the reported percentiles.
        for (p, name) in [(0.5, "p50"), (0.9, "p90"), (0.99, "p99")] {
            let i = q.iter().position(|&x| x == p).unwrap();
            assert_eq!(xs[i], v[key][name].as_f64().unwrap(), "{key} {name}");
        }
    }
    let html = stdout(&with("html"));
    assert!(html.starts_with("<!doctype html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg").count(), 4, "three latency CDFs and the queue over time");
    // `serve --simulate -f html` draws the confirming simulation the same way.
    let fleet = stdout(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "10",
        "--lengths",
        "sharegpt",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.05",
        "--simulate",
        "-f",
        "html",
    ]);
    assert!(fleet.contains("Fleet for llama3.1-8b") && fleet.matches("<svg").count() == 4, "{fleet}");
    for external in ["<script", "src=\"http", "href=\"http", "@import"] {
        assert!(!html.contains(external), "self-contained: {external}");
    }
}

#[test]
fn simulate_reports_saturation_and_reads_traces() {
    let text = stdout(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "1",
        "--rate",
        "500",
        "--requests",
        "5000",
        "--input",
        "1000",
        "--output",
        "500",
    ]);
    assert!(text.contains("SATURATED"), "{text}");
    let trace = tmp("trace.csv", "arrival_s,input_tokens,output_tokens\n0,100,20\n0.5,200,30\n1.0,50,10\n");
    let v = json(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "1",
        "--trace",
        trace.to_str().expect("p"),
        "-f",
        "json",
    ]);
    assert_eq!(v["requests"], 3);
    let multi = json(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--replicas",
        "4",
        "--rate",
        "5",
        "--requests",
        "2000",
        "--input",
        "300",
        "--output",
        "100",
        "--turns",
        "4",
        "--think",
        "5",
        "--router",
        "prefix-affinity",
        "-f",
        "json",
    ]);
    assert!(multi["cached_prefix_tokens"].as_u64().expect("cached") > 0);
}

#[test]
fn serve_json_contract_and_daily_curve() {
    let v = json(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--gpu",
        "a100-sxm-80gb",
        "--daily-requests",
        "2e6",
        "--peak-to-average",
        "2",
        "--lengths",
        "sharegpt",
        "--ttft-p99",
        "1",
        "--tpot-p99",
        "0.04",
        "--simulate",
        "--requests",
        "5000",
        "-f",
        "json",
    ]);
    for key in [
        "replicas",
        "gpus",
        "servers",
        "layout",
        "cost_usd_per_month",
        "cost_usd_per_million_output_tokens",
        "power_kw",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    for key in ["ttft_s", "tpot_s", "e2e_s"] {
        has_latency(&v, key);
    }
    assert_eq!(v["method"], "simulated");
    assert!(v["ttft_s"]["p99"].as_f64().expect("p99") <= 1.0);
    let peak = v["peak_requests_per_s"].as_f64().expect("peak");
    assert!((peak - 2e6 / 86_400.0 * 2.0).abs() < 0.01, "{peak}");
}

#[test]
fn serve_and_simulate_bad_input() {
    let e = fails(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--rate",
        "0",
        "--input",
        "10",
        "--output",
        "10",
        "--ttft-p99",
        "1",
        "--tpot-p99",
        "0.1",
    ]);
    assert!(e.contains("--rate"), "{e}");
    let e = fails(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--rate",
        "5",
        "--input",
        "10",
        "--output",
        "10",
        "--ttft-p99",
        "-1",
        "--tpot-p99",
        "0.1",
    ]);
    assert!(e.contains("--ttft-p99"), "{e}");
    let e = fails(&[
        "serve",
        "-m",
        "llama2-7b",
        "--rate",
        "5",
        "--input",
        "4000",
        "--output",
        "500",
        "--ttft-p99",
        "1",
        "--tpot-p99",
        "0.1",
    ]);
    assert!(e.contains("4000 + 500 output tokens = 4500") && e.contains("4096"), "{e}");
    let empty = tmp("empty.csv", "");
    let e = fails(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100",
        "--replicas",
        "1",
        "--trace",
        empty.to_str().expect("p"),
    ]);
    assert!(e.contains("empty"), "{e}");
    let bad = tmp("bad.csv", "arrival_s,input_tokens,output_tokens\n0,10,5\n1,ten,5\n");
    let e = fails(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100",
        "--replicas",
        "1",
        "--trace",
        bad.to_str().expect("p"),
    ]);
    assert!(e.contains("bad.csv:3:"), "{e}");
    let e = fails(&[
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100",
        "--replicas",
        "1",
        "--rate",
        "-3",
        "--input",
        "1",
        "--output",
        "1",
    ]);
    assert!(e.contains("--rate"), "{e}");
}

#[test]
fn finetune_json_contract_for_every_method() {
    for (method, model, gpu, gpus) in [
        ("sft", "llama3.1-8b", "h100-sxm", "8"),
        ("lora", "llama2-7b", "l4", "1"),
        ("qlora", "llama2-70b", "l40s", "1"),
        ("ppo", "llama3.1-8b", "h100-sxm", "16"),
        ("grpo", "llama3.1-8b", "h100-sxm", "8"),
    ] {
        let v =
            json(&["finetune", "-m", model, "--gpu", gpu, "--gpus", gpus, "--method", method, "-f", "json"]);
        for key in [
            "memory_gib_per_gpu",
            "step_time_s",
            "time_days",
            "gpu_hours",
            "pf_days",
            "cost_usd",
            "breakdown",
            "trainable_params",
        ] {
            assert!(v.get(key).is_some(), "{method}: {key}");
        }
        assert_eq!(v["fits"], true, "{method}");
        let shares: f64 = v["breakdown"]
            .as_array()
            .expect("phases")
            .iter()
            .map(|p| p["share"].as_f64().expect("share"))
            .sum();
        assert!((shares - 1.0).abs() < 1e-9, "{method}: shares sum to 1");
    }
    let text = stdout(&["finetune", "-m", "llama3.1-8b", "--gpu", "h100", "--gpus", "16", "--method", "ppo"]);
    assert!(text.contains("generation") && text.contains("scoring") && text.contains("training"));
}

#[test]
fn finetune_bad_input() {
    let base = ["finetune", "-m", "llama2-7b", "--gpu", "l4"];
    let e = fails(&[&base[..], &["--method", "lora", "--rank", "0"]].concat());
    assert!(e.contains("--rank"), "{e}");
    let e = fails(&[&base[..], &["--method", "lora", "--rank", "5000"]].concat());
    assert!(e.contains("hidden size (4096)"), "{e}");
    let e = fails(&[&base[..], &["--method", "lora", "--targets", "q,wq"]].concat());
    assert!(e.contains("unknown target module `wq`"), "{e}");
    let e = fails(&[&base[..], &["--method", "grpo", "--group-size", "1"]].concat());
    assert!(e.contains("--group-size") && e.contains("at least 2"), "{e}");
    let out = suanli()
        .args(["finetune", "-m", "llama2-70b", "--gpu", "l40s", "--method", "lora"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "bf16 70B does not fit 48 GB");
}

#[test]
fn plan_html_snapshot_and_charts() {
    let html = stdout(&["plan", "--format", "html"]);
    assert!(html.starts_with("<!doctype html>"));
    assert!(
        !html.contains("http://")
            || html.matches("http://").count() == html.matches("http://www.w3.org/2000/svg").count(),
        "no external resources"
    );
    assert!(!html.contains("<script"), "no scripts");
    assert!(html.matches("<svg").count() >= 3);
    insta::assert_snapshot!("plan_html", html);
    let dir = std::env::temp_dir().join(format!("suanli-charts-{}", std::process::id()));
    suanli().args(["plan", "-f", "csv", "--charts"]).arg(&dir).assert().success();
    let svgs = std::fs::read_dir(&dir).expect("charts written").count();
    assert!(svgs >= 3, "{svgs} charts");
    let csv = stdout(&["plan", "-f", "csv"]);
    assert!(csv.starts_with("section,key,label,value,unit"));
    assert!(csv.contains("pretraining,pretraining.pf_days,"));
    let e = fails(&["catalog", "models", "-f", "html"]);
    assert!(e.contains("html"), "{e}");
}

/// The HTML report in headless Chromium: no network, no console errors, at least 3 charts.
#[test]
fn plan_html_opens_in_headless_chromium() {
    let Some(chromium) = common::chromium() else { return };
    let dir = std::env::temp_dir().join(format!("suanli-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let page = dir.join("plan.html");
    suanli().args(["plan", "-f", "html", "-o"]).arg(&page).assert().success();
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(dom.matches("<svg").count() >= 3, "charts rendered in the DOM");
    assert!(dom.contains("Claims checked"));
    for line in log.lines() {
        assert!(
            !(line.contains("Uncaught") || (line.contains("CONSOLE") && line.contains("ERROR"))),
            "console error: {line}"
        );
    }
}

#[test]
fn audit_flags_s11_only_and_finds_planted_inconsistencies() {
    // A flagged claim is an answer that does not hold: exit 1, the audit still printed.
    let v = json_exit(
        &["audit", repo("examples/seed-market-claims.toml").to_str().expect("path"), "-f", "json"],
        1,
    );
    assert_eq!(v["flagged"], serde_json::json!(["S11"]));
    let s11 = v["claims"].as_array().expect("claims").iter().find(|c| c["ref"] == "S11").expect("S11");
    assert_eq!(s11["implied_display"], "47.6%");
    let planted = tmp(
        "planted.toml",
        r#"
[[value]]
id = "rev_2023"
value = 100.0
unit = "USD"
year = 2023
[[value]]
id = "rev_2025"
value = 144.0
unit = "USD"
year = 2025
[[value]]
id = "cloud"
value = 30.0
unit = "USD"
[[value]]
id = "hardware"
value = 50.0
unit = "USD"
[[value]]
id = "total_cost"
value = 90.0
unit = "USD"
[[value]]
id = "servers"
value = 40.0
unit = "servers"
[[value]]
id = "price"
value = 2.5
unit = "USD"
[[claim]]
ref = "A"
kind = "cagr"
from = "rev_2023"
to = "rev_2025"
stated = "20%"
[[claim]]
ref = "B"
kind = "growth"
from = "rev_2023"
to = "rev_2025"
stated = "54%"
[[claim]]
ref = "C"
kind = "sum"
parts = ["cloud", "hardware"]
to = "total_cost"
stated = "90"
[[claim]]
ref = "D"
kind = "share"
from = "cloud"
to = "total_cost"
stated = "33.3%"
[[claim]]
ref = "E"
kind = "product"
from = "servers"
to = "price"
stated = "100"
"#,
    );
    let v = json_exit(&["audit", planted.to_str().expect("path"), "-f", "json"], 1);
    assert_eq!(v["flagged"], serde_json::json!(["B", "C"]), "the two planted errors and nothing else");
    let bad = tmp("badunit.toml", "[[value]]\nid = \"x\"\nvalue = 1\nunit = \"furlongs\"\n");
    let e = fails(&["audit", bad.to_str().expect("path")]);
    assert!(e.contains("value[0].unit") && e.contains("furlongs"), "{e}");
}

#[test]
fn cost_inputs_are_checked() {
    let base = std::fs::read_to_string(repo("examples/chatgpt-2023.toml")).expect("example");
    let neg = base.replace("amount = 0.65, currency = \"CNY\"", "amount = -0.65, currency = \"CNY\"");
    let e = fails(&["plan", tmp("neg-price.toml", &neg).to_str().expect("p")]);
    assert!(e.contains("costs.electricity_per_kwh.amount"), "{e}");
    let eur = base.replace("amount = 0.65, currency = \"CNY\"", "amount = 0.65, currency = \"EUR\"");
    let e = fails(&["plan", tmp("eur.toml", &eur).to_str().expect("p")]);
    assert!(e.contains("EUR") && e.contains("USD or CNY"), "{e}");
    let no_rate = base.replace("cny_per_usd = 6.9\n", "");
    let e = fails(&["plan", tmp("no-rate.toml", &no_rate).to_str().expect("p")]);
    assert!(e.contains("cny_per_usd"), "{e}");
}

#[test]
fn sweep_rows_and_shards_concatenate() {
    let base = [
        "sweep",
        "-m",
        "llama3.1-8b,llama3.1-70b",
        "--gpu",
        "h100-sxm,v100-sxm-32gb",
        "--input",
        "1000,4000",
        "--output",
        "200",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { base.iter().chain(extra).copied().collect() };
    let whole = stdout(&with(&["-f", "csv"]));
    let lines: Vec<&str> = whole.lines().collect();
    assert_eq!(lines.len(), 1 + 8, "a header and 2 × 2 × 2 rows: {whole}");
    assert!(lines[0].starts_with("index,model,gpu,input,output,status"), "{}", lines[0]);
    // H100 rows are planned; V100 has no bf16 rate: a row that says so, not an error.
    assert_eq!(whole.matches(",ok,").count(), 4, "{whole}");
    assert!(lines.iter().filter(|l| l.contains("v100")).all(|l| l.contains("computes in")), "{whole}");
    let fallback = stdout(&with(&["-f", "csv", "--fallback"]));
    assert_eq!(fallback.matches(",ok,").count(), 8, "with --fallback the V100 computes in fp16: {fallback}");
    // Three shards, concatenated, hold the same rows (interleaved), with one header.
    let mut joined = String::new();
    for shard in ["1/3", "2/3", "3/3"] {
        joined.push_str(&stdout(&with(&["-f", "csv", "--shard", shard])));
    }
    let mut a: Vec<&str> = whole.lines().collect();
    let mut b: Vec<&str> = joined.lines().collect();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);
    // JSON is one object per line, so shards concatenate there too.
    let jsonl = stdout(&with(&["-f", "json"]));
    let rows: Vec<Value> =
        jsonl.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect();
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r["kind"] == "sweep" && r["schema_version"] == 2));
    let h100_8b = &rows[0];
    assert_eq!(
        (h100_8b["model"].as_str(), h100_8b["gpu"].as_str(), h100_8b["status"].as_str()),
        (Some("llama3.1-8b"), Some("h100-sxm"), Some("ok"))
    );
    // The same answer `suanli infer` gives for that combination.
    let infer = json(&[
        "infer",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--input",
        "1000",
        "--output",
        "200",
        "-f",
        "json",
    ]);
    assert_eq!(h100_8b["tpot_mean_s"], infer["tpot_s"]["mean"]);
    assert_eq!(h100_8b["output_tokens_per_s_per_gpu"], infer["output_tokens_per_s_per_gpu"]);
}

#[test]
fn infer_zero_parallelism_is_bad_input() {
    for key in ["--tp", "--pp", "--ep"] {
        let e = fails(&[
            "infer",
            "-m",
            "llama3.1-8b",
            "--gpu",
            "h100-sxm",
            "--input",
            "10",
            "--output",
            "10",
            key,
            "0",
        ]);
        assert!(e.contains(key) && e.contains("positive"), "{e}");
    }
}

#[test]
fn sweep_bad_input() {
    let base = ["sweep", "-m", "llama3.1-8b", "--gpu", "h100-sxm", "--input", "1000", "--output", "200"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { base.iter().chain(extra).copied().collect() };
    for bad in ["0/2", "3/2", "two", "1/0"] {
        let e = fails(&with(&["--shard", bad]));
        assert!(e.contains("--shard") && e.contains(bad), "{e}");
    }
    let e = fails(&["sweep", "-m", "llama3.1-8b", "--gpu", "h900", "--input", "1000", "--output", "200"]);
    assert!(e.contains("h900") && e.contains("did you mean"), "{e}");
    let e =
        fails(&["sweep", "-m", "llama3.1-8b", "--gpu", "h100-sxm", "--input", "1000,0", "--output", "200"]);
    assert!(e.contains("--input") && e.contains('0'), "{e}");
    let e = fails(&with(&["--precision", "fp9"]));
    assert!(e.contains("fp9"), "{e}");
}

/// Megatron-Bridge's Llama 3 70B recipe on 64 GB200 (FSDP, micro-batch 2 of 8,192 tokens at
/// FP8, no recomputation) keeps every activation only by offloading 40 of the 80 layers' to
/// the Grace CPU's memory: `--offload-layers` fits it; a count of no fewer than the layers is
/// refused naming the flag.
#[test]
fn train_70b_fsdp_with_activation_offload_on_gb200() {
    let base = [
        "train",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "gb200",
        "--gpus",
        "64",
        "--tp",
        "1",
        "--pp",
        "1",
        "--sharding",
        "fsdp",
        "--micro-batch",
        "2",
        "--global-batch",
        "256",
        "--seq-len",
        "8192",
        "--precision",
        "fp8",
        "--recompute",
        "none",
    ];
    let with =
        |extra: &[&'static str]| -> Vec<&str> { base.iter().copied().chain(extra.iter().copied()).collect() };
    let v = json(&with(&["--offload-layers", "40", "-f", "json"]));
    assert_eq!(v["config"]["offload_layers"], 40, "{v}");
    assert_eq!(v["fits"], true, "{v}");
    assert!(v["memory_gib_per_gpu"].as_f64().expect("memory") < 186.0, "{v}");
    let e = fails(&with(&["--offload-layers", "80"]));
    assert!(e.contains("--offload-layers") && e.contains("80 layers"), "{e}");
}
