//! The listener sipgate posts to: checks, parsing, the reply, and `serve` with timeouts.
//!
//! Every POST path is a push endpoint (people paste all kinds of URLs into sipgate's console);
//! `GET /healthz` answers for monitoring. Nothing else lives on this internet-facing port.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

use crate::config::ListenerConfig;
use crate::domain::RequestRecord;
use crate::hub::Hub;
use crate::monitor::{Decision, Monitor};
use crate::request_log::RequestLog;
use crate::sipgate::{
    self, BodyFormat, KeyError, Parsed, Reply, SignatureError, SignatureVerifier,
};
use crate::time_fmt::now;
use crate::tls::ListenerTls;

/// Largest body accepted; real pushes are a few hundred bytes.
pub const BODY_LIMIT: usize = 64 * 1024;
/// How long a client may take to send its headers, and then its body.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Refusals in a row on one connection before its next requests are slowed down. sipgate
/// meets at most one per push (the Basic auth challenge), a flood one per request.
const FREE_REFUSALS: u32 = 2;
/// The first slow-down, doubled with every further refusal in a row up to [`MAX_PENALTY`].
const PENALTY: Duration = Duration::from_millis(50);
/// The longest a repeat offender waits for its answer.
const MAX_PENALTY: Duration = Duration::from_secs(1);

/// Refusals in a row on one connection; an accepted request resets it.
#[derive(Debug, Clone, Default)]
struct Strikes(Arc<AtomicU32>);

impl Strikes {
    /// How long this connection's next request waits before it is looked at: nothing until
    /// it has been refused [`FREE_REFUSALS`] times in a row. A timer costs no CPU, so a flood
    /// on kept-alive connections is slowed to a trickle without taking time from real pushes.
    fn penalty(&self) -> Option<Duration> {
        let strikes = self.0.load(Ordering::Relaxed);
        let over = strikes.checked_sub(FREE_REFUSALS)?;
        Some(PENALTY.saturating_mul(1 << over.min(5)).min(MAX_PENALTY))
    }

    fn note(&self, refused: bool) {
        if refused {
            self.0.fetch_add(1, Ordering::Relaxed);
        } else {
            self.0.store(0, Ordering::Relaxed);
        }
    }
}

/// The listener's checks and reply settings, ready to use.
#[derive(Debug, Clone)]
pub struct ListenerSettings {
    /// Fixed URL for `onAnswer`/`onHangup`; else derived from the request.
    pub public_url: Option<String>,
    /// Check `X-Sipgate-Signature`.
    pub verify_signature: bool,
    /// Basic auth user and password.
    pub credentials: Option<(String, String)>,
    /// The keys signatures are checked against.
    pub verifier: SignatureVerifier,
    /// Take pushes signed with the local test key (as test calls).
    pub accept_test_calls: bool,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Believe `X-Forwarded-*` headers: only without HTTPS of its own, where a tunnel or a
    /// reverse proxy in front sets them. A listener that speaks HTTPS is reached directly, and
    /// anyone could send them.
    pub trust_forwarded: bool,
}

impl ListenerSettings {
    /// Builds the settings from `[listener]`; `local_key` is Klingel's own test-push key.
    pub fn new(
        config: &ListenerConfig,
        local_key: Option<rsa::RsaPublicKey>,
    ) -> Result<Self, KeyError> {
        let mut verifier = match &config.public_key {
            Some(pem) => SignatureVerifier::from_pem("configured key", pem)?,
            None => SignatureVerifier::sipgate(),
        };
        if let Some(key) = local_key {
            verifier.add_test_key(LOCAL_TEST_KEY, key);
        }
        Ok(Self {
            public_url: config.public_url.clone().filter(|u| !u.trim().is_empty()),
            verify_signature: config.verify_signature,
            credentials: config
                .credentials()
                .map(|(user, password)| (user.to_string(), password.to_string())),
            verifier,
            accept_test_calls: config.accept_test_calls,
            max_connections: config.max_connections.max(1),
            trust_forwarded: config.tls_files().is_none() && config.acme.is_none(),
        })
    }
}

/// The label the local test key's verdicts carry.
pub const LOCAL_TEST_KEY: &str = "local test key";

impl ListenerSettings {
    /// `url` as sipgate must call it: with the Basic auth credentials in it when they are set.
    pub fn authenticated(&self, url: &str) -> String {
        match &self.credentials {
            Some((user, password)) => with_credentials(url, user, password),
            None => url.to_string(),
        }
    }
}

/// The URL a client on this machine reaches a listener bound to `address` at (a wildcard
/// address is reached over loopback; HTTPS when `config` has certificate files).
pub fn local_url(mut address: SocketAddr, config: &ListenerConfig) -> String {
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let scheme = if config.tls_files().is_some() || config.acme.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{address}/")
}

/// What the push routes share.
#[derive(Debug, Clone)]
pub struct HttpState {
    monitor: Monitor,
    settings: Arc<RwLock<Arc<ListenerSettings>>>,
    requests: RequestLog,
    connections: Arc<Connections>,
    /// The office hub's routes, when this listener is a hub.
    hub: Arc<RwLock<Option<Hub>>>,
    /// HTTPS, when certificate files or ACME are configured.
    tls: Arc<RwLock<Option<Arc<ListenerTls>>>>,
}

/// Connections open now, the cap, and how many were turned away.
#[derive(Debug, Default)]
struct Connections {
    open: AtomicUsize,
    limit: AtomicUsize,
    refused: AtomicU64,
}

/// One served connection; dropping it frees its place.
struct ConnectionSlot(Arc<Connections>);

impl Connections {
    /// A place for one more connection, unless `limit` are open.
    fn admit(self: &Arc<Self>) -> Option<ConnectionSlot> {
        let limit = self.limit.load(Ordering::Relaxed);
        let admitted = self
            .open
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < limit).then_some(open + 1)
            })
            .is_ok();
        if admitted {
            Some(ConnectionSlot(Arc::clone(self)))
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl HttpState {
    /// State for [`router`]; starts the writer that records refused requests.
    pub fn new(monitor: Monitor, settings: ListenerSettings) -> Self {
        let connections = Arc::new(Connections::default());
        connections
            .limit
            .store(settings.max_connections, Ordering::Relaxed);
        Self {
            requests: RequestLog::start(monitor.clone()),
            monitor,
            settings: Arc::new(RwLock::new(Arc::new(settings))),
            connections,
            hub: Arc::new(RwLock::new(None)),
            tls: Arc::new(RwLock::new(None)),
        }
    }

    /// Serves the office hub's `/api/v1/` routes beside the push routes (from the next bind).
    pub fn set_hub(&self, hub: Option<Hub>) {
        *self.hub.write().unwrap_or_else(|p| p.into_inner()) = hub;
    }

    /// The hub, when this listener is one.
    pub fn hub(&self) -> Option<Hub> {
        self.hub.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Speaks HTTPS this way from the next connection on (`None`: plain HTTP).
    pub fn set_tls(&self, tls: Option<Arc<ListenerTls>>) {
        *self.tls.write().unwrap_or_else(|p| p.into_inner()) = tls;
    }

    /// How the listener speaks HTTPS now.
    pub fn tls(&self) -> Option<Arc<ListenerTls>> {
        self.tls.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Swaps in new listener settings; requests already running keep the old ones, and a
    /// lower connection cap only turns away new connections.
    pub fn reconfigure(&self, settings: ListenerSettings) {
        self.connections
            .limit
            .store(settings.max_connections, Ordering::Relaxed);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(settings);
    }

    /// How many connections were closed unserved because `max_connections` were open.
    pub fn refused_connections(&self) -> u64 {
        self.connections.refused.load(Ordering::Relaxed)
    }

    /// How many refused requests were not recorded because they came too fast.
    pub fn unrecorded_requests(&self) -> u64 {
        self.requests.dropped()
    }

    fn settings(&self) -> Arc<ListenerSettings> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The monitor pushes go to.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }
}

/// The listener's routes: `/healthz`, the hub's `/api/v1/` when it is one, and pushes.
pub fn router(state: HttpState) -> Router {
    let hub = state.hub();
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback(receive)
        .with_state(state);
    match hub {
        Some(hub) => router.nest("/api/v1", crate::hub::api::routes(hub)),
        None => router,
    }
}

/// Serves the routes of `state` on `listener` until `shutdown` completes, with header and
/// keep-alive timeouts (axum's own `serve` has none, and a slow client must not hold a
/// connection forever) and at most `max_connections` connections at once.
pub async fn serve(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve_limited(listener, state, shutdown, READ_TIMEOUT).await
}

/// [`serve`] with another limit for slow clients, so tests need not wait ten seconds.
#[cfg(feature = "testing")]
pub async fn serve_with_timeout(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl std::future::Future<Output = ()>,
    read_timeout: Duration,
) -> std::io::Result<()> {
    serve_limited(listener, state, shutdown, read_timeout).await
}

async fn serve_limited(
    listener: TcpListener,
    state: HttpState,
    shutdown: impl std::future::Future<Output = ()>,
    read_timeout: Duration,
) -> std::io::Result<()> {
    let connections = Arc::clone(&state.connections);
    let tls_slot = Arc::clone(&state.tls);
    let router = router(state);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Over the cap: close at once, before reading a byte, so a flood of connections costs
        // an accept and a close each and never queues in front of sipgate's pushes.
        let Some(slot) = connections.admit() else {
            drop(stream);
            let refused = connections.refused.load(Ordering::Relaxed);
            if refused.is_power_of_two() {
                tracing::warn!(%peer, "too many connections open: closed {refused} unserved so far");
            }
            continue;
        };
        let router = router.clone();
        let strikes = Strikes::default();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.extensions_mut().insert(strikes.clone());
                tower::ServiceExt::oneshot(router.clone(), request.map(Body::new))
            },
        );
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(read_timeout)
            .keep_alive(true);
        let tls = tls_slot.read().unwrap_or_else(|p| p.into_inner()).clone();
        match tls {
            None => {
                let connection =
                    graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    let _slot = slot;
                    if let Err(e) = connection.await {
                        tracing::debug!(%peer, "connection closed: {e}");
                    }
                });
            }
            Some(tls) => {
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let _slot = slot;
                    // The handshake counts against the header timeout: a client that opens a
                    // connection and says nothing must not hold it.
                    let handshake = tokio::time::timeout(read_timeout, handshake(&tls, stream));
                    let stream = match handshake.await {
                        Ok(Ok(Some(stream))) => stream,
                        // The CA's validation: answered in the handshake, nothing to serve.
                        Ok(Ok(None)) => return,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, "TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let connection =
                        watcher.watch(builder.serve_connection(TokioIo::new(stream), service));
                    if let Err(e) = connection.await {
                        tracing::debug!(%peer, "connection closed: {e}");
                    }
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
    Ok(())
}

/// The TLS handshake: the configuration is picked from the ClientHello (the CA's TLS-ALPN-01
/// validation gets the challenge certificate and is closed after the handshake).
async fn handshake(
    tls: &ListenerTls,
    stream: tokio::net::TcpStream,
) -> std::io::Result<Option<tokio_rustls::server::TlsStream<tokio::net::TcpStream>>> {
    let start =
        tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
    let (config, challenge) = tls.config_for(&start.client_hello());
    let stream = start.into_stream(config).await?;
    // The handshake was the whole answer; dropping the stream closes the connection.
    Ok((!challenge).then_some(stream))
}

/// Why a request is turned away: the status and one-line reason the client is told, a header
/// that says what it should do instead, and the verdict the failed check leaves in the record.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    reason: String,
    header: Option<(HeaderName, &'static str)>,
    verdict: Option<Verdict>,
}

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            header: None,
            verdict: None,
        }
    }

    fn with_header(mut self, name: HeaderName, value: &'static str) -> Self {
        self.header = Some((name, value));
        self
    }

    fn with_verdict(mut self, verdict: Verdict) -> Self {
        self.verdict = Some(verdict);
        self
    }

    /// The answer for this refusal: the status and the reason as one line of text.
    fn response(self) -> Response {
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{}\n", self.reason),
        )
            .into_response();
        if let Some((name, value)) = self.header {
            response
                .headers_mut()
                .insert(name, HeaderValue::from_static(value));
        }
        response
    }
}

/// What a check found, as written into the request record.
#[derive(Debug)]
enum Verdict {
    /// The Basic auth verdict, e.g. "ok", "missing".
    Auth(String),
    /// The signature verdict, e.g. "ok (sipgate)", "mismatch".
    Signature(String),
}

impl Verdict {
    fn write_into(self, record: &mut RequestRecord) {
        match self {
            Self::Auth(verdict) => record.auth = verdict,
            Self::Signature(verdict) => record.signature = verdict,
        }
    }
}

/// A request on its way through the checks, and what is recorded about it.
struct Exchange {
    monitor: Monitor,
    requests: RequestLog,
    record: RequestRecord,
}

impl Exchange {
    /// A request just received: method, path and peer recorded, no check run yet.
    fn new(state: &HttpState, settings: &ListenerSettings, parts: &Parts) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.to_string());
        let forwarded_for = settings
            .trust_forwarded
            .then(|| header_str(&parts.headers, "x-forwarded-for"))
            .flatten();
        let path = parts.uri.path_and_query().map_or_else(
            || parts.uri.path().to_string(),
            |pq| pq.as_str().to_string(),
        );
        let mut record = RequestRecord::received(parts.method.as_str(), &path, now());
        record.peer = match (peer, forwarded_for) {
            (Some(peer), Some(ff)) => Some(format!("{peer} (for {ff})")),
            (peer, None) => peer,
            (None, Some(ff)) => Some(format!("for {ff}")),
        };
        Self {
            monitor: state.monitor.clone(),
            requests: state.requests.clone(),
            record,
        }
    }

    /// Runs the checks in order and applies the push; the first check that fails refuses.
    async fn answer(
        &mut self,
        settings: &ListenerSettings,
        parts: &Parts,
        body: Body,
    ) -> Result<Response, Refusal> {
        let headers = &parts.headers;
        require_post(&parts.method)?;
        if let Some(verdict) = authenticate(settings, headers)? {
            verdict.write_into(&mut self.record);
        }
        let format = body_format(headers)?;
        check_declared_length(headers)?;
        let body = read_body(body).await?;
        self.record.body = String::from_utf8_lossy(&body).into_owned();
        let signed = verify_signature(settings, headers, &body)?;
        let test = signed.test;
        signed.verdict.write_into(&mut self.record);
        let push = match parse(&body, format)? {
            Parsed::Push(push) if test => push.into_test(),
            Parsed::Push(push) => push,
            Parsed::UnknownEvent(event) => return Ok(self.acknowledge(event, format).await),
        };
        self.record.event = Some(push.kind().as_str().to_string());
        self.record.call_id = Some(push.call_id.clone());
        let decision = self.apply(&push).await?;
        let answer = follow_up(&push, decision, || {
            follow_up_url(settings, headers, &self.record.path)
        });
        Ok(reply(format, &answer))
    }

    /// Answers a push with an event Klingel does not know with an empty reply, and records it.
    async fn acknowledge(&mut self, event: String, format: BodyFormat) -> Response {
        tracing::info!(event, "acknowledged a push with an unknown event");
        self.record.event = Some(event);
        self.record.status = 200;
        save(&self.monitor, self.record.clone()).await;
        reply(format, &Reply::Empty)
    }

    /// Hands the push to the monitor, which records the request in the same transaction.
    async fn apply(&self, push: &sipgate::Push) -> Result<Decision, Refusal> {
        let monitor = self.monitor.clone();
        let record = self.record.clone();
        let at = self.record.received_at;
        let push = push.clone();
        // Not acknowledged on failure: sipgate proceeds with the call as if Klingel were off.
        let internal_error = || Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        // The monitor's writer logs why a push could not be stored.
        match monitor.apply_async(push, record, at).await {
            Ok(applied) => Ok(applied.decision),
            Err(_) => Err(internal_error()),
        }
    }

    /// Answers with a 4xx/5xx and a one-line reason, logging why; the record goes to the
    /// request log's queue, so the answer never waits for a disk sync.
    fn refuse(mut self, mut refusal: Refusal) -> Response {
        tracing::warn!(
            status = refusal.status.as_u16(),
            path = %self.record.path,
            peer = self.record.peer.as_deref().unwrap_or("?"),
            "refused request: {}",
            refusal.reason
        );
        self.record.status = refusal.status.as_u16();
        self.record.reason = Some(refusal.reason.clone());
        if let Some(verdict) = refusal.verdict.take() {
            verdict.write_into(&mut self.record);
        }
        self.requests.record(self.record);
        refusal.response()
    }
}

/// Records a request on its own (accepted pushes are recorded inside their transaction).
async fn save(monitor: &Monitor, record: RequestRecord) {
    let monitor = monitor.clone();
    match tokio::task::spawn_blocking(move || monitor.record_request(&record)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("could not record request: {e}"),
        Err(e) => tracing::warn!("could not record request: {e}"),
    }
}

/// Every request to a path other than `/healthz`: a push, unless a check refuses it.
async fn receive(State(state): State<HttpState>, request: Request) -> Response {
    let settings = state.settings();
    let (parts, body) = request.into_parts();
    let strikes = parts
        .extensions
        .get::<Strikes>()
        .cloned()
        .unwrap_or_default();
    if let Some(penalty) = strikes.penalty() {
        tokio::time::sleep(penalty).await;
    }
    let mut exchange = Exchange::new(&state, &settings, &parts);
    let realm = check_realm(&state, &parts);
    let response = match realm {
        Err(refusal) => exchange.refuse(refusal),
        Ok(()) => match exchange.answer(&settings, &parts, body).await {
            Ok(response) => response,
            Err(refusal) => exchange.refuse(refusal),
        },
    };
    strikes.note(response.status().is_client_error());
    response
}

/// Keeps the two realms apart: a desk token is never a push credential, and on a hub nothing
/// under `/api/` is ever read as a push.
fn check_realm(state: &HttpState, parts: &Parts) -> Result<(), Refusal> {
    if parts.uri.path().starts_with("/api/") && state.hub().is_some() {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "no such route"));
    }
    if crate::hub::token::bearer(&parts.headers).is_some() {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            "desk tokens are not accepted for pushes",
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"Klingel\", charset=\"UTF-8\"",
        ));
    }
    Ok(())
}

fn require_post(method: &Method) -> Result<(), Refusal> {
    if method == Method::POST {
        return Ok(());
    }
    Err(
        Refusal::new(StatusCode::METHOD_NOT_ALLOWED, "pushes are POST requests")
            .with_header(header::ALLOW, "POST"),
    )
}

/// Checks Basic auth when credentials are set; `None` when none are required.
fn authenticate(
    settings: &ListenerSettings,
    headers: &HeaderMap,
) -> Result<Option<Verdict>, Refusal> {
    let Some((user, password)) = &settings.credentials else {
        return Ok(None);
    };
    match check_basic_auth(headers, user, password) {
        Ok(()) => Ok(Some(Verdict::Auth("ok".into()))),
        // sipgate only sends credentials after this challenge.
        Err(reason) => Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            format!("authentication required: {reason}"),
        )
        .with_header(
            header::WWW_AUTHENTICATE,
            "Basic realm=\"Klingel\", charset=\"UTF-8\"",
        )
        .with_verdict(Verdict::Auth(reason.into()))),
    }
}

/// Refuses a body whose declared length is over the limit before reading any of it.
fn check_declared_length(headers: &HeaderMap) -> Result<(), Refusal> {
    let declared = header_str(headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> Refusal {
    Refusal::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("body larger than {BODY_LIMIT} bytes"),
    )
}

/// What the signature check found: the verdict for the record, and whether the push is a test
/// call.
struct Signed {
    verdict: Verdict,
    test: bool,
}

/// Checks `X-Sipgate-Signature` when verification is on; with it off, still tells Klingel's own
/// test pushes apart (cheap: sipgate's RSA-4096 signatures have the wrong length for the test
/// key, so only a test-sized signature costs a verification).
fn verify_signature(
    settings: &ListenerSettings,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Signed, Refusal> {
    let header = header_str(headers, "x-sipgate-signature");
    let verified = if settings.verify_signature {
        settings.verifier.verify(body, header)
    } else {
        match settings.verifier.verify_test(body, header) {
            Ok(verified) => Ok(verified),
            Err(_) => {
                return Ok(Signed {
                    verdict: Verdict::Signature("not checked (verification off)".into()),
                    test: false,
                })
            }
        }
    };
    match verified {
        Ok(verified) if verified.is_test() && !settings.accept_test_calls => {
            Err(
                Refusal::new(StatusCode::FORBIDDEN, "test signature not accepted").with_verdict(
                    Verdict::Signature(format!("test key refused ({})", verified.label)),
                ),
            )
        }
        Ok(verified) => Ok(Signed {
            verdict: Verdict::Signature(format!("ok ({})", verified.label)),
            test: verified.is_test(),
        }),
        Err(e) => {
            let verdict = match e {
                SignatureError::Missing => "missing",
                SignatureError::Malformed => "malformed",
                SignatureError::Mismatch => "mismatch",
            };
            Err(Refusal::new(StatusCode::FORBIDDEN, e.to_string())
                .with_verdict(Verdict::Signature(verdict.into())))
        }
    }
}

fn parse(body: &[u8], format: BodyFormat) -> Result<Parsed, Refusal> {
    sipgate::parse(body, format).map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, e.to_string()))
}

/// The reply to an applied push: a rejection, or for an accepted new call the request for
/// `answer`/`hangup` pushes at the URL `url` works out.
fn follow_up(
    push: &sipgate::Push,
    decision: Decision,
    url: impl FnOnce() -> Option<String>,
) -> Reply {
    match (&push.event, decision) {
        (_, Decision::Reject(reason)) => Reply::Reject(reason),
        (sipgate::Event::NewCall { .. }, Decision::Accept) => {
            let url = url();
            if url.is_none() {
                tracing::warn!(
                    "no Host header and no public_url: cannot ask for answer/hangup pushes"
                );
            }
            Reply::Accept {
                on_answer: url.clone(),
                on_hangup: url,
            }
        }
        (_, Decision::Accept) => Reply::Empty,
    }
}

fn reply(format: BodyFormat, answer: &Reply) -> Response {
    match format {
        BodyFormat::Form => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            sipgate::render_xml(answer),
        )
            .into_response(),
        BodyFormat::Json => (
            [(header::CONTENT_TYPE, "application/json")],
            sipgate::render_json(answer),
        )
            .into_response(),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn body_format(headers: &HeaderMap) -> Result<BodyFormat, Refusal> {
    let unsupported = |reason: String| Refusal::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, reason);
    let Some(value) = header_str(headers, "content-type") else {
        return Err(unsupported(
            "missing Content-Type: send application/x-www-form-urlencoded".into(),
        ));
    };
    let media = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/x-www-form-urlencoded" => Ok(BodyFormat::Form),
        "application/json" => Ok(BodyFormat::Json),
        _ => Err(unsupported(format!(
            "unsupported Content-Type {media:?}: send application/x-www-form-urlencoded or application/json"
        ))),
    }
}

async fn read_body(body: Body) -> Result<Bytes, Refusal> {
    let limited = Limited::new(body, BODY_LIMIT);
    match tokio::time::timeout(READ_TIMEOUT, limited.collect()).await {
        Err(_) => Err(Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            "body not received in time",
        )),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large()),
        Ok(Err(e)) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            format!("could not read body: {e}"),
        )),
    }
}

/// Checks `Authorization: Basic`; the error says what was wrong, for the record.
fn check_basic_auth(headers: &HeaderMap, user: &str, password: &str) -> Result<(), &'static str> {
    let value = header_str(headers, "authorization").ok_or("missing")?;
    let (scheme, encoded) = value.split_once(' ').ok_or("malformed")?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err("not Basic");
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "malformed")?;
    let colon = decoded.iter().position(|b| *b == b':').ok_or("malformed")?;
    let (given_user, given_password) = (&decoded[..colon], &decoded[colon + 1..]);
    // Compare both halves in constant time and only then combine, so timing reveals neither.
    let same = given_user.ct_eq(user.as_bytes()) & given_password.ct_eq(password.as_bytes());
    if bool::from(same) {
        Ok(())
    } else {
        Err("wrong credentials")
    }
}

/// The URL sipgate should send `answer`/`hangup` to: `public_url`, else this request's own URL
/// as the client (or tunnel) addressed it; with Basic auth, carrying the credentials.
fn follow_up_url(settings: &ListenerSettings, headers: &HeaderMap, path: &str) -> Option<String> {
    let url = match &settings.public_url {
        Some(url) => url.clone(),
        None => {
            let first =
                |name| header_str(headers, name).map(|v| v.split(',').next().unwrap_or(v).trim());
            let forwarded = |name| first(name).filter(|_| settings.trust_forwarded);
            let own = if settings.trust_forwarded {
                "http"
            } else {
                "https"
            };
            let proto = forwarded("x-forwarded-proto")
                .filter(|p| p.eq_ignore_ascii_case("https") || p.eq_ignore_ascii_case("http"))
                .unwrap_or(own)
                .to_ascii_lowercase();
            let host = forwarded("x-forwarded-host").or_else(|| first("host"))?;
            format!("{proto}://{host}{path}")
        }
    };
    Some(settings.authenticated(&url))
}

/// Splits `https://user:pass@host/…` into the URL without credentials and the decoded pair.
pub(crate) fn split_userinfo(url: &str) -> (String, Option<(String, String)>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_string(), None);
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return (url.to_string(), None);
    };
    let decode = |s: &str| percent_decode(s);
    let (user, password) = rest[..at].split_once(':').unwrap_or((&rest[..at], ""));
    (
        format!("{scheme}://{}", &rest[at + 1..]),
        Some((decode(user), decode(password))),
    )
}

/// Decodes `%XX` escapes (userinfo never uses `+` for space).
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Puts `user:password@` (encoded for a URL) into a URL that has none yet.
pub(crate) fn with_credentials(url: &str, user: &str, password: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if rest[..authority_end].contains('@') {
        return url.to_string();
    }
    format!(
        "{scheme}://{}:{}@{rest}",
        encode_userinfo(user),
        encode_userinfo(password)
    )
}

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`).
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_userinfo(text: &str) -> String {
    utf8_percent_encode(text, USERINFO).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_headers_count_only_without_https_of_its_own() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("hub.example.org"));
        headers.insert("x-forwarded-host", HeaderValue::from_static("evil.example"));
        headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
        let tunnelled = ListenerSettings::new(&ListenerConfig::default(), None).expect("plain");
        assert_eq!(
            follow_up_url(&tunnelled, &headers, "/push").as_deref(),
            Some("http://evil.example/push"),
            "behind a tunnel the forwarded host is the one sipgate used"
        );
        let direct = ListenerConfig {
            tls_cert: Some("hub.pem".into()),
            tls_key: Some("hub-key.pem".into()),
            ..ListenerConfig::default()
        };
        let direct = ListenerSettings::new(&direct, None).expect("https");
        assert_eq!(
            follow_up_url(&direct, &headers, "/push").as_deref(),
            Some("https://hub.example.org/push"),
            "reached directly over HTTPS, anyone could send X-Forwarded-*"
        );
    }

    #[test]
    fn credentials_go_into_the_authority_percent_encoded() {
        assert_eq!(
            with_credentials("https://tunnel.example/push?x=1", "sipgate", "p@ss:w rd"),
            "https://sipgate:p%40ss%3Aw%20rd@tunnel.example/push?x=1",
            "sipgate reads credentials from the URL's userinfo"
        );
        assert_eq!(
            with_credentials("https://a:b@tunnel.example/", "x", "y"),
            "https://a:b@tunnel.example/",
            "credentials already in public_url are the user's choice"
        );
    }

    #[test]
    fn only_repeated_refusals_on_a_connection_slow_it_down() {
        let strikes = Strikes::default();
        // sipgate's pattern: challenged, then accepted, push after push.
        for _ in 0..10 {
            strikes.note(true);
            assert_eq!(strikes.penalty(), None, "one challenge costs nothing");
            strikes.note(false);
        }
        strikes.note(true);
        strikes.note(true);
        assert_eq!(
            strikes.penalty(),
            Some(PENALTY),
            "a second refusal in a row does"
        );
        for _ in 0..20 {
            strikes.note(true);
        }
        assert_eq!(strikes.penalty(), Some(MAX_PENALTY), "capped");
        strikes.note(false);
        assert_eq!(strikes.penalty(), None, "an accepted request forgives");
    }

    #[test]
    fn basic_auth_accepts_only_the_exact_pair() {
        let mut headers = HeaderMap::new();
        assert_eq!(check_basic_auth(&headers, "u", "p"), Err("missing"));
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {}", encode("u:p")).parse().expect("header"),
        );
        assert_eq!(check_basic_auth(&headers, "u", "p"), Ok(()));
        headers.insert(
            header::AUTHORIZATION,
            format!("Basic {}", encode("u:px")).parse().expect("header"),
        );
        assert_eq!(
            check_basic_auth(&headers, "u", "p"),
            Err("wrong credentials")
        );
        headers.insert(
            header::AUTHORIZATION,
            format!("basic {}", encode("u:p:q"))
                .parse()
                .expect("header"),
        );
        assert_eq!(
            check_basic_auth(&headers, "u", "p:q"),
            Ok(()),
            "a password may contain ':'"
        );
    }
}
