//! Hardware: accelerators and the servers that hold them.

mod accelerator;
mod host_link;
mod server;

pub use accelerator::{Accelerator, PeakKind};
pub use host_link::{grace_host, host_link};
pub use server::{Cpu, NVLINK4_LINK_GBS, Nics, PCIE5_X16_GBS, PeerFabric, Role, Server};
