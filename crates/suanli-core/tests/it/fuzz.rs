//! Fuzz-style tests on stable Rust (issue 12): every parser gets arbitrary text and
//! structured-but-mutated seeds (the built-in catalog, `examples/`, real `config.json`
//! files), and must answer with a value or a one-line `Error`, never a panic. What parses is
//! then pushed through the arithmetic it feeds (parameter counts, the catalog check, the plan),
//! which must not panic either.

use proptest::prelude::*;
use suanli_core::Catalog;
use suanli_core::econ::{audit, parse_claims};
use suanli_core::model::from_hf_config;
use suanli_core::plan::plan;
use suanli_core::scenario::Scenario;
use suanli_core::sigfig::parse_stated;

const CATALOG_SEEDS: [&str; 3] = [
    include_str!("../../catalog/accelerators.toml"),
    include_str!("../../catalog/servers.toml"),
    include_str!("../../catalog/models.toml"),
];

const SCENARIO_SEEDS: [&str; 2] = [
    include_str!("../../../../examples/chatgpt-2023.toml"),
    include_str!("../../../../examples/tutoring-startup.toml"),
];

const CALIBRATION_SEEDS: [&str; 1] = [include_str!("../fixtures/calibration/h100-synthetic.json")];

const CLAIMS_SEED: &str = include_str!("../../../../examples/seed-market-claims.toml");

const HF_SEEDS: [&str; 15] = [
    include_str!("../fixtures/hf/bloom-560m.json"),
    include_str!("../fixtures/hf/deepseek-v3.json"),
    include_str!("../fixtures/hf/gpt2.json"),
    include_str!("../fixtures/hf/llama-2-7b.json"),
    include_str!("../fixtures/hf/mistral-7b.json"),
    include_str!("../fixtures/hf/mixtral-8x7b.json"),
    include_str!("../fixtures/hf/opt-125m.json"),
    include_str!("../fixtures/hf/pythia-160m.json"),
    include_str!("../fixtures/hf/qwen2-7b.json"),
    include_str!("../fixtures/fuzz/Qwen--Qwen3-0.6B.json"),
    include_str!("../fixtures/fuzz/Qwen--Qwen3-30B-A3B.json"),
    include_str!("../fixtures/fuzz/moonshotai--Kimi-K2-Instruct.json"),
    include_str!("../fixtures/fuzz/meta-llama--Llama-4-Scout-17B-16E-Instruct.json"),
    include_str!("../fixtures/fuzz/MiniMaxAI--MiniMax-M2.5.json"),
    include_str!("../fixtures/fuzz/Qwen--Qwen3.5-35B-A3B.json"),
];

/// Values that have broken arithmetic before: zero, denormals, the integer limits, huge and
/// negative numbers, non-numbers, and tokens that change a document's structure.
const NASTY: [&str; 24] = [
    "0",
    "-1",
    "1e-320",
    "5e-324",
    "1e308",
    "1.7976931348623157e308",
    "4294967295",
    "4294967296",
    "2147483648",
    "18446744073709551615",
    "-9223372036854775808",
    "65536",
    "3603600",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "\"x\"",
    "true",
    "[]",
    "{}",
    "\n[[model]]\n",
    "\"",
    "",
];

/// One mutation of a seed.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the k-th number in the text with a nasty value.
    Number(usize, usize),
    /// Replace a byte range with arbitrary text.
    Splice(usize, usize, String),
    /// Delete a byte range.
    Delete(usize, usize),
    /// Repeat a byte range (duplicated keys, entries).
    Repeat(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), 0..NASTY.len()).prop_map(|(k, v)| Mutation::Number(k, v)),
        2 => (any::<usize>(), 0usize..16, "[ -~\n]{0,12}").prop_map(|(at, n, s)| Mutation::Splice(at, n, s)),
        1 => (any::<usize>(), 0usize..64).prop_map(|(at, n)| Mutation::Delete(at, n)),
        1 => (any::<usize>(), 0usize..200).prop_map(|(at, n)| Mutation::Repeat(at, n)),
    ]
}

/// Byte offsets of the numbers in `text` (runs of digits with `.`, `e`, `-`).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit() || matches!(b[i], b'.' | b'e' | b'E' | b'-' | b'+' | b'_'))
            {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

/// The largest char boundary at or below `at`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(seed: &str, muts: &[Mutation]) -> String {
    let mut text = seed.to_string();
    for m in muts {
        let len = text.len().max(1);
        match m {
            Mutation::Number(k, v) => {
                let nums = numbers(&text);
                if let Some(&(a, b)) = nums.get(k % nums.len().max(1)) {
                    text.replace_range(a..b, NASTY[*v]);
                }
            }
            Mutation::Splice(at, n, s) => {
                let a = boundary(&text, at % len);
                let b = boundary(&text, a + n);
                text.replace_range(a..b, s);
            }
            Mutation::Delete(at, n) => {
                let a = boundary(&text, at % len);
                let b = boundary(&text, a + n);
                text.replace_range(a..b, "");
            }
            Mutation::Repeat(at, n) => {
                let a = boundary(&text, at % len);
                let b = boundary(&text, a + n);
                let piece = text[a..b].to_string();
                text.insert_str(b, &piece);
            }
        }
    }
    text
}

fn mutated(seeds: &'static [&'static str]) -> impl Strategy<Value = String> {
    (0..seeds.len(), prop::collection::vec(mutation(), 1..6)).prop_map(move |(i, m)| apply(seeds[i], &m))
}

/// An error renders as one line.
fn one_line(e: &suanli_core::Error) {
    let s = e.to_string();
    assert!(!s.is_empty() && !s.contains('\n'), "error of more than one line: {s:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn stated_figures_parse_or_refuse(text in "[-+0-9.,_eE% ]{0,24}|\\PC{0,24}") {
        if let Ok(s) = parse_stated(&text) {
            prop_assert!(s.value.is_finite() && s.sig_figs >= 1);
            let _ = s.half_ulp();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn hf_configs_import_or_refuse(text in mutated(&HF_SEEDS)) {
        match from_hf_config(&text, "config.json") {
            Ok(m) => {
                if m.check().is_ok() {
                    let p = m.params();
                    prop_assert!(!p.total.is_nan());
                    let _ = suanli_core::model::forward_flops_per_token(&m, 4096.0);
                }
            }
            Err(e) => one_line(&e),
        }
    }

    #[test]
    fn arbitrary_json_is_refused_cleanly(text in "\\{(\"[a-z_]{1,20}\": ?(-?[0-9]{1,12}|\"[a-z0-9_]{0,10}\"|true|null|\\[\\]), ?){0,8}\\}") {
        if let Err(e) = from_hf_config(&text, "config.json") {
            one_line(&e);
        }
    }

    #[test]
    fn catalog_files_merge_and_check_or_refuse(text in mutated(&CATALOG_SEEDS)) {
        let mut c = Catalog::builtin().unwrap();
        match c.merge_toml(&text, "user.toml") {
            Ok(()) => {
                if let Err(e) = c.check("user.toml") {
                    one_line(&e);
                }
            }
            Err(e) => one_line(&e),
        }
    }

    #[test]
    fn claims_files_audit_or_refuse(text in mutated(&[CLAIMS_SEED])) {
        match parse_claims(&text, "claims.toml") {
            Ok(f) => match audit(&f, "claims.toml") {
                Ok(rows) => {
                    for r in rows {
                        prop_assert!(!r.implied_display.is_empty());
                    }
                }
                Err(e) => one_line(&e),
            },
            Err(e) => one_line(&e),
        }
    }
}

proptest! {
    // A plan runs the training and inference planners: fewer cases.
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn scenarios_plan_or_refuse(text in mutated(&SCENARIO_SEEDS)) {
        match Scenario::from_toml(&text, "scenario.toml") {
            Ok(s) => {
                let c = Catalog::builtin().unwrap();
                if let Err(e) = plan(&s, &c, "scenario.toml") {
                    one_line(&e);
                }
            }
            Err(e) => one_line(&e),
        }
    }
}

#[test]
fn the_seeds_themselves_parse() {
    let mut c = Catalog::default();
    for s in CATALOG_SEEDS {
        c.merge_toml(s, "seed").unwrap();
    }
    for s in SCENARIO_SEEDS {
        Scenario::from_toml(s, "seed").unwrap();
    }
    parse_claims(CLAIMS_SEED, "seed").unwrap();
    assert!(HF_SEEDS[..9].iter().all(|s| from_hf_config(s, "seed").is_ok()));
    assert!(numbers("a = 12\nb_2 = 3.5e-3").len() == 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// A calibration file parses and plans with finite, positive step times, or is refused
    /// with a one-line error.
    #[test]
    fn calibration_files_apply_or_refuse(text in mutated(&CALIBRATION_SEEDS)) {
        use suanli_core::calibration::Measured;
        use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
        use suanli_core::precision::Precision;
        use suanli_core::train::{Calibration, Cluster};
        let m = match Measured::parse(&text, "cal.json") {
            Ok(m) => m,
            Err(e) => {
                one_line(&e);
                return Ok(());
            }
        };
        let c = match Catalog::builtin().unwrap().with_measured(m) {
            Ok(c) => c,
            Err(e) => {
                one_line(&e);
                return Ok(());
            }
        };
        let chip = c.measured.as_ref().unwrap().file.device.chip.clone();
        let Ok(cluster) = Cluster::new(&c, &chip, None, Precision::Bf16, &Calibration::default()) else {
            return Ok(());
        };
        let spec = c.model("llama3.1-8b").unwrap();
        let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: Precisions::uniform(Precision::Bf16) };
        let r = Replica::new(spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default());
        for (d, p) in [(1.0, 0.0), (64.0, 0.0), (0.0, 4096.0), (8.0, 512.0)] {
            let t = r.step(d, 1000.0, p, p / 2.0, d.max(1.0)).total_s;
            prop_assert!(t.is_finite() && t > 0.0, "step {t}");
        }
    }
}
