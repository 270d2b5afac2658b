//! The owner teams of each module, from CODEOWNERS: what `analyze
//! --codeowners`, `owners` and the TUI's team filter share.

use std::collections::HashMap;

use depgraph::{ModuleGraph, ModuleId};

/// The owner teams of every module, from CODEOWNERS: teams interned and
/// sorted, so filtering 100,000 modules compares integers.
#[derive(Debug)]
pub(crate) struct Owners {
    teams: Vec<String>,
    of_module: Vec<Box<[u32]>>,
}

impl Owners {
    /// Owners of each module's [`depgraph::Module::path`] (none without a
    /// path), as `owners_of` reports them for a repository-relative path.
    pub(crate) fn build(g: &ModuleGraph, owners_of: impl Fn(&str) -> Vec<String>) -> Owners {
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut teams: Vec<String> = Vec::new();
        let mut of_module: Vec<Box<[u32]>> = g
            .modules()
            .map(|m| {
                let Some(path) = &m.path else {
                    return Box::default();
                };
                owners_of(path)
                    .into_iter()
                    .map(|t| {
                        *index.entry(t).or_insert_with_key(|t| {
                            teams.push(t.clone());
                            (teams.len() - 1) as u32
                        })
                    })
                    .collect()
            })
            .collect();
        // Alphabetical, so `o` cycles in a predictable order.
        let mut order: Vec<u32> = (0..teams.len() as u32).collect();
        order.sort_by(|&a, &b| teams[a as usize].cmp(&teams[b as usize]));
        let mut rank = vec![0u32; teams.len()];
        for (r, &t) in order.iter().enumerate() {
            rank[t as usize] = r as u32;
        }
        for owners in &mut of_module {
            for t in owners.iter_mut() {
                *t = rank[*t as usize];
            }
        }
        let teams = order.iter().map(|&t| teams[t as usize].clone()).collect();
        Owners { teams, of_module }
    }

    pub(crate) fn teams(&self) -> &[String] {
        &self.teams
    }

    /// The owners of a module, as named in CODEOWNERS.
    pub(crate) fn of(&self, id: ModuleId) -> impl Iterator<Item = &str> {
        self.of_module[id.index()]
            .iter()
            .map(|&t| self.teams[t as usize].as_str())
    }

    pub(crate) fn owns(&self, team: usize, id: ModuleId) -> bool {
        self.of_module[id.index()].contains(&(team as u32))
    }
}
