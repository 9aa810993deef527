//! The call log as CSV, for spreadsheets.

use super::csv::to_csv;
use crate::domain::CallEntry;
use crate::view::{self, PartyKind};
use crate::words::Words;

/// The call log as CSV: `Time,Direction,Caller,Number,Outcome,Answered by,Duration,Outcome code`.
/// Time as RFC 3339 in `offset`; direction `in`/`out`; the caller as people know them (contact
/// with company, else empty); the number as shown, else "withheld"; the outcome in `words`,
/// exactly as the window and the CLI say it; the duration as H:MM:SS, which spreadsheets read
/// as a time; and the outcome's stable code for scripts.
pub fn write_calls(calls: &[CallEntry], offset: time::UtcOffset, words: &Words) -> String {
    let mut rows = Vec::with_capacity(calls.len() + 1);
    rows.push(
        [
            "Time",
            "Direction",
            "Caller",
            "Number",
            "Outcome",
            "Answered by",
            "Duration",
            "Outcome code",
        ]
        .iter()
        .map(|h| (*h).to_string())
        .collect::<Vec<_>>(),
    );
    for call in calls {
        let summary = &call.summary;
        let time = summary
            .started_at
            .to_offset(offset)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let party = &call.party;
        let caller = match (party.kind, &party.name, &party.company) {
            (PartyKind::Contact, Some(name), Some(company)) => format!("{name} ({company})"),
            (PartyKind::Contact, Some(name), None) => name.clone(),
            _ => String::new(),
        };
        let number = party.number.clone().unwrap_or_else(|| party.label(words));
        rows.push(vec![
            time,
            summary.direction.as_str().to_string(),
            caller,
            number,
            view::outcome_line(call, words),
            summary.answered_by.clone().unwrap_or_default(),
            call.talk_seconds
                .map(view::duration_hms)
                .unwrap_or_default(),
            call.outcome.code.as_str().to_string(),
        ]);
    }
    to_csv(&rows)
}

#[cfg(test)]
mod tests {
    use time::macros::{datetime, offset};

    use super::*;
    use crate::calls::Summary;
    use crate::config::Language;
    use crate::domain::{CallEntry, CallKey, Contact, ContactMatch, MatchKind};
    use crate::sipgate::Direction;
    use crate::CallState;

    use crate::interchange::test_contact as contact;

    fn summary(state: CallState, direction: Direction) -> Summary {
        Summary::bare(state, direction, datetime!(2024-05-02 08:15:00 UTC))
    }

    fn entry(
        summary: Summary,
        remote_display: Option<&str>,
        contact: Option<Contact>,
    ) -> CallEntry {
        let mut entry = CallEntry::new(CallKey(1), summary, Vec::new());
        entry.remote_display = remote_display.map(str::to_string);
        entry.withheld = remote_display.is_none();
        entry.contact = contact.map(|contact| ContactMatch {
            number: contact.numbers[0].clone(),
            contact,
            kind: MatchKind::Exact,
        });
        entry.refresh();
        entry
    }

    #[test]
    fn the_call_log_exports_one_row_per_call() {
        let answered = Summary {
            answered_at: Some(datetime!(2024-05-02 08:15:10 UTC)),
            ended_at: Some(datetime!(2024-05-02 09:17:15 UTC)),
            answered_by: Some("Anna Schäfer".to_string()),
            ..summary(CallState::Ended, Direction::In)
        };
        let missed = summary(CallState::Missed, Direction::In);
        let expired = Summary {
            answered_at: Some(datetime!(2024-05-02 08:15:05 UTC)),
            ended_at: Some(datetime!(2024-05-02 08:16:05 UTC)),
            answered_by: Some("Jörg".to_string()),
            expired: true,
            ..summary(CallState::Ended, Direction::Out)
        };
        let calls = [
            entry(
                answered,
                Some("+49 211 1234567"),
                Some(contact(
                    "Jörg Müller",
                    "Müller, Söhne",
                    "",
                    false,
                    &[("work", "+49 211 1234567", false)],
                )),
            ),
            entry(missed, None, None),
            entry(
                expired,
                Some("0211 8210"),
                Some(contact(
                    "Stadtwerke",
                    "",
                    "",
                    false,
                    &[("main", "0211 8210", true)],
                )),
            ),
        ];
        let csv = write_calls(&calls, offset!(+2), Words::of(Language::En));
        assert_eq!(
            csv,
            "Time,Direction,Caller,Number,Outcome,Answered by,Duration,Outcome code\r\n\
             2024-05-02T10:15:00+02:00,in,\"Jörg Müller (Müller, Söhne)\",+49 211 1234567,answered by Anna Schäfer,Anna Schäfer,1:02:05,answered\r\n\
             2024-05-02T10:15:00+02:00,in,,withheld number,missed,,,missed\r\n\
             2024-05-02T10:15:00+02:00,out,Stadtwerke,0211 8210,answered (no hangup received),Jörg,0:01:00,answered\r\n",
            "time in local offset, caller with company, withheld, expired outcome, H:MM:SS"
        );
        let german = write_calls(&calls[1..2], offset!(+2), Words::of(Language::De));
        assert!(
            german.contains(",unterdrückte Nummer,verpasst,"),
            "the export speaks the window's language: {german}"
        );
    }
}
