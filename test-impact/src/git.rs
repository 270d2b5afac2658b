//! What changed, read from the repository with git2 (no `git` process).
//!
//! INTERFACE STUB: the bodies are being written; the signatures are the
//! contract the rest of the crate codes against.

use std::path::Path;

use anyhow::Result;
use git2::Oid;

/// An opened repository (with or without a work tree).
pub struct Repo {
    repo: git2::Repository,
}

impl Repo {
    /// Opens the repository containing `dir` (searching upward, like git).
    /// Error, one line: "`DIR` is not inside a git repository".
    pub fn discover(dir: &Path) -> Result<Repo> {
        let _ = dir;
        unimplemented!()
    }

    /// The root of the work tree; `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The commit a revision names (`main`, `origin/main`, `HEAD~3`, a sha).
    /// Error, one line: "revision `REV` not found in REPO; expected a branch,
    /// tag or commit (is it fetched?)".
    pub fn resolve(&self, rev: &str) -> Result<Oid> {
        let _ = rev;
        unimplemented!()
    }

    /// The merge-base of two commits, or `None` when there is none in the
    /// local object database (a shallow clone cut it off, or unrelated
    /// histories).
    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        let _ = (a, b);
        unimplemented!()
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The paths that differ between the trees of two commits, as
    /// `git diff --name-only from to` with renames off: both paths of a
    /// rename, deleted files, a submodule's path when its pointer moved.
    /// Sorted, without duplicates, `/`-separated, relative to the root.
    pub fn diff_paths(&self, from: Oid, to: Oid) -> Result<Vec<String>> {
        let _ = (from, to);
        unimplemented!()
    }

    /// Staged, unstaged and untracked (not ignored) paths of the work tree
    /// against HEAD; both paths of a rename. Sorted, without duplicates.
    pub fn uncommitted_paths(&self) -> Result<Vec<String>> {
        unimplemented!()
    }

    /// The last `n` commits of `head`'s first-parent history, newest first,
    /// each with its first parent (`None` for a root commit).
    pub fn first_parent_history(&self, head: Oid, n: usize) -> Result<Vec<(Oid, Option<Oid>)>> {
        let _ = (head, n);
        unimplemented!()
    }

    /// The bytes of `path` in `commit`'s tree, or `None` if absent.
    pub fn read_file_at(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let _ = (commit, path);
        unimplemented!()
    }

    /// Writes what `cargo metadata` needs from `commit`'s tree into `dest`
    /// (an empty directory): every `Cargo.toml` and `Cargo.lock`, files
    /// under `.cargo/` directories, `rust-toolchain*`, with their content;
    /// and every other `*.rs` file as an empty placeholder (only its
    /// existence matters, for target discovery). The user's checkout is not
    /// touched. Returns the number of files written.
    pub fn materialize_cargo_tree(&self, commit: Oid, dest: &Path) -> Result<usize> {
        let _ = (commit, dest);
        unimplemented!()
    }

    /// A stable key of the files `materialize_cargo_tree` would write
    /// (their paths and blob ids): two commits with the same key have the
    /// same Cargo package graph, so `evaluate` computes it once.
    pub fn cargo_tree_key(&self, commit: Oid) -> Result<Oid> {
        let _ = commit;
        unimplemented!()
    }
}

/// Reads a list of changed paths, one per line, from `FILE` or stdin (`-`).
/// Blank lines are skipped; `\r\n` is accepted; a leading `./` is removed.
/// Error, one line, naming the file.
pub fn read_changed_files(source: &Path) -> Result<Vec<String>> {
    let _ = source;
    unimplemented!()
}
