//! `sweep`: the inference planner's best layout for every model × chip × lengths
//! combination, sharded for batch schedulers; rows are produced one at a time.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use suanli_core::Catalog;
use suanli_report::SweepRow;

use crate::error::ApiError;
use crate::infer::{InferRequest, MAX_TOKENS, SearchOptions, infer};

/// `sweep`: the best serving layout for every model × chip × lengths combination, one row
/// each; `shard: "k/n"` runs every n-th combination so a batch scheduler can spread it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    /// Models (catalog ids; on the command line also `config.json` or TOML files); repeat or
    /// separate with commas.
    #[cfg_attr(feature = "clap", arg(long, short = 'm', required = true, value_delimiter = ','))]
    #[serde(deserialize_with = "crate::lists::one_or_many")]
    #[schemars(with = "crate::lists::OneOrMany")]
    pub model: Vec<String>,
    /// Chips; repeat or separate with commas. `all` for every catalogued accelerator.
    #[cfg_attr(feature = "clap", arg(long, required = true, value_delimiter = ','))]
    #[serde(deserialize_with = "crate::lists::one_or_many")]
    #[schemars(with = "crate::lists::OneOrMany")]
    pub gpu: Vec<String>,
    /// Prompt lengths, tokens; repeat or separate with commas.
    #[cfg_attr(feature = "clap", arg(long = "input-tokens", visible_alias = "input", required = true, value_delimiter = ',', value_parser = crate::count::parse_u64))]
    #[serde(alias = "input")]
    pub input_tokens: Vec<u64>,
    /// Output lengths, tokens; repeat or separate with commas.
    #[cfg_attr(feature = "clap", arg(long = "output-tokens", visible_alias = "output", required = true, value_delimiter = ',', value_parser = crate::count::parse_u64))]
    #[serde(alias = "output")]
    pub output_tokens: Vec<u64>,
    /// Weights, activations and KV cache: bf16 (default), fp16, fp8, int8, int4, or auto.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub precision: Option<String>,
    /// Compute in bf16 (fp16) on chips lacking the precision instead of failing the row.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub fallback: bool,
    /// Search limit on time to first token, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub max_ttft: Option<f64>,
    /// Search limit on time per output token, seconds.
    #[cfg_attr(feature = "clap", arg(long, allow_negative_numbers = true))]
    #[serde(default)]
    pub max_tpot: Option<f64>,
    /// Rank by cost per token instead of throughput per GPU.
    #[cfg_attr(feature = "clap", arg(long))]
    #[serde(default)]
    pub per_dollar: bool,
    /// Run only the k-th of n interleaved shards (`k/n`, 1 ≤ k ≤ n ≤ 100000); outputs concatenate.
    #[cfg_attr(feature = "clap", arg(long, value_name = "K/N"))]
    #[serde(default)]
    pub shard: Option<String>,
}

/// A checked sweep: every id and length resolved, ready to produce its rows.
#[derive(Debug, Clone)]
pub struct Sweep {
    models: Vec<String>,
    gpus: Vec<String>,
    inputs: Vec<u64>,
    outputs: Vec<u64>,
    /// This shard, from 1.
    pub k: usize,
    /// Shards in all.
    pub n: usize,
    search: SearchOptions,
}

/// `k/n` → (k, n), 1 ≤ k ≤ n ≤ 100000.
fn shard(s: Option<&str>) -> Result<(usize, usize), ApiError> {
    let Some(s) = s else { return Ok((1, 1)) };
    let bad = || ApiError::invalid("shard", s, "k/n with 1 ≤ k ≤ n ≤ 100000, e.g. 2/8");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > n || n > 100_000 {
        return Err(bad());
    }
    Ok((k, n))
}

/// Checks every id and length before any work, so a typo fails fast.
pub fn sweep(catalog: &Catalog, a: &SweepRequest) -> Result<Sweep, ApiError> {
    let (k, n) = shard(a.shard.as_deref())?;
    let gpus: Vec<String> = if a.gpu.iter().any(|g| g == "all") {
        catalog.accelerators.iter().map(|x| x.id.clone()).collect()
    } else {
        a.gpu
            .iter()
            .map(|g| catalog.accelerator(g).map(|x| x.id.clone()).map_err(|e| ApiError::from(e).at("gpu")))
            .collect::<Result<_, _>>()?
    };
    for m in &a.model {
        catalog.model(m).map_err(|e| ApiError::from(e).at("model"))?;
    }
    for (key, v) in [
        ("model", a.model.len()),
        ("gpu", gpus.len()),
        ("input_tokens", a.input_tokens.len()),
        ("output_tokens", a.output_tokens.len()),
    ] {
        if v == 0 {
            return Err(ApiError::field(key, "at least one value"));
        }
    }
    for (key, v) in [("input_tokens", &a.input_tokens), ("output_tokens", &a.output_tokens)] {
        if let Some(x) = v.iter().find(|&&x| !(1..=MAX_TOKENS).contains(&x)) {
            return Err(ApiError::invalid(key, x, format!("positive integers up to {MAX_TOKENS}")));
        }
    }
    let search = SearchOptions {
        precision: a.precision.clone(),
        fallback: a.fallback,
        max_ttft: a.max_ttft,
        max_tpot: a.max_tpot,
        per_dollar: a.per_dollar,
    };
    search.precisions()?;
    Ok(Sweep {
        models: a.model.clone(),
        gpus,
        inputs: a.input_tokens.clone(),
        outputs: a.output_tokens.clone(),
        k,
        n,
        search,
    })
}

impl Sweep {
    /// Combinations in the whole sweep (all shards), saturating.
    #[must_use]
    pub fn combinations(&self) -> usize {
        [self.models.len(), self.gpus.len(), self.inputs.len(), self.outputs.len()]
            .iter()
            .fold(1usize, |acc, &x| acc.saturating_mul(x))
    }

    /// Combinations in this shard.
    #[must_use]
    pub fn shard_len(&self) -> usize {
        let all = self.combinations();
        all / self.n + usize::from(all % self.n >= self.k)
    }

    /// This shard's rows, computed as they are taken.
    pub fn rows<'a>(&'a self, catalog: &'a Catalog) -> impl Iterator<Item = SweepRow> + 'a {
        let (ni, no, ng) = (self.inputs.len(), self.outputs.len(), self.gpus.len());
        (self.k - 1..self.combinations()).step_by(self.n).map(move |index| {
            let o = self.outputs[index % no];
            let i = self.inputs[(index / no) % ni];
            let g = &self.gpus[(index / (no * ni)) % ng];
            let m = &self.models[index / (no * ni * ng)];
            let req = InferRequest {
                model: Some(m.clone()),
                gpu: g.clone(),
                input_tokens: i,
                output_tokens: o,
                precision: self.search.precision.clone(),
                fallback: self.search.fallback,
                max_ttft: self.search.max_ttft,
                max_tpot: self.search.max_tpot,
                per_dollar: self.search.per_dollar,
                ..InferRequest::default()
            };
            row(catalog, &req, index)
        })
    }
}

/// One combination: the planner's answer, or why it has none (a row, not an error: a sweep
/// is expected to contain models too large for some chips).
fn row(catalog: &Catalog, a: &InferRequest, index: usize) -> SweepRow {
    let mut r = SweepRow {
        index,
        model: a.model.clone().unwrap_or_default(),
        gpu: a.gpu.clone(),
        input: u32::try_from(a.input_tokens).unwrap_or(u32::MAX),
        output: u32::try_from(a.output_tokens).unwrap_or(u32::MAX),
        status: String::new(),
        layout: None,
        gpus: None,
        batch: None,
        ttft_s: None,
        tpot_s: None,
        output_tokens_per_s_per_gpu: None,
        cost_usd_per_million_output_tokens: None,
    };
    match infer(catalog, a) {
        Ok(reply) if reply.infeasible.is_none() => {
            let doc = reply.answer;
            let h = &doc.header;
            let l = h.layout.unwrap_or_default();
            r.model.clone_from(&h.model.id);
            r.status = "ok".into();
            if let Some(p) = h.precision {
                r.layout = Some(format!(
                    "tp{}×pp{} ep{} {}/{}/{}",
                    l.tp, l.pp, l.ep, p.weights, p.activations, p.kv
                ));
            }
            r.gpus = Some(l.tp * l.pp * l.dp.max(1));
            r.batch = Some(doc.batch);
            r.ttft_s = Some(doc.ttft_s.mean);
            r.tpot_s = Some(doc.tpot_s.mean);
            r.output_tokens_per_s_per_gpu = Some(doc.output_tokens_per_s_per_gpu);
            r.cost_usd_per_million_output_tokens = doc.cost_usd_per_million_output_tokens;
        }
        Ok(reply) => r.status = reply.infeasible.unwrap_or_default(),
        Err(e) => r.status = e.message(),
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_combinations_in_order() {
        let c = Catalog::builtin().expect("catalog");
        let base = SweepRequest {
            model: vec!["llama3.1-8b".into()],
            gpu: vec!["h100-sxm".into(), "a100-sxm-80gb".into()],
            input_tokens: vec![128, 512, 1024],
            output_tokens: vec![64, 128],
            ..SweepRequest::default()
        };
        let whole = sweep(&c, &base).expect("sweep");
        assert_eq!(whole.combinations(), 12);
        let all: Vec<usize> = whole.rows(&c).map(|r| r.index).collect();
        assert_eq!(all, (0..12).collect::<Vec<_>>());
        let mut joined = Vec::new();
        for k in 1..=5 {
            let s =
                sweep(&c, &SweepRequest { shard: Some(format!("{k}/5")), ..base.clone() }).expect("shard");
            assert_eq!(s.shard_len(), s.rows(&c).count());
            joined.extend(s.rows(&c).map(|r| (r.index, r.gpu, r.input, r.output)));
        }
        joined.sort();
        let expected: Vec<_> = whole.rows(&c).map(|r| (r.index, r.gpu, r.input, r.output)).collect();
        assert_eq!(joined, expected);
    }
}
