//! The device's local store: one SQLite file in WAL mode holding documents, the changes
//! not yet acknowledged by a server, projections for queries, the register, settings
//! and the sync cursor. The file is encrypted with SQLCipher (see `key`).
//!
//! Durability: `synchronous=FULL` makes every commit reach the disk before it returns,
//! so a call that returned `Ok` survives a crash, kill -9 or power loss.

mod bootstrap;
mod documents;
mod filter;
mod key;
mod local;
mod meetings;
pub mod migrate;
mod observations;
pub mod projection;
pub mod register;
mod sync;
mod widening;

use std::path::Path;

use automerge::ActorId;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::{Error, Result};
use crate::model::Identity;

pub use bootstrap::{BootstrapProgress, BootstrapStage};
pub use documents::{PendingChange, SizeStats};
pub use key::{MIN_PASSPHRASE, StoreKey, is_encrypted};
pub use local::Rehomed;
pub use meetings::DecisionDraft;
pub use observations::{ListQuery, ObservationFilter, ObservationRow};
pub use sync::{Applied, Credential, Delivery, RefusedChange, SyncState};

/// The file name of a store inside its directory.
pub const STORE_FILE: &str = "lagesbild.sqlite3";

#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: String,
    actor: ActorId,
}

impl Store {
    /// Opens (creating if needed) the encrypted store file at `path` with `key`. A plain
    /// file from before encryption is encrypted in place first; a wrong key is
    /// `Error::WrongKey`.
    pub fn open(path: &Path, key: &StoreKey) -> Result<Store> {
        let conn = key::open_keyed(path, key)?;
        Store::setup(conn, path.display().to_string())
    }

    /// A store that lives only in memory, for tests and throwaway work.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?, ":memory:".to_string())
    }

    fn setup(mut conn: Connection, path: String) -> Result<Store> {
        configure(&conn, 16 * 1024)?;
        migrate::migrate(&mut conn, &path)?;
        let actor = load_or_create_actor(&mut conn)?;
        Ok(Store { conn, path, actor })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The Automerge actor this device writes as.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// Moves everything in the write-ahead log into the main file and empties the log,
    /// waiting a bounded while for readers that hold it (see `empty_log`).
    pub fn checkpoint(&self) -> Result<()> {
        empty_log(|| checkpoint_once(&self.conn))
    }

    /// SQLite's own check of the file; `"ok"` when sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        setting(&self.conn, key)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        set_setting(&self.conn, key, value)
    }

    /// Who uses this device, if it has been initialised or enrolled.
    pub fn identity(&self) -> Result<Option<Identity>> {
        self.setting("identity")?
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| Error::corrupt(format!("the stored identity does not read: {e}")))
            })
            .transpose()
    }

    pub fn require_identity(&self) -> Result<Identity> {
        self.identity()?.ok_or(Error::NoIdentity)
    }

    pub fn set_identity(&mut self, identity: &Identity) -> Result<()> {
        let json = serde_json::to_string(identity)
            .map_err(|e| Error::corrupt(format!("identity does not serialise: {e}")))?;
        self.set_setting("identity", &json)
    }

    /// Runs `f` in an immediate (write-locking) transaction and commits it.
    fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>, &ActorId) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx, &self.actor)?;
        tx.commit()?;
        Ok(value)
    }
}

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Sets a connection up the way every Lägesbild database is kept, the device's and the
/// server's: WAL with `synchronous=FULL` (a commit that returned is on disk),
/// `secure_delete` (erased text is overwritten), foreign keys, and a page cache of
/// `cache_kib` KiB.
pub fn configure(conn: &Connection, cache_kib: i64) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" && mode != "memory" {
        return Err(Error::corrupt(format!(
            "the database cannot use WAL journaling (got {mode})"
        )));
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA cache_size = -{cache_kib};"
    ))?;
    Ok(())
}

/// How long `empty_log` keeps trying, and its first and longest pause between tries.
pub const LOG_PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);
const FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);
const LONGEST_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// One try at moving the write-ahead log into the main file and truncating it, without
/// waiting for readers: `true` when the log is empty now, `false` when a reader still
/// holds part of it (SQLite answers `busy`, or frames are left).
pub fn checkpoint_once(conn: &Connection) -> Result<bool> {
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let outcome = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
    });
    conn.busy_timeout(BUSY_TIMEOUT)?;
    match outcome {
        // Not in WAL mode (a database in memory): there is no log.
        Ok((0, log)) => Ok(log <= 0),
        Ok(_) => Ok(false),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Empties the write-ahead log, so that nothing erased can be read back from it: tries
/// `attempt` (a `checkpoint_once`) again with growing pauses while readers hold the
/// log, for `LOG_PATIENCE` at most; then says that it could not. The caller's locks
/// can be let go between tries: `attempt` takes them anew.
pub fn empty_log(mut attempt: impl FnMut() -> Result<bool>) -> Result<()> {
    let started = std::time::Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        if attempt()? {
            return Ok(());
        }
        let waited = started.elapsed();
        if waited >= LOG_PATIENCE {
            return Err(Error::LogNotEmptied {
                waited_ms: waited.as_millis() as u64,
            });
        }
        std::thread::sleep(pause.min(LOG_PATIENCE - waited));
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

pub(super) fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub(super) fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

fn load_or_create_actor(conn: &mut Connection) -> Result<ActorId> {
    if let Some(hex) = setting(conn, "actor_id")? {
        return ActorId::try_from(hex.as_str())
            .map_err(|_| Error::corrupt("the stored actor id is not hex"));
    }
    let actor = ActorId::random();
    set_setting(conn, "actor_id", &actor.to_hex_string())?;
    Ok(actor)
}

impl Store {
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database in WAL mode with a table, written once; its path.
    fn logged(dir: &Path) -> (Connection, std::path::PathBuf) {
        let path = dir.join("log.sqlite3");
        let conn = Connection::open(&path).unwrap();
        configure(&conn, 1024).unwrap();
        conn.execute_batch("CREATE TABLE t (text TEXT); INSERT INTO t VALUES ('erased');")
            .unwrap();
        (conn, path)
    }

    fn wal_len(path: &Path) -> u64 {
        std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len())
    }

    #[test]
    fn the_log_is_emptied_once_a_reader_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let (conn, path) = logged(dir.path());
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch("INSERT INTO t VALUES ('more')").unwrap();
        assert!(!checkpoint_once(&conn).unwrap(), "the reader holds the log");
        let mut tries = 0;
        let released = std::cell::Cell::new(Some(reader));
        empty_log(|| {
            tries += 1;
            if tries == 3 {
                // The reader finishes between two tries.
                released.take().unwrap().execute_batch("COMMIT").unwrap();
            }
            checkpoint_once(&conn)
        })
        .unwrap();
        assert_eq!(
            tries, 3,
            "tried while the reader held the log, and once more after it let go"
        );
        assert_eq!(wal_len(&path), 0, "nothing of the text is left in the log");
    }

    #[test]
    fn a_reader_that_holds_the_log_throughout_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (conn, path) = logged(dir.path());
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch("INSERT INTO t VALUES ('more')").unwrap();
        let started = std::time::Instant::now();
        let error = empty_log(|| checkpoint_once(&conn)).unwrap_err();
        assert!(matches!(error, Error::LogNotEmptied { .. }), "{error}");
        assert!(
            error
                .to_string()
                .contains("may remain in the database's write-ahead log"),
            "{error}"
        );
        assert!(
            started.elapsed() >= LOG_PATIENCE,
            "it kept trying for its patience"
        );
        assert!(started.elapsed() < LOG_PATIENCE * 2, "and then stopped");
        assert!(wal_len(&path) > 0);
    }
}
