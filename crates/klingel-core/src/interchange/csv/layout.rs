//! What the columns of a CSV mean: the fields, the exports Klingel recognises and their column
//! names, and the words a column of any other spreadsheet is guessed from.

use std::fmt;
use std::str::FromStr;

use crate::interchange::text::Encoding;

/// What a column means.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", tag = "field", content = "label")]
pub enum Field {
    /// The whole display name.
    Name,
    /// Given name, composed into the name when there is no name column.
    FirstName,
    /// Middle names, composed into the name.
    MiddleName,
    /// Family name, composed into the name.
    LastName,
    /// Company.
    Company,
    /// Notes (several notes columns are joined by line breaks).
    Notes,
    /// A phone number with this label (e.g. "work"); empty when a label column or nothing says.
    Phone(String),
    /// Yes/no: the caller is blocked.
    Blocked,
    /// Yes/no: the nearest phone column to the left holds a switchboard number.
    Switchboard,
    /// Not imported.
    Ignore,
}

/// The words [`Field::from_str`] accepts, for its error message.
const FIELD_WORDS: &str = "name, first_name, middle_name, last_name, company, notes, phone, \
                           phone:LABEL (e.g. phone:work, phone:cell), blocked, switchboard, ignore";

impl FromStr for Field {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().to_lowercase().replace('-', "_");
        if let Some(label) = word.strip_prefix("phone:") {
            return Ok(Self::Phone(normalize_label(label)));
        }
        Ok(match word.as_str() {
            "name" => Self::Name,
            "first_name" | "firstname" => Self::FirstName,
            "middle_name" | "middlename" => Self::MiddleName,
            "last_name" | "lastname" => Self::LastName,
            "company" => Self::Company,
            "notes" => Self::Notes,
            "phone" => Self::Phone(String::new()),
            "blocked" => Self::Blocked,
            "switchboard" => Self::Switchboard,
            "ignore" => Self::Ignore,
            _ => {
                return Err(format!(
                    "unknown field \"{}\"; use one of: {FIELD_WORDS}",
                    s.trim()
                ))
            }
        })
    }
}

impl fmt::Display for Field {
    /// The word [`Field::from_str`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Name => f.write_str("name"),
            Self::FirstName => f.write_str("first_name"),
            Self::MiddleName => f.write_str("middle_name"),
            Self::LastName => f.write_str("last_name"),
            Self::Company => f.write_str("company"),
            Self::Notes => f.write_str("notes"),
            Self::Phone(label) if label.is_empty() => f.write_str("phone"),
            Self::Phone(label) => write!(f, "phone:{label}"),
            Self::Blocked => f.write_str("blocked"),
            Self::Switchboard => f.write_str("switchboard"),
            Self::Ignore => f.write_str("ignore"),
        }
    }
}

/// Which export a header row looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Dialect {
    /// Google Contacts ("Google CSV"), old or new column names.
    Google,
    /// Outlook with English column names.
    OutlookEnglish,
    /// Outlook with German column names.
    OutlookGerman,
    /// Klingel's own export ([`write_contacts`](super::write_contacts)).
    Klingel,
    /// Any other spreadsheet: columns guessed from common words.
    Generic,
}

/// What was detected, for the preview and the report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CsvLayout {
    /// Field separator: `,`, `;` or tab.
    pub delimiter: char,
    /// How the bytes were decoded.
    pub encoding: Encoding,
    /// Which program's export the header looks like.
    pub dialect: Dialect,
    /// The header row, trimmed.
    pub headers: Vec<String>,
    /// What each column means, one per header.
    pub mapping: Vec<Field>,
}

/// A header for comparison: trimmed, lower-case, single spaces.
pub(super) fn normalize(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A phone label as Klingel spells it: lower-case, Google's "* " (primary) dropped, mobile → cell.
pub(super) fn normalize_label(label: &str) -> String {
    let label = label.trim();
    let label = label
        .strip_prefix('*')
        .unwrap_or(label)
        .trim()
        .to_lowercase();
    match label.as_str() {
        "mobile" | "mobil" | "handy" => "cell".to_string(),
        "work fax" | "home fax" | "other fax" => "fax".to_string(),
        _ => label,
    }
}

/// A column meaning in the fixed dialect tables (`Field` itself cannot be built in a const).
#[derive(Clone, Copy)]
enum Col {
    Name,
    First,
    Middle,
    Last,
    Company,
    Notes,
    Phone(&'static str),
}

impl Col {
    fn field(self) -> Field {
        match self {
            Self::Name => Field::Name,
            Self::First => Field::FirstName,
            Self::Middle => Field::MiddleName,
            Self::Last => Field::LastName,
            Self::Company => Field::Company,
            Self::Notes => Field::Notes,
            Self::Phone(label) => Field::Phone(label.to_string()),
        }
    }
}

/// Outlook's English export columns Klingel uses (normalized).
const OUTLOOK_ENGLISH: &[(&str, Col)] = &[
    ("first name", Col::First),
    ("middle name", Col::Middle),
    ("last name", Col::Last),
    ("company", Col::Company),
    ("notes", Col::Notes),
    ("business phone", Col::Phone("work")),
    ("business phone 2", Col::Phone("work")),
    ("home phone", Col::Phone("home")),
    ("home phone 2", Col::Phone("home")),
    ("mobile phone", Col::Phone("cell")),
    ("business fax", Col::Phone("fax")),
    ("home fax", Col::Phone("fax")),
    ("other fax", Col::Phone("fax")),
    ("company main phone", Col::Phone("main")),
    ("primary phone", Col::Phone("main")),
    ("other phone", Col::Phone("other")),
    ("car phone", Col::Phone("car")),
    ("pager", Col::Phone("pager")),
    ("assistant's phone", Col::Phone("assistant")),
    ("callback", Col::Phone("callback")),
    ("isdn", Col::Phone("isdn")),
    ("radio phone", Col::Phone("radio")),
    ("tty/tdd phone", Col::Phone("tty")),
];

/// Outlook's German export columns Klingel uses (normalized).
const OUTLOOK_GERMAN: &[(&str, Col)] = &[
    ("vorname", Col::First),
    ("weitere vornamen", Col::Middle),
    ("nachname", Col::Last),
    ("firma", Col::Company),
    ("notizen", Col::Notes),
    ("telefon geschäftlich", Col::Phone("work")),
    ("telefon geschäftlich 2", Col::Phone("work")),
    ("telefon (privat)", Col::Phone("home")),
    ("telefon privat", Col::Phone("home")),
    ("telefon (privat 2)", Col::Phone("home")),
    ("telefon privat 2", Col::Phone("home")),
    ("mobiltelefon", Col::Phone("cell")),
    ("fax geschäftlich", Col::Phone("fax")),
    ("fax privat", Col::Phone("fax")),
    ("weiteres fax", Col::Phone("fax")),
    ("haupttelefon (firma)", Col::Phone("main")),
    ("telefon firma", Col::Phone("main")),
    ("haupttelefon", Col::Phone("main")),
    ("weiteres telefon", Col::Phone("other")),
    ("autotelefon", Col::Phone("car")),
    ("pager", Col::Phone("pager")),
    ("telefon assistent", Col::Phone("assistant")),
    ("rückmeldung", Col::Phone("callback")),
    ("isdn", Col::Phone("isdn")),
    ("mobilfunk", Col::Phone("radio")),
    ("tty/tdd-telefon", Col::Phone("tty")),
];

/// Google Contacts columns other than the numbered phone groups (old and new exports).
const GOOGLE: &[(&str, Col)] = &[
    ("name", Col::Name),
    ("given name", Col::First),
    ("additional name", Col::Middle),
    ("family name", Col::Last),
    ("first name", Col::First),
    ("middle name", Col::Middle),
    ("last name", Col::Last),
    ("organization 1 - name", Col::Company),
    ("organization name", Col::Company),
    ("notes", Col::Notes),
];

/// Columns only Outlook's German export has; two of them make the dialect.
const OUTLOOK_GERMAN_SIGNS: &[&str] = &[
    "anrede",
    "weitere vornamen",
    "telefon geschäftlich",
    "telefon (privat)",
    "mobiltelefon",
    "fax geschäftlich",
    "straße geschäftlich",
    "e-mail-adresse",
    "haupttelefon (firma)",
    "autotelefon",
];

/// Columns only Outlook's English export has; two of them make the dialect.
const OUTLOOK_ENGLISH_SIGNS: &[&str] = &[
    "middle name",
    "business phone",
    "home phone",
    "mobile phone",
    "business fax",
    "business street",
    "e-mail address",
    "company main phone",
    "primary phone",
];

/// The parts of a numbered phone column header: `phone 2 - value` → (2, " - value").
pub(super) fn phone_group(header: &str) -> Option<(u32, &str)> {
    let rest = header.strip_prefix("phone ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest.get(..digits)?.parse().ok()?;
    Some((number, rest.get(digits..)?))
}

/// Which export a (normalized) header row comes from.
pub(super) fn detect_dialect(headers: &[String]) -> Dialect {
    let has = |name: &str| headers.iter().any(|h| h == name);
    let klingel_column = |h: &String| {
        matches!(h.as_str(), "name" | "company" | "notes" | "blocked")
            || phone_group(h).is_some_and(|(_, s)| matches!(s, "" | " label" | " switchboard"))
    };
    if has("name") && has("blocked") && headers.iter().all(klingel_column) {
        return Dialect::Klingel;
    }
    let google_phone = headers.iter().any(|h| {
        phone_group(h).is_some_and(|(_, s)| matches!(s, " - value" | " - type" | " - label"))
    });
    if google_phone || has("given name") || has("family name") || has("organization 1 - name") {
        return Dialect::Google;
    }
    let signs = |list: &[&str]| {
        headers
            .iter()
            .filter(|h| list.contains(&h.as_str()))
            .count()
    };
    if signs(OUTLOOK_GERMAN_SIGNS) >= 2 {
        return Dialect::OutlookGerman;
    }
    if signs(OUTLOOK_ENGLISH_SIGNS) >= 2 {
        return Dialect::OutlookEnglish;
    }
    Dialect::Generic
}

/// What a (normalized) header means in a dialect. Known exports take phones only from their
/// own columns: guessing there would turn e.g. Outlook's "Government ID Number" into a phone.
pub(super) fn map_header(dialect: Dialect, header: &str) -> Field {
    let lookup = |table: &[(&str, Col)]| {
        table
            .iter()
            .find(|(name, _)| *name == header)
            .map(|(_, col)| col.field())
    };
    let table = |table: &[(&str, Col)]| lookup(table).unwrap_or(Field::Ignore);
    // A spreadsheet that merely shares a few Outlook column names may still have "Name".
    let outlook = |table: &[(&str, Col)]| {
        lookup(table).unwrap_or_else(|| match generic_field(header) {
            Field::Phone(_) => Field::Ignore,
            other => other,
        })
    };
    match dialect {
        Dialect::OutlookEnglish => outlook(OUTLOOK_ENGLISH),
        Dialect::OutlookGerman => outlook(OUTLOOK_GERMAN),
        Dialect::Google => match phone_group(header) {
            Some((_, " - value")) => Field::Phone(String::new()),
            _ => table(GOOGLE),
        },
        Dialect::Klingel => match header {
            "name" => Field::Name,
            "company" => Field::Company,
            "notes" => Field::Notes,
            "blocked" => Field::Blocked,
            _ => match phone_group(header) {
                Some((_, "")) => Field::Phone(String::new()),
                Some((_, " switchboard")) => Field::Switchboard,
                _ => Field::Ignore,
            },
        },
        Dialect::Generic => generic_field(header),
    }
}

/// Words that make a spreadsheet column a phone column, alone or as the start of a word
/// ("Telefonnummer", "Handy privat", "Faxnummer").
const PHONE_WORDS: &[&str] = &[
    "phone",
    "telephone",
    "tel",
    "cell",
    "cellphone",
    "landline",
    "pager",
    "rufnummer",
    "durchwahl",
    "festnetz",
];

/// Word starts that make a phone column.
const PHONE_STEMS: &[&str] = &["telefon", "handy", "mobil", "fax", "telefax", "phone"];

/// Words that only make a phone column when nothing else qualifies them ("Customer number" is not one).
const NUMBER_WORDS: &[&str] = &["number", "nummer"];

/// Label words allowed next to [`NUMBER_WORDS`].
const LABEL_WORDS: &[&str] = &[
    "geschäftlich",
    "business",
    "work",
    "büro",
    "dienstlich",
    "office",
    "privat",
    "private",
    "home",
];

/// A spreadsheet column guessed from common English and German words.
fn generic_field(header: &str) -> Field {
    let words: Vec<&str> = header
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let any = |list: &[&str]| words.iter().any(|w| list.contains(w));
    let phone = words.iter().any(|w| {
        PHONE_WORDS.contains(w)
            || w.starts_with("mobile")
            || PHONE_STEMS.iter().any(|s| w.starts_with(s))
    }) || (any(NUMBER_WORDS)
        && words
            .iter()
            .all(|w| NUMBER_WORDS.contains(w) || LABEL_WORDS.contains(w)));
    if phone {
        let label = if words
            .iter()
            .any(|w| w.starts_with("handy") || w.starts_with("mobil") || w.starts_with("cell"))
        {
            "cell"
        } else if words
            .iter()
            .any(|w| w.starts_with("fax") || w.starts_with("telefax"))
        {
            "fax"
        } else if any(&[
            "geschäftlich",
            "business",
            "work",
            "büro",
            "dienstlich",
            "office",
        ]) {
            "work"
        } else if any(&["privat", "private", "home"]) {
            "home"
        } else if any(&["pager"]) {
            "pager"
        } else {
            ""
        };
        return Field::Phone(label.to_string());
    }
    if any(&[
        "company",
        "firma",
        "organisation",
        "organization",
        "unternehmen",
        "firmenname",
    ]) {
        return Field::Company;
    }
    if any(&[
        "notes",
        "note",
        "notizen",
        "notiz",
        "bemerkung",
        "bemerkungen",
        "kommentar",
        "kommentare",
        "comment",
        "comments",
        "anmerkung",
        "anmerkungen",
        "remarks",
        "memo",
    ]) {
        return Field::Notes;
    }
    let joined = words.join(" ");
    match joined.as_str() {
        "first name" | "firstname" | "vorname" | "given name" | "forename" => Field::FirstName,
        "middle name" | "middlename" | "weitere vornamen" | "zweiter vorname"
        | "additional name" => Field::MiddleName,
        "last name" | "lastname" | "nachname" | "surname" | "family name" | "familienname" => {
            Field::LastName
        }
        "name"
        | "full name"
        | "fullname"
        | "display name"
        | "anzeigename"
        | "vollständiger name"
        | "contact name"
        | "kontaktname"
        | "vor und nachname" => Field::Name,
        "blocked" | "gesperrt" | "blockiert" => Field::Blocked,
        _ => Field::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn phone(label: &str) -> Field {
        Field::Phone(label.to_string())
    }

    #[rstest]
    #[case::telefonnummer("Telefonnummer", phone(""))]
    #[case::tel_business("Tel. geschäftlich", phone("work"))]
    #[case::phone_work("Work Phone", phone("work"))]
    #[case::telefon_privat("Telefon privat", phone("home"))]
    #[case::handy("Handy", phone("cell"))]
    #[case::mobilnummer("Mobilnummer", phone("cell"))]
    #[case::mobile("Mobile", phone("cell"))]
    #[case::fax("Fax", phone("fax"))]
    #[case::bare_number("Nummer", phone(""))]
    #[case::customer_number("Customer Number", Field::Ignore)]
    #[case::kundennummer("Kundennummer", Field::Ignore)]
    #[case::email("E-Mail", Field::Ignore)]
    #[case::name("Name", Field::Name)]
    #[case::anzeigename("Anzeigename", Field::Name)]
    #[case::full_name("Full Name", Field::Name)]
    #[case::vorname("Vorname", Field::FirstName)]
    #[case::firstname("firstname", Field::FirstName)]
    #[case::nachname("Nachname", Field::LastName)]
    #[case::surname("Surname", Field::LastName)]
    #[case::firma("Firma", Field::Company)]
    #[case::organisation("Organisation", Field::Company)]
    #[case::notizen("Notizen", Field::Notes)]
    #[case::bemerkung("Bemerkung", Field::Notes)]
    #[case::kunde("Kunde", Field::Ignore)]
    fn generic_headers_are_guessed_from_common_words(
        #[case] header: &str,
        #[case] expected: Field,
    ) {
        assert_eq!(
            generic_field(&normalize(header)),
            expected,
            "header {header:?}"
        );
    }

    #[rstest]
    #[case::name("name", Field::Name)]
    #[case::first_name("first_name", Field::FirstName)]
    #[case::firstname("firstname", Field::FirstName)]
    #[case::middle_name("middle_name", Field::MiddleName)]
    #[case::last_name("last_name", Field::LastName)]
    #[case::company("company", Field::Company)]
    #[case::notes("notes", Field::Notes)]
    #[case::phone("phone", phone(""))]
    #[case::phone_work("phone:work", phone("work"))]
    #[case::phone_mobile("phone:Mobile", phone("cell"))]
    #[case::phone_free_label("phone:Zentrale", phone("zentrale"))]
    #[case::blocked("blocked", Field::Blocked)]
    #[case::switchboard("switchboard", Field::Switchboard)]
    #[case::ignore("ignore", Field::Ignore)]
    #[case::upper_case_and_spaces(" Company ", Field::Company)]
    fn field_words_parse(#[case] word: &str, #[case] expected: Field) {
        assert_eq!(word.parse::<Field>(), Ok(expected.clone()), "word {word:?}");
        let shown = expected.to_string();
        assert_eq!(shown.parse::<Field>(), Ok(expected), "{shown:?} reads back");
    }

    #[test]
    fn an_unknown_field_word_lists_the_accepted_ones() {
        let err = "telephone".parse::<Field>().expect_err("not a field");
        assert!(err.contains("\"telephone\""), "names the word: {err}");
        for word in ["first_name", "phone:LABEL", "switchboard", "ignore"] {
            assert!(err.contains(word), "lists {word}: {err}");
        }
    }

    #[test]
    fn fields_serialize_with_their_label() {
        let json = serde_json::to_string(&[phone("work"), Field::FirstName]).expect("serializes");
        assert_eq!(
            json, r#"[{"field":"phone","label":"work"},{"field":"firstName"}]"#,
            "tag and content names the GUI relies on"
        );
    }
}
