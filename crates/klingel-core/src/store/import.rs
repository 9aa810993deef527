//! Importing contacts read from a file: merge by number, one transaction, a report.
//!
//! A record whose number already belongs to a contact (in the book, or earlier in the same
//! file) updates that contact — missing numbers and empty fields are filled in — instead of
//! creating a second one. Everything happens in one transaction: an error leaves the book as
//! it was, and a dry run rolls back after counting.

use std::borrow::Borrow;
use std::convert::Infallible;

use rusqlite::{params, CachedStatement, Connection, OptionalExtension};

use super::events::{ImportLog, IMPORT_SUSPENDS};
use super::number_owners::{NumberOwners, Owner};
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

    /// Name, company and block: what the contact's calls show.
    fn label(&self) -> (&str, &str, bool) {
        (&self.name, &self.company, self.blocked)
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
        let total = records.len();
        let report = self.import_from(
            records.iter().map(Ok::<_, Infallible>),
            region,
            dry_run,
            |done| progress(done, total),
        )?;
        Ok(report.unwrap_or_else(|never| match never {}))
    }

    /// Imports records as a reader yields them, in one transaction, so a file of any size
    /// is never held whole. A record that cannot be read (`Err`) ends the import: nothing is
    /// written and the error comes back inside `Ok`. `progress(done)` hears every thousand.
    #[tracing::instrument(skip_all, fields(dry_run), err)]
    pub fn import_from<R: Borrow<ContactRecord>, E>(
        &self,
        records: impl IntoIterator<Item = std::result::Result<R, E>>,
        region: Region,
        dry_run: bool,
        mut progress: impl FnMut(usize),
    ) -> Result<std::result::Result<ImportReport, E>> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let suspended = SuspendedTriggers::suspend(&tx)?;
            let mut book = Book::open(&tx)?;
            let mut report = ImportReport::default();
            for record in records {
                if report.records % PROGRESS_EVERY == 0 {
                    progress(report.records);
                }
                let record = match record {
                    Ok(record) => record,
                    // Dropping the transaction rolls it back, triggers included.
                    Err(e) => return Ok(Err(e)),
                };
                report.records += 1;
                match book.import_record(record.borrow(), region, &mut report.skipped)? {
                    Outcome::Created => report.created += 1,
                    Outcome::Updated => report.updated += 1,
                    Outcome::Unchanged => report.unchanged += 1,
                    Outcome::Skipped => {}
                }
            }
            progress(report.records);
            if dry_run {
                drop(book);
                tx.rollback()?;
            } else {
                if !suspended.is_empty() {
                    book.log_changes()?;
                }
                drop(book);
                suspended.restore(&tx)?;
                tx.commit()?;
                self.contacts_changed();
            }
            Ok(Ok(ImportReport { dry_run, ..report }))
        })
    }
}

/// The change-log triggers, dropped inside an import's transaction and created again from
/// their own SQL before it commits. Nobody else sees the schema without them: other writers
/// wait for this transaction, readers see the snapshot before it, and a rollback (a dry run,
/// an error, a crash) brings them back by itself.
struct SuspendedTriggers {
    sql: Vec<String>,
}

impl SuspendedTriggers {
    fn suspend(conn: &Connection) -> Result<Self> {
        let mut sql = Vec::new();
        for name in IMPORT_SUSPENDS {
            let found: Option<String> = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    [name],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(text) = found {
                conn.execute_batch(&format!("DROP TRIGGER {name};"))?;
                sql.push(text);
            }
        }
        Ok(Self { sql })
    }

    /// No change log to keep (a database from before the office hub).
    fn is_empty(&self) -> bool {
        self.sql.is_empty()
    }

    fn restore(self, conn: &Connection) -> Result<()> {
        for text in self.sql {
            conn.execute_batch(&text)?;
        }
        Ok(())
    }
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
    owners: NumberOwners,
    /// The largest contact id before the import: every id above it is a contact it created.
    last_existing: i64,
    /// Contacts from before the import that it changed, and those whose calls read differently
    /// now (name, company or block changed), for the change log.
    updated: Vec<i64>,
    relabelled: Vec<i64>,
    insert_contact: CachedStatement<'c>,
    insert_number: CachedStatement<'c>,
    update_contact: CachedStatement<'c>,
    /// The time stamp every contact created or updated gets.
    at: i64,
}

impl<'c> Book<'c> {
    fn open(conn: &'c Connection) -> Result<Self> {
        let owners = known_numbers(conn)?;
        let last_existing =
            conn.query_row("SELECT COALESCE(MAX(id), 0) FROM contacts", [], |row| {
                row.get(0)
            })?;
        Ok(Self {
            conn,
            owners,
            last_existing,
            updated: Vec::new(),
            relabelled: Vec::new(),
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
            .find_map(|(n, _)| self.owners.get(n.e164()).map(|owner| owner.id));
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
        let before = {
            let (name, company, blocked) = existing.label();
            (name.to_string(), company.to_string(), blocked)
        };
        let mut changed = existing.fill_in(record, name, region);
        for (number, source) in numbers {
            if existing.numbers.iter().any(|e| e == number.e164()) {
                continue;
            }
            // One number, one contact: a number another contact has stays with it.
            if self
                .owners
                .get(number.e164())
                .is_some_and(|owner| owner.id != id)
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
            changed = true;
        }
        if !changed {
            return Ok(Outcome::Unchanged);
        }
        if id <= self.last_existing {
            self.updated.push(id);
            let (name, company, blocked) = existing.label();
            if (name, company, blocked) != (before.0.as_str(), before.1.as_str(), before.2) {
                self.relabelled.push(id);
            }
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
        self.owners.insert_if_absent(
            number.e164(),
            Owner {
                id,
                added: true,
                switchboard: source.switchboard,
            },
        );
        Ok(())
    }

    /// Writes what the suspended change-log triggers would have written: one event per
    /// contact created or changed, and the calls to relabel from numbers that now have a name.
    fn log_changes(&mut self) -> Result<()> {
        let log = ImportLog::new(self.conn);
        log.contacts_created_after(self.last_existing)?;
        self.updated.sort_unstable();
        self.updated.dedup();
        for &id in &self.updated {
            log.contact_updated(id)?;
        }
        self.relabelled.sort_unstable();
        self.relabelled.dedup();
        for &id in &self.relabelled {
            log.contact_relabelled(id)?;
        }
        // The log has far fewer distinct callers than an import has numbers: match from its
        // side. A caller matches a number added here exactly, or by a switchboard's prefix.
        let mut matched = std::collections::BTreeSet::new();
        log.call_numbers(|caller| {
            if let Some(owner) = self.owners.get(caller).filter(|owner| owner.added) {
                matched.insert((caller.to_string(), owner.switchboard));
            }
            for end in (2..caller.len()).filter(|&end| caller.is_char_boundary(end)) {
                let prefix = &caller[..end];
                if let Some(owner) = self.owners.get(prefix) {
                    if owner.added && owner.switchboard {
                        matched.insert((prefix.to_string(), true));
                    }
                }
            }
        })?;
        for (e164, switchboard) in matched {
            log.number_added(&e164, switchboard)?;
        }
        Ok(())
    }
}

/// Every number in the book and its contact (the first, should two share one).
fn known_numbers(conn: &Connection) -> Result<NumberOwners> {
    let mut owners = NumberOwners::default();
    let mut stmt = conn
        .prepare("SELECT e164, contact_id, switchboard FROM contact_numbers ORDER BY contact_id")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let e164: String = row.get(0)?;
        owners.insert_if_absent(
            &e164,
            Owner {
                id: row.get(1)?,
                added: false,
                switchboard: row.get(2)?,
            },
        );
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

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::interchange::Place;
    use crate::store::events::{since, EntityKind, EventRow};
    use crate::store::test_support::{contact, temp_store as store};

    fn record(name: &str, company: &str, number: &str, switchboard: bool) -> ContactRecord {
        ContactRecord {
            place: Place::Row { line: 2 },
            name: name.into(),
            company: company.into(),
            notes: String::new(),
            numbers: vec![RecordNumber {
                label: String::new(),
                number: number.into(),
                switchboard,
            }],
            blocked: false,
        }
    }

    fn add(store: &Store, name: &str, number: &str) -> i64 {
        store
            .add_contact(&contact(name, number), Region::DE)
            .expect("add")
            .id
            .0
    }

    fn events(store: &Store) -> Vec<EventRow> {
        store
            .with(|conn| super::super::events::since(conn, 0, 1000))
            .expect("events")
    }

    fn triggers(store: &Store) -> Vec<String> {
        store
            .with(|conn| {
                Ok(conn
                    .prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")?
                    .query_map([], |row| row.get(0))?
                    .collect::<rusqlite::Result<_>>()?)
            })
            .expect("triggers")
    }

    /// Events after `before` of `kind`, by entity.
    fn moved(store: &Store, before: i64, kind: EntityKind) -> Vec<i64> {
        let mut moved: Vec<i64> = store
            .with(|conn| since(conn, before, 1000))
            .expect("events")
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.entity)
            .collect();
        moved.sort_unstable();
        moved
    }

    #[test]
    fn an_import_logs_what_the_triggers_would_have_logged() {
        let (_dir, store) = store();
        let erika = add(&store, "Erika", "0211 5550");
        // Named after its number, as an earlier import without a name leaves a contact.
        let bernd = add(&store, "+49 30 7770", "030 7770");
        let quiet = add(&store, "Quiet", "0211 9999");
        store
            .with(|conn| {
                for (id, remote) in [
                    (1, "+492115550"),  // Erika: her company is filled in
                    (2, "+49307770"),   // renamed from its number
                    (3, "+49301234"),   // a new contact's number
                    (4, "+498910012"),  // an extension of a new switchboard
                    (5, "+4940999"),    // nobody
                    (6, "+492119999"),  // Quiet, whom the import leaves alone
                ] {
                    conn.execute(
                        "INSERT INTO calls (id, state, direction, remote_e164, started_at, updated_at)
                         VALUES (?1, 'missed', 'in', ?2, ?1, ?1)",
                        params![id, remote],
                    )?;
                }
                Ok(())
            })
            .expect("calls");
        let before = events(&store).iter().map(|e| e.seq).max().expect("events");
        let schema = triggers(&store);

        let report = store
            .import(
                &[
                    record("Erika Muster", "Muster AG", "0211 5550", false),
                    record("Bernd", "", "030 7770", false),
                    record("Carla", "", "030 1234", false),
                    record("Dienst GmbH", "", "089 100", true),
                    record("Ewald", "", "0221 1", false),
                    record("Quiet", "", "0211 9999", false),
                ],
                Region::DE,
                false,
                |_, _| {},
            )
            .expect("import");
        assert_eq!(
            (report.created, report.updated, report.unchanged),
            (3, 2, 1)
        );
        assert_eq!(triggers(&store), schema, "the change log is back as it was");

        let created: Vec<i64> = (quiet + 1..=quiet + 3).collect();
        let mut contacts = vec![erika, bernd];
        contacts.extend(&created);
        assert_eq!(
            moved(&store, before, EntityKind::Contact),
            contacts,
            "each changed or new contact once; Quiet, unchanged, not"
        );
        assert_eq!(
            moved(&store, before, EntityKind::Call),
            [1, 2, 3, 4],
            "relabelled: calls from changed contacts, new numbers and a new switchboard's extensions"
        );
        let rows = events(&store);
        let unique: std::collections::HashSet<_> =
            rows.iter().map(|e| (e.kind, e.entity)).collect();
        assert_eq!(unique.len(), rows.len(), "still one row per entity");

        // The triggers work again for the next write.
        let later = add(&store, "Later", "0211 4242");
        assert_eq!(
            moved(&store, before, EntityKind::Contact).last(),
            Some(&later)
        );
    }

    #[test]
    fn a_dry_run_or_a_record_that_cannot_be_read_leaves_book_log_and_triggers_as_they_were() {
        let (_dir, store) = store();
        add(&store, "Erika", "0211 5550");
        let (log, schema) = (events(&store), triggers(&store));
        let count = |store: &Store| store.contacts(None, Region::DE).expect("contacts").len();

        let dry = store
            .import(
                &[record("Carla", "", "030 1234", false)],
                Region::DE,
                true,
                |_, _| {},
            )
            .expect("dry run");
        assert_eq!(dry.created, 1, "counted");

        let records = [
            Ok(record("Carla", "", "030 1234", false)),
            Err("card 2: cannot be read"),
            Ok(record("Never", "", "030 5678", false)),
        ];
        let failed = store
            .import_from(records, Region::DE, false, |_| {})
            .expect("the store itself is fine");
        assert_eq!(
            failed.expect_err("the read error"),
            "card 2: cannot be read"
        );

        assert_eq!(count(&store), 1, "nothing written");
        assert_eq!(events(&store), log);
        assert_eq!(triggers(&store), schema);
    }
}
