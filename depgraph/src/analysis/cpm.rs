//! Critical path method: earliest starts, tails, latest starts and the
//! critical path length, in one forward and one backward pass over the
//! compact adjacency in topological order.

use crate::graph::{DepKind, ModuleGraph};

use super::Cpm;

/// Per-module durations and metadata times as plain vectors, so hot loops do
/// not chase the petgraph node weights (which hold names and options).
#[derive(Clone, Debug)]
pub(crate) struct Times {
    pub(crate) dur: Vec<f64>,
    /// Seconds after the start at which dependents over a metadata edge may
    /// start (the duration when the module has no metadata time).
    pub(crate) meta: Vec<f64>,
}

impl Times {
    /// [`crate::Module::ready_after`] of module `u` over an edge of `kind`.
    #[inline]
    pub(crate) fn ready_after(&self, u: usize, kind: DepKind) -> f64 {
        match kind {
            DepKind::Full => self.dur[u],
            DepKind::Metadata => self.meta[u],
        }
    }
}

/// Earliest starts, tails and length of `g` under the durations of `t`.
pub(crate) struct Passes {
    pub(crate) es: Vec<f64>,
    pub(crate) tail: Vec<f64>,
    pub(crate) length: f64,
}

impl ModuleGraph {
    /// Durations and metadata times of all modules, indexed by id.
    pub(crate) fn times(&self) -> Times {
        let n = self.len();
        let mut dur = Vec::with_capacity(n);
        let mut meta = Vec::with_capacity(n);
        for m in self.modules() {
            dur.push(m.duration_s);
            meta.push(m.ready_after(DepKind::Metadata));
        }
        Times { dur, meta }
    }

    /// Earliest start of every module: the latest ready time over its
    /// dependencies, 0 without dependencies. Forward pass in topological
    /// order, pulling from the dependency slices.
    pub(crate) fn earliest_starts(&self, t: &Times) -> Vec<f64> {
        let mut es = vec![0.0f64; self.len()];
        for &v in self.topological_order() {
            let mut best = 0.0f64;
            for a in self.deps(v) {
                let u = a.module.index();
                let r = es[u] + t.ready_after(u, a.kind);
                if r > best {
                    best = r;
                }
            }
            es[v.index()] = best;
        }
        es
    }

    /// Tail of every module: the longest time from its start to the end of
    /// the build along its dependents, its own duration included. Backward
    /// pass in reverse topological order.
    pub(crate) fn tails(&self, t: &Times) -> Vec<f64> {
        let mut tail = vec![0.0f64; self.len()];
        for &v in self.topological_order().iter().rev() {
            let vi = v.index();
            let mut best = t.dur[vi];
            for a in self.dependents(v) {
                let r = t.ready_after(vi, a.kind) + tail[a.module.index()];
                if r > best {
                    best = r;
                }
            }
            tail[vi] = best;
        }
        tail
    }

    /// Both passes and the length (max of earliest start plus duration).
    /// The two passes are independent, so they run side by side.
    pub(crate) fn passes(&self, t: &Times) -> Passes {
        let (es, tail) = rayon::join(|| self.earliest_starts(t), || self.tails(t));
        let length = length_of(&es, &t.dur);
        Passes { es, tail, length }
    }

    /// Critical path method figures for every module: earliest start (ES),
    /// tail, latest start (LS = length - tail) and the critical path length,
    /// honouring each edge's [`DepKind`].
    ///
    /// This is the base of every other analysis (slack, critical path,
    /// scheduling priorities); it takes two linear passes over the graph.
    pub fn cpm(&self) -> Cpm {
        let t = self.times();
        let Passes { es, tail, length } = self.passes(&t);
        let latest_start = tail.iter().map(|&tl| length - tl).collect();
        Cpm {
            earliest_start: es,
            latest_start,
            tail,
            length_s: length,
        }
    }

    /// The critical path length alone, for callers that need no per-module
    /// figures (one forward pass).
    pub fn critical_path_length(&self) -> f64 {
        let t = self.times();
        let es = self.earliest_starts(&t);
        length_of(&es, &t.dur)
    }
}

/// Max over modules of `es + dur`, 0 when there are none.
pub(crate) fn length_of(es: &[f64], dur: &[f64]) -> f64 {
    let mut best = 0.0f64;
    for (e, d) in es.iter().zip(dur) {
        let end = e + d;
        if end > best {
            best = end;
        }
    }
    best
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::graph::{Dep, GraphBuilder, Module, ModuleGraph};

    /// `(name, duration, metadata, observed start, deps)`; a dep name
    /// prefixed with `~` is a metadata edge.
    pub(crate) type Observed<'a> = (&'a str, f64, Option<f64>, Option<f64>, &'a [&'a str]);

    /// A graph from a compact spec, observed start times included.
    pub(crate) fn observed(spec: &[Observed]) -> ModuleGraph {
        let mut b = GraphBuilder::new();
        for (name, d, meta, start, deps) in spec {
            let mut m = Module::new(*name, *d);
            m.metadata_s = *meta;
            m.observed_start_s = *start;
            let deps = deps
                .iter()
                .map(|d| match d.strip_prefix('~') {
                    Some(n) => Dep::metadata(n),
                    None => Dep::full(*d),
                })
                .collect();
            b.add(m, deps);
        }
        b.build().unwrap()
    }

    /// `(name, duration, metadata, deps)`; a dep name prefixed with `~` is a
    /// metadata edge.
    pub(crate) fn graph(spec: &[(&str, f64, Option<f64>, &[&str])]) -> ModuleGraph {
        let spec: Vec<Observed> = spec
            .iter()
            .map(|&(n, d, meta, deps)| (n, d, meta, None, deps))
            .collect();
        observed(&spec)
    }

    /// a(1) -> {b(5), c(2)} -> d(1): critical path a, b, d of 7.
    pub(crate) fn diamond() -> ModuleGraph {
        simple(&[
            ("a", 1.0, &[]),
            ("b", 5.0, &["a"]),
            ("c", 2.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
        ])
    }

    /// Full edges only, no metadata times.
    pub(crate) fn simple(spec: &[(&str, f64, &[&str])]) -> ModuleGraph {
        let spec: Vec<_> = spec
            .iter()
            .map(|&(n, d, deps)| (n, d, None, deps))
            .collect();
        graph(&spec)
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use crate::graph::ModuleId;

    #[test]
    fn empty_graph() {
        let g = simple(&[]);
        let c = g.cpm();
        assert_eq!(c.length_s, 0.0);
        assert!(c.earliest_start.is_empty());
        assert_eq!(g.critical_path_length(), 0.0);
    }

    #[test]
    fn chain() {
        // a(2) -> b(3) -> c(4)
        let g = simple(&[("a", 2.0, &[]), ("b", 3.0, &["a"]), ("c", 4.0, &["b"])]);
        let c = g.cpm();
        assert_eq!(c.length_s, 9.0);
        assert_eq!(c.earliest_start, [0.0, 2.0, 5.0]);
        assert_eq!(c.tail, [9.0, 7.0, 4.0]);
        assert_eq!(c.latest_start, [0.0, 2.0, 5.0]);
        for i in 0..3 {
            assert_eq!(c.slack(ModuleId(i)), 0.0);
        }
    }

    #[test]
    fn diamond_slack_of_parallel_branches() {
        // a(1) -> {b(5), c(2)} -> d(1): critical a b d = 7; c has slack 3.
        let g = simple(&[
            ("a", 1.0, &[]),
            ("b", 5.0, &["a"]),
            ("c", 2.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
        ]);
        let c = g.cpm();
        assert_eq!(c.length_s, 7.0);
        assert_eq!(c.earliest_start, [0.0, 1.0, 1.0, 6.0]);
        assert_eq!(c.latest_start, [0.0, 1.0, 4.0, 6.0]);
        assert_eq!(c.slack(ModuleId(1)), 0.0);
        assert_eq!(c.slack(ModuleId(2)), 3.0);
        assert_eq!(g.critical_path_length(), 7.0);
    }

    #[test]
    fn metadata_edges_pipeline() {
        // a(10, meta 4) ~> b(6): b starts at 4, ends at 10; a ends at 10.
        // c(3) waits fully on b: 13. Without pipelining it would be 19.
        let g = graph(&[
            ("a", 10.0, Some(4.0), &[]),
            ("b", 6.0, None, &["~a"]),
            ("c", 3.0, None, &["b"]),
        ]);
        let c = g.cpm();
        assert_eq!(c.earliest_start, [0.0, 4.0, 10.0]);
        assert_eq!(c.length_s, 13.0);
        assert_eq!(c.tail, [13.0, 9.0, 3.0]);
        // A metadata edge from a module without metadata time waits for all of it.
        let g = graph(&[("a", 10.0, None, &[]), ("b", 6.0, None, &["~a"])]);
        assert_eq!(g.cpm().length_s, 16.0);
    }

    #[test]
    fn metadata_tail_keeps_own_duration() {
        // a(10, meta 1) ~> b(2): b ends at 3 but a at 10.
        let g = graph(&[("a", 10.0, Some(1.0), &[]), ("b", 2.0, None, &["~a"])]);
        let c = g.cpm();
        assert_eq!(c.length_s, 10.0);
        assert_eq!(c.tail, [10.0, 2.0]);
        assert_eq!(c.slack(ModuleId(1)), 7.0);
    }

    #[test]
    fn zero_duration_modules() {
        let g = simple(&[("z", 0.0, &[]), ("a", 2.0, &["z"]), ("y", 0.0, &["a"])]);
        let c = g.cpm();
        assert_eq!(c.length_s, 2.0);
        assert_eq!(c.earliest_start, [0.0, 0.0, 2.0]);
        assert_eq!(c.tail, [2.0, 2.0, 0.0]);
    }
}
