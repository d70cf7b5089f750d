//! The catalog of accelerators, servers and models.
//!
//! Built-in entries live in TOML files under `crates/suanli-core/catalog/`, embedded in the
//! binary with `include_str!`. A user's file in the same format (`--catalog FILE.toml`) adds
//! entries or replaces built-in ones with the same id. Every figure names a key of a
//! `[sources]` table; [`Catalog::check`] enforces that and the other invariants.

mod check;
mod hf_builtin;
pub use check::check_shape_ranges;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::hardware::{Accelerator, Server};
use crate::model::ModelSpec;
use crate::suggest::nearest;

/// The built-in catalog files: (origin name, text).
pub const BUILTIN_FILES: [(&str, &str); 5] = [
    ("catalog/accelerators.toml", include_str!("../../catalog/accelerators.toml")),
    ("catalog/accelerators-2025.toml", include_str!("../../catalog/accelerators-2025.toml")),
    ("catalog/servers.toml", include_str!("../../catalog/servers.toml")),
    ("catalog/servers-2025.toml", include_str!("../../catalog/servers-2025.toml")),
    ("catalog/models.toml", include_str!("../../catalog/models.toml")),
];

/// One catalog file: sources and entries of any kind.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    /// Source key → full citation (title, URL or paper and table).
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
    /// Accelerators (`[[accelerator]]`).
    #[serde(default)]
    pub accelerator: Vec<Accelerator>,
    /// Servers (`[[server]]`).
    #[serde(default)]
    pub server: Vec<Server>,
    /// Models (`[[model]]`).
    #[serde(default)]
    pub model: Vec<ModelSpec>,
}

/// The merged catalog.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Catalog {
    /// Source key → citation.
    pub sources: BTreeMap<String, String>,
    /// Accelerators, in file order.
    pub accelerators: Vec<Accelerator>,
    /// Servers, in file order.
    pub servers: Vec<Server>,
    /// Models, in file order.
    pub models: Vec<ModelSpec>,
    /// A measured calibration for one of the accelerators ([`Catalog::with_measured`]).
    #[serde(skip)]
    pub measured: Option<std::sync::Arc<crate::calibration::Measured>>,
}

trait Entry {
    fn id(&self) -> &str;
    fn aliases(&self) -> &[String];
    fn matches(&self, q: &str) -> bool {
        self.id().eq_ignore_ascii_case(q) || self.aliases().iter().any(|a| a.eq_ignore_ascii_case(q))
    }
}

macro_rules! entry {
    ($t:ty) => {
        impl Entry for $t {
            fn id(&self) -> &str {
                &self.id
            }
            fn aliases(&self) -> &[String] {
                &self.aliases
            }
        }
    };
}
entry!(Accelerator);
entry!(Server);
entry!(ModelSpec);

fn find<'a, T: Entry>(items: &'a [T], kind: &'static str, q: &str) -> Result<&'a T, Error> {
    items.iter().find(|e| e.matches(q)).ok_or_else(|| Error::UnknownId {
        kind,
        id: q.to_string(),
        suggestions: nearest(
            q,
            items.iter().flat_map(|e| std::iter::once(e.id()).chain(e.aliases().iter().map(String::as_str))),
        ),
    })
}

fn upsert<T: Entry>(items: &mut Vec<T>, new: T) {
    match items.iter().position(|e| e.id().eq_ignore_ascii_case(new.id())) {
        Some(i) => items[i] = new,
        None => items.push(new),
    }
}

impl Catalog {
    /// The built-in catalog, checked: parsed once per process (a server answers many requests
    /// from it), each caller getting a copy it may extend with its own files.
    ///
    /// # Errors
    /// Only if the embedded data is broken (the test suite guards against that).
    pub fn builtin() -> Result<Catalog, Error> {
        static PARSED: std::sync::OnceLock<Result<Catalog, Error>> = std::sync::OnceLock::new();
        PARSED.get_or_init(Catalog::parse_builtin).clone()
    }

    /// Parses and checks the embedded catalog files (what [`Catalog::builtin`] does once).
    ///
    /// # Errors
    /// Only if the embedded data is broken.
    pub fn parse_builtin() -> Result<Catalog, Error> {
        let mut c = Catalog::default();
        for (origin, text) in BUILTIN_FILES {
            c.merge_toml(text, origin)?;
        }
        hf_builtin::add(&mut c)?;
        c.check("built-in catalog")?;
        Ok(c)
    }

    /// Parses one catalog file and merges it: entries whose id matches an existing one replace
    /// it, others are added. Call [`Catalog::check`] afterwards.
    ///
    /// # Errors
    /// A syntax or shape error with line and column.
    pub fn merge_toml(&mut self, text: &str, origin: &str) -> Result<(), Error> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| Error::from_toml(origin, text, &e))?;
        self.merge_file(file);
        Ok(())
    }

    /// An accelerator by id or alias (case-insensitive).
    ///
    /// # Errors
    /// [`Error::UnknownId`] with the nearest ids.
    pub fn accelerator(&self, id: &str) -> Result<&Accelerator, Error> {
        find(&self.accelerators, "accelerator", id)
    }

    /// A server by id or alias.
    ///
    /// # Errors
    /// [`Error::UnknownId`] with the nearest ids.
    pub fn server(&self, id: &str) -> Result<&Server, Error> {
        find(&self.servers, "server", id)
    }

    /// A model by id or alias.
    ///
    /// # Errors
    /// [`Error::UnknownId`] with the nearest ids.
    pub fn model(&self, id: &str) -> Result<&ModelSpec, Error> {
        find(&self.models, "model", id)
    }

    /// The citation for a source key.
    #[must_use]
    pub fn source(&self, key: &str) -> Option<&str> {
        self.sources.get(key).map(String::as_str)
    }
}

impl Catalog {
    /// Merges an already-parsed catalog file (a scenario's `[catalog]` table).
    pub fn merge_file(&mut self, file: CatalogFile) {
        self.sources.extend(file.sources);
        for a in file.accelerator {
            upsert(&mut self.accelerators, a);
        }
        for s in file.server {
            upsert(&mut self.servers, s);
        }
        for m in file.model {
            upsert(&mut self.models, m);
        }
    }
}
