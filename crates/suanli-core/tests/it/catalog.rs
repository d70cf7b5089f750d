use suanli_core::Catalog;
use suanli_core::hardware::PeakKind;
use suanli_core::precision::Precision;

fn cat() -> Catalog {
    Catalog::builtin().expect("built-in catalog loads and passes its checks")
}

const ACCELERATORS: [&str; 18] = [
    "v100-sxm-32gb",
    "a100-sxm-40gb",
    "a100-sxm-80gb",
    "a800-sxm-80gb",
    "h100-sxm",
    "h800-sxm",
    "h20",
    "h200",
    "b200",
    "l40s",
    "mi250x",
    "mi300x",
    "ascend-910b",
    "gaudi2",
    "gaudi3",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
];

#[test]
fn required_accelerators_servers_and_models_exist() {
    let c = cat();
    for id in ACCELERATORS {
        assert!(c.accelerator(id).is_ok(), "missing accelerator {id}");
    }
    for id in [
        "nf5688m6-a800",
        "nf5280m6",
        "dgx-a100-80gb",
        "dgx-h100",
        "hgx-h200",
        "dgx-b200",
        "mi300x-8gpu",
        "atlas-800-9000",
        "atlas-800-3000",
        "sugon-x785-g30",
        "sugon-x785-g40",
    ] {
        assert!(c.server(id).is_ok(), "missing server {id}");
    }
    for id in [
        "gpt3-small",
        "gpt3-medium",
        "gpt3-large",
        "gpt3-xl",
        "gpt3-2.7b",
        "gpt3-6.7b",
        "gpt3-13b",
        "gpt3-175b",
        "llama-7b",
        "llama-13b",
        "llama-33b",
        "llama-65b",
        "llama2-7b",
        "llama2-13b",
        "llama2-70b",
        "llama3.1-8b",
        "llama3.1-70b",
        "llama3.1-405b",
        "mistral-7b",
        "mixtral-8x7b",
        "opt-175b",
        "bloom-176b",
        "glm-130b",
        "mt-nlg-530b",
        "palm-540b",
        "deepseek-v3",
        "gpt-3.5-175b",
    ] {
        assert!(c.model(id).is_ok(), "missing model {id}");
    }
    assert!(c.models.len() >= 25);
    assert!(c.servers.len() >= 8);
}

#[test]
fn every_figure_is_sourced_positive_and_dense_at_most_sparse() {
    let c = cat();
    for a in &c.accelerators {
        for (label, f) in a.figures() {
            assert!(f.v > 0.0 && f.v.is_finite(), "{}.{label}", a.id);
            assert!(c.source(&f.src).is_some(), "{}.{label} cites unknown source {}", a.id, f.src);
        }
        for (p, s) in &a.sparse_tflops {
            let d = a.dense_tflops.get(p).expect("sparse only where dense exists");
            assert!(d.v <= s.v, "{} {p}: dense {} > sparse {}", a.id, d.v, s.v);
        }
        assert!(a.memory_gb.v > 0.0 && a.memory_bw_tbs.v > 0.0 && a.scale_up_gbs.v > 0.0);
    }
    for s in &c.servers {
        assert!(c.source(&s.src).is_some(), "{}", s.id);
        for (label, m) in s.prices() {
            assert!(m.v > 0.0 && c.source(&m.src).is_some(), "{}.{label}", s.id);
        }
    }
    for m in &c.models {
        assert!(c.source(&m.src).is_some(), "{} cites unknown source {}", m.id, m.src);
    }
}

#[test]
fn seed_server_peak_is_sparse_fp16_times_eight() {
    let c = cat();
    let a800 = c.accelerator("a800").expect("alias resolves");
    let sparse = a800.peak_flops(Precision::Fp16, PeakKind::Sparse).expect("sparse fp16");
    let dense = a800.peak_flops(Precision::Fp16, PeakKind::Dense).expect("dense fp16");
    assert_eq!(sparse, 624e12);
    assert_eq!(dense, 312e12);
    let server = c.server("nf5688m6-a800").expect("server");
    assert_eq!(server.accelerator_count, 8);
    assert!((8.0 * sparse / 1e15 - 4.992).abs() < 1e-12);
}

#[test]
fn unknown_ids_suggest_neighbours() {
    let c = cat();
    let e = c.accelerator("h100-sxm5").expect_err("unknown");
    assert!(e.to_string().contains("h100-sxm"), "{e}");
    let e = c.model("llama2-7").expect_err("unknown");
    assert!(e.to_string().contains("llama2-7b"), "{e}");
}

#[test]
fn overlay_adds_and_replaces() {
    let mut c = cat();
    let n = c.accelerators.len();
    c.merge_toml(
        r#"
[sources]
mine = "my lab's measurements"
[[accelerator]]
id = "h100-sxm"
name = "H100 (derated)"
vendor = "NVIDIA"
scale_up_link = "NVLink 4"
memory_gb = { v = 80, src = "mine", conf = "estimate" }
memory_bw_tbs = { v = 3.0, src = "mine", conf = "estimate" }
scale_up_gbs = { v = 900, src = "mine", conf = "estimate" }
dense_tflops = { bf16 = { v = 800, src = "mine", conf = "estimate" } }
[[accelerator]]
id = "my-npu"
name = "My NPU"
vendor = "Me"
scale_up_link = "PCIe"
memory_gb = { v = 64, src = "mine", conf = "estimate" }
memory_bw_tbs = { v = 1.0, src = "mine", conf = "estimate" }
scale_up_gbs = { v = 64, src = "mine", conf = "estimate" }
dense_tflops = { bf16 = { v = 100, src = "mine", conf = "estimate" } }
"#,
        "mine.toml",
    )
    .expect("parses");
    c.check("mine.toml").expect("valid");
    assert_eq!(c.accelerators.len(), n + 1);
    assert_eq!(c.accelerator("h100-sxm").expect("replaced").dense_tflops[&Precision::Bf16].v, 800.0);
    assert!(c.accelerator("my-npu").is_ok());
}

#[test]
fn overlay_with_unsourced_or_inverted_figures_is_rejected() {
    let base = r#"
[sources]
mine = "x"
[[accelerator]]
id = "bad"
name = "Bad"
vendor = "Me"
scale_up_link = "PCIe"
memory_gb = { v = 64, src = "SRC", conf = "estimate" }
memory_bw_tbs = { v = 1.0, src = "mine", conf = "estimate" }
scale_up_gbs = { v = 64, src = "mine", conf = "estimate" }
dense_tflops = { bf16 = { v = DENSE, src = "mine", conf = "estimate" } }
sparse_tflops = { bf16 = { v = 200, src = "mine", conf = "estimate" } }
"#;
    let mut c = cat();
    c.merge_toml(&base.replace("SRC", "nowhere").replace("DENSE", "100"), "a.toml").expect("parses");
    let e = c.check("a.toml").expect_err("unsourced");
    assert!(e.to_string().contains("accelerator.bad.memory_gb.src"), "{e}");
    let mut c = cat();
    c.merge_toml(&base.replace("SRC", "mine").replace("DENSE", "300"), "b.toml").expect("parses");
    let e = c.check("b.toml").expect_err("dense > sparse");
    assert!(e.to_string().contains("dense_tflops.bf16"), "{e}");
}

#[test]
fn malformed_catalog_reports_line_and_column() {
    let mut c = cat();
    let e = c.merge_toml("[[accelerator]]\nid = \"x\"\nname = 3\n", "bad.toml").expect_err("bad");
    let s = e.to_string();
    assert!(s.starts_with("bad.toml:"), "{s}");
    assert!(!s.contains('\n'), "one line: {s}");
}

/// Every chip a catalogued server holds has a purchase price (its own, the server's or the
/// price paid for it in that server), a rental price, or a `no_public_price` note saying
/// which price is missing and what was searched: a missing price is a recorded finding.
#[test]
fn every_chip_with_a_server_has_a_price_or_a_documented_gap() {
    let c = cat();
    let mut missing = Vec::new();
    for s in &c.servers {
        let Some(id) = &s.accelerator else { continue };
        let a = c.accelerator(id).expect("checked by Catalog::check");
        let priced = a.price.is_some()
            || a.cloud_usd_per_hour.is_some()
            || s.price.is_some()
            || s.accelerator_unit_price.is_some();
        if !priced && a.no_public_price.is_none() {
            missing.push(format!("{} (in {})", a.id, s.id));
        }
    }
    assert!(missing.is_empty(), "chips with neither a price nor a no_public_price note: {missing:?}");
}

/// The chips issue 11 added carry the sourced prices found for them (rental per chip-hour in
/// USD, purchase in USD), and the ones without a public figure say so.
#[test]
fn new_chips_carry_sourced_prices_or_say_why_not() {
    let c = cat();
    let rent = |id: &str| c.accelerator(id).expect(id).cloud_usd_per_hour.as_ref().map(|f| f.v);
    let buy = |id: &str| c.accelerator(id).expect(id).price.as_ref().map(|m| m.v);
    // CoreWeave's 4-GPU GB200 slice at 42.00/h, per GPU.
    assert_eq!(rent("gb200"), Some(10.5));
    assert_eq!(rent("rtx-pro-6000"), Some(2.5));
    assert_eq!(rent("tpu-v6e"), Some(2.7));
    assert_eq!(buy("rtx-5090"), Some(1999.0));
    assert_eq!(buy("rtx-4090"), Some(1599.0));
    // Rack prices sit on the NVL72 servers, not on the GPU.
    let rack = c.server("gb200-nvl72").expect("server").price.as_ref().map(|m| m.v).expect("rack price");
    assert!((3.0e6..=3.9e6).contains(&rack), "{rack}");
    for id in ["tpu-v7", "trainium2", "gb300", "mi325x", "mi355x", "h20", "a800-sxm-80gb", "l4"] {
        let a = c.accelerator(id).expect(id);
        let gap = a.no_public_price.as_deref().unwrap_or_default();
        assert!(gap.contains("searched") || gap.contains("not sold"), "{id}: {gap:?}");
        assert!(a.price.is_none() || a.cloud_usd_per_hour.is_none(), "{id} has both prices and a gap note");
    }
}

#[test]
fn empty_or_contradicted_price_gap_is_rejected() {
    let chip = r#"
[sources]
mine = "x"
[[accelerator]]
id = "gappy"
name = "Gappy"
vendor = "Me"
scale_up_link = "PCIe"
memory_gb = { v = 64, src = "mine", conf = "estimate" }
memory_bw_tbs = { v = 1.0, src = "mine", conf = "estimate" }
scale_up_gbs = { v = 64, src = "mine", conf = "estimate" }
dense_tflops = { bf16 = { v = 100, src = "mine", conf = "estimate" } }
PRICES
no_public_price = "GAP"
"#;
    let mut c = cat();
    c.merge_toml(&chip.replace("PRICES", "").replace("GAP", " "), "a.toml").expect("parses");
    let e = c.check("a.toml").expect_err("empty note");
    assert!(e.to_string().contains("accelerator.gappy.no_public_price"), "{e}");
    let both = "price = { v = 100, currency = \"USD\", src = \"mine\", conf = \"estimate\" }\n\
                cloud_usd_per_hour = { v = 1, src = \"mine\", conf = \"estimate\" }";
    let mut c = cat();
    c.merge_toml(&chip.replace("PRICES", both).replace("GAP", "none found"), "b.toml").expect("parses");
    let e = c.check("b.toml").expect_err("both prices and a gap");
    assert!(e.to_string().contains("both price and cloud_usd_per_hour"), "{e}");
    let mut c = cat();
    c.merge_toml(&chip.replace("PRICES", "").replace("GAP", "no price found, searched 2026"), "c.toml")
        .expect("parses");
    c.check("c.toml").expect("a documented gap is valid");
}

/// The 2026 families answer to an id and to their Hub repository name, imported from the
/// configs in `catalog/hf/`: shapes as the configs give them, totals as their authors publish.
#[test]
fn config_models_are_built_in() {
    let c = cat();
    for (id, repo, total_b, active_b) in [
        ("qwen3-8b", "Qwen/Qwen3-8B", 8.2, None),
        ("qwen3-235b-a22b", "qwen/qwen3-235b-a22b", 235.0, Some(22.0)),
        ("gpt-oss-120b", "openai/gpt-oss-120b", 116.83, None),
        ("llama4-scout", "meta-llama/Llama-4-Scout-17B-16E-Instruct", 109.0, Some(17.0)),
        ("kimi-k2", "moonshotai/Kimi-K2-Instruct", 1026.0, Some(32.9)),
        ("deepseek-r1", "deepseek-ai/DeepSeek-R1", 671.0, Some(37.5)),
    ] {
        let m = c.model(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(c.model(repo).expect("alias").id, id);
        let p = m.params();
        assert!((p.total / 1e9 / total_b - 1.0).abs() < 0.015, "{id}: {} B", p.total / 1e9);
        if let Some(a) = active_b {
            assert!((p.active / 1e9 / a - 1.0).abs() < 0.03, "{id}: {} B active", p.active / 1e9);
        }
        assert!(c.source(&m.src).is_some_and(|s| s.contains("huggingface.co")), "{id}");
        assert!(m.notes.as_deref().is_some_and(|n| n.contains("config.json")));
    }
    // The gpt-oss checkpoint stores MXFP4 experts and keeps attention and embeddings in bf16
    // (`modules_to_not_convert`): served at fp4, its weights are the experts at half a byte
    // plus the block scales (counted at NVFP4's one byte per 16 values: 0.5625 bytes a weight)
    // and the rest (≈ 4.8 B parameters) at two, 64 GiB — 63 GiB with attention at fp4 too (the
    // embedding and the output head stay in 16 bits in any quantized checkpoint). MXFP4's
    // scales are half NVFP4's (one byte per 32 values): the checkpoint itself is ≈ 61 GiB.
    let oss = c.model("gpt-oss-120b").unwrap();
    assert_eq!(oss.stored_precision, Some(Precision::Fp4));
    assert!(oss.stored_16bit_attention);
    assert!(!c.model("qwen3-235b-a22b").unwrap().stored_16bit_attention);
    let weights = |spec: &suanli_core::model::ModelSpec| {
        use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
        use suanli_core::train::{Calibration, Cluster};
        let cl = Cluster::new(&c, "b200", None, Precision::Fp4, &Calibration::default()).unwrap();
        let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: Precisions::uniform(Precision::Fp4) };
        Replica::new(spec, &cl, &cfg, &Engine::default(), &InferCalibration::default()).memory.weights_gib
    };
    let kept = weights(oss);
    let all_fp4 = weights(&suanli_core::model::ModelSpec { stored_16bit_attention: false, ..oss.clone() });
    assert!(
        (63.0..65.0).contains(&kept) && (62.0..64.0).contains(&all_fp4) && kept > all_fp4 + 1.0,
        "{kept} {all_fp4}"
    );
}

/// Every chip issue 12 gave a server has one, whose scale-up domain is what its source says:
/// 8-GPU Infinity Fabric platforms, the 256-chip TPU v6e Pod and 9,216-chip TPU7x Pod, the
/// 64-chip Trn2 UltraServer, the NVLink pair of GH200 NVL2 and H100 NVL, the 4-way H200 NVL
/// bridge, and 8-card PCIe servers. The planners pick that server for the chip by default.
#[test]
fn issue_12_chips_have_servers_with_their_scale_up_domain() {
    use suanli_core::train::{Calibration, Cluster};
    let c = cat();
    let expected = [
        ("mi325x", "mi325x-8gpu", 8),
        ("mi355x", "mi355x-8gpu", 8),
        ("tpu-v6e", "tpu-v6e-256", 256),
        ("tpu-v7", "tpu-v7-pod", 9216),
        ("trainium2", "trn2-ultraserver", 64),
        ("rtx-4090", "rtx-4090-8gpu", 8),
        ("rtx-5090", "rtx-5090-8gpu", 8),
        ("gh200", "gh200-nvl2", 2),
        ("h100-pcie", "h100-pcie-8gpu", 8),
        ("h100-nvl", "h100-nvl-pair", 2),
        ("h200-nvl", "h200-nvl-4way", 4),
        ("l20", "l20-8gpu", 8),
        ("a10g", "g5-48xlarge", 8),
    ];
    for (chip, server, n) in expected {
        let s = c.server(server).unwrap_or_else(|_| panic!("missing server {server}"));
        assert_eq!(s.accelerator.as_deref(), Some(chip), "{server}");
        assert_eq!(s.accelerator_count, n, "{server}: scale-up domain");
        let held: Vec<&str> = c
            .servers
            .iter()
            .filter(|s| s.accelerator.as_deref() == Some(chip))
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(held, [server], "{chip}: one server");
        let cl = Cluster::new(&c, chip, None, Precision::Bf16, &Calibration::default()).expect(chip);
        assert_eq!(cl.server.as_deref(), Some(server), "{chip}: default server");
        assert_eq!(cl.node_size, n, "{chip}: node size");
    }
    // Scale-out where the source states it: Trn2 EFAv3 3.2 Tbps per 16 chips, v6e 4 x 200 Gbps
    // per 8-chip host, g5.48xlarge 100 Gbps per 8 GPUs (GB/s per chip, one direction).
    let out = |id: &str| c.server(id).expect(id).scale_out_gbs_per_accelerator().expect(id);
    assert!((out("trn2-ultraserver") - 25.0).abs() < 1e-9);
    assert!((out("tpu-v6e-256") - 12.5).abs() < 1e-9);
    assert!((out("g5-48xlarge") - 1.5625).abs() < 1e-9);
}
