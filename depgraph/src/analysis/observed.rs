//! The observed critical chain of a real build, from observed start times.

use crate::graph::{ModuleGraph, ModuleId};

use super::{ObservedChain, ObservedStep};

impl ModuleGraph {
    /// Observed wall time of a real build: the latest observed end (start +
    /// duration) minus the earliest observed start, over the modules that
    /// have an observed start; `None` when none has. Compare with the
    /// critical path length to see how much the build lost to scheduling.
    pub fn observed_wall(&self) -> Option<f64> {
        let mut first = f64::INFINITY;
        let mut last = f64::NEG_INFINITY;
        let mut any = false;
        for m in self.modules() {
            if let Some(s) = m.observed_start_s {
                any = true;
                first = first.min(s);
                last = last.max(s + m.duration_s);
            }
        }
        any.then_some(last - first)
    }

    /// The chain that actually decided the end of a real build: starting
    /// from the module that finished last (observed start + duration, lowest
    /// id on ties), repeatedly step to the dependency with an observed start
    /// whose ready time for the edge (observed start + ready_after) is the
    /// latest (lowest id on ties). Each link's `wait_s` is its start minus
    /// that ready time, clamped at 0 (time spent queued for a job slot); the
    /// first link's is its start minus the build's first start. Dependencies
    /// first. `None` when no module has an observed start.
    pub fn observed_chain(&self) -> Option<ObservedChain> {
        let wall_s = self.observed_wall()?;
        let first_start = self
            .modules()
            .filter_map(|m| m.observed_start_s)
            .fold(f64::INFINITY, f64::min);
        let end_of = |v: ModuleId| {
            let m = self.module(v);
            m.observed_start_s.map(|s| s + m.duration_s)
        };
        let mut last: Option<(ModuleId, f64)> = None;
        for v in self.ids() {
            if let Some(e) = end_of(v)
                && last.is_none_or(|(_, b)| e > b)
            {
                last = Some((v, e));
            }
        }
        let (mut v, _) = last?;
        let mut rev: Vec<ObservedStep> = Vec::new();
        loop {
            let m = self.module(v);
            let start = m.observed_start_s.expect("links have observed starts");
            let mut prev: Option<(ModuleId, f64)> = None;
            for a in self.deps(v) {
                let d = self.module(a.module);
                if let Some(s) = d.observed_start_s {
                    let ready = s + d.ready_after(a.kind);
                    let better = match prev {
                        None => true,
                        Some((pm, pr)) => ready > pr || (ready == pr && a.module < pm),
                    };
                    if better {
                        prev = Some((a.module, ready));
                    }
                }
            }
            let wait_s = match prev {
                Some((_, ready)) => (start - ready).max(0.0),
                None => (start - first_start).max(0.0),
            };
            rev.push(ObservedStep {
                module: v,
                start_s: start,
                end_s: start + m.duration_s,
                wait_s,
            });
            match prev {
                Some((u, _)) => v = u,
                None => break,
            }
        }
        rev.reverse();
        Some(ObservedChain { steps: rev, wall_s })
    }
}

#[cfg(test)]
mod tests {
    use super::super::cpm::test_util::observed;

    #[test]
    fn chain_with_waits() {
        // core 1..4; lib waits for core, starts at 6 (queued 2s), ends 9;
        // util (meta edge on core, meta 2 => ready 3) starts 3, ends 5;
        // app needs lib and util: ready at 9, starts 9.5, ends 12.5.
        let g = observed(&[
            ("core", 3.0, Some(2.0), Some(1.0), &[]),
            ("lib", 3.0, None, Some(6.0), &["core"]),
            ("util", 2.0, None, Some(3.0), &["~core"]),
            ("app", 3.0, None, Some(9.5), &["lib", "util"]),
            ("doc", 1.0, None, None, &["app"]),
        ]);
        assert_eq!(g.observed_wall(), Some(11.5));
        let c = g.observed_chain().unwrap();
        assert_eq!(c.wall_s, 11.5);
        let got: Vec<(&str, f64, f64, f64)> = c
            .steps
            .iter()
            .map(|s| (g.name(s.module), s.start_s, s.end_s, s.wait_s))
            .collect();
        assert_eq!(
            got,
            [
                ("core", 1.0, 4.0, 0.0),
                ("lib", 6.0, 9.0, 2.0),
                ("app", 9.5, 12.5, 0.5),
            ]
        );
    }

    #[test]
    fn metadata_ready_time_picks_link() {
        // a: 0..10 (meta 2); b: 0..3. c ~a, b: ready max(2, 3) = 3 via b.
        let g = observed(&[
            ("a", 10.0, Some(2.0), Some(0.0), &[]),
            ("b", 3.0, None, Some(0.5), &[]),
            ("c", 9.0, None, Some(4.0), &["~a", "b"]),
        ]);
        let c = g.observed_chain().unwrap();
        let names: Vec<&str> = c.steps.iter().map(|s| g.name(s.module)).collect();
        assert_eq!(names, ["b", "c"]);
        assert_eq!(c.steps[0].wait_s, 0.5);
        assert_eq!(c.steps[1].wait_s, 0.5);
        assert_eq!(c.wall_s, 13.0);
    }

    #[test]
    fn no_observed_starts() {
        let g = observed(&[("a", 1.0, None, None, &[])]);
        assert_eq!(g.observed_wall(), None);
        assert_eq!(g.observed_chain(), None);
        let g = observed(&[]);
        assert_eq!(g.observed_chain(), None);
    }
}
