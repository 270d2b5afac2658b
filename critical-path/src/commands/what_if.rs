//! `critical-path what-if`: the critical path (and N-job makespan) before
//! and after changing module durations or splitting modules, to price a
//! refactoring before doing it.

use std::io::Write;

use anyhow::{Context, bail};
use clap::{ArgMatches, Args};
use depgraph::{Change, ModuleGraph};
use serde::Serialize;

use super::{InputArgs, OutputFormat, default_jobs, resolve};
use crate::Exit;
use crate::report::{round, secs};

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("changes").required(true).multiple(true))]
pub struct WhatIfArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Set NAME's duration to SECONDS.
    #[arg(long, value_name = "NAME=SECONDS", group = "changes")]
    pub set: Vec<String>,

    /// Multiply NAME's duration by FACTOR (0.5: twice as fast).
    #[arg(long, value_name = "NAME=FACTOR", group = "changes")]
    pub scale: Vec<String>,

    /// Split NAME into N equal parts that build in parallel.
    #[arg(long, value_name = "NAME=N", group = "changes")]
    pub split: Vec<String>,

    /// Workers for the simulated makespan before and after (default: this machine's cores).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,

    /// `text` for people; `json` for scripts (a stable schema, see the README).
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,
}

/// The JSON report; field names are a stable interface.
#[derive(Serialize)]
pub(crate) struct WhatIfReport {
    pub before_s: f64,
    pub after_s: f64,
    pub saved_s: f64,
    /// Module names of the critical path after the changes.
    pub critical_path: Vec<String>,
    pub jobs: usize,
    pub makespan_before_s: f64,
    pub makespan_after_s: f64,
}

pub(crate) fn run(
    args: &WhatIfArgs,
    matches: &ArgMatches,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let input = args.input.load()?;
    let g = &input.graph;
    let changes = changes_in_order(g, args, matches)?;
    let jobs = args.jobs.map_or_else(default_jobs, |j| j as usize);
    let w = g.what_if(&changes)?;
    let report = WhatIfReport {
        before_s: round(w.before.length_s),
        after_s: round(w.after.length_s),
        saved_s: round(w.saved_s),
        critical_path: w
            .after
            .steps
            .iter()
            .map(|s| w.graph.name(s.module).to_owned())
            .collect(),
        jobs,
        makespan_before_s: round(g.schedule(jobs).makespan_s),
        makespan_after_s: round(w.graph.schedule(jobs).makespan_s),
    };
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            let pct = |saved: f64, before: f64| {
                if before > 0.0 {
                    saved / before * 100.0
                } else {
                    0.0
                }
            };
            writeln!(
                out,
                "critical path  {:>9} → {:>9}  saved {} ({:.1}%)",
                secs(report.before_s),
                secs(report.after_s),
                secs(report.saved_s),
                pct(report.saved_s, report.before_s)
            )?;
            let msaved = report.makespan_before_s - report.makespan_after_s;
            writeln!(
                out,
                "{:<14} {:>9} → {:>9}  saved {} ({:.1}%)",
                format!("{jobs} jobs"),
                secs(report.makespan_before_s),
                secs(report.makespan_after_s),
                secs(msaved),
                pct(msaved, report.makespan_before_s)
            )?;
            writeln!(
                out,
                "critical path after ({} modules): {}",
                report.critical_path.len(),
                report.critical_path.join(" → ")
            )?;
        }
    }
    Ok(Exit::Success)
}

/// The changes in the order they were given on the command line, whatever
/// the flag, so `--set a=10 --scale a=0.5` and `--scale a=0.5 --set a=10`
/// mean what they say.
fn changes_in_order(
    g: &ModuleGraph,
    args: &WhatIfArgs,
    matches: &ArgMatches,
) -> anyhow::Result<Vec<Change>> {
    let mut indexed: Vec<(usize, Change)> = Vec::new();
    for (flag, id, values) in [
        ("--set", "set", &args.set),
        ("--scale", "scale", &args.scale),
        ("--split", "split", &args.split),
    ] {
        let indices: Vec<usize> = matches
            .indices_of(id)
            .map(Iterator::collect)
            .unwrap_or_default();
        for (i, v) in values.iter().enumerate() {
            let (name, value) = v
                .rsplit_once('=')
                .with_context(|| format!("{flag} `{v}`: expected NAME=VALUE"))?;
            let module = resolve(g, flag, name)?;
            let change = match id {
                "set" => Change::Set {
                    module,
                    seconds: number(flag, v, value, "a number of seconds >= 0")?,
                },
                "scale" => Change::Scale {
                    module,
                    factor: number(flag, v, value, "a factor >= 0")?,
                },
                _ => {
                    let parts: u32 =
                        value
                            .trim()
                            .parse()
                            .ok()
                            .filter(|&n| n >= 1)
                            .with_context(|| {
                                format!("{flag} `{v}`: expected a whole number of parts >= 1")
                            })?;
                    Change::Split { module, parts }
                }
            };
            indexed.push((indices.get(i).copied().unwrap_or(usize::MAX), change));
        }
    }
    indexed.sort_by_key(|(i, _)| *i);
    if indexed.is_empty() {
        bail!("no change given; expected --set, --scale or --split");
    }
    Ok(indexed.into_iter().map(|(_, c)| c).collect())
}

fn number(flag: &str, arg: &str, value: &str, expected: &str) -> anyhow::Result<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .with_context(|| format!("{flag} `{arg}`: expected {expected}"))
}
