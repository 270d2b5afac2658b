//! Whether deploys may go: where each job that may hold them stands at a
//! moment, and the deploy gate's commit status on the branch head.
//!
//! A job blocks deploys from the moment its deadline passes until it is
//! green again or an approver's exception is in force. A job whose issue
//! drifted from the configuration (the job renamed, removed, or gone from
//! its workflow's runs) keeps blocking unless `unconfigured_jobs_block =
//! false`, and is named in a warning either way.

use chrono::{DateTime, Utc};

use super::runs::{JobState, Verdict};
use super::timers::deadline_of;
use super::{Engine, Grant, Pass, Tracked};
use crate::issue::short;

/// Where a job that may hold deploys stands at a moment: a job whose
/// latest trusted run failed, or one with an open compliance issue.
#[derive(Clone, Debug)]
pub struct Assessment {
    /// The job's key.
    pub job: String,
    /// Its open compliance issue; `None` while the job is red and its issue
    /// was closed, unlabelled, deleted or transferred (the next pass files
    /// it again).
    pub tracked: Option<Tracked>,
    /// The deadline, from facts only GitHub and the bot control: the first
    /// failing run of the red streak and the bot's own markers.
    pub deadline: DateTime<Utc>,
    /// The deadline has passed.
    pub overdue: bool,
    /// An exception by an authorised person is in force.
    pub exception: Option<Grant>,
    /// Exception labels added by people who may not grant one.
    pub ignored: Vec<Grant>,
    /// Configuration drift: the job is no longer configured, or no longer
    /// found in its workflow's runs.
    pub warning: Option<String>,
}

impl Assessment {
    /// Deploys are blocked by this issue.
    pub fn blocks(&self) -> bool {
        self.overdue && self.exception.is_none()
    }
}

/// Whether a job is overdue at `now`: from the very moment of its
/// deadline, unless it drifted and drifted jobs do not block.
fn overdue(
    now: DateTime<Utc>,
    deadline: DateTime<Utc>,
    drifted: bool,
    unconfigured_jobs_block: bool,
) -> bool {
    now >= deadline && (!drifted || unconfigured_jobs_block)
}

/// What a configured job's runs and open issue make of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standing {
    /// Green, or never red and without an issue: nothing to assess.
    Clear,
    /// Red by its latest trusted run.
    Red,
    /// Its runs no longer say (the job is gone from the newest run, or no
    /// run is decisive) while it is red or has an open issue.
    Drifted,
}

fn standing(state: &JobState, open: bool) -> Standing {
    match (&state.latest, open) {
        (Some((Verdict::Failure, _)), _) if !state.missing => Standing::Red,
        (Some((Verdict::Success, _)), _) | (None, false) => Standing::Clear,
        _ => Standing::Drifted,
    }
}

/// What the gate's commit status is to become, when it is to change.
#[derive(Clone, Debug, PartialEq, Eq)]
enum GateStatus {
    Failing {
        description: String,
        url: Option<String>,
    },
    Passing,
}

/// The gate's status given the assessments that block deploys and the
/// status now: failing, naming the first, while any blocks; success again
/// once none does, but never a first status that only says all is well.
fn gate_status(blocking: &[Assessment], current: Option<&str>) -> Option<GateStatus> {
    if let Some(first) = blocking.first() {
        if current == Some("failure") {
            return None;
        }
        let description = match &first.tracked {
            Some(t) => format!(
                "Deploys blocked: {} past its deadline (#{})",
                first.job, t.issue.number
            ),
            None => format!("Deploys blocked: {} past its deadline", first.job),
        };
        let url = first.tracked.as_ref().map(Tracked::url).unwrap_or_default();
        Some(GateStatus::Failing {
            description,
            url: Some(url).filter(|u| !u.is_empty()),
        })
    } else if current.is_some_and(|s| s != "success") {
        Some(GateStatus::Passing)
    } else {
        None
    }
}

impl Engine {
    /// Every job that may hold deploys, assessed at `now`, and the warnings
    /// of the pass (markers by others, drift). Reads only.
    pub async fn assess(
        &self,
        now: DateTime<Utc>,
    ) -> anyhow::Result<(Vec<Assessment>, Vec<String>)> {
        let mut pass = self.start(now).await?;
        let out = self.assess_all(&mut pass, true).await?;
        Ok((out, pass.warnings))
    }

    /// Every configured job whose latest trusted run failed, with or
    /// without an open issue, then every other open issue (a job gone from
    /// the configuration or from its workflow's runs). With `full`, every
    /// job's runs are read; without, only the jobs this pass read already,
    /// and the others by their open issue (the commit status after one
    /// event: the next reconcile reads them all, and `gate` and the
    /// protection rule always do).
    pub(super) async fn assess_all(
        &self,
        pass: &mut Pass,
        full: bool,
    ) -> anyhow::Result<Vec<Assessment>> {
        let mut out = Vec::new();
        for spec in &self.cfg.jobs {
            let key = spec.key();
            if !full && !pass.states.contains_key(&key) {
                if let Some(t) = pass.tracked_for(&key) {
                    out.push(self.assess_job(pass, &key, Some(t), None).await?);
                }
                continue;
            }
            let state = self.job_state(pass, spec, None).await?;
            let open = pass.tracked_for(&key);
            match standing(&state, open.is_some()) {
                Standing::Clear => {}
                Standing::Red => out.push(self.assess_job(pass, &key, open, None).await?),
                Standing::Drifted => {
                    let number = open.as_ref().map_or("(no open issue)".to_owned(), |t| {
                        format!("#{}", t.issue.number)
                    });
                    let why = match &spec.job {
                        Some(job) => format!(
                            "{number}: job `{job}` is not in the latest run of {} on {}: renamed \
                             or removed? The issue {}",
                            spec.workflow,
                            self.cfg.branch,
                            self.drift_verdict()
                        ),
                        None => format!(
                            "{number}: {} has no decisive run on {} in its latest runs; the issue \
                             {}",
                            spec.workflow,
                            self.cfg.branch,
                            self.drift_verdict()
                        ),
                    };
                    pass.warn(why.clone());
                    out.push(self.assess_job(pass, &key, open, Some(why)).await?);
                }
            }
        }
        for t in pass.tracked.clone() {
            if self.cfg.job_by_key(&t.marker.job).is_none() {
                let why = format!(
                    "#{}: job {} is no longer in the configuration; the issue {}",
                    t.issue.number,
                    t.marker.job,
                    self.drift_verdict()
                );
                pass.warn(why.clone());
                let key = t.marker.job.clone();
                out.push(self.assess_job(pass, &key, Some(t), Some(why)).await?);
            }
        }
        Ok(out)
    }

    fn drift_verdict(&self) -> &'static str {
        if self.cfg.unconfigured_jobs_block {
            "still blocks deploys past its deadline (`unconfigured_jobs_block = false` lets them go)"
        } else {
            "no longer blocks deploys (`unconfigured_jobs_block = false`)"
        }
    }

    /// Where a job stands at the pass's time; each issue's exception is
    /// read once per pass.
    pub(super) async fn assess_job(
        &self,
        pass: &mut Pass,
        key: &str,
        t: Option<Tracked>,
        warning: Option<String>,
    ) -> anyhow::Result<Assessment> {
        let deadline = deadline_of(
            pass.deadlines.get(key).copied(),
            t.as_ref().map(|t| t.marker.deadline),
            pass.now,
            self.deadline_span(),
        );
        let (exception, ignored) = match &t {
            None => (None, Vec::new()),
            Some(t) => {
                let n = t.issue.number;
                match pass.exceptions.get(&n) {
                    Some(e) => e.clone(),
                    None => {
                        let e = if t.has_label(&self.cfg.exception_label) {
                            self.exception(t).await?
                        } else {
                            (None, Vec::new())
                        };
                        pass.exceptions.insert(n, e.clone());
                        e
                    }
                }
            }
        };
        Ok(Assessment {
            job: key.to_owned(),
            overdue: overdue(
                pass.now,
                deadline,
                warning.is_some(),
                self.cfg.unconfigured_jobs_block,
            ),
            deadline,
            tracked: t,
            exception,
            ignored,
            warning,
        })
    }

    /// The deploy gate as a commit status on the branch head: failing while
    /// an issue blocks deploys, success again once none does.
    pub(super) async fn sync_gate(&self, pass: &mut Pass) -> anyhow::Result<()> {
        let blocking: Vec<Assessment> = self
            .assess_all(pass, false)
            .await?
            .into_iter()
            .filter(Assessment::blocks)
            .collect();
        let head = self.api.branch_head(&self.cfg.branch).await?;
        let current = self.api.status_of(&head, &self.cfg.status_context).await?;
        let context = &self.cfg.status_context;
        match gate_status(&blocking, current.as_deref()) {
            None => {}
            Some(GateStatus::Failing { description, url }) => {
                self.api
                    .set_status(&head, "failure", context, &description, url.as_deref())
                    .await?;
                pass.act("-", None, format!("{context} failing on {}", short(&head)));
            }
            Some(GateStatus::Passing) => {
                self.api
                    .set_status(
                        &head,
                        "success",
                        context,
                        "No deferred job is past its deadline",
                        None,
                    )
                    .await?;
                pass.act("-", None, format!("{context} passing on {}", short(&head)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assessment, at, run, tracked};
    use super::*;

    #[test]
    fn a_job_is_overdue_from_the_very_moment_of_its_deadline() {
        let second = chrono::Duration::seconds(1);
        assert!(!overdue(at(72) - second, at(72), false, true));
        assert!(overdue(at(72), at(72), false, true));
        assert!(overdue(at(72) + second, at(72), false, false));
    }

    #[test]
    fn a_drifted_job_blocks_unless_configured_not_to() {
        assert!(overdue(at(80), at(72), true, true));
        assert!(!overdue(at(80), at(72), true, false));
    }

    #[test]
    fn only_an_overdue_job_without_an_exception_blocks() {
        let mut a = assessment("ci.yml", None, at(72));
        assert!(!a.blocks());
        a.overdue = true;
        assert!(a.blocks());
        a.exception = Some(Grant {
            event_id: 1,
            login: "alice".into(),
            at: None,
        });
        assert!(!a.blocks());
        // Ignored labels do not count as an exception.
        a.exception = None;
        a.ignored.push(Grant {
            event_id: 2,
            login: "mallory".into(),
            at: None,
        });
        assert!(a.blocks());
    }

    #[test]
    fn a_job_stands_by_its_latest_run_and_its_issue() {
        let red = JobState {
            latest: Some((Verdict::Failure, run(1, 1, "c1"))),
            ..JobState::default()
        };
        assert_eq!(standing(&red, false), Standing::Red);
        assert_eq!(standing(&red, true), Standing::Red);
        let green = JobState {
            latest: Some((Verdict::Success, run(1, 1, "c1"))),
            ..JobState::default()
        };
        assert_eq!(standing(&green, true), Standing::Clear);
        assert_eq!(standing(&JobState::default(), false), Standing::Clear);
    }

    #[test]
    fn a_red_job_gone_from_its_runs_or_an_issue_without_runs_drifted() {
        let gone = JobState {
            latest: Some((Verdict::Failure, run(1, 1, "c1"))),
            missing: true,
            ..JobState::default()
        };
        assert_eq!(standing(&gone, false), Standing::Drifted);
        assert_eq!(standing(&JobState::default(), true), Standing::Drifted);
        // Gone from the newest run but green by an older one: clear.
        let green = JobState {
            latest: Some((Verdict::Success, run(1, 1, "c1"))),
            missing: true,
            ..JobState::default()
        };
        assert_eq!(standing(&green, false), Standing::Clear);
    }

    #[test]
    fn the_gate_fails_naming_the_first_blocking_issue() {
        let mut a = assessment("ci.yml", Some(tracked("ci.yml", 12)), at(72));
        a.overdue = true;
        let b = assessment("other.yml", None, at(72));
        let want = Some(GateStatus::Failing {
            description: "Deploys blocked: ci.yml past its deadline (#12)".into(),
            url: Some("https://github.com/acme/widgets/issues/12".into()),
        });
        assert_eq!(gate_status(&[a.clone(), b.clone()], None), want);
        assert_eq!(gate_status(&[a.clone()], Some("success")), want);
        // Failing already: nothing to write.
        assert_eq!(gate_status(&[a], Some("failure")), None);
        // A job red without an open issue has no link.
        assert_eq!(
            gate_status(&[b], Some("pending")),
            Some(GateStatus::Failing {
                description: "Deploys blocked: other.yml past its deadline".into(),
                url: None,
            })
        );
    }

    #[test]
    fn the_gate_passes_again_once_nothing_blocks() {
        assert_eq!(gate_status(&[], Some("failure")), Some(GateStatus::Passing));
        assert_eq!(gate_status(&[], Some("pending")), Some(GateStatus::Passing));
        assert_eq!(gate_status(&[], Some("success")), None);
        // Never a first status that only says all is well.
        assert_eq!(gate_status(&[], None), None);
    }
}
