//! `warnings-collector collect`: the warnings of build and test logs, JUnit
//! reports and JSONL files, merged, attributed to their CODEOWNERS owners,
//! and reported per team.
//!
//! The inputs ([`InputArgs`]) and their reading ([`collect`]) are shared
//! with `baseline write` and `check`.
//!
//! An input that cannot be read (missing, a folder, unreadable) does not
//! stop the run: it is reported as `warning: FILE: cannot read: REASON`,
//! the rest is read and reported, and the command exits 2 at the end. A log
//! that is not valid UTF-8 is read with the bad bytes replaced, with one
//! warning naming its first bad line; a malformed JSONL line or JUnit file
//! is reported with its line and the rest is read. These do not change the
//! exit code.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::bail;
use ci_formats::github;
use clap::{Args, ValueEnum};
use codeowners::{CodeOwners, Dialect};

use crate::Exit;
use crate::parse::{self, LogFormat};
use crate::report::{self, Groups};
use crate::warning::{Collection, Root, Warning};

/// The inputs of `collect`, `baseline write` and `check`.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Build or test logs (`-`: stdin).
    #[arg(value_name = "LOG")]
    pub logs: Vec<PathBuf>,

    /// A JUnit XML report: the warnings in a test case's output belong to
    /// that test. Repeat for more.
    #[arg(long, value_name = "FILE")]
    pub junit: Vec<PathBuf>,

    /// A JSONL file of warnings, one `{"message", "file", "line", "test",
    /// "category"}` a line. Repeat for more.
    #[arg(long, value_name = "FILE")]
    pub jsonl: Vec<PathBuf>,

    /// The logs' format (and that of JUnit output); `auto` tries all.
    /// Spelled `--format` before 0.2 (still read, with a warning).
    #[arg(
        long = "input-format",
        value_enum,
        default_value = "auto",
        value_name = "FORMAT"
    )]
    pub format: LogFormat,

    /// The repository root: where CODEOWNERS is looked for, and what
    /// absolute paths in the logs are made relative to.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,

    /// The CODEOWNERS file. Default: the first of .github/CODEOWNERS,
    /// CODEOWNERS, docs/CODEOWNERS under --root.
    #[arg(long, value_name = "FILE")]
    pub codeowners: Option<PathBuf>,

    /// The CODEOWNERS syntax: GitHub's, or GitLab's with sections.
    #[arg(long, value_parser = dialect_parser(), default_value = "github", value_name = "DIALECT")]
    pub dialect: Dialect,
}

/// `--dialect`: depgraph's [`Dialect`] names.
fn dialect_parser() -> impl clap::builder::TypedValueParser<Value = Dialect> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([Dialect::GitHub.name(), Dialect::GitLab.name()])
        .try_map(|s| s.parse::<Dialect>())
}

/// `collect --output`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum CollectOutput {
    /// A table of warnings per team.
    #[default]
    Text,
    /// The warnings, a JSON array.
    Json,
    /// GitHub workflow annotations, and a table per team appended to
    /// $GITHUB_STEP_SUMMARY.
    Github,
}

#[derive(Args, Debug)]
pub struct CollectArgs {
    #[command(flatten)]
    pub input: InputArgs,

    /// Write the reports here: one Markdown checklist per team
    /// (`<team-slug>.md`), `unowned.md` and `summary.json`. Other files in
    /// DIR are left alone.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// `text`: warnings per team; `json`: the warnings; `github`: workflow
    /// annotations for the most frequent warnings and a step summary.
    /// Spelled `--output` before 0.2 (still read, with a warning).
    #[arg(long = "format", value_enum, default_value_t, value_name = "FORMAT")]
    pub output: CollectOutput,

    /// `--output github`: annotate at most this many warnings, the most
    /// frequent first (GitHub shows 10 warning annotations per step), then
    /// one notice saying how many were left out.
    #[arg(long, value_name = "N", default_value_t = report::GITHUB_ANNOTATIONS_PER_STEP)]
    pub max_annotations: usize,
}

/// What [`collect`] read.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// Merged, sorted by file, line and message, with their owners.
    pub warnings: Vec<Warning>,
    /// One line each, for stderr after `warning: `: files that could not be
    /// read, invalid UTF-8, malformed lines, CODEOWNERS problems.
    pub diagnostics: Vec<String>,
    /// How many inputs could not be read at all.
    pub unreadable: usize,
    /// How many were read only in part (malformed or truncated XML): fine
    /// for a report, not for a baseline.
    pub partial: usize,
    /// How many inputs were given.
    pub inputs: usize,
}

impl Collected {
    /// Prints the diagnostics on stderr, `warning: …` each.
    pub(crate) fn print_diagnostics(&self) {
        let mut err = io::stderr().lock();
        for d in &self.diagnostics {
            let _ = writeln!(err, "warning: {d}");
        }
    }

    /// After the output: one line on stderr when some input could not be
    /// read, and the exit code that says so.
    pub(crate) fn exit(&self) -> Exit {
        if self.unreadable == 0 {
            return Exit::Success;
        }
        eprintln!(
            "warnings-collector: error: {} of {} inputs could not be read (see above); the results leave {} out",
            self.unreadable,
            self.inputs,
            if self.unreadable == 1 { "it" } else { "them" }
        );
        Exit::BadInput
    }
}

/// Reads every input and merges the warnings, with their owners.
///
/// Errors (no input given, `-` twice, a `--codeowners` file that cannot be
/// read) stop the command; problems in one input are diagnostics.
pub(crate) fn collect(args: &InputArgs) -> anyhow::Result<Collected> {
    collect_with(args, true)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Log,
    Junit,
    Jsonl,
}

/// [`collect`], with or without owners (a baseline does not need them).
pub(crate) fn collect_with(args: &InputArgs, with_owners: bool) -> anyhow::Result<Collected> {
    let inputs: Vec<(Kind, &Path)> = args
        .logs
        .iter()
        .map(|p| (Kind::Log, p.as_path()))
        .chain(args.junit.iter().map(|p| (Kind::Junit, p.as_path())))
        .chain(args.jsonl.iter().map(|p| (Kind::Jsonl, p.as_path())))
        .collect();
    if inputs.is_empty() {
        bail!("no inputs: give LOG files (`-` for stdin), --junit FILE or --jsonl FILE");
    }
    if inputs.iter().filter(|(_, p)| is_stdin(p)).count() > 1 {
        bail!("`-` (stdin) given more than once");
    }

    let mut out = Collected {
        inputs: inputs.len(),
        ..Collected::default()
    };
    // CODEOWNERS first: a bad --codeowners fails before a long read.
    let owners = if with_owners {
        load_owners(args, &mut out.diagnostics)?
    } else {
        None
    };

    // Each input on its own thread; merged in input order, so the result
    // does not depend on the scheduling.
    // Each input's findings are merged into its own collection as they
    // are read, so memory grows with the distinct warnings, not with the
    // occurrences.
    let root = Root::new(&args.root);
    let parsed: Vec<Parsed> = crate::parallel::map_ordered(&inputs, |&(kind, path)| {
        read_one(kind, path, args.format, &root)
    });
    let mut collection = Collection::default();
    for p in parsed {
        out.diagnostics.extend(p.diagnostics);
        out.unreadable += usize::from(p.unreadable);
        out.partial += usize::from(p.partial);
        collection.merge(p.collection);
    }
    out.warnings = collection.into_warnings();
    if let Some(owners) = &owners {
        assign_owners(&mut out.warnings, owners);
    }
    Ok(out)
}

fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == "-"
}

/// The CODEOWNERS rules: `--codeowners` (an error when unreadable), or the
/// discovered file, or none (a diagnostic: every warning is unowned).
fn load_owners(args: &InputArgs, diags: &mut Vec<String>) -> anyhow::Result<Option<CodeOwners>> {
    let file = match &args.codeowners {
        Some(f) => f.clone(),
        None => match codeowners::discover(&args.root) {
            Some(f) => f,
            None => {
                diags.push(format!(
                    "no CODEOWNERS file under {} (looked for {}): every warning is unowned; pass --codeowners FILE or --root DIR",
                    args.root.display(),
                    codeowners::LOCATIONS.join(", ")
                ));
                return Ok(None);
            }
        },
    };
    let (owners, warnings) = CodeOwners::load(&file, args.dialect)?;
    for w in warnings {
        if w.line == 0 {
            diags.push(format!("{}: {}", file.display(), w.message));
        } else {
            diags.push(format!("{}:{}: {}", file.display(), w.line, w.message));
        }
    }
    Ok(Some(owners))
}

/// Fills in each warning's owners. The warnings are sorted by file, so
/// each file is looked up once.
fn assign_owners(warnings: &mut [Warning], owners: &CodeOwners) {
    let mut last: Option<(String, Vec<String>)> = None;
    for w in warnings.iter_mut() {
        if !report::in_repository(&w.file) {
            continue;
        }
        if last.as_ref().is_none_or(|(f, _)| *f != w.file) {
            let o = owners
                .owners(&w.file)
                .into_iter()
                .map(str::to_owned)
                .collect();
            last = Some((w.file.clone(), o));
        }
        if let Some((_, o)) = &last {
            w.owners.clone_from(o);
        }
    }
}

/// One input's findings.
struct Parsed {
    collection: Collection,
    diagnostics: Vec<String>,
    unreadable: bool,
    /// Read only in part: malformed or truncated JUnit XML.
    partial: bool,
}

fn read_one(kind: Kind, path: &Path, format: LogFormat, root: &Root) -> Parsed {
    let name = if is_stdin(path) {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    };
    let mut p = Parsed {
        collection: Collection::default(),
        diagnostics: Vec::new(),
        unreadable: false,
        partial: false,
    };
    let opened: io::Result<Box<dyn Read + Send>> = if is_stdin(path) {
        Ok(Box::new(io::stdin()))
    } else {
        std::fs::File::open(path).map(|f| Box::new(f) as Box<dyn Read + Send>)
    };
    let read = opened.and_then(|r| {
        // Compressed inputs are decoded; data that is not text is refused.
        let (text, _) = crate::input::open(r)?;
        if kind == Kind::Log {
            // Streamed in chunks: a 1 GB log is never held whole, and
            // reading overlaps parsing.
            let mut ctx = parse::Context::default();
            let collection = &mut p.collection;
            return parse::parse_stream(
                &name,
                text,
                format,
                parse::CHUNK,
                &mut ctx,
                &mut |f| collection.add(f, root),
                &mut p.diagnostics,
            );
        }
        let mut bytes = Vec::new();
        let mut text = text;
        text.read_to_end(&mut bytes)?;
        let mut found = Vec::new();
        match kind {
            Kind::Junit => {
                p.partial =
                    !parse::junit::parse(&name, &bytes, format, &mut found, &mut p.diagnostics);
            }
            Kind::Log => unreachable!("logs are streamed above"),
            Kind::Jsonl => {
                let text = utf8_lossy(&name, bytes, &mut p.diagnostics);
                parse::jsonl::parse(&name, &text, &mut found, &mut p.diagnostics);
            }
        }
        for f in found {
            p.collection.add(f, root);
        }
        Ok(())
    });
    if let Err(e) = read {
        match crate::input::not_text_of(&e) {
            Some(not_text) => p
                .diagnostics
                .push(format!("{name}: cannot read: {not_text}")),
            None => p.diagnostics.push(format!("{name}: cannot read: {e}")),
        }
        p.unreadable = true;
    }
    p
}

/// The text of a file; invalid UTF-8 is replaced with U+FFFD, and one
/// diagnostic names the first line that has some.
fn utf8_lossy(name: &str, bytes: Vec<u8>, diags: &mut Vec<String>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let line = 1 + memchr::memchr_iter(b'\n', &bytes[..valid]).count();
            diags.push(format!(
                "{name}:{line}: not valid UTF-8 (the first invalid byte is on this line); invalid bytes were read as U+FFFD"
            ));
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

/// The `collect` command that reads the same inputs: what the reports say
/// to run, at the repository's root, to reproduce them. Paths inside the
/// repository are relative to its root (a CI runner's `/home/runner/work/…`
/// means nothing on a laptop), others as given; each quoted for a POSIX
/// shell where needed.
pub(crate) fn reproduce(args: &InputArgs) -> String {
    let mut parts = vec!["warnings-collector".to_owned(), "collect".to_owned()];
    let root = std::path::absolute(&args.root).ok();
    let path = |p: &Path| {
        let inside = root.as_ref().and_then(|r| {
            let abs = std::path::absolute(p).ok()?;
            let rest = abs.strip_prefix(r).ok()?;
            (!rest.as_os_str().is_empty()).then(|| rest.to_path_buf())
        });
        match inside {
            Some(rest) if !is_stdin(p) => shell_quote(&rest.to_string_lossy()),
            _ => shell_quote(&p.to_string_lossy()),
        }
    };
    parts.extend(args.logs.iter().map(|p| path(p)));
    for j in &args.junit {
        parts.push("--junit".into());
        parts.push(path(j));
    }
    for j in &args.jsonl {
        parts.push("--jsonl".into());
        parts.push(path(j));
    }
    if args.format != LogFormat::Auto
        && let Some(v) = args.format.to_possible_value()
    {
        parts.push("--input-format".into());
        parts.push(v.get_name().to_owned());
    }
    if let Some(c) = &args.codeowners {
        parts.push("--codeowners".into());
        parts.push(path(c));
    }
    if args.dialect != Dialect::GitHub {
        parts.push("--dialect".into());
        parts.push(args.dialect.name().to_owned());
    }
    parts.join(" ")
}

/// `s` as one POSIX shell word.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub(crate) fn run(args: &CollectArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    let c = collect(&args.input)?;
    c.print_diagnostics();
    let groups = Groups::new(&c.warnings);
    match args.output {
        CollectOutput::Text => report::write_text(&c.warnings, &groups, out)?,
        CollectOutput::Json => report::write_json(&c.warnings, out)?,
        CollectOutput::Github => {
            report::write_annotations(&c.warnings, args.max_annotations, out)?;
            // Outside GitHub Actions there is no summary to append to.
            if let Ok(path) = github::file_of(github::STEP_SUMMARY_VAR) {
                github::append_step_summary(&path, &report::step_summary(&c.warnings, &groups))?;
            }
        }
    }
    if let Some(dir) = &args.out {
        let notes = report::write_dir(dir, &c.warnings, &groups, &reproduce(&args.input))?;
        for n in notes {
            eprintln!("{n}");
        }
    }
    Ok(c.exit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warning::Category;

    fn args(dir: &Path) -> InputArgs {
        InputArgs {
            logs: Vec::new(),
            junit: Vec::new(),
            jsonl: Vec::new(),
            format: LogFormat::Auto,
            root: dir.to_path_buf(),
            codeowners: None,
            dialect: Dialect::GitHub,
        }
    }

    #[test]
    fn owners_missing_inputs_and_bad_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("CODEOWNERS"), "* @org/all\n/lib/ @org/lib\n").unwrap();
        let jsonl = d.join("w.jsonl");
        let mut text = format!(
            "{{\"message\":\"a\",\"file\":\"{}/lib/x.rb\",\"line\":1}}\n",
            d.display()
        );
        text.push_str("{\"message\":\"b\",\"file\":\"/usr/lib/ruby/x.rb\",\"line\":2}\n");
        text.push_str("{\"message\":\"c\"}\n{\"message\":\"d\",\"file\":\"<internal:warning>\"}\n");
        let mut bytes = text.into_bytes();
        bytes.extend_from_slice(b"{\"message\":\"e\xff\",\"file\":\"app.rb\"}\n");
        std::fs::write(&jsonl, bytes).unwrap();
        let mut a = args(d);
        a.jsonl = vec![jsonl.clone(), d.join("missing.jsonl")];
        let c = collect(&a).unwrap();
        assert_eq!(c.unreadable, 1);
        assert_eq!(c.inputs, 2);
        let got: Vec<(&str, &str, Vec<&str>)> = c
            .warnings
            .iter()
            .map(|w| {
                (
                    w.file.as_str(),
                    w.message.as_str(),
                    w.owners.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("", "c", vec![]),
                ("/usr/lib/ruby/x.rb", "b", vec![]),
                ("<internal:warning>", "d", vec![]),
                ("app.rb", "e\u{fffd}", vec!["@org/all"]),
                ("lib/x.rb", "a", vec!["@org/lib"]),
            ]
        );
        assert_eq!(c.diagnostics.len(), 3, "{:?}", c.diagnostics);
        assert!(c.diagnostics[0].starts_with(&format!("{}:5: not valid UTF-8", jsonl.display())));
        assert!(
            c.diagnostics[1]
                .starts_with(&format!("{}:3: a record without \"file\"", jsonl.display()))
        );
        assert!(c.diagnostics[2].starts_with(&format!(
            "{}: cannot read: ",
            d.join("missing.jsonl").display()
        )));
        assert_eq!(c.warnings[0].category, Category::Deprecation);
    }

    #[test]
    fn reproduce_quotes_and_skips_defaults() {
        let mut a = args(Path::new("."));
        a.logs = vec!["build log.txt".into(), "-".into()];
        a.junit = vec!["j.xml".into()];
        a.jsonl = vec!["it's.jsonl".into()];
        a.format = LogFormat::Ruby;
        a.dialect = Dialect::GitLab;
        assert_eq!(
            reproduce(&a),
            r"warnings-collector collect 'build log.txt' - --junit j.xml --jsonl 'it'\''s.jsonl' --input-format ruby --dialect gitlab"
        );
    }

    #[test]
    fn reproduce_names_paths_from_the_repository_root() {
        let mut a = args(Path::new("/home/runner/work/shop/shop"));
        a.logs = vec![
            "/home/runner/work/shop/shop/logs/test.log".into(),
            "/tmp/other.log".into(),
        ];
        a.junit = vec!["/home/runner/work/shop/shop/build/junit.xml".into()];
        a.codeowners = Some("/home/runner/work/shop/shop/.github/CODEOWNERS".into());
        assert_eq!(
            reproduce(&a),
            "warnings-collector collect logs/test.log /tmp/other.log --junit build/junit.xml --codeowners .github/CODEOWNERS"
        );
    }
}
