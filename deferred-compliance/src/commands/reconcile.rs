//! `deferred-compliance reconcile` (being written).

use std::io::Write;

use clap::Args;

use super::CommonArgs;
use crate::Exit;

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

pub fn run(_args: &ReconcileArgs, _out: &mut dyn Write) -> anyhow::Result<Exit> {
    anyhow::bail!("not written yet")
}
