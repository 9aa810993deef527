//! The session's side of the sipgate account: connect, status, refresh, disconnect, the
//! webhook URLs, rejecting a ringing call and click-to-call. Blocking (each is one or a few HTTPS requests): async callers use
//! `spawn_blocking`. None of it is on the push path.

use std::path::PathBuf;

use serde::Serialize;

use super::Session;
use crate::account::directory::{Cached, DirectoryFile};
use crate::account::history::HistoryEntry;
use crate::account::{
    webhooks, AccountError, AccountStatus, Api, ApiError, Directory, Token, TokenVault,
    WebhookState,
};
use crate::calls::HistoryFact;
use crate::domain::CallKey;
use crate::error::Error;
use crate::monitor::Repairs;
use crate::phone::PhoneNumber;
use crate::store::names::AccountNames;
use crate::time_fmt::now;

type Result<T, E = Error> = std::result::Result<T, E>;

/// How often the listener reads the account again (names of people and lines).
const DIRECTORY_REFRESH: std::time::Duration = std::time::Duration::from_secs(60 * 60);
/// How often the listener checks for calls overdue for a repair.
const REPAIR_TICK: std::time::Duration = std::time::Duration::from_secs(120);
/// How far before the last repair the next one looks again (entries appear late).
const REPAIR_OVERLAP: time::Duration = time::Duration::minutes(15);
/// How far back the first repair looks.
const FIRST_REPAIR_WINDOW: time::Duration = time::Duration::hours(24);
/// How far back any repair looks at most.
const LONGEST_REPAIR_WINDOW: time::Duration = time::Duration::days(7);

impl Session {
    /// Connects the sipgate account: checks the token with sipgate and reads what it may
    /// (users, devices, groups, numbers, webhook URLs, and which scopes it lacks). The token is
    /// saved (owner-only, never in the settings) only when sipgate accepts it; a refused token
    /// changes nothing.
    pub fn connect_account(&self, token_id: &str, token: &str) -> Result<AccountStatus> {
        let token = Token::new(token_id, token).map_err(AccountError::BadToken)?;
        let api = self.api_for(&token);
        let directory =
            Directory::read(&api, self.own_webhook_url().as_deref()).map_err(AccountError::Api)?;
        let vault = self.account_vault();
        let kept = vault
            .save(&token)
            .map_err(|source| save_failed(vault.file(), source))?;
        self.save_directory(directory, None)?;
        tracing::info!(token_id = %token.token_id, ?kept, "sipgate account connected");
        Ok(self.account_status())
    }

    /// The account connection as last known: no request goes out.
    pub fn account_status(&self) -> AccountStatus {
        let token = self.account_vault().load();
        let kept = token.as_ref().map(|(_, kept)| *kept);
        let mut status = AccountStatus::of(
            token.map(|(t, _)| t.token_id),
            self.account_cache().load().as_ref(),
        );
        status.token_kept = kept;
        status
    }

    /// Reads the account again. When sipgate cannot be asked, the cached directory stays (names
    /// keep working offline) and the failure becomes the status's problem line.
    pub fn refresh_account(&self) -> Result<AccountStatus> {
        let api = self.account_api()?;
        match Directory::read(&api, self.own_webhook_url().as_deref()) {
            Ok(directory) => self.save_directory(directory, None)?,
            Err(e) => {
                self.note_problem(&e);
                return Err(AccountError::Api(e).into());
            }
        }
        Ok(self.account_status())
    }

    /// Forgets the token and the cached account. sipgate's webhook URLs stay as they are
    /// (`clear_webhooks` first to empty them).
    pub fn disconnect_account(&self) -> Result<()> {
        let vault = self.account_vault();
        vault
            .remove()
            .map_err(|source| save_failed(vault.file(), source))?;
        let cache = self.account_cache();
        cache
            .remove()
            .map_err(|source| save_failed(cache.path(), source))?;
        self.inner
            .store
            .set_account_names(&AccountNames::default())?;
        tracing::info!("sipgate account disconnected");
        Ok(())
    }

    /// Points the account's webhook URLs at `url`, or at Klingel's public URL (with the
    /// listener's credentials in it) when `url` is None. Only `https://` URLs are given out.
    pub fn set_webhooks(&self, url: Option<&str>) -> Result<WebhookState> {
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => url.to_string(),
            None => self.own_webhook_url().ok_or_else(|| {
                AccountError::WebhookUrl(
                    "Klingel has no public URL to give sipgate: set [listener] public_url (or \
                     give the URL)"
                        .to_string(),
                )
            })?,
        };
        let api = self.account_api()?;
        let state = webhooks::set(&api, &url)?;
        self.note_webhooks(&state);
        Ok(state)
    }

    /// Empties the webhook URLs that point at Klingel (another integration's stay).
    pub fn clear_webhooks(&self) -> Result<WebhookState> {
        let api = self.account_api()?;
        let state = webhooks::clear(&api, self.own_webhook_url().as_deref())?;
        self.note_webhooks(&state);
        Ok(state)
    }

    /// Rejects a ringing call (or ends a live one) at sipgate: `DELETE /calls/{callId}` of its
    /// newest live leg. A call sipgate no longer knows (404: the caller hung up meanwhile) is
    /// gone already, which is what was wanted, not an error.
    pub fn reject_call(&self, key: CallKey) -> Result<Rejected> {
        let api = self.account_api()?;
        let legs = self.inner.store.live_leg_ids(key)?;
        let Some(call_id) = legs.first() else {
            return Ok(Rejected::AlreadyOver);
        };
        match api.hang_up(call_id) {
            Ok(()) => Ok(Rejected::Ended),
            Err(ApiError::NotFound { .. }) => Ok(Rejected::AlreadyOver),
            Err(e) => Err(AccountError::Api(e).into()),
        }
    }

    /// Places a call from this user's phone: `device` (else `[sipgate] device`, else the
    /// user's default device) rings first, then `number` is called.
    pub fn dial(&self, number: &str, device: Option<&str>) -> Result<Dialed> {
        let callee = PhoneNumber::parse(number, self.region()).map_err(|reason| Error::Number {
            input: number.to_string(),
            reason,
        })?;
        let api = self.account_api()?;
        let device = match device.map(str::trim).filter(|d| !d.is_empty()) {
            Some(device) => device.to_string(),
            None => self.default_device().ok_or(AccountError::NoDevice)?,
        };
        let session_id = api
            .dial(&device, callee.e164())
            .map_err(AccountError::Api)?;
        // For the listener to know sipgate's echo of it as one's own; should the echo have come
        // first, its call is marked now.
        self.inner
            .store
            .record_dialed(&session_id, callee.e164(), now())?;
        self.inner.monitor.mark_dialed(&session_id, now())?;
        tracing::info!(%device, "click-to-call placed");
        self.update_cache(|cached| allowed(cached, "dial"));
        Ok(Dialed {
            session_id,
            device,
            callee: callee.e164().to_string(),
        })
    }

    /// The device click-to-call rings: the setting, else the user's default, else the first.
    fn default_device(&self) -> Option<String> {
        if let Some(device) = self
            .settings()
            .sipgate
            .device
            .filter(|d| !d.trim().is_empty())
        {
            return Some(device);
        }
        let directory = self.account_cache().load()?.directory;
        let own = directory.users.iter().find(|u| u.id == directory.user.sub);
        own.map(|u| u.default_device.clone())
            .filter(|d| !d.is_empty())
            .or_else(|| directory.devices.first().map(|d| d.id.clone()))
    }

    /// Repairs calls from sipgate's call history (`klingeld account reconcile`; also runs on
    /// its own while the listener runs): calls still open after a short grace period get their
    /// real end, calls expiry closed blind are corrected, and calls no push brought (Klingel
    /// was down, or the webhook not yet set) are added, marked as coming from the history.
    pub fn reconcile_calls(&self) -> Result<Repairs> {
        let api = self.account_api()?;
        let at = now();
        let settled = at - self.repair_grace();
        let cache = self.account_cache();
        let last = cache.load().and_then(|c| c.last_repaired_at);
        let oldest_open = self.inner.store.oldest_open_call(settled)?;
        // From the last repair on (the first looks back a day), and back to the oldest open
        // call, however long ago that began.
        let after_last = last.map_or(at - FIRST_REPAIR_WINDOW, |l| l - REPAIR_OVERLAP);
        let since = oldest_open
            .map_or(after_last, |open| open.min(after_last))
            .max(at - LONGEST_REPAIR_WINDOW);
        let entries = api.history_since(since).map_err(|e| {
            self.note_problem(&e);
            AccountError::Api(e)
        })?;
        let facts: Vec<HistoryFact> = entries.iter().filter_map(HistoryEntry::fact).collect();
        let repairs = self
            .inner
            .monitor
            .repair_from_history(&facts, settled, Some(since), at)?;
        self.update_cache(|cached| cached.last_repaired_at = Some(at));
        Ok(repairs)
    }

    /// How long a call may stay open before the history is asked (`[calls] repair_after_secs`):
    /// long enough for a late `hangup` to arrive, well before expiry would close it blind.
    fn repair_grace(&self) -> time::Duration {
        let secs = self.settings().calls.repair_after_secs;
        time::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 1000))
    }

    /// Keeps what went wrong with sipgate as the status's problem line (the cached account
    /// stays as it was).
    fn note_problem(&self, e: &ApiError) {
        self.update_cache(|cached| cached.problem = Some(e.to_string()));
    }

    /// Repairs calls from the history when the listener starts, then every few minutes while
    /// a call is overdue, and reads the account again every hour; ends when the session
    /// stops. Nothing runs without an account.
    pub(super) async fn repair_now_and_then(
        inner: std::sync::Weak<super::Inner>,
        mut stopped: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut first = true;
        let mut last_refresh = std::time::Instant::now();
        loop {
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let session = Session { inner };
            // Names of people and lines change now and then: read the account every hour.
            if session.account_connected() && last_refresh.elapsed() >= DIRECTORY_REFRESH {
                last_refresh = std::time::Instant::now();
                let worker = session.clone();
                if let Ok(Err(e)) =
                    tokio::task::spawn_blocking(move || worker.refresh_account()).await
                {
                    tracing::warn!("cannot read the sipgate account: {e}");
                }
            }
            if session.account_connected() && (first || session.calls_overdue()) {
                let worker = session.clone();
                match tokio::task::spawn_blocking(move || worker.reconcile_calls()).await {
                    Ok(Ok(repairs)) if repairs.repaired + repairs.added > 0 => {
                        tracing::info!(?repairs, "calls repaired from sipgate's history");
                    }
                    Ok(Err(e)) => tracing::warn!("cannot repair calls from sipgate's history: {e}"),
                    _ => {}
                }
            }
            first = false;
            drop(session);
            tokio::select! {
                _ = stopped.wait_for(|stop| *stop) => return,
                () = tokio::time::sleep(REPAIR_TICK) => {}
            }
        }
    }

    /// Whether a call has been open longer than the grace period (then a repair is due).
    pub(super) fn calls_overdue(&self) -> bool {
        self.inner
            .store
            .oldest_open_call(now() - self.repair_grace())
            .ok()
            .flatten()
            .is_some()
    }

    /// Whether a sipgate account is connected, by its cached directory (written on connect,
    /// removed on disconnect): a file's presence, cheap enough for async code and every popup,
    /// where asking the keyring is not.
    pub fn account_connected(&self) -> bool {
        self.account_cache().path().exists()
    }

    /// A client for the saved token.
    fn account_api(&self) -> Result<Api> {
        let (token, _) = self
            .account_vault()
            .load()
            .ok_or(AccountError::NotConnected)?;
        Ok(self.api_for(&token))
    }

    fn api_for(&self, token: &Token) -> Api {
        Api::new(
            &self.settings().sipgate.api_url,
            &token.token_id,
            &token.token,
        )
    }

    /// The URL sipgate must call: the public URL, with the listener's credentials in it.
    fn own_webhook_url(&self) -> Option<String> {
        let settings = self.settings();
        let url = settings
            .listener
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())?;
        Some(match settings.listener.credentials() {
            Some((user, password)) => crate::http::with_credentials(url, user, password),
            None => url.to_string(),
        })
    }

    /// Where the token is kept: the keyring, else a file beside the settings (like the desk
    /// token).
    fn account_vault(&self) -> TokenVault {
        TokenVault::in_dir(&self.settings_dir())
    }

    fn account_cache(&self) -> DirectoryFile {
        DirectoryFile::in_dir(&self.inner.paths.data_dir)
    }

    fn save_directory(&self, directory: Directory, problem: Option<String>) -> Result<()> {
        // The log names people and lines from now on, in every process that shows it.
        let names = AccountNames::new(
            directory
                .users
                .iter()
                .map(|u| (u.id.clone(), u.full_name())),
            directory
                .numbers
                .iter()
                .map(|n| (n.number.as_str(), n.endpoint_alias.as_str())),
        );
        self.inner.store.set_account_names(&names)?;
        let cache = self.account_cache();
        let last_repaired_at = cache.load().and_then(|c| c.last_repaired_at);
        cache
            .save(&Cached {
                directory,
                problem,
                last_repaired_at,
            })
            .map_err(|source| save_failed(cache.path(), source).into())
    }

    /// Keeps the webhook URLs just written in the cache, so status shows them at once.
    fn note_webhooks(&self, state: &WebhookState) {
        self.update_cache(|cached| {
            cached.directory.webhooks = Some(state.clone());
            allowed(cached, "webhookSetup");
        });
    }

    /// Changes the cached account in place (a cache that cannot be written is only logged).
    fn update_cache(&self, change: impl FnOnce(&mut Cached)) {
        let cache = self.account_cache();
        if let Some(mut cached) = cache.load() {
            change(&mut cached);
            if let Err(e) = cache.save(&cached) {
                tracing::warn!("cannot update {}: {e}", cache.path().display());
            }
        }
    }
}

/// Notes that a use just showed the token may do `key`.
fn allowed(cached: &mut Cached, key: &str) {
    if let Some(capability) = cached
        .directory
        .capabilities
        .iter_mut()
        .find(|c| c.key == key)
    {
        capability.state = crate::account::CapabilityState::Ok;
        capability.detail = None;
    }
}

fn save_failed(path: &std::path::Path, source: std::io::Error) -> AccountError {
    AccountError::Save {
        path: PathBuf::from(path),
        source,
    }
}

/// What rejecting a call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Rejected {
    /// sipgate ended it.
    Ended,
    /// It was over before sipgate was asked (the caller hung up, or its legs had ended).
    AlreadyOver,
}

/// A click-to-call that sipgate started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dialed {
    /// sipgate's session id: the call id of the call's pushes.
    pub session_id: String,
    /// The device that rings first.
    pub device: String,
    /// The number called, E.164.
    pub callee: String,
}
