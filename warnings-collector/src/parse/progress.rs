//! Progress lines of test runners that print a test's name before its
//! output, so that the warnings that follow belong to that test:
//! - Go: `=== RUN   TestName` (and `=== CONT`);
//! - Maven Surefire: `Running com.example.FooTest` (also after `[INFO] `);
//! - Gradle with test events: `com.example.FooTest > testBar STARTED`;
//! - TAP (node --test, prove): `# Subtest: name`;
//! - pytest -v: `tests/test_a.py::test_x ` (the node id, printed when the
//!   test starts; with -s its output follows, on that line or the next);
//! - minitest -v: `LegacyTest#test_seed = ` (then the output, then the
//!   time and the result).
//!
//! Runners that print the name after the test (libtest, RSpec's
//! documentation format) cannot attribute output this way and are not
//! guessed at.

use super::{Context, Recognizer};
use crate::warning::Found;

#[derive(Debug, Default)]
pub struct Progress;

impl Recognizer for Progress {
    fn triggers(&self) -> &'static [&'static str] {
        &[
            "=== RUN",
            "=== CONT",
            "Running ",
            " STARTED",
            "# Subtest: ",
            ".py::",
            "#test_",
        ]
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, _out: &mut Vec<Found>) {
        if let Some(test) = test_of(line) {
            ctx.current_test = Some(test.to_owned());
        }
    }
}

/// The test a progress line announces.
fn test_of(line: &str) -> Option<&str> {
    let t = line.trim_end();
    if let Some(rest) = t
        .strip_prefix("=== RUN")
        .or_else(|| t.strip_prefix("=== CONT"))
    {
        return Some(rest.trim()).filter(|s| !s.is_empty());
    }
    let maven = t.strip_prefix("[INFO] ").unwrap_or(t);
    if let Some(class) = maven.strip_prefix("Running ") {
        // A Java class name: letters, digits, `.`, `$`, `_`.
        // Either package-qualified or capitalised: not "Running tests".
        let ok = !class.is_empty()
            && class
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '$' | '_'))
            && (class.contains('.') || class.starts_with(char::is_uppercase));
        return ok.then_some(class);
    }
    if let Some(name) = t.strip_suffix(" STARTED")
        && name.contains(" > ")
    {
        return Some(name.trim());
    }
    if let Some(name) = t.trim_start().strip_prefix("# Subtest: ") {
        return Some(name.trim()).filter(|s| !s.is_empty());
    }
    // pytest -v and minitest -v: the id at the start of the line, then a
    // blank (pytest) or ` = ` (minitest); a line of the warnings summary
    // is a node id alone, and names a test no more than it did.
    if !line.starts_with([' ', '\t'])
        && (t.contains(".py::") || t.contains(" = "))
        && let (Some(test), rest) = super::path_start(t)
        && (t.contains(" = ") || !rest.is_empty())
    {
        return Some(test);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runners_that_announce_tests() {
        assert_eq!(
            test_of("=== RUN   TestParse/empty"),
            Some("TestParse/empty")
        );
        assert_eq!(test_of("=== CONT  TestParse"), Some("TestParse"));
        assert_eq!(
            test_of("[INFO] Running com.example.FooTest"),
            Some("com.example.FooTest")
        );
        assert_eq!(
            test_of("Running com.example.Outer$Inner"),
            Some("com.example.Outer$Inner")
        );
        assert_eq!(test_of("Running the migrations now"), None);
        assert_eq!(test_of("Running tests"), None);
        assert_eq!(test_of("Running FooTest"), Some("FooTest"));
        assert_eq!(
            test_of("FooTest > testBar() STARTED"),
            Some("FooTest > testBar()")
        );
        assert_eq!(test_of("    # Subtest: parses dates"), Some("parses dates"));
        assert_eq!(test_of("test foo ... ok"), None);
        // pytest -v: with -s, the test's output follows its id.
        assert_eq!(
            test_of("tests/test_a.py::test_old calling old()"),
            Some("tests/test_a.py::test_old")
        );
        assert_eq!(
            test_of("tests/t.py::test_p[a b] PASSED"),
            Some("tests/t.py::test_p[a b]")
        );
        // The summary's location lines are not progress.
        assert_eq!(test_of("tests/test_a.py::test_old"), None);
        assert_eq!(test_of("  tests/test_a.py::test_old x"), None);
        // minitest -v.
        assert_eq!(
            test_of("LegacyTest#test_seed = 0.00 s = ."),
            Some("LegacyTest#test_seed")
        );
        assert_eq!(
            test_of("LegacyTest#test_seed = test/legacy_test.rb:6: warning: x"),
            Some("LegacyTest#test_seed")
        );
        assert_eq!(test_of("total#test_x = 3"), None);
    }
}
