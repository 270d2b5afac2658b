#!/usr/bin/env bash
# CI: the README's test-impact commands, end to end, on a workspace with a
# root package (fixtures/test-impact/cargo-1.95-root-package), the layout in
# which `cargo nextest run` without `--workspace` builds only the root
# package. The commands are read from the README, so the two cannot drift
# apart. For a change to core (core, mid and app affected), to leaf (leaf)
# and to a README (nothing), the tests nextest runs must be exactly the
# selected packages' tests as `cargo nextest list --workspace` lists them,
# and the cargo recipe must test the same packages, or run no cargo at all.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
export CARGO_TERM_COLOR=never

step() { echo; echo "--- $*"; }
fail() { echo "ci: test-impact-nextest: $*" >&2; exit 1; }

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "ci: installing cargo-nextest" >&2
  cargo install --locked cargo-nextest
fi
command -v python3 >/dev/null || fail "python3 is needed to read nextest's JSON and JUnit"

# The dev binary `cargo test --workspace` has just built: no second profile.
cargo build -p test-impact --locked
export PATH="$root/target/debug:$PATH"

# The README's lines, with the base they name.
nextest_line=$(grep -m1 '^cargo nextest run .*--format nextest' README.md) \
  || fail "README.md has no 'cargo nextest run … --format nextest' line"
cargo_line=$(grep -m1 '^args=$(test-impact select .*--format cargo)' README.md) \
  || fail "README.md has no 'args=\$(test-impact select … --format cargo)' line"
grep -q 'origin/main' <<<"$nextest_line$cargo_line" || fail "the README's lines no longer name origin/main"
nextest_line=${nextest_line//origin\/main/HEAD~1}
cargo_line=${cargo_line//origin\/main/HEAD~1}
echo "nextest: $nextest_line"
echo "cargo:   $cargo_line"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/repo
cp -R fixtures/test-impact/cargo-1.95-root-package "$repo"
# One target folder for nextest, cargo test and the listing: each builds
# the four tiny crates once.
export CARGO_TARGET_DIR=$tmp/target
g() { git -C "$repo" -c user.name=ci -c user.email=ci@example.invalid -c commit.gpgsign=false "$@"; }
g init -q -b main
g add -A
g commit -q -m "fixture"

# JUnit is nextest's stable record of what ran (binary id and test name).
# The config stays untracked: commits below take only tracked files (-a).
mkdir -p "$repo/.config"
printf '[profile.ci.junit]\npath = "junit.xml"\n' >"$repo/.config/nextest.toml"
printf '/.config/\n/target/\n' >>"$repo/.git/info/exclude"
export NEXTEST_PROFILE=ci
# nextest's store is target/nextest under the workspace root, whatever
# CARGO_TARGET_DIR says.
junit=$repo/target/nextest/ci/junit.xml

# "binary-id test" per line, sorted: the tests of packages $2…, from the
# listing in $1.
listed() {
  python3 - "$@" <<'EOF'
import json, sys
suites = json.load(open(sys.argv[1]))["rust-suites"]
wanted = set(sys.argv[2:])
rows = [f"{s['binary-id']} {t}" for s in suites.values()
        if s["package-name"] in wanted for t in s["testcases"]]
print("\n".join(sorted(rows)))
EOF
}

# "binary-id test" per line, sorted: the tests nextest's JUnit says ran.
ran() {
  python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
rows = [f"{c.get('classname')} {c.get('name')}" for c in ET.parse(sys.argv[1]).iter("testcase")]
print("\n".join(sorted(rows)))
EOF
}

count() { if [ -z "$1" ]; then echo 0; else wc -l <<<"$1" | tr -d ' '; fi; }

# The README's nextest line in the repository; sets $got, fails on a
# non-zero exit.
run_nextest() {
  local line=$1 rc=0
  rm -f "$junit"
  (cd "$repo" && eval "$line") >"$tmp/nextest.log" 2>&1 || rc=$?
  [ "$rc" -eq 0 ] || { cat "$tmp/nextest.log" >&2; fail "the README's nextest command exited $rc"; }
  [ -f "$junit" ] || { cat "$tmp/nextest.log" >&2; fail "nextest wrote no JUnit report"; }
  got=$(ran "$junit")
}

# case NAME FILE EXPECTED...: commit a change to FILE; EXPECTED are the
# packages it affects, sorted (none for an empty selection).
case_() {
  local name=$1 file=$2
  shift 2
  local expected="$*"
  step "$name: changes $file, expects ${expected:-nothing}"
  case $file in
    *.rs) printf '\n// changed by tests/ci/test-impact-nextest.sh\n' >>"$repo/$file" ;;
    *) printf '\nChanged by tests/ci/test-impact-nextest.sh.\n' >>"$repo/$file" ;;
  esac
  g commit -q -am "$name"

  local selected
  selected=$(cd "$repo" && test-impact select --base HEAD~1 2>/dev/null | paste -sd' ' -)
  [ "$selected" == "$expected" ] || fail "$name: test-impact selected '${selected}', expected '${expected}'"

  (cd "$repo" && cargo nextest list --workspace --message-format json 2>"$tmp/list.log") >"$tmp/list.json" \
    || { cat "$tmp/list.log" >&2; fail "$name: cargo nextest list failed"; }
  local all want
  all=$(listed "$tmp/list.json" app core mid leaf)
  # shellcheck disable=SC2086 # one argument per package
  want=$(listed "$tmp/list.json" $expected)

  run_nextest "$nextest_line"
  if [ "$got" != "$want" ]; then
    diff <(echo "$want") <(echo "$got") >&2 || true
    fail "$name: nextest ran other tests than the selected packages' (< selected, > ran)"
  fi
  echo "nextest: ran $(count "$got") of $(count "$all") tests, exactly the selected packages' $(count "$want")"

  # Without --workspace the same filter sees only the root package: the
  # fixture must keep showing why the README passes it.
  if [ "$name" == "core" ]; then
    run_nextest "${nextest_line/ --workspace/}"
    local root_only
    root_only=$(listed "$tmp/list.json" app)
    [ "$got" == "$root_only" ] || fail "core: without --workspace nextest ran $(count "$got") tests, expected only app's $(count "$root_only")"
    echo "nextest without --workspace: ran $(count "$got"), only the root package's"
  fi

  # The cargo recipe, with cargo recorded: the same packages, or no cargo.
  local calls=$tmp/cargo-calls rc=0
  : >"$calls"
  cargo() { echo "$*" >>"$calls"; command cargo "$@"; }
  (cd "$repo" && eval "$cargo_line") >"$tmp/cargo.log" 2>&1 || rc=$?
  unset -f cargo
  [ "$rc" -eq 0 ] || { cat "$tmp/cargo.log" >&2; fail "$name: the README's cargo recipe exited $rc"; }
  if [ -z "$expected" ]; then
    [ ! -s "$calls" ] || fail "$name: the cargo recipe ran 'cargo $(cat "$calls")' on an empty selection"
    echo "cargo recipe: no cargo run"
  else
    local args passed
    args="test$(printf ' -p %s' $expected)"
    [ "$(cat "$calls")" == "$args" ] || fail "$name: the cargo recipe ran 'cargo $(cat "$calls")', expected 'cargo $args'"
    passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$tmp/cargo.log" | awk '{ s += $1 } END { print s + 0 }')
    [ "$passed" -eq "$(count "$want")" ] || fail "$name: cargo $args passed $passed tests, expected $(count "$want")"
    echo "cargo recipe: cargo $args, $passed tests passed"
  fi
}

case_ core crates/core/src/lib.rs app core mid
case_ leaf crates/leaf/src/lib.rs leaf
case_ readme README.md

echo
echo "ci: test-impact-nextest: the README's commands ran exactly the selected tests"
