//! warnings-collector's reading of a log: the input opened as the CLI
//! opens it (gzip and zstd decoded by their first bytes, anything else
//! that is not text refused, with a one-line reason), then its
//! recognisers. The first byte picks the `LogFormat` (`Auto` runs every
//! recogniser on every line); the rest is the log, read lossily as the CLI
//! does.
#![no_main]

use ci_toolkit_fuzz::{log_format, split_selector};
use libfuzzer_sys::fuzz_target;
use warnings_collector::input;
use warnings_collector::parse::{Context, parse_log};

fuzz_target!(|data: &[u8]| {
    let Some((sel, bytes)) = split_selector(data) else {
        return;
    };
    let format = log_format(sel);
    let decoded = match input::read_all(bytes) {
        Ok(d) => d,
        Err(e) => {
            if let Some(why) = input::not_text_of(&e) {
                assert!(!why.to_string().contains('\n'), "{why}");
            }
            return;
        }
    };
    // A plain input reads as itself.
    if !bytes.starts_with(&[0x1f, 0x8b]) && !bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        assert_eq!(decoded, bytes);
    }
    let text = String::from_utf8_lossy(&decoded);
    let mut out = Vec::new();
    parse_log(&text, format, &mut Context::default(), &mut out);
    for f in &out {
        assert!(!f.message.contains('\n'), "{:?}", f.message);
        assert!(f.count >= 1);
    }
});
