//! What subscribers of a session hear: every change, published by the core itself.

use serde::Serialize;

use super::{CallEntry, StoredRequest};
use crate::calls::CallState;
use crate::sipgate::EventKind;

/// Why a call changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "event")]
pub enum UpdateCause {
    /// A push arrived.
    Push(#[serde(serialize_with = "serialize_event_kind")] EventKind),
    /// No `hangup` came in time; Klingel closed the call.
    Expired,
    /// A later outgoing call reached the missed caller.
    CalledBack,
    /// Someone marked the missed call seen.
    Seen,
    /// A desk marked the missed call handled (the office's shared to-do).
    Handled,
    /// sipgate's call history ended the call (no `hangup` came) or told of a call no push
    /// brought.
    Repaired,
}

fn serialize_event_kind<S: serde::Serializer>(
    kind: &EventKind,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// A call changed: its new look, the cause, and the state before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallUpdate {
    /// The call as the log now shows it.
    pub call: CallEntry,
    /// What changed it.
    pub cause: UpdateCause,
    /// Its state before (None for a new call).
    pub previous: Option<CallState>,
    /// At a desk of an office hub: whether the hub's rule pops it up here (None: this
    /// Klingel's own popup settings decide).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub popup: Option<bool>,
}

/// What subscribers hear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Update {
    /// A call changed.
    Call(Box<CallUpdate>),
    /// Contacts were edited: names in the log may read differently now.
    ContactsChanged,
    /// New settings are in force.
    SettingsChanged(Box<crate::config::Settings>),
    /// The listener started, stopped, failed or moved.
    Listener(crate::server::ListenerStatus),
    /// The listener recorded a request (for the setup view's list).
    Request(Box<StoredRequest>),
    /// Calls left the log (test calls removed): these ids are gone.
    CallsRemoved(Vec<super::CallKey>),
    /// At a desk: the link to the office hub changed (connected, offline, refused).
    Desk(Box<crate::hub::desk::DeskStatus>),
}
