//! The webhook deliveries GitHub is asked to send again: those of the last
//! `redeliver_within` that never got a 2xx (the server was down, its disk
//! full), for the events the bot acts on, at most three attempts each. Only
//! an App can ask; with a token there is nothing to do.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Engine, Pass};
use crate::api::HookDelivery;
use crate::event::{IssuesAction, Kind};

/// Attempts of one delivery (by GUID) after which it is not asked again.
const MAX_ATTEMPTS: usize = 3;

/// What to do about one delivery, from all its attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Redelivery {
    /// Not an event worth a second delivery, or one attempt got a 2xx or
    /// is still under way.
    Settled,
    /// Failed `MAX_ATTEMPTS` times or more: said once, not asked again.
    GaveUp,
    /// Asked again, as the newest attempt (its id) that got this status.
    Ask { id: u64, status: u16 },
}

/// `tries` are the attempts of one delivery, the first the original.
fn redelivery(tries: &[&HookDelivery]) -> Redelivery {
    let first = tries[0];
    let wanted = matches!(
        Kind::of(&first.event, first.action.as_deref()),
        Some(
            Kind::WorkflowRun
                | Kind::DeploymentProtectionRule
                | Kind::Issues(IssuesAction::Labeled | IssuesAction::Unlabeled)
        )
    );
    // 0: an attempt GitHub has not finished yet.
    let settled = tries
        .iter()
        .any(|d| (200..300).contains(&d.status_code) || d.status_code == 0);
    if !wanted || settled {
        return Redelivery::Settled;
    }
    if tries.len() >= MAX_ATTEMPTS {
        return Redelivery::GaveUp;
    }
    let newest = tries
        .iter()
        .max_by_key(|d| (d.delivered_at, d.id))
        .expect("a group is never empty");
    Redelivery::Ask {
        id: newest.id,
        status: newest.status_code,
    }
}

impl Engine {
    /// Asks GitHub to redeliver the App's webhook deliveries of the last
    /// `redeliver_within` that never got a 2xx (see [`redelivery`]).
    pub(super) async fn redeliver_missed(&self, pass: &mut Pass) -> anyhow::Result<()> {
        let window =
            chrono::Duration::from_std(self.cfg.redeliver_within).unwrap_or(chrono::Duration::MAX);
        if window.is_zero() {
            return Ok(());
        }
        let since = pass
            .now
            .checked_sub_signed(window)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let Some(deliveries) = self.api.hook_deliveries(since).await? else {
            return Ok(());
        };
        let mut by_guid: BTreeMap<&str, Vec<&HookDelivery>> = BTreeMap::new();
        for d in &deliveries {
            by_guid.entry(d.guid.as_str()).or_default().push(d);
        }
        for (guid, tries) in by_guid {
            let event = &tries[0].event;
            match redelivery(&tries) {
                Redelivery::Settled => {}
                Redelivery::GaveUp => pass.warn(format!(
                    "delivery {guid} ({event}) failed {} times; not asked again",
                    tries.len()
                )),
                Redelivery::Ask { id, status } => {
                    self.api.redeliver(id).await?;
                    pass.act(
                        "-",
                        None,
                        format!(
                            "asked GitHub to redeliver {event} delivery {guid} (it got HTTP \
                             {status})"
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::at;
    use super::*;

    fn attempt(id: u64, event: &str, action: &str, hours: i64, status: u16) -> HookDelivery {
        HookDelivery {
            id,
            guid: "g1".into(),
            delivered_at: at(hours),
            redelivery: id > 1,
            status_code: status,
            event: event.into(),
            action: Some(action.into()),
            repository_id: None,
        }
    }

    #[test]
    fn a_failed_delivery_is_asked_again_as_its_newest_attempt() {
        let a = attempt(1, "workflow_run", "completed", 0, 502);
        let b = attempt(2, "workflow_run", "completed", 1, 500);
        assert_eq!(redelivery(&[&a]), Redelivery::Ask { id: 1, status: 502 });
        assert_eq!(
            redelivery(&[&a, &b]),
            Redelivery::Ask { id: 2, status: 500 }
        );
        assert_eq!(
            redelivery(&[&b, &a]),
            Redelivery::Ask { id: 2, status: 500 }
        );
    }

    #[test]
    fn a_delivery_answered_once_or_under_way_is_settled() {
        let a = attempt(1, "workflow_run", "completed", 0, 502);
        let ok = attempt(2, "workflow_run", "completed", 1, 202);
        let pending = attempt(3, "workflow_run", "completed", 2, 0);
        assert_eq!(redelivery(&[&a, &ok]), Redelivery::Settled);
        assert_eq!(redelivery(&[&a, &pending]), Redelivery::Settled);
    }

    #[test]
    fn three_failed_attempts_are_given_up() {
        let tries: Vec<HookDelivery> = (1..=3)
            .map(|i| attempt(i, "deployment_protection_rule", "requested", i as i64, 500))
            .collect();
        let tries: Vec<&HookDelivery> = tries.iter().collect();
        assert_eq!(redelivery(&tries), Redelivery::GaveUp);
        assert_eq!(
            redelivery(&tries[..2]),
            Redelivery::Ask { id: 2, status: 500 }
        );
    }

    #[test]
    fn only_events_the_bot_acts_on_are_asked_again() {
        for (event, action) in [("issues", "labeled"), ("issues", "unlabeled")] {
            let a = attempt(1, event, action, 0, 500);
            assert_eq!(redelivery(&[&a]), Redelivery::Ask { id: 1, status: 500 });
        }
        for (event, action) in [
            ("issues", "closed"),
            ("issues", "deleted"),
            ("issues", "opened"),
            ("workflow_run", "requested"),
            ("push", "completed"),
            ("ping", ""),
        ] {
            let a = attempt(1, event, action, 0, 500);
            assert_eq!(redelivery(&[&a]), Redelivery::Settled, "{event} {action}");
        }
    }
}
