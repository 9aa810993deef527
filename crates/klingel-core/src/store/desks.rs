//! The hub's desks: names, the sipgate users they pop up for, and their token hashes.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{write_transaction, Result, Store, StoreError};
use crate::domain::{Desk, DEFAULT_PERMS};
use crate::time_fmt::{from_millis, to_millis};

/// A desk as the hub checks it: the record and the hash its token must match.
#[derive(Debug, Clone)]
pub struct DeskCredential {
    /// The desk.
    pub desk: Desk,
    /// SHA-256 of its token.
    pub token_hash: Vec<u8>,
}

fn json_strings(text: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn desk_row(row: &Row<'_>) -> rusqlite::Result<Desk> {
    Ok(Desk {
        id: row.get("id")?,
        name: row.get("name")?,
        sipgate_user_ids: json_strings(&row.get::<_, String>("sipgate_user_ids")?)?,
        all_calls: row.get("all_calls")?,
        perms: json_strings(&row.get::<_, String>("perms")?)?,
        created_at: from_millis(row.get("created_at")?),
        revoked_at: row.get::<_, Option<i64>>("revoked_at")?.map(from_millis),
        last_seen_at: row.get::<_, Option<i64>>("last_seen_at")?.map(from_millis),
        last_seq: row.get("last_seq")?,
    })
}

/// One desk with its token hash, revoked or not.
pub(crate) fn credential(conn: &Connection, id: i64) -> Result<Option<DeskCredential>> {
    Ok(conn
        .prepare_cached("SELECT * FROM desks WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(DeskCredential {
                desk: desk_row(row)?,
                token_hash: row.get("token_hash")?,
            })
        })
        .optional()?)
}

/// The ids of revoked desks among `ids`.
pub(crate) fn revoked_among(conn: &Connection, ids: &[i64]) -> Result<Vec<i64>> {
    let ids = super::json_list(&ids)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM desks WHERE revoked_at IS NOT NULL
         AND id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = stmt.query_map([ids], |row| row.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// Adds a desk. `token_for(id)` makes its token from the new id and returns it with its
    /// hash; only the hash is stored. Returns the desk and the token.
    pub fn add_desk(
        &self,
        name: &str,
        sipgate_user_ids: &[String],
        all_calls: bool,
        token_for: impl FnOnce(i64) -> (String, Vec<u8>),
    ) -> Result<(Desk, String)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::EmptyName);
        }
        self.with(|conn| {
            let tx = write_transaction(conn)?;
            let taken: bool = tx.query_row(
                "SELECT count(*) > 0 FROM desks WHERE name = ?1 AND revoked_at IS NULL",
                [name],
                |row| row.get(0),
            )?;
            if taken {
                return Err(StoreError::DeskExists(name.to_string()));
            }
            tx.execute(
                "INSERT INTO desks (name, token_hash, sipgate_user_ids, all_calls, perms, created_at)
                 VALUES (?1, x'', ?2, ?3, ?4, ?5)",
                params![
                    name,
                    super::json_list(&sipgate_user_ids)?,
                    all_calls,
                    super::json_list(&DEFAULT_PERMS)?,
                    to_millis(crate::time_fmt::now())
                ],
            )?;
            let id = tx.last_insert_rowid();
            let (token, hash) = token_for(id);
            tx.execute(
                "UPDATE desks SET token_hash = ?2 WHERE id = ?1",
                params![id, hash],
            )?;
            let desk = tx.query_row("SELECT * FROM desks WHERE id = ?1", [id], desk_row)?;
            tx.commit()?;
            Ok((desk, token))
        })
    }

    /// Every desk, oldest first, revoked ones included.
    pub fn desks(&self) -> Result<Vec<Desk>> {
        self.with(|conn| {
            let mut stmt = conn.prepare_cached("SELECT * FROM desks ORDER BY id")?;
            let rows = stmt.query_map([], desk_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Revokes the active desk called `name`: its token stops working at once.
    pub fn revoke_desk(&self, name: &str) -> Result<Desk> {
        self.with(|conn| {
            conn.prepare_cached(
                "UPDATE desks SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL
                 RETURNING *",
            )?
            .query_row(
                params![name.trim(), to_millis(crate::time_fmt::now())],
                desk_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::DeskNotFound(name.trim().to_string()))
        })
    }

    /// One desk with its token hash.
    pub fn desk_credential(&self, id: i64) -> Result<Option<DeskCredential>> {
        self.with(|conn| credential(conn, id))
    }

    /// Notes when a desk was last seen and the last event sent to it.
    pub fn touch_desk(&self, id: i64, last_seq: Option<i64>) -> Result<()> {
        self.with(|conn| {
            conn.prepare_cached(
                "UPDATE desks SET last_seen_at = ?2, last_seq = coalesce(?3, last_seq)
                 WHERE id = ?1",
            )?
            .execute(params![id, to_millis(crate::time_fmt::now()), last_seq])?;
            Ok(())
        })
    }
}
