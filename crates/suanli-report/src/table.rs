//! A minimal text table: aligned columns for terminals, pipe tables for Markdown.

/// Rows of cells under headers.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

fn width(s: &str) -> usize {
    s.chars().count()
}

impl Table {
    /// A table with these headers; columns whose header starts with `>` are right-aligned
    /// (the `>` is dropped).
    #[must_use]
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.trim_start_matches('>').to_string()).collect(),
            right: headers.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are blank, extra cells dropped).
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut r: Vec<String> = cells.into_iter().map(Into::into).collect();
        r.resize(self.headers.len(), String::new());
        self.rows.push(r);
    }

    /// Whether the table has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Aligned text with a rule under the headers.
    #[must_use]
    pub fn to_text(&self) -> String {
        let n = self.headers.len();
        let mut w: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate() {
                w[i] = w[i].max(width(c));
            }
        }
        let line = |cells: &[String]| -> String {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                let pad = w[i] - width(c);
                if self.right[i] {
                    out.push_str(&" ".repeat(pad));
                    out.push_str(c);
                } else {
                    out.push_str(c);
                    if i + 1 < n {
                        out.push_str(&" ".repeat(pad));
                    }
                }
                if i + 1 < n {
                    out.push_str("  ");
                }
            }
            out.trim_end().to_string()
        };
        let mut s = line(&self.headers);
        s.push('\n');
        let rule: Vec<String> = w.iter().map(|k| "-".repeat(*k)).collect();
        s.push_str(&line(&rule));
        s.push('\n');
        for r in &self.rows {
            s.push_str(&line(r));
            s.push('\n');
        }
        s
    }

    /// RFC 4180 CSV: a header row, then the rows; fields with commas, quotes or newlines
    /// are quoted.
    #[must_use]
    pub fn to_csv(&self) -> String {
        let field = |c: &str| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        };
        let line = |cells: &[String]| cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",") + "\n";
        let mut s = line(&self.headers);
        for r in &self.rows {
            s.push_str(&line(r));
        }
        s
    }

    /// A GitHub-flavoured Markdown table.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let esc = |c: &str| c.replace('|', "\\|");
        let mut s = format!("| {} |\n", self.headers.iter().map(|h| esc(h)).collect::<Vec<_>>().join(" | "));
        let rule: Vec<&str> = self.right.iter().map(|r| if *r { "---:" } else { "---" }).collect();
        s.push_str(&format!("| {} |\n", rule.join(" | ")));
        for r in &self.rows {
            s.push_str(&format!("| {} |\n", r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_and_escapes() {
        let mut t = Table::new(&["name", ">value"]);
        t.row(["a", "1"]);
        t.row(["long|name", "1,000"]);
        assert_eq!(t.to_text(), "name       value\n---------  -----\na              1\nlong|name  1,000\n");
        assert!(t.to_markdown().contains("long\\|name"));
        assert!(t.to_markdown().contains("| --- | ---: |"));
        assert_eq!(t.to_csv(), "name,value\na,1\nlong|name,\"1,000\"\n");
    }
}
