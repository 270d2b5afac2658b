//! `critical-path tui`: the critical path, slack, top paths and what-if
//! changes in an interactive terminal UI (see [`crate::tui`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use depgraph::ModuleGraph;
use depgraph::codeowners::{CodeOwners, Dialect};

use super::{InputArgs, default_jobs};
use crate::Exit;
use crate::tui::{self, App, Options, Owners, Recompute};

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

pub fn run(args: &TuiArgs) -> anyhow::Result<Exit> {
    // Inputs first: their errors say more than a missing terminal does.
    let input = args.input.load()?;
    let owners = match &args.codeowners {
        Some(path) => Some(load_owners(path, &input.graph)?),
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
        // https://no-color.org: set and not empty means no colour at all.
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        recompute: Recompute::Background,
    };
    let mut app = App::new(input.graph, options);
    if let Some(owners) = owners {
        app = app.with_owners(owners);
    }
    tui::run(app).context("failed to run the terminal UI")?;
    Ok(Exit::Success)
}

/// The owners of every module, by its `path`, from a CODEOWNERS file in
/// GitHub's syntax. Skipped lines are reported on stderr, where they are
/// seen again when the TUI exits.
fn load_owners(path: &Path, graph: &ModuleGraph) -> anyhow::Result<Owners> {
    // The error names the file already: `--codeowners FILE: cannot read ...`.
    let (codeowners, warnings) =
        CodeOwners::load(path, Dialect::GitHub).map_err(|e| anyhow::anyhow!("--codeowners {e}"))?;
    for w in &warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(Owners::build(graph, |p| {
        codeowners
            .owners(p)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use depgraph::{Dep, GraphBuilder, Module};

    #[test]
    fn owners_come_from_the_module_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("CODEOWNERS");
        std::fs::write(
            &file,
            "* @org/everyone\n/libs/ @org/platform @alice\n/apps/legacy/\n",
        )
        .unwrap();
        let mut b = GraphBuilder::new();
        for (name, path) in [
            ("core", Some("libs/core")),
            ("app", Some("apps/app")),
            ("old", Some("apps/legacy/old")),
            ("gen", None),
        ] {
            let mut m = Module::new(name, 1.0);
            m.path = path.map(str::to_owned);
            b.add(m, Vec::<Dep>::new());
        }
        let g = b.build().unwrap();
        let owners = load_owners(&file, &g).unwrap();
        let of = |name: &str| owners.of(g.find(name).unwrap()).collect::<Vec<_>>();
        assert_eq!(of("core"), ["@org/platform", "@alice"]);
        assert_eq!(of("app"), ["@org/everyone"]);
        assert!(of("old").is_empty(), "a rule without owners unowns");
        assert!(of("gen").is_empty(), "no path, no owners");
        assert_eq!(owners.teams(), ["@alice", "@org/everyone", "@org/platform"]);

        let err = load_owners(&dir.path().join("missing"), &g).unwrap_err();
        assert!(format!("{err:#}").contains("missing"), "{err:#}");
    }
}
