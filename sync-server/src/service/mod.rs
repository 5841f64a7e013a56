//! What the server does, as plain synchronous functions over its storage: enrolment,
//! authentication, the register, push, feed, bootstrap and erasure. The HTTP layer is a
//! thin shell over this, and the simulated-network tests call it directly. No SQL here:
//! the rules call the named operations of `crate::storage`.

mod access;
mod admin;
mod audit;
mod auth;
mod feed;
mod people;
mod push;
mod register;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use lagesbild_core::sync::wire::Timeline;
use lagesbild_core::{DeviceId, OrganisationId, OrganisationKind, Role, UserId, WorkspaceId};
use tokio::sync::watch;

use crate::storage::{Changed, DeviceRow, Storage, StorageError, Tx};

pub use admin::NewUser;
pub use audit::{Act, MAX_AUDIT_PAGE, Origin};
pub use auth::{Reading, hash_token};
pub use feed::Projections;

/// A failure the client is told about. Internal causes are logged, not sent.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Unauthorized(String),
    /// A credential that was valid and has been revoked (not a guess).
    #[error("{0}")]
    Revoked(String),
    #[error("{0}")]
    Forbidden(String),
    /// The person was deactivated in the workspace; the coordinator may reactivate them.
    #[error("{0}")]
    Deactivated(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// The request is over a limit; smaller ones will do.
    #[error("{0}")]
    TooLarge(String),
    /// The server is at a limit now; the same request may succeed later.
    #[error("{0}")]
    Busy(String),
    /// This client sends more than it may; it must slow down.
    #[error("{0}")]
    TooManyRequests(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Unauthorized(_) => "unauthorized",
            ServiceError::Revoked(_) => "revoked",
            ServiceError::Forbidden(_) => "forbidden",
            ServiceError::Deactivated(_) => "deactivated",
            ServiceError::NotFound(_) => "not_found",
            ServiceError::BadRequest(_) => "bad_request",
            ServiceError::TooLarge(_) => "too_large",
            ServiceError::Busy(_) => "busy",
            ServiceError::TooManyRequests(_) => "too_many_requests",
            ServiceError::Internal(_) => "internal",
        }
    }
}

impl From<lagesbild_core::Error> for ServiceError {
    fn from(e: lagesbild_core::Error) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Busy(message) => ServiceError::Busy(message),
            StorageError::Internal(message) => ServiceError::Internal(message),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub user: UserId,
    pub name: String,
    pub actor: Vec<u8>,
    /// The workspace that enrolled it, the only one it acts in; none for a device
    /// enrolled before devices belonged to a workspace whose person has several.
    pub workspace: Option<WorkspaceId>,
    /// Where the request came from, for the audit log; none outside a request.
    pub address: Option<std::net::IpAddr>,
}

impl Device {
    /// The device as storage holds it, outside any request.
    pub(crate) fn stored(row: DeviceRow) -> Device {
        Device {
            id: row.id,
            user: row.user,
            name: row.name,
            actor: row.actor,
            workspace: row.workspace,
            address: None,
        }
    }
}

/// An authenticated device acting in one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub device: Device,
    /// The user's name, as records name their authors.
    pub name: String,
    pub workspace: WorkspaceId,
    pub organisation: OrganisationId,
    pub organisation_kind: OrganisationKind,
    pub role: Role,
}

/// How long a workspace's head, as read, answers for it without the database. Changes
/// made here and on other instances (told by the database) end it at once; this bounds
/// how stale it can be should such word be lost.
const KNOWN_FOR: Duration = Duration::from_millis(250);

/// A workspace's feed head and register version, and when they were read.
#[derive(Debug, Clone, Copy)]
struct Known {
    head: i64,
    register_version: i64,
    at: Instant,
}

/// The sync service: the storage and the signal that wakes long polls.
#[derive(Debug)]
pub struct Service {
    storage: Box<dyn Storage>,
    heads: Mutex<HashMap<WorkspaceId, Arc<watch::Sender<i64>>>>,
    /// Feed pages read lately, for the long polls that wake together.
    pages: feed::Pages,
    /// Each workspace's feed head and register version as last read, until a change
    /// (here or, told by the database, on another instance) or `KNOWN_FOR` passes.
    known: Mutex<HashMap<WorkspaceId, Known>>,
    /// Moves on with every change: what was read before one is not kept as known.
    epoch: std::sync::atomic::AtomicU64,
    /// The address devices reach the server at, for enrolment links.
    public_url: Option<String>,
    /// The CA the enrolment links hand devices (DER, base64url), if any.
    device_ca: Option<String>,
    /// Which history the database holds; read once (a restore happens with every
    /// instance stopped).
    timeline: std::sync::OnceLock<Timeline>,
    /// Credentials the long polls presented lately, until access changes.
    credentials: auth::Credentials,
}

impl Service {
    pub fn new(storage: impl Storage + 'static) -> Service {
        Service::with_storage(Box::new(storage))
    }

    pub fn with_storage(storage: Box<dyn Storage>) -> Service {
        Service {
            storage,
            heads: Mutex::new(HashMap::new()),
            pages: Mutex::default(),
            known: Mutex::default(),
            epoch: std::sync::atomic::AtomicU64::new(0),
            timeline: std::sync::OnceLock::new(),
            public_url: None,
            device_ca: None,
            credentials: auth::Credentials::default(),
        }
    }

    /// Which history the database holds.
    pub fn timeline(&self) -> ServiceResult<Timeline> {
        if let Some(timeline) = self.timeline.get() {
            return Ok(*timeline);
        }
        let timeline = self.single(|tx| Ok(tx.timeline()?))?;
        Ok(*self.timeline.get_or_init(|| timeline))
    }

    /// After the database was restored from a backup (with every instance stopped):
    /// starts a new timeline, so devices send again what the backup lacks.
    pub fn start_timeline(&self) -> ServiceResult<Timeline> {
        self.write(|tx| Ok(tx.start_timeline()?))
    }

    /// The address devices reach the server at: enrolment codes issued in the app then
    /// come with their link.
    pub fn with_public_url(mut self, url: Option<String>) -> Service {
        self.public_url = url;
        self
    }

    /// The municipality's own CA (DER, base64url), handed to devices in enrolment links
    /// when the server's certificate is issued by one the systems' roots do not know.
    pub fn with_device_ca(mut self, ca: Option<String>) -> Service {
        self.device_ca = ca;
        self
    }

    /// A receiver that changes whenever the workspace's feed grows.
    pub fn watch(&self, workspace: WorkspaceId) -> watch::Receiver<i64> {
        let mut heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        heads
            .entry(workspace)
            .or_insert_with(|| Arc::new(watch::channel(0).0))
            .subscribe()
    }

    /// What is known of the workspace now, if it is fresh.
    fn known(&self, workspace: WorkspaceId) -> Option<Known> {
        let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        known
            .get(&workspace)
            .filter(|k| k.at.elapsed() < KNOWN_FOR)
            .copied()
    }

    /// The epoch to read under, for `learn`.
    fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Keeps what was read as known, unless a change came since `epoch` (what was read
    /// may then be older than the change, and long polls woken by it must not get it).
    fn learn(&self, workspace: WorkspaceId, head: i64, register_version: i64, epoch: u64) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if self.epoch() != epoch {
            return;
        }
        known.insert(
            workspace,
            Known {
                head,
                register_version,
                at: Instant::now(),
            },
        );
    }

    fn forget(&self, workspace: WorkspaceId) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        known.remove(&workspace);
    }

    /// Wakes the workspace's long polls, from a task of the runtime's when there is one.
    /// A push stores its changes on a blocking thread; a thousand long polls woken from
    /// there would be queued ahead of the push's own answer, which then waited for them
    /// all to answer (50 ms under the load benchmark). Woken from a task, they queue
    /// behind it.
    fn feed_grew(&self, workspace: WorkspaceId, head: i64) {
        self.forget(workspace);
        let heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(sender) = heads.get(&workspace) else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let sender = Arc::clone(sender);
                runtime.spawn(async move {
                    sender.send_replace(head);
                });
            }
            Err(_) => {
                sender.send_replace(head);
            }
        }
    }

    /// Wakes the workspace's long polls (the register changed, or another instance
    /// changed the workspace).
    fn wake(&self, workspace: WorkspaceId) {
        self.forget(workspace);
        let heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = heads.get(&workspace) {
            sender.send_modify(|_| {});
        }
    }

    /// Wakes this instance's long polls when another server instance on the same
    /// database changes a workspace.
    pub fn listen_to_other_instances(self: &Arc<Self>) -> ServiceResult<()> {
        let service: Weak<Service> = Arc::downgrade(self);
        self.storage.listen(Box::new(move |changed| {
            if let Some(service) = service.upgrade() {
                match changed {
                    Changed::Workspace(workspace) => service.wake(workspace),
                    Changed::Access => service.credentials.forget(),
                }
            }
        }))?;
        Ok(())
    }

    /// Writes the stored documents and feed anew, leaving nothing of erased reports in
    /// the database's files (`lagesbild-sync purge`).
    pub fn rewrite_storage(&self) -> ServiceResult<()> {
        Ok(self.storage.rewrite()?)
    }

    pub fn backend(&self) -> &'static str {
        self.storage.backend()
    }

    /// Runs `f` in a read transaction.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        let mut tx = self.storage.read()?;
        let value = f(&mut *tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f`, a single statement's work, outside a transaction.
    pub(crate) fn single<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        f(&mut *self.storage.single()?)
    }

    /// Runs `f` in a write transaction, stored whole when it returns `Ok`.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> ServiceResult<T>,
    ) -> ServiceResult<T> {
        let mut tx = self.storage.write()?;
        let value = f(&mut *tx)?;
        tx.commit()?;
        Ok(value)
    }

    pub(crate) fn storage(&self) -> &dyn Storage {
        &*self.storage
    }
}
