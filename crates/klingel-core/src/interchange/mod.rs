//! Contacts in and out of other programs: vCard and CSV (Outlook, Google, any spreadsheet).
//!
//! Layout:
//! - `record` — [`ContactRecord`]: one contact as read from a file, and where it stood
//! - `text`   — bytes to text: UTF-8 (with or without BOM) or Windows-1252
//! - `vcard`  — vCard 2.1 / 3.0 / 4.0 in, vCard 4.0 out
//! - `csv`    — CSV in (Google, Outlook in English and German, or an explicit mapping) and out
//! - `call_log` — the call log as CSV for spreadsheets

pub mod call_log;
pub mod csv;
pub mod record;
pub mod text;
pub mod vcard;

pub use record::{ContactRecord, Place, ReadError, RecordNumber};

use std::path::Path;

use serde::{Deserialize, Serialize};

use text::Encoding;

/// The file formats Klingel reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// vCard 2.1, 3.0 or 4.0 (written as 4.0).
    Vcard,
    /// CSV with a header row.
    Csv,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vcard" | "vcf" => Ok(Self::Vcard),
            "csv" => Ok(Self::Csv),
            other => Err(format!("unknown format {other:?}: use vcard or csv")),
        }
    }
}

impl Format {
    /// The format a file name says (`.vcf`, `.vcard`, `.csv`), if it says one.
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "vcf" | "vcard" => Some(Self::Vcard),
            "csv" | "tsv" | "txt" => Some(Self::Csv),
            _ => None,
        }
    }

    /// The format the content says: vCard if it opens with BEGIN:VCARD, else CSV.
    pub fn sniff(bytes: &[u8]) -> Self {
        let (text, _) = text::decode(&bytes[..bytes.len().min(4096)]);
        if vcard::looks_like_vcard(&text) {
            Self::Vcard
        } else {
            Self::Csv
        }
    }
}

/// A file read into records, with what was detected about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadFile {
    /// vCard or CSV.
    pub format: Format,
    /// The text encoding found.
    pub encoding: Encoding,
    /// For CSV: delimiter, dialect and the column mapping used.
    pub layout: Option<csv::CsvLayout>,
    /// The contacts, in file order.
    pub records: Vec<ContactRecord>,
}

/// Reads a contacts file: `format` None detects it from the content; `overrides` are
/// (column, field) pairs for CSV columns.
pub fn read_file(
    bytes: &[u8],
    format: Option<Format>,
    overrides: &[(String, csv::Field)],
) -> Result<ReadFile, ReadError> {
    match format.unwrap_or_else(|| Format::sniff(bytes)) {
        Format::Vcard => {
            let (text, encoding) = text::decode(bytes);
            Ok(ReadFile {
                format: Format::Vcard,
                encoding,
                layout: None,
                records: vcard::read(&text)?,
            })
        }
        Format::Csv => {
            let layout = csv::layout(bytes, overrides)?;
            let records = csv::read(bytes, &layout)?;
            Ok(ReadFile {
                format: Format::Csv,
                encoding: layout.encoding,
                layout: Some(layout),
                records,
            })
        }
    }
}

/// What was found out about a contacts file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    /// vCard or CSV.
    pub format: Format,
    /// The text encoding found.
    pub encoding: Encoding,
    /// For CSV: delimiter, dialect and the column mapping used.
    pub layout: Option<csv::CsvLayout>,
}

/// The contacts of an opened file, read as they are taken.
pub enum Records {
    /// A vCard file, read a piece at a time.
    Cards(vcard::CardStream<std::fs::File>),
    /// A CSV file, read whole when it was opened.
    Rows(std::vec::IntoIter<ContactRecord>),
}

impl Iterator for Records {
    type Item = Result<ContactRecord, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Cards(cards) => cards.next(),
            Self::Rows(rows) => rows.next().map(Ok),
        }
    }
}

/// Why a file could not be opened as contacts.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The file system said no.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The content is not a contacts file Klingel reads.
    #[error("{0}")]
    Read(#[from] ReadError),
}

/// Opens a contacts file for an import: `format` None detects it from the content. A vCard
/// file is checked for its encoding in one pass and then read card by card as the records
/// are taken, so its size does not matter; a CSV file is read whole, since its layout is
/// found from its header and its cells may span lines.
pub fn open_file(
    path: &Path,
    format: Option<Format>,
    overrides: &[(String, csv::Field)],
) -> Result<(FileInfo, Records), OpenError> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)?
        .take(4096)
        .read_to_end(&mut head)?;
    match format.unwrap_or_else(|| Format::sniff(&head)) {
        Format::Vcard => {
            let encoding = text::detect(std::fs::File::open(path)?)?;
            let cards = vcard::CardStream::new(std::fs::File::open(path)?, encoding);
            let info = FileInfo {
                format: Format::Vcard,
                encoding,
                layout: None,
            };
            Ok((info, Records::Cards(cards)))
        }
        Format::Csv => {
            let file = read_file(&std::fs::read(path)?, Some(Format::Csv), overrides)?;
            let info = FileInfo {
                format: file.format,
                encoding: file.encoding,
                layout: file.layout,
            };
            Ok((info, Records::Rows(file.records.into_iter())))
        }
    }
}

/// Writes an export atomically: a failed export never leaves half a file where a good one was.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("klingel-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A contact for the writers' tests: numbers as (label, number, switchboard), the number also
/// standing as its E.164 key.
#[cfg(test)]
pub(crate) fn test_contact(
    name: &str,
    company: &str,
    notes: &str,
    blocked: bool,
    numbers: &[(&str, &str, bool)],
) -> crate::domain::Contact {
    let at = time::macros::datetime!(2024-05-01 09:00 UTC);
    crate::domain::Contact {
        id: crate::domain::ContactId(1),
        name: name.to_string(),
        company: company.to_string(),
        notes: notes.to_string(),
        blocked,
        numbers: numbers
            .iter()
            .map(
                |&(label, number, switchboard)| crate::domain::ContactNumber {
                    label: label.to_string(),
                    typed: number.to_string(),
                    e164: number.to_string(),
                    switchboard,
                },
            )
            .collect(),
        created_at: at,
        updated_at: at,
    }
}
