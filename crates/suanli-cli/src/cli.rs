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
    /// Compare predictions with the published measurements in `validation/`.
    Validate {
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
