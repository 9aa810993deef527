//! One contact as read from a file, before it meets the contact book.

use serde::Serialize;

/// Where a record stood in its file, for reports ("card 3 (line 17)", "line 5").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Place {
    /// The `index`-th vCard (1-based), starting at `line` (1-based).
    Card {
        /// 1-based card number.
        index: usize,
        /// 1-based line of its BEGIN:VCARD.
        line: usize,
    },
    /// A CSV record starting at `line` (1-based, the header is line 1).
    Row {
        /// 1-based line.
        line: usize,
    },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Card { index, line } => write!(f, "card {index} (line {line})"),
            Self::Row { line } => write!(f, "line {line}"),
        }
    }
}

/// A number as a file gives it: a label ("work", "home", "cell", "fax", "main", or a
/// column's own words) and the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordNumber {
    /// Lower-case label; empty when the file gives none.
    pub label: String,
    /// The number as written in the file.
    pub number: String,
    /// A switchboard number that also matches its extensions.
    pub switchboard: bool,
}

/// One contact read from a file. Fields are trimmed; absent ones are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRecord {
    /// Where it stood.
    pub place: Place,
    /// Display name (vCard FN, else composed from N; CSV name columns).
    pub name: String,
    /// Company (vCard ORG's first component).
    pub company: String,
    /// Notes.
    pub notes: String,
    /// Numbers in file order.
    pub numbers: Vec<RecordNumber>,
    /// The contact is blocked.
    pub blocked: bool,
}

/// A file that cannot be read on: what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}: {message}")]
pub struct ReadError {
    /// Where reading stopped.
    pub place: Place,
    /// What is wrong there.
    pub message: String,
}
