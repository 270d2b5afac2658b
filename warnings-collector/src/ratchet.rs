//! The ratchet: a baseline of warning counts that may only go down.
//!
//! A warning's [`Fingerprint`] is its file, its category and its message
//! [normalised](normalize_message) so that it survives line shifts and run
//! noise; its line is not part of it. The baseline holds, per fingerprint,
//! the sum of the counts of the warnings that share it. `check` fails when
//! a fingerprint's count grows (a new one grows from zero) and reports the
//! ones that fell; `--update` lowers the baseline to what is left, never
//! raising anything.
//!
//! # The baseline file, version 1
//!
//! ```json
//! {"version": 1, "fingerprints": [
//! {"file": "app/a.rb", "category": "deprecation", "message": "foo is deprecated", "count": 3}
//! ]}
//! ```
//!
//! Sorted by file, category and message, one fingerprint a line, so that
//! its diffs read well in review.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::warning::{Category, Root, Warning};

/// The version of the baseline file this build reads and writes.
pub(crate) const BASELINE_VERSION: u32 = 1;

/// What identifies a warning across runs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    pub file: String,
    pub category: Category,
    /// The message, normalised by [`normalize_message`].
    pub message: String,
}

impl Fingerprint {
    /// The fingerprint of `w`; `root` makes absolute paths inside the
    /// message relative, as the warning's own file already is.
    pub(crate) fn of(w: &Warning, root: &Root) -> Fingerprint {
        Fingerprint {
            file: normalize_path(&w.file, root),
            category: w.category,
            message: normalize_message(&w.message, root),
        }
    }
}

/// Counts per fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Baseline {
    pub counts: BTreeMap<Fingerprint, u64>,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    fingerprints: Vec<Line>,
}

#[derive(Serialize, Deserialize)]
struct Line {
    file: String,
    category: Category,
    message: String,
    count: u64,
}

impl Baseline {
    /// The counts of `warnings`, summed per fingerprint.
    pub(crate) fn of(warnings: &[Warning], root: &Root) -> Baseline {
        let mut counts = BTreeMap::new();
        for w in warnings {
            *counts.entry(Fingerprint::of(w, root)).or_insert(0) += w.count;
        }
        Baseline { counts }
    }

    /// Reads a baseline file. Errors name the file, and the line and
    /// column for JSON that does not fit.
    pub(crate) fn load(path: &Path) -> anyhow::Result<Baseline> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "{}: cannot read the baseline (write one with `warnings-collector baseline write {}` and the inputs)",
                path.display(),
                path.display()
            )
        })?;
        Baseline::parse(&text).with_context(|| format!("{}: not a baseline", path.display()))
    }

    /// Parses the baseline file's text. Fingerprints listed twice add up.
    pub(crate) fn parse(text: &str) -> anyhow::Result<Baseline> {
        let file: File = serde_json::from_str(text).context(
            "expected {\"version\": 1, \"fingerprints\": [{\"file\", \"category\", \"message\", \"count\"}]}",
        )?;
        if file.version != BASELINE_VERSION {
            anyhow::bail!(
                "version {} (this build reads version {BASELINE_VERSION})",
                file.version
            );
        }
        let mut counts = BTreeMap::new();
        for l in file.fingerprints {
            let fp = Fingerprint {
                file: l.file,
                category: l.category,
                message: l.message,
            };
            *counts.entry(fp).or_insert(0) += l.count;
        }
        counts.retain(|_, c| *c > 0);
        Ok(Baseline { counts })
    }

    /// The file's text: one fingerprint a line, sorted.
    pub(crate) fn to_json(&self) -> String {
        let mut s = format!("{{\"version\": {BASELINE_VERSION}, \"fingerprints\": [\n");
        for (i, (fp, &count)) in self.counts.iter().enumerate() {
            if i > 0 {
                s.push_str(",\n");
            }
            let line = Line {
                file: fp.file.clone(),
                category: fp.category,
                message: fp.message.clone(),
                count,
            };
            s.push_str(&serde_json::to_string(&line).expect("a baseline line serialises"));
        }
        if !self.counts.is_empty() {
            s.push('\n');
        }
        s.push_str("]}\n");
        s
    }

    /// Writes the file atomically (a temporary file renamed over it).
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        crate::report::write_atomic(path, self.to_json().as_bytes())
            .with_context(|| format!("{}: cannot write the baseline", path.display()))
    }

    /// The sum of the counts.
    pub(crate) fn occurrences(&self) -> u64 {
        self.counts.values().sum()
    }

    /// This baseline lowered to `current`: each count the smaller of the
    /// two, fingerprints gone from `current` removed, new ones not added.
    pub(crate) fn tightened(&self, current: &Baseline) -> Baseline {
        let counts = self
            .counts
            .iter()
            .filter_map(|(fp, &was)| {
                let now = current.counts.get(fp).copied().unwrap_or(0).min(was);
                (now > 0).then(|| (fp.clone(), now))
            })
            .collect();
        Baseline { counts }
    }
}

/// A fingerprint whose count changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub fingerprint: Fingerprint,
    /// Its count in the baseline (0: new).
    pub baseline: u64,
    /// Its count now (0: gone).
    pub count: u64,
}

/// What `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// Counts that grew, new fingerprints included; sorted.
    pub grown: Vec<Change>,
    /// Counts that fell, fingerprints gone included; sorted.
    pub fixed: Vec<Change>,
}

impl Outcome {
    /// Compares the current counts with the baseline.
    pub(crate) fn compare(baseline: &Baseline, current: &Baseline) -> Outcome {
        let mut out = Outcome::default();
        for (fp, &count) in &current.counts {
            let was = baseline.counts.get(fp).copied().unwrap_or(0);
            if count > was {
                out.grown.push(Change {
                    fingerprint: fp.clone(),
                    baseline: was,
                    count,
                });
            }
        }
        for (fp, &was) in &baseline.counts {
            let count = current.counts.get(fp).copied().unwrap_or(0);
            if count < was {
                out.fixed.push(Change {
                    fingerprint: fp.clone(),
                    baseline: was,
                    count,
                });
            }
        }
        out
    }

    /// Nothing grew.
    pub(crate) fn passed(&self) -> bool {
        self.grown.is_empty()
    }
}

/// Temporary folders whose paths change from run to run.
const TMP_PREFIXES: [&str; 7] = [
    "/tmp/",
    "/var/tmp/",
    "/private/tmp/",
    "/var/folders/",
    "/private/var/folders/",
    "/dev/shm/",
    "/run/user/",
];

/// A warning's file for its fingerprint: a path in a temporary folder is
/// `<tmp>`; any other is kept (it is already relative to the root).
pub(crate) fn normalize_path(file: &str, root: &Root) -> String {
    normalize_message(file, root)
}

/// Where a file outside the repository lives in what was installed, the
/// same on every machine: `/home/me/venv/lib/python3.11/site-packages/
/// pandas/core/frame.py` and `/opt/hostedtoolcache/Python/3.11.7/x64/lib/
/// python3.11/site-packages/pandas/core/frame.py` are both
/// `site-packages/pandas/core/frame.py`; likewise `dist-packages/…`,
/// `gems/activesupport-6.1.7/…`, `node_modules/…`, and the standard
/// libraries, `lib/python3.11/…` and `lib/ruby/3.1.0/…`. `None` for a path
/// in none of them.
fn installed_tail(path: &str) -> Option<&str> {
    // A package folder: the last one, as packages do not nest in them
    // (`…/ruby/3.1.0/gems/activesupport-6.1.7/…` is `gems/activesupport-…`).
    for m in ["/site-packages/", "/dist-packages/", "/gems/"] {
        if let Some(i) = path.rfind(m) {
            return Some(&path[i + 1..]);
        }
    }
    // node_modules do nest: the whole chain from the first.
    if let Some(i) = path.find("/node_modules/") {
        return Some(&path[i + 1..]);
    }
    // A standard library.
    ["/lib/python3", "/lib/ruby/"]
        .iter()
        .find_map(|m| path.find(m))
        .map(|i| &path[i + 1..])
}

/// A message without what changes from run to run, so that the same
/// warning has the same fingerprint tomorrow:
/// - whitespace collapsed to single spaces, trimmed;
/// - line and column numbers dropped: `a.rb:12:5` is `a.rb`, `line 12` is
///   `line N` (also `lines`, `column`, `col`, `lineno`, with `:` or `=`);
/// - object ids dropped: `#<Foo:0x000055d5c3a8b2c0 @a=1>` is `#<Foo @a=1>`;
/// - other hex addresses of 4 digits or more are `0x_`;
/// - paths in temporary folders (`/tmp/…`, `/var/folders/…`,
///   `%TEMP%` on Windows) are `<tmp>`, other absolute paths under the
///   repository root or a CI checkout folder (Windows runners' too) are
///   made relative, as the warning's file is, and paths into installed
///   packages or a standard library keep only the part that is the same
///   on every machine ([`installed_tail`]).
pub(crate) fn normalize_message(msg: &str, root: &Root) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut after_line_word = false;
    for token in msg.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        let token = paths(token, root);
        let token = hex(&token);
        let token = colon_numbers(&token);
        let token = if after_line_word {
            number_to_n(&token)
        } else {
            token
        };
        let token = line_word_with_number(&token);
        after_line_word = is_line_word(&token);
        out.push_str(&token);
    }
    out
}

/// Opening punctuation that may come before a path in a token.
const OPENERS: &[char] = &['(', '[', '{', '<', '\'', '"', '`'];
/// What ends a path inside a token.
const PATH_ENDS: &[char] = &[':', '\'', '"', '`', ')', ']', '}', '>', ',', ';'];

/// Absolute paths in a token: temporary ones are `<tmp>`, others relative
/// to the root when under it.
fn paths(token: &str, root: &Root) -> String {
    let body = token.trim_start_matches(OPENERS);
    let lead = &token[..token.len() - body.len()];
    let body_no_scheme = body.strip_prefix("file://").unwrap_or(body);
    let windows = is_windows_abs(body_no_scheme);
    if !body_no_scheme.starts_with('/') && !windows {
        return token.to_owned();
    }
    // A Windows drive's `:` is part of the path.
    let search_from = if windows { 2 } else { 0 };
    let end = body_no_scheme[search_from..]
        .find(PATH_ENDS)
        .map_or(body_no_scheme.len(), |i| i + search_from);
    let (path, rest) = body_no_scheme.split_at(end);
    let unified = path.replace('\\', "/");
    let lower = unified.to_ascii_lowercase();
    let tmp = TMP_PREFIXES.iter().any(|p| unified.starts_with(p))
        || (windows
            && (lower.contains("/appdata/local/temp/") || lower.contains("/windows/temp/")));
    let relative = root.relative(path);
    let outside = relative.starts_with('/') || is_windows_abs(&relative);
    // An installed package first: a virtualenv under /tmp is still
    // `site-packages/…`.
    let path = match installed_tail(&relative) {
        _ if !outside => relative,
        Some(tail) => tail.to_owned(),
        None if tmp => "<tmp>".to_owned(),
        None => relative,
    };
    format!("{lead}{path}{rest}")
}

fn is_windows_abs(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// `:0x…` (an object id after a class name) dropped; other `0x` followed
/// by 4 or more hex digits is `0x_`.
fn hex(token: &str) -> String {
    if !token.contains("0x") {
        return token.to_owned();
    }
    let b = token.as_bytes();
    let mut out = String::with_capacity(token.len());
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if boundary && b[i] == b'0' && b.get(i + 1) == Some(&b'x') {
            let digits = b[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_hexdigit())
                .count();
            if digits >= 4 {
                if out.ends_with(':') {
                    out.pop();
                } else {
                    out.push_str("0x_");
                }
                i += 2 + digits;
                continue;
            }
        }
        // Copy one whole character.
        let len = utf8_len(b[i]);
        out.push_str(&token[i..i + len]);
        i += len;
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// `:12`, `:12:5` after something that is not a digit dropped: the line
/// and column after a file name (`a.rb:12:in`, `x.js:3:7)`).
fn colon_numbers(token: &str) -> String {
    if !token.contains(':') {
        return token.to_owned();
    }
    let b = token.as_bytes();
    let mut out = String::with_capacity(token.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b':' && i > 0 && !b[i - 1].is_ascii_digit() {
            // Any number of `:digits` groups.
            let mut j = i;
            while j < b.len() && b[j] == b':' {
                let digits = b[j + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                if digits == 0 {
                    break;
                }
                j += 1 + digits;
            }
            // Only when the numbers end the token or something that is not
            // a letter follows (`a:12abc` is not a line number).
            if j > i && b.get(j).is_none_or(|c| !c.is_ascii_alphanumeric()) {
                i = j;
                continue;
            }
        }
        let len = utf8_len(b[i]);
        out.push_str(&token[i..i + len]);
        i += len;
    }
    out
}

const LINE_WORDS: [&str; 6] = ["line", "lines", "column", "col", "lineno", "columns"];

/// `line`, `Line`, `column:` … : the next token's number is a position.
fn is_line_word(token: &str) -> bool {
    let t = token
        .trim_start_matches(OPENERS)
        .trim_end_matches([':', '=', ',']);
    LINE_WORDS.iter().any(|w| t.eq_ignore_ascii_case(w))
}

/// A token starting with a number (`12`, `12,`, `12-14`, `12:`) has it
/// replaced with `N`.
fn number_to_n(token: &str) -> String {
    let digits = token.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return token.to_owned();
    }
    let mut rest = &token[digits..];
    // A range: `12-14`.
    if let Some(r) = rest.strip_prefix('-') {
        let more = r.bytes().take_while(u8::is_ascii_digit).count();
        if more > 0 {
            rest = &r[more..];
        }
    }
    format!("N{rest}")
}

/// `line=12`, `(line:12)`, `col=5`: the number is `N`.
fn line_word_with_number(token: &str) -> String {
    let body = token.trim_start_matches(OPENERS);
    let lead = &token[..token.len() - body.len()];
    for sep in ['=', ':'] {
        if let Some((word, value)) = body.split_once(sep)
            && LINE_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w))
            && value.starts_with(|c: char| c.is_ascii_digit())
        {
            return format!("{lead}{word}{sep}{}", number_to_n(value));
        }
    }
    token.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Root {
        Root::new(Path::new("/repo"))
    }

    fn warning(file: &str, line: u32, msg: &str, count: u64) -> Warning {
        Warning {
            file: file.into(),
            line: Some(line),
            message: msg.into(),
            category: Category::Deprecation,
            tool: "ruby".into(),
            count,
            tests: Default::default(),
            owners: Vec::new(),
        }
    }

    #[test]
    fn installed_files_have_the_same_place_everywhere() {
        for (path, tail) in [
            (
                "/tmp/venv/lib/python3.11/site-packages/pandas/core/frame.py",
                "site-packages/pandas/core/frame.py",
            ),
            (
                "/opt/hostedtoolcache/Python/3.11.7/x64/lib/python3.11/site-packages/pandas/core/frame.py",
                "site-packages/pandas/core/frame.py",
            ),
            (
                "C:/hostedtoolcache/windows/Python/3.11.7/x64/Lib/site-packages/pandas/core/frame.py",
                "site-packages/pandas/core/frame.py",
            ),
            (
                "/usr/lib/python3/dist-packages/yaml/loader.py",
                "dist-packages/yaml/loader.py",
            ),
            (
                "/usr/local/lib/ruby/gems/3.1.0/gems/activesupport-6.1.7/lib/a.rb",
                "gems/activesupport-6.1.7/lib/a.rb",
            ),
            (
                "/home/u/app/vendor/bundle/ruby/3.1.0/gems/activesupport-6.1.7/lib/a.rb",
                "gems/activesupport-6.1.7/lib/a.rb",
            ),
            (
                "/usr/lib/node_modules/a/node_modules/b/x.js",
                "node_modules/a/node_modules/b/x.js",
            ),
            (
                "/usr/lib/python3.11/asyncio/base_events.py",
                "lib/python3.11/asyncio/base_events.py",
            ),
        ] {
            assert_eq!(installed_tail(path), Some(tail), "{path}");
        }
        assert_eq!(installed_tail("/etc/app/config.rb"), None);
        let root = Root::new(std::path::Path::new("/work/repo"));
        // The fingerprint of a file outside, under /tmp or not.
        assert_eq!(
            normalize_path("/tmp/venv/lib/python3.11/site-packages/x/y.py", &root),
            "site-packages/x/y.py"
        );
        assert_eq!(normalize_path("/tmp/build/x.py", &root), "<tmp>");
        // A Windows runner's checkout is the repository.
        assert_eq!(
            normalize_path("D:\\a\\repo\\repo\\src\\x.py", &root),
            "src/x.py"
        );
        assert_eq!(
            normalize_path("/a/repo/repo/src/x.py", &root),
            "/a/repo/repo/src/x.py"
        );
    }

    #[test]
    fn normalisation() {
        let r = root();
        let n = |s: &str| normalize_message(s, &r);
        assert_eq!(n("  a \t b\n c  "), "a b c");
        assert_eq!(
            n(
                "/repo/app/a.rb:12: warning: method redefined; previous definition at /repo/app/b.rb:40:7"
            ),
            "app/a.rb: warning: method redefined; previous definition at app/b.rb"
        );
        assert_eq!(
            n("called from #<Foo::Bar:0x000055d5c3a8b2c0 @a=1> and #<Baz:0x00007f>"),
            "called from #<Foo::Bar @a=1> and #<Baz>"
        );
        assert_eq!(n("<Foo object at 0x7f3a2b1c>"), "<Foo object at 0x_>");
        assert_eq!(n("flags 0x10 kept"), "flags 0x10 kept");
        assert_eq!(
            n("loaded '/tmp/d20240101-42-abc/x.rb' and /var/folders/xy/T/y.rb:3"),
            "loaded '<tmp>' and <tmp>"
        );
        assert_eq!(
            n(r"C:\Users\me\AppData\Local\Temp\x\y.js:3:4 is old"),
            "<tmp> is old"
        );
        assert_eq!(
            n("unexpected token at line 12, column 5 (Line: 3) line=9 lines 4-8"),
            "unexpected token at line N, column N (Line: N) line=N lines N"
        );
        assert_eq!(
            n("at Object.<anonymous> (/home/runner/work/shop/shop/src/x.test.js:3:7)"),
            "at Object.<anonymous> (src/x.test.js)"
        );
        assert_eq!(
            n("ratio 1:2 and time 12:30 and a:12abc"),
            "ratio 1:2 and time 12:30 and a:12abc"
        );
        assert_eq!(
            n("Ruby 3.2: keyword args, 100 calls"),
            "Ruby 3.2: keyword args, 100 calls"
        );
        assert_eq!(n("über 0xdeadbeef é"), "über 0x_ é");
    }

    #[test]
    fn fingerprints_survive_line_shifts_and_addresses() {
        let r = root();
        let a = [
            warning(
                "app/a.rb",
                12,
                "#<User:0x000055d5c3a8b2c0> uses old API (app/a.rb:12)",
                2,
            ),
            warning(
                "app/a.rb",
                30,
                "#<User:0x000055d5c3a8ffff> uses old API (app/a.rb:30)",
                1,
            ),
        ];
        let b = [warning(
            "app/a.rb",
            14,
            "#<User:0x00007f0000000001>  uses old API\n(app/a.rb:14)",
            3,
        )];
        assert_eq!(Fingerprint::of(&a[0], &r), Fingerprint::of(&b[0], &r));
        let (ba, bb) = (Baseline::of(&a, &r), Baseline::of(&b, &r));
        assert_eq!(ba, bb);
        assert_eq!(ba.counts.len(), 1);
        assert_eq!(ba.occurrences(), 3);
        // Another file or category is another fingerprint.
        let mut c = b[0].clone();
        c.file = "app/b.rb".into();
        assert_ne!(Fingerprint::of(&c, &r), Fingerprint::of(&b[0], &r));
        c.file = "app/a.rb".into();
        c.category = Category::Warning;
        assert_ne!(Fingerprint::of(&c, &r), Fingerprint::of(&b[0], &r));
    }

    #[test]
    fn check_outcomes_and_tightening() {
        let r = root();
        let base = Baseline::of(
            &[
                warning("a.rb", 1, "old", 3),
                warning("b.rb", 1, "gone", 2),
                warning("c.rb", 1, "same", 1),
            ],
            &r,
        );
        let now = Baseline::of(
            &[
                warning("a.rb", 5, "old", 1),
                warning("c.rb", 9, "same", 1),
                warning("d.rb", 1, "new", 1),
            ],
            &r,
        );
        let o = Outcome::compare(&base, &now);
        assert!(!o.passed());
        let grown: Vec<(&str, u64, u64)> = o
            .grown
            .iter()
            .map(|c| (c.fingerprint.file.as_str(), c.baseline, c.count))
            .collect();
        assert_eq!(grown, [("d.rb", 0, 1)]);
        let fixed: Vec<(&str, u64, u64)> = o
            .fixed
            .iter()
            .map(|c| (c.fingerprint.file.as_str(), c.baseline, c.count))
            .collect();
        assert_eq!(fixed, [("a.rb", 3, 1), ("b.rb", 2, 0)]);

        let t = base.tightened(&now);
        let counts: Vec<(&str, u64)> = t
            .counts
            .iter()
            .map(|(f, &c)| (f.file.as_str(), c))
            .collect();
        assert_eq!(counts, [("a.rb", 1), ("c.rb", 1)]);
        // A count that grew is never raised by tightening.
        let more = Baseline::of(&[warning("a.rb", 1, "old", 9)], &r);
        assert_eq!(
            base.tightened(&more).counts.values().collect::<Vec<_>>(),
            [&3]
        );
        assert!(Outcome::compare(&base, &base).passed());
        assert_eq!(Outcome::compare(&base, &base), Outcome::default());
    }

    #[test]
    fn file_round_trip_and_errors() {
        let r = root();
        let b = Baseline::of(
            &[warning("a.rb", 1, "x \"q\"", 2), warning("b.rb", 1, "y", 1)],
            &r,
        );
        let text = b.to_json();
        assert_eq!(
            text,
            "{\"version\": 1, \"fingerprints\": [\n\
             {\"file\":\"a.rb\",\"category\":\"deprecation\",\"message\":\"x \\\"q\\\"\",\"count\":2},\n\
             {\"file\":\"b.rb\",\"category\":\"deprecation\",\"message\":\"y\",\"count\":1}\n\
             ]}\n"
        );
        assert_eq!(Baseline::parse(&text).unwrap(), b);
        assert_eq!(
            Baseline::default().to_json(),
            "{\"version\": 1, \"fingerprints\": [\n]}\n"
        );
        assert_eq!(
            Baseline::parse(&Baseline::default().to_json()).unwrap(),
            Baseline::default()
        );
        let e = format!(
            "{:#}",
            Baseline::parse("{\"version\": 2, \"fingerprints\": []}").unwrap_err()
        );
        assert!(e.contains("version 2"), "{e}");
        let e = format!(
            "{:#}",
            Baseline::parse("{\"version\": 1, \"fingerprints\": [\n{\"file\": 1}]}").unwrap_err()
        );
        assert!(e.contains("line 2"), "{e}");
    }
}
