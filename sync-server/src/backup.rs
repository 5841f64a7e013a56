//! Backups: a consistent copy of a SQLite server's database taken while it serves, and
//! its restore into SQLite or PostgreSQL. A restore starts a new timeline: devices go
//! back to the sequence number the backup reached and send again the changes they made
//! after it, which the backup lacks (pushes are idempotent, so what it has is answered
//! `duplicate`).

use std::path::Path;

use anyhow::{Context, Result, bail, ensure};
use lagesbild_core::sync::wire::Timeline;
use rusqlite::{Connection, OpenFlags};

use crate::Service;
use crate::storage::{Postgres, Sqlite, is_postgres_url};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub documents: i64,
    pub feed_head: i64,
    pub bytes: u64,
}

/// Copies the SQLite database at `database` to `to` as one snapshot, while the server
/// serves (a reader in WAL mode holds no writer up). The copy is checked, then renamed
/// into place, so `to` is never a half-written backup.
pub fn backup(database: &str, to: &Path) -> Result<Summary> {
    if is_postgres_url(database) {
        bail!(
            "back up PostgreSQL with its own tools (pg_dump, or pg_basebackup with WAL archiving); \
             after restoring with them, run `restore` without a file to start a new timeline"
        );
    }
    ensure!(
        Path::new(database).exists(),
        "{database} does not exist: name the server's database"
    );
    ensure!(
        !to.exists(),
        "{} exists already: name a new file",
        to.display()
    );
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    // `VACUUM INTO` fills an empty file it is given and keeps its permissions: the
    // backup holds every report, readable by this user only.
    crate::storage::private_file(&partial)?;
    let conn = Connection::open_with_flags(database, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = partial
        .to_str()
        .context("the backup's path is not valid UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target])
        .context("the snapshot could not be written")?;
    let summary = check(&partial)?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, to)?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(summary)
}

/// Restores the backup `from` into `database`: a SQLite file that does not exist yet,
/// or an empty PostgreSQL database. Without `from`, `database` is a PostgreSQL database
/// its operators restored with PostgreSQL's tools: only the new timeline is started.
/// Answers the timeline and what the backup held.
pub fn restore(from: Option<&Path>, database: &str) -> Result<(Timeline, Option<Summary>)> {
    let summary = match (from, is_postgres_url(database)) {
        (Some(from), false) => {
            let summary = check(from)?;
            let target = Path::new(database);
            ensure!(
                !target.exists(),
                "{database} exists: move it away first (it may hold what you want to keep), then restore"
            );
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{database}{suffix}"));
            }
            let partial = target.with_extension("restoring");
            let _ = std::fs::remove_file(&partial);
            crate::storage::private_file(&partial)?;
            std::fs::copy(from, &partial)?;
            // `copy` gives the copy the backup's permissions: this user only, again.
            crate::storage::private_file(&partial)?;
            std::fs::File::open(&partial)?.sync_all()?;
            std::fs::rename(&partial, target)?;
            Some(summary)
        }
        (Some(from), true) => {
            let summary = check(from)?;
            crate::storage::copy::sqlite_to_postgres(from, database)
                .context("the restore into PostgreSQL failed; nothing was stored there")?;
            Some(summary)
        }
        (None, true) => None,
        (None, false) => bail!("name the backup file to restore"),
    };
    let service = match is_postgres_url(database) {
        true => Service::new(Postgres::open(database)?),
        false => Service::new(Sqlite::open(Path::new(database))?),
    };
    let timeline = service.start_timeline().map_err(|e| anyhow::anyhow!(e))?;
    Ok((timeline, summary))
}

/// Checks that `path` is a whole Lägesbild server database, and says what it holds.
fn check(path: &Path) -> Result<Summary> {
    ensure!(path.exists(), "{} does not exist", path.display());
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    ensure!(
        integrity == "ok",
        "{} is damaged: {integrity}",
        path.display()
    );
    let (documents, feed_head) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM documents), (SELECT COALESCE(MAX(seq), 0) FROM feed)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .with_context(|| format!("{} is not a Lägesbild server's database", path.display()))?;
    Ok(Summary {
        documents,
        feed_head,
        bytes: std::fs::metadata(path)?.len(),
    })
}
