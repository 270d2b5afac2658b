//! javac's warnings as the maven-compiler-plugin reprints them:
//!
//! ```text
//! [WARNING] /home/runner/work/shop/shop/src/main/java/com/x/File.java:[10,5] foo() in Bar has been deprecated
//! ```
//!
//! also with `-Dstyle.color=always` (`[\x1b[1;33mWARNING\x1b[m] ...`), which
//! CI workflows often set. The plugin drops javac's lint key (newer
//! versions keep it), so a deprecation is recognised by its text:
//! "deprecated", "marked for removal", `[deprecation]`, `[removal]`. Detail
//! lines that follow a warning are not read, nor Maven's own warnings
//! without a `File.java:[line,column]` location, nor the
//! `[INFO] /a/File.java: Some input files use or override a deprecated API.`
//! notes. javac's own form (`File.java:10: warning:`) is read by
//! [`super::javac`]; the two forms never overlap.

use super::{Context, Recognizer, number};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Maven;

/// The level, plain and as Maven colours it.
const LEVELS: [&str; 2] = ["[WARNING] ", "[\x1b[1;33mWARNING\x1b[m] "];

impl Recognizer for Maven {
    fn triggers(&self) -> &'static [&'static str] {
        &["[WARNING] ", "WARNING\x1b[m] "]
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
            tool: "maven",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

/// `(file, line, message)` of a `[WARNING] /a/File.java:[line,column] message`
/// line. Whatever precedes the level (a colour reset, a timestamp) is skipped.
fn parse(line: &str) -> Option<(&str, u32, &str)> {
    let rest = LEVELS
        .iter()
        .find_map(|level| line.split_once(level).map(|(_, rest)| rest))?;
    let (file, location) = rest.split_once(".java:[")?;
    let (position, message) = location.split_once("] ")?;
    let lineno = position.split_once(',').map_or(position, |(l, _)| l);
    let file = &rest[..file.len() + ".java".len()];
    let message = message.trim();
    if file.starts_with(char::is_whitespace) || file == ".java" || message.is_empty() {
        return None;
    }
    Some((file, number(lineno)?, message))
}

fn category(message: &str) -> Category {
    // javac's `[dep-ann]` lint is about a missing annotation, not a use.
    if message.contains("is not annotated with @Deprecated") {
        return Category::Warning;
    }
    if message.contains("deprecated")
        || message.contains("marked for removal")
        || message.starts_with("[removal]")
    {
        Category::Deprecation
    } else {
        Category::Warning
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_with};

    const XLINT: &str =
        include_str!("../../../fixtures/warnings/maven/maven-3.8.7-compiler-3.10.1-xlint-all.log");
    const DEFAULT: &str =
        include_str!("../../../fixtures/warnings/maven/maven-3.8.7-compiler-3.10.1-default.log");
    const COLOR: &str =
        include_str!("../../../fixtures/warnings/maven/maven-3.8.7-compiler-3.10.1-color.log");
    const JAVAC: &str =
        include_str!("../../../fixtures/warnings/javac/openjdk-17.0.15-xlint-all.log");

    const DIR: &str = "/home/runner/work/shop/shop/src/main/java/com/shop";

    fn found(file: &str, line: u32, message: &str, category: Category) -> Found {
        Found {
            file: format!("{DIR}/{file}"),
            line: Some(line),
            message: message.into(),
            category,
            tool: "maven",
            test: None,
            count: 1,
        }
    }

    fn xlint_expected() -> Vec<Found> {
        use Category::{Deprecation, Warning};
        vec![
            found(
                "Legacy.java",
                15,
                "Integer(int) in java.lang.Integer has been deprecated and marked for removal",
                Deprecation,
            ),
            found(
                "Legacy.java",
                20,
                "getYear() in java.util.Date has been deprecated",
                Deprecation,
            ),
            found(
                "Legacy.java",
                29,
                "stop() in java.lang.Thread has been deprecated",
                Deprecation,
            ),
            found(
                "Caller.java",
                8,
                "oldApi() in com.shop.Legacy has been deprecated",
                Deprecation,
            ),
            found(
                "Caller.java",
                9,
                "doomed() in com.shop.Legacy has been deprecated and marked for removal",
                Deprecation,
            ),
            found("Caller.java", 10, "found raw type: java.util.List", Warning),
            found(
                "Caller.java",
                10,
                "found raw type: java.util.ArrayList",
                Warning,
            ),
            found(
                "Caller.java",
                11,
                "unchecked call to add(E) as a member of the raw type java.util.List",
                Warning,
            ),
        ]
    }

    #[test]
    fn compiler_plugin_warnings_with_line_numbers() {
        assert_eq!(parse_with(XLINT, LogFormat::Maven), xlint_expected());
    }

    #[test]
    fn maven_and_javac_do_not_report_each_others_lines_in_auto_mode() {
        assert_eq!(parse_with(XLINT, LogFormat::Auto), xlint_expected());
        let javac = parse_with(JAVAC, LogFormat::Auto);
        assert_eq!(javac.len(), 8);
        assert!(javac.iter().all(|f| f.tool == "javac"), "{javac:?}");
        // A log with both forms reports each warning once per form.
        let both = parse_with(&format!("{XLINT}\n{JAVAC}"), LogFormat::Auto);
        assert_eq!(both.len(), 16);
    }

    #[test]
    fn colored_output_is_read() {
        assert_eq!(parse_with(COLOR, LogFormat::Auto), xlint_expected());
    }

    #[test]
    fn notes_and_maven_warnings_without_a_location_are_ignored() {
        assert_eq!(parse_with(DEFAULT, LogFormat::Auto), vec![]);
        for line in [
            "[WARNING] The POM for org.apache.maven.plugins:maven-clean-plugin:jar:2.5 is missing, no dependency information available",
            "[WARNING] /home/runner/work/shop/shop/src/main/java/com/shop/Legacy.java: Some input files use or override a deprecated API.",
            "[WARNING] Tests run: 3, Failures: 0, Errors: 0, Skipped: 1, Time elapsed: 0.1 s - in com.shop.LegacyTest",
            "[WARNING] /a/File.java:[x,5] deprecated",
            "[WARNING] .java:[3,5] deprecated",
            "[INFO] /a/File.java:[3,5] foo() in Bar has been deprecated",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }

    #[test]
    fn newer_plugins_keep_the_lint_key() {
        assert_eq!(
            parse(
                "[WARNING] /a/File.java:[3] [removal] x() in A has been deprecated and marked for removal"
            ),
            Some((
                "/a/File.java",
                3,
                "[removal] x() in A has been deprecated and marked for removal"
            ))
        );
        assert_eq!(
            category("[removal] x() in A has been deprecated and marked for removal"),
            Category::Deprecation
        );
        assert_eq!(
            category("[dep-ann] deprecated item is not annotated with @Deprecated"),
            Category::Warning
        );
    }
}
