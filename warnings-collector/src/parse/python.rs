//! Python's `warnings` module: `path.py:12: DeprecationWarning: message`
//! (any `XxxWarning`), usually followed by the source line, indented,
//! which is not a warning. Also read:
//! - pytest's `warnings summary`: each warning is printed under the test
//!   ids that triggered it (one warning per test id is emitted), or under
//!   `tests/test_a.py: 12 warnings` when pytest folded ten or more tests
//!   (one warning counting twelve is emitted, pytest's own count, with
//!   the file as its test suite), or
//!   under a `path:line` collection location (no test);
//! - unittest's verbose lines, `test_x (pkg.mod.Case.test_x) ... path:1:
//!   UserWarning: ...`, which name the test;
//! - `logging.captureWarnings`' default form, `WARNING:py.warnings:path:...`;
//! - progress dots glued to the path (`..F/home/...`), as in Ruby.
//!
//! The message keeps the warning class (`DeprecationWarning: old()`), so
//! that the same warning read from any of these merges.

use super::number;
use super::ruby::strip_progress_marks;
use super::{Context, Recognizer};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Python {
    /// Inside pytest's warnings summary.
    summary: bool,
    /// Where the current summary group's warning was triggered.
    locations: Vec<Location>,
    /// Whether the current group's warning has been read, so that the
    /// next location starts a new group.
    group_read: bool,
}

#[derive(Debug, PartialEq)]
enum Location {
    /// A test id, `tests/test_a.py::TestK::test_three`.
    Test(String),
    /// `tests/test_a.py: 12 warnings`: the tests of that file folded, so
    /// the file is all that is known of them (it stands as their test
    /// suite), and the warning occurred N times.
    Folded { suite: String, count: u64 },
    /// A collection-time place (`tests/test_c.py:3`) or a module.
    NoTest,
}

impl Recognizer for Python {
    fn triggers(&self) -> &'static [&'static str] {
        &["Warning: ", "warnings summary"]
    }

    fn in_block(&self) -> bool {
        self.summary
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        if is_summary_header(line) {
            self.summary = true;
            self.locations.clear();
            self.group_read = false;
            return;
        }
        if self.summary {
            self.summary_line(line, out);
            return;
        }
        if let Some(w) = parse(line.trim_start()) {
            let test = w
                .unittest
                .and_then(unittest_id)
                .or_else(|| w.node_id.map(str::to_owned))
                .or_else(|| ctx.current_test.clone());
            out.push(w.found(test));
        }
    }
}

impl Python {
    fn summary_line(&mut self, line: &str, out: &mut Vec<Found>) {
        if line.starts_with("-- Docs:") || skip_color(line).starts_with("==") {
            self.summary = false;
            self.locations.clear();
            return;
        }
        if line.trim().is_empty() {
            return;
        }
        let indented = line.starts_with([' ', '\t']);
        let Some(w) = parse(line.trim_start()) else {
            if !indented {
                // A location line: the first of a new group, or one more.
                if self.group_read {
                    self.locations.clear();
                    self.group_read = false;
                }
                self.locations.push(location(line.trim_end()));
            }
            // Indented and not a warning: the source line or the rest of
            // a multi-line message.
            return;
        };
        if !indented {
            // A warning pytest could not place is printed unindented.
            self.locations.clear();
        }
        self.group_read = true;
        if self.locations.is_empty() {
            out.push(w.found(None));
        }
        for loc in &self.locations {
            match loc {
                Location::Test(t) => out.push(w.found(Some(t.clone()))),
                Location::Folded { suite, count } => {
                    // One record that counts N: memory does not grow with
                    // the occurrences, and no count is capped.
                    let mut f = w.found(Some(suite.clone()));
                    f.count = *count;
                    out.push(f);
                }
                Location::NoTest => out.push(w.found(None)),
            }
        }
    }
}

/// `=== warnings summary ===`, also `warnings summary (final)`, in
/// color or not.
fn is_summary_header(line: &str) -> bool {
    skip_color(line).starts_with('=') && line.contains(" warnings summary")
}

/// `line` after the color codes (`ESC [ 33 m`) it starts with.
fn skip_color(mut line: &str) -> &str {
    while let Some(rest) = line.strip_prefix("\x1b[") {
        match rest.find(|c: char| ('@'..='~').contains(&c)) {
            Some(end) => line = &rest[end + 1..],
            None => break,
        }
    }
    line
}

/// A summary group's location line.
fn location(line: &str) -> Location {
    // `tests/test_a.py: 12 warnings`, `tests/test_b.py: 1 warning`
    if let Some((file, count)) = line.rsplit_once(": ")
        && let Some(n) = count
            .strip_suffix(" warnings")
            .or_else(|| count.strip_suffix(" warning"))
            .and_then(count_of)
    {
        return Location::Folded {
            suite: file.to_owned(),
            count: n,
        };
    }
    if line.contains("::") {
        Location::Test(line.to_owned())
    } else {
        Location::NoTest
    }
}

/// A count: ASCII digits only, any size a u64 holds.
fn count_of(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The test id in unittest's verbose `test_b (pkg.mod.Case.test_b)`.
/// Python 3.11 prints the whole id in parentheses, older versions the
/// class; a docstring printed instead names no test.
fn unittest_id(desc: &str) -> Option<String> {
    desc.strip_suffix(')')
        .and_then(|d| d.split_once(" ("))
        .filter(|(name, id)| {
            !name.is_empty() && !name.contains(' ') && !id.contains(' ') && id.contains('.')
        })
        .map(|(name, id)| {
            if id.ends_with(name) && id[..id.len() - name.len()].ends_with('.') {
                id.to_owned()
            } else {
                format!("{id}.{name}")
            }
        })
}

struct Parsed<'a> {
    file: &'a str,
    line: u32,
    class: &'a str,
    /// unittest's verbose description of the running test, printed
    /// before the warning on the same line.
    unittest: Option<&'a str>,
    /// pytest -v's node id, printed before the warning on the same line.
    node_id: Option<&'a str>,
    /// From the class on: `DeprecationWarning: old() is deprecated`.
    message: &'a str,
}

impl Parsed<'_> {
    fn found(&self, test: Option<String>) -> Found {
        Found {
            file: self.file.to_owned(),
            line: Some(self.line),
            message: self.message.to_owned(),
            category: category(self.class),
            tool: "python",
            test,
            count: 1,
        }
    }
}

/// `path:line: XxxWarning: message` at the start of `s`, `path` after
/// what may be glued before it: unittest's `test_b (pkg.Case.test_b) ... `,
/// `WARNING:py.warnings:`, progress dots.
fn parse(s: &str) -> Option<Parsed<'_>> {
    let mut from = 0;
    while let Some(i) = s[from..].find("Warning: ") {
        let end = from + i + "Warning".len();
        let start = s[..end]
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .len();
        let class = &s[start..end];
        if class.starts_with(|c: char| c.is_ascii_uppercase())
            && let Some(head) = s[..start].strip_suffix(": ")
            && let Some((file, num)) = head.rsplit_once(':')
            && let Some(line) = number(num)
        {
            let (unittest, file) = match file.rsplit_once(" ... ") {
                Some((desc, file)) => (Some(desc), file),
                None => (None, file),
            };
            let file = file.strip_prefix("WARNING:py.warnings:").unwrap_or(file);
            // pytest -v -s prints the node id before the path.
            let (node_id, file) = super::path_start(file);
            let file = strip_progress_marks(file.trim_start());
            if !file.is_empty() {
                return Some(Parsed {
                    file,
                    line,
                    class,
                    unittest,
                    node_id,
                    message: s[start..].trim_end(),
                });
            }
        }
        from = end;
    }
    None
}

/// Deprecations: `DeprecationWarning`, `PendingDeprecationWarning`,
/// libraries' subclasses (`MatplotlibDeprecationWarning`, Django's
/// `RemovedInDjango50Warning`), and `FutureWarning`, which Python's
/// documentation gives for "deprecated features when those warnings are
/// intended for end users" and which is how pandas and NumPy announce
/// what will change (`FutureWarning: The default of observed=False is
/// deprecated`).
fn category(class: &str) -> Category {
    if class.contains("Deprecation") || class.starts_with("RemovedIn") || class == "FutureWarning" {
        Category::Deprecation
    } else {
        Category::Warning
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_log, parse_with};

    const PYTEST: &str =
        include_str!("../../../fixtures/warnings/python/pytest-9.2-warnings-summary.log");
    const PYTEST_COLOR: &str =
        include_str!("../../../fixtures/warnings/python/pytest-9.2-warnings-summary-color.log");
    const W_ALWAYS: &str =
        include_str!("../../../fixtures/warnings/python/python-3.11-W-always.log");
    const UNITTEST: &str = include_str!("../../../fixtures/warnings/python/unittest-3.11.log");

    const ROOT: &str = "/home/runner/work/shop/shop";

    fn w(file: &str, line: u32, message: &str, test: Option<&str>) -> Found {
        let class = message.split_once(':').unwrap().0;
        Found {
            file: format!("{ROOT}/{file}"),
            line: Some(line),
            message: message.into(),
            category: category(class),
            tool: "python",
            test: test.map(str::to_owned),
            count: 1,
        }
    }

    const OLD: &str = "DeprecationWarning: old() is deprecated; use new()";
    const CAREFUL: &str = "UserWarning: careful";

    #[test]
    fn pytest_summary_attributes_a_warning_to_each_test_listed_above_it() {
        let out = parse_with(PYTEST, LogFormat::Python);
        // `tests/test_many.py: 12 warnings`: one record counting twelve,
        // the file as the test suite.
        let mut ratio = w(
            "src/shop/other.py",
            10,
            "RuntimeWarning: ratio() may overflow for large inputs",
            Some("tests/test_many.py"),
        );
        ratio.count = 12;
        let mut want = vec![
            // Collection time: a `path:line` location, no test.
            w(
                "tests/test_c.py",
                3,
                "DeprecationWarning: module-level setup is deprecated",
                None,
            ),
            w("src/shop/lib.py", 5, OLD, Some("tests/test_a.py::test_one")),
            w("src/shop/lib.py", 5, OLD, Some("tests/test_a.py::test_two")),
            w(
                "tests/test_a.py",
                10,
                "FutureWarning: price() returns a float from 2.0 on",
                Some("tests/test_a.py::test_two"),
            ),
            w(
                "src/shop/other.py",
                5,
                CAREFUL,
                Some("tests/test_b.py::TestK::test_three"),
            ),
            w(
                "tests/test_b.py",
                10,
                "PendingDeprecationWarning: legacy_total() will be removed in 3.0",
                Some("tests/test_b.py::TestK::test_four"),
            ),
            // The message's second line is not read.
            w(
                "src/shop/lib.py",
                20,
                "UserWarning: first line of a long message",
                Some("tests/test_b.py::TestK::test_four"),
            ),
        ];
        want.push(ratio);
        assert_eq!(out, want);
        // pytest's own total: `17 passed, 19 warnings`.
        assert_eq!(out.iter().map(|f| f.count).sum::<u64>(), 19);
        assert_eq!(out[1].category, Category::Deprecation);
        // FutureWarning: a deprecation.
        assert_eq!(out[3].category, Category::Deprecation);
        assert_eq!(out[4].category, Category::Warning);
    }

    #[test]
    fn pytest_in_color_reads_the_same() {
        assert!(PYTEST_COLOR.contains("\x1b[33m====="));
        assert_eq!(
            parse_with(PYTEST_COLOR, LogFormat::Auto),
            parse_with(PYTEST, LogFormat::Python)
        );
        assert_eq!(skip_color("\x1b[33m\x1b[1m== x"), "== x");
        assert_eq!(skip_color("\x1b["), "\x1b[");
    }

    #[test]
    fn crlf_line_endings_read_the_same() {
        let crlf = PYTEST.replace('\n', "\r\n");
        assert!(crlf.contains("test_one\r\n"));
        assert_eq!(
            parse_with(&crlf, LogFormat::Auto),
            parse_with(PYTEST, LogFormat::Auto)
        );
        let crlf = W_ALWAYS.replace('\n', "\r\n");
        assert_eq!(
            parse_with(&crlf, LogFormat::Python),
            parse_with(W_ALWAYS, LogFormat::Python)
        );
    }

    #[test]
    fn python_w_always_source_lines_are_not_warnings() {
        assert_eq!(
            parse_with(W_ALWAYS, LogFormat::Python),
            [
                w("src/shop/lib.py", 5, OLD, None),
                w(
                    "scripts/run.py",
                    8,
                    "PendingDeprecationWarning: legacy_total() will be removed in 3.0",
                    None
                ),
                w(
                    "scripts/run.py",
                    9,
                    "FutureWarning: price() returns a float from 2.0 on",
                    None
                ),
                w("src/shop/other.py", 5, CAREFUL, None),
                // logging.captureWarnings(True)
                w("src/shop/lib.py", 5, OLD, None),
            ]
        );
    }

    #[test]
    fn unittest_dots_removed_and_verbose_lines_name_the_test() {
        assert_eq!(
            parse_with(UNITTEST, LogFormat::Python),
            [
                w("src/shop/lib.py", 5, OLD, None),
                w("src/shop/other.py", 5, CAREFUL, None),
                w(
                    "src/shop/lib.py",
                    5,
                    OLD,
                    Some("utests.test_lib.LibTest.test_b_old")
                ),
                w(
                    "src/shop/other.py",
                    5,
                    CAREFUL,
                    Some("utests.test_lib.LibTest.test_c_careful")
                ),
            ]
        );
        // Python 3.10 and older print the class only.
        assert_eq!(
            unittest_id("test_b (pkg.mod.Case)").as_deref(),
            Some("pkg.mod.Case.test_b")
        );
        assert_eq!(unittest_id("Checks the old API ... really"), None);
        // ` ... ` in a message is not unittest's.
        let out = parse_with("a.py:1: UserWarning: wait ... done\n", LogFormat::Python);
        assert_eq!(out[0].message, "UserWarning: wait ... done");
    }

    #[test]
    fn the_test_running_now_is_used_outside_the_summary() {
        let mut ctx = Context {
            current_test: Some("t1".into()),
        };
        let mut out = Vec::new();
        parse_log(
            "sys:1: ResourceWarning: unclosed file <_io.TextIOWrapper name='a'>\n",
            LogFormat::Python,
            &mut ctx,
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].file, "sys");
        assert_eq!(out[0].test.as_deref(), Some("t1"));
    }

    #[test]
    fn lookalikes_are_not_python_warnings() {
        let text = "\
(node:31366) [DEP0005] DeprecationWarning: Buffer() is deprecated\n\
(node:31366) Warning: cache size 0 disables caching\n\
/app/a.rb:3: warning: FooWarning: bar\n\
E   DeprecationWarning: old() is deprecated\n\
tests/test_a.py:12: in test_one\n\
Warning: the cache is cold\n\
a.py:x: UserWarning: not a line number\n\
a.py:3: userWarning: lower case\n";
        assert_eq!(parse_with(text, LogFormat::Python), []);
    }

    #[test]
    fn a_summary_warning_without_location_and_the_final_summary() {
        let text = r#"============================ warnings summary ============================
/x/conftest.py:3: UserWarning: at configure time
  warnings.warn("at configure time")

tests/t.py::test_a
  /x/a.py:1: UserWarning: one

-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html
/x/b.py:2: UserWarning: after the summary
======================== warnings summary (final) ========================
tests/t.py::test_b
  /x/c.py:3: UserWarning: at session end

=========================== 2 passed in 0.01s ============================
tests/t.py::test_c
"#;
        let got: Vec<_> = parse_with(text, LogFormat::Python)
            .into_iter()
            .map(|f| (f.file, f.test))
            .collect();
        let t = |s: &str| Some(s.to_owned());
        assert_eq!(
            got,
            [
                ("/x/conftest.py".into(), None),
                ("/x/a.py".into(), t("tests/t.py::test_a")),
                ("/x/b.py".into(), None),
                ("/x/c.py".into(), t("tests/t.py::test_b")),
            ]
        );
    }
}
