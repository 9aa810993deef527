//! Desks of the office hub, and the missed-call to-do they share.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What a desk may do. v1 gives every desk all of them; the hub stores them per desk.
pub const DEFAULT_PERMS: [&str; 3] = ["read", "contacts.write", "calls.handle"];

/// A desk: the app or `klingeld watch` at someone's place, connected to the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Desk {
    /// Its id (part of its token).
    pub id: i64,
    /// The name it was added under, e.g. "Anna".
    pub name: String,
    /// The sipgate users (`w0`, `w1`, …) whose calls pop up there.
    pub sipgate_user_ids: Vec<String>,
    /// Every incoming call pops up there (a reception desk).
    pub all_calls: bool,
    /// What it may do.
    pub perms: Vec<String>,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was revoked; its token no longer works.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// When it last talked to the hub.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
    /// The last event the hub sent it.
    pub last_seq: Option<i64>,
}

/// How a missed call was dealt with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandledHow {
    /// Someone called back.
    CalledBack,
    /// Nothing more to do.
    Done,
}

impl HandledHow {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CalledBack => "called_back",
            Self::Done => "done",
        }
    }

    /// The inverse of [`HandledHow::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "called_back" => Some(Self::CalledBack),
            "done" => Some(Self::Done),
            _ => None,
        }
    }
}

/// The missed-call to-do, done: who, how and when. The first desk to mark a call wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handled {
    /// How.
    pub how: HandledHow,
    /// What they wrote (may be empty).
    pub note: String,
    /// The desk's id, when a desk did it.
    pub by_desk: Option<i64>,
    /// Who, as people read it (the desk's name).
    pub by_name: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}
