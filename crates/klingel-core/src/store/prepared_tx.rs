//! Transactions and savepoints begun and ended by cached statements, for the push writer.
//!
//! rusqlite's `Transaction` and `Savepoint` send `BEGIN`, `SAVEPOINT`, `RELEASE` and `COMMIT`
//! as fresh SQL, which SQLite parses every time. The push writer opens a transaction per group
//! and a savepoint per push, so it keeps those statements prepared instead.

use std::ops::Deref;

use rusqlite::Connection;

use super::Result;

/// A write transaction that took the write lock at once (`BEGIN IMMEDIATE`, see
/// [`super::write_transaction`]); rolled back when dropped without [`Self::commit`].
pub(crate) struct PreparedTransaction<'c> {
    conn: &'c Connection,
    open: bool,
}

impl<'c> PreparedTransaction<'c> {
    /// Begins the transaction, waiting for the write lock up to the busy timeout.
    pub(crate) fn begin(conn: &'c Connection) -> Result<Self> {
        run(conn, "BEGIN IMMEDIATE")?;
        Ok(Self { conn, open: true })
    }

    /// Commits; on an error the transaction is rolled back when `self` drops.
    pub(crate) fn commit(mut self) -> Result<()> {
        run(self.conn, "COMMIT")?;
        self.open = false;
        Ok(())
    }

    /// Runs `f` inside a savepoint: when `f` fails, only its own writes are taken back and
    /// the transaction goes on. The outer error is the savepoint's own (the whole transaction
    /// is then in doubt); the inner one is `f`'s.
    pub(crate) fn savepoint<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<Result<T>> {
        run(self.conn, "SAVEPOINT push")?;
        let result = f(self.conn);
        if result.is_err() {
            run(self.conn, "ROLLBACK TO push")?;
        }
        run(self.conn, "RELEASE push")?;
        Ok(result)
    }
}

impl Deref for PreparedTransaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for PreparedTransaction<'_> {
    fn drop(&mut self) {
        // SQLite may have rolled back already (a full disk, an I/O error): nothing to undo.
        if self.open && !self.conn.is_autocommit() {
            // Nothing to report to: the caller already has the error that brought it here.
            if let Err(e) = run(self.conn, "ROLLBACK") {
                tracing::warn!("cannot roll back a failed write: {e}");
            }
        }
    }
}

/// Runs one of the transaction statements above from the connection's statement cache.
fn run(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::PreparedTransaction;
    use crate::store::StoreError;
    use rusqlite::Connection;

    fn notes() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("temp dir");
        let conn = Connection::open(dir.path().join("notes.db")).expect("open");
        conn.execute_batch("CREATE TABLE notes (text TEXT NOT NULL)")
            .expect("table");
        (dir, conn)
    }

    fn stored(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT text FROM notes ORDER BY rowid")
            .expect("query");
        let rows = stmt.query_map([], |row| row.get(0)).expect("rows");
        rows.collect::<rusqlite::Result<_>>().expect("texts")
    }

    fn note(conn: &Connection, text: &str) -> crate::store::Result<()> {
        conn.execute("INSERT INTO notes (text) VALUES (?1)", [text])?;
        Ok(())
    }

    #[test]
    fn a_failed_savepoint_takes_back_only_its_own_writes() {
        let (_dir, conn) = notes();
        let tx = PreparedTransaction::begin(&conn).expect("begin");
        let first = tx.savepoint(|conn| note(conn, "first")).expect("savepoint");
        let failed = tx
            .savepoint(|conn| {
                note(conn, "half")?;
                Err::<(), _>(StoreError::EmptyName)
            })
            .expect("savepoint");
        let last = tx.savepoint(|conn| note(conn, "last")).expect("savepoint");
        tx.commit().expect("commit");
        assert!(first.is_ok() && last.is_ok());
        assert!(matches!(failed, Err(StoreError::EmptyName)));
        assert_eq!(stored(&conn), ["first", "last"]);
    }

    #[test]
    fn a_transaction_dropped_without_commit_is_rolled_back() {
        let (_dir, conn) = notes();
        {
            let tx = PreparedTransaction::begin(&conn).expect("begin");
            note(&tx, "never").expect("insert");
        }
        assert!(conn.is_autocommit(), "no transaction left open");
        assert!(stored(&conn).is_empty());
        // The same cached statements serve the next transaction.
        let tx = PreparedTransaction::begin(&conn).expect("begin again");
        note(&tx, "kept").expect("insert");
        tx.commit().expect("commit");
        assert_eq!(stored(&conn), ["kept"]);
    }
}
