//! One file per subcommand, each with its clap `Args` and its `run`.

pub mod baseline;
pub mod check;
pub mod collect;
pub mod file_issues;
pub mod owners;

/// `--format text|json`, the same in every tool.
pub use cli_support::Format as OutputFormat;
