//! The GitHub endpoints the bot reads and writes, typed, on the shared
//! client of `depgraph::github` (which waits out rate limits, retries what
//! is safe to retry, and keeps tokens out of errors).

use chrono::{DateTime, Utc};
use github_client::{self as github, Client, Issue, IssueUpdate, Method, NewIssue, Repo};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Runs read per workflow by a pass: enough to find the latest success and
/// the latest failure of a job that runs a few times a day.
const RECENT_RUNS: u32 = 30;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct User {
    pub login: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct PrRef {
    pub number: u64,
}

/// A workflow run, as GitHub sends it in lists and in `workflow_run`
/// events.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Run {
    pub id: u64,
    pub run_number: u64,
    #[serde(default = "one")]
    pub run_attempt: u64,
    pub head_sha: String,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pull_requests: Vec<PrRef>,
    #[serde(default)]
    pub actor: Option<User>,
    #[serde(default)]
    pub triggering_actor: Option<User>,
    /// What triggered the run: `push`, `schedule`, `pull_request`, ...
    #[serde(default)]
    pub event: Option<String>,
    /// The repository the run's commit came from: a fork's for pull
    /// requests from forks.
    #[serde(default)]
    pub head_repository: Option<RepoRef>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct RepoRef {
    pub full_name: String,
}

impl Run {
    /// When the run finished (or was last touched), for deadlines.
    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.updated_at.or(self.created_at)
    }
}

fn one() -> u64 {
    1
}

#[derive(Clone, Debug, Deserialize)]
pub struct JobRun {
    pub name: String,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Sha {
    pub sha: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Pull {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub html_url: Option<String>,
    pub user: User,
    pub base: Sha,
    #[serde(default)]
    pub merge_commit_sha: Option<String>,
    #[serde(default)]
    pub merged_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PullFile {
    pub filename: String,
    #[serde(default)]
    pub previous_filename: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Commit {
    pub sha: String,
    #[serde(default)]
    pub author: Option<User>,
    #[serde(default)]
    pub files: Vec<PullFile>,
    #[serde(default)]
    pub parents: Vec<Sha>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Comment {
    #[serde(default)]
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
}

impl Comment {
    pub fn by(&self, login: &str) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.login.eq_ignore_ascii_case(login))
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabelRef {
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct IssueEvent {
    pub id: u64,
    pub event: String,
    #[serde(default)]
    pub actor: Option<User>,
    #[serde(default)]
    pub label: Option<LabelRef>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// A webhook delivery of the App, as `GET /app/hook/deliveries` lists it.
#[derive(Clone, Debug, Deserialize)]
pub struct HookDelivery {
    pub id: u64,
    pub guid: String,
    pub delivered_at: DateTime<Utc>,
    #[serde(default)]
    pub redelivery: bool,
    #[serde(default)]
    pub status_code: u16,
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub repository_id: Option<u64>,
}

/// The repository's endpoints.
pub struct Api {
    pub gh: Client,
    pub repo: Repo,
}

impl Api {
    fn path(&self, rest: &str) -> String {
        format!("/repos/{}/{}/{rest}", self.repo.owner, self.repo.name)
    }

    /// The latest completed runs of a workflow on a branch, newest first.
    pub async fn recent_runs(&self, workflow: &str, branch: &str) -> anyhow::Result<Vec<Run>> {
        #[derive(Deserialize)]
        struct Runs {
            workflow_runs: Vec<Run>,
        }
        let path = self.path(&format!(
            "actions/workflows/{}/runs?branch={}&status=completed&per_page={RECENT_RUNS}",
            enc(workflow),
            enc(branch)
        ));
        let runs: Runs = self.gh.get(&path).await?;
        Ok(runs.workflow_runs)
    }

    /// The jobs of a run's latest attempt.
    pub async fn jobs(&self, run_id: u64) -> anyhow::Result<Vec<JobRun>> {
        let path = self.path(&format!(
            "actions/runs/{run_id}/jobs?filter=latest&per_page=100"
        ));
        Ok(self
            .gh
            .get_pages(&path, |mut v| v.get_mut("jobs").map(Value::take))
            .await?)
    }

    pub async fn rerun_failed_jobs(&self, run_id: u64) -> anyhow::Result<()> {
        let path = self.path(&format!("actions/runs/{run_id}/rerun-failed-jobs"));
        self.gh.call(Method::Post, &path, Some(&json!({}))).await?;
        Ok(())
    }

    /// The pull requests that brought a commit.
    pub async fn pulls_of_commit(&self, sha: &str) -> anyhow::Result<Vec<Pull>> {
        Ok(self
            .gh
            .get(&self.path(&format!("commits/{sha}/pulls")))
            .await?)
    }

    pub async fn pull(&self, number: u64) -> anyhow::Result<Pull> {
        Ok(self.gh.get(&self.path(&format!("pulls/{number}"))).await?)
    }

    /// Every file a pull request changed (all pages).
    pub async fn pull_files(&self, number: u64) -> anyhow::Result<Vec<PullFile>> {
        let path = self.path(&format!("pulls/{number}/files?per_page=100"));
        Ok(self.gh.get_pages(&path, Some).await?)
    }

    pub async fn commit(&self, sha: &str) -> anyhow::Result<Commit> {
        Ok(self.gh.get(&self.path(&format!("commits/{sha}"))).await?)
    }

    /// A file's text at a commit, or `None` when it does not exist there.
    pub async fn file_at(&self, path: &str, at: &str) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        struct Content {
            #[serde(default)]
            content: String,
            #[serde(default)]
            encoding: String,
        }
        let url = self.path(&format!("contents/{path}?ref={}", enc(at)));
        let Some(c) = self.gh.get_opt::<Content>(&url).await? else {
            return Ok(None);
        };
        if c.encoding != "base64" {
            anyhow::bail!("GET {url}: expected base64 content, got `{}`", c.encoding);
        }
        use base64::Engine as _;
        let packed: String = c.content.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(packed)
            .map_err(|_| anyhow::anyhow!("GET {url}: the content is not base64"))?;
        Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The bot's own login, as it appears as the author of the issues and
    /// comments it writes: `slug[bot]` for a GitHub App, the token's user
    /// for a personal token, `github-actions[bot]` for the `GITHUB_TOKEN` of
    /// GitHub Actions (which may not read `GET /user`).
    pub async fn me(&self) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct App {
            slug: String,
        }
        if let Some(app) = self.gh.as_app() {
            let a: App = app.get("/app").await?;
            return Ok(format!("{}[bot]", a.slug));
        }
        match self.gh.get::<User>("/user").await {
            Ok(u) => Ok(u.login),
            Err(e)
                if e.status() == Some(403)
                    && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") =>
            {
                Ok("github-actions[bot]".to_owned())
            }
            Err(e) => Err(anyhow::Error::new(e).context(
                "cannot learn the bot's own login (set `bot_login` in the configuration)",
            )),
        }
    }

    /// The bot's issues a pass reads, newest first, deduplicated: every
    /// open issue it opened or that carries `label`, and the last hundred
    /// it opened that were closed. Both lists are asked for, because
    /// people remove labels and GitHub's `creator` filter is the only
    /// label-free way to find an issue; the caller checks each author.
    pub async fn bot_issues(&self, creator: &str, label: &str) -> anyhow::Result<Vec<Issue>> {
        let mine = self.path(&format!(
            "issues?state=open&creator={}&per_page=100",
            enc(creator)
        ));
        let labelled = self.path(&format!(
            "issues?state=open&labels={}&per_page=100",
            enc(label)
        ));
        let closed = self.path(&format!(
            "issues?state=closed&creator={}&sort=updated&direction=desc&per_page=100",
            enc(creator)
        ));
        let mut all: Vec<Issue> = self.gh.get_pages(&mine, Some).await?;
        all.extend(self.gh.get_pages::<Issue, _>(&labelled, Some).await?);
        all.extend(self.gh.get::<Vec<Issue>>(&closed).await?);
        all.retain(|i| i.html_url.as_deref().is_none_or(|u| !u.contains("/pull/")));
        all.sort_by_key(|i| std::cmp::Reverse(i.number));
        all.dedup_by_key(|i| i.number);
        Ok(all)
    }

    pub async fn create_issue(
        &self,
        title: &str,
        body: &str,
        labels: &[&str],
    ) -> anyhow::Result<Issue> {
        Ok(self
            .gh
            .create_issue(
                &self.repo,
                &NewIssue {
                    title,
                    body,
                    labels,
                },
            )
            .await?)
    }

    pub async fn close_issue(&self, number: u64) -> anyhow::Result<()> {
        let update = IssueUpdate {
            state: Some("closed"),
            state_reason: Some("completed"),
            ..IssueUpdate::default()
        };
        self.gh.update_issue(&self.repo, number, &update).await?;
        Ok(())
    }

    pub async fn comments(&self, number: u64) -> anyhow::Result<Vec<Comment>> {
        let path = self.path(&format!("issues/{number}/comments?per_page=100"));
        Ok(self.gh.get_pages(&path, Some).await?)
    }

    pub async fn comment(&self, number: u64, body: &str) -> anyhow::Result<()> {
        Ok(self.gh.add_comment(&self.repo, number, body).await?)
    }

    pub async fn add_label(&self, number: u64, label: &str) -> anyhow::Result<()> {
        let path = self.path(&format!("issues/{number}/labels"));
        self.gh
            .call(Method::Post, &path, Some(&json!({ "labels": [label] })))
            .await?;
        Ok(())
    }

    /// Removes a label from an issue; one it does not carry is no error.
    pub async fn remove_label(&self, number: u64, label: &str) -> anyhow::Result<()> {
        let path = self.path(&format!("issues/{number}/labels/{}", enc(label)));
        match self.gh.call(Method::Delete, &path, None::<&()>).await {
            Ok(_) => Ok(()),
            Err(e) if e.status() == Some(404) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn issue_events(&self, number: u64) -> anyhow::Result<Vec<IssueEvent>> {
        let path = self.path(&format!("issues/{number}/events?per_page=100"));
        Ok(self.gh.get_pages(&path, Some).await?)
    }

    pub async fn branch_head(&self, branch: &str) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct Branch {
            commit: Sha,
        }
        let b: Branch = self
            .gh
            .get(&self.path(&format!("branches/{}", enc(branch))))
            .await?;
        Ok(b.commit.sha)
    }

    /// The state of a status context on a commit, if it has one.
    pub async fn status_of(&self, sha: &str, context: &str) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        struct Combined {
            #[serde(default)]
            statuses: Vec<Status>,
        }
        #[derive(Deserialize)]
        struct Status {
            context: String,
            state: String,
        }
        let c: Combined = self
            .gh
            .get(&self.path(&format!("commits/{sha}/status?per_page=100")))
            .await?;
        Ok(c.statuses
            .into_iter()
            .find(|s| s.context == context)
            .map(|s| s.state))
    }

    pub async fn set_status(
        &self,
        sha: &str,
        state: &str,
        context: &str,
        description: &str,
        target_url: Option<&str>,
    ) -> anyhow::Result<()> {
        // GitHub cuts descriptions at 140 characters.
        let description: String = description.chars().take(140).collect();
        let mut body = json!({ "state": state, "context": context, "description": description });
        if let Some(u) = target_url {
            body["target_url"] = json!(u);
        }
        self.gh
            .call(
                Method::Post,
                &self.path(&format!("statuses/{sha}")),
                Some(&body),
            )
            .await?;
        Ok(())
    }

    /// How `head` relates to `base`: `ahead`, `behind`, `identical` or
    /// `diverged`.
    pub async fn compare(&self, base: &str, head: &str) -> anyhow::Result<String> {
        #[derive(Deserialize)]
        struct Cmp {
            status: String,
        }
        let c: Cmp = self
            .gh
            .get(&self.path(&format!("compare/{base}...{head}?per_page=1")))
            .await?;
        Ok(c.status)
    }

    /// Whether `user` is an active member of `org/slug`.
    pub async fn is_team_member(&self, org: &str, slug: &str, user: &str) -> anyhow::Result<bool> {
        #[derive(Deserialize)]
        struct Membership {
            state: String,
        }
        let path = format!(
            "/orgs/{}/teams/{}/memberships/{}",
            enc(org),
            enc(slug),
            enc(user)
        );
        Ok(self
            .gh
            .get_opt::<Membership>(&path)
            .await?
            .is_some_and(|m| m.state == "active"))
    }

    /// The runs waiting on a deployment (one page: the newest 100).
    pub async fn waiting_runs(&self) -> anyhow::Result<Vec<Run>> {
        #[derive(Deserialize)]
        struct Runs {
            workflow_runs: Vec<Run>,
        }
        let path = self.path("actions/runs?status=waiting&per_page=100");
        let runs: Runs = self.gh.get(&path).await?;
        Ok(runs.workflow_runs)
    }

    /// The environments a run's deployments wait on.
    pub async fn pending_environments(&self, run_id: u64) -> anyhow::Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Pending {
            environment: Env,
        }
        #[derive(Deserialize)]
        struct Env {
            name: String,
        }
        let path = self.path(&format!("actions/runs/{run_id}/pending_deployments"));
        let pending: Vec<Pending> = self.gh.get(&path).await?;
        Ok(pending.into_iter().map(|p| p.environment.name).collect())
    }

    /// The App's webhook deliveries since `since`, newest first, read as
    /// far back as needed (within the page cap). `None` without App
    /// credentials: only an App can list and redeliver.
    pub async fn hook_deliveries(
        &self,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Option<Vec<HookDelivery>>> {
        let Some(app) = self.gh.as_app() else {
            return Ok(None);
        };
        let all: Vec<HookDelivery> = app
            .get_pages_until(
                "/app/hook/deliveries?per_page=100",
                Some,
                |page: &[HookDelivery]| {
                    page.is_empty() || page.iter().any(|d| d.delivered_at < since)
                },
            )
            .await?;
        let all = all
            .into_iter()
            .filter(|d| d.delivered_at >= since)
            .collect();
        Ok(Some(all))
    }

    /// Asks GitHub to deliver a delivery again.
    pub async fn redeliver(&self, id: u64) -> anyhow::Result<()> {
        let app = self
            .gh
            .as_app()
            .ok_or_else(|| anyhow::anyhow!("redelivery needs GitHub App credentials"))?;
        app.call(
            Method::Post,
            &format!("/app/hook/deliveries/{id}/attempts"),
            None::<&()>,
        )
        .await?;
        Ok(())
    }

    /// Answers a deployment protection rule's request.
    pub async fn review_deployment(
        &self,
        run_id: u64,
        environment: &str,
        approve: bool,
        comment: &str,
    ) -> anyhow::Result<()> {
        let path = self.path(&format!("actions/runs/{run_id}/deployment_protection_rule"));
        let state = if approve { "approved" } else { "rejected" };
        // GitHub keeps at most 1,024 characters of the comment.
        let comment: String = comment.chars().take(1024).collect();
        let body = json!({ "environment_name": environment, "state": state, "comment": comment });
        self.gh.call(Method::Post, &path, Some(&body)).await?;
        Ok(())
    }
}

fn enc(s: &str) -> String {
    github::encode_component(s)
}
