//! deferred-compliance's integration tests, one binary: end-to-end
//! scenarios of the real binary against the stateful fake GitHub API and
//! Slack, and `serve` (signatures, deduplication, the SQLite queue).

mod scenarios;
mod serve;
