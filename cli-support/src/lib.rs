//! What the toolkit's four command-line tools share at their edge, so that
//! they speak one language (`docs/cli.md`):
//!
//! - [`Exit`]: the exit codes, the same in every tool, and [`finish`], which
//!   turns a command's outcome into one of them;
//! - [`run`]: the whole `main` of a tool: parse, set up logging, run the
//!   command on a buffered stdout, report an error on one line;
//! - [`GlobalArgs`]: `-v`/`-q` and `--color`, accepted by every subcommand;
//! - [`Format`]: `--format text|json` for commands that print only those;
//! - [`one_line`] and [`escape_controls`]: a message, and the user data it
//!   quotes, kept on one line.

#![warn(missing_docs, unreachable_pub)]

mod exit;
mod logging;
mod text;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::ArgMatches;

pub use exit::{Exit, Unavailable, exit_code_of, finish, for_usage_error, is_broken_pipe};
pub use logging::{Color, GlobalArgs, init_logging};
pub use text::{error_chain, escape_controls, git_unquote, one_line};

/// `--format` of a command that prints text for a person or JSON for a
/// program. Commands with more outputs (nextest filters, a GitHub Actions
/// matrix) have their own enum whose first two values are these.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Lines for a person.
    #[default]
    Text,
    /// One JSON document on stdout.
    Json,
}

/// A tool's command line: the flags every subcommand accepts, then the
/// subcommand. Each tool's command line is `Cli<ItsCommand>`, and what its
/// `--help` and `--version` say of it comes from its [`Tool`]; so the
/// shared flags are declared once, here.
#[derive(clap::Parser, Debug)]
#[command(
    name = C::NAME,
    version = C::VERSION,
    about = C::ABOUT,
    long_about = C::LONG_ABOUT,
    after_help = C::AFTER_HELP
)]
pub struct Cli<C: Tool> {
    /// `-v`/`-q` and `--color`.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The subcommand and its arguments.
    #[command(subcommand)]
    pub command: C,
}

/// A tool: its subcommands (the enum this is implemented on) and what it
/// says of itself.
pub trait Tool: clap::Subcommand {
    /// The binary's name; also the prefix of its messages on stderr.
    const NAME: &'static str;
    /// `--version`: the tool crate's `env!("CARGO_PKG_VERSION")`.
    const VERSION: &'static str;
    /// The first line of `--help`.
    const ABOUT: &'static str;
    /// What `--help` (not `-h`) says instead of [`Tool::ABOUT`], if more.
    const LONG_ABOUT: Option<&'static str> = None;
    /// Examples, at the end of `--help`.
    const AFTER_HELP: &'static str;

    /// The log level without -v, -q or `RUST_LOG`: `warn`, or `info` for a
    /// long-running server whose log is its record.
    fn default_log_level(&self) -> &'static str {
        "warn"
    }

    /// Rewrites the spellings of an earlier release into today's, before
    /// parsing, with a deprecation warning on stderr for each (kept for one
    /// release; see CHANGELOG.md). The default keeps `args` as they are.
    fn rewrite_deprecated(args: Vec<OsString>) -> Vec<OsString> {
        args
    }
}

/// A deprecated flag's rewrite, for [`Tool::rewrite_deprecated`]: replaces
/// `--old` (and `--old=VALUE`) by `--new` in `args`, from the subcommand
/// on, when `applies(subcommand, value)` holds, warning once on stderr.
pub fn rename_flag(
    tool: &str,
    args: &mut [OsString],
    old: &str,
    new: &str,
    applies: impl Fn(&str, Option<&str>) -> bool,
) {
    let sub = args
        .iter()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'))
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut warned = false;
    for i in 1..args.len() {
        let a = args[i].to_string_lossy().into_owned();
        if a == "--" {
            break;
        }
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        if flag != old {
            continue;
        }
        let value = inline
            .clone()
            .or_else(|| args.get(i + 1).map(|v| v.to_string_lossy().into_owned()));
        if !applies(&sub, value.as_deref()) {
            continue;
        }
        args[i] = match inline {
            Some(v) => format!("{new}={v}").into(),
            None => new.into(),
        };
        if !warned {
            eprintln!(
                "{tool}: warning: {old} is deprecated here and will be removed in 0.3; use {new}"
            );
            warned = true;
        }
    }
}

/// The `main` of a tool: parses the command line (`--help` and `--version`
/// exit 0, a usage error exits 2), sets up logging from `-v`/`-q`,
/// `RUST_LOG` and `--color`, runs `command` with a buffered stdout, flushes
/// it and maps the outcome to an exit code. An error is printed as one line
/// `TOOL: error: MESSAGE: CAUSE: …`; a closed stdout (`tool | head`) is a
/// success.
///
/// stdout is buffered but not locked, so a command may also draw on the
/// terminal itself (the TUI) once it has flushed what it wrote.
pub fn run<C, F>(command: F) -> ExitCode
where
    C: Tool,
    F: FnOnce(&Cli<C>, &ArgMatches, &mut dyn Write) -> anyhow::Result<Exit>,
{
    use clap::{CommandFactory, FromArgMatches};

    let tool = C::NAME;
    let args = C::rewrite_deprecated(std::env::args_os().collect());
    let matches = match Cli::<C>::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return for_usage_error(e.use_stderr()).into();
        }
    };
    let cli = match Cli::<C>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return Exit::BadInput.into();
        }
    };
    init_logging(tool, &cli.global, cli.command.default_log_level());
    // Buffered: a million output lines through a line-buffered stdout
    // would be a million write calls.
    let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout());
    let outcome = command(&cli, &matches, &mut out);
    let flushed = out.flush();
    finish(tool, outcome, flushed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deprecated_flag_is_renamed_where_it_applies() {
        let mut args: Vec<OsString> = [
            "t",
            "collect",
            "--output",
            "json",
            "--format=ruby",
            "--",
            "--output",
        ]
        .map(OsString::from)
        .to_vec();
        rename_flag("t", &mut args, "--format", "--input-format", |sub, v| {
            sub == "collect" && v != Some("json")
        });
        rename_flag("t", &mut args, "--output", "--format", |_, _| true);
        assert_eq!(
            args,
            [
                "t",
                "collect",
                "--format",
                "json",
                "--input-format=ruby",
                "--",
                "--output"
            ]
            .map(OsString::from)
        );
    }
}
