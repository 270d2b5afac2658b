//! Progress lines of test runners that print a test's name before its
//! output, so that the warnings that follow belong to that test:
//! - Go: `=== RUN   TestName` (and `=== CONT`);
//! - Maven Surefire: `Running com.example.FooTest` (also after `[INFO] `);
//! - Gradle with test events: `com.example.FooTest > testBar STARTED`;
//! - TAP (node --test, prove): `# Subtest: name`.
//!
//! pytest -v (`tests/test_a.py::test_x /abs/mod.py:3: …`) and minitest -v
//! (`LegacyTest#test_seed = /abs/legacy.rb:22: …`) print the test's name
//! in front of the warning on the same line: the Python and Ruby readers
//! take it from there ([`super::path_start`]). Their progress lines are not
//! read here: a pytest -v log is mostly node ids, and visiting each would
//! halve the speed of the whole read. Runners that print the name after
//! the test (libtest, RSpec's documentation format) cannot attribute
//! output this way and are not guessed at.

use super::{Context, Recognizer};
use crate::warning::Found;

#[derive(Debug, Default)]
pub struct Progress;

impl Recognizer for Progress {
    fn triggers(&self) -> &'static [&'static str] {
        &["=== RUN", "=== CONT", "Running ", " STARTED", "# Subtest: "]
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
    t.trim_start()
        .strip_prefix("# Subtest: ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
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
        // Read by the Python and Ruby recognisers, not here.
        assert_eq!(test_of("tests/test_a.py::test_old calling old()"), None);
        assert_eq!(test_of("LegacyTest#test_seed = 0.00 s = ."), None);
    }
}
