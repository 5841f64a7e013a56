//! How every Lägesbild SQLite database is kept, the device's store and the server's
//! embedded database alike: the connection's set-up, the migration runner, and emptying
//! the write-ahead log after an erasure. Schema versions are SQLite's `user_version`;
//! migrations are embedded, append-only and applied in one transaction, and a database
//! from a newer version is refused.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

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

/// Applies the migrations `conn` lacks, in one transaction, refusing a database that
/// has more than `migrations` knows. Shared with the server's own schema.
pub fn migrate(conn: &mut Connection, migrations: &[&str], path: &str) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let supported = migrations.len() as i64;
    if found > supported {
        return Err(Error::StoreTooNew {
            path: path.to_string(),
            found,
            supported,
        });
    }
    for sql in &migrations[usize::try_from(found).unwrap_or(0)..] {
        tx.execute_batch(sql)?;
    }
    if found < supported {
        tx.pragma_update(None, "user_version", supported)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

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
