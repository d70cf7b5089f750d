//! `suanli calibration show FILE`: a measured calibration file summarised against the
//! catalog's peaks for its chip.

use std::fmt::Write;
use std::path::Path;

use suanli_core::Catalog;
use suanli_core::calibration::{ChipCurves, Measured};
use suanli_core::hardware::PeakKind;
use suanli_core::precision::Precision;
use suanli_report::Table;

use crate::cli::CalibrationCommand;
use crate::io::{self, CliError};

pub(crate) fn run(catalog: &Catalog, what: &CalibrationCommand) -> Result<(), CliError> {
    match what {
        CalibrationCommand::Show { file, output } => {
            let text = io::read(file)?;
            let summary = show(catalog, &text, file)?;
            io::emit(&summary, output.as_deref())
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// The summary text.
fn show(catalog: &Catalog, text: &str, path: &Path) -> Result<String, CliError> {
    let origin = path.display().to_string();
    let m = Measured::parse(text, &origin)?;
    let catalog = catalog.with_measured(m.clone())?;
    let f = &m.file;
    let d = &f.device;
    let a = catalog.accelerator(&d.chip)?;
    let mut s = String::new();
    let _ = writeln!(s, "calibration {origin} (format {} version {})", f.format, f.version);
    let _ = writeln!(s, "device     {} → {} ({}), {} GPU(s)", d.name, a.id, a.name, d.count);
    let versions: Vec<String> = [("torch", &d.torch), ("CUDA", &d.cuda), ("driver", &d.driver)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    let _ = writeln!(
        s,
        "software   {}",
        if versions.is_empty() { "not stated".into() } else { versions.join(", ") }
    );
    if let Some(at) = &d.measured_at {
        let _ = writeln!(s, "measured   {at}");
    }
    for (i, why) in f.skipped.iter().enumerate() {
        let _ = writeln!(s, "{}{why}", if i == 0 { "skipped    " } else { "           " });
    }
    let peak = |p: Precision| a.peak_flops(p, PeakKind::Dense);
    let hbm = a.memory_bw_tbs.v * 1e12;
    let link = a.scale_up_gbs.v / 2.0 * 1e9;
    let attention_peak = peak(Precision::Bf16).unwrap_or(0.0);

    if !f.gemm.is_empty() {
        let _ = writeln!(
            s,
            "\nGEMMs (efficiency = measured TFLOP/s ÷ the catalog's dense peak; suanli interpolates in ln M)"
        );
        let mut t = Table::new(&[
            "dtype",
            "shape",
            "N",
            "K",
            "M",
            "η smallest M",
            "η M=256",
            "η largest M",
            "TFLOP/s",
        ]);
        for g in &f.gemm {
            let p = if g.dtype == "fp8" { Precision::Fp8 } else { Precision::Bf16 };
            let Some(pk) = peak(p) else {
                t.row([
                    g.dtype.clone(),
                    g.shape.clone(),
                    g.n.to_string(),
                    g.k.to_string(),
                    String::new(),
                    "no peak".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
                continue;
            };
            let eff: Vec<f64> = g.tflops.iter().map(|x| x * 1e12 / pk).collect();
            let curve = suanli_core::calibration::Curve::new(&g.m, &eff);
            let last = g.tflops.len() - 1;
            t.row([
                g.dtype.clone(),
                g.shape.clone(),
                g.n.to_string(),
                g.k.to_string(),
                format!("{}-{}", g.m[0], g.m[last]),
                pct(eff[0]),
                pct(curve.at(256.0)),
                pct(eff[last]),
                format!("{:.1}", g.tflops[last]),
            ]);
        }
        s.push_str(&t.to_text());
    }
    if let Some(h) = &f.hbm {
        let _ = writeln!(
            s,
            "\nHBM        copy {:.0} GB/s ({} of {:.0} GB/s), read {:.0} GB/s ({})",
            h.copy_gbps,
            pct(h.copy_gbps * 1e9 / hbm),
            hbm / 1e9,
            h.read_gbps,
            pct(h.read_gbps * 1e9 / hbm)
        );
    }
    if let Some(att) = &f.attention {
        for (name, c, unit, scale) in [
            ("prefill", &att.prefill, "TFLOP/s", attention_peak / 1e12),
            ("decode", &att.decode, "GB/s KV", hbm / 1e9),
        ] {
            let Some(c) = c else { continue };
            let ys = c.tflops.as_ref().or(c.gbps.as_ref()).cloned().unwrap_or_default();
            let points: Vec<String> = c
                .context
                .iter()
                .zip(&ys)
                .map(|(x, y)| {
                    format!("{x}: {y:.0} ({})", if scale > 0.0 { pct(y / scale) } else { "-".into() })
                })
                .collect();
            let _ = writeln!(
                s,
                "attention  {name} (batch {}, {} heads, {} KV heads, dim {}), {unit} by context: {}",
                c.batch,
                c.heads,
                c.kv_heads,
                c.head_dim,
                points.join(", ")
            );
        }
    }
    let curves = ChipCurves::new(
        &m,
        Precision::Bf16,
        peak(Precision::Bf16).unwrap_or(1.0),
        attention_peak.max(1.0),
        hbm,
        link,
    );
    for c in &f.collectives {
        let last = c.busbw_gbps.len() - 1;
        let _ = writeln!(
            s,
            "collective {} on {} GPUs: {:.0} GB/s bus bandwidth at {} bytes ({} of {:.0} GB/s per direction)",
            c.op,
            c.gpus,
            c.busbw_gbps[last],
            c.bytes[last],
            pct(c.busbw_gbps[last] * 1e9 / link),
            link / 1e9
        );
    }
    if let Some((alpha, eta)) = curves.all_reduce {
        let _ = writeln!(s, "           all-reduce model: α = {:.1} µs, η = {}", alpha * 1e6, pct(eta));
    }
    if let Some(ds) = &f.decode_step {
        let _ = writeln!(
            s,
            "\ndecode step of a random {}-shaped model ({} layers, context {}), ms, beside suanli's step with this file:",
            ds.model, ds.layers, ds.context
        );
        let predicted = |b: f64| predicted_step_ms(&catalog, &a.id, ds, b);
        let mut t =
            Table::new(&["batch", "CUDA graph", "eager", "graph speed-up", "suanli", "graph ÷ suanli"]);
        for (i, b) in ds.batch.iter().enumerate() {
            let eager = ds.eager_ms.get(i);
            let p = predicted(*b);
            t.row([
                b.to_string(),
                format!("{:.3}", ds.graph_ms[i]),
                eager.map_or(String::new(), |e| format!("{e:.3}")),
                eager.map_or(String::new(), |e| format!("{:.2}x", e / ds.graph_ms[i])),
                p.map_or("-".into(), |p| format!("{p:.3}")),
                p.map_or("-".into(), |p| format!("{:.2}", ds.graph_ms[i] / p)),
            ]);
        }
        s.push_str(&t.to_text());
    }
    let _ = writeln!(s, "\nuse it: suanli infer … --gpu {} --calibration {origin}", a.id);
    Ok(s)
}

/// suanli's decode step (tp 1, bf16, the engine's defaults) for the measured model cut to the
/// measured layers, with the file applied, ms; `None` when the model is not catalogued or
/// does not fit.
fn predicted_step_ms(
    catalog: &Catalog,
    chip: &str,
    ds: &suanli_core::calibration::DecodeStep,
    batch: f64,
) -> Option<f64> {
    use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
    use suanli_core::train::{Calibration, Cluster};
    let mut spec = catalog.model(&ds.model).ok()?.clone();
    if spec.layers != ds.layers {
        spec.layers = ds.layers;
        spec.check().ok()?;
    }
    let cluster = Cluster::new(catalog, chip, None, Precision::Bf16, &Calibration::default()).ok()?;
    let cfg = InferConfig { tp: 1, pp: 1, ep: 1, precision: Precisions::uniform(Precision::Bf16) };
    let r = Replica::new(&spec, &cluster, &cfg, &Engine::default(), &InferCalibration::default());
    let context = ds.context as f64;
    (r.fits() && r.kv_capacity(context + 1.0) >= batch)
        .then(|| r.step(batch, context, 0.0, 0.0, batch).total_s * 1e3)
}
