//! The types the faces of Klingel (window, CLI, a desk) see: contacts, calls, filters, requests,
//! updates and import reports. Plain data that serialises cleanly; the store and the monitor
//! that produce them stay inside the core.

mod call;
mod contact;
mod desk;
mod import;
mod request;
mod update;

pub use call::{CallEntry, CallFilter, CallKey, CallsPage, CallsView};
pub use contact::{
    BlockedNumber, Blocking, Contact, ContactId, ContactInput, ContactMatch, ContactNumber,
    ContactRef, ContactsPage, LookupReport, MatchKind, NumberInput, SharedNumber,
};
pub use desk::{Desk, Handled, HandledHow, DEFAULT_PERMS};
pub use import::{ImportReport, Skipped};
pub use request::{RequestRecord, StoredRequest};
pub use update::{CallUpdate, Update, UpdateCause};
