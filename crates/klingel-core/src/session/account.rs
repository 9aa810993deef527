//! The session's side of the sipgate account: connect, status, refresh, disconnect, and the
//! webhook URLs. Blocking (each is one or a few HTTPS requests): async callers use
//! `spawn_blocking`. None of it is on the push path.

use std::path::PathBuf;

use super::Session;
use crate::account::directory::{Cached, DirectoryFile};
use crate::account::{
    webhooks, AccountError, AccountStatus, Api, Directory, Token, TokenFile, WebhookState,
};
use crate::error::Error;

type Result<T, E = Error> = std::result::Result<T, E>;

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
        let file = self.account_token_file();
        file.save(&token)
            .map_err(|source| save_failed(file.path(), source))?;
        self.save_directory(directory, None)?;
        tracing::info!(token_id = %token.token_id, "sipgate account connected");
        Ok(self.account_status())
    }

    /// The account connection as last known: no request goes out.
    pub fn account_status(&self) -> AccountStatus {
        let token = self.account_token_file().load();
        AccountStatus::of(
            token.map(|t| t.token_id),
            self.account_cache().load().as_ref(),
        )
    }

    /// Reads the account again. When sipgate cannot be asked, the cached directory stays (names
    /// keep working offline) and the failure becomes the status's problem line.
    pub fn refresh_account(&self) -> Result<AccountStatus> {
        let api = self.account_api()?;
        match Directory::read(&api, self.own_webhook_url().as_deref()) {
            Ok(directory) => self.save_directory(directory, None)?,
            Err(e) => {
                if let Some(mut cached) = self.account_cache().load() {
                    cached.problem = Some(e.to_string());
                    let cache = self.account_cache();
                    cache
                        .save(&cached)
                        .map_err(|source| save_failed(cache.path(), source))?;
                }
                return Err(AccountError::Api(e).into());
            }
        }
        Ok(self.account_status())
    }

    /// Forgets the token and the cached account. sipgate's webhook URLs stay as they are
    /// (`clear_webhooks` first to empty them).
    pub fn disconnect_account(&self) -> Result<()> {
        let file = self.account_token_file();
        file.remove()
            .map_err(|source| save_failed(file.path(), source))?;
        let cache = self.account_cache();
        cache
            .remove()
            .map_err(|source| save_failed(cache.path(), source))?;
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

    /// A client for the saved token.
    fn account_api(&self) -> Result<Api> {
        let token = self
            .account_token_file()
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

    /// The token's file, beside the settings (like the desk token).
    fn account_token_file(&self) -> TokenFile {
        TokenFile::in_dir(&self.settings_dir())
    }

    fn account_cache(&self) -> DirectoryFile {
        DirectoryFile::in_dir(&self.inner.paths.data_dir)
    }

    fn save_directory(&self, directory: Directory, problem: Option<String>) -> Result<()> {
        let cache = self.account_cache();
        cache
            .save(&Cached { directory, problem })
            .map_err(|source| save_failed(cache.path(), source).into())
    }

    /// Keeps the webhook URLs just written in the cache, so status shows them at once.
    fn note_webhooks(&self, state: &WebhookState) {
        let cache = self.account_cache();
        if let Some(mut cached) = cache.load() {
            cached.directory.webhooks = Some(state.clone());
            if let Some(setup) = cached
                .directory
                .capabilities
                .iter_mut()
                .find(|c| c.key == "webhookSetup")
            {
                setup.state = crate::account::CapabilityState::Ok;
            }
            if let Err(e) = cache.save(&cached) {
                tracing::warn!("cannot update {}: {e}", cache.path().display());
            }
        }
    }
}

fn save_failed(path: &std::path::Path, source: std::io::Error) -> AccountError {
    AccountError::Save {
        path: PathBuf::from(path),
        source,
    }
}
