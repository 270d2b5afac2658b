//! Snapshots of the exact bytes written for GitHub Actions: the
//! `$GITHUB_OUTPUT` file (heredoc delimiters included), the step summary,
//! and annotation lines built from hostile messages and paths.
//!
//! Line ends are shown as `⏎` and carriage returns as `␍`, so that a
//! trailing newline or a CR (which a snapshot would otherwise lose or
//! normalise) is part of what is compared.

use super::*;

/// `s` with its line ends and carriage returns made visible.
fn visible(s: &str) -> String {
    s.replace('\r', "␍").replace('\n', "⏎\n")
}

#[test]
fn github_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("output");
    append_outputs(
        &path,
        &[
            ("count", "3".to_owned()),
            ("empty", String::new()),
            ("equals", "a=b==c".to_owned()),
            ("looks-like-a-heredoc", "<<EOF".to_owned()),
            ("lines", "first\nsecond".to_owned()),
            ("trailing-newline", "line\n".to_owned()),
            ("crlf", "one\r\ntwo".to_owned()),
            ("lone-cr", "one\rtwo".to_owned()),
            ("newline-only", "\n".to_owned()),
            // Would close a block delimited by `EOF_ci_formats` and set
            // `run-all` to `true`.
            (
                "closes-the-block",
                "x\nEOF_ci_formats\nrun-all=true".to_owned(),
            ),
            // Holds the first two candidate delimiters.
            (
                "holds-two-delimiters",
                "EOF_ci_formats_\nEOF_ci_formats".to_owned(),
            ),
        ],
    )
    .unwrap();
    // A second step appends after the first's outputs.
    append_outputs(&path, &[("second-step", "true".to_owned())]).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(visible(&text));
}

#[test]
fn step_summary_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.md");
    append_step_summary(
        &path,
        "### Warnings by team\n\n| team | warnings |\n| --- | ---: |\n| @org/a | 2 |\n\n",
    )
    .unwrap();
    append_step_summary(&path, "### Tests\n\n3 of 10 modules affected.\n").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(visible(&text));
}

/// `::warning file=F,line=L,title=T::MESSAGE`, built as the tools build
/// it, for inputs meant to break it: each input (debug-quoted) and, under
/// it, the line written.
#[test]
fn annotation_lines() {
    let cases: &[(&str, u32, &str, &str)] = &[
        ("src/a.rs", 3, "deprecation", "plain message"),
        ("src/a.rs", 3, "deprecation", "100% done, 50%0A of it"),
        ("src/a.rs", 3, "deprecation", "two\nlines"),
        ("src/a.rs", 3, "deprecation", "windows\r\nline end"),
        ("src/a.rs", 3, "deprecation", "ends with a newline\n"),
        ("src/a.rs", 3, "deprecation", "::error::injected command"),
        ("src/a.rs", 3, "deprecation", "Base::LIMIT, a,b: c"),
        ("src/a,b:c.rb", 12, "deprecation", "path with , and :"),
        ("src/100%.rb", 1, "title, with: both", "path with %"),
        (
            "src/new\nline.rb",
            1,
            "a\r\ntitle",
            "path and title with line ends",
        ),
    ];
    let mut text = String::new();
    for &(file, line, title, message) in cases {
        text.push_str(&format!("{file:?} {line} {title:?} {message:?}\n"));
        text.push_str(&format!(
            "::warning file={},line={line},title={}::{}\n\n",
            escape_property(file),
            escape_property(title),
            escape_data(message)
        ));
    }
    insta::assert_snapshot!(text);
}
