//! Writing vCard 4.0.

use crate::domain::Contact;

/// Writes contacts as vCard 4.0 (one after another; CRLF line ends; lines folded at 75 octets).
pub fn write(contacts: &[Contact]) -> String {
    let mut out = String::with_capacity(contacts.len() * 256);
    let mut line = String::new();
    for contact in contacts {
        push_folded(&mut out, "BEGIN:VCARD");
        push_folded(&mut out, "VERSION:4.0");

        let name = contact.name.trim();
        line.clear();
        line.push_str("FN:");
        push_escaped(&mut line, name);
        push_folded(&mut out, &line);

        // N is what address books sort by; the last word is the best guess at the family name
        // that can be made without knowing how the name was entered.
        line.clear();
        line.push_str("N:");
        match name
            .rfind(char::is_whitespace)
            .and_then(|at| name.split_at_checked(at))
        {
            Some((given, family)) => {
                push_escaped(&mut line, family.trim());
                line.push(';');
                push_escaped(&mut line, given.trim());
                line.push_str(";;;");
            }
            None => line.push_str(";;;;"),
        }
        push_folded(&mut out, &line);

        for (property, value) in [
            ("ORG:", contact.company.trim()),
            ("NOTE:", contact.notes.trim()),
        ] {
            if !value.is_empty() {
                line.clear();
                line.push_str(property);
                push_escaped(&mut line, value);
                push_folded(&mut out, &line);
            }
        }

        for number in &contact.numbers {
            let e164 = number.e164.trim();
            // The tel: URI of the E.164 key is what other programs dial; a number without a key
            // (never stored by Klingel, but cheap to survive) goes out as the text typed.
            line.clear();
            line.push_str("TEL");
            if !e164.is_empty() {
                line.push_str(";VALUE=uri");
            }
            push_type(&mut line, crate::labels::vcard_type(&number.label));
            line.push(':');
            let value_at = line.len();
            if e164.is_empty() {
                push_escaped(&mut line, number.typed.trim());
            } else {
                line.push_str("tel:");
                line.push_str(e164);
            }
            push_folded(&mut out, &line);
            if number.switchboard {
                let value = line.get(value_at..).unwrap_or_default().to_owned();
                line.clear();
                line.push_str("X-KLINGEL-SWITCHBOARD:");
                line.push_str(&value);
                push_folded(&mut out, &line);
            }
        }

        if contact.blocked {
            push_folded(&mut out, "X-KLINGEL-BLOCKED:1");
        }
        push_folded(&mut out, "END:VCARD");
    }
    out
}

/// Appends `text` as a vCard text value: `\`, `,`, `;` escaped, line breaks as `\n`.
fn push_escaped(out: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | ',' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Appends `;TYPE=label` for a non-empty label: bare when it is a plain word, else quoted with
/// RFC 6868 caret escapes so spaces, umlauts and quotes survive.
fn push_type(out: &mut String, label: &str) {
    let label = label.trim().to_lowercase();
    if label.is_empty() {
        return;
    }
    out.push_str(";TYPE=");
    if label
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    {
        out.push_str(&label);
        return;
    }
    out.push('"');
    for c in label.chars() {
        match c {
            '^' => out.push_str("^^"),
            '"' => out.push_str("^'"),
            '\n' => out.push_str("^n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a content line and CRLF, folded so no physical line exceeds 75 octets and no
/// UTF-8 character is split (RFC 6350 3.2).
fn push_folded(out: &mut String, line: &str) {
    const LIMIT: usize = 75;
    let mut rest = line;
    // A continuation line spends one octet on its leading space.
    let mut limit = LIMIT;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let Some((head, tail)) = rest
            .split_at_checked(cut)
            .filter(|(head, _)| !head.is_empty())
        else {
            break;
        };
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        limit = LIMIT - 1;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interchange::record::{ContactRecord, Place};
    use crate::interchange::vcard::read;

    fn read_ok(text: &str) -> Vec<ContactRecord> {
        read(text).unwrap_or_else(|err| panic!("{text:?} should read: {err}"))
    }

    /// The only card in `text`.
    fn read_one(text: &str) -> ContactRecord {
        let mut records = read_ok(text);
        assert_eq!(records.len(), 1, "{text:?} holds exactly one card");
        records.remove(0)
    }

    use crate::interchange::test_contact as contact;

    #[test]
    fn write_gives_vcard_4_0_with_tel_uris_and_crlf() {
        let text = write(&[contact(
            "Jörg Müller",
            "Müller & Söhne, Düsseldorf",
            "Nur vormittags; bitte\nvorher mailen",
            false,
            &[
                ("work", "+492111234567", false),
                ("", "+491712345678", false),
            ],
        )]);
        assert_eq!(
            text,
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jörg Müller\r\nN:Müller;Jörg;;;\r\n\
             ORG:Müller & Söhne\\, Düsseldorf\r\nNOTE:Nur vormittags\\; bitte\\nvorher mailen\r\n\
             TEL;VALUE=uri;TYPE=work:tel:+492111234567\r\nTEL;VALUE=uri:tel:+491712345678\r\nEND:VCARD\r\n",
            "the whole card"
        );
    }

    #[test]
    fn write_marks_switchboards_and_blocked_contacts_and_leaves_n_empty_for_one_word() {
        let text = write(&[contact(
            "Stadtwerke",
            "",
            "",
            true,
            &[("main", "+49211821 0", true)],
        )]);
        assert_eq!(
            text,
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Stadtwerke\r\nN:;;;;\r\n\
             TEL;VALUE=uri;TYPE=main:tel:+49211821 0\r\nX-KLINGEL-SWITCHBOARD:tel:+49211821 0\r\n\
             X-KLINGEL-BLOCKED:1\r\nEND:VCARD\r\n",
            "switchboard property after its TEL, blocked mark before END"
        );
        assert_eq!(write(&[]), "", "no contacts, no text");
    }

    #[test]
    fn written_contacts_read_back_the_same() {
        let contacts = vec![
            contact(
                "Jörg Müller",
                "Müller, Schmidt; Partner",
                "Zeile eins\nZeile zwei; mit Komma, und \\ Backslash\n\nnach Leerzeile",
                false,
                &[
                    ("work", "+49211123450", true),
                    ("cell", "+491712345678", false),
                    ("büro 2", "+4921199999", false),
                    ("", "+4930123456", false),
                ],
            ),
            contact(
                "Dr. Hans-Jürgen Überlänge-Mustermann von und zu Großherzoglich-Düsseldorf-Oberkassel",
                "Ärztegemeinschaft für Allgemeinmedizin, Innere Medizin und Naturheilverfahren",
                "",
                true,
                &[("fax", "+492111234568", false), ("zentrale", "+492111234500", true)],
            ),
            contact("Stadtwerke", "", "", false, &[]),
        ];
        let text = write(&contacts);
        assert!(
            text.lines().all(|line| line.len() <= 75),
            "every line is folded to 75 octets:\n{text}"
        );
        let records = read_ok(&text);
        assert_eq!(records.len(), contacts.len(), "one record per contact");
        for (index, (record, contact)) in records.iter().zip(&contacts).enumerate() {
            assert!(
                matches!(record.place, Place::Card { index: card, .. } if card == index + 1),
                "card {} is numbered {:?}",
                index + 1,
                record.place
            );
            assert_eq!(record.name, contact.name, "name of {}", contact.name);
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
                .map(|n| (n.label.as_str(), n.e164.as_str(), n.switchboard))
                .collect();
            assert_eq!(numbers, expected, "numbers of {}", contact.name);
        }
    }

    #[test]
    fn folding_never_splits_a_character() {
        // Two-, three- and four-octet characters, shifted so each meets the fold at every offset.
        for lead in 0..4 {
            let name = format!("{}{}", "x".repeat(lead), "ä€𝄞".repeat(40));
            let text = write(&[contact(&name, "", "", false, &[])]);
            let fn_lines: Vec<&str> = text
                .split("\r\n")
                .skip_while(|line| !line.starts_with("FN:"))
                .take_while(|line| !line.starts_with("N:"))
                .collect();
            let Some((last, full)) = fn_lines.split_last() else {
                panic!("the FN line is written ({lead} leading octets)");
            };
            assert!(
                full.len() >= 4,
                "the long FN is folded ({lead} leading octets)"
            );
            for line in full {
                // The longest character has four octets, so a cut lands at most three short.
                assert!(
                    (72..=75).contains(&line.len()),
                    "{line:?} is cut at the last character boundary"
                );
            }
            assert!(last.len() <= 75, "{last:?} is at most 75 octets");
            let unfolded: String = fn_lines
                .iter()
                .map(|line| line.strip_prefix(' ').unwrap_or(line))
                .collect();
            assert_eq!(
                unfolded,
                format!("FN:{name}"),
                "unfolding gives the line back ({lead} leading octets)"
            );
            assert_eq!(
                read_one(&text).name,
                name,
                "the folded name reads back ({lead} leading octets)"
            );
        }
    }
}
