//! `suanli plan [FILE]`.

use std::path::Path;

use suanli_core::Catalog;
use suanli_core::scenario::{CHATGPT_2023, Scenario};

use crate::cli::Output;
use crate::io::{self, CliError};

/// A model reference that names a file (`config.json` or a TOML `[[model]]`) rather than an id.
fn is_file_ref(id: &str) -> bool {
    let lower = id.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".toml")
}

/// Loads model files a scenario names (relative to the scenario's folder) into its own
/// catalog and points the references at their ids, so the core stays free of I/O.
fn resolve_model_files(s: &mut Scenario, base: &Path, catalog: &Catalog) -> Result<(), CliError> {
    let mut loaded = Vec::new();
    let compare = s.pretraining.iter_mut().flat_map(|p| p.compare.iter_mut());
    for r in std::iter::once(&mut s.model).chain(compare) {
        if is_file_ref(&r.id) {
            let path = base.join(&r.id);
            let mut spec = io::model(catalog, &path.display().to_string())?;
            spec.src = format!("file:{}", path.display());
            r.id.clone_from(&spec.id);
            loaded.push(spec);
        }
    }
    if !loaded.is_empty() {
        let own = s.catalog.get_or_insert_with(Default::default);
        for spec in &loaded {
            own.sources.insert(spec.src.clone(), format!("model shape read from {}", &spec.src[5..]));
        }
        own.model.extend(loaded);
    }
    Ok(())
}

/// Reads a scenario's `[calibration] file` (relative to the scenario's folder) into its
/// `data`, checked here so errors name the file.
fn resolve_calibration(s: &mut Scenario, base: &Path) -> Result<(), CliError> {
    if let Some(c) = s.calibration.as_mut().filter(|c| c.data.is_none()) {
        if let Some(f) = c.file.take() {
            c.data = io::calibration(Some(&base.join(f)))?;
        }
    }
    Ok(())
}

pub(crate) fn run(
    catalog: &Catalog,
    file: Option<&Path>,
    charts: Option<&Path>,
    out: &Output,
) -> Result<(), CliError> {
    let (text, origin) = match file {
        Some(p) => (io::read(p)?, p.display().to_string()),
        None => (CHATGPT_2023.to_string(), "examples/chatgpt-2023.toml (built in)".to_string()),
    };
    let mut scenario = suanli_api::scenario(&text, &origin)?;
    let base = file.and_then(Path::parent).unwrap_or(Path::new("."));
    resolve_model_files(&mut scenario, base, catalog)?;
    resolve_calibration(&mut scenario, base)?;
    let report = suanli_api::plan(catalog, &scenario, &origin)?.answer;
    let rendered = suanli_report::render_plan(&report, super::any_format(out.format))?;
    if let Some(dir) = charts {
        std::fs::create_dir_all(dir)
            .map_err(|e| CliError::Output(format!("cannot create {}: {e}", dir.display())))?;
        for (stem, chart) in suanli_report::plan_charts(&report) {
            io::emit(&chart.to_svg(), Some(&dir.join(format!("{stem}.svg"))))?;
        }
    }
    io::emit(&rendered, out.output.as_deref())
}
