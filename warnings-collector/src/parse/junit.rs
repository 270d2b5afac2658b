//! JUnit XML: the warnings printed in a test case's `system-out` and
//! `system-err` belong to that test case (`classname.name`), read with the
//! same recognisers as a plain log. Output at the suite level belongs to no
//! test.

use quick_xml::events::Event;

use super::{Context, LogFormat};
use crate::warning::Found;

/// Reads one JUnit XML file named `name`. Malformed XML is reported in
/// `diags` with its line, and what was read before it is kept.
pub fn parse(
    name: &str,
    bytes: &[u8],
    format: LogFormat,
    out: &mut Vec<Found>,
    diags: &mut Vec<String>,
) {
    walk(
        name,
        bytes,
        &mut |text, ctx, out| super::parse_log(text, format, ctx, out),
        out,
        diags,
    );
}

/// The XML walk, with what to do with each output block.
fn walk(
    name: &str,
    bytes: &[u8],
    read: &mut dyn FnMut(&str, &mut Context, &mut Vec<Found>),
    out: &mut Vec<Found>,
    diags: &mut Vec<String>,
) {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut case: Option<String> = None;
    let mut in_output = false;
    let mut text = String::new();
    let line_of = |pos: u64| {
        bytes[..(pos as usize).min(bytes.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    };
    loop {
        let pos = reader.buffer_position();
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                diags.push(format!(
                    "{name}:{}: {e}; expected JUnit XML (rest of the file skipped)",
                    line_of(pos)
                ));
                break;
            }
        };
        match ev {
            Event::Eof => break,
            Event::Start(e) => match e.name().as_ref() {
                b"testcase" => {
                    let mut class = String::new();
                    let mut test = String::new();
                    for a in e.attributes().flatten() {
                        let v = a
                            .unescape_value()
                            .map(|v| v.into_owned())
                            .unwrap_or_default();
                        match a.key.as_ref() {
                            b"classname" => class = v,
                            b"name" => test = v,
                            _ => {}
                        }
                    }
                    case = Some(if class.is_empty() {
                        test
                    } else {
                        format!("{class}.{test}")
                    });
                }
                b"system-out" | b"system-err" => {
                    in_output = true;
                    text.clear();
                }
                _ => {}
            },
            Event::Text(t) if in_output => {
                if let Ok(s) = t.decode() {
                    text.push_str(&s);
                }
            }
            // `&lt;` and friends, and `&#10;`, arrive as their own events.
            Event::GeneralRef(r) if in_output => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else if let Some(s) = r
                    .decode()
                    .ok()
                    .and_then(|name| quick_xml::escape::resolve_xml_entity(&name))
                {
                    text.push_str(s);
                }
            }
            Event::CData(t) if in_output => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) => match e.name().as_ref() {
                b"testcase" => case = None,
                b"system-out" | b"system-err" => {
                    in_output = false;
                    let mut ctx = Context {
                        current_test: case.clone(),
                    };
                    read(&text, &mut ctx, out);
                }
                _ => {}
            },
            _ => {}
        }
        buf.clear();
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
