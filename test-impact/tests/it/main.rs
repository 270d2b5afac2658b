//! End-to-end tests of the `test-impact` binary: real git repositories
//! made with the `git` command, real Cargo workspaces read by real
//! `cargo metadata`, and the binary's output checked against computations
//! written here, independently of the crate (the oracle reads `git diff`'s
//! output, not git2's, and walks the graph with its own code).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_test-impact"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .env_remove("GITHUB_OUTPUT")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// Asserts exit 2 with one line on stderr, and returns it.
fn bad(o: Output) -> String {
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {err}",
        stdout(&o)
    );
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    stdout(&o)
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn init_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", msg]);
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// A tiny deterministic generator (xorshift), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The oracle's graph: names, paths and deps as the JSON says.
struct Oracle {
    names: Vec<String>,
    paths: Vec<Vec<String>>,
    dependents: BTreeMap<usize, Vec<usize>>,
}

impl Oracle {
    fn from_json(v: &Value) -> Oracle {
        let mods = v["modules"].as_array().unwrap();
        let names: Vec<String> = mods
            .iter()
            .map(|m| m["name"].as_str().unwrap().to_owned())
            .collect();
        let index: BTreeMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut dependents: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut paths = Vec::new();
        for (i, m) in mods.iter().enumerate() {
            let mut ps = Vec::new();
            if let Some(p) = m["path"].as_str() {
                ps.push(p.to_owned());
            }
            if let Some(more) = m.get("paths") {
                ps.extend(strings(more));
            }
            paths.push(ps);
            for d in m.get("deps").map(strings).unwrap_or_default() {
                dependents.entry(index[d.as_str()]).or_default().push(i);
            }
        }
        Oracle {
            names,
            paths,
            dependents,
        }
    }

    /// The built-in rules' ignored files.
    fn ignored(file: &str) -> bool {
        let base = file.rsplit('/').next().unwrap();
        file.ends_with(".md")
            || base.starts_with("LICENSE")
            || base == ".gitignore"
            || base == ".gitattributes"
    }

    /// The modules owning `file`: those with the longest path that is the
    /// file or a folder above it.
    fn owners(&self, file: &str) -> Vec<usize> {
        let mut best: Option<usize> = None;
        let mut owners = Vec::new();
        for (i, ps) in self.paths.iter().enumerate() {
            for p in ps {
                let hit = file == p || file.starts_with(&format!("{p}/"));
                if !hit {
                    continue;
                }
                match best {
                    Some(b) if p.len() < b => {}
                    Some(b) if p.len() == b => owners.push(i),
                    _ => {
                        best = Some(p.len());
                        owners = vec![i];
                    }
                }
            }
        }
        owners
    }

    /// `None` means everything.
    fn select(&self, changed: &[String]) -> Option<BTreeSet<String>> {
        let mut seen = vec![false; self.names.len()];
        let mut queue = VecDeque::new();
        for f in changed {
            if Self::ignored(f) {
                continue;
            }
            let owners = self.owners(f);
            if owners.is_empty() {
                return None;
            }
            for o in owners {
                if !seen[o] {
                    seen[o] = true;
                    queue.push_back(o);
                }
            }
        }
        while let Some(v) = queue.pop_front() {
            for &d in self.dependents.get(&v).into_iter().flatten() {
                if !seen[d] {
                    seen[d] = true;
                    queue.push_back(d);
                }
            }
        }
        Some(
            seen.iter()
                .enumerate()
                .filter(|(_, s)| **s)
                .map(|(i, _)| self.names[i].clone())
                .collect(),
        )
    }
}

/// A random layered graph with nested paths (`libs/m3` and `libs/m3/gen`)
/// and a second path for some modules; files in module folders, docs, and
/// now and then a file no module owns.
fn generated_repo(dir: &Path, seed: u64, modules: usize, commits: usize) -> (PathBuf, Vec<String>) {
    let mut rng = Rng(seed);
    let mut mods = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    for i in 0..modules {
        let path = if i > 3 && rng.chance(20) {
            // Nested inside an earlier module's folder.
            format!("{}/gen{i}", dirs[rng.below(dirs.len())])
        } else {
            format!("libs/m{i}")
        };
        let mut deps = BTreeSet::new();
        if i > 0 {
            for _ in 0..rng.below(4) {
                deps.insert(format!("m{}", rng.below(i)));
            }
        }
        let mut m = serde_json::json!({
            "name": format!("m{i}"),
            "path": path,
            "deps": deps.into_iter().collect::<Vec<_>>(),
            "tests": [format!("m{i}::tests")],
        });
        if rng.chance(10) {
            m["paths"] = serde_json::json!([format!("proto/m{i}")]);
            dirs.push(format!("proto/m{i}"));
        }
        dirs.push(path);
        mods.push(m);
    }
    let graph = serde_json::json!({ "modules": mods });
    let graph_file = dir.join("graph.json");
    std::fs::write(&graph_file, serde_json::to_string_pretty(&graph).unwrap()).unwrap();

    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    init_repo(&repo);
    let mut files: Vec<String> = Vec::new();
    for (k, d) in dirs.iter().enumerate() {
        for j in 0..1 + rng.below(4) {
            files.push(format!("{d}/src/f{k}_{j}.rs"));
        }
        if rng.chance(30) {
            files.push(format!("{d}/README.md"));
        }
    }
    files.push("tools/ci.sh".into());
    files.push("LICENSE-MIT".into());
    for f in &files {
        write(&repo, f, "0\n");
    }
    commit_all(&repo, "initial");
    let mut shas = vec![git(&repo, &["rev-parse", "HEAD"]).trim().to_owned()];
    for c in 0..commits {
        for _ in 0..1 + rng.below(3) {
            let roll = rng.below(100);
            let f = files[rng.below(files.len())].clone();
            if roll < 70 {
                if repo.join(&f).exists() {
                    write(&repo, &f, &format!("{c}\n"));
                }
            } else if roll < 80 {
                let d = &dirs[rng.below(dirs.len())];
                let new = format!("{d}/src/new{c}_{}.rs", rng.below(1000));
                write(&repo, &new, "new\n");
                files.push(new);
            } else if roll < 88 {
                if repo.join(&f).exists() && f != "tools/ci.sh" {
                    git(&repo, &["rm", "-q", &f]);
                }
            } else if roll < 95 {
                // A move, possibly across modules.
                let d = &dirs[rng.below(dirs.len())];
                let to = format!("{d}/src/moved{c}.rs");
                if repo.join(&f).exists() && f != "tools/ci.sh" && !repo.join(&to).exists() {
                    std::fs::create_dir_all(repo.join(d).join("src")).unwrap();
                    git(&repo, &["mv", &f, &to]);
                    files.push(to);
                }
            } else if rng.chance(40) {
                write(&repo, "tools/ci.sh", &format!("{c}\n"));
            } else {
                let d = &dirs[rng.below(dirs.len())];
                write(&repo, &format!("{d}/README.md"), &format!("{c}\n"));
            }
        }
        commit_all(&repo, &format!("change {c}"));
        shas.push(git(&repo, &["rev-parse", "HEAD"]).trim().to_owned());
    }
    (graph_file, shas)
}

#[test]
fn selection_equals_an_independent_computation_on_random_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut run_all = 0;
    let mut partial = 0;
    for seed in [7_u64, 1234] {
        let dir = tmp.path().join(format!("s{seed}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (graph_file, shas) = generated_repo(&dir, seed, 60, 30);
        let oracle = Oracle::from_json(&json(&std::fs::read_to_string(&graph_file).unwrap()));
        let repo = dir.join("repo");
        let g = graph_file.to_str().unwrap();
        for w in shas.windows(2) {
            let (base, head) = (&w[0], &w[1]);
            let changed: Vec<String> =
                git(&repo, &["diff", "--name-only", "--no-renames", base, head])
                    .lines()
                    .map(str::to_owned)
                    .collect();
            let out = json(&ok(run(
                &repo,
                &[
                    "select", "--base", base, "--head", head, "--graph", g, "--format", "json",
                ],
            )));
            let mut got_changed = strings(&out["changed_files"]);
            got_changed.sort();
            let mut want_changed = changed.clone();
            want_changed.sort();
            assert_eq!(got_changed, want_changed, "changed files of {head}");
            let got: BTreeSet<String> = strings(&out["affected"]).into_iter().collect();
            match oracle.select(&changed) {
                None => {
                    assert_eq!(out["run_all"], true, "{head}: {changed:?}");
                    assert_eq!(got.len(), 60);
                    assert!(
                        out["run_all_reason"]
                            .as_str()
                            .unwrap()
                            .contains("no module")
                    );
                    run_all += 1;
                }
                Some(want) => {
                    assert_eq!(out["run_all"], false, "{head}: {changed:?}");
                    assert_eq!(got, want, "{head}: {changed:?}");
                    if !want.is_empty() && want.len() < 60 {
                        partial += 1;
                    }
                    // Every affected module has a reason, and the tests are
                    // those of the affected modules.
                    let reasons = out["reasons"].as_object().unwrap();
                    assert_eq!(reasons.keys().cloned().collect::<BTreeSet<_>>(), want);
                    let tests: BTreeSet<String> =
                        want.iter().map(|m| format!("{m}::tests")).collect();
                    assert_eq!(
                        strings(&out["tests"]).into_iter().collect::<BTreeSet<_>>(),
                        tests
                    );
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 60);
    // The commits exercise both outcomes, so neither branch is vacuous.
    assert!(
        run_all >= 1 && partial >= 20,
        "run_all {run_all}, partial {partial}"
    );
}

/// A three-module repository: core <- lib <- app, with docs and tools.
fn small_repo() -> (tempfile::TempDir, PathBuf, String) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    init_repo(&repo);
    for f in [
        "libs/core/a.rs",
        "libs/lib/b.rs",
        "apps/app/c.rs",
        "tools/ci.sh",
        "README.md",
    ] {
        write(&repo, f, "0\n");
    }
    commit_all(&repo, "initial");
    let graph = tmp.path().join("graph.json");
    std::fs::write(
        &graph,
        r#"{"modules":[
          {"name":"core","path":"libs/core","tests":["core-unit"]},
          {"name":"lib","path":"libs/lib","deps":["core"]},
          {"name":"app","path":"apps/app","deps":["lib"],"tests":["app-e2e"]},
          {"name":"other","path":"libs/other"}
        ]}"#,
    )
    .unwrap();
    let g = graph.to_str().unwrap().to_owned();
    (tmp, repo, g)
}

#[test]
fn every_output_format() {
    let (_tmp, repo, g) = small_repo();
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    write(&repo, "libs/lib/b.rs", "1\n");
    commit_all(&repo, "lib");
    let sel = |fmt: &str| {
        ok(run(
            &repo,
            &["select", "--base", "main", "--graph", &g, "--format", fmt],
        ))
    };
    assert_eq!(sel("list"), "app\nlib\n");
    assert_eq!(sel("nextest"), "package(=app) | package(=lib)\n");
    assert_eq!(sel("cargo"), "-p app -p lib\n");
    let m = json(&sel("github-matrix"));
    assert_eq!(m["include"].as_array().unwrap().len(), 2);
    assert_eq!(m["include"][0]["nextest"], "package(=app)");
    assert_eq!(m["include"][1]["cargo"], "-p lib");
    let j = json(&sel("json"));
    let base = git(&repo, &["rev-parse", "main"]).trim().to_owned();
    assert_eq!(j["version"], 1);
    assert_eq!(j["merge_base"], base.as_str());
    assert_eq!(strings(&j["changed_files"]), ["libs/lib/b.rs"]);
    assert_eq!(j["run_all"], false);
    assert_eq!(j["run_all_reason"], Value::Null);
    assert_eq!(strings(&j["affected"]), ["app", "lib"]);
    assert_eq!(strings(&j["tests"]), ["app-e2e"]);
    assert_eq!(j["reasons"]["lib"]["kind"], "file");
    assert_eq!(j["reasons"]["lib"]["path"], "libs/lib/b.rs");
    assert_eq!(j["reasons"]["app"]["kind"], "dependency");
    assert_eq!(j["reasons"]["app"]["module"], "lib");
    assert_eq!(j["total"], 4);

    // explain: the chain, and exit 1 for a module the change cannot reach.
    let e = ok(run(
        &repo,
        &["explain", "app", "--base", "main", "--graph", &g],
    ));
    assert_eq!(e.lines().next().unwrap(), "libs/lib/b.rs → lib → app");
    let not = run(&repo, &["explain", "core", "--base", "main", "--graph", &g]);
    assert_eq!(not.status.code(), Some(1));
    assert!(stdout(&not).starts_with("core is not affected"));
    let unknown = bad(run(
        &repo,
        &["explain", "nope", "--base", "main", "--graph", &g],
    ));
    assert!(
        unknown.contains("`nope` is not a module of the graph"),
        "{unknown}"
    );

    // --github-output appends step outputs.
    let out_file = repo.parent().unwrap().join("gh-output");
    let o = bin()
        .current_dir(&repo)
        .args([
            "select",
            "--base",
            "main",
            "--graph",
            &g,
            "--format",
            "list",
            "--github-output",
        ])
        .env("GITHUB_OUTPUT", &out_file)
        .output()
        .unwrap();
    ok(o);
    let text = std::fs::read_to_string(&out_file).unwrap();
    assert!(text.contains("has-affected=true\n"), "{text}");
    assert!(text.contains("run-all=false\n"), "{text}");
    assert!(text.contains("count=2\n"), "{text}");
    assert!(
        text.contains("nextest-filter=package(=app) | package(=lib)\n"),
        "{text}"
    );
    let matrix = text
        .lines()
        .find_map(|l| l.strip_prefix("matrix="))
        .unwrap();
    assert_eq!(json(matrix)["include"][0]["modules"], "app");
    // Without $GITHUB_OUTPUT, --github-output is a usage error.
    bad(run(
        &repo,
        &["select", "--base", "main", "--graph", &g, "--github-output"],
    ));
}

#[test]
fn empty_selection_exits_zero_and_says_so() {
    let (_tmp, repo, g) = small_repo();
    git(&repo, &["checkout", "-q", "-b", "docs"]);
    write(&repo, "README.md", "more docs\n");
    commit_all(&repo, "docs");
    let o = run(&repo, &["select", "--base", "main", "--graph", &g]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), "");
    assert!(
        stderr(&o).contains("no module is affected"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        ok(run(
            &repo,
            &[
                "select", "--base", "main", "--graph", &g, "--format", "nextest"
            ]
        )),
        "none()\n"
    );
    assert_eq!(
        ok(run(
            &repo,
            &[
                "select",
                "--base",
                "main",
                "--graph",
                &g,
                "--format",
                "github-matrix"
            ]
        )),
        "{\"include\":[]}\n"
    );
    let out_file = repo.parent().unwrap().join("gh");
    ok(bin()
        .current_dir(&repo)
        .args(["select", "--base", "main", "--graph", &g, "--github-output"])
        .env("GITHUB_OUTPUT", &out_file)
        .output()
        .unwrap());
    assert!(
        std::fs::read_to_string(&out_file)
            .unwrap()
            .contains("has-affected=false\n")
    );
}

/// `git diff -z --name-only` output, git-quoted names, Windows separators
/// and hostile paths in --changed-files; hostile paths in a graph.
#[test]
fn changed_file_lists_are_normalised_and_paths_outside_are_refused() {
    let (tmp, repo, g) = small_repo();
    let list = tmp.path().join("changed.z");
    let select = |extra: &[&str]| {
        let mut args = vec![
            "select",
            "--changed-files",
            list.to_str().unwrap(),
            "--graph",
            &g,
        ];
        args.extend_from_slice(extra);
        run(&repo, &args)
    };
    // Read as one line, `libs/core/a.rs\0apps/app/c.rs` would be unowned
    // and select everything; read as two paths, core's and app's closures.
    std::fs::write(&list, b"libs/core/a.rs\0apps/app/c.rs\0").unwrap();
    assert_eq!(ok(select(&[])), "app\ncore\nlib\n");
    assert_eq!(ok(select(&["-z"])), "app\ncore\nlib\n");
    // A real `git diff -z` between two commits of the repository.
    git(&repo, &["checkout", "-q", "-b", "z"]);
    write(&repo, "apps/app/c.rs", "1\n");
    commit_all(&repo, "app");
    let z = Command::new("git")
        .current_dir(&repo)
        .args(["diff", "-z", "--name-only", "main...HEAD"])
        .output()
        .unwrap();
    std::fs::write(&list, &z.stdout).unwrap();
    assert_eq!(ok(select(&["--null"])), "app\n");
    // Backslashes, `./`, and a line git quoted (core.quotePath).
    std::fs::write(&list, ".\\libs\\lib\\b.rs\n\"apps/app/caf\\303\\251.rs\"\n").unwrap();
    assert_eq!(ok(select(&[])), "app\nlib\n");
    // Refused: exit 2, one line naming the list, the line and the path.
    let name = list.display().to_string();
    for (text, want) in [
        (
            "/etc/passwd\n",
            format!("`{name}` line 1: `/etc/passwd` is absolute"),
        ),
        (
            "ok.rs\n../x.rs\n",
            format!("`{name}` line 2: `../x.rs` leaves the repository"),
        ),
        (
            "libs/../../x.rs\n",
            format!("`{name}` line 1: `libs/../../x.rs` leaves the repository"),
        ),
        (
            "a.rs\0/abs\0",
            format!("`{name}` item 2: `/abs` is absolute"),
        ),
    ] {
        std::fs::write(&list, text).unwrap();
        let err = bad(select(&[]));
        assert!(err.contains(&want), "{err}\nexpected: {want}");
    }
    // A graph whose paths leave the repository, or are globs.
    for (path, why) in [
        ("../outside", "has a `..` component"),
        ("/abs/dir", "is absolute"),
        ("libs/*", "is a glob"),
    ] {
        let graph = tmp.path().join("bad-graph.json");
        std::fs::write(
            &graph,
            format!(r#"{{"modules":[{{"name":"m","path":"{path}"}}]}}"#),
        )
        .unwrap();
        std::fs::write(&list, "a.rs\n").unwrap();
        let err = bad(run(
            &repo,
            &[
                "select",
                "--changed-files",
                list.to_str().unwrap(),
                "--graph",
                graph.to_str().unwrap(),
            ],
        ));
        assert!(
            err.contains(&format!("module `m`: path `{path}` {why}")),
            "{err}"
        );
    }
}

#[test]
fn uncommitted_changed_files_and_rules() {
    let (tmp, repo, g) = small_repo();
    // Nothing committed since main, but the work tree has changes.
    write(&repo, "libs/core/a.rs", "dirty\n");
    write(&repo, "libs/other/new.rs", "untracked\n");
    write(&repo, ".gitignore", "*.log\n");
    write(&repo, "libs/lib/debug.log", "ignored by git\n");
    let plain = ok(run(&repo, &["select", "--base", "main", "--graph", &g]));
    assert_eq!(plain, "");
    let dirty = ok(run(
        &repo,
        &["select", "--base", "main", "--graph", &g, "--uncommitted"],
    ));
    assert_eq!(dirty, "app\ncore\nlib\nother\n");

    // --changed-files: from a file or stdin, no git needed.
    let list = tmp.path().join("changed.txt");
    std::fs::write(&list, "./libs/lib/b.rs\r\n\r\n").unwrap();
    let l = list.to_str().unwrap();
    assert_eq!(
        ok(run(
            tmp.path(),
            &["select", "--changed-files", l, "--graph", &g]
        )),
        "app\nlib\n"
    );
    let mut child = bin()
        .current_dir(tmp.path())
        .args(["select", "--changed-files", "-", "--graph", &g])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"apps/app/c.rs\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(stdout(&o), "app\n");

    // Rules: a path rule for data the graph cannot see, a module rule, and
    // an unowned file selecting everything with its reason.
    let cfg = tmp.path().join("rules.toml");
    std::fs::write(
        &cfg,
        "[[path-rule]]\nglobs = [\"tools/**\"]\nmark-changed = [\"other\"]\n\n\
         [[module-rule]]\non-affected = [\"other\"]\nmark-changed = [\"core\"]\n",
    )
    .unwrap();
    std::fs::write(&list, "tools/ci.sh\n").unwrap();
    let c = cfg.to_str().unwrap();
    let all = json(&ok(run(
        tmp.path(),
        &[
            "select",
            "--changed-files",
            l,
            "--graph",
            &g,
            "--format",
            "json",
        ],
    )));
    assert_eq!(all["run_all"], true);
    assert_eq!(
        all["run_all_reason"],
        "tools/ci.sh is in no module and matches no rule; every module is selected to be safe"
    );
    let ruled = json(&ok(run(
        tmp.path(),
        &[
            "select",
            "--changed-files",
            l,
            "--graph",
            &g,
            "--config",
            c,
            "--format",
            "json",
        ],
    )));
    assert_eq!(strings(&ruled["affected"]), ["app", "core", "lib", "other"]);
    assert_eq!(ruled["reasons"]["core"]["kind"], "module_rule");
    assert_eq!(ruled["reasons"]["other"]["kind"], "path_rule");
}

#[test]
fn shallow_clones_fail_with_a_hint_or_select_everything() {
    let (tmp, repo, g) = small_repo();
    for i in 0..3 {
        write(&repo, "libs/core/a.rs", &format!("{i}\n"));
        commit_all(&repo, "main work");
    }
    git(&repo, &["checkout", "-q", "-b", "feature", "HEAD~2"]);
    write(&repo, "apps/app/c.rs", "feature\n");
    commit_all(&repo, "feature");
    let url = format!("file://{}", repo.display());
    let clone = tmp.path().join("shallow");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "main:refs/remotes/origin/main",
        ],
    );
    let e = bad(run(
        &clone,
        &["select", "--base", "origin/main", "--graph", &g],
    ));
    assert!(e.contains("no merge-base"), "{e}");
    assert!(e.contains("fetch-depth: 0"), "{e}");
    let all = json(&ok(run(
        &clone,
        &[
            "select",
            "--base",
            "origin/main",
            "--graph",
            &g,
            "--on-missing-base",
            "all",
            "--format",
            "json",
        ],
    )));
    assert_eq!(all["run_all"], true);
    assert_eq!(strings(&all["affected"]).len(), 4);
    // `HEAD~1` is past the boundary of a depth-1 clone: the same hint, and
    // --on-missing-base all is honoured (not "revision not found").
    let e = bad(run(&clone, &["select", "--base", "HEAD~1", "--graph", &g]));
    assert!(e.contains("shallow"), "{e}");
    assert!(e.contains("--on-missing-base all"), "{e}");
    let all = json(&ok(run(
        &clone,
        &[
            "select",
            "--base",
            "HEAD~1",
            "--graph",
            &g,
            "--on-missing-base",
            "all",
            "--format",
            "json",
        ],
    )));
    assert_eq!(all["run_all"], true);
    // Deepening the clone finds the merge-base and a precise selection.
    git(
        &clone,
        &[
            "fetch",
            "-q",
            "--deepen",
            "5",
            "origin",
            "feature",
            "main:refs/remotes/origin/main",
        ],
    );
    assert_eq!(
        ok(run(
            &clone,
            &["select", "--base", "origin/main", "--graph", &g]
        )),
        "app\n"
    );
    // The history that is there is used: HEAD~1 is now present.
    assert_eq!(
        ok(run(&clone, &["select", "--base", "HEAD~1", "--graph", &g])),
        "app\n"
    );
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let (tmp, repo, g) = small_repo();
    let e = bad(run(
        &repo,
        &["select", "--base", "no-such-branch", "--graph", &g],
    ));
    assert!(e.contains("no-such-branch"), "{e}");
    let e = bad(run(
        tmp.path(),
        &["select", "--base", "main", "--graph", &g],
    ));
    assert!(e.contains("not inside a git repository"), "{e}");
    let e = bad(run(&repo, &["select", "--graph", &g]));
    assert!(e.contains("--base"), "{e}");
    let cyclic = tmp.path().join("cycle.json");
    std::fs::write(
        &cyclic,
        r#"{"modules":[{"name":"a","deps":["b"]},{"name":"b","deps":["a"]}]}"#,
    )
    .unwrap();
    let e = bad(run(
        &repo,
        &[
            "select",
            "--base",
            "main",
            "--graph",
            cyclic.to_str().unwrap(),
        ],
    ));
    assert!(e.contains("cycle.json") && e.contains("cycle"), "{e}");
    let unknown = tmp.path().join("unknown.json");
    std::fs::write(&unknown, r#"{"modules":[{"name":"a","deps":["zz"]}]}"#).unwrap();
    let e = bad(run(
        &repo,
        &[
            "select",
            "--base",
            "main",
            "--graph",
            unknown.to_str().unwrap(),
        ],
    ));
    assert!(e.contains("unknown.json") && e.contains("zz"), "{e}");
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[path-rule]]\nglobs = [\"x\"]\nmark-changed = [\"ghost\"]\n",
    )
    .unwrap();
    let e = bad(run(
        &repo,
        &[
            "select",
            "--base",
            "main",
            "--graph",
            &g,
            "--config",
            cfg.to_str().unwrap(),
        ],
    ));
    assert!(
        e.contains("bad.toml: path-rule 1 names module `ghost`"),
        "{e}"
    );
    std::fs::write(&cfg, "[[path-rule]]\nglobs = \"x\"\n").unwrap();
    let e = bad(run(
        &repo,
        &[
            "select",
            "--base",
            "main",
            "--graph",
            &g,
            "--config",
            cfg.to_str().unwrap(),
        ],
    ));
    assert!(e.contains("bad.toml:2"), "{e}");
    let e = bad(run(
        &repo,
        &["select", "--base", "main", "--graph", "missing.json"],
    ));
    assert!(e.contains("missing.json"), "{e}");
    // No graph and no Cargo.toml.
    let e = bad(run(&repo, &["select", "--base", "main"]));
    assert!(e.contains("no Cargo.toml") && e.contains("--graph"), "{e}");
}

#[test]
fn shard_balances_by_junit_timings() {
    let (tmp, repo, g) = small_repo();
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    write(&repo, "libs/core/a.rs", "1\n");
    write(&repo, "libs/other/x.rs", "1\n");
    commit_all(&repo, "core and other");
    let junit = tmp.path().join("junit.xml");
    std::fs::write(
        &junit,
        r#"<?xml version="1.0"?>
<testsuites>
  <testsuite name="core"><testcase classname="core" name="a" time="10"/></testsuite>
  <testsuite name="lib"><testcase classname="lib" name="a" time="6"/><testcase classname="lib" name="b" time="3"/></testsuite>
  <testsuite name="app::bin/app"><testcase classname="app::bin/app" name="e2e" time="8"/></testsuite>
  <testsuite name="other"><testcase classname="other" name="t" time="1"/></testsuite>
</testsuites>"#,
    )
    .unwrap();
    let j = junit.to_str().unwrap();
    let m = json(&ok(run(
        &repo,
        &[
            "shard",
            "--shards",
            "2",
            "--timings",
            j,
            "--base",
            "main",
            "--graph",
            &g,
        ],
    )));
    let shards = m["include"].as_array().unwrap();
    assert_eq!(shards.len(), 2);
    // core 10, lib 9, app 8, other 1, longest first into the lightest:
    // core→1 (10), lib→2 (9), app→2 (17), other→1 (11).
    assert_eq!(shards[0]["modules"], "core other");
    assert_eq!(shards[0]["seconds"], 11.0);
    assert_eq!(shards[1]["modules"], "app lib");
    assert_eq!(shards[1]["seconds"], 17.0);
    assert_eq!(shards[1]["nextest"], "package(=app) | package(=lib)");
    let list = ok(run(
        &repo,
        &[
            "shard", "--shards", "8", "--base", "main", "--graph", &g, "--format", "list",
        ],
    ));
    assert_eq!(
        list.lines().count(),
        4,
        "no more shards than modules: {list}"
    );
    // A usage error: clap's message (with its usage hint), exit 2.
    let zero = run(
        &repo,
        &["shard", "--shards", "0", "--base", "main", "--graph", &g],
    );
    assert_eq!(zero.status.code(), Some(2));
    assert!(
        stderr(&zero).contains("0 is not in 1..=256"),
        "{}",
        stderr(&zero)
    );
}

#[test]
fn evaluate_replays_history() {
    let tmp = tempfile::tempdir().unwrap();
    let (graph_file, shas) = generated_repo(tmp.path(), 99, 30, 12);
    let repo = tmp.path().join("repo");
    let oracle = Oracle::from_json(&json(&std::fs::read_to_string(&graph_file).unwrap()));
    let out = json(&ok(run(
        &repo,
        &[
            "evaluate",
            "--commits",
            "50",
            "--graph",
            graph_file.to_str().unwrap(),
            "--format",
            "json",
        ],
    )));
    let rows = out["commits"].as_array().unwrap();
    // Every commit but the root one, newest first.
    assert_eq!(rows.len(), 12);
    let mut selected = 0;
    for (row, w) in rows.iter().zip(shas.windows(2).rev()) {
        assert_eq!(row["commit"].as_str().unwrap(), &w[1][..12]);
        let changed: Vec<String> = git(
            &repo,
            &["diff", "--name-only", "--no-renames", &w[0], &w[1]],
        )
        .lines()
        .map(str::to_owned)
        .collect();
        let want = oracle.select(&changed).map(|s| s.len()).unwrap_or(30);
        assert_eq!(row["selected"].as_u64().unwrap() as usize, want, "{row}");
        selected += want;
    }
    assert_eq!(
        out["summary"]["selected_module_runs"].as_u64().unwrap() as usize,
        selected
    );
    assert_eq!(out["summary"]["total_module_runs"], 12 * 30);
    let text = ok(run(
        &repo,
        &[
            "evaluate",
            "--commits",
            "3",
            "--graph",
            graph_file.to_str().unwrap(),
        ],
    ));
    assert!(text.contains("3 commits: "), "{text}");
}

/// A crates.io stand-in on disk (a "directory source", as `cargo vendor`
/// writes): `ext` 1.0.0 and 1.1.0, with a `fast` feature. Cargo reads it
/// offline, so a lockfile bump needs no network.
fn vendored_registry(dir: &Path) -> Vec<(String, String)> {
    let mut sums = Vec::new();
    for v in ["1.0.0", "1.1.0"] {
        let d = dir.join(format!("ext-{v}"));
        write(
            &d,
            "Cargo.toml",
            &format!(
                "[package]\nname = \"ext\"\nversion = \"{v}\"\nedition = \"2021\"\n\n[features]\nfast = []\n"
            ),
        );
        write(&d, "src/lib.rs", "pub fn f() {}\n");
        // Any 64 hex digits: the lockfile records what the source says.
        let sum = format!("{:0>64}", v.replace('.', ""));
        write(
            &d,
            ".cargo-checksum.json",
            &format!("{{\"files\":{{}},\"package\":\"{sum}\"}}"),
        );
        sums.push((v.to_owned(), sum));
    }
    sums
}

fn manifest(name: &str, deps: &str, dev: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}\n[dev-dependencies]\n{dev}"
    )
}

/// What determinator (guppy's reference implementation) marks for the
/// change from `base` to `head`, computed from real checkouts (git
/// worktrees, not test-impact's manifest copies) and `git diff`'s list.
/// Its default rules apply, after the few rules below.
fn determinator_marks(repo: &Path, scratch: &Path, base: &str, head: &str) -> BTreeSet<String> {
    use determinator::Determinator;
    use determinator::rules::DeterminatorRules;
    use guppy::graph::PackageGraph;
    let graph_at = |rev: &str| -> PackageGraph {
        let wt = scratch.join(format!("wt-{rev}"));
        if !wt.exists() {
            git(
                repo,
                &[
                    "worktree",
                    "add",
                    "-q",
                    "--detach",
                    wt.to_str().unwrap(),
                    rev,
                ],
            );
        }
        let o = Command::new(env!("CARGO"))
            .current_dir(&wt)
            .args(["metadata", "--format-version", "1", "--offline"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "cargo metadata at {rev}: {}",
            stderr(&o)
        );
        PackageGraph::from_json(stdout(&o)).unwrap()
    };
    let old = graph_at(base);
    let new = graph_at(head);
    let changed: Vec<String> = git(repo, &["diff", "--name-only", "--no-renames", base, head])
        .lines()
        .map(str::to_owned)
        .collect();
    // Determinator places a file by package folder only, and falls back to
    // everything for a file in none. Cargo's metadata places two more kinds
    // of file, and test-impact uses that; the same knowledge is given to
    // determinator here as its own path rules, from guppy's view of the
    // graphs (not test-impact's):
    // - a target's source outside its package's folder (`path =
    //   "../../tests/x.rs"`) belongs to that package;
    // - the files of a package the change removed need no test at head (a
    //   member that depended on it changed its own manifest, and is marked
    //   for that).
    let mut rules = String::new();
    let mut rule = |glob: &str, marks: &str| {
        rules.push_str(&format!(
            "[[path-rule]]\nglobs = [\"{glob}\"]\nmark-changed = [{marks}]\n\n"
        ));
    };
    let rel = |g: &PackageGraph, p: &Path| -> String {
        let root = g.workspace().root().as_std_path();
        let mut parts: Vec<&str> = Vec::new();
        for c in p.strip_prefix(root).unwrap().components() {
            match c.as_os_str().to_str().unwrap() {
                ".." => {
                    parts.pop();
                }
                "." => {}
                s => parts.push(s),
            }
        }
        parts.join("/")
    };
    for p in new.workspace().iter() {
        let dir = rel(&new, p.manifest_path().parent().unwrap().as_std_path());
        for t in p.build_targets() {
            let file = rel(&new, t.path().as_std_path());
            if !file.starts_with(&format!("{dir}/")) {
                rule(&file, &format!("\"{}\"", p.name()));
            }
        }
    }
    for p in old.workspace().iter() {
        if new.workspace().member_by_name(p.name()).is_err() {
            let dir = rel(&old, p.manifest_path().parent().unwrap().as_std_path());
            rule(&format!("{dir}/**"), "");
        }
    }
    // Its default rules mark everything on any root Cargo.toml change;
    // test-impact compares the package graphs instead, and marks
    // everything only on [profile]/[patch]/[replace] changes.
    rule("Cargo.toml", "");
    let rules = DeterminatorRules::parse(&rules).unwrap();
    let mut d = Determinator::new(&old, &new);
    d.set_rules(&rules).unwrap();
    d.add_changed_paths(changed.iter());
    let set = d.compute();
    set.affected_set
        .packages(guppy::graph::DependencyDirection::Forward)
        .map(|p| p.name().to_owned())
        .collect()
}

#[test]
fn cargo_workspace_history_never_misses_what_determinator_marks() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("registry");
    let sums = vendored_registry(&registry);
    let repo = tmp.path().join("ws");
    std::fs::create_dir_all(&repo).unwrap();
    init_repo(&repo);
    write(
        &repo,
        ".cargo/config.toml",
        &format!(
            "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"{}\"\n",
            registry.display()
        ),
    );
    let members = |extra: &str| {
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [\"crates/core\", \"crates/mid\", \"crates/app\", \"crates/testkit\", \"crates/solo\"{extra}]\n\n[profile.release]\nlto = false\n"
        )
    };
    write(&repo, "Cargo.toml", &members(""));
    write(
        &repo,
        "crates/core/Cargo.toml",
        &manifest("core", "ext = \"1\"", ""),
    );
    write(
        &repo,
        "crates/mid/Cargo.toml",
        &manifest("mid", "core = { path = \"../core\" }", ""),
    );
    write(
        &repo,
        "crates/app/Cargo.toml",
        &format!(
            "{}\n[[test]]\nname = \"shared\"\npath = \"../../tests/app_shared.rs\"\n",
            manifest(
                "app",
                "mid = { path = \"../mid\" }",
                "testkit = { path = \"../testkit\" }",
            )
        ),
    );
    // app's second integration test is kept outside its folder.
    write(&repo, "tests/app_shared.rs", "#[test]\nfn t() {}\n");
    write(
        &repo,
        "crates/testkit/Cargo.toml",
        &manifest("testkit", "", ""),
    );
    write(&repo, "crates/solo/Cargo.toml", &manifest("solo", "", ""));
    for c in ["core", "mid", "app", "testkit", "solo"] {
        write(&repo, &format!("crates/{c}/src/lib.rs"), "// v0\n");
    }
    write(&repo, "crates/app/tests/smoke.rs", "#[test]\nfn t() {}\n");
    write(&repo, "README.md", "# ws\n");
    let lock = |v: &str, sum: &str| {
        format!(
            "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"mid\",\n \"testkit\",\n]\n\n\
             [[package]]\nname = \"core\"\nversion = \"0.1.0\"\ndependencies = [\n \"ext\",\n]\n\n\
             [[package]]\nname = \"ext\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{sum}\"\n\n\
             [[package]]\nname = \"mid\"\nversion = \"0.1.0\"\ndependencies = [\n \"core\",\n]\n\n\
             [[package]]\nname = \"solo\"\nversion = \"0.1.0\"\n\n\
             [[package]]\nname = \"testkit\"\nversion = \"0.1.0\"\n"
        )
    };
    write(&repo, "Cargo.lock", &lock(&sums[0].0, &sums[0].1));
    commit_all(&repo, "workspace");

    // Each step: a change, and what test-impact must select exactly
    // (None: everything).
    type Step<'a> = (&'a str, Box<dyn Fn(&Path) + 'a>, Option<&'a [&'a str]>);
    let steps: Vec<Step<'_>> = vec![
        (
            "edit a library",
            Box::new(|r| write(r, "crates/mid/src/lib.rs", "// v1\n")),
            Some(&["app", "mid"]),
        ),
        (
            "a lockfile-only bump of ext",
            Box::new(|r| write(r, "Cargo.lock", &lock(&sums[1].0, &sums[1].1))),
            Some(&["app", "core", "mid"]),
        ),
        (
            "a dev-dependency's source",
            Box::new(|r| write(r, "crates/testkit/src/lib.rs", "// v1\n")),
            Some(&["app", "testkit"]),
        ),
        (
            "an integration test file",
            Box::new(|r| write(r, "crates/app/tests/smoke.rs", "#[test]\nfn t2() {}\n")),
            Some(&["app"]),
        ),
        (
            "a test file outside its package's folder",
            Box::new(|r| write(r, "tests/app_shared.rs", "#[test]\nfn t3() {}\n")),
            Some(&["app"]),
        ),
        (
            "a feature of ext turned on by solo",
            Box::new(|r| {
                write(
                    r,
                    "crates/solo/Cargo.toml",
                    &manifest(
                        "solo",
                        "ext = { version = \"1\", features = [\"fast\"] }",
                        "",
                    ),
                );
                let lock_text = std::fs::read_to_string(r.join("Cargo.lock")).unwrap();
                write(
                    r,
                    "Cargo.lock",
                    &lock_text.replace(
                        "name = \"solo\"\nversion = \"0.1.0\"\n",
                        "name = \"solo\"\nversion = \"0.1.0\"\ndependencies = [\n \"ext\",\n]\n",
                    ),
                );
            }),
            Some(&["solo"]),
        ),
        (
            "a new member",
            Box::new(|r| {
                write(r, "Cargo.toml", &members(", \"crates/newbie\""));
                write(r, "crates/newbie/Cargo.toml", &manifest("newbie", "", ""));
                write(r, "crates/newbie/src/lib.rs", "\n");
                let lock_text = std::fs::read_to_string(r.join("Cargo.lock")).unwrap();
                write(
                    r,
                    "Cargo.lock",
                    &lock_text.replace(
                        "[[package]]\nname = \"solo\"",
                        "[[package]]\nname = \"newbie\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"solo\"",
                    ),
                );
            }),
            Some(&["newbie"]),
        ),
        (
            "a member removed",
            Box::new(|r| {
                let text = std::fs::read_to_string(r.join("Cargo.toml")).unwrap();
                write(r, "Cargo.toml", &text.replace(", \"crates/solo\"", ""));
                std::fs::remove_dir_all(r.join("crates/solo")).unwrap();
                let lock_text = std::fs::read_to_string(r.join("Cargo.lock")).unwrap();
                write(
                    r,
                    "Cargo.lock",
                    &lock_text.replace(
                        "\n[[package]]\nname = \"solo\"\nversion = \"0.1.0\"\ndependencies = [\n \"ext\",\n]\n",
                        "",
                    ),
                );
            }),
            Some(&[]),
        ),
        (
            "docs only",
            Box::new(|r| write(r, "README.md", "# ws, documented\n")),
            Some(&[]),
        ),
        (
            "a release profile change",
            Box::new(|r| {
                let text = std::fs::read_to_string(r.join("Cargo.toml")).unwrap();
                write(r, "Cargo.toml", &text.replace("lto = false", "lto = true"));
            }),
            None,
        ),
        (
            "a script no package owns",
            Box::new(|r| write(r, "scripts/release.sh", "echo\n")),
            None,
        ),
    ];
    let scratch = tmp.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    for (what, change, want) in &steps {
        let base = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
        change(&repo);
        commit_all(&repo, what);
        let head = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
        let out = json(&ok(run(
            &repo,
            &[
                "select", "--base", &base, "--head", &head, "--format", "json",
            ],
        )));
        let got: BTreeSet<String> = strings(&out["affected"]).into_iter().collect();
        let marked = determinator_marks(&repo, &scratch, &base, &head);
        let missed: Vec<&String> = marked.difference(&got).collect();
        assert!(
            missed.is_empty(),
            "{what}: determinator marks {missed:?} too; got {out}"
        );
        match want {
            Some(want) => {
                assert_eq!(out["run_all"], false, "{what}: {out}");
                let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
                assert_eq!(got, want, "{what}: {out}");
            }
            None => assert_eq!(out["run_all"], true, "{what}: {out}"),
        }
        if *what == "a member removed" {
            assert_eq!(strings(&out["removed"]), ["solo"], "{out}");
        }
        if *what == "a lockfile-only bump of ext" {
            let why = out["reasons"]["core"]["why"].as_str().unwrap_or_default();
            assert!(why.contains("ext 1.0.0 -> 1.1.0"), "{out}");
        }
    }
    // A list of files instead of a diff: the graph is head's.
    let list = tmp.path().join("changed.txt");
    std::fs::write(&list, "crates/mid/src/lib.rs\n").unwrap();
    let l = list.to_str().unwrap();
    assert_eq!(
        ok(run(&repo, &["select", "--changed-files", l])),
        "app\nmid\n"
    );
    std::fs::write(&list, "Cargo.lock\n").unwrap();
    let j = json(&ok(run(
        &repo,
        &["select", "--changed-files", l, "--format", "json"],
    )));
    assert_eq!(j["run_all"], true, "{j}");
    assert!(
        j["run_all_reason"]
            .as_str()
            .unwrap()
            .contains("without --base"),
        "{j}"
    );

    // The user's checkout is untouched: no Cargo.lock rewrite, no target/.
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert!(!repo.join("target").exists());

    // Uncommitted work: a source edit, and a lockfile change that only a
    // head graph read from the work tree can see.
    write(&repo, "crates/testkit/src/lib.rs", "// dirty\n");
    let lock_text = std::fs::read_to_string(repo.join("Cargo.lock")).unwrap();
    write(
        &repo,
        "Cargo.lock",
        &lock_text
            .replace("version = \"1.1.0\"", "version = \"1.0.0\"")
            .replace(&sums[1].1, &sums[0].1),
    );
    let j = json(&ok(run(
        &repo,
        &[
            "select",
            "--base",
            "HEAD",
            "--uncommitted",
            "--format",
            "json",
        ],
    )));
    assert_eq!(j["run_all"], false, "{j}");
    assert_eq!(
        strings(&j["affected"]),
        ["app", "core", "mid", "testkit"],
        "{j}"
    );
    assert_eq!(j["reasons"]["core"]["kind"], "build", "{j}");
    assert!(
        j["reasons"]["core"]["why"]
            .as_str()
            .unwrap()
            .contains("ext 1.1.0 -> 1.0.0"),
        "{j}"
    );
    // Without --uncommitted the same work tree selects nothing.
    assert_eq!(ok(run(&repo, &["select", "--base", "HEAD"])), "");
}

// --base last-green: the base is the newest commit on the branch whose run
// of a workflow succeeded, asked of the stateful fake GitHub on loopback.

use fake_services::{FakeConfig, FakeGitHub, RunSpec};

/// The token the fake accepts (`FakeConfig::default`).
const LAST_GREEN_TOKEN: &str = "ghp_fakeToken0123456789";
/// The runs' endpoint of the default workflow.
const LAST_GREEN_RUNS: &str = "/repos/acme/widgets/actions/workflows/ci.yml/runs";

/// `select --base last-green ARGS` in `dir` against `gh`, with a CI
/// environment of only what the test gives (`""` removes a variable).
fn last_green_select(dir: &Path, gh: &FakeGitHub, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .args(["select", "--base", "last-green"])
        .args(args)
        .stdin(Stdio::null());
    for var in [
        "GITHUB_OUTPUT",
        "GITHUB_BASE_REF",
        "GITHUB_REF_NAME",
        "TEST_IMPACT_LOG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GITHUB_API_URL", gh.url())
        .env("GITHUB_TOKEN", LAST_GREEN_TOKEN)
        .env("GITHUB_REPOSITORY", "acme/widgets");
    for (k, v) in env {
        if v.is_empty() {
            cmd.env_remove(k);
        } else {
            cmd.env(k, v);
        }
    }
    cmd.output().expect("the binary runs")
}

/// small_repo plus two commits on main: c2 changes core, c3 (HEAD) app.
/// Returns the shas c1, c2, c3.
fn last_green_repo() -> (tempfile::TempDir, PathBuf, String, [String; 3]) {
    let (tmp, repo, g) = small_repo();
    let c1 = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    write(&repo, "libs/core/a.rs", "broken\n");
    commit_all(&repo, "core");
    let c2 = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    write(&repo, "apps/app/c.rs", "1\n");
    commit_all(&repo, "app");
    let c3 = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    (tmp, repo, g, [c1, c2, c3])
}

fn green<'a>(sha: &'a str) -> RunSpec<'a> {
    RunSpec {
        head_sha: sha,
        conclusion: Some("success"),
        ..RunSpec::default()
    }
}

#[test]
fn last_green_is_the_newest_success_and_selects_what_changed_since() {
    let (_tmp, repo, g, [c1, c2, _c3]) = last_green_repo();
    let gh = FakeGitHub::start(FakeConfig::default());
    gh.add_run(green(&c1));
    gh.add_run(RunSpec {
        conclusion: Some("failure"),
        ..green(&c2)
    });
    // Newer, but not a push of main: a pull request's run and a run still
    // going.
    gh.add_run(RunSpec {
        event: "pull_request",
        ..green(&c2)
    });
    gh.add_run(RunSpec {
        status: Some("in_progress"),
        conclusion: None,
        ..green(&c2)
    });
    let args = ["--workflow", "ci.yml", "--branch", "main", "--graph", &g];
    let o = last_green_select(
        &repo,
        &gh,
        &[&args[..], &["--format", "json"]].concat(),
        &[],
    );
    let err = stderr(&o);
    let j = json(&ok(o));
    assert_eq!(j["base"], "last-green");
    assert_eq!(j["merge_base"], c1.as_str());
    assert_eq!(
        strings(&j["changed_files"]),
        ["apps/app/c.rs", "libs/core/a.rs"]
    );
    // core broke at c2 and is still not green: selected again, with what
    // depends on it, though the last commit only touched app.
    assert_eq!(strings(&j["affected"]), ["app", "core", "lib"]);
    assert_eq!(
        err.lines().next().unwrap(),
        format!(
            "last-green: ci.yml on main succeeded at {} (run #1)",
            &c1[..12]
        )
    );
    assert_eq!(
        ok(run(&repo, &["select", "--base", "HEAD~1", "--graph", &g])),
        "app\n"
    );

    // One request, with GitHub's filters and the branch and workflow
    // encoded.
    let asked: Vec<String> = gh
        .requests()
        .into_iter()
        .map(|(m, p, s)| format!("{m} {p} {s}"))
        .collect();
    assert_eq!(
        asked,
        [format!(
            "GET {LAST_GREEN_RUNS}?branch=main&status=success&event=push\
             &exclude_pull_requests=true&per_page=100 200"
        )]
    );

    // core fixed at c2: only app is left to test.
    gh.add_run(green(&c2));
    let o = last_green_select(&repo, &gh, &args, &[]);
    assert!(
        stderr(&o).contains(&format!("at {} (run #5)", &c2[..12])),
        "{}",
        stderr(&o)
    );
    assert_eq!(ok(o), "app\n");

    // The workflow as a path, by id, and the branch from a pull request's
    // environment (GITHUB_BASE_REF wins over GITHUB_REF_NAME).
    let id = gh.add_workflow("ci.yml").to_string();
    for w in [".github/workflows/ci.yml", id.as_str()] {
        let o = last_green_select(
            &repo,
            &gh,
            &["--workflow", w, "--graph", &g],
            &[("GITHUB_BASE_REF", "main"), ("GITHUB_REF_NAME", "7/merge")],
        );
        assert_eq!(ok(o), "app\n", "{w}");
    }
    let o = last_green_select(
        &repo,
        &gh,
        &["--workflow", "ci.yml", "--graph", &g],
        &[("GITHUB_BASE_REF", ""), ("GITHUB_REF_NAME", "main")],
    );
    assert_eq!(ok(o), "app\n");
}

#[test]
fn last_green_ignores_a_forks_success_on_a_branch_named_main() {
    let (_tmp, repo, g, [c1, c2, c3]) = last_green_repo();
    let gh = FakeGitHub::start(FakeConfig::default());
    gh.add_run(green(&c1));
    gh.add_run(RunSpec {
        conclusion: Some("failure"),
        ..green(&c2)
    });
    // A fork's pull request from its `main`, run as a push in the fork and
    // listed by GitHub under branch=main: its commits are in the local clone
    // once fetched, so only the head repository tells them apart.
    for sha in [&c2, &c3] {
        gh.add_run(RunSpec {
            head_repository: Some("mallory/widgets"),
            ..green(sha)
        });
    }
    let o = last_green_select(
        &repo,
        &gh,
        &[
            "--workflow",
            "ci.yml",
            "--branch",
            "main",
            "--graph",
            &g,
            "--format",
            "json",
        ],
        &[],
    );
    let j = json(&ok(o));
    assert_eq!(j["merge_base"], c1.as_str());
    assert_eq!(strings(&j["affected"]), ["app", "core", "lib"]);
}

#[test]
fn last_green_skips_green_commits_the_clone_lacks_and_stops_paging() {
    let (_tmp, repo, g, [c1, _c2, _c3]) = last_green_repo();
    let gh = FakeGitHub::start(FakeConfig::default());
    let t0: chrono::DateTime<chrono::Utc> = "2026-03-01T08:00:00Z".parse().unwrap();
    let absent: Vec<String> = (1..=250u32).map(|i| format!("{i:040x}")).collect();
    let mut minute = 0;
    let mut add = |gh: &FakeGitHub, sha: &str| {
        minute += 1;
        gh.add_run(RunSpec {
            created_at: Some(t0 + chrono::Duration::minutes(minute)),
            ..green(sha)
        });
    };
    // Newest first the list is 120 commits the clone does not have, then
    // c1 on the second page, then 130 older on a third.
    for sha in &absent[..130] {
        add(&gh, sha);
    }
    add(&gh, &c1);
    for sha in &absent[130..] {
        add(&gh, sha);
    }
    let o = last_green_select(
        &repo,
        &gh,
        &["--workflow", "ci.yml", "--branch", "main", "--graph", &g],
        &[("RUST_LOG", "warn")],
    );
    let err = stderr(&o);
    assert_eq!(ok(o), "app\ncore\nlib\n");
    let summary = format!(
        "last-green: ci.yml on main succeeded at {} (run #131)",
        &c1[..12]
    );
    assert!(err.lines().any(|l| l == summary), "{err}");
    let skipped = err
        .lines()
        .filter(|l| l.contains("not in the local clone"))
        .count();
    assert_eq!(skipped, 120, "{err}");
    assert!(err.contains(&absent[249]), "the newest is named: {err}");
    assert_eq!(gh.count("GET", LAST_GREEN_RUNS), 2, "no third page");
}

#[test]
fn last_green_none_exits_2_with_a_hint_or_selects_everything() {
    let (_tmp, repo, g, [c1, c2, _c3]) = last_green_repo();
    let gh = FakeGitHub::start(FakeConfig::default());
    gh.add_run(RunSpec {
        conclusion: Some("failure"),
        ..green(&c1)
    });
    gh.add_run(RunSpec {
        branch: "feature",
        ..green(&c2)
    });
    let args = ["--workflow", "ci.yml", "--branch", "main", "--graph", &g];
    let e = bad(last_green_select(&repo, &gh, &args, &[]));
    assert_eq!(
        e,
        "test-impact: error: no successful push run of workflow `ci.yml` on branch `main` of \
         acme/widgets; check --workflow and --branch, or pass --on-missing-base all\n"
    );
    let j = json(&ok(last_green_select(
        &repo,
        &gh,
        &[&args[..], &["--on-missing-base", "all", "--format", "json"]].concat(),
        &[],
    )));
    assert_eq!(j["run_all"], true, "{j}");
    assert_eq!(j["merge_base"], Value::Null);
    assert_eq!(strings(&j["affected"]), ["app", "core", "lib", "other"]);
    assert!(
        j["run_all_reason"]
            .as_str()
            .unwrap()
            .starts_with("no successful push run of workflow `ci.yml` on branch `main`"),
        "{j}"
    );

    // Successes, but of commits the clone does not have: fetch more.
    let gone = "ab".repeat(20);
    gh.add_run(green(&gone));
    // -q: only the error (without it, a warning names each run passed over).
    let e = bad(last_green_select(
        &repo,
        &gh,
        &[&args[..], &["-q"]].concat(),
        &[],
    ));
    assert!(e.contains("none of the 1 successful runs"), "{e}");
    assert!(e.contains("(the newest: abababababab)"), "{e}");
    assert!(e.contains("fetch-depth: 0"), "{e}");
    assert!(e.contains("--on-missing-base all"), "{e}");
    ok(last_green_select(
        &repo,
        &gh,
        &[&args[..], &["--on-missing-base", "all"]].concat(),
        &[],
    ));

    // A workflow GitHub does not know.
    let e = bad(last_green_select(
        &repo,
        &gh,
        &["--workflow", "nope.yml", "--branch", "main", "--graph", &g],
        &[],
    ));
    assert!(e.contains("`nope.yml` the file name of a workflow"), "{e}");
    assert!(e.contains("HTTP 404"), "{e}");
}

#[test]
fn last_green_bad_setup_exits_2_with_one_line_and_no_token() {
    let (_tmp, repo, g, [c1, _c2, _c3]) = last_green_repo();
    let gh = FakeGitHub::start(FakeConfig::default());
    gh.add_run(green(&c1));
    let e = bad(last_green_select(
        &repo,
        &gh,
        &["--branch", "main", "--graph", &g],
        &[],
    ));
    assert!(e.contains("needs --workflow FILE"), "{e}");
    let flags = ["--workflow", "ci.yml", "--graph", &g];
    let e = bad(last_green_select(&repo, &gh, &flags, &[]));
    assert!(e.contains("pass --branch NAME"), "{e}");
    let flags = ["--workflow", "ci.yml", "--branch", "main", "--graph", &g];
    let e = bad(last_green_select(
        &repo,
        &gh,
        &flags,
        &[("GITHUB_TOKEN", "")],
    ));
    assert!(e.contains("GITHUB_TOKEN is not set"), "{e}");
    let e = bad(last_green_select(
        &repo,
        &gh,
        &flags,
        &[("GITHUB_REPOSITORY", "")],
    ));
    assert!(e.contains("GITHUB_REPOSITORY is not set"), "{e}");
    let e = bad(last_green_select(
        &repo,
        &gh,
        &flags,
        &[("GITHUB_REPOSITORY", "acme")],
    ));
    assert!(e.contains("OWNER/NAME"), "{e}");
    assert_eq!(
        gh.count("*", "/"),
        0,
        "nothing asked before the setup is complete"
    );

    let wrong = "ghp_wrongSecret42";
    let e = bad(last_green_select(
        &repo,
        &gh,
        &flags,
        &[("GITHUB_TOKEN", wrong)],
    ));
    assert!(
        e.contains(&format!("GET {LAST_GREEN_RUNS}?branch=main")),
        "{e}"
    );
    assert!(e.contains("HTTP 401"), "{e}");
    assert!(!e.contains(wrong) && !e.contains(LAST_GREEN_TOKEN), "{e}");
    // A server that is down: the URL, not a panic, after the retries.
    let url = {
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", dead.local_addr().unwrap())
    };
    let o = last_green_select(&repo, &gh, &flags, &[("GITHUB_API_URL", &url)]);
    // 3: GitHub could not be reached (docs/cli.md), not bad input.
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    let last = err.lines().last().unwrap_or("");
    assert!(last.contains(&format!("GET {LAST_GREEN_RUNS}?")), "{err}");
    assert!(last.contains("cannot reach"), "{err}");
}

/// A workspace made with `cargo new`, its members inheriting settings
/// from the root manifest:
/// - alpha: `edition.workspace`, `[lints] workspace`, doc-tests its
///   README (`#![doc = include_str!("../README.md")]`);
/// - beta: `edition.workspace`, optional alpha behind feature `a`;
/// - gamma: its own edition, `[lints] workspace`;
/// - delta: its own edition, compiles in `docs/guide.md` from the root.
fn inheriting_workspace() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("ws");
    std::fs::create_dir_all(repo.join("crates")).unwrap();
    init_repo(&repo);
    for name in ["alpha", "beta", "gamma", "delta"] {
        let o = Command::new("cargo")
            .current_dir(repo.join("crates"))
            .args(["new", "--lib", "--vcs", "none", "--quiet", name])
            .output()
            .unwrap();
        assert!(o.status.success(), "cargo new: {}", stderr(&o));
    }
    write(
        &repo,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n\
         [workspace.package]\nedition = \"2021\"\n\n\
         [workspace.lints.rust]\nmissing_docs = \"allow\"\n\n\
         [workspace.dependencies]\nalpha = { path = \"crates/alpha\" }\n",
    );
    let manifest = |name: &str, edition: &str, rest: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\n{edition}\n{rest}")
    };
    write(
        &repo,
        "crates/alpha/Cargo.toml",
        &manifest(
            "alpha",
            "edition.workspace = true",
            "[lints]\nworkspace = true\n",
        ),
    );
    write(
        &repo,
        "crates/alpha/src/lib.rs",
        "#![doc = include_str!(\"../README.md\")]\n// include_str!(\"../NOT-INCLUDED.md\")\npub fn a() {}\n",
    );
    write(
        &repo,
        "crates/alpha/README.md",
        "```\nassert!(true);\n```\n",
    );
    write(
        &repo,
        "crates/beta/Cargo.toml",
        &manifest(
            "beta",
            "edition.workspace = true",
            "[dependencies]\nalpha = { workspace = true, optional = true }\n\n[features]\na = [\"dep:alpha\"]\n",
        ),
    );
    write(
        &repo,
        "crates/gamma/Cargo.toml",
        &manifest("gamma", "edition = \"2021\"", "[lints]\nworkspace = true\n"),
    );
    write(
        &repo,
        "crates/delta/Cargo.toml",
        &manifest("delta", "edition = \"2021\"", ""),
    );
    write(
        &repo,
        "crates/delta/src/lib.rs",
        "pub const GUIDE: &str = include_str!(\"../../../docs/guide.md\");\n",
    );
    write(&repo, "docs/guide.md", "# Guide\n");
    write(&repo, "docs/other.md", "# Not compiled in\n");
    write(
        &repo,
        "crates/alpha/NOT-INCLUDED.md",
        "only named in a comment\n",
    );
    generate_lockfile(&repo);
    commit_all(&repo, "workspace");
    (tmp, repo)
}

/// The selection and reasons for one commit on top of main.
fn select_change(repo: &Path, edit: &dyn Fn(&Path)) -> Value {
    git(repo, &["checkout", "-q", "-B", "change", "main"]);
    edit(repo);
    commit_all(repo, "change");
    json(&ok(run(
        repo,
        &["select", "--base", "main", "--format", "json"],
    )))
}

fn edit_file(repo: &Path, rel: &str, from: &str, to: &str) {
    let p = repo.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(p, text.replace(from, to)).unwrap();
}

#[test]
fn inherited_settings_and_compiled_in_files_select_exactly_their_members() {
    let (_tmp, repo) = inheriting_workspace();

    // [workspace.lints]: the members with `[lints] workspace = true`, and
    // what builds on them.
    let j = select_change(&repo, &|r| {
        edit_file(
            r,
            "Cargo.toml",
            "missing_docs = \"allow\"",
            "missing_docs = \"deny\"",
        )
    });
    assert_eq!(j["run_all"], false, "{j}");
    assert_eq!(j["lockfile"], "committed");
    assert_eq!(strings(&j["affected"]), ["alpha", "beta", "gamma"]);
    assert_eq!(j["reasons"]["alpha"]["kind"], "manifest");
    assert_eq!(j["reasons"]["gamma"]["kind"], "manifest");
    assert_eq!(j["reasons"]["beta"]["kind"], "dependency");
    assert_eq!(j["reasons"]["beta"]["feature"], "a");

    // [workspace.package] edition: the members that inherit it.
    let j = select_change(&repo, &|r| {
        edit_file(r, "Cargo.toml", "edition = \"2021\"", "edition = \"2024\"")
    });
    assert_eq!(j["run_all"], false, "{j}");
    assert_eq!(strings(&j["affected"]), ["alpha", "beta"]);
    assert_eq!(j["reasons"]["beta"]["kind"], "manifest");

    // The README alpha doc-tests, though the built-in rules ignore `*.md`.
    let j = select_change(&repo, &|r| {
        write(r, "crates/alpha/README.md", "```\nassert!(false);\n```\n")
    });
    assert_eq!(j["run_all"], false, "{j}");
    assert_eq!(strings(&j["affected"]), ["alpha", "beta"]);
    assert_eq!(j["reasons"]["alpha"]["kind"], "compiled_in");
    assert_eq!(j["reasons"]["alpha"]["path"], "crates/alpha/README.md");

    // A file outside every package that delta compiles in; a Markdown
    // file nobody includes, and one only a comment names, select nothing.
    let j = select_change(&repo, &|r| write(r, "docs/guide.md", "# Guide 2\n"));
    assert_eq!(strings(&j["affected"]), ["delta"]);
    assert_eq!(
        j["reasons"]["delta"]["how"],
        "include_str! at crates/delta/src/lib.rs:1"
    );
    let j = select_change(&repo, &|r| {
        write(r, "docs/other.md", "changed\n");
        write(r, "crates/alpha/NOT-INCLUDED.md", "changed\n");
    });
    assert_eq!(j["run_all"], false, "{j}");
    assert_eq!(strings(&j["affected"]), Vec::<String>::new());
}

/// A workspace member inside a git submodule is read from the
/// submodule's checkout, and a change inside it selects that member.
#[test]
fn members_inside_a_submodule_are_read_from_its_checkout() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    init_repo(&sub);
    write(
        &sub,
        "subcrate/Cargo.toml",
        "[package]\nname = \"subcrate\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(&sub, "subcrate/src/lib.rs", "pub fn s() {}\n");
    commit_all(&sub, "sub");

    let repo = tmp.path().join("super");
    std::fs::create_dir_all(&repo).unwrap();
    init_repo(&repo);
    git(
        &repo,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            sub.to_str().unwrap(),
            "vendor/sub",
        ],
    );
    write(
        &repo,
        "Cargo.toml",
        "[workspace]\nmembers = [\"app\", \"other\", \"vendor/sub/subcrate\"]\nresolver = \"2\"\n",
    );
    write(
        &repo,
        "app/Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nsubcrate = { path = \"../vendor/sub/subcrate\" }\n",
    );
    write(&repo, "app/src/lib.rs", "");
    write(
        &repo,
        "other/Cargo.toml",
        "[package]\nname = \"other\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(&repo, "other/src/lib.rs", "");
    let o = Command::new("cargo")
        .current_dir(&repo)
        .args(["generate-lockfile", "--offline", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    commit_all(&repo, "super");

    // A commit inside the submodule, taken by the superproject.
    let inner = repo.join("vendor/sub");
    write(&inner, "subcrate/src/lib.rs", "pub fn s() { let _ = 1; }\n");
    commit_all(&inner, "sub change");
    commit_all(&repo, "bump sub");
    let j = json(&ok(run(
        &repo,
        &["select", "--base", "HEAD~1", "--format", "json"],
    )));
    assert_eq!(
        strings(&j["changed_files"]),
        ["vendor/sub/subcrate/src/lib.rs"]
    );
    assert_eq!(j["run_all"], false, "{j}");
    assert_eq!(strings(&j["affected"]), ["app", "subcrate"]);
    // A change outside the submodule: the member in it is still read.
    write(&repo, "other/src/lib.rs", "pub fn o() {}\n");
    commit_all(&repo, "other");
    assert_eq!(ok(run(&repo, &["select", "--base", "HEAD~1"])), "other\n");
}

/// The lockfiles cached under `.git/test-impact/`, with their text.
fn cached_locks(repo: &Path) -> Vec<String> {
    let dir = repo.join(".git/test-impact");
    let mut out: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name()?.to_str()?.to_owned();
                (name.starts_with("lock-") && name.ends_with(".lock"))
                    .then(|| std::fs::read_to_string(&p).unwrap())
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn a_workspace_without_a_lockfile_is_resolved_once_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = tmp.path().join("registry");
    vendored_registry(&registry);
    // Only ext 1.0.0 is published when the lockfile is first generated.
    let later = tmp.path().join("ext-1.1.0");
    std::fs::rename(registry.join("ext-1.1.0"), &later).unwrap();
    let repo = tmp.path().join("ws");
    std::fs::create_dir_all(&repo).unwrap();
    init_repo(&repo);
    write(
        &repo,
        ".cargo/config.toml",
        &format!(
            "[source.crates-io]\nreplace-with = \"vendored\"\n\n[source.vendored]\ndirectory = \"{}\"\n",
            registry.display()
        ),
    );
    // As tokio does: the lockfile is ignored, not committed.
    write(&repo, ".gitignore", "/target\nCargo.lock\n");
    write(
        &repo,
        "Cargo.toml",
        "[workspace]\nresolver = \"2\"\nmembers = [\"a\", \"b\", \"c\"]\n",
    );
    write(&repo, "a/Cargo.toml", &manifest("a", "ext = \"1\"", ""));
    write(
        &repo,
        "b/Cargo.toml",
        &manifest("b", "a = { path = \"../a\" }", ""),
    );
    write(&repo, "c/Cargo.toml", &manifest("c", "", ""));
    for c in ["a", "b", "c"] {
        write(&repo, &format!("{c}/src/lib.rs"), "// v0\n");
    }
    commit_all(&repo, "workspace");
    write(&repo, "a/src/lib.rs", "// v1\n");
    commit_all(&repo, "change a");

    let select = || {
        let o = run(&repo, &["select", "--base", "HEAD~1", "--format", "json"]);
        let err = stderr(&o);
        (json(&ok(o)), err)
    };
    let (j, err) = select();
    assert_eq!(j["lockfile"], "generated", "{j}");
    assert_eq!(strings(&j["affected"]), ["a", "b"], "{j}");
    assert!(err.contains("commits no Cargo.lock"), "{err}");
    // Base and head have the same manifests: one resolution, cached.
    let locks = cached_locks(&repo);
    assert_eq!(locks.len(), 1, "{locks:?}");
    assert!(locks[0].contains("version = \"1.0.0\""), "{}", locks[0]);
    // Nothing is written into the user's work tree.
    assert!(!repo.join("Cargo.lock").exists());

    // ext 1.1.0 is published: a fresh resolution would take it, the
    // cached lockfile keeps the resolution the first run made.
    std::fs::rename(&later, registry.join("ext-1.1.0")).unwrap();
    let (again, _) = select();
    assert_eq!(again["affected"], j["affected"]);
    assert_eq!(cached_locks(&repo), locks);

    // New manifests: head resolves from the base's cached lockfile, so
    // what the change did not touch keeps its versions (ext stays 1.0.0).
    write(&repo, "c/Cargo.toml", &manifest("c", "ext = \"1\"", ""));
    commit_all(&repo, "c uses ext");
    let (j, _) = select();
    assert_eq!(j["lockfile"], "generated");
    assert_eq!(strings(&j["affected"]), ["c"], "{j}");
    assert_eq!(cached_locks(&repo).len(), 2);
}

#[test]
fn a_past_commit_is_selected_with_the_rules_it_had() {
    let (_tmp, repo) = inheriting_workspace();
    write(&repo, "docs/other.md", "# Changed\n");
    commit_all(&repo, "docs");
    let past = git(&repo, &["rev-parse", "HEAD"]).trim().to_owned();
    // Later: a new crate, and a rule that names it.
    let o = Command::new("cargo")
        .current_dir(repo.join("crates"))
        .args(["new", "--lib", "--vcs", "none", "--quiet", "epsilon"])
        .output()
        .unwrap();
    assert!(o.status.success(), "cargo new: {}", stderr(&o));
    write(
        &repo,
        "test-impact.toml",
        "[[path-rule]]\nglobs = [\"docs/other.md\"]\nmark-changed = [\"epsilon\"]\n",
    );
    let o = Command::new("cargo")
        .current_dir(&repo)
        .args(["generate-lockfile", "--offline", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    commit_all(&repo, "epsilon");

    // The past commit has no epsilon and no rules file: its *.md change
    // selects nothing, rather than failing on today's rule.
    let base = format!("{past}~1");
    let j = json(&ok(run(
        &repo,
        &[
            "select", "--base", &base, "--head", &past, "--format", "json",
        ],
    )));
    assert_eq!(strings(&j["affected"]), Vec::<String>::new(), "{j}");
    assert_eq!(strings(&j["ignored_files"]), ["docs/other.md"]);
    // Today's commit, with today's rules.
    write(&repo, "docs/other.md", "# Changed again\n");
    commit_all(&repo, "docs again");
    let j = json(&ok(run(
        &repo,
        &["select", "--base", "HEAD~1", "--format", "json"],
    )));
    assert_eq!(strings(&j["affected"]), ["epsilon"], "{j}");
    assert_eq!(j["reasons"]["epsilon"]["kind"], "path_rule");
    // An edited rules file in the work tree holds for the checked-out
    // commit, and its mistakes are named; a past commit is unaffected.
    write(
        &repo,
        "test-impact.toml",
        "[[path-rule]]\nglobs = [\"docs/**\"]\nmark-changed = [\"nope\"]\n",
    );
    let line = bad(run(&repo, &["select", "--base", "HEAD~1"]));
    assert!(
        line.contains("test-impact.toml") && line.contains("`nope`"),
        "{line}"
    );
    ok(run(&repo, &["select", "--base", &base, "--head", &past]));
}

/// A workspace with a root package `app` whose folder holds local packages
/// that are no members (path dependencies, `exclude`d), under `parent`
/// (`tests`, inside app's own-tests folder, or `vendor`): `helper`, which
/// `user` depends on (and `top` on `user`), `checker` dev-depends on (and
/// `on-checker` on `checker`), and `bridge`, another such package that
/// depends on it, reaches for `far`. app keeps one of its tests inside
/// helper's folder. `fuzz/` is a crate the package graph does not know.
fn local_packages_workspace(parent: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("ws");
    std::fs::create_dir_all(&repo).unwrap();
    init_repo(&repo);
    let package = |name: &str, rest: &str| {
        format!("[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n{rest}")
    };
    write(
        &repo,
        "Cargo.toml",
        &format!(
            "{}\n[[test]]\nname = \"in-helper\"\npath = \"{parent}/helper/app_test.rs\"\n\n\
             [workspace]\nresolver = \"2\"\nmembers = [\"crates/*\"]\n\
             exclude = [\"{parent}/helper\", \"{parent}/bridge\", \"fuzz\"]\n",
            package("app", "")
        ),
    );
    write(&repo, "src/lib.rs", "pub fn app() {}\n");
    write(&repo, "tests/it.rs", "#[test]\nfn t() {}\n");
    write(
        &repo,
        &format!("{parent}/helper/app_test.rs"),
        "#[test]\nfn t() {}\n",
    );
    let helper = |from: &str| format!("helper = {{ path = \"{from}{parent}/helper\" }}\n");
    let members: [(&str, String); 6] = [
        ("user", format!("[dependencies]\n{}", helper("../../"))),
        (
            "top",
            "[dependencies]\nuser = { path = \"../user\" }\n".to_owned(),
        ),
        (
            "checker",
            format!("[dev-dependencies]\n{}", helper("../../")),
        ),
        (
            "on-checker",
            "[dependencies]\nchecker = { path = \"../checker\" }\n".to_owned(),
        ),
        (
            "far",
            format!("[dependencies]\nbridge = {{ path = \"../../{parent}/bridge\" }}\n"),
        ),
        ("alone", String::new()),
    ];
    for (name, deps) in &members {
        write(
            &repo,
            &format!("crates/{name}/Cargo.toml"),
            &package(name, deps),
        );
        write(&repo, &format!("crates/{name}/src/lib.rs"), "\n");
    }
    write(
        &repo,
        &format!("{parent}/helper/Cargo.toml"),
        &package("helper", ""),
    );
    write(
        &repo,
        &format!("{parent}/helper/src/lib.rs"),
        "pub fn h() -> u32 { 1 }\n",
    );
    write(
        &repo,
        &format!("{parent}/bridge/Cargo.toml"),
        &package("bridge", &format!("[dependencies]\n{}", helper("../../"))),
    );
    write(&repo, &format!("{parent}/bridge/src/lib.rs"), "\n");
    write(
        &repo,
        "fuzz/Cargo.toml",
        &format!(
            "{}\n[workspace]\n",
            package("app-fuzz", "[dependencies]\napp = { path = \"..\" }\n")
        ),
    );
    write(&repo, "fuzz/src/lib.rs", "\n");
    generate_lockfile(&repo);
    commit_all(&repo, "workspace");
    (tmp, repo)
}

/// A change in a local package that is no workspace member selects the
/// members that build it, not the member whose folder holds it (#12
/// follow-up, found by the history replay's probe).
#[test]
fn a_local_package_outside_the_workspace_marks_the_members_that_depend_on_it() {
    for parent in ["tests", "vendor"] {
        let (_tmp, repo) = local_packages_workspace(parent);
        let file = format!("{parent}/helper/src/lib.rs");
        let j = select_change(&repo, &|r| write(r, &file, "pub fn h() -> u32 { 2 }\n"));
        assert_eq!(j["run_all"], false, "{parent}: {j}");
        // Not app: its folder holds helper, it builds no helper. Not
        // on-checker: checker's tests build helper, its lib does not.
        assert_eq!(
            strings(&j["affected"]),
            ["checker", "far", "top", "user"],
            "{parent}: {j}"
        );
        let user = &j["reasons"]["user"];
        assert_eq!(user["kind"], "local_package", "{parent}: {j}");
        assert_eq!(user["package"], "helper", "{parent}: {j}");
        assert_eq!(user["path"], file.as_str(), "{parent}: {j}");
        assert_eq!(j["reasons"]["checker"]["dev"], true, "{parent}: {j}");
        // Through the non-member bridge: the package whose file changed.
        assert_eq!(j["reasons"]["far"]["package"], "helper", "{parent}: {j}");
        assert_eq!(j["reasons"]["top"]["kind"], "dependency", "{parent}: {j}");

        // explain names helper in the chain.
        let e = ok(run(&repo, &["explain", "top", "--base", "main"]));
        let mut lines = e.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("{file} → helper → user → top"),
            "{e}"
        );
        assert_eq!(
            lines.next().unwrap(),
            format!(
                "  user: depends on helper, a local package that is not a workspace member, whose file {file} changed"
            ),
            "{e}"
        );
        let e = ok(run(&repo, &["explain", "checker", "--base", "main"]));
        assert!(
            e.contains("whose file") && e.contains("(a dev-dependency: its tests)"),
            "{e}"
        );

        // app's own test inside helper's folder stays app's; helper's
        // dependents are marked too, since the file is in helper's folder.
        let app_test = format!("{parent}/helper/app_test.rs");
        let j = select_change(&repo, &|r| write(r, &app_test, "#[test]\nfn t2() {}\n"));
        assert_eq!(
            strings(&j["affected"]),
            ["app", "checker", "far", "top", "user"],
            "{parent}: {j}"
        );
        let own = if parent == "tests" {
            "own_tests"
        } else {
            "file"
        };
        assert_eq!(j["reasons"]["app"]["kind"], own, "{parent}: {j}");

        // helper's manifest is helper's file too.
        let manifest = format!("{parent}/helper/Cargo.toml");
        let j = select_change(&repo, &|r| {
            edit_file(
                r,
                &manifest,
                "version = \"0.1.0\"",
                "version = \"0.1.0\"\ndescription = \"h\"",
            )
        });
        assert_eq!(
            strings(&j["affected"]),
            ["checker", "far", "top", "user"],
            "{parent}: {j}"
        );

        // A crate the package graph does not know is its enclosing
        // member's, as before; app's own tests are still its own.
        let j = select_change(&repo, &|r| write(r, "fuzz/src/lib.rs", "// fuzz\n"));
        assert_eq!(strings(&j["affected"]), ["app"], "{parent}: {j}");
        assert_eq!(j["reasons"]["app"]["kind"], "file", "{parent}: {j}");
        let j = select_change(&repo, &|r| write(r, "tests/it.rs", "#[test]\nfn t3() {}\n"));
        assert_eq!(strings(&j["affected"]), ["app"], "{parent}: {j}");
        assert_eq!(j["reasons"]["app"]["kind"], "own_tests", "{parent}: {j}");
    }
}

/// `cargo generate-lockfile --offline` in `repo`, which must succeed.
fn generate_lockfile(repo: &Path) {
    let o = Command::new("cargo")
        .current_dir(repo)
        .args(["generate-lockfile", "--offline", "--quiet"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "cargo generate-lockfile: {}",
        stderr(&o)
    );
}
