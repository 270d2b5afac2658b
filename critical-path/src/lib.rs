//! `critical-path`: the longest chain of a timed module graph, slack, an
//! N-worker simulation and what-if changes, as text, JSON, SVG or a Chrome
//! trace. The binary's `main` only calls [`main`]; everything else lives here
//! so it can be tested without a process. Only the command line ([`Cli`],
//! for the shared-flags check) and [`report::secs`] (for the TUI test) are
//! used outside the crate; every other item is `pub(crate)`.

#![warn(unreachable_pub)]

mod commands;
mod owners;
mod render;
pub mod report;
mod tui;

use std::process::ExitCode;

use clap::Subcommand;

/// The toolkit's exit codes (0 success, 1 a check failed, 2 bad usage or
/// input), shared by every tool.
pub use cli_support::Exit;

const AFTER_HELP: &str = "\
Inputs (format detected from content; --input-format forces one):
  graph.json                     the toolkit's native JSON
  graph.dot times.csv            DOT edges + CSV `name,duration_s` (or native JSON)
  cargo-timing.html [meta.json]  `cargo build --timings` (+ `cargo metadata` JSON)
  .ninja_log graph.dot           ninja's log + `ninja -t graph`

Exit codes:
  0  success
  1  the critical path exceeds --max-critical-path
  2  bad usage or bad input (one line on stderr says where)

Examples:
  critical-path analyze fixtures/monorepo-1000.json --jobs 16 --top 3
  critical-path analyze target/cargo-timings/cargo-timing.html --svg cp.svg
  critical-path slack fixtures/monorepo-1000.json --format json
  critical-path what-if fixtures/monorepo-1000.json --split ads-0333=4
  critical-path tui fixtures/monorepo-1000.json --jobs 16";

/// The command line: the shared flags (`-v`, `-q`, `--color`), then a
/// [`Command`].
pub type Cli = cli_support::Cli<Command>;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Summary, critical path with potential improvements, top paths; SVG and trace.
    Analyze(commands::analyze::AnalyzeArgs),
    /// Earliest start, latest start and slack of every module, least slack first.
    Slack(commands::slack::SlackArgs),
    /// Critical path before and after changing durations or splitting modules.
    WhatIf(commands::what_if::WhatIfArgs),
    /// Print the graph read from any input as native JSON.
    Export(commands::export::ExportArgs),
    /// Interactive terminal UI: critical path, slack, top paths, what-if.
    Tui(commands::tui::TuiArgs),
}

/// Parses the command line, runs the command and maps its outcome to an exit
/// code. Errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    cli_support::run::<Command, _>(|cli, matches, out| {
        match &cli.command {
            Command::Analyze(args) => commands::analyze::run(args, out),
            Command::Slack(args) => commands::slack::run(args, out),
            Command::Export(args) => commands::export::run(args, out),
            // The TUI draws on the terminal itself; stdout is not locked
            // by the runner, and nothing was written to it yet.
            Command::Tui(args) => commands::tui::run(args, cli.global.color),
            Command::WhatIf(args) => {
                let sub = matches
                    .subcommand_matches("what-if")
                    .expect("clap parsed the what-if subcommand");
                commands::what_if::run(args, sub, out)
            }
        }
    })
}

impl cli_support::Tool for Command {
    const NAME: &'static str = "critical-path";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const ABOUT: &'static str = env!("CARGO_PKG_DESCRIPTION");
    const AFTER_HELP: &'static str = AFTER_HELP;
}
