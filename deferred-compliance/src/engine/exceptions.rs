//! Who granted an exception, from an issue's label events.
//!
//! An exception is the `exception_label` added by an approver (a login, or
//! a member of a team, in `exception_approvers`) and not removed since. It
//! lets deploys go while the issue is open. The label added by anyone else
//! grants nothing and is answered once; a comment grants nothing at all,
//! whoever writes it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use github_client as github;
use serde::Serialize;

use super::{Assessment, Engine, Pass, Tracked};
use crate::api::IssueEvent;
use crate::config::Approver;
use crate::issue::utc;
use crate::slack;

/// Who added the exception label, and when.
#[derive(Clone, Debug, Serialize)]
pub struct Grant {
    pub event_id: u64,
    pub login: String,
    pub at: Option<DateTime<Utc>>,
}

/// The events that add or remove the exception label (named without case).
fn label_events<'e>(
    events: &'e [IssueEvent],
    label: &'e str,
) -> impl Iterator<Item = &'e IssueEvent> + 'e {
    events.iter().filter(move |e| {
        e.label
            .as_ref()
            .is_some_and(|l| l.name.eq_ignore_ascii_case(label))
    })
}

fn actor(e: &IssueEvent) -> String {
    e.actor
        .as_ref()
        .map(|a| a.login.clone())
        .unwrap_or_default()
}

/// Everyone who added the label, in the order first met: whose right to
/// grant must be asked.
fn grantors(events: &[IssueEvent], label: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in label_events(events, label).filter(|e| e.event == "labeled") {
        let login = actor(e);
        if !out.contains(&login) {
            out.push(login);
        }
    }
    out
}

/// The exception in force after the issue's events: the last time the
/// label was added by someone `may_grant` says may, unless it was removed
/// since (by anyone). The additions by others are returned too, to be
/// answered.
fn in_force(
    events: &[IssueEvent],
    label: &str,
    may_grant: &HashMap<String, bool>,
) -> (Option<Grant>, Vec<Grant>) {
    let mut granted = None;
    let mut ignored = Vec::new();
    for e in label_events(events, label) {
        let login = actor(e);
        let grant = Grant {
            event_id: e.id,
            login: login.clone(),
            at: e.created_at,
        };
        match e.event.as_str() {
            "labeled" => {
                if may_grant.get(&login).copied().unwrap_or(false) {
                    granted = Some(grant);
                } else {
                    ignored.push(grant);
                }
            }
            "unlabeled" => granted = None,
            _ => {}
        }
    }
    (granted, ignored)
}

impl Engine {
    /// The exception in force on an issue (see [`in_force`]), asking who
    /// may grant one once per login.
    pub(super) async fn exception(
        &self,
        t: &Tracked,
    ) -> anyhow::Result<(Option<Grant>, Vec<Grant>)> {
        let events = self.api.issue_events(t.issue.number).await?;
        let label = &self.cfg.exception_label;
        let mut may = HashMap::new();
        for login in grantors(&events, label) {
            let ok = self.may_grant(&login).await?;
            may.insert(login, ok);
        }
        Ok(in_force(&events, label, &may))
    }

    async fn may_grant(&self, login: &str) -> anyhow::Result<bool> {
        for a in &self.cfg.exception_approvers {
            match a {
                Approver::User(u) if u.eq_ignore_ascii_case(login) => return Ok(true),
                Approver::User(_) => {}
                Approver::Team { org, slug } => {
                    if login.is_empty() {
                        continue;
                    }
                    match self.api.is_team_member(org, slug, login).await {
                        Ok(true) => return Ok(true),
                        Ok(false) => {}
                        // The token cannot read the organization's teams (an
                        // Actions GITHUB_TOKEN cannot): the team grants no
                        // exception, and the pass goes on.
                        Err(e) if github::status_of(e.as_ref()) == Some(403) => {
                            eprintln!(
                                "deferred-compliance: warning: cannot read the members of \
                                 @{org}/{slug} (a GitHub App with Members: read can); \
                                 @{login}'s exception is not counted"
                            );
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        Ok(false)
    }

    /// Says on the issue, once each, which exception labels are ignored and
    /// which exception is granted.
    pub(super) async fn answer_exceptions(
        &self,
        pass: &mut Pass,
        t: &Tracked,
        a: &Assessment,
    ) -> anyhow::Result<()> {
        let number = t.issue.number;
        let job = &t.marker.job;
        let who = self
            .cfg
            .exception_approvers
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        for g in &a.ignored {
            let text = format!(
                "@{} added `{}`, but only {} may grant an exception: it is ignored.",
                g.login,
                self.cfg.exception_label,
                if who.is_empty() {
                    "nobody (no `exception_approvers` are configured)"
                } else {
                    &who
                }
            );
            if self
                .ensure_comment(
                    pass,
                    number,
                    &format!("exception-ignored:{}", g.event_id),
                    &text,
                )
                .await?
            {
                pass.act(
                    job,
                    Some(number),
                    format!("ignored the exception label added by @{}", g.login),
                );
            }
        }
        if let Some(g) = &a.exception {
            let text = format!(
                "Exception granted by @{}{}: deploys may go while this issue is open. Remove the \
                 `{}` label to end it.",
                g.login,
                g.at.map(|t| format!(" at {}", utc(t))).unwrap_or_default(),
                self.cfg.exception_label
            );
            if self
                .ensure_comment(pass, number, &format!("exception:{}", g.event_id), &text)
                .await?
            {
                pass.act(
                    job,
                    Some(number),
                    format!("exception granted by @{}", g.login),
                );
                self.notify(&format!(
                    ":large_yellow_circle: Exception granted by {} for <{}|issue #{number}> ({}): deploys may go.",
                    slack::mentions(&[format!("@{}", g.login)], &self.cfg.slack_users),
                    t.url(),
                    slack::escape(job)
                ))
                .await;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{LabelRef, User};

    fn ev(id: u64, event: &str, label: &str, login: Option<&str>) -> IssueEvent {
        IssueEvent {
            id,
            event: event.into(),
            actor: login.map(|l| User { login: l.into() }),
            label: Some(LabelRef { name: label.into() }),
            created_at: None,
        }
    }

    fn approvers(logins: &[&str]) -> HashMap<String, bool> {
        ["alice", "bob", "mallory", ""]
            .iter()
            .map(|l| (l.to_string(), logins.contains(l)))
            .collect()
    }

    fn granted_by(g: &(Option<Grant>, Vec<Grant>)) -> Option<(u64, &str)> {
        g.0.as_ref().map(|g| (g.event_id, g.login.as_str()))
    }

    fn ignored(g: &(Option<Grant>, Vec<Grant>)) -> Vec<(u64, &str)> {
        g.1.iter().map(|g| (g.event_id, g.login.as_str())).collect()
    }

    #[test]
    fn an_approver_adding_the_label_grants_an_exception() {
        let events = [ev(1, "labeled", "compliance-exception", Some("alice"))];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), Some((1, "alice")));
        assert!(g.1.is_empty());
        // Label names compare without case.
        let events = [ev(1, "labeled", "Compliance-Exception", Some("alice"))];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), Some((1, "alice")));
    }

    #[test]
    fn a_non_approver_adding_the_label_grants_nothing_and_is_answered() {
        let events = [ev(1, "labeled", "compliance-exception", Some("mallory"))];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), None);
        assert_eq!(ignored(&g), [(1, "mallory")]);
        // Nor does one without an actor, nor one nobody was asked about.
        let events = [
            ev(2, "labeled", "compliance-exception", None),
            ev(3, "labeled", "compliance-exception", Some("eve")),
        ];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), None);
        assert_eq!(ignored(&g), [(2, ""), (3, "eve")]);
    }

    #[test]
    fn removing_the_label_ends_the_exception_whoever_removes_it() {
        let events = [
            ev(1, "labeled", "compliance-exception", Some("alice")),
            ev(2, "unlabeled", "compliance-exception", Some("mallory")),
        ];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), None);
        assert!(g.1.is_empty());
        // Added again by an approver: the new grant counts.
        let events = [
            ev(1, "labeled", "compliance-exception", Some("alice")),
            ev(2, "unlabeled", "compliance-exception", Some("alice")),
            ev(3, "labeled", "compliance-exception", Some("bob")),
        ];
        let g = in_force(
            &events,
            "compliance-exception",
            &approvers(&["alice", "bob"]),
        );
        assert_eq!(granted_by(&g), Some((3, "bob")));
    }

    #[test]
    fn a_non_approver_adding_the_label_again_keeps_the_approvers_grant() {
        let events = [
            ev(1, "labeled", "compliance-exception", Some("alice")),
            ev(2, "labeled", "compliance-exception", Some("mallory")),
        ];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), Some((1, "alice")));
        assert_eq!(ignored(&g), [(2, "mallory")]);
    }

    #[test]
    fn other_labels_and_events_count_for_nothing() {
        let events = [
            ev(1, "labeled", "deferred-compliance", Some("alice")),
            ev(2, "unlabeled", "deferred-compliance", Some("alice")),
            ev(3, "renamed", "compliance-exception", Some("alice")),
            IssueEvent {
                label: None,
                ..ev(4, "labeled", "", Some("alice"))
            },
        ];
        let g = in_force(&events, "compliance-exception", &approvers(&["alice"]));
        assert_eq!(granted_by(&g), None);
        assert!(g.1.is_empty());
        assert!(grantors(&events, "compliance-exception").is_empty());
    }

    #[test]
    fn whose_right_to_grant_is_asked_once_each_in_order() {
        let events = [
            ev(1, "labeled", "compliance-exception", Some("mallory")),
            ev(2, "unlabeled", "compliance-exception", Some("bob")),
            ev(3, "labeled", "compliance-exception", Some("alice")),
            ev(4, "labeled", "compliance-exception", Some("mallory")),
            ev(5, "labeled", "compliance-exception", None),
        ];
        assert_eq!(
            grantors(&events, "compliance-exception"),
            ["mallory", "alice", ""]
        );
    }
}
