//! The generated contact book, and what the harness reads back from a session.

use std::io::Write as _;
use std::time::{Duration, Instant};

use klingel_core::domain::CallFilter;
use klingel_core::interchange::Format;
use klingel_core::{Paths, Session, Settings};

/// What importing the generated book took.
pub struct Imported {
    /// Wall time of the import (the file already written).
    pub elapsed: Duration,
    /// The process's resident memory just before, and its peak during the import, in bytes.
    pub rss_before: Option<u64>,
    /// See `rss_before`.
    pub rss_peak: Option<u64>,
}

/// Imports `count` generated contacts, each with an office number `+49 211 1xxxxxx` (the
/// number pushes from caller `n` carry) and a mobile number, from one vCard file, the way
/// `klingeld contacts import` does.
pub fn fill(session: &Session, count: usize) -> anyhow::Result<Imported> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("book.vcf");
    write_cards(&path, count)?;
    let rss_before = memory::reset_peak();
    let started = Instant::now();
    let (_, report) =
        session.import_contacts_file(&path, Some(Format::Vcard), &[], false, |_| {})?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        report.created == count,
        "expected {count} new contacts, the import created {}",
        report.created
    );
    Ok(Imported {
        elapsed,
        rss_before,
        rss_peak: memory::peak(),
    })
}

/// The import's floor: the same contacts and numbers as plain prepared INSERTs in one
/// transaction, into the same schema without the change-log triggers, numbers already in
/// E.164. No parsing, no merging, no change log: what SQLite alone takes to store the book.
pub fn insert_floor(count: usize) -> anyhow::Result<Duration> {
    let dir = tempfile::tempdir()?;
    let paths = Paths {
        config_file: dir.path().join("klingel.toml"),
        data_dir: dir.path().join("data"),
    };
    // The session creates the schema; the rows then go in over a connection of our own, set
    // up as the store sets up its own.
    drop(Session::open(paths.clone(), Settings::default())?);
    let mut conn = rusqlite::Connection::open(paths.database())?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768;",
    )?;
    let started = Instant::now();
    {
        let triggers: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'events_%'",
            )?
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let tx = conn.transaction()?;
        for trigger in triggers {
            tx.execute_batch(&format!("DROP TRIGGER {trigger};"))?;
        }
        {
            let mut contact = tx.prepare(
                "INSERT INTO contacts (name, company, notes, blocked, search, created_at, updated_at)
                 VALUES (?1, ?2, '', 0, ?3, 0, 0)",
            )?;
            let mut number = tx.prepare(
                "INSERT INTO contact_numbers (contact_id, position, label, typed, e164, switchboard)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0)",
            )?;
            for i in 0..count {
                let (first, last) = person(i);
                let name = format!("{first} {last} {i}");
                let company = format!("Firma {i} GmbH");
                let search = format!("{name} {company}").to_lowercase();
                contact.execute(rusqlite::params![name, company, search])?;
                let id = tx.last_insert_rowid();
                for (position, (label, area)) in
                    [("work", "211"), ("cell", "171")].iter().enumerate()
                {
                    let digits = 1_000_000 + i;
                    number.execute(rusqlite::params![
                        id,
                        position as i64,
                        label,
                        format!("+49 {area} {digits:07}"),
                        format!("+49{area}{digits:07}")
                    ])?;
                }
            }
        }
        tx.commit()?;
    }
    Ok(started.elapsed())
}

/// Writes the generated book as one vCard file, a card at a time.
fn write_cards(path: &std::path::Path, count: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..count {
        let (first, last) = person(i);
        write!(
            out,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first};;;\r\nFN:{first} {last} {i}\r\n\
             ORG:Firma {i} GmbH\r\nTEL;TYPE=WORK:+49 211 {:07}\r\nTEL;TYPE=CELL:+49 171 {:07}\r\n\
             END:VCARD\r\n",
            1_000_000 + i,
            1_000_000 + i
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Names people can tell apart in a list: a given name and a surname from short lists.
fn person(i: usize) -> (&'static str, &'static str) {
    const GIVEN: [&str; 6] = ["Lena", "Tobias", "Aylin", "Marek", "Ines", "Karl"];
    const FAMILY: [&str; 6] = ["Hoffmann", "Kaya", "Lindqvist", "Brandt", "Okafor", "Vogel"];
    (GIVEN[i % 6], FAMILY[(i / 6) % 6])
}

/// The process's own memory, from `/proc/self` (Linux).
mod memory {
    /// Resets the peak to what is resident now, and returns that in bytes.
    pub fn reset_peak() -> Option<u64> {
        // "5" resets VmHWM (Linux 4.0 and later).
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
        field("VmRSS:")
    }

    /// The peak resident memory since the last reset, in bytes.
    pub fn peak() -> Option<u64> {
        field("VmHWM:")
    }

    fn field(name: &str) -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|line| line.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    }
}

/// How many calls the log holds.
pub fn calls_stored(session: &Session) -> anyhow::Result<i64> {
    let page = session.calls_page(&CallFilter {
        limit: Some(1),
        ..CallFilter::default()
    })?;
    page.total
        .ok_or_else(|| anyhow::anyhow!("an unfiltered page counts its calls"))
}

/// The mean time of one lookup (hits, then misses) in each book, straight through the
/// session (no HTTP, no storage).
pub fn lookup_times(
    big: &Session,
    small: &Session,
    big_size: usize,
    small_size: usize,
) -> anyhow::Result<Vec<(&'static str, Duration, Duration)>> {
    const LOOKUPS: usize = 5_000;
    let time = |session: &Session, size: usize, known: bool| -> anyhow::Result<Duration> {
        let started = Instant::now();
        for n in 0..LOOKUPS {
            let number = format!("+{}", crate::pushes::caller(n * 7919, known, size));
            let (_, found) = session.lookup(&number)?;
            anyhow::ensure!(found.is_some() == known, "lookup of {number}: {found:?}");
        }
        Ok(started.elapsed() / LOOKUPS as u32)
    };
    let mut figures = Vec::new();
    for (kind, known) in [("hit", true), ("miss", false)] {
        // Both books twice, interleaved; the faster of each pair counts.
        let big_time = time(big, big_size, known)?.min(time(big, big_size, known)?);
        let small_time = time(small, small_size, known)?.min(time(small, small_size, known)?);
        figures.push((kind, big_time, small_time));
    }
    Ok(figures)
}

/// The CPU and core count, for the report.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{model}, {cores} cores")
}
