//! HTTP errors: a status and `{"error": {"field", "message"}}`, built from the library's typed
//! errors. Messages speak of request fields, never of command-line flags or server paths.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use suanli_api::ApiError;

/// An HTTP error.
#[derive(Debug, Clone)]
pub(crate) struct HttpError {
    pub status: StatusCode,
    pub field: Option<String>,
    pub message: String,
    /// The answer that did not work out (422 only: a layout that does not fit still shows why).
    pub result: Option<Value>,
}

impl HttpError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> HttpError {
        HttpError { status, field: None, message: message.into(), result: None }
    }

    pub(crate) fn bad(field: Option<String>, message: impl Into<String>) -> HttpError {
        HttpError { status: StatusCode::BAD_REQUEST, field, message: message.into(), result: None }
    }
}

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> Self {
        suanli_api::json::CallError::from(e).into()
    }
}

impl From<suanli_api::json::CallError> for HttpError {
    fn from(e: suanli_api::json::CallError) -> Self {
        HttpError {
            status: StatusCode::from_u16(e.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            field: e.field,
            message: e.message,
            result: e.answer,
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": { "field": self.field, "message": self.message } });
        if let Some(r) = self.result {
            body["result"] = r;
        }
        json(self.status, &body)
    }
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
