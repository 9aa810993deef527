//! vCard in and out: reads 2.1 (Outlook, phones), 3.0 (Apple, Google) and 4.0; writes 4.0.
//!
//! A small reader of our own rather than a crate: the vCard crates either follow RFC 6350 only
//! or leave vCard 2.1's quoted-printable soft breaks and `CHARSET=` to the caller, and those are
//! what Outlook exports are made of.
//!
//! Layout:
//! - `read`  — every card in a file as a record, in one pass over the lines
//! - `stream` — the same, a piece of the file at a time, for files of any size
//! - `write` — contacts as vCard 4.0

mod read;
mod stream;
mod write;

pub use read::{looks_like_vcard, read};
pub use stream::CardStream;
pub use write::write;
