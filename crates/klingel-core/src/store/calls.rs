//! The call log: calls with their legs, queries, and the seen / called-back marks.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::contacts::{self, ContactMatch};
use super::{Result, Store, StoreError};
use crate::calls::{Leg, Legs, Summary};
use crate::config::NumbersConfig;
use crate::phone::Caller;
use crate::sipgate::{Direction, Push};
use crate::time_fmt::{from_millis, to_millis};

/// A call's id in the log (one per call, however many legs it has).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallKey(pub i64);

impl std::fmt::Display for CallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Which calls to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFilter {
    /// At most this many, newest first (None: 100).
    pub limit: Option<usize>,
    /// Only missed incoming calls.
    pub missed: bool,
    /// Only one direction.
    pub direction: Option<Direction>,
    /// Only calls whose contact name, company, number or rung users contain this text.
    pub search: Option<String>,
}

/// How many recent calls a text search looks through.
const SEARCH_DEPTH: i64 = 5000;

impl CallEntry {
    /// Whether `needle` (lower-cased) appears in what the log shows of this call.
    fn matches(&self, needle: &str) -> bool {
        let digits: String = needle.chars().filter(char::is_ascii_digit).collect();
        let contains = |text: &str| text.to_lowercase().contains(needle);
        self.contact
            .as_ref()
            .is_some_and(|m| contains(&m.contact.name) || contains(&m.contact.company))
            || self.summary.users.iter().any(|u| contains(u))
            || self.summary.answered_by.as_deref().is_some_and(contains)
            || (digits.len() >= 3
                && [self.remote_display.as_deref(), self.remote_e164.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|n| {
                        n.chars()
                            .filter(char::is_ascii_digit)
                            .collect::<String>()
                            .contains(&digits)
                    }))
    }
}

/// A call as the log shows it, with the caller resolved against today's contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallEntry {
    /// Log id.
    pub id: CallKey,
    /// Derived call facts.
    #[serde(flatten)]
    pub summary: Summary,
    /// Who the call went to, leg by leg.
    pub path: Vec<String>,
    /// The other party's E.164 key, when it is a number.
    pub remote_e164: Option<String>,
    /// The other party as people write it; None when withheld.
    pub remote_display: Option<String>,
    /// The other party withheld their number.
    pub withheld: bool,
    /// Our line (the sipgate number called, or calling) as people write it.
    pub line_display: Option<String>,
    /// The contact the other party's number belongs to now.
    pub contact: Option<ContactMatch>,
    /// When a missed call was marked seen.
    #[serde(with = "time::serde::rfc3339::option")]
    pub seen_at: Option<OffsetDateTime>,
    /// When a missed call was called back.
    #[serde(with = "time::serde::rfc3339::option")]
    pub called_back_at: Option<OffsetDateTime>,
    /// Which sipgate user called back.
    pub called_back_by: Option<String>,
}

/// The log call a push belongs to: its own leg, else a leg it names as origin, else its `xcid`.
pub(crate) fn find_for_push(conn: &Connection, push: &Push) -> Result<Option<(CallKey, Legs)>> {
    let by = |sql: &str, value: &str| -> Result<Option<i64>> {
        Ok(conn
            .prepare_cached(sql)?
            .query_row([value], |row| row.get(0))
            .optional()?)
    };
    let mut key = by("SELECT call FROM legs WHERE call_id = ?1", &push.call_id)?;
    if key.is_none() {
        if let Some(orig) = push.orig_call_id.as_deref().filter(|o| *o != push.call_id) {
            key = match by("SELECT call FROM legs WHERE call_id = ?1", orig)? {
                Some(key) => Some(key),
                None => by(
                    "SELECT call FROM legs WHERE orig_call_id = ?1 LIMIT 1",
                    orig,
                )?,
            };
        }
    }
    if key.is_none() {
        if let Some(xcid) = push.xcid.as_deref() {
            key = by(
                "SELECT call FROM legs WHERE xcid = ?1 ORDER BY rowid DESC LIMIT 1",
                xcid,
            )?;
        }
    }
    match key {
        Some(key) => Ok(Some((CallKey(key), legs(conn, CallKey(key))?))),
        None => Ok(None),
    }
}

/// The legs of a call.
pub(crate) fn legs(conn: &Connection, key: CallKey) -> Result<Legs> {
    let mut stmt = conn.prepare_cached("SELECT leg FROM legs WHERE call = ?1")?;
    let mut legs: Vec<Leg> = stmt
        .query_map([key.0], |row| row.get::<_, String>(0))?
        .map(|json| {
            serde_json::from_str(&json?)
                .map_err(|e| StoreError::Corrupt(format!("leg of call {key}: {e}")))
        })
        .collect::<Result<_>>()?;
    legs.sort_by_key(|leg| leg.started_at);
    Ok(Legs(legs))
}

/// Writes a call's legs and derived columns; returns its key (new if `key` is None).
pub(crate) fn save(
    conn: &Connection,
    key: Option<CallKey>,
    legs: &Legs,
    at: OffsetDateTime,
) -> Result<CallKey> {
    let summary = legs
        .summary()
        .ok_or_else(|| StoreError::Corrupt("a call without legs".into()))?;
    let remote_e164 = Caller::from_push(summary.remote.as_deref())
        .number()
        .map(|n| n.e164().to_string());
    let summary_json =
        serde_json::to_string(&summary).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let path_json =
        serde_json::to_string(&legs.path()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    // One upsert for new and known calls: a NULL id makes SQLite assign one.
    let key: i64 = conn
        .prepare_cached(
            "INSERT INTO calls (id, state, direction, remote, remote_e164, started_at, ended_at,
                                summary, path, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT(id) DO UPDATE SET state = ?2, direction = ?3, remote = ?4,
                remote_e164 = ?5, started_at = ?6, ended_at = ?7, summary = ?8, path = ?9,
                updated_at = ?10
             RETURNING id",
        )?
        .query_row(
            params![
                key.map(|k| k.0),
                summary.state.as_str(),
                summary.direction.as_str(),
                summary.remote,
                remote_e164,
                to_millis(summary.started_at),
                summary.ended_at.map(to_millis),
                summary_json,
                path_json,
                to_millis(at),
            ],
            |row| row.get(0),
        )?;
    let key = CallKey(key);
    let mut upsert = conn.prepare_cached(
        "INSERT INTO legs (call_id, call, orig_call_id, xcid, leg) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(call_id) DO UPDATE SET call = ?2, orig_call_id = ?3, xcid = ?4, leg = ?5",
    )?;
    for leg in &legs.0 {
        let json = serde_json::to_string(leg).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        upsert.execute(params![
            leg.call_id,
            key.0,
            leg.orig_call_id,
            leg.xcid,
            json
        ])?;
    }
    Ok(key)
}

/// Marks earlier unanswered incoming calls from `e164` as called back; returns their keys.
pub(crate) fn mark_called_back(
    conn: &Connection,
    e164: &str,
    by: Option<&str>,
    at: OffsetDateTime,
) -> Result<Vec<CallKey>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE calls SET called_back_at = ?2, called_back_by = ?3, updated_at = ?2
         WHERE remote_e164 = ?1 AND direction = 'in' AND state = 'missed'
           AND called_back_at IS NULL AND started_at <= ?2
         RETURNING id",
    )?;
    let keys = stmt
        .query_map(params![e164, to_millis(at), by], |row| {
            row.get(0).map(CallKey)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(keys)
}

/// Calls with a leg still open (ringing or talking).
pub(crate) fn open_calls(conn: &Connection) -> Result<Vec<(CallKey, Legs)>> {
    let keys: Vec<i64> = conn
        .prepare_cached("SELECT id FROM calls WHERE ended_at IS NULL")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    keys.into_iter()
        .map(|key| Ok((CallKey(key), legs(conn, CallKey(key))?)))
        .collect()
}

fn entry_from_row(conn: &Connection, row: &Row<'_>, numbers: &NumbersConfig) -> Result<CallEntry> {
    let key = CallKey(row.get("id")?);
    let summary: Summary = serde_json::from_str(&row.get::<_, String>("summary")?)
        .map_err(|e| StoreError::Corrupt(format!("call {key}: {e}")))?;
    let path: Vec<String> = serde_json::from_str(&row.get::<_, String>("path")?)
        .map_err(|e| StoreError::Corrupt(format!("call {key}: {e}")))?;
    let caller = Caller::from_push(summary.remote.as_deref());
    let (contact, remote_display) = match &caller {
        Caller::Number(number) => (contacts::lookup(conn, number)?, Some(numbers.show(number))),
        Caller::Withheld => (None, None),
        Caller::Unparsed(raw) => (None, Some(raw.clone())),
    };
    let line_display = match Caller::from_push(summary.line.as_deref()) {
        Caller::Number(number) => Some(numbers.show(&number)),
        Caller::Withheld => None,
        Caller::Unparsed(raw) => Some(raw),
    };
    Ok(CallEntry {
        id: key,
        line_display,
        remote_e164: caller.number().map(|n| n.e164().to_string()),
        withheld: matches!(caller, Caller::Withheld),
        remote_display,
        contact,
        path,
        seen_at: row.get::<_, Option<i64>>("seen_at")?.map(from_millis),
        called_back_at: row
            .get::<_, Option<i64>>("called_back_at")?
            .map(from_millis),
        called_back_by: row.get("called_back_by")?,
        summary,
    })
}

/// One call as the log shows it.
pub(crate) fn entry(conn: &Connection, key: CallKey, numbers: &NumbersConfig) -> Result<CallEntry> {
    let mut stmt = conn.prepare_cached("SELECT * FROM calls WHERE id = ?1")?;
    let mut rows = stmt.query([key.0])?;
    match rows.next()? {
        Some(row) => entry_from_row(conn, row, numbers),
        None => Err(StoreError::CallNotFound(key.0)),
    }
}

impl Store {
    /// The log, newest first.
    pub fn calls(&self, filter: &CallFilter, numbers: &NumbersConfig) -> Result<Vec<CallEntry>> {
        let limit = filter.limit.unwrap_or(100);
        let needle = filter
            .search
            .as_deref()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty());
        // A text search filters what the log shows (names resolved now), so it reads further back.
        let depth = if needle.is_some() {
            SEARCH_DEPTH
        } else {
            limit as i64
        };
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT * FROM calls
                 WHERE (?1 = 0 OR (state = 'missed' AND direction = 'in'))
                   AND (?2 IS NULL OR direction = ?2)
                 ORDER BY started_at DESC, id DESC LIMIT ?3",
            )?;
            let mut rows = stmt.query(params![
                filter.missed,
                filter.direction.map(Direction::as_str),
                depth
            ])?;
            let mut entries = Vec::new();
            while let Some(row) = rows.next()? {
                let entry = entry_from_row(conn, row, numbers)?;
                if needle.as_deref().is_none_or(|n| entry.matches(n)) {
                    entries.push(entry);
                    if entries.len() >= limit {
                        break;
                    }
                }
            }
            Ok(entries)
        })
    }

    /// One call.
    pub fn call(&self, key: CallKey, numbers: &NumbersConfig) -> Result<CallEntry> {
        self.with(|conn| entry(conn, key, numbers))
    }

    /// The legs of one call, for diagnostics.
    pub fn call_legs(&self, key: CallKey) -> Result<Legs> {
        self.with(|conn| legs(conn, key))
    }

    /// Missed incoming calls nobody has marked seen yet.
    pub fn unseen_missed(&self) -> Result<i64> {
        self.with(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM calls WHERE state = 'missed' AND direction = 'in' AND seen_at IS NULL",
                [],
                |row| row.get(0),
            )?)
        })
    }

    /// Marks missed calls seen: the given ones, or all when `keys` is empty. Returns those changed.
    pub fn mark_seen(&self, keys: &[CallKey], at: OffsetDateTime) -> Result<Vec<CallKey>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut changed = Vec::new();
            {
                let mut stmt = tx.prepare_cached(
                    "UPDATE calls SET seen_at = ?1 WHERE seen_at IS NULL AND state = 'missed'
                     AND direction = 'in' AND (?2 IS NULL OR id = ?2) RETURNING id",
                )?;
                let targets: Vec<Option<i64>> = if keys.is_empty() {
                    vec![None]
                } else {
                    keys.iter().map(|k| Some(k.0)).collect()
                };
                for target in targets {
                    if let Some(k) = target {
                        let exists: bool = tx.query_row(
                            "SELECT count(*) > 0 FROM calls WHERE id = ?1",
                            [k],
                            |r| r.get(0),
                        )?;
                        if !exists {
                            return Err(StoreError::CallNotFound(k));
                        }
                    }
                    let rows = stmt.query_map(params![to_millis(at), target], |row| {
                        row.get(0).map(CallKey)
                    })?;
                    for key in rows {
                        changed.push(key?);
                    }
                }
            }
            tx.commit()?;
            Ok(changed)
        })
    }
}
