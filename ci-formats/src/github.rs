//! GitHub Actions: step outputs (`$GITHUB_OUTPUT`), the step summary
//! (`$GITHUB_STEP_SUMMARY`) and workflow commands (`::warning …::`).
//! See <https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions>.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The variable naming the step-outputs file.
pub const OUTPUT_VAR: &str = "GITHUB_OUTPUT";
/// The variable naming the step-summary file.
pub const STEP_SUMMARY_VAR: &str = "GITHUB_STEP_SUMMARY";

/// A file GitHub Actions names in an environment variable could not be
/// used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The variable is unset or empty: not inside a GitHub Actions step.
    #[error("${var} is not set; expected the path GitHub Actions gives each step")]
    NotSet {
        /// `GITHUB_OUTPUT` or `GITHUB_STEP_SUMMARY`.
        var: &'static str,
    },
    /// The file could not be opened or written.
    #[error("{}: cannot append to ${var}", path.display())]
    Write {
        /// The variable that named the file: `GITHUB_OUTPUT` or
        /// `GITHUB_STEP_SUMMARY`.
        var: &'static str,
        /// The file appended to (created if missing).
        path: PathBuf,
        /// The error from opening or writing it.
        #[source]
        source: io::Error,
    },
}

/// The file `var` names, or [`FileError::NotSet`].
pub fn file_of(var: &'static str) -> Result<PathBuf, FileError> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .ok_or(FileError::NotSet { var })
}

/// `name=value` lines for `$GITHUB_OUTPUT`, with GitHub's delimiter form
/// (`name<<EOF_…`) for a value that spans lines; the delimiter is made
/// longer until no value line equals it, so a value cannot end the block
/// early or set another output.
pub fn output_lines(pairs: &[(&str, String)]) -> String {
    let mut text = String::new();
    for (name, value) in pairs {
        if value.contains(['\n', '\r']) {
            let mut delim = String::from("EOF_ci_formats");
            while value.contains(&delim) {
                delim.push('_');
            }
            text.push_str(&format!("{name}<<{delim}\n{value}\n{delim}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    text
}

/// Appends step outputs to the file at `path` (the one `$GITHUB_OUTPUT`
/// names).
pub fn append_outputs(path: &Path, pairs: &[(&str, String)]) -> Result<(), FileError> {
    append(OUTPUT_VAR, path, output_lines(pairs).as_bytes())
}

/// Appends Markdown to the file at `path` (the one `$GITHUB_STEP_SUMMARY`
/// names).
pub fn append_step_summary(path: &Path, markdown: &str) -> Result<(), FileError> {
    append(STEP_SUMMARY_VAR, path, markdown.as_bytes())
}

fn append(var: &'static str, path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let write = || -> io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)?;
        f.write_all(bytes)
    };
    write().map_err(|source| FileError::Write {
        var,
        path: path.to_owned(),
        source,
    })
}

/// A workflow command's message: `%`, CR and LF percent-encoded.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value: as [`escape_data`], and `:` and
/// `,` too.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod snapshot_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_line_value_cannot_close_its_block_or_set_another_output() {
        let text = output_lines(&[
            ("count", "3".to_owned()),
            ("matrix", "a\nEOF_ci_formats\nrun-all=true".to_owned()),
        ]);
        assert_eq!(
            text,
            "count=3\nmatrix<<EOF_ci_formats_\na\nEOF_ci_formats\nrun-all=true\nEOF_ci_formats_\n"
        );
    }

    #[test]
    fn annotations_escape_what_would_end_them() {
        assert_eq!(escape_data("100% bad\r\nnext"), "100%25 bad%0D%0Anext");
        assert_eq!(escape_property("src/a,b:c.rb"), "src/a%2Cb%3Ac.rb");
    }

    #[test]
    fn appending_keeps_what_the_file_held() {
        let dir = std::env::temp_dir().join(format!("ci-formats-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out");
        std::fs::write(&path, "before=1\n").unwrap();
        append_outputs(&path, &[("any", "true".to_owned())]).unwrap();
        append_step_summary(&path, "### t\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "before=1\nany=true\n### t\n"
        );
        let missing = dir.join("no/such/dir/out");
        let e = append_outputs(&missing, &[]).unwrap_err();
        assert!(
            e.to_string().contains("cannot append to $GITHUB_OUTPUT"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
