#!/usr/bin/env python3
"""Independent oracle for test-impact's Cargo selection (issue #12).

Given a Cargo repository checked out at COMMIT and the files changed since
PARENT, print the REQUIRED set: the workspace members whose build or tests a
change can affect, as a lower bound that a safe selection must contain.

It shares nothing with test-impact: stdlib only (Python 3.11), its own reading
of `cargo metadata`, its own Rust lexer for compiled-in files, its own TOML
comparison of the root manifest.

    oracle.py --repo WORKTREE --base PARENT [--head COMMIT]
              [--changed-files FILE] [--parent-metadata FILE]
              [--save-metadata FILE] [--no-parent-metadata]

The work tree must be checked out at COMMIT (default HEAD). Output: JSON on
stdout (see README.md for the fields).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections import deque

# ---------------------------------------------------------------------------
# git and cargo


def git(repo: str, *args: str, check: bool = True) -> str:
    p = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def git_show(repo: str, rev: str, path: str) -> str | None:
    p = subprocess.run(["git", "-C", repo, "show", f"{rev}:{path}"], capture_output=True)
    if p.returncode != 0:
        return None
    return p.stdout.decode("utf-8", "replace")


def cargo_metadata(worktree: str) -> dict:
    env = dict(os.environ)
    env.setdefault("CARGO_NET_RETRY", "3")
    p = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--all-features"],
        cwd=worktree, capture_output=True, text=True, env=env,
    )
    if p.returncode != 0:
        err = [l for l in p.stderr.splitlines() if l.startswith("error")]
        raise RuntimeError("cargo metadata: " + (err[0] if err else p.stderr.strip()[-300:]))
    return json.loads(p.stdout)


def parent_metadata_via_worktree(repo: str, base: str) -> dict | None:
    tmp = tempfile.mkdtemp(prefix="oracle-parent-")
    wt = os.path.join(tmp, "wt")
    try:
        git(repo, "worktree", "add", "--detach", "-q", wt, base)
        return cargo_metadata(wt)
    except RuntimeError:
        return None
    finally:
        git(repo, "worktree", "remove", "--force", wt, check=False)
        subprocess.run(["rm", "-rf", tmp])


# ---------------------------------------------------------------------------
# A small Rust lexer: enough to skip comments and read string literals
# (plain, byte, C, raw with any number of #) so that include_str!("x")
# inside a comment or inside a string is not taken for a real one.

RAW_STR = re.compile(r'(?:b|c)?r(#*)"')
PLAIN_STR = re.compile(r'(?:b|c)?"')
CHAR_LIT = re.compile(r"b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|.)|[^\\'\n])'")
IDENT = re.compile(r"(?:r#)?[^\W\d]\w*")
NUMBER = re.compile(r"\d[\w]*(?:\.\d[\w]*)?")
ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def lex(src: str) -> list[tuple[str, str]]:
    """Tokens as (kind, text): kind is 'id', 'str' (text = the value), 'p'
    (one punctuation character) or 'x' (number, char, lifetime)."""
    toks: list[tuple[str, str]] = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if c.isspace():
            i += 1
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "/":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and i + 1 < n and src[i + 1] == "*":
            depth, i = 1, i + 2
            while i < n and depth:
                if src.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif src.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        if c in "bcr":
            m = RAW_STR.match(src, i)
            if m:
                close = '"' + m.group(1)
                j = src.find(close, m.end())
                if j < 0:
                    j = n
                toks.append(("str", src[m.end():j]))
                i = j + len(close)
                continue
        if c == '"' or (c in "bc" and i + 1 < n and src[i + 1] == '"'):
            m = PLAIN_STR.match(src, i)
            j = m.end()
            out = []
            while j < n and src[j] != '"':
                if src[j] == "\\" and j + 1 < n:
                    e = src[j + 1]
                    if e == "\n":  # line continuation: skip the newline and indentation
                        j += 2
                        while j < n and src[j] in " \t\r\n":
                            j += 1
                        continue
                    if e == "x" and j + 3 < n:
                        out.append(chr(int(src[j + 2:j + 4], 16)) if re.fullmatch(r"[0-9a-fA-F]{2}", src[j + 2:j + 4]) else "?")
                        j += 4
                        continue
                    if e == "u":
                        m2 = re.match(r"u\{([0-9a-fA-F_]+)\}", src[j + 1:])
                        if m2:
                            out.append(chr(int(m2.group(1).replace("_", ""), 16)))
                            j += 1 + m2.end()
                            continue
                    out.append(ESC.get(e, e))
                    j += 2
                    continue
                out.append(src[j])
                j += 1
            toks.append(("str", "".join(out)))
            i = j + 1
            continue
        if c == "'" or (c == "b" and i + 1 < n and src[i + 1] == "'"):
            m = CHAR_LIT.match(src, i)
            if m:
                toks.append(("x", m.group(0)))
                i = m.end()
                continue
            if c == "'":  # lifetime or label
                m = IDENT.match(src, i + 1)
                j = m.end() if m else i + 1
                toks.append(("x", src[i:j]))
                i = j
                continue
        m = IDENT.match(src, i)
        if m:
            t = m.group(0)
            toks.append(("id", t[2:] if t.startswith("r#") else t))
            i = m.end()
            continue
        m = NUMBER.match(src, i)
        if m:
            toks.append(("x", m.group(0)))
            i = m.end()
            continue
        toks.append(("p", c))
        i += 1
    return toks


OPEN = {"(": ")", "[": "]", "{": "}"}


def group(toks, i):
    """toks[i] is an opening delimiter: return (inner tokens, index after the close)."""
    close = OPEN[toks[i][1]]
    opener = toks[i][1]
    depth, j = 0, i
    while j < len(toks):
        k, t = toks[j]
        if k == "p" and t in OPEN:
            depth += 1
        elif k == "p" and t in ")]}":
            depth -= 1
            if depth == 0:
                return toks[i + 1:j], j + 1
        j += 1
    return toks[i + 1:], len(toks)


def split_commas(toks):
    parts, cur, depth = [], [], 0
    for k, t in toks:
        if k == "p" and t in OPEN:
            depth += 1
        elif k == "p" and t in ")]}":
            depth -= 1
        if k == "p" and t == "," and depth == 0:
            parts.append(cur)
            cur = []
        else:
            cur.append((k, t))
    if cur:
        parts.append(cur)
    return parts


def path_expr(toks):
    """The path an include macro names: ('rel', s) relative to the including
    file's directory, ('manifest', s) relative to the package directory, or
    None when it cannot be known statically (OUT_DIR, a macro argument)."""
    if len(toks) == 1 and toks[0][0] == "str":
        return ("rel", toks[0][1])
    if len(toks) >= 3 and toks[0] == ("id", "concat") and toks[1] == ("p", "!") and toks[2][1] in OPEN:
        inner, _ = group(toks, 2)
        base, acc = "rel", []
        for idx, part in enumerate(split_commas(inner)):
            if len(part) == 1 and part[0][0] == "str":
                acc.append(part[0][1])
            elif (len(part) >= 4 and part[0] == ("id", "env") and part[1] == ("p", "!")
                  and part[2][1] in OPEN):
                arg, _ = group(part, 2)
                if idx == 0 and arg and arg[0] == ("str", "CARGO_MANIFEST_DIR"):
                    base = "manifest"
                else:
                    return None
            else:
                return None
        return (base, "".join(acc))
    return None


INCLUDE_MACROS = {"include_str", "include_bytes", "include"}
PREFILTER = re.compile(r"include(?:_str|_bytes)?\s*!|\bpath\s*=|rerun-if-changed|\bmod\s")


def scan_rust(src: str):
    """(includes, path_mods, plain_mods, strings) found in one Rust file:
    includes: [(kind, path, macro)]; path_mods: [(mod name, path)];
    plain_mods: [mod name] for `mod x;` without #[path]; strings: all literals."""
    toks = lex(src)
    includes, path_mods, plain_mods = [], [], []
    pending_path = None
    i, n = 0, len(toks)
    while i < n:
        k, t = toks[i]
        if k == "id" and t in INCLUDE_MACROS and i + 2 < n and toks[i + 1] == ("p", "!") and toks[i + 2][1] in OPEN and toks[i + 2][0] == "p":
            inner, _ = group(toks, i + 2)
            pe = path_expr(inner)
            includes.append((pe[0], pe[1], t) if pe else (None, None, t))
            i += 3
            continue
        if k == "p" and t == "#":
            j = i + 1
            if j < n and toks[j] == ("p", "!"):
                j += 1
            if j < n and toks[j] == ("p", "["):
                inner, _ = group(toks, j)
                # #[path = "x"] or #[cfg_attr(cond, path = "x")]
                cands = [inner]
                if inner and inner[0] == ("id", "cfg_attr") and len(inner) > 1 and inner[1] == ("p", "("):
                    args, _ = group(inner, 1)
                    cands = split_commas(args)[1:]
                for c in cands:
                    if len(c) == 3 and c[0] == ("id", "path") and c[1] == ("p", "=") and c[2][0] == "str":
                        pending_path = c[2][1]
                # the attribute's tokens are scanned too (#[doc = include_str!(..)])
                i = j + 1
                continue
        if k == "id" and t == "mod" and i + 2 < n and toks[i + 1][0] == "id":
            name = toks[i + 1][1]
            if toks[i + 2] == ("p", ";"):
                if pending_path is not None:
                    path_mods.append((name, pending_path))
                else:
                    plain_mods.append(name)
            elif pending_path is not None and toks[i + 2] == ("p", "{"):
                path_mods.append((name, pending_path + "/"))  # inline module with a path: a directory
            pending_path = None
            i += 2
            continue
        if k == "id" and t in ("fn", "struct", "enum", "use", "impl", "const", "static", "trait", "type", "pub"):
            if t != "pub":
                pending_path = None
        i += 1
    strings = [t for k, t in toks if k == "str"]
    return includes, path_mods, plain_mods, strings


RERUN = re.compile(r"^cargo::?rerun-if-changed=(.*)$")


def build_script_paths(src: str) -> tuple[list[str], int]:
    """rerun-if-changed paths a build script prints, as far as they are
    string literals (or `{NAME}` of a `const`/`static`/`let` NAME = "lit")."""
    toks = lex(src)
    consts = {}
    for i in range(len(toks) - 3):
        if toks[i][0] == "id" and toks[i][1] in ("const", "static", "let"):
            # NAME [: TYPE] = "lit"
            j = i + 1
            if j < len(toks) and toks[j] == ("id", "mut"):
                j += 1
            if j >= len(toks) or toks[j][0] != "id":
                continue
            name = toks[j][1]
            for m in range(j + 1, min(j + 8, len(toks) - 1)):
                if toks[m] == ("p", "=") and toks[m + 1][0] == "str" and (m + 2 >= len(toks) or toks[m + 2] == ("p", ";")):
                    consts[name] = toks[m + 1][1]
                    break
                # NAME = Path::new("lit") / Utf8Path::new / PathBuf::from
                w = toks[m + 1:m + 9]
                if (toks[m] == ("p", "=") and len(w) >= 8 and w[0][0] == "id" and w[0][1] in ("Path", "Utf8Path", "PathBuf", "Utf8PathBuf")
                        and w[1] == ("p", ":") and w[2] == ("p", ":") and w[3][1] in ("new", "from") and w[4] == ("p", "(")
                        and w[5][0] == "str" and w[6] == ("p", ")") and w[7] == ("p", ";")):
                    consts[name] = w[5][1]
                    break
                if toks[m] in (("p", ";"), ("p", "=")):
                    break
    out, unresolved = [], 0
    for i, (k, t) in enumerate(toks):
        if k != "str":
            continue
        for line in t.split("\n"):
            m = RERUN.match(line.strip())
            if not m:
                continue
            p = m.group(1)
            if "{" in p:
                def sub(mm):
                    nm = mm.group(1)
                    return consts.get(nm, "\0")
                q = re.sub(r"\{(\w*)\}", sub, p)
                if q.count("\0") == 1 and re.fullmatch(r"\{\}", re.search(r"\{\w*\}", p).group(0)):
                    # "…={}", "lit"  (positional argument)
                    nxt = toks[i + 1:i + 3]
                    if len(nxt) == 2 and nxt[0] == ("p", ",") and nxt[1][0] == "str":
                        q = q.replace("\0", nxt[1][1])
                if "\0" in q:
                    unresolved += 1
                    continue
                p = q
            out.append(p)
    return out, unresolved


# ---------------------------------------------------------------------------
# The model of one workspace at one commit


def rel(root: str, path: str) -> str | None:
    r = os.path.relpath(os.path.realpath(path), root)
    if r == "." :
        return ""
    if r.startswith(".."):
        return None
    return r.replace(os.sep, "/")


def norm(path: str) -> str | None:
    p = os.path.normpath(path).replace(os.sep, "/")
    if p == ".":
        return ""
    if p.startswith("../") or p == ".." or p.startswith("/"):
        return None
    return p


def under(path: str, d: str) -> bool:
    return d == "" or path == d or path.startswith(d + "/")


class Workspace:
    def __init__(self, meta: dict, root: str):
        self.root = os.path.realpath(root)
        self.meta = meta
        self.pkgs = {p["id"]: p for p in meta["packages"]}
        self.members = set(meta["workspace_members"])
        self.name = {i: p["name"] for i, p in self.pkgs.items()}
        # local packages inside the repository (members and path dependencies)
        self.local = {}
        for i, p in self.pkgs.items():
            if p.get("source") is None:
                d = rel(self.root, os.path.dirname(p["manifest_path"]))
                if d is not None:
                    self.local[i] = d
        self.dir_owner = {}
        for i, d in self.local.items():
            # two packages in one dir cannot happen; members win anyway
            if d not in self.dir_owner or i in self.members:
                self.dir_owner[d] = i
        # reverse edges over the whole resolve graph, all dep kinds
        self.rev: dict[str, list[tuple[str, str]]] = {}
        for node in (meta.get("resolve") or {}).get("nodes", []):
            for d in node.get("deps", []):
                kinds = {dk.get("kind") or "normal" for dk in d.get("dep_kinds", [])} or {"normal"}
                for kind in sorted(kinds):
                    self.rev.setdefault(d["pkg"], []).append((node["id"], kind))
        # declared optional dependencies: (dependent id, dependency name)
        self.optional = set()
        for i, p in self.pkgs.items():
            for d in p.get("dependencies", []):
                if d.get("optional"):
                    self.optional.add((i, d["name"]))
        # resolve edges to an optional dependency that none of the dependent's
        # enabled features activates: `cargo metadata` lists the targets of
        # weak features (`serde?/std`) in the resolve although they are not
        # built (diagnostic only: the closure keeps them)
        self.inactive = set()  # (dependent id, dependency id)
        for node in (meta.get("resolve") or {}).get("nodes", []):
            p = self.pkgs.get(node["id"])
            if p is None:
                continue
            on = set(node.get("features", []))
            table = p.get("features", {})
            enabled_items = [it for f in on for it in table.get(f, [])]
            for d in node.get("deps", []):
                decl = [x for x in p.get("dependencies", [])
                        if (x.get("rename") or x["name"]).replace("-", "_") == d["name"]]
                if not decl or not all(x.get("optional") for x in decl):
                    continue
                keys = {x.get("rename") or x["name"] for x in decl}
                active = any(k in on or f"dep:{k}" in enabled_items
                             or any(it.startswith(k + "/") for it in enabled_items) for k in keys)
                if not active:
                    self.inactive.add((node["id"], d["pkg"]))
        self.by_name = {}
        for i in self.members:
            self.by_name.setdefault(self.name[i], i)

    def set_nested_crates(self, tracked: list[str]):
        """Directories below the workspace holding a Cargo.toml that the graph
        does not know (fuzz/ crates, test fixtures, other workspaces): their
        files belong to no package of this graph."""
        known = set(self.local.values())
        self.foreign = set()
        for f in tracked:
            if f == "Cargo.toml" or f.endswith("/Cargo.toml"):
                d = f[: -len("Cargo.toml")].rstrip("/")
                if d not in known:
                    self.foreign.add(d)

    def owner_by_dir(self, path: str) -> str | None:
        parts = path.split("/")
        for k in range(len(parts) - 1, -1, -1):
            d = "/".join(parts[:k])
            if d in self.dir_owner:
                return self.dir_owner[d]
            if d in self.foreign:
                return None
        return None


def pkg_files(ws: Workspace, pid: str, tracked_by_dir) -> list[str]:
    d = ws.local[pid]
    return [f for f in tracked_by_dir if under(f, d) and ws.owner_by_dir(f) == pid]


def mod_children(f: str, name: str, is_mod_rs: bool) -> list[str]:
    base = os.path.dirname(f) if is_mod_rs else f[:-3]
    return [norm(os.path.join(base, name + ".rs")), norm(os.path.join(base, name, "mod.rs"))]


def compiled_in(ws: Workspace, tracked: list[str]):
    """{file: [(package id, how)]} for files a package compiles in from
    outside plain ownership (include macros, #[path], targets and their module
    trees outside the package dir, rerun-if-changed), plus diagnostics."""
    tracked_set = set(tracked)
    rs_by_pkg: dict[str, list[str]] = {}
    rs_files = [f for f in tracked if f.endswith(".rs")]
    for f in rs_files:
        o = ws.owner_by_dir(f)
        if o is not None:
            rs_by_pkg.setdefault(o, []).append(f)
    found: dict[str, list[tuple[str, str]]] = {}
    dirs: list[tuple[str, str, str]] = []  # (dir prefix, pid, how)
    stats = {"unresolved_includes": 0, "unresolved_rerun": 0, "files_scanned": 0}

    def add(path, pid, how):
        if path is None:
            return
        found.setdefault(path, []).append((pid, how))

    def read(f):
        try:
            with open(os.path.join(ws.root, f), encoding="utf-8", errors="replace") as fh:
                return fh.read()
        except OSError:
            return None

    for pid, pdir in ws.local.items():
        # 1. roots of targets outside the package directory, and their module trees
        queue: deque[tuple[str, bool, bool]] = deque()  # (file, is_mod_rs, outside)
        seen = set()
        for t in ws.pkgs[pid].get("targets", []):
            r = rel(ws.root, t["src_path"])
            if r is None:
                continue
            if not under(r, pdir) or ws.owner_by_dir(r) != pid:
                add(r, pid, f"target {t['name']} ({','.join(t['kind'])})")
                queue.append((r, True, True))
            if "custom-build" in t["kind"]:
                src = read(r)
                if src is not None:
                    paths, unres = build_script_paths(src)
                    stats["unresolved_rerun"] += unres
                    for p in paths:
                        q = norm(os.path.join(pdir, p))
                        if q is not None:
                            dirs.append((q, pid, f"rerun-if-changed={p} in {r}"))
                            add(q, pid, f"rerun-if-changed={p} in {r}")
        for f in rs_by_pkg.get(pid, []):
            queue.append((f, True, False))
        while queue:
            f, is_mod_rs, outside = queue.popleft()
            if f in seen:
                continue
            seen.add(f)
            src = read(f)
            if src is None or (not outside and not PREFILTER.search(src)):
                continue
            stats["files_scanned"] += 1
            includes, path_mods, plain_mods, _ = scan_rust(src)
            fdir = os.path.dirname(f)
            for kind, p, mac in includes:
                if kind is None:
                    stats["unresolved_includes"] += 1
                    continue
                q = norm(os.path.join(pdir if kind == "manifest" else fdir, p.lstrip("/") if kind == "manifest" else p))
                if q is None:
                    continue
                add(q, pid, f"{mac}!(\"{p}\") in {f}")
                if mac == "include" and q.endswith(".rs") and q not in seen:
                    queue.append((q, True, True))
            for name, p in path_mods:
                q = norm(os.path.join(fdir, p))
                if q is None:
                    continue
                if p.endswith("/"):
                    continue
                add(q, pid, f"#[path = \"{p}\"] mod {name} in {f}")
                if ws.owner_by_dir(q) != pid and q not in seen:
                    queue.append((q, True, True))
            if outside:
                # a file outside the package dir: follow its `mod x;` (both
                # layouts, since #[path]-loaded files resolve like mod.rs)
                mod_rs = os.path.basename(f) in ("mod.rs", "lib.rs", "main.rs") or is_mod_rs
                for name in plain_mods:
                    for q in mod_children(f, name, mod_rs) + mod_children(f, name, not mod_rs):
                        if q and q in tracked_set and q not in seen:
                            add(q, pid, f"mod {name} in {f}")
                            queue.append((q, False, ws.owner_by_dir(q) != pid))
    return found, dirs, stats


# ---------------------------------------------------------------------------
# Root manifest and lockfile


def load_toml(text: str | None):
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return "unparsable"


DEP_TABLES = ("dependencies", "dev-dependencies", "build-dependencies", "dev_dependencies", "build_dependencies")


def dep_entries(manifest: dict):
    for t in DEP_TABLES:
        for k, v in (manifest.get(t) or {}).items():
            yield t, k, v
    for cfg, tt in (manifest.get("target") or {}).items():
        for t in DEP_TABLES:
            for k, v in (tt.get(t) or {}).items():
                yield f"target.{cfg}.{t}", k, v


def root_manifest_seeds(ws: Workspace, old, new, member_manifests):
    """[(pid, reason)] from a change of the workspace's root Cargo.toml."""
    seeds = []
    if old is None or new is None or old == "unparsable" or new == "unparsable":
        return [(m, "root Cargo.toml added/removed/unparsable") for m in ws.members]
    allm = sorted(ws.members)
    for key in ("profile", "patch", "replace"):
        if old.get(key) != new.get(key):
            seeds += [(m, f"root Cargo.toml [{key}] changed") for m in allm]
    ow, nw = old.get("workspace") or {}, new.get("workspace") or {}
    if ow.get("resolver") != nw.get("resolver") or old.get("package", {}).get("resolver") != new.get("package", {}).get("resolver"):
        seeds += [(m, "workspace resolver changed") for m in allm]
    op, np_ = ow.get("package") or {}, nw.get("package") or {}
    changed_keys = {k for k in set(op) | set(np_) if op.get(k) != np_.get(k)}
    ol, nl = ow.get("lints"), nw.get("lints")
    odeps, ndeps = ow.get("dependencies") or {}, nw.get("dependencies") or {}
    changed_deps = {k for k in set(odeps) | set(ndeps) if odeps.get(k) != ndeps.get(k)}
    for m in allm:
        man = member_manifests.get(m)
        if not isinstance(man, dict):
            continue
        pkg = man.get("package") or {}
        for k in sorted(changed_keys):
            v = pkg.get(k)
            if isinstance(v, dict) and v.get("workspace") is True:
                seeds.append((m, f"inherits workspace.package.{k}, which changed"))
        if ol != nl and isinstance(man.get("lints"), dict) and man["lints"].get("workspace") is True:
            seeds.append((m, "inherits [workspace.lints], which changed"))
        for table, k, v in dep_entries(man):
            if k in changed_deps and isinstance(v, dict) and v.get("workspace") is True:
                seeds.append((m, f"uses workspace.dependencies.{k} ({table}), which changed"))
    # the root package's own manifest (everything but [workspace] and the
    # whole-workspace tables above)
    root_pkg = ws.dir_owner.get("")
    if root_pkg is not None:
        strip = lambda d: {k: v for k, v in d.items() if k not in ("workspace", "profile", "patch", "replace")}
        if strip(old) != strip(new):
            seeds.append((root_pkg, "its manifest (root Cargo.toml, outside [workspace]) changed"))
    return seeds


def lock_seeds(ws: Workspace, old_text: str | None, new_text: str | None):
    """[(package id, reason)] for the packages whose lockfile entry is new or
    different; the caller takes their reverse closure."""
    old, new = load_toml(old_text), load_toml(new_text)
    if not isinstance(new, dict):
        return [], []
    def entries(doc):
        out = {}
        if not isinstance(doc, dict):
            return out
        for p in doc.get("package", []):
            key = (p.get("name"), p.get("version"), p.get("source"))
            out[key] = (p.get("checksum"), tuple(sorted(p.get("dependencies", []))))
        return out
    oe, ne = entries(old), entries(new)
    changed = [k for k, v in ne.items() if oe.get(k) != v]
    ids = {}
    for i, p in ws.pkgs.items():
        ids[(p["name"], p["version"], p.get("source"))] = i
        ids.setdefault((p["name"], p["version"], None), i)
    seeds, unmatched = [], []
    for k in changed:
        i = ids.get(k) or ids.get((k[0], k[1], None))
        if i is None:
            # lock sources are "registry+…" like metadata's; git sources may carry "#rev"
            cands = [j for j, p in ws.pkgs.items() if p["name"] == k[0] and p["version"] == k[1]]
            i = cands[0] if cands else None
        if i is None:
            unmatched.append(f"{k[0]}@{k[1]}")
            continue
        what = "added" if not any(o[0] == k[0] and o[1] == k[1] for o in oe) else "entry changed"
        seeds.append((i, f"Cargo.lock: {k[0]} {k[1]} {what}"))
    return seeds, unmatched


# ---------------------------------------------------------------------------
# Closure


def closure(ws: Workspace, seeds: dict[str, str], skip_optional: bool = False, skip_inactive: bool = False):
    """Reverse closure of the seeds over every package and every dep kind.
    Returns {pid: (via pid or None, kind)} for every reached package.
    skip_optional (diagnostic only): ignore edges declared optional.
    skip_inactive (diagnostic only): ignore optional edges no enabled feature activates."""
    came = {s: (None, "seed") for s in seeds}
    q = deque(seeds)
    while q:
        x = q.popleft()
        for y, kind in ws.rev.get(x, []):
            if skip_optional and (y, ws.name[x]) in ws.optional:
                continue
            if skip_inactive and (y, x) in ws.inactive:
                continue
            if y not in came:
                came[y] = (x, kind)
                q.append(y)
    return came


def strict_closure(ws: Workspace, seeds, skip_optional: bool = False, skip_inactive: bool = False):
    """Cargo's own rule: normal and build edges are transitive; a
    dev-dependency only makes its dependent's tests rebuild (one hop).
    Returns {pid: (via pid or None, kind)} for every reached package (its
    keys are the set); skip_optional / skip_inactive as in `closure`."""
    def skip(y, x):
        return (skip_optional and (y, ws.name[x]) in ws.optional) or (skip_inactive and (y, x) in ws.inactive)
    came = {s: (None, "seed") for s in seeds}
    q = deque(seeds)
    while q:
        x = q.popleft()
        for y, kind in ws.rev.get(x, []):
            if kind != "dev" and y not in came and not skip(y, x):
                came[y] = (x, kind)
                q.append(y)
    out = dict(came)
    for x in came:
        for y, kind in ws.rev.get(x, []):
            if kind == "dev" and y not in out and not skip(y, x):
                out[y] = (x, kind)
    return out


# ---------------------------------------------------------------------------
# Cargo's rule for a package's own test, bench and example directories

PRODUCT_KINDS_EXCLUDED = {"test", "bench", "example"}


def own_test_dirs(ws: Workspace, pid: str) -> list[str]:
    """Directories (relative to the repository) whose files only `pid`'s own
    test, bench and example targets can compile: its top-level `tests/`,
    `benches/`, `examples/` and the directory of each of its test, bench and
    example targets, except a directory that holds (at any depth) the
    src_path of one of its lib, bin, proc-macro or build-script targets.
    Read from `cargo metadata` only."""
    pdir = ws.local.get(pid)
    if pdir is None:
        return []
    products, cands = [], set()
    for sub in ("tests", "benches", "examples"):
        cands.add(norm(os.path.join(pdir, sub)))
    for t in ws.pkgs[pid].get("targets", []):
        r = rel(ws.root, t["src_path"])
        if r is None:
            continue
        kinds = set(t.get("kind", []))
        if kinds and kinds <= PRODUCT_KINDS_EXCLUDED:
            d = os.path.dirname(r)
            # a target directory inside the package (one outside it is
            # another package's files: "compiles in" covers those)
            if d and under(d, pdir) and d != pdir:
                cands.add(d)
        else:
            products.append(r)
    out = []
    for d in sorted(c for c in cands if c):
        if not any(under(f, d) for f in products):
            out.append(d)
    return out


def own_tests_only(ws: Workspace, pid: str, reasons: list[str], dirs_cache: dict) -> bool:
    """Whether every reason of seed `pid` is `owns FILE` with FILE below one
    of pid's own test/bench/example directories (so the change reaches only
    pid's own test targets, nothing that depends on pid)."""
    if pid not in dirs_cache:
        dirs_cache[pid] = own_test_dirs(ws, pid)
    dirs = dirs_cache[pid]
    if not reasons or not dirs:
        return False
    for r in reasons:
        if not r.startswith("owns "):
            return False
        f = r[len("owns "):]
        if not any(under(f, d) and f != d for d in dirs):
            return False
    return True


def cargo_closure(ws: Workspace, seeds: dict[str, list[str]], dirs_cache: dict,
                  skip_optional: bool = False, skip_inactive: bool = False):
    """`required_cargo`'s closure: a seed that only owns files below its own
    test directories is marked itself and stops; every other seed goes over
    normal and build reverse edges transitively, then one dev-edge hop from
    every package reached (strict_closure). Returns {pid: (via, kind)};
    own-tests seeds have kind "own-tests"."""
    own = {p for p, w in seeds.items() if own_tests_only(ws, p, w, dirs_cache)}
    came = strict_closure(ws, [p for p in seeds if p not in own], skip_optional, skip_inactive)
    for p in own:
        came.setdefault(p, (None, "own-tests"))
    return came


# ---------------------------------------------------------------------------


def is_doc(path: str) -> bool:
    b = path.rsplit("/", 1)[-1]
    return b.endswith(".md") or b.startswith("LICENSE") or b in (".gitignore", ".gitattributes")


def compute(repo: str, base: str, head: str, changed: list[str], meta: dict, parent_meta: dict | None):
    ws = Workspace(meta, repo)
    tracked = [f for f in git(repo, "ls-files", "-z").split("\0") if f]
    ws.set_nested_crates(tracked)
    pws = None
    ptracked_set = set()
    if parent_meta is not None:
        pws = Workspace(parent_meta, parent_meta["workspace_root"])
        ptracked = [f for f in git(repo, "ls-tree", "-r", "-z", "--name-only", base).split("\0") if f]
        pws.set_nested_crates(ptracked)
        ptracked_set = set(ptracked)
    found, dirs, stats = compiled_in(ws, tracked)
    root_manifest = norm(os.path.join(rel(ws.root, meta["workspace_root"]) or "", "Cargo.toml"))
    root_lock = norm(os.path.join(rel(ws.root, meta["workspace_root"]) or "", "Cargo.lock"))

    seeds: dict[str, list[str]] = {}
    def seed(pid, why):
        seeds.setdefault(pid, []).append(why)
    unowned = []
    for f in changed:
        hit = False
        if f == root_manifest:
            old = load_toml(git_show(repo, base, f))
            new = load_toml(git_show(repo, head, f))
            mans = {}
            for m in ws.members:
                mp = rel(ws.root, ws.pkgs[m]["manifest_path"])
                try:
                    with open(os.path.join(ws.root, mp), "rb") as fh:
                        mans[m] = tomllib.load(fh)
                except (OSError, tomllib.TOMLDecodeError):
                    mans[m] = None
            for pid, why in root_manifest_seeds(ws, old, new, mans):
                seed(pid, why)
            hit = True
        elif f == root_lock:
            ls, unmatched = lock_seeds(ws, git_show(repo, base, f), git_show(repo, head, f))
            for pid, why in ls:
                seed(pid, why)
            hit = True
        else:
            o = ws.owner_by_dir(f)
            if o is not None:
                seed(o, f"owns {f}")
                hit = True
            if pws is not None and f in ptracked_set:
                # a file that existed at the parent and moved to another owner
                # (a file new in this commit was compiled by no package there)
                po = pws.owner_by_dir(f)
                if po is not None and pws.name[po] in ws.by_name and ws.by_name[pws.name[po]] != o:
                    seed(ws.by_name[pws.name[po]], f"owned {f} at the parent")
                    hit = True
        for pid, how in found.get(f, []):
            seed(pid, f"compiles in {f}: {how}")
            hit = True
        for d, pid, how in dirs:
            if f != d and under(f, d):
                seed(pid, f"compiles in {f}: {how} (directory)")
                hit = True
        if not hit:
            unowned.append(f)

    came = closure(ws, seeds)
    strict = strict_closure(ws, seeds)
    # Cargo's rules: own tests/benches/examples stop at their package, dev
    # edges one hop (the diagnostic variants below, *_cargo, drop one kind
    # of reason from these seeds and recompute this closure)
    dirs_cache: dict[str, list[str]] = {}
    cargo = cargo_closure(ws, seeds, dirs_cache)
    # the same without seeds that only own a file test-impact's built-in
    # rules ignore (*.md, LICENSE*, .gitignore, .gitattributes) and nothing
    # compiles in: tells that policy's misses from the graph's
    non_doc = {p: w for p, w in seeds.items()
               if any(not (r.startswith("owns ") or r.startswith("owned ")) or not is_doc(r.split(" ", 1)[1].split(" at the parent")[0]) for r in w)}
    no_docs = closure(ws, non_doc)
    no_optional = closure(ws, seeds, skip_optional=True)
    no_inactive = closure(ws, seeds, skip_inactive=True)
    # seeds that only a compiled-in reference explains: the file is not owned
    # by the including package, or it is a file the built-in rules ignore
    # (a seed with any other reason, e.g. it owns a .rs file, is not one)
    def compiled_only(reasons):
        compiled = {r[len("compiles in "):].split(": ", 1)[0] for r in reasons if r.startswith("compiles in ")}
        if not compiled:
            return False
        for r in reasons:
            if r.startswith("compiles in "):
                continue
            if r.startswith("owns ") or r.startswith("owned "):
                f = r.split(" ", 1)[1].split(" at the parent")[0]
                if f in compiled or is_doc(f):
                    continue
            return False
        return True
    by_compiled_in = {p: w for p, w in seeds.items() if compiled_only(w)}
    others = {p: w for p, w in seeds.items() if p not in by_compiled_in}
    without_compiled_in = closure(ws, others)
    # the cargo variants drop reasons, not only whole seeds: a seed that owns
    # a doc file and a file below its tests/ is own-tests once the doc is gone
    def doc_reason(r):
        return (r.startswith("owns ") or r.startswith("owned ")) and is_doc(r.split(" ", 1)[1].split(" at the parent")[0])
    cargo_no_docs_seeds = {p: [r for r in w if not doc_reason(r)] for p, w in seeds.items()}
    cargo_no_docs_seeds = {p: w for p, w in cargo_no_docs_seeds.items() if w}
    cargo_no_docs = cargo_closure(ws, cargo_no_docs_seeds, dirs_cache)
    cargo_no_optional = cargo_closure(ws, seeds, dirs_cache, skip_optional=True)
    cargo_no_inactive = cargo_closure(ws, seeds, dirs_cache, skip_inactive=True)
    cargo_without_compiled_in = cargo_closure(ws, others, dirs_cache)
    required = sorted({ws.name[p] for p in came if p in ws.members})

    def chains(reached):
        out = {}
        for p in sorted(reached, key=lambda p: ws.name[p]):
            if p not in ws.members:
                continue
            chain, x = [], p
            while reached[x][0] is not None:
                via, kind = reached[x]
                opt = ("inactive optional " if (x, via) in ws.inactive else
                       "optional " if (x, ws.name[via]) in ws.optional else "")
                chain.append(f"{opt}{kind}-dep on {ws.name[via]}" + ("" if via in ws.members else " (external)"))
                x = via
            why = "; ".join(seeds[x][:3]) + (f" (+{len(seeds[x]) - 3} more)" if len(seeds[x]) > 3 else "")
            tag = " [own tests only]" if reached[x][1] == "own-tests" else ""
            out[ws.name[p]] = (" -> ".join(chain) + " <- " if chain else "") + f"{ws.name[x]}{tag}: {why}"
        return out
    reasons = chains(came)
    reasons_cargo = chains(cargo)
    members_of = lambda reached: sorted({ws.name[p] for p in reached if p in ws.members})
    return {
        "repo": repo,
        "base": base,
        "head": head,
        "changed_files": changed,
        "members": sorted(ws.name[m] for m in ws.members),
        "required": required,
        "required_strict": sorted({ws.name[p] for p in strict if p in ws.members}),
        "required_cargo": members_of(cargo),
        "required_cargo_no_docs": members_of(cargo_no_docs),
        "required_cargo_no_optional": members_of(cargo_no_optional),
        "required_cargo_no_inactive_optional": members_of(cargo_no_inactive),
        "required_cargo_without_compiled_in": members_of(cargo_without_compiled_in),
        "own_tests_seeds": sorted(ws.name[p] for p, (_, k) in cargo.items() if k == "own-tests"),
        "own_test_dirs": {ws.name[p]: d for p, d in sorted(dirs_cache.items(), key=lambda kv: ws.name[kv[0]]) if d},
        "required_no_docs": sorted({ws.name[p] for p in no_docs if p in ws.members}),
        "required_no_optional": sorted({ws.name[p] for p in no_optional if p in ws.members}),
        "required_no_inactive_optional": sorted({ws.name[p] for p in no_inactive if p in ws.members}),
        "required_without_compiled_in": sorted({ws.name[p] for p in without_compiled_in if p in ws.members}),
        "reasons": reasons,
        "reasons_cargo": reasons_cargo,
        "seeds": {ws.name[p]: w for p, w in sorted(seeds.items(), key=lambda kv: ws.name[kv[0]])},
        "unowned": unowned,
        "compiled_in_outside_owner": sorted(
            f"{f} <- {ws.name[pid]}" for f, lst in found.items() for pid, _ in lst if ws.owner_by_dir(f) != pid),
        "stats": stats,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repo", required=True, help="work tree checked out at HEAD/--head")
    ap.add_argument("--base", required=True)
    ap.add_argument("--head", default="HEAD")
    ap.add_argument("--changed-files", help="file with one path per line (default: git diff --name-only --no-renames BASE HEAD)")
    ap.add_argument("--parent-metadata", help="cargo metadata JSON of BASE (else computed in a scratch worktree)")
    ap.add_argument("--no-parent-metadata", action="store_true")
    ap.add_argument("--save-metadata", help="write HEAD's cargo metadata JSON here (for the next commit's --parent-metadata)")
    a = ap.parse_args()
    repo = os.path.realpath(a.repo)
    head = git(repo, "rev-parse", a.head).strip()
    wt_head = git(repo, "rev-parse", "HEAD").strip()
    if head != wt_head:
        sys.exit(f"oracle: work tree is at {wt_head}, not {head}")
    base = git(repo, "rev-parse", a.base).strip()
    if a.changed_files:
        with open(a.changed_files) as fh:
            changed = [l.strip() for l in fh if l.strip()]
    else:
        changed = [l for l in git(repo, "diff", "--name-only", "--no-renames", base, head).splitlines() if l]
    meta = cargo_metadata(repo)
    if a.save_metadata:
        with open(a.save_metadata, "w") as fh:
            json.dump(meta, fh)
    parent = None
    if a.parent_metadata and os.path.exists(a.parent_metadata):
        with open(a.parent_metadata) as fh:
            parent = json.load(fh)
    elif not a.no_parent_metadata:
        parent = parent_metadata_via_worktree(repo, base)
    out = compute(repo, base, head, changed, meta, parent)
    out["parent_metadata"] = parent is not None
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
