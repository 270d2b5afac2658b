//! The state machine behind every command.
//!
//! GitHub is the only state: a job is broken when its latest decisive run
//! on the branch failed, and its compliance issue is the open issue with
//! the label whose hidden [`Marker`] names the job. Everything the bot
//! writes later (a "failed again" note, a reminder, the deadline, an
//! exception) is a comment carrying a key, written only if no comment has
//! that key yet. So every pass is idempotent: an event handled twice, a
//! pass repeated after a crash or a 502, or a `reconcile` after lost
//! webhooks all converge on the same issues, comments and statuses, and
//! never open an issue twice.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use codeowners::{CodeOwners, Dialect};
use github_client::{self as github, Client, Credentials, Issue, RetryPolicy};
use serde::Serialize;
use serde_json::Value;

use crate::api::{Api, Run};
use crate::config::{Approver, Config, JobSpec, human};
use crate::issue::{self, Failure, Marker, keyed, rfc3339, short, utc};
use crate::slack::{self, Slack};

/// The most owners one issue tags; beyond it the body says how many more.
const MAX_OWNERS: usize = 20;

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

/// Who added the exception label, and when.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    pub event_id: u64,
    pub login: String,
    pub at: Option<DateTime<Utc>>,
}

/// Where a job that may hold deploys stands at a moment: a job whose
/// latest trusted run failed, or one with an open compliance issue.
#[derive(Clone, Debug)]
pub struct Assessment {
    /// The job's key.
    pub job: String,
    /// Its open compliance issue; `None` while the job is red and its issue
    /// was closed, unlabelled, deleted or transferred (the next pass files
    /// it again).
    pub tracked: Option<Tracked>,
    /// The deadline, from facts only GitHub and the bot control: the first
    /// failing run of the red streak and the bot's own markers.
    pub deadline: DateTime<Utc>,
    /// The deadline has passed.
    pub overdue: bool,
    /// An exception by an authorised person is in force.
    pub exception: Option<Grant>,
    /// Exception labels added by people who may not grant one.
    pub ignored: Vec<Grant>,
    /// Configuration drift: the job is no longer configured, or no longer
    /// found in its workflow's runs.
    pub warning: Option<String>,
}

impl Assessment {
    /// Deploys are blocked by this issue.
    pub fn blocks(&self) -> bool {
        self.overdue && self.exception.is_none()
    }
}

/// What a run concluded, for one deferred job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Failure,
    Success,
}

fn verdict(conclusion: Option<&str>) -> Option<Verdict> {
    match conclusion? {
        "failure" | "timed_out" => Some(Verdict::Failure),
        "success" => Some(Verdict::Success),
        // cancelled, skipped, neutral, stale, action_required: no news.
        _ => None,
    }
}

/// What the trusted runs say of one job.
#[derive(Clone, Debug, Default)]
struct JobState {
    /// The latest decisive run and its verdict.
    latest: Option<(Verdict, Run)>,
    last_success: Option<Run>,
    /// When the first failing run of the current red streak finished.
    streak_start: Option<DateTime<Utc>>,
    /// The job is not in the workflow's latest run: renamed or removed.
    missing: bool,
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
        let action = payload.get("action").and_then(Value::as_str);
        matches!(
            (event, action),
            ("workflow_run", Some("completed"))
                | ("deployment_protection_rule", Some("requested"))
                | (
                    "issues",
                    Some("labeled" | "unlabeled" | "closed" | "deleted" | "transferred")
                )
        )
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
        if !Engine::wants(event, payload) {
            return Ok(Vec::new());
        }
        if let Some(full) = payload
            .pointer("/repository/full_name")
            .and_then(Value::as_str)
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
        let mut pass = self.start(now).await?;
        match event {
            "workflow_run" => {
                let run: Run = serde_json::from_value(payload["workflow_run"].clone())
                    .context("the event's `workflow_run` is not a workflow run")?;
                let path = workflow_path(&run, payload);
                let specs: Vec<&JobSpec> = self.cfg.jobs_of_workflow(&path).collect();
                if specs.is_empty() {
                    return Ok(Vec::new());
                }
                if let Some(why) = self.distrust(&run) {
                    let keys: Vec<String> = specs.iter().map(|s| s.key()).collect();
                    tracing::info!("ignored run #{}: {why}", run.run_number);
                    return Ok(vec![Action {
                        job: keys.join(", "),
                        issue: None,
                        what: format!("ignored run #{}: {why}", run.run_number),
                        failed: false,
                    }]);
                }
                for spec in specs {
                    self.sync_job(&mut pass, spec, Some(&run)).await?;
                }
                self.sync_gate(&mut pass).await?;
            }
            "deployment_protection_rule" => self.review_deployment(&mut pass, payload).await?,
            "issues" => {
                let number = payload.pointer("/issue/number").and_then(Value::as_u64);
                let ours = pass
                    .tracked
                    .iter()
                    .find(|t| Some(t.issue.number) == number)
                    .cloned();
                let by_bot = payload
                    .pointer("/issue/user/login")
                    .and_then(Value::as_str)
                    .is_some_and(|l| l.eq_ignore_ascii_case(&pass.me));
                let action = payload.get("action").and_then(Value::as_str);
                if let Some(t) = ours {
                    self.check_timers(&mut pass, &t).await?;
                    self.sync_gate(&mut pass).await?;
                } else if by_bot && action != Some("labeled") {
                    // One of the bot's issues lost its label, was closed,
                    // deleted or transferred: file it again at once if its
                    // job is still red (with the same deadline).
                    for spec in &self.cfg.jobs {
                        self.sync_job(&mut pass, spec, None).await?;
                    }
                    self.sync_gate(&mut pass).await?;
                }
            }
            _ => {}
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

    /// Asks GitHub to redeliver the App's webhook deliveries of the last
    /// `redeliver_within` that never got a 2xx (the server was down, its
    /// disk full), for the events the bot acts on; at most three attempts
    /// per delivery. Only an App can; with a token this does nothing.
    async fn redeliver_missed(&self, pass: &mut Pass) -> anyhow::Result<()> {
        const MAX_ATTEMPTS: usize = 3;
        let window =
            chrono::Duration::from_std(self.cfg.redeliver_within).unwrap_or(chrono::Duration::MAX);
        if window.is_zero() {
            return Ok(());
        }
        let since = pass
            .now
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let Some(deliveries) = self.api.hook_deliveries(since).await? else {
            return Ok(());
        };
        let mut by_guid: std::collections::BTreeMap<&str, Vec<&crate::api::HookDelivery>> =
            std::collections::BTreeMap::new();
        for d in &deliveries {
            by_guid.entry(d.guid.as_str()).or_default().push(d);
        }
        for (guid, tries) in by_guid {
            let first = tries[0];
            let wanted = matches!(
                (first.event.as_str(), first.action.as_deref()),
                ("workflow_run", Some("completed"))
                    | ("deployment_protection_rule", Some("requested"))
                    | ("issues", Some("labeled" | "unlabeled"))
            );
            // 0: an attempt GitHub has not finished yet.
            let settled = tries
                .iter()
                .any(|d| (200..300).contains(&d.status_code) || d.status_code == 0);
            if !wanted || settled {
                continue;
            }
            if tries.len() >= MAX_ATTEMPTS {
                pass.warn(format!(
                    "delivery {guid} ({}) failed {} times; not asked again",
                    first.event,
                    tries.len()
                ));
                continue;
            }
            let newest = tries
                .iter()
                .max_by_key(|d| (d.delivered_at, d.id))
                .expect("a group is never empty");
            self.api.redeliver(newest.id).await?;
            pass.act(
                "-",
                None,
                format!(
                    "asked GitHub to redeliver {} delivery {guid} (it got HTTP {})",
                    first.event, newest.status_code
                ),
            );
        }
        Ok(())
    }

    /// Answers the deployments waiting on the protection rule, so that a
    /// lost `deployment_protection_rule` delivery does not leave one
    /// hanging. Only an App can answer; with a token this does nothing.
    async fn answer_waiting(&self, pass: &mut Pass) -> anyhow::Result<()> {
        if !self.api.gh.is_app() {
            return Ok(());
        }
        for run in self.api.waiting_runs().await? {
            for environment in self.api.pending_environments(run.id).await? {
                self.answer_deployment(pass, run.id, &environment).await?;
            }
        }
        Ok(())
    }

    /// Every job that may hold deploys, assessed at `now`, and the warnings
    /// of the pass (markers by others, drift). Reads only.
    pub async fn assess(
        &self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(Vec<Assessment>, Vec<String>)> {
        let mut pass = self.start(now).await?;
        let out = self.assess_all(&mut pass, true).await?;
        Ok((out, pass.warnings))
    }

    /// Every configured job whose latest trusted run failed, with or
    /// without an open issue, then every other open issue (a job gone from
    /// the configuration or from its workflow's runs). With `full`, every
    /// job's runs are read; without, only the jobs this pass read already,
    /// and the others by their open issue (the commit status after one
    /// event: the next reconcile reads them all, and `gate` and the
    /// protection rule always do).
    async fn assess_all(&self, pass: &mut Pass, full: bool) -> anyhow::Result<Vec<Assessment>> {
        let mut out = Vec::new();
        for spec in &self.cfg.jobs {
            let key = spec.key();
            if !full && !pass.states.contains_key(&key) {
                if let Some(t) = pass.tracked_for(&key) {
                    out.push(self.assess_job(pass, &key, Some(t), None).await?);
                }
                continue;
            }
            let state = self.job_state(pass, spec, None).await?;
            let open = pass.tracked_for(&key);
            match (&state.latest, open) {
                (Some((Verdict::Failure, _)), t) if !state.missing => {
                    out.push(self.assess_job(pass, &key, t, None).await?);
                }
                (Some((Verdict::Success, _)), _) | (None, None) => {}
                (_, t) => {
                    let number = t.as_ref().map_or("(no open issue)".to_owned(), |t| {
                        format!("#{}", t.issue.number)
                    });
                    let why = match &spec.job {
                        Some(job) => format!(
                            "{number}: job `{job}` is not in the latest run of {} on {}: renamed \
                             or removed? The issue {}",
                            spec.workflow,
                            self.cfg.branch,
                            self.drift_verdict()
                        ),
                        None => format!(
                            "{number}: {} has no decisive run on {} in its latest runs; the issue \
                             {}",
                            spec.workflow,
                            self.cfg.branch,
                            self.drift_verdict()
                        ),
                    };
                    pass.warn(why.clone());
                    out.push(self.assess_job(pass, &key, t, Some(why)).await?);
                }
            }
        }
        for t in pass.tracked.clone() {
            if self.cfg.job_by_key(&t.marker.job).is_none() {
                let why = format!(
                    "#{}: job {} is no longer in the configuration; the issue {}",
                    t.issue.number,
                    t.marker.job,
                    self.drift_verdict()
                );
                pass.warn(why.clone());
                let key = t.marker.job.clone();
                out.push(self.assess_job(pass, &key, Some(t), Some(why)).await?);
            }
        }
        Ok(out)
    }

    fn drift_verdict(&self) -> &'static str {
        if self.cfg.unconfigured_jobs_block {
            "still blocks deploys past its deadline (`unconfigured_jobs_block = false` lets them go)"
        } else {
            "no longer blocks deploys (`unconfigured_jobs_block = false`)"
        }
    }

    /// Where a job stands at the pass's time; each issue's exception is
    /// read once per pass.
    async fn assess_job(
        &self,
        pass: &mut Pass,
        key: &str,
        t: Option<Tracked>,
        warning: Option<String>,
    ) -> anyhow::Result<Assessment> {
        let by_runs = pass.deadlines.get(key).copied();
        let deadline = match (&t, by_runs) {
            (Some(t), Some(d)) => d.min(t.marker.deadline),
            (Some(t), None) => t.marker.deadline,
            (None, Some(d)) => d,
            (None, None) => pass.now + self.deadline_span(),
        };
        let (exception, ignored) = match &t {
            None => (None, Vec::new()),
            Some(t) => {
                let n = t.issue.number;
                match pass.exceptions.get(&n) {
                    Some(e) => e.clone(),
                    None => {
                        let e = if t.has_label(&self.cfg.exception_label) {
                            self.exception(t).await?
                        } else {
                            (None, Vec::new())
                        };
                        pass.exceptions.insert(n, e.clone());
                        e
                    }
                }
            }
        };
        let drifted_free = warning.is_some() && !self.cfg.unconfigured_jobs_block;
        Ok(Assessment {
            job: key.to_owned(),
            overdue: pass.now >= deadline && !drifted_free,
            deadline,
            tracked: t,
            exception,
            ignored,
            warning,
        })
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

    /// The bot's issues with markers, oldest first: the open, labelled ones
    /// are tracked, the others kept for deadlines. A marker in an issue
    /// someone else opened is not state.
    async fn read_issues(&self, pass: &mut Pass) -> anyhow::Result<()> {
        let issues = self.api.bot_issues(&pass.me, &self.cfg.label).await?;
        for issue in issues {
            let Some(marker) = issue::read_hidden::<Marker>(issue.body()) else {
                continue;
            };
            if !issue.opened_by(&pass.me) {
                let by = issue.user.as_ref().map_or("someone", |u| u.login.as_str());
                pass.warn(format!(
                    "#{}: ignored: its compliance marker was written by @{by}, not by the bot \
                     (@{})",
                    issue.number, pass.me
                ));
                continue;
            }
            let t = Tracked { issue, marker };
            if t.issue.state == "open" && t.has_label(&self.cfg.label) {
                pass.tracked.push(t);
            } else {
                pass.history.push(t);
            }
        }
        pass.tracked.sort_by_key(|t| t.issue.number);
        pass.history
            .sort_by_key(|t| std::cmp::Reverse(t.issue.number));
        Ok(())
    }

    /// Why a run does not count, if it does not: only runs of the
    /// repository itself, on the branch, triggered by a trusted event. A
    /// pull request from a fork whose branch is named `main` is not `main`.
    fn distrust(&self, r: &Run) -> Option<String> {
        let repo = self.cfg.repository.to_string();
        match &r.head_repository {
            Some(h) if h.full_name.eq_ignore_ascii_case(&repo) => {}
            Some(h) => {
                return Some(format!(
                    "its commit comes from {}, not {repo}",
                    crate::text::markdown(&h.full_name)
                ));
            }
            None => return Some("it names no head repository".to_owned()),
        }
        match r.event.as_deref() {
            Some(e) if self.cfg.events.iter().any(|x| x == e) => {}
            Some(e) => {
                return Some(format!(
                    "it was triggered by `{}`, and only {} runs count (`events`)",
                    crate::text::markdown(e),
                    self.cfg.events.join(", ")
                ));
            }
            None => return Some("it names no triggering event".to_owned()),
        }
        if r.head_branch.as_deref() != Some(self.cfg.branch.as_str()) {
            return Some(format!(
                "it ran on {}, not {}",
                r.head_branch
                    .as_deref()
                    .map_or("no branch".to_owned(), crate::text::markdown),
                self.cfg.branch
            ));
        }
        None
    }

    /// What the trusted runs say of a job, read once per pass (and again
    /// with an event's run, which may be newer than the list).
    async fn job_state(
        &self,
        pass: &mut Pass,
        spec: &JobSpec,
        event_run: Option<&Run>,
    ) -> anyhow::Result<JobState> {
        let key = spec.key();
        if event_run.is_none()
            && let Some(s) = pass.states.get(&key)
        {
            return Ok(s.clone());
        }
        let mut runs = self
            .api
            .recent_runs(&spec.workflow, &self.cfg.branch)
            .await?;
        if let Some(r) = event_run {
            match runs.iter_mut().find(|x| x.id == r.id) {
                Some(x) if x.run_attempt < r.run_attempt => *x = r.clone(),
                Some(_) => {}
                None => runs.push(r.clone()),
            }
        }
        runs.retain(|r| {
            if let Some(why) = self.distrust(r) {
                tracing::debug!("{key}: ignored run #{}: {why}", r.run_number);
                return false;
            }
            r.status.as_deref().is_none_or(|s| s == "completed")
        });
        runs.sort_by_key(|r| std::cmp::Reverse((r.run_number, r.run_attempt, r.id)));

        // The newest failure and the newest success by run number; which of
        // the two is the newer is then decided by commit order. The
        // failures newer than the newest success are the red streak.
        let (mut failure, mut success) = (None::<Run>, None::<Run>);
        let mut streak: Vec<Run> = Vec::new();
        let mut missing = false;
        for (i, r) in runs.iter().enumerate() {
            if failure.is_some() && success.is_some() {
                break;
            }
            let (present, v) = self.verdict_of(spec, r).await?;
            if i == 0 && !present {
                missing = true;
            }
            let Some(v) = v else {
                continue;
            };
            if v == Verdict::Failure && success.is_none() {
                streak.push(r.clone());
            }
            match v {
                Verdict::Failure if failure.is_none() => failure = Some(r.clone()),
                Verdict::Success if success.is_none() => success = Some(r.clone()),
                _ => {}
            }
        }
        // Past the newest failure and success, the streak goes on as long
        // as the runs keep failing.
        let last_success = success.clone();
        let latest = match (failure, success) {
            (Some(f), Some(s)) => {
                if self.newer(&s, &f).await? {
                    Some((Verdict::Success, s))
                } else {
                    Some((Verdict::Failure, f))
                }
            }
            (Some(f), None) => Some((Verdict::Failure, f)),
            (None, Some(s)) => Some((Verdict::Success, s)),
            (None, None) => None,
        };
        let mut state = JobState {
            latest,
            last_success,
            streak_start: None,
            missing,
        };
        if let Some((Verdict::Failure, f)) = &state.latest {
            if streak.is_empty() {
                streak.push(f.clone());
            }
            state.streak_start = streak.iter().filter_map(Run::finished_at).min();
            let deadline = self.streak_deadline(pass, &key, &state);
            pass.deadlines.insert(key.clone(), deadline);
        } else {
            pass.deadlines.remove(&key);
        }
        pass.states.insert(key, state.clone());
        Ok(state)
    }

    /// A red job's deadline: the first failing run of its streak plus the
    /// allowed time, or the earliest deadline the bot itself wrote for the
    /// streak, whichever is earlier. Nothing a person does to an issue can
    /// make it later.
    fn streak_deadline(&self, pass: &Pass, key: &str, state: &JobState) -> DateTime<Utc> {
        let span = self.deadline_span();
        let mut best = pass
            .now
            .checked_add_signed(span)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        if let Some(t) = state.streak_start.and_then(|t| t.checked_add_signed(span)) {
            best = best.min(t);
        }
        for t in pass.tracked.iter().chain(&pass.history) {
            let m = &t.marker;
            let in_streak = state
                .last_success
                .as_ref()
                .is_none_or(|s| m.run_number > s.run_number);
            if m.job == key && in_streak {
                best = best.min(m.deadline);
            }
        }
        best
    }

    /// Brings one job's issue in line with its latest decisive run.
    async fn sync_job(
        &self,
        pass: &mut Pass,
        spec: &JobSpec,
        event_run: Option<&Run>,
    ) -> anyhow::Result<()> {
        let key = spec.key();
        let state = self.job_state(pass, spec, event_run).await?;
        let open = pass.tracked_for(&key);
        match (state.latest.clone(), open) {
            (Some((Verdict::Failure, f)), Some(t)) => {
                let number = t.issue.number;
                let same = f.id == t.marker.run_id && f.run_attempt <= t.marker.run_attempt;
                if !same && f.run_number >= t.marker.run_number {
                    let deadline = pass
                        .deadlines
                        .get(&key)
                        .copied()
                        .unwrap_or(t.marker.deadline);
                    let text = format!(
                        "The job failed again: [run #{}]({}) on `{}`. The deadline stays {}.",
                        f.run_number,
                        f.html_url.as_deref().unwrap_or(""),
                        short(&f.head_sha),
                        utc(deadline.min(t.marker.deadline))
                    );
                    let k = format!("failed-again:{}:{}", f.id, f.run_attempt);
                    if self.ensure_comment(pass, number, &k, &text).await? {
                        pass.act(
                            &key,
                            Some(number),
                            format!("commented: failed again in run #{}", f.run_number),
                        );
                    }
                }
                self.check_timers(pass, &t).await?;
            }
            (Some((Verdict::Failure, f)), None) => {
                if spec.rerun && f.run_attempt < 2 {
                    match self.api.rerun_failed_jobs(f.id).await {
                        Ok(()) => pass.act(
                            &key,
                            None,
                            format!(
                                "re-running the failed jobs of run #{} before filing",
                                f.run_number
                            ),
                        ),
                        // Already re-running: the re-run's own event follows.
                        Err(e) if github::status_of(e.as_ref()) == Some(403) => pass.act(
                            &key,
                            None,
                            format!("run #{} is being re-run already", f.run_number),
                        ),
                        Err(e) => return Err(e),
                    }
                    return Ok(());
                }
                let carried = self.continued(pass, &key, &state).await?;
                let t = self.open_issue(pass, spec, &f, &state, carried).await?;
                self.check_timers(pass, &t).await?;
            }
            (Some((Verdict::Success, s)), Some(t)) => {
                if self.heals(&s, &t.marker).await? {
                    self.close_issue(pass, &t, &s).await?;
                } else {
                    pass.act(
                        &key,
                        Some(t.issue.number),
                        format!(
                            "ignored: the success of run #{} is older than the failure of run #{}",
                            s.run_number, t.marker.run_number
                        ),
                    );
                    self.check_timers(pass, &t).await?;
                }
            }
            (Some((Verdict::Success, _)), None) | (None, None) => {}
            (None, Some(t)) => self.check_timers(pass, &t).await?,
        }
        Ok(())
    }

    /// Whether a green run comes after the failure a marker records: a
    /// later attempt of the same run, or a newer run.
    async fn heals(&self, s: &Run, m: &Marker) -> anyhow::Result<bool> {
        if s.id == m.run_id {
            return Ok(s.run_attempt > m.run_attempt);
        }
        let opened_by = Run {
            id: m.run_id,
            run_number: m.run_number,
            run_attempt: m.run_attempt,
            head_sha: m.sha.clone(),
            ..s.clone()
        };
        self.newer(s, &opened_by).await
    }

    /// What a run concluded for the job: the whole run's conclusion, or
    /// that of the named job (a matrix job `name (x, y)` counts as `name`).
    /// Also whether the run has the job at all.
    async fn verdict_of(
        &self,
        spec: &JobSpec,
        run: &Run,
    ) -> anyhow::Result<(bool, Option<Verdict>)> {
        let Some(name) = &spec.job else {
            return Ok((true, verdict(run.conclusion.as_deref())));
        };
        let jobs = self.api.jobs(run.id).await?;
        let mine: Vec<_> = jobs
            .iter()
            .filter(|j| {
                j.name == *name
                    || j.name
                        .strip_prefix(name.as_str())
                        .is_some_and(|rest| rest.starts_with(" ("))
            })
            .collect();
        if mine.is_empty() {
            return Ok((false, None));
        }
        let vs: Vec<Option<Verdict>> = mine
            .iter()
            .map(|j| verdict(j.conclusion.as_deref()))
            .collect();
        let v = if vs.contains(&Some(Verdict::Failure)) {
            Some(Verdict::Failure)
        } else if vs.iter().all(|v| *v == Some(Verdict::Success)) {
            Some(Verdict::Success)
        } else {
            None
        };
        Ok((true, v))
    }

    /// Whether run `a` is newer than run `b`: by commit order when their
    /// commits differ and one descends from the other, else by run number
    /// and attempt.
    async fn newer(&self, a: &Run, b: &Run) -> anyhow::Result<bool> {
        let by_number = (a.run_number, a.run_attempt) > (b.run_number, b.run_attempt);
        if a.head_sha == b.head_sha {
            return Ok(by_number);
        }
        match self.api.compare(&b.head_sha, &a.head_sha).await {
            Ok(s) if s == "ahead" => Ok(true),
            Ok(s) if s == "behind" => Ok(false),
            Ok(_) => Ok(by_number),
            // A commit force-pushed away: only the numbers are left.
            Err(e) if matches!(github::status_of(e.as_ref()), Some(404 | 422)) => Ok(by_number),
            Err(e) => Err(e),
        }
    }

    /// The bot's latest issue of the job's red streak that someone closed
    /// or unlabelled, with what happened to it, for the new issue to say
    /// "This continues #N".
    async fn continued(
        &self,
        pass: &Pass,
        key: &str,
        state: &JobState,
    ) -> anyhow::Result<Option<(u64, String)>> {
        let Some(t) = pass.history.iter().find(|t| {
            t.marker.job == key
                && state
                    .last_success
                    .as_ref()
                    .is_none_or(|s| t.marker.run_number > s.run_number)
        }) else {
            return Ok(None);
        };
        let n = t.issue.number;
        let events = self.api.issue_events(n).await?;
        let label = &self.cfg.label;
        let who = |e: &crate::api::IssueEvent| {
            e.actor
                .as_ref()
                .filter(|a| crate::text::is_login(&a.login))
                .map_or("someone".to_owned(), |a| format!("@{}", a.login))
        };
        let last = events.iter().rev().find(|e| {
            e.event == "closed"
                || (e.event == "unlabeled"
                    && e.label
                        .as_ref()
                        .is_some_and(|l| l.name.eq_ignore_ascii_case(label)))
        });
        let what = match last {
            Some(e) if e.event == "closed" => format!("which {} closed", who(e)),
            Some(e) => format!("from which {} removed the `{label}` label", who(e)),
            None if t.issue.state == "open" => format!("which lost the `{label}` label"),
            None => "which was closed".to_owned(),
        };
        Ok(Some((n, what)))
    }

    async fn open_issue(
        &self,
        pass: &mut Pass,
        spec: &JobSpec,
        f: &Run,
        state: &JobState,
        carried: Option<(u64, String)>,
    ) -> anyhow::Result<Tracked> {
        let key = spec.key();
        // The pull request that brought the commit, its author and files.
        let pull = match f.pull_requests.first() {
            Some(p) => Some(self.api.pull(p.number).await?),
            None => {
                let mut pulls = self.api.pulls_of_commit(&f.head_sha).await?;
                let merged = pulls
                    .iter()
                    .position(|p| p.merge_commit_sha.as_deref() == Some(f.head_sha.as_str()));
                match merged {
                    Some(i) => Some(pulls.swap_remove(i)),
                    None => pulls.into_iter().next(),
                }
            }
        };
        let (author, files, base): (Option<String>, _, _) = match &pull {
            Some(p) => {
                let files = self.api.pull_files(p.number).await?;
                (Some(p.user.login.clone()), files, p.base.sha.clone())
            }
            None => {
                let c = self.api.commit(&f.head_sha).await?;
                let author = c.author.map(|u| u.login).or_else(|| {
                    f.triggering_actor
                        .clone()
                        .or(f.actor.clone())
                        .map(|u| u.login)
                });
                let base = c.parents.first().map_or(c.sha.clone(), |p| p.sha.clone());
                (author, c.files, base)
            }
        };
        let author = author.filter(|a| crate::text::is_login(a));
        let mut paths: Vec<&str> = Vec::new();
        for file in &files {
            paths.push(&file.filename);
            if let Some(p) = &file.previous_filename {
                paths.push(p);
            }
        }
        let mut owners = self.owners(&paths, &base).await?;
        let extra = owners.len().saturating_sub(MAX_OWNERS);
        owners.truncate(MAX_OWNERS);
        let marker = Marker {
            job: key.clone(),
            sha: f.head_sha.clone(),
            run_id: f.id,
            run_number: f.run_number,
            run_attempt: f.run_attempt,
            opened_at: state.streak_start.map_or(pass.now, |t| t.min(pass.now)),
            deadline: pass
                .deadlines
                .get(&key)
                .copied()
                .unwrap_or_else(|| pass.now + self.deadline_span()),
            author: author.clone(),
            owners: owners.clone(),
        };
        let run_url = f.html_url.clone().unwrap_or_default();
        let failure = Failure {
            job: spec,
            run_url: &run_url,
            run_number: f.run_number,
            sha: &f.head_sha,
            commit_url: self.commit_url(&f.head_sha, &run_url),
            pull: pull.as_ref().map(|p| (p.number, p.title.clone())),
            author: author.as_deref(),
            owners: &owners,
        };
        let mut body = issue::body(&self.cfg, &marker, &failure);
        if extra > 0 {
            body.push_str(&format!("\n({extra} more code owners are not tagged.)\n"));
        }
        if let Some((n, what)) = &carried {
            body.push_str(&format!(
                "\nThis continues #{n}, {what} while the job was still failing: its deadline \
                 carries over.\n"
            ));
        }
        let title = issue::title(spec, &f.head_sha);
        let created = self
            .api
            .create_issue(&title, &body, &[self.cfg.label.as_str()])
            .await?;
        let number = created.number;
        pass.act(
            &key,
            Some(number),
            format!("opened for run #{}", f.run_number),
        );
        let t = Tracked {
            issue: created,
            marker,
        };
        pass.tracked.push(t.clone());
        pass.comment_keys.insert(number, HashSet::new());
        // An open issue that lost its label is closed, pointing to this one,
        // so that one job has one open issue.
        let stale = carried.as_ref().and_then(|(n, _)| {
            pass.history
                .iter()
                .find(|h| h.issue.number == *n && h.issue.state == "open")
                .map(|h| h.issue.number)
        });
        if let Some(old) = stale {
            let text = format!("Continued in #{number}, which carries the same deadline.");
            self.ensure_comment(pass, old, &format!("continued-in:{number}"), &text)
                .await?;
            self.api.close_issue(old).await?;
            pass.act(&key, Some(old), format!("closed: continued in #{number}"));
        }
        let mentions = slack::mentions(&t.marker.mentions(), &self.cfg.slack_users);
        self.notify(&format!(
            ":rotating_light: Deferred job *{}* failed on `{}` (<{}|run #{}>). <{}|Issue #{number}>{}. \
             Deadline {} (in {}); deploys are blocked after that.",
            slack::escape(&spec.to_string()),
            slack::escape(&self.cfg.branch),
            run_url,
            f.run_number,
            t.url(),
            if mentions.is_empty() {
                String::new()
            } else {
                format!(" tags {mentions}")
            },
            utc(t.marker.deadline),
            human(self.cfg.deadline),
        ))
        .await;
        Ok(t)
    }

    fn commit_url(&self, sha: &str, run_url: &str) -> String {
        // The run's URL is https://HOST/OWNER/REPO/actions/runs/ID.
        match run_url.find("/actions/runs/") {
            Some(i) => format!("{}/commit/{sha}", &run_url[..i]),
            None => format!("https://github.com/{}/commit/{sha}", self.cfg.repository),
        }
    }

    /// The code owners of `paths`, from the first CODEOWNERS file found at
    /// commit `at`, in the order first met.
    async fn owners(&self, paths: &[&str], at: &str) -> anyhow::Result<Vec<String>> {
        for candidate in &self.cfg.codeowners {
            let Some(text) = self.api.file_at(candidate, at).await? else {
                continue;
            };
            let (co, _warnings) = CodeOwners::parse(&text, Dialect::GitHub);
            let mut owners: Vec<String> = Vec::new();
            for p in paths {
                for o in co.owners(p) {
                    let Some(o) = crate::text::owner(o) else {
                        let shown: String = o.chars().take(80).collect();
                        eprintln!(
                            "deferred-compliance: warning: {candidate}: owner {shown:?} is not a \
                             GitHub login, @org/team or e-mail address; not tagged"
                        );
                        tracing::warn!("{candidate}: owner {shown:?} dropped");
                        continue;
                    };
                    if !owners.iter().any(|x| x.eq_ignore_ascii_case(&o)) {
                        owners.push(o);
                    }
                }
            }
            return Ok(owners);
        }
        Ok(Vec::new())
    }

    async fn close_issue(&self, pass: &mut Pass, t: &Tracked, green: &Run) -> anyhow::Result<()> {
        let number = t.issue.number;
        let url = green.html_url.clone().unwrap_or_default();
        let text = format!(
            "The job passed again: [run #{}]({url}) on `{}`. Closing; deploys are no longer held \
             by this issue.",
            green.run_number,
            short(&green.head_sha)
        );
        self.ensure_comment(pass, number, &format!("closed:{}", green.id), &text)
            .await?;
        self.api.close_issue(number).await?;
        pass.tracked.retain(|x| x.issue.number != number);
        pass.act(
            &t.marker.job,
            Some(number),
            format!("closed: run #{} passed", green.run_number),
        );
        self.notify(&format!(
            ":white_check_mark: Deferred job *{}* passes again (<{url}|run #{}>); <{}|issue #{number}> is closed.",
            slack::escape(&t.marker.job),
            green.run_number,
            t.url()
        ))
        .await;
        Ok(())
    }

    /// Reminders, the deadline and exceptions of an open issue.
    async fn check_timers(&self, pass: &mut Pass, t: &Tracked) -> anyhow::Result<()> {
        let number = t.issue.number;
        let job = t.marker.job.clone();
        let a = self.assess_job(pass, &job, Some(t.clone()), None).await?;
        let mentions = t.marker.mentions().join(" ");
        let who = self
            .cfg
            .exception_approvers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        for g in &a.ignored {
            let text = format!(
                "@{} added `{}`, but only {} may grant an exception: it is ignored.",
                g.login,
                self.cfg.exception_label,
                if who.is_empty() {
                    "nobody (no `exception_approvers` are configured)"
                } else {
                    &who
                }
            );
            if self
                .ensure_comment(
                    pass,
                    number,
                    &format!("exception-ignored:{}", g.event_id),
                    &text,
                )
                .await?
            {
                pass.act(
                    &job,
                    Some(number),
                    format!("ignored the exception label added by @{}", g.login),
                );
            }
        }
        if let Some(g) = &a.exception {
            let text = format!(
                "Exception granted by @{}{}: deploys may go while this issue is open. Remove the \
                 `{}` label to end it.",
                g.login,
                g.at.map(|t| format!(" at {}", utc(t))).unwrap_or_default(),
                self.cfg.exception_label
            );
            if self
                .ensure_comment(pass, number, &format!("exception:{}", g.event_id), &text)
                .await?
            {
                pass.act(
                    &job,
                    Some(number),
                    format!("exception granted by @{}", g.login),
                );
                self.notify(&format!(
                    ":large_yellow_circle: Exception granted by {} for <{}|issue #{number}> ({}): deploys may go.",
                    slack::mentions(&[format!("@{}", g.login)], &self.cfg.slack_users),
                    t.url(),
                    slack::escape(&job)
                ))
                .await;
            }
        }
        let deadline = a.deadline;
        if pass.now < deadline {
            let left = (deadline - pass.now).to_std().unwrap_or_default();
            let due = self.cfg.reminders.iter().filter(|r| left <= **r).min();
            if let Some(r) = due {
                let text = format!(
                    "Reminder: {} left before the deadline, {}. {mentions}",
                    human(round_minutes(left)),
                    utc(deadline)
                );
                if self
                    .ensure_comment(pass, number, &format!("reminder:{}", r.as_secs()), &text)
                    .await?
                {
                    pass.act(
                        &job,
                        Some(number),
                        format!("reminded: {} left", human(round_minutes(left))),
                    );
                    self.notify(&format!(
                        ":hourglass: {} left to fix deferred job *{}* (<{}|issue #{number}>) before deploys are blocked. {}",
                        human(round_minutes(left)),
                        slack::escape(&job),
                        t.url(),
                        slack::mentions(&t.marker.mentions(), &self.cfg.slack_users)
                    ))
                    .await;
                }
            }
        } else if a.exception.is_none() {
            if !t.has_label(&self.cfg.blocked_label) {
                self.api.add_label(number, &self.cfg.blocked_label).await?;
                pass.act(
                    &job,
                    Some(number),
                    format!("labelled {}", self.cfg.blocked_label),
                );
            }
            let text = format!(
                "The deadline passed at {}: **deploys are blocked** until the job passes again. {mentions}",
                utc(deadline)
            );
            if self.ensure_comment(pass, number, "blocked", &text).await? {
                pass.act(&job, Some(number), "deadline passed: deploys blocked");
                self.notify(&format!(
                    ":no_entry: Deploys are blocked: deferred job *{}* is still failing past its deadline (<{}|issue #{number}>). {}",
                    slack::escape(&job),
                    t.url(),
                    slack::mentions(&t.marker.mentions(), &self.cfg.slack_users)
                ))
                .await;
            }
        } else if t.has_label(&self.cfg.blocked_label) {
            self.api
                .remove_label(number, &self.cfg.blocked_label)
                .await?;
            pass.act(
                &job,
                Some(number),
                format!("unlabelled {}: exception", self.cfg.blocked_label),
            );
        }
        Ok(())
    }

    /// The exception in force on an issue, from its events: the last time
    /// the label was added by an approver, unless it was removed since. The
    /// additions by others are returned too, to be answered.
    async fn exception(&self, t: &Tracked) -> anyhow::Result<(Option<Grant>, Vec<Grant>)> {
        let events = self.api.issue_events(t.issue.number).await?;
        let mut granted = None;
        let mut ignored = Vec::new();
        let mut cache: HashMap<String, bool> = HashMap::new();
        for e in events {
            let Some(label) = &e.label else { continue };
            if !label.name.eq_ignore_ascii_case(&self.cfg.exception_label) {
                continue;
            }
            let login = e
                .actor
                .as_ref()
                .map(|a| a.login.clone())
                .unwrap_or_default();
            let grant = Grant {
                event_id: e.id,
                login: login.clone(),
                at: e.created_at,
            };
            match e.event.as_str() {
                "labeled" => {
                    let ok = match cache.get(&login) {
                        Some(ok) => *ok,
                        None => {
                            let ok = self.may_grant(&login).await?;
                            cache.insert(login.clone(), ok);
                            ok
                        }
                    };
                    if ok {
                        granted = Some(grant);
                    } else {
                        ignored.push(grant);
                    }
                }
                "unlabeled" => granted = None,
                _ => {}
            }
        }
        Ok((granted, ignored))
    }

    async fn may_grant(&self, login: &str) -> anyhow::Result<bool> {
        for a in &self.cfg.exception_approvers {
            match a {
                Approver::User(u) if u.eq_ignore_ascii_case(login) => return Ok(true),
                Approver::User(_) => {}
                Approver::Team { org, slug } => {
                    if login.is_empty() {
                        continue;
                    }
                    match self.api.is_team_member(org, slug, login).await {
                        Ok(true) => return Ok(true),
                        Ok(false) => {}
                        // The token cannot read the organization's teams (an
                        // Actions GITHUB_TOKEN cannot): the team grants no
                        // exception, and the pass goes on.
                        Err(e) if github::status_of(e.as_ref()) == Some(403) => {
                            eprintln!(
                                "deferred-compliance: warning: cannot read the members of \
                                 @{org}/{slug} (a GitHub App with Members: read can); \
                                 @{login}'s exception is not counted"
                            );
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(false)
    }

    /// Writes a comment unless one with `key` exists; `true` if written.
    async fn ensure_comment(
        &self,
        pass: &mut Pass,
        number: u64,
        key: &str,
        text: &str,
    ) -> anyhow::Result<bool> {
        if !pass.comment_keys.contains_key(&number) {
            // Only the bot's own comments carry state; a comment by anyone
            // else that imitates a key is answered once and counts for
            // nothing.
            let comments = self.api.comments(number).await?;
            let mut keys: HashSet<String> = comments
                .iter()
                .filter(|c| c.by(&pass.me))
                .filter_map(|c| c.body.as_deref().and_then(issue::comment_key))
                .collect();
            for c in &comments {
                if c.by(&pass.me) || c.body.as_deref().and_then(issue::comment_key).is_none() {
                    continue;
                }
                let reply_key = format!("imitation-ignored:{}", c.id);
                if keys.contains(&reply_key) {
                    continue;
                }
                let who = c
                    .user
                    .as_ref()
                    .filter(|u| crate::text::is_login(&u.login))
                    .map_or("someone".to_owned(), |u| format!("@{}", u.login));
                let text = format!(
                    "A comment by {who} carries this bot's hidden marker: it is ignored. Only \
                     the bot's own comments record reminders, the deadline and exceptions; an \
                     exception is granted by an approver adding the `{}` label.",
                    self.cfg.exception_label
                );
                self.api.comment(number, &keyed(&reply_key, &text)).await?;
                pass.act(
                    "-",
                    Some(number),
                    format!("answered a comment imitating the bot's marker ({who})"),
                );
                keys.insert(reply_key);
            }
            pass.comment_keys.insert(number, keys);
        }
        if pass.comment_keys[&number].contains(key) {
            return Ok(false);
        }
        self.api.comment(number, &keyed(key, text)).await?;
        pass.comment_keys
            .get_mut(&number)
            .expect("loaded above")
            .insert(key.to_owned());
        Ok(true)
    }

    /// The deploy gate as a commit status on the branch head: failing while
    /// an issue blocks deploys, success again once none does.
    async fn sync_gate(&self, pass: &mut Pass) -> anyhow::Result<()> {
        let blocking: Vec<Assessment> = self
            .assess_all(pass, false)
            .await?
            .into_iter()
            .filter(Assessment::blocks)
            .collect();
        let head = self.api.branch_head(&self.cfg.branch).await?;
        let current = self.api.status_of(&head, &self.cfg.status_context).await?;
        if let Some(first) = blocking.first() {
            if current.as_deref() != Some("failure") {
                let description = match &first.tracked {
                    Some(t) => format!(
                        "Deploys blocked: {} past its deadline (#{})",
                        first.job, t.issue.number
                    ),
                    None => format!("Deploys blocked: {} past its deadline", first.job),
                };
                let url = first.tracked.as_ref().map(Tracked::url).unwrap_or_default();
                self.api
                    .set_status(
                        &head,
                        "failure",
                        &self.cfg.status_context,
                        &description,
                        Some(url.as_str()).filter(|u| !u.is_empty()),
                    )
                    .await?;
                pass.act(
                    "-",
                    None,
                    format!("{} failing on {}", self.cfg.status_context, short(&head)),
                );
            }
        } else if current.as_deref().is_some_and(|s| s != "success") {
            self.api
                .set_status(
                    &head,
                    "success",
                    &self.cfg.status_context,
                    "No deferred job is past its deadline",
                    None,
                )
                .await?;
            pass.act(
                "-",
                None,
                format!("{} passing on {}", self.cfg.status_context, short(&head)),
            );
        }
        Ok(())
    }

    /// Answers a `deployment_protection_rule` request: rejected while an
    /// issue blocks deploys, approved otherwise.
    async fn review_deployment(&self, pass: &mut Pass, payload: &Value) -> anyhow::Result<()> {
        let environment = payload
            .pointer("/environment")
            .and_then(Value::as_str)
            .context("the event has no `environment`")?;
        let callback = payload
            .pointer("/deployment_callback_url")
            .and_then(Value::as_str)
            .context("the event has no `deployment_callback_url`")?;
        let run_id = run_id_of_callback(callback).with_context(|| {
            format!("`deployment_callback_url` names no workflow run: {callback}")
        })?;
        self.answer_deployment(pass, run_id, environment).await
    }

    /// Approves a run's deployment to an environment, or rejects it while a
    /// job blocks deploys.
    async fn answer_deployment(
        &self,
        pass: &mut Pass,
        run_id: u64,
        environment: &str,
    ) -> anyhow::Result<()> {
        let blocking: Vec<Assessment> = self
            .assess_all(pass, true)
            .await?
            .into_iter()
            .filter(Assessment::blocks)
            .collect();
        let approve = blocking.is_empty();
        let comment = if approve {
            "No deferred job is past its deadline.".to_owned()
        } else {
            let list: Vec<String> = blocking
                .iter()
                .map(|a| {
                    format!(
                        "{} is failing past its deadline {}{}",
                        a.job,
                        rfc3339(a.deadline),
                        a.tracked
                            .as_ref()
                            .map(|t| format!(" ({})", t.url()))
                            .unwrap_or_default()
                    )
                })
                .collect();
            format!(
                "Deploys are blocked by deferred compliance: {}",
                list.join("; ")
            )
        };
        match self
            .api
            .review_deployment(run_id, environment, approve, &comment)
            .await
        {
            Ok(()) => {}
            // Answered before (a repeated pass after a crash).
            Err(e) if github::status_of(e.as_ref()) == Some(422) => {}
            Err(e) => return Err(e),
        }
        pass.act(
            "-",
            None,
            format!(
                "{} the deployment to {environment} (run {run_id})",
                if approve { "approved" } else { "rejected" }
            ),
        );
        Ok(())
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

/// `123` of `https://api.github.com/repos/o/r/actions/runs/123/deployment_protection_rule`.
fn run_id_of_callback(url: &str) -> Option<u64> {
    let rest = &url[url.find("/actions/runs/")? + "/actions/runs/".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn round_minutes(d: std::time::Duration) -> std::time::Duration {
    std::time::Duration::from_secs(d.as_secs() / 60 * 60)
}

/// The workflow file a `workflow_run` event's run belongs to: the run's
/// own `path`, else the event's `workflow.path`; empty when neither says.
pub fn workflow_path(run: &Run, payload: &Value) -> String {
    run.path
        .clone()
        .or_else(|| {
            payload
                .pointer("/workflow/path")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conclusions() {
        assert_eq!(verdict(Some("failure")), Some(Verdict::Failure));
        assert_eq!(verdict(Some("timed_out")), Some(Verdict::Failure));
        assert_eq!(verdict(Some("success")), Some(Verdict::Success));
        for other in [
            "cancelled",
            "skipped",
            "neutral",
            "stale",
            "action_required",
        ] {
            assert_eq!(verdict(Some(other)), None, "{other}");
        }
        assert_eq!(verdict(None), None);
    }

    #[test]
    fn callback_urls() {
        assert_eq!(
            run_id_of_callback(
                "https://api.github.com/repos/o/r/actions/runs/4242/deployment_protection_rule"
            ),
            Some(4242)
        );
        assert_eq!(run_id_of_callback("https://api.github.com/repos/o/r"), None);
    }
}
