//! CODEOWNERS, both dialects (the first byte's low bit: GitHub or GitLab),
//! then every lookup on paths taken from the file's own patterns.
#![no_main]

use ci_toolkit_fuzz::split_selector;
use codeowners::{CodeOwners, Dialect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let dialect = if sel & 1 == 0 {
        Dialect::GitHub
    } else {
        Dialect::GitLab
    };
    let text = String::from_utf8_lossy(bytes);
    let (o, warnings) = CodeOwners::parse(&text, dialect);
    let lines = text.lines().count();
    assert!(o.len() <= lines);
    for w in &warnings {
        assert!(w.line <= lines, "{w:?}");
        assert!(!w.to_string().contains('\n'), "{w:?}");
    }
    let mut paths: Vec<String> = vec!["".into(), "/".into(), "a/b".into()];
    for r in o.rules().iter().take(8) {
        let p = r.pattern.replace(['*', '?', '\\'], "x");
        paths.push(format!("{p}/f"));
        paths.push(p);
    }
    for p in &paths {
        let m = o.matches(p);
        assert_eq!(o.owner_of(p).is_some(), !m.is_empty(), "{p:?}");
        if dialect == Dialect::GitHub {
            assert!(m.len() <= 1);
        }
        let _ = o.owners(p);
        let _ = o.owners_of_dir(p);
        let _ = o.owner_of_dir(p);
    }
});
