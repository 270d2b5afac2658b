//! `deferred-compliance.toml`: which jobs are deferred, on which branch,
//! how long a failure may last, and who may grant exceptions.
//!
//! ```toml
//! repository = "acme/product"
//! branch = "main"
//! deadline = "72h"
//! reminders = ["24h", "4h"]
//! exception_approvers = ["alice", "@acme/release-managers"]
//!
//! [[job]]
//! workflow = "integration.yml"   # the file under .github/workflows/
//! job = "on-prem suite"          # optional: one job of that workflow
//! rerun = true                   # re-run failed jobs once before filing
//!
//! [slack_users]                  # GitHub login -> Slack member ID
//! alice = "U024BE7LH"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use github_client::Repo;
use serde::Deserialize;

/// The file read when `--config` is not given.
pub const DEFAULT_PATH: &str = "deferred-compliance.toml";

/// The whole configuration, checked.
#[derive(Clone, Debug)]
pub struct Config {
    pub repository: Repo,
    pub branch: String,
    /// How long a job may stay broken before deploys are blocked.
    pub deadline: Duration,
    /// Comments (and Slack messages) this long before the deadline, longest
    /// first.
    pub reminders: Vec<Duration>,
    pub label: String,
    /// Added to an issue once its deadline has passed.
    pub blocked_label: String,
    pub exception_label: String,
    /// Logins and `@org/team` names whose exception label counts.
    pub exception_approvers: Vec<Approver>,
    /// The commit status set on the branch head while deploys are blocked.
    pub status_context: String,
    /// Where CODEOWNERS is looked for, first found wins (GitHub's order).
    pub codeowners: Vec<String>,
    /// How often `serve` runs the reconcile pass.
    pub reconcile_every: Duration,
    pub jobs: Vec<JobSpec>,
    /// GitHub login (lowercase) to Slack member ID.
    pub slack_users: BTreeMap<String, String>,
    /// The `event`s of runs that count (default `push`): a pull request's
    /// run never does, whatever its branch is called.
    pub events: Vec<String>,
    /// The bot's own login, when it cannot be asked (`GET /user` or
    /// `GET /app`); only issues and comments by it are state.
    pub bot_login: Option<String>,
    /// Whether an open issue of a job that is no longer configured (or no
    /// longer runs) still blocks deploys past its deadline.
    pub unconfigured_jobs_block: bool,
    /// How many pages a list may have before the pass stops with an error.
    pub max_pages: usize,
    /// How far back `serve` looks for failed webhook deliveries to ask
    /// GitHub to send again.
    pub redeliver_within: Duration,
}

/// One deferred job: a workflow, or one job of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// The workflow's file name, `integration.yml`.
    pub workflow: String,
    /// The job's name within the workflow; `None` follows the whole run.
    pub job: Option<String>,
    /// Re-run the failed jobs once, and file only if the re-run fails too.
    pub rerun: bool,
}

impl JobSpec {
    /// The job's identity in issue markers: `integration.yml` or
    /// `integration.yml:on-prem suite`.
    pub fn key(&self) -> String {
        match &self.job {
            Some(j) => format!("{}:{j}", self.workflow),
            None => self.workflow.clone(),
        }
    }
}

impl fmt::Display for JobSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.job {
            Some(j) => write!(f, "{j} ({})", self.workflow),
            None => f.write_str(&self.workflow),
        }
    }
}

/// Who may grant an exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approver {
    /// A login, compared without case.
    User(String),
    /// A team, `@org/slug`.
    Team { org: String, slug: String },
}

impl fmt::Display for Approver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Approver::User(u) => write!(f, "@{u}"),
            Approver::Team { org, slug } => write!(f, "@{org}/{slug}"),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    repository: String,
    #[serde(default = "default_branch")]
    branch: String,
    #[serde(default = "default_deadline")]
    deadline: String,
    #[serde(default = "default_reminders")]
    reminders: Vec<String>,
    #[serde(default = "default_label")]
    label: String,
    #[serde(default = "default_blocked_label")]
    blocked_label: String,
    #[serde(default = "default_exception_label")]
    exception_label: String,
    #[serde(default)]
    exception_approvers: Vec<String>,
    #[serde(default = "default_status_context")]
    status_context: String,
    #[serde(default = "default_codeowners")]
    codeowners: Vec<String>,
    #[serde(default = "default_reconcile_every")]
    reconcile_every: String,
    #[serde(default)]
    rerun: bool,
    #[serde(default, rename = "job")]
    jobs: Vec<RawJob>,
    #[serde(default)]
    slack_users: BTreeMap<String, String>,
    #[serde(default = "default_events")]
    events: Vec<String>,
    #[serde(default)]
    bot_login: Option<String>,
    #[serde(default = "yes")]
    unconfigured_jobs_block: bool,
    #[serde(default = "default_max_pages")]
    max_pages: usize,
    #[serde(default = "default_redeliver_within")]
    redeliver_within: String,
}

/// The run events a deferred job may be triggered by.
pub const RUN_EVENTS: &[&str] = &["push", "schedule", "workflow_dispatch", "merge_group"];

fn default_events() -> Vec<String> {
    vec!["push".into()]
}
fn yes() -> bool {
    true
}
fn default_max_pages() -> usize {
    github_client::MAX_PAGES
}
fn default_redeliver_within() -> String {
    "3d".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJob {
    workflow: String,
    #[serde(default)]
    job: Option<String>,
    #[serde(default)]
    rerun: Option<bool>,
}

fn default_branch() -> String {
    "main".into()
}
fn default_deadline() -> String {
    "72h".into()
}
fn default_reminders() -> Vec<String> {
    vec!["24h".into(), "4h".into()]
}
fn default_label() -> String {
    "deferred-compliance".into()
}
fn default_blocked_label() -> String {
    "deploy-blocked".into()
}
fn default_exception_label() -> String {
    "compliance-exception".into()
}
fn default_status_context() -> String {
    "deferred-compliance/deploy-gate".into()
}
fn default_codeowners() -> Vec<String> {
    vec![
        ".github/CODEOWNERS".into(),
        "CODEOWNERS".into(),
        "docs/CODEOWNERS".into(),
    ]
}
fn default_reconcile_every() -> String {
    "15m".into()
}

impl Config {
    /// Reads and checks the file; errors name the file and the key.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| {
            if path == Path::new(DEFAULT_PATH) {
                format!("cannot read {DEFAULT_PATH} in the current folder (pass --config FILE)")
            } else {
                format!("cannot read {}", path.display())
            }
        })?;
        Config::parse(&text).with_context(|| path.display().to_string())
    }

    /// Parses the text of a configuration file.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let de = toml::Deserializer::parse(text).map_err(|e| toml_error(text, &e, ""))?;
        let raw: Raw = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            toml_error(text, e.inner(), &path)
        })?;
        let repository: Repo = raw.repository.parse().context("repository")?;
        let deadline = parse_duration(&raw.deadline).context("deadline")?;
        let mut reminders = Vec::new();
        for (i, r) in raw.reminders.iter().enumerate() {
            let d = parse_duration(r).with_context(|| format!("reminders[{i}]"))?;
            if d >= deadline {
                bail!(
                    "reminders[{i}]: `{r}` before the deadline is not after the failure \
                     (the deadline is {})",
                    raw.deadline
                );
            }
            reminders.push(d);
        }
        reminders.sort_unstable_by(|a, b| b.cmp(a));
        reminders.dedup();
        let mut exception_approvers = Vec::new();
        for (i, a) in raw.exception_approvers.iter().enumerate() {
            exception_approvers
                .push(parse_approver(a).with_context(|| format!("exception_approvers[{i}]")))
        }
        let exception_approvers = exception_approvers.into_iter().collect::<Result<_, _>>()?;
        if raw.jobs.is_empty() {
            bail!(
                "no [[job]]: name at least one deferred workflow, e.g.\n\
                 [[job]]\nworkflow = \"integration.yml\""
            );
        }
        let mut jobs: Vec<JobSpec> = Vec::new();
        for (i, j) in raw.jobs.iter().enumerate() {
            let workflow = j.workflow.trim();
            let workflow = workflow
                .strip_prefix(".github/workflows/")
                .unwrap_or(workflow);
            if workflow.is_empty() || workflow.contains('/') {
                bail!(
                    "job[{i}].workflow: expected the workflow's file name, such as \
                     `integration.yml`, got `{}`",
                    j.workflow
                );
            }
            if let Some(name) = &j.job
                && name.trim().is_empty()
            {
                bail!("job[{i}].job: empty; leave it out to follow the whole workflow");
            }
            let spec = JobSpec {
                workflow: workflow.to_owned(),
                job: j.job.as_ref().map(|s| s.trim().to_owned()),
                rerun: j.rerun.unwrap_or(raw.rerun),
            };
            if jobs.iter().any(|o| o.key() == spec.key()) {
                bail!("job[{i}]: `{}` is listed twice", spec.key());
            }
            jobs.push(spec);
        }
        for (name, value) in [
            ("label", &raw.label),
            ("blocked_label", &raw.blocked_label),
            ("exception_label", &raw.exception_label),
            ("branch", &raw.branch),
            ("status_context", &raw.status_context),
        ] {
            if value.trim().is_empty() {
                bail!("{name}: empty");
            }
        }
        let mut events = Vec::new();
        for (i, e) in raw.events.iter().enumerate() {
            let e = e.trim();
            if !RUN_EVENTS.contains(&e) {
                bail!(
                    "events[{i}]: `{e}` is not a trusted run event; expected one of {} \
                     (pull-request runs never count)",
                    RUN_EVENTS.join(", ")
                );
            }
            events.push(e.to_owned());
        }
        if events.is_empty() {
            bail!("events: empty; leave it out for runs triggered by `push`");
        }
        let bot_login = match raw.bot_login.as_deref().map(str::trim) {
            None => None,
            Some(l) if crate::text::is_login(l) => Some(l.to_owned()),
            Some(l) => bail!("bot_login: expected a GitHub login such as `my-app[bot]`, got `{l}`"),
        };
        if raw.max_pages == 0 {
            bail!("max_pages: expected at least 1");
        }
        Ok(Config {
            events,
            bot_login,
            unconfigured_jobs_block: raw.unconfigured_jobs_block,
            max_pages: raw.max_pages,
            // `off`: no redelivery.
            redeliver_within: if raw.redeliver_within == "off" {
                Duration::ZERO
            } else {
                parse_duration(&raw.redeliver_within).context("redeliver_within")?
            },
            repository,
            branch: raw.branch.trim().to_owned(),
            deadline,
            reminders,
            label: raw.label,
            blocked_label: raw.blocked_label,
            exception_label: raw.exception_label,
            exception_approvers,
            status_context: raw.status_context,
            codeowners: raw.codeowners,
            reconcile_every: parse_duration(&raw.reconcile_every).context("reconcile_every")?,
            jobs,
            slack_users: raw
                .slack_users
                .into_iter()
                .map(|(k, v)| (k.trim_start_matches('@').to_ascii_lowercase(), v))
                .collect(),
        })
    }

    /// The deferred job a run belongs to: its workflow file matches (the
    /// run's `path` is `.github/workflows/FILE`, sometimes with `@ref`).
    pub fn jobs_of_workflow<'a>(&'a self, path: &str) -> impl Iterator<Item = &'a JobSpec> + 'a {
        let file = workflow_file(path).to_owned();
        self.jobs.iter().filter(move |j| j.workflow == file)
    }

    pub fn job_by_key(&self, key: &str) -> Option<&JobSpec> {
        self.jobs.iter().find(|j| j.key() == key)
    }
}

/// `integration.yml` of `.github/workflows/integration.yml@refs/heads/main`.
pub fn workflow_file(path: &str) -> &str {
    let path = path.split('@').next().unwrap_or(path);
    path.rsplit('/').next().unwrap_or(path)
}

fn parse_approver(s: &str) -> anyhow::Result<Approver> {
    let t = s.trim().trim_start_matches('@');
    let ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'[' | b']'))
    };
    match t.split_once('/') {
        Some((org, slug)) if ok(org) && ok(slug) => Ok(Approver::Team {
            org: org.to_owned(),
            slug: slug.to_ascii_lowercase(),
        }),
        None if ok(t) => Ok(Approver::User(t.to_ascii_lowercase())),
        _ => bail!("expected a GitHub login or @org/team, got `{s}`"),
    }
}

/// `72h`, `30m`, `3d`, `90s`, `1h30m`, `1w`.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let t = s.trim();
    let expected =
        || anyhow::anyhow!("expected a duration such as `72h`, `30m`, `3d` or `1h30m`, got `{s}`");
    if t.is_empty() {
        return Err(expected());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(expected()),
        };
        let n: u64 = digits.parse().map_err(|_| expected())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(expected)?;
    }
    if !digits.is_empty() || total == 0 {
        return Err(expected());
    }
    Ok(Duration::from_secs(total))
}

/// `72 h`, `4 h`, `1 h 30 min`, `45 min`: a duration for people.
pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m) = (s / 3600, (s % 3600) / 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// `line N: KEY: MESSAGE` of a TOML error, on one line.
fn toml_error(text: &str, e: &toml::de::Error, key: &str) -> anyhow::Error {
    let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
    match (line, key.is_empty()) {
        (Some(l), true) => anyhow::anyhow!("line {l}: {message}"),
        (Some(l), false) => anyhow::anyhow!("line {l}: {key}: {message}"),
        (None, true) => anyhow::anyhow!("{message}"),
        (None, false) => anyhow::anyhow!("{key}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "repository = \"acme/product\"\n";
    const JOB: &str = "[[job]]\nworkflow = \"integration.yml\"\n";

    #[test]
    fn defaults_follow_the_issue() {
        let c = Config::parse(&format!("{MINIMAL}{JOB}")).unwrap();
        assert_eq!(c.branch, "main");
        assert_eq!(c.deadline, Duration::from_secs(72 * 3600));
        assert_eq!(
            c.reminders,
            vec![
                Duration::from_secs(24 * 3600),
                Duration::from_secs(4 * 3600)
            ]
        );
        assert_eq!(c.label, "deferred-compliance");
        assert_eq!(c.exception_label, "compliance-exception");
        assert_eq!(c.status_context, "deferred-compliance/deploy-gate");
        assert_eq!(c.jobs[0].key(), "integration.yml");
        assert!(!c.jobs[0].rerun);
    }

    #[test]
    fn a_full_file_parses() {
        let c = Config::parse(
            r#"
repository = "acme/product"
branch = "trunk"
deadline = "2d12h"
reminders = ["4h", "24h"]
exception_approvers = ["Alice", "@acme/Release-Managers"]
rerun = true

[[job]]
workflow = ".github/workflows/integration.yml"
job = "on-prem suite"

[[job]]
workflow = "nightly.yml"
rerun = false

[slack_users]
"@Alice" = "U024BE7LH"
"#,
        )
        .unwrap();
        assert_eq!(c.deadline, Duration::from_secs(60 * 3600));
        assert_eq!(c.reminders[0], Duration::from_secs(24 * 3600));
        assert_eq!(
            c.exception_approvers,
            vec![
                Approver::User("alice".into()),
                Approver::Team {
                    org: "acme".into(),
                    slug: "release-managers".into()
                }
            ]
        );
        assert_eq!(c.jobs[0].key(), "integration.yml:on-prem suite");
        assert!(c.jobs[0].rerun);
        assert!(!c.jobs[1].rerun);
        assert_eq!(c.slack_users["alice"], "U024BE7LH");
        assert_eq!(
            c.jobs_of_workflow(".github/workflows/nightly.yml@refs/heads/trunk")
                .count(),
            1
        );
    }

    #[test]
    fn errors_name_the_key() {
        let e = |t: &str| format!("{:#}", Config::parse(t).unwrap_err());
        let with = |top: &str| e(&format!("{MINIMAL}{top}\n{JOB}"));
        assert_eq!(e(JOB), "line 1: missing field `repository`");
        assert_eq!(
            with("deadline = \"soon\""),
            "deadline: expected a duration such as `72h`, `30m`, `3d` or `1h30m`, got `soon`"
        );
        assert!(
            e(&format!("repository = \"acme\"\n{JOB}"))
                .starts_with("repository: expected a repository as OWNER/NAME")
        );
        assert!(e(MINIMAL).starts_with("no [[job]]"));
        assert_eq!(
            e(&format!(
                "{MINIMAL}{JOB}[[job]]\nworkflow = \"x.yml\"\nwhen = 1\n"
            )),
            "line 6: job[1].when: unknown field `when`, expected one of `workflow`, `job`, `rerun`"
        );
        assert_eq!(
            e(&format!("{MINIMAL}deadline = 3\n{JOB}")),
            "line 2: deadline: invalid type: integer `3`, expected a string"
        );
        assert!(with("reminders = [\"80h\"]").starts_with("reminders[0]: `80h`"));
        assert!(with("exception_approvers = [\"a b\"]").starts_with("exception_approvers[0]"));
        assert!(e(&format!("{MINIMAL}{JOB}{JOB}")).contains("listed twice"));
        let pr = with("events = [\"push\", \"pull_request\"]");
        assert!(
            pr.starts_with("events[1]: `pull_request` is not a trusted run event"),
            "{pr}"
        );
        assert!(with("bot_login = \"<!channel>\"").starts_with("bot_login"));
        assert!(with("max_pages = 0").starts_with("max_pages"));
    }

    #[test]
    fn trust_defaults() {
        let c = Config::parse(&format!("{MINIMAL}{JOB}")).unwrap();
        assert_eq!(c.events, vec!["push".to_owned()]);
        assert_eq!(c.bot_login, None);
        assert!(c.unconfigured_jobs_block);
        assert_eq!(c.max_pages, github_client::MAX_PAGES);
        assert_eq!(c.redeliver_within, Duration::from_secs(3 * 86_400));
        let c = Config::parse(&format!(
            "{MINIMAL}events = [\"push\", \"schedule\"]\nbot_login = \"github-actions[bot]\"\n\
             redeliver_within = \"off\"\n{JOB}"
        ))
        .unwrap();
        assert_eq!(c.events, vec!["push".to_owned(), "schedule".to_owned()]);
        assert_eq!(c.bot_login.as_deref(), Some("github-actions[bot]"));
        assert_eq!(c.redeliver_within, Duration::ZERO);
    }

    /// The README's example is a working configuration.
    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("```toml\nrepository = \"acme/widgets\"")
            .expect("the README has the example")
            + "```toml\n".len();
        let len = readme[start..].find("```").unwrap();
        let c = Config::parse(&readme[start..start + len]).unwrap();
        assert_eq!(c.jobs.len(), 2);
        assert_eq!(c.jobs[1].key(), "nightly.yml:on-prem suite");
        assert!(c.jobs[1].rerun && !c.jobs[0].rerun);
        assert_eq!(c.reconcile_every, Duration::from_secs(900));
        assert_eq!(c.slack_users["carol"], "U024BE7LH");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("72h").unwrap(), Duration::from_secs(259_200));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(604_800));
        for bad in ["", "h", "72", "0h", "3x", "-1h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(human(Duration::from_secs(72 * 3600)), "72 h");
        assert_eq!(human(Duration::from_secs(5_400)), "1 h 30 min");
    }
}
