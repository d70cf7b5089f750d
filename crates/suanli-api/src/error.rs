//! Typed errors: bad input names the request field it is about; an infeasible request says
//! why it has no answer. No error is ever guessed from message text.

use std::fmt;

/// Bad input: the field (a dotted request path such as `tp` or `layout.tp`), the value as
/// given and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The request field at fault, if one is.
    pub field: Option<String>,
    /// The value as given.
    pub value: Option<String>,
    /// What is accepted (or, without a field, the whole message).
    pub expected: String,
    /// The document the value came from when it is not the request itself (a scenario or
    /// catalog file, `model_config`).
    pub origin: Option<String>,
}

impl InputError {
    /// The message with the field written by `name` (the CLI writes `tp` as `--tp`).
    #[must_use]
    pub fn message_with(&self, name: impl Fn(&str) -> String) -> String {
        let body = match (&self.field, &self.value) {
            (Some(f), Some(v)) => format!("`{}` = {v}: {}", name(f), self.expected),
            (Some(f), None) => format!("`{}`: {}", name(f), self.expected),
            _ => self.expected.clone(),
        };
        match &self.origin {
            Some(o) => format!("{o}: {body}"),
            None => body,
        }
    }

    /// The message as the request's own fields name it.
    #[must_use]
    pub fn message(&self) -> String {
        self.message_with(str::to_string)
    }
}

/// Why a request has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// Bad input (exit 2, HTTP 400).
    Input(InputError),
    /// Valid input that has no answer: a layout that does not fit, targets no fleet meets
    /// (exit 1, HTTP 422).
    Infeasible(String),
}

/// A value as an error line shows it: a number too large or too small to read in full
/// (`1e300` prints 301 digits) in scientific notation, anything else as given.
fn shown(value: &str) -> String {
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() && x != 0.0 && (x.abs() >= 1e15 || x.abs() < 1e-6) && value.len() > 16 => {
            format!("{x:e}")
        }
        _ => value.to_string(),
    }
}

impl ApiError {
    /// `field` = `value`: `expected`.
    pub fn invalid(field: &str, value: impl fmt::Display, expected: impl Into<String>) -> ApiError {
        ApiError::Input(InputError {
            field: Some(field.to_string()),
            value: Some(shown(&value.to_string())),
            expected: expected.into(),
            origin: None,
        })
    }

    /// A problem with `field` as a whole (missing, conflicting).
    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::Input(InputError {
            field: Some(field.to_string()),
            value: None,
            expected: message.into(),
            origin: None,
        })
    }

    /// Attributes an input error that names no field to `field` (a catalog lookup knows
    /// which field it looked up).
    #[must_use]
    pub fn at(self, field: &str) -> ApiError {
        match self {
            ApiError::Input(mut e) if e.field.is_none() => {
                e.field = Some(field.to_string());
                ApiError::Input(e)
            }
            other => other,
        }
    }

    /// The request field at fault, if any.
    #[must_use]
    pub fn field_name(&self) -> Option<&str> {
        match self {
            ApiError::Input(e) => e.field.as_deref(),
            ApiError::Infeasible(_) => None,
        }
    }

    /// The message as the request's fields name them.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            ApiError::Input(e) => e.message(),
            ApiError::Infeasible(m) => m.clone(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ApiError {}

/// A command-line style key (`--max-ttft`, `model.layers`) as a request field (`max_ttft`).
fn field_of_key(key: &str) -> String {
    key.trim_start_matches('-').replace('-', "_")
}

impl From<suanli_core::Error> for ApiError {
    fn from(e: suanli_core::Error) -> Self {
        use suanli_core::Error as E;
        let origin = |o: &str| (o != "request").then(|| o.to_string());
        ApiError::Input(match e {
            E::InvalidValue { origin: o, key, value, expected } => InputError {
                field: Some(field_of_key(&key)),
                value: Some(value),
                expected,
                origin: origin(&o),
            },
            E::MissingKey { origin: o, key } => InputError {
                field: Some(field_of_key(&key)),
                value: None,
                expected: "missing required key".into(),
                origin: origin(&o),
            },
            other @ (E::Syntax { .. } | E::UnknownId { .. }) => {
                InputError { field: None, value: None, expected: other.to_string(), origin: None }
            }
        })
    }
}

/// An answer, and why it is not a solution when it is not one (a fixed layout that does not
/// fit still has a report worth showing: the memory that overflows).
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The answer document.
    pub answer: T,
    /// Set when the answer describes a configuration that does not work.
    pub infeasible: Option<String>,
}

impl<T> Reply<T> {
    /// A solution.
    pub fn ok(answer: T) -> Reply<T> {
        Reply { answer, infeasible: None }
    }
}

/// Result of a planner call.
pub type ApiResult<T> = Result<Reply<T>, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_and_tiny_numbers_are_shown_in_scientific_notation() {
        assert_eq!(shown(&1e300.to_string()), "1e300");
        assert_eq!(shown(&1.5e-20.to_string()), "1.5e-20");
        assert_eq!(shown("0.0000000015"), "0.0000000015");
        assert_eq!(shown("2.5"), "2.5");
        assert_eq!(shown("12345678901234567890"), "1.2345678901234567e19");
        assert_eq!(shown("medusa"), "medusa");
    }

    #[test]
    fn messages_name_the_field_in_the_front_end_s_own_spelling() {
        let e = ApiError::invalid("max_ttft", -1, "a positive number of seconds");
        assert_eq!(e.message(), "`max_ttft` = -1: a positive number of seconds");
        let ApiError::Input(i) = e else { unreachable!() };
        assert_eq!(
            i.message_with(|f| format!("--{}", f.replace('_', "-"))),
            "`--max-ttft` = -1: a positive number of seconds"
        );
    }

    #[test]
    fn core_errors_keep_their_key_as_the_field() {
        let e: ApiError = suanli_core::Error::invalid("request", "--tp", 0, "positive").into();
        assert_eq!(e.field_name(), Some("tp"));
        let e: ApiError =
            suanli_core::Error::UnknownId { kind: "model", id: "x".into(), suggestions: vec![] }.into();
        assert_eq!(e.at("model").field_name(), Some("model"));
    }
}
