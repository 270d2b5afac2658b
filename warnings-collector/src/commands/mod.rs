//! One file per subcommand, each with its clap `Args` and its `run`.

pub mod collect;
pub mod file_issues;
pub mod owners;
pub mod ratchet;

use clap::ValueEnum;

/// Output format of a command.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}
