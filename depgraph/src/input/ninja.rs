//! Ninja: a `.ninja_log` (versions 5 to 7) with the DOT of `ninja -t graph`.
//!
//! The log has a header `# ninja log vN` and one line per output:
//! `start_ms \t end_ms \t mtime \t output \t command_hash`. Ninja appends to it
//! build after build, writing each entry when its command finishes, so within
//! one build `end_ms` never decreases, and the times restart near zero with
//! the next build. **Rule:** a new build starts at every entry whose `end_ms`
//! is smaller than the previous entry's; only the entries after the last such
//! point (the last build) are used, and of those the later entry for the same
//! output wins. (A log rewritten by `ninja -t recompact` has lost its build
//! order; the rule then keeps only its tail, and a note says how many builds
//! were found.)
//!
//! In the DOT, nodes are files (boxes, `label` = path) and build edges
//! (ellipses, `label` = rule); `file -> edge [arrowhead=none]` is an input
//! (`style=dotted`: order-only, still a dependency), `edge -> file` an output,
//! and a build edge with one input and one output is drawn as
//! `"in" -> "out" [label=" rule"]`. Each build edge with an entry in the last
//! build becomes one module, named by its first output, whatever its number
//! of outputs; its dependencies are the modules producing its inputs, looked
//! up through `phony` edges, edges that did not run, and source files (which
//! no edge produces: no dependency) — these pass through and weigh nothing.

use std::collections::HashMap;

use super::dot::DotGraph;
use super::{InputError, Source};
use crate::graph::{Dep, GraphBuilder, Module, ModuleGraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogEntry<'a> {
    pub start_ms: u64,
    pub end_ms: u64,
    pub output: &'a str,
    pub hash: &'a str,
    pub line: usize,
}

#[derive(Debug)]
pub(crate) struct Log<'a> {
    pub version: u32,
    /// Entries of the last build, the later one per output, in log order.
    pub entries: Vec<LogEntry<'a>>,
    /// Number of builds in the log.
    pub builds: usize,
    /// Number of entries in the whole log.
    pub total: usize,
}

const ENTRY: &str = "expected `start_ms<TAB>end_ms<TAB>mtime<TAB>output<TAB>command_hash`";

/// Parses a `.ninja_log`. Errors are `(line, message)`.
pub(crate) fn parse_log(text: &str) -> Result<Log<'_>, (usize, String)> {
    let mut lines = text.split('\n').enumerate();
    let header = lines
        .next()
        .map(|(_, l)| l.trim_end_matches('\r').trim_start_matches('\u{feff}'))
        .unwrap_or_default();
    let version = header
        .strip_prefix("# ninja log v")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|v| (5..=7).contains(v));
    let Some(version) = version else {
        let shown: String = header.chars().take(60).collect();
        return Err((
            1,
            format!("unknown ninja log header `{shown}`; expected v5, v6 or v7"),
        ));
    };

    let mut all: Vec<LogEntry<'_>> = Vec::new();
    let mut build_start = 0usize;
    let mut builds = 0usize;
    for (i, raw) in lines {
        let line = i + 1;
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        if l.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = l.split('\t').collect();
        let [start, end, mtime, output, hash] = fields.as_slice() else {
            return Err((
                line,
                format!("{} tab-separated fields; {ENTRY}", fields.len()),
            ));
        };
        let int = |s: &str, what: &str| {
            s.trim().parse::<u64>().map_err(|_| {
                let shown: String = s.chars().take(30).collect();
                (
                    line,
                    format!("{what} `{shown}` is not a whole number of milliseconds; {ENTRY}"),
                )
            })
        };
        let start_ms = int(start, "start")?;
        let end_ms = int(end, "end")?;
        if mtime.trim().parse::<i64>().is_err() && mtime.trim().parse::<u64>().is_err() {
            return Err((
                line,
                format!(
                    "mtime `{}` is not a whole number; {ENTRY}",
                    mtime.chars().take(30).collect::<String>()
                ),
            ));
        }
        if end_ms < start_ms {
            return Err((
                line,
                format!(
                    "the entry ends ({end_ms} ms) before it starts ({start_ms} ms); expected end_ms >= start_ms"
                ),
            ));
        }
        if output.is_empty() {
            return Err((line, format!("empty output path; {ENTRY}")));
        }
        let hash = hash.trim();
        if hash.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err((
                line,
                format!(
                    "command hash `{}` is not hexadecimal; {ENTRY}",
                    hash.chars().take(30).collect::<String>()
                ),
            ));
        }
        if let Some(prev) = all.last()
            && end_ms < prev.end_ms
        {
            build_start = all.len();
            builds += 1;
        }
        if all.is_empty() {
            builds = 1;
        }
        all.push(LogEntry {
            start_ms,
            end_ms,
            output,
            hash,
            line,
        });
    }
    let total = all.len();
    // The last build, the later entry per output winning.
    let last = all.get(build_start..).unwrap_or_default();
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(last.len());
    for (i, e) in last.iter().enumerate() {
        latest.insert(e.output, i);
    }
    let entries = last
        .iter()
        .enumerate()
        .filter(|(i, e)| latest.get(e.output) == Some(i))
        .map(|(_, e)| e.clone())
        .collect();
    Ok(Log {
        version,
        entries,
        builds,
        total,
    })
}

/// A build edge of the ninja DOT.
#[derive(Debug, Default)]
struct BuildEdge {
    rule: String,
    inputs: Vec<u32>,
    outputs: Vec<u32>,
}

/// What a build edge became.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Module(u32),
    PassThrough,
}

/// Builds the module graph of a ninja log and the DOT of `ninja -t graph`.
pub(crate) fn load(
    g: &DotGraph,
    dot_src: &Source<'_>,
    log_src: &Source<'_>,
    notes: &mut Vec<String>,
) -> Result<ModuleGraph, InputError> {
    let text = String::from_utf8_lossy(log_src.bytes);
    let log = parse_log(&text).map_err(|(line, msg)| log_src.error_at(Some(line), None, msg))?;
    if !g.is_ninja() {
        notes.push(format!(
            "{}: does not start like `ninja -t graph` output (`digraph ninja {{` with `rankdir=\"LR\"`); reading it as such anyway",
            dot_src.name()
        ));
    }
    if log.builds > 1 {
        notes.push(format!(
            "{}: the log (v{}) holds {} builds (a build starts where an entry ends earlier than the one before); using the last one, {} of {} entries",
            log_src.name(),
            log.version,
            log.builds,
            log.entries.len(),
            log.total
        ));
    }

    // Files and build edges of the DOT.
    let is_edge_node: Vec<bool> = g
        .nodes
        .iter()
        .map(|n| {
            n.shape
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("ellipse"))
        })
        .collect();
    let mut edge_of_node: HashMap<u32, usize> = HashMap::new();
    let mut edges: Vec<BuildEdge> = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if is_edge_node.get(i) == Some(&true) {
            edge_of_node.insert(i as u32, edges.len());
            edges.push(BuildEdge {
                rule: n.label.clone().unwrap_or_default().trim().to_owned(),
                ..BuildEdge::default()
            });
        }
    }
    let mut odd = 0usize;
    for e in &g.edges {
        let from_edge = edge_of_node.get(&e.from).copied();
        let to_edge = edge_of_node.get(&e.to).copied();
        match (from_edge, to_edge) {
            (Some(b), None) => {
                if let Some(b) = edges.get_mut(b) {
                    b.outputs.push(e.to);
                }
            }
            (None, Some(b)) => {
                if let Some(b) = edges.get_mut(b) {
                    b.inputs.push(e.from);
                }
            }
            (None, None) => edges.push(BuildEdge {
                rule: g
                    .edge_attr(e, "label")
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                inputs: vec![e.from],
                outputs: vec![e.to],
            }),
            (Some(_), Some(_)) => odd += 1,
        }
    }
    if odd > 0 {
        notes.push(format!(
            "{}: {odd} DOT edges join two build edges, which `ninja -t graph` never writes; ignored",
            dot_src.name()
        ));
    }

    // The producer of each file (node index).
    let mut producer: HashMap<u32, usize> = HashMap::new();
    let mut produced_twice = 0usize;
    for (bi, b) in edges.iter().enumerate() {
        for &o in &b.outputs {
            if producer.insert(o, bi).is_some() {
                produced_twice += 1;
            }
        }
    }
    if produced_twice > 0 {
        notes.push(format!(
            "{}: {produced_twice} files are outputs of more than one build edge; the last one is used",
            dot_src.name()
        ));
    }

    let path_of = |node: u32| -> Option<std::borrow::Cow<'_, str>> {
        g.nodes.get(node as usize).map(|n| g.node_name(n))
    };
    let logged: HashMap<&str, usize> = log
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.output, i))
        .collect();

    // Modules: build edges that ran in the last build.
    let mut modules: Vec<Module> = Vec::new();
    let mut roles: Vec<Role> = Vec::with_capacity(edges.len());
    let mut claimed = vec![false; log.entries.len()];
    let mut not_run = 0usize;
    for b in &edges {
        if b.rule == "phony" {
            roles.push(Role::PassThrough);
            continue;
        }
        let timed = b
            .outputs
            .iter()
            .find_map(|&o| path_of(o).and_then(|p| logged.get(p.as_ref()).copied()));
        let Some(ei) = timed else {
            not_run += 1;
            roles.push(Role::PassThrough);
            continue;
        };
        for &o in &b.outputs {
            if let Some(&i) = path_of(o).and_then(|p| logged.get(p.as_ref()))
                && let Some(c) = claimed.get_mut(i)
            {
                *c = true;
            }
        }
        let Some(e) = log.entries.get(ei) else {
            roles.push(Role::PassThrough);
            continue;
        };
        let name = b
            .outputs
            .first()
            .and_then(|&o| path_of(o))
            .map_or_else(|| e.output.to_owned(), |p| p.into_owned());
        roles.push(Role::Module(modules.len() as u32));
        modules.push(timed_module(name, e));
    }
    if not_run > 0 {
        notes.push(format!(
            "{not_run} build edges of {} have no entry in the last build of {} (up to date or not built); their inputs pass through to their dependents",
            dot_src.name(),
            log_src.name()
        ));
    }

    // Dependencies, through pass-through edges.
    let through = resolve_pass_through(&edges, &roles, &producer);
    let mut deps: Vec<Vec<Dep>> = vec![Vec::new(); modules.len()];
    for (bi, b) in edges.iter().enumerate() {
        let Some(Role::Module(m)) = roles.get(bi).copied() else {
            continue;
        };
        let mut ds: Vec<u32> = Vec::new();
        for input in &b.inputs {
            let Some(&p) = producer.get(input) else {
                continue; // a source file
            };
            match roles.get(p) {
                Some(Role::Module(d)) => ds.push(*d),
                Some(Role::PassThrough) => {
                    ds.extend(through.get(p).map(Vec::as_slice).unwrap_or_default())
                }
                None => {}
            }
        }
        ds.sort_unstable();
        ds.dedup();
        if let Some(list) = deps.get_mut(m as usize) {
            *list = ds
                .into_iter()
                .filter_map(|d| {
                    modules
                        .get(d as usize)
                        .map(|dm| Dep::full(dm.name.as_str()))
                })
                .collect();
        }
    }

    // Log entries of no DOT build edge: modules without dependencies, one per
    // command (hash, start and end).
    let mut groups: HashMap<(&str, u64, u64), usize> = HashMap::new();
    let mut unclaimed = 0usize;
    for (i, e) in log.entries.iter().enumerate() {
        if claimed.get(i) == Some(&true) {
            continue;
        }
        unclaimed += 1;
        if groups.contains_key(&(e.hash, e.start_ms, e.end_ms)) {
            continue;
        }
        groups.insert((e.hash, e.start_ms, e.end_ms), modules.len());
        modules.push(timed_module(e.output.to_owned(), e));
        deps.push(Vec::new());
    }
    if unclaimed > 0 {
        notes.push(format!(
            "{}: {unclaimed} entries of the last build are outputs of no build edge of {}; they became modules without dependencies",
            log_src.name(),
            dot_src.name()
        ));
    }

    let mut builder = GraphBuilder::with_capacity(modules.len());
    for (m, d) in modules.into_iter().zip(deps) {
        builder.add(m, d);
    }
    builder.build().map_err(|source| InputError::Graph {
        paths: vec![dot_src.path.to_path_buf(), log_src.path.to_path_buf()],
        source,
    })
}

fn timed_module(name: String, e: &LogEntry<'_>) -> Module {
    let mut m = Module::new(name, e.end_ms.saturating_sub(e.start_ms) as f64 / 1000.0);
    m.observed_start_s = Some(e.start_ms as f64 / 1000.0);
    m
}

/// For each pass-through build edge, the modules its inputs lead to (through
/// other pass-through edges). Iterative, and safe on cycles.
fn resolve_pass_through(
    edges: &[BuildEdge],
    roles: &[Role],
    producer: &HashMap<u32, usize>,
) -> Vec<Vec<u32>> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = edges.len();
    let mut state = vec![NEW; n];
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
    let inputs_of = |b: usize| {
        edges
            .get(b)
            .map(|e| e.inputs.as_slice())
            .unwrap_or_default()
    };
    for root in 0..n {
        if roles.get(root) != Some(&Role::PassThrough) || state.get(root) != Some(&NEW) {
            continue;
        }
        // (edge, next input to look at)
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        if let Some(s) = state.get_mut(root) {
            *s = OPEN;
        }
        while let Some(&mut (b, ref mut next)) = stack.last_mut() {
            let inputs = inputs_of(b);
            if let Some(&input) = inputs.get(*next) {
                *next += 1;
                let Some(&p) = producer.get(&input) else {
                    continue;
                };
                match roles.get(p) {
                    Some(Role::Module(m)) => {
                        if let Some(o) = out.get_mut(b) {
                            o.push(*m);
                        }
                    }
                    Some(Role::PassThrough) => match state.get(p).copied() {
                        Some(NEW) => {
                            if let Some(s) = state.get_mut(p) {
                                *s = OPEN;
                            }
                            stack.push((p, 0));
                        }
                        Some(DONE) => {
                            let add = out.get(p).cloned().unwrap_or_default();
                            if let Some(o) = out.get_mut(b) {
                                o.extend(add);
                            }
                        }
                        _ => {} // a cycle through pass-through edges: ignore
                    },
                    None => {}
                }
            } else {
                stack.pop();
                if let Some(o) = out.get_mut(b) {
                    o.sort_unstable();
                    o.dedup();
                }
                if let Some(s) = state.get_mut(b) {
                    *s = DONE;
                }
                if let Some(&(parent, _)) = stack.last() {
                    let add = out.get(b).cloned().unwrap_or_default();
                    if let Some(o) = out.get_mut(parent) {
                        o.extend(add);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::DepKind;
    use crate::input::dot;
    use crate::input::test_util::{edges, names, src};

    #[test]
    fn log_versions_and_errors() {
        for v in [5, 6, 7] {
            let text = format!("# ninja log v{v}\n1\t2\t3\ta.o\tabc\n");
            let log = parse_log(&text).unwrap();
            assert_eq!(log.version, v);
            assert_eq!(log.entries.len(), 1);
        }
        let e = parse_log("# ninja log v4\n").unwrap_err();
        assert_eq!(
            e,
            (
                1,
                "unknown ninja log header `# ninja log v4`; expected v5, v6 or v7".into()
            )
        );
        assert!(parse_log("garbage").unwrap_err().1.contains("`garbage`"));
        let e = parse_log("# ninja log v5\n1\t2\t3\ta.o\tabc\n1\t2\t3\tb.o\n").unwrap_err();
        assert_eq!(e.0, 3);
        assert!(e.1.starts_with("4 tab-separated fields; expected"), "{e:?}");
        let e = parse_log("# ninja log v5\n\n1\tx\t3\ta.o\tabc\n").unwrap_err();
        assert_eq!(e.0, 3);
        assert!(e.1.starts_with("end `x` is not a whole number"), "{e:?}");
        assert!(
            parse_log("# ninja log v5\n5\t2\t3\ta.o\tabc\n")
                .unwrap_err()
                .1
                .contains("before it starts")
        );
        assert!(
            parse_log("# ninja log v5\n1\t2\t3\ta.o\tzz\n")
                .unwrap_err()
                .1
                .contains("not hexadecimal")
        );
    }

    #[test]
    fn last_build_only_and_later_entry_wins() {
        let log = parse_log(
            "# ninja log v5\n\
             0\t100\t1\ta.o\t1\n\
             0\t150\t1\tb.o\t2\n\
             150\t300\t1\tapp\t3\n\
             0\t80\t1\ta.o\t1\n\
             80\t90\t1\tapp\t3\n\
             90\t95\t1\tapp\t4\n",
        )
        .unwrap();
        assert_eq!(log.builds, 2);
        assert_eq!(log.total, 6);
        let got: Vec<_> = log
            .entries
            .iter()
            .map(|e| (e.output, e.start_ms, e.end_ms))
            .collect();
        assert_eq!(got, [("a.o", 0, 80), ("app", 90, 95)]);
    }

    fn load_str(dot_text: &str, log_text: &str) -> Result<(ModuleGraph, Vec<String>), String> {
        let ds = src("build.dot", dot_text);
        let ls = src(".ninja_log", log_text);
        let g = dot::parse(&ds).map_err(|e| e.to_string())?;
        let mut notes = Vec::new();
        load(&g, &ds, &ls, &mut notes)
            .map(|g| (g, notes))
            .map_err(|e| e.to_string())
    }

    const DOT: &str = r#"digraph ninja {
rankdir="LR"
node [fontsize=10, shape=box, height=0.25]
edge [fontsize=10]
"all" [label="all"]
"p" [label="phony", shape=ellipse]
"p" -> "all"
"app" -> "p" [arrowhead=none]
"gen" -> "p" [arrowhead=none]
"app" [label="app"]
"link" [label="link", shape=ellipse]
"link" -> "app"
"a.o" -> "link" [arrowhead=none]
"b.o" -> "link" [arrowhead=none]
"order" -> "link" [arrowhead=none style=dotted]
"a.o" [label="a.o"]
"a.c" [label="src/a.c"]
"a.c" -> "a.o" [label=" cc"]
"b.o" [label="b.o"]
"b.c" -> "b.o" [label=" cc"]
"order" [label="order"]
"gh" -> "order" [label=" phony"]
"gh" [label="gen.h"]
"g" [label="gen", shape=ellipse]
"g" -> "gh"
"g" -> "gen2.h"
"tool" -> "g" [arrowhead=none]
"stale" [label="stale.o"]
"x.c" -> "stale" [label=" cc"]
"stale" -> "b.c" [label=" copy"]
}"#;

    #[test]
    fn modules_deps_through_phony_and_not_run_edges() {
        let log = "# ninja log v5\n\
                   0\t10\t0\ta.o\taa\n\
                   0\t12\t0\tgen.h\tcc\n\
                   0\t12\t0\tgen2.h\tcc\n\
                   12\t20\t0\tb.o\tbb\n\
                   20\t30\t0\tapp\tdd\n\
                   30\t31\t0\textra\tee\n";
        let (g, notes) = load_str(DOT, log).unwrap();
        assert_eq!(names(&g), ["app", "gen.h", "a.o", "b.o", "extra"]);
        assert_eq!(
            edges(&g),
            [
                ("app".into(), "a.o".into(), DepKind::Full),
                ("app".into(), "b.o".into(), DepKind::Full),
                ("app".into(), "gen.h".into(), DepKind::Full),
            ]
        );
        let b = g.module(g.find("b.o").unwrap());
        assert_eq!((b.duration_s, b.observed_start_s), (0.008, Some(0.012)));
        // `stale.o` and the copy to b.c did not run: passed through, and b.c
        // is not produced by a logged edge, so b.o has no dependency.
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("2 build edges of build.dot have no entry")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("1 entries of the last build are outputs of no build edge")),
            "{notes:?}"
        );
    }

    #[test]
    fn pass_through_unrun_edges_reach_modules() {
        // b.o <- cc <- b.c <- copy (not run) <- stale.o <- cc (ran)
        let log = "# ninja log v5\n0\t5\t0\tstale.o\t1\n5\t9\t0\tb.o\t2\n";
        let (g, _) = load_str(DOT, log).unwrap();
        assert_eq!(edges(&g), [("b.o".into(), "stale.o".into(), DepKind::Full)]);
    }

    #[test]
    fn bad_log_errors_name_the_file_and_line() {
        let e = load_str(DOT, "# ninja log v5\n0\t5\t0\tstale.o\n").unwrap_err();
        assert!(e.starts_with(".ninja_log:2: 4 tab-separated fields"), "{e}");
        let e = load_str(DOT, "# ninja log v3\n").unwrap_err();
        assert_eq!(
            e,
            ".ninja_log:1: unknown ninja log header `# ninja log v3`; expected v5, v6 or v7"
        );
    }
}
