//! Counts as people write them: `4096`, `1e9`, `2T`, `1.5k`, `10M`, `1_000_000`.
//!
//! Suffixes are decimal (k = 10³, M = 10⁶, B or G = 10⁹, T = 10¹²); the result must be a
//! whole number that fits the target type, so `1.5` and `2e30` are refused with the range.

/// The value of `text` as a whole number, or what is accepted.
pub fn parse_count(text: &str, max: u64) -> Result<u64, String> {
    let t = text.trim().replace('_', "");
    let rule = || {
        format!(
            "`{text}`: a whole number from 0 to {max}, optionally with e-notation or a k/M/B/T suffix (2T, 1.5k, 1e9)"
        )
    };
    let (digits, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('M' | 'm') => (&t[..t.len() - 1], 1e6),
        Some('B' | 'b' | 'G' | 'g') => (&t[..t.len() - 1], 1e9),
        Some('T' | 't') => (&t[..t.len() - 1], 1e12),
        _ => (t.as_str(), 1.0),
    };
    if let Ok(n) = digits.parse::<u64>() {
        if scale == 1.0 {
            return if n <= max { Ok(n) } else { Err(rule()) };
        }
    }
    let x: f64 = digits.parse().map_err(|_| rule())?;
    let v = x * scale;
    if !(v.is_finite() && v >= 0.0 && v <= max as f64 && v.fract() == 0.0) {
        return Err(rule());
    }
    Ok(v as u64)
}

/// An amount on the command line (`15T` tokens, `1e9`, `2.5M` requests a day): a number with
/// an optional k/M/B/G/T suffix. The sign and range are the library's to check, so a bad
/// value gets the same one-line error everywhere.
pub fn parse_amount(text: &str) -> Result<f64, String> {
    let t = text.trim().replace('_', "");
    let (digits, scale) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1e3),
        Some('M' | 'm') => (&t[..t.len() - 1], 1e6),
        Some('B' | 'b' | 'G' | 'g') => (&t[..t.len() - 1], 1e9),
        Some('T' | 't') => (&t[..t.len() - 1], 1e12),
        _ => (t.as_str(), 1.0),
    };
    digits.parse::<f64>().map(|x| x * scale).map_err(|_| {
        format!("`{text}`: a number, optionally with e-notation or a k/M/B/T suffix (15T, 2.5M, 1e9)")
    })
}

/// A `u64` count on the command line.
pub fn parse_u64(text: &str) -> Result<u64, String> {
    parse_count(text, u64::MAX)
}

/// A `u32` count on the command line.
pub fn parse_u32(text: &str) -> Result<u32, String> {
    parse_count(text, u64::from(u32::MAX)).map(|v| u32::try_from(v).unwrap_or(u32::MAX))
}

/// A `usize` count on the command line.
pub fn parse_usize(text: &str) -> Result<usize, String> {
    parse_count(text, usize::MAX as u64).map(|v| usize::try_from(v).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_exponents() {
        assert_eq!(parse_u64("4096"), Ok(4096));
        assert_eq!(parse_u64("1e9"), Ok(1_000_000_000));
        assert_eq!(parse_u64("2T"), Ok(2_000_000_000_000));
        assert_eq!(parse_u64("1.5k"), Ok(1500));
        assert_eq!(parse_u64("10M"), Ok(10_000_000));
        assert_eq!(parse_u64("1_000"), Ok(1000));
        assert_eq!(parse_u64("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("15T"), Ok(15e12));
        assert_eq!(parse_amount("2.5M"), Ok(2.5e6));
        assert_eq!(parse_amount("-5"), Ok(-5.0));
        assert_eq!(parse_amount("3e11"), Ok(3e11));
        assert!(parse_amount("lots").is_err());
    }

    #[test]
    fn fractions_negatives_and_overflow_are_refused() {
        for bad in ["1.5", "-3", "2e30", "nan", "inf", "", "k", "1.2345k"] {
            assert!(parse_u64(bad).is_err(), "{bad}");
        }
        assert!(parse_u32("5e9").is_err());
        assert!(parse_u32("4294967295").is_ok());
    }
}
