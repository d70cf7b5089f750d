//! "Did you mean …?": nearest ids by edit distance.

/// Levenshtein distance between two strings, by characters.
#[must_use]
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Up to three candidates nearest to `query`: those containing it or contained in it first,
/// then by edit distance, keeping only plausible matches.
#[must_use]
pub fn nearest<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let q = query.to_ascii_lowercase();
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| {
            let lc = c.to_ascii_lowercase();
            let d = if !q.is_empty() && (lc.contains(&q) || q.contains(&lc)) {
                0
            } else {
                edit_distance(&q, &lc)
            };
            (d, c)
        })
        .filter(|(d, c)| *d <= (c.len().max(q.len()) / 2).max(2))
        .collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("h100", "h100"), 0);
    }

    #[test]
    fn nearest_prefers_containment_then_distance() {
        let ids = ["h100-sxm", "h800-sxm", "h200", "a100-sxm-80gb", "mi300x"];
        assert_eq!(nearest("h100", ids), vec!["h100-sxm", "h200"]);
        assert_eq!(nearest("mi300", ids)[0], "mi300x");
        assert!(nearest("zzzzzzzzzzzz", ids).is_empty());
    }
}
