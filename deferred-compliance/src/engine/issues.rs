//! The bot's compliance issues: which are state, filing, commenting on and
//! closing them, and what an `issues` event asks for.
//!
//! Only what the bot wrote is state: an issue counts when the bot opened it
//! and its first line is the bot's marker, and a comment's key counts when
//! the bot wrote the comment. A marker or a key written by anyone else is
//! ignored, and answered once so that people see why.

use std::collections::HashSet;

use codeowners::{CodeOwners, Dialect};
use github_client::Issue;

use super::runs::JobState;
use super::{Engine, Pass, Tracked};
use crate::api::{Comment, IssueEvent, Pull, Run};
use crate::config::{JobSpec, human};
use crate::event::{IssueChange, IssuesAction};
use crate::issue::{self, Failure, Marker, keyed, short, utc};
use crate::slack;

/// The most owners one issue tags; beyond it the body says how many more.
const MAX_OWNERS: usize = 20;

/// What one of the bot's issues with a marker is to a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Open and labelled: the job's compliance issue.
    Tracked,
    /// Closed, or unlabelled by someone: it still counts for deadlines.
    History,
    /// Opened by someone else: its marker is not state.
    Forged,
}

fn place(issue: &Issue, me: &str, label: &str) -> Place {
    if !issue.opened_by(me) {
        Place::Forged
    } else if issue.state == "open"
        && issue
            .labels
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(label))
    {
        Place::Tracked
    } else {
        Place::History
    }
}

/// What an `issues` event asks of the pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Followup {
    /// One of the tracked issues changed (an exception label, most
    /// likely): its timers and the gate.
    Timers,
    /// One of the bot's other issues lost its label, was closed, deleted or
    /// transferred: every job, so that one still red is filed again at
    /// once, with the same deadline.
    Refile,
    Nothing,
}

fn followup(change: &IssueChange, tracked: bool, me: &str) -> Followup {
    let by_bot = change
        .opened_by
        .as_deref()
        .is_some_and(|l| l.eq_ignore_ascii_case(me));
    if tracked {
        Followup::Timers
    } else if by_bot && change.action != IssuesAction::Labeled {
        Followup::Refile
    } else {
        Followup::Nothing
    }
}

/// The keys of the bot's own comments on an issue, and the comments by
/// others that carry a key of their own (written by hand, or edited in) and
/// are not answered yet, each with the key of its answer.
fn read_keys<'c>(
    comments: &'c [Comment],
    me: &str,
) -> (HashSet<String>, Vec<(&'c Comment, String)>) {
    let keys: HashSet<String> = comments
        .iter()
        .filter(|c| c.by(me))
        .filter_map(|c| c.body.as_deref().and_then(issue::comment_key))
        .collect();
    let mut imitations: Vec<(&Comment, String)> = Vec::new();
    for c in comments {
        if c.by(me) || c.body.as_deref().and_then(issue::comment_key).is_none() {
            continue;
        }
        let reply_key = format!("imitation-ignored:{}", c.id);
        if keys.contains(&reply_key) || imitations.iter().any(|(_, k)| *k == reply_key) {
            continue;
        }
        imitations.push((c, reply_key));
    }
    (keys, imitations)
}

/// What became of an issue, for the one that continues it: who closed it
/// or removed the label last, from its events.
fn what_became(events: &[IssueEvent], label: &str, still_open: bool) -> String {
    let who = |e: &IssueEvent| {
        e.actor
            .as_ref()
            .filter(|a| crate::text::is_login(&a.login))
            .map_or("someone".to_owned(), |a| format!("@{}", a.login))
    };
    let last = events.iter().rev().find(|e| {
        e.event == "closed"
            || (e.event == "unlabeled"
                && e.label
                    .as_ref()
                    .is_some_and(|l| l.name.eq_ignore_ascii_case(label)))
    });
    match last {
        Some(e) if e.event == "closed" => format!("which {} closed", who(e)),
        Some(e) => format!("from which {} removed the `{label}` label", who(e)),
        None if still_open => format!("which lost the `{label}` label"),
        None => "which was closed".to_owned(),
    }
}

/// The pull request that brought a commit, of those that contain it: the
/// one merged as the commit, else the first.
fn pull_of_commit(mut pulls: Vec<Pull>, sha: &str) -> Option<Pull> {
    let merged = pulls
        .iter()
        .position(|p| p.merge_commit_sha.as_deref() == Some(sha));
    match merged {
        Some(i) => Some(pulls.swap_remove(i)),
        None => pulls.into_iter().next(),
    }
}

/// A commit's page, on the host of the run's page
/// (`https://HOST/OWNER/REPO/actions/runs/ID`), else on github.com.
fn commit_url(repository: &str, sha: &str, run_url: &str) -> String {
    match run_url.find("/actions/runs/") {
        Some(i) => format!("{}/commit/{sha}", &run_url[..i]),
        None => format!("https://github.com/{repository}/commit/{sha}"),
    }
}

impl Engine {
    /// The bot's issues with markers, oldest first: the open, labelled ones
    /// are tracked, the others kept for deadlines. A marker in an issue
    /// someone else opened is not state.
    pub(super) async fn read_issues(&self, pass: &mut Pass) -> anyhow::Result<()> {
        let issues = self.api.bot_issues(&pass.me, &self.cfg.label).await?;
        for issue in issues {
            let Some(marker) = issue::read_hidden::<Marker>(issue.body()) else {
                continue;
            };
            let p = place(&issue, &pass.me, &self.cfg.label);
            let t = Tracked { issue, marker };
            match p {
                Place::Forged => {
                    let by = t
                        .issue
                        .user
                        .as_ref()
                        .map_or("someone", |u| u.login.as_str());
                    pass.warn(format!(
                        "#{}: ignored: its compliance marker was written by @{by}, not by the \
                         bot (@{})",
                        t.issue.number, pass.me
                    ));
                }
                Place::Tracked => pass.tracked.push(t),
                Place::History => pass.history.push(t),
            }
        }
        pass.tracked.sort_by_key(|t| t.issue.number);
        pass.history
            .sort_by_key(|t| std::cmp::Reverse(t.issue.number));
        Ok(())
    }

    /// An `issues` event (see [`followup`]).
    pub(super) async fn on_issue_change(
        &self,
        pass: &mut Pass,
        change: &IssueChange,
    ) -> anyhow::Result<()> {
        let ours = pass
            .tracked
            .iter()
            .find(|t| Some(t.issue.number) == change.number)
            .cloned();
        match (followup(change, ours.is_some(), &pass.me), ours) {
            (Followup::Timers, Some(t)) => {
                self.check_timers(pass, &t).await?;
                self.sync_gate(pass).await?;
            }
            (Followup::Refile, _) => {
                for spec in &self.cfg.jobs {
                    self.sync_job(pass, spec, None).await?;
                }
                self.sync_gate(pass).await?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes a comment unless one with `key` exists; `true` if written.
    pub(super) async fn ensure_comment(
        &self,
        pass: &mut Pass,
        number: u64,
        key: &str,
        text: &str,
    ) -> anyhow::Result<bool> {
        if !pass.comment_keys.contains_key(&number) {
            // Only the bot's own comments carry state; a comment by anyone
            // else that imitates a key is answered once and counts for
            // nothing.
            let comments = self.api.comments(number).await?;
            let (mut keys, imitations) = read_keys(&comments, &pass.me);
            for (c, reply_key) in imitations {
                let who = c
                    .user
                    .as_ref()
                    .filter(|u| crate::text::is_login(&u.login))
                    .map_or("someone".to_owned(), |u| format!("@{}", u.login));
                let text = format!(
                    "A comment by {who} carries this bot's hidden marker: it is ignored. Only \
                     the bot's own comments record reminders, the deadline and exceptions; an \
                     exception is granted by an approver adding the `{}` label.",
                    self.cfg.exception_label
                );
                self.api.comment(number, &keyed(&reply_key, &text)).await?;
                pass.act(
                    "-",
                    Some(number),
                    format!("answered a comment imitating the bot's marker ({who})"),
                );
                keys.insert(reply_key);
            }
            pass.comment_keys.insert(number, keys);
        }
        if pass.comment_keys[&number].contains(key) {
            return Ok(false);
        }
        self.api.comment(number, &keyed(key, text)).await?;
        pass.comment_keys
            .get_mut(&number)
            .expect("loaded above")
            .insert(key.to_owned());
        Ok(true)
    }

    /// The bot's latest issue of the job's red streak that someone closed
    /// or unlabelled, with what happened to it, for the new issue to say
    /// "This continues #N".
    pub(super) async fn continued(
        &self,
        pass: &Pass,
        key: &str,
        state: &JobState,
    ) -> anyhow::Result<Option<(u64, String)>> {
        let Some(t) = pass
            .history
            .iter()
            .find(|t| t.marker.job == key && state.in_streak(&t.marker))
        else {
            return Ok(None);
        };
        let n = t.issue.number;
        let events = self.api.issue_events(n).await?;
        let what = what_became(&events, &self.cfg.label, t.issue.state == "open");
        Ok(Some((n, what)))
    }

    pub(super) async fn open_issue(
        &self,
        pass: &mut Pass,
        spec: &JobSpec,
        f: &Run,
        state: &JobState,
        carried: Option<(u64, String)>,
    ) -> anyhow::Result<Tracked> {
        let key = spec.key();
        // The pull request that brought the commit, its author and files.
        let pull = match f.pull_requests.first() {
            Some(p) => Some(self.api.pull(p.number).await?),
            None => pull_of_commit(self.api.pulls_of_commit(&f.head_sha).await?, &f.head_sha),
        };
        let (author, files, base): (Option<String>, _, _) = match &pull {
            Some(p) => {
                let files = self.api.pull_files(p.number).await?;
                (Some(p.user.login.clone()), files, p.base.sha.clone())
            }
            None => {
                let c = self.api.commit(&f.head_sha).await?;
                let author = c.author.map(|u| u.login).or_else(|| {
                    f.triggering_actor
                        .clone()
                        .or(f.actor.clone())
                        .map(|u| u.login)
                });
                let base = c.parents.first().map_or(c.sha.clone(), |p| p.sha.clone());
                (author, c.files, base)
            }
        };
        let author = author.filter(|a| crate::text::is_login(a));
        let mut paths: Vec<&str> = Vec::new();
        for file in &files {
            paths.push(&file.filename);
            if let Some(p) = &file.previous_filename {
                paths.push(p);
            }
        }
        let mut owners = self.owners(&paths, &base).await?;
        let extra = owners.len().saturating_sub(MAX_OWNERS);
        owners.truncate(MAX_OWNERS);
        let marker = Marker {
            job: key.clone(),
            sha: f.head_sha.clone(),
            run_id: f.id,
            run_number: f.run_number,
            run_attempt: f.run_attempt,
            opened_at: state.streak_start.map_or(pass.now, |t| t.min(pass.now)),
            deadline: pass
                .deadlines
                .get(&key)
                .copied()
                .unwrap_or_else(|| pass.now + self.deadline_span()),
            author: author.clone(),
            owners: owners.clone(),
        };
        let run_url = f.html_url.clone().unwrap_or_default();
        let failure = Failure {
            job: spec,
            run_url: &run_url,
            run_number: f.run_number,
            sha: &f.head_sha,
            commit_url: commit_url(&self.cfg.repository.to_string(), &f.head_sha, &run_url),
            pull: pull.as_ref().map(|p| (p.number, p.title.clone())),
            author: author.as_deref(),
            owners: &owners,
        };
        let mut body = issue::body(&self.cfg, &marker, &failure);
        if extra > 0 {
            body.push_str(&format!("\n({extra} more code owners are not tagged.)\n"));
        }
        if let Some((n, what)) = &carried {
            body.push_str(&format!(
                "\nThis continues #{n}, {what} while the job was still failing: its deadline \
                 carries over.\n"
            ));
        }
        let title = issue::title(spec, &f.head_sha);
        let created = self
            .api
            .create_issue(&title, &body, &[self.cfg.label.as_str()])
            .await?;
        let number = created.number;
        pass.act(
            &key,
            Some(number),
            format!("opened for run #{}", f.run_number),
        );
        let t = Tracked {
            issue: created,
            marker,
        };
        pass.tracked.push(t.clone());
        pass.comment_keys.insert(number, HashSet::new());
        // An open issue that lost its label is closed, pointing to this one,
        // so that one job has one open issue.
        let stale = carried.as_ref().and_then(|(n, _)| {
            pass.history
                .iter()
                .find(|h| h.issue.number == *n && h.issue.state == "open")
                .map(|h| h.issue.number)
        });
        if let Some(old) = stale {
            let text = format!("Continued in #{number}, which carries the same deadline.");
            self.ensure_comment(pass, old, &format!("continued-in:{number}"), &text)
                .await?;
            self.api.close_issue(old).await?;
            pass.act(&key, Some(old), format!("closed: continued in #{number}"));
        }
        let mentions = slack::mentions(&t.marker.mentions(), &self.cfg.slack_users);
        self.notify(&format!(
            ":rotating_light: Deferred job *{}* failed on `{}` (<{}|run #{}>). <{}|Issue #{number}>{}. \
             Deadline {} (in {}); deploys are blocked after that.",
            slack::escape(&spec.to_string()),
            slack::escape(&self.cfg.branch),
            run_url,
            f.run_number,
            t.url(),
            if mentions.is_empty() {
                String::new()
            } else {
                format!(" tags {mentions}")
            },
            utc(t.marker.deadline),
            human(self.cfg.deadline),
        ))
        .await;
        Ok(t)
    }

    /// The code owners of `paths`, from the first CODEOWNERS file found at
    /// commit `at`, in the order first met.
    async fn owners(&self, paths: &[&str], at: &str) -> anyhow::Result<Vec<String>> {
        for candidate in &self.cfg.codeowners {
            let Some(text) = self.api.file_at(candidate, at).await? else {
                continue;
            };
            let (co, _warnings) = CodeOwners::parse(&text, Dialect::GitHub);
            let mut owners: Vec<String> = Vec::new();
            for p in paths {
                for o in co.owners(p) {
                    let Some(o) = crate::text::owner(o) else {
                        let shown: String = o.chars().take(80).collect();
                        eprintln!(
                            "deferred-compliance: warning: {candidate}: owner {shown:?} is not a \
                             GitHub login, @org/team or e-mail address; not tagged"
                        );
                        tracing::warn!("{candidate}: owner {shown:?} dropped");
                        continue;
                    };
                    if !owners.iter().any(|x| x.eq_ignore_ascii_case(&o)) {
                        owners.push(o);
                    }
                }
            }
            return Ok(owners);
        }
        Ok(Vec::new())
    }

    pub(super) async fn close_issue(
        &self,
        pass: &mut Pass,
        t: &Tracked,
        green: &Run,
    ) -> anyhow::Result<()> {
        let number = t.issue.number;
        let url = green.html_url.clone().unwrap_or_default();
        let text = format!(
            "The job passed again: [run #{}]({url}) on `{}`. Closing; deploys are no longer held \
             by this issue.",
            green.run_number,
            short(&green.head_sha)
        );
        self.ensure_comment(pass, number, &format!("closed:{}", green.id), &text)
            .await?;
        self.api.close_issue(number).await?;
        pass.tracked.retain(|x| x.issue.number != number);
        pass.act(
            &t.marker.job,
            Some(number),
            format!("closed: run #{} passed", green.run_number),
        );
        self.notify(&format!(
            ":white_check_mark: Deferred job *{}* passes again (<{url}|run #{}>); <{}|issue #{number}> is closed.",
            slack::escape(&t.marker.job),
            green.run_number,
            t.url()
        ))
        .await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::issue;
    use super::*;
    use crate::api::{LabelRef, User};

    const ME: &str = "compliance-bot[bot]";

    fn change(action: IssuesAction, opened_by: Option<&str>) -> IssueChange {
        IssueChange {
            action,
            number: Some(12),
            opened_by: opened_by.map(str::to_owned),
        }
    }

    fn comment(id: u64, login: &str, body: &str) -> Comment {
        Comment {
            id,
            body: Some(body.into()),
            user: Some(User {
                login: login.into(),
            }),
        }
    }

    fn event(event: &str, label: Option<&str>, login: &str) -> IssueEvent {
        IssueEvent {
            id: 1,
            event: event.into(),
            actor: Some(User {
                login: login.into(),
            }),
            label: label.map(|l| LabelRef { name: l.into() }),
            created_at: None,
        }
    }

    fn pull(number: u64, login: &str, merged_as: Option<&str>) -> Pull {
        serde_json::from_value(json!({
            "number": number,
            "user": { "login": login },
            "base": { "sha": "c1" },
            "merge_commit_sha": merged_as,
        }))
        .unwrap()
    }

    #[test]
    fn only_the_bots_open_labelled_issues_are_tracked() {
        let labels = ["deferred-compliance"];
        assert_eq!(
            place(&issue(1, ME, "open", &labels), ME, "deferred-compliance"),
            Place::Tracked
        );
        // Logins and labels compare without case.
        assert_eq!(
            place(
                &issue(1, "Compliance-Bot[bot]", "open", &["Deferred-Compliance"]),
                ME,
                "deferred-compliance"
            ),
            Place::Tracked
        );
        assert_eq!(
            place(&issue(1, ME, "closed", &labels), ME, "deferred-compliance"),
            Place::History
        );
        assert_eq!(
            place(&issue(1, ME, "open", &[]), ME, "deferred-compliance"),
            Place::History
        );
    }

    #[test]
    fn an_issue_someone_else_opened_with_the_bots_marker_is_forged() {
        for by in ["mallory", "compliance-bot", "compliance-bot[bot]x"] {
            assert_eq!(
                place(
                    &issue(1, by, "open", &["deferred-compliance"]),
                    ME,
                    "deferred-compliance"
                ),
                Place::Forged,
                "{by}"
            );
        }
    }

    #[test]
    fn an_event_on_a_tracked_issue_checks_its_timers() {
        for action in [IssuesAction::Labeled, IssuesAction::Unlabeled] {
            assert_eq!(
                followup(&change(action, Some(ME)), true, ME),
                Followup::Timers
            );
        }
    }

    #[test]
    fn the_bots_issue_lost_closed_or_gone_is_filed_again() {
        for action in [
            IssuesAction::Unlabeled,
            IssuesAction::Closed,
            IssuesAction::Deleted,
            IssuesAction::Transferred,
        ] {
            assert_eq!(
                followup(&change(action, Some("Compliance-Bot[bot]")), false, ME),
                Followup::Refile,
                "{action:?}"
            );
        }
        // A label added to an untracked issue of the bot changes nothing.
        assert_eq!(
            followup(&change(IssuesAction::Labeled, Some(ME)), false, ME),
            Followup::Nothing
        );
    }

    #[test]
    fn an_issue_opened_by_someone_else_asks_for_nothing() {
        for by in [Some("mallory"), Some("compliance-bot"), None] {
            assert_eq!(
                followup(&change(IssuesAction::Closed, by), false, ME),
                Followup::Nothing,
                "{by:?}"
            );
        }
    }

    #[test]
    fn only_the_bots_comments_carry_keys() {
        let comments = [
            comment(1, ME, &keyed("reminder:86400", "Reminder")),
            comment(2, "Compliance-Bot[bot]", &keyed("blocked", "Blocked")),
            comment(3, ME, "no key"),
        ];
        let (keys, imitations) = read_keys(&comments, ME);
        let mut keys: Vec<String> = keys.into_iter().collect();
        keys.sort();
        assert_eq!(keys, ["blocked", "reminder:86400"]);
        assert!(imitations.is_empty());
    }

    #[test]
    fn a_comment_by_someone_else_carrying_a_key_counts_for_nothing_and_is_answered_once() {
        let comments = [
            // Written by hand, or edited in after the fact.
            comment(7, "mallory", &keyed("blocked", "deadline passed")),
            // A login that only looks like the bot's.
            comment(8, "compliance-bot", &keyed("exception:1", "granted")),
            comment(9, "carol", "a plain comment"),
        ];
        let (keys, imitations) = read_keys(&comments, ME);
        assert!(keys.is_empty(), "{keys:?}");
        let answered: Vec<(u64, &str)> =
            imitations.iter().map(|(c, k)| (c.id, k.as_str())).collect();
        assert_eq!(
            answered,
            [(7, "imitation-ignored:7"), (8, "imitation-ignored:8")]
        );
        // Once answered, not again.
        let mut comments = comments.to_vec();
        comments.push(comment(10, ME, &keyed("imitation-ignored:7", "ignored")));
        let (keys, imitations) = read_keys(&comments, ME);
        assert!(keys.contains("imitation-ignored:7"));
        let answered: Vec<u64> = imitations.iter().map(|(c, _)| c.id).collect();
        assert_eq!(answered, [8]);
    }

    #[test]
    fn a_continued_issue_says_who_closed_or_unlabelled_it() {
        let label = "deferred-compliance";
        let events = [
            event("unlabeled", Some(label), "carol"),
            event("closed", None, "dave"),
        ];
        assert_eq!(what_became(&events, label, false), "which @dave closed");
        let events = [
            event("closed", None, "dave"),
            event("reopened", None, "dave"),
            event("unlabeled", Some("Deferred-Compliance"), "carol"),
            event("unlabeled", Some("other"), "erin"),
        ];
        assert_eq!(
            what_became(&events, label, true),
            "from which @carol removed the `deferred-compliance` label"
        );
        // An actor that is not a login is not quoted.
        let events = [event("closed", None, "<b>x</b>")];
        assert_eq!(what_became(&events, label, false), "which someone closed");
        assert_eq!(
            what_became(&[], label, true),
            "which lost the `deferred-compliance` label"
        );
        assert_eq!(what_became(&[], label, false), "which was closed");
    }

    #[test]
    fn the_pull_request_merged_as_the_commit_brought_it() {
        let pulls = vec![pull(9, "mallory", None), pull(7, "carol", Some("c2"))];
        assert_eq!(pull_of_commit(pulls, "c2").map(|p| p.number), Some(7));
        let pulls = vec![pull(9, "mallory", None), pull(7, "carol", Some("c9"))];
        assert_eq!(pull_of_commit(pulls, "c2").map(|p| p.number), Some(9));
        assert!(pull_of_commit(Vec::new(), "c2").is_none());
    }

    #[test]
    fn commit_links_follow_the_runs_host() {
        assert_eq!(
            commit_url(
                "acme/widgets",
                "c2",
                "https://ghe.example.com/acme/widgets/actions/runs/4"
            ),
            "https://ghe.example.com/acme/widgets/commit/c2"
        );
        assert_eq!(
            commit_url("acme/widgets", "c2", ""),
            "https://github.com/acme/widgets/commit/c2"
        );
    }
}
