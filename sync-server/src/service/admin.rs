//! What the operator does from the command line: workspaces, organisations, places,
//! users, enrolment codes, revocation, and the demo workspace.

use super::audit::{self, Act, Origin, record_for_user};
use lagesbild_core::audit_detail::{self as facts, Facts};
use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::sync::wire::{RegisterChange, WireChange};
use lagesbild_core::{
    AuditAction, DeviceId, Organisation, OrganisationId, OrganisationKind, Place, PlaceKind, Role,
    Store, Timestamp, UserId, Workspace, WorkspaceId, default_categories,
};

use super::auth::{hash_token, new_enrolment_code, normalise_code};
use super::people::{administrators, refused};
use super::{Service, ServiceError, ServiceResult};

/// A person to add, with their place in a workspace.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub workspace: WorkspaceId,
    pub organisation: OrganisationId,
    pub role: Role,
}

pub use crate::storage::DeviceInfo;

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
            tiles: None,
        };
        self.write(|tx| {
            tx.save_workspace(&workspace)?;
            for category in default_categories() {
                tx.save_category(workspace.id, &category)?;
            }
            let detail = facts::WorkspaceCreated {
                name: workspace.name.clone(),
                demo: None,
            };
            let act = Act::new(
                AuditAction::WorkspaceCreate,
                Some(workspace.id.to_string()),
                detail.detail(),
            );
            audit::write(tx, Some(workspace.id), &Origin::operator(), &act, now)
        })?;
        Ok(workspace)
    }

    pub fn workspaces(&self) -> ServiceResult<Vec<Workspace>> {
        self.read(|tx| Ok(tx.workspaces()?))
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
        self.write(|tx| {
            tx.save_organisation(&org)?;
            tx.bump_register(workspace)?;
            let detail = facts::OrganisationAdded {
                name: org.name.clone(),
                kind: org.kind,
            };
            let act = Act::new(
                AuditAction::OrganisationAdd,
                Some(org.id.to_string()),
                detail.detail(),
            );
            audit::write(tx, Some(workspace), &Origin::operator(), &act, now)?;
            Ok(tx.announce(workspace)?)
        })?;
        Ok(org)
    }

    pub fn save_place(&self, place: &Place, now: Timestamp) -> ServiceResult<()> {
        let place = Place {
            name: checked_name(&place.name)?,
            ..place.clone()
        };
        self.write(|tx| {
            tx.save_place(&place)?;
            tx.bump_register(place.workspace)?;
            // As the coordinator's register changes are kept: the change itself.
            let change = RegisterChange::AddPlace {
                name: place.name.clone(),
                is_area: place.kind == PlaceKind::Omrade,
                area: place.area,
                lat: place.lat,
                lon: place.lon,
            };
            let detail = serde_json::to_string(&change)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let act = Act::new(
                AuditAction::RegisterAddPlace,
                Some(place.id.to_string()),
                detail,
            );
            audit::write(tx, Some(place.workspace), &Origin::operator(), &act, now)?;
            Ok(tx.announce(place.workspace)?)
        })
    }

    pub fn add_user(&self, user: &NewUser, now: Timestamp) -> ServiceResult<UserId> {
        let id = UserId::new();
        self.add_user_with_id(id, user, Some((AuditAction::PersonAdd, now)))?;
        Ok(id)
    }

    /// Adds the user, or their membership; `audit` names the act and its time for the log.
    fn add_user_with_id(
        &self,
        id: UserId,
        user: &NewUser,
        audit: Option<(AuditAction, Timestamp)>,
    ) -> ServiceResult<()> {
        let name = checked_name(&user.name)?;
        self.write(|tx| {
            tx.lock_workspace(user.workspace)?;
            let before = administrators(tx, user.workspace)?;
            tx.add_user(id, &name)?;
            tx.put_membership(id, user.workspace, user.organisation, user.role)?;
            before
                .kept(administrators(tx, user.workspace)?)
                .map_err(refused)?;
            if let Some((action, now)) = audit {
                let organisation = tx
                    .organisations(user.workspace)?
                    .into_iter()
                    .find(|o| o.id == user.organisation)
                    .map(|o| o.name);
                let detail = facts::Membership {
                    name: name.clone(),
                    organisation,
                    role: user.role,
                    workspace: None,
                };
                let act = Act::new(action, Some(id.to_string()), detail.detail());
                audit::write(tx, Some(user.workspace), &Origin::operator(), &act, now)?;
            }
            Ok(tx.announce_access()?)
        })?;
        self.access_changed();
        Ok(())
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
        let name = self
            .read(|tx| Ok(tx.user_name(user)?))?
            .ok_or_else(|| ServiceError::NotFound(format!("no person {user}")))?;
        self.add_user_with_id(
            user,
            &NewUser {
                name,
                workspace,
                organisation,
                role,
            },
            Some((AuditAction::PersonMembership, now)),
        )
    }

    /// A one-time code the user's device exchanges for its credential, valid for `ttl`,
    /// in the user's only workspace.
    pub fn enrolment_code(
        &self,
        user: UserId,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> ServiceResult<String> {
        self.enrolment_code_in(user, None, ttl, now)
    }

    /// A one-time code for a device of the user's that acts in `workspace` (and only
    /// there), valid for `ttl`. Without a workspace, the user's only one.
    pub fn enrolment_code_in(
        &self,
        user: UserId,
        workspace: Option<WorkspaceId>,
        ttl: chrono::Duration,
        now: Timestamp,
    ) -> ServiceResult<String> {
        let code = new_enrolment_code()?;
        self.write(|tx| {
            let theirs = tx.member_workspaces(user)?;
            let workspace = match (workspace, theirs.as_slice()) {
                (Some(workspace), theirs) if theirs.contains(&workspace) => workspace,
                (Some(workspace), _) => {
                    return Err(ServiceError::NotFound(format!(
                        "{user} is not a member of workspace {workspace}"
                    )));
                }
                (None, [only]) => *only,
                (None, []) => {
                    return Err(ServiceError::NotFound(format!(
                        "{user} is not a member of any workspace"
                    )));
                }
                (None, _) => {
                    return Err(ServiceError::BadRequest(format!(
                        "{user} is a member of several workspaces: name the one the device is for (--workspace)"
                    )));
                }
            };
            tx.add_code(
                &hash_token(&normalise_code(&code)),
                user,
                workspace,
                now.millis() + ttl.num_milliseconds(),
            )?;
            let detail = facts::CodeIssued {
                person: tx.user_name(user)?,
                minutes: ttl.num_minutes(),
            };
            let act = Act::new(
                AuditAction::EnrolmentCode,
                Some(user.to_string()),
                detail.detail(),
            );
            audit::write(tx, Some(workspace), &Origin::operator(), &act, now)
        })?;
        Ok(code)
    }

    /// Revokes a device: its next request is refused, and nothing it sends is stored.
    pub fn revoke_device(&self, device: DeviceId, now: Timestamp) -> ServiceResult<()> {
        let changed = self.write(|tx| {
            let Some(found) = tx.active_device(device)? else {
                return Ok(false);
            };
            tx.revoke_device(device, now)?;
            let detail = facts::Device {
                device: found.name.clone(),
                person: tx.user_name(found.user)?,
            };
            let act = Act::new(
                AuditAction::DeviceRevoke,
                Some(device.to_string()),
                detail.detail(),
            );
            match found.workspace {
                Some(workspace) => {
                    audit::write(tx, Some(workspace), &Origin::operator(), &act, now)?
                }
                None => record_for_user(tx, found.user, &Origin::operator(), &act, now)?,
            }
            tx.announce_access()?;
            Ok(true)
        })?;
        self.access_changed();
        if !changed {
            return Err(ServiceError::NotFound(format!("no active device {device}")));
        }
        tracing::info!(%device, "device revoked");
        Ok(())
    }

    pub fn devices(&self) -> ServiceResult<Vec<DeviceInfo>> {
        self.read(|tx| Ok(tx.devices()?))
    }

    /// Installs a demo workspace with its people (as users) and `reports` reports over
    /// the six weeks up to `now`, stored through the same checks as pushed changes.
    pub fn install_demo(
        &self,
        demo: &DemoWorkspace,
        reports: usize,
        now: Timestamp,
    ) -> ServiceResult<()> {
        self.install_demo_over(demo, reports, 6, now)
    }

    /// The demo workspace with `reports` reports spread over the `weeks` weeks up to
    /// `now`.
    pub fn install_demo_over(
        &self,
        demo: &DemoWorkspace,
        reports: usize,
        weeks: u32,
        now: Timestamp,
    ) -> ServiceResult<()> {
        self.install(demo, reports, weeks, false, now)
    }

    /// The demo workspace as `install_demo` makes it, with six months of the
    /// municipality's efforts: two citizen promises and five activities followed up
    /// (`DemoWorkspace::efforts`).
    pub fn install_demo_with_efforts(
        &self,
        demo: &DemoWorkspace,
        reports: usize,
        now: Timestamp,
    ) -> ServiceResult<()> {
        self.install(demo, reports, 6, true, now)
    }

    fn install(
        &self,
        demo: &DemoWorkspace,
        reports: usize,
        weeks: u32,
        efforts: bool,
        now: Timestamp,
    ) -> ServiceResult<()> {
        self.write(|tx| {
            tx.save_workspace(&demo.workspace)?;
            for org in &demo.organisations {
                tx.save_organisation(org)?;
            }
            for category in &demo.categories {
                tx.save_category(demo.workspace.id, category)?;
            }
            for place in &demo.places {
                tx.save_place(place)?;
            }
            let detail = facts::WorkspaceCreated {
                name: demo.workspace.name.clone(),
                demo: Some(facts::DemoContents {
                    organisations: demo.organisations.len() as u64,
                    places: demo.places.len() as u64,
                    people: demo.people.len() as u64,
                    reports: reports as u64,
                }),
            };
            let act = Act::new(
                AuditAction::WorkspaceCreate,
                Some(demo.workspace.id.to_string()),
                detail.detail(),
            );
            audit::write(tx, Some(demo.workspace.id), &Origin::operator(), &act, now)
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
        let recorded = scratch.record_many(
            identity.workspace,
            &demo.reports(reports, weeks, now, 48),
            now,
        )?;
        let mut docs: Vec<uuid::Uuid> = recorded.iter().map(|o| o.id.0).collect();
        if reports > 0 {
            docs.extend(demo.meeting_history(&mut scratch, now)?);
        }
        if efforts {
            docs.extend(demo.efforts(&mut scratch, now)?);
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
