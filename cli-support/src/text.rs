//! Messages on one line.

use std::borrow::Cow;
use std::error::Error;

/// `s` on one line: a line break, with the white space around it, becomes
/// one space (a serde or guppy error quoting its input spans lines), and
/// any other control character is escaped (`\u{1b}`), so that a message
/// quoting user data can neither break a log line nor colour a terminal.
pub fn one_line(s: &str) -> Cow<'_, str> {
    if !s.contains(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut first = true;
    for line in s.lines() {
        let line = if first { line.trim_end() } else { line.trim() };
        if !first && !line.is_empty() && !out.is_empty() {
            out.push(' ');
        }
        first = false;
        for c in line.chars() {
            if c.is_control() && c != '\t' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
    }
    Cow::Owned(out)
}

/// User data (a module name, a path) for quoting inside a message: every
/// control character escaped (`\n`, `\t`, `\u{1b}`), so the reader sees
/// exactly what the input held and the message stays on one line.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.contains(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// An error and its causes on one line, `a: b: c`, as anyhow's `{:#}`.
pub fn error_chain(e: &(dyn Error + 'static)) -> String {
    let mut msg = one_line(&e.to_string()).into_owned();
    let mut cur = e.source();
    while let Some(cause) = cur {
        msg.push_str(": ");
        msg.push_str(&one_line(&cause.to_string()));
        cur = cause.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_become_one_space_and_controls_are_escaped() {
        assert_eq!(one_line("plain"), "plain");
        assert_eq!(one_line("a\nb"), "a b");
        assert_eq!(
            one_line("expected value\n   at line 1\r\n"),
            "expected value at line 1"
        );
        assert_eq!(one_line("red \u{1b}[31m"), "red \\u{1b}[31m");
        assert_eq!(one_line("a\n\n\nb"), "a b");
        assert_eq!(one_line("tab\tkept"), "tab\tkept");
    }

    #[test]
    fn quoted_data_shows_every_control_character() {
        assert_eq!(escape_controls("ads-0001"), "ads-0001");
        assert_eq!(escape_controls("x\ny\t\u{1b}"), "x\\ny\\t\\u{1b}");
    }
}
