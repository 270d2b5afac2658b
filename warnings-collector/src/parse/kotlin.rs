//! Kotlin compiler warnings, in the three forms it prints them:
//!
//! ```text
//! w: file:///home/runner/work/x/x/src/main/kotlin/A.kt:12:5 'fun foo(): Unit' is deprecated. Use bar.
//! w: /home/runner/work/x/x/src/main/kotlin/A.kt: (12, 5): 'foo(): Unit' is deprecated. Use bar
//! src/main/kotlin/A.kt:12:5: warning: 'foo(): Unit' is deprecated. Use bar
//! ```
//!
//! The first from the Gradle plugin since Kotlin 1.8 (a `file://` URI,
//! percent-encoded), the second from older Gradle plugins, the third from
//! `kotlinc` on the command line. A message that says "deprecated" is a
//! deprecation. Warnings without a location (`w: Language version 1.6 is
//! deprecated ...`) and errors (`e: `) are not read.

use super::{Context, Recognizer, number};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Kotlin;

impl Recognizer for Kotlin {
    fn triggers(&self) -> &'static [&'static str] {
        &["w: ", ": warning: "]
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        let Some(w) = parse(line) else {
            return;
        };
        let file = if w.uri {
            decode_uri(w.file)
        } else {
            w.file.to_owned()
        };
        out.push(Found {
            file,
            line: Some(w.line),
            message: w.message.to_owned(),
            category: if w.message.contains("deprecated") {
                Category::Deprecation
            } else {
                Category::Warning
            },
            tool: "kotlin",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

/// One warning line, borrowed from the log.
#[derive(Debug, PartialEq)]
struct Parsed<'a> {
    /// As printed: a path, or a URI without its `file://` when `uri`.
    file: &'a str,
    uri: bool,
    line: u32,
    message: &'a str,
}

fn parse(line: &str) -> Option<Parsed<'_>> {
    let parsed = match line.strip_prefix("w: ") {
        Some(rest) if rest.starts_with("file://") => uri_form(rest)?,
        Some(rest) => old_form(rest).or_else(|| uri_form(rest))?,
        None => kotlinc_form(line)?,
    };
    let ok = !parsed.file.is_empty()
        && !parsed.file.starts_with(char::is_whitespace)
        && !parsed.message.is_empty();
    ok.then_some(parsed)
}

/// `/a/A.kt: (12, 5): message`; the path may hold spaces.
fn old_form(rest: &str) -> Option<Parsed<'_>> {
    let (file, position) = rest.split_once(": (")?;
    let (position, message) = position.split_once("): ")?;
    let (line, column) = position.split_once(", ")?;
    number(column)?;
    Some(Parsed {
        file,
        uri: false,
        line: number(line)?,
        message: message.trim(),
    })
}

/// `file:///a/A.kt:12:5 message` (a path in place of the URI is taken too;
/// a `:` after the column is allowed).
fn uri_form(rest: &str) -> Option<Parsed<'_>> {
    let (location, message) = rest.split_once(' ')?;
    let location = location.strip_suffix(':').unwrap_or(location);
    let (location, column) = location.rsplit_once(':')?;
    let (file, line) = location.rsplit_once(':')?;
    number(column)?;
    let (file, uri) = match file.strip_prefix("file://") {
        Some(path) => (path, true),
        None => (file, false),
    };
    Some(Parsed {
        file,
        uri,
        line: number(line)?,
        message: message.trim(),
    })
}

/// `kotlinc`'s `src/A.kt:12:5: warning: message`.
fn kotlinc_form(line: &str) -> Option<Parsed<'_>> {
    let (location, message) = line.split_once(": warning: ")?;
    let (location, column) = location.rsplit_once(':')?;
    let (file, line) = location.rsplit_once(':')?;
    number(column)?;
    if !file.ends_with(".kt") && !file.ends_with(".kts") {
        return None;
    }
    let (_, file) = super::path_start(file);
    Some(Parsed {
        file,
        uri: false,
        line: number(line)?,
        message: message.trim(),
    })
}

/// The path of a `file://` URI (already without the scheme): `%XX`
/// decoded, and `/C:/a` read as the Windows path `C:/a`.
fn decode_uri(path: &str) -> String {
    let b = path.as_bytes();
    let path = if b.len() >= 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        &path[1..]
    } else {
        path
    };
    let mut bytes = Vec::with_capacity(path.len());
    let mut rest = path.as_bytes();
    while let Some((&c, tail)) = rest.split_first() {
        if c == b'%'
            && let [h, l, after @ ..] = tail
            && let (Some(h), Some(l)) = (hex(*h), hex(*l))
        {
            bytes.push((h << 4) | l);
            rest = after;
            continue;
        }
        bytes.push(c);
        rest = tail;
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real kotlinc 1.3.31 (Debian) on OpenJDK 17: the deprecation, an
    /// unused variable, and the launcher's own VM warning (read by `jvm`).
    #[test]
    fn real_kotlinc_1_3() {
        let log = include_str!("../../../fixtures/warnings/kotlin/kotlinc-1.3.31-openjdk-17.log");
        let got = crate::parse::parse_with(log, crate::parse::LogFormat::Kotlin);
        let at: Vec<(&str, Option<u32>, Category, &str)> = got
            .iter()
            .map(|f| (f.file.as_str(), f.line, f.category, f.tool))
            .collect();
        assert_eq!(
            at,
            [
                ("", None, Category::Deprecation, "jvm"),
                ("src/Legacy.kt", Some(6), Category::Deprecation, "kotlin"),
                ("src/Legacy.kt", Some(9), Category::Warning, "kotlin"),
            ]
        );
    }
    use crate::parse::{LogFormat, parse_with};

    const GRADLE: &str =
        include_str!("../../../fixtures/warnings/kotlin/hand-written-gradle-kotlin-2.0.log");
    const OLD: &str =
        include_str!("../../../fixtures/warnings/kotlin/hand-written-gradle-kotlin-1.7.log");
    const KOTLINC: &str =
        include_str!("../../../fixtures/warnings/kotlin/hand-written-kotlinc.log");

    const SRC: &str = "/home/runner/work/shop/shop/app/src/main/kotlin/com/shop";

    fn found(file: &str, line: u32, message: &str, category: Category) -> Found {
        Found {
            file: file.into(),
            line: Some(line),
            message: message.into(),
            category,
            tool: "kotlin",
            test: None,
            count: 1,
        }
    }

    #[test]
    fn gradle_uris_are_decoded_and_lookalikes_ignored() {
        use Category::{Deprecation, Warning};
        let expected = vec![
            found(
                "/home/runner/work/shop/shop/app/build.gradle.kts",
                14,
                "'getter for buildDir: File!' is deprecated. Deprecated in Java.",
                Deprecation,
            ),
            found(
                &format!("{SRC}/Checkout.kt"),
                12,
                "'fun total(items: List<Int>): Int' is deprecated. Use totalCents.",
                Deprecation,
            ),
            found(
                &format!("{SRC}/Checkout.kt"),
                20,
                "Variable 'unused' is never used.",
                Warning,
            ),
            found(
                &format!("{SRC}/legacy files/Café.kt"),
                7,
                "'constructor(year: Int, month: Int, date: Int): Date' is deprecated. Deprecated in Java.",
                Deprecation,
            ),
        ];
        assert_eq!(parse_with(GRADLE, LogFormat::Kotlin), expected);
        assert_eq!(parse_with(GRADLE, LogFormat::Auto), expected);
    }

    #[test]
    fn the_older_gradle_form() {
        let expected = vec![
            found(
                &format!("{SRC}/Checkout.kt"),
                12,
                "'total(List<Int>): Int' is deprecated. Use totalCents",
                Category::Deprecation,
            ),
            found(
                &format!("{SRC}/legacy files/Receipt.kt"),
                4,
                "Parameter 'width' is never used",
                Category::Warning,
            ),
        ];
        assert_eq!(parse_with(OLD, LogFormat::Auto), expected);
    }

    #[test]
    fn kotlinc_on_the_command_line_and_not_javac() {
        let expected = vec![found(
            "src/main/kotlin/com/shop/Checkout.kt",
            12,
            "'fun total(items: List<Int>): Int' is deprecated. Use totalCents.",
            Category::Deprecation,
        )];
        assert_eq!(parse_with(KOTLINC, LogFormat::Auto), expected);
    }

    #[test]
    fn windows_uris_and_bad_escapes() {
        assert_eq!(decode_uri("/C:/work/a%20b/A.kt"), "C:/work/a b/A.kt");
        assert_eq!(decode_uri("/a/100%/b%2"), "/a/100%/b%2");
        assert_eq!(decode_uri("/a/%FF.kt"), "/a/\u{FFFD}.kt");
    }

    #[test]
    fn lines_that_only_look_like_warnings() {
        for line in [
            "w: Language version 1.6 is deprecated and its support will be removed in a future version of Kotlin",
            "w: [ksp] loaded provider(s): [com.example.Processor]",
            "Flow: old pipeline is deprecated",
            "  w: file:///a/A.kt:1:1 indented",
            "w: file:///a/A.kt:x:1 not a line",
            "w: file:///a/A.kt:1:1",
            "e: file:///a/A.kt:3:1 Unresolved reference: foo",
            "src/Main.java:3:5: warning: not kotlin",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }
}
