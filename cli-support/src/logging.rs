//! `-v`/`-q`, `RUST_LOG` and `--color`, the same in every tool.

use std::io::{self, IsTerminal};

use clap::{Args, ValueEnum};

/// The flags every subcommand of every tool accepts (`global = true`).
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// More logging on stderr: -v phases and timings, -vv debug. RUST_LOG
    /// (e.g. `RUST_LOG=test_impact=debug`) overrides both -v and -q.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr: no notes, progress or warnings.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Colour on stderr and in the TUI: auto (a terminal, and NO_COLOR
    /// unset or empty), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = Color::Auto, global = true)]
    pub color: Color,
}

/// `--color WHEN`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Color {
    /// Colour on a terminal unless NO_COLOR is set to a non-empty value.
    #[default]
    Auto,
    /// Colour even when the output is not a terminal, whatever NO_COLOR says.
    Always,
    /// No colour, even on a terminal.
    Never,
}

impl Color {
    /// Whether to colour what goes to stderr.
    pub fn on_stderr(self) -> bool {
        self.on(io::stderr().is_terminal())
    }

    /// Whether to colour what goes to stdout (the TUI).
    pub fn on_stdout(self) -> bool {
        self.on(io::stdout().is_terminal())
    }

    fn on(self, terminal: bool) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// Logging on stderr: `default` (normally `warn`; `error` with -q, `info`
/// with -v, `debug` with -vv) unless `RUST_LOG` says otherwise. `test-impact` also reads its
/// old variable, `TEST_IMPACT_LOG`, with a deprecation warning.
pub fn init_logging(tool: &str, global: &GlobalArgs, default: &str) {
    use tracing_subscriber::EnvFilter;
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => default,
        (false, 1) if default == "info" => "debug",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let old_var = format!("{}_LOG", tool.to_uppercase().replace('-', "_"));
    let filter = match (std::env::var("RUST_LOG"), std::env::var(&old_var)) {
        (Ok(spec), _) => EnvFilter::try_new(spec).ok(),
        (Err(_), Ok(spec)) if tool == "test-impact" => {
            eprintln!(
                "{tool}: warning: {old_var} is deprecated and will be removed in 0.3; use RUST_LOG"
            );
            EnvFilter::try_new(spec).ok()
        }
        _ => None,
    };
    let filter = filter.unwrap_or_else(|| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .with_ansi(global.color.on_stderr())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn always_and_never_ignore_the_terminal() {
        assert!(Color::Always.on(false));
        assert!(!Color::Never.on(true));
        assert!(!Color::Auto.on(false));
    }
}
