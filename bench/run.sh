#!/usr/bin/env bash
# Benchmark of `critical-path` (not part of CI). See bench/README.md.
#
#   bench/run.sh            # 1M-module scale run + 100k comparison with networkx
#   SKIP_NETWORKX=1 bench/run.sh
#
# Inputs are generated (deterministically) into bench/out/, which is ignored
# by git. Needs: cargo, python3; installs `time` (apt) and networkx (pip) when
# missing.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=bench/out
BIG_MODULES=${BIG_MODULES:-1000000}
SMALL_MODULES=${SMALL_MODULES:-100000}
AVG_DEPS=${AVG_DEPS:-5}
SEED=${SEED:-1}
JOBS=${JOBS:-16}
REPEAT=${REPEAT:-3}
mkdir -p "$OUT"

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
  say "installing GNU time"
  if command -v apt-get >/dev/null; then
    (apt-get update -qq && apt-get install -y -qq time) >/dev/null 2>&1 || true
  fi
  [ -x /usr/bin/time ] || { echo "need GNU time at /usr/bin/time" >&2; exit 1; }
fi
if [ -z "${SKIP_NETWORKX:-}" ] && ! python3 -c 'import networkx' 2>/dev/null; then
  say "installing networkx"
  python3 -m pip install --quiet networkx
fi

say "building (release)"
cargo build --release --quiet -p critical-path --bins
BIN=target/release
CP=$BIN/critical-path

# --- inputs ------------------------------------------------------------------
gen() { # modules file
  if [ ! -s "$2" ]; then
    say "generating $2"
    "$BIN/gen-graph" --modules "$1" --avg-deps "$AVG_DEPS" --seed "$SEED" --output "$2" -v 2>"$2.info"
    cat "$2.info" >&2
  fi
}
BIG=$OUT/monorepo-$BIG_MODULES-d$AVG_DEPS-s$SEED.json
SMALL=$OUT/monorepo-$SMALL_MODULES-d$AVG_DEPS-s$SEED.json
gen "$BIG_MODULES" "$BIG"
gen "$SMALL_MODULES" "$SMALL"

if ! "$CP" analyze --help 2>/dev/null | grep -qi usage; then
  echo "critical-path has no 'analyze' command yet: nothing to measure." >&2
  exit 1
fi

# Runs a command under GNU time; prints "WALL_S MAX_RSS_KIB" and keeps its
# stdout/stderr in $OUT/last.{out,err}.
measure() {
  /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" >"$OUT/last.out" 2>"$OUT/last.err" || {
    echo "failed: $*" >&2
    cat "$OUT/last.err" >&2
    exit 1
  }
  cat "$OUT/time.txt"
}

# Best of $REPEAT: "WALL_S MAX_RSS_KIB" of the fastest run.
best_of() {
  local best="" line
  for _ in $(seq "$REPEAT"); do
    line=$(measure "$@")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
      best=$line
    fi
  done
  echo "$best"
}

# Critical path length in our JSON output (`critical_path.duration_s`).
our_length() {
  python3 -c '
import json, sys
try:
    print(json.load(open(sys.argv[1]))["critical_path"]["duration_s"])
except Exception:
    print("?")' "$OUT/last.out"
}

# Phases logged by `-v` on stderr (`INFO <what> elapsed_ms=N`), one per line
# as "<what>: N ms".
our_phases() {
  sed -E 's/\x1b\[[0-9;]*m//g' "$OUT/last.err" | awk '/ INFO / && /elapsed_ms=/ {
    msg = ""; ms = ""; on = 0
    for (i = 1; i <= NF; i++) {
      if ($i == "INFO") { on = 1; continue }
      if ($i ~ /^elapsed_ms=/) { ms = substr($i, 12) }
      else if (on && $i !~ /=/) { msg = msg (msg == "" ? "" : " ") $i }
    }
    printf "      %-32s %6s ms\n", msg ":", ms
  }'
}

# Milliseconds of the `-v` phase whose name matches $1.
phase_ms() {
  sed -E 's/\x1b\[[0-9;]*m//g' "$OUT/last.err" | sed -nE "s/^.*INFO +.*$1.* elapsed_ms=([0-9.]+).*$/\\1/p" | head -1
}

# --- 1. scale: 1M modules ------------------------------------------------------
say "analyze $BIG (--jobs $JOBS), best of $REPEAT"
res=$(best_of "$CP" analyze "$BIG" --jobs "$JOBS" --format json)
read -r big_wall big_rss <<<"$res"
big_len=$(our_length)
"$CP" analyze "$BIG" --jobs "$JOBS" --format json -v >/dev/null 2>"$OUT/last.err" || true
big_phases=$(our_phases)

say "slack $BIG, best of $REPEAT"
res=$(best_of "$CP" slack "$BIG" --format json)
read -r slack_wall slack_rss <<<"$res"
res=$(best_of "$CP" slack "$BIG" --format json --limit 20)
read -r slack20_wall slack20_rss <<<"$res"

# --- 2. comparison at 100k -------------------------------------------------------
say "analyze $SMALL (--jobs $JOBS), best of $REPEAT"
res=$(best_of "$CP" analyze "$SMALL" --jobs "$JOBS" --format json)
read -r small_wall small_rss <<<"$res"
small_len=$(our_length)
"$CP" analyze "$SMALL" --jobs "$JOBS" --format json -v >/dev/null 2>"$OUT/last.err" || true
small_phases=$(our_phases)
# The fastest of $REPEAT runs for the critical-path phase.
small_cp_ms=$(phase_ms 'critical path')
for _ in $(seq 2 "$REPEAT"); do
  "$CP" analyze "$SMALL" --jobs "$JOBS" --format json -v >/dev/null 2>"$OUT/last.err" || true
  ms=$(phase_ms 'critical path')
  if [ -n "$ms" ] && { [ -z "$small_cp_ms" ] || awk -v a="$ms" -v b="$small_cp_ms" 'BEGIN{exit !(a<b)}'; }; then small_cp_ms=$ms; fi
done

if [ -z "${SKIP_NETWORKX:-}" ]; then
  say "networkx.dag_longest_path on $SMALL"
  nx_json=$(python3 bench/networkx_longest.py "$SMALL")
  read -r nx_load nx_build nx_longest nx_total nx_len nx_ver < <(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(r["load_s"], r["build_s"], r["longest_path_s"], r["total_s"], r["length_s"], r["networkx"])' "$nx_json")
fi

# --- report --------------------------------------------------------------------
edges() { grep -o '[0-9]* edges' "$1.info" 2>/dev/null || echo "? edges"; }
mib() { awk -v k="$1" 'BEGIN{printf "%.0f MiB", k/1024}'; }
cores=$(nproc)
echo
echo "critical-path benchmark — $(uname -m), $cores cores, $(date -u +%Y-%m-%d)"
echo
printf '%-44s %12s %12s\n' "" "wall" "peak RSS"
printf '%-44s %11.2fs %12s   (target <= 2 s, <= 2 GiB)\n' \
  "analyze, $BIG_MODULES modules, --jobs $JOBS" "$big_wall" "$(mib "$big_rss")"
printf '%-44s %11.2fs %12s\n' "slack,   $BIG_MODULES modules (all rows)" "$slack_wall" "$(mib "$slack_rss")"
printf '%-44s %11.2fs %12s\n' "slack,   $BIG_MODULES modules, --limit 20" "$slack20_wall" "$(mib "$slack20_rss")"
printf '%-44s %11.2fs %12s\n' "analyze, $SMALL_MODULES modules, --jobs $JOBS" "$small_wall" "$(mib "$small_rss")"
echo "  input: $(basename "$BIG"), $(edges "$BIG"); critical path ${big_len} s"
if [ -n "$big_phases" ]; then echo "  phases (-v), $BIG_MODULES modules:"; echo "$big_phases"; fi
if [ -n "$small_phases" ]; then echo "  phases (-v), $SMALL_MODULES modules:"; echo "$small_phases"; fi

if [ -z "${SKIP_NETWORKX:-}" ]; then
  echo
  echo "$SMALL_MODULES modules vs networkx $nx_ver (same file; critical path: ours ${small_len} s, networkx ${nx_len} s)"
  printf '%-44s %12s %12s %8s\n' "" "critical-path" "networkx" "ratio"
  printf '%-44s %12s %11.2fs %7.0fx\n' "whole run (ours: process; nx: load+build+path)" \
    "$(printf '%.3fs' "$small_wall")" "$nx_total" "$(awk -v a="$nx_total" -v b="$small_wall" 'BEGIN{print a/b}')"
  printf '%-44s %12s %11.2fs\n' "  networkx: json.load" "" "$nx_load"
  printf '%-44s %12s %11.2fs\n' "  networkx: build DiGraph" "" "$nx_build"
  if [ -n "$small_cp_ms" ]; then
    printf '%-44s %12s %11.2fs %7.0fx\n' "longest path only (nx: dag_longest_path)" \
      "$(awk -v m="$small_cp_ms" 'BEGIN{printf "%.3fs", m/1000}')*" "$nx_longest" \
      "$(awk -v a="$nx_longest" -v m="$small_cp_ms" 'BEGIN{print a/(m>0?m:0.5)*1000}')"
    echo "  * ours: the -v phase 'critical path': earliest starts, tails (for slack) and the path itself,"
    echo "    more work than dag_longest_path does; the process also parses, simulates and computes improvements."
  else
    printf '%-44s %12s %11.2fs %7.0fx\n' "longest path only (nx: dag_longest_path)" \
      "$(printf '%.3fs' "$small_wall")*" "$nx_longest" "$(awk -v a="$nx_longest" -v b="$small_wall" 'BEGIN{print a/b}')"
    echo "  * ours: the whole process (no -v timings found), an upper bound of the computation."
  fi
  echo "  Target: >= 100x."
fi
