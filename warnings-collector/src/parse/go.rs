//! Go deprecations (check SA1019) as staticcheck and golangci-lint print
//! them:
//!
//! ```text
//! internal/billing/invoice.go:31:9: grpc.WithInsecure is deprecated: use WithTransportCredentials ... (SA1019)
//! internal/billing/invoice.go:31:9: SA1019: grpc.WithInsecure is deprecated: use WithTransportCredentials ... (staticcheck)
//! ```
//!
//! The check's name and the linter's are dropped from the message, so the
//! same deprecation reads the same from both tools. Other checks are not
//! read, nor the source line and caret golangci-lint prints under a
//! finding.

use super::{Context, Recognizer, number};
use crate::warning::{Category, Found};

#[derive(Debug, Default)]
pub struct Go;

impl Recognizer for Go {
    fn triggers(&self) -> &'static [&'static str] {
        &["SA1019"]
    }

    fn line(&mut self, line: &str, _lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
        let Some((file, lineno, message)) = parse(line) else {
            return;
        };
        out.push(Found {
            file: file.to_owned(),
            line: Some(lineno),
            message: message.to_owned(),
            category: Category::Deprecation,
            tool: "go",
            test: ctx.current_test.clone(),
            count: 1,
        });
    }
}

/// `(file, line, message)` of `file.go:LINE:COL: message`, when the message
/// is an SA1019 finding in either tool's form.
fn parse(line: &str) -> Option<(&str, u32, &str)> {
    let line = line.trim_end();
    let at = line.find(".go:")?;
    let file = &line[..at + ".go".len()];
    // A source line echoed under a finding starts with its indentation.
    if file == ".go" || file.starts_with(char::is_whitespace) {
        return None;
    }
    let (lineno, rest) = line[at + ".go:".len()..].split_once(':')?;
    // The column is optional: `file.go:12: message`.
    let rest = match rest.split_once(": ") {
        Some((column, message)) if number(column).is_some() => message,
        _ => rest.strip_prefix(' ')?,
    };
    let message = if let Some(m) = rest.strip_prefix("SA1019: ") {
        m.strip_suffix(" (staticcheck)").unwrap_or(m)
    } else {
        rest.strip_suffix(" (SA1019)")?
    };
    let message = message.trim();
    if message.is_empty() {
        return None;
    }
    Some((file, number(lineno)?, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{LogFormat, parse_with};

    const STATICCHECK: &str =
        include_str!("../../../fixtures/warnings/go/hand-written-staticcheck-2023.1.log");
    const GOLANGCI: &str =
        include_str!("../../../fixtures/warnings/go/hand-written-golangci-lint-1.59.log");

    const IOUTIL: &str = "\"io/ioutil\" has been deprecated since Go 1.19: As of Go 1.16, the same functionality is now provided by package [io] or package [os], and those implementations should be preferred in new code. See the specific function documentation for details.";
    const INSECURE: &str = "grpc.WithInsecure is deprecated: use WithTransportCredentials and insecure.NewCredentials() instead. Will be supported throughout 1.x.";
    const TITLE: &str = "strings.Title has been deprecated since Go 1.18 and an alternative has been available since Go 1.0: The rule Title uses for word boundaries does not handle Unicode punctuation properly. Use golang.org/x/text/cases instead.";

    fn found(file: &str, line: u32, message: &str) -> Found {
        Found {
            file: file.into(),
            line: Some(line),
            message: message.into(),
            category: Category::Deprecation,
            tool: "go",
            test: None,
            count: 1,
        }
    }

    fn expected() -> Vec<Found> {
        vec![
            found("internal/billing/invoice.go", 14, IOUTIL),
            found("internal/billing/invoice.go", 31, INSECURE),
            found("cmd/api/main.go", 22, TITLE),
        ]
    }

    #[test]
    fn staticcheck_and_golangci_lint_read_the_same() {
        assert_eq!(parse_with(STATICCHECK, LogFormat::Go), expected());
        assert_eq!(parse_with(STATICCHECK, LogFormat::Auto), expected());
        assert_eq!(parse_with(GOLANGCI, LogFormat::Auto), expected());
    }

    /// The real output (hand-written above before Go was installable):
    /// staticcheck 2023.1 puts two blanks before the check's code.
    #[test]
    fn real_staticcheck_2023_1() {
        let got = parse_with(
            include_str!("../../../fixtures/warnings/go/staticcheck-2023.1-go-1.19.8.log"),
            LogFormat::Auto,
        );
        let at: Vec<(&str, Option<u32>, bool)> = got
            .iter()
            .map(|f| {
                (
                    f.file.as_str(),
                    f.line,
                    f.message.ends_with("cases instead.") || f.message.ends_with("for details."),
                )
            })
            .collect();
        assert_eq!(
            at,
            [("read.go", Some(5), true), ("read.go", Some(16), true)],
            "{got:?}"
        );
        assert!(got.iter().all(|f| f.category == Category::Deprecation));
    }

    #[test]
    fn other_checks_and_lookalikes_are_ignored() {
        for line in [
            "internal/billing/invoice.go:40:6: func unusedHelper is unused (U1000)",
            "\t//nolint:staticcheck // SA1019: needed until Go 1.22",
            "internal/a.go:3:1: SA1019 mentioned in passing",
            "internal/a.go:x:1: SA1019: x is deprecated (staticcheck)",
            "level=warning msg=\"[runner] exclusion rule SA1019 matched nothing\"",
            ".go:3:1: SA1019: x is deprecated (staticcheck)",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
        assert_eq!(
            parse("a.go:3: SA1019: x is deprecated (staticcheck)"),
            Some(("a.go", 3, "x is deprecated"))
        );
    }
}
