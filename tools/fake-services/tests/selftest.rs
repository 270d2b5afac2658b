//! The fake GitHub API and the fake Slack that the `deferred-compliance`
//! scenarios run against, checked on their own with plain HTTP/1.1 over a
//! `TcpStream`: if the fake is wrong, the scenarios prove nothing.

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fake_services::{FakeConfig, FakeGitHub, FakeSlack, IssueEvent, PullSpec, RunSpec};
use serde_json::{Value, json};

const TOKEN: &str = "ghp_selftest";

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        let mut hits = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name));
        hits.next().map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `rel="next"` URL of the `Link` header.
    fn next(&self) -> Option<String> {
        let link = self.header("link")?;
        let next = link.split(", ").find(|l| l.ends_with("rel=\"next\""))?;
        Some(next[1..next.find('>')?].to_owned())
    }
}

/// One request on a fresh connection (`Connection: close`), `auth` sent as
/// the whole `Authorization` value; the body as raw bytes.
fn send(method: &str, url: &str, auth: Option<&str>, body: &[u8]) -> Reply {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).unwrap();
    let mut head = format!(
        "{method} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nUser-Agent: selftest\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        if path.is_empty() { "/" } else { path },
        body.len()
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        unchunk(body)
    } else {
        body.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

fn get(url: &str) -> Reply {
    send("GET", url, Some(&format!("Bearer {TOKEN}")), b"")
}

fn call(method: &str, url: &str, body: Value) -> Reply {
    send(
        method,
        url,
        Some(&format!("token {TOKEN}")),
        body.to_string().as_bytes(),
    )
}

fn start(enterprise_path: bool) -> (FakeGitHub, String) {
    let fake = FakeGitHub::start(FakeConfig {
        token: TOKEN.to_owned(),
        enterprise_path,
        app: Some((4242, 77)),
        ..FakeConfig::default()
    });
    let repo = format!("{}/repos/acme/widgets", fake.url());
    (fake, repo)
}

/// Every item of a list, following `Link: rel="next"`; also the number of
/// pages.
fn all_pages(url: &str) -> (Vec<Value>, usize) {
    let (mut items, mut pages, mut next) = (Vec::new(), 0, Some(url.to_owned()));
    while let Some(url) = next {
        let r = get(&url);
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        items.extend(r.json().as_array().unwrap().iter().cloned());
        pages += 1;
        next = r.next();
    }
    (items, pages)
}

fn jwt(claims: Value) -> String {
    let part = |v: Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let header = part(json!({"alg": "RS256", "typ": "JWT"}));
    format!("{header}.{}.c2lnbmF0dXJl", part(claims))
}

fn epoch() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.unwrap().as_secs() as i64
}

#[test]
fn requests_need_a_known_token_and_the_one_repository() {
    let (fake, repo) = start(false);
    let issues = format!("{repo}/issues");
    for auth in [None, Some("Bearer ghp_wrong"), Some(TOKEN)] {
        let r = send("GET", &issues, auth, b"");
        assert_eq!(r.status, 401, "{auth:?}");
        assert_eq!(r.json()["message"], "Bad credentials");
    }
    assert_eq!(
        send("GET", &issues, Some(&format!("token {TOKEN}")), b"").status,
        200
    );
    assert_eq!(get(&issues).status, 200);
    let other = format!("{}/repos/acme/gadgets/issues", fake.url());
    assert_eq!(get(&other).status, 404);
    assert_eq!(
        get(&format!("{repo}/issues/99")).json()["message"],
        "Not Found"
    );
    assert_eq!(fake.count("GET", "/repos/acme/widgets/issues"), 6);
    let statuses: Vec<u16> = fake.requests().iter().map(|r| r.2).collect();
    assert_eq!(statuses, [401, 401, 401, 200, 200, 404, 404]);
}

#[test]
fn issues_and_pull_files_page_with_link_headers() {
    let (fake, repo) = start(false);
    for i in 1..=64 {
        fake.add_issue(&format!("issue {i}"), "", &["deferred-compliance"]);
    }
    let created = call(
        "POST",
        &format!("{repo}/issues"),
        json!({"title": "issue 65", "body": "b"}),
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["number"], 65);

    let first = get(&format!("{repo}/issues?state=open"));
    assert_eq!(first.json().as_array().unwrap().len(), 30);
    let next = first.next().unwrap();
    assert_eq!(next, format!("{repo}/issues?state=open&page=2"));
    let (issues, pages) = all_pages(&format!("{repo}/issues?state=all&per_page=20"));
    assert_eq!(pages, 4);
    let numbers: Vec<u64> = issues
        .iter()
        .map(|i| i["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=65).rev().collect::<Vec<_>>());
    let labelled = all_pages(&format!(
        "{repo}/issues?labels=Deferred-Compliance&per_page=100"
    ))
    .0;
    assert_eq!(labelled.len(), 64);
    assert!(
        get(&format!("{repo}/issues?per_page=500"))
            .json()
            .as_array()
            .unwrap()
            .len()
            == 65
    );

    let files: Vec<String> = (0..250).map(|i| format!("src/f{i}.rs")).collect();
    fake.add_pull(PullSpec {
        number: 500,
        author: "alice",
        title: "big",
        base_sha: "b",
        head_sha: "h",
        files,
        ..PullSpec::default()
    });
    let (files, pages) = all_pages(&format!("{repo}/pulls/500/files?per_page=100"));
    assert_eq!(pages, 3);
    assert_eq!(files.len(), 250);
    assert_eq!(files[249]["filename"], "src/f249.rs");
    let last = get(&format!("{repo}/pulls/500/files?per_page=100&page=3"));
    assert!(last.next().is_none());
    assert!(last.header("link").unwrap().contains("rel=\"prev\""));
}

#[test]
fn issues_labels_comments_and_events_are_stateful() {
    let (fake, repo) = start(false);
    let new =
        json!({"title": "Nightly failed", "body": "details", "labels": ["deferred-compliance"]});
    assert_eq!(
        call("POST", &format!("{repo}/issues"), new.clone()).status,
        201
    );
    assert_eq!(
        get(&format!("{repo}/labels/deferred-compliance")).status,
        200
    );
    assert_eq!(get(&format!("{repo}/labels/nope")).status, 404);
    let label = json!({"name": "deferred-compliance", "color": "d73a4a"});
    let again = call("POST", &format!("{repo}/labels"), label);
    assert_eq!(again.status, 422);
    assert_eq!(again.json()["errors"][0]["code"], "already_exists");
    // GitHub would make a second issue; the client must not ask.
    assert_eq!(
        call("POST", &format!("{repo}/issues"), new).json()["number"],
        2
    );
    assert_eq!(
        call("POST", &format!("{repo}/issues"), json!({"body": "x"})).status,
        422
    );

    let labels = call(
        "POST",
        &format!("{repo}/issues/1/labels"),
        json!({"labels": ["blocking"]}),
    );
    assert_eq!(labels.status, 200);
    assert_eq!(labels.json().as_array().unwrap().len(), 2);
    fake.add_label_by(1, "compliance-exception", "alice");
    let removed = call(
        "DELETE",
        &format!("{repo}/issues/1/labels/blocking"),
        json!(null),
    );
    assert_eq!(removed.json()[1]["name"], "compliance-exception");
    assert_eq!(
        call(
            "DELETE",
            &format!("{repo}/issues/1/labels/blocking"),
            json!(null)
        )
        .status,
        404
    );

    let comment = call(
        "POST",
        &format!("{repo}/issues/1/comments"),
        json!({"body": "still failing"}),
    );
    assert_eq!(comment.status, 201);
    assert_eq!(comment.json()["user"]["login"], "compliance-bot[bot]");
    fake.comment_by(1, "bob", "looking");
    let comments = get(&format!("{repo}/issues/1/comments")).json();
    assert_eq!(comments[1]["body"], "looking");

    let closed = call(
        "PATCH",
        &format!("{repo}/issues/1"),
        json!({"state": "closed"}),
    );
    assert_eq!(closed.json()["state_reason"], "completed");
    assert!(closed.json()["closed_at"].is_string());
    let open = get(&format!("{repo}/issues?labels=deferred-compliance")).json();
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["number"], 2);

    let events = get(&format!("{repo}/issues/1/events")).json();
    let seen: Vec<(&str, &str, &str)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let label = e["label"]["name"].as_str().unwrap_or("");
            (
                e["event"].as_str().unwrap(),
                e["actor"]["login"].as_str().unwrap(),
                label,
            )
        })
        .collect();
    let bot = "compliance-bot[bot]";
    assert_eq!(
        seen,
        [
            ("labeled", bot, "deferred-compliance"),
            ("labeled", bot, "blocking"),
            ("labeled", "alice", "compliance-exception"),
            ("unlabeled", bot, "blocking"),
            ("closed", bot, ""),
        ]
    );
    let issue = fake.issue(1);
    assert_eq!(issue.state, "closed");
    assert_eq!(
        issue.labels,
        ["deferred-compliance", "compliance-exception"]
    );
    assert_eq!(issue.comments, ["still failing", "looking"]);
    let alice = IssueEvent {
        event: "labeled".to_owned(),
        actor: "alice".to_owned(),
        label: Some("compliance-exception".to_owned()),
    };
    assert_eq!(issue.events[2], alice);
    assert_eq!(fake.issues().len(), 2);
}

#[test]
fn contents_round_trip_through_base64() {
    let (fake, repo) = start(false);
    fake.add_commit("c1", None, "alice", "init", &[".github/CODEOWNERS"]);
    fake.set_branch("main", "c1");
    let text: String = (0..40)
        .map(|i| format!("/src/team{i}/ @acme/team-{i}\n"))
        .collect();
    fake.add_file("c1", ".github/CODEOWNERS", &text);
    for r in ["c1", "main"] {
        let reply = get(&format!("{repo}/contents/.github/CODEOWNERS?ref={r}"));
        assert_eq!(reply.status, 200, "{r}");
        let content = reply.json()["content"].as_str().unwrap().to_owned();
        assert!(content.lines().all(|l| l.len() <= 60) && content.lines().count() > 1);
        let decoded = STANDARD.decode(content.replace('\n', "")).unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), text);
    }
    assert_eq!(
        get(&format!("{repo}/contents/.github/CODEOWNERS")).status,
        200
    );
    assert_eq!(
        get(&format!("{repo}/contents/CODEOWNERS?ref=c1")).status,
        404
    );
    assert_eq!(
        get(&format!("{repo}/contents/.github/CODEOWNERS?ref=c2")).status,
        404
    );
}

#[test]
fn commits_compare_statuses_and_teams_follow_the_history() {
    let (fake, repo) = start(false);
    // a - b - c (main)
    //   \ d (feature)
    fake.add_commit("a", None, "alice", "root", &[]);
    fake.add_commit("b", Some("a"), "alice", "two", &["src/lib.rs"]);
    fake.add_commit("c", Some("b"), "bob", "three\n\nbody", &["src/main.rs"]);
    fake.add_commit("d", Some("a"), "carol", "feature", &["README.md"]);
    fake.set_branch("main", "c");
    fake.set_branch("feature", "d");
    let compare = |basehead: &str| {
        let v = get(&format!("{repo}/compare/{basehead}")).json();
        (
            v["status"].as_str().unwrap().to_owned(),
            v["ahead_by"].as_u64().unwrap(),
            v["behind_by"].as_u64().unwrap(),
        )
    };
    assert_eq!(compare("c...c"), ("identical".to_owned(), 0, 0));
    assert_eq!(compare("a...main"), ("ahead".to_owned(), 2, 0));
    assert_eq!(compare("c...a"), ("behind".to_owned(), 0, 2));
    assert_eq!(compare("main...feature"), ("diverged".to_owned(), 1, 2));
    assert_eq!(get(&format!("{repo}/compare/a...zzz")).status, 404);

    let commit = get(&format!("{repo}/commits/main")).json();
    assert_eq!(
        (commit["sha"].as_str(), commit["author"]["login"].as_str()),
        (Some("c"), Some("bob"))
    );
    assert_eq!(commit["files"][0]["filename"], "src/main.rs");
    assert_eq!(get(&format!("{repo}/commits/zzz")).status, 422);
    assert_eq!(
        get(&format!("{repo}/branches/feature")).json()["commit"]["sha"],
        "d"
    );
    assert_eq!(get(&format!("{repo}/branches/nope")).status, 404);

    fake.add_pull(PullSpec {
        number: 7,
        author: "bob",
        title: "three",
        merge_commit_sha: Some("c"),
        base_sha: "b",
        head_sha: "c0",
        ..PullSpec::default()
    });
    let pulls = get(&format!("{repo}/commits/c/pulls")).json();
    assert_eq!(pulls[0]["number"], 7);
    let pull = get(&format!("{repo}/pulls/7")).json();
    assert!(pull["merged_at"].is_string() && pull["state"] == "closed");

    let status = |state: &str, context: &str| {
        call(
            "POST",
            &format!("{repo}/statuses/c"),
            json!({"state": state, "context": context}),
        )
        .status
    };
    assert_eq!(
        get(&format!("{repo}/commits/c/status")).json()["state"],
        "pending"
    );
    assert_eq!(status("pending", "deferred-compliance"), 201);
    assert_eq!(status("success", "ci"), 201);
    assert_eq!(status("failure", "deferred-compliance"), 201);
    assert_eq!(status("weird", "ci"), 422);
    let combined = get(&format!("{repo}/commits/main/status")).json();
    assert_eq!(combined["state"], "failure");
    assert_eq!(combined["statuses"].as_array().unwrap().len(), 2);
    assert_eq!(
        get(&format!("{repo}/commits/c/statuses")).json()[0]["state"],
        "failure"
    );
    assert_eq!(fake.statuses("c").len(), 3);

    fake.add_team("acme", "release-managers", &["Alice"]);
    let member = |login: &str| {
        get(&format!(
            "{}/orgs/acme/teams/release-managers/memberships/{login}",
            fake.url()
        ))
        .status
    };
    assert_eq!((member("alice"), member("bob")), (200, 404));
}

#[test]
fn runs_jobs_reruns_and_protection_rules() {
    let (fake, repo) = start(false);
    fake.add_commit("s1", None, "alice", "merge", &[]);
    let old = fake.add_run(RunSpec {
        workflow_file: "nightly.yml",
        head_sha: "s1",
        conclusion: Some("success"),
        ..RunSpec::default()
    });
    let id = fake.add_run(RunSpec {
        workflow_file: "nightly.yml",
        head_sha: "s1",
        conclusion: Some("failure"),
        jobs: vec![("build", Some("success")), ("e2e", Some("failure"))],
        ..RunSpec::default()
    });
    fake.add_run(RunSpec {
        workflow_file: "nightly.yml",
        head_sha: "s1",
        branch: "dev",
        ..RunSpec::default()
    });
    let runs = get(&format!(
        "{repo}/actions/workflows/nightly.yml/runs?branch=main&status=completed"
    ))
    .json();
    assert_eq!(runs["total_count"], 2);
    assert_eq!(runs["workflow_runs"][0]["id"], id);
    assert_eq!(runs["workflow_runs"][1]["id"], old);
    assert_eq!(runs["workflow_runs"][0]["run_number"], 2);
    let failed = get(&format!(
        "{repo}/actions/workflows/nightly.yml/runs?status=failure"
    ))
    .json();
    assert_eq!(failed["total_count"], 1);
    assert_eq!(
        get(&format!("{repo}/actions/workflows/other.yml/runs")).status,
        404
    );

    let run = get(&format!("{repo}/actions/runs/{id}")).json();
    assert_eq!(run, fake.run_json(id));
    assert_eq!(run["path"], ".github/workflows/nightly.yml");
    assert_eq!(run["head_commit"]["author"]["name"], "alice");

    let jobs = get(&format!("{repo}/actions/runs/{id}/jobs?filter=latest")).json();
    assert_eq!(jobs["jobs"][1]["conclusion"], "failure");
    let rerun = format!("{repo}/actions/runs/{id}/rerun-failed-jobs");
    assert_eq!(call("POST", &rerun, json!({})).status, 201);
    assert_eq!(call("POST", &rerun, json!({})).status, 403);
    let run = get(&format!("{repo}/actions/runs/{id}")).json();
    assert_eq!(
        (run["status"].as_str(), run["run_attempt"].as_u64()),
        (Some("queued"), Some(2))
    );
    let jobs = get(&format!("{repo}/actions/runs/{id}/jobs")).json();
    assert_eq!(jobs["jobs"][0]["conclusion"], "success");
    assert_eq!(jobs["jobs"][1]["status"], "queued");
    assert_eq!(
        get(&format!("{repo}/actions/runs/{id}/jobs?filter=all")).json()["total_count"],
        4
    );
    fake.set_run(id, Some("success"), &[("e2e", Some("success"))]);
    assert_eq!(
        get(&format!("{repo}/actions/runs/{id}")).json()["conclusion"],
        "success"
    );
    assert_eq!(fake.reruns(), [id]);

    let rule = format!("{repo}/actions/runs/{id}/deployment_protection_rule");
    let answer =
        json!({"environment_name": "production", "state": "rejected", "comment": "overdue"});
    assert_eq!(call("POST", &rule, answer).status, 204);
    let bad = json!({"environment_name": "production", "state": "maybe"});
    assert_eq!(call("POST", &rule, bad).status, 422);
    let recorded = fake.protection_responses();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].run_id, recorded[0].state.as_str()),
        (id, "rejected")
    );
}

#[test]
fn faults_down_and_latency() {
    let (fake, repo) = start(false);
    fake.fail_next("GET", "/issues", 502, 1);
    let r = get(&format!("{repo}/issues"));
    assert_eq!(r.status, 502);
    assert!(r.body.starts_with("<html>"));
    assert_eq!(get(&format!("{repo}/issues")).status, 200);
    fake.fail_next("POST", "/issues", 403, 2);
    let limited = call("POST", &format!("{repo}/issues"), json!({"title": "t"}));
    assert_eq!(limited.status, 403);
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert!(
        limited.json()["message"]
            .as_str()
            .unwrap()
            .contains("secondary rate limit")
    );
    assert_eq!(
        call("POST", &format!("{repo}/issues"), json!({"title": "t"})).status,
        403
    );
    assert_eq!(
        call("POST", &format!("{repo}/issues"), json!({"title": "t"})).status,
        201
    );
    fake.set_down(true);
    assert_eq!(get(&format!("{repo}/issues")).status, 502);
    fake.set_down(false);
    fake.set_latency(std::time::Duration::from_millis(200));
    let started = std::time::Instant::now();
    assert_eq!(get(&format!("{repo}/issues")).status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(200));
}

#[test]
fn faults_carry_headers_and_the_log_has_times() {
    let (fake, repo) = start(false);
    let before = std::time::SystemTime::now();
    // GitHub's primary rate limit: no retry-after, the reset in epoch seconds.
    let reset = (epoch() + 30).to_string();
    let exhausted = json!({"message": "API rate limit exceeded for user ID 1."});
    let headers = [
        ("x-ratelimit-limit", "5000"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", reset.as_str()),
    ];
    fake.fail_next_with_headers("GET", "/issues?", 403, Some(exhausted), &headers, 1);
    assert_eq!(get(&format!("{repo}/issues/1")).status, 404);
    let limited = get(&format!("{repo}/issues?state=open"));
    assert_eq!(limited.status, 403);
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(limited.header("x-ratelimit-reset"), Some(reset.as_str()));
    assert_eq!(limited.header("retry-after"), None);
    assert_eq!(
        limited.json()["message"],
        "API rate limit exceeded for user ID 1."
    );
    assert_eq!(get(&format!("{repo}/issues?state=open")).status, 200);
    // A header given replaces the fault's own; the default body stays.
    fake.fail_next_with_headers("POST", "/issues", 429, None, &[("Retry-After", "7")], 2);
    for _ in 0..2 {
        let r = call("POST", &format!("{repo}/issues"), json!({"title": "t"}));
        assert_eq!((r.status, r.header("retry-after")), (429, Some("7")));
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("secondary rate limit")
        );
    }
    assert_eq!(
        call("POST", &format!("{repo}/issues"), json!({"title": "t"})).status,
        201
    );

    let log = fake.request_log();
    let plain: Vec<(String, String, u16)> = log
        .iter()
        .map(|l| (l.method.clone(), l.path.clone(), l.status))
        .collect();
    assert_eq!(plain, fake.requests());
    assert_eq!(
        log.iter().map(|l| l.status).collect::<Vec<_>>(),
        [404, 403, 200, 429, 429, 201]
    );
    assert!(log[0].at >= before);
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(log[5].at <= std::time::SystemTime::now());
}

#[test]
fn another_repository_and_its_labels() {
    let fake = FakeGitHub::start(FakeConfig {
        owner: "org".to_owned(),
        repo: "repo".to_owned(),
        token: TOKEN.to_owned(),
        ..FakeConfig::default()
    });
    let repo = format!("{}/repos/org/repo", fake.url());
    assert_eq!(
        get(&format!("{}/repos/acme/widgets/issues", fake.url())).status,
        404
    );
    fake.add_label("deprecations", "d73a4a");
    let label = call(
        "POST",
        &format!("{repo}/labels"),
        json!({"name": "bug", "color": "#FF0000", "description": "broken"}),
    );
    assert_eq!(label.status, 201);
    assert_eq!(label.json()["color"], "ff0000");
    let bad = json!({"name": "x", "color": "red"});
    assert_eq!(call("POST", &format!("{repo}/labels"), bad).status, 422);
    let issue = call(
        "POST",
        &format!("{repo}/issues"),
        json!({"title": "t", "labels": ["Deprecations", "new-one"]}),
    );
    assert_eq!(issue.status, 201);
    assert_eq!(
        issue.json()["html_url"],
        "https://github.example/org/repo/issues/1"
    );
    assert_eq!(fake.labels(), ["deprecations", "bug", "new-one"]);
    assert_eq!(fake.issue(1).labels, ["deprecations", "new-one"]);
    assert_eq!(get(&format!("{repo}/labels/BUG")).json()["name"], "bug");
}

#[test]
fn enterprise_layout_serves_under_api_v3() {
    let (fake, repo) = start(true);
    assert!(fake.url().ends_with("/api/v3"));
    for i in 0..3 {
        fake.add_issue(&format!("i{i}"), "", &[]);
    }
    let first = get(&format!("{repo}/issues?per_page=2"));
    assert_eq!(first.status, 200);
    assert_eq!(
        first.next().unwrap(),
        format!("{repo}/issues?per_page=2&page=2")
    );
    let root = fake.url().trim_end_matches("/api/v3").to_owned();
    assert_eq!(
        get(&format!("{root}/repos/acme/widgets/issues")).status,
        404
    );
    assert_eq!(fake.count("GET", "/repos/acme/widgets/issues"), 1);
    let paths: Vec<String> = fake.requests().into_iter().map(|r| r.1).collect();
    assert_eq!(
        paths,
        [
            "/api/v3/repos/acme/widgets/issues?per_page=2",
            "/repos/acme/widgets/issues"
        ]
    );
}

#[test]
fn app_jwt_is_exchanged_for_an_installation_token() {
    let (fake, repo) = start(false);
    let now = epoch();
    let exchange = |jwt: &str, installation: u64| {
        let url = format!(
            "{}/app/installations/{installation}/access_tokens",
            fake.url()
        );
        send("POST", &url, Some(&format!("Bearer {jwt}")), b"{}")
    };
    let good = jwt(json!({"iss": 4242, "iat": now - 60, "exp": now + 540}));
    assert_eq!(
        exchange(&jwt(json!({"iss": 1, "exp": now + 540})), 77).status,
        401
    );
    assert_eq!(
        exchange(&jwt(json!({"iss": "4242", "exp": now - 1})), 77).status,
        401
    );
    assert_eq!(exchange("not-a-jwt", 77).status, 401);
    assert_eq!(exchange(&good, 78).status, 404);
    let issued = exchange(&good, 77);
    assert_eq!(issued.status, 201);
    let token = issued.json()["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("ghs_"));
    assert!(issued.json()["expires_at"].is_string());
    assert_eq!(fake.installation_tokens_issued(), 1);
    let with = |auth: &str| send("GET", &format!("{repo}/issues"), Some(auth), b"").status;
    assert_eq!(with(&format!("token {token}")), 200);
    assert_eq!(with(&format!("Bearer {good}")), 401);
    let app = send(
        "GET",
        &format!("{}/app", fake.url()),
        Some(&format!("Bearer {good}")),
        b"",
    );
    assert_eq!(app.json()["id"], 4242);
}

#[test]
fn slack_records_messages() {
    let slack = FakeSlack::start();
    let post = |url: &str, body: &[u8]| send("POST", url, None, body);
    let ok = post(
        &slack.url(),
        br#"{"text": "deploys blocked", "blocks": []}"#,
    );
    assert_eq!((ok.status, ok.body.as_str()), (200, "ok"));
    assert!(ok.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(post(&slack.url(), b"text=hi").body, "invalid_payload");
    let wrong = slack.url().replace("XXXX", "YYYY");
    assert_eq!(
        (post(&wrong, b"{}").status, post(&wrong, b"{}").body),
        (404, "no_service".to_owned())
    );
    slack.fail_next(500, 1);
    assert_eq!(post(&slack.url(), br#"{"text": "again"}"#).status, 500);
    assert_eq!(post(&slack.url(), br#"{"text": "again"}"#).status, 200);
    assert_eq!(slack.texts(), ["deploys blocked", "again"]);
    assert_eq!(slack.messages()[0]["blocks"], json!([]));
}
