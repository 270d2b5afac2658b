//! What `warnings-collector collect` writes: the summary per team on the
//! terminal, GitHub workflow annotations and step summary, and the reports
//! folder of `--out DIR`.
//!
//! # The reports folder
//!
//! `--out DIR` holds one Markdown checklist per team, `DIR/<slug>.md` (see
//! [`slug`]), one for the warnings nobody owns, `DIR/unowned.md`, and
//! `DIR/summary.json` ([`Summary`]), which `file-issues` reads. A warning
//! with two owners is in both teams' files.
//!
//! Other files in `DIR` are never touched. A team report of an earlier run
//! is removed only when that run's `summary.json` lists it and this run has
//! no warning for the team, so a team that reached zero loses its file.
//!
//! # `summary.json`, version 1
//!
//! ```json
//! {"version": 1, "total": 3, "occurrences": 7,
//!  "command": "warnings-collector collect build.log --jsonl w.jsonl",
//!  "teams": {"@org/a": {"slug": "org-a", "warnings": 2, "occurrences": 6, "files": 1, "report": "org-a.md"}},
//!  "unowned": {"slug": "unowned", "warnings": 1, "occurrences": 1, "files": 1, "report": "unowned.md"},
//!  "warnings": [{"file": "app/a.rb", "line": 16, "message": "…", "category": "deprecation",
//!                "tool": "ruby", "count": 3, "tests": ["spec/a_spec.rb"], "owners": ["@org/a"]}]}
//! ```
//!
//! `total` counts warnings (one per file, line and message) and
//! `occurrences` the times they were printed. `teams` is keyed by the owner
//! as CODEOWNERS spells it and holds only teams with warnings; `files` is
//! the number of entries of the team's checklist (the warnings without a
//! file make one). `unowned` is `null` when every warning has an owner.
//! `line` is `null` when unknown; `tests` is empty when unknown. Fields may
//! be added in version 1, never renamed or removed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use crate::warning::Warning;
use ci_formats::github::{escape_data, escape_property};

/// The version of [`Summary`] this build writes.
pub(crate) const SUMMARY_VERSION: u32 = 1;
/// The summary's file name in the reports folder.
pub(crate) const SUMMARY_FILE: &str = "summary.json";
/// The name and slug of the warnings nobody owns.
pub(crate) const UNOWNED: &str = "unowned";

/// `DIR/summary.json`; see the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    pub version: u32,
    /// Warnings: one per (file, line, message).
    pub total: usize,
    /// The sum of the warnings' counts.
    pub occurrences: u64,
    /// The `collect` command that reproduces the reports (without `--out`).
    pub command: String,
    /// Per owner, as CODEOWNERS spells it; only owners with warnings.
    pub teams: BTreeMap<String, Entry>,
    /// The warnings without an owner; `None` (`null`) when there are none.
    pub unowned: Option<Entry>,
    /// Every warning, sorted by file, line and message.
    pub warnings: Vec<Warning>,
}

/// One team's (or the unowned warnings') line of [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub slug: String,
    pub warnings: usize,
    pub occurrences: u64,
    /// Checklist entries: distinct files (no file at all counts as one).
    pub files: usize,
    /// The report's file name in the folder: `<slug>.md`.
    pub report: String,
}

/// An owner's name as a file name: lowercase, every run of characters
/// outside `[a-z0-9]` turned into one `-`, and no `-` at either end. So
/// `@org/Team_A` is `org-team-a` and `a.b@x.com` is `a-b-x-com`. A name
/// with no letter or digit is `team`.
pub(crate) fn slug(owner: &str) -> String {
    let mut s = String::with_capacity(owner.len());
    for c in owner.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() {
        s.push_str("team");
    }
    s
}

/// Counts of a set of warnings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub warnings: usize,
    pub occurrences: u64,
    /// Distinct files; the warnings without a file count as one.
    pub files: usize,
}

impl Stats {
    pub(crate) fn of<'a>(warnings: impl IntoIterator<Item = &'a Warning>) -> Stats {
        let mut files = BTreeSet::new();
        let mut s = Stats::default();
        for w in warnings {
            s.warnings += 1;
            s.occurrences += w.count;
            files.insert(w.file.as_str());
        }
        s.files = files.len();
        s
    }

    /// `12 warnings (40 occurrences) in 3 files`.
    pub(crate) fn sentence(&self) -> String {
        format!(
            "{} ({}) in {}",
            plural(self.warnings as u64, "warning"),
            plural(self.occurrences, "occurrence"),
            plural(self.files as u64, "file")
        )
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The warnings of one owner, or the unowned ones.
#[derive(Clone, Debug)]
pub(crate) struct Group<'a> {
    /// `None`: the unowned warnings.
    pub owner: Option<&'a str>,
    /// The report's file name without `.md`; unique in the folder.
    pub slug: String,
    /// Sorted by file, line and message.
    pub warnings: Vec<&'a Warning>,
}

impl Group<'_> {
    /// The owner, or `unowned`.
    pub(crate) fn name(&self) -> &str {
        self.owner.unwrap_or(UNOWNED)
    }

    pub(crate) fn stats(&self) -> Stats {
        Stats::of(self.warnings.iter().copied())
    }

    /// The report's file name, `<slug>.md`.
    pub(crate) fn report(&self) -> String {
        format!("{}.md", self.slug)
    }

    fn entry(&self) -> Entry {
        let s = self.stats();
        Entry {
            slug: self.slug.clone(),
            warnings: s.warnings,
            occurrences: s.occurrences,
            files: s.files,
            report: self.report(),
        }
    }
}

/// The warnings per owner.
#[derive(Clone, Debug, Default)]
pub(crate) struct Groups<'a> {
    /// Sorted by owner; only owners with warnings.
    pub teams: Vec<Group<'a>>,
    /// `None` when every warning has an owner.
    pub unowned: Option<Group<'a>>,
}

impl<'a> Groups<'a> {
    /// Groups `warnings` by owner. Slugs are made unique: when two owners
    /// share one (`@org/A` and `@org/a`), the later in sorted order gets
    /// `-2`, and so on; `unowned` is reserved.
    pub(crate) fn new(warnings: &'a [Warning]) -> Groups<'a> {
        let mut by_owner: BTreeMap<&'a str, Vec<&'a Warning>> = BTreeMap::new();
        let mut unowned = Vec::new();
        for w in warnings {
            if w.owners.is_empty() {
                unowned.push(w);
            }
            for o in &w.owners {
                by_owner.entry(o.as_str()).or_default().push(w);
            }
        }
        let mut taken: BTreeSet<String> = BTreeSet::from([UNOWNED.to_owned()]);
        let mut teams = Vec::with_capacity(by_owner.len());
        for (owner, mut ws) in by_owner {
            let base = slug(owner);
            let mut s = base.clone();
            let mut n = 2;
            while taken.contains(&s) {
                s = format!("{base}-{n}");
                n += 1;
            }
            taken.insert(s.clone());
            sort(&mut ws);
            teams.push(Group {
                owner: Some(owner),
                slug: s,
                warnings: ws,
            });
        }
        let unowned = (!unowned.is_empty()).then(|| {
            sort(&mut unowned);
            Group {
                owner: None,
                slug: UNOWNED.to_owned(),
                warnings: unowned,
            }
        });
        Groups { teams, unowned }
    }

    /// The teams, then the unowned warnings.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Group<'a>> {
        self.teams.iter().chain(self.unowned.as_ref())
    }
}

fn sort(ws: &mut [&Warning]) {
    ws.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
}

/// Whether a warning's file (relative to the root by now) is in the
/// repository, so can have an owner and a place in a GitHub annotation: not
/// empty, not absolute (`/…`, `C:/…`), not `../…`, not a pseudo-path such as
/// `<internal:warning>`, `node:internal/…` or `webpack://…` (a `:` in the
/// first component).
pub(crate) fn in_repository(file: &str) -> bool {
    let first = file.split('/').next().unwrap_or_default();
    !file.is_empty()
        && !file.starts_with('/')
        && !file.starts_with('<')
        && first != ".."
        && !first.contains(':')
}

/// The summary of `warnings`, grouped as `groups`.
pub(crate) fn summary(warnings: &[Warning], groups: &Groups<'_>, command: &str) -> Summary {
    let total = Stats::of(warnings);
    Summary {
        version: SUMMARY_VERSION,
        total: total.warnings,
        occurrences: total.occurrences,
        command: command.to_owned(),
        teams: groups
            .teams
            .iter()
            .map(|g| (g.name().to_owned(), g.entry()))
            .collect(),
        unowned: groups.unowned.as_ref().map(Group::entry),
        warnings: warnings.to_vec(),
    }
}

/// One team's Markdown checklist:
///
/// ```text
/// # Deprecation warnings: @org/team-a
///
/// 12 warnings (40 occurrences) in 3 files.
/// Reproduce: `warnings-collector collect build.log`
///
/// - [ ] `app/jobs/delete_job.rb`
///   - **warnings**
///     - Line 16: warning: Using the last argument as keyword parameters is deprecated (×3)
///   - **test suites that trigger these warnings**
///     - spec/jobs/delete_job_spec.rb
/// ```
///
/// Files sorted, warnings by line, `(×N)` only when N > 1; the tests are
/// the union over the file's warnings, or `unknown`. Messages and test
/// names are escaped so that Markdown shows them as printed.
pub(crate) fn team_markdown(group: &Group<'_>, command: &str) -> String {
    let mut md = String::with_capacity(256 + group.warnings.len() * 128);
    let _ = writeln!(md, "# Deprecation warnings: {}\n", escape_md(group.name()));
    let _ = writeln!(md, "{}.", group.stats().sentence());
    let _ = writeln!(md, "Reproduce: {}\n", code_span(command));
    // `group.warnings` is sorted by file, then line.
    let mut i = 0;
    let ws = &group.warnings;
    while i < ws.len() {
        let file = ws[i].file.as_str();
        let end = i + ws[i..].iter().take_while(|w| w.file == file).count();
        if file.is_empty() {
            md.push_str("- [ ] (no file)\n");
        } else {
            let _ = writeln!(md, "- [ ] {}", code_span(file));
        }
        md.push_str("  - **warnings**\n");
        let mut tests = BTreeSet::new();
        for w in &ws[i..end] {
            md.push_str("    - ");
            if let Some(line) = w.line {
                let _ = write!(md, "Line {line}: ");
            }
            md.push_str("warning: ");
            md.push_str(&escape_md(&w.message));
            if w.count > 1 {
                let _ = write!(md, " (×{})", w.count);
            }
            md.push('\n');
            tests.extend(w.tests.iter().map(String::as_str));
        }
        md.push_str("  - **test suites that trigger these warnings**\n");
        if tests.is_empty() {
            md.push_str("    - unknown\n");
        }
        for t in tests {
            let _ = writeln!(md, "    - {}", escape_md(t));
        }
        i = end;
    }
    md
}

/// `s` as Markdown text that shows as written: the characters that could
/// start emphasis, a link, an autolink or HTML (`#<Foo:0x1>` would be an
/// autolink), code or an entity are backslash-escaped; `_` only where it
/// could start or end emphasis, so `delete_job_spec.rb` stays as it is.
pub(crate) fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '~' | '&' | '|' => true,
            '_' => {
                let word = |j: Option<usize>| {
                    j.and_then(|j| chars.get(j))
                        .is_some_and(|c| c.is_alphanumeric())
                };
                !(word(i.checked_sub(1)) && word(Some(i + 1)))
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as a Markdown code span, fenced with more backticks than it holds.
fn code_span(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{s}{fence}")
    } else {
        format!("{fence} {s} {fence}")
    }
}

/// Writes the reports folder: every group's Markdown file, then
/// `summary.json`, each atomically (a temporary file renamed). A team
/// report listed by the previous `summary.json` whose team has no warning
/// now is removed; nothing else in `dir` is touched. Returns notes for
/// stderr (stale reports removed, a previous summary that could not be
/// read).
pub(crate) fn write_dir(
    dir: &Path,
    warnings: &[Warning],
    groups: &Groups<'_>,
    command: &str,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the reports folder", dir.display()))?;
    let mut notes = Vec::new();
    let summary_path = dir.join(SUMMARY_FILE);
    let previous = previous_reports(&summary_path, &mut notes);

    let mut ours = BTreeSet::new();
    for g in groups.all() {
        let name = g.report();
        let path = dir.join(&name);
        write_atomic(&path, team_markdown(g, command).as_bytes())
            .with_context(|| format!("{}: cannot write the report", path.display()))?;
        ours.insert(name);
    }
    for stale in previous.difference(&ours) {
        let path = dir.join(stale);
        match std::fs::remove_file(&path) {
            Ok(()) => notes.push(format!(
                "removed {}: no warnings left for its team",
                path.display()
            )),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => notes.push(format!(
                "warning: {}: cannot remove the stale report: {e}",
                path.display()
            )),
        }
    }
    let mut json = serde_json::to_vec_pretty(&summary(warnings, groups, command))?;
    json.push(b'\n');
    write_atomic(&summary_path, &json)
        .with_context(|| format!("{}: cannot write the summary", summary_path.display()))?;
    Ok(notes)
}

/// The report files a previous `summary.json` lists; only plain `*.md`
/// names, so a hand-edited summary cannot make us delete anything else.
fn previous_reports(path: &Path, notes: &mut Vec<String>) -> BTreeSet<String> {
    #[derive(Deserialize)]
    struct Previous {
        version: u32,
        #[serde(default)]
        teams: BTreeMap<String, Report>,
        #[serde(default)]
        unowned: Option<Report>,
    }
    #[derive(Deserialize)]
    struct Report {
        report: String,
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return BTreeSet::new(),
        Err(e) => {
            notes.push(format!(
                "warning: {}: cannot read the previous summary ({e}); stale reports are kept",
                path.display()
            ));
            return BTreeSet::new();
        }
    };
    let prev: Previous = match serde_json::from_slice(&bytes) {
        Ok(p) => p,
        Err(e) => {
            notes.push(format!(
                "warning: {}: not a summary written by warnings-collector ({e}); stale reports are kept",
                path.display()
            ));
            return BTreeSet::new();
        }
    };
    if prev.version != SUMMARY_VERSION {
        notes.push(format!(
            "warning: {}: summary version {} (expected {SUMMARY_VERSION}); stale reports are kept",
            path.display(),
            prev.version
        ));
        return BTreeSet::new();
    }
    prev.teams
        .into_values()
        .chain(prev.unowned)
        .map(|r| r.report)
        .filter(|r| {
            r.ends_with(".md")
                && !r.starts_with('.')
                && !r.contains(['/', '\\'])
                && r != SUMMARY_FILE
        })
        .collect()
}

/// Writes `bytes` to a temporary file next to `path`, then renames it over
/// `path`: a reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?
        .to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let result = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The text summary: one row per team (most warnings first), the unowned
/// warnings, and the total.
///
/// ```text
/// team         warnings  occurrences  files
/// @org/a              2            6      1
/// unowned             1            1      1
/// total               3            7      2
/// ```
pub(crate) fn write_text(
    warnings: &[Warning],
    groups: &Groups<'_>,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut rows: Vec<(&str, Stats)> = groups.teams.iter().map(|g| (g.name(), g.stats())).collect();
    rows.sort_by(|a, b| {
        (b.1.warnings, b.1.occurrences)
            .cmp(&(a.1.warnings, a.1.occurrences))
            .then(a.0.cmp(b.0))
    });
    if let Some(g) = &groups.unowned {
        rows.push((UNOWNED, g.stats()));
    }
    rows.push(("total", Stats::of(warnings)));
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .chain([4])
        .max()
        .unwrap_or(4);
    writeln!(out, "{:<width$}  warnings  occurrences  files", "team")?;
    for (name, s) in rows {
        writeln!(
            out,
            "{name:<width$}  {:>8}  {:>11}  {:>5}",
            s.warnings, s.occurrences, s.files
        )?;
    }
    Ok(())
}

/// The warnings as a JSON array, one object per line.
pub(crate) fn write_json(warnings: &[Warning], out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, w) in warnings.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, w)?;
    }
    out.write_all(if warnings.is_empty() {
        b"]\n"
    } else {
        b"\n]\n"
    })
}

/// GitHub shows at most this many warning annotations of a step.
pub(crate) const GITHUB_ANNOTATIONS_PER_STEP: usize = 10;

/// GitHub keeps an annotation's message to 64 KiB and its title to 255
/// characters; longer ones are cut here, at a character, with `…`.
pub(crate) const GITHUB_MESSAGE_MAX: usize = 64 * 1024 - 1;
/// See [`GITHUB_MESSAGE_MAX`].
pub(crate) const GITHUB_TITLE_MAX: usize = 255;
/// A step summary may hold 1 MiB; what this tool appends stays under it
/// with room for the other steps' tables.
pub(crate) const GITHUB_SUMMARY_MAX: usize = 512 * 1024;

/// `s` cut to at most `max` bytes after escaping with `escape`, at a
/// character, ending with `…` when cut.
fn capped(s: &str, max: usize, escape: fn(&str) -> String) -> String {
    let whole = escape(s);
    if whole.len() <= max {
        return whole;
    }
    let mut end = s.len();
    loop {
        end = s.floor_char_boundary(end.saturating_sub(end.div_ceil(8).max(1)));
        let cut = format!("{}…", escape(&s[..end]));
        if cut.len() <= max || end == 0 {
            return cut;
        }
    }
}

/// GitHub workflow commands: `::warning file=F,line=L,title=T::MESSAGE`
/// for the `max` most frequent warnings of files in the repository (most
/// occurrences first; GitHub can place nothing else), then one `::notice::`
/// saying how many were left out and why. The title is the category and
/// the owners; message and title are cut to GitHub's limits.
pub(crate) fn write_annotations(
    warnings: &[Warning],
    max: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    let (mut order, outside): (Vec<&Warning>, Vec<&Warning>) =
        warnings.iter().partition(|w| in_repository(&w.file));
    order.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)))
    });
    for w in order.iter().take(max) {
        let mut props = Vec::with_capacity(3);
        props.push(format!("file={}", escape_property(&w.file)));
        if let Some(l) = w.line {
            props.push(format!("line={l}"));
        }
        let owners = if w.owners.is_empty() {
            UNOWNED.to_owned()
        } else {
            w.owners.join(" ")
        };
        let title = format!("{} ({owners})", w.category.name());
        let title = match title.char_indices().nth(GITHUB_TITLE_MAX - 1) {
            Some((i, _)) => format!("{}…", &title[..i]),
            None => title,
        };
        props.push(format!("title={}", escape_property(&title)));
        let mut message = w.message.clone();
        if w.count > 1 {
            let _ = write!(message, " (×{})", w.count);
        }
        writeln!(
            out,
            "::warning {}::{}",
            props.join(","),
            capped(&message, GITHUB_MESSAGE_MAX, escape_data)
        )?;
    }
    let left: Vec<&Warning> = order.iter().skip(max).copied().collect();
    let mut why = Vec::new();
    if !left.is_empty() {
        let s = Stats::of(left.iter().copied());
        why.push(format!(
            "{} more {} ({}) not annotated: GitHub shows at most {GITHUB_ANNOTATIONS_PER_STEP} warning annotations per step",
            s.warnings,
            if s.warnings == 1 { "warning" } else { "warnings" },
            plural(s.occurrences, "occurrence"),
        ));
    }
    if !outside.is_empty() {
        let s = Stats::of(outside.iter().copied());
        why.push(format!(
            "{} ({}) in files outside the repository, which GitHub cannot place, not annotated",
            plural(s.warnings as u64, "warning"),
            plural(s.occurrences, "occurrence"),
        ));
    }
    if !why.is_empty() {
        let text = format!(
            "{}; see the step summary or the --out reports",
            why.join("; ")
        );
        writeln!(
            out,
            "::notice title=warnings-collector::{}",
            escape_data(&text)
        )?;
    }
    Ok(())
}

/// The Markdown appended to `$GITHUB_STEP_SUMMARY`: the total and a table
/// of teams (most warnings first), the unowned warnings last.
pub(crate) fn step_summary(warnings: &[Warning], groups: &Groups<'_>) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "### Warnings by team\n");
    let _ = writeln!(md, "{}.\n", Stats::of(warnings).sentence());
    if warnings.is_empty() {
        return md;
    }
    md.push_str("| team | warnings | occurrences | files |\n| --- | ---: | ---: | ---: |\n");
    let mut rows: Vec<(&str, Stats)> = groups.teams.iter().map(|g| (g.name(), g.stats())).collect();
    rows.sort_by(|a, b| {
        (b.1.warnings, b.1.occurrences)
            .cmp(&(a.1.warnings, a.1.occurrences))
            .then(a.0.cmp(b.0))
    });
    if let Some(g) = &groups.unowned {
        rows.push((UNOWNED, g.stats()));
    }
    let total_rows = rows.len();
    for (i, (name, s)) in rows.into_iter().enumerate() {
        let row = format!(
            "| {} | {} | {} | {} |\n",
            escape_md(name),
            s.warnings,
            s.occurrences,
            s.files
        );
        // Room for the last line; GitHub refuses a summary over 1 MiB.
        if md.len() + row.len() + 200 > GITHUB_SUMMARY_MAX {
            let _ = writeln!(
                md,
                "\n{} more teams are not listed: a step summary holds at most 1 MiB; see the --out reports.",
                total_rows - i
            );
            return md;
        }
        md.push_str(&row);
    }
    md.push('\n');
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warning::Category;

    fn w(
        file: &str,
        line: Option<u32>,
        msg: &str,
        count: u64,
        tests: &[&str],
        owners: &[&str],
    ) -> Warning {
        Warning {
            file: file.into(),
            line,
            message: msg.into(),
            category: Category::Deprecation,
            tool: "jsonl".into(),
            count,
            tests: tests.iter().map(|t| (*t).to_owned()).collect(),
            owners: owners.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("@org/Team_A"), "org-team-a");
        assert_eq!(slug("a.b@x.com"), "a-b-x-com");
        assert_eq!(slug("@org/team-a"), "org-team-a");
        assert_eq!(slug("@user"), "user");
        assert_eq!(slug("@org//Ops  Team--"), "org-ops-team");
        assert_eq!(slug("@Ünïcode"), "n-code");
        assert_eq!(slug("@@"), "team");
    }

    #[test]
    fn colliding_slugs_are_made_unique_and_unowned_is_reserved() {
        let ws = [
            w("a", Some(1), "m", 1, &[], &["@org/A", "@org/a", "@unowned"]),
            w("b", Some(1), "m", 1, &[], &[]),
        ];
        let g = Groups::new(&ws);
        let slugs: Vec<(&str, &str)> = g
            .teams
            .iter()
            .map(|g| (g.name(), g.slug.as_str()))
            .collect();
        assert_eq!(
            slugs,
            [
                ("@org/A", "org-a"),
                ("@org/a", "org-a-2"),
                ("@unowned", "unowned-2")
            ]
        );
        assert_eq!(g.unowned.as_ref().unwrap().slug, "unowned");
    }

    #[test]
    fn team_file_shape() {
        let ws = [
            w(
                "app/jobs/delete_job.rb",
                Some(16),
                "Using the last argument as keyword parameters is deprecated",
                3,
                &["spec/jobs/delete_job_spec.rb"],
                &["@org/team-a"],
            ),
            w(
                "app/jobs/delete_job.rb",
                Some(4),
                "`foo` is *old* <use bar>",
                1,
                &["spec/jobs/other_spec.rb", "spec/jobs/delete_job_spec.rb"],
                &["@org/team-a"],
            ),
            w(
                "app/models/user.rb",
                None,
                "#<User:0x1> _x_",
                2,
                &[],
                &["@org/team-a", "@org/b"],
            ),
            w("", None, "no file", 1, &[], &["@org/team-a"]),
        ];
        let g = Groups::new(&ws);
        assert_eq!(g.teams.len(), 2);
        let a = &g.teams[1];
        assert_eq!(a.name(), "@org/team-a");
        assert_eq!(a.report(), "org-team-a.md");
        let md = team_markdown(a, "warnings-collector collect --jsonl w.jsonl");
        assert_eq!(
            md,
            "# Deprecation warnings: @org/team-a\n\
             \n\
             4 warnings (7 occurrences) in 3 files.\n\
             Reproduce: `warnings-collector collect --jsonl w.jsonl`\n\
             \n\
             - [ ] (no file)\n\
             \x20 - **warnings**\n\
             \x20   - warning: no file\n\
             \x20 - **test suites that trigger these warnings**\n\
             \x20   - unknown\n\
             - [ ] `app/jobs/delete_job.rb`\n\
             \x20 - **warnings**\n\
             \x20   - Line 4: warning: \\`foo\\` is \\*old\\* \\<use bar\\>\n\
             \x20   - Line 16: warning: Using the last argument as keyword parameters is deprecated (×3)\n\
             \x20 - **test suites that trigger these warnings**\n\
             \x20   - spec/jobs/delete_job_spec.rb\n\
             \x20   - spec/jobs/other_spec.rb\n\
             - [ ] `app/models/user.rb`\n\
             \x20 - **warnings**\n\
             \x20   - warning: #\\<User:0x1\\> \\_x\\_ (×2)\n\
             \x20 - **test suites that trigger these warnings**\n\
             \x20   - unknown\n"
        );
        let b = team_markdown(&g.teams[0], "c");
        assert!(
            b.starts_with(
                "# Deprecation warnings: @org/b\n\n1 warning (2 occurrences) in 1 file.\n"
            ),
            "{b}"
        );
        assert_eq!(code_span("a`b"), "`` a`b ``");
    }

    #[test]
    fn summary_shape() {
        let ws = [
            w("a.rb", Some(1), "m", 2, &["t"], &["@org/a"]),
            w("/usr/lib/x.rb", Some(1), "m", 1, &[], &[]),
        ];
        let g = Groups::new(&ws);
        let v = serde_json::to_value(summary(&ws, &g, "cmd")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "version": 1, "total": 2, "occurrences": 3, "command": "cmd",
                "teams": {"@org/a": {"slug": "org-a", "warnings": 1, "occurrences": 2, "files": 1, "report": "org-a.md"}},
                "unowned": {"slug": "unowned", "warnings": 1, "occurrences": 1, "files": 1, "report": "unowned.md"},
                "warnings": [
                    {"file": "a.rb", "line": 1, "message": "m", "category": "deprecation", "tool": "jsonl", "count": 2, "tests": ["t"], "owners": ["@org/a"]},
                    {"file": "/usr/lib/x.rb", "line": 1, "message": "m", "category": "deprecation", "tool": "jsonl", "count": 1, "tests": [], "owners": []},
                ]
            })
        );
        let none = Groups::new(&ws[..1]);
        assert_eq!(summary(&ws[..1], &none, "c").unowned, None);
    }

    #[test]
    fn stale_reports_go_only_when_the_previous_summary_lists_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("notes.md"), "mine").unwrap();
        let first = [
            w("a.rb", Some(1), "m", 1, &[], &["@org/a"]),
            w("b.rb", Some(1), "m", 1, &[], &["@org/b"]),
        ];
        write_dir(d, &first, &Groups::new(&first), "c").unwrap();
        assert!(d.join("org-a.md").is_file() && d.join("org-b.md").is_file());
        assert!(!d.join("unowned.md").exists());
        let second = [w("a.rb", Some(1), "m", 1, &[], &["@org/a"])];
        let notes = write_dir(d, &second, &Groups::new(&second), "c").unwrap();
        assert!(!d.join("org-b.md").exists(), "{notes:?}");
        assert!(d.join("org-a.md").is_file());
        assert_eq!(std::fs::read_to_string(d.join("notes.md")).unwrap(), "mine");
        // A summary naming a file that is not a report is not obeyed.
        std::fs::write(
            d.join("summary.json"),
            r#"{"version":1,"teams":{"x":{"report":"../notes.md"},"y":{"report":"summary.json"}},"unowned":null}"#,
        )
        .unwrap();
        write_dir(d, &second, &Groups::new(&second), "c").unwrap();
        assert!(d.join("notes.md").is_file());
        let names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!names.iter().any(|n| n.contains(".tmp")), "{names:?}");
    }

    #[test]
    fn github_escaping_and_cap() {
        let ws = [
            w(
                "src/a,b:c.rb",
                Some(3),
                "100% bad\r\nnext",
                5,
                &[],
                &["@org/a"],
            ),
            w("/usr/lib/b.rb", Some(1), "rare", 1, &[], &[]),
            w("c.rb", Some(2), "rarer", 1, &[], &[]),
        ];
        let mut out = Vec::new();
        write_annotations(&ws, 1, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "::warning file=src/a%2Cb%3Ac.rb,line=3,title=deprecation (@org/a)::100%25 bad%0D%0Anext (×5)\n\
             ::notice title=warnings-collector::1 more warning (1 occurrence) not annotated: GitHub shows at most 10 warning annotations per step; 1 warning (1 occurrence) in files outside the repository, which GitHub cannot place, not annotated; see the step summary or the --out reports\n"
        );
        let mut out = Vec::new();
        write_annotations(&ws, 10, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Only files GitHub can place are annotated.
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(!text.contains("/usr/lib/b.rb"), "{text}");
        assert!(
            text.contains(
                "::notice title=warnings-collector::1 warning (1 occurrence) in files outside"
            ),
            "{text}"
        );
    }

    #[test]
    fn annotations_and_the_summary_stay_within_githubs_limits() {
        let long = format!("{}% é", "x".repeat(70_000));
        let team = format!("@org/{}", "t".repeat(300));
        let ws = [w("a.rb", Some(1), &long, 1, &[], &[&team])];
        let mut out = Vec::new();
        write_annotations(&ws, 10, &mut out).unwrap();
        let line = String::from_utf8(out).unwrap();
        let (head, message) = line
            .trim_end()
            .split_once("::")
            .unwrap()
            .1
            .split_once("::")
            .unwrap();
        assert!(message.len() <= GITHUB_MESSAGE_MAX, "{}", message.len());
        assert!(message.ends_with('…'));
        let title = head.split_once("title=").unwrap().1;
        assert!(
            title.chars().count() <= GITHUB_TITLE_MAX + 20,
            "{}",
            title.chars().count()
        );
        assert!(title.ends_with('…'));
        // Many teams: the summary stops under its cap and says so.
        let many: Vec<Warning> = (0..40_000)
            .map(|i| {
                let owner = format!("@org/team-{i:05}");
                w(&format!("f{i}.rb"), Some(1), "m", 1, &[], &[owner.as_str()])
            })
            .collect();
        let md = step_summary(&many, &Groups::new(&many));
        assert!(md.len() <= GITHUB_SUMMARY_MAX, "{}", md.len());
        assert!(
            md.contains("more teams are not listed"),
            "{}",
            &md[md.len() - 200..]
        );
    }

    /// What `collect --github` writes for GitHub Actions, exactly: the
    /// annotation lines on stdout (capped, with the notice of the rest)
    /// and the step summary's Markdown, from warnings meant to break them:
    /// `,` `:` `%` and line ends in paths and messages, a workflow command
    /// in a message, a file outside the repository, a team name with
    /// Markdown in it, unowned warnings.
    #[test]
    fn github_annotations_and_step_summary_snapshot() {
        let ws = [
            w(
                "src/a,b:c.rb",
                Some(3),
                "100% bad\r\nnext",
                5,
                &["t1"],
                &["@org/a"],
            ),
            w(
                "src/x.rb",
                None,
                "::error::forged command",
                3,
                &[],
                &["@org/a", "@org/b"],
            ),
            w(
                "/usr/lib/ruby/b.rb",
                Some(1),
                "outside the repository",
                2,
                &[],
                &[],
            ),
            w(
                "lib/|pipe|.rb",
                Some(9),
                "rare",
                1,
                &[],
                &["@org/*bold*|team"],
            ),
            w("c.rb", Some(2), "rarest", 1, &[], &["@org/b"]),
        ];
        let mut out = Vec::new();
        write_annotations(&ws, 3, &mut out).unwrap();
        let annotations = String::from_utf8(out).unwrap();
        let summary = step_summary(&ws, &Groups::new(&ws));
        insta::assert_snapshot!(format!(
            "annotations (at most 3):\n{annotations}\nstep summary:\n{}",
            summary.replace('\n', "⏎\n")
        ));
    }

    #[test]
    fn files_that_can_have_owners() {
        assert!(in_repository("a/b.rb") && in_repository("a/b:c.rb"));
        for f in [
            "",
            "/abs",
            "../up",
            "<internal:x>",
            "node:internal/x",
            "webpack://x",
        ] {
            assert!(!in_repository(f), "{f}");
        }
    }

    #[test]
    fn markdown_escaping() {
        assert_eq!(escape_md("delete_job_spec.rb"), "delete_job_spec.rb");
        assert_eq!(
            escape_md("_a_ [x](y) a|b &amp;"),
            "\\_a\\_ \\[x\\](y) a\\|b \\&amp;"
        );
    }
}
