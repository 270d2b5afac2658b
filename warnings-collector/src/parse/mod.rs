//! Reading warnings from logs.
//!
//! Every format is a [`Recognizer`]: it sees the log's lines in order and
//! emits [`Found`] warnings. A recogniser names the substrings
//! ([`Recognizer::triggers`]) without which a line cannot start a warning;
//! the driver finds those with one Aho-Corasick pass over the whole text,
//! so the lines that cannot matter (most of a test log) are never looked
//! at, and hands a recogniser every line only while it says it is inside a
//! block ([`Recognizer::in_block`]: a pytest summary, a Node stack).
//!
//! Which test is running comes from the progress lines of runners that
//! print a test's name before its output ([`progress`]), from JUnit test
//! cases ([`junit`]) or from the JSONL `test` field ([`jsonl`]); otherwise
//! it is unknown, never guessed.

pub mod cargo;
pub mod go;
pub mod gradle;
pub mod javac;
pub mod jsonl;
pub mod junit;
pub mod kotlin;
pub mod maven;
pub mod node;
pub mod progress;
pub mod python;
pub mod rails;
pub mod ruby;

use crate::warning::Found;

/// Log formats; `Auto` tries every one on every line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Auto,
    Ruby,
    Rails,
    Python,
    Node,
    Javac,
    Maven,
    Kotlin,
    Gradle,
    Cargo,
    Go,
}

/// State shared by the recognisers of one log.
#[derive(Debug, Default)]
pub struct Context {
    /// The test running now, from progress lines or the JUnit test case.
    pub current_test: Option<String>,
}

/// One log format's reader. See the module documentation.
pub trait Recognizer {
    /// Substrings that a line must contain to start a warning (or to change
    /// this recogniser's state). Case-sensitive.
    fn triggers(&self) -> &'static [&'static str];

    /// Whether the recogniser is inside a multi-line block and must see
    /// every line until it says otherwise.
    fn in_block(&self) -> bool {
        false
    }

    /// One line (without its line break), `lineno` 1-based in the log.
    fn line(&mut self, line: &str, lineno: usize, ctx: &mut Context, out: &mut Vec<Found>);

    /// The end of the log: flush a pending warning.
    fn finish(&mut self, _ctx: &mut Context, _out: &mut Vec<Found>) {}
}

/// The recognisers of a format (all of them for `Auto`), progress lines
/// first so that a test's name is known before its warnings.
// Stateless recognisers are unit structs; `default()` keeps the list uniform.
#[allow(clippy::default_constructed_unit_structs)]
pub fn recognizers(format: LogFormat) -> Vec<Box<dyn Recognizer>> {
    use LogFormat as F;
    let mut all: Vec<Box<dyn Recognizer>> = vec![Box::new(progress::Progress)];
    let want = |f: LogFormat| format == F::Auto || format == f;
    if want(F::Ruby) {
        all.push(Box::new(ruby::Ruby::default()));
    }
    if want(F::Rails) {
        all.push(Box::new(rails::Rails::default()));
    }
    if want(F::Python) {
        all.push(Box::new(python::Python::default()));
    }
    if want(F::Node) {
        all.push(Box::new(node::Node::default()));
    }
    if want(F::Javac) {
        all.push(Box::new(javac::Javac::default()));
    }
    if want(F::Maven) {
        all.push(Box::new(maven::Maven::default()));
    }
    if want(F::Kotlin) {
        all.push(Box::new(kotlin::Kotlin::default()));
    }
    if want(F::Gradle) {
        all.push(Box::new(gradle::Gradle::default()));
    }
    if want(F::Cargo) {
        all.push(Box::new(cargo::CargoJson::default()));
    }
    if want(F::Go) {
        all.push(Box::new(go::Go::default()));
    }
    all
}

/// Reads the warnings of one log. Lines that are not valid UTF-8 are read
/// lossily; the caller reports invalid UTF-8 once per file.
pub fn parse_log(text: &str, format: LogFormat, ctx: &mut Context, out: &mut Vec<Found>) {
    let mut recs = recognizers(format);
    run(text, &mut recs, ctx, out);
}

/// A line without the timestamp GitHub Actions puts before every line of a
/// downloaded log (`2024-05-01T10:00:00.1234567Z `).
pub fn strip_timestamp(line: &str) -> &str {
    let b = line.as_bytes();
    if b.len() > 21
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[..4].iter().all(u8::is_ascii_digit)
        && let Some(z) = line.get(19..line.len().min(40)).and_then(|t| t.find("Z "))
    {
        let end = 19 + z;
        if line[19..end]
            .bytes()
            .all(|c| c == b'.' || c.is_ascii_digit())
        {
            return &line[end + 2..];
        }
    }
    line
}

/// The driver: one pass to find trigger lines, every line while a
/// recogniser is in a block.
pub fn run(text: &str, recs: &mut [Box<dyn Recognizer>], ctx: &mut Context, out: &mut Vec<Found>) {
    use aho_corasick::AhoCorasick;
    let mut patterns: Vec<&'static str> = Vec::new();
    let mut owner: Vec<usize> = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        for t in r.triggers() {
            patterns.push(t);
            owner.push(i);
        }
    }
    let ac = AhoCorasick::new(&patterns).expect("trigger patterns compile");
    let bytes = text.as_bytes();
    // Line numbers are counted lazily, up to the lines visited: `lineno`
    // is the number of the line that starts at `counted_to`.
    let mut lineno = 1usize;
    let mut counted_to = 0usize;
    let mut pos = 0usize;
    let mut wanted = vec![false; recs.len()];
    while pos < bytes.len() {
        let any_block = recs.iter().any(|r| r.in_block());
        let start = if any_block {
            pos
        } else {
            match ac.find(&bytes[pos..]) {
                Some(m) => {
                    let at = pos + m.start();
                    bytes[..at]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1)
                        .max(pos)
                }
                None => break,
            }
        };
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        lineno += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count();
        counted_to = start;
        let line = text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..end]);
        let line = strip_timestamp(line);
        wanted.iter_mut().for_each(|w| *w = false);
        for m in ac.find_overlapping_iter(line) {
            wanted[owner[m.pattern().as_usize()]] = true;
        }
        for (i, r) in recs.iter_mut().enumerate() {
            if wanted[i] || r.in_block() {
                r.line(line, lineno, ctx, out);
            }
        }
        pos = end + 1;
    }
    for r in recs.iter_mut() {
        r.finish(ctx, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line it is shown, with its number, as a warning.
    struct Echo(&'static [&'static str], bool);
    impl Recognizer for Echo {
        fn triggers(&self) -> &'static [&'static str] {
            self.0
        }
        fn in_block(&self) -> bool {
            self.1
        }
        fn line(&mut self, line: &str, lineno: usize, ctx: &mut Context, out: &mut Vec<Found>) {
            if line == "BEGIN" {
                self.1 = true;
            } else if line == "END" {
                self.1 = false;
            }
            out.push(Found {
                file: String::new(),
                line: Some(lineno as u32),
                message: line.to_owned(),
                category: crate::warning::Category::Warning,
                tool: "echo",
                test: ctx.current_test.clone(),
            });
        }
    }

    fn echo(text: &str) -> Vec<(u32, String)> {
        let mut recs: Vec<Box<dyn Recognizer>> = vec![Box::new(Echo(&["hit", "BEGIN"], false))];
        let mut out = Vec::new();
        run(text, &mut recs, &mut Context::default(), &mut out);
        out.into_iter()
            .map(|f| (f.line.unwrap(), f.message))
            .collect()
    }

    #[test]
    fn only_trigger_lines_and_block_lines_with_their_numbers() {
        let text = "a\nhit one\nb\r\nBEGIN\nx\nEND\ny\n\nhit two hit\nz";
        assert_eq!(
            echo(text),
            [
                (2, "hit one".to_owned()),
                (4, "BEGIN".to_owned()),
                (5, "x".to_owned()),
                (6, "END".to_owned()),
                (9, "hit two hit".to_owned()),
            ]
        );
        assert_eq!(echo("hit"), [(1, "hit".to_owned())]);
        assert!(echo("").is_empty());
    }

    #[test]
    fn github_actions_timestamps_are_stripped() {
        assert_eq!(
            strip_timestamp("2024-05-01T10:00:00.1234567Z a.rb:1: warning: x"),
            "a.rb:1: warning: x"
        );
        assert_eq!(strip_timestamp("2024-05-01T10:00:00Z hit"), "hit");
        assert_eq!(
            strip_timestamp("2024-05-01 is a date, not a stamp"),
            "2024-05-01 is a date, not a stamp"
        );
        assert_eq!(echo("2024-05-01T10:00:00.1Z hit"), [(1, "hit".to_owned())]);
    }
}
