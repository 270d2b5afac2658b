//! The bot's clock. `--now RFC3339` sets it, so tests and dry runs can
//! stand at any moment: a fixed instant for one-shot commands, and for
//! `serve` a clock that starts there and runs on.

use std::time::Instant;

use chrono::{DateTime, Utc};

/// Parses `--now`.
pub(crate) fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("expected an RFC 3339 time such as 2026-11-22T09:30:00Z, got `{s}`"))
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    /// The system clock, or one that reads `now` at this instant and runs
    /// on from there.
    pub(crate) fn new(now: Option<DateTime<Utc>>) -> Clock {
        Clock {
            start: now.map(|t| (t, Instant::now())),
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        match self.start {
            Some((t, at)) => {
                t + chrono::Duration::from_std(at.elapsed())
                    .unwrap_or_else(|_| chrono::Duration::zero())
            }
            None => Utc::now(),
        }
    }
}
