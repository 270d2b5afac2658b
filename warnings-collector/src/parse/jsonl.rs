//! JSONL warnings, one object per line, for any other runner:
//! `{"message": "...", "file": "src/a.ts", "line": 12, "test": "suite > case",
//! "category": "deprecation"}`. `message` is required; `category` is
//! `deprecation` (the default) or `warning`.

use cli_support::{escape_controls, one_line};
use serde::Deserialize;

use crate::warning::{Category, Found};

#[derive(Deserialize)]
struct Record {
    message: String,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    line: Option<u32>,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    category: Option<Category>,
}

/// Reads the records of one JSONL file named `name`. A line that is not a
/// record (a truncated write, say) is reported in `diags` with its line
/// number, and the rest is read.
///
/// A record without `file` is kept, as a warning without a place (it
/// cannot have an owner, and all such records of one message merge); the
/// first one is named in `diags`, with how many more there are.
pub fn parse(name: &str, text: &str, out: &mut Vec<Found>, diags: &mut Vec<String>) {
    let mut without_file: Option<(usize, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) if r.file.as_deref().is_none_or(str::is_empty) => {
                let first = without_file.get_or_insert((i + 1, 0));
                first.1 += 1;
                out.push(r.found());
            }
            Ok(r) => out.push(r.found()),
            Err(e) => diags.push(format!(
                "{name}:{}: {}; expected a JSON object {{\"message\", \"file\", \"line\", \"test\"}} (line skipped)",
                i + 1,
                // serde quotes the bad value, which may hold a line break.
                escape_controls(&e.to_string())
            )),
        }
    }
    if let Some((line, n)) = without_file {
        let more = match n {
            1 => String::new(),
            n => format!(" (and {} more lines)", n - 1),
        };
        diags.push(format!(
            "{name}:{line}: a record without \"file\"{more}; kept as a warning without a place, which no team owns"
        ));
    }
}

impl Record {
    fn found(self) -> Found {
        Found {
            file: self.file.unwrap_or_default(),
            line: self.line,
            message: one_line(&self.message).into_owned(),
            category: self.category.unwrap_or(Category::Deprecation),
            tool: "jsonl",
            test: self.test.filter(|t| !t.is_empty()),
            count: 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the `jsonl` fuzz target: serde's "unknown variant" error
    /// quotes the value, and an escaped line break in it split the
    /// diagnostic over two lines.
    #[test]
    fn a_bad_value_with_a_line_break_is_one_diagnostic_line() {
        let (mut out, mut diags) = (Vec::new(), Vec::new());
        parse(
            "w.jsonl",
            "{\"message\":\"m\",\"category\":\"warnn\\nwarning\"}\n",
            &mut out,
            &mut diags,
        );
        assert!(out.is_empty());
        assert_eq!(diags.len(), 1);
        assert!(!diags[0].contains('\n'), "{}", diags[0]);
        assert!(diags[0].starts_with("w.jsonl:1: "), "{}", diags[0]);
    }

    #[test]
    fn records_and_a_truncated_line() {
        let text = "{\"message\":\"old api\",\"file\":\"a.ts\",\"line\":3,\"test\":\"t1\"}\n\
                    {\"message\":\"x\",\"fi\n\
                    \n\
                    {\"message\":\"plain\\nwarning\",\"category\":\"warning\"}\n";
        let (mut out, mut diags) = (Vec::new(), Vec::new());
        parse("w.jsonl", text, &mut out, &mut diags);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].test.as_deref(), Some("t1"));
        assert_eq!(out[0].line, Some(3));
        assert_eq!(out[1].message, "plain warning");
        assert_eq!(out[1].category, Category::Warning);
        assert_eq!(diags.len(), 2);
        assert!(diags[0].starts_with("w.jsonl:2: "), "{}", diags[0]);
        // The record without a file is kept, and named.
        assert_eq!(out[1].file, "");
        assert_eq!(
            diags[1],
            "w.jsonl:4: a record without \"file\"; kept as a warning without a place, which no team owns"
        );
        let (mut out, mut diags) = (Vec::new(), Vec::new());
        parse(
            "w.jsonl",
            "{\"message\":\"a\",\"file\":\"\"}\n{\"message\":\"b\",\"file\":\"x.ts\"}\n{\"message\":\"c\"}\n",
            &mut out,
            &mut diags,
        );
        assert_eq!(out.len(), 3);
        assert_eq!(
            diags,
            [
                "w.jsonl:1: a record without \"file\" (and 1 more lines); kept as a warning without a place, which no team owns"
            ]
        );
    }

    /// What the capture hooks (`warnings-collector hooks`) wrote in real
    /// runs, in `fixtures/warnings/hooks/`: every record is read, with its
    /// place (the CI checkout stripped), test and category.
    #[test]
    fn the_capture_hooks_fixtures() {
        use crate::warning::Root;
        type Want = (&'static str, u32, Option<&'static str>, Category);
        let d = Category::Deprecation;
        let w = Category::Warning;
        let cases: [(&str, &str, &[Want]); 4] = [
            (
                "ruby-3.1-minitest-5.15-hook.jsonl",
                include_str!("../../../fixtures/warnings/hooks/ruby-3.1-minitest-5.15-hook.jsonl"),
                &[
                    ("test/legacy_test.rb", 4, None, d),
                    (
                        "test/legacy_test.rb",
                        12,
                        Some("LegacyTest#test_configure"),
                        d,
                    ),
                    (
                        "test/legacy_test.rb",
                        13,
                        Some("LegacyTest#test_configure"),
                        w,
                    ),
                    ("lib/legacy.rb", 3, Some("LegacyTest#test_join"), d),
                    ("lib/legacy.rb", 4, Some("LegacyTest#test_join"), d),
                ],
            ),
            (
                "ruby-3.1-rspec-3.12-hook.jsonl",
                include_str!("../../../fixtures/warnings/hooks/ruby-3.1-rspec-3.12-hook.jsonl"),
                &[
                    (
                        "lib/legacy.rb",
                        3,
                        Some("Legacy joins with the old separator"),
                        d,
                    ),
                    (
                        "lib/legacy.rb",
                        4,
                        Some("Legacy joins with the old separator"),
                        d,
                    ),
                    ("spec/legacy_spec.rb", 9, Some("Legacy still configures"), d),
                ],
            ),
            (
                "python-3.11-pytest-8.3-hook.jsonl",
                include_str!("../../../fixtures/warnings/hooks/python-3.11-pytest-8.3-hook.jsonl"),
                &[
                    ("tests/test_shop.py", 5, None, d),
                    (
                        "tests/test_shop.py",
                        9,
                        Some("tests/test_shop.py::test_old"),
                        d,
                    ),
                    (
                        "tests/test_shop.py",
                        14,
                        Some("tests/test_shop.py::TestPrices::test_future"),
                        d,
                    ),
                    (
                        "tests/test_shop.py",
                        15,
                        Some("tests/test_shop.py::TestPrices::test_future"),
                        w,
                    ),
                    (
                        "tests/test_shop.py",
                        16,
                        Some("tests/test_shop.py::TestPrices::test_future"),
                        d,
                    ),
                ],
            ),
            (
                "node-20-test-runner-hook.jsonl",
                include_str!("../../../fixtures/warnings/hooks/node-20-test-runner-hook.jsonl"),
                &[
                    ("src/buf.js", 1, Some("test/buf.test.js"), d),
                    ("test/buf.test.js", 11, Some("test/buf.test.js"), d),
                    ("test/buf.test.js", 12, Some("test/buf.test.js"), w),
                    ("scripts/build.mjs", 1, None, d),
                ],
            ),
        ];
        let root = Root::new(std::path::Path::new("/elsewhere"));
        for (name, text, want) in cases {
            let (mut out, mut diags) = (Vec::new(), Vec::new());
            parse(name, text, &mut out, &mut diags);
            assert!(diags.is_empty(), "{name}: {diags:?}");
            let got: Vec<(String, Option<u32>, Option<&str>, Category)> = out
                .iter()
                .map(|f| {
                    (
                        root.relative(&f.file),
                        f.line,
                        f.test.as_deref(),
                        f.category,
                    )
                })
                .collect();
            let want: Vec<_> = want
                .iter()
                .map(|&(file, line, test, c)| (file.to_owned(), Some(line), test, c))
                .collect();
            assert_eq!(got, want, "{name}");
            assert!(out.iter().all(|f| !f.message.is_empty()), "{name}");
        }
    }
}
