//! The durable queue of webhook deliveries behind `serve`: one SQLite file.
//!
//! A delivery is committed (WAL, `synchronous=FULL`: on disk, not in a
//! cache) before GitHub gets its 2xx, so a crash after the answer loses
//! nothing: the next start finds the row still pending. Done rows are kept
//! for 30 days so that a delivery GitHub sends again is recognised and not
//! handled twice. A failed delivery is retried with backoff, never dropped.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

/// `PRAGMA user_version` of the schema below.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE delivery (
    id              TEXT PRIMARY KEY,   -- X-GitHub-Delivery
    event           TEXT NOT NULL,      -- X-GitHub-Event
    payload         BLOB NOT NULL,      -- the raw body, as signed
    received_at     INTEGER NOT NULL,   -- Unix milliseconds, as are all times
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    attempts        INTEGER NOT NULL DEFAULT 0,  -- failed attempts
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    done_at         INTEGER
);
CREATE INDEX delivery_pending ON delivery (received_at) WHERE state = 'pending';
CREATE INDEX delivery_done ON delivery (done_at) WHERE state = 'done';
";

/// How long done deliveries are remembered, to recognise redeliveries.
pub const DEDUP_WINDOW: Duration = Duration::from_secs(30 * 86_400);

/// How long `open` waits for another process holding the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// The queue. Its one connection is behind a mutex; callers on an async
/// runtime should call it from `spawn_blocking`.
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    New,
    /// The delivery id was seen before (within [`DEDUP_WINDOW`]).
    Duplicate,
}

/// A delivery waiting to be handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: String,
    pub event: String,
    pub payload: Vec<u8>,
    /// How many times handling it failed so far.
    pub attempts: u32,
}

/// What `/healthz` shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Accepted and not handled yet.
    pub pending: u64,
    /// Of those, the ones that failed at least once.
    pub failing: u64,
    /// Handled, within the dedup window.
    pub done: u64,
    /// Failed attempts over all deliveries kept.
    pub failed_attempts: u64,
}

/// The wait before the next attempt after `attempts` failures.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(match attempts {
        0 | 1 => 5,
        2 => 30,
        3 => 120,
        4 => 600,
        _ => 1800,
    })
}

/// `PRAGMA quick_check`: `ok`, or the first problem it found (and how many
/// more) as a `SQLITE_CORRUPT` error.
fn quick_check(conn: &Connection) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let problems = rows.collect::<rusqlite::Result<Vec<String>>>()?;
    if problems.iter().all(|p| p == "ok") {
        return Ok(());
    }
    // A row may hold several problems, a line each, under a
    // `*** in database main ***` line.
    let lines: Vec<&str> = problems
        .iter()
        .flat_map(|p| p.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .collect();
    let mut first = lines.first().copied().unwrap_or("not ok").to_owned();
    if first.len() > 200 {
        let mut end = 200;
        while !first.is_char_boundary(end) {
            end -= 1;
        }
        first.truncate(end);
        first.push('…');
    }
    let more = match lines.len().saturating_sub(1) {
        0 => String::new(),
        1 => ", and 1 more problem".to_owned(),
        n => format!(", and {n} more problems"),
    };
    Err(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some(format!("quick_check: {first}{more}")),
    ))
}

impl Store {
    /// Opens the file, creating it and its schema if needed. The file is
    /// locked for as long as the store lives: two servers on one queue
    /// would handle the same job at once.
    ///
    /// A damaged file is refused here, not found out later by the worker:
    /// `PRAGMA quick_check` reads every page once (well under a second for
    /// the few hundred MB a 30-day queue may reach), and a server that
    /// starts on a damaged queue would answer GitHub 2xx for deliveries it
    /// may never be able to read back.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        Store::try_open(path).map_err(|e| {
            let shown = path.display();
            match e.sqlite_error_code() {
                Some(ErrorCode::DatabaseCorrupt) => anyhow::anyhow!(
                    "cannot open the delivery queue {shown}: the SQLite file is damaged ({e}); \
                     move it aside to start afresh"
                ),
                code => {
                    let hint = match code {
                        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                            " (is another `deferred-compliance serve` using it?)"
                        }
                        Some(ErrorCode::NotADatabase) => " (pass --db with a new file's name)",
                        _ => "",
                    };
                    anyhow::anyhow!("cannot open the delivery queue {shown}: {e}{hint}")
                }
            }
        })
    }

    fn try_open(path: &Path) -> rusqlite::Result<Store> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Exclusive: the lock, once taken, is kept until the connection
        // closes (or the process dies).
        conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        quick_check(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            v => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
                    Some(format!(
                        "schema version {v} is newer than this deferred-compliance's ({SCHEMA_VERSION})"
                    )),
                ));
            }
        }
        tx.commit()?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic cannot leave a half-done write: the transaction rolls back.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn context<T>(&self, r: rusqlite::Result<T>, what: &str) -> anyhow::Result<T> {
        r.with_context(|| format!("cannot {what} in {}", self.path.display()))
    }

    /// Stores a delivery, due now, unless its id is known. Committed to disk
    /// when this returns.
    pub fn accept(
        &self,
        id: &str,
        event: &str,
        payload: &[u8],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Accepted> {
        let now = now.timestamp_millis();
        let inserted = self.conn().execute(
            "INSERT INTO delivery (id, event, payload, received_at, next_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (id) DO NOTHING",
            params![id, event, payload, now],
        );
        Ok(match self.context(inserted, "store a delivery")? {
            0 => Accepted::Duplicate,
            _ => Accepted::New,
        })
    }

    /// The oldest pending delivery whose next attempt is due.
    pub fn next_due(&self, now: DateTime<Utc>) -> anyhow::Result<Option<Delivery>> {
        let row = self
            .conn()
            .query_row(
                "SELECT id, event, payload, attempts FROM delivery
                 WHERE state = 'pending' AND next_attempt_at <= ?1
                 ORDER BY received_at, rowid LIMIT 1",
                [now.timestamp_millis()],
                |r| {
                    Ok(Delivery {
                        id: r.get(0)?,
                        event: r.get(1)?,
                        payload: r.get(2)?,
                        attempts: r.get(3)?,
                    })
                },
            )
            .optional();
        self.context(row, "read the queue")
    }

    /// When the earliest pending delivery is due, if any is pending.
    pub fn next_attempt_at(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let at: rusqlite::Result<Option<i64>> = self.conn().query_row(
            "SELECT min(next_attempt_at) FROM delivery WHERE state = 'pending'",
            [],
            |r| r.get(0),
        );
        Ok(self
            .context(at, "read the queue")?
            .and_then(DateTime::from_timestamp_millis))
    }

    pub fn mark_done(&self, id: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let r = self.conn().execute(
            "UPDATE delivery SET state = 'done', done_at = ?2 WHERE id = ?1",
            params![id, now.timestamp_millis()],
        );
        self.context(r, "mark a delivery done").map(drop)
    }

    /// Records a failed attempt and schedules the next one ([`backoff`]).
    /// Returns when that is.
    pub fn mark_failed(
        &self,
        id: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<DateTime<Utc>> {
        let mut conn = self.conn();
        let r = (|| {
            let tx = conn.transaction()?;
            let attempts: u32 = tx.query_row(
                "UPDATE delivery SET attempts = attempts + 1, last_error = ?2
                 WHERE id = ?1 RETURNING attempts",
                params![id, error],
                |r| r.get(0),
            )?;
            let next = now + TimeDelta::from_std(backoff(attempts)).unwrap_or(TimeDelta::MAX);
            tx.execute(
                "UPDATE delivery SET next_attempt_at = ?2 WHERE id = ?1",
                params![id, next.timestamp_millis()],
            )?;
            tx.commit()?;
            Ok(next)
        })();
        self.context(r, "record a failed delivery")
    }

    pub fn counts(&self) -> anyhow::Result<Counts> {
        let r = self.conn().query_row(
            "SELECT
                count(*) FILTER (WHERE state = 'pending'),
                count(*) FILTER (WHERE state = 'pending' AND attempts > 0),
                count(*) FILTER (WHERE state = 'done'),
                coalesce(sum(attempts), 0)
             FROM delivery",
            [],
            |r| {
                Ok(Counts {
                    pending: r.get(0)?,
                    failing: r.get(1)?,
                    done: r.get(2)?,
                    failed_attempts: r.get(3)?,
                })
            },
        );
        self.context(r, "count deliveries")
    }

    /// Forgets done deliveries older than [`DEDUP_WINDOW`]; returns how
    /// many.
    pub fn prune(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let before = now - TimeDelta::from_std(DEDUP_WINDOW).expect("30 days fit");
        let r = self.conn().execute(
            "DELETE FROM delivery WHERE state = 'done' AND done_at < ?1",
            [before.timestamp_millis()],
        );
        self.context(r, "prune old deliveries")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::from_secs(s)
    }

    fn ids(store: &Store, now: DateTime<Utc>) -> Option<String> {
        store.next_due(now).unwrap().map(|d| d.id)
    }

    #[test]
    fn deliveries_are_deduplicated_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.accept("a", "workflow_run", b"{}", at(0)).unwrap(),
            Accepted::New
        );
        assert_eq!(
            store.accept("b", "issues", b"{\"x\":1}", at(1)).unwrap(),
            Accepted::New
        );
        assert_eq!(
            store
                .accept("a", "workflow_run", b"{\"other\":1}", at(2))
                .unwrap(),
            Accepted::Duplicate
        );
        store.mark_done("b", at(3)).unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.next_due(at(10)).unwrap(),
            Some(Delivery {
                id: "a".into(),
                event: "workflow_run".into(),
                payload: b"{}".to_vec(),
                attempts: 0,
            })
        );
        assert_eq!(
            store.accept("b", "issues", b"{}", at(11)).unwrap(),
            Accepted::Duplicate
        );
        assert_eq!(
            store.counts().unwrap(),
            Counts {
                pending: 1,
                failing: 0,
                done: 1,
                failed_attempts: 0
            }
        );
        let version: i64 = store
            .conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let pragma = |name| -> String {
            let conn = store.conn();
            let v: rusqlite::types::Value =
                conn.pragma_query_value(None, name, |r| r.get(0)).unwrap();
            format!("{v:?}")
        };
        assert_eq!(pragma("journal_mode"), r#"Text("wal")"#);
        assert_eq!(pragma("synchronous"), "Integer(2)", "FULL");
    }

    #[test]
    fn the_oldest_due_delivery_comes_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db")).unwrap();
        assert_eq!(ids(&store, at(0)), None);
        assert_eq!(store.next_attempt_at().unwrap(), None);
        store.accept("late", "issues", b"{}", at(5)).unwrap();
        store.accept("early", "issues", b"{}", at(1)).unwrap();
        store.accept("early too", "issues", b"{}", at(1)).unwrap();
        assert_eq!(ids(&store, at(0)), None, "nothing is due before it arrived");
        assert_eq!(ids(&store, at(9)).as_deref(), Some("early"));
        store.mark_done("early", at(9)).unwrap();
        assert_eq!(ids(&store, at(9)).as_deref(), Some("early too"));
        store.mark_failed("early too", "boom", at(9)).unwrap();
        assert_eq!(
            ids(&store, at(9)).as_deref(),
            Some("late"),
            "a failed one waits"
        );
        assert_eq!(store.next_attempt_at().unwrap(), Some(at(5)));
    }

    #[test]
    fn failures_back_off_and_are_never_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db")).unwrap();
        store.accept("d", "workflow_run", b"{}", at(0)).unwrap();
        let mut now = at(0);
        for (attempt, wait) in [5, 30, 120, 600, 1800, 1800, 1800].into_iter().enumerate() {
            let next = store
                .mark_failed("d", &format!("failure {attempt}"), now)
                .unwrap();
            assert_eq!(next, now + Duration::from_secs(wait));
            assert_eq!(
                store.next_due(next - Duration::from_millis(1)).unwrap(),
                None
            );
            let due = store.next_due(next).unwrap().unwrap();
            assert_eq!(due.attempts as usize, attempt + 1);
            now = next;
        }
        let last_error: String = store
            .conn()
            .query_row("SELECT last_error FROM delivery", [], |r| r.get(0))
            .unwrap();
        assert_eq!(last_error, "failure 6");
        assert_eq!(
            store.counts().unwrap(),
            Counts {
                pending: 1,
                failing: 1,
                done: 0,
                failed_attempts: 7
            }
        );
        store.mark_done("d", now).unwrap();
        assert_eq!(store.counts().unwrap().failing, 0);
    }

    #[test]
    fn done_deliveries_are_forgotten_after_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db")).unwrap();
        store.accept("old", "issues", b"{}", at(0)).unwrap();
        store.accept("pending", "issues", b"{}", at(0)).unwrap();
        store.mark_done("old", at(1)).unwrap();
        let day = 86_400;
        assert_eq!(store.prune(at(1 + 30 * day)).unwrap(), 0);
        assert_eq!(store.prune(at(2 + 30 * day)).unwrap(), 1);
        assert_eq!(store.prune(at(400 * day)).unwrap(), 0, "pending ones stay");
        assert_eq!(
            store.accept("old", "issues", b"{}", at(400 * day)).unwrap(),
            Accepted::New
        );
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(
            &path,
            "these are not the droids you are looking for\n".repeat(100),
        )
        .unwrap();
        let e = format!("{:#}", Store::open(&path).err().unwrap());
        assert_eq!(
            e,
            format!(
                "cannot open the delivery queue {}: file is not a database (pass --db with a new file's name)",
                path.display()
            )
        );

        let missing = dir.path().join("no such folder").join("q.db");
        let e = format!("{:#}", Store::open(&missing).err().unwrap());
        assert!(
            e.starts_with(&format!(
                "cannot open the delivery queue {}: ",
                missing.display()
            )),
            "{e}"
        );

        let path = dir.path().join("q.db");
        let _held = Store::open(&path).unwrap();
        let e = format!("{:#}", Store::open(&path).err().unwrap());
        assert!(e.contains("database is locked (is another"), "{e}");
    }

    /// A queue of a few hundred pages, closed cleanly (so all of it is in
    /// the main file, none in the WAL).
    fn a_real_queue(path: &Path) {
        let store = Store::open(path).unwrap();
        let payload = "x".repeat(3000);
        for i in 0..200 {
            store
                .accept(&format!("d-{i}"), "workflow_run", payload.as_bytes(), at(i))
                .unwrap();
        }
        drop(store);
        assert!(!path.with_extension("db-wal").exists(), "checkpointed");
    }

    #[test]
    fn a_damaged_file_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        a_real_queue(&path);
        // Garbage over pages 2 to 4: the header and the schema (page 1)
        // are intact, so SQLite opens it without complaint.
        let mut bytes = std::fs::read(&path).unwrap();
        for (i, b) in bytes[4096..4 * 4096].iter_mut().enumerate() {
            *b = (i * 7 + 13) as u8;
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = format!("{:#}", Store::open(&path).err().unwrap());
        let start = format!(
            "cannot open the delivery queue {}: the SQLite file is damaged (quick_check: ",
            path.display()
        );
        assert!(e.starts_with(&start), "{e}");
        assert!(e.ends_with("); move it aside to start afresh"), "{e}");
        assert!(!e.contains('\n') && !e.contains("***"), "{e}");

        // Cut in the middle of a page.
        a_real_queue(&path.with_file_name("r.db"));
        let cut = path.with_file_name("r.db");
        let len = std::fs::metadata(&cut).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&cut)
            .unwrap()
            .set_len(len / 2 + 1000)
            .unwrap();
        let e = format!("{:#}", Store::open(&cut).err().unwrap());
        assert!(e.contains("r.db: the SQLite file is damaged ("), "{e}");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        drop(Store::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 7)
            .unwrap();
        let e = format!("{:#}", Store::open(&path).err().unwrap());
        assert!(e.contains("schema version 7 is newer"), "{e}");
    }
}
