//! The call state machine: pushes move legs, legs make a call.
//!
//! sipgate reports each leg (`callId`) separately; forwards, transfers and voicemail start new
//! legs tied to the first by `origCallId`/`xcid`. A call's state is derived from its legs every
//! time, so late, early or repeated pushes cannot leave it inconsistent. Pure: the time is an
//! argument and nothing here touches the store.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::sipgate::{Direction, Event, Push, RejectReason};

/// The `user[]` value sipgate uses for a voicemail leg.
pub(crate) const VOICEMAIL: &str = "voicemail";

/// Where one leg stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LegState {
    /// `newCall` seen, nobody picked up yet.
    Ringing,
    /// Picked up (`answer`).
    Answered,
    /// Over (`hangup`, rejected by us, or expired).
    Ended,
}

impl LegState {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Ended => "ended",
        }
    }
}

/// One sipgate call leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leg {
    /// sipgate's `callId`, opaque.
    pub call_id: String,
    /// The first leg's id, for forwarded or transferred legs.
    pub orig_call_id: Option<String>,
    /// Id shared by every leg of a forward chain.
    pub xcid: Option<String>,
    /// `in` or `out`, once a push said so.
    pub direction: Option<Direction>,
    /// Raw `from` as sent.
    pub from: Option<String>,
    /// Raw `to` as sent.
    pub to: Option<String>,
    /// The originally dialled number of a diverted call.
    pub diversion: Option<String>,
    /// Users rung (incoming) or calling (outgoing): `user[]`.
    pub users: Vec<String>,
    /// Their `userId[]`s.
    pub user_ids: Vec<String>,
    /// Their `fullUserId[]`s.
    pub full_user_ids: Vec<String>,
    /// Where the leg stands.
    pub state: LegState,
    /// When the leg was first heard of.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When it was answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    /// Who answered (`user` of the `answer` push).
    pub answered_by: Option<String>,
    /// The answering user's `userId`.
    pub answered_by_user_id: Option<String>,
    /// The number that answered (`answeringNumber`).
    pub answering_number: Option<String>,
    /// When it ended.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// The `hangup` cause, raw (unknown values are kept).
    pub cause: Option<String>,
    /// Closed by expiry because no `hangup` came.
    pub expired: bool,
    /// Klingel turned the caller away (blocked contact).
    pub rejected: Option<RejectReason>,
    /// DTMF digits received, in order.
    pub dtmf: String,
    /// Part of a test call (signed by the local test key).
    pub test: bool,
    /// Closed from sipgate's call history because no `hangup` came.
    pub repaired: bool,
    /// Known only from sipgate's call history: no push about it reached Klingel.
    pub from_history: bool,
    /// A call Klingel placed through sipgate (click-to-call): this leg rings one's own phone.
    pub click_to_call: bool,
}

impl Leg {
    fn new(push: &Push, state: LegState, at: OffsetDateTime) -> Self {
        let mut leg = Self {
            call_id: push.call_id.clone(),
            orig_call_id: None,
            xcid: None,
            direction: None,
            from: None,
            to: None,
            diversion: None,
            users: Vec::new(),
            user_ids: Vec::new(),
            full_user_ids: Vec::new(),
            state,
            started_at: at,
            answered_at: None,
            answered_by: None,
            answered_by_user_id: None,
            answering_number: None,
            ended_at: None,
            cause: None,
            expired: false,
            rejected: None,
            dtmf: String::new(),
            test: push.test,
            repaired: false,
            from_history: false,
            click_to_call: false,
        };
        leg.fill_from(push);
        leg
    }

    /// Ends this leg as sipgate's history tells it; returns whether anything changed. An open
    /// leg is closed, one that expiry closed blind gets its real end.
    fn repair(&mut self, fact: &HistoryFact) -> bool {
        if self.repaired || !(self.is_open() || self.expired) {
            return false;
        }
        let ended_at = if fact.answered {
            let answered_at = self.answered_at.unwrap_or(fact.started_at);
            self.answered_at = Some(answered_at);
            answered_at + fact.talk.unwrap_or(Duration::ZERO)
        } else {
            fact.started_at.max(self.started_at)
        };
        self.state = LegState::Ended;
        self.ended_at = Some(ended_at.max(self.started_at));
        self.expired = false;
        self.repaired = true;
        if fact.busy {
            self.cause = Some("busy".to_string());
        }
        true
    }

    /// Takes identifying fields a push carries that the leg does not know yet.
    fn fill_from(&mut self, push: &Push) -> bool {
        fn fill<T: Clone + PartialEq>(slot: &mut Option<T>, value: &Option<T>) -> bool {
            if slot.is_none() && value.is_some() {
                slot.clone_from(value);
                return true;
            }
            false
        }
        let mut changed = fill(&mut self.orig_call_id, &push.orig_call_id);
        changed |= fill(&mut self.xcid, &push.xcid);
        changed |= fill(&mut self.direction, &push.direction);
        changed |= fill(&mut self.from, &push.from);
        changed |= fill(&mut self.to, &push.to);
        changed |= fill(&mut self.diversion, &push.diversion);
        if let Event::NewCall {
            users,
            user_ids,
            full_user_ids,
        } = &push.event
        {
            if self.users.is_empty() && self.user_ids.is_empty() && !users.is_empty() {
                self.users.clone_from(users);
                self.user_ids.clone_from(user_ids);
                self.full_user_ids.clone_from(full_user_ids);
                changed = true;
            }
        }
        changed
    }

    fn is_open(&self) -> bool {
        match self.state {
            LegState::Ringing | LegState::Answered => true,
            LegState::Ended => false,
        }
    }

    /// A leg rung at sipgate's voicemail rather than a person.
    pub fn is_voicemail(&self) -> bool {
        self.users.iter().any(|u| u.eq_ignore_ascii_case(VOICEMAIL))
            || self
                .answered_by
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(VOICEMAIL))
    }

    fn answer(&mut self, push: &Push, at: OffsetDateTime) -> bool {
        let Event::Answer {
            user,
            user_id,
            answering_number,
            ..
        } = &push.event
        else {
            return false;
        };
        if self.answered_at.is_some() {
            return false; // a repeated answer changes nothing
        }
        self.answered_at = Some(at);
        self.answered_by.clone_from(user);
        self.answered_by_user_id.clone_from(user_id);
        self.answering_number.clone_from(answering_number);
        if self.state == LegState::Ringing {
            self.state = LegState::Answered;
        }
        true
    }

    fn hang_up(
        &mut self,
        cause: &Option<String>,
        answering_number: &Option<String>,
        at: OffsetDateTime,
    ) -> bool {
        match self.state {
            LegState::Ringing | LegState::Answered => {}
            // A real hangup after expiry corrects the guessed end; a repeat changes nothing.
            LegState::Ended if self.expired => {}
            LegState::Ended => return false,
        }
        self.state = LegState::Ended;
        self.ended_at = Some(at);
        self.cause.clone_from(cause);
        self.expired = false;
        if self.answering_number.is_none() {
            self.answering_number.clone_from(answering_number);
        }
        true
    }
}

/// What a call amounts to, for the log and for popups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallState {
    /// Ringing somewhere, nobody answered yet.
    Ringing,
    /// In progress with a person.
    Answered,
    /// Incoming, ended without anyone answering (never a test call).
    Missed,
    /// The other side was busy.
    Busy,
    /// Rejected: by Klingel (blocked caller) or by the callee (`noAnswer`, e.g. do-not-disturb).
    Rejected,
    /// Forwarded somewhere sipgate does not report on.
    Forwarded,
    /// Taken by voicemail.
    Voicemail,
    /// Over: talked, or an outgoing call nobody took, or closed without a `hangup`.
    Ended,
}

impl CallState {
    /// Every state, for tests and filters.
    pub const ALL: [CallState; 8] = [
        Self::Ringing,
        Self::Answered,
        Self::Missed,
        Self::Busy,
        Self::Rejected,
        Self::Forwarded,
        Self::Voicemail,
        Self::Ended,
    ];

    /// The stored and displayed word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Missed => "missed",
            Self::Busy => "busy",
            Self::Rejected => "rejected",
            Self::Forwarded => "forwarded",
            Self::Voicemail => "voicemail",
            Self::Ended => "ended",
        }
    }

    /// Whether the call may still change by itself (ringing or talking).
    pub fn is_live(self) -> bool {
        match self {
            Self::Ringing | Self::Answered => true,
            Self::Missed
            | Self::Busy
            | Self::Rejected
            | Self::Forwarded
            | Self::Voicemail
            | Self::Ended => false,
        }
    }
}

/// The legs of one call, in the order they started.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Legs(pub Vec<Leg>);

/// Call-level facts derived from the legs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Derived state.
    pub state: CallState,
    /// Direction of the first leg (incoming unless a push said otherwise).
    pub direction: Direction,
    /// The other party as sent: caller for incoming, callee for outgoing.
    pub remote: Option<String>,
    /// Our number: called for incoming, calling for outgoing.
    pub line: Option<String>,
    /// Users rung (incoming) or calling (outgoing) on the first leg.
    pub users: Vec<String>,
    /// Their `userId`s.
    pub user_ids: Vec<String>,
    /// First time anything was heard of the call.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// First time someone answered.
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    /// When the last leg ended (None while live).
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// The first person who answered, or "voicemail".
    pub answered_by: Option<String>,
    /// Their sipgate `userId`, when the `answer` push named it.
    #[serde(default)]
    pub answered_by_user_id: Option<String>,
    /// The number that answered.
    pub answering_number: Option<String>,
    /// The last leg's raw hangup cause.
    pub cause: Option<String>,
    /// Closed by expiry without a `hangup`.
    pub expired: bool,
    /// DTMF digits of all legs, in order.
    pub dtmf: String,
    /// A test call: sent with the local test key, never missed, never a call back.
    pub test: bool,
    /// Its end came from sipgate's call history, because no `hangup` came.
    #[serde(default)]
    pub repaired: bool,
    /// Known only from sipgate's call history (it happened while no push reached Klingel).
    #[serde(default)]
    pub from_history: bool,
    /// Placed by Klingel through sipgate (click-to-call): never a caller, never missed.
    #[serde(default)]
    pub click_to_call: bool,
    /// The account's full names for `users`, in the same order (empty: no account names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_names: Vec<String>,
    /// The account's full name for who answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_by_name: Option<String>,
}

#[cfg(test)]
impl Summary {
    /// A call in `state` first heard of at `started_at`, with nothing else known yet: tests
    /// fill in what they look at.
    pub(crate) fn bare(state: CallState, direction: Direction, started_at: OffsetDateTime) -> Self {
        Self {
            state,
            direction,
            remote: None,
            line: None,
            users: Vec::new(),
            user_ids: Vec::new(),
            started_at,
            answered_at: None,
            ended_at: None,
            answered_by: None,
            answered_by_user_id: None,
            answering_number: None,
            cause: None,
            expired: false,
            dtmf: String::new(),
            test: false,
            repaired: false,
            from_history: false,
            click_to_call: false,
            user_names: Vec::new(),
            answered_by_name: None,
        }
    }
}

impl Summary {
    /// Who was rung (or called out), by the account's full names where it has them, else as
    /// the pushes named them.
    pub fn people(&self) -> &[String] {
        if self.user_names.is_empty() {
            &self.users
        } else {
            &self.user_names
        }
    }

    /// Talk time: answer to end, when both are known.
    pub fn duration(&self) -> Option<Duration> {
        Some(self.ended_at? - self.answered_at?)
    }
}

/// One call as sipgate's history (`GET /history`) tells it, reduced to what repairs a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryFact {
    /// sipgate's id of the history entry.
    pub entry_id: String,
    /// The call id, when the entry carries one (the push's `callId`, as far as known).
    pub call_id: Option<String>,
    /// Incoming or outgoing.
    pub direction: Direction,
    /// The caller, as sipgate writes it.
    pub from: String,
    /// The number called.
    pub to: String,
    /// When the call began.
    pub started_at: OffsetDateTime,
    /// Someone picked up.
    pub answered: bool,
    /// How long they talked.
    pub talk: Option<Duration>,
    /// The line was busy.
    pub busy: bool,
}

/// How long legs may stay open without news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// Longest ring without an `answer` or `hangup`.
    pub ring: Duration,
    /// Longest answered leg without a `hangup`.
    pub call: Duration,
}

impl Legs {
    /// The leg with this `callId`.
    pub fn leg(&self, call_id: &str) -> Option<&Leg> {
        self.0.iter().find(|leg| leg.call_id == call_id)
    }

    /// Applies one push; `rejected` says Klingel turned this `newCall` away. Returns whether
    /// anything changed (a repeated push changes nothing).
    pub fn apply(
        &mut self,
        push: &Push,
        at: OffsetDateTime,
        rejected: Option<RejectReason>,
    ) -> bool {
        let index = match self.0.iter().position(|leg| leg.call_id == push.call_id) {
            Some(index) => index,
            None => {
                // Without its newCall (lost or late) a leg starts where this push says it is.
                let state = match &push.event {
                    Event::NewCall { .. } | Event::Answer { .. } => LegState::Ringing,
                    Event::Dtmf { .. } => LegState::Answered,
                    Event::Hangup { .. } => LegState::Ended,
                };
                let mut leg = Leg::new(push, state, at);
                match &push.event {
                    Event::Answer { .. } => {
                        leg.answer(push, at);
                    }
                    Event::Hangup {
                        cause,
                        answering_number,
                    } => {
                        leg.ended_at = Some(at);
                        leg.cause.clone_from(cause);
                        leg.answering_number.clone_from(answering_number);
                    }
                    Event::Dtmf { digits } => leg.dtmf.push_str(digits),
                    Event::NewCall { .. } => Self::reject(&mut leg, rejected, at),
                }
                self.0.push(leg);
                self.0.sort_by_key(|leg| leg.started_at);
                return true;
            }
        };
        let leg = &mut self.0[index];
        let mut changed = leg.fill_from(push);
        changed |= match &push.event {
            Event::NewCall { .. } => {
                // A late newCall: the leg may have been created by an earlier answer/hangup;
                // it started no later than now.
                let earlier = at < leg.started_at;
                if earlier {
                    leg.started_at = at;
                }
                earlier
            }
            Event::Answer { .. } => leg.answer(push, at),
            Event::Hangup {
                cause,
                answering_number,
            } => leg.hang_up(cause, answering_number, at),
            Event::Dtmf { digits } => {
                leg.dtmf.push_str(digits);
                !digits.is_empty()
            }
        };
        if changed {
            self.0.sort_by_key(|leg| leg.started_at);
        }
        changed
    }

    fn reject(leg: &mut Leg, rejected: Option<RejectReason>, at: OffsetDateTime) {
        if let Some(reason) = rejected {
            leg.rejected = Some(reason);
            leg.state = LegState::Ended;
            leg.ended_at = Some(at);
        }
    }

    /// Closes legs that have been open longer than `limits` allow; returns whether any closed.
    pub fn expire(&mut self, at: OffsetDateTime, limits: Expiry) -> bool {
        let mut changed = false;
        for leg in &mut self.0 {
            let due = match leg.state {
                LegState::Ringing => at - leg.started_at >= limits.ring,
                LegState::Answered => at - leg.answered_at.unwrap_or(leg.started_at) >= limits.call,
                LegState::Ended => false,
            };
            if due {
                leg.state = LegState::Ended;
                leg.ended_at = Some(at);
                leg.expired = true;
                changed = true;
            }
        }
        changed
    }

    /// The earliest moment one of the open legs would expire.
    pub fn expires_at(&self, limits: Expiry) -> Option<OffsetDateTime> {
        self.0
            .iter()
            .filter_map(|leg| match leg.state {
                LegState::Ringing => Some(leg.started_at + limits.ring),
                LegState::Answered => Some(leg.answered_at.unwrap_or(leg.started_at) + limits.call),
                LegState::Ended => None,
            })
            .min()
    }

    /// Derives the call's state and facts. `None` only for a call with no legs.
    pub fn summary(&self) -> Option<Summary> {
        let first = self.0.first()?;
        let direction = self
            .0
            .iter()
            .find_map(|leg| leg.direction)
            .unwrap_or(Direction::In);
        let pick =
            |get: fn(&Leg) -> &Option<String>| self.0.iter().find_map(|leg| get(leg).clone());
        let (remote, line) = match direction {
            Direction::In => (pick(|l| &l.from), pick(|l| &l.to)),
            Direction::Out => (pick(|l| &l.to), pick(|l| &l.from)),
        };
        let ringing_leg = self
            .0
            .iter()
            .find(|leg| !leg.users.is_empty())
            .unwrap_or(first);
        let answered: Vec<&Leg> = self
            .0
            .iter()
            .filter(|leg| leg.answered_at.is_some())
            .collect();
        let person = answered.iter().find(|leg| !leg.is_voicemail());
        let voicemail = answered.iter().find(|leg| leg.is_voicemail());
        let last = self
            .0
            .iter()
            .max_by_key(|leg| (leg.ended_at.unwrap_or(leg.started_at), leg.started_at))
            .unwrap_or(first);
        let open = self.0.iter().any(Leg::is_open);
        let test = self.0.iter().any(|leg| leg.test);
        let click_to_call = self.0.iter().any(|leg| leg.click_to_call);
        let state = if self.0.iter().any(|leg| leg.rejected.is_some()) {
            CallState::Rejected
        } else if open {
            let talking: Vec<&Leg> = self
                .0
                .iter()
                .filter(|leg| leg.state == LegState::Answered)
                .collect();
            if talking.is_empty() {
                CallState::Ringing
            } else if talking.iter().all(|leg| leg.is_voicemail()) {
                CallState::Voicemail
            } else {
                CallState::Answered
            }
        } else if person.is_some() {
            CallState::Ended
        } else if voicemail.is_some() {
            CallState::Voicemail
        } else if last.expired {
            CallState::Ended
        } else {
            match last.cause.as_deref() {
                Some("busy") => CallState::Busy,
                // Only ever sent after a conversation: the answer push got lost.
                Some("normalClearing") => CallState::Ended,
                Some("noAnswer") => CallState::Rejected,
                Some("forwarded") => CallState::Forwarded,
                _ => match direction {
                    // Nobody owes a test call a call back, nor one's own click-to-call.
                    Direction::In if test || click_to_call => CallState::Ended,
                    Direction::In => CallState::Missed,
                    Direction::Out => CallState::Ended,
                },
            }
        };
        let answered_by = person
            .or(voicemail)
            .map(|leg| {
                leg.answered_by
                    .clone()
                    .filter(|u| !u.is_empty())
                    .unwrap_or_else(|| {
                        if leg.is_voicemail() {
                            VOICEMAIL.to_string()
                        } else {
                            leg.users.first().cloned().unwrap_or_default()
                        }
                    })
            })
            .filter(|u| !u.is_empty());
        let answered_by_user_id = person
            .or(voicemail)
            .and_then(|leg| leg.answered_by_user_id.clone())
            .filter(|id| !id.is_empty());
        Some(Summary {
            answered_by_user_id,
            state,
            direction,
            remote,
            line,
            users: ringing_leg.users.clone(),
            user_ids: ringing_leg.user_ids.clone(),
            started_at: self
                .0
                .iter()
                .map(|leg| leg.started_at)
                .min()
                .unwrap_or(first.started_at),
            answered_at: answered.iter().filter_map(|leg| leg.answered_at).min(),
            ended_at: if open {
                None
            } else {
                self.0.iter().filter_map(|leg| leg.ended_at).max()
            },
            answered_by,
            answering_number: person
                .or(voicemail)
                .and_then(|leg| leg.answering_number.clone()),
            cause: if open { None } else { last.cause.clone() },
            expired: !open && last.expired,
            dtmf: self.0.iter().map(|leg| leg.dtmf.as_str()).collect(),
            test,
            repaired: self.0.iter().any(|leg| leg.repaired),
            from_history: self.0.iter().all(|leg| leg.from_history),
            click_to_call,
            user_names: Vec::new(),
            answered_by_name: None,
        })
    }

    /// Marks the leg `call_id` as one's own phone ringing for a click-to-call; returns whether
    /// that changed anything.
    pub fn mark_click_to_call(&mut self, call_id: &str) -> bool {
        match self.0.iter_mut().find(|leg| leg.call_id == call_id) {
            Some(leg) if !leg.click_to_call => {
                leg.click_to_call = true;
                true
            }
            _ => false,
        }
    }

    /// Ends the call as sipgate's history tells it: the leg `fact` names by its call id, or,
    /// when the history entry has none that Klingel knows, every leg left open. Returns
    /// whether anything changed.
    pub fn repair(&mut self, fact: &HistoryFact) -> bool {
        let named = fact
            .call_id
            .as_deref()
            .and_then(|id| self.0.iter().position(|leg| leg.call_id == id));
        let changed = match named {
            Some(index) => self.0[index].repair(fact),
            None => {
                // Every open leg, not just the first that changes.
                let mut changed = false;
                for leg in &mut self.0 {
                    changed |= leg.repair(fact);
                }
                changed
            }
        };
        if changed {
            self.0.sort_by_key(|leg| leg.started_at);
        }
        changed
    }

    /// A call Klingel never heard of, as sipgate's history tells it.
    pub fn from_history(fact: &HistoryFact) -> Self {
        let ended_at = if fact.answered {
            fact.started_at + fact.talk.unwrap_or(Duration::ZERO)
        } else {
            fact.started_at
        };
        Self(vec![Leg {
            call_id: fact
                .call_id
                .clone()
                .unwrap_or_else(|| format!("history:{}", fact.entry_id)),
            orig_call_id: None,
            xcid: None,
            direction: Some(fact.direction),
            from: Some(fact.from.clone()).filter(|f| !f.is_empty()),
            to: Some(fact.to.clone()).filter(|t| !t.is_empty()),
            diversion: None,
            users: Vec::new(),
            user_ids: Vec::new(),
            full_user_ids: Vec::new(),
            state: LegState::Ended,
            started_at: fact.started_at,
            answered_at: fact.answered.then_some(fact.started_at),
            answered_by: None,
            answered_by_user_id: None,
            answering_number: None,
            ended_at: Some(ended_at),
            cause: fact.busy.then(|| "busy".to_string()),
            expired: false,
            rejected: None,
            dtmf: String::new(),
            test: false,
            repaired: false,
            from_history: true,
            click_to_call: false,
        }])
    }

    /// Who the call went to, leg by leg: users rung or who answered, e.g. ["Doc", "voicemail"].
    pub fn path(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|leg| {
                leg.answered_by
                    .clone()
                    .filter(|u| !u.is_empty())
                    .or_else(|| {
                        let users: Vec<&str> = leg
                            .users
                            .iter()
                            .map(String::as_str)
                            .filter(|u| !u.is_empty())
                            .collect();
                        (!users.is_empty()).then(|| users.join(", "))
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sipgate::{parse, BodyFormat, Parsed};

    fn push(body: &str) -> Push {
        match parse(body.as_bytes(), BodyFormat::Form) {
            Ok(Parsed::Push(push)) => push,
            other => panic!("test body must parse as a push: {other:?}"),
        }
    }

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000 + secs).expect("valid time")
    }

    const LIMITS: Expiry = Expiry {
        ring: Duration::seconds(300),
        call: Duration::seconds(3600),
    };

    /// Applies pushes at one-second steps and returns the legs.
    fn run(bodies: &[&str]) -> Legs {
        let mut legs = Legs::default();
        for (i, body) in bodies.iter().enumerate() {
            legs.apply(&push(body), t(i as i64 * 10), None);
        }
        legs
    }

    fn state(legs: &Legs) -> CallState {
        legs.summary()
            .expect("a call with legs has a summary")
            .state
    }

    const NEW_A: &str = "event=newCall&direction=in&from=492111234567&to=4921155500000&callId=A&origCallId=A&user%5B%5D=Alice&user%5B%5D=Bob&userId%5B%5D=w0&userId%5B%5D=w1&xcid=x1";
    const ANSWER_A_BOB: &str = "event=answer&direction=in&from=492111234567&to=4921155500000&callId=A&user=Bob&userId=w1&answeringNumber=4921155500001";

    #[test]
    fn answered_call_ends_with_who_answered_and_duration() {
        let legs = run(&[
            NEW_A,
            ANSWER_A_BOB,
            "event=hangup&callId=A&cause=normalClearing&direction=in",
        ]);
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Ended,
            "a talked call is over after its hangup"
        );
        assert_eq!(
            summary.answered_by.as_deref(),
            Some("Bob"),
            "the log says who picked up"
        );
        assert_eq!(
            summary.duration(),
            Some(Duration::seconds(10)),
            "talk time runs from answer to hangup"
        );
        assert_eq!(
            summary.remote.as_deref(),
            Some("492111234567"),
            "incoming: the caller is `from`"
        );
        assert_eq!(summary.users, vec!["Alice", "Bob"], "who was rung is kept");
        assert_eq!(summary.cause.as_deref(), Some("normalClearing"));
    }

    #[test]
    fn group_call_answered_by_one_user_is_answered() {
        let legs = run(&[NEW_A, ANSWER_A_BOB]);
        assert_eq!(
            state(&legs),
            CallState::Answered,
            "someone of the group picked up"
        );
        assert_eq!(
            legs.summary().expect("summary").answered_by.as_deref(),
            Some("Bob")
        );
    }

    #[test]
    fn caller_giving_up_before_answer_is_missed() {
        let legs = run(&[NEW_A, "event=hangup&callId=A&cause=cancel&direction=in"]);
        assert_eq!(
            state(&legs),
            CallState::Missed,
            "incoming, nobody answered, caller hung up"
        );
    }

    #[test]
    fn busy_and_no_answer_causes_read_as_busy_and_rejected() {
        let busy = run(&[NEW_A, "event=hangup&callId=A&cause=busy"]);
        assert_eq!(state(&busy), CallState::Busy);
        let dnd = run(&[NEW_A, "event=hangup&callId=A&cause=noAnswer"]);
        assert_eq!(
            state(&dnd),
            CallState::Rejected,
            "noAnswer is sipgate's word for a rejected call"
        );
    }

    #[test]
    fn unanswered_outgoing_call_is_not_a_missed_call() {
        let legs = run(&[
            "event=newCall&direction=out&from=4921155500000&to=4930123456&callId=O&user%5B%5D=Bob",
            "event=hangup&direction=out&callId=O&cause=cancel",
        ]);
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Ended,
            "missed is for incoming calls only"
        );
        assert_eq!(
            summary.remote.as_deref(),
            Some("4930123456"),
            "outgoing: the other party is `to`"
        );
        assert_eq!(summary.line.as_deref(), Some("4921155500000"));
    }

    #[test]
    fn forward_to_voicemail_is_one_call_ending_in_voicemail() {
        let mut legs = run(&[
            "event=newCall&direction=in&from=4917800000&to=4920300000&callId=A&origCallId=A&user%5B%5D=Oliver&userId%5B%5D=w1&xcid=5aada1e696b94cec",
            "event=hangup&callId=A&cause=forwarded&direction=in&origCallId=A&xcid=5aada1e696b94cec",
        ]);
        assert_eq!(
            state(&legs),
            CallState::Forwarded,
            "between the legs the call sits forwarded"
        );
        for (i, body) in [
            "event=newCall&direction=in&from=4917800000&to=4920300000&callId=B&origCallId=A&user%5B%5D=voicemail&xcid=5aada1e696b94cec&diversion=4920300000",
            "event=answer&callId=B&direction=in&user=voicemail&origCallId=A",
        ]
        .iter()
        .enumerate()
        {
            legs.apply(&push(body), t(30 + i as i64), None);
        }
        assert_eq!(state(&legs), CallState::Voicemail, "voicemail is recording");
        legs.apply(
            &push("event=hangup&callId=B&cause=normalClearing"),
            t(60),
            None,
        );
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Voicemail,
            "the caller left a message"
        );
        assert_eq!(summary.answered_by.as_deref(), Some("voicemail"));
        assert_eq!(
            legs.path(),
            vec!["Oliver", "voicemail"],
            "the path shows where the call went"
        );
        assert_eq!(
            summary.users,
            vec!["Oliver"],
            "the line rung first is what people expect to see"
        );
    }

    #[test]
    fn attended_transfer_keeps_the_first_answerer_and_ends_after_both_legs() {
        let legs = run(&[
            "event=newCall&direction=in&from=4930111&to=4921155500000&callId=A&origCallId=A&user%5B%5D=Alice",
            "event=answer&callId=A&user=Alice",
            "event=newCall&direction=in&from=4930111&to=4921155500000&callId=B&origCallId=A&user%5B%5D=Bob",
            "event=answer&callId=B&user=Bob",
            "event=hangup&callId=A&cause=normalClearing",
        ]);
        assert_eq!(
            state(&legs),
            CallState::Answered,
            "Bob still talks after Alice left"
        );
        let mut legs = legs;
        legs.apply(
            &push("event=hangup&callId=B&cause=normalClearing"),
            t(100),
            None,
        );
        let summary = legs.summary().expect("summary");
        assert_eq!(summary.state, CallState::Ended);
        assert_eq!(
            summary.answered_by.as_deref(),
            Some("Alice"),
            "the first person who took the call"
        );
        assert_eq!(
            legs.path(),
            vec!["Alice", "Bob"],
            "the transfer shows as a path"
        );
        assert_eq!(
            summary.ended_at,
            Some(t(100)),
            "the call ends with its last leg"
        );
    }

    #[test]
    fn repeated_pushes_change_nothing() {
        let mut legs = Legs::default();
        assert!(
            legs.apply(&push(NEW_A), t(0), None),
            "the first newCall creates the leg"
        );
        assert!(
            !legs.apply(&push(NEW_A), t(1), None),
            "a repeated newCall is a no-op"
        );
        assert!(legs.apply(&push(ANSWER_A_BOB), t(5), None));
        assert!(
            !legs.apply(&push(ANSWER_A_BOB), t(6), None),
            "a repeated answer is a no-op"
        );
        let hangup = "event=hangup&callId=A&cause=normalClearing";
        assert!(legs.apply(&push(hangup), t(9), None));
        let before = legs.clone();
        assert!(
            !legs.apply(&push(hangup), t(12), None),
            "a repeated hangup is a no-op"
        );
        assert_eq!(legs, before, "nothing moved, not even the end time");
    }

    #[test]
    fn pushes_out_of_order_give_the_same_call() {
        let mut legs = Legs::default();
        legs.apply(&push(ANSWER_A_BOB), t(5), None);
        legs.apply(
            &push("event=hangup&callId=A&cause=normalClearing"),
            t(9),
            None,
        );
        legs.apply(&push(NEW_A), t(0), None);
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Ended,
            "the late newCall does not reopen the call"
        );
        assert_eq!(summary.answered_by.as_deref(), Some("Bob"));
        assert_eq!(
            summary.started_at,
            t(0),
            "the late newCall moves the start back"
        );
        assert_eq!(
            summary.users,
            vec!["Alice", "Bob"],
            "the late newCall fills in who was rung"
        );
    }

    #[test]
    fn hangup_for_an_unknown_call_is_kept() {
        let legs =
            run(&["event=hangup&direction=in&callId=Z&cause=cancel&from=4930999&to=4921155500000"]);
        assert_eq!(
            state(&legs),
            CallState::Missed,
            "a lone cancel is still a missed call"
        );
        assert_eq!(
            legs.summary().expect("summary").remote.as_deref(),
            Some("4930999")
        );
        let talked = run(&["event=hangup&callId=Y&cause=normalClearing"]);
        assert_eq!(
            state(&talked),
            CallState::Ended,
            "normalClearing means someone talked"
        );
    }

    #[test]
    fn call_without_hangup_is_closed_after_the_ring_timeout() {
        let mut legs = run(&[NEW_A]);
        assert_eq!(legs.expires_at(LIMITS), Some(t(300)));
        assert!(
            !legs.expire(t(299), LIMITS),
            "still within the ring timeout"
        );
        assert_eq!(state(&legs), CallState::Ringing);
        assert!(legs.expire(t(300), LIMITS), "the ring timeout is reached");
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Ended,
            "closed as ended, never left ringing"
        );
        assert!(summary.expired, "the log says no hangup was received");
        assert_eq!(legs.expires_at(LIMITS), None, "nothing left to expire");
        legs.apply(&push("event=hangup&callId=A&cause=cancel"), t(310), None);
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Missed,
            "a late real hangup corrects the guess"
        );
        assert!(!summary.expired);
    }

    #[test]
    fn answered_call_expires_after_the_call_timeout() {
        let mut legs = run(&[NEW_A, ANSWER_A_BOB]);
        assert!(!legs.expire(t(10 + 3599), LIMITS), "long calls are fine");
        assert!(legs.expire(t(10 + 3600), LIMITS));
        let summary = legs.summary().expect("summary");
        assert_eq!(summary.state, CallState::Ended);
        assert!(summary.expired);
        assert_eq!(
            summary.answered_by.as_deref(),
            Some("Bob"),
            "expiry keeps who answered"
        );
    }

    fn fact(call_id: Option<&str>, answered: bool, talk: i64) -> HistoryFact {
        HistoryFact {
            entry_id: "1".into(),
            call_id: call_id.map(str::to_string),
            direction: Direction::In,
            from: "+492111234567".into(),
            to: "+4921155500000".into(),
            started_at: t(0),
            answered,
            talk: answered.then(|| Duration::seconds(talk)),
            busy: false,
        }
    }

    #[test]
    fn the_history_corrects_a_call_expiry_closed_blind_once() {
        let mut legs = run(&[NEW_A, ANSWER_A_BOB]);
        assert!(legs.expire(t(10 + 3600), LIMITS));
        assert!(legs.repair(&fact(Some("A"), true, 83)));
        let summary = legs.summary().expect("summary");
        assert_eq!(summary.state, CallState::Ended);
        assert!(summary.repaired && !summary.expired);
        assert_eq!(
            summary.duration(),
            Some(Duration::seconds(83)),
            "from the answer on, as long as the history says"
        );
        assert_eq!(
            summary.answered_by.as_deref(),
            Some("Bob"),
            "kept from the pushes"
        );
        assert!(!legs.repair(&fact(Some("A"), true, 99)), "repaired once");
        let mut over = run(&[
            NEW_A,
            ANSWER_A_BOB,
            "event=hangup&callId=A&cause=normalClearing",
        ]);
        assert!(
            !over.repair(&fact(Some("A"), true, 99)),
            "a call that got its hangup is left as it is"
        );
    }

    #[test]
    fn a_history_entry_without_a_known_id_ends_every_open_leg_missed_or_busy() {
        let mut legs = run(&[NEW_A]);
        assert!(legs.repair(&fact(None, false, 0)));
        let summary = legs.summary().expect("summary");
        assert_eq!(summary.state, CallState::Missed);
        assert!(summary.ended_at.is_some() && summary.answered_at.is_none());
        let mut busy = run(&[NEW_A]);
        assert!(busy.repair(&HistoryFact {
            busy: true,
            ..fact(None, false, 0)
        }));
        assert_eq!(busy.summary().expect("summary").state, CallState::Busy);
        let added = Legs::from_history(&fact(None, true, 30));
        let summary = added.summary().expect("summary");
        assert!(summary.from_history);
        assert_eq!(summary.duration(), Some(Duration::seconds(30)));
        assert_eq!(
            added.0[0].call_id, "history:1",
            "no call id: the entry's own"
        );
    }

    #[test]
    fn rejected_caller_is_closed_at_once() {
        let mut legs = Legs::default();
        legs.apply(&push(NEW_A), t(0), Some(RejectReason::Busy));
        let summary = legs.summary().expect("summary");
        assert_eq!(
            summary.state,
            CallState::Rejected,
            "Klingel turned the caller away"
        );
        assert_eq!(summary.ended_at, Some(t(0)), "a rejected call never rings");
        assert_eq!(legs.expires_at(LIMITS), None);
    }

    #[test]
    fn dtmf_digits_are_appended_in_order() {
        let legs = run(&[
            NEW_A,
            ANSWER_A_BOB,
            "event=dtmf&dtmf=0&callId=A",
            "event=dtmf&dtmf=&callId=A",
            "event=dtmf&dtmf=12&callId=A",
        ]);
        assert_eq!(
            legs.summary().expect("summary").dtmf,
            "012",
            "leading zeros and order survive"
        );
    }
}
