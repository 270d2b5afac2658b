//! JUnit XML: the warnings printed in a test case's `system-out` and
//! `system-err` belong to that test case (`classname.name`), read with the
//! same recognisers as a plain log. Output at the suite level belongs to no
//! test.

use ci_formats::junit::{self, Item};

use super::{Context, LogFormat};
use crate::warning::Found;

/// Reads one JUnit XML file named `name`. Malformed or truncated XML is
/// reported in `diags` with its line, and what was read before it is kept;
/// then the result is `false`: the file was read only in part.
pub fn parse(
    name: &str,
    bytes: &[u8],
    format: LogFormat,
    out: &mut Vec<Found>,
    diags: &mut Vec<String>,
) -> bool {
    walk(
        name,
        bytes,
        &mut |text, ctx, out| super::parse_log(text, format, ctx, out),
        out,
        diags,
    )
}

/// The JUnit walk (`ci_formats::junit`), with what to do with each output
/// block.
fn walk(
    name: &str,
    bytes: &[u8],
    read: &mut dyn FnMut(&str, &mut Context, &mut Vec<Found>),
    out: &mut Vec<Found>,
    diags: &mut Vec<String>,
) -> bool {
    let walked = junit::walk(bytes, &mut |item| {
        if let Item::Output { case, text } = item {
            let mut ctx = Context {
                current_test: case.map(str::to_owned),
            };
            read(text, &mut ctx, out);
        }
    });
    match walked {
        Ok(()) => true,
        Err(e) if e.truncated => {
            diags.push(format!("{name}:{e}"));
            false
        }
        Err(e) => {
            diags.push(format!("{name}:{e} (rest of the file skipped)"));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::Recognizer;
    use crate::warning::Category;

    /// A recogniser for the tests: `WARN: message` lines.
    struct Warn;
    impl Recognizer for Warn {
        fn triggers(&self) -> &'static [&'static str] {
            &["WARN: "]
        }
        fn line(&mut self, line: &str, _: usize, ctx: &mut Context, out: &mut Vec<Found>) {
            out.push(Found {
                file: String::new(),
                line: None,
                message: line.trim_start_matches("WARN: ").to_owned(),
                category: Category::Warning,
                tool: "test",
                test: ctx.current_test.clone(),
                count: 1,
            });
        }
    }

    #[test]
    fn output_belongs_to_its_test_case() {
        let xml = br#"<testsuites><testsuite name="s">
  <testcase classname="com.x.FooTest" name="bar"><system-out>ok
WARN: a &lt;b&gt; &#x41;</system-out></testcase>
  <testcase name="plain"><system-err><![CDATA[WARN: in cdata]]></system-err></testcase>
  <system-out>WARN: suite level</system-out>
</testsuite></testsuites>"#;
        let mut out = Vec::new();
        let mut diags = Vec::new();
        walk(
            "j.xml",
            xml,
            &mut |text, ctx, out| {
                let mut recs: Vec<Box<dyn Recognizer>> = vec![Box::new(Warn)];
                crate::parse::run(text, &mut recs, ctx, out);
            },
            &mut out,
            &mut diags,
        );
        let got: Vec<(String, Option<String>)> =
            out.into_iter().map(|f| (f.message, f.test)).collect();
        assert_eq!(
            got,
            [
                ("a <b> A".to_owned(), Some("com.x.FooTest.bar".to_owned())),
                ("in cdata".to_owned(), Some("plain".to_owned())),
                ("suite level".to_owned(), None),
            ]
        );
        assert!(diags.is_empty());
        let mut out = Vec::new();
        walk(
            "bad.xml",
            b"<testsuite>\n<testcase name=\"x\"></testsuite>",
            &mut |_, _, _| {},
            &mut out,
            &mut diags,
        );
        assert_eq!(diags.len(), 1);
        assert!(diags[0].starts_with("bad.xml:2: "), "{}", diags[0]);
    }
}
