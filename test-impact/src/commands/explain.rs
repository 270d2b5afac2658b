//! `test-impact explain NAME`: the chain from a changed file to a module,
//! each step with its reason; exit 1 when the module is not affected.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use crate::Exit;
use crate::prepare::{self, SelectArgs};
use crate::select;

#[derive(Args, Debug)]
/// `test-impact explain`.
pub struct ExplainCmd {
    /// The module (Cargo package) to explain.
    pub name: String,

    #[command(flatten)]
    pub select: SelectArgs,
}

/// Runs `explain`.
pub fn run(cmd: &ExplainCmd, out: &mut dyn Write) -> Result<Exit> {
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
            | select::Reason::OwnTests { path }
            | select::Reason::PathRule { path, .. }
            | select::Reason::CompiledIn { path, .. } => line.push(path.clone()),
            // The package the file is in is no module: named in the line.
            select::Reason::LocalPackage { path, package, .. } => {
                line.push(path.clone());
                line.push(package.clone());
            }
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
