//! The call log: calls with their legs, queries, and the seen / called-back marks.
//!
//! A call row holds the columns the log queries (state, direction, the other party, times,
//! marks); what it shows is derived from its legs on every read, so a newer release derives
//! old calls the same way as new ones. Legs are stored in their own versioned form
//! ([`super::stored`]).

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension, Row};
use time::OffsetDateTime;

use super::contacts;
use super::names::AccountNames;
use super::stored::StoredLeg;
use super::{json_list, write_transaction, Result, Store, StoreError};
use crate::calls::{CallState, Legs};
use crate::config::NumbersConfig;
use crate::domain::{CallEntry, CallFilter, CallKey, ContactMatch, Handled, HandledHow};
use crate::phone::{Caller, PhoneNumber};
use crate::sipgate::{Direction, Push};
use crate::time_fmt::{from_millis, to_millis};

/// How many calls one text search reads before it stops and says how far it got: a search
/// builds every call it reads, so a log of a million calls is searched a stretch at a time.
pub const SEARCH_DEPTH: usize = 5000;
/// How many calls a search reads at a time: it stops as soon as it has its page.
const SEARCH_CHUNK: usize = 500;

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
    let legs = stmt
        .query_map([key.0], |row| row.get::<_, String>(0))?
        .map(|json| decode_leg(key, &json?))
        .collect::<Result<_>>()?;
    Ok(sorted(legs))
}

fn decode_leg(key: CallKey, json: &str) -> Result<crate::calls::Leg> {
    StoredLeg::decode(json).map_err(|e| StoreError::Corrupt(format!("leg of call {key}: {e}")))
}

fn sorted(mut legs: Vec<crate::calls::Leg>) -> Legs {
    legs.sort_by_key(|leg| leg.started_at);
    Legs(legs)
}

/// The legs of many calls in one query.
fn legs_of(conn: &Connection, keys: &[CallKey]) -> Result<HashMap<CallKey, Legs>> {
    let ids = json_list(&keys.iter().map(|k| k.0).collect::<Vec<_>>())?;
    let mut stmt = conn.prepare_cached(
        "SELECT call, leg FROM legs WHERE call IN (SELECT value FROM json_each(?1))",
    )?;
    let mut grouped: HashMap<CallKey, Vec<crate::calls::Leg>> = HashMap::new();
    let mut rows = stmt.query([ids])?;
    while let Some(row) = rows.next()? {
        let key = CallKey(row.get(0)?);
        let leg = decode_leg(key, &row.get::<_, String>(1)?)?;
        grouped.entry(key).or_default().push(leg);
    }
    Ok(grouped
        .into_iter()
        .map(|(k, legs)| (k, sorted(legs)))
        .collect())
}

/// Writes every column of a call, new (a NULL id makes SQLite assign one) or known; a macro so
/// that each RETURNING form is one literal, prepared once.
macro_rules! upsert_call {
    () => {
        "INSERT INTO calls (id, state, direction, remote, remote_e164, started_at, ended_at,
                            updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(id) DO UPDATE SET state = ?2, direction = ?3, remote = ?4,
            remote_e164 = ?5, started_at = ?6, ended_at = ?7, updated_at = ?8"
    };
}

/// Writes a call's legs and the columns the log queries; returns its key (new if `key` is None).
pub(crate) fn save(
    conn: &Connection,
    key: Option<CallKey>,
    legs: &Legs,
    at: OffsetDateTime,
) -> Result<CallKey> {
    let columns =
        Columns::of(legs).ok_or_else(|| StoreError::Corrupt("a call without legs".into()))?;
    // Only the key comes back: migrations save calls before the row has its later columns.
    let (id, updated_at) = (key.map(|k| k.0), to_millis(at));
    let key = CallKey(
        conn.prepare_cached(concat!(upsert_call!(), " RETURNING id"))?
            .query_row(upsert_params(&id, &columns, &updated_at), |row| row.get(0))?,
    );
    write_legs(conn, key, legs, None)?;
    Ok(key)
}

/// The columns of a call row the log queries, as derived from its legs.
#[derive(Debug, PartialEq)]
struct Columns {
    state: &'static str,
    direction: &'static str,
    remote: Option<String>,
    remote_e164: Option<String>,
    started_at: i64,
    ended_at: Option<i64>,
}

impl Columns {
    fn of(legs: &Legs) -> Option<Self> {
        let summary = legs.summary()?;
        Some(Self {
            state: summary.state.as_str(),
            direction: summary.direction.as_str(),
            remote_e164: Caller::from_push(summary.remote.as_deref())
                .number()
                .map(|n| n.e164().to_string()),
            remote: summary.remote,
            started_at: to_millis(summary.started_at),
            ended_at: summary.ended_at.map(to_millis),
        })
    }
}

/// [`save`], returning the call's row as written (its marks too), so a push's entry needs no
/// second read. With `before`, the legs as stored, only what changed is written: SQLite
/// rewrites an index entry whenever an UPDATE sets one of its columns, even to the same value,
/// and a call's answer and hangup change its state and times, not its caller or its legs' ids.
pub(crate) fn save_row(
    conn: &Connection,
    key: Option<CallKey>,
    legs: &Legs,
    before: Option<&Legs>,
    at: OffsetDateTime,
) -> Result<CallRow> {
    let columns =
        Columns::of(legs).ok_or_else(|| StoreError::Corrupt("a call without legs".into()))?;
    let stored = before.and_then(Columns::of);
    let row = match (key, stored) {
        (Some(key), Some(stored)) => update_changed(conn, key, &columns, &stored, at)?,
        (key, _) => upsert(conn, key, &columns, at)?,
    };
    write_legs(conn, row.key, legs, before)?;
    Ok(row)
}

/// Writes a call's legs; with `before`, the legs as stored, only those that changed.
fn write_legs(conn: &Connection, key: CallKey, legs: &Legs, before: Option<&Legs>) -> Result<()> {
    let stored_legs: HashMap<&str, &crate::calls::Leg> = before
        .map(|b| b.0.iter().map(|leg| (leg.call_id.as_str(), leg)).collect())
        .unwrap_or_default();
    for leg in &legs.0 {
        let old = stored_legs.get(leg.call_id.as_str());
        // Written as it is: nothing to do.
        if old.is_some_and(|old| *old == leg) {
            continue;
        }
        // The same leg of the same call with new facts: only its stored form changes.
        let same_ids =
            old.is_some_and(|old| old.orig_call_id == leg.orig_call_id && old.xcid == leg.xcid);
        let updated = same_ids
            && conn
                .prepare_cached("UPDATE legs SET leg = ?2 WHERE call_id = ?1 AND call = ?3")?
                .execute(params![leg.call_id, StoredLeg::encode(leg), key.0])?
                == 1;
        if !updated {
            conn.prepare_cached(
                "INSERT INTO legs (call_id, call, orig_call_id, xcid, leg)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(call_id) DO UPDATE SET call = ?2, orig_call_id = ?3, xcid = ?4,
                    leg = ?5",
            )?
            .execute(params![
                leg.call_id,
                key.0,
                leg.orig_call_id,
                leg.xcid,
                StoredLeg::encode(leg)
            ])?;
        }
    }
    Ok(())
}

/// The parameters of [`upsert_call!`], borrowed.
fn upsert_params<'a>(
    id: &'a Option<i64>,
    columns: &'a Columns,
    updated_at: &'a i64,
) -> [&'a dyn rusqlite::types::ToSql; 8] {
    [
        id,
        &columns.state,
        &columns.direction,
        &columns.remote,
        &columns.remote_e164,
        &columns.started_at,
        &columns.ended_at,
        updated_at,
    ]
}

/// [`upsert_call!`], returning the row as written.
fn upsert(
    conn: &Connection,
    key: Option<CallKey>,
    columns: &Columns,
    at: OffsetDateTime,
) -> Result<CallRow> {
    let (id, updated_at) = (key.map(|k| k.0), to_millis(at));
    Ok(conn
        .prepare_cached(concat!(upsert_call!(), " RETURNING *"))?
        .query_row(upsert_params(&id, columns, &updated_at), call_row)?)
}

/// Writes the columns of a known call that differ from `stored`, and its `updated_at`.
fn update_changed(
    conn: &Connection,
    key: CallKey,
    columns: &Columns,
    stored: &Columns,
    at: OffsetDateTime,
) -> Result<CallRow> {
    use rusqlite::types::ToSql;
    let mut set = String::from("updated_at = ?2");
    let mut values: Vec<&dyn ToSql> = vec![&key.0];
    let updated_at = to_millis(at);
    values.push(&updated_at);
    let candidates: [(&str, &dyn ToSql, bool); 6] = [
        ("state", &columns.state, columns.state != stored.state),
        (
            "direction",
            &columns.direction,
            columns.direction != stored.direction,
        ),
        ("remote", &columns.remote, columns.remote != stored.remote),
        (
            "remote_e164",
            &columns.remote_e164,
            columns.remote_e164 != stored.remote_e164,
        ),
        (
            "started_at",
            &columns.started_at,
            columns.started_at != stored.started_at,
        ),
        (
            "ended_at",
            &columns.ended_at,
            columns.ended_at != stored.ended_at,
        ),
    ];
    for (column, value, differs) in candidates {
        if differs {
            values.push(value);
            set.push_str(&format!(", {column} = ?{}", values.len()));
        }
    }
    // At most 64 shapes of this statement, each prepared once.
    let sql = format!("UPDATE calls SET {set} WHERE id = ?1 RETURNING *");
    conn.prepare_cached(&sql)?
        .query_row(values.as_slice(), call_row)
        .optional()?
        .ok_or(StoreError::CallNotFound(key.0))
}

/// Rewrites every call from its legs: the derived columns by today's rules and the legs in
/// today's stored form. For migrations that change how calls are derived or stored.
pub(crate) fn rederive_all(conn: &Connection, at: OffsetDateTime) -> Result<usize> {
    let keys: Vec<i64> = conn
        .prepare("SELECT id FROM calls")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for key in &keys {
        let legs = legs(conn, CallKey(*key))?;
        save(conn, Some(CallKey(*key)), &legs, at)?;
    }
    Ok(keys.len())
}

/// Marks earlier unanswered incoming calls from `e164` as called back, which also settles
/// them as seen (nobody needs reminding of a call already returned); returns their keys.
pub(crate) fn mark_called_back(
    conn: &Connection,
    e164: &str,
    by: Option<&str>,
    at: OffsetDateTime,
) -> Result<Vec<CallKey>> {
    let mut stmt = conn.prepare_cached(
        "UPDATE calls SET called_back_at = ?2, called_back_by = ?3, updated_at = ?2,
                          seen_at = coalesce(seen_at, ?2)
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

/// Notes a call Klingel placed through sipgate; entries older than a day go.
pub(crate) fn record_dialed(
    conn: &Connection,
    call_id: &str,
    callee: &str,
    at: OffsetDateTime,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM dialed WHERE at < ?1")?
        .execute([to_millis(at - time::Duration::days(1))])?;
    conn.prepare_cached("INSERT OR REPLACE INTO dialed (call_id, callee, at) VALUES (?1, ?2, ?3)")?
        .execute(params![call_id, callee, to_millis(at)])?;
    Ok(())
}

/// Whether Klingel placed the call with this call id (click-to-call).
pub(crate) fn was_dialed(conn: &Connection, call_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM dialed WHERE call_id = ?1")?
        .query_row([call_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The call a leg with sipgate's `call_id` belongs to.
pub(crate) fn call_of_leg(conn: &Connection, call_id: &str) -> Result<Option<CallKey>> {
    Ok(conn
        .prepare_cached("SELECT call FROM legs WHERE call_id = ?1")?
        .query_row([call_id], |row| row.get(0))
        .optional()?
        .map(CallKey))
}

/// The call with this other party and direction that began between `from` and `to`, the one
/// nearest the middle when there are several.
pub(crate) fn call_near(
    conn: &Connection,
    remote_e164: &str,
    direction: crate::sipgate::Direction,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Option<CallKey>> {
    let (from, to) = (to_millis(from), to_millis(to));
    Ok(conn
        .prepare_cached(
            "SELECT id FROM calls WHERE remote_e164 = ?1 AND direction = ?2
             AND started_at BETWEEN ?3 AND ?4 ORDER BY abs(started_at - (?3 + ?4) / 2) LIMIT 1",
        )?
        .query_row(params![remote_e164, direction.as_str(), from, to], |row| {
            row.get(0)
        })
        .optional()?
        .map(CallKey))
}

/// When the oldest call still open that began before `before` began.
pub(crate) fn oldest_open(
    conn: &Connection,
    before: OffsetDateTime,
) -> Result<Option<OffsetDateTime>> {
    let millis: Option<i64> = conn
        .prepare_cached(
            "SELECT MIN(started_at) FROM calls WHERE ended_at IS NULL AND started_at <= ?1",
        )?
        .query_row([to_millis(before)], |row| row.get(0))?;
    Ok(millis.map(from_millis))
}

/// What a call row holds beyond its legs.
pub(crate) struct CallRow {
    /// Which call.
    pub(crate) key: CallKey,
    seen_at: Option<OffsetDateTime>,
    called_back_at: Option<OffsetDateTime>,
    called_back_by: Option<String>,
    handled: Option<Handled>,
}

fn call_row(row: &Row<'_>) -> rusqlite::Result<CallRow> {
    let handled_at = row.get::<_, Option<i64>>("handled_at")?;
    let how = row.get::<_, Option<String>>("handled_how")?;
    let handled = match (handled_at, how.as_deref().and_then(HandledHow::parse)) {
        (Some(at), Some(how)) => Some(Handled {
            how,
            note: row
                .get::<_, Option<String>>("handled_note")?
                .unwrap_or_default(),
            by_desk: row.get("handled_desk")?,
            by_name: row
                .get::<_, Option<String>>("handled_by")?
                .unwrap_or_default(),
            at: from_millis(at),
        }),
        _ => None,
    };
    Ok(CallRow {
        key: CallKey(row.get("id")?),
        seen_at: row.get::<_, Option<i64>>("seen_at")?.map(from_millis),
        called_back_at: row
            .get::<_, Option<i64>>("called_back_at")?
            .map(from_millis),
        called_back_by: row.get("called_back_by")?,
        handled,
    })
}

/// Builds log entries for `rows`: their legs in one query, their callers in one lookup.
fn entries(
    conn: &Connection,
    rows: Vec<CallRow>,
    numbers: &NumbersConfig,
) -> Result<Vec<CallEntry>> {
    let keys: Vec<CallKey> = rows.iter().map(|r| r.key).collect();
    let mut legs = legs_of(conn, &keys)?;
    let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let versions = super::events::versions(conn, super::events::EntityKind::Call, &ids)?;
    // A log repeats its lines and its regular callers: each is read and formatted once.
    let mut memo = CallerMemo::default();
    let names = AccountNames::load(conn)?;
    let mut prepared = Vec::with_capacity(rows.len());
    for row in rows {
        let legs = legs.remove(&row.key).unwrap_or_default();
        let summary = legs
            .summary()
            .ok_or_else(|| StoreError::Corrupt(format!("call {} has no legs", row.key)))?;
        let remote = memo.shown(summary.remote.as_deref(), numbers).clone();
        let line = memo.shown(summary.line.as_deref(), numbers).clone();
        prepared.push((row, summary, legs.path(), remote, line));
    }
    let callers: Vec<_> = prepared
        .iter()
        .filter_map(|(_, _, _, remote, _)| remote.caller.number().cloned())
        .collect();
    let contacts = contacts::resolve(conn, &callers)?;
    let keys: Vec<&str> = callers.iter().map(|n| n.e164()).collect();
    let listed = super::blocklist::listed_among(conn, &keys)?;
    Ok(prepared
        .into_iter()
        .map(|(row, summary, path, remote, line)| {
            let (contact, blocked) = remote.caller.number().map_or((None, false), |n| {
                (contacts.get(n.e164()).cloned(), listed.contains(n.e164()))
            });
            let version = versions.get(&row.key.0).copied().unwrap_or(0);
            build_entry(
                row, summary, path, &remote, &line, contact, blocked, version, &names,
            )
        })
        .collect())
}

/// A number as a push carried it, read and formatted once.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    caller: Caller,
    /// How people write it, for a number.
    display: Option<String>,
}

impl Shown {
    fn of(caller: Caller, numbers: &NumbersConfig) -> Self {
        let display = caller.number().map(|n| numbers.show(n));
        Self { caller, display }
    }

    /// The caller it was read as.
    pub(crate) fn caller(&self) -> &Caller {
        &self.caller
    }
}

/// A push's numbers (`from`, `to`) read and formatted before the push reaches the writer, on
/// the thread that received it: the writer stores pushes one at a time, the listener's
/// threads work side by side, and reading a number is pure work that needs no transaction.
#[derive(Debug, Default)]
pub(crate) struct ReadNumbers {
    /// The settings they were read with; the writer takes them only if it has the same.
    with: Option<NumbersConfig>,
    shown: Vec<(Option<String>, Shown)>,
}

impl ReadNumbers {
    /// Reads a `newCall`'s `from` and `to` as [`CallerMemo::shown`] would. Other pushes repeat
    /// their call's numbers, which the writer's memo already holds, so nothing is read for them.
    pub(crate) fn of(push: &Push, numbers: &NumbersConfig) -> Self {
        if !matches!(push.event, crate::sipgate::Event::NewCall { .. }) {
            return Self::default();
        }
        let shown = [push.from.as_deref(), push.to.as_deref()]
            .into_iter()
            .map(|raw| {
                let shown = Shown::of(Caller::from_push(raw), numbers);
                (raw.map(str::to_owned), shown)
            })
            .collect();
        Self {
            with: Some(*numbers),
            shown,
        }
    }
}

/// What pushes look up about numbers, once per number: how each raw value reads and shows
/// (kept while the number settings stay), and whose contact and whether blocked it is (kept
/// while the book stays as it was: see [`CallerMemo::keep_parties_for`]). A call's answer and
/// hangup come in later groups than its newCall, and name the same caller.
#[derive(Debug, Default)]
pub(crate) struct CallerMemo {
    shown: HashMap<Option<String>, Shown>,
    shown_with: Option<NumbersConfig>,
    parties: HashMap<String, (Option<ContactMatch>, bool)>,
    /// The account's names, read once while the book stays.
    names: Option<AccountNames>,
    /// The book the parties and names were read from.
    book: Option<super::BookStamp>,
}

/// How many read numbers the memo keeps: a call's three pushes, and the office's lines, hit it.
const SHOWN_KEPT: usize = 4096;
/// How many callers' contacts the memo keeps: the calls ringing now and recently.
const PARTIES_KEPT: usize = 4096;

impl CallerMemo {
    /// The raw value (`from`, `to`) read as a caller and formatted.
    pub(crate) fn shown(&mut self, raw: Option<&str>, numbers: &NumbersConfig) -> &Shown {
        self.shown_with(numbers)
            .entry(raw.map(str::to_owned))
            .or_insert_with(|| Shown::of(Caller::from_push(raw), numbers))
    }

    /// The numbers read with `numbers`: forgotten when the settings changed or they grew too
    /// many.
    fn shown_with(&mut self, numbers: &NumbersConfig) -> &mut HashMap<Option<String>, Shown> {
        if self.shown_with.as_ref() != Some(numbers) || self.shown.len() >= SHOWN_KEPT {
            self.shown.clear();
            self.shown_with = Some(*numbers);
        }
        &mut self.shown
    }

    /// Takes numbers a push brought already read (see [`ReadNumbers`]), unless they were read
    /// with other settings than `numbers`.
    pub(crate) fn take_read(&mut self, read: ReadNumbers, numbers: &NumbersConfig) {
        if read.with.as_ref() != Some(numbers) {
            return;
        }
        let kept = self.shown_with(numbers);
        for (raw, shown) in read.shown {
            kept.entry(raw).or_insert(shown);
        }
    }

    /// Keeps whose numbers are whose while the book is still `book`; forgets it when a
    /// contact, the blocklist or the account's names changed since (or it grew too big).
    pub(crate) fn keep_parties_for(&mut self, book: super::BookStamp) {
        if self.book != Some(book) || self.parties.len() >= PARTIES_KEPT {
            self.parties.clear();
            self.names = None;
            self.book = Some(book);
        }
    }

    /// The account's names, read on first use after the book changed.
    fn names(&mut self, conn: &Connection) -> Result<&AccountNames> {
        if self.names.is_none() {
            self.names = Some(AccountNames::load(conn)?);
        }
        Ok(self.names.get_or_insert_with(AccountNames::default))
    }

    /// Whose contact the number is, and whether it is on the blocklist.
    pub(crate) fn party(
        &mut self,
        conn: &Connection,
        number: &PhoneNumber,
    ) -> Result<(Option<ContactMatch>, bool)> {
        if let Some(known) = self.parties.get(number.e164()) {
            return Ok(known.clone());
        }
        let contact = contacts::lookup(conn, number)?;
        let listed = super::blocklist::is_listed(conn, number)?;
        self.parties
            .insert(number.e164().to_owned(), (contact.clone(), listed));
        Ok((contact, listed))
    }
}

/// The log entry for a call a push just wrote, from the row and legs in hand: only its
/// version is read back, and the caller comes from `memo`.
pub(crate) fn entry_for_push(
    conn: &Connection,
    row: CallRow,
    legs: &Legs,
    numbers: &NumbersConfig,
    memo: &mut CallerMemo,
) -> Result<CallEntry> {
    let key = row.key;
    let summary = legs
        .summary()
        .ok_or_else(|| StoreError::Corrupt(format!("call {key} has no legs")))?;
    let remote = memo.shown(summary.remote.as_deref(), numbers).clone();
    let line = memo.shown(summary.line.as_deref(), numbers).clone();
    let (contact, blocked) = match remote.caller.number() {
        Some(number) => memo.party(conn, number)?,
        None => (None, false),
    };
    let version = super::events::version(conn, super::events::EntityKind::Call, key.0)?;
    let names = memo.names(conn)?;
    Ok(build_entry(
        row,
        summary,
        legs.path(),
        &remote,
        &line,
        contact,
        blocked,
        version,
        names,
    ))
}

#[allow(clippy::too_many_arguments)] // one call's facts, gathered by two different readers
fn build_entry(
    row: CallRow,
    summary: crate::calls::Summary,
    path: Vec<String>,
    remote: &Shown,
    line: &Shown,
    contact: Option<ContactMatch>,
    blocked: bool,
    version: i64,
    names: &AccountNames,
) -> CallEntry {
    // Not a number: people read "unknown number"; the raw value stays in `remote` and `line`,
    // the call's details, and is never offered to copy, block or dial.
    let remote_display = remote.display.clone();
    let line_display = match &line.caller {
        Caller::Number(_) => line.display.clone(),
        Caller::Withheld | Caller::Unparsed(_) => None,
    };
    let mut entry = CallEntry::new(row.key, summary, path);
    entry.remote_e164 = remote.caller.number().map(|n| n.e164().to_string());
    entry.withheld = matches!(remote.caller, Caller::Withheld);
    entry.remote_display = remote_display;
    entry.line_display = line_display;
    entry.line_unknown = matches!(line.caller, Caller::Unparsed(_));
    entry.contact = contact;
    entry.number_blocked = blocked;
    entry.seen_at = row.seen_at;
    entry.called_back_at = row.called_back_at;
    entry.called_back_by = row.called_back_by;
    entry.handled = row.handled;
    entry.v = version;
    names.apply(&mut entry);
    entry.refresh();
    entry
}

/// One call as the log shows it.
pub(crate) fn entry(conn: &Connection, key: CallKey, numbers: &NumbersConfig) -> Result<CallEntry> {
    let row = conn
        .prepare_cached("SELECT * FROM calls WHERE id = ?1")?
        .query_row([key.0], call_row)
        .optional()?
        .ok_or(StoreError::CallNotFound(key.0))?;
    entries(conn, vec![row], numbers)?
        .pop()
        .ok_or(StoreError::CallNotFound(key.0))
}

/// Whether the filter searches for text (a blank search is no search).
fn searching(filter: &CallFilter) -> bool {
    filter
        .search
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty())
}

/// Up to `limit` rows of the filter's view (its search aside) older than `before`, newest first.
fn view_rows(
    conn: &Connection,
    filter: &CallFilter,
    before: Option<CallKey>,
    limit: usize,
) -> Result<Vec<CallRow>> {
    // The missed view states its condition literally, so SQLite walks the partial
    // index of missed calls instead of every call.
    let sql = if filter.missed {
        "SELECT * FROM calls
         WHERE state = 'missed' AND direction = 'in' AND ?1
           AND (?2 IS NULL OR direction = ?2)
           AND (?4 IS NULL OR (started_at, id) <
                (SELECT started_at, id FROM calls WHERE id = ?4))
         ORDER BY started_at DESC, id DESC LIMIT ?3"
    } else {
        "SELECT * FROM calls
         WHERE ?1 = 0
           AND (?2 IS NULL OR direction = ?2)
           AND (?4 IS NULL OR (started_at, id) <
                (SELECT started_at, id FROM calls WHERE id = ?4))
         ORDER BY started_at DESC, id DESC LIMIT ?3"
    };
    let rows = conn
        .prepare_cached(sql)?
        .query_map(
            params![
                filter.missed,
                filter.direction.map(Direction::as_str),
                i64::try_from(limit).unwrap_or(i64::MAX),
                before.map(|k| k.0)
            ],
            call_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// How many calls of the filter's view (its search aside) are as new as `key` or newer.
fn count_down_to(conn: &Connection, filter: &CallFilter, key: CallKey) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM calls
             WHERE (?1 = 0 OR (state = 'missed' AND direction = 'in'))
               AND (?2 IS NULL OR direction = ?2)
               AND (started_at, id) >= (SELECT started_at, id FROM calls WHERE id = ?3)",
        )?
        .query_row(
            params![
                filter.missed,
                filter.direction.map(Direction::as_str),
                key.0
            ],
            |row| row.get(0),
        )?)
}

/// A page of the log, and how far a search read to find it.
#[derive(Debug, Clone, Default)]
pub struct FoundCalls {
    /// The calls, newest first.
    pub calls: Vec<CallEntry>,
    /// A search that read its depth of calls with older ones left unread stopped here: the
    /// oldest call it read, to pass as `before` to search on.
    pub stopped_at: Option<CallKey>,
    /// With `stopped_at`: how many of the view's calls, from the newest, are searched now.
    pub searched: Option<i64>,
}

/// The log as `filter` shows it; a search reads at most `depth` calls.
fn find(
    conn: &Connection,
    filter: &CallFilter,
    numbers: &NumbersConfig,
    depth: usize,
) -> Result<FoundCalls> {
    let limit = filter.limit.unwrap_or(100);
    let admits = filter.admits(numbers.region);
    if !searching(filter) {
        let mut calls = entries(
            conn,
            view_rows(conn, filter, filter.before, limit)?,
            numbers,
        )?;
        calls.retain(|entry| admits(entry));
        return Ok(FoundCalls {
            calls,
            ..FoundCalls::default()
        });
    }
    // A text search filters what the log shows (names resolved now), so it reads call by
    // call: a stretch at a time until the page is full, the log ends, or it read `depth`.
    let depth = depth.max(1);
    let mut calls = Vec::new();
    let mut cursor = filter.before;
    let mut read = 0;
    let mut stopped_at = None;
    while calls.len() < limit {
        let want = SEARCH_CHUNK.min(depth - read);
        let rows = view_rows(conn, filter, cursor, want)?;
        let got = rows.len();
        read += got;
        cursor = rows.last().map(|row| row.key).or(cursor);
        calls.extend(
            entries(conn, rows, numbers)?
                .into_iter()
                .filter(|entry| admits(entry)),
        );
        if got < want {
            break;
        }
        if read >= depth {
            // Only a stop with older calls still unread is worth saying.
            if calls.len() < limit && !view_rows(conn, filter, cursor, 1)?.is_empty() {
                stopped_at = cursor;
            }
            break;
        }
    }
    calls.truncate(limit);
    let searched = match stopped_at {
        Some(key) => Some(count_down_to(conn, filter, key)?),
        None => None,
    };
    Ok(FoundCalls {
        calls,
        stopped_at,
        searched,
    })
}

impl Store {
    /// The log, newest first (a search reads only so far: see [`Store::find_calls`]).
    pub fn calls(&self, filter: &CallFilter, numbers: &NumbersConfig) -> Result<Vec<CallEntry>> {
        Ok(self.find_calls(filter, numbers)?.calls)
    }

    /// The log, newest first, and where a search stopped when it read [`SEARCH_DEPTH`] calls
    /// with older ones left.
    pub fn find_calls(&self, filter: &CallFilter, numbers: &NumbersConfig) -> Result<FoundCalls> {
        self.with(|conn| find(conn, filter, numbers, SEARCH_DEPTH))
    }

    /// [`Store::find_calls`] with a search depth of `depth` calls.
    #[cfg(feature = "testing")]
    pub fn find_calls_within(
        &self,
        filter: &CallFilter,
        numbers: &NumbersConfig,
        depth: usize,
    ) -> Result<FoundCalls> {
        self.with(|conn| find(conn, filter, numbers, depth))
    }

    /// Deletes every test call (those whose legs carry the `test:` prefix); returns their keys.
    pub fn remove_test_calls(&self) -> Result<Vec<CallKey>> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let keys = tx
                .prepare_cached(
                    "DELETE FROM calls WHERE id IN
                        (SELECT DISTINCT call FROM legs WHERE call_id LIKE 'test:%')
                     RETURNING id",
                )?
                .query_map([], |row| row.get(0).map(CallKey))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(keys)
        })
    }

    /// How many calls `filter` holds, its search aside.
    pub fn count_calls(&self, filter: &CallFilter) -> Result<i64> {
        self.with(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT coalesce(sum(calls), 0) FROM call_counts
                     WHERE (?1 = 0 OR missed = 1) AND (?2 IS NULL OR direction = ?2)",
                )?
                .query_row(
                    params![filter.missed, filter.direction.map(Direction::as_str)],
                    |row| row.get(0),
                )?)
        })
    }

    /// One call.
    pub fn call(&self, key: CallKey, numbers: &NumbersConfig) -> Result<CallEntry> {
        self.with(|conn| entry(conn, key, numbers))
    }

    /// The sipgate call ids of a call's legs still ringing or talking, newest first (a
    /// forward or transfer makes a new leg, and only the newest reaches the live call).
    pub fn live_leg_ids(&self, key: CallKey) -> Result<Vec<String>> {
        self.with(|conn| {
            let legs = legs(conn, key)?;
            if legs.0.is_empty() {
                return Err(StoreError::CallNotFound(key.0));
            }
            let mut live: Vec<&crate::calls::Leg> = legs
                .0
                .iter()
                .filter(|leg| leg.state != crate::calls::LegState::Ended)
                .collect();
            live.sort_by_key(|leg| std::cmp::Reverse(leg.started_at));
            Ok(live.into_iter().map(|leg| leg.call_id.clone()).collect())
        })
    }

    /// Notes a call placed through sipgate (its session id is its pushes' call id).
    pub fn record_dialed(&self, call_id: &str, callee: &str, at: OffsetDateTime) -> Result<()> {
        self.with(|conn| record_dialed(conn, call_id, callee, at))
    }

    /// When the oldest call still open that began before `before` began.
    pub fn oldest_open_call(&self, before: OffsetDateTime) -> Result<Option<OffsetDateTime>> {
        self.with(|conn| oldest_open(conn, before))
    }

    /// The legs of one call.
    #[cfg(feature = "testing")]
    pub fn call_legs(&self, key: CallKey) -> Result<Legs> {
        self.with(|conn| legs(conn, key))
    }

    /// Marks a missed incoming call handled, unless someone did first: the first writer wins
    /// and a later one learns who it was.
    pub fn handle_call(&self, key: CallKey, handled: &Handled) -> Result<()> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let row = tx
                .prepare_cached("SELECT * FROM calls WHERE id = ?1")?
                .query_row([key.0], |row| {
                    Ok((
                        row.get::<_, String>("state")?,
                        row.get::<_, String>("direction")?,
                        call_row(row)?,
                    ))
                })
                .optional()?
                .ok_or(StoreError::CallNotFound(key.0))?;
            let (state, direction, row) = row;
            if let Some(first) = row.handled {
                return Err(StoreError::AlreadyHandled(Box::new(first)));
            }
            if state != CallState::Missed.as_str() || direction != Direction::In.as_str() {
                return Err(StoreError::NotMissed(key.0));
            }
            tx.execute(
                "UPDATE calls SET handled_at = ?2, handled_how = ?3, handled_note = ?4,
                 handled_by = ?5, handled_desk = ?6 WHERE id = ?1",
                params![
                    key.0,
                    to_millis(handled.at),
                    handled.how.as_str(),
                    handled.note,
                    handled.by_name,
                    handled.by_desk
                ],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Missed incoming calls nobody has marked seen yet.
    pub fn unseen_missed(&self) -> Result<i64> {
        self.with(|conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM calls WHERE state = 'missed' AND direction = 'in' AND seen_at IS NULL
                 AND handled_at IS NULL",
                [],
                |row| row.get(0),
            )?)
        })
    }

    /// Marks missed calls seen: the given ones, or all when `keys` is empty. Returns those changed.
    pub fn mark_seen(&self, keys: &[CallKey], at: OffsetDateTime) -> Result<Vec<CallKey>> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NumberDisplay;
    use crate::sipgate::{parse, BodyFormat, Parsed};

    fn push_of(body: &str) -> Push {
        let Ok(Parsed::Push(push)) = parse(body.as_bytes(), BodyFormat::Form) else {
            panic!("not a push: {body}");
        };
        push
    }

    #[test]
    fn numbers_read_ahead_are_taken_only_with_the_settings_they_were_read_with() {
        let push = push_of(
            "event=newCall&direction=in&from=492111234567&to=4921155500&callId=a1&user%5B%5D=Anna",
        );
        let national = NumbersConfig::default();
        let international = NumbersConfig {
            display: NumberDisplay::International,
            ..national
        };

        let mut memo = CallerMemo::default();
        memo.take_read(ReadNumbers::of(&push, &national), &international);
        assert!(memo.shown.is_empty(), "read with other settings: not taken");

        memo.take_read(ReadNumbers::of(&push, &national), &national);
        assert_eq!(memo.shown.len(), 2, "from and to");
        let from = memo.shown(push.from.as_deref(), &national);
        assert_eq!(from.display.as_deref(), Some("0211 1234567"));

        // A call's later pushes repeat its numbers: nothing is read for them.
        let answer = push_of(
            "event=answer&callId=a1&from=492111234567&to=4921155500&direction=in&answeringNumber=4921155500",
        );
        let mut later = CallerMemo::default();
        later.take_read(ReadNumbers::of(&answer, &national), &national);
        assert!(later.shown.is_empty(), "an answer brings nothing read");

        // What the writer reads itself is the same as what came read.
        let mut fresh = CallerMemo::default();
        let own = fresh.shown(push.from.as_deref(), &national).display.clone();
        assert_eq!(own.as_deref(), Some("0211 1234567"));
    }
}
