//! What the app holds while it runs: the core's session and the shell's own switches.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use klingel_core::{Paths, Session};

/// The running app, managed by Tauri.
pub struct Klingel {
    /// The core: settings, store, listener, and every operation.
    pub session: Session,
    do_not_disturb: AtomicBool,
    quitting: AtomicBool,
}

impl Klingel {
    /// Opens the session (a broken settings file runs on defaults and says so) and binds the
    /// listener. A bind failure is not an error: the window shows it.
    pub async fn start() -> anyhow::Result<Self> {
        let paths = Paths::resolve(None, None)?;
        let session = tauri::async_runtime::spawn_blocking(move || Session::open_lenient(paths))
            .await?
            .context("opening Klingel's data")?;
        session.start().await?;
        Ok(Self {
            session,
            do_not_disturb: AtomicBool::new(false),
            quitting: AtomicBool::new(false),
        })
    }

    /// Whether popups are paused from the tray.
    pub fn do_not_disturb(&self) -> bool {
        self.do_not_disturb.load(Ordering::Relaxed)
    }

    /// Pauses or resumes popups.
    pub fn set_do_not_disturb(&self, on: bool) {
        self.do_not_disturb.store(on, Ordering::Relaxed);
    }

    /// Marks that the user chose Quit.
    pub fn begin_quit(&self) {
        self.quitting.store(true, Ordering::Relaxed);
    }

    /// Whether the user chose Quit.
    pub fn quitting(&self) -> bool {
        self.quitting.load(Ordering::Relaxed)
    }
}
