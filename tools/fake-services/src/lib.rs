//! A stateful fake of the part of GitHub's REST API that `deferred-compliance`
//! uses, and a fake Slack incoming webhook, each served by axum on loopback
//! from a thread of its own.
//!
//! The fake GitHub holds one repository: a commit graph with branches, pull
//! requests, workflow runs and their jobs, file contents per ref, commit
//! statuses, issues with labels, comments and events, teams, and a GitHub App
//! with one installation. Writes change that state, so a client sees what it
//! did (and what it did twice). Every request needs a known token; lists are
//! paged with `Link` headers on the fake's own base; errors are GitHub's JSON
//! bodies. Tests set the state up, inject faults and inspect the outcome
//! through [`FakeGitHub`]'s methods.
//!
//! Not modelled: the signature of an App's JWT (only its shape, `iss` and
//! `exp` are checked: the fake has no public key), permissions (every known
//! token may do everything), primary rate-limit headers (a test sends them
//! with [`FakeGitHub::fail_next_with_headers`]), conditional
//! requests, other repositories, directory listings, and whether a run
//! really waits on the environment a protection rule answer names.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// The branch `contents` reads when no `ref` is given, and pulls' base.
const DEFAULT_BRANCH: &str = "main";
/// GitHub's limit on issue and comment bodies, in characters.
const BODY_LIMIT: usize = 65_536;

// ---------------------------------------------------------------------------
// The handle.

/// How [`FakeGitHub::start`] sets the fake up.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    pub owner: String,
    pub repo: String,
    /// The personal token the fake accepts (after `Bearer ` or `token `).
    pub token: String,
    /// Serve under `/api/v3`, as GitHub Enterprise Server does.
    pub enterprise_path: bool,
    /// Who the API's callers are: the author of the issues, comments,
    /// statuses and label events they make.
    pub bot_login: String,
    /// `(app_id, installation_id)` of the GitHub App whose JWT may be
    /// exchanged for installation tokens.
    pub app: Option<(u64, u64)>,
}

impl Default for FakeConfig {
    fn default() -> FakeConfig {
        FakeConfig {
            owner: "acme".to_owned(),
            repo: "widgets".to_owned(),
            token: "ghp_fakeToken0123456789".to_owned(),
            enterprise_path: false,
            bot_login: "compliance-bot[bot]".to_owned(),
            app: None,
        }
    }
}

/// A pull request for [`FakeGitHub::add_pull`]: merged when it has a
/// `merge_commit_sha`, open otherwise.
#[derive(Clone, Debug, Default)]
pub struct PullSpec<'a> {
    pub number: u64,
    pub author: &'a str,
    pub title: &'a str,
    pub merge_commit_sha: Option<&'a str>,
    pub base_sha: &'a str,
    pub head_sha: &'a str,
    /// Default `pr-NUMBER`.
    pub head_ref: Option<&'a str>,
    /// Changed paths; `old -> new` is a rename.
    pub files: Vec<String>,
}

/// A workflow run for [`FakeGitHub::add_run`]; empty fields take defaults.
#[derive(Clone, Debug, Default)]
pub struct RunSpec<'a> {
    /// The file under `.github/workflows/`; default `ci.yml`.
    pub workflow_file: &'a str,
    /// Default: the file name without its extension.
    pub name: &'a str,
    pub head_sha: &'a str,
    /// Default `main`.
    pub branch: &'a str,
    /// Default `push`.
    pub event: &'a str,
    /// Default `completed` with a conclusion, `in_progress` without.
    pub status: Option<&'a str>,
    pub conclusion: Option<&'a str>,
    /// Job names and conclusions (`None`: still running).
    pub jobs: Vec<(&'a str, Option<&'a str>)>,
    /// Default: one more than the workflow's highest.
    pub run_number: Option<u64>,
    /// Default: the fake's clock.
    pub created_at: Option<DateTime<Utc>>,
    /// Numbers of pull requests added with [`FakeGitHub::add_pull`].
    pub pull_requests: Vec<u64>,
    /// Default: the head commit's author, or `octocat`.
    pub actor: Option<&'a str>,
    /// `owner/name` the commit comes from; default the repository itself
    /// (a fork's for a pull request from a fork).
    pub head_repository: Option<&'a str>,
}

/// An issue as a test inspects it.
#[derive(Clone, Debug, PartialEq)]
pub struct IssueState {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    /// Comment bodies, oldest first.
    pub comments: Vec<String>,
    pub events: Vec<IssueEvent>,
}

/// An entry of an issue's timeline: `labeled`, `unlabeled`, `closed` or
/// `reopened`, who did it, and the label if any.
#[derive(Clone, Debug, PartialEq)]
pub struct IssueEvent {
    pub event: String,
    pub actor: String,
    pub label: Option<String>,
}

/// A commit status as it was posted.
#[derive(Clone, Debug, PartialEq)]
pub struct CommitStatus {
    pub state: String,
    pub context: String,
    pub description: Option<String>,
    pub target_url: Option<String>,
}

/// An answer to a run's deployment protection rule.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtectionResponse {
    pub run_id: u64,
    pub environment: String,
    pub state: String,
    pub comment: String,
}

/// A request the fake answered, for [`FakeGitHub::request_log`].
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query as received (`/api/v3/…` in the Enterprise layout).
    pub path: String,
    pub status: u16,
    /// When the request arrived (before any latency).
    pub at: SystemTime,
}

/// The fake GitHub API; clones share one server and one state.
#[derive(Clone)]
pub struct FakeGitHub {
    url: String,
    hub: Shared,
    _stop: Arc<StopOnDrop>,
}

impl FakeGitHub {
    /// Binds `127.0.0.1:0` and serves until the last handle is dropped.
    pub fn start(config: FakeConfig) -> FakeGitHub {
        let (listener, origin) = bind();
        let base_path = if config.enterprise_path {
            "/api/v3"
        } else {
            ""
        };
        let hub = Hub {
            tokens: HashSet::from([config.token.clone()]),
            api: format!("{origin}{base_path}"),
            origin,
            base_path,
            config,
            ..Hub::default()
        };
        let url = hub.api.clone();
        let hub: Shared = Arc::new(Mutex::new(hub));
        let app = match base_path {
            "" => github_routes(),
            base => Router::new().nest(base, github_routes()),
        };
        let app = app
            .fallback(|| async { not_found() })
            .layer(middleware::from_fn_with_state(hub.clone(), gate))
            .with_state(hub.clone());
        let stop = Arc::new(spawn(listener, app));
        FakeGitHub {
            url,
            hub,
            _stop: stop,
        }
    }

    /// The API base for `GITHUB_API_URL`: `http://127.0.0.1:PORT`, with
    /// `/api/v3` in the Enterprise layout.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    fn hub(&self) -> MutexGuard<'_, Hub> {
        lock(&self.hub)
    }

    /// Pins the clock that stamps what the fake creates from now on (`None`:
    /// the system clock). JWTs and installation tokens always use the
    /// system clock, as the client does.
    pub fn set_now(&self, now: Option<DateTime<Utc>>) {
        self.hub().clock = now;
    }

    // History, pull requests and runs.

    /// Adds a commit on top of `parent` (which must exist), or a root.
    pub fn add_commit(
        &self,
        sha: &str,
        parent: Option<&str>,
        author_login: &str,
        message: &str,
        files: &[&str],
    ) {
        let mut h = self.hub();
        assert!(!h.commits.contains_key(sha), "commit {sha} added twice");
        if let Some(p) = parent {
            assert!(h.commits.contains_key(p), "parent {p} of {sha} is unknown");
        }
        let commit = Commit {
            sha: sha.to_owned(),
            parents: parent.map(str::to_owned).into_iter().collect(),
            author: author_login.to_owned(),
            message: message.to_owned(),
            files: files.iter().map(|f| (*f).to_owned()).collect(),
            date: h.now(),
        };
        h.commits.insert(sha.to_owned(), commit);
    }

    /// Points a branch at a commit (which must exist).
    pub fn set_branch(&self, name: &str, sha: &str) {
        let mut h = self.hub();
        assert!(
            h.commits.contains_key(sha),
            "branch {name}: no commit {sha}"
        );
        h.branches.insert(name.to_owned(), sha.to_owned());
    }

    pub fn add_pull(&self, spec: PullSpec<'_>) {
        let mut h = self.hub();
        let head_ref = spec.head_ref.map(str::to_owned);
        let pull = Pull {
            number: spec.number,
            author: spec.author.to_owned(),
            title: spec.title.to_owned(),
            merge_commit_sha: spec.merge_commit_sha.map(str::to_owned),
            base_sha: spec.base_sha.to_owned(),
            head_sha: spec.head_sha.to_owned(),
            head_ref: head_ref.unwrap_or_else(|| format!("pr-{}", spec.number)),
            files: spec.files,
            created_at: h.now(),
        };
        h.pulls.insert(spec.number, pull);
    }

    /// Makes a workflow known without runs, so that its run list is empty
    /// rather than a 404; returns its id. [`FakeGitHub::add_run`] does this.
    pub fn add_workflow(&self, file: &str) -> u64 {
        workflow_id(self.hub().workflow_or_add(file))
    }

    /// Adds a run with its jobs (attempt 1); returns the run's id.
    pub fn add_run(&self, spec: RunSpec<'_>) -> u64 {
        let or = |s: &str, default: &str| (if s.is_empty() { default } else { s }).to_owned();
        let mut h = self.hub();
        let file = or(spec.workflow_file, "ci.yml");
        let workflow = h.workflow_or_add(&file);
        for n in &spec.pull_requests {
            assert!(h.pulls.contains_key(n), "run: no pull request {n}");
        }
        let same_workflow = h.runs.values().filter(|r| r.workflow == workflow);
        let next_number = same_workflow.map(|r| r.run_number).max().unwrap_or(0) + 1;
        let created = spec.created_at.unwrap_or_else(|| h.now());
        let author = h.commits.get(spec.head_sha).map(|c| c.author.as_str());
        let actor = spec.actor.or(author).unwrap_or("octocat").to_owned();
        let (status, conclusion) = run_state(spec.status, spec.conclusion);
        let id = h.id();
        let jobs = spec.jobs.iter();
        let jobs = jobs
            .map(|(name, c)| Job::new(h.id(), name, 1, *c, created))
            .collect();
        let run = Run {
            id,
            workflow,
            name: or(spec.name, file.split('.').next().unwrap_or(&file)),
            run_number: spec.run_number.unwrap_or(next_number),
            run_attempt: 1,
            head_sha: spec.head_sha.to_owned(),
            head_branch: or(spec.branch, DEFAULT_BRANCH),
            event: or(spec.event, "push"),
            status,
            conclusion,
            created_at: created,
            updated_at: created,
            run_started_at: created,
            pull_requests: spec.pull_requests,
            triggering_actor: actor.clone(),
            actor,
            head_repository: spec.head_repository.map_or_else(
                || format!("{}/{}", h.config.owner, h.config.repo),
                str::to_owned,
            ),
            jobs,
        };
        h.runs.insert(id, run);
        id
    }

    /// Finishes (`Some(conclusion)`) or resumes (`None`) a run's current
    /// attempt, and sets the named jobs of that attempt, adding missing ones.
    pub fn set_run(&self, id: u64, conclusion: Option<&str>, jobs: &[(&str, Option<&str>)]) {
        let mut h = self.hub();
        let now = h.now();
        let ids: Vec<u64> = jobs.iter().map(|_| h.id()).collect();
        let run = h.runs.get_mut(&id).unwrap_or_else(|| panic!("no run {id}"));
        (run.status, run.conclusion) = run_state(None, conclusion);
        run.updated_at = now;
        let attempt = run.run_attempt;
        for (&(name, c), job_id) in jobs.iter().zip(ids) {
            let current = run
                .jobs
                .iter_mut()
                .find(|j| j.attempt == attempt && j.name == name);
            match current {
                Some(job) => *job = Job::new(job.id, name, attempt, c, now),
                None => run.jobs.push(Job::new(job_id, name, attempt, c, now)),
            }
        }
    }

    /// The JSON the API serves for a run, e.g. for a `workflow_run` webhook.
    pub fn run_json(&self, id: u64) -> Value {
        let h = self.hub();
        h.run_json(h.runs.get(&id).unwrap_or_else(|| panic!("no run {id}")))
    }

    /// Stores a file's text at a ref (a sha or a branch name) for
    /// `contents`; asking by branch name also finds what is stored at the
    /// branch's head.
    pub fn add_file(&self, git_ref: &str, path: &str, text: &str) {
        let key = (git_ref.to_owned(), path.trim_start_matches('/').to_owned());
        self.hub().contents.insert(key, text.to_owned());
    }

    /// Sets a team's members (logins compare without case).
    pub fn add_team(&self, org: &str, slug: &str, members: &[&str]) {
        let key = (org.to_lowercase(), slug.to_lowercase());
        let members = members.iter().map(|m| m.to_lowercase()).collect();
        self.hub().teams.insert(key, members);
    }

    // Issues and labels, as people change them in the web UI.

    /// Creates a repository label.
    pub fn add_label(&self, name: &str, color: &str) {
        let mut h = self.hub();
        assert!(h.label(name).is_none(), "label {name} exists");
        h.ensure_label(name);
        h.labels.last_mut().expect("just added").color = color.to_owned();
    }

    /// Opens an issue as the bot, with `labeled` events for its labels;
    /// returns its number.
    pub fn add_issue(&self, title: &str, body: &str, labels: &[&str]) -> u64 {
        let mut h = self.hub();
        let bot = h.config.bot_login.clone();
        let n = h.create_issue(title, Some(body), &bot);
        for l in labels {
            h.label_issue(n, l, &bot).ok().expect("the issue exists");
        }
        n
    }

    /// Opens an issue as `login` (not the bot), with `labeled` events by
    /// `login` for its labels; returns its number.
    pub fn add_issue_by(&self, login: &str, title: &str, body: &str, labels: &[&str]) -> u64 {
        let mut h = self.hub();
        let n = h.create_issue(title, Some(body), login);
        for l in labels {
            h.label_issue(n, l, login).ok().expect("the issue exists");
        }
        n
    }

    /// Deletes an issue, or transfers it away: it is gone from the
    /// repository's lists.
    pub fn delete_issue(&self, issue: u64) {
        let gone = self.hub().issues.remove(&issue);
        assert!(gone.is_some(), "no issue {issue}");
    }

    /// Replaces an issue's body as someone editing it in the web UI.
    pub fn edit_issue_body(&self, issue: u64, body: &str) {
        let mut h = self.hub();
        let i = h
            .issue_mut(issue)
            .ok()
            .unwrap_or_else(|| panic!("no issue {issue}"));
        i.body = Some(body.to_owned());
    }

    /// Starts the next attempt of a completed run, as "Re-run failed jobs"
    /// in the web UI does; finish it with [`FakeGitHub::set_run`].
    pub fn rerun(&self, id: u64) {
        let mut h = self.hub();
        let run = h.runs.get_mut(&id).unwrap_or_else(|| panic!("no run {id}"));
        run.run_attempt += 1;
        (run.status, run.conclusion) = ("queued".to_owned(), None);
    }

    /// Adds a label to an issue as `login` did, recording `labeled`.
    pub fn add_label_by(&self, issue: u64, label: &str, login: &str) {
        let done = self.hub().label_issue(issue, label, login);
        done.ok().unwrap_or_else(|| panic!("no issue {issue}"));
    }

    /// Removes a label from an issue as `login` did, recording `unlabeled`.
    pub fn remove_label_by(&self, issue: u64, label: &str, login: &str) {
        let done = self.hub().unlabel_issue(issue, label, login);
        done.ok()
            .unwrap_or_else(|| panic!("issue {issue} lacks {label}"));
    }

    /// Comments on an issue as `login`.
    pub fn comment_by(&self, issue: u64, login: &str, body: &str) {
        let done = self.hub().comment(issue, body, login);
        done.ok().unwrap_or_else(|| panic!("no issue {issue}"));
    }

    /// Closes (`closed`) or reopens (`open`) an issue as `login` did.
    pub fn set_issue_state_by(&self, issue: u64, state: &str, login: &str) {
        let done = self.hub().set_issue_state(issue, state, None, login);
        done.ok().unwrap_or_else(|| panic!("no issue {issue}"));
    }

    // Inspection.

    /// The repository's labels, in the order they were created.
    pub fn labels(&self) -> Vec<String> {
        self.hub().labels.iter().map(|l| l.name.clone()).collect()
    }

    /// Every issue, by number.
    pub fn issues(&self) -> Vec<IssueState> {
        self.hub().issues.values().map(Issue::state).collect()
    }

    pub fn issue(&self, number: u64) -> IssueState {
        let h = self.hub();
        let issue = h
            .issues
            .get(&number)
            .unwrap_or_else(|| panic!("no issue {number}"));
        issue.state()
    }

    /// The statuses posted for a commit, oldest first.
    pub fn statuses(&self, sha: &str) -> Vec<CommitStatus> {
        let h = self.hub();
        let of_sha = h.statuses.iter().filter(|s| s.sha == sha);
        of_sha.map(|s| s.status.clone()).collect()
    }

    pub fn protection_responses(&self) -> Vec<ProtectionResponse> {
        self.hub().protection.clone()
    }

    /// Makes a run's deployment to each of `environments` wait on the
    /// protection rule (the run should have status `waiting`).
    pub fn set_pending(&self, run: u64, environments: &[&str]) {
        let envs = environments.iter().map(|e| (*e).to_owned()).collect();
        self.hub().pending.insert(run, envs);
    }

    /// Records a webhook delivery GitHub made to the App (answered with
    /// `status_code`, 0 while pending); returns its id.
    pub fn add_delivery(
        &self,
        guid: &str,
        event: &str,
        action: Option<&str>,
        status_code: u16,
        delivered_at: DateTime<Utc>,
    ) -> u64 {
        let mut h = self.hub();
        let id = h.id();
        let redelivery = h.deliveries.iter().any(|d| d.guid == guid);
        h.deliveries.push(HookDelivery {
            id,
            guid: guid.to_owned(),
            event: event.to_owned(),
            action: action.map(str::to_owned),
            status_code,
            delivered_at,
            redelivery,
        });
        id
    }

    /// The deliveries the App asked to be redelivered, in order.
    pub fn redeliveries(&self) -> Vec<u64> {
        self.hub().redeliveries.clone()
    }

    /// The runs whose failed jobs were re-run, in order.
    pub fn reruns(&self) -> Vec<u64> {
        self.hub().reruns.clone()
    }

    pub fn installation_tokens_issued(&self) -> usize {
        self.hub().tokens_issued
    }

    /// Every request answered: method, path and query as received
    /// (`/api/v3/…` in the Enterprise layout), status.
    pub fn requests(&self) -> Vec<(String, String, u16)> {
        let h = self.hub();
        h.log
            .iter()
            .map(|l| (l.method.clone(), l.path.clone(), l.status))
            .collect()
    }

    /// As [`FakeGitHub::requests`], with the time each request arrived.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.hub().log.clone()
    }

    /// How many requests of `method` (`*`: any) went to a path below the
    /// base starting with `path_prefix` (`/repos/acme/widgets/issues` in
    /// either layout).
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        let h = self.hub();
        let hits = h.log.iter().filter(|l| method == "*" || l.method == method);
        let below = hits.filter_map(|l| h.below_base(&l.path));
        below.filter(|p| p.starts_with(path_prefix)).count()
    }

    pub fn clear_requests(&self) {
        self.hub().log.clear();
    }

    // Faults.

    /// Answers the next `times` requests of `method` (`*`: any) whose path
    /// and query contain `path_substring` with `status` and GitHub's body
    /// for it: a proxy's HTML page for 502 to 504, a secondary rate limit
    /// with `retry-after: 1` for 403 and 429, `{"message"}` otherwise.
    pub fn fail_next(&self, method: &str, path_substring: &str, status: u16, times: usize) {
        self.fail_next_with(method, path_substring, status, None, times);
    }

    /// As [`FakeGitHub::fail_next`], with this JSON body; e.g. a 403
    /// `{"message": "Resource not accessible by integration"}`.
    pub fn fail_next_with(
        &self,
        method: &str,
        path_substring: &str,
        status: u16,
        body: Option<Value>,
        times: usize,
    ) {
        self.fail_next_with_headers(method, path_substring, status, body, &[], times);
    }

    /// As [`FakeGitHub::fail_next_with`], with these headers on the answer,
    /// replacing the fault's own of the same name (such as `retry-after`);
    /// e.g. GitHub's primary rate limit, a 403 with
    /// `x-ratelimit-remaining: 0` and `x-ratelimit-reset: EPOCH_SECONDS`.
    pub fn fail_next_with_headers(
        &self,
        method: &str,
        path_substring: &str,
        status: u16,
        body: Option<Value>,
        headers: &[(&str, &str)],
        times: usize,
    ) {
        let (method, path) = (method.to_owned(), path_substring.to_owned());
        let headers = headers
            .iter()
            .map(|&(name, value)| {
                let name = HeaderName::from_bytes(name.as_bytes())
                    .unwrap_or_else(|_| panic!("a header name: {name}"));
                let value = HeaderValue::from_str(value)
                    .unwrap_or_else(|_| panic!("a value of {name}: {value}"));
                (name, value)
            })
            .collect();
        let fault = Fault {
            method,
            path,
            status,
            body,
            headers,
            times,
        };
        self.hub().faults.push(fault);
    }

    /// While down, a "proxy" answers every request with 502.
    pub fn set_down(&self, down: bool) {
        self.hub().down = down;
    }

    /// Waits this long before answering each request.
    pub fn set_latency(&self, latency: Duration) {
        self.hub().latency = latency;
    }
}

// ---------------------------------------------------------------------------
// The state.

type Shared = Arc<Mutex<Hub>>;

fn lock(s: &Shared) -> MutexGuard<'_, Hub> {
    // A test that panicked while holding the lock leaves usable state.
    s.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct Hub {
    config: FakeConfig,
    /// `http://127.0.0.1:PORT`.
    origin: String,
    /// `""` or `/api/v3`.
    base_path: &'static str,
    /// `origin` and `base_path`.
    api: String,
    tokens: HashSet<String>,
    tokens_issued: usize,
    clock: Option<DateTime<Utc>>,
    commits: HashMap<String, Commit>,
    branches: BTreeMap<String, String>,
    pulls: BTreeMap<u64, Pull>,
    /// Workflow files; a workflow's id derives from its index.
    workflows: Vec<String>,
    runs: BTreeMap<u64, Run>,
    contents: HashMap<(String, String), String>,
    statuses: Vec<Status>,
    issues: BTreeMap<u64, Issue>,
    labels: Vec<Label>,
    teams: HashMap<(String, String), Vec<String>>,
    protection: Vec<ProtectionResponse>,
    /// Environments each waiting run's deployments wait on.
    pending: BTreeMap<u64, Vec<String>>,
    /// The App's webhook deliveries, oldest first.
    deliveries: Vec<HookDelivery>,
    /// Deliveries asked to be delivered again, by id.
    redeliveries: Vec<u64>,
    reruns: Vec<u64>,
    log: Vec<LoggedRequest>,
    faults: Vec<Fault>,
    down: bool,
    latency: Duration,
    /// One counter for every id (runs, jobs, comments, events, labels), so
    /// that ids are unique and grow with time.
    next_id: u64,
}

/// A webhook delivery as `GET /app/hook/deliveries` lists it.
#[derive(Clone, Debug)]
pub struct HookDelivery {
    pub id: u64,
    pub guid: String,
    pub event: String,
    pub action: Option<String>,
    /// What the receiver answered; 0 while pending.
    pub status_code: u16,
    pub delivered_at: DateTime<Utc>,
    pub redelivery: bool,
}

struct Commit {
    sha: String,
    parents: Vec<String>,
    author: String,
    message: String,
    files: Vec<String>,
    date: DateTime<Utc>,
}

struct Pull {
    number: u64,
    author: String,
    title: String,
    merge_commit_sha: Option<String>,
    base_sha: String,
    head_sha: String,
    head_ref: String,
    files: Vec<String>,
    created_at: DateTime<Utc>,
}

struct Run {
    id: u64,
    workflow: usize,
    name: String,
    run_number: u64,
    run_attempt: u64,
    head_sha: String,
    head_branch: String,
    event: String,
    status: String,
    conclusion: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    run_started_at: DateTime<Utc>,
    pull_requests: Vec<u64>,
    actor: String,
    triggering_actor: String,
    head_repository: String,
    /// The jobs of every attempt.
    jobs: Vec<Job>,
}

#[derive(Clone)]
struct Job {
    id: u64,
    name: String,
    attempt: u64,
    status: String,
    conclusion: Option<String>,
    started_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl Job {
    fn new(id: u64, name: &str, attempt: u64, c: Option<&str>, at: DateTime<Utc>) -> Job {
        let (status, conclusion) = run_state(None, c);
        let (name, started_at, completed_at) = (name.to_owned(), at, c.map(|_| at));
        Job {
            id,
            name,
            attempt,
            status,
            conclusion,
            started_at,
            completed_at,
        }
    }
}

struct Status {
    id: u64,
    sha: String,
    status: CommitStatus,
    created_at: DateTime<Utc>,
}

struct Issue {
    number: u64,
    title: String,
    body: Option<String>,
    state: String,
    state_reason: Option<String>,
    labels: Vec<String>,
    assignees: Vec<String>,
    user: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    comments: Vec<Comment>,
    events: Vec<Event>,
}

impl Issue {
    fn state(&self) -> IssueState {
        IssueState {
            number: self.number,
            title: self.title.clone(),
            body: self.body.clone().unwrap_or_default(),
            state: self.state.clone(),
            state_reason: self.state_reason.clone(),
            labels: self.labels.clone(),
            assignees: self.assignees.clone(),
            comments: self.comments.iter().map(|c| c.body.clone()).collect(),
            events: self.events.iter().map(|e| e.event.clone()).collect(),
        }
    }

    /// Where the issue's labels hold `name`, compared without case.
    fn has_label(&self, name: &str) -> Option<usize> {
        self.labels
            .iter()
            .position(|l| l.eq_ignore_ascii_case(name))
    }
}

struct Comment {
    id: u64,
    body: String,
    user: String,
    created_at: DateTime<Utc>,
}

struct Event {
    id: u64,
    event: IssueEvent,
    created_at: DateTime<Utc>,
}

struct Label {
    id: u64,
    name: String,
    color: String,
    description: Option<String>,
}

struct Fault {
    method: String,
    path: String,
    status: u16,
    body: Option<Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    times: usize,
}

/// `(status, conclusion)` of a run or job: `completed` with a conclusion,
/// else `in_progress`, unless `status` says otherwise.
fn run_state(status: Option<&str>, conclusion: Option<&str>) -> (String, Option<String>) {
    const CONCLUSIONS: &[&str] = &[
        "success",
        "failure",
        "timed_out",
        "cancelled",
        "skipped",
        "neutral",
        "action_required",
        "stale",
    ];
    if let Some(c) = conclusion {
        assert!(CONCLUSIONS.contains(&c), "GitHub sends no conclusion `{c}`");
    }
    let running = if conclusion.is_some() {
        "completed"
    } else {
        "in_progress"
    };
    let status = status.unwrap_or(running).to_owned();
    (status, conclusion.map(str::to_owned))
}

fn workflow_id(index: usize) -> u64 {
    5000 + index as u64
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn user(login: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    json!({"login": login, "type": kind})
}

/// A stand-in for a git object id: 40 hex digits derived from `text`.
fn fake_sha(text: &str) -> String {
    let part = |salt: u8| {
        let mut hasher = DefaultHasher::new();
        (salt, text).hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    };
    format!("{}{}{}", part(0), part(1), part(2))[..40].to_owned()
}

fn file_json(entry: &str) -> Value {
    match entry.split_once(" -> ") {
        Some((old, new)) => json!({
            "sha": fake_sha(new), "filename": new, "status": "renamed",
            "previous_filename": old, "additions": 0, "deletions": 0, "changes": 0,
        }),
        None => json!({
            "sha": fake_sha(entry), "filename": entry, "status": "modified",
            "additions": 1, "deletions": 1, "changes": 2,
        }),
    }
}

// The model and its JSON.
impl Hub {
    fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        1000 + self.next_id
    }

    fn html(&self, tail: &str) -> String {
        let c = &self.config;
        format!("https://github.example/{}/{}/{tail}", c.owner, c.repo)
    }

    fn api_url(&self, tail: &str) -> String {
        let c = &self.config;
        format!("{}/repos/{}/{}/{tail}", self.api, c.owner, c.repo)
    }

    /// A request path below the base (`/api/v3` stripped), if it is.
    fn below_base<'a>(&self, full: &'a str) -> Option<&'a str> {
        full.strip_prefix(self.base_path)
            .filter(|rest| rest.starts_with('/'))
    }

    /// A branch's head or a known commit's sha.
    fn resolve(&self, r: &str) -> Option<String> {
        let known = self.commits.contains_key(r).then(|| r.to_owned());
        self.branches.get(r).cloned().or(known)
    }

    /// `r` resolved, or GitHub's 422 for an unknown commit.
    fn resolve_or_422(&self, r: &str) -> Result<String, Fail> {
        let message = format!("No commit found for SHA: {r}");
        self.resolve(r).ok_or_else(|| fail(422, &message))
    }

    /// Every commit reachable from `sha`, itself included.
    fn ancestors(&self, sha: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut todo = vec![sha.to_owned()];
        while let Some(s) = todo.pop() {
            if let Some(c) = self.commits.get(&s) {
                todo.extend(c.parents.iter().cloned());
            }
            seen.insert(s);
        }
        seen
    }

    fn workflow_or_add(&mut self, file: &str) -> usize {
        if let Some(i) = self.workflows.iter().position(|w| w == file) {
            return i;
        }
        self.workflows.push(file.to_owned());
        self.workflows.len() - 1
    }

    /// A workflow by file name or id.
    fn workflow(&self, key: &str) -> Option<usize> {
        let by_id = |i: usize| workflow_id(i).to_string() == key;
        (0..self.workflows.len()).find(|&i| self.workflows[i] == key || by_id(i))
    }

    fn run_json(&self, r: &Run) -> Value {
        let commit = self.commits.get(&r.head_sha);
        let message = commit.map_or("", |c| c.message.as_str());
        let author = commit.map_or(r.actor.as_str(), |c| c.author.as_str());
        let date = commit.map_or(r.created_at, |c| c.date);
        let pull = |n: &u64| {
            let p = &self.pulls[n];
            json!({
                "number": n,
                "url": self.api_url(&format!("pulls/{n}")),
                "head": {"sha": p.head_sha, "ref": p.head_ref},
                "base": {"sha": p.base_sha, "ref": DEFAULT_BRANCH},
            })
        };
        let c = &self.config;
        json!({
            "id": r.id,
            "name": r.name,
            "display_title": message.lines().next().unwrap_or(""),
            "path": format!(".github/workflows/{}", self.workflows[r.workflow]),
            "workflow_id": workflow_id(r.workflow),
            "run_number": r.run_number,
            "run_attempt": r.run_attempt,
            "head_sha": r.head_sha,
            "head_branch": r.head_branch,
            "event": r.event,
            "status": r.status,
            "conclusion": r.conclusion,
            "url": self.api_url(&format!("actions/runs/{}", r.id)),
            "html_url": self.html(&format!("actions/runs/{}", r.id)),
            "jobs_url": self.api_url(&format!("actions/runs/{}/jobs", r.id)),
            "created_at": ts(r.created_at),
            "updated_at": ts(r.updated_at),
            "run_started_at": ts(r.run_started_at),
            "pull_requests": r.pull_requests.iter().map(pull).collect::<Vec<_>>(),
            "actor": user(&r.actor),
            "triggering_actor": user(&r.triggering_actor),
            "head_commit": {
                "id": r.head_sha,
                "message": message,
                "timestamp": ts(date),
                "author": {"name": author, "email": format!("{author}@users.noreply.github.example")},
            },
            "repository": {"id": 1, "name": c.repo, "full_name": format!("{}/{}", c.owner, c.repo)},
            "head_repository": {
                "name": r.head_repository.split('/').nth(1).unwrap_or(""),
                "full_name": r.head_repository,
                "fork": !r.head_repository.eq_ignore_ascii_case(&format!("{}/{}", c.owner, c.repo)),
            },
        })
    }

    fn job_json(&self, r: &Run, j: &Job) -> Value {
        json!({
            "id": j.id,
            "run_id": r.id,
            "run_attempt": j.attempt,
            "workflow_name": r.name,
            "head_sha": r.head_sha,
            "name": j.name,
            "status": j.status,
            "conclusion": j.conclusion,
            "html_url": self.html(&format!("actions/runs/{}/job/{}", r.id, j.id)),
            "started_at": ts(j.started_at),
            "completed_at": j.completed_at.map(ts),
            "steps": [],
        })
    }

    fn pull_json(&self, p: &Pull) -> Value {
        let merged_at = p.merge_commit_sha.as_ref().map(|_| ts(p.created_at));
        json!({
            "id": 700_000 + p.number,
            "number": p.number,
            "title": p.title,
            "state": if merged_at.is_some() { "closed" } else { "open" },
            "html_url": self.html(&format!("pull/{}", p.number)),
            "user": user(&p.author),
            "merged": merged_at.is_some(),
            "merged_at": merged_at,
            "closed_at": merged_at,
            "merge_commit_sha": p.merge_commit_sha,
            "head": {"sha": p.head_sha, "ref": p.head_ref},
            "base": {"sha": p.base_sha, "ref": DEFAULT_BRANCH},
            "created_at": ts(p.created_at),
            "updated_at": ts(p.created_at),
        })
    }

    fn commit_json(&self, c: &Commit) -> Value {
        let email = format!("{}@users.noreply.github.example", c.author);
        let person = json!({"name": c.author, "email": email, "date": ts(c.date)});
        json!({
            "sha": c.sha,
            "html_url": self.html(&format!("commit/{}", c.sha)),
            "commit": {"message": c.message, "author": person, "committer": person},
            "author": user(&c.author),
            "committer": user(&c.author),
            "parents": c.parents.iter().map(|p| json!({"sha": p})).collect::<Vec<_>>(),
            "files": c.files.iter().map(|f| file_json(f)).collect::<Vec<_>>(),
        })
    }

    fn label(&self, name: &str) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    fn label_json(&self, name: &str) -> Value {
        let l = self.label(name);
        json!({
            "id": l.map_or(0, |l| l.id),
            "name": name,
            "color": l.map_or("ededed", |l| l.color.as_str()),
            "description": l.and_then(|l| l.description.clone()),
            "default": false,
        })
    }

    /// The repository's spelling of a label, which is created (grey) when
    /// missing.
    fn ensure_label(&mut self, name: &str) -> String {
        if let Some(l) = self.label(name) {
            return l.name.clone();
        }
        let (id, name, color) = (self.id(), name.to_owned(), "ededed".to_owned());
        let description = None;
        let label = Label {
            id,
            name: name.clone(),
            color,
            description,
        };
        self.labels.push(label);
        name
    }

    fn issue_json(&self, i: &Issue) -> Value {
        let labels: Vec<Value> = i.labels.iter().map(|l| self.label_json(l)).collect();
        let assignees: Vec<Value> = i.assignees.iter().map(|a| user(a)).collect();
        json!({
            "id": 900_000 + i.number,
            "number": i.number,
            "title": i.title,
            "body": i.body,
            "state": i.state,
            "state_reason": i.state_reason,
            "html_url": self.html(&format!("issues/{}", i.number)),
            "labels": labels,
            "assignee": assignees.first(),
            "assignees": assignees,
            "user": user(&i.user),
            "comments": i.comments.len(),
            "created_at": ts(i.created_at),
            "updated_at": ts(i.updated_at),
            "closed_at": i.closed_at.map(ts),
        })
    }

    fn comment_json(&self, number: u64, c: &Comment) -> Value {
        json!({
            "id": c.id,
            "body": c.body,
            "user": user(&c.user),
            "html_url": self.html(&format!("issues/{number}#issuecomment-{}", c.id)),
            "created_at": ts(c.created_at),
            "updated_at": ts(c.created_at),
        })
    }

    fn event_json(&self, e: &Event) -> Value {
        let mut v = json!({
            "id": e.id,
            "event": e.event.event,
            "actor": user(&e.event.actor),
            "commit_id": null,
            "created_at": ts(e.created_at),
        });
        if let Some(l) = &e.event.label {
            let label = self.label_json(l);
            v["label"] = json!({"name": label["name"], "color": label["color"]});
        }
        v
    }

    fn status_json(&self, s: &Status) -> Value {
        json!({
            "id": s.id,
            "state": s.status.state,
            "context": s.status.context,
            "description": s.status.description,
            "target_url": s.status.target_url,
            "creator": user(&self.config.bot_login),
            "created_at": ts(s.created_at),
            "updated_at": ts(s.created_at),
        })
    }

    fn issue_mut(&mut self, number: u64) -> Result<&mut Issue, Fail> {
        self.issues.get_mut(&number).ok_or_else(not_found)
    }

    /// Numbers are shared with pull requests, as on GitHub.
    fn create_issue(&mut self, title: &str, body: Option<&str>, by: &str) -> u64 {
        let last_issue = self.issues.keys().next_back().copied().unwrap_or(0);
        let last_pull = self.pulls.keys().next_back().copied().unwrap_or(0);
        let number = last_issue.max(last_pull) + 1;
        let now = self.now();
        let issue = Issue {
            number,
            title: title.to_owned(),
            body: body.map(str::to_owned),
            state: "open".to_owned(),
            state_reason: None,
            labels: Vec::new(),
            assignees: Vec::new(),
            user: by.to_owned(),
            created_at: now,
            updated_at: now,
            closed_at: None,
            comments: Vec::new(),
            events: Vec::new(),
        };
        self.issues.insert(number, issue);
        number
    }

    fn push_event(&mut self, number: u64, event: &str, actor: &str, label: Option<&str>) {
        let (id, created_at) = (self.id(), self.now());
        let (event, actor) = (event.to_owned(), actor.to_owned());
        let label = label.map(str::to_owned);
        let issue = self.issues.get_mut(&number).expect("the issue exists");
        issue.updated_at = created_at;
        let event = IssueEvent {
            event,
            actor,
            label,
        };
        issue.events.push(Event {
            id,
            event,
            created_at,
        });
    }

    /// Adds a label (created in the repository if need be) and records
    /// `labeled`, unless the issue has it already.
    fn label_issue(&mut self, number: u64, name: &str, actor: &str) -> Result<(), Fail> {
        if self.issue_mut(number)?.has_label(name).is_some() {
            return Ok(());
        }
        let name = self.ensure_label(name);
        self.issue_mut(number)?.labels.push(name.clone());
        self.push_event(number, "labeled", actor, Some(&name));
        Ok(())
    }

    fn unlabel_issue(&mut self, number: u64, name: &str, actor: &str) -> Result<(), Fail> {
        let issue = self.issue_mut(number)?;
        let at = issue.has_label(name);
        let at = at.ok_or_else(|| fail(404, "Label does not exist"))?;
        let name = issue.labels.remove(at);
        self.push_event(number, "unlabeled", actor, Some(&name));
        Ok(())
    }

    /// Closing records `closed` (reason `completed` unless given), reopening
    /// `reopened`.
    fn set_issue_state(
        &mut self,
        number: u64,
        state: &str,
        reason: Option<&str>,
        actor: &str,
    ) -> Result<(), Fail> {
        let now = self.now();
        let issue = self.issue_mut(number)?;
        let (event, reason) = match (issue.state.as_str(), state) {
            ("open", "closed") => (Some("closed"), reason.or(Some("completed"))),
            ("closed", "open") => (Some("reopened"), Some("reopened")),
            _ => (None, reason.or(issue.state_reason.as_deref())),
        };
        issue.state_reason = reason.map(str::to_owned);
        issue.state = state.to_owned();
        issue.closed_at = if state == "closed" {
            issue.closed_at.or(Some(now))
        } else {
            None
        };
        if let Some(e) = event {
            self.push_event(number, e, actor, None);
        }
        Ok(())
    }

    fn comment(&mut self, number: u64, body: &str, by: &str) -> Result<Value, Fail> {
        let (id, created_at) = (self.id(), self.now());
        let (body, user) = (body.to_owned(), by.to_owned());
        let issue = self.issue_mut(number)?;
        issue.updated_at = created_at;
        let comment = Comment {
            id,
            body,
            user,
            created_at,
        };
        let v = self.comment_json(number, &comment);
        self.issue_mut(number)?.comments.push(comment);
        Ok(v)
    }

    /// One page of `items` as GitHub pages a list: `per_page` (30, at most
    /// 100) and `page`, with a `Link` header of absolute URLs on the fake's
    /// base. `wrap` names the key of lists sent as `{"total_count", KEY}`.
    fn paged(&self, req: &Req, items: Vec<Value>, wrap: Option<&str>) -> Answer {
        let number = |key: &str, default: usize| {
            req.query(key)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let per_page = number("per_page", 30).clamp(1, 100);
        let page = number("page", 1).max(1);
        let total = items.len();
        let last = total.div_ceil(per_page).max(1);
        let items = items.into_iter().skip((page - 1) * per_page).take(per_page);
        let items: Vec<Value> = items.collect();
        let body = match wrap {
            Some(key) => {
                let mut m = Map::new();
                m.insert("total_count".to_owned(), total.into());
                m.insert(key.to_owned(), items.into());
                Value::Object(m)
            }
            None => items.into(),
        };
        let query = req.uri.query().unwrap_or("").split('&');
        let kept: Vec<&str> = query
            .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
            .collect();
        let link = |p: usize, rel: &str| {
            let page = format!("page={p}");
            let query = [&kept[..], &[page.as_str()][..]].concat().join("&");
            format!("<{}{}?{query}>; rel=\"{rel}\"", self.origin, req.uri.path())
        };
        let mut links = Vec::new();
        if page < last {
            links.extend([link(page + 1, "next"), link(last, "last")]);
        }
        if page > 1 {
            links.extend([link(1, "first"), link(page - 1, "prev")]);
        }
        let mut r = Json(body).into_response();
        if !links.is_empty() {
            let value = HeaderValue::from_str(&links.join(", ")).expect("a header value");
            r.headers_mut().insert(header::LINK, value);
        }
        Ok(r)
    }

    /// Decides whether a request reaches its handler: not while down, not
    /// when a fault matches, not without credentials, not for another
    /// repository.
    fn screen(&mut self, method: &str, full: &str, headers: &HeaderMap) -> Option<Response> {
        if self.down {
            return Some(proxy_page(502));
        }
        let path = self.below_base(full).unwrap_or(full).to_owned();
        let fault = self.faults.iter().position(|f| {
            (f.method == "*" || f.method.eq_ignore_ascii_case(method)) && path.contains(&f.path)
        });
        if let Some(i) = fault {
            let f = &mut self.faults[i];
            f.times -= 1;
            let mut response = fault_response(f.status, f.body.as_ref());
            for (name, value) in &f.headers {
                response.headers_mut().insert(name.clone(), value.clone());
            }
            if f.times == 0 {
                self.faults.remove(i);
            }
            return Some(response);
        }
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let credential = authorization
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("token "))
            })
            .map(str::trim);
        let bare = path.split('?').next().unwrap_or("");
        if bare == "/app" || bare.starts_with("/app/") {
            if let Err(message) = self.check_jwt(credential) {
                return Some(fail(401, message).into_response());
            }
        } else if !credential.is_some_and(|c| self.tokens.contains(c)) {
            return Some(fail(401, "Bad credentials").into_response());
        }
        if let Some(rest) = bare.strip_prefix("/repos/") {
            let mut parts = rest.split('/');
            let c = &self.config;
            let ours = parts
                .next()
                .is_some_and(|o| o.eq_ignore_ascii_case(&c.owner))
                && parts
                    .next()
                    .is_some_and(|r| r.eq_ignore_ascii_case(&c.repo));
            if !ours {
                return Some(not_found().into_response());
            }
        }
        None
    }

    /// Checks an App's JWT: three base64url parts whose payload names the
    /// configured App in `iss` and expires within GitHub's ten minutes. The
    /// RS256 signature is NOT verified.
    fn check_jwt(&self, jwt: Option<&str>) -> Result<(), &'static str> {
        const UNDECODABLE: &str = "A JSON web token could not be decoded";
        let app_id = self.config.app.ok_or(UNDECODABLE)?.0;
        let parts: Vec<&str> = jwt.ok_or(UNDECODABLE)?.split('.').collect();
        let [head, payload, _signature] = parts[..] else {
            return Err(UNDECODABLE);
        };
        let decode = |part: &str| -> Option<Value> {
            let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
            serde_json::from_slice(&bytes).ok()
        };
        decode(head)
            .filter(|h| h["alg"].is_string())
            .ok_or(UNDECODABLE)?;
        let claims = decode(payload).ok_or(UNDECODABLE)?;
        let iss_ok = match &claims["iss"] {
            Value::Number(n) => n.as_u64() == Some(app_id),
            Value::String(s) => *s == app_id.to_string(),
            _ => false,
        };
        if !iss_ok {
            return Err("'Issuer' claim ('iss') must be an Integer");
        }
        let now = Utc::now().timestamp();
        match claims["exp"].as_i64() {
            Some(exp) if exp <= now => Err("'Expiration time' claim ('exp') must be in the future"),
            Some(exp) if exp > now + 660 => {
                Err("'Expiration time' claim ('exp') is too far in the future")
            }
            Some(_) => Ok(()),
            None => Err(UNDECODABLE),
        }
    }
}

// ---------------------------------------------------------------------------
// Requests and responses.

/// What a handler gets: the path's parameters (percent-decoded), the query,
/// the URI as received (for `Link`), the body.
struct Req {
    params: HashMap<String, String>,
    query: HashMap<String, String>,
    uri: Uri,
    body: Bytes,
    /// The credential after `Bearer ` or `token `.
    bearer: Option<String>,
}

impl Req {
    fn param(&self, key: &str) -> &str {
        &self.params[key]
    }

    /// A numeric path parameter; anything else is not found, as on GitHub.
    fn number(&self, key: &str) -> Result<u64, Fail> {
        self.param(key).parse().map_err(|_| not_found())
    }

    fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }

    /// The body as JSON (none is `{}`), or GitHub's 400.
    fn json(&self) -> Result<Value, Fail> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body).map_err(|_| fail(400, "Problems parsing JSON"))
    }
}

/// An error answer (boxed: a `Response` is large).
struct Fail(Box<Response>);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        *self.0
    }
}

type Answer = Result<Response, Fail>;

fn fail(status: u16, message: &str) -> Fail {
    let body = json!({"message": message, "documentation_url": "https://docs.github.com/rest"});
    let status = StatusCode::from_u16(status).expect("an HTTP status");
    Fail(Box::new((status, Json(body)).into_response()))
}

fn not_found() -> Fail {
    fail(404, "Not Found")
}

/// GitHub's 422: `Validation Failed`, naming the field.
fn invalid(resource: &str, field: &str, code: &str) -> Fail {
    let body = json!({
        "message": "Validation Failed",
        "errors": [{"resource": resource, "field": field, "code": code}],
        "documentation_url": "https://docs.github.com/rest",
    });
    Fail(Box::new(
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response(),
    ))
}

/// What a proxy in front of GitHub answers when GitHub does not.
fn proxy_page(status: u16) -> Response {
    let code = StatusCode::from_u16(status).expect("an HTTP status");
    let reason = code.canonical_reason().unwrap_or("Error");
    let page = format!("<html><body><h1>{status} {reason}</h1></body></html>\n");
    (code, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

fn fault_response(status: u16, body: Option<&Value>) -> Response {
    let code = StatusCode::from_u16(status).expect("an HTTP status");
    if let Some(b) = body {
        return (code, Json(b.clone())).into_response();
    }
    let message = match status {
        502..=504 => return proxy_page(status),
        403 | 429 => {
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        }
        500 => "Server Error",
        _ => code.canonical_reason().unwrap_or("Error"),
    };
    let mut r = fail(status, message).into_response();
    if matches!(status, 403 | 429) {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

fn ok(v: Value) -> Answer {
    Ok(Json(v).into_response())
}

fn created(v: Value) -> Answer {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Names from `["a", …]` or `[{"name": "a"}, …]`.
fn names(v: &Value) -> Vec<String> {
    let items = v.as_array().map_or(&[][..], Vec::as_slice);
    let name = |x: &Value| x.as_str().or_else(|| x["name"].as_str()).map(str::to_owned);
    items.iter().filter_map(name).collect()
}

fn check_length(text: Option<&str>) -> Result<(), Fail> {
    match text {
        Some(t) if t.chars().count() > BODY_LIMIT => Err(invalid("Issue", "body", "custom")),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The server.

/// Sets a flag that stops the server when the last handle is dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn bind() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener
        .set_nonblocking(true)
        .expect("a non-blocking socket");
    let origin = format!("http://{}", listener.local_addr().expect("a local address"));
    (listener, origin)
}

/// Serves `app` from a thread with a runtime of its own until the returned
/// guard is dropped (and open connections close).
fn spawn(listener: std::net::TcpListener, app: Router) -> StopOnDrop {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            let stopped = async move {
                while !flag.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await;
        });
    });
    StopOnDrop(stop)
}

/// Waits out the latency, screens the request (see [`Hub::screen`]), and
/// logs it with the status it got.
async fn gate(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let at = SystemTime::now();
    let latency = lock(&s).latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let screened = lock(&s).screen(&method, &path, req.headers());
    let response = match screened {
        Some(r) => r,
        None => next.run(req).await,
    };
    let status = response.status().as_u16();
    lock(&s).log.push(LoggedRequest {
        method,
        path,
        status,
        at,
    });
    response
}

type Op = fn(&mut Hub, &Req) -> Answer;

/// Rows of `METHOD "path" => handler`: a router calling `Hub::handler`.
macro_rules! routes {
    ($($method:ident $path:literal => $op:ident,)*) => {
        Router::new()$(.route($path, endpoint(MethodFilter::$method, Hub::$op)))*
    };
}

/// The endpoints, below the base; the gate has checked the token and the
/// repository before a handler runs.
fn github_routes() -> Router<Shared> {
    routes! {
        GET "/repos/{o}/{r}/actions/workflows/{workflow}/runs" => list_runs,
        GET "/repos/{o}/{r}/actions/runs/{id}" => get_run,
        GET "/repos/{o}/{r}/actions/runs/{id}/jobs" => list_jobs,
        POST "/repos/{o}/{r}/actions/runs/{id}/rerun-failed-jobs" => rerun_failed,
        POST "/repos/{o}/{r}/actions/runs/{id}/deployment_protection_rule" => protect,
        GET "/repos/{o}/{r}/commits/{ref}" => get_commit,
        GET "/repos/{o}/{r}/commits/{ref}/pulls" => commit_pulls,
        GET "/repos/{o}/{r}/commits/{ref}/status" => combined_status,
        GET "/repos/{o}/{r}/commits/{ref}/statuses" => list_statuses,
        POST "/repos/{o}/{r}/statuses/{sha}" => create_status,
        GET "/repos/{o}/{r}/compare/{basehead}" => compare,
        GET "/repos/{o}/{r}/branches/{branch}" => get_branch,
        GET "/repos/{o}/{r}/contents/{*path}" => contents,
        GET "/repos/{o}/{r}/pulls/{n}" => get_pull,
        GET "/repos/{o}/{r}/pulls/{n}/files" => pull_files,
        GET "/repos/{o}/{r}/issues" => list_issues,
        POST "/repos/{o}/{r}/issues" => post_issue,
        GET "/repos/{o}/{r}/issues/{n}" => get_issue,
        PATCH "/repos/{o}/{r}/issues/{n}" => update_issue,
        GET "/repos/{o}/{r}/issues/{n}/comments" => list_comments,
        POST "/repos/{o}/{r}/issues/{n}/comments" => post_comment,
        POST "/repos/{o}/{r}/issues/{n}/labels" => add_labels,
        DELETE "/repos/{o}/{r}/issues/{n}/labels/{name}" => remove_label,
        GET "/repos/{o}/{r}/issues/{n}/events" => list_events,
        GET "/repos/{o}/{r}/labels/{name}" => get_label,
        POST "/repos/{o}/{r}/labels" => create_label,
        GET "/orgs/{org}/teams/{team}/memberships/{user}" => membership,
        GET "/app" => get_app,
        GET "/user" => get_user,
        GET "/app/hook/deliveries" => list_deliveries,
        POST "/app/hook/deliveries/{id}/attempts" => redeliver,
        GET "/repos/{o}/{r}/actions/runs" => list_repo_runs,
        GET "/repos/{o}/{r}/actions/runs/{id}/pending_deployments" => pending_deployments,
        POST "/app/installations/{id}/access_tokens" => installation_token,
    }
}

/// Routes `method` to `op`, run on the locked state. (Paths that take
/// several methods get one `route` call each; axum merges them.)
fn endpoint(method: MethodFilter, op: Op) -> MethodRouter<Shared> {
    let handler = move |State(s): State<Shared>,
                        params: RawPathParams,
                        OriginalUri(uri): OriginalUri,
                        headers: HeaderMap,
                        body: Bytes| async move {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("token "))
            })
            .map(|v| v.trim().to_owned());
        let params = params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let query = Query::try_from_uri(&uri)
            .map(|Query(q)| q)
            .unwrap_or_default();
        let req = Req {
            params,
            query,
            uri,
            body,
            bearer,
        };
        op(&mut lock(&s), &req)
    };
    on(method, handler)
}

// The handlers.
impl Hub {
    /// Newest first; filters on `branch`, `event`, `head_sha` and `status`
    /// (a status or a conclusion, as GitHub takes either).
    fn list_runs(&mut self, req: &Req) -> Answer {
        let w = self.workflow(req.param("workflow")).ok_or_else(not_found)?;
        let wanted = |key: &str, value: &str| req.query(key).is_none_or(|v| v == value);
        let runs = self.runs.values().rev().filter(|r| {
            let status = req.query("status");
            r.workflow == w
                && wanted("branch", &r.head_branch)
                && wanted("event", &r.event)
                && wanted("head_sha", &r.head_sha)
                && status.is_none_or(|s| s == r.status || r.conclusion.as_deref() == Some(s))
        });
        let runs = runs.map(|r| self.run_json(r)).collect();
        self.paged(req, runs, Some("workflow_runs"))
    }

    fn get_run(&mut self, req: &Req) -> Answer {
        let run = self.runs.get(&req.number("id")?).ok_or_else(not_found)?;
        ok(self.run_json(run))
    }

    /// `filter=latest` (the default): the current attempt's jobs; `all`:
    /// every attempt's.
    fn list_jobs(&mut self, req: &Req) -> Answer {
        let run = self.runs.get(&req.number("id")?).ok_or_else(not_found)?;
        let all = req.query("filter") == Some("all");
        let jobs = run
            .jobs
            .iter()
            .filter(|j| all || j.attempt == run.run_attempt);
        let jobs = jobs.map(|j| self.job_json(run, j)).collect();
        self.paged(req, jobs, Some("jobs"))
    }

    /// Starts the next attempt: failed jobs are queued again, the others
    /// carried over as they were; the bot becomes the triggering actor.
    fn rerun_failed(&mut self, req: &Req) -> Answer {
        let (id, now) = (req.number("id")?, self.now());
        let run = self.runs.get(&id).ok_or_else(not_found)?;
        if run.status != "completed" {
            return Err(fail(403, "This workflow is already running"));
        }
        let attempt = run.run_attempt;
        let previous: Vec<Job> = run
            .jobs
            .iter()
            .filter(|j| j.attempt == attempt)
            .cloned()
            .collect();
        let mut again = Vec::new();
        for mut job in previous {
            job.id = self.id();
            job.attempt = attempt + 1;
            let passed = matches!(
                job.conclusion.as_deref(),
                Some("success" | "skipped" | "neutral")
            );
            if !passed {
                job = Job::new(job.id, &job.name, attempt + 1, None, now);
                job.status = "queued".to_owned();
            }
            again.push(job);
        }
        let bot = self.config.bot_login.clone();
        let run = self.runs.get_mut(&id).expect("found above");
        run.run_attempt += 1;
        (run.status, run.conclusion) = ("queued".to_owned(), None);
        (run.updated_at, run.run_started_at) = (now, now);
        run.triggering_actor = bot;
        run.jobs.extend(again);
        self.reruns.push(id);
        created(json!({}))
    }

    /// Records an answer to a deployment protection rule.
    fn protect(&mut self, req: &Req) -> Answer {
        let (id, body) = (req.number("id")?, req.json()?);
        self.runs.get(&id).ok_or_else(not_found)?;
        let rule = "DeploymentProtectionRule";
        let state = body["state"]
            .as_str()
            .filter(|s| matches!(*s, "approved" | "rejected"));
        let state = state.ok_or_else(|| invalid(rule, "state", "invalid"))?;
        let env = body["environment_name"].as_str().filter(|e| !e.is_empty());
        let env = env.ok_or_else(|| invalid(rule, "environment_name", "missing_field"))?;
        if let Some(waiting) = self.pending.get_mut(&id) {
            waiting.retain(|e| e != env);
        }
        self.protection.push(ProtectionResponse {
            run_id: id,
            environment: env.to_owned(),
            state: state.to_owned(),
            comment: body["comment"].as_str().unwrap_or("").to_owned(),
        });
        Ok(StatusCode::NO_CONTENT.into_response())
    }

    fn get_commit(&mut self, req: &Req) -> Answer {
        let sha = self.resolve_or_422(req.param("ref"))?;
        ok(self.commit_json(&self.commits[&sha]))
    }

    /// Pull requests whose head or merge commit is the commit.
    fn commit_pulls(&mut self, req: &Req) -> Answer {
        let sha = self.resolve_or_422(req.param("ref"))?;
        let merged_as = |p: &Pull| p.merge_commit_sha.as_ref() == Some(&sha);
        let pulls = self
            .pulls
            .values()
            .filter(|p| p.head_sha == sha || merged_as(p));
        let pulls = pulls.map(|p| self.pull_json(p)).collect();
        self.paged(req, pulls, None)
    }

    fn create_status(&mut self, req: &Req) -> Answer {
        let body = req.json()?;
        let sha = self.resolve_or_422(req.param("sha"))?;
        let states = ["error", "failure", "pending", "success"];
        let state = body["state"].as_str().filter(|s| states.contains(s));
        let state = state.ok_or_else(|| invalid("Status", "state", "custom"))?;
        let text = |key: &str| body[key].as_str().map(str::to_owned);
        let status = Status {
            id: self.id(),
            sha,
            status: CommitStatus {
                state: state.to_owned(),
                context: text("context").unwrap_or_else(|| "default".to_owned()),
                description: text("description"),
                target_url: text("target_url"),
            },
            created_at: self.now(),
        };
        let v = self.status_json(&status);
        self.statuses.push(status);
        created(v)
    }

    /// The latest status of each context, summed up: `failure` if any
    /// failed or errored, else `pending` if any is pending or there is none.
    fn combined_status(&mut self, req: &Req) -> Answer {
        let sha = self.resolve_or_422(req.param("ref"))?;
        let mut latest: BTreeMap<&str, &Status> = BTreeMap::new();
        for s in self.statuses.iter().filter(|s| s.sha == sha) {
            latest.insert(&s.status.context, s);
        }
        let states: Vec<&str> = latest.values().map(|s| s.status.state.as_str()).collect();
        let state = if states.iter().any(|s| matches!(*s, "failure" | "error")) {
            "failure"
        } else if states.is_empty() || states.contains(&"pending") {
            "pending"
        } else {
            "success"
        };
        let statuses: Vec<Value> = latest.values().map(|s| self.status_json(s)).collect();
        let total = statuses.len();
        ok(json!({"state": state, "sha": sha, "total_count": total, "statuses": statuses}))
    }

    /// Newest first.
    fn list_statuses(&mut self, req: &Req) -> Answer {
        let sha = self.resolve_or_422(req.param("ref"))?;
        let of_sha = self.statuses.iter().rev().filter(|s| s.sha == sha);
        let statuses = of_sha.map(|s| self.status_json(s)).collect();
        self.paged(req, statuses, None)
    }

    /// `BASE...HEAD` from the ancestry the fake holds.
    fn compare(&mut self, req: &Req) -> Answer {
        let basehead = req.param("basehead");
        let (base, head) = basehead.split_once("...").ok_or_else(not_found)?;
        let base = self.resolve(base).ok_or_else(not_found)?;
        let head = self.resolve(head).ok_or_else(not_found)?;
        let (from_base, from_head) = (self.ancestors(&base), self.ancestors(&head));
        let ahead = from_head.difference(&from_base);
        let mut ahead: Vec<&Commit> = ahead.map(|c| &self.commits[c]).collect();
        ahead.sort_by_key(|c| self.ancestors(&c.sha).len());
        let behind_by = from_base.difference(&from_head).count();
        let status = match (ahead.len(), behind_by) {
            (0, 0) => "identical",
            (_, 0) => "ahead",
            (0, _) => "behind",
            _ => "diverged",
        };
        let common = from_head.intersection(&from_base);
        let merge_base = common.max_by_key(|c| self.ancestors(c).len());
        ok(json!({
            "status": status,
            "ahead_by": ahead.len(),
            "behind_by": behind_by,
            "total_commits": ahead.len(),
            "base_commit": {"sha": base},
            "merge_base_commit": {"sha": merge_base},
            "commits": ahead.iter().map(|c| self.commit_json(c)).collect::<Vec<_>>(),
            "html_url": self.html(&format!("compare/{basehead}")),
        }))
    }

    fn get_branch(&mut self, req: &Req) -> Answer {
        let branch = req.param("branch");
        let sha = self.branches.get(branch);
        let sha = sha.ok_or_else(|| fail(404, "Branch not found"))?;
        ok(json!({"name": branch, "commit": {"sha": sha}, "protected": false}))
    }

    /// A file at `ref` (default `main`): what was stored for that ref, or
    /// for the commit a branch points at; base64 in lines of 60 characters,
    /// as GitHub sends it.
    fn contents(&mut self, req: &Req) -> Answer {
        let path = req.param("path").to_owned();
        let r = req.query("ref").unwrap_or(DEFAULT_BRANCH);
        let keys = [Some(r.to_owned()), self.resolve(r)];
        let text = keys
            .into_iter()
            .flatten()
            .find_map(|k| self.contents.get(&(k, path.clone())));
        let text = text.ok_or_else(not_found)?;
        let encoded = STANDARD.encode(text);
        let lines = encoded.as_bytes().chunks(60);
        let content: String = lines
            .map(|line| format!("{}\n", std::str::from_utf8(line).expect("base64 is ASCII")))
            .collect();
        ok(json!({
            "type": "file",
            "encoding": "base64",
            "name": path.rsplit('/').next(),
            "path": path,
            "sha": fake_sha(text),
            "size": text.len(),
            "content": content,
            "html_url": self.html(&format!("blob/{r}/{path}")),
        }))
    }

    fn get_pull(&mut self, req: &Req) -> Answer {
        let pull = self.pulls.get(&req.number("n")?).ok_or_else(not_found)?;
        ok(self.pull_json(pull))
    }

    fn pull_files(&mut self, req: &Req) -> Answer {
        let pull = self.pulls.get(&req.number("n")?).ok_or_else(not_found)?;
        let files = pull.files.iter().map(|f| file_json(f)).collect();
        self.paged(req, files, None)
    }

    /// Newest first; `state` (default `open`, or `closed`, `all`) and
    /// `labels` (all of them, compared without case).
    fn list_issues(&mut self, req: &Req) -> Answer {
        let state = req.query("state").unwrap_or("open");
        let labels = req.query("labels").unwrap_or("").split(',').map(str::trim);
        let labels: Vec<&str> = labels.filter(|l| !l.is_empty()).collect();
        let creator = req.query("creator");
        let issues = self.issues.values().rev().filter(|i| {
            (state == "all" || i.state == state)
                && labels.iter().all(|l| i.has_label(l).is_some())
                && creator.is_none_or(|c| c.eq_ignore_ascii_case(&i.user))
        });
        let issues = issues.map(|i| self.issue_json(i)).collect();
        self.paged(req, issues, None)
    }

    /// Opens an issue, creating missing labels. A second issue with the same
    /// title is a second issue, as on GitHub.
    fn post_issue(&mut self, req: &Req) -> Answer {
        let body = req.json()?;
        let title = body["title"].as_str().filter(|t| !t.trim().is_empty());
        let title = title.ok_or_else(|| invalid("Issue", "title", "missing_field"))?;
        check_length(body["body"].as_str())?;
        let bot = self.config.bot_login.clone();
        let n = self.create_issue(title, body["body"].as_str(), &bot);
        for label in names(&body["labels"]) {
            self.label_issue(n, &label, &bot)?;
        }
        self.issue_mut(n)?.assignees = names(&body["assignees"]);
        created(self.issue_json(&self.issues[&n]))
    }

    fn get_issue(&mut self, req: &Req) -> Answer {
        let issue = self.issues.get(&req.number("n")?).ok_or_else(not_found)?;
        ok(self.issue_json(issue))
    }

    /// Changes `title`, `body`, `state`, `state_reason`, `assignees` and
    /// `labels` (replaced, with label events).
    fn update_issue(&mut self, req: &Req) -> Answer {
        let (n, body) = (req.number("n")?, req.json()?);
        let state = body["state"].as_str();
        if state.is_some_and(|s| !matches!(s, "open" | "closed")) {
            return Err(invalid("Issue", "state", "invalid"));
        }
        let reason = body["state_reason"].as_str();
        if reason.is_some_and(|r| !matches!(r, "completed" | "not_planned" | "reopened")) {
            return Err(invalid("Issue", "state_reason", "invalid"));
        }
        let title = body
            .get("title")
            .map(|t| t.as_str().filter(|t| !t.trim().is_empty()));
        if title == Some(None) {
            return Err(invalid("Issue", "title", "missing_field"));
        }
        check_length(body["body"].as_str())?;
        let (bot, now) = (self.config.bot_login.clone(), self.now());
        let issue = self.issue_mut(n)?;
        issue.updated_at = now;
        if let Some(Some(t)) = title {
            issue.title = t.to_owned();
        }
        if let Some(b) = body.get("body") {
            issue.body = b.as_str().map(str::to_owned);
        }
        if let Some(a) = body.get("assignees") {
            issue.assignees = names(a);
        }
        if let Some(labels) = body.get("labels") {
            let wanted = names(labels);
            let kept = |l: &&String| wanted.iter().any(|w| w.eq_ignore_ascii_case(l));
            let stale: Vec<String> = issue.labels.iter().filter(|l| !kept(l)).cloned().collect();
            for l in stale {
                self.unlabel_issue(n, &l, &bot)?;
            }
            for l in wanted {
                self.label_issue(n, &l, &bot)?;
            }
        }
        if state.is_some() || reason.is_some() {
            let state = state.map_or_else(|| self.issues[&n].state.clone(), str::to_owned);
            self.set_issue_state(n, &state, reason, &bot)?;
        }
        ok(self.issue_json(&self.issues[&n]))
    }

    /// Oldest first.
    fn list_comments(&mut self, req: &Req) -> Answer {
        let n = req.number("n")?;
        let issue = self.issues.get(&n).ok_or_else(not_found)?;
        let comments = issue
            .comments
            .iter()
            .map(|c| self.comment_json(n, c))
            .collect();
        self.paged(req, comments, None)
    }

    fn post_comment(&mut self, req: &Req) -> Answer {
        let (n, body) = (req.number("n")?, req.json()?);
        let text = body["body"].as_str().filter(|b| !b.trim().is_empty());
        let text = text.ok_or_else(|| invalid("IssueComment", "body", "missing_field"))?;
        check_length(Some(text))?;
        let bot = self.config.bot_login.clone();
        created(self.comment(n, text, &bot)?)
    }

    fn labels_of(&self, n: u64) -> Answer {
        let issue = self.issues.get(&n).ok_or_else(not_found)?;
        ok(issue.labels.iter().map(|l| self.label_json(l)).collect())
    }

    /// Takes `{"labels": [...]}` or a bare array, as GitHub does; answers
    /// with all of the issue's labels.
    fn add_labels(&mut self, req: &Req) -> Answer {
        let (n, body) = (req.number("n")?, req.json()?);
        let labels = names(if body.is_array() {
            &body
        } else {
            &body["labels"]
        });
        self.issue_mut(n)?;
        let bot = self.config.bot_login.clone();
        for l in labels {
            self.label_issue(n, &l, &bot)?;
        }
        self.labels_of(n)
    }

    /// Answers with the labels left.
    fn remove_label(&mut self, req: &Req) -> Answer {
        let n = req.number("n")?;
        let bot = self.config.bot_login.clone();
        self.unlabel_issue(n, req.param("name"), &bot)?;
        self.labels_of(n)
    }

    /// Oldest first.
    fn list_events(&mut self, req: &Req) -> Answer {
        let issue = self.issues.get(&req.number("n")?).ok_or_else(not_found)?;
        let events = issue.events.iter().map(|e| self.event_json(e)).collect();
        self.paged(req, events, None)
    }

    fn get_label(&mut self, req: &Req) -> Answer {
        let label = self.label(req.param("name")).ok_or_else(not_found)?;
        ok(self.label_json(&label.name))
    }

    fn create_label(&mut self, req: &Req) -> Answer {
        let body = req.json()?;
        let name = body["name"].as_str().filter(|n| !n.trim().is_empty());
        let name = name.ok_or_else(|| invalid("Label", "name", "missing_field"))?;
        let color = body["color"]
            .as_str()
            .unwrap_or("ededed")
            .trim_start_matches('#');
        if color.len() != 6 || !color.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid("Label", "color", "invalid"));
        }
        if self.label(name).is_some() {
            return Err(invalid("Label", "name", "already_exists"));
        }
        self.ensure_label(name);
        let label = self.labels.last_mut().expect("just added");
        label.color = color.to_lowercase();
        label.description = body["description"].as_str().map(str::to_owned);
        created(self.label_json(name))
    }

    fn membership(&mut self, req: &Req) -> Answer {
        let team = (
            req.param("org").to_lowercase(),
            req.param("team").to_lowercase(),
        );
        let login = req.param("user").to_lowercase();
        if !self.teams.get(&team).is_some_and(|m| m.contains(&login)) {
            return Err(not_found());
        }
        ok(json!({"role": "member", "state": "active"}))
    }

    /// Newest first, paged.
    fn list_deliveries(&mut self, req: &Req) -> Answer {
        let items = self.deliveries.iter().rev().map(|d| {
            json!({
                "id": d.id,
                "guid": d.guid,
                "delivered_at": ts(d.delivered_at),
                "redelivery": d.redelivery,
                "duration": 0.1,
                "status": if d.status_code == 0 { "Pending".to_owned() } else { d.status_code.to_string() },
                "status_code": d.status_code,
                "event": d.event,
                "action": d.action,
                "installation_id": self.config.app.map(|(_, i)| i),
                "repository_id": 1,
            })
        });
        let items = items.collect();
        self.paged(req, items, None)
    }

    /// Records the request; the new attempt is pending (status 0).
    fn redeliver(&mut self, req: &Req) -> Answer {
        let id = req.number("id")?;
        let d = self
            .deliveries
            .iter()
            .find(|d| d.id == id)
            .ok_or_else(not_found)?;
        let mut again = d.clone();
        again.id = self.id();
        again.redelivery = true;
        again.status_code = 0;
        again.delivered_at = self.now();
        self.deliveries.push(again);
        self.redeliveries.push(id);
        Ok((StatusCode::ACCEPTED, Json(json!({}))).into_response())
    }

    /// The repository's runs, newest first; filters on `status`.
    fn list_repo_runs(&mut self, req: &Req) -> Answer {
        let status = req.query("status");
        let runs =
            self.runs.values().rev().filter(|r| {
                status.is_none_or(|s| s == r.status || r.conclusion.as_deref() == Some(s))
            });
        let runs = runs.map(|r| self.run_json(r)).collect();
        self.paged(req, runs, Some("workflow_runs"))
    }

    fn pending_deployments(&mut self, req: &Req) -> Answer {
        let id = req.number("id")?;
        self.runs.get(&id).ok_or_else(not_found)?;
        let envs = self.pending.get(&id).cloned().unwrap_or_default();
        let items: Vec<Value> = envs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                json!({
                    "environment": {"id": i + 1, "name": e},
                    "wait_timer": 0,
                    "current_user_can_approve": false,
                    "reviewers": [],
                })
            })
            .collect();
        ok(Value::Array(items))
    }

    /// The token's user: the bot for the personal token; an installation
    /// token is refused, as GitHub refuses it.
    fn get_user(&mut self, req: &Req) -> Answer {
        if req.bearer.as_deref() == Some(self.config.token.as_str()) {
            return ok(user(&self.config.bot_login));
        }
        Err(fail(403, "Resource not accessible by integration"))
    }

    fn get_app(&mut self, _: &Req) -> Answer {
        let (id, _) = self.config.app.expect("the gate checked the JWT");
        let slug = self.config.bot_login.trim_end_matches("[bot]");
        ok(json!({"id": id, "slug": slug, "name": slug, "owner": user(&self.config.owner)}))
    }

    /// Exchanges the App's JWT for an installation token valid for an hour.
    fn installation_token(&mut self, req: &Req) -> Answer {
        let (_, installation) = self.config.app.expect("the gate checked the JWT");
        if req.number("id")? != installation {
            return Err(not_found());
        }
        self.tokens_issued += 1;
        let seed = format!("installation token {}", self.tokens_issued);
        let token = format!("ghs_{}", &fake_sha(&seed)[..36]);
        self.tokens.insert(token.clone());
        created(json!({
            "token": token,
            "expires_at": ts(Utc::now() + chrono::Duration::hours(1)),
            "permissions": {
                "actions": "write", "contents": "read", "deployments": "write",
                "issues": "write", "members": "read", "metadata": "read",
                "pull_requests": "read", "statuses": "write",
            },
            "repository_selection": "selected",
        }))
    }
}

// ---------------------------------------------------------------------------
// The fake Slack.

/// The incoming webhook's path.
const SLACK_PATH: &str = "/services/T000/B000/XXXX";

/// A fake Slack incoming webhook that records the JSON messages posted to
/// its one URL; clones share one server.
#[derive(Clone)]
pub struct FakeSlack {
    url: String,
    state: Arc<Mutex<Slack>>,
    _stop: Arc<StopOnDrop>,
}

#[derive(Default)]
struct Slack {
    messages: Vec<Value>,
    /// `(status, times)` to answer with before accepting messages again.
    fault: Option<(u16, usize)>,
}

impl FakeSlack {
    pub fn start() -> FakeSlack {
        let (listener, origin) = bind();
        let state = Arc::new(Mutex::new(Slack::default()));
        let app = Router::new().fallback(slack_hook).with_state(state.clone());
        let stop = Arc::new(spawn(listener, app));
        let url = format!("{origin}{SLACK_PATH}");
        FakeSlack {
            url,
            state,
            _stop: stop,
        }
    }

    /// The webhook URL, `http://127.0.0.1:PORT/services/T000/B000/XXXX`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    fn slack(&self) -> MutexGuard<'_, Slack> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The messages accepted, in order.
    pub fn messages(&self) -> Vec<Value> {
        self.slack().messages.clone()
    }

    /// The `text` of each message accepted (empty when it had only blocks).
    pub fn texts(&self) -> Vec<String> {
        let text = |m: &Value| m["text"].as_str().unwrap_or("").to_owned();
        self.slack().messages.iter().map(text).collect()
    }

    /// Answers the next `times` posts with `status` and Slack's error for it
    /// (`rate_limited` with `retry-after: 1` for 429).
    pub fn fail_next(&self, status: u16, times: usize) {
        self.slack().fault = Some((status, times));
    }
}

/// `POST` JSON with `text` or `blocks` → `ok`; Slack's plain-text errors
/// otherwise.
async fn slack_hook(
    State(s): State<Arc<Mutex<Slack>>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let answer = |status: u16, text: &'static str| {
        let mut r = (StatusCode::from_u16(status).expect("an HTTP status"), text).into_response();
        if status == 429 {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    };
    if method != Method::POST || uri.path() != SLACK_PATH {
        return answer(404, "no_service");
    }
    let mut slack = s.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((status, times)) = slack.fault {
        slack.fault = (times > 1).then_some((status, times - 1));
        let text = match status {
            400 => "invalid_payload",
            403 => "action_prohibited",
            404 => "no_service",
            410 => "channel_is_archived",
            429 => "rate_limited",
            _ => "internal_error",
        };
        return answer(status, text);
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return answer(400, "invalid_payload");
    };
    if !message["text"].is_string() && !message["blocks"].is_array() {
        return answer(400, "no_text");
    }
    slack.messages.push(message);
    answer(200, "ok")
}
