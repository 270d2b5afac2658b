//! The HTML report of `cargo build --timings`. When the first byte's low
//! bit is set it is paired with the ripgrep `cargo metadata` fixture (the
//! report fixture's own build), which adds the package edges.
#![no_main]

use ci_toolkit_fuzz::{scratch_file, split_selector};
use depgraph::input::{Format, LoadOptions, load};
use libfuzzer_sys::fuzz_target;

const METADATA: &[u8] = include_bytes!("../../fixtures/cargo-timings/ripgrep-cargo-metadata.json");

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let html = scratch_file("cargo-timing.html", bytes);
    let opts = LoadOptions {
        input_format: Some(Format::CargoTimings),
        cargo_metadata: (sel & 1 == 1).then(|| scratch_file("metadata.json", METADATA)),
        ..LoadOptions::default()
    };
    if let Err(e) = load(&[html], &opts) {
        let m = e.to_string();
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
    }
});
