//! The register as devices fetch it, and erasure.

use lagesbild_core::audit_detail::{self, Facts};
use lagesbild_core::sync::wire::{Register, RegisterChange};
use lagesbild_core::validate::register::{self, RegisterWrite};
use lagesbild_core::{AuditAction, ObservationId, Timestamp, Workspace};

use super::access::still_stands;
use super::audit::{self, Act, Origin};
use super::{Member, Service, ServiceError, ServiceResult};

impl Service {
    /// The workspace's register, or `unchanged` when the device has `since` already.
    pub fn register(&self, member: &Member, since: i64) -> ServiceResult<Register> {
        self.read(|tx| {
            let (workspace, version) = tx
                .workspace(member.workspace)?
                .ok_or_else(|| ServiceError::NotFound("no such workspace".into()))?;
            if since == version {
                return Ok(Register {
                    version,
                    unchanged: true,
                    workspace: None,
                    organisations: vec![],
                    places: vec![],
                    categories: vec![],
                });
            }
            Ok(Register {
                version,
                unchanged: false,
                workspace: Some(workspace),
                organisations: tx.organisations(member.workspace)?,
                places: tx.places(member.workspace)?,
                categories: tx.categories(member.workspace)?,
            })
        })
    }

    /// Changes the register (the coordinator), and tells waiting devices.
    pub fn change_register(
        &self,
        member: &Member,
        change: &RegisterChange,
        now: Timestamp,
    ) -> ServiceResult<Register> {
        if !member.role.is_coordinator() {
            return Err(ServiceError::Forbidden(
                "only the coordinator may change places and categories".into(),
            ));
        }
        self.write(|tx| {
            let ws = member.workspace;
            // Planned on the register as it stands when it commits: two merges into
            // each other at once would otherwise both pass.
            tx.lock_workspace(ws)?;
            // Revoked, deactivated or moved while the request was under way: no change.
            still_stands(tx, member)?;
            let writes = register::plan_change(&tx.places(ws)?, &tx.categories(ws)?, ws, change)
                .map_err(|e| match e {
                    lagesbild_core::Error::Invalid(v) => ServiceError::BadRequest(v.to_string()),
                    other => ServiceError::from(other),
                })?;
            for write in writes {
                match write {
                    RegisterWrite::Place(place) => tx.save_place(&place)?,
                    RegisterWrite::Category(category) => tx.save_category(ws, &category)?,
                    RegisterWrite::Tiles(tiles) => {
                        let (workspace, _) = tx
                            .workspace(ws)?
                            .ok_or_else(|| ServiceError::NotFound(format!("no workspace {ws}")))?;
                        tx.save_workspace(&Workspace { tiles, ..workspace })?;
                    }
                }
            }
            tx.bump_register(ws)?;
            let detail =
                serde_json::to_value(change).map_err(|e| ServiceError::Internal(e.to_string()))?;
            let action = match change {
                RegisterChange::AddPlace { .. } => AuditAction::RegisterAddPlace,
                RegisterChange::RenamePlace { .. } => AuditAction::RegisterRenamePlace,
                RegisterChange::MovePlace { .. } => AuditAction::RegisterMovePlace,
                RegisterChange::MergePlace { .. } => AuditAction::RegisterMergePlace,
                RegisterChange::AddCategory { .. } => AuditAction::RegisterAddCategory,
                RegisterChange::RetireCategory { .. } => AuditAction::RegisterRetireCategory,
                RegisterChange::SetOutline { .. } => AuditAction::RegisterSetOutline,
                RegisterChange::SetTiles { .. } => AuditAction::RegisterSetTiles,
            };
            let act = Act::new(action, None, detail.to_string());
            audit::write(tx, Some(ws), &Origin::of(member), &act, now)?;
            Ok(tx.announce(ws)?)
        })?;
        self.wake(member.workspace);
        self.register(member, -1)
    }

    /// Erases an observation: its document and every stored change of it are deleted
    /// (and purged from the database's files), later changes to it are refused for ever,
    /// and the feed tells every device to remove it. Only the coordinator may.
    pub fn erase(&self, member: &Member, id: ObservationId, now: Timestamp) -> ServiceResult<()> {
        if !member.role.is_coordinator() {
            return Err(ServiceError::Forbidden(
                "only the coordinator may erase a report".into(),
            ));
        }
        let ws = member.workspace;
        let head = self.write(|tx| -> ServiceResult<Option<i64>> {
            // As a push: read before the feed's lock, so a wait here holds up no push.
            still_stands(tx, member)?;
            tx.lock_feed(ws)?;
            if tx.erased(id.0)? == Some(ws) {
                return Ok(None);
            }
            let held = tx
                .held(id.0)?
                .filter(|h| h.workspace == ws)
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("no observation {id} in this workspace"))
                })?;
            if held.kind != lagesbild_core::DocKind::Observation {
                return Err(ServiceError::BadRequest(
                    "only observations are erased this way".into(),
                ));
            }
            // A widened report and the one it continues hold the same content: both go.
            for doc in continuations(tx, ws, id.0, held.bytes)? {
                tx.erase(ws, doc, member.device.user, now)?;
            }
            // The action says it all: the facts are none (`audit_detail`).
            let act = Act::new(
                AuditAction::ObservationErase,
                Some(id.to_string()),
                Facts::detail(&audit_detail::Nothing {}),
            );
            audit::write(tx, Some(ws), &Origin::of(member), &act, now)?;
            tx.announce(ws)?;
            Ok(Some(tx.feed_head(ws)?))
        })?;
        // Erasing twice is not an error: the report is gone either way.
        if let Some(head) = head {
            // The erasure holds: it is committed and goes to every device. That the
            // server's log still held the text is for the operator to know.
            if let Err(e) = self.storage().purge() {
                tracing::error!(%id, error = %e, "observation erased, but its log was not emptied");
            }
            tracing::info!(%id, by = %member.device.user, "observation erased");
            self.feed_grew(ws, head);
        }
        Ok(())
    }
}

/// `doc` and every report it continues or is continued by, as far as they are held in
/// `workspace`.
fn continuations(
    tx: &mut dyn crate::storage::Tx,
    workspace: lagesbild_core::WorkspaceId,
    doc: uuid::Uuid,
    bytes: Vec<u8>,
) -> ServiceResult<Vec<uuid::Uuid>> {
    let mut found = vec![doc];
    let mut queue = vec![bytes];
    while let Some(bytes) = queue.pop() {
        let observation: lagesbild_core::Observation =
            lagesbild_core::doc::Document::load(&bytes, &automerge::ActorId::random())
                .and_then(|d| d.read())
                .map_err(|e| ServiceError::Internal(format!("a stored observation: {e}")))?;
        let linked = [
            observation.continues.map(|c| c.from),
            observation.continued_by,
        ];
        for next in linked.into_iter().flatten().map(|id| id.0) {
            if found.contains(&next) {
                continue;
            }
            if let Some(held) = tx.held(next)?.filter(|h| h.workspace == workspace) {
                found.push(next);
                queue.push(held.bytes);
            }
        }
    }
    Ok(found)
}
