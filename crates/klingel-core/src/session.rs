//! The one object both binaries hold: settings, store, monitor, listener, signer, expiry and
//! shutdown, and every operation a window, the CLI or (later) a desk needs.
//!
//! Every write goes through here and publishes its own [`Update`]; no face publishes. The
//! methods take and return plain data ([`crate::domain`]), so a desk can offer the same
//! operations over HTTP. Methods that touch the database block: call them from
//! `spawn_blocking` (or a blocking command) in async code; the async ones say so.

mod account;
mod welcome;

pub use account::{Dialed, Rejected};

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use serde::Serialize;
use time::UtcOffset;
use tokio::sync::{broadcast, watch};

use crate::config::{Language, NumbersConfig, Settings};
use crate::domain::{
    BlockedNumber, Blocking, CallEntry, CallFilter, CallKey, CallUpdate, CallsPage, Contact,
    ContactId, ContactInput, ContactMatch, ContactsPage, Desk, Handled, HandledHow, ImportReport,
    SharedNumber, StoredRequest, Update, UpdateCause,
};
use crate::error::Error;
use crate::hub::client::{ClientError, CursorFile, HubClient};
use crate::hub::desk::{DeskLink, DeskStatus};
use crate::hub::wire::{WireCall, WireContact};
use crate::hub::Hub;
use crate::interchange::{self, call_log, csv, vcard, ContactRecord, Format, ReadFile};
use crate::monitor::Monitor;
use crate::paths::Paths;
use crate::phone::{PhoneNumber, Region};
use crate::selftest::{self, TestCall, TestCallReport};
use crate::server::{ListenerState, ListenerStatus, Server};
use crate::sipgate::TestSigner;
use crate::store::{Store, StoreError};
use crate::time_fmt::now;
use crate::tray::{TrayFacts, TrayView};
use crate::words::Words;

/// Result of session operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The caller every test call comes from, so that adding it as a contact names the next one.
const TEST_CALLER: &str = "+49 30 12345678";
/// The sipgate number test calls ring.
const TEST_LINE: &str = "+49 211 5558000";
/// How long a test call rings, then talks.
const TEST_RING: Duration = Duration::from_secs(3);
const TEST_TALK: Duration = Duration::from_secs(2);

/// A number as a form checks it while the user types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", untagged)]
pub enum NumberCheck {
    /// It reads as a number.
    Ok {
        /// Always true.
        ok: bool,
        /// The E.164 key.
        e164: String,
        /// How it will be shown.
        display: String,
    },
    /// It does not.
    Err {
        /// Always false.
        ok: bool,
        /// The reason's code (`too_short`, …), for the window's words.
        code: &'static str,
        /// The reason in English.
        message: String,
    },
}

/// Saved settings and what the listener made of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsSaved {
    /// The settings now in force.
    pub settings: Settings,
    /// The listener after applying them.
    pub listener: ListenerStatus,
}

/// What the window's rail and calls view summarise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// The listener.
    pub listener: ListenerStatus,
    /// Missed calls nobody marked seen.
    pub unseen_missed: i64,
    /// The language in use.
    pub language: Language,
    /// The default region numbers are read in.
    pub region: String,
    /// Why the settings file was not usable at start (defaults are in use), if it was not.
    pub settings_error: Option<String>,
    /// At a desk: the link to the office hub (None: this Klingel listens itself).
    pub desk: Option<DeskStatus>,
    /// The window greets a new user (the first start on this data dir, until closed).
    pub welcome: bool,
}

/// A file written by an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    /// Where.
    pub path: String,
    /// How many records.
    pub count: usize,
}

/// A cheap handle on one running Klingel; clones share everything.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    paths: Paths,
    settings: RwLock<Settings>,
    settings_error: Option<String>,
    store: Store,
    monitor: Monitor,
    server: Server,
    /// Klingel's own signing key, loaded (or made) when the listener first starts: commands
    /// that never listen never touch it.
    signer: OnceLock<Arc<TestSigner>>,
    stop: watch::Sender<bool>,
    expiry: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// At a desk: the link to the office hub, which then holds the calls and contacts.
    desk: RwLock<Option<DeskLink>>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("paths", &self.inner.paths)
            .finish_non_exhaustive()
    }
}

/// The directory of the settings file, where tokens are kept beside it.
fn settings_dir(paths: &Paths) -> std::path::PathBuf {
    paths
        .config_file
        .parent()
        .map_or_else(|| paths.data_dir.clone(), Path::to_path_buf)
}

/// The file a desk keeps its hub token in.
fn desk_token_file(paths: &Paths) -> std::path::PathBuf {
    settings_dir(paths).join("desk-token")
}

/// Makes the secrets an earlier run left behind owner-only again, should a copy, a restore or
/// a hand edit have widened them: each is written owner-only, but only a new file gets the mode.
/// The database and its WAL files are the store's to protect. The data directory is tightened
/// only when it is the platform's default one; one given by flag or variable may be shared
/// (like `/tmp`), and the store warns about it instead.
fn tighten_existing(paths: &Paths) -> Result<()> {
    let unwritable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Unwritable { path, source }
    };
    if paths.data_dir_is_default() {
        crate::private_files::private_own_dir(&paths.data_dir)
            .map_err(unwritable(&paths.data_dir))?;
    }
    // The certificate cache holds private keys, and Klingel made that directory itself.
    let acme = paths.data_dir.join("acme");
    crate::private_files::private_own_dir(&acme).map_err(unwritable(&acme))?;
    let secrets = [
        paths.config_file.clone(),
        paths.test_key(),
        desk_token_file(paths),
        crate::account::TokenFile::in_dir(&settings_dir(paths))
            .path()
            .to_path_buf(),
        crate::account::directory::DirectoryFile::in_dir(&paths.data_dir)
            .path()
            .to_path_buf(),
    ];
    for file in &secrets {
        crate::private_files::private_file(file).map_err(unwritable(file))?;
    }
    Ok(())
}

impl Session {
    /// Opens the store with `settings`; nothing listens yet (see [`Session::start`]).
    /// Blocking.
    pub fn open(paths: Paths, settings: Settings) -> Result<Self> {
        settings.validate()?;
        Self::open_with(paths, settings, None)
    }

    /// Like [`Session::open`] with the settings file at `paths`; a broken file is not fatal:
    /// the defaults are used, the file is kept, and [`Overview::settings_error`] says why.
    pub fn open_lenient(paths: Paths) -> Result<Self> {
        let (settings, problem) = match Settings::load(&paths.config_file) {
            Ok(settings) => (settings, None),
            Err(e) => {
                tracing::error!("{e}; using defaults until it is fixed");
                (Settings::default(), Some(e.to_string()))
            }
        };
        Self::open_with(paths, settings, problem)
    }

    fn open_with(paths: Paths, settings: Settings, settings_error: Option<String>) -> Result<Self> {
        tighten_existing(&paths)?;
        let database_existed = paths.database().exists();
        let store = Store::open(&paths.database())?;
        // After the store made the data dir (owner-only), not before.
        welcome::note_new_data_dir(&paths.data_dir, database_existed);
        let monitor = Monitor::new(store.clone(), &settings);
        let server = Server::for_monitor(monitor.clone(), &settings.listener)?;
        server.set_acme_cache(paths.data_dir.join("acme"));
        Ok(Self {
            inner: Arc::new(Inner {
                paths,
                settings: RwLock::new(settings),
                settings_error,
                store,
                monitor,
                server,
                signer: OnceLock::new(),
                stop: watch::channel(false).0,
                expiry: Mutex::new(None),
                desk: RwLock::new(None),
            }),
        })
    }

    /// Binds the listener and starts closing calls whose `hangup` never comes. A bind failure
    /// is not an error: it shows in the returned status (and as an update), and new settings
    /// can fix it. Needs a tokio runtime.
    pub async fn start(&self) -> Result<ListenerStatus> {
        let settings = self.settings();
        if settings.desk.hub_url.is_some() {
            if let Some(token) = self.desk_token() {
                self.follow_hub(&settings, &token)?;
                return Ok(self.listener_status());
            }
            tracing::warn!("[desk] hub_url is set but no desk token is saved: listening locally");
        }
        let local_key = self.local_key().await?;
        let http = self.inner.server.http();
        if settings.hub.enabled && http.hub().is_none() {
            let hub = Hub::start(
                self.inner.monitor.clone(),
                &self.inner.paths.database(),
                settings.hub.clone(),
            )?;
            http.set_hub(Some(hub));
        }
        let status = self
            .inner
            .server
            .apply(&settings.listener, Some(local_key))
            .await?;
        self.inner.monitor.publish(Update::Listener(status.clone()));
        let mut stopped = self.inner.stop.subscribe();
        let expiry = self.inner.monitor.clone().run_expiry(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        let announce = Self::announce_store_failures(Arc::downgrade(&self.inner));
        let repairs =
            Self::repair_now_and_then(Arc::downgrade(&self.inner), self.inner.stop.subscribe());
        // One task for all three, so a second start replaces them all.
        let expiry = tokio::spawn(async move {
            tokio::join!(expiry, announce, repairs);
        });
        if let Some(old) = self.lock_expiry().replace(expiry) {
            old.abort();
        }
        Ok(status)
    }

    /// Stops the listener and the expiry task; waits for requests in flight.
    pub async fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        if let Some(link) = self.desk_link() {
            link.stop();
        }
        // Desks' streams end first, or the listener would wait for them.
        if let Some(hub) = self.inner.server.http().hub() {
            hub.stop();
        }
        self.inner.server.shutdown().await;
        let expiry = self.lock_expiry().take();
        if let Some(expiry) = expiry {
            let _ = expiry.await;
        }
    }

    /// The public half of the local test key, which the listener trusts besides sipgate's.
    async fn local_key(&self) -> Result<rsa::RsaPublicKey> {
        let session = self.clone();
        let signer = tokio::task::spawn_blocking(move || session.signer())
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        Ok(signer.public_key())
    }

    /// The local test key, loaded or created on first use. Blocking.
    fn signer(&self) -> Result<Arc<TestSigner>> {
        if let Some(signer) = self.inner.signer.get() {
            return Ok(signer.clone());
        }
        let signer = TestSigner::load_or_create(&self.inner.paths.test_key())
            .map_err(|e| Error::Internal(format!("preparing the local test key: {e}")))?;
        // Two first callers may both load it; both read the same file, and one wins.
        Ok(self.inner.signer.get_or_init(|| Arc::new(signer)).clone())
    }

    fn lock_expiry(&self) -> std::sync::MutexGuard<'_, Option<tokio::task::JoinHandle<()>>> {
        self.inner
            .expiry
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds a desk to the office hub; returns it and its token, which is shown this once
    /// and stored only as a hash.
    pub fn add_desk(
        &self,
        name: &str,
        sipgate_user_ids: &[String],
        all_calls: bool,
    ) -> Result<(Desk, String)> {
        Ok(self
            .inner
            .store
            .add_desk(name, sipgate_user_ids, all_calls, crate::hub::token::mint)?)
    }

    /// Every desk, revoked ones included.
    pub fn desks(&self) -> Result<Vec<Desk>> {
        Ok(self.inner.store.desks()?)
    }

    /// Revokes a desk: its token stops working, and a running hub closes its stream.
    pub fn revoke_desk(&self, name: &str) -> Result<Desk> {
        Ok(self.inner.store.revoke_desk(name)?)
    }

    /// The newest change-log position (how far a desk can be behind).
    pub fn head_seq(&self) -> Result<i64> {
        Ok(self
            .inner
            .store
            .with(|conn| crate::store::events::head_seq(conn))?)
    }

    /// Hears every update from now on: calls, contacts, settings, listener, requests.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.inner.monitor.subscribe()
    }

    /// Where settings and data live.
    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    // ---- settings -------------------------------------------------------------------------

    /// The settings in force.
    pub fn settings(&self) -> Settings {
        self.inner
            .settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The language popups, the CLI and the window speak.
    pub fn language(&self) -> Language {
        self.settings().ui.language.resolve()
    }

    /// The words of the language in use.
    pub fn words(&self) -> &'static Words {
        Words::of(self.language())
    }

    fn numbers(&self) -> NumbersConfig {
        self.settings().numbers
    }

    fn region(&self) -> Region {
        self.numbers().region
    }

    /// Validates, saves and applies new settings: numbers, expiry and popups at once, the
    /// listener's checks at once, and a rebind when the address changed. A new address is
    /// bound first: when it cannot be had, nothing is saved or changed, the running listener
    /// keeps receiving calls, and [`Error::Bind`] says why. Publishes `SettingsChanged` and
    /// the listener's status.
    pub async fn apply_settings(&self, new: Settings) -> Result<SettingsSaved> {
        new.validate()?;
        if self.desk_link().is_some() {
            return self.apply_desk_settings(new).await;
        }
        // The new public key must load before anything is saved.
        crate::http::ListenerSettings::new(&new.listener, None)?;
        let old = self.settings();
        let was_listening = self.listener_status().state == ListenerState::Listening;
        // A new address is bound before anything changes: when it cannot be had, nothing is
        // saved and the running listener keeps receiving calls.
        let bind_error = |e: std::io::Error| Error::Bind {
            address: new.listener.address.to_string(),
            failure: e.kind().into(),
            reason: e.to_string(),
        };
        let bound = match self.inner.server.bind_if_moving(&new.listener).await {
            Ok(bound) => bound,
            // The running listener itself holds the port (only the IP changes): it has to let
            // go first, below, and comes back if the new address fails.
            Err(e)
                if e.kind() == std::io::ErrorKind::AddrInUse
                    && was_listening
                    && old.listener.address.port() == new.listener.address.port() =>
            {
                None
            }
            Err(e) => return Err(bind_error(e)),
        };
        let local_key = self.local_key().await?;
        let listener = self
            .inner
            .server
            .apply_bound(&new.listener, Some(local_key.clone()), bound)
            .await?;
        if listener.state != ListenerState::Listening && was_listening {
            let reason = listener.error.clone().unwrap_or_default();
            let failure = listener
                .failure
                .unwrap_or(crate::server::BindFailure::Other);
            self.inner
                .server
                .apply(&old.listener, Some(local_key))
                .await?;
            return Err(Error::Bind {
                address: new.listener.address.to_string(),
                failure,
                reason,
            });
        }
        self.put_in_force(&new).await?;
        self.inner
            .monitor
            .publish(Update::Listener(listener.clone()));
        Ok(SettingsSaved {
            settings: new,
            listener,
        })
    }

    /// Writes `new` to the settings file and puts it in force (numbers, expiry, popups);
    /// tells subscribers. The listener is the caller's business.
    async fn put_in_force(&self, new: &Settings) -> Result<()> {
        let (saved, path) = (new.clone(), self.inner.paths.config_file.clone());
        tokio::task::spawn_blocking(move || saved.save(&path))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
        self.inner.monitor.reconfigure(new);
        *self
            .inner
            .settings
            .write()
            .unwrap_or_else(|p| p.into_inner()) = new.clone();
        self.inner
            .monitor
            .publish(Update::SettingsChanged(Box::new(new.clone())));
        Ok(())
    }

    /// Stops following a hub, if this Klingel does.
    fn unfollow_hub(&self) {
        let link = self
            .inner
            .desk
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(link) = link {
            link.stop();
        }
    }

    // ---- desk of an office hub ------------------------------------------------------------

    /// New settings at a desk: everything but the listener, which a desk does not run. The
    /// hub link stays as it is ([`Session::connect_hub`] changes it).
    async fn apply_desk_settings(&self, mut new: Settings) -> Result<SettingsSaved> {
        new.desk = self.settings().desk;
        self.put_in_force(&new).await?;
        Ok(SettingsSaved {
            settings: new,
            listener: self.listener_status(),
        })
    }

    /// The link to the office hub, when this Klingel is a desk.
    pub fn desk_link(&self) -> Option<DeskLink> {
        self.inner
            .desk
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Where the link to the hub stands, when this Klingel is a desk.
    pub fn desk_status(&self) -> Option<DeskStatus> {
        self.desk_link().map(|link| link.status())
    }

    /// The directory of the settings file, where tokens are kept beside it.
    fn settings_dir(&self) -> std::path::PathBuf {
        settings_dir(&self.inner.paths)
    }

    fn token_file(&self) -> std::path::PathBuf {
        desk_token_file(&self.inner.paths)
    }

    fn desk_token(&self) -> Option<String> {
        std::fs::read_to_string(self.token_file())
            .ok()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// Starts following the hub in `settings` with `token`; publishes its status changes.
    fn follow_hub(&self, settings: &Settings, token: &str) -> Result<()> {
        let url = settings.desk.hub_url.as_deref().unwrap_or_default();
        let client = HubClient::new(url, token, settings.desk.ca_file.as_deref())
            .map_err(|e| Error::Hub(e.to_string()))?;
        let cursor = CursorFile::new(self.inner.paths.data_dir.join("desk-cursor.json"));
        let monitor = self.inner.monitor.clone();
        let link = DeskLink::start(client, cursor, move |update| monitor.publish(update));
        let mut status = link.watch_status();
        let monitor = self.inner.monitor.clone();
        tokio::spawn(async move {
            while status.changed().await.is_ok() {
                let now = status.borrow_and_update().clone();
                monitor.publish(Update::Desk(Box::new(now)));
            }
        });
        *self.inner.desk.write().unwrap_or_else(|p| p.into_inner()) = Some(link);
        Ok(())
    }

    /// Makes this Klingel a desk of the hub at `url`: checks the token with the hub first,
    /// then saves URL and CA file in the settings and the token in an owner-only file, stops
    /// the local listener and follows the hub. Nothing changes when the hub refuses.
    pub async fn connect_hub(
        &self,
        url: &str,
        token: &str,
        ca_file: Option<std::path::PathBuf>,
    ) -> Result<DeskStatus> {
        let (url, token) = (url.trim().trim_end_matches('/'), token.trim());
        let client = HubClient::new(url, token, ca_file.as_deref())
            .map_err(|e| Error::Hub(e.to_string()))?;
        client
            .hello()
            .await
            .map_err(|e| Error::Hub(e.to_string()))?;
        let mut new = self.settings();
        new.desk.hub_url = Some(url.to_string());
        new.desk.ca_file = ca_file;
        let (file, text) = (self.token_file(), token.to_string());
        tokio::task::spawn_blocking(move || {
            crate::private_files::write_atomically(&file, text.as_bytes())
                .map_err(|source| Error::Unwritable { path: file, source })
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
        self.unfollow_hub();
        self.inner.server.shutdown().await;
        self.put_in_force(&new).await?;
        self.follow_hub(&new, token)?;
        Ok(self.desk_status().unwrap_or_default())
    }

    /// Leaves the hub: forgets URL and token and listens locally again.
    pub async fn disconnect_hub(&self) -> Result<ListenerStatus> {
        let mut new = self.settings();
        new.desk = crate::config::DeskConfig::default();
        let file = self.token_file();
        // Gone or never there: either way no token is left behind.
        let _ = tokio::task::spawn_blocking(move || std::fs::remove_file(file)).await;
        self.unfollow_hub();
        self.put_in_force(&new).await?;
        self.start().await
    }

    /// Marks a missed call handled for the whole office (a desk asks its hub; first wins).
    pub fn handle_call(&self, key: CallKey, how: HandledHow, note: &str) -> Result<CallEntry> {
        let Some(link) = self.desk_link() else {
            let handled = Handled {
                how,
                note: note.to_string(),
                by_desk: None,
                by_name: self.words().text("calls.handledHere", &[]),
                at: now(),
            };
            return Ok(self.inner.monitor.handle_call(key, &handled)?);
        };
        let body = serde_json::json!({"how": how.as_str(), "note": note});
        let path = format!("/api/v1/calls/{key}/handle");
        let answer: serde_json::Value =
            self.remote(
                link.client()
                    .json(axum::http::Method::POST, &path, Some(&body), None),
            )?;
        let call: WireCall = serde_json::from_value(answer["call"].clone())
            .map_err(|e| Error::Hub(format!("unreadable answer: {e}")))?;
        let entry = call.into_entry();
        if let Some(previous) = link.with_log(|log| log.apply(entry.clone())) {
            self.inner
                .monitor
                .publish(Update::Call(Box::new(CallUpdate {
                    call: entry.clone(),
                    cause: UpdateCause::Handled,
                    previous,
                    popup: Some(false),
                })));
        }
        Ok(entry)
    }

    /// Runs a request to the hub from blocking code (the window's commands run on the
    /// blocking pool, inside the runtime).
    fn remote<T>(
        &self,
        request: impl std::future::Future<
            Output = std::result::Result<(T, Option<String>), ClientError>,
        >,
    ) -> Result<T> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Internal("no runtime for the hub request".into()))?;
        handle
            .block_on(request)
            .map(|(value, _)| value)
            .map_err(hub_error)
    }

    // ---- listener -------------------------------------------------------------------------

    /// Publishes the listener status whenever pushes start or stop failing to be stored, so
    /// the window can say "calls cannot be stored" until one is stored again.
    /// Holds the session weakly: the task must not keep a dropped session alive.
    async fn announce_store_failures(session: std::sync::Weak<Inner>) {
        let Some(inner) = session.upgrade() else {
            return;
        };
        let mut failures = inner.monitor.watch_store_failure();
        let mut stopped = inner.stop.subscribe();
        drop(inner);
        loop {
            tokio::select! {
                changed = failures.changed() => {
                    let (Ok(()), Some(inner)) = (changed, session.upgrade()) else {
                        return;
                    };
                    let this = Session { inner };
                    let status = this.listener_status();
                    match &status.store_error {
                        Some(reason) => tracing::error!("calls cannot be stored: {reason}"),
                        None => tracing::info!("calls are stored again"),
                    }
                    this.inner.monitor.publish(Update::Listener(status));
                }
                _ = stopped.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// The listener's state.
    pub fn listener_status(&self) -> ListenerStatus {
        self.inner.server.status()
    }

    /// The rail's summary.
    pub fn overview(&self) -> Result<Overview> {
        Ok(Overview {
            listener: self.listener_status(),
            unseen_missed: self.unseen_missed()?,
            desk: self.desk_status(),
            language: self.language(),
            region: self.region().to_string(),
            settings_error: self.inner.settings_error.clone(),
            welcome: self.welcome_pending(),
        })
    }

    /// What the tray shows: its state, a status line and the newest unseen missed calls. The
    /// shell keeps the do-not-disturb switch and says where local time is.
    pub fn tray_view(&self, do_not_disturb: bool, offset: UtcOffset) -> Result<TrayView> {
        // The newest missed calls, seen or not; the view lists the unseen among them.
        let missed = self.calls(&CallFilter {
            missed: true,
            limit: Some(4 * crate::tray::MENU_MISSED),
            ..CallFilter::default()
        })?;
        let listener = self.listener_status();
        let desk = self.desk_status();
        let facts = TrayFacts {
            listener: &listener,
            desk: desk.as_ref(),
            do_not_disturb,
            unseen_missed: self.unseen_missed()?,
            newest_missed: &missed,
        };
        Ok(TrayView::of(facts, self.words(), offset))
    }

    /// The newest requests the listener received.
    pub fn recent_requests(&self, limit: usize) -> Result<Vec<StoredRequest>> {
        Ok(self.inner.store.recent_requests(limit.min(1000))?)
    }

    /// Sends a realistic, signed test call through the listener, through the public URL when
    /// one is set (the path sipgate takes). Async: it waits for the whole call.
    pub async fn send_test_call(&self) -> Result<TestCallReport> {
        let status = self.listener_status();
        if status.state != ListenerState::Listening {
            return Err(Error::ListenerDown(
                status
                    .error
                    .unwrap_or_else(|| "the listener is not running".into()),
            ));
        }
        let address: std::net::SocketAddr = status
            .address
            .parse()
            .map_err(|e| Error::ListenerDown(format!("{}: {e}", status.address)))?;
        let settings = self.settings();
        let call = TestCall {
            url: settings
                .listener
                .public_url
                .clone()
                .unwrap_or_else(|| crate::http::local_url(address, &settings.listener)),
            from: self.parse_number(TEST_CALLER)?,
            to: self.parse_number(TEST_LINE)?,
            user: self.words().text("setup.testCallUser", &[]),
            ring: TEST_RING,
            talk: TEST_TALK,
            missed: false,
            ca_file: None,
        };
        let credentials = settings
            .listener
            .credentials()
            .map(|(u, p)| (u.to_string(), p.to_string()));
        let session = self.clone();
        tokio::task::spawn_blocking(move || {
            let signer = session.signer()?;
            Ok(selftest::run(&call, &signer, credentials, |_| {}))
        })
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
    }

    // ---- numbers ---------------------------------------------------------------------------

    fn parse_number(&self, input: &str) -> Result<PhoneNumber> {
        PhoneNumber::parse(input, self.region()).map_err(|reason| Error::Number {
            input: input.to_string(),
            reason,
        })
    }

    /// How a typed number reads, for a form's inline check.
    pub fn check_number(&self, input: &str) -> NumberCheck {
        let numbers = self.numbers();
        match PhoneNumber::parse(input, numbers.region) {
            Ok(parsed) => NumberCheck::Ok {
                ok: true,
                e164: parsed.e164().to_string(),
                display: numbers.show(&parsed),
            },
            Err(e) => NumberCheck::Err {
                ok: false,
                code: e.code(),
                message: e.to_string(),
            },
        }
    }

    // ---- contacts --------------------------------------------------------------------------

    /// Contacts by name, optionally only those whose name, company or number contains
    /// `search`; at most `limit` (all when None).
    pub fn contacts(&self, search: Option<&str>, limit: Option<usize>) -> Result<Vec<Contact>> {
        Ok(self
            .inner
            .store
            .contacts_first(search, self.region(), limit.unwrap_or(usize::MAX))?)
    }

    /// `limit` contacts by name from position `offset` of those `search` finds, with the total.
    pub fn contacts_page(
        &self,
        search: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<ContactsPage> {
        let (contacts, total) = match self.desk_link() {
            Some(link) => self.remote_contacts(&link, search, offset, limit)?,
            None => self
                .inner
                .store
                .contacts_page(search, self.region(), offset, limit)?,
        };
        let more = i64::try_from(offset + contacts.len()).unwrap_or(i64::MAX) < total;
        Ok(ContactsPage {
            contacts,
            total,
            more,
        })
    }

    /// One contact.
    pub fn contact(&self, id: ContactId) -> Result<Contact> {
        if let Some(link) = self.desk_link() {
            return Ok(self.remote_contact(&link, id)?.contact);
        }
        Ok(self.inner.store.contact(id)?)
    }

    /// Adds a contact (every number must read) and publishes `ContactsChanged`.
    pub fn add_contact(&self, input: &ContactInput) -> Result<Contact> {
        if let Some(link) = self.desk_link() {
            return self
                .remote_contact_write(&link, axum::http::Method::POST, None, Some(input))?
                .ok_or_else(|| Error::Hub("the hub sent no contact".into()));
        }
        let contact = self.inner.store.add_contact(input, self.region())?;
        self.contacts_changed();
        Ok(contact)
    }

    /// Replaces a contact's fields and numbers and publishes `ContactsChanged`.
    pub fn update_contact(&self, id: ContactId, input: &ContactInput) -> Result<Contact> {
        if let Some(link) = self.desk_link() {
            return self
                .remote_contact_write(&link, axum::http::Method::PUT, Some(id), Some(input))?
                .ok_or_else(|| Error::Hub("the hub sent no contact".into()));
        }
        let contact = self.inner.store.update_contact(id, input, self.region())?;
        self.contacts_changed();
        Ok(contact)
    }

    /// Adds (`id` None) or updates a contact.
    pub fn save_contact(&self, id: Option<ContactId>, input: &ContactInput) -> Result<Contact> {
        match id {
            Some(id) => self.update_contact(id, input),
            None => self.add_contact(input),
        }
    }

    /// Deletes a contact (its calls stay, unnamed) and publishes `ContactsChanged`.
    pub fn remove_contact(&self, id: ContactId) -> Result<()> {
        if let Some(link) = self.desk_link() {
            self.remote_contact_write(&link, axum::http::Method::DELETE, Some(id), None)?;
            return Ok(());
        }
        self.inner.store.remove_contact(id)?;
        self.contacts_changed();
        Ok(())
    }

    /// Blocks whoever has this number: its contact, or (nobody has it) the number on the
    /// blocklist; publishes `ContactsChanged`.
    pub fn block_number(&self, number: &str) -> Result<Blocking> {
        let parsed = self.parse_number(number)?;
        let blocking = self.inner.store.block_number(&parsed, number)?;
        self.contacts_changed();
        Ok(blocking)
    }

    /// Lets a number through again (off the list; its contact unblocked); returns whether it
    /// was blocked. Publishes `ContactsChanged` when something changed.
    pub fn unblock_number(&self, number: &str) -> Result<bool> {
        let parsed = self.parse_number(number)?;
        let changed = self.inner.store.unblock_number(&parsed)?;
        if changed {
            self.contacts_changed();
        }
        Ok(changed)
    }

    /// Every blocked number, from the blocklist and from blocked contacts.
    pub fn blocked_numbers(&self) -> Result<Vec<BlockedNumber>> {
        Ok(self.inner.store.blocked_numbers(&self.numbers())?)
    }

    /// Numbers more than one contact has, from books written before a number could have only
    /// one owner; the window lists them so they can be resolved.
    pub fn shared_numbers(&self) -> Result<Vec<SharedNumber>> {
        Ok(self.inner.store.shared_numbers(&self.numbers())?)
    }

    /// Which contact a number belongs to, and how it matched.
    pub fn lookup(&self, number: &str) -> Result<(PhoneNumber, Option<ContactMatch>)> {
        let number = self.parse_number(number)?;
        let hit = self.inner.store.lookup(&number)?;
        Ok((number, hit))
    }

    /// A page of the hub's contacts, noting their versions for later edits.
    fn remote_contacts(
        &self,
        link: &DeskLink,
        search: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Contact>, i64)> {
        let q: String = percent_encoding::utf8_percent_encode(
            search.unwrap_or_default(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        let path = format!("/api/v1/contacts?q={q}&offset={offset}&limit={limit}");
        let page: serde_json::Value =
            self.remote(
                link.client()
                    .json(axum::http::Method::GET, &path, None, None),
            )?;
        let contacts: Vec<WireContact> = serde_json::from_value(page["contacts"].clone())
            .map_err(|e| Error::Hub(format!("unreadable contacts: {e}")))?;
        let total = page["total"]
            .as_i64()
            .unwrap_or(i64::try_from(contacts.len()).unwrap_or(0));
        Ok((
            contacts
                .into_iter()
                .map(|c| {
                    link.remember_contact(c.contact.id.0, c.v);
                    c.contact
                })
                .collect(),
            total,
        ))
    }

    /// Creates, edits or deletes a contact on the hub; edits and deletes are based on the
    /// version this desk last read, so a change made meanwhile elsewhere is refused, not lost.
    fn remote_contact_write(
        &self,
        link: &DeskLink,
        method: axum::http::Method,
        id: Option<ContactId>,
        input: Option<&ContactInput>,
    ) -> Result<Option<Contact>> {
        let path = match id {
            Some(id) => format!("/api/v1/contacts/{id}"),
            None => "/api/v1/contacts".to_string(),
        };
        let if_match = match id {
            Some(id) => {
                let v = match link.contact_version(id.0) {
                    Some(v) => v,
                    None => self.remote_contact(link, id)?.v,
                };
                Some(crate::hub::wire::etag(v))
            }
            None => None,
        };
        let body = input
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::Internal(e.to_string()))?;
        let deleting = method == axum::http::Method::DELETE;
        let answer: serde_json::Value =
            self.remote(
                link.client()
                    .json(method, &path, body.as_ref(), if_match.as_deref()),
            )?;
        self.contacts_changed();
        if deleting {
            // A delete answers with no body.
            return Ok(None);
        }
        let contact: WireContact = serde_json::from_value(answer)
            .map_err(|e| Error::Hub(format!("unreadable contact: {e}")))?;
        link.remember_contact(contact.contact.id.0, contact.v);
        Ok(Some(contact.contact))
    }

    fn remote_contact(&self, link: &DeskLink, id: ContactId) -> Result<WireContact> {
        let contact: WireContact = self.remote(link.client().json(
            axum::http::Method::GET,
            &format!("/api/v1/contacts/{id}"),
            None,
            None,
        ))?;
        link.remember_contact(id.0, contact.v);
        Ok(contact)
    }

    fn contacts_changed(&self) {
        self.inner.monitor.publish(Update::ContactsChanged);
    }

    /// Reads a vCard or CSV file of contacts (nothing is written).
    pub fn read_contacts_file(
        &self,
        path: &Path,
        format: Option<Format>,
        overrides: &[(String, csv::Field)],
    ) -> Result<ReadFile> {
        let bytes = std::fs::read(path).map_err(|e| Error::unreadable(path, e))?;
        interchange::read_file(&bytes, format, overrides).map_err(|e| Error::unreadable(path, e))
    }

    /// Imports records: merged by number, all or nothing; a dry run writes nothing. Publishes
    /// `ContactsChanged` when something was written.
    pub fn import_contacts(
        &self,
        records: &[ContactRecord],
        dry_run: bool,
        progress: impl FnMut(usize, usize),
    ) -> Result<ImportReport> {
        let report = self
            .inner
            .store
            .import(records, self.region(), dry_run, progress)?;
        if !dry_run && report.created + report.updated > 0 {
            self.contacts_changed();
        }
        Ok(report)
    }

    /// Imports a contacts file as it is read, in one transaction: a vCard file of any size is
    /// never held whole. A file that turns out unreadable part way writes nothing. Publishes
    /// `ContactsChanged` when something was written; `progress(done)` counts records.
    pub fn import_contacts_file(
        &self,
        path: &Path,
        format: Option<Format>,
        overrides: &[(String, csv::Field)],
        dry_run: bool,
        progress: impl FnMut(usize),
    ) -> Result<(interchange::FileInfo, ImportReport)> {
        let (info, records) = interchange::open_file(path, format, overrides)
            .map_err(|e| Error::unreadable(path, e))?;
        let report = self
            .inner
            .store
            .import_from(records, self.region(), dry_run, progress)?
            .map_err(|e| Error::unreadable(path, e))?;
        if !dry_run && report.created + report.updated > 0 {
            self.contacts_changed();
        }
        Ok((info, report))
    }

    /// Writes every contact to `path` as vCard 4.0 or CSV.
    pub fn export_contacts(&self, path: &Path, format: Format) -> Result<Exported> {
        let contacts = self.contacts(None, None)?;
        let text = match format {
            Format::Vcard => vcard::write(&contacts),
            Format::Csv => csv::write_contacts(&contacts),
        };
        write_export(path, &text, contacts.len())
    }

    // ---- calls -----------------------------------------------------------------------------

    /// The log, newest first.
    pub fn calls(&self, filter: &CallFilter) -> Result<Vec<CallEntry>> {
        Ok(self.inner.store.calls(filter, &self.numbers())?)
    }

    /// One page of the log: at most `filter.limit` calls older than `filter.before`, the
    /// filter's total (without a search), whether older calls follow, and where a search
    /// stopped that did not read to the log's end.
    pub fn calls_page(&self, filter: &CallFilter) -> Result<CallsPage> {
        if let Some(link) = self.desk_link() {
            return Ok(link.with_log(|log| log.page(filter, self.region())));
        }
        let limit = filter.limit.unwrap_or(100);
        let mut one_more = filter.clone();
        one_more.limit = Some(limit.saturating_add(1));
        let found = self.inner.store.find_calls(&one_more, &self.numbers())?;
        let mut calls = found.calls;
        let more = calls.len() > limit;
        calls.truncate(limit);
        let searching = filter
            .search
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        let total = if searching {
            None
        } else {
            Some(self.inner.store.count_calls(filter)?)
        };
        Ok(CallsPage {
            calls,
            total,
            more,
            searched_to: found.stopped_at,
            searched: found.searched,
        })
    }

    /// Deletes every test call from the log and publishes `CallsRemoved`; returns how many.
    pub fn remove_test_calls(&self) -> Result<usize> {
        let keys = self.inner.store.remove_test_calls()?;
        let count = keys.len();
        if count > 0 {
            self.inner.monitor.publish(Update::CallsRemoved(keys));
        }
        Ok(count)
    }

    /// One call.
    pub fn call(&self, key: CallKey) -> Result<CallEntry> {
        if let Some(link) = self.desk_link() {
            return link
                .with_log(|log| log.get(key))
                .ok_or(Error::Store(StoreError::CallNotFound(key.0)));
        }
        Ok(self.inner.store.call(key, &self.numbers())?)
    }

    /// Missed calls nobody marked seen.
    pub fn unseen_missed(&self) -> Result<i64> {
        if let Some(link) = self.desk_link() {
            return Ok(link.with_log(|log| log.unseen_missed()));
        }
        Ok(self.inner.store.unseen_missed()?)
    }

    /// Marks missed calls seen (all when `keys` is empty); publishes each changed call. At a
    /// desk the mark is the desk's own; the office's shared mark is [`Session::handle_call`].
    pub fn mark_seen(&self, keys: &[CallKey]) -> Result<usize> {
        if let Some(link) = self.desk_link() {
            let changed = link.with_log(|log| log.mark_seen(keys, now()));
            for call in &changed {
                self.inner
                    .monitor
                    .publish(Update::Call(Box::new(CallUpdate {
                        call: call.clone(),
                        cause: UpdateCause::Seen,
                        previous: Some(crate::calls::CallState::Missed),
                        popup: Some(false),
                    })));
            }
            return Ok(changed.len());
        }
        Ok(self.inner.monitor.mark_seen(keys, now())?)
    }

    /// Writes the whole call log to `path` as CSV, times in `offset`, words of the language in
    /// use.
    pub fn export_calls(&self, path: &Path, offset: UtcOffset) -> Result<Exported> {
        let calls = self.calls(&CallFilter {
            limit: Some(usize::MAX >> 1),
            ..CallFilter::default()
        })?;
        let text = call_log::write_calls(&calls, offset, self.words());
        write_export(path, &text, calls.len())
    }
}

fn write_export(path: &Path, text: &str, count: usize) -> Result<Exported> {
    interchange::write_file(path, text).map_err(|source| Error::Unwritable {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Exported {
        path: path.display().to_string(),
        count,
    })
}

/// A hub's refusal as a session error: a stale version, a call someone handled first and a
/// refused number keep their codes, so the window words them as it does locally.
fn hub_error(e: ClientError) -> Error {
    match e {
        ClientError::Status {
            status: 412, body, ..
        } => Error::Store(StoreError::Stale {
            current: body["current"]["v"].as_i64().unwrap_or(0),
        }),
        ClientError::Status {
            status: 409, body, ..
        } => match serde_json::from_value(body["handled"].clone()) {
            Ok(handled) => Error::Store(StoreError::AlreadyHandled(Box::new(handled))),
            Err(_) => Error::Hub(body["message"].as_str().unwrap_or("conflict").into()),
        },
        ClientError::Status {
            status: 404, body, ..
        } => Error::Hub(
            body["message"]
                .as_str()
                .unwrap_or("not found on the hub")
                .into(),
        ),
        other => Error::Hub(other.to_string()),
    }
}
