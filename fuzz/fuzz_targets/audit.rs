//! A claims file: parsed and audited.
#![no_main]

use libfuzzer_sys::fuzz_target;
use suanli_core::econ::{audit, parse_claims};

fuzz_target!(|text: &str| {
    if let Ok(f) = parse_claims(text, "claims.toml") {
        let _ = audit(&f, "claims.toml");
    }
    let _ = suanli_core::sigfig::parse_stated(text);
});
