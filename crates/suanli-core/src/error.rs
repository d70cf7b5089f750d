//! The core's error type. Every variant names the input (file, key) and the offending value.

use std::fmt;

/// What went wrong with an input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A TOML or JSON document that does not parse, or does not match the expected shape.
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        /// The file (or `built-in catalog`, `request body`…).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// An id that is not in the catalog.
    #[error("unknown {kind} `{id}`{}", Suggestions(.suggestions))]
    UnknownId {
        /// `model`, `accelerator`, `server`.
        kind: &'static str,
        /// What was asked for.
        id: String,
        /// The nearest ids in the catalog.
        suggestions: Vec<String>,
    },
    /// A required key is absent.
    #[error("{origin}: missing required key `{key}`")]
    MissingKey {
        /// The file.
        origin: String,
        /// The key, dotted.
        key: String,
    },
    /// A value outside what is accepted.
    #[error("{origin}: `{key}` = {value}: {expected}")]
    InvalidValue {
        /// The file or input.
        origin: String,
        /// The key, dotted.
        key: String,
        /// The value as given.
        value: String,
        /// What is accepted.
        expected: String,
    },
}

struct Suggestions<'a>(&'a [String]);

impl fmt::Display for Suggestions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        let quoted: Vec<String> = self.0.iter().map(|s| format!("`{s}`")).collect();
        write!(f, "; did you mean {}?", quoted.join(", "))
    }
}

impl Error {
    /// An [`Error::InvalidValue`].
    pub fn invalid(
        origin: impl Into<String>,
        key: impl Into<String>,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        // Errors are one line: a quoted value's line breaks are written as `\n`.
        let one_line = |s: String| {
            if s.contains(['\n', '\r']) { s.replace('\r', "\\r").replace('\n', "\\n") } else { s }
        };
        Error::InvalidValue {
            origin: origin.into(),
            key: one_line(key.into()),
            value: one_line(value.to_string()),
            expected: one_line(expected.into()),
        }
    }

    /// Builds a [`Error::Syntax`] from a byte span in `text`.
    #[must_use]
    pub fn at_offset(origin: &str, text: &str, offset: usize, message: &str) -> Self {
        let (line, column) = line_column(text, offset);
        Error::Syntax { origin: origin.to_string(), line, column, message: one_line(message) }
    }

    /// From a TOML deserialisation error.
    #[must_use]
    pub fn from_toml(origin: &str, text: &str, err: &toml::de::Error) -> Self {
        let offset = err.span().map_or(0, |s| s.start);
        Error::at_offset(origin, text, offset, err.message())
    }

    /// From a JSON deserialisation error.
    #[must_use]
    pub fn from_json(origin: &str, err: &serde_json::Error) -> Self {
        Error::Syntax {
            origin: origin.to_string(),
            line: err.line(),
            column: err.column(),
            message: one_line(&strip_json_position(&err.to_string())),
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn unknown_id_lists_suggestions() {
        let e = Error::UnknownId {
            kind: "accelerator",
            id: "h10".into(),
            suggestions: vec!["h100-sxm".into(), "h20".into()],
        };
        assert_eq!(e.to_string(), "unknown accelerator `h10`; did you mean `h100-sxm`, `h20`?");
    }
}
