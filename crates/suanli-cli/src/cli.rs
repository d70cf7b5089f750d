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
    /// CSV (every table).
    Csv,
    /// One self-contained HTML page with charts (`plan` only).
    Html,
}

/// Where the output goes.
#[derive(Debug, Args)]
pub(crate) struct Output {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub(crate) format: FormatArg,
    /// Write to this file instead of stdout (written whole or not at all).
    #[arg(long, short = 'o', visible_alias = "out-file", value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a scenario and print its report (default: the built-in ChatGPT 2023 scenario).
    #[command(
        after_help = "Examples:\n  suanli plan\n  suanli plan examples/chatgpt-2023.toml -f html -o report.html\n  suanli plan my-scenario.json -f csv"
    )]
    Plan {
        /// Scenario file (TOML or JSON). Without one, the embedded `examples/chatgpt-2023.toml`.
        file: Option<PathBuf>,
        /// Also write each chart as an SVG file into this folder.
        #[arg(long, value_name = "DIR")]
        charts: Option<PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// List or show catalog entries with their sources.
    #[command(
        after_help = "Examples:\n  suanli catalog accelerators\n  suanli catalog show h100-sxm -f json"
    )]
    Catalog {
        #[command(subcommand)]
        what: CatalogCommand,
    },
    /// Parameters and FLOPs of a model from its shape.
    #[command(
        after_help = "Examples:\n  suanli flops -m llama3.1-70b --tokens 15T\n  suanli flops -m ./Qwen3-8B/ --seq-len 8192"
    )]
    Flops(Box<FlopsArgs>),
    /// Plan a training run: memory, step time and throughput of a parallel layout; flags left
    /// out are searched for the fastest layout that fits (or, with `--days`, the fewest servers).
    #[command(
        after_help = "Examples:\n  suanli train -m llama3.1-70b --gpu h100-sxm --gpus 1024 --tokens 15T\n  suanli train -m gpt3-175b --gpu a100-sxm-80gb --days 30 --tokens 300B\n  suanli train -m llama2-7b --gpu h100-sxm --gpus 64 --tp 2 --pp 2 --micro-batch 1"
    )]
    Train(Box<TrainArgs>),
    /// Plan serving: memory, KV cache, throughput and latency of a replica; without `--tp`, the
    /// best TP / PP / EP (and precision with `--precision auto`) under `--max-ttft`/`--max-tpot`.
    #[command(
        after_help = "Examples:\n  suanli infer -m llama3.1-70b --gpu h100-sxm --input-tokens 1000 --output-tokens 200\n  suanli infer -m mixtral-8x7b --gpu h100-sxm --input-tokens 2k --output-tokens 500 --precision auto --max-tpot 0.03\n  suanli infer -m ./config.json --gpu a100-sxm-80gb --tp 4 --input-tokens 512 --output-tokens 128 --concurrency 64 -f json"
    )]
    Infer(Box<InferArgs>),
    /// Plan fine-tuning: full SFT, LoRA, QLoRA, or an RLHF iteration (PPO, GRPO).
    #[command(
        after_help = "Examples:\n  suanli finetune -m llama3.1-8b --gpu h100-sxm --method lora --examples 100k\n  suanli finetune -m llama3.1-70b --gpu a100-sxm-80gb --method qlora --rank 64 --targets all\n  suanli finetune -m llama3.1-8b --gpu h100-sxm --gpus 8 --method grpo --prompts 512"
    )]
    Finetune(Box<FinetuneArgs>),
    /// Size the cheapest fleet that meets p99 latency targets in the peak hour.
    #[command(
        after_help = "Examples:\n  suanli serve -m llama3.1-70b --rate 20 --input-tokens 1000 --output-tokens 300 --ttft-p99 2 --tpot-p99 0.05\n  suanli serve -m llama3.1-8b --gpu h100-sxm --gpu l40s --daily-requests 10M --lengths sharegpt --ttft-p99 1 --tpot-p99 0.05 --simulate"
    )]
    Serve(Box<ServeArgs>),
    /// Simulate a fixed fleet: arrivals, continuous batching, latency percentiles.
    #[command(
        after_help = "Examples:\n  suanli simulate -m llama3.1-8b --gpu h100-sxm --replicas 4 --rate 30 --lengths sharegpt\n  suanli simulate -m llama3.1-70b --gpu h100-sxm --tp 4 --replicas 2 --trace requests.csv -f html -o sim.html"
    )]
    Simulate(Box<SimulateArgs>),
    /// The best serving layout for every model × chip × lengths combination, one row each;
    /// `--shard k/n` runs every n-th combination so a batch scheduler can spread the sweep.
    #[command(
        after_help = "Examples:\n  suanli sweep -m llama3.1-8b,llama3.1-70b --gpu all --input-tokens 500,2000 --output-tokens 200 -f csv\n  suanli sweep -m llama3.1-70b --gpu h100-sxm,a100-sxm-80gb --input-tokens 1k --output-tokens 1k --shard 2/8 -f json"
    )]
    Sweep(Box<SweepArgs>),
    /// Inspect a measured calibration file (`scripts/measure-gpu.py` writes one).
    #[command(after_help = "Examples:\n  suanli calibration show h100.calibration.json")]
    Calibration {
        #[command(subcommand)]
        what: CalibrationCommand,
    },
    /// Compare predictions with the published measurements in `validation/`.
    #[command(after_help = "Examples:\n  suanli validate\n  suanli validate training -f csv")]
    Validate {
        /// Which set: all, gpt3-compute, published-params, training, inference, or published (the
        /// published measurements under validation/published/, per file, family and scenario), or
        /// bands (the error bands every answer carries, as `validation/bands.csv`).
        #[arg(default_value = "all")]
        set: String,
        /// Print every row, not only the summary.
        #[arg(long)]
        rows: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Check a file of stated claims: each that does not follow from the stated values is
    /// flagged with the value they imply.
    #[command(after_help = "Examples:\n  suanli audit examples/seed-market-claims.toml")]
    Audit {
        /// Claims file (TOML): `[[value]]`s and `[[claim]]`s (growth, cagr, share, sum, ratio, product).
        file: PathBuf,
        #[command(flatten)]
        out: Output,
    },
    /// Serve the planners as a JSON API and a dashboard page (default http://127.0.0.1:8080).
    #[cfg(feature = "web")]
    #[command(
        after_help = "Examples:\n  suanli web\n  suanli web --addr 0.0.0.0:8080 --allow-host planner.internal"
    )]
    Web(crate::web::WebArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell).
    #[command(
        after_help = "Examples:\n  suanli completions bash > /etc/bash_completion.d/suanli\n  suanli completions zsh > \"${fpath[1]}/_suanli\"\n  suanli completions fish > ~/.config/fish/completions/suanli.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per subcommand into a folder.
    #[command(after_help = "Examples:\n  suanli man | man -l -\n  suanli man --dir target/man")]
    Man {
        /// Write `suanli.1` and `suanli-<command>.1` here instead of printing `suanli.1`.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print a JSON Schema: the scenario format (default) or a planner's answer (flops, infer,
    /// train, finetune, serve, simulate).
    Schema {
        /// `scenario`, or an answer kind.
        #[arg(default_value = "scenario")]
        what: String,
        /// Write to this file instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `suanli train …`
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::TrainRequest,
    /// Hide the progress bar.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
    #[command(flatten)]
    pub(crate) calibration: CalibrationArg,
    #[command(flatten)]
    pub(crate) out: Output,
}

/// `suanli flops …`
#[derive(Debug, Args)]
pub(crate) struct FlopsArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::FlopsRequest,
    #[command(flatten)]
    pub(crate) out: Output,
}

/// `suanli infer …`
#[derive(Debug, Args)]
pub(crate) struct InferArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::InferRequest,
    #[command(flatten)]
    pub(crate) calibration: CalibrationArg,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// `suanli sweep …`
#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::SweepRequest,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// `suanli finetune …`
#[derive(Debug, Args)]
pub(crate) struct FinetuneArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::FinetuneRequest,
    #[command(flatten)]
    pub(crate) calibration: CalibrationArg,
    #[command(flatten)]
    pub(crate) out: Output,
}

/// `suanli serve …`
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::ServeRequest,
    #[command(flatten)]
    pub(crate) calibration: CalibrationArg,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// `suanli simulate …`
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    #[command(flatten)]
    pub(crate) req: suanli_api::SimulateRequest,
    /// A trace (CSV or JSONL: arrival_s, input_tokens, output_tokens) instead of generated traffic.
    #[arg(long, conflicts_with = "rate", value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) calibration: CalibrationArg,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// `--calibration FILE`: a measured calibration for one chip.
#[derive(Debug, Args, Default)]
pub(crate) struct CalibrationArg {
    /// A calibration file written by `scripts/measure-gpu.py`: its measured GEMM, HBM,
    /// attention and collective curves replace the fitted efficiencies for the chip it measured.
    #[arg(long, value_name = "FILE")]
    pub(crate) calibration: Option<PathBuf>,
}

/// `suanli calibration …`
#[derive(Debug, Subcommand)]
pub(crate) enum CalibrationCommand {
    /// Summarise a calibration file: device, versions, what was skipped, each curve as a
    /// fraction of the catalog's peaks.
    #[command(after_help = "Examples:\n  suanli calibration show h100.calibration.json")]
    Show {
        /// The file (JSON, `format` = "suanli-calibration").
        file: PathBuf,
        /// Write to this file instead of stdout (written whole or not at all).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Format and output file for commands whose `--output` means tokens.
#[derive(Debug, Args)]
pub(crate) struct FormatOnly {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub(crate) format: FormatArg,
    /// Write to this file instead of stdout (written whole or not at all).
    #[arg(long = "out-file", short = 'o', value_name = "FILE")]
    pub(crate) out_file: Option<PathBuf>,
    /// No progress on stderr (it is shown only when stderr is a terminal and the work takes
    /// over a second).
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
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
