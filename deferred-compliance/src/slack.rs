//! Slack warnings through an incoming webhook (`SLACK_WEBHOOK_URL`).
//!
//! The webhook URL is a secret (its path is the credential): it never
//! appears in logs or errors. Requests go through octocrab's HTTP stack
//! (the one the GitHub client uses, so no second TLS client is built) with
//! no GitHub credentials attached.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use anyhow::{Context, bail};
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde_json::json;

pub(crate) const WEBHOOK_VAR: &str = "SLACK_WEBHOOK_URL";

pub struct Slack {
    crab: Octocrab,
    path: String,
}

impl fmt::Debug for Slack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Slack(***)")
    }
}

impl Slack {
    /// `SLACK_WEBHOOK_URL`, or `None` when it is unset or empty. Must be
    /// called inside a tokio runtime.
    pub fn from_env() -> anyhow::Result<Option<Slack>> {
        match std::env::var(WEBHOOK_VAR) {
            Ok(u) if !u.trim().is_empty() => Slack::new(u.trim()).map(Some),
            Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => bail!("{WEBHOOK_VAR} is not valid UTF-8"),
        }
    }

    pub fn new(url: &str) -> anyhow::Result<Slack> {
        let bad = || {
            anyhow::anyhow!(
                "{WEBHOOK_VAR} is not an http(s) URL such as https://hooks.slack.com/services/…"
            )
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        if scheme != "https" && scheme != "http" {
            return Err(bad());
        }
        let slash = rest.find('/').ok_or_else(bad)?;
        let (host, path) = rest.split_at(slash);
        if host.is_empty() {
            return Err(bad());
        }
        let crab = Octocrab::builder()
            .base_uri(format!("{scheme}://{host}"))
            .map_err(|_| bad())?
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .build()
            .context("cannot set up the HTTP client for Slack")?;
        Ok(Slack {
            crab,
            path: path.to_owned(),
        })
    }

    /// Posts a message; a 429 or a 5xx is tried once more after a pause.
    pub async fn post(&self, text: &str) -> anyhow::Result<()> {
        let body = json!({ "text": text });
        for attempt in 1..=2 {
            let response = match self.crab._post(self.path.as_str(), Some(&body)).await {
                Ok(r) => r,
                Err(_) if attempt == 1 => {
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
                // The error's text may carry the URL: it is not shown.
                Err(_) => bail!("Slack webhook: cannot reach the server"),
            };
            let status = response.status().as_u16();
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(1)
                .min(30);
            let text = self.crab.body_to_string(response).await.unwrap_or_default();
            if (200..300).contains(&status) {
                return Ok(());
            }
            if attempt == 1 && (status == 429 || status >= 500) {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            let said: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let said: String = said.chars().take(100).collect();
            bail!("Slack webhook: HTTP {status} {said}");
        }
        unreachable!("the loop returns")
    }
}

/// GitHub mentions as Slack mentions: `<@U123>` for a login the map knows,
/// the GitHub name otherwise.
pub(crate) fn mentions(github: &[String], slack_users: &BTreeMap<String, String>) -> String {
    github
        .iter()
        .map(|m| {
            let login = m.trim_start_matches('@').to_ascii_lowercase();
            match slack_users.get(&login) {
                Some(id) => format!("<@{id}>"),
                None => escape(m),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Escapes Slack's control characters in text from GitHub.
pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_map_to_slack_ids_where_known() {
        let map = BTreeMap::from([("alice".to_owned(), "U1".to_owned())]);
        let got = mentions(&["@Alice".into(), "@bob".into(), "@org/team".into()], &map);
        assert_eq!(got, "<@U1> @bob @org/team");
        assert_eq!(escape("a<b>&"), "a&lt;b&gt;&amp;");
    }

    #[tokio::test]
    async fn a_bad_url_is_refused_without_echoing_it() {
        let e = Slack::new("hooks.slack.com/services/T/B/secret").unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }
}
