//! The capture hooks (`warnings-collector hooks`) run in the real
//! runtimes: Debian's Ruby with its Minitest and RSpec, CPython with pytest
//! from PyPI, Node's test runner. Each test writes a tiny project, installs
//! the hook with `hooks RUNTIME --install .ci`, runs the line it printed
//! (with the project's own test command in place of the example one), and
//! reads what the hook wrote with `collect --jsonl … --format json`.
//!
//! A missing runtime fails the test, saying what to install: `.ci/run`
//! installs them, and a hook nobody ran is not tested.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warnings-collector"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Fails the test unless `program args…` runs, naming what to install.
fn need(program: &str, args: &[&str], install: &str) {
    let ok = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "`{program} {}` failed: this test runs the real runtime; install it with `{install}` (.ci/run does)",
        args.join(" ")
    );
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, body) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

/// `hooks RUNTIME --install .ci` in `dir`: the line that runs the tests,
/// checked to end in `example` (the runner the line shows), with `runner`
/// in its place.
fn install(dir: &Path, runtime: &str, example: &str, runner: &str) -> String {
    let out = bin(dir, &["hooks", runtime, "--install", ".ci"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0], "rm -f warnings.jsonl");
    assert_eq!(
        lines[2],
        "warnings-collector collect --jsonl warnings.jsonl"
    );
    let env = lines[1]
        .strip_suffix(example)
        .unwrap_or_else(|| panic!("{:?} does not end in {example:?}", lines[1]));
    format!("{env}{runner}")
}

/// Runs a shell line in `dir` as a CI job would, without the variables
/// the hooks read coming from this process.
fn sh(dir: &Path, line: &str) -> Output {
    let out = Command::new("sh")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env_remove("WARNINGS_COLLECTOR_JSONL")
        .env_remove("RUBYOPT")
        .env_remove("PYTHONPATH")
        .env_remove("NODE_OPTIONS")
        .env_remove("NODE_TEST_CONTEXT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{line}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// What `collect --jsonl warnings.jsonl --format json` reads from the
/// hook's file: `(file, line, tests, category, owners)` with the message,
/// sorted by file and line.
type Row = (
    String,
    Option<u64>,
    Vec<String>,
    String,
    Vec<String>,
    String,
);

fn collected(dir: &Path) -> Vec<Row> {
    let jsonl = std::fs::read_to_string(dir.join("warnings.jsonl")).expect("the hook wrote");
    assert!(jsonl.ends_with('\n'), "{jsonl}");
    let out = bin(
        dir,
        &["collect", "--jsonl", "warnings.jsonl", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("warning: warnings.jsonl"),
        "{}",
        text(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect()
    };
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["file"].as_str().unwrap().to_owned(),
                w["line"].as_u64(),
                strings(&w["tests"]),
                w["category"].as_str().unwrap().to_owned(),
                strings(&w["owners"]),
                w["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn row(
    file: &str,
    line: u64,
    tests: &[&str],
    category: &str,
    owners: &[&str],
    message: &str,
) -> Row {
    (
        file.to_owned(),
        Some(line),
        tests.iter().map(|s| (*s).to_owned()).collect(),
        category.to_owned(),
        owners.iter().map(|s| (*s).to_owned()).collect(),
        message.to_owned(),
    )
}

const CODEOWNERS: &str = "* @org/app\n/lib/ @org/legacy\n/src/ @org/legacy\n";

const RUBY_LIB: &str = r#"module Legacy
  def self.join(parts)
    $, = "-"
    parts.join
  ensure
    $, = nil
  end

  def self.configure
    warn "Legacy.configure is deprecated; use Legacy.setup", uplevel: 1, category: :deprecated
  end
end
"#;

const MINITEST: &str = r#"require "minitest/autorun"
require_relative "../lib/legacy"

warn "the helpers of test/legacy_test.rb are deprecated", uplevel: 0, category: :deprecated

class LegacyTest < Minitest::Test
  def test_join
    assert_equal "a-b", Legacy.join(%w[a b])
  end

  def test_configure
    Legacy.configure
    warn "the fixtures folder is not read any more"
  end
end
"#;

const RSPEC: &str = r#"require_relative "../lib/legacy"

RSpec.describe Legacy do
  it "joins with the old separator" do
    expect(Legacy.join(%w[a b])).to eq("a-b")
  end

  it "still configures" do
    Legacy.configure
  end
end
"#;

#[test]
fn ruby_hook_under_minitest_and_rspec() {
    need("ruby", &["--version"], "apt-get install ruby");
    need(
        "ruby",
        &["-e", "require 'minitest'"],
        "apt-get install ruby (Debian bundles minitest)",
    );
    need("rspec", &["--version"], "apt-get install ruby-rspec");
    let dir = project(&[
        (".github/CODEOWNERS", CODEOWNERS),
        ("lib/legacy.rb", RUBY_LIB),
        ("test/legacy_test.rb", MINITEST),
        ("spec/legacy_spec.rb", RSPEC),
    ]);
    let d = dir.path();
    let example = "bundle exec rake test";
    let minitest = sh(d, &install(d, "ruby", example, "ruby test/legacy_test.rb"));
    // Printed as before: Ruby shows no deprecation without -W:deprecated,
    // and the plain warning as it is.
    let stderr = text(&minitest.stderr);
    assert!(!stderr.contains("deprecated"), "{stderr}");
    assert!(
        stderr.contains("the fixtures folder is not read any more"),
        "{stderr}"
    );
    let stdout = text(&minitest.stdout);
    assert!(
        stdout.contains("2 runs, 1 assertions, 0 failures"),
        "{stdout}"
    );
    sh(d, &install(d, "ruby", example, "rspec"));

    let mut got = collected(d);
    // Ruby's own messages differ between versions (`$,' / '$,').
    for r in &mut got {
        r.5 = r.5.replace(['`', '\''], "");
    }
    let (t_join, t_conf) = ("LegacyTest#test_join", "LegacyTest#test_configure");
    let (e_join, e_conf) = (
        "Legacy joins with the old separator",
        "Legacy still configures",
    );
    let dep = "deprecation";
    assert_eq!(
        got,
        [
            row(
                "lib/legacy.rb",
                3,
                &[e_join, t_join],
                dep,
                &["@org/legacy"],
                "$, is deprecated"
            ),
            row(
                "lib/legacy.rb",
                4,
                &[e_join, t_join],
                dep,
                &["@org/legacy"],
                "$, is set to non-nil value"
            ),
            row(
                "spec/legacy_spec.rb",
                9,
                &[e_conf],
                dep,
                &["@org/app"],
                "Legacy.configure is deprecated; use Legacy.setup"
            ),
            // Outside any test: at the test file's load.
            row(
                "test/legacy_test.rb",
                4,
                &[],
                dep,
                &["@org/app"],
                "the helpers of test/legacy_test.rb are deprecated"
            ),
            // uplevel: 1 points at the test's call.
            row(
                "test/legacy_test.rb",
                12,
                &[t_conf],
                dep,
                &["@org/app"],
                "Legacy.configure is deprecated; use Legacy.setup"
            ),
            // Kernel#warn without a place: the caller's.
            row(
                "test/legacy_test.rb",
                13,
                &[t_conf],
                "warning",
                &["@org/app"],
                "the fixtures folder is not read any more"
            ),
        ]
    );
}

const PY_LIB: &str = r#"import warnings


def old():
    warnings.warn("old() is deprecated; use new()", DeprecationWarning, stacklevel=2)
    return 1


class ShopDeprecationWarning(UserWarning):
    pass
"#;

const PY_TEST: &str = r#"import warnings

from shop import ShopDeprecationWarning, old

warnings.warn("module-level setup is deprecated", DeprecationWarning)


def test_old():
    assert old() == 1


class TestPrices:
    def test_future(self):
        warnings.warn("price() returns a float from 2.0 on", FutureWarning)
        warnings.warn("careful", UserWarning)
        warnings.warn("Shop.total is going away", ShopDeprecationWarning)
"#;

#[test]
fn pytest_hook() {
    need(
        "python3",
        &["-c", "import pytest"],
        "pip install pytest==8.3.5",
    );
    let dir = project(&[
        (".github/CODEOWNERS", CODEOWNERS),
        ("src/shop/__init__.py", PY_LIB),
        ("tests/test_shop.py", PY_TEST),
        // The package on sys.path, as an installed project has it.
        (
            "pyproject.toml",
            "[tool.pytest.ini_options]\npythonpath = [\"src\"]\n",
        ),
    ]);
    let d = dir.path();
    let example = "pytest -p warnings_collector_pytest";
    let line = install(d, "pytest", example, &format!("python3 -m {example} -q"));
    let out = sh(d, &line);
    assert!(
        text(&out.stdout).contains("2 passed, 5 warnings"),
        "{}",
        text(&out.stdout)
    );

    let got = collected(d);
    let (t_old, t_future) = (
        "tests/test_shop.py::test_old",
        "tests/test_shop.py::TestPrices::test_future",
    );
    let (dep, app) = ("deprecation", &["@org/app"][..]);
    let f = "tests/test_shop.py";
    assert_eq!(
        got,
        [
            // Collection: no test.
            row(
                f,
                5,
                &[],
                dep,
                app,
                "DeprecationWarning: module-level setup is deprecated"
            ),
            row(
                f,
                9,
                &[t_old],
                dep,
                app,
                "DeprecationWarning: old() is deprecated; use new()"
            ),
            row(
                f,
                14,
                &[t_future],
                dep,
                app,
                "FutureWarning: price() returns a float from 2.0 on"
            ),
            row(f, 15, &[t_future], "warning", app, "UserWarning: careful"),
            // A class named like a deprecation, though a UserWarning.
            row(
                f,
                16,
                &[t_future],
                dep,
                app,
                "ShopDeprecationWarning: Shop.total is going away"
            ),
        ]
    );
}

const NODE_LIB: &str = "exports.make = () => new Buffer(4);\n";

const NODE_DEP: &str = "const util = require('util');\n\
exports.alloc = util.deprecate(() => 1, 'legacy-buf: alloc() is deprecated, use Buffer.alloc()', 'LEGACYBUF001');\n";

const NODE_TEST: &str = r#"const test = require('node:test');
const assert = require('node:assert');
const { make } = require('../src/buf');
const legacy = require('legacy-buf');

test('makes a buffer', () => {
  assert.strictEqual(make().length, 4);
});

test('allocates the old way', () => {
  assert.strictEqual(legacy.alloc(), 1);
  process.emitWarning('cache size 0 disables caching');
});
"#;

const NODE_SCRIPT: &str =
    "process.emitWarning('scripts/build.mjs is deprecated', 'DeprecationWarning', 'SHOP001');\n";

#[test]
fn node_hook_under_the_test_runner_and_in_a_script() {
    need(
        "node",
        &["--version"],
        "apt-get install nodejs (Node 20 or newer)",
    );
    let dir = project(&[
        (".github/CODEOWNERS", CODEOWNERS),
        ("src/buf.js", NODE_LIB),
        ("node_modules/legacy-buf/index.js", NODE_DEP),
        ("test/buf.test.js", NODE_TEST),
        ("scripts/build.mjs", NODE_SCRIPT),
    ]);
    let d = dir.path();
    // The whole line runs as printed.
    let example = "node --require ./.ci/warnings_collector_hook.cjs --test";
    let line = install(d, "node", example, example);
    let out = sh(d, &line);
    assert!(
        text(&out.stdout).contains("# pass 2"),
        "{}",
        text(&out.stdout)
    );
    // An ES module outside any test, loaded with --import.
    let script = line
        .replace("--require", "--import")
        .replace("--test", "scripts/build.mjs");
    sh(d, &script);

    let got = collected(d);
    let t = "test/buf.test.js";
    let (dep, app) = ("deprecation", &["@org/app"][..]);
    assert_eq!(
        got,
        [
            row(
                "scripts/build.mjs",
                1,
                &[],
                dep,
                app,
                "[SHOP001] DeprecationWarning: scripts/build.mjs is deprecated"
            ),
            row(
                "src/buf.js",
                1,
                &[t],
                dep,
                &["@org/legacy"],
                "[DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues. Please use the Buffer.alloc(), Buffer.allocUnsafe(), or Buffer.from() methods instead."
            ),
            // The library's deprecation, placed at the project's call.
            row(
                t,
                11,
                &[t],
                dep,
                app,
                "[LEGACYBUF001] DeprecationWarning: legacy-buf: alloc() is deprecated, use Buffer.alloc()"
            ),
            row(
                t,
                12,
                &[t],
                "warning",
                app,
                "Warning: cache size 0 disables caching"
            ),
        ]
    );
}

#[test]
fn hooks_print_their_source_and_install_refuses_to_clobber() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = bin(d, &["hooks", "pytest"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("def pytest_warning_recorded("));

    std::fs::create_dir(d.join(".ci")).unwrap();
    let mine = d.join(".ci/warnings_collector_hook.rb");
    std::fs::write(&mine, "# my own hook\n").unwrap();
    let out = bin(d, &["hooks", "ruby", "--install", ".ci"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "# my own hook\n");

    let out = bin(d, &["hooks", "ruby", "--install", ".ci", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(&mine)
            .unwrap()
            .contains("Warning.singleton_class")
    );

    // Bad usage: one line and exit 2; a folder that cannot be written: 3.
    let out = bin(d, &["hooks", "java"]);
    assert_eq!(out.status.code(), Some(2));
    let out = bin(
        d,
        &[
            "hooks",
            "node",
            "--install",
            ".ci/warnings_collector_hook.rb",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
    let out = bin(d, &["hooks", "node", "--install", "/proc"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr).lines().count(),
        1,
        "{}",
        text(&out.stderr)
    );
}

/// Four processes appending at once, long records each: every line stays
/// whole, because each record is one write to an O_APPEND file.
#[test]
fn processes_appending_side_by_side_never_split_a_line() {
    need(
        "node",
        &["--version"],
        "apt-get install nodejs (Node 20 or newer)",
    );
    let long = "x".repeat(5000);
    let script = format!(
        "for (let i = 0; i < 300; i++) process.emitWarning(`${{process.pid}} ${{i}} {long}`);\n"
    );
    let dir = project(&[("many.js", &script)]);
    let d = dir.path();
    let out = bin(d, &["hooks", "node", "--install", ".ci"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let one = "WARNINGS_COLLECTOR_JSONL=warnings.jsonl node --no-warnings --require ./.ci/warnings_collector_hook.cjs many.js";
    sh(d, &format!("{one} & {one} & {one} & {one} & wait"));
    let jsonl = std::fs::read_to_string(d.join("warnings.jsonl")).unwrap();
    assert_eq!(jsonl.lines().count(), 1200);
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:.80}"));
        assert!(v["message"].as_str().unwrap().ends_with(&long));
    }
    let out = bin(
        d,
        &["collect", "--jsonl", "warnings.jsonl", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1200);
}
