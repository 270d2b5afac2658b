//! A DOT graph paired with a fixed times CSV (the DOT + times input),
//! formats detected as the CLIs do. The first byte picks the edge
//! direction option (default, depends-on, build-order).
#![no_main]

use ci_toolkit_fuzz::{scratch_file, split_selector};
use depgraph::input::{DotEdges, LoadOptions, load};
use libfuzzer_sys::fuzz_target;

const TIMES: &[u8] = b"name,duration_s\na,1\nb,2.5\nc,0\nd,4\n\"e f\",3\n";

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let times = scratch_file("times.csv", TIMES);
    let graph = scratch_file("graph.dot", bytes);
    let opts = LoadOptions {
        dot_edges: match sel % 3 {
            0 => None,
            1 => Some(DotEdges::DependsOn),
            _ => Some(DotEdges::BuildOrder),
        },
        ..LoadOptions::default()
    };
    if let Err(e) = load(&[graph, times], &opts) {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
    }
});
