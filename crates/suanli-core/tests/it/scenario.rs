//! Scenario parsing and validation errors.

use suanli_core::scenario::Scenario;
use suanli_core::{Catalog, Error, plan};

fn err(text: &str) -> String {
    Scenario::from_toml(text, "s.toml").expect_err("rejected").to_string()
}

const MIN: &str = "name = \"x\"\n[model]\nid = \"llama2-7b\"\n";

#[test]
fn minimal_scenario_plans() {
    let s = Scenario::from_toml(MIN, "s.toml").expect("valid");
    let r = plan::plan(&s, &Catalog::builtin().expect("catalog"), "s.toml").expect("plans");
    assert_eq!(r.model.id, "llama2-7b");
    assert!(r.claims.is_empty());
}

#[test]
fn malformed_toml_shows_line_and_column() {
    let e = Scenario::from_toml("name = \"x\"\n[model\nid = 1\n", "s.toml").expect_err("bad");
    match e {
        Error::Syntax { line, column, .. } => assert_eq!((line, column), (2, 7)),
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn range_errors_name_key_value_and_range() {
    assert_eq!(
        err(&format!("{MIN}[pretraining]\ntokens = -5\n")),
        "s.toml: `pretraining.tokens` = -5: a positive, finite number"
    );
    assert!(err(&format!("{MIN}[pretraining]\ntokens = 0\n")).contains("pretraining.tokens"));
    assert!(err(&format!("{MIN}[pretraining]\ntokens = 1e30\n")).contains("at most"));
    assert!(err(&format!("{MIN}[first_principles]\nserving_utilisation = 1.5\n")).contains("(0, 1]"));
    assert!(err(&format!("{MIN}[first_principles]\nstack = \"tf\"\n")).contains("legacy"));
    assert!(
        err(&format!("{MIN}[finetune]\ntraining_share = 0.7\ninference_share = 0.6\n")).contains("summing")
    );
    assert!(
        err(&format!("{MIN}[[claims]]\nref = \"a\"\nfigure = \"b\"\nstated = \"lots\"\n"))
            .contains("claims[0].stated")
    );
}

#[test]
fn missing_and_unknown_keys_are_named() {
    let e = err("name = \"x\"\n");
    assert!(e.contains("model"), "{e}");
    let e = err(&format!("{MIN}[pretraining]\ndays = [3]\n"));
    assert!(e.contains("tokens"), "{e}");
    let e = err(&format!("{MIN}bogus = 1\n"));
    assert!(e.contains("bogus"), "{e}");
}

#[test]
fn unknown_ids_and_claim_keys_fail_in_plan() {
    let c = Catalog::builtin().expect("catalog");
    let s = Scenario::from_toml("name = \"x\"\n[model]\nid = \"llama2-7\"\n", "s.toml").expect("parses");
    let e = plan::plan(&s, &c, "s.toml").expect_err("unknown model").to_string();
    assert!(e.contains("unknown model `llama2-7`") && e.contains("llama2-7b"), "{e}");
    let s = Scenario::from_toml(
        &format!("{MIN}[hardware]\nserver = \"dgx-h100\"\nprecision = \"int4\"\n"),
        "s.toml",
    )
    .expect("parses");
    let e = plan::plan(&s, &c, "s.toml").expect_err("no int4 on H100").to_string();
    assert!(e.contains("hardware.precision") && e.contains("bf16"), "{e}");
    let s = Scenario::from_toml(&format!("{MIN}[pretraining]\ntokens = 1e12\n[[claims]]\nref = \"r\"\nfigure = \"pretraining.pfdays\"\nstated = \"1\"\n"), "s.toml").expect("parses");
    let e = plan::plan(&s, &c, "s.toml").expect_err("unknown figure").to_string();
    assert!(e.contains("claims[0].figure") && e.contains("pretraining.pf_days"), "{e}");
}

#[test]
fn a_dozen_broken_files_never_panic() {
    let broken = [
        "",
        "=",
        "name = ",
        "[[[",
        "name = \"x\"\n[model]\nid = 3\n",
        "\u{0}\u{1}",
        "name = \"x\"\nmodel = \"llama\"\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\nparams = \"big\"\n",
        "name = 1e400\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[market]\nname = \"m\"\nunit = \"u\"\npoints = []\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[pretraining]\ntokens = nan\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[hardware]\nserver = \"nf5280m6\"\n",
        "name = \"x\"\n[model]\nid = \"llama2-7b\"\n[pretraining]\ntokens = inf\n",
    ];
    let c = Catalog::builtin().expect("catalog");
    for text in broken {
        let outcome = std::panic::catch_unwind(|| {
            Scenario::from_toml(text, "b.toml").and_then(|s| plan::plan(&s, &c, "b.toml").map(|_| ()))
        });
        let result = outcome.expect("no panic");
        let e = result.expect_err("every broken file is rejected");
        assert!(!e.to_string().contains('\n'), "one-line error: {e}");
    }
}

#[test]
fn example_scenarios_are_valid() {
    let c = Catalog::builtin().expect("catalog");
    for name in ["chatgpt-2023", "tutoring-startup"] {
        let path = format!("{}/../../examples/{name}.toml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("example exists");
        let s = Scenario::from_toml(&text, &path).expect("valid");
        plan::plan(&s, &c, &path).expect("plans");
    }
}
