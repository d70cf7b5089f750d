//! Serving as it is done in 2026 through the binary: `--pp`/`--ep`, speculative decoding,
//! capacity headroom, workload presets and `serve --mix`.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

fn suanli(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("suanli").expect("binary").args(args).output().expect("runs")
}

fn json(args: &[&str]) -> Value {
    let out = suanli(&[args, &["-f", "json"]].concat());
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn bad(args: &[&str], flag: &str) {
    let out = suanli(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(flag) && err.lines().count() == 1, "{args:?}: {err}");
}

const SIM: &[&str] = &[
    "simulate",
    "-m",
    "llama3.1-70b",
    "--gpu",
    "h100-sxm",
    "--replicas",
    "1",
    "--rate",
    "0.1",
    "--input",
    "512",
    "--output",
    "256",
    "--requests",
    "200",
];

#[test]
fn simulate_takes_pipeline_stages_and_reports_them() {
    let d = json(&[SIM, &["--tp", "2", "--pp", "2"]].concat());
    assert_eq!(d["layout"]["tp"], 2);
    assert_eq!(d["layout"]["pp"], 2);
    assert_eq!(d["gpu"]["count"], 4);
    let tp4 = json(&[SIM, &["--tp", "4"]].concat());
    // Two stages of tp 2 send activations between stages; a round takes longer than tp 4.
    assert!(d["tpot_s"]["mean"].as_f64().unwrap() > 0.9 * tp4["tpot_s"]["mean"].as_f64().unwrap());
    bad(&[SIM, &["--tp", "2", "--pp", "7"]].concat(), "--pp");
    bad(&[SIM, &["--tp", "2", "--ep", "2"]].concat(), "--ep");
}

#[test]
fn simulate_speculative_decoding_lowers_tpot_and_says_how() {
    let plain = json(SIM);
    for (method, floor) in [("eagle", 2.0), ("mtp", 1.4), ("draft:llama3.1-8b", 1.2)] {
        let s = json(&[SIM, &["--speculative", method]].concat());
        let f = plain["tpot_s"]["mean"].as_f64().unwrap() / s["tpot_s"]["mean"].as_f64().unwrap();
        let tau = s["config"]["speculation"]["tokens_per_step"].as_f64().unwrap();
        assert!(f > floor && f < tau, "{method}: {f}× (τ {tau})");
        assert!(s["notes"].to_string().contains("speculative decoding"));
    }
    let s = json(&[SIM, &["--speculative", "eagle", "--draft-tokens", "2", "--acceptance", "0.5"]].concat());
    assert_eq!(s["config"]["speculation"]["tokens_per_step"], 1.75);
    bad(&[SIM, &["--speculative", "medusa"]].concat(), "--speculative");
    bad(&[SIM, &["--speculative", "draft:nope"]].concat(), "--speculative");
    bad(&[SIM, &["--speculative", "eagle", "--acceptance", "1.5"]].concat(), "--acceptance");
    bad(&[SIM, &["--acceptance", "0.5"]].concat(), "--speculative");
}

#[test]
fn capacity_headroom_sits_beside_busy_time() {
    let d = json(SIM);
    let cap = &d["capacity"];
    let busy = cap["busy_utilisation"].as_f64().unwrap();
    let frac = cap["load_fraction"].as_f64().unwrap();
    assert!(busy > 0.3 && frac < 0.05, "busy {busy}, load fraction {frac}");
    assert!(cap["saturation_requests_per_s"].as_f64().unwrap() > 1.0);
    let text = String::from_utf8(suanli(SIM).stdout).unwrap();
    assert!(text.contains("capacity in use"));
}

#[test]
fn workload_presets_drive_simulate_and_serve() {
    for w in ["chat", "rag", "reasoning", "agent"] {
        let d = json(&[
            "simulate",
            "-m",
            "llama3.1-8b",
            "--gpu",
            "h100-sxm",
            "--replicas",
            "2",
            "--rate",
            "1",
            "--requests",
            "200",
            "--workload",
            w,
        ]);
        assert_eq!(d["config"]["workload"], w);
        assert!(d["notes"].to_string().contains(&format!("workload {w}")));
        if w == "agent" {
            assert_eq!(d["config"]["router"], "prefix-affinity");
            assert!(d["cached_prefix_tokens"].as_u64().unwrap() > 0);
        }
    }
    let s = json(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "5",
        "--ttft-p99",
        "3",
        "--tpot-p99",
        "0.05",
        "--workload",
        "reasoning",
    ]);
    assert!(s["load_fraction"].as_f64().unwrap() < 1.0);
    bad(
        &[
            "serve",
            "-m",
            "llama3.1-8b",
            "--rate",
            "5",
            "--ttft-p99",
            "3",
            "--tpot-p99",
            "0.05",
            "--workload",
            "video",
        ],
        "--workload",
    );
    bad(
        &[
            "serve",
            "-m",
            "llama3.1-8b",
            "--rate",
            "5",
            "--ttft-p99",
            "3",
            "--tpot-p99",
            "0.05",
            "--workload",
            "chat",
            "--lengths",
            "sharegpt",
        ],
        "--workload",
    );
}

#[test]
fn serve_searches_pipeline_and_expert_parallelism() {
    let s = json(&[
        "serve",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "10",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.05",
        "--workload",
        "chat",
    ]);
    let c = s["candidates"].as_array().unwrap();
    assert!(c.iter().any(|x| x["pp"].as_u64().unwrap() > 1));
    let moe = json(&[
        "serve",
        "-m",
        "mixtral-8x7b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "10",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.05",
        "--workload",
        "chat",
    ]);
    let c = moe["candidates"].as_array().unwrap();
    assert!(c.iter().any(|x| x["ep"].as_u64().unwrap() > 1), "MoE candidates search ep");
}

#[test]
fn serve_with_speculation_meets_a_target_plain_decoding_cannot() {
    let args = [
        "serve",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--rate",
        "2",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.008",
        "--workload",
        "chat",
    ];
    assert_eq!(suanli(&args).status.code(), Some(1));
    let s = json(&[&args[..], &["--speculative", "eagle"]].concat());
    assert!(s["tpot_s"]["p99"].as_f64().unwrap() <= 0.008);
    assert!(s["notes"].to_string().contains("speculative decoding (eagle)"));
}

#[test]
fn infer_speculative_decoding() {
    let base = [
        "infer",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "4",
        "--input",
        "512",
        "--output",
        "256",
        "--concurrency",
        "1",
    ];
    let plain = json(&base);
    let s = json(&[&base[..], &["--speculative", "mtp"]].concat());
    let f = plain["tpot_s"]["mean"].as_f64().unwrap() / s["tpot_s"]["mean"].as_f64().unwrap();
    assert!(f > 1.4 && f < 1.85, "mtp {f}×");
    assert!(s["kv_cache_gib"].as_f64().unwrap() < plain["kv_cache_gib"].as_f64().unwrap());
}

#[test]
fn serve_mix_saves_on_a_bimodal_workload_and_never_costs_more() {
    let trace = std::env::temp_dir().join(format!("suanli-bimodal-{}.csv", std::process::id()));
    let mut text = String::from("arrival_s,input_tokens,output_tokens\n");
    for k in 0..100 {
        text += &format!("{}.0,{}\n", k, if k % 5 == 0 { "16000,50" } else { "100,1000" });
    }
    std::fs::write(&trace, text).unwrap();
    let t = trace.to_str().unwrap();
    let s = json(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "a100-sxm-80gb",
        "--gpu",
        "h100-sxm",
        "--rate",
        "200",
        "--ttft-p99",
        "3",
        "--tpot-p99",
        "0.03",
        "--lengths",
        t,
        "--mix",
    ]);
    std::fs::remove_file(&trace).ok();
    let m = &s["mix"];
    assert!(m["saving_fraction"].as_f64().unwrap() > 0.1, "{m}");
    assert!(m["cost_usd_per_month"].as_f64().unwrap() < s["cost_usd_per_month"].as_f64().unwrap());
    let chat = json(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "a10g",
        "--gpu",
        "l40s",
        "--gpu",
        "a100-sxm-80gb",
        "--gpu",
        "h100-sxm",
        "--rate",
        "50",
        "--ttft-p99",
        "3",
        "--tpot-p99",
        "0.05",
        "--workload",
        "chat",
        "--mix",
    ]);
    assert!(
        chat["mix"]["cost_usd_per_month"].as_f64().unwrap()
            <= chat["cost_usd_per_month"].as_f64().unwrap() + 1e-6
    );
}

#[test]
fn scheduler_policies_and_the_daily_curve() {
    let base = [
        "simulate",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "1",
        "--replicas",
        "1",
        "--rate",
        "3",
        "--input",
        "4000",
        "--output",
        "300",
        "--requests",
        "2000",
    ];
    let chunked = json(&base);
    let first = json(&[&base[..], &["--scheduler", "prefill-first"]].concat());
    assert_eq!(first["config"]["scheduler"], "prefill-first");
    assert!(first["tpot_s"]["p99"].as_f64().unwrap() > chunked["tpot_s"]["p99"].as_f64().unwrap());
    let small = json(&[&base[..], &["--max-tokens", "512"]].concat());
    assert!(small["tpot_s"]["p99"].as_f64().unwrap() < chunked["tpot_s"]["p99"].as_f64().unwrap());
    bad(&[&base[..], &["--scheduler", "fifo"]].concat(), "--scheduler");

    let day = [
        "serve",
        "-m",
        "llama3.1-8b",
        "--gpu",
        "h100-sxm",
        "--daily-requests",
        "2M",
        "--peak-to-average",
        "3",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.05",
        "--workload",
        "chat",
        "--daily-curve",
    ];
    let d = json(&day);
    let hours = d["daily"]["hours"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert!(
        d["daily"]["autoscaled_cost_usd_per_month"].as_f64().unwrap()
            < d["cost_usd_per_month"].as_f64().unwrap()
    );
    let text = String::from_utf8(suanli(&day).stdout).unwrap();
    assert!(text.contains("Hour by hour") && text.contains("14:00"));
    // A daily curve needs the day's traffic.
    let out = suanli(&[
        "serve",
        "-m",
        "llama3.1-8b",
        "--rate",
        "5",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.05",
        "--workload",
        "chat",
        "--daily-curve",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
