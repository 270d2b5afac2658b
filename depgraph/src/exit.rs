//! What every tool's binary shares at its edge: one exit-code enum for the
//! whole toolkit (documented once, as nextest does with its exit codes) and
//! the rule that a closed stdout is not an error.

use std::error::Error;
use std::io;
use std::process::ExitCode;

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
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Whether an error (or any error it was caused by) is a broken pipe: the
/// reader of stdout went away (`tool … | head`), which is not a failure.
pub fn is_broken_pipe(e: &(dyn Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
        {
            return true;
        }
        cur = err.source();
    }
    false
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
/// …`, with line breaks inside a message turned into spaces, and exits 2.
pub fn finish<E>(tool: &str, outcome: Result<Exit, E>, flushed: io::Result<()>) -> ExitCode
where
    E: AsRef<dyn Error + Send + Sync + 'static>,
{
    let report = |e: &(dyn Error + 'static)| -> ExitCode {
        if is_broken_pipe(e) {
            return Exit::Success.into();
        }
        eprintln!("{tool}: error: {}", one_line(e));
        Exit::BadInput.into()
    };
    match (outcome, flushed) {
        (Err(e), _) => report(e.as_ref()),
        (Ok(_), Err(e)) => report(&e),
        (Ok(exit), Ok(())) => exit.into(),
    }
}

/// An error and its causes on one line, `a: b: c`, as anyhow's `{:#}`.
fn one_line(e: &(dyn Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(cause) = cur {
        msg.push_str(": ");
        msg.push_str(&cause.to_string());
        cur = cause.source();
    }
    msg.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(io::Error);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("failed to write")
        }
    }

    impl Error for Wrapper {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn one_line_joins_the_causes() {
        let e = Wrapper(io::Error::other("disk\nfull"));
        assert_eq!(one_line(&e), "failed to write: disk full");
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
}
