//! The generated contact book, and what the harness reads back from a session.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use klingel_core::domain::CallFilter;
use klingel_core::interchange::Format;
use klingel_core::Session;

/// Contacts per imported file: a million vCards at once would hold ~200 MB of text.
const CHUNK: usize = 100_000;

/// Imports `count` generated contacts, each with an office number `+49 211 1xxxxxx` (the
/// number pushes from caller `n` carry) and a mobile number.
pub fn fill(session: &Session, count: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("book.vcf");
    let mut first = 0;
    while first < count {
        let last = (first + CHUNK).min(count);
        std::fs::write(&path, cards(first..last))?;
        let file = session.read_contacts_file(&path, Some(Format::Vcard), &[])?;
        let report = session.import_contacts(&file.records, false, |_, _| {})?;
        anyhow::ensure!(
            report.created == last - first,
            "expected {} new contacts, the import created {}",
            last - first,
            report.created
        );
        first = last;
    }
    Ok(())
}

fn cards(range: std::ops::Range<usize>) -> String {
    // Names people can tell apart in a list: a given name and a surname from short lists.
    const GIVEN: [&str; 6] = ["Lena", "Tobias", "Aylin", "Marek", "Ines", "Karl"];
    const FAMILY: [&str; 6] = ["Hoffmann", "Kaya", "Lindqvist", "Brandt", "Okafor", "Vogel"];
    let mut text = String::with_capacity(range.len() * 200);
    for i in range {
        let (first, last) = (GIVEN[i % 6], FAMILY[(i / 6) % 6]);
        let _ = write!(
            text,
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:{last};{first};;;\r\nFN:{first} {last} {i}\r\n\
             ORG:Firma {i} GmbH\r\nTEL;TYPE=WORK:+49 211 {:07}\r\nTEL;TYPE=CELL:+49 171 {:07}\r\n\
             END:VCARD\r\n",
            1_000_000 + i,
            1_000_000 + i
        );
    }
    text
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
