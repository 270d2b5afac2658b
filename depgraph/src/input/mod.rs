//! Readers that turn build tools' outputs into a [`ModuleGraph`].
//!
//! [`load`] reads one or two files (plus an optional `cargo metadata` file),
//! detects their formats ([`detect`]) and combines them:
//!
//! | inputs | graph |
//! | --- | --- |
//! | one native JSON file ([`Format::Native`]) | modules, durations and edges from the file |
//! | a DOT file plus a times file ([`Format::Times`] CSV or native JSON) | edges from the DOT, durations from the times file |
//! | the DOT of `ninja -t graph` plus a `.ninja_log` | one module per build edge of the last build |
//! | `cargo-timing.html`, optionally with `cargo metadata` JSON | one module per unit |
//!
//! Every error is an [`InputError`] whose message is one line naming the
//! file, and the line when known: `graph.json:3:14: invalid type: ...`.
//!
//! The native JSON format is described by `schema/module-graph.schema.json`:
//! `{"modules": [{"name", "duration_s", "deps", "metadata_deps", "path",
//! "start_s", "metadata_s"}]}`. Unknown fields, of a module or of the top-level
//! object, are ignored so that newer writers stay readable.

mod cargo;
mod dot;
mod native;
mod ninja;
mod times;

use cli_support::escape_controls;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::graph::{GraphError, ModuleGraph};

pub use native::write_native;

/// The format of one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `{"modules": [{"name": "app", "duration_s": 12.5, "deps": ["core"]}]}`.
    Native,
    /// A Graphviz graph; its edges, with durations from a times file.
    Dot,
    /// CSV lines `name,duration_s`, header optional, `#` comments.
    Times,
    /// The HTML report of `cargo build --timings`.
    CargoTimings,
    /// The output of `cargo metadata --format-version 1`.
    CargoMetadata,
    /// A `.ninja_log`, versions 5 to 7.
    NinjaLog,
}

impl Format {
    /// Every format, in the order of [`Format::name`]'s documentation.
    pub const ALL: [Format; 6] = [
        Format::Native,
        Format::Dot,
        Format::Times,
        Format::CargoTimings,
        Format::CargoMetadata,
        Format::NinjaLog,
    ];

    /// The command-line name: `native`, `dot`, `times`, `cargo-timings`,
    /// `cargo-metadata`, `ninja-log`.
    pub fn name(&self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Dot => "dot",
            Format::Times => "times",
            Format::CargoTimings => "cargo-timings",
            Format::CargoMetadata => "cargo-metadata",
            Format::NinjaLog => "ninja-log",
        }
    }

    /// What a file of this format looks like, for error messages and help.
    pub fn expected(&self) -> &'static str {
        match self {
            Format::Native => "a JSON object {\"modules\": [...]}",
            Format::Dot => "a Graphviz graph `digraph { a -> b }`",
            Format::Times => "CSV lines `name,duration_s`",
            Format::CargoTimings => "the HTML report of `cargo build --timings`",
            Format::CargoMetadata => "the output of `cargo metadata --format-version 1`",
            Format::NinjaLog => "a .ninja_log starting with `# ninja log v5`",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown input format `{s}`; expected one of {}",
                    Format::ALL.map(|f| f.name()).join(", ")
                )
            })
    }
}

/// How to read an edge `a -> b` of a DOT file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DotEdges {
    /// `a -> b`: a depends on b (`bazel query --output=graph`, Gradle task
    /// graph exports, `cargo depgraph`). The default.
    DependsOn,
    /// `a -> b`: a is built before b, b depends on a (`ninja -t graph`).
    BuildOrder,
}

impl DotEdges {
    /// Both directions, the default first.
    pub const ALL: [DotEdges; 2] = [DotEdges::DependsOn, DotEdges::BuildOrder];

    /// The command-line name: `depends-on` or `build-order`.
    pub fn name(&self) -> &'static str {
        match self {
            DotEdges::DependsOn => "depends-on",
            DotEdges::BuildOrder => "build-order",
        }
    }
}

impl fmt::Display for DotEdges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DotEdges {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DotEdges::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown DOT edge direction `{s}`; expected depends-on or build-order")
            })
    }
}

/// Options of [`load`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Forces the format of every input instead of detecting it.
    pub input_format: Option<Format>,
    /// `cargo metadata --format-version 1` output, for the full package edges
    /// of a Cargo timings report.
    pub cargo_metadata: Option<PathBuf>,
    /// Forces the direction of DOT edges. By default `a -> b` means "a depends
    /// on b", except in the output of `ninja -t graph`.
    pub dot_edges: Option<DotEdges>,
    /// Accept native modules without `duration_s` (counted as 0 s): for
    /// tools that need only the edges and paths, such as test selection.
    pub durations_optional: bool,
}

/// The result of [`load`].
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The validated graph, combined from every input.
    pub graph: ModuleGraph,
    /// The format of each input, in the order of the inputs.
    pub formats: Vec<Format>,
    /// Hints for a human: what was inferred, left out or could be better.
    pub notes: Vec<String>,
}

/// Why inputs could not be read. The message ([`fmt::Display`]) is always one
/// line, starting with the file name (and line, when known), and already
/// includes its cause, so [`std::error::Error::source`] is `None`: error
/// reporters that print the chain would otherwise say it twice.
#[derive(Debug)]
pub enum InputError {
    /// A file could not be read.
    Io {
        /// The file as it was given.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A file's content is malformed: `message` says what was wrong and what
    /// was expected.
    Parse {
        /// The file as it was given.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<usize>,
        /// 1-based column, when known; shown only with a line.
        column: Option<usize>,
        /// What was wrong and what was expected.
        message: String,
    },
    /// The graph read from the files is invalid (cycle, unknown dependency,
    /// duplicate module...).
    Graph {
        /// The files the graph was read from: one, or the two combined (a
        /// DOT file and its times, a Ninja graph and its log, Cargo timings
        /// and `cargo metadata`).
        paths: Vec<PathBuf>,
        /// What is wrong with the graph.
        source: GraphError,
    },
    /// The inputs cannot be combined, or a format cannot be detected.
    Unsupported(String),
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            InputError::Io { path, source } => {
                format!("{}: cannot read the file: {source}", path.display())
            }
            InputError::Parse {
                path,
                line,
                column,
                message,
            } => {
                let mut s = path.display().to_string();
                if let Some(l) = line {
                    s.push_str(&format!(":{l}"));
                    if let Some(c) = column {
                        s.push_str(&format!(":{c}"));
                    }
                }
                format!("{s}: {message}")
            }
            InputError::Graph { paths, source } => {
                let files: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
                format!("{}: {source}", files.join(", "))
            }
            InputError::Unsupported(m) => m.clone(),
        };
        f.write_str(&escape_controls(&s))
    }
}

impl std::error::Error for InputError {}

/// serde `deserialize_with` for a duration: a finite number of seconds
/// `>= 0`, for every reader of JSON.
pub(crate) fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    use serde::Deserialize;
    let v = f64::deserialize(d)?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Float(v),
            &"a number of seconds >= 0",
        ))
    }
}

/// One input file in memory.
pub(crate) struct Source<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
}

impl Source<'_> {
    /// A parse error at a line (1-based) and column (1-based).
    pub(crate) fn error_at(
        &self,
        line: Option<usize>,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> InputError {
        InputError::Parse {
            path: self.path.to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// A parse error without a position.
    pub(crate) fn error(&self, message: impl Into<String>) -> InputError {
        self.error_at(None, None, message)
    }

    /// The file's name as given, for messages.
    pub(crate) fn name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Line and column (both 1-based, column in bytes) of a byte offset.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(bytes.len());
    let before = bytes.get(..offset).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, offset - line_start + 1)
}

/// A serde_json error as `(line, column, message without position)`.
pub(crate) fn json_error_parts(e: &serde_json::Error) -> (Option<usize>, Option<usize>, String) {
    let msg = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = msg.strip_suffix(&suffix).map(str::to_owned).unwrap_or(msg);
    let line = (e.line() > 0).then_some(e.line());
    let column = (e.line() > 0 && e.column() > 0).then_some(e.column());
    (line, column, msg)
}

/// Where an exact byte string first occurs.
pub(crate) fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    let first = *needle.first()?;
    let mut from = 0;
    while let Some(rel) = haystack.get(from..)?.iter().position(|&b| b == first) {
        let at = from + rel;
        if haystack.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Detects the format of a file from its content, falling back on its
/// extension. `None` when neither tells.
pub fn detect(path: &Path, content: &[u8]) -> Option<Format> {
    detect_content(content).or_else(|| detect_extension(path))
}

fn skip_bom_ws(content: &[u8]) -> &[u8] {
    let s = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let start = s
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(s.len());
    s.get(start..).unwrap_or_default()
}

fn detect_content(content: &[u8]) -> Option<Format> {
    let s = skip_bom_ws(content);
    if s.starts_with(b"# ninja log v") {
        return Some(Format::NinjaLog);
    }
    match s.first() {
        Some(b'{') => {
            return Some(match first_known_json_key(s) {
                Some("packages") | Some("workspace_members") => Format::CargoMetadata,
                _ => Format::Native,
            });
        }
        Some(b'<') => return Some(Format::CargoTimings),
        _ => {}
    }
    if find_bytes(content, b"UNIT_DATA").is_some() {
        return Some(Format::CargoTimings);
    }
    if dot::starts_like_dot(s) {
        return Some(Format::Dot);
    }
    if times::looks_like_times(s) {
        return Some(Format::Times);
    }
    None
}

fn detect_extension(path: &Path) -> Option<Format> {
    let file = path.file_name()?.to_str()?.to_ascii_lowercase();
    if file.ends_with("ninja_log") {
        return Some(Format::NinjaLog);
    }
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "json" => Some(Format::Native),
        "dot" | "gv" => Some(Format::Dot),
        "csv" => Some(Format::Times),
        "html" | "htm" => Some(Format::CargoTimings),
        _ => None,
    }
}

/// The first top-level key of a JSON object among `modules`, `packages` and
/// `workspace_members`, found by skipping values without parsing them.
fn first_known_json_key(s: &[u8]) -> Option<&'static str> {
    const KNOWN: [&str; 3] = ["modules", "packages", "workspace_members"];
    let mut i = 1; // after '{'
    loop {
        i = skip_json_ws(s, i);
        if s.get(i) != Some(&b'"') {
            return None;
        }
        let end = skip_json_string(s, i)?;
        let key = s.get(i + 1..end - 1)?;
        if let Some(k) = KNOWN.iter().find(|k| k.as_bytes() == key) {
            return Some(k);
        }
        i = skip_json_ws(s, end);
        if s.get(i) != Some(&b':') {
            return None;
        }
        i = skip_json_value(s, i + 1)?;
        i = skip_json_ws(s, i);
        match s.get(i) {
            Some(b',') => i += 1,
            _ => return None,
        }
    }
}

fn skip_json_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// `s[i]` is `"`; returns the offset after the closing quote.
fn skip_json_string(s: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match s.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// Skips one JSON value (roughly: strings and brackets are matched).
fn skip_json_value(s: &[u8], i: usize) -> Option<usize> {
    let mut j = skip_json_ws(s, i);
    let mut depth = 0usize;
    loop {
        match s.get(j)? {
            b'"' => {
                j = skip_json_string(s, j)?;
                if depth == 0 {
                    return Some(j);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return Some(j);
                }
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            b',' if depth == 0 => return Some(j),
            _ => {}
        }
        j += 1;
    }
}

/// A description of the supported input combinations, for errors.
const SUPPORTED: &str = "expected one of: one native JSON file; a DOT file plus a times file (CSV `name,duration_s` or native JSON); the DOT of `ninja -t graph` plus a .ninja_log; a cargo-timing.html, optionally with `cargo metadata --format-version 1` JSON";

/// Reads the inputs, detects their formats, and builds the module graph.
/// See the module documentation for the combinations of inputs supported.
pub fn load(inputs: &[PathBuf], opts: &LoadOptions) -> Result<Loaded, InputError> {
    if inputs.is_empty() {
        return Err(InputError::Unsupported(format!(
            "no input file; {SUPPORTED}"
        )));
    }
    let mut contents = Vec::with_capacity(inputs.len());
    for path in inputs {
        contents.push(read(path, opts.input_format)?);
    }
    let mut formats = Vec::with_capacity(inputs.len());
    for (path, bytes) in inputs.iter().zip(&contents) {
        let format = match opts.input_format {
            Some(f) => f,
            None => detect(path, bytes).ok_or_else(|| {
                InputError::Unsupported(escape_controls(&format!(
                    "{}: cannot tell the format of the file; expected a native JSON graph, a DOT graph, CSV `name,duration_s`, a cargo-timing.html, `cargo metadata` JSON or a .ninja_log (or pass the format explicitly)",
                    path.display()
                )).into_owned())
            })?,
        };
        formats.push(format);
    }
    let meta = match &opts.cargo_metadata {
        Some(p) => Some((p.as_path(), read(p, Some(Format::CargoMetadata))?)),
        None => None,
    };

    let mut notes = Vec::new();
    let sources: Vec<Source<'_>> = inputs
        .iter()
        .zip(&contents)
        .map(|(p, b)| Source { path: p, bytes: b })
        .collect();
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by_key(|&i| formats.get(i).copied());
    let sorted: Vec<Format> = order
        .iter()
        .filter_map(|&i| formats.get(i).copied())
        .collect();
    let src = |k: usize| order.get(k).and_then(|&i| sources.get(i));
    let unsupported = || {
        let list: Vec<String> = inputs
            .iter()
            .zip(&formats)
            .map(|(p, f)| format!("{} ({f})", p.display()))
            .collect();
        InputError::Unsupported(
            escape_controls(&format!(
                "unsupported combination of inputs: {}; {SUPPORTED}",
                list.join(", ")
            ))
            .into_owned(),
        )
    };

    if meta.is_some() && sorted.as_slice() != [Format::CargoTimings] {
        if sorted.contains(&Format::CargoMetadata) {
            return Err(InputError::Unsupported(
                "cargo metadata given twice (as an input and as the cargo metadata option); expected it once".into(),
            ));
        }
        return Err(InputError::Unsupported(escape_controls(&format!(
            "the cargo metadata option only applies to a cargo-timing.html input, but the inputs are {}; expected a cargo-timing.html input",
            formats
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ")
        )).into_owned()));
    }

    use Format::*;
    let graph = match (sorted.as_slice(), src(0), src(1)) {
        ([Native], Some(a), None) => native::load(a, opts.durations_optional)?,
        ([Native, Dot], Some(times), Some(graph)) | ([Dot, Times], Some(graph), Some(times)) => {
            let t = if times_is_native(&sorted) {
                native::load_times(times, &mut notes)?
            } else {
                times::parse(times)?
            };
            let g = dot::parse(graph)?;
            dot::build_with_times(&g, graph, &t, times, opts.dot_edges, &mut notes)?
        }
        ([Dot, NinjaLog], Some(graph), Some(log)) => {
            if opts.dot_edges.is_some() {
                notes.push("the DOT edge direction option is ignored for `ninja -t graph` output, whose edges always go from inputs to outputs".into());
            }
            let g = dot::parse(graph)?;
            ninja::load(&g, graph, log, &mut notes)?
        }
        ([CargoTimings], Some(html), None) => {
            let m = meta.as_ref().map(|(p, b)| Source { path: p, bytes: b });
            cargo::load(html, m.as_ref(), &mut notes)?
        }
        ([CargoTimings, CargoMetadata], Some(html), Some(m)) => {
            cargo::load(html, Some(m), &mut notes)?
        }
        _ => return Err(unsupported()),
    };
    Ok(Loaded {
        graph,
        formats,
        notes,
    })
}

fn times_is_native(sorted: &[Format]) -> bool {
    sorted.first() == Some(&Format::Native)
}

/// Reads a file; an empty file is an error.
fn read(path: &Path, format: Option<Format>) -> Result<Vec<u8>, InputError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if skip_bom_ws(&bytes).is_empty() {
        let expected = format
            .or_else(|| detect_extension(path))
            .map_or("a build graph or log", |f| f.expected());
        return Err(InputError::Parse {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: format!("file is empty; expected {expected}"),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;
    use crate::graph::{DepKind, ModuleGraph};

    pub(crate) fn src<'a>(name: &'a str, text: &'a str) -> Source<'a> {
        Source {
            path: Path::new(name),
            bytes: text.as_bytes(),
        }
    }

    /// `(name, dependency, kind)` of every edge, sorted.
    pub(crate) fn edges(g: &ModuleGraph) -> Vec<(String, String, DepKind)> {
        let mut v: Vec<_> = g
            .ids()
            .flat_map(|id| {
                g.deps(id)
                    .iter()
                    .map(move |a| (g.name(id).to_owned(), g.name(a.module).to_owned(), a.kind))
            })
            .collect();
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v
    }

    pub(crate) fn names(g: &ModuleGraph) -> Vec<String> {
        g.modules().map(|m| m.name.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert!(
            "xml"
                .parse::<Format>()
                .unwrap_err()
                .contains("cargo-timings")
        );
        for d in DotEdges::ALL {
            assert_eq!(d.name().parse::<DotEdges>(), Ok(d));
        }
    }

    #[test]
    fn detects_formats_from_content() {
        let p = Path::new("x");
        assert_eq!(detect(p, br#"{"modules":[]}"#), Some(Format::Native));
        assert_eq!(
            detect(p, br#" {"version": 1, "x": {"modules": 1}, "modules": []}"#),
            Some(Format::Native)
        );
        assert_eq!(
            detect(p, br#"{"packages":[{"a":"}"}],"workspace_members":[]}"#),
            Some(Format::CargoMetadata)
        );
        assert_eq!(
            detect(p, b"// c\n/* x */\n# 1\n digraph { a -> b }"),
            Some(Format::Dot)
        );
        assert_eq!(detect(p, b"strict digraph g {}"), Some(Format::Dot));
        assert_eq!(detect(p, b"GRAPH{a--b}"), Some(Format::Dot));
        assert_eq!(detect(p, b"# ninja log v5\n"), Some(Format::NinjaLog));
        assert_eq!(
            detect(p, b"<html>const UNIT_DATA = [];"),
            Some(Format::CargoTimings)
        );
        assert_eq!(
            detect(p, b"name,duration_s\napp,1.5\n"),
            Some(Format::Times)
        );
        assert_eq!(detect(p, b"# times\napp,1.5\n"), Some(Format::Times));
        assert_eq!(detect(p, b"hello world"), None);
        assert_eq!(detect(p, b"graphs are nice"), None);
        assert_eq!(
            detect(Path::new("a.csv"), b"hello world"),
            Some(Format::Times)
        );
        assert_eq!(
            detect(Path::new("b/.ninja_log"), b"junk"),
            Some(Format::NinjaLog)
        );
    }

    #[test]
    fn messages_are_one_line() {
        let e = InputError::Parse {
            path: "a.dot".into(),
            line: Some(3),
            column: None,
            message: "module `x\ny` is bad".into(),
        };
        assert_eq!(e.to_string(), "a.dot:3: module `x\\ny` is bad");
        let e = InputError::Graph {
            paths: vec!["a.dot".into(), "t.csv".into()],
            source: GraphError::DuplicateModule("m".into()),
        };
        assert_eq!(
            e.to_string(),
            "a.dot, t.csv: module `m` is defined more than once"
        );
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_col(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_col(b"ab\ncd", 99), (2, 3));
    }

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new() -> Self {
            Dir(tempfile::tempdir().unwrap())
        }
        fn file(&self, name: &str, text: &str) -> PathBuf {
            let p = self.0.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        }
    }

    fn err(inputs: &[PathBuf], opts: &LoadOptions) -> String {
        let e = load(inputs, opts).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        e
    }

    #[test]
    fn combinations() {
        let d = Dir::new();
        let native = d.file(
            "g.json",
            r#"{"modules":[{"name":"a","duration_s":1},{"name":"b","duration_s":2,"deps":["a"]}]}"#,
        );
        let dotf = d.file("g.dot", "digraph { b -> a }");
        let times = d.file("t.csv", "a,1\nb,2\n");
        let o = LoadOptions::default();

        let l = load(std::slice::from_ref(&native), &o).unwrap();
        assert_eq!(l.formats, [Format::Native]);
        assert_eq!(l.graph.edge_count(), 1);

        for inputs in [[dotf.clone(), times.clone()], [times.clone(), dotf.clone()]] {
            let l = load(&inputs, &o).unwrap();
            assert_eq!(l.graph.len(), 2);
            assert_eq!(l.graph.edge_count(), 1);
        }
        let l = load(&[native.clone(), dotf.clone()], &o).unwrap();
        assert_eq!(l.formats, [Format::Native, Format::Dot]);
        assert!(
            l.notes
                .iter()
                .any(|n| n.contains("the deps of 1 modules are ignored")),
            "{:?}",
            l.notes
        );

        let e = err(&[dotf.clone(), dotf.clone()], &o);
        assert!(e.starts_with("unsupported combination of inputs: "), "{e}");
        assert!(e.contains("(dot)") && e.contains("expected one of:"), "{e}");
        assert!(
            err(&[native.clone(), times.clone(), dotf.clone()], &o)
                .starts_with("unsupported combination")
        );
        assert!(err(std::slice::from_ref(&times), &o).starts_with("unsupported combination"));
        assert!(err(&[], &o).starts_with("no input file;"));

        let with_meta = LoadOptions {
            cargo_metadata: Some(native.clone()),
            ..LoadOptions::default()
        };
        let e = err(&[dotf.clone(), times.clone()], &with_meta);
        assert!(
            e.contains("only applies to a cargo-timing.html input"),
            "{e}"
        );
    }

    #[test]
    fn forced_format_and_detection_failures() {
        let d = Dir::new();
        let odd = d.file("graph.txt", "hello");
        let e = err(std::slice::from_ref(&odd), &LoadOptions::default());
        assert!(e.ends_with("graph.txt: cannot tell the format of the file; expected a native JSON graph, a DOT graph, CSV `name,duration_s`, a cargo-timing.html, `cargo metadata` JSON or a .ninja_log (or pass the format explicitly)"), "{e}");
        let forced = LoadOptions {
            input_format: Some(Format::Native),
            ..LoadOptions::default()
        };
        let e = err(&[odd], &forced);
        assert!(
            e.contains("graph.txt:1:1: the top level is not a JSON object"),
            "{e}"
        );
    }

    #[test]
    fn empty_and_unreadable_files() {
        let d = Dir::new();
        let empty = d.file("graph.json", " \n");
        let e = err(&[empty], &LoadOptions::default());
        assert!(
            e.ends_with("graph.json: file is empty; expected a JSON object {\"modules\": [...]}"),
            "{e}"
        );
        let missing = d.0.path().join("nope.json");
        let e = err(&[missing], &LoadOptions::default());
        assert!(e.contains("nope.json: cannot read the file: "), "{e}");
        let l = load(&[d.file("x", "")], &LoadOptions::default()).unwrap_err();
        assert!(matches!(l, InputError::Parse { .. }));
    }
}
