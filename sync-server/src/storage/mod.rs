//! The server's storage: one narrow interface, two implementations.
//!
//! The service's rules (authentication, access, push checks, the feed, the register,
//! erasure, enrolment) call the named operations of [`Tx`]; no SQL is written outside
//! this module. [`Sqlite`] is the embedded default, one file; [`Postgres`] serves a
//! region from several server instances over one database. Each owns its schema and
//! migrations.
//!
//! Work happens in transactions: [`Storage::read`] gives one consistent snapshot,
//! [`Storage::write`] one unit of work that is stored whole at [`Tx::commit`] or not at
//! all (a transaction dropped without commit is rolled back).

pub mod copy;
mod postgres;
mod sqlite;

use lagesbild_core::AuditAction;
use lagesbild_core::sync::wire::{AuditEntry, Membership, Person, Timeline};
use lagesbild_core::{
    Category, DeviceId, DocKind, Organisation, OrganisationId, OrganisationKind, Place, PlaceId,
    Role, Timestamp, UserId, Visibility, Workspace, WorkspaceId,
};
use serde::Serialize;
use uuid::Uuid;

pub use postgres::Postgres;
pub use sqlite::{Sqlite, private_file};

/// What a storage operation may fail with. The service decides what each means to a
/// client; storage knows nothing of requests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The database cannot take the work now (no connection free in the pool); the
    /// same work may succeed later.
    #[error("{0}")]
    Busy(String),
    /// Anything else: the database failed, or holds what this server cannot read.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Where the server keeps its data: a PostgreSQL URL, or else a SQLite file.
pub fn open(database: &str) -> anyhow::Result<Box<dyn Storage>> {
    if is_postgres_url(database) {
        Ok(Box::new(Postgres::open(database)?))
    } else {
        Ok(Box::new(Sqlite::open(std::path::Path::new(database))?))
    }
}

pub fn is_postgres_url(database: &str) -> bool {
    database.starts_with("postgres://") || database.starts_with("postgresql://")
}

/// A backend: hands out transactions, and tells other server instances what changed.
pub trait Storage: Send + Sync + std::fmt::Debug {
    /// A read-only transaction: every read in it sees one snapshot.
    fn read(&self) -> Result<Box<dyn Tx + '_>>;

    /// Reads in which each statement sees what has committed when it runs, with no
    /// transaction around them: for work of a single statement, where a transaction
    /// would only add round trips (authenticating a request, finding its membership).
    fn single(&self) -> Result<Box<dyn Tx + '_>>;

    /// A read-write transaction.
    fn write(&self) -> Result<Box<dyn Tx + '_>>;

    /// Right after an erasure, cheaply. SQLite: `secure_delete` overwrote the pages;
    /// this empties the log, and no copy is left in the files. PostgreSQL: vacuums the
    /// tables, so the deleted rows are gone from their indexes and no query or dump can
    /// see them — but their bytes may stay in the free space of the tables' pages until
    /// those are written again; `rewrite` removes them.
    fn purge(&self) -> Result<()>;

    /// Writes the documents and the feed anew, leaving no bytes of deleted rows in the
    /// database's files (`lagesbild-sync purge`, run after erasures: on PostgreSQL it
    /// holds the two tables for as long as the rewrite takes).
    fn rewrite(&self) -> Result<()>;

    /// Calls `changed` with what another server instance (or the command line) changed:
    /// a workspace's feed or register, or who may sign in; from a thread of its own, for
    /// as long as the storage lives. A single-process backend never calls it.
    fn listen(&self, changed: Box<dyn Fn(Changed) + Send + Sync>) -> Result<()>;

    /// `sqlite` or `postgres`, for logs and benchmarks.
    fn backend(&self) -> &'static str;
}

/// One transaction's named operations.
pub trait Tx {
    /// Stores everything done in this transaction.
    fn commit(self: Box<Self>) -> Result<()>;

    // --- the register ---------------------------------------------------------------

    /// The workspace and its register version.
    fn workspace(&mut self, id: WorkspaceId) -> Result<Option<(Workspace, i64)>>;
    fn workspaces(&mut self) -> Result<Vec<Workspace>>;
    fn save_workspace(&mut self, workspace: &Workspace) -> Result<()>;
    /// Moves the register version on, so devices fetch the register again.
    fn bump_register(&mut self, workspace: WorkspaceId) -> Result<()>;
    fn organisations(&mut self, workspace: WorkspaceId) -> Result<Vec<Organisation>>;
    fn save_organisation(&mut self, org: &Organisation) -> Result<()>;
    /// Sorted by name, without regard to case.
    fn places(&mut self, workspace: WorkspaceId) -> Result<Vec<Place>>;
    fn place(&mut self, id: PlaceId) -> Result<Option<Place>>;
    fn save_place(&mut self, place: &Place) -> Result<()>;
    /// Sorted by `sort`, then key.
    fn categories(&mut self, workspace: WorkspaceId) -> Result<Vec<Category>>;
    fn category(&mut self, workspace: WorkspaceId, key: &str) -> Result<Option<Category>>;
    fn save_category(&mut self, workspace: WorkspaceId, category: &Category) -> Result<()>;

    // --- people and devices -----------------------------------------------------------

    fn user_name(&mut self, user: UserId) -> Result<Option<String>>;
    /// Adds the user unless they exist.
    fn add_user(&mut self, user: UserId, name: &str) -> Result<()>;
    fn membership(&mut self, user: UserId, workspace: WorkspaceId) -> Result<Option<MemberRow>>;
    /// Gives the user a membership, or changes its organisation and role (a new one is
    /// active; an existing one keeps its state).
    fn put_membership(
        &mut self,
        user: UserId,
        workspace: WorkspaceId,
        organisation: OrganisationId,
        role: Role,
    ) -> Result<()>;
    fn set_active(&mut self, user: UserId, workspace: WorkspaceId, active: bool) -> Result<()>;
    /// The user's active memberships, by workspace name.
    fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>>;
    /// Every workspace the user is a member of, active or not.
    fn member_workspaces(&mut self, user: UserId) -> Result<Vec<WorkspaceId>>;
    /// Each member of the workspace's role, whether they are active, and how many of
    /// their devices that may act there are not revoked (devices of this workspace, and
    /// those enrolled before devices belonged to one): in one query, for the rule that
    /// every act keeps a coordinator.
    fn member_roles(&mut self, workspace: WorkspaceId) -> Result<Vec<(Role, bool, usize)>>;
    /// The workspace's people by name, each with their devices by enrolment.
    fn people(&mut self, workspace: WorkspaceId) -> Result<Vec<Person>>;
    /// Every device, by enrolment (the operator's listing).
    fn devices(&mut self) -> Result<Vec<DeviceInfo>>;
    /// The device a token hash belongs to, whether it is revoked, and when it was last
    /// seen with which app version.
    fn device_by_token(&mut self, token_hash: &[u8]) -> Result<Option<TokenRow>>;
    /// Whose device it is, its name and the workspace that enrolled it, when it is not
    /// revoked.
    fn active_device(&mut self, device: DeviceId) -> Result<Option<ActiveDevice>>;
    /// Where the device stands in the workspace, read in a write transaction so that it
    /// holds until the transaction ends: a revocation or change of membership made
    /// meanwhile waits for it (PostgreSQL locks the rows read; SQLite's writer holds the
    /// whole database), so nothing commits for a device revoked before the commit.
    fn standing(&mut self, device: DeviceId, workspace: WorkspaceId) -> Result<Standing>;
    /// False when the actor id is enrolled already.
    fn add_device(&mut self, device: &NewDevice<'_>) -> Result<bool>;
    /// Notes when the device was last seen (at most once a minute) and its app version.
    fn device_seen(
        &mut self,
        device: DeviceId,
        now: Timestamp,
        app_version: Option<&str>,
    ) -> Result<()>;
    /// False when the device was revoked already or does not exist.
    fn revoke_device(&mut self, device: DeviceId, now: Timestamp) -> Result<bool>;

    // --- enrolment codes --------------------------------------------------------------

    /// A code for `user`'s device in `workspace`.
    fn add_code(
        &mut self,
        code_hash: &[u8],
        user: UserId,
        workspace: WorkspaceId,
        expires_at: i64,
    ) -> Result<()>;
    fn code(&mut self, code_hash: &[u8]) -> Result<Option<CodeRow>>;
    /// Marks the code used when it is unused, unexpired at `now` and names its workspace,
    /// as one step: of two devices racing with one code, one wins. Its user and
    /// workspace, or none.
    fn use_code(
        &mut self,
        code_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<(UserId, WorkspaceId)>>;
    /// The user of an unused, unexpired code.
    fn open_code(&mut self, code_hash: &[u8], now: Timestamp) -> Result<Option<UserId>>;
    fn delete_code(&mut self, code_hash: &[u8]) -> Result<()>;

    // --- the audit log ----------------------------------------------------------------

    fn audit(&mut self, entry: &NewAudit<'_>) -> Result<()>;
    /// Counts a failed enrolment in the minute that starts at `window` (ms), in
    /// `workspace`'s count or, with none, the server's; `address` is counted among the
    /// minute's distinct addresses while there are fewer than `most_addresses`. Answers
    /// how many failed in that minute and count so far, this one included.
    fn count_failed_enrolment(
        &mut self,
        window: i64,
        workspace: Option<WorkspaceId>,
        why: FailedEnrolment,
        address: Option<&str>,
        most_addresses: i64,
    ) -> Result<i64>;
    /// Takes (deletes and answers) the counts of the minutes that started before
    /// `before`, oldest first: of two instances taking at once, one gets each.
    fn take_failed_enrolments(&mut self, before: i64) -> Result<Vec<FailedEnrolments>>;
    /// Newest first, before `before` (a `seq`), of one workspace or of all.
    fn audit_page(
        &mut self,
        workspace: Option<WorkspaceId>,
        before: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>>;

    // --- documents and the feed ---------------------------------------------------------

    /// Serialises the writers of the workspace's feed until this transaction ends, so
    /// its sequence numbers commit in order: a reader that has seen one has seen every
    /// lower one. Taken before reading what a push decides on.
    fn lock_feed(&mut self, workspace: WorkspaceId) -> Result<()>;
    /// Serialises the changes of the workspace's register and people until this
    /// transaction ends, so that what a change is planned on stays true until it
    /// commits (two merges into each other, two coordinators removing each other).
    fn lock_workspace(&mut self, workspace: WorkspaceId) -> Result<()>;
    /// The workspace's last sequence number (0 when empty).
    fn feed_head(&mut self, workspace: WorkspaceId) -> Result<i64>;
    /// The feed after `since`, in order, with who may read each document now.
    fn feed(&mut self, workspace: WorkspaceId, since: i64, limit: usize) -> Result<Vec<FeedRow>>;
    fn document(&mut self, doc: Uuid) -> Result<Option<StoredDocument>>;
    /// The workspace's documents by id after `after`.
    fn documents(
        &mut self,
        workspace: WorkspaceId,
        after: Uuid,
        limit: usize,
    ) -> Result<Vec<(Uuid, StoredDocument)>>;
    /// The workspace's observations' projections (JSON), newest observed first, after
    /// `before` (observed at, id) in that order.
    fn projections(
        &mut self,
        workspace: WorkspaceId,
        before: Option<(i64, Uuid)>,
        limit: usize,
    ) -> Result<Vec<ProjectionRow>>;
    /// Which history the database holds.
    fn timeline(&mut self) -> Result<Timeline>;
    /// Starts a new timeline after a restore, at the feed's head as restored.
    fn start_timeline(&mut self) -> Result<Timeline>;
    /// How many observations the workspace holds.
    fn observation_count(&mut self, workspace: WorkspaceId) -> Result<u64>;
    /// What a push needs of a document: where it lives, its bytes, when it was first seen.
    fn held(&mut self, doc: Uuid) -> Result<Option<Held>>;
    /// Whether the change (by hash) is stored.
    fn has_change(&mut self, hash: &[u8]) -> Result<bool>;
    /// The workspace a document was erased in, if it was.
    fn erased(&mut self, doc: Uuid) -> Result<Option<WorkspaceId>>;
    /// Appends a change to the feed.
    fn append_change(&mut self, change: &NewChange<'_>) -> Result<()>;
    /// Writes a document as it is now.
    fn put_document(&mut self, document: &PutDocument<'_>) -> Result<()>;
    /// Deletes the document and every stored change of it, refuses it for ever, and
    /// appends its removal to the feed.
    fn erase(
        &mut self,
        workspace: WorkspaceId,
        doc: Uuid,
        by: UserId,
        now: Timestamp,
    ) -> Result<()>;
    /// Tells the other server instances, when this transaction commits, that the
    /// workspace changed (their long polls wake).
    fn announce(&mut self, workspace: WorkspaceId) -> Result<()>;
    /// Tells the other server instances, when this transaction commits, that a device
    /// or a person's membership changed (they forget the credentials they know).
    fn announce_access(&mut self) -> Result<()>;
}

/// What another instance said it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Workspace(WorkspaceId),
    Access,
}

/// Where a device stands in a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Revoked,
    /// Its person is not a member of the workspace.
    Outside,
    Member(MemberRow),
}

/// A member's place in a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub organisation: OrganisationId,
    pub organisation_kind: OrganisationKind,
    pub role: Role,
    pub user_name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub device: DeviceRow,
    pub revoked: bool,
    pub last_seen_at: Option<i64>,
    pub app_version: Option<String>,
}

/// An enrolled device as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: DeviceId,
    pub user: UserId,
    pub name: String,
    pub actor: Vec<u8>,
    /// The workspace that enrolled it; none for a device enrolled before devices
    /// belonged to a workspace.
    pub workspace: Option<WorkspaceId>,
}

/// One entry of the audit log: who (a person, a device, an address — each known or
/// not), did what, to what, when.
#[derive(Debug, Clone)]
pub struct NewAudit<'a> {
    pub workspace: Option<WorkspaceId>,
    pub at: Timestamp,
    pub user: Option<(UserId, &'a str)>,
    pub device: Option<DeviceId>,
    pub address: Option<std::net::IpAddr>,
    pub action: AuditAction,
    pub target: Option<&'a str>,
    pub detail: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub user: UserId,
    /// None for a code issued before codes named their workspace.
    pub workspace: Option<WorkspaceId>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveDevice {
    pub user: UserId,
    pub name: String,
    /// None for a device enrolled before devices belonged to a workspace.
    pub workspace: Option<WorkspaceId>,
}

/// Why an enrolment failed, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedEnrolment {
    Unknown,
    Used,
    Expired,
}

/// A minute's failed enrolments in one workspace (or, with none, the server's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedEnrolments {
    /// When the minute started (ms).
    pub window: i64,
    pub workspace: Option<WorkspaceId>,
    pub unknown: i64,
    pub used: i64,
    pub expired: i64,
    pub addresses: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub user: UserId,
    pub user_name: String,
    pub workspace: Option<WorkspaceId>,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub struct NewDevice<'a> {
    pub id: DeviceId,
    pub user: UserId,
    /// The workspace that enrolled it: the only one it acts in.
    pub workspace: WorkspaceId,
    pub name: &'a str,
    pub actor: &'a [u8],
    pub token_hash: &'a [u8],
    pub created_at: Timestamp,
}

/// A document as stored; `projection` is the observation's projection as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    pub kind: DocKind,
    pub bytes: Vec<u8>,
    pub org: Option<OrganisationId>,
    pub visibility: Visibility,
    pub projection: Option<String>,
}

/// An observation's projection as stored, with what decides who may read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionRow {
    pub doc: Uuid,
    pub observed_at: i64,
    pub org: Option<OrganisationId>,
    pub visibility: Visibility,
    pub projection: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub workspace: WorkspaceId,
    pub kind: DocKind,
    pub bytes: Vec<u8>,
    pub first_seen: i64,
}

/// One feed entry, as a device's page is made from it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedRow {
    pub seq: i64,
    pub doc: Uuid,
    /// A removal (an erasure) rather than a change.
    pub remove: bool,
    pub kind: DocKind,
    pub bytes: Option<Vec<u8>>,
    pub creates: bool,
    pub device: Option<DeviceId>,
    pub org: Option<OrganisationId>,
    pub before: Option<Visibility>,
    pub after: Option<Visibility>,
    /// When the server first saw the document (or received this entry, if it is gone).
    pub first_seen: i64,
    /// Who may read the document now; none when it is gone.
    pub now: Option<(Option<OrganisationId>, Visibility)>,
}

#[derive(Debug, Clone)]
pub struct NewChange<'a> {
    pub workspace: WorkspaceId,
    pub doc: Uuid,
    pub kind: DocKind,
    pub hash: &'a [u8],
    pub bytes: &'a [u8],
    pub creates: bool,
    pub device: Option<DeviceId>,
    pub org: Option<OrganisationId>,
    pub visibility_before: Visibility,
    pub visibility_after: Visibility,
    pub received_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct PutDocument<'a> {
    pub workspace: WorkspaceId,
    pub doc: Uuid,
    pub kind: DocKind,
    pub bytes: &'a [u8],
    pub org: Option<OrganisationId>,
    pub visibility: Visibility,
    pub projection: Option<&'a str>,
    /// When an observation was observed (ms): the order a new device gets summaries in.
    pub observed_at: Option<i64>,
    /// Kept from the first write.
    pub first_seen: i64,
}

/// An area's outline as its column keeps it: JSON, `[[lon, lat], …]`.
fn outline_json(place: &Place) -> Result<Option<String>> {
    place
        .outline
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StorageError::Internal(e.to_string()))
}

/// Places by name without regard to case (in Rust, so both backends agree).
fn sort_places(places: &mut [Place]) {
    places.sort_by_cached_key(|p| (p.name.to_lowercase(), p.id));
}

fn stamp(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH))
}
