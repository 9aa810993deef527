//! The hub's wire protocol (v1): the JSON desks receive, and how events are rendered from the
//! change log. Desks ignore fields they do not know, so fields may be added, never renamed.
//!
//! A call is sent in the shape `klingeld calls --json` prints, plus the protocol's own fields
//! (`ringing_for`, `answered_by`); a contact in the shape `klingeld contacts list --json` prints,
//! plus `v`.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::NumbersConfig;
use crate::domain::{CallEntry, CallKey, Contact, ContactId, Desk};
use crate::store::events::{self, EntityKind, EventRow};
use crate::store::{calls, contacts, Result, StoreError};

/// The protocol version this release speaks.
pub const PROTO: u32 = 1;

/// `GET /api/v1/hello`, and the stream's first event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Protocol version; a desk that knows a lower one asks its user to update.
    pub proto: u32,
    /// The hub's name and version, e.g. "klingel 0.1.0".
    pub hub: String,
    /// The desk asking.
    pub desk: DeskInfo,
    /// The newest event's `seq`.
    pub head_seq: i64,
    /// The lowest cursor a replay is complete for.
    pub horizon_seq: i64,
    /// The hub's clock.
    #[serde(with = "time::serde::rfc3339")]
    pub server_time: OffsetDateTime,
}

/// A desk as it learns about itself from `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskInfo {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The sipgate users whose calls pop up there.
    pub sipgate_user_ids: Vec<String>,
    /// Every incoming call pops up there.
    pub all_calls: bool,
    /// What it may do.
    pub perms: Vec<String>,
}

impl From<&Desk> for DeskInfo {
    fn from(desk: &Desk) -> Self {
        Self {
            id: desk.id,
            name: desk.name.clone(),
            sipgate_user_ids: desk.sipgate_user_ids.clone(),
            all_calls: desk.all_calls,
            perms: desk.perms.clone(),
        }
    }
}

/// Who answered, as far as the push said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnsweredBy {
    /// Their sipgate user id; `None` when the `answer` push did not name it.
    pub user_id: Option<String>,
    /// Their name ("voicemail" for the mailbox).
    pub name: String,
}

/// A call as desks receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireCall {
    /// The call as the log shows it.
    #[serde(flatten)]
    pub call: CallEntry,
    /// The sipgate user ids it rang (incoming) or that placed it (outgoing).
    pub ringing_for: Vec<String>,
    /// Who answered, once someone did.
    pub answered_by: Option<AnsweredBy>,
}

impl WireCall {
    /// The call as the log shows it.
    pub fn into_entry(self) -> CallEntry {
        self.call
    }
}

impl From<CallEntry> for WireCall {
    fn from(call: CallEntry) -> Self {
        let answered_by = call.summary.answered_by.clone().map(|name| AnsweredBy {
            user_id: call.summary.answered_by_user_id.clone(),
            name,
        });
        Self {
            ringing_for: call.summary.user_ids.clone(),
            answered_by,
            call,
        }
    }
}

/// A call that left the log (a removed test call).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallGone {
    /// Its id.
    pub id: CallKey,
    /// The version of its deletion.
    pub v: i64,
    /// Always true.
    pub deleted: bool,
}

/// A contact as desks receive it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireContact {
    /// The contact.
    #[serde(flatten)]
    pub contact: Contact,
    /// Its version (the `ETag` is `"v<v>"`).
    pub v: i64,
}

/// The data of a `contact` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum ContactEvent {
    /// Created or changed.
    Upsert {
        /// Its full current state.
        contact: WireContact,
    },
    /// Deleted.
    Delete {
        /// Its id.
        id: ContactId,
        /// The version of the deletion.
        v: i64,
    },
}

/// One event ready for the stream: its cursor, its SSE name, its JSON, and the SSE frame
/// itself, written once and sent to every desk as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireEvent {
    /// The hub `seq` (the SSE `id:`).
    pub seq: i64,
    /// `call` or `contact`.
    pub name: &'static str,
    /// One JSON object, on one line.
    pub data: String,
    /// `id: …`, `event: …`, `data: …` and the blank line that ends the event.
    pub frame: axum::body::Bytes,
}

/// An SSE frame: an optional `id`, the event name, and `data` on one line (compact JSON never
/// holds a line break; serde_json escapes them inside strings).
pub fn sse_frame(id: Option<i64>, name: &str, data: &str) -> axum::body::Bytes {
    let id = id.map(|id| format!("id: {id}\n")).unwrap_or_default();
    axum::body::Bytes::from(format!("{id}event: {name}\ndata: {data}\n\n"))
}

/// An entity's `ETag`: its version in quotes.
pub fn etag(v: i64) -> String {
    format!("\"v{v}\"")
}

/// The version an `If-Match` header names (`"v5"`, `v5`, `W/"v5"`); `None` when unreadable.
pub fn parse_etag(header: &str) -> Option<i64> {
    let text = header.trim();
    let text = text.strip_prefix("W/").unwrap_or(text);
    let text = text.trim_matches('"');
    text.strip_prefix('v')?.parse().ok()
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A call as desks see it now, with its version.
pub(crate) fn call(conn: &Connection, key: CallKey, numbers: &NumbersConfig) -> Result<WireCall> {
    Ok(WireCall::from(calls::entry(conn, key, numbers)?))
}

/// A contact as desks see it now, with its version.
pub(crate) fn contact(conn: &Connection, id: ContactId) -> Result<WireContact> {
    Ok(WireContact {
        contact: contacts::get(conn, id)?,
        v: events::version(conn, EntityKind::Contact, id.0)?,
    })
}

/// Renders change-log rows into stream events with the entities' current state. A row whose
/// entity vanished after the row was read is sent as a deletion.
pub(crate) fn render(
    conn: &Connection,
    rows: &[EventRow],
    numbers: &NumbersConfig,
) -> Result<Vec<WireEvent>> {
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let data = match row.kind {
            EntityKind::Call => {
                let found = if row.deleted {
                    None
                } else {
                    match call(conn, CallKey(row.entity), numbers) {
                        Ok(mut call) => {
                            // The row's seq is the version this event stands for, even if the
                            // call moved on meanwhile (its newer event follows).
                            call.call.v = call.call.v.max(row.seq);
                            Some(to_json(&call)?)
                        }
                        Err(StoreError::CallNotFound(_)) => None,
                        Err(e) => return Err(e),
                    }
                };
                found.map_or_else(
                    || {
                        to_json(&CallGone {
                            id: CallKey(row.entity),
                            v: row.seq,
                            deleted: true,
                        })
                    },
                    Ok,
                )?
            }
            EntityKind::Contact => {
                let found = if row.deleted {
                    None
                } else {
                    match contact(conn, ContactId(row.entity)) {
                        Ok(mut contact) => {
                            contact.v = contact.v.max(row.seq);
                            Some(contact)
                        }
                        Err(StoreError::ContactNotFound(_)) => None,
                        Err(e) => return Err(e),
                    }
                };
                to_json(&match found {
                    Some(contact) => ContactEvent::Upsert { contact },
                    None => ContactEvent::Delete {
                        id: ContactId(row.entity),
                        v: row.seq,
                    },
                })?
            }
        };
        out.push(WireEvent {
            seq: row.seq,
            name: row.kind.as_str(),
            frame: sse_frame(Some(row.seq), row.kind.as_str(), &data),
            data,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_read_back_in_the_forms_clients_send() {
        assert_eq!(etag(5), "\"v5\"");
        for header in ["\"v5\"", "v5", "W/\"v5\"", " \"v5\" "] {
            assert_eq!(parse_etag(header), Some(5), "{header}");
        }
        for bad in ["", "*", "\"5\"", "\"vx\""] {
            assert_eq!(parse_etag(bad), None, "{bad}");
        }
    }
}
