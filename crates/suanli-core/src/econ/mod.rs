//! Economics: total cost of ownership, rent versus buy, and auditing stated claims.

mod audit;
mod tco;

pub use audit::{AuditResult, Claim, ClaimsFile, UNITS, Value, audit, parse_claims};
pub use tco::{Tco, TcoInputs, tco};
