//! Files only their owner may read: the settings (a Basic-auth password), the database (who
//! called whom), the local test key. Directories 0700, files 0600, written atomically.
//!
//! On other systems than Unix the modes are left to the platform.

use std::io::Write as _;
use std::path::Path;

/// Owner-only file mode.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;
/// Owner-only directory mode.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;

/// Writes `contents` to `path` so that a crash never leaves a half-written file: a temp file
/// in the same directory (owner-only), synced, renamed over `path`, and the directory synced.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let tmp = dir.join(format!(".{file_name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(FILE_MODE);
        }
        let mut file = options.open(&tmp)?;
        // `mode` only applies when the file is new; a leftover temp file keeps its old mode.
        set_mode(&tmp, false)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        // Best effort: the original error is what matters to the caller.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` (and missing parents) owner-only. An existing directory is left as it is (it
/// may be shared, like a home directory): a warning says when others can list it.
pub(crate) fn private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        warn_if_open(dir);
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

#[cfg(unix)]
fn warn_if_open(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(dir) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                "{} can be listed by others ({mode:o}); Klingel's files in it are owner-only",
                dir.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_open(_dir: &Path) {}

/// Makes Klingel's own data directory (the platform's default one, which nobody shares) owner-
/// only, saying so when it was wider; a missing one is fine, it is created owner-only later.
pub(crate) fn private_own_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => tighten(dir, true),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates an empty owner-only file at `path` unless one exists (so that SQLite, which gives
/// its WAL files the database's mode, never creates anything readable by others).
pub(crate) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(FILE_MODE);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Makes an existing file owner-only, saying so when it was wider; a missing file is fine.
pub(crate) fn private_file(path: &Path) -> std::io::Result<()> {
    match std::fs::metadata(path) {
        Ok(_) => tighten(path, false),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
}

#[cfg(unix)]
fn tighten(path: &Path, dir: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let what = if dir {
            "could be listed"
        } else {
            "was readable"
        };
        tracing::info!(
            "{} {what} by others ({mode:o}); now only by its owner",
            path.display()
        );
        set_mode(path, dir)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _dir: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, dir: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if dir { DIR_MODE } else { FILE_MODE };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _dir: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    // The rename is durable only once the directory entry is.
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path)
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn an_atomic_write_is_owner_only_and_replaces_the_file_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub").join("klingel.toml");
        write_atomically(&path, b"first").expect("write");
        write_atomically(&path, b"second").expect("rewrite");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        assert_eq!(mode(&path), 0o600, "a password may be in it");
        let leftovers = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .count();
        assert_eq!(leftovers, 1, "no temp file stays behind");
    }

    #[test]
    fn a_new_directory_is_owner_only_and_an_existing_one_is_left_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("share").join("klingel");
        private_dir(&data).expect("new dir");
        assert_eq!(mode(&data), 0o700, "a new data dir is owner-only");
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).expect("dir");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_dir(&shared).expect("existing dir");
        assert_eq!(
            mode(&shared),
            0o755,
            "a directory Klingel did not make is not changed"
        );
    }

    #[test]
    fn wider_files_are_tightened_and_missing_ones_are_fine() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("klingel.sqlite3");
        std::fs::write(&db, b"x").expect("file");
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        private_file(&db).expect("file");
        private_file(&dir.path().join("absent")).expect("a missing file is no error");
        assert_eq!(mode(&db), 0o600);
    }

    #[test]
    fn klingel_s_own_data_dir_is_tightened_and_a_missing_one_is_fine() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("klingel");
        private_own_dir(&data).expect("a missing dir is no error");
        std::fs::create_dir(&data).expect("dir");
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_own_dir(&data).expect("existing dir");
        assert_eq!(mode(&data), 0o700);
    }
}

/// A value kept as JSON in an owner-only file, written atomically.
#[derive(Debug, Clone)]
pub struct JsonFile<T> {
    path: std::path::PathBuf,
    kind: std::marker::PhantomData<fn() -> T>,
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> JsonFile<T> {
    /// The file at `path`.
    pub fn at(path: std::path::PathBuf) -> Self {
        Self {
            path,
            kind: std::marker::PhantomData,
        }
    }

    /// The value, if the file holds a readable one.
    pub fn load(&self) -> Option<T> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Saves `value`, owner-only, replacing what was there.
    pub fn save(&self, value: &T) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
        write_atomically(&self.path, &text)
    }

    /// Removes the file; one that is not there is removed already.
    pub fn remove(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}
