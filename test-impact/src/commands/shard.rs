//! `test-impact shard`: the selection split into N shards of about equal
//! test time, for a CI fleet. Past durations come from JUnit XML (nextest,
//! Gradle, pytest, Jest all write it) or a native graph whose `duration_s`
//! is each module's test time. Shards are filled longest module first, each
//! into the shard with the least time so far (LPT: within 4/3 of the best
//! possible makespan).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use ci_formats::junit::{self, Item};
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::Exit;
use crate::output::{self, cargo_args, nextest_filter};
use crate::prepare::{self, SelectArgs};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShardFormat {
    /// `{"include":[{"shard":1,...}]}` for a GitHub Actions matrix.
    GithubMatrix,
    /// One line per shard: its modules, space-separated.
    List,
}

#[derive(Args, Debug)]
pub struct ShardCmd {
    /// How many shards (CI jobs) to split the selection into. Fewer are
    /// made when fewer modules are selected.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub shards: u32,

    /// Past test durations: JUnit XML (`testcase` times, summed per module:
    /// the part of `classname` before `::` or the `testsuite` name, as
    /// nextest writes them), or a native JSON graph whose `duration_s` is the
    /// module's test time. Without it every module weighs the same.
    #[arg(long, value_name = "FILE")]
    pub timings: Option<PathBuf>,

    #[arg(long, value_enum, default_value_t = ShardFormat::GithubMatrix)]
    pub format: ShardFormat,

    /// Also append `has-affected` and `matrix` to $GITHUB_OUTPUT.
    #[arg(long)]
    pub github_output: bool,

    #[command(flatten)]
    pub select: SelectArgs,
}

/// One shard of the matrix.
#[derive(Debug, Serialize, PartialEq)]
pub struct Shard {
    /// 1-based.
    pub shard: usize,
    pub shards: usize,
    pub name: String,
    pub modules: String,
    pub count: usize,
    /// Expected test time, from the timings.
    pub seconds: f64,
    pub cargo: String,
    pub nextest: String,
}

/// Splits weighted modules into at most `n` shards, longest first into the
/// lightest shard. Each shard's modules are sorted by name.
pub fn split(weights: &[(String, f64)], n: usize) -> Vec<(Vec<String>, f64)> {
    let n = n.min(weights.len());
    let mut order: Vec<&(String, f64)> = weights.iter().collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut shards: Vec<(Vec<String>, f64)> = vec![(Vec::new(), 0.0); n];
    for (name, w) in order {
        let lightest = (0..n)
            .min_by(|&a, &b| shards[a].1.total_cmp(&shards[b].1).then(a.cmp(&b)))
            .expect("n > 0 when there are weights");
        shards[lightest].0.push(name.clone());
        shards[lightest].1 += w;
    }
    for s in &mut shards {
        s.0.sort();
    }
    shards
}

/// Per-module seconds read from a timings file.
pub fn read_timings(path: &Path, known: &dyn Fn(&str) -> bool) -> Result<BTreeMap<String, f64>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| bytes[i]) {
        Some(b'<') => junit(path, &bytes, known),
        Some(b'{') => {
            let g = depgraph::input::load(
                &[path.to_path_buf()],
                &depgraph::input::LoadOptions {
                    input_format: Some(depgraph::input::Format::Native),
                    ..Default::default()
                },
            )?
            .graph;
            Ok(g.modules()
                .map(|m| (m.name.clone(), m.duration_s))
                .collect())
        }
        _ => bail!(
            "{}: neither JUnit XML nor a native JSON graph; expected `<testsuites>` or `{{\"modules\": [...]}}`",
            path.display()
        ),
    }
}

/// Sums `testcase` times per module. A test case belongs to the module
/// named by its `classname` (before any `::`), else by its `testsuite`'s
/// name (before any `::`); cases of neither are left out.
fn junit(path: &Path, bytes: &[u8], known: &dyn Fn(&str) -> bool) -> Result<BTreeMap<String, f64>> {
    let mut suite: Option<String> = None;
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    let mut bad_time: Option<anyhow::Error> = None;
    let walked = junit::walk(bytes, &mut |item| match item {
        Item::Suite { name } => suite = name.map(str::to_owned),
        Item::Case(case) if bad_time.is_none() => {
            let time = match &case.time {
                Some(t) => match t
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                {
                    Some(v) => v,
                    None => {
                        bad_time = Some(anyhow!(
                            "{}:{}: testcase time=\"{t}\"; expected a number of seconds >= 0",
                            path.display(),
                            case.line
                        ));
                        return;
                    }
                },
                None => 0.0,
            };
            let key = |s: &str| s.split("::").next().unwrap_or(s).to_owned();
            let module = case
                .classname
                .as_deref()
                .map(key)
                .filter(|m| known(m))
                .or_else(|| suite.as_deref().map(key).filter(|m| known(m)));
            if let Some(m) = module {
                *out.entry(m).or_default() += time;
            }
        }
        _ => {}
    });
    walked.map_err(|e| anyhow!("{}:{e}", path.display()))?;
    if let Some(e) = bad_time {
        return Err(e);
    }
    Ok(out)
}

/// The modules with their weights in at most `n` shards, as the matrix
/// lists them.
fn shards(weights: &[(String, f64)], n: usize) -> Vec<Shard> {
    let parts = split(weights, n);
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, (mods, secs))| Shard {
            shard: i + 1,
            shards: n,
            name: format!("shard {}/{n}", i + 1),
            modules: mods.join(" "),
            count: mods.len(),
            seconds: (secs * 1000.0).round() / 1000.0,
            cargo: cargo_args(&mods, false),
            nextest: nextest_filter(&mods, false),
        })
        .collect()
}

/// The GitHub Actions matrix of the shards, on one line.
fn matrix(shards: &[Shard]) -> Result<String> {
    #[derive(Serialize)]
    struct Matrix<'a> {
        include: &'a [Shard],
    }
    Ok(serde_json::to_string(&Matrix { include: shards })?)
}

pub fn run(cmd: &ShardCmd, out: &mut dyn Write) -> Result<Exit> {
    let p = prepare::prepare(&cmd.select)?;
    let sel = &p.selection;
    let timings = match &cmd.timings {
        Some(file) => read_timings(file, &|m| p.graph.find(m).is_some())?,
        None => BTreeMap::new(),
    };
    let timed: Vec<f64> = sel
        .affected
        .iter()
        .filter_map(|m| timings.get(m).copied())
        .collect();
    let fallback = if timed.is_empty() {
        1.0
    } else {
        timed.iter().sum::<f64>() / timed.len() as f64
    };
    let untimed = sel.affected.len() - timed.len();
    if cmd.timings.is_some() && untimed > 0 {
        eprintln!(
            "test-impact: {untimed} of {} selected modules have no timing; each counts as the mean, {:.1} s",
            sel.affected.len(),
            fallback
        );
    }
    let weights: Vec<(String, f64)> = sel
        .affected
        .iter()
        .map(|m| (m.clone(), timings.get(m).copied().unwrap_or(fallback)))
        .collect();
    let shards = shards(&weights, cmd.shards as usize);
    let matrix = matrix(&shards)?;
    match cmd.format {
        ShardFormat::GithubMatrix => writeln!(out, "{matrix}")?,
        ShardFormat::List => {
            for s in &shards {
                writeln!(out, "{}", s.modules)?;
            }
        }
    }
    if cmd.github_output {
        let path = output::github_output_file()?;
        ci_formats::github::append_outputs(
            &path,
            &[
                ("has-affected", (!shards.is_empty()).to_string()),
                ("matrix", matrix),
            ],
        )?;
    }
    let max = shards.iter().map(|s| s.seconds).fold(0.0, f64::max);
    let n = shards.len();
    eprintln!(
        "{}; {n} shards, the longest {max:.1} s",
        output::summary(sel)
    );
    Ok(Exit::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(items: &[(&str, f64)]) -> Vec<(String, f64)> {
        items.iter().map(|&(n, s)| (n.to_owned(), s)).collect()
    }

    /// `shard --format github-matrix`, exactly as printed: three shards
    /// of six timed modules.
    #[test]
    fn github_matrix_snapshot() {
        let weights = w(&[
            ("app", 5.0),
            ("core", 4.0),
            ("mid", 3.0),
            ("cli", 3.0),
            ("docs", 2.0),
            ("x-y", 1.0 / 3.0),
        ]);
        insta::assert_snapshot!(matrix(&shards(&weights, 3)).unwrap());
    }

    #[test]
    fn longest_first_into_the_lightest_shard() {
        let parts = split(
            &w(&[
                ("a", 5.0),
                ("b", 4.0),
                ("c", 3.0),
                ("d", 3.0),
                ("e", 2.0),
                ("f", 1.0),
            ]),
            2,
        );
        // a→0, b→1, c→1 (4<5), d→0 (5<7), e→0? 8 vs 7 → 1, f→ 8 vs 9 → 0
        assert_eq!(parts[0], (vec!["a".into(), "d".into(), "f".into()], 9.0));
        assert_eq!(parts[1], (vec!["b".into(), "c".into(), "e".into()], 9.0));
        assert_eq!(split(&w(&[("x", 1.0)]), 4).len(), 1);
        assert!(split(&[], 3).is_empty());
    }

    #[test]
    fn junit_times_are_summed_per_module() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="4">
  <testsuite name="depgraph" tests="2">
    <testcase name="a" classname="depgraph" time="1.5"/>
    <testcase name="b" classname="depgraph" time="0.5"></testcase>
  </testsuite>
  <testsuite name="critical-path::critical_path" tests="1">
    <testcase name="e2e" classname="critical-path::critical_path" time="3.25"/>
  </testsuite>
  <testsuite name="other">
    <testcase name="x" classname="com.example.XTest" time="9"/>
  </testsuite>
</testsuites>"#;
        let known = |m: &str| m == "depgraph" || m == "critical-path";
        let t = junit(Path::new("junit.xml"), xml, &known).unwrap();
        assert_eq!(t.get("depgraph"), Some(&2.0));
        assert_eq!(t.get("critical-path"), Some(&3.25));
        assert_eq!(t.len(), 2);
        let bad = br#"<testsuites><testsuite name="a">
<testcase name="x" time="soon"/></testsuite></testsuites>"#;
        let e = junit(Path::new("junit.xml"), bad, &known)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "junit.xml:2: testcase time=\"soon\"; expected a number of seconds >= 0"
        );
        let broken = b"<testsuites><testsuite></testsuites>";
        let e = junit(Path::new("j.xml"), broken, &known)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("j.xml:1: "), "{e}");
    }
}
