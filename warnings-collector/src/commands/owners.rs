//! `warnings-collector owners`: the CODEOWNERS owners of each path.
//!
//! Paths come from the arguments, or one per line from stdin (`-`, or no
//! argument with stdin not a terminal; NUL-separated with `-z`, as `git
//! ls-files -z` writes them), and are answered as they are read: a million
//! paths are never held in memory. A line in git's quoted form (`git
//! ls-files` without `-z` quotes a path with a non-ASCII byte or a control
//! character: `"caf\303\251.rb"`) is unquoted first.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use codeowners::{CodeOwners, Dialect, Match};

use super::OutputFormat;
use crate::Exit;

#[derive(Args, Debug)]
pub struct OwnersArgs {
    /// The CODEOWNERS file. Default: the first of .github/CODEOWNERS,
    /// CODEOWNERS, docs/CODEOWNERS under --root.
    #[arg(long, value_name = "FILE")]
    pub codeowners: Option<PathBuf>,

    /// The repository root: where CODEOWNERS is looked for, and what
    /// absolute paths are made relative to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,

    /// The CODEOWNERS syntax: GitHub's, or GitLab's with sections.
    #[arg(long, value_parser = dialect_parser(), default_value = "github", value_name = "DIALECT")]
    pub dialect: Dialect,

    /// `text`: `path<TAB>@owner …` (or `(unowned)`, `(no rule)`) per line;
    /// `json`: an array of `{"path", "owners", "line"}`.
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,

    /// Paths on stdin are separated by NUL bytes, not lines: the output of
    /// `git ls-files -z`, where no path is quoted.
    #[arg(short = 'z', long = "null")]
    pub null: bool,

    /// Paths relative to the root (or absolute, under it); `-` reads them
    /// one per line from stdin, as does giving none when stdin is not a
    /// terminal. `git ls-files | warnings-collector owners` and `git
    /// ls-files -z | warnings-collector owners -z` both work.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
}

/// `--dialect`: depgraph's [`Dialect`] names.
fn dialect_parser() -> impl clap::builder::TypedValueParser<Value = Dialect> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([Dialect::GitHub.name(), Dialect::GitLab.name()])
        .try_map(|s| s.parse::<Dialect>())
}

pub(crate) fn run(args: &OwnersArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    let file = match &args.codeowners {
        Some(f) => f.clone(),
        None => codeowners::discover(&args.root).with_context(|| {
            format!(
                "no CODEOWNERS file under {}: looked for {}; pass --codeowners FILE or --root DIR",
                args.root.display(),
                codeowners::LOCATIONS.join(", ")
            )
        })?,
    };
    let (owners, warnings) = CodeOwners::load(&file, args.dialect)?;
    for w in &warnings {
        if w.line == 0 {
            eprintln!("warning: {}: {}", file.display(), w.message);
        } else {
            eprintln!("warning: {}:{}: {}", file.display(), w.line, w.message);
        }
    }

    let from_stdin = match args.paths.as_slice() {
        [] if io::stdin().is_terminal() => {
            bail!("no paths: give PATH arguments, or `-` to read them one per line from stdin")
        }
        [] => true,
        [one] if one == "-" => true,
        many if many.iter().any(|p| p == "-") => {
            bail!("`-` (read paths from stdin) cannot be combined with PATH arguments")
        }
        _ => false,
    };

    let root = Root::new(&args.root);
    let mut w = Writer {
        out,
        format: args.format,
        first: true,
    };
    w.start()?;
    if from_stdin {
        let mut stdin = io::stdin().lock();
        let mut batch = Batch::default();
        let mut eof = false;
        while !eof {
            eof = batch.fill(&mut stdin, if args.null { b'\0' } else { b'\n' })?;
            // Each chunk answers its paths into its own buffer, on a
            // thread per core; the buffers are written in input order.
            let chunks: Vec<&[(usize, usize)]> = batch.lines().chunks(CHUNK).collect();
            let outputs: Vec<Vec<u8>> = crate::parallel::map_ordered(&chunks, |chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 64);
                let mut scratch = Vec::new();
                for &(a, b) in *chunk {
                    let raw = &batch.bytes[a..b];
                    let unquoted = (!args.null)
                        .then(|| cli_support::git_unquote(raw))
                        .flatten();
                    let text = String::from_utf8_lossy(unquoted.as_deref().unwrap_or(raw));
                    entry(
                        &owners,
                        args.format,
                        root.relative(&text),
                        &mut buf,
                        &mut scratch,
                    );
                }
                buf
            });
            for buf in &outputs {
                w.write(buf)?;
            }
        }
    } else {
        let mut buf = Vec::new();
        let mut scratch = Vec::new();
        for p in &args.paths {
            buf.clear();
            entry(
                &owners,
                args.format,
                root.relative(p),
                &mut buf,
                &mut scratch,
            );
            w.write(&buf)?;
        }
    }
    w.finish()?;
    Ok(Exit::Success)
}

/// Paths read from stdin at a time: bounds memory (a few MB) whatever the
/// input's length, and is large enough to keep every thread busy.
const BATCH: usize = 64 * 1024;
/// Paths answered by one task.
const CHUNK: usize = 2048;

/// Up to [`BATCH`] lines of stdin, as byte ranges of one buffer.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// `(start, end)` of each non-empty line, without `\n` or `\r\n`.
    lines: Vec<(usize, usize)>,
}

impl Batch {
    /// Replaces the batch with the next paths, ended by `delimiter` (a
    /// line break, or NUL); `true` at the end of input.
    fn fill(&mut self, input: &mut impl BufRead, delimiter: u8) -> anyhow::Result<bool> {
        self.bytes.clear();
        self.lines.clear();
        while self.lines.len() < BATCH {
            let start = self.bytes.len();
            let n = input
                .read_until(delimiter, &mut self.bytes)
                .context("cannot read paths from stdin")?;
            if n == 0 {
                return Ok(true);
            }
            let mut end = self.bytes.len();
            if self.bytes[end - 1] == delimiter {
                end -= 1;
            }
            if delimiter == b'\n' && end > start && self.bytes[end - 1] == b'\r' {
                end -= 1;
            }
            if end > start {
                self.lines.push((start, end));
            }
        }
        Ok(false)
    }

    fn lines(&self) -> &[(usize, usize)] {
        &self.lines
    }
}

/// `--root`, as the strings an absolute path under it starts with.
struct Root {
    prefixes: Vec<String>,
}

impl Root {
    fn new(root: &Path) -> Root {
        let mut prefixes = Vec::new();
        let forms = [std::path::absolute(root).ok(), root.canonicalize().ok()];
        for p in forms.into_iter().flatten() {
            if let Some(s) = p.to_str() {
                let s = s.trim_end_matches('/');
                if !prefixes.iter().any(|x| x == s) {
                    prefixes.push(s.to_owned());
                }
            }
        }
        Root { prefixes }
    }

    /// `path` relative to the root when it is absolute and under it, with
    /// any leading `./` removed.
    fn relative<'a>(&self, path: &'a str) -> &'a str {
        let mut p = path;
        if p.starts_with('/') {
            for r in &self.prefixes {
                if let Some(rest) = p.strip_prefix(r.as_str()) {
                    if let Some(rest) = rest.strip_prefix('/') {
                        p = rest;
                        break;
                    } else if rest.is_empty() {
                        p = "";
                        break;
                    }
                }
            }
        }
        while let Some(rest) = p.strip_prefix("./") {
            p = rest.trim_start_matches('/');
        }
        p
    }
}

/// Appends the answer for `path` to `buf`: a text line, or a JSON object
/// preceded by `,\n` (the [`Writer`] drops the first comma).
fn entry<'a>(
    owners: &'a CodeOwners,
    format: OutputFormat,
    path: &str,
    buf: &mut Vec<u8>,
    scratch: &mut Vec<&'a str>,
) {
    // The winning rule: GitHub's last match; GitLab's last match over all
    // sections (the owners are then the union of every section's).
    let winner: Option<Match<'a>> = owners.owner_of(path);
    scratch.clear();
    if owners.sections().is_empty() {
        if let Some(m) = &winner {
            scratch.extend(m.owners.iter().map(String::as_str));
        }
    } else if winner.is_some() {
        scratch.extend(owners.owners(path));
    }
    match format {
        OutputFormat::Text => {
            buf.extend_from_slice(path.as_bytes());
            buf.push(b'\t');
            match &winner {
                None => buf.extend_from_slice(b"(no rule)"),
                Some(_) if scratch.is_empty() => buf.extend_from_slice(b"(unowned)"),
                Some(_) => {
                    for (i, o) in scratch.iter().enumerate() {
                        if i > 0 {
                            buf.push(b' ');
                        }
                        buf.extend_from_slice(o.as_bytes());
                    }
                }
            }
            buf.push(b'\n');
        }
        OutputFormat::Json => {
            buf.extend_from_slice(b",\n{\"path\":");
            json_string(buf, path);
            buf.extend_from_slice(b",\"owners\":[");
            for (i, o) in scratch.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                json_string(buf, o);
            }
            match &winner {
                Some(m) => {
                    let _ = write!(buf, "],\"line\":{}}}", m.line);
                }
                None => buf.extend_from_slice(b"],\"line\":null}"),
            }
        }
    }
}

fn json_string(buf: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *buf, s);
}

/// Writes the answers in order: text lines, or a streamed JSON array.
struct Writer<'a, W: Write> {
    out: &'a mut W,
    format: OutputFormat,
    /// No JSON object written yet.
    first: bool,
}

impl<W: Write> Writer<'_, W> {
    fn start(&mut self) -> io::Result<()> {
        if self.format == OutputFormat::Json {
            self.out.write_all(b"[")?;
        }
        Ok(())
    }

    /// Writes answers made by [`entry`].
    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.format == OutputFormat::Json && self.first && !buf.is_empty() {
            self.first = false;
            return self.out.write_all(&buf[1..]);
        }
        self.out.write_all(buf)
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.format == OutputFormat::Json {
            self.out
                .write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_strips_root_and_dot_slash() {
        let root = Root {
            prefixes: vec!["/repo".into()],
        };
        assert_eq!(root.relative("/repo/src/a.rs"), "src/a.rs");
        assert_eq!(root.relative("./src/a.rs"), "src/a.rs");
        assert_eq!(root.relative("././src"), "src");
        assert_eq!(root.relative("/repository/a"), "/repository/a");
        assert_eq!(root.relative("/other/a"), "/other/a");
        assert_eq!(root.relative("src/a.rs"), "src/a.rs");
    }
}
