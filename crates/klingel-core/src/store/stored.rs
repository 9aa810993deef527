//! What the database holds of a call leg: a versioned JSON form of its own, apart from the
//! domain's [`Leg`], so that the domain and the wire may change without turning old rows
//! unreadable.
//!
//! Every field has a default and unknown fields are ignored, so a row written by an older or a
//! newer release still decodes. A change that cannot be expressed that way bumps [`VERSION`] and
//! comes with a migration that rewrites the rows.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::calls::{Leg, LegState};
use crate::sipgate::{Direction, RejectReason};

/// The stored form's version: 1 is the shape release 0.1 wrote (without the `v` field).
pub(crate) const VERSION: u32 = 1;

/// One leg as stored in `legs.leg`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct StoredLeg {
    v: u32,
    call_id: String,
    orig_call_id: Option<String>,
    xcid: Option<String>,
    direction: Option<String>,
    from: Option<String>,
    to: Option<String>,
    diversion: Option<String>,
    users: Vec<String>,
    user_ids: Vec<String>,
    full_user_ids: Vec<String>,
    state: String,
    #[serde(with = "time::serde::rfc3339::option")]
    started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    answered_at: Option<OffsetDateTime>,
    answered_by: Option<String>,
    answered_by_user_id: Option<String>,
    answering_number: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    ended_at: Option<OffsetDateTime>,
    cause: Option<String>,
    expired: bool,
    rejected: Option<String>,
    dtmf: String,
    /// Absent in rows written before test calls were kept apart: those were calls.
    test: bool,
    /// Absent before sipgate's history could repair calls: none was.
    repaired: bool,
    /// Absent before calls could come from sipgate's history: none did.
    from_history: bool,
    /// Absent before click-to-call: no leg was one.
    click_to_call: bool,
}

impl From<&Leg> for StoredLeg {
    fn from(leg: &Leg) -> Self {
        Self {
            v: VERSION,
            call_id: leg.call_id.clone(),
            orig_call_id: leg.orig_call_id.clone(),
            xcid: leg.xcid.clone(),
            direction: leg.direction.map(|d| d.as_str().to_string()),
            from: leg.from.clone(),
            to: leg.to.clone(),
            diversion: leg.diversion.clone(),
            users: leg.users.clone(),
            user_ids: leg.user_ids.clone(),
            full_user_ids: leg.full_user_ids.clone(),
            state: leg.state.as_str().to_string(),
            started_at: Some(leg.started_at),
            answered_at: leg.answered_at,
            answered_by: leg.answered_by.clone(),
            answered_by_user_id: leg.answered_by_user_id.clone(),
            answering_number: leg.answering_number.clone(),
            ended_at: leg.ended_at,
            cause: leg.cause.clone(),
            expired: leg.expired,
            rejected: leg.rejected.map(|r| r.as_str().to_string()),
            dtmf: leg.dtmf.clone(),
            test: leg.test,
            repaired: leg.repaired,
            from_history: leg.from_history,
            click_to_call: leg.click_to_call,
        }
    }
}

impl StoredLeg {
    /// Decodes a stored row; the error says what is missing.
    pub(crate) fn decode(json: &str) -> Result<Leg, String> {
        let stored: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        stored.into_leg()
    }

    /// Encodes a leg for storage.
    pub(crate) fn encode(leg: &Leg) -> String {
        // A struct of strings, numbers and lists always serialises.
        serde_json::to_string(&Self::from(leg)).unwrap_or_default()
    }

    fn into_leg(self) -> Result<Leg, String> {
        if self.v > VERSION {
            return Err(format!(
                "leg written by a newer Klingel (format {}, this one reads {VERSION})",
                self.v
            ));
        }
        if self.call_id.is_empty() {
            return Err("leg without a callId".into());
        }
        let started_at = self
            .started_at
            .ok_or_else(|| format!("leg {} without a start time", self.call_id))?;
        let state = match self.state.as_str() {
            "ringing" => LegState::Ringing,
            "answered" => LegState::Answered,
            // An unknown word can only come from a foreign write: a closed leg loses nothing.
            _ => LegState::Ended,
        };
        Ok(Leg {
            call_id: self.call_id,
            orig_call_id: self.orig_call_id,
            xcid: self.xcid,
            direction: self.direction.as_deref().and_then(Direction::from_wire),
            from: self.from,
            to: self.to,
            diversion: self.diversion,
            users: self.users,
            user_ids: self.user_ids,
            full_user_ids: self.full_user_ids,
            state,
            started_at,
            answered_at: self.answered_at,
            answered_by: self.answered_by,
            answered_by_user_id: self.answered_by_user_id,
            answering_number: self.answering_number,
            ended_at: self.ended_at,
            cause: self.cause,
            expired: self.expired,
            rejected: self.rejected.as_deref().map(|r| match r {
                "rejected" => RejectReason::Rejected,
                _ => RejectReason::Busy,
            }),
            dtmf: self.dtmf,
            test: self.test,
            repaired: self.repaired,
            from_history: self.from_history,
            click_to_call: self.click_to_call,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A leg exactly as release 0.1 wrote it (serde JSON of its `Leg`, no version field).
    const RELEASE_0_1: &str = r#"{"callId":"A1","origCallId":"A1","xcid":"aa01","direction":"in","from":"492111234567","to":"4921155500000","diversion":null,"users":["Alice","Bob"],"userIds":["w0","w1"],"fullUserIds":[],"state":"ended","startedAt":"2026-11-29T18:32:17.1Z","answeredAt":"2026-11-29T18:32:18.2Z","answeredBy":"Bob","answeredByUserId":"w1","answeringNumber":"4921155500001","endedAt":"2026-11-29T18:32:20.3Z","cause":"normalClearing","expired":false,"rejected":null,"dtmf":""}"#;

    #[test]
    fn a_leg_written_by_release_0_1_decodes_with_every_fact() {
        let leg = StoredLeg::decode(RELEASE_0_1).expect("the released shape must stay readable");
        assert_eq!(leg.call_id, "A1");
        assert_eq!(leg.state, LegState::Ended);
        assert_eq!(leg.direction, Some(Direction::In));
        assert_eq!(leg.users, vec!["Alice", "Bob"]);
        assert_eq!(leg.answered_by.as_deref(), Some("Bob"));
        assert_eq!(leg.cause.as_deref(), Some("normalClearing"));
        assert!(leg.answered_at.is_some() && leg.ended_at.is_some());
    }

    #[test]
    fn missing_and_unknown_fields_do_not_make_a_row_unreadable() {
        let leg = StoredLeg::decode(
            r#"{"callId":"X","state":"ringing","startedAt":"2026-11-29T18:00:00Z","someday":1}"#,
        )
        .expect("defaults fill what an older row lacks; unknown fields are ignored");
        assert_eq!(leg.state, LegState::Ringing);
        assert!(leg.users.is_empty() && leg.dtmf.is_empty() && !leg.expired);
        assert!(
            !leg.test,
            "rows from before test calls were kept apart are calls"
        );
    }

    #[test]
    fn a_row_from_a_newer_format_or_without_its_keys_is_refused_with_a_reason() {
        let newer = StoredLeg::decode(
            r#"{"v":99,"callId":"X","state":"ringing","startedAt":"2026-11-29T18:00:00Z"}"#,
        );
        assert!(
            newer.is_err_and(|e| e.contains("newer")),
            "never guess at a newer format"
        );
        let nameless = StoredLeg::decode(r#"{"state":"ringing"}"#);
        assert!(nameless.is_err_and(|e| e.contains("callId")));
    }

    #[test]
    fn encoding_then_decoding_gives_the_same_leg() {
        let mut leg = StoredLeg::decode(RELEASE_0_1).expect("decodes");
        leg.test = true;
        let again = StoredLeg::decode(&StoredLeg::encode(&leg)).expect("round trip");
        assert_eq!(again, leg, "nothing is lost between domain and stored form");
        assert!(
            StoredLeg::encode(&leg).contains(r#""v":1"#),
            "rows carry their version"
        );
    }
}
