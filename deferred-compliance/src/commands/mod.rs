//! One file per subcommand, each with its clap arguments and its `run`.

pub mod gate;
pub mod handle_event;
pub mod reconcile;
pub mod serve;
pub mod status;

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
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The engine, signed in with the credentials of the environment. Must be
/// called inside the runtime.
pub fn connect(cfg: Config) -> anyhow::Result<Engine> {
    Engine::from_env(cfg)
}
