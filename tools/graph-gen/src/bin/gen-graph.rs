//! `gen-graph`: writes a deterministic, realistic layered monorepo graph in
//! the native JSON format, for benchmarks, demos and tests.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use graph_gen::{GenOptions, Layered};

/// Generate a synthetic module graph shaped like a large monorepo.
///
/// The graph has foundation libraries at the bottom (`libs/…`, few, each
/// depended on by many), layers of feature modules in the middle
/// (`features/…`) and apps at the top (`apps/…`, which depend on many
/// features). Dependencies only point to lower layers, so the graph is
/// acyclic. Durations are heavy-tailed: most modules build in 1–20 s, a few
/// huge ones take 60–300 s.
///
/// The output is the native JSON format that `critical-path` reads:
///
///   {"modules":[{"name":"log-0003","duration_s":4.2,"deps":["core-0000"],"path":"libs/log-0003"}, …]}
///
/// The same options always produce the same bytes, so a seed names a graph.
/// The file is streamed: a million modules need no more memory than ten.
///
/// Examples:
///
///   gen-graph --modules 1000 --avg-deps 4 --seed 42 --output fixtures/monorepo-1000.json
///
///   gen-graph --modules 1000000 --avg-deps 5 | critical-path analyze - --jobs 16
#[derive(Parser, Debug)]
#[command(name = "gen-graph", version, verbatim_doc_comment)]
struct Args {
    /// Number of modules to generate (exact).
    #[arg(long, short = 'n', default_value_t = 1000)]
    modules: usize,

    /// Mean number of dependencies per module, i.e. edges / modules. Apps
    /// get three times the mean of a feature module, the lowest libraries
    /// none.
    #[arg(long, short = 'd', default_value_t = 4.0, value_parser = parse_avg_deps)]
    avg_deps: f64,

    /// Seed of the pseudo-random generator. Same seed, same graph.
    #[arg(long, short = 's', default_value_t = 42)]
    seed: u64,

    /// File to write; standard output when absent or `-`.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,

    /// Print the number of modules, edges and layers and the time taken to
    /// standard error.
    #[arg(long, short = 'v')]
    verbose: bool,
}

fn parse_avg_deps(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err("expected a number of dependencies >= 0".into())
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    if u32::try_from(args.modules).map_or(true, |n| n == u32::MAX) {
        anyhow::bail!("--modules must be below {}", u32::MAX);
    }
    let opts = GenOptions {
        modules: args.modules,
        avg_deps: args.avg_deps,
        seed: args.seed,
    };
    let started = Instant::now();
    let plan = Layered::new(&opts);
    let edges = match args.output.as_deref() {
        Some(p) if p.as_os_str() != "-" => {
            let file = File::create(p).with_context(|| format!("cannot create {}", p.display()))?;
            let mut w = BufWriter::with_capacity(1 << 20, file);
            plan.write_json(&mut w, false)
                .and_then(|e| w.flush().map(|()| e))
                .with_context(|| format!("cannot write {}", p.display()))?
        }
        _ => {
            let mut w = BufWriter::with_capacity(1 << 20, io::stdout().lock());
            match plan
                .write_json(&mut w, false)
                .and_then(|e| w.flush().map(|()| e))
            {
                Ok(e) => e,
                // `gen-graph | head` is fine.
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
                Err(e) => return Err(e).context("cannot write to standard output"),
            }
        }
    };
    if args.verbose {
        eprintln!(
            "gen-graph: {} modules, {} edges ({:.2} per module), {} layers, seed {}, {:.2} s",
            plan.len(),
            edges,
            edges as f64 / plan.len().max(1) as f64,
            plan.layer_count(),
            args.seed,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(modules: usize, avg_deps: f64, seed: u64) -> (Vec<u8>, usize) {
        let plan = Layered::new(&GenOptions {
            modules,
            avg_deps,
            seed,
        });
        let mut out = Vec::new();
        let edges = plan.write_json(&mut out, false).unwrap();
        (out, edges)
    }

    #[test]
    fn output_is_valid_json_of_the_native_format() {
        let (out, edges) = json(300, 3.0, 5);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let mods = v["modules"].as_array().unwrap();
        assert_eq!(mods.len(), 300);
        let mut names = std::collections::HashSet::new();
        let mut n_edges = 0;
        for m in mods {
            let name = m["name"].as_str().unwrap();
            assert!(m["duration_s"].as_f64().unwrap() > 0.0);
            for d in m["deps"].as_array().unwrap() {
                // Dependencies come first in the file.
                assert!(names.contains(d.as_str().unwrap()), "{name} -> {d}");
                n_edges += 1;
            }
            if let Some(p) = m.get("path") {
                assert!(p.as_str().unwrap().ends_with(name));
            }
            assert!(names.insert(name.to_owned()));
        }
        assert_eq!(n_edges, edges);
    }

    #[test]
    fn deterministic_bytes() {
        assert_eq!(json(500, 4.0, 42).0, json(500, 4.0, 42).0);
        assert_ne!(json(500, 4.0, 42).0, json(500, 4.0, 41).0);
    }

    #[test]
    fn empty_graph() {
        let (out, edges) = json(0, 4.0, 1);
        assert_eq!(edges, 0);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["modules"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn cli_parses() {
        use clap::CommandFactory;
        Args::command().debug_assert();
        let a =
            Args::try_parse_from(["gen-graph", "--modules", "10", "--avg-deps", "2.5"]).unwrap();
        assert_eq!((a.modules, a.avg_deps, a.seed), (10, 2.5, 42));
        assert!(Args::try_parse_from(["gen-graph", "--avg-deps", "-1"]).is_err());
    }
}
