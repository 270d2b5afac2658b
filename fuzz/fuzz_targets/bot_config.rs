//! deferred-compliance's configuration file, then the lookups the engine
//! makes with it (jobs of a workflow path, a job by key).
#![no_main]

use deferred_compliance::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text) {
        Ok(c) => {
            for j in &c.jobs {
                let key = j.key();
                assert!(c.job_by_key(&key).is_some(), "{key:?}");
            }
            for path in text.split(['"', '\n', ' ']).take(8) {
                let _ = c.jobs_of_workflow(path).count();
            }
        }
        Err(e) => {
            let m = format!("{e:#}");
            assert!(!m.is_empty(), "{m:?}");
        }
    }
});
