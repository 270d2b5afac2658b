//! What `deferred-compliance serve` does with a webhook delivery before it
//! is stored and handled, all of it synchronous: the `X-Hub-Signature-256`
//! check, the body as JSON, `Engine::wants`, then the engine's first
//! steps on the payload: the typed `event::Event` read at the edge (the run
//! of a `workflow_run` event, its workflow's jobs in a fixed config, the
//! fields of the other events), whose errors are one line.
//!
//! The first byte picks the `X-GitHub-Event` name (`% 5`) and how the
//! delivery is signed (`/ 5 % 3`): correctly, with the body's first line
//! as the header (a fuzzed header), or not at all.
#![no_main]

use std::sync::OnceLock;

use ci_toolkit_fuzz::split_selector;
use deferred_compliance::api::Run;
use deferred_compliance::config::Config;
use deferred_compliance::engine::Engine;
use deferred_compliance::event::{Event, Webhook, workflow_path};
use deferred_compliance::signature::{WebhookSecret, sign};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const EVENTS: [&str; 5] = [
    "workflow_run",
    "deployment_protection_rule",
    "issues",
    "ping",
    "push",
];
const SECRET: &[u8] = b"It's a Secret to Everybody";

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        Config::parse(
            "repository = \"octo-org/octo-repo\"\n\
             [[job]]\nworkflow = \"build.yml\"\n\
             [[job]]\nworkflow = \"build.yml\"\njob = \"test\"\n",
        )
        .expect("the fuzz target's config parses")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((sel, rest)) = split_selector(data) else {
        return;
    };
    let event = EVENTS[usize::from(sel) % EVENTS.len()];
    let secret = WebhookSecret::new(SECRET);
    let body = match sel / 5 % 3 {
        0 => {
            let header = sign(SECRET, rest);
            assert!(secret.verify(Some(header.as_bytes()), rest).is_ok());
            rest
        }
        1 => {
            let (header, body) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b""[..]),
            };
            // A fuzzed header is accepted only if it is the signature (its
            // hex digits in either case: they decode to the same digest).
            let ok = secret.verify(Some(header), body).is_ok();
            assert_eq!(ok, header.eq_ignore_ascii_case(sign(SECRET, body).as_bytes()));
            if !ok {
                return;
            }
            body
        }
        _ => {
            assert!(secret.verify(None, rest).is_err());
            return;
        }
    };
    if event == "ping" {
        return;
    }
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if Engine::wants(event, &payload) != Webhook::read(event, &payload).is_some() {
        panic!("Engine::wants and Webhook::read disagree");
    }
    let Some(hook) = Webhook::read(event, &payload) else {
        return;
    };
    // The typed event, as the engine reads it; an error is one line.
    match hook.event() {
        Ok(Event::WorkflowRun(e)) => {
            let run = &e.run;
            let _ = run.finished_at();
            assert_eq!(e.workflow_path, workflow_path(run, &payload));
            let _ = config().jobs_of_workflow(&e.workflow_path).count();
            // What the store keeps and a retry reads back is the same run.
            let again: Run = serde_json::from_value(serde_json::to_value(run).unwrap())
                .expect("a run read back");
            assert_eq!(&again, run);
        }
        Ok(Event::DeploymentProtectionRule(_) | Event::Issues(_)) => {}
        Err(e) => assert!(!e.to_string().contains('\n'), "{e}"),
    }
});
