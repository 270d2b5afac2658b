//! One file per subcommand, each with its clap `Args` and its `run`.

pub(crate) mod baseline;
pub(crate) mod check;
pub(crate) mod collect;
pub(crate) mod file_issues;
pub(crate) mod hooks;
pub(crate) mod owners;

/// `--format text|json`, the same in every tool.
pub(crate) use cli_support::Format as OutputFormat;
