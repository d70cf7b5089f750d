//! A user catalog file: merged into the built-in one and checked; what passes is searched.
#![no_main]

use libfuzzer_sys::fuzz_target;
use suanli_core::Catalog;

fuzz_target!(|text: &str| {
    let mut c = Catalog::builtin().expect("built-in catalog");
    if c.merge_toml(text, "user.toml").is_ok() && c.check("user.toml").is_ok() {
        for a in &c.accelerators {
            let _ = suanli_core::train::Cluster::new(
                &c,
                &a.id,
                None,
                suanli_core::precision::Precision::Bf16,
                &suanli_core::train::Calibration::default(),
            );
        }
    }
});
