//! `critical-path tui`: the critical path, slack, top paths and what-if
//! changes in an interactive terminal UI (see [`crate::tui`]).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::{InputArgs, default_jobs};
use crate::Exit;
use crate::tui::{self, App, Options, Recompute};

#[derive(Args, Debug)]
pub struct TuiArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Workers for the simulated schedule (default: this machine's cores).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,

    /// A CODEOWNERS file (GitHub's syntax): show each module's owners, by
    /// its `path`, and let `o` filter the lists by team.
    #[arg(long, value_name = "FILE")]
    pub codeowners: Option<PathBuf>,
}

pub(crate) fn run(args: &TuiArgs, color: cli_support::Color) -> anyhow::Result<Exit> {
    // Inputs first: their errors say more than a missing terminal does.
    let input = args.input.load()?;
    let owners = match &args.codeowners {
        Some(path) => Some(super::owners::load(path, &input.graph)?),
        None => None,
    };
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        bail!(
            "tui: stdin or stdout is not a terminal; expected an interactive terminal (for text or JSON, use `critical-path analyze`)"
        );
    }
    let source = match &input.target {
        Some(t) => format!("{} → {t}", super::display_inputs(&args.input.inputs)),
        None => super::display_inputs(&args.input.inputs),
    };
    let options = Options {
        jobs: args.jobs.map_or_else(default_jobs, |j| j as usize),
        source,
        // --color, and https://no-color.org: NO_COLOR set and not empty
        // means no colour at all (the TUI only runs on a terminal).
        color: match color {
            cli_support::Color::Always => true,
            cli_support::Color::Never => false,
            cli_support::Color::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        },
        recompute: Recompute::Background,
    };
    let mut app = App::new(input.graph, options);
    if let Some(owners) = owners {
        app = app.with_owners(owners);
    }
    tui::run(app).context("failed to run the terminal UI")?;
    Ok(Exit::Success)
}
