//! Schema migrations: embedded, append-only, applied in one transaction. The schema
//! version is SQLite's `user_version`; a store from a newer version is refused.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// Never edit or reorder an entry: add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_events.sql"),
    include_str!("migrations/0003_linked_index.sql"),
    include_str!("migrations/0004_bootstrap_progress.sql"),
    include_str!("migrations/0005_timeline.sql"),
];

pub(crate) fn migrate(conn: &mut Connection, path: &str) -> Result<()> {
    run(conn, MIGRATIONS, path)
}

/// Applies the migrations `conn` lacks, in one transaction, refusing a database that
/// has more than `migrations` knows. Shared with the server's own schema.
pub fn run(conn: &mut Connection, migrations: &[&str], path: &str) -> Result<()> {
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
