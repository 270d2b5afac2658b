//! The input readers on the real fixtures of `fixtures/`.

use std::collections::HashSet;
use std::path::PathBuf;

use depgraph::input::{Format, LoadOptions, Loaded, load, write_native};
use depgraph::{DepKind, ModuleGraph};

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(rel)
}

const HTML: &str = "cargo-timings/ripgrep-dev-rustc-1.95.html";
const METADATA: &str = "cargo-timings/ripgrep-cargo-metadata.json";
const NINJA_LOG: &str = "ninja/fmt.ninja_log";
const NINJA_DOT: &str = "ninja/fmt-graph.dot";

fn load_fixtures(rels: &[&str]) -> Loaded {
    let inputs: Vec<PathBuf> = rels.iter().map(|r| fixture(r)).collect();
    load(&inputs, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The kind of the edge `dependent` -> `dependency`, if any.
fn edge(g: &ModuleGraph, dependent: &str, dependency: &str) -> Option<DepKind> {
    let a = g
        .find(dependent)
        .unwrap_or_else(|| panic!("no module `{dependent}`"));
    let b = g
        .find(dependency)
        .unwrap_or_else(|| panic!("no module `{dependency}`"));
    g.deps(a).iter().find(|d| d.module == b).map(|d| d.kind)
}

#[test]
fn ripgrep_timings_alone() {
    let l = load_fixtures(&[HTML]);
    let g = &l.graph;
    assert_eq!(l.formats, [Format::CargoTimings]);
    assert_eq!(g.len(), 54);
    // memchr's metadata unblocked aho-corasick.
    assert_eq!(
        edge(g, "aho-corasick v1.1.4", "memchr v2.8.3"),
        Some(DepKind::Metadata)
    );
    assert_eq!(
        edge(
            g,
            "libc v0.2.186 build-script (run)",
            "libc v0.2.186 build-script"
        ),
        Some(DepKind::Full)
    );
    assert_eq!(
        edge(g, "libc v0.2.186", "libc v0.2.186 build-script (run)"),
        Some(DepKind::Full)
    );
    // The binary target as the report writes it.
    assert_eq!(
        edge(g, "ripgrep v15.2.0 rg \"bin\"", "ignore v0.4.29"),
        Some(DepKind::Full)
    );
    let memchr = g.module(g.find("memchr v2.8.3").unwrap());
    assert_eq!(memchr.metadata_s, Some(2.52));
    assert_eq!(memchr.duration_s, 3.0);
    assert_eq!(memchr.observed_start_s, Some(0.11));
    // Build scripts have no metadata time.
    assert_eq!(
        g.module(g.find("libc v0.2.186 build-script").unwrap())
            .metadata_s,
        None
    );
    // One unblocking edge per unit at most.
    assert!(g.ids().all(|id| g.deps(id).len() <= 1));
    assert!(
        l.notes.iter().any(|n| n.contains("cargo metadata")),
        "{:?}",
        l.notes
    );
}

#[test]
fn ripgrep_timings_with_metadata() {
    let alone = load_fixtures(&[HTML]).graph;
    // Given positionally, in either order, or as the option.
    let l = load_fixtures(&[METADATA, HTML]);
    assert_eq!(l.formats, [Format::CargoMetadata, Format::CargoTimings]);
    let opt = load(
        &[fixture(HTML)],
        &LoadOptions {
            cargo_metadata: Some(fixture(METADATA)),
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let g = &l.graph;
    assert_eq!(g.len(), 54);
    assert_eq!(opt.graph.edge_count(), g.edge_count());
    assert!(
        g.edge_count() > alone.edge_count() + 20,
        "{} vs {}",
        g.edge_count(),
        alone.edge_count()
    );
    // Still acyclic: a topological order covers every module.
    assert_eq!(g.topological_order().len(), g.len());
    // Every edge of the report is kept with its kind.
    for id in alone.ids() {
        for d in alone.deps(id) {
            assert_eq!(edge(g, alone.name(id), alone.name(d.module)), Some(d.kind));
        }
    }
    // grep-searcher's lib needs the metadata of memchr, bstr, encoding_rs...
    for dep in [
        "memchr v2.8.3",
        "bstr v1.13.0",
        "encoding_rs v0.8.35",
        "grep-matcher v0.1.9",
        "log v0.4.33",
    ] {
        assert_eq!(
            edge(g, "grep-searcher v0.1.17", dep),
            Some(DepKind::Metadata),
            "{dep}"
        );
    }
    // The binary links every direct dependency fully.
    for dep in [
        "grep v0.4.1",
        "anyhow v1.0.103",
        "lexopt v0.3.2",
        "serde_json v1.0.150",
    ] {
        assert_eq!(
            edge(g, "ripgrep v15.2.0 rg \"bin\"", dep),
            Some(DepKind::Full),
            "{dep}"
        );
    }
    // ...and waits for its own build script's run.
    assert_eq!(
        edge(
            g,
            "ripgrep v15.2.0 rg \"bin\"",
            "ripgrep v15.2.0 build-script (run)"
        ),
        Some(DepKind::Full)
    );
    // serde's lib needs serde_core's metadata and its build script's run.
    assert_eq!(
        edge(g, "serde v1.0.228", "serde_core v1.0.228"),
        Some(DepKind::Metadata)
    );
    assert_eq!(
        edge(g, "serde v1.0.228", "serde v1.0.228 build-script (run)"),
        Some(DepKind::Full)
    );
    // serde_json depends on serde only under `cfg(any())` (never): the
    // metadata lists it, the timings show it was not waited for.
    assert_eq!(edge(g, "serde_json v1.0.150", "serde v1.0.228"), None);
    assert!(
        l.notes
            .iter()
            .any(|n| n.contains("observed start times contradict")),
        "{:?}",
        l.notes
    );
    assert!(l.notes.iter().any(|n| n.contains("added")), "{:?}", l.notes);
    // Every edge agrees with the observed times (10 ms rounding).
    for id in g.ids() {
        let m = g.module(id);
        for d in g.deps(id) {
            let dep = g.module(d.module);
            let ready = dep.observed_start_s.unwrap() + dep.ready_after(d.kind);
            assert!(
                m.observed_start_s.unwrap() + 0.03 >= ready,
                "{} after {}",
                m.name,
                dep.name
            );
        }
    }
}

/// Distinct command hashes of the last build of a ninja log, with a parser
/// of its own: a build restarts where an end time goes backwards.
fn distinct_edges_of_last_build(log: &str) -> usize {
    let rows: Vec<(u64, &str)> = log
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1].parse().unwrap(), f[4])
        })
        .collect();
    let mut start = 0;
    for i in 1..rows.len() {
        if rows[i].0 < rows[i - 1].0 {
            start = i;
        }
    }
    rows[start..]
        .iter()
        .map(|r| r.1)
        .collect::<HashSet<_>>()
        .len()
}

#[test]
fn fmt_ninja() {
    let l = load_fixtures(&[NINJA_LOG, NINJA_DOT]);
    assert_eq!(l.formats, [Format::NinjaLog, Format::Dot]);
    let g = &l.graph;
    let log = std::fs::read_to_string(fixture(NINJA_LOG)).unwrap();
    assert_eq!(g.len(), distinct_edges_of_last_build(&log));
    assert_eq!(g.len(), 77);
    let lib = g.find("libfmt.a").unwrap();
    let mut deps: Vec<&str> = g.deps(lib).iter().map(|d| g.name(d.module)).collect();
    deps.sort();
    assert_eq!(
        deps,
        [
            "CMakeFiles/fmt.dir/src/format.cc.o",
            "CMakeFiles/fmt.dir/src/os.cc.o"
        ]
    );
    assert!(g.find("all").is_none());
    assert!(g.find("test/all").is_none());
    let m = g.module(lib);
    assert_eq!((m.observed_start_s, m.duration_s), (Some(4.603), 0.259));
    // Order-only: libfmt-c.a waits for libfmt.a.
    assert_eq!(edge(g, "libfmt-c.a", "libfmt.a"), Some(DepKind::Full));
    // Tests link the test-main library and gtest.
    assert_eq!(
        edge(g, "bin/args-test", "test/libtest-main.a"),
        Some(DepKind::Full)
    );
    assert_eq!(g.topological_order().len(), g.len());
    println!("{:#?}", l.notes);
}

/// The fixtures, converted to the native format, use only documented fields
/// and read back to the same graph.
#[test]
fn fixtures_round_trip_through_native_json() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schema/module-graph.schema.json")).unwrap();
    let documented: HashSet<&str> = schema["$defs"]["module"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for rels in [&[HTML][..], &[HTML, METADATA], &[NINJA_DOT, NINJA_LOG]] {
        let g = load_fixtures(rels).graph;
        let mut out = Vec::new();
        write_native(&g, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        for m in v["modules"].as_array().unwrap() {
            for k in m.as_object().unwrap().keys() {
                assert!(documented.contains(k.as_str()), "undocumented field `{k}`");
            }
        }
        let p = dir.path().join("graph.json");
        std::fs::write(&p, &out).unwrap();
        let back = load(&[p], &LoadOptions::default()).unwrap();
        assert_eq!(back.formats, [Format::Native]);
        let back = back.graph;
        assert_eq!(
            g.modules().collect::<Vec<_>>(),
            back.modules().collect::<Vec<_>>()
        );
        assert_eq!(g.edge_count(), back.edge_count());
        for id in g.ids() {
            let mut a: Vec<_> = g
                .deps(id)
                .iter()
                .map(|d| (g.name(d.module), d.kind as u8))
                .collect();
            let mut b: Vec<_> = back
                .deps(id)
                .iter()
                .map(|d| (back.name(d.module), d.kind as u8))
                .collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
    }
}

/// A small deterministic random generator (xorshift), for damaging inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A DOT file and a times CSV made from the ripgrep report, for the DOT plus
/// times combination.
fn dot_and_times() -> (String, String) {
    let g = load_fixtures(&[HTML]).graph;
    let mut dot = String::from("digraph \"ripgrep\" {\n  rankdir=LR // comment\n");
    let mut csv = String::from("# name,duration_s\nname,duration_s\n");
    for id in g.ids() {
        let q = g.name(id).replace('"', "\\\"");
        dot.push_str(&format!("  n{} [label=\"{q}\", shape=box];\n", id.0));
        for d in g.deps(id) {
            dot.push_str(&format!("  n{} -> n{} [style=dotted]\n", id.0, d.module.0));
        }
        csv.push_str(&format!(
            "\"{}\",{}\n",
            g.name(id).replace('"', "\"\""),
            g.duration(id)
        ));
    }
    dot.push_str("}\n");
    (dot, csv)
}

#[test]
fn dot_plus_times_rebuilds_the_graph() {
    let (dot, csv) = dot_and_times();
    let dir = tempfile::tempdir().unwrap();
    let (d, t) = (dir.path().join("graph.dot"), dir.path().join("times.csv"));
    std::fs::write(&d, dot).unwrap();
    std::fs::write(&t, csv).unwrap();
    let l = load(&[d, t], &LoadOptions::default()).unwrap();
    assert_eq!(l.formats, [Format::Dot, Format::Times]);
    let g = load_fixtures(&[HTML]).graph;
    assert_eq!(l.graph.len(), g.len());
    assert_eq!(l.graph.edge_count(), g.edge_count());
    assert_eq!(
        edge(&l.graph, "aho-corasick v1.1.4", "memchr v2.8.3"),
        Some(DepKind::Full)
    );
}

/// Truncated and corrupted fixtures never make `load` panic: it returns a
/// graph or a one-line error.
#[test]
fn damaged_fixtures_never_panic() {
    let (dot, csv) = dot_and_times();
    let mut native = Vec::new();
    write_native(&load_fixtures(&[HTML, METADATA]).graph, &mut native).unwrap();
    let read = |r: &str| std::fs::read(fixture(r)).unwrap();
    // (file name, content) per input of each combination.
    let combos: Vec<Vec<(&str, Vec<u8>)>> = vec![
        vec![("cargo-timing.html", read(HTML))],
        vec![
            ("cargo-timing.html", read(HTML)),
            ("metadata.json", read(METADATA)),
        ],
        vec![
            ("graph.dot", read(NINJA_DOT)),
            (".ninja_log", read(NINJA_LOG)),
        ],
        vec![("graph.json", native)],
        vec![
            ("graph.dot", dot.into_bytes()),
            ("times.csv", csv.into_bytes()),
        ],
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0;
    let mut ok = 0;
    for combo in &combos {
        for damaged in 0..combo.len() {
            let original = &combo[damaged].1;
            let mut variants: Vec<Vec<u8>> = Vec::new();
            // Prefixes, at every byte offset near the start and spread over the file.
            for len in (0..64).chain((0..60).map(|k| k * original.len() / 60)) {
                variants.push(original[..len.min(original.len())].to_vec());
            }
            // A few bytes replaced, inserted or removed.
            const INTERESTING: &[u8] = b"{}[]\",:;=\t\n\r\\0123456789-.e+<>#/*ax\xC3\xA9\xFF\x00";
            for _ in 0..80 {
                let mut v = original.clone();
                for _ in 0..1 + rng.below(6) {
                    let at = rng.below(v.len());
                    let b = if rng.below(4) == 0 {
                        rng.next() as u8
                    } else {
                        INTERESTING[rng.below(INTERESTING.len())]
                    };
                    match rng.below(3) {
                        0 if at < v.len() => v[at] = b,
                        1 => v.insert(at.min(v.len()), b),
                        _ if at < v.len() => {
                            v.remove(at);
                        }
                        _ => {}
                    }
                }
                variants.push(v);
            }
            for v in variants {
                let paths: Vec<PathBuf> = combo
                    .iter()
                    .enumerate()
                    .map(|(i, (name, content))| {
                        let p = dir.path().join(name);
                        std::fs::write(&p, if i == damaged { &v } else { content }).unwrap();
                        p
                    })
                    .collect();
                runs += 1;
                match load(&paths, &LoadOptions::default()) {
                    Ok(_) => ok += 1,
                    Err(e) => {
                        let msg = e.to_string();
                        assert!(!msg.contains('\n') && !msg.is_empty(), "{msg:?}");
                    }
                }
            }
        }
    }
    // Some damage is harmless (inside a name, a comment...), most is not.
    assert!(ok > 0 && ok < runs, "{ok} of {runs}");
}

mod random_bytes {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Random bytes, detected or forced to each format, alone or paired.
        #[test]
        fn never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), format in 0usize..7, pair in 0usize..4) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("input");
            std::fs::write(&p, &bytes).unwrap();
            let mut inputs = vec![p];
            match pair {
                1 => inputs.push(fixture(NINJA_DOT)),
                2 => inputs.push(fixture(NINJA_LOG)),
                3 => inputs.push(fixture(HTML)),
                _ => {}
            }
            let opts = LoadOptions {
                input_format: Format::ALL.get(format).copied(),
                ..LoadOptions::default()
            };
            if let Err(e) = load(&inputs, &opts) {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }

        /// Random text made of DOT, JSON and CSV punctuation.
        #[test]
        fn never_panic_on_structured_noise(
            text in "[{}\\[\\]\",:;=\\-> \n#/*a-c0-9.<>]{0,300}",
            head in prop::sample::select(vec!["digraph {", "{\"modules\":[", "# ninja log v5\n", "a,1\n", "<html>const UNIT_DATA = [", "graph g {", ""]),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("input");
            std::fs::write(&p, format!("{head}{text}")).unwrap();
            let _ = load(std::slice::from_ref(&p), &LoadOptions::default());
            let times = dir.path().join("times.csv");
            std::fs::write(&times, "a,1\nb,2\n").unwrap();
            let _ = load(&[p, times], &LoadOptions::default());
        }
    }
}
