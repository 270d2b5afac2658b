//! `critical-path export`: any supported input as the toolkit's native JSON,
//! so a Cargo or Ninja build can be fed to other tools, diffed, or edited
//! for a what-if by hand.

use std::io::Write;

use clap::Args;

use super::InputArgs;
use crate::Exit;

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,
}

pub(crate) fn run(args: &ExportArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let input = args.input.load()?;
    depgraph::input::write_native(&input.graph, &mut *out)?;
    Ok(Exit::Success)
}
