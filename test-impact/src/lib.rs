//! `test-impact`: selects the modules, and so the tests, that a git diff
//! can affect, through the module dependency graph. Safe first: a change
//! the graph cannot place selects everything, and says why. Precise second:
//! a lockfile bump selects the packages whose resolved dependencies moved,
//! not the workspace.
//!
//! The binary's `main` only calls [`main`]; everything lives here so it can
//! be tested without a process.

#![warn(unreachable_pub)]

// Public: what the subcommands' arguments are made of (the command-line
// language test reads `Cli`) and the parsers the fuzz targets call.
pub mod commands;
pub mod output;
pub mod prepare;
pub mod rules;

mod cache;
mod cargo;
mod compiled;
mod git;
mod last_green;
mod manifest;
mod select;

use std::process::ExitCode;

use clap::Subcommand;

pub use cli_support::Exit;

const AFTER_HELP: &str = "\
Exit codes:
  0  success (an empty selection is a success)
  1  `explain`: the module is not affected
  2  bad usage or bad input (one line on stderr says where)

Examples:
  test-impact select --base origin/main
  test-impact select --base origin/main --format nextest   # for cargo nextest run -E
  test-impact select --base origin/main --format github-matrix --github-output
  test-impact explain my-crate --base origin/main
  test-impact shard --shards 4 --timings target/nextest/ci/junit.xml --base origin/main
  test-impact evaluate --root . --commits 100";

/// What `--help` says of the tool, before its commands.
const LONG_ABOUT: &str = "\
Runs only the tests a git diff can affect.

\
The changed files (since the merge-base with --base) are assigned to the \
modules that own them; everything that depends on those modules, \
transitively, is affected (a dev-dependency one step: its tests; a change \
to a package's own tests/ affects that package alone). The graph is the \
Cargo workspace at the repository root (read at the merge-base and at \
head, so a Cargo.lock or feature change marks exactly the packages whose \
build it changes), or a native JSON graph (--graph) exported from any \
build system.";

/// The command line: the shared flags (`-v`, `-q`, `--color`), then a
/// [`Command`].
pub type Cli = cli_support::Cli<Command>;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Select the affected modules and print them for a person, nextest,
    /// cargo or a GitHub Actions matrix.
    Select(commands::select::SelectCmd),
    /// Show the chain from a changed file to a module: why it is selected.
    Explain(commands::explain::ExplainCmd),
    /// Split the selection into N shards balanced by past test durations.
    Shard(commands::shard::ShardCmd),
    /// Replay the last N commits and report how much each would select.
    Evaluate(commands::evaluate::EvaluateCmd),
}

/// Parses the command line, runs the command and maps its outcome to an
/// exit code. Errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    cli_support::run::<Command, _>(|cli, _, out| match &cli.command {
        Command::Select(cmd) => commands::select::run(cmd, out),
        Command::Explain(cmd) => commands::explain::run(cmd, out),
        Command::Shard(cmd) => commands::shard::run(cmd, out),
        Command::Evaluate(cmd) => commands::evaluate::run(cmd, out),
    })
}

impl cli_support::Tool for Command {
    const NAME: &'static str = "test-impact";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const ABOUT: &'static str = env!("CARGO_PKG_DESCRIPTION");
    const LONG_ABOUT: Option<&'static str> = Some(LONG_ABOUT);
    const AFTER_HELP: &'static str = AFTER_HELP;

    /// Before 0.2 the repository's directory was `--repo`; in every tool
    /// `--repo` is now a GitHub repository, OWNER/NAME.
    fn rewrite_deprecated(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
        cli_support::rename_flag("test-impact", &mut args, "--repo", "--root", |_, _| true);
        args
    }
}
