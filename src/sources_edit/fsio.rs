//! The editor's file I/O: one advisory lock per sources directory, atomic
//! replacement of a file, the append-only audit log.

use super::{AuditEntry, EditError};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The lock file every writer of a sources directory takes, beside the files.
pub(crate) const LOCK_FILE: &str = ".regwatch-edit.lock";

/// An exclusive `flock` on `<dir>/.regwatch-edit.lock`, held until dropped.
///
/// One lock for the whole directory, not one per file: adding a source
/// checks that its id is free in every file, so two adds to two files must
/// not interleave either. `flock` belongs to the open file, so two threads
/// of one process exclude each other as two processes do (the web and the
/// CLI), and the kernel releases it when a holder dies: no stale locks.
pub(crate) struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(dir: &Path) -> Result<DirLock, EditError> {
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EditError::io(&path, e))?;
        lock_exclusive(&file).map_err(|e| EditError::io(&path, e))?;
        Ok(DirLock { _file: file })
    }
}

#[cfg(unix)]
fn lock_exclusive(file: &File) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor this function borrows; no memory is shared.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &File) -> std::io::Result<()> {
    // regwatch runs on Linux; elsewhere edits are not serialized.
    Ok(())
}

/// Replace `path` with `text` atomically: `.<name>.tmp` beside the file
/// (beside its target, for a symlink), written, fsynced, given the file's
/// permissions, renamed over it; then the directory is fsynced so the
/// rename survives a crash. A reader sees the old file or the new one,
/// never half of one.
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<(), EditError> {
    let real = match std::fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(EditError::io(path, e)),
    };
    let dir = real
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sources.toml".into());
    let tmp = dir.join(format!(".{name}.tmp"));
    let io = |e| EditError::io(&tmp, e);
    // A temporary file left by a crash is ours to replace (we hold the lock).
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io)?;
        f.write_all(text.as_bytes()).map_err(io)?;
        if let Ok(meta) = std::fs::metadata(&real) {
            f.set_permissions(meta.permissions()).map_err(io)?;
        }
        f.sync_all().map_err(io)?;
        drop(f);
        std::fs::rename(&tmp, &real).map_err(|e| EditError::io(&real, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return result;
    }
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The audit log, opened for appending.
pub(crate) struct AuditLog {
    file: File,
}

impl AuditLog {
    pub fn open(path: &Path) -> Result<AuditLog, EditError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| EditError::io(path, e))?;
        Ok(AuditLog { file })
    }

    /// One JSON line (a value cannot break the line: JSON escapes newlines),
    /// written in one `write` to a file opened for appending, then synced.
    pub fn append(&mut self, entry: &AuditEntry) -> std::io::Result<()> {
        let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }
}
