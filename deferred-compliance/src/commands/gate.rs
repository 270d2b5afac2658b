//! `deferred-compliance gate`: the deploy pipeline's check. Exit 0 when
//! deploys may go, 1 when a compliance issue is past its deadline without
//! an exception. It only reads; when GitHub cannot be read it exits 2, so
//! a pipeline that stops on any failure fails closed.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::{CommonArgs, Format, describe_left};
use crate::Exit;
use crate::engine::Assessment;
use crate::issue::{rfc3339, short};

#[derive(Args, Debug)]
pub struct GateArgs {
    /// Output: text for people, json for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Serialize)]
struct GateJson<'a> {
    deploys: &'static str,
    blocking: Vec<super::IssueJson<'a>>,
    excepted: Vec<super::IssueJson<'a>>,
    warnings: &'a [String],
    now: String,
}

pub(crate) fn run(args: &GateArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let cfg = args.common.load()?;
    let now = args.common.now();
    let runtime = super::runtime()?;
    let (assessed, warnings): (Vec<Assessment>, Vec<String>) = runtime.block_on(async {
        let engine = super::connect(cfg)?;
        engine.assess(now).await
    })?;
    let blocking: Vec<&Assessment> = assessed.iter().filter(|a| a.blocks()).collect();
    let excepted: Vec<&Assessment> = assessed
        .iter()
        .filter(|a| a.overdue && a.exception.is_some())
        .collect();
    match args.format {
        Format::Json => {
            let doc = GateJson {
                deploys: if blocking.is_empty() {
                    "allowed"
                } else {
                    "blocked"
                },
                blocking: blocking.iter().map(|a| super::issue_json(a, now)).collect(),
                excepted: excepted.iter().map(|a| super::issue_json(a, now)).collect(),
                warnings: &warnings,
                now: rfc3339(now),
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
        Format::Text => {
            for a in &blocking {
                let (url, since, commit, tagged) = match &a.tracked {
                    Some(t) => (
                        t.issue.html_url.clone().unwrap_or_default(),
                        rfc3339(t.marker.opened_at),
                        short(&t.marker.sha).to_owned(),
                        if t.marker.mentions().is_empty() {
                            "nobody".to_owned()
                        } else {
                            t.marker.mentions().join(" ")
                        },
                    ),
                    None => (
                        "its issue was closed, unlabelled or deleted; the next pass files it again"
                            .to_owned(),
                        "-".to_owned(),
                        "-".to_owned(),
                        "nobody".to_owned(),
                    ),
                };
                writeln!(
                    out,
                    "deploys blocked by {} ({url}): job {} failing since {since} (commit {commit}), \
                     deadline {} passed {}; tagged {tagged}",
                    super::issue_ref(a),
                    a.job,
                    rfc3339(a.deadline),
                    describe_left(a.deadline, now),
                )?;
                if let Some(w) = &a.warning {
                    writeln!(out, "  warning: {w}")?;
                }
            }
            for a in &excepted {
                let g = a.exception.as_ref().expect("filtered on it");
                writeln!(
                    out,
                    "exception: {} ({}) is past its deadline, but @{} granted an exception",
                    super::issue_ref(a),
                    a.job,
                    g.login
                )?;
            }
            for w in &warnings {
                writeln!(out, "warning: {w}")?;
            }
            if blocking.is_empty() {
                writeln!(
                    out,
                    "deploys may go: {} open compliance issue{}, none blocking",
                    assessed.len(),
                    if assessed.len() == 1 { "" } else { "s" }
                )?;
            }
        }
    }
    Ok(if blocking.is_empty() {
        Exit::Success
    } else {
        Exit::CheckFailed
    })
}
