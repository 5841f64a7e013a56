//! What the sync engine needs of a device's storage, and nothing more: where sync
//! stands, the changes waiting to go, and applying what the server sends. The device's
//! SQLite store implements it (`store/sync.rs`, `store/bootstrap.rs`); [`MemoryStorage`]
//! implements it in memory, so the engine's decisions are tested without SQLite
//! (ARCHITECTURE.md, "The path of a report").

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wire::{BootstrapPage, FeedEntry, ProjectionKey, ProjectionPage, Register, Timeline};
use crate::doc::DocChange;
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::time::Timestamp;

pub use super::memory::MemoryStorage;

/// A device's storage as the sync engine uses it.
pub trait SyncStorage {
    /// Where sync of the workspace stands (all zero before the first sync).
    fn sync_state(&self, workspace: WorkspaceId) -> Result<SyncState>;

    /// How far a bootstrap under way has come; none before it begins and after it ends.
    fn bootstrap_progress(&self, workspace: WorkspaceId) -> Result<Option<BootstrapProgress>>;

    /// The workspace's local changes not yet acknowledged nor refused, oldest first.
    fn pending(&self, workspace: WorkspaceId, limit: usize) -> Result<Vec<PendingChange>>;

    /// How many of the workspace's changes wait to be sent, and how many changes the
    /// server refused.
    fn waiting(&self, workspace: WorkspaceId) -> Result<Waiting>;

    /// Stores the register the server sent. A storage that holds reports recorded
    /// before enrolment moves them into the workspace now that their places are known.
    fn apply_register(
        &mut self,
        workspace: WorkspaceId,
        register: &Register,
        now: Timestamp,
    ) -> Result<()>;

    /// Stores a bootstrap page of projections and where the next one starts.
    fn apply_projections(
        &mut self,
        workspace: WorkspaceId,
        page: &ProjectionPage,
        now: Timestamp,
    ) -> Result<Applied>;

    /// Stores a bootstrap page of documents; the last page ends the bootstrap, and the
    /// feed continues from where it began.
    fn apply_documents(
        &mut self,
        workspace: WorkspaceId,
        page: &BootstrapPage,
        now: Timestamp,
    ) -> Result<Applied>;

    /// Applies a page of the feed and moves the cursor to `cursor`, as one step. An
    /// entry that cannot be applied is reported and skipped.
    fn apply_feed(
        &mut self,
        workspace: WorkspaceId,
        entries: &[FeedEntry],
        cursor: i64,
        now: Timestamp,
    ) -> Result<Applied>;

    /// Notes which history the server holds. When it is a new one (the server was
    /// restored from a backup), the cursor goes back to the restored head and every
    /// change this device made is queued again; answers whether it was new.
    fn follow_timeline(&mut self, workspace: WorkspaceId, timeline: &Timeline) -> Result<bool>;

    /// Notes that the device has everything the server had at `now`.
    fn mark_synced(&mut self, workspace: WorkspaceId, now: Timestamp) -> Result<()>;

    /// Takes the server's answer to a push: acknowledged changes are done, refused ones
    /// kept with why, erased documents removed.
    fn settle_push(&mut self, answer: &PushAnswer) -> Result<()>;
}

/// How many changes wait.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Changes of the workspace to send.
    pub pending: u64,
    /// Changes the server refused (of any workspace), kept until dealt with.
    pub refused: u64,
}

/// The server's answer to one push, as the storage keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushAnswer {
    /// Stored or already held: the changes by their `seq`.
    pub acknowledged: Vec<i64>,
    /// Refused: `seq`, the code and the server's words.
    pub refused: Vec<(i64, String, String)>,
    /// Documents the server erased: removed here too.
    pub erased: Vec<Uuid>,
    /// The server's clock when it answered.
    pub server_time: Timestamp,
}

/// Where this device syncs one workspace, and how far it has come.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    pub cursor: i64,
    pub register_version: i64,
    /// Every bootstrap page is in (or none was needed).
    pub bootstrapped: bool,
    pub last_synced_at: Option<Timestamp>,
}

/// A local change waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub seq: i64,
    pub doc_id: Uuid,
    pub change: DocChange,
}

/// What applying a feed page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub entries: usize,
    /// Entries that could not be applied, with why; the feed moves on past them.
    pub failed: Vec<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BootstrapStage {
    /// The reports' projections, newest first.
    Projections,
    /// The documents behind them.
    Documents,
}

/// How far a bootstrap under way has come.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapProgress {
    pub stage: BootstrapStage,
    /// The feed's head when the bootstrap began: the feed continues from it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    /// Where the next page of projections starts.
    pub next_projection: Option<ProjectionKey>,
    /// Where the next page of documents starts.
    pub next_document: Option<Uuid>,
    /// Observations in the workspace when the bootstrap began.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    /// Projections stored so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub projections: u64,
    /// Documents stored so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub documents: u64,
    /// While projections come in: every report observed at or after this is here.
    pub complete_since: Option<Timestamp>,
}

impl BootstrapProgress {
    /// Where a bootstrap stands after a page of projections, from where it stood
    /// (none: the page is its first).
    pub fn after_projections(before: Option<BootstrapProgress>, page: &ProjectionPage) -> Self {
        let mut next = before.unwrap_or(BootstrapProgress {
            stage: BootstrapStage::Projections,
            at: page.cursor,
            next_projection: None,
            next_document: None,
            total: page.total.unwrap_or(0),
            projections: 0,
            documents: 0,
            complete_since: None,
        });
        next.projections += page.projections.len() as u64;
        match page.next {
            Some(key) => {
                next.next_projection = Some(key);
                // Ties with the last one's time may still come: one ms later on.
                next.complete_since = Timestamp::from_millis(key.observed_at + 1);
            }
            None => {
                next.stage = BootstrapStage::Documents;
                next.next_projection = None;
                next.complete_since = None;
            }
        }
        next
    }

    /// Whether every report observed at or after `since` is on the device.
    pub fn covers(&self, since: Timestamp) -> bool {
        match self.stage {
            BootstrapStage::Documents => true,
            BootstrapStage::Projections => self.complete_since.is_some_and(|c| c <= since),
        }
    }
}
