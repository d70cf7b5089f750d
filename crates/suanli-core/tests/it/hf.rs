//! The config.json importer on real files, against the parameter counts the Hub reports.

use suanli_core::Error;
use suanli_core::model::from_hf_config;

use crate::rel;

/// A fixture's text: the shared set (`<org>--<model>`) from `catalog/hf/`, the others from
/// `tests/fixtures/hf/`.
fn load(name: &str) -> String {
    let dir = if name.contains("--") { "catalog/hf" } else { "tests/fixtures/hf" };
    let path = format!("{}/{dir}/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("fixture exists")
}

#[test]
fn real_configs_import_with_published_parameter_counts() {
    // (fixture, total parameters reported for the released weights, tolerance)
    let cases = [
        ("gpt2", 124_439_808.0, 1e-9),
        ("opt-125m", 125_239_296.0, 1e-4),
        ("bloom-560m", 559_214_592.0, 1e-4),
        ("pythia-160m", 162_322_944.0, 1e-9),
        ("llama-2-7b", 6_738_415_616.0, 1e-9),
        ("mistral-7b", 7_241_732_096.0, 1e-9),
        ("mixtral-8x7b", 46_702_792_704.0, 1e-9),
        ("qwen2-7b", 7_615_616_512.0, 1e-4),
        ("deepseek-v3", 671e9, 0.005),
    ];
    for (name, expected, tol) in cases {
        let spec = from_hf_config(&load(name), &format!("{name}.json")).expect("imports");
        let got = spec.params().total;
        assert!(rel(got, expected) <= tol, "{name}: {got} vs {expected}");
        assert_eq!(spec.id, name);
    }
}

#[test]
fn moe_and_mla_fields_are_read() {
    let ds = from_hf_config(&load("deepseek-v3"), "deepseek-v3.json").expect("imports");
    let moe = ds.moe.as_ref().expect("moe");
    assert_eq!((moe.experts, moe.active, moe.shared, moe.dense_layers), (256, 8, 1, 3));
    assert_eq!(ds.mla.as_ref().expect("mla").kv_lora_rank, 512);
    assert!(rel(ds.params().active, 37e9) < 0.02);
    let mx = from_hf_config(&load("mixtral-8x7b"), "mixtral.json").expect("imports");
    assert!(rel(mx.params().active, 12.9e9) < 0.01);
}

#[test]
fn bad_configs_name_the_problem() {
    let e = from_hf_config("{\"model_type\": \"llama\",", "x.json").expect_err("malformed");
    assert!(matches!(e, Error::Syntax { line: 1, .. }), "{e}");
    let e = from_hf_config(r#"{"model_type": "llama", "hidden_size": 4096}"#, "x.json").expect_err("missing");
    assert_eq!(e.to_string(), "x.json: missing required key `num_hidden_layers`");
    let e = from_hf_config(r#"{"model_type": "t5"}"#, "x.json").expect_err("unsupported");
    assert!(e.to_string().contains("model_type") && e.to_string().contains("llama"), "{e}");
    let e = from_hf_config(r#"{"model_type": "gpt2", "n_embd": "768"}"#, "x.json").expect_err("wrong type");
    assert!(e.to_string().contains("`n_embd`"), "{e}");
    let e = from_hf_config("[1, 2]", "x.json").expect_err("not an object");
    assert!(e.to_string().contains("JSON object"), "{e}");
    let e = from_hf_config(r#"{"hidden_size": 1}"#, "x.json").expect_err("no type");
    assert!(e.to_string().contains("model_type"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// The 72 configs of the shared set (catalog/hf/<org>--<model>.json) against the counts
// their authors publish (catalog/hf/published.csv).

use suanli_core::Catalog;
use suanli_core::model::{
    BlockFfn, Mixer, ModelSpec, ParamCount, arithmetic, kv_bytes_per_token, kv_cache_elements,
    kv_cache_elements_total,
};
use suanli_core::precision::Precision;

fn fixture_dir() -> String {
    format!("{}/catalog/hf", env!("CARGO_MANIFEST_DIR"))
}

/// Every `<org>--<model>.json` fixture (the shared set), sorted.
fn shared_set() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .filter(|n| n.contains("--"))
        .collect();
    names.sort();
    names
}

fn import(name: &str) -> ModelSpec {
    from_hf_config(&load(name), &format!("{name}.json")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

struct Published {
    file: String,
    total_b: Option<f64>,
    total_unit_b: f64,
    total_counts: String,
    active_b: Option<f64>,
    active_unit_b: f64,
    active_counts: String,
    rule: String,
    tol: f64,
    source_url: String,
    figure_from: String,
}

fn published() -> Vec<Published> {
    let text = std::fs::read_to_string(format!("{}/published.csv", fixture_dir())).expect("published.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header.len(), 12, "{header:?}");
    let num = |s: &str| if s.is_empty() { None } else { Some(s.parse::<f64>().expect("number")) };
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 12, "{l}");
            Published {
                file: f[0].to_string(),
                total_b: num(f[1]),
                total_unit_b: num(f[2]).unwrap_or(0.0),
                total_counts: f[3].to_string(),
                active_b: num(f[4]),
                active_unit_b: num(f[5]).unwrap_or(0.0),
                active_counts: f[6].to_string(),
                rule: f[7].to_string(),
                tol: num(f[8]).unwrap_or(1.0) / 100.0,
                source_url: f[9].to_string(),
                figure_from: f[10].to_string(),
            }
        })
        .collect()
}

/// The count the published figure covers, in billions.
fn total_as_published(p: &ParamCount, counts: &str) -> f64 {
    let extra = match counts {
        "lm" => 0.0,
        "lm+vision" => p.vision,
        "lm+mtp" => p.mtp,
        "lm+mtp+vision" => p.mtp + p.vision,
        other => panic!("total_counts {other}"),
    };
    (p.total + extra) / 1e9
}

fn active_as_published(p: &ParamCount, counts: &str) -> f64 {
    let less = match counts {
        "all" => 0.0,
        "no_input_embedding" => p.embedding,
        "no_embeddings" => p.embedding + p.unembedding,
        other => panic!("active_counts {other}"),
    };
    (p.active - less) / 1e9
}

/// Within `tol` (1 % unless the row says otherwise), or within the figure's rounding: half a unit
/// of its last digit (`round`), or up to one unit above it (`trunc`: a figure cut, not rounded).
fn agrees(got: f64, published: f64, unit: f64, rule: &str, tol: f64) -> bool {
    let eps = 1e-9 * published.abs();
    rel(got, published) <= tol
        || match rule {
            "round" => (got - published).abs() <= unit / 2.0 + eps,
            "trunc" => got >= published - eps && got < published + unit,
            _ => false,
        }
}

#[test]
fn every_shared_config_imports() {
    let names = shared_set();
    assert_eq!(names.len(), 72, "the shared set has 72 configs");
    for name in &names {
        let spec = import(name);
        assert_eq!(&spec.id, name);
        let p = spec.params();
        assert!(p.total > 1e8 && p.active <= p.total, "{name}: {p:?}");
        let parts = p.embedding + p.unembedding + p.attention + p.ffn + p.experts + p.norms;
        assert!(rel(parts, p.total) < 1e-12, "{name}: parts sum to the total");
        let groups = spec.block_groups();
        assert_eq!(groups.iter().map(|b| b.count).sum::<u32>(), spec.layers, "{name}");
        if let Some(moe) = &spec.moe {
            assert_eq!(
                spec.layers - moe.dense_layers,
                spec.moe_blocks(),
                "{name}: dense_layers counts the rest"
            );
        }
        // Round trip through the catalog's TOML form: a user can save the import as a [[model]].
        let toml_text = toml::to_string(&serde_json::json!({ "model": [spec.clone()] })).expect("toml");
        let back: toml::Value = toml::from_str(&toml_text).expect("parses");
        let again: ModelSpec = back["model"][0].clone().try_into().expect("a ModelSpec");
        assert_eq!(again.params(), p, "{name}: TOML round trip");
    }
}

#[test]
fn shared_configs_match_published_counts() {
    let rows = published();
    let names = shared_set();
    let mut listed: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    listed.sort_unstable();
    assert_eq!(listed, names.iter().map(String::as_str).collect::<Vec<_>>(), "one CSV row per config");
    let mut compared = 0;
    let mut failures = Vec::new();
    for r in &rows {
        assert!(r.source_url.starts_with("https://huggingface.co/"), "{}: source is a model card", r.file);
        assert!(!r.figure_from.is_empty(), "{}: says where the figure comes from", r.file);
        let p = import(&r.file).params();
        if r.rule == "none" {
            assert!(
                r.total_b.is_none() && r.active_b.is_none(),
                "{}: import-only rows carry no figure",
                r.file
            );
            continue;
        }
        if let Some(t) = r.total_b {
            let got = total_as_published(&p, &r.total_counts);
            if !agrees(got, t, r.total_unit_b, &r.rule, r.tol) {
                failures.push(format!("{}: total {got:.3}B vs {t}B ({})", r.file, r.total_counts));
            }
            compared += 1;
        }
        if let Some(a) = r.active_b {
            let got = active_as_published(&p, &r.active_counts);
            if !agrees(got, a, r.active_unit_b, &r.rule, r.tol) {
                failures.push(format!("{}: active {got:.3}B vs {a}B ({})", r.file, r.active_counts));
            }
            compared += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(compared >= 80, "only {compared} figures compared");
}

#[test]
fn headline_counts() {
    // DeepSeek-V3: 671B main model (the 14B MTP module apart), 37B activated.
    let ds = import("deepseek-ai--DeepSeek-V3").params();
    assert!(rel(ds.total, 671e9) < 0.001, "{}", ds.total);
    assert!(ds.mtp > 10e9 && ds.mtp < 14e9, "{}", ds.mtp);
    // gpt-oss-120b: 116.83B total, 5.13B active without the input embedding.
    let oss = import("openai--gpt-oss-120b").params();
    assert!(rel(oss.total, 116.83e9) < 0.001);
    assert!(rel(oss.active - oss.embedding, 5.13e9) < 0.005);
    // Qwen3-235B-A22B, Llama-4-Scout (text model of the 109B / 17B), Kimi-K2.
    let q = import("Qwen--Qwen3-235B-A22B").params();
    assert!(rel(q.total, 235e9) < 0.005 && rel(q.active, 22e9) < 0.01);
    let scout = import("meta-llama--Llama-4-Scout-17B-16E-Instruct").params();
    assert!(rel(scout.active, 17e9) < 0.015 && rel(scout.total, 109e9) < 0.015);
    let kimi = import("moonshotai--Kimi-K2-Instruct").params();
    assert!(rel(kimi.total, 1.04e12) < 0.015 && rel(kimi.active, 32.86e9) < 0.001);
}

#[test]
fn layer_patterns_are_read() {
    let count = |s: &ModelSpec, f: &dyn Fn(&suanli_core::model::Block) -> bool| {
        s.block_groups().iter().filter(|b| f(b)).map(|b| b.count).sum::<u32>()
    };
    // gpt-oss: alternating 128-token sliding window and full attention, sinks, all MoE.
    let oss = import("openai--gpt-oss-120b");
    assert_eq!(count(&oss, &|b| b.mixer == Mixer::Sliding && b.window == Some(128)), 18);
    assert_eq!(count(&oss, &|b| b.mixer == Mixer::Full), 18);
    assert!(oss.attention_sinks && oss.moe_blocks() == 36);
    assert_eq!(oss.stored_precision, Some(Precision::Fp4));
    // Llama 4 Scout: chunked attention (8192) on three layers in four, MoE in every layer with a
    // shared expert; dense FFN width 16384 unused.
    let scout = import("meta-llama--Llama-4-Scout-17B-16E-Instruct");
    assert_eq!(count(&scout, &|b| b.mixer == Mixer::Chunked && b.window == Some(8192)), 36);
    assert_eq!(count(&scout, &|b| b.mixer == Mixer::Full), 12);
    assert_eq!(scout.moe.as_ref().map(|m| (m.experts, m.active, m.shared)), Some((16, 1, 1)));
    // Qwen3.5: three Gated DeltaNet layers to one gated full-attention layer.
    let q35 = import("Qwen--Qwen3.5-27B");
    assert_eq!(count(&q35, &|b| b.mixer == Mixer::Linear), 48);
    assert_eq!(count(&q35, &|b| b.mixer == Mixer::Full), 16);
    assert!(q35.attention_gate && q35.linear_attention.is_some() && q35.mtp_layers == 1);
    assert!(q35.vision_params > 3e8 && q35.notes.as_deref().is_some_and(|n| n.contains("vision")));
    // Qwen3-VL: the text model in text_config, tied embeddings from the wrapper.
    let vl = import("Qwen--Qwen3-VL-2B-Instruct");
    assert!(vl.tied_embeddings && vl.hidden == 2048);
    // Gemma 4: 5 sliding (1024) to 1 global layer with its own head_dim, KV heads and K = V.
    let g = import("nvidia--Gemma-4-31B-IT-NVFP4");
    assert_eq!(count(&g, &|b| b.mixer == Mixer::Sliding && b.window == Some(1024)), 50);
    assert_eq!(
        count(&g, &|b| b.mixer == Mixer::Full
            && b.head_dim == Some(512)
            && b.kv_heads == Some(4)
            && b.shared_kv),
        10
    );
    assert!(g.tied_embeddings);
    let g26 = import("nvidia--Gemma-4-26B-A4B-NVFP4");
    assert_eq!(g26.moe.as_ref().and_then(|m| m.shared_ffn), Some(2112));
    // Nemotron-H: Mamba-2, attention and MoE blocks from the pattern; LatentMoE on Super.
    let nano = import("nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16");
    assert_eq!(count(&nano, &|b| b.mixer == Mixer::Mamba && b.ffn == BlockFfn::None), 23);
    assert_eq!(count(&nano, &|b| b.mixer == Mixer::Full && b.ffn == BlockFfn::None), 6);
    assert_eq!(count(&nano, &|b| b.mixer == Mixer::None && b.ffn == BlockFfn::Moe), 23);
    let sup = import("nvidia--NVIDIA-Nemotron-3-Super-120B-A12B-FP8");
    assert_eq!(sup.moe.as_ref().and_then(|m| m.latent), Some(1024));
    let ultra = import("nvidia--NVIDIA-Nemotron-3-Ultra-550B-A55B-FP8");
    assert_eq!(ultra.layers, 108, "layers from layers_block_type");
    // Llama-3.3-Nemotron-Super-49B: per-layer block_configs (attention removed in 31 layers,
    // FFN widths from ffn_mult).
    let nas = import("nvidia--Llama-3_3-Nemotron-Super-49B-v1");
    assert_eq!(count(&nas, &|b| b.mixer == Mixer::None), 31);
    assert_eq!(count(&nas, &|b| b.mixer == Mixer::Full && b.kv_heads.is_none()), 49);
    assert_eq!((nas.kv_heads, nas.ffn), (8, 28_672));
    assert_eq!(count(&nas, &|b| b.ffn_size == Some(5632)), 8, "ffn_mult 1.0: 2/3 · 8192 rounded up to 256");
    // DeepSeek-V3.2 and GLM-5: the DSA indexer on every layer; first three layers dense.
    let v32 = import("deepseek-ai--DeepSeek-V3.2");
    assert_eq!(v32.indexer.as_ref().map(|i| (i.heads, i.head_dim, i.topk)), Some((64, 128, 2048)));
    assert_eq!(v32.moe.as_ref().map(|m| m.dense_layers), Some(3));
    // DeepSeek-V4: compressed attention at ratios 4 (indexed) and 128, two window-only layers.
    let v4 = import("deepseek-ai--DeepSeek-V4-Flash");
    assert_eq!(count(&v4, &|b| b.mixer == Mixer::Compressed && b.compress == Some(4) && b.indexed), 21);
    assert_eq!(count(&v4, &|b| b.mixer == Mixer::Compressed && b.compress == Some(128)), 20);
    assert_eq!(count(&v4, &|b| b.mixer == Mixer::Sliding), 2);
    assert_eq!(v4.stored_precision, Some(Precision::Fp4), "expert_dtype fp4");
    // MiniMax-M3: sparse attention on 57 of 60 layers, MoE from the moe_layer_freq list.
    let m3 = import("MiniMaxAI--MiniMax-M3");
    assert_eq!(count(&m3, &|b| b.indexed), 57);
    assert_eq!(m3.moe_blocks(), 57);
    // Step-3.7: 3:1 sliding (512) to full, 3 dense layers, 3 MTP modules.
    let step = import("stepfun-ai--Step-3.7-Flash-FP8");
    assert_eq!(count(&step, &|b| b.mixer == Mixer::Sliding && b.window == Some(512)), 33);
    assert_eq!((step.moe_blocks(), step.mtp_layers), (42, 3));
}

#[test]
fn stored_precision_from_quantization_config() {
    let cases = [
        ("Qwen--Qwen3-32B", None),
        ("Qwen--Qwen3-32B-FP8", Some(Precision::Fp8)),
        ("Qwen--Qwen3-32B-FP8-Static-PerTensor", Some(Precision::Fp8)),
        ("deepseek-ai--DeepSeek-V3", Some(Precision::Fp8)),
        ("openai--gpt-oss-120b", Some(Precision::Fp4)),
        ("nvidia--Kimi-K2.5-NVFP4", Some(Precision::Fp4)),
        ("nvidia--Qwen3.6-27B-NVFP4", Some(Precision::Fp4)),
        ("nvidia--MiniMax-M3-NVFP4", Some(Precision::Fp4)),
        ("nvidia--DeepSeek-V4-Pro-NVFP4", Some(Precision::Fp4)),
        ("sgl-project--DeepSeek-V4-Pro-FP8", Some(Precision::Fp8)),
    ];
    for (name, want) in cases {
        assert_eq!(import(name).stored_precision, want, "{name}");
    }
    let e = from_hf_config(
        r#"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 128, "vocab_size": 100, "quantization_config": {"quant_method": "hqq"}}"#,
        "q.json",
    )
    .expect_err("unknown quantisation");
    assert!(
        e.to_string().contains("quantization_config.quant_method") && e.to_string().contains("TOML"),
        "{e}"
    );
}

#[test]
fn kv_cache_by_block_kind() {
    let ctx = 131_072.0;
    // gpt-oss: full layers hold the whole context, sliding ones 128 tokens.
    let oss = import("openai--gpt-oss-120b");
    let row = 2.0 * 8.0 * 64.0;
    for b in oss.block_groups() {
        let want = if b.mixer == Mixer::Full { ctx * row } else { 128.0 * row };
        assert_eq!(kv_cache_elements(&oss, &b, ctx), want);
    }
    // Nemotron-H: Mamba blocks keep a fixed state whatever the context; FFN-only blocks none.
    let nano = import("nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16");
    for b in nano.block_groups() {
        let short = kv_cache_elements(&nano, &b, 1024.0);
        let long = kv_cache_elements(&nano, &b, ctx);
        match b.mixer {
            Mixer::Mamba => assert!(short == long && short == 64.0 * 64.0 * 128.0),
            Mixer::None => assert_eq!(long, 0.0),
            _ => assert_eq!(long, ctx * 2.0 * 2.0 * 128.0),
        }
    }
    // A dense Llama: the uniform stack, 2·kv·head_dim per token per layer, at any context.
    let llama = import("meta-llama--Meta-Llama-3.1-8B");
    assert_eq!(kv_cache_elements_total(&llama, 1.0), 32.0 * 2.0 * 8.0 * 128.0);
    assert_eq!(kv_bytes_per_token(&llama, 8192.0, 2.0), 32.0 * 2.0 * 8.0 * 128.0 * 2.0);
    // gpt-oss at 128K: half the layers hold only 128 tokens, so about half a dense model's bytes.
    let dense_equivalent = 36.0 * row * 2.0;
    assert!(rel(kv_bytes_per_token(&oss, ctx, 2.0), dense_equivalent / 2.0) < 0.001);
    // MLA: the latent plus the rotary key, and the indexer's key on DSA layers.
    let v32 = import("deepseek-ai--DeepSeek-V3.2");
    assert_eq!(kv_cache_elements_total(&v32, 1.0), 61.0 * (512.0 + 64.0 + 128.0));
}

#[test]
fn attention_flops_follow_the_blocks() {
    use suanli_core::model::attention_flops_per_token;
    // Sliding-window layers stop growing past the window; a dense uniform model keeps 4·L·c·h·d.
    let oss = import("openai--gpt-oss-120b");
    let at = |c: f64| attention_flops_per_token(&oss, c);
    let full_per_token = 18.0 * 4.0 * 64.0 * 64.0;
    assert!(rel(at(65_536.0) - at(32_768.0), full_per_token * 32_768.0) < 1e-12);
    let llama = import("meta-llama--Meta-Llama-3.1-8B");
    assert_eq!(attention_flops_per_token(&llama, 4096.0), 4.0 * 32.0 * 4096.0 * 32.0 * 128.0);
    // DSA: the main attention sees at most 2048 tokens; the indexer scores all of them (64 heads
    // of 128 against MLA's 128 heads of 192 + 128: a fifth of full attention's FLOPs).
    let v32 = import("deepseek-ai--DeepSeek-V3.2");
    let ds = import("deepseek-ai--DeepSeek-V3");
    let long = 131_072.0;
    assert!(attention_flops_per_token(&v32, long) < attention_flops_per_token(&ds, long) / 4.0);
    assert_eq!(
        attention_flops_per_token(&v32, 1000.0) - attention_flops_per_token(&ds, 1000.0),
        61.0 * 2.0 * 1000.0 * 64.0 * 128.0
    );
}

#[test]
fn six_nd_uses_active_parameters() {
    // DeepSeek-V3 on 14.8T tokens: 6 × 37.6B × 14.8T ≈ 3.3e24 FLOP, not 6 × 671B × 14.8T ≈ 5.96e25.
    let ds = import("deepseek-ai--DeepSeek-V3");
    let a = arithmetic(&ds, 4096.0, Some(14.8e12));
    let t = a.training.expect("training");
    assert!((t.flop_6nd / 3.3e24 - 1.0).abs() < 0.02, "{}", t.flop_6nd);
    assert!((t.flop_6nd_total / 5.96e25 - 1.0).abs() < 0.005, "{}", t.flop_6nd_total);
    // A dense model: the two agree.
    let c = Catalog::builtin().expect("catalog");
    let gpt3 = c.model("gpt3-175b").expect("gpt-3");
    let g = arithmetic(gpt3, 2048.0, Some(300e9)).training.expect("training");
    assert_eq!(g.flop_6nd, g.flop_6nd_total);
}

#[test]
fn undescribable_configs_say_how_to_write_toml() {
    let base = r#""model_type": "gemma3_text", "hidden_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100"#;
    let e = from_hf_config(
        &format!(r#"{{{base}, "layer_types": ["full_attention", "cross_attention"]}}"#),
        "x.json",
    )
    .expect_err("unknown layer type");
    let msg = e.to_string();
    assert!(
        msg.contains("`layer_types`") && msg.contains("cross_attention") && msg.contains("[[model]]"),
        "{msg}"
    );
    let e = from_hf_config(&format!(r#"{{{base}, "layer_types": ["full_attention"]}}"#), "x.json")
        .expect_err("short list");
    assert!(e.to_string().contains("one entry per layer (2)"), "{e}");
    let e = from_hf_config(
        r#"{"model_type": "nemotron_h", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
            "intermediate_size": 128, "vocab_size": 100, "mamba_num_heads": 2, "mamba_head_dim": 32,
            "ssm_state_size": 16, "hybrid_override_pattern": "M@"}"#,
        "x.json",
    )
    .expect_err("unknown block");
    assert!(e.to_string().contains("hybrid_override_pattern") && e.to_string().contains("TOML"), "{e}");
    let e = from_hf_config(
        r#"{"model_type": "qwen3_vl", "text_config": {"model_type": "qwen3_vl_text"}}"#,
        "x.json",
    )
    .expect_err("missing nested key");
    assert!(e.to_string().contains("text_config.hidden_size"), "{e}");
}

#[test]
fn a_hybrid_model_written_as_toml() {
    // What the refusals point to: a [[model]] with its blocks, merged as a user catalog file.
    let toml_text = r#"
[sources]
mine = "my notes"

[[model]]
id = "hybrid-test"
name = "Hybrid test"
family = "custom"
layers = 4
hidden = 1024
heads = 8
kv_heads = 2
head_dim = 128
ffn = 4096
ffn_kind = "swiglu"
vocab = 32000
max_context = 65536
tied_embeddings = true
position = "rope"
norm = "rmsnorm"
bias = false
src = "mine"
stored_precision = "fp8"

[model.mamba]
heads = 32
head_dim = 64
state = 128
groups = 8

[[model.blocks]]
count = 1
mixer = "full"

[[model.blocks]]
count = 1
mixer = "sliding"
window = 4096

[[model.blocks]]
count = 2
mixer = "mamba"
ffn = "none"
"#;
    let mut c = Catalog::builtin().expect("catalog");
    c.merge_toml(toml_text, "mine.toml").expect("parses");
    c.check("mine.toml").expect("consistent");
    let m = c.model("hybrid-test").expect("merged");
    assert_eq!(m.stored_precision, Some(Precision::Fp8));
    let ctx = 65_536.0;
    let row = 2.0 * 2.0 * 128.0;
    let state = 32.0 * 64.0 * 128.0;
    assert_eq!(kv_cache_elements_total(m, ctx), ctx * row + 4096.0 * row + 2.0 * state);
    // A bad block count is caught by the catalog check, naming the key.
    let bad = toml_text.replace("count = 2", "count = 3").replace("hybrid-test", "hybrid-bad");
    let mut c = Catalog::builtin().expect("catalog");
    c.merge_toml(&bad, "bad.toml").expect("parses");
    let e = c.check("bad.toml").expect_err("counts do not sum to layers");
    assert!(e.to_string().contains("blocks"), "{e}");
}

#[test]
fn older_layer_patterns() {
    let cfg = |extra: &str| {
        format!(
            r#"{{"hidden_size": 256, "num_hidden_layers": 12, "num_attention_heads": 4, "num_key_value_heads": 2,
               "intermediate_size": 512, "vocab_size": 1000, "max_position_embeddings": 8192, {extra}}}"#
        )
    };
    let sliding = |s: &ModelSpec| {
        s.block_groups().iter().filter(|b| b.mixer == Mixer::Sliding).map(|b| b.count).sum::<u32>()
    };
    // Gemma 2 alternates local and global layers; Gemma 3 has five local to one global.
    let g2 =
        from_hf_config(&cfg(r#""model_type": "gemma2", "sliding_window": 4096"#), "g2.json").expect("gemma2");
    assert_eq!(
        (sliding(&g2), g2.tied_embeddings, g2.ffn_kind),
        (6, true, suanli_core::model::FfnKind::Geglu)
    );
    let g3 = from_hf_config(&cfg(r#""model_type": "gemma3_text", "sliding_window": 1024"#), "g3.json")
        .expect("gemma3");
    assert_eq!(sliding(&g3), 10);
    // Phi-3 and Starcoder2: one window for every layer when it is shorter than the context.
    let phi =
        from_hf_config(&cfg(r#""model_type": "phi3", "sliding_window": 2047"#), "phi3.json").expect("phi3");
    assert_eq!(sliding(&phi), 12);
    let sc = from_hf_config(
        &cfg(r#""model_type": "starcoder2", "sliding_window": 4096, "use_bias": true"#),
        "sc.json",
    )
    .expect("starcoder2");
    assert!(sc.bias && sliding(&sc) == 12 && sc.ffn_kind == suanli_core::model::FfnKind::Gelu);
    // Qwen3-Next without layer_types: full attention every `full_attention_interval` layers.
    let next = from_hf_config(
        &cfg(r#""model_type": "qwen3_next", "full_attention_interval": 4, "linear_num_key_heads": 4,
               "linear_num_value_heads": 8, "linear_key_head_dim": 32, "linear_value_head_dim": 32"#),
        "next.json",
    )
    .expect("qwen3_next");
    let linear =
        next.block_groups().iter().filter(|b| b.mixer == Mixer::Linear).map(|b| b.count).sum::<u32>();
    assert_eq!(linear, 9);
    // Falcon is not read: the error lists what is and says how to write the model instead.
    let e = from_hf_config(r#"{"model_type": "falcon"}"#, "f.json").expect_err("falcon");
    assert!(e.to_string().contains("[[model]]") && e.to_string().contains("nemotron_h"), "{e}");
}

#[test]
fn per_layer_embeddings_are_refused() {
    let e = from_hf_config(
        r#"{"model_type": "gemma4", "text_config": {"hidden_size": 256, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 512, "vocab_size": 1000,
            "hidden_size_per_layer_input": 256}}"#,
        "e2b.json",
    )
    .expect_err("PLE");
    let msg = e.to_string();
    assert!(msg.contains("text_config.hidden_size_per_layer_input") && msg.contains("[[model]]"), "{msg}");
    // Imported notes say what is left out.
    let v4 = import("deepseek-ai--DeepSeek-V4-Flash");
    assert!(v4.notes.as_deref().is_some_and(|n| n.contains("hc_mult")), "{:?}", v4.notes);
}
