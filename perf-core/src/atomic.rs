//! Files that survive any stop: each write goes to a temporary file beside the target,
//! is synced to disk, and is renamed over it, so a reader sees the old content or the new
//! one, never half of either, whether the writer is killed (`kill -9`), the machine
//! stops, or the disk fills up. Appends copy the old content first: result files are a
//! few megabytes at most, and a copy is cheap next to the load point that produced them.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary file beside `path`: `.<name>.tmp`, in the same directory so the rename
/// stays on one file system.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.tmp"))
}

/// Syncs the directory holding `path`, so the rename itself is on disk.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

/// Fills a temporary file opened by `open` with `bytes`, syncs it and renames it over
/// `path`; on any failure the temporary file is removed and `path` is as it was.
fn replace(
    path: &Path,
    bytes: &[u8],
    open: impl FnOnce(&Path) -> std::io::Result<File>,
) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        sync_dir(path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes `bytes` as the whole content of `path`, atomically.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, |tmp| File::create(tmp))
}

/// Appends `bytes` to `path` (created when missing), atomically: the old content and
/// the new bytes are written to a temporary file that then replaces `path`.
pub fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace(path, bytes, |tmp| {
        match fs::copy(path, tmp) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                File::create(tmp)?;
            }
            Err(e) => return Err(e),
        }
        OpenOptions::new().append(true).open(tmp)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_appends_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("runs.csv");
        append(&p, b"a,b\n").unwrap();
        append(&p, b"1,2\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "a,b\n1,2\n");
        write(&p, b"x\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "x\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["runs.csv"]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        write(&p, b"old").unwrap();
        // The temporary file's place is taken by a directory: the write fails.
        fs::create_dir(temp_path(&p)).unwrap();
        assert!(write(&p, b"new").is_err());
        assert!(append(&p, b"new").is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
    }
}
