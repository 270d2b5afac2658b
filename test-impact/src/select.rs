//! The selection: from changed files to affected modules, with the reason
//! for each. Independent of where the graph and the changes come from.
//!
//! 1. Each changed file goes through the path rules (config first, then
//!    built-in), then to the module that owns it (the most specific path).
//!    A package that owns files but is no module (a Cargo path dependency
//!    that is not a workspace member) competes for them like a module, and
//!    a file it owns marks the modules that build it. A file that no
//!    package owns and no rule matched marks everything: the safe default,
//!    reported as `run_all_reason`.
//! 2. Modules whose build changed without a file of theirs changing (a
//!    Cargo.lock bump, a feature change) are marked with that reason.
//! 3. Everything that depends on a marked module, transitively, is marked
//!    too; module rules add their modules as they fire. Except for a mark
//!    that only reaches the module's own tests: a changed file in a Cargo
//!    package's `tests/`, `benches/` or `examples/` (compiled into no
//!    dependent), or a `tests-only` path rule's data. Such a module is
//!    affected and its module rules fire, but its dependents are not
//!    marked for it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use depgraph::paths::PathIndex;
use depgraph::{ModuleGraph, ModuleId};
use serde::Serialize;

use crate::compiled::CompiledIn;
use crate::rules::{Mark, PostRule, Rules};

/// Why a module is affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A file in the module changed.
    File { path: String },
    /// A file that only the module's own tests, benches or examples
    /// compile changed (its `tests/`, `benches/`, `examples/`): the
    /// modules that depend on it are not affected by it.
    OwnTests { path: String },
    /// It depends on an affected module; `feature` when only an optional
    /// dependency, turned on by that feature of this module, brings the
    /// edge.
    Dependency {
        module: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        feature: Option<String>,
        /// Only a dev-dependency brings the edge: its tests build `module`,
        /// its lib does not, so its own dependents are not marked for it.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        dev: bool,
    },
    /// A path rule marked it for a changed file.
    PathRule {
        rule: String,
        glob: String,
        path: String,
        /// A `tests-only` rule: its dependents are not marked for it.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        tests_only: bool,
    },
    /// A module rule marked it because another module is affected.
    ModuleRule { rule: usize, module: String },
    /// Its build changed although none of its files did.
    Build { why: String },
    /// The root Cargo.toml changed a table it inherits or builds with.
    Manifest { why: String },
    /// A changed file that it compiles in (`include_str!`, `#[path]`, a
    /// build script's `rerun-if-changed`), whatever the rules say of it.
    CompiledIn { path: String, how: String },
    /// It builds `package`, a local package that is no module (a Cargo path
    /// dependency that is not a workspace member), directly or through
    /// other such packages, and `path` changed in that package's folder or,
    /// with `how`, is a file the package compiles in. `feature` and `dev`
    /// as for [`Reason::Dependency`].
    LocalPackage {
        package: String,
        path: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        how: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        feature: Option<String>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        dev: bool,
    },
    /// Everything is selected (see `run_all_reason`).
    RunAll,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::File { path } => write!(f, "changed file {path}"),
            Reason::OwnTests { path } => {
                write!(f, "changed file {path}, which only its own tests compile")
            }
            Reason::Dependency {
                module,
                feature,
                dev,
            } => {
                write!(f, "depends on {module}")?;
                match (feature, dev) {
                    (Some(feature), _) => write!(f, " (optional, feature `{feature}`)"),
                    (None, true) => f.write_str(" (a dev-dependency: its tests)"),
                    (None, false) => Ok(()),
                }
            }
            Reason::PathRule {
                rule,
                glob,
                path,
                tests_only,
            } => {
                write!(f, "{rule} (`{glob}`) matched {path}")?;
                if *tests_only {
                    f.write_str(", data its tests read")?;
                }
                Ok(())
            }
            Reason::ModuleRule { rule, module } => {
                write!(f, "module-rule {rule}: {module} is affected")
            }
            Reason::Build { why } => write!(f, "build changed: {why}"),
            Reason::Manifest { why } => write!(f, "root Cargo.toml: {why}"),
            Reason::CompiledIn { path, how } => write!(f, "compiles in {path} ({how})"),
            Reason::LocalPackage {
                package,
                path,
                how,
                feature,
                dev,
            } => {
                write!(
                    f,
                    "depends on {package}, a local package that is not a workspace member, "
                )?;
                match how {
                    None => write!(f, "whose file {path} changed")?,
                    Some(how) => write!(f, "which compiles in {path} ({how})")?,
                }
                match (feature, dev) {
                    (Some(feature), _) => write!(f, " (optional, feature `{feature}`)"),
                    (None, true) => f.write_str(" (a dev-dependency: its tests)"),
                    (None, false) => Ok(()),
                }
            }
            Reason::RunAll => f.write_str("everything is selected"),
        }
    }
}

impl Reason {
    /// Whether the modules that depend on a module marked for this reason
    /// are affected too: not when only its own tests see the change.
    fn reaches_dependents(&self) -> bool {
        !matches!(
            self,
            Reason::OwnTests { .. }
                | Reason::PathRule {
                    tests_only: true,
                    ..
                }
                | Reason::Dependency { dev: true, .. }
                | Reason::LocalPackage { dev: true, .. }
        )
    }
}

/// Packages that own files but are no modules (a Cargo workspace's path
/// packages that are not members): a change in one marks the modules that
/// build it.
#[derive(Debug, Default)]
pub(crate) struct Locals {
    /// Their folders and target files; an id is an index in `packages`.
    pub index: PathIndex,
    pub packages: Vec<Local>,
}

/// A package of [`Locals`].
#[derive(Debug)]
pub(crate) struct Local {
    pub name: String,
    /// The modules that build it: `(module, feature, dev)`, as the edges of
    /// [`Input::edge_features`] and [`Input::dev_edges`] say them.
    pub dependents: Vec<(ModuleId, Option<String>, bool)>,
}

impl Locals {
    /// The local package named `name`.
    fn find(&self, name: &str) -> Option<&Local> {
        self.packages.iter().find(|l| l.name == name)
    }
}

/// What the selection needs besides the changed files.
pub(crate) struct Input<'a> {
    pub graph: &'a ModuleGraph,
    /// Owners of paths at head.
    pub index: &'a PathIndex,
    /// Packages that own paths at head but are no modules. The deepest
    /// owner wins, a module or one of these; a target file a package lists
    /// inside another's folder belongs to both.
    pub locals: Option<&'a Locals>,
    /// Folders whose files only their module's own tests compile (a Cargo
    /// package's `tests/`, `benches/`, `examples/`), by module.
    pub own_tests: Option<&'a PathIndex>,
    /// Owners of paths that only the base had (packages removed by the
    /// change): their files need no test at head. Names, not ids.
    pub removed_index: Option<(&'a PathIndex, &'a [String])>,
    /// Extra dependent → dependency edges the graph could not hold (Cargo
    /// dev-dependency cycles).
    pub extra_edges: &'a [(ModuleId, ModuleId)],
    /// Edges only an optional dependency brings, `(dependent, dependency)`,
    /// with the feature that turns it on: said in the reason.
    pub edge_features: &'a BTreeMap<(ModuleId, ModuleId), String>,
    /// Edges only a dev-dependency brings, `(dependent, dependency)`: the
    /// dependent's tests are affected, what depends on it is not.
    pub dev_edges: &'a BTreeSet<(ModuleId, ModuleId)>,
    pub rules: &'a Rules,
    /// Files the graph comparison accounts for (Cargo.lock, the root
    /// manifest of a Cargo workspace): they are neither owned nor unowned.
    pub graph_files: &'a [&'a str],
    /// Modules whose build changed, with why.
    pub build_changed: Vec<(ModuleId, String)>,
    /// Modules marked for other reasons (the root manifest's tables).
    pub seeds: Vec<(ModuleId, Reason)>,
    /// Files modules compile in, by module name: such a file belongs to
    /// them before any rule applies.
    pub compiled_in: Option<&'a CompiledIn>,
    /// Set when something outside the files says "everything".
    pub run_all: Option<String>,
}

/// The outcome.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Selection {
    pub run_all: bool,
    pub run_all_reason: Option<String>,
    /// Affected module names, sorted.
    pub affected: Vec<String>,
    /// The tests of the affected modules, sorted.
    pub tests: Vec<String>,
    /// Why each affected module is affected.
    pub reasons: BTreeMap<String, Reason>,
    /// Changed files that rules ignored or that only removed modules owned.
    pub ignored_files: Vec<String>,
    /// Modules in the graph.
    pub total: usize,
}

/// Selects the modules `changed` can affect.
pub(crate) fn select(changed: &[String], input: &Input<'_>) -> Selection {
    let g = input.graph;
    let mut run_all: Option<String> = input.run_all.clone();
    let mut seeds: Vec<(ModuleId, Reason)> = Vec::new();
    let mut ignored = Vec::new();

    for file in changed {
        if input.graph_files.contains(&file.as_str()) {
            continue;
        }
        let mut handled = false;
        let mut any_rule = false;
        // Compiled into a module: that module's, whatever the rules say
        // (`*.md` is ignored, unless a crate doc-tests it).
        let mut marked = false;
        for (module, how) in input
            .compiled_in
            .map(|c| c.owners(file))
            .unwrap_or_default()
        {
            if let Some(id) = g.find(module) {
                marked = true;
                seeds.push((
                    id,
                    Reason::CompiledIn {
                        path: file.clone(),
                        how: how.to_owned(),
                    },
                ));
            } else if let Some(local) = input.locals.and_then(|l| l.find(module)) {
                marked = true;
                seeds.extend(local_seeds(local, file, Some(how)));
            }
        }
        let compiled = marked;
        for rule in &input.rules.path_rules {
            let Some(glob) = rule.matching_glob(file) else {
                continue;
            };
            any_rule = true;
            marked |= rule.mark != Mark::Modules(vec![]);
            match &rule.mark {
                Mark::All => {
                    if run_all.is_none() {
                        run_all = Some(format!("{} (`{glob}`) matched {file}", rule.origin));
                    }
                }
                Mark::Modules(names) => {
                    for name in names {
                        if let Some(id) = g.find(name) {
                            seeds.push((
                                id,
                                Reason::PathRule {
                                    rule: rule.origin.to_string(),
                                    glob: glob.to_owned(),
                                    path: file.clone(),
                                    tests_only: rule.tests_only,
                                },
                            ));
                        }
                    }
                }
            }
            match rule.post {
                PostRule::Skip => {
                    handled = true;
                    break;
                }
                PostRule::SkipRules => break,
                PostRule::Fallthrough => {}
            }
        }
        if handled {
            if !marked {
                ignored.push(file.clone());
            }
            continue;
        }
        let module_owner = input.index.owner(file);
        let local_owner = input.locals.and_then(|l| Some((l, l.index.owner(file)?)));
        // The deeper owner wins; an exact match is a target file its
        // package lists, which the other keeps too.
        let exact = depgraph::paths::normalize(file);
        let (modules_own, locals_own) = match (module_owner, local_owner) {
            (Some((m, _)), Some((_, (l, _)))) => (
                m.len() >= l.len() || l == exact,
                l.len() >= m.len() || m == exact,
            ),
            (m, l) => (m.is_some(), l.is_some()),
        };
        if let (true, Some((_, ids))) = (modules_own, module_owner) {
            let own_tests = input
                .own_tests
                .and_then(|o| o.owner(file))
                .map_or(&[][..], |(_, ids)| ids);
            for &id in ids {
                let path = file.clone();
                seeds.push(if own_tests.contains(&id) {
                    (id, Reason::OwnTests { path })
                } else {
                    (id, Reason::File { path })
                });
            }
        }
        if let (true, Some((locals, (_, ids)))) = (locals_own, local_owner) {
            for &i in ids {
                seeds.extend(local_seeds(&locals.packages[i.index()], file, None));
            }
        }
        if modules_own || locals_own {
            continue;
        }
        if compiled {
            continue;
        }
        if let Some((removed, _)) = input.removed_index
            && removed.owner(file).is_some()
        {
            ignored.push(file.clone());
            continue;
        }
        if !any_rule && run_all.is_none() {
            run_all = Some(format!(
                "{file} is in no module and matches no rule; every module is selected to be safe"
            ));
        }
    }
    for (id, why) in &input.build_changed {
        seeds.push((*id, Reason::Build { why: why.clone() }));
    }
    seeds.extend(input.seeds.iter().cloned());

    // Module rules by the module that fires them.
    let mut fires: BTreeMap<ModuleId, Vec<usize>> = BTreeMap::new();
    for (i, r) in input.rules.module_rules.iter().enumerate() {
        for name in &r.on_affected {
            if let Some(id) = g.find(name) {
                fires.entry(id).or_default().push(i);
            }
        }
    }
    let mut extra_dependents: BTreeMap<ModuleId, Vec<ModuleId>> = BTreeMap::new();
    for &(dependent, dependency) in input.extra_edges {
        extra_dependents
            .entry(dependency)
            .or_default()
            .push(dependent);
    }

    // The first reason found for each module, breadth first; a reason that
    // reaches dependents replaces one that only reaches the module's own
    // tests, so that the module's dependents are marked after all.
    let mut reason: Vec<Option<Reason>> = vec![None; g.len()];
    let mut queue = VecDeque::new();
    fn offer(
        reason: &mut [Option<Reason>],
        queue: &mut VecDeque<ModuleId>,
        id: ModuleId,
        why: Reason,
    ) {
        let slot = &mut reason[id.index()];
        let better = match slot {
            None => true,
            Some(old) => !old.reaches_dependents() && why.reaches_dependents(),
        };
        if better {
            *slot = Some(why);
            queue.push_back(id);
        }
    }
    // Seeds that reach dependents first, so that they win.
    seeds.sort_by_key(|(_, why)| !why.reaches_dependents());
    for (id, why) in seeds {
        offer(&mut reason, &mut queue, id, why);
    }
    while let Some(v) = queue.pop_front() {
        let name = g.name(v);
        let reaches = reason[v.index()]
            .as_ref()
            .is_some_and(Reason::reaches_dependents);
        let mut next: Vec<(ModuleId, Reason)> = g
            .dependents(v)
            .iter()
            .map(|a| a.module)
            .chain(extra_dependents.get(&v).into_iter().flatten().copied())
            .filter(|_| reaches)
            .map(|d| {
                (
                    d,
                    Reason::Dependency {
                        module: name.to_owned(),
                        feature: input.edge_features.get(&(d, v)).cloned(),
                        dev: input.dev_edges.contains(&(d, v)),
                    },
                )
            })
            .collect();
        for &i in fires.get(&v).into_iter().flatten() {
            let rule = &input.rules.module_rules[i];
            match &rule.mark {
                Mark::All => {
                    if run_all.is_none() {
                        run_all = Some(format!(
                            "module-rule {} marks everything when {name} is affected",
                            rule.index
                        ));
                    }
                }
                Mark::Modules(names) => {
                    for n in names {
                        if let Some(id) = g.find(n) {
                            next.push((
                                id,
                                Reason::ModuleRule {
                                    rule: rule.index,
                                    module: name.to_owned(),
                                },
                            ));
                        }
                    }
                }
            }
        }
        for (d, why) in next {
            offer(&mut reason, &mut queue, d, why);
        }
    }

    let mut sel = Selection {
        run_all: run_all.is_some(),
        run_all_reason: run_all,
        total: g.len(),
        ignored_files: ignored,
        ..Selection::default()
    };
    let mut tests = BTreeSet::new();
    for id in g.ids() {
        let why = match reason[id.index()].take() {
            Some(why) => why,
            None if sel.run_all => Reason::RunAll,
            None => continue,
        };
        let m = g.module(id);
        sel.affected.push(m.name.clone());
        tests.extend(m.tests.iter().cloned());
        sel.reasons.insert(m.name.clone(), why);
    }
    sel.affected.sort();
    sel.tests = tests.into_iter().collect();
    sel
}

/// The modules a change to `file` in a local package marks, with why:
/// `how` it is compiled in, if it is not a file of the package's folder.
fn local_seeds<'l>(
    local: &'l Local,
    file: &'l str,
    how: Option<&'l str>,
) -> impl Iterator<Item = (ModuleId, Reason)> + 'l {
    local.dependents.iter().map(move |(id, feature, dev)| {
        (
            *id,
            Reason::LocalPackage {
                package: local.name.clone(),
                path: file.to_owned(),
                how: how.map(str::to_owned),
                feature: feature.clone(),
                dev: *dev,
            },
        )
    })
}

/// The chain that made `name` affected, from the change to `name`: each
/// step a module and the reason it was marked. `None` when `name` is not
/// affected.
pub(crate) fn explain<'s>(sel: &'s Selection, name: &str) -> Option<Vec<(&'s str, &'s Reason)>> {
    let mut chain = Vec::new();
    let mut cur = name;
    loop {
        let (key, why) = sel.reasons.get_key_value(cur)?;
        chain.push((key.as_str(), why));
        match why {
            Reason::Dependency { module, .. } | Reason::ModuleRule { module, .. } => {
                // Reasons are first-found in breadth-first order, so the
                // chain is acyclic and ends at a seed.
                if chain.len() > sel.reasons.len() {
                    return None;
                }
                cur = module;
            }
            _ => break,
        }
    }
    chain.reverse();
    Some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use depgraph::{Dep, GraphBuilder, Module};

    /// core <- lib <- app; core <- util; docs-site alone; proto (paths in
    /// two folders) <- lib.
    fn graph() -> ModuleGraph {
        graph_with(&[])
    }

    /// [`graph`], lib with these paths besides its folder.
    fn graph_with(lib_paths: &[&str]) -> ModuleGraph {
        let mut b = GraphBuilder::new();
        let m = |name: &str, path: &str, tests: &[&str]| {
            let mut m = Module::new(name, 0.0);
            m.path = Some(path.into());
            m.tests = tests.iter().map(|t| (*t).to_owned()).collect();
            m
        };
        b.add(m("core", "libs/core", &["core_test"]), vec![]);
        let mut lib = m("lib", "libs/lib", &["lib_test"]);
        lib.paths = lib_paths.iter().map(|p| (*p).to_owned()).collect();
        b.add(lib, vec![Dep::full("core"), Dep::full("proto")]);
        b.add(
            m("app", "apps/app", &["app_e2e", "lib_test"]),
            vec![Dep::full("lib")],
        );
        b.add(m("util", "libs/core/util", &[]), vec![Dep::full("core")]);
        b.add(m("site", "docs", &[]), vec![]);
        let mut proto = m("proto", "proto", &[]);
        proto.paths = vec!["schemas/proto".into()];
        b.add(proto, vec![]);
        b.build().unwrap()
    }

    fn run(changed: &[&str], rules: &Rules) -> Selection {
        run_with(changed, rules, vec![], None)
    }

    fn run_with(
        changed: &[&str],
        rules: &Rules,
        build: Vec<(&str, &str)>,
        run_all: Option<&str>,
    ) -> Selection {
        let g = graph();
        let index = PathIndex::of_graph(&g);
        let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
        let input = Input {
            graph: &g,
            index: &index,
            locals: None,
            own_tests: None,
            removed_index: None,
            extra_edges: &[],
            edge_features: &BTreeMap::new(),
            dev_edges: &BTreeSet::new(),
            rules,
            graph_files: &["Cargo.lock"],
            build_changed: build
                .into_iter()
                .map(|(n, w)| (g.find(n).unwrap(), w.to_owned()))
                .collect(),
            run_all: run_all.map(str::to_owned),
            seeds: vec![],
            compiled_in: None,
        };
        select(&changed, &input)
    }

    #[test]
    fn a_compiled_in_file_belongs_to_its_includer_before_any_rule() {
        let g = graph();
        let index = PathIndex::of_graph(&g);
        let mut compiled = CompiledIn::default();
        compiled.add(
            "lib",
            crate::compiled::Found {
                target: "README.md".into(),
                how: "include_str! at libs/lib/src/lib.rs:1".into(),
            },
        );
        compiled.add(
            "util",
            crate::compiled::Found {
                target: "assets".into(),
                how: "rerun-if-changed at libs/util/build.rs:2".into(),
            },
        );
        let rules = Rules::default();
        let run = |changed: &[&str]| {
            let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
            select(
                &changed,
                &Input {
                    graph: &g,
                    index: &index,
                    locals: None,
                    own_tests: None,
                    removed_index: None,
                    extra_edges: &[],
                    edge_features: &BTreeMap::new(),
                    dev_edges: &BTreeSet::new(),
                    rules: &rules,
                    graph_files: &[],
                    build_changed: vec![],
                    seeds: vec![],
                    compiled_in: Some(&compiled),
                    run_all: None,
                },
            )
        };
        // The built-in rules ignore `*.md`; lib compiles this one in.
        let s = run(&["README.md", "CHANGELOG.md"]);
        assert!(!s.run_all, "{:?}", s.run_all_reason);
        assert_eq!(s.affected, ["app", "lib"]);
        assert_eq!(s.ignored_files, ["CHANGELOG.md"]);
        assert_eq!(
            s.reasons["lib"].to_string(),
            "compiles in README.md (include_str! at libs/lib/src/lib.rs:1)"
        );
        // A file under a watched folder, owned by no module: not "everything".
        let s = run(&["assets/logo.svg"]);
        assert!(!s.run_all, "{:?}", s.run_all_reason);
        assert_eq!(s.affected, ["util"]);
    }

    #[test]
    fn a_file_marks_its_module_and_everything_that_depends_on_it() {
        let s = run(&["libs/core/src/a.rs"], &Rules::default());
        assert!(!s.run_all);
        assert_eq!(s.affected, ["app", "core", "lib", "util"]);
        assert_eq!(s.tests, ["app_e2e", "core_test", "lib_test"]);
        assert_eq!(
            s.reasons["core"],
            Reason::File {
                path: "libs/core/src/a.rs".into()
            }
        );
        assert_eq!(
            s.reasons["app"],
            Reason::Dependency {
                module: "lib".into(),
                feature: None,
                dev: false,
            }
        );
        // The deeper module owns its folder: util alone, nothing depends on it.
        let s = run(&["libs/core/util/x.rs"], &Rules::default());
        assert_eq!(s.affected, ["util"]);
        // A second path of a module.
        let s = run(&["schemas/proto/a.proto"], &Rules::default());
        assert_eq!(s.affected, ["app", "lib", "proto"]);
        assert_eq!(s.total, 6);
    }

    #[test]
    fn unowned_files_select_everything_and_docs_are_ignored() {
        let s = run(
            &["README.md", "libs/lib/NOTES.md", "LICENSE-MIT"],
            &Rules::default(),
        );
        assert!(!s.run_all);
        assert!(s.affected.is_empty());
        assert_eq!(s.ignored_files.len(), 3);
        let s = run(&["tools/ci.sh", "libs/lib/a.rs"], &Rules::default());
        assert!(s.run_all);
        assert_eq!(
            s.run_all_reason.as_deref(),
            Some(
                "tools/ci.sh is in no module and matches no rule; every module is selected to be safe"
            )
        );
        assert_eq!(s.affected.len(), 6);
        // Reasons found are kept; the rest say run-all.
        assert_eq!(
            s.reasons["lib"],
            Reason::File {
                path: "libs/lib/a.rs".into()
            }
        );
        assert_eq!(s.reasons["site"], Reason::RunAll);
        let s = run(&["rust-toolchain.toml"], &Rules::default());
        assert!(s.run_all_reason.unwrap().contains("rust-toolchain.toml"));
        // Graph files are the graph comparison's business, not unowned.
        assert!(!run(&["Cargo.lock"], &Rules::default()).run_all);
        // Without the built-in rules, a README is an unowned file.
        let bare =
            Rules::parse("use-default-rules = false", std::path::Path::new("t.toml")).unwrap();
        assert!(run(&["README.md"], &bare).run_all);
    }

    #[test]
    fn path_rules_skip_skip_rules_and_fallthrough() {
        let rules = |post: &str| {
            Rules::parse(
                &format!(
                    "[[path-rule]]\nglobs = [\"libs/core/data/**\"]\nmark-changed = [\"site\"]\npost-rule = \"{post}\"\n\
                     [[path-rule]]\nglobs = [\"**/*.json\"]\nmark-changed = [\"proto\"]\n"
                ),
                std::path::Path::new("t.toml"),
            )
            .unwrap()
        };
        let f = ["libs/core/data/x.json"];
        assert_eq!(run(&f, &rules("skip")).affected, ["site"]);
        // skip-rules: rule 2 is not tried, the owner (core) counts.
        assert_eq!(
            run(&f, &rules("skip-rules")).affected,
            ["app", "core", "lib", "site", "util"]
        );
        // fallthrough: rule 2 sees the file too, and its default "skip"
        // ends there, before the owner.
        assert_eq!(
            run(&f, &rules("fallthrough")).affected,
            ["app", "lib", "proto", "site"]
        );
        let s = run(&["libs/core/data/y.txt"], &rules("fallthrough"));
        assert_eq!(
            s.reasons["site"],
            Reason::PathRule {
                rule: "rule 1 of the config".into(),
                glob: "libs/core/data/**".into(),
                path: "libs/core/data/y.txt".into(),
                tests_only: false,
            }
        );
        assert_eq!(
            s.reasons["core"],
            Reason::File {
                path: "libs/core/data/y.txt".into()
            }
        );
        // A rule that matched an unowned file handles it: no run-all.
        let s = run(&["other/a.json"], &rules("skip"));
        assert!(!s.run_all);
        assert_eq!(s.affected, ["app", "lib", "proto"]);
    }

    #[test]
    fn module_rules_and_build_changes_propagate() {
        let rules = Rules::parse(
            "[[module-rule]]\non-affected = [\"util\"]\nmark-changed = [\"site\"]\n\
             [[module-rule]]\non-affected = [\"site\"]\nmark-changed = [\"proto\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let s = run(&["libs/core/util/a.rs"], &rules);
        assert_eq!(s.affected, ["app", "lib", "proto", "site", "util"]);
        assert_eq!(
            s.reasons["site"],
            Reason::ModuleRule {
                rule: 1,
                module: "util".into()
            }
        );
        let chain = explain(&s, "app").unwrap();
        let names: Vec<&str> = chain.iter().map(|(m, _)| *m).collect();
        assert_eq!(names, ["util", "site", "proto", "lib", "app"]);
        assert!(explain(&s, "core").is_none());

        let s = run_with(
            &["Cargo.lock"],
            &Rules::default(),
            vec![("core", "regex 1.0.0 -> 1.1.0")],
            None,
        );
        assert_eq!(s.affected, ["app", "core", "lib", "util"]);
        assert_eq!(
            s.reasons["core"],
            Reason::Build {
                why: "regex 1.0.0 -> 1.1.0".into()
            }
        );

        let all = Rules::parse(
            "[[module-rule]]\non-affected = [\"lib\"]\nmark-changed = \"all\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let s = run(&["libs/core/a.rs"], &all);
        assert!(s.run_all);
        assert_eq!(s.affected.len(), 6);
        let s = run_with(&[], &Rules::default(), vec![], Some("no merge-base"));
        assert_eq!(s.run_all_reason.as_deref(), Some("no merge-base"));
    }

    /// `core` and `lib` keep tests of their own in `tests/`.
    fn run_own_tests(changed: &[&str], rules: &Rules) -> Selection {
        let g = graph();
        let index = PathIndex::of_graph(&g);
        let own = PathIndex::new([
            (g.find("core").unwrap(), "libs/core/tests"),
            (g.find("lib").unwrap(), "libs/lib/tests"),
        ]);
        let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
        select(
            &changed,
            &Input {
                graph: &g,
                index: &index,
                locals: None,
                own_tests: Some(&own),
                removed_index: None,
                extra_edges: &[],
                edge_features: &BTreeMap::new(),
                dev_edges: &BTreeSet::new(),
                rules,
                graph_files: &[],
                build_changed: vec![],
                seeds: vec![],
                compiled_in: None,
                run_all: None,
            },
        )
    }

    #[test]
    fn a_change_to_a_modules_own_tests_marks_it_and_not_its_dependents() {
        let none = Rules::default();
        let s = run_own_tests(&["libs/core/tests/it/main.rs"], &none);
        assert_eq!(s.affected, ["core"]);
        assert_eq!(
            s.reasons["core"],
            Reason::OwnTests {
                path: "libs/core/tests/it/main.rs".into()
            }
        );
        assert_eq!(
            s.reasons["core"].to_string(),
            "changed file libs/core/tests/it/main.rs, which only its own tests compile"
        );
        // `util` lives inside core's folder, not inside its tests/.
        let s = run_own_tests(&["libs/core/testsuite.rs"], &none);
        assert_eq!(s.affected, ["app", "core", "lib", "util"]);

        // With a source change beside it, the dependents are marked.
        let s = run_own_tests(&["libs/core/tests/a.rs", "libs/core/src/a.rs"], &none);
        assert_eq!(s.affected, ["app", "core", "lib", "util"]);
        assert!(matches!(s.reasons["core"], Reason::File { .. }));

        // Whatever the order: `lib` is first marked for its own tests, then
        // reached from `core`, and its dependent `app` is marked.
        for changed in [
            ["libs/lib/tests/x.rs", "libs/core/a.rs"],
            ["libs/core/a.rs", "libs/lib/tests/x.rs"],
        ] {
            let s = run_own_tests(&changed, &none);
            assert_eq!(s.affected, ["app", "core", "lib", "util"], "{changed:?}");
            assert_eq!(
                s.reasons["lib"],
                Reason::Dependency {
                    module: "core".into(),
                    feature: None,
                    dev: false,
                }
            );
            let chain = explain(&s, "app").unwrap();
            let names: Vec<&str> = chain.iter().map(|(m, _)| *m).collect();
            assert_eq!(names, ["core", "lib", "app"]);
        }

        // A module rule still fires, and what it marks reaches dependents.
        let rules = Rules::parse(
            "[[module-rule]]\non-affected = [\"core\"]\nmark-changed = [\"proto\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let s = run_own_tests(&["libs/core/tests/a.rs"], &rules);
        assert_eq!(s.affected, ["app", "core", "lib", "proto"]);
        assert!(!s.affected.contains(&"util".to_owned()));
    }

    #[test]
    fn a_tests_only_rule_marks_its_modules_and_not_their_dependents() {
        let rules = Rules::parse(
            "[[path-rule]]\nglobs = [\"fixtures/core/**\"]\nmark-changed = [\"core\"]\ntests-only = true\n\n\
             [[path-rule]]\nglobs = [\"fixtures/all-of-core/**\"]\nmark-changed = [\"core\"]\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap();
        let s = run(&["fixtures/core/a.json"], &rules);
        assert_eq!(s.affected, ["core"]);
        assert_eq!(
            s.reasons["core"].to_string(),
            "rule 1 of the config (`fixtures/core/**`) matched fixtures/core/a.json, data its tests read"
        );
        let s = run(&["fixtures/all-of-core/a.json"], &rules);
        assert_eq!(s.affected, ["app", "core", "lib", "util"]);
        let s = run(
            &["fixtures/core/a.json", "fixtures/all-of-core/a.json"],
            &rules,
        );
        assert_eq!(s.affected, ["app", "core", "lib", "util"]);
    }

    /// Two local packages that are no modules: `vend` inside lib's folder
    /// (lib builds it, site's tests do; it also lists a target file in
    /// core's folder, and lib one in vend's), `helper` inside core's own
    /// tests (util builds it through its feature `extra`).
    fn run_locals(changed: &[&str], compiled: Option<&CompiledIn>) -> Selection {
        let g = graph_with(&["libs/lib/vendor/vend/lib_test.rs"]);
        let id = |n: &str| g.find(n).unwrap();
        let index = PathIndex::of_graph(&g);
        let own = PathIndex::new([(id("core"), "libs/core/tests")]);
        let locals = Locals {
            index: PathIndex::new([
                (ModuleId(0), "libs/lib/vendor/vend"),
                (ModuleId(0), "libs/core/shared.rs"),
                (ModuleId(1), "libs/core/tests/helper"),
            ]),
            packages: vec![
                Local {
                    name: "vend".into(),
                    dependents: vec![(id("lib"), None, false), (id("site"), None, true)],
                },
                Local {
                    name: "helper".into(),
                    dependents: vec![(id("util"), Some("extra".into()), false)],
                },
            ],
        };
        let rules = Rules::default();
        let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
        select(
            &changed,
            &Input {
                graph: &g,
                index: &index,
                locals: Some(&locals),
                own_tests: Some(&own),
                removed_index: None,
                extra_edges: &[],
                edge_features: &BTreeMap::new(),
                dev_edges: &BTreeSet::new(),
                rules: &rules,
                graph_files: &[],
                build_changed: vec![],
                seeds: vec![],
                compiled_in: compiled,
                run_all: None,
            },
        )
    }

    #[test]
    fn a_local_package_owns_its_folder_and_marks_what_builds_it() {
        // The deepest owner is vend: lib and what depends on it, site's
        // tests; the folder's enclosing module only as one of those.
        let s = run_locals(&["libs/lib/vendor/vend/src/x.rs"], None);
        assert!(!s.run_all);
        assert_eq!(s.affected, ["app", "lib", "site"]);
        assert_eq!(
            s.reasons["lib"],
            Reason::LocalPackage {
                package: "vend".into(),
                path: "libs/lib/vendor/vend/src/x.rs".into(),
                how: None,
                feature: None,
                dev: false,
            }
        );
        assert_eq!(
            s.reasons["site"].to_string(),
            "depends on vend, a local package that is not a workspace member, \
             whose file libs/lib/vendor/vend/src/x.rs changed (a dev-dependency: its tests)"
        );
        let chain = explain(&s, "app").unwrap();
        let names: Vec<&str> = chain.iter().map(|(m, _)| *m).collect();
        assert_eq!(names, ["lib", "app"]);

        // Inside core's own tests folder: helper's, not core's tests.
        let s = run_locals(&["libs/core/tests/helper/src/lib.rs"], None);
        assert_eq!(s.affected, ["util"]);
        assert_eq!(
            s.reasons["util"].to_string(),
            "depends on helper, a local package that is not a workspace member, \
             whose file libs/core/tests/helper/src/lib.rs changed (optional, feature `extra`)"
        );
        let s = run_locals(&["libs/core/tests/it.rs"], None);
        assert_eq!(s.affected, ["core"]);
        assert!(matches!(s.reasons["core"], Reason::OwnTests { .. }));

        // A target file listed inside another package's folder belongs to
        // both: lib's test in vend's folder, vend's file in core's.
        let s = run_locals(&["libs/lib/vendor/vend/lib_test.rs"], None);
        assert_eq!(s.affected, ["app", "lib", "site"]);
        assert!(matches!(s.reasons["lib"], Reason::File { .. }));
        let s = run_locals(&["libs/core/shared.rs"], None);
        assert_eq!(s.affected, ["app", "core", "lib", "site", "util"]);
        assert!(matches!(s.reasons["core"], Reason::File { .. }));
        assert!(matches!(s.reasons["site"], Reason::LocalPackage { .. }));

        // What vend compiles in marks what builds vend, even a file no
        // module owns.
        let mut compiled = CompiledIn::default();
        compiled.add(
            "vend",
            crate::compiled::Found {
                target: "assets/logo.svg".into(),
                how: "include_bytes! at libs/lib/vendor/vend/src/lib.rs:1".into(),
            },
        );
        let s = run_locals(&["assets/logo.svg"], Some(&compiled));
        assert!(!s.run_all, "{:?}", s.run_all_reason);
        assert_eq!(s.affected, ["app", "lib", "site"]);
        assert_eq!(
            s.reasons["lib"].to_string(),
            "depends on vend, a local package that is not a workspace member, which compiles in \
             assets/logo.svg (include_bytes! at libs/lib/vendor/vend/src/lib.rs:1)"
        );
        // Outside every package and compiled in by none: everything.
        assert!(run_locals(&["assets/other.svg"], Some(&compiled)).run_all);
    }

    #[test]
    fn a_dev_dependency_marks_its_dependents_tests_and_stops_there() {
        let g = graph();
        let index = PathIndex::of_graph(&g);
        let id = |n: &str| g.find(n).unwrap();
        // `lib`'s edge to `core` is a dev-dependency: its tests build core.
        let dev = BTreeSet::from([(id("lib"), id("core"))]);
        let rules = Rules::default();
        let run = |changed: &[&str]| {
            let changed: Vec<String> = changed.iter().map(|s| (*s).to_owned()).collect();
            select(
                &changed,
                &Input {
                    graph: &g,
                    index: &index,
                    locals: None,
                    own_tests: None,
                    removed_index: None,
                    extra_edges: &[],
                    edge_features: &BTreeMap::new(),
                    dev_edges: &dev,
                    rules: &rules,
                    graph_files: &[],
                    build_changed: vec![],
                    seeds: vec![],
                    compiled_in: None,
                    run_all: None,
                },
            )
        };
        let s = run(&["libs/core/a.rs"]);
        assert_eq!(s.affected, ["core", "lib", "util"]);
        assert_eq!(
            s.reasons["lib"].to_string(),
            "depends on core (a dev-dependency: its tests)"
        );
        // `lib` reached through its normal edge to `proto` too: `app` is.
        for changed in [
            ["libs/core/a.rs", "proto/x.proto"],
            ["proto/x.proto", "libs/core/a.rs"],
        ] {
            let s = run(&changed);
            assert_eq!(
                s.affected,
                ["app", "core", "lib", "proto", "util"],
                "{changed:?}"
            );
        }
        // And a change to lib's own files reaches app whatever else.
        assert_eq!(run(&["libs/lib/x.rs"]).affected, ["app", "lib"]);
    }
}
