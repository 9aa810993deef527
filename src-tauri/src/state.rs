//! What the app holds while it runs: settings, store, monitor, listener.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use klingel_core::config::Language;
use klingel_core::server::{ListenerStatus, Server};
use klingel_core::sipgate::TestSigner;
use klingel_core::{Monitor, Paths, Settings, Store};
use tokio::sync::watch;

/// The running app's core objects, managed by Tauri.
pub struct Klingel {
    paths: Paths,
    settings: RwLock<Settings>,
    /// Why the settings file could not be read at start (defaults are in use, the file is kept).
    settings_error: Option<String>,
    monitor: Monitor,
    server: Server,
    signer: Arc<TestSigner>,
    do_not_disturb: AtomicBool,
    quitting: AtomicBool,
    stop: watch::Sender<bool>,
}

impl Klingel {
    /// Loads settings, opens the store and binds the listener. A bind failure is not an error:
    /// the window shows it and the user can change the address.
    pub async fn start() -> anyhow::Result<Self> {
        let paths = Paths::resolve(None, None)?;
        let (settings, settings_error) = match Settings::load(&paths.config_file) {
            Ok(settings) => (settings, None),
            Err(e) => {
                tracing::error!("{e}; using defaults until it is fixed");
                (Settings::default(), Some(e.to_string()))
            }
        };
        let database = paths.database();
        let store =
            Store::open(&database).with_context(|| format!("opening {}", database.display()))?;
        let key_path = paths.test_key();
        let signer = tokio::task::spawn_blocking(move || TestSigner::load_or_create(&key_path))
            .await?
            .context("preparing the local test key")?;
        let monitor = Monitor::new(store, &settings);
        let (server, _status) = Server::start(
            monitor.clone(),
            &settings.listener,
            Some(signer.public_key()),
        )
        .await?;
        let (stop, mut stopped) = watch::channel(false);
        tauri::async_runtime::spawn(monitor.clone().run_expiry(async move {
            let _ = stopped.wait_for(|s| *s).await;
        }));
        Ok(Self {
            paths,
            settings: RwLock::new(settings),
            settings_error,
            monitor,
            server,
            signer: Arc::new(signer),
            do_not_disturb: AtomicBool::new(false),
            quitting: AtomicBool::new(false),
            stop,
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Why the settings file was not usable at start, if it was not.
    pub fn settings_error(&self) -> Option<String> {
        self.settings_error.clone()
    }

    /// Validates, saves and applies new settings: numbers and popups at once, the listener's
    /// checks at once, and a rebind when the address changed.
    pub async fn save_settings(&self, new: Settings) -> Result<ListenerStatus, SettingsError> {
        new.validate().map_err(SettingsError::Invalid)?;
        new.save(&self.paths.config_file)
            .map_err(|e| SettingsError::Save(e.to_string()))?;
        self.monitor.reconfigure(&new);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = new.clone();
        self.server
            .apply(&new.listener, Some(self.signer.public_key()))
            .await
            .map_err(|e| SettingsError::Invalid(format!("[listener] public_key: {e}")))
    }

    /// The language popups and the window speak.
    pub fn language(&self) -> Language {
        self.settings().ui.language.resolve()
    }

    /// The call monitor.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// The listener.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The key test calls are signed with.
    pub fn signer(&self) -> Arc<TestSigner> {
        self.signer.clone()
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

    /// Stops the listener and background tasks.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        self.server.shutdown().await;
    }
}

/// Why settings were not taken.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value makes no sense.
    #[error("{0}")]
    Invalid(String),
    /// The file could not be written.
    #[error("{0}")]
    Save(String),
}
