//! warnings-collector's JSONL warnings (`--jsonl`), one record a line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warnings_collector::parse::jsonl;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (mut out, mut diags) = (Vec::new(), Vec::new());
    jsonl::parse("w.jsonl", &text, &mut out, &mut diags);
    for d in &diags {
        assert!(!d.contains('\n'), "{d:?}");
    }
    for f in &out {
        assert!(!f.message.contains('\n'), "{:?}", f.message);
    }
});
