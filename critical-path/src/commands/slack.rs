//! `critical-path slack`: every module's earliest start, latest start and
//! total slack, least slack first. Zero slack means on a critical path;
//! large slack means the module could build later, or slower, for free.

use std::io::Write;

use clap::Args;
use serde::Serialize;

use super::{InputArgs, OutputFormat};
use crate::Exit;
use crate::report::{Align, Table, round, secs};

#[derive(Args, Debug)]
pub struct SlackArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// `text` for people; `json` for scripts (a stable schema, see the README).
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,

    /// Show only the first N modules (least slack first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// One JSON row; the field names are a stable interface.
#[derive(Serialize)]
pub(crate) struct SlackRow<'a> {
    pub name: &'a str,
    pub duration_s: f64,
    pub earliest_start_s: f64,
    pub latest_start_s: f64,
    pub slack_s: f64,
}

pub(crate) fn run(args: &SlackArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let input = args.input.load()?;
    let g = &input.graph;
    let cpm = g.cpm();
    let mut ids: Vec<_> = g.ids().collect();
    // Least slack first; among equals, the earliest to start, then by name,
    // so the order is stable across runs. Compared as printed (to the
    // microsecond): float noise must not decide which of two zero-slack
    // modules comes first.
    let slack: Vec<f64> = g.ids().map(|id| round(cpm.slack(id))).collect();
    let earliest: Vec<f64> = cpm.earliest_start.iter().map(|&e| round(e)).collect();
    ids.sort_by(|&a, &b| {
        slack[a.index()]
            .total_cmp(&slack[b.index()])
            .then(earliest[a.index()].total_cmp(&earliest[b.index()]))
            .then_with(|| g.name(a).cmp(g.name(b)))
    });
    ids.truncate(args.limit.unwrap_or(usize::MAX));
    let rows = ids.iter().map(|&id| SlackRow {
        name: g.name(id),
        duration_s: round(g.duration(id)),
        earliest_start_s: round(cpm.earliest_start[id.index()]),
        latest_start_s: round(cpm.latest_start[id.index()]),
        slack_s: round(cpm.slack(id)),
    });
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows.collect::<Vec<_>>())?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            let mut t = Table::new(&[
                ("slack", Align::Right),
                ("earliest", Align::Right),
                ("latest", Align::Right),
                ("duration", Align::Right),
                ("module", Align::Left),
            ]);
            for r in rows {
                t.row(vec![
                    secs(r.slack_s),
                    secs(r.earliest_start_s),
                    secs(r.latest_start_s),
                    secs(r.duration_s),
                    r.name.to_owned(),
                ]);
            }
            write!(out, "{}", t.render(""))?;
            writeln!(
                out,
                "critical path {}; slack: how long a module can slip without delaying the build",
                secs(cpm.length_s)
            )?;
        }
    }
    Ok(Exit::Success)
}
