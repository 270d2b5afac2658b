//! One file per subcommand, each with its clap `Args` and its `run`.

pub(crate) mod analyze;
pub(crate) mod export;
pub(crate) mod owners;
pub(crate) mod slack;
pub(crate) mod tui;
pub(crate) mod what_if;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Args;
use depgraph::ModuleGraph;
use depgraph::input::{self, DotEdges, Format, LoadOptions};

/// Where the graph comes from; shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Input files: native JSON; DOT plus a times file; cargo-timing.html
    /// (plus `cargo metadata` JSON); .ninja_log plus `ninja -t graph` DOT.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Force the format of every input instead of detecting it from content.
    #[arg(long, value_parser = input_format_parser(), value_name = "FORMAT")]
    pub input_format: Option<Format>,

    /// `cargo metadata --format-version 1` output, adding the full package
    /// dependency edges to a cargo-timing.html report.
    #[arg(long, value_name = "FILE")]
    pub cargo_metadata: Option<PathBuf>,

    /// Direction of DOT edges. Default: `depends-on` (`a -> b`: a depends on
    /// b, as Bazel and Gradle export), except for `ninja -t graph` output,
    /// which is in build order.
    #[arg(long, value_parser = dot_edges_parser(), value_name = "DIRECTION")]
    pub dot_edges: Option<DotEdges>,

    /// Analyse only NAME and what it transitively depends on: the critical
    /// path to that target.
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
}

/// `--input-format`: depgraph's own [`Format`] names, each with what such
/// a file looks like as its help.
fn input_format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(Format::ALL.map(|f| PossibleValue::new(f.name()).help(f.expected())))
        .try_map(|s| s.parse::<Format>())
}

/// `--dot-edges`: depgraph's [`DotEdges`] names.
fn dot_edges_parser() -> impl clap::builder::TypedValueParser<Value = DotEdges> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(DotEdges::ALL.map(|d| {
        PossibleValue::new(d.name()).help(match d {
            DotEdges::DependsOn => "`a -> b` means a depends on b",
            DotEdges::BuildOrder => "`a -> b` means a is built before b",
        })
    }))
    .try_map(|s| s.parse::<DotEdges>())
}

/// `--format text|json`, the same in every tool.
pub(crate) use cli_support::Format as OutputFormat;

/// A loaded graph, restricted to `--target` when given.
pub struct Input {
    pub graph: ModuleGraph,
    pub formats: Vec<Format>,
    /// `Some(name)` when restricted to a target.
    pub target: Option<String>,
}

impl InputArgs {
    /// Reads and validates the inputs, prints the reader's notes to stderr,
    /// and applies `--target`.
    pub fn load(&self) -> anyhow::Result<Input> {
        let started = Instant::now();
        let opts = LoadOptions {
            input_format: self.input_format,
            cargo_metadata: self.cargo_metadata.clone(),
            dot_edges: self.dot_edges,
            // The critical path needs every module's time.
            durations_optional: false,
        };
        let loaded = input::load(&self.inputs, &opts)?;
        for note in &loaded.notes {
            eprintln!("note: {note}");
        }
        let mut graph = loaded.graph;
        tracing::info!(
            modules = graph.len(),
            edges = graph.edge_count(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded"
        );
        if graph.is_empty() {
            bail!(
                "{}: no modules; expected at least one module with a duration",
                display_inputs(&self.inputs)
            );
        }
        if let Some(name) = &self.target {
            let Some(id) = graph.find(name) else {
                bail!(
                    "--target `{name}`: no such module in {}{}",
                    display_inputs(&self.inputs),
                    suggest(&graph, name)
                );
            };
            let keep = graph.dependency_closure(&[id]);
            graph = graph
                .subgraph(&keep)
                .context("failed to restrict the graph to the target")?;
        }
        Ok(Input {
            graph,
            formats: loaded.formats,
            target: self.target.clone(),
        })
    }

    /// Refuses to write an output over one of the inputs.
    pub fn check_output(&self, flag: &str, out: &Path) -> anyhow::Result<()> {
        for input in self.inputs.iter().chain(&self.cargo_metadata) {
            if same_file(input, out) {
                bail!(
                    "{flag} {}: that is an input file; expected a new path for the output",
                    out.display()
                );
            }
        }
        Ok(())
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

pub(crate) fn display_inputs(inputs: &[PathBuf]) -> String {
    inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// "; did you mean `x`?" for a name that is a substring of (or contains)
/// module names, so a typo'd `--target` is quick to fix.
pub(crate) fn suggest(graph: &ModuleGraph, name: &str) -> String {
    let lower = name.to_lowercase();
    let mut hits: Vec<&str> = graph
        .modules()
        .map(|m| m.name.as_str())
        .filter(|m| {
            let m = m.to_lowercase();
            m.contains(&lower) || (!m.is_empty() && lower.contains(&m))
        })
        .take(4)
        .collect();
    hits.sort_unstable();
    match hits.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!(
            "; did you mean one of {}?",
            many.iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Resolves a module named on the command line, with a suggestion on a miss.
pub(crate) fn resolve(
    graph: &ModuleGraph,
    flag: &str,
    name: &str,
) -> anyhow::Result<depgraph::ModuleId> {
    graph
        .find(name)
        .with_context(|| format!("{flag} `{name}`: no such module{}", suggest(graph, name)))
}

/// Default `--jobs`: the machine's parallelism, as Cargo and Ninja use.
pub(crate) fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
