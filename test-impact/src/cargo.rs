//! The package graph of a Cargo workspace at two commits, through guppy,
//! and which packages' builds differ between them, through determinator.
//!
//! Two questions are answered here. Which members depend on which (the
//! [`Comparison::graph`], for reverse-dependency closure over changed
//! files), and which members build differently although none of their own
//! files changed ([`Comparison::build_changed`]: a `Cargo.lock` bump of a
//! third-party crate, a feature turned on by a dependent's manifest). The
//! second is determinator's build-summary comparison, with no path rules:
//! mapping changed files to packages is the caller's job.

use cli_support::one_line;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Result, anyhow, bail};
use depgraph::{Dep, GraphBuilder, Module, ModuleGraph};
use determinator::Determinator;
use determinator::rules::DeterminatorRules;
use guppy::PackageId;
use guppy::graph::cargo::{CargoOptions, CargoSet};
use guppy::graph::feature::{FeatureSet, StandardFeatures};
use guppy::graph::summaries::diff::SummaryDiffStatus;
use guppy::graph::summaries::{Summary, SummaryId};
use guppy::graph::{
    BuildTargetId, DependencyDirection, PackageGraph, PackageLink, PackageMetadata,
};
use rayon::prelude::*;

/// A workspace member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// The package name (unique within a workspace).
    pub name: String,
    /// The directory of its `Cargo.toml`, relative to the workspace root,
    /// `/`-separated; `""` for a package at the root.
    pub dir: String,
    /// Its test binaries as nextest names them: `NAME` for the lib's unit
    /// tests, `NAME::bin/BIN`, `NAME::TEST` for `tests/TEST.rs`, ... Sorted.
    ///
    /// These are the targets `cargo test` (and so `cargo nextest run`)
    /// builds as tests by default: those whose `test` flag is on, which by
    /// default is the lib, the bins and the integration tests, and not the
    /// benches and examples (unless their manifest sets `test = true`).
    pub test_binaries: Vec<String>,
    /// Source files of its targets that lie outside `dir` (a workspace that
    /// keeps integration tests in a shared folder, `path = "../tests/x.rs"`),
    /// relative to the workspace root: they belong to this package too.
    pub outside_paths: Vec<String>,
    /// Its build script (`build.rs` or the manifest's `build = …`),
    /// relative to the workspace root, when it has one.
    pub build_script: Option<String>,
    /// Its `tests/`, `benches/` and `examples/` folders (relative to the
    /// workspace root) when no lib, bin or build script lies in them: only
    /// the package's own test, bench and example targets compile their
    /// files, so a change there affects no package that depends on it.
    pub own_test_dirs: Vec<String>,
}

/// A package under the workspace root that is no workspace member: a path
/// dependency `exclude`d from the workspace or vendored (`vendor/x`), a
/// `[patch]` with a path. It owns the files below its folder like a member
/// (the deepest package wins), and a change there marks the members that
/// build it. Only one that some member builds is listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalPackage {
    /// Its folder, its target files outside it and its build script, as a
    /// member's; no test binaries, no own-tests folders (no member's tests
    /// are its tests).
    pub package: Package,
    /// The members that build it, directly or through other packages that
    /// are no members, each with how; sorted by name.
    pub dependents: Vec<LocalDependent>,
}

/// A member that builds a [`LocalPackage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalDependent {
    pub member: String,
    /// Only through dev-dependencies: its tests build the package, its lib
    /// and bins do not.
    pub dev: bool,
    /// Only through an optional dependency: the member's feature that turns
    /// it on.
    pub feature: Option<String>,
}

/// A workspace member whose build differs between base and head although
/// none of its own files changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildChanged {
    pub name: String,
    /// One line for a human, e.g. "resolved dependencies changed: regex
    /// 1.10.2 -> 1.10.3" or "enabled features changed" or "new package".
    pub why: String,
}

/// The two package graphs, compared.
#[derive(Debug)]
pub struct Comparison {
    /// Members at head, sorted by name.
    pub packages: Vec<Package>,
    /// Members at base that are gone at head: their directories, to own the
    /// files deleted with them. Sorted by name.
    pub removed: Vec<Package>,
    /// Members at head, with an edge from each to every member it depends
    /// on (normal, build or dev dependency, on any platform, directly or
    /// through non-member packages). Durations are 0; `path` is the dir.
    ///
    /// Cargo allows a cycle through a dev-dependency (`a` depends on `b`,
    /// `b` dev-depends on `a`), a module graph does not: the dev edges that
    /// would close a cycle are left out of it and listed in
    /// [`Comparison::extra_dependents`] instead.
    pub graph: ModuleGraph,
    /// Dev-dependency edges left out of `graph` because they would close a
    /// cycle, as `(dependent, dependency)`: `dependent`'s tests build
    /// `dependency`. Callers that compute what a change affects must follow
    /// them like the graph's edges: when `dependency` is affected, so is
    /// `dependent`'s tests (see [`Comparison::dev_edges`]). Sorted.
    pub extra_dependents: Vec<(String, String)>,
    /// Every edge that only a dev-dependency brings, `(dependent,
    /// dependency)`, in `graph` or in `extra_dependents`: `dependent`'s
    /// tests build `dependency`, its lib and bins do not, so what depends
    /// on `dependent` is not affected through this edge.
    pub dev_edges: BTreeSet<(String, String)>,
    /// Edges that only an optional dependency brings, `(dependent,
    /// dependency)`, with the dependent's feature that turns it on.
    pub edge_features: BTreeMap<(String, String), String>,
    /// The local packages at head that are no members (see
    /// [`LocalPackage`]), sorted by name and folder.
    pub locals: Vec<LocalPackage>,
    /// The package graph at head, for questions asked later
    /// ([`Comparison::members_using`]).
    pub head: PackageGraph,
    /// Members whose build summary (the packages and features Cargo would
    /// build for them, dev-dependencies included) differs between base and
    /// head, per determinator; members new at head. Sorted by name.
    pub build_changed: Vec<BuildChanged>,
}

/// How `cargo metadata` may resolve.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MetadataOptions {
    /// `--offline`: resolve from the lockfile and the local caches only.
    pub offline: bool,
}

/// Runs `cargo metadata --format-version 1 --all-features` in `dir` (with
/// `$CARGO`, or `cargo`), returning its JSON.
///
/// All features: a dependency behind a feature is a dependency Cargo can
/// build, and without `--all-features` the `resolve` graph leaves it out
/// (guppy documents that it needs the full graph). Which features a build
/// really enables is still compared, by determinator, on this graph.
///
/// Error, one line: the command, and cargo's first `error:` line (its
/// last line is often a backtrace frame or a `Caused by` detail).
pub(crate) fn metadata(dir: &Path, opts: MetadataOptions) -> Result<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec!["metadata", "--format-version", "1", "--all-features"];
    if opts.offline {
        args.push("--offline");
    }
    let shown = format!(
        "`{} {}` in {}",
        Path::new(&cargo).display(),
        args.join(" "),
        dir.display()
    );
    let output = Command::new(&cargo)
        .args(&args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| anyhow!("run {shown}: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        bail!("run {shown}: {}", cargo_error(&stderr, output.status));
    }
    String::from_utf8(output.stdout).map_err(|_| anyhow!("run {shown}: its output is not UTF-8"))
}

/// The line of cargo's stderr that says what went wrong: the first
/// `error:` (or `error[…]`) line, else the last non-empty line, else the
/// exit status.
fn cargo_error(stderr: &str, status: std::process::ExitStatus) -> String {
    let lines = || stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.starts_with("error:") || l.starts_with("error["))
        .or_else(|| lines().next_back())
        .map_or_else(|| status.to_string(), str::to_owned)
}

/// Compares the workspace at base with the workspace at head, each given
/// as `cargo metadata` JSON; `base_root` and `head_root` are the workspace
/// roots those were produced in (to make paths relative).
pub(crate) fn compare(
    base_json: &str,
    base_root: &Path,
    head_json: &str,
    head_root: &Path,
) -> Result<Comparison> {
    let (base, head) = rayon::join(
        || PackageGraph::from_json(base_json),
        || PackageGraph::from_json(head_json),
    );
    let base = base.map_err(|e| {
        anyhow!(
            "read the base `cargo metadata` JSON: {}",
            one_line(&e.to_string())
        )
    })?;
    let head = head.map_err(|e| {
        anyhow!(
            "read the head `cargo metadata` JSON: {}",
            one_line(&e.to_string())
        )
    })?;

    // Path packages that are no members, under the root (one elsewhere on
    // disk has no file in the repository).
    let local_metadata: Vec<(PackageMetadata<'_>, String)> = head
        .packages()
        .filter(|p| !p.in_workspace() && p.source().is_path())
        .filter_map(|p| Some((p, relative_dir(p, head_root).ok()?)))
        .collect();
    let local_dirs: Vec<&str> = local_metadata.iter().map(|(_, d)| d.as_str()).collect();
    let packages = head
        .workspace()
        .iter_by_name()
        .map(|(_, p)| package(p, head_root, &local_dirs))
        .collect::<Result<Vec<_>>>()?;
    let head_workspace = head.workspace();
    let removed = base
        .workspace()
        .iter_by_name()
        .filter(|(name, _)| !head_workspace.contains_name(name))
        .map(|(_, p)| package(p, base_root, &[]))
        .collect::<Result<Vec<_>>>()?;

    let features = Features::of_metadata(head_json);
    let deps = dependencies(&head, &features);
    let locals = local_packages(&local_metadata, &local_dirs, head_root, &deps)?;
    let (graphs, build_changed) = rayon::join(
        || module_graph(&deps, &packages),
        || build_changed(&base, &head),
    );
    let (graph, extra_dependents, edge_features, dev_edges) = graphs?;
    Ok(Comparison {
        packages,
        removed,
        graph,
        extra_dependents,
        edge_features,
        dev_edges,
        locals,
        head,
        build_changed: build_changed?,
    })
}

/// The [`LocalPackage`]s: the path packages that are no members, with the
/// members that build them; one no member builds is left out.
fn local_packages(
    metadata: &[(PackageMetadata<'_>, String)],
    dirs: &[&str],
    root: &Path,
    deps: &Dependencies<'_>,
) -> Result<Vec<LocalPackage>> {
    let mut locals = Vec::new();
    for (p, _) in metadata {
        let mut package = package(*p, root, dirs)?;
        package.test_binaries.clear();
        package.own_test_dirs.clear();
        let dependents: Vec<LocalDependent> = deps
            .locals
            .iter()
            .filter_map(|(&member, reached)| {
                let reach = reached.get(p.id())?;
                Some(LocalDependent {
                    member: member.to_owned(),
                    dev: reach.dev_only,
                    feature: reach.feature.map(str::to_owned),
                })
            })
            .collect();
        if !dependents.is_empty() {
            locals.push(LocalPackage {
                package,
                dependents,
            });
        }
    }
    locals
        .sort_by(|a, b| (&a.package.name, &a.package.dir).cmp(&(&b.package.name, &b.package.dir)));
    Ok(locals)
}

impl Comparison {
    /// The members and the local packages that are no members: every
    /// package whose files are in the repository, for finding what their
    /// sources compile in.
    pub fn sources(&self) -> Vec<Package> {
        let locals = self.locals.iter().map(|l| l.package.clone());
        self.packages.iter().cloned().chain(locals).collect()
    }

    /// The members that build (at head, with all features) a package of
    /// one of these names, themselves included.
    pub fn members_using(&self, names: &BTreeSet<String>) -> BTreeSet<String> {
        let ids: Vec<_> = self
            .head
            .packages()
            .filter(|p| names.contains(p.name()))
            .map(|p| p.id())
            .collect();
        match self.head.query_reverse(ids) {
            Ok(query) => query
                .resolve()
                .packages(DependencyDirection::Forward)
                .filter(|p| p.in_workspace())
                .map(|p| p.name().to_owned())
                .collect(),
            Err(_) => BTreeSet::new(),
        }
    }
}

/// A package's files. `nested`: the folders of the local packages that are
/// no members; a target of this package inside one that is deeper than its
/// own folder is listed with the paths outside it, so that it stays this
/// package's although the deeper package owns the folder.
fn package(p: PackageMetadata<'_>, root: &Path, nested: &[&str]) -> Result<Package> {
    let mut test_binaries: Vec<String> = p
        .build_targets()
        .filter(|t| t.test_by_default())
        .filter_map(|t| {
            // nextest's binary ids (nextest-metadata `RustBinaryId::from_parts`).
            let name = p.name();
            Some(match t.id() {
                BuildTargetId::Library => name.to_owned(),
                BuildTargetId::Binary(bin) => format!("{name}::bin/{bin}"),
                BuildTargetId::Test(test) => format!("{name}::{test}"),
                BuildTargetId::Benchmark(bench) => format!("{name}::bench/{bench}"),
                BuildTargetId::Example(example) => format!("{name}::example/{example}"),
                _ => return None,
            })
        })
        .collect();
    test_binaries.sort();
    let dir = relative_dir(p, root)?;
    let mut outside_paths: Vec<String> = p
        .build_targets()
        .filter_map(|t| relative_to(t.path().as_std_path(), root))
        .filter(|f| {
            let inside = |d: &str| d.is_empty() || f.starts_with(&format!("{d}/"));
            !inside(&dir) || nested.iter().any(|d| d.len() > dir.len() && inside(d))
        })
        .collect();
    outside_paths.sort();
    outside_paths.dedup();
    let build_script = p
        .build_targets()
        .find(|t| t.id() == BuildTargetId::BuildScript)
        .and_then(|t| relative_to(t.path().as_std_path(), root));
    let product_paths: Vec<String> = p
        .build_targets()
        .filter(|t| {
            !matches!(
                t.id(),
                BuildTargetId::Test(_) | BuildTargetId::Benchmark(_) | BuildTargetId::Example(_)
            )
        })
        .filter_map(|t| relative_to(t.path().as_std_path(), root))
        .collect();
    let own_test_dirs = ["tests", "benches", "examples"]
        .iter()
        .map(|sub| {
            if dir.is_empty() {
                (*sub).to_owned()
            } else {
                format!("{dir}/{sub}")
            }
        })
        .filter(|d| {
            let inside = format!("{d}/");
            !product_paths.iter().any(|f| f.starts_with(&inside))
        })
        .collect();
    Ok(Package {
        name: p.name().to_owned(),
        dir,
        test_binaries,
        outside_paths,
        build_script,
        own_test_dirs,
    })
}

/// `path` relative to `root` (or to its canonical form), `/`-separated;
/// `None` when it is outside.
fn relative_to(path: &Path, root: &Path) -> Option<String> {
    let relative = path
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .ok()
        .or_else(|| {
            let canonical = root.canonicalize().ok()?;
            path.strip_prefix(canonical).ok().map(Path::to_path_buf)
        })?;
    // Cargo joins a target's `path` to the manifest's folder as written:
    // `crates/app/../../tests/x.rs`. Resolve `..` lexically.
    let mut parts: Vec<String> = Vec::new();
    for c in relative.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            c => parts.push(c.as_os_str().to_string_lossy().into_owned()),
        }
    }
    Some(parts.join("/"))
}

/// The directory of a member's manifest relative to `root`, `/`-separated.
fn relative_dir(p: PackageMetadata<'_>, root: &Path) -> Result<String> {
    let manifest = p.manifest_path().as_std_path();
    let dir = manifest.parent().unwrap_or(Path::new(""));
    // Cargo reports paths under the directory it ran in as the OS resolved
    // it; the caller's root may go through a symlink (macOS's /tmp).
    let relative = match dir.strip_prefix(root) {
        Ok(relative) => relative.to_owned(),
        Err(_) => root
            .canonicalize()
            .ok()
            .and_then(|canonical| dir.strip_prefix(canonical).ok().map(PathBuf::from))
            .ok_or_else(|| {
                anyhow!(
                    "find package `{}`: its manifest {} is not under the workspace root {}",
                    p.name(),
                    manifest.display(),
                    root.display()
                )
            })?,
    };
    let parts: Vec<_> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    Ok(parts.join("/"))
}

/// How a member reaches a member it depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reach<'g> {
    /// Only through dev-dependencies (its tests build it).
    dev_only: bool,
    /// Only through an optional dependency: the feature of the dependent
    /// that turns the first step on.
    feature: Option<&'g str>,
}

/// What each member builds: the members it depends on, directly or
/// through non-members, and the local packages that are no members
/// (directly or through other non-members), each with how.
struct Dependencies<'g> {
    members: BTreeMap<&'g str, BTreeMap<&'g str, Reach<'g>>>,
    locals: BTreeMap<&'g str, HashMap<&'g PackageId, Reach<'g>>>,
}

/// The [`Dependencies`] of the members. Of a member every dependency
/// counts, optional ones too (the graph is read with all features); of a
/// non-member only what Cargo builds for it (normal and build
/// dependencies: its dev-dependencies are never built).
fn dependencies<'g>(graph: &'g PackageGraph, features: &'g Features) -> Dependencies<'g> {
    let mut all = Dependencies {
        members: BTreeMap::new(),
        locals: BTreeMap::new(),
    };
    for member in graph.workspace().iter() {
        let mut found: BTreeMap<&str, Reach<'_>> = BTreeMap::new();
        let mut locals: HashMap<&PackageId, Reach<'_>> = HashMap::new();
        let mut seen = HashSet::new();
        let mut stack = Vec::new();
        // Required non-dev links first, then optional ones, then dev
        // links: a package is listed with the strongest way it is reached,
        // and what a stronger way reaches needs no second walk.
        let mut links: Vec<_> = member
            .direct_links()
            .map(|link| {
                let feature = is_optional(&link)
                    .then(|| features.enabling(member.id().repr(), link.dep_name()));
                (link.dev_only(), feature.is_some(), feature, link)
            })
            .collect();
        links.sort_by_key(|&(dev, optional, _, _)| (dev, optional));
        for (dev_only, _, feature, link) in links {
            let reach = Reach { dev_only, feature };
            stack.push(link.to());
            while let Some(p) = stack.pop() {
                if p.in_workspace() {
                    if p.id() != member.id() {
                        found.entry(p.name()).or_insert(reach);
                    }
                    continue;
                }
                if !seen.insert(p.id()) {
                    continue;
                }
                if p.source().is_path() {
                    locals.insert(p.id(), reach);
                }
                stack.extend(
                    p.direct_links()
                        .filter(|l| l.normal().is_present() || l.build().is_present())
                        .map(|l| l.to()),
                );
            }
        }
        all.members.insert(member.name(), found);
        all.locals.insert(member.name(), locals);
    }
    all
}

/// Whether a link is there only when a feature turns it on: optional in
/// every kind it has.
fn is_optional(link: &PackageLink<'_>) -> bool {
    let reqs = [link.normal(), link.build(), link.dev()];
    let mut present = reqs.iter().filter(|r| r.is_present()).peekable();
    present.peek().is_some() && present.all(|r| r.status().required_status().is_never())
}

/// The `[features]` tables of the packages, from the `cargo metadata`
/// JSON (guppy keeps them only as a feature graph).
#[derive(Debug, Default)]
pub(crate) struct Features {
    by_id: std::collections::HashMap<String, BTreeMap<String, Vec<String>>>,
}

impl Features {
    /// Reads the `features` of every package of a `cargo metadata` JSON;
    /// a package without one has none.
    pub(crate) fn of_metadata(json: &str) -> Features {
        #[derive(serde::Deserialize)]
        struct Metadata {
            packages: Vec<Pkg>,
        }
        #[derive(serde::Deserialize)]
        struct Pkg {
            id: String,
            #[serde(default)]
            features: BTreeMap<String, Vec<String>>,
        }
        let by_id = serde_json::from_str::<Metadata>(json)
            .map(|m| m.packages.into_iter().map(|p| (p.id, p.features)).collect())
            .unwrap_or_default();
        Features { by_id }
    }

    /// The feature of package `id` that turns its optional dependency
    /// `dep` (as the manifest names it) on: the first that lists `dep:D`,
    /// `D`, `D/x` or `D?/x`, else the implicit feature `D`.
    pub(crate) fn enabling<'s>(&'s self, id: &str, dep: &'s str) -> &'s str {
        let Some(features) = self.by_id.get(id) else {
            return dep;
        };
        let names = |item: &str| {
            let item = item.strip_prefix("dep:").unwrap_or(item);
            let name = item.split('/').next().unwrap_or(item);
            name.strip_suffix('?').unwrap_or(name) == dep
        };
        features
            .iter()
            .find(|(name, items)| name.as_str() != dep && items.iter().any(|i| names(i)))
            .map_or(dep, |(name, _)| name.as_str())
    }
}

/// The module graph of the members, the dev edges left out of it because
/// they would close a cycle, and the features that bring optional edges.
fn module_graph(deps: &Dependencies<'_>, packages: &[Package]) -> Result<ModuleGraph3> {
    let deps = &deps.members;
    // Normal and build dependencies cannot form a cycle (Cargo rejects
    // one); dev edges join one at a time, unless their dependency already
    // reaches their dependent.
    let mut kept: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut dev_edges = Vec::new();
    let mut edge_features = BTreeMap::new();
    for (&dependent, on) in deps {
        let entry = kept.entry(dependent).or_default();
        for (&dependency, reach) in on {
            if let Some(feature) = reach.feature {
                edge_features.insert(
                    (dependent.to_owned(), dependency.to_owned()),
                    feature.to_owned(),
                );
            }
            if reach.dev_only {
                dev_edges.push((dependent, dependency));
            } else {
                entry.push(dependency);
            }
        }
    }
    let mut extra = Vec::new();
    let dev_pairs: BTreeSet<(String, String)> = dev_edges
        .iter()
        .map(|&(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    for (dependent, dependency) in dev_edges {
        if reaches(&kept, dependency, dependent) {
            extra.push((dependent.to_owned(), dependency.to_owned()));
        } else {
            kept.entry(dependent).or_default().push(dependency);
        }
    }
    let mut builder = GraphBuilder::with_capacity(packages.len());
    for p in packages {
        let mut module = Module::new(p.name.clone(), 0.0);
        module.path = Some(p.dir.clone());
        module.paths = p.outside_paths.clone();
        module.tests = p.test_binaries.clone();
        let on = kept.get(p.name.as_str()).map_or(&[][..], Vec::as_slice);
        builder.add(module, on.iter().map(|&d| Dep::full(d)).collect());
    }
    let graph = builder
        .build()
        .map_err(|e| anyhow!("build the graph of workspace members: {e}"))?;
    Ok((graph, extra, edge_features, dev_pairs))
}

/// What [`module_graph`] returns: the graph, the dev edges left out of it,
/// the features of optional edges, every dev-only edge.
type ModuleGraph3 = (
    ModuleGraph,
    Vec<(String, String)>,
    BTreeMap<(String, String), String>,
    BTreeSet<(String, String)>,
);

/// Whether `to` is reachable from `from` along `edges` (dependent ->
/// dependencies).
fn reaches(edges: &BTreeMap<&str, Vec<&str>>, from: &str, to: &str) -> bool {
    let mut seen = HashSet::from([from]);
    let mut stack = vec![from];
    while let Some(v) = stack.pop() {
        if v == to {
            return true;
        }
        for &w in edges.get(v).into_iter().flatten() {
            if seen.insert(w) {
                stack.push(w);
            }
        }
    }
    false
}

/// The members determinator marks changed by their build summaries, each
/// with why.
fn build_changed(base: &PackageGraph, head: &PackageGraph) -> Result<Vec<BuildChanged>> {
    let rules = DeterminatorRules::parse("use-default-rules = false")
        .map_err(|e| anyhow!("parse the determinator rules: {}", one_line(&e.to_string())))?;
    let mut determinator = Determinator::new(base, head);
    determinator
        .set_rules(&rules)
        .map_err(|e| anyhow!("set the determinator rules: {}", one_line(&e.to_string())))?;
    let set = determinator.compute();
    let base_workspace = base.workspace();
    let mut changed: BTreeSet<&str> = set
        .summary_changed_set
        .packages(DependencyDirection::Forward)
        .filter(|p| p.in_workspace())
        .map(|p| p.name())
        .collect();
    // Determinator marks a new member changed; say so even if it stops.
    changed.extend(
        head.workspace()
            .iter_by_name()
            .map(|(name, _)| name)
            .filter(|name| !base_workspace.contains_name(name)),
    );
    let changed: Vec<&str> = changed.into_iter().collect();
    changed
        .par_iter()
        .map(|&name| {
            let why = match base_workspace.member_by_name(name) {
                Err(_) => "new package".to_owned(),
                Ok(old) => {
                    let new = head.workspace().member_by_name(name).map_err(|e| {
                        anyhow!("find member `{name}` at head: {}", one_line(&e.to_string()))
                    })?;
                    why_changed(old, new)
                }
            };
            Ok(BuildChanged {
                name: name.to_owned(),
                why,
            })
        })
        .collect()
}

/// What kind of difference an item of a "why" line is; the order is the
/// order items are listed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// A package in the build came, went or changed version.
    Resolved,
    /// A package is built with other features.
    Features,
    /// A package moved (source) or its place in the graph changed.
    Other,
}

/// Items of a "why" line shown before "and N more".
const WHY_ITEMS: usize = 3;

/// Why a member's build summary changed: the differences between the
/// summaries determinator compared (the member built with no, default and
/// all features, dev-dependencies included), merged.
fn why_changed(old: PackageMetadata<'_>, new: PackageMetadata<'_>) -> String {
    let options = Determinator::default_cargo_options();
    let mut items: Vec<(Change, String)> = Vec::new();
    for features in [
        StandardFeatures::Default,
        StandardFeatures::None,
        StandardFeatures::All,
    ] {
        let (Some(old_summary), Some(new_summary)) = (
            summary(old, features, &options),
            summary(new, features, &options),
        ) else {
            continue;
        };
        let diff = old_summary.diff(&new_summary);
        for section in [&diff.target_packages, &diff.host_packages] {
            for (id, status) in &section.changed {
                for item in describe(id, status) {
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
            }
        }
    }
    format_why(items)
}

/// The build summary of a member built alone with `features`, as
/// determinator computes it; `None` if guppy cannot make one.
fn summary(
    package: PackageMetadata<'_>,
    features: StandardFeatures,
    options: &CargoOptions<'_>,
) -> Option<Summary> {
    let initials = package.to_package_set().to_feature_set(features);
    let features_only: FeatureSet<'_> = package.graph().feature_graph().resolve_none();
    CargoSet::new(initials, features_only, options)
        .ok()?
        .to_summary()
        .ok()
}

fn describe(id: &SummaryId, status: &SummaryDiffStatus<'_>) -> Vec<(Change, String)> {
    let name = &id.name;
    let version = &id.version;
    match status {
        SummaryDiffStatus::Added { .. } => vec![(Change::Resolved, format!("+{name} {version}"))],
        SummaryDiffStatus::Removed { .. } => {
            vec![(Change::Resolved, format!("-{name} {version}"))]
        }
        SummaryDiffStatus::Modified {
            old_version,
            old_source,
            old_status,
            new_status,
            added_features,
            removed_features,
            added_optional_deps,
            removed_optional_deps,
            ..
        } => {
            let mut out = Vec::new();
            if let Some(old_version) = old_version {
                out.push((
                    Change::Resolved,
                    format!("{name} {old_version} -> {version}"),
                ));
            } else if let Some(old_source) = old_source {
                out.push((
                    Change::Other,
                    format!("{name} {version} {old_source} -> {}", id.source),
                ));
            }
            let mut features: Vec<String> = Vec::new();
            features.extend(added_features.iter().map(|f| format!("+{f}")));
            features.extend(removed_features.iter().map(|f| format!("-{f}")));
            features.extend(added_optional_deps.iter().map(|d| format!("+dep:{d}")));
            features.extend(removed_optional_deps.iter().map(|d| format!("-dep:{d}")));
            if !features.is_empty() {
                out.push((
                    Change::Features,
                    format!("{name} features {}", features.join(" ")),
                ));
            }
            if out.is_empty()
                && let Some(old_status) = old_status
            {
                out.push((
                    Change::Other,
                    format!("{name} {old_status} -> {new_status}"),
                ));
            }
            out
        }
    }
}

/// One line from the items of a diff: a heading for the kinds present, at
/// most [`WHY_ITEMS`] items, then how many more.
fn format_why(mut items: Vec<(Change, String)>) -> String {
    if items.is_empty() {
        return "enabled features or manifest changed".to_owned();
    }
    items.sort_by_key(|&(change, _)| change); // stable: diff order within a kind
    let resolved = items.iter().any(|(c, _)| *c == Change::Resolved);
    let features = items.iter().any(|(c, _)| *c == Change::Features);
    let heading = match (resolved, features) {
        (true, true) => "resolved dependencies and features changed",
        (true, false) => "resolved dependencies changed",
        (false, true) => "enabled features changed",
        (false, false) => "dependencies changed",
    };
    let shown: Vec<&str> = items
        .iter()
        .take(WHY_ITEMS)
        .map(|(_, s)| s.as_str())
        .collect();
    let mut why = format!("{heading}: {}", shown.join(", "));
    if items.len() > WHY_ITEMS {
        why.push_str(&format!(" and {} more", items.len() - WHY_ITEMS));
    }
    why
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::sync::LazyLock;

    use super::*;

    /// `cargo metadata` of a workspace, and the root it ran in.
    struct Workspace {
        json: String,
        root: PathBuf,
    }

    /// One real workspace at base, the same at another root, and at head.
    /// Built once: every `cargo metadata` costs a process and ~100 ms. The
    /// directories are deleted before any test looks: `compare` reads only
    /// the JSON.
    struct Fixture {
        base: Workspace,
        base_elsewhere: Workspace,
        head: Workspace,
    }

    static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
        let tmp = tempfile::tempdir().unwrap();
        let make = |name: &str, head: bool| {
            let root = tmp.path().join(name);
            write_workspace(&root, head);
            let root = root.canonicalize().unwrap();
            let json = metadata(&root, MetadataOptions::default()).unwrap();
            Workspace { json, root }
        };
        Fixture {
            base: make("base", false),
            base_elsewhere: make("elsewhere", false),
            head: make("head", true),
        }
    });

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn manifest(name: &str, version: &str, rest: &str) -> String {
        format!("[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n{rest}")
    }

    /// The workspace under test. At head: `vendor/ext` (a path package
    /// outside the workspace, standing in for a crates.io crate) goes from
    /// 1.0.0 to 1.1.0 and gains a dependency; `feat-user` turns on
    /// `core/fast`; `core` gains a description and a source edit (neither
    /// changes a build summary); `gone` is deleted; `newbie` is added.
    fn write_workspace(root: &Path, head: bool) {
        write(
            root,
            "Cargo.toml",
            &manifest(
                "app",
                "0.1.0",
                "[dependencies]\ncore = { path = \"crates/core\" }\n\n[workspace]\nresolver = \"2\"\n\
                 members = [\"crates/*\"]\n\
                 exclude = [\"vendor/ext\", \"vendor/ext-dep\", \"vendor/bridge\", \"tests/support\"]\n",
            ),
        );
        write(root, "src/main.rs", "fn main() {}\n");
        let lib = |name: &str, deps: &str| {
            write(
                root,
                &format!("crates/{name}/Cargo.toml"),
                &manifest(name, "0.1.0", deps),
            );
            write(root, &format!("crates/{name}/src/lib.rs"), "\n");
        };
        let core_extra = if head {
            "description = \"the core\"\n"
        } else {
            ""
        };
        lib("core", &format!("{core_extra}[features]\nfast = []\n"));
        if head {
            write(root, "crates/core/src/lib.rs", "pub fn edited() {}\n");
        }
        lib(
            "uses-ext",
            "[dependencies]\next = { path = \"../../vendor/ext\" }\n",
        );
        lib(
            "via-uses-ext",
            "[dependencies]\nuses-ext = { path = \"../uses-ext\" }\n",
        );
        lib(
            "bridge-user",
            "[dependencies]\nbridge = { path = \"../../vendor/bridge\" }\n",
        );
        lib(
            "dev-ext",
            "[dev-dependencies]\next = { path = \"../../vendor/ext\" }\n",
        );
        lib(
            "on-dev-ext",
            "[dependencies]\ndev-ext = { path = \"../dev-ext\" }\n",
        );
        let fast = if head { ", features = [\"fast\"]" } else { "" };
        lib(
            "feat-user",
            &format!("[dependencies]\ncore = {{ path = \"../core\"{fast} }}\n"),
        );
        // `support` is a local package inside app's own tests folder.
        lib(
            "buildhelper",
            "[dependencies]\nsupport = { path = \"../../tests/support\" }\n",
        );
        write(
            root,
            "tests/support/Cargo.toml",
            &manifest("support", "0.1.0", ""),
        );
        write(root, "tests/support/src/lib.rs", "\n");
        write(root, "tests/common/mod.rs", "\n");
        // Reached only through features: `extra` turns `core` on; `helper`
        // is an optional dependency with its implicit feature.
        lib(
            "opt-user",
            "[dependencies]\ncore = { path = \"../core\", optional = true }\n\
             buildhelper = { path = \"../buildhelper\", optional = true }\n\n\
             [features]\nextra = [\"dep:core\"]\n",
        );
        lib(
            "dev-user",
            "[dev-dependencies]\ncore = { path = \"../core\" }\n\n\
             [build-dependencies]\nbuildhelper = { path = \"../buildhelper\" }\n",
        );
        write(root, "crates/dev-user/build.rs", "fn main() {}\n");
        lib("cyc-a", "[dependencies]\ncyc-b = { path = \"../cyc-b\" }\n");
        lib(
            "cyc-b",
            "[dev-dependencies]\ncyc-a = { path = \"../cyc-a\" }\n",
        );
        lib(
            "tested",
            // A bin kept in benches/: that folder is no longer the
            // package's tests' alone.
            "[[bin]]\nname = \"untested\"\npath = \"benches/untested.rs\"\ntest = false\n",
        );
        for file in [
            "src/main.rs",
            "src/bin/tool.rs",
            "benches/untested.rs",
            "examples/ex.rs",
            "benches/b.rs",
        ] {
            write(root, &format!("crates/tested/{file}"), "fn main() {}\n");
        }
        write(root, "crates/tested/tests/foo.rs", "\n");
        if head {
            lib("newbie", "[dependencies]\ncore = { path = \"../core\" }\n");
        } else {
            lib("gone", "");
        }

        let (ext_version, ext_deps) = if head {
            (
                "1.1.0",
                "[dependencies]\next-dep = { path = \"../ext-dep\" }\n",
            )
        } else {
            ("1.0.0", "")
        };
        write(
            root,
            "vendor/ext/Cargo.toml",
            &manifest("ext", ext_version, ext_deps),
        );
        write(root, "vendor/ext/src/lib.rs", "\n");
        write(
            root,
            "vendor/ext-dep/Cargo.toml",
            &manifest("ext-dep", "0.3.0", ""),
        );
        write(root, "vendor/ext-dep/src/lib.rs", "\n");
        write(
            root,
            "vendor/bridge/Cargo.toml",
            &manifest(
                "bridge",
                "0.2.0",
                "[dependencies]\next = { path = \"../ext\" }\ncore = { path = \"../../crates/core\" }\n\n\
                 [dev-dependencies]\nbuildhelper = { path = \"../../crates/buildhelper\" }\n",
            ),
        );
        write(root, "vendor/bridge/src/lib.rs", "\n");
    }

    fn compare_fixture(base: &Workspace, head: &Workspace) -> Comparison {
        compare(&base.json, &base.root, &head.json, &head.root).unwrap()
    }

    fn names(packages: &[Package]) -> Vec<&str> {
        packages.iter().map(|p| p.name.as_str()).collect()
    }

    fn edges(c: &Comparison) -> Vec<(String, String)> {
        let g = &c.graph;
        let mut edges: Vec<_> = g
            .ids()
            .flat_map(|id| {
                g.deps(id)
                    .iter()
                    .map(move |a| (g.name(id).to_owned(), g.name(a.module).to_owned()))
            })
            .collect();
        edges.sort();
        edges
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|&(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    #[test]
    fn same_workspace_elsewhere_changes_no_build() {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.base, &f.base_elsewhere);
        assert_eq!(c.build_changed, vec![]);
        assert_eq!(c.removed, vec![]);
        let base = compare_fixture(&f.base, &f.base);
        assert_eq!(c.packages, base.packages);
        assert_eq!(edges(&c), edges(&base));
    }

    #[test]
    fn lockfile_bump_and_feature_change_mark_exactly_the_builds_they_change() {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.base, &f.head);
        let ext = "resolved dependencies changed: ext 1.0.0 -> 1.1.0, +ext-dep 0.3.0";
        let expected: Vec<BuildChanged> = [
            // Through the non-member `bridge`.
            ("bridge-user", ext),
            // A dev-dependency: determinator builds the member's tests.
            ("dev-ext", ext),
            ("feat-user", "enabled features changed: core features +fast"),
            ("newbie", "new package"),
            ("uses-ext", ext),
            // Through the member `uses-ext`: its summary holds `ext` too.
            ("via-uses-ext", ext),
        ]
        .into_iter()
        .map(|(name, why)| BuildChanged {
            name: name.to_owned(),
            why: why.to_owned(),
        })
        .collect();
        // Not `core` (its manifest and source changed, its build summary
        // did not), not `app`, `dev-user` or `newbie`'s dependents on it,
        // and not `on-dev-ext`: `dev-ext`'s dev-dependencies are not built
        // for it.
        assert_eq!(c.build_changed, expected);
    }

    #[test]
    fn members_removed_and_added() {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.base, &f.head);
        assert_eq!(
            c.removed,
            vec![Package {
                name: "gone".into(),
                dir: "crates/gone".into(),
                test_binaries: vec!["gone".into()],
                outside_paths: vec![],
                build_script: None,
                own_test_dirs: vec![
                    "crates/gone/tests".into(),
                    "crates/gone/benches".into(),
                    "crates/gone/examples".into()
                ],
            }]
        );
        assert_eq!(
            names(&c.packages),
            [
                "app",
                "bridge-user",
                "buildhelper",
                "core",
                "cyc-a",
                "cyc-b",
                "dev-ext",
                "dev-user",
                "feat-user",
                "newbie",
                "on-dev-ext",
                "opt-user",
                "tested",
                "uses-ext",
                "via-uses-ext",
            ]
        );
    }

    #[test]
    fn dirs_and_test_binaries_as_nextest_names_them() {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.base, &f.head);
        let find = |name: &str| c.packages.iter().find(|p| p.name == name).unwrap();
        assert_eq!(
            *find("app"),
            Package {
                name: "app".into(),
                dir: String::new(),
                test_binaries: vec!["app::bin/app".into()],
                outside_paths: vec![],
                build_script: None,
                own_test_dirs: vec!["tests".into(), "benches".into(), "examples".into()],
            }
        );
        // Not the bin with `test = false`, the example or the bench; not the
        // build script of `dev-user`.
        assert_eq!(
            find("tested").test_binaries,
            [
                "tested",
                "tested::bin/tested",
                "tested::bin/tool",
                "tested::foo"
            ]
        );
        assert_eq!(find("dev-user").test_binaries, ["dev-user"]);
        assert_eq!(
            find("tested").own_test_dirs,
            ["crates/tested/tests", "crates/tested/examples"]
        );
        let tested = c.graph.module(c.graph.find("tested").unwrap());
        assert_eq!(tested.path.as_deref(), Some("crates/tested"));
        assert_eq!(tested.tests, find("tested").test_binaries);
        assert_eq!(tested.duration_s, 0.0);
    }

    #[test]
    fn edges_of_every_kind_and_through_non_members() {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.base, &f.head);
        assert_eq!(
            edges(&c),
            pairs(&[
                ("app", "core"),
                // bridge-user -> bridge (not a member) -> core; not bridge's
                // dev-dependency buildhelper: Cargo builds (and resolves)
                // dev-dependencies of members only.
                ("bridge-user", "core"),
                ("cyc-a", "cyc-b"),
                ("dev-user", "buildhelper"),
                ("dev-user", "core"),
                ("feat-user", "core"),
                ("newbie", "core"),
                ("on-dev-ext", "dev-ext"),
                // Optional dependencies are dependencies Cargo can build.
                ("opt-user", "buildhelper"),
                ("opt-user", "core"),
                ("via-uses-ext", "uses-ext"),
            ])
        );
        let features: Vec<_> = c
            .edge_features
            .iter()
            .map(|((a, b), f)| (a.as_str(), b.as_str(), f.as_str()))
            .collect();
        assert_eq!(
            features,
            [
                ("opt-user", "buildhelper", "buildhelper"),
                ("opt-user", "core", "extra")
            ]
        );
        // cyc-b dev-depends on cyc-a, which depends on cyc-b.
        assert_eq!(c.extra_dependents, pairs(&[("cyc-b", "cyc-a")]));
        let dev: Vec<_> = c
            .dev_edges
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        // Members only: `dev-ext`'s dev-dependency `ext` is no member.
        assert_eq!(dev, [("cyc-b", "cyc-a"), ("dev-user", "core")]);
    }

    #[test]
    fn local_packages_list_the_path_packages_no_member_is_and_who_builds_them() {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.base, &f.head);
        /// A member that builds it: name, dev only, the feature.
        type By<'a> = (&'a str, bool, Option<&'a str>);
        let locals: Vec<(&str, &str, Vec<By<'_>>)> = c
            .locals
            .iter()
            .map(|l| {
                let dependents = l
                    .dependents
                    .iter()
                    .map(|d| (d.member.as_str(), d.dev, d.feature.as_deref()))
                    .collect();
                (l.package.name.as_str(), l.package.dir.as_str(), dependents)
            })
            .collect();
        let through_ext = vec![
            ("bridge-user", false, None),
            ("dev-ext", true, None),
            ("uses-ext", false, None),
        ];
        assert_eq!(
            locals,
            [
                (
                    "bridge",
                    "vendor/bridge",
                    vec![("bridge-user", false, None)]
                ),
                ("ext", "vendor/ext", through_ext.clone()),
                ("ext-dep", "vendor/ext-dep", through_ext),
                // Through members' edges (opt-user, dev-user -> buildhelper)
                // the graph propagates; only the member that reaches it
                // through no member is listed.
                (
                    "support",
                    "tests/support",
                    vec![("buildhelper", false, None)]
                ),
            ]
        );
        let support = &c.locals[3].package;
        assert_eq!(support.test_binaries, Vec::<String>::new());
        assert_eq!(support.own_test_dirs, Vec::<String>::new());
        // Sources to scan: the members, then the local packages.
        let sources = c.sources();
        assert_eq!(sources.len(), c.packages.len() + 4);
        assert_eq!(sources.last(), Some(&c.locals[3].package));
        // At the base nothing depends on ext-dep: `cargo metadata` does
        // not list it.
        let base = compare_fixture(&f.head, &f.base);
        let names: Vec<&str> = base
            .locals
            .iter()
            .map(|l| l.package.name.as_str())
            .collect();
        assert_eq!(names, ["bridge", "ext", "support"]);
    }

    /// The selection for files changed in the fixture at head.
    fn select_at_head(changed: &[&str]) -> crate::select::Selection {
        let f = &*FIXTURE;
        let c = compare_fixture(&f.head, &f.head);
        let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
        crate::prepare::finish(
            crate::prepare::GraphSource::Cargo(Box::new(c)),
            &changed,
            &crate::rules::Rules::default(),
            None,
            crate::prepare::Workspace::default(),
            true,
            None,
        )
        .unwrap()
        .selection
    }

    #[test]
    fn a_local_package_owns_its_folder_and_marks_the_members_that_build_it() {
        // ext: uses-ext builds it, dev-ext's tests do, bridge-user through
        // bridge (no member either); via-uses-ext through uses-ext. Not
        // app, whose folder holds vendor/, and not on-dev-ext.
        let through_ext = ["bridge-user", "dev-ext", "uses-ext", "via-uses-ext"];
        for file in ["vendor/ext/src/lib.rs", "vendor/ext/Cargo.toml"] {
            let s = select_at_head(&[file]);
            assert!(!s.run_all, "{:?}", s.run_all_reason);
            assert_eq!(s.affected, through_ext, "{file}");
            assert_eq!(
                s.reasons["uses-ext"].to_string(),
                format!(
                    "depends on ext, a local package that is not a workspace member, whose file {file} changed"
                )
            );
            assert_eq!(
                s.reasons["dev-ext"].to_string(),
                format!(
                    "depends on ext, a local package that is not a workspace member, whose file {file} changed \
                     (a dev-dependency: its tests)"
                )
            );
            assert_eq!(
                s.reasons["bridge-user"].to_string(),
                format!(
                    "depends on ext, a local package that is not a workspace member, whose file {file} changed"
                )
            );
        }
        // ext-dep, reached through ext at head.
        let s = select_at_head(&["vendor/ext-dep/src/lib.rs"]);
        assert_eq!(s.affected, through_ext);
        assert_eq!(
            select_at_head(&["vendor/bridge/src/lib.rs"]).affected,
            ["bridge-user"]
        );

        // support, inside app's tests/: not app's own tests, the members
        // that build it. opt-user reaches buildhelper through a feature.
        let s = select_at_head(&["tests/support/src/lib.rs"]);
        assert_eq!(s.affected, ["buildhelper", "dev-user", "opt-user"]);
        assert_eq!(
            s.reasons["buildhelper"].to_string(),
            "depends on support, a local package that is not a workspace member, whose file tests/support/src/lib.rs changed"
        );
        // The rest of tests/ is still app's own tests; vendor/ outside a
        // package, app's.
        let s = select_at_head(&["tests/common/mod.rs"]);
        assert_eq!(s.affected, ["app"]);
        assert_eq!(
            s.reasons["app"].to_string(),
            "changed file tests/common/mod.rs, which only its own tests compile"
        );
        let s = select_at_head(&["vendor/NOTES.txt"]);
        assert_eq!(s.affected, ["app"]);
        assert_eq!(
            s.reasons["app"].to_string(),
            "changed file vendor/NOTES.txt"
        );
    }

    #[test]
    fn why_lists_three_changes_then_counts_the_rest() {
        let items = ["+a 1.0.0", "b 1.0.0 -> 2.0.0", "-c 0.1.0", "+d 3.0.0"]
            .map(|s| (Change::Resolved, s.to_owned()));
        let mut items = items.to_vec();
        items.insert(0, (Change::Features, "e features +x".to_owned()));
        assert_eq!(
            format_why(items),
            "resolved dependencies and features changed: +a 1.0.0, b 1.0.0 -> 2.0.0, -c 0.1.0 and 2 more"
        );
        assert_eq!(format_why(vec![]), "enabled features or manifest changed");
    }

    #[test]
    fn bad_json_names_its_side() {
        let f = &*FIXTURE;
        let err = compare("{", Path::new("/"), &f.head.json, &f.head.root).unwrap_err();
        let err = err.to_string();
        assert!(
            err.starts_with("read the base `cargo metadata` JSON: "),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
        let err = compare(&f.base.json, &f.base.root, "[]", Path::new("/")).unwrap_err();
        assert!(err.to_string().starts_with("read the head "), "{err}");
    }

    #[test]
    fn cargo_s_first_error_line_is_the_reason_not_its_backtrace() {
        use std::os::unix::process::ExitStatusExt;
        let status = std::process::ExitStatus::from_raw(101 << 8);
        let stderr = "    Updating crates.io index\nerror: failed to select a version for `x`.\n\
                      \nCaused by:\n  no matching package\nstack backtrace:\n  12: <unknown>\n";
        assert_eq!(
            cargo_error(stderr, status),
            "error: failed to select a version for `x`."
        );
        assert_eq!(
            cargo_error("warning: a\nlast words\n", status),
            "last words"
        );
        assert_eq!(cargo_error("", status), status.to_string());
    }

    #[test]
    fn metadata_failure_is_one_line_with_cargo_s_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let err = metadata(tmp.path(), MetadataOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("metadata --format-version 1 --all-features` in "),
            "{err}"
        );
        assert!(err.contains(&tmp.path().display().to_string()), "{err}");
        assert!(err.contains("could not find `Cargo.toml`"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
