//! The listener's lifecycle for a long-running app: bind, report status, rebind when the
//! address changes, without restarting anything else.

use std::net::SocketAddr;

use serde::Serialize;
use tokio::sync::{oneshot, watch, Mutex};
use tokio::task::JoinHandle;

use crate::config::ListenerConfig;
use crate::http::{self, HttpState, ListenerSettings};
use crate::sipgate::KeyError;

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
}

struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Owns the bound listener and its status.
pub struct Server {
    http: HttpState,
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
        };
        Self {
            http,
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

    /// The current status.
    pub fn status(&self) -> ListenerStatus {
        self.status.borrow().clone()
    }

    /// Hears every status change.
    pub fn watch(&self) -> watch::Receiver<ListenerStatus> {
        self.status.subscribe()
    }

    /// Applies `[listener]` settings: new checks at once, and a (re)bind when the address
    /// changed or the listener is not running. A bind failure is reported in the status.
    pub async fn apply(
        &self,
        config: &ListenerConfig,
        local_key: Option<rsa::RsaPublicKey>,
    ) -> Result<ListenerStatus, KeyError> {
        let settings = ListenerSettings::new(config, local_key)?;
        let sipgate_url = settings
            .public_url
            .as_deref()
            .map(|url| settings.authenticated(url));
        self.http.reconfigure(settings);
        let mut running = self.running.lock().await;
        let same_address = running
            .as_ref()
            .is_some_and(|r| r.address == config.address);
        if !same_address {
            if let Some(old) = running.take() {
                stop(old).await;
            }
            match tokio::net::TcpListener::bind(config.address).await {
                Ok(listener) => {
                    let address = listener.local_addr().unwrap_or(config.address);
                    let (stop_tx, stop_rx) = oneshot::channel();
                    let router = http::router(self.http.clone());
                    let task = tokio::spawn(http::serve(listener, router, async move {
                        let _ = stop_rx.await;
                    }));
                    tracing::info!("listening on http://{address}/");
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
                    };
                    self.status.send_replace(status.clone());
                    return Ok(status);
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
        };
        self.status.send_replace(status.clone());
        Ok(status)
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
