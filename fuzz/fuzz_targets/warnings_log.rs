//! warnings-collector's log recognisers. The first byte picks the
//! `LogFormat` (`Auto` runs every recogniser on every line); the rest is
//! the log, read lossily as the CLI does.
#![no_main]

use ci_toolkit_fuzz::split_selector;
use libfuzzer_sys::fuzz_target;
use warnings_collector::parse::{Context, LogFormat, parse_log};

/// Every variant, in declaration order; `bench/fuzz.sh` prefixes each
/// seed log with its format's index.
pub const FORMATS: [LogFormat; 11] = [
    LogFormat::Auto,
    LogFormat::Ruby,
    LogFormat::Rails,
    LogFormat::Python,
    LogFormat::Node,
    LogFormat::Javac,
    LogFormat::Maven,
    LogFormat::Kotlin,
    LogFormat::Gradle,
    LogFormat::Cargo,
    LogFormat::Go,
];

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let format = FORMATS[usize::from(sel) % FORMATS.len()];
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    parse_log(&text, format, &mut Context::default(), &mut out);
    for f in &out {
        assert!(!f.message.contains('\n'), "{:?}", f.message);
    }
});
