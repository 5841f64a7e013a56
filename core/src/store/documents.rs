//! Saved documents and the changes waiting for a server.

use crate::sync::storage::PendingChange;
use automerge::ActorId;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{Store, projection};
use crate::codes::DocKind;
use crate::doc::{DocChange, Document};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::time::Timestamp;

pub(super) fn load(conn: &Connection, id: &Uuid, actor: &ActorId) -> Result<Option<Document>> {
    let bytes: Option<Vec<u8>> = conn
        .prepare_cached("SELECT bytes FROM documents WHERE id = ?1")?
        .query_row([id.as_bytes().as_slice()], |r| r.get(0))
        .optional()?;
    bytes.map(|b| Document::load(&b, actor)).transpose()
}

/// Whether the device holds the document.
pub(super) fn exists(conn: &Connection, id: &Uuid) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
        .exists([id.as_bytes().as_slice()])?)
}

/// Every document of one kind in a workspace, read as `T`, in id (creation) order.
/// Reports are found through the projection (the index of documents by kind leaves them
/// out); every other kind through that index, which the query's `kind <> 'observation'`
/// lets SQLite use.
pub(super) fn read_all<T: autosurgeon::Hydrate>(
    conn: &Connection,
    actor: &ActorId,
    workspace: WorkspaceId,
    kind: DocKind,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(if kind == DocKind::Observation {
        "SELECT d.bytes FROM observations o JOIN documents d ON d.id = o.id
         WHERE o.workspace_id = ?1 AND d.kind = ?2 ORDER BY d.id"
    } else {
        "SELECT bytes FROM documents
         WHERE workspace_id = ?1 AND kind = ?2 AND kind <> 'observation' ORDER BY id"
    })?;
    let all = stmt
        .query_map(params![workspace, kind.code()], |r| r.get::<_, Vec<u8>>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    all.iter()
        .map(|bytes| Document::load(bytes, actor)?.read())
        .collect()
}

/// Unsent, unrefused changes, oldest first; of one workspace's documents if given.
pub(super) fn pending(
    conn: &Connection,
    workspace: Option<WorkspaceId>,
    limit: usize,
) -> Result<Vec<PendingChange>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.seq, p.doc_id, p.hash, COALESCE(p.bytes, d.bytes)
         FROM pending_changes p JOIN documents d ON d.id = p.doc_id
         WHERE p.refused IS NULL AND (?1 IS NULL OR d.workspace_id = ?1) ORDER BY p.seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![workspace, i64::try_from(limit).unwrap_or(i64::MAX)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        },
    )?;
    rows.map(|row| {
        let (seq, doc, hash, bytes) = row?;
        let doc_id = Uuid::from_slice(&doc)
            .map_err(|e| Error::corrupt(format!("a pending change's document id: {e}")))?;
        let hash = automerge::ChangeHash::try_from(hash.as_slice())
            .map_err(|e| Error::corrupt(format!("a pending change's hash: {e}")))?;
        Ok(PendingChange {
            seq,
            doc_id,
            change: DocChange { hash, bytes },
        })
    })
    .collect()
}

/// Saves a document and queues its new local changes for the server.
pub(super) fn save(
    conn: &Connection,
    id: &Uuid,
    workspace: WorkspaceId,
    kind: DocKind,
    doc: &mut Document,
    new_changes: &[DocChange],
    now: Timestamp,
) -> Result<()> {
    save_bytes(conn, id, workspace, kind, &doc.save(), new_changes, now)
}

/// Saves a new document as the one change that created it: Automerge loads a change as
/// it loads a saved document, and this skips a save on the recording path.
pub(super) fn save_created(
    conn: &Connection,
    id: &Uuid,
    workspace: WorkspaceId,
    kind: DocKind,
    created: &DocChange,
    now: Timestamp,
) -> Result<()> {
    // The document is its one change: kept once, in the document, and sent from there.
    write_bytes(conn, id, workspace, kind, &created.bytes, true, now)?;
    conn.prepare_cached("INSERT INTO pending_changes (doc_id, hash, bytes) VALUES (?1, ?2, NULL)")?
        .execute(params![id.as_bytes().as_slice(), created.hash.0.as_slice()])?;
    Ok(())
}

pub(super) fn save_bytes(
    conn: &Connection,
    id: &Uuid,
    workspace: WorkspaceId,
    kind: DocKind,
    bytes: &[u8],
    new_changes: &[DocChange],
    now: Timestamp,
) -> Result<()> {
    write_bytes(conn, id, workspace, kind, bytes, false, now)?;
    let mut queue = conn
        .prepare_cached("INSERT INTO pending_changes (doc_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
    for change in new_changes {
        queue.execute(params![
            id.as_bytes().as_slice(),
            change.hash.0.as_slice(),
            change.bytes
        ])?;
    }
    Ok(())
}

/// Writes a document's bytes; `whole_pending` when they are exactly one pending change
/// that is sent from here. Bytes that were such a change are first copied to it, so that
/// what waits to be sent never changes under it.
fn write_bytes(
    conn: &Connection,
    id: &Uuid,
    workspace: WorkspaceId,
    kind: DocKind,
    bytes: &[u8],
    whole_pending: bool,
    now: Timestamp,
) -> Result<()> {
    let key = id.as_bytes().as_slice();
    let marked: Option<bool> = conn
        .prepare_cached("SELECT whole_pending FROM documents WHERE id = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?;
    if marked == Some(true) {
        conn.prepare_cached(
            "UPDATE pending_changes SET bytes = (SELECT bytes FROM documents WHERE id = ?1)
             WHERE doc_id = ?1 AND bytes IS NULL",
        )?
        .execute([key])?;
    }
    conn.prepare_cached(
        "INSERT INTO documents (id, workspace_id, kind, bytes, updated_at, whole_pending)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at,
           whole_pending = excluded.whole_pending",
    )?
    .execute(params![
        key,
        workspace,
        kind,
        bytes,
        now.millis(),
        whole_pending
    ])?;
    Ok(())
}

impl Store {
    /// How many local changes wait for a server (refused ones not counted).
    pub fn pending_count(&self) -> Result<u64> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM pending_changes WHERE refused IS NULL")?
            .query_row([], |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// How many documents (reports, mostly) have changes still to send: what the user
    /// reads as "reports waiting".
    pub fn pending_document_count(&self) -> Result<u64> {
        let count: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(DISTINCT doc_id) FROM pending_changes WHERE refused IS NULL",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }

    /// Every change of a document as this store holds it: for tests and for handing a
    /// document to another device.
    pub fn document_changes(&self, id: &Uuid) -> Result<Vec<DocChange>> {
        Ok(load(&self.conn, id, &self.actor)?
            .map(|mut d| d.changes())
            .unwrap_or_default())
    }
}

impl Store {
    /// Local changes not yet acknowledged (and not refused), oldest first.
    pub fn pending_changes(&self, limit: usize) -> Result<Vec<PendingChange>> {
        pending(&self.conn, None, limit)
    }

    /// Applies changes made elsewhere to a document, creating it if this store has not
    /// seen it. The result must be a valid record of the workspace; if it is not, nothing
    /// is stored.
    pub fn receive(
        &mut self,
        workspace: WorkspaceId,
        doc_id: &Uuid,
        changes: &[DocChange],
        now: Timestamp,
    ) -> Result<DocKind> {
        self.write(|tx, actor| apply_changes(tx, actor, workspace, doc_id, changes, now))
    }
}

/// Writes `value`, a record of `kind`, into `doc` as one change, and checks the document
/// it leaves as the server will: only the record's fields, in their shapes, with every
/// list, map and text kept as the same object (`shape::check`).
pub(super) fn update_checked<T: autosurgeon::Reconcile>(
    doc: &mut Document,
    value: &T,
    kind: DocKind,
    now: Timestamp,
) -> Result<Vec<DocChange>> {
    let before = doc.clone();
    let changes = doc.update(value, now)?;
    if !changes.is_empty() {
        crate::shape::check(Some(&before), doc, kind)
            .map_err(|refusal| Error::Forbidden(refusal.to_string()))?;
    }
    Ok(changes)
}

/// Applies changes to a stored (or new) document and updates its projection.
pub(super) fn apply_changes(
    conn: &Connection,
    actor: &ActorId,
    workspace: WorkspaceId,
    doc_id: &Uuid,
    changes: &[DocChange],
    now: Timestamp,
) -> Result<DocKind> {
    let mut doc = match load(conn, doc_id, actor)? {
        Some(doc) => doc,
        None => Document::new(actor),
    };
    doc.apply(changes)?;
    store_checked(conn, workspace, doc_id, &mut doc, now)
}

/// Checks that a document holds a valid record of `workspace` with id `doc_id`, then
/// saves it and its projection.
pub(super) fn store_checked(
    conn: &Connection,
    workspace: WorkspaceId,
    doc_id: &Uuid,
    doc: &mut Document,
    now: Timestamp,
) -> Result<DocKind> {
    let kind = doc.kind()?;
    let record = crate::permissions::Record::read(doc)?;
    if let crate::permissions::Record::Observation(observation) = &record {
        projection::upsert_observation(conn, observation, now)?;
    }
    let (id, doc_workspace) = record.identity();
    if id != *doc_id || doc_workspace != workspace {
        return Err(Error::corrupt(format!(
            "changes for document {doc_id} hold record {id} of workspace {doc_workspace}"
        )));
    }
    save(conn, doc_id, workspace, kind, doc, &[], now)?;
    Ok(kind)
}

/// What a store's documents and unsent changes take, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeStats {
    pub document_bytes: u64,
    /// What unsent changes hold of their own: a new document's first change is the
    /// document and counts there.
    pub pending_bytes: u64,
}

impl Store {
    pub fn size_stats(&self) -> Result<SizeStats> {
        let sum = |sql: &str| -> Result<u64> {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        };
        Ok(SizeStats {
            document_bytes: sum("SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM documents")?,
            pending_bytes: sum("SELECT COALESCE(SUM(LENGTH(bytes)), 0) FROM pending_changes")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreKey};

    /// Meetings, decisions and the like are read through the index of documents by kind,
    /// which leaves reports out: the query says so, or SQLite would walk every document.
    #[test]
    fn kinds_other_than_reports_are_read_through_the_partial_index() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&dir.path().join("s.sqlite3"), &StoreKey::random().unwrap()).unwrap();
        let plan: Vec<String> = store
            .conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT bytes FROM documents
                 WHERE workspace_id = ?1 AND kind = ?2 AND kind <> 'observation' ORDER BY id",
            )
            .unwrap()
            .query_map(params![WorkspaceId::new(), "meeting"], |r| r.get(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("documents_by_kind")),
            "{plan:?}"
        );
    }
}
