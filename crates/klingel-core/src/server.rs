//! The listener's lifecycle for a long-running app: bind, report status, rebind when the
//! address changes, without restarting anything else.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Mutex};
use tokio::task::JoinHandle;

use crate::config::ListenerConfig;
use crate::http::{self, HttpState, ListenerSettings};
use crate::sipgate::KeyError;
use crate::tls::{AcmeTls, ListenerTls, TlsError, TlsFiles};

/// Whether the listener runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ListenerState {
    /// Not bound yet.
    Starting,
    /// Accepting pushes.
    Listening,
    /// Binding failed; `error` says why.
    Failed,
}

/// Why the listener could not bind, as a kind the window words itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BindFailure {
    /// Another program holds the port.
    PortInUse,
    /// The port needs privileges (below 1024).
    Permission,
    /// This machine has no such address.
    NoAddress,
    /// Anything else; `error` has the system's words.
    Other,
}

impl From<std::io::ErrorKind> for BindFailure {
    fn from(kind: std::io::ErrorKind) -> Self {
        match kind {
            std::io::ErrorKind::AddrInUse => Self::PortInUse,
            std::io::ErrorKind::PermissionDenied => Self::Permission,
            std::io::ErrorKind::AddrNotAvailable => Self::NoAddress,
            _ => Self::Other,
        }
    }
}

/// A setting that leaves the listener open to forged calls, as a kind the faces word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ListenerWarning {
    /// Reachable beyond this machine and no Basic auth: anyone who finds it can post.
    OpenWithoutLogin,
    /// Signatures are not checked: pushes are not proven to come from sipgate.
    SignatureOff,
}

impl ListenerWarning {
    /// What `config` leaves open.
    pub fn of(config: &ListenerConfig) -> Vec<Self> {
        let mut warnings = Vec::new();
        if !config.address.ip().is_loopback() && config.credentials().is_none() {
            warnings.push(Self::OpenWithoutLogin);
        }
        if !config.verify_signature {
            warnings.push(Self::SignatureOff);
        }
        warnings
    }

    /// One line for a log or a terminal.
    pub fn as_text(self) -> &'static str {
        match self {
            Self::OpenWithoutLogin => {
                "the listener is reachable beyond this computer without Basic auth: anyone who finds it can post calls"
            }
            Self::SignatureOff => {
                "the signature check is off: pushes are not proven to come from sipgate"
            }
        }
    }
}

/// What the window shows about the listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerStatus {
    /// Running or not.
    pub state: ListenerState,
    /// The address it is (or should be) bound to.
    pub address: String,
    /// Why binding failed, in the system's words, e.g. "Address already in use (os error 98)".
    pub error: Option<String>,
    /// Why binding failed, as a kind to branch on.
    pub failure: Option<BindFailure>,
    /// The exact URL to paste into sipgate's console, when a public URL is configured.
    pub sipgate_url: Option<String>,
    /// Settings that leave the listener open to forged calls.
    pub warnings: Vec<ListenerWarning>,
    /// Why pushes cannot be stored right now (sipgate gets a 500 meanwhile); `None` once one
    /// is stored again.
    pub store_error: Option<String>,
}

struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Owns the bound listener and its status.
pub struct Server {
    http: HttpState,
    /// Where ACME caches its account and certificates.
    acme_cache: std::sync::OnceLock<PathBuf>,
    status: watch::Sender<ListenerStatus>,
    running: Mutex<Option<Running>>,
}

impl Server {
    /// A server for `http`, not yet bound.
    pub fn new(http: HttpState) -> Self {
        let status = ListenerStatus {
            state: ListenerState::Starting,
            address: String::new(),
            error: None,
            failure: None,
            sipgate_url: None,
            warnings: Vec::new(),
            store_error: None,
        };
        Self {
            http,
            acme_cache: std::sync::OnceLock::new(),
            status: watch::channel(status).0,
            running: Mutex::new(None),
        }
    }

    /// A server for `monitor` with `config`'s checks, bound at once; a bind failure is not an
    /// error here but shows in the returned status.
    pub async fn start(
        monitor: crate::monitor::Monitor,
        config: &ListenerConfig,
        local_key: Option<rsa::RsaPublicKey>,
    ) -> Result<(Self, ListenerStatus), KeyError> {
        let settings = ListenerSettings::new(config, local_key.clone())?;
        let server = Self::new(HttpState::new(monitor, settings));
        let status = server.apply(config, local_key).await?;
        Ok((server, status))
    }

    /// A server for `monitor` with `config`'s checks, not yet bound.
    pub fn for_monitor(
        monitor: crate::monitor::Monitor,
        config: &ListenerConfig,
    ) -> Result<Self, KeyError> {
        let settings = ListenerSettings::new(config, None)?;
        Ok(Self::new(HttpState::new(monitor, settings)))
    }

    /// The routes' shared state.
    pub fn http(&self) -> &HttpState {
        &self.http
    }

    /// The current status, with whether pushes can be stored.
    pub fn status(&self) -> ListenerStatus {
        let mut status = self.status.borrow().clone();
        status.store_error = self.http.monitor().store_failure();
        status
    }

    /// Hears every status change.
    pub fn watch(&self) -> watch::Receiver<ListenerStatus> {
        self.status.subscribe()
    }

    /// Binds `config`'s address if serving there would need a new socket (the address changed
    /// or nothing runs); `None` when the running listener stays. For a change of settings that
    /// must not lose the running listener when the new address cannot be had.
    pub async fn bind_if_moving(
        &self,
        config: &ListenerConfig,
    ) -> std::io::Result<Option<TcpListener>> {
        let running = self.running.lock().await;
        if running
            .as_ref()
            .is_some_and(|r| r.address == config.address)
        {
            return Ok(None);
        }
        drop(running);
        TcpListener::bind(config.address).await.map(Some)
    }

    /// Applies `[listener]` settings: new checks at once, and a (re)bind when the address
    /// changed or the listener is not running. A bind failure is reported in the status.
    pub async fn apply(
        &self,
        config: &ListenerConfig,
        local_key: Option<rsa::RsaPublicKey>,
    ) -> Result<ListenerStatus, KeyError> {
        self.apply_bound(config, local_key, None).await
    }

    /// [`Server::apply`] with a socket already bound by [`Server::bind_if_moving`].
    pub async fn apply_bound(
        &self,
        config: &ListenerConfig,
        local_key: Option<rsa::RsaPublicKey>,
        bound: Option<TcpListener>,
    ) -> Result<ListenerStatus, KeyError> {
        let settings = ListenerSettings::new(config, local_key)?;
        let sipgate_url = settings
            .public_url
            .as_deref()
            .map(|url| settings.authenticated(url));
        self.http.reconfigure(settings);
        // Certificate files that do not load leave the listener down, saying why: serving
        // plain HTTP instead would expose what should be encrypted.
        let tls = self.tls_for(config);
        let tls = match tls {
            Ok(tls) => tls,
            Err(e) => {
                tracing::warn!("cannot serve HTTPS: {e}");
                if let Some(old) = self.running.lock().await.take() {
                    stop(old).await;
                }
                let status = ListenerStatus {
                    state: ListenerState::Failed,
                    address: config.address.to_string(),
                    error: Some(format!("HTTPS: {e}")),
                    failure: None,
                    sipgate_url,
                    warnings: ListenerWarning::of(config),
                    store_error: None,
                };
                self.status.send_replace(status);
                return Ok(self.status());
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        self.http.set_tls(tls);
        let mut running = self.running.lock().await;
        let same_address = running
            .as_ref()
            .is_some_and(|r| r.address == config.address);
        if !same_address {
            if let Some(old) = running.take() {
                stop(old).await;
            }
            let listener = match bound {
                Some(listener) => Ok(listener),
                None => TcpListener::bind(config.address).await,
            };
            match listener {
                Ok(listener) => {
                    let address = listener.local_addr().unwrap_or(config.address);
                    let (stop_tx, stop_rx) = oneshot::channel();
                    let task = tokio::spawn(http::serve(listener, self.http.clone(), async move {
                        let _ = stop_rx.await;
                    }));
                    tracing::info!("listening on {scheme}://{address}/");
                    *running = Some(Running {
                        address,
                        stop: stop_tx,
                        task,
                    });
                }
                Err(e) => {
                    tracing::warn!("cannot listen on {}: {e}", config.address);
                    let status = ListenerStatus {
                        state: ListenerState::Failed,
                        address: config.address.to_string(),
                        error: Some(e.to_string()),
                        failure: Some(e.kind().into()),
                        sipgate_url,
                        warnings: ListenerWarning::of(config),
                        store_error: None,
                    };
                    self.status.send_replace(status);
                    return Ok(self.status());
                }
            }
        }
        let address = running.as_ref().map_or(config.address, |r| r.address);
        let status = ListenerStatus {
            state: ListenerState::Listening,
            address: address.to_string(),
            error: None,
            failure: None,
            sipgate_url,
            warnings: ListenerWarning::of(config),
            store_error: None,
        };
        self.status.send_replace(status);
        Ok(self.status())
    }

    /// Where ACME keeps its account and certificates (in the data dir); set once, when the
    /// session opens.
    pub fn set_acme_cache(&self, dir: PathBuf) {
        let _ = self.acme_cache.set(dir);
    }

    /// HTTPS as `config` asks for it: files loaded now, or ACME (kept running when its
    /// settings did not change, so a re-apply places no new order).
    fn tls_for(&self, config: &ListenerConfig) -> Result<Option<Arc<ListenerTls>>, TlsError> {
        if let Some((cert, key)) = config.tls_files() {
            return Ok(Some(Arc::new(ListenerTls::Files(TlsFiles::load(
                cert, key,
            )?))));
        }
        let Some(acme) = &config.acme else {
            return Ok(None);
        };
        if let Some(current) = self.http.tls().filter(|tls| tls.is_acme(acme)) {
            return Ok(Some(current));
        }
        let cache = self
            .acme_cache
            .get()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("acme"));
        Ok(Some(Arc::new(ListenerTls::Acme(AcmeTls::start(
            acme, &cache,
        )?))))
    }

    /// Stops listening (on quit).
    pub async fn shutdown(&self) {
        if let Some(old) = self.running.lock().await.take() {
            stop(old).await;
        }
    }
}

async fn stop(running: Running) {
    let _ = running.stop.send(());
    match running.task.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("listener on {} ended with: {e}", running.address),
        Err(e) => tracing::warn!("listener on {} failed: {e}", running.address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_what_leaves_the_listener_open() {
        let mut config = ListenerConfig::default();
        assert!(
            ListenerWarning::of(&config).is_empty(),
            "loopback with signatures checked is the safe default"
        );
        config.address = "0.0.0.0:8080".parse().expect("address");
        assert_eq!(
            ListenerWarning::of(&config),
            [ListenerWarning::OpenWithoutLogin]
        );
        config.username = Some("sipgate".into());
        config.password = Some("secret".into());
        assert!(ListenerWarning::of(&config).is_empty(), "a login closes it");
        config.verify_signature = false;
        assert_eq!(
            ListenerWarning::of(&config),
            [ListenerWarning::SignatureOff]
        );
        let json = serde_json::to_value(ListenerWarning::of(&config)).expect("json");
        assert_eq!(
            json,
            serde_json::json!(["signatureOff"]),
            "the window's key"
        );
    }
}
