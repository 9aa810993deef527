//! How calls, contacts and times are written to the terminal.

use klingel_core::domain::{CallEntry, Contact};
use klingel_core::sipgate::Direction;
use klingel_core::view::{self, PartyKind};
use klingel_core::words::Words;
use klingel_core::{PhoneNumber, Region};
use time::{OffsetDateTime, UtcOffset};

/// "2026-11-23 15:20:07" in local time.
pub fn time(at: OffsetDateTime, offset: UtcOffset) -> String {
    let at = at.to_offset(offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// The other party as people know them: contact name and company, and the number.
pub fn party(entry: &CallEntry, words: &Words) -> String {
    let party = &entry.party;
    let name = party.label(words);
    let name = match &party.company {
        Some(company) => format!("{name} ({company})"),
        None => name,
    };
    match (party.kind, &party.number) {
        (PartyKind::Contact, Some(number)) => format!("{name} · {number}"),
        _ => name,
    }
}

/// The outcome in the words of the window, with when a missed call was called back and
/// whether it is new.
pub fn outcome(entry: &CallEntry, words: &Words, offset: UtcOffset) -> String {
    let mut text = view::outcome_line(entry, words);
    if let Some(at) = entry.called_back_at {
        text.push_str(&format!(" ({})", time(at, offset)));
    }
    if entry.outcome.unseen {
        text.push_str(&format!(" [{}]", words.text("calls.unseen", &[])));
    }
    if entry.summary.test {
        text.push_str(&format!(" [{}]", words.text("calls.testTag", &[])));
    }
    text
}

/// One line per call: id, time, direction, party, who was rung, outcome, talk time.
pub fn call_line(entry: &CallEntry, words: &Words, offset: UtcOffset) -> String {
    let arrow = match entry.summary.direction {
        Direction::In => "in ",
        Direction::Out => "out",
    };
    let rung = if entry.rung.is_empty() {
        String::new()
    } else {
        format!(" → {}", entry.rung.join(", "))
    };
    let talk = entry
        .talk_seconds
        .map(|secs| format!("  {}", view::duration(secs)))
        .unwrap_or_default();
    format!(
        "#{:<5} {}  {arrow}  {}{rung}  {}{talk}",
        entry.id,
        time(entry.summary.started_at, offset),
        party(entry, words),
        outcome(entry, words, offset)
    )
}

/// A contact with its numbers, one per line.
pub fn contact_block(contact: &Contact, region: Region) -> String {
    let mut out = format!("#{} {}", contact.id, contact.name);
    if !contact.company.is_empty() {
        out.push_str(&format!(" ({})", contact.company));
    }
    if contact.blocked {
        out.push_str(" [blocked]");
    }
    for number in &contact.numbers {
        let shown = PhoneNumber::parse(&number.e164, region)
            .map(|n| n.display(region))
            .unwrap_or_else(|_| number.e164.clone());
        let label = if number.label.is_empty() {
            String::new()
        } else {
            format!("{}: ", number.label)
        };
        let switchboard = if number.switchboard {
            " (switchboard)"
        } else {
            ""
        };
        out.push_str(&format!("\n    {label}{shown}{switchboard}"));
    }
    if !contact.notes.is_empty() {
        out.push_str(&format!(
            "\n    notes: {}",
            contact.notes.replace('\n', " ")
        ));
    }
    out
}
