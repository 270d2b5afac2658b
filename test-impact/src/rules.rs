//! Rules for what the graph cannot see, read from `test-impact.toml`.
//!
//! ```toml
//! # The built-in rules (below) apply after yours; `false` turns them off.
//! use-default-rules = true
//!
//! # Path rules, tried in order on each changed file.
//! [[path-rule]]
//! globs = ["schemas/**/*.json"]
//! mark-changed = ["api", "api-client"]   # module names, "all", or [] to ignore
//! post-rule = "skip"                     # see below
//!
//! # Data that only the listed modules' tests read (fixtures, golden
//! # files): those modules are marked, the modules that depend on them
//! # are not.
//! [[path-rule]]
//! globs = ["fixtures/api/**"]
//! mark-changed = ["api"]
//! tests-only = true
//!
//! # Module rules: when a module is affected, mark others too.
//! [[module-rule]]
//! on-affected = ["fixtures"]
//! mark-changed = ["integration-tests"]   # module names, or "all"
//! ```
//!
//! `post-rule` says what happens to a file after a path rule matched it:
//! - `"skip"` (the default): nothing else; the file is fully handled.
//! - `"skip-rules"`: no later rule sees it, but its owning module is
//!   still marked.
//! - `"fallthrough"`: later rules see it too, and its owning module is
//!   marked.
//!
//! The vocabulary is that of guppy's determinator, so its rule files read
//! the same here. Globs are matched against the repository-relative path;
//! `*` stays within a folder, `**` crosses folders.
//!
//! The built-in rules:
//! - ignored: `*.md`, `LICENSE*`, `.gitignore` and `.gitattributes`,
//!   anywhere;
//! - everything: `rust-toolchain`, `rust-toolchain.toml`, `.cargo/config`,
//!   `.cargo/config.toml` anywhere; `clippy.toml`, `rustfmt.toml` (with or
//!   without a leading dot) and `deny.toml` at the root.
//!
//! A change to the root `Cargo.toml` of a Cargo workspace is not a rule's
//! business: [`crate::manifest`] reads it table by table.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

/// What a rule marks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Everything: the whole graph is affected.
    All,
    /// These modules (none: the path is ignored).
    Modules(Vec<String>),
}

/// What happens to a path after a path rule matched it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostRule {
    #[default]
    Skip,
    SkipRules,
    Fallthrough,
}

/// A compiled path rule.
#[derive(Clone, Debug)]
pub struct PathRule {
    /// 1-based, in the config file; built-in rules are named by `origin`.
    pub origin: RuleOrigin,
    pub globs: Vec<String>,
    set: GlobSet,
    pub mark: Mark,
    pub post: PostRule,
    /// The files are read by the marked modules' own tests and compiled
    /// into nothing: the modules that depend on them are not marked.
    pub tests_only: bool,
}

/// Where a rule comes from, for reasons and errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleOrigin {
    /// The `n`th `[[path-rule]]` or `[[module-rule]]` of the config file.
    Config(usize),
    /// A built-in rule, with a short description.
    Default(&'static str),
}

impl std::fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RuleOrigin::Config(n) => write!(f, "rule {n} of the config"),
            RuleOrigin::Default(what) => write!(f, "built-in rule ({what})"),
        }
    }
}

impl PathRule {
    /// The first glob that matches `path`, if any.
    pub fn matching_glob(&self, path: &str) -> Option<&str> {
        self.set
            .matches(path)
            .first()
            .map(|&i| self.globs[i].as_str())
    }
}

/// A module rule: when one of `on_affected` is affected, `mark` is too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRule {
    pub index: usize,
    pub on_affected: Vec<String>,
    pub mark: Mark,
}

/// The rules in force: the config's, then the built-in ones.
#[derive(Clone, Debug)]
pub struct Rules {
    pub path_rules: Vec<PathRule>,
    pub module_rules: Vec<ModuleRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default = "yes")]
    use_default_rules: bool,
    #[serde(default)]
    path_rule: Vec<RawPathRule>,
    #[serde(default)]
    module_rule: Vec<RawModuleRule>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPathRule {
    globs: Vec<String>,
    mark_changed: RawMark,
    #[serde(default)]
    post_rule: PostRule,
    #[serde(default)]
    tests_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawModuleRule {
    on_affected: Vec<String>,
    mark_changed: RawMark,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawMark {
    Word(String),
    Modules(Vec<String>),
}

impl RawMark {
    fn into_mark(self) -> std::result::Result<Mark, String> {
        match self {
            RawMark::Word(w) if w == "all" => Ok(Mark::All),
            RawMark::Word(w) => Err(format!(
                "mark-changed = \"{w}\"; expected \"all\" or a list of module names"
            )),
            RawMark::Modules(m) => Ok(Mark::Modules(m)),
        }
    }
}

/// Compiles one glob the way every rule does: `*` does not cross `/`.
fn compile(glob: &str) -> std::result::Result<Glob, globset::Error> {
    GlobBuilder::new(glob).literal_separator(true).build()
}

fn path_rule(
    origin: RuleOrigin,
    globs: Vec<String>,
    mark: Mark,
    post: PostRule,
) -> std::result::Result<PathRule, String> {
    if globs.is_empty() {
        return Err("globs is empty; expected at least one glob".into());
    }
    let mut b = GlobSetBuilder::new();
    for g in &globs {
        b.add(compile(g).map_err(|e| format!("glob `{g}`: {}", e.kind()))?);
    }
    let set = b.build().map_err(|e| e.to_string())?;
    Ok(PathRule {
        origin,
        globs,
        set,
        mark,
        post,
        tests_only: false,
    })
}

/// The built-in path rules.
fn default_path_rules() -> Vec<PathRule> {
    let docs = [
        "**/*.md",
        "**/LICENSE*",
        "**/.gitignore",
        "**/.gitattributes",
    ];
    let toolchain = [
        "**/rust-toolchain",
        "**/rust-toolchain.toml",
        "**/.cargo/config",
        "**/.cargo/config.toml",
        // At the root they configure every member's lints, format and
        // dependency policy; in a package's folder, that package owns them.
        "clippy.toml",
        ".clippy.toml",
        "rustfmt.toml",
        ".rustfmt.toml",
        "deny.toml",
    ];
    let own = |gs: &[&str]| gs.iter().map(|g| (*g).to_owned()).collect::<Vec<_>>();
    vec![
        path_rule(
            RuleOrigin::Default("documentation is ignored"),
            own(&docs),
            Mark::Modules(vec![]),
            PostRule::Skip,
        )
        .expect("built-in globs compile"),
        path_rule(
            RuleOrigin::Default(
                "toolchain, Cargo, clippy, rustfmt and cargo-deny configuration affect every member",
            ),
            own(&toolchain),
            Mark::All,
            PostRule::Skip,
        )
        .expect("built-in globs compile"),
    ]
}

impl Default for Rules {
    /// The built-in rules alone.
    fn default() -> Self {
        Rules {
            path_rules: default_path_rules(),
            module_rules: vec![],
        }
    }
}

impl Rules {
    /// Parses a config file's text; `name` is used in errors.
    pub fn parse(text: &str, name: &Path) -> Result<Rules> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(":{line}")
                })
                .unwrap_or_default();
            anyhow!(
                "{}{at}: {}",
                name.display(),
                e.message().replace('\n', " ").trim_end()
            )
        })?;
        let mut path_rules = Vec::with_capacity(raw.path_rule.len() + 2);
        for (i, r) in raw.path_rule.into_iter().enumerate() {
            let n = i + 1;
            let mark = r
                .mark_changed
                .into_mark()
                .map_err(|e| anyhow!("{}: path-rule {n}: {e}", name.display()))?;
            if r.tests_only && mark == Mark::All {
                bail!(
                    "{}: path-rule {n}: tests-only = true with mark-changed = \"all\"; expected a list of module names",
                    name.display()
                );
            }
            let mut rule = path_rule(RuleOrigin::Config(n), r.globs, mark, r.post_rule)
                .map_err(|e| anyhow!("{}: path-rule {n}: {e}", name.display()))?;
            rule.tests_only = r.tests_only;
            path_rules.push(rule);
        }
        let mut module_rules = Vec::with_capacity(raw.module_rule.len());
        for (i, r) in raw.module_rule.into_iter().enumerate() {
            let n = i + 1;
            let mark = r
                .mark_changed
                .into_mark()
                .map_err(|e| anyhow!("{}: module-rule {n}: {e}", name.display()))?;
            if r.on_affected.is_empty() {
                bail!(
                    "{}: module-rule {n}: on-affected is empty; expected at least one module name",
                    name.display()
                );
            }
            module_rules.push(ModuleRule {
                index: n,
                on_affected: r.on_affected,
                mark,
            });
        }
        if raw.use_default_rules {
            path_rules.extend(default_path_rules());
        }
        Ok(Rules {
            path_rules,
            module_rules,
        })
    }

    /// Reads a config file.
    pub fn load(path: &Path) -> Result<Rules> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the config", path.display()))?;
        Rules::parse(&text, path)
    }

    /// Every module name the rules mention, with where, to check them
    /// against the graph.
    pub fn named_modules(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for r in &self.path_rules {
            if let (RuleOrigin::Config(n), Mark::Modules(ms)) = (&r.origin, &r.mark) {
                for m in ms {
                    out.push((format!("path-rule {n}"), m.as_str()));
                }
            }
        }
        for r in &self.module_rules {
            for m in &r.on_affected {
                out.push((format!("module-rule {}", r.index), m.as_str()));
            }
            if let Mark::Modules(ms) = &r.mark {
                for m in ms {
                    out.push((format!("module-rule {}", r.index), m.as_str()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Rules> {
        Rules::parse(text, Path::new("test-impact.toml"))
    }

    #[test]
    fn defaults_follow_the_config_rules_unless_turned_off() {
        let r = parse(
            r#"
            [[path-rule]]
            globs = ["data/**"]
            mark-changed = ["loader"]
            post-rule = "fallthrough"

            [[module-rule]]
            on-affected = ["proto"]
            mark-changed = "all"
            "#,
        )
        .unwrap();
        assert_eq!(r.path_rules.len(), 3);
        assert_eq!(r.path_rules[0].origin, RuleOrigin::Config(1));
        assert_eq!(r.path_rules[0].post, PostRule::Fallthrough);
        assert_eq!(r.path_rules[0].mark, Mark::Modules(vec!["loader".into()]));
        assert_eq!(r.module_rules[0].mark, Mark::All);
        let off = parse("use-default-rules = false").unwrap();
        assert!(off.path_rules.is_empty());
    }

    #[test]
    fn globs_stay_within_folders_unless_double_star() {
        let r = Rules::default();
        let docs = &r.path_rules[0];
        assert_eq!(docs.matching_glob("README.md"), Some("**/*.md"));
        assert_eq!(docs.matching_glob("a/b/notes.md"), Some("**/*.md"));
        assert_eq!(docs.matching_glob("LICENSE-MIT"), Some("**/LICENSE*"));
        assert_eq!(docs.matching_glob("src/md.rs"), None);
        let tool = &r.path_rules[1];
        assert_eq!(tool.mark, Mark::All);
        assert!(tool.matching_glob("rust-toolchain.toml").is_some());
        assert!(tool.matching_glob("crates/x/.cargo/config.toml").is_some());
        assert!(tool.matching_glob("crates/x/cargo/config.toml").is_none());
        let one = parse("[[path-rule]]\nglobs = [\"src/*.rs\"]\nmark-changed = []").unwrap();
        assert!(one.path_rules[0].matching_glob("src/a.rs").is_some());
        assert!(one.path_rules[0].matching_glob("src/x/a.rs").is_none());
    }

    #[test]
    fn bad_configs_name_the_file_line_and_rule() {
        let e = |t: &str| format!("{:#}", parse(t).unwrap_err());
        let unknown = e("[[path-rule]]\nglobs = [\"a\"]\nmark-changed = []\nmark = 1\n");
        assert!(
            unknown.starts_with("test-impact.toml:4: unknown field `mark`"),
            "{unknown}"
        );
        let word = e("[[path-rule]]\nglobs = [\"a\"]\nmark-changed = \"everything\"\n");
        assert_eq!(
            word,
            "test-impact.toml: path-rule 1: mark-changed = \"everything\"; expected \"all\" or a list of module names"
        );
        let glob = e("[[path-rule]]\nglobs = [\"a/[\"]\nmark-changed = []\n");
        assert!(
            glob.starts_with("test-impact.toml: path-rule 1: glob `a/[`: "),
            "{glob}"
        );
        let empty = e("[[module-rule]]\non-affected = []\nmark-changed = []\n");
        assert!(
            empty.contains("module-rule 1: on-affected is empty"),
            "{empty}"
        );
        let post = e("[[path-rule]]\nglobs = [\"a\"]\nmark-changed = []\npost-rule = \"next\"\n");
        assert!(
            post.starts_with("test-impact.toml:4: unknown variant `next`"),
            "{post}"
        );
        assert!(!post.contains('\n'));
        let all = e("[[path-rule]]\nglobs = [\"a\"]\nmark-changed = \"all\"\ntests-only = true\n");
        assert_eq!(
            all,
            "test-impact.toml: path-rule 1: tests-only = true with mark-changed = \"all\"; expected a list of module names"
        );
    }

    #[test]
    fn tests_only_is_off_unless_asked() {
        let rules = parse(
            "[[path-rule]]\nglobs = [\"a/**\"]\nmark-changed = [\"x\"]\n\n[[path-rule]]\nglobs = [\"b/**\"]\nmark-changed = [\"x\"]\ntests-only = true\n",
        )
        .unwrap();
        assert!(!rules.path_rules[0].tests_only);
        assert!(rules.path_rules[1].tests_only);
        assert!(rules.path_rules[2..].iter().all(|r| !r.tests_only));
    }
}
