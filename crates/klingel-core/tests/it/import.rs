//! Importing contacts: merge by number, one transaction, the report, round trips.

use klingel_core::domain::{ContactInput, NumberInput};
use klingel_core::interchange::{self, csv, vcard, ContactRecord, Format, Place, RecordNumber};
use klingel_core::store::StoreError;
use klingel_core::{PhoneNumber, Region};

use crate::support::temp_store;

fn record(line: usize, name: &str, company: &str, numbers: &[(&str, &str)]) -> ContactRecord {
    ContactRecord {
        place: Place::Row { line },
        name: name.into(),
        company: company.into(),
        notes: String::new(),
        numbers: numbers
            .iter()
            .map(|(label, number)| RecordNumber {
                label: (*label).into(),
                number: (*number).into(),
                switchboard: false,
            })
            .collect(),
        blocked: false,
    }
}

#[test]
fn a_known_number_updates_its_contact_instead_of_creating_a_second() {
    let (_dir, store, _) = temp_store();
    store
        .add_contact(
            &ContactInput {
                name: "Jörg Müller".into(),
                numbers: vec![NumberInput {
                    number: "0211 1234567".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
            Region::DE,
        )
        .expect("existing contact");
    let records = vec![
        record(
            2,
            "J. Müller",
            "Bäckerei Müller",
            &[("work", "+49 211 1234567"), ("cell", "0171 2345678")],
        ),
        record(3, "Anna Schmidt", "", &[("work", "030 1234567")]),
        // The same person twice in one file: the second row merges into the first.
        record(
            4,
            "Anna Schmidt",
            "Schmidt GmbH",
            &[("cell", "030 1234567"), ("fax", "030 1234568")],
        ),
    ];
    let report = store
        .import(&records, Region::DE, false, |_, _| {})
        .expect("import");
    assert_eq!(
        (report.created, report.updated, report.unchanged),
        (1, 2, 0),
        "{report:?}"
    );
    let all = store.contacts(None, Region::DE).expect("contacts");
    assert_eq!(all.len(), 2, "no duplicates: {all:?}");
    let joerg = all
        .iter()
        .find(|c| c.name == "Jörg Müller")
        .expect("the existing name is kept");
    assert_eq!(
        joerg.company, "Bäckerei Müller",
        "an empty field is filled in"
    );
    let numbers: Vec<&str> = joerg.numbers.iter().map(|n| n.e164.as_str()).collect();
    assert_eq!(
        numbers,
        vec!["+492111234567", "+491712345678"],
        "the missing number is added"
    );
    let anna = all
        .iter()
        .find(|c| c.name == "Anna Schmidt")
        .expect("created");
    assert_eq!(
        anna.numbers.len(),
        2,
        "the fax from the second row joins the contact"
    );
    assert_eq!(anna.company, "Schmidt GmbH");

    let again = store
        .import(&records, Region::DE, false, |_, _| {})
        .expect("import again");
    assert_eq!(
        (again.created, again.updated, again.unchanged),
        (0, 0, 3),
        "importing twice changes nothing"
    );
}

#[test]
fn the_report_names_every_skipped_record_and_number() {
    let (_dir, store, _) = temp_store();
    let records = vec![
        record(2, "", "", &[]),
        record(
            3,
            "Eve",
            "",
            &[("work", "call me maybe"), ("cell", "0171 2345678")],
        ),
        record(4, "", "", &[("", "12")]),
        record(5, "", "Only A Company GmbH", &[("main", "0211 99887766")]),
    ];
    let report = store
        .import(&records, Region::DE, false, |_, _| {})
        .expect("import");
    assert_eq!(
        report.created, 2,
        "Eve (with her good number) and the company"
    );
    let reasons: Vec<String> = report
        .skipped
        .iter()
        .map(|s| format!("{}: {}", s.place, s.reason))
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].starts_with("line 2: no name and no usable number"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("line 3: number \"call me maybe\" left out"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("line 4: number \"12\" left out"),
        "{reasons:?}"
    );
    assert!(
        reasons[3].starts_with("line 4: no name and no usable number"),
        "{reasons:?}"
    );
    let names: Vec<String> = store
        .contacts(None, Region::DE)
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        vec!["Eve", "Only A Company GmbH"],
        "a contact without a name is named by its company"
    );
}

#[test]
fn a_dry_run_reports_without_writing() {
    let (_dir, store, _) = temp_store();
    let records = vec![record(2, "Anna", "", &[("", "030 1234567")])];
    let report = store
        .import(&records, Region::DE, true, |_, _| {})
        .expect("dry run");
    assert!(report.dry_run);
    assert_eq!(report.created, 1, "the dry run counts what would happen");
    assert!(
        store.contacts(None, Region::DE).expect("list").is_empty(),
        "but writes nothing"
    );
}

#[test]
fn an_error_half_way_leaves_the_book_as_it_was() {
    let (_dir, store, _) = temp_store();
    store
        .add_contact(
            &ContactInput {
                name: "Before".into(),
                ..Default::default()
            },
            Region::DE,
        )
        .expect("existing");
    // A write that fails in the middle of the import, as a full disk or a locked file would.
    store
        .with(|conn| {
            conn.execute_batch(
                "CREATE TRIGGER fail_on_boom BEFORE INSERT ON contacts WHEN NEW.name = 'Boom'
                 BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
            )?;
            Ok(())
        })
        .expect("trigger");
    let records: Vec<ContactRecord> = (0..500)
        .map(|i| {
            record(
                i + 2,
                if i == 250 { "Boom" } else { "Someone" },
                "",
                &[("", &format!("030 {:07}", 1_000_000 + i))],
            )
        })
        .collect();
    let err = store
        .import(&records, Region::DE, false, |_, _| {})
        .expect_err("the failing row stops the import");
    assert!(matches!(err, StoreError::Sqlite(_)), "{err}");
    let names: Vec<String> = store
        .contacts(None, Region::DE)
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        vec!["Before"],
        "the 250 rows before the failure were rolled back"
    );
}

#[test]
fn progress_is_reported_up_to_the_total() {
    let (_dir, store, _) = temp_store();
    let records: Vec<ContactRecord> = (0..2500)
        .map(|i| {
            record(
                i + 2,
                &format!("C{i}"),
                "",
                &[("", &format!("030 {:07}", 2_000_000 + i))],
            )
        })
        .collect();
    let mut seen = Vec::new();
    store
        .import(&records, Region::DE, false, |done, total| {
            seen.push((done, total))
        })
        .expect("import");
    assert_eq!(seen.first(), Some(&(0, 2500)));
    assert_eq!(seen.last(), Some(&(2500, 2500)), "the bar reaches the end");
    assert!(
        seen.len() >= 3,
        "large imports report along the way: {seen:?}"
    );
}

fn sample_book(store: &klingel_core::Store) {
    let add = |input: ContactInput| store.add_contact(&input, Region::DE).expect("add");
    add(ContactInput {
        name: "Jörg Müller".into(),
        company: "Bäckerei Müller; Söhne, \"Frisch\"".into(),
        notes: "Ruft morgens an.\nLieferung: Mo, Mi".into(),
        numbers: vec![
            NumberInput {
                label: "work".into(),
                number: "0211 1234567".into(),
                switchboard: false,
            },
            NumberInput {
                label: "cell".into(),
                number: "0171 2345678".into(),
                switchboard: false,
            },
        ],
        ..Default::default()
    });
    add(ContactInput {
        name: "ACME Zentrale".into(),
        company: "ACME GmbH".into(),
        numbers: vec![NumberInput {
            label: "main".into(),
            number: "0211 12345-0".into(),
            switchboard: true,
        }],
        ..Default::default()
    });
    add(ContactInput {
        name: "Werbung".into(),
        blocked: true,
        numbers: vec![NumberInput {
            number: "+44 20 7946 0958".into(),
            ..Default::default()
        }],
        ..Default::default()
    });
}

/// A number as it must survive a round trip: label, E.164, switchboard.
type NumberEssence = (String, String, bool);
/// A contact as it must survive a round trip: name, company, notes, blocked, numbers.
type ContactEssence = (String, String, String, bool, Vec<NumberEssence>);

/// What must survive a round trip, independent of ids and timestamps.
fn essence(store: &klingel_core::Store) -> Vec<ContactEssence> {
    store
        .contacts(None, Region::DE)
        .expect("list")
        .into_iter()
        .map(|c| {
            let numbers = c
                .numbers
                .into_iter()
                .map(|n| (n.label, n.e164, n.switchboard))
                .collect();
            (c.name, c.company, c.notes, c.blocked, numbers)
        })
        .collect()
}

#[test]
fn export_then_import_into_an_empty_book_gives_the_same_contacts() {
    let (_dir, store, _) = temp_store();
    sample_book(&store);
    let contacts = store.contacts(None, Region::DE).expect("list");
    for (format, text) in [
        (Format::Vcard, vcard::write(&contacts)),
        (Format::Csv, csv::write_contacts(&contacts)),
    ] {
        let (_dir2, empty, _) = temp_store();
        let file =
            interchange::read_file(text.as_bytes(), None, &[]).expect("our own export reads back");
        assert_eq!(
            file.format, format,
            "the format is detected from the content"
        );
        let report = empty
            .import(&file.records, Region::DE, false, |_, _| {})
            .expect("import");
        assert_eq!(report.created, 3, "{format:?}: {report:?}");
        assert!(report.skipped.is_empty(), "{format:?}: {report:?}");
        assert_eq!(
            essence(&empty),
            essence(&store),
            "{format:?} round trip loses nothing"
        );
    }
}

#[test]
fn an_imported_number_finds_its_contact() {
    let (_dir, store, _) = temp_store();
    let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Priya Natarajan\r\nORG:Natarajan AG\r\nTEL;TYPE=WORK:+49 30 9876543\r\nEND:VCARD\r\n";
    let file = interchange::read_file(text.as_bytes(), None, &[]).expect("read");
    store
        .import(&file.records, Region::DE, false, |_, _| {})
        .expect("import");
    let caller = PhoneNumber::from_sipgate("49309876543").expect("sipgate form");
    let hit = store
        .lookup(&caller)
        .expect("lookup")
        .expect("the next call from that number is named");
    assert_eq!(hit.contact.name, "Priya Natarajan");
}
