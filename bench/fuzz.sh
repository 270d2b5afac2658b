#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (one per parser of untrusted input)
# for SECONDS each and prints what they did (not part of CI).
#
#   bench/fuzz.sh                  # every target, 600 s each
#   bench/fuzz.sh 60 dot jsonl     # two targets, a minute each
#   JOBS=2 bench/fuzz.sh 600       # two fuzzers at a time
#
# Knobs (environment): SANITIZER (address, the default, or none), JOBS
# (fuzzers at once, default 1), BUILD_JOBS (cargo -j, default 1), TIMEOUT
# (seconds one input may take before it counts as a hang, default 10),
# NO_BUILD=1 (reuse the binaries built last time).
#
# Needs a stable toolchain only: cargo-fuzz is installed when missing and
# the fuzz workspace is built with RUSTC_BOOTSTRAP=1 (libFuzzer and the
# sanitizers need unstable flags). The product's own build never sees that.
#
# Each target's corpus (fuzz/corpus/TARGET, ignored by git) is seeded from
# fixtures/ (copied; a target whose first byte picks a variant gets each
# fixture with that byte in front) and from fuzz/seeds/TARGET. Crashes go to
# fuzz/artifacts/TARGET/, libFuzzer's output to fuzz/out/TARGET.log. Exits 1
# if any target crashed, hung or ran out of memory.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SECONDS_EACH=${1:-600}
shift || true
ALL=(native_json dot times_csv cargo_timings_html ninja_log codeowners
  warnings_log junit jsonl test_impact_toml bot_config webhook)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi
SANITIZER=${SANITIZER:-address}
JOBS=${JOBS:-1}
TIMEOUT=${TIMEOUT:-10}

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

if ! cargo fuzz --version >/dev/null 2>&1; then
  say "installing cargo-fuzz"
  nice -n 10 cargo install cargo-fuzz --locked -j "${BUILD_JOBS:-1}"
fi

HOST=$(rustc -vV | sed -n 's/^host: //p')
BIN=$ROOT/fuzz/target/$HOST/release
if [ "${NO_BUILD:-0}" != 1 ]; then
  say "building the fuzz targets (sanitizer: $SANITIZER)"
  (cd fuzz && CARGO_BUILD_JOBS=${BUILD_JOBS:-1} RUSTC_BOOTSTRAP=1 \
    nice -n 10 cargo fuzz build --sanitizer "$SANITIZER")
fi

# seed TARGET FILE [SELECTOR]: copies FILE into TARGET's corpus, with the
# byte SELECTOR (decimal) in front when given.
seed() {
  local dir=$ROOT/fuzz/corpus/$1 name
  name=$(basename "$2")${3:+.sel$3}
  mkdir -p "$dir"
  if [ -n "${3:-}" ]; then
    { printf "\\$(printf '%03o' "$3")"; cat "$2"; } >"$dir/seed-$name"
  else
    cp "$2" "$dir/seed-$name"
  fi
}

seed_all() {
  local t=$1 f sel
  case $t in
    native_json)
      seed "$t" fixtures/monorepo-1000.json 0
      seed "$t" fixtures/monorepo-1000.json 1 ;;
    dot)
      seed "$t" fixtures/ninja/fmt-graph.dot 0 ;;
    cargo_timings_html)
      seed "$t" fixtures/cargo-timings/ripgrep-dev-rustc-1.95.html 0
      seed "$t" fixtures/cargo-timings/ripgrep-dev-rustc-1.95.html 1 ;;
    ninja_log)
      seed "$t" fixtures/ninja/fmt.ninja_log ;;
    codeowners)
      # First byte: GitHub (even) or GitLab (odd) dialect.
      seed "$t" fixtures/codeowners/monorepo-1000.CODEOWNERS 0
      seed "$t" fixtures/codeowners/monorepo-1000.CODEOWNERS 1
      cut -f1 fixtures/codeowners/vectors.tsv >"$ROOT/fuzz/out/vector-patterns"
      seed "$t" "$ROOT/fuzz/out/vector-patterns" 0 ;;
    warnings_log | junit)
      # The selector is the LogFormat's index in the target's FORMATS.
      for f in fixtures/warnings/*/*.log; do
        case $(basename "$(dirname "$f")") in
          ruby) sel=1 ;; rails) sel=2 ;; python) sel=3 ;; node) sel=4 ;;
          javac) sel=5 ;; maven) sel=6 ;; kotlin) sel=7 ;; gradle) sel=8 ;;
          cargo) sel=9 ;; go) sel=10 ;; *) sel=0 ;;
        esac
        if [ "$t" = warnings_log ]; then
          seed "$t" "$f" "$sel"
          seed "$t" "$f" 0
        fi
      done ;;
    test_impact_toml)
      seed "$t" test-impact.toml ;;
    webhook)
      # workflow_run (0), correctly signed.
      seed "$t" fixtures/deferred-compliance/octokit-webhooks-workflow_run-completed.with-pull-requests.payload.json 0 ;;
  esac
  if [ -d "fuzz/seeds/$t" ]; then
    for f in "fuzz/seeds/$t"/*; do seed "$t" "$f"; done
  fi
}

# libgit2 and SQLite (bundled C) define the same static tables in two
# objects; ASan would stop at start-up with a false odr-violation
# (cargo fuzz run sets the same option).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
mkdir -p fuzz/out
run_one() {
  local t=$1 log=$ROOT/fuzz/out/$1.log art=$ROOT/fuzz/artifacts/$1/ pid rc
  mkdir -p "$art"
  seed_all "$t"
  say "fuzzing $t for ${SECONDS_EACH}s"
  set +e
  nice -n 19 "$BIN/$t" "$ROOT/fuzz/corpus/$t" \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout="$TIMEOUT" \
    -rss_limit_mb=2048 -artifact_prefix="$art" >"$log" 2>&1 &
  pid=$!
  wait "$pid"
  rc=$?
  set -e
  # The targets' scratch files (fuzz/src/lib.rs).
  rm -rf "/dev/shm/ci-fuzz-$pid" "${TMPDIR:-/tmp}/ci-fuzz-$pid"
  local execs rate corpus status
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    status=ok
  elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
    status=timeout
  elif grep -q 'out-of-memory' "$log"; then
    status=oom
  else
    status=crash
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$SECONDS_EACH" "${execs:-?}" "${rate:-?}" \
    "$corpus" "$status" >"fuzz/out/$t.result"
}

running=0
for t in "${TARGETS[@]}"; do
  if [ ! -x "$BIN/$t" ]; then
    say "no fuzz target $t (built: $(ls "$BIN" 2>/dev/null | tr '\n' ' '))"
    exit 2
  fi
  rm -f "fuzz/out/$t.result"
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
{
  printf 'target\tseconds\texecutions\texec/s\tcorpus\tresult\n'
  for t in "${TARGETS[@]}"; do
    if [ -s "fuzz/out/$t.result" ]; then
      cat "fuzz/out/$t.result"
      grep -q $'\tok$' "fuzz/out/$t.result" || failed=1
    else
      printf '%s\t-\t-\t-\t-\tnot run\n' "$t"
      failed=1
    fi
  done
} | column -t -s $'\t'
for t in "${TARGETS[@]}"; do
  if ! grep -qs $'\tok$' "fuzz/out/$t.result"; then
    failed=1
    say "$t: see fuzz/out/$t.log and fuzz/artifacts/$t/"
  fi
done
exit "$failed"
