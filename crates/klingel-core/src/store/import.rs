//! Importing contacts read from a file: merge by number, one transaction, a report.
//!
//! A record whose number already belongs to a contact (in the book, or earlier in the same
//! file) updates that contact — missing numbers and empty fields are filled in — instead of
//! creating a second one. Everything happens in one transaction: an error leaves the book as
//! it was, and a dry run rolls back after counting.

use std::collections::HashMap;

use rusqlite::{params, CachedStatement, Connection, OptionalExtension};

use super::{write_transaction, Result, Store};
use crate::domain::{ImportReport, Skipped};
use crate::interchange::{ContactRecord, RecordNumber};
use crate::phone::{PhoneNumber, Region};
use crate::time_fmt::{now, to_millis};

/// How often the progress callback hears from a running import.
const PROGRESS_EVERY: usize = 1000;

/// A contact's fields as far as merging needs them.
struct Existing {
    name: String,
    company: String,
    notes: String,
    blocked: bool,
    numbers: Vec<String>,
}

impl Existing {
    /// Fills empty company and notes, replaces a name that is only a number, and blocks when
    /// the record says so; returns whether anything changed.
    fn fill_in(&mut self, record: &ContactRecord, name: &str, region: Region) -> bool {
        let mut changed = false;
        let mut fill = |slot: &mut String, value: &str| {
            if slot.trim().is_empty() && !value.trim().is_empty() {
                *slot = value.trim().to_string();
                changed = true;
            }
        };
        fill(&mut self.company, &record.company);
        fill(&mut self.notes, &record.notes);
        // A contact named after its number (an earlier import without a name) gets the real name.
        if !name.is_empty()
            && self
                .numbers
                .iter()
                .any(|e| is_number_name(&self.name, e, region))
        {
            self.name = name.to_string();
            changed = true;
        }
        if record.blocked && !self.blocked {
            self.blocked = true;
            changed = true;
        }
        changed
    }
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
            let tx = write_transaction(conn)?;
            let report = import_in(&tx, records, region, &mut progress)?;
            if dry_run {
                tx.rollback()?;
            } else {
                tx.commit()?;
                self.contact_index.contacts_changed();
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
    let mut book = Book::open(conn)?;
    for (done, record) in records.iter().enumerate() {
        if done % PROGRESS_EVERY == 0 {
            progress(done, records.len());
        }
        match book.import_record(record, region, &mut report.skipped)? {
            Outcome::Created => report.created += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Skipped => {}
        }
    }
    progress(records.len(), records.len());
    Ok(report)
}

/// What importing one record did.
enum Outcome {
    Created,
    Updated,
    Unchanged,
    Skipped,
}

/// A number from the file that parsed, and the record's entry it came from.
type Usable<'r> = (PhoneNumber, &'r RecordNumber);

/// The contact book during an import: who owns which number, and the statements that write.
struct Book<'c> {
    conn: &'c Connection,
    /// Every known number's contact, so merging is a hash lookup rather than a query per number.
    owners: HashMap<String, i64>,
    insert_contact: CachedStatement<'c>,
    insert_number: CachedStatement<'c>,
    update_contact: CachedStatement<'c>,
    /// The time stamp every contact created or updated gets.
    at: i64,
}

impl<'c> Book<'c> {
    fn open(conn: &'c Connection) -> Result<Self> {
        let owners = known_numbers(conn)?;
        Ok(Self {
            conn,
            owners,
            insert_contact: conn.prepare_cached(
                "INSERT INTO contacts (name, company, notes, blocked, search, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            )?,
            insert_number: conn.prepare_cached(
                "INSERT INTO contact_numbers (contact_id, position, label, typed, e164, switchboard)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            update_contact: conn.prepare_cached(
                "UPDATE contacts SET name = ?2, company = ?3, notes = ?4, blocked = ?5, search = ?6,
                 updated_at = ?7 WHERE id = ?1",
            )?,
            at: to_millis(now()),
        })
    }

    /// Creates a contact for `record`, or merges it into the contact owning one of its numbers.
    fn import_record(
        &mut self,
        record: &ContactRecord,
        region: Region,
        skipped: &mut Vec<Skipped>,
    ) -> Result<Outcome> {
        let numbers = usable_numbers(record, region, skipped);
        let name = record.name.trim();
        // Klingel knows people by their numbers: a record without one names no caller.
        if numbers.is_empty() {
            let reason = if name.is_empty() {
                "no name and no usable number".to_string()
            } else {
                format!("{name:?} has no usable number")
            };
            skipped.push(Skipped {
                place: record.place,
                reason,
            });
            return Ok(Outcome::Skipped);
        }
        let owner = numbers
            .iter()
            .find_map(|(n, _)| self.owners.get(n.e164()).copied());
        match owner {
            None => {
                self.create(record, name, &numbers, region)?;
                Ok(Outcome::Created)
            }
            Some(id) => self.merge(id, record, name, &numbers, region, skipped),
        }
    }

    fn create(
        &mut self,
        record: &ContactRecord,
        name: &str,
        numbers: &[Usable<'_>],
        region: Region,
    ) -> Result<()> {
        let name = new_contact_name(record, name, numbers, region);
        let company = record.company.trim();
        let search = format!("{name} {company}").to_lowercase();
        self.insert_contact.execute(params![
            name,
            company,
            record.notes.trim(),
            record.blocked,
            search,
            self.at
        ])?;
        let id = self.conn.last_insert_rowid();
        for (position, (number, source)) in numbers.iter().enumerate() {
            self.add_number(id, position, number, source)?;
            self.owners.insert(number.e164().to_string(), id);
        }
        Ok(())
    }

    /// Fills in what contact `id` lacks from `record` and adds its new numbers.
    fn merge(
        &mut self,
        id: i64,
        record: &ContactRecord,
        name: &str,
        numbers: &[Usable<'_>],
        region: Region,
        skipped: &mut Vec<Skipped>,
    ) -> Result<Outcome> {
        let mut existing = load(self.conn, id)?;
        let mut changed = existing.fill_in(record, name, region);
        for (number, source) in numbers {
            if existing.numbers.iter().any(|e| e == number.e164()) {
                continue;
            }
            // One number, one contact: a number another contact has stays with it.
            if self
                .owners
                .get(number.e164())
                .is_some_and(|owner| *owner != id)
            {
                skipped.push(Skipped {
                    place: record.place,
                    reason: format!(
                        "number {:?} left out: it belongs to another contact",
                        source.number.trim()
                    ),
                });
                continue;
            }
            self.add_number(id, existing.numbers.len(), number, source)?;
            existing.numbers.push(number.e164().to_string());
            self.owners.entry(number.e164().to_string()).or_insert(id);
            changed = true;
        }
        if !changed {
            return Ok(Outcome::Unchanged);
        }
        let search = format!("{} {}", existing.name, existing.company).to_lowercase();
        self.update_contact.execute(params![
            id,
            existing.name,
            existing.company,
            existing.notes,
            existing.blocked,
            search,
            self.at
        ])?;
        Ok(Outcome::Updated)
    }

    fn add_number(
        &mut self,
        id: i64,
        position: usize,
        number: &PhoneNumber,
        source: &RecordNumber,
    ) -> Result<()> {
        self.insert_number.execute(params![
            id,
            position as i64,
            crate::labels::normalize(&source.label),
            source.number.trim(),
            number.e164(),
            source.switchboard
        ])?;
        Ok(())
    }
}

/// Every number in the book and its contact (the first, should two share one).
fn known_numbers(conn: &Connection) -> Result<HashMap<String, i64>> {
    let mut owners = HashMap::new();
    let mut stmt =
        conn.prepare("SELECT e164, contact_id FROM contact_numbers ORDER BY contact_id")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (e164, id) = row?;
        owners.entry(e164).or_insert(id);
    }
    Ok(owners)
}

/// The record's numbers that parse, each once; the others are reported in `skipped`.
fn usable_numbers<'r>(
    record: &'r ContactRecord,
    region: Region,
    skipped: &mut Vec<Skipped>,
) -> Vec<Usable<'r>> {
    let mut numbers: Vec<Usable<'r>> = Vec::new();
    for number in &record.numbers {
        if number.number.trim().is_empty() {
            continue;
        }
        match PhoneNumber::parse(&number.number, region) {
            Ok(parsed) if numbers.iter().all(|(n, _)| n != &parsed) => {
                numbers.push((parsed, number))
            }
            Ok(_) => {} // the same number twice in one record
            Err(e) => skipped.push(Skipped {
                place: record.place,
                reason: format!("number {:?} left out: {e}", number.number),
            }),
        }
    }
    numbers
}

/// A new contact's name: the record's, else its company, else its first number written out.
fn new_contact_name(
    record: &ContactRecord,
    name: &str,
    numbers: &[Usable<'_>],
    region: Region,
) -> String {
    if !name.is_empty() {
        name.to_string()
    } else if !record.company.trim().is_empty() {
        record.company.trim().to_string()
    } else {
        numbers
            .first()
            .map(|(n, _)| n.display(region))
            .unwrap_or_default()
    }
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
