//! Command-line arguments. Doc comments are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// suanli (算力): how much compute a large language model needs — to pre-train, fine-tune and
/// serve — how many servers that takes, for how long, and what it costs.
///
/// With no subcommand, runs `suanli plan`: the seed's ChatGPT analysis, reproduced and checked.
#[derive(Debug, Parser)]
#[command(name = "suanli", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// Extra catalog files (TOML, same format as the built-in catalog) whose entries add to or
    /// replace the built-in ones.
    #[arg(long = "catalog", global = true, value_name = "FILE.toml")]
    pub(crate) catalogs: Vec<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub(crate) enum FormatArg {
    /// Aligned text tables.
    #[default]
    Table,
    /// JSON (the documented, stable contract).
    Json,
    /// Markdown.
    Markdown,
}

/// Where the output goes.
#[derive(Debug, Args)]
pub(crate) struct Output {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub(crate) format: FormatArg,
    /// Write to this file instead of stdout (written whole or not at all).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a scenario and print its report (default: the built-in ChatGPT 2023 scenario).
    Plan {
        /// Scenario file (TOML). Without one, the embedded `examples/chatgpt-2023.toml`.
        file: Option<PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// List or show catalog entries with their sources.
    Catalog {
        #[command(subcommand)]
        what: CatalogCommand,
    },
    /// Parameters and FLOPs of a model from its shape.
    Flops {
        /// Catalog id, or a Hugging Face `config.json`, or a TOML file with one `[[model]]`.
        #[arg(long, short = 'm')]
        model: String,
        /// Training tokens, for the training-compute figures.
        #[arg(long, allow_negative_numbers = true)]
        tokens: Option<f64>,
        /// Sequence length (tokens attended), for attention FLOPs. Default: the model's context.
        #[arg(long, allow_negative_numbers = true)]
        seq_len: Option<f64>,
        #[command(flatten)]
        out: Output,
    },
    /// Plan a training run: memory, step time and throughput of a parallel layout; flags left
    /// out are searched for the fastest layout that fits (or, with `--days`, the fewest servers).
    Train(Box<TrainArgs>),
    /// Compare predictions with the published measurements in `validation/`.
    Validate {
        /// Which set: all, gpt3-compute, published-params, training, inference.
        #[arg(default_value = "all")]
        set: String,
        /// Print every row, not only the summary.
        #[arg(long)]
        rows: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Print the JSON Schema of the scenario format.
    Schema {
        /// Write to this file instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `suanli train …`
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// Catalog id, a Hugging Face `config.json`, or a TOML file with one `[[model]]`.
    #[arg(long, short = 'm')]
    pub(crate) model: String,
    /// Accelerator id.
    #[arg(long)]
    pub(crate) gpu: String,
    /// Server id for the network (default: the catalog's server holding that GPU).
    #[arg(long)]
    pub(crate) server: Option<String>,
    /// GPUs. Without it, `--days` searches for the fewest servers.
    #[arg(long)]
    pub(crate) gpus: Option<u64>,
    /// Tensor-parallel degree.
    #[arg(long)]
    pub(crate) tp: Option<u32>,
    /// Pipeline stages.
    #[arg(long)]
    pub(crate) pp: Option<u32>,
    /// Data-parallel replicas.
    #[arg(long)]
    pub(crate) dp: Option<u32>,
    /// Expert-parallel degree (MoE).
    #[arg(long)]
    pub(crate) ep: Option<u32>,
    /// Context-parallel degree.
    #[arg(long)]
    pub(crate) cp: Option<u32>,
    /// Virtual pipeline stages per GPU (interleaved 1F1B).
    #[arg(long)]
    pub(crate) vp: Option<u32>,
    /// Sequences per micro-batch.
    #[arg(long)]
    pub(crate) micro_batch: Option<u32>,
    /// Sequences per optimizer step.
    #[arg(long, default_value_t = 1024)]
    pub(crate) global_batch: u32,
    /// Tokens per sequence (default: the model's context, at most 4096).
    #[arg(long)]
    pub(crate) seq_len: Option<u32>,
    /// Activation recomputation.
    #[arg(long, value_parser = ["none", "selective", "full"])]
    pub(crate) recompute: Option<String>,
    /// ZeRO stage (0–3).
    #[arg(long)]
    pub(crate) zero: Option<u8>,
    /// Matmul precision.
    #[arg(long, default_value = "bf16", value_parser = ["bf16", "fp16", "fp8"])]
    pub(crate) precision: String,
    /// Training tokens, for time, GPU-hours, energy and cost.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) tokens: Option<f64>,
    /// Deadline in days: find the fewest servers that train `--tokens` in time.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) days: Option<f64>,
    /// Software stack: modern (Transformer Engine, FlashAttention, overlap), fused-attention,
    /// legacy (Megatron-LM 2021).
    #[arg(long, default_value = "modern", value_parser = ["modern", "fused-attention", "legacy"])]
    pub(crate) stack: String,
    /// Average power as a fraction of TDP.
    #[arg(long, default_value_t = 0.8)]
    pub(crate) power_utilisation: f64,
    /// Power usage effectiveness of the data centre.
    #[arg(long, default_value_t = 1.2)]
    pub(crate) pue: f64,
    /// Rows of the Pareto front to print.
    #[arg(long, default_value_t = 8)]
    pub(crate) top: usize,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) out: Output,
}

/// `suanli catalog …`
#[derive(Debug, Subcommand)]
pub(crate) enum CatalogCommand {
    /// Accelerators: peaks (dense and sparse apart), memory, links, power, price.
    Accelerators {
        #[command(flatten)]
        out: Output,
    },
    /// Servers: role, accelerators, CPUs, network, power, price.
    Servers {
        #[command(flatten)]
        out: Output,
    },
    /// Models: shapes and parameter counts.
    Models {
        #[command(flatten)]
        out: Output,
    },
    /// One entry, every figure with its source.
    Show {
        /// Accelerator, server or model id (or alias).
        id: String,
        #[command(flatten)]
        out: Output,
    },
}
