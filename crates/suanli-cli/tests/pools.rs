//! Wide expert parallelism in `simulate` and `serve`, and disaggregated pools on different
//! chips and precisions, through the binary.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use assert_cmd::Command;
use serde_json::Value;

fn suanli(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("suanli").expect("binary").env("NO_COLOR", "1").args(args).output().expect("runs")
}

fn json(args: &[&str]) -> Value {
    let out = suanli(&[args, &["-f", "json"]].concat());
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Exit 2, nothing on stdout, one `error:` line naming `flag`.
fn bad(args: &[&str], flag: &str) {
    let out = suanli(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: ") && err.trim_end().lines().count() == 1, "{args:?}: {err}");
    assert!(err.contains(flag), "{args:?} should name {flag}: {err}");
}

/// DeepSeek-V3 fp8 on 9 × 8 H100: tp 1, ep 72 (72 attention data-parallel groups) decode, fed
/// by ep-32 prefill replicas over the NICs.
const WIDE: &[&str] = &[
    "simulate",
    "-m",
    "deepseek-v3",
    "--gpu",
    "h100-sxm",
    "--precision",
    "fp8",
    "--tp",
    "1",
    "--ep",
    "72",
    "--replicas",
    "1",
    "--prefill-replicas",
    "4",
    "--prefill-tp",
    "1",
    "--prefill-ep",
    "32",
    "--rate",
    "100",
    "--requests",
    "3000",
    "--input",
    "2000",
    "--output",
    "200",
];

#[test]
fn simulate_runs_wide_ep_decode_on_nine_h100_servers() {
    let d = json(WIDE);
    assert_eq!(d["layout"]["ep"], 72);
    // 72 decode GPUs and 4 × 32 prefill GPUs of the same chip.
    assert_eq!(d["gpu"]["count"], 72 + 4 * 32, "{}", d["gpu"]);
    let pools = &d["disaggregated"];
    assert!(pools["decode"]["output_tokens_per_s"].as_f64().unwrap() > 0.0);
    assert!(pools["kv_link_bytes_per_s"].as_f64().unwrap() > 0.0);
    let notes = d["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("over the NICs")), "{notes:?}");
    // Colocated, the replica is one scheduler over its 72 attention groups.
    let colocated: Vec<&str> = WIDE
        .iter()
        .copied()
        .take(13)
        .chain(["--rate", "20", "--requests", "1000", "--input", "2000", "--output", "100"])
        .collect();
    let c = json(&colocated);
    assert_eq!(c["gpu"]["count"], 72);
    assert!(c["tpot_s"]["p50"].as_f64().unwrap() > 0.0);
}

#[test]
fn serve_searches_wide_ep_for_deepseek_v3() {
    let s = json(&[
        "serve",
        "-m",
        "deepseek-v3",
        "--gpu",
        "h100-sxm",
        "--precision",
        "fp8",
        "--rate",
        "100",
        "--input",
        "2000",
        "--output",
        "500",
        "--ttft-p99",
        "5",
        "--tpot-p99",
        "0.1",
    ]);
    let c = s["candidates"].as_array().unwrap();
    assert!(
        c.iter().any(|x| x["ep"].as_u64().unwrap() > 8 && x["tp"].as_u64().unwrap() < 8),
        "wide EP searched"
    );
    let (ep, tp) = (s["layout"]["ep"].as_u64().unwrap(), s["layout"]["tp"].as_u64().unwrap());
    assert!(ep > tp, "DeepSeek-V3 fp8 needs more than one 8-GPU server: wide EP chosen, got tp {tp} ep {ep}");
    let per_replica = s["gpus"].as_u64().unwrap() / s["replicas"].as_u64().unwrap();
    assert_eq!(per_replica, ep, "a wide-EP replica is ep GPUs");
}

#[test]
fn heterogeneous_pools_through_the_binary() {
    let base = [
        "simulate",
        "-m",
        "llama3.1-70b",
        "--replicas",
        "2",
        "--prefill-replicas",
        "1",
        "--rate",
        "2",
        "--requests",
        "1000",
        "--input",
        "2000",
        "--output",
        "300",
    ];
    // H100 prefill, H20 decode: the NICs.
    let a = json(
        &[&base[..], &["--gpu", "h20", "--tp", "4", "--prefill-gpu", "h100-sxm", "--prefill-tp", "4"]]
            .concat(),
    );
    let kv = a["disaggregated"]["kv_transfer_s"]["mean"].as_f64().unwrap();
    assert!(kv > 0.0 && kv.is_finite());
    // B200 fp8 prefill, B200 fp4 decode in one HGX: NVLink, faster than the same over the NICs.
    let b200 =
        [&base[..], &["--gpu", "b200", "--precision", "fp4", "--tp", "2", "--prefill-precision", "fp8"]]
            .concat();
    let nvlink = json(&b200);
    let nic = json(&[&b200[..], &["--kv-link", "nic"]].concat());
    let (up, out) = (
        nvlink["disaggregated"]["kv_transfer_s"]["mean"].as_f64().unwrap(),
        nic["disaggregated"]["kv_transfer_s"]["mean"].as_f64().unwrap(),
    );
    assert!(up > 0.0 && up < out, "nvlink {up} nic {out}");
    assert!(nvlink["tpot_s"]["p99"].as_f64().unwrap().is_finite());
    // serve: an H20 fleet with its prefill pool on H100.
    let s = json(&[
        "serve",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h20",
        "--rate",
        "2",
        "--input",
        "2000",
        "--output",
        "300",
        "--ttft-p99",
        "3",
        "--tpot-p99",
        "0.1",
        "--disaggregate",
        "--prefill-gpu",
        "h100-sxm",
        "--requests",
        "2000",
    ]);
    let d = &s["disaggregated"];
    assert_eq!(d["prefill_gpu"], "h100-sxm");
    assert_eq!(d["kv_link"], "nic");
}

#[test]
fn bad_pool_inputs_name_their_flag() {
    let sim = [
        "simulate",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h100-sxm",
        "--tp",
        "4",
        "--replicas",
        "2",
        "--prefill-replicas",
        "1",
        "--rate",
        "2",
        "--requests",
        "200",
        "--input",
        "2000",
        "--output",
        "300",
    ];
    let with = |extra: &[&'static str]| [&sim[..], extra].concat();
    bad(&with(&["--prefill-gpu", "h999"]), "--prefill-gpu");
    bad(&with(&["--prefill-precision", "fp4"]), "--prefill-precision");
    bad(&with(&["--prefill-gpu", "a100-sxm-80gb", "--prefill-precision", "fp8"]), "--prefill-precision");
    bad(&with(&["--prefill-gpu", "h20", "--kv-link", "nvlink"]), "--kv-link");
    bad(&with(&["--kv-link", "pcie"]), "--kv-link");
    bad(&with(&["--prefill-ep", "0"]), "--prefill-ep");
    bad(&with(&["--prefill-precision", "fp3"]), "--prefill-precision");
    bad(
        &[
            "simulate",
            "-m",
            "llama3.1-70b",
            "--gpu",
            "h100-sxm",
            "--precision",
            "fp4",
            "--replicas",
            "1",
            "--rate",
            "1",
        ],
        "--precision",
    );
    bad(
        &[
            "simulate",
            "-m",
            "deepseek-v3",
            "--gpu",
            "h100-sxm",
            "--precision",
            "fp8",
            "--tp",
            "1",
            "--ep",
            "300",
            "--replicas",
            "1",
            "--rate",
            "1",
            "--input",
            "100",
            "--output",
            "10",
        ],
        "--ep",
    );
    let serve = [
        "serve",
        "-m",
        "llama3.1-70b",
        "--gpu",
        "h20",
        "--rate",
        "2",
        "--input",
        "1000",
        "--output",
        "200",
        "--ttft-p99",
        "2",
        "--tpot-p99",
        "0.1",
        "--disaggregate",
    ];
    bad(&[&serve[..], &["--prefill-gpu", "nope"]].concat(), "--prefill-gpu");
    bad(
        &[&serve[..], &["--prefill-gpu", "h100-sxm", "--prefill-precision", "fp4"]].concat(),
        "--prefill-precision",
    );
}
