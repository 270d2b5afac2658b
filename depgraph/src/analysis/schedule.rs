//! List scheduling with N workers: what the build would take on a machine
//! with N job slots if modules were started by longest remaining path.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::graph::{DepKind, ModuleGraph, ModuleId};

use super::{Schedule, Slot};

impl ModuleGraph {
    /// Simulates the build on `workers` workers (0 is treated as 1) with
    /// event-driven list scheduling: a module becomes ready when every
    /// dependency has reached its ready time for the edge's [`DepKind`];
    /// whenever a worker is free, it starts the ready module with the
    /// longest tail (remaining critical path), lowest id on ties. Each module
    /// holds one worker for its whole duration; free workers are taken lowest
    /// number first.
    ///
    /// This estimates the build time for a given parallelism (the critical
    /// path is the bound with unlimited workers, which this reaches when
    /// `workers >= len()`). `O((n + m) log n)` with binary heaps.
    pub fn schedule(&self, workers: usize) -> Schedule {
        let t = self.times();
        let tail = self.tails(&t);
        self.schedule_with_tails(workers, &tail)
    }

    /// [`ModuleGraph::schedule`] with the priorities already computed:
    /// `tail` as in [`crate::Cpm::tail`], so a caller that has run
    /// [`ModuleGraph::cpm`] does not compute them twice.
    pub fn schedule_with_tails(&self, workers: usize, tail: &[f64]) -> Schedule {
        assert_eq!(tail.len(), self.len(), "one tail per module");
        let workers = workers.max(1);
        let n = self.len();
        let t = self.times();
        // Rank every module once by priority (longest tail first, then
        // lowest id): the ready set is then a set of small integers, kept in a
        // hierarchical bitset whose minimum is a few word scans away.
        let mut by_priority: Vec<u32> = (0..n as u32).collect();
        {
            use rayon::prelude::*;
            by_priority.par_sort_unstable_by(|&a, &b| {
                tail[b as usize]
                    .total_cmp(&tail[a as usize])
                    .then(a.cmp(&b))
            });
        }
        let mut rank = vec![0u32; n];
        for (r, &v) in by_priority.iter().enumerate() {
            rank[v as usize] = r as u32;
        }
        let mut slots = vec![
            Slot {
                start_s: 0.0,
                end_s: 0.0,
                worker: 0,
            };
            n
        ];
        let mut waiting: Vec<u32> = self.ids().map(|v| self.deps(v).len() as u32).collect();
        let mut ready = RankSet::new(n);
        for v in self.ids() {
            if waiting[v.index()] == 0 {
                ready.insert(rank[v.index()]);
            }
        }
        let pool = workers.min(n).min(u32::MAX as usize) as u32;
        let mut free: BinaryHeap<Reverse<u32>> = (0..pool).map(Reverse).collect();
        let mut events: BinaryHeap<Reverse<Event>> = BinaryHeap::new();

        let mut now = 0.0f64;
        loop {
            while !ready.is_empty()
                && let Some(Reverse(w)) = free.pop()
            {
                let r = ready.pop_min().expect("checked non-empty");
                let id = by_priority[r as usize];
                let v = id as usize;
                let end = now + t.dur[v];
                slots[v] = Slot {
                    start_s: now,
                    end_s: end,
                    worker: w,
                };
                if self
                    .dependents(ModuleId(id))
                    .iter()
                    .any(|a| a.kind == DepKind::Metadata)
                {
                    events.push(Reverse(Event {
                        time: now + t.meta[v],
                        id,
                        finish: false,
                    }));
                }
                events.push(Reverse(Event {
                    time: end,
                    id,
                    finish: true,
                }));
            }
            let Some(Reverse(first)) = events.pop() else {
                break;
            };
            now = first.time;
            let mut next = Some(first);
            while let Some(e) = next {
                let kind = if e.finish {
                    free.push(Reverse(slots[e.id as usize].worker));
                    DepKind::Full
                } else {
                    DepKind::Metadata
                };
                for a in self.dependents(ModuleId(e.id)) {
                    if a.kind != kind {
                        continue;
                    }
                    let w = &mut waiting[a.module.index()];
                    *w -= 1;
                    if *w == 0 {
                        ready.insert(rank[a.module.index()]);
                    }
                }
                next = match events.peek() {
                    Some(Reverse(e)) if e.time == now => events.pop().map(|Reverse(e)| e),
                    _ => None,
                };
            }
        }
        let makespan_s = slots.iter().fold(0.0f64, |m, s| m.max(s.end_s));
        Schedule {
            workers,
            makespan_s,
            slots,
        }
    }
}

/// A set of integers in `0..n` with O(1) insert and a cheap minimum: a
/// bitset plus summary levels (bit i of level k+1 is set when word i of
/// level k is non-zero). For a million ranks that is four levels, 128 KiB
/// in all, which stays in cache where a binary heap of a million entries
/// would not.
struct RankSet {
    levels: Vec<Vec<u64>>,
    len: usize,
}

impl RankSet {
    fn new(n: usize) -> RankSet {
        let mut levels = Vec::new();
        let mut bits = n.max(1);
        loop {
            let words = bits.div_ceil(64);
            levels.push(vec![0u64; words]);
            if words == 1 {
                break;
            }
            bits = words;
        }
        RankSet { levels, len: 0 }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn insert(&mut self, x: u32) {
        let mut i = x as usize;
        for level in &mut self.levels {
            let (word, bit) = (i / 64, i % 64);
            let was = level[word];
            level[word] = was | (1 << bit);
            if was & (1 << bit) != 0 {
                return; // already present
            }
            if was != 0 {
                break; // the levels above already know this word
            }
            i = word;
        }
        self.len += 1;
    }

    fn pop_min(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        // Walk down from the top: the lowest set bit at each level names
        // the word to look at below.
        let mut i = 0usize;
        for level in self.levels.iter().rev() {
            i = i * 64 + level[i].trailing_zeros() as usize;
        }
        let min = i;
        for level in &mut self.levels {
            let (word, bit) = (i / 64, i % 64);
            level[word] &= !(1 << bit);
            if level[word] != 0 {
                break;
            }
            i = word;
        }
        self.len -= 1;
        Some(min as u32)
    }
}

/// A module reaching its metadata (`finish: false`) or its end.
struct Event {
    time: f64,
    id: u32,
    finish: bool,
}

impl Ord for Event {
    fn cmp(&self, other: &Self) -> Ordering {
        self.time
            .total_cmp(&other.time)
            .then(self.id.cmp(&other.id))
            .then(self.finish.cmp(&other.finish))
    }
}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Event {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Event {}

#[cfg(test)]
mod tests {
    #[test]
    fn rank_set_agrees_with_a_btreeset() {
        use std::collections::BTreeSet;
        for n in [1usize, 63, 64, 65, 4096, 4097, 300_000] {
            let mut set = super::RankSet::new(n);
            let mut model = BTreeSet::new();
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ n as u64;
            for step in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x.is_multiple_of(3) && !model.is_empty() {
                    assert_eq!(set.pop_min(), model.pop_first(), "n={n} step={step}");
                } else {
                    let v = (x % n as u64) as u32;
                    set.insert(v);
                    model.insert(v);
                }
                assert_eq!(set.is_empty(), model.is_empty());
            }
            while let Some(m) = model.pop_first() {
                assert_eq!(set.pop_min(), Some(m));
            }
            assert_eq!(set.pop_min(), None);
        }
    }

    use super::super::cpm::test_util::*;
    use crate::graph::ModuleId;

    #[test]
    fn one_worker_runs_total_work() {
        let g = simple(&[
            ("a", 1.0, &[]),
            ("b", 5.0, &["a"]),
            ("c", 2.0, &["a"]),
            ("d", 1.0, &["b", "c"]),
        ]);
        let s = g.schedule(1);
        assert_eq!(s.makespan_s, 9.0);
        assert!(s.slots.iter().all(|x| x.worker == 0));
        // Priority by tail: b (tail 6) before c (tail 3).
        assert_eq!(s.slots[1].start_s, 1.0);
        assert_eq!(s.slots[2].start_s, 6.0);
        assert_eq!(s.slots[3].start_s, 8.0);
        // 0 workers means 1.
        assert_eq!(g.schedule(0).makespan_s, 9.0);
        assert_eq!(g.schedule(0).workers, 1);
    }

    #[test]
    fn two_workers_hand_example() {
        // Roots a(3), b(2), c(2); d(2) needs a. Tails: a 5, b 2, c 2, d 2.
        // t=0: w0 a, w1 b. t=2: b done, w1 c. t=3: a done, w0 d.
        // t=4: c done. t=5: d done.
        let g = simple(&[
            ("a", 3.0, &[]),
            ("b", 2.0, &[]),
            ("c", 2.0, &[]),
            ("d", 2.0, &["a"]),
        ]);
        let s = g.schedule(2);
        assert_eq!(s.makespan_s, 5.0);
        let got: Vec<(f64, f64, u32)> = s
            .slots
            .iter()
            .map(|x| (x.start_s, x.end_s, x.worker))
            .collect();
        assert_eq!(
            got,
            [(0.0, 3.0, 0), (0.0, 2.0, 1), (2.0, 4.0, 1), (3.0, 5.0, 0)]
        );
    }

    #[test]
    fn metadata_edges_release_early() {
        // a(10, meta 4) ~> b(6): with 2 workers b starts at 4.
        let g = graph(&[("a", 10.0, Some(4.0), &[]), ("b", 6.0, None, &["~a"])]);
        let s = g.schedule(2);
        assert_eq!(s.slots[1].start_s, 4.0);
        assert_eq!(s.slots[1].worker, 1);
        assert_eq!(s.makespan_s, 10.0);
        // With one worker b waits for the worker, not for a's end only.
        let s = g.schedule(1);
        assert_eq!(s.slots[1].start_s, 10.0);
        assert_eq!(s.makespan_s, 16.0);
    }

    #[test]
    fn many_workers_reach_critical_path_and_zero_durations() {
        let g = simple(&[
            ("z", 0.0, &[]),
            ("a", 2.0, &["z"]),
            ("y", 0.0, &["a"]),
            ("b", 1.0, &["y"]),
            ("c", 2.5, &[]),
        ]);
        let s = g.schedule(10);
        assert_eq!(s.makespan_s, g.cpm().length_s);
        assert_eq!(s.makespan_s, 3.0);
        assert_eq!(s.slots[ModuleId(3).index()].start_s, 2.0);
        let empty = simple(&[]);
        let s = empty.schedule(4);
        assert_eq!(s.makespan_s, 0.0);
        assert!(s.slots.is_empty());
    }
}
