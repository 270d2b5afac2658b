//! JUnit XML, read by both of its readers: warnings-collector's (the
//! output of each test case through the log recognisers; the first byte
//! picks the `LogFormat`) and test-impact shard's timings reader
//! (`read_timings`, which also takes a native JSON graph).
#![no_main]

use ci_toolkit_fuzz::{log_format, scratch_file, split_selector};
use libfuzzer_sys::fuzz_target;
use warnings_collector::parse::junit;

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let format = log_format(sel);
    let (mut out, mut diags) = (Vec::new(), Vec::new());
    junit::parse("junit.xml", bytes, format, &mut out, &mut diags);
    for d in &diags {
        assert!(!d.contains('\n'), "{d:?}");
    }

    let p = scratch_file("junit.xml", bytes);
    // Known modules: every other name, so both the classname and the
    // testsuite fallbacks are taken.
    let known = |m: &str| m.len() % 2 == 0;
    if let Err(e) = test_impact::commands::shard::read_timings(&p, &known) {
        let m = format!("{e:#}");
        assert!(!m.is_empty(), "{m:?}");
    }
});
