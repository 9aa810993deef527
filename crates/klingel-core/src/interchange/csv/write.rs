//! Writing Klingel's own contact export, which reads back unchanged, and CSV rows in general.

/// Contacts as CSV: UTF-8, header `Name,Company,Notes,Blocked,Phone 1 Label,Phone 1,Phone 1 Switchboard,Phone 2 Label,…` (as many phone groups as the contact with most numbers needs); reading our own export back gives the same contacts (dialect Klingel).
pub fn write_contacts(contacts: &[crate::domain::Contact]) -> String {
    let groups = contacts.iter().map(|c| c.numbers.len()).max().unwrap_or(0);
    let mut rows = Vec::with_capacity(contacts.len() + 1);
    let mut header: Vec<String> = ["Name", "Company", "Notes", "Blocked"]
        .iter()
        .map(|h| (*h).to_string())
        .collect();
    for n in 1..=groups {
        header.push(format!("Phone {n} Label"));
        header.push(format!("Phone {n}"));
        header.push(format!("Phone {n} Switchboard"));
    }
    rows.push(header);
    for contact in contacts {
        let mut row = vec![
            contact.name.clone(),
            contact.company.clone(),
            contact.notes.clone(),
            yes_no(contact.blocked).to_string(),
        ];
        for i in 0..groups {
            match contact.numbers.get(i) {
                Some(number) => {
                    let written = if number.typed.trim().is_empty() {
                        &number.e164
                    } else {
                        &number.typed
                    };
                    row.push(number.label.clone());
                    row.push(written.clone());
                    row.push(yes_no(number.switchboard).to_string());
                }
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        rows.push(row);
    }
    to_csv(&rows)
}

/// The yes/no word our exports use; the reader's `truthy` reads it back.
fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// Rows as RFC 4180 CSV (CRLF, quoted only where needed).
pub(in crate::interchange) fn to_csv(rows: &[Vec<String>]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail, and flexible(true) rules out the length check.
        let _ = writer.write_record(row);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::interchange::csv::{layout, read, Dialect};
    use crate::interchange::text::Encoding;

    use crate::interchange::test_contact as contact;

    #[test]
    fn our_own_export_reads_back_unchanged() {
        let contacts = vec![
            contact(
                "Jörg Müller",
                "Müller, Söhne & \"Partner\"",
                "Zeile 1; mit Semikolon\nZeile 2, mit Komma\n\"zitiert\"",
                false,
                &[
                    ("work", "+49 211 1234567", false),
                    ("Handy privat", "0171 2233445", false),
                ],
            ),
            contact(
                "Stadtwerke Zentrale",
                "Stadtwerke Düsseldorf AG",
                "",
                false,
                &[
                    ("main", "0211 8210", true),
                    ("", "0211 821-0", false),
                    ("fax", "0211 821-99", false),
                ],
            ),
            contact(
                "Werbeanrufer",
                "",
                "",
                true,
                &[("", "+49 800 0000000", false)],
            ),
            contact("Ohne Nummer", "", "nur Notiz", false, &[]),
        ];
        let csv = write_contacts(&contacts);
        assert!(
            csv.starts_with(
                "Name,Company,Notes,Blocked,Phone 1 Label,Phone 1,Phone 1 Switchboard,\
                 Phone 2 Label,Phone 2,Phone 2 Switchboard,Phone 3 Label,Phone 3,Phone 3 Switchboard\r\n"
            ),
            "three phone groups for the contact with three numbers: {csv}"
        );
        let layout = layout(csv.as_bytes(), &[]).expect("layout detected");
        assert_eq!(layout.dialect, Dialect::Klingel, "our own export");
        assert_eq!(
            (layout.delimiter, layout.encoding),
            (',', Encoding::Utf8),
            "comma, UTF-8"
        );
        let records = read(csv.as_bytes(), &layout).expect("records read");
        assert_eq!(records.len(), contacts.len(), "every contact comes back");
        for (record, contact) in records.iter().zip(&contacts) {
            assert_eq!(record.name, contact.name, "name");
            assert_eq!(
                record.company, contact.company,
                "company of {}",
                contact.name
            );
            assert_eq!(record.notes, contact.notes, "notes of {}", contact.name);
            assert_eq!(
                record.blocked, contact.blocked,
                "blocked of {}",
                contact.name
            );
            let numbers: Vec<(&str, &str, bool)> = record
                .numbers
                .iter()
                .map(|n| (n.label.as_str(), n.number.as_str(), n.switchboard))
                .collect();
            let expected: Vec<(&str, &str, bool)> = contact
                .numbers
                .iter()
                .map(|n| (n.label.as_str(), n.typed.as_str(), n.switchboard))
                .collect();
            assert_eq!(numbers, expected, "numbers of {}", contact.name);
        }
    }

    #[test]
    fn contacts_without_numbers_export_without_phone_groups() {
        let csv = write_contacts(&[contact("Anna", "", "", false, &[])]);
        assert_eq!(
            csv, "Name,Company,Notes,Blocked\r\nAnna,,,no\r\n",
            "no phone columns needed"
        );
        let layout = layout(csv.as_bytes(), &[]).expect("layout detected");
        let records = read(csv.as_bytes(), &layout).expect("records read");
        assert_eq!(layout.dialect, Dialect::Klingel, "still recognised");
        assert_eq!(records[0].name, "Anna", "read back");
    }
}
