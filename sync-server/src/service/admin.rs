//! What the operator does from the command line: workspaces, organisations, places,
//! users, enrolment codes, revocation, and the demo workspace.

use super::audit::{Act, Origin, record, record_for_user};
use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::store::register;
use lagesbild_core::sync::wire::WireChange;
use lagesbild_core::{
    DeviceId, Organisation, OrganisationId, OrganisationKind, Place, Role, Store, Timestamp,
    UserId, Workspace, WorkspaceId, default_categories,
};
use rusqlite::{Connection, params};
use serde::Serialize;

use super::auth::{hash_token, new_enrolment_code, normalise_code};
use super::{Service, ServiceError, ServiceResult};

/// A person to add, with their place in a workspace.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub workspace: WorkspaceId,
    pub organisation: OrganisationId,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    pub id: DeviceId,
    pub user: UserId,
    pub user_name: String,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked: bool,
}

fn bump_register(conn: &Connection, workspace: WorkspaceId) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE workspaces SET register_version = register_version + 1 WHERE id = ?1",
        [workspace],
    )?;
    Ok(())
}

/// A name an operator typed: one plain line (see `validate::records::name`).
fn checked_name(name: &str) -> ServiceResult<String> {
    lagesbild_core::validate::records::name(lagesbild_core::Field::Name, name)
        .map_err(|e| ServiceError::BadRequest(e.to_string()))
}

impl Service {
    /// A new workspace with the default category catalogue.
    pub fn create_workspace(&self, name: &str, now: Timestamp) -> ServiceResult<Workspace> {
        let workspace = Workspace {
            id: WorkspaceId::new(),
            name: checked_name(name)?,
            grade_labels: None,
        };
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            register::save_workspace(&tx, &workspace)?;
            for category in default_categories() {
                register::save_category(&tx, workspace.id, &category)?;
            }
            let act = Act::new(
                "workspace.create",
                Some(workspace.id.to_string()),
                workspace.name.clone(),
            );
            record(&tx, Some(workspace.id), &Origin::operator(), &act, now)?;
            tx.commit()?;
            Ok(())
        })?;
        Ok(workspace)
    }

    pub fn workspaces(&self) -> ServiceResult<Vec<Workspace>> {
        self.db().with(|conn| {
            let mut stmt = conn.prepare("SELECT id, name FROM workspaces ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok(Workspace {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    grade_labels: None,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn add_organisation(
        &self,
        workspace: WorkspaceId,
        name: &str,
        kind: OrganisationKind,
        now: Timestamp,
    ) -> ServiceResult<Organisation> {
        let org = Organisation {
            id: OrganisationId::new(),
            workspace,
            name: checked_name(name)?,
            kind,
        };
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            register::save_organisation(&tx, &org)?;
            bump_register(&tx, workspace)?;
            let detail = format!("{} ({})", org.name, org.kind.code());
            let act = Act::new("organisation.add", Some(org.id.to_string()), detail);
            record(&tx, Some(workspace), &Origin::operator(), &act, now)?;
            tx.commit()?;
            Ok(())
        })?;
        Ok(org)
    }

    pub fn save_place(&self, place: &Place, now: Timestamp) -> ServiceResult<()> {
        checked_name(&place.name)?;
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            register::save_place(&tx, place)?;
            bump_register(&tx, place.workspace)?;
            let act = Act::new(
                "register.add_place",
                Some(place.id.to_string()),
                place.name.clone(),
            );
            record(&tx, Some(place.workspace), &Origin::operator(), &act, now)?;
            tx.commit()?;
            Ok(())
        })
    }

    pub fn add_user(&self, user: &NewUser, now: Timestamp) -> ServiceResult<UserId> {
        let id = UserId::new();
        self.add_user_with_id(id, user, Some(("person.add", now)))?;
        Ok(id)
    }

    /// Adds the user, or their membership; `audit` names the act and its time for the log.
    fn add_user_with_id(
        &self,
        id: UserId,
        user: &NewUser,
        audit: Option<(&'static str, Timestamp)>,
    ) -> ServiceResult<()> {
        checked_name(&user.name)?;
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            tx.execute("INSERT INTO users (id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING", params![id, user.name.trim()])?;
            tx.execute(
                "INSERT INTO memberships (user_id, workspace_id, organisation_id, role) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id, workspace_id) DO UPDATE SET organisation_id = excluded.organisation_id, role = excluded.role",
                params![id, user.workspace, user.organisation, user.role],
            )?;
            if let Some((action, now)) = audit {
                let detail = format!("{}: {}", user.name.trim(), user.role.code());
                let act = Act::new(action, Some(id.to_string()), detail);
                record(&tx, Some(user.workspace), &Origin::operator(), &act, now)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Adds an existing user to another workspace (a police officer serves several).
    pub fn add_membership(
        &self,
        user: UserId,
        workspace: WorkspaceId,
        organisation: OrganisationId,
        role: Role,
        now: Timestamp,
    ) -> ServiceResult<()> {
        let name = self.db().with(|conn| {
            conn.query_row("SELECT name FROM users WHERE id = ?1", [user], |r| {
                r.get::<_, String>(0)
            })
        })?;
        self.add_user_with_id(
            user,
            &NewUser {
                name,
                workspace,
                organisation,
                role,
            },
            Some(("person.membership", now)),
        )
    }

    /// A one-time code the user's device exchanges for its credential, valid for `ttl`.
    pub fn enrolment_code(
        &self,
        user: UserId,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> ServiceResult<String> {
        let code = new_enrolment_code()?;
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![
                    hash_token(&normalise_code(&code)),
                    user,
                    now.millis() + ttl.num_milliseconds()
                ],
            )?;
            let act = Act::new(
                "enrolment.code",
                Some(user.to_string()),
                format!("a one-time code valid for {} minutes", ttl.num_minutes()),
            );
            record_for_user(&tx, user, &Origin::operator(), &act, now)?;
            tx.commit()?;
            Ok(())
        })?;
        Ok(code)
    }

    /// Revokes a device: its next request is refused, and nothing it sends is stored.
    pub fn revoke_device(&self, device: DeviceId, now: Timestamp) -> ServiceResult<()> {
        let changed = self.db().with(|conn| -> ServiceResult<usize> {
            let tx = conn.transaction()?;
            let changed = tx.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![device, now.millis()],
            )?;
            if changed > 0 {
                let user: UserId =
                    tx.query_row("SELECT user_id FROM devices WHERE id = ?1", [device], |r| {
                        r.get(0)
                    })?;
                let act = Act::new(
                    "device.revoke",
                    Some(device.to_string()),
                    "revoked at the server's command line",
                );
                record_for_user(&tx, user, &Origin::operator(), &act, now)?;
            }
            tx.commit()?;
            Ok(changed)
        })?;
        if changed == 0 {
            return Err(ServiceError::NotFound(format!("no active device {device}")));
        }
        tracing::info!(%device, "device revoked");
        Ok(())
    }

    pub fn devices(&self) -> ServiceResult<Vec<DeviceInfo>> {
        self.db().with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT d.id, d.user_id, u.name, d.name, d.created_at, d.revoked_at IS NOT NULL
                 FROM devices d JOIN users u ON u.id = d.user_id ORDER BY d.created_at",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(DeviceInfo {
                    id: r.get(0)?,
                    user: r.get(1)?,
                    user_name: r.get(2)?,
                    name: r.get(3)?,
                    created_at: Timestamp::from_millis(r.get(4)?)
                        .unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH)),
                    revoked: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Installs a demo workspace with its people (as users) and `reports` reports over
    /// the six weeks up to `now`, stored through the same checks as pushed changes.
    pub fn install_demo(
        &self,
        demo: &DemoWorkspace,
        reports: usize,
        now: Timestamp,
    ) -> ServiceResult<()> {
        self.db().with(|conn| -> ServiceResult<()> {
            let tx = conn.transaction()?;
            register::save_workspace(&tx, &demo.workspace)?;
            for org in &demo.organisations {
                register::save_organisation(&tx, org)?;
            }
            for category in &demo.categories {
                register::save_category(&tx, demo.workspace.id, category)?;
            }
            for place in &demo.places {
                register::save_place(&tx, place)?;
            }
            let detail = format!(
                "{} (demo: {} organisations, {} places, {} people, {reports} reports)",
                demo.workspace.name,
                demo.organisations.len(),
                demo.places.len(),
                demo.people.len()
            );
            let act = Act::new(
                "workspace.create",
                Some(demo.workspace.id.to_string()),
                detail,
            );
            record(&tx, Some(demo.workspace.id), &Origin::operator(), &act, now)?;
            tx.commit()?;
            Ok(())
        })?;
        for person in &demo.people {
            self.add_user_with_id(
                person.user,
                &NewUser {
                    name: person.name.clone(),
                    workspace: demo.workspace.id,
                    organisation: person.organisation,
                    role: person.role,
                },
                None,
            )?;
        }
        // The reports are made the way a device makes them, then ingested.
        // The coordinator's scratch store: each report names its own reporter; the
        // meetings and decisions are the coordinator's.
        let mut scratch = Store::open_in_memory()?;
        let identity = demo.install(&mut scratch, 0)?;
        let recorded =
            scratch.record_many(identity.workspace, &demo.reports(reports, 6, now, 48), now)?;
        let mut docs: Vec<uuid::Uuid> = recorded.iter().map(|o| o.id.0).collect();
        if reports > 0 {
            docs.extend(demo.meeting_history(&mut scratch, now)?);
        }
        let changes: Vec<WireChange> = docs
            .iter()
            .flat_map(|&doc| {
                scratch
                    .document_changes(&doc)
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |c| WireChange {
                        doc,
                        hash: c.hash.to_string(),
                        bytes: c.bytes,
                    })
            })
            .collect();
        for chunk in changes.chunks(500) {
            self.ingest_changes(demo.workspace.id, chunk, now)?;
        }
        Ok(())
    }
}
