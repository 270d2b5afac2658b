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
