//! The compliance issue's text: the hidden marker by which the bot knows
//! its issues (job, first failing commit, when it was opened, the
//! deadline), the body people read, and the keys that make every comment
//! the bot writes happen once.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, JobSpec, human};

/// The name in markers.
pub(crate) const TOOL: &str = "deferred-compliance";

/// What the first line of a compliance issue records. It is written once,
/// when the issue is opened; what happens later is kept in comments.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    /// [`JobSpec::key`].
    pub job: String,
    /// The commit of the run that opened the issue.
    pub sha: String,
    pub run_id: u64,
    pub run_number: u64,
    /// The attempt of the run that failed: a later attempt of the same run
    /// that passes closes the issue.
    #[serde(default = "first_attempt")]
    pub run_attempt: u64,
    pub opened_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// The pull request's author (or the commit's), without `@`.
    #[serde(default)]
    pub author: Option<String>,
    /// The code owners tagged, as written in CODEOWNERS.
    #[serde(default)]
    pub owners: Vec<String>,
}

fn first_attempt() -> u64 {
    1
}

impl Marker {
    /// Everyone the issue tags, `@` included.
    pub fn mentions(&self) -> Vec<String> {
        let mut m: Vec<String> = self.author.iter().map(|a| format!("@{a}")).collect();
        for o in &self.owners {
            if !m.iter().any(|x| x.eq_ignore_ascii_case(o)) {
                m.push(o.clone());
            }
        }
        m
    }
}

/// The hidden first line of a body: `<!-- deferred-compliance {JSON} -->`.
/// `>` is escaped inside the JSON, so no value can end the comment early.
pub(crate) fn hidden<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value)
        .expect("a marker serializes")
        .replace('>', "\\u003e");
    format!("<!-- {TOOL} {json} -->")
}

/// The value of a [`hidden`] first line; a marker further down (quoted by
/// a person) does not count.
pub(crate) fn read_hidden<T: for<'de> Deserialize<'de>>(body: &str) -> Option<T> {
    let first = body.lines().next()?.trim();
    let inner = first.strip_prefix("<!--")?.strip_suffix("-->")?.trim();
    let json = inner.strip_prefix(TOOL)?.trim_start();
    serde_json::from_str(json).ok()
}

/// The key a comment of the bot carries, so it is written once.
#[derive(Serialize, Deserialize)]
struct CommentKey {
    key: String,
}

/// A comment body carrying `key`.
pub(crate) fn keyed(key: &str, text: &str) -> String {
    format!(
        "{}\n{text}",
        hidden(&CommentKey {
            key: key.to_owned()
        })
    )
}

/// The key of a comment the bot wrote.
pub(crate) fn comment_key(body: &str) -> Option<String> {
    read_hidden::<CommentKey>(body).map(|k| k.key)
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `2026-11-25 09:30 UTC`.
pub(crate) fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(crate) fn short(sha: &str) -> &str {
    &sha[..sha.len().min(7)]
}

/// What the body says about the failure.
pub(crate) struct Failure<'a> {
    pub job: &'a JobSpec,
    pub run_url: &'a str,
    pub run_number: u64,
    pub sha: &'a str,
    pub commit_url: String,
    /// `#123 Title`, linked, when a pull request brought the commit.
    pub pull: Option<(u64, String)>,
    pub author: Option<&'a str>,
    pub owners: &'a [String],
}

pub(crate) fn title(job: &JobSpec, sha: &str) -> String {
    format!("Deferred job `{job}` is failing on {}", short(sha))
}

/// The body of a new compliance issue.
pub(crate) fn body(cfg: &Config, marker: &Marker, f: &Failure<'_>) -> String {
    let mut b = hidden(marker);
    b.push('\n');
    b.push_str(&format!(
        "The deferred job **{}** failed on `{}` ([run #{}]({})), commit [`{}`]({}).\n\n",
        f.job,
        cfg.branch,
        f.run_number,
        f.run_url,
        short(f.sha),
        f.commit_url
    ));
    if let Some((n, t)) = &f.pull {
        b.push_str(&format!(
            "It came with #{n} ({}).\n\n",
            crate::text::markdown(t)
        ));
    }
    let mentions = marker.mentions();
    if !mentions.is_empty() {
        b.push_str(&format!("Tagged: {}", mentions.join(" ")));
        if let Some(a) = f.author {
            b.push_str(&format!(" (author @{a}"));
            if !f.owners.is_empty() {
                b.push_str(", and the code owners of the files it changed");
            }
            b.push(')');
        }
        b.push_str("\n\n");
    }
    b.push_str(&format!(
        "**Deadline: {}** (in {}). If the job is still failing then, deploys are \
         blocked until it passes again.\n\n",
        utc(marker.deadline),
        human(cfg.deadline)
    ));
    b.push_str(
        "How to clear it:\n\
         - **fix** the cause and push to the branch, or\n\
         - **push** a change that makes the job pass, or\n\
         - **revert** the commit above.\n\n\
         The next green run of the job closes this issue.",
    );
    if !cfg.exception_approvers.is_empty() {
        let who: Vec<String> = cfg
            .exception_approvers
            .iter()
            .map(ToString::to_string)
            .collect();
        b.push_str(&format!(
            " In an exceptional situation, {} may add the `{}` label to let deploys go.",
            who.join(", "),
            cfg.exception_label
        ));
    }
    b.push('\n');
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker() -> Marker {
        Marker {
            job: "integration.yml:suite --> x".into(),
            sha: "0123456789abcdef".into(),
            run_id: 7,
            run_number: 3,
            run_attempt: 1,
            opened_at: "2026-11-22T09:00:00Z".parse().unwrap(),
            deadline: "2026-11-25T09:00:00Z".parse().unwrap(),
            author: Some("alice".into()),
            owners: vec!["@org/storage".into(), "@Alice".into()],
        }
    }

    #[test]
    fn markers_round_trip_and_cannot_close_the_comment_early() {
        let m = marker();
        let line = hidden(&m);
        assert!(line.starts_with("<!-- deferred-compliance {"));
        assert_eq!(line.matches("-->").count(), 1, "{line}");
        let body = format!("{line}\nThe job failed.");
        assert_eq!(read_hidden::<Marker>(&body), Some(m.clone()));
        assert_eq!(read_hidden::<Marker>(&format!("Quoted:\n{body}")), None);
        assert_eq!(
            read_hidden::<Marker>("<!-- warnings-collector {} -->"),
            None
        );
        assert_eq!(m.mentions(), vec!["@alice", "@org/storage"]);
        let c = keyed("reminder:86400", "24 h left");
        assert_eq!(comment_key(&c).as_deref(), Some("reminder:86400"));
        assert_eq!(comment_key("no key"), None);
    }
}
