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

/// `--calibration FILE`: the file's text, checked here so errors name the file and the field
/// (the library parses it again from the request).
pub(crate) fn calibration(path: Option<&Path>) -> Result<Option<String>, CliError> {
    let Some(path) = path else { return Ok(None) };
    let text = read(path)?;
    suanli_core::calibration::Measured::parse(&text, &path.display().to_string())?;
    Ok(Some(text))
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

/// Writes `text` to stdout, or to `path`:
///
/// - a regular file (or a new one) is written whole: into a temporary created with `O_EXCL`
///   under an unpredictable name in the same directory, given the target's permission bits,
///   synced, then renamed over the target, so a reader sees the old file or the new one and
///   never part of either;
/// - a symbolic link is followed to its final target, which is written as above (the link
///   stays a link);
/// - a device, FIFO or other non-regular file, and any path under `/dev` or `/proc` (such as
///   `/dev/stdout`), is written straight through, never renamed over;
/// - the temporary is removed when writing fails, and on SIGINT or SIGTERM (a signal-hook
///   thread removes it, then the signal takes its default course).
pub(crate) fn emit(text: &str, path: Option<&Path>) -> Result<(), CliError> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|e| CliError::Output(format!("cannot write to stdout: {e}"))),
            }
        }
        Some(p) => output::write(p, text.as_bytes())
            .map_err(|e| CliError::Output(format!("cannot write {}: {e}", p.display()))),
    }
}

/// The file side of [`emit`].
mod output {
    use std::fs::{self, OpenOptions};
    use std::io::{self, Write};
    use std::path::{Path, PathBuf};
    use std::sync::{Mutex, Once};

    /// Temporaries being written, removed by the signal thread on SIGINT/SIGTERM.
    static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    static HANDLER: Once = Once::new();

    /// Most symbolic links followed (as the kernel's ELOOP limit).
    const MAX_LINKS: usize = 40;

    fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
        PENDING.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts, once, the thread that removes pending temporaries on SIGINT and SIGTERM and
    /// then re-raises the signal with its default action (so the exit status says so).
    fn install_handler() {
        HANDLER.call_once(|| {
            use signal_hook::consts::{SIGINT, SIGTERM};
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
                return;
            };
            let _ = std::thread::Builder::new().name("emit-cleanup".into()).spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    for p in pending().drain(..) {
                        let _ = fs::remove_file(p);
                    }
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                    std::process::exit(128 + sig);
                }
            });
        });
    }

    /// A temporary's path, removed from the pending list (and from disk unless renamed) on drop.
    struct Temp {
        path: PathBuf,
        renamed: bool,
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            if !self.renamed {
                let _ = fs::remove_file(&self.path);
            }
            pending().retain(|p| p != &self.path);
        }
    }

    /// Follows symbolic links to the path that is finally written (which may not exist yet).
    fn resolve(p: &Path) -> io::Result<PathBuf> {
        let mut cur = p.to_path_buf();
        for _ in 0..MAX_LINKS {
            match fs::symlink_metadata(&cur) {
                Ok(m) if m.file_type().is_symlink() => {
                    let to = fs::read_link(&cur)?;
                    cur = match cur.parent() {
                        Some(dir) if to.is_relative() => dir.join(to),
                        _ => to,
                    };
                }
                Ok(_) => return Ok(cur),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(cur),
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!("more than {MAX_LINKS} symbolic links")))
    }

    /// 64 unpredictable bits: std's randomly keyed SipHash over the time, the process and a
    /// counter.
    fn random_suffix() -> u64 {
        use std::hash::BuildHasher;
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        std::collections::hash_map::RandomState::new().hash_one((
            nanos,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
        ))
    }

    pub(super) fn write(p: &Path, bytes: &[u8]) -> io::Result<()> {
        // `metadata` follows links as the kernel does (including /proc's fd links, so
        // `/dev/stdout` is the pipe or terminal it names).
        let (target, permissions) = match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
            }
            Ok(m) if !m.is_file() || p.starts_with("/dev") || p.starts_with("/proc") => {
                // A device, FIFO or socket (or a /dev, /proc name such as /dev/stdout, whatever
                // it is redirected to): write through, never rename over it.
                let mut f = OpenOptions::new().write(true).open(p)?;
                return f.write_all(bytes).and_then(|()| f.flush());
            }
            Ok(m) => (fs::canonicalize(p)?, Some(m.permissions())),
            // A new file, or a link to one: created where the links lead.
            Err(e) if e.kind() == io::ErrorKind::NotFound => (resolve(p)?, None),
            Err(e) => return Err(e),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target.file_name().map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        install_handler();
        let (mut temp, mut file) = loop {
            let path = dir.join(format!(".{name}.{:016x}.tmp", random_suffix()));
            // Registered before it exists, so a signal at any moment finds it.
            pending().push(path.clone());
            let temp = Temp { path, renamed: false };
            match OpenOptions::new().write(true).create_new(true).open(&temp.path) {
                Ok(f) => break (temp, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    // Not ours: forget it without removing it.
                    let mut temp = temp;
                    temp.renamed = true;
                }
                Err(e) => {
                    let mut temp = temp;
                    temp.renamed = true;
                    return Err(e);
                }
            }
        };
        if let Some(perm) = permissions {
            file.set_permissions(perm)?;
        }
        file.write_all(bytes)?;
        file.flush()?;
        file.sync_all()?;
        drop(file);
        // Test hook (debug builds only): hold the finished temporary before the rename, so a
        // test can interrupt the write at that moment.
        #[cfg(debug_assertions)]
        if let Some(ms) = std::env::var("SUANLI_TEST_EMIT_PAUSE_MS").ok().and_then(|v| v.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        fs::rename(&temp.path, &target)?;
        temp.renamed = true;
        Ok(())
    }
}

/// Progress on stderr for work that may take more than a second: after a second it shows
/// what is running and for how long (and how far, when `done` is fed), redrawn in place;
/// nothing when stderr is not a terminal or `quiet` is set. Cleared when dropped.
pub(crate) struct Progress {
    state: Option<std::sync::Arc<ProgressState>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

pub(crate) struct ProgressState {
    what: String,
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    stop: std::sync::atomic::AtomicBool,
}

impl Progress {
    /// Starts a progress line for `what` (`total` steps, or 0 when unknown).
    pub(crate) fn start(what: impl Into<String>, total: usize, quiet: bool) -> Progress {
        use std::io::IsTerminal;
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { state: None, thread: None };
        }
        let state = std::sync::Arc::new(ProgressState {
            what: what.into(),
            total,
            done: std::sync::atomic::AtomicUsize::new(0),
            stop: std::sync::atomic::AtomicBool::new(false),
        });
        let s = std::sync::Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            use std::sync::atomic::Ordering::Relaxed;
            let started = std::time::Instant::now();
            let mut shown = false;
            while !s.stop.load(Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(200));
                let secs = started.elapsed().as_secs_f64();
                if secs < 1.0 || s.stop.load(Relaxed) {
                    continue;
                }
                let done = s.done.load(Relaxed);
                let how_far = if s.total > 0 { format!(" {done}/{}", s.total) } else { String::new() };
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{}{how_far} … {secs:.1} s ", s.what);
                let _ = err.flush();
                shown = true;
            }
            if shown {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        });
        Progress { state: Some(state), thread: Some(thread) }
    }

    /// One more step done.
    pub(crate) fn tick(&self) {
        if let Some(s) = &self.state {
            s.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(s) = &self.state {
            s.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
