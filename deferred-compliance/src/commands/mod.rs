//! One file per subcommand, each with its clap arguments and its `run`.

pub(crate) mod gate;
pub(crate) mod handle_event;
pub(crate) mod reconcile;
pub(crate) mod serve;
pub(crate) mod status;

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;

use crate::clock::parse_now;
use crate::config::{self, Config};
use crate::engine::Engine;

/// The options every command takes.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// The configuration file.
    #[arg(long, value_name = "FILE", default_value = config::DEFAULT_PATH)]
    pub config: PathBuf,
    /// Act as if it were this time (RFC 3339), for tests and dry runs.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
}

impl CommonArgs {
    pub fn load(&self) -> anyhow::Result<Config> {
        Config::load(&self.config)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now.unwrap_or_else(Utc::now)
    }
}

/// A tokio runtime for one command.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The engine, signed in with the credentials of the environment. Must be
/// called inside the runtime.
pub(crate) fn connect(cfg: Config) -> anyhow::Result<Engine> {
    Engine::from_env(cfg)
}

/// `--format text|json`, the same in every tool.
pub(crate) use cli_support::Format;

/// Prints what a pass did: a line each, or a JSON array.
pub(crate) fn print_actions(
    out: &mut dyn std::io::Write,
    format: Format,
    actions: &[crate::engine::Action],
) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, actions)?;
            writeln!(out)?;
        }
        Format::Text if actions.is_empty() => writeln!(out, "nothing to do")?,
        Format::Text => {
            for a in actions {
                if a.failed {
                    writeln!(out, "FAILED {a}")?;
                } else {
                    writeln!(out, "{a}")?;
                }
            }
        }
    }
    Ok(())
}

/// `in 47 h 10 min` or `3 h ago`.
pub(crate) fn describe_left(deadline: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (deadline - now).num_seconds();
    let d = std::time::Duration::from_secs(secs.unsigned_abs() / 60 * 60);
    if secs >= 0 {
        format!("in {}", config::human(d))
    } else {
        format!("{} ago", config::human(d))
    }
}

/// `open`, `blocking` or `excepted`: where an issue stands.
pub(crate) fn state_of(a: &crate::engine::Assessment) -> &'static str {
    match (a.overdue, a.exception.is_some()) {
        (_, true) => "excepted",
        (true, false) => "blocking",
        (false, false) => "open",
    }
}

/// A job in `status` and `gate` JSON.
#[derive(serde::Serialize)]
pub(crate) struct IssueJson<'a> {
    /// The open compliance issue; `null` while the job is red and its
    /// issue was closed, unlabelled or deleted (the next pass files it
    /// again).
    pub number: Option<u64>,
    pub url: Option<&'a str>,
    pub job: &'a str,
    pub state: &'static str,
    pub commit: Option<&'a str>,
    pub run_id: Option<u64>,
    pub opened_at: Option<String>,
    pub deadline: String,
    /// Seconds until the deadline; negative once it has passed.
    pub seconds_left: i64,
    pub tagged: Vec<String>,
    pub exception_by: Option<&'a str>,
    /// Configuration drift, if any.
    pub warning: Option<&'a str>,
}

pub(crate) fn issue_json<'a>(
    a: &'a crate::engine::Assessment,
    now: DateTime<Utc>,
) -> IssueJson<'a> {
    let t = a.tracked.as_ref();
    IssueJson {
        number: t.map(|t| t.issue.number),
        url: t.and_then(|t| t.issue.html_url.as_deref()),
        job: &a.job,
        state: state_of(a),
        commit: t.map(|t| t.marker.sha.as_str()),
        run_id: t.map(|t| t.marker.run_id),
        opened_at: t.map(|t| crate::issue::rfc3339(t.marker.opened_at)),
        deadline: crate::issue::rfc3339(a.deadline),
        seconds_left: (a.deadline - now).num_seconds(),
        tagged: t.map(|t| t.marker.mentions()).unwrap_or_default(),
        exception_by: a.exception.as_ref().map(|g| g.login.as_str()),
        warning: a.warning.as_deref(),
    }
}

/// `#12` or `(no open issue)`.
pub(crate) fn issue_ref(a: &crate::engine::Assessment) -> String {
    match &a.tracked {
        Some(t) => format!("#{}", t.issue.number),
        None => "(no open issue)".to_owned(),
    }
}
