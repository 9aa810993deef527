//! CSV in and out.
//!
//! Reading works in two steps so the user can check what was understood before anything is
//! imported: [`layout`] detects encoding, delimiter, which program wrote the file and what each
//! column means; [`read`] then turns the rows into [`ContactRecord`]s with that (possibly
//! edited) layout. Writing produces Klingel's own contact export, which reads back unchanged;
//! the call log for spreadsheets is written by `interchange::call_log`.
//!
//! Layout:
//! - `layout` — [`Field`], [`Dialect`], [`CsvLayout`]: the exports Klingel recognises, their column
//!   names and how a column of any other spreadsheet is guessed
//! - `read`   — detecting the layout and reading rows into records
//! - `write`  — Klingel's own contact export
//!
//! [`ContactRecord`]: crate::interchange::ContactRecord

mod layout;
mod read;
mod write;

pub use layout::{CsvLayout, Dialect, Field};
pub use read::{layout, looks_like_csv, read, CsvError};
pub use write::write_contacts;

pub(in crate::interchange) use write::to_csv;
