//! `warnings-collector check`: the second half of the ratchet (see
//! [`crate::ratchet`]), the current warnings against the baseline that
//! `baseline write` wrote.
//!
//! Exit codes: 0 nothing grew (and, with `--deny`, no warning at all); 1 a
//! fingerprint's count grew, or `--deny` and some warning remains; 2 bad
//! input (the baseline unreadable, or an input that could not be read;
//! when something also grew, 1 wins: the growth is real whatever the
//! unreadable input held). An input that could not be read makes
//! `--update` update nothing: counts from part of the logs would make a
//! baseline that is wrongly low. Nor does `--update` empty a baseline
//! because the inputs held no warning at all (a log of another job, an
//! empty artifact): that takes `--allow-empty`, and exits 2 without it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::json;

use super::OutputFormat;
use super::collect::{InputArgs, collect};
use crate::Exit;
use crate::ratchet::{Baseline, Change, Fingerprint, Outcome};
use crate::report::Stats;
use crate::warning::{Root, Warning};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The baseline written by `baseline write`.
    #[arg(long, value_name = "FILE", required_unless_present = "deny")]
    pub baseline: Option<PathBuf>,

    /// Rewrite the baseline tightened: counts lowered to the current ones,
    /// fingerprints that are gone removed; nothing is ever raised or added.
    #[arg(long, requires = "baseline")]
    pub update: bool,

    /// With --update: remove every fingerprint when the inputs hold no
    /// warning at all. Without it such a run updates nothing and exits 2,
    /// since an empty result is more often the wrong log than a clean one.
    #[arg(long, requires = "update")]
    pub allow_empty: bool,

    /// Fail on any warning at all, whatever the baseline says: the last
    /// step of an upgrade.
    #[arg(long)]
    pub deny: bool,

    /// `text`: what grew, what was fixed, the verdict; `json`: one object.
    /// Spelled `--output` before 0.2 (still read, with a warning).
    #[arg(long = "format", value_enum, default_value_t, value_name = "FORMAT")]
    pub output: OutputFormat,

    #[command(flatten)]
    pub input: InputArgs,
}

/// A grown fingerprint with the warnings behind it.
struct Grown<'a> {
    change: &'a Change,
    warnings: Vec<&'a Warning>,
}

pub(crate) fn run(args: &CheckArgs, out: &mut impl Write) -> anyhow::Result<Exit> {
    // The baseline first: a bad one fails before a long read.
    let baseline = match &args.baseline {
        Some(p) => Some(Baseline::load(p)?),
        None => None,
    };
    let c = collect(&args.input)?;
    c.print_diagnostics();
    let root = Root::new(&args.input.root);
    let current = Baseline::of(&c.warnings, &root);
    let outcome = baseline
        .as_ref()
        .map(|b| Outcome::compare(b, &current))
        .unwrap_or_default();

    let mut behind: BTreeMap<Fingerprint, Vec<&Warning>> = BTreeMap::new();
    for w in &c.warnings {
        behind.entry(Fingerprint::of(w, &root)).or_default().push(w);
    }
    let grown: Vec<Grown<'_>> = outcome
        .grown
        .iter()
        .map(|ch| Grown {
            change: ch,
            warnings: behind.get(&ch.fingerprint).cloned().unwrap_or_default(),
        })
        .collect();

    let mut updated = false;
    let mut refused_empty = false;
    let mut refused_partial = false;
    if args.update
        && let (Some(path), Some(b)) = (&args.baseline, &baseline)
    {
        if c.unreadable > 0 || c.partial > 0 {
            eprintln!(
                "warning: {} not updated: some inputs could not be read, or only in part",
                path.display()
            );
            refused_partial = c.partial > 0;
        } else if c.warnings.is_empty() && !b.counts.is_empty() && !args.allow_empty {
            refused_empty = true;
            eprintln!(
                "warnings-collector: error: {} not updated: the inputs hold no warning at all, which would remove all {} fingerprints; pass --allow-empty if the logs really are clean",
                path.display(),
                b.counts.len()
            );
        } else {
            let t = b.tightened(&current);
            if t != *b {
                t.write(path)?;
                updated = true;
                eprintln!(
                    "updated {}: {} fingerprints, {} occurrences (was {}, {})",
                    path.display(),
                    t.counts.len(),
                    t.occurrences(),
                    b.counts.len(),
                    b.occurrences()
                );
            }
        }
    }

    let denied = args.deny && !c.warnings.is_empty();
    let failed = !outcome.passed() || denied;
    let total = Stats::of(&c.warnings);
    match args.output {
        OutputFormat::Json => {
            let change = |ch: &Change| {
                json!({
                    "file": ch.fingerprint.file,
                    "category": ch.fingerprint.category,
                    "message": ch.fingerprint.message,
                    "baseline": ch.baseline,
                    "count": ch.count,
                })
            };
            let grown: Vec<_> = grown
                .iter()
                .map(|g| {
                    let mut v = change(g.change);
                    v["owners"] = json!(g.warnings.first().map(|w| &w.owners));
                    v["warnings"] = json!(g.warnings);
                    v
                })
                .collect();
            let v = json!({
                "ok": !failed,
                "baseline": args.baseline,
                "total": total.warnings,
                "occurrences": total.occurrences,
                "grown": grown,
                "fixed": outcome.fixed.iter().map(change).collect::<Vec<_>>(),
                "deny": args.deny,
                "denied": if args.deny { json!(c.warnings) } else { json!([]) },
                "updated": updated,
            });
            serde_json::to_writer(&mut *out, &v)?;
            writeln!(out)?;
        }
        OutputFormat::Text => {
            let name = args
                .baseline
                .as_ref()
                .map_or_else(String::new, |p| p.display().to_string());
            if !grown.is_empty() {
                writeln!(out, "new or grown since {name} ({}):", grown.len())?;
                for g in &grown {
                    write_grown(out, g)?;
                }
            }
            if !outcome.fixed.is_empty() {
                writeln!(out, "fixed ({}):", outcome.fixed.len())?;
                for f in &outcome.fixed {
                    let fp = &f.fingerprint;
                    writeln!(
                        out,
                        "  {}: {}: {} (was {}, now {})",
                        or_no_file(&fp.file),
                        fp.category.name(),
                        fp.message,
                        f.baseline,
                        f.count
                    )?;
                }
            }
            if denied {
                writeln!(out, "--deny: every warning fails ({}):", c.warnings.len())?;
                for w in &c.warnings {
                    writeln!(
                        out,
                        "  {}: {}: {} ({})",
                        position(w),
                        w.category.name(),
                        w.message,
                        counted_owners(w.count, &w.owners)
                    )?;
                }
            }
            let mut verdict = Vec::new();
            if !outcome.passed() {
                verdict.push(format!(
                    "{} new or grown since {name}",
                    plural(grown.len(), "warning")
                ));
            }
            if denied {
                verdict.push(format!("--deny and {} remain", total.sentence()));
            }
            if failed {
                writeln!(out, "check failed: {}", verdict.join("; "))?;
            } else {
                let mut s = format!("ok: {}", total.sentence());
                if baseline.is_some() {
                    s.push_str(&format!(", none new or grown since {name}"));
                }
                if !outcome.fixed.is_empty() && !updated {
                    s.push_str("; run with --update to lower the baseline");
                }
                writeln!(out, "{s}")?;
            }
        }
    }
    Ok(if failed {
        Exit::CheckFailed
    } else if refused_empty || refused_partial {
        Exit::BadInput
    } else {
        c.exit()
    })
}

/// `  app/a.rb:12,40: deprecation: message (was 0, now 3; @org/a)`.
fn write_grown(out: &mut impl Write, g: &Grown<'_>) -> std::io::Result<()> {
    let fp = &g.change.fingerprint;
    let mut lines: Vec<u32> = g.warnings.iter().filter_map(|w| w.line).collect();
    lines.sort_unstable();
    lines.dedup();
    let mut at = or_no_file(&fp.file).to_owned();
    if !lines.is_empty() {
        at.push(':');
        at.push_str(
            &lines
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    // The message as printed (the first of the warnings behind it) reads
    // better than the normalised one.
    let message = g
        .warnings
        .first()
        .map_or(fp.message.as_str(), |w| w.message.as_str());
    let owners = g
        .warnings
        .first()
        .map(|w| w.owners.as_slice())
        .unwrap_or_default();
    writeln!(
        out,
        "  {at}: {}: {message} (was {}, now {}; {})",
        fp.category.name(),
        g.change.baseline,
        g.change.count,
        owners_text(owners)
    )
}

fn or_no_file(file: &str) -> &str {
    if file.is_empty() { "(no file)" } else { file }
}

fn position(w: &Warning) -> String {
    match w.line {
        Some(l) => format!("{}:{l}", or_no_file(&w.file)),
        None => or_no_file(&w.file).to_owned(),
    }
}

fn owners_text(owners: &[String]) -> String {
    if owners.is_empty() {
        "unowned".to_owned()
    } else {
        owners.join(" ")
    }
}

fn counted_owners(count: u64, owners: &[String]) -> String {
    if count > 1 {
        format!("×{count}; {}", owners_text(owners))
    } else {
        owners_text(owners)
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
