//! Reading a CSV: the layout (encoding, delimiter, dialect, what each column means) from the
//! header line, then the rows as records with that layout.

use super::layout::{
    detect_dialect, map_header, normalize, normalize_label, phone_group, CsvLayout, Field,
};
use crate::interchange::record::{ContactRecord, Place, ReadError, RecordNumber};
use crate::interchange::text::Encoding;

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

/// Whether a yes/no cell says yes (English, German, Excel's WAHR, or a cross).
fn truthy(cell: &str) -> bool {
    matches!(
        cell.trim().to_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "ja" | "j" | "x" | "wahr"
    )
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

    use super::*;
    use crate::interchange::csv::Dialect;

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
