//! PLACEHOLDER: `warnings-collector file-issues` is being written.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::Exit;

#[derive(Args, Debug)]
pub struct FileIssuesArgs {
    /// The repository to file in, OWNER/NAME.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: String,

    /// The reports folder written by `collect --out DIR`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: &FileIssuesArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    let _ = (args, out);
    anyhow::bail!("file-issues is not available yet")
}
