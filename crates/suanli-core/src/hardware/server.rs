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

/// One direction of one fourth-generation NVLink, GB/s: 25, an H100's 900 GB/s both
/// directions over its 18 links (NVIDIA's HGX H100 8-GPU system description,
/// mlcommons/inference_results_v4.1 `closed/NVIDIA/systems/H200-SXM-141GBx8_TRT_MaxQ.json`
/// `accelerator_interconnect` "18x 4th Gen NVLink, 900GB/s": 900 ÷ 18 ÷ 2).
pub const NVLINK4_LINK_GBS: f64 = 25.0;

/// One direction of a PCIe 5.0 x16 slot, GB/s: 32 GT/s × 16 lanes × 128/130 encoding ÷ 8 bits
/// = 63.0 (PCI-SIG, PCI Express Base Specification 5.0, §4.2: 32.0 GT/s, 128b/130b).
pub const PCIE5_X16_GBS: f64 = 32.0 * 16.0 * 128.0 / 130.0 / 8.0;

/// How the GPUs of a board reach one another where no switch gives each GPU its chip's whole
/// scale-up bandwidth to any peer (an HGX 8-GPU board's NVSwitches do; a 4-GPU board and PCIe
/// cards do not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PeerFabric {
    /// Every GPU wired straight to each other GPU of the board by `links_per_peer` links of
    /// `link_gbs` each (one direction), no switch: the HGX H100 4-GPU board splits each GPU's
    /// 18 NVLinks six to each of its three peers.
    Mesh {
        /// Links from one GPU to one peer.
        links_per_peer: u32,
        /// One direction of one link, GB/s.
        link_gbs: f64,
    },
    /// No GPU-to-GPU link: peers reach one another over their PCIe slots at `gbs` one direction.
    Pcie {
        /// One direction of a GPU's slot, GB/s.
        gbs: f64,
    },
}

impl PeerFabric {
    /// The bandwidth one GPU of a group of `group` GPUs on this board reaches to the rest of
    /// the group, one direction, B/s, at most `switched` (the chip's own scale-up figure): on a
    /// mesh only its links to the group's other `group − 1` members carry the group's traffic,
    /// `(group − 1) × links_per_peer × link_gbs` (a pair of an HGX H100 4-GPU board: 6 × 25 =
    /// 150 GB/s, a third of the 450 an NVSwitch gives); over PCIe the slot's rate.
    #[must_use]
    pub fn group_bytes_per_s(self, group: u32, switched: f64) -> f64 {
        let own = match self {
            PeerFabric::Mesh { links_per_peer, link_gbs } => {
                f64::from(group.max(2) - 1) * f64::from(links_per_peer) * link_gbs * 1e9
            }
            PeerFabric::Pcie { gbs } => gbs * 1e9,
        };
        own.min(switched)
    }

    /// A short description for notes.
    #[must_use]
    pub fn label(self) -> String {
        match self {
            PeerFabric::Mesh { links_per_peer, link_gbs } => format!(
                "GPUs wired point to point, {links_per_peer} links of {link_gbs} GB/s to each peer, no NVSwitch"
            ),
            PeerFabric::Pcie { gbs } => format!("no GPU-to-GPU links: PCIe at {gbs:.0} GB/s"),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mesh_gives_a_group_only_its_links_to_the_group() {
        let hgx4 = PeerFabric::Mesh { links_per_peer: 6, link_gbs: NVLINK4_LINK_GBS };
        let switched = 450e9;
        // A pair: 6 links, a third of the switch's 450 GB/s; all four: the whole 18 links.
        assert!((hgx4.group_bytes_per_s(2, switched) - 150e9).abs() < 1.0);
        assert!((hgx4.group_bytes_per_s(4, switched) - 450e9).abs() < 1.0);
        assert!((hgx4.group_bytes_per_s(1, switched) - 150e9).abs() < 1.0);
        let pcie = PeerFabric::Pcie { gbs: PCIE5_X16_GBS };
        assert!((pcie.group_bytes_per_s(2, 300e9) - 63.015e9).abs() < 1e7);
        assert!(pcie.group_bytes_per_s(2, 10e9) <= 10e9);
    }
}
