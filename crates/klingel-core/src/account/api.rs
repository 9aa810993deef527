//! sipgate's REST API over HTTPS: one request per call, blocking (never on the push path),
//! and every answer turned into data or an [`ApiError`] by its status code alone — sipgate's
//! error bodies are empty, JSON or HTML, so none is relied on.

use std::time::Duration;

use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use time::OffsetDateTime;

use super::history::{HistoryEntry, HistoryPage};
use super::wire::{AccountInfo, AccountNumber, Device, Group, Items, User, UserInfo};

/// sipgate's production API.
pub const DEFAULT_API_URL: &str = "https://api.sipgate.com/v2";

/// How long one request may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Numbers asked for per page; sipgate may clamp it, so a short page ends the listing.
const NUMBERS_PAGE: usize = 100;
/// History entries asked for per page (sipgate allows up to 1000).
const HISTORY_PAGE: usize = 200;
/// Pages read at most (a guard against an API that never ends a listing).
const MAX_PAGES: usize = 100;

/// Why a request to sipgate's API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The token id or the token is wrong (or the token was deleted).
    #[error("sipgate does not accept this token (401): check the token id and the token")]
    Unauthorized,
    /// The token lacks the scope for this request, or the feature is not booked.
    #[error("sipgate refused {what} (403)")]
    Forbidden {
        /// The request, as `GET /users`.
        what: String,
    },
    /// No such thing (a call that already ended, an unknown user).
    #[error("{what}: not found (404)")]
    NotFound {
        /// The request.
        what: String,
    },
    /// The request itself was refused as invalid.
    #[error("sipgate refused {what} as invalid (400)")]
    BadRequest {
        /// The request.
        what: String,
    },
    /// The account's balance does not cover the call (402).
    #[error("sipgate refused: the account's balance is too low (402)")]
    InsufficientFunds,
    /// Too many requests.
    #[error("sipgate asks to slow down (429){}", .retry_after.map(|s| format!(", retry in {s} s")).unwrap_or_default())]
    RateLimited {
        /// Seconds to wait, when sipgate says.
        retry_after: Option<u64>,
    },
    /// Any other status.
    #[error("sipgate answered {status} to {what}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The request.
        what: String,
    },
    /// No answer: DNS, connection, TLS or a timeout.
    #[error("cannot reach sipgate's API at {url}: {reason}")]
    Unreachable {
        /// The API's base URL.
        url: String,
        /// What failed.
        reason: String,
    },
    /// An answer that is not the JSON expected.
    #[error("sipgate's answer to {what} could not be read: {reason}")]
    Malformed {
        /// The request.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ApiError {
    /// The request reached sipgate and was answered: the API itself is up.
    pub fn answered(&self) -> bool {
        !matches!(self, Self::Unreachable { .. })
    }
}

/// A client for one account's token.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    authorization: String,
    agent: ureq::Agent,
}

impl Api {
    /// A client for the API at `base_url` (`[sipgate] api_url`) with a Personal Access Token.
    pub fn new(base_url: &str, token_id: &str, token: &str) -> Self {
        let credentials = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            token_id.trim(),
            token.trim()
        ));
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(TIMEOUT))
            .user_agent(concat!("Klingel/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            base: base_url.trim().trim_end_matches('/').to_string(),
            authorization: format!("Basic {credentials}"),
            agent: config.into(),
        }
    }

    /// Who the token belongs to; the check that the token works at all.
    pub fn userinfo(&self) -> Result<UserInfo, ApiError> {
        self.get("/authorization/userinfo", &[])
    }

    /// The account's company, product and history setting.
    pub fn account(&self) -> Result<AccountInfo, ApiError> {
        self.get("/account", &[])
    }

    /// The account's users.
    pub fn users(&self) -> Result<Vec<User>, ApiError> {
        Ok(self.get::<Items<User>>("/users", &[])?.items)
    }

    /// One user's devices.
    pub fn devices(&self, user_id: &str) -> Result<Vec<Device>, ApiError> {
        let path = format!("/{}/devices", segment(user_id));
        Ok(self.get::<Items<Device>>(&path, &[])?.items)
    }

    /// The account's groups.
    pub fn groups(&self) -> Result<Vec<Group>, ApiError> {
        Ok(self.get::<Items<Group>>("/groups", &[])?.items)
    }

    /// Every number of the account, page by page.
    pub fn numbers(&self) -> Result<Vec<AccountNumber>, ApiError> {
        self.all_pages(
            "/numbers",
            &[],
            NUMBERS_PAGE,
            |page: Items<AccountNumber>| page.items,
        )
    }

    /// The account's webhook settings, every field as sipgate sent it (unknown ones too, so a
    /// write can give them back unchanged).
    pub fn webhook_settings(&self) -> Result<Map<String, Value>, ApiError> {
        self.get("/settings/sipgateio", &[])
    }

    /// Writes the account's webhook settings whole.
    pub fn put_webhook_settings(&self, settings: &Map<String, Value>) -> Result<(), ApiError> {
        let path = "/settings/sipgateio";
        let request = self.authorized(self.agent.put(self.url(path)));
        self.send_json(request, &Value::Object(settings.clone()), "PUT", path)
            .map(|_| ())
    }

    /// Every call in the history since `from`, page by page (newest first, as sipgate lists).
    pub fn history_since(&self, from: OffsetDateTime) -> Result<Vec<HistoryEntry>, ApiError> {
        let from = from
            .to_offset(time::UtcOffset::UTC)
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(|e| malformed("GET /history", e))?;
        let query = [("types", "CALL"), ("from", from.as_str())];
        self.all_pages("/history", &query, HISTORY_PAGE, |page: HistoryPage| {
            page.items
        })
    }

    /// One call entry of the history, to learn whether the token may read it.
    pub fn history_probe(&self) -> Result<(), ApiError> {
        self.get::<Value>("/history", &[("types", "CALL"), ("limit", "1")])
            .map(|_| ())
    }

    /// Ends (or rejects, while it rings) the call `call_id` (`DELETE /calls/{callId}`).
    pub fn hang_up(&self, call_id: &str) -> Result<(), ApiError> {
        let path = format!("/calls/{}", segment(call_id));
        let sent = self.authorized(self.agent.delete(self.url(&path))).call();
        self.answered(sent, &format!("DELETE {path}")).map(|_| ())
    }

    /// Starts a click-to-call: `device` (`e0`) rings first, and once picked up sipgate calls
    /// `callee` (E.164 with `+`). Returns the session id, which is the call id its pushes carry.
    pub fn dial(&self, device: &str, callee: &str) -> Result<String, ApiError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Started {
            session_id: String,
        }
        let path = "/sessions/calls";
        let body = serde_json::json!({"caller": device, "callee": callee, "deviceId": device});
        let request = self.authorized(self.agent.post(self.url(path)));
        let response = self.send_json(request, &body, "POST", path)?;
        let started: Started = read_json(response, &format!("POST {path}"))?;
        Ok(started.session_id)
    }

    /// `GET path?query` as JSON.
    fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, ApiError> {
        let what = format!("GET {path}");
        let mut request = self.authorized(self.agent.get(self.url(path)));
        for (key, value) in query {
            request = request.query(*key, *value);
        }
        let response = self.answered(request.call(), &what)?;
        read_json(response, &what)
    }

    /// Every item of a listing, `per_page` at a time until a short page (sipgate may clamp
    /// the page size), at most [`MAX_PAGES`] pages.
    fn all_pages<P: DeserializeOwned, T>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        per_page: usize,
        items: impl Fn(P) -> Vec<T>,
    ) -> Result<Vec<T>, ApiError> {
        let limit = per_page.to_string();
        let mut all = Vec::new();
        for page in 0..MAX_PAGES {
            let offset = (page * per_page).to_string();
            let mut paged = query.to_vec();
            paged.extend([("offset", offset.as_str()), ("limit", limit.as_str())]);
            let got = items(self.get(path, &paged)?);
            let short = got.len() < per_page;
            all.extend(got);
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// A request with the token and asking for JSON.
    fn authorized<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        request
            .header("Authorization", &self.authorization)
            .header("Accept", "application/json")
    }

    /// Sends `body` as JSON; `method` and `path` name the request in errors.
    fn send_json(
        &self,
        request: ureq::RequestBuilder<ureq::typestate::WithBody>,
        body: &Value,
        method: &str,
        path: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, ApiError> {
        let sent = request
            .header("Content-Type", "application/json")
            .send(body.to_string().as_str());
        self.answered(sent, &format!("{method} {path}"))
    }

    /// The response to a request that was sent, if its status is a success.
    fn answered(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        what: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, ApiError> {
        let response = sent.map_err(|e| self.unreachable(e))?;
        check(what, &response)?;
        Ok(response)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn unreachable(&self, e: ureq::Error) -> ApiError {
        ApiError::Unreachable {
            url: self.base.clone(),
            reason: e.to_string(),
        }
    }
}

/// A path segment with anything but letters and digits percent-encoded.
fn segment(id: &str) -> String {
    utf8_percent_encode(id, NON_ALPHANUMERIC).to_string()
}

/// Turns a status into success or the error it stands for.
fn check<B>(what: &str, response: &ureq::http::Response<B>) -> Result<(), ApiError> {
    let status = response.status().as_u16();
    let what = what.to_string();
    match status {
        200..=299 => Ok(()),
        400 => Err(ApiError::BadRequest { what }),
        401 => Err(ApiError::Unauthorized),
        402 => Err(ApiError::InsufficientFunds),
        403 => Err(ApiError::Forbidden { what }),
        404 => Err(ApiError::NotFound { what }),
        429 => Err(ApiError::RateLimited {
            retry_after: response
                .headers()
                .get("Retry-After")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
        }),
        _ => Err(ApiError::Status { status, what }),
    }
}

/// A response's body as JSON of type `T`.
fn read_json<T: DeserializeOwned>(
    mut response: ureq::http::Response<ureq::Body>,
    what: &str,
) -> Result<T, ApiError> {
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| malformed(what, e))?;
    serde_json::from_str(&text).map_err(|e| malformed(what, e))
}

fn malformed(what: &str, e: impl std::fmt::Display) -> ApiError {
    ApiError::Malformed {
        what: what.to_string(),
        reason: e.to_string(),
    }
}
