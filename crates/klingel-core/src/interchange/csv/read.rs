//! CSV in and out.
//!
//! Reading works in two steps so the user can check what was understood before anything is
//! imported: [`layout`] detects encoding, delimiter, which program wrote the file and what each
//! column means; [`read`] then turns the rows into [`ContactRecord`]s with that (possibly
//! edited) layout. Writing produces Klingel's own contact export, which reads back unchanged,
//! and the call log for spreadsheets.

use std::fmt;
use std::str::FromStr;

use crate::interchange::record::{ContactRecord, Place, ReadError, RecordNumber};
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
    /// Klingel's own export ([`write_contacts`]).
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

/// Why a CSV cannot be read.
pub type CsvError = ReadError;

/// Detects encoding, delimiter (`,` `;` or tab, by counting in the header line outside quotes), dialect and column mapping; `overrides` are (column header, field) pairs from the user that replace the detected meaning of those columns (unknown header names → error naming the header and listing the file's headers).
pub fn layout(bytes: &[u8], overrides: &[(String, Field)]) -> Result<CsvLayout, ReadError> {
    let (text, encoding) = crate::interchange::text::decode(bytes);
    let (body, sep_delimiter, skipped) = split_sep_line(&text);
    let delimiter = sep_delimiter.unwrap_or_else(|| detect_delimiter(body));
    let mut reader = reader(body, delimiter);
    let mut header = csv::StringRecord::new();
    let header_line = skipped + 1;
    let has_header = reader
        .read_record(&mut header)
        .map_err(|err| csv_error(&err, skipped))?;
    if !has_header {
        return Err(ReadError {
            place: Place::Row { line: header_line },
            message: "the file is empty: no header row".to_string(),
        });
    }
    let headers: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let normalized: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let dialect = detect_dialect(&normalized);
    let mut mapping: Vec<Field> = normalized.iter().map(|h| map_header(dialect, h)).collect();
    for (name, field) in overrides {
        let wanted = normalize(name);
        let mut found = false;
        for (slot, header) in mapping.iter_mut().zip(&normalized) {
            if *header == wanted {
                *slot = field.clone();
                found = true;
            }
        }
        if !found {
            let listed = headers
                .iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ReadError {
                place: Place::Row { line: header_line },
                message: format!(
                    "there is no column \"{}\" in this file; its columns are: {listed}",
                    name.trim()
                ),
            });
        }
    }
    Ok(CsvLayout {
        delimiter,
        encoding,
        dialect,
        headers,
        mapping,
    })
}

/// Reads every record with `layout` (from [`layout`], possibly edited). Records with nothing at all (all mapped cells empty) are skipped silently; others are returned even without name or number (the importer decides).
pub fn read(bytes: &[u8], layout: &CsvLayout) -> Result<Vec<ContactRecord>, ReadError> {
    let text = decode_as(bytes, layout.encoding);
    let (body, _, skipped) = split_sep_line(&text);
    let delimiter = u8::try_from(layout.delimiter).map_err(|_| ReadError {
        place: Place::Row { line: skipped + 1 },
        message: format!(
            "the delimiter {:?} is not a single-byte character",
            layout.delimiter
        ),
    })?;
    // The csv crate reads an unclosed quote silently to the end of the file, which would
    // swallow every later contact into one note; that is a broken file, not a long note.
    if let Some(line) = unclosed_quote(body.as_bytes(), delimiter) {
        return Err(ReadError {
            place: Place::Row {
                line: line + skipped,
            },
            message: "a quoted field starting here is never closed (a stray \" in the file?)"
                .to_string(),
        });
    }
    let plan = Plan::new(layout);
    let mut reader = reader(body, layout.delimiter);
    let mut row = csv::StringRecord::new();
    let mut records = Vec::new();
    let mut first = true;
    loop {
        let more = reader
            .read_record(&mut row)
            .map_err(|err| csv_error(&err, skipped))?;
        if !more {
            break;
        }
        if first {
            first = false;
            continue;
        }
        let line = row.position().map_or(0, |p| start_line(body.as_bytes(), p)) + skipped;
        if let Some(record) = plan.record(&row, line) {
            records.push(record);
        }
    }
    Ok(records)
}

/// Whether a file looks like CSV rather than vCard (used for format auto-detection): not starting with BEGIN:VCARD.
pub fn looks_like_csv(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes.trim_ascii_start();
    let prefix = b"BEGIN:VCARD";
    !(start.len() >= prefix.len() && start[..prefix.len()].eq_ignore_ascii_case(prefix))
}

/// Contacts as CSV: UTF-8, header `Name,Company,Notes,Blocked,Phone 1 Label,Phone 1,Phone 1 Switchboard,Phone 2 Label,…` (as many phone groups as the contact with most numbers needs); reading our own export back gives the same contacts (dialect Klingel).
pub fn write_contacts(contacts: &[crate::store::Contact]) -> String {
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

/// The yes/no word our exports use; [`truthy`] reads it back.
fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

/// Rows as RFC 4180 CSV (CRLF, quoted only where needed).
fn to_csv(rows: &[Vec<String>]) -> String {
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

/// Decodes with the layout's encoding, so an encoding chosen in the preview is honoured.
fn decode_as(bytes: &[u8], encoding: Encoding) -> String {
    match encoding {
        Encoding::Utf8 => {
            let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            String::from_utf8_lossy(bytes).into_owned()
        }
        Encoding::Windows1252 => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Excel writes and reads a first line `sep=;` naming the delimiter; returns the text after
/// it, the delimiter it names, and how many lines were skipped.
fn split_sep_line(text: &str) -> (&str, Option<char>, usize) {
    let first = text.split('\n').next().unwrap_or("");
    let line = first.trim_end_matches('\r');
    if let Some(rest) = line
        .strip_prefix("sep=")
        .or_else(|| line.strip_prefix("SEP="))
    {
        let mut chars = rest.chars();
        if let (Some(c @ (',' | ';' | '\t')), None) = (chars.next(), chars.next()) {
            let after = text.get(first.len() + 1..).unwrap_or("");
            return (after, Some(c), 1);
        }
    }
    (text, None, 0)
}

/// The most frequent of `,` `;` tab in the header line outside quotes; `,` when none occurs.
fn detect_delimiter(text: &str) -> char {
    let (mut comma, mut semicolon, mut tab) = (0usize, 0usize, 0usize);
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semicolon += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if semicolon > comma && semicolon >= tab {
        ';'
    } else if tab > comma && tab > semicolon {
        '\t'
    } else {
        ','
    }
}

/// A reader that keeps rows of any length and leaves the header to us.
fn reader(text: &str, delimiter: char) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(u8::try_from(delimiter).unwrap_or(b','))
        .from_reader(text.as_bytes())
}

/// The 1-based line a record really starts on. The csv crate notes a record's position before
/// it skips the `\n` of a CRLF and any blank lines, so its line can be one or more too small.
fn start_line(bytes: &[u8], position: &csv::Position) -> usize {
    let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
    let skipped = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|b| **b == b'\n')
        .count();
    usize::try_from(position.line())
        .unwrap_or(usize::MAX)
        .saturating_add(skipped)
}

/// A csv crate error as a [`ReadError`] at its line.
fn csv_error(err: &csv::Error, skipped: usize) -> ReadError {
    let line = err.position().map_or(1, |p| p.line()) as usize + skipped;
    ReadError {
        place: Place::Row { line },
        message: format!("not readable as CSV: {err}"),
    }
}

/// The 1-based line of a quoted field that never closes, read the way the csv crate does:
/// a quote opens only at the start of a field, and `""` inside is an escaped quote.
fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut line = 1;
    let mut opened_at = 0;
    let mut quoted = false;
    let mut field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && field_start {
            quoted = true;
            opened_at = line;
            field_start = false;
        } else {
            field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    quoted.then_some(opened_at)
}

/// A header for comparison: trimmed, lower-case, single spaces.
fn normalize(header: &str) -> String {
    header
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A phone label as Klingel spells it: lower-case, Google's "* " (primary) dropped, mobile → cell.
fn normalize_label(label: &str) -> String {
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

/// Whether a yes/no cell says yes (English, German, Excel's WAHR, or a cross).
fn truthy(cell: &str) -> bool {
    matches!(
        cell.trim().to_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "ja" | "j" | "x" | "wahr"
    )
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
fn phone_group(header: &str) -> Option<(u32, &str)> {
    let rest = header.strip_prefix("phone ")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let number = rest.get(..digits)?.parse().ok()?;
    Some((number, rest.get(digits..)?))
}

/// Which export a (normalized) header row comes from.
fn detect_dialect(headers: &[String]) -> Dialect {
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
fn map_header(dialect: Dialect, header: &str) -> Field {
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

/// Fills an empty slot: with several columns of one meaning, the first non-empty cell wins.
fn keep_first<'a>(slot: &mut &'a str, value: &'a str) {
    if slot.is_empty() {
        *slot = value;
    }
}

/// How a phone column's label is found per row.
#[derive(Clone, Copy)]
enum LabelSource {
    /// Only the column's mapped label.
    Column,
    /// A Google `Phone N - Type`/`Label` cell in this column, normalized.
    Google(usize),
    /// Klingel's `Phone N Label` cell in this column, verbatim so our own export reads back unchanged.
    Klingel(usize),
}

/// What to do with each column, worked out once so 100,000 rows stay fast.
struct Plan {
    /// Per column: its field, and for phone columns where their row label comes from.
    columns: Vec<(Field, LabelSource)>,
    /// Per column: for a switchboard column, the phone column it marks.
    switchboard_target: Vec<Option<usize>>,
}

impl Plan {
    fn new(layout: &CsvLayout) -> Self {
        let normalized: Vec<String> = layout.headers.iter().map(|h| normalize(h)).collect();
        let find = |wanted: &str| normalized.iter().position(|h| h == wanted);
        let mut columns = Vec::with_capacity(layout.mapping.len());
        let mut switchboard_target = Vec::with_capacity(layout.mapping.len());
        let mut last_phone = None;
        for (i, field) in layout.mapping.iter().enumerate() {
            let header = normalized.get(i).map_or("", String::as_str);
            let mut source = LabelSource::Column;
            let mut target = None;
            match field {
                Field::Phone(_) => {
                    last_phone = Some(i);
                    match phone_group(header) {
                        Some((n, " - value")) => {
                            if let Some(col) = find(&format!("phone {n} - type"))
                                .or_else(|| find(&format!("phone {n} - label")))
                            {
                                source = LabelSource::Google(col);
                            }
                        }
                        Some((n, "")) => {
                            if let Some(col) = find(&format!("phone {n} label")) {
                                source = LabelSource::Klingel(col);
                            }
                        }
                        _ => {}
                    }
                }
                Field::Switchboard => target = last_phone,
                _ => {}
            }
            columns.push((field.clone(), source));
            switchboard_target.push(target);
        }
        Self {
            columns,
            switchboard_target,
        }
    }

    /// One row as a record; `None` when it holds nothing at all.
    fn record(&self, row: &csv::StringRecord, line: usize) -> Option<ContactRecord> {
        let cell = |i: usize| row.get(i).unwrap_or_default().trim();
        let (mut name, mut first, mut middle, mut last) = ("", "", "", "");
        let mut company = "";
        let mut notes: Vec<&str> = Vec::new();
        let mut blocked = false;
        // (source column, number) so a switchboard column can find the numbers it marks.
        let mut numbers: Vec<(usize, RecordNumber)> = Vec::new();
        let mut switchboards: Vec<usize> = Vec::new();
        for (i, (field, source)) in self.columns.iter().enumerate() {
            let value = cell(i);
            if value.is_empty() {
                continue;
            }
            match field {
                Field::Name => keep_first(&mut name, value),
                Field::FirstName => keep_first(&mut first, value),
                Field::MiddleName => keep_first(&mut middle, value),
                Field::LastName => keep_first(&mut last, value),
                Field::Company => keep_first(&mut company, value),
                Field::Notes => notes.push(value),
                Field::Blocked => blocked |= truthy(value),
                Field::Switchboard => {
                    if let Some(Some(target)) = self.switchboard_target.get(i) {
                        if truthy(value) {
                            switchboards.push(*target);
                        }
                    }
                }
                Field::Phone(label) => {
                    let label = match *source {
                        _ if !label.is_empty() => label.clone(),
                        LabelSource::Column => String::new(),
                        LabelSource::Google(col) => normalize_label(cell(col)),
                        LabelSource::Klingel(col) => cell(col).to_string(),
                    };
                    // Google puts several numbers of one type into one cell.
                    for number in value.split(":::").map(str::trim).filter(|n| !n.is_empty()) {
                        numbers.push((
                            i,
                            RecordNumber {
                                label: label.clone(),
                                number: number.to_string(),
                                switchboard: false,
                            },
                        ));
                    }
                }
                Field::Ignore => {}
            }
        }
        let name = if name.is_empty() {
            [first, middle, last]
                .iter()
                .flat_map(|part| part.split_whitespace())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            name.to_string()
        };
        // Outlook keeps Windows line breaks inside notes; Klingel stores plain `\n`.
        let notes = notes.join("\n").replace("\r\n", "\n").trim().to_string();
        let numbers: Vec<RecordNumber> = numbers
            .into_iter()
            .map(|(column, mut number)| {
                number.switchboard = switchboards.contains(&column);
                number
            })
            .collect();
        if name.is_empty()
            && company.is_empty()
            && notes.is_empty()
            && numbers.is_empty()
            && !blocked
        {
            return None;
        }
        Some(ContactRecord {
            place: Place::Row { line },
            name,
            company: company.to_string(),
            notes,
            numbers,
            blocked,
        })
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use time::macros::{datetime, offset};

    use super::*;
    use crate::calls::Summary;
    use crate::sipgate::Direction;
    use crate::store::{
        CallEntry, CallKey, Contact, ContactId, ContactMatch, ContactNumber, MatchKind,
    };
    use crate::CallState;

    const OUTLOOK_DE: &[u8] = include_bytes!("../../../tests/fixtures/import/outlook-de-1252.csv");
    const GOOGLE_CSV: &[u8] = include_bytes!("../../../tests/fixtures/import/google.csv");
    const GENERIC: &[u8] = include_bytes!("../../../tests/fixtures/import/generic-mapping.csv");

    fn phone(label: &str) -> Field {
        Field::Phone(label.to_string())
    }

    fn number(label: &str, number: &str) -> RecordNumber {
        RecordNumber {
            label: label.to_string(),
            number: number.to_string(),
            switchboard: false,
        }
    }

    /// The field a layout gives the column with this header.
    fn field_of<'a>(layout: &'a CsvLayout, header: &str) -> &'a Field {
        let i = layout
            .headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("no column {header:?} in {:?}", layout.headers));
        &layout.mapping[i]
    }

    fn read_all(bytes: &[u8]) -> (CsvLayout, Vec<ContactRecord>) {
        let layout = layout(bytes, &[]).expect("layout detected");
        let records = read(bytes, &layout).expect("records read");
        (layout, records)
    }

    fn overrides(pairs: &[(&str, &str)]) -> Vec<(String, Field)> {
        pairs
            .iter()
            .map(|(header, field)| ((*header).to_string(), field.parse().expect("valid field")))
            .collect()
    }

    #[test]
    fn outlook_german_export_is_detected_with_semicolons_and_windows_1252() {
        let layout = layout(OUTLOOK_DE, &[]).expect("layout detected");
        assert_eq!(
            layout.delimiter, ';',
            "Outlook DE separates with semicolons"
        );
        assert_eq!(
            layout.encoding,
            Encoding::Windows1252,
            "old Outlook writes Windows-1252"
        );
        assert_eq!(
            layout.dialect,
            Dialect::OutlookGerman,
            "German column names"
        );
        assert_eq!(layout.headers.len(), 32, "all header cells are kept");
        assert_eq!(
            layout.mapping.len(),
            layout.headers.len(),
            "one field per header"
        );
        let expected = [
            ("Anrede", Field::Ignore),
            ("Vorname", Field::FirstName),
            ("Weitere Vornamen", Field::MiddleName),
            ("Nachname", Field::LastName),
            ("Firma", Field::Company),
            ("Straße geschäftlich", Field::Ignore),
            ("Fax geschäftlich", phone("fax")),
            ("Telefon geschäftlich", phone("work")),
            ("Telefon geschäftlich 2", phone("work")),
            ("Autotelefon", phone("car")),
            ("Haupttelefon (Firma)", phone("main")),
            ("Telefon (privat)", phone("home")),
            ("Telefon (privat 2)", phone("home")),
            ("Mobiltelefon", phone("cell")),
            ("Weiteres Telefon", phone("other")),
            ("Pager", phone("pager")),
            ("Haupttelefon", phone("main")),
            ("E-Mail-Adresse", Field::Ignore),
            ("Notizen", Field::Notes),
            ("Kategorien", Field::Ignore),
        ];
        for (header, field) in expected {
            assert_eq!(field_of(&layout, header), &field, "column {header}");
        }
    }

    #[test]
    fn outlook_german_records_are_read_field_by_field() {
        let (_, records) = read_all(OUTLOOK_DE);
        assert_eq!(
            records.len(),
            5,
            "four contacts and the e-mail-only row; the empty row is skipped"
        );

        let jorg = &records[0];
        assert_eq!(
            jorg.place,
            Place::Row { line: 2 },
            "first record follows the header"
        );
        assert_eq!(jorg.name, "Jörg Müller", "first and last name composed");
        assert_eq!(
            jorg.company, "Müller & Söhne GmbH",
            "umlauts decoded from Windows-1252"
        );
        assert_eq!(
            jorg.notes, "Rückruf bevorzugt vormittags; nicht vor 9 Uhr\nDurchwahl über Zentrale",
            "the note keeps its semicolon and its line break, as \\n"
        );
        assert_eq!(
            jorg.numbers,
            vec![
                number("work", "+49 211 1234567"),
                number("cell", "0171 2233445")
            ],
            "numbers in column order with Outlook's labels"
        );
        assert!(!jorg.blocked, "nothing in Outlook blocks a caller");

        let anna = &records[1];
        assert_eq!(
            anna.name, "Anna Maria Schäfer",
            "middle name between first and last"
        );
        assert_eq!(anna.company, "Bäckerei Schäfer", "company");
        assert_eq!(anna.notes, "", "no notes");
        assert_eq!(
            anna.numbers,
            vec![
                number("fax", "0211 987655"),
                number("work", "0211 987654"),
                number("home", "0211 555123"),
            ],
            "fax, work and home in column order"
        );

        let stadtwerke = &records[2];
        assert_eq!(stadtwerke.name, "", "a company-only contact has no name");
        assert_eq!(stadtwerke.company, "Stadtwerke Düsseldorf AG", "company");
        assert_eq!(
            stadtwerke.numbers,
            vec![number("main", "0211 8210")],
            "main number"
        );

        let gunther = &records[3];
        assert_eq!(gunther.name, "Günther Weiß", "ß and ü decoded");
        assert_eq!(gunther.company, "", "no company");
        assert_eq!(
            gunther.numbers,
            vec![
                number("work", "02131 40506"),
                number("cell", "+49 160 9876543")
            ],
            "second business phone and mobile"
        );

        let email_only = &records[4];
        assert_eq!(
            (email_only.name.as_str(), email_only.numbers.len()),
            ("", 0),
            "the row without name and number is still returned for the importer to judge"
        );
        assert_eq!(
            email_only.notes, "Nur E-Mail bekannt – Nummer erfragen",
            "en dash from 0x96"
        );
    }

    #[test]
    fn a_note_with_a_line_break_moves_the_next_record_down_a_line() {
        let (_, records) = read_all(OUTLOOK_DE);
        let lines: Vec<Place> = records.iter().map(|r| r.place).collect();
        assert_eq!(
            lines,
            [2, 4, 5, 6, 7].map(|line| Place::Row { line }).to_vec(),
            "Jörg's note spans lines 2 and 3, so Anna starts on line 4"
        );
    }

    #[test]
    fn google_export_is_detected() {
        let layout = layout(GOOGLE_CSV, &[]).expect("layout detected");
        assert_eq!(layout.delimiter, ',', "Google separates with commas");
        assert_eq!(layout.encoding, Encoding::Utf8, "Google writes UTF-8");
        assert_eq!(layout.dialect, Dialect::Google, "Phone N - Value columns");
        let expected = [
            ("Name", Field::Name),
            ("Given Name", Field::FirstName),
            ("Additional Name", Field::MiddleName),
            ("Family Name", Field::LastName),
            ("Yomi Name", Field::Ignore),
            ("Notes", Field::Notes),
            ("Group Membership", Field::Ignore),
            ("E-mail 1 - Value", Field::Ignore),
            ("Phone 1 - Type", Field::Ignore),
            ("Phone 1 - Value", phone("")),
            ("Phone 2 - Value", phone("")),
            ("Organization 1 - Name", Field::Company),
            ("Organization 1 - Title", Field::Ignore),
        ];
        for (header, field) in expected {
            assert_eq!(field_of(&layout, header), &field, "column {header}");
        }
    }

    #[test]
    fn google_records_take_labels_from_the_type_cells_and_split_multiple_numbers() {
        let (_, records) = read_all(GOOGLE_CSV);
        assert_eq!(records.len(), 3, "three contacts");

        let sabine = &records[0];
        assert_eq!(sabine.name, "Sabine Köhler", "the Name column wins");
        assert_eq!(
            sabine.company, "Köhler Steuerberatung",
            "Organization 1 - Name"
        );
        assert_eq!(sabine.notes, "Mandantin seit 2019", "notes");
        assert_eq!(
            sabine.numbers,
            vec![
                number("cell", "+49 171 2345678"),
                number("cell", "+49 171 8765432"),
                number("work", "+49 30 1234567"),
            ],
            "\" ::: \" splits one cell into two numbers; \"* Mobile\" reads cell"
        );

        let thomas = &records[1];
        assert_eq!(thomas.name, "Thomas Becker", "composed when Name is empty");
        assert_eq!(thomas.numbers, vec![number("home", "030 4445566")], "home");
        assert_eq!(thomas.place, Place::Row { line: 3 }, "third line");

        let praxis = &records[2];
        assert_eq!(
            praxis.name, "Praxis Dr. Yılmaz",
            "non-German letters survive"
        );
        assert_eq!(
            praxis.notes, "Termine nur telefonisch, \"dringend\" markieren",
            "quoted comma and doubled quotes"
        );
        assert_eq!(
            praxis.numbers,
            vec![
                number("fax", "+49 40 1112223"),
                number("main", "+49 40 1112220")
            ],
            "\"Work Fax\" reads fax, \"Main\" main"
        );
    }

    #[test]
    fn newer_google_column_names_are_understood() {
        let csv = "First Name,Middle Name,Last Name,Organization Name,Notes,Phone 1 - Label,Phone 1 - Value\n\
                   Eva,,Lang,Lang GmbH,,* Mobile,0170 1234567\n";
        let (layout, records) = read_all(csv.as_bytes());
        assert_eq!(
            layout.dialect,
            Dialect::Google,
            "Phone 1 - Label marks Google"
        );
        assert_eq!(records.len(), 1, "one contact");
        assert_eq!(
            (records[0].name.as_str(), records[0].company.as_str()),
            ("Eva Lang", "Lang GmbH"),
            "name composed, Organization Name as company"
        );
        assert_eq!(
            records[0].numbers,
            vec![number("cell", "0170 1234567")],
            "label column read"
        );
    }

    #[test]
    fn outlook_english_export_is_detected() {
        let csv = "\"First Name\",\"Middle Name\",\"Last Name\",\"Company\",\"Business Phone\",\"Home Phone\",\
                   \"Mobile Phone\",\"Company Main Phone\",\"Government ID Number\",\"Notes\"\r\n\
                   \"Mary\",\"\",\"Smith\",\"Acme Ltd\",\"+44 20 7946 0000\",\"\",\"+44 7700 900123\",\
                   \"+44 20 7946 0001\",\"AB123\",\"VIP\"\r\n";
        let (layout, records) = read_all(csv.as_bytes());
        assert_eq!(
            layout.dialect,
            Dialect::OutlookEnglish,
            "English Outlook column names"
        );
        assert_eq!(
            field_of(&layout, "Government ID Number"),
            &Field::Ignore,
            "known exports only map their own columns"
        );
        assert_eq!(records.len(), 1, "one contact");
        let mary = &records[0];
        assert_eq!(
            (
                mary.name.as_str(),
                mary.company.as_str(),
                mary.notes.as_str()
            ),
            ("Mary Smith", "Acme Ltd", "VIP"),
            "texts"
        );
        assert_eq!(
            mary.numbers,
            vec![
                number("work", "+44 20 7946 0000"),
                number("cell", "+44 7700 900123"),
                number("main", "+44 20 7946 0001"),
            ],
            "labels from the column names"
        );
    }

    #[test]
    fn a_spreadsheet_with_some_outlook_columns_keeps_its_other_columns() {
        let csv = "Name,Home Phone,Mobile Phone,Kundennummer\nAnna Weber,0211 1,0171 2,4711\n";
        let (layout, records) = read_all(csv.as_bytes());
        assert_eq!(
            layout.dialect,
            Dialect::OutlookEnglish,
            "two Outlook phone columns"
        );
        assert_eq!(
            layout.mapping,
            vec![Field::Name, phone("home"), phone("cell"), Field::Ignore],
            "Name is still guessed; unknown columns never become phones"
        );
        assert_eq!(records[0].name, "Anna Weber", "name read");
    }

    #[test]
    fn generic_spreadsheet_is_guessed_where_words_are_clear() {
        let layout = layout(GENERIC, &[]).expect("layout detected");
        assert_eq!(layout.delimiter, '\t', "tab-separated");
        assert_eq!(layout.dialect, Dialect::Generic, "no known export");
        assert_eq!(
            layout.mapping,
            vec![Field::Ignore, Field::Ignore, phone(""), phone("cell"), Field::Notes, Field::Ignore],
            "Tel. and Handy are phones, Bemerkung notes; Kunde, Ansprechpartner and Kundennummer need the user"
        );
        let records = read(GENERIC, &layout).expect("records read");
        assert_eq!(records.len(), 3, "every row has a number");
        assert_eq!(
            records[0].numbers,
            vec![number("", "02151 778899"), number("cell", "0172 1122334")],
            "guessed labels"
        );
    }

    #[test]
    fn generic_spreadsheet_reads_with_an_explicit_mapping() {
        let mapping = overrides(&[
            ("Kunde", "company"),
            ("ansprechpartner", "name"),
            ("Tel.", "phone:work"),
            ("Handy", "phone:mobile"),
            ("Kundennummer", "ignore"),
        ]);
        let layout = layout(GENERIC, &mapping).expect("layout with overrides");
        assert_eq!(
            layout.mapping,
            vec![
                Field::Company,
                Field::Name,
                phone("work"),
                phone("cell"),
                Field::Notes,
                Field::Ignore
            ],
            "overrides replace the guesses, matched case-insensitively"
        );
        let records = read(GENERIC, &layout).expect("records read");
        assert_eq!(records.len(), 3, "three customers");
        let expected = [
            (
                "Karl Lehmann",
                "Autohaus Lehmann GmbH",
                "Zahlt per Lastschrift",
                vec![
                    number("work", "02151 778899"),
                    number("cell", "0172 1122334"),
                ],
            ),
            (
                "Jana Wójcik",
                "Physiotherapie am Markt",
                "",
                vec![number("work", "02151 334455")],
            ),
            (
                "Peter Schmitz",
                "Elektro Schmitz",
                "",
                vec![number("work", "02151 90807")],
            ),
        ];
        for (record, (name, company, notes, numbers)) in records.iter().zip(expected) {
            assert_eq!(record.name, name, "name of {name}");
            assert_eq!(record.company, company, "company of {name}");
            assert_eq!(record.notes, notes, "notes of {name}");
            assert_eq!(record.numbers, numbers, "numbers of {name}");
        }
        assert_eq!(
            records[2].place,
            Place::Row { line: 4 },
            "the short last row is read too"
        );
    }

    #[test]
    fn an_unknown_override_header_names_it_and_lists_the_columns() {
        let err = layout(GENERIC, &overrides(&[("Telefon", "phone")])).expect_err("no such column");
        assert_eq!(err.place, Place::Row { line: 1 }, "the header line");
        assert!(
            err.message.contains("\"Telefon\""),
            "names the header: {}",
            err.message
        );
        for header in [
            "Kunde",
            "Ansprechpartner",
            "Tel.",
            "Handy",
            "Bemerkung",
            "Kundennummer",
        ] {
            assert!(
                err.message.contains(&format!("\"{header}\"")),
                "lists {header}: {}",
                err.message
            );
        }
    }

    #[rstest]
    #[case::comma("Name,Telefon,Notizen\nA,1,x\n", ',')]
    #[case::semicolon("Name;Telefon;Notizen\nA;1;x\n", ';')]
    #[case::tab("Name\tTelefon\tNotizen\nA\t1\tx\n", '\t')]
    #[case::quoted_commas_do_not_count("\"Name, voll\";\"Telefon\";\"a,b,c\"\nA;1;x\n", ';')]
    #[case::quoted_semicolons_do_not_count("\"Name;voll\",\"Telefon\"\nA,1\n", ',')]
    #[case::single_column_defaults_to_comma("Telefon\n0211 1\n", ',')]
    #[case::only_the_header_line_counts("Name,Telefon\nA;B;C;D;E\n", ',')]
    fn the_delimiter_is_counted_in_the_header_line(#[case] csv: &str, #[case] expected: char) {
        let layout = layout(csv.as_bytes(), &[]).expect("layout detected");
        assert_eq!(layout.delimiter, expected, "delimiter of {csv:?}");
    }

    #[test]
    fn excel_sep_line_sets_the_delimiter_and_counts_as_a_line() {
        let (layout, records) = read_all(b"sep=;\r\nName;Telefon\r\nAnna;0211 1\r\n");
        assert_eq!(layout.delimiter, ';', "from the sep line");
        assert_eq!(
            layout.headers,
            vec!["Name", "Telefon"],
            "the header follows the sep line"
        );
        assert_eq!(
            records[0].place,
            Place::Row { line: 3 },
            "lines count from the file's start"
        );
    }

    #[test]
    fn a_utf8_byte_order_mark_is_not_part_of_the_first_header() {
        let (layout, records) = read_all("\u{FEFF}Name,Telefon\nJörg,0211 1\n".as_bytes());
        assert_eq!(layout.encoding, Encoding::Utf8, "UTF-8 with BOM");
        assert_eq!(layout.headers[0], "Name", "no BOM in the header");
        assert_eq!(
            layout.mapping[0],
            Field::Name,
            "so the column is recognised"
        );
        assert_eq!(records[0].name, "Jörg", "umlaut read as UTF-8");
    }

    #[test]
    fn blank_lines_are_skipped_and_counted() {
        let (_, records) = read_all(b"Name;Telefon\r\n\r\n\r\nAnna;0211 1\r\n\nBernd;0211 2\n");
        let places: Vec<Place> = records.iter().map(|r| r.place).collect();
        assert_eq!(
            places,
            vec![Place::Row { line: 4 }, Place::Row { line: 6 }],
            "records keep their physical lines"
        );
    }

    #[test]
    fn rows_of_other_lengths_are_read_with_missing_cells_empty() {
        let (_, records) = read_all(b"Name,Telefon,Notizen\nAnna\nBernd,0211 2,x,extra,cells\n");
        assert_eq!(records.len(), 2, "both rows read");
        assert_eq!(
            (records[0].name.as_str(), records[0].numbers.len()),
            ("Anna", 0),
            "short row"
        );
        assert_eq!(records[1].notes, "x", "long row: extra cells ignored");
    }

    #[test]
    fn an_unclosed_quote_is_an_error_at_its_line() {
        let csv =
            b"Name,Telefon,Notizen\nAnna,0211 1,ok\nBernd,0211 2,\"kein Ende\nCarla,0211 3,x\n";
        let layout = layout(csv, &[]).expect("the header is fine");
        let err = read(csv, &layout).expect_err("broken quoting");
        assert_eq!(err.place, Place::Row { line: 3 }, "where the quote opens");
        assert!(
            err.message.contains("never closed"),
            "says what is wrong: {}",
            err.message
        );
    }

    #[test]
    fn an_empty_file_has_no_layout() {
        let err = layout(b"", &[]).expect_err("nothing to read");
        assert_eq!(err.place, Place::Row { line: 1 }, "line 1");
        assert!(err.message.contains("empty"), "says so: {}", err.message);
    }

    #[test]
    fn blocked_and_switchboard_columns_can_be_mapped_in_any_spreadsheet() {
        let csv = "Firma;Zentrale;Ist Zentrale;Durchwahl;Sperren\n\
                   Stadtwerke;0211 8210;ja;0211 821-555;x\n\
                   Bäcker;0211 1;nein;;0\n";
        let mapping = overrides(&[
            ("Ist Zentrale", "switchboard"),
            ("Zentrale", "phone:main"),
            ("Sperren", "blocked"),
        ]);
        let layout = layout(csv.as_bytes(), &mapping).expect("layout");
        assert_eq!(
            field_of(&layout, "Durchwahl"),
            &phone(""),
            "Durchwahl is guessed as a phone"
        );
        let records = read(csv.as_bytes(), &layout).expect("records read");
        assert_eq!(
            records[0].numbers,
            vec![
                RecordNumber {
                    switchboard: true,
                    ..number("main", "0211 8210")
                },
                number("", "0211 821-555"),
            ],
            "the switchboard column marks the phone to its left only"
        );
        assert!(records[0].blocked, "x reads as yes");
        assert!(
            !records[1].blocked && !records[1].numbers[0].switchboard,
            "0 and nein read as no"
        );
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

    #[rstest]
    #[case::vcard(b"BEGIN:VCARD\r\nVERSION:3.0\r\n", false)]
    #[case::vcard_lower_case_with_bom(b"\xEF\xBB\xBF\r\nbegin:vcard\n", false)]
    #[case::csv(b"Name,Telefon\n", true)]
    #[case::empty(b"", true)]
    fn csv_is_told_from_vcard(#[case] bytes: &[u8], #[case] expected: bool) {
        assert_eq!(
            looks_like_csv(bytes),
            expected,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }

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
        let (layout, records) = read_all(csv.as_bytes());
        assert_eq!(layout.dialect, Dialect::Klingel, "still recognised");
        assert_eq!(records[0].name, "Anna", "read back");
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

    #[test]
    fn a_hundred_thousand_rows_are_read() {
        let mut csv = String::from("\"Vorname\";\"Nachname\";\"Firma\";\"Telefon geschäftlich\";\"Mobiltelefon\";\"Notizen\"\r\n");
        for i in 0..100_000 {
            csv.push_str(&format!(
                "\"Vor{i}\";\"Nach{i}\";\"Firma {i}\";\"+49 211 {i:07}\";\"\";\"Notiz\r\nzweite Zeile\"\r\n"
            ));
        }
        let (layout, records) = read_all(csv.as_bytes());
        assert_eq!(layout.dialect, Dialect::OutlookGerman, "Outlook columns");
        assert_eq!(records.len(), 100_000, "every row");
        assert_eq!(
            records[99_999].place,
            Place::Row { line: 200_000 },
            "two lines per row"
        );
        assert_eq!(
            records[99_999].numbers,
            vec![number("work", "+49 211 0099999")],
            "last row's number"
        );
    }
}
