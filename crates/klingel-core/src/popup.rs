//! Desktop notifications for call updates: whether one shows, updates or closes, and its words.
//!
//! Pure: the shell feeds in each [`CallUpdate`] and only has to carry out the returned
//! [`PopupAction`] against its notification ids. Closing is deliberately independent of the
//! popup filters, so a notification shown under yesterday's settings never stays open forever.

use crate::calls::{CallState, VOICEMAIL};
use crate::config::{Language, NumbersConfig, PopupMode, PopupsConfig};
use crate::domain::{CallEntry, CallUpdate, UpdateCause};
use crate::phone::PhoneNumber;
use crate::sipgate::Direction;
use crate::view::PartyKind;
use crate::words::Words;

/// Title, body and manner of a notification. `body` is already escaped for the notification
/// server's markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupText {
    /// Plain-text title, one line.
    pub summary: String,
    /// Markup-escaped body, lines joined with `\n`.
    pub body: String,
    /// Offer "Add contact": the caller is a number nobody knows yet.
    pub add_contact: bool,
    /// Offer "Call back": a contact with a number to dial.
    pub call_back: bool,
    /// A call ringing now: the server should show it above everything else.
    pub urgent: bool,
    /// Offer "Reject": an incoming call still ringing (the shell offers it only with a
    /// sipgate account that may end calls).
    pub reject: bool,
    /// Ring a sound (ringing calls, when the settings ask for it).
    pub sound: bool,
}

/// What to do with the notification of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopupAction {
    /// A new ringing call: show a notification.
    Show(PopupText),
    /// The call moved on and rings elsewhere: replace the call's notification text.
    Update(PopupText),
    /// The call was answered: replace the text, then close it after a while by itself.
    Answered(PopupText, std::time::Duration),
    /// The call is over (answered, busy, rejected, forwarded, voicemail, expired): close it.
    Close,
    /// The call was missed: close the ringing notification and leave this one behind.
    Missed(PopupText),
    /// Nothing to show (filtered out, or an update that changes nothing visible).
    Nothing,
}

/// Decides what a call update means for its notification.
pub fn popup_for(
    update: &CallUpdate,
    language: Language,
    popups: &PopupsConfig,
    numbers: &NumbersConfig,
) -> PopupAction {
    match update.cause {
        // A missed call seen or returned needs no reminder any more.
        UpdateCause::Seen
        | UpdateCause::CalledBack
        | UpdateCause::Expired
        | UpdateCause::Repaired
        | UpdateCause::Handled => return PopupAction::Close,
        UpdateCause::Push(_) => {}
    }
    let call = &update.call;
    // One's own phone ringing for a call placed from Klingel: nobody is calling. Marked late
    // (the echo came before sipgate answered the request), it closes what it showed.
    if call.summary.click_to_call {
        return if update.previous.is_some() {
            PopupAction::Close
        } else {
            PopupAction::Nothing
        };
    }
    let state = call.summary.state;
    // At a desk the hub's rule (where it rings) replaces the local filter.
    let shown = || update.popup.unwrap_or_else(|| passes_filter(call, popups));
    // Same state as before: a repeat, DTMF, or a late detail; the wording would not change.
    let unchanged = update.previous == Some(state);
    match state {
        CallState::Ringing => {
            if unchanged || !shown() {
                PopupAction::Nothing
            } else if update.previous.is_none() {
                let mut text = ringing_text(call, language, numbers);
                text.sound = popups.sound;
                PopupAction::Show(text)
            } else {
                // Forwarded (or otherwise moved on) and now ringing elsewhere: same call.
                PopupAction::Update(ringing_text(call, language, numbers))
            }
        }
        CallState::Answered => {
            answered_action(update, unchanged, shown(), popups, language, numbers)
        }
        // Voicemail is not `is_live`, yet a recording voicemail leg keeps the call open.
        CallState::Voicemail if call.summary.ended_at.is_none() => {
            answered_action(update, unchanged, shown(), popups, language, numbers)
        }
        CallState::Missed => {
            if unchanged {
                PopupAction::Nothing
            } else if popups.missed && shown() {
                PopupAction::Missed(missed_text(call, language, numbers))
            } else {
                PopupAction::Close
            }
        }
        // A recording voicemail ends in the same state it recorded in, so it must still close.
        CallState::Voicemail => PopupAction::Close,
        CallState::Busy | CallState::Rejected | CallState::Forwarded | CallState::Ended => {
            if unchanged {
                PopupAction::Nothing
            } else {
                PopupAction::Close
            }
        }
    }
}

/// The action for a call that is now talking to a person or to voicemail: say who took it,
/// then get out of the way (a desk must not keep a banner for every colleague's call).
fn answered_action(
    update: &CallUpdate,
    unchanged: bool,
    shown: bool,
    popups: &PopupsConfig,
    language: Language,
    numbers: &NumbersConfig,
) -> PopupAction {
    // Without a previous state nothing rang here (its newCall was lost): no popup to update.
    if unchanged || !shown || update.previous.is_none() {
        PopupAction::Nothing
    } else {
        PopupAction::Answered(
            answered_text(&update.call, language, numbers),
            std::time::Duration::from_secs(popups.answered_secs),
        )
    }
}

/// Whether a call should pop up at all under the popup settings (enabled, direction, users filter).
pub fn passes_filter(call: &CallEntry, popups: &PopupsConfig) -> bool {
    if !popups.enabled {
        return false;
    }
    match call.summary.direction {
        Direction::In => {}
        Direction::Out if popups.outgoing => {}
        Direction::Out => return false,
    }
    match popups.mode {
        PopupMode::All => true,
        PopupMode::Users => {
            let ours: Vec<String> = call
                .summary
                .users
                .iter()
                .chain(&call.summary.user_ids)
                // The account's full names too: "Max Muster" picks out Max's calls.
                .chain(&call.summary.user_names)
                .map(|name| fold(name))
                .filter(|name| !name.is_empty())
                .collect();
            popups
                .users
                .iter()
                .map(|name| fold(name))
                .any(|wanted| !wanted.is_empty() && ours.contains(&wanted))
        }
    }
}

/// A name as compared by the users filter: trimmed, case folded.
fn fold(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Wording for a ringing call.
pub fn ringing_text(call: &CallEntry, language: Language, numbers: &NumbersConfig) -> PopupText {
    let words = Words::of(language);
    let key = match call.summary.direction {
        Direction::In => "popup.incoming",
        Direction::Out => "popup.outgoing",
    };
    text(&caller_phrase(call, words, key), call, words, numbers)
}

/// Wording for an answered call: the caller and the outcome, in the window's words.
pub fn answered_text(call: &CallEntry, language: Language, numbers: &NumbersConfig) -> PopupText {
    let words = Words::of(language);
    let summary = match call.summary.direction {
        // Our own user placed the call; who "answered" is the other side.
        Direction::Out => caller_phrase(call, words, "popup.talking"),
        Direction::In => {
            let subject = match call.party.kind {
                PartyKind::Contact | PartyKind::Number => call.party.label(words),
                PartyKind::Withheld => words.text("popup.withheld", &[]),
                PartyKind::Unknown => words.text("popup.unknown", &[]),
            };
            words.text(
                "popup.answered",
                &[("caller", &subject), ("outcome", &call.outcome.text(words))],
            )
        }
    };
    text(&summary, call, words, numbers)
}

/// Wording for a missed call.
pub fn missed_text(call: &CallEntry, language: Language, numbers: &NumbersConfig) -> PopupText {
    let words = Words::of(language);
    text(
        &caller_phrase(call, words, "popup.missed"),
        call,
        words,
        numbers,
    )
}

/// A title about the other party: `key` with `{caller}`, or its `Withheld` / `Unknown` form
/// (German needs its own grammar there, e.g. "Anruf mit unterdrückter Nummer").
fn caller_phrase(call: &CallEntry, words: &Words, key: &str) -> String {
    match call.party.kind {
        PartyKind::Contact | PartyKind::Number => {
            words.text(key, &[("caller", &call.party.label(words))])
        }
        PartyKind::Withheld => words.text(&format!("{key}Withheld"), &[]),
        PartyKind::Unknown => words.text(&format!("{key}Unknown"), &[]),
    }
}

/// Escapes `& < > " '` for notification servers that read markup in the body.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Numeric, because `&apos;` is XML but not HTML and servers differ in which they read.
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The words on a notification's buttons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionLabels {
    /// "Show": bring the window up on the call.
    pub show: String,
    /// "Add contact", for a caller nobody knows.
    pub add_contact: String,
    /// "Call back", for a contact.
    pub call_back: String,
    /// "Reject", for a call still ringing.
    pub reject: String,
}

/// The notification buttons' words in `language`.
pub fn action_labels(language: Language) -> ActionLabels {
    let words = Words::of(language);
    ActionLabels {
        show: words.text("popup.show", &[]),
        add_contact: words.text("popup.addContact", &[]),
        call_back: words.text("popup.callBack", &[]),
        reject: words.text("popup.reject", &[]),
    }
}

fn non_empty(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

/// A sipgate user as people read it: the voicemail "user" gets its own word.
fn person(name: &str, words: &Words) -> String {
    if name.trim().eq_ignore_ascii_case(VOICEMAIL) {
        words.text("popup.voicemailUser", &[])
    } else {
        name.to_string()
    }
}

/// Puts title and body together: the title flattened to one line (and marked when the call is
/// only a test), the body escaped.
fn text(summary: &str, call: &CallEntry, words: &Words, numbers: &NumbersConfig) -> PopupText {
    let summary = if call.summary.test {
        words.text("popup.testCall", &[("title", summary)])
    } else {
        summary.to_string()
    };
    PopupText {
        summary: one_line(&summary),
        body: escape_markup(&body_lines(call, words, numbers).join("\n")),
        add_contact: call.party.kind == PartyKind::Number,
        call_back: call.party.kind == PartyKind::Contact && call.remote_e164.is_some(),
        urgent: call.summary.state == CallState::Ringing,
        reject: call.summary.state == CallState::Ringing
            && call.summary.direction == Direction::In
            && !call.summary.test,
        sound: false,
    }
}

/// The most of a contact's notes a notification shows.
const NOTES_CHARS: usize = 120;

/// `text` cut to `max` characters, marked with an ellipsis when cut.
fn capped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// Control characters (newlines from a pasted contact name) would break the title apart.
fn one_line(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The body's lines, only those that exist: company, number, line and users, forward path.
fn body_lines(call: &CallEntry, words: &Words, numbers: &NumbersConfig) -> Vec<String> {
    let mut lines = Vec::new();
    if let (PartyKind::Contact, Some(name)) = (call.party.kind, &call.party.name) {
        if let Some(company) = non_empty(call.party.company.as_deref()) {
            lines.push(one_line(company));
        }
        // The title shows the name, so the number would otherwise be nowhere.
        if let Some(number) = non_empty(call.party.number.as_deref()).filter(|n| n != name) {
            lines.push(number.to_string());
        }
        // "VIP – call back within the hour" is for whoever picks up.
        let notes = call.contact.as_ref().map(|m| m.contact.notes.as_str());
        if let Some(notes) = non_empty(notes) {
            lines.push(capped(&one_line(notes), NOTES_CHARS));
        }
    }
    // The line as the log shows it (the account's name for it, when it has one); one that is
    // no number reads as unknown, its raw value is for the call's details.
    let line = non_empty(call.line_display.as_deref())
        .map(str::to_string)
        .or_else(|| {
            non_empty(call.summary.line.as_deref()).map(|raw| {
                PhoneNumber::from_sipgate(raw)
                    .map_or_else(|_| words.text("calls.unknown", &[]), |n| numbers.show(&n))
            })
        });
    let users: Vec<String> = call
        .summary
        .people()
        .iter()
        .map(|user| user.trim())
        .filter(|user| !user.is_empty())
        .map(|user| person(user, words))
        .collect();
    let users = (!users.is_empty()).then(|| users.join(", "));
    let ours = match (line, users) {
        (Some(line), Some(users)) => Some(format!("{line} · {users}")),
        (Some(one), None) | (None, Some(one)) => Some(one),
        (None, None) => None,
    };
    if let Some(ours) = ours {
        lines.push(match call.summary.direction {
            Direction::In => format!("→ {ours}"),
            // Outgoing: the line and users are the calling side.
            Direction::Out => words.text("popup.from", &[("line", &ours)]),
        });
    }
    let path: Vec<String> = call
        .path
        .iter()
        .map(|step| step.trim())
        .filter(|step| !step.is_empty())
        .map(|step| person(step, words))
        .collect();
    if path.len() > 1 {
        lines.push(words.text("outcome.via", &[("path", &path.join(" → "))]));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Summary;
    use crate::domain::{CallKey, Contact, ContactId, ContactMatch, ContactNumber, MatchKind};
    use crate::sipgate::EventKind;
    use rstest::rstest;
    use time::OffsetDateTime;

    const NUMBERS: NumbersConfig = NumbersConfig {
        region: crate::phone::Region::DE,
        display: crate::config::NumberDisplay::National,
    };
    const CALLER: &str = "492111234567";
    const LINE: &str = "4921155500000";

    fn at() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("valid time")
    }

    /// A call as the store would hand it out, built up field by field.
    struct Call(CallEntry);

    /// An incoming call from a known number to the office line, ringing Alice and Bob.
    fn call() -> Call {
        let number = PhoneNumber::from_sipgate(CALLER).expect("test caller parses");
        let mut entry = CallEntry::new(
            CallKey(7),
            Summary {
                remote: Some(CALLER.into()),
                line: Some(LINE.into()),
                users: vec!["Alice".into(), "Bob".into()],
                user_ids: vec!["w0".into(), "w1".into()],
                ..Summary::bare(CallState::Ringing, Direction::In, at())
            },
            vec!["Alice, Bob".into()],
        );
        entry.remote_e164 = Some(number.e164().into());
        entry.remote_display = Some(NUMBERS.show(&number));
        entry.refresh();
        Call(entry)
    }

    impl Call {
        fn contact(mut self, name: &str, company: &str) -> Self {
            let number = ContactNumber {
                label: "work".into(),
                typed: "0211 1234567".into(),
                e164: "+492111234567".into(),
                switchboard: false,
            };
            self.0.contact = Some(ContactMatch {
                contact: Contact {
                    id: ContactId(1),
                    name: name.into(),
                    company: company.into(),
                    notes: String::new(),
                    blocked: false,
                    numbers: vec![number.clone()],
                    created_at: at(),
                    updated_at: at(),
                },
                number,
                kind: MatchKind::Exact,
            });
            self
        }

        fn withheld(mut self) -> Self {
            self.0.summary.remote = None;
            self.0.remote_e164 = None;
            self.0.remote_display = None;
            self.0.withheld = true;
            self
        }

        fn unknown(mut self) -> Self {
            self.0.remote_display = None;
            self.0.remote_e164 = None;
            self
        }

        fn outgoing(mut self, to: &str) -> Self {
            let number = PhoneNumber::from_sipgate(to).expect("test callee parses");
            self.0.summary.direction = Direction::Out;
            self.0.summary.remote = Some(to.into());
            self.0.remote_e164 = Some(number.e164().into());
            self.0.remote_display = Some(NUMBERS.show(&number));
            self.users(&["Bob"], &["w1"])
        }

        fn users(mut self, users: &[&str], ids: &[&str]) -> Self {
            self.0.summary.users = users.iter().map(|u| (*u).into()).collect();
            self.0.summary.user_ids = ids.iter().map(|u| (*u).into()).collect();
            self.0.path = vec![users.join(", ")];
            self
        }

        fn path(mut self, path: &[&str]) -> Self {
            self.0.path = path.iter().map(|p| (*p).into()).collect();
            self
        }

        fn state(mut self, state: CallState) -> Self {
            self.0.summary.state = state;
            self
        }

        fn answered_by(mut self, by: &str) -> Self {
            self.0.summary.answered_by = Some(by.into());
            self.0.summary.answered_at = Some(at());
            self
        }

        /// Every leg has ended.
        fn over(mut self, state: CallState) -> Self {
            self.0.summary.state = state;
            self.0.summary.ended_at = Some(at());
            self
        }

        fn done(mut self) -> CallEntry {
            self.0.refresh();
            self.0
        }

        fn update(mut self, cause: UpdateCause, previous: Option<CallState>) -> CallUpdate {
            self.0.refresh();
            CallUpdate {
                call: self.0,
                cause,
                previous,
                popup: None,
            }
        }
    }

    fn alice() -> Call {
        call().contact("Alice Example", "Example GmbH")
    }

    fn popups() -> PopupsConfig {
        PopupsConfig::default()
    }

    fn only_users(users: &[&str]) -> PopupsConfig {
        PopupsConfig {
            mode: PopupMode::Users,
            users: users.iter().map(|u| (*u).into()).collect(),
            ..PopupsConfig::default()
        }
    }

    type Wording = fn(&CallEntry, Language, &NumbersConfig) -> PopupText;

    fn ringing_contact() -> CallEntry {
        alice().done()
    }
    fn ringing_test_call() -> CallEntry {
        let mut call = alice();
        call.0.summary.test = true;
        call.done()
    }
    fn ringing_unknown_number() -> CallEntry {
        call().done()
    }
    fn ringing_withheld() -> CallEntry {
        call().withheld().done()
    }
    fn ringing_without_anything() -> CallEntry {
        call().unknown().done()
    }
    fn ringing_markup() -> CallEntry {
        call().contact("<b>Eve & Co</b>", "<b>Eve & Co</b>").done()
    }
    fn ringing_group() -> CallEntry {
        alice()
            .users(&["Alice", " ", "Bob", "Carol"], &["w0", "w1", "w2"])
            .done()
    }
    fn ringing_outgoing() -> CallEntry {
        call().outgoing("4930123456").done()
    }
    fn answered_by_bob() -> CallEntry {
        alice().state(CallState::Answered).answered_by("Bob").done()
    }
    fn answered_outgoing() -> CallEntry {
        call()
            .outgoing("4930123456")
            .state(CallState::Answered)
            .answered_by("Bob")
            .done()
    }
    fn voicemail_recording() -> CallEntry {
        alice()
            .users(&["Oliver"], &["w3"])
            .path(&["Oliver", "voicemail"])
            .state(CallState::Voicemail)
            .answered_by("voicemail")
            .done()
    }
    fn missed_contact() -> CallEntry {
        alice().over(CallState::Missed).done()
    }
    fn missed_withheld() -> CallEntry {
        call().withheld().over(CallState::Missed).done()
    }

    #[rstest]
    #[case::contact_with_company_de(
        ringing_contact,
        ringing_text,
        Language::De,
        "Anruf von Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::contact_with_company_en(
        ringing_contact,
        ringing_text,
        Language::En,
        "Call from Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::unknown_number_de(
        ringing_unknown_number,
        ringing_text,
        Language::De,
        "Anruf von 0211 1234567",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::unknown_number_en(
        ringing_unknown_number,
        ringing_text,
        Language::En,
        "Call from 0211 1234567",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::withheld_de(
        ringing_withheld,
        ringing_text,
        Language::De,
        "Anruf mit unterdrückter Nummer",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::withheld_en(
        ringing_withheld,
        ringing_text,
        Language::En,
        "Call from withheld number",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::nothing_known_de(
        ringing_without_anything,
        ringing_text,
        Language::De,
        "Anruf von Unbekannt",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::nothing_known_en(
        ringing_without_anything,
        ringing_text,
        Language::En,
        "Call from unknown caller",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::markup_de(
        ringing_markup,
        ringing_text,
        Language::De,
        "Anruf von <b>Eve & Co</b>",
        "&lt;b&gt;Eve &amp; Co&lt;/b&gt;\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::markup_en(
        ringing_markup,
        ringing_text,
        Language::En,
        "Call from <b>Eve & Co</b>",
        "&lt;b&gt;Eve &amp; Co&lt;/b&gt;\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::group_de(
        ringing_group,
        ringing_text,
        Language::De,
        "Anruf von Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob, Carol"
    )]
    #[case::group_en(
        ringing_group,
        ringing_text,
        Language::En,
        "Call from Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob, Carol"
    )]
    #[case::outgoing_de(
        ringing_outgoing,
        ringing_text,
        Language::De,
        "Anruf an 030 123456",
        "von 0211 55500000 · Bob"
    )]
    #[case::outgoing_en(
        ringing_outgoing,
        ringing_text,
        Language::En,
        "Calling 030 123456",
        "from 0211 55500000 · Bob"
    )]
    #[case::answered_de(
        answered_by_bob,
        answered_text,
        Language::De,
        "Alice Example — angenommen von Bob",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::answered_en(
        answered_by_bob,
        answered_text,
        Language::En,
        "Alice Example — answered by Bob",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::answered_outgoing_de(
        answered_outgoing,
        answered_text,
        Language::De,
        "Gespräch mit 030 123456",
        "von 0211 55500000 · Bob"
    )]
    #[case::answered_outgoing_en(
        answered_outgoing,
        answered_text,
        Language::En,
        "Talking to 030 123456",
        "from 0211 55500000 · Bob"
    )]
    #[case::voicemail_de(
        voicemail_recording,
        answered_text,
        Language::De,
        "Alice Example — Mailbox hat übernommen",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Oliver\nüber Oliver → Mailbox"
    )]
    #[case::voicemail_en(
        voicemail_recording,
        answered_text,
        Language::En,
        "Alice Example — taken by voicemail",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Oliver\nvia Oliver → voicemail"
    )]
    #[case::missed_de(
        missed_contact,
        missed_text,
        Language::De,
        "Verpasster Anruf von Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::missed_en(
        missed_contact,
        missed_text,
        Language::En,
        "Missed call from Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::missed_withheld_de(
        missed_withheld,
        missed_text,
        Language::De,
        "Verpasster Anruf mit unterdrückter Nummer",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::missed_withheld_en(
        missed_withheld,
        missed_text,
        Language::En,
        "Missed call from withheld number",
        "→ 0211 55500000 · Alice, Bob"
    )]
    #[case::test_call_de(
        ringing_test_call,
        ringing_text,
        Language::De,
        "Testanruf: Anruf von Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    #[case::test_call_en(
        ringing_test_call,
        ringing_text,
        Language::En,
        "Test call: Call from Alice Example",
        "Example GmbH\n0211 1234567\n→ 0211 55500000 · Alice, Bob"
    )]
    fn notifications_name_the_caller_as_people_know_them(
        #[case] call: fn() -> CallEntry,
        #[case] wording: Wording,
        #[case] language: Language,
        #[case] summary: &str,
        #[case] body: &str,
    ) {
        let text = wording(&call(), language, &NUMBERS);
        assert_eq!(text.summary, summary, "the title in {language:?}");
        assert_eq!(text.body, body, "the body lines in {language:?}");
    }

    /// What `popup_for` should do, with the wording it should use.
    #[derive(Debug, Clone, Copy)]
    enum Want {
        Show(Wording),
        Update(Wording),
        Answered(Wording),
        Close,
        Missed(Wording),
        Nothing,
    }

    fn new_ringing() -> CallUpdate {
        alice().update(UpdateCause::Push(EventKind::NewCall), None)
    }
    fn answered() -> CallUpdate {
        alice()
            .state(CallState::Answered)
            .answered_by("Bob")
            .update(
                UpdateCause::Push(EventKind::Answer),
                Some(CallState::Ringing),
            )
    }
    fn voicemail_answer() -> CallUpdate {
        CallUpdate {
            call: voicemail_recording(),
            cause: UpdateCause::Push(EventKind::Answer),
            previous: Some(CallState::Ringing),
            popup: None,
        }
    }
    fn voicemail_hangup() -> CallUpdate {
        let mut call = voicemail_recording();
        call.summary.ended_at = Some(at());
        CallUpdate {
            call,
            cause: UpdateCause::Push(EventKind::Hangup),
            previous: Some(CallState::Voicemail),
            popup: None,
        }
    }
    fn hangup_after_answer() -> CallUpdate {
        alice().answered_by("Bob").over(CallState::Ended).update(
            UpdateCause::Push(EventKind::Hangup),
            Some(CallState::Answered),
        )
    }
    fn cancelled() -> CallUpdate {
        alice().over(CallState::Missed).update(
            UpdateCause::Push(EventKind::Hangup),
            Some(CallState::Ringing),
        )
    }
    fn busy() -> CallUpdate {
        alice().over(CallState::Busy).update(
            UpdateCause::Push(EventKind::Hangup),
            Some(CallState::Ringing),
        )
    }
    fn blocked() -> CallUpdate {
        alice()
            .over(CallState::Rejected)
            .update(UpdateCause::Push(EventKind::NewCall), None)
    }
    fn forwarded() -> CallUpdate {
        alice().over(CallState::Forwarded).update(
            UpdateCause::Push(EventKind::Hangup),
            Some(CallState::Ringing),
        )
    }
    fn forwarded_second_leg() -> CallUpdate {
        alice().path(&["Alice, Bob", "Oliver"]).update(
            UpdateCause::Push(EventKind::NewCall),
            Some(CallState::Forwarded),
        )
    }
    fn hangup_without_newcall() -> CallUpdate {
        alice()
            .over(CallState::Missed)
            .update(UpdateCause::Push(EventKind::Hangup), None)
    }
    fn missed_again() -> CallUpdate {
        alice().over(CallState::Missed).update(
            UpdateCause::Push(EventKind::NewCall),
            Some(CallState::Missed),
        )
    }
    fn ringing_again() -> CallUpdate {
        alice().update(
            UpdateCause::Push(EventKind::NewCall),
            Some(CallState::Ringing),
        )
    }
    fn answer_without_newcall() -> CallUpdate {
        alice()
            .state(CallState::Answered)
            .answered_by("Bob")
            .update(UpdateCause::Push(EventKind::Answer), None)
    }
    fn dtmf_while_talking() -> CallUpdate {
        alice()
            .state(CallState::Answered)
            .answered_by("Bob")
            .update(
                UpdateCause::Push(EventKind::Dtmf),
                Some(CallState::Answered),
            )
    }
    fn outgoing_ringing() -> CallUpdate {
        call()
            .outgoing("4930123456")
            .update(UpdateCause::Push(EventKind::NewCall), None)
    }
    fn expired() -> CallUpdate {
        alice()
            .over(CallState::Ended)
            .update(UpdateCause::Expired, Some(CallState::Ringing))
    }
    fn seen() -> CallUpdate {
        alice()
            .over(CallState::Missed)
            .update(UpdateCause::Seen, Some(CallState::Missed))
    }
    fn called_back() -> CallUpdate {
        alice()
            .over(CallState::Missed)
            .update(UpdateCause::CalledBack, Some(CallState::Missed))
    }

    fn no_missed() -> PopupsConfig {
        PopupsConfig {
            missed: false,
            ..popups()
        }
    }
    fn carol_only() -> PopupsConfig {
        only_users(&["Carol"])
    }
    fn bob_by_user_id() -> PopupsConfig {
        only_users(&[" W1 "])
    }
    fn nobody() -> PopupsConfig {
        only_users(&[])
    }
    fn disabled() -> PopupsConfig {
        PopupsConfig {
            enabled: false,
            ..popups()
        }
    }
    fn with_outgoing() -> PopupsConfig {
        PopupsConfig {
            outgoing: true,
            ..popups()
        }
    }

    #[rstest]
    #[case::new_ringing_call_shows(new_ringing, popups, Want::Show(ringing_text))]
    #[case::answer_updates_then_leaves(answered, popups, Want::Answered(answered_text))]
    #[case::voicemail_taking_over_updates(voicemail_answer, popups, Want::Answered(answered_text))]
    #[case::voicemail_hangup_closes(voicemail_hangup, popups, Want::Close)]
    #[case::hangup_after_answer_closes(hangup_after_answer, popups, Want::Close)]
    #[case::cancel_is_missed(cancelled, popups, Want::Missed(missed_text))]
    #[case::cancel_without_missed_popups_closes(cancelled, no_missed, Want::Close)]
    #[case::busy_closes(busy, popups, Want::Close)]
    #[case::blocked_caller_never_shows(blocked, popups, Want::Close)]
    #[case::forward_closes(forwarded, popups, Want::Close)]
    #[case::forwarded_second_leg_updates(forwarded_second_leg, popups, Want::Update(ringing_text))]
    #[case::missed_without_newcall_still_leaves_a_note(
        hangup_without_newcall,
        popups,
        Want::Missed(missed_text)
    )]
    #[case::missed_twice_shows_once(missed_again, popups, Want::Nothing)]
    #[case::ringing_twice_shows_once(ringing_again, popups, Want::Nothing)]
    #[case::answer_without_a_shown_popup_is_nothing(answer_without_newcall, popups, Want::Nothing)]
    #[case::dtmf_changes_nothing(dtmf_while_talking, popups, Want::Nothing)]
    #[case::filtered_out_user_shows_nothing(new_ringing, carol_only, Want::Nothing)]
    #[case::filtered_out_user_still_closes(hangup_after_answer, carol_only, Want::Close)]
    #[case::filtered_out_user_gets_no_missed_note(cancelled, carol_only, Want::Close)]
    #[case::user_matches_by_id_ignoring_case(new_ringing, bob_by_user_id, Want::Show(ringing_text))]
    #[case::users_mode_without_users_shows_nothing(new_ringing, nobody, Want::Nothing)]
    #[case::disabled_shows_nothing(new_ringing, disabled, Want::Nothing)]
    #[case::disabled_still_closes(hangup_after_answer, disabled, Want::Close)]
    #[case::outgoing_off_shows_nothing(outgoing_ringing, popups, Want::Nothing)]
    #[case::outgoing_on_shows(outgoing_ringing, with_outgoing, Want::Show(ringing_text))]
    #[case::expired_closes(expired, popups, Want::Close)]
    #[case::expired_closes_even_filtered(expired, carol_only, Want::Close)]
    #[case::seen_closes_the_missed_notice(seen, popups, Want::Close)]
    #[case::called_back_closes_the_missed_notice(called_back, popups, Want::Close)]
    fn call_updates_show_update_close_or_leave_notifications(
        #[case] update: fn() -> CallUpdate,
        #[case] settings: fn() -> PopupsConfig,
        #[case] want: Want,
        #[values(Language::De, Language::En)] language: Language,
    ) {
        let update = update();
        let words = |wording: Wording| wording(&update.call, language, &NUMBERS);
        let expected = match want {
            Want::Show(wording) => PopupAction::Show(words(wording)),
            Want::Update(wording) => PopupAction::Update(words(wording)),
            Want::Answered(wording) => {
                PopupAction::Answered(words(wording), std::time::Duration::from_secs(8))
            }
            Want::Close => PopupAction::Close,
            Want::Missed(wording) => PopupAction::Missed(words(wording)),
            Want::Nothing => PopupAction::Nothing,
        };
        assert_eq!(
            popup_for(&update, language, &settings(), &NUMBERS),
            expected,
            "{:?} from {:?} by {:?}",
            update.call.summary.state,
            update.previous,
            update.cause
        );
    }

    #[test]
    fn a_call_that_is_over_closes_its_popup_whatever_the_filters_say() {
        for state in CallState::ALL {
            for previous in [CallState::Ringing, CallState::Answered] {
                if state == previous {
                    continue; // still live: nothing to close
                }
                let update = alice()
                    .over(state)
                    .update(UpdateCause::Push(EventKind::Hangup), Some(previous));
                let over = !update.call.summary.state.is_live();
                let action = popup_for(&update, Language::De, &carol_only(), &NUMBERS);
                assert_eq!(
                    action == PopupAction::Close,
                    over,
                    "{previous:?} -> {state:?} must close exactly when the call is over, got {action:?}"
                );
            }
        }
    }

    #[test]
    fn title_stays_on_one_line_even_with_a_pasted_name() {
        let entry = call().contact("Alice\nExample\r\n", "Example\nGmbH").done();
        let text = ringing_text(&entry, Language::De, &NUMBERS);
        assert_eq!(
            text.summary, "Anruf von Alice Example",
            "notification titles are one line"
        );
        assert!(
            text.body.starts_with("Example GmbH\n"),
            "a company line is one body line: {:?}",
            text.body
        );
    }

    #[test]
    fn a_line_that_is_no_number_reads_as_unknown_number() {
        let mut entry = call().0;
        entry.summary.line = Some("sip:office".into());
        assert_eq!(
            ringing_text(&entry, Language::De, &NUMBERS).body,
            "→ unbekannte Nummer · Alice, Bob",
            "the raw value is for the call's details, not the popup"
        );
        assert_eq!(
            ringing_text(&entry, Language::En, &NUMBERS).body,
            "→ unknown number · Alice, Bob"
        );
    }

    #[rstest]
    #[case("Tom's \"Bar\" <x> & y", "Tom&#39;s &quot;Bar&quot; &lt;x&gt; &amp; y")]
    #[case("&amp;", "&amp;amp;")]
    #[case("Müller · → ok", "Müller · → ok")]
    fn markup_characters_are_escaped_and_everything_else_kept(
        #[case] input: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(
            escape_markup(input),
            expected,
            "the body must show {input:?} literally"
        );
    }

    #[rstest]
    #[case(Language::De, ("Anzeigen", "Kontakt anlegen", "Zurückrufen"))]
    #[case(Language::En, ("Show", "Add contact", "Call back"))]
    fn action_labels_speak_the_language(
        #[case] language: Language,
        #[case] expected: (&str, &str, &str),
    ) {
        let labels = action_labels(language);
        assert_eq!(
            (
                labels.show.as_str(),
                labels.add_contact.as_str(),
                labels.call_back.as_str()
            ),
            expected,
            "button labels in {language:?}"
        );
    }
}
