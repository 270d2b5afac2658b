//! JUnit XML, as one walk over the document: the tools that read it
//! (`test-impact shard` sums test times per module, `warnings-collector`
//! reads the warnings a test case printed) each act on the [`Item`]s it
//! yields.
//!
//! What is read: `<testsuite name>`, `<testcase classname name time>` (also
//! written as an empty element) and the text of `<system-out>` and
//! `<system-err>`, with entities, character references and CDATA resolved.
//! Everything else (properties, failures, skipped) is passed over.

use cli_support::escape_controls;
use quick_xml::events::{BytesStart, Event};

/// One thing the walk met, in document order.
#[derive(Debug, PartialEq)]
pub enum Item<'a> {
    /// A `<testsuite>`; its `name` applies until the next suite.
    Suite {
        /// The `name` attribute.
        name: Option<&'a str>,
    },
    /// A `<testcase>`.
    Case(&'a TestCase),
    /// The text of a `<system-out>` or `<system-err>`: inside the test
    /// case `case` (`classname.name`, or `name` without a class), or at
    /// the suite level (`None`).
    Output {
        /// `classname.name` of the enclosing test case.
        case: Option<&'a str>,
        /// The text, unescaped.
        text: &'a str,
    },
}

/// A `<testcase>` element's attributes.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TestCase {
    /// `classname`, if present.
    pub classname: Option<String>,
    /// `name`, empty if absent.
    pub name: String,
    /// `time` as written (seconds), if present; the caller decides what a
    /// malformed one means.
    pub time: Option<String>,
    /// The line the element starts on (1-based).
    pub line: usize,
}

impl TestCase {
    /// `classname.name`, or `name` alone without a class: how test runners
    /// print a test's id.
    pub fn id(&self) -> String {
        match self.classname.as_deref() {
            Some(c) if !c.is_empty() => format!("{c}.{}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// The document is not well-formed XML at `line`, or it ends before its
/// elements are closed (`truncated`: a runner killed while writing it, an
/// upload cut short). What was walked before was handed to the visitor
/// already, the text of an output element cut short included.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}: {message}; expected JUnit XML")]
pub struct Error {
    /// 1-based line of the element or text that failed, or the last line.
    pub line: usize,
    /// quick-xml's description, or what was still open.
    pub message: String,
    /// The document ended inside an element.
    pub truncated: bool,
}

/// Walks the JUnit XML `bytes`, handing each [`Item`] to `visit` in
/// document order. Stops at the first malformed element.
pub fn walk(bytes: &[u8], visit: &mut dyn FnMut(Item<'_>)) -> Result<(), Error> {
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut case: Option<String> = None;
    let mut in_output = false;
    let mut text = String::new();
    let mut lines = LineCounter::default();
    // The names of the elements open, outermost first.
    let mut open: Vec<String> = Vec::new();
    loop {
        let pos = reader.buffer_position();
        let ev = reader.read_event_into(&mut buf).map_err(|e| Error {
            line: lines.line_of(bytes, pos),
            message: escape_controls(&e.to_string()).into_owned(),
            truncated: false,
        })?;
        if matches!(ev, Event::End(_)) {
            open.pop();
        }
        match ev {
            Event::Eof => {
                if open.is_empty() {
                    break;
                }
                if in_output {
                    // Its complete lines: the last one may be cut short.
                    let complete = text.rfind('\n').map_or(0, |i| i + 1);
                    visit(Item::Output {
                        case: case.as_deref(),
                        text: &text[..complete],
                    });
                }
                let innermost = open.last().map(String::as_str).unwrap_or_default();
                return Err(Error {
                    line: lines.line_of(bytes, bytes.len() as u64),
                    // The names and the test case are the document's own
                    // text: kept on one line.
                    message: escape_controls(&format!(
                        "truncated: the document ends inside <{innermost}> with {} elements open; everything before, {}, was read",
                        open.len(),
                        match case.as_deref() {
                            Some(c) =>
                                format!("the complete lines of test case {c}'s output included"),
                            None => "no test case cut short".to_owned(),
                        }
                    ))
                    .into_owned(),
                    truncated: true,
                });
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                if !empty {
                    open.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                }
                match e.name().as_ref() {
                    b"testsuite" => {
                        let name = attr(e, b"name", bytes, pos, &mut lines)?;
                        visit(Item::Suite {
                            name: name.as_deref(),
                        });
                    }
                    b"testcase" => {
                        let tc = TestCase {
                            classname: attr(e, b"classname", bytes, pos, &mut lines)?,
                            name: attr(e, b"name", bytes, pos, &mut lines)?.unwrap_or_default(),
                            time: attr(e, b"time", bytes, pos, &mut lines)?,
                            line: lines.line_of(bytes, pos),
                        };
                        visit(Item::Case(&tc));
                        if !empty {
                            case = Some(tc.id());
                        }
                    }
                    b"system-out" | b"system-err" if !empty => {
                        in_output = true;
                        text.clear();
                    }
                    _ => {}
                }
            }
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
                b"system-out" | b"system-err" if in_output => {
                    in_output = false;
                    visit(Item::Output {
                        case: case.as_deref(),
                        text: &text,
                    });
                }
                _ => {}
            },
            _ => {}
        }
        buf.clear();
    }
    Ok(())
}

/// The unescaped value of attribute `name`, or an [`Error`] for a
/// malformed attribute list.
fn attr(
    e: &BytesStart<'_>,
    name: &[u8],
    bytes: &[u8],
    pos: u64,
    lines: &mut LineCounter,
) -> Result<Option<String>, Error> {
    for a in e.attributes() {
        let a = a.map_err(|err| Error {
            line: lines.line_of(bytes, pos),
            message: escape_controls(&err.to_string()).into_owned(),
            truncated: false,
        })?;
        if a.key.as_ref() == name {
            let v = a.unescape_value().map_err(|err| Error {
                line: lines.line_of(bytes, pos),
                message: escape_controls(&err.to_string()).into_owned(),
                truncated: false,
            })?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// Line numbers of byte offsets that only grow: counts each byte once, so
/// a report of a million test cases is not rescanned per case.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, bytes: &[u8], pos: u64) -> usize {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(bytes.len());
        if pos < self.offset {
            self.offset = 0;
            self.line = 0;
        }
        self.line += bytes[self.offset..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.offset = pos;
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(xml: &str) -> (Vec<String>, Result<(), Error>) {
        let mut seen = Vec::new();
        let r = walk(xml.as_bytes(), &mut |it| {
            seen.push(match it {
                Item::Suite { name } => format!("suite {name:?}"),
                Item::Case(c) => format!("case {} {:?} line {}", c.id(), c.time, c.line),
                Item::Output { case, text } => format!("out {case:?} {text:?}"),
            })
        });
        (seen, r)
    }

    #[test]
    fn suites_cases_and_their_output_in_order() {
        let (seen, r) = items(
            "<testsuites>\n<testsuite name=\"grep::suite\">\n\
             <testcase classname=\"a\" name=\"t1\" time=\"0.5\"/>\n\
             <testcase name=\"t2\"><system-out>x &lt;1&gt;&#10;y<![CDATA[ <z>]]></system-out></testcase>\n\
             <system-err>suite level</system-err>\n\
             </testsuite></testsuites>",
        );
        assert_eq!(r, Ok(()));
        assert_eq!(
            seen,
            [
                "suite Some(\"grep::suite\")",
                "case a.t1 Some(\"0.5\") line 3",
                "case t2 None line 4",
                "out Some(\"t2\") \"x <1>\\ny <z>\"",
                "out None \"suite level\"",
            ]
        );
    }

    #[test]
    fn malformed_xml_stops_with_its_line_after_what_came_before() {
        let (seen, r) = items(
            "<testsuite name=\"s\">\n<testcase name=\"t\"/>\n<testcase name=\"u></testsuite>",
        );
        assert_eq!(seen, ["suite Some(\"s\")", "case t None line 2"]);
        assert_eq!(r.unwrap_err().line, 3);
        let (_, r) = items("<testsuite name=s>");
        assert!(r.is_err());
    }

    #[test]
    fn a_truncated_document_is_an_error_after_what_it_holds() {
        let whole = "<testsuites><testsuite name=\"s\">\n<testcase name=\"t\"><system-err>one\ntwo\n</system-err></testcase>\n<testcase name=\"u\"><system-err>three\nfou";
        let (seen, r) = items(whole);
        assert_eq!(
            seen,
            [
                "suite Some(\"s\")",
                "case t None line 2",
                "out Some(\"t\") \"one\\ntwo\\n\"",
                "case u None line 5",
                // The cut line `fou` is not handed on.
                "out Some(\"u\") \"three\\n\"",
            ]
        );
        let e = r.unwrap_err();
        assert!(e.truncated);
        assert_eq!(e.line, 6);
        assert_eq!(
            e.to_string(),
            "6: truncated: the document ends inside <system-err> with 4 elements open; everything before, the complete lines of test case u's output included, was read; expected JUnit XML"
        );
        // Cut between elements, and a complete document.
        let (_, r) = items("<testsuites><testsuite name=\"s\"><testcase name=\"t\"/>");
        assert!(
            r.unwrap_err()
                .message
                .contains("inside <testsuite> with 2 elements open")
        );
        assert!(items("<testsuites></testsuites>").1.is_ok());
    }

    /// Found by the `junit` fuzz target: quick-xml's message quoted the
    /// mismatched end tag with the line break inside it, and the
    /// diagnostic became two lines.
    #[test]
    fn a_malformed_documents_message_is_one_line() {
        let (_, r) = items(&String::from_utf8_lossy(include_bytes!(
            "testdata/junit-fuzz-efac663a.xml"
        )));
        let e = r.unwrap_err();
        assert!(!e.truncated);
        let text = e.to_string();
        assert!(!text.contains(['\n', '\r']), "{text:?}");
        assert!(text.contains("\\n"), "{text:?}");
    }

    /// Found by the `junit` fuzz target: the truncation message quotes
    /// the open element's name and the test case's id, the document's own
    /// text, which may hold line breaks.
    #[test]
    fn a_truncation_message_quoting_the_document_is_one_line() {
        let (_, r) = items("<testsuite><testcase classname=\"a\nb\" name=\"t\"><te\u{18}>x");
        let text = r.unwrap_err().to_string();
        assert!(!text.contains(['\n', '\u{18}']), "{text:?}");
        assert!(text.contains("a\\nb.t"), "{text:?}");
    }
}
