//! The `suanli` binary: parses arguments, runs one command, renders errors.
//!
//! Exit codes: 0 success; 1 no answer (a layout that does not fit, a deadline no layout
//! meets) or output that could not be written; 2 bad input (usage, files, values).

mod cli;
mod commands;
mod io;
#[cfg(feature = "web")]
mod web;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::io::CliError;

fn main() -> ExitCode {
    // Bad command lines are one `error:` line naming the flag and the value (exit 2); help and
    // the version print as clap writes them.
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            let text = e.to_string();
            let first: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("{}", first.join(" "));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Input(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(CliError::Output(msg) | CliError::Infeasible(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
    }
}

pub(crate) fn run(cli: Cli) -> Result<(), CliError> {
    let catalog = io::catalog(&cli.catalogs)?;
    match cli.command {
        None => commands::plan::run(
            &catalog,
            None,
            None,
            &cli::Output { format: cli::FormatArg::Table, output: None },
        ),
        Some(Command::Plan { file, charts, out }) => {
            commands::plan::run(&catalog, file.as_deref(), charts.as_deref(), &out)
        }
        Some(Command::Catalog { what }) => commands::catalog::run(&catalog, &what),
        Some(Command::Flops(args)) => commands::flops::run(&catalog, &args),
        Some(Command::Train(args)) => commands::train::run(&catalog, &args),
        Some(Command::Infer(args)) => commands::infer::run(&catalog, &args),
        Some(Command::Finetune(args)) => commands::finetune::run(&catalog, &args),
        Some(Command::Serve(args)) => commands::serve::run_serve(&catalog, &args),
        Some(Command::Simulate(args)) => commands::serve::run_simulate(&catalog, &args),
        Some(Command::Sweep(args)) => commands::sweep::run(&catalog, &args),
        Some(Command::Calibration { what }) => commands::calibration::run(&catalog, &what),
        Some(Command::Validate { set, rows, out }) => commands::validate::run(&catalog, &set, rows, &out),
        #[cfg(feature = "web")]
        Some(Command::Web(args)) => web::run(&args),
        Some(Command::Audit { file, out }) => commands::audit::run(&file, &out),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "suanli", &mut out);
            io::emit(&String::from_utf8_lossy(&out), None)
        }
        Some(Command::Man { dir }) => man(dir.as_deref()),
        Some(Command::Schema { what, output }) => io::emit(&schema(&what)?, output.as_deref()),
    }
}

/// `suanli man`: the roff page of the whole command, or one page per subcommand in `dir`.
fn man(dir: Option<&std::path::Path>) -> Result<(), CliError> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let render = |c: clap::Command, title: &str| -> Result<String, CliError> {
        let mut out = Vec::new();
        clap_mangen::Man::new(c)
            .title(title.to_string())
            .render(&mut out)
            .map_err(|e| CliError::Output(format!("man page: {e}")))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    };
    let Some(dir) = dir else { return io::emit(&render(cmd, "suanli")?, None) };
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::Output(format!("cannot create {}: {e}", dir.display())))?;
    io::emit(&render(cmd.clone(), "suanli")?, Some(&dir.join("suanli.1")))?;
    for sub in cmd.get_subcommands() {
        let name = format!("suanli-{}", sub.get_name());
        io::emit(&render(sub.clone(), &name)?, Some(&dir.join(format!("{name}.1"))))?;
    }
    Ok(())
}

/// The JSON Schema `suanli schema WHAT` prints.
fn schema(what: &str) -> Result<String, CliError> {
    if what == "scenario" {
        return Ok(suanli_core::scenario::json_schema());
    }
    let v = suanli_api::schemas::answer(what).ok_or_else(|| {
        let kinds: Vec<&str> = suanli_api::schemas::answers().iter().map(|(k, _)| *k).collect();
        CliError::Input(format!("`WHAT` = {what}: scenario, or one of {}", kinds.join(", ")))
    })?;
    Ok(suanli_report::to_json(&v)?)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn argument_definitions_are_consistent() {
        super::Cli::command().debug_assert();
    }

    /// Every example in a subcommand's `--help` parses (flags and values exist and fit).
    #[test]
    fn help_examples_parse() {
        let cmd = super::Cli::command();
        let mut seen = 0;
        for sub in cmd.get_subcommands() {
            let help = sub.get_after_help().map(ToString::to_string).unwrap_or_default();
            assert!(
                help.contains("Examples:") || sub.get_name() == "schema",
                "{} has no examples",
                sub.get_name()
            );
            for line in help.lines().map(str::trim).filter(|l| l.starts_with("suanli ")) {
                let argv: Vec<&str> = line
                    .split('>')
                    .next()
                    .unwrap_or(line)
                    .split('|')
                    .next()
                    .unwrap_or(line)
                    .split_whitespace()
                    .collect();
                let parsed = <super::Cli as clap::Parser>::try_parse_from(&argv);
                assert!(
                    parsed.is_ok(),
                    "{line}: {}",
                    parsed.err().map(|e| e.to_string()).unwrap_or_default()
                );
                seen += 1;
            }
        }
        assert!(seen > 20, "{seen} examples");
    }
}
