//! End-to-end scenarios of `deferred-compliance`: the real binary against
//! a stateful fake GitHub API and a fake Slack webhook, both on loopback
//! (the `fake-services` crate, tools/fake-services). The clock is set with `--now`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::{DateTime, Duration, Utc};
use fake_services::{FakeConfig, FakeGitHub, FakeSlack, PullSpec, RunSpec};
use serde_json::{Value, json};

const TOKEN: &str = "ghp_fakeToken0123456789";
const T0: &str = "2026-11-20T10:00:00Z";

const CODEOWNERS: &str = "\
*               @acme/platform
/src/storage/   @acme/storage @erin
docs/           @acme/docs
";

fn t0() -> DateTime<Utc> {
    T0.parse().unwrap()
}

fn at(hours: i64) -> String {
    (t0() + Duration::hours(hours)).to_rfc3339()
}

/// A repository with a linear history c1..c6 on main: c2 came with pull
/// request #7 by carol (storage and docs files), c3 with #8 by dave, the
/// others were pushed directly. CODEOWNERS is at c1.
struct World {
    gh: FakeGitHub,
    slack: FakeSlack,
    dir: tempfile::TempDir,
    config: PathBuf,
    /// Signs in as the GitHub App rather than with a token.
    app: bool,
}

impl World {
    fn new() -> World {
        World::with_config("")
    }

    fn with_config(extra: &str) -> World {
        World::build(extra, false)
    }

    /// Signed in as the App `compliance-bot` (id 4242, installation 99).
    fn as_app(extra: &str) -> World {
        World::build(extra, true)
    }

    fn build(extra: &str, app: bool) -> World {
        let gh = FakeGitHub::start(FakeConfig {
            app: app.then_some((4242, 99)),
            ..FakeConfig::default()
        });
        let slack = FakeSlack::start();
        gh.add_commit("c1", None, "alice", "initial", &["README.md"]);
        gh.add_commit("c2", Some("c1"), "carol", "storage: new index (#7)", &[]);
        gh.add_commit("c3", Some("c2"), "dave", "api: v2 (#8)", &[]);
        gh.add_commit(
            "c4",
            Some("c3"),
            "dave",
            "fix the suite",
            &["src/api/v2.rs"],
        );
        gh.add_commit("c5", Some("c4"), "erin", "more", &["src/storage/x.rs"]);
        gh.add_commit("c6", Some("c5"), "erin", "more", &["docs/y.md"]);
        gh.set_branch("main", "c6");
        gh.add_file("c1", ".github/CODEOWNERS", CODEOWNERS);
        gh.add_file("c2", ".github/CODEOWNERS", CODEOWNERS);
        gh.add_file("c3", ".github/CODEOWNERS", CODEOWNERS);
        gh.add_pull(PullSpec {
            number: 7,
            author: "carol",
            title: "storage: new index",
            merge_commit_sha: Some("c2"),
            base_sha: "c1",
            head_sha: "p7",
            files: vec!["src/storage/index.rs".into(), "docs/index.md".into()],
            ..PullSpec::default()
        });
        gh.add_pull(PullSpec {
            number: 8,
            author: "dave",
            title: "api: v2",
            merge_commit_sha: Some("c3"),
            base_sha: "c2",
            head_sha: "p8",
            files: vec!["src/api/v2.rs".into()],
            ..PullSpec::default()
        });
        gh.add_team("acme", "release-managers", &["bob"]);
        gh.add_workflow("integration.yml");
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("deferred-compliance.toml");
        std::fs::write(
            &config,
            format!(
                "repository = \"acme/widgets\"\n\
                 exception_approvers = [\"alice\", \"@acme/release-managers\"]\n\
                 {extra}\n\
                 [[job]]\nworkflow = \"integration.yml\"\n\n\
                 [slack_users]\ncarol = \"U0CAROL\"\n"
            ),
        )
        .unwrap();
        World {
            gh,
            slack,
            dir,
            config,
            app,
        }
    }

    fn run(&self, sha: &str, conclusion: &str) -> u64 {
        self.gh.add_run(RunSpec {
            workflow_file: "integration.yml",
            name: "Integration",
            head_sha: sha,
            conclusion: Some(conclusion),
            ..RunSpec::default()
        })
    }

    fn payload(&self, run: u64) -> Value {
        json!({
            "action": "completed",
            "workflow_run": self.gh.run_json(run),
            "workflow": { "path": ".github/workflows/integration.yml" },
            "repository": { "full_name": "acme/widgets" },
        })
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_deferred-compliance"));
        c.args(args)
            .arg("--config")
            .arg(&self.config)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GITHUB_API_URL", self.gh.url())
            .env("SLACK_WEBHOOK_URL", self.slack.url());
        if self.app {
            let key = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/deferred-compliance/test-app-key.pem");
            c.env("GITHUB_APP_ID", "4242")
                .env("GITHUB_APP_INSTALLATION_ID", "99")
                .env("GITHUB_APP_PRIVATE_KEY", key);
        } else {
            c.env("GITHUB_TOKEN", TOKEN);
        }
        c
    }

    fn exec(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    /// `handle-event` of a payload at a time; must succeed.
    fn event(&self, name: &str, payload: &Value, now: &str) -> String {
        let o = self.event_output(name, payload, now);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    }

    fn event_output(&self, name: &str, payload: &Value, now: &str) -> Output {
        let file = self.dir.path().join("event.json");
        std::fs::write(&file, payload.to_string()).unwrap();
        self.exec(&[
            "handle-event",
            "--event-path",
            file.to_str().unwrap(),
            "--event-name",
            name,
            "--now",
            now,
        ])
    }

    fn completed(&self, run: u64, now: &str) -> String {
        self.event("workflow_run", &self.payload(run), now)
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.exec(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        stdout(&o)
    }

    /// `gate` at a time: its exit code and output.
    fn gate(&self, now: &str) -> (i32, String) {
        let o = self.exec(&["gate", "--now", now]);
        (o.status.code().unwrap(), stdout(&o) + &stderr(&o))
    }

    fn open_issues(&self) -> Vec<fake_services::IssueState> {
        self.gh
            .issues()
            .into_iter()
            .filter(|i| i.state == "open")
            .collect()
    }

    /// A deployment waiting on the protection rule: a run of the deploy
    /// workflow, and the event GitHub sends the App for it.
    fn protection_event(&self) -> (u64, Value) {
        let run_id = self.gh.add_run(RunSpec {
            workflow_file: "deploy.yml",
            head_sha: "c6",
            status: Some("waiting"),
            ..RunSpec::default()
        });
        (run_id, self.protection_payload(run_id))
    }

    fn protection_payload(&self, run_id: u64) -> Value {
        json!({
            "action": "requested",
            "environment": "production",
            "event": "push",
            "deployment_callback_url": format!(
                "{}/repos/acme/widgets/actions/runs/{run_id}/deployment_protection_rule",
                self.gh.url()
            ),
            "deployment": { "id": 1, "sha": "c6", "environment": "production" },
            "repository": { "full_name": "acme/widgets" },
        })
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn comments_with(issue: &fake_services::IssueState, needle: &str) -> usize {
    issue.comments.iter().filter(|c| c.contains(needle)).count()
}

#[test]
fn a_failure_opens_one_labelled_issue_a_second_comments_a_success_closes() {
    let w = World::new();
    let r1 = w.run("c2", "failure");
    let out = w.completed(r1, T0);
    assert!(out.contains("opened for run #1"), "{out}");

    let issues = w.gh.issues();
    assert_eq!(issues.len(), 1);
    let i = &issues[0];
    assert_eq!(i.labels, vec!["deferred-compliance"]);
    assert!(i.title.contains("integration.yml"), "{}", i.title);
    // The author of #7 and the owners of its files at its base commit, by
    // CODEOWNERS' last-match rule (`*` is overridden for both files).
    assert!(
        i.body
            .contains("Tagged: @carol @acme/storage @erin @acme/docs (author @carol"),
        "{}",
        i.body
    );
    assert!(!i.body.contains("@acme/platform"), "{}", i.body);
    assert!(
        i.body
            .contains("Deadline: 2026-11-23 10:00 UTC** (in 72 h)"),
        "{}",
        i.body
    );
    assert!(i.body.contains("[`c2`]"), "{}", i.body);
    for how in ["**fix**", "**push**", "**revert**"] {
        assert!(i.body.contains(how), "{}", i.body);
    }
    let marker = i.body.lines().next().unwrap();
    assert!(
        marker.starts_with("<!-- deferred-compliance {\"job\":\"integration.yml\",\"sha\":\"c2\""),
        "{marker}"
    );
    assert!(
        marker.contains("\"deadline\":\"2026-11-23T10:00:00Z\""),
        "{marker}"
    );
    let texts = w.slack.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("<@U0CAROL> @acme/storage @erin @acme/docs"),
        "{}",
        texts[0]
    );
    assert!(
        texts[0].contains("Deadline 2026-11-23 10:00 UTC"),
        "{}",
        texts[0]
    );

    // The same event again (a redelivery, or a re-run step): nothing new.
    let out = w.completed(r1, &at(1));
    assert_eq!(out.trim(), "nothing to do");
    assert_eq!(w.gh.issues().len(), 1);
    assert_eq!(w.gh.issue(i.number).comments.len(), 0);

    // A second failure: a comment on the same issue, the timer unchanged.
    let r2 = w.run("c3", "failure");
    let out = w.completed(r2, &at(5));
    assert!(out.contains("commented: failed again in run #2"), "{out}");
    assert_eq!(w.gh.issues().len(), 1);
    let i = w.gh.issue(i.number);
    assert_eq!(i.comments.len(), 1);
    assert!(i.comments[0].contains("failed again"), "{:?}", i.comments);
    assert!(
        i.comments[0].contains("The deadline stays 2026-11-23 10:00 UTC"),
        "{:?}",
        i.comments
    );
    assert_eq!(i.body.lines().next().unwrap(), marker);
    w.completed(r2, &at(6));
    assert_eq!(w.gh.issue(i.number).comments.len(), 1);

    // Success: closed with a comment linking the green run; all-clear.
    let r3 = w.run("c4", "success");
    let out = w.completed(r3, &at(8));
    assert!(out.contains("closed: run #3 passed"), "{out}");
    let i = w.gh.issue(i.number);
    assert_eq!(i.state, "closed");
    assert!(
        i.comments.last().unwrap().contains("[run #3]("),
        "{:?}",
        i.comments
    );
    let texts = w.slack.texts();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts[1].contains("passes again"), "{}", texts[1]);
    assert!(w.open_issues().is_empty());
    // Nothing else to do at the gate.
    assert_eq!(w.gate(&at(100)).0, 0);
}

#[test]
fn past_the_deadline_deploys_are_blocked_until_an_allowed_exception_or_a_fix() {
    let w = World::new();
    let r1 = w.run("c2", "failure");
    w.completed(r1, T0);
    let n = w.gh.issues()[0].number;

    // Reminders: none early, the 24 h one at 50 h, the 4 h one at 70 h.
    let out = w.ok(&["reconcile", "--now", &at(10)]);
    assert_eq!(out.trim(), "nothing to do", "{out}");
    let out = w.ok(&["reconcile", "--now", &at(50)]);
    assert!(out.contains("reminded: 22 h left"), "{out}");
    w.ok(&["reconcile", "--now", &at(51)]);
    let out = w.ok(&["reconcile", "--now", &at(70)]);
    assert!(out.contains("reminded: 2 h left"), "{out}");
    let i = w.gh.issue(n);
    assert_eq!(comments_with(&i, "Reminder:"), 2, "{:?}", i.comments);
    assert_eq!(w.gate(&at(71)).0, 0);
    let (code, out) = w.gate(&at(71));
    assert_eq!(code, 0);
    assert!(
        out.contains("deploys may go: 1 open compliance issue, none blocking"),
        "{out}"
    );

    // +72 h: the gate fails, the issue is labelled, the status fails.
    let (code, out) = w.gate(&at(73));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("deploys blocked by #{n}"))
            && out.contains("job integration.yml failing since 2026-11-20T10:00:00Z (commit c2)")
            && out.contains("deadline 2026-11-23T10:00:00Z passed 1 h ago")
            && out.contains("tagged @carol @acme/storage @erin @acme/docs"),
        "{out}"
    );
    let out = w.ok(&["reconcile", "--now", &at(73)]);
    assert!(out.contains("deadline passed: deploys blocked"), "{out}");
    let i = w.gh.issue(n);
    assert!(
        i.labels.contains(&"deploy-blocked".to_owned()),
        "{:?}",
        i.labels
    );
    let st = w.gh.statuses("c6");
    assert_eq!(st.len(), 1, "{st:?}");
    assert_eq!(
        (st[0].state.as_str(), st[0].context.as_str()),
        ("failure", "deferred-compliance/deploy-gate")
    );
    assert!(
        w.slack
            .texts()
            .last()
            .unwrap()
            .contains("Deploys are blocked")
    );
    // Again: nothing new.
    let out = w.ok(&["reconcile", "--now", &at(74)]);
    assert_eq!(out.trim(), "nothing to do", "{out}");
    assert_eq!(w.gh.statuses("c6").len(), 1);

    // The deployment protection rule is rejected, with the reason.
    let (deploy, event) = w.protection_event();
    w.event("deployment_protection_rule", &event, &at(74));
    let p = w.gh.protection_responses();
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].run_id, p[0].state.as_str(), p[0].environment.as_str()),
        (deploy, "rejected", "production")
    );
    assert!(
        p[0].comment
            .contains("integration.yml is failing past its deadline"),
        "{}",
        p[0].comment
    );

    // An exception by someone not allowed: answered, ignored.
    w.gh.add_label_by(n, "compliance-exception", "mallory");
    let labeled = json!({
        "action": "labeled",
        "label": { "name": "compliance-exception" },
        "issue": { "number": n },
        "sender": { "login": "mallory" },
        "repository": { "full_name": "acme/widgets" },
    });
    let out = w.event("issues", &labeled, &at(75));
    assert!(
        out.contains("ignored the exception label added by @mallory"),
        "{out}"
    );
    assert_eq!(w.gate(&at(75)).0, 1);
    w.event("issues", &labeled, &at(75));
    assert_eq!(comments_with(&w.gh.issue(n), "@mallory added"), 1);

    // By a member of an approving team (who re-adds the label, as GitHub
    // records no event for a label already there): deploys may go.
    w.gh.remove_label_by(n, "compliance-exception", "bob");
    w.gh.add_label_by(n, "compliance-exception", "bob");
    let out = w.event("issues", &labeled, &at(76));
    assert!(out.contains("exception granted by @bob"), "{out}");
    let (code, out) = w.gate(&at(76));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("@bob granted an exception"), "{out}");
    let i = w.gh.issue(n);
    assert!(
        !i.labels.contains(&"deploy-blocked".to_owned()),
        "{:?}",
        i.labels
    );
    assert_eq!(w.gh.statuses("c6").last().unwrap().state, "success");
    w.event(
        "deployment_protection_rule",
        &w.protection_event().1,
        &at(76),
    );
    assert_eq!(w.gh.protection_responses()[1].state, "approved");
    let status = w.ok(&["status", "--format", "json", "--now", &at(76)]);
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["issues"][0]["state"], "excepted");
    assert_eq!(status["issues"][0]["exception_by"], "bob");
    assert_eq!(status["issues"][0]["seconds_left"], -4 * 3600);

    // The exception is withdrawn: blocked again.
    w.gh.remove_label_by(n, "compliance-exception", "bob");
    w.ok(&["reconcile", "--now", &at(77)]);
    assert_eq!(w.gate(&at(77)).0, 1);
    assert_eq!(w.gh.statuses("c6").last().unwrap().state, "failure");

    // The fix: closed, the status passes, the gate opens.
    let r2 = w.run("c4", "success");
    w.completed(r2, &at(80));
    assert_eq!(w.gh.issue(n).state, "closed");
    assert_eq!(w.gh.statuses("c6").last().unwrap().state, "success");
    assert_eq!(w.gate(&at(80)).0, 0);
}

#[test]
fn runs_are_ordered_by_commit_not_by_arrival() {
    // A failure on c3 is handled; the success of the older c2, delivered
    // late, does not close its issue.
    let w = World::new();
    let ok_old = w.run("c2", "success");
    let fail_new = w.run("c3", "failure");
    w.completed(fail_new, T0);
    let out = w.completed(ok_old, &at(1));
    assert_eq!(out.trim(), "nothing to do");
    assert_eq!(w.open_issues().len(), 1);

    // Re-run on an older commit with a higher run number: still older by
    // commit order.
    let rerun_old = w.run("c2", "success");
    let out = w.completed(rerun_old, &at(2));
    assert_eq!(w.open_issues().len(), 1, "{out}");

    // A success on c4 closes it; then the failure of c3, delivered once
    // more (late), opens nothing.
    let ok = w.run("c4", "success");
    w.completed(ok, &at(3));
    assert!(w.open_issues().is_empty());
    let out = w.completed(fail_new, &at(4));
    assert_eq!(out.trim(), "nothing to do", "{out}");
    assert!(w.open_issues().is_empty());
    assert_eq!(w.gh.issues().len(), 1);

    // Cancelled and skipped runs are no news.
    let cancelled = w.run("c5", "cancelled");
    assert_eq!(w.completed(cancelled, &at(5)).trim(), "nothing to do");
    assert!(w.open_issues().is_empty());
}

#[test]
fn github_failing_with_502_then_200_is_done_and_never_files_twice() {
    let w = World::new();
    let r1 = w.run("c2", "failure");
    // A read fails twice (retried by the client), the issue's creation once
    // (a POST is not resent blindly: the pass runs again and finds no issue).
    w.gh.fail_next("GET", "/actions/workflows/integration.yml/runs", 502, 2);
    w.gh.fail_next("POST", "/repos/acme/widgets/issues", 502, 1);
    let o = w.event_output("workflow_run", &w.payload(r1), T0);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("opened for run #1"), "{}", stdout(&o));
    assert_eq!(w.gh.issues().len(), 1);
    assert_eq!(w.slack.texts().len(), 1);

    // Down for good: exit 1, left to the next pass, which files nothing
    // twice.
    let r2 = w.run("c3", "failure");
    w.gh.set_down(true);
    let o = w.exec(&[
        "handle-event",
        "--event-path",
        w.dir.path().join("event.json").to_str().unwrap(),
        "--event-name",
        "workflow_run",
        "--attempts",
        "1",
        "--now",
        &at(1),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("the next `reconcile` pass will finish"),
        "{}",
        stderr(&o)
    );
    w.gh.set_down(false);
    let out = w.ok(&["reconcile", "--now", &at(2)]);
    assert!(out.contains("commented: failed again in run #2"), "{out}");
    assert_eq!(w.gh.issues().len(), 1);
    let _ = r2;
}

#[test]
fn flaky_jobs_are_rerun_once_before_filing() {
    let w = World::with_config("rerun = true");
    let r1 = w.run("c2", "failure");
    let out = w.completed(r1, T0);
    assert!(
        out.contains("re-running the failed jobs of run #1"),
        "{out}"
    );
    assert_eq!(w.gh.reruns(), vec![r1]);
    assert!(w.gh.issues().is_empty());
    // The re-run fails too: now it is filed.
    w.gh.set_run(r1, Some("failure"), &[]);
    let out = w.completed(r1, &at(1));
    assert!(out.contains("opened for run #1"), "{out}");
    assert_eq!(w.gh.issues().len(), 1);
    // A flaky failure that passes on re-run files nothing.
    let r2 = w.run("c4", "success");
    w.completed(r2, &at(2));
    let r3 = w.run("c5", "failure");
    w.completed(r3, &at(3));
    w.gh.set_run(r3, Some("success"), &[]);
    w.completed(r3, &at(4));
    assert!(w.open_issues().is_empty());
    assert_eq!(w.gh.issues().len(), 1);
}

#[test]
fn one_job_of_a_workflow_is_followed_by_its_name() {
    let w = World::new();
    std::fs::write(
        &w.config,
        "repository = \"acme/widgets\"\n[[job]]\nworkflow = \"integration.yml\"\njob = \"on-prem\"\n",
    )
    .unwrap();
    let run = |sha: &str, conclusion: &str, jobs: Vec<(&'static str, Option<&'static str>)>| {
        w.gh.add_run(RunSpec {
            workflow_file: "integration.yml",
            head_sha: sha,
            conclusion: Some(conclusion),
            jobs,
            ..RunSpec::default()
        })
    };
    // Another job failed: not ours.
    let r1 = run(
        "c2",
        "failure",
        vec![("lint", Some("failure")), ("on-prem", Some("success"))],
    );
    assert_eq!(w.completed(r1, T0).trim(), "nothing to do");
    // A matrix leg of ours failed.
    let r2 = run(
        "c3",
        "failure",
        vec![
            ("on-prem (linux)", Some("success")),
            ("on-prem (windows)", Some("timed_out")),
        ],
    );
    assert!(w.completed(r2, &at(1)).contains("opened for run #2"));
    let i = &w.gh.issues()[0];
    assert!(i.title.contains("on-prem (integration.yml)"), "{}", i.title);
    assert!(
        i.body.contains("Tagged: @dave @acme/platform"),
        "{}",
        i.body
    );
}

#[test]
fn bad_input_and_secrets() {
    let w = World::new();
    // A payload that is not JSON: exit 2, one line naming the file.
    let file = w.dir.path().join("bad.json");
    std::fs::write(&file, "{\"action\": \"completed\",\n oops").unwrap();
    let o = w.exec(&[
        "handle-event",
        "--event-path",
        file.to_str().unwrap(),
        "--event-name",
        "workflow_run",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("bad.json: line 2 column"), "{err}");

    // A configuration error names the key and the line.
    std::fs::write(
        &w.config,
        "repository = \"acme/widgets\"\ndeadline = 72\n[[job]]\nworkflow = \"a.yml\"\n",
    )
    .unwrap();
    let o = w.exec(&["gate"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("deferred-compliance.toml: line 2: deadline: invalid type"),
        "{err}"
    );

    // A wrong token: the error says so, without the token or the Slack URL.
    let w = World::new();
    let r = w.run("c2", "failure");
    let file = w.dir.path().join("event.json");
    std::fs::write(&file, w.payload(r).to_string()).unwrap();
    let o = w
        .cmd(&[
            "handle-event",
            "--event-path",
            file.to_str().unwrap(),
            "--event-name",
            "workflow_run",
            "--attempts",
            "1",
        ])
        .env("GITHUB_TOKEN", "ghp_wrongSECRET999")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let all = stdout(&o) + &stderr(&o);
    assert!(all.contains("HTTP 401"), "{all}");
    assert!(
        !all.contains("wrongSECRET") && !all.contains("XXXX"),
        "{all}"
    );
    // No credentials at all.
    let o = w
        .cmd(&["gate"])
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no GitHub credentials: set GITHUB_TOKEN"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_github_app_installation_signs_in() {
    let gh = FakeGitHub::start(FakeConfig {
        app: Some((4242, 99)),
        enterprise_path: true,
        ..FakeConfig::default()
    });
    gh.add_commit("c1", None, "alice", "initial", &[]);
    gh.set_branch("main", "c1");
    gh.add_workflow("integration.yml");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "repository = \"acme/widgets\"\n[[job]]\nworkflow = \"integration.yml\"\n",
    )
    .unwrap();
    let key = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/deferred-compliance/test-app-key.pem");
    let o = Command::new(env!("CARGO_BIN_EXE_deferred-compliance"))
        .args(["reconcile", "--config", config.to_str().unwrap()])
        .env_clear()
        .env("GITHUB_API_URL", gh.url())
        .env("GITHUB_APP_ID", "4242")
        .env("GITHUB_APP_INSTALLATION_ID", "99")
        .env("GITHUB_APP_PRIVATE_KEY", &key)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(gh.installation_tokens_issued() >= 1);
    assert!(gh.url().ends_with("/api/v3"));
}

// ---------------------------------------------------------------------------
// `serve`: the same state machine behind a webhook server and its SQLite
// queue.

const SECRET: &str = "webhook-secret-for-tests";

/// A running `deferred-compliance serve` of a [`World`].
struct Served {
    child: std::process::Child,
    addr: String,
}

impl World {
    fn serve(&self, db: &Path, now: &str) -> Served {
        use std::io::BufRead;
        let mut child = self
            .cmd(&["serve", "--listen", "127.0.0.1:0", "--now", now])
            .arg("--db")
            .arg(db)
            .env("GITHUB_WEBHOOK_SECRET", SECRET)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let addr = loop {
            let line = lines.next().expect("serve printed its address").unwrap();
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split('/').next().unwrap().to_owned();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Served { child, addr }
    }
}

impl Served {
    /// POSTs a delivery; the status code.
    fn deliver(&self, id: &str, event: &str, body: &str, signature: &str) -> u16 {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "POST /webhook HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nX-GitHub-Event: {event}\r\nX-GitHub-Delivery: {id}\r\n\
             X-Hub-Signature-256: {signature}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        resp.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    fn delivery(&self, id: &str, payload: &Value) -> u16 {
        let body = payload.to_string();
        let sig = deferred_compliance::signature::sign(SECRET, &body);
        self.deliver(id, "workflow_run", &body, &sig)
    }

    fn done(&self) -> u64 {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.addr).unwrap();
        write!(
            s,
            "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let body: Value = serde_json::from_str(resp.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        body["done"].as_u64().unwrap()
    }

    /// Waits until `n` deliveries are done.
    fn wait_done(&self, n: u64) {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while self.done() < n {
            assert!(
                std::time::Instant::now() < until,
                "deliveries not processed in time"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serve_processes_a_duplicate_delivery_once_and_refuses_a_forged_one() {
    let w = World::new();
    let db = w.dir.path().join("queue.db");
    let s = w.serve(&db, T0);
    // serve's first reconcile pass ends by reading the branch head; the
    // failure is added after it, so only a delivery can act on it.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while w.gh.count("GET", "/repos/acme/widgets/branches/main") == 0 {
        assert!(
            std::time::Instant::now() < until,
            "no reconcile pass at start-up"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let r1 = w.run("c2", "failure");
    let payload = w.payload(r1);

    // Forged: 401, nothing stored, nothing done.
    let body = payload.to_string();
    let forged = deferred_compliance::signature::sign("not-the-secret", &body);
    assert_eq!(s.deliver("d-forged", "workflow_run", &body, &forged), 401);
    assert_eq!(s.deliver("d-unsigned", "workflow_run", &body, ""), 401);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(w.gh.issues().is_empty());
    assert_eq!(w.gh.count("POST", "/repos/acme/widgets/issues"), 0);

    // The same delivery twice: processed once.
    assert_eq!(s.delivery("d-1", &payload), 202);
    assert_eq!(s.delivery("d-1", &payload), 200);
    s.wait_done(1);
    // A second failure, delivered twice too: one comment.
    let r2 = w.run("c3", "failure");
    assert_eq!(s.delivery("d-2", &w.payload(r2)), 202);
    assert_eq!(s.delivery("d-2", &w.payload(r2)), 200);
    s.wait_done(2);
    let issues = w.gh.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].comments.len(), 1, "{:?}", issues[0].comments);
    assert_eq!(w.gh.count("POST", "/repos/acme/widgets/issues"), 1 + 1);
    assert_eq!(w.slack.texts().len(), 1);
}

#[test]
fn serve_restarted_between_accepting_and_processing_acts_exactly_once() {
    let w = World::new();
    let db = w.dir.path().join("queue.db");
    let r1 = w.run("c2", "failure");
    // GitHub is down: the delivery is accepted and stored, but cannot be
    // processed. The server is then killed.
    w.gh.set_down(true);
    let s = w.serve(&db, T0);
    assert_eq!(s.delivery("d-1", &w.payload(r1)), 202);
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(s);
    assert!(w.gh.issues().is_empty());

    // Up again, a new server on the same file: processed once.
    w.gh.set_down(false);
    let s = w.serve(&db, T0);
    s.wait_done(1);
    assert_eq!(w.gh.issues().len(), 1);
    assert_eq!(w.slack.texts().len(), 1);
    // GitHub redelivers it after the restart: a duplicate.
    assert_eq!(s.delivery("d-1", &w.payload(r1)), 200);
    drop(s);
    let s = w.serve(&db, T0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(s.done(), 1);
    assert_eq!(w.gh.issues().len(), 1);
    assert_eq!(w.gh.issues()[0].comments.len(), 0);
    assert_eq!(w.slack.texts().len(), 1);
}

#[cfg(unix)]
#[test]
fn serve_stops_cleanly_on_sigterm() {
    let w = World::new();
    let mut s = w.serve(&w.dir.path().join("queue.db"), T0);
    let pid = s.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = s.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn owners_come_from_every_page_of_a_large_pull_request_and_codeowners_at_its_base() {
    let w = World::new();
    // #9 changes 150 files; the only one under docs/ is on the second page.
    // Its CODEOWNERS at the head commit names someone else: the base counts.
    let mut files: Vec<String> = (0..149).map(|i| format!("src/api/f{i}.rs")).collect();
    files.push("docs/late.md".into());
    w.gh.add_file("c5", ".github/CODEOWNERS", "* @acme/intruders\n");
    w.gh.add_pull(PullSpec {
        number: 9,
        author: "erin",
        title: "big change",
        merge_commit_sha: Some("c5"),
        base_sha: "c4",
        head_sha: "p9",
        files,
        ..PullSpec::default()
    });
    w.gh.add_file("c4", "CODEOWNERS", CODEOWNERS);
    let r = w.run("c5", "timed_out");
    assert!(w.completed(r, T0).contains("opened for run #1"));
    let i = &w.gh.issues()[0];
    assert!(
        i.body
            .contains("Tagged: @erin @acme/platform @acme/docs (author @erin"),
        "{}",
        i.body
    );
    assert!(
        i.body.contains("It came with #9 (big change)"),
        "{}",
        i.body
    );
    assert!(w.gh.count("GET", "/repos/acme/widgets/pulls/9/files") >= 2);
}

#[test]
fn a_token_that_cannot_read_teams_counts_no_team_exception_and_goes_on() {
    let w = World::new();
    let r = w.run("c2", "failure");
    w.completed(r, T0);
    let n = w.gh.issues()[0].number;
    w.gh.add_label_by(n, "compliance-exception", "bob");
    w.gh.fail_next_with(
        "GET",
        "/orgs/acme/teams/release-managers/memberships/bob",
        403,
        Some(json!({ "message": "Resource not accessible by integration" })),
        5,
    );
    let o = w.exec(&["reconcile", "--now", &at(73)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot read the members of @acme/release-managers"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("deadline passed: deploys blocked"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn closing_the_issue_by_hand_while_failing_does_not_restart_the_timer() {
    let w = World::new();
    let r = w.run("c2", "failure");
    w.completed(r, T0);
    let first = w.gh.issues()[0].number;
    w.gh.set_issue_state_by(first, "closed", "mallory");
    // The next pass files it again, with the first deadline.
    let out = w.ok(&["reconcile", "--now", &at(10)]);
    assert!(out.contains("opened for run #1"), "{out}");
    let open = w.open_issues();
    assert_eq!(open.len(), 1);
    assert!(
        open[0].body.contains(&format!("This continues #{first}")),
        "{}",
        open[0].body
    );
    assert!(
        open[0]
            .body
            .contains("\"deadline\":\"2026-11-23T10:00:00Z\""),
        "{}",
        open[0].body
    );
    assert_eq!(w.gate(&at(73)).0, 1);

    // Once green, the next failure starts a fresh timer.
    let ok = w.run("c4", "success");
    w.completed(ok, &at(74));
    assert!(w.open_issues().is_empty());
    let again = w.run("c5", "failure");
    w.completed(again, &at(80));
    let open = w.open_issues();
    assert_eq!(open.len(), 1);
    assert!(!open[0].body.contains("This continues"), "{}", open[0].body);
    assert!(
        open[0]
            .body
            .contains("\"deadline\":\"2026-11-26T18:00:00Z\""),
        "{}",
        open[0].body
    );
}

// ---------------------------------------------------------------------------
// Trust: only trusted runs and the bot's own writes move the gate. Each test
// below reproduces one way the promise broke before, as a hostile
// contributor or a faulty network would break it.

impl World {
    /// A run of the deferred workflow that finished `hours` after T0.
    fn run_at(&self, sha: &str, conclusion: &str, hours: i64) -> u64 {
        self.gh.add_run(RunSpec {
            workflow_file: "integration.yml",
            name: "Integration",
            head_sha: sha,
            conclusion: Some(conclusion),
            created_at: Some(t0() + Duration::hours(hours)),
            ..RunSpec::default()
        })
    }

    /// Rewrites the configuration: `extra` top-level lines and the jobs.
    fn set_config(&self, extra: &str, jobs: &str) {
        std::fs::write(
            &self.config,
            format!(
                "repository = \"acme/widgets\"\n\
                 exception_approvers = [\"alice\", \"@acme/release-managers\"]\n\
                 {extra}\n{jobs}\n\
                 [slack_users]\ncarol = \"U0CAROL\"\n"
            ),
        )
        .unwrap();
    }
}

const MARKER_JOB: &str = "integration.yml";

fn forged_marker(deadline: &str) -> String {
    format!(
        "<!-- deferred-compliance {{\"job\":\"{MARKER_JOB}\",\"sha\":\"c2\",\"run_id\":1,\
         \"run_number\":1,\"opened_at\":\"2026-11-20T10:00:00Z\",\"deadline\":\"{deadline}\",\
         \"author\":null,\"owners\":[]}} -->\nThe deferred job failed."
    )
}

#[test]
fn a_fork_pull_request_on_a_branch_named_main_moves_nothing() {
    let w = World::new();
    // A red fork run on `main` files nothing and pings nobody.
    let fork_red = w.gh.add_run(RunSpec {
        workflow_file: "integration.yml",
        head_sha: "f1",
        event: "pull_request",
        conclusion: Some("failure"),
        head_repository: Some("mallory/widgets"),
        ..RunSpec::default()
    });
    let out = w.completed(fork_red, T0);
    assert!(out.contains("ignored run #1"), "{out}");
    assert!(out.contains("mallory/widgets"), "{out}");
    assert!(w.gh.issues().is_empty());
    assert!(w.slack.texts().is_empty());

    // The job really fails on main: one issue.
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    assert_eq!(w.open_issues().len(), 1);
    // A green fork run on `main`, and a green `pull_request` run of the
    // repository itself on a branch named `main`: neither closes it.
    let fork_green = w.gh.add_run(RunSpec {
        workflow_file: "integration.yml",
        head_sha: "f2",
        event: "pull_request",
        conclusion: Some("success"),
        head_repository: Some("mallory/widgets"),
        ..RunSpec::default()
    });
    let out = w.completed(fork_green, &at(1));
    assert!(out.contains("ignored run"), "{out}");
    let same_repo_pr = w.gh.add_run(RunSpec {
        workflow_file: "integration.yml",
        head_sha: "c6",
        event: "pull_request_target",
        conclusion: Some("success"),
        ..RunSpec::default()
    });
    let out = w.completed(same_repo_pr, &at(2));
    assert!(
        out.contains("triggered by `pull\\_request\\_target`"),
        "{out}"
    );
    // reconcile reads the list, where the fork's runs stand newest: still red.
    w.ok(&["reconcile", "--now", &at(3)]);
    assert_eq!(w.open_issues().len(), 1);
    assert_eq!(w.gate(&at(73)).0, 1);
}

#[test]
fn comments_imitating_the_bots_keys_change_nothing_and_get_one_reply() {
    let w = World::new();
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    let n = w.open_issues()[0].number;
    for key in ["reminder:86400", "reminder:14400", "blocked"] {
        w.gh.comment_by(
            n,
            "mallory",
            &format!("<!-- deferred-compliance {{\"key\":\"{key}\"}} -->\nnothing to see"),
        );
    }
    // 22 h left: the 24 h reminder is written, and each imitation answered.
    let out = w.ok(&["reconcile", "--now", &at(50)]);
    assert!(out.contains("reminded"), "{out}");
    let i = w.gh.issue(n);
    assert_eq!(
        comments_with(&i, "Reminder: 22 h left"),
        1,
        "{:?}",
        i.comments
    );
    assert_eq!(comments_with(&i, "is ignored"), 3, "{:?}", i.comments);
    // Answered once only.
    w.ok(&["reconcile", "--now", &at(51)]);
    assert_eq!(comments_with(&w.gh.issue(n), "is ignored"), 3);
    // Past the deadline the bot still says so, and the gate holds.
    w.ok(&["reconcile", "--now", &at(73)]);
    let i = w.gh.issue(n);
    assert_eq!(
        comments_with(&i, "deploys are blocked"),
        1,
        "{:?}",
        i.comments
    );
    assert!(
        i.labels.iter().any(|l| l == "deploy-blocked"),
        "{:?}",
        i.labels
    );
    assert_eq!(w.gate(&at(73)).0, 1);
    // Taking `deploy-blocked` off changes nothing: the next pass puts it back.
    w.gh.remove_label_by(n, "deploy-blocked", "mallory");
    assert_eq!(w.gate(&at(74)).0, 1);
    w.ok(&["reconcile", "--now", &at(74)]);
    assert!(w.gh.issue(n).labels.iter().any(|l| l == "deploy-blocked"));
}

#[test]
fn an_issue_forged_with_the_bots_marker_does_not_open_the_gate() {
    let w = World::new();
    // Before the job fails, mallory opens a look-alike with a far deadline.
    let forged = w.gh.add_issue_by(
        "mallory",
        "Deferred job `integration.yml` is failing on c2",
        &forged_marker("2999-01-01T00:00:00Z"),
        &["deferred-compliance"],
    );
    let red = w.run_at("c2", "failure", 0);
    let out = w.completed(red, T0);
    assert!(out.contains("opened for run #1"), "{out}");
    let open: Vec<u64> = w.open_issues().iter().map(|i| i.number).collect();
    assert_eq!(open.len(), 2, "{open:?}");
    let ours = *open.iter().find(|&&n| n != forged).unwrap();
    assert!(w.gh.issue(forged).comments.is_empty());
    let (code, out) = w.gate(&at(73));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("#{ours}")), "{out}");
    assert!(out.contains("written by @mallory, not by the bot"), "{out}");
}

#[test]
fn removing_the_label_does_not_open_the_gate_or_restart_the_timer() {
    let w = World::new();
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    let first = w.open_issues()[0].number;
    w.gh.remove_label_by(first, "deferred-compliance", "mallory");
    // Before any pass: the gate still holds past the deadline.
    assert_eq!(w.gate(&at(73)).0, 1);
    let out = w.ok(&["reconcile", "--now", &at(10)]);
    assert!(out.contains("opened for run #1"), "{out}");
    let refiled = w
        .open_issues()
        .into_iter()
        .find(|i| i.number != first)
        .expect("re-filed");
    assert!(
        refiled.body.contains(&format!(
            "This continues #{first}, from which @mallory removed the `deferred-compliance` label"
        )),
        "{}",
        refiled.body
    );
    assert!(
        refiled
            .body
            .contains("\"deadline\":\"2026-11-23T10:00:00Z\""),
        "{}",
        refiled.body
    );
    // The unlabelled one is closed, pointing to the new one.
    let old = w.gh.issue(first);
    assert_eq!(old.state, "closed");
    assert_eq!(
        comments_with(&old, &format!("Continued in #{}", refiled.number)),
        1
    );
    assert_eq!(w.open_issues().len(), 1);
    assert_eq!(w.gate(&at(73)).0, 1);
}

#[test]
fn deleting_or_editing_the_issue_does_not_open_the_gate_or_restart_the_timer() {
    let w = World::new();
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    let first = w.open_issues()[0].number;
    // A maintainer edits the bot's marker to a far deadline: no later.
    w.gh.edit_issue_body(first, &forged_marker("2999-01-01T00:00:00Z"));
    assert_eq!(w.gate(&at(73)).0, 1);
    // Deleted (or transferred away): the runs still say when it began.
    w.gh.delete_issue(first);
    let (code, out) = w.gate(&at(73));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no open issue"), "{out}");
    assert_eq!(w.gate(&at(71)).0, 0);
    w.ok(&["reconcile", "--now", &at(20)]);
    let open = w.open_issues();
    assert_eq!(open.len(), 1);
    assert!(
        open[0]
            .body
            .contains("\"deadline\":\"2026-11-23T10:00:00Z\""),
        "{}",
        open[0].body
    );
}

#[test]
fn commenting_on_an_older_healed_issue_does_not_restart_the_timer() {
    let w = World::new();
    // A first red streak, healed: its issue is closed by the bot.
    let r1 = w.run_at("c2", "failure", 0);
    w.completed(r1, T0);
    let healed = w.open_issues()[0].number;
    let g = w.run_at("c3", "success", 1);
    w.completed(g, &at(1));
    // A second streak; its issue closed by hand, then the healed one
    // commented on (which makes it the most recently updated).
    let r2 = w.run_at("c4", "failure", 2);
    w.completed(r2, &at(2));
    let second = w.open_issues()[0].number;
    w.gh.set_issue_state_by(second, "closed", "mallory");
    w.gh.comment_by(healed, "mallory", "bump");
    w.ok(&["reconcile", "--now", &at(20)]);
    let open = w.open_issues();
    assert_eq!(open.len(), 1);
    assert!(
        open[0]
            .body
            .contains(&format!("This continues #{second}, which @mallory closed")),
        "{}",
        open[0].body
    );
    assert!(
        open[0]
            .body
            .contains("\"deadline\":\"2026-11-23T12:00:00Z\""),
        "{}",
        open[0].body
    );
    assert_eq!(w.gate(&at(75)).0, 1);
}

#[test]
fn a_failed_run_rerun_green_closes_its_issue() {
    let w = World::new();
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    let n = w.open_issues()[0].number;
    w.gh.rerun(red);
    w.gh.set_run(red, Some("success"), &[]);
    let out = w.completed(red, &at(1));
    assert!(out.contains("closed: run #1 passed"), "{out}");
    assert_eq!(w.gh.issue(n).state, "closed");
    assert_eq!(w.gate(&at(80)).0, 0);
}

#[test]
fn titles_and_owners_cannot_ping_or_hide_text() {
    let w = World::new();
    w.gh.add_file(
        "c4",
        ".github/CODEOWNERS",
        "*  @acme/platform <!channel>@evil.example <https://evil.example|x>@evil.example\n",
    );
    w.gh.add_pull(PullSpec {
        number: 9,
        author: "mallory",
        title: "fix <!channel> <https://evil.example|click> @acme/everyone <!-- hide",
        merge_commit_sha: Some("c5"),
        base_sha: "c4",
        head_sha: "p9",
        files: vec!["src/x.rs".into()],
        ..PullSpec::default()
    });
    let red = w.run_at("c5", "failure", 0);
    let o = w.event_output("workflow_run", &w.payload(red), T0);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let body = &w.open_issues()[0].body;
    assert!(
        stderr(&o).contains("not a GitHub login"),
        "{}\n{body}",
        stderr(&o)
    );
    let rest: String = body.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(!rest.contains("<!--"), "{rest}");
    assert!(!rest.contains("<!channel>"), "{rest}");
    assert!(!rest.contains("@acme/everyone"), "{rest}");
    assert!(!rest.contains("<https://evil"), "{rest}");
    assert!(rest.contains("Tagged: @mallory @acme/platform"), "{rest}");
    for t in w.slack.texts() {
        assert!(!t.contains("<!channel>"), "{t}");
        assert!(!t.contains("evil.example"), "{t}");
    }
}

#[test]
fn a_link_header_that_never_ends_stops_at_the_page_cap() {
    let w = World::with_config("max_pages = 3");
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    let n = w.open_issues()[0].number;
    let next = format!(
        "<{}/repos/acme/widgets/issues/{n}/comments?per_page=100&page=2>; rel=\"next\"",
        w.gh.url()
    );
    w.gh.fail_next_with_headers(
        "GET",
        &format!("/issues/{n}/comments"),
        200,
        Some(json!([])),
        &[("link", &next)],
        1000,
    );
    let o = w.exec(&["reconcile", "--now", &at(50)]);
    let err = stdout(&o) + &stderr(&o);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("stopped after 3 pages"), "{err}");
    assert!(err.contains(&format!("/issues/{n}/comments")), "{err}");
}

#[test]
fn a_job_renamed_or_removed_from_the_configuration_is_named_and_still_blocks() {
    let w = World::new();
    w.set_config(
        "",
        "[[job]]\nworkflow = \"integration.yml\"\njob = \"suite\"\n",
    );
    let red = w.gh.add_run(RunSpec {
        workflow_file: "integration.yml",
        head_sha: "c2",
        conclusion: Some("failure"),
        jobs: vec![("suite", Some("failure"))],
        created_at: Some(t0()),
        ..RunSpec::default()
    });
    w.completed(red, T0);
    assert_eq!(w.open_issues().len(), 1);
    // The workflow's job is renamed: its latest runs no longer have it.
    let renamed = w.gh.add_run(RunSpec {
        workflow_file: "integration.yml",
        head_sha: "c3",
        conclusion: Some("success"),
        jobs: vec![("suite-v2", Some("success"))],
        created_at: Some(t0() + Duration::hours(1)),
        ..RunSpec::default()
    });
    let _ = renamed;
    let out = w.ok(&["status", "--now", &at(2)]);
    assert!(out.contains("`suite` is not in the latest run"), "{out}");
    let (code, out) = w.gate(&at(73));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("renamed or removed"), "{out}");

    // The job removed from the configuration altogether.
    w.set_config("", "[[job]]\nworkflow = \"other.yml\"\n");
    w.gh.add_workflow("other.yml");
    let out = w.ok(&["reconcile", "--now", &at(3)]);
    assert!(out.contains("no longer in the configuration"), "{out}");
    let (code, out) = w.gate(&at(73));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no longer in the configuration"), "{out}");
    // The option lets it go, still with the warning.
    w.set_config(
        "unconfigured_jobs_block = false",
        "[[job]]\nworkflow = \"other.yml\"\n",
    );
    let (code, out) = w.gate(&at(73));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no longer blocks"), "{out}");
}

#[test]
fn missed_deliveries_are_redelivered_and_waiting_deployments_answered() {
    let w = World::as_app("redeliver_within = \"1d\"");
    let now = t0() + Duration::hours(30);
    let h = |n: i64| t0() + Duration::hours(n);
    // The server was down: a run's completion got a 502, then 502 again.
    let lost =
        w.gh.add_delivery("g-lost", "workflow_run", Some("completed"), 502, h(26));
    let lost_again =
        w.gh.add_delivery("g-lost", "workflow_run", Some("completed"), 502, h(27));
    // Its disk was full: a 500 for a protection rule request.
    let full = w.gh.add_delivery(
        "g-full",
        "deployment_protection_rule",
        Some("requested"),
        500,
        h(28),
    );
    // Failed then redelivered fine; an event the bot does not act on;
    // one too old; one that failed three times already.
    w.gh.add_delivery("g-healed", "workflow_run", Some("completed"), 502, h(25));
    w.gh.add_delivery("g-healed", "workflow_run", Some("completed"), 202, h(26));
    w.gh.add_delivery("g-other", "push", None, 502, h(26));
    w.gh.add_delivery("g-old", "workflow_run", Some("completed"), 502, h(1));
    for i in 0..3 {
        w.gh.add_delivery("g-stuck", "issues", Some("labeled"), 503, h(20 + i));
    }
    // A deployment whose protection-rule request was never received.
    let (waiting, _) = w.protection_event();
    w.gh.set_pending(waiting, &["production"]);

    let out = w.ok(&["reconcile", "--now", &now.to_rfc3339()]);
    let mut asked = w.gh.redeliveries();
    asked.sort_unstable();
    assert_eq!(
        asked,
        {
            let mut v = vec![lost_again, full];
            v.sort_unstable();
            v
        },
        "{out}"
    );
    assert!(!asked.contains(&lost));
    assert!(
        out.contains("asked GitHub to redeliver workflow_run delivery g-lost"),
        "{out}"
    );
    assert!(
        out.contains("g-stuck") && out.contains("failed 3 times"),
        "{out}"
    );
    let answers = w.gh.protection_responses();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0].run_id, waiting);
    assert_eq!(answers[0].state, "approved");

    // The redeliveries are pending now: not asked twice; the deployment is
    // answered once.
    w.ok(&["reconcile", "--now", &now.to_rfc3339()]);
    assert_eq!(w.gh.redeliveries().len(), 2);
    assert_eq!(w.gh.protection_responses().len(), 1);
}

#[test]
fn an_issue_closed_by_hand_is_filed_again_on_its_own_event() {
    let w = World::new();
    let red = w.run_at("c2", "failure", 0);
    w.completed(red, T0);
    let first = w.open_issues()[0].number;
    w.gh.set_issue_state_by(first, "closed", "mallory");
    let payload = json!({
        "action": "closed",
        "issue": { "number": first, "user": { "login": "compliance-bot[bot]" } },
        "repository": { "full_name": "acme/widgets" },
    });
    let out = w.event("issues", &payload, &at(5));
    assert!(out.contains("opened for run #1"), "{out}");
    let open = w.open_issues();
    assert_eq!(open.len(), 1);
    assert!(
        open[0]
            .body
            .contains(&format!("This continues #{first}, which @mallory closed")),
        "{}",
        open[0].body
    );
    assert!(
        open[0]
            .body
            .contains("\"deadline\":\"2026-11-23T10:00:00Z\"")
    );
    // The same event from an issue someone else opened does nothing.
    let other = w.gh.add_issue_by("mallory", "x", "y", &[]);
    let payload = json!({
        "action": "closed",
        "issue": { "number": other, "user": { "login": "mallory" } },
        "repository": { "full_name": "acme/widgets" },
    });
    let out = w.event("issues", &payload, &at(6));
    assert_eq!(out.trim(), "nothing to do");
}

#[test]
fn in_github_actions_the_bot_is_github_actions_bot() {
    let gh = FakeGitHub::start(FakeConfig {
        bot_login: "github-actions[bot]".to_owned(),
        ..FakeConfig::default()
    });
    gh.add_commit("c1", None, "alice", "initial", &[]);
    gh.set_branch("main", "c1");
    gh.add_workflow("integration.yml");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        "repository = \"acme/widgets\"\n[[job]]\nworkflow = \"integration.yml\"\n",
    )
    .unwrap();
    let run = gh.add_run(RunSpec {
        workflow_file: "integration.yml",
        head_sha: "c1",
        conclusion: Some("failure"),
        ..RunSpec::default()
    });
    let reconcile = |actions: Option<&str>| {
        // The Actions GITHUB_TOKEN may not read GET /user.
        gh.fail_next_with(
            "GET",
            "/user",
            403,
            Some(json!({"message": "Resource not accessible by integration"})),
            1,
        );
        let mut c = Command::new(env!("CARGO_BIN_EXE_deferred-compliance"));
        c.args([
            "reconcile",
            "--now",
            T0,
            "--config",
            config.to_str().unwrap(),
        ])
        .env_clear()
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", gh.url());
        if let Some(v) = actions {
            c.env("GITHUB_ACTIONS", v);
        }
        c.output().unwrap()
    };
    let o = reconcile(None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bot_login"), "{}", stderr(&o));
    assert!(gh.issues().is_empty());
    for _ in 0..2 {
        let o = reconcile(Some("true"));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    // Its own issue is found again: one issue, not one per pass.
    let _ = run;
    assert_eq!(gh.issues().len(), 1);
}

/// GitHub's own example of a `workflow_run` delivery (octokit/webhooks),
/// read as the bot reads any delivery: its trigger is `repository_dispatch`,
/// which never counts; the same delivery from a fork never counts either.
#[test]
fn a_real_workflow_run_delivery_counts_only_from_a_trusted_event_and_repository() {
    let gh = FakeGitHub::start(FakeConfig {
        owner: "octo-org".to_owned(),
        repo: "octo-repo".to_owned(),
        ..FakeConfig::default()
    });
    gh.add_commit(
        "3484a3fb816e0859fd6e1cea078d76385ff50625",
        None,
        "matfax",
        "m",
        &[],
    );
    gh.set_branch("master", "3484a3fb816e0859fd6e1cea078d76385ff50625");
    gh.add_workflow("test.yml");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../fixtures/deferred-compliance/octokit-webhooks-workflow_run-completed.with-pull-requests.payload.json",
    );
    let payload: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    let handle = |events: &str, payload: &Value| {
        std::fs::write(
            &config,
            format!(
                "repository = \"octo-org/octo-repo\"\nbranch = \"master\"\n{events}\n\
                 [[job]]\nworkflow = \"test.yml\"\n"
            ),
        )
        .unwrap();
        let file = dir.path().join("event.json");
        std::fs::write(&file, payload.to_string()).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_deferred-compliance"))
            .args(["handle-event", "--event-name", "workflow_run", "--now", T0])
            .arg("--event-path")
            .arg(&file)
            .arg("--config")
            .arg(&config)
            .env_clear()
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_API_URL", gh.url())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let out = handle("", &payload);
    assert!(
        out.contains("ignored run #163: it was triggered by `repository\\_dispatch`"),
        "{out}"
    );
    // `repository_dispatch` is not among the events that may be trusted
    // (anyone with a token can send one): still ignored.
    let out = handle("events = [\"push\", \"workflow_dispatch\"]", &payload);
    assert!(out.contains("ignored run #163"), "{out}");
    // The same delivery, its head repository a fork's: ignored whatever
    // the events.
    let mut fork = payload.clone();
    fork["workflow_run"]["head_repository"]["full_name"] = json!("mallory/octo-repo");
    fork["workflow_run"]["event"] = json!("push");
    let out = handle("", &fork);
    assert!(
        out.contains("its commit comes from mallory/octo-repo, not octo-org/octo-repo"),
        "{out}"
    );
    assert!(gh.issues().is_empty());
}
