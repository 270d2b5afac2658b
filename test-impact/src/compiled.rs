//! Files compiled into a crate although they are not its Rust sources:
//! what `include_str!`, `include_bytes!`, `include!` and `#[path = …]`
//! name (a README doc-tested through `#[doc = include_str!("../README.md")]`,
//! a page rendered into a binary), and what a build script declares with
//! `cargo:rerun-if-changed`. A change to one of those files belongs to the
//! crate before any ignore rule applies: `*.md` is ignored, unless a crate
//! compiles that Markdown in.
//!
//! The sources are read with a real Rust lexer (proc-macro2's), so an
//! `include_str!` inside a comment or a string is no include, and nested
//! macro calls (`#[doc = include_str!(…)]`, `concat!(env!(
//! "CARGO_MANIFEST_DIR"), "/x")`) are followed. The scan of a commit is
//! cached in the git directory; within one run, each blob is lexed once.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Result;
use git2::Oid;
use proc_macro2::{Delimiter, Literal, TokenStream, TokenTree};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::cargo::Package;
use crate::git::Repo;

/// An inclusion found in a source file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// The included file (or, for `rerun-if-changed`, file or folder),
    /// repository-relative, `/`-separated.
    pub target: String,
    /// How: `include_str! at src/lib.rs:3`.
    pub how: String,
}

/// What each package compiles in, and how to look a changed file up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledIn {
    /// Included path → `(package, how)`, first found first.
    entries: BTreeMap<String, Vec<(String, String)>>,
}

impl CompiledIn {
    /// Adds what `package` compiles in.
    pub fn add(&mut self, package: &str, found: Found) {
        let list = self.entries.entry(found.target).or_default();
        if !list.iter().any(|(p, _)| p == package) {
            list.push((package.to_owned(), found.how));
        }
    }

    /// The packages that compile `path` in, with how: an exact entry, or a
    /// folder above it (a build script may watch a folder).
    pub fn owners(&self, path: &str) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        let mut prefix = path;
        loop {
            if let Some(list) = self.entries.get(prefix) {
                out.extend(list.iter().map(|(p, h)| (p.as_str(), h.as_str())));
            }
            match prefix.rsplit_once('/') {
                Some((parent, _)) => prefix = parent,
                None => break,
            }
        }
        out
    }

    /// How many included paths are known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Lexes sources, each distinct blob once.
#[derive(Default)]
pub(crate) struct Scanner {
    /// (blob, path, package dir, build script?) → what it includes.
    memo: HashMap<(Oid, String), Vec<Found>>,
}

/// The version of the on-disk cache's shape and meaning: 2 since the
/// local packages that are no members are scanned as packages of their own.
const CACHE_VERSION: u32 = 2;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    compiled_in: CompiledIn,
}

impl Scanner {
    /// What the packages of `commit` compile in. Each `.rs` file of the
    /// tree belongs to the package whose folder is its nearest ancestor
    /// (and a target outside its package's folder to that package); the
    /// scan is cached per commit under the git directory.
    pub(crate) fn scan_commit(
        &mut self,
        repo: &Repo,
        commit: Oid,
        packages: &[Package],
    ) -> Result<CompiledIn> {
        let cache = crate::cache::path(repo, &format!("compiled-in-{commit}.json"));
        if let Ok(bytes) = std::fs::read(&cache)
            && let Ok(file) = serde_json::from_slice::<CacheFile>(&bytes)
            && file.version == CACHE_VERSION
        {
            return Ok(file.compiled_in);
        }
        let files = repo.files_ending(commit, ".rs")?;
        let mut todo: Vec<(usize, String, Oid)> = Vec::new();
        for (path, blob) in files {
            for i in owners_of(packages, &path) {
                todo.push((i, path.clone(), blob));
            }
        }
        let mut texts: Vec<(usize, String, Oid, Option<Vec<u8>>)> = Vec::new();
        for (i, path, blob) in todo {
            let key = (blob, format!("{}\0{path}", packages[i].dir));
            let text = if self.memo.contains_key(&key) {
                None
            } else {
                Some(repo.blob_content(blob, &path, commit)?)
            };
            texts.push((i, path, blob, text));
        }
        let lexed: Vec<((Oid, String), Vec<Found>)> = texts
            .par_iter()
            .filter_map(|(i, path, blob, text)| {
                let p = &packages[*i];
                let text = text.as_ref()?;
                let build = p.build_script.as_deref() == Some(path.as_str());
                let found = scan_source(path, &p.dir, &String::from_utf8_lossy(text), build);
                Some(((*blob, format!("{}\0{path}", p.dir)), found))
            })
            .collect();
        self.memo.extend(lexed);
        let mut out = CompiledIn::default();
        for (i, path, blob, _) in &texts {
            let key = (*blob, format!("{}\0{path}", packages[*i].dir));
            for found in self.memo.get(&key).into_iter().flatten() {
                out.add(&packages[*i].name, found.clone());
            }
        }
        write_cache(&cache, &out);
        Ok(out)
    }
}

/// Writes the scan to the cache.
fn write_cache(path: &Path, value: &CompiledIn) {
    let file = CacheFile {
        version: CACHE_VERSION,
        compiled_in: value.clone(),
    };
    if let Ok(bytes) = serde_json::to_vec(&file) {
        crate::cache::write(path, &bytes);
    }
}

/// The packages a `.rs` file at `path` belongs to: the one whose folder is
/// its nearest ancestor, and any whose target it is.
fn owners_of(packages: &[Package], path: &str) -> Vec<usize> {
    let mut best: Option<(usize, usize)> = None;
    let mut out = Vec::new();
    for (i, p) in packages.iter().enumerate() {
        let inside = p.dir.is_empty()
            || path
                .strip_prefix(p.dir.as_str())
                .is_some_and(|rest| rest.starts_with('/'));
        if inside && best.is_none_or(|(_, len)| p.dir.len() > len) {
            best = Some((i, p.dir.len()));
        }
        if p.outside_paths.iter().any(|o| o == path) {
            out.push(i);
        }
    }
    if let Some((i, _)) = best
        && !out.contains(&i)
    {
        out.push(i);
    }
    out
}

/// Adds what changed `.rs` files of the work tree include (`--uncommitted`):
/// their committed version was scanned, their new one may include more.
pub(crate) fn scan_work_tree(
    out: &mut CompiledIn,
    root: &Path,
    packages: &[Package],
    changed: &[String],
) {
    for path in changed.iter().filter(|p| p.ends_with(".rs")) {
        let Ok(text) = std::fs::read(root.join(path)) else {
            continue;
        };
        for i in owners_of(packages, path) {
            let p = &packages[i];
            let build = p.build_script.as_deref() == Some(path.as_str());
            for found in scan_source(path, &p.dir, &String::from_utf8_lossy(&text), build) {
                out.add(&p.name, found);
            }
        }
    }
}

/// What `cargo:rerun-if-changed` lines in the build scripts' last output
/// (`target/**/build/PKG-HASH/output`) name inside `root`.
pub(crate) fn scan_build_outputs(out: &mut CompiledIn, root: &Path, packages: &[Package]) {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    // target/PROFILE/build and target/TRIPLE/PROFILE/build.
    let mut build_dirs = Vec::new();
    for profile in read_dir(&target) {
        build_dirs.push(profile.join("build"));
        for nested in read_dir(&profile) {
            build_dirs.push(nested.join("build"));
        }
    }
    for build in build_dirs {
        for dir in read_dir(&build) {
            let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some((package, hash)) = name.rsplit_once('-') else {
                continue;
            };
            if hash.len() != 16 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let Some(p) = packages.iter().find(|p| p.name == package) else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(dir.join("output")) else {
                continue;
            };
            for (n, line) in text.lines().enumerate() {
                let Some(watched) = line
                    .strip_prefix("cargo::rerun-if-changed=")
                    .or_else(|| line.strip_prefix("cargo:rerun-if-changed="))
                else {
                    continue;
                };
                let watched = Path::new(watched);
                let relative = watched
                    .strip_prefix(&canonical_root)
                    .or_else(|_| watched.strip_prefix(root));
                let Ok(relative) = relative else { continue };
                let Some(target) = normalize(&relative.to_string_lossy()) else {
                    continue;
                };
                out.add(
                    &p.name,
                    Found {
                        target,
                        how: format!(
                            "rerun-if-changed in its build script's output {}:{}",
                            dir.join("output").display(),
                            n + 1
                        ),
                    },
                );
            }
        }
    }
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}

/// What one source file compiles in. `path` is the file's repository
/// path, `package_dir` its package's folder (for `CARGO_MANIFEST_DIR`),
/// `build_script` whether it is the package's build script (its string
/// literals `cargo:rerun-if-changed=…` count).
pub(crate) fn scan_source(
    path: &str,
    package_dir: &str,
    text: &str,
    build_script: bool,
) -> Vec<Found> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // A shebang line is not a token; `#![attr]` is.
    let owned;
    let text = if text.starts_with("#!") && !text.starts_with("#![") {
        let end = text.find('\n').unwrap_or(text.len());
        owned = format!("{}{}", " ".repeat(end), &text[end..]);
        owned.as_str()
    } else {
        text
    };
    let ctx = Ctx {
        path,
        file_dir: path.rsplit_once('/').map_or("", |(d, _)| d),
        package_dir,
        build_script,
    };
    let mut out = Vec::new();
    match text.parse::<TokenStream>() {
        Ok(tokens) => walk(&ctx, tokens, false, &mut out),
        // Not valid Rust tokens (a file under construction, a template):
        // the plain-text fallback keeps the scan safe.
        Err(_) => fallback(&ctx, text, &mut out),
    }
    out
}

struct Ctx<'a> {
    path: &'a str,
    file_dir: &'a str,
    package_dir: &'a str,
    build_script: bool,
}

impl Ctx<'_> {
    fn push(&self, out: &mut Vec<Found>, target: Option<String>, what: &str, line: usize) {
        if let Some(target) = target {
            out.push(Found {
                target,
                how: format!("{what} at {}:{line}", self.path),
            });
        }
    }
}

fn walk(ctx: &Ctx<'_>, tokens: TokenStream, in_attr: bool, out: &mut Vec<Found>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(id) => {
                let name = id.to_string();
                let line = id.span().start().line;
                if matches!(name.as_str(), "include_str" | "include_bytes" | "include")
                    && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!')
                    && let Some(TokenTree::Group(g)) = tokens.get(i + 2)
                {
                    let target = include_target(ctx, g.stream());
                    ctx.push(out, target, &format!("{name}!"), line);
                }
                if in_attr
                    && name == "path"
                    && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=')
                    && let Some(TokenTree::Literal(lit)) = tokens.get(i + 2)
                    && let Some(value) = string_value(lit)
                {
                    // Relative to the file's folder; for a module declared in
                    // a non-`mod.rs` file, also to the folder named after it.
                    ctx.push(out, join(ctx.file_dir, &value), "#[path]", line);
                    let stem = ctx.path.strip_suffix(".rs").unwrap_or(ctx.path);
                    let file = ctx.path.rsplit('/').next().unwrap_or(ctx.path);
                    if !matches!(file, "mod.rs" | "lib.rs" | "main.rs") {
                        ctx.push(out, join(stem, &value), "#[path]", line);
                    }
                }
            }
            TokenTree::Literal(lit) if ctx.build_script => {
                let Some(value) = string_value(lit) else {
                    continue;
                };
                let line = lit.span().start().line;
                for item in value.lines() {
                    let Some(watched) = item
                        .strip_prefix("cargo::rerun-if-changed=")
                        .or_else(|| item.strip_prefix("cargo:rerun-if-changed="))
                    else {
                        continue;
                    };
                    let watched = if watched.contains('{') {
                        // `println!("cargo:rerun-if-changed={}", "x")`: the
                        // next string literal argument, if it is one.
                        match tokens.get(i + 2) {
                            Some(TokenTree::Literal(arg)) if matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ',') => {
                                match string_value(arg) {
                                    Some(v) => v,
                                    None => continue,
                                }
                            }
                            _ => continue,
                        }
                    } else {
                        watched.to_owned()
                    };
                    ctx.push(
                        out,
                        join(ctx.package_dir, &watched),
                        "rerun-if-changed in its build script",
                        line,
                    );
                }
            }
            TokenTree::Group(g) => {
                let attr = g.delimiter() == Delimiter::Bracket
                    && i > 0
                    && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '#' || p.as_char() == '!');
                walk(ctx, g.stream(), attr || in_attr, out);
            }
            _ => {}
        }
    }
}

/// The file an `include*!` argument names: a string literal (relative to
/// the including file), or `concat!` of literals and
/// `env!("CARGO_MANIFEST_DIR")` (relative to the package). `None` when it
/// is built some other way (`env!("OUT_DIR")`: a generated file).
fn include_target(ctx: &Ctx<'_>, args: TokenStream) -> Option<String> {
    let tokens: Vec<TokenTree> = args.into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Literal(lit), ..] => join(ctx.file_dir, &string_value(lit)?),
        [
            TokenTree::Ident(c),
            TokenTree::Punct(bang),
            TokenTree::Group(g),
            ..,
        ] if c == "concat" && bang.as_char() == '!' => {
            let mut text = String::new();
            let mut manifest_dir = false;
            let parts: Vec<TokenTree> = g.stream().into_iter().collect();
            for (n, part) in parts
                .split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ','))
                .enumerate()
            {
                match part {
                    [] => {}
                    [TokenTree::Literal(lit)] => text.push_str(&string_value(lit)?),
                    [
                        TokenTree::Ident(env),
                        TokenTree::Punct(b),
                        TokenTree::Group(arg),
                    ] if n == 0 && env == "env" && b.as_char() == '!' => {
                        let var: Vec<TokenTree> = arg.stream().into_iter().collect();
                        match var.as_slice() {
                            [TokenTree::Literal(l)]
                                if string_value(l).as_deref() == Some("CARGO_MANIFEST_DIR") =>
                            {
                                manifest_dir = true;
                            }
                            _ => return None,
                        }
                    }
                    _ => return None,
                }
            }
            if manifest_dir {
                join(ctx.package_dir, text.trim_start_matches(['/', '\\']))
            } else {
                join(ctx.file_dir, &text)
            }
        }
        _ => None,
    }
}

/// The value of a string literal (`"…"` with escapes, `r#"…"#`); `None`
/// for any other literal.
fn string_value(lit: &Literal) -> Option<String> {
    let repr = lit.to_string();
    if let Some(raw) = repr.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = raw.get(hashes..raw.len().checked_sub(hashes)?)?;
        return Some(inner.strip_prefix('"')?.strip_suffix('"')?.to_owned());
    }
    let inner = repr.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            '0' => out.push('\0'),
            '\\' => out.push('\\'),
            '"' => out.push('"'),
            '\'' => out.push('\''),
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
            }
            'u' => {
                let code: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = code.strip_prefix('{')?;
                out.push(char::from_u32(u32::from_str_radix(code, 16).ok()?)?);
            }
            '\n' => {
                // A line continuation: skip the next line's leading blanks.
                let rest: String = chars.collect();
                out.push_str(rest.trim_start());
                return Some(out);
            }
            _ => return None,
        }
    }
    Some(out)
}

/// `dir/relative`, with `.` and `..` resolved; `None` when it leaves the
/// repository or is absolute.
fn join(dir: &str, relative: &str) -> Option<String> {
    let relative = relative.replace('\\', "/");
    if relative.starts_with('/') || relative.contains(':') {
        return None;
    }
    normalize(&format!("{dir}/{relative}"))
}

/// A `/`-separated repository path with `.`, `..` and empty components
/// resolved; `None` when `..` climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// When the file does not lex: `include_str!("…")`-shaped text, found
/// without knowing what is a comment, so at worst too much is included.
fn fallback(ctx: &Ctx<'_>, text: &str, out: &mut Vec<Found>) {
    for (n, line) in text.lines().enumerate() {
        for what in ["include_str!", "include_bytes!", "include!"] {
            let mut rest = line;
            while let Some(at) = rest.find(what) {
                rest = &rest[at + what.len()..];
                let arg = rest.trim_start_matches([' ', '(', '[', '{']);
                if let Some(arg) = arg.strip_prefix('"')
                    && let Some(end) = arg.find('"')
                {
                    ctx.push(out, join(ctx.file_dir, &arg[..end]), what, n + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(path: &str, text: &str, build: bool) -> Vec<(String, String)> {
        scan_source(path, "crates/a", text, build)
            .into_iter()
            .map(|f| (f.target, f.how))
            .collect()
    }

    fn only_targets(path: &str, text: &str, build: bool) -> Vec<String> {
        targets(path, text, build)
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    #[test]
    fn includes_relative_to_the_including_file() {
        let src = r##"
//! Crate docs.
#![doc = include_str!("../README.md")]

const PAGE: &str = include_str!("pages/help.txt");
static LOGO: &[u8] = std::include_bytes!(r#"../assets/logo.png"#);
mod generated { include!("gen/table.rs"); }
"##;
        assert_eq!(
            targets("crates/a/src/lib.rs", src, false),
            [
                (
                    "crates/a/README.md".to_owned(),
                    "include_str! at crates/a/src/lib.rs:3".to_owned()
                ),
                (
                    "crates/a/src/pages/help.txt".to_owned(),
                    "include_str! at crates/a/src/lib.rs:5".to_owned()
                ),
                (
                    "crates/a/assets/logo.png".to_owned(),
                    "include_bytes! at crates/a/src/lib.rs:6".to_owned()
                ),
                (
                    "crates/a/src/gen/table.rs".to_owned(),
                    "include! at crates/a/src/lib.rs:7".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn comments_and_strings_that_mention_include_are_not_includes() {
        let src = r#"
// include_str!("../NOT.md")
/* include_bytes!("../NOT.bin") */
/// Use `include_str!("x.md")` to embed.
const S: &str = "include_str!(\"nope.md\")";
fn f() {}
"#;
        assert!(only_targets("crates/a/src/lib.rs", src, false).is_empty());
    }

    #[test]
    fn manifest_dir_concat_is_relative_to_the_package_and_out_dir_is_skipped() {
        let src = r#"
#[doc = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))]
pub struct S;
const T: &str = include_str!(concat!(env!("OUT_DIR"), "/generated.rs"));
const U: &str = include_str!(concat!("data/", "x.txt"));
"#;
        assert_eq!(
            only_targets("crates/a/src/deep/mod.rs", src, false),
            ["crates/a/README.md", "crates/a/src/deep/data/x.txt"]
        );
    }

    #[test]
    fn path_attributes_and_paths_leaving_the_repository() {
        let src = r#"
#[path = "../../shared/util.rs"]
mod util;
#[cfg_attr(unix, path = "sys/unix.rs")]
mod sys;
const X: &str = include_str!("../../../../../etc/passwd");
const Y: &str = include_str!("/etc/passwd");
fn path() { let path = "not an attribute"; }
"#;
        assert_eq!(
            only_targets("crates/a/src/lib.rs", src, false),
            ["crates/shared/util.rs", "crates/a/src/sys/unix.rs"]
        );
        // A non-mod.rs file: also relative to its own folder.
        assert_eq!(
            only_targets(
                "crates/a/src/net.rs",
                "#[path = \"tcp.rs\"] mod tcp;",
                false
            ),
            ["crates/a/src/tcp.rs", "crates/a/src/net/tcp.rs"]
        );
    }

    #[test]
    fn build_scripts_declare_what_they_watch() {
        let src = r#"
fn main() {
    println!("cargo:rerun-if-changed=proto/api.proto");
    println!("cargo::rerun-if-changed=../../schema");
    println!("cargo:rerun-if-changed={}", "templates/x.html");
    println!("cargo:rerun-if-changed={}", dynamic());
    // println!("cargo:rerun-if-changed=commented.txt");
}
"#;
        assert_eq!(
            only_targets("crates/a/build.rs", src, true),
            [
                "crates/a/proto/api.proto",
                "schema",
                "crates/a/templates/x.html"
            ]
        );
        // Not a build script: its strings are only strings.
        assert!(only_targets("crates/a/src/lib.rs", src, false).is_empty());
    }

    #[test]
    fn shebang_bom_and_unlexable_files() {
        let src =
            "\u{feff}#!/usr/bin/env run-cargo-script\nconst A: &str = include_str!(\"a.txt\");\n";
        assert_eq!(
            only_targets("crates/a/x.rs", src, false),
            ["crates/a/a.txt"]
        );
        // An unterminated block comment does not lex: the fallback still
        // finds the include.
        let broken = "const A: &str = include_str!(\"b.txt\");\n/* never closed";
        assert_eq!(
            only_targets("crates/a/y.rs", broken, false),
            ["crates/a/b.txt"]
        );
    }

    #[test]
    fn owners_match_files_and_watched_folders() {
        let mut c = CompiledIn::default();
        c.add(
            "a",
            Found {
                target: "README.md".into(),
                how: "h1".into(),
            },
        );
        c.add(
            "b",
            Found {
                target: "schema".into(),
                how: "h2".into(),
            },
        );
        assert_eq!(c.owners("README.md"), [("a", "h1")]);
        assert_eq!(c.owners("schema/v1/x.json"), [("b", "h2")]);
        assert!(c.owners("schemas/x.json").is_empty());
        assert!(c.owners("docs/README.md").is_empty());
    }
}
