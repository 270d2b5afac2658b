//! Cargo: the HTML report of `cargo build --timings`, optionally with the
//! output of `cargo metadata --format-version 1` for the full package edges.
//!
//! The report embeds `const UNIT_DATA = [...];`, one object per unit with `i`
//! (its index, which other units refer to: not its position in the array),
//! `name`, `version`, `mode`, `target` (`""` for a library, else with a
//! leading space: ` build-script`, ` build-script (run)`, ` bin "rg"`),
//! `start`, `duration`, and the units it unblocked when it finished
//! (`unblocked_units`, Rust 1.89 on; `unlocked_units` before) or when its
//! metadata was ready (`unblocked_rmeta_units` / `unlocked_rmeta_units`). The
//! time its metadata was ready is the end of its `frontend` section
//! (`sections`, newer) or `rmeta_time` (older).
//!
//! Each unit unblocks a unit at most once, so the report alone knows only the
//! last dependency each unit waited for; `cargo metadata` adds the others:
//! a library depends on its dependencies' libraries' metadata (their whole
//! build for proc macros), binaries, tests, benches and examples on their
//! whole build, a build script on its build-dependencies, a package's units
//! on its build script's run, which depends on the build script's
//! compilation (and on the runs of dependencies that declare `links`).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde::de::{self, Deserializer, Unexpected};

use super::{InputError, Source, find_bytes, json_error_parts, line_col};
use crate::graph::{Dep, DepKind, GraphBuilder, Module, ModuleGraph};

#[derive(Deserialize)]
struct RawUnit<'a> {
    i: u64,
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(default, borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    target: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "finite")]
    start: f64,
    #[serde(deserialize_with = "super::seconds")]
    duration: f64,
    #[serde(default)]
    rmeta_time: Option<f64>,
    #[serde(default, alias = "unlocked_units")]
    unblocked_units: Option<Vec<u64>>,
    #[serde(default, alias = "unlocked_rmeta_units")]
    unblocked_rmeta_units: Option<Vec<u64>>,
    #[serde(default, borrow)]
    sections: Option<Vec<(Cow<'a, str>, Section)>>,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    end: Option<f64>,
}

fn finite<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(de::Error::invalid_value(
            Unexpected::Float(v),
            &"a number of seconds",
        ))
    }
}

/// What a unit builds, from its `target` and `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnitKind {
    /// A library (`""`, ` lib`, ` lib (check)`).
    Lib,
    /// A library compiled as its own unit tests (` lib (test)`).
    LibTest,
    /// A binary.
    Bin,
    /// An integration test, bench or example.
    TestLike,
    /// The compilation of a build script.
    BuildScript,
    /// The run of a build script.
    BuildScriptRun,
    Other,
}

fn classify(target: &str, mode: &str) -> UnitKind {
    let t = target.trim();
    if mode == "run-custom-build" || (t.contains("build") && t.ends_with("(run)")) {
        return UnitKind::BuildScriptRun;
    }
    if t.contains("build-script") || t.contains("build script") || t.contains("custom-build") {
        return UnitKind::BuildScript;
    }
    // Words of the target, quotes removed: ` bin "rg"` and ` rg "bin"` (as
    // some reports write it) both have the word `bin`.
    let (base, suffix) = match t.rfind('(') {
        Some(p) if t.ends_with(')') => (t.get(..p).unwrap_or(t), t.get(p..).unwrap_or_default()),
        _ => (t, ""),
    };
    let words: Vec<&str> = base
        .split_whitespace()
        .map(|w| w.trim_matches('"'))
        .collect();
    let has = |w: &str| words.contains(&w);
    let test_mode = suffix.contains("test");
    if words.is_empty() || has("lib") {
        return if test_mode {
            UnitKind::LibTest
        } else {
            UnitKind::Lib
        };
    }
    if has("bin") {
        return if test_mode {
            UnitKind::TestLike
        } else {
            UnitKind::Bin
        };
    }
    if has("test") || has("bench") || has("example") {
        return UnitKind::TestLike;
    }
    UnitKind::Other
}

struct Unit {
    module: Module,
    i: u64,
    package: String,
    version: String,
    kind: UnitKind,
    /// A check build: dependents need only metadata.
    check: bool,
    deps: Vec<Dep>,
}

/// Where `UNIT_DATA`'s JSON starts.
fn unit_data_start(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(rel) = find_bytes(bytes.get(from..)?, b"UNIT_DATA") {
        let mut j = from + rel + "UNIT_DATA".len();
        while bytes.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
            j += 1;
        }
        if bytes.get(j) == Some(&b'=') && bytes.get(j + 1) != Some(&b'=') {
            j += 1;
            while bytes.get(j).is_some_and(|b| b.is_ascii_whitespace()) {
                j += 1;
            }
            return Some(j);
        }
        from = j;
    }
    None
}

const REPORT: &str = "the HTML report of `cargo build --timings` (cargo-timing.html)";

fn parse_units<'a>(src: &Source<'a>) -> Result<Vec<RawUnit<'a>>, InputError> {
    let Some(start) = unit_data_start(src.bytes) else {
        return Err(src.error(format!(
            "no `const UNIT_DATA = [...]` found; expected {REPORT}"
        )));
    };
    let json = src.bytes.get(start..).unwrap_or_default();
    let (base_line, base_col) = line_col(src.bytes, start);
    let position = |e: &serde_json::Error| {
        let (line, col, msg) = json_error_parts(e);
        let abs_line = line.map(|l| l + base_line - 1);
        let abs_col = match (line, col) {
            (Some(1), Some(c)) => Some(c + base_col - 1),
            (_, c) => c,
        };
        (abs_line, abs_col, msg)
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    match Vec::<RawUnit<'a>>::deserialize(&mut de) {
        Ok(units) => Ok(units),
        Err(e) => {
            let mut de = serde_json::Deserializer::from_slice(json);
            let tracked: Result<Vec<RawUnit<'_>>, _> = serde_path_to_error::deserialize(&mut de);
            let (path, e) = match tracked {
                Err(pe) => (pe.path().to_string(), pe.into_inner()),
                Ok(_) => (String::from("."), e),
            };
            let (line, col, msg) = position(&e);
            let message = match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    format!(
                        "UNIT_DATA is not valid JSON ({msg}); expected the JSON array of units that {REPORT} embeds"
                    )
                }
                _ => {
                    let at = if path == "." {
                        String::new()
                    } else {
                        format!(" for UNIT_DATA{path}")
                    };
                    format!("{msg}{at}")
                }
            };
            Err(src.error_at(line, col, message))
        }
    }
}

/// Line of the unit `"i": i` in the report, when it can be found.
fn unit_line(bytes: &[u8], i: u64) -> Option<usize> {
    let start = unit_data_start(bytes)?;
    let region = bytes.get(start..)?;
    let needle = format!("\"i\": {i}");
    let mut from = 0;
    while let Some(rel) = find_bytes(region.get(from..)?, needle.as_bytes()) {
        let end = from + rel + needle.len();
        if !region.get(end).is_some_and(u8::is_ascii_digit) {
            return Some(line_col(bytes, start + from + rel).0);
        }
        from = end;
    }
    None
}

fn html_note(bytes: &[u8], label: &str) -> Option<String> {
    let needle = format!("<td>{label}</td><td>");
    let at = find_bytes(bytes, needle.as_bytes())? + needle.len();
    let rest = bytes.get(at..)?;
    let end = rest.iter().position(|&b| b == b'<')?;
    Some(String::from_utf8_lossy(rest.get(..end)?).trim().to_owned())
}

/// "1 package edge", "2 package edges".
fn package_edges(n: usize) -> String {
    if n == 1 {
        "1 package edge".to_owned()
    } else {
        format!("{n} package edges")
    }
}

/// Loads a Cargo timings report, with package edges from `cargo metadata`
/// when given.
pub(crate) fn load(
    html: &Source<'_>,
    meta: Option<&Source<'_>>,
    notes: &mut Vec<String>,
) -> Result<ModuleGraph, InputError> {
    let raw = parse_units(html)?;
    let legacy = find_bytes(html.bytes, b"\"unlocked_units\"").is_some();
    let (full_key, rmeta_key) = if legacy {
        ("unlocked_units", "unlocked_rmeta_units")
    } else {
        ("unblocked_units", "unblocked_rmeta_units")
    };

    // Units, their names made unique.
    let mut by_i: HashMap<u64, usize> = HashMap::with_capacity(raw.len());
    let mut units: Vec<Unit> = Vec::with_capacity(raw.len());
    for r in &raw {
        if by_i.insert(r.i, units.len()).is_some() {
            return Err(html.error_at(
                unit_line(html.bytes, r.i),
                None,
                format!(
                    "two units have `i` = {}; expected a unique `i` per unit",
                    r.i
                ),
            ));
        }
        let version = r.version.as_deref().unwrap_or_default();
        let target = r.target.as_deref().unwrap_or_default().trim();
        let mode = r.mode.as_deref().unwrap_or_default();
        let mut name = r.name.clone().into_owned();
        if !version.is_empty() {
            name.push_str(" v");
            name.push_str(version);
        }
        if !target.is_empty() {
            name.push(' ');
            name.push_str(target);
        }
        let metadata = r
            .sections
            .as_ref()
            .and_then(|s| {
                s.iter()
                    .find(|(n, _)| n == "frontend")
                    .and_then(|(_, s)| s.end)
            })
            .or(r.rmeta_time)
            .filter(|m| m.is_finite())
            .map(|m| m.clamp(0.0, r.duration));
        let mut module = Module::new(name, r.duration);
        module.observed_start_s = Some(r.start);
        module.metadata_s = metadata;
        units.push(Unit {
            module,
            i: r.i,
            package: r.name.clone().into_owned(),
            version: version.to_owned(),
            kind: classify(target, mode),
            check: target.contains("(check"),
            deps: Vec::new(),
        });
    }
    make_unique(&mut units, &raw);

    // Edges the report knows: X unblocked Y, so Y depends on X.
    for (x, r) in raw.iter().enumerate() {
        for (list, kind, key) in [
            (&r.unblocked_units, DepKind::Full, full_key),
            (&r.unblocked_rmeta_units, DepKind::Metadata, rmeta_key),
        ] {
            for &y in list.iter().flatten() {
                let Some(&yi) = by_i.get(&y) else {
                    let xname = units
                        .get(x)
                        .map(|u| u.module.name.as_str())
                        .unwrap_or_default();
                    return Err(html.error_at(
                        unit_line(html.bytes, r.i),
                        None,
                        format!(
                            "unit `{xname}` (i = {}) lists {y} in {key}, but no unit has `i` = {y}; expected the `i` of a unit of UNIT_DATA",
                            r.i
                        ),
                    ));
                };
                let dep_name = units
                    .get(x)
                    .map(|u| u.module.name.clone())
                    .unwrap_or_default();
                if let Some(u) = units.get_mut(yi) {
                    u.deps.push(Dep {
                        name: dep_name,
                        kind,
                    });
                }
            }
        }
    }

    let mut paths = vec![html.path.to_path_buf()];
    match meta {
        Some(m) => {
            paths.push(m.path.to_path_buf());
            add_metadata_edges(&mut units, m, notes)?;
        }
        None => notes.push(format!(
            "{}: from the report alone only the edges that unblocked a unit are known (one per unit); pass the output of `cargo metadata --format-version 1` for all package dependency edges",
            html.name()
        )),
    }
    if let Some(fresh) = html_note(html.bytes, "Fresh units:").and_then(|f| f.parse::<u64>().ok())
        && fresh > 0
    {
        notes.push(format!(
            "{}: {fresh} fresh units (already built) are not in the report",
            html.name()
        ));
    }
    if let Some(total) = html_note(html.bytes, "Total time:") {
        notes.push(format!(
            "{}: Cargo reports a total time of {total}",
            html.name()
        ));
    }

    let mut b = GraphBuilder::with_capacity(units.len());
    for u in units {
        b.add(u.module, u.deps);
    }
    b.build()
        .map_err(|source| InputError::Graph { paths, source })
}

/// Appends ` (mode)`, then ` #i`, to names that are not unique.
fn make_unique(units: &mut [Unit], raw: &[RawUnit<'_>]) {
    for round in 0..2 {
        let mut count: HashMap<String, usize> = HashMap::new();
        for u in units.iter() {
            *count.entry(u.module.name.clone()).or_default() += 1;
        }
        for (u, r) in units.iter_mut().zip(raw) {
            if count.get(&u.module.name).copied().unwrap_or(0) > 1 {
                let suffix = match round {
                    0 => format!(" ({})", r.mode.as_deref().unwrap_or("unknown mode")),
                    _ => format!(" #{}", u.i),
                };
                u.module.name.push_str(&suffix);
            }
        }
    }
}

fn add_metadata_edges(
    units: &mut [Unit],
    src: &Source<'_>,
    notes: &mut Vec<String>,
) -> Result<(), InputError> {
    let meta: cargo_metadata::Metadata = serde_json::from_slice(src.bytes).map_err(|e| {
        let (line, col, msg) = json_error_parts(&e);
        let message = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                format!("not valid JSON ({msg}); expected the output of `cargo metadata --format-version 1`")
            }
            _ => format!("{msg}; expected the output of `cargo metadata --format-version 1`"),
        };
        src.error_at(line, col, message)
    })?;
    let Some(resolve) = &meta.resolve else {
        return Err(src.error(
            "no `resolve` dependency graph (made with --no-deps?); expected the output of `cargo metadata --format-version 1`",
        ));
    };

    // Units by package (name, version).
    let mut by_pkg: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (ui, u) in units.iter().enumerate() {
        by_pkg
            .entry((u.package.as_str(), u.version.clone()))
            .or_default()
            .push(ui);
    }
    struct Pkg<'m> {
        units: Vec<usize>,
        proc_macro: bool,
        links: bool,
        #[allow(dead_code)]
        name: &'m str,
    }
    let mut pkgs: HashMap<&cargo_metadata::PackageId, Pkg<'_>> = HashMap::new();
    let mut matched = 0usize;
    for p in &meta.packages {
        let key = (p.name.as_str(), p.version.to_string());
        let us = by_pkg.get(&key).cloned().unwrap_or_default();
        if !us.is_empty() {
            matched += 1;
        }
        pkgs.insert(
            &p.id,
            Pkg {
                units: us,
                proc_macro: p
                    .targets
                    .iter()
                    .any(|t| t.kind.contains(&cargo_metadata::TargetKind::ProcMacro)),
                links: p.links.is_some(),
                name: &p.name,
            },
        );
    }
    if matched == 0 && !meta.packages.is_empty() {
        notes.push(format!(
            "{}: none of its {} packages has a unit in the report; is it from the same workspace?",
            src.name(),
            meta.packages.len()
        ));
    }

    let kind_of = |ui: usize| units.get(ui).map(|u| u.kind);
    let of_kind = |pkg: &Pkg<'_>, k: UnitKind| -> Vec<usize> {
        pkg.units
            .iter()
            .copied()
            .filter(|&u| kind_of(u) == Some(k))
            .collect()
    };

    // Candidate edges (dependency unit, dependent unit, kind), in a
    // deterministic order.
    let mut cand: Vec<(usize, usize, DepKind)> = Vec::new();
    // Within each package.
    for p in &meta.packages {
        let Some(pkg) = pkgs.get(&p.id) else { continue };
        let libs = of_kind(pkg, UnitKind::Lib);
        let scripts = of_kind(pkg, UnitKind::BuildScript);
        let runs = of_kind(pkg, UnitKind::BuildScriptRun);
        for &s in &scripts {
            for &r in &runs {
                cand.push((s, r, DepKind::Full));
            }
        }
        for &u in &pkg.units {
            let k = kind_of(u);
            if matches!(k, Some(UnitKind::BuildScript | UnitKind::BuildScriptRun)) {
                continue;
            }
            for &r in &runs {
                cand.push((r, u, DepKind::Full));
            }
            if matches!(k, Some(UnitKind::Bin | UnitKind::TestLike)) {
                for &l in &libs {
                    cand.push((l, u, DepKind::Full));
                }
            }
        }
    }
    // Between packages.
    for node in &resolve.nodes {
        let Some(pkg) = pkgs.get(&node.id) else {
            continue;
        };
        if pkg.units.is_empty() {
            continue;
        }
        for d in &node.deps {
            let Some(dep) = pkgs.get(&d.pkg) else {
                continue;
            };
            let dep_libs = of_kind(dep, UnitKind::Lib);
            let dep_runs = of_kind(dep, UnitKind::BuildScriptRun);
            let mut kinds: Vec<cargo_metadata::DependencyKind> =
                d.dep_kinds.iter().map(|k| k.kind).collect();
            if kinds.is_empty() {
                kinds.push(cargo_metadata::DependencyKind::Normal);
            }
            for kind in kinds {
                for &u in &pkg.units {
                    let Some(uk) = kind_of(u) else { continue };
                    let check = units.get(u).is_some_and(|x| x.check);
                    let wanted = match (kind, uk) {
                        (cargo_metadata::DependencyKind::Normal, UnitKind::Lib) => Some(false),
                        (
                            cargo_metadata::DependencyKind::Normal,
                            UnitKind::LibTest
                            | UnitKind::Bin
                            | UnitKind::TestLike
                            | UnitKind::Other,
                        ) => Some(true),
                        (
                            cargo_metadata::DependencyKind::Development,
                            UnitKind::LibTest | UnitKind::TestLike,
                        ) => Some(true),
                        (cargo_metadata::DependencyKind::Build, UnitKind::BuildScript) => {
                            Some(true)
                        }
                        _ => None,
                    };
                    if let Some(needs_full) = wanted {
                        let k = if dep.proc_macro || (needs_full && !check) {
                            DepKind::Full
                        } else {
                            DepKind::Metadata
                        };
                        for &l in &dep_libs {
                            cand.push((l, u, k));
                        }
                    }
                    if kind == cargo_metadata::DependencyKind::Normal
                        && uk == UnitKind::BuildScriptRun
                        && dep.links
                    {
                        for &r in &dep_runs {
                            cand.push((r, u, DepKind::Full));
                        }
                    }
                }
            }
        }
    }

    // Keep the edges the report does not know, that close no cycle.
    let index: HashMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.module.name.clone(), i))
        .collect();
    let n = units.len();
    let mut known: HashSet<(usize, usize)> = HashSet::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n]; // dependency -> dependents
    for (ui, u) in units.iter().enumerate() {
        for d in &u.deps {
            if let Some(&di) = index.get(&d.name) {
                known.insert((di, ui));
                if let Some(o) = out.get_mut(di) {
                    o.push(ui);
                }
            }
        }
    }
    let mut new: Vec<(usize, usize, DepKind)> = Vec::new();
    let mut contradicted: Vec<(usize, usize)> = Vec::new();
    for (a, b, k) in cand {
        if a == b || known.contains(&(a, b)) {
            continue;
        }
        if let (Some(x), Some(y)) = (units.get(a), units.get(b))
            && !timing_allows(&x.module, &y.module, k)
        {
            contradicted.push((a, b));
            continue;
        }
        known.insert((a, b));
        new.push((a, b, k));
    }
    let name = |i: usize| {
        units
            .get(i)
            .map(|u| u.module.name.clone())
            .unwrap_or_default()
    };
    if let Some(&(a, b)) = contradicted.first() {
        notes.push(format!(
            "{}: skipped {} that the observed start times contradict (dependencies not compiled in, e.g. for another platform), e.g. `{}` depending on `{}`",
            src.name(),
            package_edges(contradicted.len()),
            name(b),
            name(a)
        ));
    }
    let mut all_out = out.clone();
    for &(a, b, _) in &new {
        if let Some(o) = all_out.get_mut(a) {
            o.push(b);
        }
    }
    let accepted: Vec<(usize, usize, DepKind)> = if is_acyclic(&all_out) {
        new
    } else {
        // Add one at a time, skipping those that close a cycle.
        let mut accepted = Vec::new();
        let mut skipped: Vec<(usize, usize)> = Vec::new();
        let mut stamp = vec![0u32; n];
        let mut round = 0u32;
        for (a, b, k) in new {
            round += 1;
            if reaches(&out, b, a, &mut stamp, round) {
                skipped.push((a, b));
            } else {
                if let Some(o) = out.get_mut(a) {
                    o.push(b);
                }
                accepted.push((a, b, k));
            }
        }
        if let Some(&(a, b)) = skipped.first() {
            notes.push(format!(
                "{}: skipped {} that would close a dependency cycle, e.g. `{}` depending on `{}`",
                src.name(),
                package_edges(skipped.len()),
                name(b),
                name(a)
            ));
        }
        accepted
    };
    let added = accepted.len();
    for (a, b, k) in accepted {
        let dep_name = units
            .get(a)
            .map(|u| u.module.name.clone())
            .unwrap_or_default();
        if let Some(u) = units.get_mut(b) {
            u.deps.push(Dep {
                name: dep_name,
                kind: k,
            });
        }
    }
    notes.push(format!(
        "{}: added {added} package dependency edges to those of the report",
        src.name()
    ));
    Ok(())
}

/// Whether the observed times allow `dependent` to have waited for
/// `dependency` over an edge of `kind`: Cargo never starts a unit before its
/// dependencies are ready. Times in the report are rounded to 10 ms.
fn timing_allows(dependency: &Module, dependent: &Module, kind: DepKind) -> bool {
    const ROUNDING: f64 = 0.03;
    let (Some(x), Some(y)) = (dependency.observed_start_s, dependent.observed_start_s) else {
        return true;
    };
    let ready = match (kind, dependency.metadata_s) {
        (DepKind::Full, _) => dependency.duration_s,
        (DepKind::Metadata, Some(m)) => m,
        // Metadata time unknown: it was ready at some point of the build.
        (DepKind::Metadata, None) => 0.0,
    };
    y + ROUNDING >= x + ready
}

/// Kahn's algorithm on `out` (node -> successors).
fn is_acyclic(out: &[Vec<usize>]) -> bool {
    let n = out.len();
    let mut indeg = vec![0usize; n];
    for succ in out {
        for &s in succ {
            if let Some(d) = indeg.get_mut(s) {
                *d += 1;
            }
        }
    }
    let mut queue: Vec<usize> = (0..n).filter(|&i| indeg.get(i) == Some(&0)).collect();
    let mut seen = 0;
    while let Some(v) = queue.pop() {
        seen += 1;
        for &s in out.get(v).map(Vec::as_slice).unwrap_or_default() {
            if let Some(d) = indeg.get_mut(s) {
                *d -= 1;
                if *d == 0 {
                    queue.push(s);
                }
            }
        }
    }
    seen == n
}

/// Whether `to` is reachable from `from` following `out`.
fn reaches(out: &[Vec<usize>], from: usize, to: usize, stamp: &mut [u32], round: u32) -> bool {
    let mut stack = vec![from];
    while let Some(v) = stack.pop() {
        if v == to {
            return true;
        }
        match stamp.get_mut(v) {
            Some(s) if *s != round => *s = round,
            _ => continue,
        }
        stack.extend(out.get(v).map(Vec::as_slice).unwrap_or_default());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::test_util::{edges, names, src};

    fn html(units: &str) -> String {
        format!(
            "<html><body><table><tr><td>Total time:</td><td>9.5s</td></tr></table>\n<script>\nDURATION = 10;\nconst UNIT_DATA = {units};\nconst CONCURRENCY_DATA = [];\n</script></html>\n"
        )
    }

    fn load_str(text: &str) -> Result<(ModuleGraph, Vec<String>), String> {
        let s = src("cargo-timing.html", text);
        let mut notes = Vec::new();
        load(&s, None, &mut notes)
            .map(|g| (g, notes))
            .map_err(|e| e.to_string())
    }

    /// The shape of Rust 1.85 to 1.88: `unlocked_*` and `rmeta_time`.
    const LEGACY: &str = r#"[
  {"i": 2, "name": "app", "version": "0.1.0", "mode": "todo", "target": " bin \"app\"", "start": 3.5, "duration": 1.0, "rmeta_time": null, "unlocked_units": [], "unlocked_rmeta_units": []},
  {"i": 0, "name": "core", "version": "1.0.0", "mode": "todo", "target": "", "start": 0.0, "duration": 2.0, "rmeta_time": 1.25, "unlocked_units": [], "unlocked_rmeta_units": [1]},
  {"i": 1, "name": "lib", "version": "1.0.0", "mode": "todo", "target": "", "start": 1.3, "duration": 2.0, "rmeta_time": 3.0, "unlocked_units": [2], "unlocked_rmeta_units": []},
  {"i": 3, "name": "core", "version": "1.0.0", "mode": "todo", "target": " build-script", "start": 0.0, "duration": 0.5, "rmeta_time": null, "unlocked_units": [4], "unlocked_rmeta_units": []},
  {"i": 4, "name": "core", "version": "1.0.0", "mode": "run-custom-build", "target": " build-script (run)", "start": 0.5, "duration": 0.1, "unlocked_units": [], "unlocked_rmeta_units": []}
]"#;

    #[test]
    fn legacy_shape() {
        let (g, notes) = load_str(&html(LEGACY)).unwrap();
        assert_eq!(
            names(&g),
            [
                "app v0.1.0 bin \"app\"",
                "core v1.0.0",
                "lib v1.0.0",
                "core v1.0.0 build-script",
                "core v1.0.0 build-script (run)"
            ]
        );
        assert_eq!(
            edges(&g),
            [
                (
                    "app v0.1.0 bin \"app\"".into(),
                    "lib v1.0.0".into(),
                    DepKind::Full
                ),
                (
                    "core v1.0.0 build-script (run)".into(),
                    "core v1.0.0 build-script".into(),
                    DepKind::Full
                ),
                ("lib v1.0.0".into(), "core v1.0.0".into(), DepKind::Metadata),
            ]
        );
        let core = g.module(g.find("core v1.0.0").unwrap());
        assert_eq!(core.metadata_s, Some(1.25));
        assert_eq!(core.observed_start_s, Some(0.0));
        // rmeta_time past the duration is clamped.
        assert_eq!(
            g.module(g.find("lib v1.0.0").unwrap()).metadata_s,
            Some(2.0)
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("only the edges that unblocked a unit"))
        );
        assert!(notes.iter().any(|n| n.ends_with("total time of 9.5s")));
    }

    #[test]
    fn new_shape_with_sections() {
        let units = r#"[
  {"i": 1, "name": "b", "version": "1.0.0", "mode": "todo", "target": "", "start": 2.0, "duration": 1.0, "unblocked_units": [], "unblocked_rmeta_units": [], "sections": null},
  {"i": 0, "name": "a", "version": "1.0.0", "mode": "todo", "target": "", "start": 0.0, "duration": 3.0, "unblocked_units": [], "unblocked_rmeta_units": [1],
   "sections": [["frontend", {"start": 0.0, "end": 1.5}], ["codegen", {"start": 1.5, "end": 3.0}]]}
]"#;
        let (g, _) = load_str(&html(units)).unwrap();
        assert_eq!(names(&g), ["b v1.0.0", "a v1.0.0"]);
        assert_eq!(
            edges(&g),
            [("b v1.0.0".into(), "a v1.0.0".into(), DepKind::Metadata)]
        );
        assert_eq!(g.module(g.find("a v1.0.0").unwrap()).metadata_s, Some(1.5));
        assert_eq!(g.module(g.find("b v1.0.0").unwrap()).metadata_s, None);
    }

    #[test]
    fn duplicate_names_get_mode_then_index() {
        let units = r#"[
  {"i": 0, "name": "a", "version": "1.0.0", "mode": "todo", "target": "", "start": 0, "duration": 1},
  {"i": 1, "name": "a", "version": "1.0.0", "mode": "build", "target": "", "start": 0, "duration": 1},
  {"i": 2, "name": "a", "version": "1.0.0", "mode": "build", "target": "", "start": 0, "duration": 1}
]"#;
        let (g, _) = load_str(&html(units)).unwrap();
        assert_eq!(
            names(&g),
            [
                "a v1.0.0 (todo)",
                "a v1.0.0 (build) #1",
                "a v1.0.0 (build) #2"
            ]
        );
    }

    #[test]
    fn classifies_targets() {
        assert_eq!(classify("", "todo"), UnitKind::Lib);
        assert_eq!(classify(" lib (check)", "todo"), UnitKind::Lib);
        assert_eq!(classify(" lib (test)", "todo"), UnitKind::LibTest);
        assert_eq!(classify(" bin \"rg\"", "todo"), UnitKind::Bin);
        assert_eq!(classify(" rg \"bin\"", "todo"), UnitKind::Bin);
        assert_eq!(classify(" test \"it\"", "todo"), UnitKind::TestLike);
        assert_eq!(classify(" build-script", "todo"), UnitKind::BuildScript);
        assert_eq!(classify(" build script", "todo"), UnitKind::BuildScript);
        assert_eq!(
            classify(" build-script (run)", "run-custom-build"),
            UnitKind::BuildScriptRun
        );
    }

    #[test]
    fn malformed_reports() {
        let e = load_str("<html><body>hello</body></html>").unwrap_err();
        assert_eq!(
            e,
            "cargo-timing.html: no `const UNIT_DATA = [...]` found; expected the HTML report of `cargo build --timings` (cargo-timing.html)"
        );
        let e = load_str(&html("[{\"i\": 0,,}]")).unwrap_err();
        assert!(e.starts_with("cargo-timing.html:4:"), "{e}");
        assert!(e.contains("UNIT_DATA is not valid JSON"), "{e}");
        let e = load_str(&html(
            "[\n{\"i\": 0, \"name\": \"a\", \"start\": 0, \"duration\": \"x\"}]",
        ))
        .unwrap_err();
        assert!(e.starts_with("cargo-timing.html:5:"), "{e}");
        assert!(e.contains("for UNIT_DATA[0].duration"), "{e}");
        let e = load_str(&html(
            "[\n{\"i\": 0, \"name\": \"a\", \"start\": 0, \"duration\": -1}]",
        ))
        .unwrap_err();
        assert!(e.contains("expected a number of seconds >= 0"), "{e}");
        let e = load_str(&html(
            "[\n{\"i\": 0, \"name\": \"a\", \"start\": 0, \"duration\": 1,\n \"unblocked_units\": [7]}]",
        ))
        .unwrap_err();
        assert_eq!(
            e,
            "cargo-timing.html:5: unit `a` (i = 0) lists 7 in unblocked_units, but no unit has `i` = 7; expected the `i` of a unit of UNIT_DATA"
        );
        let e = load_str(&html(
            "[{\"i\": 0, \"name\": \"a\", \"start\": 0, \"duration\": 1},\n{\"i\": 0, \"name\": \"b\", \"start\": 0, \"duration\": 1}]",
        ))
        .unwrap_err();
        assert!(
            e.starts_with("cargo-timing.html:4: two units have `i` = 0"),
            "{e}"
        );
        let e = load_str(&html(
            "[{\"i\": 0, \"name\": \"a\", \"start\": 0, \"duration\": 1, \"unblocked_units\": [1]},\n{\"i\": 1, \"name\": \"b\", \"start\": 0, \"duration\": 1, \"unblocked_units\": [0]}]",
        ))
        .unwrap_err();
        assert!(e.starts_with("cargo-timing.html: dependency cycle"), "{e}");
    }

    fn meta_json(packages: &str, nodes: &str) -> String {
        format!(
            r#"{{"packages": {packages}, "workspace_members": [], "workspace_default_members": [], "resolve": {{"nodes": {nodes}, "root": null}}, "target_directory": "/t", "version": 1, "workspace_root": "/w", "metadata": null}}"#
        )
    }

    fn package(name: &str, targets: &[(&str, &str)], links: Option<&str>) -> String {
        let targets: Vec<String> = targets
            .iter()
            .map(|(n, k)| {
                format!(
                    r#"{{"name": "{n}", "kind": ["{k}"], "crate_types": ["lib"], "required-features": [], "src_path": "/s/{n}.rs", "edition": "2021", "doctest": false, "test": false, "doc": false}}"#
                )
            })
            .collect();
        let links = links.map_or("null".to_string(), |l| format!("\"{l}\""));
        format!(
            r#"{{"name": "{name}", "version": "1.0.0", "id": "{name}-id", "license": null, "license_file": null, "description": null, "source": null, "dependencies": [], "targets": [{}], "features": {{}}, "manifest_path": "/w/{name}/Cargo.toml", "metadata": null, "publish": null, "authors": [], "categories": [], "keywords": [], "readme": null, "repository": null, "homepage": null, "documentation": null, "edition": "2021", "links": {links}, "default_run": null, "rust_version": null}}"#,
            targets.join(",")
        )
    }

    #[test]
    fn metadata_adds_package_edges() {
        let units = r#"[
  {"i": 0, "name": "sys", "version": "1.0.0", "mode": "todo", "target": "", "start": 1, "duration": 1, "unblocked_units": [], "unblocked_rmeta_units": []},
  {"i": 1, "name": "sys", "version": "1.0.0", "mode": "todo", "target": " build-script", "start": 0.2, "duration": 0.3, "unblocked_units": [2], "unblocked_rmeta_units": []},
  {"i": 2, "name": "sys", "version": "1.0.0", "mode": "run-custom-build", "target": " build-script (run)", "start": 0.5, "duration": 0.1, "unblocked_units": [0], "unblocked_rmeta_units": []},
  {"i": 3, "name": "mac", "version": "1.0.0", "mode": "todo", "target": "", "start": 0, "duration": 1, "unblocked_units": [], "unblocked_rmeta_units": []},
  {"i": 4, "name": "app", "version": "1.0.0", "mode": "todo", "target": "", "start": 2, "duration": 1, "unblocked_units": [], "unblocked_rmeta_units": []},
  {"i": 5, "name": "app", "version": "1.0.0", "mode": "todo", "target": " bin \"app\"", "start": 3, "duration": 1, "unblocked_units": [], "unblocked_rmeta_units": []},
  {"i": 6, "name": "app", "version": "1.0.0", "mode": "todo", "target": " test \"it\"", "start": 3, "duration": 1, "unblocked_units": [], "unblocked_rmeta_units": []},
  {"i": 7, "name": "cc", "version": "1.0.0", "mode": "todo", "target": "", "start": 0, "duration": 0.2, "unblocked_units": [], "unblocked_rmeta_units": []}
]"#;
        let packages = format!(
            "[{}, {}, {}, {}, {}]",
            package(
                "sys",
                &[("sys", "lib"), ("build-script-build", "custom-build")],
                Some("sys")
            ),
            package("mac", &[("mac", "proc-macro")], None),
            package(
                "app",
                &[("app", "lib"), ("app", "bin"), ("it", "test")],
                None
            ),
            package("cc", &[("cc", "lib")], None),
            package("fresh", &[("fresh", "lib")], None),
        );
        let nodes = r#"[
  {"id": "app-id", "dependencies": [], "features": [], "deps": [
     {"name": "sys", "pkg": "sys-id", "dep_kinds": [{"kind": null, "target": null}]},
     {"name": "mac", "pkg": "mac-id", "dep_kinds": [{"kind": null, "target": null}]},
     {"name": "fresh", "pkg": "fresh-id", "dep_kinds": [{"kind": null, "target": null}]},
     {"name": "cc", "pkg": "cc-id", "dep_kinds": [{"kind": "dev", "target": null}]}]},
  {"id": "sys-id", "dependencies": [], "features": [], "deps": [
     {"name": "cc", "pkg": "cc-id", "dep_kinds": [{"kind": "build", "target": null}]}]},
  {"id": "mac-id", "dependencies": [], "features": [], "deps": []},
  {"id": "cc-id", "dependencies": [], "features": [], "deps": []},
  {"id": "fresh-id", "dependencies": [], "features": [], "deps": []}
]"#;
        let h = html(units);
        let m = meta_json(&packages, nodes);
        let hs = src("cargo-timing.html", &h);
        let ms = src("metadata.json", &m);
        let mut notes = Vec::new();
        let g = load(&hs, Some(&ms), &mut notes).unwrap();
        let v = |a: &str| match a.split_once(' ') {
            Some((p, t)) => format!("{p} v1.0.0 {t}"),
            None => format!("{a} v1.0.0"),
        };
        let e = |a: &str, b: &str, k| (v(a), v(b), k);
        use DepKind::{Full, Metadata};
        let mut want = vec![
            e("app", "sys", Metadata),
            e("app", "mac", Full),
            e("app bin \"app\"", "app", Full),
            e("app bin \"app\"", "sys", Full),
            e("app bin \"app\"", "mac", Full),
            e("app test \"it\"", "app", Full),
            e("app test \"it\"", "sys", Full),
            e("app test \"it\"", "mac", Full),
            e("app test \"it\"", "cc", Full),
            e("sys", "sys build-script (run)", Full),
            e("sys build-script", "cc", Full),
            e("sys build-script (run)", "sys build-script", Full),
        ];
        want.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        assert_eq!(edges(&g), want);
        assert!(
            notes
                .iter()
                .any(|n| n
                    == "metadata.json: added 10 package dependency edges to those of the report"),
            "{notes:?}"
        );
    }

    #[test]
    fn metadata_errors() {
        let h = html(LEGACY);
        let hs = src("cargo-timing.html", &h);
        let mut notes = Vec::new();
        let ms = src("metadata.json", "{\"packages\": [");
        let e = load(&hs, Some(&ms), &mut notes).unwrap_err().to_string();
        assert!(e.starts_with("metadata.json:1:"), "{e}");
        assert!(
            e.contains("expected the output of `cargo metadata --format-version 1`"),
            "{e}"
        );
        let m = meta_json("[]", "[]").replace(
            r#""resolve": {"nodes": [], "root": null}"#,
            r#""resolve": null"#,
        );
        let ms = src("metadata.json", &m);
        let e = load(&hs, Some(&ms), &mut notes).unwrap_err().to_string();
        assert!(e.starts_with("metadata.json: no `resolve`"), "{e}");
    }

    #[test]
    fn cycle_closing_metadata_edges_are_skipped() {
        // The report says b unblocked a; metadata says b's lib depends on a;
        // zero durations make both consistent with the timings.
        let units = r#"[
  {"i": 0, "name": "a", "version": "1.0.0", "mode": "todo", "target": "", "start": 1, "duration": 0, "unblocked_units": [], "unblocked_rmeta_units": []},
  {"i": 1, "name": "b", "version": "1.0.0", "mode": "todo", "target": "", "start": 1, "duration": 0, "unblocked_units": [0], "unblocked_rmeta_units": []}
]"#;
        let packages = format!(
            "[{}, {}]",
            package("a", &[("a", "lib")], None),
            package("b", &[("b", "lib")], None)
        );
        let nodes = r#"[{"id": "b-id", "dependencies": [], "features": [], "deps": [{"name": "a", "pkg": "a-id", "dep_kinds": []}]},
                        {"id": "a-id", "dependencies": [], "features": [], "deps": []}]"#;
        let h = html(units);
        let m = meta_json(&packages, nodes);
        let mut notes = Vec::new();
        let g = load(&src("t.html", &h), Some(&src("m.json", &m)), &mut notes).unwrap();
        assert_eq!(
            edges(&g),
            [("a v1.0.0".into(), "b v1.0.0".into(), DepKind::Full)]
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("skipped 1 package edge that would close a dependency cycle")),
            "{notes:?}"
        );
    }

    #[test]
    fn metadata_edges_contradicted_by_timings_are_skipped() {
        // b started before a's metadata was ready: b was built without a
        // (a platform-specific or feature-gated dependency).
        let units = r#"[
  {"i": 0, "name": "a", "version": "1.0.0", "mode": "todo", "target": "", "start": 0, "duration": 2, "rmeta_time": 1.0},
  {"i": 1, "name": "b", "version": "1.0.0", "mode": "todo", "target": "", "start": 0.5, "duration": 1},
  {"i": 2, "name": "c", "version": "1.0.0", "mode": "todo", "target": "", "start": 0.99, "duration": 1}
]"#;
        let packages = format!(
            "[{}, {}, {}]",
            package("a", &[("a", "lib")], None),
            package("b", &[("b", "lib")], None),
            package("c", &[("c", "lib")], None)
        );
        let nodes = r#"[{"id": "b-id", "dependencies": [], "features": [], "deps": [{"name": "a", "pkg": "a-id", "dep_kinds": [{"kind": null, "target": "cfg(any())"}]}]},
                        {"id": "c-id", "dependencies": [], "features": [], "deps": [{"name": "a", "pkg": "a-id", "dep_kinds": [{"kind": null, "target": null}]}]},
                        {"id": "a-id", "dependencies": [], "features": [], "deps": []}]"#;
        let h = html(units);
        let m = meta_json(&packages, nodes);
        let mut notes = Vec::new();
        let g = load(&src("t.html", &h), Some(&src("m.json", &m)), &mut notes).unwrap();
        assert_eq!(
            edges(&g),
            [("c v1.0.0".into(), "a v1.0.0".into(), DepKind::Metadata)]
        );
        assert!(
            notes.iter().any(|n| n
                .contains("skipped 1 package edge that the observed start times contradict")
                && n.contains("`b v1.0.0` depending on `a v1.0.0`")),
            "{notes:?}"
        );
    }
}
