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

/// A path as git writes it when it quotes one (`core.quotePath`, on by
/// default, for a byte above 0x7f or a control character: `git ls-files`
/// prints `"caf\303\251.rb"`): the bytes between the quotes, git's C
/// escapes resolved (`\ooo`, `\t`, `\n`, `\"`, `\\`, …). `None` when `raw`
/// is not in quotes, or an escape or an inner `"` is not git's.
pub fn git_unquote(raw: &[u8]) -> Option<Vec<u8>> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        i += 1;
        if b == b'"' {
            return None;
        }
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = *inner.get(i)?;
        i += 1;
        out.push(match e {
            b'a' => 0x07,
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'"' | b'\\' => e,
            b'0'..=b'3' => {
                let digits = inner.get(i..i + 2)?;
                if !digits.iter().all(|d| (b'0'..=b'7').contains(d)) {
                    return None;
                }
                i += 2;
                (e - b'0') * 64 + (digits[0] - b'0') * 8 + (digits[1] - b'0')
            }
            _ => return None,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gits_quoted_paths_are_unquoted() {
        let q =
            |s: &str| git_unquote(s.as_bytes()).map(|b| String::from_utf8_lossy(&b).into_owned());
        assert_eq!(q(r#""caf\303\251.rb""#).as_deref(), Some("café.rb"));
        assert_eq!(q(r#""a\tb\\c\"d.rb""#).as_deref(), Some("a\tb\\c\"d.rb"));
        assert_eq!(q(r#""new\nline""#).as_deref(), Some("new\nline"));
        // Not quoted, or not as git quotes.
        assert_eq!(q("plain.rb"), None);
        assert_eq!(q(r#""bad\q""#), None);
        assert_eq!(q(r#""cut\30""#), None);
        assert_eq!(q(r#""a"b""#), None);
        assert_eq!(q("\""), None);
    }

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
