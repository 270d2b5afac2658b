//! `warnings-collector file-issues` against the project's fake GitHub API
//! (the `fake-services` crate, `tools/fake-services`) on loopback: a stateful server holding
//! issues, labels and comments, checking the token, paginating with `Link`
//! headers, and able to answer with GitHub's rate limits. The real binary
//! runs against it with `GITHUB_API_URL` pointing at it.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fake_services::{FakeConfig, FakeGitHub, IssueState, LoggedRequest};
use serde_json::{Value, json};

const TOKEN: &str = "ghp_fakeTOKEN_7d3e91a0";
const OWNER: &str = "org";
const REPO: &str = "repo";
const LIMIT: usize = 65_536;

/// The fake GitHub holding `org/repo`, at `/` (github.com's layout) or at
/// `/api/v3` (GitHub Enterprise Server's).
fn start(enterprise_path: bool) -> FakeGitHub {
    FakeGitHub::start(FakeConfig {
        owner: OWNER.to_owned(),
        repo: REPO.to_owned(),
        token: TOKEN.to_owned(),
        enterprise_path,
        bot_login: "github-actions[bot]".to_owned(),
        ..FakeConfig::default()
    })
}

/// Issues and labels (comments are the issues'): what a dry run must leave
/// as it is.
fn state(fake: &FakeGitHub) -> (Vec<IssueState>, Vec<String>) {
    (fake.issues(), fake.labels())
}

/// Every comment: issue number and body, oldest first per issue.
fn comments(fake: &FakeGitHub) -> Vec<(u64, String)> {
    let issues = fake.issues();
    let each = issues.iter().flat_map(|i| {
        let number = i.number;
        i.comments.iter().map(move |c| (number, c.clone()))
    });
    each.collect()
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// GitHub's primary rate limit on the next issue list: 403 with
/// `x-ratelimit-remaining: 0` and a reset `secs` seconds ahead; returns
/// the `x-ratelimit-reset` it will send.
fn exhaust_on_next_list(fake: &FakeGitHub, secs: u64) -> u64 {
    let reset = epoch_secs() + secs;
    let body = json!({
        "message": "API rate limit exceeded for user ID 1.",
        "documentation_url": "https://docs.github.com/rest",
    });
    let reset_header = reset.to_string();
    let headers = [
        ("x-ratelimit-limit", "5000"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", reset_header.as_str()),
    ];
    let list = format!("/repos/{OWNER}/{REPO}/issues?");
    fake.fail_next_with_headers("GET", &list, 403, Some(body), &headers, 1);
    reset
}

// ---------------------------------------------------------------------------
// Reports folders, as `collect --out DIR` writes them.

fn slug(owner: &str) -> String {
    owner
        .trim_start_matches('@')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn report(owner: &str, warnings: u64) -> String {
    let mut md = format!(
        "# Deprecation warnings: {owner}\n\n{warnings} warnings.\n\n| file | line | warning |\n| --- | --- | --- |\n"
    );
    for i in 0..warnings {
        md.push_str(&format!(
            "| src/{}/m{i}.rs | {} | use of deprecated function `old_{i}` |\n",
            slug(owner),
            i + 1
        ));
    }
    md
}

/// Writes `summary.json` and one report per owner with warnings (those with
/// none are absent, as `collect` leaves them out).
fn write_reports(dir: &Path, owners: &[(&str, u64)], unowned: u64) {
    for entry in std::fs::read_dir(dir).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    let mut teams = serde_json::Map::new();
    let mut warnings = Vec::new();
    for &(owner, n) in owners.iter().filter(|(_, n)| *n > 0) {
        let s = slug(owner);
        std::fs::write(dir.join(format!("{s}.md")), report(owner, n)).unwrap();
        teams.insert(
            owner.to_owned(),
            json!({"slug": s, "warnings": n, "occurrences": 2 * n, "files": n, "report": format!("{s}.md")}),
        );
        for i in 0..n {
            warnings.push(json!({
                "file": format!("src/{s}/m{i}.rs"), "line": i + 1,
                "message": format!("use of deprecated function `old_{i}`"),
                "category": "deprecated", "tool": "rustc", "count": 2,
                "tests": [], "owners": [owner],
            }));
        }
    }
    std::fs::write(dir.join("unowned.md"), report("unowned", unowned)).unwrap();
    let total: u64 = owners.iter().map(|(_, n)| n).sum::<u64>() + unowned;
    let summary = json!({
        "version": 1,
        "total": total,
        "occurrences": 2 * total,
        "command": "warnings-collector collect --out reports cargo-build.log",
        "teams": teams,
        "unowned": {"slug": "unowned", "warnings": unowned, "occurrences": 2 * unowned, "files": unowned, "report": "unowned.md"},
        "warnings": warnings,
    });
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------
// Running the binary.

fn file_issues(api: &str, dir: &Path, token: Option<&str>, extra: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_warnings-collector"));
    c.args(["file-issues", "--repo", &format!("{OWNER}/{REPO}"), "--out"])
        .arg(dir)
        .args(extra)
        .env("GITHUB_API_URL", api)
        .env_remove("GITHUB_TOKEN")
        // A truncation note would link the CI run of whoever runs the tests.
        .env_remove("GITHUB_RUN_ID")
        .env_remove("GITHUB_SERVER_URL")
        .env_remove("GITHUB_REPOSITORY");
    if let Some(t) = token {
        c.env("GITHUB_TOKEN", t);
    }
    let out = c.output().expect("the binary runs");
    for text in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(text);
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        if let Some(t) = token {
            assert!(!text.contains(t), "the token leaked: {text}");
        }
    }
    out
}

/// Runs with the right token; asserts success and returns stdout.
fn ok(fake: &FakeGitHub, dir: &Path, extra: &[&str]) -> String {
    let out = file_issues(&fake.url(), dir, Some(TOKEN), extra);
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn marker(team: &str) -> String {
    format!("<!-- warnings-collector team={team} -->")
}

/// Requests after the first `from` that are not reads.
fn writes(fake: &FakeGitHub, from: usize) -> Vec<String> {
    fake.requests()[from..]
        .iter()
        .filter(|(method, _, _)| method != "GET")
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect()
}

// ---------------------------------------------------------------------------

#[test]
fn creates_one_issue_per_team_then_changes_nothing_then_updates_and_closes() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_reports(
        d,
        &[("@org/a", 3), ("@org/b", 2), ("dev@example.com", 1)],
        4,
    );

    // First run: one issue per GitHub team, the label created first.
    let out = file_issues(&fake.url(), d, Some(TOKEN), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "created #1 @org/a (3 warnings)\ncreated #2 @org/b (2 warnings)\n"
    );
    let err = stderr(&out);
    assert!(
        err.contains("note: no issue for dev@example.com (1 warning): an email owner cannot be mentioned on GitHub"),
        "{err}"
    );
    assert!(err.contains("created the label `deprecations`"), "{err}");
    // GitHub (and the fake) would create a missing label on the first
    // issue; the label is created on its own before any issue.
    assert_eq!(
        writes(&fake, 0),
        [
            "POST /repos/org/repo/labels",
            "POST /repos/org/repo/issues",
            "POST /repos/org/repo/issues",
        ]
    );
    let label_created = fake.requests().iter().any(|(method, path, status)| {
        method == "POST" && path == "/repos/org/repo/labels" && *status == 201
    });
    assert!(label_created, "{:?}", fake.requests());
    assert_eq!(fake.labels(), ["deprecations"]);
    {
        let issues = fake.issues();
        assert_eq!(issues.len(), 2);
        for (issue, (team, n)) in issues.iter().zip([("@org/a", 3), ("@org/b", 2)]) {
            assert_eq!(issue.title, format!("Deprecation warnings: {team} ({n})"));
            assert_eq!(issue.body, format!("{}\n{}", marker(team), report(team, n)));
            assert_eq!(issue.labels, ["deprecations"]);
            assert_eq!(issue.state, "open");
        }
    }

    // A person files an issue with the same label: not ours, no marker.
    let theirs = fake.add_issue(
        "Remove the old logging API",
        "It is deprecated since 2.0; @org/a knows more.\n",
        &["deprecations", "help wanted"],
    );
    let theirs_before = fake.issue(theirs);

    // Second run, same input: nothing written, no duplicate.
    let before = fake.requests().len();
    assert_eq!(
        ok(&fake, d, &[]),
        "unchanged #1 @org/a\nunchanged #2 @org/b\n"
    );
    assert_eq!(writes(&fake, before), Vec::<String>::new());
    assert_eq!(fake.issues().len(), 3);

    // Third run: @org/b fixed everything, @org/a has more.
    write_reports(d, &[("@org/a", 5), ("dev@example.com", 1)], 4);
    let before = fake.requests().len();
    assert_eq!(ok(&fake, d, &[]), "updated #1 @org/a\nclosed #2 @org/b\n");
    assert_eq!(
        writes(&fake, before),
        [
            "PATCH /repos/org/repo/issues/1",
            "POST /repos/org/repo/issues/2/comments",
            "PATCH /repos/org/repo/issues/2",
        ]
    );
    {
        let a = fake.issue(1);
        assert_eq!(a.title, "Deprecation warnings: @org/a (5)");
        assert_eq!(
            a.body,
            format!("{}\n{}", marker("@org/a"), report("@org/a", 5))
        );
        assert_eq!(a.state, "open");
        let b = fake.issue(2);
        assert_eq!(b.state, "closed");
        assert_eq!(b.state_reason.as_deref(), Some("completed"));
        assert_eq!(
            comments(&fake),
            [(
                2,
                "All deprecation warnings of @org/b are fixed.".to_owned()
            )]
        );
        assert_eq!(fake.issue(theirs), theirs_before);
        assert_eq!(fake.issues().len(), 3);
    }

    // Fourth run, as JSON: the closed issue is not seen again.
    let before = fake.requests().len();
    let json: Value = serde_json::from_str(&ok(&fake, d, &["--format", "json"])).unwrap();
    assert_eq!(json["repo"], "org/repo");
    assert_eq!(json["dry_run"], false);
    assert_eq!(
        json["issues"],
        json!([{"team": "@org/a", "action": "unchanged", "number": 1, "warnings": 5,
                "url": "https://github.example/org/repo/issues/1"}])
    );
    assert_eq!(json["skipped"][0]["owner"], "dev@example.com");
    assert_eq!(writes(&fake, before), Vec::<String>::new());
    assert_eq!(fake.issue(theirs), theirs_before);
}

#[test]
fn rate_limits_are_waited_out_and_the_request_retried() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 1), ("@org/b", 2)], 0);
    fake.add_label("deprecations", "ededed");
    // The reset is two seconds ahead, so that the wait for it is longer
    // than the one second added to it.
    let reset = exhaust_on_next_list(&fake, 2);
    // The next create: a secondary rate limit, 429 with `retry-after: 1`.
    fake.fail_next("POST", "/repos/org/repo/issues", 429, 1);
    let started = Instant::now();
    let out = file_issues(&fake.url(), dir.path(), Some(TOKEN), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "created #1 @org/a (1 warning)\ncreated #2 @org/b (2 warnings)\n"
    );
    assert!(
        stderr(&out).contains("rate-limited (HTTP 403)"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("rate-limited (HTTP 429)"),
        "{}",
        stderr(&out)
    );

    let log = fake.request_log();
    // The list: 403, then retried no earlier than x-ratelimit-reset.
    let lists: Vec<&LoggedRequest> = log
        .iter()
        .filter(|l| l.method == "GET" && l.path.contains("/issues?"))
        .collect();
    assert_eq!(
        lists.iter().map(|l| l.status).collect::<Vec<_>>(),
        [403, 200]
    );
    let retried_at = lists[1].at.duration_since(UNIX_EPOCH).unwrap();
    assert!(
        retried_at >= Duration::from_secs(reset),
        "retried at {retried_at:?}, before the reset at {reset}"
    );
    // The first create: 429 with retry-after: 1, then sent again after at
    // least a second; no duplicate.
    let creates: Vec<&LoggedRequest> = log
        .iter()
        .filter(|l| l.method == "POST" && l.path == "/repos/org/repo/issues")
        .collect();
    assert_eq!(
        creates.iter().map(|l| l.status).collect::<Vec<_>>(),
        [429, 201, 201]
    );
    let waited = creates[1].at.duration_since(creates[0].at).unwrap();
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert_eq!(fake.issues().len(), 2);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_rate_limit_longer_than_the_cap_fails_at_once() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 1)], 0);
    exhaust_on_next_list(&fake, 3600);
    let started = Instant::now();
    let out = file_issues(&fake.url(), dir.path(), Some(TOKEN), &[]);
    // 3: the service is unavailable for now (docs/cli.md), not bad input.
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("asks to wait"), "{err}");
    assert!(err.contains("more than the 60 s this tool waits"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(writes(&fake, 0), Vec::<String>::new());
}

#[test]
fn a_wrong_token_exits_2_with_one_line_without_the_token() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 1)], 0);
    let wrong = "ghp_wrongSECRET_0123456789";
    let out = file_issues(&fake.url(), dir.path(), Some(wrong), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains(wrong), "{err}");
    assert!(err.starts_with("warnings-collector: error: "), "{err}");
    assert!(err.contains("HTTP 401 Bad credentials"), "{err}");
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(fake.issues().is_empty());

    // No token at all: an error naming the variable, and no request.
    let out = file_issues(&fake.url(), dir.path(), None, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("GITHUB_TOKEN is not set"), "{err}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn dry_run_writes_nothing() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_reports(d, &[("@org/a", 2), ("@org/b", 1)], 0);
    ok(&fake, d, &[]);

    // @org/a changes, @org/b is fixed, @org/c is new.
    write_reports(d, &[("@org/a", 3), ("@org/c", 1)], 0);
    let snapshot = state(&fake);
    let before = fake.requests().len();
    assert_eq!(
        ok(&fake, d, &["--dry-run"]),
        "would update #1 @org/a\nwould create @org/c (1 warning)\nwould close #2 @org/b\n"
    );
    assert_eq!(state(&fake), snapshot);
    assert_eq!(writes(&fake, before), Vec::<String>::new());

    // Without a token: what would be filed, and no request at all.
    let before = fake.requests().len();
    let out = file_issues(&fake.url(), d, None, &["--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "would file @org/a (3 warnings)\nwould file @org/c (1 warning)\n"
    );
    assert!(stderr(&out).contains("GITHUB_TOKEN is not set"));
    assert_eq!(fake.requests().len(), before);
    assert_eq!(state(&fake), snapshot);
}

#[test]
fn issues_are_found_beyond_the_first_page_on_an_enterprise_server_path() {
    let fake = start(true);
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 2), ("@org/b", 1)], 0);
    fake.add_label("deprecations", "ededed");
    // The oldest open issue is ours; 150 newer ones push it to page 2.
    fake.add_issue(
        "Deprecation warnings: @org/a (9)",
        &format!("{}\nold report\n", marker("@org/a")),
        &["deprecations"],
    );
    for i in 0..150 {
        fake.add_issue(
            &format!("Deprecated thing {i}"),
            "by hand",
            &["deprecations"],
        );
    }
    // The fake serves only below /api/v3 here.
    let api = fake.url();
    assert!(api.ends_with("/api/v3"), "{api}");
    let out = file_issues(&api, dir.path(), Some(TOKEN), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "updated #1 @org/a\ncreated #152 @org/b (1 warning)\n"
    );
    let lists: Vec<String> = fake
        .requests()
        .into_iter()
        .filter(|(method, path, _)| method == "GET" && path.contains("/issues?"))
        .map(|(_, path, _)| path)
        .collect();
    assert_eq!(lists.len(), 2, "{lists:?}");
    assert!(
        lists
            .iter()
            .all(|u| u.starts_with("/api/v3/repos/org/repo/issues?"))
    );
    assert!(lists[1].contains("page=2"), "{lists:?}");
    let issues = fake.issues();
    assert_eq!(issues.len(), 152);
    assert_eq!(issues[0].title, "Deprecation warnings: @org/a (2)");
    assert!(issues[1..151].iter().all(|i| i.body == "by hand"));
}

#[test]
fn a_report_longer_than_an_issue_is_cut_with_a_note() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 2000)], 0);
    let full = report("@org/a", 2000);
    assert!(full.len() > 2 * LIMIT);
    assert_eq!(
        ok(&fake, dir.path(), &[]),
        "created #1 @org/a (2000 warnings)\n"
    );
    let body = fake.issue(1).body;
    assert!(body.chars().count() <= LIMIT);
    assert!(body.starts_with(&format!(
        "{}\n# Deprecation warnings: @org/a\n",
        marker("@org/a")
    )));
    assert!(
        body.contains("more than the 65536 GitHub allows"),
        "{}",
        &body[body.len() - 400..]
    );
    assert!(body.contains("`org-a.md` in the reports artifact"));
    // Cut between rows, and the cut body is stable: a rerun changes nothing.
    let kept = &body[..body.find("\n\n---\n\n*This report").unwrap()];
    assert!(kept.ends_with('|'));
    assert_eq!(ok(&fake, dir.path(), &[]), "unchanged #1 @org/a\n");
}

#[test]
fn the_unowned_issue_is_managed_only_with_include_unowned() {
    let fake = start(false);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_reports(d, &[("@org/a", 1)], 3);
    assert_eq!(
        ok(&fake, d, &["--include-unowned"]),
        "created #1 @org/a (1 warning)\ncreated #2 unowned (3 warnings)\n"
    );
    assert_eq!(fake.issue(2).title, "Deprecation warnings: unowned (3)");
    assert!(fake.issue(2).body.starts_with(&marker("unowned")));

    // Without the flag the unowned issue is left alone, even when stale.
    write_reports(d, &[("@org/a", 1)], 0);
    assert_eq!(ok(&fake, d, &[]), "unchanged #1 @org/a\n");
    assert_eq!(fake.issue(2).state, "open");

    // With it, the fixed unowned warnings close it.
    assert_eq!(
        ok(&fake, d, &["--include-unowned"]),
        "unchanged #1 @org/a\nclosed #2 unowned\n"
    );
    assert_eq!(fake.issue(2).state, "closed");
    assert_eq!(
        comments(&fake),
        [(
            2,
            "All deprecation warnings of unowned files are fixed.".to_owned()
        )]
    );
}
