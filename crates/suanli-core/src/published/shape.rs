//! A `ModelSpec` from a published row's shape columns.

use super::csv::Record;
use crate::model::{FfnKind, Mla, ModelSpec, Moe, Norm, Position};

/// Longest context a published shape is given: long enough for every row (1M-token training
/// rows, 20k-token MLPerf prompts); the published rows state their own lengths.
const MAX_CONTEXT: u32 = 1 << 21;

fn mla(s: &str) -> Option<Mla> {
    // q1536/kv512/nope128/rope64/v128
    let mut q = None;
    let (mut kv, mut nope, mut rope, mut v) = (None, None, None, None);
    for part in s.split('/') {
        let digits = part.trim_start_matches(|c: char| c.is_ascii_alphabetic());
        let n: u32 = digits.parse().ok()?;
        match part.trim_end_matches(|c: char| c.is_ascii_digit()) {
            "q" => q = Some(n),
            "kv" => kv = Some(n),
            "nope" => nope = Some(n),
            "rope" => rope = Some(n),
            "v" => v = Some(n),
            _ => return None,
        }
    }
    Some(Mla {
        q_lora_rank: q,
        kv_lora_rank: kv?,
        qk_nope_head_dim: nope?,
        qk_rope_head_dim: rope?,
        v_head_dim: v?,
    })
}

/// The row's model shape, or why it cannot be built.
///
/// Families map to the block structure they use: `gpt`, `gptj`, `opt`, `falcon` and
/// `nemotron` (squared ReLU) have two-matrix MLPs and LayerNorm; the others gated SiLU MLPs,
/// RMSNorm and rotary positions. Llama 4 Maverick's "MoE every second layer" is expressed as
/// half the layers dense (the count of each kind is what the arithmetic needs).
///
/// # Errors
/// A missing or malformed shape column, named.
pub fn shape(r: &Record) -> Result<ModelSpec, String> {
    let need = |k: &str| r.int(k).ok_or_else(|| format!("shape column `{k}` missing"));
    let kind = r.get("model_type");
    let (layers, hidden, heads, kv_heads) =
        (need("layers")?, need("hidden")?, need("heads")?, need("kv_heads")?);
    let ffn = need("ffn")?;
    let vocab = need("vocab")?;
    let head_dim = r.int("head_dim").unwrap_or(hidden / heads);
    let two_matrix = matches!(kind, "gpt" | "gptj" | "opt" | "falcon" | "nemotron");
    let learned = matches!(kind, "gpt" | "opt");
    let moe = match r.int("experts") {
        Some(experts) => {
            let dense_layers = match r.get("dense_layers") {
                s if s.starts_with("interleaved") => layers / 2,
                s => s.parse().unwrap_or(0),
            };
            Some(Moe {
                experts,
                active: r.int("experts_per_token").ok_or("shape column `experts_per_token` missing")?,
                shared: r.get("shared_experts").parse().unwrap_or(0),
                expert_ffn: r.int("moe_ffn").ok_or("shape column `moe_ffn` missing")?,
                dense_layers,
                shared_ffn: None,
                latent: None,
            })
        }
        None => None,
    };
    let mla = match r.get("mla") {
        "" => None,
        s => Some(mla(s).ok_or_else(|| format!("cannot read MLA ranks `{s}`"))?),
    };
    let spec = ModelSpec {
        id: r.get("model").to_string(),
        aliases: Vec::new(),
        name: r.get("model").to_string(),
        family: kind.to_string(),
        layers,
        hidden,
        heads,
        kv_heads,
        head_dim,
        ffn,
        ffn_kind: if two_matrix { FfnKind::Gelu } else { FfnKind::Swiglu },
        vocab,
        max_context: MAX_CONTEXT,
        tied_embeddings: learned,
        position: if learned { Position::Learned } else { Position::Rope },
        norm: if two_matrix { Norm::Layernorm } else { Norm::Rmsnorm },
        // GPT-OSS carries biases on every linear layer, experts included (`attention_bias`
        // true in its config.json; Megatron-Bridge's provider sets `add_bias_linear`), and a
        // learnable sink logit per attention head.
        bias: learned || kind == "gpt_oss",
        attention_sinks: kind == "gpt_oss",
        // Its gated activation clamps its inputs at `swiglu_limit` = 7.0 (config.json of
        // openai/gpt-oss-120b; Megatron-Bridge's provider sets `activation_func_clamp_value`).
        activation_clamp: (kind == "gpt_oss").then_some(7.0),
        moe,
        mla,
        published_params_b: None,
        published_active_params_b: None,
        src: "validation".into(),
        notes: None,
        ..ModelSpec::default()
    };
    let spec = ModelSpec { vision_params: if kind == "llama4" { LLAMA4_VISION_PARAMS } else { 0.0 }, ..spec };
    spec.check().map_err(|(k, m)| format!("shape {k}: {m}"))?;
    Ok(spec)
}

/// Parameters of Llama 4's vision tower and projector, the same in Scout and Maverick
/// (`vision_config` of meta-llama/Llama-4-Scout-17B-16E and -Maverick-17B-128E: hidden 1,408,
/// intermediate 5,632, 34 layers, 14-pixel patches of 3 channels at 336 pixels, pixel-shuffle
/// ratio 0.5, projector 4,096 wide, into the 5,120-wide text model), by Hugging Face's
/// `Llama4VisionModel` and `Llama4MultiModalProjector` modules: per layer four 1,408² attention
/// projections with biases, a 1,408 × 5,632 MLP with biases and two LayerNorms (23,807,872);
/// the patch embedding (588 × 1,408), the position table (577 × 1,408), the class embedding
/// and two LayerNorms; the pixel-shuffle adapter (5,632 × 4,096 and 4,096 × 4,096) and the
/// projector (4,096 × 5,120): 871,932,416 in all, Scout's 109B total less its 107.8B text
/// model.
const LLAMA4_VISION_PARAMS: f64 = {
    let (h, ff, layers) = (1408.0, 5632.0, 34.0);
    let block = 4.0 * (h * h + h) + (h * ff + ff) + (ff * h + h) + 4.0 * h;
    let stem = 3.0 * 14.0 * 14.0 * h + 577.0 * h + h + 4.0 * h;
    let adapter = ff * 4096.0 + 4096.0 * 4096.0;
    let projector = 4096.0 * 5120.0;
    layers * block + stem + adapter + projector
};
