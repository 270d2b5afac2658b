//! `test-impact evaluate`: replays the last N commits of a repository,
//! each against its first parent, and reports how much of the graph each
//! would have selected: the figure that says whether selection pays off.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::Args;
use git2::Oid;
use rayon::prelude::*;
use serde::Serialize;

use crate::Exit;
use crate::cargo;
use crate::git::Repo;
use crate::prepare::{self, GraphSource, short};

/// `--format text` (a table and a total) or `json`
/// (`{"commits":[...],"summary":{...}}`).
pub use cli_support::Format as EvalFormat;

#[derive(Args, Debug)]
pub struct EvaluateCmd {
    /// The repository (bare repositories work too). Spelled `--repo`
    /// before 0.2 (still read, with a warning).
    #[arg(long = "root", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,

    /// How many commits of the first-parent history to replay.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub commits: usize,

    /// The newest commit to replay.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub head: String,

    /// A native JSON graph, used for every commit. Without it the Cargo
    /// workspace is read at each commit (once per distinct set of manifests).
    #[arg(long, value_name = "FILE")]
    pub graph: Option<PathBuf>,

    /// Rules file [default: test-impact.toml at the root of the work tree].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub format: EvalFormat,
}

/// One replayed commit.
#[derive(Debug, Serialize)]
pub struct Row {
    pub commit: String,
    pub subject: String,
    pub changed_files: usize,
    pub selected: usize,
    pub total: usize,
    pub run_all: bool,
    pub run_all_reason: Option<String>,
}

/// The totals.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub commits: usize,
    /// Mean over commits of selected / total.
    pub mean_selected_fraction: f64,
    /// Sum of selected over sum of total: the share of module test runs kept.
    pub selected_module_runs: usize,
    pub total_module_runs: usize,
    pub run_all_commits: usize,
    pub empty_selections: usize,
}

#[derive(Serialize)]
struct Doc<'a> {
    commits: &'a [Row],
    summary: &'a Summary,
}

pub fn run(cmd: &EvaluateCmd, out: &mut dyn Write) -> Result<Exit> {
    let repo = Repo::discover(&cmd.repo)?;
    let head = repo.resolve(&cmd.head)?;
    let history: Vec<(Oid, Oid)> = repo
        .first_parent_history(head, cmd.commits)?
        .into_iter()
        .filter_map(|(c, p)| Some((c, p?)))
        .collect();
    // For the subjects only; everything else goes through `Repo`.
    let raw = git2::Repository::discover(&cmd.repo)?;
    let subject = |c: Oid| -> String {
        raw.find_commit(c)
            .ok()
            .and_then(|c| {
                c.summary_bytes()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
            })
            .unwrap_or_default()
    };
    let rules = prepare::load_rules(cmd.config.as_deref(), repo.workdir())?;
    let native = cmd.graph.as_deref().map(prepare::load_native).transpose()?;

    // Cargo: one `cargo metadata` per distinct set of manifests, in parallel.
    let mut metadata: HashMap<Oid, (String, tempfile::TempDir)> = HashMap::new();
    let mut key_of: HashMap<Oid, Oid> = HashMap::new();
    if native.is_none() {
        let mut todo: Vec<(Oid, Oid)> = Vec::new();
        for &(c, p) in &history {
            for commit in [c, p] {
                if let std::collections::hash_map::Entry::Vacant(e) = key_of.entry(commit) {
                    let key = repo.cargo_tree_key(commit)?;
                    e.insert(key);
                    if !todo.iter().any(|(k, _)| *k == key) {
                        todo.push((key, commit));
                    }
                }
            }
        }
        let dirs: Vec<(Oid, tempfile::TempDir)> = todo
            .iter()
            .map(|&(key, commit)| {
                let dir = tempfile::Builder::new()
                    .prefix("test-impact-eval-")
                    .tempdir()
                    .context("cannot create a temporary directory")?;
                repo.materialize_cargo_tree(commit, dir.path())?;
                Ok((key, dir))
            })
            .collect::<Result<_>>()?;
        let progress = std::io::stderr().is_terminal();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let caches: HashMap<Oid, PathBuf> = todo
            .iter()
            .map(|&(key, _)| (key, prepare::lock_cache(&repo, key)))
            .collect();
        let run = |key: Oid, dir: &Path, seeds: &[&Path]| {
            let r = prepare::metadata_with_lock(dir, Some(&caches[&key]), seeds);
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if progress {
                eprint!("\revaluate: cargo metadata {n}/{}", todo.len());
            }
            r
        };
        // A workspace that commits no Cargo.lock: the first tree resolves
        // (or takes the cached lockfile), and the others start offline from
        // its lockfile rather than each resolving online.
        let mut dirs = dirs.into_iter();
        let mut results: Vec<(Oid, Result<String>, tempfile::TempDir)> = Vec::new();
        if let Some((key, dir)) = dirs.next() {
            let r = run(key, dir.path(), &[]);
            results.push((key, r, dir));
        }
        let first_lock = results.first().map(|(_, _, d)| d.path().join("Cargo.lock"));
        let seeds: Vec<&Path> = first_lock.iter().map(PathBuf::as_path).collect();
        results.par_extend(dirs.collect::<Vec<_>>().into_par_iter().map(|(key, dir)| {
            let r = run(key, dir.path(), &seeds);
            (key, r, dir)
        }));
        if progress {
            eprintln!();
        }
        for (key, r, dir) in results {
            let commit = todo.iter().find(|(k, _)| *k == key).map(|(_, c)| *c);
            let json = r.with_context(|| {
                format!(
                    "the Cargo workspace at {}",
                    commit.map(short).unwrap_or_default()
                )
            })?;
            metadata.insert(key, (json, dir));
        }
    }

    let mut rows = Vec::with_capacity(history.len());
    // One scanner for the whole history: a source unchanged between two
    // commits is lexed once.
    let mut scanner = crate::compiled::Scanner::default();
    for &(commit, parent) in &history {
        let changed = repo.diff_paths(parent, commit)?;
        let source = match &native {
            Some(g) => GraphSource::Native(g.clone()),
            None => {
                let (bj, bd) = &metadata[&key_of[&parent]];
                let (hj, hd) = &metadata[&key_of[&commit]];
                GraphSource::Cargo(Box::new(
                    cargo::compare(bj, bd.path(), hj, hd.path())
                        .with_context(|| format!("commit {}", short(commit)))?,
                ))
            }
        };
        let manifests = match &source {
            GraphSource::Cargo(c) if changed.iter().any(|f| f == "Cargo.toml") => Some(
                prepare::root_manifest(&repo, parent, commit, &c.packages, None)?,
            ),
            _ => None,
        };
        let compiled_in = match &source {
            GraphSource::Cargo(c) => Some(scanner.scan_commit(&repo, commit, &c.sources())?),
            GraphSource::Native(_) => None,
        };
        let done = prepare::finish(
            source,
            &changed,
            &rules,
            None,
            prepare::Workspace {
                manifests,
                compiled_in: compiled_in.as_ref(),
            },
            true,
            None,
        )
        .with_context(|| format!("commit {}", short(commit)))?;
        let s = &done.selection;
        rows.push(Row {
            commit: short(commit),
            subject: subject(commit),
            changed_files: changed.len(),
            selected: s.affected.len(),
            total: s.total,
            run_all: s.run_all,
            run_all_reason: s.run_all_reason.clone(),
        });
    }
    if rows.is_empty() {
        return Err(anyhow!(
            "{}: no commit with a parent in the last {} of `{}`; expected some history",
            cmd.repo.display(),
            cmd.commits,
            cmd.head
        ));
    }
    let fraction = |r: &Row| {
        if r.total == 0 {
            0.0
        } else {
            r.selected as f64 / r.total as f64
        }
    };
    let summary = Summary {
        commits: rows.len(),
        mean_selected_fraction: rows.iter().map(fraction).sum::<f64>() / rows.len() as f64,
        selected_module_runs: rows.iter().map(|r| r.selected).sum(),
        total_module_runs: rows.iter().map(|r| r.total).sum(),
        run_all_commits: rows.iter().filter(|r| r.run_all).count(),
        empty_selections: rows.iter().filter(|r| r.selected == 0).count(),
    };
    match cmd.format {
        EvalFormat::Json => {
            serde_json::to_writer_pretty(
                &mut *out,
                &Doc {
                    commits: &rows,
                    summary: &summary,
                },
            )?;
            writeln!(out)?;
        }
        EvalFormat::Text => {
            writeln!(
                out,
                "{:<12}  {:>5}  {:>13}  subject",
                "commit", "files", "selected"
            )?;
            for r in &rows {
                let sel = format!("{}/{} {:>3.0}%", r.selected, r.total, 100.0 * fraction(r));
                let note = match &r.run_all_reason {
                    Some(why) => format!("  [all: {why}]"),
                    None => String::new(),
                };
                let subject: String = r.subject.chars().take(60).collect();
                writeln!(
                    out,
                    "{:<12}  {:>5}  {:>13}  {subject}{note}",
                    r.commit, r.changed_files, sel
                )?;
            }
            writeln!(
                out,
                "\n{} commits: {:.1}% of modules selected on average; {} of {} module test runs kept ({:.1}%), {:.1}% saved; {} commits selected everything, {} nothing",
                summary.commits,
                100.0 * summary.mean_selected_fraction,
                summary.selected_module_runs,
                summary.total_module_runs,
                100.0 * summary.selected_module_runs as f64
                    / summary.total_module_runs.max(1) as f64,
                100.0
                    - 100.0 * summary.selected_module_runs as f64
                        / summary.total_module_runs.max(1) as f64,
                summary.run_all_commits,
                summary.empty_selections,
            )?;
        }
    }
    Ok(Exit::Success)
}
