//! File input and output: reading inputs with the path in errors, writing outputs whole.

use std::io::Write;
use std::path::Path;

use suanli_core::model::{ModelSpec, from_hf_config};
use suanli_core::{Catalog, Error};

/// A failure of the CLI: an input error (exit 2) or an I/O error writing output (exit 1).
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad input: a file, a value, an id.
    Input(String),
    /// Output could not be written.
    Output(String),
    /// The input is valid but has no answer (a layout that does not fit, a deadline no
    /// layout meets).
    Infeasible(String),
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<suanli_api::ApiError> for CliError {
    fn from(e: suanli_api::ApiError) -> Self {
        match e {
            suanli_api::ApiError::Input(i) => CliError::Input(i.message_with(flag)),
            suanli_api::ApiError::Infeasible(m) => CliError::Infeasible(m),
        }
    }
}

/// A request field as the command line spells it (`max_ttft` → `--max-ttft`); a nested
/// path (`model_config.hidden_size`) is kept as it is.
pub(crate) fn flag(field: &str) -> String {
    if field.contains('.') { field.to_string() } else { format!("--{}", field.replace('_', "-")) }
}

impl From<serde_json::Error> for CliError {
    fn from(e: serde_json::Error) -> Self {
        CliError::Output(format!("cannot serialise output: {e}"))
    }
}

/// Reads a UTF-8 text file, naming the path on failure.
pub(crate) fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))
}

/// The built-in catalog with the user's files merged and checked.
pub(crate) fn catalog(files: &[std::path::PathBuf]) -> Result<Catalog, CliError> {
    let mut c = Catalog::builtin()?;
    for f in files {
        let origin = f.display().to_string();
        c.merge_toml(&read(f)?, &origin)?;
        c.check(&origin)?;
    }
    Ok(c)
}

/// Whether a `--model` value names a file or folder rather than a catalog id.
fn names_a_file(arg: &str) -> bool {
    let path = Path::new(arg);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    ext.eq_ignore_ascii_case("json") || ext.eq_ignore_ascii_case("toml") || path.is_dir()
}

/// Resolves a `--model` that names a file (a `config.json`, a snapshot folder holding one, a
/// TOML file with one `[[model]]`) into `c`, so the request carries only an id.
pub(crate) fn model_ref(c: &mut Catalog, arg: &mut Option<String>) -> Result<(), CliError> {
    let Some(a) = arg.as_deref().filter(|a| names_a_file(a)) else { return Ok(()) };
    let spec = model(c, a)?;
    *arg = Some(add_model(c, spec));
    Ok(())
}

/// Adds (or replaces) a model in `c`; returns its id.
pub(crate) fn add_model(c: &mut Catalog, spec: ModelSpec) -> String {
    let id = spec.id.clone();
    c.models.retain(|m| m.id != id);
    c.models.insert(0, spec);
    id
}

/// A model from a catalog id, a `config.json` (or a snapshot folder holding one) or a TOML
/// file with one `[[model]]`.
pub(crate) fn model(c: &Catalog, arg: &str) -> Result<ModelSpec, CliError> {
    let path = Path::new(arg);
    if path.is_dir() {
        let cfg = path.join("config.json");
        if !cfg.is_file() {
            return Err(CliError::Input(format!(
                "{arg}: a snapshot folder must hold a config.json (none found)"
            )));
        }
        return Ok(from_hf_config(&read(&cfg)?, &cfg.display().to_string())?);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext.eq_ignore_ascii_case("json") {
        return Ok(from_hf_config(&read(path)?, arg)?);
    }
    if ext.eq_ignore_ascii_case("toml") {
        let mut own = Catalog::default();
        own.merge_toml(&read(path)?, arg)?;
        return match own.models.as_slice() {
            [m] => {
                m.check().map_err(|(k, msg)| Error::invalid(arg, format!("model.{k}"), "(shape)", msg))?;
                Ok(m.clone())
            }
            other => {
                Err(CliError::Input(format!("{arg}: expected exactly one [[model]], found {}", other.len())))
            }
        };
    }
    Ok(c.model(arg)?.clone())
}

/// Writes `text` to stdout, or to `path` through a temporary file renamed into place so no
/// partial file is ever left behind.
pub(crate) fn emit(text: &str, path: Option<&Path>) -> Result<(), CliError> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| CliError::Output(format!("cannot write to stdout: {e}"))),
            }
        }
        Some(p) => {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("output");
            let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
            let result = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, p));
            if let Err(e) = result {
                let _ = std::fs::remove_file(&tmp);
                return Err(CliError::Output(format!("cannot write {}: {e}", p.display())));
            }
            Ok(())
        }
    }
}
