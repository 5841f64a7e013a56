//! The device store's side of sync: what to push, what the server said about it, and
//! applying what the server sends.

use automerge::ActorId;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use std::collections::BTreeSet;

use super::documents;
use super::projection;
use super::widening::carry_over;
use super::{Store, register, set_setting};
use crate::doc::{DocChange, Document};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::sync::storage::{
    Applied, BootstrapProgress, PendingChange, PushAnswer, SyncState, SyncStorage, Waiting,
};
use crate::sync::wire::{
    BootstrapPage, FeedEntry, Me, Membership, ProjectionPage, Register, Timeline,
};
use crate::time::Timestamp;

/// Where one of this device's reports stands with the server, as its reporter reads it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Delivery {
    /// Changes of it are still to be sent (also before the device is enrolled).
    Waiting,
    /// The server has it all; it first saw the report `at`.
    Sent { at: Option<Timestamp> },
    /// The server refused a change of it, for this reason; it is kept here.
    Refused { code: String, message: String },
}

/// A change the server refused, kept with its reason.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChange {
    pub seq: i64,
    pub doc: Uuid,
    pub code: String,
    pub message: String,
}

/// The device's credential for its server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub server: String,
    pub device: crate::ids::DeviceId,
    pub token: String,
    /// The CA the server's certificate is issued by, trusted besides the system's roots
    /// (DER in base64url, from the enrolment link), when the municipality runs its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
}

impl Store {
    pub fn credential(&self) -> Result<Option<Credential>> {
        self.setting("credential")?
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| Error::corrupt(format!("the stored credential: {e}")))
            })
            .transpose()
    }

    /// Records an enrolment: the credential, the memberships, and this device's identity
    /// in the first workspace (or the one already chosen, if still a member).
    pub fn enrolled(&mut self, credential: &Credential, me: &Me) -> Result<()> {
        let current = self.identity()?.map(|i| i.workspace);
        let chosen = me
            .memberships
            .iter()
            .find(|m| Some(m.workspace.id) == current)
            .or_else(|| me.memberships.first())
            .ok_or_else(|| {
                Error::Forbidden("the enrolment gave this device no workspace".into())
            })?;
        let tx = self.conn.transaction()?;
        for m in &me.memberships {
            register::save_workspace(&tx, &m.workspace)?;
            register::save_organisation(&tx, &m.organisation)?;
            ensure_sync_row(&tx, m.workspace.id)?;
        }
        set_setting(&tx, "credential", &to_json(credential)?)?;
        set_setting(&tx, "memberships", &to_json(&me.memberships)?)?;
        let identity = crate::model::Identity {
            workspace: chosen.workspace.id,
            device: me.device,
            user: me.user,
            name: me.name.clone(),
            role: chosen.role,
            organisation: chosen.organisation.id,
        };
        set_setting(&tx, "identity", &to_json(&identity)?)?;
        tx.commit()?;
        Ok(())
    }

    pub fn memberships(&self) -> Result<Vec<Membership>> {
        Ok(self
            .setting("memberships")?
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| Error::corrupt(format!("the stored memberships: {e}")))
            })
            .transpose()?
            .unwrap_or_default())
    }

    /// Where each of `ids` stands with the server: refused if any change of it was,
    /// waiting while any is unsent, else sent.
    pub fn delivery(&self, ids: &[crate::ids::ObservationId]) -> Result<Vec<Delivery>> {
        let mut refused = self.conn.prepare_cached(
            "SELECT refused FROM pending_changes WHERE doc_id = ?1 AND refused IS NOT NULL
             ORDER BY seq LIMIT 1",
        )?;
        let mut waiting = self.conn.prepare_cached(
            "SELECT 1 FROM pending_changes WHERE doc_id = ?1 AND refused IS NULL LIMIT 1",
        )?;
        let mut seen = self
            .conn
            .prepare_cached("SELECT server_seen_at FROM observations WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(reason) = refused
                .query_row([id], |r| r.get::<_, String>(0))
                .optional()?
            {
                let reason: serde_json::Value = serde_json::from_str(&reason).unwrap_or_default();
                let text = |k: &str| reason[k].as_str().unwrap_or_default().to_string();
                out.push(Delivery::Refused {
                    code: text("code"),
                    message: text("message"),
                });
            } else if waiting.exists([id])? {
                out.push(Delivery::Waiting);
            } else {
                let at: Option<i64> = seen.query_row([id], |r| r.get(0)).optional()?.flatten();
                out.push(Delivery::Sent {
                    at: at.and_then(Timestamp::from_millis),
                });
            }
        }
        Ok(out)
    }

    pub fn refused_changes(&self) -> Result<Vec<RefusedChange>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT seq, doc_id, refused FROM pending_changes WHERE refused IS NOT NULL ORDER BY seq")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, doc, reason) = row?;
            let reason: serde_json::Value = serde_json::from_str(&reason).unwrap_or_default();
            Ok(RefusedChange {
                seq,
                doc: Uuid::from_slice(&doc)
                    .map_err(|e| Error::corrupt(format!("a refused change's document: {e}")))?,
                code: reason["code"].as_str().unwrap_or("refused").to_string(),
                message: reason["message"].as_str().unwrap_or_default().to_string(),
            })
        })
        .collect()
    }

    /// Removes a document's content from this device: the document, its unsent changes
    /// and its projection. Deleted pages are overwritten (`secure_delete`) and the
    /// write-ahead log emptied, so the text cannot be read back from the files.
    pub fn erase_local(&mut self, doc: &Uuid) -> Result<()> {
        let tx = self.conn.transaction()?;
        remove_document(&tx, doc)?;
        tx.commit()?;
        self.checkpoint()
    }
}

/// The engine's view of the store (ARCHITECTURE.md, "The path of a report").
impl SyncStorage for Store {
    fn sync_state(&self, workspace: WorkspaceId) -> Result<SyncState> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT cursor, register_version, bootstrapped, last_synced_at FROM sync_state WHERE workspace_id = ?1",
            )?
            .query_row([workspace], |r| {
                let last: Option<i64> = r.get(3)?;
                Ok(SyncState {
                    cursor: r.get(0)?,
                    register_version: r.get(1)?,
                    bootstrapped: r.get(2)?,
                    last_synced_at: last.and_then(Timestamp::from_millis),
                })
            })
            .optional()?
            .unwrap_or(SyncState { cursor: 0, register_version: 0, bootstrapped: false, last_synced_at: None }))
    }

    fn bootstrap_progress(&self, workspace: WorkspaceId) -> Result<Option<BootstrapProgress>> {
        super::bootstrap::progress(&self.conn, workspace)
    }

    /// Local changes to the workspace's documents waiting for the server, oldest first.
    fn pending(&self, workspace: WorkspaceId, limit: usize) -> Result<Vec<PendingChange>> {
        documents::pending(&self.conn, Some(workspace), limit)
    }

    fn waiting(&self, workspace: WorkspaceId) -> Result<Waiting> {
        let pending: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM pending_changes p JOIN documents d ON d.id = p.doc_id
                 WHERE p.refused IS NULL AND d.workspace_id = ?1",
            )?
            .query_row([workspace], |r| r.get(0))?;
        let refused: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM pending_changes WHERE refused IS NOT NULL")?
            .query_row([], |r| r.get(0))?;
        Ok(Waiting {
            pending: pending.unsigned_abs(),
            refused: refused.unsigned_abs(),
        })
    }

    /// Replaces the workspace's register with the server's.
    fn apply_register(
        &mut self,
        workspace: WorkspaceId,
        reg: &Register,
        now: Timestamp,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        // `unchanged` sends no lists: the loops below then do nothing.
        if let Some(w) = &reg.workspace {
            register::save_workspace(&tx, w)?;
        }
        for o in &reg.organisations {
            register::save_organisation(&tx, o)?;
        }
        for p in &reg.places {
            register::save_place(&tx, p)?;
        }
        for c in &reg.categories {
            register::save_category(&tx, workspace, c)?;
        }
        ensure_sync_row(&tx, workspace)?;
        tx.execute(
            "UPDATE sync_state SET register_version = ?2 WHERE workspace_id = ?1",
            params![workspace, reg.version],
        )?;
        tx.commit()?;
        // Reports recorded before enrolment can now find their places.
        self.rehome_local(workspace, now)?;
        Ok(())
    }

    fn apply_projections(
        &mut self,
        workspace: WorkspaceId,
        page: &ProjectionPage,
        now: Timestamp,
    ) -> Result<Applied> {
        super::bootstrap::apply_projections(self, workspace, page, now)
    }

    fn apply_documents(
        &mut self,
        workspace: WorkspaceId,
        page: &BootstrapPage,
        now: Timestamp,
    ) -> Result<Applied> {
        super::bootstrap::apply_documents(self, workspace, page, now)
    }

    /// Applies a page of the feed and moves the cursor, in one transaction. An entry
    /// that cannot be applied is reported and skipped, so one bad entry cannot stall
    /// the device.
    fn apply_feed(
        &mut self,
        workspace: WorkspaceId,
        entries: &[FeedEntry],
        cursor: i64,
        now: Timestamp,
    ) -> Result<Applied> {
        let me = self.identity()?.map(|i| i.reporter());
        let Store { conn, actor, .. } = self;
        let (mut applied, removed) = apply_page(
            conn,
            entries,
            |conn, entry| apply_entry(conn, actor, workspace, entry, now),
            |conn| {
                ensure_sync_row(conn, workspace)?;
                conn.prepare_cached(
                    "UPDATE sync_state SET cursor = MAX(cursor, ?2) WHERE workspace_id = ?1",
                )?
                .execute(params![workspace, cursor])?;
                if !entries.is_empty() {
                    // What a refused change was missing may have arrived (after a
                    // restore, other devices send theirs again): it goes once more.
                    conn.prepare_cached(
                        "UPDATE pending_changes SET refused = NULL
                         WHERE json_extract(refused, '$.code') = 'missing_dependencies'",
                    )?
                    .execute([])?;
                }
                Ok(())
            },
        )?;
        if removed {
            self.checkpoint()?;
        }
        // Own edits of reports widened meanwhile go on to where the reports continue. A
        // report is continued by a change to it (or, once unreadable, by the whole report
        // without a projection); a new report with its projection is stored without being
        // parsed (a bootstrap's pages), and is looked at only when this device has a
        // refused continuation of its own to merge into it.
        let rivals = self
            .conn
            .prepare_cached("SELECT 1 FROM pending_changes WHERE refused IS NOT NULL")?
            .exists([])?;
        let touched: BTreeSet<Uuid> = entries
            .iter()
            .filter_map(|entry| match entry {
                FeedEntry::Change { doc, .. } => Some(*doc),
                FeedEntry::Document {
                    doc, projection, ..
                } if projection.is_none() || rivals => Some(*doc),
                _ => None,
            })
            .collect();
        if let Some(me) = me
            && !touched.is_empty()
        {
            let carried = self.write(|tx, actor| carry_over(tx, actor, &me, &touched, now));
            if let Err(e) = carried {
                applied
                    .failed
                    .push(format!("carrying edits over to a widened report: {e}"));
            }
        }
        Ok(applied)
    }

    /// Follows the server's timeline. A new one means the server was restored from a
    /// backup: everything up to `restored_head` is as it was, so the cursor goes back
    /// there, and every change this device made is queued to be sent again (the server
    /// answers `duplicate` for those the backup holds). Answers whether it was new.
    fn follow_timeline(&mut self, workspace: WorkspaceId, timeline: &Timeline) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        ensure_sync_row(&tx, workspace)?;
        let known: Option<Vec<u8>> = tx.query_row(
            "SELECT timeline FROM sync_state WHERE workspace_id = ?1",
            [workspace],
            |r| r.get(0),
        )?;
        let id = timeline.id.as_bytes().as_slice();
        let restored = match known {
            Some(known) if known == id => return Ok(false),
            // The first timeline this device sees of the workspace.
            None => false,
            Some(_) => {
                tx.execute(
                    "UPDATE sync_state SET cursor = MIN(cursor, ?2) WHERE workspace_id = ?1",
                    params![workspace, timeline.restored_head],
                )?;
                requeue_own_changes(&tx, &self.actor, workspace)?;
                true
            }
        };
        tx.execute(
            "UPDATE sync_state SET timeline = ?2 WHERE workspace_id = ?1",
            params![workspace, id],
        )?;
        tx.commit()?;
        Ok(restored)
    }

    fn mark_synced(&mut self, workspace: WorkspaceId, now: Timestamp) -> Result<()> {
        ensure_sync_row(&self.conn, workspace)?;
        self.conn
            .prepare_cached("UPDATE sync_state SET last_synced_at = ?2 WHERE workspace_id = ?1")?
            .execute(params![workspace, now.millis()])?;
        Ok(())
    }

    /// Acknowledged changes are forgotten here, and their observations note when the
    /// server first saw them; a refused change is kept with its reason and not sent
    /// again; an erased document goes. One transaction; the log is emptied after an
    /// erasure.
    fn settle_push(&mut self, answer: &PushAnswer) -> Result<()> {
        let tx = self.conn.transaction()?;
        for (seq, code, message) in &answer.refused {
            let reason = serde_json::json!({ "code": code, "message": message }).to_string();
            tx.execute(
                "UPDATE pending_changes SET refused = ?2 WHERE seq = ?1",
                params![seq, reason],
            )?;
        }
        for seq in &answer.acknowledged {
            tx.execute(
                "UPDATE observations SET server_seen_at = ?2
                 WHERE server_seen_at IS NULL AND id = (SELECT doc_id FROM pending_changes WHERE seq = ?1)",
                params![seq, answer.server_time.millis()],
            )?;
            tx.execute("DELETE FROM pending_changes WHERE seq = ?1", [seq])?;
        }
        for doc in &answer.erased {
            remove_document(&tx, doc)?;
        }
        tx.commit()?;
        if !answer.erased.is_empty() {
            self.checkpoint()?;
        }
        Ok(())
    }
}

/// Queues every change this device made to the workspace's documents that is not
/// queued already.
fn requeue_own_changes(conn: &Connection, actor: &ActorId, workspace: WorkspaceId) -> Result<()> {
    let mut docs = conn.prepare("SELECT id, bytes FROM documents WHERE workspace_id = ?1")?;
    let docs: Vec<(Vec<u8>, Vec<u8>)> = docs
        .query_map([workspace], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut queued = conn.prepare_cached("SELECT hash FROM pending_changes WHERE doc_id = ?1")?;
    let mut queue = conn
        .prepare_cached("INSERT INTO pending_changes (doc_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
    for (id, bytes) in docs {
        let mine = Document::load(&bytes, actor)?.changes_by(actor);
        if mine.is_empty() {
            continue;
        }
        let already: std::collections::HashSet<Vec<u8>> = queued
            .query_map([&id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for change in mine {
            if !already.contains(change.hash.0.as_slice()) {
                queue.execute(params![id, change.hash.0.as_slice(), change.bytes])?;
            }
        }
    }
    Ok(())
}

/// Applies a page in one immediate transaction, and `finish` in the same one; `apply`
/// answers whether an entry removed content. The whole page at once and without a
/// savepoint (under one, SQLite first copies every page it touches to a sub-journal);
/// only if an entry fails is that transaction rolled back and the page applied again
/// entry by entry, each in a savepoint, so that the bad one is skipped and the rest
/// kept. Returns what was applied and whether content was removed.
pub(super) fn apply_page<E>(
    conn: &mut Connection,
    entries: &[E],
    mut apply: impl FnMut(&Connection, &E) -> Result<bool>,
    finish: impl FnOnce(&Connection) -> Result<()>,
) -> Result<(Applied, bool)> {
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let all_at_once = entries.iter().try_fold(false, |removed, entry| {
            Ok::<_, Error>(apply(&tx, entry)? | removed)
        });
        if let Ok(removed) = all_at_once {
            finish(&tx)?;
            tx.commit()?;
            let applied = Applied {
                entries: entries.len(),
                failed: Vec::new(),
            };
            return Ok((applied, removed));
        }
        // Dropped here: rolled back.
    }
    let mut applied = Applied::default();
    let mut removed = false;
    let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for entry in entries {
        let savepoint = tx.savepoint()?;
        match apply(&savepoint, entry) {
            Ok(was_removal) => {
                savepoint.commit()?;
                removed |= was_removal;
                applied.entries += 1;
            }
            Err(e) => {
                drop(savepoint);
                applied.failed.push(e.to_string());
            }
        }
    }
    finish(&tx)?;
    tx.commit()?;
    Ok((applied, removed))
}

/// Applies one entry; returns whether it removed content.
pub(super) fn apply_entry(
    conn: &Connection,
    actor: &ActorId,
    workspace: WorkspaceId,
    entry: &FeedEntry,
    now: Timestamp,
) -> Result<bool> {
    match entry {
        FeedEntry::Change {
            doc,
            bytes,
            first_seen,
            ..
        } => {
            let change = DocChange::decode(bytes)?;
            documents::apply_changes(conn, actor, workspace, doc, &[change], now)?;
            set_first_seen(conn, doc, *first_seen)?;
            Ok(false)
        }
        FeedEntry::Document {
            doc,
            kind,
            bytes,
            projection,
        } => {
            match (documents::load(conn, doc, actor)?, projection) {
                // New here, with its projection: store as is, without parsing.
                (None, Some(p)) if p.id.0 == *doc && p.workspace == workspace => {
                    documents::save_bytes(conn, doc, workspace, *kind, bytes, &[], now)?;
                    projection::upsert(conn, p, now)?;
                }
                (existing, p) => {
                    let mut incoming = Document::load(bytes, actor)?;
                    let mut merged = match existing {
                        Some(mut d) => {
                            d.merge(&mut incoming)?;
                            d
                        }
                        None => incoming,
                    };
                    documents::store_checked(conn, workspace, doc, &mut merged, now)?;
                    if let Some(seen) = p.as_ref().and_then(|p| p.server_seen_at) {
                        set_first_seen(conn, doc, seen)?;
                    }
                }
            }
            Ok(false)
        }
        FeedEntry::Restricted { projection } => {
            if projection.workspace != workspace {
                return Err(Error::corrupt("a restricted summary of another workspace"));
            }
            // A document we hold (our own, or readable before) is never downgraded here;
            // `Remove` does that explicitly.
            if documents::load(conn, projection.id.as_uuid(), actor)?.is_none() {
                projection::upsert(conn, &projection.restricted(), now)?;
            }
            Ok(false)
        }
        FeedEntry::Remove { doc, restricted } => {
            remove_document(conn, doc)?;
            if let Some(p) = restricted {
                projection::upsert(conn, &p.restricted(), now)?;
            }
            Ok(true)
        }
    }
}

pub(super) fn remove_document(conn: &Connection, doc: &Uuid) -> Result<()> {
    let id = doc.as_bytes().as_slice();
    conn.execute("DELETE FROM documents WHERE id = ?1", [id])?;
    conn.execute("DELETE FROM pending_changes WHERE doc_id = ?1", [id])?;
    conn.execute("DELETE FROM observations WHERE id = ?1", [id])?;
    Ok(())
}

fn set_first_seen(conn: &Connection, doc: &Uuid, at: Timestamp) -> Result<()> {
    conn.prepare_cached(
        "UPDATE observations SET server_seen_at = ?2 WHERE id = ?1 AND server_seen_at IS NULL",
    )?
    .execute(params![doc.as_bytes().as_slice(), at.millis()])?;
    Ok(())
}

pub(super) fn ensure_sync_row(conn: &Connection, workspace: WorkspaceId) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (workspace_id) VALUES (?1) ON CONFLICT DO NOTHING",
    )?
    .execute([workspace])?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::corrupt(format!("a setting does not serialise: {e}")))
}
