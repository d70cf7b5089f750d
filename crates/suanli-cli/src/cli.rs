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
        /// Also write each chart as an SVG file into this folder.
        #[arg(long, value_name = "DIR")]
        charts: Option<PathBuf>,
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
    /// Plan serving: memory, KV cache, throughput and latency of a replica; without `--tp`, the
    /// best TP / PP / EP (and precision with `--precision auto`) under `--max-ttft`/`--max-tpot`.
    Infer(Box<InferArgs>),
    /// Plan fine-tuning: full SFT, LoRA, QLoRA, or an RLHF iteration (PPO, GRPO).
    Finetune(Box<FinetuneArgs>),
    /// Size the cheapest fleet that meets p99 latency targets in the peak hour.
    Serve(Box<ServeArgs>),
    /// Simulate a fixed fleet: arrivals, continuous batching, latency percentiles.
    Simulate(Box<SimulateArgs>),
    /// The best serving layout for every model × chip × lengths combination, one row each;
    /// `--shard k/n` runs every n-th combination so a batch scheduler can spread the sweep.
    Sweep(Box<SweepArgs>),
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
    /// Check a file of stated claims: each that does not follow from the stated values is
    /// flagged with the value they imply.
    Audit {
        /// Claims file (TOML): `[[value]]`s and `[[claim]]`s (growth, cagr, share, sum, ratio, product).
        file: PathBuf,
        #[command(flatten)]
        out: Output,
    },
    /// Serve the planners as a JSON API and a dashboard page (default http://127.0.0.1:8080).
    #[cfg(feature = "web")]
    Web(crate::web::WebArgs),
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

/// Precision and limits of the inference planner's layout search (`infer`, `sweep`).
#[derive(Debug, Clone, Args)]
pub(crate) struct LayoutSearch {
    /// Weights, activations and KV cache: bf16, fp16, fp8, int8, int4 (weight-only), or auto
    /// (search every precision the chip computes in).
    #[arg(long, default_value = "bf16")]
    pub(crate) precision: String,
    /// When the chip lacks the activation precision, compute in bf16 (fp16 without bf16) and
    /// keep the stored precisions, instead of failing.
    #[arg(long)]
    pub(crate) fallback: bool,
    /// Search limit on time to first token, seconds.
    #[arg(long)]
    pub(crate) max_ttft: Option<f64>,
    /// Search limit on time per output token, seconds.
    #[arg(long)]
    pub(crate) max_tpot: Option<f64>,
    /// Rank the search by cost per token instead of throughput per GPU.
    #[arg(long)]
    pub(crate) per_dollar: bool,
}

/// `suanli infer …`
#[derive(Debug, Clone, Args)]
pub(crate) struct InferArgs {
    /// Catalog id, a Hugging Face `config.json`, or a TOML file with one `[[model]]`.
    #[arg(long, short = 'm')]
    pub(crate) model: String,
    /// Accelerator id.
    #[arg(long)]
    pub(crate) gpu: String,
    /// Server id for the scale-up fabric (default: the catalog's server holding that GPU).
    #[arg(long)]
    pub(crate) server: Option<String>,
    /// Tensor-parallel degree. Without it, TP (and PP, EP when not given) are searched.
    #[arg(long)]
    pub(crate) tp: Option<u32>,
    /// Pipeline stages (default 1 when --tp is given).
    #[arg(long)]
    pub(crate) pp: Option<u32>,
    /// Expert-parallel degree for MoE models, dividing tp (default 1 when --tp is given).
    #[arg(long)]
    pub(crate) ep: Option<u32>,
    /// Prompt tokens per request.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) input: i64,
    /// Output tokens per request.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) output: i64,
    /// A static batch of this many requests (prefill all, then decode).
    #[arg(long, conflicts_with = "concurrency", allow_negative_numbers = true)]
    pub(crate) batch: Option<i64>,
    /// This many concurrent requests, continuously batched. Neither flag: maximum load.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) concurrency: Option<i64>,
    /// Weight precision, overriding --precision.
    #[arg(long)]
    pub(crate) weights: Option<String>,
    /// KV-cache precision, overriding --precision.
    #[arg(long)]
    pub(crate) kv: Option<String>,
    /// Engine cap on sequences per step.
    #[arg(long, default_value_t = 2048)]
    pub(crate) max_batch: u32,
    /// Engine budget of tokens per step.
    #[arg(long, default_value_t = 8192)]
    pub(crate) max_tokens: u32,
    #[command(flatten)]
    pub(crate) search: LayoutSearch,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub(crate) format: FormatArg,
    /// Write to this file instead of stdout (`--output` is the output token count here).
    #[arg(long = "out-file", value_name = "FILE")]
    pub(crate) out_file: Option<PathBuf>,
}

/// `suanli sweep …`
#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// Models (catalog ids, `config.json` or TOML files); repeat or separate with commas.
    #[arg(long, short = 'm', required = true, value_delimiter = ',')]
    pub(crate) model: Vec<String>,
    /// Chips; repeat or separate with commas. `all` for every catalogued accelerator.
    #[arg(long, required = true, value_delimiter = ',')]
    pub(crate) gpu: Vec<String>,
    /// Prompt lengths, tokens; repeat or separate with commas.
    #[arg(long, required = true, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) input: Vec<i64>,
    /// Output lengths, tokens; repeat or separate with commas.
    #[arg(long, required = true, value_delimiter = ',', allow_negative_numbers = true)]
    pub(crate) output: Vec<i64>,
    #[command(flatten)]
    pub(crate) search: LayoutSearch,
    /// Run only the k-th of n interleaved shards (`k/n`, 1 ≤ k ≤ n); outputs concatenate.
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// `suanli finetune …`
#[derive(Debug, Args)]
pub(crate) struct FinetuneArgs {
    /// Catalog id, a Hugging Face `config.json`, or a TOML file with one `[[model]]`.
    #[arg(long, short = 'm')]
    pub(crate) model: String,
    /// Accelerator id.
    #[arg(long)]
    pub(crate) gpu: String,
    /// GPUs.
    #[arg(long, default_value_t = 1)]
    pub(crate) gpus: u32,
    /// sft (full fine-tuning), lora, qlora, ppo or grpo.
    #[arg(long, value_parser = ["sft", "lora", "qlora", "ppo", "grpo"])]
    pub(crate) method: String,
    /// LoRA rank.
    #[arg(long, default_value_t = 16, allow_negative_numbers = true)]
    pub(crate) rank: i64,
    /// LoRA targets: attention, mlp, all, or a list of q,k,v,o,gate,up,down.
    #[arg(long, default_value = "attention")]
    pub(crate) targets: String,
    /// Training examples (SFT, LoRA).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) examples: u64,
    /// Mean example length, tokens.
    #[arg(long, default_value_t = 512)]
    pub(crate) mean_len: u32,
    /// Epochs over the examples.
    #[arg(long, default_value_t = 3)]
    pub(crate) epochs: u32,
    /// Pad every example to --seq-len instead of packing them.
    #[arg(long)]
    pub(crate) padded: bool,
    /// Sequence length of a training row.
    #[arg(long, default_value_t = 2048)]
    pub(crate) seq_len: u32,
    /// Sequences per optimizer step.
    #[arg(long, default_value_t = 64)]
    pub(crate) global_batch: u32,
    /// Sequences per GPU per micro-step (LoRA/QLoRA).
    #[arg(long, default_value_t = 1)]
    pub(crate) micro_batch: u32,
    /// Turn off gradient checkpointing (LoRA/QLoRA keep it on by default).
    #[arg(long)]
    pub(crate) no_checkpointing: bool,
    /// Prompts per RLHF iteration.
    #[arg(long, default_value_t = 512)]
    pub(crate) prompts: u32,
    /// Prompt tokens (RLHF).
    #[arg(long, default_value_t = 512)]
    pub(crate) prompt_len: u32,
    /// Response tokens (RLHF).
    #[arg(long, default_value_t = 512)]
    pub(crate) response_len: u32,
    /// Responses per prompt (GRPO, at least 2).
    #[arg(long, default_value_t = 8, allow_negative_numbers = true)]
    pub(crate) group_size: i64,
    /// Training passes per RLHF iteration.
    #[arg(long, default_value_t = 2)]
    pub(crate) ppo_epochs: u32,
    /// RLHF iterations.
    #[arg(long, default_value_t = 1)]
    pub(crate) iterations: u32,
    /// RLHF placement: colocated or separated.
    #[arg(long, default_value = "colocated", value_parser = ["colocated", "separated"])]
    pub(crate) placement: String,
    #[command(flatten)]
    pub(crate) out: Output,
}

/// Request lengths and arrival shape, shared by `serve` and `simulate`.
#[derive(Debug, Args)]
pub(crate) struct TrafficArgs {
    /// Prompt tokens per request (with --output).
    #[arg(long, allow_negative_numbers = true, requires = "output")]
    pub(crate) input: Option<i64>,
    /// Output tokens per request (with --input).
    #[arg(long, allow_negative_numbers = true, requires = "input")]
    pub(crate) output: Option<i64>,
    /// Length distribution instead: `sharegpt` (built in) or a trace file (CSV/JSONL) to draw
    /// (prompt, output) pairs from.
    #[arg(long, conflicts_with_all = ["input", "output"])]
    pub(crate) lengths: Option<String>,
    /// Coefficient of variation of inter-arrival gaps (1 = Poisson, > 1 bursty, 0 = constant).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub(crate) burstiness: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Precision served (weights, activations, KV).
    #[arg(long, default_value = "bf16", value_parser = ["bf16", "fp16", "fp8", "int8"])]
    pub(crate) precision: String,
    /// Engine cap on sequences per step.
    #[arg(long, default_value_t = 2048)]
    pub(crate) max_batch: u32,
    /// Engine budget of tokens per step.
    #[arg(long, default_value_t = 8192)]
    pub(crate) max_tokens: u32,
}

/// `suanli serve …`
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Catalog id, a Hugging Face `config.json`, or a TOML file with one `[[model]]`.
    #[arg(long, short = 'm')]
    pub(crate) model: String,
    /// Chips to consider (repeat). Default: every catalogued chip with a cloud price.
    #[arg(long)]
    pub(crate) gpu: Vec<String>,
    /// Fix the tensor-parallel degree (default: searched).
    #[arg(long)]
    pub(crate) tp: Option<u32>,
    /// Peak request rate, requests/s.
    #[arg(long, allow_negative_numbers = true, conflicts_with = "daily_requests")]
    pub(crate) rate: Option<f64>,
    /// Requests a day (with --peak-to-average for the peak hour).
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) daily_requests: Option<f64>,
    /// Peak-hour rate over the day's mean rate.
    #[arg(long, default_value_t = 2.0, allow_negative_numbers = true)]
    pub(crate) peak_to_average: f64,
    /// p99 time-to-first-token target, seconds.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) ttft_p99: f64,
    /// p99 time-per-output-token target, seconds.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) tpot_p99: f64,
    /// Confirm the analytic sizing with the simulator (and adjust the replica count).
    #[arg(long)]
    pub(crate) simulate: bool,
    /// Requests per confirming simulation.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) requests: usize,
    /// Also size the chosen chip and layout as separate prefill and decode pools (simulated).
    #[arg(long)]
    pub(crate) disaggregate: bool,
    #[command(flatten)]
    pub(crate) traffic: TrafficArgs,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// `suanli simulate …`
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// Catalog id, a Hugging Face `config.json`, or a TOML file with one `[[model]]`.
    #[arg(long, short = 'm')]
    pub(crate) model: String,
    /// Chip id.
    #[arg(long)]
    pub(crate) gpu: String,
    /// Tensor-parallel degree per replica (default: the smallest that fits).
    #[arg(long)]
    pub(crate) tp: Option<u32>,
    /// Replicas (with --prefill-replicas: the decode pool's).
    #[arg(long)]
    pub(crate) replicas: u32,
    /// Disaggregate: this many prefill replicas compute prompts and send their KV cache over
    /// the servers' network to the --replicas decode replicas (same layout).
    #[arg(long)]
    pub(crate) prefill_replicas: Option<u32>,
    /// Tensor-parallel degree of a prefill replica (default: --tp).
    #[arg(long, requires = "prefill_replicas")]
    pub(crate) prefill_tp: Option<u32>,
    /// Request rate, requests/s.
    #[arg(long, allow_negative_numbers = true, conflicts_with = "trace")]
    pub(crate) rate: Option<f64>,
    /// A trace (CSV or JSONL: arrival_s, input_tokens, output_tokens) instead of generated traffic.
    #[arg(long)]
    pub(crate) trace: Option<PathBuf>,
    /// Requests to generate.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) requests: usize,
    /// Turns per conversation (their prompts share the previous turns as a prefix).
    #[arg(long, default_value_t = 1)]
    pub(crate) turns: u32,
    /// Mean think time between turns, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub(crate) think: f64,
    /// Router: round-robin, least-outstanding, prefix-affinity.
    #[arg(long, default_value = "least-outstanding", value_parser = ["round-robin", "least-outstanding", "prefix-affinity"])]
    pub(crate) router: String,
    /// Batching: continuous or static.
    #[arg(long, default_value = "continuous", value_parser = ["continuous", "static"])]
    pub(crate) scheduler: String,
    /// KV admission: paged (vLLM, preempts) or reserve (TensorRT-LLM, never preempts).
    #[arg(long, default_value = "paged", value_parser = ["paged", "reserve"])]
    pub(crate) kv_policy: String,
    /// p99 TTFT target for goodput, seconds.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) ttft_p99: Option<f64>,
    /// p99 TPOT target for goodput, seconds.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) tpot_p99: Option<f64>,
    #[command(flatten)]
    pub(crate) traffic: TrafficArgs,
    #[command(flatten)]
    pub(crate) out: FormatOnly,
}

/// Format and output file for commands whose `--output` means tokens.
#[derive(Debug, Args)]
pub(crate) struct FormatOnly {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t)]
    pub(crate) format: FormatArg,
    /// Write to this file instead of stdout.
    #[arg(long = "out-file", value_name = "FILE")]
    pub(crate) out_file: Option<PathBuf>,
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
