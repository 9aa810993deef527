//! What the tray shows: one state at a glance (its icon), a status line, and the newest missed
//! calls nobody has seen. The shell only draws this; every rule about it lives here.

use serde::Serialize;
use time::{OffsetDateTime, UtcOffset};

use crate::domain::{CallEntry, CallKey};
use crate::hub::desk::DeskStatus;
use crate::server::{BindFailure, ListenerState, ListenerStatus};
use crate::words::Words;

/// How many missed calls the tray's menu lists.
pub const MENU_MISSED: usize = 5;

/// The tray icon's state. When several hold, the first in this order wins: a problem (calls
/// may be lost), missed calls waiting (something to do), do not disturb (popups are off),
/// listening (all is well).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state", content = "count")]
pub enum TrayState {
    /// Calls arrive and pop up.
    Listening,
    /// Calls may be lost: the listener is down, pushes cannot be stored, or the hub is away.
    Problem,
    /// Popups are paused.
    DoNotDisturb,
    /// Missed calls nobody has seen (at least one).
    Missed(u32),
}

impl TrayState {
    /// The icon's name: `listening`, `problem`, `dnd`, `missed-1` … `missed-9`, `missed-many`.
    pub fn icon_name(self) -> String {
        match self {
            Self::Listening => "listening".into(),
            Self::Problem => "problem".into(),
            Self::DoNotDisturb => "dnd".into(),
            Self::Missed(n) if n > 9 => "missed-many".into(),
            Self::Missed(n) => format!("missed-{n}"),
        }
    }
}

/// A missed call in the tray's menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrayMissed {
    /// The call, to open in the window.
    pub call: CallKey,
    /// "10:42  Erika Mustermann".
    pub label: String,
}

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrayView {
    /// The icon.
    pub state: TrayState,
    /// One line saying how things stand, e.g. "Ready · 127.0.0.1:8080" or "Port in use".
    pub status: String,
    /// A second line while popups are paused or missed calls wait, e.g. "3 missed calls".
    pub detail: Option<String>,
    /// The newest unseen missed calls, newest first (at most [`MENU_MISSED`]).
    pub missed: Vec<TrayMissed>,
    /// Popups are paused (the menu's check mark).
    pub do_not_disturb: bool,
}

/// What the tray is made from.
#[derive(Debug, Clone, Copy)]
pub struct TrayFacts<'a> {
    /// The local listener (ignored at a desk, which has none).
    pub listener: &'a ListenerStatus,
    /// At a desk: the link to the office hub.
    pub desk: Option<&'a DeskStatus>,
    /// Popups are paused.
    pub do_not_disturb: bool,
    /// How many missed calls nobody has seen.
    pub unseen_missed: i64,
    /// The newest missed calls (seen ones are skipped here).
    pub newest_missed: &'a [CallEntry],
}

impl TrayView {
    /// The tray for these facts, in `words`' language, with times in `offset`.
    pub fn of(facts: TrayFacts<'_>, words: &Words, offset: UtcOffset) -> Self {
        let problem = problem(facts.listener, facts.desk, words, offset);
        let unseen = u32::try_from(facts.unseen_missed.max(0)).unwrap_or(u32::MAX);
        let state = if problem.is_some() {
            TrayState::Problem
        } else if unseen > 0 {
            TrayState::Missed(unseen)
        } else if facts.do_not_disturb {
            TrayState::DoNotDisturb
        } else {
            TrayState::Listening
        };
        let status = problem.unwrap_or_else(|| ready(facts.listener, facts.desk, words));
        let mut details = Vec::new();
        if unseen > 0 {
            let count = unseen.to_string();
            let key = if unseen == 1 {
                "tray.missedOne"
            } else {
                "tray.missedMany"
            };
            details.push(words.text(key, &[("count", &count)]));
        }
        if facts.do_not_disturb {
            details.push(words.text("tray.dndOn", &[]));
        }
        let missed = facts
            .newest_missed
            .iter()
            .filter(|call| call.outcome.unseen)
            .take(MENU_MISSED)
            .map(|call| TrayMissed {
                call: call.id,
                label: format!(
                    "{}  {}",
                    clock(call.summary.started_at, offset),
                    call.party.label(words)
                ),
            })
            .collect();
        Self {
            state,
            status,
            detail: (!details.is_empty()).then(|| details.join(" · ")),
            missed,
            do_not_disturb: facts.do_not_disturb,
        }
    }
}

/// Why calls may be lost right now, in words; None while all is well.
fn problem(
    listener: &ListenerStatus,
    desk: Option<&DeskStatus>,
    words: &Words,
    offset: UtcOffset,
) -> Option<String> {
    if let Some(desk) = desk {
        if desk.connected {
            return None;
        }
        if desk.stopped {
            return Some(words.text("desk.refused", &[]));
        }
        // A desk that is still making its first connection is not a problem yet.
        return desk.offline_since.map(|since| {
            let time = clock(since, offset);
            words.text("desk.offline", &[("time", &time)])
        });
    }
    if let Some(reason) = &listener.store_error {
        return Some(words.text("listener.storeFailed", &[("reason", reason)]));
    }
    match listener.state {
        ListenerState::Failed => Some(words.text(
            match listener.failure {
                // The same words as the window's status rail.
                Some(BindFailure::PortInUse) => "listener.portInUse",
                Some(BindFailure::Permission) => "listener.permission",
                Some(BindFailure::NoAddress) => "listener.noAddress",
                Some(BindFailure::Other) | None => "listener.failed",
            },
            &[],
        )),
        ListenerState::Starting | ListenerState::Listening => None,
    }
}

/// The status line while all is well.
fn ready(listener: &ListenerStatus, desk: Option<&DeskStatus>, words: &Words) -> String {
    if let Some(desk) = desk {
        let name = desk.desk.as_ref().map(|d| d.name.as_str()).unwrap_or("");
        return words.text("desk.connected", &[("name", name)]);
    }
    match listener.state {
        ListenerState::Listening => {
            words.text("listener.listening", &[("address", &listener.address)])
        }
        ListenerState::Starting | ListenerState::Failed => words.text("listener.starting", &[]),
    }
}

/// "10:42" in `offset`.
fn clock(at: OffsetDateTime, offset: UtcOffset) -> String {
    let at = at.to_offset(offset);
    format!("{:02}:{:02}", at.hour(), at.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::{CallState, Summary};
    use crate::config::Language;
    use crate::hub::wire::DeskInfo;
    use crate::server::ListenerWarning;
    use crate::sipgate::Direction;

    fn at(hour: u8, minute: u8) -> OffsetDateTime {
        time::macros::datetime!(2026-11-30 00:00 UTC)
            .replace_hour(hour)
            .and_then(|t| t.replace_minute(minute))
            .expect("valid time")
    }

    fn listening() -> ListenerStatus {
        ListenerStatus {
            state: ListenerState::Listening,
            address: "127.0.0.1:8080".into(),
            error: None,
            failure: None,
            sipgate_url: None,
            warnings: Vec::new(),
            store_error: None,
        }
    }

    fn failed(failure: BindFailure) -> ListenerStatus {
        ListenerStatus {
            state: ListenerState::Failed,
            error: Some("Address already in use (os error 98)".into()),
            failure: Some(failure),
            ..listening()
        }
    }

    /// An incoming call from `remote` that ended unanswered at `started`; `seen` marks it.
    fn missed(key: i64, remote: &str, started: OffsetDateTime, seen: bool) -> CallEntry {
        let summary = Summary {
            remote: Some(remote.into()),
            line: Some("4921155500000".into()),
            users: vec!["Alice".into()],
            user_ids: vec!["w0".into()],
            ended_at: Some(started + time::Duration::seconds(20)),
            ..Summary::bare(CallState::Missed, Direction::In, started)
        };
        let mut entry = CallEntry::new(CallKey(key), summary, vec!["Alice".into()]);
        entry.remote_display = Some(format!("+{remote}"));
        entry.seen_at = seen.then_some(started);
        entry.refresh();
        entry
    }

    fn view(facts: TrayFacts<'_>) -> TrayView {
        TrayView::of(facts, Words::of(Language::En), UtcOffset::UTC)
    }

    fn facts(listener: &ListenerStatus) -> TrayFacts<'_> {
        TrayFacts {
            listener,
            desk: None,
            do_not_disturb: false,
            unseen_missed: 0,
            newest_missed: &[],
        }
    }

    #[test]
    fn all_is_well_shows_the_plain_bell_and_the_address() {
        let listener = listening();
        let tray = view(facts(&listener));
        assert_eq!(tray.state, TrayState::Listening);
        assert_eq!(tray.state.icon_name(), "listening");
        assert_eq!(tray.status, "ready · 127.0.0.1:8080");
        assert_eq!(tray.detail, None);
        assert!(tray.missed.is_empty());
    }

    #[test]
    fn a_problem_outranks_missed_calls_and_do_not_disturb() {
        let listener = failed(BindFailure::PortInUse);
        let tray = view(TrayFacts {
            do_not_disturb: true,
            unseen_missed: 2,
            ..facts(&listener)
        });
        assert_eq!(tray.state, TrayState::Problem);
        assert_eq!(tray.status, "port in use");
        // What else holds is still said, on the second line.
        assert_eq!(
            tray.detail.as_deref(),
            Some("2 missed calls · popups paused")
        );
    }

    #[test]
    fn calls_that_cannot_be_stored_are_a_problem_while_listening() {
        let listener = ListenerStatus {
            store_error: Some("disk full".into()),
            ..listening()
        };
        let tray = view(facts(&listener));
        assert_eq!(tray.state, TrayState::Problem);
        assert_eq!(tray.status, "calls cannot be stored: disk full");
    }

    #[test]
    fn warnings_alone_are_no_problem() {
        // An open listener is shown in the window; the tray's alarm is for lost calls.
        let listener = ListenerStatus {
            warnings: vec![ListenerWarning::SignatureOff],
            ..listening()
        };
        assert_eq!(view(facts(&listener)).state, TrayState::Listening);
    }

    #[test]
    fn missed_calls_outrank_do_not_disturb_and_count_up_to_many() {
        let listener = listening();
        for (count, icon) in [(1, "missed-1"), (9, "missed-9"), (10, "missed-many")] {
            let tray = view(TrayFacts {
                do_not_disturb: true,
                unseen_missed: count,
                ..facts(&listener)
            });
            assert_eq!(tray.state, TrayState::Missed(count as u32));
            assert_eq!(tray.state.icon_name(), icon);
            assert!(tray.do_not_disturb);
        }
        let one = view(TrayFacts {
            unseen_missed: 1,
            ..facts(&listener)
        });
        assert_eq!(one.detail.as_deref(), Some("1 missed call"));
    }

    #[test]
    fn do_not_disturb_alone_shows_as_paused() {
        let listener = listening();
        let tray = view(TrayFacts {
            do_not_disturb: true,
            ..facts(&listener)
        });
        assert_eq!(tray.state, TrayState::DoNotDisturb);
        assert_eq!(tray.state.icon_name(), "dnd");
        assert_eq!(tray.detail.as_deref(), Some("popups paused"));
    }

    #[test]
    fn the_menu_lists_the_newest_unseen_missed_calls_with_their_time() {
        let listener = listening();
        let calls: Vec<CallEntry> = (0..8)
            .map(|i| {
                missed(
                    100 - i,
                    &format!("49301234567{i}"),
                    at(10, 50 - i as u8),
                    i == 1,
                )
            })
            .collect();
        let tray = view(TrayFacts {
            unseen_missed: 7,
            newest_missed: &calls,
            ..facts(&listener)
        });
        let keys: Vec<i64> = tray.missed.iter().map(|m| m.call.0).collect();
        // The seen one (99) is skipped; at most five are listed.
        assert_eq!(keys, vec![100, 98, 97, 96, 95]);
        assert_eq!(tray.missed[0].label, "10:50  +493012345670");
    }

    #[test]
    fn a_desk_is_judged_by_its_link_to_the_hub_not_by_a_listener() {
        let idle = ListenerStatus {
            state: ListenerState::Starting,
            ..listening()
        };
        let mut desk = DeskStatus {
            hub_url: "https://hub.example".into(),
            connected: true,
            desk: Some(DeskInfo {
                id: 1,
                name: "Anna".into(),
                sipgate_user_ids: Vec::new(),
                all_calls: false,
                perms: Vec::new(),
            }),
            offline_since: None,
            error: None,
            stopped: false,
            missed_while_away: 0,
        };
        let tray = view(TrayFacts {
            desk: Some(&desk),
            ..facts(&idle)
        });
        assert_eq!(tray.state, TrayState::Listening);
        assert_eq!(tray.status, "connected as Anna");

        desk.connected = false;
        desk.offline_since = Some(at(10, 32));
        let tray = view(TrayFacts {
            desk: Some(&desk),
            ..facts(&idle)
        });
        assert_eq!(tray.state, TrayState::Problem);
        assert_eq!(tray.status, "unreachable since 10:32");

        desk.stopped = true;
        let tray = view(TrayFacts {
            desk: Some(&desk),
            ..facts(&idle)
        });
        assert_eq!(tray.status, "refuses this desk");
    }

    #[test]
    fn german_words_come_from_the_same_dictionary() {
        let listener = listening();
        let tray = TrayView::of(
            TrayFacts {
                unseen_missed: 3,
                ..facts(&listener)
            },
            Words::of(Language::De),
            UtcOffset::UTC,
        );
        assert_eq!(tray.detail.as_deref(), Some("3 verpasste Anrufe"));
    }
}
