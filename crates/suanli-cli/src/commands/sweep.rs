//! `suanli sweep`: the inference planner's best layout for every model × chip × lengths
//! combination, sharded for batch schedulers.

use clap::{Args, FromArgMatches};
use suanli_core::{Catalog, Error};
use suanli_report::{SweepRow, render_sweep};

use crate::cli::{InferArgs, SweepArgs};
use crate::io::{self, CliError};

/// `k/n` → (k, n), 1 ≤ k ≤ n ≤ 100000.
fn shard(s: Option<&str>) -> Result<(usize, usize), CliError> {
    let Some(s) = s else { return Ok((1, 1)) };
    let bad = || {
        CliError::from(Error::invalid("command line", "--shard", s, "k/n with 1 ≤ k ≤ n ≤ 100000, e.g. 2/8"))
    };
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (usize, usize) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if k == 0 || k > n || n > 100_000 {
        return Err(bad());
    }
    Ok((k, n))
}

/// An `infer` argument set with its defaults and the sweep's search flags.
fn template(a: &SweepArgs) -> Result<InferArgs, CliError> {
    let argv = ["infer", "--model=x", "--gpu=x", "--input=1", "--output=1"];
    let cmd = InferArgs::augment_args(clap::Command::new("infer"));
    let m = cmd.try_get_matches_from(argv).map_err(|e| CliError::Input(e.to_string()))?;
    let defaults = InferArgs::from_arg_matches(&m).map_err(|e| CliError::Input(e.to_string()))?;
    Ok(InferArgs { search: a.search.clone(), ..defaults })
}

pub(crate) fn run(catalog: &Catalog, a: &SweepArgs) -> Result<(), CliError> {
    let (k, n) = shard(a.shard.as_deref())?;
    // Every id and length is checked before any work, so a typo fails fast with exit 2.
    let gpus: Vec<String> = if a.gpu.iter().any(|g| g == "all") {
        catalog.accelerators.iter().map(|x| x.id.clone()).collect()
    } else {
        a.gpu.iter().map(|g| catalog.accelerator(g).map(|x| x.id.clone())).collect::<Result<_, _>>()?
    };
    let mut models = Vec::new();
    for m in &a.model {
        io::model(catalog, m)?;
        models.push(m.clone());
    }
    let lengths = |key: &str, v: &[i64]| -> Result<Vec<u32>, CliError> {
        v.iter()
            .map(|&x| {
                u32::try_from(x).ok().filter(|&x| (1..=10_000_000).contains(&x)).ok_or_else(|| {
                    Error::invalid("command line", key, x, "positive integers up to 10000000").into()
                })
            })
            .collect()
    };
    let (inputs, outputs) = (lengths("--input", &a.input)?, lengths("--output", &a.output)?);
    crate::commands::infer::check_search(&a.search)?;
    let base = template(a)?;

    let mut rows = Vec::new();
    let mut index = 0usize;
    for m in &models {
        for g in &gpus {
            for &i in &inputs {
                for &o in &outputs {
                    let this = index;
                    index += 1;
                    if this % n != k - 1 {
                        continue;
                    }
                    let args = InferArgs {
                        model: m.clone(),
                        gpu: g.clone(),
                        input: i64::from(i),
                        output: i64::from(o),
                        ..base.clone()
                    };
                    rows.push(row(catalog, &args, this, i, o));
                }
            }
        }
    }
    io::emit(&render_sweep(&rows, super::format(a.out.format)?, k == 1)?, a.out.out_file.as_deref())
}

/// One combination: the planner's answer, or why it has none (a row, not an error: a sweep
/// is expected to contain models too large for some chips).
fn row(catalog: &Catalog, a: &InferArgs, index: usize, input: u32, output: u32) -> SweepRow {
    let mut r = SweepRow {
        index,
        model: a.model.clone(),
        gpu: a.gpu.clone(),
        input,
        output,
        status: String::new(),
        layout: None,
        gpus: None,
        batch: None,
        ttft_s: None,
        tpot_s: None,
        output_tokens_per_s_per_gpu: None,
        cost_usd_per_million_output_tokens: None,
    };
    match crate::commands::infer::plan(catalog, a) {
        Ok((doc, None)) => {
            let c = &doc.config;
            r.model = c.model.clone();
            r.status = "ok".into();
            r.layout =
                Some(format!("tp{}×pp{} ep{} {}/{}/{}", c.tp, c.pp, c.ep, c.weights, c.activations, c.kv));
            r.gpus = Some(c.tp * c.pp);
            r.batch = Some(doc.batch);
            r.ttft_s = Some(doc.ttft_s);
            r.tpot_s = Some(doc.tpot_s);
            r.output_tokens_per_s_per_gpu = Some(doc.output_tokens_per_s_per_gpu);
            r.cost_usd_per_million_output_tokens = doc.cost_usd_per_million_output_tokens;
        }
        Ok((_, Some(why))) => r.status = why,
        Err(CliError::Input(why) | CliError::Infeasible(why) | CliError::Output(why)) => r.status = why,
    }
    r
}
