//! A list field that also takes a single value (`"gpu": "h100-sxm"` or `["h100-sxm", …]`).

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// One id, or a list of them.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum OneOrMany {
    /// A single id.
    One(String),
    /// Several ids.
    Many(Vec<String>),
}

/// Deserializes [`OneOrMany`] into a list.
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}
