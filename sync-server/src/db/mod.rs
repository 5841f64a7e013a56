//! The server's SQLite database: one file in WAL mode, `synchronous=FULL` (a push the
//! server acknowledged is on disk), `secure_delete` (erased text is overwritten).
//!
//! One connection behind a mutex: SQLite has one writer at a time anyway, and every
//! request's work is short. Callers run it on tokio's blocking pool.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_audit.sql"),
    include_str!("migrations/0003_people.sql"),
];

#[derive(Debug)]
pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &Path) -> anyhow::Result<Db> {
        Db::setup(Connection::open(path)?, &path.display().to_string())
    }

    pub fn open_in_memory() -> anyhow::Result<Db> {
        Db::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(mut conn: Connection, path: &str) -> anyhow::Result<Db> {
        lagesbild_core::store::configure(&conn, 32 * 1024)?;
        lagesbild_core::store::migrate::run(&mut conn, MIGRATIONS, path)?;
        // Every statement the server runs stays prepared: rusqlite keeps 16 by default,
        // fewer than the server's. And prepared means prepared: the bundled SQLite (built
        // with STAT4) otherwise plans some statements again for each new bound value,
        // which took a fifth of the server's CPU under the load benchmark.
        conn.set_prepared_statement_cache_capacity(256);
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    /// Runs `f` with the connection. Work that may panic (decoding untrusted Automerge
    /// bytes) is contained inside `f`, so the lock is never poisoned by it; if it ever
    /// is, the connection is still consistent (SQLite rolls back unfinished
    /// transactions), so the lock is taken back.
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }
}
