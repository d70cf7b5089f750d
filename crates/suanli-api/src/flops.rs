//! `flops`: parameters and FLOPs of a model from its shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use suanli_core::Catalog;
use suanli_core::model::{Arithmetic, arithmetic};

use crate::error::{ApiResult, Reply};
use crate::input::{self, positive};
use crate::train::DEFAULT_SEQ_LEN;

/// `flops`: parameters and FLOPs of a model from its shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct FlopsRequest {
    /// Catalog id (on the command line also a Hugging Face `config.json`, a snapshot folder or
    /// a TOML file with one `[[model]]`).
    #[cfg_attr(feature = "clap", arg(long, short = 'm', required = true))]
    pub model: Option<String>,
    /// A Hugging Face `config.json`, pasted as JSON (instead of `model`).
    #[cfg_attr(feature = "clap", arg(skip))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_config: Option<Value>,
    /// Training tokens, for the training-compute figures.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true, value_parser = crate::count::parse_amount))]
    #[serde(default)]
    pub tokens: Option<f64>,
    /// Sequence length (tokens attended), for attention FLOPs (default 4096, at most the
    /// model's context).
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub seq_len: Option<f64>,
}

/// The model's arithmetic.
pub fn flops(catalog: &Catalog, a: &FlopsRequest) -> ApiResult<Arithmetic> {
    positive("tokens", a.tokens, 1e16)?;
    positive("seq_len", a.seq_len, 1e8)?;
    let spec = input::model(catalog, a.model.as_deref(), a.model_config.as_ref())?;
    let seq = a.seq_len.unwrap_or_else(|| f64::from(spec.max_context.min(DEFAULT_SEQ_LEN)));
    Ok(Reply::ok(arithmetic(&spec, seq, a.tokens)))
}
