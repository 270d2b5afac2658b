//! Property tests of the analyses on small random DAGs against brute-force
//! references written independently here: every path is enumerated by DFS
//! and measured with the edge semantics (a dependent may start
//! `ready_after(kind)` after its dependency's start).

use depgraph::{
    Change, CriticalPath, Dep, DepKind, GraphBuilder, Module, ModuleGraph, ModuleId, PathStep,
};
use proptest::prelude::*;

const EPS: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= EPS * (1.0 + a.abs().max(b.abs()))
}

/// A plain model of a graph: durations, metadata-ready times, edges.
#[derive(Clone, Debug)]
struct Model {
    dur: Vec<f64>,
    /// `None`: no metadata time (a metadata edge waits for the duration).
    meta: Vec<Option<f64>>,
    start: Vec<Option<f64>>,
    /// `(dependency, dependent, kind)`.
    edges: Vec<(usize, usize, DepKind)>,
}

impl Model {
    fn n(&self) -> usize {
        self.dur.len()
    }

    fn ready(&self, u: usize, kind: DepKind) -> f64 {
        match kind {
            DepKind::Full => self.dur[u],
            DepKind::Metadata => self.meta[u].unwrap_or(self.dur[u]),
        }
    }

    fn kind(&self, u: usize, v: usize) -> Option<DepKind> {
        self.edges
            .iter()
            .find(|&&(a, b, _)| a == u && b == v)
            .map(|e| e.2)
    }

    fn has_deps(&self, v: usize) -> bool {
        self.edges.iter().any(|e| e.1 == v)
    }

    /// Every path (at least one module), by DFS from every module.
    fn all_paths(&self) -> Vec<Vec<usize>> {
        fn dfs(m: &Model, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
            out.push(path.clone());
            let u = *path.last().unwrap();
            for &(a, b, _) in &m.edges {
                if a == u {
                    path.push(b);
                    dfs(m, path, out);
                    path.pop();
                }
            }
        }
        let mut out = Vec::new();
        for v in 0..self.n() {
            dfs(self, &mut vec![v], &mut out);
        }
        out
    }

    /// Whether no dependent of `v` waits for its whole duration.
    fn can_end(&self, v: usize) -> bool {
        self.edges
            .iter()
            .filter(|e| e.0 == v)
            .all(|&(_, _, kind)| self.ready(v, kind) < self.dur[v])
    }

    /// Paths from a module without dependencies to a module that no
    /// dependent waits for in full (with full edges only: without
    /// dependents).
    fn maximal_paths(&self) -> Vec<Vec<usize>> {
        self.all_paths()
            .into_iter()
            .filter(|p| !self.has_deps(p[0]) && self.can_end(*p.last().unwrap()))
            .collect()
    }

    /// Time from the first module's start to the last one's end.
    fn path_len(&self, p: &[usize]) -> f64 {
        let mut t = 0.0;
        for w in p.windows(2) {
            t += self.ready(w[0], self.kind(w[0], w[1]).expect("an edge"));
        }
        t + self.dur[*p.last().unwrap()]
    }

    fn critical(&self) -> f64 {
        self.all_paths()
            .iter()
            .map(|p| self.path_len(p))
            .fold(0.0, f64::max)
    }

    /// Longest time before `v` can start: over paths ending at `v`.
    fn es(&self, v: usize) -> f64 {
        self.all_paths()
            .iter()
            .filter(|p| *p.last().unwrap() == v)
            .map(|p| self.path_len(p) - self.dur[v])
            .fold(0.0, f64::max)
    }

    /// Longest path starting at `v`.
    fn tail(&self, v: usize) -> f64 {
        self.all_paths()
            .iter()
            .filter(|p| p[0] == v)
            .map(|p| self.path_len(p))
            .fold(0.0, f64::max)
    }

    fn build(&self) -> ModuleGraph {
        let mut b = GraphBuilder::new();
        for v in 0..self.n() {
            let mut m = Module::new(format!("m{v}"), self.dur[v]);
            m.metadata_s = self.meta[v];
            m.observed_start_s = self.start[v];
            let deps = self
                .edges
                .iter()
                .filter(|e| e.1 == v)
                .map(|&(u, _, kind)| Dep {
                    name: format!("m{u}"),
                    kind,
                })
                .collect();
            b.add(m, deps);
        }
        b.build().expect("a valid DAG")
    }
}

fn duration() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), (0u32..6).prop_map(f64::from), 0.0f64..10.0,]
}

/// Up to 8 modules; edges only from a lower to a higher rank, with ranks
/// shuffled onto ids so ids are not a topological order.
fn model() -> impl Strategy<Value = Model> {
    (0usize..=8).prop_flat_map(|n| {
        let pairs = n * n.saturating_sub(1) / 2;
        (
            prop::collection::vec(duration(), n),
            prop::collection::vec(prop::option::of(0.0f64..=1.0), n),
            prop::collection::vec(prop::option::weighted(0.7, 0.0f64..20.0), n),
            prop::collection::vec(
                prop_oneof![
                    2 => Just(None),
                    1 => Just(Some(DepKind::Full)),
                    1 => Just(Some(DepKind::Metadata)),
                ],
                pairs,
            ),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
        )
            .prop_map(move |(dur, frac, start, kinds, perm)| {
                let meta = frac
                    .iter()
                    .zip(&dur)
                    .map(|(f, d)| f.map(|f| f * d))
                    .collect();
                let mut edges = Vec::new();
                let mut k = 0;
                for i in 0..n {
                    for j in i + 1..n {
                        if let Some(kind) = kinds[k] {
                            edges.push((perm[i], perm[j], kind));
                        }
                        k += 1;
                    }
                }
                Model {
                    dur,
                    meta,
                    start,
                    edges,
                }
            })
    })
}

/// Checks that `p` is a chain of edges of `m` with consistent spans and
/// returns its length measured on the model.
fn check_chain(m: &Model, p: &CriticalPath) -> f64 {
    let ids: Vec<usize> = p.steps.iter().map(|s| s.module.index()).collect();
    for (i, s) in p.steps.iter().enumerate() {
        let v = s.module.index();
        match p.steps.get(i + 1) {
            Some(next) => {
                let kind = m.kind(v, next.module.index()).expect("steps follow edges");
                assert_eq!(s.next_kind, Some(kind));
                assert!(close(s.span_s, m.ready(v, kind)));
            }
            None => {
                assert_eq!(s.next_kind, None);
                assert!(close(s.span_s, m.dur[v]));
            }
        }
    }
    let len = m.path_len(&ids);
    let spans: f64 = p.steps.iter().map(|s| s.span_s).sum();
    assert!(close(spans, p.length_s), "{spans} vs {}", p.length_s);
    assert!(close(len, p.length_s), "{len} vs {}", p.length_s);
    len
}

fn all_steps(g: &ModuleGraph) -> CriticalPath {
    CriticalPath {
        length_s: 0.0,
        steps: g
            .ids()
            .map(|module| PathStep {
                module,
                start_s: 0.0,
                span_s: 0.0,
                next_kind: None,
            })
            .collect(),
    }
}

/// Expected graph after what-if changes, built independently on the model.
fn apply(m: &Model, changes: &[Change]) -> Option<Model> {
    let n = m.n();
    let mut dur = m.dur.clone();
    let mut meta = m.meta.clone();
    let mut parts = vec![1usize; n];
    for c in changes {
        match *c {
            Change::Set { module, seconds } => {
                let i = module.index();
                if !(seconds >= 0.0 && seconds.is_finite()) {
                    return None;
                }
                meta[i] = meta[i].map(|x| {
                    if dur[i] == 0.0 {
                        x.min(seconds)
                    } else {
                        x * seconds / dur[i]
                    }
                });
                dur[i] = seconds;
            }
            Change::Scale { module, factor } => {
                let i = module.index();
                if !(factor >= 0.0 && factor.is_finite()) {
                    return None;
                }
                dur[i] *= factor;
                meta[i] = meta[i].map(|x| x * factor);
            }
            Change::Split { module, parts: k } => parts[module.index()] *= k.max(1) as usize,
        }
    }
    // Node list: (original, part).
    let mut nodes_of: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut out = Model {
        dur: Vec::new(),
        meta: Vec::new(),
        start: Vec::new(),
        edges: Vec::new(),
    };
    for v in 0..n {
        for _ in 0..parts[v] {
            nodes_of[v].push(out.dur.len());
            out.dur.push(dur[v] / parts[v] as f64);
            out.meta.push(meta[v].map(|x| x / parts[v] as f64));
            out.start.push(None);
        }
    }
    for &(u, v, kind) in &m.edges {
        for &a in &nodes_of[u] {
            for &b in &nodes_of[v] {
                out.edges.push((a, b, kind));
            }
        }
    }
    Some(out)
}

fn change(n: usize) -> impl Strategy<Value = Change> {
    let id = (0..n as u32).prop_map(ModuleId);
    prop_oneof![
        (id.clone(), prop_oneof![9 => 0.0f64..8.0, 1 => Just(-1.0)])
            .prop_map(|(module, seconds)| Change::Set { module, seconds }),
        (
            id.clone(),
            prop_oneof![9 => 0.0f64..3.0, 1 => Just(f64::NAN)]
        )
            .prop_map(|(module, factor)| Change::Scale { module, factor }),
        (id, 1u32..=3).prop_map(|(module, parts)| Change::Split { module, parts }),
    ]
}

fn model_and_changes() -> impl Strategy<Value = (Model, Vec<Change>)> {
    model()
        .prop_filter("needs a module", |m| m.n() > 0)
        .prop_flat_map(|m| {
            let n = m.n();
            (Just(m), prop::collection::vec(change(n), 0..=3))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn cpm_matches_brute_force(m in model()) {
        let g = m.build();
        let cpm = g.cpm();
        let len = m.critical();
        let max_maximal = m.maximal_paths().iter().map(|p| m.path_len(p)).fold(0.0, f64::max);
        prop_assert!(close(cpm.length_s, len), "{} vs {len}", cpm.length_s);
        prop_assert!(close(max_maximal, len));
        for v in 0..m.n() {
            let id = ModuleId(v as u32);
            let es = m.es(v);
            let tail = m.tail(v);
            prop_assert!(close(cpm.earliest_start[v], es), "ES {v}");
            prop_assert!(close(cpm.tail[v], tail), "tail {v}");
            prop_assert!(close(cpm.latest_start[v], len - tail), "LS {v}");
            prop_assert!(close(cpm.slack(id), (len - tail - es).max(0.0)), "slack {v}");
        }
    }

    #[test]
    fn critical_paths_are_longest_chains(m in model()) {
        let g = m.build();
        let cpm = g.cpm();
        let len = m.critical();
        let p = g.critical_path();
        prop_assert_eq!(&p, &g.critical_path_with(&cpm));
        if m.n() == 0 {
            prop_assert!(p.steps.is_empty());
            prop_assert_eq!(p.length_s, 0.0);
        } else {
            prop_assert!(close(check_chain(&m, &p), len));
            prop_assert!(!m.has_deps(p.steps[0].module.index()));
            prop_assert!(m.can_end(p.steps.last().unwrap().module.index()));
            for s in &p.steps {
                prop_assert!(close(s.start_s, m.es(s.module.index())));
            }
        }
        for v in 0..m.n() {
            let p = g.critical_path_to(ModuleId(v as u32));
            prop_assert_eq!(p.steps.last().unwrap().module.index(), v);
            prop_assert!(!m.has_deps(p.steps[0].module.index()));
            prop_assert!(close(check_chain(&m, &p), m.es(v) + m.dur[v]));
        }
    }

    #[test]
    fn potential_improvements_match_recomputation(m in model()) {
        let g = m.build();
        let cpm = g.cpm();
        let len = m.critical();
        let every = g.potential_improvements(&cpm, &all_steps(&g));
        let path = g.critical_path_with(&cpm);
        let on_path = g.potential_improvements(&cpm, &path);
        prop_assert_eq!(on_path.len(), path.steps.len());
        prop_assert_eq!(every.len(), m.n());
        for (v, &gain) in every.iter().enumerate() {
            let mut z = m.clone();
            z.dur[v] = 0.0;
            z.meta[v] = z.meta[v].map(|_| 0.0);
            let expected = len - z.critical();
            prop_assert!(close(gain, expected), "module {v}: {gain} vs {expected}");
            prop_assert!(close(g.potential_improvement_naive(ModuleId(v as u32)), expected));
        }
        for (s, gain) in path.steps.iter().zip(&on_path) {
            prop_assert!(close(*gain, every[s.module.index()]));
        }
    }

    #[test]
    fn longest_paths_match_enumeration(m in model(), extra in 0usize..3) {
        let g = m.build();
        let mut lens: Vec<f64> = m.maximal_paths().iter().map(|p| m.path_len(p)).collect();
        lens.sort_by(|a, b| b.total_cmp(a));
        if let Some(first) = g.longest_paths(1).first() {
            prop_assert!(close(first.length_s, m.critical()));
        }
        for k in [1, 2, 3, lens.len() + extra] {
            let got = g.longest_paths(k);
            prop_assert_eq!(got.len(), k.min(lens.len()));
            let mut seen: Vec<Vec<usize>> = Vec::new();
            for (p, want) in got.iter().zip(&lens) {
                prop_assert!(close(p.length_s, *want), "{} vs {want}", p.length_s);
                prop_assert!(close(check_chain(&m, p), *want));
                let ids: Vec<usize> = p.steps.iter().map(|s| s.module.index()).collect();
                prop_assert!(!m.has_deps(ids[0]));
                prop_assert!(m.can_end(*ids.last().unwrap()));
                prop_assert!(!seen.contains(&ids), "duplicate path");
                seen.push(ids);
            }
            for w in got.windows(2) {
                prop_assert!(w[0].length_s >= w[1].length_s);
            }
        }
    }

    #[test]
    fn schedules_are_valid(m in model(), workers in 1usize..5) {
        let g = m.build();
        let len = m.critical();
        let total: f64 = m.dur.iter().sum();
        for w in [workers, 1, m.n().max(1)] {
            let s = g.schedule(w);
            prop_assert_eq!(s.workers, w);
            prop_assert_eq!(s.slots.len(), m.n());
            for (v, slot) in s.slots.iter().enumerate() {
                prop_assert!((slot.worker as usize) < w);
                prop_assert!(close(slot.end_s - slot.start_s, m.dur[v]));
                prop_assert!(slot.start_s >= 0.0);
            }
            for &(u, v, kind) in &m.edges {
                prop_assert!(
                    s.slots[v].start_s + EPS >= s.slots[u].start_s + m.ready(u, kind),
                    "{v} starts before {u} is ready"
                );
            }
            for a in 0..m.n() {
                for b in a + 1..m.n() {
                    let (x, y) = (s.slots[a], s.slots[b]);
                    if x.worker == y.worker {
                        let overlap = x.start_s.max(y.start_s) < x.end_s.min(y.end_s) - EPS;
                        prop_assert!(!overlap, "{a} and {b} overlap on worker {}", x.worker);
                    }
                }
            }
            let end = s.slots.iter().map(|x| x.end_s).fold(0.0, f64::max);
            prop_assert_eq!(s.makespan_s, end);
            prop_assert!(s.makespan_s + EPS >= len);
            prop_assert!(s.makespan_s <= total + EPS);
            if w == 1 {
                prop_assert!(close(s.makespan_s, total));
            }
            if w >= m.n() {
                prop_assert!(close(s.makespan_s, len), "{} vs {len}", s.makespan_s);
            }
        }
    }

    #[test]
    fn what_if_matches_brute_force((m, changes) in model_and_changes()) {
        let g = m.build();
        let got = g.what_if(&changes);
        match apply(&m, &changes) {
            None => prop_assert!(got.is_err()),
            Some(expected) => {
                let w = got.expect("valid changes");
                prop_assert_eq!(w.graph.len(), expected.n());
                prop_assert_eq!(w.graph.edge_count(), expected.edges.len());
                let mut want: Vec<f64> = expected.dur.clone();
                let mut have: Vec<f64> = w.graph.modules().map(|x| x.duration_s).collect();
                want.sort_by(f64::total_cmp);
                have.sort_by(f64::total_cmp);
                for (a, b) in want.iter().zip(&have) {
                    prop_assert!(close(*a, *b));
                }
                let before = m.critical();
                let after = expected.critical();
                prop_assert!(close(w.before.length_s, before));
                prop_assert!(close(w.after.length_s, after), "{} vs {after}", w.after.length_s);
                prop_assert!(close(w.saved_s, before - after));
            }
        }
    }

    #[test]
    fn reverse_closure_is_the_fixed_point(m in model(), picks in prop::collection::vec(0usize..8, 0..4)) {
        let g = m.build();
        let seeds: Vec<ModuleId> = picks
            .iter()
            .filter(|&&p| p < m.n())
            .map(|&p| ModuleId(p as u32))
            .collect();
        let mut set: Vec<bool> = vec![false; m.n()];
        for s in &seeds {
            set[s.index()] = true;
        }
        loop {
            let mut changed = false;
            for &(u, v, _) in &m.edges {
                if set[u] && !set[v] {
                    set[v] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let want: Vec<ModuleId> = (0..m.n()).filter(|&v| set[v]).map(|v| ModuleId(v as u32)).collect();
        prop_assert_eq!(g.reverse_closure(&seeds), want);
    }

    #[test]
    fn observed_chain_follows_latest_ready_dependencies(m in model()) {
        let g = m.build();
        let observed: Vec<usize> = (0..m.n()).filter(|&v| m.start[v].is_some()).collect();
        let chain = g.observed_chain();
        if observed.is_empty() {
            prop_assert!(chain.is_none());
            prop_assert!(g.observed_wall().is_none());
            return Ok(());
        }
        let first = observed.iter().map(|&v| m.start[v].unwrap()).fold(f64::INFINITY, f64::min);
        let last = observed.iter().map(|&v| m.start[v].unwrap() + m.dur[v]).fold(f64::NEG_INFINITY, f64::max);
        let c = chain.expect("observed starts");
        prop_assert!(close(c.wall_s, last - first));
        prop_assert_eq!(g.observed_wall(), Some(c.wall_s));
        prop_assert!(close(c.steps.last().unwrap().end_s, last));
        for (i, s) in c.steps.iter().enumerate() {
            let v = s.module.index();
            prop_assert_eq!(Some(s.start_s), m.start[v]);
            prop_assert!(s.wait_s >= 0.0);
            // The previous link is the dependency with an observed start
            // whose ready time is the latest.
            let best = m
                .edges
                .iter()
                .filter(|e| e.1 == v && m.start[e.0].is_some())
                .map(|&(u, _, kind)| m.start[u].unwrap() + m.ready(u, kind))
                .fold(None, |acc: Option<f64>, r| Some(acc.map_or(r, |a| a.max(r))));
            match (i.checked_sub(1).map(|j| &c.steps[j]), best) {
                (None, None) => prop_assert!(close(s.wait_s, s.start_s - first)),
                (Some(prev), Some(ready)) => {
                    let u = prev.module.index();
                    let kind = m.kind(u, v).expect("links follow edges");
                    prop_assert!(close(m.start[u].unwrap() + m.ready(u, kind), ready));
                    prop_assert!(close(s.wait_s, (s.start_s - ready).max(0.0)));
                }
                (p, b) => prop_assert!(false, "chain stops wrongly: {:?} {:?}", p.map(|x| x.module), b),
            }
        }
    }
}
