//! rustc's warnings as `cargo build --message-format=json` (or `cargo
//! clippy`, `cargo test --no-run` with it) prints them: one JSON object a
//! line, `{"reason":"compiler-message", "message": {...}}`.
//!
//! A warning inside a macro expansion has its primary span in the macro's
//! definition; it is reported where the user wrote the outermost call,
//! following `expansion.span` outwards. `deprecated` (and
//! `deprecated_in_future`) are deprecations; every other lint is a plain
//! warning. Lints turned into errors (`-D warnings`, `#![deny(...)]`) are
//! still read, since they are the same warnings; a hard error (`E0308`) and
//! messages without a location (`N warnings emitted`) are not.

use cli_support::one_line;
use std::borrow::Cow;

use serde::Deserialize;

use super::{Context, Recognizer};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct CargoJson;

impl Recognizer for CargoJson {
    fn triggers(&self) -> &'static [&'static str] {
        &["\"reason\":\"compiler-message\""]
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        // Whatever a CI runner put before the object (a timestamp) is skipped.
        let Some(start) = line.find('{') else {
            return;
        };
        let Ok(record) = serde_json::from_str::<Record>(line[start..].trim_end()) else {
            return;
        };
        let (Some(m), "compiler-message") = (record.message, &*record.reason) else {
            return;
        };
        let code = m.code.as_ref().map(|c| &*c.code);
        let is_lint = match &*m.level {
            "warning" => true,
            // A lint name (`unused_variables`, `clippy::x`), not `E0308`.
            "error" => {
                code.is_some_and(|code| code.starts_with(|ch: char| ch.is_ascii_lowercase()))
            }
            _ => false,
        };
        if !is_lint {
            return;
        }
        let Some(primary) = m.spans.iter().find(|s| s.is_primary).or(m.spans.first()) else {
            return;
        };
        let mut span = primary;
        while let Some(expansion) = &span.expansion {
            span = &expansion.span;
        }
        out.push(Found {
            file: span.file_name.to_string(),
            line: Some(span.line_start),
            message: one_line(&m.message).into_owned(),
            category: match code {
                Some("deprecated" | "deprecated_in_future") => Category::Deprecation,
                _ => Category::Warning,
            },
            tool: "rustc",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

/// The fields read of cargo's JSON messages; the rest are skipped.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    reason: Cow<'a, str>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    message: Cow<'a, str>,
    #[serde(borrow)]
    level: Cow<'a, str>,
    #[serde(borrow)]
    code: Option<Code<'a>>,
    #[serde(borrow, default)]
    spans: Vec<Span<'a>>,
}

#[derive(Deserialize)]
struct Code<'a> {
    #[serde(borrow)]
    code: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Span<'a> {
    #[serde(borrow)]
    file_name: Cow<'a, str>,
    line_start: u32,
    is_primary: bool,
    #[serde(borrow)]
    expansion: Option<Box<Expansion<'a>>>,
}

#[derive(Deserialize)]
struct Expansion<'a> {
    #[serde(borrow)]
    span: Span<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_with};

    const BUILD: &str = include_str!("../../../fixtures/warnings/cargo/cargo-1.95-build.log");
    const DENY: &str =
        include_str!("../../../fixtures/warnings/cargo/cargo-1.95-deny-warnings.log");
    const TYPE_ERROR: &str =
        include_str!("../../../fixtures/warnings/cargo/cargo-1.95-type-error.log");

    const DEPRECATED: &str =
        "use of deprecated function `pricing::total`: use `total_cents` instead";

    fn found(line: u32, message: &str, category: Category) -> Found {
        Found {
            file: "checkout/src/main.rs".into(),
            line: Some(line),
            message: message.into(),
            category,
            tool: "rustc",
            test: None,
            count: 1,
        }
    }

    /// checkout/src/main.rs: `use pricing::total;` (line 1), a direct call
    /// (17), through `basket_total!` (18), through `receipt!` calling
    /// `basket_total!` (19), through `pricing::sum_all!` from the other
    /// crate (20), and an unused variable (16).
    fn expected() -> Vec<Found> {
        vec![
            found(1, DEPRECATED, Category::Deprecation),
            found(17, DEPRECATED, Category::Deprecation),
            found(18, DEPRECATED, Category::Deprecation),
            found(19, DEPRECATED, Category::Deprecation),
            found(20, DEPRECATED, Category::Deprecation),
            found(16, "unused variable: `unused`", Category::Warning),
        ]
    }

    #[test]
    fn macro_expansions_are_reported_at_the_outermost_call_site() {
        assert_eq!(parse_with(BUILD, LogFormat::Cargo), expected());
        assert_eq!(parse_with(BUILD, LogFormat::Auto), expected());
    }

    #[test]
    fn lints_denied_by_d_warnings_are_still_warnings() {
        assert_eq!(parse_with(DENY, LogFormat::Auto), expected());
    }

    #[test]
    fn hard_errors_and_notes_are_not_warnings() {
        assert_eq!(parse_with(TYPE_ERROR, LogFormat::Auto), vec![]);
    }

    #[test]
    fn a_timestamp_before_the_object_and_broken_lines() {
        let line = BUILD
            .lines()
            .find(|l| l.contains("unused variable"))
            .expect("fixture has the unused variable");
        let log = format!(
            "=== RUN   TestBuild\n2024-05-01T10:00:00.0000000Z {line}\n{{\"reason\":\"compiler-message\",\"message\":{{\n"
        );
        let out = parse_with(&log, LogFormat::Cargo);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].line, Some(16));
        assert_eq!(out[0].test.as_deref(), Some("TestBuild"));
    }
}
