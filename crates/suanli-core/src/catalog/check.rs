//! Catalog invariants: every figure sourced and positive, dense ≤ sparse, ids unique,
//! servers' accelerators known, model shapes consistent.

use std::collections::BTreeSet;

use super::{Catalog, Entry};
use crate::error::Error;
use crate::sourced::{Figure, Money};

/// The physically sensible range of a figure, by the last part of its key (the precision of
/// a `dense_tflops.bf16` does not matter): (low, high, unit). Wide enough for any chip from a
/// phone NPU to a wafer-scale engine, narrow enough that a typo of many orders of magnitude,
/// or a denormal such as 1e-320 that passes "positive and finite", is refused before it
/// reaches the arithmetic.
pub(crate) fn figure_range(key: &str) -> (f64, f64, &'static str) {
    const FIELDS: [&str; 12] = [
        "dense_tflops",
        "sparse_tflops",
        "mamf_tflops",
        "memory_gb",
        "memory_bw_tbs",
        "scale_up_gbs",
        "tdp_w",
        "cloud_usd_per_hour",
        "gbps_each",
        "power_kw",
        "published_params_b",
        "published_active_params_b",
    ];
    let field = key.split('.').rev().find(|part| FIELDS.contains(part)).unwrap_or("");
    match field {
        "dense_tflops" | "sparse_tflops" | "mamf_tflops" => (1e-3, 1e6, "TFLOP/s"),
        "memory_gb" => (1e-3, 1e5, "GB"),
        "memory_bw_tbs" => (1e-4, 1e5, "TB/s"),
        "scale_up_gbs" => (1e-3, 1e6, "GB/s"),
        "tdp_w" => (1.0, 1e6, "W"),
        "cloud_usd_per_hour" => (1e-4, 1e5, "USD/h"),
        "gbps_each" => (1e-3, 1e5, "Gb/s"),
        "power_kw" => (1e-3, 1e5, "kW"),
        "published_params_b" | "published_active_params_b" => (1e-6, 1e6, "billion parameters"),
        _ => (1e-9, 1e15, ""),
    }
}

/// A value for an error message: tiny and huge magnitudes in exponent form.
fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-4..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn check_figure(c: &Catalog, origin: &str, key: &str, f: &Figure) -> Result<(), Error> {
    let (lo, hi, unit) = figure_range(key);
    if !(f.v.is_finite() && f.v >= lo && f.v <= hi) {
        return Err(Error::invalid(origin, key, show(f.v), format!("a number from {lo:e} to {hi:e} {unit}")));
    }
    check_src(c, origin, &format!("{key}.src"), &f.src)
}

/// Most a catalogued price may be, in its currency (a price of a whole cluster fits).
const MAX_PRICE: f64 = 1e12;

fn check_money(c: &Catalog, origin: &str, key: &str, m: &Money) -> Result<(), Error> {
    if !(m.v.is_finite() && m.v >= 1e-6 && m.v <= MAX_PRICE) {
        return Err(Error::invalid(origin, key, show(m.v), format!("a price from 1e-6 to {MAX_PRICE:e}")));
    }
    check_src(c, origin, &format!("{key}.src"), &m.src)
}

/// Most of each model shape count a catalogued model may have: far beyond any published
/// model, well inside the integer arithmetic.
pub(crate) const SHAPE_LIMITS: [(&str, u32); 8] = [
    ("layers", 100_000),
    ("hidden", 1 << 20),
    ("heads", 1 << 16),
    ("kv_heads", 1 << 16),
    ("head_dim", 1 << 16),
    ("ffn", 1 << 24),
    ("vocab", 1 << 26),
    ("max_context", 1 << 30),
];

/// Checks a model's shape counts against `SHAPE_LIMITS` (and MoE, MLA counts against the
/// same bounds as their dense counterparts).
///
/// # Errors
/// [`Error::InvalidValue`] naming `at.key`, the value and the accepted range.
pub fn check_shape_ranges(m: &crate::model::ModelSpec, origin: &str, at: &str) -> Result<(), Error> {
    let mut counts = vec![
        ("layers", m.layers),
        ("hidden", m.hidden),
        ("heads", m.heads),
        ("kv_heads", m.kv_heads),
        ("head_dim", m.head_dim),
        ("ffn", m.ffn),
        ("vocab", m.vocab),
        ("max_context", m.max_context),
    ];
    if let Some(moe) = &m.moe {
        counts.extend([
            ("moe.experts", moe.experts),
            ("moe.active", moe.active),
            ("moe.shared", moe.shared),
            ("moe.expert_ffn", moe.expert_ffn),
        ]);
    }
    if let Some(mla) = &m.mla {
        counts.extend([
            ("mla.kv_lora_rank", mla.kv_lora_rank),
            ("mla.qk_nope_head_dim", mla.qk_nope_head_dim),
            ("mla.qk_rope_head_dim", mla.qk_rope_head_dim),
            ("mla.v_head_dim", mla.v_head_dim),
            ("mla.q_lora_rank", mla.q_lora_rank.unwrap_or(0)),
        ]);
    }
    for (key, v) in counts {
        let max = match key {
            "moe.experts" | "moe.active" | "moe.shared" => 1 << 16,
            "moe.expert_ffn" => 1 << 24,
            k if k.starts_with("mla.") => 1 << 20,
            k => SHAPE_LIMITS.iter().find(|(n, _)| *n == k).map_or(u32::MAX, |(_, max)| *max),
        };
        if v > max {
            return Err(Error::invalid(origin, format!("{at}.{key}"), v, format!("at most {max}")));
        }
    }
    Ok(())
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
            if let Some(gap) = &a.no_public_price {
                if gap.trim().is_empty() {
                    return Err(Error::invalid(
                        origin,
                        format!("{at}.no_public_price"),
                        "\"\"",
                        "a note saying which price is missing, what was searched and when",
                    ));
                }
                if a.price.is_some() && a.cloud_usd_per_hour.is_some() {
                    return Err(Error::invalid(
                        origin,
                        format!("{at}.no_public_price"),
                        format!("\"{gap}\""),
                        "left out when both price and cloud_usd_per_hour are catalogued",
                    ));
                }
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
            for (key, n, max) in [
                ("accelerator_count", s.accelerator_count, 1 << 20),
                ("cpu.count", s.cpu.count, 1 << 12),
                ("nics.count", s.nics.as_ref().map_or(0, |n| n.count), 1 << 12),
            ] {
                if n > max {
                    return Err(Error::invalid(origin, format!("{at}.{key}"), n, format!("at most {max}")));
                }
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
            check_shape_ranges(m, origin, &at)?;
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
