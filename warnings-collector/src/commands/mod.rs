//! One file per subcommand, each with its clap `Args` and its `run`.

pub mod collect;
pub mod file_issues;
pub mod owners;
pub mod ratchet;

/// `--format text|json`, the same in every tool.
pub use cli_support::Format as OutputFormat;
