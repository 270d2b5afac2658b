//! What changed, read from the repository with git2 (no `git` process).
//!
//! Everything here reads the object database directly: a diff between two
//! commits compares their trees (never a blob), and the Cargo files of an old
//! commit are written from its tree into a scratch directory, so the user's
//! checkout is never touched.
//!
//! Every error is one line that names the repository, the revision or the
//! path, and what was expected: the CLI prints it after `test-impact: error:`.

use cli_support::escape_controls;
use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use git2::{DiffOptions, ErrorCode, ObjectType, Oid, StatusOptions};
use rayon::prelude::*;

/// Git's file modes, as stored in tree entries.
const MODE_TREE: i32 = 0o040000;
const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

/// How many symlinks in a row `materialize_cargo_tree` follows to reach a
/// manifest's content before it gives up on a loop.
const MAX_LINK_HOPS: usize = 8;

/// An opened repository (with or without a work tree).
pub struct Repo {
    repo: git2::Repository,
}

impl Repo {
    /// Opens the repository containing `dir` (searching upward, like git).
    /// A bare repository opens too; then [`Repo::workdir`] is `None`.
    /// Error, one line: "`DIR` is not inside a git repository".
    pub fn discover(dir: &Path) -> Result<Repo> {
        match git2::Repository::discover(dir) {
            Ok(repo) => Ok(Repo { repo }),
            Err(_) if !dir.exists() => bail!(
                "{} does not exist; expected a directory inside a git repository",
                quote_path(dir)
            ),
            Err(e) if e.code() == ErrorCode::NotFound => {
                bail!("{} is not inside a git repository", quote_path(dir))
            }
            Err(e) => bail!(
                "cannot open the git repository containing {}: {}",
                quote_path(dir),
                git_message(&e)
            ),
        }
    }

    /// The root of the work tree; `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The commit a revision names (`main`, `origin/main`, `HEAD~3`, a sha).
    /// An annotated tag is peeled to its commit.
    /// Error, one line: "revision `REV` not found in REPO; expected a branch,
    /// tag or commit (is it fetched?)".
    pub fn resolve(&self, rev: &str) -> Result<Oid> {
        let object = match self.repo.revparse_single(rev) {
            Ok(object) => object,
            Err(e) if e.code() == ErrorCode::Ambiguous => bail!(
                "revision {} is ambiguous in {}; expected a branch, tag or commit \
                 (give more digits of the sha, or a full ref name)",
                quote(rev),
                self.name()
            ),
            Err(e) if e.code() == ErrorCode::InvalidSpec && rev.contains("..") => bail!(
                "revision {} in {} is a range; expected a single branch, tag or commit",
                quote(rev),
                self.name()
            ),
            // InvalidSpec too: `HEAD~3` past a root commit or a shallow
            // boundary, or a name no ref could have.
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => bail!(
                "revision {} not found in {}; expected a branch, tag or commit (is it fetched?)",
                quote(rev),
                self.name()
            ),
            Err(e) => bail!(
                "cannot resolve revision {} in {}: {}; expected a branch, tag or commit",
                quote(rev),
                self.name(),
                git_message(&e)
            ),
        };
        match object.peel_to_commit() {
            Ok(commit) => Ok(commit.id()),
            Err(_) => bail!(
                "revision {} in {} names a {}, not a commit; expected a branch, tag or commit",
                quote(rev),
                self.name(),
                object.kind().map_or("non-commit object", |kind| kind.str())
            ),
        }
    }

    /// The merge-base of two commits, or `None` when there is none in the
    /// local object database (a shallow clone cut it off, or unrelated
    /// histories). Error if either commit is not in the object database.
    pub fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        // Checked first so that a missing commit is an error, not a `None`:
        // libgit2 says NotFound for both.
        self.commit(a)?;
        self.commit(b)?;
        match self.repo.merge_base(a, b) {
            Ok(base) => Ok(Some(base)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => bail!(
                "cannot compute the merge-base of {a} and {b} in {}: {}",
                self.name(),
                git_message(&e)
            ),
        }
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The paths that differ between the trees of two commits, as
    /// `git diff --name-only from to` with renames off: both paths of a
    /// rename, deleted files, a submodule's path when its pointer moved.
    /// Sorted, without duplicates, `/`-separated, relative to the root.
    ///
    /// Only trees are read, never blobs, so the cost follows the number of
    /// entries, not the size of the files. A path that is not UTF-8 is
    /// converted lossily (its directories, which decide the owning module,
    /// are usually intact).
    pub fn diff_paths(&self, from: Oid, to: Oid) -> Result<Vec<String>> {
        let old = self.tree_of(from)?;
        let new = self.tree_of(to)?;
        let mut opts = DiffOptions::new();
        opts.skip_binary_check(true)
            .include_typechange(true)
            .ignore_submodules(false)
            .update_index(false);
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old), Some(&new), Some(&mut opts))
            .map_err(|e| {
                anyhow!(
                    "cannot diff {from} against {to} in {}: {}",
                    self.name(),
                    git_message(&e)
                )
            })?;
        // No `find_similar`: a rename stays a deletion plus an addition.
        let mut paths = Vec::with_capacity(diff.deltas().len());
        for delta in diff.deltas() {
            let (old, new) = (delta.old_file(), delta.new_file());
            // A submodule moved from one commit to another: the files that
            // changed inside it, when its checkout has both; else its path
            // (which no package owns: everything, to be safe).
            if old.mode() == git2::FileMode::Commit
                && new.mode() == git2::FileMode::Commit
                && let Some(path) = new.path().and_then(|p| p.to_str())
                && let Some(sub) = self.submodule(path, new.id())
                && sub.repo.find_commit(old.id()).is_ok()
                && let Ok(inside) = sub.diff_paths(old.id(), new.id())
            {
                paths.extend(inside.into_iter().map(|p| format!("{path}/{p}")));
                continue;
            }
            push_delta_paths(&mut paths, &delta);
        }
        Ok(sorted_unique(paths))
    }

    /// The checkout of the submodule at `path` of the work tree, if it is
    /// checked out and holds `commit`.
    fn submodule(&self, path: &str, commit: Oid) -> Option<Repo> {
        let dir = self.repo.workdir()?.join(path);
        let repo = git2::Repository::open(&dir).ok()?;
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        // Not the superproject itself (an uninitialised submodule is an
        // empty folder, which does not open).
        if !repo.workdir().is_some_and(|w| same(w, &dir)) {
            return None;
        }
        repo.find_commit(commit).ok()?;
        Some(Repo { repo })
    }

    /// Staged, unstaged and untracked (not ignored) paths of the work tree
    /// against HEAD; both paths of a rename. Sorted, without duplicates.
    ///
    /// The paths `git status --porcelain --untracked-files=all` lists, with
    /// rename detection off. Error for a bare repository.
    pub fn uncommitted_paths(&self) -> Result<Vec<String>> {
        if self.repo.is_bare() {
            bail!(
                "{} is a bare repository; expected a work tree to read uncommitted changes from",
                self.name()
            );
        }
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .include_unmodified(false)
            .exclude_submodules(false)
            .renames_head_to_index(false)
            .renames_index_to_workdir(false)
            .update_index(false);
        let statuses = self.repo.statuses(Some(&mut opts)).map_err(|e| {
            anyhow!(
                "cannot read the status of the work tree of {}: {}",
                self.name(),
                git_message(&e)
            )
        })?;
        let mut paths = Vec::with_capacity(statuses.len());
        for entry in statuses.iter() {
            if entry.status().is_empty() || entry.status().is_ignored() {
                continue;
            }
            paths.push(lossy(entry.path_bytes()));
            // With renames off these repeat `path`; kept so that a rename,
            // should libgit2 ever pair one, still yields both paths.
            for delta in [entry.head_to_index(), entry.index_to_workdir()]
                .into_iter()
                .flatten()
            {
                push_delta_paths(&mut paths, &delta);
            }
        }
        Ok(sorted_unique(paths))
    }

    /// The last `n` commits of `head`'s first-parent history, newest first,
    /// each with its first parent (`None` for a root commit).
    ///
    /// A parent that is not in the object database (the boundary of a
    /// shallow clone) counts as no parent, as `git log` shows it: the walk
    /// ends there.
    pub fn first_parent_history(&self, head: Oid, n: usize) -> Result<Vec<(Oid, Option<Oid>)>> {
        let mut history = Vec::with_capacity(n.min(1024));
        let mut next = Some(self.commit(head)?);
        while history.len() < n {
            let Some(commit) = next.take() else { break };
            // `parent(0)` fails for a root, for a commit at a shallow clone's
            // boundary (libgit2 reads `.git/shallow` and reports no parents),
            // and for a parent missing from the object database; either way
            // there is nothing further to walk.
            let parent = commit.parent(0).ok();
            history.push((commit.id(), parent.as_ref().map(git2::Commit::id)));
            next = parent;
        }
        Ok(history)
    }

    /// The bytes of `path` in `commit`'s tree, or `None` if absent.
    ///
    /// `path` is `/`-separated and relative to the root. A directory or a
    /// submodule is not a file: `None`. A symlink's bytes are its target.
    /// Error for a path that cannot name a file (empty, absolute, or with
    /// `.`, `..` or empty components).
    pub fn read_file_at(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>> {
        let components = split_repo_path(path).ok_or_else(|| {
            anyhow!(
                "cannot read {} at {commit} in {}: expected a relative `/`-separated path \
                 without `.` or `..` components",
                quote(path),
                self.name()
            )
        })?;
        let tree = self.tree_of(commit)?;
        match self.lookup(&tree, &components)? {
            Some((mode, id)) if is_blob_mode(mode) => {
                let blob = self.blob(id, path, commit)?;
                Ok(Some(blob.content().to_vec()))
            }
            _ => Ok(None),
        }
    }

    /// Every regular file of `commit`'s tree whose name ends with
    /// `suffix`, as `(path, blob)`, sorted by path. Submodules and
    /// symlinks are skipped, and so are names that are not UTF-8.
    pub fn files_ending(&self, commit: Oid, suffix: &str) -> Result<Vec<(String, Oid)>> {
        let mut files = Vec::new();
        let mut stack = vec![(String::new(), self.tree_of(commit)?)];
        while let Some((dir, tree)) = stack.pop() {
            for entry in tree.iter() {
                let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                    continue;
                };
                if !is_safe_component(name) {
                    continue;
                }
                let path = format!("{dir}{name}");
                let mode = entry.filemode();
                if mode == MODE_TREE {
                    let subtree = self.repo.find_tree(entry.id()).map_err(|e| {
                        anyhow!(
                            "cannot read directory {} of commit {commit} in {}: {}",
                            quote(&path),
                            self.name(),
                            git_message(&e)
                        )
                    })?;
                    stack.push((path + "/", subtree));
                } else if mode & 0o170000 == 0o100000 && name.ends_with(suffix) {
                    files.push((path, entry.id()));
                }
            }
        }
        files.sort_unstable();
        Ok(files)
    }

    /// The content of a blob read from a tree of `commit` at `path` (both
    /// only for the error).
    pub fn blob_content(&self, id: Oid, path: &str, commit: Oid) -> Result<Vec<u8>> {
        Ok(self.blob(id, path, commit)?.content().to_vec())
    }

    /// The repository's `.git` directory (for caches).
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// Writes what `cargo metadata` needs from `commit`'s tree into `dest`
    /// (an empty directory): every `Cargo.toml` and `Cargo.lock`, files
    /// under `.cargo/` directories, `rust-toolchain*`, with their content;
    /// and every other `*.rs` file as an empty placeholder (only its
    /// existence matters, for target discovery). The user's checkout is not
    /// touched. Returns the number of files written.
    ///
    /// Nothing else is written: no READMEs, no data, no submodules. A
    /// manifest that is a symlink gets the content of the file it points to
    /// in the same commit. A tree entry named `.`, `..` or with a separator
    /// in it is an error, so nothing can be written outside `dest`.
    pub fn materialize_cargo_tree(&self, commit: Oid, dest: &Path) -> Result<usize> {
        let files = self.cargo_files(commit)?;
        // Blobs are read here, on this thread (a `git2::Repository` is not
        // `Sync`); there are few of them. The placeholders are the many.
        let mut contents = Vec::with_capacity(files.len());
        for file in &files {
            contents.push(match &file.content {
                Content::Blob(id) => self.blob(*id, &file.path, commit)?.content().to_vec(),
                Content::Read(_, bytes) => bytes.clone(),
                Content::Placeholder => Vec::new(),
            });
        }
        // Every directory once, parents before children (a string sorts
        // before its extensions, so `a` before `a/b`): one `mkdir` each
        // instead of a `create_dir_all` per file.
        let mut dirs = BTreeSet::new();
        for file in &files {
            let mut dir = file.path.as_str();
            while let Some((parent, _)) = dir.rsplit_once('/') {
                if !dirs.insert(parent) {
                    break;
                }
                dir = parent;
            }
        }
        fs::create_dir_all(dest).map_err(|e| {
            anyhow!(
                "cannot create directory {} for commit {commit}: {e}",
                quote_path(dest)
            )
        })?;
        for dir in dirs {
            let path = dest.join(dir);
            match fs::create_dir(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => bail!(
                    "cannot create directory {} for commit {commit}: {e}",
                    quote_path(&path)
                ),
                _ => {}
            }
        }
        // Creating ten thousand files is most of the time; the file system
        // takes them in parallel.
        files
            .par_iter()
            .zip(contents.par_iter())
            .try_for_each(|(file, content)| {
                let target = dest.join(&file.path);
                let written = if content.is_empty() {
                    fs::File::create(&target).map(drop)
                } else {
                    fs::write(&target, content)
                };
                written.map_err(|e| {
                    anyhow!(
                        "cannot write {} of commit {commit} to {}: {e}",
                        quote(&file.path),
                        quote_path(&target)
                    )
                })
            })?;
        Ok(files.len())
    }

    /// A stable key of the files `materialize_cargo_tree` would write
    /// (their paths and blob ids): two commits with the same key have the
    /// same Cargo package graph, so `evaluate` computes it once.
    ///
    /// A `.rs` placeholder contributes only its path, since it is written
    /// empty: editing a source file keeps the key, adding or moving one
    /// changes it.
    pub fn cargo_tree_key(&self, commit: Oid) -> Result<Oid> {
        let files = self.cargo_files(commit)?;
        let mut buf = Vec::with_capacity(64 + files.len() * 64);
        buf.extend_from_slice(b"test-impact cargo tree v1\n");
        for file in &files {
            // A path never holds NUL, so `path NUL kind` cannot be ambiguous.
            buf.extend_from_slice(file.path.as_bytes());
            buf.push(0);
            match &file.content {
                Content::Blob(id) | Content::Read(id, _) => {
                    buf.push(b'B');
                    buf.extend_from_slice(id.as_bytes());
                }
                Content::Placeholder => buf.push(b'E'),
            }
            buf.push(b'\n');
        }
        Oid::hash_object(ObjectType::Blob, &buf).map_err(|e| {
            anyhow!(
                "cannot hash the Cargo files of {commit}: {}",
                git_message(&e)
            )
        })
    }

    /// The files of `commit` that `materialize_cargo_tree` writes, sorted
    /// by path.
    ///
    /// A hand-written walk rather than `Tree::walk`: git2's walk hands the
    /// directory to the callback as `&str` and aborts the whole walk, with
    /// no path in the error, on a directory name that is not UTF-8. Here
    /// such an entry is skipped with a warning instead.
    fn cargo_files(&self, commit: Oid) -> Result<Vec<CargoFile>> {
        let root = self.tree_of(commit)?;
        let mut files = Vec::new();
        // (directory path with a trailing `/`, or "" for the root; the tree;
        // whether the directory is inside a `.cargo/`)
        let mut stack = vec![(String::new(), root.clone(), false)];
        while let Some((dir, tree, in_dot_cargo)) = stack.pop() {
            for entry in tree.iter() {
                let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                    tracing::warn!(
                        "skipping {}{} in commit {commit}: the name is not UTF-8",
                        dir,
                        lossy(entry.name_bytes())
                    );
                    continue;
                };
                if !is_safe_component(name) {
                    bail!(
                        "tree entry {} in commit {commit} of {} is not a plain file name; \
                         expected no `.`, `..` or path separators",
                        quote(&format!("{dir}{name}")),
                        self.name()
                    );
                }
                let path = format!("{dir}{name}");
                let mode = entry.filemode();
                if mode == MODE_TREE {
                    let subtree = self.repo.find_tree(entry.id()).map_err(|e| {
                        anyhow!(
                            "cannot read directory {} of commit {commit} in {}: {}",
                            quote(&path),
                            self.name(),
                            git_message(&e)
                        )
                    })?;
                    stack.push((path + "/", subtree, in_dot_cargo || name == ".cargo"));
                    continue;
                }
                if mode == MODE_GITLINK {
                    // Members may live in a submodule: its checkout holds
                    // its commits.
                    match self.submodule(&path, entry.id()) {
                        Some(sub) => {
                            for f in sub.cargo_files(entry.id())? {
                                let content = match f.content {
                                    Content::Blob(id) => Content::Read(
                                        id,
                                        sub.blob_content(id, &f.path, entry.id())?,
                                    ),
                                    other => other,
                                };
                                files.push(CargoFile {
                                    path: format!("{path}/{}", f.path),
                                    content,
                                });
                            }
                        }
                        None => tracing::warn!(
                            "submodule {} of commit {commit} is not checked out at {}: its packages are not read (git submodule update --init)",
                            quote(&path),
                            entry.id()
                        ),
                    }
                    continue;
                }
                if !is_blob_mode(mode) {
                    continue;
                }
                let content = if in_dot_cargo || is_cargo_config_name(name) {
                    let id = if mode == MODE_LINK {
                        self.follow_link(&root, &path, entry.id(), commit)?
                    } else {
                        entry.id()
                    };
                    Content::Blob(id)
                } else if name.ends_with(".rs") {
                    Content::Placeholder
                } else {
                    continue;
                };
                files.push(CargoFile { path, content });
            }
        }
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// The blob a symlink at `path` (with target blob `link`) resolves to
    /// inside `root`, following up to `MAX_LINK_HOPS` links.
    fn follow_link(
        &self,
        root: &git2::Tree<'_>,
        path: &str,
        link: Oid,
        commit: Oid,
    ) -> Result<Oid> {
        let mut current = path.to_owned();
        let mut link = link;
        for _ in 0..MAX_LINK_HOPS {
            let target = lossy(self.blob(link, &current, commit)?.content());
            let dir = current.rsplit_once('/').map_or("", |(dir, _)| dir);
            let unresolvable = |why: &str| {
                anyhow!(
                    "{} in commit {commit} of {} is a symlink to {}, {why}; \
                     expected a link to a file in the same commit",
                    quote(path),
                    self.name(),
                    quote(&target)
                )
            };
            let Some(resolved) = resolve_link_target(dir, &target) else {
                return Err(unresolvable("which leaves the repository"));
            };
            let components: Vec<&str> = resolved.iter().map(String::as_str).collect();
            match self.lookup(root, &components)? {
                Some((MODE_LINK, id)) => {
                    current = resolved.join("/");
                    link = id;
                }
                Some((mode, id)) if is_blob_mode(mode) => return Ok(id),
                Some(_) => return Err(unresolvable("which is not a file")),
                None => return Err(unresolvable("which is not in the commit")),
            }
        }
        bail!(
            "{} in commit {commit} of {} is a chain of more than {MAX_LINK_HOPS} symlinks; \
             expected a link to a file",
            quote(path),
            self.name()
        )
    }

    /// The (mode, id) of the entry at `components` under `root`, or `None`.
    fn lookup(&self, root: &git2::Tree<'_>, components: &[&str]) -> Result<Option<(i32, Oid)>> {
        let Some((last, dirs)) = components.split_last() else {
            return Ok(None);
        };
        let mut tree = root.clone();
        for dir in dirs {
            let id = match tree.get_name(dir) {
                Some(entry) if entry.filemode() == MODE_TREE => entry.id(),
                _ => return Ok(None),
            };
            tree = self.repo.find_tree(id).map_err(|e| {
                anyhow!(
                    "cannot read tree {id} (`{}`) in {}: {}",
                    components.join("/"),
                    self.name(),
                    git_message(&e)
                )
            })?;
        }
        Ok(tree.get_name(last).map(|e| (e.filemode(), e.id())))
    }

    fn commit(&self, id: Oid) -> Result<git2::Commit<'_>> {
        self.repo.find_commit(id).map_err(|e| {
            anyhow!(
                "cannot read commit {id} in {}: {}; expected a commit in the object database \
                 (is it fetched?)",
                self.name(),
                git_message(&e)
            )
        })
    }

    fn tree_of(&self, id: Oid) -> Result<git2::Tree<'_>> {
        self.commit(id)?.tree().map_err(|e| {
            anyhow!(
                "cannot read the tree of commit {id} in {}: {}",
                self.name(),
                git_message(&e)
            )
        })
    }

    fn blob(&self, id: Oid, path: &str, commit: Oid) -> Result<git2::Blob<'_>> {
        self.repo.find_blob(id).map_err(|e| {
            anyhow!(
                "cannot read {} (blob {id}) of commit {commit} in {}: {}",
                quote(path),
                self.name(),
                git_message(&e)
            )
        })
    }

    /// The repository as errors name it: its work tree, or its git
    /// directory when bare.
    fn name(&self) -> String {
        let path = self.repo.workdir().unwrap_or_else(|| self.repo.path());
        // libgit2 ends both with a `/`; collecting the components drops it.
        quote_path(&path.components().collect::<PathBuf>())
    }
}

/// A file `materialize_cargo_tree` writes: its path, and the blob to write
/// (`None`: an empty placeholder).
struct CargoFile {
    path: String,
    content: Content,
}

/// What a [`CargoFile`] is written with.
enum Content {
    /// Empty (a `.rs` placeholder).
    Placeholder,
    /// A blob of this repository.
    Blob(Oid),
    /// A blob of a submodule's repository, read already.
    Read(Oid, Vec<u8>),
}

/// How the paths of a changed-file list are separated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Separator {
    /// NUL when the list holds one (`git diff -z --name-only`), else
    /// newline.
    #[default]
    Detect,
    /// NUL only (`-z`).
    Nul,
}

/// Reads a list of changed paths from `FILE` or stdin (`-`): one per line,
/// or NUL-separated (`git diff -z --name-only`, detected, or forced with
/// [`Separator::Nul`]). Sorted, without duplicates.
///
/// Each path is normalised to git's spelling: `\` becomes `/`, `./`, `.`
/// and empty components go, `a/../b` is `b`; a line git quoted
/// (`"caf\303\251.rs"`, core.quotePath) is unquoted; `\r\n`, blank lines
/// and a UTF-8 byte-order mark (PowerShell writes one) are accepted. An
/// absolute path or one that leaves the repository is refused: an error
/// of one line naming the file, the line and the path.
pub(crate) fn read_changed_files(source: &Path, separator: Separator) -> Result<Vec<String>> {
    let stdin = source == Path::new("-");
    let name = if stdin {
        "standard input".to_owned()
    } else {
        quote_path(source)
    };
    let mut bytes = Vec::new();
    let read = if stdin {
        std::io::stdin().lock().read_to_end(&mut bytes).map(drop)
    } else {
        fs::read(source).map(|b| bytes = b)
    };
    read.map_err(|e| anyhow!("cannot read the changed-file list {name}: {e}"))?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let nul = separator == Separator::Nul || bytes.contains(&0);
    let (sep, unit) = if nul { (0, "item") } else { (b'\n', "line") };
    let mut paths = Vec::new();
    for (index, item) in bytes.split(|&b| b == sep).enumerate() {
        let at = format!("{name} {unit} {}", index + 1);
        let item = if nul {
            item
        } else {
            item.strip_suffix(b"\r").unwrap_or(item)
        };
        let unquoted;
        let item = if !nul && item.len() >= 2 && item.starts_with(b"\"") && item.ends_with(b"\"") {
            unquoted = cli_support::git_unquote(item)
                .ok_or_else(|| anyhow!("{at}: a quoted path with a bad escape; expected git's quoting (\\ooo, \\t, \\\", \\\\)"))?;
            &unquoted[..]
        } else {
            item
        };
        let Ok(text) = std::str::from_utf8(item) else {
            bail!("{at} is not valid UTF-8; expected one path per {unit}");
        };
        if text.trim().is_empty() {
            continue;
        }
        paths.push(normalize_listed(text).map_err(|why| anyhow!("{at}: `{text}` {why}"))?);
    }
    Ok(sorted_unique(paths))
}

/// A listed path in git's spelling, or why it is refused.
fn normalize_listed(text: &str) -> std::result::Result<String, &'static str> {
    let text = text.replace('\\', "/");
    let bytes = text.as_bytes();
    if text.starts_with('/')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
    {
        return Err("is absolute; expected a path relative to the repository root");
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("leaves the repository; expected a path inside it");
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("names the repository root; expected a file");
    }
    if parts[0] == ".git" {
        return Err("is inside .git; expected a file of the work tree");
    }
    Ok(parts.join("/"))
}

/// Manifests and toolchain files, written with their content wherever they
/// are in the tree.
fn is_cargo_config_name(name: &str) -> bool {
    matches!(
        name,
        "Cargo.toml" | "Cargo.lock" | "rust-toolchain" | "rust-toolchain.toml"
    )
}

/// Regular, executable and symlink entries: the ones stored as blobs.
fn is_blob_mode(mode: i32) -> bool {
    mode & 0o170000 == 0o100000 || mode == MODE_LINK
}

/// Whether a tree entry's name can be joined under a directory without
/// leaving it.
fn is_safe_component(name: &str) -> bool {
    let windows_special = cfg!(windows) && name.contains(['\\', ':']);
    !(name.is_empty()
        || name == "."
        || name == ".."
        || name.contains(['/', '\0'])
        || windows_special)
}

/// `path` split on `/`, or `None` if it is empty, absolute or has empty,
/// `.` or `..` components.
fn split_repo_path(path: &str) -> Option<Vec<&str>> {
    let components: Vec<&str> = path.split('/').collect();
    let bad = |c: &&str| c.is_empty() || *c == "." || *c == "..";
    (!components.iter().any(bad)).then_some(components)
}

/// Where a symlink in directory `dir` (`""` for the root) pointing at
/// `target` lands, as components from the root; `None` if it is absolute
/// or climbs above the root.
fn resolve_link_target(dir: &str, target: &str) -> Option<Vec<String>> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<String> = dir
        .split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other.to_owned()),
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// Both sides of a delta: for an addition or a deletion libgit2 fills both
/// with the same path, for a rename they differ.
fn push_delta_paths(paths: &mut Vec<String>, delta: &git2::DiffDelta<'_>) {
    for file in [delta.old_file(), delta.new_file()] {
        if let Some(path) = file.path_bytes() {
            paths.push(lossy(path));
        }
    }
}

fn sorted_unique(mut paths: Vec<String>) -> Vec<String> {
    paths.sort_unstable();
    paths.dedup();
    paths
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// git2's own message, on one line, without its `; class=…; code=…` tail.
fn git_message(e: &git2::Error) -> String {
    escape_controls(e.message().trim_end_matches('.')).into_owned()
}

/// `s` in backticks, with control characters escaped so the message stays
/// on one line.
fn quote(s: &str) -> String {
    format!("`{}`", escape_controls(s))
}

fn quote_path(path: &Path) -> String {
    quote(&path.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;

    use git2::{Repository, Signature, Time};
    use tempfile::TempDir;

    use super::*;

    /// What a test tree holds at a path.
    #[derive(Clone, Copy)]
    enum Entry<'a> {
        File(&'a str),
        Bytes(&'a [u8]),
        Link(&'a str),
        Gitlink(Oid),
    }
    use Entry::{Bytes, File, Gitlink, Link};

    fn sig() -> Signature<'static> {
        Signature::new("Test", "test@example.com", &Time::new(1_700_000_000, 0)).unwrap()
    }

    fn init() -> (TempDir, Repository) {
        let dir = TempDir::new().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        repo.set_head("refs/heads/main").unwrap();
        (dir, repo)
    }

    fn open(dir: &TempDir) -> Repo {
        Repo::discover(dir.path()).unwrap()
    }

    fn gitlink_target(n: u8) -> Oid {
        Oid::from_bytes(&[n; 20]).unwrap()
    }

    /// A tree of `(path, mode, id)` entries, subdirectories built recursively.
    fn build_tree(repo: &Repository, entries: &[(String, i32, Oid)]) -> Oid {
        let mut builder = repo.treebuilder(None).unwrap();
        let mut subdirs: BTreeMap<&str, Vec<(String, i32, Oid)>> = BTreeMap::new();
        for (path, mode, id) in entries {
            match path.split_once('/') {
                Some((dir, rest)) => {
                    subdirs
                        .entry(dir)
                        .or_default()
                        .push((rest.to_owned(), *mode, *id))
                }
                None => {
                    builder.insert(path, *id, *mode).unwrap();
                }
            }
        }
        for (dir, sub) in subdirs {
            let id = build_tree(repo, &sub);
            builder.insert(dir, id, MODE_TREE).unwrap();
        }
        builder.write().unwrap()
    }

    fn commit_tree(repo: &Repository, parents: &[Oid], tree: Oid) -> Oid {
        let tree = repo.find_tree(tree).unwrap();
        let parents: Vec<git2::Commit<'_>> = parents
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        repo.commit(None, &sig(), &sig(), "test", &tree, &parents)
            .unwrap()
    }

    /// A commit (not on any branch) whose tree holds exactly `files`.
    fn commit(repo: &Repository, parents: &[Oid], files: &[(&str, Entry<'_>)]) -> Oid {
        let entries: Vec<(String, i32, Oid)> = files
            .iter()
            .map(|(path, entry)| {
                let (mode, id) = match *entry {
                    File(text) => (0o100644, repo.blob(text.as_bytes()).unwrap()),
                    Bytes(bytes) => (0o100644, repo.blob(bytes).unwrap()),
                    Link(target) => (MODE_LINK, repo.blob(target.as_bytes()).unwrap()),
                    Gitlink(id) => (MODE_GITLINK, id),
                };
                ((*path).to_owned(), mode, id)
            })
            .collect();
        let tree = build_tree(repo, &entries);
        commit_tree(repo, parents, tree)
    }

    fn branch(repo: &Repository, name: &str, id: Oid) {
        repo.reference(&format!("refs/heads/{name}"), id, true, "test")
            .unwrap();
    }

    fn error_of<T>(result: Result<T>) -> String {
        let Err(error) = result else {
            panic!("expected an error, got a value")
        };
        let message = format!("{error:#}");
        assert!(!message.contains('\n'), "error is not one line: {message}");
        message
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    // ---- discover ----

    #[test]
    fn discover_finds_the_repository_from_a_subdirectory() {
        let (dir, _repo) = init();
        let sub = dir.path().join("a/b");
        fs::create_dir_all(&sub).unwrap();
        let repo = Repo::discover(&sub).unwrap();
        let workdir = repo.workdir().unwrap().canonicalize().unwrap();
        assert_eq!(workdir, dir.path().canonicalize().unwrap());
    }

    #[test]
    fn discover_outside_a_repository_names_the_directory() {
        let dir = TempDir::new().unwrap();
        let message = error_of(Repo::discover(dir.path()));
        assert_eq!(
            message,
            format!("`{}` is not inside a git repository", dir.path().display())
        );
        let missing = dir.path().join("missing");
        let message = error_of(Repo::discover(&missing));
        assert_eq!(
            message,
            format!(
                "`{}` does not exist; expected a directory inside a git repository",
                missing.display()
            )
        );
    }

    #[test]
    fn discover_opens_a_bare_repository_without_a_workdir() {
        let dir = TempDir::new().unwrap();
        let bare = Repository::init_bare(dir.path()).unwrap();
        let id = commit(&bare, &[], &[("Cargo.toml", File("[workspace]"))]);
        branch(&bare, "main", id);
        let repo = open(&dir);
        assert!(repo.workdir().is_none());
        assert_eq!(repo.resolve(&id.to_string()).unwrap(), id);
        let message = error_of(repo.uncommitted_paths());
        let bare_name = format!("`{}` is a bare repository", dir.path().display());
        assert!(message.starts_with(&bare_name), "{message}");
    }

    // ---- resolve ----

    #[test]
    fn resolve_accepts_branches_tags_shas_and_ancestry() {
        let (dir, git) = init();
        let first = commit(&git, &[], &[("a", File("1"))]);
        let second = commit(&git, &[first], &[("a", File("2"))]);
        branch(&git, "main", second);
        branch(&git, "topic", first);
        let target = git.find_object(first, None).unwrap();
        git.tag("v1", &target, &sig(), "annotated", false).unwrap();
        git.tag_lightweight("light", &target, false).unwrap();
        let repo = open(&dir);

        assert_eq!(repo.resolve("main").unwrap(), second);
        assert_eq!(repo.resolve("HEAD").unwrap(), second);
        assert_eq!(repo.resolve("topic").unwrap(), first);
        assert_eq!(repo.resolve("HEAD~1").unwrap(), first);
        assert_eq!(repo.resolve("v1").unwrap(), first, "annotated tag peeled");
        assert_eq!(repo.resolve("light").unwrap(), first);
        assert_eq!(repo.resolve(&second.to_string()).unwrap(), second);
        assert_eq!(repo.resolve(&second.to_string()[..10]).unwrap(), second);
    }

    #[test]
    fn resolve_errors_name_the_revision_and_the_repository() {
        let (dir, git) = init();
        let first = commit(&git, &[], &[("a", File("1"))]);
        branch(&git, "main", first);
        let repo = open(&dir);
        let name = format!("`{}`", dir.path().display());

        let message = error_of(repo.resolve("origin/main"));
        assert_eq!(
            message,
            format!(
                "revision `origin/main` not found in {name}; expected a branch, tag or commit \
                 (is it fetched?)"
            )
        );
        let message = error_of(repo.resolve("HEAD~5"));
        assert!(
            message.starts_with("revision `HEAD~5` not found in "),
            "{message}"
        );

        let message = error_of(repo.resolve("main^{tree}"));
        assert!(message.contains("names a tree, not a commit"), "{message}");

        let message = error_of(repo.resolve("main..HEAD"));
        assert!(message.contains("is a range"), "{message}");

        let message = error_of(repo.resolve("bad\nname"));
        assert!(message.contains("`bad\\nname`"), "{message}");
    }

    // ---- merge_base ----

    #[test]
    fn merge_base_of_diverged_branches_is_the_fork_point() {
        let (dir, git) = init();
        let root = commit(&git, &[], &[("shared.rs", File("0"))]);
        let fork = commit(&git, &[root], &[("shared.rs", File("1"))]);
        let main1 = commit(
            &git,
            &[fork],
            &[("shared.rs", File("1")), ("main_only.rs", File("m"))],
        );
        let main2 = commit(
            &git,
            &[main1],
            &[("shared.rs", File("1")), ("main_only.rs", File("m2"))],
        );
        let topic = commit(
            &git,
            &[fork],
            &[("shared.rs", File("1")), ("topic.rs", File("t"))],
        );
        let repo = open(&dir);

        assert_eq!(repo.merge_base(main2, topic).unwrap(), Some(fork));
        assert_eq!(repo.merge_base(topic, main2).unwrap(), Some(fork));
        assert_eq!(repo.merge_base(main2, main1).unwrap(), Some(main1));
        // Why callers diff from the merge-base: from the base's tip, the
        // base's own changes would count as the topic's.
        assert_eq!(
            repo.diff_paths(fork, topic).unwrap(),
            strings(&["topic.rs"])
        );
        assert_eq!(
            repo.diff_paths(main2, topic).unwrap(),
            strings(&["main_only.rs", "topic.rs"])
        );
    }

    #[test]
    fn merge_base_of_unrelated_histories_is_none() {
        let (dir, git) = init();
        let one = commit(&git, &[], &[("a", File("1"))]);
        let other = commit(&git, &[], &[("b", File("2"))]);
        let repo = open(&dir);
        assert_eq!(repo.merge_base(one, other).unwrap(), None);
    }

    #[test]
    fn merge_base_of_a_missing_commit_is_an_error() {
        let (dir, git) = init();
        let one = commit(&git, &[], &[("a", File("1"))]);
        let repo = open(&dir);
        let missing = gitlink_target(7);
        let message = error_of(repo.merge_base(one, missing));
        assert!(message.contains(&missing.to_string()), "{message}");
    }

    fn run_git(dir: &Path, args: &[&str]) {
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .expect("the `git` CLI is needed to make a shallow clone");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn merge_base_in_a_shallow_clone_without_the_fork_point_is_none() {
        let (source_dir, git) = init();
        let root = commit(&git, &[], &[("a", File("0"))]);
        let fork = commit(&git, &[root], &[("a", File("1"))]);
        let main = commit(&git, &[fork], &[("a", File("main"))]);
        let topic = commit(&git, &[fork], &[("a", File("topic"))]);
        branch(&git, "main", main);
        branch(&git, "topic", topic);
        assert_eq!(
            open(&source_dir).merge_base(main, topic).unwrap(),
            Some(fork)
        );

        let clone_parent = TempDir::new().unwrap();
        let url = format!("file://{}", source_dir.path().display());
        run_git(
            clone_parent.path(),
            &[
                "clone", "--quiet", "--depth", "1", "--branch", "main", &url, "shallow",
            ],
        );
        let shallow_dir = clone_parent.path().join("shallow");
        run_git(
            &shallow_dir,
            &[
                "fetch",
                "--quiet",
                "--depth",
                "1",
                "origin",
                "topic:refs/remotes/origin/topic",
            ],
        );

        let repo = Repo::discover(&shallow_dir).unwrap();
        assert!(repo.is_shallow());
        assert_eq!(repo.resolve("origin/main").unwrap(), main);
        assert_eq!(repo.resolve("origin/topic").unwrap(), topic);
        assert_eq!(repo.merge_base(main, topic).unwrap(), None);
        // The shallow boundary is where first-parent history ends.
        assert_eq!(
            repo.first_parent_history(main, 5).unwrap(),
            vec![(main, None)]
        );
        let message = error_of(repo.resolve(&fork.to_string()));
        assert!(message.contains("(is it fetched?)"), "{message}");
    }

    // ---- diff_paths ----

    #[test]
    fn diff_paths_lists_every_changed_path_without_rename_detection() {
        let (dir, git) = init();
        let base = commit(
            &git,
            &[],
            &[
                ("Cargo.toml", File("[workspace]")),
                ("src/lib.rs", File("pub fn f() {}")),
                ("src/old_name.rs", File("// moved unchanged")),
                ("docs/README.md", File("docs")),
                ("data/blob.bin", Bytes(&[0, 159, 146, 150, 0, 1])),
                ("vendor/sub", Gitlink(gitlink_target(1))),
                ("vendor/stays", Gitlink(gitlink_target(9))),
                ("link", Link("src/lib.rs")),
                ("thing", File("a file that becomes a directory")),
                ("keep/unchanged.txt", File("same")),
                ("gone.txt", File("deleted")),
            ],
        );
        let head = commit(
            &git,
            &[base],
            &[
                ("Cargo.toml", File("[workspace]\nmembers = []")),
                ("src/lib.rs", File("pub fn f() {}")),
                ("src/new_name.rs", File("// moved unchanged")),
                ("docs/README.md", File("docs")),
                ("data/blob.bin", Bytes(&[0, 159, 146, 150, 0, 2])),
                ("vendor/sub", Gitlink(gitlink_target(2))),
                ("vendor/stays", Gitlink(gitlink_target(9))),
                ("link", File("now a regular file")),
                ("thing/inner.rs", File("")),
                ("keep/unchanged.txt", File("same")),
                ("added/nested/x.rs", File("new")),
            ],
        );
        let repo = open(&dir);
        let expected = strings(&[
            "Cargo.toml",
            "added/nested/x.rs",
            "data/blob.bin",
            "gone.txt",
            "link",
            "src/new_name.rs",
            "src/old_name.rs",
            "thing",
            "thing/inner.rs",
            "vendor/sub",
        ]);
        assert_eq!(repo.diff_paths(base, head).unwrap(), expected);
        assert_eq!(repo.diff_paths(head, base).unwrap(), expected);
        assert!(repo.diff_paths(head, head).unwrap().is_empty());
    }

    #[test]
    fn diff_paths_of_a_missing_commit_names_it() {
        let (dir, git) = init();
        let one = commit(&git, &[], &[("a", File("1"))]);
        let repo = open(&dir);
        let missing = gitlink_target(3);
        let message = error_of(repo.diff_paths(one, missing));
        assert!(message.contains(&missing.to_string()), "{message}");
        assert!(message.contains("is it fetched?"), "{message}");
    }

    // ---- uncommitted_paths ----

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn uncommitted_paths_lists_staged_unstaged_and_untracked_not_ignored() {
        let (dir, git) = init();
        let root = dir.path();
        let tracked = [
            "staged.txt",
            "unstaged.txt",
            "index_rename_from.txt",
            "tree_rename_from.txt",
            "deleted.txt",
            "untouched.txt",
            "src/lib.rs",
        ];
        write(root, ".gitignore", "*.log\nbuild/\n");
        for path in tracked {
            write(root, path, &format!("content of {path}\n"));
        }
        let mut index = git.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = git.find_tree(index.write_tree().unwrap()).unwrap();
        git.commit(Some("HEAD"), &sig(), &sig(), "initial", &tree, &[])
            .unwrap();
        let repo = open(&dir);
        assert_eq!(repo.uncommitted_paths().unwrap(), Vec::<String>::new());

        write(root, "staged.txt", "changed and staged\n");
        index.add_path(Path::new("staged.txt")).unwrap();
        write(root, "added.txt", "new and staged\n");
        index.add_path(Path::new("added.txt")).unwrap();
        fs::rename(
            root.join("index_rename_from.txt"),
            root.join("index_rename_to.txt"),
        )
        .unwrap();
        index
            .remove_path(Path::new("index_rename_from.txt"))
            .unwrap();
        index.add_path(Path::new("index_rename_to.txt")).unwrap();
        index.write().unwrap();
        write(root, "unstaged.txt", "changed, not staged\n");
        fs::rename(
            root.join("tree_rename_from.txt"),
            root.join("tree_rename_to.txt"),
        )
        .unwrap();
        fs::remove_file(root.join("deleted.txt")).unwrap();
        write(root, "newdir/sub/deep.txt", "untracked, two levels down\n");
        write(root, "debug.log", "ignored\n");
        write(root, "build/out.txt", "ignored directory\n");

        assert_eq!(
            repo.uncommitted_paths().unwrap(),
            strings(&[
                "added.txt",
                "deleted.txt",
                "index_rename_from.txt",
                "index_rename_to.txt",
                "newdir/sub/deep.txt",
                "staged.txt",
                "tree_rename_from.txt",
                "tree_rename_to.txt",
                "unstaged.txt",
            ])
        );
    }

    // ---- first_parent_history ----

    #[test]
    fn first_parent_history_follows_first_parents_newest_first() {
        let (dir, git) = init();
        let c1 = commit(&git, &[], &[("a", File("1"))]);
        let c2 = commit(&git, &[c1], &[("a", File("2"))]);
        let side = commit(&git, &[c1], &[("b", File("side"))]);
        let merge = commit(&git, &[c2, side], &[("a", File("2")), ("b", File("side"))]);
        let c4 = commit(&git, &[merge], &[("a", File("4"))]);
        let repo = open(&dir);

        let all = vec![
            (c4, Some(merge)),
            (merge, Some(c2)),
            (c2, Some(c1)),
            (c1, None),
        ];
        assert_eq!(repo.first_parent_history(c4, 10).unwrap(), all);
        assert_eq!(repo.first_parent_history(c4, 4).unwrap(), all);
        assert_eq!(repo.first_parent_history(c4, 2).unwrap(), all[..2]);
        assert!(repo.first_parent_history(c4, 0).unwrap().is_empty());
        assert_eq!(
            repo.first_parent_history(side, 9).unwrap(),
            vec![(side, Some(c1)), (c1, None)]
        );
        let missing = gitlink_target(5);
        let message = error_of(repo.first_parent_history(missing, 3));
        assert!(message.contains(&missing.to_string()), "{message}");
    }

    // ---- read_file_at ----

    #[test]
    fn read_file_at_returns_blobs_and_none_for_anything_else() {
        let (dir, git) = init();
        let id = commit(
            &git,
            &[],
            &[
                ("Cargo.toml", File("[workspace]")),
                ("crates/a/Cargo.toml", File("[package]")),
                ("vendor/sub", Gitlink(gitlink_target(1))),
                ("link", Link("crates/a/Cargo.toml")),
            ],
        );
        let repo = open(&dir);
        let read = |path: &str| repo.read_file_at(id, path).unwrap();

        assert_eq!(read("Cargo.toml").as_deref(), Some(&b"[workspace]"[..]));
        assert_eq!(
            read("crates/a/Cargo.toml").as_deref(),
            Some(&b"[package]"[..])
        );
        assert_eq!(read("link").as_deref(), Some(&b"crates/a/Cargo.toml"[..]));
        assert_eq!(read("missing.toml"), None);
        assert_eq!(read("crates/b/Cargo.toml"), None);
        assert_eq!(read("crates"), None, "a directory is not a file");
        assert_eq!(read("vendor/sub"), None, "a submodule is not a file");
        assert_eq!(read("Cargo.toml/x"), None, "a file is not a directory");

        for bad in [
            "",
            "/Cargo.toml",
            "../Cargo.toml",
            "crates//a",
            "./Cargo.toml",
            "crates/",
        ] {
            let message = error_of(repo.read_file_at(id, bad));
            assert!(message.contains(&format!("`{bad}`")), "{message}");
        }
    }

    // ---- materialize_cargo_tree and cargo_tree_key ----

    /// Every file under `root`, by `/`-separated relative path, with content.
    fn files_under(root: &Path) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    let rel: Vec<_> = rel
                        .iter()
                        .map(|c| c.to_string_lossy().into_owned())
                        .collect();
                    files.insert(rel.join("/"), fs::read_to_string(&path).unwrap());
                }
            }
        }
        files
    }

    fn workspace_files() -> Vec<(&'static str, Entry<'static>)> {
        vec![
            ("Cargo.toml", File("[workspace]")),
            ("Cargo.lock", File("# lock")),
            ("rust-toolchain.toml", File("[toolchain]")),
            (".cargo/config.toml", File("[build]")),
            (".cargo/nested/anything.txt", File("under .cargo")),
            ("crates/a/Cargo.toml", File("[package] a")),
            ("crates/a/src/lib.rs", File("pub fn a() {}")),
            ("crates/a/src/bin/tool.rs", File("fn main() {}")),
            ("crates/a/src/alias.rs", Link("lib.rs")),
            ("crates/a/.cargo/config", File("[alias]")),
            ("crates/a/rust-toolchain", File("stable")),
            ("crates/a/README.md", File("# a")),
            ("crates/a/data.json", File("{}")),
            ("crates/a/build.sh", File("#!/bin/sh")),
            ("crates/a/Cargo.toml.orig", File("not a manifest")),
            ("crates/b/Cargo.toml", Link("../a/Cargo.toml")),
            ("docs/guide.md", File("guide")),
            ("vendor/sub", Gitlink(gitlink_target(1))),
        ]
    }

    #[test]
    fn materialize_writes_manifests_with_content_and_sources_empty() {
        let (dir, git) = init();
        let id = commit(&git, &[], &workspace_files());
        let repo = open(&dir);
        let out = TempDir::new().unwrap();

        let written = repo.materialize_cargo_tree(id, out.path()).unwrap();

        let expected: BTreeMap<String, String> = [
            (".cargo/config.toml", "[build]"),
            (".cargo/nested/anything.txt", "under .cargo"),
            ("Cargo.lock", "# lock"),
            ("Cargo.toml", "[workspace]"),
            ("crates/a/.cargo/config", "[alias]"),
            ("crates/a/Cargo.toml", "[package] a"),
            ("crates/a/rust-toolchain", "stable"),
            ("crates/a/src/alias.rs", ""),
            ("crates/a/src/bin/tool.rs", ""),
            ("crates/a/src/lib.rs", ""),
            ("crates/b/Cargo.toml", "[package] a"),
            ("rust-toolchain.toml", "[toolchain]"),
        ]
        .into_iter()
        .map(|(p, c)| (p.to_owned(), c.to_owned()))
        .collect();
        assert_eq!(files_under(out.path()), expected);
        assert_eq!(written, expected.len());
        assert!(!out.path().join("docs").exists(), "no empty directories");
        assert!(!out.path().join("vendor").exists(), "no submodules");
    }

    #[test]
    fn materialize_follows_no_link_out_of_the_commit() {
        let (dir, git) = init();
        let repo = open(&dir);
        for (target, why) in [
            ("../../outside/Cargo.toml", "leaves the repository"),
            ("/etc/passwd", "leaves the repository"),
            ("nowhere/Cargo.toml", "is not in the commit"),
            (".", "is not a file"),
        ] {
            let id = commit(
                &git,
                &[],
                &[
                    ("crates/Cargo.toml", Link(target)),
                    ("crates/x.rs", File("")),
                ],
            );
            let out = TempDir::new().unwrap();
            let message = error_of(repo.materialize_cargo_tree(id, out.path()));
            assert!(message.contains("`crates/Cargo.toml`"), "{message}");
            assert!(message.contains(why), "{target}: {message}");
            assert!(message.contains(&format!("`{target}`")), "{message}");
        }
        let looped = commit(
            &git,
            &[],
            &[
                ("Cargo.toml", Link("a")),
                ("a", Link("b")),
                ("b", Link("Cargo.toml")),
            ],
        );
        let message = error_of(repo.cargo_tree_key(looped));
        assert!(message.contains("chain of more than"), "{message}");
    }

    /// A raw tree object: git2's `TreeBuilder` refuses names such as `..`,
    /// but another tool (or an attacker) can write them into a pack.
    fn raw_tree(repo: &Repository, entries: &[(&str, &[u8], Oid)]) -> Oid {
        let mut bytes = Vec::new();
        for (mode, name, id) in entries {
            bytes.extend_from_slice(mode.as_bytes());
            bytes.push(b' ');
            bytes.extend_from_slice(name);
            bytes.push(0);
            bytes.extend_from_slice(id.as_bytes());
        }
        repo.odb().unwrap().write(ObjectType::Tree, &bytes).unwrap()
    }

    #[test]
    fn materialize_rejects_tree_entries_that_would_escape_the_destination() {
        let (dir, git) = init();
        let mut builder = git.treebuilder(None).unwrap();
        assert!(
            builder
                .insert("..", git.blob(b"x").unwrap(), 0o100644)
                .is_err(),
            "git2 refuses `..`, hence the raw trees below"
        );
        let repo = open(&dir);
        let manifest = git.blob(b"[package]").unwrap();
        let inner = raw_tree(&git, &[("100644", b"Cargo.toml", manifest)]);
        for name in ["..", ".", "a/b"] {
            let tree = raw_tree(&git, &[("40000", name.as_bytes(), inner)]);
            let id = commit_tree(&git, &[], tree);
            let scratch = TempDir::new().unwrap();
            let dest = scratch.path().join("dest");
            fs::create_dir(&dest).unwrap();

            let message = error_of(repo.materialize_cargo_tree(id, &dest));
            assert!(
                message.contains(&format!("tree entry `{name}`")),
                "{message}"
            );
            assert!(message.contains(&id.to_string()), "{message}");
            assert!(!scratch.path().join("Cargo.toml").exists());
            assert!(files_under(&dest).is_empty());
            error_of(repo.cargo_tree_key(id));
        }
        // The same raw writer with a plain name is accepted: the check is on
        // the name, not on raw trees.
        let tree = raw_tree(&git, &[("40000", b"crate", inner)]);
        let id = commit_tree(&git, &[], tree);
        let out = TempDir::new().unwrap();
        assert_eq!(repo.materialize_cargo_tree(id, out.path()).unwrap(), 1);
        assert_eq!(
            fs::read_to_string(out.path().join("crate/Cargo.toml")).unwrap(),
            "[package]"
        );
    }

    #[test]
    fn cargo_tree_key_changes_only_with_what_cargo_reads() {
        let (dir, git) = init();
        let base_files = workspace_files();
        let base = commit(&git, &[], &base_files);
        let repo = open(&dir);
        let key = |files: &[(&str, Entry<'_>)]| {
            let id = commit(&git, &[base], files);
            repo.cargo_tree_key(id).unwrap()
        };
        let with = |path: &'static str, entry: Entry<'static>| {
            let mut files: Vec<_> = base_files
                .iter()
                .filter(|(p, _)| *p != path)
                .copied()
                .collect();
            files.push((path, entry));
            files
        };
        let without = |path: &str| -> Vec<_> {
            base_files
                .iter()
                .filter(|(p, _)| *p != path)
                .copied()
                .collect()
        };
        let base_key = repo.cargo_tree_key(base).unwrap();
        assert_eq!(key(&base_files), base_key, "another commit, same tree");

        for (what, files) in [
            (
                "a .rs file's content",
                with("crates/a/src/lib.rs", File("changed")),
            ),
            ("a README", with("crates/a/README.md", File("changed"))),
            ("a new data file", with("crates/a/new.json", File("{}"))),
            (
                "a submodule pointer",
                with("vendor/sub", Gitlink(gitlink_target(2))),
            ),
        ] {
            assert_eq!(key(&files), base_key, "{what} must not change the key");
        }
        for (what, files) in [
            (
                "the root Cargo.toml",
                with("Cargo.toml", File("[workspace]\nmembers = []")),
            ),
            (
                "a member's Cargo.toml",
                with("crates/a/Cargo.toml", File("[package] a2")),
            ),
            ("Cargo.lock", with("Cargo.lock", File("# lock 2"))),
            (
                ".cargo/config.toml",
                with(".cargo/config.toml", File("[build] 2")),
            ),
            (
                "rust-toolchain",
                with("crates/a/rust-toolchain", File("nightly")),
            ),
            (
                "a new .rs file",
                with("crates/a/src/bin/other.rs", File("")),
            ),
            ("a removed .rs file", without("crates/a/src/bin/tool.rs")),
            ("a linked manifest's target", {
                let mut files = with("crates/a/Cargo.toml", File("[package] a"));
                files.retain(|(p, _)| *p != "crates/b/Cargo.toml");
                files.push(("crates/b/Cargo.toml", File("[package] b")));
                files
            }),
        ] {
            assert_ne!(key(&files), base_key, "{what} must change the key");
        }
    }

    // ---- read_changed_files ----

    #[test]
    fn read_changed_files_normalizes_lines() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("changed.txt");
        fs::write(
            &path,
            "\u{feff}./a/b.rs\r\n\r\n   \nz.txt\na/b.rs\n././c\nwin\\path\\x.rs\nd//e/./f/../g\n\"caf\\303\\251 \\\"q\\\".rs\"\nlast-without-newline",
        )
        .unwrap();
        assert_eq!(
            read_changed_files(&path, Separator::Detect).unwrap(),
            strings(&[
                "a/b.rs",
                "c",
                "caf\u{e9} \"q\".rs",
                "d/e/g",
                "last-without-newline",
                "win/path/x.rs",
                "z.txt"
            ])
        );
        fs::write(&path, "").unwrap();
        assert!(
            read_changed_files(&path, Separator::Detect)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn read_changed_files_reads_nul_separated_lists() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("changed.z");
        // `git diff -z --name-only`: NUL after each path, none quoted, and
        // a newline is part of a name.
        fs::write(&path, b"a/b.rs\0with\nnewline.rs\0\"q\".rs\0").unwrap();
        let want = strings(&["\"q\".rs", "a/b.rs", "with\nnewline.rs"]);
        assert_eq!(read_changed_files(&path, Separator::Detect).unwrap(), want);
        assert_eq!(read_changed_files(&path, Separator::Nul).unwrap(), want);
        // -z with no NUL at all: one path.
        fs::write(&path, b"only.rs").unwrap();
        assert_eq!(
            read_changed_files(&path, Separator::Nul).unwrap(),
            strings(&["only.rs"])
        );
    }

    #[test]
    fn read_changed_files_refuses_paths_outside_the_repository() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("changed.txt");
        for (line, why) in [
            (
                "/etc/passwd",
                "is absolute; expected a path relative to the repository root",
            ),
            (
                "C:\\repo\\a.rs",
                "is absolute; expected a path relative to the repository root",
            ),
            (
                "../other/a.rs",
                "leaves the repository; expected a path inside it",
            ),
            (
                "a/../../b.rs",
                "leaves the repository; expected a path inside it",
            ),
            ("./", "names the repository root; expected a file"),
            (
                ".git/config",
                "is inside .git; expected a file of the work tree",
            ),
        ] {
            fs::write(&path, format!("ok.rs\n{line}\n")).unwrap();
            assert_eq!(
                error_of(read_changed_files(&path, Separator::Detect)),
                format!("`{}` line 2: `{line}` {why}", path.display())
            );
        }
        fs::write(&path, b"ok.rs\0/abs\0").unwrap();
        assert!(
            error_of(read_changed_files(&path, Separator::Detect)).ends_with(
                "item 2: `/abs` is absolute; expected a path relative to the repository root"
            )
        );
    }

    #[test]
    fn read_changed_files_errors_name_the_file_and_line() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("changed.txt");
        fs::write(&path, b"ok.rs\n\nbad-\xff.rs\n").unwrap();
        let message = error_of(read_changed_files(&path, Separator::Detect));
        assert_eq!(
            message,
            format!(
                "`{}` line 3 is not valid UTF-8; expected one path per line",
                path.display()
            )
        );
        let missing = dir.path().join("missing.txt");
        let message = error_of(read_changed_files(&missing, Separator::Detect));
        assert!(
            message.starts_with(&format!(
                "cannot read the changed-file list `{}`: ",
                missing.display()
            )),
            "{message}"
        );
    }
}
