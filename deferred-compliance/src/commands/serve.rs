//! `deferred-compliance serve`: the webhook server of a GitHub App, with
//! the reconcile pass on a timer.
//!
//! It faces the internet, so it runs with the limits of
//! [`Limits::default`]: 10 s for a request's head, 30 s for a body, bodies
//! up to 25 MB with at most 4 over 256 KiB read at once, 256 connections,
//! and 10 s after SIGTERM or ctrl-c for what is in hand.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use super::CommonArgs;
use crate::Exit;
use crate::clock::Clock;
use crate::server::{Limits, Server};
use crate::signature::WebhookSecret;
use crate::store::Store;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The address to answer webhooks on; port 0 picks a free port.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The SQLite file that queues deliveries until they are handled;
    /// created if missing.
    #[arg(long, value_name = "FILE", default_value = "deferred-compliance.db")]
    pub db: PathBuf,
}

pub(crate) fn run(args: &ServeArgs, _out: &mut dyn Write) -> anyhow::Result<Exit> {
    let cfg = args.common.load()?;
    let secret = WebhookSecret::from_env()?;
    let store = Arc::new(Store::open(&args.db)?);
    let clock = Clock::new(args.common.now);
    super::runtime()?.block_on(async {
        let engine = Arc::new(super::connect(cfg)?);
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener
            .local_addr()
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        // Listening for the signals before saying so: a SIGTERM right after
        // start-up is a clean stop too.
        let stop = shutdown_signal()?;
        eprintln!("deferred-compliance: listening on http://{addr}/webhook");
        let server = Server {
            handler: engine,
            store,
            secret,
            clock,
            limits: Limits::default(),
        };
        server.run(listener, stop).await
    })?;
    Ok(Exit::Success)
}

/// Completes when the process is asked to stop (SIGTERM or ctrl-c). The
/// handlers are installed when this is called, not when it is awaited.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
