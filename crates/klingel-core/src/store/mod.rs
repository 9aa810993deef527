//! SQLite storage: contacts, the call log and the requests the listener received.
//!
//! Layout:
//! - `migrations` — the schema as an ordered list
//! - `contacts`   — contacts with their numbers, lookup by E.164 and switchboard prefix
//! - `import`     — contacts from a file: merge by number, one transaction, a report
//! - `number_owners` — an import's compact map of numbers to contacts
//! - `names`      — the sipgate account's names for people and lines
//! - `calls`      — calls with their legs, the log queries, seen and called-back marks
//! - `requests`   — the newest received requests, for diagnostics
//! - `events`     — the change log desks follow: one row per changed call or contact
//! - `desks`      — the office hub's desks and their hashed tokens
//! - `prepared_tx` — transactions and savepoints from cached statements, for the push writer
//!
//! One connection behind a `std::sync::Mutex`: pushes are rare and small, and async callers
//! reach the store through `spawn_blocking`. WAL keeps readers (the CLI, the window) from
//! blocking the listener.

pub mod blocklist;
pub mod calls;
mod contact_index;
pub mod contacts;
pub mod desks;
pub mod events;
pub mod import;
pub mod migrations;
pub mod names;
mod number_owners;
pub(crate) mod prepared_tx;
pub mod requests;
mod stored;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::phone::PhoneError;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// The data directory could not be created.
    #[error("cannot create {path}: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// A database file could not be made owner-only.
    #[error("cannot make {path} private: {source}")]
    Protect {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// Stored JSON did not decode (a bug or a foreign write).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A contact needs a name.
    #[error("a contact needs a name")]
    EmptyName,
    /// One of the contact's numbers cannot be read.
    #[error("number {position} ({input:?}): {reason}")]
    InvalidNumber {
        /// 1-based position in the contact's number list.
        position: usize,
        /// What was typed.
        input: String,
        /// Why it is not a number.
        reason: PhoneError,
    },
    /// No contact with this id.
    #[error("no contact with id {0}")]
    ContactNotFound(i64),
    /// A number already belongs to another contact: one number, one contact.
    #[error("number {position} ({input:?}) already belongs to {owner_name}")]
    DuplicateNumber {
        /// 1-based position in the contact's number list.
        position: usize,
        /// What was typed.
        input: String,
        /// The contact the number belongs to.
        owner: i64,
        /// That contact's name.
        owner_name: String,
    },
    /// No call with this id.
    #[error("no call with id {0}")]
    CallNotFound(i64),
    /// An active desk already has this name.
    #[error("a desk called {0:?} exists already")]
    DeskExists(String),
    /// No active desk has this name.
    #[error("no desk called {0:?}")]
    DeskNotFound(String),
    /// The record changed since the version the writer based its change on.
    #[error("changed meanwhile: now at version {current}")]
    Stale {
        /// The version it is at now.
        current: i64,
    },
    /// Someone marked the missed call handled first.
    #[error("already handled by {} ({})", .0.by_name, crate::time_fmt::rfc3339(.0.at))]
    AlreadyHandled(Box<crate::domain::Handled>),
    /// Only a missed incoming call is a to-do.
    #[error("call {0} is not a missed call")]
    NotMissed(i64),
    /// The commit shared by a group of pushes failed: each push in the group gets this.
    #[error("{0}")]
    GroupCommit(Arc<StoreError>),
    /// The thread that stores pushes is gone (it panicked): nothing more can be stored.
    #[error("the push writer has stopped")]
    WriterStopped,
}

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database, shared by the listener, the CLI and the window.
#[derive(Clone, Debug)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    /// The contacts view's search, in memory.
    contact_index: contact_index::ContactIndex,
    /// Bumped by this store's writes to whose a number is: contacts, the blocklist, the
    /// account's names. With SQLite's `data_version` (other connections' writes) it tells
    /// the push writer when what it remembers of callers is stale.
    book_generation: Arc<AtomicU64>,
}

/// What a reader knew the book as: equal stamps mean no contact, blocklist entry or account
/// name changed in between, through this store or any other connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BookStamp {
    data_version: i64,
    generation: u64,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    #[tracing::instrument(err)]
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_files::private_dir(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let protect = |file: &Path, source| StoreError::Protect {
            path: file.to_path_buf(),
            source,
        };
        crate::private_files::create_private(path).map_err(|e| protect(path, e))?;
        let mut conn = Connection::open(path)?;
        // Per-connection settings, not migrations: WAL so readers never block the listener,
        // FULL sync so an acknowledged push survives a power cut, a busy timeout so the CLI
        // and the window can write while the listener runs.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Statement journals and sort trees in memory: a write that fires the change log's
        // triggers opens a statement journal, which on disk made an import ten times slower.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        tune_connection(&conn)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        migrations::migrations().to_latest(&mut conn)?;
        // Who called whom is nobody else's business: the database and its WAL files are
        // owner-only (SQLite gives new WAL files the database file's mode).
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let file = Path::new(&file);
            crate::private_files::private_file(file).map_err(|e| protect(file, e))?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            contact_index: contact_index::ContactIndex::default(),
            book_generation: Arc::default(),
        })
    }

    /// A second connection to an existing, migrated database, for reading only (the hub's
    /// feed): its reads never wait for the writers' lock.
    pub fn open_reader(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        tune_connection(&conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            contact_index: contact_index::ContactIndex::default(),
            book_generation: Arc::default(),
        })
    }

    /// Runs `f` with the connection. Never call from async code without `spawn_blocking`.
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut guard = self.lock();
        f(&mut guard)
    }

    /// Notes that this store changed a contact: the search index and callers are stale.
    pub(crate) fn contacts_changed(&self) {
        self.contact_index.contacts_changed();
        self.book_changed();
    }

    /// Notes that this store changed whose a number is or how it is named (the blocklist,
    /// the account's names). Called inside [`Store::with`], after the commit: the push
    /// writer reads the stamp under the same lock, so it never misses a bump.
    pub(crate) fn book_changed(&self) {
        self.book_generation.fetch_add(1, Ordering::Release);
    }

    /// The book as `conn` sees it now (call inside the transaction whose reads it stamps).
    pub(crate) fn book_stamp(&self, conn: &Connection) -> Result<BookStamp> {
        Ok(BookStamp {
            data_version: data_version(conn)?,
            generation: self.book_generation.load(Ordering::Acquire),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-written state behind (SQLite rolls back
        // the open transaction), so the connection stays usable.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Prepared statements a connection keeps. A round of pushes runs about thirty different
/// statements (a call, its legs, the caller, the request record, the change log), more than
/// rusqlite's default of 16, so with the default every push parsed and planned some again.
const STATEMENT_CACHE: usize = 64;

/// Every statement kept prepared, memory-mapped reads and a small page cache. A lookup in a
/// book of a million contacts reads its index pages from the map, without a system call or a
/// copy, so the cache mostly holds pages being written.
fn tune_connection(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    // Negative: KiB. Small on purpose: when a B-tree page splits, SQLite parks a page at a far
    // page number for a moment, and the commit then scans the cache's whole hash table to drop
    // it. With a 32 MiB cache that scan took 5 % of the push writer's time.
    conn.pragma_update(None, "cache_size", -2_048)?;
    // Only reads are mapped; writes still go through the WAL and its syncs.
    conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024)?;
    Ok(())
}

/// SQLite's count of commits by other connections, as `conn` has seen them: a change means
/// someone else wrote since `conn` last looked.
pub(crate) fn data_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("PRAGMA data_version")?
        .query_row([], |row| row.get(0))
}

/// Begins a write transaction that takes the write lock at once (IMMEDIATE). A deferred one
/// reads first and then asks for the lock; when another connection (the CLI, an import, the
/// window) wrote in between, SQLite refuses that upgrade with SQLITE_BUSY without waiting. An
/// immediate one waits for the lock (up to the busy timeout) and then sees the newest data, so
/// contention delays a write instead of failing it.
pub(crate) fn write_transaction(conn: &mut Connection) -> rusqlite::Result<Transaction<'_>> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
}

/// A JSON array of `items`, for `json_each` in a query: one parameter for any number of keys.
pub(crate) fn json_list<T: serde::Serialize>(items: &T) -> Result<String> {
    serde_json::to_string(items).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// What the store's own unit tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Store;
    use crate::domain::{ContactInput, NumberInput};

    /// A store in a fresh temporary directory (kept alive by the returned guard).
    pub fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("klingel.db")).expect("open store");
        (dir, store)
    }

    /// A contact with one number.
    pub fn contact(name: &str, number: &str) -> ContactInput {
        ContactInput {
            name: name.into(),
            numbers: vec![NumberInput {
                number: number.into(),
                ..NumberInput::default()
            }],
            ..ContactInput::default()
        }
    }
}
