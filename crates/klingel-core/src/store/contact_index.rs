//! The contact book's search index, in memory: what the search rule reads of every contact,
//! in list order, so a keystroke in the contacts view scans memory instead of the database.
//!
//! Each kind of text (name and company, what was typed for the numbers, the E.164 keys) sits
//! in one contiguous buffer, every contact's part ended by a NUL, so a query is one SIMD
//! substring scan per buffer (`memchr::memmem`) instead of a walk over 100,000 small strings.
//!
//! Built on the first search and rebuilt when contacts change: through this store (its
//! contact writes bump a generation) or through another connection (SQLite's
//! `data_version`). Pushes change no contact, so they never cost a rebuild.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use memchr::memmem;
use rusqlite::Connection;

use super::Result;
use crate::phone::Region;
use crate::search::Search;

/// Ends each contact's part of a column; no query matches across it.
const END: char = '\0';

/// One kind of text for every contact, in list order.
#[derive(Debug, Default)]
struct Column {
    text: String,
    /// Where each contact's part starts; one more entry for the end of the last.
    starts: Vec<usize>,
}

impl Column {
    /// Adds the next contact's part: `values`, each followed by a NUL.
    fn push<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        self.starts.push(self.text.len());
        for value in values {
            // A NUL inside a value would let a query match across two values.
            self.text.extend(value.chars().filter(|c| *c != END));
            self.text.push(END);
        }
    }

    fn finish(&mut self) {
        self.starts.push(self.text.len());
    }

    /// The part of contact `index`.
    fn part(&self, index: usize) -> &str {
        &self.text[self.starts[index]..self.starts[index + 1]]
    }

    /// The contacts whose part contains `needle`, in list order, each once.
    fn containing(&self, needle: &str, found: &mut Vec<usize>) {
        if needle.is_empty() || needle.contains(END) {
            return;
        }
        let finder = memmem::Finder::new(needle.as_bytes());
        let text = self.text.as_bytes();
        let (mut from, mut index) = (0, 0);
        while let Some(at) = finder.find(&text[from..]).map(|at| from + at) {
            // Hits come in text order: walk the starts forward instead of searching them.
            while self.starts[index + 1] <= at {
                index += 1;
            }
            found.push(index);
            // One hit per contact is enough: go on after its part.
            from = self.starts[index + 1];
            index += 1;
            if index + 1 >= self.starts.len() {
                break;
            }
        }
    }
}

/// The index and what it was built from.
#[derive(Debug)]
struct Built {
    data_version: i64,
    generation: u64,
    /// Every contact's id, ordered by name (ASCII case folded, as `COLLATE NOCASE`), then id.
    ids: Vec<i64>,
    /// Lower-cased "name company".
    words: Column,
    /// What was typed for each number, ASCII-lower-cased (as SQL's LIKE compares).
    typed: Column,
    /// Each number's E.164 key.
    keys: Column,
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
        let mut built = self.built.lock().unwrap_or_else(|p| p.into_inner());
        let data_version = super::data_version(conn)?;
        let generation = self.generation.load(Ordering::Acquire);
        let fresh = built
            .as_ref()
            .is_some_and(|b| b.data_version == data_version && b.generation == generation);
        if !fresh {
            *built = Some(load(conn, data_version, generation)?);
        }
        let Some(index) = built.as_ref() else {
            return Ok(Vec::new());
        };
        let mut found = Vec::new();
        // Every word: scan for the longest (the rarest, usually), check the others per hit.
        let mut words: Vec<&str> = search.words().iter().map(String::as_str).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        if let Some((first, rest)) = words.split_first() {
            let mut candidates = Vec::new();
            index.words.containing(first, &mut candidates);
            found.extend(candidates.into_iter().filter(|&i| {
                let part = index.words.part(i);
                rest.iter().all(|word| part.contains(word))
            }));
        }
        index
            .typed
            .containing(&query.to_ascii_lowercase(), &mut found);
        for digits in search.digits() {
            index.keys.containing(digits, &mut found);
        }
        found.sort_unstable();
        found.dedup();
        Ok(found.into_iter().map(|i| index.ids[i]).collect())
    }
}

/// Reads every contact's search text and numbers, in list order.
fn load(conn: &Connection, data_version: i64, generation: u64) -> Result<Built> {
    let mut contacts: Vec<(i64, String)> = conn
        .prepare("SELECT id, search FROM contacts ORDER BY name COLLATE NOCASE, id")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let position: std::collections::HashMap<i64, usize> = contacts
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut numbers: Vec<Vec<(String, String)>> = vec![Vec::new(); contacts.len()];
    let mut stmt = conn.prepare("SELECT contact_id, typed, e164 FROM contact_numbers")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(&i) = position.get(&row.get::<_, i64>(0)?) {
            let typed: String = row.get(1)?;
            numbers[i].push((typed.to_ascii_lowercase(), row.get(2)?));
        }
    }
    let mut built = Built {
        data_version,
        generation,
        ids: Vec::with_capacity(contacts.len()),
        words: Column::default(),
        typed: Column::default(),
        keys: Column::default(),
    };
    for ((id, text), numbers) in contacts.drain(..).zip(numbers) {
        built.ids.push(id);
        built.words.push([text.as_str()]);
        built
            .typed
            .push(numbers.iter().map(|(typed, _)| typed.as_str()));
        built.keys.push(numbers.iter().map(|(_, key)| key.as_str()));
    }
    built.words.finish();
    built.typed.finish();
    built.keys.finish();
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::Column;

    #[test]
    fn a_column_finds_each_contact_once_and_never_across_two() {
        let mut column = Column::default();
        column.push(["anna krüger acme"]);
        column.push(["bernd", "krüger"]);
        column.push(["ende"]);
        column.finish();
        let found = |needle: &str| {
            let mut found = Vec::new();
            column.containing(needle, &mut found);
            found
        };
        assert_eq!(found("krüger"), [0, 1]);
        assert_eq!(found("ü"), [0, 1], "two hits in one contact count once");
        assert_eq!(
            found("acmebernd"),
            Vec::<usize>::new(),
            "parts do not run together"
        );
        assert_eq!(found("dkrüger"), Vec::<usize>::new(), "nor do values");
        assert_eq!(found("ende"), [2]);
        assert_eq!(column.part(1), "bernd\0krüger\0");
    }
}
