//! Runs every case of `fixtures/codeowners/vectors.tsv`: real CODEOWNERS
//! cases collected from GitHub's documentation and other implementations'
//! test suites. Columns: rules (one line, or several quoted lines joined by
//! ` + `), path, expected (`match`, `no`, `never`, `unowned`, or owners such
//! as `@octocat` or `@b only`), source.

use codeowners::{CodeOwners, Dialect};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/codeowners/vectors.tsv"
);

/// Paths tried for `never`, besides the case's own.
const ANY_PATHS: [&str; 8] = [
    "a",
    "anything",
    "a/b",
    "a/b/c.rs",
    "docs/x.md",
    ".github/CODEOWNERS",
    "src/main.rs",
    "README.md",
];

struct Case {
    line: usize,
    rules: Vec<String>,
    path: String,
    expected: String,
    source: String,
}

/// `"a @x" + "b"` -> [`a @x`, `b`]; anything else is one rule line.
fn split_rules(field: &str) -> Result<Vec<String>, String> {
    let field = field.trim();
    if !field.starts_with('"') {
        return Ok(vec![field.to_owned()]);
    }
    let mut rules = Vec::new();
    let mut rest = field;
    loop {
        let Some(body) = rest.strip_prefix('"') else {
            return Err(format!("expected `\"` at `{rest}`"));
        };
        let Some(end) = body.find('"') else {
            return Err(format!("unterminated quote in `{field}`"));
        };
        rules.push(body[..end].to_owned());
        rest = body[end + 1..].trim_start();
        if rest.is_empty() {
            return Ok(rules);
        }
        let Some(next) = rest.strip_prefix('+') else {
            return Err(format!("expected ` + ` at `{rest}`"));
        };
        rest = next.trim_start();
    }
}

fn read_cases() -> Vec<Case> {
    let text = std::fs::read_to_string(VECTORS).expect("read vectors.tsv");
    let mut cases = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "vectors.tsv:{}: expected 4 columns", i + 1);
        let rules = split_rules(cols[0]).unwrap_or_else(|e| panic!("vectors.tsv:{}: {e}", i + 1));
        cases.push(Case {
            line: i + 1,
            rules,
            path: cols[1].trim().to_owned(),
            expected: cols[2].trim().to_owned(),
            source: cols[3].trim().to_owned(),
        });
    }
    cases
}

/// `Ok` or why the case fails.
fn run(case: &Case) -> Result<(), String> {
    let mut rules = case.rules.clone();
    let presence = matches!(case.expected.as_str(), "match" | "no" | "never");
    // A bare pattern gets an owner, so that a match is visible.
    if presence
        && let [rule] = rules.as_mut_slice()
        && rule.split_whitespace().count() == 1
    {
        rule.push_str(" @owner");
    }
    let text = rules.join("\n");
    let (owners, warnings) = CodeOwners::parse(&text, Dialect::GitHub);
    if case.expected != "never" && !warnings.is_empty() {
        let w: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        return Err(format!("unexpected warnings: {}", w.join("; ")));
    }
    let found = owners.owner_of(&case.path);
    let got = match found {
        None => "no match".to_owned(),
        Some(m) if m.owners.is_empty() => format!("unowned (line {})", m.line),
        Some(m) => format!("{} (line {})", m.owners.join(" "), m.line),
    };
    let ok = match case.expected.as_str() {
        "match" => found.is_some_and(|m| m.owners == ["@owner"]),
        "no" => found.is_none(),
        "never" => {
            let stray: Vec<&str> = ANY_PATHS
                .iter()
                .copied()
                .chain([case.path.as_str()])
                .filter(|p| owners.owner_of(p).is_some())
                .collect();
            if !stray.is_empty() {
                return Err(format!("matches {stray:?}, expected to match nothing"));
            }
            true
        }
        "unowned" => found.is_some_and(|m| m.owners.is_empty()),
        list => {
            let want: Vec<&str> = list
                .strip_suffix(" only")
                .unwrap_or(list)
                .split_whitespace()
                .collect();
            owners.owners(&case.path) == want
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {}, got {got}", case.expected))
    }
}

#[test]
fn every_vector_passes() {
    let cases = read_cases();
    assert!(cases.len() >= 20, "only {} cases read", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(why) = run(case) {
            failures.push(format!(
                "vectors.tsv:{}: rules {:?}, path `{}`: {why} [source: {}]",
                case.line, case.rules, case.path, case.source
            ));
        }
    }
    println!(
        "{}/{} CODEOWNERS vectors pass",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} vectors fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn rule_splitting() {
    assert_eq!(split_rules("docs/*").unwrap(), ["docs/*"]);
    assert_eq!(
        split_rules("\"* @g1 @g2\" + \"*.js @js\" ").unwrap(),
        ["* @g1 @g2", "*.js @js"]
    );
    assert!(split_rules("\"a\" - \"b\"").is_err());
}
