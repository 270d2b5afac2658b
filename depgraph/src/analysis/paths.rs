//! Critical paths (of the whole graph, or ending at one module) and the K
//! longest maximal paths.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::graph::{DepKind, ModuleGraph, ModuleId};

use super::cpm::Times;
use super::{Cpm, CriticalPath, PathStep};

impl ModuleGraph {
    /// The critical path: the longest chain of the whole graph, which bounds
    /// the build time with unlimited workers. It starts at a module without
    /// dependencies and ends at a module where the chain is maximal (see
    /// [`ModuleGraph::longest_paths`]). Ties are broken towards the lowest
    /// [`ModuleId`] (for the last module, then for each dependency walking
    /// back). Empty graph: length 0 and no steps.
    pub fn critical_path(&self) -> CriticalPath {
        self.critical_path_with(&self.cpm())
    }

    /// [`ModuleGraph::critical_path`] reusing an already computed [`Cpm`] of
    /// this graph, so callers that also need slack pay for one CPM only.
    ///
    /// # Panics
    /// If `cpm` was computed for a graph with another number of modules.
    pub fn critical_path_with(&self, cpm: &Cpm) -> CriticalPath {
        let t = self.times();
        let es = &cpm.earliest_start;
        assert_eq!(es.len(), self.len(), "Cpm of another graph");
        if self.is_empty() {
            return CriticalPath {
                length_s: 0.0,
                steps: Vec::new(),
            };
        }
        let length = super::cpm::length_of(es, &t.dur);
        // A module that ends last and that no dependent waits for in full
        // exists: such a dependent would end last too, later in topological
        // order.
        let ends_last = |v: &ModuleId| es[v.index()] + t.dur[v.index()] == length;
        let end = self
            .ids()
            .find(|v| ends_last(v) && self.can_end(&t, *v))
            .or_else(|| self.ids().find(ends_last))
            .expect("some module ends last");
        self.walk_back(&t, es, end)
    }

    /// Whether a chain may end at `v`: no dependent waits for `v`'s whole
    /// duration (otherwise continuing through that dependent is always at
    /// least as long). True for modules without dependents.
    fn can_end(&self, t: &Times, v: ModuleId) -> bool {
        let d = t.dur[v.index()];
        self.dependents(v)
            .iter()
            .all(|a| t.ready_after(v.index(), a.kind) < d)
    }

    /// The longest chain that ends at `target` (the chain that decides when
    /// `target` can finish); its length is ES(target) + duration(target).
    ///
    /// # Panics
    /// If `target` is not a module of this graph.
    pub fn critical_path_to(&self, target: ModuleId) -> CriticalPath {
        let t = self.times();
        let es = self.earliest_starts(&t);
        self.walk_back(&t, &es, target)
    }

    /// Walks back from `end` through the dependency whose ready time sets
    /// each earliest start (lowest id on ties) until a module without
    /// dependencies; returns the chain dependencies first.
    fn walk_back(&self, t: &Times, es: &[f64], end: ModuleId) -> CriticalPath {
        let mut rev: Vec<PathStep> = Vec::new();
        let mut v = end;
        let mut span = t.dur[v.index()];
        let mut next_kind: Option<DepKind> = None;
        loop {
            rev.push(PathStep {
                module: v,
                start_s: es[v.index()],
                span_s: span,
                next_kind,
            });
            let mut best: Option<(ModuleId, DepKind, f64)> = None;
            for a in self.deps(v) {
                let u = a.module.index();
                let ready = es[u] + t.ready_after(u, a.kind);
                let better = match best {
                    None => true,
                    Some((bm, _, br)) => ready > br || (ready == br && a.module < bm),
                };
                if better {
                    best = Some((a.module, a.kind, ready));
                }
            }
            let Some((u, kind, _)) = best else { break };
            v = u;
            span = t.ready_after(u.index(), kind);
            next_kind = Some(kind);
        }
        rev.reverse();
        let length_s = rev.iter().map(|s| s.span_s).sum();
        CriticalPath {
            length_s,
            steps: rev,
        }
    }

    /// The `k` longest distinct maximal paths, longest first, for reports
    /// that show near-critical chains besides the critical one.
    ///
    /// A maximal path starts at a module without dependencies and ends at a
    /// module without dependents, or, because of pipelining, at a module
    /// whose dependents all wait only for its metadata (metadata time
    /// shorter than its duration): there the module's own end can outlast
    /// every continuation (`a(10, meta 1) ~> b(2)` has the chains `a` = 10
    /// and `a b` = 3). With only full edges these are exactly the paths from
    /// a module without dependencies to one without dependents.
    ///
    /// Best-first search over partial paths with priority = prefix length +
    /// tail of the last module; the tail is exact, so complete paths come out
    /// in order and the work is about `k × depth × outdegree`, not
    /// exponential. Ties prefer complete paths, then longer partial paths,
    /// then lower ids. Each step's `start_s` is its start along this chain
    /// alone (prefix length), which equals the earliest start on the
    /// critical path.
    pub fn longest_paths(&self, k: usize) -> Vec<CriticalPath> {
        let mut out = Vec::new();
        if k == 0 || self.is_empty() {
            return out;
        }
        let t = self.times();
        let tail = self.tails(&t);
        let mut nodes: Vec<Partial> = Vec::new();
        let mut heap: BinaryHeap<Entry> = BinaryHeap::new();
        for v in self.ids() {
            if self.deps(v).is_empty() {
                heap.push(Entry {
                    priority: tail[v.index()],
                    done: false,
                    depth: 0,
                    module: v.0,
                    node: nodes.len() as u32,
                });
                nodes.push(Partial {
                    parent: u32::MAX,
                    module: v,
                    kind: DepKind::Full,
                    start: 0.0,
                });
            }
        }
        while let Some(e) = heap.pop() {
            let p = nodes[e.node as usize];
            let v = p.module;
            let dependents = self.dependents(v);
            if e.done || dependents.is_empty() {
                out.push(self.rebuild(&t, &nodes, e.node));
                if out.len() == k {
                    break;
                }
                continue;
            }
            if self.can_end(&t, v) {
                // The chain stopping here is a candidate of its own.
                heap.push(Entry {
                    priority: p.start + t.dur[v.index()],
                    done: true,
                    ..e
                });
            }
            for a in dependents {
                let start = p.start + t.ready_after(v.index(), a.kind);
                heap.push(Entry {
                    priority: start + tail[a.module.index()],
                    done: false,
                    depth: e.depth + 1,
                    module: a.module.0,
                    node: nodes.len() as u32,
                });
                nodes.push(Partial {
                    parent: e.node,
                    module: a.module,
                    kind: a.kind,
                    start,
                });
            }
        }
        // Priorities and lengths are the same sums in a different order and
        // may differ in the last bit: keep the output sorted by length.
        out.sort_by(|a, b| b.length_s.total_cmp(&a.length_s));
        out
    }

    /// The path of a complete partial path, dependencies first.
    fn rebuild(&self, t: &Times, nodes: &[Partial], last: u32) -> CriticalPath {
        let mut chain = Vec::new();
        let mut at = last;
        while at != u32::MAX {
            chain.push(nodes[at as usize]);
            at = nodes[at as usize].parent;
        }
        chain.reverse();
        let steps: Vec<PathStep> = chain
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let next_kind = chain.get(i + 1).map(|n| n.kind);
                let span_s = match next_kind {
                    Some(kind) => t.ready_after(p.module.index(), kind),
                    None => t.dur[p.module.index()],
                };
                PathStep {
                    module: p.module,
                    start_s: p.start,
                    span_s,
                    next_kind,
                }
            })
            .collect();
        let length_s = steps.iter().map(|s| s.span_s).sum();
        CriticalPath { length_s, steps }
    }
}

/// A partial path: its last module, the edge from the previous one and its
/// start along the path.
#[derive(Clone, Copy)]
struct Partial {
    parent: u32,
    module: ModuleId,
    kind: DepKind,
    start: f64,
}

/// Heap entry for the best-first search: highest priority first, then
/// complete paths, then the deepest, then the lowest module id, then the
/// earliest created.
struct Entry {
    priority: f64,
    /// The path ends here (it is not to be extended).
    done: bool,
    depth: u32,
    module: u32,
    node: u32,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .total_cmp(&other.priority)
            .then(self.done.cmp(&other.done))
            .then(self.depth.cmp(&other.depth))
            .then(other.module.cmp(&self.module))
            .then(other.node.cmp(&self.node))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

#[cfg(test)]
mod tests {
    use super::super::cpm::test_util::*;
    use crate::graph::{DepKind, ModuleId};

    fn names(g: &crate::ModuleGraph, p: &crate::CriticalPath) -> Vec<String> {
        p.steps
            .iter()
            .map(|s| g.name(s.module).to_owned())
            .collect()
    }

    #[test]
    fn diamond_critical_path() {
        let g = diamond();
        let p = g.critical_path();
        assert_eq!(p.length_s, 7.0);
        assert_eq!(names(&g, &p), ["a", "b", "d"]);
        let starts: Vec<f64> = p.steps.iter().map(|s| s.start_s).collect();
        assert_eq!(starts, [0.0, 1.0, 6.0]);
        let spans: Vec<f64> = p.steps.iter().map(|s| s.span_s).collect();
        assert_eq!(spans, [1.0, 5.0, 1.0]);
        assert_eq!(p.steps[0].next_kind, Some(DepKind::Full));
        assert_eq!(p.steps[2].next_kind, None);
        assert_eq!(g.critical_path_with(&g.cpm()), p);
    }

    #[test]
    fn empty_graph_path() {
        let g = simple(&[]);
        let p = g.critical_path();
        assert_eq!(p.length_s, 0.0);
        assert!(p.steps.is_empty());
        assert!(g.longest_paths(3).is_empty());
    }

    #[test]
    fn ties_go_to_lowest_id() {
        // Two equal branches: b and c both 2.
        let g = simple(&[
            ("a", 1.0, &[]),
            ("c", 2.0, &["a"]),
            ("b", 2.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
        ]);
        assert_eq!(names(&g, &g.critical_path()), ["a", "c", "d"]);
        // Two equal roots.
        let g = simple(&[("x", 3.0, &[]), ("y", 3.0, &[])]);
        assert_eq!(names(&g, &g.critical_path()), ["x"]);
    }

    #[test]
    fn metadata_edge_spans() {
        // a(10, meta 4) ~> b(8): b ends at 12 > 10.
        let g = graph(&[("a", 10.0, Some(4.0), &[]), ("b", 8.0, None, &["~a"])]);
        let p = g.critical_path();
        assert_eq!(p.length_s, 12.0);
        assert_eq!(names(&g, &p), ["a", "b"]);
        assert_eq!(p.steps[0].span_s, 4.0);
        assert_eq!(p.steps[0].next_kind, Some(DepKind::Metadata));
        assert_eq!(p.steps[1].start_s, 4.0);
        // With b shorter, a alone is critical.
        let g = graph(&[("a", 10.0, Some(4.0), &[]), ("b", 5.0, None, &["~a"])]);
        let p = g.critical_path();
        assert_eq!(p.length_s, 10.0);
        assert_eq!(names(&g, &p), ["a"]);
    }

    #[test]
    fn path_to_target() {
        let g = diamond();
        let c = g.find("c").unwrap();
        let p = g.critical_path_to(c);
        assert_eq!(p.length_s, 3.0);
        assert_eq!(names(&g, &p), ["a", "c"]);
        let p = g.critical_path_to(ModuleId(0));
        assert_eq!(p.length_s, 1.0);
        assert_eq!(p.steps.len(), 1);
    }

    #[test]
    fn zero_duration_ends() {
        let g = simple(&[("z", 0.0, &[]), ("a", 2.0, &["z"])]);
        let p = g.critical_path();
        assert_eq!(p.length_s, 2.0);
        assert_eq!(names(&g, &p), ["z", "a"]);
        // A zero-duration module after the last one is part of the chain.
        let g = simple(&[("a", 2.0, &[]), ("y", 0.0, &["a"])]);
        assert_eq!(names(&g, &g.critical_path()), ["a", "y"]);
        assert_eq!(g.critical_path().length_s, 2.0);
    }

    #[test]
    fn pipelined_chains_may_end_early() {
        // a(10, meta 1) ~> b(2): chains a = 10 and a b = 3.
        let g = graph(&[("a", 10.0, Some(1.0), &[]), ("b", 2.0, None, &["~a"])]);
        assert_eq!(names(&g, &g.critical_path()), ["a"]);
        let ps = g.longest_paths(5);
        let got: Vec<(Vec<String>, f64)> = ps.iter().map(|p| (names(&g, p), p.length_s)).collect();
        assert_eq!(
            got,
            [
                (vec!["a".to_owned()], 10.0),
                (vec!["a".to_owned(), "b".to_owned()], 3.0)
            ]
        );
        // A full edge as well: a c dominates a alone.
        let g = graph(&[
            ("a", 10.0, Some(1.0), &[]),
            ("b", 2.0, None, &["~a"]),
            ("c", 1.0, None, &["a"]),
        ]);
        let lens: Vec<f64> = g.longest_paths(5).iter().map(|p| p.length_s).collect();
        assert_eq!(lens, [11.0, 3.0]);
        assert_eq!(names(&g, &g.critical_path()), ["a", "c"]);
    }

    #[test]
    fn k_longest() {
        // a -> {b(5), c(2)} -> d, plus e(4) alone: lengths 7, 4, 4.
        let g = simple(&[
            ("a", 1.0, &[]),
            ("b", 5.0, &["a"]),
            ("c", 2.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
            ("e", 4.0, &[]),
        ]);
        let ps = g.longest_paths(10);
        let lens: Vec<f64> = ps.iter().map(|p| p.length_s).collect();
        assert_eq!(lens, [7.0, 4.0, 4.0]);
        assert_eq!(names(&g, &ps[0]), ["a", "b", "d"]);
        // Tie between a-c-d and e: deeper partial paths first.
        assert_eq!(names(&g, &ps[1]), ["a", "c", "d"]);
        assert_eq!(names(&g, &ps[2]), ["e"]);
        let two = g.longest_paths(2);
        assert_eq!(two.len(), 2);
        assert_eq!(two[..], ps[..2]);
        assert!(g.longest_paths(0).is_empty());
        // Starts along each chain.
        let starts: Vec<f64> = ps[1].steps.iter().map(|s| s.start_s).collect();
        assert_eq!(starts, [0.0, 1.0, 3.0]);
    }
}
