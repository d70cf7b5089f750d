//! A scenario file: parsed and validated (TOML, then JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use suanli_core::scenario::Scenario;

fuzz_target!(|text: &str| {
    let _ = Scenario::from_toml(text, "scenario.toml");
    let _ = Scenario::from_json(text, "scenario.json");
});
