//! `deferred-compliance status` (being written).

use std::io::Write;

use clap::Args;

use super::CommonArgs;
use crate::Exit;

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_args: &StatusArgs, _out: &mut dyn Write) -> anyhow::Result<Exit> {
    anyhow::bail!("not written yet")
}
