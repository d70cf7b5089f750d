//! A small, portable, seeded random number generator and the distributions the workload needs.
//!
//! xoshiro256++ (Blackman & Vigna 2018), seeded through splitmix64; the same seed gives the
//! same stream on every platform.

/// xoshiro256++.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator from a seed.
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        Rng { s: [splitmix(&mut x), splitmix(&mut x), splitmix(&mut x), splitmix(&mut x)] }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = (s[0].wrapping_add(s[3])).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform in (0, 1): never exactly 0, so logarithms are finite.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Exponential with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform().ln()
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// Gamma with shape `k` and scale `theta` (Marsaglia & Tsang 2000; `k < 1` boosted).
    ///
    /// Total over every input: a shape or scale that is not a positive finite number gives 0;
    /// a shape so large that the draw's spread is below 1e-7 of its mean gives the mean; the
    /// rejection loop (which accepts over 95 % of proposals) is bounded, ending with the mean.
    /// A draw or mean beyond `f64::MAX` (`k·θ` overflowing) saturates at `f64::MAX`.
    pub fn gamma(&mut self, k: f64, theta: f64) -> f64 {
        let mean = (k * theta).min(f64::MAX);
        if !(k > 0.0 && theta > 0.0 && k.is_finite() && theta.is_finite()) {
            return 0.0;
        }
        if k >= 1e14 {
            return mean;
        }
        if k < 1.0 {
            let u = self.uniform();
            let x = self.gamma(k + 1.0, theta) * u.powf(1.0 / k);
            return if x.is_finite() { x } else { 0.0 };
        }
        let d = k - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        for _ in 0..10_000 {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v.is_nan() || v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return (d * v * theta).min(f64::MAX);
            }
        }
        mean
    }

    /// Log-normal with the given mean and coefficient of variation.
    pub fn lognormal(&mut self, mean: f64, cv: f64) -> f64 {
        let sigma2 = (1.0 + cv * cv).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        (mu + sigma2.sqrt() * self.normal()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_var(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (m, xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n)
    }

    #[test]
    fn deterministic_and_moments_right() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.next_u64(), b.next_u64());
        let mut r = Rng::new(1);
        let e: Vec<f64> = (0..200_000).map(|_| r.exponential(2.0)).collect();
        let (m, v) = mean_var(&e);
        assert!((m - 2.0).abs() < 0.02 && (v - 4.0).abs() < 0.1, "{m} {v}");
        let g: Vec<f64> = (0..200_000).map(|_| r.gamma(0.25, 4.0)).collect();
        let (m, v) = mean_var(&g);
        assert!((m - 1.0).abs() < 0.02 && (v - 4.0).abs() < 0.3, "{m} {v}");
        let l: Vec<f64> = (0..200_000).map(|_| r.lognormal(100.0, 1.0)).collect();
        let (m, v) = mean_var(&l);
        assert!((m - 100.0).abs() < 2.0 && (v.sqrt() / m - 1.0).abs() < 0.1, "{m} {v}");
    }

    #[test]
    fn gamma_is_total() {
        let mut r = Rng::new(3);
        for (k, theta) in [
            (f64::INFINITY, 0.0),
            (f64::NAN, 1.0),
            (1.0, f64::NAN),
            (0.0, 1.0),
            (-1.0, 1.0),
            (1e-320, 1.0),
            (1e308, 1e-320),
            (1e300, 1e300),
            (1e20, 1e-20),
            (f64::MIN_POSITIVE, f64::MAX),
            (654_896.0, 7e304),
        ] {
            let x = r.gamma(k, theta);
            assert!(x.is_finite() && x >= 0.0, "gamma({k}, {theta}) = {x}");
        }
        assert_eq!(r.gamma(1e20, 1e-20), 1.0);
        // k·θ beyond f64::MAX: the draw saturates rather than overflowing to infinity.
        assert_eq!(r.gamma(654_896.0, 7e304), f64::MAX);
        assert_eq!(r.gamma(1e300, 1e300), f64::MAX);
    }
}
