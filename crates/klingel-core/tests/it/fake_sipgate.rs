//! A fake sipgate REST API on 127.0.0.1: the routes Klingel uses, with sipgate's shapes, one
//! Personal Access Token and its scopes, fault injection per route, and a journal of every
//! request for assertions. It runs on a thread of its own, so tests drive it from blocking code.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use base64::Engine as _;
use serde_json::{json, Value};

/// The token the fake accepts.
pub const TOKEN_ID: &str = "token-ABC123";
/// Its secret.
pub const TOKEN: &str = "e68ead46-a7db-46cd-8a1a-44aed1e4e372";

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: String,
}

/// A fault a route answers with instead of its work.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This status, with `Retry-After: 2` for a 429.
    Status(u16),
    /// Broken JSON with a 200.
    Malformed,
}

/// What the fake knows and how it behaves; tests change it through [`FakeSipgate::state`].
#[derive(Debug)]
pub struct FakeState {
    /// Scopes the token has; `None`: all.
    pub scopes: Option<BTreeSet<String>>,
    /// The stored webhook settings.
    pub settings: Value,
    /// `GET`/`PUT /settings/sipgateio` answer 403 (sipgate.io not booked).
    pub not_booked: bool,
    /// sipgate Neo: only https:// webhook URLs, phonelines 404, PUT settings refused.
    pub neo: bool,
    /// Faults by route key (`"GET /users"`, `"PUT /settings/sipgateio"`, …).
    pub faults: HashMap<String, Fault>,
    /// Error bodies: `""` (empty, sipgate's usual), `"json"` or `"html"`.
    pub error_body: &'static str,
    /// Calls that can be hung up, by id.
    pub live_calls: BTreeSet<String>,
    /// The call history, newest first (`GET /history`).
    pub history: Vec<Value>,
    /// The session id the next click-to-call gets (else one is made up).
    pub next_session_id: Option<String>,
    /// Every request, in order.
    pub journal: Vec<Recorded>,
}

impl Default for FakeState {
    fn default() -> Self {
        Self {
            scopes: None,
            settings: json!({"incomingUrl": "", "outgoingUrl": "", "log": false, "whitelist": null}),
            not_booked: false,
            neo: false,
            faults: HashMap::new(),
            error_body: "",
            live_calls: BTreeSet::new(),
            history: Vec::new(),
            next_session_id: None,
            journal: Vec::new(),
        }
    }
}

/// The fake, listening until dropped.
pub struct FakeSipgate {
    /// Its base URL, as `[sipgate] api_url`.
    pub api_url: String,
    state: Arc<Mutex<FakeState>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeSipgate {
    /// Starts the fake on a free loopback port.
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<SocketAddr>();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                addr_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("send");
                axum::serve(listener, router(shared))
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the fake starts");
        Self {
            api_url: format!("http://{addr}/v2"),
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Its state, to change or to read the journal.
    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The journal's requests as `"METHOD /path"`.
    pub fn requests(&self) -> Vec<String> {
        self.state()
            .journal
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

impl Drop for FakeSipgate {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type Shared = Arc<Mutex<FakeState>>;

fn router(state: Shared) -> Router {
    Router::new()
        .route("/v2/authorization/userinfo", get(userinfo))
        .route("/v2/account", get(account))
        .route(
            "/v2/settings/sipgateio",
            get(get_settings).put(put_settings),
        )
        .route("/v2/users", get(users))
        .route("/v2/groups", get(groups))
        .route("/v2/numbers", get(numbers))
        .route("/v2/history", get(history))
        .route("/v2/calls/{call_id}", delete(hang_up))
        .route("/v2/sessions/calls", post(dial))
        .route("/v2/{user_id}/devices", get(devices))
        .route("/v2/{user_id}/phonelines", get(phonelines))
        .with_state(state)
}

/// A request's method, URI and headers, for [`admit`].
struct Req {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Req {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

/// What every route does first: journal, auth, scope, fault. `Some` is the answer to give.
fn admit(state: &Shared, req: &Req, body: &[u8], scopes: &[&str]) -> Option<Response> {
    let (method, uri, headers) = (&req.method, &req.uri, &req.headers);
    let route = route_key(method, uri.path());
    {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.journal.push(Recorded {
            method: method.to_string(),
            path: uri.path().trim_start_matches("/v2").to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            body: String::from_utf8_lossy(body).into_owned(),
        });
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{TOKEN_ID}:{TOKEN}"))
        );
        let authorized = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == expected);
        if !authorized {
            return Some(error(&s, 401));
        }
        let allowed = match &s.scopes {
            None => true,
            Some(granted) => {
                granted.contains("all")
                    || scopes.is_empty()
                    || scopes.iter().any(|x| granted.contains(*x))
            }
        };
        if !allowed {
            return Some(error(&s, 403));
        }
        match s.faults.get(&route).cloned() {
            Some(Fault::Status(code)) => return Some(error(&s, code)),
            Some(Fault::Malformed) => {
                return Some(
                    ([("content-type", "application/json")], "{\"items\": [").into_response(),
                )
            }
            None => {}
        }
    }
    None
}

/// `GET /users/w0` → `GET /users/{id}`-like keys for the fault table: ids are kept, so a test
/// names exactly the request it means.
fn route_key(method: &Method, path: &str) -> String {
    format!("{method} {}", path.trim_start_matches("/v2"))
}

fn error(state: &FakeState, code: u16) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match state.error_body {
        "json" => (
            status,
            [("content-type", "application/json")],
            json!({"errors": [{"status": code, "title": "Error", "detail": "fake"}]}).to_string(),
        )
            .into_response(),
        "html" => (
            status,
            [("content-type", "text/html")],
            "<html><body>Fehler</body></html>",
        )
            .into_response(),
        _ => status.into_response(),
    };
    if code == 429 {
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("2"));
    }
    response
}

fn ok_json(value: Value) -> Response {
    ([("content-type", "application/json")], value.to_string()).into_response()
}

macro_rules! admit {
    ($state:expr, $req:expr, $body:expr, $scopes:expr) => {
        if let Some(response) = admit(&$state, &$req, $body, $scopes) {
            return response;
        }
    };
}

async fn userinfo(State(state): State<Shared>, req: Req) -> Response {
    admit!(state, req, b"", &[]);
    ok_json(
        json!({"sub": "w1", "domain": "sipgate.de", "masterSipId": "1234567", "locale": "de_DE"}),
    )
}

async fn account(State(state): State<Shared>, req: Req) -> Response {
    admit!(state, req, b"", &["account:read"]);
    ok_json(
        json!({"company": "Test GmbH", "mainProductType": "TEAM", "logoUrl": "", "verified": true, "historyLifeTime": "UNLIMITED", "unknown": 1}),
    )
}

async fn get_settings(State(state): State<Shared>, req: Req) -> Response {
    admit!(
        state,
        req,
        b"",
        &["settings:read", "settings:sipgateio:read"]
    );
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    if s.not_booked {
        return error(&s, 403);
    }
    ok_json(s.settings.clone())
}

async fn put_settings(State(state): State<Shared>, req: Req, body: Bytes) -> Response {
    admit!(
        state,
        req,
        &body,
        &["settings:write", "settings:sipgateio:write"]
    );
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    if s.not_booked {
        return error(&s, 403);
    }
    let Ok(Value::Object(new)) = serde_json::from_slice::<Value>(&body) else {
        return error(&s, 400);
    };
    let pattern = if s.neo { "https://" } else { "http" };
    for key in ["incomingUrl", "outgoingUrl"] {
        match new.get(key).and_then(Value::as_str) {
            None => return error(&s, 400),
            Some(url) if !url.is_empty() && !url.to_ascii_lowercase().starts_with(pattern) => {
                return error(&s, 400)
            }
            Some(_) => {}
        }
    }
    s.settings = Value::Object(new);
    StatusCode::NO_CONTENT.into_response()
}

async fn users(State(state): State<Shared>, req: Req) -> Response {
    admit!(state, req, b"", &["users:read"]);
    ok_json(json!({"items": [
        {"id": "w0", "firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.org", "defaultDevice": "e0",
         "busyOnBusy": true, "addressId": "13", "directDialIds": ["101"], "timezone": "Europe/Berlin", "admin": true},
        {"id": "w1", "firstname": "Max", "lastname": "Muster", "email": "max@example.org", "defaultDevice": "e1",
         "busyOnBusy": false, "addressId": "1", "directDialIds": [], "timezone": "Europe/Berlin", "admin": "false", "extra": {"a": 1}}
    ]}))
}

async fn devices(State(state): State<Shared>, Path(user_id): Path<String>, req: Req) -> Response {
    admit!(state, req, b"", &["devices:read"]);
    let items = if user_id == "w1" {
        json!([{"id": "e1", "alias": "Desk phone", "type": "REGISTER", "online": true, "dnd": false,
                "activePhonelines": [{"id": "p1", "alias": "Max"}], "activeGroups": [{"id": "g0", "alias": "Support"}]}])
    } else {
        json!([])
    };
    ok_json(json!({ "items": items }))
}

async fn phonelines(State(state): State<Shared>, req: Req) -> Response {
    admit!(state, req, b"", &["phonelines:read"]);
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    if s.neo {
        return error(&s, 404);
    }
    ok_json(json!({"items": [{"id": "p1", "alias": "Max", "devicesUrl": "", "numbersUrl": ""}]}))
}

async fn groups(State(state): State<Shared>, req: Req) -> Response {
    admit!(state, req, b"", &["groups:read"]);
    ok_json(
        json!({"items": [{"id": "g0", "alias": "Support", "departmentId": 0, "groupNumbersUrl": "", "groupUsersUrl": ""}]}),
    )
}

async fn numbers(State(state): State<Shared>, req: Req, RawQuery(query): RawQuery) -> Response {
    admit!(state, req, b"", &["numbers:read"]);
    let all = [
        json!({"id": "1", "number": "+49211123456", "localized": "0211 123456", "type": "LANDLINE", "endpointId": "g0", "endpointAlias": "Support", "endpointUrl": ""}),
        json!({"id": "2", "number": "4915799912345", "localized": "01579 9912345", "type": "MOBILE", "endpointId": "p1", "endpointAlias": "Max", "endpointUrl": ""}),
        json!({"id": "3", "number": "+49211123457", "localized": "0211 123457", "type": "LANDLINE", "endpointId": "", "endpointAlias": "", "endpointUrl": ""}),
    ];
    let params: HashMap<String, String> =
        serde_urlencoded::from_str(&query.unwrap_or_default()).unwrap_or_default();
    let offset: usize = params
        .get("offset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let limit: usize = params
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let items: Vec<Value> = all.into_iter().skip(offset).take(limit).collect();
    ok_json(json!({ "items": items }))
}

async fn history(State(state): State<Shared>, req: Req, RawQuery(query): RawQuery) -> Response {
    admit!(state, req, b"", &["history:read"]);
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(&query.unwrap_or_default()).unwrap_or_default();
    let one = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let all = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let limit: usize = one("limit").and_then(|v| v.parse().ok()).unwrap_or(10);
    let offset: usize = one("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let s = state.lock().unwrap_or_else(|p| p.into_inner());
    if limit > 1000 {
        return error(&s, 400);
    }
    if s.neo {
        return ok_json(json!({"items": [], "totalCount": 0}));
    }
    let parse = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    };
    let from = one("from").as_deref().and_then(parse);
    let (types, directions) = (all("types"), all("directions"));
    let matching: Vec<Value> = s
        .history
        .iter()
        .filter(|e| {
            let text = |key: &str| {
                e.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let created = parse(&text("created"));
            (types.is_empty() || types.contains(&text("type")))
                && (directions.is_empty() || directions.contains(&text("direction")))
                && from.is_none_or(|from| created.is_some_and(|c| c >= from))
        })
        .cloned()
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching.into_iter().skip(offset).take(limit).collect();
    ok_json(json!({"items": items, "totalCount": total}))
}

async fn hang_up(State(state): State<Shared>, Path(call_id): Path<String>, req: Req) -> Response {
    admit!(state, req, b"", &["rtcm:write"]);
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    if s.live_calls.remove(&call_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(&s, 404)
    }
}

async fn dial(State(state): State<Shared>, req: Req, body: Bytes) -> Response {
    admit!(
        state,
        req,
        &body,
        &["sessions:write", "sessions:calls:write"]
    );
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(&s, 400);
    };
    let text = |key: &str| {
        request
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (caller, callee, device) = (text("caller"), text("callee"), text("deviceId"));
    let extension = |v: &str| {
        v.len() > 1 && "epxy".contains(&v[..1]) && v[1..].chars().all(|c| c.is_ascii_digit())
    };
    let number = |v: &str| {
        let digits = v.strip_prefix('+').unwrap_or(v);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    };
    if caller.is_empty() || callee.is_empty() || !number(&callee) {
        return error(&s, 400);
    }
    if !extension(&caller) && (!number(&caller) || device.is_empty()) {
        return error(&s, 400);
    }
    let made_up = format!("{:X}", 0x5204_6B02_140C_4329_u64 + s.journal.len() as u64);
    let session_id = s.next_session_id.take().unwrap_or(made_up);
    s.live_calls.insert(session_id.clone());
    ok_json(json!({ "sessionId": session_id }))
}
