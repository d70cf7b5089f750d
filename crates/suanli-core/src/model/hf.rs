//! Imports a Hugging Face `config.json` into a [`ModelSpec`].
//!
//! Key names follow each architecture's `configuration_*.py` in the `transformers` library;
//! defaults are those classes' defaults where a config may omit a key.

use serde_json::{Map, Value};

use super::spec::{FfnKind, Mla, ModelSpec, Moe, Norm, Position};
use crate::error::Error;

/// `model_type` values the importer understands.
pub const SUPPORTED_MODEL_TYPES: [&str; 10] =
    ["llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "gpt2", "gpt_neox", "opt", "bloom", "deepseek_v3"];

struct Keys<'a> {
    origin: &'a str,
    map: &'a Map<String, Value>,
}

impl Keys<'_> {
    fn opt_u32(&self, key: &str) -> Result<Option<u32>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) if n > 0 => Ok(Some(n)),
                _ => Err(Error::invalid(self.origin, key, v, "a positive integer below 2^32")),
            },
        }
    }

    fn u32(&self, key: &str) -> Result<u32, Error> {
        self.opt_u32(key)?
            .ok_or_else(|| Error::MissingKey { origin: self.origin.to_string(), key: key.to_string() })
    }

    /// The first of several alternative keys that is present.
    fn u32_any(&self, keys: &[&str]) -> Result<u32, Error> {
        for key in keys {
            if let Some(v) = self.opt_u32(key)? {
                return Ok(v);
            }
        }
        Err(Error::MissingKey { origin: self.origin.to_string(), key: keys.join("` or `") })
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(Error::invalid(self.origin, key, v, "true or false")),
        }
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Value::as_str)
    }
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
/// list), a missing or mistyped key (named), or an inconsistent shape.
pub fn from_hf_config(text: &str, origin: &str) -> Result<ModelSpec, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::from_json(origin, &e))?;
    let Value::Object(map) = &value else {
        return Err(Error::invalid(origin, "(document)", "non-object", "a JSON object"));
    };
    let k = Keys { origin, map };
    let model_type = k
        .str("model_type")
        .ok_or_else(|| Error::MissingKey { origin: origin.to_string(), key: "model_type".into() })?;
    let mut spec = match model_type {
        "llama" | "mistral" | "mixtral" | "qwen2" | "qwen2_moe" | "deepseek_v3" => {
            llama_like(&k, model_type)?
        }
        "gpt2" => gpt2(&k)?,
        "gpt_neox" => gpt_neox(&k)?,
        "opt" => opt(&k)?,
        "bloom" => bloom(&k)?,
        other => {
            return Err(Error::invalid(
                origin,
                "model_type",
                format!("\"{other}\""),
                format!("one of {}", SUPPORTED_MODEL_TYPES.join(", ")),
            ));
        }
    };
    spec.id = id_from_origin(origin);
    spec.name =
        k.str("_name_or_path").filter(|s| !s.is_empty()).map_or_else(|| spec.id.clone(), str::to_string);
    spec.family = model_type.to_string();
    spec.check().map_err(|(key, msg)| Error::invalid(origin, key, "(imported)", msg))?;
    Ok(spec)
}

fn base(family: &str) -> ModelSpec {
    ModelSpec {
        id: String::new(),
        aliases: Vec::new(),
        name: String::new(),
        family: family.to_string(),
        layers: 0,
        hidden: 0,
        heads: 0,
        kv_heads: 0,
        head_dim: 0,
        ffn: 0,
        ffn_kind: FfnKind::Swiglu,
        vocab: 0,
        max_context: 2048,
        tied_embeddings: false,
        position: Position::Rope,
        norm: Norm::Rmsnorm,
        bias: false,
        moe: None,
        mla: None,
        published_params_b: None,
        published_active_params_b: None,
        src: "hf-config".to_string(),
        notes: None,
    }
}

fn llama_like(k: &Keys<'_>, model_type: &str) -> Result<ModelSpec, Error> {
    let mut s = base(model_type);
    s.hidden = k.u32("hidden_size")?;
    s.layers = k.u32("num_hidden_layers")?;
    s.heads = k.u32("num_attention_heads")?;
    s.kv_heads = k.opt_u32("num_key_value_heads")?.unwrap_or(s.heads);
    s.head_dim = k.opt_u32("head_dim")?.unwrap_or(s.hidden / s.heads);
    s.ffn = k.u32("intermediate_size")?;
    s.vocab = k.u32("vocab_size")?;
    s.max_context = k.opt_u32("max_position_embeddings")?.unwrap_or(2048);
    s.tied_embeddings = k.bool_or("tie_word_embeddings", false)?;
    s.bias = k.bool_or("attention_bias", false)?;
    s.ffn_kind = match k.str("hidden_act") {
        Some("gelu" | "gelu_pytorch_tanh" | "gelu_new") => FfnKind::Geglu,
        _ => FfnKind::Swiglu,
    };
    match model_type {
        "mixtral" => {
            s.moe = Some(Moe {
                experts: k.u32("num_local_experts")?,
                active: k.u32("num_experts_per_tok")?,
                shared: 0,
                expert_ffn: s.ffn,
                dense_layers: 0,
            });
        }
        "qwen2_moe" => {
            let expert_ffn = k.u32("moe_intermediate_size")?;
            let shared_ffn = k.opt_u32("shared_expert_intermediate_size")?.unwrap_or(expert_ffn);
            s.moe = Some(Moe {
                experts: k.u32("num_experts")?,
                active: k.u32("num_experts_per_tok")?,
                shared: shared_ffn.div_ceil(expert_ffn),
                expert_ffn,
                dense_layers: 0,
            });
        }
        "deepseek_v3" => {
            s.moe = Some(Moe {
                experts: k.u32("n_routed_experts")?,
                active: k.u32("num_experts_per_tok")?,
                shared: k.opt_u32("n_shared_experts")?.unwrap_or(0),
                expert_ffn: k.u32("moe_intermediate_size")?,
                dense_layers: k.opt_u32("first_k_dense_replace")?.unwrap_or(0),
            });
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
        _ => {}
    }
    if model_type == "qwen2" {
        // Qwen2 puts biases on the Q, K and V projections only (a few hundred thousand weights);
        // they are left out rather than mis-counted as full linear biases.
        s.bias = false;
    }
    Ok(s)
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

fn opt(k: &Keys<'_>) -> Result<ModelSpec, Error> {
    let mut s = base("opt");
    s.hidden = k.u32("hidden_size")?;
    s.layers = k.u32("num_hidden_layers")?;
    s.heads = k.u32("num_attention_heads")?;
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
