//! Importing contacts read from a file: merge by number, one transaction, a report.
//!
//! A record whose number already belongs to a contact (in the book, or earlier in the same
//! file) updates that contact — missing numbers and empty fields are filled in — instead of
//! creating a second one. Everything happens in one transaction: an error leaves the book as
//! it was, and a dry run rolls back after counting.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::{Result, Store};
use crate::interchange::{ContactRecord, Place};
use crate::phone::{PhoneNumber, Region};
use crate::time_fmt::{now, to_millis};

/// How often the progress callback hears from a running import.
const PROGRESS_EVERY: usize = 1000;

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

/// A contact's fields as far as merging needs them.
struct Existing {
    name: String,
    company: String,
    notes: String,
    blocked: bool,
    numbers: Vec<String>,
}

impl Store {
    /// Imports `records` in one transaction; `progress(done, total)` hears every thousand.
    #[tracing::instrument(skip_all, fields(records = records.len(), dry_run), err)]
    pub fn import(
        &self,
        records: &[ContactRecord],
        region: Region,
        dry_run: bool,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<ImportReport> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let report = import_in(&tx, records, region, &mut progress)?;
            if dry_run {
                tx.rollback()?;
            } else {
                tx.commit()?;
            }
            Ok(ImportReport { dry_run, ..report })
        })
    }
}

fn import_in(
    conn: &Connection,
    records: &[ContactRecord],
    region: Region,
    progress: &mut impl FnMut(usize, usize),
) -> Result<ImportReport> {
    let mut report = ImportReport {
        records: records.len(),
        ..ImportReport::default()
    };
    // Every known number, so merging is a hash lookup rather than a query per number.
    let mut owners: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt =
            conn.prepare("SELECT e164, contact_id FROM contact_numbers ORDER BY contact_id")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (e164, id) = row?;
            owners.entry(e164).or_insert(id);
        }
    }
    let at = to_millis(now());
    let mut insert_contact = conn.prepare_cached(
        "INSERT INTO contacts (name, company, notes, blocked, search, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?;
    let mut insert_number = conn.prepare_cached(
        "INSERT INTO contact_numbers (contact_id, position, label, typed, e164, switchboard)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut update_contact = conn.prepare_cached(
        "UPDATE contacts SET name = ?2, company = ?3, notes = ?4, blocked = ?5, search = ?6,
         updated_at = ?7 WHERE id = ?1",
    )?;

    for (done, record) in records.iter().enumerate() {
        if done % PROGRESS_EVERY == 0 {
            progress(done, records.len());
        }
        let mut numbers: Vec<(PhoneNumber, &crate::interchange::RecordNumber)> = Vec::new();
        for number in &record.numbers {
            if number.number.trim().is_empty() {
                continue;
            }
            match PhoneNumber::parse(&number.number, region) {
                Ok(parsed) if numbers.iter().all(|(n, _)| n != &parsed) => {
                    numbers.push((parsed, number))
                }
                Ok(_) => {} // the same number twice in one record
                Err(e) => report.skipped.push(Skipped {
                    place: record.place,
                    reason: format!("number {:?} left out: {e}", number.number),
                }),
            }
        }
        let name = record.name.trim();
        if name.is_empty() && numbers.is_empty() {
            report.skipped.push(Skipped {
                place: record.place,
                reason: "no name and no usable number".into(),
            });
            continue;
        }
        let owner = numbers
            .iter()
            .find_map(|(n, _)| owners.get(n.e164()).copied());
        match owner {
            None => {
                // Without a name, the company or the first number names the contact.
                let name = if !name.is_empty() {
                    name.to_string()
                } else if !record.company.trim().is_empty() {
                    record.company.trim().to_string()
                } else {
                    numbers
                        .first()
                        .map(|(n, _)| n.display(region))
                        .unwrap_or_default()
                };
                let company = record.company.trim();
                let search = format!("{name} {company}").to_lowercase();
                insert_contact.execute(params![
                    name,
                    company,
                    record.notes.trim(),
                    record.blocked,
                    search,
                    at
                ])?;
                let id = conn.last_insert_rowid();
                for (position, (number, source)) in numbers.iter().enumerate() {
                    insert_number.execute(params![
                        id,
                        position as i64,
                        source.label.trim(),
                        source.number.trim(),
                        number.e164(),
                        source.switchboard
                    ])?;
                    owners.insert(number.e164().to_string(), id);
                }
                report.created += 1;
            }
            Some(id) => {
                let mut existing = load(conn, id)?;
                let mut changed = false;
                let mut fill = |slot: &mut String, value: &str| {
                    if slot.trim().is_empty() && !value.trim().is_empty() {
                        *slot = value.trim().to_string();
                        changed = true;
                    }
                };
                fill(&mut existing.company, &record.company);
                fill(&mut existing.notes, &record.notes);
                // A contact named after its number (an earlier import without a name) gets the real name.
                if !name.is_empty()
                    && existing
                        .numbers
                        .iter()
                        .any(|e| is_number_name(&existing.name, e, region))
                {
                    existing.name = name.to_string();
                    changed = true;
                }
                if record.blocked && !existing.blocked {
                    existing.blocked = true;
                    changed = true;
                }
                for (number, source) in &numbers {
                    if existing.numbers.iter().any(|e| e == number.e164()) {
                        continue;
                    }
                    insert_number.execute(params![
                        id,
                        existing.numbers.len() as i64,
                        source.label.trim(),
                        source.number.trim(),
                        number.e164(),
                        source.switchboard
                    ])?;
                    existing.numbers.push(number.e164().to_string());
                    owners.entry(number.e164().to_string()).or_insert(id);
                    changed = true;
                }
                if changed {
                    let search = format!("{} {}", existing.name, existing.company).to_lowercase();
                    update_contact.execute(params![
                        id,
                        existing.name,
                        existing.company,
                        existing.notes,
                        existing.blocked,
                        search,
                        at
                    ])?;
                    report.updated += 1;
                } else {
                    report.unchanged += 1;
                }
            }
        }
    }
    progress(records.len(), records.len());
    Ok(report)
}

fn load(conn: &Connection, id: i64) -> Result<Existing> {
    let mut existing = conn
        .prepare_cached("SELECT name, company, notes, blocked FROM contacts WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(Existing {
                name: row.get(0)?,
                company: row.get(1)?,
                notes: row.get(2)?,
                blocked: row.get(3)?,
                numbers: Vec::new(),
            })
        })
        .optional()?
        .ok_or(super::StoreError::ContactNotFound(id))?;
    existing.numbers = conn
        .prepare_cached("SELECT e164 FROM contact_numbers WHERE contact_id = ?1 ORDER BY position")?
        .query_map([id], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(existing)
}

/// Whether `name` is just the number `e164` written out (as a blocked caller's contact is).
fn is_number_name(name: &str, e164: &str, region: Region) -> bool {
    PhoneNumber::parse(name, region).is_ok_and(|n| n.e164() == e164)
}
