//! The config.json importer on real files, against the parameter counts the Hub reports.

use suanli_core::Error;
use suanli_core::model::from_hf_config;

use crate::rel;

fn load(name: &str) -> String {
    let path = format!("{}/tests/fixtures/hf/{name}.json", env!("CARGO_MANIFEST_DIR"));
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
