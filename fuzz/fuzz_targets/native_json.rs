//! depgraph's native JSON graph (`{"modules": [...]}`), read through
//! `depgraph::input::load` as the CLIs do. The first byte's low bit sets
//! `durations_optional` (test-impact's mode).
#![no_main]

use ci_toolkit_fuzz::{scratch_file, split_selector};
use depgraph::input::{Format, LoadOptions, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let p = scratch_file("graph.json", bytes);
    let opts = LoadOptions {
        input_format: Some(Format::Native),
        durations_optional: sel & 1 == 1,
        ..LoadOptions::default()
    };
    if let Err(e) = load(&[p], &opts) {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
    }
});
