//! `critical-path`: the longest chain of a timed module graph, slack, an
//! N-worker simulation and what-if changes, as text, JSON, SVG or a Chrome
//! trace. The binary's `main` only calls [`main`]; everything else lives here
//! so it can be tested without a process.

pub mod commands;
pub mod render;
pub mod report;
pub mod tui;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::{FromArgMatches, Parser, Subcommand};

/// The toolkit's exit codes (0 success, 1 a check failed, 2 bad usage or
/// input), shared by every tool.
pub use depgraph::exit::Exit;

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

/// Critical path, slack, N-worker simulation and what-if analysis of a
/// timed module graph.
#[derive(Parser, Debug)]
#[command(name = "critical-path", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// More logging on stderr (-v: phases and timings, -vv: debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

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
    let matches = match Cli::command_with_help().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return depgraph::exit::for_usage_error(e.use_stderr()).into();
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Exit::BadInput.into();
        }
    };
    init_logging(cli.verbose);
    // The TUI draws on the terminal itself, and its panic hook may restore
    // the terminal from another thread: stdout must not be held locked by
    // the buffer below.
    if let Command::Tui(args) = &cli.command {
        return match commands::tui::run(args) {
            Ok(exit) => exit.into(),
            Err(e) => {
                eprintln!("critical-path: error: {e:#}");
                Exit::BadInput.into()
            }
        };
    }
    // Buffered: a million slack rows through a line-buffered stdout would
    // be a million write calls.
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
    let result = match &cli.command {
        Command::Analyze(args) => commands::analyze::run(args, &mut out),
        Command::Slack(args) => commands::slack::run(args, &mut out),
        Command::Export(args) => commands::export::run(args, &mut out),
        Command::Tui(_) => unreachable!("the TUI runs before stdout is locked"),
        Command::WhatIf(args) => {
            let sub = matches
                .subcommand_matches("what-if")
                .expect("clap parsed the what-if subcommand");
            commands::what_if::run(args, sub, &mut out)
        }
    };
    let flushed = out.flush();
    depgraph::exit::finish("critical-path", result, flushed)
}

impl Cli {
    fn command_with_help() -> clap::Command {
        <Cli as clap::CommandFactory>::command()
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .with_ansi(
            std::env::var_os("NO_COLOR").is_none() && io::IsTerminal::is_terminal(&io::stderr()),
        )
        .try_init();
}
