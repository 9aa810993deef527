//! Whether a desk pops up a call update: the rule both desks (the app and `klingeld watch`)
//! share, decided on the desk from what `hello` told it about itself.
//!
//! A call pops up where it rings: one of the desk's sipgate users is among those it rang, or
//! the desk takes every call. It keeps updating there ("answered by Bob", closed on hangup, a
//! missed notice). Outgoing calls never pop. History replayed after a reconnect never pops,
//! except a call still ringing that started less than a minute ago.

use time::{Duration, OffsetDateTime};

use super::wire::{DeskInfo, WireCall};
use crate::calls::CallState;
use crate::sipgate::Direction;

/// How old a still-ringing call may be for a replay to pop it up (a desk waking mid-ring).
pub const FRESH_RING: Duration = Duration::seconds(60);

/// A desk's popup rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskPopups {
    user_ids: Vec<String>,
    all_calls: bool,
}

impl DeskPopups {
    /// The rule for the desk `hello` described.
    pub fn new(desk: &DeskInfo) -> Self {
        Self {
            user_ids: desk.sipgate_user_ids.clone(),
            all_calls: desk.all_calls,
        }
    }

    /// Whether `call` rings at this desk at all.
    pub fn rings_here(&self, call: &WireCall) -> bool {
        call.call.summary.direction == Direction::In
            && (self.all_calls
                || call
                    .ringing_for
                    .iter()
                    .any(|id| self.user_ids.iter().any(|mine| mine == id)))
    }

    /// Whether this update of `call` shows (or keeps updating) a popup at this desk.
    /// `replayed`: it arrived before the stream's `synced`.
    pub fn decide(&self, call: &WireCall, replayed: bool, now: OffsetDateTime) -> bool {
        if !self.rings_here(call) {
            return false;
        }
        if replayed {
            return call.call.summary.state == CallState::Ringing
                && now - call.call.summary.started_at < FRESH_RING;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Legs;
    use crate::domain::{CallEntry, CallKey};
    use crate::sipgate::{parse, BodyFormat, Parsed};

    fn desk(ids: &[&str], all_calls: bool) -> DeskPopups {
        DeskPopups::new(&DeskInfo {
            id: 1,
            name: "desk".into(),
            sipgate_user_ids: ids.iter().map(|s| s.to_string()).collect(),
            all_calls,
            perms: Vec::new(),
        })
    }

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).expect("valid time")
    }

    /// A call after `bodies`, pushed at one-second steps from t(0).
    fn call(bodies: &[&str]) -> WireCall {
        let mut legs = Legs::default();
        for (i, body) in bodies.iter().enumerate() {
            let push = match parse(body.as_bytes(), BodyFormat::Form) {
                Ok(Parsed::Push(push)) => push,
                other => panic!("fixture must parse: {other:?}"),
            };
            legs.apply(&push, t(i as i64), None);
        }
        let summary = legs.summary().expect("a call");
        WireCall::from(CallEntry::new(CallKey(1), summary, legs.path()))
    }

    const RING: &str = "event=newCall&direction=in&callId=c1&from=492111234567&to=4921199999&\
        user%5B%5D=Anna&user%5B%5D=Bob&userId%5B%5D=w0&userId%5B%5D=w2";
    const ANSWER: &str = "event=answer&direction=in&callId=c1&from=492111234567&to=4921199999&\
        user=Bob&userId=w2";
    const HANGUP: &str = "event=hangup&callId=c1&cause=normalClearing";
    const GIVE_UP: &str = "event=hangup&callId=c1&cause=cancel";
    const OUT: &str = "event=newCall&direction=out&callId=c2&from=4921199999&to=492111234567&\
        user%5B%5D=Anna&userId%5B%5D=w0";

    #[test]
    fn a_group_call_pops_up_where_it_rings_and_nowhere_else() {
        let (anna, bob, reception, carol) = (
            desk(&["w0"], false),
            desk(&["w2"], false),
            desk(&[], true),
            desk(&["w1"], false),
        );
        for stage in [
            call(&[RING]),
            call(&[RING, ANSWER]),
            call(&[RING, ANSWER, HANGUP]),
        ] {
            assert!(anna.decide(&stage, false, t(3)));
            assert!(bob.decide(&stage, false, t(3)));
            assert!(reception.decide(&stage, false, t(3)));
            assert!(!carol.decide(&stage, false, t(3)), "it never rang Carol");
        }
        let answered = call(&[RING, ANSWER]);
        let by = answered.answered_by.expect("answered");
        assert_eq!(
            (by.user_id.as_deref(), by.name.as_str()),
            (Some("w2"), "Bob")
        );
    }

    #[test]
    fn a_missed_call_notice_appears_only_where_it_rang() {
        let missed = call(&[RING, GIVE_UP]);
        assert_eq!(missed.call.summary.state, CallState::Missed);
        assert!(desk(&["w0"], false).decide(&missed, false, t(2)));
        assert!(!desk(&["w1"], false).decide(&missed, false, t(2)));
    }

    #[test]
    fn outgoing_calls_never_pop_up() {
        let out = call(&[OUT]);
        assert!(!desk(&["w0"], false).decide(&out, false, t(1)));
        assert!(!desk(&[], true).decide(&out, false, t(1)));
    }

    #[test]
    fn replay_pops_up_only_a_call_still_ringing_for_under_a_minute() {
        let anna = desk(&["w0"], false);
        let ringing = call(&[RING]);
        assert!(anna.decide(&ringing, true, t(30)), "woke mid-ring");
        assert!(!anna.decide(&ringing, true, t(61)), "too old to be real");
        let over = call(&[RING, ANSWER, HANGUP]);
        assert!(!anna.decide(&over, true, t(5)), "history never pops");
        assert!(!anna.decide(&call(&[RING, GIVE_UP]), true, t(5)));
    }
}
