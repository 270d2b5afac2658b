//! `--codeowners FILE`, shared by `analyze` and `tui`: a CODEOWNERS file in
//! GitHub's syntax, and the owners of every module by its `path`.

use std::path::Path;

use codeowners::{CodeOwners, Dialect};
use depgraph::ModuleGraph;

use crate::owners::Owners;

/// The owners of every module, by its `path` (a repository-relative
/// directory, owned like the files directly in it), from a CODEOWNERS file in GitHub's
/// syntax. Modules without a path have no owners. Skipped lines are
/// reported on stderr as warnings naming the file.
pub(crate) fn load(path: &Path, graph: &ModuleGraph) -> anyhow::Result<Owners> {
    // The error names the file already: `--codeowners FILE: cannot read ...`.
    let (codeowners, warnings) =
        CodeOwners::load(path, Dialect::GitHub).map_err(|e| anyhow::anyhow!("--codeowners {e}"))?;
    for w in &warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(Owners::build(graph, |p| {
        codeowners
            .owners_of_dir(p)
            .into_iter()
            .map(str::to_owned)
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use depgraph::{Dep, GraphBuilder, Module};

    #[test]
    fn owners_come_from_the_module_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("CODEOWNERS");
        std::fs::write(
            &file,
            "* @org/everyone\n/libs/ @org/platform @alice\n/apps/legacy/\n",
        )
        .unwrap();
        let mut b = GraphBuilder::new();
        for (name, path) in [
            ("core", Some("libs/core")),
            ("app", Some("apps/app")),
            ("old", Some("apps/legacy/old")),
            ("gen", None),
        ] {
            let mut m = Module::new(name, 1.0);
            m.path = path.map(str::to_owned);
            b.add(m, Vec::<Dep>::new());
        }
        let g = b.build().unwrap();
        let owners = load(&file, &g).unwrap();
        let of = |name: &str| owners.of(g.find(name).unwrap()).collect::<Vec<_>>();
        assert_eq!(of("core"), ["@org/platform", "@alice"]);
        assert_eq!(of("app"), ["@org/everyone"]);
        assert!(of("old").is_empty(), "a rule without owners unowns");
        assert!(of("gen").is_empty(), "no path, no owners");
        assert_eq!(owners.teams(), ["@alice", "@org/everyone", "@org/platform"]);

        let err = load(&dir.path().join("missing"), &g).unwrap_err();
        assert!(format!("{err:#}").contains("missing"), "{err:#}");
    }
}
