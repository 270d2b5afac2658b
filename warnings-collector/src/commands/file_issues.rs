//! `warnings-collector file-issues`: one GitHub issue per owning team, from
//! the reports folder that `collect --out DIR` writes.
//!
//! Each issue starts with a hidden marker, `<!-- warnings-collector
//! team=@org/a -->`, by which later runs find it among the repository's
//! open issues with the label: it is updated when its title or body would
//! change, closed with a comment when the team has no warnings left, and
//! never duplicated. Issues without the marker are never touched.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde::{Deserialize, Serialize};

use super::OutputFormat;
use crate::Exit;
use github_client::{self as github, Client, IssueUpdate, NewIssue, Repo, RetryPolicy, Token};

#[derive(Args, Debug)]
pub struct FileIssuesArgs {
    /// The repository to file in, OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,

    /// The reports folder written by `collect --out DIR`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The label of the issues: they are looked for among the open issues
    /// with it, and it is created in the repository when missing.
    #[arg(long, value_name = "NAME", default_value = "deprecations")]
    pub label: String,

    /// Print what would be created, updated or closed, and change nothing.
    /// Existing issues are read when GITHUB_TOKEN is set.
    #[arg(long)]
    pub dry_run: bool,

    /// Also file an issue for the warnings of unowned files.
    #[arg(long)]
    pub include_unowned: bool,

    /// `text`: one line per team, `created #12 @org/a (34 warnings)`;
    /// `json`: an object with one entry per team.
    #[arg(long, value_enum, default_value_t, value_name = "FORMAT")]
    pub format: OutputFormat,

    /// The longest wait for a GitHub rate limit; one asking for more fails
    /// the run.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub max_wait: u64,
}

/// The tool and key of the marker: `<!-- warnings-collector team=… -->`.
const TOOL: &str = "warnings-collector";
const MARKER_KEY: &str = "team";
/// The marker value, title name and output name of the unowned issue.
const UNOWNED: &str = "unowned";
const LABEL_COLOR: &str = "fbca04";
const LABEL_DESCRIPTION: &str = "Deprecation warnings, filed by warnings-collector";

/// `DIR/summary.json`, as far as this command reads it.
#[derive(Deserialize)]
struct Summary {
    version: u32,
    teams: BTreeMap<String, Entry>,
    #[serde(default)]
    unowned: Option<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    warnings: u64,
    report: String,
}

/// An issue that should be open: its team (the marker value), title and
/// body.
struct Target {
    team: String,
    warnings: u64,
    title: String,
    body: String,
}

/// What was (or, with `--dry-run`, would be) done for one team.
#[derive(Serialize)]
struct Outcome {
    team: String,
    action: Action,
    /// The issue; `None` for one not created yet.
    number: Option<u64>,
    /// Open warnings; 0 for a closed issue.
    warnings: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
enum Action {
    Created,
    Updated,
    Unchanged,
    Closed,
    WouldCreate,
    WouldUpdate,
    WouldClose,
    /// `--dry-run` without a token: existing issues were not read.
    WouldFile,
}

#[derive(Serialize)]
struct Skipped {
    owner: String,
    warnings: u64,
    reason: &'static str,
}

pub(crate) fn run(args: &FileIssuesArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    let repo: Repo = args.repo.parse().context("--repo")?;
    if args.label.trim().is_empty() || args.label.contains(',') {
        bail!(
            "--label `{}`: expected a label name, not empty and without a comma (GitHub's label filter splits at commas)",
            args.label
        );
    }
    let (targets, skipped) = read_targets(&args.out, args.include_unowned)?;
    for s in &skipped {
        eprintln!(
            "note: no issue for {} ({}): {}",
            s.owner,
            plural(s.warnings),
            s.reason
        );
    }
    let token = Token::from_env()?;
    let Some(token) = token else {
        if !args.dry_run {
            bail!(
                "{} is not set: file-issues needs a token that can write the issues of {repo} \
                 (or pass --dry-run)",
                github::TOKEN_VAR
            );
        }
        eprintln!(
            "note: {} is not set: existing issues not read; listing what would be filed",
            github::TOKEN_VAR
        );
        let outcomes: Vec<Outcome> = targets
            .iter()
            .map(|t| Outcome {
                team: t.team.clone(),
                action: Action::WouldFile,
                number: None,
                warnings: t.warnings,
                url: None,
            })
            .collect();
        write_outcomes(out, args, &repo, &outcomes, &skipped)?;
        return Ok(Exit::Success);
    };
    let api_url = github::api_url_from_env()?;
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(args.max_wait),
        ..RetryPolicy::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let client = Client::new(&api_url, &token, policy)?;
        let outcomes = file(&client, &repo, args, &targets, out).await?;
        write_outcomes(out, args, &repo, &outcomes, &skipped)
    })?;
    Ok(Exit::Success)
}

/// Reads the summary and the reports: the issues that should be open, and
/// the owners that get none.
fn read_targets(dir: &Path, include_unowned: bool) -> anyhow::Result<(Vec<Target>, Vec<Skipped>)> {
    let path = dir.join("summary.json");
    let text = fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (is {} a folder written by `warnings-collector collect --out DIR`?)",
            path.display(),
            dir.display()
        )
    })?;
    let summary: Summary = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a warnings-collector summary", path.display()))?;
    if summary.version != 1 {
        bail!(
            "{}: version {} is not supported (this tool reads version 1)",
            path.display(),
            summary.version
        );
    }
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    for (owner, entry) in &summary.teams {
        if entry.warnings == 0 {
            continue;
        }
        if !owner.starts_with('@') || owner.len() < 2 {
            skipped.push(Skipped {
                owner: owner.clone(),
                warnings: entry.warnings,
                reason: if owner.contains('@') {
                    "an email owner cannot be mentioned on GitHub"
                } else {
                    "not a GitHub user or team"
                },
            });
            continue;
        }
        targets.push(target(dir, owner, entry)?);
    }
    if let Some(entry) = summary
        .unowned
        .as_ref()
        .filter(|e| include_unowned && e.warnings > 0)
    {
        targets.push(target(dir, UNOWNED, entry)?);
    }
    Ok((targets, skipped))
}

fn target(dir: &Path, team: &str, entry: &Entry) -> anyhow::Result<Target> {
    let rel = Path::new(&entry.report);
    if entry.report.is_empty()
        || !rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        bail!(
            "{}: the report of {team} is `{}`, expected a file name inside the folder",
            dir.join("summary.json").display(),
            entry.report
        );
    }
    let path = dir.join(rel);
    let report = fs::read_to_string(&path)
        .with_context(|| format!("cannot read the report of {team}, {}", path.display()))?;
    let head = github::marker(TOOL, MARKER_KEY, team);
    let full = format!("{head}\n{report}");
    let note = format!(
        "\n---\n\n*This report is {} characters long, more than the {} GitHub allows in an \
         issue, and was cut here. The full report is `{}` in the reports artifact of {}.*\n",
        full.chars().count(),
        github::MAX_BODY_CHARS,
        entry.report,
        ci_run()
    );
    Ok(Target {
        team: team.to_owned(),
        warnings: entry.warnings,
        title: format!("Deprecation warnings: {team} ({})", entry.warnings),
        body: github::fit_body(&full, &note),
    })
}

/// Where the artifact is: the GitHub Actions run when running in one.
fn ci_run() -> String {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        (Some(server), Some(repo), Some(id)) => format!(
            "[the CI run]({}/{repo}/actions/runs/{id})",
            server.trim_end_matches('/')
        ),
        _ => "the CI run that ran `warnings-collector collect`".to_owned(),
    }
}

/// Creates, updates and closes the issues (or, with `--dry-run`, says what
/// it would do), writing a text line per team as it goes.
async fn file(
    client: &Client,
    repo: &Repo,
    args: &FileIssuesArgs,
    targets: &[Target],
    out: &mut impl Write,
) -> anyhow::Result<Vec<Outcome>> {
    let label = args.label.as_str();
    let open = client
        .list_issues(repo, "open", &[label])
        .await
        .with_context(|| format!("cannot list the open issues of {repo} labelled `{label}`"))?;
    // Ours, by team; the oldest wins when a marker was copied.
    let mut ours: HashMap<String, &github::Issue> = HashMap::new();
    let mut by_number: Vec<&github::Issue> = open.iter().collect();
    by_number.sort_by_key(|i| i.number);
    for issue in by_number {
        let Some(team) = github::marker_value(issue.body(), TOOL, MARKER_KEY) else {
            continue;
        };
        let key = team.to_ascii_lowercase();
        if let Some(first) = ours.get(&key) {
            eprintln!(
                "warning: #{} carries the marker of {team} as #{} does; only #{} is kept up to date",
                issue.number, first.number, first.number
            );
            continue;
        }
        ours.insert(key, issue);
    }

    let mut outcomes = Vec::new();
    let mut label_checked = false;
    for t in targets {
        let existing = ours.remove(&t.team.to_ascii_lowercase());
        let outcome = match existing {
            None if args.dry_run => {
                if !label_checked {
                    label_checked = true;
                    if client.get_label(repo, label).await?.is_none() {
                        eprintln!("note: would create the label `{label}` in {repo}");
                    }
                }
                Outcome {
                    team: t.team.clone(),
                    action: Action::WouldCreate,
                    number: None,
                    warnings: t.warnings,
                    url: None,
                }
            }
            None => {
                if !label_checked {
                    label_checked = true;
                    let created = client
                        .ensure_label(repo, label, LABEL_COLOR, LABEL_DESCRIPTION)
                        .await
                        .with_context(|| format!("cannot create the label `{label}` in {repo}"))?;
                    if created {
                        eprintln!("note: created the label `{label}` in {repo}");
                    }
                }
                let issue = client
                    .create_issue(
                        repo,
                        &NewIssue {
                            title: &t.title,
                            body: &t.body,
                            labels: &[label],
                        },
                    )
                    .await
                    .with_context(|| format!("cannot create the issue of {}", t.team))?;
                Outcome {
                    team: t.team.clone(),
                    action: Action::Created,
                    number: Some(issue.number),
                    warnings: t.warnings,
                    url: issue.html_url,
                }
            }
            Some(issue) => {
                let same = issue.title == t.title && github::same_body(issue.body(), &t.body);
                let action = if same {
                    Action::Unchanged
                } else if args.dry_run {
                    Action::WouldUpdate
                } else {
                    client
                        .update_issue(
                            repo,
                            issue.number,
                            &IssueUpdate {
                                title: Some(&t.title),
                                body: Some(&t.body),
                                ..IssueUpdate::default()
                            },
                        )
                        .await
                        .with_context(|| {
                            format!("cannot update #{}, the issue of {}", issue.number, t.team)
                        })?;
                    Action::Updated
                };
                Outcome {
                    team: t.team.clone(),
                    action,
                    number: Some(issue.number),
                    warnings: t.warnings,
                    url: issue.html_url.clone(),
                }
            }
        };
        text_line(out, args, &outcome)?;
        outcomes.push(outcome);
    }

    // Teams left without warnings. The unowned issue is only managed with
    // --include-unowned: without it, a run says nothing about it.
    let mut left: Vec<&github::Issue> = ours
        .into_iter()
        .filter(|(team, _)| args.include_unowned || team != UNOWNED)
        .map(|(_, issue)| issue)
        .collect();
    left.sort_by_key(|i| i.number);
    for issue in left {
        let team = github::marker_value(issue.body(), TOOL, MARKER_KEY)
            .unwrap_or_default()
            .to_owned();
        let action = if args.dry_run {
            Action::WouldClose
        } else {
            let comment = if team == UNOWNED {
                "All deprecation warnings of unowned files are fixed.".to_owned()
            } else {
                format!("All deprecation warnings of {team} are fixed.")
            };
            // The comment first, so it reads before the close in the
            // issue's timeline.
            let closed = async {
                client.add_comment(repo, issue.number, &comment).await?;
                let update = IssueUpdate {
                    state: Some("closed"),
                    state_reason: Some("completed"),
                    ..IssueUpdate::default()
                };
                client.update_issue(repo, issue.number, &update).await
            };
            closed
                .await
                .with_context(|| format!("cannot close #{}, the issue of {team}", issue.number))?;
            Action::Closed
        };
        let outcome = Outcome {
            team,
            action,
            number: Some(issue.number),
            warnings: 0,
            url: issue.html_url.clone(),
        };
        text_line(out, args, &outcome)?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Writes the line of one outcome in text format; written as each is done,
/// so a run that fails half-way still says what it did.
fn text_line(out: &mut impl Write, args: &FileIssuesArgs, o: &Outcome) -> anyhow::Result<()> {
    if args.format != OutputFormat::Text {
        return Ok(());
    }
    let n = o.number.map(|n| format!("#{n} ")).unwrap_or_default();
    let team = &o.team;
    match o.action {
        Action::Created => writeln!(out, "created {n}{team} ({})", plural(o.warnings))?,
        Action::Updated => writeln!(out, "updated {n}{team}")?,
        Action::Unchanged => writeln!(out, "unchanged {n}{team}")?,
        Action::Closed => writeln!(out, "closed {n}{team}")?,
        Action::WouldCreate => writeln!(out, "would create {team} ({})", plural(o.warnings))?,
        Action::WouldUpdate => writeln!(out, "would update {n}{team}")?,
        Action::WouldClose => writeln!(out, "would close {n}{team}")?,
        Action::WouldFile => writeln!(out, "would file {team} ({})", plural(o.warnings))?,
    }
    Ok(())
}

fn write_outcomes(
    out: &mut impl Write,
    args: &FileIssuesArgs,
    repo: &Repo,
    outcomes: &[Outcome],
    skipped: &[Skipped],
) -> anyhow::Result<()> {
    match args.format {
        OutputFormat::Text => {
            // Lines were written as the work was done, except a dry run's
            // without a token.
            for o in outcomes.iter().filter(|o| o.action == Action::WouldFile) {
                text_line(out, args, o)?;
            }
        }
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "repo": repo.to_string(),
                "label": args.label,
                "dry_run": args.dry_run,
                "issues": outcomes,
                "skipped": skipped,
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

fn plural(n: u64) -> String {
    if n == 1 {
        "1 warning".to_owned()
    } else {
        format!("{n} warnings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(summary: &str, reports: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("summary.json"), summary).unwrap();
        for (name, text) in reports {
            fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn github_targets_skip_emails_and_unowned_unless_asked() {
        let dir = folder(
            r#"{"version":1,"total":5,"occurrences":9,"command":"warnings-collector collect",
                "teams":{"@org/a":{"slug":"org-a","warnings":3,"occurrences":5,"files":2,"report":"org-a.md"},
                         "dev@example.com":{"slug":"dev-example-com","warnings":1,"occurrences":1,"files":1,"report":"dev-example-com.md"}},
                "unowned":{"slug":"unowned","warnings":1,"occurrences":3,"files":1,"report":"unowned.md"},
                "warnings":[]}"#,
            &[("org-a.md", "# A\n"), ("unowned.md", "# U\n")],
        );
        let (targets, skipped) = read_targets(dir.path(), false).unwrap();
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].title, "Deprecation warnings: @org/a (3)");
        assert_eq!(
            targets[0].body,
            "<!-- warnings-collector team=@org/a -->\n# A\n"
        );
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].owner, "dev@example.com");
        let (targets, _) = read_targets(dir.path(), true).unwrap();
        assert_eq!(targets[1].team, "unowned");
        assert_eq!(targets[1].title, "Deprecation warnings: unowned (1)");
        // `collect` writes `"unowned": null` when every warning has an owner.
        let dir = folder(
            r#"{"version":1,"teams":{"@u":{"warnings":1,"report":"u.md"}},"unowned":null}"#,
            &[("u.md", "# U\n")],
        );
        let (targets, _) = read_targets(dir.path(), true).unwrap();
        assert_eq!(targets.len(), 1);
        assert_eq!(targets[0].title, "Deprecation warnings: @u (1)");
    }

    #[test]
    fn github_targets_reject_bad_summaries() {
        let dir = folder(r#"{"version":2,"teams":{}}"#, &[]);
        let err = format!("{:#}", read_targets(dir.path(), false).err().unwrap());
        assert!(err.contains("version 2 is not supported"), "{err}");
        let dir = folder(
            r#"{"version":1,"teams":{"@org/a":{"warnings":1,"report":"../x.md"}}}"#,
            &[],
        );
        let err = format!("{:#}", read_targets(dir.path(), false).err().unwrap());
        assert!(
            err.contains("expected a file name inside the folder"),
            "{err}"
        );
        let dir = folder(
            r#"{"version":1,"teams":{"@org/a":{"warnings":1,"report":"org-a.md"}}}"#,
            &[],
        );
        let err = format!("{:#}", read_targets(dir.path(), false).err().unwrap());
        assert!(err.contains("cannot read the report of @org/a"), "{err}");
    }
}
