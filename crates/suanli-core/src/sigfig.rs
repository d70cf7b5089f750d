//! Stated figures and their precision, and display formatting.
//!
//! An analyst writes "3640" or "72.7%". Such a figure claims a value to a number of significant
//! figures; a computed value *reproduces* it when it rounds to the stated digits. Trailing
//! zeros of an integer without a decimal point are not significant ("3640" has 3 significant
//! figures, "960000" has 2).

/// A figure as an analyst printed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stated {
    /// The value (a percentage is stored as a fraction: "72.7%" → 0.727).
    pub value: f64,
    /// Significant figures printed.
    pub sig_figs: u32,
}

/// Parses a stated figure: digits with optional `,` separators, a decimal point, an exponent
/// (`8.89e6`) and a trailing `%`.
///
/// # Errors
/// A message saying what is accepted.
pub fn parse_stated(text: &str) -> Result<Stated, String> {
    let t = text.trim();
    let (body, percent) = match t.strip_suffix('%') {
        Some(b) => (b.trim_end(), true),
        None => (t, false),
    };
    let cleaned: String = body.chars().filter(|c| *c != ',' && *c != '_').collect();
    let (mantissa, exponent) = match cleaned.find(['e', 'E']) {
        Some(i) => (&cleaned[..i], &cleaned[i + 1..]),
        None => (cleaned.as_str(), ""),
    };
    let accepted = "a number such as 3640, 7034.7, 8.89e6, 960,000 or 72.7%";
    let mantissa = mantissa.strip_prefix('-').unwrap_or(mantissa);
    if mantissa.is_empty()
        || !mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        || mantissa.matches('.').count() > 1
    {
        return Err(accepted.to_string());
    }
    let value: f64 = cleaned.parse().map_err(|_| accepted.to_string())?;
    if !value.is_finite() {
        return Err(format!("{accepted}, within the range of a 64-bit float"));
    }
    if !exponent.is_empty() && exponent.parse::<i32>().is_err() {
        return Err(accepted.to_string());
    }
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0');
    let significant = if mantissa.contains('.') || !exponent.is_empty() {
        significant.len()
    } else {
        significant.trim_end_matches('0').len()
    };
    let sig_figs = u32::try_from(significant.max(1)).unwrap_or(1);
    Ok(Stated { value: if percent { value / 100.0 } else { value }, sig_figs })
}

impl Stated {
    /// Half a unit in the last stated digit: the largest error that still rounds to the figure.
    #[must_use]
    pub fn half_ulp(&self) -> f64 {
        if self.value == 0.0 {
            return 0.5;
        }
        let magnitude = self.value.abs().log10().floor();
        let place = magnitude - f64::from(self.sig_figs) + 1.0;
        0.5 * 10f64.powf(place)
    }

    /// Whether `computed` rounds to this figure.
    #[must_use]
    pub fn reproduced_by(&self, computed: f64) -> bool {
        (computed - self.value).abs() <= self.half_ulp() * (1.0 + 1e-9)
    }
}

/// Rounds to `n` significant figures.
#[must_use]
pub fn round_sig(value: f64, n: u32) -> f64 {
    if value == 0.0 || !value.is_finite() {
        return value;
    }
    let magnitude = value.abs().log10().floor();
    let factor = 10f64.powf(f64::from(n) - 1.0 - magnitude);
    let rounded = (value * factor).round() / factor;
    // Near the ends of the f64 range the factor (or the product) leaves it: keep the value.
    if factor.is_finite() && factor > 0.0 && rounded.is_finite() { rounded } else { value }
}

/// Decimals that show a percentage to `sig_figs` significant figures: `sig_figs − 1 −
/// ⌊log10 |percent|⌋`, at least 0 and at most 30; for 0 (whose logarithm is −∞) or a value that
/// is not finite, `sig_figs − 1`.
#[must_use]
pub fn percent_decimals(sig_figs: u32, percent: f64) -> usize {
    let sig = i64::from(sig_figs.min(30));
    let magnitude = percent.abs().log10().floor();
    let d = if magnitude.is_finite() { sig - 1 - magnitude.clamp(-400.0, 400.0) as i64 } else { sig - 1 };
    d.clamp(0, 30) as usize
}

/// Groups the integer part of a decimal string in thousands: `1234567.8` → `1,234,567.8`.
#[must_use]
pub fn group_thousands(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{frac}")
}

/// Formats a value for people: about 5 significant figures, thousands grouped, no exponent
/// between 0.001 and 10^15.
#[must_use]
pub fn human(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let a = value.abs();
    if a != 0.0 && !(1e-3..1e15).contains(&a) {
        return format!("{value:.3e}");
    }
    let decimals = if a >= 10_000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else if a >= 1.0 {
        3
    } else if a == 0.0 {
        0
    } else {
        4
    };
    let s = format!("{value:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    group_thousands(&s)
}

/// Formats a fraction as a percentage with one decimal: 0.7268 → `72.7 %`.
#[must_use]
pub fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// Formats a count with an SI-style suffix for people: 174.6e9 → `174.6 B`, 8.89e8 → `889 M`.
#[must_use]
pub fn count(value: f64) -> String {
    let a = value.abs();
    let (scaled, suffix) = if a >= 1e12 {
        (value / 1e12, " T")
    } else if a >= 1e9 {
        (value / 1e9, " B")
    } else if a >= 1e6 {
        (value / 1e6, " M")
    } else if a >= 1e3 {
        (value / 1e3, " K")
    } else {
        (value, "")
    };
    format!("{}{suffix}", human(round_sig(scaled, 4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_figures() {
        assert_eq!(parse_stated("3640").map(|s| s.sig_figs), Ok(3));
        assert_eq!(parse_stated("2.6").map(|s| s.sig_figs), Ok(2));
        assert_eq!(parse_stated("7034.7").map(|s| s.sig_figs), Ok(5));
        assert_eq!(parse_stated("960,000").map(|s| s.sig_figs), Ok(2));
        assert_eq!(parse_stated("8.89e6").map(|s| (s.value, s.sig_figs)), Ok((8.89e6, 3)));
        assert_eq!(parse_stated("0.01").map(|s| s.sig_figs), Ok(1));
        let p = parse_stated("72.7%").expect("parses");
        assert!((p.value - 0.727).abs() < 1e-12);
        assert_eq!(p.sig_figs, 3);
        assert!(parse_stated("abc").is_err());
        assert!(parse_stated("1.2.3").is_err());
        assert!(parse_stated("").is_err());
    }

    #[test]
    fn reproduction() {
        let s = |t: &str| parse_stated(t).expect("parses");
        assert!(s("3640").reproduced_by(3637.5));
        assert!(!s("3640").reproduced_by(3634.9));
        assert!(s("243").reproduced_by(243.05));
        assert!(s("72.7%").reproduced_by(0.72680));
        assert!(!s("69.2%").reproduced_by(0.4759));
        assert!(s("1350.4").reproduced_by(1350.43));
    }

    #[test]
    fn formatting() {
        assert_eq!(human(3637.5), "3,637.5");
        assert_eq!(human(960_000.0), "960,000");
        assert_eq!(human(2.604), "2.604");
        assert_eq!(human(2.6), "2.6");
        assert_eq!(human(0.01), "0.01");
        assert_eq!(human(3.14e23), "3.140e23");
        assert_eq!(percent(0.72680), "72.7 %");
        assert_eq!(human(4.992), "4.992");
        assert_eq!(count(174.6e9), "174.6 B");
        assert_eq!(count(174_629_425_152.0), "174.6 B");
        assert_eq!(count(8.89e8), "889 M");
        assert_eq!(count(12.0), "12");
        assert_eq!(round_sig(3637.5, 3), 3640.0);
        assert_eq!(group_thousands("-1234567.25"), "-1,234,567.25");
    }
}
