//! A server: CPUs, accelerators, fabric, network, power and price.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::sourced::{Figure, Money};

/// What a server is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Deep-learning training (dense accelerators, fast scale-up fabric).
    Training,
    /// Inference serving.
    Inference,
    /// Training and inference alike.
    TrainingInference,
    /// A general-purpose CPU server.
    GeneralPurpose,
}

impl Role {
    /// Snake-case label.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Role::Training => "training",
            Role::Inference => "inference",
            Role::TrainingInference => "training_inference",
            Role::GeneralPurpose => "general_purpose",
        }
    }
}

/// The host processors of a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cpu {
    /// Processor model.
    pub model: String,
    /// Fewest sockets populated in a shipping configuration.
    pub min_count: u32,
    /// Most sockets populated.
    pub count: u32,
    /// Price of one processor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Money>,
}

/// Scale-out network interfaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nics {
    /// Number of compute-fabric ports.
    pub count: u32,
    /// Line rate of one port, Gb/s, one direction.
    pub gbps_each: Figure,
    /// Kind (`InfiniBand HDR`, `RoCE 400GbE`, …).
    pub kind: String,
}

/// A server as catalogued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Catalog id.
    pub id: String,
    /// Other accepted names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Product name.
    pub name: String,
    /// Maker.
    pub vendor: String,
    /// What it is built for.
    pub role: Role,
    /// Accelerator id in the catalog, or none for a CPU server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator: Option<String>,
    /// Accelerators per server (0 for a CPU server).
    pub accelerator_count: u32,
    /// Accelerator price as paid in this server, where it differs from the chip's list price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accelerator_unit_price: Option<Money>,
    /// Host processors.
    pub cpu: Cpu,
    /// Intra-node fabric (`NVSwitch`, `PCIe`, `HCCS`…).
    pub fabric: String,
    /// Scale-out network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nics: Option<Nics>,
    /// Maximum system power, kW.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_kw: Option<Figure>,
    /// Purchase price of the whole server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
    /// Key of the source that describes the configuration.
    pub src: String,
    /// Free-form remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl Server {
    /// Scale-out bandwidth per accelerator, GB/s one direction: ports × Gb/s ÷ 8 ÷ accelerators.
    #[must_use]
    pub fn scale_out_gbs_per_accelerator(&self) -> Option<f64> {
        let nics = self.nics.as_ref()?;
        let total = f64::from(nics.count) * nics.gbps_each.v / 8.0;
        Some(total / f64::from(self.accelerator_count.max(1)))
    }

    /// Every figure of this server with a label, for source checks.
    #[must_use]
    pub fn figures(&self) -> Vec<(String, &Figure)> {
        let mut out = Vec::new();
        if let Some(n) = &self.nics {
            out.push(("nics.gbps_each".into(), &n.gbps_each));
        }
        if let Some(f) = &self.power_kw {
            out.push(("power_kw".into(), f));
        }
        out
    }

    /// Every price of this server with a label.
    #[must_use]
    pub fn prices(&self) -> Vec<(String, &Money)> {
        let mut out = Vec::new();
        if let Some(m) = &self.cpu.unit_price {
            out.push(("cpu.unit_price".into(), m));
        }
        if let Some(m) = &self.accelerator_unit_price {
            out.push(("accelerator_unit_price".into(), m));
        }
        if let Some(m) = &self.price {
            out.push(("price".into(), m));
        }
        out
    }
}
