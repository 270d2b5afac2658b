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
pub mod jvm;
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
    // The JVM's run-time deprecation warnings (also read with javac,
    // maven, kotlin and gradle).
    Jvm,
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
        all.push(Box::new(cargo::CargoHuman::default()));
    }
    if [F::Jvm, F::Javac, F::Maven, F::Kotlin, F::Gradle]
        .iter()
        .any(|&f| want(f))
    {
        all.push(Box::new(jvm::Jvm::default()));
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

/// The warnings of `text` in `format`, from a fresh context: the
/// recognisers' tests all read their fixtures this way.
#[cfg(test)]
pub(crate) fn parse_with(text: &str, format: LogFormat) -> Vec<Found> {
    let mut out = Vec::new();
    parse_log(text, format, &mut Context::default(), &mut out);
    out
}

/// Chunk size of [`parse_stream`] for files.
pub const CHUNK: usize = 8 << 20;

/// A line or column number: ASCII digits only (`u32::from_str` would also
/// take a sign).
pub(crate) fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Where a file's path starts in what a log prints before `:LINE:`, and
/// the test a runner printed in front of it, if any:
/// - pytest -v -s: `tests/test_a.py::test_x /abs/mod.py` (the node id,
///   then the path);
/// - minitest -v: `LegacyTest#test_seed = /abs/legacy.rb` or a relative
///   path;
/// - Gradle: a task path glued to the file, `:app:compileJava/abs/A.java`;
/// - anything else before an absolute path (`=`, a word, a prompt): the
///   path starts at the first `/` or `X:\` that follows a blank or `=`.
///
/// A path that itself starts absolute is kept whole, blanks included; a
/// relative one is cut only after a runner's prefix it recognises, so a
/// relative path with blanks is never split.
pub(crate) fn path_start(s: &str) -> (Option<&str>, &str) {
    let s = s.trim_start();
    if starts_absolute(s) {
        return (None, s);
    }
    // pytest's node id: `path.py::name[params] `.
    if let Some(i) = s.find("::")
        && s[..i].ends_with(".py")
        && !s[..i].contains(char::is_whitespace)
        && let Some(end) = node_id_end(s)
    {
        let rest = s[end..].trim_start();
        if !rest.is_empty() {
            return (Some(&s[..end]), rest);
        }
    }
    // minitest -v: `Class#test_name = `.
    if let Some((name, rest)) = s.split_once(" = ")
        && let Some((class, method)) = name.split_once('#')
        && class.starts_with(|c: char| c.is_ascii_uppercase())
        && !name.contains(char::is_whitespace)
        && !method.is_empty()
    {
        return (Some(name), rest.trim_start());
    }
    // A Gradle task path glued to an absolute path.
    if s.starts_with(':') {
        let task = s
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.'))
            .count();
        if task > 1 && starts_absolute(&s[task..]) {
            return (None, &s[task..]);
        }
    }
    // The first absolute path after a blank or `=`.
    let b = s.as_bytes();
    for i in 1..b.len() {
        if matches!(b[i - 1], b' ' | b'\t' | b'=') && starts_absolute(&s[i..]) {
            return (None, &s[i..]);
        }
    }
    (None, s)
}

/// `/…`, `X:\…` or `X:/…`.
fn starts_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    b.first() == Some(&b'/')
        || (b.len() >= 3
            && b[0].is_ascii_alphabetic()
            && b[1] == b':'
            && matches!(b[2], b'\\' | b'/'))
}

/// The end of the pytest node id `s` starts with: its first blank outside
/// the `[…]` of parameters (which may hold blanks).
fn node_id_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

/// `line` without ANSI escape sequences: colours (`ESC [ … m`), cursor
/// moves and erasures (Gradle's rich console: `ESC [1A`, `ESC [2K`), OSC
/// titles and links (`ESC ] … BEL` or `ESC ] … ESC \\`), and what a carriage
/// return overwrote (the text after the last `\r` is what a terminal shows).
pub(crate) fn strip_ansi(line: &str) -> String {
    let line = match line.rfind('\r') {
        Some(i) if i + 1 < line.len() => &line[i + 1..],
        _ => line.trim_end_matches('\r'),
    };
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters and intermediates, then one final byte.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' {
                        break;
                    }
                    if c == '\x1b' {
                        chars.next_if_eq(&'\\');
                        break;
                    }
                }
            }
            // A two-character sequence (`ESC 7`, `ESC (B` takes one more).
            Some('(' | ')') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
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
    let mut d = Driver::new(recs);
    d.feed(text, ctx, out);
    d.finish(ctx, out);
}

/// The driver over a log given in pieces, each ending at a line break
/// (the last one may end anywhere): state, line numbers and blocks carry
/// over from piece to piece, so a log is read in fixed-size chunks.
pub struct Driver<'r> {
    recs: &'r mut [Box<dyn Recognizer>],
    /// Finds the next line with any trigger: leftmost-first semantics let
    /// aho-corasick use its SIMD prefilter (Teddy), several GB/s, where the
    /// standard semantics fall back to a byte-at-a-time automaton (measured
    /// on 1 GB: 3.0 s against 1.5 s for the whole run).
    scan: aho_corasick::AhoCorasick,
    /// On one line, which recognisers want it (overlapping matches need the
    /// standard semantics).
    each: aho_corasick::AhoCorasick,
    owner: Vec<usize>,
    wanted: Vec<bool>,
    /// The number of the next piece's first line.
    lineno: usize,
}

impl<'r> Driver<'r> {
    pub fn new(recs: &'r mut [Box<dyn Recognizer>]) -> Self {
        use aho_corasick::{AhoCorasick, MatchKind};
        let mut patterns: Vec<&'static str> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            for t in r.triggers() {
                patterns.push(t);
                owner.push(i);
            }
        }
        let scan = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("trigger patterns compile");
        let each = AhoCorasick::new(&patterns).expect("trigger patterns compile");
        let wanted = vec![false; recs.len()];
        Driver {
            recs,
            scan,
            each,
            owner,
            wanted,
            lineno: 1,
        }
    }

    /// The next piece of the log.
    pub fn feed(&mut self, text: &str, ctx: &mut Context, out: &mut Vec<Found>) {
        let bytes = text.as_bytes();
        // `lineno` is the number of the line that starts at `counted_to`;
        // lines are counted lazily, up to the lines visited.
        let mut lineno = self.lineno;
        let mut counted_to = 0usize;
        let mut pos = 0usize;
        while pos < bytes.len() {
            let any_block = self.recs.iter().any(|r| r.in_block());
            let start = if any_block {
                pos
            } else {
                match self.scan.find(&bytes[pos..]) {
                    Some(m) => {
                        let at = pos + m.start();
                        memchr::memrchr(b'\n', &bytes[pos..at]).map_or(pos, |i| pos + i + 1)
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
            // Colours and cursor moves out first: a path or a test id is
            // then found where it starts.
            let plain;
            let line = if memchr::memchr2(0x1b, b'\r', line.as_bytes()).is_some() {
                plain = strip_ansi(line);
                plain.as_str()
            } else {
                line
            };
            self.wanted.iter_mut().for_each(|w| *w = false);
            for m in self.each.find_overlapping_iter(line) {
                self.wanted[self.owner[m.pattern().as_usize()]] = true;
            }
            for (i, r) in self.recs.iter_mut().enumerate() {
                if self.wanted[i] || r.in_block() {
                    r.line(line, lineno, ctx, out);
                }
            }
            pos = end + 1;
        }
        self.lineno =
            lineno + memchr::memchr_iter(b'\n', &bytes[counted_to.min(bytes.len())..]).count();
    }

    /// The number of the first line of the next piece.
    pub fn next_line(&self) -> usize {
        self.lineno
    }

    /// The end of the log.
    pub fn finish(&mut self, ctx: &mut Context, out: &mut Vec<Found>) {
        for r in self.recs.iter_mut() {
            r.finish(ctx, out);
        }
    }
}

/// Reads a log from `input` in chunks of about `chunk` bytes on a second
/// thread while this one parses the chunk before: a 1 GB log needs two
/// chunks of memory, not 1 GB, and reading overlaps parsing. Invalid UTF-8
/// is read as U+FFFD, and the first line that has some is named once in
/// `diags` (as `NAME:LINE: ...`). What each chunk finds goes to `sink`
/// before the next chunk is parsed, so nothing grows with the log.
pub fn parse_stream(
    name: &str,
    mut input: impl std::io::Read + Send,
    format: LogFormat,
    chunk: usize,
    ctx: &mut Context,
    sink: &mut dyn FnMut(Found),
    diags: &mut Vec<String>,
) -> std::io::Result<()> {
    use std::sync::mpsc;
    // What one chunk found, handed to `sink` before the next is read.
    let mut out = Vec::new();
    let mut recs = recognizers(format);
    let mut driver = Driver::new(&mut recs);
    // Pieces go as text, checked as UTF-8 on the reading thread; with the
    // offset of the first invalid byte when the piece had to be repaired.
    type Piece = std::io::Result<(String, Option<usize>)>;
    let (full_tx, full_rx) = mpsc::sync_channel::<Piece>(1);
    let (empty_tx, empty_rx) = mpsc::channel::<String>();
    let mut bad_utf8_reported = false;
    std::thread::scope(|s| -> std::io::Result<()> {
        s.spawn(move || {
            // Each piece sent ends at a line break; the rest of the last
            // line is carried into the next piece.
            let mut carry: Vec<u8> = Vec::new();
            loop {
                let mut buf = empty_rx.try_recv().unwrap_or_default().into_bytes();
                buf.clear();
                buf.extend_from_slice(&carry);
                carry.clear();
                // Read at least `chunk` bytes, and on until a line break
                // (a line longer than a chunk is kept whole) or the end.
                let mut eof = false;
                let mut filled = buf.len();
                let mut target = filled + chunk.max(1);
                loop {
                    buf.resize(target, 0);
                    while filled < target {
                        match input.read(&mut buf[filled..]) {
                            Ok(0) => {
                                eof = true;
                                break;
                            }
                            Ok(n) => filled += n,
                            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                            Err(e) => {
                                let _ = full_tx.send(Err(e));
                                return;
                            }
                        }
                    }
                    if eof || memchr::memchr(b'\n', &buf[..filled]).is_some() {
                        break;
                    }
                    target = filled + chunk.max(1);
                }
                buf.truncate(filled);
                if !eof && let Some(nl) = memchr::memrchr(b'\n', &buf) {
                    carry.extend_from_slice(&buf[nl + 1..]);
                    buf.truncate(nl + 1);
                }
                let piece = match String::from_utf8(buf) {
                    Ok(text) => (text, None),
                    Err(e) => {
                        let bad = e.utf8_error().valid_up_to();
                        (
                            String::from_utf8_lossy(e.as_bytes()).into_owned(),
                            Some(bad),
                        )
                    }
                };
                if full_tx.send(Ok(piece)).is_err() || eof {
                    return;
                }
            }
        });
        for piece in full_rx {
            let (text, bad) = piece?;
            if let (Some(bad), false) = (bad, bad_utf8_reported) {
                bad_utf8_reported = true;
                // The repaired text has U+FFFD where the bad bytes were; the
                // lines before the first one are unchanged.
                let line = driver.next_line()
                    + memchr::memchr_iter(b'\n', &text.as_bytes()[..bad]).count();
                diags.push(format!(
                    "{name}:{line}: not valid UTF-8 (the first invalid byte is on this line); invalid bytes were read as U+FFFD"
                ));
            }
            driver.feed(&text, ctx, &mut out);
            out.drain(..).for_each(&mut *sink);
            let _ = empty_tx.send(text);
        }
        Ok(())
    })?;
    driver.finish(ctx, &mut out);
    out.drain(..).for_each(sink);
    Ok(())
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
                count: 1,
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
    fn streaming_in_small_chunks_reads_what_one_piece_reads() {
        let mut text = String::new();
        for f in [
            include_str!("../../../fixtures/warnings/python/pytest-9.2-warnings-summary.log"),
            include_str!("../../../fixtures/warnings/ruby/hand-written-ruby-2.7-kwargs-rspec.log"),
            include_str!("../../../fixtures/warnings/node/node-20-trace-deprecation.log"),
            include_str!("../../../fixtures/warnings/cargo/cargo-1.95-build.log"),
        ] {
            text.push_str(f);
        }
        let mut whole = Vec::new();
        parse_log(&text, LogFormat::Auto, &mut Context::default(), &mut whole);
        assert!(whole.len() > 10, "{}", whole.len());
        for chunk in [1, 7, 64, 4096] {
            let mut streamed = Vec::new();
            let mut diags = Vec::new();
            parse_stream(
                "log",
                text.as_bytes(),
                LogFormat::Auto,
                chunk,
                &mut Context::default(),
                &mut |f| streamed.push(f),
                &mut diags,
            )
            .unwrap();
            assert_eq!(streamed, whole, "chunk {chunk}");
            assert!(diags.is_empty());
        }
        // Invalid UTF-8 is named once, with its line, across chunks.
        let bad = b"ok\nok\n\xff bad\nx.rb:1: warning: deprecated thing\n\xfe\n";
        let (mut found, mut diags) = (Vec::new(), Vec::new());
        parse_stream(
            "b.log",
            &bad[..],
            LogFormat::Auto,
            3,
            &mut Context::default(),
            &mut |f| found.push(f),
            &mut diags,
        )
        .unwrap();
        assert_eq!(diags.len(), 1);
        assert!(
            diags[0].starts_with("b.log:3: not valid UTF-8"),
            "{}",
            diags[0]
        );
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].file.as_str(), found[0].line), ("x.rb", Some(1)));
    }

    #[test]
    fn a_path_is_found_where_it_starts() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("/abs/my dir/a.py", None, "/abs/my dir/a.py"),
            (
                "tests/t.py::test_x /abs/m.py",
                Some("tests/t.py::test_x"),
                "/abs/m.py",
            ),
            (
                "tests/t.py::test_p[a b] /abs/m.py",
                Some("tests/t.py::test_p[a b]"),
                "/abs/m.py",
            ),
            (
                "tests/t.py::test_x D:\\a\\r\\m.py",
                Some("tests/t.py::test_x"),
                "D:\\a\\r\\m.py",
            ),
            (
                "LegacyTest#test_seed = /abs/legacy.rb",
                Some("LegacyTest#test_seed"),
                "/abs/legacy.rb",
            ),
            (
                "LegacyTest#test_seed = test/legacy.rb",
                Some("LegacyTest#test_seed"),
                "test/legacy.rb",
            ),
            (":app:compileJava/abs/A.java", None, "/abs/A.java"),
            ("warning=/abs/a.rb", None, "/abs/a.rb"),
            ("collecting ... /abs/a.py", None, "/abs/a.py"),
            // Relative paths are never cut without a runner's prefix.
            ("my dir/a.py", None, "my dir/a.py"),
            ("src/a.py", None, "src/a.py"),
        ];
        for &(s, test, path) in cases {
            assert_eq!(path_start(s), (test, path), "{s}");
        }
    }

    #[test]
    fn escape_sequences_and_overwritten_text_are_removed() {
        assert_eq!(strip_ansi("\x1b[33mwarn\x1b[0m: x"), "warn: x");
        // Gradle's rich console: cursor up, erase line, then the text.
        assert_eq!(
            strip_ansi("\x1b[1A\x1b[2K\x1b[1m> Task :app:compileJava\x1b[m"),
            "> Task :app:compileJava"
        );
        assert_eq!(
            strip_ansi("\x1b]8;;https://x\x07link\x1b]8;;\x1b\\ end"),
            "link end"
        );
        assert_eq!(
            strip_ansi("<====> 50% EXECUTING\r/abs/A.java:8: warning: x"),
            "/abs/A.java:8: warning: x"
        );
        assert_eq!(strip_ansi("\x1b(Bplain"), "plain");
        assert_eq!(strip_ansi("unterminated \x1b["), "unterminated ");
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
