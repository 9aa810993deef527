//! Contacts and their numbers; caller lookup by E.164 key and switchboard prefix.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{json_list, write_transaction, Result, Store, StoreError};
use crate::config::NumbersConfig;
use crate::domain::{
    Contact, ContactId, ContactInput, ContactMatch, ContactNumber, ContactRef, MatchKind,
    NumberInput, SharedNumber,
};
use crate::phone::{PhoneNumber, Region};
use crate::time_fmt::{from_millis, now, to_millis};

/// A validated contact ready to write.
struct Prepared<'a> {
    numbers: Vec<(PhoneNumber, &'a NumberInput)>,
    search: String,
}

fn prepare(input: &ContactInput, region: Region) -> Result<Prepared<'_>> {
    if input.name.trim().is_empty() {
        return Err(StoreError::EmptyName);
    }
    let numbers = input
        .numbers
        .iter()
        .enumerate()
        .map(|(i, n)| {
            PhoneNumber::parse(&n.number, region)
                .map(|parsed| (parsed, n))
                .map_err(|reason| StoreError::InvalidNumber {
                    position: i + 1,
                    input: n.number.clone(),
                    reason,
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Prepared {
        numbers,
        search: format!("{} {}", input.name.trim(), input.company.trim()).to_lowercase(),
    })
}

/// Refuses a number that another contact already has: a caller must have one name. (`id` is
/// the contact being saved, `None` for a new one.)
fn check_owners(conn: &Connection, id: Option<ContactId>, prepared: &Prepared<'_>) -> Result<()> {
    let mut owner = conn.prepare_cached(
        "SELECT c.id, c.name FROM contact_numbers n JOIN contacts c ON c.id = n.contact_id
         WHERE n.e164 = ?1 AND c.id IS NOT ?2 ORDER BY c.id LIMIT 1",
    )?;
    for (position, (number, input)) in prepared.numbers.iter().enumerate() {
        let found: Option<(i64, String)> = owner
            .query_row(params![number.e164(), id.map(|i| i.0)], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        if let Some((owner, owner_name)) = found {
            return Err(StoreError::DuplicateNumber {
                position: position + 1,
                input: input.number.trim().to_string(),
                owner,
                owner_name,
            });
        }
    }
    Ok(())
}

fn write_numbers(conn: &Connection, id: ContactId, prepared: &Prepared<'_>) -> Result<()> {
    conn.execute("DELETE FROM contact_numbers WHERE contact_id = ?1", [id.0])?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO contact_numbers (contact_id, position, label, typed, e164, switchboard)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (position, (number, input)) in prepared.numbers.iter().enumerate() {
        insert.execute(params![
            id.0,
            position as i64,
            crate::labels::normalize(&input.label),
            input.number.trim(),
            number.e164(),
            input.switchboard
        ])?;
    }
    Ok(())
}

/// Refuses a change based on an older version of the contact than the stored one.
fn check_version(conn: &Connection, id: ContactId, expected: Option<i64>) -> Result<()> {
    let Some(expected) = expected else {
        return Ok(());
    };
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM contacts WHERE id = ?1",
        [id.0],
        |row| row.get(0),
    )?;
    if !exists {
        return Err(StoreError::ContactNotFound(id.0));
    }
    let current = super::events::version(conn, super::events::EntityKind::Contact, id.0)?;
    if current == expected {
        Ok(())
    } else {
        Err(StoreError::Stale { current })
    }
}

/// Inserts a validated contact inside the caller's transaction.
pub(crate) fn insert(conn: &Connection, input: &ContactInput, region: Region) -> Result<ContactId> {
    let prepared = prepare(input, region)?;
    check_owners(conn, None, &prepared)?;
    let at = to_millis(now());
    conn.execute(
        "INSERT INTO contacts (name, company, notes, blocked, search, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            input.name.trim(),
            input.company.trim(),
            input.notes,
            input.blocked,
            prepared.search,
            at
        ],
    )?;
    let id = ContactId(conn.last_insert_rowid());
    write_numbers(conn, id, &prepared)?;
    Ok(id)
}

fn contact_from_row(row: &Row<'_>) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: ContactId(row.get("id")?),
        name: row.get("name")?,
        company: row.get("company")?,
        notes: row.get("notes")?,
        blocked: row.get("blocked")?,
        numbers: Vec::new(),
        created_at: from_millis(row.get("created_at")?),
        updated_at: from_millis(row.get("updated_at")?),
    })
}

fn load_numbers(conn: &Connection, contact: &mut Contact) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT label, typed, e164, switchboard FROM contact_numbers
         WHERE contact_id = ?1 ORDER BY position",
    )?;
    contact.numbers = stmt
        .query_map([contact.id.0], |row| {
            Ok(ContactNumber {
                label: row.get(0)?,
                typed: row.get(1)?,
                e164: row.get(2)?,
                switchboard: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(())
}

/// Loads one contact with its numbers.
pub(crate) fn get(conn: &Connection, id: ContactId) -> Result<Contact> {
    let mut contact = conn
        .prepare_cached("SELECT * FROM contacts WHERE id = ?1")?
        .query_row([id.0], contact_from_row)
        .optional()?
        .ok_or(StoreError::ContactNotFound(id.0))?;
    load_numbers(conn, &mut contact)?;
    Ok(contact)
}

/// Finds the contact a number belongs to: exact E.164 first, then the longest switchboard
/// prefix; the same rule as [`resolve`], with statements for one number (every ringing call
/// asks this, so it skips the JSON lists a batch needs).
pub(crate) fn lookup(conn: &Connection, number: &PhoneNumber) -> Result<Option<ContactMatch>> {
    let exact: Option<i64> = conn
        .prepare_cached(
            "SELECT contact_id FROM contact_numbers WHERE e164 = ?1 ORDER BY contact_id LIMIT 1",
        )?
        .query_row([number.e164()], |row| row.get(0))
        .optional()?;
    let (id, e164, kind) = match exact {
        Some(id) => (id, number.e164().to_string(), MatchKind::Exact),
        None => match switchboard_of(conn, number)? {
            Some((id, e164)) => (id, e164, MatchKind::Switchboard),
            None => return Ok(None),
        },
    };
    matched(get(conn, ContactId(id))?, &e164, kind).map(Some)
}

/// `contact` as the owner of its number `e164`.
fn matched(contact: Contact, e164: &str, kind: MatchKind) -> Result<ContactMatch> {
    let number = contact
        .numbers
        .iter()
        .find(|n| n.e164 == e164)
        .cloned()
        .ok_or_else(|| {
            StoreError::Corrupt(format!("contact {} lost number {e164}", contact.id.0))
        })?;
    Ok(ContactMatch {
        contact,
        number,
        kind,
    })
}

/// The switchboard a number without an exact owner reaches: its longest prefix (or that
/// prefix with a trailing 0) that is a switchboard number, lowest contact first.
fn switchboard_of(conn: &Connection, number: &PhoneNumber) -> Result<Option<(i64, String)>> {
    let keys: BTreeSet<String> = switchboard_keys(number).collect();
    let owners = first_owners(conn, SWITCHBOARDS_AMONG, &keys)?;
    Ok(switchboard_keys(number).find_map(|key| owners.get(&key).map(|id| (*id, key))))
}

/// The keys a switchboard of `number` may have, in the order they win: longest prefix first,
/// each literal before the same prefix with a trailing 0 (a switchboard is usually written with
/// its "-0", "0211 12345-0", while extensions replace that 0, "0211 12345-67").
fn switchboard_keys(number: &PhoneNumber) -> impl Iterator<Item = String> {
    number.prefixes().into_iter().flat_map(|prefix| {
        let with_zero = format!("{prefix}0");
        [prefix, with_zero]
    })
}

/// Finds the contacts many numbers belong to, by E.164 key: one query for the exact keys, one
/// for the switchboard prefixes of the numbers without an exact match, one for the contacts.
/// Per number the exact key wins; else the longest switchboard prefix does. A switchboard is
/// usually written with its "-0" ("0211 12345-0") while extensions replace that 0
/// ("0211 12345-67"), so a prefix also matches a switchboard that is the prefix plus a
/// trailing 0; the literal form is preferred at equal length.
pub(crate) fn resolve(
    conn: &Connection,
    numbers: &[PhoneNumber],
) -> Result<HashMap<String, ContactMatch>> {
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    let keys: BTreeSet<&str> = numbers.iter().map(PhoneNumber::e164).collect();
    // e164 -> contact, the lowest contact id (one number, one contact: normally the only one)
    let exact = first_owners(
        conn,
        "SELECT e164, contact_id FROM contact_numbers
         WHERE e164 IN (SELECT value FROM json_each(?1)) ORDER BY contact_id",
        &keys,
    )?;
    let prefixes: BTreeSet<String> = numbers
        .iter()
        .filter(|n| !exact.contains_key(n.e164()))
        .flat_map(switchboard_keys)
        .collect();
    // Only switchboards match by prefix; their partial index keeps these probes cheap.
    let switchboards = if prefixes.is_empty() {
        HashMap::new()
    } else {
        first_owners(conn, SWITCHBOARDS_AMONG, &prefixes)?
    };
    let mut hits: Vec<(&PhoneNumber, i64, String, MatchKind)> = Vec::new();
    for number in numbers {
        if let Some(contact) = exact.get(number.e164()) {
            hits.push((
                number,
                *contact,
                number.e164().to_string(),
                MatchKind::Exact,
            ));
            continue;
        }
        let found = switchboard_keys(number)
            .find_map(|key| switchboards.get(&key).map(|contact| (*contact, key)));
        if let Some((contact, e164)) = found {
            hits.push((number, contact, e164, MatchKind::Switchboard));
        }
    }
    let ids: BTreeSet<i64> = hits.iter().map(|(_, id, _, _)| *id).collect();
    let contacts = get_many(conn, &ids)?;
    hits.into_iter()
        .map(|(number, id, e164, kind)| {
            let contact = contacts
                .get(&id)
                .cloned()
                .ok_or(StoreError::ContactNotFound(id))?;
            Ok((number.e164().to_string(), matched(contact, &e164, kind)?))
        })
        .collect()
}

/// The switchboard numbers among a JSON list of keys, lowest contact first.
const SWITCHBOARDS_AMONG: &str = "SELECT e164, contact_id FROM contact_numbers
     WHERE switchboard = 1 AND e164 IN (SELECT value FROM json_each(?1))
     ORDER BY contact_id";

/// Runs `sql` (selecting `e164, contact_id` ordered by contact) for `keys`: the first owner of each.
fn first_owners<K: serde::Serialize>(
    conn: &Connection,
    sql: &str,
    keys: &BTreeSet<K>,
) -> Result<HashMap<String, i64>> {
    let mut owners = HashMap::new();
    let mut stmt = conn.prepare_cached(sql)?;
    let mut rows = stmt.query([json_list(keys)?])?;
    while let Some(row) = rows.next()? {
        owners.entry(row.get(0)?).or_insert(row.get(1)?);
    }
    Ok(owners)
}

/// Loads contacts with their numbers, two queries for any number of them.
fn get_many(conn: &Connection, ids: &BTreeSet<i64>) -> Result<HashMap<i64, Contact>> {
    let ids = json_list(ids)?;
    let mut contacts: HashMap<i64, Contact> = conn
        .prepare_cached("SELECT * FROM contacts WHERE id IN (SELECT value FROM json_each(?1))")?
        .query_map([&ids], contact_from_row)?
        .map(|c| c.map(|c| (c.id.0, c)))
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT contact_id, label, typed, e164, switchboard FROM contact_numbers
         WHERE contact_id IN (SELECT value FROM json_each(?1)) ORDER BY contact_id, position",
    )?;
    let mut rows = stmt.query([&ids])?;
    while let Some(row) = rows.next()? {
        if let Some(contact) = contacts.get_mut(&row.get(0)?) {
            contact.numbers.push(ContactNumber {
                label: row.get(1)?,
                typed: row.get(2)?,
                e164: row.get(3)?,
                switchboard: row.get(4)?,
            });
        }
    }
    Ok(contacts)
}

/// A count or position as SQLite takes it (saturating: "all" stays "all").
fn to_sql(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The ids of `limit` contacts by name from position `offset`.
fn ids_by_name(conn: &Connection, offset: usize, limit: usize) -> Result<Vec<i64>> {
    let ids = conn
        .prepare_cached(
            "SELECT id FROM contacts ORDER BY name COLLATE NOCASE, id LIMIT ?1 OFFSET ?2",
        )?
        .query_map([to_sql(limit), to_sql(offset)], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The contacts with `ids`, in that order, in two queries however many.
fn in_order(conn: &Connection, ids: &[i64]) -> Result<Vec<Contact>> {
    let mut contacts = get_many(conn, &ids.iter().copied().collect())?;
    ids.iter()
        .map(|id| contacts.remove(id).ok_or(StoreError::ContactNotFound(*id)))
        .collect()
}

impl Store {
    /// Adds a contact; every number must parse.
    // A refused contact is the user's to fix, not an error for the log.
    #[tracing::instrument(skip(self, input), fields(name = %input.name), err(level = "debug"))]
    pub fn add_contact(&self, input: &ContactInput, region: Region) -> Result<Contact> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let id = insert(&tx, input, region)?;
            let contact = get(&tx, id)?;
            tx.commit()?;
            self.contacts_changed();
            Ok(contact)
        })
    }

    /// Replaces a contact's fields and numbers.
    pub fn update_contact(
        &self,
        id: ContactId,
        input: &ContactInput,
        region: Region,
    ) -> Result<Contact> {
        self.update_contact_if(id, input, region, None)
    }

    /// Replaces a contact's fields and numbers, if it is still at version `expected` (when
    /// given): a writer working from an older copy gets [`StoreError::Stale`].
    #[tracing::instrument(skip(self, input), err(level = "debug"))]
    pub fn update_contact_if(
        &self,
        id: ContactId,
        input: &ContactInput,
        region: Region,
        expected: Option<i64>,
    ) -> Result<Contact> {
        let prepared = prepare(input, region)?;
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            check_version(&tx, id, expected)?;
            check_owners(&tx, Some(id), &prepared)?;
            let changed = tx.execute(
                "UPDATE contacts SET name = ?2, company = ?3, notes = ?4, blocked = ?5, search = ?6,
                 updated_at = ?7 WHERE id = ?1",
                params![
                    id.0,
                    input.name.trim(),
                    input.company.trim(),
                    input.notes,
                    input.blocked,
                    prepared.search,
                    to_millis(now())
                ],
            )?;
            if changed == 0 {
                return Err(StoreError::ContactNotFound(id.0));
            }
            write_numbers(&tx, id, &prepared)?;
            let contact = get(&tx, id)?;
            tx.commit()?;
            self.contacts_changed();
            Ok(contact)
        })
    }

    /// Numbers that more than one contact has (only books from before the one-number rule).
    pub fn shared_numbers(&self, numbers: &NumbersConfig) -> Result<Vec<SharedNumber>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT n.e164, c.id, c.name FROM contact_numbers n
                 JOIN contacts c ON c.id = n.contact_id
                 WHERE n.e164 IN (SELECT e164 FROM contact_numbers GROUP BY e164
                                  HAVING count(DISTINCT contact_id) > 1)
                 ORDER BY n.e164, c.id",
            )?;
            let mut shared: Vec<SharedNumber> = Vec::new();
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let e164: String = row.get(0)?;
                let contact = ContactRef {
                    id: ContactId(row.get(1)?),
                    name: row.get(2)?,
                };
                match shared.last_mut() {
                    Some(last) if last.e164 == e164 => {
                        if last.contacts.last() != Some(&contact) {
                            last.contacts.push(contact);
                        }
                    }
                    _ => shared.push(SharedNumber {
                        // A stored key carries its country code, so any region reads it.
                        display: PhoneNumber::parse(&e164, numbers.region)
                            .map_or_else(|_| e164.clone(), |n| numbers.show(&n)),
                        e164,
                        contacts: vec![contact],
                    }),
                }
            }
            Ok(shared)
        })
    }

    /// Deletes a contact and its numbers; the call log keeps the calls, now unnamed.
    pub fn remove_contact(&self, id: ContactId) -> Result<()> {
        self.remove_contact_if(id, None)
    }

    /// Deletes a contact if it is still at version `expected` (when given).
    #[tracing::instrument(skip(self), err(level = "debug"))]
    pub fn remove_contact_if(&self, id: ContactId, expected: Option<i64>) -> Result<()> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            check_version(&tx, id, expected)?;
            match tx.execute("DELETE FROM contacts WHERE id = ?1", [id.0])? {
                0 => Err(StoreError::ContactNotFound(id.0)),
                _ => {
                    tx.commit()?;
                    self.contacts_changed();
                    Ok(())
                }
            }
        })
    }

    /// One contact.
    pub fn contact(&self, id: ContactId) -> Result<Contact> {
        self.with(|conn| get(conn, id))
    }

    /// Contacts by name, optionally filtered by name, company or number.
    pub fn contacts(&self, search: Option<&str>, region: Region) -> Result<Vec<Contact>> {
        self.contacts_first(search, region, usize::MAX)
    }

    /// The first `limit` contacts by name (the window lists a page; a book can hold 100,000).
    pub fn contacts_first(
        &self,
        search: Option<&str>,
        region: Region,
        limit: usize,
    ) -> Result<Vec<Contact>> {
        let query = search.map(str::trim).filter(|q| !q.is_empty());
        self.with(|conn| {
            let ids = match query {
                None => ids_by_name(conn, 0, limit)?,
                Some(q) => {
                    let mut ids = self.contact_index.matching(conn, q, region)?;
                    ids.truncate(limit);
                    ids
                }
            };
            in_order(conn, &ids)
        })
    }

    /// `limit` contacts by name from position `offset` of those `search` finds (all without
    /// one), and how many it finds in all.
    pub fn contacts_page(
        &self,
        search: Option<&str>,
        region: Region,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Contact>, i64)> {
        let query = search.map(str::trim).filter(|q| !q.is_empty());
        self.with(|conn| {
            let (ids, total) = match query {
                None => (
                    ids_by_name(conn, offset, limit)?,
                    conn.query_row("SELECT count(*) FROM contacts", [], |row| row.get(0))?,
                ),
                Some(q) => {
                    let all = self.contact_index.matching(conn, q, region)?;
                    let total = to_sql(all.len());
                    (all.into_iter().skip(offset).take(limit).collect(), total)
                }
            };
            Ok((in_order(conn, &ids)?, total))
        })
    }

    /// Finds who a number belongs to.
    pub fn lookup(&self, number: &PhoneNumber) -> Result<Option<ContactMatch>> {
        self.with(|conn| lookup(conn, number))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn switchboard_prefixes_are_probed_in_the_switchboards_own_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = super::Store::open(&dir.path().join("plan.sqlite3")).expect("store");
        let plan: Vec<String> = store
            .with(|conn| {
                Ok(conn
                    .prepare(&format!("EXPLAIN QUERY PLAN {}", super::SWITCHBOARDS_AMONG))?
                    .query_map(["[]"], |row| row.get::<_, String>(3))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .expect("plan");
        assert!(
            plan.iter()
                .any(|step| step.contains("contact_numbers_switchboard")),
            "a miss would otherwise probe the index of every number in the book: {plan:?}"
        );
    }
}
