//! Catalog invariants: every figure sourced and positive, dense ≤ sparse, ids unique,
//! servers' accelerators known, model shapes consistent.

use std::collections::BTreeSet;

use super::{Catalog, Entry};
use crate::error::Error;
use crate::sourced::{Figure, Money};

fn check_figure(c: &Catalog, origin: &str, key: &str, f: &Figure) -> Result<(), Error> {
    if !f.v.is_finite() || f.v <= 0.0 {
        return Err(Error::invalid(origin, key, f.v, "a positive, finite number"));
    }
    check_src(c, origin, &format!("{key}.src"), &f.src)
}

fn check_money(c: &Catalog, origin: &str, key: &str, m: &Money) -> Result<(), Error> {
    if !m.v.is_finite() || m.v <= 0.0 {
        return Err(Error::invalid(origin, key, m.v, "a positive, finite price"));
    }
    check_src(c, origin, &format!("{key}.src"), &m.src)
}

fn check_src(c: &Catalog, origin: &str, key: &str, src: &str) -> Result<(), Error> {
    if c.sources.contains_key(src) {
        Ok(())
    } else {
        Err(Error::invalid(origin, key, format!("\"{src}\""), "a key of the [sources] table"))
    }
}

fn check_unique<T: Entry>(items: &[T], kind: &str, origin: &str) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    for e in items {
        for name in std::iter::once(e.id()).chain(e.aliases().iter().map(String::as_str)) {
            if !seen.insert(name.to_ascii_lowercase()) {
                return Err(Error::invalid(
                    origin,
                    format!("{kind}.{}", e.id()),
                    format!("\"{name}\""),
                    "an id or alias not used by another entry",
                ));
            }
        }
    }
    Ok(())
}

impl Catalog {
    /// Checks every invariant; `origin` names the catalog in errors.
    ///
    /// # Errors
    /// The first violated invariant, naming the entry and key.
    pub fn check(&self, origin: &str) -> Result<(), Error> {
        check_unique(&self.accelerators, "accelerator", origin)?;
        check_unique(&self.servers, "server", origin)?;
        check_unique(&self.models, "model", origin)?;
        for a in &self.accelerators {
            let at = format!("accelerator.{}", a.id);
            if a.dense_tflops.is_empty() {
                return Err(Error::invalid(
                    origin,
                    format!("{at}.dense_tflops"),
                    "{}",
                    "at least one precision",
                ));
            }
            for (label, f) in a.figures() {
                check_figure(self, origin, &format!("{at}.{label}"), f)?;
            }
            if let Some(m) = &a.price {
                check_money(self, origin, &format!("{at}.price"), m)?;
            }
            for (p, m) in &a.mamf_tflops {
                match a.dense_tflops.get(p) {
                    Some(d) if m.v <= d.v => {}
                    _ => {
                        return Err(Error::invalid(
                            origin,
                            format!("{at}.mamf_tflops.{p}"),
                            m.v,
                            "at most the dense peak of the same precision",
                        ));
                    }
                }
            }
            for (p, sparse) in &a.sparse_tflops {
                let Some(dense) = a.dense_tflops.get(p) else {
                    return Err(Error::invalid(
                        origin,
                        format!("{at}.sparse_tflops.{p}"),
                        sparse.v,
                        "a sparse figure only where a dense one exists",
                    ));
                };
                if dense.v > sparse.v {
                    return Err(Error::invalid(
                        origin,
                        format!("{at}.dense_tflops.{p}"),
                        dense.v,
                        format!("at most the sparse figure ({})", sparse.v),
                    ));
                }
            }
        }
        for s in &self.servers {
            let at = format!("server.{}", s.id);
            check_src(self, origin, &format!("{at}.src"), &s.src)?;
            match (&s.accelerator, s.accelerator_count) {
                (Some(id), n) if n > 0 => {
                    self.accelerator(id).map_err(|_| {
                        Error::invalid(
                            origin,
                            format!("{at}.accelerator"),
                            format!("\"{id}\""),
                            "an accelerator id in the catalog",
                        )
                    })?;
                }
                (Some(_), n) => {
                    return Err(Error::invalid(
                        origin,
                        format!("{at}.accelerator_count"),
                        n,
                        "a positive count when an accelerator is named",
                    ));
                }
                // No accelerator named: a CPU server, or one whose accelerator is not catalogued.
                (None, _) => {}
            }
            if s.cpu.count == 0 || s.cpu.min_count == 0 || s.cpu.min_count > s.cpu.count {
                return Err(Error::invalid(
                    origin,
                    format!("{at}.cpu.min_count"),
                    s.cpu.min_count,
                    format!("between 1 and cpu.count ({})", s.cpu.count),
                ));
            }
            for (label, f) in s.figures() {
                check_figure(self, origin, &format!("{at}.{label}"), f)?;
            }
            for (label, m) in s.prices() {
                check_money(self, origin, &format!("{at}.{label}"), m)?;
            }
        }
        for m in &self.models {
            let at = format!("model.{}", m.id);
            check_src(self, origin, &format!("{at}.src"), &m.src)?;
            m.check().map_err(|(key, msg)| Error::invalid(origin, format!("{at}.{key}"), "(shape)", msg))?;
            if let Some(f) = &m.published_params_b {
                check_figure(self, origin, &format!("{at}.published_params_b"), f)?;
            }
            if let Some(f) = &m.published_active_params_b {
                check_figure(self, origin, &format!("{at}.published_active_params_b"), f)?;
            }
        }
        Ok(())
    }
}
