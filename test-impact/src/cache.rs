//! The repository's cache under `<git dir>/test-impact/`: files named by a
//! commit or a hash of the manifests, written atomically, and the oldest
//! removed once there are more than [`KEEP`]. A cache that cannot be read
//! or written only makes the next run slower.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::git::Repo;

/// Files kept in the cache folder; the least recently written go first.
pub(crate) const KEEP: usize = 256;

/// Where the cache file `name` of `repo` lives.
pub(crate) fn path(repo: &Repo, name: &str) -> PathBuf {
    repo.git_dir().join("test-impact").join(name)
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a
/// reader never sees half a file, then trims the folder to [`KEEP`] files.
pub(crate) fn write(path: &Path, bytes: &[u8]) {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let Some(dir) = path.parent() else { return };
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        tracing::debug!("cannot write the cache {}: {e}", path.display());
        return;
    }
    prune(dir, KEEP);
}

/// Removes the oldest files of `dir` beyond `keep`.
fn prune(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| {
            let e = e.ok()?;
            let meta = e.metadata().ok()?;
            (meta.is_file() && !e.file_name().to_string_lossy().starts_with(".tmp-"))
                .then_some(())?;
            Some((meta.modified().ok()?, e.path()))
        })
        .collect();
    if files.len() <= keep {
        return;
    }
    files.sort();
    for (_, p) in &files[..files.len() - keep] {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn writes_atomically_and_keeps_the_newest() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("test-impact");
        std::fs::create_dir_all(&dir).unwrap();
        let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for i in 0..5u64 {
            let p = dir.join(format!("f{i}"));
            std::fs::write(&p, b"x").unwrap();
            let f = std::fs::File::options().write(true).open(&p).unwrap();
            f.set_modified(epoch + Duration::from_secs(i)).unwrap();
        }
        prune(&dir, 3);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["f2", "f3", "f4"]);

        write(&dir.join("new"), b"bytes");
        assert_eq!(std::fs::read(dir.join("new")).unwrap(), b"bytes");
        assert!(
            std::fs::read_dir(&dir).unwrap().all(|e| !e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".tmp"))
        );
    }
}
