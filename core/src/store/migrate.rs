//! The device store's schema migrations: embedded, append-only (`sqlite::migrate` applies
//! them).

use rusqlite::Connection;

use crate::error::Result;

/// Never edit or reorder an entry: add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_events.sql"),
    include_str!("migrations/0003_linked_index.sql"),
    include_str!("migrations/0004_bootstrap_progress.sql"),
    include_str!("migrations/0005_timeline.sql"),
    include_str!("migrations/0006_efforts.sql"),
    include_str!("migrations/0007_outlines.sql"),
    include_str!("migrations/0008_kind_index.sql"),
    include_str!("migrations/0009_change_kept_once.sql"),
];

pub(crate) fn migrate(conn: &mut Connection, path: &str) -> Result<()> {
    crate::sqlite::migrate(conn, MIGRATIONS, path)
}
