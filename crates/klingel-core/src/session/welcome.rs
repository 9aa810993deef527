//! The first start on a data dir: the window greets the user once, and the desktop app turns
//! on starting at login once (the user can turn it off in the welcome or in Settings).
//!
//! Whether a start is the first is decided when the database is created, by whichever process
//! creates it, and kept in `welcome.json` beside it. A data dir from an older version has no
//! such file: its users are not greeted again.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Session;
use crate::error::Error;
use crate::private_files::JsonFile;

/// What is left of the first start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Welcome {
    /// The user closed the welcome.
    closed: bool,
    /// The desktop app has turned on starting at login once.
    autostart_offered: bool,
}

/// The welcome file of the data dir at `data_dir`.
fn file(data_dir: &std::path::Path) -> JsonFile<Welcome> {
    JsonFile::at(PathBuf::from(data_dir).join("welcome.json"))
}

/// Marks a data dir as new when its database did not exist before this process opened it, so
/// only the process that created the database does it.
pub(super) fn note_new_data_dir(data_dir: &std::path::Path, database_exists: bool) {
    if database_exists {
        return;
    }
    if let Err(e) = file(data_dir).save(&Welcome::default()) {
        // Without the file the user is simply not greeted; nothing else depends on it.
        tracing::warn!("cannot note the first start: {e}");
    }
}

impl Session {
    fn welcome_file(&self) -> JsonFile<Welcome> {
        file(&self.inner.paths.data_dir)
    }

    /// Whether the window should greet the user: a new data dir whose welcome was not closed.
    pub fn welcome_pending(&self) -> bool {
        self.welcome_file().load().is_some_and(|w| !w.closed)
    }

    /// Closes the welcome for good.
    pub fn close_welcome(&self) -> Result<(), Error> {
        let file = self.welcome_file();
        let Some(mut welcome) = file.load() else {
            return Ok(());
        };
        welcome.closed = true;
        file.save(&welcome).map_err(|source| Error::Unwritable {
            path: file.path().to_path_buf(),
            source,
        })
    }

    /// True exactly once per new data dir: the desktop app's first start, when it turns on
    /// starting at login. Later starts (and data dirs from older versions) get false.
    pub fn first_app_start(&self) -> bool {
        let file = self.welcome_file();
        let Some(mut welcome) = file.load() else {
            return false;
        };
        if welcome.autostart_offered {
            return false;
        }
        welcome.autostart_offered = true;
        if let Err(e) = file.save(&welcome) {
            // Saying "not the first" keeps a user's later choice from being overruled again.
            tracing::warn!("cannot note the first start: {e}");
            return false;
        }
        true
    }
}
