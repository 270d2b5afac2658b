//! `serve`: the webhook endpoint of a GitHub App and the worker behind it.
//!
//! The endpoint only checks, stores and answers: a delivery is committed to
//! the [`Store`] before the 2xx goes out, and handled later by the worker,
//! so GitHub's 10 s limit never depends on GitHub's own API. One worker
//! handles deliveries one at a time, with the periodic reconcile pass in
//! between: the same job is never worked on twice at once, which is what
//! keeps two deliveries from filing two issues.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::clock::Clock;
use crate::engine::{Action, Engine};
use crate::signature::WebhookSecret;
use crate::store::{Accepted, Delivery, Store};

/// GitHub caps payloads at 25 MB.
pub const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// How long the worker waits after the store itself failed.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// What the worker drives: the [`Engine`], or a stand-in in tests.
pub trait Handler: Send + Sync + 'static {
    fn handle_event(
        &self,
        event: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Vec<Action>>> + Send;

    fn reconcile(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Vec<Action>>> + Send;

    fn reconcile_every(&self) -> Duration;
}

impl Handler for Engine {
    fn handle_event(
        &self,
        event: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Vec<Action>>> + Send {
        Engine::handle_event(self, event, payload, now)
    }

    fn reconcile(
        &self,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Vec<Action>>> + Send {
        Engine::reconcile(self, now)
    }

    fn reconcile_every(&self) -> Duration {
        self.cfg.reconcile_every
    }
}

/// Everything `serve` runs on.
pub struct Server<H> {
    pub handler: Arc<H>,
    pub store: Arc<Store>,
    pub secret: WebhookSecret,
    pub clock: Clock,
}

impl<H: Handler> Server<H> {
    /// Answers webhooks on `listener` and runs the worker until `shutdown`
    /// completes; then stops accepting, lets the worker finish the delivery
    /// in hand, and returns.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let worker = Worker {
            handler: self.handler,
            store: self.store.clone(),
            clock: self.clock,
            wake: wake.clone(),
        };
        let mut worker = tokio::spawn(worker.run(stopped.clone()));
        let app = router(App {
            store: self.store,
            secret: Arc::new(self.secret),
            clock: self.clock,
            wake,
        });
        let mut until_stopped = stopped;
        let http = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = until_stopped.wait_for(|s| *s).await;
        });
        let mut http = std::pin::pin!(http.into_future());
        tokio::select! {
            () = shutdown => {
                info!("shutting down: finishing the delivery in hand");
                let _ = stop.send(true);
                http.await.context("the HTTP server failed")?;
                worker.await.context("the worker panicked")?;
                Ok(())
            }
            r = &mut http => {
                r.context("the HTTP server failed")?;
                anyhow::bail!("the HTTP server stopped by itself")
            }
            r = &mut worker => {
                r.context("the worker panicked")?;
                anyhow::bail!("the worker stopped by itself")
            }
        }
    }
}

#[derive(Clone)]
struct App {
    store: Arc<Store>,
    secret: Arc<WebhookSecret>,
    clock: Clock,
    wake: Arc<Notify>,
}

fn router(app: App) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/", post(webhook))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(app)
}

type Reply = (StatusCode, &'static str);

async fn webhook(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Reply {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    let id = header("x-github-delivery");
    let signature = headers.get("x-hub-signature-256").map(|v| v.as_bytes());
    if let Err(e) = app.secret.verify(signature, &body) {
        warn!(
            delivery = id.unwrap_or("-"),
            "refused a webhook delivery: {e}"
        );
        return (StatusCode::UNAUTHORIZED, "bad signature");
    }
    let (Some(id), Some(event)) = (id, header("x-github-event")) else {
        return (
            StatusCode::BAD_REQUEST,
            "expected X-GitHub-Delivery and X-GitHub-Event headers",
        );
    };
    if event == "ping" {
        debug!(delivery = id, event, "pong");
        return (StatusCode::OK, "pong");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        warn!(
            delivery = id,
            event, "refused a webhook delivery: the body is not JSON"
        );
        return (
            StatusCode::BAD_REQUEST,
            "expected a JSON body (content type application/json)",
        );
    };
    if !Engine::wants(event, &payload) {
        debug!(delivery = id, event, "ignored");
        return (StatusCode::ACCEPTED, "ignored");
    }
    let (owned_id, owned_event, now) = (id.to_owned(), event.to_owned(), app.clock.now());
    let accepted = blocking(&app.store, move |s| {
        s.accept(&owned_id, &owned_event, &body, now)
    });
    match accepted.await {
        Ok(Accepted::New) => {
            debug!(delivery = id, event, "accepted");
            app.wake.notify_one();
            (StatusCode::ACCEPTED, "accepted")
        }
        Ok(Accepted::Duplicate) => {
            debug!(delivery = id, event, "duplicate");
            (StatusCode::OK, "duplicate")
        }
        Err(e) => {
            error!(delivery = id, event, "cannot store a delivery: {e:#}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot store the delivery",
            )
        }
    }
}

async fn healthz(State(app): State<App>) -> axum::response::Response {
    use axum::response::IntoResponse;
    match blocking(&app.store, Store::counts).await {
        Ok(counts) => axum::Json(counts).into_response(),
        Err(e) => {
            error!("cannot read the queue: {e:#}");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the queue").into_response()
        }
    }
}

/// Runs a store call off the async threads.
async fn blocking<T: Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .context("the store's thread panicked")?
}

/// The one task that handles deliveries, oldest due first, and runs the
/// reconcile pass between them.
struct Worker<H> {
    handler: Arc<H>,
    store: Arc<Store>,
    clock: Clock,
    wake: Arc<Notify>,
}

impl<H: Handler> Worker<H> {
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        let every = self.handler.reconcile_every();
        let mut next_reconcile = Instant::now();
        while !*stopped.borrow() {
            if Instant::now() >= next_reconcile {
                self.reconcile().await;
                next_reconcile = Instant::now()
                    .checked_add(every)
                    .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400 * 365));
                continue;
            }
            let now = self.clock.now();
            let wait = match blocking(&self.store, move |s| s.next_due(now)).await {
                Ok(Some(delivery)) => {
                    self.handle(delivery).await;
                    continue;
                }
                Ok(None) => match blocking(&self.store, Store::next_attempt_at).await {
                    Ok(at) => at.map(|at| (at - self.clock.now()).to_std().unwrap_or_default()),
                    Err(e) => {
                        error!("{e:#}");
                        Some(STORE_RETRY)
                    }
                },
                Err(e) => {
                    error!("{e:#}");
                    Some(STORE_RETRY)
                }
            };
            let deadline = wait.map_or(next_reconcile, |w| next_reconcile.min(Instant::now() + w));
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep_until(deadline) => {}
                r = stopped.changed() => if r.is_err() { break },
            }
        }
    }

    async fn reconcile(&self) {
        let (handler, now) = (self.handler.clone(), self.clock.now());
        // Its own task, so that a panic is an error here, not the worker's end.
        match tokio::spawn(async move { handler.reconcile(now).await }).await {
            Ok(Ok(actions)) if actions.iter().any(|a| a.failed) => {
                warn!(actions = %summary(&actions), "reconciled, in part")
            }
            Ok(Ok(actions)) => info!(actions = %summary(&actions), "reconciled"),
            Ok(Err(e)) => warn!("reconcile failed, retried at the next tick: {e:#}"),
            Err(e) => error!("reconcile failed, retried at the next tick: {e}"),
        }
        match blocking(&self.store, move |s| s.prune(now)).await {
            Ok(0) => {}
            Ok(n) => debug!("forgot {n} deliveries done over 30 days ago"),
            Err(e) => error!("{e:#}"),
        }
    }

    async fn handle(&self, d: Delivery) {
        let Delivery {
            id,
            event,
            payload,
            attempts,
        } = d;
        let (handler, now, ev) = (self.handler.clone(), self.clock.now(), event.clone());
        let outcome = tokio::spawn(async move {
            let payload: Value =
                serde_json::from_slice(&payload).context("the stored payload is not JSON")?;
            handler.handle_event(&ev, &payload, now).await
        })
        .await
        .unwrap_or_else(|e| Err(anyhow::anyhow!("the handler panicked: {e}")));
        let now = self.clock.now();
        match outcome {
            Ok(actions) => {
                let summary = summary(&actions);
                let (store, id2) = (self.store.clone(), id.clone());
                match blocking(&store, move |s| s.mark_done(&id2, now)).await {
                    Ok(()) => info!(delivery = id, event, attempts, actions = %summary, "done"),
                    // Still pending: handled again later, which the engine
                    // makes harmless.
                    Err(e) => error!(delivery = id, event, "handled, but {e:#}"),
                }
            }
            Err(e) => {
                let error = format!("{e:#}");
                let (store, id2, error2) = (self.store.clone(), id.clone(), error.clone());
                match blocking(&store, move |s| s.mark_failed(&id2, &error2, now)).await {
                    Ok(next) => warn!(
                        delivery = id,
                        event,
                        attempts = attempts + 1,
                        retry_at = %next.format("%Y-%m-%dT%H:%M:%SZ"),
                        error,
                        "failed"
                    ),
                    Err(store_err) => {
                        error!(delivery = id, event, error, "failed, and {store_err:#}");
                        tokio::time::sleep(STORE_RETRY).await;
                    }
                }
            }
        }
    }
}

/// `#12 job: what; …` for one log line.
fn summary(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "none".into();
    }
    let all: Vec<String> = actions.iter().map(Action::to_string).collect();
    all.join("; ")
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Mutex;

    use super::*;

    /// Records what it was asked to do; fails deliveries whose `n` is in
    /// `fail`, and takes `delay` over each.
    #[derive(Default)]
    struct Fake {
        log: Mutex<Vec<String>>,
        fail: Vec<u64>,
        delay: Duration,
        every: Option<Duration>,
    }

    impl Fake {
        fn log(&self) -> Vec<String> {
            self.log.lock().unwrap().clone()
        }
    }

    impl Handler for Fake {
        fn handle_event(
            &self,
            event: &str,
            payload: &Value,
            _now: DateTime<Utc>,
        ) -> impl Future<Output = anyhow::Result<Vec<Action>>> + Send {
            let n = payload["n"].as_u64().unwrap();
            self.log.lock().unwrap().push(format!("{event} {n}"));
            let (fail, delay) = (self.fail.contains(&n), self.delay);
            async move {
                tokio::time::sleep(delay).await;
                anyhow::ensure!(!fail, "GitHub said no to {n}");
                Ok(vec![Action {
                    job: "integration.yml".into(),
                    issue: Some(n),
                    what: "opened".into(),
                    failed: false,
                }])
            }
        }

        fn reconcile(
            &self,
            _now: DateTime<Utc>,
        ) -> impl Future<Output = anyhow::Result<Vec<Action>>> + Send {
            self.log.lock().unwrap().push("reconcile".into());
            async { anyhow::bail!("GitHub is down") }
        }

        fn reconcile_every(&self) -> Duration {
            self.every.unwrap_or(Duration::from_secs(3600))
        }
    }

    fn accept(store: &Store, id: &str, n: u64) {
        let payload = format!(r#"{{"action":"completed","n":{n}}}"#);
        store
            .accept(id, "workflow_run", payload.as_bytes(), Utc::now())
            .unwrap();
    }

    struct Running {
        stop: watch::Sender<bool>,
        wake: Arc<Notify>,
        task: tokio::task::JoinHandle<()>,
    }

    fn start(fake: &Arc<Fake>, store: &Arc<Store>) -> Running {
        let (stop, stopped) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let worker = Worker {
            handler: fake.clone(),
            store: store.clone(),
            clock: Clock::new(None),
            wake: wake.clone(),
        };
        let task = tokio::spawn(worker.run(stopped));
        Running { stop, wake, task }
    }

    impl Running {
        async fn stop(self) {
            self.stop.send(true).unwrap();
            tokio::time::timeout(Duration::from_secs(5), self.task)
                .await
                .expect("the worker stops")
                .unwrap();
        }
    }

    async fn until(what: &str, f: impl Fn() -> bool) {
        let start = Instant::now();
        while !f() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "waited 5 s for {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn open(dir: &tempfile::TempDir) -> Arc<Store> {
        Arc::new(Store::open(&dir.path().join("q.db")).unwrap())
    }

    #[tokio::test]
    async fn deliveries_left_by_a_crash_are_handled_once_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        accept(&store, "d1", 1);
        accept(&store, "d2", 2);
        accept(&store, "d3", 3);
        store.mark_done("d2", Utc::now()).unwrap();
        drop(store);

        let store = open(&dir);
        let fake = Arc::new(Fake::default());
        let running = start(&fake, &store);
        until("both deliveries", || store.counts().unwrap().done == 3).await;
        running.stop().await;
        assert_eq!(
            fake.log(),
            ["reconcile", "workflow_run 1", "workflow_run 3"]
        );

        let fake = Arc::new(Fake::default());
        let running = start(&fake, &store);
        until("the reconcile pass", || !fake.log().is_empty()).await;
        running.stop().await;
        assert_eq!(
            fake.log(),
            ["reconcile"],
            "done deliveries are not handled again"
        );
    }

    #[tokio::test]
    async fn a_failure_is_kept_for_later_and_does_not_hold_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        accept(&store, "d1", 1);
        accept(&store, "d2", 2);
        let fake = Arc::new(Fake {
            fail: vec![1],
            ..Fake::default()
        });
        let running = start(&fake, &store);
        until("d2", || store.counts().unwrap().done == 1).await;
        running.stop().await;
        assert_eq!(
            fake.log(),
            ["reconcile", "workflow_run 1", "workflow_run 2"]
        );
        let counts = store.counts().unwrap();
        assert_eq!(
            (counts.pending, counts.failing, counts.failed_attempts),
            (1, 1, 1)
        );
        let retry = store
            .next_due(Utc::now() + Duration::from_secs(6))
            .unwrap()
            .unwrap();
        assert_eq!((retry.id.as_str(), retry.attempts), ("d1", 1));
        assert_eq!(store.next_due(Utc::now()).unwrap(), None, "d1 waits 5 s");
    }

    #[tokio::test]
    async fn a_new_delivery_wakes_the_worker_and_reconcile_ticks() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let fake = Arc::new(Fake {
            every: Some(Duration::from_millis(500)),
            ..Fake::default()
        });
        let running = start(&fake, &store);
        until("the first reconcile pass", || !fake.log().is_empty()).await;
        accept(&store, "d1", 1);
        running.wake.notify_one();
        until("d1", || store.counts().unwrap().done == 1).await;
        assert_eq!(
            fake.log(),
            ["reconcile", "workflow_run 1"],
            "woken, not ticked"
        );
        until("two more passes", || fake.log().len() == 4).await;
        running.stop().await;
        assert_eq!(
            fake.log()[2..],
            ["reconcile", "reconcile"],
            "a failed pass is retried"
        );
    }

    /// One HTTP/1.1 request; the status and the body of the answer.
    fn request(addr: std::net::SocketAddr, head: &str, body: &str) -> (u16, String) {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "{head}\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().unwrap();
        let (_, body) = answer.split_once("\r\n\r\n").unwrap();
        (status, body.to_owned())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_finishes_the_delivery_in_hand() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let fake = Arc::new(Fake {
            delay: Duration::from_millis(300),
            ..Fake::default()
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = Server {
            handler: fake.clone(),
            store: store.clone(),
            secret: WebhookSecret::new("s3cret"),
            clock: Clock::new(None),
        };
        let server = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));

        let body = r#"{"action":"completed","n":7}"#;
        let head = format!(
            "POST /webhook HTTP/1.1\r\nX-GitHub-Event: workflow_run\r\n\
             X-GitHub-Delivery: d7\r\nX-Hub-Signature-256: {}",
            crate::signature::sign("s3cret", body)
        );
        let answer = tokio::task::spawn_blocking(move || request(addr, &head, body));
        assert_eq!(answer.await.unwrap(), (202, "accepted".to_owned()));
        until("d7 to be in hand", || fake.log().len() == 2).await;
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert_eq!(store.counts().unwrap().done, 1, "finished, not dropped");
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "no longer listening"
        );
    }

    #[test]
    fn summaries_fit_on_one_line() {
        let a = |issue| Action {
            job: "integration.yml".into(),
            issue,
            what: "opened".into(),
            failed: false,
        };
        assert_eq!(summary(&[]), "none");
        assert_eq!(
            summary(&[a(Some(12)), a(None)]),
            "#12 integration.yml: opened; integration.yml: opened"
        );
    }
}
