//! One exit-code enum for the whole toolkit (documented once, in
//! `docs/cli.md`, as nextest does with its exit codes), and the rule that a
//! closed stdout is not an error.

use std::error::Error;
use std::fmt;
use std::io;
use std::process::ExitCode;

use crate::text::error_chain;

/// The toolkit's exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked.
    Success = 0,
    /// A check failed: a budget exceeded, new warnings, deploys blocked.
    CheckFailed = 1,
    /// Bad usage or bad input; one line on stderr says which file, line or
    /// item, and what was expected.
    BadInput = 2,
    /// A service could not be reached (GitHub, Slack, the network) or the
    /// disk failed (full, read-only): the input may be fine, and the same
    /// command may succeed when retried.
    Unavailable = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Marks an error as "could not reach a service": anywhere in an error's
/// chain, it makes the tool exit [`Exit::Unavailable`] rather than
/// [`Exit::BadInput`].
#[derive(Debug)]
pub struct Unavailable(pub Box<dyn Error + Send + Sync + 'static>);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Error for Unavailable {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}

/// Whether an error (or any error it was caused by) is a broken pipe: the
/// reader of stdout went away (`tool … | head`), which is not a failure.
pub fn is_broken_pipe(e: &(dyn Error + 'static)) -> bool {
    chain(e).any(|err| {
        err.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// The exit code an error means: [`Exit::Unavailable`] for a service that
/// could not be reached ([`Unavailable`], a refused, reset or timed-out
/// connection) or a disk that failed (full, read-only, out of quota);
/// [`Exit::BadInput`] for everything else (a missing or malformed file is
/// the user's input).
pub fn exit_code_of(e: &(dyn Error + 'static)) -> Exit {
    use io::ErrorKind as K;
    let unavailable = chain(e).any(|err| {
        err.is::<Unavailable>()
            || err.downcast_ref::<io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    K::ConnectionRefused
                        | K::ConnectionReset
                        | K::ConnectionAborted
                        | K::NotConnected
                        | K::TimedOut
                        | K::HostUnreachable
                        | K::NetworkUnreachable
                        | K::NetworkDown
                        | K::StorageFull
                        | K::ReadOnlyFilesystem
                        | K::QuotaExceeded
                        | K::WriteZero
                )
            })
    });
    if unavailable {
        Exit::Unavailable
    } else {
        Exit::BadInput
    }
}

fn chain<'a>(e: &'a (dyn Error + 'static)) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(e), |&err| err.source())
}

/// What a tool exits with when its command line does not parse. clap
/// reports `--help` and `--version` as "errors" printed to stdout: those
/// are successes.
pub fn for_usage_error(printed_to_stderr: bool) -> Exit {
    if printed_to_stderr {
        Exit::BadInput
    } else {
        Exit::Success
    }
}

/// The end of every tool's `main`: the command's outcome and the flush of
/// its buffered stdout become the exit code. A closed stdout is a success;
/// any other error is printed as one line, `TOOL: error: MESSAGE: CAUSE:
/// …`, and exits as [`exit_code_of`] says (2, or 3 for a service or disk).
pub fn finish<E>(tool: &str, outcome: Result<Exit, E>, flushed: io::Result<()>) -> ExitCode
where
    E: AsRef<dyn Error + Send + Sync + 'static>,
{
    let report = |e: &(dyn Error + 'static)| -> ExitCode {
        if is_broken_pipe(e) {
            return Exit::Success.into();
        }
        eprintln!("{tool}: error: {}", error_chain(e));
        exit_code_of(e).into()
    };
    match (outcome, flushed) {
        (Err(e), _) => report(e.as_ref()),
        (Ok(_), Err(e)) => report(&e),
        (Ok(exit), Ok(())) => exit.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(io::Error);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("failed to write")
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn the_chain_is_one_line() {
        let e = Wrapper(io::Error::other("disk\nfull"));
        assert_eq!(error_chain(&e), "failed to write: disk full");
        assert_eq!(for_usage_error(true), Exit::BadInput);
        assert_eq!(for_usage_error(false), Exit::Success);
    }

    #[test]
    fn a_broken_pipe_is_found_through_causes() {
        let pipe = Wrapper(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&pipe));
        let other = Wrapper(io::Error::from(io::ErrorKind::NotFound));
        assert!(!is_broken_pipe(&other));
        assert_eq!(ExitCode::from(Exit::BadInput), ExitCode::from(2));
    }

    #[test]
    fn a_service_or_a_disk_exits_3_and_a_missing_file_2() {
        let missing = Wrapper(io::Error::from(io::ErrorKind::NotFound));
        assert_eq!(exit_code_of(&missing), Exit::BadInput);
        let full = Wrapper(io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(exit_code_of(&full), Exit::Unavailable);
        let refused = anyhow::Error::from(io::Error::from(io::ErrorKind::ConnectionRefused))
            .context("GET /repos/o/r/issues");
        assert_eq!(exit_code_of(refused.as_ref()), Exit::Unavailable);
        let marked = anyhow::Error::new(Unavailable("GitHub answered 502".into())).context("x");
        assert_eq!(exit_code_of(marked.as_ref()), Exit::Unavailable);
        assert_eq!(ExitCode::from(Exit::Unavailable), ExitCode::from(3));
    }
}
