//! Scenarios: what a user asks suanli to estimate, as a TOML file.
//!
//! Every section but `name` and `model` is optional; the plan computes what the sections
//! present allow. The JSON Schema in `schemas/scenario.schema.json` is generated from these
//! types (`suanli schema`) and checked for staleness by a test.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::CatalogFile;
use crate::error::Error;
use crate::hardware::PeakKind;
use crate::precision::Precision;

/// The embedded default scenario: the seed's ChatGPT analysis.
pub const CHATGPT_2023: &str = include_str!("../../../examples/chatgpt-2023.toml");

/// A whole scenario.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Title shown at the top of the report.
    pub name: String,
    /// What the scenario is about and where its inputs come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which estimation methods to report. Default: both.
    #[serde(default = "default_methods")]
    pub methods: Vec<Method>,
    /// Exchange rate and report currency.
    #[serde(default)]
    pub currency: CurrencySettings,
    /// The model trained and served.
    pub model: ModelRef,
    /// The server the compute runs on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware: Option<Hardware>,
    /// Pre-training workload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretraining: Option<Pretraining>,
    /// Inference traffic and its bill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<Inference>,
    /// Fine-tuning by workload share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finetune: Option<Finetune>,
    /// Servers whose chip cost to break down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chip_cost: Option<ChipCost>,
    /// Servers to classify by role and accelerator count (the seed's S12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_classes: Option<ServerClasses>,
    /// A market series and workload shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<Market>,
    /// Start-up budgets and per-conversation economics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_economics: Option<UnitEconomics>,
    /// Assumptions of the first-principles estimates.
    #[serde(default)]
    pub first_principles: FirstPrinciples,
    /// Owning and renting costs (TCO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub costs: Option<Costs>,
    /// Figures stated by a source, checked against suanli's values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<Claim>,
    /// Catalog entries (models, accelerators, servers) defined by this scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<CatalogFile>,
    /// A measured calibration (`scripts/measure-gpu.py`) for the scenario's chip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationRef>,
}

/// `[calibration]`: a measured calibration file, by path (the command line reads it, relative
/// to the scenario) or inline (its text, as the web API and Python send it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalibrationRef {
    /// The file, relative to the scenario's folder (read by the command line, never by the
    /// library).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The file's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

fn default_methods() -> Vec<Method> {
    vec![Method::Analyst, Method::FirstPrinciples]
}

/// An estimation method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Closed-form top-down formulas (6ND, cost equivalence, workload share, peak throughput).
    Analyst,
    /// Shape-based FLOPs, dense peaks and stated utilisations.
    FirstPrinciples,
}

/// Currency settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrencySettings {
    /// CNY for one USD. Required when the scenario states CNY costs; displays use 7.0 without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cny_per_usd: Option<f64>,
    /// Where the rate comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn default_cny_per_usd() -> f64 {
    7.0
}

impl CurrencySettings {
    /// CNY per USD: the stated rate, or 7.0 for display conversions.
    #[must_use]
    pub fn rate(&self) -> f64 {
        self.cny_per_usd.unwrap_or_else(default_cny_per_usd)
    }
}

/// The model: a catalog id (or one defined in `[catalog]`), with the parameter count an
/// analyst uses when it differs from the shape's.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    /// Catalog id or alias.
    pub id: String,
    /// Parameter count the analyst methods use. Default: computed from the shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<f64>,
}

/// The server and the peak the analyst method assumes.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hardware {
    /// Server id.
    pub server: String,
    /// Precision of the peak rate.
    #[serde(default = "default_precision")]
    pub precision: Precision,
    /// Peak the analyst method uses: `dense`, or `sparse` as headlined in datasheets.
    #[serde(default = "default_peak")]
    pub analyst_peak: PeakKind,
    /// Utilisation the analyst method assumes (the seed: 1.0).
    #[serde(default = "one")]
    pub analyst_utilisation: f64,
}

fn default_global_batch() -> u32 {
    1024
}

fn default_precision() -> Precision {
    Precision::Bf16
}
fn default_peak() -> PeakKind {
    PeakKind::Dense
}
fn one() -> f64 {
    1.0
}

/// Pre-training.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pretraining {
    /// Training tokens (D).
    pub tokens: f64,
    /// Deadlines, in days, to size the server count for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<f64>,
    /// Sequences per optimizer step, for the training planner (GPT-3 175B: 1,536 of 2,048
    /// tokens, 3.2M tokens).
    #[serde(default = "default_global_batch")]
    pub global_batch: u32,
    /// Pre-training runs a month (the seed: at most one).
    #[serde(default = "one")]
    pub runs_per_month: f64,
    /// Other models trained on the same tokens, for comparison (the seed's S2 ladder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compare: Vec<ModelRef>,
}

/// Inference traffic.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inference {
    /// Interactions (visits, conversations) a month.
    pub monthly_interactions: f64,
    /// Cloud compute cost of one interaction, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_interaction_usd: Option<f64>,
    /// Cost of one pre-training run, USD, for cost equivalence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_run_cost_usd: Option<f64>,
    /// Compute of that run, PF/s-days. Default: the scenario's pre-training figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_run_pf_days: Option<f64>,
    /// Tokens processed per interaction (prompt + response), for the bottom-up estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_per_interaction: Option<f64>,
    /// Mean context a token attends to, for attention FLOPs. Default: half of `tokens_per_interaction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_context: Option<f64>,
    /// Prompt tokens of an interaction, for sizing the serving fleet with the inference planner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u32>,
    /// Output tokens of an interaction, for sizing the serving fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u32>,
    /// Peak-hour traffic over the month's mean.
    #[serde(default = "default_peak_to_average")]
    pub peak_to_average: f64,
    /// p99 time-to-first-token target, seconds.
    #[serde(default = "default_ttft")]
    pub ttft_p99_s: f64,
    /// p99 time-per-output-token target, seconds.
    #[serde(default = "default_tpot")]
    pub tpot_p99_s: f64,
}

fn default_peak_to_average() -> f64 {
    2.0
}
fn default_ttft() -> f64 {
    2.0
}
fn default_tpot() -> f64 {
    0.1
}

/// Fine-tuning by workload share.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finetune {
    /// Training share of all AI-server workload (0–1).
    pub training_share: f64,
    /// Inference share (0–1).
    pub inference_share: f64,
    /// Where the split comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A post-training schedule for the first-principles estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<FinetuneSchedule>,
}

/// A month of post-training, as assumptions: RLHF iterations and SFT tokens.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FinetuneSchedule {
    /// `ppo` or `grpo`.
    pub method: String,
    /// RLHF iterations a month.
    pub iterations_per_month: f64,
    /// Prompts per iteration.
    pub prompts: u32,
    /// Prompt tokens.
    pub prompt_len: u32,
    /// Response tokens.
    pub response_len: u32,
    /// Responses per prompt (GRPO).
    #[serde(default = "default_group")]
    pub group: u32,
    /// Training passes per iteration.
    #[serde(default = "default_ppo_epochs")]
    pub ppo_epochs: u32,
    /// GPUs the post-training runs on (of the scenario's server).
    pub gpus: u32,
    /// Supervised fine-tuning tokens a month.
    #[serde(default)]
    pub sft_tokens_per_month: f64,
}

fn default_group() -> u32 {
    8
}
fn default_ppo_epochs() -> u32 {
    2
}

/// Servers whose chip cost (CPUs + accelerators) to compute.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChipCost {
    /// Server ids.
    pub servers: Vec<String>,
}

/// An amount of money in a named currency.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Amount {
    /// The amount.
    pub amount: f64,
    /// `USD` or `CNY`.
    pub currency: String,
}

impl Amount {
    /// The amount in USD.
    #[must_use]
    pub fn usd(&self, cny_per_usd: f64) -> f64 {
        if self.currency == "CNY" { self.amount / cny_per_usd } else { self.amount }
    }

    fn validate(&self, origin: &str, key: &str, have_rate: bool) -> Result<(), Error> {
        if !(self.amount.is_finite() && self.amount >= 0.0) {
            return Err(Error::invalid(origin, format!("{key}.amount"), self.amount, "a price ≥ 0"));
        }
        match self.currency.as_str() {
            "USD" => Ok(()),
            "CNY" if have_rate => Ok(()),
            "CNY" => Err(Error::invalid(
                origin,
                format!("{key}.currency"),
                "\"CNY\"",
                "USD, or CNY with an exchange rate in [currency] cny_per_usd",
            )),
            other => Err(Error::invalid(
                origin,
                format!("{key}.currency"),
                format!("\"{other}\""),
                "USD or CNY (with [currency] cny_per_usd)",
            )),
        }
    }
}

/// Owning and renting costs.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    /// Years a server is amortised over.
    #[serde(default = "default_years")]
    pub years: f64,
    /// Average accelerator power as a fraction of TDP.
    #[serde(default = "default_power_utilisation")]
    pub utilisation: f64,
    /// Power of the rest of a server (CPUs, memory, fans, NICs), W.
    #[serde(default = "default_overhead")]
    pub server_overhead_w: f64,
    /// Power usage effectiveness.
    #[serde(default = "default_pue")]
    pub pue: f64,
    /// Electricity per kWh.
    pub electricity_per_kwh: Amount,
    /// Hosting per kW of facility power per month.
    pub hosting_per_kw_month: Amount,
    /// Network as a fraction of the server price.
    #[serde(default = "default_network_share")]
    pub network_share: f64,
    /// Server price. Default: the catalog's, else its chip cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_price: Option<Amount>,
    /// Cloud price per accelerator-hour. Default: the catalog's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_per_gpu_hour: Option<Amount>,
    /// Reserved-capacity discount on the cloud price (0–1).
    #[serde(default = "default_reserved")]
    pub reserved_discount: f64,
    /// Relative change of each input for the sensitivity analysis (0–1).
    #[serde(default = "default_sensitivity")]
    pub sensitivity: f64,
}

/// Most market points a scenario may give (the plan computes a CAGR for every pair).
const MAX_MARKET_POINTS: usize = 200;

/// Years a market point may carry.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

fn default_years() -> f64 {
    4.0
}
fn default_power_utilisation() -> f64 {
    0.7
}
fn default_overhead() -> f64 {
    2000.0
}
fn default_pue() -> f64 {
    1.3
}
fn default_network_share() -> f64 {
    0.15
}
fn default_reserved() -> f64 {
    0.4
}
fn default_sensitivity() -> f64 {
    0.2
}

impl Costs {
    fn validate(&self, origin: &str, have_rate: bool) -> Result<(), Error> {
        let check = |key: &str, v: f64, lo: f64, hi: f64| -> Result<(), Error> {
            if v.is_finite() && v >= lo && v <= hi {
                Ok(())
            } else {
                Err(Error::invalid(origin, format!("costs.{key}"), v, format!("from {lo} to {hi}")))
            }
        };
        check("years", self.years, 0.25, 30.0)?;
        check("utilisation", self.utilisation, 0.0, 1.0)?;
        check("server_overhead_w", self.server_overhead_w, 0.0, 1e6)?;
        check("pue", self.pue, 1.0, 3.0)?;
        check("network_share", self.network_share, 0.0, 2.0)?;
        check("reserved_discount", self.reserved_discount, 0.0, 1.0)?;
        check("sensitivity", self.sensitivity, 0.01, 0.9)?;
        self.electricity_per_kwh.validate(origin, "costs.electricity_per_kwh", have_rate)?;
        self.hosting_per_kw_month.validate(origin, "costs.hosting_per_kw_month", have_rate)?;
        if let Some(a) = &self.server_price {
            a.validate(origin, "costs.server_price", have_rate)?;
        }
        if let Some(a) = &self.cloud_per_gpu_hour {
            a.validate(origin, "costs.cloud_per_gpu_hour", have_rate)?;
        }
        Ok(())
    }
}

/// Servers to list by role.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerClasses {
    /// Server ids.
    pub servers: Vec<String>,
}

/// A market-size series.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// What is measured.
    pub name: String,
    /// Unit of the values.
    pub unit: String,
    /// Values by year, at least two, years increasing.
    pub points: Vec<MarketPoint>,
    /// Workload shares by year.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workload_shares: Vec<WorkloadShare>,
}

/// One market value.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketPoint {
    /// Year.
    pub year: i32,
    /// Value in the market's unit.
    pub value: f64,
}

/// Inference/training split of AI-server workload in a year.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkloadShare {
    /// Year.
    pub year: i32,
    /// Inference share (0–1).
    pub inference: f64,
}

/// Start-up economics.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitEconomics {
    /// Hardware budgets to evaluate, CNY.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hardware_budgets_cny: Vec<f64>,
    /// Yearly R&D spend, CNY (reported beside the hardware).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rnd_cny_per_year: Option<f64>,
    /// Server the budget buys. Default: `hardware.server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// A fund, USD, and what one training run costs, USD: how many runs it pays for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_usd: Option<f64>,
    /// Cost of one large-model training run, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_run_cost_usd: Option<f64>,
    /// A tutoring comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tutoring: Option<Tutoring>,
}

/// AI tutoring against a human teacher.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tutoring {
    /// Interactions in a lesson-hour.
    pub interactions_per_hour: f64,
    /// A human teacher's hourly cost, CNY.
    pub teacher_cny_per_hour: f64,
    /// Cost of one interaction, USD. Default: `inference.cost_per_interaction_usd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_per_interaction_usd: Option<f64>,
}

/// Assumptions of the first-principles estimates, labelled as such in reports.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstPrinciples {
    /// Software stack the training planner assumes: `modern` (Transformer Engine,
    /// FlashAttention, overlapped communication), `fused-attention`, or `legacy` (Megatron-LM 2021).
    #[serde(default = "default_stack")]
    pub stack: String,
    /// FLOP utilisation of serving against the dense peak (decode is memory-bound).
    #[serde(default = "default_serving")]
    pub serving_utilisation: f64,
    /// Training sequence length, for attention FLOPs. Default: the model's context, at most
    /// 4,096 (`train::DEFAULT_SEQ_LEN`, the default of every command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq_len: Option<f64>,
}

fn default_stack() -> String {
    "modern".to_string()
}
fn default_serving() -> f64 {
    0.1
}

impl Default for FirstPrinciples {
    fn default() -> Self {
        FirstPrinciples { stack: default_stack(), serving_utilisation: default_serving(), seq_len: None }
    }
}

/// A stated figure to check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// A short reference (`S2`).
    #[serde(rename = "ref")]
    pub reference: String,
    /// Key of the report figure it states (`pretraining.pf_days`).
    pub figure: String,
    /// The figure as printed: `3640`, `72.7%`, `8.89e6`.
    pub stated: String,
    /// Context for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The JSON Schema of the scenario format, pretty-printed with a trailing newline.
///
/// Checked in as `schemas/scenario.schema.json`; a test fails when it is stale.
#[must_use]
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Scenario);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

impl Scenario {
    /// Parses and validates a scenario.
    ///
    /// # Errors
    /// Syntax errors with line and column, unknown or missing keys, out-of-range values.
    pub fn from_toml(text: &str, origin: &str) -> Result<Scenario, Error> {
        let s: Scenario = toml::from_str(text).map_err(|e| Error::from_toml(origin, text, &e))?;
        s.validate(origin)?;
        Ok(s)
    }

    /// Parses and validates a scenario written as JSON (the same keys as the TOML).
    ///
    /// # Errors
    /// Syntax errors with line and column, unknown or missing keys, out-of-range values.
    pub fn from_json(text: &str, origin: &str) -> Result<Scenario, Error> {
        let s: Scenario = serde_json::from_str(text).map_err(|e| Error::from_json(origin, &e))?;
        s.validate(origin)?;
        Ok(s)
    }

    /// The built-in ChatGPT scenario.
    ///
    /// # Errors
    /// Only if the embedded file is broken (tests guard it).
    pub fn chatgpt_2023() -> Result<Scenario, Error> {
        Scenario::from_toml(CHATGPT_2023, "examples/chatgpt-2023.toml")
    }

    /// Range checks that the types cannot express.
    ///
    /// # Errors
    /// The first out-of-range value, with its key and what is accepted.
    pub fn validate(&self, origin: &str) -> Result<(), Error> {
        self.validate_general(origin)?;
        self.validate_pretraining(origin)?;
        self.validate_inference(origin)?;
        self.validate_finetune(origin)?;
        self.validate_market(origin)
    }

    /// Ranges of currency, costs, hardware, the first-principles settings and the claims.
    fn validate_general(&self, origin: &str) -> Result<(), Error> {
        if let Some(r) = self.currency.cny_per_usd {
            positive(origin, "currency.cny_per_usd", r)?;
        }
        if let Some(c) = &self.costs {
            c.validate(origin, self.currency.cny_per_usd.is_some())?;
        }
        if let Some(p) = self.model.params {
            positive(origin, "model.params", p)?;
            at_most(origin, "model.params", p, 1e15, "a quadrillion parameters")?;
        }
        if let Some(h) = &self.hardware {
            fraction(origin, "hardware.analyst_utilisation", h.analyst_utilisation)?;
        }
        if crate::train::Stack::by_name(&self.first_principles.stack).is_none() {
            return Err(Error::invalid(
                origin,
                "first_principles.stack",
                format!("\"{}\"", self.first_principles.stack),
                crate::train::Stack::accepted(),
            ));
        }
        fraction(origin, "first_principles.serving_utilisation", self.first_principles.serving_utilisation)?;
        if let Some(s) = self.first_principles.seq_len {
            positive(origin, "first_principles.seq_len", s)?;
        }
        for (i, c) in self.claims.iter().enumerate() {
            crate::sigfig::parse_stated(&c.stated).map_err(|e| {
                Error::invalid(origin, format!("claims[{i}].stated"), format!("\"{}\"", c.stated), e)
            })?;
        }
        Ok(())
    }

    /// Ranges of `[pretraining]`.
    fn validate_pretraining(&self, origin: &str) -> Result<(), Error> {
        if let Some(p) = &self.pretraining {
            positive(origin, "pretraining.tokens", p.tokens)?;
            if p.global_batch == 0 {
                return Err(Error::invalid(
                    origin,
                    "pretraining.global_batch",
                    0,
                    "a positive number of sequences",
                ));
            }
            at_most(origin, "pretraining.tokens", p.tokens, 1e16, "ten quadrillion tokens")?;
            for (i, d) in p.days.iter().enumerate() {
                positive(origin, &format!("pretraining.days[{i}]"), *d)?;
                at_most(origin, &format!("pretraining.days[{i}]"), *d, 36_500.0, "a century")?;
            }
            if !(p.runs_per_month.is_finite() && p.runs_per_month >= 0.0) {
                return Err(Error::invalid(
                    origin,
                    "pretraining.runs_per_month",
                    p.runs_per_month,
                    "a number ≥ 0",
                ));
            }
            for (i, m) in p.compare.iter().enumerate() {
                if let Some(n) = m.params {
                    positive(origin, &format!("pretraining.compare[{i}].params"), n)?;
                }
            }
        }
        Ok(())
    }

    /// Ranges of `[inference]`.
    fn validate_inference(&self, origin: &str) -> Result<(), Error> {
        if let Some(i) = &self.inference {
            positive(origin, "inference.monthly_interactions", i.monthly_interactions)?;
            let opt = [
                ("inference.cost_per_interaction_usd", i.cost_per_interaction_usd),
                ("inference.training_run_cost_usd", i.training_run_cost_usd),
                ("inference.training_run_pf_days", i.training_run_pf_days),
                ("inference.tokens_per_interaction", i.tokens_per_interaction),
                ("inference.mean_context", i.mean_context),
            ];
            for (key, v) in opt {
                if let Some(v) = v {
                    positive(origin, key, v)?;
                }
            }
            for (key, v) in
                [("inference.input_tokens", i.input_tokens), ("inference.output_tokens", i.output_tokens)]
            {
                if v == Some(0) {
                    return Err(Error::invalid(origin, key, 0, "a positive number of tokens"));
                }
            }
            if !(1.0..=12.0).contains(&i.peak_to_average) {
                return Err(Error::invalid(
                    origin,
                    "inference.peak_to_average",
                    i.peak_to_average,
                    "a ratio from 1 to 12",
                ));
            }
            positive(origin, "inference.ttft_p99_s", i.ttft_p99_s)?;
            positive(origin, "inference.tpot_p99_s", i.tpot_p99_s)?;
        }
        Ok(())
    }

    /// Ranges of `[finetune]`.
    fn validate_finetune(&self, origin: &str) -> Result<(), Error> {
        if let Some(f) = &self.finetune {
            fraction(origin, "finetune.training_share", f.training_share)?;
            fraction(origin, "finetune.inference_share", f.inference_share)?;
            if let Some(sc) = &f.schedule {
                if !matches!(sc.method.as_str(), "ppo" | "grpo") {
                    return Err(Error::invalid(
                        origin,
                        "finetune.schedule.method",
                        format!("\"{}\"", sc.method),
                        "ppo or grpo",
                    ));
                }
                positive(origin, "finetune.schedule.iterations_per_month", sc.iterations_per_month)?;
                for (key, v) in [
                    ("finetune.schedule.prompts", sc.prompts),
                    ("finetune.schedule.prompt_len", sc.prompt_len),
                    ("finetune.schedule.response_len", sc.response_len),
                    ("finetune.schedule.gpus", sc.gpus),
                    ("finetune.schedule.ppo_epochs", sc.ppo_epochs),
                ] {
                    if v == 0 {
                        return Err(Error::invalid(origin, key, 0, "a positive integer"));
                    }
                }
                if sc.method == "grpo" && sc.group < 2 {
                    return Err(Error::invalid(
                        origin,
                        "finetune.schedule.group",
                        sc.group,
                        "at least 2 for GRPO",
                    ));
                }
                if !(sc.sft_tokens_per_month.is_finite() && sc.sft_tokens_per_month >= 0.0) {
                    return Err(Error::invalid(
                        origin,
                        "finetune.schedule.sft_tokens_per_month",
                        sc.sft_tokens_per_month,
                        "a number ≥ 0",
                    ));
                }
            }
            if f.training_share + f.inference_share > 1.0 + 1e-9 {
                return Err(Error::invalid(
                    origin,
                    "finetune.training_share",
                    f.training_share,
                    format!("shares summing to at most 1 (inference_share is {})", f.inference_share),
                ));
            }
        }
        Ok(())
    }

    /// Ranges of `[market]` and `[unit_economics]`.
    fn validate_market(&self, origin: &str) -> Result<(), Error> {
        if let Some(m) = &self.market {
            if m.points.len() < 2 || m.points.len() > MAX_MARKET_POINTS {
                return Err(Error::invalid(
                    origin,
                    "market.points",
                    m.points.len(),
                    format!("from two to {MAX_MARKET_POINTS} points (every pair is a CAGR)"),
                ));
            }
            for (i, p) in m.points.iter().enumerate() {
                positive(origin, &format!("market.points[{i}].value"), p.value)?;
                if !(YEARS.contains(&p.year)) {
                    return Err(Error::invalid(
                        origin,
                        format!("market.points[{i}].year"),
                        p.year,
                        format!("a year from {} to {}", YEARS.start(), YEARS.end()),
                    ));
                }
                if i > 0 && p.year <= m.points[i - 1].year {
                    return Err(Error::invalid(
                        origin,
                        format!("market.points[{i}].year"),
                        p.year,
                        "years in increasing order",
                    ));
                }
            }
            for (i, w) in m.workload_shares.iter().enumerate() {
                fraction(origin, &format!("market.workload_shares[{i}].inference"), w.inference)?;
                if !(YEARS.contains(&w.year)) {
                    return Err(Error::invalid(
                        origin,
                        format!("market.workload_shares[{i}].year"),
                        w.year,
                        format!("a year from {} to {}", YEARS.start(), YEARS.end()),
                    ));
                }
            }
        }
        if let Some(u) = &self.unit_economics {
            for (i, b) in u.hardware_budgets_cny.iter().enumerate() {
                positive(origin, &format!("unit_economics.hardware_budgets_cny[{i}]"), *b)?;
            }
            for (key, v) in [
                ("unit_economics.rnd_cny_per_year", u.rnd_cny_per_year),
                ("unit_economics.fund_usd", u.fund_usd),
                ("unit_economics.training_run_cost_usd", u.training_run_cost_usd),
            ] {
                if let Some(v) = v {
                    positive(origin, key, v)?;
                }
            }
            if let Some(t) = &u.tutoring {
                positive(origin, "unit_economics.tutoring.interactions_per_hour", t.interactions_per_hour)?;
                positive(origin, "unit_economics.tutoring.teacher_cny_per_hour", t.teacher_cny_per_hour)?;
                if let Some(c) = t.cost_per_interaction_usd {
                    positive(origin, "unit_economics.tutoring.cost_per_interaction_usd", c)?;
                }
            }
        }
        Ok(())
    }

    /// Whether a method is requested.
    #[must_use]
    pub fn wants(&self, m: Method) -> bool {
        self.methods.contains(&m)
    }
}

/// `v` is positive and finite.
fn positive(origin: &str, key: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(origin, key, v, "a positive, finite number"))
    }
}

/// `v` is a fraction in (0, 1].
fn fraction(origin: &str, key: &str, v: f64) -> Result<(), Error> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(Error::invalid(origin, key, v, "a fraction in (0, 1]"))
    }
}

/// `v` is at most `max` (`what` says why).
fn at_most(origin: &str, key: &str, v: f64, max: f64, what: &str) -> Result<(), Error> {
    if v <= max { Ok(()) } else { Err(Error::invalid(origin, key, v, format!("at most {max:e} ({what})"))) }
}
