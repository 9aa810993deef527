//! The requests the listener received, newest 1,000 kept, for "why did my push not arrive?".

use rusqlite::{params, Connection};

use super::{write_transaction, Result, Store};
use crate::domain::{RequestRecord, StoredRequest};
use crate::time_fmt::{from_millis, to_millis};

/// How many requests are kept.
pub const KEEP_REQUESTS: i64 = 1000;

/// Records a request and drops all but the newest [`KEEP_REQUESTS`]; returns its id.
pub(crate) fn insert(conn: &Connection, record: &RequestRecord) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO requests (received_at, method, path, peer, event, call_id, auth, signature,
         status, reason, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        to_millis(record.received_at),
        record.method,
        record.path,
        record.peer,
        record.event,
        record.call_id,
        record.auth,
        record.signature,
        record.status,
        record.reason,
        record.body,
    ])?;
    let newest = conn.last_insert_rowid();
    conn.prepare_cached("DELETE FROM requests WHERE id <= ?1")?
        .execute([newest - KEEP_REQUESTS])?;
    Ok(newest)
}

impl Store {
    /// Records a request on its own (refused requests; accepted pushes are recorded with their call).
    pub fn record_request(&self, record: &RequestRecord) -> Result<StoredRequest> {
        let mut stored = self.record_requests(std::slice::from_ref(record))?;
        stored
            .pop()
            .ok_or_else(|| super::StoreError::Corrupt("a recorded request vanished".into()))
    }

    /// Records several requests in one transaction (one disk sync for all of them).
    pub fn record_requests(&self, records: &[RequestRecord]) -> Result<Vec<StoredRequest>> {
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let mut stored = Vec::with_capacity(records.len());
            for record in records {
                stored.push(StoredRequest {
                    id: insert(&tx, record)?,
                    record: record.clone(),
                });
            }
            tx.commit()?;
            Ok(stored)
        })
    }

    /// The newest requests first, by arrival (refused ones are written a moment after their
    /// answer, so their ids may come after a later push's).
    pub fn recent_requests(&self, limit: usize) -> Result<Vec<StoredRequest>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, received_at, method, path, peer, event, call_id, auth, signature, status,
                 reason, body FROM requests ORDER BY received_at DESC, id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit as i64], |row| {
                Ok(StoredRequest {
                    id: row.get(0)?,
                    record: RequestRecord {
                        received_at: from_millis(row.get(1)?),
                        method: row.get(2)?,
                        path: row.get(3)?,
                        peer: row.get(4)?,
                        event: row.get(5)?,
                        call_id: row.get(6)?,
                        auth: row.get(7)?,
                        signature: row.get(8)?,
                        status: row.get(9)?,
                        reason: row.get(10)?,
                        body: row.get(11)?,
                    },
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// How many requests are stored.
    #[cfg(feature = "testing")]
    pub fn request_count(&self) -> Result<i64> {
        self.with(|conn| Ok(conn.query_row("SELECT count(*) FROM requests", [], |r| r.get(0))?))
    }
}
