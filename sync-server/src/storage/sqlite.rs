//! The embedded backend: one SQLite file in WAL mode, `synchronous=FULL` (a push the
//! server acknowledged is on disk), `secure_delete` (erased text is overwritten).
//!
//! One connection writes (SQLite has one writer at a time anyway); a few more, opened
//! read-only, read, so a push never waits behind the long polls that wake together and
//! read while it writes (WAL lets readers and the writer run at once). Every request's
//! work is short; callers run it on tokio's blocking pool.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use lagesbild_core::sqlite::{checkpoint_once, empty_log};
use lagesbild_core::sync::wire::{AuditEntry, DeviceSummary, Membership, Person, Timeline};
use lagesbild_core::{
    Category, DeviceId, Organisation, OrganisationId, Place, PlaceId, Role, Timestamp, UserId,
    Workspace, WorkspaceId,
};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::{
    ActiveDevice, Changed, CodeRow, DeviceInfo, DeviceRow, FailedEnrolment, FailedEnrolments,
    FeedRow, Held, MemberRow, NewAudit, NewChange, NewDevice, ProjectionRow, PutDocument, Result,
    Standing, Storage, StorageError, StoredDocument, TokenRow, Tx, stamp,
};

const MIGRATIONS: &[&str] = &[
    include_str!("sqlite/0001_initial.sql"),
    include_str!("sqlite/0002_audit.sql"),
    include_str!("sqlite/0003_people.sql"),
    include_str!("sqlite/0004_newest_first.sql"),
    include_str!("sqlite/0005_timeline.sql"),
    include_str!("sqlite/0006_device_workspace.sql"),
    include_str!("sqlite/0007_outlines.sql"),
];

/// Creates `path` if it is missing, readable and writable by this user only (0600),
/// and takes group's and others' access away from a file made before.
pub fn private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    options.open(path)?;
    Ok(())
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Internal(e.to_string())
    }
}

/// Connections that only read: as many as there are cores to read on.
fn readers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4))
}

#[derive(Debug)]
pub struct Sqlite {
    conn: Mutex<Connection>,
    /// Read-only connections to the same file; none for a database in memory, which
    /// reads on `conn`.
    readers: Vec<Mutex<Connection>>,
    /// Where the next reader is looked for first.
    next_reader: std::sync::atomic::AtomicUsize,
}

impl Sqlite {
    /// Opens (or creates) the database at `path`. It holds every report and credential:
    /// the file is made readable by the server's user only, and so are its log and
    /// shared-memory files, which SQLite creates with the database's permissions.
    pub fn open(path: &Path) -> anyhow::Result<Sqlite> {
        private_file(path)?;
        for suffix in ["-wal", "-shm"] {
            let mut companion = path.as_os_str().to_owned();
            companion.push(suffix);
            let companion = Path::new(&companion);
            if companion.exists() {
                private_file(companion)?;
            }
        }
        let mut sqlite = Sqlite::setup(Connection::open(path)?, &path.display().to_string())?;
        for _ in 0..readers() {
            let conn = Connection::open_with_flags(
                path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            conn.execute_batch("PRAGMA cache_size = -8192;")?;
            sqlite.readers.push(Mutex::new(Sqlite::prepared(conn)?));
        }
        Ok(sqlite)
    }

    pub fn open_in_memory() -> anyhow::Result<Sqlite> {
        Sqlite::setup(Connection::open_in_memory()?, ":memory:")
    }

    fn setup(mut conn: Connection, path: &str) -> anyhow::Result<Sqlite> {
        lagesbild_core::sqlite::configure(&conn, 32 * 1024)?;
        lagesbild_core::sqlite::migrate(&mut conn, MIGRATIONS, path)?;
        Ok(Sqlite {
            conn: Mutex::new(Sqlite::prepared(conn)?),
            readers: Vec::new(),
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    fn prepared(conn: Connection) -> anyhow::Result<Connection> {
        // Every statement the server runs stays prepared: rusqlite keeps 16 by default,
        // fewer than the server's. And prepared means prepared: the bundled SQLite (built
        // with STAT4) otherwise plans some statements again for each new bound value,
        // which took a fifth of the server's CPU under the load benchmark.
        conn.set_prepared_statement_cache_capacity(256);
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(conn)
    }

    /// The connection. A panic while it was held leaves it consistent (SQLite rolls
    /// back unfinished transactions, and `SqliteTx` does on drop), so the lock is taken
    /// back.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A reader: the first free one, so that one client reading page after page keeps
    /// to one connection and its warm cache; when all are busy, the next in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return self.lock();
        }
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(conn) => return conn,
                Err(std::sync::TryLockError::Poisoned(e)) => return e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let next = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.readers[next % self.readers.len()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn begin(&self, sql: Option<&str>) -> Result<Box<dyn Tx + '_>> {
        self.begin_on(self.lock(), sql)
    }

    fn begin_on<'a>(
        &'a self,
        conn: MutexGuard<'a, Connection>,
        sql: Option<&str>,
    ) -> Result<Box<dyn Tx + 'a>> {
        if let Some(sql) = sql {
            conn.execute_batch(sql)?;
        }
        Ok(Box::new(SqliteTx {
            conn,
            open: sql.is_some(),
        }))
    }
}

impl Storage for Sqlite {
    fn read(&self) -> Result<Box<dyn Tx + '_>> {
        // One read transaction: one snapshot, and one lock on the file, not one for each
        // statement (under load those locks were a tenth of the server's time).
        self.begin_on(self.reader(), Some("BEGIN DEFERRED"))
    }

    fn single(&self) -> Result<Box<dyn Tx + '_>> {
        self.begin_on(self.reader(), None)
    }

    fn write(&self) -> Result<Box<dyn Tx + '_>> {
        self.begin(Some("BEGIN IMMEDIATE"))
    }

    fn purge(&self) -> Result<()> {
        // Move the log into the main file and empty it, so no copy of the text stays;
        // readers (long polls reading the feed) may hold it a moment. Writers wait only
        // for one try at a time, not for the pauses between.
        empty_log(|| checkpoint_once(&self.lock()))
            .map_err(|e| StorageError::Internal(e.to_string()))
    }

    fn rewrite(&self) -> Result<()> {
        // Nothing of deleted rows is left (`secure_delete`); this also gives the freed
        // pages back to the file system.
        self.lock().execute_batch("VACUUM")?;
        self.purge()
    }

    fn listen(&self, _changed: Box<dyn Fn(Changed) + Send + Sync>) -> Result<()> {
        // One file, one server process. The command line may change devices behind its
        // back: the credentials it knows for long polls expire quickly for that.
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

struct SqliteTx<'a> {
    conn: MutexGuard<'a, Connection>,
    open: bool,
}

impl Drop for SqliteTx<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

const ORGANISATION: &str = "SELECT id, workspace_id, name, kind FROM organisations";
const PLACE: &str = "SELECT id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into, outline FROM places";
const CATEGORY: &str = "SELECT key, parent, name_sv, name_en, retired, sort FROM categories";

fn organisation(r: &Row<'_>) -> rusqlite::Result<Organisation> {
    Ok(Organisation {
        id: r.get(0)?,
        workspace: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
    })
}

fn place(r: &Row<'_>) -> rusqlite::Result<Place> {
    Ok(Place {
        id: r.get(0)?,
        workspace: r.get(1)?,
        name: r.get(2)?,
        kind: r.get(3)?,
        area: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
        retired: r.get(7)?,
        merged_into: r.get(8)?,
        outline: json_column(r, 9)?,
    })
}

/// A JSON text column as the value it holds; NULL as none.
fn json_column<T: serde::de::DeserializeOwned>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    r.get::<_, Option<String>>(i)?
        .map(|text| {
            serde_json::from_str(&text).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })
        })
        .transpose()
}

fn category(r: &Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category {
        key: r.get(0)?,
        parent: r.get(1)?,
        name_sv: r.get(2)?,
        name_en: r.get(3)?,
        retired: r.get(4)?,
        sort: r.get(5)?,
    })
}

fn labels(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<[String; 5]>> {
    let text: Option<String> = r.get(i)?;
    Ok(text.and_then(|l| serde_json::from_str(&l).ok()))
}

fn uuid(bytes: &[u8]) -> rusqlite::Result<Uuid> {
    Uuid::from_slice(bytes).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn stored_document(r: &Row<'_>, at: usize) -> rusqlite::Result<StoredDocument> {
    Ok(StoredDocument {
        kind: r.get(at)?,
        bytes: r.get(at + 1)?,
        org: r.get(at + 2)?,
        visibility: r.get(at + 3)?,
        projection: r.get(at + 4)?,
    })
}

impl SqliteTx<'_> {
    fn all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, f)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row(params, f)
            .optional()?)
    }

    fn run(&self, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        Ok(self.conn.prepare_cached(sql)?.execute(params)?)
    }
}

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.open {
            self.conn.execute_batch("COMMIT")?;
            self.open = false;
        }
        Ok(())
    }

    fn workspace(&mut self, id: WorkspaceId) -> Result<Option<(Workspace, i64)>> {
        self.one(
            "SELECT name, grade_labels, register_version, tiles FROM workspaces WHERE id = ?1",
            [id],
            |r| {
                let workspace = Workspace {
                    id,
                    name: r.get(0)?,
                    grade_labels: labels(r, 1)?,
                    tiles: r.get(3)?,
                };
                Ok((workspace, r.get(2)?))
            },
        )
    }

    fn workspaces(&mut self) -> Result<Vec<Workspace>> {
        self.all(
            "SELECT id, name, grade_labels, tiles FROM workspaces ORDER BY name",
            [],
            |r| {
                Ok(Workspace {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    grade_labels: labels(r, 2)?,
                    tiles: r.get(3)?,
                })
            },
        )
    }

    fn save_workspace(&mut self, workspace: &Workspace) -> Result<()> {
        let labels = workspace
            .grade_labels
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError::Internal(e.to_string()))?;
        self.run(
            "INSERT INTO workspaces (id, name, grade_labels, tiles) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
               grade_labels = excluded.grade_labels, tiles = excluded.tiles",
            params![workspace.id, workspace.name, labels, workspace.tiles],
        )?;
        Ok(())
    }

    fn bump_register(&mut self, workspace: WorkspaceId) -> Result<()> {
        self.run(
            "UPDATE workspaces SET register_version = register_version + 1 WHERE id = ?1",
            [workspace],
        )?;
        Ok(())
    }

    fn organisations(&mut self, workspace: WorkspaceId) -> Result<Vec<Organisation>> {
        self.all(
            &format!("{ORGANISATION} WHERE workspace_id = ?1 ORDER BY name"),
            [workspace],
            organisation,
        )
    }

    fn save_organisation(&mut self, org: &Organisation) -> Result<()> {
        self.run(
            "INSERT INTO organisations (id, workspace_id, name, kind) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
            params![org.id, org.workspace, org.name, org.kind],
        )?;
        Ok(())
    }

    fn places(&mut self, workspace: WorkspaceId) -> Result<Vec<Place>> {
        let mut places = self.all(
            &format!("{PLACE} WHERE workspace_id = ?1"),
            [workspace],
            place,
        )?;
        super::sort_places(&mut places);
        Ok(places)
    }

    fn place(&mut self, id: PlaceId) -> Result<Option<Place>> {
        self.one(&format!("{PLACE} WHERE id = ?1"), [id], place)
    }

    fn save_place(&mut self, p: &Place) -> Result<()> {
        self.run(
            "INSERT INTO places (id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into, outline)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
               area_id = excluded.area_id, lat = excluded.lat, lon = excluded.lon,
               retired = excluded.retired, merged_into = excluded.merged_into,
               outline = excluded.outline",
            params![
                p.id,
                p.workspace,
                p.name,
                p.kind,
                p.area,
                p.lat,
                p.lon,
                p.retired,
                p.merged_into,
                super::outline_json(p)?
            ],
        )?;
        Ok(())
    }

    fn categories(&mut self, workspace: WorkspaceId) -> Result<Vec<Category>> {
        self.all(
            &format!("{CATEGORY} WHERE workspace_id = ?1 ORDER BY sort, key"),
            [workspace],
            category,
        )
    }

    fn category(&mut self, workspace: WorkspaceId, key: &str) -> Result<Option<Category>> {
        self.one(
            &format!("{CATEGORY} WHERE workspace_id = ?1 AND key = ?2"),
            params![workspace, key],
            category,
        )
    }

    fn save_category(&mut self, workspace: WorkspaceId, c: &Category) -> Result<()> {
        self.run(
            "INSERT INTO categories (workspace_id, key, parent, name_sv, name_en, retired, sort)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (workspace_id, key) DO UPDATE SET parent = excluded.parent,
               name_sv = excluded.name_sv, name_en = excluded.name_en, retired = excluded.retired,
               sort = excluded.sort",
            params![
                workspace, c.key, c.parent, c.name_sv, c.name_en, c.retired, c.sort
            ],
        )?;
        Ok(())
    }

    fn user_name(&mut self, user: UserId) -> Result<Option<String>> {
        self.one("SELECT name FROM users WHERE id = ?1", [user], |r| r.get(0))
    }

    fn add_user(&mut self, user: UserId, name: &str) -> Result<()> {
        self.run(
            "INSERT INTO users (id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![user, name],
        )?;
        Ok(())
    }

    fn membership(&mut self, user: UserId, workspace: WorkspaceId) -> Result<Option<MemberRow>> {
        self.one(
            "SELECT m.organisation_id, o.kind, m.role, u.name, m.active FROM memberships m
             JOIN organisations o ON o.id = m.organisation_id
             JOIN users u ON u.id = m.user_id
             WHERE m.user_id = ?1 AND m.workspace_id = ?2",
            params![user, workspace],
            |r| {
                Ok(MemberRow {
                    organisation: r.get(0)?,
                    organisation_kind: r.get(1)?,
                    role: r.get(2)?,
                    user_name: r.get(3)?,
                    active: r.get(4)?,
                })
            },
        )
    }

    fn put_membership(
        &mut self,
        user: UserId,
        workspace: WorkspaceId,
        organisation: OrganisationId,
        role: Role,
    ) -> Result<()> {
        self.run(
            "INSERT INTO memberships (user_id, workspace_id, organisation_id, role) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_id, workspace_id) DO UPDATE SET organisation_id = excluded.organisation_id,
               role = excluded.role",
            params![user, workspace, organisation, role],
        )?;
        Ok(())
    }

    fn set_active(&mut self, user: UserId, workspace: WorkspaceId, active: bool) -> Result<()> {
        self.run(
            "UPDATE memberships SET active = ?3 WHERE user_id = ?1 AND workspace_id = ?2",
            params![user, workspace, active],
        )?;
        Ok(())
    }

    fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>> {
        self.all(
            "SELECT w.id, w.name, w.grade_labels, o.id, o.name, o.kind, m.role, w.tiles
             FROM memberships m
             JOIN workspaces w ON w.id = m.workspace_id
             JOIN organisations o ON o.id = m.organisation_id
             WHERE m.user_id = ?1 AND m.active = 1 ORDER BY w.name",
            [user],
            |r| {
                let workspace = Workspace {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    grade_labels: labels(r, 2)?,
                    tiles: r.get(7)?,
                };
                Ok(Membership {
                    organisation: Organisation {
                        id: r.get(3)?,
                        workspace: workspace.id,
                        name: r.get(4)?,
                        kind: r.get(5)?,
                    },
                    workspace,
                    role: r.get(6)?,
                })
            },
        )
    }

    fn member_workspaces(&mut self, user: UserId) -> Result<Vec<WorkspaceId>> {
        self.all(
            "SELECT workspace_id FROM memberships WHERE user_id = ?1",
            [user],
            |r| r.get(0),
        )
    }

    fn member_roles(&mut self, workspace: WorkspaceId) -> Result<Vec<(Role, bool, usize)>> {
        self.all(
            "SELECT m.role, m.active,
                    (SELECT count(*) FROM devices d WHERE d.user_id = m.user_id
                       AND d.revoked_at IS NULL
                       AND d.workspace_id = m.workspace_id)
             FROM memberships m WHERE m.workspace_id = ?1",
            [workspace],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                ))
            },
        )
    }

    fn people(&mut self, workspace: WorkspaceId) -> Result<Vec<Person>> {
        let mut people = self.all(
            "SELECT u.id, u.name, m.organisation_id, m.role, m.active FROM memberships m
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 ORDER BY u.name, u.id",
            [workspace],
            |r| {
                Ok(Person {
                    user: r.get(0)?,
                    name: r.get(1)?,
                    organisation: r.get(2)?,
                    role: r.get(3)?,
                    active: r.get(4)?,
                    devices: Vec::new(),
                })
            },
        )?;
        for person in &mut people {
            person.devices = self.all(
                "SELECT id, name, created_at, last_seen_at, app_version, revoked_at IS NOT NULL
                 FROM devices WHERE user_id = ?1 AND (workspace_id = ?2 OR workspace_id IS NULL)
                 ORDER BY created_at, id",
                params![person.user, workspace],
                |r| {
                    Ok(DeviceSummary {
                        id: r.get::<_, DeviceId>(0)?,
                        name: r.get(1)?,
                        enrolled_at: stamp(r.get(2)?),
                        last_seen: r.get::<_, Option<i64>>(3)?.map(stamp),
                        app_version: r.get(4)?,
                        revoked: r.get(5)?,
                    })
                },
            )?;
        }
        Ok(people)
    }

    fn devices(&mut self) -> Result<Vec<DeviceInfo>> {
        self.all(
            "SELECT d.id, d.user_id, u.name, d.name, d.created_at, d.revoked_at IS NOT NULL,
                    d.workspace_id
             FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.created_at, d.id",
            [],
            |r| {
                Ok(DeviceInfo {
                    id: r.get(0)?,
                    user: r.get(1)?,
                    user_name: r.get(2)?,
                    name: r.get(3)?,
                    created_at: stamp(r.get(4)?),
                    revoked: r.get(5)?,
                    workspace: r.get(6)?,
                })
            },
        )
    }

    fn device_by_token(&mut self, token_hash: &[u8]) -> Result<Option<TokenRow>> {
        self.one(
            "SELECT id, user_id, name, actor, revoked_at IS NOT NULL, last_seen_at, app_version,
                    workspace_id
                 FROM devices WHERE token_hash = ?1",
            [token_hash],
            |r| {
                Ok(TokenRow {
                    device: DeviceRow {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        name: r.get(2)?,
                        actor: r.get(3)?,
                        workspace: r.get(7)?,
                    },
                    revoked: r.get(4)?,
                    last_seen_at: r.get(5)?,
                    app_version: r.get(6)?,
                })
            },
        )
    }

    fn standing(&mut self, device: DeviceId, workspace: WorkspaceId) -> Result<Standing> {
        // A write transaction here is `BEGIN IMMEDIATE`: nothing changes either meanwhile.
        let Some(active) = self.active_device(device)? else {
            return Ok(Standing::Revoked);
        };
        // A device acts only in the workspace that enrolled it.
        if active.workspace != Some(workspace) {
            return Ok(Standing::Outside);
        }
        Ok(self
            .membership(active.user, workspace)?
            .map_or(Standing::Outside, Standing::Member))
    }

    fn active_device(&mut self, device: DeviceId) -> Result<Option<ActiveDevice>> {
        self.one(
            "SELECT user_id, name, workspace_id FROM devices WHERE id = ?1 AND revoked_at IS NULL",
            [device],
            |r| {
                Ok(ActiveDevice {
                    user: r.get(0)?,
                    name: r.get(1)?,
                    workspace: r.get(2)?,
                })
            },
        )
    }

    fn add_device(&mut self, d: &NewDevice<'_>) -> Result<bool> {
        let inserted = self.run(
            "INSERT INTO devices (id, user_id, name, actor, token_hash, created_at, workspace_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (actor) DO NOTHING",
            params![
                d.id,
                d.user,
                d.name,
                d.actor,
                d.token_hash,
                d.created_at.millis(),
                d.workspace
            ],
        )?;
        Ok(inserted > 0)
    }

    fn device_seen(
        &mut self,
        device: DeviceId,
        now: Timestamp,
        app_version: Option<&str>,
    ) -> Result<()> {
        self.run(
            "UPDATE devices SET last_seen_at = ?2, app_version = COALESCE(?3, app_version)
             WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?2 - 60000
                                OR app_version IS NOT COALESCE(?3, app_version))",
            params![device, now.millis(), app_version],
        )?;
        Ok(())
    }

    fn revoke_device(&mut self, device: DeviceId, now: Timestamp) -> Result<bool> {
        let changed = self.run(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![device, now.millis()],
        )?;
        Ok(changed > 0)
    }

    fn add_code(
        &mut self,
        code_hash: &[u8],
        user: UserId,
        workspace: WorkspaceId,
        expires_at: i64,
    ) -> Result<()> {
        self.run(
            "INSERT INTO enrolment_codes (code_hash, user_id, workspace_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![code_hash, user, workspace, expires_at],
        )?;
        Ok(())
    }

    fn code(&mut self, code_hash: &[u8]) -> Result<Option<CodeRow>> {
        self.one(
            "SELECT user_id, expires_at, used_at, workspace_id FROM enrolment_codes WHERE code_hash = ?1",
            [code_hash],
            |r| {
                Ok(CodeRow {
                    user: r.get(0)?,
                    workspace: r.get(3)?,
                    expires_at: r.get(1)?,
                    used_at: r.get(2)?,
                })
            },
        )
    }

    fn use_code(
        &mut self,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(UserId, WorkspaceId)>> {
        self.one(
            "UPDATE enrolment_codes SET used_at = ?2
             WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2
               AND workspace_id IS NOT NULL
             RETURNING user_id, workspace_id",
            params![code_hash, now.millis()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    fn open_code(&mut self, code_hash: &[u8], now: Timestamp) -> Result<Option<UserId>> {
        self.one(
            "SELECT user_id FROM enrolment_codes WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
            params![code_hash, now.millis()],
            |r| r.get(0),
        )
    }

    fn delete_code(&mut self, code_hash: &[u8]) -> Result<()> {
        self.run(
            "DELETE FROM enrolment_codes WHERE code_hash = ?1",
            [code_hash],
        )?;
        Ok(())
    }

    fn audit(&mut self, entry: &NewAudit<'_>) -> Result<()> {
        self.run(
            "INSERT INTO audit (workspace_id, at, user_id, user_name, device_id, address, action, target, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                entry.workspace,
                entry.at.millis(),
                entry.user.map(|(id, _)| id),
                entry.user.map(|(_, name)| name),
                entry.device,
                entry.address.map(|a| a.to_string()),
                entry.action.code(),
                entry.target,
                entry.detail,
            ],
        )?;
        Ok(())
    }

    fn count_failed_enrolment(
        &mut self,
        window: i64,
        workspace: Option<WorkspaceId>,
        why: FailedEnrolment,
        address: Option<&str>,
        most_addresses: i64,
    ) -> Result<i64> {
        let scope = workspace.unwrap_or(WorkspaceId(Uuid::nil()));
        let sql = match why {
            FailedEnrolment::Unknown => {
                "INSERT INTO failed_enrolments (window_start, scope, unknown) VALUES (?1, ?2, 1)
                 ON CONFLICT DO UPDATE SET unknown = unknown + 1
                 RETURNING unknown + used + expired, addresses"
            }
            FailedEnrolment::Used => {
                "INSERT INTO failed_enrolments (window_start, scope, used) VALUES (?1, ?2, 1)
                 ON CONFLICT DO UPDATE SET used = used + 1
                 RETURNING unknown + used + expired, addresses"
            }
            FailedEnrolment::Expired => {
                "INSERT INTO failed_enrolments (window_start, scope, expired) VALUES (?1, ?2, 1)
                 ON CONFLICT DO UPDATE SET expired = expired + 1
                 RETURNING unknown + used + expired, addresses"
            }
        };
        let (failed, addresses): (i64, i64) = self
            .one(sql, params![window, scope], |r| Ok((r.get(0)?, r.get(1)?)))?
            .unwrap_or_default();
        if let Some(address) = address.filter(|_| addresses < most_addresses) {
            let new = self.run(
                "INSERT INTO failed_enrolment_addresses (window_start, scope, address)
                 VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![window, scope, address],
            )?;
            if new > 0 {
                self.run(
                    "UPDATE failed_enrolments SET addresses = addresses + 1
                     WHERE window_start = ?1 AND scope = ?2",
                    params![window, scope],
                )?;
            }
        }
        Ok(failed)
    }

    fn take_failed_enrolments(&mut self, before: i64) -> Result<Vec<FailedEnrolments>> {
        self.run(
            "DELETE FROM failed_enrolment_addresses WHERE window_start < ?1",
            [before],
        )?;
        let mut taken = self.all(
            "DELETE FROM failed_enrolments WHERE window_start < ?1
             RETURNING window_start, scope, unknown, used, expired, addresses",
            [before],
            |r| {
                let scope: WorkspaceId = r.get(1)?;
                Ok(FailedEnrolments {
                    window: r.get(0)?,
                    workspace: (!scope.0.is_nil()).then_some(scope),
                    unknown: r.get(2)?,
                    used: r.get(3)?,
                    expired: r.get(4)?,
                    addresses: r.get(5)?,
                })
            },
        )?;
        taken.sort_by_key(|t| (t.window, t.workspace.map(|w| w.0)));
        Ok(taken)
    }

    fn audit_page(
        &mut self,
        workspace: Option<WorkspaceId>,
        before: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        self.all(
            "SELECT seq, at, workspace_id, user_id, user_name, device_id, address, action, target, detail
             FROM audit WHERE (?1 IS NULL OR workspace_id = ?1) AND seq < ?2
             ORDER BY seq DESC LIMIT ?3",
            params![workspace, before, limit as i64],
            |r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: stamp(r.get(1)?),
                    workspace: r.get(2)?,
                    user: r.get(3)?,
                    user_name: r.get(4)?,
                    device: r.get(5)?,
                    address: r.get(6)?,
                    action: r.get(7)?,
                    target: r.get(8)?,
                    detail: r.get(9)?,
                })
            },
        )
    }

    fn lock_feed(&mut self, _workspace: WorkspaceId) -> Result<()> {
        // A write transaction here is `BEGIN IMMEDIATE`: it holds the only write lock.
        Ok(())
    }

    fn lock_workspace(&mut self, _workspace: WorkspaceId) -> Result<()> {
        // A write transaction here is `BEGIN IMMEDIATE`: it holds the only write lock.
        Ok(())
    }

    fn feed_head(&mut self, workspace: WorkspaceId) -> Result<i64> {
        Ok(self
            .one(
                "SELECT COALESCE(MAX(seq), 0) FROM feed WHERE workspace_id = ?1",
                [workspace],
                |r| r.get(0),
            )?
            .unwrap_or(0))
    }

    fn feed(&mut self, workspace: WorkspaceId, since: i64, limit: usize) -> Result<Vec<FeedRow>> {
        self.all(
            "SELECT f.seq, f.doc_id, f.entry, f.doc_kind, f.bytes, f.creates, f.device_id, f.org_id,
                    f.visibility_before, f.visibility_after, COALESCE(d.first_seen, f.received_at),
                    d.id IS NOT NULL, d.org_id, d.visibility
             FROM feed f LEFT JOIN documents d ON d.id = f.doc_id
             WHERE f.workspace_id = ?1 AND f.seq > ?2 ORDER BY f.seq LIMIT ?3",
            params![workspace, since, limit as i64],
            |r| {
                Ok(FeedRow {
                    seq: r.get(0)?,
                    doc: uuid(&r.get::<_, Vec<u8>>(1)?)?,
                    remove: r.get::<_, String>(2)? == "remove",
                    kind: r.get(3)?,
                    bytes: r.get(4)?,
                    creates: r.get(5)?,
                    device: r.get(6)?,
                    org: r.get(7)?,
                    before: r.get(8)?,
                    after: r.get(9)?,
                    first_seen: r.get(10)?,
                    now: if r.get(11)? {
                        Some((r.get(12)?, r.get(13)?))
                    } else {
                        None
                    },
                })
            },
        )
    }

    fn document(&mut self, doc: Uuid) -> Result<Option<StoredDocument>> {
        self.one(
            "SELECT kind, bytes, org_id, visibility, projection FROM documents WHERE id = ?1",
            [doc.as_bytes().as_slice()],
            |r| stored_document(r, 0),
        )
    }

    fn documents(
        &mut self,
        workspace: WorkspaceId,
        after: Uuid,
        limit: usize,
    ) -> Result<Vec<(Uuid, StoredDocument)>> {
        self.all(
            "SELECT id, kind, bytes, org_id, visibility, projection FROM documents
             WHERE workspace_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            params![workspace, after.as_bytes().as_slice(), limit as i64],
            |r| Ok((uuid(&r.get::<_, Vec<u8>>(0)?)?, stored_document(r, 1)?)),
        )
    }

    fn projections(
        &mut self,
        workspace: WorkspaceId,
        before: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Vec<ProjectionRow>> {
        let (at, id) = before.unwrap_or((i64::MAX, Uuid::max()));
        self.all(
            "SELECT id, observed_at, org_id, visibility, projection FROM documents
             WHERE workspace_id = ?1 AND observed_at IS NOT NULL AND (observed_at, id) < (?2, ?3)
             ORDER BY observed_at DESC, id DESC LIMIT ?4",
            params![workspace, at, id.as_bytes().as_slice(), limit as i64],
            |r| {
                Ok(ProjectionRow {
                    doc: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                    observed_at: r.get(1)?,
                    org: r.get(2)?,
                    visibility: r.get(3)?,
                    projection: r.get(4)?,
                })
            },
        )
    }

    fn timeline(&mut self) -> Result<Timeline> {
        self.one("SELECT id, restored_head FROM timeline", [], |r| {
            Ok(Timeline {
                id: uuid(&r.get::<_, Vec<u8>>(0)?)?,
                restored_head: r.get(1)?,
            })
        })?
        .ok_or_else(|| StorageError::Internal("the database has no timeline".into()))
    }

    fn start_timeline(&mut self) -> Result<Timeline> {
        let head: i64 = self
            .one("SELECT COALESCE(MAX(seq), 0) FROM feed", [], |r| r.get(0))?
            .unwrap_or(0);
        let timeline = Timeline {
            id: Uuid::now_v7(),
            restored_head: head,
        };
        self.run(
            "UPDATE timeline SET id = ?1, restored_head = ?2",
            params![timeline.id.as_bytes().as_slice(), head],
        )?;
        Ok(timeline)
    }

    fn observation_count(&mut self, workspace: WorkspaceId) -> Result<u64> {
        Ok(self
            .one(
                "SELECT COUNT(*) FROM documents WHERE workspace_id = ?1 AND observed_at IS NOT NULL",
                [workspace],
                |r| r.get::<_, i64>(0),
            )?
            .unwrap_or(0) as u64)
    }

    fn held(&mut self, doc: Uuid) -> Result<Option<Held>> {
        self.one(
            "SELECT workspace_id, kind, bytes, first_seen FROM documents WHERE id = ?1",
            [doc.as_bytes().as_slice()],
            |r| {
                Ok(Held {
                    workspace: r.get(0)?,
                    kind: r.get(1)?,
                    bytes: r.get(2)?,
                    first_seen: r.get(3)?,
                })
            },
        )
    }

    fn has_change(&mut self, hash: &[u8]) -> Result<bool> {
        Ok(self
            .one(
                "SELECT EXISTS (SELECT 1 FROM feed WHERE hash = ?1)",
                [hash],
                |r| r.get(0),
            )?
            .unwrap_or(false))
    }

    fn erased(&mut self, doc: Uuid) -> Result<Option<WorkspaceId>> {
        self.one(
            "SELECT workspace_id FROM erased WHERE doc_id = ?1",
            [doc.as_bytes().as_slice()],
            |r| r.get(0),
        )
    }

    fn append_change(&mut self, c: &NewChange<'_>) -> Result<()> {
        self.run(
            "INSERT INTO feed (workspace_id, doc_id, entry, doc_kind, hash, bytes, creates, device_id, org_id,
                               visibility_before, visibility_after, received_at)
             VALUES (?1, ?2, 'change', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                c.workspace,
                c.doc.as_bytes().as_slice(),
                c.kind,
                c.hash,
                c.bytes,
                c.creates,
                c.device,
                c.org,
                c.visibility_before,
                c.visibility_after,
                c.received_at.millis()
            ],
        )?;
        Ok(())
    }

    fn put_document(&mut self, d: &PutDocument<'_>) -> Result<()> {
        self.run(
            "INSERT INTO documents (id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen, observed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, org_id = excluded.org_id,
               visibility = excluded.visibility, projection = excluded.projection,
               observed_at = excluded.observed_at",
            params![
                d.doc.as_bytes().as_slice(),
                d.workspace,
                d.kind,
                d.bytes,
                d.org,
                d.visibility,
                d.projection,
                d.first_seen,
                d.observed_at
            ],
        )?;
        Ok(())
    }

    fn erase(
        &mut self,
        workspace: WorkspaceId,
        doc: Uuid,
        by: UserId,
        now: Timestamp,
    ) -> Result<()> {
        let id = doc.as_bytes().as_slice();
        self.run("DELETE FROM documents WHERE id = ?1", [id])?;
        self.run("DELETE FROM feed WHERE doc_id = ?1", [id])?;
        self.run(
            "INSERT INTO erased (doc_id, workspace_id, erased_at, erased_by) VALUES (?1, ?2, ?3, ?4)",
            params![id, workspace, now.millis(), by],
        )?;
        self.run(
            "INSERT INTO feed (workspace_id, doc_id, entry, doc_kind, received_at)
             VALUES (?1, ?2, 'remove', 'observation', ?3)",
            params![workspace, id, now.millis()],
        )?;
        Ok(())
    }

    fn announce(&mut self, _workspace: WorkspaceId) -> Result<()> {
        Ok(())
    }

    fn announce_access(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use lagesbild_core::ObservationProjection;
    use lagesbild_core::Timestamp;
    use rusqlite::Connection;
    use uuid::Uuid;

    use super::MIGRATIONS;

    /// A server from before migration 4 keeps its documents, and its observations are
    /// given the time they were observed, to the millisecond, from their projections.
    #[test]
    fn documents_of_an_older_server_are_kept_and_learn_when_they_were_observed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        lagesbild_core::sqlite::migrate(&mut conn, &MIGRATIONS[..3], "old").unwrap();
        let demo = lagesbild_core::demo::workspace("Salem");
        let mut scratch = lagesbild_core::Store::open_in_memory().unwrap();
        let identity = demo.install(&mut scratch, 0).unwrap();
        let now = Timestamp::from_millis(1_795_000_123_456).unwrap();
        let recorded = scratch
            .record_many(identity.workspace, &demo.reports(3, 2, now, 7), now)
            .unwrap();
        conn.execute(
            "INSERT INTO workspaces (id, name, grade_labels, register_version) VALUES (?1, 'Salem', '[]', 0)",
            [identity.workspace],
        )
        .unwrap();
        let meeting = Uuid::now_v7();
        for (doc, kind, projection) in recorded
            .iter()
            .map(|o| {
                let json = serde_json::to_string(&ObservationProjection::of(o)).unwrap();
                (o.id.0, "observation", Some(json))
            })
            .chain([(meeting, "meeting", None)])
        {
            conn.execute(
                "INSERT INTO documents (id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen)
                 VALUES (?1, ?2, ?3, x'0102', NULL, 'alla', ?4, 5)",
                rusqlite::params![doc.as_bytes().as_slice(), identity.workspace, kind, projection],
            )
            .unwrap();
        }
        drop(conn);

        let storage = super::Sqlite::open(&path).unwrap();
        let conn = storage.lock();
        for o in &recorded {
            let (observed, bytes, first_seen): (Option<i64>, Vec<u8>, i64) = conn
                .query_row(
                    "SELECT observed_at, bytes, first_seen FROM documents WHERE id = ?1",
                    [o.id.0.as_bytes().as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            assert_eq!(observed, Some(o.observed_at.millis()));
            assert_eq!((bytes, first_seen), (vec![1, 2], 5));
        }
        let meeting_observed: Option<i64> = conn
            .query_row(
                "SELECT observed_at FROM documents WHERE id = ?1",
                [meeting.as_bytes().as_slice()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(meeting_observed, None);
    }

    /// Devices and codes from before migration 6 belong to their person's workspace when
    /// the person has one membership; a person with several must enrol again.
    #[test]
    fn older_devices_belong_to_their_persons_only_workspace() {
        use crate::storage::Storage;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        lagesbild_core::sqlite::migrate(&mut conn, &MIGRATIONS[..5], "old").unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let (one, two) = (Uuid::now_v7(), Uuid::now_v7());
        let bytes = |u: &Uuid| u.as_bytes().to_vec();
        for (ws, name) in [(a, "Salem"), (b, "Botkyrka")] {
            conn.execute(
                "INSERT INTO workspaces (id, name) VALUES (?1, ?2)",
                rusqlite::params![bytes(&ws), name],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO organisations (id, workspace_id, name, kind) VALUES (?1, ?1, 'Fält', 'kommun')",
                [bytes(&ws)],
            )
            .unwrap();
        }
        for (user, workspaces) in [(one, vec![a]), (two, vec![a, b])] {
            conn.execute(
                "INSERT INTO users (id, name) VALUES (?1, 'X')",
                [bytes(&user)],
            )
            .unwrap();
            for ws in workspaces {
                conn.execute(
                    "INSERT INTO memberships (user_id, workspace_id, organisation_id, role)
                     VALUES (?1, ?2, ?2, 'samordnare')",
                    [bytes(&user), bytes(&ws)],
                )
                .unwrap();
            }
            conn.execute(
                "INSERT INTO devices (id, user_id, name, actor, token_hash, created_at)
                 VALUES (?1, ?1, 'Telefon', ?1, ?1, 0)",
                [bytes(&user)],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, expires_at) VALUES (?1, ?1, 9000000000000000)",
                [bytes(&user)],
            )
            .unwrap();
        }
        drop(conn);

        let storage = super::Sqlite::open(&path).unwrap();
        let mut tx = storage.write().unwrap();
        let workspace = |tx: &mut dyn crate::storage::Tx, user: &Uuid| {
            tx.device_by_token(user.as_bytes())
                .unwrap()
                .unwrap()
                .device
                .workspace
                .map(|w| w.0)
        };
        assert_eq!(
            workspace(&mut *tx, &one),
            Some(a),
            "one membership: its workspace"
        );
        assert_eq!(workspace(&mut *tx, &two), None, "several: enrol again");
        let now = Timestamp::from_millis(1_795_000_000_000).unwrap();
        assert_eq!(
            tx.use_code(one.as_bytes(), now).unwrap().map(|(_, w)| w.0),
            Some(a)
        );
        assert_eq!(
            tx.use_code(two.as_bytes(), now).unwrap(),
            None,
            "a code of a person with several memberships enrols nothing"
        );
    }

    /// A row written under an action the server no longer writes (an older server's
    /// name) still reads as it was written (the export writes what it reads).
    #[test]
    fn an_older_action_name_reads_back_as_written() {
        use crate::storage::Storage;
        let storage = super::Sqlite::open_in_memory().unwrap();
        storage
            .lock()
            .execute(
                "INSERT INTO audit (workspace_id, at, action, detail)
                 VALUES (NULL, 1795000000000, 'register.add', 'a place')",
                [],
            )
            .unwrap();
        assert_eq!(lagesbild_core::AuditAction::from_code("register.add"), None);
        let page = storage
            .read()
            .unwrap()
            .audit_page(None, i64::MAX, 10)
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].action, "register.add");
    }
}
