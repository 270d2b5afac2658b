//! Which module a file belongs to: the module with the most specific
//! (longest) path that is the file itself or one of its ancestor folders.
//!
//! Paths are relative to the repository root and `/`-separated. A module
//! path of `""` or `"."` is the root: it owns every file no deeper module
//! owns. Lookup walks the file's ancestors from the deepest, one hash
//! lookup each, so it costs the path's depth, not the number of modules.

use std::collections::HashMap;

use crate::graph::{ModuleGraph, ModuleId};

/// Maps paths to the modules that own them.
#[derive(Clone, Debug, Default)]
pub struct PathIndex {
    by_path: HashMap<String, Vec<ModuleId>>,
}

/// `path` without `./` prefixes and trailing `/`; `"."` becomes `""`.
pub fn normalize(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    let p = p.trim_end_matches('/');
    if p == "." { "" } else { p }
}

/// Why a module's `path` cannot name a folder of the repository, if it
/// cannot: absolute, climbing out with `..`, a glob, or `\\`-separated.
/// `""` and `.` (the root) are fine.
pub fn problem(path: &str) -> Option<&'static str> {
    let bytes = path.as_bytes();
    if path.starts_with('/')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
    {
        return Some("is absolute; expected a folder relative to the repository root");
    }
    if path.contains('\\') {
        return Some("has a `\\`; expected `/`-separated components");
    }
    if path.split('/').any(|c| c == "..") {
        return Some("has a `..` component; expected a folder inside the repository");
    }
    if path.contains(['*', '?', '[', ']', '{', '}']) {
        return Some("is a glob; expected one folder or file (list several in `paths`)");
    }
    None
}

impl PathIndex {
    /// An index of `(module, path)` pairs; a module may have several paths,
    /// and several modules may share one (all of them own its files).
    pub fn new<'a>(entries: impl IntoIterator<Item = (ModuleId, &'a str)>) -> Self {
        let mut by_path: HashMap<String, Vec<ModuleId>> = HashMap::new();
        for (id, path) in entries {
            let ids = by_path.entry(normalize(path).to_owned()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        PathIndex { by_path }
    }

    /// The index of every module's `path` and `paths` in a graph.
    pub fn of_graph(graph: &ModuleGraph) -> Self {
        Self::new(
            graph
                .ids()
                .flat_map(|id| graph.module(id).all_paths().map(move |p| (id, p))),
        )
    }

    /// Whether no module has a path.
    pub fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// The modules owning `file`, with the path that matched: the deepest of
    /// `file` itself and its ancestor folders that some module has.
    pub fn owner(&self, file: &str) -> Option<(&str, &[ModuleId])> {
        let mut p = normalize(file);
        loop {
            if let Some((path, ids)) = self.by_path.get_key_value(p) {
                return Some((path.as_str(), ids.as_slice()));
            }
            if p.is_empty() {
                return None;
            }
            p = match p.rfind('/') {
                Some(i) => &p[..i],
                None => "",
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(entries: &[(u32, &str)]) -> PathIndex {
        PathIndex::new(entries.iter().map(|&(i, p)| (ModuleId(i), p)))
    }

    fn owner(ix: &PathIndex, file: &str) -> Option<(String, Vec<u32>)> {
        ix.owner(file)
            .map(|(p, ids)| (p.to_owned(), ids.iter().map(|id| id.0).collect()))
    }

    #[test]
    fn the_deepest_matching_path_wins() {
        let ix = index(&[
            (0, "libs"),
            (1, "libs/core/"),
            (2, "./libs/core/gen"),
            (3, "BUILD"),
        ]);
        assert_eq!(
            owner(&ix, "libs/core/src/a.rs"),
            Some(("libs/core".into(), vec![1]))
        );
        assert_eq!(
            owner(&ix, "libs/core/gen/x.rs"),
            Some(("libs/core/gen".into(), vec![2]))
        );
        assert_eq!(
            owner(&ix, "libs/other/y.rs"),
            Some(("libs".into(), vec![0]))
        );
        // A path matches whole segments only: libs/core does not own libs/corex.
        assert_eq!(
            owner(&ix, "libs/corex/a.rs"),
            Some(("libs".into(), vec![0]))
        );
        assert_eq!(owner(&ix, "BUILD"), Some(("BUILD".into(), vec![3])));
        assert_eq!(owner(&ix, "BUILD.bazel"), None);
        assert_eq!(owner(&ix, "docs/a.md"), None);
    }

    #[test]
    fn the_root_owns_what_nothing_deeper_owns_and_shared_paths_have_all_owners() {
        let ix = index(&[(0, "."), (1, "app"), (2, "app"), (1, "app/")]);
        assert_eq!(owner(&ix, "README.md"), Some(("".into(), vec![0])));
        assert_eq!(owner(&ix, "app/main.rs"), Some(("app".into(), vec![1, 2])));
        assert_eq!(normalize("././a/b//"), "a/b");
        assert_eq!(normalize("./"), "");
    }
}
