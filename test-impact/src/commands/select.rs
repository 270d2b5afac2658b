//! `test-impact select`: the affected modules, for a person, nextest,
//! cargo or a GitHub Actions matrix, and optionally as step outputs.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use crate::Exit;
use crate::output::{self, Format, Report};
use crate::prepare::{self, Prepared, SelectArgs};

#[derive(Args, Debug)]
/// `test-impact select`.
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

/// Runs `select`.
pub fn run(cmd: &SelectCmd, out: &mut dyn Write) -> Result<Exit> {
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
