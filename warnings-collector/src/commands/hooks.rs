//! `warnings-collector hooks`: the in-process capture hooks, one small
//! file per runtime that a test run loads without any change to its code
//! (`RUBYOPT=-r…`, `pytest -p …`, `node --require …`). Each appends one
//! JSON line per warning, with its place, its category and the running
//! test, to `$WARNINGS_COLLECTOR_JSONL`, in the form `collect --jsonl`
//! reads. The sources live in `warnings-collector/hooks/` and are built
//! into the binary.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};

use crate::Exit;

/// The environment variable naming the JSONL file the hooks append to.
pub(crate) const ENV_VAR: &str = "WARNINGS_COLLECTOR_JSONL";

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// Ruby: `Warning.warn`, with the running Minitest test or RSpec
    /// example. Loaded with `RUBYOPT=-rFILE`.
    Ruby,
    /// pytest 6 or newer: every warning pytest records, with the test's
    /// node id. Loaded with `PYTHONPATH=DIR pytest -p warnings_collector_pytest`.
    Pytest,
    /// Node.js: process warnings, with the test file under `node --test`.
    /// Loaded with `node --require FILE` (or `--import`, or `NODE_OPTIONS`).
    Node,
}

/// A hook's source and how to load it.
pub(crate) struct Hook {
    /// The conventional file name, also what `pytest -p` imports.
    pub file_name: &'static str,
    pub source: &'static str,
}

impl Runtime {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Runtime::Ruby => "ruby",
            Runtime::Pytest => "pytest",
            Runtime::Node => "node",
        }
    }

    pub(crate) fn hook(self) -> Hook {
        match self {
            Runtime::Ruby => Hook {
                file_name: "warnings_collector_hook.rb",
                source: include_str!("../../hooks/warnings_collector_hook.rb"),
            },
            Runtime::Pytest => Hook {
                file_name: "warnings_collector_pytest.py",
                source: include_str!("../../hooks/warnings_collector_pytest.py"),
            },
            Runtime::Node => Hook {
                file_name: "warnings_collector_hook.cjs",
                source: include_str!("../../hooks/warnings_collector_hook.cjs"),
            },
        }
    }

    /// The line that runs the tests with the hook installed in `dir`, as
    /// `(environment, command)` for a POSIX shell. A relative `dir` is
    /// anchored at `$PWD` (or `./` for node), the directory the tests run
    /// from, so the line works in any checkout and in child processes that
    /// change directory.
    pub(crate) fn command(self, dir: &Path) -> (String, String) {
        let file = dir.join(self.hook().file_name);
        let jsonl = format!("{ENV_VAR}=warnings.jsonl");
        match self {
            Runtime::Ruby => (
                format!("{jsonl} RUBYOPT={}", shell_word("-r", "$PWD/", &file)),
                "bundle exec rake test".to_owned(),
            ),
            Runtime::Pytest => (
                format!("{jsonl} PYTHONPATH={}", shell_word("", "$PWD/", dir)),
                "pytest -p warnings_collector_pytest".to_owned(),
            ),
            Runtime::Node => (
                jsonl,
                format!("node --require {} --test", shell_word("", "./", &file)),
            ),
        }
    }
}

/// `prefix` then `path` as one shell word, a relative path after `anchor`
/// (`$PWD/`, left for the shell to expand, or `./`), quoted where needed.
fn shell_word(prefix: &str, anchor: &str, path: &Path) -> String {
    let p = path.to_string_lossy().replace('\\', "/");
    let (anchor, rest) = if path.is_absolute() {
        ("", p.as_str())
    } else {
        (anchor, p.strip_prefix("./").unwrap_or(&p))
    };
    let plain = rest
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        format!("{prefix}{anchor}{rest}")
    } else {
        // Double quotes keep `$PWD` expanding; only `"`, `\`, `$` and `` ` ``
        // are special inside them.
        let escaped: String = rest
            .chars()
            .flat_map(|c| {
                let esc = matches!(c, '"' | '\\' | '$' | '`').then_some('\\');
                esc.into_iter().chain([c])
            })
            .collect();
        format!("\"{prefix}{anchor}{escaped}\"")
    }
}

#[derive(Args, Debug)]
pub struct HooksArgs {
    /// Which hook: `ruby` (a file for `RUBYOPT=-r`), `pytest` (a plugin for
    /// `pytest -p`) or `node` (a preload for `node --require`/`--import`).
    #[arg(value_enum, value_name = "RUNTIME")]
    pub runtime: Runtime,

    /// Write the hook to DIR (created if missing) under its conventional
    /// name, and print the lines that run the tests with it and read what
    /// it wrote. An existing different file is left alone (exit 2) unless
    /// --force.
    #[arg(long, value_name = "DIR")]
    pub install: Option<PathBuf>,

    /// With --install: replace an existing file that differs (an older
    /// hook, or one edited by hand).
    #[arg(long, requires = "install")]
    pub force: bool,
}

pub(crate) fn run(args: &HooksArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    let hook = args.runtime.hook();
    let Some(dir) = &args.install else {
        out.write_all(hook.source.as_bytes())?;
        return Ok(Exit::Success);
    };
    let path = dir.join(hook.file_name);
    match install(dir, &path, hook.source.as_bytes(), args.force)? {
        Installed::Wrote => eprintln!("wrote {}", path.display()),
        Installed::Replaced => eprintln!("replaced {} (it differed)", path.display()),
        Installed::Unchanged => eprintln!("{} is up to date", path.display()),
        Installed::Differs => {
            eprintln!(
                "warnings-collector: error: {} exists and differs from this version's {} hook; left as it is (pass --force to replace it)",
                path.display(),
                args.runtime.name()
            );
            return Ok(Exit::BadInput);
        }
    }
    let (env, runner) = args.runtime.command(dir);
    if args.runtime == Runtime::Ruby {
        let abs = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
        if abs.to_string_lossy().chars().any(char::is_whitespace) {
            eprintln!(
                "warnings-collector: warning: {}: Ruby splits RUBYOPT at spaces, so -r cannot load a path that has one; install into a folder whose path has none",
                abs.display()
            );
        }
    }
    writeln!(out, "rm -f warnings.jsonl")?;
    writeln!(out, "{env} {runner}")?;
    writeln!(out, "warnings-collector collect --jsonl warnings.jsonl")?;
    Ok(Exit::Success)
}

#[derive(Debug, PartialEq, Eq)]
enum Installed {
    Wrote,
    Replaced,
    Unchanged,
    Differs,
}

/// Writes `bytes` to `path` in `dir`, never over a different file unless
/// `force`. A failure to write is [`Exit::Unavailable`] (3); `dir` or `path`
/// being something else than a folder and a regular file is bad usage (2).
fn install(dir: &Path, path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<Installed> {
    if dir.exists() && !dir.is_dir() {
        bail!("{}: not a folder", dir.display());
    }
    // Through symlinks: one to /dev/zero must not be read forever.
    if path.exists() && !path.is_file() {
        bail!(
            "{}: exists and is not a regular file; left as it is",
            path.display()
        );
    }
    let disk = |e: io::Error, what: &str| {
        anyhow::Error::new(cli_support::Unavailable(Box::new(e)))
            .context(format!("{}: cannot {what}", path.display()))
    };
    let existed = match fs::read(path) {
        Ok(have) if have == bytes => return Ok(Installed::Unchanged),
        Ok(_) if !force => return Ok(Installed::Differs),
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => {
            return Err(e)
                .with_context(|| format!("{}: cannot read the file there", path.display()));
        }
    };
    fs::create_dir_all(dir).map_err(|e| {
        anyhow::Error::new(cli_support::Unavailable(Box::new(e)))
            .context(format!("{}: cannot create the folder", dir.display()))
    })?;
    if existed {
        crate::report::write_atomic(path, bytes).map_err(|e| disk(e, "write the hook"))?;
        return Ok(Installed::Replaced);
    }
    // Not there a moment ago: create it, but never over a file that
    // appeared since.
    let mut f = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return install(dir, path, bytes, force);
        }
        Err(e) => return Err(disk(e, "write the hook")),
    };
    if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
        drop(f);
        let _ = fs::remove_file(path);
        return Err(disk(e, "write the hook"));
    }
    Ok(Installed::Wrote)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_and_anchor_the_folder() {
        assert_eq!(
            Runtime::Ruby.command(Path::new(".ci")).0,
            "WARNINGS_COLLECTOR_JSONL=warnings.jsonl RUBYOPT=-r$PWD/.ci/warnings_collector_hook.rb"
        );
        assert_eq!(
            Runtime::Pytest.command(Path::new("./ci hooks")).0,
            "WARNINGS_COLLECTOR_JSONL=warnings.jsonl PYTHONPATH=\"$PWD/ci hooks\""
        );
        assert_eq!(
            Runtime::Node.command(Path::new("/opt/h$x")).1,
            "node --require \"/opt/h\\$x/warnings_collector_hook.cjs\" --test"
        );
        assert_eq!(
            Runtime::Node.command(Path::new(".ci")).1,
            "node --require ./.ci/warnings_collector_hook.cjs --test"
        );
    }

    #[test]
    fn install_never_overwrites_a_different_file_without_force() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("new/dir");
        let path = dir.join("h.rb");
        assert_eq!(
            install(&dir, &path, b"v1", false).unwrap(),
            Installed::Wrote
        );
        assert_eq!(
            install(&dir, &path, b"v1", false).unwrap(),
            Installed::Unchanged
        );
        assert_eq!(
            install(&dir, &path, b"v2", false).unwrap(),
            Installed::Differs
        );
        assert_eq!(fs::read(&path).unwrap(), b"v1");
        assert_eq!(
            install(&dir, &path, b"v2", true).unwrap(),
            Installed::Replaced
        );
        assert_eq!(fs::read(&path).unwrap(), b"v2");
        let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn every_hook_names_the_variable_it_reads() {
        for r in [Runtime::Ruby, Runtime::Pytest, Runtime::Node] {
            let h = r.hook();
            assert!(h.source.contains(ENV_VAR), "{}", h.file_name);
        }
    }
}
