//! The call log as CSV, for spreadsheets.

use super::csv::to_csv;

/// The call log as CSV: header `Time,Direction,Caller,Number,Outcome,Answered by,Duration` — time as RFC 3339 in the given offset, direction `in`/`out`, caller = contact name (with company in parentheses when there is one) or empty, number = remote_display or "withheld", outcome = the CallState word (`ended` calls that were answered read `answered`; expired ones get " (no hangup received)"), answered by, duration as H:MM:SS or empty.
pub fn write_calls(calls: &[crate::store::CallEntry], offset: time::UtcOffset) -> String {
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
        let caller = match &call.contact {
            Some(m) if m.contact.company.trim().is_empty() => m.contact.name.clone(),
            Some(m) => format!("{} ({})", m.contact.name, m.contact.company),
            None => String::new(),
        };
        let number = call
            .remote_display
            .clone()
            .unwrap_or_else(|| "withheld".to_string());
        let mut outcome = match summary.state {
            crate::CallState::Ended if summary.answered_at.is_some() => "answered",
            state => state.as_str(),
        }
        .to_string();
        if summary.expired {
            outcome.push_str(" (no hangup received)");
        }
        let duration = summary.duration().map(hms).unwrap_or_default();
        rows.push(vec![
            time,
            summary.direction.as_str().to_string(),
            caller,
            number,
            outcome,
            summary.answered_by.clone().unwrap_or_default(),
            duration,
        ]);
    }
    to_csv(&rows)
}

/// A duration as H:MM:SS; negative ones (clock skew between pushes) read as zero.
fn hms(duration: time::Duration) -> String {
    let total = duration.whole_seconds().max(0);
    let (hours, minutes, seconds) = (total / 3600, total / 60 % 60, total % 60);
    format!("{hours}:{minutes:02}:{seconds:02}")
}

#[cfg(test)]
mod tests {
    use time::macros::{datetime, offset};

    use super::*;
    use crate::calls::Summary;
    use crate::sipgate::Direction;
    use crate::store::{
        CallEntry, CallKey, Contact, ContactId, ContactMatch, ContactNumber, MatchKind,
    };
    use crate::CallState;

    fn contact(
        name: &str,
        company: &str,
        notes: &str,
        blocked: bool,
        numbers: &[(&str, &str, bool)],
    ) -> Contact {
        let at = datetime!(2024-05-01 09:00 UTC);
        Contact {
            id: ContactId(1),
            name: name.to_string(),
            company: company.to_string(),
            notes: notes.to_string(),
            blocked,
            numbers: numbers
                .iter()
                .map(|(label, typed, switchboard)| ContactNumber {
                    label: (*label).to_string(),
                    typed: (*typed).to_string(),
                    e164: String::new(),
                    switchboard: *switchboard,
                })
                .collect(),
            created_at: at,
            updated_at: at,
        }
    }

    fn summary(state: CallState, direction: Direction) -> Summary {
        Summary {
            state,
            direction,
            remote: None,
            line: None,
            users: Vec::new(),
            user_ids: Vec::new(),
            started_at: datetime!(2024-05-02 08:15:00 UTC),
            answered_at: None,
            ended_at: None,
            answered_by: None,
            answering_number: None,
            cause: None,
            expired: false,
            dtmf: String::new(),
        }
    }

    fn entry(
        summary: Summary,
        remote_display: Option<&str>,
        contact: Option<Contact>,
    ) -> CallEntry {
        CallEntry {
            id: CallKey(1),
            summary,
            path: Vec::new(),
            remote_e164: None,
            remote_display: remote_display.map(str::to_string),
            withheld: remote_display.is_none(),
            line_display: None,
            contact: contact.map(|contact| ContactMatch {
                number: contact.numbers[0].clone(),
                contact,
                kind: MatchKind::Exact,
            }),
            seen_at: None,
            called_back_at: None,
            called_back_by: None,
        }
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
        let csv = write_calls(&calls, offset!(+2));
        assert_eq!(
            csv,
            "Time,Direction,Caller,Number,Outcome,Answered by,Duration\r\n\
             2024-05-02T10:15:00+02:00,in,\"Jörg Müller (Müller, Söhne)\",+49 211 1234567,answered,Anna Schäfer,1:02:05\r\n\
             2024-05-02T10:15:00+02:00,in,,withheld,missed,,\r\n\
             2024-05-02T10:15:00+02:00,out,Stadtwerke,0211 8210,answered (no hangup received),Jörg,0:01:00\r\n",
            "time in local offset, caller with company, withheld, expired outcome, H:MM:SS"
        );
    }
}
