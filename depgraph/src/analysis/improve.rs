//! Potential improvement: how much the whole build's critical path would
//! shrink if one module took no time at all.

use crate::graph::{ModuleGraph, ModuleId};

use super::cpm::length_of;
use super::{Cpm, CriticalPath};

impl ModuleGraph {
    /// For each step of `path`, how much the critical path length of the
    /// whole graph would shrink if that step's module took zero time
    /// (duration and metadata time both 0): `length - length_with_it_zeroed`.
    /// This is the real gain of speeding the module up, which a parallel
    /// near-critical chain can make much smaller than its duration.
    ///
    /// `cpm` must be this graph's [`ModuleGraph::cpm`]; `path` may be any list
    /// of steps (usually [`ModuleGraph::critical_path_with`]). Runs in
    /// `O((n + m) + m log |path|)`, not one recomputation per step: with the
    /// modules in topological positions, a path avoiding module `v` lies
    /// entirely before `v`'s position (prefix maxima of ES + duration),
    /// entirely after it (suffix maxima of tail), or uses exactly one edge
    /// `(a, b)` jumping over it (range maxima of ES(a) + ready_after + tail(b)
    /// in a segment tree over the path's positions); a path through the
    /// zeroed `v` is ES(v) + max(0, max tail of its dependents).
    ///
    /// # Panics
    /// If `cpm` was not computed for a graph of this size, or a step's module
    /// is not a module of this graph.
    pub fn potential_improvements(&self, cpm: &Cpm, path: &CriticalPath) -> Vec<f64> {
        let n = self.len();
        assert_eq!(cpm.earliest_start.len(), n, "Cpm of another graph");
        assert_eq!(cpm.tail.len(), n, "Cpm of another graph");
        if path.steps.is_empty() {
            return Vec::new();
        }
        let t = self.times();
        let es = &cpm.earliest_start;
        let tail = &cpm.tail;
        let topo = self.topological_order();

        let mut pos = vec![0u32; n];
        for (p, v) in topo.iter().enumerate() {
            pos[v.index()] = p as u32;
        }
        // prefix[p]: max ES + duration over positions < p.
        // suffix[p]: max tail over positions >= p.
        let mut prefix = vec![0.0f64; n + 1];
        for (p, v) in topo.iter().enumerate() {
            let end = es[v.index()] + t.dur[v.index()];
            prefix[p + 1] = if end > prefix[p] { end } else { prefix[p] };
        }
        let mut suffix = vec![0.0f64; n + 1];
        for (p, v) in topo.iter().enumerate().rev() {
            let tl = tail[v.index()];
            suffix[p] = if tl > suffix[p + 1] {
                tl
            } else {
                suffix[p + 1]
            };
        }

        // The distinct positions asked about, and for every position p the
        // number of them below p.
        let mut asked: Vec<u32> = path.steps.iter().map(|s| pos[s.module.index()]).collect();
        asked.sort_unstable();
        asked.dedup();
        let mut below = vec![0u32; n + 1];
        {
            let mut k = 0usize;
            for (p, slot) in below.iter_mut().enumerate() {
                while k < asked.len() && (asked[k] as usize) < p {
                    k += 1;
                }
                *slot = k as u32;
            }
        }

        // Edges jumping over asked positions: range chmax.
        let mut seg = MaxTree::new(asked.len());
        for a in self.ids() {
            let ai = a.index();
            let pa = pos[ai] as usize;
            let lo = below[pa + 1] as usize;
            for adj in self.dependents(a) {
                let b = adj.module.index();
                let hi = below[pos[b] as usize] as usize;
                if lo < hi {
                    let through = es[ai] + t.ready_after(ai, adj.kind) + tail[b];
                    seg.update(lo, hi, through);
                }
            }
        }

        path.steps
            .iter()
            .map(|s| {
                let v = s.module;
                let p = pos[v.index()] as usize;
                let mut best = prefix[p]
                    .max(suffix[p + 1])
                    .max(seg.query(below[p] as usize));
                let mut after = 0.0f64;
                for adj in self.dependents(v) {
                    after = after.max(tail[adj.module.index()]);
                }
                best = best.max(es[v.index()] + after);
                (cpm.length_s - best).max(0.0)
            })
            .collect()
    }

    /// The potential improvement of one module computed naively: the
    /// critical path length minus the length recomputed with the module's
    /// duration and metadata time set to 0. A reference for tests of
    /// [`ModuleGraph::potential_improvements`]; linear per call.
    ///
    /// # Panics
    /// If `id` is not a module of this graph.
    pub fn potential_improvement_naive(&self, id: ModuleId) -> f64 {
        let mut t = self.times();
        let before = length_of(&self.earliest_starts(&t), &t.dur);
        t.dur[id.index()] = 0.0;
        t.meta[id.index()] = 0.0;
        let after = length_of(&self.earliest_starts(&t), &t.dur);
        (before - after).max(0.0)
    }
}

/// Segment tree for "raise a range to at least x" and "max at a point".
struct MaxTree {
    size: usize,
    tree: Vec<f64>,
}

impl MaxTree {
    fn new(len: usize) -> Self {
        let size = len.max(1).next_power_of_two();
        MaxTree {
            size,
            tree: vec![0.0; 2 * size],
        }
    }

    /// Raises positions `lo..hi` to at least `x`.
    fn update(&mut self, lo: usize, hi: usize, x: f64) {
        let (mut l, mut r) = (lo + self.size, hi + self.size);
        while l < r {
            if l & 1 == 1 {
                if x > self.tree[l] {
                    self.tree[l] = x;
                }
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                if x > self.tree[r] {
                    self.tree[r] = x;
                }
            }
            l >>= 1;
            r >>= 1;
        }
    }

    /// The largest value any update covering position `i` raised it to.
    fn query(&self, i: usize) -> f64 {
        let mut i = i + self.size;
        let mut best = self.tree[i];
        while i > 1 {
            i >>= 1;
            if self.tree[i] > best {
                best = self.tree[i];
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::super::cpm::test_util::*;

    #[test]
    fn parallel_near_critical_chain_limits_gain() {
        // a(1) -> {b(5), c(4)} -> d(1): length 7. Zeroing b leaves a-c-d = 6.
        let g = simple(&[
            ("a", 1.0, &[]),
            ("b", 5.0, &["a"]),
            ("c", 4.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
        ]);
        let cpm = g.cpm();
        let p = g.critical_path_with(&cpm);
        let gains = g.potential_improvements(&cpm, &p);
        // a: 1 (nothing parallel), b: 1 (c limits), d: 1.
        assert_eq!(gains, [1.0, 1.0, 1.0]);
        for (s, gain) in p.steps.iter().zip(&gains) {
            assert_eq!(g.potential_improvement_naive(s.module), *gain);
        }
    }

    #[test]
    fn jumping_edge_limits_gain() {
        // a(2) -> b(3) -> c(2), and x(6) -> c directly: topological order
        // a, x, b, c, so the edge x -> c jumps over b.
        let g = simple(&[
            ("a", 2.0, &[]),
            ("x", 6.0, &[]),
            ("b", 3.0, &["a"]),
            ("c", 2.0, &["b", "x"]),
        ]);
        let cpm = g.cpm();
        assert_eq!(cpm.length_s, 8.0);
        let p = g.critical_path_with(&cpm);
        let gains = g.potential_improvements(&cpm, &p);
        let by_name: Vec<(&str, f64)> = p
            .steps
            .iter()
            .zip(&gains)
            .map(|(s, &x)| (g.name(s.module), x))
            .collect();
        // x, c (8) beats a, b, c (7); zeroing x leaves a, b, c.
        assert_eq!(by_name, [("x", 1.0), ("c", 2.0)]);
        // a, b is not critical; zeroing b still leaves x -> c, the edge that
        // jumps over b's position: no gain.
        let other = g.critical_path_to(g.find("b").unwrap());
        let gains = g.potential_improvements(&cpm, &other);
        assert_eq!(gains, [0.0, 0.0]);
    }

    #[test]
    fn metadata_zeroed_too() {
        // a(10, meta 6) ~> b(6): b ends at 12. Zeroing a: b alone 6, so gain 6.
        let g = graph(&[("a", 10.0, Some(6.0), &[]), ("b", 6.0, None, &["~a"])]);
        let cpm = g.cpm();
        let p = g.critical_path_with(&cpm);
        assert_eq!(cpm.length_s, 12.0);
        assert_eq!(g.potential_improvements(&cpm, &p), [6.0, 2.0]);
        assert_eq!(g.potential_improvement_naive(p.steps[0].module), 6.0);
        assert_eq!(g.potential_improvement_naive(p.steps[1].module), 2.0);
    }
}
