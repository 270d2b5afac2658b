//! `gen-monorepo`: writes a synthetic monorepo as a real git repository, and
//! its module graph in the native JSON format, for `test-impact` benchmarks
//! and demos.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use cli_support::Exit;
use graph_gen::{GenOptions, Layered, SplitMix64};

/// Generate a synthetic monorepo as a real git repository, with its module
/// graph.
///
/// The modules and their dependencies are those of `gen-graph`: foundation
/// libraries under `libs/`, layers of feature modules under `features/`,
/// apps under `apps/`; about one feature module in five has no directory.
/// Each module with a directory gets a README.md and source files
/// `src/fNNNN.rs`, spread heavy-tailed: most modules hold a few files, a few
/// hold hundreds. Three files belong to no module: README.md and .gitignore
/// (which test-impact's built-in rules ignore) and tools/ci.sh (a change to
/// it selects everything).
///
/// The history, on branch `main`: one commit with every file, then --commits
/// random commits of about --files-per-commit files each, clustered around
/// one module as real changes are. Of the changed files 70 % are modified,
/// 15 % added, 10 % deleted and 5 % renamed, sometimes into another module.
/// One commit in ten also edits a module's README.md, 3 % edit a root file
/// (tools/ci.sh, README.md or .gitignore). --last-commit-files N ends the
/// history with one more commit that modifies exactly N source files, so
/// that `--base HEAD~1` has a known size.
///
/// The graph is test-impact's native JSON, one test per module:
///
///   {"modules":[
///     {"name":"log-0003","duration_s":4.2,"deps":["core-0000"],
///      "path":"libs/log-0003","tests":["log-0003::tests"]},
///     …]}
///
/// The repository is written by `git fast-import` and then checked out, so
/// 100,000 files take seconds, not minutes. Identities and dates are fixed:
/// the same options always give the same commits, hashes included.
///
/// Examples:
///
///   gen-monorepo --modules 10000 --commits 100 --last-commit-files 50 \
///                --out mono --graph-out mono.json
///
///   test-impact select --base HEAD~1 --graph mono.json --repo mono
#[derive(Parser, Debug)]
#[command(name = "gen-monorepo", version, verbatim_doc_comment)]
struct Args {
    /// Number of modules in the graph (exact).
    #[arg(long, short = 'n', default_value_t = 1000)]
    modules: usize,

    /// Number of source files in the first commit (exact; README.md files
    /// and root files come on top) [default: 10 × --modules].
    #[arg(long, value_name = "F")]
    files: Option<usize>,

    /// Mean number of dependencies per module (edges / modules).
    #[arg(long, short = 'd', default_value_t = 4.0, value_parser = parse_non_negative)]
    avg_deps: f64,

    /// Random commits after the first one.
    #[arg(long, default_value_t = 0)]
    commits: usize,

    /// Mean number of files a random commit changes (at least one each).
    #[arg(long, value_name = "K", default_value_t = 5.0, value_parser = parse_non_negative)]
    files_per_commit: f64,

    /// Append a last commit that modifies exactly N existing source files.
    #[arg(long, value_name = "N")]
    last_commit_files: Option<usize>,

    /// Seed of the pseudo-random generator. Same seed, same repository.
    #[arg(long, short = 's', default_value_t = 42)]
    seed: u64,

    /// The repository to create. It must not exist or be empty: nothing is
    /// ever overwritten.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,

    /// Where to write the graph (native JSON). It must not exist.
    #[arg(long, value_name = "FILE")]
    graph_out: PathBuf,
}

fn parse_non_negative(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err("expected a number >= 0".into())
    }
}

/// Errors are one line on stderr, exit code 2, as in the toolkit's tools.
fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => Exit::Success.into(),
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("gen-monorepo: error: {msg}");
            Exit::BadInput.into()
        }
    }
}

fn run(args: &Args) -> Result<()> {
    if u32::try_from(args.modules)
        .ok()
        .is_none_or(|n| n == u32::MAX)
    {
        bail!("--modules must be below {}", u32::MAX);
    }
    let started = Instant::now();
    check_empty_dir(&args.out)?;
    if args.graph_out.exists() {
        bail!(
            "{} already exists; expected a new file (remove it first)",
            args.graph_out.display()
        );
    }
    let plan = Layered::new(&GenOptions {
        modules: args.modules,
        avg_deps: args.avg_deps,
        seed: args.seed,
    });
    let history = History {
        files: args.files.unwrap_or(args.modules.saturating_mul(10)),
        commits: args.commits,
        files_per_commit: args.files_per_commit,
        last_commit_files: args.last_commit_files,
        seed: args.seed,
    };

    let file = File::create_new(&args.graph_out)
        .with_context(|| format!("cannot create {}", args.graph_out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let edges = plan
        .write_json(&mut w, true)
        .and_then(|e| w.flush().map(|()| e))
        .with_context(|| format!("cannot write {}", args.graph_out.display()))?;
    let graph_s = started.elapsed().as_secs_f64();

    let t = Instant::now();
    fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    git(&args.out, &["init", "--quiet", "--initial-branch=main"])?;
    let stats = fast_import(&args.out, &plan, &history)?;
    let import_s = t.elapsed().as_secs_f64();

    // fast-import writes objects and refs only; this fills the index and
    // the work tree. (Not `checkout.workers`: creating files is bound by the
    // file system's locks, and parallel workers measured slower.)
    let t = Instant::now();
    git(&args.out, &["reset", "--hard", "--quiet"])?;
    let checkout_s = t.elapsed().as_secs_f64();

    eprintln!(
        "gen-monorepo: {} modules ({} with a directory), {} edges, {} files in the first commit, \
         {} commits, {} files at HEAD, seed {}; graph {graph_s:.2} s, fast-import {import_s:.2} s, \
         checkout {checkout_s:.2} s, total {:.2} s",
        plan.len(),
        stats.dirs,
        edges,
        stats.first_files,
        stats.commits,
        stats.head_files,
        history.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Errors unless `dir` is missing or an empty directory.
fn check_empty_dir(dir: &Path) -> Result<()> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                bail!(
                    "{} is not empty; expected a new or empty directory (nothing is overwritten)",
                    dir.display()
                );
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| {
            format!(
                "cannot read {}; expected a new or empty directory",
                dir.display()
            )
        }),
    }
}

/// Runs `git ARGS` in `dir`, quietly; its stderr is passed through.
fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .context("cannot run git; is it installed and on PATH?")?;
    if !status.success() {
        bail!(
            "`git {}` failed in {} ({status})",
            args.join(" "),
            dir.display()
        );
    }
    Ok(())
}

/// Streams the history into `git fast-import` running in `dir`.
fn fast_import(dir: &Path, plan: &Layered, history: &History) -> Result<Stats> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["fast-import", "--quiet", "--done"]);
    // fast-import mallocs and frees a buffer per blob; glibc then grows and
    // trims the heap every time (200,000 `brk` calls and their page faults
    // for 100,000 files), which doubles its run time. A big top pad and
    // trim threshold keep the heap. Other C libraries ignore these.
    for (var, value) in [
        ("MALLOC_TOP_PAD_", "268435456"),
        ("MALLOC_TRIM_THRESHOLD_", "1073741824"),
    ] {
        if std::env::var_os(var).is_none() {
            cmd.env(var, value);
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot run git fast-import")?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let mut w = BufWriter::with_capacity(1 << 20, stdin);
    let written = write_history(plan, history, &mut w).and_then(|s| w.flush().map(|()| s));
    drop(w);
    let status = child.wait().context("git fast-import did not finish")?;
    if !status.success() {
        bail!("git fast-import failed in {} ({status})", dir.display());
    }
    let stats = written.context("cannot write to git fast-import")?;
    if let Some(n) = history.last_commit_files
        && stats.last_commit_files != n
    {
        bail!(
            "--last-commit-files {n}: only {} source files exist at that point",
            stats.last_commit_files
        );
    }
    Ok(stats)
}

/// What history to write, besides the graph.
#[derive(Clone, Debug)]
struct History {
    /// Source files in the first commit.
    files: usize,
    /// Random commits after it.
    commits: usize,
    /// Mean number of files a random commit changes.
    files_per_commit: f64,
    /// A last commit modifying exactly this many source files.
    last_commit_files: Option<usize>,
    seed: u64,
}

/// What [`write_history`] wrote.
#[derive(Clone, Debug, Default, PartialEq)]
struct Stats {
    /// Modules with a directory (the only ones with files).
    dirs: usize,
    /// Files of the first commit, README.md and root files included.
    first_files: usize,
    /// All commits, the first one included.
    commits: usize,
    /// Files at the last commit.
    head_files: usize,
    /// Files the last commit modified when `last_commit_files` was asked.
    last_commit_files: usize,
}

/// Files owned by no module, with their mode and first content. test-impact
/// ignores the first two by its built-in rules; the third selects everything.
const ROOT_FILES: [(&str, &str, &str); 3] = [
    ("README.md", "100644", "# synthetic monorepo\n"),
    (".gitignore", "100644", "/target\n"),
    ("tools/ci.sh", "100755", "#!/bin/sh\nexec cargo test\n"),
];

/// The first commit's date (2023-11-14); each next commit is an hour later.
const EPOCH: u64 = 1_700_000_000;

/// A module with a directory, and the numbers of its source files.
struct Dir {
    id: u32,
    path: String,
    files: Vec<u32>,
    /// The number of the next new file, so new paths never repeat.
    next: u32,
}

/// A change to one file of a commit, by directory and index in its `files`.
enum Op {
    Modify(usize, usize),
    Delete(usize, usize),
    /// To a new file of the second directory.
    Rename(usize, usize, usize),
    Add(usize),
}

/// Writes the whole history as a `git fast-import` stream (with `done`).
fn write_history(plan: &Layered, h: &History, w: &mut impl Write) -> io::Result<Stats> {
    let mut g = Generator::new(plan, h, w);
    g.first_commit()?;
    for _ in 0..h.commits {
        g.random_commit()?;
    }
    let mut last = 0;
    if let Some(n) = h.last_commit_files {
        last = g.last_commit(n)?;
    }
    g.w.write_all(b"done\n")?;
    Ok(Stats {
        dirs: g.dirs.len(),
        first_files: g.first_files,
        commits: g.commits,
        head_files: g.live + g.dirs.len() + ROOT_FILES.len(),
        last_commit_files: last,
    })
}

struct Generator<'a, W> {
    plan: &'a Layered,
    dirs: Vec<Dir>,
    /// Cumulative weights of `dirs`: heavy-tailed, so a few directories get
    /// many files, and get changed most.
    cumulative: Vec<f64>,
    rng: SplitMix64,
    w: W,
    files_per_commit: f64,
    target_files: usize,
    /// Source files alive now.
    live: usize,
    first_files: usize,
    commits: usize,
    /// Counts edits, so every content written is new.
    edits: u64,
}

impl<'a, W: Write> Generator<'a, W> {
    fn new(plan: &'a Layered, h: &History, w: W) -> Self {
        // Not the graph's stream: the same seed, another sequence.
        let mut rng = SplitMix64::new(h.seed ^ 0x6d6f_6e6f_7265_706f);
        let mut dirs = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for id in 0..plan.len() as u32 {
            if let Some(p) = plan.path(id) {
                // Pareto with shape 1.1, capped: the median directory weighs
                // about 1.9, one in a hundred over 60.
                let u = rng.next_f64();
                total += (1.0 - u).powf(-1.0 / 1.1).min(400.0);
                cumulative.push(total);
                dirs.push(Dir {
                    id,
                    path: p.to_string(),
                    files: Vec::new(),
                    next: 0,
                });
            }
        }
        Generator {
            plan,
            dirs,
            cumulative,
            rng,
            w,
            files_per_commit: h.files_per_commit,
            target_files: h.files,
            live: 0,
            first_files: 0,
            commits: 0,
            edits: 0,
        }
    }

    /// A directory drawn by weight.
    fn weighted_dir(&mut self) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = self.rng.next_f64() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.dirs.len() - 1)
    }

    /// The commit's focus most of the time, else any directory: real
    /// commits touch one module and a few others.
    fn near(&mut self, focus: usize) -> usize {
        if self.rng.next_f64() < 0.6 {
            focus
        } else {
            self.weighted_dir()
        }
    }

    /// An existing source file, near `focus`, not in `picked`.
    fn pick_file(
        &mut self,
        focus: usize,
        picked: &mut HashSet<(usize, u32)>,
    ) -> Option<(usize, usize)> {
        for _ in 0..16 {
            let d = self.near(focus);
            let n = self.dirs[d].files.len();
            if n == 0 {
                continue;
            }
            let i = self.rng.below(n as u64) as usize;
            if picked.insert((d, self.dirs[d].files[i])) {
                return Some((d, i));
            }
        }
        None
    }

    fn new_file(&mut self, d: usize) -> String {
        let dir = &mut self.dirs[d];
        let num = dir.next;
        dir.next += 1;
        dir.files.push(num);
        self.live += 1;
        file_path(&dir.path, num)
    }

    fn header(&mut self, message: &str) -> io::Result<()> {
        let when = EPOCH + 3600 * self.commits as u64;
        self.commits += 1;
        let who = "gen-monorepo <gen-monorepo@example.invalid>";
        write!(
            self.w,
            "commit refs/heads/main\nauthor {who} {when} +0000\ncommitter {who} {when} +0000\ndata {}\n{message}\n",
            message.len()
        )
    }

    /// `M` with new content, one line naming the file and the edit.
    fn put(&mut self, mode: &str, path: &str) -> io::Result<()> {
        self.edits += 1;
        let content = format!("// {path}: edit {}\n", self.edits);
        write!(
            self.w,
            "M {mode} inline {path}\ndata {}\n{content}",
            content.len()
        )
    }

    fn first_commit(&mut self) -> io::Result<()> {
        let n = self.target_files;
        self.header(&format!("Initial import: {n} source files"))?;
        for (path, mode, content) in ROOT_FILES {
            write!(
                self.w,
                "M {mode} inline {path}\ndata {}\n{content}",
                content.len()
            )?;
        }
        if self.dirs.is_empty() {
            self.first_files = ROOT_FILES.len();
            return Ok(());
        }
        // One file per directory while there are enough, the rest by weight.
        let mut counts = vec![0u32; self.dirs.len()];
        let everywhere = n >= self.dirs.len();
        if everywhere {
            counts.fill(1);
        }
        let base = if everywhere { self.dirs.len() } else { 0 };
        for _ in base..n {
            let d = self.weighted_dir();
            counts[d] += 1;
        }
        for (d, &count) in counts.iter().enumerate() {
            let readme = format!("{}/README.md", self.dirs[d].path);
            let content = format!("# {}\n", self.plan.name(self.dirs[d].id));
            write!(
                self.w,
                "M 100644 inline {readme}\ndata {}\n{content}",
                content.len()
            )?;
            for _ in 0..count {
                let path = self.new_file(d);
                self.put("100644", &path)?;
            }
        }
        self.w.write_all(b"\n")?;
        self.first_files = n + self.dirs.len() + ROOT_FILES.len();
        Ok(())
    }

    fn random_commit(&mut self) -> io::Result<()> {
        // At least one file; exponential beyond, stochastically rounded so
        // the mean is files_per_commit.
        let e = -(1.0 - self.rng.next_f64()).ln();
        let u = self.rng.next_f64();
        let k = 1 + ((self.files_per_commit - 1.0).max(0.0) * e + u) as usize;
        let readme = self.rng.next_f64() < 0.10;
        let root = self.rng.next_f64() < 0.03;

        let mut ops = Vec::with_capacity(k);
        if !self.dirs.is_empty() {
            let focus = self.weighted_dir();
            let mut picked = HashSet::new();
            for _ in 0..k {
                let r = self.rng.next_f64();
                let op = if (0.70..0.85).contains(&r) {
                    None
                } else {
                    self.pick_file(focus, &mut picked).map(|(d, i)| match r {
                        r if r < 0.70 => Op::Modify(d, i),
                        r if r < 0.95 => Op::Delete(d, i),
                        _ => {
                            // Half the renames stay in the module.
                            let to = if self.rng.next_f64() < 0.5 {
                                d
                            } else {
                                self.weighted_dir()
                            };
                            Op::Rename(d, i, to)
                        }
                    })
                };
                let op = match op {
                    Some(op) => op,
                    None => Op::Add(self.near(focus)),
                };
                ops.push(op);
            }
        }
        let (m, a, d, r) = ops.iter().fold((0, 0, 0, 0), |(m, a, d, r), op| match op {
            Op::Modify(..) => (m + 1, a, d, r),
            Op::Add(..) => (m, a + 1, d, r),
            Op::Delete(..) => (m, a, d + 1, r),
            Op::Rename(..) => (m, a, d, r + 1),
        });
        let mut message = format!(
            "Change {}: {m} modified, {a} added, {d} deleted, {r} renamed",
            plural_files(ops.len())
        );
        if readme && !self.dirs.is_empty() {
            message.push_str("; a README");
        }
        if root {
            message.push_str("; a root file");
        }
        self.header(&message)?;

        // Paths first, against the directories as they were; removals last,
        // from the highest index down, so indices stay valid.
        let mut removed = Vec::new();
        for op in &ops {
            match *op {
                Op::Modify(d, i) => {
                    let path = file_path(&self.dirs[d].path, self.dirs[d].files[i]);
                    self.put("100644", &path)?;
                }
                Op::Delete(d, i) => {
                    let path = file_path(&self.dirs[d].path, self.dirs[d].files[i]);
                    writeln!(self.w, "D {path}")?;
                    removed.push((d, i));
                }
                Op::Rename(d, i, to) => {
                    let from = file_path(&self.dirs[d].path, self.dirs[d].files[i]);
                    let path = self.new_file(to);
                    writeln!(self.w, "R {from} {path}")?;
                    removed.push((d, i));
                }
                Op::Add(d) => {
                    let path = self.new_file(d);
                    self.put("100644", &path)?;
                }
            }
        }
        removed.sort_unstable_by(|a, b| b.cmp(a));
        for (d, i) in removed {
            self.dirs[d].files.swap_remove(i);
            self.live -= 1;
        }
        if readme && !self.dirs.is_empty() {
            let d = self.weighted_dir();
            let path = format!("{}/README.md", self.dirs[d].path);
            self.put("100644", &path)?;
        }
        if root {
            // tools/ci.sh half the time; the others are ignored by rules.
            let (path, mode, _) = match self.rng.below(4) {
                0 => ROOT_FILES[0],
                1 => ROOT_FILES[1],
                _ => ROOT_FILES[2],
            };
            self.put(mode, path)?;
        }
        self.w.write_all(b"\n")
    }

    /// Modifies exactly `n` source files, or as many as exist; returns how
    /// many.
    fn last_commit(&mut self, n: usize) -> io::Result<usize> {
        let n = n.min(self.live);
        let mut picked = HashSet::new();
        let mut files = Vec::with_capacity(n);
        if n > 0 {
            let focus = self.weighted_dir();
            while files.len() < n {
                match self.pick_file(focus, &mut picked) {
                    Some(f) => files.push(f),
                    None => break,
                }
            }
            // Rarely (tiny or nearly picked-out repositories): the first
            // files not picked yet, in order.
            'fill: for d in 0..self.dirs.len() {
                for i in 0..self.dirs[d].files.len() {
                    if files.len() == n {
                        break 'fill;
                    }
                    if picked.insert((d, self.dirs[d].files[i])) {
                        files.push((d, i));
                    }
                }
            }
        }
        self.header(&format!("Change {}: all modified", plural_files(n)))?;
        for &(d, i) in &files {
            let path = file_path(&self.dirs[d].path, self.dirs[d].files[i]);
            self.put("100644", &path)?;
        }
        self.w.write_all(b"\n")?;
        Ok(files.len())
    }
}

/// "1 file", "2 files".
fn plural_files(n: usize) -> String {
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}

fn file_path(dir: &str, num: u32) -> String {
    format!("{dir}/src/f{num:04}.rs")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(modules: usize, seed: u64) -> Layered {
        Layered::new(&GenOptions {
            modules,
            avg_deps: 3.0,
            seed,
        })
    }

    fn history(files: usize, commits: usize, last: Option<usize>, seed: u64) -> History {
        History {
            files,
            commits,
            files_per_commit: 5.0,
            last_commit_files: last,
            seed,
        }
    }

    fn stream(modules: usize, h: &History) -> (String, Stats) {
        let mut out = Vec::new();
        let stats = write_history(&plan(modules, h.seed), h, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), stats)
    }

    /// The file commands of each commit: (`M`|`D`|`R`, paths).
    fn commits(s: &str) -> Vec<Vec<(char, Vec<&str>)>> {
        let mut out = Vec::new();
        let mut lines = s.lines();
        while let Some(line) = lines.next() {
            if line == "commit refs/heads/main" {
                out.push(Vec::new());
            } else if let Some(rest) = line.strip_prefix("M ") {
                let path = rest.splitn(3, ' ').nth(2).unwrap();
                out.last_mut().unwrap().push(('M', vec![path]));
                lines.next(); // data N; the content is one line
                lines.next();
            } else if let Some(path) = line.strip_prefix("D ") {
                out.last_mut().unwrap().push(('D', vec![path]));
            } else if let Some(rest) = line.strip_prefix("R ") {
                out.last_mut()
                    .unwrap()
                    .push(('R', rest.split(' ').collect()));
            } else if line.starts_with("data ") {
                lines.next(); // the commit message, one line
            }
        }
        out
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let h = history(3000, 40, Some(20), 7);
        let (a, sa) = stream(300, &h);
        assert_eq!((a.clone(), sa.clone()), stream(300, &h));
        let (b, _) = stream(300, &History { seed: 8, ..h });
        assert_ne!(a, b);
        assert_eq!(sa.commits, 42);
        assert!(a.ends_with("done\n"));
    }

    #[test]
    fn files_land_in_module_directories() {
        let p = plan(400, 3);
        let dirs: HashSet<String> = (0..400)
            .filter_map(|id| p.path(id).map(|d| d.to_string()))
            .collect();
        let (s, stats) = stream(400, &history(4000, 60, Some(50), 3));
        let commits = commits(&s);
        assert_eq!(commits.len(), 62);
        assert_eq!(stats.dirs, dirs.len());
        let first = &commits[0];
        assert_eq!(first.len(), 4000 + dirs.len() + 3);
        assert_eq!(stats.first_files, first.len());
        let mut sizes = Vec::new();
        for (path, _, _) in ROOT_FILES {
            assert!(first.iter().any(|(_, p)| p[0] == path), "{path}");
        }
        for d in &dirs {
            let readme = format!("{d}/README.md");
            assert!(first.iter().any(|(_, p)| p[0] == readme), "{readme}");
            let prefix = format!("{d}/src/");
            sizes.push(
                first
                    .iter()
                    .filter(|(_, p)| p[0].starts_with(&prefix))
                    .count(),
            );
        }
        // Every directory has a file, and the spread is heavy-tailed.
        sizes.sort_unstable();
        assert!(sizes[0] >= 1);
        assert!(
            sizes[sizes.len() - 1] > 10 * sizes[sizes.len() / 2],
            "{sizes:?}"
        );
        // Every path of every commit is a root file or inside a module.
        let mut seen = HashSet::new();
        for c in &commits {
            for (op, paths) in c {
                for path in paths {
                    let owned = path.rsplit_once("/src/").is_some_and(|(d, f)| {
                        dirs.contains(d) && f.starts_with('f') && f.ends_with(".rs")
                    }) || path
                        .strip_suffix("/README.md")
                        .is_some_and(|d| dirs.contains(d));
                    assert!(
                        owned || ROOT_FILES.iter().any(|r| r.0 == *path),
                        "{op} {path}"
                    );
                    seen.insert(*op);
                }
            }
        }
        assert_eq!(seen, HashSet::from(['M', 'D', 'R']));
        // The last commit modifies exactly 50 distinct source files.
        let last = commits.last().unwrap();
        assert_eq!(stats.last_commit_files, 50);
        assert_eq!(last.len(), 50);
        assert!(
            last.iter()
                .all(|(op, p)| *op == 'M' && p[0].contains("/src/"))
        );
        assert_eq!(
            last.iter().map(|(_, p)| p[0]).collect::<HashSet<_>>().len(),
            50
        );
    }

    #[test]
    fn tiny_and_empty_repositories() {
        let (s, stats) = stream(0, &history(0, 3, Some(5), 1));
        assert_eq!(stats.commits, 5);
        assert_eq!(stats.last_commit_files, 0);
        assert_eq!(stats.head_files, 3);
        assert!(s.ends_with("done\n"));
        // Fewer files than directories: some directories have none.
        let (_, stats) = stream(50, &history(10, 20, Some(1000), 2));
        assert!(stats.last_commit_files < 1000);
    }

    #[test]
    fn graph_has_paths_and_one_test_per_module() {
        let mut out = Vec::new();
        let edges = plan(200, 5).write_json(&mut out, true).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let mods = v["modules"].as_array().unwrap();
        assert_eq!(mods.len(), 200);
        let deps: usize = mods
            .iter()
            .map(|m| m["deps"].as_array().unwrap().len())
            .sum();
        assert_eq!(deps, edges);
        for m in mods {
            let name = m["name"].as_str().unwrap();
            assert_eq!(m["tests"][0].as_str().unwrap(), format!("{name}::tests"));
        }
        assert!(mods.iter().filter(|m| m.get("path").is_some()).count() > 150);
    }

    /// The real thing, small: git must accept the stream and check it out.
    #[test]
    fn git_builds_the_repository() {
        if Command::new("git").arg("--version").output().is_err() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        git(
            tmp.path(),
            &["init", "--quiet", "--initial-branch=main", "repo"],
        )
        .unwrap();
        let h = history(500, 10, Some(7), 11);
        let stats = fast_import(&dir, &plan(60, 11), &h).unwrap();
        git(&dir, &["reset", "--hard", "--quiet"]).unwrap();
        let out = Command::new("git")
            .args(["-C", dir.to_str().unwrap(), "ls-files"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            stats.head_files
        );
        assert!(dir.join("tools/ci.sh").is_file());
        let out = Command::new("git")
            .args(["-C", dir.to_str().unwrap(), "diff", "--name-only", "HEAD~1"])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 7);
        assert!(check_empty_dir(&dir).is_err());
        assert!(check_empty_dir(&tmp.path().join("missing")).is_ok());
    }

    #[test]
    fn cli_parses() {
        use clap::CommandFactory;
        Args::command().debug_assert();
        let a = Args::try_parse_from([
            "gen-monorepo",
            "--modules",
            "10",
            "--out",
            "r",
            "--graph-out",
            "g.json",
        ])
        .unwrap();
        assert_eq!((a.modules, a.files, a.commits, a.seed), (10, None, 0, 42));
        assert!(Args::try_parse_from(["gen-monorepo", "--out", "r"]).is_err());
    }
}
