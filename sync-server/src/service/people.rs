//! The coordinator's administration, without a terminal: organisations, people, their
//! memberships and devices, enrolment codes. Every act is checked against core's
//! permission table (`ADMINISTRATION`), validated like everything an operator reads, and
//! written to the audit log in the same transaction.

use lagesbild_core::audit_detail::{self as facts, Facts};
use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::sync::wire::{AdminChange, AdminOutcome, IssuedCode, People};
use lagesbild_core::validate::records;
use lagesbild_core::{
    AuditAction, DeviceId, Field, Organisation, OrganisationId, OrganisationKind, Role, Timestamp,
    UserId, WorkspaceId, permissions,
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
            let Done {
                act,
                code,
                register: woke,
            } = act(tx, member, change, link, now)?;
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

/// What an administrative act did: what the audit log keeps of it, the code it issued,
/// and whether devices must fetch the register again.
struct Done {
    act: Act,
    code: Option<IssuedCode>,
    register: bool,
}

impl Done {
    fn register(action: AuditAction, target: impl ToString, detail: String) -> Done {
        Done {
            act: Act::new(action, Some(target.to_string()), detail),
            code: None,
            register: true,
        }
    }

    fn people(action: AuditAction, target: impl ToString, detail: String) -> Done {
        Done {
            register: false,
            ..Done::register(action, target, detail)
        }
    }
}

/// Does `change`, by what it concerns.
fn act(
    tx: &mut dyn Tx,
    member: &Member,
    change: &AdminChange,
    // The server's address and the CA to hand devices, for enrolment links.
    link: Option<(&str, Option<&str>)>,
    now: Timestamp,
) -> ServiceResult<Done> {
    let ws = member.workspace;
    match change {
        AdminChange::AddOrganisation { name, kind } => add_organisation(tx, ws, name, *kind),
        AdminChange::RenameOrganisation { organisation, name } => {
            change_organisation(tx, ws, *organisation, OrganisationEdit::Name(name))
        }
        AdminChange::SetOrganisationKind { organisation, kind } => {
            change_organisation(tx, ws, *organisation, OrganisationEdit::Kind(*kind))
        }
        AdminChange::AddPerson {
            name,
            organisation,
            role,
        } => add_person(tx, ws, name, *organisation, *role),
        AdminChange::ChangePerson {
            user,
            organisation,
            role,
        } => {
            permissions::may_change_membership(member.device.user, *user).map_err(refused)?;
            change_person(tx, ws, *user, *organisation, *role)
        }
        AdminChange::AddMembership {
            user,
            workspace,
            organisation,
            role,
        } => {
            permissions::may_change_membership(member.device.user, *user).map_err(refused)?;
            add_membership(tx, member, *user, (*workspace, *organisation, *role), now)
        }
        AdminChange::Deactivate { user } => set_active(tx, member, *user, false),
        AdminChange::Reactivate { user } => set_active(tx, member, *user, true),
        AdminChange::RevokeDevice { device } => revoke_device(tx, ws, *device, now),
        AdminChange::IssueCode { user, ttl_minutes } => {
            issue_code(tx, ws, *user, *ttl_minutes, link, now)
        }
        AdminChange::WithdrawCode { code } => withdraw_code(tx, ws, code, now),
    }
}

fn add_organisation(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    n: &str,
    kind: OrganisationKind,
) -> ServiceResult<Done> {
    let org = Organisation {
        id: OrganisationId::new(),
        workspace: ws,
        name: name(n)?,
        kind,
    };
    tx.save_organisation(&org)?;
    tx.bump_register(ws)?;
    let detail = facts::OrganisationAdded {
        name: org.name.clone(),
        kind,
    };
    Ok(Done::register(
        AuditAction::OrganisationAdd,
        org.id,
        detail.detail(),
    ))
}

enum OrganisationEdit<'a> {
    Name(&'a str),
    Kind(OrganisationKind),
}

fn change_organisation(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    organisation: OrganisationId,
    edit: OrganisationEdit<'_>,
) -> ServiceResult<Done> {
    let mut org = organisation_in(tx, ws, organisation)?;
    let (action, detail) = match edit {
        OrganisationEdit::Name(n) => {
            let renamed = name(n)?;
            let detail = facts::OrganisationRenamed {
                from: org.name.clone(),
                to: renamed.clone(),
            }
            .detail();
            org.name = renamed;
            (AuditAction::OrganisationRename, detail)
        }
        OrganisationEdit::Kind(kind) => {
            let detail = facts::OrganisationKindChanged {
                name: org.name.clone(),
                from: org.kind,
                to: kind,
            }
            .detail();
            org.kind = kind;
            (AuditAction::OrganisationKindChange, detail)
        }
    };
    tx.save_organisation(&org)?;
    tx.bump_register(ws)?;
    Ok(Done::register(action, org.id, detail))
}

fn add_person(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    n: &str,
    organisation: OrganisationId,
    role: Role,
) -> ServiceResult<Done> {
    let org = organisation_in(tx, ws, organisation)?;
    let user = UserId::new();
    let n = name(n)?;
    tx.add_user(user, &n)?;
    tx.put_membership(user, ws, org.id, role)?;
    let detail = membership(n, &org, role, None);
    Ok(Done::people(AuditAction::PersonAdd, user, detail))
}

fn change_person(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    user: UserId,
    organisation: OrganisationId,
    role: Role,
) -> ServiceResult<Done> {
    let n = member_name(tx, ws, user)?;
    let org = organisation_in(tx, ws, organisation)?;
    tx.put_membership(user, ws, org.id, role)?;
    let detail = membership(n, &org, role, None);
    Ok(Done::people(AuditAction::PersonChange, user, detail))
}

/// Makes a person of this workspace a member of another, which the acting coordinator
/// administers too; audited in both.
fn add_membership(
    tx: &mut dyn Tx,
    member: &Member,
    user: UserId,
    (workspace, organisation, role): (WorkspaceId, OrganisationId, Role),
    now: Timestamp,
) -> ServiceResult<Done> {
    let n = member_name(tx, member.workspace, user)?;
    let theirs = tx.membership(member.device.user, workspace)?;
    if !theirs.is_some_and(|m| m.active && permissions::Abilities::of(m.role).administer) {
        return Err(ServiceError::Forbidden(
            "a membership in another workspace is given by a coordinator of that workspace".into(),
        ));
    }
    let org = organisation_in(tx, workspace, organisation)?;
    tx.put_membership(user, workspace, org.id, role)?;
    tx.set_active(user, workspace, true)?;
    let there = Act::new(
        AuditAction::PersonMembership,
        Some(user.to_string()),
        membership(n.clone(), &org, role, None),
    );
    audit::write(tx, Some(workspace), &Origin::of(member), &there, now)?;
    // Here, the workspace they joined, by its name (its id when it has none to read).
    let joined = tx
        .workspace(workspace)?
        .map_or_else(|| workspace.to_string(), |(w, _)| w.name);
    let detail = membership(n, &org, role, Some(joined));
    Ok(Done::people(AuditAction::PersonMembership, user, detail))
}

fn set_active(tx: &mut dyn Tx, member: &Member, user: UserId, active: bool) -> ServiceResult<Done> {
    permissions::may_change_membership(member.device.user, user).map_err(refused)?;
    let n = member_name(tx, member.workspace, user)?;
    tx.set_active(user, member.workspace, active)?;
    let action = if active {
        AuditAction::PersonReactivate
    } else {
        AuditAction::PersonDeactivate
    };
    Ok(Done::people(
        action,
        user,
        facts::Person { name: n }.detail(),
    ))
}

fn revoke_device(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    device: DeviceId,
    now: Timestamp,
) -> ServiceResult<Done> {
    let unknown = || ServiceError::NotFound("no active device with that id".into());
    // A device of this workspace (or, enrolled before devices belonged to one, of one of
    // its people): another workspace's devices are its coordinators'.
    let found = tx
        .active_device(device)?
        .filter(|d| d.workspace.is_none_or(|w| w == ws))
        .ok_or_else(unknown)?;
    let n = member_name(tx, ws, found.user).map_err(|_| unknown())?;
    tx.revoke_device(device, now)?;
    let detail = facts::Device {
        device: found.name,
        person: Some(n),
    }
    .detail();
    Ok(Done::people(AuditAction::DeviceRevoke, device, detail))
}

fn issue_code(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    user: UserId,
    ttl_minutes: u32,
    link: Option<(&str, Option<&str>)>,
    now: Timestamp,
) -> ServiceResult<Done> {
    let n = member_name(tx, ws, user)?;
    if !(1..=MAX_CODE_MINUTES).contains(&ttl_minutes) {
        return Err(ServiceError::BadRequest(format!(
            "a code is valid for 1 to {MAX_CODE_MINUTES} minutes"
        )));
    }
    let code = new_enrolment_code()?;
    let expires_at = now.millis() + i64::from(ttl_minutes) * 60_000;
    tx.add_code(&hash_token(&normalise_code(&code)), user, ws, expires_at)?;
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
    let detail = facts::CodeIssued {
        person: Some(n),
        minutes: i64::from(ttl_minutes),
    }
    .detail();
    Ok(Done {
        code: Some(issued),
        ..Done::people(AuditAction::EnrolmentCode, user, detail)
    })
}

fn withdraw_code(
    tx: &mut dyn Tx,
    ws: WorkspaceId,
    code: &str,
    now: Timestamp,
) -> ServiceResult<Done> {
    let hash = hash_token(&normalise_code(code));
    let ours = tx
        .code(&hash)?
        .is_some_and(|c| c.workspace.is_none_or(|w| w == ws));
    let user: Option<UserId> = tx.open_code(&hash, now)?.filter(|_| ours);
    let (user, n) = user
        .and_then(|u| Some((u, member_name(tx, ws, u).ok()?)))
        .ok_or_else(|| {
            ServiceError::NotFound("no unused code of this workspace's people matches".into())
        })?;
    tx.delete_code(&hash)?;
    let detail = facts::Person { name: n }.detail();
    Ok(Done::people(AuditAction::EnrolmentWithdraw, user, detail))
}

/// What the log keeps of a person's place in a workspace (`workspace`: the one they
/// joined, when written in another).
fn membership(name: String, org: &Organisation, role: Role, workspace: Option<String>) -> String {
    facts::Membership {
        name,
        organisation: Some(org.name.clone()),
        role,
        workspace,
    }
    .detail()
}

fn people(tx: &mut dyn Tx, workspace: WorkspaceId) -> ServiceResult<People> {
    Ok(People {
        organisations: tx.organisations(workspace)?,
        people: tx.people(workspace)?,
    })
}
