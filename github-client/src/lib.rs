//! A small GitHub REST client for the toolkit's bots: the issues, labels and
//! comments of one repository, over octocrab's transport (TLS, the base URL
//! of github.com or a GitHub Enterprise Server, the token header), with rate
//! limits waited out.
//!
//! Nothing here knows about warnings: [`marker`] and [`marker_value`] find a
//! bot's own issues by a hidden HTML comment on the first line of their body,
//! and [`fit_body`] keeps a body under GitHub's size limit, so another bot
//! (deferred-compliance) can use the module as it is.
//!
//! Why not octocrab's typed handlers: they hide the response headers, which
//! `retry-after` and `x-ratelimit-*` live in, and its `retry` feature
//! retries a 429 (and any 5xx, even of a `POST` that may have created an
//! issue) at once, without reading those headers. So octocrab's retry is
//! turned off, requests go through its raw `_get`/`_post`/`_patch`, and
//! [`Client`] decides when to wait and retry.
//!
//! Errors are typed ([`Error`]): a caller tells a 404 from a network
//! failure with [`Error::status`] and [`Error::is_unavailable`], and a tool
//! exits 3 (not 2) when GitHub could not be reached, as `docs/cli.md` says.

#![warn(missing_docs, unreachable_pub)]

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The environment variable the token is read from.
pub const TOKEN_VAR: &str = "GITHUB_TOKEN";
/// The environment variable with the API's base URL; GitHub Actions sets it
/// (`https://HOST/api/v3` on GitHub Enterprise Server).
pub const API_URL_VAR: &str = "GITHUB_API_URL";
/// The API of github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// GitHub rejects issue and comment bodies longer than this many characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// Items per page when listing: GitHub's maximum.
const PER_PAGE: u32 = 100;
/// Added to a wait for `x-ratelimit-reset`: our clock and GitHub's differ.
const RESET_MARGIN: Duration = Duration::from_secs(1);
/// GitHub's advice when a rate limit names no time: wait a minute.
const UNNAMED_WAIT: Duration = Duration::from_secs(60);

/// What can go wrong talking to GitHub.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Credentials, an API URL or a repository name that cannot be used:
    /// the user's input.
    #[error("{0}")]
    Config(String),
    /// GitHub could not be reached, or its rate limit outlasts what this
    /// client waits; the same call may succeed later.
    #[error("{request}")]
    Unavailable {
        /// `METHOD PATH`.
        request: String,
        /// Why, on one line: GitHub could not be reached or its response
        /// not read, or its rate limit asked for too long a wait.
        #[source]
        cause: cli_support::Unavailable,
    },
    /// A response that is not a success, after any retries.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A success whose body is not what GitHub sends.
    #[error("{request}: the response is not what GitHub sends{detail}")]
    Response {
        /// `METHOD PATH`.
        request: String,
        /// `: ` and what was wrong, or empty.
        detail: String,
    },
}

impl Error {
    /// The HTTP status of a response that is not a success.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(a) => Some(a.status),
            _ => None,
        }
    }

    /// Whether the call may succeed later: GitHub unreachable, rate-limited
    /// or answering 5xx.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Unavailable { .. } => true,
            Error::Api(a) => a.status >= 500,
            _ => false,
        }
    }

    fn unavailable(request: &str, detail: String) -> Error {
        Error::Unavailable {
            request: request.to_owned(),
            cause: cli_support::Unavailable(detail.into()),
        }
    }

    fn response(request: &str, detail: impl fmt::Display) -> Error {
        Error::Response {
            request: request.to_owned(),
            detail: format!(": {}", cli_support::one_line(&detail.to_string())),
        }
    }
}

/// The result of a call to GitHub.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Prefixes a configuration error with where the value came from.
fn within(e: Error, what: impl fmt::Display) -> Error {
    match e {
        Error::Config(m) => Error::Config(format!("{what}: {m}")),
        e => e,
    }
}

fn config(message: String) -> Error {
    Error::Config(message)
}

/// A GitHub token. Its `Debug` hides it, and no error of this module
/// contains it.
#[derive(Clone)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl Token {
    /// A token given as text; surrounding whitespace (a line break left by
    /// `$(cat file)`) is dropped.
    pub fn new(text: &str) -> Result<Token> {
        let t = text.trim();
        if t.is_empty() {
            return Err(config("the token is empty".to_owned()));
        }
        // Checked here, not by octocrab: it unwraps the header value and
        // would panic.
        if !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(config(
                "the token contains a character that cannot be sent in an HTTP header \
                 (a space, a control character or a non-ASCII character)"
                    .to_owned(),
            ));
        }
        Ok(Token(t.to_owned()))
    }

    /// `GITHUB_TOKEN`, or `None` when it is unset or empty.
    pub fn from_env() -> Result<Option<Token>> {
        let Some(raw) = std::env::var_os(TOKEN_VAR) else {
            return Ok(None);
        };
        let Some(text) = raw.to_str() else {
            return Err(config(format!("{TOKEN_VAR} is not valid UTF-8")));
        };
        if text.trim().is_empty() {
            return Ok(None);
        }
        Token::new(text)
            .map(Some)
            .map_err(|e| within(e, format!("{TOKEN_VAR} is not usable")))
    }
}

/// The environment variable with a GitHub App's ID (a number, on the App's
/// settings page); with the next two, the App's credentials.
pub const APP_ID_VAR: &str = "GITHUB_APP_ID";
/// The environment variable with the App's private key: the PEM text
/// (literal `\n`s allowed), or the path of a PEM file.
pub const APP_KEY_VAR: &str = "GITHUB_APP_PRIVATE_KEY";
/// The environment variable with the ID (a number) of the App's
/// installation on the account that owns the repositories.
pub const APP_INSTALLATION_VAR: &str = "GITHUB_APP_INSTALLATION_ID";

/// A GitHub App's private key (PEM). Its `Debug` hides it.
#[derive(Clone)]
pub struct AppKey(Vec<u8>);

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey(***)")
    }
}

impl AppKey {
    /// The PEM text of an RSA private key, as GitHub hands it out; checked
    /// here so that a wrong key fails before the first request.
    pub fn from_pem(pem: &str) -> Result<AppKey> {
        // A key passed through a one-line secret often has literal `\n`s.
        let pem = pem.trim().replace("\\n", "\n");
        jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| {
            config(
                "expected an RSA private key in PEM form (`-----BEGIN RSA PRIVATE KEY-----`), \
                 as GitHub downloads it"
                    .to_owned(),
            )
        })?;
        Ok(AppKey(pem.into_bytes()))
    }
}

/// How the client signs in: a token, or as a GitHub App installation
/// (octocrab signs a JWT with the App's key and exchanges it for an
/// installation token, renewed before it expires).
#[derive(Clone, Debug)]
pub enum Credentials {
    /// A token sent with every request: `GITHUB_TOKEN` in Actions, or a
    /// personal access token.
    Token(Token),
    /// A GitHub App acting as one of its installations.
    App {
        /// The App's ID ([`APP_ID_VAR`]).
        app_id: u64,
        /// The App's private key, which signs the JWT.
        key: AppKey,
        /// The installation's ID ([`APP_INSTALLATION_VAR`]): which
        /// account's repositories the client may act on.
        installation_id: u64,
    },
}

impl Credentials {
    /// `GITHUB_TOKEN`, else the App's `GITHUB_APP_ID`,
    /// `GITHUB_APP_PRIVATE_KEY` (the PEM, or the path of a PEM file) and
    /// `GITHUB_APP_INSTALLATION_ID`; `None` when neither is set.
    pub fn from_env() -> Result<Option<Credentials>> {
        if let Some(t) = Token::from_env()? {
            return Ok(Some(Credentials::Token(t)));
        }
        let var = |name: &str| -> Result<Option<String>> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_owned())),
                Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
                Err(std::env::VarError::NotUnicode(_)) => {
                    Err(config(format!("{name} is not valid UTF-8")))
                }
            }
        };
        let (id, key, inst) = (
            var(APP_ID_VAR)?,
            var(APP_KEY_VAR)?,
            var(APP_INSTALLATION_VAR)?,
        );
        if id.is_none() && key.is_none() && inst.is_none() {
            return Ok(None);
        }
        let need = |v: Option<String>, name: &str| {
            v.ok_or_else(|| {
                config(format!(
                    "{name} is not set: a GitHub App needs {APP_ID_VAR}, {APP_KEY_VAR} and \
                     {APP_INSTALLATION_VAR}"
                ))
            })
        };
        let number = |v: String, name: &str| {
            v.parse::<u64>()
                .map_err(|_| config(format!("{name} is not a number: `{v}`")))
        };
        let app_id = number(need(id, APP_ID_VAR)?, APP_ID_VAR)?;
        let installation_id = number(need(inst, APP_INSTALLATION_VAR)?, APP_INSTALLATION_VAR)?;
        let key = need(key, APP_KEY_VAR)?;
        let pem = if key.contains("-----BEGIN") {
            key
        } else {
            std::fs::read_to_string(&key).map_err(|e| {
                config(format!(
                    "{APP_KEY_VAR} holds neither a PEM key nor the path of a readable file: {e}"
                ))
            })?
        };
        let key = AppKey::from_pem(&pem)
            .map_err(|e| within(e, format!("{APP_KEY_VAR} is not usable")))?;
        Ok(Some(Credentials::App {
            app_id,
            key,
            installation_id,
        }))
    }
}

/// `GITHUB_API_URL`, or github.com's API when it is unset or empty; without
/// a trailing slash.
pub fn api_url_from_env() -> Result<String> {
    let url = match std::env::var(API_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => u.trim().to_owned(),
        Ok(_) | Err(std::env::VarError::NotPresent) => DEFAULT_API_URL.to_owned(),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(config(format!("{API_URL_VAR} is not valid UTF-8")));
        }
    };
    check_api_url(&url).map_err(|e| within(e, format!("{API_URL_VAR} is not usable")))
}

fn check_api_url(url: &str) -> Result<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') => Ok(url.trim_end_matches('/').to_owned()),
        _ => Err(config(format!(
            "expected an http(s) URL such as {DEFAULT_API_URL} or https://HOST/api/v3, got `{url}`"
        ))),
    }
}

/// A repository, `OWNER/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    /// The user or organization, `OWNER`, as given (GitHub ignores case).
    pub owner: String,
    /// The repository's name, `NAME`, as given (no `.git`).
    pub name: String,
}

impl std::str::FromStr for Repo {
    type Err = Error;

    fn from_str(s: &str) -> Result<Repo> {
        let ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        match s.split_once('/') {
            Some((owner, name)) if ok(owner) && ok(name) => Ok(Repo {
                owner: owner.to_owned(),
                name: name.to_owned(),
            }),
            _ => Err(config(format!(
                "expected a repository as OWNER/NAME, got `{s}`"
            ))),
        }
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// How long and how often rate limits are waited out.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Attempts of one request, the first included.
    pub max_attempts: u32,
    /// The longest single wait; a rate limit that asks for more is an error.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            max_wait: Duration::from_secs(60),
        }
    }
}

/// An issue (pull requests, which the issues API lists too, are dropped).
#[derive(Clone, Debug, Deserialize)]
pub struct Issue {
    /// The `#N` within its repository (GitHub's `number`, not its `id`).
    pub number: u64,
    /// The issue's title as it is now.
    pub title: String,
    /// The Markdown body; `None` when it has none (GitHub sends `null`).
    /// [`Issue::body`] gives `""` instead.
    #[serde(default)]
    pub body: Option<String>,
    /// `open` or `closed`.
    pub state: String,
    /// The issue's page on GitHub, for people; `None` when the response
    /// has no `html_url`.
    #[serde(default)]
    pub html_url: Option<String>,
    /// The labels on it (their names only).
    #[serde(default)]
    pub labels: Vec<Label>,
    /// Who opened it: markers in a body count only when the tool itself
    /// wrote them.
    #[serde(default)]
    pub user: Option<Login>,
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

/// A GitHub account as lists show it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Login {
    /// The account's user name as GitHub shows it (`github-actions[bot]`
    /// for a bot); GitHub compares logins without case.
    pub login: String,
}

impl Issue {
    /// The Markdown body, or `""` when it has none.
    pub fn body(&self) -> &str {
        self.body.as_deref().unwrap_or("")
    }

    /// Whether `login` opened the issue (logins compare without case).
    pub fn opened_by(&self, login: &str) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| u.login.eq_ignore_ascii_case(login))
    }
}

/// The most pages [`Client::get_pages`] follows: 100 pages of 100 items.
/// A `Link: rel="next"` that never ends (a broken proxy, a hostile
/// Enterprise Server) is an error naming the endpoint, not a loop.
pub const MAX_PAGES: usize = 100;

/// A label as GitHub lists it on an issue or a repository: only its name
/// is read.
#[derive(Clone, Debug, Deserialize)]
pub struct Label {
    /// The label's name as GitHub shows it (case is kept; GitHub compares
    /// names without case).
    pub name: String,
}

/// The fields of a new issue.
#[derive(Debug, Serialize)]
pub struct NewIssue<'a> {
    /// The new issue's title.
    pub title: &'a str,
    /// The Markdown body, at most [`MAX_BODY_CHARS`] characters.
    pub body: &'a str,
    /// The names of the labels to put on it.
    pub labels: &'a [&'a str],
}

/// The fields of an issue to change; `None` leaves one as it is.
#[derive(Debug, Default, Serialize)]
pub struct IssueUpdate<'a> {
    /// A new title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<&'a str>,
    /// A new Markdown body, at most [`MAX_BODY_CHARS`] characters; it
    /// replaces the whole body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<&'a str>,
    /// `open` or `closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<&'a str>,
    /// `completed` or `not_planned`, with `state: closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_reason: Option<&'a str>,
}

/// A response of GitHub that is not a success (after any retries): the
/// request, the status and GitHub's message.
#[derive(Debug)]
pub struct ApiError {
    /// `METHOD PATH`.
    pub request: String,
    /// The HTTP status, outside 200–299 (mostly 4xx or 5xx).
    pub status: u16,
    /// GitHub's `message` from the error body, or the start of a body that
    /// is not GitHub's JSON (a proxy's page) on one line; may be empty.
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: HTTP {}", self.request, self.status)?;
        if !self.message.is_empty() {
            write!(f, " {}", self.message)?;
        }
        let hint = match self.status {
            401 => Some(format!("GitHub rejected the token in {TOKEN_VAR}")),
            403 => Some(format!(
                "the token in {TOKEN_VAR} lacks a permission this call needs, such as issues: write or actions: read"
            )),
            404 => Some(format!(
                "no such repository, or the token in {TOKEN_VAR} cannot see it"
            )),
            _ => None,
        };
        if let Some(h) = hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// The HTTP method of a [`Client::call`]. All but `POST` are sent again
/// after a lost response or a 5xx; every method waits out rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `GET`: read.
    Get,
    /// `POST`: create (an issue, a comment); sent again only after a rate
    /// limit, which GitHub answers before acting.
    Post,
    /// `PATCH`: change some fields.
    Patch,
    /// `PUT`: set or replace.
    Put,
    /// `DELETE`: remove.
    Delete,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Safe to send again after a lost response or a server error. A
    /// `POST` is not: the issue or comment may exist already.
    fn idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }
}

/// What is kept of a response.
struct Reply {
    body: String,
    /// The `rel="next"` link.
    next: Option<String>,
}

/// A GitHub API client: one base URL, one token.
pub struct Client {
    crab: Octocrab,
    api_url: String,
    policy: RetryPolicy,
    max_pages: usize,
    /// Signed in as the GitHub App itself (its JWT), for the `/app`
    /// endpoints; `None` with a token.
    app: Option<Octocrab>,
}

impl Client {
    /// A client of the API at `api_url` (see [`api_url_from_env`]). Must be
    /// called inside a tokio runtime.
    pub fn new(api_url: &str, token: &Token, policy: RetryPolicy) -> Result<Client> {
        Client::with_credentials(api_url, &Credentials::Token(token.clone()), policy)
    }

    /// A client signed in with a token or as a GitHub App installation.
    pub fn with_credentials(
        api_url: &str,
        credentials: &Credentials,
        policy: RetryPolicy,
    ) -> Result<Client> {
        let api_url = check_api_url(api_url)?;
        let mut builder = Octocrab::builder()
            .base_uri(api_url.as_str())
            .map_err(|_| config(format!("`{api_url}` is not a URL")))?;
        if let Credentials::Token(token) = credentials {
            builder = builder.personal_token(token.0.clone());
        }
        if let Credentials::App { app_id, key, .. } = credentials {
            let key = jsonwebtoken::EncodingKey::from_rsa_pem(&key.0)
                .map_err(|_| config("the GitHub App's key is not an RSA PEM key".to_owned()))?;
            builder = builder.app((*app_id).into(), key);
        }
        let crab = builder
            // Retries are ours: octocrab's would send a 429 again at once.
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(60)))
            .set_write_timeout(Some(Duration::from_secs(60)))
            .add_header(
                "accept".parse().expect("a valid header name"),
                "application/vnd.github+json".to_owned(),
            )
            .add_header(
                "x-github-api-version".parse().expect("a valid header name"),
                "2022-11-28".to_owned(),
            )
            .build()
            .map_err(|e| config(format!("cannot set up the HTTP client: {}", describe(&e))))?;
        let app = matches!(credentials, Credentials::App { .. }).then(|| crab.clone());
        let crab = match credentials {
            Credentials::App {
                installation_id, ..
            } => crab.installation((*installation_id).into()).map_err(|e| {
                config(format!(
                    "cannot sign in as the GitHub App: {}",
                    describe(&e)
                ))
            })?,
            Credentials::Token(_) => crab,
        };
        Ok(Client {
            crab,
            api_url,
            policy,
            max_pages: MAX_PAGES,
            app,
        })
    }

    /// The same API signed in as the GitHub App (`/app`, `/app/hook/…`),
    /// when the credentials are an App's.
    pub fn as_app(&self) -> Option<Client> {
        Some(Client {
            crab: self.app.clone()?,
            api_url: self.api_url.clone(),
            policy: self.policy,
            max_pages: self.max_pages,
            app: None,
        })
    }

    /// Whether the credentials are a GitHub App's.
    pub fn is_app(&self) -> bool {
        self.app.is_some()
    }

    /// Follows at most `pages` pages of a list (default [`MAX_PAGES`]).
    pub fn with_max_pages(mut self, pages: usize) -> Client {
        self.max_pages = pages.max(1);
        self
    }

    /// The base URL requests go to.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The issues of `repo` in `state` (`open`, `closed`, `all`) that carry
    /// every label of `labels`, all pages, newest first.
    pub async fn list_issues(
        &self,
        repo: &Repo,
        state: &str,
        labels: &[&str],
    ) -> Result<Vec<Issue>> {
        let mut path = format!(
            "/repos/{}/{}/issues?state={}&per_page={PER_PAGE}",
            repo.owner,
            repo.name,
            encode(state)
        );
        if !labels.is_empty() {
            let joined = labels.iter().map(|l| encode(l)).collect::<Vec<_>>();
            path.push_str("&labels=");
            path.push_str(&joined.join(","));
        }
        let issues: Vec<Issue> = self.get_pages(&path, Some).await?;
        Ok(issues
            .into_iter()
            .filter(|i| i.pull_request.is_none())
            .collect())
    }

    /// Opens an issue in `repo`; the issue as GitHub created it. Not sent
    /// again after a lost response or a 5xx, so after such an error the
    /// issue may exist already.
    pub async fn create_issue(&self, repo: &Repo, issue: &NewIssue<'_>) -> Result<Issue> {
        let path = format!("/repos/{}/{}/issues", repo.owner, repo.name);
        let reply = self.send(Method::Post, &path, Some(issue)).await?;
        parse(&reply.body, Method::Post, &path)
    }

    /// Changes the fields of issue `number` that `update` sets; the issue
    /// as it is afterwards.
    pub async fn update_issue(
        &self,
        repo: &Repo,
        number: u64,
        update: &IssueUpdate<'_>,
    ) -> Result<Issue> {
        let path = format!("/repos/{}/{}/issues/{number}", repo.owner, repo.name);
        let reply = self.send(Method::Patch, &path, Some(update)).await?;
        parse(&reply.body, Method::Patch, &path)
    }

    /// Comments `body` (Markdown, at most [`MAX_BODY_CHARS`] characters) on
    /// issue or pull request `number`. Not sent again after a lost response
    /// or a 5xx, like [`Client::create_issue`].
    pub async fn add_comment(&self, repo: &Repo, number: u64, body: &str) -> Result<()> {
        #[derive(Serialize)]
        struct Comment<'a> {
            body: &'a str,
        }
        let path = format!(
            "/repos/{}/{}/issues/{number}/comments",
            repo.owner, repo.name
        );
        self.send(Method::Post, &path, Some(&Comment { body }))
            .await?;
        Ok(())
    }

    /// The label named `name` (GitHub compares names without case), if the
    /// repository has it.
    pub async fn get_label(&self, repo: &Repo, name: &str) -> Result<Option<Label>> {
        let path = format!(
            "/repos/{}/{}/labels/{}",
            repo.owner,
            repo.name,
            encode(name)
        );
        match self.send(Method::Get, &path, None::<&()>).await {
            Ok(reply) => parse(&reply.body, Method::Get, &path).map(Some),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates the label unless the repository has it; `true` when created.
    /// `color` is six hex digits, without `#`.
    pub async fn ensure_label(
        &self,
        repo: &Repo,
        name: &str,
        color: &str,
        description: &str,
    ) -> Result<bool> {
        if self.get_label(repo, name).await?.is_some() {
            return Ok(false);
        }
        #[derive(Serialize)]
        struct NewLabel<'a> {
            name: &'a str,
            color: &'a str,
            description: &'a str,
        }
        let path = format!("/repos/{}/{}/labels", repo.owner, repo.name);
        let label = NewLabel {
            name,
            color,
            description,
        };
        match self.send(Method::Post, &path, Some(&label)).await {
            Ok(_) => Ok(true),
            // Created by someone else since the GET.
            Err(e) if e.status() == Some(422) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET path`, parsed.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let reply = self.send(Method::Get, path, None::<&()>).await?;
        parse(&reply.body, Method::Get, path)
    }

    /// `GET path`, or `None` on a 404.
    pub async fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.get(path).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every page of a list endpoint, following `Link: rel="next"`; `path`
    /// should ask for `per_page=100`. `items` takes a page's items out of
    /// its body (most lists are bare arrays; runs and jobs are wrapped).
    pub async fn get_pages<T, F>(&self, path: &str, items: F) -> Result<Vec<T>>
    where
        T: DeserializeOwned,
        F: Fn(serde_json::Value) -> Option<serde_json::Value>,
    {
        self.get_pages_until(path, items, |_: &[T]| false).await
    }

    /// [`Client::get_pages`], stopping after the first page for which
    /// `enough(page)` holds (a list read newest first, up to a date).
    pub async fn get_pages_until<T, F, E>(&self, path: &str, items: F, enough: E) -> Result<Vec<T>>
    where
        T: DeserializeOwned,
        F: Fn(serde_json::Value) -> Option<serde_json::Value>,
        E: Fn(&[T]) -> bool,
    {
        let mut all = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(p) = next.take() {
            pages += 1;
            if pages > self.max_pages {
                let endpoint = path.split('?').next().unwrap_or(path);
                return Err(Error::response(
                    &format!("GET {endpoint}"),
                    format!(
                        "stopped after {} pages (the list does not end; \
                         Link: rel=\"next\" keeps going)",
                        self.max_pages
                    ),
                ));
            }
            let reply = self.send(Method::Get, &p, None::<&()>).await?;
            let value: serde_json::Value = parse(&reply.body, Method::Get, &p)?;
            let page = items(value)
                .ok_or_else(|| Error::response(&format!("GET {p}"), "not the list GitHub sends"))?;
            let page: Vec<T> = serde_json::from_value(page)
                .map_err(|e| Error::response(&format!("GET {p}"), e))?;
            let done = enough(&page);
            all.extend(page);
            if !done {
                next = reply.next.map(|url| path_and_query(&url).to_owned());
            }
        }
        Ok(all)
    }

    /// Any request with a JSON body; the reply's body as JSON (`null` when
    /// empty, as for a 204).
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<serde_json::Value> {
        let reply = self.send(method, path, body).await?;
        if reply.body.trim().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        parse(&reply.body, method, path)
    }

    /// Sends one request, waiting out rate limits and retrying, and returns
    /// a successful response or an error (an [`ApiError`] for a response).
    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Reply> {
        let request = format!("{} {path}", method.name());
        let mut attempt = 1;
        loop {
            let sent = match method {
                Method::Get => self.crab._get(path).await,
                Method::Post => self.crab._post(path, body).await,
                Method::Patch => self.crab._patch(path, body).await,
                Method::Put => self.crab._put(path, body).await,
                Method::Delete => self.crab._delete(path, body).await,
            };
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    if method.idempotent() && attempt < self.policy.max_attempts.min(3) {
                        let wait = Duration::from_secs(1 << (attempt - 1));
                        eprintln!(
                            "note: {request}: {}; retrying in {} s",
                            describe(&e),
                            wait.as_secs()
                        );
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::unavailable(
                        &request,
                        format!("cannot reach {}: {}", self.api_url, describe(&e)),
                    ));
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let limits = Limits {
                retry_after: header("retry-after"),
                remaining: header("x-ratelimit-remaining"),
                reset: header("x-ratelimit-reset"),
            };
            let next = header("link").and_then(|l| next_link(&l).map(str::to_owned));
            let text = self.crab.body_to_string(response).await.map_err(|e| {
                Error::unavailable(
                    &request,
                    format!("cannot read the response: {}", describe(&e)),
                )
            })?;
            if (200..300).contains(&status) {
                return Ok(Reply { body: text, next });
            }
            let message = github_message(&text);
            if let Some(wait) = rate_limit_wait(status, &limits, &message, now()) {
                if wait > self.policy.max_wait {
                    return Err(Error::unavailable(
                        &request,
                        format!(
                            "GitHub's rate limit (HTTP {status}) asks to wait {} s, \
                             more than the {} s this tool waits; run it again later",
                            wait.as_secs_f64().ceil(),
                            self.policy.max_wait.as_secs()
                        ),
                    ));
                }
                if attempt >= self.policy.max_attempts {
                    return Err(Error::unavailable(
                        &request,
                        format!(
                            "still rate-limited (HTTP {status}) after {attempt} attempts; \
                             run it again later"
                        ),
                    ));
                }
                eprintln!(
                    "note: {request}: rate-limited (HTTP {status}); retrying in {:.1} s",
                    wait.as_secs_f64()
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            if status >= 500 && method.idempotent() && attempt < self.policy.max_attempts.min(3) {
                let wait = Duration::from_secs(1 << (attempt - 1));
                eprintln!(
                    "note: {request}: HTTP {status}; retrying in {} s",
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return Err(Error::Api(ApiError {
                request,
                status,
                message,
            }));
        }
    }
}

/// The HTTP status of the GitHub [`Error`] in `e`'s chain, if it is a
/// response that is not a success. For callers that carry GitHub's errors
/// inside their own `anyhow` chains.
pub fn status_of(e: &(dyn std::error::Error + 'static)) -> Option<u16> {
    std::iter::successors(Some(e), |err| err.source())
        .find_map(|err| err.downcast_ref::<Error>())
        .and_then(Error::status)
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a
/// path segment or a query value.
pub fn encode_component(s: &str) -> String {
    encode(s)
}

fn parse<T: DeserializeOwned>(text: &str, method: Method, path: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::response(&format!("{} {path}", method.name()), e))
}

/// The rate-limit headers of a response.
#[derive(Debug, Default)]
struct Limits {
    retry_after: Option<String>,
    remaining: Option<String>,
    reset: Option<String>,
}

/// How long to wait before sending a request again that got `status`, or
/// `None` when the response is not a rate limit. `now` is in seconds since
/// the Unix epoch.
///
/// GitHub's rules: `retry-after` (seconds) first; else, with
/// `x-ratelimit-remaining: 0`, until `x-ratelimit-reset` (epoch seconds);
/// else a minute, for a 429 or a 403 whose message names a rate limit. A 403
/// without any of these is a missing permission, not a rate limit.
fn rate_limit_wait(status: u16, limits: &Limits, message: &str, now: f64) -> Option<Duration> {
    if status != 403 && status != 429 {
        return None;
    }
    if let Some(secs) = limits
        .retry_after
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(secs));
    }
    let exhausted = limits.remaining.as_deref().map(str::trim) == Some("0");
    let reset = limits
        .reset
        .as_deref()
        .and_then(|s| s.trim().parse::<u64>().ok());
    if let (true, Some(reset)) = (exhausted, reset) {
        let left = (reset as f64 - now).max(0.0);
        return Some(Duration::from_secs_f64(left) + RESET_MARGIN);
    }
    if status == 429 || message.to_ascii_lowercase().contains("rate limit") {
        return Some(UNNAMED_WAIT);
    }
    None
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The `message` of a GitHub error body, or the start of a body that is not
/// one (a proxy's HTML page), on one line.
fn github_message(text: &str) -> String {
    #[derive(Deserialize)]
    struct Body {
        message: String,
    }
    match serde_json::from_str::<Body>(text) {
        Ok(b) => b.message,
        Err(_) => {
            let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            flat.chars().take(200).collect()
        }
    }
}

/// An octocrab error on one line: its causes, without the backtrace its
/// `Display` appends.
fn describe(e: &octocrab::Error) -> String {
    let top: &(dyn std::error::Error + 'static) = match e {
        octocrab::Error::Service { source, .. } => source.as_ref(),
        octocrab::Error::Hyper { source, .. } => source,
        other => {
            let s = other.to_string();
            return s
                .split("Found at")
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
        }
    };
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(top);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// The URL of the `rel="next"` entry of a `Link` header.
fn next_link(link: &str) -> Option<&str> {
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>')?;
        let url = &after[..close];
        let params = &after[close + 1..];
        let params = &params[..params.find('<').unwrap_or(params.len())];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=").is_some_and(|v| {
                v.trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(url);
        }
        rest = &after[close + 1..];
    }
    None
}

/// The path and query of a URL. Pagination links are followed this way, on
/// the configured base URL, so the token goes to no other host.
fn path_and_query(url: &str) -> &str {
    match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The hidden first line by which a bot finds its own issues again:
/// `<!-- TOOL KEY=VALUE -->`.
pub fn marker(tool: &str, key: &str, value: &str) -> String {
    format!("<!-- {tool} {key}={value} -->")
}

/// The `VALUE` of the [`marker`] of `tool` and `key` on the first line of
/// `body`; a marker anywhere else (quoted by a person) does not count.
pub fn marker_value<'a>(body: &'a str, tool: &str, key: &str) -> Option<&'a str> {
    let first = body.lines().next()?.trim();
    let inner = first.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    let rest = inner.strip_prefix(tool)?.strip_prefix(' ')?.trim_start();
    let value = rest.strip_prefix(key)?.strip_prefix('=')?.trim();
    (!value.is_empty()).then_some(value)
}

/// `body` if GitHub accepts its length ([`MAX_BODY_CHARS`]); else its start,
/// cut at a line break, followed by `note` (which says where the rest is).
pub fn fit_body(body: &str, note: &str) -> String {
    if body.chars().count() <= MAX_BODY_CHARS {
        return body.to_owned();
    }
    let budget = MAX_BODY_CHARS.saturating_sub(note.chars().count());
    let end = body
        .char_indices()
        .nth(budget)
        .map_or(body.len(), |(i, _)| i);
    let kept = &body[..end];
    let kept = match kept.rfind('\n') {
        Some(i) if i > 0 => &kept[..=i],
        _ => kept,
    };
    let mut out = String::with_capacity(kept.len() + note.len());
    out.push_str(kept);
    out.push_str(note);
    out
}

/// Whether two bodies read the same once line endings and trailing
/// whitespace are set aside, as GitHub may store them differently.
pub fn same_body(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace("\r\n", "\n").trim_end().to_owned();
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(retry_after: Option<&str>, remaining: Option<&str>, reset: Option<&str>) -> Limits {
        Limits {
            retry_after: retry_after.map(str::to_owned),
            remaining: remaining.map(str::to_owned),
            reset: reset.map(str::to_owned),
        }
    }

    #[test]
    fn github_rate_limit_waits() {
        let now = 1_000.25;
        // retry-after wins, on a 429 and on a 403 (secondary limit).
        let l = limits(Some("7"), Some("0"), Some("2000"));
        assert_eq!(
            rate_limit_wait(429, &l, "", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(403, &l, "", now),
            Some(Duration::from_secs(7))
        );
        // Primary limit: until the reset, plus the margin for clock skew.
        let l = limits(None, Some("0"), Some("1003"));
        assert_eq!(
            rate_limit_wait(403, &l, "API rate limit exceeded", now),
            Some(Duration::from_secs_f64(2.75) + RESET_MARGIN)
        );
        // A reset in the past: only the margin.
        let l = limits(None, Some("0"), Some("990"));
        assert_eq!(rate_limit_wait(403, &l, "", now), Some(RESET_MARGIN));
        // A 429 or a "rate limit" 403 naming no time: a minute.
        assert_eq!(
            rate_limit_wait(429, &Limits::default(), "", now),
            Some(UNNAMED_WAIT)
        );
        assert_eq!(
            rate_limit_wait(
                403,
                &limits(None, Some("12"), None),
                "You have exceeded a secondary rate limit",
                now
            ),
            Some(UNNAMED_WAIT)
        );
        // A 403 with requests left is a permission problem; others are not
        // rate limits at all.
        let l = limits(None, Some("4999"), Some("2000"));
        assert_eq!(
            rate_limit_wait(403, &l, "Resource not accessible", now),
            None
        );
        assert_eq!(
            rate_limit_wait(401, &limits(Some("5"), None, None), "", now),
            None
        );
        assert_eq!(
            rate_limit_wait(500, &limits(Some("5"), None, None), "", now),
            None
        );
    }

    #[test]
    fn github_link_header_next() {
        let link = "<https://api.github.com/repositories/1/issues?labels=a%2Cb&page=2>; rel=\"next\", \
                    <https://api.github.com/repositories/1/issues?page=5>; rel=\"last\"";
        assert_eq!(
            next_link(link),
            Some("https://api.github.com/repositories/1/issues?labels=a%2Cb&page=2")
        );
        let last_page =
            "<https://x/issues?page=1>; rel=\"first\", <https://x/issues?page=4>; rel=\"prev\"";
        assert_eq!(next_link(last_page), None);
        // Commas inside the URL and a relation list.
        let odd = "<https://x/i?labels=a,b&page=3>; rel=\"next last\"";
        assert_eq!(next_link(odd), Some("https://x/i?labels=a,b&page=3"));
        assert_eq!(next_link(""), None);
        assert_eq!(
            path_and_query("https://ghe.example.com/api/v3/repos/o/r/issues?page=2"),
            "/api/v3/repos/o/r/issues?page=2"
        );
        assert_eq!(path_and_query("http://127.0.0.1:80"), "/");
        assert_eq!(path_and_query("/repos/o/r"), "/repos/o/r");
    }

    #[test]
    fn github_markers_are_found_on_the_first_line_only() {
        let m = marker("warnings-collector", "team", "@org/a");
        assert_eq!(m, "<!-- warnings-collector team=@org/a -->");
        let body = format!("{m}\n# Report\n");
        assert_eq!(
            marker_value(&body, "warnings-collector", "team"),
            Some("@org/a")
        );
        assert_eq!(
            marker_value(&m, "warnings-collector", "team"),
            Some("@org/a")
        );
        assert_eq!(
            marker_value(&format!("Quoted:\n{m}"), "warnings-collector", "team"),
            None
        );
        assert_eq!(marker_value(&body, "warnings-collector", "run"), None);
        assert_eq!(marker_value(&body, "warnings", "team"), None);
        assert_eq!(marker_value("", "warnings-collector", "team"), None);
        assert_eq!(
            marker_value(
                "<!-- warnings-collector team= -->",
                "warnings-collector",
                "team"
            ),
            None
        );
    }

    #[test]
    fn github_bodies_fit_the_limit() {
        let short = "a\nb\n";
        assert_eq!(fit_body(short, "NOTE"), short);
        let line = format!("{}\n", "é".repeat(99));
        let long = line.repeat(1_000); // 100,000 characters
        let note = "\n---\ncut; see the artifact\n";
        let fitted = fit_body(&long, note);
        assert!(fitted.chars().count() <= MAX_BODY_CHARS);
        assert!(fitted.chars().count() > MAX_BODY_CHARS - 200);
        assert!(fitted.ends_with(note));
        // Cut at a line break: whole lines only.
        let kept = fitted.strip_suffix(note).unwrap();
        assert!(kept.ends_with('\n'));
        assert!(kept.lines().all(|l| l == &line[..line.len() - 1]));
        assert!(same_body("a\r\nb\n\n", "a\nb"));
        assert!(!same_body("a\nb", "a\nc"));
    }

    #[test]
    fn github_inputs_are_checked() {
        assert_eq!(
            "org/repo.rs".parse::<Repo>().unwrap(),
            Repo {
                owner: "org".into(),
                name: "repo.rs".into()
            }
        );
        for bad in ["org", "org/", "/repo", "a/b/c", "a b/c"] {
            assert!(bad.parse::<Repo>().is_err(), "{bad}");
        }
        assert_eq!(
            check_api_url("https://ghe.example.com/api/v3/").unwrap(),
            "https://ghe.example.com/api/v3"
        );
        assert!(check_api_url("api.github.com").is_err());
        assert!(check_api_url("https://").is_err());
        let t = Token::new(" ghp_secret123\n").unwrap();
        assert_eq!(t.0, "ghp_secret123");
        assert_eq!(format!("{t:?}"), "Token(***)");
        let err = Token::new("ghp_sec ret").unwrap_err().to_string();
        assert!(!err.contains("sec"), "{err}");
        assert!(Token::new("   ").is_err());
        assert_eq!(encode("dead code, API"), "dead%20code%2C%20API");
    }

    #[test]
    fn github_api_errors_name_the_request_and_the_token_variable() {
        let e = ApiError {
            request: "GET /repos/o/r/issues".into(),
            status: 401,
            message: "Bad credentials".into(),
        };
        assert_eq!(
            e.to_string(),
            "GET /repos/o/r/issues: HTTP 401 Bad credentials (GitHub rejected the token in GITHUB_TOKEN)"
        );
        assert_eq!(github_message("{\"message\":\"Not Found\"}"), "Not Found");
        assert_eq!(
            github_message("<html>\n<b>Bad gateway</b></html>"),
            "<html> <b>Bad gateway</b></html>"
        );
    }
}
