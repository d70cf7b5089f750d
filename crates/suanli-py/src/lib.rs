//! `suanli._suanli`: the extension module under the `suanli` Python package.
//!
//! Deliberately thin: a command name and a JSON body go to [`suanli_api::json::call`], the
//! same front door as the HTTP API, and its JSON answer (exactly `suanli <command> -f json`)
//! comes back as a string. The Python wrapper (`python/suanli/__init__.py`) builds the body
//! from keyword arguments, reads files and turns a [`CallError`](suanli_api::json::CallError)
//! into `suanli.InputError` or `suanli.Infeasible`.
//!
//! The work runs with the interpreter detached (other Python threads go on) and inside
//! `catch_unwind`: a panic becomes an exception with status 500, never an abort.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use schemars::JsonSchema;
use serde_json::Value;
use suanli_api::json::{CallError as ApiCallError, CatalogRequest, DocumentRequest, ValidateRequest};
use suanli_api::{ApiError, InputError};
use suanli_core::Catalog;
use suanli_core::model::{ModelSpec, from_hf_config};

create_exception!(
    _suanli,
    CallError,
    PyException,
    "A failed call: args are (status, field, message, answer_json). The `suanli` package turns \
     it into InputError (400, 404), Infeasible (422) or InternalError (500)."
);

/// One user catalog file: where it came from, its format (`toml` or `json`) and its text.
type CatalogFile = (String, String, String);

fn input_error(field: &str, message: String) -> ApiCallError {
    ApiCallError { status: 400, field: Some(field.to_string()), message, answer: None }
}

/// The built-in catalog with the user's files merged and each checked, as `--catalog` does.
/// Every error names the `catalog` argument; the message names the file and key.
fn catalog(files: &[CatalogFile]) -> Result<Catalog, ApiCallError> {
    let core = |e: suanli_core::Error| input_error("catalog", ApiError::from(e).message());
    let mut c = Catalog::builtin().map_err(core)?;
    for (origin, format, text) in files {
        let text = match format.as_str() {
            "toml" => text.clone(),
            "json" => {
                let v: Value = serde_json::from_str(text)
                    .map_err(|e| input_error("catalog", format!("{origin}: not JSON: {e}")))?;
                toml::to_string(&v).map_err(|e| {
                    input_error(
                        "catalog",
                        format!("{origin}: not a catalog (tables of values, no None): {e}"),
                    )
                })?
            }
            other => return Err(input_error("catalog", format!("{origin}: unknown format {other}"))),
        };
        c.merge_toml(&text, origin).map_err(core)?;
        c.check(origin).map_err(core)?;
    }
    Ok(c)
}

/// A model file the wrapper read (a `config.json`, or TOML with one `[[model]]`): its path as
/// the request names it, and its text.
type ModelFile = (String, String);

/// Parses a model file as `--model FILE` does, so the model gets the same id (the snapshot
/// folder's name, or the file's stem) and the answer reads as the CLI's.
fn model_spec(origin: &str, text: &str) -> Result<ModelSpec, ApiCallError> {
    let field = |e: suanli_core::Error| input_error("model", ApiError::from(e).message());
    if origin.to_ascii_lowercase().ends_with(".toml") {
        let mut own = Catalog::default();
        own.merge_toml(text, origin).map_err(field)?;
        return match own.models.as_slice() {
            [m] => {
                m.check().map_err(|(k, msg)| {
                    field(suanli_core::Error::invalid(origin, format!("model.{k}"), "(shape)", msg))
                })?;
                Ok(m.clone())
            }
            other => Err(input_error(
                "model",
                format!("{origin}: expected exactly one [[model]], found {}", other.len()),
            )),
        };
    }
    from_hf_config(text, origin).map_err(field)
}

/// Adds each model file to `c` and puts its id where the body's `model` (one or a list) names
/// its path.
fn add_models(c: &mut Catalog, body: &mut Value, files: &[ModelFile]) -> Result<(), ApiCallError> {
    for (origin, text) in files {
        let spec = model_spec(origin, text)?;
        let id = spec.id.clone();
        c.models.retain(|m| m.id != id);
        c.models.insert(0, spec);
        let named = |v: &Value| v.as_str() == Some(origin.as_str());
        match body.get_mut("model") {
            Some(Value::Array(items)) => {
                items.iter_mut().filter(|v| named(v)).for_each(|v| *v = Value::String(id.clone()));
            }
            Some(v) if named(v) => *v = Value::String(id.clone()),
            _ => {}
        }
    }
    Ok(())
}

fn answer(
    command: &str,
    body: &str,
    files: &[CatalogFile],
    models: &[ModelFile],
) -> Result<String, ApiCallError> {
    let mut body: Value = serde_json::from_str(body).map_err(|e| {
        ApiCallError::from(ApiError::Input(InputError {
            field: None,
            value: None,
            expected: format!("the request is not JSON: {e}"),
            origin: None,
        }))
    })?;
    let mut c = catalog(files)?;
    add_models(&mut c, &mut body, models)?;
    suanli_api::json::call(&c, command, body)
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

fn raise(e: ApiCallError) -> PyErr {
    let answer = e.answer.as_ref().map(Value::to_string);
    CallError::new_err((e.status, e.field, e.message, answer))
}

/// Runs `work` with the interpreter detached and panics caught: a panic is a status-500
/// [`CallError`] naming itself, never an abort of the Python process.
fn guarded(py: Python<'_>, work: impl FnOnce() -> Result<String, ApiCallError> + Send) -> PyResult<String> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(work))) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(raise(e)),
        Err(p) => Err(raise(ApiCallError {
            status: 500,
            field: None,
            message: format!("internal error in suanli (please report it): {}", panic_message(&*p)),
            answer: None,
        })),
    }
}

/// Answers `command` for the JSON request `body` over the built-in catalog plus `catalogs`
/// ((origin, "toml" | "json", text) each) and `models` ((path, text) each, named by path in
/// the body's `model`); returns the JSON answer text.
#[pyfunction]
#[pyo3(signature = (command, body, catalogs = Vec::new(), models = Vec::new()))]
fn call(
    py: Python<'_>,
    command: &str,
    body: &str,
    catalogs: Vec<CatalogFile>,
    models: Vec<ModelFile>,
) -> PyResult<String> {
    guarded(py, || answer(command, body, &catalogs, &models))
}

/// Panics inside the guard, for the test that a panic becomes an exception.
#[pyfunction]
fn _panic_for_tests(py: Python<'_>) -> PyResult<String> {
    #[allow(clippy::panic)]
    guarded(py, || panic!("a test panic"))
}

fn schema_of<T: JsonSchema>() -> String {
    serde_json::to_string(&schemars::schema_for!(T)).unwrap_or_default()
}

/// The JSON Schema of `command`'s request (its fields, types and descriptions).
#[pyfunction]
fn schema(command: &str) -> PyResult<String> {
    use suanli_api::*;
    Ok(match command {
        "flops" => schema_of::<FlopsRequest>(),
        "infer" => schema_of::<InferRequest>(),
        "train" => schema_of::<TrainRequest>(),
        "finetune" => schema_of::<FinetuneRequest>(),
        "serve" => schema_of::<ServeRequest>(),
        "simulate" => schema_of::<SimulateRequest>(),
        "sweep" => schema_of::<SweepRequest>(),
        "plan" | "audit" => schema_of::<DocumentRequest>(),
        "validate" => schema_of::<ValidateRequest>(),
        "catalog" => schema_of::<CatalogRequest>(),
        other => {
            return Err(raise(ApiCallError {
                status: 404,
                field: None,
                message: format!("no command `{other}`"),
                answer: None,
            }));
        }
    })
}

#[pymodule]
fn _suanli(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(call, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add("CallError", m.py().get_type::<CallError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CHATGPT_2023", suanli_core::scenario::CHATGPT_2023)?;
    Ok(())
}
