//! The native JSON format, `schema/module-graph.schema.json`:
//!
//! ```json
//! {"modules": [{"name": "app", "duration_s": 12.5, "deps": ["core"], "path": "apps/app"}]}
//! ```
//!
//! A module has `name` and `duration_s` (a number >= 0), and optionally
//! `deps` (names; the dependent starts when they have finished),
//! `metadata_deps` (names; the dependent starts when their metadata is ready),
//! `path`, `start_s` (observed start) and `metadata_s` (seconds after its start
//! at which its metadata is ready). Unknown fields, of a module or of the
//! top-level object, are ignored (forward compatibility).
//!
//! The whole file is parsed in one `serde_json::from_slice` pass, names
//! borrowed from the input where they have no escapes; only when that fails
//! is it parsed again with `serde_path_to_error` to say where.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use serde::{Deserialize, Serialize};

use super::{InputError, Source, json_error_parts};
use crate::graph::{DepKind, Module, ModuleGraph};

/// The fields of a module in the native format, as documented in the schema.
#[cfg(test)]
pub(crate) const MODULE_FIELDS: [&str; 9] = [
    "name",
    "duration_s",
    "deps",
    "metadata_deps",
    "path",
    "paths",
    "tests",
    "start_s",
    "metadata_s",
];

/// The top-level object: its `modules`, other keys ignored. Each module is
/// turned into a [`Module`] as soon as it is read, so no second copy of the
/// whole list is made.
/// A module as read, its dependency names borrowed from the input where
/// they have no escapes.
/// The flag says whether it had a `duration_s`.
type Parsed<'a> = (Module, Vec<(Cow<'a, str>, DepKind)>, bool);

/// Modules as read, and their dependency names, side by side: the graph
/// takes the modules and borrows the names, with no second copy.
#[derive(Debug, Default, PartialEq)]
struct ParsedModules<'a> {
    modules: Vec<Module>,
    deps: Vec<Vec<(Cow<'a, str>, DepKind)>>,
    /// Index of the first module without `duration_s`, if any.
    untimed: Option<usize>,
}

impl<'a> ParsedModules<'a> {
    fn push(&mut self, (module, deps, timed): Parsed<'a>) {
        if !timed && self.untimed.is_none() {
            self.untimed = Some(self.modules.len());
        }
        self.modules.push(module);
        self.deps.push(deps);
    }

    fn append(&mut self, mut other: ParsedModules<'a>) {
        if self.untimed.is_none() {
            self.untimed = other.untimed.map(|i| i + self.modules.len());
        }
        self.modules.append(&mut other.modules);
        self.deps.append(&mut other.deps);
    }

    fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }
}

struct Top<'a>(ParsedModules<'a>);

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TopVisitor(std::marker::PhantomData))
    }
}

struct TopVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de> Visitor<'de> for TopVisitor<'de> {
    type Value = Top<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object {\"modules\": [...]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
        let mut modules = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == "modules" {
                if modules.is_some() {
                    return Err(de::Error::duplicate_field("modules"));
                }
                modules = Some(map.next_value::<Modules<'de>>()?.0);
            } else {
                map.next_value::<de::IgnoredAny>()?;
            }
        }
        modules
            .map(Top)
            .ok_or_else(|| de::Error::missing_field("modules"))
    }
}

struct Modules<'a>(ParsedModules<'a>);

impl<'de> Deserialize<'de> for Modules<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(ModulesVisitor(std::marker::PhantomData))
    }
}

struct ModulesVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de> Visitor<'de> for ModulesVisitor<'de> {
    type Value = Modules<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of modules")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Modules<'de>, A::Error> {
        let mut v = ParsedModules::default();
        while let Some(m) = seq.next_element::<RawModule<'de>>()? {
            v.push(m.into_parts());
        }
        Ok(Modules(v))
    }
}

/// A dependency name, borrowed from the input unless it has escapes. (A
/// bare `Cow<str>` inside a `Vec` is always deserialized owned: one
/// allocation per edge, which the newtype's `borrow` avoids.)
#[derive(Deserialize)]
struct Name<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct RawModule<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default, deserialize_with = "opt_seconds")]
    duration_s: Option<f64>,
    #[serde(default, borrow)]
    deps: Vec<Name<'a>>,
    #[serde(default, borrow)]
    metadata_deps: Vec<Name<'a>>,
    #[serde(default, borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    tests: Vec<String>,
    #[serde(default, deserialize_with = "opt_finite")]
    start_s: Option<f64>,
    #[serde(default, deserialize_with = "opt_seconds")]
    metadata_s: Option<f64>,
}

impl<'a> RawModule<'a> {
    fn into_parts(self) -> Parsed<'a> {
        let mut deps = Vec::with_capacity(self.deps.len() + self.metadata_deps.len());
        deps.extend(self.deps.into_iter().map(|d| (d.0, DepKind::Full)));
        deps.extend(
            self.metadata_deps
                .into_iter()
                .map(|d| (d.0, DepKind::Metadata)),
        );
        (
            Module {
                name: self.name.into_owned(),
                duration_s: self.duration_s.unwrap_or(0.0),
                path: self.path.map(Cow::into_owned),
                paths: self.paths,
                tests: self.tests,
                metadata_s: self.metadata_s,
                observed_start_s: self.start_s,
            },
            deps,
            self.duration_s.is_some(),
        )
    }
}

fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(de::Error::invalid_value(
            Unexpected::Float(v),
            &"a number of seconds >= 0",
        )),
        v => Ok(v),
    }
}

fn opt_finite<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Option::<f64>::deserialize(d)
}

/// Below this size one core parses faster than two can split the work.
const PARALLEL_MIN_BYTES: usize = 4 << 20;

/// Parses the modules of a native file, with their dependencies.
fn parse<'a>(src: &Source<'a>) -> Result<ParsedModules<'a>, InputError> {
    let first = src.bytes.iter().position(|b| !b.is_ascii_whitespace());
    let first_byte = first.and_then(|i| src.bytes.get(i));
    let first_byte = match first_byte {
        Some(0xEF) => src.bytes.get(first.unwrap_or(0) + 3),
        b => b,
    };
    if first_byte != Some(&b'{') {
        let (line, col) = super::line_col(src.bytes, first.unwrap_or(0));
        let what = match first_byte {
            Some(b'[') => "the top level is an array",
            _ => "the top level is not a JSON object",
        };
        return Err(src.error_at(
            Some(line),
            Some(col),
            format!("{what}; expected a JSON object {{\"modules\": [...]}}"),
        ));
    }
    let bytes = src.bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(src.bytes);
    if bytes.len() >= PARALLEL_MIN_BYTES && rayon::current_num_threads() > 1 {
        let parts = rayon::current_num_threads() * parallel::CHUNKS_PER_THREAD;
        if let Some(modules) = parallel::parse(bytes, parts) {
            return Ok(modules);
        }
        tracing::debug!("native: parallel parse declined; parsing sequentially");
    }
    match serde_json::from_slice::<Top>(bytes) {
        Ok(top) => Ok(top.0),
        Err(e) => Err(json_error(src, bytes, e)),
    }
}

/// Says where a native file is wrong: parses it again, tracking the path.
fn json_error(src: &Source<'_>, bytes: &[u8], e: serde_json::Error) -> InputError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let tracked: Result<Top<'_>, _> = serde_path_to_error::deserialize(&mut de);
    let (path, e) = match tracked {
        Err(pe) => (pe.path().to_string(), pe.into_inner()),
        Ok(_) => match de.end() {
            Err(trailing) => (String::from("."), trailing),
            Ok(()) => (String::from("."), e),
        },
    };
    let (line, column, msg) = json_error_parts(&e);
    let message = match e.classify() {
        serde_json::error::Category::Eof => {
            format!("unexpected end of file ({msg}); expected a complete JSON document")
        }
        serde_json::error::Category::Syntax => format!("{msg}; expected valid JSON"),
        _ if path == "." || path.is_empty() => {
            if msg.starts_with("missing field `modules`") {
                format!("{msg}; expected a JSON object {{\"modules\": [...]}}")
            } else {
                msg
            }
        }
        _ => format!("{msg} for {path}"),
    };
    src.error_at(line, column, message)
}

/// Parsing a large native file on every core.
///
/// The `modules` array is cut into chunks at likely element boundaries
/// (after a `}`, a comma and a `{`), and the chunks are parsed on all cores,
/// element by element, serde telling where each element ends. The result is
/// used only when it is provably what one sequential parse would give:
/// - the first chunk starts right after the array's `[`, so the elements it
///   walks through are the true ones; every other chunk is accepted only if
///   the walk of the chunk before it landed exactly on its start: by
///   induction every chunk starts at a true element;
/// - elements are separated by exactly one comma;
/// - the document with the array emptied (the "skeleton") parses as a
///   top-level object whose `modules` is that (now empty) array.
///
/// Anything else (a heuristic cut inside a string, a malformed element, a
/// nested key named `modules`, ...) returns `None`, and the caller parses
/// sequentially, which also gives the precise error.
mod parallel {
    use rayon::prelude::*;

    use super::{ParsedModules, RawModule, Top};

    /// Chunks per thread: a few, so an uneven chunk does not idle a core.
    pub(super) const CHUNKS_PER_THREAD: usize = 4;

    /// Parses the `modules` of `bytes` in up to `parts` chunks.
    pub(super) fn parse(bytes: &[u8], parts: usize) -> Option<ParsedModules<'_>> {
        let open = modules_array_start(bytes)?;
        let inner_start = open + 1;
        let mut starts = vec![inner_start];
        for k in 1..parts {
            let target = inner_start + (bytes.len() - inner_start) * k / parts;
            let from = target.max(*starts.last()?);
            if let Some(cut) = likely_boundary(bytes, from)
                && cut > *starts.last()?
            {
                starts.push(cut);
            }
        }
        let chunks: Vec<(usize, Option<usize>)> = starts
            .iter()
            .enumerate()
            .map(|(i, &a)| (a, starts.get(i + 1).copied()))
            .collect();
        let results: Vec<Option<(ParsedModules<'_>, Option<usize>)>> = chunks
            .par_iter()
            .enumerate()
            .map(|(i, &(a, b))| parse_chunk(bytes, a, b, i == 0))
            .collect();
        let mut modules = ParsedModules::default();
        let mut close = None;
        let last = results.len() - 1;
        for (i, r) in results.into_iter().enumerate() {
            let (parsed, end) = r?;
            // Every chunk but the last ends at its cut, between elements;
            // the last one at the array's `]`.
            match (i == last, end) {
                (false, None) => {}
                (true, Some(c)) => close = Some(c),
                _ => return None,
            }
            if modules.is_empty() {
                modules = parsed;
            } else {
                modules.append(parsed);
            }
        }
        let close = close?;
        // The skeleton: everything outside the array, with the array empty.
        let mut skeleton = Vec::with_capacity(inner_start + bytes.len() - close);
        skeleton.extend_from_slice(&bytes[..inner_start]);
        skeleton.extend_from_slice(&bytes[close..]);
        let top: Top<'_> = serde_json::from_slice(&skeleton).ok()?;
        top.0.is_empty().then_some(modules)
    }

    /// Offset of the `[` after the first `"modules"` key followed by `:`.
    fn modules_array_start(bytes: &[u8]) -> Option<usize> {
        const KEY: &[u8] = b"\"modules\"";
        let mut from = 0;
        loop {
            let at = from + find(&bytes[from..], KEY)?;
            let mut i = at + KEY.len();
            i = skip_ws(bytes, i);
            if bytes.get(i) == Some(&b':') {
                i = skip_ws(bytes, i + 1);
                return (bytes.get(i) == Some(&b'[')).then_some(i);
            }
            from = at + 1;
        }
    }

    /// The offset just after the first `}` ws `,` ws `{` at or after
    /// `from`: right after the comma, where an element probably begins.
    fn likely_boundary(bytes: &[u8], from: usize) -> Option<usize> {
        let mut i = from;
        while i < bytes.len() {
            let comma = i + bytes[i..].iter().position(|&c| c == b',')?;
            let before = bytes[..comma]
                .iter()
                .rposition(|c| !c.is_ascii_whitespace());
            let after = skip_ws(bytes, comma + 1);
            if before.is_some_and(|b| bytes[b] == b'}') && bytes.get(after) == Some(&b'{') {
                return Some(comma + 1);
            }
            i = comma + 1;
        }
        None
    }

    /// Parses the elements from `a` (where an element starts, after `[` or
    /// a comma) up to the cut `b`, or to the end of the array when `b` is
    /// `None`. serde says where each element ends; the walk must land
    /// exactly on `b`, right after a comma. Returns the modules and, when
    /// the array's `]` was reached, its offset.
    fn parse_chunk(
        bytes: &[u8],
        a: usize,
        b: Option<usize>,
        first: bool,
    ) -> Option<(ParsedModules<'_>, Option<usize>)> {
        let end = b.unwrap_or(bytes.len());
        let mut out = ParsedModules::default();
        let mut pos = skip_ws(bytes, a);
        if first && b.is_none() && bytes.get(pos) == Some(&b']') {
            return Some((out, Some(pos)));
        }
        loop {
            let mut stream =
                serde_json::Deserializer::from_slice(&bytes[pos..end]).into_iter::<RawModule<'_>>();
            let m = stream.next()?.ok()?;
            out.push(m.into_parts());
            pos = skip_ws(bytes, pos + stream.byte_offset());
            match bytes.get(pos) {
                Some(b',') => {
                    pos += 1;
                    match b {
                        Some(cut) if pos == cut => return Some((out, None)),
                        Some(cut) if pos > cut => return None,
                        _ => pos = skip_ws(bytes, pos),
                    }
                }
                Some(b']') if b.is_none() => return Some((out, Some(pos))),
                _ => return None,
            }
        }
    }

    fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }
}

/// Loads a native JSON graph. Dependency names go to the graph borrowed
/// from the file's bytes: nothing is allocated per edge.
///
/// Without `untimed_ok`, every module must have a `duration_s`; with it (a
/// graph for test selection, where only edges and paths matter) a missing
/// one counts as 0 s.
pub(crate) fn load(src: &Source<'_>, untimed_ok: bool) -> Result<ModuleGraph, InputError> {
    let started = std::time::Instant::now();
    let ParsedModules {
        modules,
        deps,
        untimed,
    } = parse(src)?;
    if let (Some(i), false) = (untimed, untimed_ok) {
        return Err(src.error_at(
            None,
            None,
            format!(
                "module `{}` (modules[{i}]) has no `duration_s`; expected a number of seconds >= 0",
                cli_support::escape_controls(&modules[i].name)
            ),
        ));
    }
    tracing::debug!(
        elapsed_ms = (started.elapsed().as_secs_f64() * 1e4).round() / 10.0,
        bytes = src.bytes.len(),
        "native: parsed"
    );
    ModuleGraph::from_modules(modules, |i| {
        deps[i].iter().map(|(name, kind)| (name.as_ref(), *kind))
    })
    .map_err(|source| InputError::Graph {
        paths: vec![src.path.to_path_buf()],
        source,
    })
}

/// A module's timing read from a times file (CSV or native JSON).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Timing {
    pub module: Module,
    /// Line in the times file, when known.
    pub line: Option<usize>,
}

/// Modules of a times file by name, in file order.
#[derive(Debug, Default)]
pub(crate) struct TimesTable {
    pub entries: Vec<Timing>,
    pub by_name: HashMap<String, usize>,
}

impl TimesTable {
    /// Adds an entry; returns the index of the earlier entry of the same name.
    pub(crate) fn insert(&mut self, t: Timing) -> Result<(), usize> {
        if let Some(&at) = self.by_name.get(&t.module.name) {
            return Err(at);
        }
        self.by_name
            .insert(t.module.name.clone(), self.entries.len());
        self.entries.push(t);
        Ok(())
    }
}

/// Reads a native JSON file as a times file: modules and their timings, no
/// edges.
pub(crate) fn load_times(
    src: &Source<'_>,
    notes: &mut Vec<String>,
) -> Result<TimesTable, InputError> {
    let modules = parse(src)?;
    let mut t = TimesTable::default();
    let mut with_deps = 0;
    for (m, deps) in modules.modules.into_iter().zip(modules.deps) {
        if !deps.is_empty() {
            with_deps += 1;
        }
        let name = m.name.clone();
        if t.insert(Timing {
            module: m,
            line: None,
        })
        .is_err()
        {
            return Err(InputError::Graph {
                paths: vec![src.path.to_path_buf()],
                source: crate::graph::GraphError::DuplicateModule(name),
            });
        }
    }
    if with_deps > 0 {
        notes.push(format!(
            "{}: the deps of {with_deps} modules are ignored; the edges come from the DOT graph",
            src.name()
        ));
    }
    Ok(t)
}

#[derive(Serialize)]
struct OutModule<'a> {
    name: &'a str,
    duration_s: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    deps: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metadata_deps: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    paths: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tests: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    start_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata_s: Option<f64>,
}

/// Writes a graph in the native JSON format, one module per line.
pub fn write_native<W: Write>(graph: &ModuleGraph, w: W) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    w.write_all(b"{\"modules\": [\n")?;
    for (i, id) in graph.ids().enumerate() {
        let m = graph.module(id);
        let mut deps = Vec::new();
        let mut metadata_deps = Vec::new();
        for a in graph.deps(id) {
            match a.kind {
                DepKind::Full => deps.push(graph.name(a.module)),
                DepKind::Metadata => metadata_deps.push(graph.name(a.module)),
            }
        }
        let out = OutModule {
            name: &m.name,
            duration_s: m.duration_s,
            deps,
            metadata_deps,
            path: m.path.as_deref(),
            paths: &m.paths,
            tests: &m.tests,
            start_s: m.observed_start_s,
            metadata_s: m.metadata_s,
        };
        if i > 0 {
            w.write_all(b",\n")?;
        }
        w.write_all(b"  ")?;
        serde_json::to_writer(&mut w, &out)?;
    }
    w.write_all(b"\n]}\n")?;
    w.flush()
}

#[cfg(test)]
mod tests {
    /// The sequential parse, for comparison with the parallel one.
    fn sequential(bytes: &[u8]) -> Option<ParsedModules<'_>> {
        serde_json::from_slice::<Top<'_>>(bytes).ok().map(|t| t.0)
    }

    /// A document of `n` modules with awkward names: commas, braces,
    /// escaped quotes and backslashes, the pattern `},{` inside strings,
    /// and varied whitespace, so cuts land in every kind of place.
    fn awkward_document(n: usize, pretty: bool) -> String {
        let mut s = String::from("{\"note\": \"modules\",\n \"modules\" : [");
        for i in 0..n {
            if i > 0 {
                s.push_str(if pretty { " ,\n  " } else { "," });
            }
            let name = match i % 4 {
                0 => format!("m{i}"),
                1 => format!("tricky}},{{\\\"name\\\":{i}"),
                2 => format!("back\\\\slash{i}"),
                _ => format!("sp ace,{i}]"),
            };
            let dep = if i > 0 {
                format!("\"m{}\"", (i - 1) / 4 * 4)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "{{\"name\":\"{name}\", \"duration_s\": {i}.5, \"deps\": [{dep}], \"path\": \"p/{{{i}}}\"}}"
            ));
        }
        s.push_str("], \"trailer\": [\"]\"]}");
        s
    }

    #[test]
    fn parallel_parse_equals_sequential() {
        for pretty in [false, true] {
            let doc = awkward_document(200, pretty);
            let expected = sequential(doc.as_bytes()).expect("the document is valid");
            assert_eq!(expected.modules.len(), 200);
            let mut accepted = 0;
            for parts in 1..=80 {
                // A cut inside a string is declined; whatever is accepted
                // must be exactly the sequential result.
                if let Some(got) = parallel::parse(doc.as_bytes(), parts) {
                    assert_eq!(got, expected, "parts={parts} pretty={pretty}");
                    accepted += 1;
                }
            }
            assert!(accepted > 10, "only {accepted} of 80 splits accepted");
        }
        // Plain names: every split is accepted.
        let plain: String = format!(
            "{{\"modules\":[{}]}}",
            (0..300)
                .map(|i| format!(
                    "{{\"name\":\"n{i}\",\"duration_s\":1,\"deps\":[\"n{}\"]}}",
                    i / 2
                ))
                .collect::<Vec<_>>()
                .join(",")
        );
        let plain = plain.replace("\"deps\":[\"n0\"]}", "\"deps\":[]}");
        let expected = sequential(plain.as_bytes()).unwrap();
        for parts in 1..=40 {
            assert_eq!(
                parallel::parse(plain.as_bytes(), parts).as_ref(),
                Some(&expected),
                "parts={parts}"
            );
        }
    }

    #[test]
    fn parallel_parse_declines_what_it_cannot_prove() {
        let good = awkward_document(50, false);
        // A malformed element, a second `modules` key, trailing garbage, a
        // non-object element: declined (the sequential parse reports them).
        let cases = [
            good.replacen("\"duration_s\": 7.5", "\"duration_s\": \"x\"", 1),
            good.replacen("\"trailer\"", "\"modules\"", 1),
            format!("{good} x"),
            good.replacen("{\"name\":\"m8\"", "3, {\"name\":\"m8\"", 1),
            good.replacen("},{\"name\":\"m8\"", "},,{\"name\":\"m8\"", 1),
            good.replacen("{\"note\"", "{\"meta\": {\"modules\": [1]}, \"note\"", 1),
        ];
        for (k, doc) in cases.iter().enumerate() {
            assert_ne!(doc, &good, "case {k} changed nothing");
            for parts in [1, 2, 5, 13] {
                assert!(
                    parallel::parse(doc.as_bytes(), parts).is_none(),
                    "case {k}, parts {parts}"
                );
            }
        }
        let empty = br#"{"modules": [ ]}"#;
        assert_eq!(parallel::parse(empty, 4).map(|v| v.modules.len()), Some(0));
    }

    use super::*;
    use crate::input::test_util::{edges, names, src};

    fn load_str(text: &str) -> Result<ModuleGraph, InputError> {
        load(&src("graph.json", text), false)
    }

    fn err(text: &str) -> String {
        load_str(text).unwrap_err().to_string()
    }

    #[test]
    fn paths_tests_and_optional_durations() {
        let text = r#"{"modules":[
          {"name":"core","path":"libs/core","paths":["proto/core","BUILD.core"],"tests":["core_test"]},
          {"name":"app","duration_s":2,"deps":["core"]}
        ]}"#;
        let e = err(text);
        assert!(
            e.contains("module `core` (modules[0]) has no `duration_s`; expected a number"),
            "{e}"
        );
        let g = load(&src("graph.json", text), true).unwrap();
        let core = g.module(g.find("core").unwrap());
        assert_eq!(core.duration_s, 0.0);
        assert_eq!(
            core.all_paths().collect::<Vec<_>>(),
            ["libs/core", "proto/core", "BUILD.core"]
        );
        assert_eq!(core.tests, ["core_test"]);
        let mut out = Vec::new();
        write_native(&g, &mut out).unwrap();
        let again = load(
            &src("again.json", std::str::from_utf8(&out).unwrap()),
            false,
        )
        .unwrap();
        assert_eq!(again.module(again.find("core").unwrap()), core);
    }

    #[test]
    fn reads_all_fields() {
        let g = load_str(
            r#"{"modules":[
              {"name":"core","duration_s":10,"path":"libs/core","start_s":0,"metadata_s":4.5,"future":{"x":1}},
              {"name":"app","duration_s":12.5,"deps":["core"],"path":"apps/app"},
              {"name":"cli","duration_s":1,"metadata_deps":["core"],"deps":["app"]}
            ], "version": 2}"#,
        )
        .unwrap();
        assert_eq!(names(&g), ["core", "app", "cli"]);
        let core = g.module(g.find("core").unwrap());
        assert_eq!(
            core,
            &Module {
                name: "core".into(),
                duration_s: 10.0,
                path: Some("libs/core".into()),
                paths: vec![],
                tests: vec![],
                metadata_s: Some(4.5),
                observed_start_s: Some(0.0),
            }
        );
        assert_eq!(
            edges(&g),
            [
                ("app".into(), "core".into(), DepKind::Full),
                ("cli".into(), "app".into(), DepKind::Full),
                ("cli".into(), "core".into(), DepKind::Metadata),
            ]
        );
    }

    #[test]
    fn escaped_names_are_unescaped() {
        let g = load_str(r#"{"modules":[{"name":"a\"b\u00e9","duration_s":1},{"name":"c","duration_s":0,"deps":["a\"bé"]}]}"#)
            .unwrap();
        assert_eq!(names(&g), ["a\"bé", "c"]);
        assert_eq!(g.edge_count(), 1);
    }

    #[test]
    fn wrong_type_names_the_field_and_line() {
        let e = err("{\"modules\": [\n  {\"name\": \"a\",\n   \"duration_s\": \"x\"}]}");
        assert_eq!(
            e,
            "graph.json:3:20: invalid type: string \"x\", expected f64 for modules[0].duration_s"
        );
    }

    #[test]
    fn negative_duration() {
        let e = err(
            "{\"modules\": [{\"name\": \"a\", \"duration_s\": 1},\n {\"name\": \"b\", \"duration_s\": -2}]}",
        );
        assert!(e.starts_with("graph.json:2:"), "{e}");
        assert!(
            e.contains("expected a number of seconds >= 0 for modules[1].duration_s"),
            "{e}"
        );
    }

    #[test]
    fn missing_fields() {
        let e = err(r#"{"modules": [{"duration_s": 1}]}"#);
        assert!(e.starts_with("graph.json:1:"), "{e}");
        assert!(e.contains("missing field `name` for modules[0]"), "{e}");
        let e = err(r#"{"nodes": []}"#);
        assert!(
            e.contains("missing field `modules`; expected a JSON object {\"modules\": [...]}"),
            "{e}"
        );
    }

    #[test]
    fn wrong_top_level_shape() {
        assert_eq!(
            err("\n  [1, 2]"),
            "graph.json:2:3: the top level is an array; expected a JSON object {\"modules\": [...]}"
        );
        assert!(err("42").contains("the top level is not a JSON object"));
        let e = err(r#"{"modules": {"a": 1}}"#);
        assert!(
            e.contains("invalid type: map, expected an array of modules for modules"),
            "{e}"
        );
    }

    #[test]
    fn truncated_json() {
        let e = err("{\"modules\": [\n{\"name\": \"a\", \"duration_s\": 1}");
        assert!(e.starts_with("graph.json:2:"), "{e}");
        assert!(e.contains("unexpected end of file"), "{e}");
        let e = err("{\"modules\": [] } x");
        assert!(e.starts_with("graph.json:1:"), "{e}");
        assert!(e.contains("expected valid JSON"), "{e}");
    }

    #[test]
    fn graph_errors_name_the_file() {
        let e = err(r#"{"modules":[{"name":"a","duration_s":1,"deps":["nope"]}]}"#);
        assert_eq!(
            e,
            "graph.json: module `a` depends on `nope`, which is not a module of the graph"
        );
        let e = err(
            r#"{"modules":[{"name":"a","duration_s":1,"deps":["b"]},{"name":"b","duration_s":1,"metadata_deps":["a"]}]}"#,
        );
        assert!(e.starts_with("graph.json: dependency cycle: "), "{e}");
        let e = err(r#"{"modules":[{"name":"a","duration_s":1},{"name":"a","duration_s":2}]}"#);
        assert_eq!(e, "graph.json: module `a` is defined more than once");
        let e = err(r#"{"modules":[{"name":"a","duration_s":1,"metadata_s":2}]}"#);
        assert!(e.contains("module `a` has metadata time 2"), "{e}");
    }

    #[test]
    fn write_then_read_is_identity() {
        let text = r#"{"modules":[
              {"name":"core","duration_s":10,"path":"libs/core","start_s":0.5,"metadata_s":4.5},
              {"name":"app","duration_s":12.5,"deps":["core"]},
              {"name":"cli","duration_s":1,"metadata_deps":["core"],"deps":["app"]}]}"#;
        let g = load_str(text).unwrap();
        let mut out = Vec::new();
        write_native(&g, &mut out).unwrap();
        let back = load_str(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(
            g.modules().collect::<Vec<_>>(),
            back.modules().collect::<Vec<_>>()
        );
        assert_eq!(edges(&g), edges(&back));
    }

    /// The schema documents exactly the fields the reader knows, and its
    /// examples load and survive a write/read round trip whose output uses
    /// only documented fields.
    #[test]
    fn schema_matches_reader() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schema/module-graph.schema.json")).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["required"], serde_json::json!(["modules"]));
        let module = &schema["$defs"]["module"];
        assert_eq!(
            module["required"],
            serde_json::json!(["name", "duration_s"])
        );
        let mut documented: Vec<&str> = module["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        documented.sort();
        let mut fields = MODULE_FIELDS.to_vec();
        fields.sort();
        assert_eq!(documented, fields);

        let examples = schema["examples"].as_array().unwrap();
        assert!(!examples.is_empty());
        for ex in examples {
            let text = ex.to_string();
            let g = load_str(&text).unwrap();
            let mut out = Vec::new();
            write_native(&g, &mut out).unwrap();
            assert_fields_documented(&out);
            let back = load_str(std::str::from_utf8(&out).unwrap()).unwrap();
            assert_eq!(
                g.modules().collect::<Vec<_>>(),
                back.modules().collect::<Vec<_>>()
            );
            assert_eq!(edges(&g), edges(&back));
            // And the example itself uses only documented fields.
            assert_fields_documented(text.as_bytes());
        }
    }

    /// Every module key of a native file is one of [`MODULE_FIELDS`].
    pub(crate) fn assert_fields_documented(json: &[u8]) {
        let v: serde_json::Value = serde_json::from_slice(json).unwrap();
        let top: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(top, ["modules"]);
        for m in v["modules"].as_array().unwrap() {
            for k in m.as_object().unwrap().keys() {
                assert!(
                    MODULE_FIELDS.contains(&k.as_str()),
                    "undocumented field `{k}`"
                );
            }
        }
    }
}
