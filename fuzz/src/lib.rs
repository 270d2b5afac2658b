//! Helpers shared by the fuzz targets.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// depgraph's readers take file paths: fuzz inputs are written under a
/// directory in `/dev/shm` (memory, no disk writes) unique to this process,
/// so several fuzzers can run at once. `bench/fuzz.sh` removes it.
pub fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("ci-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz scratch directory");
        dir
    })
}

/// Writes `bytes` to `name` in the scratch directory and returns its path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let p = scratch_dir().join(name);
    std::fs::write(&p, bytes).expect("write a fuzz input");
    p
}

/// `Some(first byte, rest)`: targets whose first byte picks a variant.
pub fn split_selector(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(b, rest)| (*b, rest))
}

/// The log format a selector byte picks: every variant of `LogFormat`, in
/// declaration order (what `bench/fuzz.sh` prefixes each seed with).
pub fn log_format(sel: u8) -> warnings_collector::parse::LogFormat {
    let all = <warnings_collector::parse::LogFormat as clap::ValueEnum>::value_variants();
    all[usize::from(sel) % all.len()]
}
