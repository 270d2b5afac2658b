//! test-impact's rules file (`test-impact.toml`), then the glob matching
//! of the rules it built on a few paths taken from the input.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use test_impact::rules::Rules;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Rules::parse(text, Path::new("test-impact.toml")) {
        Ok(rules) => {
            let _ = rules.named_modules();
            for path in text.split(['"', '\n', ' ']).take(16) {
                for r in &rules.path_rules {
                    let _ = r.matching_glob(path);
                }
            }
        }
        Err(e) => {
            let m = format!("{e:#}");
            assert!(!m.is_empty(), "{m:?}");
        }
    }
});
