//! A device's sync storage in memory: what the engine reads and writes, kept in maps.
//! It holds documents as Automerge documents, the changes waiting to go, and where sync
//! stands, with the same rules as the SQLite store (`store/sync.rs`) for what the
//! engine can see: cursors only move forward, a restore queues this device's own
//! changes again, a bootstrap resumes where it stopped, a bad feed entry is skipped and
//! reported. What the SQLite store does beyond that for its screens (projections for
//! lists, carrying edits of widened reports over) is not the engine's business and is
//! not here.

use std::collections::{BTreeMap, HashMap};

use automerge::ActorId;
use autosurgeon::Reconcile;
use uuid::Uuid;

use super::storage::{
    Applied, BootstrapProgress, PendingChange, PushAnswer, SyncState, SyncStorage, Waiting,
};
use super::wire::{BootstrapPage, FeedEntry, ProjectionPage, Register, Timeline};
use crate::doc::{DocChange, Document};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::model::ObservationProjection;
use crate::permissions::Record;
use crate::time::Timestamp;

/// Sync storage in memory, for tests of the engine and simulations.
#[derive(Debug)]
pub struct MemoryStorage {
    actor: ActorId,
    workspaces: HashMap<WorkspaceId, Workspace>,
    documents: BTreeMap<Uuid, Held>,
    /// Projections of reports this device counts without holding the document.
    projections: BTreeMap<Uuid, ObservationProjection>,
    pending: BTreeMap<i64, Queued>,
    next_seq: i64,
}

#[derive(Debug, Default)]
struct Workspace {
    state: SyncState,
    timeline: Option<Uuid>,
    progress: Option<BootstrapProgress>,
    register: Option<Register>,
}

#[derive(Debug)]
struct Held {
    workspace: WorkspaceId,
    document: Document,
}

#[derive(Debug)]
struct Queued {
    doc: Uuid,
    change: DocChange,
    refused: Option<(String, String)>,
}

impl MemoryStorage {
    pub fn new(actor: ActorId) -> MemoryStorage {
        MemoryStorage {
            actor,
            workspaces: HashMap::new(),
            documents: BTreeMap::new(),
            projections: BTreeMap::new(),
            pending: BTreeMap::new(),
            next_seq: 1,
        }
    }

    /// Writes `value` into document `doc` of `workspace` (a new one, or the one held),
    /// as this device, and queues the change for the server. Answers the changes made.
    pub fn write<T: Reconcile>(
        &mut self,
        workspace: WorkspaceId,
        doc: Uuid,
        value: &T,
        now: Timestamp,
    ) -> Result<Vec<DocChange>> {
        let actor = self.actor.clone();
        let held = self.documents.entry(doc).or_insert_with(|| Held {
            workspace,
            document: Document::new(&actor),
        });
        if held.workspace != workspace {
            return Err(Error::corrupt("a document of another workspace"));
        }
        let changes = held.document.update(value, now)?;
        for change in &changes {
            self.queue(doc, change.clone());
        }
        Ok(changes)
    }

    /// The document as held, if it is.
    pub fn document(&self, doc: &Uuid) -> Option<&Document> {
        self.documents.get(doc).map(|h| &h.document)
    }

    /// Ids of the documents held, in order.
    pub fn documents(&self) -> Vec<Uuid> {
        self.documents.keys().copied().collect()
    }

    /// A projection held without its document (a bootstrap's first pages, a
    /// restricted report).
    pub fn projection(&self, doc: &Uuid) -> Option<&ObservationProjection> {
        self.projections.get(doc)
    }

    /// Changes the server refused: their document, code and message.
    pub fn refused(&self) -> Vec<(Uuid, String, String)> {
        self.pending
            .values()
            .filter_map(|w| {
                let (code, message) = w.refused.clone()?;
                Some((w.doc, code, message))
            })
            .collect()
    }

    /// The register last applied for the workspace.
    pub fn register(&self, workspace: WorkspaceId) -> Option<&Register> {
        self.workspaces.get(&workspace)?.register.as_ref()
    }

    fn queue(&mut self, doc: Uuid, change: DocChange) {
        self.pending.insert(
            self.next_seq,
            Queued {
                doc,
                change,
                refused: None,
            },
        );
        self.next_seq += 1;
    }

    fn workspace(&mut self, workspace: WorkspaceId) -> &mut Workspace {
        self.workspaces.entry(workspace).or_default()
    }

    fn remove(&mut self, doc: &Uuid) {
        self.documents.remove(doc);
        self.projections.remove(doc);
        self.pending.retain(|_, w| w.doc != *doc);
    }

    /// Applies one entry, or changes nothing and says why: as in the SQLite store, a
    /// document must hold a valid record with its own id, of this workspace.
    fn apply_entry(&mut self, workspace: WorkspaceId, entry: &FeedEntry) -> Result<()> {
        match entry {
            FeedEntry::Change { doc, bytes, .. } => {
                let change = DocChange::decode(bytes)?;
                let mut document = self.current(workspace, doc)?;
                document.apply(&[change])?;
                self.keep(workspace, *doc, document)?;
            }
            FeedEntry::Document { doc, bytes, .. } => {
                let mut sent = Document::load(bytes, &self.actor)?;
                let mut document = self.current(workspace, doc)?;
                document.merge(&mut sent)?;
                self.keep(workspace, *doc, document)?;
                self.projections.remove(doc);
            }
            FeedEntry::Restricted { projection } => {
                check_workspace(projection, workspace)?;
                let id = *projection.id.as_uuid();
                if !self.documents.contains_key(&id) {
                    self.projections.insert(id, projection.restricted());
                }
            }
            FeedEntry::Remove { doc, restricted } => {
                if let Some(projection) = restricted {
                    check_workspace(projection, workspace)?;
                }
                self.remove(doc);
                if let Some(projection) = restricted {
                    self.projections.insert(*doc, projection.restricted());
                }
            }
        }
        Ok(())
    }

    /// A copy of the document as held, or an empty one.
    fn current(&self, workspace: WorkspaceId, doc: &Uuid) -> Result<Document> {
        match self.documents.get(doc) {
            Some(held) if held.workspace != workspace => {
                Err(Error::corrupt("a document of another workspace"))
            }
            Some(held) => Ok(held.document.clone()),
            None => Ok(Document::new(&self.actor)),
        }
    }

    /// Keeps `document` as `doc` when it holds a valid record of `workspace` with that id.
    fn keep(&mut self, workspace: WorkspaceId, doc: Uuid, document: Document) -> Result<()> {
        let (id, its_workspace) = Record::read(&document)?.identity();
        if id != doc || its_workspace != workspace {
            return Err(Error::corrupt(format!(
                "changes for document {doc} hold record {id} of workspace {its_workspace}"
            )));
        }
        self.documents.insert(
            doc,
            Held {
                workspace,
                document,
            },
        );
        Ok(())
    }

    fn apply_entries(&mut self, workspace: WorkspaceId, entries: &[FeedEntry]) -> Applied {
        let mut applied = Applied::default();
        for entry in entries {
            match self.apply_entry(workspace, entry) {
                Ok(()) => applied.entries += 1,
                Err(e) => applied.failed.push(e.to_string()),
            }
        }
        applied
    }
}

fn check_workspace(projection: &ObservationProjection, workspace: WorkspaceId) -> Result<()> {
    if projection.workspace != workspace {
        return Err(Error::corrupt("a projection of another workspace"));
    }
    Ok(())
}

impl SyncStorage for MemoryStorage {
    fn sync_state(&self, workspace: WorkspaceId) -> Result<SyncState> {
        Ok(self
            .workspaces
            .get(&workspace)
            .map(|w| w.state.clone())
            .unwrap_or_default())
    }

    fn bootstrap_progress(&self, workspace: WorkspaceId) -> Result<Option<BootstrapProgress>> {
        Ok(self
            .workspaces
            .get(&workspace)
            .and_then(|w| w.progress.clone()))
    }

    fn pending(&self, workspace: WorkspaceId, limit: usize) -> Result<Vec<PendingChange>> {
        Ok(self
            .pending
            .iter()
            .filter(|(_, w)| w.refused.is_none())
            .filter(|(_, w)| {
                self.documents
                    .get(&w.doc)
                    .is_some_and(|h| h.workspace == workspace)
            })
            .take(limit)
            .map(|(seq, w)| PendingChange {
                seq: *seq,
                doc_id: w.doc,
                change: w.change.clone(),
            })
            .collect())
    }

    fn waiting(&self, workspace: WorkspaceId) -> Result<Waiting> {
        Ok(Waiting {
            pending: self.pending(workspace, usize::MAX)?.len() as u64,
            refused: self
                .pending
                .values()
                .filter(|w| w.refused.is_some())
                .count() as u64,
        })
    }

    fn apply_register(
        &mut self,
        workspace: WorkspaceId,
        register: &Register,
        _now: Timestamp,
    ) -> Result<()> {
        // A store that keeps reports recorded before enrolment moves them here too; this
        // one holds none.
        let held = self.workspace(workspace);
        held.state.register_version = register.version;
        if !register.unchanged {
            held.register = Some(register.clone());
        }
        Ok(())
    }

    fn apply_projections(
        &mut self,
        workspace: WorkspaceId,
        page: &ProjectionPage,
        _now: Timestamp,
    ) -> Result<Applied> {
        let mut applied = Applied::default();
        for projection in &page.projections {
            match check_workspace(projection, workspace) {
                Ok(()) => {
                    let id = *projection.id.as_uuid();
                    if !self.documents.contains_key(&id) {
                        self.projections.insert(id, projection.clone());
                    }
                    applied.entries += 1;
                }
                Err(e) => applied.failed.push(e.to_string()),
            }
        }
        let held = self.workspace(workspace);
        held.progress = Some(BootstrapProgress::after_projections(
            held.progress.take(),
            page,
        ));
        Ok(applied)
    }

    fn apply_documents(
        &mut self,
        workspace: WorkspaceId,
        page: &BootstrapPage,
        _now: Timestamp,
    ) -> Result<Applied> {
        let mut next = self
            .workspace(workspace)
            .progress
            .clone()
            .ok_or_else(|| Error::corrupt("documents of a bootstrap that has not begun"))?;
        let applied = self.apply_entries(workspace, &page.entries);
        let held = self.workspace(workspace);
        match page.next {
            Some(after) => {
                next.documents += page.entries.len() as u64;
                next.next_document = Some(after);
                held.progress = Some(next);
            }
            None => {
                held.progress = None;
                held.state.cursor = held.state.cursor.max(next.at);
                held.state.bootstrapped = true;
            }
        }
        Ok(applied)
    }

    fn apply_feed(
        &mut self,
        workspace: WorkspaceId,
        entries: &[FeedEntry],
        cursor: i64,
        _now: Timestamp,
    ) -> Result<Applied> {
        let applied = self.apply_entries(workspace, entries);
        let held = self.workspace(workspace);
        held.state.cursor = held.state.cursor.max(cursor);
        if !entries.is_empty() {
            // What a refused change was missing may have arrived: it goes once more.
            for waiting in self.pending.values_mut() {
                if waiting
                    .refused
                    .as_ref()
                    .is_some_and(|(code, _)| code == "missing_dependencies")
                {
                    waiting.refused = None;
                }
            }
        }
        Ok(applied)
    }

    fn follow_timeline(&mut self, workspace: WorkspaceId, timeline: &Timeline) -> Result<bool> {
        let held = self.workspace(workspace);
        let known = held.timeline.replace(timeline.id);
        let restored = match known {
            Some(known) if known == timeline.id => return Ok(false),
            None => false,
            Some(_) => {
                held.state.cursor = held.state.cursor.min(timeline.restored_head);
                // Every change this device made to the workspace's documents goes again.
                let actor = self.actor.clone();
                let mut mine = Vec::new();
                for (doc, held) in self.documents.iter_mut() {
                    if held.workspace == workspace {
                        for change in held.document.changes_by(&actor) {
                            mine.push((*doc, change));
                        }
                    }
                }
                for (doc, change) in mine {
                    let queued = self
                        .pending
                        .values()
                        .any(|w| w.doc == doc && w.change.hash == change.hash);
                    if !queued {
                        self.queue(doc, change);
                    }
                }
                true
            }
        };
        Ok(restored)
    }

    fn mark_synced(&mut self, workspace: WorkspaceId, now: Timestamp) -> Result<()> {
        self.workspace(workspace).state.last_synced_at = Some(now);
        Ok(())
    }

    fn settle_push(&mut self, answer: &PushAnswer) -> Result<()> {
        for (seq, code, message) in &answer.refused {
            if let Some(waiting) = self.pending.get_mut(seq) {
                waiting.refused = Some((code.clone(), message.clone()));
            }
        }
        for seq in &answer.acknowledged {
            self.pending.remove(seq);
        }
        for doc in &answer.erased {
            self.remove(doc);
        }
        Ok(())
    }
}
