//! Everything `select`, `explain` and `shard` share: the changed files from
//! git (or a list), the graph (native JSON or the Cargo workspace at base
//! and head), and the rules, resolved into a [`Selection`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, ValueEnum};
use depgraph::input::{Format as InputFormat, LoadOptions};
use depgraph::paths::PathIndex;
use depgraph::{ModuleGraph, ModuleId};
use git2::Oid;

use crate::cargo::{self, Comparison};
use crate::compiled::{self, CompiledIn, Scanner};
use crate::git::Repo;
use crate::manifest;
use crate::rules::Rules;
use crate::select::{self, Input, Selection};

/// What to do when the merge-base is not in the local history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OnMissingBase {
    /// Exit 2 with a hint (fetch more history).
    #[default]
    Error,
    /// Select everything.
    All,
}

/// The options every selecting command shares.
#[derive(Args, Debug, Clone)]
pub struct SelectArgs {
    /// The branch or commit the change is compared with, usually the target
    /// branch (`origin/main`). The changed files are those of
    /// `git diff BASE...HEAD`: since the merge-base. `last-green`: the
    /// newest commit whose run of --workflow succeeded (asks GitHub).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,

    /// The commit under test.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub head: String,

    /// With `--base last-green`: the workflow (its file name, `ci.yml`, or
    /// its id) whose newest successful run on --branch is the base, so a
    /// test that failed and was not fixed is selected again. Asks the
    /// GitHub API ($GITHUB_API_URL, $GITHUB_REPOSITORY, token from
    /// $GITHUB_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub workflow: Option<String>,

    /// With `--base last-green`: the branch whose runs count [default:
    /// $GITHUB_BASE_REF, else $GITHUB_REF_NAME].
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,

    /// Also count staged, unstaged and untracked (not ignored) changes of
    /// the work tree.
    #[arg(long)]
    pub uncommitted: bool,

    /// Take the changed files from FILE (`-` for stdin) instead of git: one
    /// path per line, or NUL-separated (`git diff -z --name-only`, detected),
    /// relative to the repository root. `\` and `./` are normalised; an
    /// absolute path or one outside the repository exits 2. With --base, a
    /// Cargo workspace's package graph is still compared with the base.
    #[arg(long, value_name = "FILE")]
    pub changed_files: Option<PathBuf>,

    /// The --changed-files list is NUL-separated, even if it holds no NUL.
    #[arg(short = 'z', long = "null", requires = "changed_files")]
    pub null: bool,

    /// A module graph in the native JSON format (modules with `path` or
    /// `paths`, `deps`, optional `tests`). Without it the Cargo workspace at
    /// the repository root is read with `cargo metadata`.
    #[arg(long, value_name = "FILE")]
    pub graph: Option<PathBuf>,

    /// Rules file [default: test-impact.toml at the repository root, if
    /// any; as committed at --head when --head is not the checked-out
    /// commit].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When the merge-base is missing (a shallow clone): fail with a hint,
    /// or select everything.
    #[arg(long, value_enum, default_value_t = OnMissingBase::Error, value_name = "WHAT")]
    pub on_missing_base: OnMissingBase,

    /// The repository (any folder inside it). Spelled `--repo` before 0.2
    /// (still read, with a warning).
    #[arg(long = "root", value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
}

/// A selection and what it was computed from.
pub struct Prepared {
    pub selection: Selection,
    pub graph: ModuleGraph,
    pub changed_files: Vec<String>,
    pub merge_base: Option<Oid>,
    /// `cargo` or the graph file.
    pub graph_label: String,
    pub removed: Vec<String>,
    /// How the Cargo workspace was resolved (`None`: a native graph).
    pub lockfile: Option<Lockfile>,
}

/// Where the graph comes from.
pub enum GraphSource {
    Native(ModuleGraph),
    Cargo(Box<Comparison>),
}

/// The whole pipeline for one command line.
pub fn prepare(args: &SelectArgs) -> Result<Prepared> {
    let repo = match Repo::discover(&args.repo) {
        Ok(r) => Some(r),
        // A list of files and a native graph need no repository.
        Err(_) if args.changed_files.is_some() && args.graph.is_some() && args.base.is_none() => {
            None
        }
        Err(e) => return Err(e),
    };
    let root = match &repo {
        Some(r) => r.workdir().map(Path::to_path_buf).ok_or_else(|| {
            anyhow!(
                "{}: a bare repository has no work tree; use `test-impact evaluate` or a clone",
                args.repo.display()
            )
        })?,
        None => args.repo.clone(),
    };

    // Head is needed to diff, and to read a Cargo workspace; a list of
    // files with a native graph needs no commit at all.
    let head = repo
        .as_ref()
        .filter(|_| args.changed_files.is_none() || args.base.is_some() || args.graph.is_none())
        .map(|r| r.resolve(&args.head))
        .transpose()?;
    let mut run_all: Option<String> = None;
    let mut merge_base = None;
    if let (Some(repo), Some(base), Some(head)) = (&repo, &args.base, head) {
        let base_oid = if base == crate::last_green::LAST_GREEN {
            match crate::last_green::resolve(repo, args)? {
                crate::last_green::Base::Commit(oid) => Some(oid),
                crate::last_green::Base::RunAll(why) => {
                    run_all = Some(why);
                    None
                }
            }
        } else {
            match repo.resolve(base) {
                Ok(oid) => Some(oid),
                // `HEAD~1` past the boundary of a shallow clone: the history
                // that is there does not reach it.
                Err(_) if repo.is_shallow() => None,
                Err(e) => return Err(e),
            }
        };
        if let Some(base_oid) = base_oid {
            merge_base = repo.merge_base(base_oid, head)?;
        }
        if merge_base.is_none() && run_all.is_none() {
            let why = if repo.is_shallow() {
                "the clone is shallow and its history does not reach it; fetch the history (`fetch-depth: 0` in actions/checkout, or `git fetch --deepen=200`)"
            } else {
                "the two histories are unrelated"
            };
            match args.on_missing_base {
                OnMissingBase::Error => bail!(
                    "no merge-base of `{base}` and `{}` in {}: {why}, or pass --on-missing-base all",
                    args.head,
                    root.display()
                ),
                OnMissingBase::All => {
                    run_all = Some(format!(
                        "no merge-base of `{base}` and `{}` ({why}); --on-missing-base all",
                        args.head
                    ))
                }
            }
        }
    }

    let mut changed: Vec<String> = match (&args.changed_files, &repo, merge_base, head) {
        (Some(list), _, _, _) => {
            let separator = if args.null {
                crate::git::Separator::Nul
            } else {
                crate::git::Separator::Detect
            };
            crate::git::read_changed_files(list, separator)?
        }
        (None, Some(repo), Some(mb), Some(head)) => repo.diff_paths(mb, head)?,
        (None, Some(_), None, _) if run_all.is_some() => Vec::new(),
        (None, _, _, _) => bail!(
            "nothing to compare: pass --base REV (e.g. --base origin/main) or --changed-files FILE"
        ),
    };
    if args.uncommitted {
        let repo = repo
            .as_ref()
            .ok_or_else(|| anyhow!("--uncommitted needs a git repository"))?;
        changed.extend(repo.uncommitted_paths()?);
        changed.sort();
        changed.dedup();
    }

    let mut lockfile = None;
    let source = match &args.graph {
        Some(file) => GraphSource::Native(load_native(file)?),
        None => {
            let Some(repo) = &repo else {
                bail!("no module graph: pass --graph FILE");
            };
            if !root.join("Cargo.toml").is_file() {
                bail!(
                    "no module graph: {} has no Cargo.toml at its root; pass --graph FILE (native JSON)",
                    root.display()
                );
            }
            let head = head.ok_or_else(|| anyhow!("a Cargo workspace needs a commit at --head"))?;
            // Without a base (--changed-files alone) both sides are head: no
            // build differences, and a changed Cargo.lock selects everything.
            let base = merge_base.unwrap_or(head);
            let overlay = args.uncommitted.then_some(changed.as_slice());
            let (comparison, how) = cargo_compare(repo, &root, base, head, overlay)?;
            lockfile = Some(how);
            GraphSource::Cargo(Box::new(comparison))
        }
    };

    // The rules that held at head: a past commit is selected with its own
    // rules (the work tree's may name modules it did not have yet); the
    // checked-out commit, with the work tree's.
    let past = match (&repo, head) {
        (Some(r), Some(h)) if args.config.is_none() => {
            r.resolve("HEAD").ok() != Some(h) && !args.uncommitted
        }
        _ => false,
    };
    let (rules, config_label) = if let (true, Some(r), Some(h)) = (past, &repo, head) {
        let label = PathBuf::from(format!("{}:test-impact.toml", short(h)));
        let rules = match r.read_file_at(h, "test-impact.toml")? {
            Some(bytes) => Rules::parse(&String::from_utf8_lossy(&bytes), &label)?,
            None => Rules::default(),
        };
        (rules, label)
    } else {
        (
            load_rules(args.config.as_deref(), Some(&root))?,
            args.config
                .clone()
                .unwrap_or_else(|| root.join("test-impact.toml")),
        )
    };

    // The root manifest at both ends and the members' at head: what a
    // change to the workspace's own tables affects.
    let manifests = match (&source, &repo, head) {
        (GraphSource::Cargo(c), Some(repo), Some(head))
            if changed.iter().any(|f| f == "Cargo.toml") =>
        {
            let work_tree = args.uncommitted.then_some(root.as_path());
            Some(root_manifest(
                repo,
                merge_base.unwrap_or(head),
                head,
                &c.packages,
                work_tree,
            )?)
        }
        _ => None,
    };
    // What the members compile in at head (and, with --uncommitted, what
    // the work tree's edited sources add), and what their build scripts'
    // last output under target/ says they watch.
    let compiled_in = match (&source, &repo, head) {
        (GraphSource::Cargo(c), Some(repo), Some(head)) => {
            // The local packages too: what their sources compile in is
            // theirs, not the member's whose folder holds them.
            let sources = c.sources();
            let mut found = Scanner::default().scan_commit(repo, head, &sources)?;
            if args.uncommitted {
                compiled::scan_work_tree(&mut found, &root, &sources, &changed);
            }
            compiled::scan_build_outputs(&mut found, &root, &sources);
            Some(found)
        }
        _ => None,
    };
    let label = match &args.graph {
        Some(p) => p.display().to_string(),
        None => "cargo".to_owned(),
    };
    let done = finish(
        source,
        &changed,
        &rules,
        run_all,
        Workspace {
            manifests,
            compiled_in: compiled_in.as_ref(),
        },
        merge_base.is_some(),
        Some(config_label),
    )?;
    Ok(Prepared {
        selection: done.selection,
        graph: done.graph,
        changed_files: changed,
        merge_base,
        graph_label: label,
        removed: done.removed,
        lockfile,
    })
}

/// The root `Cargo.toml` at base and at head (`None`: absent), and each
/// member's own manifest at head.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    pub base: Option<Vec<u8>>,
    pub head: Option<Vec<u8>>,
    /// `(member, its Cargo.toml)`; `None` when it cannot be read.
    pub members: Vec<(String, Option<Vec<u8>>)>,
}

/// Reads [`Manifests`] from the commits (head's from `work_tree` when
/// given: `--uncommitted`).
pub fn root_manifest(
    repo: &Repo,
    base: Oid,
    head: Oid,
    packages: &[cargo::Package],
    work_tree: Option<&Path>,
) -> Result<Manifests> {
    let at_head = |path: &str| -> Result<Option<Vec<u8>>> {
        match work_tree {
            Some(root) => Ok(std::fs::read(root.join(path)).ok()),
            None => repo.read_file_at(head, path),
        }
    };
    let members = packages
        .iter()
        .map(|p| {
            let path = if p.dir.is_empty() {
                "Cargo.toml".to_owned()
            } else {
                format!("{}/Cargo.toml", p.dir)
            };
            Ok((p.name.clone(), at_head(&path)?))
        })
        .collect::<Result<_>>()?;
    Ok(Manifests {
        base: repo.read_file_at(base, "Cargo.toml")?,
        head: at_head("Cargo.toml")?,
        members,
    })
}

/// What a Cargo workspace adds to its graph.
#[derive(Default)]
pub struct Workspace<'a> {
    /// The root Cargo.toml at base and head, when it changed.
    pub manifests: Option<Manifests>,
    /// What the members compile in at head.
    pub compiled_in: Option<&'a CompiledIn>,
}

/// A selection with its graph.
pub struct Finished {
    pub selection: Selection,
    pub graph: ModuleGraph,
    pub removed: Vec<String>,
}

/// Selects from a graph source, the changed files and the rules.
/// `workspace` what a Cargo workspace adds to its graph;
/// `have_base` says whether the Cargo graphs were compared with a base;
/// with `config_file`, every module the rules name must exist (else an
/// error naming that file).
pub fn finish(
    source: GraphSource,
    changed: &[String],
    rules: &Rules,
    mut run_all: Option<String>,
    workspace: Workspace<'_>,
    have_base: bool,
    config_file: Option<PathBuf>,
) -> Result<Finished> {
    let is_cargo = matches!(source, GraphSource::Cargo(_));
    let Workspace {
        manifests,
        compiled_in,
    } = workspace;
    // Members the root manifest's change marks, with why.
    let mut seeds: Vec<(ModuleId, String)> = Vec::new();
    // Each member's folders that only its own tests compile, by name.
    let mut own_test_dirs: Vec<(String, String)> = Vec::new();
    let mut dev_edges: BTreeSet<(ModuleId, ModuleId)> = BTreeSet::new();
    // The path packages that are no members: their folders and dependents.
    let mut local_packages: Vec<cargo::LocalPackage> = Vec::new();
    let (graph, removed_pkgs, build_changed, extra_edges, edge_features) = match source {
        GraphSource::Native(g) => (g, Vec::new(), Vec::new(), Vec::new(), BTreeMap::new()),
        GraphSource::Cargo(c) => {
            let c = *c;
            own_test_dirs = c
                .packages
                .iter()
                .flat_map(|p| p.own_test_dirs.iter().map(|d| (p.name.clone(), d.clone())))
                .collect();
            if let Some(m) = &manifests {
                let root_package = c.packages.iter().find(|p| p.dir.is_empty());
                let members: Vec<manifest::Member<'_>> = m
                    .members
                    .iter()
                    .map(|(name, text)| manifest::Member {
                        name,
                        manifest: text.as_deref(),
                    })
                    .collect();
                match manifest::effect(
                    m.base.as_deref(),
                    m.head.as_deref(),
                    &members,
                    root_package.map(|p| p.name.as_str()),
                    &|names| c.members_using(names),
                ) {
                    manifest::Effect::All(why) => {
                        run_all.get_or_insert(why);
                    }
                    manifest::Effect::Members(marked) => seeds.extend(
                        marked
                            .into_iter()
                            .filter_map(|(name, why)| Some((c.graph.find(&name)?, why))),
                    ),
                }
            }
            let graph = c.graph;
            let build: Vec<(ModuleId, String)> = c
                .build_changed
                .iter()
                .filter_map(|b| graph.find(&b.name).map(|id| (id, b.why.clone())))
                .collect();
            let extra: Vec<(ModuleId, ModuleId)> = c
                .extra_dependents
                .iter()
                .filter_map(|(a, b)| Some((graph.find(a)?, graph.find(b)?)))
                .collect();
            let features: BTreeMap<(ModuleId, ModuleId), String> = c
                .edge_features
                .into_iter()
                .filter_map(|((a, b), f)| Some(((graph.find(&a)?, graph.find(&b)?), f)))
                .collect();
            dev_edges = c
                .dev_edges
                .iter()
                .filter_map(|(a, b)| Some((graph.find(a)?, graph.find(b)?)))
                .collect();
            local_packages = c.locals;
            (graph, c.removed, build, extra, features)
        }
    };
    // Replaying history (`evaluate`), today's rules may name modules an old
    // commit did not have yet: those names are skipped there.
    if let Some(file) = &config_file {
        check_rule_names(rules, &graph, file)?;
    }

    let mut graph_files: Vec<&str> = Vec::new();
    if is_cargo {
        graph_files.push("Cargo.lock");
        // The root manifest belongs to no package: what its change affects
        // is read table by table (the `manifest` module), and the graph
        // comparison sees the rest.
        graph_files.push("Cargo.toml");
        if !have_base
            && run_all.is_none()
            && changed.iter().any(|f| graph_files.contains(&f.as_str()))
        {
            run_all = Some(
                "Cargo.lock or the root Cargo.toml changed, and without --base the package graphs cannot be compared"
                    .into(),
            );
        }
    }

    let index = PathIndex::of_graph(&graph);
    let own_tests = PathIndex::new(
        own_test_dirs
            .iter()
            .filter_map(|(name, dir)| Some((graph.find(name)?, dir.as_str()))),
    );
    let removed_index = PathIndex::new(
        removed_pkgs
            .iter()
            .enumerate()
            .map(|(i, p)| (ModuleId(i as u32), p.dir.as_str())),
    );
    let removed: Vec<String> = removed_pkgs.iter().map(|p| p.name.clone()).collect();
    let locals = select::Locals {
        index: PathIndex::new(local_packages.iter().enumerate().flat_map(|(i, l)| {
            let id = ModuleId(i as u32);
            std::iter::once(l.package.dir.as_str())
                .chain(l.package.outside_paths.iter().map(String::as_str))
                .map(move |p| (id, p))
        })),
        packages: local_packages
            .iter()
            .map(|l| select::Local {
                name: l.package.name.clone(),
                dependents: l
                    .dependents
                    .iter()
                    .filter_map(|d| Some((graph.find(&d.member)?, d.feature.clone(), d.dev)))
                    .collect(),
            })
            .collect(),
    };
    let input = Input {
        graph: &graph,
        index: &index,
        locals: (!locals.packages.is_empty()).then_some(&locals),
        own_tests: (!own_tests.is_empty()).then_some(&own_tests),
        removed_index: (!removed.is_empty()).then_some((&removed_index, removed.as_slice())),
        extra_edges: &extra_edges,
        edge_features: &edge_features,
        dev_edges: &dev_edges,
        rules,
        graph_files: &graph_files,
        build_changed,
        seeds: seeds
            .into_iter()
            .map(|(id, why)| (id, select::Reason::Manifest { why }))
            .collect(),
        compiled_in,
        run_all,
    };
    let selection = select::select(changed, &input);
    Ok(Finished {
        selection,
        graph,
        removed,
    })
}

/// The rules: `config`, else `test-impact.toml` at `root` if there is
/// one, else the built-in rules.
pub fn load_rules(config: Option<&Path>, root: Option<&Path>) -> Result<Rules> {
    if let Some(file) = config {
        return Rules::load(file);
    }
    match root.map(|r| r.join("test-impact.toml")) {
        Some(default) if default.is_file() => Rules::load(&default),
        _ => Ok(Rules::default()),
    }
}

/// Reads a native graph; durations are optional.
pub fn load_native(file: &Path) -> Result<ModuleGraph> {
    let opts = LoadOptions {
        input_format: Some(InputFormat::Native),
        durations_optional: true,
        ..LoadOptions::default()
    };
    let graph = depgraph::input::load(&[file.to_path_buf()], &opts)?.graph;
    for id in graph.ids() {
        let m = graph.module(id);
        for path in m.all_paths() {
            if let Some(why) = depgraph::paths::problem(path) {
                bail!(
                    "{}: module `{}`: path `{path}` {why}",
                    file.display(),
                    m.name
                );
            }
        }
    }
    Ok(graph)
}

/// Every module a rule names must be in the graph.
fn check_rule_names(rules: &Rules, graph: &ModuleGraph, file: &Path) -> Result<()> {
    for (where_, name) in rules.named_modules() {
        if graph.find(name).is_none() {
            bail!(
                "{}: {where_} names module `{name}`, which is not in the graph; expected one of its {} modules",
                file.display(),
                graph.len()
            );
        }
    }
    Ok(())
}

/// Where the `Cargo.lock` that `cargo metadata` resolved against came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lockfile {
    /// The commits hold one.
    Committed,
    /// A commit holds none: one was generated (or taken from the cache,
    /// keyed by the manifests, or from the work tree's untracked one), and
    /// the other side resolved from it offline where it could.
    Generated,
}

/// The Cargo workspace at `base` and at `head` (plus the work tree's
/// changes to `overlay` paths), each read by `cargo metadata` in a
/// temporary copy of just its manifests: the two in parallel when both
/// commit a `Cargo.lock`, else head first and the base from head's
/// lockfile, offline.
pub fn cargo_compare(
    repo: &Repo,
    root: &Path,
    base: Oid,
    head: Oid,
    overlay: Option<&[String]>,
) -> Result<(Comparison, Lockfile)> {
    let base_dir = tempfile::Builder::new()
        .prefix("test-impact-base-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let head_dir = tempfile::Builder::new()
        .prefix("test-impact-head-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    repo.materialize_cargo_tree(base, base_dir.path())?;
    repo.materialize_cargo_tree(head, head_dir.path())?;
    if let Some(paths) = overlay {
        overlay_work_tree(root, head_dir.path(), paths)?;
    }
    let locked = |d: &tempfile::TempDir| d.path().join("Cargo.lock").is_file();
    let (b, h, lockfile) = if locked(&base_dir) && locked(&head_dir) {
        let opts = cargo::MetadataOptions::default();
        let (b, h) = std::thread::scope(|s| {
            let b = s.spawn(|| cargo::metadata(base_dir.path(), opts));
            let h = cargo::metadata(head_dir.path(), opts);
            (b.join().expect("cargo metadata thread"), h)
        });
        (b, h, Lockfile::Committed)
    } else {
        // The work tree's edits change the manifests: no cache key then.
        let head_cache = match overlay {
            None => Some(lock_cache(repo, repo.cargo_tree_key(head)?)),
            Some(_) => None,
        };
        let base_cache = lock_cache(repo, repo.cargo_tree_key(base)?);
        // Head starts from the base's cached resolution when there is one,
        // so that what the change did not touch keeps its versions (a fresh
        // resolution would show every newer release as a change), else
        // from the work tree's untracked lockfile; the base then starts
        // from head's.
        let untracked = root.join("Cargo.lock");
        let h = metadata_with_lock(
            head_dir.path(),
            head_cache.as_deref(),
            &[&base_cache, &untracked],
        );
        let from_head = head_dir.path().join("Cargo.lock");
        let b = metadata_with_lock(base_dir.path(), Some(&base_cache), &[&from_head]);
        (b, h, Lockfile::Generated)
    };
    let (b, h) = (
        b.with_context(|| format!("the Cargo workspace at the merge-base {}", short(base)))?,
        h.with_context(|| format!("the Cargo workspace at {}", short(head)))?,
    );
    Ok((
        cargo::compare(&b, base_dir.path(), &h, head_dir.path())?,
        lockfile,
    ))
}

/// Where the lockfile generated for the manifests with hash `key` is cached.
pub fn lock_cache(repo: &Repo, key: Oid) -> PathBuf {
    crate::cache::path(repo, &format!("lock-{key}.lock"))
}

/// `cargo metadata` in a materialized tree `dir`. A tree with no
/// `Cargo.lock` gets the `cached` one (see [`lock_cache`]), else the first
/// of `seeds` that exists, and is resolved `--offline` from it (the
/// packages a lockfile names were downloaded when it was made); if that
/// fails, or there is nothing to seed from, cargo resolves online. The
/// lockfile it ends with is written to `cached`.
pub fn metadata_with_lock(dir: &Path, cached: Option<&Path>, seeds: &[&Path]) -> Result<String> {
    let lock = dir.join("Cargo.lock");
    if lock.is_file() {
        return cargo::metadata(dir, cargo::MetadataOptions::default());
    }
    let seed = cached
        .into_iter()
        .chain(seeds.iter().copied())
        .find(|p| p.is_file());
    let mut json = None;
    if let Some(seed) = seed
        && std::fs::copy(seed, &lock).is_ok()
    {
        match cargo::metadata(dir, cargo::MetadataOptions { offline: true }) {
            Ok(j) => json = Some(j),
            Err(e) => tracing::debug!("offline from {}: {e:#}", seed.display()),
        }
    }
    let json = match json {
        Some(j) => j,
        None => cargo::metadata(dir, cargo::MetadataOptions::default())?,
    };
    if let (Some(cached), Ok(bytes)) = (cached, std::fs::read(&lock)) {
        crate::cache::write(cached, &bytes);
    }
    Ok(json)
}

/// Copies the work tree's version of the changed paths that matter to
/// `cargo metadata` over a materialized tree (or removes them).
fn overlay_work_tree(root: &Path, dest: &Path, paths: &[String]) -> Result<()> {
    for p in paths {
        let name = p.rsplit('/').next().unwrap_or(p);
        let manifest = matches!(
            name,
            "Cargo.toml" | "Cargo.lock" | "rust-toolchain" | "rust-toolchain.toml"
        ) || p.split('/').any(|c| c == ".cargo");
        let rust = name.ends_with(".rs");
        if !(manifest || rust) || p.split('/').any(|c| c == ".." || c.is_empty()) {
            continue;
        }
        let src = root.join(p);
        let dst = dest.join(p);
        if src.is_file() {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("{}: cannot create", parent.display()))?;
            }
            if manifest {
                std::fs::copy(&src, &dst)
                    .with_context(|| format!("{}: cannot copy", src.display()))?;
            } else {
                std::fs::write(&dst, b"")
                    .with_context(|| format!("{}: cannot write", dst.display()))?;
            }
        } else if dst.is_file() {
            std::fs::remove_file(&dst)
                .with_context(|| format!("{}: cannot remove", dst.display()))?;
        }
    }
    Ok(())
}

/// The first 12 hex digits of a commit.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..12].to_owned()
}
