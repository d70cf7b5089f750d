//! Requests: when they arrive and how long they are.

use serde::Serialize;
use suanli_core::Error;

use crate::rng::Rng;

/// One request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Request {
    /// Arrival time, seconds from the start.
    pub arrival_s: f64,
    /// Prompt tokens.
    pub input: u32,
    /// Output tokens.
    pub output: u32,
    /// Conversation id (requests of one conversation share a prefix).
    pub conversation: u32,
    /// Leading prompt tokens shared with the conversation's previous turn (cacheable).
    pub prefix: u32,
    /// Priority class, 0 the most urgent ([`crate::policy`]).
    pub class: u8,
}

/// Inter-arrival process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Arrivals {
    /// Exponential gaps.
    Poisson,
    /// Gamma gaps with this coefficient of variation (1 = Poisson, > 1 bursty).
    Gamma {
        /// Coefficient of variation of the gaps.
        cv: f64,
    },
    /// Equal gaps.
    Constant,
}

/// Request lengths.
#[derive(Debug, Clone, PartialEq)]
pub enum Lengths {
    /// The same for every request.
    Fixed {
        /// Prompt tokens.
        input: u32,
        /// Output tokens.
        output: u32,
    },
    /// Log-normal prompt and output lengths.
    LogNormal {
        /// Mean prompt tokens.
        input_mean: f64,
        /// Mean output tokens.
        output_mean: f64,
        /// Coefficient of variation of both.
        cv: f64,
    },
    /// Drawn from observed (prompt, output) pairs, e.g. a trace's.
    Empirical(Vec<(u32, u32)>),
}

/// A named workload: lengths, turns and think time, each with its source or stated
/// assumption.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    /// `chat`, `rag`, `reasoning` or `agent`.
    pub name: &'static str,
    /// Request lengths (per turn).
    pub lengths: Lengths,
    /// Turns per conversation (later turns carry the earlier ones as a cached prefix).
    pub turns: u32,
    /// Mean think (or tool) time between turns, seconds.
    pub think_s: f64,
    /// Where the numbers come from.
    pub source: &'static str,
}

/// The workload presets' names.
pub const PRESETS: [&str; 4] = ["chat", "rag", "reasoning", "agent"];

impl Preset {
    /// The preset called `name`.
    #[must_use]
    pub fn named(name: &str) -> Option<Preset> {
        let ln = |i: f64, o: f64, cv: f64| Lengths::LogNormal { input_mean: i, output_mean: o, cv };
        Some(match name {
            "chat" => Preset {
                name: "chat",
                lengths: Lengths::SHAREGPT,
                turns: 1,
                think_s: 30.0,
                source: "ShareGPT means, 161 prompt and 338 output tokens (Kwon et al. 2023, vLLM, §6.1), log-normal cv 1",
            },
            "rag" => Preset {
                name: "rag",
                lengths: ln(4096.0, 256.0, 0.5),
                turns: 1,
                think_s: 30.0,
                source: "stated assumption: 8 retrieved chunks of 512 tokens in the prompt (4,096 mean), 256-token answers, log-normal cv 0.5",
            },
            "reasoning" => Preset {
                name: "reasoning",
                lengths: ln(1024.0, 16_384.0, 0.5),
                turns: 1,
                think_s: 30.0,
                source: "stated assumption: 16k mean output, log-normal cv 0.5 (about 8k–32k within ±1.5σ), as reasoning models' thinking budgets; DeepSeek-R1 (arXiv 2501.12948, Fig. 3) reports responses growing past 10k tokens",
            },
            "agent" => Preset {
                name: "agent",
                lengths: ln(1024.0, 256.0, 1.0),
                turns: 8,
                think_s: 3.0,
                source: "stated assumption: 8 turns a task, each adding 1,024 tokens of tool output and instructions to the history (a cached prefix) and 256 output tokens, 3 s of tool time between turns",
            },
            _ => return None,
        })
    }
}

impl Lengths {
    /// A ShareGPT-like chat distribution: log-normal with the means Kwon et al. 2023 (vLLM,
    /// arXiv:2309.06180, section 6.1) report for ShareGPT — 161 prompt and 338 output tokens —
    /// and a coefficient of variation of 1 (long-tailed).
    pub const SHAREGPT: Lengths = Lengths::LogNormal { input_mean: 161.0, output_mean: 338.0, cv: 1.0 };

    /// Mean prompt and output tokens.
    #[must_use]
    pub fn means(&self) -> (f64, f64) {
        match self {
            Lengths::Fixed { input, output } => (f64::from(*input), f64::from(*output)),
            Lengths::LogNormal { input_mean, output_mean, .. } => (*input_mean, *output_mean),
            Lengths::Empirical(pairs) => {
                let n = pairs.len().max(1) as f64;
                let i: f64 = pairs.iter().map(|p| f64::from(p.0)).sum();
                let o: f64 = pairs.iter().map(|p| f64::from(p.1)).sum();
                (i / n, o / n)
            }
        }
    }
}

/// A day's traffic shape: relative rates of the 24 hours.
#[derive(Debug, Clone, PartialEq)]
pub struct DailyCurve {
    /// Relative rate of each hour.
    pub weights: [f64; 24],
}

impl DailyCurve {
    /// A smooth day peaking at 14:00 whose peak-hour rate is `ratio` times the mean
    /// (a von Mises bump, `exp(κ·cos(2π(h − 14)/24))`, with κ solved for the ratio).
    #[must_use]
    pub fn peak_to_average(ratio: f64) -> DailyCurve {
        let shape = |k: f64| {
            let w: Vec<f64> = (0..24)
                .map(|h| (k * (std::f64::consts::TAU * (f64::from(h) - 14.0) / 24.0).cos()).exp())
                .collect();
            let mean = w.iter().sum::<f64>() / 24.0;
            let max = w.iter().copied().fold(0.0, f64::max);
            (w, max / mean)
        };
        let (mut lo, mut hi) = (0.0, 20.0);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if shape(mid).1 < ratio { lo = mid } else { hi = mid }
        }
        let (w, _) = shape(lo);
        let mut weights = [0.0; 24];
        weights.copy_from_slice(&w);
        DailyCurve { weights }
    }

    /// Peak-hour rate over the mean rate.
    #[must_use]
    pub fn peak_ratio(&self) -> f64 {
        let mean = self.weights.iter().sum::<f64>() / 24.0;
        self.weights.iter().copied().fold(0.0, f64::max) / mean
    }

    /// Maps "operational" time (seconds at the mean rate) to clock time.
    fn to_clock(&self, op: f64) -> f64 {
        let mean = self.weights.iter().sum::<f64>() / 24.0;
        let day_op: f64 = 86_400.0;
        let days = (op / day_op).floor();
        let mut rest = op - days * day_op;
        for (h, w) in self.weights.iter().enumerate() {
            let span = 3600.0 * w / mean;
            if rest <= span {
                return days * 86_400.0 + h as f64 * 3600.0 + rest / span * 3600.0;
            }
            rest -= span;
        }
        (days + 1.0) * 86_400.0
    }
}

/// How to generate a workload.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadSpec {
    /// Mean request rate, requests/s.
    pub rate: f64,
    /// Gap distribution.
    pub arrivals: Arrivals,
    /// Lengths.
    pub lengths: Lengths,
    /// Turns per conversation (1 = independent requests).
    pub turns: u32,
    /// Mean think time between a conversation's turns, seconds.
    pub think_s: f64,
    /// Daily curve, if the rate varies over the day.
    pub daily: Option<DailyCurve>,
    /// Largest prompt + output the model accepts.
    pub max_context: u32,
}

/// Longest prompt or output a log-normal draw may give: chat datasets are filtered to a few
/// thousand tokens (vLLM's ShareGPT benchmark drops sequences beyond 2,048 prompt tokens).
const MAX_DRAWN_LENGTH: u32 = 4096;

/// Highest request rate a workload may have, requests/s.
pub const MAX_RATE: f64 = 1e9;

/// Largest coefficient of variation of gaps or lengths.
const MAX_CV: f64 = 100.0;

fn length(rng: &mut Rng, mean: f64, cv: f64, max: u32) -> u32 {
    let x = rng.lognormal(mean, cv).round();
    // A NaN draw (a mean or cv out of range: see `WorkloadSpec::check`) is one token.
    if x.is_nan() { 1 } else { x.clamp(1.0, f64::from(max.max(1))) as u32 }
}

impl WorkloadSpec {
    /// Checks every parameter's range (the generator is total, but values outside these
    /// ranges describe no workload).
    ///
    /// # Errors
    /// [`Error::InvalidValue`] naming the parameter and its accepted range.
    pub fn check(&self, origin: &str) -> Result<(), Error> {
        let bad = |key: &str, v: f64, rule: &str| {
            Err(Error::invalid(origin, key, suanli_core::sigfig::human(v), rule))
        };
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= MAX_RATE) {
            return bad("rate", self.rate, "a positive number of requests/s up to 1e9");
        }
        if let Arrivals::Gamma { cv } = self.arrivals {
            if !(cv.is_finite() && (1e-6..=MAX_CV).contains(&cv)) {
                return bad("burstiness", cv, "a coefficient of variation from 1e-6 to 100 (0 is constant)");
            }
        }
        if let Lengths::LogNormal { input_mean, output_mean, cv } = self.lengths {
            for (key, v) in [("input_mean", input_mean), ("output_mean", output_mean)] {
                if !(v.is_finite() && v >= 1.0 && v <= f64::from(u32::MAX)) {
                    return bad(key, v, "a mean of at least 1 token");
                }
            }
            if !(cv.is_finite() && (0.0..=MAX_CV).contains(&cv)) {
                return bad("lengths.cv", cv, "a coefficient of variation from 0 to 100");
            }
        }
        if let Lengths::Empirical(pairs) = &self.lengths {
            if pairs.is_empty() {
                return Err(Error::invalid(
                    origin,
                    "lengths",
                    "no pairs",
                    "at least one (prompt, output) pair",
                ));
            }
        }
        if !(self.think_s.is_finite() && self.think_s >= 0.0) {
            return bad("think", self.think_s, "a non-negative number of seconds");
        }
        if self.turns == 0 {
            return bad("turns", 0.0, "at least 1");
        }
        if self.max_context < 2 {
            return bad("max_context", f64::from(self.max_context), "at least 2 tokens");
        }
        Ok(())
    }

    /// `n` requests, sorted by arrival.
    #[must_use]
    pub fn generate(&self, n: usize, seed: u64) -> Vec<Request> {
        let mut rng = Rng::new(seed);
        let turns = self.turns.max(1) as usize;
        let conversations = n.div_ceil(turns);
        let conv_rate = self.rate / turns as f64;
        let mut out = Vec::with_capacity(n);
        let mut op = 0.0;
        for conv in 0..conversations {
            let gap = match self.arrivals {
                Arrivals::Poisson => rng.exponential(1.0 / conv_rate),
                Arrivals::Gamma { cv } => {
                    let k = 1.0 / (cv * cv);
                    // A coefficient of variation too small for the sampler's shape (1/cv² past
                    // 1e14, or infinite) is a constant gap.
                    if k.is_finite() && k < 1e14 {
                        rng.gamma(k, 1.0 / (conv_rate * k))
                    } else {
                        1.0 / conv_rate
                    }
                }
                Arrivals::Constant => 1.0 / conv_rate,
            };
            // Parameters out of range (see `WorkloadSpec::check`) must not make time run back.
            op += if gap >= 0.0 { gap } else { 0.0 };
            let mut t = op;
            let (mut context, mut prefix) = (0u32, 0u32);
            for _ in 0..turns {
                if out.len() == n {
                    break;
                }
                let (new_in, out_len) = match &self.lengths {
                    Lengths::Fixed { input, output } => (*input, *output),
                    Lengths::LogNormal { input_mean, output_mean, cv } => {
                        // Long-output presets (reasoning) keep their tail: the cap grows to 4× a
                        // mean past the default, within half the context.
                        let cap = |mean: f64| {
                            let wide = (4.0 * mean).min(f64::from(u32::MAX)) as u32;
                            (self.max_context / 2).min(MAX_DRAWN_LENGTH.max(wide))
                        };
                        (
                            length(&mut rng, *input_mean, *cv, cap(*input_mean)),
                            length(&mut rng, *output_mean, *cv, cap(*output_mean)),
                        )
                    }
                    Lengths::Empirical(pairs) => {
                        let k = (rng.next_u64() % pairs.len().max(1) as u64) as usize;
                        pairs.get(k).copied().unwrap_or((1, 1))
                    }
                };
                let input =
                    context.saturating_add(new_in).min(self.max_context.saturating_sub(out_len).max(1));
                let arrival = match &self.daily {
                    Some(d) => d.to_clock(t),
                    None => t,
                };
                out.push(Request {
                    arrival_s: arrival,
                    input,
                    output: out_len,
                    conversation: conv as u32,
                    prefix: prefix.min(input),
                    class: 0,
                });
                prefix = input.saturating_add(out_len);
                context = prefix;
                t += rng.exponential(self.think_s.max(1e-3));
            }
        }
        out.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
        out
    }
}

/// Parses a trace: CSV with a header naming `arrival_s`, `input_tokens`, `output_tokens`
/// (in any order), or JSON Lines with those keys. Rows are sorted by arrival.
///
/// # Errors
/// An empty trace, a malformed line (named with its number), or lengths beyond `max_context`.
pub fn parse_trace(text: &str, origin: &str, max_context: u32) -> Result<Vec<Request>, Error> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(first_no, first)) = lines.first() else {
        return Err(Error::invalid(origin, "(trace)", "empty", "at least one request"));
    };
    let bad = |no: usize, what: &str| Error::Syntax {
        origin: origin.into(),
        line: no,
        column: 1,
        message: what.to_string(),
    };
    let mut out = Vec::new();
    if first.starts_with('{') {
        for &(no, l) in &lines {
            let v: serde_json::Value =
                serde_json::from_str(l).map_err(|e| bad(no, &format!("invalid JSON: {e}")))?;
            let num = |k: &str| {
                v.get(k)
                    .and_then(serde_json::Value::as_f64)
                    .ok_or_else(|| bad(no, &format!("missing number `{k}`")))
            };
            out.push((no, num("arrival_s")?, num("input_tokens")?, num("output_tokens")?));
        }
    } else {
        let header: Vec<&str> = first.split(',').map(str::trim).collect();
        let col = |k: &str| {
            header.iter().position(|h| *h == k).ok_or_else(|| {
                bad(first_no, &format!("header lacks `{k}` (need arrival_s, input_tokens, output_tokens)"))
            })
        };
        let (a, i, o) = (col("arrival_s")?, col("input_tokens")?, col("output_tokens")?);
        for &(no, l) in &lines[1..] {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let num = |idx: usize, k: &str| {
                f.get(idx)
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or_else(|| bad(no, &format!("`{k}` is not a number")))
            };
            out.push((no, num(a, "arrival_s")?, num(i, "input_tokens")?, num(o, "output_tokens")?));
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(origin, "(trace)", "no rows", "at least one request"));
    }
    let mut reqs = Vec::with_capacity(out.len());
    for (no, arrival, input, output) in out {
        let valid = arrival.is_finite() && arrival >= 0.0 && input >= 1.0 && output >= 1.0;
        if !valid || input.fract() != 0.0 || output.fract() != 0.0 {
            return Err(bad(no, "need arrival_s ≥ 0 and positive whole token counts"));
        }
        if input + output > f64::from(max_context) {
            return Err(bad(
                no,
                &format!("{input} + {output} tokens exceed the model's context of {max_context}"),
            ));
        }
        reqs.push(Request {
            arrival_s: arrival,
            input: input as u32,
            output: output as u32,
            conversation: reqs.len() as u32,
            prefix: 0,
            class: 0,
        });
    }
    reqs.sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
    Ok(reqs)
}

/// Gives each request a priority class at random, class `c` with probability `shares[c]`
/// (shares summing to 1, at most [`crate::policy::MAX_CLASSES`]); a conversation's turns share
/// the class of its first turn. Deterministic for a seed.
pub fn assign_classes(reqs: &mut [Request], shares: &[f64], seed: u64) {
    let mut rng = crate::rng::Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    let mut by_conversation = std::collections::HashMap::new();
    for q in reqs.iter_mut() {
        q.class = *by_conversation.entry(q.conversation).or_insert_with(|| {
            let u = rng.uniform();
            let mut acc = 0.0;
            let mut class = shares.len().saturating_sub(1);
            for (c, s) in shares.iter().enumerate() {
                acc += s;
                if u < acc {
                    class = c;
                    break;
                }
            }
            class.min(crate::policy::MAX_CLASSES - 1) as u8
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_curves() {
        let spec = WorkloadSpec {
            rate: 50.0,
            arrivals: Arrivals::Poisson,
            lengths: Lengths::Fixed { input: 100, output: 50 },
            turns: 1,
            think_s: 0.0,
            daily: None,
            max_context: 4096,
        };
        let r = spec.generate(100_000, 3);
        let span = r.last().map_or(0.0, |x| x.arrival_s);
        assert!((100_000.0 / span - 50.0).abs() < 1.0);
        let d = DailyCurve::peak_to_average(2.0);
        assert!((d.peak_ratio() - 2.0).abs() < 1e-6);
        let daily = WorkloadSpec { daily: Some(d), rate: 10.0, ..spec };
        let r = daily.generate(864_000, 4);
        let peak = r.iter().filter(|x| (14.0 * 3600.0..15.0 * 3600.0).contains(&x.arrival_s)).count();
        assert!((peak as f64 / 3600.0 / 20.0 - 1.0).abs() < 0.05, "peak hour {peak}");
    }

    #[test]
    fn traces_parse_and_errors_name_the_line() {
        let csv = "arrival_s,input_tokens,output_tokens\n0.5,100,20\n0.1,50,10\n";
        let r = parse_trace(csv, "t.csv", 4096).expect("parses");
        assert_eq!(r[0].input, 50);
        let jl = "{\"arrival_s\": 0, \"input_tokens\": 10, \"output_tokens\": 5}\n";
        assert_eq!(parse_trace(jl, "t.jsonl", 4096).expect("parses").len(), 1);
        let e = parse_trace("arrival_s,input_tokens,output_tokens\n0,1,x\n", "t.csv", 4096).expect_err("bad");
        assert!(e.to_string().starts_with("t.csv:2:"), "{e}");
        assert!(parse_trace("", "t.csv", 4096).is_err());
        let e = parse_trace("arrival_s,input_tokens,output_tokens\n0,4000,200\n", "t.csv", 4096)
            .expect_err("long");
        assert!(e.to_string().contains("4096"), "{e}");
    }
}
