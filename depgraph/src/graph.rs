//! The module graph: modules with measured durations, and "depends on" edges.
//!
//! A [`ModuleGraph`] is built once through a [`GraphBuilder`], which validates
//! it (unknown dependencies, duplicates, bad durations, cycles) and computes a
//! topological order and compact adjacency arrays that every algorithm reuses.
//! The graph is stored in a `petgraph` [`DiGraph`] (edges point from a
//! dependency to its dependent, i.e. in build order), available through
//! [`ModuleGraph::petgraph`] for callers that want petgraph's own algorithms.

use std::fmt;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use petgraph::graph::{DiGraph, NodeIndex};

/// Index of a module in a [`ModuleGraph`]: dense, `0..graph.len()`, in the
/// order the modules were added to the builder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModuleId(pub u32);

impl ModuleId {
    /// The id as a `usize`, for indexing per-module vectors.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a dependent waits for a dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepKind {
    /// The dependent starts when the dependency has finished.
    Full,
    /// Pipelined: the dependent starts as soon as the dependency's metadata is
    /// ready ([`Module::metadata_s`] after its start), as Cargo does with
    /// `.rmeta` files.
    Metadata,
}

/// One module (crate, target, build edge, task) with its measured duration.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// Unique name.
    pub name: String,
    /// Build time in seconds, finite and `>= 0`.
    pub duration_s: f64,
    /// Source directory of the module, relative to the repository root.
    pub path: Option<String>,
    /// More source directories or files of the module, relative to the
    /// repository root (a module that spans several folders).
    pub paths: Vec<String>,
    /// The module's tests, by name, when the graph says which tests a module
    /// has (test-impact selects them).
    pub tests: Vec<String>,
    /// Seconds after its start at which the module's metadata is ready, for
    /// dependents on a [`DepKind::Metadata`] edge. `None` means the whole
    /// duration. Always `<= duration_s`.
    pub metadata_s: Option<f64>,
    /// Start time observed in a real build, in seconds from the build start.
    pub observed_start_s: Option<f64>,
}

impl Module {
    /// A module with a name and a duration and nothing else.
    pub fn new(name: impl Into<String>, duration_s: f64) -> Self {
        Module {
            name: name.into(),
            duration_s,
            path: None,
            paths: Vec::new(),
            tests: Vec::new(),
            metadata_s: None,
            observed_start_s: None,
        }
    }

    /// Every source path of the module: `path`, then `paths`.
    pub fn all_paths(&self) -> impl Iterator<Item = &str> {
        self.path
            .as_deref()
            .into_iter()
            .chain(self.paths.iter().map(String::as_str))
    }

    /// Time after this module's start at which a dependent over an edge of
    /// `kind` may start.
    #[inline]
    pub fn ready_after(&self, kind: DepKind) -> f64 {
        match kind {
            DepKind::Full => self.duration_s,
            DepKind::Metadata => self.metadata_s.unwrap_or(self.duration_s),
        }
    }
}

/// A dependency by name, as inputs state them before the graph is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dep {
    /// The name of the module depended on; building the graph fails with
    /// [`GraphError::UnknownDependency`] when no module has it.
    pub name: String,
    /// Whether the dependent waits for the whole module or its metadata.
    pub kind: DepKind,
}

impl Dep {
    /// A [`DepKind::Full`] dependency on the module named `name`.
    pub fn full(name: impl Into<String>) -> Self {
        Dep {
            name: name.into(),
            kind: DepKind::Full,
        }
    }

    /// A [`DepKind::Metadata`] (pipelined) dependency on the module named
    /// `name`.
    pub fn metadata(name: impl Into<String>) -> Self {
        Dep {
            name: name.into(),
            kind: DepKind::Metadata,
        }
    }
}

/// Why a graph could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    /// A module names a dependency that is the name of no module.
    #[error("module `{module}` depends on `{dependency}`, which is not a module of the graph")]
    UnknownDependency {
        /// The name of the module whose dependencies name it.
        module: String,
        /// The name that matched no module.
        dependency: String,
    },
    /// Two modules have this name.
    #[error("module `{0}` is defined more than once")]
    DuplicateModule(String),
    /// A duration is negative, NaN or infinite; also a
    /// [`Change::Scale`](crate::Change::Scale) factor that is, or that
    /// makes the duration infinite.
    #[error("module `{module}` has duration {value}; expected a finite number of seconds >= 0")]
    InvalidDuration {
        /// The module, by name.
        module: String,
        /// The duration in seconds, or the factor of a scale.
        value: f64,
    },
    /// A metadata time is negative, NaN, infinite or longer than the
    /// module's duration.
    #[error(
        "module `{module}` has metadata time {value}; expected a finite number of seconds between 0 and its duration"
    )]
    InvalidMetadataTime {
        /// The module, by name.
        module: String,
        /// The metadata time in seconds.
        value: f64,
    },
    /// An observed start is NaN or infinite (a negative one is allowed).
    #[error("module `{module}` has observed start {value}; expected a finite number of seconds")]
    InvalidObservedStart {
        /// The module, by name.
        module: String,
        /// The observed start in seconds.
        value: f64,
    },
    /// The names of the modules of one cycle, each depending on the next and
    /// the last on the first (a module that depends on itself is a cycle of
    /// one).
    #[error("dependency cycle: {}", format_cycle(.0))]
    Cycle(Vec<String>),
    /// `u32::MAX` or more modules or edges, more than a [`ModuleId`] can
    /// number; also a [`Change::Split`](crate::Change::Split) whose parts
    /// multiply past `u32::MAX`.
    #[error("the graph has more than {} modules or edges", u32::MAX)]
    TooLarge,
}

fn format_cycle(cycle: &[String]) -> String {
    let mut s = String::new();
    for name in cycle {
        s.push('`');
        s.push_str(name);
        s.push_str("` depends on ");
    }
    if let Some(first) = cycle.first() {
        s.push('`');
        s.push_str(first);
        s.push('`');
    }
    s
}

/// Collects modules and their dependencies by name, then builds a validated
/// [`ModuleGraph`].
///
/// ```
/// use depgraph::{Dep, GraphBuilder, Module};
/// let mut b = GraphBuilder::new();
/// b.add(Module::new("core", 10.0), vec![]);
/// b.add(Module::new("app", 5.0), vec![Dep::full("core")]);
/// let g = b.build().unwrap();
/// assert_eq!(g.len(), 2);
/// assert_eq!(g.edge_count(), 1);
/// ```
#[derive(Default)]
pub struct GraphBuilder {
    modules: Vec<Module>,
    /// Dependency names of every module, back to back: one allocation for
    /// millions of edges instead of one `String` each.
    dep_names: String,
    /// Per dependency: end of its name in `dep_names` and its kind.
    dep_ends: Vec<(usize, DepKind)>,
    /// Per module: end of its dependencies in `dep_ends`.
    module_dep_ends: Vec<usize>,
}

impl GraphBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty builder with room for `modules` modules.
    pub fn with_capacity(modules: usize) -> Self {
        GraphBuilder {
            modules: Vec::with_capacity(modules),
            dep_names: String::new(),
            dep_ends: Vec::new(),
            module_dep_ends: Vec::with_capacity(modules),
        }
    }

    /// Adds a module and the names of the modules it depends on. Nothing is
    /// checked until [`GraphBuilder::build`].
    pub fn add(&mut self, module: Module, deps: Vec<Dep>) {
        self.add_by_name(module, deps.iter().map(|d| (d.name.as_str(), d.kind)));
    }

    /// Like [`GraphBuilder::add`], with borrowed names: readers of large
    /// files pass names straight from the input, allocating nothing per edge.
    pub fn add_by_name<'a>(
        &mut self,
        module: Module,
        deps: impl IntoIterator<Item = (&'a str, DepKind)>,
    ) {
        for (name, kind) in deps {
            self.dep_names.push_str(name);
            self.dep_ends.push((self.dep_names.len(), kind));
        }
        self.modules.push(module);
        self.module_dep_ends.push(self.dep_ends.len());
    }

    /// Number of modules added so far.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether no module was added yet.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// Whether a module of this name was added.
    pub fn contains(&self, name: &str) -> bool {
        self.modules.iter().any(|m| m.name == name)
    }

    /// Validates the modules and edges and builds the graph. A dependency
    /// listed twice becomes one edge (a full edge wins over a metadata one).
    pub fn build(self) -> Result<ModuleGraph, GraphError> {
        let GraphBuilder {
            modules,
            dep_names,
            dep_ends,
            module_dep_ends,
        } = self;
        let deps_of = |i: usize| {
            let from = if i == 0 { 0 } else { module_dep_ends[i - 1] };
            let to = module_dep_ends[i];
            let (names, ends) = (&dep_names, &dep_ends);
            (from..to).map(move |k| {
                let start = if k == 0 { 0 } else { ends[k - 1].0 };
                let (end, kind) = ends[k];
                (&names[start..end], kind)
            })
        };
        ModuleGraph::from_modules(modules, deps_of)
    }
}

/// `(dependency, dependent, kind)`.
type Edge = (u32, u32, DepKind);

/// Modules resolved per parallel task: large enough that scheduling costs
/// nothing, small enough that two cores share the work evenly.
const RESOLVE_CHUNK: usize = 8 * 1024;

/// Resolves dependency names to `(dependency, dependent, kind)` edges, in
/// module order, merging repeated edges (a full edge wins over a metadata
/// one). Runs in parallel: 5M lookups into a 1M-name table are bound by
/// memory latency, which two cores hide twice as well as one.
fn resolve_edges<'a, F, I>(
    modules: &[Module],
    names: &NameIndex,
    deps_of: &F,
) -> Result<Vec<Edge>, GraphError>
where
    F: Fn(usize) -> I + Sync,
    I: Iterator<Item = (&'a str, DepKind)>,
{
    use rayon::prelude::*;
    // Names side by side: comparing against them touches one small array
    // rather than a whole `Module` per lookup.
    let module_names: Vec<&str> = modules.iter().map(|m| m.name.as_str()).collect();
    let n = modules.len();
    let chunks: Vec<Result<Vec<Edge>, GraphError>> = (0..n.div_ceil(RESOLVE_CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut edges = Vec::new();
            let mut local: Vec<(u32, DepKind)> = Vec::new();
            let first = c * RESOLVE_CHUNK;
            let chunk = &modules[first..n.min(first + RESOLVE_CHUNK)];
            for (i, module) in (first..).zip(chunk) {
                local.clear();
                for (name, kind) in deps_of(i) {
                    let Some(dep) = names.get_by(name, |j| module_names[j as usize]) else {
                        return Err(GraphError::UnknownDependency {
                            module: module.name.clone(),
                            dependency: name.to_owned(),
                        });
                    };
                    local.push((dep.0, kind));
                }
                merge_repeated(&mut local);
                edges.extend(local.iter().map(|&(d, k)| (d, i as u32, k)));
            }
            Ok(edges)
        })
        .collect();
    let mut edges = Vec::with_capacity(chunks.iter().map(|c| c.as_ref().map_or(0, Vec::len)).sum());
    for c in chunks {
        edges.extend(c?);
    }
    Ok(edges)
}

/// Merges repeated dependencies of one module, keeping the first place of
/// each (so edges keep the input's order) and the stronger kind.
fn merge_repeated(deps: &mut Vec<(u32, DepKind)>) {
    if deps.len() < 2 {
        return;
    }
    if deps.len() <= 32 {
        let mut kept = 0;
        for k in 0..deps.len() {
            let (d, kind) = deps[k];
            match deps[..kept].iter().position(|&(e, _)| e == d) {
                Some(at) => {
                    if kind == DepKind::Full {
                        deps[at].1 = DepKind::Full;
                    }
                }
                None => {
                    deps[kept] = (d, kind);
                    kept += 1;
                }
            }
        }
        deps.truncate(kept);
    } else {
        // Many dependencies: sort by id, full edges first, keep one each.
        deps.sort_unstable_by_key(|&(d, kind)| (d, kind != DepKind::Full));
        deps.dedup_by_key(|&mut (d, _)| d);
    }
}

/// Module name to id. The table holds only ids; names are read from the
/// modules themselves, so building it clones no string. foldhash's fixed
/// seed keeps it deterministic and several times faster than SipHash on
/// millions of short names.
#[derive(Clone)]
struct NameIndex {
    table: HashTable<u32>,
    hasher: foldhash::fast::FixedState,
}

impl fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NameIndex({} names)", self.table.len())
    }
}

impl NameIndex {
    fn new(modules: &[Module]) -> Result<NameIndex, GraphError> {
        use rayon::prelude::*;
        let hasher = foldhash::fast::FixedState::default();
        let hashes: Vec<u64> = modules
            .par_iter()
            .map(|m| hasher.hash_one(m.name.as_str()))
            .collect();
        let mut table = HashTable::with_capacity(modules.len());
        for (i, m) in modules.iter().enumerate() {
            match table.entry(
                hashes[i],
                |&j: &u32| modules[j as usize].name == m.name,
                |&j: &u32| hashes[j as usize],
            ) {
                hashbrown::hash_table::Entry::Occupied(_) => {
                    return Err(GraphError::DuplicateModule(m.name.clone()));
                }
                hashbrown::hash_table::Entry::Vacant(v) => {
                    v.insert(i as u32);
                }
            }
        }
        Ok(NameIndex { table, hasher })
    }

    fn get_by<'a>(&self, name: &str, name_of: impl Fn(u32) -> &'a str) -> Option<ModuleId> {
        let h = self.hasher.hash_one(name);
        self.table
            .find(h, |&j| name_of(j) == name)
            .map(|&j| ModuleId(j))
    }
}

/// An edge as seen from one end: the module at the other end and the kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Adjacent {
    /// The module at the other end: the dependency in
    /// [`ModuleGraph::deps`], the dependent in [`ModuleGraph::dependents`].
    pub module: ModuleId,
    /// How the dependent waits for the dependency.
    pub kind: DepKind,
}

/// Compressed adjacency, both directions: cache-friendly passes over millions
/// of edges, which petgraph's linked adjacency lists are not.
#[derive(Clone, Debug)]
struct Csr {
    dep_off: Vec<u32>,
    deps: Vec<Adjacent>,
    rdep_off: Vec<u32>,
    rdeps: Vec<Adjacent>,
}

impl Csr {
    /// `edges` are `(dependency, dependent, kind)`.
    fn new(n: usize, edges: &[(u32, u32, DepKind)]) -> Csr {
        let mut dep_off = vec![0u32; n + 1];
        let mut rdep_off = vec![0u32; n + 1];
        for &(from, to, _) in edges {
            dep_off[to as usize + 1] += 1;
            rdep_off[from as usize + 1] += 1;
        }
        for i in 0..n {
            dep_off[i + 1] += dep_off[i];
            rdep_off[i + 1] += rdep_off[i];
        }
        let filler = Adjacent {
            module: ModuleId(0),
            kind: DepKind::Full,
        };
        let mut deps = vec![filler; edges.len()];
        let mut rdeps = vec![filler; edges.len()];
        let mut dep_fill = dep_off.clone();
        let mut rdep_fill = rdep_off.clone();
        for &(from, to, kind) in edges {
            let at = &mut dep_fill[to as usize];
            deps[*at as usize] = Adjacent {
                module: ModuleId(from),
                kind,
            };
            *at += 1;
            let at = &mut rdep_fill[from as usize];
            rdeps[*at as usize] = Adjacent {
                module: ModuleId(to),
                kind,
            };
            *at += 1;
        }
        Csr {
            dep_off,
            deps,
            rdep_off,
            rdeps,
        }
    }

    fn n(&self) -> usize {
        self.dep_off.len() - 1
    }

    /// Kahn's algorithm, dependencies first; ties broken by module index so
    /// the order is deterministic. On a cycle, returns the modules of one
    /// cycle, each depending on the next and the last on the first.
    fn topological_order(&self) -> Result<Vec<ModuleId>, Vec<u32>> {
        let n = self.n();
        let mut indeg: Vec<u32> = (0..n)
            .map(|i| self.dep_off[i + 1] - self.dep_off[i])
            .collect();
        let mut order: Vec<ModuleId> = (0..n as u32)
            .filter(|&i| indeg[i as usize] == 0)
            .map(ModuleId)
            .collect();
        order.reserve(n - order.len());
        let mut head = 0;
        while head < order.len() {
            let v = order[head].index();
            head += 1;
            for a in &self.rdeps[self.rdep_off[v] as usize..self.rdep_off[v + 1] as usize] {
                let d = &mut indeg[a.module.index()];
                *d -= 1;
                if *d == 0 {
                    order.push(a.module);
                }
            }
        }
        if order.len() == n {
            return Ok(order);
        }
        // Every module left has a dependency that is also left: walking
        // dependencies from any of them must come back to a module already
        // seen, which closes a cycle.
        let start = (0..n).find(|&i| indeg[i] > 0).expect("a module is left");
        let mut pos_in_walk = vec![u32::MAX; n];
        let mut walk: Vec<u32> = Vec::new();
        let mut v = start;
        loop {
            if pos_in_walk[v] != u32::MAX {
                return Err(walk[pos_in_walk[v] as usize..].to_vec());
            }
            pos_in_walk[v] = walk.len() as u32;
            walk.push(v as u32);
            v = self.deps[self.dep_off[v] as usize..self.dep_off[v + 1] as usize]
                .iter()
                .find(|a| indeg[a.module.index()] > 0)
                .expect("a module left in a cycle has a dependency left")
                .module
                .index();
        }
    }
}

/// A validated, acyclic module graph. See the module docs.
#[derive(Clone, Debug)]
pub struct ModuleGraph {
    graph: DiGraph<Module, DepKind, u32>,
    names: NameIndex,
    topo: Vec<ModuleId>,
    csr: Csr,
}

impl ModuleGraph {
    /// Validates and builds a graph from its modules and, for the i-th
    /// module, the names of its dependencies. [`GraphBuilder::build`] calls
    /// it; readers of large inputs call it directly with names borrowed from
    /// the input, so no edge costs an allocation.
    pub fn from_modules<'a, F, I>(
        modules: Vec<Module>,
        deps_of: F,
    ) -> Result<ModuleGraph, GraphError>
    where
        F: Fn(usize) -> I + Sync,
        I: Iterator<Item = (&'a str, DepKind)>,
    {
        let n = modules.len();
        if n >= u32::MAX as usize {
            return Err(GraphError::TooLarge);
        }
        let started = std::time::Instant::now();
        let lap = |what: &str| {
            tracing::debug!(
                elapsed_ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0,
                modules = n,
                "graph: {what}"
            );
        };
        let names = NameIndex::new(&modules)?;
        lap("name index");
        for m in &modules {
            if !(m.duration_s.is_finite() && m.duration_s >= 0.0) {
                return Err(GraphError::InvalidDuration {
                    module: m.name.clone(),
                    value: m.duration_s,
                });
            }
            if let Some(md) = m.metadata_s
                && !(md.is_finite() && md >= 0.0 && md <= m.duration_s)
            {
                return Err(GraphError::InvalidMetadataTime {
                    module: m.name.clone(),
                    value: md,
                });
            }
            if let Some(s) = m.observed_start_s
                && !s.is_finite()
            {
                return Err(GraphError::InvalidObservedStart {
                    module: m.name.clone(),
                    value: s,
                });
            }
        }
        let edge_list = resolve_edges(&modules, &names, &deps_of)?;
        lap("dependencies resolved");
        if edge_list.len() >= u32::MAX as usize {
            return Err(GraphError::TooLarge);
        }

        // The compact arrays (and the order) and petgraph's copy are
        // independent: build them side by side.
        let ((csr, topo), graph) = rayon::join(
            || {
                let csr = Csr::new(n, &edge_list);
                let topo = csr.topological_order();
                (csr, topo)
            },
            || {
                let mut graph: DiGraph<Module, DepKind, u32> =
                    DiGraph::with_capacity(n, edge_list.len());
                for m in modules {
                    graph.add_node(m);
                }
                for &(from, to, kind) in &edge_list {
                    graph.add_edge(
                        NodeIndex::new(from as usize),
                        NodeIndex::new(to as usize),
                        kind,
                    );
                }
                graph
            },
        );
        lap("adjacency, topological order, petgraph");
        let topo = topo.map_err(|cycle| {
            GraphError::Cycle(
                cycle
                    .into_iter()
                    .map(|id| graph[NodeIndex::new(id as usize)].name.clone())
                    .collect(),
            )
        })?;
        Ok(ModuleGraph {
            graph,
            names,
            topo,
            csr,
        })
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the graph has no modules.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Number of distinct dependency edges.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// All module ids, `0..len()`.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = ModuleId> + use<> {
        (0..self.graph.node_count() as u32).map(ModuleId)
    }

    /// The module with this id. Panics when `id` is not `< len()`.
    pub fn module(&self, id: ModuleId) -> &Module {
        &self.graph[NodeIndex::new(id.index())]
    }

    /// The module's unique name. Panics as [`ModuleGraph::module`] does.
    pub fn name(&self, id: ModuleId) -> &str {
        &self.module(id).name
    }

    /// The module's build time in seconds ([`Module::duration_s`]). Panics
    /// as [`ModuleGraph::module`] does.
    pub fn duration(&self, id: ModuleId) -> f64 {
        self.module(id).duration_s
    }

    /// All modules, in id order.
    pub fn modules(&self) -> impl Iterator<Item = &Module> {
        self.graph.node_weights()
    }

    /// The module of this name, if any.
    pub fn find(&self, name: &str) -> Option<ModuleId> {
        self.names.get_by(name, |id| {
            self.graph[NodeIndex::new(id as usize)].name.as_str()
        })
    }

    /// What `id` depends on.
    #[inline]
    pub fn deps(&self, id: ModuleId) -> &[Adjacent] {
        let c = &self.csr;
        &c.deps[c.dep_off[id.index()] as usize..c.dep_off[id.index() + 1] as usize]
    }

    /// What depends on `id`.
    #[inline]
    pub fn dependents(&self, id: ModuleId) -> &[Adjacent] {
        let c = &self.csr;
        &c.rdeps[c.rdep_off[id.index()] as usize..c.rdep_off[id.index() + 1] as usize]
    }

    /// Modules in a topological order: every module after all its
    /// dependencies. Deterministic for a given input.
    pub fn topological_order(&self) -> &[ModuleId] {
        &self.topo
    }

    /// Sum of all durations.
    pub fn total_work(&self) -> f64 {
        self.modules().map(|m| m.duration_s).sum()
    }

    /// Sets a module's duration in place, scaling its metadata time with it,
    /// so a what-if on durations needs no rebuild: clone the graph, set,
    /// recompute. Edges and order are unchanged.
    pub fn set_duration(&mut self, id: ModuleId, seconds: f64) -> Result<(), GraphError> {
        let m = &mut self.graph[NodeIndex::new(id.index())];
        if !(seconds.is_finite() && seconds >= 0.0) {
            return Err(GraphError::InvalidDuration {
                module: m.name.clone(),
                value: seconds,
            });
        }
        if let Some(md) = m.metadata_s {
            m.metadata_s = Some(if m.duration_s > 0.0 {
                (md * seconds / m.duration_s).min(seconds)
            } else {
                md.min(seconds)
            });
        }
        m.duration_s = seconds;
        Ok(())
    }

    /// The roots plus everything they transitively depend on, sorted by id:
    /// what must be built to build the roots.
    pub fn dependency_closure(&self, roots: &[ModuleId]) -> Vec<ModuleId> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<ModuleId> = Vec::with_capacity(roots.len());
        for &r in roots {
            if !std::mem::replace(&mut seen[r.index()], true) {
                stack.push(r);
            }
        }
        while let Some(v) = stack.pop() {
            for a in self.deps(v) {
                if !std::mem::replace(&mut seen[a.module.index()], true) {
                    stack.push(a.module);
                }
            }
        }
        (0..self.len() as u32)
            .filter(|&i| seen[i as usize])
            .map(ModuleId)
            .collect()
    }

    /// The graph induced by `keep`: those modules and the edges between them.
    /// Ids are renumbered in the order of `keep`.
    pub fn subgraph(&self, keep: &[ModuleId]) -> Result<ModuleGraph, GraphError> {
        let mut kept = vec![false; self.len()];
        for &k in keep {
            kept[k.index()] = true;
        }
        let mut b = GraphBuilder::with_capacity(keep.len());
        for &id in keep {
            let deps = self
                .deps(id)
                .iter()
                .filter(|a| kept[a.module.index()])
                .map(|a| Dep {
                    name: self.name(a.module).to_owned(),
                    kind: a.kind,
                })
                .collect();
            b.add(self.module(id).clone(), deps);
        }
        b.build()
    }

    /// The underlying petgraph graph. Node indices equal [`ModuleId`]s; edges
    /// point from a dependency to its dependent.
    pub fn petgraph(&self) -> &DiGraph<Module, DepKind, u32> {
        &self.graph
    }

    /// Every module with its dependencies by name, in id order: what a
    /// [`GraphBuilder`] needs to build this graph again, possibly changed.
    pub fn to_builder(&self) -> GraphBuilder {
        let mut b = GraphBuilder::with_capacity(self.len());
        for id in self.ids() {
            let deps = self
                .deps(id)
                .iter()
                .map(|a| Dep {
                    name: self.name(a.module).to_owned(),
                    kind: a.kind,
                })
                .collect();
            b.add(self.module(id).clone(), deps);
        }
        b
    }
}

impl fmt::Display for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(spec: &[(&str, f64, &[&str])]) -> Result<ModuleGraph, GraphError> {
        let mut b = GraphBuilder::new();
        for (name, d, deps) in spec {
            b.add(
                Module::new(*name, *d),
                deps.iter().map(|d| Dep::full(*d)).collect(),
            );
        }
        b.build()
    }

    #[test]
    fn builds_and_orders_dependencies_first() {
        let g = build(&[
            ("app", 1.0, &["lib", "core"]),
            ("lib", 2.0, &["core"]),
            ("core", 3.0, &[]),
        ])
        .unwrap();
        assert_eq!(g.len(), 3);
        assert_eq!(g.edge_count(), 3);
        let pos = |name| {
            g.topological_order()
                .iter()
                .position(|&id| g.name(id) == name)
                .unwrap()
        };
        assert!(pos("core") < pos("lib") && pos("lib") < pos("app"));
        let app = g.find("app").unwrap();
        let mut deps: Vec<_> = g.deps(app).iter().map(|a| g.name(a.module)).collect();
        deps.sort();
        assert_eq!(deps, ["core", "lib"]);
        assert_eq!(g.dependents(g.find("core").unwrap()).len(), 2);
        assert_eq!(g.total_work(), 6.0);
    }

    #[test]
    fn unknown_dependency_names_both() {
        let e = build(&[("app", 1.0, &["nope"])]).unwrap_err();
        assert_eq!(
            e,
            GraphError::UnknownDependency {
                module: "app".into(),
                dependency: "nope".into()
            }
        );
        assert!(e.to_string().contains("`app`") && e.to_string().contains("`nope`"));
    }

    #[test]
    fn duplicate_module() {
        let e = build(&[("a", 1.0, &[]), ("a", 2.0, &[])]).unwrap_err();
        assert_eq!(e, GraphError::DuplicateModule("a".into()));
    }

    #[test]
    fn bad_durations() {
        for d in [-1.0, f64::NAN, f64::INFINITY] {
            let e = build(&[("a", d, &[])]).unwrap_err();
            assert!(matches!(e, GraphError::InvalidDuration { .. }), "{e}");
        }
    }

    #[test]
    fn cycle_lists_its_modules_in_order() {
        let e = build(&[
            ("ok", 1.0, &[]),
            ("a", 1.0, &["b", "ok"]),
            ("b", 1.0, &["c"]),
            ("c", 1.0, &["a"]),
            ("d", 1.0, &["a"]),
        ])
        .unwrap_err();
        let GraphError::Cycle(c) = &e else {
            panic!("{e}")
        };
        assert_eq!(c.len(), 3);
        // Each depends on the next, the last on the first.
        let i = c.iter().position(|n| n == "a").unwrap();
        let rot: Vec<_> = c[i..].iter().chain(&c[..i]).map(String::as_str).collect();
        assert_eq!(rot, ["a", "b", "c"]);
        assert_eq!(
            e.to_string(),
            format!(
                "dependency cycle: `{}` depends on `{}` depends on `{}` depends on `{}`",
                c[0], c[1], c[2], c[0]
            )
        );
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let e = build(&[("a", 1.0, &["a"])]).unwrap_err();
        assert_eq!(e, GraphError::Cycle(vec!["a".into()]));
    }

    #[test]
    fn duplicate_edges_merge_full_wins() {
        let mut b = GraphBuilder::new();
        b.add(Module::new("a", 1.0), vec![]);
        b.add(
            Module::new("b", 1.0),
            vec![Dep::metadata("a"), Dep::full("a"), Dep::metadata("a")],
        );
        let g = b.build().unwrap();
        assert_eq!(g.edge_count(), 1);
        assert_eq!(g.deps(ModuleId(1))[0].kind, DepKind::Full);
    }

    #[test]
    fn metadata_time_must_fit_in_duration() {
        let mut b = GraphBuilder::new();
        let mut m = Module::new("a", 1.0);
        m.metadata_s = Some(2.0);
        b.add(m, vec![]);
        assert!(matches!(
            b.build().unwrap_err(),
            GraphError::InvalidMetadataTime { .. }
        ));
    }

    #[test]
    fn set_duration_scales_metadata_and_rejects_bad_values() {
        let mut b = GraphBuilder::new();
        let mut m = Module::new("a", 10.0);
        m.metadata_s = Some(4.0);
        b.add(m, vec![]);
        let mut g = b.build().unwrap();
        g.set_duration(ModuleId(0), 5.0).unwrap();
        assert_eq!(g.duration(ModuleId(0)), 5.0);
        assert_eq!(g.module(ModuleId(0)).metadata_s, Some(2.0));
        assert!(g.set_duration(ModuleId(0), -1.0).is_err());
        assert!(g.set_duration(ModuleId(0), f64::NAN).is_err());
        assert_eq!(g.duration(ModuleId(0)), 5.0);
    }

    #[test]
    fn dependency_closure_and_subgraph() {
        let g = build(&[
            ("core", 1.0, &[]),
            ("lib", 1.0, &["core"]),
            ("other", 1.0, &[]),
            ("app", 1.0, &["lib"]),
            ("tool", 1.0, &["app", "other"]),
        ])
        .unwrap();
        let app = g.find("app").unwrap();
        let keep = g.dependency_closure(&[app]);
        let names: Vec<_> = keep.iter().map(|&i| g.name(i)).collect();
        assert_eq!(names, ["core", "lib", "app"]);
        let sub = g.subgraph(&keep).unwrap();
        assert_eq!(sub.len(), 3);
        assert_eq!(sub.edge_count(), 2);
        assert!(sub.find("tool").is_none());
    }

    #[test]
    fn roundtrip_through_builder() {
        let g = build(&[("a", 1.0, &[]), ("b", 2.0, &["a"])]).unwrap();
        let g2 = g.to_builder().build().unwrap();
        assert_eq!(g2.len(), 2);
        assert_eq!(g2.deps(ModuleId(1))[0].module, ModuleId(0));
    }
}
