//! warnings-collector's integration tests, one binary: the real binary on
//! real logs, and `file-issues` against the fake GitHub API on loopback.

mod collect;
mod github;
mod hooks;
