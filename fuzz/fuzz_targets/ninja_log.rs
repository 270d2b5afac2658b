//! A `.ninja_log` paired with the `ninja -t graph` fixture of the same
//! build (fmt), formats detected as the CLIs do.
#![no_main]

use ci_toolkit_fuzz::scratch_file;
use depgraph::input::{LoadOptions, load};
use libfuzzer_sys::fuzz_target;

const GRAPH: &[u8] = include_bytes!("../../fixtures/ninja/fmt-graph.dot");

fuzz_target!(|data: &[u8]| {
    let graph = scratch_file("graph.dot", GRAPH);
    let log = scratch_file(".ninja_log", data);
    if let Err(e) = load(&[graph, log], &LoadOptions::default()) {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
    }
});
