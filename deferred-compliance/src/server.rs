//! `serve`: the webhook endpoint of a GitHub App and the worker behind it.
//!
//! The endpoint only checks, stores and answers: a delivery is committed to
//! the [`Store`] before the 2xx goes out, and handled later by the worker,
//! so GitHub's 10 s limit never depends on GitHub's own API. One worker
//! handles deliveries one at a time, with the periodic reconcile pass in
//! between: the same job is never worked on twice at once, which is what
//! keeps two deliveries from filing two issues.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::{debug, error, info, warn};

use crate::clock::Clock;
use crate::engine::{Action, Engine};
use crate::signature::{BadSignature, WebhookSecret};
use crate::store::{Accepted, Delivery, Store};

/// GitHub caps payloads at 25 MB, read here as 25,000,000 bytes. A larger
/// `Content-Length` is answered 413 before a byte of the body is read; a
/// body without one is cut there.
pub(crate) const BODY_LIMIT: usize = 25_000_000;

/// How long the worker waits after the store itself failed.
const STORE_RETRY: Duration = Duration::from_secs(5);

/// What a client may hold of the server, and for how long. A delivery is
/// unsigned until its last byte is in, so every limit here applies to
/// anyone who can reach the port.
///
/// With the defaults, bodies in memory stay under 4 × 25 MB for the large
/// ones plus 256 × 256 KiB for the rest, about 170 MB however many clients
/// try; a `workflow_run` delivery is some 10 to 50 KB.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// For a request's head (request line and headers), from the moment
    /// the connection is ready for one: just accepted, or done with the
    /// previous request. Past it the connection is closed without an
    /// answer, so this is also how long an idle keep-alive connection is
    /// kept. 10 s.
    pub header_timeout: Duration,
    /// For a whole body, from the end of its head; 408 past it. 30 s.
    pub body_timeout: Duration,
    /// Bodies larger than this (by `Content-Length`, or once that much has
    /// arrived) need one of `large_bodies` turns to be read. 256 KiB.
    pub large_body: usize,
    /// Large bodies read at once. 4.
    pub large_bodies: usize,
    /// How long a large body waits for a turn before it is answered 503.
    /// 2 s.
    pub large_body_wait: Duration,
    /// Connections served at once. Beyond it the server stops accepting:
    /// new connections wait in the kernel's listen backlog and are
    /// accepted as others close (the header timeout bounds how long an
    /// idle one keeps its place). 256.
    pub connections: usize,
    /// After the shutdown signal, how long a request in hand and the
    /// worker's delivery in hand may take. Connections with no request in
    /// hand are closed at once; what remains when it runs out is dropped (a
    /// delivery dropped by the worker stays pending and is handled at the
    /// next start, which the engine makes harmless). 10 s.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            large_body: 256 * 1024,
            large_bodies: 4,
            large_body_wait: Duration::from_secs(2),
            connections: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What the worker drives: the [`Engine`], or a stand-in in tests.
pub(crate) trait Handler: Send + Sync + 'static {
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
pub(crate) struct Server<H> {
    pub handler: Arc<H>,
    pub store: Arc<Store>,
    pub secret: WebhookSecret,
    pub clock: Clock,
    pub limits: Limits,
}

impl<H: Handler> Server<H> {
    /// Answers webhooks on `listener` and runs the worker until `shutdown`
    /// completes; then stops accepting, lets the requests and the delivery
    /// in hand finish (within [`Limits::shutdown_grace`]), and returns.
    pub(crate) async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let limits = Arc::new(self.limits);
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
            large: Arc::new(Semaphore::new(limits.large_bodies)),
            limits: limits.clone(),
        });
        let mut http = tokio::spawn(accept_loop(listener, app, limits.clone(), stopped));
        tokio::select! {
            () = shutdown => {}
            r = &mut http => {
                r.context("the HTTP server panicked")?;
                anyhow::bail!("the HTTP server stopped by itself")
            }
            r = &mut worker => {
                r.context("the worker panicked")?;
                anyhow::bail!("the worker stopped by itself")
            }
        }
        info!("shutting down: finishing the delivery in hand");
        let _ = stop.send(true);
        let grace = limits.shutdown_grace;
        let (http, worker) = tokio::join!(http, async {
            match tokio::time::timeout(grace, &mut worker).await {
                Ok(r) => r.map(|()| true),
                Err(_) => {
                    worker.abort();
                    Ok(false)
                }
            }
        });
        http.context("the HTTP server panicked")?;
        if !worker.context("the worker panicked")? {
            warn!(
                "the delivery in hand took over {} s after the signal: left pending, handled at the next start",
                grace.as_secs_f64()
            );
        }
        Ok(())
    }
}

/// Accepts connections, at most [`Limits::connections`] at once, until
/// `stopped`; then closes the listener and waits for the connections to
/// drain (each bounds its own drain by the grace).
async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: Arc<Limits>,
    mut stopped: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(limits.connections));
    let mut connections = JoinSet::new();
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stopped.wait_for(|s| *s) => break,
        };
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stopped.wait_for(|s| *s) => break,
        };
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, peer)) => {
                let conn = connection(stream, peer, app.clone(), limits.clone(), stopped.clone());
                connections.spawn(async move {
                    conn.await;
                    drop(slot);
                });
            }
            // A client that went away between its SYN and our accept.
            Err(e) if is_connection_error(&e) => debug!("cannot accept a connection: {e}"),
            // Out of file descriptors, most likely: wait for some to close.
            Err(e) => {
                error!("cannot accept connections: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// Serves one connection: HTTP/1.1 (GitHub's webhooks are HTTP/1.1) with
/// the header timeout, until the client closes it or the server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: Arc<Limits>,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    // Requests whose answer is not entirely handed to hyper yet.
    let in_hand = Arc::new(AtomicUsize::new(0));
    let service = {
        let in_hand = in_hand.clone();
        let app = TowerToHyperService::new(app);
        hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let guard = InHand::enter(&in_hand);
            let answer = hyper::service::Service::call(&app, req);
            async move {
                let answer = answer.await?;
                // The guard lives as long as the answer's body.
                Ok::<_, Infallible>(answer.map(move |body| {
                    body.map_frame(move |frame| {
                        let _ = &guard;
                        frame
                    })
                }))
            }
        })
    };
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut conn = pin!(http.serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                debug!(%peer, "connection closed: {e}");
            }
            return;
        }
        _ = stopped.wait_for(|s| *s) => {}
    }
    // No new request on this connection; the one in hand, if any, goes on.
    conn.as_mut().graceful_shutdown();
    let deadline = Instant::now() + limits.shutdown_grace;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        if in_hand.load(Ordering::SeqCst) == 0 {
            debug!(%peer, "closed a connection with no request in hand");
            return;
        }
        if Instant::now() >= deadline {
            warn!(%peer, "dropped a request still in hand at the end of the shutdown grace");
            return;
        }
    }
}

/// Counts a request in hand while it lives.
struct InHand(Arc<AtomicUsize>);

impl InHand {
    fn enter(count: &Arc<AtomicUsize>) -> InHand {
        count.fetch_add(1, Ordering::SeqCst);
        InHand(count.clone())
    }
}

impl Drop for InHand {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct App {
    store: Arc<Store>,
    secret: Arc<WebhookSecret>,
    clock: Clock,
    wake: Arc<Notify>,
    limits: Arc<Limits>,
    /// Turns to read a large body.
    large: Arc<Semaphore>,
}

fn router(app: App) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/", post(webhook))
        .route("/healthz", get(healthz))
        .with_state(app)
}

type Reply = (StatusCode, &'static str);

const TOO_LARGE: Reply = (
    StatusCode::PAYLOAD_TOO_LARGE,
    "the body is over 25 MB, GitHub's limit",
);
const TOO_SLOW: Reply = (
    StatusCode::REQUEST_TIMEOUT,
    "the body took too long to arrive",
);
const TOO_BUSY: Reply = (
    StatusCode::SERVICE_UNAVAILABLE,
    "too many large bodies at once; send it again later",
);

/// Reads a body within [`BODY_LIMIT`] and [`Limits::body_timeout`]; a large
/// one only with a turn, returned with it.
async fn read_body(
    app: &App,
    declared: Option<u64>,
    body: Body,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), Reply> {
    let limits = &app.limits;
    let deadline = Instant::now() + limits.body_timeout;
    let turn = async || {
        let wait = deadline.min(Instant::now() + limits.large_body_wait);
        match tokio::time::timeout_at(wait, app.large.clone().acquire_owned()).await {
            Ok(turn) => Ok(turn.expect("the semaphore is never closed")),
            Err(_) => Err(TOO_BUSY),
        }
    };
    let mut held = None;
    let mut buf = Vec::new();
    if let Some(n) = declared {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > limits.large_body {
            held = Some(turn().await?);
        }
        buf.reserve_exact(n);
    }
    let mut body = Limited::new(body, BODY_LIMIT);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(TOO_SLOW),
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) if e.is::<LengthLimitError>() => return Err(TOO_LARGE),
            Ok(Some(Err(e))) => {
                debug!("cannot read a body: {e}");
                return Err((StatusCode::BAD_REQUEST, "cannot read the body"));
            }
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if held.is_none() && buf.len() + data.len() > limits.large_body {
            held = Some(turn().await?);
        }
        buf.extend_from_slice(&data);
    }
    Ok((Bytes::from(buf), held))
}

async fn webhook(State(app): State<App>, headers: HeaderMap, body: Body) -> Reply {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
    };
    let id = header("x-github-delivery");
    let signature = headers.get("x-hub-signature-256").map(|v| v.as_bytes());
    let refuse = |reply: Reply| {
        warn!(
            delivery = id.unwrap_or("-"),
            "refused a webhook delivery: {}", reply.1
        );
        reply
    };
    let declared = header(header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return refuse(TOO_LARGE);
    }
    // A large body that cannot be signed is not worth reading. (Small ones
    // are read anyway: answering before the body is in has the kernel
    // reset the connection over the unread bytes, and the client may lose
    // the answer.)
    if declared.is_some_and(|n| n > app.limits.large_body as u64)
        && let Err(e @ (BadSignature::Missing | BadSignature::Malformed)) =
            app.secret.verify(signature, b"")
    {
        warn!(
            delivery = id.unwrap_or("-"),
            "refused a webhook delivery: {e}"
        );
        return (StatusCode::UNAUTHORIZED, "bad signature");
    }
    // A large body's turn is kept until the body is stored.
    let (body, _turn) = match read_body(&app, declared, body).await {
        Ok(read) => read,
        Err(reply) => return refuse(reply),
    };
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
            limits: Limits::default(),
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

    /// A server on loopback with `limits`, and how to stop it.
    struct Live {
        addr: std::net::SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        task: tokio::task::JoinHandle<anyhow::Result<()>>,
        store: Arc<Store>,
        _dir: tempfile::TempDir,
    }

    async fn live(limits: Limits) -> Live {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = Server {
            handler: Arc::new(Fake::default()),
            store: store.clone(),
            secret: WebhookSecret::new("s3cret"),
            clock: Clock::new(None),
            limits,
        };
        let task = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));
        Live {
            addr,
            stop,
            task,
            store,
            _dir: dir,
        }
    }

    impl Live {
        /// Stops it; how long it took to return.
        async fn stop(self) -> Duration {
            let start = Instant::now();
            self.stop.send(()).unwrap();
            tokio::time::timeout(Duration::from_secs(15), self.task)
                .await
                .expect("the server returns")
                .unwrap()
                .unwrap();
            start.elapsed()
        }
    }

    /// A well-formed signature that matches nothing.
    const FORGED: &str = "sha256=0000000000000000000000000000000000000000000000000000000000000000";

    async fn connect(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
        tokio::net::TcpStream::connect(addr).await.unwrap()
    }

    /// Without tokio's `io-util`.
    async fn write_all(s: &tokio::net::TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            s.writable().await?;
            match s.try_write(bytes) {
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Everything until the server closes; a reset counts as a close.
    async fn read_to_end(s: &tokio::net::TcpStream) -> Vec<u8> {
        let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
        loop {
            if s.readable().await.is_err() {
                return got;
            }
            match s.try_read(&mut buf) {
                Ok(0) => return got,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return got,
            }
        }
    }

    /// Everything the server sends until it closes, or `None` if it has not
    /// closed within `wait`.
    async fn answer(s: &tokio::net::TcpStream, wait: Duration) -> Option<String> {
        let got = tokio::time::timeout(wait, read_to_end(s)).await.ok()?;
        Some(String::from_utf8_lossy(&got).into_owned())
    }

    async fn send(s: &tokio::net::TcpStream, bytes: &str) {
        write_all(s, bytes.as_bytes()).await.unwrap();
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_over_25_mb_is_refused_before_it_is_read() {
        let server = live(Limits::default()).await;
        let s = connect(server.addr).await;
        let start = Instant::now();
        send(
            &s,
            &format!(
                "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_run\r\n\
                 X-GitHub-Delivery: d1\r\nX-Hub-Signature-256: {FORGED}\r\n\
                 Content-Length: 26000000\r\n\r\n"
            ),
        )
        .await;
        let got = answer(&s, 2 * SECOND).await.expect("an answer, at once");
        assert!(got.starts_with("HTTP/1.1 413 "), "{got}");
        assert!(
            got.ends_with("the body is over 25 MB, GitHub's limit"),
            "{got}"
        );
        assert!(start.elapsed() < SECOND);

        // Without a length: cut at the limit.
        let s = connect(server.addr).await;
        send(
            &s,
            &format!(
                "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: {FORGED}\r\n\
                 Transfer-Encoding: chunked\r\n\r\n"
            ),
        )
        .await;
        let s = Arc::new(s);
        let writer = tokio::spawn({
            let s = s.clone();
            async move {
                let chunk = format!("100000\r\n{}\r\n", "x".repeat(0x10_0000));
                let mut sent = 0;
                // Up to 40 MB, or until the server stops reading.
                while sent < 40 << 20 && write_all(&s, chunk.as_bytes()).await.is_ok() {
                    sent += 0x10_0000;
                }
                sent
            }
        });
        let got = tokio::time::timeout(10 * SECOND, read_to_end(&s))
            .await
            .expect("the server ends the request");
        let sent = writer.await.unwrap();
        let got = String::from_utf8_lossy(&got);
        // The answer may be lost to the reset the unread bytes cause; the
        // server's having stopped reading is what counts.
        assert!(got.is_empty() || got.starts_with("HTTP/1.1 413 "), "{got}");
        assert!(sent < 40 << 20, "the server read on past the limit");
        assert_eq!(server.store.counts().unwrap(), Default::default());
        server.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn large_bodies_take_turns_and_unsigned_ones_are_not_read() {
        let server = live(Limits {
            large_body: 1000,
            large_bodies: 1,
            large_body_wait: Duration::from_millis(300),
            ..Limits::default()
        })
        .await;
        let head = |signature: &str| {
            format!(
                "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: {signature}\r\n\
                 Content-Length: 5000\r\nConnection: close\r\n\r\n"
            )
        };
        // Holds the one turn: half its body, and no more for now.
        let holder = connect(server.addr).await;
        send(&holder, &head(FORGED)).await;
        send(&holder, &"x".repeat(2500)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;

        let other = connect(server.addr).await;
        let start = Instant::now();
        send(&other, &(head(FORGED) + &"x".repeat(5000))).await;
        let got = answer(&other, 2 * SECOND).await.unwrap();
        assert!(got.starts_with("HTTP/1.1 503 "), "{got}");
        assert!(start.elapsed() >= Duration::from_millis(250));

        // Not even a signature to check: answered without waiting.
        let unsigned = connect(server.addr).await;
        let start = Instant::now();
        send(&unsigned, &head("none")).await;
        let got = answer(&unsigned, 2 * SECOND).await.unwrap();
        assert!(got.starts_with("HTTP/1.1 401 "), "{got}");
        assert!(start.elapsed() < Duration::from_millis(250));

        send(&holder, &"x".repeat(2500)).await;
        let got = answer(&holder, 2 * SECOND).await.unwrap();
        assert!(
            got.starts_with("HTTP/1.1 401 "),
            "read, then refused: {got}"
        );
        // The turn is free again.
        let again = connect(server.addr).await;
        send(&again, &(head(FORGED) + &"x".repeat(5000))).await;
        let got = answer(&again, 2 * SECOND).await.unwrap();
        assert!(got.starts_with("HTTP/1.1 401 "), "{got}");
        server.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_slow_with_its_headers_is_disconnected() {
        let server = live(Limits {
            header_timeout: SECOND,
            ..Limits::default()
        })
        .await;
        let s = Arc::new(connect(server.addr).await);
        let start = Instant::now();
        let trickle = tokio::spawn({
            let s = s.clone();
            async move {
                let _ = write_all(&s, b"POST /webhook HTTP/1.1\r\n").await;
                // A header every 100 ms, never the blank line.
                for i in 0..100 {
                    let line = format!("X-Slow-{i}: y\r\n");
                    if write_all(&s, line.as_bytes()).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        let closed = tokio::time::timeout(5 * SECOND, read_to_end(&s)).await;
        assert!(closed.is_ok(), "still connected after 5 s");
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(900), "{took:?}");
        assert!(took < 3 * SECOND, "{took:?}");
        trickle.abort();
        server.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_slow_with_its_body_is_answered_408() {
        let server = live(Limits {
            body_timeout: SECOND,
            ..Limits::default()
        })
        .await;
        let s = Arc::new(connect(server.addr).await);
        let start = Instant::now();
        let trickle = tokio::spawn({
            let s = s.clone();
            async move {
                let head = format!(
                    "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_run\r\n\
                     X-GitHub-Delivery: d1\r\nX-Hub-Signature-256: {FORGED}\r\n\
                     Content-Length: 1000\r\n\r\n"
                );
                let _ = write_all(&s, head.as_bytes()).await;
                // 10 bytes every 100 ms: 10 s for the whole body.
                for _ in 0..100 {
                    if write_all(&s, &[b'x'; 10]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        let done = tokio::time::timeout(5 * SECOND, read_to_end(&s)).await;
        let got = done.expect("no answer after 5 s");
        let got = String::from_utf8_lossy(&got);
        assert!(got.starts_with("HTTP/1.1 408 "), "{got}");
        assert!(start.elapsed() < 3 * SECOND);
        trickle.abort();
        server.stop().await;
    }

    /// `n` connections that have sent nothing, and `n` that sent part of a
    /// request's head.
    async fn idle_and_slow(addr: std::net::SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
        let mut held = Vec::new();
        for i in 0..2 * n {
            let s = connect(addr).await;
            if i % 2 == 1 {
                send(&s, "POST /webhook HTTP/1.1\r\nHost: x\r\n").await;
            }
            held.push(s);
        }
        held
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_closes_idle_and_slow_connections_at_once() {
        let server = live(Limits {
            header_timeout: Duration::from_secs(60),
            ..Limits::default()
        })
        .await;
        let addr = server.addr;
        let held = idle_and_slow(addr, 10).await;
        // And one kept alive after a request.
        let kept = connect(addr).await;
        send(&kept, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let took = server.stop().await;
        assert!(took < SECOND, "{took:?}");
        for s in &held {
            assert!(answer(s, SECOND).await.is_some(), "closed");
        }
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "no longer listening"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn shutdown_waits_for_a_slow_body_no_longer_than_the_grace() {
        let server = live(Limits {
            header_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
            shutdown_grace: SECOND,
            ..Limits::default()
        })
        .await;
        let mut held = idle_and_slow(server.addr, 5).await;
        // A request in hand whose body never ends.
        let slow = connect(server.addr).await;
        send(
            &slow,
            &format!(
                "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Hub-Signature-256: {FORGED}\r\n\
                 Content-Length: 1000\r\n\r\nxxxxxxxxxx"
            ),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let took = server.stop().await;
        assert!(took >= Duration::from_millis(900), "{took:?}");
        assert!(took < 2 * SECOND, "{took:?}");
        held.push(slow);
        for s in &held {
            assert!(answer(s, SECOND).await.is_some(), "closed");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_beyond_the_cap_wait_for_a_free_one() {
        let server = live(Limits {
            connections: 3,
            header_timeout: Duration::from_secs(60),
            ..Limits::default()
        })
        .await;
        let healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let held = idle_and_slow(server.addr, 1).await;
        let third = connect(server.addr).await;
        send(&third, healthz).await;
        let got = answer(&third, SECOND).await.unwrap();
        assert!(got.starts_with("HTTP/1.1 200 "), "{got}");

        let idle = connect(server.addr).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Three held: the next one waits in the backlog, unanswered.
        let waiting = connect(server.addr).await;
        send(&waiting, healthz).await;
        assert_eq!(
            answer(&waiting, Duration::from_millis(500)).await,
            None,
            "answered beyond the cap"
        );
        drop(held);
        let got = answer(&waiting, 2 * SECOND).await.expect("its turn");
        assert!(got.starts_with("HTTP/1.1 200 "), "{got}");
        drop(idle);
        for _ in 0..10 {
            let s = connect(server.addr).await;
            send(&s, healthz).await;
            let got = answer(&s, 2 * SECOND).await.expect("still answering");
            assert!(got.starts_with("HTTP/1.1 200 "), "{got}");
        }
        server.stop().await;
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
