//! The `/api/v1/` routes desks use, behind per-desk bearer tokens.
//!
//! Errors are `{"code", "message"}` like the window's command errors, with the extra fields the
//! protocol names (`head_seq`/`horizon_seq` on 410, `current` on 412, `handled` on 409).

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::wire::{self, Hello, WireCall, WireContact, WireEvent};
use super::{FeedMessage, Hub};
use crate::domain::{
    CallFilter, CallKey, ContactId, ContactInput, Desk, Handled, HandledHow, LookupReport, Update,
};
use crate::error::{Error, ErrorBody, ErrorCode};
use crate::phone::PhoneNumber;
use crate::store::{desks, events, StoreError};

/// Events a stream may have rendered but not yet written to its socket.
const STREAM_BUFFER: usize = 64;
/// How often a desk's "last seen" and cursor are written while its stream is open.
const TOUCH_EVERY: Duration = Duration::from_secs(60);
/// Largest page of calls or contacts.
const MAX_PAGE: usize = 1000;

/// The routes, to nest under `/api/v1`.
pub fn routes(hub: Hub) -> Router {
    Router::new()
        .route("/hello", get(hello))
        .route("/events", get(events_stream))
        .route("/calls", get(calls))
        .route("/calls/{id}", get(call))
        .route("/calls/{id}/handle", post(handle))
        .route("/contacts", get(contacts).post(create_contact))
        .route(
            "/contacts/{id}",
            get(contact).put(update_contact).delete(delete_contact),
        )
        .route("/lookup", get(lookup))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .with_state(hub)
}

/// A refused API request.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    challenge: bool,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({"code": code, "message": message.into()}),
            challenge: false,
        }
    }

    fn with(mut self, key: &str, value: Value) -> Self {
        self.body[key] = value;
        self
    }

    fn unauthorized(message: &str) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message);
        e.challenge = true;
        e
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("hub request failed: {e}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the hub could not complete this; its log has details",
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match e.code() {
            ErrorCode::ContactNotFound | ErrorCode::CallNotFound => StatusCode::NOT_FOUND,
            ErrorCode::EmptyName
            | ErrorCode::InvalidNumber
            | ErrorCode::DuplicateNumber
            | ErrorCode::NotMissed => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::StaleVersion => StatusCode::PRECONDITION_FAILED,
            ErrorCode::AlreadyHandled => StatusCode::CONFLICT,
            ErrorCode::Storage | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut body = serde_json::to_value(ErrorBody::from(&e)).unwrap_or_else(|_| json!({}));
        if let Error::Store(StoreError::AlreadyHandled(handled)) = &e {
            body["handled"] = serde_json::to_value(handled).unwrap_or(Value::Null);
        }
        Self {
            status,
            body,
            challenge: false,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        Error::Store(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"Klingel desks\""),
            );
        }
        response
    }
}

/// Runs blocking store work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

/// The desk the request's bearer token belongs to: 401 for a missing or unknown token, 403
/// for a revoked desk. The token itself is never logged.
async fn authenticate(hub: &Hub, headers: &HeaderMap) -> Result<Desk, ApiError> {
    let token = super::token::bearer(headers)
        .ok_or_else(|| ApiError::unauthorized("a desk token is needed (Authorization: Bearer)"))?
        .to_string();
    let id = super::token::desk_id(&token)
        .ok_or_else(|| ApiError::unauthorized("unknown desk token"))?;
    let reader = hub.reader().clone();
    let found = blocking(move || Ok(reader.with(|conn| desks::credential(conn, id))?)).await?;
    match found {
        Some(credential) if super::token::matches(&token, &credential.token_hash) => {
            if credential.desk.revoked_at.is_some() {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "revoked",
                    format!("the desk {:?} was revoked", credential.desk.name),
                ))
            } else {
                Ok(credential.desk)
            }
        }
        _ => Err(ApiError::unauthorized("unknown desk token")),
    }
}

fn require(desk: &Desk, perm: &str) -> Result<(), ApiError> {
    if desk.perms.iter().any(|p| p == perm) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this desk may not {perm}"),
        ))
    }
}

async fn heads(hub: &Hub) -> Result<(i64, i64), ApiError> {
    let reader = hub.reader().clone();
    blocking(move || {
        Ok(reader.with(|conn| Ok((events::head_seq(conn)?, events::horizon_seq(conn)?)))?)
    })
    .await
}

async fn hello(State(hub): State<Hub>, headers: HeaderMap) -> Result<Json<Hello>, ApiError> {
    let desk = authenticate(&hub, &headers).await?;
    let (head_seq, horizon_seq) = heads(&hub).await?;
    Ok(Json(make_hello(&desk, head_seq, horizon_seq)))
}

fn make_hello(desk: &Desk, head_seq: i64, horizon_seq: i64) -> Hello {
    Hello {
        proto: wire::PROTO,
        hub: format!("klingel {}", env!("CARGO_PKG_VERSION")),
        desk: desk.into(),
        head_seq,
        horizon_seq,
        server_time: crate::time_fmt::now(),
    }
}

/// `?since=N` for the stream.
#[derive(Debug, Deserialize)]
struct EventsQuery {
    since: Option<i64>,
}

async fn events_stream(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Result<Response, ApiError> {
    let desk = authenticate(&hub, &headers).await?;
    let cursor = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(query.since);
    // Subscribed before the backlog is read: nothing committed in between can slip by.
    let feed = hub.subscribe();
    let (head_seq, horizon_seq) = heads(&hub).await?;
    if let Some(cursor) = cursor {
        // Below the horizon a delete may be gone; above the head the cursor is from another
        // database. Either way the desk starts over from a snapshot.
        if cursor < horizon_seq || cursor > head_seq {
            return Err(ApiError::new(
                StatusCode::GONE,
                "cursor_too_old",
                format!("cursor {cursor} is outside the kept history; take a snapshot"),
            )
            .with("head_seq", json!(head_seq))
            .with("horizon_seq", json!(horizon_seq)));
        }
    }
    let (tx, rx) = mpsc::channel(STREAM_BUFFER);
    let hello = make_hello(&desk, head_seq, horizon_seq);
    let stream = DeskStream {
        connected: hub.connect(desk.id),
        hub,
        desk: desk.id,
        last_sent: cursor.unwrap_or(head_seq),
        out: tx,
        touched: Instant::now(),
    };
    tokio::spawn(stream.run(hello, feed));
    let frames = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|frame| (Ok::<_, Infallible>(frame), rx))
    });
    let mut response = axum::body::Body::from_stream(frames).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The keep-alive interval: 15 s, or `KLINGEL_HUB_KEEPALIVE_MS` (for tests of dead links).
fn hub_keepalive() -> Duration {
    std::env::var("KLINGEL_HUB_KEEPALIVE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(15), Duration::from_millis)
}

/// One desk's open stream: replay from its cursor, `synced`, then live.
struct DeskStream {
    hub: Hub,
    desk: i64,
    last_sent: i64,
    out: mpsc::Sender<Bytes>,
    touched: Instant,
    #[allow(dead_code)] // held for its Drop: the desk counts as connected while it lives
    connected: super::Connected,
}

/// Why a stream ended.
enum Ended {
    /// The desk went away.
    Gone,
    /// Revoked, or the hub stops.
    Closed,
}

impl DeskStream {
    async fn run(mut self, hello: Hello, mut feed: tokio::sync::broadcast::Receiver<FeedMessage>) {
        let mut stopped = self.hub.stopped();
        let hello = serde_json::to_string(&hello).unwrap_or_default();
        let mut first = b"retry: 3000\n".to_vec();
        first.extend_from_slice(&wire::sse_frame(None, "hello", &hello));
        if self.out.send(Bytes::from(first)).await.is_err() {
            return;
        }
        // "Last seen" means now for a desk that just connected.
        self.touch(true);
        // Comments keep proxies and desks from taking a quiet stream for a dead one.
        let mut keep_alive = tokio::time::interval(hub_keepalive());
        keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        keep_alive.reset();
        let ended: Result<(), Ended> = async {
            self.catch_up().await?;
            let synced = json!({"head_seq": self.last_sent}).to_string();
            self.send(wire::sse_frame(None, "synced", &synced)).await?;
            loop {
                let message = tokio::select! {
                    message = feed.recv() => message,
                    _ = keep_alive.tick() => {
                        self.send(Bytes::from_static(b": ka\n\n")).await?;
                        continue;
                    }
                    _ = stopped.changed() => return Err(Ended::Closed),
                    // Only to notice a desk that went away while nothing happens.
                    () = self.out.closed() => return Err(Ended::Gone),
                };
                match message {
                    // The feed sends every row in seq order, and this stream subscribed before
                    // it read the backlog: what it has not sent yet comes next, without a gap.
                    Ok(FeedMessage::Event(event)) if event.seq > self.last_sent => {
                        self.send_event(&event).await?;
                    }
                    Ok(FeedMessage::Event(_)) => {}
                    Ok(FeedMessage::Revoked(ids)) if ids.contains(&self.desk) => {
                        return Err(Ended::Closed)
                    }
                    Ok(FeedMessage::Revoked(_)) => {}
                    // Fell behind the feed: the database has everything.
                    Err(RecvError::Lagged(_)) => self.catch_up().await?,
                    Err(RecvError::Closed) => return Err(Ended::Closed),
                }
                self.touch(false);
            }
        }
        .await;
        if let Err(Ended::Closed) = ended {
            tracing::debug!(desk = self.desk, "stream closed by the hub");
        }
        self.touch(true);
    }

    /// Sends every row after the cursor, read from the database in batches.
    async fn catch_up(&mut self) -> Result<(), Ended> {
        loop {
            let reader = self.hub.reader().clone();
            let numbers = self.hub.monitor().numbers();
            let after = self.last_sent;
            let rendered = tokio::task::spawn_blocking(move || {
                reader.with(|conn| {
                    let rows = events::since(conn, after, super::BATCH)?;
                    wire::render(conn, &rows, &numbers)
                })
            })
            .await;
            let rendered = match rendered {
                Ok(Ok(rendered)) => rendered,
                Ok(Err(e)) => {
                    tracing::warn!(desk = self.desk, "cannot replay events: {e}");
                    return Err(Ended::Closed);
                }
                Err(e) => {
                    tracing::warn!(desk = self.desk, "replay task failed: {e}");
                    return Err(Ended::Closed);
                }
            };
            if rendered.is_empty() {
                return Ok(());
            }
            for event in &rendered {
                self.send_event(event).await?;
            }
        }
    }

    async fn send_event(&mut self, event: &WireEvent) -> Result<(), Ended> {
        self.send(event.frame.clone()).await?;
        self.last_sent = event.seq;
        Ok(())
    }

    async fn send(&self, frame: Bytes) -> Result<(), Ended> {
        self.out.send(frame).await.map_err(|_| Ended::Gone)
    }

    /// Writes "last seen" and the cursor: at most once a minute, and when the stream ends.
    fn touch(&mut self, now: bool) {
        if !now && self.touched.elapsed() < TOUCH_EVERY {
            return;
        }
        self.touched = Instant::now();
        let store = self.hub.monitor().store().clone();
        let (desk, seq) = (self.desk, self.last_sent);
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.touch_desk(desk, Some(seq)) {
                tracing::debug!(desk, "cannot note the desk as seen: {e}");
            }
        });
    }
}

/// `GET /calls?limit=&before=&missed=`
#[derive(Debug, Deserialize)]
struct CallsQuery {
    limit: Option<usize>,
    before: Option<i64>,
    #[serde(default)]
    missed: bool,
}

async fn calls(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<CallsQuery>,
) -> Result<Json<Value>, ApiError> {
    authenticate(&hub, &headers).await?;
    let filter = CallFilter {
        limit: Some(query.limit.unwrap_or(200).clamp(1, MAX_PAGE)),
        missed: query.missed,
        before: query.before.map(CallKey),
        ..CallFilter::default()
    };
    let monitor = hub.monitor().clone();
    let reader = hub.reader().clone();
    blocking(move || {
        // The head first: whatever changes while the page is read arrives again as replay.
        let head_seq = reader.with(|conn| events::head_seq(conn))?;
        let calls: Vec<WireCall> = reader
            .calls(&filter, &monitor.numbers())?
            .into_iter()
            .map(WireCall::from)
            .collect();
        Ok(Json(json!({"head_seq": head_seq, "calls": calls})))
    })
    .await
}

fn with_etag(body: impl serde::Serialize, v: i64, status: StatusCode) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&wire::etag(v)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

async fn call(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    authenticate(&hub, &headers).await?;
    let monitor = hub.monitor().clone();
    let reader = hub.reader().clone();
    let call =
        blocking(
            move || Ok(reader.with(|conn| wire::call(conn, CallKey(id), &monitor.numbers()))?),
        )
        .await?;
    let v = call.call.v;
    Ok(with_etag(call, v, StatusCode::OK))
}

/// `POST /calls/{id}/handle`
#[derive(Debug, Deserialize)]
struct HandleBody {
    how: String,
    #[serde(default)]
    note: String,
}

async fn handle(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Option<Json<HandleBody>>,
) -> Result<Response, ApiError> {
    let desk = authenticate(&hub, &headers).await?;
    require(&desk, "calls.handle")?;
    let Some(Json(body)) = body else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "expected {\"how\": \"called_back\"|\"done\", \"note\": \"...\"}",
        ));
    };
    let how = HandledHow::parse(&body.how).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("how must be called_back or done, not {:?}", body.how),
        )
    })?;
    let handled = Handled {
        how,
        note: body.note,
        by_desk: Some(desk.id),
        by_name: desk.name.clone(),
        at: crate::time_fmt::now(),
    };
    let monitor = hub.monitor().clone();
    let call =
        blocking(move || Ok(WireCall::from(monitor.handle_call(CallKey(id), &handled)?))).await?;
    let v = call.call.v;
    Ok(with_etag(json!({"call": call}), v, StatusCode::OK))
}

/// `GET /contacts?q=&limit=&offset=`
#[derive(Debug, Deserialize)]
struct ContactsQuery {
    q: Option<String>,
    limit: Option<usize>,
    #[serde(default)]
    offset: usize,
}

async fn contacts(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<ContactsQuery>,
) -> Result<Json<Value>, ApiError> {
    authenticate(&hub, &headers).await?;
    let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let monitor = hub.monitor().clone();
    let reader = hub.reader().clone();
    blocking(move || {
        let head_seq = reader.with(|conn| events::head_seq(conn))?;
        let region = monitor.numbers().region;
        let search = query.q.as_deref().filter(|q| !q.trim().is_empty());
        let (found, total) = reader.contacts_page(search, region, query.offset, limit)?;
        let ids: Vec<i64> = found.iter().map(|c| c.id.0).collect();
        let versions =
            reader.with(|conn| events::versions(conn, events::EntityKind::Contact, &ids))?;
        let contacts: Vec<WireContact> = found
            .into_iter()
            .map(|contact| WireContact {
                v: versions.get(&contact.id.0).copied().unwrap_or(0),
                contact,
            })
            .collect();
        Ok(Json(
            json!({"head_seq": head_seq, "total": total, "contacts": contacts}),
        ))
    })
    .await
}

async fn contact(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    authenticate(&hub, &headers).await?;
    let reader = hub.reader().clone();
    let contact =
        blocking(move || Ok(reader.with(|conn| wire::contact(conn, ContactId(id)))?)).await?;
    let v = contact.v;
    Ok(with_etag(contact, v, StatusCode::OK))
}

/// The version an `If-Match` header names: 428 without one, 412 when it cannot be read.
fn if_match(headers: &HeaderMap) -> Result<i64, ApiError> {
    let value = headers.get(header::IF_MATCH).ok_or_else(|| {
        ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition_required",
            "send If-Match with the ETag of the contact you edited",
        )
    })?;
    value
        .to_str()
        .ok()
        .and_then(wire::parse_etag)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "stale_version",
                "If-Match names no version of this contact",
            )
        })
}

/// A stale write: 412 with the contact as it is now.
fn stale(hub: &Hub, id: ContactId, e: ApiError) -> ApiError {
    if e.status != StatusCode::PRECONDITION_FAILED {
        return e;
    }
    match hub.reader().with(|conn| wire::contact(conn, id)) {
        Ok(current) => e.with(
            "current",
            serde_json::to_value(current).unwrap_or(Value::Null),
        ),
        Err(_) => e,
    }
}

fn contacts_changed(hub: &Hub) {
    hub.monitor().publish(Update::ContactsChanged);
}

fn parse_input(body: Option<Json<ContactInput>>) -> Result<ContactInput, ApiError> {
    body.map(|Json(input)| input).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "expected a contact as JSON: {\"name\", \"company\", \"numbers\": [{\"typed\"}]}",
        )
    })
}

async fn create_contact(
    State(hub): State<Hub>,
    headers: HeaderMap,
    body: Option<Json<ContactInput>>,
) -> Result<Response, ApiError> {
    let desk = authenticate(&hub, &headers).await?;
    require(&desk, "contacts.write")?;
    let input = parse_input(body)?;
    let hub2 = hub.clone();
    let created = blocking(move || {
        let region = hub2.monitor().numbers().region;
        let added = hub2.monitor().store().add_contact(&input, region)?;
        contacts_changed(&hub2);
        Ok(hub2
            .monitor()
            .store()
            .with(|conn| wire::contact(conn, added.id))?)
    })
    .await?;
    let v = created.v;
    let location = format!("/api/v1/contacts/{}", created.contact.id);
    let mut response = with_etag(created, v, StatusCode::CREATED);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn update_contact(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Option<Json<ContactInput>>,
) -> Result<Response, ApiError> {
    let desk = authenticate(&hub, &headers).await?;
    require(&desk, "contacts.write")?;
    let expected = if_match(&headers).map_err(|e| stale(&hub, ContactId(id), e))?;
    let input = parse_input(body)?;
    let hub2 = hub.clone();
    let updated = blocking(move || {
        let region = hub2.monitor().numbers().region;
        let result =
            hub2.monitor()
                .store()
                .update_contact_if(ContactId(id), &input, region, Some(expected));
        match result {
            Ok(_) => {
                contacts_changed(&hub2);
                Ok(hub2
                    .monitor()
                    .store()
                    .with(|conn| wire::contact(conn, ContactId(id)))?)
            }
            Err(e) => Err(stale(&hub2, ContactId(id), e.into())),
        }
    })
    .await?;
    let v = updated.v;
    Ok(with_etag(updated, v, StatusCode::OK))
}

async fn delete_contact(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let desk = authenticate(&hub, &headers).await?;
    require(&desk, "contacts.write")?;
    let expected = if_match(&headers).map_err(|e| stale(&hub, ContactId(id), e))?;
    let hub2 = hub.clone();
    blocking(move || {
        match hub2
            .monitor()
            .store()
            .remove_contact_if(ContactId(id), Some(expected))
        {
            Ok(()) => {
                contacts_changed(&hub2);
                Ok(())
            }
            Err(e) => Err(stale(&hub2, ContactId(id), e.into())),
        }
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /lookup?number=`
#[derive(Debug, Deserialize)]
struct LookupQuery {
    number: String,
}

async fn lookup(
    State(hub): State<Hub>,
    headers: HeaderMap,
    Query(query): Query<LookupQuery>,
) -> Result<Json<LookupReport>, ApiError> {
    authenticate(&hub, &headers).await?;
    let monitor = hub.monitor().clone();
    let reader = hub.reader().clone();
    blocking(move || {
        let region = monitor.numbers().region;
        let number = PhoneNumber::parse(&query.number, region).map_err(|reason| {
            ApiError::from(Error::Number {
                input: query.number.clone(),
                reason,
            })
        })?;
        let hit = reader.lookup(&number)?;
        Ok(Json(LookupReport::new(&query.number, &number, hit, region)))
    })
    .await
}
