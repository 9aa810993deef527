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
