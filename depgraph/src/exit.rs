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
    fn a_broken_pipe_is_found_through_causes() {
        let pipe = Wrapper(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&pipe));
        let other = Wrapper(io::Error::from(io::ErrorKind::NotFound));
        assert!(!is_broken_pipe(&other));
        assert_eq!(ExitCode::from(Exit::BadInput), ExitCode::from(2));
    }
}
