//! The regional backend: PostgreSQL, shared by several server instances.
//!
//! The client is `postgres`, the blocking interface of tokio-postgres, pooled by r2d2:
//! the service's rules are synchronous functions on tokio's blocking pool, as they are on
//! SQLite, so one storage interface serves both. Each pooled connection keeps its
//! prepared statements.
//!
//! Several instances stay correct together because every writer of a workspace's feed
//! takes that workspace's advisory lock (`lock_feed`) until it commits: sequence numbers
//! then commit in order, so a reader that has seen one has seen every lower one, and a
//! push's check-then-store sees no other instance's change in between. Instances wake
//! each other's long polls with `NOTIFY`, sent at commit.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lagesbild_core::sync::wire::{AuditEntry, DeviceSummary, Membership, Person, Timeline};
use lagesbild_core::{
    Category, DeviceId, DocKind, Organisation, OrganisationId, OrganisationKind, Place, PlaceId,
    PlaceKind, Role, Timestamp, UserId, Visibility, Workspace, WorkspaceId,
};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use uuid::Uuid;

use super::{
    ActiveDevice, Changed, CodeRow, DeviceInfo, DeviceRow, FailedEnrolment, FailedEnrolments,
    FeedRow, Held, MemberRow, NewAudit, NewChange, NewDevice, ProjectionRow, PutDocument, Result,
    Standing, Storage, StorageError, StoredDocument, TokenRow, Tx, stamp,
};

/// The schema, one migration per entry; `schema_migrations` records which are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("postgres/0001_initial.sql"),
    include_str!("postgres/0002_newest_first.sql"),
    include_str!("postgres/0003_timeline.sql"),
    include_str!("postgres/0004_device_workspace.sql"),
    include_str!("postgres/0005_outlines.sql"),
];

/// The channel instances tell each other on; the payload is a workspace id.
const CHANNEL: &str = "lagesbild_changes";
/// The notification's payload when a device or a membership changed; otherwise it is
/// the workspace's id.
const ACCESS_CHANGED: &str = "access";

/// The advisory lock migrations run under, so instances starting together migrate once.
const MIGRATION_LOCK: i64 = 0x6c61_6765_7362_696c; // "lagesbil"

/// Connections per instance: the blocking pool runs at most this many requests on the
/// database at once.
const POOL_SIZE: u32 = 16;

impl From<postgres::Error> for StorageError {
    fn from(e: postgres::Error) -> Self {
        // A server-side error says what it is only in its details ("db error" otherwise).
        StorageError::Internal(match e.as_db_error() {
            Some(db) => db.to_string(),
            None => e.to_string(),
        })
    }
}

impl From<r2d2::Error> for StorageError {
    fn from(e: r2d2::Error) -> Self {
        StorageError::Busy(format!("no database connection: {e}"))
    }
}

pub struct Postgres {
    pool: r2d2::Pool<Manager>,
    config: postgres::Config,
    /// Set when the storage is dropped: the listening thread then ends.
    stopped: Arc<AtomicBool>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .finish_non_exhaustive()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Relaxed);
    }
}

impl Postgres {
    /// Connects to `url` (`postgres://user:password@host:port/database`, or the
    /// key=value form) and brings the schema up to date.
    pub fn open(url: &str) -> anyhow::Result<Postgres> {
        let config: postgres::Config = url.parse()?;
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            // Broken connections are noticed by `has_broken`; testing each one on
            // checkout would cost a round trip per transaction.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager {
                config: config.clone(),
            })?;
        migrate(pool.get()?.client()?)?;
        Ok(Postgres {
            pool,
            config,
            stopped: Arc::new(AtomicBool::new(false)),
        })
    }

    fn begin(&self, sql: Option<&str>) -> Result<Box<dyn Tx + '_>> {
        let mut conn = self.pool.get()?;
        if let Some(sql) = sql {
            conn.client()?.batch_execute(sql)?;
        }
        Ok(Box::new(PgTx {
            conn,
            open: sql.is_some(),
        }))
    }
}

/// Applies the migrations the database lacks, each in its own transaction, under an
/// advisory lock; refuses a database with migrations this build does not know.
fn migrate(client: &mut Client) -> anyhow::Result<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let result = (|| -> anyhow::Result<()> {
        client.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )?;
        let found: i32 = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )?
            .get(0);
        let known = MIGRATIONS.len() as i32;
        anyhow::ensure!(
            found <= known,
            "the database has schema version {found}; this server knows {known}: run a newer server"
        );
        for (version, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let mut tx = client.transaction()?;
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&(version as i32 + 1)],
            )?;
            tx.commit()?;
        }
        Ok(())
    })();
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])?;
    result
}

#[derive(Debug)]
struct Manager {
    config: postgres::Config,
}

/// A pooled connection with its prepared statements.
struct Conn {
    /// Always there until the connection is dropped.
    client: Option<Client>,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    fn client(&mut self) -> Result<&mut Client> {
        self.client
            .as_mut()
            .ok_or_else(|| StorageError::Internal("the connection is closed".into()))
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Closing a blocking client runs its own small runtime, which may not start
        // inside another: a pool dropped in async code closes its connections on a
        // thread of their own.
        if tokio::runtime::Handle::try_current().is_ok()
            && let Some(client) = self.client.take()
        {
            let _ = std::thread::spawn(move || drop(client)).join();
        }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        Ok(Conn {
            client: Some(self.config.connect(NoTls)?),
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        match conn.client.as_mut() {
            Some(client) => client.simple_query("").map(|_| ()),
            None => Ok(()),
        }
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.as_ref().is_none_or(Client::is_closed)
    }
}

impl Storage for Postgres {
    fn read(&self) -> Result<Box<dyn Tx + '_>> {
        // One snapshot for every statement, as a feed page needs.
        self.begin(Some("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
    }

    fn single(&self) -> Result<Box<dyn Tx + '_>> {
        self.begin(None)
    }

    fn write(&self) -> Result<Box<dyn Tx + '_>> {
        // READ COMMITTED: after `lock_feed`, each statement sees what committed before.
        self.begin(Some("BEGIN"))
    }

    fn purge(&self) -> Result<()> {
        // Deleted rows stay in the tables as dead tuples until a vacuum removes them;
        // this does it now rather than whenever autovacuum comes by. A vacuum does not
        // clear the space it frees, though: `rewrite` does. (The write-ahead log keeps
        // the rows until its segments are recycled, and backups and replicas for as long
        // as they are kept: see the README.)
        let mut conn = self.pool.get()?;
        conn.client()?.batch_execute("VACUUM documents, feed")?;
        Ok(())
    }

    fn rewrite(&self) -> Result<()> {
        let mut conn = self.pool.get()?;
        conn.client()?
            .batch_execute("VACUUM FULL documents, feed, erased")?;
        Ok(())
    }

    fn listen(&self, changed: Box<dyn Fn(Changed) + Send + Sync>) -> Result<()> {
        let config = self.config.clone();
        let stopped = Arc::clone(&self.stopped);
        // The first connection is made on the listening thread (the blocking client may
        // not run inside an async runtime), and a refusal is reported to the caller.
        let (started, outcome) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("lagesbild-listen".into())
            .spawn(move || match listener(&config) {
                Ok(client) => {
                    let _ = started.send(Ok(()));
                    listen(client, &config, &stopped, &*changed);
                }
                Err(e) => {
                    let _ = started.send(Err(StorageError::from(e)));
                }
            })
            .map_err(|e| StorageError::Internal(format!("cannot start the listener: {e}")))?;
        outcome
            .recv()
            .map_err(|e| StorageError::Internal(format!("the listener ended: {e}")))?
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }
}

fn listener(config: &postgres::Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    Ok(client)
}

/// Passes on every notification until the storage is dropped; reconnects when the
/// connection is lost, and then forgets the credentials it knew (a revocation may
/// have been missed) but wakes nobody in particular: long polls end by their
/// deadline anyway, and the next request reads the database.
fn listen(
    mut client: Client,
    config: &postgres::Config,
    stopped: &AtomicBool,
    changed: &(dyn Fn(Changed) + Send + Sync),
) {
    while !stopped.load(Ordering::Relaxed) {
        let mut lost = false;
        {
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(Duration::from_secs(1));
            loop {
                match postgres::fallible_iterator::FallibleIterator::next(&mut waiting) {
                    Ok(Some(n)) => {
                        if n.payload() == ACCESS_CHANGED {
                            changed(Changed::Access);
                        } else if let Ok(workspace) = n.payload().parse::<Uuid>() {
                            changed(Changed::Workspace(WorkspaceId(workspace)));
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the database's notifications; reconnecting");
                        lost = true;
                        break;
                    }
                }
            }
        }
        if lost || client.is_closed() {
            loop {
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                match listener(config) {
                    Ok(c) => {
                        client = c;
                        changed(Changed::Access);
                        break;
                    }
                    Err(_) => std::thread::sleep(Duration::from_secs(1)),
                }
            }
        }
    }
}

struct PgTx {
    conn: r2d2::PooledConnection<Manager>,
    open: bool,
}

impl Drop for PgTx {
    fn drop(&mut self) {
        if self.open
            && let Ok(client) = self.conn.client()
        {
            let _ = client.batch_execute("ROLLBACK");
        }
    }
}

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

fn bad(what: &str, value: &str) -> StorageError {
    StorageError::Internal(format!("the database holds an unknown {what}: {value:?}"))
}

fn role(r: &Row, i: usize) -> Result<Role> {
    let code: &str = r.get(i);
    Role::from_code(code).ok_or_else(|| bad("role", code))
}

fn org_kind(r: &Row, i: usize) -> Result<OrganisationKind> {
    let code: &str = r.get(i);
    OrganisationKind::from_code(code).ok_or_else(|| bad("organisation kind", code))
}

fn visibility(r: &Row, i: usize) -> Result<Visibility> {
    let code: &str = r.get(i);
    Visibility::from_code(code).ok_or_else(|| bad("visibility", code))
}

fn visibility_opt(r: &Row, i: usize) -> Result<Option<Visibility>> {
    r.get::<_, Option<&str>>(i)
        .map(|code| Visibility::from_code(code).ok_or_else(|| bad("visibility", code)))
        .transpose()
}

fn doc_kind(r: &Row, i: usize) -> Result<DocKind> {
    let code: &str = r.get(i);
    DocKind::from_code(code).ok_or_else(|| bad("document kind", code))
}

fn labels(r: &Row, i: usize) -> Option<[String; 5]> {
    r.get::<_, Option<&str>>(i)
        .and_then(|l| serde_json::from_str(l).ok())
}

fn organisation(r: &Row) -> Result<Organisation> {
    Ok(Organisation {
        id: OrganisationId(r.get(0)),
        workspace: WorkspaceId(r.get(1)),
        name: r.get(2),
        kind: org_kind(r, 3)?,
    })
}

fn place(r: &Row) -> Result<Place> {
    let kind: &str = r.get(3);
    Ok(Place {
        id: PlaceId(r.get(0)),
        workspace: WorkspaceId(r.get(1)),
        name: r.get(2),
        kind: PlaceKind::from_code(kind).ok_or_else(|| bad("place kind", kind))?,
        area: r.get::<_, Option<Uuid>>(4).map(PlaceId),
        lat: r.get(5),
        lon: r.get(6),
        retired: r.get(7),
        merged_into: r.get::<_, Option<Uuid>>(8).map(PlaceId),
        outline: r
            .get::<_, Option<String>>(9)
            .map(|text| serde_json::from_str(&text).map_err(|_| bad("place outline", &text)))
            .transpose()?,
    })
}

fn category(r: &Row) -> Category {
    Category {
        key: r.get(0),
        parent: r.get(1),
        name_sv: r.get(2),
        name_en: r.get(3),
        retired: r.get(4),
        sort: r.get(5),
    }
}

fn stored_document(r: &Row, at: usize) -> Result<StoredDocument> {
    Ok(StoredDocument {
        kind: doc_kind(r, at)?,
        bytes: r.get(at + 1),
        org: r.get::<_, Option<Uuid>>(at + 2).map(OrganisationId),
        visibility: visibility(r, at + 3)?,
        projection: r.get(at + 4),
    })
}

/// The advisory lock key of a workspace's feed.
fn feed_lock(workspace: WorkspaceId) -> i64 {
    let bytes = workspace.0.as_bytes();
    let (high, low) = bytes.split_at(8);
    let fold = |b: &[u8]| i64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
    fold(high) ^ fold(low)
}

impl PgTx {
    fn statement(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(statement) = self.conn.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.conn.client()?.prepare(sql)?;
        self.conn.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    fn rows(&mut self, sql: &'static str, params: Params<'_>) -> Result<Vec<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.conn.client()?.query(&statement, params)?)
    }

    fn row(&mut self, sql: &'static str, params: Params<'_>) -> Result<Option<Row>> {
        let statement = self.statement(sql)?;
        Ok(self.conn.client()?.query_opt(&statement, params)?)
    }

    fn run(&mut self, sql: &'static str, params: Params<'_>) -> Result<u64> {
        let statement = self.statement(sql)?;
        Ok(self.conn.client()?.execute(&statement, params)?)
    }
}

impl Tx for PgTx {
    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.open {
            self.conn.client()?.batch_execute("COMMIT")?;
            self.open = false;
        }
        Ok(())
    }

    fn workspace(&mut self, id: WorkspaceId) -> Result<Option<(Workspace, i64)>> {
        let row = self.row(
            "SELECT name, grade_labels, register_version, tiles FROM workspaces WHERE id = $1",
            &[&id.0],
        )?;
        Ok(row.map(|r| {
            let workspace = Workspace {
                id,
                name: r.get(0),
                grade_labels: labels(&r, 1),
                tiles: r.get(3),
            };
            (workspace, r.get(2))
        }))
    }

    fn workspaces(&mut self) -> Result<Vec<Workspace>> {
        let rows = self.rows(
            "SELECT id, name, grade_labels, tiles FROM workspaces ORDER BY name COLLATE \"C\", id",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| Workspace {
                id: WorkspaceId(r.get(0)),
                name: r.get(1),
                grade_labels: labels(r, 2),
                tiles: r.get(3),
            })
            .collect())
    }

    fn save_workspace(&mut self, workspace: &Workspace) -> Result<()> {
        let labels = workspace
            .grade_labels
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StorageError::Internal(e.to_string()))?;
        self.run(
            "INSERT INTO workspaces (id, name, grade_labels, tiles) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
               grade_labels = excluded.grade_labels, tiles = excluded.tiles",
            &[&workspace.id.0, &workspace.name, &labels, &workspace.tiles],
        )?;
        Ok(())
    }

    fn bump_register(&mut self, workspace: WorkspaceId) -> Result<()> {
        self.run(
            "UPDATE workspaces SET register_version = register_version + 1 WHERE id = $1",
            &[&workspace.0],
        )?;
        Ok(())
    }

    fn organisations(&mut self, workspace: WorkspaceId) -> Result<Vec<Organisation>> {
        self.rows(
            "SELECT id, workspace_id, name, kind FROM organisations WHERE workspace_id = $1
             ORDER BY name COLLATE \"C\", id",
            &[&workspace.0],
        )?
        .iter()
        .map(organisation)
        .collect()
    }

    fn save_organisation(&mut self, org: &Organisation) -> Result<()> {
        self.run(
            "INSERT INTO organisations (id, workspace_id, name, kind) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
            &[&org.id.0, &org.workspace.0, &org.name, &org.kind.code()],
        )?;
        Ok(())
    }

    fn places(&mut self, workspace: WorkspaceId) -> Result<Vec<Place>> {
        let mut places = self
            .rows(
                "SELECT id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into,
                   outline
                 FROM places WHERE workspace_id = $1",
                &[&workspace.0],
            )?
            .iter()
            .map(place)
            .collect::<Result<Vec<_>>>()?;
        super::sort_places(&mut places);
        Ok(places)
    }

    fn place(&mut self, id: PlaceId) -> Result<Option<Place>> {
        self.row(
            "SELECT id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into,
               outline
             FROM places WHERE id = $1",
            &[&id.0],
        )?
        .as_ref()
        .map(place)
        .transpose()
    }

    fn save_place(&mut self, p: &Place) -> Result<()> {
        self.run(
            "INSERT INTO places (id, workspace_id, name, kind, area_id, lat, lon, retired, merged_into,
               outline)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
               area_id = excluded.area_id, lat = excluded.lat, lon = excluded.lon,
               retired = excluded.retired, merged_into = excluded.merged_into,
               outline = excluded.outline",
            &[
                &p.id.0,
                &p.workspace.0,
                &p.name,
                &p.kind.code(),
                &p.area.map(|a| a.0),
                &p.lat,
                &p.lon,
                &p.retired,
                &p.merged_into.map(|m| m.0),
                &super::outline_json(p)?,
            ],
        )?;
        Ok(())
    }

    fn categories(&mut self, workspace: WorkspaceId) -> Result<Vec<Category>> {
        Ok(self
            .rows(
                "SELECT key, parent, name_sv, name_en, retired, sort FROM categories
                 WHERE workspace_id = $1 ORDER BY sort, key COLLATE \"C\"",
                &[&workspace.0],
            )?
            .iter()
            .map(category)
            .collect())
    }

    fn category(&mut self, workspace: WorkspaceId, key: &str) -> Result<Option<Category>> {
        Ok(self
            .row(
                "SELECT key, parent, name_sv, name_en, retired, sort FROM categories
                 WHERE workspace_id = $1 AND key = $2",
                &[&workspace.0, &key],
            )?
            .as_ref()
            .map(category))
    }

    fn save_category(&mut self, workspace: WorkspaceId, c: &Category) -> Result<()> {
        self.run(
            "INSERT INTO categories (workspace_id, key, parent, name_sv, name_en, retired, sort)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (workspace_id, key) DO UPDATE SET parent = excluded.parent,
               name_sv = excluded.name_sv, name_en = excluded.name_en, retired = excluded.retired,
               sort = excluded.sort",
            &[
                &workspace.0,
                &c.key,
                &c.parent,
                &c.name_sv,
                &c.name_en,
                &c.retired,
                &c.sort,
            ],
        )?;
        Ok(())
    }

    fn user_name(&mut self, user: UserId) -> Result<Option<String>> {
        Ok(self
            .row("SELECT name FROM users WHERE id = $1", &[&user.0])?
            .map(|r| r.get(0)))
    }

    fn add_user(&mut self, user: UserId, name: &str) -> Result<()> {
        self.run(
            "INSERT INTO users (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&user.0, &name],
        )?;
        Ok(())
    }

    fn membership(&mut self, user: UserId, workspace: WorkspaceId) -> Result<Option<MemberRow>> {
        self.row(
            "SELECT m.organisation_id, o.kind, m.role, u.name, m.active FROM memberships m
             JOIN organisations o ON o.id = m.organisation_id
             JOIN users u ON u.id = m.user_id
             WHERE m.user_id = $1 AND m.workspace_id = $2",
            &[&user.0, &workspace.0],
        )?
        .map(|r| {
            Ok(MemberRow {
                organisation: OrganisationId(r.get(0)),
                organisation_kind: org_kind(&r, 1)?,
                role: role(&r, 2)?,
                user_name: r.get(3),
                active: r.get(4),
            })
        })
        .transpose()
    }

    fn put_membership(
        &mut self,
        user: UserId,
        workspace: WorkspaceId,
        organisation: OrganisationId,
        role: Role,
    ) -> Result<()> {
        self.run(
            "INSERT INTO memberships (user_id, workspace_id, organisation_id, role) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, workspace_id) DO UPDATE SET organisation_id = excluded.organisation_id,
               role = excluded.role",
            &[&user.0, &workspace.0, &organisation.0, &role.code()],
        )?;
        Ok(())
    }

    fn set_active(&mut self, user: UserId, workspace: WorkspaceId, active: bool) -> Result<()> {
        self.run(
            "UPDATE memberships SET active = $3 WHERE user_id = $1 AND workspace_id = $2",
            &[&user.0, &workspace.0, &active],
        )?;
        Ok(())
    }

    fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>> {
        self.rows(
            "SELECT w.id, w.name, w.grade_labels, o.id, o.name, o.kind, m.role, w.tiles
             FROM memberships m
             JOIN workspaces w ON w.id = m.workspace_id
             JOIN organisations o ON o.id = m.organisation_id
             WHERE m.user_id = $1 AND m.active ORDER BY w.name COLLATE \"C\", w.id",
            &[&user.0],
        )?
        .iter()
        .map(|r| {
            let workspace = Workspace {
                id: WorkspaceId(r.get(0)),
                name: r.get(1),
                grade_labels: labels(r, 2),
                tiles: r.get(7),
            };
            Ok(Membership {
                organisation: Organisation {
                    id: OrganisationId(r.get(3)),
                    workspace: workspace.id,
                    name: r.get(4),
                    kind: org_kind(r, 5)?,
                },
                workspace,
                role: role(r, 6)?,
            })
        })
        .collect()
    }

    fn member_workspaces(&mut self, user: UserId) -> Result<Vec<WorkspaceId>> {
        Ok(self
            .rows(
                "SELECT workspace_id FROM memberships WHERE user_id = $1",
                &[&user.0],
            )?
            .iter()
            .map(|r| WorkspaceId(r.get(0)))
            .collect())
    }

    fn member_roles(&mut self, workspace: WorkspaceId) -> Result<Vec<(Role, bool, usize)>> {
        self.rows(
            "SELECT m.role, m.active,
                    (SELECT count(*) FROM devices d WHERE d.user_id = m.user_id
                       AND d.revoked_at IS NULL
                       AND d.workspace_id = m.workspace_id)
             FROM memberships m WHERE m.workspace_id = $1",
            &[&workspace.0],
        )?
        .iter()
        .map(|r| {
            let devices: i64 = r.get(2);
            Ok((role(r, 0)?, r.get(1), devices.try_into().unwrap_or(0)))
        })
        .collect()
    }

    fn people(&mut self, workspace: WorkspaceId) -> Result<Vec<Person>> {
        let mut people = self
            .rows(
                "SELECT u.id, u.name, m.organisation_id, m.role, m.active FROM memberships m
                 JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1
                 ORDER BY u.name COLLATE \"C\", u.id",
                &[&workspace.0],
            )?
            .iter()
            .map(|r| {
                Ok(Person {
                    user: UserId(r.get(0)),
                    name: r.get(1),
                    organisation: OrganisationId(r.get(2)),
                    role: role(r, 3)?,
                    active: r.get(4),
                    devices: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for person in &mut people {
            person.devices = self
                .rows(
                    "SELECT id, name, created_at, last_seen_at, app_version, revoked_at IS NOT NULL
                     FROM devices WHERE user_id = $1 AND (workspace_id = $2 OR workspace_id IS NULL)
                     ORDER BY created_at, id",
                    &[&person.user.0, &workspace.0],
                )?
                .iter()
                .map(|r| DeviceSummary {
                    id: DeviceId(r.get(0)),
                    name: r.get(1),
                    enrolled_at: stamp(r.get(2)),
                    last_seen: r.get::<_, Option<i64>>(3).map(stamp),
                    app_version: r.get(4),
                    revoked: r.get(5),
                })
                .collect();
        }
        Ok(people)
    }

    fn devices(&mut self) -> Result<Vec<DeviceInfo>> {
        Ok(self
            .rows(
                "SELECT d.id, d.user_id, u.name, d.name, d.created_at, d.revoked_at IS NOT NULL,
                        d.workspace_id
                 FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.created_at, d.id",
                &[],
            )?
            .iter()
            .map(|r| DeviceInfo {
                id: DeviceId(r.get(0)),
                user: UserId(r.get(1)),
                user_name: r.get(2),
                name: r.get(3),
                created_at: stamp(r.get(4)),
                revoked: r.get(5),
                workspace: r.get::<_, Option<Uuid>>(6).map(WorkspaceId),
            })
            .collect())
    }

    fn device_by_token(&mut self, token_hash: &[u8]) -> Result<Option<TokenRow>> {
        Ok(self
            .row(
                "SELECT id, user_id, name, actor, revoked_at IS NOT NULL, last_seen_at, app_version,
                        workspace_id
                 FROM devices WHERE token_hash = $1",
                &[&token_hash],
            )?
            .map(|r| TokenRow {
                device: DeviceRow {
                    id: DeviceId(r.get(0)),
                    user: UserId(r.get(1)),
                    name: r.get(2),
                    actor: r.get(3),
                    workspace: r.get::<_, Option<Uuid>>(7).map(WorkspaceId),
                },
                revoked: r.get(4),
                last_seen_at: r.get(5),
                app_version: r.get(6),
            }))
    }

    fn standing(&mut self, device: DeviceId, workspace: WorkspaceId) -> Result<Standing> {
        // FOR SHARE: a revocation or change of membership waits until this transaction
        // ends, and one under way is waited for and then seen.
        let Some((user, enrolled_in)) = self
            .row(
                "SELECT user_id, workspace_id FROM devices WHERE id = $1 AND revoked_at IS NULL FOR SHARE",
                &[&device.0],
            )?
            .map(|r| (UserId(r.get(0)), r.get::<_, Option<Uuid>>(1).map(WorkspaceId)))
        else {
            return Ok(Standing::Revoked);
        };
        // A device acts only in the workspace that enrolled it.
        if enrolled_in != Some(workspace) {
            return Ok(Standing::Outside);
        }
        self.row(
            "SELECT m.organisation_id, o.kind, m.role, u.name, m.active FROM memberships m
             JOIN organisations o ON o.id = m.organisation_id
             JOIN users u ON u.id = m.user_id
             WHERE m.user_id = $1 AND m.workspace_id = $2 FOR SHARE OF m, o",
            &[&user.0, &workspace.0],
        )?
        .map(|r| {
            Ok(Standing::Member(MemberRow {
                organisation: OrganisationId(r.get(0)),
                organisation_kind: org_kind(&r, 1)?,
                role: role(&r, 2)?,
                user_name: r.get(3),
                active: r.get(4),
            }))
        })
        .unwrap_or(Ok(Standing::Outside))
    }

    fn active_device(&mut self, device: DeviceId) -> Result<Option<ActiveDevice>> {
        Ok(self
            .row(
                "SELECT user_id, name, workspace_id FROM devices WHERE id = $1 AND revoked_at IS NULL",
                &[&device.0],
            )?
            .map(|r| ActiveDevice {
                user: UserId(r.get(0)),
                name: r.get(1),
                workspace: r.get::<_, Option<Uuid>>(2).map(WorkspaceId),
            }))
    }

    fn add_device(&mut self, d: &NewDevice<'_>) -> Result<bool> {
        let inserted = self.run(
            "INSERT INTO devices (id, user_id, name, actor, token_hash, created_at, workspace_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (actor) DO NOTHING",
            &[
                &d.id.0,
                &d.user.0,
                &d.name,
                &d.actor,
                &d.token_hash,
                &d.created_at.millis(),
                &d.workspace.0,
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
            "UPDATE devices SET last_seen_at = $2, app_version = COALESCE($3, app_version)
             WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2::bigint - 60000
                                OR app_version IS DISTINCT FROM COALESCE($3, app_version))",
            &[&device.0, &now.millis(), &app_version],
        )?;
        Ok(())
    }

    fn revoke_device(&mut self, device: DeviceId, now: Timestamp) -> Result<bool> {
        let changed = self.run(
            "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&device.0, &now.millis()],
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
            "INSERT INTO enrolment_codes (code_hash, user_id, workspace_id, expires_at) VALUES ($1, $2, $3, $4)",
            &[&code_hash, &user.0, &workspace.0, &expires_at],
        )?;
        Ok(())
    }

    fn code(&mut self, code_hash: &[u8]) -> Result<Option<CodeRow>> {
        Ok(self
            .row(
                "SELECT user_id, expires_at, used_at, workspace_id FROM enrolment_codes WHERE code_hash = $1",
                &[&code_hash],
            )?
            .map(|r| CodeRow {
                user: UserId(r.get(0)),
                workspace: r.get::<_, Option<Uuid>>(3).map(WorkspaceId),
                expires_at: r.get(1),
                used_at: r.get(2),
            }))
    }

    fn use_code(
        &mut self,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(UserId, WorkspaceId)>> {
        Ok(self
            .row(
                "UPDATE enrolment_codes SET used_at = $2
                 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2
                   AND workspace_id IS NOT NULL
                 RETURNING user_id, workspace_id",
                &[&code_hash, &now.millis()],
            )?
            .map(|r| (UserId(r.get(0)), WorkspaceId(r.get(1)))))
    }

    fn open_code(&mut self, code_hash: &[u8], now: Timestamp) -> Result<Option<UserId>> {
        Ok(self
            .row(
                "SELECT user_id FROM enrolment_codes WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2",
                &[&code_hash, &now.millis()],
            )?
            .map(|r| UserId(r.get(0))))
    }

    fn delete_code(&mut self, code_hash: &[u8]) -> Result<()> {
        self.run(
            "DELETE FROM enrolment_codes WHERE code_hash = $1",
            &[&code_hash],
        )?;
        Ok(())
    }

    fn audit(&mut self, entry: &NewAudit<'_>) -> Result<()> {
        self.run(
            "INSERT INTO audit (workspace_id, at, user_id, user_name, device_id, address, action, target, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &entry.workspace.map(|w| w.0),
                &entry.at.millis(),
                &entry.user.map(|(id, _)| id.0),
                &entry.user.map(|(_, name)| name),
                &entry.device.map(|d| d.0),
                &entry.address.map(|a| a.to_string()),
                &entry.action.code(),
                &entry.target,
                &entry.detail,
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
        let scope = workspace.map_or(Uuid::nil(), |w| w.0);
        let sql = match why {
            FailedEnrolment::Unknown => {
                "INSERT INTO failed_enrolments AS f (window_start, scope, unknown) VALUES ($1, $2, 1)
                 ON CONFLICT (window_start, scope) DO UPDATE SET unknown = f.unknown + 1
                 RETURNING f.unknown + f.used + f.expired, f.addresses"
            }
            FailedEnrolment::Used => {
                "INSERT INTO failed_enrolments AS f (window_start, scope, used) VALUES ($1, $2, 1)
                 ON CONFLICT (window_start, scope) DO UPDATE SET used = f.used + 1
                 RETURNING f.unknown + f.used + f.expired, f.addresses"
            }
            FailedEnrolment::Expired => {
                "INSERT INTO failed_enrolments AS f (window_start, scope, expired) VALUES ($1, $2, 1)
                 ON CONFLICT (window_start, scope) DO UPDATE SET expired = f.expired + 1
                 RETURNING f.unknown + f.used + f.expired, f.addresses"
            }
        };
        let (failed, addresses): (i64, i64) = self
            .row(sql, &[&window, &scope])?
            .map_or((0, 0), |r| (r.get(0), r.get(1)));
        if let Some(address) = address.filter(|_| addresses < most_addresses) {
            let new = self.run(
                "INSERT INTO failed_enrolment_addresses (window_start, scope, address)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&window, &scope, &address],
            )?;
            if new > 0 {
                self.run(
                    "UPDATE failed_enrolments SET addresses = addresses + 1
                     WHERE window_start = $1 AND scope = $2",
                    &[&window, &scope],
                )?;
            }
        }
        Ok(failed)
    }

    fn take_failed_enrolments(&mut self, before: i64) -> Result<Vec<FailedEnrolments>> {
        self.run(
            "DELETE FROM failed_enrolment_addresses WHERE window_start < $1",
            &[&before],
        )?;
        let mut taken: Vec<FailedEnrolments> = self
            .rows(
                "DELETE FROM failed_enrolments WHERE window_start < $1
                 RETURNING window_start, scope, unknown, used, expired, addresses",
                &[&before],
            )?
            .iter()
            .map(|r| {
                let scope: Uuid = r.get(1);
                FailedEnrolments {
                    window: r.get(0),
                    workspace: (!scope.is_nil()).then_some(WorkspaceId(scope)),
                    unknown: r.get(2),
                    used: r.get(3),
                    expired: r.get(4),
                    addresses: r.get(5),
                }
            })
            .collect();
        taken.sort_by_key(|t| (t.window, t.workspace.map(|w| w.0)));
        Ok(taken)
    }

    fn audit_page(
        &mut self,
        workspace: Option<WorkspaceId>,
        before: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        Ok(self
            .rows(
                "SELECT seq, at, workspace_id, user_id, user_name, device_id, address, action, target, detail
                 FROM audit WHERE ($1::uuid IS NULL OR workspace_id = $1) AND seq < $2
                 ORDER BY seq DESC LIMIT $3",
                &[&workspace.map(|w| w.0), &before, &(limit as i64)],
            )?
            .iter()
            .map(|r| AuditEntry {
                seq: r.get(0),
                at: stamp(r.get(1)),
                workspace: r.get::<_, Option<Uuid>>(2).map(WorkspaceId),
                user: r.get::<_, Option<Uuid>>(3).map(UserId),
                user_name: r.get(4),
                device: r.get::<_, Option<Uuid>>(5).map(DeviceId),
                address: r.get(6),
                action: r.get(7),
                target: r.get(8),
                detail: r.get(9),
            })
            .collect())
    }

    fn lock_workspace(&mut self, workspace: WorkspaceId) -> Result<()> {
        // NO KEY UPDATE: pushes, whose rows refer to the workspace (KEY SHARE), go on.
        self.run(
            "SELECT 1 FROM workspaces WHERE id = $1 FOR NO KEY UPDATE",
            &[&workspace.0],
        )?;
        Ok(())
    }

    fn lock_feed(&mut self, workspace: WorkspaceId) -> Result<()> {
        self.run("SELECT pg_advisory_xact_lock($1)", &[&feed_lock(workspace)])?;
        Ok(())
    }

    fn feed_head(&mut self, workspace: WorkspaceId) -> Result<i64> {
        Ok(self
            .row(
                "SELECT COALESCE(MAX(seq), 0) FROM feed WHERE workspace_id = $1",
                &[&workspace.0],
            )?
            .map_or(0, |r| r.get(0)))
    }

    fn feed(&mut self, workspace: WorkspaceId, since: i64, limit: usize) -> Result<Vec<FeedRow>> {
        self.rows(
            "SELECT f.seq, f.doc_id, f.entry, f.doc_kind, f.bytes, f.creates, f.device_id, f.org_id,
                    f.visibility_before, f.visibility_after, COALESCE(d.first_seen, f.received_at),
                    d.id IS NOT NULL, d.org_id, d.visibility
             FROM feed f LEFT JOIN documents d ON d.id = f.doc_id
             WHERE f.workspace_id = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3",
            &[&workspace.0, &since, &(limit as i64)],
        )?
        .iter()
        .map(|r| {
            let present: bool = r.get(11);
            Ok(FeedRow {
                seq: r.get(0),
                doc: r.get(1),
                remove: r.get::<_, &str>(2) == "remove",
                kind: doc_kind(r, 3)?,
                bytes: r.get(4),
                creates: r.get(5),
                device: r.get::<_, Option<Uuid>>(6).map(DeviceId),
                org: r.get::<_, Option<Uuid>>(7).map(OrganisationId),
                before: visibility_opt(r, 8)?,
                after: visibility_opt(r, 9)?,
                first_seen: r.get(10),
                now: if present {
                    Some((
                        r.get::<_, Option<Uuid>>(12).map(OrganisationId),
                        visibility(r, 13)?,
                    ))
                } else {
                    None
                },
            })
        })
        .collect()
    }

    fn document(&mut self, doc: Uuid) -> Result<Option<StoredDocument>> {
        self.row(
            "SELECT kind, bytes, org_id, visibility, projection FROM documents WHERE id = $1",
            &[&doc],
        )?
        .map(|r| stored_document(&r, 0))
        .transpose()
    }

    fn documents(
        &mut self,
        workspace: WorkspaceId,
        after: Uuid,
        limit: usize,
    ) -> Result<Vec<(Uuid, StoredDocument)>> {
        self.rows(
            "SELECT id, kind, bytes, org_id, visibility, projection FROM documents
             WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&workspace.0, &after, &(limit as i64)],
        )?
        .iter()
        .map(|r| Ok((r.get(0), stored_document(r, 1)?)))
        .collect()
    }

    fn projections(
        &mut self,
        workspace: WorkspaceId,
        before: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Vec<ProjectionRow>> {
        let (at, id) = before.unwrap_or((i64::MAX, Uuid::max()));
        self.rows(
            "SELECT id, observed_at, org_id, visibility, projection FROM documents
             WHERE workspace_id = $1 AND observed_at IS NOT NULL AND (observed_at, id) < ($2, $3)
             ORDER BY observed_at DESC, id DESC LIMIT $4",
            &[&workspace.0, &at, &id, &(limit as i64)],
        )?
        .iter()
        .map(|r| {
            Ok(ProjectionRow {
                doc: r.get(0),
                observed_at: r.get(1),
                org: r.get::<_, Option<Uuid>>(2).map(OrganisationId),
                visibility: visibility(r, 3)?,
                projection: r.get(4),
            })
        })
        .collect()
    }

    fn timeline(&mut self) -> Result<Timeline> {
        self.row("SELECT id, restored_head FROM timeline", &[])?
            .map(|r| Timeline {
                id: r.get(0),
                restored_head: r.get(1),
            })
            .ok_or_else(|| StorageError::Internal("the database has no timeline".into()))
    }

    fn start_timeline(&mut self) -> Result<Timeline> {
        let head: i64 = self
            .row("SELECT COALESCE(MAX(seq), 0) FROM feed", &[])?
            .map_or(0, |r| r.get(0));
        let timeline = Timeline {
            id: Uuid::now_v7(),
            restored_head: head,
        };
        self.run(
            "UPDATE timeline SET id = $1, restored_head = $2",
            &[&timeline.id, &head],
        )?;
        Ok(timeline)
    }

    fn observation_count(&mut self, workspace: WorkspaceId) -> Result<u64> {
        let count: i64 = self
            .row(
                "SELECT COUNT(*) FROM documents WHERE workspace_id = $1 AND observed_at IS NOT NULL",
                &[&workspace.0],
            )?
            .map_or(0, |r| r.get(0));
        Ok(count as u64)
    }

    fn held(&mut self, doc: Uuid) -> Result<Option<Held>> {
        self.row(
            "SELECT workspace_id, kind, bytes, first_seen FROM documents WHERE id = $1",
            &[&doc],
        )?
        .map(|r| {
            Ok(Held {
                workspace: WorkspaceId(r.get(0)),
                kind: doc_kind(&r, 1)?,
                bytes: r.get(2),
                first_seen: r.get(3),
            })
        })
        .transpose()
    }

    fn has_change(&mut self, hash: &[u8]) -> Result<bool> {
        Ok(self
            .row(
                "SELECT EXISTS (SELECT 1 FROM feed WHERE hash = $1)",
                &[&hash],
            )?
            .is_some_and(|r| r.get(0)))
    }

    fn erased(&mut self, doc: Uuid) -> Result<Option<WorkspaceId>> {
        Ok(self
            .row("SELECT workspace_id FROM erased WHERE doc_id = $1", &[&doc])?
            .map(|r| WorkspaceId(r.get(0))))
    }

    fn append_change(&mut self, c: &NewChange<'_>) -> Result<()> {
        self.run(
            "INSERT INTO feed (workspace_id, doc_id, entry, doc_kind, hash, bytes, creates, device_id, org_id,
                               visibility_before, visibility_after, received_at)
             VALUES ($1, $2, 'change', $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                &c.workspace.0,
                &c.doc,
                &c.kind.code(),
                &c.hash,
                &c.bytes,
                &c.creates,
                &c.device.map(|d| d.0),
                &c.org.map(|o| o.0),
                &c.visibility_before.code(),
                &c.visibility_after.code(),
                &c.received_at.millis(),
            ],
        )?;
        Ok(())
    }

    fn put_document(&mut self, d: &PutDocument<'_>) -> Result<()> {
        self.run(
            "INSERT INTO documents (id, workspace_id, kind, bytes, org_id, visibility, projection, first_seen, observed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, org_id = excluded.org_id,
               visibility = excluded.visibility, projection = excluded.projection,
               observed_at = excluded.observed_at",
            &[
                &d.doc,
                &d.workspace.0,
                &d.kind.code(),
                &d.bytes,
                &d.org.map(|o| o.0),
                &d.visibility.code(),
                &d.projection,
                &d.first_seen,
                &d.observed_at,
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
        self.run("DELETE FROM documents WHERE id = $1", &[&doc])?;
        self.run("DELETE FROM feed WHERE doc_id = $1", &[&doc])?;
        self.run(
            "INSERT INTO erased (doc_id, workspace_id, erased_at, erased_by) VALUES ($1, $2, $3, $4)",
            &[&doc, &workspace.0, &now.millis(), &by.0],
        )?;
        self.run(
            "INSERT INTO feed (workspace_id, doc_id, entry, doc_kind, received_at)
             VALUES ($1, $2, 'remove', 'observation', $3)",
            &[&workspace.0, &doc, &now.millis()],
        )?;
        Ok(())
    }

    fn announce(&mut self, workspace: WorkspaceId) -> Result<()> {
        self.run(
            "SELECT pg_notify('lagesbild_changes', $1)",
            &[&workspace.0.to_string()],
        )?;
        Ok(())
    }

    fn announce_access(&mut self) -> Result<()> {
        self.run(
            "SELECT pg_notify('lagesbild_changes', $1)",
            &[&ACCESS_CHANGED],
        )?;
        Ok(())
    }
}
