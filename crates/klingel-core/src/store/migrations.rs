//! The schema, as an ordered list of migrations. Never edit an applied one: add a new one.

use rusqlite_migration::{HookError, Migrations, M};

/// Every migration, oldest first.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        // 2: calls no longer keep a JSON copy of their derived facts (read from the legs
        // instead, so every release derives old calls by its own rules); legs are rewritten in
        // their versioned stored form, and the derived columns recomputed from them.
        M::up_with_hook(
            "ALTER TABLE calls DROP COLUMN summary;
             ALTER TABLE calls DROP COLUMN path;",
            |tx: &rusqlite::Transaction<'_>| {
                super::calls::rederive_all(tx, crate::time_fmt::now())
                    .map(|_| ())
                    .map_err(|e| HookError::Hook(e.to_string()))
            },
        ),
        // 3: blocked numbers nobody knows get a list of their own. Until now blocking such a
        // number created a contact named after it; those stand-ins move to the list.
        M::up_with_hook(
            "CREATE TABLE blocked_numbers (
                 e164        TEXT PRIMARY KEY,
                 typed       TEXT NOT NULL,
                 created_at  INTEGER NOT NULL
             );",
            |tx: &rusqlite::Transaction<'_>| {
                super::blocklist::adopt_stand_in_contacts(tx)
                    .map(|_| ())
                    .map_err(|e| HookError::Hook(e.to_string()))
            },
        ),
        // 4: the usual number labels ("cell", "Büro", "Business") become codes the window
        // shows in its own language.
        M::up_with_hook("", |tx: &rusqlite::Transaction<'_>| {
            normalize_labels(tx).map_err(|e| HookError::Hook(e.to_string()))
        }),
        // 5: the office hub. Every change to a call or contact leaves one row in `events`
        // (written by triggers, so the CLI and imports in other processes log theirs too);
        // desks and their hashed tokens; the missed-call to-do on calls.
        M::up(super::events::V5.as_str()),
        // 6: switchboards get an index of their own. A caller without an exact match is
        // tried against a dozen prefixes; in this small index each try costs next to nothing,
        // however large the book.
        M::up(
            "CREATE INDEX contact_numbers_switchboard ON contact_numbers(e164)
             WHERE switchboard = 1;",
        ),
        // 7: the log's totals kept by triggers, so a view's "n calls" costs one row read
        // instead of a scan of every call; missed calls in an index of their own, so the
        // missed view pages through them without stepping over every answered call.
        M::up(V7_CALL_COUNTS),
        // 8: the calls Klingel placed through sipgate (click-to-call), by the call id their
        // pushes carry, so the `newCall` sipgate echoes for one's own phone does not pop up
        // as a stranger's call, whichever process placed it.
        M::up(
            "CREATE TABLE dialed (
                 call_id  TEXT PRIMARY KEY,
                 callee   TEXT NOT NULL,
                 at       INTEGER NOT NULL
             );",
        ),
        // 9: the sipgate account's names for its users and lines, for every process that
        // shows the log to name them alike.
        M::up(
            "CREATE TABLE account_names (
                 kind  TEXT NOT NULL,
                 key   TEXT NOT NULL,
                 name  TEXT NOT NULL,
                 PRIMARY KEY (kind, key)
             ) WITHOUT ROWID;",
        ),
    ])
}

/// Migration 7: calls counted per direction and missed-or-not, kept by triggers in the same
/// transaction as the change (so writes from other processes keep them right too).
const V7_CALL_COUNTS: &str = "
CREATE INDEX calls_missed ON calls(started_at) WHERE state = 'missed' AND direction = 'in';
CREATE TABLE call_counts (
    direction  TEXT NOT NULL,
    missed     INTEGER NOT NULL,
    calls      INTEGER NOT NULL,
    PRIMARY KEY (direction, missed)
) WITHOUT ROWID;
INSERT INTO call_counts
    SELECT direction, state = 'missed' AND direction = 'in', count(*) FROM calls GROUP BY 1, 2;
CREATE TRIGGER call_counts_insert AFTER INSERT ON calls BEGIN
    INSERT INTO call_counts VALUES (NEW.direction, NEW.state = 'missed' AND NEW.direction = 'in', 1)
        ON CONFLICT DO UPDATE SET calls = calls + 1;
END;
CREATE TRIGGER call_counts_delete AFTER DELETE ON calls BEGIN
    UPDATE call_counts SET calls = calls - 1
        WHERE direction = OLD.direction
          AND missed = (OLD.state = 'missed' AND OLD.direction = 'in');
END;
CREATE TRIGGER call_counts_update AFTER UPDATE OF state, direction ON calls
    WHEN OLD.direction IS NOT NEW.direction
      OR (OLD.state = 'missed') IS NOT (NEW.state = 'missed')
BEGIN
    UPDATE call_counts SET calls = calls - 1
        WHERE direction = OLD.direction
          AND missed = (OLD.state = 'missed' AND OLD.direction = 'in');
    INSERT INTO call_counts VALUES (NEW.direction, NEW.state = 'missed' AND NEW.direction = 'in', 1)
        ON CONFLICT DO UPDATE SET calls = calls + 1;
END;
";

/// Rewrites every stored number label to its code where it has one.
fn normalize_labels(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let labels: Vec<String> = tx
        .prepare("SELECT DISTINCT label FROM contact_numbers WHERE label <> ''")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE contact_numbers SET label = ?2 WHERE label = ?1")?;
    for label in labels {
        let normalized = crate::labels::normalize(&label);
        if normalized != label {
            update.execute([&label, &normalized])?;
        }
    }
    Ok(())
}

/// Release 0.1's schema.
const V1: &str = r#"
CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    company     TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    blocked     INTEGER NOT NULL DEFAULT 0,
    -- lower-cased name and company, for case-insensitive search beyond ASCII
    search      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE TABLE contact_numbers (
    id          INTEGER PRIMARY KEY,
    contact_id  INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    typed       TEXT NOT NULL,
    e164        TEXT NOT NULL,
    switchboard INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX contact_numbers_e164 ON contact_numbers(e164);
CREATE INDEX contact_numbers_contact ON contact_numbers(contact_id);

CREATE TABLE calls (
    id              INTEGER PRIMARY KEY,
    state           TEXT NOT NULL,
    direction       TEXT NOT NULL,
    remote          TEXT,
    remote_e164     TEXT,
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    -- derived call facts (calls::Summary) and leg path as JSON, rewritten on every change
    summary         TEXT NOT NULL,
    path            TEXT NOT NULL DEFAULT '[]',
    seen_at         INTEGER,
    called_back_at  INTEGER,
    called_back_by  TEXT,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX calls_started ON calls(started_at);
CREATE INDEX calls_remote ON calls(remote_e164);
CREATE INDEX calls_open ON calls(started_at) WHERE ended_at IS NULL;

CREATE TABLE legs (
    call_id       TEXT PRIMARY KEY,
    call          INTEGER NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    orig_call_id  TEXT,
    xcid          TEXT,
    leg           TEXT NOT NULL
);
CREATE INDEX legs_call ON legs(call);
CREATE INDEX legs_orig ON legs(orig_call_id);
CREATE INDEX legs_xcid ON legs(xcid);

CREATE TABLE requests (
    id           INTEGER PRIMARY KEY,
    received_at  INTEGER NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    peer         TEXT,
    event        TEXT,
    call_id      TEXT,
    auth         TEXT NOT NULL,
    signature    TEXT NOT NULL,
    status       INTEGER NOT NULL,
    reason       TEXT,
    body         TEXT NOT NULL
);
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations()
            .validate()
            .expect("every migration must apply to an empty database");
    }
}
