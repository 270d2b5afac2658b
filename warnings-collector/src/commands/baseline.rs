//! `warnings-collector baseline write`: the first half of the ratchet (see
//! [`crate::ratchet`]), the counts per fingerprint that `check` compares
//! against.
//!
//! Exit codes: 0 written; 2 bad input: an input that could not be read
//! writes nothing, as counts from part of the logs would make a baseline
//! that is wrongly low; nor do inputs without a single warning, unless
//! `--allow-empty` says they really are clean.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::collect::{InputArgs, collect_with};
use crate::Exit;
use crate::ratchet::Baseline;
use crate::warning::Root;

#[derive(Args, Debug)]
pub struct BaselineArgs {
    #[command(subcommand)]
    pub command: BaselineCommand,
}

#[derive(Subcommand, Debug)]
pub enum BaselineCommand {
    /// Writes the warning counts of the inputs, per fingerprint, to FILE
    /// (replacing it).
    Write(BaselineWriteArgs),
}

#[derive(Args, Debug)]
pub struct BaselineWriteArgs {
    /// The baseline file to write; commit it.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Write the baseline even when the inputs hold no warning at all.
    /// Without it such a run writes nothing and exits 2: an empty result is
    /// more often the wrong log than a clean one.
    #[arg(long)]
    pub allow_empty: bool,

    #[command(flatten)]
    pub input: InputArgs,
}

pub(crate) fn run(args: &BaselineArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    let _ = out;
    match &args.command {
        BaselineCommand::Write(w) => write(w),
    }
}

fn write(args: &BaselineWriteArgs) -> anyhow::Result<Exit> {
    let c = collect_with(&args.input, false)?;
    c.print_diagnostics();
    if c.unreadable > 0 {
        eprintln!(
            "warnings-collector: error: {} of {} inputs could not be read (see above); {} not written",
            c.unreadable,
            c.inputs,
            args.file.display()
        );
        return Ok(Exit::BadInput);
    }
    if c.partial > 0 {
        eprintln!(
            "warnings-collector: error: {} of {} inputs were read only in part (see above); {} not written",
            c.partial,
            c.inputs,
            args.file.display()
        );
        return Ok(Exit::BadInput);
    }
    if c.warnings.is_empty() && !args.allow_empty {
        eprintln!(
            "warnings-collector: error: the {} inputs hold no warning at all; {} not written (pass --allow-empty if the logs really are clean)",
            c.inputs,
            args.file.display()
        );
        return Ok(Exit::BadInput);
    }
    let b = Baseline::of(&c.warnings, &Root::new(&args.input.root));
    b.write(&args.file)?;
    eprintln!(
        "wrote {}: {} fingerprints, {} occurrences",
        args.file.display(),
        b.counts.len(),
        b.occurrences()
    );
    Ok(Exit::Success)
}
