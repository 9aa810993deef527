//! How calls, contacts and times are written to the terminal.

use klingel_core::calls::CallState;
use klingel_core::sipgate::Direction;
use klingel_core::store::{CallEntry, Contact};
use klingel_core::{PhoneNumber, Region};
use time::{Duration, OffsetDateTime, UtcOffset};

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

/// "4:07" or "1:02:03".
pub fn duration(d: Duration) -> String {
    let secs = d.whole_seconds().max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// The other party as people know them: contact name and company, else the number, else withheld.
pub fn party(entry: &CallEntry) -> String {
    let number = entry.remote_display.clone();
    match (&entry.contact, number) {
        (Some(hit), Some(number)) if hit.contact.company.is_empty() => {
            format!("{} · {number}", hit.contact.name)
        }
        (Some(hit), Some(number)) => {
            format!("{} ({}) · {number}", hit.contact.name, hit.contact.company)
        }
        (Some(hit), None) => hit.contact.name.clone(),
        (None, Some(number)) => number,
        (None, None) if entry.withheld => "withheld".to_string(),
        (None, None) => "unknown".to_string(),
    }
}

/// The outcome in words, e.g. "answered by Bob" or "missed, called back by Bob".
pub fn outcome(entry: &CallEntry, offset: UtcOffset) -> String {
    let s = &entry.summary;
    let by = s.answered_by.as_deref().filter(|b| !b.is_empty());
    let mut text = match s.state {
        CallState::Ringing => "ringing".to_string(),
        CallState::Answered => match by {
            Some(by) => format!("talking with {by}"),
            None => "talking".to_string(),
        },
        CallState::Ended if s.answered_at.is_some() => match by {
            Some(by) => format!("answered by {by}"),
            None => "answered".to_string(),
        },
        CallState::Ended if s.direction == Direction::Out => "not answered".to_string(),
        CallState::Ended => "ended".to_string(),
        CallState::Missed => "missed".to_string(),
        CallState::Busy => "busy".to_string(),
        CallState::Rejected => "rejected".to_string(),
        CallState::Forwarded => "forwarded".to_string(),
        CallState::Voicemail => "voicemail".to_string(),
    };
    if entry.path.len() > 1 {
        text.push_str(&format!(" (via {})", entry.path.join(" → ")));
    }
    if s.expired {
        text.push_str(" (no hangup received)");
    }
    if let Some(at) = entry.called_back_at {
        match &entry.called_back_by {
            Some(by) => text.push_str(&format!(", called back by {by} at {}", time(at, offset))),
            None => text.push_str(&format!(", called back at {}", time(at, offset))),
        }
    }
    if s.state == CallState::Missed && entry.seen_at.is_none() {
        text.push_str(" [new]");
    }
    text
}

/// One line per call: id, time, direction, party, who was rung, outcome, duration.
pub fn call_line(entry: &CallEntry, offset: UtcOffset) -> String {
    let s = &entry.summary;
    let arrow = match s.direction {
        Direction::In => "in ",
        Direction::Out => "out",
    };
    let users: Vec<&str> = s
        .users
        .iter()
        .map(String::as_str)
        .filter(|u| !u.is_empty())
        .collect();
    let rung = if users.is_empty() {
        String::new()
    } else {
        format!(" → {}", users.join(", "))
    };
    let talk = s
        .duration()
        .map(|d| format!("  {}", duration(d)))
        .unwrap_or_default();
    format!(
        "#{:<5} {}  {arrow}  {}{rung}  {}{talk}",
        entry.id,
        time(s.started_at, offset),
        party(entry),
        outcome(entry, offset)
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
