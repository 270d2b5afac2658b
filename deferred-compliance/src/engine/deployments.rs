//! The answers to the deployment protection rule: a deployment is rejected
//! while a job blocks deploys, approved otherwise, and the answer names
//! each blocking job with its deadline and issue.
//!
//! A request is answered when its `deployment_protection_rule` event
//! arrives, and again by `reconcile` for every deployment still waiting (a
//! lost delivery must not leave one hanging). Both always read every job's
//! runs, never the shortcut the commit status after one event takes.

use github_client as github;

use super::{Assessment, Engine, Pass};
use crate::issue::rfc3339;

/// Whether a deployment may go given the assessments that block deploys,
/// and the comment that says why.
fn answer(blocking: &[Assessment]) -> (bool, String) {
    if blocking.is_empty() {
        return (true, "No deferred job is past its deadline.".to_owned());
    }
    let list: Vec<String> = blocking
        .iter()
        .map(|a| {
            format!(
                "{} is failing past its deadline {}{}",
                a.job,
                rfc3339(a.deadline),
                a.tracked
                    .as_ref()
                    .map(|t| format!(" ({})", t.url()))
                    .unwrap_or_default()
            )
        })
        .collect();
    (
        false,
        format!(
            "Deploys are blocked by deferred compliance: {}",
            list.join("; ")
        ),
    )
}

impl Engine {
    /// Answers the deployments waiting on the protection rule, so that a
    /// lost `deployment_protection_rule` delivery does not leave one
    /// hanging. Only an App can answer; with a token this does nothing.
    pub(super) async fn answer_waiting(&self, pass: &mut Pass) -> anyhow::Result<()> {
        if !self.api.gh.is_app() {
            return Ok(());
        }
        for run in self.api.waiting_runs().await? {
            for environment in self.api.pending_environments(run.id).await? {
                self.answer_deployment(pass, run.id, &environment).await?;
            }
        }
        Ok(())
    }

    /// Approves a run's deployment to an environment, or rejects it while a
    /// job blocks deploys.
    pub(super) async fn answer_deployment(
        &self,
        pass: &mut Pass,
        run_id: u64,
        environment: &str,
    ) -> anyhow::Result<()> {
        let blocking: Vec<Assessment> = self
            .assess_all(pass, true)
            .await?
            .into_iter()
            .filter(Assessment::blocks)
            .collect();
        let (approve, comment) = answer(&blocking);
        match self
            .api
            .review_deployment(run_id, environment, approve, &comment)
            .await
        {
            Ok(()) => {}
            // Answered before (a repeated pass after a crash).
            Err(e) if github::status_of(e.as_ref()) == Some(422) => {}
            Err(e) => return Err(e),
        }
        pass.act(
            "-",
            None,
            format!(
                "{} the deployment to {environment} (run {run_id})",
                if approve { "approved" } else { "rejected" }
            ),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assessment, at, tracked};
    use super::*;

    #[test]
    fn a_deployment_goes_when_nothing_blocks() {
        assert_eq!(
            answer(&[]),
            (true, "No deferred job is past its deadline.".to_owned())
        );
    }

    #[test]
    fn a_deployment_is_rejected_naming_every_blocking_job() {
        let a = assessment("ci.yml", Some(tracked("ci.yml", 12)), at(72));
        let b = assessment("nightly.yml", None, at(80));
        assert_eq!(
            answer(&[a, b]),
            (
                false,
                "Deploys are blocked by deferred compliance: ci.yml is failing past its deadline \
                 2026-11-23T10:00:00Z (https://github.com/acme/widgets/issues/12); nightly.yml \
                 is failing past its deadline 2026-11-23T18:00:00Z"
                    .to_owned()
            )
        );
    }
}
