//! Calls as the log shows them: the derived facts, the caller as resolved against today's
//! contacts, the marks, and what people read about it ([`crate::view`]).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::contact::ContactMatch;
use crate::calls::Summary;
use crate::phone::Region;
use crate::search::Search;
use crate::sipgate::Direction;
use crate::view::{Outcome, Party};

/// A call's id in the log (one per call, however many legs it has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallKey(pub i64);

impl std::fmt::Display for CallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The log's views, as the window's filter buttons name them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallsView {
    /// Every call.
    #[default]
    All,
    /// Missed incoming calls.
    Missed,
    /// Incoming calls.
    Incoming,
    /// Outgoing calls.
    Outgoing,
}

/// Which calls to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CallFilter {
    /// At most this many, newest first (None: 100).
    pub limit: Option<usize>,
    /// Only missed incoming calls.
    pub missed: bool,
    /// Only one direction.
    pub direction: Option<Direction>,
    /// Only calls whose contact, company, number, line or users contain this text.
    pub search: Option<String>,
    /// Only calls older than this one (the next page of the log).
    pub before: Option<CallKey>,
}

/// One page of the log, and what lies beyond it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallsPage {
    /// The calls, newest first.
    pub calls: Vec<CallEntry>,
    /// How many calls the filter holds in all (without a search; a search says `None`).
    pub total: Option<i64>,
    /// Older calls follow this page.
    pub more: bool,
    /// A search that stopped before the log's end (it reads so many calls at a time): the
    /// oldest call it read. Pass it as `before` to search the older calls. None: the search
    /// read every call older than the page, or there was no search.
    pub searched_to: Option<CallKey>,
    /// With `searched_to`: how many of the view's calls, from the newest, are searched.
    pub searched: Option<i64>,
}

impl CallFilter {
    /// The filter behind one of the log's views.
    pub fn view(view: CallsView, search: Option<String>, limit: Option<usize>) -> Self {
        Self {
            limit,
            missed: view == CallsView::Missed,
            direction: match view {
                CallsView::Incoming => Some(Direction::In),
                CallsView::Outgoing => Some(Direction::Out),
                CallsView::All | CallsView::Missed => None,
            },
            search,
            before: None,
        }
    }

    /// Which calls belong in this filter: the one rule for the log's lists, with numbers
    /// written without a country code read in `region`. The search is prepared once, not once
    /// a call.
    pub fn admits(&self, region: Region) -> impl Fn(&CallEntry) -> bool + '_ {
        let search = self
            .search
            .as_deref()
            .and_then(|query| Search::new(query, region));
        move |call| {
            (!self.missed || call.is_missed())
                && self.direction.is_none_or(|d| d == call.summary.direction)
                && search.as_ref().is_none_or(|search| call.matches(search))
        }
    }
}

/// A call as the log shows it, with the caller resolved against today's contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEntry {
    /// Log id.
    pub id: CallKey,
    /// Version: grows with every change to the call (0 before the hub's change log began).
    #[serde(default)]
    pub v: i64,
    /// Derived call facts.
    #[serde(flatten)]
    pub summary: Summary,
    /// Who the call went to, leg by leg.
    pub path: Vec<String>,
    /// The other party's E.164 key, when it is a number.
    pub remote_e164: Option<String>,
    /// The other party as people write it; None when withheld.
    pub remote_display: Option<String>,
    /// The other party withheld their number.
    pub withheld: bool,
    /// Our line (the sipgate number called, or calling) as people write it.
    pub line_display: Option<String>,
    /// Our line is no phone number: people read "unknown number", the raw value stays in
    /// `line` for the details.
    #[serde(default)]
    pub line_unknown: bool,
    /// The contact the other party's number belongs to now.
    pub contact: Option<ContactMatch>,
    /// The other party's number is on the blocklist.
    pub number_blocked: bool,
    /// When a missed call was marked seen.
    #[serde(with = "time::serde::rfc3339::option")]
    pub seen_at: Option<OffsetDateTime>,
    /// When a missed call was called back.
    #[serde(with = "time::serde::rfc3339::option")]
    pub called_back_at: Option<OffsetDateTime>,
    /// Which sipgate user called back.
    pub called_back_by: Option<String>,
    /// What happened, as a stable code with its details.
    pub outcome: Outcome,
    /// The other party as people know them.
    pub party: Party,
    /// The people rung (incoming) or calling (outgoing), without voicemail and blanks.
    pub rung: Vec<String>,
    /// Talk time in whole seconds, once the call is over and was answered.
    pub talk_seconds: Option<i64>,
    /// The missed-call to-do, once someone has dealt with it.
    #[serde(default)]
    pub handled: Option<super::Handled>,
}

impl CallEntry {
    /// A call with these facts and nothing resolved yet (no contact, no marks); set the other
    /// fields, then [`CallEntry::refresh`].
    pub fn new(id: CallKey, summary: Summary, path: Vec<String>) -> Self {
        let mut entry = Self {
            id,
            v: 0,
            path,
            remote_e164: None,
            remote_display: None,
            withheld: false,
            line_display: None,
            line_unknown: false,
            contact: None,
            number_blocked: false,
            seen_at: None,
            called_back_at: None,
            called_back_by: None,
            outcome: Outcome::of(&summary, &[], false),
            party: Party::of(None, None, false),
            rung: Vec::new(),
            talk_seconds: None,
            handled: None,
            summary,
        };
        entry.refresh();
        entry
    }

    /// Derives what people read (outcome, party, who was rung, talk time) from the facts.
    pub fn refresh(&mut self) {
        // Handled by anyone in the office is as good as seen here.
        let seen = self.seen_at.is_some() || self.handled.is_some();
        self.outcome = Outcome::of(&self.summary, &self.path, seen);
        self.party = Party::of(
            self.contact.as_ref(),
            self.remote_display.as_deref(),
            self.withheld,
        );
        self.party.blocked |= self.number_blocked;
        self.rung = crate::view::rung(&self.summary);
        self.talk_seconds = self.summary.duration().map(|d| d.whole_seconds());
    }

    /// A missed incoming call.
    pub fn is_missed(&self) -> bool {
        self.summary.state == crate::calls::CallState::Missed
            && self.summary.direction == Direction::In
    }

    /// Whether this call is found by `search` (the rule contacts are found by too): every
    /// word in the shown texts (contact name and company, users, who answered, line, number),
    /// or the query's number in the other party's or our line's number.
    fn matches(&self, search: &Search) -> bool {
        let numbers = [self.remote_e164.as_deref(), self.summary.line.as_deref()];
        if numbers
            .into_iter()
            .flatten()
            .any(|n| search.matches_number(n))
        {
            return true;
        }
        let mut texts: Vec<String> = [
            self.contact.as_ref().map(|m| m.contact.name.as_str()),
            self.contact.as_ref().map(|m| m.contact.company.as_str()),
            self.summary.answered_by.as_deref(),
            self.line_display.as_deref(),
            self.remote_display.as_deref(),
        ]
        .into_iter()
        .flatten()
        .chain(self.summary.answered_by_name.as_deref())
        .chain(self.summary.users.iter().map(String::as_str))
        .chain(self.summary.user_names.iter().map(String::as_str))
        .map(str::to_lowercase)
        .collect();
        texts.retain(|t| !t.is_empty());
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        search.matches_words(&texts)
    }
}
