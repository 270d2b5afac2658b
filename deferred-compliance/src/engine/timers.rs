//! When a red job's time runs out, and what its issue is told on the way.
//!
//! The deadline is the first failing run of the red streak plus the
//! allowed time (`deadline`, 72 hours by default), never later than a
//! deadline the bot itself wrote for the streak: nothing a person does to
//! an issue (closing it, removing its label, filing it again) makes it
//! later. Before it the issue gets the reminders that fall due, once each;
//! from the very moment it passes, the issue is labelled blocked and deploys
//! are blocked, unless an exception is in force.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::runs::JobState;
use super::{Engine, Pass, Tracked};
use crate::config::human;
use crate::issue::{Marker, utc};
use crate::slack;

/// A red job's deadline: the first failing run of its streak plus `span`,
/// or the earliest deadline the bot wrote in a marker of the streak (of the
/// job, after its last success), whichever is earlier; `now` plus `span`
/// when neither says.
fn streak_deadline<'a>(
    key: &str,
    state: &JobState,
    markers: impl IntoIterator<Item = &'a Marker>,
    now: DateTime<Utc>,
    span: chrono::Duration,
) -> DateTime<Utc> {
    let mut best = now
        .checked_add_signed(span)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if let Some(t) = state.streak_start.and_then(|t| t.checked_add_signed(span)) {
        best = best.min(t);
    }
    for m in markers {
        if m.job == key && state.in_streak(m) {
            best = best.min(m.deadline);
        }
    }
    best
}

/// The deadline of a job with or without an open issue: the earlier of the
/// one its runs give and the one its issue's marker records.
pub(super) fn deadline_of(
    by_runs: Option<DateTime<Utc>>,
    by_marker: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    span: chrono::Duration,
) -> DateTime<Utc> {
    match (by_marker, by_runs) {
        (Some(m), Some(d)) => d.min(m),
        (Some(m), None) => m,
        (None, Some(d)) => d,
        (None, None) => now + span,
    }
}

/// Where an open issue's timer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Before the deadline, with `left` to go, and the reminder due, if
    /// one is: the shortest of those at least `left`.
    Counting {
        left: Duration,
        reminder: Option<Duration>,
    },
    /// At or past the deadline, without an exception: deploys are blocked.
    Blocked,
    /// At or past the deadline, with an exception in force.
    Excepted,
}

fn stage(
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
    reminders: &[Duration],
    excepted: bool,
) -> Stage {
    if now < deadline {
        let left = (deadline - now).to_std().unwrap_or_default();
        let reminder = reminders.iter().filter(|r| left <= **r).min().copied();
        Stage::Counting { left, reminder }
    } else if excepted {
        Stage::Excepted
    } else {
        Stage::Blocked
    }
}

/// Time left as reminders say it, to the minute.
fn round_minutes(d: Duration) -> Duration {
    Duration::from_secs(d.as_secs() / 60 * 60)
}

impl Engine {
    /// A red job's deadline in this pass (see [`streak_deadline`]), from
    /// the markers of all the bot's issues, open or not.
    pub(super) fn streak_deadline(
        &self,
        pass: &Pass,
        key: &str,
        state: &JobState,
    ) -> DateTime<Utc> {
        let markers = pass.tracked.iter().chain(&pass.history).map(|t| &t.marker);
        streak_deadline(key, state, markers, pass.now, self.deadline_span())
    }

    /// Reminders, the deadline and exceptions of an open issue.
    pub(super) async fn check_timers(&self, pass: &mut Pass, t: &Tracked) -> anyhow::Result<()> {
        let number = t.issue.number;
        let job = t.marker.job.clone();
        let a = self.assess_job(pass, &job, Some(t.clone()), None).await?;
        self.answer_exceptions(pass, t, &a).await?;
        let mentions = t.marker.mentions().join(" ");
        let deadline = a.deadline;
        match stage(
            pass.now,
            deadline,
            &self.cfg.reminders,
            a.exception.is_some(),
        ) {
            Stage::Counting { reminder: None, .. } => {}
            Stage::Counting {
                left,
                reminder: Some(r),
            } => {
                let text = format!(
                    "Reminder: {} left before the deadline, {}. {mentions}",
                    human(round_minutes(left)),
                    utc(deadline)
                );
                if self
                    .ensure_comment(pass, number, &format!("reminder:{}", r.as_secs()), &text)
                    .await?
                {
                    pass.act(
                        &job,
                        Some(number),
                        format!("reminded: {} left", human(round_minutes(left))),
                    );
                    self.notify(&format!(
                        ":hourglass: {} left to fix deferred job *{}* (<{}|issue #{number}>) before deploys are blocked. {}",
                        human(round_minutes(left)),
                        slack::escape(&job),
                        t.url(),
                        slack::mentions(&t.marker.mentions(), &self.cfg.slack_users)
                    ))
                    .await;
                }
            }
            Stage::Blocked => {
                if !t.has_label(&self.cfg.blocked_label) {
                    self.api.add_label(number, &self.cfg.blocked_label).await?;
                    pass.act(
                        &job,
                        Some(number),
                        format!("labelled {}", self.cfg.blocked_label),
                    );
                }
                let text = format!(
                    "The deadline passed at {}: **deploys are blocked** until the job passes again. {mentions}",
                    utc(deadline)
                );
                if self.ensure_comment(pass, number, "blocked", &text).await? {
                    pass.act(&job, Some(number), "deadline passed: deploys blocked");
                    self.notify(&format!(
                        ":no_entry: Deploys are blocked: deferred job *{}* is still failing past its deadline (<{}|issue #{number}>). {}",
                        slack::escape(&job),
                        t.url(),
                        slack::mentions(&t.marker.mentions(), &self.cfg.slack_users)
                    ))
                    .await;
                }
            }
            Stage::Excepted => {
                if t.has_label(&self.cfg.blocked_label) {
                    self.api
                        .remove_label(number, &self.cfg.blocked_label)
                        .await?;
                    pass.act(
                        &job,
                        Some(number),
                        format!("unlabelled {}: exception", self.cfg.blocked_label),
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{at, marker, run};
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn span() -> chrono::Duration {
        chrono::Duration::hours(72)
    }

    fn red_since(hours: i64) -> JobState {
        JobState {
            streak_start: Some(at(hours)),
            ..JobState::default()
        }
    }

    #[test]
    fn the_deadline_is_the_streaks_first_failure_plus_the_allowed_time() {
        assert_eq!(
            streak_deadline("ci.yml", &red_since(2), [], at(30), span()),
            at(74)
        );
        // No run says when: from now.
        assert_eq!(
            streak_deadline("ci.yml", &JobState::default(), [], at(30), span()),
            at(102)
        );
        // An allowed time too long to add: the end of time, not a panic.
        let forever = chrono::Duration::MAX;
        assert_eq!(
            streak_deadline("ci.yml", &red_since(2), [], at(30), forever),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn an_earlier_deadline_the_bot_wrote_for_the_streak_holds() {
        // The issue was closed by hand and the streak's runs aged out of
        // the list: the bot's own marker still holds the deadline.
        let mut m = marker("ci.yml", 10, 10, 1);
        m.deadline = at(50);
        assert_eq!(
            streak_deadline("ci.yml", &red_since(40), [&m], at(60), span()),
            at(50)
        );
        // A later one changes nothing.
        m.deadline = at(500);
        assert_eq!(
            streak_deadline("ci.yml", &red_since(40), [&m], at(60), span()),
            at(112)
        );
    }

    #[test]
    fn a_deadline_of_another_job_or_an_older_streak_does_not_count() {
        let mut other = marker("other.yml", 10, 10, 1);
        other.deadline = at(1);
        let mut healed = marker("ci.yml", 10, 10, 1);
        healed.deadline = at(1);
        let mut state = red_since(40);
        state.last_success = Some(run(11, 11, "c3"));
        assert_eq!(
            streak_deadline("ci.yml", &state, [&other, &healed], at(60), span()),
            at(112)
        );
    }

    #[test]
    fn the_earlier_of_the_runs_and_the_marker_wins() {
        assert_eq!(deadline_of(Some(at(5)), Some(at(9)), at(0), span()), at(5));
        assert_eq!(deadline_of(Some(at(9)), Some(at(5)), at(0), span()), at(5));
        assert_eq!(deadline_of(None, Some(at(9)), at(0), span()), at(9));
        assert_eq!(deadline_of(Some(at(9)), None, at(0), span()), at(9));
        assert_eq!(deadline_of(None, None, at(1), span()), at(73));
    }

    #[test]
    fn at_exactly_the_deadline_deploys_are_blocked() {
        let reminders = [24 * HOUR, HOUR];
        assert_eq!(stage(at(72), at(72), &reminders, false), Stage::Blocked);
        assert_eq!(stage(at(99), at(72), &reminders, false), Stage::Blocked);
        assert_eq!(stage(at(72), at(72), &reminders, true), Stage::Excepted);
        let just_before = at(72) - chrono::Duration::seconds(1);
        assert_eq!(
            stage(just_before, at(72), &reminders, false),
            Stage::Counting {
                left: Duration::from_secs(1),
                reminder: Some(HOUR)
            }
        );
    }

    #[test]
    fn the_reminder_due_is_the_shortest_not_shorter_than_the_time_left() {
        let reminders = [24 * HOUR, HOUR];
        assert_eq!(
            stage(at(0), at(72), &reminders, false),
            Stage::Counting {
                left: 72 * HOUR,
                reminder: None
            }
        );
        assert_eq!(
            stage(at(48), at(72), &reminders, false),
            Stage::Counting {
                left: 24 * HOUR,
                reminder: Some(24 * HOUR)
            }
        );
        assert_eq!(
            stage(at(60), at(72), &reminders, false),
            Stage::Counting {
                left: 12 * HOUR,
                reminder: Some(24 * HOUR)
            }
        );
        // An exception does not stop the reminders before the deadline.
        assert_eq!(
            stage(at(71), at(72), &reminders, true),
            Stage::Counting {
                left: HOUR,
                reminder: Some(HOUR)
            }
        );
        assert_eq!(
            stage(at(71), at(72), &[], false),
            Stage::Counting {
                left: HOUR,
                reminder: None
            }
        );
    }

    #[test]
    fn time_left_is_said_to_the_minute() {
        assert_eq!(
            round_minutes(Duration::from_secs(3599)),
            Duration::from_secs(3540)
        );
        assert_eq!(round_minutes(Duration::from_secs(59)), Duration::ZERO);
    }
}
