//! A times CSV (`name,duration_s`) paired with a fixed DOT graph, formats
//! detected as the CLIs do (the file is named `times.csv`).
#![no_main]

use ci_toolkit_fuzz::scratch_file;
use depgraph::input::{LoadOptions, load};
use libfuzzer_sys::fuzz_target;

const DOT: &[u8] =
    b"digraph g {\n  a -> b;\n  b -> c [style=dotted];\n  a -> c;\n  \"e f\" -> a;\n  d;\n}\n";

fuzz_target!(|data: &[u8]| {
    let graph = scratch_file("graph.dot", DOT);
    let times = scratch_file("times.csv", data);
    if let Err(e) = load(&[graph, times], &LoadOptions::default()) {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
    }
});
