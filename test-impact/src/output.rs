//! The selection written for its consumers: people, nextest, cargo and
//! GitHub Actions.

use std::io::Write;

use anyhow::{Context, Result};
use clap::ValueEnum;
use serde::Serialize;

use crate::select::{Reason, Selection};

/// Output formats of `select`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One affected module per line.
    List,
    /// Everything, as a stable JSON object (documented in the README).
    Json,
    /// A filterset: `package(=a) | package(=b)`, `all()` or `none()`. Run it
    /// with `cargo nextest run --workspace --no-tests=pass -E "$(test-impact
    /// select … --format nextest)"`: without `--workspace` a workspace with
    /// a root package builds only that package and the filter misses the
    /// rest, and without `--no-tests=pass` nextest exits 4 on `none()`.
    Nextest,
    /// Arguments for cargo: `-p a -p b`, or `--workspace` when everything is
    /// selected. Nothing at all when nothing is: `cargo test` without
    /// arguments would test the default members, so skip the step instead
    /// (`--github-output`'s `has-affected`, or test for an empty string).
    Cargo,
    /// `{"include":[...]}` for a GitHub Actions matrix, at most 256 entries.
    GithubMatrix,
}

/// The most jobs a GitHub Actions matrix may have.
pub const MATRIX_MAX: usize = 256;

/// The selection and where it came from: the JSON document.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Version of this document's shape; fields are only ever added.
    pub version: u32,
    pub base: Option<&'a str>,
    pub head: Option<&'a str>,
    pub merge_base: Option<String>,
    /// `cargo` or the graph file.
    pub graph: String,
    pub changed_files: &'a [String],
    pub run_all: bool,
    pub run_all_reason: Option<&'a str>,
    pub affected: &'a [String],
    /// Modules in the graph.
    pub total: usize,
    pub tests: &'a [String],
    pub reasons: &'a std::collections::BTreeMap<String, Reason>,
    pub ignored_files: &'a [String],
    /// Packages the change removed (Cargo).
    pub removed: &'a [String],
    /// `committed` or `generated`: where the Cargo.lock the workspace was
    /// resolved with came from (`null`: a native graph).
    pub lockfile: Option<crate::prepare::Lockfile>,
}

/// A nextest filterset selecting `names`' packages: `all()` when
/// everything is selected, `none()` when nothing is.
pub fn nextest_filter(names: &[String], run_all: bool) -> String {
    if run_all {
        return "all()".into();
    }
    if names.is_empty() {
        return "none()".into();
    }
    names
        .iter()
        .map(|n| format!("package(={n})"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Cargo arguments selecting `names`' packages: `-p` works in any layout
/// (a root package or a virtual manifest), so only "everything" needs
/// `--workspace`. Empty when nothing is selected, which cargo would read as
/// "the default members": callers must skip cargo then.
pub fn cargo_args(names: &[String], run_all: bool) -> String {
    if run_all {
        return "--workspace".into();
    }
    names
        .iter()
        .map(|n| format!("-p {n}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One job of a matrix.
#[derive(Debug, Serialize, PartialEq)]
pub struct Job {
    /// A short label: the module, or the first and last of a group.
    pub name: String,
    /// The modules of the job, space-separated.
    pub modules: String,
    pub count: usize,
    /// `cargo` arguments for the job.
    pub cargo: String,
    /// Filterset for the job, for `cargo nextest run --workspace -E`: a
    /// package's filter matches only among the packages nextest builds.
    pub nextest: String,
}

impl Job {
    pub fn new(names: &[String]) -> Job {
        let name = match names {
            [one] => one.clone(),
            [first, .., last] => format!("{first}..{last} ({})", names.len()),
            [] => String::new(),
        };
        Job {
            name,
            modules: names.join(" "),
            count: names.len(),
            cargo: cargo_args(names, false),
            nextest: nextest_filter(names, false),
        }
    }
}

/// A GitHub Actions matrix: one job per module, or, above 256 modules,
/// 256 groups of consecutive modules, sizes differing by at most one.
#[derive(Debug, Serialize)]
pub struct Matrix {
    pub include: Vec<Job>,
}

impl Matrix {
    pub fn of(names: &[String]) -> Matrix {
        let groups = names.len().min(MATRIX_MAX);
        let mut include = Vec::with_capacity(groups);
        let mut start = 0;
        for g in 0..groups {
            let size = names.len() / groups + usize::from(g < names.len() % groups);
            include.push(Job::new(&names[start..start + size]));
            start += size;
        }
        Matrix { include }
    }
}

/// Writes the selection in `format`.
pub fn write(
    format: Format,
    report: &Report<'_>,
    sel: &Selection,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::List => {
            for n in &sel.affected {
                writeln!(out, "{n}")?;
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report)?;
            writeln!(out)?;
        }
        Format::Nextest => writeln!(out, "{}", nextest_filter(&sel.affected, sel.run_all))?,
        Format::Cargo => {
            // Not even a newline: `[ -s args ]` and `test -n "$(…)"` both
            // see an empty selection for what it is.
            let args = cargo_args(&sel.affected, sel.run_all);
            if !args.is_empty() {
                writeln!(out, "{args}")?;
            }
        }
        Format::GithubMatrix => {
            serde_json::to_writer(&mut *out, &Matrix::of(&sel.affected))?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The file `$GITHUB_OUTPUT` names, for `--github-output`.
pub fn github_output_file() -> Result<std::path::PathBuf> {
    ci_formats::github::file_of(ci_formats::github::OUTPUT_VAR).context("--github-output")
}

/// The `$GITHUB_OUTPUT` values of a selection.
pub fn github_outputs(sel: &Selection) -> Result<Vec<(&'static str, String)>> {
    Ok(vec![
        // What a step running cargo is gated on: false exactly when
        // `cargo-args` is empty.
        (
            "has-affected",
            (sel.run_all || !sel.affected.is_empty()).to_string(),
        ),
        ("run-all", sel.run_all.to_string()),
        ("count", sel.affected.len().to_string()),
        ("matrix", serde_json::to_string(&Matrix::of(&sel.affected))?),
        ("cargo-args", cargo_args(&sel.affected, sel.run_all)),
        ("nextest-filter", nextest_filter(&sel.affected, sel.run_all)),
    ])
}

/// A one-line summary for stderr.
pub fn summary(sel: &Selection) -> String {
    if let Some(why) = &sel.run_all_reason {
        format!("test-impact: all {} modules selected: {why}", sel.total)
    } else if sel.affected.is_empty() {
        format!("test-impact: no module is affected (0 of {})", sel.total)
    } else {
        format!(
            "test-impact: {} of {} modules affected",
            sel.affected.len(),
            sel.total
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("m{i:04}")).collect()
    }

    #[test]
    fn filters_and_args() {
        let two = vec!["a".to_owned(), "b-c".to_owned()];
        assert_eq!(nextest_filter(&two, false), "package(=a) | package(=b-c)");
        assert_eq!(nextest_filter(&two, true), "all()");
        assert_eq!(nextest_filter(&[], false), "none()");
        assert_eq!(cargo_args(&two, false), "-p a -p b-c");
        assert_eq!(cargo_args(&two, true), "--workspace");
        assert_eq!(cargo_args(&[], false), "");
    }

    fn selection(affected: &[&str], run_all: bool) -> Selection {
        Selection {
            run_all,
            run_all_reason: run_all.then(|| "rust-toolchain.toml changed".to_owned()),
            affected: affected.iter().map(|&a| a.to_owned()).collect(),
            total: 3,
            ..Selection::default()
        }
    }

    /// What `select --format FORMAT` prints for `sel`.
    fn printed(format: Format, sel: &Selection) -> String {
        let report = Report {
            version: 1,
            base: Some("main"),
            head: Some("HEAD"),
            merge_base: None,
            graph: "cargo".into(),
            changed_files: &[],
            run_all: sel.run_all,
            run_all_reason: sel.run_all_reason.as_deref(),
            affected: &sel.affected,
            total: sel.total,
            tests: &sel.tests,
            reasons: &sel.reasons,
            ignored_files: &[],
            removed: &[],
            lockfile: Some(crate::prepare::Lockfile::Committed),
        };
        let mut out = Vec::new();
        write(format, &report, sel, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_empty_selection_never_reads_as_the_default_members() {
        let none = selection(&[], false);
        assert_eq!(printed(Format::List, &none), "");
        assert_eq!(printed(Format::Nextest, &none), "none()\n");
        // Not even a newline: `cargo test $(…)` would test the default
        // members, so there is nothing to pass it.
        assert_eq!(printed(Format::Cargo, &none), "");
        assert_eq!(printed(Format::GithubMatrix, &none), "{\"include\":[]}\n");
        let json: serde_json::Value = serde_json::from_str(&printed(Format::Json, &none)).unwrap();
        assert_eq!(json["affected"], serde_json::json!([]));
        assert_eq!(json["run_all"], false);
        let outputs = github_outputs(&none).unwrap();
        let get = |k: &str| outputs.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("has-affected"), "false");
        assert_eq!(get("run-all"), "false");
        assert_eq!(get("count"), "0");
        assert_eq!(get("cargo-args"), "");
        assert_eq!(get("nextest-filter"), "none()");
        assert_eq!(get("matrix"), "{\"include\":[]}");
    }

    #[test]
    fn run_all_selects_the_workspace() {
        let all = selection(&["app", "core", "mid"], true);
        assert_eq!(printed(Format::List, &all), "app\ncore\nmid\n");
        assert_eq!(printed(Format::Nextest, &all), "all()\n");
        assert_eq!(printed(Format::Cargo, &all), "--workspace\n");
        let m: serde_json::Value =
            serde_json::from_str(&printed(Format::GithubMatrix, &all)).unwrap();
        assert_eq!(m["include"].as_array().unwrap().len(), 3);
        assert_eq!(m["include"][0]["cargo"], "-p app");
        let outputs = github_outputs(&all).unwrap();
        let get = |k: &str| outputs.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("has-affected"), "true");
        assert_eq!(get("run-all"), "true");
        assert_eq!(get("cargo-args"), "--workspace");
        assert_eq!(get("nextest-filter"), "all()");
        // Everything, even in a graph with no module: still not empty args.
        let empty_graph = selection(&[], true);
        assert_eq!(printed(Format::Cargo, &empty_graph), "--workspace\n");
        let outputs = github_outputs(&empty_graph).unwrap();
        assert!(outputs.contains(&("has-affected", "true".to_owned())));
    }

    #[test]
    fn some_packages() {
        let two = selection(&["core", "mid"], false);
        assert_eq!(printed(Format::Cargo, &two), "-p core -p mid\n");
        assert_eq!(
            printed(Format::Nextest, &two),
            "package(=core) | package(=mid)\n"
        );
        let outputs = github_outputs(&two).unwrap();
        assert!(outputs.contains(&("has-affected", "true".to_owned())));
        assert!(outputs.contains(&("cargo-args", "-p core -p mid".to_owned())));
    }

    #[test]
    fn matrices_are_capped_at_256_balanced_groups() {
        let small = Matrix::of(&names(3));
        assert_eq!(small.include.len(), 3);
        assert_eq!(small.include[1].name, "m0001");
        assert_eq!(small.include[1].nextest, "package(=m0001)");
        assert!(Matrix::of(&[]).include.is_empty());
        let big = names(1000);
        let m = Matrix::of(&big);
        assert_eq!(m.include.len(), MATRIX_MAX);
        let sizes: Vec<usize> = m.include.iter().map(|j| j.count).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 1000);
        assert!(sizes.iter().all(|&s| s == 3 || s == 4), "{sizes:?}");
        let joined: Vec<&str> = m
            .include
            .iter()
            .flat_map(|j| j.modules.split(' '))
            .collect();
        assert_eq!(joined, big.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(m.include[0].name, "m0000..m0003 (4)");
        assert_eq!(Matrix::of(&names(256)).include.len(), 256);
        assert_eq!(Matrix::of(&names(257)).include[0].count, 2);
    }

    /// `$GITHUB_OUTPUT` as `select --github-output` leaves it for three
    /// selections written by three steps (one affected set, everything,
    /// nothing), line ends made visible: the bytes a workflow's
    /// `steps.ID.outputs.*` are read from.
    #[test]
    fn github_output_file_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("output");
        for sel in [
            selection(&["core", "mid"], false),
            selection(&["app", "core", "mid"], true),
            selection(&[], false),
        ] {
            ci_formats::github::append_outputs(&path, &github_outputs(&sel).unwrap()).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        insta::assert_snapshot!(text.replace('\n', "⏎\n"));
    }

    /// `select --format github-matrix`, exactly as printed, for a few
    /// modules and for more than a matrix holds (the first groups).
    #[test]
    fn github_matrix_snapshot() {
        let three = printed(
            Format::GithubMatrix,
            &selection(&["app", "core", "mid"], false),
        );
        let mut big = selection(&[], false);
        big.affected = names(300);
        let m: serde_json::Value =
            serde_json::from_str(&printed(Format::GithubMatrix, &big)).unwrap();
        let first = serde_json::to_string_pretty(&m["include"].as_array().unwrap()[..2]).unwrap();
        insta::assert_snapshot!(format!(
            "{three}\n300 modules, the first two of 256 jobs:\n{first}"
        ));
    }
}
