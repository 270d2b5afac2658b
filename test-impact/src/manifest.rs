//! What a change to a Cargo workspace's root manifest can affect, table by
//! table.
//!
//! The package graphs at base and head (compared by determinator) see a
//! new member, a moved dependency or a feature turned on. They do not see
//! the settings members inherit: `[workspace.lints]` turned from allow to
//! deny, the edition in `[workspace.package]`, a `[workspace.dependencies]`
//! entry's features. Each of those marks the members that inherit it, found
//! in their own manifests (`edition.workspace = true`, `[lints] workspace =
//! true`, `dep = { workspace = true }`). `[profile]` affects every build;
//! `[patch]` and `[replace]` the members that build a patched crate.

use std::collections::{BTreeMap, BTreeSet};

use toml::{Table, Value};

/// A member and its own manifest at head.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member<'a> {
    pub name: &'a str,
    /// Its `Cargo.toml`; `None` when it cannot be read (then it is assumed
    /// to inherit everything).
    pub manifest: Option<&'a [u8]>,
}

/// What the root manifest's change affects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Effect {
    /// Every member, and why.
    All(String),
    /// These members, each with why (sorted by name).
    Members(Vec<(String, String)>),
}

/// The dependency tables of a manifest, outside `[target.*]`.
const DEP_TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

/// The tables of the root manifest that are the workspace's, not the root
/// package's.
const WORKSPACE_TABLES: [&str; 4] = ["workspace", "profile", "patch", "replace"];

/// What the change of the root manifest from `base` to `head` affects.
///
/// `root_package` is the package whose manifest it also is, if any.
/// `users(names)` answers which members build a package of one of those
/// names (for `[patch]` and `[replace]`).
pub(crate) fn effect(
    base: Option<&[u8]>,
    head: Option<&[u8]>,
    members: &[Member<'_>],
    root_package: Option<&str>,
    users: &dyn Fn(&BTreeSet<String>) -> BTreeSet<String>,
) -> Effect {
    if base == head {
        return Effect::Members(vec![]);
    }
    let (b, h) = match (parse(base), parse(head)) {
        (Ok(b), Ok(h)) => (b, h),
        (Err(side), _) | (_, Err(side)) => {
            return Effect::All(format!(
                "the root Cargo.toml {side}, so what its change affects is unknown"
            ));
        }
    };
    if let Some(table) = changed_key(&b, &h, "profile") {
        return Effect::All(format!(
            "the [{table}] table of the root Cargo.toml changed, which affects every build"
        ));
    }
    let empty = Table::new();
    let ws = |t: &Table| t.get("workspace").and_then(Value::as_table).cloned();
    let (bw, hw) = (ws(&b).unwrap_or_default(), ws(&h).unwrap_or_default());
    if let Some(key) = changed_key(&bw, &hw, "resolver") {
        return Effect::All(format!(
            "[{key}] of the root Cargo.toml changed: every member's features resolve anew"
        ));
    }
    let mut marks: BTreeMap<String, String> = BTreeMap::new();
    let mut mark = |name: &str, why: String| {
        marks.entry(name.to_owned()).or_insert(why);
    };
    let parsed: Vec<(&str, Option<Table>)> = members
        .iter()
        .map(|m| (m.name, m.manifest.and_then(|b| parse(Some(b)).ok())))
        .collect();

    // [workspace.package]: per key, the members whose [package] inherits it.
    let sub = |t: &Table, key: &str| t.get(key).and_then(Value::as_table).cloned();
    let (bp, hp) = (
        sub(&bw, "package").unwrap_or_default(),
        sub(&hw, "package").unwrap_or_default(),
    );
    for key in changed_keys(&bp, &hp) {
        for (name, manifest) in &parsed {
            let inherits = match manifest {
                None => true,
                Some(m) => m
                    .get("package")
                    .and_then(Value::as_table)
                    .and_then(|p| p.get(&key))
                    .is_some_and(inherits_workspace),
            };
            if inherits {
                mark(
                    name,
                    format!("inherits `{key}` from [workspace.package], which changed"),
                );
            }
        }
    }
    // [workspace.lints]: the members with `[lints] workspace = true`.
    if bw.get("lints") != hw.get("lints") {
        let tools = changed_keys(
            &sub(&bw, "lints").unwrap_or_default(),
            &sub(&hw, "lints").unwrap_or_default(),
        );
        for (name, manifest) in &parsed {
            let inherits = match manifest {
                None => true,
                Some(m) => m.get("lints").is_some_and(inherits_workspace),
            };
            if inherits {
                mark(
                    name,
                    format!(
                        "inherits [workspace.lints], whose {} lints changed",
                        tools.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
    // [workspace.dependencies]: per entry, the members that use it.
    let (bd, hd) = (
        sub(&bw, "dependencies").unwrap_or_default(),
        sub(&hw, "dependencies").unwrap_or_default(),
    );
    let deps_changed = changed_keys(&bd, &hd);
    if !deps_changed.is_empty() {
        for (name, manifest) in &parsed {
            let used: Vec<&String> = match manifest {
                None => deps_changed.iter().collect(),
                Some(m) => deps_changed
                    .iter()
                    .filter(|d| inherited_dependencies(m).contains(d.as_str()))
                    .collect(),
            };
            if let Some(first) = used.first() {
                mark(
                    name,
                    format!(
                        "inherits dependency `{first}` from [workspace.dependencies], which changed"
                    ),
                );
            }
        }
    }
    // Any other [workspace] key, but those the graph comparison sees
    // (members, exclude) and those no build reads (metadata, and
    // default-members: the selection names its packages).
    let known = [
        "package",
        "lints",
        "dependencies",
        "members",
        "exclude",
        "default-members",
        "metadata",
        "resolver",
    ];
    if let Some(key) = changed_keys(&bw, &hw)
        .into_iter()
        .find(|k| !known.contains(&k.as_str()))
    {
        return Effect::All(format!(
            "[workspace.{key}] of the root Cargo.toml changed, and what it affects is not known"
        ));
    }
    // [patch] and [replace]: the members that build a patched crate.
    for table in ["patch", "replace"] {
        let names = patched_names(
            b.get(table).unwrap_or(&Value::Table(empty.clone())),
            h.get(table).unwrap_or(&Value::Table(empty.clone())),
            table,
        );
        if names.is_empty() {
            continue;
        }
        let shown = names.iter().cloned().collect::<Vec<_>>().join(", ");
        for user in users(&names) {
            mark(
                &user,
                format!("builds {shown}, whose [{table}] entry in the root Cargo.toml changed"),
            );
        }
    }
    // The rest is the root package's own manifest.
    if let Some(root) = root_package {
        let own = |t: &Table| {
            let mut t = t.clone();
            for key in WORKSPACE_TABLES {
                t.remove(key);
            }
            t
        };
        if own(&b) != own(&h) {
            mark(root, "changed file Cargo.toml (its manifest)".to_owned());
        }
    }
    Effect::Members(marks.into_iter().collect())
}

/// A manifest's TOML; the error says which side could not be read.
fn parse(bytes: Option<&[u8]>) -> Result<Table, &'static str> {
    let Some(bytes) = bytes else {
        return Ok(Table::new());
    };
    let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8")?;
    text.parse::<Table>().map_err(|_| "is not valid TOML")
}

/// `key` (or its first sub-key, `profile.release`) when it differs.
fn changed_key(b: &Table, h: &Table, key: &str) -> Option<String> {
    if b.get(key) == h.get(key) {
        return None;
    }
    let sub = |t: &Table| t.get(key).and_then(Value::as_table).cloned();
    match (sub(b), sub(h)) {
        (None, None) => Some(key.to_owned()),
        (bs, hs) => changed_keys(&bs.unwrap_or_default(), &hs.unwrap_or_default())
            .into_iter()
            .next()
            .map(|k| format!("{key}.{k}"))
            .or_else(|| Some(key.to_owned())),
    }
}

/// The keys whose values differ (added, removed or changed), sorted.
fn changed_keys(b: &Table, h: &Table) -> BTreeSet<String> {
    b.keys()
        .chain(h.keys())
        .filter(|k| b.get(*k) != h.get(*k))
        .cloned()
        .collect()
}

/// `key.workspace = true` / `key = { workspace = true }`.
fn inherits_workspace(v: &Value) -> bool {
    v.as_table()
        .and_then(|t| t.get("workspace"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// The names of the `[workspace.dependencies]` entries a member uses, in
/// any dependency table, `[target.*]` ones too.
fn inherited_dependencies(m: &Table) -> BTreeSet<&str> {
    let mut tables: Vec<&Table> = DEP_TABLES
        .iter()
        .filter_map(|t| m.get(*t).and_then(Value::as_table))
        .collect();
    if let Some(targets) = m.get("target").and_then(Value::as_table) {
        for target in targets.values().filter_map(Value::as_table) {
            tables.extend(
                DEP_TABLES
                    .iter()
                    .filter_map(|t| target.get(*t).and_then(Value::as_table)),
            );
        }
    }
    tables
        .into_iter()
        .flat_map(|t| t.iter())
        .filter(|(_, v)| inherits_workspace(v))
        .map(|(k, _)| k.as_str())
        .collect()
}

/// The crate names whose `[patch.SOURCE]` entries (or `[replace]`
/// `name:version` keys) differ; an entry's `package` key renames it.
fn patched_names(b: &Value, h: &Value, table: &str) -> BTreeSet<String> {
    let entries = |v: &Value| -> BTreeMap<String, Value> {
        let Some(t) = v.as_table() else {
            return BTreeMap::new();
        };
        let crate_of = |key: &str, value: &Value| {
            value
                .get("package")
                .and_then(Value::as_str)
                .unwrap_or_else(|| key.split(':').next().unwrap_or(key))
                .to_owned()
        };
        if table == "replace" {
            return t
                .iter()
                .map(|(k, v)| (format!("{}\u{0}{k}", crate_of(k, v)), v.clone()))
                .collect();
        }
        t.iter()
            .filter_map(|(source, v)| Some((source, v.as_table()?)))
            .flat_map(|(source, entries)| {
                entries
                    .iter()
                    .map(move |(k, v)| (format!("{}\u{0}{source}{k}", crate_of(k, v)), v.clone()))
            })
            .collect()
    };
    let (be, he) = (entries(b), entries(h));
    be.keys()
        .chain(he.keys())
        .filter(|k| be.get(*k) != he.get(*k))
        .map(|k| k.split('\u{0}').next().unwrap_or(k).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = r#"
[workspace]
members = ["crates/*"]
resolver = "2"

[workspace.package]
edition = "2021"
version = "0.1.0"

[workspace.lints.rust]
missing_docs = "allow"

[workspace.dependencies]
serde = "1"
regex = { version = "1", default-features = false }
"#;

    fn members() -> Vec<(&'static str, &'static str)> {
        vec![
            (
                "a",
                "[package]\nname = \"a\"\nedition.workspace = true\nversion.workspace = true\n\
                 [lints]\nworkspace = true\n[dependencies]\nserde = { workspace = true }\n",
            ),
            (
                "b",
                "[package]\nname = \"b\"\nedition = \"2018\"\nversion.workspace = true\n\
                 [target.'cfg(unix)'.dev-dependencies]\nregex.workspace = true\n",
            ),
            (
                "c",
                "[package]\nname = \"c\"\nedition.workspace = true\nversion = \"2.0.0\"\n\
                 [dependencies]\nserde = \"1\"\n",
            ),
        ]
    }

    fn run(head: &str) -> Effect {
        let ms = members();
        let members: Vec<Member<'_>> = ms
            .iter()
            .map(|(n, m)| Member {
                name: n,
                manifest: Some(m.as_bytes()),
            })
            .collect();
        let users = |names: &BTreeSet<String>| -> BTreeSet<String> {
            // c builds `log`, nobody else.
            if names.contains("log") {
                BTreeSet::from(["c".to_owned()])
            } else {
                BTreeSet::new()
            }
        };
        effect(
            Some(ROOT.as_bytes()),
            Some(head.as_bytes()),
            &members,
            None,
            &users,
        )
    }

    fn names(e: &Effect) -> Vec<&str> {
        match e {
            Effect::Members(m) => m.iter().map(|(n, _)| n.as_str()).collect(),
            Effect::All(why) => panic!("all: {why}"),
        }
    }

    #[test]
    fn lints_mark_the_members_that_inherit_them() {
        let e = run(&ROOT.replace("missing_docs = \"allow\"", "missing_docs = \"deny\""));
        assert_eq!(names(&e), ["a"]);
        assert_eq!(
            e,
            Effect::Members(vec![(
                "a".into(),
                "inherits [workspace.lints], whose rust lints changed".into()
            )])
        );
    }

    #[test]
    fn package_keys_mark_only_the_members_inheriting_that_key() {
        assert_eq!(
            names(&run(
                &ROOT.replace("edition = \"2021\"", "edition = \"2024\"")
            )),
            ["a", "c"]
        );
        assert_eq!(
            names(&run(
                &ROOT.replace("version = \"0.1.0\"", "version = \"0.2.0\"")
            )),
            ["a", "b"]
        );
    }

    #[test]
    fn dependency_entries_mark_their_users_in_any_table() {
        let e = run(&ROOT.replace("default-features = false", "default-features = true"));
        // b uses regex in a target-specific dev table; c names serde, not
        // the workspace's.
        assert_eq!(names(&e), ["b"]);
        assert_eq!(
            names(&run(&ROOT.replace("serde = \"1\"", "serde = \"1.0.200\""))),
            ["a"]
        );
        // A new entry nobody uses yet marks nobody.
        assert!(names(&run(&format!("{ROOT}log = \"0.4\"\n"))).is_empty());
    }

    #[test]
    fn members_list_and_metadata_are_the_graph_s_business() {
        let e = run(&ROOT.replace("\"crates/*\"", "\"crates/*\", \"tools/*\""));
        assert!(names(&e).is_empty());
        assert!(names(&run(&format!("{ROOT}\n[workspace.metadata.x]\ny = 1\n"))).is_empty());
    }

    #[test]
    fn profile_resolver_and_unknown_keys_mark_everything() {
        let all = |e: Effect| matches!(e, Effect::All(_));
        assert!(all(run(&format!(
            "{ROOT}\n[profile.release]\nlto = true\n"
        ))));
        assert!(all(run(
            &ROOT.replace("resolver = \"2\"", "resolver = \"3\"")
        )));
        assert!(all(run(&ROOT.replace(
            "[workspace.package]",
            "[workspace.future]\nx = 1\n[workspace.package]"
        ))));
        assert!(all(run("[workspace")));
        let Effect::All(why) = run(&format!("{ROOT}\n[profile.release]\nlto = true\n")) else {
            unreachable!()
        };
        assert_eq!(
            why,
            "the [profile.release] table of the root Cargo.toml changed, which affects every build"
        );
    }

    #[test]
    fn patches_mark_the_members_that_build_the_patched_crate() {
        let e = run(&format!(
            "{ROOT}\n[patch.crates-io]\nlog = {{ path = \"vendor/log\" }}\n"
        ));
        assert_eq!(
            e,
            Effect::Members(vec![(
                "c".into(),
                "builds log, whose [patch] entry in the root Cargo.toml changed".into()
            )])
        );
    }

    #[test]
    fn the_root_package_s_own_tables_mark_it() {
        let ms = members();
        let members: Vec<Member<'_>> = ms
            .iter()
            .map(|(n, m)| Member {
                name: n,
                manifest: Some(m.as_bytes()),
            })
            .collect();
        let base = format!("[package]\nname = \"app\"\nversion = \"1.0.0\"\n{ROOT}");
        let none = |_: &BTreeSet<String>| BTreeSet::new();
        let head = base.replace("1.0.0", "1.0.1");
        let e = effect(
            Some(base.as_bytes()),
            Some(head.as_bytes()),
            &members,
            Some("app"),
            &none,
        );
        assert_eq!(names(&e), ["app"]);
        // Only a workspace table: not the root package.
        let head = base.replace("missing_docs = \"allow\"", "missing_docs = \"warn\"");
        let e = effect(
            Some(base.as_bytes()),
            Some(head.as_bytes()),
            &members,
            Some("app"),
            &none,
        );
        assert_eq!(names(&e), ["a"]);
    }
}
