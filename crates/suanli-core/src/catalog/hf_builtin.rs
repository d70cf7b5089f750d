//! Models built in from their published Hugging Face `config.json` (`catalog/hf/`), so the
//! 2026 families answer to an id (`-m qwen3-235b-a22b`) as well as to a pasted config: each is
//! imported by the same [`crate::model::from_hf_config`] users' files go through, once per
//! process with the rest of the built-in catalog. The authors' published counts for every file
//! are in `catalog/hf/published.csv` (checked by `tests/it/hf.rs`); an entry's notes quote its
//! row.

use crate::Error;
use crate::model::{ModelSpec, from_hf_config};

use super::Catalog;

/// One built-in model: its id, display name and config file (`catalog/hf/<file>.json`).
struct Builtin {
    id: &'static str,
    name: &'static str,
    file: &'static str,
    text: &'static str,
}

macro_rules! hf {
    ($id:literal, $name:literal, $file:literal) => {
        Builtin {
            id: $id,
            name: $name,
            file: $file,
            text: include_str!(concat!("../../catalog/hf/", $file, ".json")),
        }
    };
}

/// The built-in models from configs: the base (unquantised) release of each family the
/// published set and the 2026 deployments use. Quantised variants (`-FP8`, `-NVFP4`) are the
/// same shapes: serve them with `--precision`, or pass their config for the stored precision.
const BUILTIN: &[Builtin] = &[
    hf!("qwen3-0.6b", "Qwen3 0.6B", "Qwen--Qwen3-0.6B"),
    hf!("qwen3-1.7b", "Qwen3 1.7B", "Qwen--Qwen3-1.7B"),
    hf!("qwen3-8b", "Qwen3 8B", "Qwen--Qwen3-8B"),
    hf!("qwen3-32b", "Qwen3 32B", "Qwen--Qwen3-32B"),
    hf!("qwen3-30b-a3b", "Qwen3 30B-A3B", "Qwen--Qwen3-30B-A3B"),
    hf!("qwen3-235b-a22b", "Qwen3 235B-A22B", "Qwen--Qwen3-235B-A22B"),
    hf!("qwen3.5-27b", "Qwen3.5 27B", "Qwen--Qwen3.5-27B"),
    hf!("qwen3.5-35b-a3b", "Qwen3.5 35B-A3B", "Qwen--Qwen3.5-35B-A3B"),
    hf!("qwen3.5-122b-a10b", "Qwen3.5 122B-A10B", "Qwen--Qwen3.5-122B-A10B"),
    hf!("gpt-oss-120b", "gpt-oss-120b", "openai--gpt-oss-120b"),
    hf!("llama4-scout", "Llama 4 Scout 17B-16E", "meta-llama--Llama-4-Scout-17B-16E-Instruct"),
    hf!("deepseek-r1", "DeepSeek-R1", "deepseek-ai--DeepSeek-R1"),
    hf!("deepseek-v3.2", "DeepSeek-V3.2", "deepseek-ai--DeepSeek-V3.2"),
    hf!("deepseek-v4-flash", "DeepSeek-V4-Flash", "deepseek-ai--DeepSeek-V4-Flash"),
    hf!("kimi-k2", "Kimi K2", "moonshotai--Kimi-K2-Instruct"),
    hf!("glm-5", "GLM-5", "zai-org--GLM-5"),
    hf!("glm-5.1", "GLM-5.1", "zai-org--GLM-5.1"),
    hf!("minimax-m2.5", "MiniMax-M2.5", "MiniMaxAI--MiniMax-M2.5"),
    hf!("minimax-m3", "MiniMax-M3", "MiniMaxAI--MiniMax-M3"),
    hf!("mixtral-8x22b", "Mixtral 8x22B", "mistralai--Mixtral-8x22B-v0.1"),
    hf!("mimo-7b", "MiMo-7B", "XiaomiMiMo--MiMo-7B-Base"),
    hf!("nemotron-3-nano-30b-a3b", "Nemotron 3 Nano 30B-A3B", "nvidia--NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"),
    hf!("nemotron-h-56b", "Nemotron-H 56B", "nvidia--Nemotron-H-56B-Base-8K"),
    hf!(
        "llama3.3-nemotron-super-49b",
        "Llama 3.3 Nemotron Super 49B",
        "nvidia--Llama-3_3-Nemotron-Super-49B-v1"
    ),
];

/// The published-count row of `file`: (total, active, where the figures come from).
fn published(file: &str) -> Option<(String, String, String)> {
    const CSV: &str = include_str!("../../catalog/hf/published.csv");
    CSV.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split(',').collect();
        (f.first() == Some(&file) && f.len() >= 11)
            .then(|| (f[1].to_string(), f[4].to_string(), f[10].to_string()))
    })
}

/// Adds the built-in config models to `c` (an id already there keeps its TOML entry).
///
/// # Errors
/// Only if an embedded config stops importing (the test suite guards against that).
pub(super) fn add(c: &mut Catalog) -> Result<(), Error> {
    for b in BUILTIN {
        if c.models.iter().any(|m| m.id.eq_ignore_ascii_case(b.id)) {
            continue;
        }
        let mut spec: ModelSpec = from_hf_config(b.text, &format!("catalog/hf/{}.json", b.file))?;
        let repo = b.file.replacen("--", "/", 1);
        let key = format!("hf:{repo}");
        c.sources.insert(key.clone(), format!("https://huggingface.co/{repo} (config.json)"));
        let counts = published(b.file).filter(|(t, _, _)| !t.is_empty()).map(|(total, active, from)| {
            let active = if active.is_empty() { String::new() } else { format!(", {active}B active") };
            format!("; the authors publish {total}B{active} ({from})")
        });
        spec.notes = Some(format!(
            "built in from {repo}'s config.json (catalog/hf/{}.json){}",
            b.file,
            counts.unwrap_or_default()
        ));
        spec.aliases = vec![repo.to_ascii_lowercase()];
        spec.id = b.id.to_string();
        spec.name = b.name.to_string();
        spec.src = key;
        c.models.push(spec);
    }
    Ok(())
}
