//! The change log the office hub's desks follow.
//!
//! Triggers append a row whenever a call or a contact changes, inside the transaction that
//! changes it, whichever process writes (the hub, `klingeld contacts add`, an import). A row
//! names the entity, not its content: the hub renders the entity's current state when it sends
//! the event, and an event always carries the full current state anyway.
//!
//! Compaction is built in: an entity keeps only its newest row, so a desk that was away replays
//! one event per changed entity. The row's `seq` doubles as the entity's version (`v`, the
//! contact's `ETag`): it grows with every change and never repeats. A deleted entity leaves a
//! tombstone; once tombstones older than the horizon are purged, `horizon_seq` moves past them,
//! and a cursor below it could miss a delete.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{json_list, Result};

/// Migration 5: the events log with its triggers, the hub's cursor state, desks, and the
/// missed-call to-do columns on calls. Built once from the trigger pieces below.
pub(crate) static V5: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    // Calls from a number, or (switchboard) from its extensions: one index range on
    // `calls_remote`, then the exact check.
    let calls_of = |row: &str| calls_of(&format!("{row}.e164"), &format!("{row}.switchboard"));
    // Whether any call could need relabelling: one index probe, so that adding contacts (an
    // import of thousands) costs nothing more while no call is from their numbers.
    let any_call = |row: &str| {
        format!(
            "EXISTS (SELECT 1 FROM calls WHERE remote_e164 >= {row}.e164 \
             AND remote_e164 < {row}.e164 || ':')"
        )
    };
    let triggers = [
        trigger(
            "call_insert",
            "INSERT ON calls",
            None,
            &touch("call", "NEW.id", 0),
        ),
        trigger(
            "call_update",
            "UPDATE ON calls",
            None,
            &touch("call", "NEW.id", 0),
        ),
        trigger(
            "call_delete",
            "DELETE ON calls",
            None,
            &touch("call", "OLD.id", 1),
        ),
        trigger(
            "contact_insert",
            "INSERT ON contacts",
            None,
            &touch("contact", "NEW.id", 0),
        ),
        trigger(
            "contact_update",
            "UPDATE ON contacts",
            None,
            &touch("contact", "NEW.id", 0),
        ),
        // A new name, company or block changes how the contact's recent calls read.
        trigger(
            "contact_relabel",
            "UPDATE ON contacts",
            Some(
                "OLD.name IS NOT NEW.name OR OLD.company IS NOT NEW.company \
                 OR OLD.blocked IS NOT NEW.blocked",
            ),
            &touch_calls(
                "remote_e164 IN (SELECT e164 FROM contact_numbers WHERE contact_id = NEW.id)",
            ),
        ),
        trigger(
            "contact_delete",
            "DELETE ON contacts",
            None,
            &touch("contact", "OLD.id", 1),
        ),
        // A number added to or taken from a contact relabels the recent calls from that
        // number. The contact's own event comes from its row: every write of its numbers also
        // writes the contact (store/contacts.rs, store/import.rs), in the same transaction.
        trigger(
            "number_insert_relabel",
            "INSERT ON contact_numbers",
            Some(&any_call("NEW")),
            &touch_calls(&calls_of("NEW")),
        ),
        trigger(
            "number_delete_relabel",
            "DELETE ON contact_numbers",
            Some(&any_call("OLD")),
            &touch_calls(&calls_of("OLD")),
        ),
        // Blocking or unblocking a number nobody knows changes how its calls read.
        trigger(
            "blocked_insert",
            "INSERT ON blocked_numbers",
            Some("EXISTS (SELECT 1 FROM calls WHERE remote_e164 = NEW.e164)"),
            &touch_calls("remote_e164 = NEW.e164"),
        ),
        trigger(
            "blocked_delete",
            "DELETE ON blocked_numbers",
            Some("EXISTS (SELECT 1 FROM calls WHERE remote_e164 = OLD.e164)"),
            &touch_calls("remote_e164 = OLD.e164"),
        ),
    ];
    format!("{V5_TABLES}\n{}", triggers.concat())
});

/// The current time in Unix milliseconds, in SQL.
const NOW_MS: &str = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

/// `CREATE TRIGGER events_<name> AFTER <on> [WHEN <when>] BEGIN <body> END;`
fn trigger(name: &str, on: &str, when: Option<&str>, body: &str) -> String {
    let when = when.map(|w| format!(" WHEN {w}")).unwrap_or_default();
    format!("CREATE TRIGGER events_{name} AFTER {on}{when} BEGIN\n{body}END;\n")
}

/// Moves one entity's event row to a new `seq` (compaction).
fn touch(kind: &str, id: &str, deleted: u8) -> String {
    statements(touch_statements(kind, id, deleted))
}

/// [`touch`] as its two statements.
fn touch_statements(kind: &str, id: &str, deleted: u8) -> [String; 2] {
    [
        format!("DELETE FROM events WHERE kind = '{kind}' AND entity = {id}"),
        format!(
            "INSERT INTO events (kind, entity, deleted, at) VALUES ('{kind}', {id}, {deleted}, {NOW_MS})"
        ),
    ]
}

/// Moves the event rows of the newest 200 calls matching `filter`, oldest first.
fn touch_calls(filter: &str) -> String {
    statements(touch_calls_statements(filter))
}

/// [`touch_calls`] as its two statements.
fn touch_calls_statements(filter: &str) -> [String; 2] {
    let newest = format!(
        "SELECT id, started_at FROM calls WHERE {filter} ORDER BY started_at DESC LIMIT 200"
    );
    [
        format!("DELETE FROM events WHERE kind = 'call' AND entity IN (SELECT id FROM ({newest}))"),
        format!(
            "INSERT INTO events (kind, entity, deleted, at)\n\
             SELECT 'call', id, 0, {NOW_MS} FROM ({newest}) ORDER BY started_at, id"
        ),
    ]
}

/// A trigger body: each statement ended by `;` and a line break.
fn statements(parts: [String; 2]) -> String {
    parts.iter().map(|part| format!("{part};\n")).collect()
}

/// Calls from the number `e164`, or (when `switchboard` is true) from its extensions: one
/// index range on `calls_remote`, then the exact check.
fn calls_of(e164: &str, switchboard: &str) -> String {
    format!(
        "remote_e164 >= {e164} AND remote_e164 < {e164} || ':' \
         AND ({switchboard} OR remote_e164 = {e164})"
    )
}

/// The change-log triggers an import suspends inside its own transaction: they would log each
/// of its contacts and numbers one statement at a time (and make every INSERT keep a statement
/// journal). The import writes the same rows in bulk with [`ImportLog`] before it commits.
pub(crate) const IMPORT_SUSPENDS: [&str; 4] = [
    "events_contact_insert",
    "events_contact_update",
    "events_contact_relabel",
    "events_number_insert_relabel",
];

/// What the suspended triggers would have logged, written at the end of an import.
pub(crate) struct ImportLog<'c> {
    conn: &'c Connection,
}

impl<'c> ImportLog<'c> {
    /// The log for the transaction open on `conn`.
    pub(crate) fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }

    /// Logs every contact with an id above `after`: the ones this transaction created.
    pub(crate) fn contacts_created_after(&self, after: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM events WHERE kind = 'contact' AND entity > ?1",
            [after],
        )?;
        self.conn.execute(
            &format!(
                "INSERT INTO events (kind, entity, deleted, at)
                 SELECT 'contact', id, 0, {NOW_MS} FROM contacts WHERE id > ?1 ORDER BY id"
            ),
            [after],
        )?;
        Ok(())
    }

    /// Logs one existing contact that the import changed.
    pub(crate) fn contact_updated(&self, id: i64) -> Result<()> {
        self.run(touch_statements("contact", "?1", 0), params![id])
    }

    /// Relabels the calls from a contact whose name, company or block changed.
    pub(crate) fn contact_relabelled(&self, id: i64) -> Result<()> {
        self.run(
            touch_calls_statements(
                "remote_e164 IN (SELECT e164 FROM contact_numbers WHERE contact_id = ?1)",
            ),
            params![id],
        )
    }

    /// Relabels the calls from a number the import added (and, for a switchboard, from its
    /// extensions).
    pub(crate) fn number_added(&self, e164: &str, switchboard: bool) -> Result<()> {
        self.run(
            touch_calls_statements(&calls_of("?1", "?2")),
            params![e164, switchboard],
        )
    }

    /// The numbers calls came from, each once, to match against the numbers an import added;
    /// visited in order without collecting them.
    pub(crate) fn call_numbers(&self, mut visit: impl FnMut(&str)) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT remote_e164 FROM calls WHERE remote_e164 IS NOT NULL")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            if let rusqlite::types::ValueRef::Text(text) = row.get_ref(0)? {
                visit(std::str::from_utf8(text).unwrap_or_default());
            }
        }
        Ok(())
    }

    fn run(&self, statements: [String; 2], params: &[&dyn rusqlite::ToSql]) -> Result<()> {
        for sql in statements {
            self.conn.prepare_cached(&sql)?.execute(params)?;
        }
        Ok(())
    }
}

const V5_TABLES: &str = r#"
ALTER TABLE calls ADD COLUMN handled_at INTEGER;
ALTER TABLE calls ADD COLUMN handled_how TEXT;
ALTER TABLE calls ADD COLUMN handled_note TEXT;
ALTER TABLE calls ADD COLUMN handled_by TEXT;
ALTER TABLE calls ADD COLUMN handled_desk INTEGER;

CREATE TABLE events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind     TEXT NOT NULL,
    entity   INTEGER NOT NULL,
    deleted  INTEGER NOT NULL DEFAULT 0,
    at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_entity ON events(kind, entity);
CREATE INDEX events_tombstones ON events(at) WHERE deleted = 1;

CREATE TABLE hub_state (
    key    TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);

CREATE TABLE desks (
    id                INTEGER PRIMARY KEY,
    name              TEXT NOT NULL,
    token_hash        BLOB NOT NULL,
    sipgate_user_ids  TEXT NOT NULL DEFAULT '[]',
    all_calls         INTEGER NOT NULL DEFAULT 0,
    perms             TEXT NOT NULL DEFAULT '["read","contacts.write","calls.handle"]',
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER,
    last_seen_at      INTEGER,
    last_seq          INTEGER
);
CREATE UNIQUE INDEX desks_active_name ON desks(name) WHERE revoked_at IS NULL;
"#;

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A call in the log.
    Call,
    /// A contact.
    Contact,
}

impl EntityKind {
    /// The name stored in `events.kind` and sent as the SSE event name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Contact => "contact",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "call" => Some(Self::Call),
            "contact" => Some(Self::Contact),
            _ => None,
        }
    }
}

/// One row of the change log: which entity changed last at `seq`, and whether it is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventRow {
    /// Position in the log; also the entity's version.
    pub seq: i64,
    /// Call or contact.
    pub kind: EntityKind,
    /// Its id.
    pub entity: i64,
    /// A tombstone: the entity was deleted.
    pub deleted: bool,
}

/// The newest `seq` ever assigned (0 for an empty log). Purged rows do not lower it.
pub(crate) fn head_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'events'")?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The lowest cursor for which a replay is still complete.
pub(crate) fn horizon_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM hub_state WHERE key = 'horizon_seq'")?
        .query_row([], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// At most `limit` rows after `after`, oldest first.
pub(crate) fn since(conn: &Connection, after: i64, limit: usize) -> Result<Vec<EventRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, entity, deleted FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, bool>(3)?,
        ))
    })?;
    let mut events = Vec::new();
    for row in rows {
        let (seq, kind, entity, deleted) = row?;
        // A kind this release does not know (written by a newer one) is skipped, not fatal.
        if let Some(kind) = EntityKind::parse(&kind) {
            events.push(EventRow {
                seq,
                kind,
                entity,
                deleted,
            });
        }
    }
    Ok(events)
}

/// An entity's version: the `seq` of its newest change, 0 when it has not changed since the
/// log began.
pub(crate) fn version(conn: &Connection, kind: EntityKind, entity: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT seq FROM events WHERE kind = ?1 AND entity = ?2")?
        .query_row(params![kind.as_str(), entity], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The versions of many entities of one kind, in one query (missing ones are 0).
pub(crate) fn versions(
    conn: &Connection,
    kind: EntityKind,
    entities: &[i64],
) -> Result<HashMap<i64, i64>> {
    let ids = json_list(&entities)?;
    let mut stmt = conn.prepare_cached(
        "SELECT entity, seq FROM events
         WHERE kind = ?1 AND entity IN (SELECT value FROM json_each(?2))",
    )?;
    let rows = stmt.query_map(params![kind.as_str(), ids], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Forgets tombstones written before `before_ms`, and moves `horizon_seq` past the newest one
/// forgotten (a cursor below it could have missed that delete). Returns the horizon.
pub(crate) fn purge_tombstones(conn: &mut Connection, before_ms: i64) -> Result<i64> {
    let tx = super::write_transaction(conn)?;
    let newest: Option<i64> = tx.query_row(
        "SELECT max(seq) FROM events WHERE deleted = 1 AND at < ?1",
        [before_ms],
        |row| row.get(0),
    )?;
    if let Some(newest) = newest {
        tx.execute(
            "DELETE FROM events WHERE deleted = 1 AND at < ?1",
            [before_ms],
        )?;
        tx.execute(
            "INSERT INTO hub_state (key, value) VALUES ('horizon_seq', ?1)
             ON CONFLICT(key) DO UPDATE SET value = max(value, ?1)",
            [newest],
        )?;
    }
    let horizon = horizon_seq(&tx)?;
    tx.commit()?;
    Ok(horizon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Region;
    use crate::store::test_support::{contact, temp_store as store};
    use crate::store::Store;

    fn all(store: &Store) -> Vec<EventRow> {
        store
            .with(|conn| since(conn, 0, 1000))
            .expect("read events")
    }

    #[test]
    fn an_edited_contact_keeps_one_event_at_a_newer_seq() {
        let (_dir, store) = store();
        let added = store
            .add_contact(&contact("Erika", "0211 1234567"), Region::DE)
            .expect("add");
        let first = all(&store);
        assert_eq!(first.len(), 1, "one contact, one event: {first:?}");
        store
            .update_contact(added.id, &contact("Erika M.", "0211 1234567"), Region::DE)
            .expect("edit");
        let second = all(&store);
        assert_eq!(second.len(), 1, "compacted to one event: {second:?}");
        assert!(second[0].seq > first[0].seq, "the edit moved it forward");
        assert_eq!(second[0].kind, EntityKind::Contact);
        assert!(!second[0].deleted);
    }

    #[test]
    fn a_removed_contact_leaves_a_tombstone_even_with_numbers() {
        let (_dir, store) = store();
        let added = store
            .add_contact(&contact("Erika", "0211 1234567"), Region::DE)
            .expect("add");
        store.remove_contact(added.id).expect("remove");
        let rows = all(&store);
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert!(
            rows[0].deleted,
            "the numbers going with it must not revive it"
        );
        let head = store.with(|conn| head_seq(conn)).expect("head");
        assert_eq!(head, rows[0].seq);
    }

    #[test]
    fn a_new_contact_relabels_the_calls_from_its_number_and_its_extensions() {
        let (_dir, store) = store();
        store
            .with(|conn| {
                for (remote, at) in [("+492111234567", 1), ("+4921112345", 2), ("+4930999", 3)] {
                    conn.execute(
                        "INSERT INTO calls (state, direction, remote_e164, started_at, updated_at)
                         VALUES ('missed', 'in', ?1, ?2, ?2)",
                        params![remote, at],
                    )?;
                }
                Ok(())
            })
            .expect("calls");
        let before = all(&store);
        let mut switchboard = contact("Muster GmbH", "+49211123");
        switchboard.numbers[0].switchboard = true;
        store.add_contact(&switchboard, Region::DE).expect("add");
        let after = all(&store);
        let moved: Vec<i64> = after
            .iter()
            .filter(|e| e.kind == EntityKind::Call && !before.contains(e))
            .map(|e| e.entity)
            .collect();
        assert_eq!(
            moved,
            [1, 2],
            "both extensions, oldest first; not the Berlin call"
        );
        let last = after.iter().map(|e| e.seq).max().expect("events");
        assert!(before.iter().all(|e| e.seq < last));
    }

    #[test]
    fn purging_old_tombstones_moves_the_horizon_past_them() {
        let (_dir, store) = store();
        let gone = store
            .add_contact(&contact("Gone", "0211 1"), Region::DE)
            .expect("add");
        let kept = store
            .add_contact(&contact("Kept", "0211 2"), Region::DE)
            .expect("add");
        store.remove_contact(gone.id).expect("remove");
        let tombstone = all(&store)
            .into_iter()
            .find(|e| e.deleted)
            .expect("tombstone");
        let horizon = store
            .with(|conn| purge_tombstones(conn, i64::MAX))
            .expect("purge");
        assert_eq!(horizon, tombstone.seq);
        let rows = all(&store);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].entity, kept.id.0);
        let untouched = store.with(|conn| purge_tombstones(conn, 0)).expect("purge");
        assert_eq!(untouched, horizon, "nothing older: the horizon stays");
    }
}
