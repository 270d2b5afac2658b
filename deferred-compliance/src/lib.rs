//! `deferred-compliance`: a GitHub bot for CI jobs too long to block pull
//! requests. When such a job fails on the main branch it opens one
//! labelled issue tagging the author and the code owners, warns Slack and
//! starts a timer; a green run closes the issue; past the deadline deploys
//! are blocked until the job is fixed or an exception is granted.
//!
//! One state machine ([`engine`]) is behind every way of running it: a
//! GitHub Actions step (`handle-event`), a GitHub App's webhook server
//! (`serve`), a periodic pass that rebuilds the truth from GitHub
//! (`reconcile`), and the deploy pipeline's check (`gate`).
//!
//! Outside the crate only the command line ([`Cli`], for the shared-flags
//! check), the webhook's edge ([`signature`], [`event`], [`api::Run`],
//! [`config`] and [`engine::Engine::wants`], for the fuzz targets) and
//! [`store::Store`] (for the server test) are used; every other item is
//! `pub(crate)`.

#![warn(unreachable_pub)]

pub mod api;
mod clock;
mod commands;
pub mod config;
pub mod engine;
pub mod event;
mod issue;
mod server;
pub mod signature;
mod slack;
pub mod store;
mod text;

use std::process::ExitCode;

use clap::Subcommand;

pub use cli_support::Exit;

const AFTER_HELP: &str = "\
Credentials (environment):
  GITHUB_TOKEN, or a GitHub App: GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY (PEM
  or a file's path), GITHUB_APP_INSTALLATION_ID
  GITHUB_API_URL         default https://api.github.com (Enterprise Server:
                         https://HOST/api/v3)
  GITHUB_WEBHOOK_SECRET  serve: the App's webhook secret
  SLACK_WEBHOOK_URL      optional: Slack incoming webhook for warnings

Exit codes:
  0  success (gate: deploys may go)
  1  gate: deploys are blocked; other commands: an action failed and is
     left to the next reconcile pass
  2  bad usage, bad input or configuration (one line on stderr says where)

Examples:
  deferred-compliance handle-event --event-path \"$GITHUB_EVENT_PATH\" --event-name workflow_run
  deferred-compliance reconcile
  deferred-compliance gate
  deferred-compliance status --format json
  deferred-compliance serve --listen 0.0.0.0:8080 --db /var/lib/deferred-compliance.db";

/// The command line: the shared flags (`-v`, `-q`, `--color`), then a
/// [`Command`].
pub type Cli = cli_support::Cli<Command>;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Handle one webhook event from a file (a GitHub Actions step
    /// triggered by `workflow_run`).
    HandleEvent(commands::handle_event::HandleEventArgs),
    /// Run the webhook server of a GitHub App, with the reconcile pass on a
    /// timer.
    Serve(commands::serve::ServeArgs),
    /// Rebuild the truth from GitHub: open, close, remind and escalate as
    /// the latest runs and the open issues say.
    Reconcile(commands::reconcile::ReconcileArgs),
    /// For a deploy pipeline: exit 1 when a compliance issue is past its
    /// deadline without an exception.
    Gate(commands::gate::GateArgs),
    /// Every open compliance issue with its job, deadline and time left.
    Status(commands::status::StatusArgs),
}

/// Parses the command line, runs the command and maps its outcome to an exit
/// code. Errors are printed as one line on stderr.
pub fn main() -> ExitCode {
    cli_support::run::<Command, _>(|cli, _, out| match &cli.command {
        Command::HandleEvent(args) => commands::handle_event::run(args, out),
        Command::Serve(args) => commands::serve::run(args, out),
        Command::Reconcile(args) => commands::reconcile::run(args, out),
        Command::Gate(args) => commands::gate::run(args, out),
        Command::Status(args) => commands::status::run(args, out),
    })
}

impl cli_support::Tool for Command {
    const NAME: &'static str = "deferred-compliance";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const ABOUT: &'static str = env!("CARGO_PKG_DESCRIPTION");
    const AFTER_HELP: &'static str = AFTER_HELP;

    /// `serve` logs every delivery at `info`: its log is its record.
    fn default_log_level(&self) -> &'static str {
        match self {
            Command::Serve(_) => "info",
            _ => "warn",
        }
    }
}
