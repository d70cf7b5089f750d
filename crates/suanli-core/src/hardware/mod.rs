//! Hardware: accelerators and the servers that hold them.

mod accelerator;
mod server;

pub use accelerator::{Accelerator, PeakKind};
pub use server::{Cpu, Nics, Role, Server};
