//! A desk's side of the hub protocol: HTTPS requests with the desk token, the event stream
//! with replay and reconnects, and the popup decision for every call update.
//!
//! [`follow`] is the whole desk loop: `hello`, the stream from the saved cursor (or a snapshot
//! when the hub says 410), popups decided by [`DeskPopups`], the cursor saved after each event,
//! and reconnects with backoff. `klingeld watch` prints what it reports.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{header, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::desk_popup::DeskPopups;
use super::sse::{SseItem, SseParser};
use super::wire::{CallGone, Hello, WireCall, PROTO};

/// How long connecting (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest JSON answer read.
const MAX_BODY: usize = 32 * 1024 * 1024;
/// Silence after which a stream counts as dead (three keep-alives missed).
pub const DEFAULT_IDLE: Duration = Duration::from_secs(45);
/// Reconnect backoff bounds.
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// Why talking to the hub failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The hub URL cannot be used.
    #[error("hub URL {url:?}: {reason}")]
    Url {
        /// The URL given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The CA file cannot be used.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The hub cannot be reached (connection, TLS, a broken stream).
    #[error("{0}")]
    Unreachable(String),
    /// The hub does not know the token.
    #[error("the hub does not accept this desk token (401): {0}")]
    Unauthorized(String),
    /// The desk was revoked.
    #[error("this desk was revoked on the hub (403): {0}")]
    Revoked(String),
    /// The cursor is outside the hub's history.
    #[error("cursor outside the hub's history (410): head {head_seq}, horizon {horizon_seq}")]
    CursorTooOld {
        /// The hub's newest event.
        head_seq: i64,
        /// Its oldest complete replay point.
        horizon_seq: i64,
    },
    /// Any other refusal.
    #[error("the hub answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The error code.
        code: String,
        /// Its message.
        message: String,
        /// The whole error body.
        body: Value,
    },
    /// The hub sent something this desk cannot read.
    #[error("unreadable answer from the hub: {0}")]
    Protocol(String),
    /// Nothing came for longer than a live stream is ever silent.
    #[error("no data from the hub for {0:?}")]
    Idle(Duration),
}

impl ClientError {
    /// Errors retrying cannot fix: the desk stops and says why.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Url { .. } | Self::CaFile { .. } | Self::Unauthorized(_) | Self::Revoked(_)
        )
    }
}

/// A connection recipe for one hub.
#[derive(Clone)]
pub struct HubClient {
    url: String,
    authority: String,
    host: String,
    port: u16,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    token: String,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("HubClient")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn client_tls(ca_file: Option<&Path>) -> Result<TlsConnector, ClientError> {
    let roots = crate::tls::roots_with(ca_file).map_err(|reason| ClientError::CaFile {
        path: ca_file.map(Path::to_path_buf).unwrap_or_default(),
        reason,
    })?;
    let mut config = rustls::ClientConfig::builder_with_provider(crate::tls::ring())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Unreachable(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Either side of a connection, plain or TLS.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static> Io for T {}

impl HubClient {
    /// A client for the hub at `url` (`https://host:port`), verifying it against the web PKI's
    /// roots plus `ca_file`. `http://` is accepted for loopback only (a hub behind a proxy on
    /// this machine).
    pub fn new(url: &str, token: &str, ca_file: Option<&Path>) -> Result<Self, ClientError> {
        let url_error = |reason: &str| ClientError::Url {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: Uri = url
            .trim_end_matches('/')
            .parse()
            .map_err(|_| url_error("not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(url_error("must start with https://")),
        };
        let host = uri
            .host()
            .ok_or_else(|| url_error("names no host"))?
            .trim_matches(['[', ']'])
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if !https {
            let loopback = host == "localhost"
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(url_error(
                    "plain http:// is only for a hub on this machine; use https://",
                ));
            }
        }
        let tls = if https {
            let name = ServerName::try_from(host.clone())
                .map_err(|_| url_error("host is not a valid TLS name"))?;
            Some((client_tls(ca_file)?, name))
        } else {
            None
        };
        Ok(Self {
            url: url.trim_end_matches('/').to_string(),
            authority: uri
                .authority()
                .map_or_else(|| host.clone(), |a| a.as_str().to_string()),
            host,
            port,
            tls,
            token: token.to_string(),
        })
    }

    /// The hub's URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn connect(&self) -> Result<Box<dyn Io>, ClientError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            ClientError::Unreachable(format!("cannot reach {}: {e}", self.url))
        };
        let tcp = tokio::time::timeout(
            CONNECT_TIMEOUT,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|e| unreachable(&e))?
        .map_err(|e| unreachable(&e))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((connector, name)) => {
                let tls =
                    tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name.clone(), tcp))
                        .await
                        .map_err(|e| unreachable(&e))?
                        .map_err(|e| unreachable(&e))?;
                Ok(Box::new(tls))
            }
        }
    }

    /// Sends one request on a fresh connection and returns the answer's head and body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(header::HeaderName, String)],
        body: Option<Vec<u8>>,
    ) -> Result<hyper::Response<Incoming>, ClientError> {
        let io = self.connect().await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| ClientError::Unreachable(format!("HTTP with {}: {e}", self.url)))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("hub connection ended: {e}");
            }
        });
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, &self.authority)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(
                header::USER_AGENT,
                concat!("klingel/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        sender
            .send_request(request)
            .await
            .map_err(|e| ClientError::Unreachable(format!("request to {}: {e}", self.url)))
    }

    /// A JSON request; refusals become [`ClientError`]s. Returns the value and the `ETag`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(T, Option<String>), ClientError> {
        let mut headers = vec![(header::ACCEPT, "application/json".to_string())];
        if let Some(tag) = if_match {
            headers.push((header::IF_MATCH, tag.to_string()));
        }
        let body = body.map(|b| b.to_string().into_bytes());
        let response = self.send(method, path, &headers, body).await?;
        let status = response.status();
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| ClientError::Unreachable(format!("reading the answer: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(refusal(status, &bytes));
        }
        let bytes = if bytes.is_empty() {
            Bytes::from_static(b"null")
        } else {
            bytes
        };
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| ClientError::Protocol(format!("{path}: {e}")))?;
        Ok((value, etag))
    }

    /// `GET /api/v1/hello`.
    pub async fn hello(&self) -> Result<Hello, ClientError> {
        Ok(self.json(Method::GET, "/api/v1/hello", None, None).await?.0)
    }

    /// The newest calls and the `seq` to stream from afterwards (`GET /api/v1/calls`).
    pub async fn snapshot(&self, limit: usize) -> Result<Snapshot, ClientError> {
        Ok(self
            .json(
                Method::GET,
                &format!("/api/v1/calls?limit={limit}"),
                None,
                None,
            )
            .await?
            .0)
    }

    /// Opens the event stream after `cursor` (from the head when `None`).
    pub async fn events(&self, cursor: Option<i64>) -> Result<EventStream, ClientError> {
        let mut headers = vec![(header::ACCEPT, "text/event-stream".to_string())];
        if let Some(cursor) = cursor {
            headers.push((
                header::HeaderName::from_static("last-event-id"),
                cursor.to_string(),
            ));
        }
        let response = self
            .send(Method::GET, "/api/v1/events", &headers, None)
            .await?;
        let status = response.status();
        if !status.is_success() {
            let bytes = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            return Err(refusal(status, &bytes));
        }
        Ok(EventStream {
            body: response.into_body(),
            parser: SseParser::new(),
            pending: VecDeque::new(),
            last_data: Instant::now(),
        })
    }
}

/// A refusal from the hub as a [`ClientError`].
fn refusal(status: StatusCode, bytes: &[u8]) -> ClientError {
    let body: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let message = text("message");
    match status {
        StatusCode::UNAUTHORIZED => ClientError::Unauthorized(message),
        StatusCode::FORBIDDEN if text("code") == "revoked" => ClientError::Revoked(message),
        StatusCode::GONE => ClientError::CursorTooOld {
            head_seq: body.get("head_seq").and_then(Value::as_i64).unwrap_or(0),
            horizon_seq: body.get("horizon_seq").and_then(Value::as_i64).unwrap_or(0),
        },
        _ => ClientError::Status {
            status: status.as_u16(),
            code: text("code"),
            message: if message.is_empty() {
                status.to_string()
            } else {
                message
            },
            body,
        },
    }
}

/// `GET /api/v1/calls`: a page of calls and where the stream goes on.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Snapshot {
    /// The `seq` the page is current to.
    pub head_seq: i64,
    /// The calls, newest first.
    pub calls: Vec<WireCall>,
}

/// An open event stream.
pub struct EventStream {
    body: Incoming,
    parser: SseParser,
    pending: VecDeque<SseItem>,
    last_data: Instant,
}

impl EventStream {
    /// The next item, or `None` when the hub ended the stream. Silence longer than `idle`, or
    /// a gap that long between two reads (the desk was asleep, and what is buffered is old),
    /// is an [`ClientError::Idle`].
    pub async fn next(&mut self, idle: Duration) -> Result<Option<SseItem>, ClientError> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(Some(item));
            }
            let frame = match tokio::time::timeout(idle, self.body.frame()).await {
                Err(_) => return Err(ClientError::Idle(idle)),
                Ok(None) => return Ok(None),
                Ok(Some(Err(e))) => {
                    return Err(ClientError::Unreachable(format!("the stream broke: {e}")))
                }
                Ok(Some(Ok(frame))) => frame,
            };
            if self.last_data.elapsed() > idle {
                return Err(ClientError::Idle(self.last_data.elapsed()));
            }
            self.last_data = Instant::now();
            if let Some(data) = frame.data_ref() {
                let items = self
                    .parser
                    .feed(data)
                    .map_err(|e| ClientError::Protocol(e.to_string()))?;
                self.pending.extend(items);
            }
        }
    }
}

/// Where a desk keeps its cursor: the last `seq` it applied, per hub.
#[derive(Debug, Clone)]
pub struct CursorFile {
    path: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedCursor {
    hub: String,
    seq: i64,
}

impl CursorFile {
    /// The cursor file at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// The saved cursor for `hub`, if any.
    pub fn load(&self, hub: &str) -> Option<i64> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let saved: SavedCursor = serde_json::from_str(&text).ok()?;
        (saved.hub == hub).then_some(saved.seq)
    }

    /// Saves the cursor: written beside and renamed over, so a crash leaves the old or the new
    /// one. Not synced to disk: losing it replays a few events, which desks apply by version.
    pub fn save(&self, hub: &str, seq: i64) -> std::io::Result<()> {
        let text = serde_json::to_string(&SavedCursor {
            hub: hub.to_string(),
            seq,
        })?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.path)
    }
}

/// What the desk loop reports.
#[derive(Debug, Clone)]
pub enum DeskEvent {
    /// Connected; `hello` said this.
    Connected(Hello),
    /// A call changed.
    Call {
        /// The hub `seq` of the change.
        seq: i64,
        /// Arrived before `synced`: history, not news.
        replayed: bool,
        /// Whether this desk shows (or keeps updating) a popup for it.
        popup: bool,
        /// The call's full current state.
        call: Box<WireCall>,
    },
    /// A call left the log.
    CallGone(CallGone),
    /// A contact changed or went (the stream's JSON).
    Contact {
        /// The hub `seq`.
        seq: i64,
        /// The event's data.
        data: Value,
    },
    /// Replay is over; live from here. `missed` counts missed calls that rang here meanwhile.
    Synced {
        /// The cursor now.
        head_seq: i64,
        /// Missed calls for this desk among the replayed ones.
        missed: usize,
    },
    /// The cursor was too old; the desk took a snapshot of this many calls.
    Resynced(usize),
    /// The hub cannot be reached; retrying.
    Offline {
        /// Since when.
        since: OffsetDateTime,
        /// Why, this time.
        reason: String,
    },
    /// The hub speaks a newer protocol: this Klingel should be updated.
    NewerProtocol(u32),
}

/// Settings of the desk loop.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// Silence that counts as a dead link.
    pub idle: Duration,
}

impl Default for FollowOptions {
    fn default() -> Self {
        Self { idle: DEFAULT_IDLE }
    }
}

/// Follows the hub until a fatal error (bad token, revoked desk, bad URL), which it returns.
/// Reconnects with backoff and jitter otherwise, resuming from the cursor in `cursor`.
pub async fn follow(
    client: &HubClient,
    cursor: &CursorFile,
    options: &FollowOptions,
    mut report: impl FnMut(DeskEvent),
) -> ClientError {
    let mut backoff = BACKOFF_MIN;
    let mut offline_since: Option<OffsetDateTime> = None;
    loop {
        let mut connected = false;
        let error = follow_once(client, cursor, options, &mut connected, &mut report).await;
        if error.is_fatal() {
            return error;
        }
        if connected {
            // It was up: the outage starts now, and so does the backoff.
            offline_since = None;
            backoff = BACKOFF_MIN;
        }
        let since = *offline_since.get_or_insert_with(crate::time_fmt::now);
        report(DeskEvent::Offline {
            since,
            reason: error.to_string(),
        });
        // A dead link (after sleep) or a hub that just went away: try again soon.
        let wait = if connected { Duration::ZERO } else { backoff };
        let jitter = Duration::from_millis(u64::from(crate::random::bytes::<1>()[0]) * 4);
        tokio::time::sleep(wait + jitter).await;
        if !connected {
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
}

/// One connection's life: hello, stream, events until it breaks.
async fn follow_once(
    client: &HubClient,
    cursor: &CursorFile,
    options: &FollowOptions,
    connected: &mut bool,
    report: &mut impl FnMut(DeskEvent),
) -> ClientError {
    let hello = match client.hello().await {
        Ok(hello) => hello,
        Err(e) => return e,
    };
    *connected = true;
    if hello.proto > PROTO {
        report(DeskEvent::NewerProtocol(hello.proto));
    }
    let popups = DeskPopups::new(&hello.desk);
    report(DeskEvent::Connected(hello));
    let mut saved = cursor.load(client.url());
    let mut stream = match client.events(saved).await {
        Ok(stream) => stream,
        Err(ClientError::CursorTooOld { .. }) => {
            // List, then watch from the list's head (Kubernetes' list+watch).
            let snapshot = match client.snapshot(200).await {
                Ok(snapshot) => snapshot,
                Err(e) => return e,
            };
            report(DeskEvent::Resynced(snapshot.calls.len()));
            if let Err(e) = cursor.save(client.url(), snapshot.head_seq) {
                tracing::warn!("cannot save the desk cursor: {e}");
            }
            saved = Some(snapshot.head_seq);
            match client.events(saved).await {
                Ok(stream) => stream,
                Err(e) => return e,
            }
        }
        Err(e) => return e,
    };
    let mut replaying = true;
    let mut missed_meanwhile = 0;
    loop {
        let item = match stream.next(options.idle).await {
            Ok(Some(item)) => item,
            Ok(None) => return ClientError::Unreachable("the hub closed the stream".into()),
            Err(e) => return e,
        };
        let SseItem::Event(event) = item else {
            continue;
        };
        let seq = event
            .has_id
            .then(|| event.id.as_deref().and_then(|id| id.parse::<i64>().ok()))
            .flatten();
        match event.event.as_str() {
            "call" => {
                let value: Value = match serde_json::from_str(&event.data) {
                    Ok(value) => value,
                    Err(e) => return ClientError::Protocol(format!("call event: {e}")),
                };
                if value.get("deleted").and_then(Value::as_bool) == Some(true) {
                    match serde_json::from_value::<CallGone>(value) {
                        Ok(gone) => report(DeskEvent::CallGone(gone)),
                        Err(e) => return ClientError::Protocol(format!("call event: {e}")),
                    }
                } else {
                    let call: WireCall = match serde_json::from_value(value) {
                        Ok(call) => call,
                        Err(e) => return ClientError::Protocol(format!("call event: {e}")),
                    };
                    let popup = popups.decide(&call, replaying, crate::time_fmt::now());
                    if replaying && call.call.is_missed() && popups.rings_here(&call) {
                        missed_meanwhile += 1;
                    }
                    report(DeskEvent::Call {
                        seq: seq.unwrap_or(0),
                        replayed: replaying,
                        popup,
                        call: Box::new(call),
                    });
                }
            }
            "contact" => match serde_json::from_str(&event.data) {
                Ok(data) => report(DeskEvent::Contact {
                    seq: seq.unwrap_or(0),
                    data,
                }),
                Err(e) => return ClientError::Protocol(format!("contact event: {e}")),
            },
            "synced" => {
                replaying = false;
                let head_seq = serde_json::from_str::<Value>(&event.data)
                    .ok()
                    .and_then(|v| v.get("head_seq").and_then(Value::as_i64))
                    .unwrap_or(0);
                report(DeskEvent::Synced {
                    head_seq,
                    missed: std::mem::take(&mut missed_meanwhile),
                });
            }
            // `hello` was read by its route already; `bookmark` and unknown kinds only move
            // the cursor.
            _ => {}
        }
        // After applying: a crash replays this one event at most.
        if let Some(seq) = seq {
            if let Err(e) = cursor.save(client.url(), seq) {
                tracing::warn!("cannot save the desk cursor: {e}");
            }
        }
    }
}
