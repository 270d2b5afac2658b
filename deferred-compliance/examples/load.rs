//! Load benchmark of `deferred-compliance serve` (not a test; run by
//! `bench/deferred-compliance-load.sh`).
//!
//! Over loopback: a fake GitHub and a fake Slack; the real server binary
//! with a fresh SQLite file; 1,000 signed `workflow_run` deliveries sent at
//! 200 per second, each on a new connection as GitHub sends them. Twenty
//! deferred workflows fail fifty times each on successive commits; each
//! run is created at GitHub just before its delivery is sent. The right
//! end state: one issue per workflow, and no run commented on twice. Each
//! delivery, when processed, reads its workflow's runs once: 50 reads per
//! workflow (plus one by the start-up reconcile pass) prove each was
//! processed exactly once. Then 100 deliveries are sent again with the
//! same delivery IDs, and must cause nothing.
//!
//! Printed: the answer latencies (p50, p99, max) beside those of a bare
//! axum handler that only records the body in memory (the fake Slack),
//! loaded the same way in the same run; the time until every delivery was
//! processed; and the checks.
//!
//! Usage: load SERVER_BINARY [DELIVERIES] [RATE_PER_SECOND]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fake_services::{FakeConfig, FakeGitHub, FakeSlack, RunSpec};
use hmac::Mac;
use serde_json::json;

const SECRET: &str = "load-benchmark-secret";
const WORKFLOWS: usize = 20;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(binary) = args.get(1) else {
        eprintln!("usage: load SERVER_BINARY [DELIVERIES] [RATE_PER_SECOND]");
        std::process::exit(2);
    };
    let total: usize = args.get(2).map_or(1000, |s| s.parse().expect("DELIVERIES"));
    let rate: f64 = args
        .get(3)
        .map_or(200.0, |s| s.parse().expect("RATE_PER_SECOND"));
    let per = total / WORKFLOWS;

    let gh = FakeGitHub::start(FakeConfig::default());
    let slack = FakeSlack::start();
    // History: c0 .. c{per}; workflow w fails on every commit.
    gh.add_commit("c0", None, "alice", "root", &["README.md"]);
    for i in 1..=per {
        gh.add_commit(
            &format!("c{i}"),
            Some(&format!("c{}", i - 1)),
            "carol",
            "change",
            &["src/a.rs"],
        );
    }
    gh.set_branch("main", &format!("c{per}"));
    gh.add_file("c0", ".github/CODEOWNERS", "* @acme/platform\n");
    let mut config = String::from("repository = \"acme/widgets\"\nreconcile_every = \"1h\"\n");
    for w in 0..WORKFLOWS {
        config.push_str(&format!("[[job]]\nworkflow = \"w{w}.yml\"\n"));
        gh.add_workflow(&format!("w{w}.yml"));
    }
    // Delivery i: the (i / WORKFLOWS + 1)-th failure of workflow i % WORKFLOWS,
    // created when it is sent.
    let sent_bodies = std::sync::Mutex::new(vec![String::new(); total]);
    let make = |i: usize| -> String {
        let w = i % WORKFLOWS;
        let commit = i / WORKFLOWS + 1;
        let run = gh.add_run(RunSpec {
            workflow_file: &format!("w{w}.yml"),
            head_sha: &format!("c{commit}"),
            conclusion: Some("failure"),
            ..RunSpec::default()
        });
        let body = json!({
            "action": "completed",
            "workflow_run": gh.run_json(run),
            "workflow": { "path": format!(".github/workflows/w{w}.yml") },
            "repository": { "full_name": "acme/widgets" },
        })
        .to_string();
        sent_bodies.lock().unwrap()[i] = body.clone();
        body
    };

    let dir = tempfile::tempdir().expect("a temporary folder");
    let config_path = dir.path().join("deferred-compliance.toml");
    std::fs::write(&config_path, config).expect("write the configuration");
    let db = dir.path().join("queue.db");
    let (mut server, addr) = start_server(binary, &config_path, &db, &gh, &slack);

    // The peer: the same load on a bare axum handler.
    let slack_addr = slack.url();
    let slack_hostport = slack_addr
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let slack_path = format!(
        "/{}",
        slack_addr
            .trim_start_matches("http://")
            .split_once('/')
            .unwrap()
            .1
    );
    let peer = blast(&slack_hostport, &slack_path, total, rate, |i| {
        (
            json!({ "text": format!("message {i}") }).to_string(),
            Vec::new(),
        )
    });

    let started = Instant::now();
    let ours = blast(&addr, "/webhook", total, rate, |i| {
        let body = make(i);
        let headers = delivery_headers(i, &body);
        (body, headers)
    });
    let sent_in = started.elapsed();
    let statuses_ok = ours.iter().filter(|(s, _)| *s == 202).count();

    // Wait until every delivery is processed.
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut health = json!({});
    while Instant::now() < deadline {
        health = healthz(&addr);
        if health["done"].as_u64() == Some(total as u64) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let processed_in = started.elapsed();

    // Redeliver 100 with the same IDs: answered as duplicates, no effect.
    let sent = sent_bodies.into_inner().unwrap();
    let before = gh.requests().len();
    let dup = blast(&addr, "/webhook", 100.min(total), rate, |i| {
        (sent[i].clone(), delivery_headers(i, &sent[i]))
    });
    std::thread::sleep(Duration::from_millis(500));
    let after = gh.requests().len();
    let _ = server.kill();
    let _ = server.wait();

    let issues = gh.issues();
    let per_workflow_ok = (0..WORKFLOWS).all(|w| {
        let key = format!("\"job\":\"w{w}.yml\"");
        let mine: Vec<_> = issues.iter().filter(|i| i.body.contains(&key)).collect();
        let keys: std::collections::HashSet<&str> = mine
            .iter()
            .flat_map(|i| i.comments.iter())
            .map(|c| c.lines().next().unwrap_or(""))
            .collect();
        mine.len() == 1 && keys.len() == mine[0].comments.len()
    });
    let reads: Vec<usize> = (0..WORKFLOWS)
        .map(|w| {
            gh.count(
                "GET",
                &format!("/repos/acme/widgets/actions/workflows/w{w}.yml/runs"),
            )
        })
        .collect();
    let once = reads.iter().all(|&r| r == per + 1);

    println!("deferred-compliance serve, {total} signed deliveries at {rate}/s over loopback");
    println!();
    println!("| answered | p50 | p99 | max | 2xx |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    print_row("serve (verify, SQLite commit, 202)", &ours, statuses_ok);
    let peer_ok = peer.iter().filter(|(s, _)| *s == 200).count();
    print_row("peer: bare axum handler (fake Slack)", &peer, peer_ok);
    println!();
    println!(
        "sent in {:.2} s; all processed after {:.2} s",
        sent_in.as_secs_f64(),
        processed_in.as_secs_f64()
    );
    println!("queue: {health}");
    println!(
        "processed exactly once: run-list reads per workflow {}..{} (expected {}): {}",
        reads.iter().min().unwrap(),
        reads.iter().max().unwrap(),
        per + 1,
        if once { "yes" } else { "NO" }
    );
    println!(
        "issues: {} for {WORKFLOWS} workflows ({} failed-again comments), one each, no run commented on twice: {}",
        issues.len(),
        issues.iter().map(|i| i.comments.len()).sum::<usize>(),
        if per_workflow_ok { "yes" } else { "NO" }
    );
    let dup_ok = dup.iter().filter(|(s, _)| *s == 200).count();
    println!(
        "redelivered 100 with the same IDs: {dup_ok} answered 200 duplicate; GitHub requests caused: {}",
        after - before
    );
    let p99 = percentile(&ours, 0.99);
    let pass = statuses_ok == total
        && p99 < Duration::from_millis(100)
        && health["done"].as_u64() == Some(total as u64)
        && issues.len() == WORKFLOWS
        && per_workflow_ok
        && once
        && dup_ok == 100
        && after == before;
    println!(
        "target (every 2xx, p99 < 100 ms, each processed once, no issue twice): {}",
        if pass { "met" } else { "MISSED" }
    );
    if !pass {
        std::process::exit(1);
    }
}

fn delivery_headers(i: usize, body: &str) -> Headers {
    vec![
        ("X-GitHub-Event".to_owned(), "workflow_run".to_owned()),
        ("X-GitHub-Delivery".to_owned(), format!("delivery-{i}")),
        ("X-Hub-Signature-256".to_owned(), sign(body)),
    ]
}

fn sign(body: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("any key");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn start_server(
    binary: &str,
    config: &std::path::Path,
    db: &std::path::Path,
    gh: &FakeGitHub,
    slack: &FakeSlack,
) -> (Child, String) {
    let mut child = Command::new(binary)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--config")
        .arg(config)
        .env("GITHUB_TOKEN", "ghp_fakeToken0123456789")
        .env("GITHUB_API_URL", gh.url())
        .env("GITHUB_WEBHOOK_SECRET", SECRET)
        .env("SLACK_WEBHOOK_URL", slack.url())
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("the server's first lines")
            .expect("stderr");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    (child, addr)
}

type Headers = Vec<(String, String)>;

/// Sends `n` requests made by `make` at `rate` per second, each on a new
/// connection, from a few threads; returns (status, latency) per request,
/// in order. The latency runs from connecting to the end of the answer.
fn blast(
    addr: &str,
    path: &str,
    n: usize,
    rate: f64,
    make: impl Fn(usize) -> (String, Headers) + Send + Sync,
) -> Vec<(u16, Duration)> {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now() + Duration::from_millis(50);
    let results = std::sync::Mutex::new(vec![(0u16, Duration::ZERO); n]);
    std::thread::scope(|s| {
        for _ in 0..16 {
            let next = next.clone();
            let results = &results;
            let make = &make;
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let at = start + Duration::from_secs_f64(i as f64 / rate);
                    if let Some(wait) = at.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let (body, headers) = make(i);
                    let t = Instant::now();
                    let status = post(addr, path, &body, &headers);
                    results.lock().unwrap()[i] = (status, t.elapsed());
                }
            });
        }
    });
    results.into_inner().unwrap()
}

fn post(addr: &str, path: &str, body: &str, headers: &Headers) -> u16 {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return 0;
    };
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    if s.write_all(req.as_bytes()).is_err() {
        return 0;
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn healthz(addr: &str) -> serde_json::Value {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return json!({});
    };
    let _ = write!(
        s,
        "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("{}");
    serde_json::from_str(body).unwrap_or(json!({}))
}

fn percentile(r: &[(u16, Duration)], q: f64) -> Duration {
    let mut v: Vec<Duration> = r.iter().map(|x| x.1).collect();
    v.sort();
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

fn print_row(name: &str, r: &[(u16, Duration)], ok: usize) {
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "| {name} | {} | {} | {} | {ok}/{} |",
        ms(percentile(r, 0.5)),
        ms(percentile(r, 0.99)),
        ms(percentile(r, 1.0)),
        r.len()
    );
}
