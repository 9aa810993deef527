//! Property tests of the readers that take input from outside: the push parser, the phone
//! number parser, and the vCard and CSV readers. None may panic on any input, and where a
//! printer exists, reading what it printed gives back what went in.

use klingel_core::domain::{Contact, ContactId, ContactNumber};
use klingel_core::interchange::{csv, vcard};
use klingel_core::sipgate::{parse, BodyFormat, Event, Parsed};
use klingel_core::{PhoneNumber, Region};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    }
}

/// Text as people type it: letters with umlauts, digits, punctuation, spaces, and now and
/// then a character that needs quoting or escaping in the format at hand.
fn words() -> impl Strategy<Value = String> {
    "[A-Za-zÄÖÜäöüß0-9 .,;:&'\"()/@+-]{1,30}"
        .prop_map(|s| s.trim().to_string())
        .prop_filter("not blank", |s| !s.is_empty())
}

/// A German number as sipgate sends it: 49, an area code without its 0, a subscriber number.
fn german_number() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["30", "40", "89", "211", "221", "6221", "151", "176"]),
        "[1-9][0-9]{4,7}",
    )
        .prop_map(|(area, subscriber)| format!("49{area}{subscriber}"))
}

fn encode(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_push_parser_takes_any_bytes_without_panicking(body in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&body, BodyFormat::Form);
        let _ = parse(&body, BodyFormat::Json);
    }

    #[test]
    fn the_push_parser_takes_any_form_shaped_text(pairs in prop::collection::vec(("[a-zA-Z%\\[\\]]{0,12}", "[ -~]{0,20}"), 0..12)) {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let _ = parse(body.as_bytes(), BodyFormat::Form);
    }

    #[test]
    fn a_printed_push_reads_back_as_it_was_sent(
        call_id in "[0-9A-F]{1,32}",
        from in german_number(),
        to in german_number(),
        users in prop::collection::vec(words(), 0..4),
    ) {
        let mut body = format!(
            "event=newCall&direction=in&callId={}&from={}&to={}",
            encode(&call_id), encode(&from), encode(&to)
        );
        for user in &users {
            body.push_str(&format!("&user%5B%5D={}", encode(user)));
        }
        let Ok(Parsed::Push(push)) = parse(body.as_bytes(), BodyFormat::Form) else {
            panic!("a well-formed push must parse: {body}");
        };
        prop_assert_eq!(push.call_id, call_id);
        prop_assert_eq!(push.from.as_deref(), Some(from.as_str()));
        prop_assert_eq!(push.to.as_deref(), Some(to.as_str()));
        let Event::NewCall { users: parsed, .. } = push.event else {
            panic!("a newCall");
        };
        prop_assert_eq!(parsed, users);
    }

    #[test]
    fn the_number_parser_takes_any_text_without_panicking(text in "\\PC{0,40}", region in prop::sample::select(vec!["DE", "AT", "CH", "US"])) {
        let region: Region = region.parse().expect("a known region");
        let _ = PhoneNumber::parse(&text, region);
        let _ = PhoneNumber::from_sipgate(&text);
    }

    #[test]
    fn a_number_shown_either_way_reads_back_as_the_same_number(raw in german_number()) {
        let number = PhoneNumber::from_sipgate(&raw).expect("sipgate's form parses");
        for shown_in in [Region::DE, "AT".parse().expect("Austria")] {
            let shown = number.display(shown_in);
            let again = PhoneNumber::parse(&shown, shown_in).expect("what Klingel shows parses");
            prop_assert_eq!(again.e164(), number.e164(), "{} shown as {:?}", raw, shown);
        }
    }

    #[test]
    fn the_vcard_reader_takes_any_text_without_panicking(text in "(BEGIN:VCARD\r\n)?[ -~\r\n;:=äöü\\\\]{0,400}(END:VCARD)?") {
        let _ = vcard::read(&text);
    }

    #[test]
    fn the_csv_readers_take_any_bytes_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(layout) = csv::layout(&bytes, &[]) {
            let _ = csv::read(&bytes, &layout);
        }
    }

    #[test]
    fn contacts_written_as_vcard_and_csv_read_back_the_same(contacts in prop::collection::vec(contact(), 1..6)) {
        let expected: Vec<_> = contacts.iter().map(summary).collect();

        let read = vcard::read(&vcard::write(&contacts)).expect("our own vCards read");
        let got: Vec<_> = read.iter().map(|r| (r.name.clone(), r.company.clone(), r.notes.clone(), r.blocked, numbers_of(r))).collect();
        prop_assert_eq!(&got, &expected, "vCard");

        let text = csv::write_contacts(&contacts);
        let layout = csv::layout(text.as_bytes(), &[]).expect("our own CSV has a layout");
        let read = csv::read(text.as_bytes(), &layout).expect("our own CSV reads");
        let got: Vec<_> = read.iter().map(|r| (r.name.clone(), r.company.clone(), r.notes.clone(), r.blocked, numbers_of(r))).collect();
        prop_assert_eq!(&got, &expected, "CSV");
    }
}

type Summary = (String, String, String, bool, Vec<(String, bool)>);

fn summary(contact: &Contact) -> Summary {
    (
        contact.name.clone(),
        contact.company.clone(),
        contact.notes.clone(),
        contact.blocked,
        contact
            .numbers
            .iter()
            .map(|n| (n.typed.clone(), n.switchboard))
            .collect(),
    )
}

fn numbers_of(record: &klingel_core::interchange::ContactRecord) -> Vec<(String, bool)> {
    record
        .numbers
        .iter()
        .map(|n| (n.number.clone(), n.switchboard))
        .collect()
}

fn contact() -> impl Strategy<Value = Contact> {
    (
        words(),
        prop::option::of(words()),
        prop::option::of(words()),
        any::<bool>(),
        prop::collection::vec((german_number(), any::<bool>()), 1..3),
    )
        .prop_map(|(name, company, notes, blocked, numbers)| {
            let at = time::OffsetDateTime::UNIX_EPOCH;
            Contact {
                id: ContactId(1),
                name,
                company: company.unwrap_or_default(),
                notes: notes.unwrap_or_default(),
                blocked,
                numbers: numbers
                    .into_iter()
                    .map(|(raw, switchboard)| ContactNumber {
                        label: String::new(),
                        typed: format!("+{raw}"),
                        e164: format!("+{raw}"),
                        switchboard,
                    })
                    .collect(),
                created_at: at,
                updated_at: at,
            }
        })
}
