//! End-to-end tests of the `critical-path` binary: real processes, real
//! fixtures, exit codes and output. Results are checked against an
//! independent longest-path implementation written here, not against the
//! library's own numbers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_critical-path"));
    c.current_dir(root());
    c.env_remove("RUST_LOG");
    c
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(args: &[&str]) -> Value {
    let o = run(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

const MONOREPO: &str = "fixtures/monorepo-1000.json";
const CARGO_HTML: &str = "fixtures/cargo-timings/ripgrep-dev-rustc-1.95.html";
const CARGO_META: &str = "fixtures/cargo-timings/ripgrep-cargo-metadata.json";
const NINJA_LOG: &str = "fixtures/ninja/fmt.ninja_log";
const NINJA_DOT: &str = "fixtures/ninja/fmt-graph.dot";

/// An independent reference: a module graph as plain maps, with the
/// longest path computed by memoised recursion over names.
struct Reference {
    duration: HashMap<String, f64>,
    /// (dependency, lag after the dependency's start) per module.
    deps: HashMap<String, Vec<(String, f64)>>,
}

impl Reference {
    /// From the toolkit's native JSON (as `export` prints it).
    fn from_native(v: &Value) -> Reference {
        let mut duration = HashMap::new();
        let mut meta = HashMap::new();
        for m in v["modules"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap().to_owned();
            let d = m["duration_s"].as_f64().unwrap();
            duration.insert(name.clone(), d);
            meta.insert(name, m["metadata_s"].as_f64().unwrap_or(d));
        }
        let mut deps: HashMap<String, Vec<(String, f64)>> = HashMap::new();
        for m in v["modules"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap().to_owned();
            let e = deps.entry(name).or_default();
            for d in m["deps"].as_array().into_iter().flatten() {
                let d = d.as_str().unwrap();
                e.push((d.to_owned(), duration[d]));
            }
            for d in m["metadata_deps"].as_array().into_iter().flatten() {
                let d = d.as_str().unwrap();
                e.push((d.to_owned(), meta[d]));
            }
        }
        Reference { duration, deps }
    }

    fn earliest_start(&self, name: &str, memo: &mut HashMap<String, f64>) -> f64 {
        if let Some(&v) = memo.get(name) {
            return v;
        }
        let mut es: f64 = 0.0;
        for (d, lag) in self.deps.get(name).into_iter().flatten() {
            es = es.max(self.earliest_start(d, memo) + lag);
        }
        memo.insert(name.to_owned(), es);
        es
    }

    fn critical_path(&self) -> f64 {
        let mut memo = HashMap::new();
        self.duration
            .iter()
            .map(|(n, d)| self.earliest_start(n, &mut memo) + d)
            .fold(0.0, f64::max)
    }

    /// Longest time from a module's start to the end of the build.
    fn tail(&self, name: &str, memo: &mut HashMap<String, f64>) -> f64 {
        if let Some(&v) = memo.get(name) {
            return v;
        }
        let mut best = self.duration[name];
        for (dependent, deps) in &self.deps {
            for (d, lag) in deps {
                if d == name {
                    best = best.max(lag + self.tail(dependent, memo));
                }
            }
        }
        memo.insert(name.to_owned(), best);
        best
    }

    /// The same graph with one module's duration (and so its lags) scaled.
    fn scaled(&self, name: &str, factor: f64) -> Reference {
        let mut r = Reference {
            duration: self.duration.clone(),
            deps: self.deps.clone(),
        };
        *r.duration.get_mut(name).unwrap() *= factor;
        for deps in r.deps.values_mut() {
            for (d, lag) in deps.iter_mut() {
                if d == name {
                    *lag *= factor;
                }
            }
        }
        r
    }

    fn earliest_starts(&self) -> HashMap<String, f64> {
        let mut memo = HashMap::new();
        for n in self.duration.keys() {
            self.earliest_start(n, &mut memo);
        }
        memo
    }
}

/// Each step of a reported path depends on the one before it.
fn assert_chain(reference: &Reference, steps: &[Value], context: &str) {
    for w in steps.windows(2) {
        let (a, b) = (
            w[0]["name"].as_str().unwrap(),
            w[1]["name"].as_str().unwrap(),
        );
        assert!(
            reference.deps[b].iter().any(|(d, _)| d == a),
            "{context}: {b} does not depend on {a}"
        );
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn analyze_monorepo_agrees_with_reference() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(MONOREPO)).unwrap()).unwrap();
    let reference = Reference::from_native(&fixture);
    let r = json(&["analyze", MONOREPO, "--jobs", "8", "--format", "json"]);
    assert_eq!(r["modules"], 1000);
    let cp = r["critical_path"]["duration_s"].as_f64().unwrap();
    assert!(
        close(cp, reference.critical_path()),
        "{cp} vs {}",
        reference.critical_path()
    );
    let total: f64 = reference.duration.values().sum();
    assert!(close(r["total_work_s"].as_f64().unwrap(), total));
    assert!(close(r["parallelism"].as_f64().unwrap(), total / cp));
    let makespan = r["makespan_s"].as_f64().unwrap();
    assert!(makespan + 1e-9 >= cp && makespan <= total + 1e-9);
    assert!(
        makespan + 1e-9 >= total / 8.0,
        "8 workers cannot beat total/8"
    );
    assert_eq!(r["observed_wall_s"], Value::Null);

    // The path is a chain of real dependencies whose durations add up.
    let steps = r["critical_path"]["modules"].as_array().unwrap();
    let sum: f64 = steps.iter().map(|s| s["span_s"].as_f64().unwrap()).sum();
    assert!(close(sum, cp));
    assert_chain(&reference, steps, "monorepo");
    let es = reference.earliest_starts();
    for s in steps {
        let name = s["name"].as_str().unwrap();
        assert!(close(s["start_s"].as_f64().unwrap(), es[name]));
        let imp = s["potential_improvement_s"].as_f64().unwrap();
        assert!(imp >= -1e-9 && imp <= s["duration_s"].as_f64().unwrap() + 1e-9);
    }
}

#[test]
fn slack_agrees_with_reference() {
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(MONOREPO)).unwrap()).unwrap();
    let reference = Reference::from_native(&fixture);
    let es = reference.earliest_starts();
    let cp = reference.critical_path();
    let rows = json(&["slack", MONOREPO, "--format", "json"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1000);
    let mut last = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for r in rows {
        let name = r["name"].as_str().unwrap();
        let slack = r["slack_s"].as_f64().unwrap();
        let earliest = r["earliest_start_s"].as_f64().unwrap();
        assert!(slack >= last.0, "least slack first: {name}");
        assert!(
            slack > last.0 || earliest >= last.1,
            "equal slack: earliest start first: {name}"
        );
        last = (slack, earliest);
        assert!(close(r["earliest_start_s"].as_f64().unwrap(), es[name]));
        // A module with slack s can start s later and still finish by the
        // end: its latest start plus the longest chain after it is the path.
        assert!(
            r["latest_start_s"].as_f64().unwrap() + r["duration_s"].as_f64().unwrap() <= cp + 1e-6
        );
    }
    assert!(close(rows[0]["slack_s"].as_f64().unwrap(), 0.0));
}

/// Cargo's UNIT_DATA read here independently of the library's reader.
fn cargo_reference() -> (Reference, f64) {
    let html = std::fs::read_to_string(root().join(CARGO_HTML)).unwrap();
    let start = html.find("const UNIT_DATA = ").unwrap() + "const UNIT_DATA = ".len();
    let end = start + html[start..].find("];").unwrap() + 1;
    let units: Vec<Value> = serde_json::from_str(&html[start..end]).unwrap();
    let key = |u: &Value| u["i"].to_string();
    let by_i: HashMap<String, &Value> = units.iter().map(|u| (key(u), u)).collect();
    let mut duration = HashMap::new();
    let mut deps: HashMap<String, Vec<(String, f64)>> = HashMap::new();
    let (mut first, mut last) = (f64::INFINITY, f64::NEG_INFINITY);
    for u in &units {
        let d = u["duration"].as_f64().unwrap();
        duration.insert(key(u), d);
        first = first.min(u["start"].as_f64().unwrap());
        last = last.max(u["start"].as_f64().unwrap() + d);
        let rmeta = u["sections"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s[0] == "frontend"))
            .map_or(d, |s| s[1]["end"].as_f64().unwrap().min(d));
        for x in u["unblocked_units"].as_array().unwrap() {
            deps.entry(x.to_string()).or_default().push((key(u), d));
        }
        for x in u["unblocked_rmeta_units"].as_array().unwrap() {
            deps.entry(x.to_string()).or_default().push((key(u), rmeta));
        }
    }
    assert_eq!(by_i.len(), units.len());
    // Observed wall time: first start to last end.
    (Reference { duration, deps }, last - first)
}

#[test]
fn cargo_timings_agree_with_reference() {
    let (reference, wall) = cargo_reference();
    let r = json(&["analyze", CARGO_HTML, "--jobs", "2", "--format", "json"]);
    assert_eq!(r["modules"], 54);
    let cp = r["critical_path"]["duration_s"].as_f64().unwrap();
    assert!(
        close(cp, reference.critical_path()),
        "{cp} vs {}",
        reference.critical_path()
    );
    let observed = r["observed_wall_s"].as_f64().unwrap();
    assert!(close(observed, wall), "{observed} vs {wall}");
    assert!(
        cp <= observed + 1e-6,
        "a real build cannot beat its critical path"
    );
    // The observed chain ends with the unit that finished last.
    let chain = r["observed_chain"]["modules"].as_array().unwrap();
    let last = chain.last().unwrap();
    let first = chain.first().unwrap();
    assert!(close(
        last["end_s"].as_f64().unwrap() - first["start_s"].as_f64().unwrap()
            + first["wait_s"].as_f64().unwrap(),
        wall
    ));
    assert!(chain.iter().all(|m| m["wait_s"].as_f64().unwrap() >= 0.0));
}

#[test]
fn cargo_metadata_adds_edges_and_stays_under_wall_time() {
    let html_only = json(&["analyze", CARGO_HTML, "--format", "json"]);
    let with_meta = json(&[
        "analyze",
        CARGO_HTML,
        "--cargo-metadata",
        CARGO_META,
        "--format",
        "json",
    ]);
    assert!(with_meta["edges"].as_u64() > html_only["edges"].as_u64());
    let cp = with_meta["critical_path"]["duration_s"].as_f64().unwrap();
    let cp0 = html_only["critical_path"]["duration_s"].as_f64().unwrap();
    assert!(cp + 1e-9 >= cp0, "more edges cannot shorten the path");
    assert!(cp <= with_meta["observed_wall_s"].as_f64().unwrap() + 1e-6);
    // The same edges exported and recomputed independently.
    let exported = json(&["export", CARGO_HTML, "--cargo-metadata", CARGO_META]);
    assert!(close(cp, Reference::from_native(&exported).critical_path()));
}

#[test]
fn ninja_agrees_with_reference() {
    let r = json(&[
        "analyze", NINJA_LOG, NINJA_DOT, "--jobs", "2", "--format", "json",
    ]);
    let exported = json(&["export", NINJA_LOG, NINJA_DOT]);
    let reference = Reference::from_native(&exported);
    assert_eq!(
        r["modules"].as_u64().unwrap() as usize,
        reference.duration.len()
    );
    let cp = r["critical_path"]["duration_s"].as_f64().unwrap();
    assert!(close(cp, reference.critical_path()));
    let wall = r["observed_wall_s"].as_f64().unwrap();
    assert!(cp <= wall + 1e-6 && wall > 100.0, "cp {cp}, wall {wall}");
    // Order of inputs does not matter.
    let swapped = json(&[
        "analyze", NINJA_DOT, NINJA_LOG, "--jobs", "2", "--format", "json",
    ]);
    assert_eq!(swapped["critical_path"], r["critical_path"]);
}

#[test]
fn text_report_reads_well() {
    let o = run(&["analyze", CARGO_HTML, "--jobs", "2", "--top", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for needle in [
        "critical path",
        "parallelism",
        "makespan, 2 jobs",
        "observed wall time",
        "potential improvement",
        "observed critical chain",
        "3 longest paths",
        "ripgrep v15.2.0",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn budget_gate_exits_1() {
    let r = json(&["analyze", MONOREPO, "--format", "json"]);
    let cp = r["critical_path"]["duration_s"].as_f64().unwrap();
    let under = run(&[
        "analyze",
        MONOREPO,
        "--max-critical-path",
        &format!("{}", cp + 1.0),
    ]);
    assert_eq!(under.status.code(), Some(0));
    let over = run(&[
        "analyze",
        MONOREPO,
        "--max-critical-path",
        &format!("{}", cp - 1.0),
    ]);
    assert_eq!(over.status.code(), Some(1));
    assert!(
        stderr(&over).contains("over the budget"),
        "{}",
        stderr(&over)
    );
    assert!(!stdout(&over).is_empty(), "the report still prints");
}

#[test]
fn target_restricts_to_its_dependencies() {
    let full = json(&["analyze", MONOREPO, "--format", "json"]);
    let first = full["critical_path"]["modules"][0]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = json(&["analyze", MONOREPO, "--target", &first, "--format", "json"]);
    assert_eq!(r["target"], first.as_str());
    let path = r["critical_path"]["modules"].as_array().unwrap();
    assert_eq!(path.last().unwrap()["name"], first.as_str());
    assert!(r["modules"].as_u64() < full["modules"].as_u64());

    let o = run(&["analyze", MONOREPO, "--target", "no-such-module"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-module"));
}

#[test]
fn what_if_split_and_set() {
    let full = json(&["analyze", MONOREPO, "--format", "json"]);
    let cp = full["critical_path"]["duration_s"].as_f64().unwrap();
    let top = full["critical_path"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|a, b| {
            a["potential_improvement_s"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["potential_improvement_s"].as_f64().unwrap())
        })
        .unwrap();
    let name = top["name"].as_str().unwrap();
    let gain = top["potential_improvement_s"].as_f64().unwrap();

    // Setting it to zero saves exactly its potential improvement.
    let r = json(&[
        "what-if",
        MONOREPO,
        "--set",
        &format!("{name}=0"),
        "--format",
        "json",
    ]);
    assert!(close(r["before_s"].as_f64().unwrap(), cp));
    assert!(close(r["saved_s"].as_f64().unwrap(), gain), "{r}");

    // Splitting in two saves at most half its duration, and never lengthens.
    let r = json(&[
        "what-if",
        MONOREPO,
        "--split",
        &format!("{name}=2"),
        "--format",
        "json",
    ]);
    let saved = r["saved_s"].as_f64().unwrap();
    assert!(saved >= -1e-9 && saved <= top["duration_s"].as_f64().unwrap() / 2.0 + 1e-6);

    // Changes apply in command-line order.
    let a = json(&[
        "what-if",
        MONOREPO,
        "--set",
        &format!("{name}=10"),
        "--scale",
        &format!("{name}=0"),
        "--format",
        "json",
    ]);
    let b = json(&[
        "what-if",
        MONOREPO,
        "--scale",
        &format!("{name}=0"),
        "--set",
        &format!("{name}=10"),
        "--format",
        "json",
    ]);
    let c = json(&[
        "what-if",
        MONOREPO,
        "--set",
        &format!("{name}=10"),
        "--format",
        "json",
    ]);
    assert!(
        close(a["saved_s"].as_f64().unwrap(), gain),
        "set then scale: the scale wins"
    );
    assert_eq!(b["after_s"], c["after_s"], "scale then set: the set wins");

    let o = run(&["what-if", MONOREPO, "--split", &format!("{name}=zero")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--split"), "{}", stderr(&o));
}

#[test]
fn svg_and_trace_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("cp.svg");
    let trace = dir.path().join("cp.trace.json");
    let o = run(&[
        "analyze",
        CARGO_HTML,
        "--svg",
        svg.to_str().unwrap(),
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = std::fs::read_to_string(svg).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert!(svg.contains("ripgrep v15.2.0"));
    let t: Value = serde_json::from_str(&std::fs::read_to_string(trace).unwrap()).unwrap();
    let events = t["traceEvents"].as_array().unwrap();
    let complete = events.iter().filter(|e| e["ph"] == "X").count();
    assert!(
        complete >= 54,
        "one event per unit, plus the critical path track"
    );
}

#[test]
fn outputs_never_overwrite_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("graph.json");
    std::fs::copy(root().join(MONOREPO), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let o = run(&[
        "analyze",
        input.to_str().unwrap(),
        "--svg",
        input.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

/// Whether some 30-character stretch of `s` occurs twice (an error whose
/// cause is printed both in its message and again as its source).
fn repeats_itself(s: &str) -> bool {
    let idx: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
    idx.windows(31).any(|w| s[w[1]..].contains(&s[w[0]..w[30]]))
}

#[test]
fn repeats_itself_detects_a_doubled_cause() {
    assert!(repeats_itself(
        "g.json: dependency cycle: `a` depends on `b`: dependency cycle: `a` depends on `b`"
    ));
    assert!(!repeats_itself(
        "g.json: dependency cycle: `a` depends on `b` depends on `a`"
    ));
}

/// Every kind of bad input: exit 2, one line on stderr naming the file,
/// never a panic.
#[test]
fn bad_inputs_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        ("empty.json", "", &["empty.json"]),
        (
            "truncated.json",
            r#"{"modules":[{"name":"a","duration_s":1"#,
            &["truncated.json"],
        ),
        (
            "wrongtype.json",
            r#"{"modules":[{"name":"a","duration_s":"x"}]}"#,
            &["wrongtype.json", "duration_s"],
        ),
        (
            "negative.json",
            r#"{"modules":[{"name":"a","duration_s":-1}]}"#,
            &["negative.json:1:", "duration_s"],
        ),
        (
            "unknown.json",
            r#"{"modules":[{"name":"a","duration_s":1,"deps":["ghost"]}]}"#,
            &["unknown.json", "`a`", "`ghost`"],
        ),
        (
            "cycle.json",
            r#"{"modules":[{"name":"a","duration_s":1,"deps":["b"]},{"name":"b","duration_s":1,"deps":["a"]}]}"#,
            &["cycle.json", "cycle", "`a`", "`b`"],
        ),
        (
            "duplicate.json",
            r#"{"modules":[{"name":"a","duration_s":1},{"name":"a","duration_s":2}]}"#,
            &["duplicate.json", "`a`"],
        ),
        ("nomodules.json", r#"{"modules":[]}"#, &["nomodules.json"]),
        (
            "bad.html",
            "<html><body>no timings here</body></html>",
            &["bad.html"],
        ),
        (
            "badunits.html",
            "<script>const UNIT_DATA = [{\"i\":0,\"name\":\"a\"];\n</script>",
            &["badunits.html"],
        ),
        (
            "bad.ninja_log",
            "# ninja log v4\n1\t2\t3\tout\tabc\n",
            &["bad.ninja_log:1", "v4"],
        ),
        (
            "badline.ninja_log",
            "# ninja log v5\n1\t2\tnot-enough\n",
            &["badline.ninja_log", ":2"],
        ),
        ("binary.bin", "\u{0}\u{1}\u{2}garbage", &["binary.bin"]),
    ];
    for (name, content, needles) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let mut cmd = bin();
        cmd.arg("analyze").arg(&p);
        if name.ends_with(".ninja_log") {
            // A log is read with its graph; the error must still be the log's.
            cmd.arg(NINJA_DOT);
        }
        let o = cmd.output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(!err.contains("panicked"), "{name}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{name}: one line, got {err}"
        );
        assert!(
            !repeats_itself(&err),
            "{name}: the cause is said twice: {err}"
        );
        for n in *needles {
            assert!(err.contains(n), "{name}: {err:?} should mention {n:?}");
        }
    }

    // DOT with a syntax error, and DOT with a times file missing a module.
    let dot = dir.path().join("bad.dot");
    std::fs::write(&dot, "digraph g {\n  a -> b\n  b -> -> c\n}\n").unwrap();
    let times = dir.path().join("times.csv");
    std::fs::write(&times, "a,1\nb,2\nc,3\n").unwrap();
    let o = bin().arg("analyze").arg(&dot).arg(&times).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.dot:3"), "{}", stderr(&o));

    let missing = dir.path().join("missing.txt");
    let o = bin().arg("analyze").arg(&missing).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.txt"));
}

#[test]
fn dot_plus_times() {
    let dir = tempfile::tempdir().unwrap();
    let dot = dir.path().join("g.dot");
    // Bazel's `query --output=graph`: a -> b means a depends on b.
    std::fs::write(
        &dot,
        "digraph mygraph {\n  node [shape=box];\n  \"//app\" -> \"//lib\"\n  \"//app\" -> \"//util\"\n  \"//lib\" -> \"//util\"\n}\n",
    )
    .unwrap();
    let times = dir.path().join("times.csv");
    std::fs::write(&times, "name,duration_s\n//app,5\n//lib,10\n//util,3\n").unwrap();
    let r = json(&[
        "analyze",
        dot.to_str().unwrap(),
        times.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r["critical_path"]["duration_s"], 18.0);
    let names: Vec<_> = r["critical_path"]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["//util", "//lib", "//app"]);
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(run(&["analyze"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["analyze", MONOREPO, "--jobs", "0"]).status.code(),
        Some(2)
    );
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Exit codes"));
}

/// Slack and what-if on the real fixtures, against the reference: slack =
/// (critical path - tail) - earliest start; scaling a module by a factor
/// gives the reference's critical path of the scaled graph.
#[test]
fn slack_and_what_if_on_real_fixtures_agree_with_reference() {
    let fixtures: [&[&str]; 3] = [
        &[CARGO_HTML],
        &[CARGO_HTML, CARGO_META],
        &[NINJA_LOG, NINJA_DOT],
    ];
    for inputs in fixtures {
        let exported = json(&[&["export"], inputs].concat());
        let reference = Reference::from_native(&exported);
        let cp = reference.critical_path();
        let es = reference.earliest_starts();
        let mut tails = HashMap::new();

        let rows = json(&[&["slack"], inputs, &["--format", "json"]].concat());
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), reference.duration.len(), "{inputs:?}");
        for r in rows {
            let name = r["name"].as_str().unwrap();
            let latest = cp - reference.tail(name, &mut tails);
            assert!(
                close(r["earliest_start_s"].as_f64().unwrap(), es[name]),
                "{inputs:?} {name}"
            );
            assert!(
                close(r["latest_start_s"].as_f64().unwrap(), latest),
                "{inputs:?} {name}"
            );
            assert!(
                close(r["slack_s"].as_f64().unwrap(), (latest - es[name]).max(0.0)),
                "{inputs:?} {name}"
            );
        }

        // What-if: halve, then remove, each module of the critical path.
        let analysis = json(&[&["analyze"], inputs, &["--format", "json"]].concat());
        for m in analysis["critical_path"]["modules"].as_array().unwrap() {
            let name = m["name"].as_str().unwrap();
            for factor in [0.5, 0.0] {
                let change = format!("{name}={factor}");
                let r = json(
                    &[
                        &["what-if"],
                        inputs,
                        &["--scale", &change, "--format", "json"],
                    ]
                    .concat(),
                );
                let after = reference.scaled(name, factor).critical_path();
                assert!(
                    close(r["before_s"].as_f64().unwrap(), cp),
                    "{inputs:?} {change}"
                );
                assert!(
                    close(r["after_s"].as_f64().unwrap(), after),
                    "{inputs:?} {change}: {r}"
                );
                if factor == 0.0 {
                    let gain = m["potential_improvement_s"].as_f64().unwrap();
                    assert!(
                        close(r["saved_s"].as_f64().unwrap(), gain),
                        "{inputs:?} {change}"
                    );
                }
            }
        }
    }
}

const CODEOWNERS: &str = "fixtures/codeowners/monorepo-1000.CODEOWNERS";

/// Each module's owners by the CODEOWNERS engine itself (depgraph), asked
/// for the module's `path` as it is; no path, no owners.
fn engine_owners(fixture: &Value) -> HashMap<String, Vec<String>> {
    use codeowners::{CodeOwners, Dialect};
    let (co, warnings) = CodeOwners::load(&root().join(CODEOWNERS), Dialect::GitHub).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    fixture["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let owners = m["path"]
                .as_str()
                .map(|p| co.owners_of_dir(p).into_iter().map(str::to_owned).collect())
                .unwrap_or_default();
            (m["name"].as_str().unwrap().to_owned(), owners)
        })
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

fn monorepo() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(MONOREPO)).unwrap()).unwrap()
}

#[test]
fn codeowners_adds_owners_to_the_critical_path() {
    let fixture = monorepo();
    let expected = engine_owners(&fixture);
    let r = json(&[
        "analyze",
        MONOREPO,
        "--codeowners",
        CODEOWNERS,
        "--format",
        "json",
    ]);
    assert_eq!(r["codeowners"], CODEOWNERS);
    assert_eq!(r["team"], Value::Null);
    let steps = r["critical_path"]["modules"].as_array().unwrap();
    for s in steps {
        let name = s["name"].as_str().unwrap();
        assert_eq!(strings(&s["owners"]), expected[name], "{name}");
    }
    // A few by hand: a library, an app with two owners, a module without a path.
    let of = |name: &str| {
        let s = steps.iter().find(|s| s["name"] == name).unwrap();
        strings(&s["owners"])
    };
    assert_eq!(of("core-0002"), ["@org/foundation"]);
    assert_eq!(of("api-0937"), ["@org/apps", "@org/identity"]);
    assert!(of("feeds-0056").is_empty(), "no path, no owners");
    // The fixture's critical path crosses several teams.
    let teams: std::collections::BTreeSet<String> =
        steps.iter().flat_map(|s| strings(&s["owners"])).collect();
    assert!(teams.len() >= 5, "{teams:?}");

    // Without --codeowners: the field is there, empty.
    let plain = json(&["analyze", MONOREPO, "--format", "json"]);
    assert_eq!(plain["codeowners"], Value::Null);
    for s in plain["critical_path"]["modules"].as_array().unwrap() {
        assert_eq!(s["owners"], serde_json::json!([]));
    }

    // Text: an owners column with the same owners.
    let o = run(&["analyze", MONOREPO, "--codeowners", CODEOWNERS]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let header = text
        .lines()
        .find(|l| l.contains("potential improvement") && l.contains('#'))
        .unwrap();
    assert!(header.trim_end().ends_with("owners"), "{header}");
    for s in steps {
        let name = s["name"].as_str().unwrap();
        let line = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"));
        let owners = expected[name].join(" ");
        let owners = if owners.is_empty() {
            "-".into()
        } else {
            owners
        };
        assert!(line.trim_end().ends_with(&owners), "{line}");
    }
}

#[test]
fn team_critical_path_ends_at_the_teams_last_module() {
    let fixture = monorepo();
    let owners = engine_owners(&fixture);
    let reference = Reference::from_native(&json(&["export", MONOREPO]));
    let slack = json(&["slack", MONOREPO, "--format", "json"]);
    let end: HashMap<String, f64> = slack
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let es = m["earliest_start_s"].as_f64().unwrap();
            let d = m["duration_s"].as_f64().unwrap();
            (m["name"].as_str().unwrap().to_owned(), es + d)
        })
        .collect();
    // Module ids are the fixture's order: ties go to the first.
    let order: Vec<String> = fixture["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect();
    for team in [
        "@org/payments",
        "@org/data",
        "@org/identity",
        "@org/foundation",
    ] {
        let mine: Vec<&String> = order
            .iter()
            .filter(|n| owners[*n].iter().any(|o| o == team))
            .collect();
        let last = mine.iter().map(|n| end[*n]).fold(0.0, f64::max);
        let expected = mine.iter().find(|n| close(end[**n], last)).unwrap();

        let r = json(&[
            "analyze",
            MONOREPO,
            "--codeowners",
            CODEOWNERS,
            "--team",
            team,
            "--format",
            "json",
        ]);
        let t = &r["team"];
        assert_eq!(t["name"], team);
        assert_eq!(t["target"].as_str().unwrap(), expected.as_str(), "{team}");
        let steps = t["modules"].as_array().unwrap();
        assert_eq!(steps.last().unwrap()["name"], t["target"]);
        let first = steps[0]["name"].as_str().unwrap();
        assert!(reference.deps[first].is_empty(), "{team}: {first} has deps");
        assert_chain(&reference, steps, team);
        let es = reference.earliest_starts();
        let duration = t["duration_s"].as_f64().unwrap();
        assert!(close(duration, last), "{team}: {duration} vs {last}");
        let mut spans = 0.0;
        let mut other_s = 0.0;
        let mut other_teams = std::collections::BTreeSet::new();
        for s in steps {
            let name = s["name"].as_str().unwrap();
            assert!(close(s["start_s"].as_f64().unwrap(), es[name]), "{name}");
            assert_eq!(strings(&s["owners"]), owners[name], "{name}");
            let other = !owners[name].iter().any(|o| o == team);
            assert_eq!(s["other_team"], other, "{team}: {name}");
            let span = s["span_s"].as_f64().unwrap();
            spans += span;
            if other {
                other_s += span;
                other_teams.extend(owners[name].iter().cloned());
            }
        }
        assert!(
            close(spans, duration),
            "{team}: spans {spans} vs {duration}"
        );
        assert!(
            close(t["other_teams_s"].as_f64().unwrap(), other_s),
            "{team}"
        );
        assert_eq!(
            strings(&t["other_teams"]),
            other_teams.into_iter().collect::<Vec<_>>()
        );
    }

    // Text: the section, `!` on other teams' rows, and the closing line.
    let o = run(&[
        "analyze",
        MONOREPO,
        "--codeowners",
        CODEOWNERS,
        "--team",
        "@org/payments",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let r = json(&[
        "analyze",
        MONOREPO,
        "--codeowners",
        CODEOWNERS,
        "--team",
        "@org/payments",
        "--format",
        "json",
    ]);
    let t = &r["team"];
    let steps = t["modules"].as_array().unwrap();
    let heading = format!(
        "critical path to @org/payments's {}: {} modules, ",
        t["target"].as_str().unwrap(),
        steps.len()
    );
    assert!(text.contains(&heading), "{text}");
    let section = &text[text.find(&heading).unwrap()..];
    let flagged = steps.iter().filter(|s| s["other_team"] == true).count();
    assert!(flagged > 0 && flagged < steps.len(), "{flagged}");
    for s in steps {
        let name = s["name"].as_str().unwrap();
        let row = section
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == name))
            .unwrap();
        let marked = row.split_whitespace().nth(1) == Some("!");
        assert_eq!(marked, s["other_team"] == true, "{row}");
    }
    let share = t["other_teams_s"].as_f64().unwrap() / t["duration_s"].as_f64().unwrap();
    let closing = format!("{flagged} of {} modules (", steps.len());
    let line = section.lines().find(|l| l.contains(&closing)).unwrap();
    assert!(line.contains(&format!("{:.0}%)", share * 100.0)), "{line}");
    for team in strings(&t["other_teams"]) {
        assert!(line.contains(&team), "{line}");
    }
}

#[test]
fn team_errors_exit_2_with_one_line() {
    for (args, expect) in [
        (
            vec!["--codeowners", CODEOWNERS, "--team", "@org/nobody"],
            "@org/nobody",
        ),
        (vec!["--team", "@org/payments"], "--codeowners"),
        (
            vec![
                "--codeowners",
                CODEOWNERS,
                "--team",
                "@org/payments",
                "--target",
                "api-0937",
            ],
            "pick one",
        ),
    ] {
        let o = run(&[&["analyze", MONOREPO], args.as_slice()].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    // An unknown team's error names teams that do own modules.
    let err = stderr(&run(&[
        "analyze",
        MONOREPO,
        "--codeowners",
        CODEOWNERS,
        "--team",
        "@org/nobody",
    ]));
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("@org/apps"), "{err}");
}
