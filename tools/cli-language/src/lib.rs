//! No code: the test in `tests/cli_language.rs` reads the four tools'
//! clap definitions and `docs/cli.md`, and fails when they disagree.
