//! The four tools speak one command-line language (docs/cli.md): every
//! shared flag has the same name, value name and meaning in each tool that
//! has it, and the document lists each of them.

use std::collections::BTreeMap;

use clap::{Arg, Command, CommandFactory};

/// Every (tool, subcommand path, argument) of the four binaries.
fn all_args() -> Vec<(String, Arg)> {
    let tools: [Command; 4] = [
        critical_path::Cli::command(),
        test_impact::Cli::command(),
        warnings_collector::Cli::command(),
        deferred_compliance::Cli::command(),
    ];
    let mut out = Vec::new();
    for mut tool in tools {
        tool.build();
        walk(&tool, tool.get_name().to_owned(), &mut out);
    }
    out
}

fn walk(cmd: &Command, path: String, out: &mut Vec<(String, Arg)>) {
    for a in cmd.get_arguments() {
        if a.get_long().is_some() {
            out.push((path.clone(), a.clone()));
        }
    }
    for sub in cmd.get_subcommands() {
        walk(sub, format!("{path} {}", sub.get_name()), out);
    }
}

/// The shared flags of docs/cli.md's table: long name → value name (empty
/// for a switch).
fn documented() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md"))
        .expect("docs/cli.md exists");
    let table = doc
        .split("## Shared flags")
        .nth(1)
        .and_then(|t| t.split("\n## ").next())
        .expect("docs/cli.md has a `## Shared flags` section");
    let mut flags = BTreeMap::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let long = cells[1]
            .split(", ")
            .map(|f| f.trim_matches('`'))
            .find(|f| f.starts_with("--"))
            .expect("a row names a long flag");
        flags.insert(long.to_owned(), cells[2].trim_matches('`').to_owned());
    }
    flags
}

fn value_name(a: &Arg) -> String {
    let takes_value = a.get_action().takes_values();
    if !takes_value {
        return String::new();
    }
    a.get_value_names()
        .map(|v| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| a.get_id().as_str().to_uppercase())
}

#[test]
fn every_shared_flag_has_its_documented_value_in_every_tool() {
    let doc = documented();
    assert!(doc.len() >= 12, "{doc:?}");
    let mut bad = Vec::new();
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, a) in all_args() {
        let long = format!("--{}", a.get_long().unwrap());
        let Some(want) = doc.get(&long) else { continue };
        seen.entry(long.clone()).or_default().push(path.clone());
        let got = value_name(&a);
        if &got != want {
            bad.push(format!(
                "{path} {long}: value `{got}`, docs/cli.md says `{want}`"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The global flags are in every subcommand of every tool.
    for g in ["--verbose", "--quiet", "--color"] {
        let tools: std::collections::BTreeSet<&str> = seen[g]
            .iter()
            .map(|p| p.split(' ').next().unwrap())
            .collect();
        assert_eq!(tools.len(), 4, "{g} in {tools:?}");
    }
}

/// `--format` is an output format everywhere: each of its values is one of
/// docs/cli.md's output formats, and the logs' formats are `--input-format`.
#[test]
fn format_is_always_the_output() {
    let outputs = [
        "text",
        "json",
        "list",
        "nextest",
        "cargo",
        "github-matrix",
        "github",
    ];
    let mut inputs = Vec::new();
    let mut formats = Vec::new();
    for (path, a) in all_args() {
        let values: Vec<String> = a
            .get_possible_values()
            .iter()
            .map(|v| v.get_name().to_owned())
            .collect();
        match a.get_long() {
            Some("format") => formats.push((path, values)),
            Some("input-format") => inputs.extend(values),
            _ => {}
        }
    }
    assert!(formats.len() >= 10, "{formats:?}");
    assert!(inputs.iter().any(|v| v == "ruby"), "{inputs:?}");
    for (path, values) in formats {
        for v in &values {
            assert!(
                outputs.contains(&v.as_str()),
                "{path} --format {v}: not an output format"
            );
        }
    }
}

/// `--repo` is a GitHub repository, `--root` a directory, in every tool.
#[test]
fn repo_is_github_and_root_is_a_directory() {
    for (path, a) in all_args() {
        match a.get_long() {
            Some("repo") => assert_eq!(value_name(&a), "OWNER/NAME", "{path} --repo"),
            Some("root") => assert_eq!(value_name(&a), "DIR", "{path} --root"),
            _ => {}
        }
    }
}

/// The exit codes of docs/cli.md are cli_support's.
#[test]
fn the_documented_exit_codes_are_the_tools() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md")).unwrap();
    for code in ["| 0 |", "| 1 |", "| 2 |", "| 3 |"] {
        assert!(doc.contains(code), "docs/cli.md lacks exit code {code}");
    }
    let help = test_impact::Cli::command().render_long_help().to_string();
    assert!(help.contains("2  bad usage or bad input"), "{help}");
}
