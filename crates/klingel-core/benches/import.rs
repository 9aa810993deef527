//! How fast 100,000 vCards import: `cargo bench -p klingel-core --bench import`.
//!
//! Prints the time to read the file and to import it (parse numbers, merge, write in one
//! transaction), and as a baseline in the same run the time SQLite takes for plain prepared
//! INSERTs of the same contacts and numbers into the same schema — the floor any import pays.
//! The same INSERTs once more without the office hub's change-log triggers show what the
//! change log costs per row, and are the import's own floor: it suspends those triggers and
//! writes the log in bulk.

use std::fmt::Write as _;
mod support;

use std::time::Duration;

use support::best_of;

use klingel_core::interchange;
use klingel_core::{Region, Store};

const CARDS: usize = 100_000;

fn cards() -> String {
    let mut text = String::with_capacity(CARDS * 220);
    for i in 0..CARDS {
        let (f, l) = support::person(i);
        let _ = write!(
            text,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{l};{f};;;\r\nFN:{f} {l} {i}\r\nORG:Firma {i} GmbH;Vertrieb\r\n\
             TEL;TYPE=WORK,VOICE:0211 {:07}\r\nTEL;TYPE=CELL:+49 171 {:07}\r\nNOTE:Kunde seit 20{:02}\\, Rückruf\r\nEND:VCARD\r\n",
            1_000_000 + i,
            2_000_000 + i,
            i % 25
        );
    }
    text
}

fn main() {
    let text = cards();
    let bytes = text.as_bytes();
    println!("{CARDS} vCards, {:.1} MB", bytes.len() as f64 / 1e6);

    let (read, file) = best_of(3, || {
        interchange::read_file(bytes, None, &[]).expect("read")
    });
    assert_eq!(file.records.len(), CARDS);

    let (import, report) = best_of(3, || {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("bench.sqlite3")).expect("store");
        store
            .import(&file.records, Region::DE, false, |_, _| {})
            .expect("import")
    });
    assert_eq!(report.created, CARDS, "every card is a new contact");

    let plain_inserts = |change_log: bool| {
        best_of(3, || {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = Store::open(&dir.path().join("baseline.sqlite3")).expect("store");
            store
                .with(|conn| {
                    if !change_log {
                        let triggers: Vec<String> = conn
                            .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")?
                            .query_map([], |row| row.get(0))?
                            .collect::<rusqlite::Result<_>>()?;
                        for trigger in triggers {
                            conn.execute_batch(&format!("DROP TRIGGER {trigger};"))?;
                        }
                    }
                    let tx = conn.transaction()?;
                    {
                        let mut contact = tx.prepare(
                            "INSERT INTO contacts (name, company, notes, blocked, search, created_at, updated_at)
                             VALUES (?1, ?2, ?3, 0, ?4, 0, 0)",
                        )?;
                        let mut number = tx.prepare(
                            "INSERT INTO contact_numbers (contact_id, position, label, typed, e164, switchboard)
                             VALUES (?1, ?2, ?3, ?4, ?4, 0)",
                        )?;
                        for record in &file.records {
                            contact.execute((&record.name, &record.company, &record.notes, &record.name))?;
                            let id = tx.last_insert_rowid();
                            for (i, n) in record.numbers.iter().enumerate() {
                                number.execute((id, i as i64, &n.label, &n.number))?;
                            }
                        }
                    }
                    tx.commit()?;
                    Ok(())
                })
                .expect("baseline");
        })
        .0
    };
    let baseline = plain_inserts(true);
    let without_log = plain_inserts(false);

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("read the file:        {:8.0} ms", ms(read));
    println!("import into the book: {:8.0} ms", ms(import));
    println!("read + import:        {:8.0} ms", ms(read + import));
    println!(
        "baseline (plain INSERTs of the same rows, one transaction): {:8.0} ms",
        ms(baseline)
    );
    println!(
        "the same without the change log's triggers:               {:8.0} ms",
        ms(without_log)
    );
    println!(
        "read + import = {:.2} x baseline; import alone = {:.2} x baseline; \
         the change log = {:.2} x the INSERTs without it",
        (read + import).as_secs_f64() / baseline.as_secs_f64(),
        import.as_secs_f64() / baseline.as_secs_f64(),
        baseline.as_secs_f64() / without_log.as_secs_f64()
    );
    // The import suspends the change-log triggers and logs in bulk, so the INSERTs without
    // them are its floor.
    println!(
        "read + import = {:.2} x the INSERTs without the change log; import alone = {:.2} x",
        (read + import).as_secs_f64() / without_log.as_secs_f64(),
        import.as_secs_f64() / without_log.as_secs_f64()
    );
}
