//! The published files' CSV: `#` comment lines skipped, a header row, fields quoted with `"`
//! where they hold commas (`""` inside a quoted field is one quote).

use std::collections::BTreeMap;

/// One data row, by column name.
#[derive(Debug, Clone, Default)]
pub struct Record {
    fields: BTreeMap<String, String>,
}

impl Record {
    /// The field, trimmed; empty when the column is missing or blank.
    #[must_use]
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", |s| s.trim())
    }

    /// The field as a number, if it is one.
    #[must_use]
    pub fn num(&self, key: &str) -> Option<f64> {
        self.get(key).parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// The field as a positive integer, if it is one.
    #[must_use]
    pub fn int(&self, key: &str) -> Option<u32> {
        self.get(key).parse::<u32>().ok().filter(|v| *v > 0)
    }
}

fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// The rows of a published CSV file.
#[must_use]
pub fn records(text: &str) -> Vec<Record> {
    let mut lines = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    let Some(header) = lines.next() else { return Vec::new() };
    let names = split(header);
    lines.map(|l| Record { fields: names.iter().cloned().zip(split(l)).collect() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_and_quotes() {
        let r = records("# c\na,b,c\n1,\"x, \"\"y\"\"\",3\n");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].get("b"), "x, \"y\"");
        assert_eq!(r[0].num("c"), Some(3.0));
        assert_eq!(r[0].get("d"), "");
    }
}
