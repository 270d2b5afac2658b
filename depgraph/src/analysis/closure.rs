//! Reverse-dependency closure: what must be rebuilt or retested when some
//! modules change.

use crate::graph::{ModuleGraph, ModuleId};

impl ModuleGraph {
    /// The `seeds` plus every module that transitively depends on one of
    /// them, sorted by id, without duplicates: the modules affected by a
    /// change to the seeds. Linear in modules plus edges (a visited vector
    /// and an explicit stack).
    ///
    /// # Panics
    /// If a seed is not a module of this graph.
    pub fn reverse_closure(&self, seeds: &[ModuleId]) -> Vec<ModuleId> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<ModuleId> = Vec::new();
        for &s in seeds {
            if !seen[s.index()] {
                seen[s.index()] = true;
                stack.push(s);
            }
        }
        let mut count = stack.len();
        while let Some(v) = stack.pop() {
            for a in self.dependents(v) {
                let i = a.module.index();
                if !seen[i] {
                    seen[i] = true;
                    count += 1;
                    stack.push(a.module);
                }
            }
        }
        let mut out = Vec::with_capacity(count);
        out.extend(
            seen.iter()
                .enumerate()
                .filter(|&(_, &s)| s)
                .map(|(i, _)| ModuleId(i as u32)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::cpm::test_util::*;
    use crate::graph::ModuleId;

    #[test]
    fn closure_of_dependents() {
        // core <- {lib, util}; app <- lib; tool <- util; other alone.
        let g = simple(&[
            ("app", 1.0, &["lib"]),
            ("lib", 1.0, &["core"]),
            ("core", 1.0, &[]),
            ("util", 1.0, &["core"]),
            ("tool", 1.0, &["util"]),
            ("other", 1.0, &[]),
        ]);
        let ids = |names: &[&str]| -> Vec<ModuleId> {
            names.iter().map(|n| g.find(n).unwrap()).collect()
        };
        assert_eq!(
            g.reverse_closure(&ids(&["core"])),
            ids(&["app", "lib", "core", "util", "tool"])
        );
        assert_eq!(g.reverse_closure(&ids(&["lib"])), ids(&["app", "lib"]));
        assert_eq!(
            g.reverse_closure(&ids(&["tool", "lib", "tool"])),
            ids(&["app", "lib", "tool"])
        );
        assert_eq!(g.reverse_closure(&ids(&["other"])), ids(&["other"]));
        assert!(g.reverse_closure(&[]).is_empty());
    }
}
