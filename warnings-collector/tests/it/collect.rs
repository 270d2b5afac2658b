//! End-to-end tests of the `warnings-collector` binary: real processes in
//! temporary repository layouts, exit codes and output.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn bin(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warnings-collector"));
    c.current_dir(dir);
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn run_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    let mut child = bin(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Written from a thread: a large input would otherwise deadlock against
    // the output filling its pipe.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CODEOWNERS: &str = "\
# Default owners
*                   @org/everyone
/src/               @org/core
/src/legacy/
*.md                @org/docs docs@example.com
/docs/**/*.png      @org/design
build/              @org/ci
";

/// A small repository: `.github/CODEOWNERS` plus a few files.
fn repo(codeowners: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github")).unwrap();
    std::fs::write(dir.path().join(".github/CODEOWNERS"), codeowners).unwrap();
    for f in [
        "src/main.rs",
        "src/legacy/old.rs",
        "README.md",
        "docs/img/a.png",
    ] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    dir
}

#[test]
fn text_with_discovered_codeowners() {
    let dir = repo(CODEOWNERS);
    let o = run(
        dir.path(),
        &[
            "owners",
            "src/main.rs",
            "./src/legacy/old.rs",
            "README.md",
            "docs/img/a.png",
            "tools/build/out.o",
            "Makefile",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(
        stdout(&o),
        "src/main.rs\t@org/core\n\
         src/legacy/old.rs\t(unowned)\n\
         README.md\t@org/docs docs@example.com\n\
         docs/img/a.png\t@org/design\n\
         tools/build/out.o\t@org/ci\n\
         Makefile\t@org/everyone\n"
    );
}

#[test]
fn json_with_lines_and_null_for_no_rule() {
    let dir = repo("/src/ @org/core\n/src/legacy/\n");
    let abs = dir.path().join("src/main.rs");
    let o = run(
        dir.path(),
        &[
            "owners",
            "--format",
            "json",
            abs.to_str().unwrap(),
            "src/legacy/old.rs",
            "README.md",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(
        v,
        json!([
            {"path": "src/main.rs", "owners": ["@org/core"], "line": 1},
            {"path": "src/legacy/old.rs", "owners": [], "line": 2},
            {"path": "README.md", "owners": [], "line": null},
        ])
    );
}

#[test]
fn unowned_and_unmatched_in_text() {
    let dir = repo("/src/ @org/core\n/src/legacy/\n");
    let o = run(dir.path(), &["owners", "src/legacy/x.rs", "other/y.rs"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/legacy/x.rs\t(unowned)\nother/y.rs\t(no rule)\n"
    );
}

#[test]
fn paths_from_stdin() {
    let dir = repo(CODEOWNERS);
    let input = "src/main.rs\r\n\n./README.md\nsrc/legacy/a.rs\n";
    let expected = "src/main.rs\t@org/core\n\
                    README.md\t@org/docs docs@example.com\n\
                    src/legacy/a.rs\t(unowned)\n";
    // With `-`, and with no PATH when stdin is not a terminal.
    for args in [&["owners", "-"][..], &["owners"][..]] {
        let o = run_stdin(dir.path(), args, input);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), expected, "{args:?}");
    }
    let o = run_stdin(dir.path(), &["owners", "--format", "json", "-"], input);
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(
        v[2],
        json!({"path": "src/legacy/a.rs", "owners": [], "line": 4})
    );
    // No paths at all: an empty JSON array.
    let o = run_stdin(dir.path(), &["owners", "--format", "json", "-"], "");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        serde_json::from_slice::<Value>(&o.stdout).unwrap(),
        json!([])
    );
}

#[test]
fn bad_line_warns_once_and_the_rest_applies() {
    let dir = repo("/src/ @org/core\n!negated @org/x\n/docs/ not-an-owner\n*.md @org/docs\n");
    let o = run(
        dir.path(),
        &["owners", "src/a.rs", "README.md", "docs/a.txt"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "src/a.rs\t@org/core\nREADME.md\t@org/docs\ndocs/a.txt\t(no rule)\n"
    );
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("warning: .github/CODEOWNERS:2: ")
            || lines[0].starts_with("warning: ./.github/CODEOWNERS:2: "),
        "{err}"
    );
    assert!(lines[1].contains("CODEOWNERS:3: "), "{err}");
}

#[test]
fn explicit_codeowners_and_gitlab_dialect() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("OWNERS");
    std::fs::write(
        &file,
        "[Backend] @org/backend\n/src/\n[Docs]\n*.md @org/docs\n",
    )
    .unwrap();
    let o = run(
        dir.path(),
        &[
            "owners",
            "--codeowners",
            file.to_str().unwrap(),
            "--dialect",
            "gitlab",
            "src/README.md",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "src/README.md\t@org/backend @org/docs\n");
}

#[test]
fn missing_codeowners_is_one_line_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["owners", "src/a.rs"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("warnings-collector: error: "), "{err}");
    assert!(err.contains(".github/CODEOWNERS"), "{err}");

    let o = run(dir.path(), &["owners", "--codeowners", "nope", "a"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["owners", "--help"][..]] {
        let o = run(dir.path(), args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(stdout(&o).contains("owners"), "{args:?}");
    }
    let o = run(dir.path(), &["owners", "--dialect", "svn", "a"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn closed_stdout_is_not_an_error() {
    let dir = repo(CODEOWNERS);
    let input: String = (0..200_000).map(|i| format!("src/f{i}.rs\n")).collect();
    let mut child = bin(dir.path())
        .args(["owners", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn json_over_several_stdin_batches_is_one_array_in_order() {
    let dir = repo(CODEOWNERS);
    let n = 150_000;
    let input: String = (0..n).map(|i| format!("src/f{i}.rs\n")).collect();
    let o = run_stdin(dir.path(), &["owners", "--format", "json"], &input);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), n);
    for i in [0, 65_535, 65_536, n - 1] {
        assert_eq!(a[i]["path"], format!("src/f{i}.rs"));
        assert_eq!(a[i]["owners"], json!(["@org/core"]));
    }
}

// ---- collect, reports and the ratchet ----

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin(dir);
    c.args(args)
        .stdin(Stdio::null())
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("the binary runs")
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// One JSONL record.
fn rec(file: &str, line: u32, message: &str, test: Option<&str>) -> String {
    let mut v = json!({"message": message, "file": file, "line": line});
    if let Some(t) = test {
        v["test"] = json!(t);
    }
    format!("{v}\n")
}

const TEAMS: &str = "\
/app/ @org/team-a
/lib/shared.rb @org/team-a @org/Team_B
/vendor/
";

/// A repository with [`TEAMS`] as its CODEOWNERS and `w.jsonl` holding
/// six warnings (eight occurrences): four of @org/team-a's (one shared
/// with @org/Team_B), one in an unowned folder and one outside the
/// repository.
fn warnings_repo() -> tempfile::TempDir {
    let dir = repo(TEAMS);
    let abs = dir.path().join("app/models/user.rb");
    let mut w = String::new();
    for _ in 0..3 {
        w += &rec(
            "app/jobs/delete_job.rb",
            16,
            "Using the last argument as keyword parameters is deprecated",
            Some("spec/jobs/delete_job_spec.rb"),
        );
    }
    w += &rec("./app/jobs/delete_job.rb", 4, "old api", None);
    w += &rec(abs.to_str().unwrap(), 7, "user api", None);
    w += &rec(
        "lib/shared.rb",
        1,
        "shared thing is deprecated",
        Some("spec/shared_spec.rb"),
    );
    w += &rec("vendor/x.rb", 2, "vendored", None);
    w += &rec("/usr/lib/ruby/gems/x.rb", 3, "gem warning", None);
    std::fs::write(dir.path().join("w.jsonl"), w).unwrap();
    dir
}

#[test]
fn collect_text_summary_per_team() {
    let dir = warnings_repo();
    let o = run(dir.path(), &["collect", "--jsonl", "w.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert_eq!(
        stdout(&o),
        "team         warnings  occurrences  files\n\
         @org/team-a         4            6      3\n\
         @org/Team_B         1            1      1\n\
         unowned             2            2      2\n\
         total               6            8      5\n"
    );
}

#[test]
fn collect_out_writes_team_reports_unowned_and_summary() {
    let dir = warnings_repo();
    let d = dir.path();
    std::fs::create_dir(d.join("reports")).unwrap();
    std::fs::write(d.join("reports/keep.md"), "not ours").unwrap();
    let o = run(d, &["collect", "--jsonl", "w.jsonl", "--out", "reports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read(d, "reports/org-team-a.md"),
        "# Deprecation warnings: @org/team-a\n\
         \n\
         4 warnings (6 occurrences) in 3 files.\n\
         Reproduce: `warnings-collector collect --jsonl w.jsonl`\n\
         \n\
         - [ ] `app/jobs/delete_job.rb`\n\
         \x20 - **warnings**\n\
         \x20   - Line 4: warning: old api\n\
         \x20   - Line 16: warning: Using the last argument as keyword parameters is deprecated (×3)\n\
         \x20 - **test suites that trigger these warnings**\n\
         \x20   - spec/jobs/delete_job_spec.rb\n\
         - [ ] `app/models/user.rb`\n\
         \x20 - **warnings**\n\
         \x20   - Line 7: warning: user api\n\
         \x20 - **test suites that trigger these warnings**\n\
         \x20   - unknown\n\
         - [ ] `lib/shared.rb`\n\
         \x20 - **warnings**\n\
         \x20   - Line 1: warning: shared thing is deprecated\n\
         \x20 - **test suites that trigger these warnings**\n\
         \x20   - spec/shared_spec.rb\n"
    );
    // The shared warning is in both teams' files.
    let b = read(d, "reports/org-team-b.md");
    assert!(
        b.starts_with(
            "# Deprecation warnings: @org/Team_B\n\n1 warning (1 occurrence) in 1 file.\n"
        ),
        "{b}"
    );
    assert!(b.contains("- [ ] `lib/shared.rb`\n  - **warnings**\n    - Line 1: warning: shared thing is deprecated\n"), "{b}");
    let u = read(d, "reports/unowned.md");
    assert!(
        u.starts_with(
            "# Deprecation warnings: unowned\n\n2 warnings (2 occurrences) in 2 files.\n"
        ),
        "{u}"
    );
    assert!(
        u.contains("- [ ] `/usr/lib/ruby/gems/x.rb`\n") && u.contains("- [ ] `vendor/x.rb`\n"),
        "{u}"
    );
    assert_eq!(read(d, "reports/keep.md"), "not ours");

    let s: Value = serde_json::from_str(&read(d, "reports/summary.json")).unwrap();
    assert_eq!(s["version"], 1);
    assert_eq!(s["total"], 6);
    assert_eq!(s["occurrences"], 8);
    assert_eq!(s["command"], "warnings-collector collect --jsonl w.jsonl");
    assert_eq!(
        s["teams"],
        json!({
            "@org/team-a": {"slug": "org-team-a", "warnings": 4, "occurrences": 6, "files": 3, "report": "org-team-a.md"},
            "@org/Team_B": {"slug": "org-team-b", "warnings": 1, "occurrences": 1, "files": 1, "report": "org-team-b.md"},
        })
    );
    assert_eq!(
        s["unowned"],
        json!({"slug": "unowned", "warnings": 2, "occurrences": 2, "files": 2, "report": "unowned.md"})
    );
    let ws = s["warnings"].as_array().unwrap();
    assert_eq!(ws.len(), 6);
    assert_eq!(
        ws.iter().find(|w| w["line"] == 16).unwrap(),
        &json!({
            "file": "app/jobs/delete_job.rb", "line": 16,
            "message": "Using the last argument as keyword parameters is deprecated",
            "category": "deprecation", "tool": "jsonl", "count": 3,
            "tests": ["spec/jobs/delete_job_spec.rb"], "owners": ["@org/team-a"],
        })
    );
    assert_eq!(
        ws.iter().find(|w| w["file"] == "lib/shared.rb").unwrap()["owners"],
        json!(["@org/team-a", "@org/Team_B"])
    );

    // Team B's only warning is fixed: its report goes, the others stay.
    let w = read(d, "w.jsonl").replace("lib/shared.rb", "app/shared.rb");
    std::fs::write(d.join("w.jsonl"), w).unwrap();
    let o = run(d, &["collect", "--jsonl", "w.jsonl", "--out", "reports"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!d.join("reports/org-team-b.md").exists());
    assert!(stderr(&o).contains("org-team-b.md"), "{}", stderr(&o));
    assert!(d.join("reports/org-team-a.md").is_file());
    assert_eq!(read(d, "reports/keep.md"), "not ours");
    let s: Value = serde_json::from_str(&read(d, "reports/summary.json")).unwrap();
    assert!(s["teams"].get("@org/Team_B").is_none(), "{s}");
}

#[test]
fn collect_json_is_the_warnings() {
    let dir = warnings_repo();
    let o = run(
        dir.path(),
        &["collect", "--jsonl", "w.jsonl", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 6);
    assert_eq!(a[0]["file"], "/usr/lib/ruby/gems/x.rb");
    assert_eq!(a[0]["owners"], json!([]));
    assert_eq!(a[1]["file"], "app/jobs/delete_job.rb");
    assert_eq!(a[1]["line"], 4);
}

#[test]
fn collect_github_annotations_are_escaped_capped_and_summarised() {
    let dir = repo(TEAMS);
    let d = dir.path();
    // Twelve warnings; warning i is printed i times.
    let mut w = String::new();
    for i in 1..=12u32 {
        let (file, msg) = if i == 12 {
            ("app/a,b.rb".to_owned(), "100% done, really: yes".to_owned())
        } else {
            (format!("app/f{i}.rb"), format!("old call {i}"))
        };
        for _ in 0..i {
            w += &rec(&file, i, &msg, None);
        }
    }
    std::fs::write(d.join("w.jsonl"), w).unwrap();
    std::fs::write(d.join("step.md"), "earlier step\n").unwrap();
    let step = d.join("step.md");
    let o = run_env(
        d,
        &["collect", "--jsonl", "w.jsonl", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", step.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 11, "{out}");
    assert_eq!(
        lines[0],
        "::warning file=app/a%2Cb.rb,line=12,title=deprecation (@org/team-a)::100%25 done, really: yes (×12)"
    );
    assert_eq!(
        lines[1],
        "::warning file=app/f11.rb,line=11,title=deprecation (@org/team-a)::old call 11 (×11)"
    );
    assert!(lines[9].starts_with("::warning file=app/f3.rb,"), "{out}");
    assert_eq!(
        lines[10],
        "::notice title=warnings-collector::2 more warnings (3 occurrences) not annotated: GitHub shows at most 10 warning annotations per step; see the step summary or the --out reports"
    );
    let summary = read(d, "step.md");
    assert!(
        summary.starts_with(
            "earlier step\n### Warnings by team\n\n12 warnings (78 occurrences) in 12 files.\n"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("| @org/team-a | 12 | 78 | 12 |\n"),
        "{summary}"
    );

    // A smaller cap, and no step summary when the variable is unset.
    let o = run(
        d,
        &[
            "collect",
            "--jsonl",
            "w.jsonl",
            "--format",
            "github",
            "--max-annotations",
            "1",
        ],
    );
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.lines()
            .nth(1)
            .unwrap()
            .starts_with("::notice title=warnings-collector::11 more warnings (66 occurrences)"),
        "{out}"
    );
    assert_eq!(read(d, "step.md"), summary);
}

#[test]
fn collect_missing_input_is_named_and_the_rest_is_counted() {
    let dir = warnings_repo();
    let o = run(
        dir.path(),
        &[
            "collect",
            "--jsonl",
            "w.jsonl",
            "--jsonl",
            "nope.jsonl",
            "build.log",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("warning: build.log: cannot read: "),
        "{err}"
    );
    assert!(
        lines[1].starts_with("warning: nope.jsonl: cannot read: "),
        "{err}"
    );
    assert!(
        lines[2].starts_with("warnings-collector: error: 2 of 3 inputs could not be read"),
        "{err}"
    );
    assert!(
        stdout(&o).contains("\ntotal               6            8      5\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn collect_truncated_jsonl_line_is_named_and_the_rest_is_read() {
    let dir = warnings_repo();
    let d = dir.path();
    let mut w = read(d, "w.jsonl");
    w.insert_str(0, "{\"message\": \"cut off\", \"fi\n");
    std::fs::write(d.join("w.jsonl"), w).unwrap();
    let o = run(d, &["collect", "--jsonl", "w.jsonl", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("warning: w.jsonl:1: "), "{err}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);
}

#[test]
fn collect_invalid_utf8_is_one_warning_naming_the_first_bad_line() {
    let dir = warnings_repo();
    let d = dir.path();
    let mut bytes = read(d, "w.jsonl").into_bytes();
    let mut bad = b"{\"message\":\"caf\xe9\",\"file\":\"app/c.rb\",\"line\":1}\n".to_vec();
    bad.extend_from_slice(b"{\"message\":\"\xff\xfe\",\"file\":\"app/c.rb\",\"line\":2}\n");
    bytes.extend_from_slice(&bad);
    std::fs::write(d.join("w.jsonl"), &bytes).unwrap();
    std::fs::write(d.join("build.log"), b"ok\nbad \xff byte\n\xfe").unwrap();
    let o = run(
        d,
        &[
            "collect",
            "build.log",
            "--jsonl",
            "w.jsonl",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("warning: build.log:2: not valid UTF-8"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("warning: w.jsonl:9: not valid UTF-8"),
        "{err}"
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let c: Vec<&Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["file"] == "app/c.rb")
        .collect();
    assert_eq!(c.len(), 2);
    assert_eq!(c[0]["message"], "caf\u{fffd}");
}

#[test]
fn collect_junit_problems_are_named_and_test_cases_attribute() {
    let dir = warnings_repo();
    let d = dir.path();
    std::fs::write(
        d.join("junit.xml"),
        "<testsuite name=\"s\">\n<testcase classname=\"spec.jobs\" name=\"deletes\"><system-err>\
         /home/runner/work/shop/shop/app/jobs/delete_job.rb:16: warning: Using the last argument as keyword parameters is deprecated\
         </system-err></testcase>\n</testsuite>\n",
    )
    .unwrap();
    std::fs::write(
        d.join("bad.xml"),
        "<testsuite>\n<testcase name=\"x\"></testsuite>",
    )
    .unwrap();
    let o = run(
        d,
        &[
            "collect",
            "--junit",
            "junit.xml",
            "--junit",
            "bad.xml",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("warning: bad.xml:2: "), "{err}");
    // The Ruby line inside the test case belongs to it; only the
    // attribution is pinned down here, the recogniser has its own tests.
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ws = v.as_array().unwrap();
    assert_eq!(ws.len(), 1, "{v}");
    assert_eq!(ws[0]["tests"], json!(["spec.jobs.deletes"]), "{v}");
    assert_eq!(ws[0]["file"], "app/jobs/delete_job.rb", "{v}");
    assert_eq!(ws[0]["line"], 16, "{v}");
    assert_eq!(ws[0]["owners"], json!(["@org/team-a"]), "{v}");
}

#[test]
fn collect_needs_an_input_and_no_codeowners_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["collect"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("warnings-collector: error: no inputs"),
        "{}",
        stderr(&o)
    );
    std::fs::write(dir.path().join("w.jsonl"), rec("a.rb", 1, "m", None)).unwrap();
    let o = run(dir.path(), &["collect", "--jsonl", "w.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("warning: no CODEOWNERS file under ."),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("\nunowned "), "{}", stdout(&o));
    let o = run(
        dir.path(),
        &["collect", "--jsonl", "w.jsonl", "--codeowners", "nope"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

/// `w.jsonl` with these (file, line, message, count).
fn write_jsonl(dir: &Path, warnings: &[(&str, u32, &str, usize)]) {
    let mut w = String::new();
    for &(file, line, msg, n) in warnings {
        for _ in 0..n {
            w += &rec(file, line, msg, None);
        }
    }
    std::fs::write(dir.join("w.jsonl"), w).unwrap();
}

const BASE: &[(&str, u32, &str, usize)] = &[
    (
        "app/a.rb",
        12,
        "#<User:0x000055d5c3a8b2c0> calls old_api (app/a.rb:12)",
        2,
    ),
    ("app/b.rb", 3, "old keyword style", 1),
    ("vendor/v.rb", 9, "vendored", 1),
];

fn baseline_repo() -> tempfile::TempDir {
    let dir = repo(TEAMS);
    write_jsonl(dir.path(), BASE);
    let o = run(
        dir.path(),
        &["baseline", "write", "base.json", "--jsonl", "w.jsonl"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).starts_with("wrote base.json: 3 fingerprints, 4 occurrences"),
        "{}",
        stderr(&o)
    );
    dir
}

fn check(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check", "--baseline", "base.json", "--jsonl", "w.jsonl"];
    args.extend_from_slice(extra);
    run(dir, &args)
}

#[test]
fn baseline_file_is_sorted_one_fingerprint_a_line() {
    let dir = baseline_repo();
    assert_eq!(
        read(dir.path(), "base.json"),
        "{\"version\": 1, \"fingerprints\": [\n\
         {\"file\":\"app/a.rb\",\"category\":\"deprecation\",\"message\":\"#<User> calls old_api (app/a.rb)\",\"count\":2},\n\
         {\"file\":\"app/b.rb\",\"category\":\"deprecation\",\"message\":\"old keyword style\",\"count\":1},\n\
         {\"file\":\"vendor/v.rb\",\"category\":\"deprecation\",\"message\":\"vendored\",\"count\":1}\n\
         ]}\n"
    );
}

#[test]
fn check_passes_on_the_same_warnings_moved_and_with_other_addresses() {
    let dir = baseline_repo();
    let o = check(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "ok: 3 warnings (4 occurrences) in 3 files, none new or grown since base.json\n"
    );
    // Lines shifted, another object address, the same counts.
    write_jsonl(
        dir.path(),
        &[
            (
                "app/a.rb",
                15,
                "#<User:0x00007f00deadbeef> calls old_api (app/a.rb:15)",
                1,
            ),
            (
                "app/a.rb",
                40,
                "#<User:0x00007f00cafe0000>  calls old_api (app/a.rb:40)",
                1,
            ),
            ("app/b.rb", 5, "old keyword style", 1),
            ("vendor/v.rb", 1, "vendored", 1),
        ],
    );
    let o = check(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn check_fails_on_a_new_or_grown_warning_and_names_its_owners() {
    let dir = baseline_repo();
    let mut now = BASE.to_vec();
    now[0].3 = 3;
    now.push(("lib/shared.rb", 4, "brand new deprecation", 1));
    write_jsonl(dir.path(), &now);
    let o = check(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "new or grown since base.json (2):\n\
         \x20 app/a.rb:12: deprecation: #<User:0x000055d5c3a8b2c0> calls old_api (app/a.rb:12) (was 2, now 3; @org/team-a)\n\
         \x20 lib/shared.rb:4: deprecation: brand new deprecation (was 0, now 1; @org/team-a @org/Team_B)\n\
         check failed: 2 warnings new or grown since base.json\n"
    );
    // JSON too.
    let o = check(dir.path(), &["--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["grown"].as_array().unwrap().len(), 2);
    assert_eq!(v["grown"][1]["file"], "lib/shared.rb");
    assert_eq!(v["grown"][1]["baseline"], 0);
    assert_eq!(v["grown"][1]["count"], 1);
    assert_eq!(
        v["grown"][1]["owners"],
        json!(["@org/team-a", "@org/Team_B"])
    );
    assert_eq!(v["grown"][1]["warnings"][0]["line"], 4);
    assert_eq!(v["fixed"], json!([]));
    assert_eq!(v["updated"], false);
    // The baseline is untouched.
    assert!(read(dir.path(), "base.json").contains("\"count\":2}"));
}

#[test]
fn check_reports_fixed_and_update_tightens_without_raising() {
    let dir = baseline_repo();
    let d = dir.path();
    let before = read(d, "base.json");
    // b.rb fixed, a.rb down to 1.
    write_jsonl(d, &[(BASE[0].0, 12, BASE[0].2, 1), BASE[2]]);
    let o = check(d, &[]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "fixed (2):\n\
         \x20 app/a.rb: deprecation: #<User> calls old_api (app/a.rb) (was 2, now 1)\n\
         \x20 app/b.rb: deprecation: old keyword style (was 1, now 0)\n\
         ok: 2 warnings (2 occurrences) in 2 files, none new or grown since base.json; run with --update to lower the baseline\n"
    );
    assert_eq!(read(d, "base.json"), before);

    // --update with something grown too: tightened, the growth not taken in,
    // and still a failure.
    write_jsonl(
        d,
        &[
            (BASE[0].0, 12, BASE[0].2, 1),
            ("vendor/v.rb", 9, "vendored", 5),
        ],
    );
    let o = check(d, &["--update"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).starts_with("updated base.json: 2 fingerprints, 2 occurrences (was 3, 4)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        read(d, "base.json"),
        "{\"version\": 1, \"fingerprints\": [\n\
         {\"file\":\"app/a.rb\",\"category\":\"deprecation\",\"message\":\"#<User> calls old_api (app/a.rb)\",\"count\":1},\n\
         {\"file\":\"vendor/v.rb\",\"category\":\"deprecation\",\"message\":\"vendored\",\"count\":1}\n\
         ]}\n"
    );
    // The fixed warning coming back now fails.
    write_jsonl(d, BASE);
    let o = check(d, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(
        stdout(&o)
            .contains("app/b.rb:3: deprecation: old keyword style (was 0, now 1; @org/team-a)"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("app/a.rb:12: deprecation: #<User:0x000055d5c3a8b2c0> calls old_api (app/a.rb:12) (was 1, now 2; @org/team-a)"), "{}", stdout(&o));
}

#[test]
fn check_deny_fails_on_any_warning() {
    let dir = baseline_repo();
    let d = dir.path();
    let o = check(d, &["--deny"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.starts_with("--deny: every warning fails (3):\n"),
        "{out}"
    );
    assert!(
        out.contains("  vendor/v.rb:9: deprecation: vendored (unowned)\n"),
        "{out}"
    );
    assert!(out.contains("  app/a.rb:12: deprecation: #<User:0x000055d5c3a8b2c0> calls old_api (app/a.rb:12) (×2; @org/team-a)\n"), "{out}");
    assert!(
        out.ends_with("check failed: --deny and 3 warnings (4 occurrences) in 3 files remain\n"),
        "{out}"
    );
    // Without a baseline.
    let o = run(d, &["check", "--deny", "--jsonl", "w.jsonl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // No warning left: passes.
    std::fs::write(d.join("w.jsonl"), "").unwrap();
    let o = run(d, &["check", "--deny", "--jsonl", "w.jsonl"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "ok: 0 warnings (0 occurrences) in 0 files\n");
    let o = check(d, &["--deny"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Neither --baseline nor --deny: a usage error.
    let o = run(d, &["check", "--jsonl", "w.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ratchet_bad_baselines_and_unreadable_inputs() {
    let dir = baseline_repo();
    let d = dir.path();
    let o = run(
        d,
        &["check", "--baseline", "missing.json", "--jsonl", "w.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("missing.json: cannot read the baseline"),
        "{}",
        stderr(&o)
    );
    std::fs::write(
        d.join("bad.json"),
        "{\"version\": 1,\n \"fingerprints\": [{\"file\": 3}]}",
    )
    .unwrap();
    let o = run(
        d,
        &["check", "--baseline", "bad.json", "--jsonl", "w.jsonl"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.json: not a baseline") && stderr(&o).contains("line 2"),
        "{}",
        stderr(&o)
    );

    // An unreadable input: no baseline written, none updated.
    let before = read(d, "base.json");
    let o = run(
        d,
        &[
            "baseline",
            "write",
            "base.json",
            "--jsonl",
            "w.jsonl",
            "--jsonl",
            "gone.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("warning: gone.jsonl: cannot read: "),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("base.json not written"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(d, "base.json"), before);
    write_jsonl(d, &BASE[..1]);
    let o = check(d, &["--update", "--jsonl", "gone.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("base.json not updated"),
        "{}",
        stderr(&o)
    );
    assert_eq!(read(d, "base.json"), before);
}

#[test]
fn baseline_write_takes_logs_after_the_file() {
    let dir = repo(TEAMS);
    let d = dir.path();
    std::fs::write(d.join("build.log"), "nothing to see\n").unwrap();
    write_jsonl(d, BASE);
    let o = run(
        d,
        &[
            "baseline",
            "write",
            "b.json",
            "build.log",
            "--jsonl",
            "w.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(read(d, "b.json").contains("\"vendored\""));
    // Overwriting is what it is for, but not with nothing: inputs without
    // a single warning are refused, and the baseline is kept.
    let before = read(d, "b.json");
    std::fs::write(d.join("w.jsonl"), "").unwrap();
    let args = [
        "baseline",
        "write",
        "b.json",
        "build.log",
        "--jsonl",
        "w.jsonl",
    ];
    let o = run(d, &args);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--allow-empty"), "{}", stderr(&o));
    assert_eq!(read(d, "b.json"), before);
    let o = run(d, &[&args[..], &["--allow-empty"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        read(d, "b.json"),
        "{\"version\": 1, \"fingerprints\": [\n]}\n"
    );
}

#[test]
fn new_subcommands_have_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["collect", "--help"][..],
        &["check", "--help"][..],
        &["baseline", "write", "--help"][..],
    ] {
        let o = run(dir.path(), args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(stdout(&o).contains("--jsonl"), "{args:?}");
    }
    let o = run(dir.path(), &["--help"]);
    assert!(
        stdout(&o).contains("warnings-collector check --baseline"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn ratchet_on_a_plain_log_survives_a_line_shift() {
    let dir = repo(TEAMS);
    let d = dir.path();
    let log = |line: u32, extra: &str| {
        format!(
            "Run options: --seed 1\n\
             /home/runner/work/shop/shop/app/models/user.rb:{line}: warning: Using the last argument as keyword parameters is deprecated\n\
             {extra}Finished in 1.2 seconds\n"
        )
    };
    std::fs::write(d.join("test.log"), log(12, "")).unwrap();
    let o = run(d, &["baseline", "write", "base.json", "test.log"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        read(d, "base.json").contains("\"file\":\"app/models/user.rb\""),
        "{}",
        read(d, "base.json")
    );
    std::fs::write(d.join("test.log"), log(19, "")).unwrap();
    let o = run(d, &["check", "--baseline", "base.json", "test.log"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    std::fs::write(
        d.join("test.log"),
        log(
            19,
            "/home/runner/work/shop/shop/lib/shared.rb:3: warning: URI.escape is obsolete\n",
        ),
    )
    .unwrap();
    let o = run(d, &["check", "--baseline", "base.json", "test.log"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("new or grown since base.json (1):\n  lib/shared.rb:3: ")
            && stdout(&o)
                .contains(": URI.escape is obsolete (was 0, now 1; @org/team-a @org/Team_B)\n"),
        "{}",
        stdout(&o)
    );
}

/// Before 0.2, `collect` took the logs' format as `--format` and the output
/// as `--output`: both still work for one release, with a warning each.
#[test]
fn the_spellings_of_0_1_still_work_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.jsonl"),
        "{\"message\":\"old api\",\"file\":\"a.ts\",\"line\":3}\n",
    )
    .unwrap();
    let new = run(
        dir.path(),
        &[
            "collect",
            "--jsonl",
            "w.jsonl",
            "--input-format",
            "node",
            "--format",
            "json",
        ],
    );
    let old = run(
        dir.path(),
        &[
            "collect", "--jsonl", "w.jsonl", "--format", "node", "--output", "json",
        ],
    );
    assert_eq!(
        new.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    assert_eq!(
        old.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
    assert_eq!(new.stdout, old.stdout);
    let err = String::from_utf8_lossy(&old.stderr);
    assert!(
        err.contains("--format is deprecated here and will be removed in 0.3; use --input-format"),
        "{err}"
    );
    assert!(
        err.contains("--output is deprecated here and will be removed in 0.3; use --format"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&new.stderr).contains("deprecated"));
}

/// The real pytest 9.2 log of `fixtures/warnings/python`.
const PYTEST_LOG: &str =
    include_str!("../../../fixtures/warnings/python/pytest-9.2-warnings-summary.log");

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// The occurrences of `collect --format json`'s warnings.
fn occurrences(warnings: &Value) -> u64 {
    warnings
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["count"].as_u64().unwrap())
        .sum()
}

/// `collect --format json` of `args`: exit code, the JSON, stderr.
fn collect_json(d: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let o = run(d, &[&["collect", "--format", "json"], args].concat());
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), v, stderr(&o))
}

#[test]
fn gzip_and_zstd_logs_read_as_the_plain_one() {
    let dir = repo(CODEOWNERS);
    let d = dir.path();
    std::fs::write(d.join("pytest.log"), PYTEST_LOG).unwrap();
    // Named as CI archives name them, and also misnamed: the bytes decide.
    std::fs::write(d.join("pytest.log.gz"), gzip(PYTEST_LOG.as_bytes())).unwrap();
    std::fs::write(d.join("pytest.zst"), zstd(PYTEST_LOG.as_bytes())).unwrap();
    std::fs::write(d.join("pytest.txt"), gzip(PYTEST_LOG.as_bytes())).unwrap();
    let (code, plain, err) = collect_json(d, &["pytest.log"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(occurrences(&plain), 19, "{plain}");
    for f in ["pytest.log.gz", "pytest.zst", "pytest.txt"] {
        let (code, v, err) = collect_json(d, &[f]);
        assert_eq!(code, Some(0), "{f}: {err}");
        assert_eq!(v, plain, "{f}");
    }
    // From stdin too.
    let o = bin(d)
        .args(["collect", "--format", "json", "-"])
        .stdin(std::fs::File::open(d.join("pytest.zst")).unwrap())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v, plain, "{}", stderr(&o));
}

#[test]
fn an_unreadable_or_empty_input_never_empties_the_baseline() {
    let dir = repo(CODEOWNERS);
    let d = dir.path();
    std::fs::write(d.join("pytest.log"), PYTEST_LOG).unwrap();
    let o = run(d, &["baseline", "write", "b.json", "pytest.log"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let baseline = read(d, "b.json");
    assert!(baseline.contains("ratio() may overflow"), "{baseline}");

    let packed = gzip(PYTEST_LOG.as_bytes());
    std::fs::write(d.join("cut.log.gz"), &packed[..packed.len() / 2]).unwrap();
    std::fs::write(
        d.join("tool.bin"),
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
    )
    .unwrap();
    std::fs::write(d.join("log.xz"), b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46").unwrap();
    std::fs::write(d.join("empty.log"), "").unwrap();
    std::fs::write(d.join("other-job.log"), "Compiling foo v0.1.0\nFinished\n").unwrap();
    for (input, says) in [
        ("cut.log.gz", "cut.log.gz: cannot read"),
        (
            "tool.bin",
            "tool.bin: cannot read: binary data (a NUL byte at offset 7); expected a text log",
        ),
        (
            "log.xz",
            "log.xz: cannot read: xz-compressed; expected a text log",
        ),
        ("empty.log", "--allow-empty"),
        ("other-job.log", "--allow-empty"),
    ] {
        for args in [
            vec!["check", "--baseline", "b.json", "--update", input],
            vec!["baseline", "write", "b.json", input],
        ] {
            let o = run(d, &args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
            assert_eq!(read(d, "b.json"), baseline, "{args:?} changed the baseline");
        }
        // collect says so too, with exit 2.
        let (code, _, err) = collect_json(d, &[input]);
        if input.ends_with(".log") {
            assert_eq!(code, Some(0), "{input}: {err}");
        } else {
            assert_eq!(code, Some(2), "{input}: {err}");
            assert_eq!(err.lines().filter(|l| l.contains(says)).count(), 1, "{err}");
        }
    }
    // Said on purpose, an empty run empties it.
    let o = run(
        d,
        &[
            "check",
            "--baseline",
            "b.json",
            "--update",
            "--allow-empty",
            "empty.log",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!read(d, "b.json").contains("ratio()"));
}

#[test]
fn folded_counts_are_counted_not_capped() {
    let dir = repo(CODEOWNERS);
    let d = dir.path();
    // The real log's folded group, `tests/test_many.py: 12 warnings`, as
    // twenty files of 250,000 warnings each: five million occurrences.
    let (head, rest) =
        PYTEST_LOG.split_at(PYTEST_LOG.find("tests/test_many.py: 12 warnings").unwrap());
    let (group, tail) = rest.split_at(rest.find("\n\n").unwrap() + 2);
    let mut log = head.to_owned();
    for i in 0..20 {
        log.push_str(&group.replace(
            "tests/test_many.py: 12 warnings",
            &format!("tests/test_many_{i}.py: 250000 warnings"),
        ));
    }
    log.push_str(tail);
    std::fs::write(d.join("big.log"), &log).unwrap();
    let (code, v, err) = collect_json(d, &["big.log"]);
    assert_eq!(code, Some(0), "{err}");
    let ratio: Vec<&Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["message"].as_str().unwrap().contains("ratio()"))
        .collect();
    assert_eq!(ratio.len(), 1, "{v}");
    assert_eq!(ratio[0]["count"], 5_000_000);
    // Each folded file is a test suite of the warning.
    assert_eq!(ratio[0]["tests"].as_array().unwrap().len(), 20);
    assert_eq!(occurrences(&v), 5_000_000 + 7);

    // One file of 250,000: reported as 250,000, in the baseline too.
    let one = PYTEST_LOG.replace(
        "tests/test_many.py: 12 warnings",
        "tests/test_many.py: 250000 warnings",
    );
    std::fs::write(d.join("one.log"), one).unwrap();
    let o = run(d, &["baseline", "write", "b.json", "one.log"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        read(d, "b.json").contains("250000"),
        "{}",
        read(d, "b.json")
    );
}

/// The shop repository the real runner logs of `fixtures/warnings/python`
/// (pytest 8.3.5) and `fixtures/warnings/ruby` (minitest 5.15.0) came
/// from, at `/home/runner/work/shop/shop`, with its owners.
fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("CODEOWNERS"),
        "* @shop/everyone\n/tests/ @shop/qa\n/src/shop/ @shop/python\n/lib/ @shop/ruby\n/test/ @shop/ruby\n/src/main/java/ @shop/java\n/web/ @shop/web\n",
    )
    .unwrap();
    dir
}

fn fixture(path: &str) -> String {
    format!("{}/../fixtures/warnings/{path}", env!("CARGO_MANIFEST_DIR"))
}

/// (file, line, count, owners, tests) of each warning `collect` reads.
fn rows(d: &Path, log: &str) -> Vec<(String, u64, u64, String, Vec<String>)> {
    let (code, v, err) = collect_json(d, &[&fixture(log), "--codeowners", "CODEOWNERS"]);
    assert_eq!(code, Some(0), "{log}: {err}");
    v.as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let strs = |k: &str| -> Vec<String> {
                w[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_owned())
                    .collect()
            };
            (
                w["file"].as_str().unwrap().to_owned(),
                w["line"].as_u64().unwrap(),
                w["count"].as_u64().unwrap(),
                strs("owners").join(" "),
                strs("tests"),
            )
        })
        .collect()
}

#[test]
fn pytest_v_s_names_the_file_the_team_and_the_test() {
    let dir = shop();
    let d = dir.path();
    let many: Vec<String> = (0..12)
        .map(|i| format!("tests/test_many.py::test_many[{i}]"))
        .collect();
    let mut many_sorted = many.clone();
    many_sorted.sort();
    let s = |v: &[&str]| v.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
    // With pytest's warnings plugin off (`-p no:warnings`), each warning
    // is printed where it happens: after the node id on its line
    // (`tests/test_a.py::test_price /home/…/test_a.py:12: FutureWarning`)
    // or on the next line.
    for log in [
        "python/pytest-8.3.5-v-s-no-warnings-plugin.log",
        "python/pytest-8.3.5-v-s-no-warnings-plugin-hostedtoolcache.log",
        "python/derived-windows-pytest-8.3.5-v-s-no-warnings-plugin.log",
    ] {
        let got = rows(d, log);
        assert_eq!(got.len(), 5, "{log}: {got:?}");
        assert!(
            got[0].0.ends_with("site-packages/legacylib/__init__.py"),
            "{log}: {got:?}"
        );
        assert_eq!(
            (got[0].1, got[0].3.as_str()),
            (5, ""),
            "{log}: outside the repository: no team"
        );
        assert_eq!(got[0].4, s(&["tests/test_b.py::test_connect"]), "{log}");
        assert_eq!(
            got[1..],
            [
                ("tests/test_a.py".into(), 1, 1, "@shop/qa".into(), vec![]),
                // Printed on the line after the test's own output (`calling
                // old()`): no test is named on its line, and none guessed.
                ("tests/test_a.py".into(), 8, 1, "@shop/qa".into(), vec![]),
                (
                    "tests/test_a.py".into(),
                    12,
                    1,
                    "@shop/qa".into(),
                    s(&["tests/test_a.py::test_price"])
                ),
                (
                    "tests/test_many.py".into(),
                    8,
                    12,
                    "@shop/qa".into(),
                    many_sorted.clone()
                ),
            ],
            "{log}"
        );
    }
    // With the plugin on, from its summary: the folded group's file is its
    // test suite.
    for log in [
        "python/pytest-8.3.5-v-s.log",
        "python/pytest-8.3.5-v-s-hostedtoolcache.log",
    ] {
        let got = rows(d, log);
        assert_eq!(got.len(), 5, "{log}: {got:?}");
        assert_eq!(
            got[4],
            (
                "tests/test_many.py".into(),
                8,
                12,
                "@shop/qa".into(),
                s(&["tests/test_many.py"])
            )
        );
    }
}

#[test]
fn minitest_v_names_the_file_the_team_and_the_test() {
    let dir = shop();
    let d = dir.path();
    for log in [
        "ruby/ruby-3.1.2-minitest-5.15.0-v.log",
        "ruby/ruby-3.1.2-minitest-5.15.0-v-absolute.log",
    ] {
        assert_eq!(
            rows(d, log),
            [(
                "test/legacy_test.rb".into(),
                6,
                1,
                "@shop/ruby".into(),
                vec!["LegacyTest#test_seed".to_owned()]
            )],
            "{log}"
        );
    }
}

#[test]
fn a_baseline_of_one_machine_holds_on_every_other() {
    let dir = shop();
    let d = dir.path();
    // Written on a laptop (a virtualenv under /tmp), checked in Linux CI
    // (/opt/hostedtoolcache) and on a Windows runner (D:\a\…, C:\
    // hostedtoolcache\…, CRLF): the same fingerprints.
    let local = fixture("python/pytest-8.3.5-v-s-no-warnings-plugin.log");
    let o = run(d, &["baseline", "write", "b.json", &local]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let b = read(d, "b.json");
    assert!(
        b.contains("\"file\":\"site-packages/legacylib/__init__.py\""),
        "{b}"
    );
    for log in [
        "python/pytest-8.3.5-v-s-no-warnings-plugin-hostedtoolcache.log",
        "python/derived-windows-pytest-8.3.5-v-s-no-warnings-plugin.log",
        "python/pytest-8.3.5-v-s.log",
        "python/pytest-8.3.5-v-s-hostedtoolcache.log",
    ] {
        let o = run(
            d,
            &[
                "check",
                "--baseline",
                "b.json",
                &fixture(log),
                "--format",
                "json",
            ],
        );
        assert_eq!(
            o.status.code(),
            Some(0),
            "{log}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["fixed"], json!([]), "{log}: {v}");
    }
}

#[test]
fn gradle_plain_and_rich_console_name_the_file_and_the_team() {
    let dir = shop();
    let d = dir.path();
    let java = |file: &str, line| (file.to_owned(), line, 1, "@shop/java".to_owned(), vec![]);
    // Plain: the task glued to the first path (`:compileJava/home/…`);
    // rich: colours, cursor moves and erasures around the same lines.
    for log in [
        "gradle/gradle-4.4.1-openjdk-17-plain.log",
        "gradle/gradle-4.4.1-openjdk-17-rich.log",
    ] {
        assert_eq!(
            rows(d, log),
            [
                java("src/main/java/shop/A.java", 8),
                java("src/main/java/shop/B.java", 5),
                java("src/main/java/shop/B.java", 5),
            ],
            "{log}"
        );
    }
}

#[test]
fn a_truncated_junit_report_is_named_and_never_makes_a_baseline() {
    let dir = repo(CODEOWNERS);
    let d = dir.path();
    let whole = "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"s\">\n\
                 <testcase classname=\"a\" name=\"t1\"><system-err>src/a.rb:1: warning: x is deprecated\n\
                 </system-err></testcase>\n\
                 <testcase classname=\"a\" name=\"t2\"><system-err>src/a.rb:2: warning: y is deprecated\n\
                 </system-err></testcase></testsuite></testsuites>\n";
    std::fs::write(d.join("whole.xml"), whole).unwrap();
    let cut = &whole[..whole.find("y is").unwrap() + 2];
    std::fs::write(d.join("cut.xml"), cut).unwrap();
    let (code, v, err) = collect_json(d, &["--junit", "cut.xml"]);
    // The report shows what was read, and says what was not.
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["tests"], json!(["a.t1"]));
    let said: Vec<&str> = err.lines().filter(|l| l.contains("cut.xml:")).collect();
    assert_eq!(said.len(), 1, "{err}");
    assert!(
        said[0].contains("cut.xml:5: truncated: the document ends inside <system-err>"),
        "{err}"
    );
    // A baseline from it would be wrongly low.
    let o = run(d, &["baseline", "write", "b.json", "--junit", "whole.xml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = read(d, "b.json");
    for args in [
        vec!["baseline", "write", "b.json", "--junit", "cut.xml"],
        vec![
            "check",
            "--baseline",
            "b.json",
            "--update",
            "--junit",
            "cut.xml",
        ],
    ] {
        let o = run(d, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(read(d, "b.json"), before, "{args:?}");
    }
}

#[test]
fn owners_reads_git_ls_files_quoted_and_nul_separated() {
    let dir = repo("* @org/all\n/src/ @org/core\n/src/café/ @org/cafe\n");
    let d = dir.path();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(d)
            .output()
            .expect("git runs");
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        o.stdout
    };
    git(&["init", "-q"]);
    for f in ["src/café/menu.rb", "src/tab\there.rb", "src/plain.rb"] {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    git(&["add", "-A"]);
    let quoted = git(&["ls-files", "src"]);
    // git quotes the non-ASCII and the tab (core.quotePath's default).
    assert!(String::from_utf8_lossy(&quoted).contains("\"src/caf\\303\\251/menu.rb\""));
    let nul = git(&["ls-files", "-z", "src"]);
    let answer = |args: &[&str], input: &[u8]| {
        let mut child = bin(d)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| (e["path"].as_str().unwrap().to_owned(), e["owners"].clone()))
            .collect::<Vec<_>>()
    };
    let want = vec![
        ("src/café/menu.rb".to_owned(), json!(["@org/cafe"])),
        // The files `repo` makes.
        ("src/legacy/old.rs".to_owned(), json!(["@org/core"])),
        ("src/main.rs".to_owned(), json!(["@org/core"])),
        ("src/plain.rb".to_owned(), json!(["@org/core"])),
        ("src/tab\there.rb".to_owned(), json!(["@org/core"])),
    ];
    assert_eq!(answer(&["owners", "--format", "json", "-"], &quoted), want);
    assert_eq!(answer(&["owners", "--format", "json", "-z"], &nul), want);
}

#[test]
fn node_runners_name_the_test_file_from_the_stack() {
    let dir = shop();
    let d = dir.path();
    // mocha, jest and node --test: the test file is the first test file
    // in the `--trace-deprecation` stack, the place its first own frame.
    for (log, file, line) in [
        (
            "node/node-20.20.2-mocha-10.8.2-trace-deprecation.log",
            "web/test/legacy.test.js",
            6,
        ),
        (
            "node/node-20.20.2-jest-29.7.0-trace-deprecation.log",
            "web/test/legacy.jest.test.js",
            4,
        ),
        (
            "node/node-20.20.2-test-spec-trace-deprecation.log",
            "web/test/legacy.node.test.js",
            6,
        ),
        (
            "node/node-20-test-tap-trace-deprecation.log",
            "web/test/buffer.test.js",
            10,
        ),
    ] {
        let got = rows(d, log);
        let last = got.last().unwrap_or_else(|| panic!("{log}: no warning"));
        assert_eq!(
            (last.0.as_str(), last.1, last.3.as_str(), last.4.clone()),
            (file, line, "@shop/web", vec![file.to_owned()]),
            "{log}: {got:?}"
        );
    }
}
