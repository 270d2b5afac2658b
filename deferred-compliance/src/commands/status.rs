//! `deferred-compliance status`: every open compliance issue with its job,
//! its deadline and the time left.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::{CommonArgs, Format, describe_left};
use crate::Exit;
use crate::issue::{rfc3339, utc};

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Output: text for people, json for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Serialize)]
struct StatusJson<'a> {
    now: String,
    issues: Vec<super::IssueJson<'a>>,
    warnings: &'a [String],
}

pub(crate) fn run(args: &StatusArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let cfg = args.common.load()?;
    let now = args.common.now();
    let runtime = super::runtime()?;
    let (assessed, warnings) = runtime.block_on(async {
        let engine = super::connect(cfg)?;
        engine.assess(now).await
    })?;
    match args.format {
        Format::Json => {
            let doc = StatusJson {
                now: rfc3339(now),
                issues: assessed.iter().map(|a| super::issue_json(a, now)).collect(),
                warnings: &warnings,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Format::Text => {
            if assessed.is_empty() {
                writeln!(out, "no open compliance issue")?;
            }
            for a in &assessed {
                writeln!(
                    out,
                    "{:<6} {:<9} {}  deadline {} ({})",
                    super::issue_ref(a),
                    super::state_of(a),
                    a.job,
                    utc(a.deadline),
                    describe_left(a.deadline, now)
                )?;
            }
            for w in &warnings {
                writeln!(out, "warning: {w}")?;
            }
        }
    }
    Ok(Exit::Success)
}
