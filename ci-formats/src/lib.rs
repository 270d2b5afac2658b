//! What CI systems read and write, for every tool of the toolkit:
//!
//! - [`junit`]: JUnit XML reports (test cases, their times and their
//!   output), as nextest, Maven, Gradle, pytest and Jest write them;
//! - [`github`]: GitHub Actions' files and workflow commands:
//!   `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY` and the escaping of
//!   `::warning` annotations.

#![warn(missing_docs, unreachable_pub)]

pub mod github;
pub mod junit;
