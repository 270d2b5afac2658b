//! javac's own diagnostics, as `javac` and Gradle print them:
//!
//! ```text
//! src/main/java/com/x/File.java:10: warning: [deprecation] foo() in Bar has been deprecated
//!         bar.foo();
//!            ^
//! ```
//!
//! The source line and the caret that follow, and any detail lines, are
//! not read. `[deprecation]` and `[removal]` are deprecations; any other
//! lint key, or none (an annotation processor's warning), is a plain
//! warning. The `Note: Some input files use or override a deprecated API.`
//! summary has no location and is not a warning. Maven reprints javac's
//! warnings in its own form (`[WARNING] /a/File.java:[10,5] ...`), read by
//! [`super::maven`], so the two never report the same line.

use super::{Context, Recognizer, number};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Javac;

impl Recognizer for Javac {
    fn triggers(&self) -> &'static [&'static str] {
        // Shared with other compilers (Ruby, gcc); only `.java:N:` is read.
        &[": warning: "]
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        let Some((file, lineno, message)) = parse(line) else {
            return;
        };
        out.push(Found {
            file: file.to_owned(),
            line: Some(lineno),
            message: message.to_owned(),
            category: category(message),
            tool: "javac",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

/// `(file, line, message)` of a `File.java:N: warning: message` line.
fn parse(line: &str) -> Option<(&str, u32, &str)> {
    let (location, message) = line.split_once(": warning: ")?;
    let (file, lineno) = location.rsplit_once(':')?;
    // A source line echoed after a warning starts with its indentation.
    if !file.ends_with(".java") || file.starts_with(char::is_whitespace) {
        return None;
    }
    // Gradle's plain console glues the task to the first warning's path:
    // `:compileJava/home/…/B.java:5: warning: …`.
    let (_, file) = super::path_start(file);
    let message = message.trim();
    if message.is_empty() {
        return None;
    }
    Some((file, number(lineno)?, message))
}

fn category(message: &str) -> Category {
    if message.starts_with("[deprecation]") || message.starts_with("[removal]") {
        Category::Deprecation
    } else {
        Category::Warning
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_log, parse_with};

    const XLINT: &str =
        include_str!("../../../fixtures/warnings/javac/openjdk-17.0.15-xlint-all.log");
    const DEFAULT: &str =
        include_str!("../../../fixtures/warnings/javac/openjdk-17.0.15-default.log");

    fn found(file: &str, line: u32, message: &str, category: Category) -> Found {
        Found {
            file: file.into(),
            line: Some(line),
            message: message.into(),
            category,
            tool: "javac",
            test: None,
            count: 1,
        }
    }

    #[test]
    fn xlint_all_warnings_without_source_and_caret_lines() {
        use Category::{Deprecation, Warning};
        let caller = "src/main/java/com/shop/Caller.java";
        let legacy = "src/main/java/com/shop/Legacy.java";
        let expected = vec![
            found(
                caller,
                8,
                "[deprecation] oldApi() in Legacy has been deprecated",
                Deprecation,
            ),
            found(
                caller,
                9,
                "[removal] doomed() in Legacy has been deprecated and marked for removal",
                Deprecation,
            ),
            found(caller, 10, "[rawtypes] found raw type: List", Warning),
            found(caller, 10, "[rawtypes] found raw type: ArrayList", Warning),
            found(
                caller,
                11,
                "[unchecked] unchecked call to add(E) as a member of the raw type List",
                Warning,
            ),
            found(
                legacy,
                15,
                "[removal] Integer(int) in Integer has been deprecated and marked for removal",
                Deprecation,
            ),
            found(
                legacy,
                20,
                "[deprecation] getYear() in Date has been deprecated",
                Deprecation,
            ),
            found(
                legacy,
                29,
                "[deprecation] stop() in Thread has been deprecated",
                Deprecation,
            ),
        ];
        assert_eq!(parse_with(XLINT, LogFormat::Javac), expected);
        // No other recogniser reads javac's lines.
        assert_eq!(parse_with(XLINT, LogFormat::Auto), expected);
    }

    #[test]
    fn default_lint_notes_are_not_warnings() {
        let dir = "/home/runner/work/shop/shop/src/main/java/com/shop";
        let expected = vec![
            found(
                &format!("{dir}/Caller.java"),
                9,
                "[removal] doomed() in Legacy has been deprecated and marked for removal",
                Category::Deprecation,
            ),
            found(
                &format!("{dir}/Legacy.java"),
                15,
                "[removal] Integer(int) in Integer has been deprecated and marked for removal",
                Category::Deprecation,
            ),
        ];
        assert_eq!(parse_with(DEFAULT, LogFormat::Auto), expected);
    }

    #[test]
    fn the_running_test_is_attached() {
        let log = "=== RUN   TestCompile\nA.java:3: warning: [removal] x() in A has been deprecated and marked for removal\n";
        let mut out = Vec::new();
        parse_log(log, LogFormat::Javac, &mut Context::default(), &mut out);
        assert_eq!(out[0].test.as_deref(), Some("TestCompile"));
    }

    #[test]
    fn lookalikes_are_ignored() {
        for line in [
            // Other languages' warnings share the trigger.
            "app/models/user.rb:3: warning: method redefined; discarding old name",
            "src/a.c:3:5: warning: 'f' is deprecated [-Wdeprecated-declarations]",
            "src/A.kt:3:5: warning: 'f(): Unit' is deprecated.",
            // A source line echoed under a warning.
            "        log(\"Foo.java:3: warning: [x] y\");",
            "Foo.java:x: warning: [deprecation] y",
            "Foo.java:3: warning: ",
            "warning: [options] source value 8 is obsolete and will be removed in a future release",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
        assert_eq!(
            parse(r"C:\src\Foo.java:12: warning: Unmapped target property: id"),
            Some((r"C:\src\Foo.java", 12, "Unmapped target property: id"))
        );
    }
}
