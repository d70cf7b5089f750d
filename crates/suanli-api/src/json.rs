//! The JSON front door shared by the HTTP server, the Python package and the browser build:
//! a command name and a JSON body in, the same JSON as `suanli <command> -f json` out.
//!
//! Bodies are checked against the request type's JSON Schema first (an unknown field or a
//! missing one is named exactly), then deserialized with the failing field's path.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use suanli_core::Catalog;
use suanli_report::{CatalogKind, Format};

use crate::error::{ApiError, ApiResult, InputError};

/// Old field names still accepted: (old, current).
pub const ALIASES: [(&str, &str); 2] = [("input", "input_tokens"), ("output", "output_tokens")];

/// A failed call: an HTTP-style status, the field at fault and, for an answer that is not a
/// solution (422), the answer itself.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    /// 400 bad input, 404 unknown command, 422 no solution.
    pub status: u16,
    /// The request field at fault.
    pub field: Option<String>,
    /// What went wrong, in the request's terms.
    pub message: String,
    /// 422 only: the answer (JSON) that does not work out.
    pub answer: Option<Value>,
}

impl CallError {
    /// `{"error": {"kind", "field", "message"}, "result"?}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let kind = match self.status {
            422 => "infeasible",
            404 => "not_found",
            _ => "input",
        };
        let mut v =
            serde_json::json!({ "error": { "kind": kind, "field": self.field, "message": self.message } });
        if let Some(a) = &self.answer {
            v["result"] = a.clone();
        }
        v
    }
}

impl From<ApiError> for CallError {
    fn from(e: ApiError) -> Self {
        let status = if matches!(e, ApiError::Infeasible(_)) { 422 } else { 400 };
        CallError { status, field: e.field_name().map(str::to_string), message: e.message(), answer: None }
    }
}

fn bad(field: Option<String>, message: String) -> ApiError {
    ApiError::Input(InputError { field, value: None, expected: message, origin: None })
}

fn schema_of<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default()
}

/// A request type's field names and its required ones.
type Fields = (Vec<String>, Vec<String>);

/// The field names of `T` and the required ones, from its JSON Schema (computed once per type).
fn fields_of<T: JsonSchema + 'static>() -> Arc<Fields> {
    static CACHE: OnceLock<Mutex<HashMap<TypeId, Arc<Fields>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&TypeId::of::<T>()).cloned()) {
        return hit;
    }
    let schema = schema_of::<T>();
    let known: Vec<String> =
        schema["properties"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let required: Vec<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect();
    let entry = Arc::new((known, required));
    if let Ok(mut c) = cache.lock() {
        c.insert(TypeId::of::<T>(), Arc::clone(&entry));
    }
    entry
}

/// A request of type `T` from a JSON value.
///
/// # Errors
/// The body is not an object, a field is unknown or missing, or a value has the wrong type
/// or range for its field (the field's path is named).
pub fn parse<T: DeserializeOwned + JsonSchema + 'static>(v: Value) -> Result<T, ApiError> {
    let Value::Object(map) = &v else {
        return Err(bad(None, "the body must be a JSON object".into()));
    };
    let fields = fields_of::<T>();
    let (known, required) = (&fields.0, &fields.1);
    let alias_of = |k: &str| ALIASES.iter().find(|(old, _)| *old == k).map(|(_, new)| *new);
    if let Some(k) =
        map.keys().find(|k| !known.contains(k) && alias_of(k).is_none_or(|n| !known.iter().any(|x| x == n)))
    {
        return Err(bad(
            Some(k.clone()),
            format!("not a field of this request; the accepted fields are {}", known.join(", ")),
        ));
    }
    let given = |f: &str| map.contains_key(f) || map.keys().any(|k| alias_of(k) == Some(f));
    if let Some(f) = required.iter().find(|f| !given(f)) {
        return Err(bad(Some(f.to_string()), "missing required field".to_string()));
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != "." && !path.is_empty()).then_some(path);
        bad(field, e.inner().to_string())
    })
}

/// `validate`: predictions against the published measurements.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// Which set: all (default), gpt3-compute, published-params, training, inference, or
    /// `published` (the published measurements: training, inference, fine-tuning, memory).
    #[serde(default)]
    pub set: Option<String>,
    /// Every row, not only the summary (always on for a single set).
    #[serde(default)]
    pub rows: bool,
}

/// `catalog`: entries with their sources.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogRequest {
    /// accelerators, servers or models (a list); omit with `id`.
    #[serde(default)]
    pub kind: Option<String>,
    /// One entry by id or alias, every figure with its source.
    #[serde(default)]
    pub id: Option<String>,
}

/// A scenario (`plan`) or claims file (`audit`): TOML text or a JSON object of the same keys.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    /// The document: TOML text, or an object with the same keys.
    pub document: Value,
}

impl DocumentRequest {
    fn text(&self) -> String {
        match &self.document {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

/// The validation report.
pub fn validate(catalog: &Catalog, r: &ValidateRequest) -> ApiResult<suanli_core::validation::Report> {
    let sets = ["all", "gpt3-compute", "published-params", "training", "inference", "published"];
    let set = crate::input::choice("set", r.set.as_deref(), &sets)?;
    let mut rep = suanli_core::validation::report(catalog);
    if set != "all" {
        rep.rows.retain(|x| x.set == set);
        rep.summaries.retain(|x| x.set == set);
        rep.pending.clear();
    }
    Ok(crate::Reply::ok(rep))
}

fn render_err(e: serde_json::Error) -> CallError {
    CallError { status: 422, field: None, message: format!("answer: {e}"), answer: None }
}

/// A planner's reply as its JSON text, or the failure: bad input (400), or an answer that is not
/// a solution (422, the answer riding along). Every front end that answers in JSON uses this.
///
/// # Errors
/// The [`CallError`] of the reply.
pub fn answer<T>(
    r: ApiResult<T>,
    render: impl FnOnce(&T) -> Result<String, serde_json::Error>,
) -> Result<String, CallError> {
    let r = r?;
    let text = render(&r.answer).map_err(render_err)?;
    match r.infeasible {
        None => Ok(text),
        Some(why) => Err(CallError {
            status: 422,
            field: None,
            message: why,
            answer: serde_json::from_str(&text).ok(),
        }),
    }
}

/// Answers `command` for a JSON `body`: the same JSON as `suanli <command> -f json`.
///
/// # Errors
/// [`CallError`] with status 400 (bad input), 404 (no such command) or 422 (no solution).
pub fn call(catalog: &Catalog, command: &str, body: Value) -> Result<String, CallError> {
    let j = Format::Json;
    match command {
        "flops" => answer(crate::flops(catalog, &parse(body)?), |d| suanli_report::render_arithmetic(d, j)),
        "infer" => answer(crate::infer(catalog, &parse(body)?), |d| suanli_report::render_infer(d, j)),
        "train" => {
            answer(crate::train(catalog, &parse(body)?, &|_, _| {}), |d| suanli_report::render_train(d, j))
        }
        "finetune" => {
            answer(crate::finetune(catalog, &parse(body)?), |d| suanli_report::render_finetune(d, j))
        }
        "serve" => answer(crate::serve(catalog, &parse(body)?), |d| suanli_report::render_serve(d, j)),
        "simulate" => answer(crate::simulate(catalog, &parse(body)?), |d| suanli_report::render_sim(d, j)),
        "sweep" => {
            let s = crate::sweep(catalog, &parse(body)?)?;
            let rows: Vec<Value> = s.rows(catalog).filter_map(|r| serde_json::to_value(r).ok()).collect();
            let v = serde_json::json!({ "schema_version": suanli_report::JSON_SCHEMA_VERSION, "kind": "sweep", "rows": rows });
            Ok(v.to_string())
        }
        "plan" => {
            let d: DocumentRequest = parse(body)?;
            let renamed = |e: ApiError| match e {
                ApiError::Input(mut i) if i.field.as_deref() == Some("scenario") => {
                    i.field = Some("document".into());
                    ApiError::Input(i)
                }
                other => other,
            };
            let s = crate::scenario(&d.text(), "document").map_err(renamed)?;
            answer(crate::plan(catalog, &s, "document").map_err(renamed), |r| {
                suanli_report::render_plan(r, j)
            })
        }
        "audit" => {
            let d: DocumentRequest = parse(body)?;
            answer(crate::audit(&d.text(), "document"), |a| {
                suanli_report::render_audit(a.title.as_deref(), &a.results, j)
            })
        }
        "validate" => {
            let r: ValidateRequest = parse(body)?;
            if r.set.as_deref() == Some("published") {
                let rep = crate::published_report(catalog);
                return suanli_report::render_published(&rep, r.rows, j).map_err(render_err);
            }
            let rows = r.rows || r.set.as_deref().is_some_and(|s| s != "all");
            answer(validate(catalog, &r), |rep| suanli_report::render_validation(rep, rows, j))
        }
        "catalog" => {
            let r: CatalogRequest = parse(body)?;
            let text = match (&r.id, r.kind.as_deref()) {
                (Some(id), None) => {
                    suanli_report::catalog_entry(catalog, id, j).map_err(|e| ApiError::from(e).at("id"))?
                }
                (None, Some(k)) => {
                    let kind = match crate::input::choice(
                        "kind",
                        Some(k),
                        &["accelerators", "servers", "models"],
                    )? {
                        "accelerators" => CatalogKind::Accelerators,
                        "servers" => CatalogKind::Servers,
                        _ => CatalogKind::Models,
                    };
                    suanli_report::catalog_list(catalog, kind, j).map_err(render_err)?
                }
                _ => {
                    return Err(ApiError::field(
                        "kind",
                        "give kind (accelerators, servers, models) or id, one of them",
                    )
                    .into());
                }
            };
            Ok(text)
        }
        other => Err(CallError {
            status: 404,
            field: None,
            message: format!(
                "no command `{other}`: flops, infer, train, finetune, serve, simulate, sweep, plan, audit, validate, catalog"
            ),
            answer: None,
        }),
    }
}
