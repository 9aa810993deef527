//! Where Klingel keeps its settings file and its data.
//!
//! Every path can be overridden (flag, then `KLINGEL_CONFIG` / `KLINGEL_DATA_DIR`), so tests and
//! scripts never touch a real home directory; otherwise the user's XDG directories are used.

use std::path::PathBuf;

/// Environment variable naming the settings file.
pub const CONFIG_ENV: &str = "KLINGEL_CONFIG";
/// Environment variable naming the data directory.
pub const DATA_DIR_ENV: &str = "KLINGEL_DATA_DIR";

/// Failure to find a place for settings or data.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// No home directory, and no override given.
    #[error("cannot determine the user's {0} directory; set {1} or pass it explicitly")]
    NoHome(&'static str, &'static str),
}

/// The resolved settings file and data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The TOML settings file (need not exist).
    pub config_file: PathBuf,
    /// The directory holding the database and the local test key.
    pub data_dir: PathBuf,
}

impl Paths {
    /// Resolves explicit paths first, then `KLINGEL_*` variables, then the XDG directories.
    pub fn resolve(config: Option<PathBuf>, data_dir: Option<PathBuf>) -> Result<Self, PathsError> {
        let from_env = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let dirs = || directories::ProjectDirs::from("", "", "klingel");
        let config_file = match config.or_else(|| from_env(CONFIG_ENV)) {
            Some(path) => path,
            None => dirs()
                .ok_or(PathsError::NoHome("config", CONFIG_ENV))?
                .config_dir()
                .join("klingel.toml"),
        };
        let data_dir = match data_dir.or_else(|| from_env(DATA_DIR_ENV)) {
            Some(path) => path,
            None => dirs()
                .ok_or(PathsError::NoHome("data", DATA_DIR_ENV))?
                .data_dir()
                .to_path_buf(),
        };
        Ok(Self {
            config_file,
            data_dir,
        })
    }

    /// Whether the data directory is the platform's default one for Klingel, which Klingel
    /// owns (a directory given by flag or variable may be shared, like `/tmp`).
    pub fn data_dir_is_default(&self) -> bool {
        directories::ProjectDirs::from("", "", "klingel")
            .is_some_and(|dirs| dirs.data_dir() == self.data_dir)
    }

    /// The SQLite database file.
    pub fn database(&self) -> PathBuf {
        self.data_dir.join("klingel.sqlite3")
    }

    /// The private key Klingel signs its own test pushes with.
    pub fn test_key(&self) -> PathBuf {
        self.data_dir.join("test-signing-key.pem")
    }
}
