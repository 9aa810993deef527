//! Where the token is kept: the desktop's keyring (Secret Service over D-Bus) when one answers,
//! else an owner-only file beside the settings. Never in `klingel.toml`, never in a log.
//!
//! A server without a desktop session (a hub) has no session bus and uses the file; a desktop
//! whose keyring is there keeps the token in it, and no file is left behind.

use std::path::Path;

use serde::Serialize;

use super::token::{Token, TokenFile};

/// Where a token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kept {
    /// In the desktop's keyring.
    Keyring,
    /// In an owner-only file.
    File,
}

/// The token's places: the keyring entry for this settings directory, and the file.
#[derive(Debug, Clone)]
pub struct TokenVault {
    file: TokenFile,
    /// The keyring entry's user: the settings directory, so two Klingels with their own
    /// settings (a test, a second profile) keep their own tokens.
    key: String,
}

/// The keyring entry's service name.
#[cfg(target_os = "linux")]
const SERVICE: &str = "Klingel sipgate token";

impl TokenVault {
    /// The vault for the settings in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            file: TokenFile::in_dir(dir),
            key: dir.display().to_string(),
        }
    }

    /// The saved token and where it is, the keyring first.
    pub fn load(&self) -> Option<(Token, Kept)> {
        if let Some(token) = keyring::read(&self.key).and_then(|t| serde_json::from_str(&t).ok()) {
            return Some((token, Kept::Keyring));
        }
        self.file.load().map(|token| (token, Kept::File))
    }

    /// Saves `token` in the keyring when one answers (removing a file left from before), else
    /// in the file.
    pub fn save(&self, token: &Token) -> std::io::Result<Kept> {
        let text = serde_json::to_string(token).map_err(std::io::Error::other)?;
        if keyring::write(&self.key, &text) {
            self.file.remove()?;
            return Ok(Kept::Keyring);
        }
        self.file.save(token)?;
        Ok(Kept::File)
    }

    /// Forgets the token in both places.
    pub fn remove(&self) -> std::io::Result<()> {
        keyring::delete(&self.key);
        self.file.remove()
    }

    /// The file, for error messages.
    pub fn file(&self) -> &Path {
        self.file.path()
    }
}

/// The Secret Service, when there is a session bus and a keyring already running on it; every
/// failure means "no keyring" and the file is used.
///
/// Each call runs on a thread of its own: the D-Bus client blocks on a runtime of its own,
/// which may not start on a thread that belongs to another (an async task, `block_in_place`).
/// A keyring that is not running is not started: on a desktop it runs, and one started here
/// would be locked with nobody to unlock it.
#[cfg(target_os = "linux")]
mod keyring {
    use keyring_core::api::CredentialStoreApi as _;

    /// The keyring's well-known name on the session bus.
    const SECRETS: &str = "org.freedesktop.secrets";

    fn on_own_thread<T: Send>(work: impl FnOnce() -> Option<T> + Send) -> Option<T> {
        std::thread::scope(|scope| scope.spawn(work).join().ok().flatten())
    }

    fn running() -> Option<()> {
        // Without a session bus there is no keyring to ask.
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS")?;
        let bus = zbus5::blocking::Connection::session().ok()?;
        let name = zbus5::names::BusName::try_from(SECRETS).ok()?;
        let proxy = zbus5::blocking::fdo::DBusProxy::new(&bus).ok()?;
        proxy.name_has_owner(name).ok()?.then_some(())
    }

    fn entry(key: &str) -> Option<keyring_core::Entry> {
        running()?;
        let store = zbus_secret_service_keyring_store::Store::new()
            .map_err(|e| tracing::debug!("no keyring: {e}"))
            .ok()?;
        store
            .build(super::SERVICE, key, None)
            .map_err(|e| tracing::debug!("no keyring entry: {e}"))
            .ok()
    }

    pub fn read(key: &str) -> Option<String> {
        on_own_thread(|| entry(key)?.get_password().ok())
    }

    pub fn write(key: &str, text: &str) -> bool {
        on_own_thread(|| {
            let written = entry(key)?
                .set_password(text)
                .map_err(|e| tracing::info!("the keyring refused the token, a file keeps it: {e}"));
            written.ok()
        })
        .is_some()
    }

    pub fn delete(key: &str) {
        on_own_thread(|| entry(key)?.delete_credential().ok());
    }
}

/// Elsewhere the file keeps the token.
#[cfg(not(target_os = "linux"))]
mod keyring {
    pub fn read(_: &str) -> Option<String> {
        None
    }

    pub fn write(_: &str, _: &str) -> bool {
        false
    }

    pub fn delete(_: &str) {}
}
