//! Text from users (pull request titles, branch and job names, logins,
//! owners read from CODEOWNERS) made safe for GitHub Markdown, and the
//! checks of logins and owners; Slack's escaping is `slack::escape`. The
//! only live mentions in what the bot writes are the ones it means to make,
//! and nothing a user wrote can open an HTML comment (which would hide the
//! rest of a body) or a link.

/// A GitHub login: letters, digits, `-` and `_` (Enterprise Managed
/// Users' logins end in `_shortcode`), not starting with `-`; an App's bot
/// account ends in `[bot]`. Loose on purpose: an old login with `--` must
/// still be tagged; what matters is that nothing in it is markup.
pub(crate) fn is_login(s: &str) -> bool {
    let s = s.strip_suffix("[bot]").unwrap_or(s);
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !s.starts_with('-')
}

/// A team's slug: letters, digits, `-` and `_`.
fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// An e-mail address as CODEOWNERS allows one: one `@`, a dotted domain,
/// and nothing that Markdown or Slack would read as markup.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let plain = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
    };
    plain(local) && plain(domain) && domain.contains('.') && !domain.contains('@')
}

/// The owner written as `@login`, `@org/team` or an e-mail address, in the
/// form the bot tags it; `None` for anything else.
pub(crate) fn owner(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(name) = s.strip_prefix('@') {
        return match name.split_once('/') {
            Some((org, team)) if is_login(org) && is_slug(team) => Some(s.to_owned()),
            None if is_login(name) => Some(s.to_owned()),
            _ => None,
        };
    }
    is_email(s).then(|| s.to_owned())
}

/// Text for GitHub Markdown, inline: no mention, no HTML, no link, no
/// emphasis or code span, no line break. `@name` gets a zero-width space
/// after the `@` (what Renovate and Dependabot do), so it reads the same
/// and pings nobody.
pub(crate) fn markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' => out.push_str("@&#8203;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '|' | '~' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_owners() {
        for ok in [
            "alice",
            "a-b",
            "Bob99",
            "compliance-bot[bot]",
            "x",
            "a--b",
            "ann_acme",
        ] {
            assert!(is_login(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a b",
            "<!channel>",
            "a/b",
            "a|b",
            "a&b",
            &"x".repeat(101),
        ] {
            assert!(!is_login(bad), "{bad}");
        }
        assert_eq!(owner("@acme/storage").as_deref(), Some("@acme/storage"));
        assert_eq!(owner("@erin").as_deref(), Some("@erin"));
        assert_eq!(
            owner("dev@acme.example").as_deref(),
            Some("dev@acme.example")
        );
        for bad in [
            "<!channel>",
            "@org/every one",
            "<https://evil.example|click>",
            "@a/b/c",
            "<!--",
            "@<!here>",
            "plain",
            "a@b",
            "<!channel>@evil.example",
        ] {
            assert_eq!(owner(bad), None, "{bad}");
        }
    }

    #[test]
    fn markdown_keeps_no_mention_html_or_link() {
        let m = markdown("fix @org/everyone <!-- [x](https://e.example) `y`\nz");
        assert!(!m.contains("<!--"), "{m}");
        assert!(!m.contains("@org"), "{m}");
        assert!(!m.contains("](") && !m.contains('\n'), "{m}");
        assert_eq!(markdown("a_b"), "a\\_b");
    }
}
