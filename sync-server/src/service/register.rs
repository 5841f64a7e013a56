//! The register as devices fetch it, and erasure.

use lagesbild_core::store::register;
use lagesbild_core::sync::wire::{Register, RegisterChange};
use lagesbild_core::{ObservationId, Timestamp, Workspace};
use rusqlite::{OptionalExtension, params};

use super::audit::{Act, Origin, record};
use super::push::feed_head;
use super::{Member, Service, ServiceError, ServiceResult};

impl Service {
    /// The workspace's register, or `unchanged` when the device has `since` already.
    pub fn register(&self, member: &Member, since: i64) -> ServiceResult<Register> {
        self.db().with(|conn| {
            let (name, labels, version): (String, Option<String>, i64) = conn.query_row(
                "SELECT name, grade_labels, register_version FROM workspaces WHERE id = ?1",
                [member.workspace],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
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
            let workspace = Workspace {
                id: member.workspace,
                name,
                grade_labels: labels.and_then(|l| serde_json::from_str(&l).ok()),
            };
            Ok(Register {
                version,
                unchanged: false,
                workspace: Some(workspace),
                organisations: register::organisations(conn, member.workspace)?,
                places: register::places(conn, member.workspace)?,
                categories: register::categories(conn, member.workspace)?,
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
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            register::apply_change(&tx, member.workspace, change).map_err(|e| match e {
                lagesbild_core::Error::Invalid(v) => ServiceError::BadRequest(v.to_string()),
                other => ServiceError::from(other),
            })?;
            tx.execute(
                "UPDATE workspaces SET register_version = register_version + 1 WHERE id = ?1",
                [member.workspace],
            )?;
            let detail =
                serde_json::to_value(change).map_err(|e| ServiceError::Internal(e.to_string()))?;
            let action = match detail.get("op").and_then(|op| op.as_str()) {
                Some("add_place") => "register.add_place",
                Some("rename_place") => "register.rename_place",
                Some("merge_place") => "register.merge_place",
                Some("add_category") => "register.add_category",
                _ => "register.retire_category",
            };
            record(
                &tx,
                Some(member.workspace),
                &Origin::of(member),
                &Act::new(action, None, detail.to_string()),
                now,
            )?;
            tx.commit()?;
            Ok(())
        })?;
        self.wake(member.workspace);
        self.register(member, -1)
    }

    /// Erases an observation: its document and every stored change of it are deleted
    /// (their pages overwritten), later changes to it are refused for ever, and the feed
    /// tells every device to remove it. Only the coordinator may.
    pub fn erase(&self, member: &Member, id: ObservationId, now: Timestamp) -> ServiceResult<()> {
        if !member.role.is_coordinator() {
            return Err(ServiceError::Forbidden(
                "only the coordinator may erase a report".into(),
            ));
        }
        let doc = id.as_uuid().as_bytes().as_slice().to_vec();
        let head = self.db().with(|conn| -> ServiceResult<Option<i64>> {
            let tx = conn.transaction()?;
            let already: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM erased WHERE doc_id = ?1 AND workspace_id = ?2)",
                params![doc, member.workspace],
                |r| r.get(0),
            )?;
            if already {
                return Ok(None);
            }
            let kind: Option<String> = tx
                .query_row("SELECT kind FROM documents WHERE id = ?1 AND workspace_id = ?2", params![doc, member.workspace], |r| r.get(0))
                .optional()?;
            let kind = kind.ok_or_else(|| ServiceError::NotFound(format!("no observation {id} in this workspace")))?;
            if kind != "observation" {
                return Err(ServiceError::BadRequest("only observations are erased this way".into()));
            }
            tx.execute("DELETE FROM documents WHERE id = ?1", [&doc])?;
            tx.execute("DELETE FROM feed WHERE doc_id = ?1", [&doc])?;
            tx.execute(
                "INSERT INTO erased (doc_id, workspace_id, erased_at, erased_by) VALUES (?1, ?2, ?3, ?4)",
                params![doc, member.workspace, now.millis(), member.device.user],
            )?;
            let act = Act::new("observation.erase", Some(id.to_string()), "the report was erased everywhere; its content is gone");
            record(&tx, Some(member.workspace), &Origin::of(member), &act, now)?;
            tx.execute(
                "INSERT INTO feed (workspace_id, doc_id, entry, doc_kind, received_at) VALUES (?1, ?2, 'remove', 'observation', ?3)",
                params![member.workspace, doc, now.millis()],
            )?;
            let head = feed_head(&tx, member.workspace)?;
            tx.commit()?;
            // Move the log into the main file and empty it, so no copy of the text stays.
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(Some(head))
        })?;
        // Erasing twice is not an error: the report is gone either way.
        if let Some(head) = head {
            tracing::info!(%id, by = %member.device.user, "observation erased");
            self.feed_grew(member.workspace, head);
        }
        Ok(())
    }
}
