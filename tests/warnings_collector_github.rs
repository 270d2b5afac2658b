//! `warnings-collector file-issues` against a stateful fake GitHub API on
//! loopback: an axum server holding issues, labels and comments, serving
//! exactly the endpoints the client uses, checking the token, paginating
//! with `Link` headers, and able to answer with GitHub's rate limits. The
//! real binary runs against it with `GITHUB_API_URL` pointing at it.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::Router;
use axum::extract::{OriginalUri, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

const TOKEN: &str = "ghp_fakeTOKEN_7d3e91a0";
const OWNER: &str = "org";
const REPO: &str = "repo";
const LIMIT: usize = 65_536;

// ---------------------------------------------------------------------------
// The fake GitHub API.

#[derive(Clone, Debug, PartialEq)]
struct Issue {
    number: u64,
    title: String,
    body: Option<String>,
    state: String,
    state_reason: Option<String>,
    labels: Vec<String>,
}

#[derive(Clone, Debug)]
struct Logged {
    method: String,
    uri: String,
    at: SystemTime,
    status: u16,
}

#[derive(Default)]
struct Fake {
    issues: Vec<Issue>,
    labels: Vec<String>,
    comments: Vec<(u64, String)>,
    log: Vec<Logged>,
    /// Answer the next `POST …/issues` with 429 and `retry-after: 1`.
    create_429: bool,
    /// Answer the next issue list with 403, `x-ratelimit-remaining: 0` and a
    /// reset this many seconds ahead.
    list_403_reset_in: Option<u64>,
    /// The `x-ratelimit-reset` that was sent.
    reset_sent: Option<u64>,
}

impl Fake {
    fn add_issue(&mut self, title: &str, body: &str, labels: &[&str]) -> u64 {
        let number = self.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1;
        self.issues.push(Issue {
            number,
            title: title.to_owned(),
            body: Some(body.to_owned()),
            state: "open".to_owned(),
            state_reason: None,
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        });
        number
    }

    fn issue(&self, number: u64) -> &Issue {
        self.issues.iter().find(|i| i.number == number).unwrap()
    }
}

type Shared = Arc<Mutex<Fake>>;

fn lock(s: &Shared) -> MutexGuard<'_, Fake> {
    s.lock().unwrap()
}

fn epoch_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"message": message, "documentation_url": "https://docs.github.com/rest"});
    (status, Json(body)).into_response()
}

fn issue_json(i: &Issue) -> Value {
    json!({
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": i.state,
        "state_reason": i.state_reason,
        "labels": i.labels.iter().map(|l| json!({"name": l, "color": "ededed"})).collect::<Vec<_>>(),
        "html_url": format!("https://github.example/{OWNER}/{REPO}/issues/{}", i.number),
        "user": {"login": "someone"},
        "comments": 0,
    })
}

/// The 404 of any repository but the fake's.
fn wrong_repo(owner: &str, repo: &str) -> Option<Response> {
    (owner != OWNER || repo != REPO).then(|| error(StatusCode::NOT_FOUND, "Not Found"))
}

/// Logs every request and answers 401 unless it carries the token.
async fn auth(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let at = SystemTime::now();
    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}") || v == format!("token {TOKEN}"));
    let response = if authorized {
        next.run(req).await
    } else {
        error(StatusCode::UNAUTHORIZED, "Bad credentials")
    };
    lock(&s).log.push(Logged {
        method,
        uri,
        at,
        status: response.status().as_u16(),
    });
    response
}

/// `GET /repos/{owner}/{repo}/issues?state&labels&per_page&page`, newest
/// first, with a `Link` header as GitHub writes it.
async fn list_issues(
    State(s): State<Shared>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = wrong_repo(&owner, &repo) {
        return r;
    }
    let mut f = lock(&s);
    if let Some(secs) = f.list_403_reset_in.take() {
        let reset = epoch_secs() + secs;
        f.reset_sent = Some(reset);
        let mut r = error(
            StatusCode::FORBIDDEN,
            "API rate limit exceeded for user ID 1.",
        );
        let h = r.headers_mut();
        h.insert("x-ratelimit-limit", "5000".parse().unwrap());
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        return r;
    }
    let state = q.get("state").map_or("open", String::as_str);
    let wanted: Vec<String> = q
        .get("labels")
        .map(|l| {
            l.split(',')
                .map(|x| x.trim().to_lowercase())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let per_page: usize = q
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = q
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut matching: Vec<&Issue> = f
        .issues
        .iter()
        .filter(|i| state == "all" || i.state == state)
        .filter(|i| {
            wanted
                .iter()
                .all(|w| i.labels.iter().any(|l| l.to_lowercase() == *w))
        })
        .collect();
    matching.sort_by_key(|i| std::cmp::Reverse(i.number));
    let pages = matching.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|i| issue_json(i))
        .collect();

    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let other: Vec<&str> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
        .collect();
    let link_to = |p: usize, rel: &str| {
        let mut query = other.clone();
        let page = format!("page={p}");
        query.push(&page);
        format!(
            "<http://{host}{}?{}>; rel=\"{rel}\"",
            uri.path(),
            query.join("&")
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to(page - 1, "prev"));
        links.push(link_to(1, "first"));
    }
    if page < pages {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(pages, "last"));
    }
    let mut r = Json(Value::Array(items)).into_response();
    if !links.is_empty() {
        r.headers_mut()
            .insert("link", links.join(", ").parse().unwrap());
    }
    r
}

fn body_too_long(body: Option<&str>) -> bool {
    body.is_some_and(|b| b.chars().count() > LIMIT)
}

/// `POST /repos/{owner}/{repo}/issues`. Stricter than GitHub: a label the
/// repository does not have is refused instead of created.
async fn create_issue(
    State(s): State<Shared>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = wrong_repo(&owner, &repo) {
        return r;
    }
    let mut f = lock(&s);
    if std::mem::take(&mut f.create_429) {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        );
        r.headers_mut().insert("retry-after", "1".parse().unwrap());
        return r;
    }
    let title = body["title"].as_str().unwrap_or("");
    let text = body["body"].as_str();
    if title.is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed: title");
    }
    if body_too_long(text) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed: body is too long (maximum is 65536 characters)",
        );
    }
    let labels: Vec<String> = body["labels"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(missing) = labels
        .iter()
        .find(|l| !f.labels.iter().any(|k| k.eq_ignore_ascii_case(l)))
    {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("Validation Failed: no label {missing}"),
        );
    }
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let number = f.add_issue(title, text.unwrap_or(""), &labels);
    (StatusCode::CREATED, Json(issue_json(f.issue(number)))).into_response()
}

/// `PATCH /repos/{owner}/{repo}/issues/{number}`.
async fn update_issue(
    State(s): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = wrong_repo(&owner, &repo) {
        return r;
    }
    if body_too_long(body["body"].as_str()) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed");
    }
    let mut f = lock(&s);
    let Some(issue) = f.issues.iter_mut().find(|i| i.number == number) else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    if let Some(t) = body["title"].as_str() {
        issue.title = t.to_owned();
    }
    if let Some(b) = body["body"].as_str() {
        issue.body = Some(b.to_owned());
    }
    match body["state"].as_str() {
        None => {}
        Some(st @ ("open" | "closed")) => issue.state = st.to_owned(),
        Some(_) => return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed"),
    }
    if let Some(r) = body["state_reason"].as_str() {
        issue.state_reason = Some(r.to_owned());
    }
    Json(issue_json(issue)).into_response()
}

/// `POST /repos/{owner}/{repo}/issues/{number}/comments`.
async fn add_comment(
    State(s): State<Shared>,
    UrlPath((owner, repo, number)): UrlPath<(String, String, u64)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = wrong_repo(&owner, &repo) {
        return r;
    }
    let mut f = lock(&s);
    if !f.issues.iter().any(|i| i.number == number) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    let Some(text) = body["body"].as_str() else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed");
    };
    f.comments.push((number, text.to_owned()));
    let id = f.comments.len();
    (StatusCode::CREATED, Json(json!({"id": id, "body": text}))).into_response()
}

/// `GET /repos/{owner}/{repo}/labels/{name}`, names compared without case.
async fn get_label(
    State(s): State<Shared>,
    UrlPath((owner, repo, name)): UrlPath<(String, String, String)>,
) -> Response {
    if let Some(r) = wrong_repo(&owner, &repo) {
        return r;
    }
    let f = lock(&s);
    match f.labels.iter().find(|l| l.eq_ignore_ascii_case(&name)) {
        Some(l) => Json(json!({"name": l, "color": "ededed", "description": null})).into_response(),
        None => error(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// `POST /repos/{owner}/{repo}/labels`.
async fn create_label(
    State(s): State<Shared>,
    UrlPath((owner, repo)): UrlPath<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = wrong_repo(&owner, &repo) {
        return r;
    }
    let name = body["name"].as_str().unwrap_or("");
    let color = body["color"].as_str().unwrap_or("");
    if name.is_empty() || color.len() != 6 || !color.bytes().all(|b| b.is_ascii_hexdigit()) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "Validation Failed");
    }
    let mut f = lock(&s);
    if f.labels.iter().any(|l| l.eq_ignore_ascii_case(name)) {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation Failed: already_exists",
        );
    }
    f.labels.push(name.to_owned());
    (
        StatusCode::CREATED,
        Json(json!({"name": name, "color": color})),
    )
        .into_response()
}

struct Server {
    url: String,
    state: Shared,
}

impl Server {
    /// Serves the fake API on 127.0.0.1 from a thread of its own, at `/`
    /// (github.com's layout) and at `/api/v3` (GitHub Enterprise Server's).
    fn start() -> Server {
        let state: Shared = Arc::default();
        let api = Router::new()
            .route(
                "/repos/{owner}/{repo}/issues",
                get(list_issues).post(create_issue),
            )
            .route("/repos/{owner}/{repo}/issues/{number}", patch(update_issue))
            .route(
                "/repos/{owner}/{repo}/issues/{number}/comments",
                post(add_comment),
            )
            .route("/repos/{owner}/{repo}/labels", post(create_label))
            .route("/repos/{owner}/{repo}/labels/{name}", get(get_label));
        let app = Router::new()
            .merge(api.clone())
            .nest("/api/v3", api)
            .layer(middleware::from_fn_with_state(state.clone(), auth))
            .with_state(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        Server { url, state }
    }

    fn fake(&self) -> MutexGuard<'_, Fake> {
        lock(&self.state)
    }

    /// Issues, labels and comments: what a dry run must leave as it is.
    fn snapshot(&self) -> (Vec<Issue>, Vec<String>, Vec<(u64, String)>) {
        let f = self.fake();
        (f.issues.clone(), f.labels.clone(), f.comments.clone())
    }

    fn log(&self) -> Vec<Logged> {
        self.fake().log.clone()
    }
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
fn ok(server: &Server, dir: &Path, extra: &[&str]) -> String {
    let out = file_issues(&server.url, dir, Some(TOKEN), extra);
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
fn writes(server: &Server, from: usize) -> Vec<String> {
    server.log()[from..]
        .iter()
        .filter(|l| l.method != "GET")
        .map(|l| format!("{} {}", l.method, l.uri))
        .collect()
}

// ---------------------------------------------------------------------------

#[test]
fn creates_one_issue_per_team_then_changes_nothing_then_updates_and_closes() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_reports(
        d,
        &[("@org/a", 3), ("@org/b", 2), ("dev@example.com", 1)],
        4,
    );

    // First run: one issue per GitHub team, the label created first.
    let out = file_issues(&server.url, d, Some(TOKEN), &[]);
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
    {
        let f = server.fake();
        assert_eq!(f.labels, ["deprecations"]);
        assert_eq!(f.issues.len(), 2);
        for (issue, (team, n)) in f.issues.iter().zip([("@org/a", 3), ("@org/b", 2)]) {
            assert_eq!(issue.title, format!("Deprecation warnings: {team} ({n})"));
            assert_eq!(
                issue.body.as_deref().unwrap(),
                format!("{}\n{}", marker(team), report(team, n))
            );
            assert_eq!(issue.labels, ["deprecations"]);
            assert_eq!(issue.state, "open");
        }
    }

    // A person files an issue with the same label: not ours, no marker.
    let theirs = server.fake().add_issue(
        "Remove the old logging API",
        "It is deprecated since 2.0; @org/a knows more.\n",
        &["deprecations", "help wanted"],
    );
    let theirs_before = server.fake().issue(theirs).clone();

    // Second run, same input: nothing written, no duplicate.
    let before = server.log().len();
    assert_eq!(
        ok(&server, d, &[]),
        "unchanged #1 @org/a\nunchanged #2 @org/b\n"
    );
    assert_eq!(writes(&server, before), Vec::<String>::new());
    assert_eq!(server.fake().issues.len(), 3);

    // Third run: @org/b fixed everything, @org/a has more.
    write_reports(d, &[("@org/a", 5), ("dev@example.com", 1)], 4);
    let before = server.log().len();
    assert_eq!(ok(&server, d, &[]), "updated #1 @org/a\nclosed #2 @org/b\n");
    assert_eq!(
        writes(&server, before),
        [
            "PATCH /repos/org/repo/issues/1",
            "POST /repos/org/repo/issues/2/comments",
            "PATCH /repos/org/repo/issues/2",
        ]
    );
    {
        let f = server.fake();
        let a = f.issue(1);
        assert_eq!(a.title, "Deprecation warnings: @org/a (5)");
        assert_eq!(
            a.body.as_deref().unwrap(),
            format!("{}\n{}", marker("@org/a"), report("@org/a", 5))
        );
        assert_eq!(a.state, "open");
        let b = f.issue(2);
        assert_eq!(b.state, "closed");
        assert_eq!(b.state_reason.as_deref(), Some("completed"));
        assert_eq!(
            f.comments,
            [(
                2,
                "All deprecation warnings of @org/b are fixed.".to_owned()
            )]
        );
        assert_eq!(*f.issue(theirs), theirs_before);
        assert_eq!(f.issues.len(), 3);
    }

    // Fourth run, as JSON: the closed issue is not seen again.
    let before = server.log().len();
    let json: Value = serde_json::from_str(&ok(&server, d, &["--format", "json"])).unwrap();
    assert_eq!(json["repo"], "org/repo");
    assert_eq!(json["dry_run"], false);
    assert_eq!(
        json["issues"],
        json!([{"team": "@org/a", "action": "unchanged", "number": 1, "warnings": 5,
                "url": "https://github.example/org/repo/issues/1"}])
    );
    assert_eq!(json["skipped"][0]["owner"], "dev@example.com");
    assert_eq!(writes(&server, before), Vec::<String>::new());
    assert_eq!(*server.fake().issue(theirs), theirs_before);
}

#[test]
fn rate_limits_are_waited_out_and_the_request_retried() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 1), ("@org/b", 2)], 0);
    {
        let mut f = server.fake();
        f.labels.push("deprecations".into());
        f.list_403_reset_in = Some(1);
        f.create_429 = true;
    }
    let started = Instant::now();
    let out = file_issues(&server.url, dir.path(), Some(TOKEN), &[]);
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

    let log = server.log();
    // The list: 403, then retried no earlier than x-ratelimit-reset.
    let lists: Vec<&Logged> = log
        .iter()
        .filter(|l| l.method == "GET" && l.uri.contains("/issues?"))
        .collect();
    assert_eq!(
        lists.iter().map(|l| l.status).collect::<Vec<_>>(),
        [403, 200]
    );
    let reset = server.fake().reset_sent.unwrap();
    let retried_at = lists[1].at.duration_since(UNIX_EPOCH).unwrap();
    assert!(
        retried_at >= Duration::from_secs(reset),
        "retried at {retried_at:?}, before the reset at {reset}"
    );
    // The first create: 429 with retry-after: 1, then sent again after at
    // least a second; no duplicate.
    let creates: Vec<&Logged> = log
        .iter()
        .filter(|l| l.method == "POST" && l.uri == "/repos/org/repo/issues")
        .collect();
    assert_eq!(
        creates.iter().map(|l| l.status).collect::<Vec<_>>(),
        [429, 201, 201]
    );
    let waited = creates[1].at.duration_since(creates[0].at).unwrap();
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert_eq!(server.fake().issues.len(), 2);
    assert!(started.elapsed() < Duration::from_secs(15));
}

#[test]
fn a_rate_limit_longer_than_the_cap_fails_at_once() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 1)], 0);
    server.fake().list_403_reset_in = Some(3600);
    let started = Instant::now();
    let out = file_issues(&server.url, dir.path(), Some(TOKEN), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("asks to wait"), "{err}");
    assert!(err.contains("more than the 60 s this tool waits"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(writes(&server, 0), Vec::<String>::new());
}

#[test]
fn a_wrong_token_exits_2_with_one_line_without_the_token() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 1)], 0);
    let wrong = "ghp_wrongSECRET_0123456789";
    let out = file_issues(&server.url, dir.path(), Some(wrong), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains(wrong), "{err}");
    assert!(err.starts_with("warnings-collector: error: "), "{err}");
    assert!(err.contains("HTTP 401 Bad credentials"), "{err}");
    assert!(err.contains("GITHUB_TOKEN"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(server.fake().issues.is_empty());

    // No token at all: an error naming the variable, and no request.
    let out = file_issues(&server.url, dir.path(), None, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("GITHUB_TOKEN is not set"), "{err}");
    assert_eq!(server.log().len(), 1);
}

#[test]
fn dry_run_writes_nothing() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_reports(d, &[("@org/a", 2), ("@org/b", 1)], 0);
    ok(&server, d, &[]);

    // @org/a changes, @org/b is fixed, @org/c is new.
    write_reports(d, &[("@org/a", 3), ("@org/c", 1)], 0);
    let snapshot = server.snapshot();
    let before = server.log().len();
    assert_eq!(
        ok(&server, d, &["--dry-run"]),
        "would update #1 @org/a\nwould create @org/c (1 warning)\nwould close #2 @org/b\n"
    );
    assert_eq!(server.snapshot(), snapshot);
    assert_eq!(writes(&server, before), Vec::<String>::new());

    // Without a token: what would be filed, and no request at all.
    let before = server.log().len();
    let out = file_issues(&server.url, d, None, &["--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "would file @org/a (3 warnings)\nwould file @org/c (1 warning)\n"
    );
    assert!(stderr(&out).contains("GITHUB_TOKEN is not set"));
    assert_eq!(server.log().len(), before);
    assert_eq!(server.snapshot(), snapshot);
}

#[test]
fn issues_are_found_beyond_the_first_page_on_an_enterprise_server_path() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 2), ("@org/b", 1)], 0);
    {
        let mut f = server.fake();
        f.labels.push("deprecations".into());
        // The oldest open issue is ours; 150 newer ones push it to page 2.
        f.add_issue(
            "Deprecation warnings: @org/a (9)",
            &format!("{}\nold report\n", marker("@org/a")),
            &["deprecations"],
        );
        for i in 0..150 {
            f.add_issue(
                &format!("Deprecated thing {i}"),
                "by hand",
                &["deprecations"],
            );
        }
    }
    let api = format!("{}/api/v3", server.url);
    let out = file_issues(&api, dir.path(), Some(TOKEN), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "updated #1 @org/a\ncreated #152 @org/b (1 warning)\n"
    );
    let lists: Vec<String> = server
        .log()
        .into_iter()
        .filter(|l| l.method == "GET" && l.uri.contains("/issues?"))
        .map(|l| l.uri)
        .collect();
    assert_eq!(lists.len(), 2, "{lists:?}");
    assert!(
        lists
            .iter()
            .all(|u| u.starts_with("/api/v3/repos/org/repo/issues?"))
    );
    assert!(lists[1].contains("page=2"), "{lists:?}");
    let f = server.fake();
    assert_eq!(f.issues.len(), 152);
    assert_eq!(f.issue(1).title, "Deprecation warnings: @org/a (2)");
    assert!(
        f.issues[1..151]
            .iter()
            .all(|i| i.body.as_deref() == Some("by hand"))
    );
}

#[test]
fn a_report_longer_than_an_issue_is_cut_with_a_note() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path(), &[("@org/a", 2000)], 0);
    let full = report("@org/a", 2000);
    assert!(full.len() > 2 * LIMIT);
    assert_eq!(
        ok(&server, dir.path(), &[]),
        "created #1 @org/a (2000 warnings)\n"
    );
    let body = server.fake().issue(1).body.clone().unwrap();
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
    assert_eq!(ok(&server, dir.path(), &[]), "unchanged #1 @org/a\n");
}

#[test]
fn the_unowned_issue_is_managed_only_with_include_unowned() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_reports(d, &[("@org/a", 1)], 3);
    assert_eq!(
        ok(&server, d, &["--include-unowned"]),
        "created #1 @org/a (1 warning)\ncreated #2 unowned (3 warnings)\n"
    );
    assert_eq!(
        server.fake().issue(2).title,
        "Deprecation warnings: unowned (3)"
    );
    assert!(
        server
            .fake()
            .issue(2)
            .body
            .as_deref()
            .unwrap()
            .starts_with(&marker("unowned"))
    );

    // Without the flag the unowned issue is left alone, even when stale.
    write_reports(d, &[("@org/a", 1)], 0);
    assert_eq!(ok(&server, d, &[]), "unchanged #1 @org/a\n");
    assert_eq!(server.fake().issue(2).state, "open");

    // With it, the fixed unowned warnings close it.
    assert_eq!(
        ok(&server, d, &["--include-unowned"]),
        "unchanged #1 @org/a\nclosed #2 unowned\n"
    );
    let f = server.fake();
    assert_eq!(f.issue(2).state, "closed");
    assert_eq!(
        f.comments,
        [(
            2,
            "All deprecation warnings of unowned files are fixed.".to_owned()
        )]
    );
}
