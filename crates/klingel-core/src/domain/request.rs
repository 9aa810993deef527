//! The requests the listener received, as the setup view and `klingeld requests` show them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One received request and what the listener made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// When it arrived.
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The peer's address (the tunnel, behind one).
    pub peer: Option<String>,
    /// The `event` parameter, when the body got that far.
    pub event: Option<String>,
    /// The `callId`, when the body got that far.
    pub call_id: Option<String>,
    /// Basic auth verdict, e.g. "ok", "missing", "not required".
    pub auth: String,
    /// Signature verdict, e.g. "ok (sipgate)", "mismatch", "not checked".
    pub signature: String,
    /// HTTP status answered.
    pub status: u16,
    /// Why a request was refused.
    pub reason: Option<String>,
    /// The body as text (lossy for non-UTF-8).
    pub body: String,
}

impl RequestRecord {
    /// A request just received, before any check has spoken.
    pub fn received(method: &str, path: &str, at: OffsetDateTime) -> Self {
        Self {
            received_at: at,
            method: method.to_string(),
            path: path.to_string(),
            peer: None,
            event: None,
            call_id: None,
            auth: "not required".into(),
            signature: "not checked".into(),
            status: 0,
            reason: None,
            body: String::new(),
        }
    }
}

/// A stored request with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredRequest {
    /// Row id, increasing.
    pub id: i64,
    /// The record.
    #[serde(flatten)]
    pub record: RequestRecord,
}
