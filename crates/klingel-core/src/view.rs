//! Everything a person reads about a call, derived once: the outcome as a stable code, the
//! caller as people know them, who was rung, the talk time. The window, the popup, the CLI and
//! the CSV export all render these with the words of [`crate::words`]; none derives its own.

use serde::{Deserialize, Serialize};

use crate::calls::{CallState, Summary, VOICEMAIL};
use crate::domain::{CallEntry, ContactMatch};
use crate::sipgate::Direction;
use crate::words::Words;

/// What happened to a call, as a code the faces map to their words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeCode {
    /// Ringing, nobody answered yet.
    Ringing,
    /// Someone is talking right now.
    Talking,
    /// Answered and over.
    Answered,
    /// An outgoing call nobody took.
    NotAnswered,
    /// An incoming call nobody took.
    Missed,
    /// The other side was busy.
    Busy,
    /// Turned away: a blocked caller, or the callee declined.
    Rejected,
    /// Taken by voicemail.
    Voicemail,
    /// Forwarded, to `by` when known.
    Forwarded,
    /// Over without a conversation worth naming.
    Ended,
    /// Never heard of again: closed because no `hangup` came.
    Expired,
}

impl OutcomeCode {
    /// Every code, for tests and word lists.
    pub const ALL: [OutcomeCode; 11] = [
        Self::Ringing,
        Self::Talking,
        Self::Answered,
        Self::NotAnswered,
        Self::Missed,
        Self::Busy,
        Self::Rejected,
        Self::Voicemail,
        Self::Forwarded,
        Self::Ended,
        Self::Expired,
    ];

    /// The code as it appears in JSON and in word keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Talking => "talking",
            Self::Answered => "answered",
            Self::NotAnswered => "not_answered",
            Self::Missed => "missed",
            Self::Busy => "busy",
            Self::Rejected => "rejected",
            Self::Voicemail => "voicemail",
            Self::Forwarded => "forwarded",
            Self::Ended => "ended",
            Self::Expired => "expired",
        }
    }

    /// Whether a person's name can go with this code ("answered by Bob", "forwarded to Marty").
    pub fn takes_name(self) -> bool {
        match self {
            Self::Talking | Self::Answered | Self::Forwarded => true,
            Self::Ringing
            | Self::NotAnswered
            | Self::Missed
            | Self::Busy
            | Self::Rejected
            | Self::Voicemail
            | Self::Ended
            | Self::Expired => false,
        }
    }
}

/// A call's outcome: the code and the details its words need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// What happened.
    pub code: OutcomeCode,
    /// Who answered, or where it was forwarded to.
    pub by: Option<String>,
    /// Who the call went through, leg by leg, when it went through more than one.
    pub via: Vec<String>,
    /// Closed by Klingel because no `hangup` came.
    pub expired: bool,
    /// A missed call nobody has marked seen.
    pub unseen: bool,
}

impl Outcome {
    /// The outcome of a call with these facts.
    pub fn of(summary: &Summary, path: &[String], seen: bool) -> Self {
        let incoming = summary.direction == Direction::In;
        let person = summary
            .answered_by
            .clone()
            .filter(|by| !by.is_empty() && !by.eq_ignore_ascii_case(VOICEMAIL));
        let (code, by) = match summary.state {
            CallState::Ringing => (OutcomeCode::Ringing, None),
            CallState::Answered if person.is_none() && summary.answered_by.is_some() => {
                (OutcomeCode::Voicemail, None)
            }
            // Our own user placed an outgoing call: who "answered" is the other side.
            CallState::Answered => (OutcomeCode::Talking, person.filter(|_| incoming)),
            CallState::Missed if incoming => (OutcomeCode::Missed, None),
            CallState::Missed => (OutcomeCode::NotAnswered, None),
            CallState::Busy => (OutcomeCode::Busy, None),
            CallState::Rejected => (OutcomeCode::Rejected, None),
            CallState::Voicemail => (OutcomeCode::Voicemail, None),
            CallState::Forwarded => match path.last() {
                Some(target) if target.eq_ignore_ascii_case(VOICEMAIL) => {
                    (OutcomeCode::Voicemail, None)
                }
                target => (OutcomeCode::Forwarded, target.cloned()),
            },
            CallState::Ended if summary.answered_at.is_some() => {
                (OutcomeCode::Answered, person.filter(|_| incoming))
            }
            CallState::Ended if summary.expired => (OutcomeCode::Expired, None),
            CallState::Ended if !incoming => (OutcomeCode::NotAnswered, None),
            CallState::Ended => (OutcomeCode::Ended, None),
        };
        Self {
            code,
            by,
            via: if path.len() > 1 {
                path.to_vec()
            } else {
                Vec::new()
            },
            // `expired` as a code already says it; as a note it qualifies an answered call.
            expired: summary.expired && code != OutcomeCode::Expired,
            unseen: summary.state == CallState::Missed && incoming && !seen,
        }
    }

    /// The word key: `outcome.<code>`, or `outcome.<code>By` when a name goes with it.
    pub fn key(&self) -> String {
        match &self.by {
            Some(_) if self.code.takes_name() => format!("outcome.{}By", self.code.as_str()),
            Some(_) | None => format!("outcome.{}", self.code.as_str()),
        }
    }

    /// The outcome in `words`, e.g. "answered by Bob".
    pub fn text(&self, words: &Words) -> String {
        words.text(&self.key(), &[("name", self.by.as_deref().unwrap_or(""))])
    }
}

/// Who the other party is to the people in the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    /// A contact of the book.
    Contact,
    /// A number nobody has named yet.
    Number,
    /// The caller withheld their number.
    Withheld,
    /// Nothing was sent at all.
    Unknown,
}

/// The other party as people know them: contact and company, else the number, else withheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// Which of the cases below.
    pub kind: PartyKind,
    /// The contact's name.
    pub name: Option<String>,
    /// The contact's company.
    pub company: Option<String>,
    /// The number as people write it.
    pub number: Option<String>,
    /// The contact is blocked.
    pub blocked: bool,
}

impl Party {
    /// The party of a call whose other side is `number` (shown form) and matches `contact`.
    pub fn of(contact: Option<&ContactMatch>, number: Option<&str>, withheld: bool) -> Self {
        let number = number.map(str::to_string);
        match contact {
            Some(hit) => Self {
                kind: PartyKind::Contact,
                name: Some(hit.contact.name.clone()),
                company: Some(hit.contact.company.clone()).filter(|c| !c.is_empty()),
                number,
                blocked: hit.contact.blocked,
            },
            None if withheld => Self {
                kind: PartyKind::Withheld,
                name: None,
                company: None,
                number: None,
                blocked: false,
            },
            None => Self {
                kind: if number.is_some() {
                    PartyKind::Number
                } else {
                    PartyKind::Unknown
                },
                name: None,
                company: None,
                number,
                blocked: false,
            },
        }
    }

    /// The name people read: the contact, else the number, else "withheld" / "unknown".
    pub fn label(&self, words: &Words) -> String {
        match (self.kind, &self.name, &self.number) {
            (PartyKind::Contact, Some(name), _) if !name.trim().is_empty() => name.clone(),
            (PartyKind::Number | PartyKind::Contact, _, Some(number)) => number.clone(),
            (PartyKind::Withheld, _, _) => words.text("calls.withheld", &[]),
            (PartyKind::Contact | PartyKind::Number | PartyKind::Unknown, _, _) => {
                words.text("calls.unknown", &[])
            }
        }
    }
}

/// The people rung (incoming) or calling (outgoing), without voicemail and blanks.
pub fn rung(summary: &Summary) -> Vec<String> {
    summary
        .users
        .iter()
        .map(|u| u.trim())
        .filter(|u| !u.is_empty() && !u.eq_ignore_ascii_case(VOICEMAIL))
        .map(str::to_string)
        .collect()
}

/// "4:07" or "1:02:03": how talk times are written everywhere outside the window.
pub fn duration(seconds: i64) -> String {
    let secs = seconds.max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// "1:02:05" / "0:04:07": talk times for spreadsheets, which read H:MM:SS as a time.
pub fn duration_hms(seconds: i64) -> String {
    let secs = seconds.max(0);
    format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The outcome line with its notes, as the CLI and the CSV export write it: "missed, called
/// back by Bob" / "answered by Marty (via Doc → Marty)".
pub fn outcome_line(call: &CallEntry, words: &Words) -> String {
    let outcome = &call.outcome;
    let mut text = outcome.text(words);
    if !outcome.via.is_empty() {
        text.push_str(&format!(
            " ({})",
            words.text("outcome.via", &[("path", &outcome.via.join(" → "))])
        ));
    }
    if outcome.expired {
        text.push_str(&format!(" {}", words.text("outcome.noHangup", &[])));
    }
    if call.called_back_at.is_some() {
        let note = match &call.called_back_by {
            Some(by) => words.text("outcome.calledBackBy", &[("name", by)]),
            None => words.text("outcome.calledBack", &[]),
        };
        text.push_str(&format!(", {note}"));
    }
    text
}
