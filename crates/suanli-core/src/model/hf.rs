//! Imports a Hugging Face `config.json` into a [`ModelSpec`].
//!
//! Key names follow each architecture's `configuration_*.py` in the `transformers` library (or
//! the model's own remote code); defaults are those classes' defaults where a config may omit a
//! key. Vision-language wrappers are read through their `text_config`; the vision tower is not
//! part of the language model's arithmetic, only its parameter count is estimated
//! ([`ModelSpec::vision_params`]) and a note says so.
//!
//! Per-layer patterns (`layer_types`, `hybrid_override_pattern`, `block_configs`,
//! `mlp_only_layers`, `moe_layer_freq`, `interleave_moe_layer_step`, `compress_ratios`, …) are
//! expanded layer by layer and then grouped into [`Block`]s of identical layers.

use serde_json::{Map, Value};

use super::spec::{
    Block, BlockFfn, FfnKind, Indexer, LinearAttention, LowRank, Mamba, Mixer, Mla, ModelSpec, Moe, Norm,
    Position,
};
use crate::error::Error;
use crate::precision::Precision;

/// `model_type` values the importer understands (a wrapper's `text_config` may carry another).
pub const SUPPORTED_MODEL_TYPES: [&str; 43] = [
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "qwen3_next",
    "qwen3_5",
    "qwen3_5_moe",
    "qwen3_vl",
    "qwen3_vl_moe",
    "mimo",
    "phi3",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "gemma4",
    "gemma4_text",
    "gpt_oss",
    "llama4",
    "llama4_text",
    "deepseek_v2",
    "deepseek_v3",
    "deepseek_v32",
    "deepseek_v4",
    "deepseek_ref",
    "kimi_k2",
    "kimi_k25",
    "glm4_moe",
    "glm_moe_dsa",
    "minimax_m2",
    "minimax_m3",
    "minimax_m3_vl",
    "step3p7",
    "nemotron_h",
    "nemotron-nas",
    "gpt2",
    "gpt_neox",
    "opt",
    "bloom",
    "starcoder2",
];

/// How to describe a model the importer cannot: the end of every such error.
const WRITE_TOML: &str = "describe the model as a [[model]] entry in a catalog TOML file instead \
     (layers, hidden, heads, kv_heads, head_dim, ffn, ffn_kind, vocab, max_context, tied_embeddings, \
     position, norm, bias, and [model.moe] / [model.mla] / [[model.blocks]] where they apply) and pass it \
     with --catalog";

struct Keys<'a> {
    origin: &'a str,
    /// `text_config.` for a nested text model, else empty; prefixes keys in errors.
    prefix: &'static str,
    map: &'a Map<String, Value>,
}

impl Keys<'_> {
    fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_u32(&self, key: &str) -> Result<Option<u32>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) if n > 0 => Ok(Some(n)),
                _ => Err(Error::invalid(self.origin, self.name(key), v, "a positive integer below 2^32")),
            },
        }
    }

    /// A count that may be 0 (`first_k_dense_replace`, `num_nextn_predict_layers`, …).
    fn count(&self, key: &str) -> Result<u32, Error> {
        match self.get(key) {
            None => Ok(0),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| Error::invalid(self.origin, self.name(key), v, "a non-negative integer")),
        }
    }

    fn u32(&self, key: &str) -> Result<u32, Error> {
        self.opt_u32(key)?.ok_or_else(|| self.missing(key))
    }

    fn missing(&self, key: &str) -> Error {
        Error::MissingKey { origin: self.origin.to_string(), key: self.name(key) }
    }

    /// The first of several alternative keys that is present.
    fn u32_any(&self, keys: &[&str]) -> Result<u32, Error> {
        self.opt_u32_any(keys)?.ok_or_else(|| Error::MissingKey {
            origin: self.origin.to_string(),
            key: keys.iter().map(|k| self.name(k)).collect::<Vec<_>>().join("` or `"),
        })
    }

    fn opt_u32_any(&self, keys: &[&str]) -> Result<Option<u32>, Error> {
        for key in keys {
            if let Some(v) = self.opt_u32(key)? {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
                _ => Err(Error::invalid(self.origin, self.name(key), v, "a positive number")),
            },
        }
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Error::invalid(self.origin, self.name(key), v, "true or false")),
        }
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    fn list(&self, key: &str) -> Result<Option<&Vec<Value>>, Error> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(Error::invalid(self.origin, self.name(key), short(v), "a list")),
        }
    }

    /// A per-layer list of strings, which must have one entry per layer.
    fn layer_strings(&self, key: &str, layers: u32) -> Result<Option<Vec<String>>, Error> {
        let Some(list) = self.list(key)? else { return Ok(None) };
        let out: Option<Vec<String>> = list.iter().map(|v| v.as_str().map(str::to_string)).collect();
        let out = out.ok_or_else(|| {
            Error::invalid(
                self.origin,
                self.name(key),
                short(Value::Array(list.clone())),
                "a list of strings",
            )
        })?;
        if out.len() < layers as usize {
            return Err(Error::invalid(
                self.origin,
                self.name(key),
                format!("{} entries", out.len()),
                format!("one entry per layer ({layers})"),
            ));
        }
        Ok(Some(out))
    }

    /// A per-layer list of non-negative integers (at least one per layer; extra entries, such as
    /// an MTP layer's, are ignored).
    fn layer_ints(&self, key: &str, layers: u32) -> Result<Option<Vec<u64>>, Error> {
        let Some(list) = self.list(key)? else { return Ok(None) };
        let out: Option<Vec<u64>> = list.iter().map(Value::as_u64).collect();
        let out = out.ok_or_else(|| {
            Error::invalid(
                self.origin,
                self.name(key),
                short(Value::Array(list.clone())),
                "a list of integers",
            )
        })?;
        if out.len() < layers as usize {
            return Err(Error::invalid(
                self.origin,
                self.name(key),
                format!("{} entries", out.len()),
                format!("one entry per layer ({layers})"),
            ));
        }
        Ok(Some(out))
    }

    fn sub(&self, key: &str) -> Option<Keys<'_>> {
        match self.get(key) {
            Some(Value::Object(map)) => Some(Keys { origin: self.origin, prefix: self.prefix, map }),
            _ => None,
        }
    }
}

/// `Infinity`, `-Infinity` and `NaN` outside strings replaced by `null`.
fn python_constants_as_null(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(word) = ["-Infinity", "Infinity", "NaN"].iter().find(|w| rest.starts_with(**w)) {
            out.push_str("null");
            rest = &rest[word.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A value cut short for an error message.
fn short(v: impl std::fmt::Display) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s }
}

fn id_from_origin(origin: &str) -> String {
    let path = std::path::Path::new(origin);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("model");
    if stem == "config" {
        path.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()).unwrap_or("model").to_string()
    } else {
        stem.to_string()
    }
}

/// Parses a `config.json` text. `origin` names the file in errors and gives the model its id.
///
/// # Errors
/// Malformed JSON (with line and column), an unsupported `model_type` (with the supported
/// list), a missing or mistyped key (named), a field the importer cannot describe (named, with
/// how to write a `[[model]]` TOML instead), or an inconsistent shape.
pub fn from_hf_config(text: &str, origin: &str) -> Result<ModelSpec, Error> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        // Python's `json` writes `Infinity` and `NaN` (Nemotron-H's `time_step_limit`), which
        // JSON does not have; read them as null.
        Err(e) => {
            serde_json::from_str(&python_constants_as_null(text)).map_err(|_| Error::from_json(origin, &e))?
        }
    };
    let Value::Object(map) = &value else {
        return Err(Error::invalid(origin, "(document)", "non-object", "a JSON object"));
    };
    let top = Keys { origin, prefix: "", map };
    let model_type = top
        .str("model_type")
        .ok_or_else(|| Error::MissingKey { origin: origin.to_string(), key: "model_type".into() })?;
    if !SUPPORTED_MODEL_TYPES.contains(&model_type) {
        return Err(Error::invalid(
            origin,
            "model_type",
            format!("\"{model_type}\""),
            format!("one of {}; or {WRITE_TOML}", SUPPORTED_MODEL_TYPES.join(", ")),
        ));
    }
    // Wrappers (vision-language models) keep the language model in `text_config`.
    let nested = match top.get("text_config") {
        Some(Value::Object(tc)) => Some(Keys { origin, prefix: "text_config.", map: tc }),
        Some(v) => return Err(Error::invalid(origin, "text_config", short(v), "an object")),
        None => None,
    };
    let k = nested.as_ref().unwrap_or(&top);
    let mut notes = Vec::new();
    let mut spec = match model_type {
        "gpt2" => gpt2(k)?,
        "gpt_neox" => gpt_neox(k)?,
        "opt" => opt(k)?,
        "bloom" => bloom(k)?,
        "starcoder2" => starcoder2(k)?,
        "nemotron_h" => nemotron_h(k)?,
        "nemotron-nas" => nemotron_nas(k)?,
        "deepseek_v4" | "deepseek_ref" => deepseek_v4(k)?,
        _ => decoder(k, model_type)?,
    };
    if nested.is_some() {
        // `tie_word_embeddings` sits beside `text_config` in most wrappers.
        let tied = top.bool_or("tie_word_embeddings", spec.tied_embeddings)?;
        spec.tied_embeddings = k.bool_or("tie_word_embeddings", tied)?;
    }
    if let Some(vision) = top.sub("vision_config") {
        spec.vision_params = vision_params(&vision, spec.hidden);
        notes.push(format!(
            "vision tower (about {:.2}B parameters, estimated from vision_config) not modelled: its \
             FLOPs per image are not in the per-token figures",
            spec.vision_params / 1e9
        ));
    }
    if k.count("hidden_size_per_layer_input")? > 0 {
        // Gemma 3n / Gemma 4 E-models: per-layer embeddings (PLE) add a large table per layer.
        return Err(Error::invalid(
            origin,
            k.name("hidden_size_per_layer_input"),
            k.get("hidden_size_per_layer_input").map_or_else(String::new, short),
            format!("0 (per-layer embeddings are not modelled); {WRITE_TOML}"),
        ));
    }
    if k.count("num_kv_shared_layers")? > 0 {
        notes.push(
            "num_kv_shared_layers: layers reusing another layer's KV cache are counted as holding their own"
                .into(),
        );
    }
    if k.count("hc_mult")? > 1 {
        notes.push(
            "hyper-connection mixing weights (hc_mult) and the KV compressors' weights are not counted (well under 1 %)"
                .into(),
        );
    }
    if k.list("indexer_types")?.is_some_and(|l| l.iter().any(|t| t.as_str() == Some("shared"))) {
        notes.push(
            "indexer_types: layers that reuse another layer's indexer are counted with their own".into(),
        );
    }
    spec.stored_precision = stored_precision(&top)?;
    spec.stored_16bit_attention = spec.stored_precision.is_some() && keeps_attention_16bit(&top);
    if let Some(p) = spec.stored_precision {
        let kept =
            if spec.stored_16bit_attention { "; attention and embeddings kept in 16 bits" } else { "" };
        notes.push(format!("checkpoint weights stored in {p:?} (quantization_config){kept}"));
    }
    if spec.mtp_layers > 0 {
        notes.push(format!(
            "{} multi-token-prediction module(s) counted apart from the total",
            spec.mtp_layers
        ));
    }
    spec.id = id_from_origin(origin);
    spec.name =
        top.str("_name_or_path").filter(|s| !s.is_empty()).map_or_else(|| spec.id.clone(), str::to_string);
    spec.family = model_type.to_string();
    if !notes.is_empty() {
        spec.notes = Some(notes.join("; "));
    }
    spec.check().map_err(|(key, msg)| Error::invalid(origin, key, "(imported)", msg))?;
    Ok(spec)
}

fn base(family: &str) -> ModelSpec {
    ModelSpec {
        family: family.to_string(),
        max_context: 2048,
        src: "hf-config".to_string(),
        ..ModelSpec::default()
    }
}

fn ffn_kind(k: &Keys<'_>) -> FfnKind {
    match k.str("hidden_act").or(k.str("hidden_activation")) {
        Some("gelu" | "gelu_pytorch_tanh" | "gelu_new") => FfnKind::Geglu,
        _ => FfnKind::Swiglu,
    }
}

/// The fields every decoder config shares.
fn common(k: &Keys<'_>, family: &str) -> Result<ModelSpec, Error> {
    let mut s = base(family);
    s.hidden = k.u32("hidden_size")?;
    s.layers = k.u32("num_hidden_layers")?;
    s.heads = k.u32("num_attention_heads")?;
    // Bounds before anything is allocated per layer or divided by the heads.
    for (key, v, max) in [("num_hidden_layers", s.layers, 100_000), ("num_attention_heads", s.heads, 1 << 16)]
    {
        if v == 0 || v > max {
            return Err(Error::invalid(k.origin, k.name(key), v, format!("from 1 to {max}")));
        }
    }
    s.kv_heads = k.opt_u32("num_key_value_heads")?.unwrap_or(s.heads);
    s.head_dim = k.opt_u32_any(&["head_dim", "attention_head_dim"])?.unwrap_or(s.hidden / s.heads);
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("max_position_embeddings")?.unwrap_or(2048);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", false)?;
    s.bias = k.bool_or("attention_bias", false)?;
    s.ffn_kind = ffn_kind(k);
    Ok(s)
}

/// Which layers hold experts, from whichever of the per-layer keys the config has.
fn moe_layers(k: &Keys<'_>, layers: u32) -> Result<Vec<bool>, Error> {
    let n = layers as usize;
    let mut moe = vec![true; n];
    if let Some(step) = k.opt_u32("decoder_sparse_step")? {
        for (i, m) in moe.iter_mut().enumerate() {
            *m = (i + 1) % step as usize == 0;
        }
    }
    if let Some(step) = k.opt_u32("interleave_moe_layer_step")? {
        for (i, m) in moe.iter_mut().enumerate() {
            *m = (i + 1) % step as usize == 0;
        }
    }
    if let Some(list) = k.list("mlp_only_layers")? {
        for v in list {
            let i = v
                .as_u64()
                .ok_or_else(|| Error::invalid(k.origin, k.name("mlp_only_layers"), v, "layer indices"))?;
            if let Some(m) = moe.get_mut(i as usize) {
                *m = false;
            }
        }
    }
    match k.get("moe_layer_freq") {
        Some(Value::Array(_)) => {
            let list = k.layer_ints("moe_layer_freq", layers)?.unwrap_or_default();
            for (m, v) in moe.iter_mut().zip(list) {
                *m = v != 0;
            }
        }
        Some(_) => {
            let freq = k.u32("moe_layer_freq")? as usize;
            for (i, m) in moe.iter_mut().enumerate() {
                *m = *m && i % freq == 0;
            }
        }
        None => {}
    }
    if let Some(types) = k.layer_strings("mlp_layer_types", layers)? {
        for (m, t) in moe.iter_mut().zip(types) {
            *m = t == "sparse" || t == "moe";
        }
    }
    let first_dense = k.count("first_k_dense_replace")? as usize;
    for m in moe.iter_mut().take(first_dense) {
        *m = false;
    }
    Ok(moe)
}

/// Groups per-layer blocks (each of count 1) into runs of identical blocks, in first-seen order.
fn group(layers: Vec<Block>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for b in layers {
        let key = Block { count: 0, ..b.clone() };
        match out.iter_mut().find(|o| Block { count: 0, ..(*o).clone() } == key) {
            Some(o) => o.count += b.count,
            None => out.push(b),
        }
    }
    out
}

/// Sets `blocks` (only when the layers are not the uniform stack the empty list stands for) and
/// keeps `moe.dense_layers` equal to the number of non-expert layers.
fn set_blocks(s: &mut ModelSpec, layers: Vec<Block>) {
    let moe_count = layers.iter().filter(|b| b.ffn == BlockFfn::Moe).map(|b| b.count).sum::<u32>();
    if let Some(moe) = &mut s.moe {
        moe.dense_layers = s.layers - moe_count;
    }
    let blocks = group(layers);
    let uniform = blocks.iter().all(|b| {
        b.mixer == Mixer::Full
            && b.window.is_none()
            && b.kv_heads.is_none()
            && b.head_dim.is_none()
            && !b.shared_kv
            && b.ffn_size.is_none()
            && b.indexed == s.indexer.is_some()
            && b.ffn != BlockFfn::None
    });
    s.blocks = if uniform { Vec::new() } else { blocks };
}

/// The per-layer attention kind from `layer_types` (or the older sliding-window keys).
fn mixers(k: &Keys<'_>, model_type: &str, layers: u32) -> Result<Vec<(Mixer, Option<u32>)>, Error> {
    let n = layers as usize;
    let window = k.opt_u32("sliding_window")?;
    if let Some(types) = k.layer_strings("layer_types", layers)? {
        return types
            .iter()
            .take(n)
            .map(|t| match t.as_str() {
                // GLM-5.2 names its DSA layers; the indexer is read from `index_n_heads`.
                "full_attention" | "attention" | "deepseek_sparse_attention" => Ok((Mixer::Full, None)),
                "sliding_attention" => Ok((Mixer::Sliding, Some(window.ok_or_else(|| k.missing("sliding_window"))?))),
                "chunked_attention" => Ok((Mixer::Chunked, Some(k.u32("attention_chunk_size")?))),
                "linear_attention" => Ok((Mixer::Linear, None)),
                other => Err(Error::invalid(
                    k.origin,
                    k.name("layer_types"),
                    format!("\"{other}\""),
                    format!(
                        "full_attention, sliding_attention, chunked_attention or linear_attention; or {WRITE_TOML}"
                    ),
                )),
            })
            .collect();
    }
    let mut out = vec![(Mixer::Full, None); n];
    match model_type {
        "gemma2" => {
            let w = window.unwrap_or(4096);
            for (i, m) in out.iter_mut().enumerate() {
                if i % 2 == 0 {
                    *m = (Mixer::Sliding, Some(w));
                }
            }
        }
        "gemma3" | "gemma3_text" => {
            let w = window.unwrap_or(4096);
            let pattern = k.opt_u32("sliding_window_pattern")?.unwrap_or(6) as usize;
            for (i, m) in out.iter_mut().enumerate() {
                if (i + 1) % pattern != 0 {
                    *m = (Mixer::Sliding, Some(w));
                }
            }
        }
        "qwen3_next" | "qwen3_5" | "qwen3_5_moe" => {
            let every = k.opt_u32("full_attention_interval")?.unwrap_or(4) as usize;
            for (i, m) in out.iter_mut().enumerate() {
                if (i + 1) % every != 0 {
                    *m = (Mixer::Linear, None);
                }
            }
        }
        "llama4" | "llama4_text" => {
            if let Some(chunk) = k.opt_u32("attention_chunk_size")? {
                // `no_rope_layers[i] == 1`: a RoPE layer with chunked attention; 0: a global NoPE
                // layer. Default: every fourth layer is global.
                let rope = match k.layer_ints("no_rope_layers", layers)? {
                    Some(list) => list.iter().map(|&v| v != 0).collect::<Vec<_>>(),
                    None => (0..n).map(|i| (i + 1) % 4 != 0).collect(),
                };
                for (m, r) in out.iter_mut().zip(rope) {
                    if r {
                        *m = (Mixer::Chunked, Some(chunk));
                    }
                }
            }
        }
        "mistral" | "mixtral" | "phi3" | "starcoder2" => {
            // One window for every layer, when it is shorter than the context.
            let context = k.opt_u32("max_position_embeddings")?.unwrap_or(u32::MAX);
            if let Some(w) = window.filter(|&w| w < context) {
                out.fill((Mixer::Sliding, Some(w)));
            }
        }
        _ => {
            // Qwen-style: `use_sliding_window` (default off) on the layers from `max_window_layers`.
            if k.bool_or("use_sliding_window", false)? {
                let w = window.ok_or_else(|| k.missing("sliding_window"))?;
                let from = k.count("max_window_layers")? as usize;
                for m in out.iter_mut().skip(from) {
                    *m = (Mixer::Sliding, Some(w));
                }
            }
        }
    }
    Ok(out)
}

/// Llama-like decoders and their descendants: one attention and one FFN (dense or experts) per
/// layer, with the per-layer patterns of each family.
#[allow(clippy::too_many_lines)]
fn decoder(k: &Keys<'_>, model_type: &str) -> Result<ModelSpec, Error> {
    let inner = k.str("model_type").unwrap_or(model_type);
    let mut s = common(k, model_type)?;
    let dense_ffn =
        k.opt_u32_any(&["intermediate_size_mlp", "dense_intermediate_size", "intermediate_size"])?;
    let expert_ffn = k.opt_u32_any(&["moe_intermediate_size", "expert_intermediate_size"])?;
    let mla_family = matches!(
        model_type,
        "deepseek_v2" | "deepseek_v3" | "deepseek_v32" | "kimi_k2" | "kimi_k25" | "glm_moe_dsa"
    ) || inner == "deepseek_v3";

    // Experts.
    let experts = k.opt_u32_any(&["num_local_experts", "n_routed_experts", "num_experts"])?;
    let gemma_moe = model_type.starts_with("gemma4") && k.bool_or("enable_moe_block", false)?;
    if let Some(experts) = experts.filter(|_| !model_type.starts_with("gemma4") || gemma_moe) {
        let active = k.u32_any(&["num_experts_per_tok", "experts_per_token", "top_k_experts"])?;
        let (expert_ffn, shared, shared_ffn) = match model_type {
            // Mixtral, gpt-oss and MiniMax-M2 call the expert width `intermediate_size`.
            "mixtral" | "gpt_oss" | "minimax_m2" => (k.u32("intermediate_size")?, 0, None),
            "llama4" | "llama4_text" => (k.u32("intermediate_size")?, 1, None),
            // MiniMax-M3's vision-language wrapper has only `intermediate_size` for the experts.
            "minimax_m3" | "minimax_m3_vl" if expert_ffn.is_none() => {
                let shared = k.count("n_shared_experts")?;
                (k.u32("intermediate_size")?, shared, None)
            }
            // Gemma 4: a dense MLP of `intermediate_size` beside the experts in every layer.
            _ if gemma_moe => (expert_ffn.ok_or_else(|| k.missing("moe_intermediate_size"))?, 1, dense_ffn),
            _ => {
                let e = expert_ffn.ok_or_else(|| k.missing("moe_intermediate_size"))?;
                let shared_w = k.opt_u32_any(&[
                    "shared_expert_intermediate_size",
                    "share_expert_dim",
                    "shared_intermediate_size",
                ])?;
                let shared_n = k.opt_u32("n_shared_experts")?.unwrap_or(u32::from(shared_w.is_some()));
                let shared_n = if shared_w == Some(0) { 0 } else { shared_n };
                match shared_w {
                    Some(w) if w > 0 && w != shared_n * e => (e, shared_n.max(1), Some(w)),
                    _ => (e, shared_n, None),
                }
            }
        };
        s.moe = Some(Moe { experts, active, shared, expert_ffn, dense_layers: 0, shared_ffn, latent: None });
    }
    s.ffn = match (dense_ffn, &s.moe) {
        (Some(f), _) => f,
        (None, Some(m)) => m.expert_ffn,
        (None, None) => return Err(k.missing("intermediate_size")),
    };
    if matches!(model_type, "mixtral" | "gpt_oss" | "minimax_m2") {
        // No dense layers; `ffn` is the expert width.
        s.ffn = s.moe.as_ref().map_or(s.ffn, |m| m.expert_ffn);
    }

    // Multi-head latent attention and the sparse-attention indexer.
    if mla_family {
        let mla = Mla {
            q_lora_rank: k.opt_u32("q_lora_rank")?,
            kv_lora_rank: k.u32("kv_lora_rank")?,
            qk_nope_head_dim: k.u32("qk_nope_head_dim")?,
            qk_rope_head_dim: k.u32("qk_rope_head_dim")?,
            v_head_dim: k.u32("v_head_dim")?,
        };
        s.head_dim = mla.v_head_dim;
        s.mla = Some(mla);
    }
    if let Some(heads) = k.opt_u32("index_n_heads")? {
        s.indexer = Some(Indexer { heads, head_dim: k.u32("index_head_dim")?, topk: k.u32("index_topk")? });
    }
    if let Some(sparse) =
        k.sub("sparse_attention_config").filter(|c| c.bool_or("use_sparse_attention", true).unwrap_or(true))
    {
        // MiniMax-M3: blocks of `sparse_block_size` tokens, `sparse_topk_blocks` of them kept.
        s.indexer = Some(Indexer {
            heads: sparse.u32("sparse_num_index_heads")?,
            head_dim: sparse.u32("sparse_index_dim")?,
            topk: sparse.u32("sparse_topk_blocks")? * sparse.u32("sparse_block_size")?,
        });
    }

    // Family details.
    match model_type {
        "qwen2" | "mimo" | "qwen3_vl" => {
            // Qwen2 puts biases on the Q, K and V projections only (a few hundred thousand
            // weights); they are left out rather than mis-counted as full linear biases.
            s.bias = false;
        }
        "gpt_oss" => {
            s.attention_sinks = true;
            s.activation_clamp = k.opt_f64("swiglu_limit")?;
        }
        "qwen3_next" | "qwen3_5" | "qwen3_5_moe" => {
            s.attention_gate = k.bool_or("attn_output_gate", true)?;
            s.linear_attention = Some(LinearAttention {
                key_heads: k.u32("linear_num_key_heads")?,
                value_heads: k.u32("linear_num_value_heads")?,
                key_head_dim: k.u32("linear_key_head_dim")?,
                value_head_dim: k.u32("linear_value_head_dim")?,
                conv_kernel: k.opt_u32("linear_conv_kernel_dim")?.unwrap_or(4),
            });
        }
        _ => {}
    }
    if model_type.starts_with("gemma") {
        s.tied_embeddings = k.bool_or("tie_word_embeddings", true)?;
        s.ffn_kind = FfnKind::Geglu;
    }

    // Multi-token prediction.
    s.mtp_layers = match k.opt_u32("num_mtp_modules")? {
        Some(n) if k.bool_or("use_mtp", true)? => n,
        _ => k.count("num_nextn_predict_layers")?.max(k.count("mtp_num_hidden_layers")?),
    };

    // Per-layer blocks.
    let mixer_list = mixers(k, model_type, s.layers)?;
    let moe_list = if s.moe.is_some() { moe_layers(k, s.layers)? } else { vec![false; s.layers as usize] };
    let sparse_list = match k.sub("sparse_attention_config") {
        Some(c) => {
            c.layer_ints("sparse_attention_freq", s.layers)?.map(|v| v.iter().map(|&x| x != 0).collect())
        }
        None => None,
    };
    let global_head_dim = k.opt_u32("global_head_dim")?;
    let global_kv = k.opt_u32("num_global_key_value_heads")?;
    let k_eq_v = k.bool_or("attention_k_eq_v", false)?;
    let mut layers = Vec::with_capacity(s.layers as usize);
    for (i, ((mixer, window), moe)) in mixer_list.into_iter().zip(moe_list).enumerate() {
        let full = mixer == Mixer::Full;
        let indexed = s.indexer.is_some()
            && mixer.is_softmax()
            && sparse_list.as_ref().is_none_or(|l: &Vec<bool>| l.get(i).copied().unwrap_or(true));
        layers.push(Block {
            count: 1,
            mixer,
            window,
            compress: None,
            kv_heads: if full { global_kv.filter(|&g| g != s.kv_heads) } else { None },
            head_dim: if full { global_head_dim.filter(|&g| g != s.head_dim) } else { None },
            shared_kv: full && k_eq_v,
            indexed,
            ffn: if moe { BlockFfn::Moe } else { BlockFfn::Dense },
            ffn_size: None,
        });
    }
    set_blocks(&mut s, layers);
    Ok(s)
}

/// DeepSeek-V4: one shared key-value head of `head_dim`, low-rank queries and grouped low-rank
/// outputs, and per-layer `compress_ratios` (0: the raw sliding window only; 4: compressed
/// attention with the indexer; 128: heavily compressed attention).
fn deepseek_v4(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = common(k, "deepseek_v4")?;
    let expert_ffn = k.u32("moe_intermediate_size")?;
    s.ffn = k.opt_u32("intermediate_size")?.unwrap_or(expert_ffn);
    s.moe = Some(Moe {
        experts: k.u32("n_routed_experts")?,
        active: k.u32("num_experts_per_tok")?,
        shared: k.count("n_shared_experts")?,
        expert_ffn,
        dense_layers: 0,
        shared_ffn: None,
        latent: None,
    });
    s.low_rank = Some(LowRank {
        q_rank: k.opt_u32("q_lora_rank")?,
        o_rank: k.opt_u32("o_lora_rank")?,
        o_groups: k.opt_u32("o_groups")?.unwrap_or(1),
    });
    s.indexer = Some(Indexer {
        heads: k.u32("index_n_heads")?,
        head_dim: k.u32("index_head_dim")?,
        topk: k.u32("index_topk")?,
    });
    s.mtp_layers = k.count("num_nextn_predict_layers")?;
    let window = k.u32("sliding_window")?;
    let ratios = k.layer_ints("compress_ratios", s.layers)?.ok_or_else(|| k.missing("compress_ratios"))?;
    let layers = ratios
        .iter()
        .take(s.layers as usize)
        .map(|&r| {
            let compress = u32::try_from(r).ok().filter(|&r| r > 1);
            Block {
                count: 1,
                mixer: if compress.is_some() { Mixer::Compressed } else { Mixer::Sliding },
                window: Some(window),
                compress,
                shared_kv: true,
                indexed: r == 4,
                ffn: BlockFfn::Moe,
                ..Block::default()
            }
        })
        .collect();
    set_blocks(&mut s, layers);
    Ok(s)
}

/// NVIDIA Nemotron-H: one mixer or one FFN per layer, from `hybrid_override_pattern`
/// (`M` Mamba-2, `*` attention, `-` MLP, `E` experts) or `layers_block_type`.
fn nemotron_h(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    // Nemotron-3 Ultra leaves `num_hidden_layers` to the length of `layers_block_type`.
    let with_layers;
    let k = match (k.get("num_hidden_layers"), k.list("layers_block_type")?) {
        (None, Some(list)) => {
            let mut map = k.map.clone();
            map.insert("num_hidden_layers".into(), Value::from(list.len()));
            with_layers = map;
            &Keys { origin: k.origin, prefix: k.prefix, map: &with_layers }
        }
        _ => k,
    };
    let mut s = common(k, "nemotron_h")?;
    s.ffn = k.u32("intermediate_size")?;
    s.ffn_kind = FfnKind::Gelu; // squared ReLU: two matrices
    s.bias = k.bool_or("mlp_bias", false)?;
    s.mamba = Some(Mamba {
        heads: k.u32("mamba_num_heads")?,
        head_dim: k.u32("mamba_head_dim")?,
        state: k.u32("ssm_state_size")?,
        groups: k.opt_u32("n_groups")?.unwrap_or(1),
        conv_kernel: k.opt_u32("conv_kernel")?.unwrap_or(4),
    });
    if let Some(experts) = k.opt_u32("n_routed_experts")? {
        let expert_ffn = k.u32("moe_intermediate_size")?;
        let shared = k.count("n_shared_experts")?;
        let shared_ffn =
            k.opt_u32("moe_shared_expert_intermediate_size")?.filter(|&w| w != shared * expert_ffn);
        s.moe = Some(Moe {
            experts,
            active: k.u32("num_experts_per_tok")?,
            shared,
            expert_ffn,
            dense_layers: 0,
            shared_ffn,
            latent: k.opt_u32("moe_latent_size")?,
        });
    }
    s.mtp_layers = k.count("num_nextn_predict_layers")?;
    let kinds: Vec<char> = match k.str("hybrid_override_pattern") {
        Some(p) => p.chars().collect(),
        None => k
            .layer_strings("layers_block_type", s.layers)?
            .ok_or_else(|| k.missing("hybrid_override_pattern"))?
            .iter()
            .map(|t| match t.as_str() {
                "mamba" => 'M',
                "attention" => '*',
                "mlp" => '-',
                "moe" => 'E',
                _ => '?',
            })
            .collect(),
    };
    if kinds.len() != s.layers as usize {
        return Err(Error::invalid(
            k.origin,
            k.name("hybrid_override_pattern"),
            format!("{} layers", kinds.len()),
            format!("one character per layer ({})", s.layers),
        ));
    }
    let mut layers = Vec::new();
    for c in kinds {
        let (mixer, ffn) = match c {
            'M' => (Mixer::Mamba, BlockFfn::None),
            '*' => (Mixer::Full, BlockFfn::None),
            '-' => (Mixer::None, BlockFfn::Dense),
            'E' if s.moe.is_some() => (Mixer::None, BlockFfn::Moe),
            other => {
                return Err(Error::invalid(
                    k.origin,
                    k.name("hybrid_override_pattern"),
                    format!("'{other}'"),
                    format!("M, *, - or E (E needs n_routed_experts); or {WRITE_TOML}"),
                ));
            }
        };
        layers.push(Block { count: 1, mixer, ffn, ..Block::default() });
    }
    set_blocks(&mut s, layers);
    Ok(s)
}

/// DeciLM / Llama-Nemotron (NAS): each layer's attention (`n_heads_in_group`, or `no_op`) and
/// FFN (`ffn_mult`, or `no_op`) from `block_configs`.
fn nemotron_nas(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = base("nemotron-nas");
    s.hidden = k.u32("hidden_size")?;
    s.layers = k.u32("num_hidden_layers")?;
    s.heads = k.u32("num_attention_heads")?;
    // Bounds before anything is allocated per layer or divided by the heads.
    for (key, v, max) in [("num_hidden_layers", s.layers, 100_000), ("num_attention_heads", s.heads, 1 << 16)]
    {
        if v == 0 || v > max {
            return Err(Error::invalid(k.origin, k.name(key), v, format!("from 1 to {max}")));
        }
    }
    s.head_dim = k.opt_u32("head_dim")?.unwrap_or(s.hidden / s.heads);
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("max_position_embeddings")?.unwrap_or(2048);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", false)?;
    s.bias = k.bool_or("attention_bias", false)?;
    s.ffn_kind = ffn_kind(k);
    let configs = k.list("block_configs")?.ok_or_else(|| k.missing("block_configs"))?;
    if configs.len() != s.layers as usize {
        return Err(Error::invalid(
            k.origin,
            k.name("block_configs"),
            format!("{} entries", configs.len()),
            format!("one per layer ({})", s.layers),
        ));
    }
    let mut layers = Vec::new();
    for (i, c) in configs.iter().enumerate() {
        let Value::Object(c) = c else {
            return Err(Error::invalid(k.origin, format!("block_configs[{i}]"), short(c), "an object"));
        };
        let at = |part: &str| match c.get(part) {
            Some(Value::Object(m)) => Ok(Keys { origin: k.origin, prefix: "block_configs[].", map: m }),
            _ => Err(Error::MissingKey {
                origin: k.origin.to_string(),
                key: format!("block_configs[{i}].{part}"),
            }),
        };
        let (attn, ffn) = (at("attention")?, at("ffn")?);
        for (part, keys) in [("attention", &attn), ("ffn", &ffn)] {
            if keys.bool_or("replace_with_linear", false)? || keys.get("sparsify").is_some() {
                return Err(Error::invalid(
                    k.origin,
                    format!("block_configs[{i}].{part}"),
                    "replace_with_linear/sparsify",
                    format!("a plain or no_op {part}; {WRITE_TOML}"),
                ));
            }
        }
        let (mixer, kv_heads, window) = if attn.bool_or("no_op", false)? {
            (Mixer::None, None, None)
        } else {
            let group = attn.u32("n_heads_in_group")?;
            let window = attn.opt_u32("window_length")?;
            let mixer = if window.is_some() { Mixer::Sliding } else { Mixer::Full };
            (mixer, Some(s.heads / group), window)
        };
        let (block_ffn, ffn_size) = if ffn.bool_or("no_op", false)? {
            (BlockFfn::None, None)
        } else {
            let mult = ffn.opt_f64("ffn_mult")?.ok_or_else(|| ffn.missing("ffn_mult"))?;
            // DeciLM's `_ffn_mult_to_intermediate_size`: 2/3 of mult × d, rounded up to 256.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let size = (2.0 * mult * f64::from(s.hidden) / 3.0) as u32;
            (BlockFfn::Dense, Some(size.div_ceil(256) * 256))
        };
        layers.push(Block {
            count: 1,
            mixer,
            window,
            kv_heads,
            ffn: block_ffn,
            ffn_size,
            ..Block::default()
        });
    }
    // The model-wide KV heads and FFN width: those of the most common attention and FFN layers.
    let most = |f: &dyn Fn(&Block) -> Option<u32>| {
        let mut counts: Vec<(u32, u32)> = Vec::new();
        for v in layers.iter().filter_map(f) {
            match counts.iter_mut().find(|(x, _)| *x == v) {
                Some((_, n)) => *n += 1,
                None => counts.push((v, 1)),
            }
        }
        counts.iter().max_by_key(|(_, n)| *n).map(|(v, _)| *v)
    };
    s.kv_heads = most(&|b: &Block| b.kv_heads).unwrap_or(s.heads);
    s.ffn = most(&|b: &Block| b.ffn_size).unwrap_or(4 * s.hidden);
    for b in &mut layers {
        b.kv_heads = b.kv_heads.filter(|&v| v != s.kv_heads);
        b.ffn_size = b.ffn_size.filter(|&v| v != s.ffn);
    }
    set_blocks(&mut s, layers);
    Ok(s)
}

/// The precision most weights are stored in, from `quantization_config` (and DeepSeek-V4's
/// `expert_dtype`). Mixed-precision checkpoints name their 4-bit part (the MLP or expert
/// weights, the bulk of the model).
fn stored_precision(top: &Keys<'_>) -> Result<Option<Precision>, Error> {
    let expert_fp4 = top.str("expert_dtype") == Some("fp4");
    let Some(q) = top.sub("quantization_config") else {
        return Ok(expert_fp4.then_some(Precision::Fp4));
    };
    let text = serde_json::to_string(q.map).unwrap_or_default().to_ascii_lowercase();
    let four_bit =
        expert_fp4 || text.contains("nvfp4") || text.contains("mxfp4") || text.contains("\"num_bits\":4");
    let method = q.str("quant_method").map(str::to_ascii_lowercase);
    let algo = q.str("quant_algo").map(str::to_ascii_lowercase);
    let p = match (method.as_deref(), algo.as_deref()) {
        (_, Some("nvfp4" | "mxfp4" | "fp4")) | (Some("mxfp4" | "nvfp4"), _) => Precision::Fp4,
        (_, Some("mixed_precision")) if four_bit => Precision::Fp4,
        (Some("fp8" | "fbgemm_fp8"), _) if four_bit => Precision::Fp4,
        (Some("fp8" | "fbgemm_fp8"), _) | (_, Some("fp8" | "mxfp8" | "mixed_precision")) => Precision::Fp8,
        (Some("modelopt" | "compressed-tensors"), _) => {
            if four_bit {
                Precision::Fp4
            } else if text.contains("\"num_bits\":8") {
                if text.contains("\"type\":\"int\"") { Precision::Int8 } else { Precision::Fp8 }
            } else {
                return Err(unknown_quant(top, &q, "quant_algo"));
            }
        }
        (Some("gptq" | "awq" | "bitsandbytes"), _) => match q.opt_u32("bits")? {
            Some(8) => Precision::Int8,
            Some(4) | None => Precision::Int4,
            Some(_) => return Err(unknown_quant(top, &q, "bits")),
        },
        _ => return Err(unknown_quant(top, &q, "quant_method")),
    };
    Ok(Some(p))
}

/// Whether `quantization_config` leaves the attention unquantised: a `modules_to_not_convert`,
/// `ignore` or `exclude_modules` entry naming an attention module. A list naming only some
/// layers' attention counts as all (an upper bound on the 16-bit share).
fn keeps_attention_16bit(top: &Keys<'_>) -> bool {
    let Some(q) = top.sub("quantization_config") else { return false };
    ["modules_to_not_convert", "ignore", "exclude_modules"].iter().any(|key| {
        q.get(key).and_then(|v| v.as_array()).is_some_and(|l| {
            l.iter().filter_map(|m| m.as_str()).any(|m| m.contains("self_attn") || m.contains(".attn"))
        })
    })
}

fn unknown_quant(top: &Keys<'_>, q: &Keys<'_>, key: &str) -> Error {
    Error::invalid(
        top.origin,
        format!("quantization_config.{key}"),
        q.get(key).map_or_else(|| "(none)".to_string(), short),
        "fp8, mxfp4, NVFP4 (modelopt), compressed-tensors 4/8-bit, gptq/awq/bitsandbytes; or set \
         stored_precision in a [[model]] TOML entry instead",
    )
}

/// Parameters of a ViT-style vision tower: blocks of attention (with biases) and a two-matrix
/// MLP, two LayerNorms each, the patch embedding, a position table and the patch merger(s) that
/// project into the language model.
fn vision_params(v: &Keys<'_>, text_hidden: u32) -> f64 {
    let get = |keys: &[&str]| v.opt_u32_any(keys).ok().flatten().map_or(0.0, f64::from);
    let depth = get(&["depth", "num_hidden_layers", "vt_num_hidden_layers"]);
    let h = get(&["hidden_size", "vt_hidden_size"]);
    let ff = get(&["intermediate_size", "vt_intermediate_size"]);
    if depth == 0.0 || h == 0.0 {
        return 0.0;
    }
    let ff = if ff == 0.0 { 4.0 * h } else { ff };
    let block = 4.0 * h * h + 4.0 * h + 2.0 * h * ff + ff + h + 4.0 * h;
    let patch = get(&["patch_size"]).max(1.0);
    let channels = v.opt_u32_any(&["in_channels", "num_channels"]).ok().flatten().unwrap_or(3);
    let temporal = v.opt_u32("temporal_patch_size").ok().flatten().unwrap_or(1);
    let patch_embed = f64::from(channels) * patch * patch * f64::from(temporal) * h + h;
    let positions = get(&["num_position_embeddings"]) * h;
    let out = v
        .opt_u32_any(&["out_hidden_size", "text_hidden_size", "projection_dim"])
        .ok()
        .flatten()
        .unwrap_or(text_hidden);
    let merge = v.opt_u32("spatial_merge_size").ok().flatten().map_or(4.0, |m| f64::from(m) * f64::from(m));
    let merged = h * merge;
    let merger = merged * merged + merged + merged * f64::from(out) + f64::from(out) + 2.0 * merged;
    let deepstack = v.list("deepstack_visual_indexes").ok().flatten().map_or(0, Vec::len);
    #[allow(clippy::cast_precision_loss)]
    let mergers = 1.0 + deepstack as f64;
    depth * block + patch_embed + positions + mergers * merger
}

fn gpt2(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = base("gpt2");
    s.hidden = k.u32_any(&["n_embd", "hidden_size"])?;
    s.layers = k.u32_any(&["n_layer", "num_hidden_layers"])?;
    s.heads = k.u32_any(&["n_head", "num_attention_heads"])?;
    s.kv_heads = s.heads;
    s.head_dim = s.hidden / s.heads;
    s.ffn = k.opt_u32("n_inner")?.unwrap_or(s.hidden.saturating_mul(4));
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("n_positions")?.or(k.opt_u32("n_ctx")?).unwrap_or(1024);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", true)?;
    s.position = Position::Learned;
    s.norm = Norm::Layernorm;
    s.bias = true;
    s.ffn_kind = FfnKind::Gelu;
    Ok(s)
}

fn gpt_neox(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = base("gpt_neox");
    s.hidden = k.u32("hidden_size")?;
    s.layers = k.u32("num_hidden_layers")?;
    s.heads = k.u32("num_attention_heads")?;
    // Bounds before anything is allocated per layer or divided by the heads.
    for (key, v, max) in [("num_hidden_layers", s.layers, 100_000), ("num_attention_heads", s.heads, 1 << 16)]
    {
        if v == 0 || v > max {
            return Err(Error::invalid(k.origin, k.name(key), v, format!("from 1 to {max}")));
        }
    }
    s.kv_heads = s.heads;
    s.head_dim = s.hidden / s.heads;
    s.ffn = k.u32("intermediate_size")?;
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("max_position_embeddings")?.unwrap_or(2048);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", false)?;
    s.position = Position::Rope;
    s.norm = Norm::Layernorm;
    s.bias = true;
    s.ffn_kind = FfnKind::Gelu;
    Ok(s)
}

fn starcoder2(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = common(k, "starcoder2")?;
    s.ffn = k.u32("intermediate_size")?;
    s.tied_embeddings = k.bool_or("tie_word_embeddings", true)?;
    s.norm = Norm::Layernorm;
    s.bias = k.bool_or("use_bias", true)?;
    s.ffn_kind = FfnKind::Gelu;
    let layers = mixers(k, "starcoder2", s.layers)?
        .into_iter()
        .map(|(mixer, window)| Block { count: 1, mixer, window, ..Block::default() })
        .collect();
    set_blocks(&mut s, layers);
    Ok(s)
}

fn opt(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = base("opt");
    s.hidden = k.u32("hidden_size")?;
    s.layers = k.u32("num_hidden_layers")?;
    s.heads = k.u32("num_attention_heads")?;
    // Bounds before anything is allocated per layer or divided by the heads.
    for (key, v, max) in [("num_hidden_layers", s.layers, 100_000), ("num_attention_heads", s.heads, 1 << 16)]
    {
        if v == 0 || v > max {
            return Err(Error::invalid(k.origin, k.name(key), v, format!("from 1 to {max}")));
        }
    }
    s.kv_heads = s.heads;
    s.head_dim = s.hidden / s.heads;
    s.ffn = k.u32("ffn_dim")?;
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("max_position_embeddings")?.unwrap_or(2048);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", true)?;
    s.position = Position::Learned;
    s.norm = Norm::Layernorm;
    s.bias = k.bool_or("enable_bias", true)?;
    s.ffn_kind = FfnKind::Gelu;
    Ok(s)
}

fn bloom(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = base("bloom");
    s.hidden = k.u32_any(&["hidden_size", "n_embed"])?;
    s.layers = k.u32_any(&["n_layer", "num_hidden_layers"])?;
    s.heads = k.u32_any(&["n_head", "num_attention_heads"])?;
    s.kv_heads = s.heads;
    s.head_dim = s.hidden / s.heads;
    s.ffn = s.hidden.saturating_mul(4);
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("seq_length")?.unwrap_or(2048);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", true)?;
    s.position = Position::Alibi;
    s.norm = Norm::Layernorm;
    s.bias = true;
    s.ffn_kind = FfnKind::Gelu;
    Ok(s)
}
