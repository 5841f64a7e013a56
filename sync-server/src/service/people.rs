//! The coordinator's administration, without a terminal: organisations, people, their
//! memberships and devices, enrolment codes. Every act is checked against core's
//! permission table (`ADMINISTRATION`), validated like everything an operator reads, and
//! written to the audit log in the same transaction.

use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::sync::wire::{AdminChange, AdminOutcome, IssuedCode, People};
use lagesbild_core::validate::records;
use lagesbild_core::{
    AuditAction, Field, Organisation, OrganisationId, Timestamp, UserId, WorkspaceId, permissions,
};

use super::access::still_stands;
use super::audit::{self, Act, Origin};
use super::auth::{hash_token, new_enrolment_code, normalise_code};
use super::{Member, Service, ServiceError, ServiceResult};
use crate::storage::Tx;

/// The longest an enrolment code issued in the app is valid: a week.
pub const MAX_CODE_MINUTES: u32 = 7 * 24 * 60;

fn require_administer(member: &Member) -> ServiceResult<()> {
    if permissions::Abilities::of(member.role).administer {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(
            "only the coordinator administers people and devices".into(),
        ))
    }
}

/// A rule of administration that no role lifts.
pub(super) fn refused(refusal: permissions::AdministrationRefusal) -> ServiceError {
    ServiceError::Forbidden(refusal.to_string())
}

/// Who can administer `workspace` now: its active coordinators, and those of them with
/// a device that is not revoked.
pub(super) fn administrators(
    tx: &mut dyn Tx,
    workspace: WorkspaceId,
) -> ServiceResult<permissions::Administrators> {
    Ok(permissions::Administrators::count(
        tx.member_roles(workspace)?,
    ))
}

/// The workspaces an act changes the people of, in the order their locks are taken.
fn changed_workspaces(workspace: WorkspaceId, change: &AdminChange) -> Vec<WorkspaceId> {
    let mut changed = vec![workspace];
    if let AdminChange::AddMembership { workspace, .. } = change {
        changed.push(*workspace);
    }
    changed.sort_by_key(|w| w.0);
    changed.dedup();
    changed
}

fn name(text: &str) -> ServiceResult<String> {
    records::name(Field::Name, text).map_err(|e| ServiceError::BadRequest(e.to_string()))
}

fn organisation_in(
    tx: &mut dyn Tx,
    workspace: WorkspaceId,
    organisation: OrganisationId,
) -> ServiceResult<Organisation> {
    tx.organisations(workspace)?
        .into_iter()
        .find(|o| o.id == organisation)
        .ok_or_else(|| ServiceError::NotFound("no such organisation in this workspace".into()))
}

/// The person's name, when they are a member of `workspace`.
fn member_name(tx: &mut dyn Tx, workspace: WorkspaceId, user: UserId) -> ServiceResult<String> {
    tx.membership(user, workspace)?
        .map(|m| m.user_name)
        .ok_or_else(|| ServiceError::NotFound("no such person in this workspace".into()))
}

impl Service {
    /// The workspace's organisations and people with their devices.
    pub fn people(&self, member: &Member) -> ServiceResult<People> {
        require_administer(member)?;
        self.read(|tx| people(tx, member.workspace))
    }

    /// Carries out one administrative act, audited, and answers the people as they are
    /// now (with the code, when one was issued).
    pub fn administer(
        &self,
        member: &Member,
        change: &AdminChange,
        now: Timestamp,
    ) -> ServiceResult<AdminOutcome> {
        require_administer(member)?;
        let link = self
            .public_url
            .as_deref()
            .map(|server| (server, self.device_ca.as_deref()));
        let (code, woke) = self.write(|tx| {
            // What the act is planned on holds until it commits: of two coordinators
            // removing each other at once, the second sees the first's act.
            let changed = changed_workspaces(member.workspace, change);
            let mut before = Vec::new();
            for workspace in &changed {
                tx.lock_workspace(*workspace)?;
                before.push(administrators(tx, *workspace)?);
            }
            // Revoked, deactivated or moved while the request was under way: nothing is
            // done. Read after the workspace's lock, which every act takes first, so two
            // acts never wait on each other's rows.
            still_stands(tx, member)?;
            let (act, code, woke) = act(tx, member, change, link, now)?;
            for (workspace, before) in changed.iter().zip(before) {
                before
                    .kept(administrators(tx, *workspace)?)
                    .map_err(refused)?;
            }
            audit::write(tx, Some(member.workspace), &Origin::of(member), &act, now)?;
            if woke {
                tx.announce(member.workspace)?;
            }
            // Most acts change who may do what (a device revoked, a person deactivated
            // or moved); every one is taken as such, as they are few.
            tx.announce_access()?;
            Ok((code, woke))
        })?;
        self.access_changed();
        if woke {
            self.wake(member.workspace);
        }
        Ok(AdminOutcome {
            people: self.read(|tx| people(tx, member.workspace))?,
            code,
        })
    }
}

/// Does `change`; returns what the audit log keeps of it, the code it issued, and
/// whether devices must fetch the register again.
fn act(
    tx: &mut dyn Tx,
    member: &Member,
    change: &AdminChange,
    // The server's address and the CA to hand devices, for enrolment links.
    link: Option<(&str, Option<&str>)>,
    now: Timestamp,
) -> ServiceResult<(Act, Option<IssuedCode>, bool)> {
    let ws = member.workspace;
    Ok(match change {
        AdminChange::AddOrganisation { name: n, kind } => {
            let org = Organisation {
                id: OrganisationId::new(),
                workspace: ws,
                name: name(n)?,
                kind: *kind,
            };
            tx.save_organisation(&org)?;
            tx.bump_register(ws)?;
            let detail = format!("{} ({})", org.name, kind.code());
            (
                Act::new(
                    AuditAction::OrganisationAdd,
                    Some(org.id.to_string()),
                    detail,
                ),
                None,
                true,
            )
        }
        AdminChange::RenameOrganisation {
            organisation,
            name: n,
        } => {
            let mut org = organisation_in(tx, ws, *organisation)?;
            let renamed = name(n)?;
            let detail = format!("{} → {renamed}", org.name);
            org.name = renamed;
            tx.save_organisation(&org)?;
            tx.bump_register(ws)?;
            (
                Act::new(
                    AuditAction::OrganisationRename,
                    Some(org.id.to_string()),
                    detail,
                ),
                None,
                true,
            )
        }
        AdminChange::SetOrganisationKind { organisation, kind } => {
            let mut org = organisation_in(tx, ws, *organisation)?;
            let detail = format!("{} → {}", org.kind.code(), kind.code());
            org.kind = *kind;
            tx.save_organisation(&org)?;
            tx.bump_register(ws)?;
            (
                Act::new(
                    AuditAction::OrganisationKindChange,
                    Some(org.id.to_string()),
                    detail,
                ),
                None,
                true,
            )
        }
        AdminChange::AddPerson {
            name: n,
            organisation,
            role,
        } => {
            let org = organisation_in(tx, ws, *organisation)?;
            let user = UserId::new();
            let n = name(n)?;
            tx.add_user(user, &n)?;
            tx.put_membership(user, ws, org.id, *role)?;
            let detail = format!("{n}: {}, {}", org.name, role.code());
            (
                Act::new(AuditAction::PersonAdd, Some(user.to_string()), detail),
                None,
                false,
            )
        }
        AdminChange::ChangePerson {
            user,
            organisation,
            role,
        } => {
            permissions::may_change_membership(member.device.user, *user).map_err(refused)?;
            let n = member_name(tx, ws, *user)?;
            let org = organisation_in(tx, ws, *organisation)?;
            tx.put_membership(*user, ws, org.id, *role)?;
            let detail = format!("{n}: {}, {}", org.name, role.code());
            (
                Act::new(AuditAction::PersonChange, Some(user.to_string()), detail),
                None,
                false,
            )
        }
        AdminChange::AddMembership {
            user,
            workspace,
            organisation,
            role,
        } => {
            permissions::may_change_membership(member.device.user, *user).map_err(refused)?;
            let n = member_name(tx, ws, *user)?;
            let theirs = tx.membership(member.device.user, *workspace)?;
            if !theirs.is_some_and(|m| m.active && permissions::Abilities::of(m.role).administer) {
                return Err(ServiceError::Forbidden(
                    "a membership in another workspace is given by a coordinator of that workspace"
                        .into(),
                ));
            }
            let org = organisation_in(tx, *workspace, *organisation)?;
            tx.put_membership(*user, *workspace, org.id, *role)?;
            tx.set_active(*user, *workspace, true)?;
            audit::write(
                tx,
                Some(*workspace),
                &Origin::of(member),
                &Act::new(
                    AuditAction::PersonMembership,
                    Some(user.to_string()),
                    format!("{n}: {}, {}", org.name, role.code()),
                ),
                now,
            )?;
            let detail = format!(
                "{n} is also a member of workspace {workspace}: {}, {}",
                org.name,
                role.code()
            );
            (
                Act::new(
                    AuditAction::PersonMembership,
                    Some(user.to_string()),
                    detail,
                ),
                None,
                false,
            )
        }
        AdminChange::Deactivate { user } | AdminChange::Reactivate { user } => {
            let active = matches!(change, AdminChange::Reactivate { .. });
            permissions::may_change_membership(member.device.user, *user).map_err(refused)?;
            let n = member_name(tx, ws, *user)?;
            tx.set_active(*user, ws, active)?;
            let action = if active {
                AuditAction::PersonReactivate
            } else {
                AuditAction::PersonDeactivate
            };
            (Act::new(action, Some(user.to_string()), n), None, false)
        }
        AdminChange::RevokeDevice { device } => {
            let unknown = || ServiceError::NotFound("no active device with that id".into());
            // A device of this workspace (or, enrolled before devices belonged to one, of
            // one of its people): another workspace's devices are its coordinators'.
            let found = tx
                .active_device(*device)?
                .filter(|d| d.workspace.is_none_or(|w| w == ws))
                .ok_or_else(unknown)?;
            let n = member_name(tx, ws, found.user).map_err(|_| unknown())?;
            tx.revoke_device(*device, now)?;
            let detail = format!("{:?} of {n}", found.name);
            (
                Act::new(AuditAction::DeviceRevoke, Some(device.to_string()), detail),
                None,
                false,
            )
        }
        AdminChange::IssueCode { user, ttl_minutes } => {
            let n = member_name(tx, ws, *user)?;
            if !(1..=MAX_CODE_MINUTES).contains(ttl_minutes) {
                return Err(ServiceError::BadRequest(format!(
                    "a code is valid for 1 to {MAX_CODE_MINUTES} minutes"
                )));
            }
            let code = new_enrolment_code()?;
            let expires_at = now.millis() + i64::from(*ttl_minutes) * 60_000;
            tx.add_code(&hash_token(&normalise_code(&code)), *user, ws, expires_at)?;
            let issued = IssuedCode {
                link: link.map(|(server, ca)| {
                    EnrolmentLink {
                        server: server.to_string(),
                        code: code.clone(),
                        ca: ca.map(str::to_string),
                    }
                    .to_string()
                }),
                code,
                expires_at: Timestamp::from_millis(expires_at).unwrap_or(now),
            };
            let detail = format!("a one-time code for {n}, valid for {ttl_minutes} minutes");
            (
                Act::new(AuditAction::EnrolmentCode, Some(user.to_string()), detail),
                Some(issued),
                false,
            )
        }
        AdminChange::WithdrawCode { code } => {
            let hash = hash_token(&normalise_code(code));
            let ours = tx
                .code(&hash)?
                .is_some_and(|c| c.workspace.is_none_or(|w| w == ws));
            let user: Option<UserId> = tx.open_code(&hash, now)?.filter(|_| ours);
            let n = user
                .and_then(|u| member_name(tx, ws, u).ok())
                .ok_or_else(|| {
                    ServiceError::NotFound(
                        "no unused code of this workspace's people matches".into(),
                    )
                })?;
            tx.delete_code(&hash)?;
            let detail = format!("a code for {n} withdrawn before use");
            (
                Act::new(
                    AuditAction::EnrolmentWithdraw,
                    user.map(|u| u.to_string()),
                    detail,
                ),
                None,
                false,
            )
        }
    })
}

fn people(tx: &mut dyn Tx, workspace: WorkspaceId) -> ServiceResult<People> {
    Ok(People {
        organisations: tx.organisations(workspace)?,
        people: tx.people(workspace)?,
    })
}
