//! Blocked numbers: whoever has them is turned away. A number that belongs to a contact blocks
//! through the contact (its "blocked" mark); a number nobody knows goes on a list of its own,
//! so blocking a stranger never invents a contact.

use std::collections::HashSet;

use rusqlite::{params, Connection};

use super::contacts::{get, lookup};
use super::{json_list, write_transaction, Result, Store};
use crate::config::NumbersConfig;
use crate::domain::{BlockedNumber, Blocking, ContactId, MatchKind};
use crate::phone::PhoneNumber;
use crate::time_fmt::{from_millis, now, to_millis};

/// Whether `number` is on the list of blocked numbers.
pub(crate) fn is_listed(conn: &Connection, number: &PhoneNumber) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM blocked_numbers WHERE e164 = ?1")?
        .exists([number.e164()])?)
}

/// Which of `keys` (E.164) are on the list, in one query.
pub(crate) fn listed_among(conn: &Connection, keys: &[&str]) -> Result<HashSet<String>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT e164 FROM blocked_numbers WHERE e164 IN (SELECT value FROM json_each(?1))",
    )?;
    let listed = stmt
        .query_map([json_list(&keys)?], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(listed)
}

/// Moves the contacts that older releases created for blocked strangers (blocked, named after
/// their only number, nothing else filled in) onto the list. For migration 3.
pub(crate) fn adopt_stand_in_contacts(conn: &Connection) -> Result<usize> {
    let candidates: Vec<(i64, String, String, String, i64)> = conn
        .prepare(
            "SELECT c.id, c.name, n.e164, n.typed, c.created_at FROM contacts c
             JOIN contact_numbers n ON n.contact_id = c.id
             WHERE c.blocked = 1 AND c.company = '' AND c.notes = ''
               AND (SELECT count(*) FROM contact_numbers m WHERE m.contact_id = c.id) = 1",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut moved = 0;
    for (id, name, e164, typed, created_at) in candidates {
        let Ok(number) = PhoneNumber::parse(&e164, crate::phone::Region::DE) else {
            continue;
        };
        // The stand-in's name is its number as it was shown, national in its own country.
        let region = number.region().unwrap_or(crate::phone::Region::DE);
        let named_after_number =
            PhoneNumber::parse(&name, region).is_ok_and(|n| n.e164() == number.e164());
        if !named_after_number {
            continue;
        }
        conn.execute(
            "INSERT OR IGNORE INTO blocked_numbers (e164, typed, created_at) VALUES (?1, ?2, ?3)",
            params![e164, typed, created_at],
        )?;
        conn.execute("DELETE FROM contacts WHERE id = ?1", [id])?;
        moved += 1;
    }
    Ok(moved)
}

impl Store {
    /// Blocks `number`: through its contact when one has exactly this number, else on the list.
    pub fn block_number(&self, number: &PhoneNumber, typed: &str) -> Result<Blocking> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let owner = lookup(&tx, number)?.filter(|hit| hit.kind == MatchKind::Exact);
            let blocking = match owner {
                Some(hit) => {
                    tx.execute(
                        "UPDATE contacts SET blocked = 1, updated_at = ?2 WHERE id = ?1",
                        params![hit.contact.id.0, to_millis(now())],
                    )?;
                    Blocking::Contact(get(&tx, hit.contact.id)?)
                }
                None => {
                    tx.execute(
                        "INSERT OR IGNORE INTO blocked_numbers (e164, typed, created_at)
                         VALUES (?1, ?2, ?3)",
                        params![number.e164(), typed.trim(), to_millis(now())],
                    )?;
                    Blocking::Number(number.e164().to_string())
                }
            };
            tx.commit()?;
            self.book_changed();
            Ok(blocking)
        })
    }

    /// Lets `number` through again: off the list, and its contact (exact match) unblocked.
    /// Returns whether anything was blocked.
    pub fn unblock_number(&self, number: &PhoneNumber) -> Result<bool> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let mut changed =
                tx.execute("DELETE FROM blocked_numbers WHERE e164 = ?1", [number.e164()])? > 0;
            if let Some(hit) = lookup(&tx, number)?.filter(|hit| hit.kind == MatchKind::Exact) {
                changed |= tx.execute(
                    "UPDATE contacts SET blocked = 0, updated_at = ?2 WHERE id = ?1 AND blocked = 1",
                    params![hit.contact.id.0, to_millis(now())],
                )? > 0;
            }
            tx.commit()?;
            self.book_changed();
            Ok(changed)
        })
    }

    /// Every blocked number: the list, and the numbers of blocked contacts, newest first.
    pub fn blocked_numbers(&self, numbers: &NumbersConfig) -> Result<Vec<BlockedNumber>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT e164, NULL, NULL, created_at FROM blocked_numbers
                 UNION ALL
                 SELECT n.e164, c.id, c.name, c.updated_at FROM contacts c
                 JOIN contact_numbers n ON n.contact_id = c.id WHERE c.blocked = 1
                 ORDER BY 4 DESC, 1",
            )?;
            let rows = stmt.query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<i64>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, i64>(3)?,
                ))
            })?;
            let mut blocked = Vec::new();
            for row in rows {
                let (e164, contact, name, since) = row?;
                let display = PhoneNumber::parse(&e164, numbers.region)
                    .map_or_else(|_| e164.clone(), |n| numbers.show(&n));
                blocked.push(BlockedNumber {
                    e164,
                    display,
                    contact: contact.map(ContactId),
                    contact_name: name,
                    since: from_millis(since),
                });
            }
            Ok(blocked)
        })
    }
}
