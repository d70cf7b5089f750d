//! Latency percentiles and time series.

use serde::Serialize;

/// Mean and percentiles of a latency, seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Latency {
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl Latency {
    /// A deterministic latency: every percentile equals the value (the analytic planners'
    /// steady state).
    #[must_use]
    pub fn fixed(x: f64) -> Latency {
        Latency { mean: x, p50: x, p90: x, p99: x }
    }
}

/// Nearest-rank percentiles (`select_nth_unstable`, O(n) each).
#[must_use]
pub fn latency(mut xs: Vec<f64>) -> Latency {
    if xs.is_empty() {
        return Latency::default();
    }
    let n = xs.len();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let mut at = |q: f64| {
        let k = ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
        *xs.select_nth_unstable_by(k, f64::total_cmp).1
    };
    let (p50, p90, p99) = (at(0.5), at(0.9), at(0.99));
    Latency { mean, p50, p90, p99 }
}

/// Quantiles at which [`Cdf`] samples a latency distribution.
pub const CDF_QUANTILES: [f64; 23] = [
    0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9,
    0.95, 0.99, 0.999, 1.0,
];

/// Latency distributions sampled at [`CDF_QUANTILES`] (nearest rank), seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Cdf {
    /// The quantiles.
    pub quantiles: Vec<f64>,
    /// Time to first token at each quantile.
    pub ttft_s: Vec<f64>,
    /// Time per output token at each quantile.
    pub tpot_s: Vec<f64>,
    /// Request latency at each quantile.
    pub e2e_s: Vec<f64>,
}

/// Nearest-rank values of `xs` at [`CDF_QUANTILES`] (empty for no samples).
#[must_use]
pub fn quantiles(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_unstable_by(f64::total_cmp);
    quantiles_of_sorted(&xs)
}

/// [`quantiles`] of an ascending slice.
#[must_use]
pub fn quantiles_of_sorted(xs: &[f64]) -> Vec<f64> {
    let n = xs.len();
    if n == 0 {
        return Vec::new();
    }
    CDF_QUANTILES.iter().map(|q| xs[((q * n as f64).ceil() as usize).clamp(1, n) - 1]).collect()
}

/// [`latency`] of an ascending slice (no selection needed).
#[must_use]
pub fn latency_of_sorted(xs: &[f64]) -> Latency {
    let n = xs.len();
    if n == 0 {
        return Latency::default();
    }
    let at = |q: f64| xs[((q * n as f64).ceil() as usize).clamp(1, n) - 1];
    Latency { mean: xs.iter().sum::<f64>() / n as f64, p50: at(0.5), p90: at(0.9), p99: at(0.99) }
}

/// Most intervals a [`Series`] keeps: when an event falls past the last one, neighbouring
/// intervals merge pairwise (the width doubles), so memory stays fixed whatever the time span.
pub const MAX_INTERVALS: usize = 1024;

/// Per-interval series: arrivals, completions, output tokens, mean queue length, busy time.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Start of the first interval, seconds.
    pub start_s: f64,
    /// Interval width, seconds.
    pub interval_s: f64,
    /// Arrivals per interval.
    pub arrivals: Vec<u64>,
    /// Completions per interval.
    pub completions: Vec<u64>,
    /// Output tokens completed per interval.
    pub output_tokens: Vec<u64>,
    /// Mean waiting requests seen by arrivals, per interval.
    pub mean_queue: Vec<f64>,
    /// Replica-seconds busy per interval (steps attributed to the interval they start in).
    pub busy_s: Vec<f64>,
    #[serde(skip)]
    queue_samples: Vec<u64>,
}

impl Series {
    /// An empty series. A start or width that is not a finite number (a width not positive)
    /// is replaced by 0 s and 1 ms.
    #[must_use]
    pub fn new(start_s: f64, interval_s: f64) -> Series {
        Series {
            start_s: if start_s.is_finite() { start_s } else { 0.0 },
            interval_s: if interval_s.is_finite() && interval_s > 0.0 { interval_s } else { 1e-3 },
            arrivals: Vec::new(),
            completions: Vec::new(),
            output_tokens: Vec::new(),
            mean_queue: Vec::new(),
            busy_s: Vec::new(),
            queue_samples: Vec::new(),
        }
    }

    /// Doubles the interval width, merging neighbours.
    fn coarsen(&mut self) {
        fn pairs<T: Copy>(v: &mut Vec<T>, merge: impl Fn(T, Option<T>) -> T) {
            let merged: Vec<T> = v.chunks(2).map(|c| merge(c[0], c.get(1).copied())).collect();
            *v = merged;
        }
        let samples = self.queue_samples.clone();
        let queue: Vec<f64> = self
            .mean_queue
            .chunks(2)
            .zip(samples.chunks(2))
            .map(|(q, n)| {
                let total: u64 = n.iter().sum();
                if total == 0 {
                    0.0
                } else {
                    q.iter().zip(n).map(|(q, &n)| q * n as f64).sum::<f64>() / total as f64
                }
            })
            .collect();
        self.mean_queue = queue;
        let add = |a: u64, b: Option<u64>| a.saturating_add(b.unwrap_or(0));
        pairs(&mut self.arrivals, add);
        pairs(&mut self.completions, add);
        pairs(&mut self.output_tokens, add);
        pairs(&mut self.queue_samples, add);
        pairs(&mut self.busy_s, |a, b| a + b.unwrap_or(0.0));
        self.interval_s *= 2.0;
    }

    fn slot(&mut self, t: f64) -> usize {
        // A time that is not finite (a step of infinite length) counts in the last interval.
        let t = if t.is_nan() { self.start_s } else { t };
        let mut x = ((t - self.start_s) / self.interval_s).floor().max(0.0);
        while x >= MAX_INTERVALS as f64 && t.is_finite() && self.interval_s.is_finite() {
            self.coarsen();
            x = ((t - self.start_s) / self.interval_s).floor().max(0.0);
        }
        let k = if x < MAX_INTERVALS as f64 { x as usize } else { MAX_INTERVALS - 1 };
        if k >= self.arrivals.len() {
            let len = k + 1;
            self.arrivals.resize(len, 0);
            self.completions.resize(len, 0);
            self.output_tokens.resize(len, 0);
            self.mean_queue.resize(len, 0.0);
            self.busy_s.resize(len, 0.0);
            self.queue_samples.resize(len, 0);
        }
        k
    }

    pub(crate) fn arrival(&mut self, t: f64) {
        let k = self.slot(t);
        self.arrivals[k] += 1;
    }

    pub(crate) fn completion(&mut self, t: f64, tokens: u32) {
        let k = self.slot(t);
        self.completions[k] += 1;
        self.output_tokens[k] += u64::from(tokens);
    }

    pub(crate) fn queue(&mut self, t: f64, waiting: usize) {
        let k = self.slot(t);
        let n = self.queue_samples[k] as f64;
        self.mean_queue[k] = (self.mean_queue[k] * n + waiting as f64) / (n + 1.0);
        self.queue_samples[k] += 1;
    }

    pub(crate) fn busy(&mut self, t: f64, dt: f64) {
        let k = self.slot(t);
        self.busy_s[k] += dt;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let l = latency((1..=100).map(f64::from).collect());
        assert_eq!((l.p50, l.p90, l.p99), (50.0, 90.0, 99.0));
        assert!((l.mean - 50.5).abs() < 1e-12);
        assert_eq!(latency(vec![]).p99, 0.0);
    }

    #[test]
    fn cdf_quantiles_agree_with_the_percentiles() {
        let xs: Vec<f64> = (1..=1000).rev().map(f64::from).collect();
        let q = quantiles(xs.clone());
        let l = latency(xs.clone());
        let mut sorted = xs;
        sorted.sort_unstable_by(f64::total_cmp);
        assert_eq!(latency_of_sorted(&sorted), l);
        let at = |p: f64| q[CDF_QUANTILES.iter().position(|&x| x == p).unwrap_or(0)];
        assert_eq!((at(0.5), at(0.9), at(0.99), at(1.0)), (l.p50, l.p90, l.p99, 1000.0));
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "non-decreasing");
        assert!(quantiles(vec![]).is_empty());
    }

    #[test]
    fn series_memory_is_bounded_whatever_the_span() {
        let mut s = Series::new(0.0, 1e-3);
        s.arrival(0.0);
        s.queue(0.0, 4);
        s.queue(0.0005, 2);
        s.completion(1e12, 7);
        s.busy(f64::INFINITY, 1.0);
        s.arrival(f64::NAN);
        assert!(s.arrivals.len() <= MAX_INTERVALS);
        assert_eq!(s.arrivals.iter().sum::<u64>(), 2);
        assert_eq!(s.output_tokens.iter().sum::<u64>(), 7);
        assert!((s.mean_queue[0] - 3.0).abs() < 1e-12);
        assert!(s.interval_s * MAX_INTERVALS as f64 > 1e12);
        let mut w = Series::new(f64::NAN, 0.0);
        w.arrival(5.0);
        w.arrival(1e308);
        assert!(w.arrivals.len() <= MAX_INTERVALS && w.interval_s > 1e304);
        assert_eq!(w.arrivals.iter().sum::<u64>(), 2);
    }
}
