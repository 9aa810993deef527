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
            .filter(|by| !by.is_empty() && !by.eq_ignore_ascii_case(VOICEMAIL))
            .map(|by| summary.answered_by_name.clone().unwrap_or(by));
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
            // The last leg handed the call on and no later leg reported back: where it went is
            // unknown (a leg that did report would have made the call answered or voicemail).
            CallState::Forwarded => (OutcomeCode::Forwarded, None),
            CallState::Ended if summary.answered_at.is_some() => {
                (OutcomeCode::Answered, person.filter(|_| incoming))
            }
            CallState::Ended if summary.expired => (OutcomeCode::Expired, None),
            // A test call nobody took is not missed: nobody owes it a call back.
            CallState::Ended if !incoming || summary.test => (OutcomeCode::NotAnswered, None),
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
        .people()
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

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use time::{Duration, OffsetDateTime};

    use super::*;
    use crate::calls::{Expiry, Legs};
    use crate::config::Language;
    use crate::domain::CallKey;
    use crate::sipgate::{parse, BodyFormat, Parsed};

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000 + secs).expect("valid time")
    }

    /// The call after these pushes, ten seconds apart, as the log would show it.
    fn call_after(bodies: &[&str], expire: bool) -> CallEntry {
        let mut legs = Legs::default();
        for (i, body) in bodies.iter().enumerate() {
            let Ok(Parsed::Push(push)) = parse(body.as_bytes(), BodyFormat::Form) else {
                panic!("test push must parse: {body}");
            };
            legs.apply(&push, at(i as i64 * 10), None);
        }
        if expire {
            let limits = Expiry {
                ring: Duration::seconds(60),
                call: Duration::seconds(3600),
            };
            legs.expire(at(1000), limits);
        }
        let summary = legs.summary().expect("a call with legs");
        let mut entry = CallEntry::new(CallKey(1), summary, legs.path());
        entry.withheld = entry.summary.remote.as_deref() == Some("anonymous");
        if !entry.withheld {
            entry.remote_display = entry.summary.remote.clone();
        }
        entry.refresh();
        entry
    }

    const NEW: &str = "event=newCall&direction=in&from=492111234567&to=4921155500000&callId=A&origCallId=A&user%5B%5D=Alice&user%5B%5D=Bob&xcid=x";
    const ANSWER_BOB: &str = "event=answer&direction=in&callId=A&user=Bob";
    const BYE: &str = "event=hangup&callId=A&cause=normalClearing";
    const FORWARD: &str = "event=hangup&callId=A&cause=forwarded&origCallId=A&xcid=x";
    const NEW_MARTY: &str = "event=newCall&direction=in&from=492111234567&to=4921155500000&callId=B&origCallId=A&user%5B%5D=Marty&xcid=x";
    const NEW_MAILBOX: &str = "event=newCall&direction=in&from=492111234567&to=4921155500000&callId=B&origCallId=A&user%5B%5D=voicemail&xcid=x";

    #[rstest]
    #[case::answered(&[NEW, ANSWER_BOB, BYE], false, OutcomeCode::Answered, "answered by Bob", "angenommen von Bob")]
    #[case::talking(&[NEW, ANSWER_BOB], false, OutcomeCode::Talking, "answered by Bob", "angenommen von Bob")]
    #[case::missed(&[NEW, "event=hangup&callId=A&cause=cancel"], false, OutcomeCode::Missed, "missed", "verpasst")]
    #[case::busy(&[NEW, "event=hangup&callId=A&cause=busy"], false, OutcomeCode::Busy, "busy", "besetzt")]
    #[case::declined(&[NEW, "event=hangup&callId=A&cause=noAnswer"], false, OutcomeCode::Rejected, "rejected", "abgelehnt")]
    #[case::voicemail(&[NEW, FORWARD, NEW_MAILBOX, "event=answer&callId=B&user=voicemail", "event=hangup&callId=B&cause=normalClearing"], false, OutcomeCode::Voicemail, "taken by voicemail", "Mailbox hat übernommen")]
    #[case::forward_answered(&[NEW, FORWARD, NEW_MARTY, "event=answer&callId=B&user=Marty", "event=hangup&callId=B&cause=normalClearing"], false, OutcomeCode::Answered, "answered by Marty", "angenommen von Marty")]
    #[case::forward_unreported(&[NEW, FORWARD], false, OutcomeCode::Forwarded, "forwarded", "weitergeleitet")]
    #[case::transfer(&[NEW, ANSWER_BOB, "event=newCall&direction=in&from=492111234567&to=4921155500000&callId=C&origCallId=A&user%5B%5D=Carol", "event=answer&callId=C&user=Carol", "event=hangup&callId=A&cause=normalClearing", "event=hangup&callId=C&cause=normalClearing"], false, OutcomeCode::Answered, "answered by Bob", "angenommen von Bob")]
    #[case::expired(&[NEW], true, OutcomeCode::Expired, "no hangup received", "kein Auflegen empfangen")]
    #[case::withheld(&["event=newCall&direction=in&from=anonymous&to=4921155500000&callId=A&user%5B%5D=Alice", "event=hangup&callId=A&cause=cancel"], false, OutcomeCode::Missed, "missed", "verpasst")]
    #[case::outgoing_unanswered(&["event=newCall&direction=out&from=4921155500000&to=4930123456&callId=A&user%5B%5D=Bob", "event=hangup&callId=A&cause=cancel"], false, OutcomeCode::NotAnswered, "no answer", "nicht erreicht")]
    #[case::outgoing_answered(&["event=newCall&direction=out&from=4921155500000&to=4930123456&callId=A&user%5B%5D=Bob", "event=answer&callId=A&direction=out&user=Bob", BYE], false, OutcomeCode::Answered, "answered", "angenommen")]
    fn each_flow_has_one_outcome_in_both_languages(
        #[case] bodies: &[&str],
        #[case] expire: bool,
        #[case] code: OutcomeCode,
        #[case] english: &str,
        #[case] german: &str,
    ) {
        let call = call_after(bodies, expire);
        assert_eq!(call.outcome.code, code, "{:?}", call.summary);
        assert_eq!(call.outcome.text(Words::of(Language::En)), english);
        assert_eq!(call.outcome.text(Words::of(Language::De)), german);
    }

    #[test]
    fn a_forward_and_a_transfer_say_whom_the_call_went_through() {
        let forward = call_after(
            &[NEW, FORWARD, NEW_MARTY, "event=answer&callId=B&user=Marty"],
            false,
        );
        assert_eq!(forward.outcome.via, ["Alice, Bob", "Marty"]);
        assert_eq!(
            outcome_line(&forward, Words::of(Language::En)),
            "answered by Marty (via Alice, Bob → Marty)"
        );
        let single = call_after(&[NEW, ANSWER_BOB, BYE], false);
        assert!(single.outcome.via.is_empty(), "one leg has no path to show");
        assert_eq!(single.talk_seconds, Some(10));
        assert_eq!(single.rung, ["Alice", "Bob"]);
    }

    #[test]
    fn a_withheld_caller_reads_as_withheld_in_both_languages() {
        let call = call_after(
            &["event=newCall&direction=in&from=anonymous&to=4921155500000&callId=A"],
            false,
        );
        assert_eq!(call.party.kind, PartyKind::Withheld);
        assert_eq!(call.party.label(Words::of(Language::En)), "withheld number");
        assert_eq!(
            call.party.label(Words::of(Language::De)),
            "unterdrückte Nummer"
        );
        let answered = call_after(&[NEW, ANSWER_BOB, BYE], true);
        assert!(!answered.outcome.expired, "a hangup came: nothing to note");
    }

    /// The window's dictionary read from disk, as the window loads it.
    fn window_words(language: &str) -> std::collections::HashMap<String, String> {
        let path = format!(
            "{}/../../ui/i18n/{language}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("the window's dictionary");
        serde_json::from_str(&text).expect("valid JSON")
    }

    #[test]
    fn every_outcome_has_the_window_s_words_and_popup_and_export_use_them() {
        for (language, file) in [(Language::En, "en"), (Language::De, "de")] {
            let window = window_words(file);
            for code in OutcomeCode::ALL {
                let plain = format!("outcome.{}", code.as_str());
                assert!(window.contains_key(&plain), "{file}: {plain}");
                if code.takes_name() {
                    assert!(
                        window.contains_key(&format!("{plain}By")),
                        "{file}: {plain}By"
                    );
                }
            }
            let words = Words::of(language);
            let voicemail = call_after(
                &[
                    NEW,
                    FORWARD,
                    NEW_MAILBOX,
                    "event=answer&callId=B&user=voicemail",
                ],
                false,
            );
            let window_text = &window["outcome.voicemail"];
            assert_eq!(&voicemail.outcome.text(words), window_text);
            let popup = crate::popup::answered_text(
                &voicemail,
                language,
                &crate::config::NumbersConfig::default(),
            );
            assert!(
                popup.summary.ends_with(window_text.as_str()),
                "the popup says what the window says: {}",
                popup.summary
            );
            let csv = crate::interchange::call_log::write_calls(
                std::slice::from_ref(&voicemail),
                time::UtcOffset::UTC,
                words,
            );
            assert!(
                csv.contains(window_text.as_str()),
                "the export says what the window says: {csv}"
            );
        }
    }
}
