//! `--base last-green`: the newest commit on a branch whose run of a
//! workflow succeeded, asked of the GitHub API (as `nx-set-shas` does for
//! Nx), so that a test that failed and was not fixed is selected again on
//! the next commit.

use anyhow::{Result, bail};
use git2::Oid;

use crate::git::Repo;
use crate::prepare::SelectArgs;

/// The `--base` value that asks GitHub.
pub const LAST_GREEN: &str = "last-green";

/// The base commit for `--base last-green`.
pub fn resolve(_repo: &Repo, _args: &SelectArgs) -> Result<Oid> {
    bail!("--base last-green is not available yet")
}
