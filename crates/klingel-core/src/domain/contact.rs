//! Contacts as the window, the CLI and imports see them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A contact's database id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ContactId(pub i64);

impl std::fmt::Display for ContactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A number as the user enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NumberInput {
    /// Free label, e.g. "work" or "mobile".
    pub label: String,
    /// What the user typed (`typed` in the shape contacts are listed in).
    #[serde(alias = "typed")]
    pub number: String,
    /// Matches extensions below it by longest prefix.
    pub switchboard: bool,
}

/// A contact as the user enters it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactInput {
    /// Name shown for the caller.
    pub name: String,
    /// Company shown under the name.
    pub company: String,
    /// Free notes.
    pub notes: String,
    /// Turn this caller away with `<Reject/>`.
    pub blocked: bool,
    /// Numbers, in the order shown.
    pub numbers: Vec<NumberInput>,
}

/// A stored number of a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactNumber {
    /// Free label.
    pub label: String,
    /// What the user typed.
    pub typed: String,
    /// The E.164 key it matches on.
    pub e164: String,
    /// Matches extensions by prefix.
    pub switchboard: bool,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Database id.
    pub id: ContactId,
    /// Name.
    pub name: String,
    /// Company.
    pub company: String,
    /// Notes.
    pub notes: String,
    /// Turned away when calling.
    pub blocked: bool,
    /// Numbers in order.
    pub numbers: Vec<ContactNumber>,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// How a number matched a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum MatchKind {
    /// The number itself is stored.
    Exact,
    /// The number is an extension below a stored switchboard number.
    Switchboard,
}

/// One page of the contact book, and how many contacts the search finds in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactsPage {
    /// The contacts, by name.
    pub contacts: Vec<Contact>,
    /// How many the search finds (the whole book without one).
    pub total: i64,
    /// More follow this page.
    pub more: bool,
}

/// A blocked number, from the list or from a blocked contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockedNumber {
    /// The E.164 key.
    pub e164: String,
    /// As people write it.
    pub display: String,
    /// The blocked contact it belongs to; `None` for a number on the list.
    pub contact: Option<ContactId>,
    /// That contact's name.
    pub contact_name: Option<String>,
    /// Blocked since (for a contact: its last change).
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
}

/// What blocking a number did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum Blocking {
    /// The contact that has the number is blocked now.
    Contact(Contact),
    /// Nobody has the number: it is on the list now (its E.164 key).
    Number(String),
}

/// A contact by id and name, for links and lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRef {
    /// Its id.
    pub id: ContactId,
    /// Its name.
    pub name: String,
}

/// A number more than one contact has: left from before a number could have only one owner.
/// Calls from it are named after the oldest contact until someone resolves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedNumber {
    /// The E.164 key.
    pub e164: String,
    /// As people write it.
    pub display: String,
    /// Every contact that has it, oldest first (the first one names its calls).
    pub contacts: Vec<ContactRef>,
}

/// A lookup hit: the contact, the stored number that matched, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactMatch {
    /// The contact.
    pub contact: Contact,
    /// Its number that matched.
    pub number: ContactNumber,
    /// How it matched.
    pub kind: MatchKind,
}

/// Why a number matches a contact, or not: what `klingeld lookup --json` prints and the hub's
/// `GET /api/v1/lookup` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupReport {
    /// What was asked for.
    pub input: String,
    /// Its E.164 key.
    pub e164: String,
    /// As people write it.
    pub display: String,
    /// Every key that was tried: the number itself, then switchboard prefixes.
    pub tried: Vec<String>,
    /// The contact it belongs to, and how.
    #[serde(rename = "match")]
    pub hit: Option<ContactMatch>,
}

impl LookupReport {
    /// The report for `input`, read as `number`, found as `hit`; shown the way `region` writes.
    pub fn new(
        input: &str,
        number: &crate::phone::PhoneNumber,
        hit: Option<ContactMatch>,
        region: crate::phone::Region,
    ) -> Self {
        Self {
            input: input.to_string(),
            e164: number.e164().to_string(),
            display: number.display(region),
            tried: number.prefixes(),
            hit,
        }
    }
}
