//! What the workflow runs say of a job, and what its issue does about it.
//!
//! Only trusted runs count: of the repository itself, on the branch,
//! triggered by one of the configured events. A pull request from a fork
//! whose branch is named `main` is not `main`, however its run is named.
//! Of those, the latest decisive run (by commit order, then by number)
//! decides: a failure opens the job's issue or comments "failed again" on
//! it, a success of a later run or attempt closes it.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use github_client as github;

use super::{Engine, Pass};
use crate::api::{JobRun, Run};
use crate::config::{Config, JobSpec};
use crate::event::WorkflowRun;
use crate::issue::{Marker, short, utc};

/// What a run concluded, for one deferred job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    Failure,
    Success,
}

fn verdict(conclusion: Option<&str>) -> Option<Verdict> {
    match conclusion? {
        "failure" | "timed_out" => Some(Verdict::Failure),
        "success" => Some(Verdict::Success),
        // cancelled, skipped, neutral, stale, action_required: no news.
        _ => None,
    }
}

/// What the trusted runs say of one job.
#[derive(Clone, Debug, Default)]
pub(super) struct JobState {
    /// The latest decisive run and its verdict.
    pub(super) latest: Option<(Verdict, Run)>,
    pub(super) last_success: Option<Run>,
    /// When the first failing run of the current red streak finished.
    pub(super) streak_start: Option<DateTime<Utc>>,
    /// The job is not in the workflow's latest run: renamed or removed.
    pub(super) missing: bool,
}

impl JobState {
    /// Whether a marker belongs to the current red streak: its run came
    /// after the job's last success (every marker does, if none).
    pub(super) fn in_streak(&self, m: &Marker) -> bool {
        self.last_success
            .as_ref()
            .is_none_or(|s| m.run_number > s.run_number)
    }
}

/// What a run must be to count.
pub(super) struct Trust<'a> {
    /// `OWNER/NAME`, compared without case.
    pub(super) repository: String,
    /// The triggering events that count (`events`).
    pub(super) events: &'a [String],
    pub(super) branch: &'a str,
}

impl Trust<'_> {
    pub(super) fn of(cfg: &Config) -> Trust<'_> {
        Trust {
            repository: cfg.repository.to_string(),
            events: &cfg.events,
            branch: &cfg.branch,
        }
    }

    /// Why a run does not count, if it does not: only runs of the
    /// repository itself, on the branch, triggered by a trusted event. A
    /// pull request from a fork whose branch is named `main` is not `main`.
    pub(super) fn distrust(&self, r: &Run) -> Option<String> {
        let repo = &self.repository;
        match &r.head_repository {
            Some(h) if h.full_name.eq_ignore_ascii_case(repo) => {}
            Some(h) => {
                return Some(format!(
                    "its commit comes from {}, not {repo}",
                    crate::text::markdown(&h.full_name)
                ));
            }
            None => return Some("it names no head repository".to_owned()),
        }
        match r.event.as_deref() {
            Some(e) if self.events.iter().any(|x| x == e) => {}
            Some(e) => {
                return Some(format!(
                    "it was triggered by `{}`, and only {} runs count (`events`)",
                    crate::text::markdown(e),
                    self.events.join(", ")
                ));
            }
            None => return Some("it names no triggering event".to_owned()),
        }
        if r.head_branch.as_deref() != Some(self.branch) {
            return Some(format!(
                "it ran on {}, not {}",
                r.head_branch
                    .as_deref()
                    .map_or("no branch".to_owned(), crate::text::markdown),
                self.branch
            ));
        }
        None
    }
}

/// The runs that count for a job, newest first by number: the listed ones,
/// with an event's run in place of an older attempt of it in the list (or
/// added), less those not trusted or not completed.
fn trusted_runs(mut runs: Vec<Run>, event_run: Option<&Run>, trust: &Trust, key: &str) -> Vec<Run> {
    if let Some(r) = event_run {
        match runs.iter_mut().find(|x| x.id == r.id) {
            Some(x) if x.run_attempt < r.run_attempt => *x = r.clone(),
            Some(_) => {}
            None => runs.push(r.clone()),
        }
    }
    runs.retain(|r| {
        if let Some(why) = trust.distrust(r) {
            tracing::debug!("{key}: ignored run #{}: {why}", r.run_number);
            return false;
        }
        r.status.as_deref().is_none_or(|s| s == "completed")
    });
    runs.sort_by_key(|r| Reverse((r.run_number, r.run_attempt, r.id)));
    runs
}

/// A job's runs met newest first: the newest failure and the newest
/// success by run number (which of the two is the newer is then decided by
/// commit order), and the failures newer than that success, the red
/// streak.
#[derive(Debug, Default)]
struct Scan {
    failure: Option<Run>,
    success: Option<Run>,
    streak: Vec<Run>,
    /// The newest run does not have the job.
    missing: bool,
    seen: usize,
}

impl Scan {
    /// Both are found: older runs change nothing.
    fn done(&self) -> bool {
        self.failure.is_some() && self.success.is_some()
    }

    /// The next older run: whether it has the job, and its verdict.
    fn add(&mut self, r: &Run, present: bool, v: Option<Verdict>) {
        if self.seen == 0 && !present {
            self.missing = true;
        }
        self.seen += 1;
        let Some(v) = v else {
            return;
        };
        if v == Verdict::Failure && self.success.is_none() {
            self.streak.push(r.clone());
        }
        match v {
            Verdict::Failure if self.failure.is_none() => self.failure = Some(r.clone()),
            Verdict::Success if self.success.is_none() => self.success = Some(r.clone()),
            _ => {}
        }
    }

    /// When the red streak that `latest`, the latest failure, belongs to
    /// began: its first failing run's end. Past the newest failure and
    /// success the streak goes on as long as the runs keep failing; a
    /// failure older by number than the newest success, yet newer by
    /// commit, starts a streak of its own.
    fn streak_start(&self, latest: &Run) -> Option<DateTime<Utc>> {
        if self.streak.is_empty() {
            return latest.finished_at();
        }
        self.streak.iter().filter_map(Run::finished_at).min()
    }
}

/// What a run concluded for the named job, from the run's jobs, and
/// whether the run has the job at all. A matrix job `name (x, y)` counts as
/// `name`: one failing leg fails it, and it passes when all legs pass.
fn job_verdict(name: &str, jobs: &[JobRun]) -> (bool, Option<Verdict>) {
    let mine: Vec<_> = jobs
        .iter()
        .filter(|j| {
            j.name == *name
                || j.name
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(" ("))
        })
        .collect();
    if mine.is_empty() {
        return (false, None);
    }
    let vs: Vec<Option<Verdict>> = mine
        .iter()
        .map(|j| verdict(j.conclusion.as_deref()))
        .collect();
    let v = if vs.contains(&Some(Verdict::Failure)) {
        Some(Verdict::Failure)
    } else if vs.iter().all(|v| *v == Some(Verdict::Success)) {
        Some(Verdict::Success)
    } else {
        None
    };
    (true, v)
}

/// Whether run `a` is newer than run `b`, given how `a`'s commit compares
/// with `b`'s (`None`: the same commit, or one GitHub no longer knows): by
/// commit order when one descends from the other, else by run number and
/// attempt.
fn newer_given(a: &Run, b: &Run, comparison: Option<&str>) -> bool {
    match comparison {
        Some("ahead") => true,
        Some("behind") => false,
        _ => (a.run_number, a.run_attempt) > (b.run_number, b.run_attempt),
    }
}

/// Whether a failing run is news for the issue its marker opened: another
/// run, or a later attempt of the same one, and no older than the run that
/// opened it.
fn failed_again(f: &Run, m: &Marker) -> bool {
    let same = f.id == m.run_id && f.run_attempt <= m.run_attempt;
    !same && f.run_number >= m.run_number
}

/// Whether a failing run's failed jobs are re-run once before an issue is
/// filed (`rerun` jobs, on a first attempt).
fn rerun_first(spec: &JobSpec, f: &Run) -> bool {
    spec.rerun && f.run_attempt < 2
}

impl Engine {
    /// A `workflow_run` event: the jobs of its workflow brought in line
    /// with the run, unless the run does not count.
    pub(super) async fn on_workflow_run(
        &self,
        pass: &mut Pass,
        e: &WorkflowRun,
    ) -> anyhow::Result<()> {
        let run = &e.run;
        let specs: Vec<&JobSpec> = self.cfg.jobs_of_workflow(&e.workflow_path).collect();
        if specs.is_empty() {
            return Ok(());
        }
        if let Some(why) = Trust::of(&self.cfg).distrust(run) {
            let keys: Vec<String> = specs.iter().map(|s| s.key()).collect();
            tracing::info!("ignored run #{}: {why}", run.run_number);
            pass.act(
                &keys.join(", "),
                None,
                format!("ignored run #{}: {why}", run.run_number),
            );
            return Ok(());
        }
        for spec in specs {
            self.sync_job(pass, spec, Some(run)).await?;
        }
        self.sync_gate(pass).await
    }

    /// What the trusted runs say of a job, read once per pass (and again
    /// with an event's run, which may be newer than the list).
    pub(super) async fn job_state(
        &self,
        pass: &mut Pass,
        spec: &JobSpec,
        event_run: Option<&Run>,
    ) -> anyhow::Result<JobState> {
        let key = spec.key();
        if event_run.is_none()
            && let Some(s) = pass.states.get(&key)
        {
            return Ok(s.clone());
        }
        let listed = self
            .api
            .recent_runs(&spec.workflow, &self.cfg.branch)
            .await?;
        let runs = trusted_runs(listed, event_run, &Trust::of(&self.cfg), &key);
        let mut scan = Scan::default();
        for r in &runs {
            if scan.done() {
                break;
            }
            let (present, v) = self.verdict_of(spec, r).await?;
            scan.add(r, present, v);
        }
        let latest = match (scan.failure.clone(), scan.success.clone()) {
            (Some(f), Some(s)) => {
                if self.newer(&s, &f).await? {
                    Some((Verdict::Success, s))
                } else {
                    Some((Verdict::Failure, f))
                }
            }
            (Some(f), None) => Some((Verdict::Failure, f)),
            (None, Some(s)) => Some((Verdict::Success, s)),
            (None, None) => None,
        };
        let mut state = JobState {
            latest,
            last_success: scan.success.clone(),
            streak_start: None,
            missing: scan.missing,
        };
        if let Some((Verdict::Failure, f)) = &state.latest {
            state.streak_start = scan.streak_start(f);
            let deadline = self.streak_deadline(pass, &key, &state);
            pass.deadlines.insert(key.clone(), deadline);
        } else {
            pass.deadlines.remove(&key);
        }
        pass.states.insert(key, state.clone());
        Ok(state)
    }

    /// Brings one job's issue in line with its latest decisive run.
    pub(super) async fn sync_job(
        &self,
        pass: &mut Pass,
        spec: &JobSpec,
        event_run: Option<&Run>,
    ) -> anyhow::Result<()> {
        let key = spec.key();
        let state = self.job_state(pass, spec, event_run).await?;
        let open = pass.tracked_for(&key);
        match (state.latest.clone(), open) {
            (Some((Verdict::Failure, f)), Some(t)) => {
                let number = t.issue.number;
                if failed_again(&f, &t.marker) {
                    let deadline = pass
                        .deadlines
                        .get(&key)
                        .copied()
                        .unwrap_or(t.marker.deadline);
                    let text = format!(
                        "The job failed again: [run #{}]({}) on `{}`. The deadline stays {}.",
                        f.run_number,
                        f.html_url.as_deref().unwrap_or(""),
                        short(&f.head_sha),
                        utc(deadline.min(t.marker.deadline))
                    );
                    let k = format!("failed-again:{}:{}", f.id, f.run_attempt);
                    if self.ensure_comment(pass, number, &k, &text).await? {
                        pass.act(
                            &key,
                            Some(number),
                            format!("commented: failed again in run #{}", f.run_number),
                        );
                    }
                }
                self.check_timers(pass, &t).await?;
            }
            (Some((Verdict::Failure, f)), None) => {
                if rerun_first(spec, &f) {
                    match self.api.rerun_failed_jobs(f.id).await {
                        Ok(()) => pass.act(
                            &key,
                            None,
                            format!(
                                "re-running the failed jobs of run #{} before filing",
                                f.run_number
                            ),
                        ),
                        // Already re-running: the re-run's own event follows.
                        Err(e) if github::status_of(e.as_ref()) == Some(403) => pass.act(
                            &key,
                            None,
                            format!("run #{} is being re-run already", f.run_number),
                        ),
                        Err(e) => return Err(e),
                    }
                    return Ok(());
                }
                let carried = self.continued(pass, &key, &state).await?;
                let t = self.open_issue(pass, spec, &f, &state, carried).await?;
                self.check_timers(pass, &t).await?;
            }
            (Some((Verdict::Success, s)), Some(t)) => {
                if self.heals(&s, &t.marker).await? {
                    self.close_issue(pass, &t, &s).await?;
                } else {
                    pass.act(
                        &key,
                        Some(t.issue.number),
                        format!(
                            "ignored: the success of run #{} is older than the failure of run #{}",
                            s.run_number, t.marker.run_number
                        ),
                    );
                    self.check_timers(pass, &t).await?;
                }
            }
            (Some((Verdict::Success, _)), None) | (None, None) => {}
            (None, Some(t)) => self.check_timers(pass, &t).await?,
        }
        Ok(())
    }

    /// Whether a green run comes after the failure a marker records: a
    /// later attempt of the same run, or a newer run.
    async fn heals(&self, s: &Run, m: &Marker) -> anyhow::Result<bool> {
        if s.id == m.run_id {
            return Ok(s.run_attempt > m.run_attempt);
        }
        let opened_by = Run {
            id: m.run_id,
            run_number: m.run_number,
            run_attempt: m.run_attempt,
            head_sha: m.sha.clone(),
            ..s.clone()
        };
        self.newer(s, &opened_by).await
    }

    /// What a run concluded for the job: the whole run's conclusion, or
    /// that of the named job (see [`job_verdict`]). Also whether the run
    /// has the job at all.
    async fn verdict_of(
        &self,
        spec: &JobSpec,
        run: &Run,
    ) -> anyhow::Result<(bool, Option<Verdict>)> {
        let Some(name) = &spec.job else {
            return Ok((true, verdict(run.conclusion.as_deref())));
        };
        let jobs = self.api.jobs(run.id).await?;
        Ok(job_verdict(name, &jobs))
    }

    /// Whether run `a` is newer than run `b` (see [`newer_given`]), asking
    /// GitHub how their commits compare when they differ.
    async fn newer(&self, a: &Run, b: &Run) -> anyhow::Result<bool> {
        if a.head_sha == b.head_sha {
            return Ok(newer_given(a, b, None));
        }
        let comparison = match self.api.compare(&b.head_sha, &a.head_sha).await {
            Ok(s) => Some(s),
            // A commit force-pushed away: only the numbers are left.
            Err(e) if matches!(github::status_of(e.as_ref()), Some(404 | 422)) => None,
            Err(e) => return Err(e),
        };
        Ok(newer_given(a, b, comparison.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{marker, run};
    use super::*;

    fn trust(events: &[String]) -> Trust<'_> {
        Trust {
            repository: "acme/widgets".into(),
            events,
            branch: "main",
        }
    }

    fn push_events() -> Vec<String> {
        vec!["push".to_owned(), "schedule".to_owned()]
    }

    fn job(name: &str, conclusion: &str) -> JobRun {
        JobRun {
            name: name.into(),
            conclusion: Some(conclusion.into()),
            html_url: None,
        }
    }

    #[test]
    fn conclusions() {
        assert_eq!(verdict(Some("failure")), Some(Verdict::Failure));
        assert_eq!(verdict(Some("timed_out")), Some(Verdict::Failure));
        assert_eq!(verdict(Some("success")), Some(Verdict::Success));
        for other in [
            "cancelled",
            "skipped",
            "neutral",
            "stale",
            "action_required",
        ] {
            assert_eq!(verdict(Some(other)), None, "{other}");
        }
        assert_eq!(verdict(None), None);
    }

    #[test]
    fn a_push_run_of_the_repository_on_main_counts() {
        let events = push_events();
        assert_eq!(trust(&events).distrust(&run(1, 1, "c1")), None);
        // Repository names compare without case.
        let mut r = run(1, 1, "c1");
        r.head_repository.as_mut().unwrap().full_name = "Acme/Widgets".into();
        assert_eq!(trust(&events).distrust(&r), None);
    }

    #[test]
    fn a_fork_pull_request_on_a_branch_named_main_does_not_count() {
        let events = push_events();
        let mut r = run(1, 1, "f1");
        r.head_repository.as_mut().unwrap().full_name = "mallory/widgets".into();
        r.event = Some("pull_request".into());
        assert_eq!(r.head_branch.as_deref(), Some("main"));
        assert_eq!(
            trust(&events).distrust(&r).as_deref(),
            Some("its commit comes from mallory/widgets, not acme/widgets")
        );
        // Even when the fork's run claims a trusted event.
        r.event = Some("push".into());
        assert!(trust(&events).distrust(&r).is_some());
        // A run naming no head repository is not trusted either.
        r.head_repository = None;
        assert_eq!(
            trust(&events).distrust(&r).as_deref(),
            Some("it names no head repository")
        );
    }

    #[test]
    fn a_run_of_the_repository_counts_only_from_a_trusted_event_on_the_branch() {
        let events = push_events();
        let mut r = run(1, 1, "c6");
        r.event = Some("pull_request_target".into());
        assert_eq!(
            trust(&events).distrust(&r).as_deref(),
            Some(
                "it was triggered by `pull\\_request\\_target`, and only push, schedule runs \
                 count (`events`)"
            )
        );
        r.event = None;
        assert_eq!(
            trust(&events).distrust(&r).as_deref(),
            Some("it names no triggering event")
        );
        let mut r = run(1, 1, "c6");
        r.head_branch = Some("main-*hotfix*".into());
        assert_eq!(
            trust(&events).distrust(&r).as_deref(),
            Some("it ran on main-\\*hotfix\\*, not main")
        );
        // Branch names compare exactly.
        r.head_branch = Some("Main".into());
        assert!(trust(&events).distrust(&r).is_some());
        r.head_branch = None;
        assert_eq!(
            trust(&events).distrust(&r).as_deref(),
            Some("it ran on no branch, not main")
        );
    }

    #[test]
    fn trusted_runs_take_the_events_later_attempt_and_drop_the_rest() {
        let events = push_events();
        let mut fork = run(3, 3, "f1");
        fork.head_repository.as_mut().unwrap().full_name = "mallory/widgets".into();
        let mut running = run(4, 4, "c4");
        running.status = Some("in_progress".into());
        let listed = vec![run(1, 1, "c1"), run(2, 2, "c2"), fork, running];
        let mut again = run(2, 2, "c2");
        again.run_attempt = 2;
        let out = trusted_runs(listed.clone(), Some(&again), &trust(&events), "k");
        let ids: Vec<(u64, u64)> = out.iter().map(|r| (r.id, r.run_attempt)).collect();
        assert_eq!(ids, [(2, 2), (1, 1)]);
        // An older attempt than the listed one changes nothing; a run not
        // listed yet is added.
        let out = trusted_runs(listed.clone(), Some(&run(2, 2, "c2")), &trust(&events), "k");
        assert_eq!(out.len(), 2);
        let out = trusted_runs(listed, Some(&run(9, 9, "c6")), &trust(&events), "k");
        let ids: Vec<u64> = out.iter().map(|r| r.id).collect();
        assert_eq!(ids, [9, 2, 1]);
    }

    #[test]
    fn the_red_streak_is_the_failures_newer_than_the_newest_success() {
        let rs = [
            run(5, 5, "c5"),
            run(4, 4, "c4"),
            run(3, 3, "c3"),
            run(2, 2, "c2"),
        ];
        let verdicts = [
            Some(Verdict::Failure),
            None,
            Some(Verdict::Failure),
            Some(Verdict::Success),
        ];
        let mut scan = Scan::default();
        for (r, v) in rs.iter().zip(verdicts) {
            assert!(!scan.done());
            scan.add(r, true, v);
        }
        assert!(scan.done());
        assert_eq!(scan.failure.as_ref().map(|r| r.id), Some(5));
        assert_eq!(scan.success.as_ref().map(|r| r.id), Some(2));
        let streak: Vec<u64> = scan.streak.iter().map(|r| r.id).collect();
        assert_eq!(streak, [5, 3]);
        assert!(!scan.missing);
        // The streak began when its first failing run finished.
        assert_eq!(
            scan.streak_start(&rs[0]),
            rs[2].finished_at(),
            "{:?}",
            scan.streak
        );
    }

    #[test]
    fn a_job_gone_from_the_newest_run_is_missing() {
        let mut scan = Scan::default();
        scan.add(&run(5, 5, "c5"), false, None);
        scan.add(&run(4, 4, "c4"), true, Some(Verdict::Failure));
        assert!(scan.missing);
        assert_eq!(scan.failure.as_ref().map(|r| r.id), Some(4));
        // Gone from an older run only: not missing.
        let mut scan = Scan::default();
        scan.add(&run(5, 5, "c5"), true, Some(Verdict::Failure));
        scan.add(&run(4, 4, "c4"), false, None);
        assert!(!scan.missing);
    }

    #[test]
    fn a_failure_newer_by_commit_than_the_newest_success_starts_its_own_streak() {
        let mut scan = Scan::default();
        let success = run(6, 6, "c3");
        let failure = run(5, 5, "c5");
        scan.add(&success, true, Some(Verdict::Success));
        scan.add(&failure, true, Some(Verdict::Failure));
        assert!(scan.streak.is_empty());
        assert_eq!(scan.streak_start(&failure), failure.finished_at());
    }

    #[test]
    fn a_named_job_counts_its_matrix_legs_and_nothing_else() {
        let jobs = [
            job("test (linux)", "success"),
            job("test (macos)", "failure"),
            job("test-extra", "success"),
            job("lint", "success"),
        ];
        assert_eq!(job_verdict("test", &jobs), (true, Some(Verdict::Failure)));
        assert_eq!(job_verdict("lint", &jobs), (true, Some(Verdict::Success)));
        assert_eq!(
            job_verdict("test-extra", &jobs),
            (true, Some(Verdict::Success))
        );
        // A prefix without the matrix's ` (` is another job.
        assert_eq!(job_verdict("test-ext", &jobs), (false, None));
        assert_eq!(job_verdict("build", &jobs), (false, None));
        // A cancelled leg and a green one: no news.
        let jobs = [job("test (a)", "cancelled"), job("test (b)", "success")];
        assert_eq!(job_verdict("test", &jobs), (true, None));
    }

    #[test]
    fn runs_are_ordered_by_commit_before_numbers() {
        let older_commit_rerun_later = run(9, 9, "c2");
        let newer_commit = run(8, 8, "c5");
        assert!(!newer_given(
            &older_commit_rerun_later,
            &newer_commit,
            Some("behind")
        ));
        assert!(newer_given(
            &newer_commit,
            &older_commit_rerun_later,
            Some("ahead")
        ));
        // Diverged, or a commit force-pushed away: by number and attempt.
        assert!(newer_given(
            &older_commit_rerun_later,
            &newer_commit,
            Some("diverged")
        ));
        assert!(newer_given(&older_commit_rerun_later, &newer_commit, None));
        let mut second = run(8, 8, "c5");
        second.run_attempt = 2;
        assert!(newer_given(&second, &newer_commit, None));
        assert!(!newer_given(&newer_commit, &newer_commit, None));
    }

    #[test]
    fn a_failure_is_news_once_per_run_and_attempt_and_never_from_an_older_run() {
        let m = marker("integration.yml", 10, 10, 1);
        // The run that opened the issue, delivered again.
        assert!(!failed_again(&run(10, 10, "c2"), &m));
        // Its second attempt fails too.
        let mut second = run(10, 10, "c2");
        second.run_attempt = 2;
        assert!(failed_again(&second, &m));
        // A newer run.
        assert!(failed_again(&run(11, 11, "c3"), &m));
        // An older run, arriving late.
        assert!(!failed_again(&run(9, 9, "c1"), &m));
    }

    #[test]
    fn failed_jobs_are_rerun_once_when_configured() {
        let mut spec = JobSpec {
            workflow: "integration.yml".into(),
            job: None,
            rerun: false,
        };
        assert!(!rerun_first(&spec, &run(1, 1, "c1")));
        spec.rerun = true;
        assert!(rerun_first(&spec, &run(1, 1, "c1")));
        let mut second = run(1, 1, "c1");
        second.run_attempt = 2;
        assert!(!rerun_first(&spec, &second));
    }

    #[test]
    fn a_marker_is_in_the_streak_when_its_run_came_after_the_last_success() {
        let mut state = JobState::default();
        let m = marker("integration.yml", 10, 10, 1);
        assert!(state.in_streak(&m));
        state.last_success = Some(run(9, 9, "c1"));
        assert!(state.in_streak(&m));
        state.last_success = Some(run(10, 10, "c1"));
        assert!(!state.in_streak(&m));
    }
}
