//! warnings-collector's log recognisers. The first byte picks the
//! `LogFormat` (`Auto` runs every recogniser on every line); the rest is
//! the log, read lossily as the CLI does.
#![no_main]

use ci_toolkit_fuzz::{log_format, split_selector};
use libfuzzer_sys::fuzz_target;
use warnings_collector::parse::{Context, parse_log};

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let format = log_format(sel);
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    parse_log(&text, format, &mut Context::default(), &mut out);
    for f in &out {
        assert!(!f.message.contains('\n'), "{:?}", f.message);
    }
});
