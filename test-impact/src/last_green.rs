//! `--base last-green`: the newest commit on a branch whose run of a
//! workflow succeeded, asked of the GitHub API (as `nx-set-shas` does for
//! Nx), so that a test that failed and was not fixed is selected again on
//! the next commit.
//!
//! Only a run that GitHub's filters (`status=success`, `event=push`, the
//! branch) let through *and* whose head repository is this repository
//! counts: a fork's pull request can name its branch `main` too, and its
//! run must not move the base. The runs are read newest first; the first
//! whose commit is in the local clone wins (a shallow clone may lack the
//! newest ones), and paging stops at the first page that has one.

use anyhow::{Context, Result, anyhow, bail};
use git2::Oid;
use github_client::{self as github, Client, RetryPolicy, Token};
use serde::Deserialize;

use crate::git::Repo;
use crate::prepare::{OnMissingBase, SelectArgs, short};

/// The `--base` value that asks GitHub.
pub(crate) const LAST_GREEN: &str = "last-green";

/// The repository whose runs count, `OWNER/NAME` (set by GitHub Actions).
pub(crate) const REPOSITORY_VAR: &str = "GITHUB_REPOSITORY";

/// The branches `--branch` defaults to, in order: a pull request's target
/// branch, then the branch (or tag) the workflow runs on.
const BRANCH_VARS: [&str; 2] = ["GITHUB_BASE_REF", "GITHUB_REF_NAME"];

/// GitHub answers at most 1,000 runs to a filtered list: 10 pages of 100.
const MAX_PAGES: usize = 10;

/// What `--base last-green` resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Base {
    /// The commit of the newest successful run that is in the local clone.
    Commit(Oid),
    /// None is usable and `--on-missing-base all` was given: select
    /// everything, for this reason.
    RunAll(String),
}

/// The fields of a workflow run that decide whether it counts.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Run {
    pub id: u64,
    pub run_number: u64,
    pub head_sha: String,
    #[serde(default)]
    pub head_branch: Option<String>,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    /// RFC 3339 in UTC (`2026-01-31T12:00:00Z`), as GitHub writes it, so
    /// that the text sorts as the time does.
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub head_repository: Option<HeadRepository>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct HeadRepository {
    pub full_name: String,
}

/// The runs of the list chosen from: the first whose commit is local, and
/// the newer ones whose commit is not.
#[derive(Debug)]
pub(crate) struct Choice<'a> {
    pub chosen: Option<(&'a Run, Oid)>,
    /// Counting runs newer than the chosen one (all of them, when none is
    /// chosen) whose commit is not in the local clone.
    pub skipped: Vec<&'a Run>,
    /// How many runs counted.
    pub counted: usize,
}

/// Whether a run may be the base: it succeeded, on a push to `branch` of
/// `repository` itself (not a fork's branch of the same name). GitHub's
/// query filters say the same; checked again so that nothing else counts
/// whatever a server answers.
pub(crate) fn counts(run: &Run, repository: &str, branch: &str) -> bool {
    run.conclusion.as_deref() == Some("success")
        && run.event.as_deref().is_none_or(|e| e == "push")
        && run.head_branch.as_deref() == Some(branch)
        && run
            .head_repository
            .as_ref()
            // Owner and repository names are case-insensitive on GitHub.
            .is_some_and(|h| h.full_name.eq_ignore_ascii_case(repository))
}

/// The newest counting run whose commit `local` finds (its commit), newest
/// by `created_at`, then by the order GitHub listed them in.
pub(crate) fn choose<'a>(
    runs: &'a [Run],
    repository: &str,
    branch: &str,
    local: impl Fn(&str) -> Option<Oid>,
) -> Choice<'a> {
    let mut counting: Vec<&Run> = runs
        .iter()
        .filter(|r| counts(r, repository, branch))
        .collect();
    // Stable: equal times keep GitHub's order, newest first.
    counting.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let mut skipped = Vec::new();
    let mut chosen = None;
    for run in &counting {
        match local(&run.head_sha) {
            Some(oid) => {
                chosen = Some((*run, oid));
                break;
            }
            None => skipped.push(*run),
        }
    }
    Choice {
        chosen,
        skipped,
        counted: counting.len(),
    }
}

/// `--workflow`, required; a path under `.github/workflows/` is taken as
/// its file name, which is what the API wants.
pub(crate) fn workflow_key(flag: Option<&str>) -> Result<String> {
    let given = flag.map(str::trim).unwrap_or("");
    let key = given.rsplit('/').next().unwrap_or(given);
    if key.is_empty() {
        bail!(
            "--base last-green needs --workflow FILE: the workflow (`ci.yml`, or its id) \
             whose newest successful run on the branch is the base"
        );
    }
    Ok(key.to_owned())
}

/// `--branch`, else the first of [`BRANCH_VARS`] that `var` has non-empty.
pub(crate) fn branch(flag: Option<&str>, var: impl Fn(&str) -> Option<String>) -> Result<String> {
    let from_env = || {
        BRANCH_VARS
            .iter()
            .find_map(|name| var(name).filter(|v| !v.trim().is_empty()))
    };
    let name = match flag {
        Some(b) => b.to_owned(),
        None => from_env().ok_or_else(|| {
            anyhow!(
                "--base last-green needs the branch whose runs count: pass --branch NAME \
                 ({} and {} are not set)",
                BRANCH_VARS[0],
                BRANCH_VARS[1]
            )
        })?,
    };
    let name = name.trim();
    let name = name.strip_prefix("refs/heads/").unwrap_or(name);
    if name.is_empty() {
        bail!("--branch is empty; expected a branch name such as `main`");
    }
    Ok(name.to_owned())
}

/// The list of successful push runs of `workflow` on `branch`.
pub(crate) fn runs_path(repository: &github::Repo, workflow: &str, branch: &str) -> String {
    format!(
        "/repos/{}/{}/actions/workflows/{}/runs?branch={}&status=success&event=push\
         &exclude_pull_requests=true&per_page=100",
        repository.owner,
        repository.name,
        github::encode_component(workflow),
        github::encode_component(branch)
    )
}

/// The base commit for `--base last-green`.
pub(crate) fn resolve(repo: &Repo, args: &SelectArgs) -> Result<Base> {
    let workflow = workflow_key(args.workflow.as_deref())?;
    let branch = branch(args.branch.as_deref(), |name| std::env::var(name).ok())?;
    let repository = repository_from_env()?;
    let full_name = repository.to_string();
    let token = Token::from_env()?.ok_or_else(|| {
        anyhow!(
            "{} is not set: --base last-green reads the workflow runs of {full_name} \
             (a token with `actions: read`; in a workflow, `GITHUB_TOKEN: ${{{{ github.token }}}}`)",
            github::TOKEN_VAR
        )
    })?;
    let api_url = github::api_url_from_env()?;
    let path = runs_path(&repository, &workflow, &branch);
    let local = |sha: &str| local_commit(repo, sha);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let runs: Vec<Run> = runtime
        .block_on(async {
            let client = Client::new(&api_url, &token, RetryPolicy::default())?
                .with_max_pages(MAX_PAGES);
            client
                .get_pages_until(
                    &path,
                    |body| match body {
                        serde_json::Value::Object(mut m) => m.remove("workflow_runs"),
                        _ => None,
                    },
                    |page: &[Run]| choose(page, &full_name, &branch, local).chosen.is_some(),
                )
                .await
        })
        .map_err(|e| {
            let hint = match e.status() {
                Some(404) => format!(
                    " (is `{workflow}` the file name of a workflow under .github/workflows/, or its id?)"
                ),
                Some(403) => " (the token needs `actions: read`)".to_owned(),
                _ => String::new(),
            };
            anyhow::Error::new(e).context(format!(
                "cannot list the successful runs of workflow `{workflow}` on `{branch}` of {full_name}{hint}"
            ))
        })?;

    let choice = choose(&runs, &full_name, &branch, local);
    for run in &choice.skipped {
        tracing::warn!(
            "last-green: run #{} of {workflow} succeeded at {}, which is not in the local clone; \
             looking further back",
            run.run_number,
            run.head_sha
        );
    }
    if let Some((run, oid)) = choice.chosen {
        tracing::debug!("last-green: chose run id {}", run.id);
        eprintln!(
            "last-green: {workflow} on {branch} succeeded at {} (run #{})",
            short(oid),
            run.run_number
        );
        return Ok(Base::Commit(oid));
    }
    let what = match choice.skipped.first() {
        None => format!(
            "no successful push run of workflow `{workflow}` on branch `{branch}` of {full_name}"
        ),
        Some(newest) => format!(
            "none of the {} successful runs of workflow `{workflow}` on branch `{branch}` of \
             {full_name} is of a commit in the local clone (the newest: {})",
            choice.counted,
            newest.head_sha.get(..12).unwrap_or(&newest.head_sha)
        ),
    };
    match args.on_missing_base {
        OnMissingBase::Error => {
            let hint = if choice.counted == 0 {
                "check --workflow and --branch"
            } else {
                "fetch more history (`fetch-depth: 0` in actions/checkout)"
            };
            bail!("{what}; {hint}, or pass --on-missing-base all")
        }
        OnMissingBase::All => Ok(Base::RunAll(format!(
            "{what} (--base last-green); --on-missing-base all"
        ))),
    }
}

/// `$GITHUB_REPOSITORY`.
fn repository_from_env() -> Result<github::Repo> {
    match std::env::var(REPOSITORY_VAR) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("{REPOSITORY_VAR} is not usable")),
        Ok(_) | Err(std::env::VarError::NotPresent) => bail!(
            "{REPOSITORY_VAR} is not set: --base last-green needs the repository whose runs \
             count, as OWNER/NAME"
        ),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{REPOSITORY_VAR} is not valid UTF-8"),
    }
}

/// The commit `sha` names, if it is in the local object database.
fn local_commit(repo: &Repo, sha: &str) -> Option<Oid> {
    // A full id only: a prefix or a ref name from the server is not a sha.
    let oid = Oid::from_str(sha)
        .ok()
        .filter(|_| sha.len() >= 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()))?;
    repo.resolve(&oid.to_string()).ok().filter(|&c| c == oid)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPO: &str = "acme/widgets";

    fn sha(n: u8) -> String {
        format!("{n:02x}").repeat(20)
    }

    fn run(id: u64, n: u8, at: &str) -> Run {
        Run {
            id,
            run_number: id,
            head_sha: sha(n),
            head_branch: Some("main".into()),
            event: Some("push".into()),
            conclusion: Some("success".into()),
            created_at: at.into(),
            head_repository: Some(HeadRepository {
                full_name: REPO.into(),
            }),
        }
    }

    fn local(present: &[u8]) -> impl Fn(&str) -> Option<Oid> {
        let present: Vec<String> = present.iter().map(|&n| sha(n)).collect();
        move |s: &str| {
            present
                .iter()
                .any(|p| p == s)
                .then(|| Oid::from_str(s).unwrap())
        }
    }

    #[test]
    fn last_green_counts_only_successful_pushes_of_this_repository_and_branch() {
        let ok = run(1, 1, "2026-01-01T00:00:00Z");
        assert!(counts(&ok, REPO, "main"));
        assert!(counts(&ok, "Acme/Widgets", "main"), "names ignore case");
        assert!(!counts(&ok, REPO, "Main"), "branches do not");
        let mut fork = ok.clone();
        fork.head_repository = Some(HeadRepository {
            full_name: "mallory/widgets".into(),
        });
        assert!(!counts(&fork, REPO, "main"));
        let mut no_repo = ok.clone();
        no_repo.head_repository = None;
        assert!(!counts(&no_repo, REPO, "main"));
        for conclusion in [Some("failure"), Some("cancelled"), None] {
            let mut r = ok.clone();
            r.conclusion = conclusion.map(str::to_owned);
            assert!(!counts(&r, REPO, "main"), "{conclusion:?}");
        }
        let mut pr = ok.clone();
        pr.event = Some("pull_request".into());
        assert!(!counts(&pr, REPO, "main"));
        let mut other = ok.clone();
        other.head_branch = Some("feature".into());
        assert!(!counts(&other, REPO, "main"));
    }

    #[test]
    fn last_green_chooses_the_newest_local_commit() {
        let mut fork = run(9, 9, "2026-01-09T00:00:00Z");
        fork.head_repository = Some(HeadRepository {
            full_name: "mallory/widgets".into(),
        });
        // Listed out of time order, and with a tie kept in list order.
        let runs = vec![
            fork,
            run(3, 3, "2026-01-03T00:00:00Z"),
            run(5, 5, "2026-01-05T00:00:00Z"),
            run(4, 4, "2026-01-04T00:00:00Z"),
            run(2, 2, "2026-01-03T00:00:00Z"),
        ];
        let c = choose(&runs, REPO, "main", local(&[2, 3, 4, 5, 9]));
        assert_eq!(c.chosen.map(|(r, _)| r.id), Some(5));
        assert!(c.skipped.is_empty());
        assert_eq!(c.counted, 4);

        // The newest are not fetched: skipped, newest first.
        let c = choose(&runs, REPO, "main", local(&[2, 3, 9]));
        let (r, oid) = c.chosen.unwrap();
        assert_eq!((r.id, oid.to_string()), (3, sha(3)));
        let skipped: Vec<u64> = c.skipped.iter().map(|r| r.id).collect();
        assert_eq!(skipped, [5, 4]);

        let c = choose(&runs, REPO, "main", local(&[9]));
        assert!(c.chosen.is_none());
        assert_eq!(c.skipped.len(), 4);
        let c = choose(&[], REPO, "main", local(&[1]));
        assert!(c.chosen.is_none() && c.skipped.is_empty() && c.counted == 0);
    }

    #[test]
    fn last_green_branch_and_workflow_come_from_flags_then_the_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let pr = env(&[("GITHUB_BASE_REF", "main"), ("GITHUB_REF_NAME", "7/merge")]);
        assert_eq!(branch(None, pr).unwrap(), "main");
        assert_eq!(branch(Some("release"), pr).unwrap(), "release");
        assert_eq!(
            branch(Some("refs/heads/release/1.x"), pr).unwrap(),
            "release/1.x"
        );
        let push = env(&[("GITHUB_BASE_REF", ""), ("GITHUB_REF_NAME", "dev")]);
        assert_eq!(branch(None, push).unwrap(), "dev");
        let e = branch(None, env(&[])).unwrap_err().to_string();
        assert!(e.contains("--branch"), "{e}");
        assert!(branch(Some(" "), env(&[])).is_err());

        assert_eq!(workflow_key(Some("ci.yml")).unwrap(), "ci.yml");
        assert_eq!(
            workflow_key(Some(".github/workflows/ci.yml")).unwrap(),
            "ci.yml"
        );
        assert_eq!(workflow_key(Some("1234")).unwrap(), "1234");
        let e = workflow_key(None).unwrap_err().to_string();
        assert!(e.contains("--workflow"), "{e}");
        assert!(workflow_key(Some("")).is_err());

        let repo: github::Repo = "acme/widgets".parse().unwrap();
        assert_eq!(
            runs_path(&repo, "ci tests.yml", "feature/a+b"),
            "/repos/acme/widgets/actions/workflows/ci%20tests.yml/runs?branch=feature%2Fa%2Bb\
             &status=success&event=push&exclude_pull_requests=true&per_page=100"
        );
    }
}
