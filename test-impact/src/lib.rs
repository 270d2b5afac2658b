//! `test-impact`: selects the modules, and so the tests, that a git diff
//! can affect, through the module dependency graph. Safe first: a change
//! the graph cannot place selects everything, and says why. Precise second:
//! a lockfile bump selects the packages whose resolved dependencies moved,
//! not the workspace.
//!
//! The binary's `main` only calls [`main`]; everything lives here so it can
//! be tested without a process.

pub mod cache;
pub mod cargo;
pub mod compiled;
pub mod evaluate;
pub mod git;
pub mod last_green;
pub mod manifest;
pub mod output;
pub mod prepare;
pub mod rules;
pub mod select;
pub mod shard;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

pub use cli_support::Exit;

use crate::output::{Format, Report};
use crate::prepare::{Prepared, SelectArgs};

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

/// Runs only the tests a git diff can affect.
///
/// The changed files (since the merge-base with --base) are assigned to the
/// modules that own them; everything that depends on those modules,
/// transitively, is affected. The graph is the Cargo workspace at the
/// repository root (read at the merge-base and at head, so a Cargo.lock or
/// feature change marks exactly the packages whose build it changes), or a
/// native JSON graph (--graph) exported from any build system.
#[derive(Parser, Debug)]
#[command(name = "test-impact", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: cli_support::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Select the affected modules and print them for a person, nextest,
    /// cargo or a GitHub Actions matrix.
    Select(SelectCmd),
    /// Show the chain from a changed file to a module: why it is selected.
    Explain(ExplainCmd),
    /// Split the selection into N shards balanced by past test durations.
    Shard(shard::ShardCmd),
    /// Replay the last N commits and report how much each would select.
    Evaluate(evaluate::EvaluateCmd),
}

#[derive(Args, Debug)]
pub struct SelectCmd {
    #[command(flatten)]
    pub select: SelectArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::List)]
    pub format: Format,

    /// Also append `has-affected`, `run-all`, `count`, `matrix`,
    /// `cargo-args` and `nextest-filter` to the file named by
    /// $GITHUB_OUTPUT (GitHub Actions step outputs).
    #[arg(long)]
    pub github_output: bool,
}

#[derive(Args, Debug)]
pub struct ExplainCmd {
    /// The module (Cargo package) to explain.
    pub name: String,

    #[command(flatten)]
    pub select: SelectArgs,
}

/// Parses the command line, runs the command and maps its outcome to an
/// exit code. Errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    cli_support::run::<Cli, _>("test-impact", |cli, _, out| match &cli.command {
        Command::Select(cmd) => run_select(cmd, out),
        Command::Explain(cmd) => run_explain(cmd, out),
        Command::Shard(cmd) => shard::run(cmd, out),
        Command::Evaluate(cmd) => evaluate::run(cmd, out),
    })
}

impl cli_support::Cli for Cli {
    fn global(&self) -> &cli_support::GlobalArgs {
        &self.global
    }

    /// Before 0.2 the repository's directory was `--repo`; in every tool
    /// `--repo` is now a GitHub repository, OWNER/NAME.
    fn rewrite_deprecated(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
        cli_support::rename_flag("test-impact", &mut args, "--repo", "--root", |_, _| true);
        args
    }
}

/// The JSON report of a prepared selection.
pub fn report<'a>(args: &'a SelectArgs, p: &'a Prepared) -> Report<'a> {
    let s = &p.selection;
    Report {
        version: 1,
        base: args.base.as_deref(),
        head: Some(args.head.as_str()),
        merge_base: p.merge_base.map(|o| o.to_string()),
        graph: p.graph_label.clone(),
        changed_files: &p.changed_files,
        run_all: s.run_all,
        run_all_reason: s.run_all_reason.as_deref(),
        affected: &s.affected,
        total: s.total,
        tests: &s.tests,
        reasons: &s.reasons,
        ignored_files: &s.ignored_files,
        removed: &p.removed,
        lockfile: p.lockfile,
    }
}

fn run_select(cmd: &SelectCmd, out: &mut dyn Write) -> Result<Exit> {
    let p = prepare::prepare(&cmd.select)?;
    let sel = &p.selection;
    output::write(cmd.format, &report(&cmd.select, &p), sel, out)?;
    if cmd.github_output {
        let path = output::github_output_file()?;
        ci_formats::github::append_outputs(&path, &output::github_outputs(sel)?)?;
    }
    if p.lockfile == Some(prepare::Lockfile::Generated) {
        eprintln!(
            "test-impact: the workspace commits no Cargo.lock; resolved with a generated one (cached under .git/test-impact)"
        );
    }
    eprintln!("{}", output::summary(sel));
    Ok(Exit::Success)
}

fn run_explain(cmd: &ExplainCmd, out: &mut dyn Write) -> Result<Exit> {
    let p = prepare::prepare(&cmd.select)?;
    if p.graph.find(&cmd.name).is_none() {
        anyhow::bail!(
            "`{}` is not a module of the graph ({}); expected one of its {} modules",
            cmd.name,
            p.graph_label,
            p.graph.len()
        );
    }
    let Some(chain) = select::explain(&p.selection, &cmd.name) else {
        writeln!(
            out,
            "{} is not affected: no changed file is in it or in anything it depends on",
            cmd.name
        )?;
        return Ok(Exit::CheckFailed);
    };
    // file → first module → dependent → … → NAME
    let mut line = Vec::new();
    if let Some((_, first)) = chain.first() {
        match first {
            select::Reason::File { path }
            | select::Reason::PathRule { path, .. }
            | select::Reason::CompiledIn { path, .. } => line.push(path.clone()),
            other => line.push(format!("({other})")),
        }
    }
    line.extend(chain.iter().map(|(m, _)| (*m).to_owned()));
    writeln!(out, "{}", line.join(" → "))?;
    for (m, why) in &chain {
        writeln!(out, "  {m}: {why}")?;
    }
    Ok(Exit::Success)
}
