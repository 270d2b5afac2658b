//! The state machine behind every command.
//!
//! GitHub is the only state: a job is broken when its latest decisive run
//! on the branch failed, and its compliance issue is the open issue with
//! the label whose hidden `Marker` names the job. Everything the bot
//! writes later (a "failed again" note, a reminder, the deadline, an
//! exception) is a comment carrying a key, written only if no comment has
//! that key yet. So every pass is idempotent: an event handled twice, a
//! pass repeated after a crash or a 502, or a `reconcile` after lost
//! webhooks all converge on the same issues, comments and statuses, and
//! never open an issue twice.
//!
//! This file holds the [`Engine`], what one pass has read and done
//! (`Pass`), and the dispatch of an [`Event`]. The rest is by concern,
//! each file with the decisions it makes as plain functions tested there:
//!
//! - `runs`: which runs count, what they say of a job, and what its issue
//!   does about it (a failure opens or comments, a success closes);
//! - `issues`: which of the bot's issues are state, filing, commenting and
//!   closing them, and what an `issues` event asks for;
//! - `timers`: the deadline, the reminders before it and the block after;
//! - `exceptions`: who granted one, from the issue's label events;
//! - `gate`: where each job stands, and the deploy gate's commit status;
//! - `deployments`: the answers to the deployment protection rule;
//! - `redeliveries`: the webhook deliveries GitHub is asked to send again.

mod deployments;
mod exceptions;
mod gate;
mod issues;
mod redeliveries;
mod runs;
mod timers;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use github_client::{self as github, Client, Credentials, Issue, RetryPolicy};
use serde::Serialize;
use serde_json::Value;

use crate::api::Api;
use crate::config::Config;
use crate::event::{Event, Webhook};
use crate::issue::Marker;
use crate::slack::Slack;

pub use self::exceptions::Grant;
pub use self::gate::Assessment;
pub use crate::event::workflow_path;

use self::runs::JobState;

/// One thing the bot did, or found, or failed to do.
#[derive(Clone, Debug, Serialize)]
pub struct Action {
    /// The job's key.
    pub job: String,
    pub issue: Option<u64>,
    pub what: String,
    /// The action failed and is left to a retry or the next reconcile pass.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub failed: bool,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(n) = self.issue {
            write!(f, "#{n} ")?;
        }
        write!(f, "{}: {}", self.job, self.what)
    }
}

/// A compliance issue the bot opened and that is still open.
#[derive(Clone, Debug)]
pub struct Tracked {
    pub issue: Issue,
    pub marker: Marker,
}

impl Tracked {
    fn has_label(&self, name: &str) -> bool {
        self.issue
            .labels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
    }

    fn url(&self) -> String {
        self.issue.html_url.clone().unwrap_or_default()
    }
}

/// The state of one pass: what it has read, so each thing is read once,
/// and what it did.
struct Pass {
    now: DateTime<Utc>,
    /// The bot's own login: only what it wrote is state.
    me: String,
    /// The open, labelled issues the bot opened, with their markers.
    tracked: Vec<Tracked>,
    /// The bot's other issues with markers: closed, or unlabelled by
    /// someone. They still count for deadlines.
    history: Vec<Tracked>,
    /// Each job's runs, read once per pass.
    states: HashMap<String, JobState>,
    /// Each red job's deadline.
    deadlines: HashMap<String, DateTime<Utc>>,
    /// Markers and keys written by others, drift: said once per pass.
    warnings: Vec<String>,
    comment_keys: HashMap<u64, HashSet<String>>,
    /// Each issue's exception, read once per pass (its events and the
    /// approvers' team memberships).
    exceptions: HashMap<u64, (Option<Grant>, Vec<Grant>)>,
    actions: Vec<Action>,
}

impl Pass {
    fn act(&mut self, job: &str, issue: Option<u64>, what: impl Into<String>) {
        self.actions.push(Action {
            job: job.to_owned(),
            issue,
            what: what.into(),
            failed: false,
        });
    }

    fn tracked_for(&self, key: &str) -> Option<Tracked> {
        self.tracked.iter().find(|t| t.marker.job == key).cloned()
    }

    /// Something that failed, left to a retry or the next pass.
    fn failed(&mut self, job: String, what: String) {
        self.actions.push(Action {
            job,
            issue: None,
            what,
            failed: true,
        });
    }

    fn warn(&mut self, text: String) {
        tracing::warn!("{text}");
        if !self.warnings.contains(&text) {
            self.warnings.push(text);
        }
    }
}

pub struct Engine {
    pub cfg: Config,
    api: Api,
    slack: Option<Slack>,
    /// The bot's login, learned once.
    me: std::sync::OnceLock<String>,
}

impl Engine {
    /// Signs in with the environment's credentials (`GITHUB_TOKEN` or a
    /// GitHub App), `GITHUB_API_URL` and `SLACK_WEBHOOK_URL`. Must be called
    /// inside a tokio runtime.
    pub fn from_env(cfg: Config) -> anyhow::Result<Engine> {
        let credentials = Credentials::from_env()?.ok_or_else(|| {
            anyhow::anyhow!(
                "no GitHub credentials: set {} (a token that can write issues, statuses and \
                 actions), or {}, {} and {} for a GitHub App",
                github::TOKEN_VAR,
                github::APP_ID_VAR,
                github::APP_KEY_VAR,
                github::APP_INSTALLATION_VAR
            )
        })?;
        let api_url = github::api_url_from_env()?;
        let gh = Client::with_credentials(&api_url, &credentials, RetryPolicy::default())?;
        Ok(Engine::new(cfg, gh, Slack::from_env()?))
    }

    pub fn new(cfg: Config, gh: Client, slack: Option<Slack>) -> Engine {
        let api = Api {
            gh: gh.with_max_pages(cfg.max_pages),
            repo: cfg.repository.clone(),
        };
        Engine {
            cfg,
            api,
            slack,
            me: std::sync::OnceLock::new(),
        }
    }

    /// Whether a webhook delivery is one the bot acts on; the others are
    /// answered and dropped without being stored.
    pub fn wants(event: &str, payload: &Value) -> bool {
        Webhook::read(event, payload).is_some()
    }

    /// Acts on one event. Idempotent: handling the same event twice does
    /// nothing the second time. An error leaves the work to a retry or to
    /// the next reconcile pass.
    pub async fn handle_event(
        &self,
        event: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Action>> {
        let Some(hook) = Webhook::read(event, payload) else {
            return Ok(Vec::new());
        };
        if let Some(full) = hook.repository
            && !full.eq_ignore_ascii_case(&self.cfg.repository.to_string())
        {
            return Ok(vec![Action {
                job: "-".into(),
                issue: None,
                what: format!(
                    "ignored: the event is of {full}, not {}",
                    self.cfg.repository
                ),
                failed: false,
            }]);
        }
        let event = hook.event()?;
        let mut pass = self.start(now).await?;
        match &event {
            Event::WorkflowRun(e) => self.on_workflow_run(&mut pass, e).await?,
            Event::DeploymentProtectionRule(d) => {
                self.answer_deployment(&mut pass, d.run_id, &d.environment)
                    .await?;
            }
            Event::Issues(change) => self.on_issue_change(&mut pass, change).await?,
        }
        Ok(pass.actions)
    }

    /// Rebuilds the truth from GitHub for every job: opens, comments,
    /// closes, reminds and escalates as the latest runs say. A job whose
    /// pass fails is reported with `failed` and left to the next pass; the
    /// other jobs go on.
    pub async fn reconcile(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<Action>> {
        let mut pass = self.start(now).await?;
        for spec in &self.cfg.jobs {
            if let Err(e) = self.sync_job(&mut pass, spec, None).await {
                pass.failed(spec.key(), format!("failed, left to the next pass: {e:#}"));
            }
        }
        if let Err(e) = self.sync_gate(&mut pass).await {
            pass.failed(
                "-".to_owned(),
                format!("deploy-gate status failed, left to the next pass: {e:#}"),
            );
        }
        if let Err(e) = self.answer_waiting(&mut pass).await {
            pass.failed(
                "-".to_owned(),
                format!("waiting deployments not answered, left to the next pass: {e:#}"),
            );
        }
        if let Err(e) = self.redeliver_missed(&mut pass).await {
            pass.failed(
                "-".to_owned(),
                format!("missed deliveries not recovered, left to the next pass: {e:#}"),
            );
        }
        for w in pass.warnings.clone() {
            pass.act("-", None, format!("warning: {w}"));
        }
        Ok(pass.actions)
    }

    async fn start(&self, now: DateTime<Utc>) -> anyhow::Result<Pass> {
        let me = self.me().await?;
        let mut pass = Pass {
            now,
            me,
            tracked: Vec::new(),
            history: Vec::new(),
            states: HashMap::new(),
            deadlines: HashMap::new(),
            warnings: Vec::new(),
            comment_keys: HashMap::new(),
            exceptions: HashMap::new(),
            actions: Vec::new(),
        };
        self.read_issues(&mut pass).await?;
        Ok(pass)
    }

    /// The bot's login: `bot_login` from the configuration, else asked of
    /// GitHub once.
    async fn me(&self) -> anyhow::Result<String> {
        if let Some(me) = self.me.get() {
            return Ok(me.clone());
        }
        let me = match &self.cfg.bot_login {
            Some(l) => l.clone(),
            None => self.api.me().await?,
        };
        Ok(self.me.get_or_init(|| me).clone())
    }

    fn deadline_span(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.cfg.deadline).unwrap_or(chrono::Duration::MAX)
    }

    /// Posts to Slack, if configured. A failure is a warning: the issue on
    /// GitHub is the record, and Slack is not retried by later passes.
    async fn notify(&self, text: &str) {
        if let Some(s) = &self.slack
            && let Err(e) = s.post(text).await
        {
            eprintln!("deferred-compliance: warning: {e:#}");
            tracing::warn!("{e:#}");
        }
    }
}

/// Values the concerns' unit tests build their cases from: one repository
/// (`acme/widgets`), its `main` branch, and a clock whose hour 0 is
/// 2026-11-20T10:00:00Z.
#[cfg(test)]
mod testing {
    use chrono::{DateTime, TimeZone, Utc};
    use github_client::Issue;
    use serde_json::json;

    use super::{Assessment, Tracked};
    use crate::api::{RepoRef, Run};
    use crate::issue::Marker;

    /// `hours` after the tests' hour 0.
    pub(super) fn at(hours: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap() + chrono::Duration::hours(hours)
    }

    /// A completed push run of `acme/widgets` on `main`, first attempt,
    /// finished at hour `id`.
    pub(super) fn run(id: u64, number: u64, sha: &str) -> Run {
        Run {
            id,
            run_number: number,
            run_attempt: 1,
            head_sha: sha.into(),
            head_branch: Some("main".into()),
            status: Some("completed".into()),
            conclusion: None,
            html_url: Some(format!("https://github.com/acme/widgets/actions/runs/{id}")),
            path: Some(".github/workflows/ci.yml".into()),
            name: Some("CI".into()),
            updated_at: Some(at(id as i64)),
            pull_requests: Vec::new(),
            actor: None,
            triggering_actor: None,
            event: Some("push".into()),
            head_repository: Some(RepoRef {
                full_name: "acme/widgets".into(),
            }),
            created_at: Some(at(id as i64)),
        }
    }

    /// The marker of an issue `job`'s run `run_id` opened at hour 0, with
    /// the deadline 72 hours later.
    pub(super) fn marker(job: &str, run_id: u64, run_number: u64, run_attempt: u64) -> Marker {
        Marker {
            job: job.into(),
            sha: "c1".into(),
            run_id,
            run_number,
            run_attempt,
            opened_at: at(0),
            deadline: at(72),
            author: Some("alice".into()),
            owners: Vec::new(),
        }
    }

    /// Issue `number` of `acme/widgets`, opened by `by`.
    pub(super) fn issue(number: u64, by: &str, state: &str, labels: &[&str]) -> Issue {
        serde_json::from_value(json!({
            "number": number,
            "title": "Deferred compliance",
            "body": "",
            "state": state,
            "html_url": format!("https://github.com/acme/widgets/issues/{number}"),
            "labels": labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
            "user": { "login": by },
        }))
        .unwrap()
    }

    /// `job`'s open issue `number`, opened by the bot.
    pub(super) fn tracked(job: &str, number: u64) -> Tracked {
        Tracked {
            issue: issue(
                number,
                "compliance-bot[bot]",
                "open",
                &["deferred-compliance"],
            ),
            marker: marker(job, 10, 10, 1),
        }
    }

    /// Where `job` stands with `deadline`: not overdue, no exception.
    pub(super) fn assessment(
        job: &str,
        tracked: Option<Tracked>,
        deadline: DateTime<Utc>,
    ) -> Assessment {
        Assessment {
            job: job.into(),
            tracked,
            deadline,
            overdue: false,
            exception: None,
            ignored: Vec::new(),
            warning: None,
        }
    }
}
