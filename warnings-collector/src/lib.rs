//! `warnings-collector`: collects the warnings of build and test logs,
//! attributes them to their CODEOWNERS owners, reports them per team
//! ([`report`]) and keeps their counts from growing ([`ratchet`]). The
//! binary's `main` only calls [`main`]; everything else lives here so it
//! can be tested without a process. Outside the crate only the command
//! line ([`Cli`], for the shared-flags check) and the log readers
//! ([`parse`] and the [`warning`]s they return, for the fuzz targets) are
//! used; every other item is `pub(crate)`.

#![warn(unreachable_pub)]

mod commands;
pub mod input;
mod parallel;
pub mod parse;
mod ratchet;
mod report;
pub mod warning;

use std::process::ExitCode;

use clap::Subcommand;

/// The toolkit's exit codes (0 success, 1 a check failed, 2 bad usage or
/// input), shared by every tool.
pub use cli_support::Exit;

const AFTER_HELP: &str = "\
Exit codes:
  0  success
  1  a check failed
  2  bad usage or bad input (one line on stderr says where)

Examples:
  warnings-collector collect build.log --junit junit.xml --out reports/
  warnings-collector collect test.log --jsonl warnings.jsonl --output github
  warnings-collector baseline write warnings-baseline.json build.log test.log
  warnings-collector check --baseline warnings-baseline.json build.log test.log
  warnings-collector check --baseline warnings-baseline.json --update build.log
  warnings-collector check --deny build.log
  warnings-collector owners src/main.rs docs/intro.md
  git ls-files | warnings-collector owners --format json
  warnings-collector owners --codeowners .gitlab/CODEOWNERS --dialect gitlab -
  warnings-collector hooks ruby > .ci/warnings_collector_hook.rb
  warnings-collector hooks pytest --install .ci";

/// The command line: the shared flags (`-v`, `-q`, `--color`), then a
/// [`Command`].
pub type Cli = cli_support::Cli<Command>;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Collect the warnings of logs, JUnit reports and JSONL files, per
    /// owning team; optionally write a report folder.
    Collect(commands::collect::CollectArgs),
    /// Write the baseline of the ratchet.
    Baseline(commands::baseline::BaselineArgs),
    /// Fail when a warning is new or more frequent than in the baseline.
    Check(commands::check::CheckArgs),
    /// The CODEOWNERS owners of each path (arguments, or one per line on stdin).
    Owners(commands::owners::OwnersArgs),
    /// File (or update, or close) one GitHub issue per team from a reports
    /// folder.
    FileIssues(commands::file_issues::FileIssuesArgs),
    /// Print (or --install) a capture hook that a Ruby, pytest or Node test
    /// run loads without changing its code, writing each warning with its
    /// place and running test as JSONL for `collect --jsonl`.
    Hooks(commands::hooks::HooksArgs),
}

/// Parses the command line, runs the command and maps its outcome to an exit
/// code. Errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    cli_support::run::<Command, _>(|cli, _, mut out| match &cli.command {
        Command::Collect(args) => commands::collect::run(args, &mut out),
        Command::Baseline(args) => commands::baseline::run(args, &mut out),
        Command::Check(args) => commands::check::run(args, &mut out),
        Command::Owners(args) => commands::owners::run(args, &mut out),
        Command::FileIssues(args) => commands::file_issues::run(args, &mut out),
        Command::Hooks(args) => commands::hooks::run(args, &mut out),
    })
}

impl cli_support::Tool for Command {
    const NAME: &'static str = "warnings-collector";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const ABOUT: &'static str = env!("CARGO_PKG_DESCRIPTION");
    const AFTER_HELP: &'static str = AFTER_HELP;

    /// Before 0.2, `collect`, `baseline` and `check` took the logs' format
    /// as `--format` and the output format as `--output`.
    fn rewrite_deprecated(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
        const TOOL: &str = "warnings-collector";
        let reads_logs = |sub: &str| matches!(sub, "collect" | "baseline" | "check");
        cli_support::rename_flag(TOOL, &mut args, "--format", "--input-format", |sub, v| {
            reads_logs(sub) && !matches!(v, Some("text" | "json" | "github"))
        });
        cli_support::rename_flag(TOOL, &mut args, "--output", "--format", |sub, _| {
            matches!(sub, "collect" | "check")
        });
        args
    }
}
