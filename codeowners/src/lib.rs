//! CODEOWNERS: who owns a path of the repository.
//!
//! [`CodeOwners::parse`] reads a CODEOWNERS file with GitHub's rules (the
//! default, [`Dialect::GitHub`]) or GitLab's ([`Dialect::GitLab`]);
//! [`discover`] finds the file in a repository and [`CodeOwners::load`]
//! reads it.
//!
//! # GitHub's rules
//!
//! - Each line that is not blank and not a comment (`#` first) is a pattern
//!   followed by zero or more owners: `@user`, `@org/team` or an email
//!   address. A `#` that starts a word (preceded by whitespace) begins a
//!   comment; `\ ` is a space inside a pattern.
//! - The **last** matching line wins. A matching line without owners makes
//!   the path unowned: [`CodeOwners::owner_of`] returns a [`Match`] with empty
//!   owners, not `None`.
//! - A pattern without a `/` (other than a trailing one) matches at any depth;
//!   a leading or inner `/` anchors it to the repository root; a trailing `/`
//!   matches a directory only (everything below it, never a file of that
//!   name). A pattern that matches a directory matches everything below it,
//!   except that a pattern whose last segment is `*` matches only what is
//!   directly in its directory (`docs/*` owns `docs/a.md`, not
//!   `docs/build/a.md`).
//! - `*` matches within one segment, `**` any number of segments (also
//!   zero), `?` one character other than `/`. `\[` and `\]` are literal
//!   brackets; an unescaped `[` or `]` (a gitignore character range) is an
//!   invalid line, as GitHub says. Matching is case-sensitive.
//! - Invalid lines are skipped with a [`Warning`] naming the line (and the
//!   column in the message); the rest of the file applies. Invalid are:
//!   negation (`!foo`), a leading `\#`, `/` alone (which GitHub reports as an
//!   error: it matches nothing), an unescaped `[` or `]`, an empty segment (`a//b`), a trailing lone
//!   `\`, and any owner that is not `@user`, `@org/team` or an email address.
//! - A file of 3 MiB ([`MAX_FILE_SIZE`]) or more gives no owners at all.
//!
//! # GitLab's dialect
//!
//! [`Dialect::GitLab`] adds sections: `[Name]`, `^[Name]` (optional) and
//! `[Name][N]` (N approvals), optionally followed by default owners that
//! apply to the section's entries written without owners. Sections with the
//! same name (compared case-insensitively) are one section. The last match
//! counts **per section**: a path's owners are the union over sections of
//! each section's last matching entry, and [`CodeOwners::matches`] reports
//! one [`Match`] per section. Entries before the first header form an
//! unnamed section (`section: None`). GitLab also accepts nested groups
//! (`@group/sub/team`), roles (`@@developer`, `@@maintainer`, `@@owner`) and
//! a leading `\#` (a literal `#`).
//!
//! # Matching
//!
//! Every pattern is compiled into one or two globs: the pattern itself, and
//! `pattern/**` for "everything below a directory it matches" (a trailing
//! `/` keeps only the second, a last segment `*` or `**` only the first). All
//! globs of a file go into one [`GlobSet`], so a path costs one
//! [`GlobSet::matches_candidate_into`] and the highest matching rule index
//! wins; no ancestor of the path is tested separately. Files with more than
//! [`GLOBS_PER_SET`] globs are split into a few sets, matched one after the
//! other. Measured (release build): 0.2 us a path for 1,000 anchored
//! literal rules (`/sdk/core/`: hash and prefix lookups) and 1.8 us for
//! 20,000; 1 to 3 us for 1,000 rules of mixed shapes; each pattern that
//! needs globset's regex engine (`docs/*`, an unanchored `build/`) adds
//! roughly 10 to 25 ns a path.

#![warn(missing_docs, unreachable_pub)]

use std::cell::RefCell;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use globset::{Candidate, Glob, GlobBuilder, GlobSet, GlobSetBuilder};

/// A file of this many bytes or more gives no owners (GitHub: "CODEOWNERS
/// files must be under 3 MB in size").
pub const MAX_FILE_SIZE: u64 = 3 * 1024 * 1024;

/// Where [`discover`] looks, in order, relative to the repository root.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// At most this many globs per [`GlobSet`]. A set's wildcard globs share one
/// lazy DFA whose cache thrashes beyond a few thousand patterns (matching
/// 4,000 mixed rules took 220 us a path in one set, 35 us in sets of 2,048
/// globs) and whose automaton globset refuses beyond about 10,000; files up
/// to about 1,000 rules stay in one set. A chunk that globset still refuses
/// is halved.
pub const GLOBS_PER_SET: usize = 2048;

/// The first existing file of [`LOCATIONS`] under `repo_root`.
pub fn discover(repo_root: &Path) -> Option<PathBuf> {
    LOCATIONS
        .iter()
        .map(|l| repo_root.join(l))
        .find(|p| p.is_file())
}

/// Which host's CODEOWNERS syntax to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// GitHub (also Gitea, Forgejo): no sections, the last match wins.
    #[default]
    GitHub,
    /// GitLab: `[Section]` headers, the last match per section.
    GitLab,
}

impl Dialect {
    /// The command-line name: `github` or `gitlab`.
    pub fn name(&self) -> &'static str {
        match self {
            Dialect::GitHub => "github",
            Dialect::GitLab => "gitlab",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "github" => Ok(Dialect::GitHub),
            "gitlab" => Ok(Dialect::GitLab),
            _ => Err(format!(
                "unknown CODEOWNERS dialect `{s}`; expected github or gitlab"
            )),
        }
    }
}

/// A problem in a CODEOWNERS file that did not stop the rest from applying:
/// usually a skipped line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line; 0 for the whole file (too large, not UTF-8).
    pub line: usize,
    /// One line, naming the column and the offending text when there is one.
    pub message: String,
}

impl fmt::Display for Warning {
    /// `line N: message`, or only the message for a whole-file warning.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// Why a CODEOWNERS file could not be read. The message is one line naming
/// the file and includes the cause.
#[derive(Debug, thiserror::Error)]
pub enum CodeOwnersError {
    /// Opening or reading the file failed (missing, unreadable, a
    /// directory). A file that is too large or not UTF-8 is not an error but
    /// a [`Warning`].
    #[error("{}: cannot read the file: {cause}", path.display())]
    Io {
        /// The file as given to [`CodeOwners::load`].
        path: PathBuf,
        /// The error from opening or reading it.
        cause: std::io::Error,
    },
}

/// The rule that decides a path's owners (in GitLab, within one section).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match<'a> {
    /// The owners; empty means explicitly unowned.
    pub owners: &'a [String],
    /// 1-based line of the winning rule.
    pub line: usize,
    /// GitLab: the name of the rule's section (`None` before the first header).
    pub section: Option<&'a str>,
    /// The rule's pattern as written (escapes included).
    pub pattern: &'a str,
}

/// One valid line: a pattern and its owners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// As written, escapes included.
    pub pattern: String,
    /// As written; for a GitLab entry without owners, its section header's
    /// default owners.
    pub owners: Vec<String>,
    /// 1-based.
    pub line: usize,
    /// Index into [`CodeOwners::sections`].
    pub section: Option<usize>,
}

/// A GitLab section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// As written in its first header.
    pub name: String,
    /// `^[Name]`: approval is optional.
    pub optional: bool,
    /// `[Name][N]`: N approvals required.
    pub approvals: Option<u32>,
    /// The owners on its first header line.
    pub default_owners: Vec<String>,
    /// 1-based line of its first header.
    pub line: usize,
}

/// A parsed CODEOWNERS file, ready to match paths.
#[derive(Clone, Debug)]
pub struct CodeOwners {
    dialect: Dialect,
    rules: Vec<Rule>,
    sections: Vec<Section>,
    /// Normally one set; see [`GLOBS_PER_SET`].
    sets: Vec<RuleSet>,
}

/// Globs compiled together, and the rule of each glob.
#[derive(Clone, Debug)]
struct RuleSet {
    globs: GlobSet,
    /// `rule_of[glob]` is an index into `rules`, or [`NO_RULE`].
    rule_of: Vec<u32>,
}

/// A glob whose rule was dropped (its other glob could not be compiled).
const NO_RULE: u32 = u32::MAX;

thread_local! {
    /// Reused by every match on this thread: globset's matched glob indices.
    static GLOB_BUF: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl Default for CodeOwners {
    fn default() -> Self {
        CodeOwners::empty(Dialect::GitHub)
    }
}

impl CodeOwners {
    /// No rules: nothing is owned.
    pub fn empty(dialect: Dialect) -> CodeOwners {
        CodeOwners {
            dialect,
            rules: Vec::new(),
            sections: Vec::new(),
            sets: Vec::new(),
        }
    }

    /// Parses a file's text. Never fails: invalid lines are skipped and
    /// reported as warnings, in line order.
    pub fn parse(text: &str, dialect: Dialect) -> (CodeOwners, Vec<Warning>) {
        if text.len() as u64 >= MAX_FILE_SIZE {
            return (
                CodeOwners::empty(dialect),
                vec![too_large(text.len() as u64)],
            );
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut p = Parser {
            dialect,
            rules: Vec::new(),
            sections: Vec::new(),
            globs: Vec::new(),
            warnings: Vec::new(),
            section: None,
            defaults: Vec::new(),
            skipping: false,
        };
        for (i, line) in text.lines().enumerate() {
            p.line(i + 1, line);
        }
        let Parser {
            mut rules,
            sections,
            globs,
            mut warnings,
            ..
        } = p;
        let sets = build_sets(globs, &mut rules, &mut warnings);
        warnings.sort_by_key(|w| w.line);
        let owners = CodeOwners {
            dialect,
            rules,
            sections,
            sets,
        };
        (owners, warnings)
    }

    /// Reads and parses a file. A file of [`MAX_FILE_SIZE`] or more gives
    /// no rules and one warning; invalid UTF-8 is replaced (with a warning).
    pub fn load(
        path: &Path,
        dialect: Dialect,
    ) -> Result<(CodeOwners, Vec<Warning>), CodeOwnersError> {
        let io = |cause| CodeOwnersError::Io {
            path: path.to_path_buf(),
            cause,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_SIZE)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 >= MAX_FILE_SIZE {
            let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
            return Ok((CodeOwners::empty(dialect), vec![too_large(size)]));
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(CodeOwners::parse(&text, dialect)),
            Err(e) => {
                let bytes = e.as_bytes();
                let valid = e.utf8_error().valid_up_to();
                let line = 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
                let text = String::from_utf8_lossy(bytes);
                let (owners, mut warnings) = CodeOwners::parse(&text, dialect);
                warnings.insert(
                    0,
                    Warning {
                        line,
                        message: "the file is not valid UTF-8 (from this line on); invalid bytes were replaced with U+FFFD".into(),
                    },
                );
                Ok((owners, warnings))
            }
        }
    }

    /// The dialect the file was parsed with.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The valid rules, in file order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// GitLab: the sections, in order of first appearance.
    pub fn sections(&self) -> &[Section] {
        &self.sections
    }

    /// The number of valid rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// No valid rule: nothing is owned.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The last matching rule (its owners may be empty: explicitly unowned);
    /// `None` when no rule matches. With GitLab's sections, the last
    /// matching rule of the whole file; see [`CodeOwners::matches`].
    ///
    /// `path` is relative to the repository root with `/` separators; a
    /// leading `./` or `/` is ignored.
    pub fn owner_of(&self, path: &str) -> Option<Match<'_>> {
        let mut last = None;
        self.each_matching_rule(path, |r| last = last.max(Some(r)));
        last.map(|r| self.to_match(r))
    }

    /// Every deciding match: GitHub at most one (as [`CodeOwners::owner_of`]);
    /// GitLab one per section with a matching entry, in section order (the
    /// unnamed section first).
    pub fn matches(&self, path: &str) -> Vec<Match<'_>> {
        if self.sections.is_empty() {
            return self.owner_of(path).into_iter().collect();
        }
        // last[0]: rules before the first header; last[i + 1]: section i.
        let mut last: Vec<Option<usize>> = vec![None; self.sections.len() + 1];
        self.each_matching_rule(path, |r| {
            let slot = self.rules[r].section.map_or(0, |s| s + 1);
            last[slot] = last[slot].max(Some(r));
        });
        last.into_iter()
            .flatten()
            .map(|r| self.to_match(r))
            .collect()
    }

    /// The owners as a flat list without duplicates (compared ignoring ASCII
    /// case), in order: GitLab the union over sections. Empty when the path
    /// is unowned or unmatched.
    pub fn owners(&self, path: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for m in self.matches(path) {
            for o in m.owners {
                if !out.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                    out.push(o);
                }
            }
        }
        out
    }

    /// The deciding rule for a directory (a module's source directory): the
    /// owner of the files directly in it. So `/features/payments-*/` owns
    /// the directory `features/payments-0464`, `docs/*` does not own
    /// `docs/guide` (its files are not owned by that rule), and rules for
    /// particular files (`*.md`) are left out.
    pub fn owner_of_dir(&self, dir: &str) -> Option<Match<'_>> {
        self.owner_of(&dir_probe(dir))
    }

    /// [`CodeOwners::owners`] for a directory, as [`CodeOwners::owner_of_dir`].
    pub fn owners_of_dir(&self, dir: &str) -> Vec<&str> {
        self.owners(&dir_probe(dir))
    }

    fn to_match(&self, r: usize) -> Match<'_> {
        let rule = &self.rules[r];
        Match {
            owners: &rule.owners,
            line: rule.line,
            section: rule.section.map(|s| self.sections[s].name.as_str()),
            pattern: &rule.pattern,
        }
    }

    /// Calls `f` with the index of every matching rule (possibly twice).
    fn each_matching_rule(&self, path: &str, mut f: impl FnMut(usize)) {
        let path = normalize_path(path);
        if path.is_empty() || self.sets.is_empty() {
            return;
        }
        let candidate = Candidate::new(path);
        let mut run = |buf: &mut Vec<usize>| {
            for set in &self.sets {
                set.globs.matches_candidate_into(&candidate, buf);
                for &g in buf.iter() {
                    let r = set.rule_of[g];
                    if r != NO_RULE {
                        f(r as usize);
                    }
                }
            }
        };
        GLOB_BUF.with(|b| match b.try_borrow_mut() {
            Ok(mut buf) => run(&mut buf),
            Err(_) => run(&mut Vec::new()),
        });
    }
}

/// A file directly in `dir` whose name no pattern can spell out (a NUL
/// character cannot be written in CODEOWNERS), so only wildcards that
/// match any name in that directory match it.
fn dir_probe(dir: &str) -> String {
    format!("{}/\u{0}", dir.trim_end_matches('/'))
}

/// Strips leading `./` and `/`.
fn normalize_path(mut path: &str) -> &str {
    loop {
        if let Some(p) = path.strip_prefix("./") {
            path = p;
        } else if let Some(p) = path.strip_prefix('/') {
            path = p;
        } else {
            return path;
        }
    }
}

fn too_large(size: u64) -> Warning {
    Warning {
        line: 0,
        message: format!(
            "the file has {size} bytes; a CODEOWNERS file of 3 MiB or more is ignored, so no path has owners"
        ),
    }
}

struct Parser {
    dialect: Dialect,
    rules: Vec<Rule>,
    sections: Vec<Section>,
    /// Each glob with the index of its rule.
    globs: Vec<(Glob, u32)>,
    warnings: Vec<Warning>,
    /// GitLab: the current section and its header's default owners.
    section: Option<usize>,
    defaults: Vec<String>,
    /// GitLab: after an unreadable header, its entries are skipped.
    skipping: bool,
}

impl Parser {
    fn warn(&mut self, line: usize, message: String) {
        // Quoted text may hold control characters: keep the message one line.
        let message = if message.chars().any(char::is_control) {
            message.chars().flat_map(char::escape_debug).collect()
        } else {
            message
        };
        self.warnings.push(Warning { line, message });
    }

    fn line(&mut self, n: usize, line: &str) {
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        if self.dialect == Dialect::GitLab
            && (trimmed.starts_with('[') || trimmed.starts_with("^["))
        {
            let start = line.len() - trimmed.len();
            self.header(n, line, start);
            return;
        }
        if self.skipping {
            return;
        }
        let tokens = tokenize(line, 0);
        let Some(&(pcol, pattern)) = tokens.first() else {
            return;
        };
        let globs = match compile_pattern(pattern, self.dialect) {
            Ok(g) => g,
            Err(why) => {
                let col = column(line, pcol);
                self.warn(
                    n,
                    format!("pattern `{pattern}` (column {col}): {why}; line skipped"),
                );
                return;
            }
        };
        let mut owners = Vec::with_capacity(tokens.len() - 1);
        for &(at, tok) in &tokens[1..] {
            if !is_owner(tok, self.dialect) {
                let why = not_owner(line, at, tok, self.dialect);
                self.warn(n, format!("{why}; line skipped"));
                return;
            }
            owners.push(tok.to_owned());
        }
        if owners.is_empty() && self.section.is_some() {
            owners.clone_from(&self.defaults);
        }
        let index = u32::try_from(self.rules.len()).expect("fewer rules than bytes");
        self.rules.push(Rule {
            pattern: pattern.to_owned(),
            owners,
            line: n,
            section: self.section,
        });
        self.globs.extend(globs.into_iter().map(|g| (g, index)));
    }

    /// GitLab: `^[Name][N] @default @owners`, starting at byte `start`.
    fn header(&mut self, n: usize, line: &str, start: usize) {
        match parse_header(line, start) {
            Err(why) => {
                self.warn(
                    n,
                    format!(
                        "invalid section header: {why}; its entries, up to the next header, are skipped"
                    ),
                );
                self.skipping = true;
                self.section = None;
                self.defaults.clear();
            }
            Ok((name, optional, approvals, owners_at)) => {
                self.skipping = false;
                let mut defaults = Vec::new();
                for (at, tok) in tokenize(line, owners_at) {
                    if !is_owner(tok, Dialect::GitLab) {
                        let why = not_owner(line, at, tok, Dialect::GitLab);
                        self.warn(n, format!("{why}; the section has no default owners"));
                        defaults.clear();
                        break;
                    }
                    defaults.push(tok.to_owned());
                }
                let existing = self
                    .sections
                    .iter()
                    .position(|s| s.name.to_lowercase() == name.to_lowercase());
                let index = existing.unwrap_or_else(|| {
                    self.sections.push(Section {
                        name: name.to_owned(),
                        optional,
                        approvals,
                        default_owners: defaults.clone(),
                        line: n,
                    });
                    self.sections.len() - 1
                });
                self.section = Some(index);
                self.defaults = defaults;
            }
        }
    }
}

/// Parses `^[Name][N]` at byte `start` of `line`: the name, optional, the
/// approvals and the byte offset after the header.
fn parse_header(line: &str, start: usize) -> Result<(&str, bool, Option<u32>, usize), String> {
    let rest = &line[start..];
    let (optional, skip) = if rest.starts_with('^') {
        (true, 1)
    } else {
        (false, 0)
    };
    let body = &rest[skip + 1..];
    let Some(close) = body.find(']') else {
        return Err("no closing `]` after the section name".into());
    };
    let name = body[..close].trim();
    if name.is_empty() {
        return Err("empty section name".into());
    }
    let mut end = start + skip + 1 + close + 1;
    let mut approvals = None;
    if let Some(after) = line[end..].strip_prefix('[') {
        let Some(close) = after.find(']') else {
            return Err("no closing `]` after the number of approvals".into());
        };
        let n = &after[..close];
        match n.parse::<u32>() {
            Ok(v) if v > 0 && n.bytes().all(|b| b.is_ascii_digit()) => approvals = Some(v),
            _ => {
                return Err(format!(
                    "`[{n}]` after the section name is not a number of approvals (an integer >= 1)"
                ));
            }
        }
        end += 1 + close + 1;
    }
    match line[end..].chars().next() {
        None | Some(' ' | '\t') => Ok((name, optional, approvals, end)),
        Some(c) => Err(format!(
            "unexpected `{c}` (column {}) after the section header",
            column(line, end)
        )),
    }
}

/// 1-based character column of byte `at`.
fn column(line: &str, at: usize) -> usize {
    line[..at].chars().count() + 1
}

fn not_owner(line: &str, at: usize, tok: &str, dialect: Dialect) -> String {
    let expected = match dialect {
        Dialect::GitHub => "@user, @org/team or an email address",
        Dialect::GitLab => "@user, @group/subgroup, @@role or an email address",
    };
    format!(
        "owner `{tok}` (column {}) is not valid; expected {expected}",
        column(line, at)
    )
}

/// Splits `line[from..]` into words separated by spaces or tabs, stopping at
/// a `#` that starts a word (an inline comment). `\` escapes the next
/// character, so `\ ` stays in its word. Returns (byte offset, word).
fn tokenize(line: &str, from: usize) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in line[from..].char_indices() {
        let i = i + from;
        match start {
            None => {
                if c == ' ' || c == '\t' {
                    continue;
                }
                if c == '#' {
                    return out;
                }
                start = Some(i);
                escaped = c == '\\';
            }
            Some(s) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == ' ' || c == '\t' {
                    out.push((s, &line[s..i]));
                    start = None;
                }
            }
        }
    }
    if let Some(s) = start {
        out.push((s, &line[s..]));
    }
    out
}

/// `@user`, `@org/team` (GitLab: `@group/sub/...`, `@@role`) or an email.
fn is_owner(tok: &str, dialect: Dialect) -> bool {
    let Some(name) = tok.strip_prefix('@') else {
        return is_email(tok);
    };
    if dialect == Dialect::GitLab
        && let Some(role) = name.strip_prefix('@')
    {
        return [
            "developer",
            "developers",
            "maintainer",
            "maintainers",
            "owner",
            "owners",
        ]
        .iter()
        .any(|r| role.eq_ignore_ascii_case(r));
    }
    let word = |s: &str, extra: &[char]| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || extra.contains(&c))
    };
    let mut parts = name.split('/');
    let first = parts.next().unwrap_or("");
    match dialect {
        Dialect::GitHub => {
            word(first, &[])
                && match (parts.next(), parts.next()) {
                    (None, _) => true,
                    (Some(team), None) => word(team, &['.']),
                    (Some(_), Some(_)) => false,
                }
        }
        Dialect::GitLab => word(first, &['.']) && parts.all(|p| word(p, &['.'])),
    }
}

/// `local@domain.tld`: one `@`, a non-empty local part, a domain of at
/// least two non-empty labels of letters, digits and `-`.
fn is_email(tok: &str) -> bool {
    let Some((local, domain)) = tok.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !local.contains('\\')
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// One element of a pattern.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Piece {
    Lit(char),
    /// `*`
    Star,
    /// `?`
    Any,
}

/// What a segment's glob is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SegKind {
    /// Exactly `**`.
    Recursive,
    /// Only `*` (one, or three or more).
    Star,
    Other,
}

/// The globs of a pattern (see the module documentation), or why it is
/// invalid.
fn compile_pattern(raw: &str, dialect: Dialect) -> Result<Vec<Glob>, String> {
    if raw.starts_with('!') {
        return Err("negation (`!`) is not supported".into());
    }
    if dialect == Dialect::GitHub && raw.starts_with("\\#") {
        return Err("escaping a leading `#` with `\\` is not supported by GitHub".into());
    }
    if raw == "/" {
        return Err(
            "`/` alone matches nothing (GitHub reports an error); use `*` for every file".into(),
        );
    }
    if dialect == Dialect::GitHub {
        // GitHub rejects the line ("Invalid pattern"): a character range is
        // one of the gitignore rules CODEOWNERS does not support.
        let mut escaped = false;
        for c in raw.chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '[' | ']' => {
                    return Err(
                        "Invalid pattern: `[ ]` character ranges are not supported by GitHub; write a literal bracket as `\\[` or `\\]`"
                            .into(),
                    );
                }
                _ => {}
            }
        }
    }
    // Segments split on `/`; `\x` is a literal x (`\/` stays a separator).
    let mut segs: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        let piece = match c {
            '\\' => match chars.next() {
                Some('/') => None,
                Some(e) => Some(Piece::Lit(e)),
                None => return Err("a lone `\\` ends the pattern".into()),
            },
            '/' => None,
            '*' => Some(Piece::Star),
            '?' => Some(Piece::Any),
            c => Some(Piece::Lit(c)),
        };
        match piece {
            Some(p) => segs.last_mut().expect("never empty").push(p),
            None => segs.push(Vec::new()),
        }
    }
    let leading = segs.len() > 1 && segs[0].is_empty();
    if leading {
        segs.remove(0);
    }
    let dir_only = segs.len() > 1 && segs.last().is_some_and(Vec::is_empty);
    if dir_only {
        segs.pop();
    }
    if segs.iter().any(Vec::is_empty) {
        return Err("empty path segment (`//`)".into());
    }
    let anchored = leading || segs.len() > 1;

    let mut body = String::with_capacity(raw.len() + 8);
    let mut kinds = Vec::with_capacity(segs.len());
    for (i, seg) in segs.iter().enumerate() {
        let kind = if seg == &[Piece::Star, Piece::Star] {
            SegKind::Recursive
        } else if seg.iter().all(|&p| p == Piece::Star) {
            SegKind::Star
        } else {
            SegKind::Other
        };
        if i == 0 && !anchored && kind != SegKind::Recursive {
            body.push_str("**/");
        }
        if i > 0 {
            body.push('/');
        }
        match kind {
            SegKind::Recursive => body.push_str("**"),
            SegKind::Star => body.push('*'),
            SegKind::Other => {
                let mut prev_star = false;
                for &p in seg {
                    match p {
                        // `**` inside a segment is a plain `*`.
                        Piece::Star if prev_star => {}
                        Piece::Star => body.push('*'),
                        Piece::Any => body.push('?'),
                        Piece::Lit(c) => {
                            if "*?[]{}\\!^-,".contains(c) {
                                body.push('\\');
                            }
                            body.push(c);
                        }
                    }
                    prev_star = p == Piece::Star;
                }
            }
        }
        kinds.push(kind);
    }
    let last = *kinds.last().expect("at least one segment");
    let below = format!("{body}/**");
    let texts = match (dir_only, last) {
        (true, SegKind::Recursive) => vec![body],
        (true, _) => vec![below],
        (false, SegKind::Recursive | SegKind::Star) => vec![body],
        (false, SegKind::Other) => vec![body, below],
    };
    texts
        .iter()
        .map(|t| {
            GlobBuilder::new(t)
                .literal_separator(true)
                .backslash_escape(true)
                .case_insensitive(false)
                .build()
                .map_err(|e| format!("cannot be compiled: {e}"))
        })
        .collect()
}

/// Compiles the globs into sets of at most [`GLOBS_PER_SET`]; a set that
/// globset refuses is halved, and a single glob it refuses drops its rule
/// (with a warning).
fn build_sets(
    globs: Vec<(Glob, u32)>,
    rules: &mut Vec<Rule>,
    warnings: &mut Vec<Warning>,
) -> Vec<RuleSet> {
    fn build(chunk: &[(Glob, u32)], sets: &mut Vec<RuleSet>, failed: &mut Vec<(u32, String)>) {
        let mut b = GlobSetBuilder::new();
        for (g, _) in chunk {
            b.add(g.clone());
        }
        match b.build() {
            Ok(globs) => sets.push(RuleSet {
                globs,
                rule_of: chunk.iter().map(|&(_, r)| r).collect(),
            }),
            Err(_) if chunk.len() > 1 => {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                build(a, sets, failed);
                build(b, sets, failed);
            }
            Err(e) => failed.push((chunk[0].1, e.to_string())),
        }
    }
    let mut sets = Vec::new();
    let mut failed = Vec::new();
    for chunk in globs.chunks(GLOBS_PER_SET) {
        build(chunk, &mut sets, &mut failed);
    }
    if !failed.is_empty() {
        failed.sort_by_key(|f| f.0);
        failed.dedup_by_key(|f| f.0);
        for (r, e) in &failed {
            let rule = &rules[*r as usize];
            warnings.push(Warning {
                line: rule.line,
                message: format!(
                    "pattern `{}` is too complex to compile ({}); line skipped",
                    rule.pattern,
                    e.lines().next().unwrap_or("")
                ),
            });
        }
        // Drop the failed rules and renumber the others.
        let mut remap = vec![NO_RULE; rules.len()];
        let mut next = 0u32;
        let mut failed_iter = failed.iter().map(|f| f.0).peekable();
        for (i, slot) in remap.iter_mut().enumerate() {
            if failed_iter.peek() == Some(&(i as u32)) {
                failed_iter.next();
            } else {
                *slot = next;
                next += 1;
            }
        }
        let mut i = 0;
        rules.retain(|_| {
            i += 1;
            remap[i - 1] != NO_RULE
        });
        for set in &mut sets {
            for r in &mut set.rule_of {
                *r = remap[*r as usize];
            }
        }
    }
    sets
}

#[cfg(test)]
mod tests {
    #[test]
    fn directories_are_owned_like_the_files_directly_in_them() {
        let (co, w) = CodeOwners::parse(
            "* @all\n/features/payments-*/ @pay\ndocs/* @docs\n*.md @md\n/libs/core @core\n/apps/?\n",
            Dialect::GitHub,
        );
        assert!(w.is_empty(), "{w:?}");
        let dir = |d: &str| co.owners_of_dir(d);
        assert_eq!(dir("features/payments-0464"), ["@pay"]);
        assert_eq!(dir("features/payments-0464/"), ["@pay"]);
        // As a file path the trailing-slash rule does not apply.
        assert_eq!(co.owners("features/payments-0464"), ["@all"]);
        // docs/* owns the files in docs, not those in docs/guide.
        assert_eq!(dir("docs"), ["@docs"]);
        assert_eq!(dir("docs/guide"), ["@all"]);
        // A rule for some files of a directory does not own the directory.
        assert_eq!(dir("notes"), ["@all"]);
        assert_eq!(dir("libs/core"), ["@core"]);
        assert_eq!(dir("libs/core/sub"), ["@core"]);
        assert_eq!(dir(""), ["@all"]);
        assert_eq!(co.owner_of_dir("features/payments-1").unwrap().line, 2);
    }

    use super::*;

    fn gh(text: &str) -> CodeOwners {
        let (o, w) = CodeOwners::parse(text, Dialect::GitHub);
        assert!(w.is_empty(), "unexpected warnings: {w:?}");
        o
    }

    fn gl(text: &str) -> CodeOwners {
        let (o, w) = CodeOwners::parse(text, Dialect::GitLab);
        assert!(w.is_empty(), "unexpected warnings: {w:?}");
        o
    }

    /// Whether a one-rule file `pattern @o` owns `path`.
    fn owns(pattern: &str, path: &str) -> bool {
        gh(&format!("{pattern} @o")).owner_of(path).is_some()
    }

    #[track_caller]
    fn check(pattern: &str, yes: &[&str], no: &[&str]) {
        for p in yes {
            assert!(owns(pattern, p), "`{pattern}` should match `{p}`");
        }
        for p in no {
            assert!(!owns(pattern, p), "`{pattern}` should not match `{p}`");
        }
    }

    #[test]
    fn unanchored_matches_at_any_depth() {
        check(
            "foo",
            &["foo", "foo/bar", "a/foo", "a/foo/b/c"],
            &["foo.txt", "a/foox", "xfoo"],
        );
        check("*.js", &["a.js", "x/y/a.js"], &["a.jsx", "js"]);
        check(
            "f*",
            &["foo", "foo/bar", "bar/foo/baz"],
            &["bar/baz", "xfoo"],
        );
        check("*", &["a", "a/b/c", ".hidden"], &[]);
    }

    #[test]
    fn leading_or_inner_slash_anchors() {
        check("/foo", &["foo", "foo/bar/baz"], &["bar/foo", "fool.txt"]);
        check(
            "foo/bar",
            &["foo/bar", "foo/bar/baz"],
            &["baz/foo/bar", "foo/bart"],
        );
        check(
            "/build/logs/",
            &["build/logs/foo/bar.go"],
            &["foo/build/logs/foo.go"],
        );
    }

    #[test]
    fn trailing_slash_is_a_directory() {
        check("foo/", &["foo/bar", "a/foo/b/c"], &["foo", "a/foo"]);
        check(
            "/foo/bar/",
            &["foo/bar/baz", "foo/bar/baz/qux"],
            &["foo/bar", "x/foo/bar/baz"],
        );
        check("/*/", &["foo/bar", "a/b/c"], &["foo"]);
    }

    #[test]
    fn last_segment_star_matches_only_direct_children() {
        check(
            "docs/*",
            &["docs/getting-started.md"],
            &["docs/build-app/troubleshooting.md", "docs"],
        );
        check("/*", &["foo", "bar"], &["foo/bar"]);
        check(
            "foo/*/baz",
            &["foo/bar/baz", "foo/bar/baz/qux"],
            &["foo/baz"],
        );
        check("foo/*.txt", &["foo/a.txt"], &["foo/b/a.txt", "x/foo/a.txt"]);
    }

    #[test]
    fn double_star() {
        check(
            "foo/**/bar",
            &["foo/bar", "foo/bar/baz", "foo/a/b/bar/c"],
            &["x/foo/bar"],
        );
        check(
            "foo/bar/**",
            &["foo/bar/baz", "foo/bar/baz/qux"],
            &["foo/bar", "x/foo/bar/baz"],
        );
        check("**/logs", &["logs", "deeply/nested/logs/x.txt"], &["logs2"]);
        check(
            "**/*bar*",
            &["bar", "foo/rebar", "foo/qux/barrio"],
            &["baz"],
        );
        check("**", &["a", "a/b"], &[]);
        // `**` inside a segment is a plain `*`.
        check("a**b", &["ab", "axxb", "q/axb"], &["a/b"]);
        check("foo/**/", &["foo/bar/baz"], &["foo"]);
    }

    #[test]
    fn question_mark_is_one_character_but_not_a_slash() {
        check("f?o", &["foo", "x/fxo"], &["fo", "fooo", "f/o"]);
    }

    #[test]
    fn brackets_and_glob_metacharacters_are_literal() {
        // Brackets escaped, as GitHub wants them (Next.js routes).
        check(
            "/apps/\\[param\\]/file.ts",
            &["apps/[param]/file.ts"],
            &["apps/param/file.ts", "apps/p/file.ts"],
        );
        check("\\[ab\\]", &["[ab]"], &["a", "b"]);
        check("{a,b}", &["{a,b}"], &["a", "b"]);
        check("a-b!^", &["a-b!^"], &["a"]);
        check("f\\*o", &["f*o"], &["foo"]);
        check("f\\?o", &["f?o"], &["foo"]);
    }

    #[test]
    fn unescaped_brackets_are_an_invalid_line_as_on_github() {
        // cpython's `Python/ceval*.[ch]`, which GitHub flagged as an error.
        for text in [
            "* @all\nPython/ceval*.[ch] @m\n",
            "* @all\n/pages/users/[userId].js @t\n",
            "* @all\nodd]name @t\n",
        ] {
            let o = invalid(
                text,
                2,
                "Invalid pattern: `[ ]` character ranges are not supported by GitHub",
            );
            assert_eq!(o.owners("Python/ceval.c"), ["@all"], "{text}");
        }
        // GitLab reads its sections, and brackets in patterns as before.
        let (o, w) = CodeOwners::parse("/pages/[id].js @t\n", Dialect::GitLab);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(o.owners("pages/[id].js"), ["@t"]);
    }

    #[test]
    fn escaped_space_is_part_of_the_pattern() {
        let o = gh("/my\\ dir/ @a\nfoo\\ bar @b");
        assert_eq!(o.owners("my dir/x"), ["@a"]);
        assert_eq!(o.owners("z/foo bar"), ["@b"]);
        assert!(o.owner_of("my").is_none());
        assert_eq!(o.rules()[0].pattern, "/my\\ dir/");
    }

    #[test]
    fn inline_comments_end_the_line() {
        let o = gh("*.rs @a # the Rust team\n*.md @b #@c\n/x#y @d\n  # indented comment\n");
        assert_eq!(o.owners("a.rs"), ["@a"]);
        assert_eq!(o.owners("a.md"), ["@b"]);
        assert_eq!(o.owners("x#y"), ["@d"], "a `#` inside a word is literal");
        assert_eq!(o.len(), 3);
        // A `#` right after a pattern, with no owner: unowned.
        let o = gh("* @a\n/x #comment");
        assert_eq!(o.owner_of("x").unwrap().owners, &[] as &[String]);
    }

    #[test]
    fn case_sensitive() {
        check("/a", &["a"], &["A"]);
        check("*.MD", &["x.MD"], &["x.md"]);
    }

    #[test]
    fn last_match_wins_and_no_owners_means_unowned() {
        let o = gh("* @g1 @g2\n*.js @js\n/apps/ @octocat\n/apps/github\n");
        assert_eq!(o.owners("foo/bar.js"), ["@js"]);
        assert_eq!(o.owners("README"), ["@g1", "@g2"]);
        let m = o.owner_of("apps/github/x.rb").unwrap();
        assert!(m.owners.is_empty());
        assert_eq!((m.line, m.section, m.pattern), (4, None, "/apps/github"));
        assert_eq!(o.owner_of("apps/x.rb").unwrap().line, 3);
        assert!(o.owners("apps/github/x.rb").is_empty());
        assert_eq!(o.matches("apps/x.rb").len(), 1);
        assert!(gh("/a @x").matches("b").is_empty());
    }

    #[test]
    fn paths_accept_leading_dot_slash_or_slash() {
        let o = gh("/src/ @a");
        for p in ["src/x", "./src/x", "/src/x", ".//src/x"] {
            assert_eq!(o.owners(p), ["@a"], "{p}");
        }
        assert!(o.owner_of("").is_none());
        assert!(o.owner_of("/").is_none());
    }

    #[test]
    fn owners_kinds() {
        let o = gh("* @user @org/team-x a.b+c@example.com @a_b @Org/Team.name");
        assert_eq!(o.owners("x").len(), 5);
        let o = gh("* @a @A @b @a");
        assert_eq!(o.owners("x"), ["@a", "@b"]);
    }

    #[track_caller]
    fn invalid(text: &str, line: usize, needle: &str) -> CodeOwners {
        let (o, w) = CodeOwners::parse(text, Dialect::GitHub);
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].line, line);
        assert!(
            w[0].message.contains(needle),
            "{:?} lacks {needle:?}",
            w[0].message
        );
        assert!(w[0].to_string().starts_with(&format!("line {line}: ")));
        o
    }

    #[test]
    fn invalid_lines_are_skipped_with_their_line_number() {
        let o = invalid("* @a\n!foo @b\n", 2, "negation");
        assert_eq!(o.owners("foo"), ["@a"]);
        assert_eq!(o.len(), 1);
        let o = invalid("* @a\n\n\\#foo @b\n", 3, "`#`");
        assert_eq!(o.owners("#foo"), ["@a"]);
        let o = invalid("* @a\nfoo notanowner\n", 2, "`notanowner` (column 5)");
        assert_eq!(o.owners("foo"), ["@a"]);
        let o = invalid("# c\n/ @a\n", 2, "`/` alone");
        assert!(o.is_empty());
        assert!(o.owner_of("anything").is_none());
        invalid("foo @a @b bad@ @c\n", 1, "`bad@` (column 11)");
        invalid("foo @a/b/c\n", 1, "`@a/b/c`");
        invalid("foo @\n", 1, "`@`");
        invalid("foo @a!\n", 1, "`@a!`");
        invalid("a//b @a\n", 1, "empty path segment");
        invalid("a\\\n", 1, "lone");
        invalid("foo x@y\n", 1, "`x@y`");
        invalid("foo @a\r@b\n", 1, "`@a\\r@b`");
    }

    #[test]
    fn three_megabytes_or_more_gives_no_owners() {
        let mut text = String::from("* @a\n");
        while (text.len() as u64) < MAX_FILE_SIZE {
            text.push_str("# padding padding padding padding padding padding padding\n");
        }
        let (o, w) = CodeOwners::parse(&text, Dialect::GitHub);
        assert!(o.is_empty() && o.owner_of("x").is_none());
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, 0);
        assert!(w[0].to_string().contains("3 MiB"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("CODEOWNERS");
        std::fs::write(&path, &text).unwrap();
        let (o, w) = CodeOwners::load(&path, Dialect::GitHub).unwrap();
        assert!(o.is_empty() && w.len() == 1, "{w:?}");
        text.truncate(MAX_FILE_SIZE as usize - 1);
        std::fs::write(&path, &text).unwrap();
        let (o, _) = CodeOwners::load(&path, Dialect::GitHub).unwrap();
        assert_eq!(o.owners("x"), ["@a"]);
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/CODEOWNERS");
        let e = CodeOwners::load(&path, Dialect::GitHub).unwrap_err();
        let s = e.to_string();
        assert!(s.starts_with(&path.display().to_string()), "{s}");
        assert!(!s.contains('\n'));
    }

    #[test]
    fn load_replaces_invalid_utf8_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("CODEOWNERS");
        std::fs::write(&path, b"* @a\n/x\xff @b\n").unwrap();
        let (o, w) = CodeOwners::load(&path, Dialect::GitHub).unwrap();
        assert_eq!((w.len(), w[0].line), (1, 2), "{w:?}");
        assert_eq!(o.len(), 2);
        assert_eq!(o.owners("y"), ["@a"]);
    }

    #[test]
    fn crlf_and_bom() {
        let o = gh("\u{feff}/a @x\r\n/b @y\r\n");
        assert_eq!(o.owners("a"), ["@x"]);
        assert_eq!(o.owners("b"), ["@y"]);
    }

    #[test]
    fn discover_order() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(discover(root), None);
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::create_dir_all(root.join(".github")).unwrap();
        std::fs::write(root.join("docs/CODEOWNERS"), "").unwrap();
        assert_eq!(discover(root), Some(root.join("docs/CODEOWNERS")));
        std::fs::write(root.join("CODEOWNERS"), "").unwrap();
        assert_eq!(discover(root), Some(root.join("CODEOWNERS")));
        std::fs::write(root.join(".github/CODEOWNERS"), "").unwrap();
        assert_eq!(discover(root), Some(root.join(".github/CODEOWNERS")));
        // A directory named CODEOWNERS is not the file.
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".github/CODEOWNERS")).unwrap();
        std::fs::write(dir.path().join("CODEOWNERS"), "").unwrap();
        assert_eq!(discover(dir.path()), Some(dir.path().join("CODEOWNERS")));
    }

    #[test]
    fn gitlab_sections_last_match_per_section() {
        let o = gl("* @everyone\n\
             [Docs]\n\
             *.md @docs\n\
             /docs/internal/ @internal\n\
             [Backend] @backend-lead\n\
             /src/\n\
             /src/legacy/ @legacy\n\
             *.md\n");
        let m = o.matches("src/legacy/README.md");
        let got: Vec<_> = m
            .iter()
            .map(|m| (m.section, m.line, m.owners.to_vec()))
            .collect();
        assert_eq!(
            got,
            [
                (None, 1, vec!["@everyone".to_string()]),
                (Some("Docs"), 3, vec!["@docs".into()]),
                (Some("Backend"), 8, vec!["@backend-lead".into()]),
            ]
        );
        assert_eq!(
            o.owners("src/legacy/README.md"),
            ["@everyone", "@docs", "@backend-lead"]
        );
        assert_eq!(o.owners("src/legacy/x.rs"), ["@everyone", "@legacy"]);
        assert_eq!(o.owners("docs/internal/a.rs"), ["@everyone", "@internal"]);
        assert_eq!(
            o.owners("docs/internal/a.md"),
            ["@everyone", "@internal", "@backend-lead"]
        );
        // owner_of: the last matching rule of the file.
        assert_eq!(o.owner_of("src/legacy/x.rs").unwrap().line, 7);
        assert_eq!(o.sections().len(), 2);
        assert_eq!(o.sections()[1].default_owners, ["@backend-lead"]);
    }

    #[test]
    fn gitlab_optional_approvals_and_repeated_sections() {
        let o = gl("^[Optional Docs] @docs\n\
             *.md\n\
             [Security][2] @sec @@maintainer\n\
             /auth/\n\
             [security]\n\
             /auth/public/ @web\n\
             [Groups]\n\
             /g/ @group/sub/team dev@example.com\n");
        let s = o.sections();
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].name.as_str(), s[0].optional, s[0].approvals),
            ("Optional Docs", true, None)
        );
        assert_eq!(
            (s[1].name.as_str(), s[1].optional, s[1].approvals),
            ("Security", false, Some(2))
        );
        assert_eq!(o.owners("auth/x"), ["@sec", "@@maintainer"]);
        // `[security]` is the same section: its later entry wins there.
        let m = o.matches("auth/public/x");
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].section, m[0].line), (Some("Security"), 6));
        assert_eq!(o.owners("auth/public/x"), ["@web"]);
        assert_eq!(
            o.owners("g/x.md"),
            ["@docs", "@group/sub/team", "dev@example.com"]
        );
    }

    #[test]
    fn gitlab_invalid_headers_and_escapes() {
        let (o, w) = CodeOwners::parse(
            "[Broken\n/a @x\n[Ok][0]\n/b @y\n[Fine] @z\n/c\n\\#d @w\n[Bad] nope\n/e\n",
            Dialect::GitLab,
        );
        let lines: Vec<usize> = w.iter().map(|w| w.line).collect();
        assert_eq!(lines, [1, 3, 8], "{w:?}");
        assert!(w[1].message.contains("approvals"));
        assert!(w[2].message.contains("`nope`"));
        assert!(o.owner_of("a").is_none() && o.owner_of("b").is_none());
        assert_eq!(o.owners("c"), ["@z"]);
        assert_eq!(o.owners("#d"), ["@w"]);
        // `[Bad]` starts its section without default owners.
        let m = o.owner_of("e").unwrap();
        assert_eq!((m.section, m.owners.len()), (Some("Bad"), 0));
        // A GitHub file reads `\[x\]` as a pattern (`[x]` is invalid).
        assert_eq!(gh("\\[x\\] @a").owners("[x]"), ["@a"]);
    }

    #[test]
    fn many_rules_still_match() {
        // More globs than one set holds: split into several sets.
        let mut text = String::new();
        for i in 0..6000 {
            text.push_str(&format!("**/d{i}x*/ @t{i}\nsrc/m{i}/*.rs @m{i}\n"));
        }
        let o = gh(&text);
        assert_eq!(o.len(), 12000);
        assert!(o.sets.len() > 1);
        assert_eq!(o.owners("a/d5999xy/z"), ["@t5999"]);
        assert_eq!(o.owners("src/m17/a.rs"), ["@m17"]);
        assert_eq!(o.owner_of("src/m17/a.rs").unwrap().line, 36);
        assert!(o.owner_of("src/m17/x/a.rs").is_none());
        assert!(o.owner_of("src/m17/b/a.rs").is_none());
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            gitlab in proptest::prelude::any::<bool>(),
        ) {
            let text = String::from_utf8_lossy(&bytes);
            parse_and_match(&text, gitlab);
        }

        #[test]
        fn codeowners_like_text_never_panics(
            text in "([ \t\\/*?#@!^\\[\\]{},.ab1é-]{0,12}( @[a-b/@.]{0,4})*\r?\n){0,12}",
            gitlab in proptest::prelude::any::<bool>(),
        ) {
            parse_and_match(&text, gitlab);
        }
    }

    fn parse_and_match(text: &str, gitlab: bool) {
        let dialect = if gitlab {
            Dialect::GitLab
        } else {
            Dialect::GitHub
        };
        let (o, w) = CodeOwners::parse(text, dialect);
        let lines = text.lines().count();
        assert!(o.len() <= lines);
        assert!(
            w.iter()
                .all(|w| w.line <= lines && !w.to_string().chars().any(char::is_control))
        );
        for path in ["a", "a/b", "[a]/b*", "./a", "/", text] {
            let _ = o.owners(path);
            let m = o.matches(path);
            assert_eq!(o.owner_of(path).is_some(), !m.is_empty());
            if !gitlab {
                assert!(m.len() <= 1);
            }
        }
    }

    #[test]
    fn dialect_names() {
        assert_eq!("gitlab".parse::<Dialect>(), Ok(Dialect::GitLab));
        assert_eq!(Dialect::default().to_string(), "github");
        assert!("svn".parse::<Dialect>().is_err());
    }
}
