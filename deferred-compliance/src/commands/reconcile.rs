//! `deferred-compliance reconcile`: the periodic pass that rebuilds the
//! truth from GitHub (the latest runs of each job, the open compliance
//! issues), so lost or reordered webhooks heal.

use std::io::Write;

use clap::Args;

use super::{CommonArgs, Format, print_actions};
use crate::Exit;

#[derive(Args, Debug)]
pub struct ReconcileArgs {
    /// Output: text for people, json for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Exits 1 when some job's pass failed (it is left to the next pass).
pub(crate) fn run(args: &ReconcileArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let cfg = args.common.load()?;
    let now = args.common.now();
    let runtime = super::runtime()?;
    let actions = runtime.block_on(async {
        let engine = super::connect(cfg)?;
        engine.reconcile(now).await
    })?;
    print_actions(out, args.format, &actions)?;
    Ok(if actions.iter().any(|a| a.failed) {
        Exit::CheckFailed
    } else {
        Exit::Success
    })
}
