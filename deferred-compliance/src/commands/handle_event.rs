//! `deferred-compliance handle-event`: one webhook event from a file, as a
//! GitHub Actions step triggered by `workflow_run` (or
//! `deployment_protection_rule`, `issues`) runs it.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::{CommonArgs, Format, print_actions};
use crate::Exit;

#[derive(Args, Debug)]
pub struct HandleEventArgs {
    /// The event's payload (GitHub Actions: `$GITHUB_EVENT_PATH`).
    #[arg(long, value_name = "FILE", env = "GITHUB_EVENT_PATH")]
    pub event_path: PathBuf,
    /// The event's name: `workflow_run`, `deployment_protection_rule` or
    /// `issues` (GitHub Actions: `$GITHUB_EVENT_NAME`).
    #[arg(long, value_name = "NAME", env = "GITHUB_EVENT_NAME")]
    pub event_name: String,
    /// Attempts of the whole pass when GitHub fails (a 5xx on a write);
    /// the pass is idempotent, so a repeat never files twice.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub attempts: u32,
    /// Output: text for people, json for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub(crate) fn run(args: &HandleEventArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let cfg = args.common.load()?;
    let text = std::fs::read_to_string(&args.event_path)
        .with_context(|| format!("cannot read {}", args.event_path.display()))?;
    let payload: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: line {} column {}: expected a webhook payload (JSON): {e}",
            args.event_path.display(),
            e.line(),
            e.column()
        )
    })?;
    let now = args.common.now();
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let engine = super::connect(cfg)?;
        let mut attempt = 1;
        loop {
            match engine.handle_event(&args.event_name, &payload, now).await {
                Ok(actions) => {
                    print_actions(out, args.format, &actions)?;
                    return Ok(Exit::Success);
                }
                Err(e) if attempt < args.attempts.max(1) && transient(&e) => {
                    let wait = Duration::from_secs(2 << (attempt - 1));
                    eprintln!(
                        "deferred-compliance: note: {e:#}; trying the pass again in {} s",
                        wait.as_secs()
                    );
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => {
                    eprintln!(
                        "deferred-compliance: error: {e:#}; the next `reconcile` pass will \
                         finish what this event started"
                    );
                    return Ok(Exit::CheckFailed);
                }
            }
        }
    })
}

/// Worth another pass: GitHub unreachable or failing (5xx; rate limits are
/// waited out by the client already). A 4xx will answer the same again.
fn transient(e: &anyhow::Error) -> bool {
    github_client::status_of(e.as_ref()).is_none_or(|s| s >= 500)
}
