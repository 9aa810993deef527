//! What a contact import did, for the window's report and `klingeld contacts import`.

use serde::Serialize;

use crate::interchange::Place;

/// Something from the file that did not make it into the book, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// Where it stood.
    pub place: Place,
    /// Why, in one line.
    pub reason: String,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Records read from the file.
    pub records: usize,
    /// New contacts.
    pub created: usize,
    /// Existing contacts that gained numbers or fields.
    pub updated: usize,
    /// Records that matched a contact and added nothing.
    pub unchanged: usize,
    /// Records, and single numbers, left out.
    pub skipped: Vec<Skipped>,
    /// Nothing was written.
    pub dry_run: bool,
}
