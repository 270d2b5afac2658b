//! Webhook deliveries as the engine reads them: the event's name (the
//! `X-GitHub-Event` header, `$GITHUB_EVENT_NAME` in Actions) and its JSON
//! payload become one [`Event`] holding only the fields the engine reads.
//!
//! Reading takes two steps, in the order the engine needs them.
//! [`Webhook::read`] says whether the bot acts on the delivery at all, and
//! of which repository it is; it never fails, so an event of another
//! repository is ignored however malformed the rest. [`Webhook::event`]
//! then reads the event's own fields, and its error names the one missing
//! or wrong.
//!
//! The fields around the run are read as pointers into the JSON, not with
//! derived serde structs, because that is what the bot has always done: a
//! field of an unexpected type (an `action` that is a number, an issue
//! `number` that is a string) counts as absent, where a derived struct
//! would refuse the whole delivery, or read a struct out of an array. Only
//! the run of a `workflow_run` event is strict, since it is what the bot
//! acts on.

use std::fmt;

use serde_json::Value;

use crate::api::Run;

/// What the bot acts on, by the event's name and its `action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `workflow_run` `completed`.
    WorkflowRun,
    /// `deployment_protection_rule` `requested`.
    DeploymentProtectionRule,
    /// `issues`, one of the actions that can take an issue from the bot.
    Issues(IssuesAction),
}

/// The `issues` actions the bot hears of. (`opened` or `edited` are not
/// among them: nothing a person writes in an issue is state.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuesAction {
    Labeled,
    Unlabeled,
    Closed,
    Deleted,
    Transferred,
}

impl Kind {
    /// The kind of a delivery by its event's name and `action`; `None` for
    /// every delivery the bot answers and drops: `ping`, `push`, a
    /// `workflow_run` only `requested`, an issue `opened`.
    pub fn of(name: &str, action: Option<&str>) -> Option<Kind> {
        match (name, action?) {
            ("workflow_run", "completed") => Some(Kind::WorkflowRun),
            ("deployment_protection_rule", "requested") => Some(Kind::DeploymentProtectionRule),
            ("issues", "labeled") => Some(Kind::Issues(IssuesAction::Labeled)),
            ("issues", "unlabeled") => Some(Kind::Issues(IssuesAction::Unlabeled)),
            ("issues", "closed") => Some(Kind::Issues(IssuesAction::Closed)),
            ("issues", "deleted") => Some(Kind::Issues(IssuesAction::Deleted)),
            ("issues", "transferred") => Some(Kind::Issues(IssuesAction::Transferred)),
            _ => None,
        }
    }
}

/// One delivery the bot acts on, before its event's own fields are read.
#[derive(Clone, Copy, Debug)]
pub struct Webhook<'a> {
    pub kind: Kind,
    /// `repository.full_name`, when it is a string: an App installed on
    /// several repositories hears of them all.
    pub repository: Option<&'a str>,
    payload: &'a Value,
}

impl<'a> Webhook<'a> {
    /// The delivery, if the bot acts on it (see [`Kind::of`]).
    pub fn read(name: &str, payload: &'a Value) -> Option<Webhook<'a>> {
        let action = payload.get("action").and_then(Value::as_str);
        Some(Webhook {
            kind: Kind::of(name, action)?,
            repository: str_at(payload, "/repository/full_name"),
            payload,
        })
    }

    /// The event's own fields.
    pub fn event(&self) -> Result<Event, PayloadError> {
        let payload = self.payload;
        match self.kind {
            Kind::WorkflowRun => {
                let run: Run = serde_json::from_value(payload["workflow_run"].clone())
                    .map_err(PayloadError::NotARun)?;
                let workflow_path = workflow_path(&run, payload);
                Ok(Event::WorkflowRun(Box::new(WorkflowRun {
                    run,
                    workflow_path,
                })))
            }
            Kind::DeploymentProtectionRule => {
                let environment =
                    str_at(payload, "/environment").ok_or(PayloadError::Missing("environment"))?;
                let callback = str_at(payload, "/deployment_callback_url")
                    .ok_or(PayloadError::Missing("deployment_callback_url"))?;
                let run_id = run_id_of_callback(callback)
                    .ok_or_else(|| PayloadError::NoRunInCallback(callback.to_owned()))?;
                Ok(Event::DeploymentProtectionRule(DeploymentRequest {
                    environment: environment.to_owned(),
                    run_id,
                }))
            }
            Kind::Issues(action) => Ok(Event::Issues(IssueChange {
                action,
                number: payload.pointer("/issue/number").and_then(Value::as_u64),
                opened_by: str_at(payload, "/issue/user/login").map(str::to_owned),
            })),
        }
    }
}

/// A delivery the bot acts on, with the fields it reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    WorkflowRun(Box<WorkflowRun>),
    DeploymentProtectionRule(DeploymentRequest),
    Issues(IssueChange),
}

/// A `workflow_run` event: a run completed.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowRun {
    /// The run, as GitHub sent it: whether it counts (its repository, its
    /// trigger, its branch) is the engine's to decide.
    pub run: Run,
    /// See [`workflow_path`].
    pub workflow_path: String,
}

/// A `deployment_protection_rule` event: a deployment waits for an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeploymentRequest {
    pub environment: String,
    /// The run that deploys, from `deployment_callback_url`.
    pub run_id: u64,
}

/// An `issues` event that may concern one of the bot's issues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueChange {
    pub action: IssuesAction,
    /// `issue.number`.
    pub number: Option<u64>,
    /// `issue.user.login`: who opened the issue.
    pub opened_by: Option<String>,
}

/// What is wrong with a delivery the bot acts on. Each message is one line
/// and names the field.
#[derive(Debug)]
pub enum PayloadError {
    /// `workflow_run` is missing or not a run; the source names the field.
    NotARun(serde_json::Error),
    /// A field the event must have.
    Missing(&'static str),
    /// `deployment_callback_url`, which holds no run.
    NoRunInCallback(String),
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::NotARun(_) => {
                f.write_str("the event's `workflow_run` is not a workflow run")
            }
            PayloadError::Missing(field) => write!(f, "the event has no `{field}`"),
            PayloadError::NoRunInCallback(url) => write!(
                f,
                "`deployment_callback_url` names no workflow run: {}",
                cli_support::escape_controls(url)
            ),
        }
    }
}

impl std::error::Error for PayloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PayloadError::NotARun(e) => Some(e),
            PayloadError::Missing(_) | PayloadError::NoRunInCallback(_) => None,
        }
    }
}

/// The workflow file a `workflow_run` event's run belongs to: the run's
/// own `path`, else the event's `workflow.path`; empty when neither says.
pub fn workflow_path(run: &Run, payload: &Value) -> String {
    run.path
        .clone()
        .or_else(|| str_at(payload, "/workflow/path").map(str::to_owned))
        .unwrap_or_default()
}

/// `123` of `https://api.github.com/repos/o/r/actions/runs/123/deployment_protection_rule`.
fn run_id_of_callback(url: &str) -> Option<u64> {
    let rest = &url[url.find("/actions/runs/")? + "/actions/runs/".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn str_at<'a>(payload: &'a Value, pointer: &str) -> Option<&'a str> {
    payload.pointer(pointer).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run_json() -> Value {
        json!({
            "id": 42,
            "run_number": 7,
            "head_sha": "c2",
            "head_branch": "main",
            "conclusion": "failure",
            "event": "push",
            "head_repository": { "full_name": "acme/widgets" },
        })
    }

    fn event(name: &str, payload: &Value) -> Option<Result<Event, String>> {
        Webhook::read(name, payload).map(|w| {
            w.event()
                .map_err(|e| format!("{:#}", anyhow::Error::from(e)))
        })
    }

    #[test]
    fn kinds_by_name_and_action() {
        assert_eq!(
            Kind::of("workflow_run", Some("completed")),
            Some(Kind::WorkflowRun)
        );
        assert_eq!(Kind::of("workflow_run", Some("requested")), None);
        assert_eq!(Kind::of("workflow_run", Some("in_progress")), None);
        assert_eq!(
            Kind::of("deployment_protection_rule", Some("requested")),
            Some(Kind::DeploymentProtectionRule)
        );
        assert_eq!(
            Kind::of("issues", Some("transferred")),
            Some(Kind::Issues(IssuesAction::Transferred))
        );
        for (name, action) in [
            ("issues", Some("opened")),
            ("issues", Some("edited")),
            ("issue_comment", Some("created")),
            ("ping", None),
            ("push", None),
            ("workflow_run", None),
            // Names compare exactly, as GitHub sends them.
            ("Workflow_Run", Some("completed")),
            ("workflow_run", Some("Completed")),
        ] {
            assert_eq!(Kind::of(name, action), None, "{name} {action:?}");
        }
    }

    #[test]
    fn an_action_of_another_type_or_a_payload_not_an_object_is_not_acted_on() {
        assert!(Webhook::read("workflow_run", &json!({ "action": 1 })).is_none());
        assert!(Webhook::read("workflow_run", &json!(["completed"])).is_none());
        assert!(Webhook::read("workflow_run", &json!("completed")).is_none());
        assert!(Webhook::read("workflow_run", &json!(null)).is_none());
    }

    #[test]
    fn the_repository_is_read_before_anything_that_can_fail() {
        let p = json!({
            "action": "completed",
            "workflow_run": "not a run",
            "repository": { "full_name": "mallory/widgets" },
        });
        let w = Webhook::read("workflow_run", &p).unwrap();
        assert_eq!(w.repository, Some("mallory/widgets"));
        assert!(w.event().is_err());
        // Not a string, or not under an object: no repository is named.
        for repository in [
            json!({ "full_name": 5 }),
            json!(["mallory/widgets"]),
            json!("x"),
        ] {
            let p = json!({ "action": "completed", "repository": repository });
            assert_eq!(
                Webhook::read("workflow_run", &p).unwrap().repository,
                None,
                "{repository}"
            );
        }
    }

    #[test]
    fn a_workflow_run_event() {
        let p = json!({
            "action": "completed",
            "workflow_run": run_json(),
            "workflow": { "path": ".github/workflows/integration.yml" },
        });
        let Some(Ok(Event::WorkflowRun(e))) = event("workflow_run", &p) else {
            panic!("{:?}", event("workflow_run", &p));
        };
        assert_eq!(e.run.id, 42);
        assert_eq!(e.run.run_attempt, 1);
        assert_eq!(
            e.run.head_repository.as_ref().unwrap().full_name,
            "acme/widgets"
        );
        // The run's own path comes first.
        assert_eq!(e.workflow_path, ".github/workflows/integration.yml");
        let mut p = p;
        p["workflow_run"]["path"] = json!(".github/workflows/other.yml@refs/heads/main");
        let Some(Ok(Event::WorkflowRun(e))) = event("workflow_run", &p) else {
            panic!();
        };
        assert_eq!(
            e.workflow_path,
            ".github/workflows/other.yml@refs/heads/main"
        );
        p["workflow_run"]["path"] = json!(null);
        p["workflow"] = json!({ "path": 3 });
        let Some(Ok(Event::WorkflowRun(e))) = event("workflow_run", &p) else {
            panic!();
        };
        assert_eq!(e.workflow_path, "");
    }

    #[test]
    fn a_malformed_run_is_refused_naming_the_field() {
        let p = json!({ "action": "completed" });
        assert_eq!(
            event("workflow_run", &p),
            Some(Err(
                "the event's `workflow_run` is not a workflow run: invalid type: null, expected \
                 struct Run"
                    .to_owned()
            ))
        );
        let mut run = run_json();
        run.as_object_mut().unwrap().remove("head_sha");
        let p = json!({ "action": "completed", "workflow_run": run });
        assert_eq!(
            event("workflow_run", &p),
            Some(Err(
                "the event's `workflow_run` is not a workflow run: missing field `head_sha`"
                    .to_owned()
            ))
        );
        let mut run = run_json();
        run["id"] = json!("42\nforged line");
        let p = json!({ "action": "completed", "workflow_run": run });
        let err = event("workflow_run", &p).unwrap().unwrap_err();
        assert_eq!(err.lines().count(), 1, "{err}");
    }

    #[test]
    fn a_deployment_protection_rule_event() {
        let p = json!({
            "action": "requested",
            "environment": "production",
            "deployment_callback_url":
                "https://api.github.com/repos/o/r/actions/runs/4242/deployment_protection_rule",
        });
        assert_eq!(
            event("deployment_protection_rule", &p),
            Some(Ok(Event::DeploymentProtectionRule(DeploymentRequest {
                environment: "production".into(),
                run_id: 4242,
            })))
        );
    }

    #[test]
    fn a_deployment_request_without_its_fields_is_refused_naming_them() {
        let url = "https://api.github.com/repos/o/r/actions/runs/1/deployment_protection_rule";
        let cases = [
            (
                json!({ "action": "requested", "deployment_callback_url": url }),
                "the event has no `environment`",
            ),
            (
                json!({ "action": "requested", "environment": 5, "deployment_callback_url": url }),
                "the event has no `environment`",
            ),
            (
                json!({ "action": "requested", "environment": "production" }),
                "the event has no `deployment_callback_url`",
            ),
            (
                json!({
                    "action": "requested",
                    "environment": "production",
                    "deployment_callback_url": "https://api.github.com/repos/o/r",
                }),
                "`deployment_callback_url` names no workflow run: https://api.github.com/repos/o/r",
            ),
            (
                json!({
                    "action": "requested",
                    "environment": "production",
                    "deployment_callback_url": "https://x/actions/runs/\nforged",
                }),
                "`deployment_callback_url` names no workflow run: https://x/actions/runs/\\nforged",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(
                event("deployment_protection_rule", &p),
                Some(Err(want.to_owned())),
                "{p}"
            );
        }
    }

    #[test]
    fn an_issues_event_reads_what_it_can() {
        let p = json!({
            "action": "closed",
            "issue": { "number": 12, "user": { "login": "compliance-bot[bot]" } },
        });
        assert_eq!(
            event("issues", &p),
            Some(Ok(Event::Issues(IssueChange {
                action: IssuesAction::Closed,
                number: Some(12),
                opened_by: Some("compliance-bot[bot]".into()),
            })))
        );
        // Fields of another type are absent, never an error.
        let p = json!({ "action": "labeled", "issue": { "number": "12", "user": ["x"] } });
        assert_eq!(
            event("issues", &p),
            Some(Ok(Event::Issues(IssueChange {
                action: IssuesAction::Labeled,
                number: None,
                opened_by: None,
            })))
        );
    }

    #[test]
    fn callback_urls() {
        assert_eq!(
            run_id_of_callback(
                "https://api.github.com/repos/o/r/actions/runs/4242/deployment_protection_rule"
            ),
            Some(4242)
        );
        assert_eq!(run_id_of_callback("https://api.github.com/repos/o/r"), None);
    }
}
