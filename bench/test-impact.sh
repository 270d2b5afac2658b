#!/usr/bin/env bash
# Benchmark of `test-impact select` (not part of CI). See bench/README.md.
#
#   bench/test-impact.sh                 # 10k modules / 100k files, and this repository
#   MODULES=1000 FILES=10000 RUNS=5 bench/test-impact.sh
#   KEEP=1 bench/test-impact.sh          # keep the generated repository and the clone
#
# (a) A synthetic monorepo, a real git repository written by gen-monorepo,
#     whose last commit modifies exactly $CHANGED files:
#     `select --base HEAD~1 --graph G --format json`, end to end.
# (b) This repository as a Cargo workspace, in a temporary clone:
#     `select --base HEAD~5 --format json` against the two
#     `cargo metadata --format-version 1` runs it cannot avoid (base and head).
#
# Everything is written to a temporary folder under bench/out/ (ignored by
# git) and removed at the end; the checkout this runs from is only read.
# Needs: cargo, git, python3; uses hyperfine when present (installs it with
# apt-get when it can), else times $RUNS runs itself and takes the median.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=bench/out
MODULES=${MODULES:-10000}
FILES=${FILES:-$((MODULES * 10))}
COMMITS=${COMMITS:-20}
CHANGED=${CHANGED:-50}
SEED=${SEED:-1}
RUNS=${RUNS:-10}
CARGO_BASE=${CARGO_BASE:-HEAD~5}
TARGET_A_MS=300
TARGET_B_RATIO=1.5
mkdir -p "$OUT"
TMP=$(mktemp -d "$ROOT/$OUT/test-impact.XXXXXX")
if [ -z "${KEEP:-}" ]; then
  trap 'rm -rf "$TMP"' EXIT
else
  trap 'echo "kept $TMP" >&2' EXIT
fi

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
if ! command -v hyperfine >/dev/null && command -v apt-get >/dev/null; then
  say "installing hyperfine"
  (apt-get install -y -qq hyperfine || { apt-get update -qq && apt-get install -y -qq hyperfine; }) >/dev/null 2>&1 || true
fi
if command -v hyperfine >/dev/null; then
  TIMER="hyperfine $(hyperfine --version | awk '{print $2}'), median of $RUNS"
else
  TIMER="bash date +%s%N, median of $RUNS"
fi

say "building (release)"
cargo build --release --quiet -p test-impact --bins
TI=$ROOT/target/release/test-impact
GEN=$ROOT/target/release/gen-monorepo

# Median wall time of a command in milliseconds, after one warm-up run. The
# command's output goes to a pipe and is dropped.
median_ms() {
  if command -v hyperfine >/dev/null; then
    local cmd
    cmd=$(printf '%q ' "$@")
    hyperfine -N --style none --output pipe --warmup 1 --runs "$RUNS" \
      --export-json "$TMP/hyperfine.json" -- "$cmd" >/dev/null
    python3 -c '
import json, sys
print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$TMP/hyperfine.json"
  else
    "$@" >/dev/null 2>&1
    local i s e
    for i in $(seq "$RUNS"); do
      s=$(date +%s%N)
      "$@" 2>/dev/null | cat >/dev/null
      e=$(date +%s%N)
      echo $(((e - s) / 1000))
    done | sort -n | awk '{a[NR] = $1} END {
      m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
      printf "%.1f\n", m / 1000 }'
  fi
}

# "CHANGED AFFECTED TOTAL TESTS RUN_ALL" from a JSON report, and the reason
# a run-all was chosen on a second line.
summary() {
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["changed_files"]), len(r["affected"]), r["total"], len(r["tests"]),
      "yes" if r["run_all"] else "no")
print(r.get("run_all_reason") or "")' "$1"
}

# --- (a) synthetic monorepo ----------------------------------------------------
REPO=$TMP/monorepo
GRAPH=$TMP/monorepo.json
say "generating $MODULES modules / $FILES files, $COMMITS commits + one of $CHANGED files"
s=$(date +%s%N)
"$GEN" --modules "$MODULES" --files "$FILES" --commits "$COMMITS" \
  --last-commit-files "$CHANGED" --seed "$SEED" --out "$REPO" --graph-out "$GRAPH" 2>"$TMP/gen.info"
e=$(date +%s%N)
gen_s=$(awk -v n=$((e - s)) 'BEGIN{printf "%.2f", n / 1e9}')
cat "$TMP/gen.info" >&2
# "graph 0.01 s, fast-import 1.10 s, checkout 2.30 s" from the summary line.
gen_phases=$(sed -nE 's/.*; (graph .*), total .*/\1/p' "$TMP/gen.info")
gen_files=$(sed -nE 's/.* ([0-9]+) files at HEAD.*/\1/p' "$TMP/gen.info")

say "test-impact select --base HEAD~1 --graph (synthetic), $TIMER"
A=("$TI" select --base HEAD~1 --graph "$GRAPH" --format json --root "$REPO")
"${A[@]}" >"$TMP/a.json" 2>"$TMP/a.err" || { cat "$TMP/a.err" >&2; exit 1; }
a_ms=$(median_ms "${A[@]}")
{ read -r a_changed a_affected a_total a_tests a_all; read -r a_why; } < <(summary "$TMP/a.json")

# --- (b) this repository, a Cargo workspace --------------------------------------
CLONE=$TMP/clone
say "cloning $ROOT (committed HEAD) into $CLONE"
git clone --quiet --no-hardlinks "$ROOT" "$CLONE"
b_head=$(git -C "$CLONE" log -1 --format='%h %s' | cut -c1-60)
say "test-impact select --base $CARGO_BASE (Cargo) vs 2 x cargo metadata, $TIMER"
b_ok=1
B=("$TI" select --base "$CARGO_BASE" --format json)
if (cd "$CLONE" && "${B[@]}" >"$TMP/b.json" 2>"$TMP/b.err"); then
  b_ms=$(cd "$CLONE" && median_ms "${B[@]}")
  { read -r b_changed b_affected b_total b_tests b_all; read -r b_why; } < <(summary "$TMP/b.json")
else
  b_ok=
  b_err=$(tail -1 "$TMP/b.err")
  echo "test-impact select failed in the clone: $b_err" >&2
fi
META='cargo metadata --format-version 1 >/dev/null'
meta1_ms=$(cd "$CLONE" && median_ms bash -c "$META")
meta2_ms=$(cd "$CLONE" && median_ms bash -c "$META && $META")

# --- report --------------------------------------------------------------------
# "ok" or "OVER" for a measure against its target.
verdict() { awk -v m="$1" -v t="$2" 'BEGIN{print (m <= t) ? "ok" : "OVER"}'; }
ms() { awk -v m="$1" 'BEGIN{printf "%.0f ms", m}'; }
echo
echo "test-impact benchmark — $(uname -m), $(nproc) cores, $(date -u +%Y-%m-%d); $TIMER"
echo
printf '%-50s %10s\n' "generate (gen-monorepo, seed $SEED)" "${gen_s} s"
echo "  $MODULES modules, $gen_files files, $((COMMITS + 2)) commits; $gen_phases"
echo
printf '%-50s %10s %12s %6s\n' "" "measured" "target" ""
printf '%-50s %10s %12s %6s\n' "(a) select --base HEAD~1 --graph, $MODULES modules" \
  "$(ms "$a_ms")" "<= $TARGET_A_MS ms" "$(verdict "$a_ms" "$TARGET_A_MS")"
echo "    $a_changed changed files -> $a_affected of $a_total modules affected, $a_tests tests${a_why:+; run all: $a_why}"
if [ -n "$b_ok" ]; then
  ratio=$(awk -v a="$b_ms" -v b="$meta2_ms" 'BEGIN{printf "%.2f", a / b}')
  printf '%-50s %10s\n' "(b) select --base $CARGO_BASE, this repository (Cargo)" "$(ms "$b_ms")"
  printf '%-50s %10s\n' "    2 x cargo metadata --format-version 1" "$(ms "$meta2_ms")"
  printf '%-50s %10s\n' "    1 x cargo metadata --format-version 1" "$(ms "$meta1_ms")"
  printf '%-50s %10s %12s %6s\n' "    ratio, select / 2 x cargo metadata" "${ratio}x" \
    "<= ${TARGET_B_RATIO}x" "$(verdict "$ratio" "$TARGET_B_RATIO")"
  echo "    at $b_head"
  echo "    $b_changed changed files -> $b_affected of $b_total packages affected, $b_tests tests${b_why:+; run all: $b_why}"
else
  printf '%-50s %10s\n' "(b) select --base $CARGO_BASE, this repository (Cargo)" "failed"
  printf '%-50s %10s\n' "    2 x cargo metadata --format-version 1" "$(ms "$meta2_ms")"
  echo "    $b_err"
  exit 1
fi
