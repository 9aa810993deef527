//! sipgate's call history (`GET /history`), read leniently and reduced to what repairs a call:
//! its call id, direction, numbers, start, whether someone picked up and for how long.

use serde::Deserialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::calls::HistoryFact;
use crate::sipgate::Direction;

/// One page of the history.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HistoryPage {
    /// The entries.
    pub items: Vec<HistoryEntry>,
    /// How many entries match in all.
    pub total_count: Option<u64>,
}

/// One history entry, as sipgate writes it (numbers with or without `+`, ids as strings or
/// numbers, fields that only calls have).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HistoryEntry {
    /// sipgate's id of the entry.
    pub id: Value,
    /// The caller.
    pub source: String,
    /// The number called.
    pub target: String,
    /// `CALL`, `VOICEMAIL`, `SMS`, `FAX`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `INCOMING`, `OUTGOING`, `MISSED_INCOMING`, `MISSED_OUTGOING`.
    pub direction: String,
    /// Whether it was incoming, when `direction` says nothing Klingel knows.
    pub incoming: Option<bool>,
    /// `PICKUP`, `NOPICKUP`, `BUSY`, `FORWARD`.
    pub status: String,
    /// When the call began (ISO 8601).
    pub created: String,
    /// The call's id, when the entry has one.
    pub call_id: Option<String>,
    /// Talk time in seconds (a number, possibly with a fraction).
    pub duration: Option<Value>,
    /// `SUCCESS`, `BUSY`, `MISSED`, …
    pub call_status: String,
}

impl HistoryEntry {
    /// What the entry tells about a call; `None` for other kinds of entries and for entries
    /// without a readable time.
    pub fn fact(&self) -> Option<HistoryFact> {
        if !self.kind.is_empty() && !self.kind.eq_ignore_ascii_case("CALL") {
            return None;
        }
        let started_at = OffsetDateTime::parse(self.created.trim(), &Rfc3339).ok()?;
        let direction = match self.direction.to_ascii_uppercase().as_str() {
            "INCOMING" | "MISSED_INCOMING" => Direction::In,
            "OUTGOING" | "MISSED_OUTGOING" => Direction::Out,
            _ if self.incoming == Some(false) => Direction::Out,
            _ => Direction::In,
        };
        let seconds = self
            .duration
            .as_ref()
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let missed = self.direction.to_ascii_uppercase().starts_with("MISSED");
        let answered = !missed
            && (self.status.eq_ignore_ascii_case("PICKUP")
                || (self.status.is_empty() && seconds > 0.0));
        let busy = self.status.eq_ignore_ascii_case("BUSY")
            || self.call_status.to_ascii_uppercase().starts_with("BUSY");
        Some(HistoryFact {
            entry_id: match &self.id {
                Value::String(id) => id.clone(),
                other => other.to_string(),
            },
            call_id: self.call_id.clone().filter(|id| !id.trim().is_empty()),
            direction,
            from: self.source.trim().to_string(),
            to: self.target.trim().to_string(),
            started_at,
            answered,
            talk: answered.then(|| Duration::seconds_f64(seconds.max(0.0))),
            busy,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(json: &str) -> HistoryEntry {
        serde_json::from_str(json).expect("lenient")
    }

    #[test]
    fn an_answered_call_carries_its_talk_time_and_call_id() {
        let fact = entry(
            r#"{"id":"100001234","source":"+492111234567","target":"+4921100000000","type":"CALL",
                "direction":"INCOMING","incoming":true,"status":"PICKUP","created":"2016-02-10T14:19:39Z",
                "callId":"54566B15","duration":83,"callStatus":"SUCCESS","labels":[],"extra":{}}"#,
        )
        .fact()
        .expect("a call");
        assert_eq!(fact.call_id.as_deref(), Some("54566B15"));
        assert_eq!(fact.direction, Direction::In);
        assert!(fact.answered);
        assert_eq!(fact.talk, Some(Duration::seconds(83)));
        assert_eq!(fact.entry_id, "100001234");
    }

    #[test]
    fn missed_busy_and_odd_entries_read_without_failing() {
        let missed = entry(
            r#"{"id":7,"source":"anonymous","target":"4921100000000","type":"CALL","direction":"MISSED_INCOMING",
                "status":"NOPICKUP","created":"2026-01-05T08:00:00+01:00"}"#,
        )
        .fact()
        .expect("a call");
        assert!(!missed.answered && missed.call_id.is_none());
        assert_eq!(missed.entry_id, "7");
        assert_eq!(missed.started_at.offset().whole_hours(), 1);
        let busy = entry(r#"{"type":"CALL","status":"BUSY","created":"2026-01-05T08:00:00Z","direction":"OUTGOING"}"#)
            .fact()
            .expect("a call");
        assert!(busy.busy && busy.direction == Direction::Out);
        assert!(entry(r#"{"type":"SMS","created":"2026-01-05T08:00:00Z"}"#)
            .fact()
            .is_none());
        assert!(entry(r#"{"type":"CALL","created":"yesterday"}"#)
            .fact()
            .is_none());
    }
}
