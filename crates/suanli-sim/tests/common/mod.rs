//! Helpers the simulator's integration tests share: a fixed-length Poisson workload and a
//! replica of a catalog model.
#![allow(dead_code, clippy::unwrap_used)]

use suanli_core::Catalog;
use suanli_core::infer::{Engine, InferCalibration, InferConfig, Precisions, Replica};
use suanli_core::precision::Precision;
use suanli_core::train::{Calibration, Cluster};
use suanli_sim::workload::{Arrivals, Lengths, WorkloadSpec};

/// Poisson arrivals at `rate` of `input`-token prompts with `output`-token replies.
pub(crate) fn workload(rate: f64, input: u32, output: u32) -> WorkloadSpec {
    WorkloadSpec {
        rate,
        arrivals: Arrivals::Poisson,
        lengths: Lengths::Fixed { input, output },
        turns: 1,
        think_s: 0.0,
        daily: None,
        max_context: 131_072,
    }
}

/// `gpu`'s rates at `p`'s activation precision.
pub(crate) fn cluster(gpu: &str, p: Precision) -> Cluster {
    let c = Catalog::builtin().unwrap();
    Cluster::new(&c, gpu, None, Precisions::uniform(p).activations, &Calibration::default()).unwrap()
}

/// A replica of `model` on `gpu` at `p` (uniform, [`Precisions::uniform`]) in layout tp × pp,
/// ep, with the default engine.
pub(crate) fn replica_at(model: &str, gpu: &str, p: Precision, (tp, pp, ep): (u32, u32, u32)) -> Replica {
    let c = Catalog::builtin().unwrap();
    let spec = c.model(model).unwrap();
    let cfg = InferConfig { tp, pp, ep, precision: Precisions::uniform(p) };
    Replica::new(spec, &cluster(gpu, p), &cfg, &Engine::default(), &InferCalibration::default())
}

/// A bf16 replica of `model` on H100 SXM at tensor-parallel degree `tp`.
pub(crate) fn replica(model: &str, tp: u32) -> Replica {
    replica_at(model, "h100-sxm", Precision::Bf16, (tp, 1, 1))
}
