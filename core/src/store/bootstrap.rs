//! A new device's bootstrap, as the store keeps it. First every observation's
//! projection, the most recently observed first: the lägesbild, lists and map read
//! only projections, so they work after the first pages. Then the documents, stored as
//! the server sent them, without parsing. How far it has come is written with each
//! page, so a bootstrap cut short resumes where it stopped, and the feed continues from
//! the cursor the first page was read at (whatever changed since comes through it).

use rusqlite::{Connection, OptionalExtension, params};

use super::sync::{apply_entry, apply_page, ensure_sync_row};
use super::{Store, documents, projection};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::model::ObservationProjection;
use crate::sync::storage::{Applied, BootstrapProgress};
use crate::sync::wire::{BootstrapPage, FeedEntry, ProjectionPage};
use crate::time::Timestamp;

impl Store {
    /// Whether every report observed at or after `since` is on this device, as far as
    /// a bootstrap under way knows; outside a bootstrap, yes.
    pub(crate) fn covers(&self, workspace: WorkspaceId, since: Timestamp) -> Result<bool> {
        Ok(progress(&self.conn, workspace)?.is_none_or(|p| p.covers(since)))
    }
}

/// Stores a page of projections and where the next one starts. A projection of a
/// document this device holds is left alone: the document decides (it comes again
/// in the documents stage and is merged there).
pub(super) fn apply_projections(
    store: &mut Store,
    workspace: WorkspaceId,
    page: &ProjectionPage,
    now: Timestamp,
) -> Result<Applied> {
    let next = BootstrapProgress::after_projections(progress(&store.conn, workspace)?, page);
    let (applied, _) = bulk(&mut store.conn, |conn| {
        apply_page(
            conn,
            &page.projections,
            |conn, p| store_projection(conn, workspace, p, now),
            |conn| save_progress(conn, workspace, Some(&next)),
        )
    })?;
    Ok(applied)
}

/// Stores a page of documents. A document new here is stored as sent, without
/// parsing (its projection came in the first stage); one this device holds is
/// merged. The last page ends the bootstrap: the feed continues from where it
/// began.
pub(super) fn apply_documents(
    store: &mut Store,
    workspace: WorkspaceId,
    page: &BootstrapPage,
    now: Timestamp,
) -> Result<Applied> {
    let mut next = progress(&store.conn, workspace)?
        .ok_or_else(|| Error::corrupt("documents of a bootstrap that has not begun"))?;
    let Store { conn, actor, .. } = store;
    let (applied, _) = bulk(conn, |conn| {
        apply_page(
            conn,
            &page.entries,
            |conn, entry| match entry {
                FeedEntry::Document {
                    doc,
                    kind,
                    bytes,
                    projection: None,
                } if !documents::exists(conn, doc)? => {
                    documents::save_bytes(conn, doc, workspace, *kind, bytes, &[], now)?;
                    Ok(false)
                }
                other => apply_entry(conn, actor, workspace, other, now),
            },
            |conn| match page.next {
                Some(after) => {
                    next.documents += page.entries.len() as u64;
                    next.next_document = Some(after);
                    save_progress(conn, workspace, Some(&next))
                }
                None => {
                    save_progress(conn, workspace, None)?;
                    conn.prepare_cached(
                        "UPDATE sync_state SET cursor = MAX(cursor, ?2), bootstrapped = 1
                         WHERE workspace_id = ?1",
                    )?
                    .execute(params![workspace, next.at])?;
                    Ok(())
                }
            },
        )
    })?;
    Ok(applied)
}

/// Stores one projection, unless the device holds the document.
fn store_projection(
    conn: &Connection,
    workspace: WorkspaceId,
    p: &ObservationProjection,
    now: Timestamp,
) -> Result<bool> {
    if p.workspace != workspace {
        return Err(Error::corrupt("a projection of another workspace"));
    }
    if !documents::exists(conn, p.id.as_uuid())? {
        projection::upsert(conn, p, now)?;
    }
    Ok(false)
}

/// Runs a bootstrap page with `synchronous = NORMAL`: what it writes is the server's
/// and can be fetched again, so a power cut may lose the last pages but never leaves
/// the store inconsistent (WAL), and the bootstrap resumes from the progress that
/// survived. Skipping the sync to disk per page is a good part of its speed.
fn bulk<T>(conn: &mut Connection, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let result = f(conn);
    conn.pragma_update(None, "synchronous", "FULL")?;
    result
}

pub(super) fn progress(
    conn: &Connection,
    workspace: WorkspaceId,
) -> Result<Option<BootstrapProgress>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT bootstrap FROM sync_state WHERE workspace_id = ?1")?
        .query_row([workspace], |r| r.get(0))
        .optional()?
        .flatten();
    json.map(|j| {
        serde_json::from_str(&j)
            .map_err(|e| Error::corrupt(format!("the stored bootstrap progress: {e}")))
    })
    .transpose()
}

fn save_progress(
    conn: &Connection,
    workspace: WorkspaceId,
    progress: Option<&BootstrapProgress>,
) -> Result<()> {
    let json = progress
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::corrupt(format!("the bootstrap progress does not serialise: {e}")))?;
    ensure_sync_row(conn, workspace)?;
    conn.prepare_cached("UPDATE sync_state SET bootstrap = ?2 WHERE workspace_id = ?1")?
        .execute(params![workspace, json])?;
    Ok(())
}
