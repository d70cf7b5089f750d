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

/// A model from a catalog id, a `config.json` or a TOML file with one `[[model]]`.
pub(crate) fn model(c: &Catalog, arg: &str) -> Result<ModelSpec, CliError> {
    let path = Path::new(arg);
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

thread_local! {
    /// When set, stdout output of this thread's command goes here (the web server runs the
    /// same commands and returns their output as the response).
    static CAPTURE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with its stdout output captured; returns the result and the output.
#[cfg_attr(not(feature = "web"), allow(dead_code))]
pub(crate) fn captured<T>(f: impl FnOnce() -> T) -> (T, String) {
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    let out = f();
    let text = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, text)
}

/// Writes `text` to stdout, or to `path` through a temporary file renamed into place so no
/// partial file is ever left behind.
pub(crate) fn emit(text: &str, path: Option<&Path>) -> Result<(), CliError> {
    let taken = CAPTURE.with(|c| {
        let mut c = c.borrow_mut();
        c.as_mut().map(|buf| buf.push_str(text)).is_some()
    });
    if taken && path.is_none() {
        return Ok(());
    }
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
