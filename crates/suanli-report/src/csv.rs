//! Tidy CSV: one header row, one record per row, raw numbers, units in the column names.
//!
//! A JSON answer becomes one record by flattening nested objects into `parent_child` columns
//! (`ttft_s.p99` → `ttft_s_p99`, `gpu.id` → `gpu_id`); lists of scalars are joined with
//! ` | ` (notes, aliases); other lists (rankings, breakdown rows, CDFs, time series) are left
//! to `-f json`.

use serde_json::Value;

/// `(column, cell)` pairs of `v`, flattened under `prefix`.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    let name = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}_{k}") };
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(&name(k), x, out);
            }
        }
        Value::Array(xs) if !xs.is_empty() && xs.iter().all(Value::is_string) => {
            let cells: Vec<String> = xs.iter().map(scalar).collect();
            out.push((prefix.to_string(), cells.join(" | ")));
        }
        Value::Array(_) => {}
        x => out.push((prefix.to_string(), scalar(x))),
    }
}

/// A scalar as a raw cell: numbers as JSON writes them, strings as they are, null empty.
fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Quotes a cell when it holds a comma, a quote or a line break (RFC 4180).
fn cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn line(cells: impl IntoIterator<Item = String>) -> String {
    let mut s = cells.into_iter().map(|c| cell(&c)).collect::<Vec<_>>().join(",");
    s.push('\n');
    s
}

/// Records (JSON objects) as one table; the columns are the union in first-seen order.
#[must_use]
pub(crate) fn records(rows: &[Value]) -> String {
    let flat: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            flatten("", r, &mut out);
            out
        })
        .collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &flat {
        for (c, _) in row {
            if !columns.contains(c) {
                columns.push(c.clone());
            }
        }
    }
    let mut s = line(columns.iter().cloned());
    for row in &flat {
        s.push_str(&line(
            columns
                .iter()
                .map(|c| row.iter().find(|(k, _)| k == c).map(|(_, v)| v.clone()).unwrap_or_default()),
        ));
    }
    s
}

/// One answer as a one-record table.
#[must_use]
pub(crate) fn record(v: &Value) -> String {
    records(std::slice::from_ref(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_become_columns_and_cells_stay_raw() {
        let v = serde_json::json!({"model": {"id": "x", "params": 7000000000u64}, "ttft_s": {"mean": 0.5, "p99": 1.25},
            "notes": ["a, b", "c"], "search": [{"x": 1}], "cdf": [0.1, 0.2], "cost_usd": null});
        let csv = record(&v);
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("cost_usd,model_id,model_params,notes,ttft_s_mean,ttft_s_p99"));
        assert_eq!(lines.next(), Some(",x,7000000000,\"a, b | c\",0.5,1.25"));
        assert_eq!(lines.next(), None);
    }
}
