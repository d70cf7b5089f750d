//! A model's arithmetic at a glance: parameters by part, FLOPs per token, training compute.

use serde::Serialize;

use super::flops::{attention_flops_per_token, forward_flops_per_token, training_flops, training_flops_6nd};
use super::params::ParamCount;
use super::spec::ModelSpec;
use crate::units::flop_to_pf_days;

/// Training compute for a token budget.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingCompute {
    /// Training tokens.
    pub tokens: f64,
    /// `6·N·D` with `N` the active parameters (all of them for a dense model), FLOP.
    pub flop_6nd: f64,
    /// `6·N·D`, PF/s-days.
    pub pf_days_6nd: f64,
    /// `6·N·D` with every parameter counted, FLOP: the figure a total-parameter count gives,
    /// shown beside the active one (equal for a dense model, too high for a mixture of experts).
    pub flop_6nd_total: f64,
    /// From the shape with attention at `seq_len`, FLOP.
    pub flop_with_attention: f64,
    /// The same, PF/s-days.
    pub pf_days_with_attention: f64,
}

/// The numbers `suanli flops` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Arithmetic {
    /// Model id.
    pub model: String,
    /// Model name.
    pub name: String,
    /// Attention variant.
    pub attention: String,
    /// Parameters by part.
    pub params: ParamCount,
    /// Parameters outside embedding tables.
    pub non_embedding_params: f64,
    /// Tokens attended for the attention figures.
    pub seq_len: f64,
    /// Forward FLOP per token without attention (`2·N_matmul`).
    pub forward_flop_per_token_no_attention: f64,
    /// Attention FLOP per token at `seq_len`.
    pub attention_flop_per_token: f64,
    /// Forward FLOP per token with attention.
    pub forward_flop_per_token: f64,
    /// Training compute, when a token budget is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingCompute>,
}

/// Computes [`Arithmetic`] for a model, a sequence length and an optional token budget.
#[must_use]
pub fn arithmetic(spec: &ModelSpec, seq_len: f64, tokens: Option<f64>) -> Arithmetic {
    let params = spec.params();
    Arithmetic {
        model: spec.id.clone(),
        name: spec.name.clone(),
        attention: format!("{:?}", spec.attention()),
        non_embedding_params: params.non_embedding(),
        params,
        seq_len,
        forward_flop_per_token_no_attention: forward_flops_per_token(spec, 0.0),
        attention_flop_per_token: attention_flops_per_token(spec, seq_len),
        forward_flop_per_token: forward_flops_per_token(spec, seq_len),
        training: tokens.map(|d| {
            let six = training_flops_6nd(params.six_nd(), d);
            let full = training_flops(spec, d, seq_len);
            TrainingCompute {
                tokens: d,
                flop_6nd: six,
                pf_days_6nd: flop_to_pf_days(six),
                flop_6nd_total: training_flops_6nd(params.total, d),
                flop_with_attention: full,
                pf_days_with_attention: flop_to_pf_days(full),
            }
        }),
    }
}
