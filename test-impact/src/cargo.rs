//! The package graph of a Cargo workspace at two commits, through guppy,
//! and which packages' builds differ between them, through determinator.
//!
//! INTERFACE STUB: the bodies are being written; the signatures are the
//! contract the rest of the crate codes against.

use std::path::Path;

use anyhow::Result;
use depgraph::ModuleGraph;

/// A workspace member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// The package name (unique within a workspace).
    pub name: String,
    /// The directory of its `Cargo.toml`, relative to the workspace root,
    /// `/`-separated; `""` for a package at the root.
    pub dir: String,
    /// Its test binaries as nextest names them: `NAME` for the lib's unit
    /// tests, `NAME::bin/BIN`, `NAME::TEST` for `tests/TEST.rs`, ... Sorted.
    pub test_binaries: Vec<String>,
}

/// A workspace member whose build differs between base and head although
/// none of its own files changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildChanged {
    pub name: String,
    /// One line for a human, e.g. "resolved dependencies changed: regex
    /// 1.10.2 -> 1.10.3" or "enabled features changed" or "new package".
    pub why: String,
}

/// The two package graphs, compared.
#[derive(Debug)]
pub struct Comparison {
    /// Members at head, sorted by name.
    pub packages: Vec<Package>,
    /// Members at base that are gone at head: their directories, to own the
    /// files deleted with them. Sorted by name.
    pub removed: Vec<Package>,
    /// Members at head, with an edge from each to every member it depends
    /// on (normal, build or dev dependency, on any platform, directly or
    /// through non-member packages). Durations are 0; `path` is the dir.
    pub graph: ModuleGraph,
    /// Members whose build summary (the packages and features Cargo would
    /// build for them, dev-dependencies included) differs between base and
    /// head, per determinator; members new at head. Sorted by name.
    pub build_changed: Vec<BuildChanged>,
}

/// Runs `cargo metadata --format-version 1` in `dir` (with `$CARGO`, or
/// `cargo`), returning its JSON. Error, one line: the command and the last
/// line of cargo's stderr.
pub fn metadata(dir: &Path) -> Result<String> {
    let _ = dir;
    unimplemented!()
}

/// Compares the workspace at base with the workspace at head, each given
/// as `cargo metadata` JSON; `base_root` and `head_root` are the workspace
/// roots those were produced in (to make paths relative).
pub fn compare(
    base_json: &str,
    base_root: &Path,
    head_json: &str,
    head_root: &Path,
) -> Result<Comparison> {
    let _ = (base_json, base_root, head_json, head_root);
    unimplemented!()
}
