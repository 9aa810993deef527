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
        if self.open {
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
