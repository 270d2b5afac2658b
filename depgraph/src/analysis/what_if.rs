//! What-if analysis: change durations or split modules, and see what the
//! critical path becomes.

use crate::graph::{Dep, GraphBuilder, GraphError, ModuleGraph};

use super::{Change, WhatIf};

impl ModuleGraph {
    /// Applies `changes` in order to a copy of the graph and compares the
    /// critical paths before and after, to answer "what would the build take
    /// if this crate were faster, or split in N".
    ///
    /// - [`Change::Set`]: the duration becomes `seconds` (finite and `>= 0`,
    ///   else [`GraphError::InvalidDuration`] with that value). A metadata time
    ///   scales by `new / old` (or becomes `min(metadata, new)` when the old
    ///   duration is 0).
    /// - [`Change::Scale`]: duration and metadata time are multiplied by
    ///   `factor` (finite and `>= 0`, else [`GraphError::InvalidDuration`] with
    ///   the factor as value).
    /// - [`Change::Split`]: the module becomes N modules named `NAME#1/N` ...
    ///   `NAME#N/N`, each with duration `d / N` (metadata time `meta / N`)
    ///   and all of the module's dependencies; every dependent depends on all
    ///   parts over the same edge kind. Splitting again multiplies the number
    ///   of parts; `Set` and `Scale` after a split apply to the whole module
    ///   (the parts share the result). `parts == 0` is treated as 1.
    ///
    /// Ids of the changed graph: every module keeps its id, a split module's
    /// first part takes its id and the other parts are appended after all
    /// original modules (in order of id, then part). Errors of the rebuilt
    /// graph (e.g. a part name that collides with an existing module) are
    /// returned as they are.
    ///
    /// # Panics
    /// If a change names a module that is not in this graph.
    pub fn what_if(&self, changes: &[Change]) -> Result<WhatIf, GraphError> {
        let n = self.len();
        let mut dur: Vec<f64> = self.modules().map(|m| m.duration_s).collect();
        let mut meta: Vec<Option<f64>> = self.modules().map(|m| m.metadata_s).collect();
        let mut parts: Vec<u32> = vec![1; n];
        for change in changes {
            match *change {
                Change::Set { module, seconds } => {
                    let i = module.index();
                    if !(seconds.is_finite() && seconds >= 0.0) {
                        return Err(GraphError::InvalidDuration {
                            module: self.name(module).to_owned(),
                            value: seconds,
                        });
                    }
                    let old = dur[i];
                    meta[i] = meta[i].map(|m| {
                        if old > 0.0 {
                            (m / old * seconds).min(seconds)
                        } else {
                            m.min(seconds)
                        }
                    });
                    dur[i] = seconds;
                }
                Change::Scale { module, factor } => {
                    let i = module.index();
                    let new = dur[i] * factor;
                    if !(factor.is_finite() && factor >= 0.0 && new.is_finite()) {
                        return Err(GraphError::InvalidDuration {
                            module: self.name(module).to_owned(),
                            value: factor,
                        });
                    }
                    meta[i] = meta[i].map(|m| (m * factor).min(new));
                    dur[i] = new;
                }
                Change::Split { module, parts: p } => {
                    let i = module.index();
                    parts[i] = parts[i].checked_mul(p.max(1)).ok_or(GraphError::TooLarge)?;
                }
            }
        }

        // Names of the parts of split modules.
        let part_names: Vec<Vec<String>> = self
            .ids()
            .map(|v| {
                let k = parts[v.index()];
                if k == 1 {
                    Vec::new()
                } else {
                    (1..=k)
                        .map(|j| format!("{}#{j}/{k}", self.name(v)))
                        .collect()
                }
            })
            .collect();
        let deps_of = |v: crate::ModuleId| -> Vec<Dep> {
            let mut out = Vec::with_capacity(self.deps(v).len());
            for a in self.deps(v) {
                let names = &part_names[a.module.index()];
                if names.is_empty() {
                    out.push(Dep {
                        name: self.name(a.module).to_owned(),
                        kind: a.kind,
                    });
                } else {
                    out.extend(names.iter().map(|name| Dep {
                        name: name.clone(),
                        kind: a.kind,
                    }));
                }
            }
            out
        };
        let part_module = |v: crate::ModuleId, j: usize| {
            let i = v.index();
            let k = f64::from(parts[i]);
            let mut m = self.module(v).clone();
            m.name = part_names[i][j].clone();
            m.duration_s = dur[i] / k;
            m.metadata_s = meta[i].map(|x| x / k);
            m
        };

        let mut b = GraphBuilder::with_capacity(n);
        for v in self.ids() {
            let i = v.index();
            let m = if parts[i] == 1 {
                let mut m = self.module(v).clone();
                m.duration_s = dur[i];
                m.metadata_s = meta[i];
                m
            } else {
                part_module(v, 0)
            };
            b.add(m, deps_of(v));
        }
        for v in self.ids() {
            for j in 1..parts[v.index()] as usize {
                b.add(part_module(v, j), deps_of(v));
            }
        }
        let graph = b.build()?;
        let before = self.critical_path();
        let after = graph.critical_path();
        let saved_s = before.length_s - after.length_s;
        Ok(WhatIf {
            graph,
            before,
            after,
            saved_s,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::cpm::test_util::*;
    use crate::Change;
    use crate::graph::{DepKind, GraphError, ModuleId};

    #[test]
    fn set_and_scale() {
        let g = diamond();
        let b = ModuleId(1);
        let w = g
            .what_if(&[Change::Set {
                module: b,
                seconds: 1.0,
            }])
            .unwrap();
        // a c d = 4 now.
        assert_eq!(w.before.length_s, 7.0);
        assert_eq!(w.after.length_s, 4.0);
        assert_eq!(w.saved_s, 3.0);
        assert_eq!(w.graph.duration(b), 1.0);
        let w = g
            .what_if(&[Change::Scale {
                module: b,
                factor: 0.5,
            }])
            .unwrap();
        assert_eq!(w.after.length_s, 4.5);
        assert_eq!(w.saved_s, 2.5);
        // In order: set then scale.
        let w = g
            .what_if(&[
                Change::Set {
                    module: b,
                    seconds: 8.0,
                },
                Change::Scale {
                    module: b,
                    factor: 0.25,
                },
            ])
            .unwrap();
        assert_eq!(w.graph.duration(b), 2.0);
        assert_eq!(w.after.length_s, 4.0);
        // No changes: same.
        let w = g.what_if(&[]).unwrap();
        assert_eq!(w.saved_s, 0.0);
    }

    #[test]
    fn invalid_values() {
        let g = diamond();
        for seconds in [-1.0, f64::NAN, f64::INFINITY] {
            let e = g
                .what_if(&[Change::Set {
                    module: ModuleId(0),
                    seconds,
                }])
                .unwrap_err();
            assert!(matches!(e, GraphError::InvalidDuration { ref module, .. } if module == "a"));
        }
        for factor in [-0.5, f64::NAN, f64::INFINITY] {
            let e = g
                .what_if(&[Change::Scale {
                    module: ModuleId(0),
                    factor,
                }])
                .unwrap_err();
            assert!(matches!(e, GraphError::InvalidDuration { .. }));
        }
    }

    #[test]
    fn metadata_follows_duration() {
        // a(10, meta 4) ~> b(6): 10 (a) vs 4+6.
        let g = graph(&[("a", 10.0, Some(4.0), &[]), ("b", 6.0, None, &["~a"])]);
        let a = ModuleId(0);
        let w = g
            .what_if(&[Change::Set {
                module: a,
                seconds: 5.0,
            }])
            .unwrap();
        assert_eq!(w.graph.module(a).metadata_s, Some(2.0));
        assert_eq!(w.after.length_s, 8.0);
        let w = g
            .what_if(&[Change::Scale {
                module: a,
                factor: 2.0,
            }])
            .unwrap();
        assert_eq!(w.graph.module(a).metadata_s, Some(8.0));
        assert_eq!(w.after.length_s, 20.0);
        // From 0, metadata stays within the new duration.
        let w = g
            .what_if(&[
                Change::Set {
                    module: a,
                    seconds: 0.0,
                },
                Change::Set {
                    module: a,
                    seconds: 3.0,
                },
            ])
            .unwrap();
        assert_eq!(w.graph.module(a).metadata_s, Some(0.0));
        assert_eq!(w.after.length_s, 6.0);
    }

    #[test]
    fn split_halves_contribution() {
        let g = diamond();
        let b = ModuleId(1);
        let w = g
            .what_if(&[Change::Split {
                module: b,
                parts: 2,
            }])
            .unwrap();
        let ng = &w.graph;
        assert_eq!(ng.len(), 5);
        assert_eq!(ng.name(b), "b#1/2");
        assert_eq!(ng.name(ModuleId(4)), "b#2/2");
        assert_eq!(ng.duration(b), 2.5);
        assert_eq!(ng.duration(ModuleId(4)), 2.5);
        // Both parts depend on a; d depends on both parts and c.
        assert_eq!(ng.deps(ModuleId(4)).len(), 1);
        assert_eq!(ng.deps(ModuleId(3)).len(), 3);
        // a + 2.5 + d = 4.5.
        assert_eq!(w.after.length_s, 4.5);
        assert_eq!(w.saved_s, 2.5);
        // Splitting twice multiplies the parts.
        let w = g
            .what_if(&[
                Change::Split {
                    module: b,
                    parts: 2,
                },
                Change::Split {
                    module: b,
                    parts: 2,
                },
            ])
            .unwrap();
        assert_eq!(w.graph.len(), 7);
        assert_eq!(w.graph.name(ModuleId(6)), "b#4/4");
        assert_eq!(w.graph.duration(ModuleId(6)), 1.25);
        // a b d would be 3.25, but a c d (4) is critical now.
        assert_eq!(w.after.length_s, 4.0);
    }

    #[test]
    fn split_keeps_edge_kinds_and_metadata() {
        // a(10, meta 4) ~> b(6). Split a in 2: parts 5 (meta 2); b at 2 -> 8.
        let g = graph(&[("a", 10.0, Some(4.0), &[]), ("b", 6.0, None, &["~a"])]);
        let w = g
            .what_if(&[Change::Split {
                module: ModuleId(0),
                parts: 2,
            }])
            .unwrap();
        assert_eq!(w.graph.module(ModuleId(2)).metadata_s, Some(2.0));
        assert!(
            w.graph
                .deps(ModuleId(1))
                .iter()
                .all(|a| a.kind == DepKind::Metadata)
        );
        assert_eq!(w.graph.deps(ModuleId(1)).len(), 2);
        assert_eq!(w.after.length_s, 8.0);
        assert_eq!(w.saved_s, 2.0);
    }
}
