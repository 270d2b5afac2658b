//! `critical-path analyze`: the summary, the critical path with each
//! module's potential improvement, the K longest paths, the observed
//! critical chain of a real build, and the SVG / Chrome trace pictures.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, ValueEnum};
use depgraph::{Cpm, CriticalPath, ModuleGraph, ModuleId, ObservedChain, Schedule, Slot};
use serde::Serialize;

use super::{InputArgs, OutputFormat, default_jobs};
use crate::Exit;
use crate::owners::Owners;
use crate::render::{self, Timeline};
use crate::report::{Align, Table, bar, round, secs};

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Workers for the simulated schedule (default: this machine's cores).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,

    /// Also list the K longest distinct paths: near-critical chains that
    /// bound what speeding up the critical path can gain.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub top: usize,

    /// `text` for people; `json` for scripts (a stable schema, see the README).
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,

    /// Write an SVG: the critical path as a stack of blocks, and a Gantt
    /// chart of the schedule with the critical path highlighted.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,

    /// Write a Chrome Trace Event file (open it in https://ui.perfetto.dev).
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// Which schedule the SVG and trace draw: the observed one when the input
    /// has real start times (Cargo, Ninja), else the N-job simulation.
    #[arg(long, value_enum, default_value_t, value_name = "WHICH")]
    pub schedule: ScheduleChoice,

    /// CI gate: exit 1 when the critical path is longer than SECONDS.
    #[arg(long, value_name = "SECONDS")]
    pub max_critical_path: Option<f64>,

    /// A CODEOWNERS file (GitHub's syntax): show the owners of each module
    /// on the critical path, by its `path`.
    #[arg(long, value_name = "FILE")]
    pub codeowners: Option<PathBuf>,

    /// With --codeowners: the critical path to the module of TEAM that
    /// finishes last, flagging the modules of other teams on it.
    #[arg(long, value_name = "TEAM", requires = "codeowners")]
    pub team: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ScheduleChoice {
    /// observed when every module has a start time, else simulated
    #[default]
    Auto,
    Simulated,
    Observed,
}

/// The JSON report. Field names are a stable interface (see the README);
/// new fields may be added, none removed or renamed.
#[derive(Serialize)]
pub(crate) struct Report {
    pub inputs: Vec<String>,
    pub formats: Vec<&'static str>,
    pub target: Option<String>,
    pub modules: usize,
    pub edges: usize,
    pub total_work_s: f64,
    pub critical_path: PathReport,
    pub parallelism: f64,
    pub jobs: usize,
    pub makespan_s: f64,
    pub observed_wall_s: Option<f64>,
    pub observed_chain: Option<ChainReport>,
    pub top_paths: Vec<TopPath>,
    pub max_critical_path_s: Option<f64>,
    pub over_budget: bool,
    /// The `--codeowners` file the owners come from, if any.
    pub codeowners: Option<String>,
    /// `--team`: the critical path to that team's last-finishing module.
    pub team: Option<TeamReport>,
}

/// The critical path that ends at a team's last-finishing module.
#[derive(Serialize)]
pub(crate) struct TeamReport {
    /// The team as CODEOWNERS spells it.
    pub name: String,
    /// The team's module that finishes last (earliest start + duration).
    pub target: String,
    pub duration_s: f64,
    pub modules: Vec<TeamModule>,
    /// Time the path spends in modules the team does not own.
    pub other_teams_s: f64,
    /// The owners of those modules, sorted.
    pub other_teams: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct TeamModule {
    pub name: String,
    pub duration_s: f64,
    pub span_s: f64,
    pub start_s: f64,
    pub owners: Vec<String>,
    /// Not owned by the team: another team's (or no one's) module on the
    /// team's critical path.
    pub other_team: bool,
}

#[derive(Serialize)]
pub(crate) struct PathReport {
    pub duration_s: f64,
    pub modules: Vec<PathModule>,
}

#[derive(Serialize)]
pub(crate) struct PathModule {
    pub name: String,
    pub duration_s: f64,
    /// Time the module holds the path: its duration, or only its metadata
    /// time when the next module is pipelined on it.
    pub span_s: f64,
    pub start_s: f64,
    pub share: f64,
    pub potential_improvement_s: f64,
    /// Owners by CODEOWNERS (`--codeowners`); empty without one.
    pub owners: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct TopPath {
    pub duration_s: f64,
    pub modules: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct ChainReport {
    pub wall_s: f64,
    pub modules: Vec<ChainModule>,
}

#[derive(Serialize)]
pub(crate) struct ChainModule {
    pub name: String,
    pub start_s: f64,
    pub end_s: f64,
    pub wait_s: f64,
}

pub(crate) fn run(args: &AnalyzeArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    if let Some(b) = args.max_critical_path
        && !(b.is_finite() && b >= 0.0)
    {
        anyhow::bail!("--max-critical-path {b}: expected a number of seconds >= 0");
    }
    for (flag, path) in [("--svg", &args.svg), ("--trace", &args.trace)] {
        if let Some(p) = path {
            args.input.check_output(flag, p)?;
        }
    }
    if let (Some(team), Some(target)) = (&args.team, &args.input.target) {
        anyhow::bail!(
            "--team {team} and --target {target} both choose where the critical path ends; pick one"
        );
    }
    let input = args.input.load()?;
    let g = &input.graph;
    let owners = match &args.codeowners {
        Some(p) => Some(super::owners::load(p, g)?),
        None => None,
    };
    let jobs = args.jobs.map_or_else(default_jobs, |j| j as usize);

    let t = Instant::now();
    let cpm = g.cpm();
    let path = g.critical_path_with(&cpm);
    tracing::info!(
        elapsed_ms = ms(t),
        "critical path (earliest/latest starts, slack)"
    );
    // Improvements and the simulation only read the graph: one per core.
    let (improvements, schedule) = rayon::join(
        || {
            let t = Instant::now();
            let imp = g.potential_improvements(&cpm, &path);
            tracing::info!(elapsed_ms = ms(t), "potential improvements");
            imp
        },
        || {
            let t = Instant::now();
            let s = g.schedule_with_tails(jobs, &cpm.tail);
            tracing::info!(elapsed_ms = ms(t), jobs, "simulated schedule");
            s
        },
    );
    let top = if args.top > 0 {
        g.longest_paths(args.top)
    } else {
        Vec::new()
    };
    let team = match (&args.team, &owners) {
        (Some(team), Some(owners)) => Some(team_report(args, g, &cpm, owners, team)?),
        _ => None,
    };
    let observed_wall = g.observed_wall();
    let chain = g.observed_chain();

    let total = g.total_work();
    let over_budget = args.max_critical_path.is_some_and(|b| path.length_s > b);
    let report = Report {
        inputs: args
            .input
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        formats: input.formats.iter().map(|f| f.name()).collect(),
        target: input.target.clone(),
        modules: g.len(),
        edges: g.edge_count(),
        total_work_s: round(total),
        critical_path: path_report(g, &path, &improvements, owners.as_ref()),
        parallelism: round(parallelism(total, path.length_s)),
        jobs,
        makespan_s: round(schedule.makespan_s),
        observed_wall_s: observed_wall.map(round),
        observed_chain: chain.as_ref().map(|c| chain_report(g, c)),
        top_paths: top
            .iter()
            .map(|p| TopPath {
                duration_s: round(p.length_s),
                modules: p
                    .steps
                    .iter()
                    .map(|s| g.name(s.module).to_owned())
                    .collect(),
            })
            .collect(),
        max_critical_path_s: args.max_critical_path,
        over_budget,
        codeowners: args.codeowners.as_ref().map(|p| p.display().to_string()),
        team,
    };

    if args.svg.is_some() || args.trace.is_some() {
        write_pictures(args, g, &cpm, &path, &schedule, jobs)?;
    }

    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)?;
        }
        OutputFormat::Text => write_text(out, &report)?,
    }

    // Freeing a million modules one by one takes a fifth of a second that
    // the exiting process gives back anyway.
    std::mem::forget(input);

    if over_budget {
        eprintln!(
            "critical-path: the critical path is {} ({:.3} s), over the budget of {:.3} s",
            secs(path.length_s),
            path.length_s,
            args.max_critical_path.unwrap_or_default()
        );
        return Ok(Exit::CheckFailed);
    }
    Ok(Exit::Success)
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

fn parallelism(total: f64, path: f64) -> f64 {
    if path > 0.0 { total / path } else { 1.0 }
}

fn owners_of(owners: Option<&Owners>, id: ModuleId) -> Vec<String> {
    owners.map_or_else(Vec::new, |o| o.of(id).map(str::to_owned).collect())
}

/// `--team`: the team's module that finishes last (earliest start plus
/// duration; lowest id on ties) and the critical path to it.
fn team_report(
    args: &AnalyzeArgs,
    g: &ModuleGraph,
    cpm: &Cpm,
    owners: &Owners,
    team: &str,
) -> anyhow::Result<TeamReport> {
    // Teams are case-insensitive on GitHub; `org/team` means `@org/team`.
    let find = |t: &str| {
        owners
            .teams()
            .iter()
            .find(|x| x.eq_ignore_ascii_case(t))
            .cloned()
    };
    let name = find(team)
        .or_else(|| find(&format!("@{team}")))
        .ok_or_else(|| {
            let teams = owners.teams();
            let codeowners = args
                .codeowners
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string());
            if teams.is_empty() {
                return anyhow::anyhow!(
                    "--team {team}: {codeowners} gives no module of {} an owner",
                    super::display_inputs(&args.input.inputs)
                );
            }
            const SHOW: usize = 6;
            let mut few = teams[..teams.len().min(SHOW)].join(", ");
            if teams.len() > SHOW {
                few.push_str(&format!(", … ({} in all)", teams.len()));
            }
            anyhow::anyhow!(
                "--team {team}: no module of {} has that owner in {codeowners}; teams that own modules: {few}",
                super::display_inputs(&args.input.inputs)
            )
        })?;
    let owns = |id: ModuleId| owners.of(id).any(|o| o == name);
    let mut target: Option<(ModuleId, f64)> = None;
    for id in g.ids().filter(|&id| owns(id)) {
        let end = cpm.earliest_start[id.index()] + g.duration(id);
        if target.is_none_or(|(_, best)| end > best) {
            target = Some((id, end));
        }
    }
    let (target, _) = target.expect("the team owns a module");
    let path = g.critical_path_to(target);
    let mut other_teams: Vec<String> = Vec::new();
    let mut other_teams_s = 0.0;
    let modules = path
        .steps
        .iter()
        .map(|s| {
            let other_team = !owns(s.module);
            let module_owners = owners_of(Some(owners), s.module);
            if other_team {
                other_teams_s += s.span_s;
                for o in &module_owners {
                    if !other_teams.contains(o) {
                        other_teams.push(o.clone());
                    }
                }
            }
            TeamModule {
                name: g.name(s.module).to_owned(),
                duration_s: round(g.duration(s.module)),
                span_s: round(s.span_s),
                start_s: round(s.start_s),
                owners: module_owners,
                other_team,
            }
        })
        .collect();
    other_teams.sort_unstable();
    Ok(TeamReport {
        name,
        target: g.name(target).to_owned(),
        duration_s: round(path.length_s),
        modules,
        other_teams_s: round(other_teams_s),
        other_teams,
    })
}

fn path_report(
    g: &ModuleGraph,
    path: &CriticalPath,
    improvements: &[f64],
    owners: Option<&Owners>,
) -> PathReport {
    PathReport {
        duration_s: round(path.length_s),
        modules: path
            .steps
            .iter()
            .zip(improvements)
            .map(|(s, &imp)| PathModule {
                name: g.name(s.module).to_owned(),
                duration_s: round(g.duration(s.module)),
                span_s: round(s.span_s),
                start_s: round(s.start_s),
                share: round(if path.length_s > 0.0 {
                    s.span_s / path.length_s
                } else {
                    0.0
                }),
                potential_improvement_s: round(imp),
                owners: owners_of(owners, s.module),
            })
            .collect(),
    }
}

fn chain_report(g: &ModuleGraph, c: &ObservedChain) -> ChainReport {
    ChainReport {
        wall_s: round(c.wall_s),
        modules: c
            .steps
            .iter()
            .map(|s| ChainModule {
                name: g.name(s.module).to_owned(),
                start_s: round(s.start_s),
                end_s: round(s.end_s),
                wait_s: round(s.wait_s),
            })
            .collect(),
    }
}

fn write_text(out: &mut dyn Write, r: &Report) -> anyhow::Result<()> {
    let mut summary = Table::new(&[("", Align::Left), ("", Align::Right), ("", Align::Left)]);
    summary.row(vec![
        "modules".into(),
        r.modules.to_string(),
        format!("{} edges", r.edges),
    ]);
    summary.row(vec![
        "total work".into(),
        secs(r.total_work_s),
        "sum of all durations".into(),
    ]);
    summary.row(vec![
        "critical path".into(),
        secs(r.critical_path.duration_s),
        match &r.target {
            Some(t) => format!("to `{t}`: no build of it can be faster"),
            None => "no build can be faster, whatever the cores".into(),
        },
    ]);
    summary.row(vec![
        "parallelism".into(),
        format!("{:.1}x", r.parallelism),
        "total work / critical path: more cores than this cannot help".into(),
    ]);
    summary.row(vec![
        format!("makespan, {} jobs", r.jobs),
        secs(r.makespan_s),
        "simulated, longest remaining path first".into(),
    ]);
    if let Some(w) = r.observed_wall_s {
        summary.row(vec![
            "observed wall time".into(),
            secs(w),
            "first start to last end in the input".into(),
        ]);
    }
    let rendered = summary.render("");
    // The header row of an unnamed table is blank: drop it.
    let body = rendered.split_once('\n').map_or("", |x| x.1);
    write!(out, "{body}")?;

    let pipelined = r
        .critical_path
        .modules
        .iter()
        .any(|m| m.span_s != m.duration_s);
    writeln!(
        out,
        "\ncritical path: {} modules, {}",
        r.critical_path.modules.len(),
        secs(r.critical_path.duration_s)
    )?;
    let mut header = vec![
        ("#", Align::Right),
        ("module", Align::Left),
        ("duration", Align::Right),
    ];
    if pipelined {
        header.push(("on path", Align::Right));
    }
    header.extend([
        ("start", Align::Right),
        ("share", Align::Left),
        ("potential improvement", Align::Right),
    ]);
    let with_owners = r.codeowners.is_some();
    if with_owners {
        header.push(("owners", Align::Left));
    }
    let mut t = Table::new(&header);
    for (i, m) in r.critical_path.modules.iter().enumerate() {
        let mut row = vec![(i + 1).to_string(), m.name.clone(), secs(m.duration_s)];
        if pipelined {
            row.push(secs(m.span_s));
        }
        row.extend([
            secs(m.start_s),
            format!("{} {:>5.1}%", bar(m.share, 10), m.share * 100.0),
            secs(m.potential_improvement_s),
        ]);
        if with_owners {
            row.push(owner_list(&m.owners));
        }
        t.row(row);
    }
    write!(out, "{}", t.render("  "))?;
    writeln!(
        out,
        "  potential improvement: how much the critical path shrinks if that module took no time"
    )?;
    if pipelined {
        writeln!(
            out,
            "  on path: time until the next module could start (its metadata, when pipelined)"
        )?;
    }

    if let Some(team) = &r.team {
        write_team(out, team)?;
    }

    if let Some(c) = &r.observed_chain {
        writeln!(
            out,
            "\nobserved critical chain: {} modules, {} wall (last-finishing dependencies, waits included)",
            c.modules.len(),
            secs(c.wall_s)
        )?;
        let mut t = Table::new(&[
            ("#", Align::Right),
            ("module", Align::Left),
            ("start", Align::Right),
            ("end", Align::Right),
            ("waited", Align::Right),
        ]);
        for (i, m) in c.modules.iter().enumerate() {
            t.row(vec![
                (i + 1).to_string(),
                m.name.clone(),
                secs(m.start_s),
                secs(m.end_s),
                secs(m.wait_s),
            ]);
        }
        write!(out, "{}", t.render("  "))?;
    }

    if !r.top_paths.is_empty() {
        writeln!(out, "\n{} longest paths:", r.top_paths.len())?;
        for (i, p) in r.top_paths.iter().enumerate() {
            writeln!(
                out,
                "  {:>2}. {:>9}  {}",
                i + 1,
                secs(p.duration_s),
                abbreviate_chain(&p.modules)
            )?;
        }
    }
    Ok(())
}

fn owner_list(owners: &[String]) -> String {
    if owners.is_empty() {
        "-".into()
    } else {
        owners.join(" ")
    }
}

/// The `--team` section: the path to the team's last module, other teams'
/// modules marked `!`, and how much of the path they hold.
fn write_team(out: &mut dyn Write, t: &TeamReport) -> anyhow::Result<()> {
    writeln!(
        out,
        "\ncritical path to {}'s {}: {} modules, {}",
        t.name,
        t.target,
        t.modules.len(),
        secs(t.duration_s)
    )?;
    let mut table = Table::new(&[
        ("#", Align::Right),
        ("", Align::Left),
        ("module", Align::Left),
        ("duration", Align::Right),
        ("start", Align::Right),
        ("owners", Align::Left),
    ]);
    for (i, m) in t.modules.iter().enumerate() {
        table.row(vec![
            (i + 1).to_string(),
            if m.other_team { "!" } else { "" }.into(),
            m.name.clone(),
            secs(m.duration_s),
            secs(m.start_s),
            owner_list(&m.owners),
        ]);
    }
    write!(out, "{}", table.render("  "))?;
    let flagged = t.modules.iter().filter(|m| m.other_team).count();
    if flagged == 0 {
        writeln!(
            out,
            "  all {} modules on {}'s critical path are its own",
            t.modules.len(),
            t.name
        )?;
        return Ok(());
    }
    let share = if t.duration_s > 0.0 {
        t.other_teams_s / t.duration_s
    } else {
        0.0
    };
    let unowned = t
        .modules
        .iter()
        .filter(|m| m.other_team && m.owners.is_empty())
        .count();
    let mut who = t.other_teams.join(", ");
    if unowned > 0 {
        if !who.is_empty() {
            who.push_str("; ");
        }
        who.push_str(&format!("{unowned} without an owner"));
    }
    writeln!(
        out,
        "  {flagged} of {} modules ({}, {:.0}%) on {}'s critical path belong to other teams: {who}",
        t.modules.len(),
        secs(t.other_teams_s),
        share * 100.0,
        t.name
    )?;
    writeln!(out, "  !: a module {} does not own", t.name)?;
    Ok(())
}

/// `a → b → … (7 more) … → y → z` for long chains.
fn abbreviate_chain(names: &[String]) -> String {
    const KEEP: usize = 3;
    if names.len() <= 2 * KEEP + 1 {
        return names.join(" → ");
    }
    format!(
        "{} → … ({} more) … → {}",
        names[..KEEP].join(" → "),
        names.len() - 2 * KEEP,
        names[names.len() - KEEP..].join(" → ")
    )
}

fn write_pictures(
    args: &AnalyzeArgs,
    g: &ModuleGraph,
    cpm: &Cpm,
    path: &CriticalPath,
    schedule: &Schedule,
    jobs: usize,
) -> anyhow::Result<()> {
    let all_observed = g.modules().all(|m| m.observed_start_s.is_some());
    let observed = match args.schedule {
        ScheduleChoice::Auto => all_observed,
        ScheduleChoice::Simulated => false,
        ScheduleChoice::Observed if all_observed => true,
        ScheduleChoice::Observed => anyhow::bail!(
            "--schedule observed: {} has modules without a start time; expected a Cargo timings report, a Ninja log or native JSON with `start_s` on every module",
            super::display_inputs(&args.input.inputs)
        ),
    };
    let (slots, lanes, label) = if observed {
        // Times that already count from the build's start (Cargo, Ninja)
        // are drawn as they are, so the pictures agree with the observed
        // chain in the report; others (epoch seconds, say) from the first
        // start.
        let first = g
            .modules()
            .filter_map(|m| m.observed_start_s)
            .fold(f64::INFINITY, f64::min);
        let wall = g.observed_wall().unwrap_or(0.0);
        let origin = if (0.0..wall).contains(&first) {
            0.0
        } else {
            first
        };
        let intervals: Vec<(f64, f64)> = g
            .modules()
            .map(|m| {
                let s = m.observed_start_s.unwrap_or(0.0) - origin;
                (s, s + m.duration_s)
            })
            .collect();
        let (lane_of, lanes) = render::assign_lanes(&intervals);
        let slots: Vec<Slot> = intervals
            .iter()
            .zip(lane_of)
            .map(|(&(start_s, end_s), worker)| Slot {
                start_s,
                end_s,
                worker,
            })
            .collect();
        (slots, lanes, "observed".to_owned())
    } else {
        (
            schedule.slots.clone(),
            jobs.min(g.len()).max(1),
            format!("simulated, {jobs} jobs"),
        )
    };
    let title = match &args.input.target {
        Some(t) => format!("critical path to {t}"),
        None => format!(
            "critical path of {}",
            super::display_inputs(&args.input.inputs)
        ),
    };
    let timeline = Timeline {
        graph: g,
        cpm,
        path,
        slots: &slots,
        lanes,
        title,
        schedule_label: label,
    };
    if let Some(p) = &args.svg {
        std::fs::write(p, render::svg(&timeline))
            .with_context(|| format!("failed to write --svg {}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    if let Some(p) = &args.trace {
        let write = || -> std::io::Result<()> {
            let mut w = std::io::BufWriter::new(std::fs::File::create(p)?);
            render::write_chrome_trace(&timeline, &mut w)?;
            w.into_inner()
                .map_err(std::io::IntoInnerError::into_error)?
                .sync_all()
        };
        write().with_context(|| format!("failed to write --trace {}", p.display()))?;
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::abbreviate_chain;

    #[test]
    fn long_chains_are_abbreviated() {
        let names: Vec<String> = (0..10).map(|i| format!("m{i}")).collect();
        assert_eq!(
            abbreviate_chain(&names),
            "m0 → m1 → m2 → … (4 more) … → m7 → m8 → m9"
        );
        assert_eq!(abbreviate_chain(&names[..3]), "m0 → m1 → m2");
    }
}
