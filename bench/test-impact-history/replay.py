#!/usr/bin/env python3
"""Replay a repository's history through test-impact and the oracle (issue #12).

    TEST_IMPACT=/path/to/test-impact ./replay.py REPO N [--out FILE] [--jobs-note]

For each of the last N first-parent commits of REPO's HEAD (oldest first), in
a scratch worktree checked out at the commit:

  * test-impact select --root WT --base COMMIT~1 --head COMMIT --format json
  * oracle.py (this directory) on the same commit and changed files

A MISS is a package the oracle's `required_cargo` (Cargo's own rules: a
package's own tests/benches/examples stop at it, a dev-dependency one hop)
requires that is not in `affected` while `run_all` is false; the misses the
fully transitive `required` would give are counted separately. Prints one line per commit with a miss or an error, then

  REPO: N commits, M misses in K commits, E errors, avg selected X of Y

and the timings; the full results go to a JSON file under /tmp.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "oracle.py")
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "target", "release", "test-impact"))


def git(repo, *args, check=True):
    p = subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def error_line(stderr: str) -> str:
    lines = [l.strip() for l in stderr.splitlines() if l.strip()]
    for l in lines:
        if l.lower().startswith("error"):
            return l[:300]
    return (lines[-1] if lines else "(no stderr)")[:300]


def cause(rec: dict, m: str) -> str:
    """A miss's likely cause (a miss against `required_cargo`), from the
    oracle's diagnostic variants of that closure (each drops one kind of
    reason and recomputes it) and the miss's reason chain."""
    why = rec.get("oracle_reasons_cargo", {}).get(m, "")
    if m not in rec.get("required_cargo_no_docs", []):
        return "owned-doc-file"       # only via a *.md/LICENSE*/.git* file its package owns
    if m not in rec.get("required_cargo_no_inactive_optional", []):
        return "inactive-optional-dep"  # only through an optional dependency no enabled feature activates
    if m not in rec.get("required_cargo_no_optional", []):
        return "optional-dep"         # only through an optional dependency (--all-features)
    if m not in rec.get("required_cargo_without_compiled_in", []):
        return "compiled-in"          # only via include_*!/#[path]/rerun-if-changed
    if "Cargo.lock:" in why:
        return "lockfile"
    if "workspace." in why or "root Cargo.toml" in why or "its manifest" in why or "resolver" in why:
        return "root-manifest"
    return "other"


def transitive_cause(rec: dict, m: str) -> str:
    """Why a package the transitive `required` has is not in `required_cargo`:
    `own-tests` (only a change below a package's own tests/, benches/,
    examples/ reaches it) or `dev-edge-transitive` (only through a
    dev-dependency that is not the last hop)."""
    if m in rec.get("required_cargo", []):
        return "in-required_cargo"  # a miss against both closures
    if m in rec.get("required_strict", []):
        return "own-tests"
    return "dev-edge-transitive"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo")
    ap.add_argument("n", type=int)
    ap.add_argument("--out", help="results JSON (default /tmp/ti-history-<repo>-<time>.json)")
    ap.add_argument("--worktree", help="scratch worktree (default /tmp/ti-history/wt-<repo>)")
    ap.add_argument("--verbose", "-v", action="store_true", help="one line per commit")
    ap.add_argument("--binary-commit", default=os.environ.get("TEST_IMPACT_COMMIT"),
                    help="the commit the test-impact binary was built from (recorded in the JSON)")
    a = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("replay: terminated"))
    binary = os.environ.get("TEST_IMPACT", DEFAULT_BIN)
    if not os.path.exists(binary):
        sys.exit(f"replay: no test-impact binary at {binary} (set TEST_IMPACT)")
    repo = os.path.realpath(a.repo)
    name = os.path.basename(repo.rstrip("/"))
    wt = a.worktree or f"/tmp/ti-history/wt-{name}"
    out_path = a.out or f"/tmp/ti-history-{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    commits = git(repo, "rev-list", "--first-parent", "-n", str(a.n), "HEAD").split()
    commits.reverse()
    if len(commits) < a.n:
        print(f"{name}: only {len(commits)} commits", file=sys.stderr)

    if os.path.exists(wt):
        git(repo, "worktree", "remove", "--force", wt, check=False)
        subprocess.run(["rm", "-rf", wt])
    git(repo, "worktree", "prune")
    git(repo, "worktree", "add", "--detach", "-q", wt, commits[0])
    cache = tempfile.mkdtemp(prefix=f"replay-{name}-")
    env = dict(os.environ)
    env.setdefault("CARGO_NET_RETRY", "3")

    results = []
    t_start = time.time()
    t_ti = t_or = 0.0
    prev_meta = None
    try:
        for idx, c in enumerate(commits):
            short = c[:10]
            subject = git(repo, "log", "-1", "--format=%s", c).strip()
            git(wt, "checkout", "-q", "--detach", "-f", c)
            git(wt, "clean", "-fdxq")
            parent = git(repo, "rev-parse", f"{c}~1", check=False).strip()
            rec = {"commit": c, "subject": subject, "parent": parent or None}
            if not parent:
                rec["error"] = "no parent"
                results.append(rec)
                continue

            t0 = time.time()
            p = subprocess.run([binary, "select", "--root", wt, "--base", f"{c}~1", "--head", c, "--format", "json"],
                               capture_output=True, text=True, env=env)
            t_ti += (dt := time.time() - t0)
            rec["ti_seconds"] = round(dt, 2)
            ti = None
            if p.returncode != 0:
                rec["error"] = f"test-impact exit {p.returncode}: {error_line(p.stderr)}"
            else:
                try:
                    ti = json.loads(p.stdout)
                except json.JSONDecodeError as e:
                    rec["error"] = f"test-impact: unreadable JSON: {e}"
            git(wt, "checkout", "-q", "--detach", "-f", c)
            git(wt, "clean", "-fdxq")

            meta_out = os.path.join(cache, f"{c}.json")
            cmd = [sys.executable, ORACLE, "--repo", wt, "--base", parent, "--head", c, "--save-metadata", meta_out]
            if prev_meta and prev_meta[0] == parent:
                cmd += ["--parent-metadata", prev_meta[1]]
            t0 = time.time()
            q = subprocess.run(cmd, capture_output=True, text=True, env=env)
            t_or += (dt := time.time() - t0)
            rec["oracle_seconds"] = round(dt, 2)
            git(wt, "clean", "-fdxq")
            orc = None
            if q.returncode != 0:
                rec["oracle_error"] = error_line(q.stderr)
            else:
                orc = json.loads(q.stdout)
                prev_meta = (c, meta_out)
                rec["required"] = orc["required"]
                rec["required_strict"] = orc["required_strict"]
                for k in ("required_cargo", "required_cargo_no_docs", "required_cargo_no_optional",
                          "required_cargo_no_inactive_optional", "required_cargo_without_compiled_in",
                          "own_tests_seeds"):
                    rec[k] = orc[k]
                rec["oracle_reasons_cargo"] = orc["reasons_cargo"]
                rec["required_no_docs"] = orc["required_no_docs"]
                rec["required_no_optional"] = orc["required_no_optional"]
                rec["required_no_inactive_optional"] = orc["required_no_inactive_optional"]
                rec["required_without_compiled_in"] = orc["required_without_compiled_in"]
                rec["oracle_seeds"] = orc["seeds"]
                rec["oracle_reasons"] = orc["reasons"]
                rec["changed_files"] = orc["changed_files"]
                rec["unowned"] = orc["unowned"]
                rec["members"] = len(orc["members"])

            if ti is not None:
                rec["run_all"] = ti.get("run_all")
                rec["run_all_reason"] = ti.get("run_all_reason")
                rec["affected"] = ti.get("affected", [])
                rec["total"] = ti.get("total")
                rec["selected"] = rec["total"] if ti.get("run_all") else len(rec["affected"])
            if ti is not None and orc is not None:
                if ti.get("run_all"):
                    rec["misses"] = []
                    rec["misses_transitive"] = []
                    rec["misses_strict"] = []
                else:
                    aff = set(ti.get("affected", []))
                    rec["misses"] = [m for m in orc["required_cargo"] if m not in aff]
                    rec["misses_transitive"] = [m for m in orc["required"] if m not in aff]
                    rec["misses_strict"] = [m for m in orc["required_strict"] if m not in aff]
                    rec["ti_reasons"] = ti.get("reasons")
                    rec["miss_causes"] = {m: cause(rec, m) for m in rec["misses"]}
                    rec["transitive_only_causes"] = {m: transitive_cause(rec, m)
                                                     for m in rec["misses_transitive"] if m not in rec["misses"]}
            results.append(rec)

            tag = f"{name} {idx + 1}/{len(commits)} {short}"
            if rec.get("error"):
                print(f"ERROR {tag} {subject[:60]!r}: {rec['error']}", flush=True)
            if rec.get("oracle_error"):
                print(f"ORACLE-ERROR {tag} {subject[:60]!r}: {rec['oracle_error']}", flush=True)
            if rec.get("misses"):
                print(f"MISS {tag} {subject[:60]!r}: " + "; ".join(
                    f"{m} <{rec['miss_causes'][m]}> [{orc['reasons_cargo'][m][:400]}]" for m in rec["misses"]), flush=True)
            elif a.verbose:
                print(f"ok {tag} selected {rec.get('selected')} required_cargo {len(rec.get('required_cargo', []))}"
                      f" required {len(rec.get('required', []))}"
                      f"{' run_all' if rec.get('run_all') else ''}"
                      f"{' transitive-misses ' + str(len(rec['misses_transitive'])) if rec.get('misses_transitive') else ''}",
                      flush=True)
    finally:
        git(repo, "worktree", "remove", "--force", wt, check=False)
        git(repo, "worktree", "prune", check=False)
        subprocess.run(["rm", "-rf", cache])

    elapsed = time.time() - t_start
    compared = [r for r in results if "misses" in r]
    misses = sum(len(r["misses"]) for r in compared)
    miss_commits = sum(1 for r in compared if r["misses"])
    trans = sum(len(r["misses_transitive"]) for r in compared)
    trans_commits = sum(1 for r in compared if r["misses_transitive"])
    strict = sum(len(r["misses_strict"]) for r in compared)
    strict_commits = sum(1 for r in compared if r["misses_strict"])
    errors = sum(1 for r in results if r.get("error"))
    oerrors = sum(1 for r in results if r.get("oracle_error"))
    sel = [r["selected"] for r in results if r.get("selected") is not None]
    tot = [r["total"] for r in results if r.get("total") is not None]
    req = [len(r["required"]) for r in results if "required" in r]
    req_cargo = [len(r["required_cargo"]) for r in results if "required_cargo" in r]
    files = [len(r["changed_files"]) for r in results if "changed_files" in r]
    run_all = sum(1 for r in results if r.get("run_all"))
    avg = lambda xs: (sum(xs) / len(xs)) if xs else 0.0
    def median(xs):
        xs = sorted(xs)
        if not xs:
            return 0.0
        k = len(xs) // 2
        return xs[k] if len(xs) % 2 else (xs[k - 1] + xs[k]) / 2
    ti_t = [r["ti_seconds"] for r in results if "ti_seconds" in r]
    or_t = [r["oracle_seconds"] for r in results if "oracle_seconds" in r]
    summary = (f"{name}: {len(results)} commits, {sum(files)} changed files, "
               f"{misses} misses (vs required_cargo) in {miss_commits} commits, "
               f"{trans} vs transitive required in {trans_commits} commits, {errors} errors")
    selection = (f"{name}: selected packages test-impact mean {avg(sel):.2f} median {median(sel):g} "
                 f"(run_all counts all); oracle required_cargo mean {avg(req_cargo):.2f} median {median(req_cargo):g}; "
                 f"transitive required mean {avg(req):.2f} median {median(req):g}; of {avg(tot):.1f} packages")
    detail = (f"{name}: run_all in {run_all} commits; "
              f"strict (dev edges one hop, no own-tests rule) {strict} misses in {strict_commits} commits; "
              f"{oerrors} oracle errors; "
              f"time {elapsed:.0f}s total, test-impact {t_ti / max(len(results), 1):.2f}s/commit, "
              f"oracle {t_or / max(len(results), 1):.2f}s/commit")
    timing = (f"{name}: test-impact per commit median {median(ti_t):.2f}s max {max(ti_t, default=0):.2f}s; "
              f"oracle per commit median {median(or_t):.2f}s max {max(or_t, default=0):.2f}s")
    tcauses: dict[str, int] = {}
    for r in compared:
        for m, c in r.get("transitive_only_causes", {}).items():
            tcauses[c] = tcauses.get(c, 0) + 1
    tcause_line = f"{name}: transitive-only misses (not misses of required_cargo): " + (", ".join(
        f"{c} {k}" for c, k in sorted(tcauses.items(), key=lambda kv: -kv[1])) or "none")
    causes: dict[str, list[int]] = {}
    by_pkg: dict[str, int] = {}
    for r in compared:
        seen = set()
        for m, c in r.get("miss_causes", {}).items():
            causes.setdefault(c, [0, 0])[0] += 1
            if c not in seen:
                causes[c][1] += 1
                seen.add(c)
            by_pkg[m] = by_pkg.get(m, 0) + 1
    no_doc = sum(1 for r in compared for m in r["misses"] if r["miss_causes"][m] != "owned-doc-file")
    no_doc_commits = sum(1 for r in compared if any(c != "owned-doc-file" for c in r.get("miss_causes", {}).values()))
    cause_line = f"{name}: miss causes: " + (", ".join(
        f"{c} {v[0]} in {v[1]} commits" for c, v in sorted(causes.items(), key=lambda kv: -kv[1][0])) or "none")
    cause_line += f"; without owned-doc-file: {no_doc} misses in {no_doc_commits} commits"
    pkg_line = f"{name}: missed packages: " + (", ".join(
        f"{p} {k}" for p, k in sorted(by_pkg.items(), key=lambda kv: -kv[1])) or "none")
    print(summary)
    print(selection)
    print(detail)
    print(timing)
    print(cause_line)
    print(pkg_line)
    print(tcause_line)
    doc = {
        "repo": repo, "name": name, "n": a.n, "binary": binary, "binary_commit": a.binary_commit,
        "head": commits[-1] if commits else None,
        "timing": timing,
        "ti_seconds_median": median(ti_t), "ti_seconds_max": max(ti_t, default=0),
        "oracle_seconds_median": median(or_t), "oracle_seconds_max": max(or_t, default=0),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "range": f"{commits[0]}~1..{commits[-1]}" if commits else None,
        "summary": summary, "selection": selection, "detail": detail, "causes": cause_line,
        "packages": pkg_line, "transitive_only": tcause_line,
        "stats": {"commits": len(results), "changed_files": sum(files), "misses": misses,
                  "miss_commits": miss_commits, "misses_transitive": trans,
                  "misses_transitive_commits": trans_commits, "errors": errors, "oracle_errors": oerrors,
                  "run_all": run_all, "selected_mean": avg(sel), "selected_median": median(sel),
                  "required_cargo_mean": avg(req_cargo), "required_cargo_median": median(req_cargo),
                  "required_mean": avg(req), "required_median": median(req), "total_mean": avg(tot)},
        "elapsed_seconds": round(elapsed, 1),
        "results": results,
    }
    with open(out_path, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"{name}: results in {out_path}")


if __name__ == "__main__":
    main()
