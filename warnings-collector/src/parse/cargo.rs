//! rustc's warnings as cargo prints them: with `--message-format=json`
//! (`cargo build`, `clippy`, `test --no-run`), one JSON object a line,
//! `{"reason":"compiler-message", "message": {...}}` (also with blanks
//! after the colons, as Python's `json.dumps` or `jq` write it again);
//! and in cargo's default, human form ([`CargoHuman`]):
//!
//! ```text
//! warning: use of deprecated function `old::total`: use `total_cents`
//!   --> src/lib.rs:23:21
//!    |
//! 23 |         sum += old::total(*i);
//! ```
//!
//! Both give the same warnings, at the same places: rustc's paths, relative
//! to the Cargo workspace's root (pass that as `--root` when it is not the
//! repository's).
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
        // With or without a blank after the colon; `reason` is checked
        // once parsed.
        &["\"compiler-message\""]
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

/// cargo's human output: a `warning: MESSAGE` line (or `error: MESSAGE`
/// for a lint denied with `-D warnings` or `#![deny]`), then `--> FILE:L:C`,
/// then the snippet up to a blank line. A warning in a macro's expansion is
/// placed at the invocation (`in this macro invocation`), as the JSON form
/// does. Hard errors (`error[E0308]`) and lines without a location
/// (`warning: \`pkg\` (lib) generated 3 warnings`) are not warnings.
#[derive(Debug, Default)]
pub struct CargoHuman {
    pending: Option<Human>,
}

#[derive(Debug)]
struct Human {
    message: String,
    error: bool,
    /// From the `-->` line; `None` until it is read.
    at: Option<(String, u32)>,
    /// The file of the last `:::` line, and the number of the last source
    /// line shown: where an `in this macro invocation` marker points.
    other_file: Option<String>,
    last_source_line: Option<u32>,
    invocation: Option<(String, u32)>,
    /// A `-D …` or `#[deny(…)]` note: an error that is a lint.
    denied_lint: bool,
}

/// `use of deprecated function …`, and `deprecated_in_future`'s wording.
fn is_deprecation(message: &str) -> bool {
    message.starts_with("use of deprecated ")
        || message.starts_with("use of item that will be deprecated")
}

impl Recognizer for CargoHuman {
    fn triggers(&self) -> &'static [&'static str] {
        &["warning: ", "error: "]
    }

    fn in_block(&self) -> bool {
        self.pending.is_some()
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        if let Some(h) = &mut self.pending {
            let t = line.trim_start();
            if h.at.is_none() {
                // The location comes right after the header, or it is not
                // one of rustc's diagnostics.
                match t.strip_prefix("--> ").and_then(location) {
                    Some(at) => h.at = Some(at),
                    None => self.pending = None,
                }
                if self.pending.is_some() {
                    return;
                }
            } else if line.trim().is_empty() {
                self.flush(ctx, out);
                return;
            } else {
                if let Some((file, _)) = t.strip_prefix("::: ").and_then(location) {
                    h.other_file = Some(file);
                } else if let Some((n, _)) = t.split_once(" |")
                    && let Some(n) = super::number(n.trim())
                {
                    h.last_source_line = Some(n);
                }
                if t.ends_with("in this macro invocation")
                    && h.invocation.is_none()
                    && let Some(n) = h.last_source_line
                {
                    let file = h
                        .other_file
                        .clone()
                        .or_else(|| h.at.as_ref().map(|a| a.0.clone()));
                    h.invocation = file.map(|f| (f, n));
                }
                if t.starts_with("= note: ") && (t.contains("`-D ") || t.contains("#[deny(")) {
                    h.denied_lint = true;
                }
                return;
            }
        }
        // A new diagnostic's header, at the start of the line.
        let (error, message) = if let Some(m) = line.strip_prefix("warning: ") {
            (false, m)
        } else if let Some(m) = line.strip_prefix("error: ") {
            (true, m)
        } else {
            return;
        };
        self.pending = Some(Human {
            message: one_line(message.trim_end()).into_owned(),
            error,
            at: None,
            other_file: None,
            last_source_line: None,
            invocation: None,
            denied_lint: false,
        });
    }

    fn finish(&mut self, ctx: &mut Context, out: &mut Vec<Found>) {
        self.flush(ctx, out);
    }
}

impl CargoHuman {
    fn flush(&mut self, ctx: &mut Context, out: &mut Vec<Found>) {
        let Some(h) = self.pending.take() else {
            return;
        };
        let deprecation = is_deprecation(&h.message);
        if h.error && !deprecation && !h.denied_lint {
            return;
        }
        let Some((file, line)) = h.invocation.or(h.at) else {
            return;
        };
        out.push(Found {
            file,
            line: Some(line),
            message: h.message,
            category: if deprecation {
                Category::Deprecation
            } else {
                Category::Warning
            },
            tool: "rustc",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

/// `FILE:LINE:COL` of a `-->` or `:::` line.
fn location(s: &str) -> Option<(String, u32)> {
    let (rest, col) = s.trim_end().rsplit_once(':')?;
    super::number(col)?;
    let (file, line) = rest.rsplit_once(':')?;
    Some((file.to_owned(), super::number(line)?))
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

    #[test]
    fn human_output_and_json_in_any_spacing_give_the_same_warnings() {
        let json = parse_with(
            include_str!("../../../fixtures/warnings/cargo/cargo-1.95-json-pricing.log"),
            LogFormat::Cargo,
        );
        let at = |f: &Found| (f.file.clone(), f.line, f.category, f.message.clone());
        let want: Vec<_> = json.iter().map(at).collect();
        assert_eq!(want.len(), 3, "{want:?}");
        // The macro's warning is placed at its invocation, line 25.
        assert_eq!(
            want.iter().map(|w| w.1).collect::<Vec<_>>(),
            [Some(23), Some(25), Some(19)]
        );
        for log in [
            include_str!("../../../fixtures/warnings/cargo/cargo-1.95-human.log"),
            include_str!("../../../fixtures/warnings/cargo/cargo-1.95-human-deny-warnings.log"),
            include_str!(
                "../../../fixtures/warnings/cargo/derived-cargo-1.95-json-python-spaced.log"
            ),
        ] {
            for format in [LogFormat::Cargo, LogFormat::Auto] {
                let got: Vec<_> = parse_with(log, format).iter().map(at).collect();
                assert_eq!(got, want, "{format:?}");
            }
        }
    }

    #[test]
    fn human_output_that_is_not_a_lint_is_not_read() {
        let log = "error[E0308]: mismatched types\n --> src/a.rs:1:5\n  |\n\n\
                   error: expected one of `;`\n --> src/a.rs:2:1\n\n\
                   warning: `pricing` (lib) generated 3 warnings\n\
                   error: could not compile `pricing` (lib) due to 3 previous errors\n\
                   warning: unused manifest key: package.x\n\
                   warning: no location\n  not a location\n";
        assert_eq!(parse_with(log, LogFormat::Cargo), []);
        // A lint with a location but no blank line before the end.
        let log = "warning: unused variable: `x`\n --> src/a.rs:3:9";
        let got = parse_with(log, LogFormat::Cargo);
        assert_eq!((got[0].file.as_str(), got[0].line), ("src/a.rs", Some(3)));
    }

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
