//! Pictures of a build: an SVG timeline ([`svg()`]) and a Chrome Trace Event
//! file ([`chrome_trace()`], or streamed by [`write_chrome_trace`]) for
//! Perfetto or `chrome://tracing`.
//!
//! Both draw a [`Timeline`]: a graph, its critical path, and a schedule (one
//! [`Slot`] per module, simulated or observed) laid out in lanes that never
//! overlap. For a simulated schedule the lanes are its workers; for an
//! observed one, [`assign_lanes`] packs the real intervals into as few lanes
//! as possible.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use depgraph::{Cpm, CriticalPath, ModuleGraph, Slot};

pub(crate) mod svg;
pub(crate) mod trace;

pub(crate) use svg::svg;
pub(crate) use trace::write_chrome_trace;

/// Everything a renderer draws.
#[derive(Clone, Debug)]
pub(crate) struct Timeline<'a> {
    pub graph: &'a ModuleGraph,
    /// The analysis `analyze` computed (earliest and latest starts): the
    /// renderers draw slack from it rather than computing it again.
    pub cpm: &'a Cpm,
    /// The critical path, drawn as a stack and highlighted in the schedule.
    pub path: &'a CriticalPath,
    /// The schedule to draw, indexed by `ModuleId`; `worker` is the lane.
    pub slots: &'a [Slot],
    /// Number of lanes (workers, or the count [`assign_lanes`] returned).
    pub lanes: usize,
    /// Heading, e.g. the input file name.
    pub title: String,
    /// What the schedule is, e.g. `"simulated, 16 jobs"` or `"observed"`.
    pub schedule_label: String,
}

impl Timeline<'_> {
    /// Number of modules drawn: those with a slot.
    fn drawn(&self) -> usize {
        self.slots.len().min(self.graph.len())
    }

    /// Lanes actually needed: at least one more than the highest worker.
    fn lane_count(&self) -> usize {
        let max_worker = self.slots[..self.drawn()]
            .iter()
            .map(|s| s.worker as usize + 1)
            .max()
            .unwrap_or(0);
        self.lanes.max(max_worker).max(1)
    }

    /// Whether each module is on the critical path.
    fn critical_set(&self) -> Vec<bool> {
        let mut on = vec![false; self.graph.len()];
        for s in &self.path.steps {
            if let Some(b) = on.get_mut(s.module.index()) {
                *b = true;
            }
        }
        on
    }

    /// End of the last slot (0 without slots).
    fn makespan(&self) -> f64 {
        self.slots[..self.drawn()]
            .iter()
            .map(|s| s.end_s)
            .fold(0.0, f64::max)
    }
}

/// The first `n` modules' ids, lane by lane and in time order within a
/// lane: the order both the Gantt chart and the trace draw them in.
pub(crate) fn lane_order(t: &Timeline, n: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| {
        let (sa, sb) = (&t.slots[a as usize], &t.slots[b as usize]);
        // At equal starts the shorter first, so a module that took no time
        // is not pushed behind its neighbour.
        sa.worker
            .cmp(&sb.worker)
            .then(sa.start_s.total_cmp(&sb.start_s))
            .then(sa.end_s.total_cmp(&sb.end_s))
            .then(a.cmp(&b))
    });
    order
}

/// Packs intervals `(start, end)` into the minimum number of lanes so that
/// intervals in one lane never overlap (touching ends are fine): the classic
/// greedy interval partitioning, by start time, each interval taking the
/// lowest-numbered free lane. Returns the lane of each interval, in input
/// order, and the number of lanes. `O(n log n)`.
///
/// An interval with `end < start` is treated as empty (`end = start`).
pub(crate) fn assign_lanes(intervals: &[(f64, f64)]) -> (Vec<u32>, usize) {
    let mut order: Vec<u32> = (0..intervals.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (sa, ea) = intervals[a as usize];
        let (sb, eb) = intervals[b as usize];
        sa.total_cmp(&sb).then(ea.total_cmp(&eb)).then(a.cmp(&b))
    });
    let mut lane_of = vec![0u32; intervals.len()];
    // Busy lanes by end time, free lanes by number.
    let mut busy: BinaryHeap<Reverse<(Ord64, u32)>> = BinaryHeap::new();
    let mut free: BinaryHeap<Reverse<u32>> = BinaryHeap::new();
    let mut lanes = 0u32;
    for i in order {
        let (start, end) = intervals[i as usize];
        let end = if end < start { start } else { end };
        while let Some(&Reverse((Ord64(e), lane))) = busy.peek() {
            if e <= start {
                busy.pop();
                free.push(Reverse(lane));
            } else {
                break;
            }
        }
        let lane = match free.pop() {
            Some(Reverse(l)) => l,
            None => {
                lanes += 1;
                lanes - 1
            }
        };
        lane_of[i as usize] = lane;
        busy.push(Reverse((Ord64(end), lane)));
    }
    (lane_of, lanes as usize)
}

/// `f64` with a total order, for heaps.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Ord64(f64);
impl Eq for Ord64 {}
impl PartialOrd for Ord64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ord64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Total slack of every module: how long it can slip without lengthening
/// the critical path.
fn slack(t: &Timeline<'_>) -> Vec<f64> {
    // To the microsecond: no `1e-14 s` of floating-point noise on the path.
    t.graph
        .ids()
        .map(|id| crate::report::round(t.cpm.slack(id)))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use depgraph::{Dep, GraphBuilder, Module};

    /// A small graph by hand: `(name, duration, deps)`.
    pub(crate) fn graph(spec: &[(&str, f64, &[&str])]) -> ModuleGraph {
        let mut b = GraphBuilder::new();
        for (name, d, deps) in spec {
            b.add(
                Module::new(*name, *d),
                deps.iter().map(|d| Dep::full(*d)).collect(),
            );
        }
        b.build().unwrap()
    }

    #[test]
    fn lanes_are_minimal_and_never_overlap() {
        let iv = [
            (0.0, 5.0),
            (1.0, 2.0),
            (2.0, 3.0),
            (5.0, 6.0),
            (1.5, 4.0),
            (6.0, 6.0),
            (3.0, 2.0),
        ];
        let (lane, n) = assign_lanes(&iv);
        // At time 1.5 three intervals are open: (0,5), (1,2), (1.5,4).
        assert_eq!(n, 3);
        for i in 0..iv.len() {
            for j in i + 1..iv.len() {
                if lane[i] == lane[j] {
                    let (a, b) = (iv[i], iv[j]);
                    assert!(a.1.max(a.0) <= b.0 || b.1.max(b.0) <= a.0, "{a:?} {b:?}");
                }
            }
        }
        assert!(lane.iter().all(|&l| (l as usize) < n));
        assert_eq!(assign_lanes(&[]), (vec![], 0));
    }

    #[test]
    fn lanes_of_a_random_build_match_the_peak_concurrency() {
        let mut rng = graph_gen::SplitMix64::new(3);
        let iv: Vec<(f64, f64)> = (0..2000)
            .map(|_| {
                let s = rng.next_f64() * 100.0;
                (s, s + rng.next_f64() * 10.0)
            })
            .collect();
        let (lane, n) = assign_lanes(&iv);
        // Peak concurrency by sweeping.
        let mut ev: Vec<(f64, i32)> = iv.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
        ev.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (mut cur, mut peak) = (0, 0);
        for (_, d) in ev {
            cur += d;
            peak = peak.max(cur);
        }
        assert_eq!(n, peak as usize);
        let mut by_lane: Vec<Vec<(f64, f64)>> = vec![vec![]; n];
        for (i, &l) in lane.iter().enumerate() {
            by_lane[l as usize].push(iv[i]);
        }
        for l in &mut by_lane {
            l.sort_by(|a, b| a.0.total_cmp(&b.0));
            assert!(l.windows(2).all(|w| w[0].1 <= w[1].0));
        }
    }

    #[test]
    fn slack_of_a_diamond() {
        let g = graph(&[
            ("a", 2.0, &[]),
            ("b", 5.0, &["a"]),
            ("c", 1.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
        ]);
        let cpm = g.cpm();
        let path = g.critical_path();
        let t = Timeline {
            graph: &g,
            cpm: &cpm,
            path: &path,
            slots: &[],
            lanes: 1,
            title: String::new(),
            schedule_label: String::new(),
        };
        assert_eq!(slack(&t), vec![0.0, 0.0, 4.0, 0.0]);
    }
}
