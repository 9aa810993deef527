//! The contact book's search index, in memory: what the search rule reads of every contact,
//! in list order, so a keystroke in the contacts view scans memory instead of the database.
//!
//! Built on the first search and rebuilt when contacts change: through this store (its
//! contact writes bump a generation) or through another connection (SQLite's
//! `data_version`). Pushes change no contact, so they never cost a rebuild.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::Result;
use crate::phone::Region;
use crate::search::Search;

/// One contact as the search rule sees it.
#[derive(Debug)]
struct Entry {
    id: i64,
    /// Lower-cased "name company".
    text: String,
    /// What was typed for each number, ASCII-lower-cased (as SQL's LIKE compares).
    typed: Vec<String>,
    /// Each number's E.164 key.
    e164: Vec<String>,
}

/// The index and what it was built from.
#[derive(Debug)]
struct Built {
    data_version: i64,
    generation: u64,
    /// Every contact, ordered by name (ASCII case folded, as `COLLATE NOCASE`), then id.
    entries: Vec<Entry>,
}

/// A store's contact search index; clones share it.
#[derive(Debug, Clone, Default)]
pub(crate) struct ContactIndex {
    built: Arc<Mutex<Option<Built>>>,
    generation: Arc<AtomicU64>,
}

impl ContactIndex {
    /// Marks the index stale: this store changed a contact.
    pub(crate) fn contacts_changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The ids of every contact `query` finds by the one search rule ([`crate::search`]):
    /// every word in name or company, or the query in what was typed for one of their
    /// numbers, or the query's number in one of theirs; in list order.
    pub(crate) fn matching(
        &self,
        conn: &Connection,
        query: &str,
        region: Region,
    ) -> Result<Vec<i64>> {
        let Some(search) = Search::new(query, region) else {
            return Ok(Vec::new());
        };
        let typed_query = query.to_ascii_lowercase();
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        let data_version: i64 = conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        let generation = self.generation.load(Ordering::Acquire);
        let fresh = built
            .as_ref()
            .is_some_and(|b| b.data_version == data_version && b.generation == generation);
        if !fresh {
            *built = Some(Built {
                data_version,
                generation,
                entries: load(conn)?,
            });
        }
        let entries = built.as_ref().map_or(&[][..], |b| b.entries.as_slice());
        Ok(entries
            .iter()
            .filter(|entry| {
                search.matches_words(&[&entry.text])
                    || entry.typed.iter().any(|t| t.contains(&typed_query))
                    || entry.e164.iter().any(|key| search.matches_number(key))
            })
            .map(|entry| entry.id)
            .collect())
    }
}

/// Reads every contact's search text and numbers, in list order.
fn load(conn: &Connection) -> Result<Vec<Entry>> {
    let mut entries: Vec<Entry> = conn
        .prepare("SELECT id, search FROM contacts ORDER BY name COLLATE NOCASE, id")?
        .query_map([], |row| {
            Ok(Entry {
                id: row.get(0)?,
                text: row.get(1)?,
                typed: Vec::new(),
                e164: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let position: std::collections::HashMap<i64, usize> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| (entry.id, i))
        .collect();
    let mut numbers = conn.prepare("SELECT contact_id, typed, e164 FROM contact_numbers")?;
    let mut rows = numbers.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(&i) = position.get(&row.get::<_, i64>(0)?) {
            let typed: String = row.get(1)?;
            entries[i].typed.push(typed.to_ascii_lowercase());
            entries[i].e164.push(row.get(2)?);
        }
    }
    Ok(entries)
}
