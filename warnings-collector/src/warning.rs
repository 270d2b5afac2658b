//! The warning model: what a parser finds in a log ([`Found`]), and the
//! collection that merges the same (file, line, message) into one
//! [`Warning`] with the set of tests that triggered it and a count.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// What kind of warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A deprecation: an API that will go away.
    Deprecation,
    /// Any other warning the parsers recognise.
    Warning,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Category::Deprecation => "deprecation",
            Category::Warning => "warning",
        }
    }
}

/// One warning as a parser read it, before paths are normalised and
/// duplicates merged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The source file the warning points at, as printed (absolute,
    /// relative, or a `file://` URI already decoded). Empty when the tool
    /// printed none.
    pub file: String,
    pub line: Option<u32>,
    /// One line, without the file and line prefix.
    pub message: String,
    pub category: Category,
    /// The tool that printed it: `ruby`, `rails`, `python`, `node`,
    /// `javac`, `maven`, `kotlin`, `gradle`, `rustc`, `go`, `jsonl`.
    pub tool: &'static str,
    /// The test that triggered it, when the log says so; never guessed.
    pub test: Option<String>,
    /// How many times the log says it occurred: 1, or N for a line that
    /// stands for N (pytest's folded `file.py: N warnings`).
    pub count: u64,
}

/// A warning after merging: one per (file, line, message).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Relative to the repository root, `/`-separated.
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
    pub category: Category,
    pub tool: String,
    /// How many times it was printed.
    pub count: u64,
    /// The tests that triggered it, sorted; empty when unknown.
    pub tests: BTreeSet<String>,
    /// Its CODEOWNERS owners (filled in by the caller); empty: unowned.
    #[serde(default)]
    pub owners: Vec<String>,
}

/// Makes printed paths relative to the repository root.
#[derive(Clone, Debug)]
pub struct Root {
    /// The root as given, absolute or not, with a trailing `/`.
    prefixes: Vec<String>,
}

impl Root {
    /// `root` is the repository root (what relative paths are relative to).
    /// Besides it, the usual CI checkout prefixes are stripped:
    /// `/home/runner/work/REPO/REPO/` (GitHub Actions),
    /// `/builds/GROUP/PROJECT/` (GitLab), `/workspace/`, `/github/workspace/`,
    /// `/buildkite/builds/AGENT/ORG/PIPELINE/`, `/var/lib/jenkins/workspace/JOB/`.
    pub fn new(root: &std::path::Path) -> Root {
        let mut prefixes = Vec::new();
        let mut add = |p: &std::path::Path| {
            let mut s = p.to_string_lossy().replace('\\', "/");
            if !s.is_empty() && s != "." {
                if !s.ends_with('/') {
                    s.push('/');
                }
                if !prefixes.contains(&s) {
                    prefixes.push(s);
                }
            }
        };
        add(root);
        if let Ok(abs) = std::path::absolute(root) {
            add(&abs);
        }
        if let Ok(canonical) = root.canonicalize() {
            add(&canonical);
        }
        // Longest first, so a nested root wins over its parent.
        prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
        Root { prefixes }
    }

    /// `file` relative to the root: the root or a CI checkout prefix
    /// removed, `./` and `\` normalised. A path outside is kept as printed.
    pub fn relative(&self, file: &str) -> String {
        let f = file.replace('\\', "/");
        for p in &self.prefixes {
            if let Some(rest) = f.strip_prefix(p.as_str()) {
                return clean(rest);
            }
        }
        if let Some(rest) = strip_ci_prefix(&f) {
            return clean(rest);
        }
        clean(&f)
    }
}

fn clean(p: &str) -> String {
    let mut s = p;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_owned()
}

/// The part after a well-known CI checkout folder, if `f` is in one.
fn strip_ci_prefix(f: &str) -> Option<&str> {
    // (prefix, number of folder names after it that belong to the checkout)
    const CI: [(&str, usize); 8] = [
        ("/home/runner/work/", 2),
        ("/builds/", 2),
        ("/github/workspace/", 0),
        ("/workspace/", 0),
        ("/buildkite/builds/", 3),
        ("/var/lib/jenkins/workspace/", 1),
        // GitHub's Windows runners: `D:\a\repo\repo\` (`/` by now).
        ("/a/", 2),
        // Self-hosted runners: `…/actions-runner/_work/repo/repo/`.
        ("/actions-runner/_work/", 2),
    ];
    // A Windows drive: `D:/a/…`, `C:/actions-runner/…`.
    let b = f.as_bytes();
    let f = if b.len() > 2 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        &f[2..]
    } else if f.starts_with("/a/") {
        // `/a/` is a runner's folder only on a Windows drive.
        return None;
    } else {
        f
    };
    for (prefix, skip) in CI {
        if let Some(mut rest) = f.strip_prefix(prefix) {
            for _ in 0..skip {
                rest = &rest[rest.find('/')? + 1..];
            }
            return Some(rest);
        }
    }
    None
}

/// Warnings merged by (file, line, message).
#[derive(Clone, Debug, Default)]
pub struct Collection {
    map: BTreeMap<(String, Option<u32>, String), Warning>,
}

impl Collection {
    /// Adds one found warning, its path made relative by `root`.
    pub fn add(&mut self, found: Found, root: &Root) {
        let file = root.relative(&found.file);
        let key = (file, found.line, found.message);
        let w = self
            .map
            .entry(key)
            .or_insert_with_key(|(file, line, message)| Warning {
                file: file.clone(),
                line: *line,
                message: message.clone(),
                category: found.category,
                tool: found.tool.to_owned(),
                count: 0,
                tests: BTreeSet::new(),
                owners: Vec::new(),
            });
        w.count = w.count.saturating_add(found.count);
        if let Some(t) = found.test {
            // A test named by its file (a Node stack's test file) is
            // relative to the root, as the warning's file is.
            let absolute = t.starts_with('/') || t.as_bytes().get(1) == Some(&b':');
            w.tests.insert(if absolute { root.relative(&t) } else { t });
        }
        // A deprecation seen by one tool and a plain warning by another:
        // the more specific wins.
        if found.category == Category::Deprecation {
            w.category = Category::Deprecation;
        }
    }

    /// The warnings, sorted by file, line, message.
    /// Adds the warnings of `later`, as if its findings had been added
    /// after this one's: counts add up, tests join, a deprecation stays a
    /// deprecation, the first tool to report a warning keeps it.
    pub fn merge(&mut self, later: Collection) {
        for (key, w) in later.map {
            match self.map.entry(key) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(w);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    let have = e.get_mut();
                    have.count = have.count.saturating_add(w.count);
                    have.tests.extend(w.tests);
                    if w.category == Category::Deprecation {
                        have.category = Category::Deprecation;
                    }
                }
            }
        }
    }

    pub fn into_warnings(self) -> Vec<Warning> {
        self.map.into_values().collect()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(file: &str, line: u32, msg: &str, test: Option<&str>) -> Found {
        Found {
            file: file.into(),
            line: Some(line),
            message: msg.into(),
            category: Category::Deprecation,
            tool: "ruby",
            test: test.map(str::to_owned),
            count: 1,
        }
    }

    #[test]
    fn ci_prefixes_and_the_root_are_stripped() {
        let r = Root::new(std::path::Path::new("/srv/checkout"));
        assert_eq!(r.relative("/srv/checkout/app/a.rb"), "app/a.rb");
        assert_eq!(
            r.relative("/home/runner/work/shop/shop/app/b.rb"),
            "app/b.rb"
        );
        assert_eq!(r.relative("/builds/group/project/lib/c.py"), "lib/c.py");
        assert_eq!(r.relative("/github/workspace/src/X.java"), "src/X.java");
        assert_eq!(r.relative("./src\\win.rs"), "src/win.rs");
        assert_eq!(
            r.relative("/usr/lib/ruby/3.2/x.rb"),
            "/usr/lib/ruby/3.2/x.rb"
        );
    }

    #[test]
    fn same_file_line_and_message_merge_with_their_tests() {
        let r = Root::new(std::path::Path::new("/repo"));
        let mut c = Collection::default();
        c.add(found("/repo/a.rb", 3, "old", Some("t1")), &r);
        c.add(found("a.rb", 3, "old", Some("t2")), &r);
        c.add(found("a.rb", 3, "old", None), &r);
        c.add(found("a.rb", 4, "old", None), &r);
        let w = c.into_warnings();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].count, 3);
        assert_eq!(w[0].tests.iter().collect::<Vec<_>>(), ["t1", "t2"]);
        assert!(w[1].tests.is_empty());
    }
}
