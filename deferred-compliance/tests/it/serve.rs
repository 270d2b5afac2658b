//! `deferred-compliance serve` over loopback: the HTTP contract (signatures,
//! ping, deduplication, bad bodies) and the SQLite queue surviving a
//! `kill -9`. GitHub's API is an unused loopback port here, so handling
//! fails and is retried: deliveries stay pending, which is what `/healthz`
//! is checked against.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use deferred_compliance::signature::sign;
use serde_json::Value;

const SECRET: &str = "a webhook secret nobody guesses";
const CONFIG: &str = "repository = \"org/repo\"\n\n[[job]]\nworkflow = \"integration.yml\"\n";
/// A `workflow_run` delivery the bot wants, with a marker that must never
/// reach the logs.
const RUN: &str = r#"{"action":"completed","workflow_run":{"id":1,"name":"payload-marker-7f3a"}}"#;

fn command(dir: &Path, listen: &str) -> Command {
    let unused = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    std::fs::write(dir.join("deferred-compliance.toml"), CONFIG).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_deferred-compliance"));
    cmd.current_dir(dir)
        .args(["serve", "--listen", listen, "--db", "queue.db"])
        .env("GITHUB_TOKEN", "ghp_not_a_real_token")
        .env("GITHUB_API_URL", format!("http://{unused}"))
        .env("GITHUB_WEBHOOK_SECRET", SECRET)
        .env("RUST_LOG", "info")
        .env_remove("GITHUB_APP_ID")
        .env_remove("GITHUB_APP_PRIVATE_KEY")
        .env_remove("GITHUB_APP_INSTALLATION_ID")
        .env_remove("SLACK_WEBHOOK_URL")
        .stdin(Stdio::null());
    cmd
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &Path) -> Server {
        let mut child = command(dir, "127.0.0.1:0")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let (pipe, log) = (child.stderr.take().unwrap(), stderr.clone());
        // Drains stderr for the server's whole life, so it never blocks on
        // a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let line = line.unwrap();
                if let Some(url) = line.strip_prefix("deferred-compliance: listening on http://") {
                    let addr: SocketAddr = url.strip_suffix("/webhook").unwrap().parse().unwrap();
                    let _ = tx.send(addr);
                }
                log.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!(
                    "no `listening on` line; stderr:\n{}",
                    stderr.lock().unwrap()
                )
            });
        Server {
            child,
            addr,
            stderr,
        }
    }

    /// One HTTP/1.1 request; the status and the body of the answer.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (k, v) in headers {
            head += &format!("{k}: {v}\r\n");
        }
        head += &format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        let status = answer.get(9..12).and_then(|s| s.parse().ok());
        let status = status.unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
        let (_, body) = answer.split_once("\r\n\r\n").unwrap();
        (status, body.to_owned())
    }

    /// A delivery as GitHub sends it, signed with `secret`.
    fn deliver(&self, event: &str, id: &str, body: &str, secret: &str) -> (u16, String) {
        let signature = sign(secret, body);
        let headers = [
            ("Content-Type", "application/json"),
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", id),
            ("X-Hub-Signature-256", signature.as_str()),
        ];
        self.request("POST", "/webhook", &headers, body.as_bytes())
    }

    fn counts(&self) -> (u64, u64) {
        let (status, body) = self.request("GET", "/healthz", &[], b"");
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        (v["pending"].as_u64().unwrap(), v["done"].as_u64().unwrap())
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The server's stderr once it holds `needle`, or after ten seconds:
    /// the server logs before it answers, but the thread that reads its
    /// stderr may not have read the line yet when the answer is in.
    fn stderr_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.stderr();
            if log.contains(needle) || std::time::Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn forged_and_missing_signatures_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(
        server.deliver("workflow_run", "d-1", RUN, "a guess"),
        (401, "bad signature".into())
    );
    let unsigned = [
        ("X-GitHub-Event", "workflow_run"),
        ("X-GitHub-Delivery", "d-2"),
    ];
    let (status, _) = server.request("POST", "/webhook", &unsigned, RUN.as_bytes());
    assert_eq!(status, 401);
    let mut garbled = unsigned.to_vec();
    garbled.push(("X-Hub-Signature-256", "sha256=not-hex"));
    let (status, _) = server.request("POST", "/webhook", &garbled, RUN.as_bytes());
    assert_eq!(status, 401);
    // Signed for another body.
    let mut replayed = unsigned.to_vec();
    let other = sign(SECRET, "{}");
    replayed.push(("X-Hub-Signature-256", &other));
    let (status, _) = server.request("POST", "/webhook", &replayed, RUN.as_bytes());
    assert_eq!(status, 401);

    assert_eq!(server.counts(), (0, 0));
    let log = server.stderr_with("refused a webhook delivery");
    assert!(log.contains("refused a webhook delivery"), "{log}");
    assert!(
        !log.contains(SECRET) && !log.contains("payload-marker"),
        "{log}"
    );
}

#[test]
fn a_delivery_is_accepted_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    assert_eq!(
        server.deliver("workflow_run", "d-1", RUN, SECRET),
        (202, "accepted".into())
    );
    assert_eq!(
        server.deliver("workflow_run", "d-1", RUN, SECRET),
        (200, "duplicate".into())
    );
    let (pending, done) = server.counts();
    assert_eq!(pending + done, 1, "one row for two sends");

    // The App's URL may also be the root.
    let body = RUN.replace("\"id\":1", "\"id\":2");
    let signature = sign(SECRET, &body);
    let headers = [
        ("X-GitHub-Event", "workflow_run"),
        ("X-GitHub-Delivery", "d-2"),
        ("X-Hub-Signature-256", signature.as_str()),
    ];
    let answer = server.request("POST", "/", &headers, body.as_bytes());
    assert_eq!(answer, (202, "accepted".into()));
    let (pending, done) = server.counts();
    assert_eq!(pending + done, 2);

    let log = server.stderr();
    assert!(
        !log.contains(SECRET) && !log.contains("payload-marker"),
        "{log}"
    );
}

#[test]
fn pings_ignored_events_and_bad_bodies_are_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let ping = r#"{"zen":"Keep it logically awesome.","hook_id":1}"#;
    assert_eq!(
        server.deliver("ping", "p-1", ping, SECRET),
        (200, "pong".into())
    );
    let push = r#"{"ref":"refs/heads/main"}"#;
    assert_eq!(
        server.deliver("push", "p-2", push, SECRET),
        (202, "ignored".into())
    );
    let queued = r#"{"action":"requested","workflow_run":{"id":1}}"#;
    assert_eq!(
        server.deliver("workflow_run", "p-3", queued, SECRET),
        (202, "ignored".into())
    );
    let (status, _) = server.deliver("workflow_run", "p-4", "payload=%7B%7D", SECRET);
    assert_eq!(status, 400, "a form-encoded body");
    let signature = sign(SECRET, RUN);
    let no_id = [
        ("X-GitHub-Event", "workflow_run"),
        ("X-Hub-Signature-256", &signature),
    ];
    let (status, _) = server.request("POST", "/webhook", &no_id, RUN.as_bytes());
    assert_eq!(status, 400, "no X-GitHub-Delivery");
    let (status, _) = server.request("GET", "/webhook", &[], b"");
    assert_eq!(status, 405);
    assert_eq!(server.counts(), (0, 0));
}

#[test]
fn a_killed_server_keeps_its_queue() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    assert_eq!(
        server.deliver("workflow_run", "d-1", RUN, SECRET),
        (202, "accepted".into())
    );
    server.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    server.child.wait().unwrap();

    let server = Server::start(dir.path());
    assert_eq!(server.counts(), (1, 0), "still pending after the restart");
    assert_eq!(
        server.deliver("workflow_run", "d-1", RUN, SECRET),
        (200, "duplicate".into())
    );
}

fn run_to_end(cmd: &mut Command) -> Output {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn one_line_error(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn startup_errors_are_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_to_end(command(dir.path(), "127.0.0.1:0").env_remove("GITHUB_WEBHOOK_SECRET"));
    assert!(one_line_error(&out).contains("GITHUB_WEBHOOK_SECRET is not set"));

    std::fs::write(dir.path().join("queue.db"), "not a database\n".repeat(100)).unwrap();
    let out = run_to_end(&mut command(dir.path(), "127.0.0.1:0"));
    let e = one_line_error(&out);
    assert!(
        e.contains("cannot open the delivery queue queue.db: file is not a database"),
        "{e}"
    );
    std::fs::remove_file(dir.path().join("queue.db")).unwrap();

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run_to_end(&mut command(dir.path(), &addr));
    assert!(one_line_error(&out).contains(&format!("cannot listen on {addr}")));
}

/// A queue with a few hundred pages, made by the library and closed
/// cleanly, so that all of it is in the main file.
fn a_real_queue(path: &Path) {
    use deferred_compliance::store::Store;
    let store = Store::open(path).unwrap();
    let payload = RUN.repeat(40);
    for i in 0..200 {
        let id = format!("d-{i}");
        store
            .accept(&id, "workflow_run", payload.as_bytes(), chrono::Utc::now())
            .unwrap();
    }
    drop(store);
    assert!(!path.with_extension("db-wal").exists(), "checkpointed");
}

#[test]
fn a_damaged_queue_is_refused_at_start_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.db");

    // Garbage over pages 2 to 4; the header and the schema are intact.
    a_real_queue(&db);
    let mut bytes = std::fs::read(&db).unwrap();
    for (i, b) in bytes[4096..4 * 4096].iter_mut().enumerate() {
        *b = (i * 7 + 13) as u8;
    }
    std::fs::write(&db, &bytes).unwrap();
    let out = run_to_end(&mut command(dir.path(), "127.0.0.1:0"));
    let e = one_line_error(&out);
    assert!(
        e.starts_with(
            "deferred-compliance: error: cannot open the delivery queue queue.db: \
             the SQLite file is damaged (quick_check: "
        ),
        "{e}"
    );
    assert!(
        e.trim_end().ends_with("); move it aside to start afresh"),
        "{e}"
    );
    assert!(!e.contains("listening"), "{e}");

    // Cut in the middle of a page.
    std::fs::remove_file(&db).unwrap();
    a_real_queue(&db);
    let len = std::fs::metadata(&db).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    file.set_len(len / 2 + 1000).unwrap();
    drop(file);
    let out = run_to_end(&mut command(dir.path(), "127.0.0.1:0"));
    let e = one_line_error(&out);
    assert!(e.contains("queue.db: the SQLite file is damaged ("), "{e}");

    // Not SQLite at all.
    std::fs::write(&db, [0xffu8, 0x00, 0x13].repeat(5000)).unwrap();
    let out = run_to_end(&mut command(dir.path(), "127.0.0.1:0"));
    let e = one_line_error(&out);
    assert!(e.contains("queue.db: file is not a database"), "{e}");
}

/// GitHub's cap, over the wire to the real binary: refused before a byte
/// of the body is read.
#[test]
fn a_body_over_25_mb_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let start = std::time::Instant::now();
    write!(
        s,
        "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_run\r\n\
         X-GitHub-Delivery: d-1\r\nX-Hub-Signature-256: {}\r\n\
         Content-Length: 26000000\r\n\r\n",
        sign(SECRET, "{}")
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer)
        .expect("an answer, without the body");
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(server.counts(), (0, 0));
}

/// Idle clients and clients slow with their headers do not hold up a
/// SIGTERM: with no request in hand, they are closed at once. (A request
/// in hand gets the 10 s grace; server.rs tests that with a shorter one.)
#[cfg(unix)]
#[test]
fn sigterm_does_not_wait_for_idle_or_slow_clients() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let mut held = Vec::new();
    for i in 0..20 {
        let mut s = TcpStream::connect(server.addr).unwrap();
        // Half send nothing, half part of a request's head.
        if i % 2 == 1 {
            write!(s, "POST /webhook HTTP/1.1\r\nHost: x\r\n").unwrap();
        }
        held.push(s);
    }
    // Connected and served before the signal; and the start-up reconcile
    // pass, which the worker would finish first, is over (GitHub is an
    // unused port here: it fails after its retries).
    assert_eq!(server.counts(), (0, 0));
    let waited = std::time::Instant::now();
    while !server.stderr().contains("reconcile failed") {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let start = std::time::Instant::now();
    let pid = server.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(13),
            "still running 13 s after SIGTERM; stderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
    let took = start.elapsed();
    assert!(took < Duration::from_secs(3), "{took:?}");
    drop(held);
}
