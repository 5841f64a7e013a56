//! The coordinator's administration, without a terminal: organisations, people, their
//! memberships and devices, enrolment codes. Every act is checked against core's
//! permission table (`ADMINISTRATION`), validated like everything an operator reads, and
//! written to the audit log in the same transaction.

use lagesbild_core::store::register;
use lagesbild_core::sync::link::EnrolmentLink;
use lagesbild_core::sync::wire::{
    AdminChange, AdminOutcome, DeviceSummary, IssuedCode, People, Person,
};
use lagesbild_core::validate::records;
use lagesbild_core::{
    DeviceId, Field, Organisation, OrganisationId, Role, Timestamp, UserId, WorkspaceId,
    permissions,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::audit::{Act, Origin, record};
use super::auth::{hash_token, new_enrolment_code, normalise_code};
use super::{Member, Service, ServiceError, ServiceResult};

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

fn name(text: &str) -> ServiceResult<String> {
    records::name(Field::Name, text).map_err(|e| ServiceError::BadRequest(e.to_string()))
}

fn organisation_in(
    conn: &Connection,
    workspace: WorkspaceId,
    organisation: OrganisationId,
) -> ServiceResult<Organisation> {
    register::organisations(conn, workspace)?
        .into_iter()
        .find(|o| o.id == organisation)
        .ok_or_else(|| ServiceError::NotFound("no such organisation in this workspace".into()))
}

/// The person's name, when they are a member of `workspace`.
fn member_name(conn: &Connection, workspace: WorkspaceId, user: UserId) -> ServiceResult<String> {
    conn.query_row(
        "SELECT u.name FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.user_id = ?1 AND m.workspace_id = ?2",
        params![user, workspace],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| ServiceError::NotFound("no such person in this workspace".into()))
}

impl Service {
    /// The workspace's organisations and people with their devices.
    pub fn people(&self, member: &Member) -> ServiceResult<People> {
        require_administer(member)?;
        self.db().with(|conn| people(conn, member.workspace))
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
        let public_url = self.public_url.clone();
        let (code, woke) = self.db().with(|conn| -> ServiceResult<_> {
            let tx = conn.transaction()?;
            let (act, code, woke) = act(&tx, member, change, public_url.as_deref(), now)?;
            record(&tx, Some(member.workspace), &Origin::of(member), &act, now)?;
            tx.commit()?;
            Ok((code, woke))
        })?;
        if woke {
            self.wake(member.workspace);
        }
        Ok(AdminOutcome {
            people: self.db().with(|conn| people(conn, member.workspace))?,
            code,
        })
    }
}

/// Does `change`; returns what the audit log keeps of it, the code it issued, and
/// whether devices must fetch the register again.
fn act(
    tx: &Transaction<'_>,
    member: &Member,
    change: &AdminChange,
    public_url: Option<&str>,
    now: Timestamp,
) -> ServiceResult<(Act, Option<IssuedCode>, bool)> {
    let ws = member.workspace;
    let bump = |tx: &Transaction<'_>| {
        tx.execute(
            "UPDATE workspaces SET register_version = register_version + 1 WHERE id = ?1",
            [ws],
        )
    };
    Ok(match change {
        AdminChange::AddOrganisation { name: n, kind } => {
            let org = Organisation {
                id: OrganisationId::new(),
                workspace: ws,
                name: name(n)?,
                kind: *kind,
            };
            register::save_organisation(tx, &org)?;
            bump(tx)?;
            let detail = format!("{} ({})", org.name, kind.code());
            (
                Act::new("organisation.add", Some(org.id.to_string()), detail),
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
            register::save_organisation(tx, &org)?;
            bump(tx)?;
            (
                Act::new("organisation.rename", Some(org.id.to_string()), detail),
                None,
                true,
            )
        }
        AdminChange::SetOrganisationKind { organisation, kind } => {
            let mut org = organisation_in(tx, ws, *organisation)?;
            let detail = format!("{} → {}", org.kind.code(), kind.code());
            org.kind = *kind;
            register::save_organisation(tx, &org)?;
            bump(tx)?;
            (
                Act::new("organisation.kind", Some(org.id.to_string()), detail),
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
            tx.execute(
                "INSERT INTO users (id, name) VALUES (?1, ?2)",
                params![user, n],
            )?;
            tx.execute(
                "INSERT INTO memberships (user_id, workspace_id, organisation_id, role) VALUES (?1, ?2, ?3, ?4)",
                params![user, ws, org.id, role],
            )?;
            let detail = format!("{n}: {}, {}", org.name, role.code());
            (
                Act::new("person.add", Some(user.to_string()), detail),
                None,
                false,
            )
        }
        AdminChange::ChangePerson {
            user,
            organisation,
            role,
        } => {
            let n = member_name(tx, ws, *user)?;
            let org = organisation_in(tx, ws, *organisation)?;
            if *user == member.device.user && !role.is_coordinator() {
                return Err(ServiceError::BadRequest(
                    "a coordinator cannot take away their own role; another coordinator can".into(),
                ));
            }
            tx.execute(
                "UPDATE memberships SET organisation_id = ?3, role = ?4 WHERE user_id = ?1 AND workspace_id = ?2",
                params![user, ws, org.id, role],
            )?;
            let detail = format!("{n}: {}, {}", org.name, role.code());
            (
                Act::new("person.change", Some(user.to_string()), detail),
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
            let n = member_name(tx, ws, *user)?;
            let theirs: Option<(Role, bool)> = tx
                .query_row(
                    "SELECT role, active FROM memberships WHERE user_id = ?1 AND workspace_id = ?2",
                    params![member.device.user, workspace],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if !theirs.is_some_and(|(r, active)| active && permissions::Abilities::of(r).administer)
            {
                return Err(ServiceError::Forbidden(
                    "a membership in another workspace is given by a coordinator of that workspace"
                        .into(),
                ));
            }
            let org = organisation_in(tx, *workspace, *organisation)?;
            tx.execute(
                "INSERT INTO memberships (user_id, workspace_id, organisation_id, role) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id, workspace_id) DO UPDATE SET organisation_id = excluded.organisation_id,
                   role = excluded.role, active = 1",
                params![user, workspace, org.id, role],
            )?;
            record(
                tx,
                Some(*workspace),
                &Origin::of(member),
                &Act::new(
                    "person.membership",
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
                Act::new("person.membership", Some(user.to_string()), detail),
                None,
                false,
            )
        }
        AdminChange::Deactivate { user } | AdminChange::Reactivate { user } => {
            let active = matches!(change, AdminChange::Reactivate { .. });
            let n = member_name(tx, ws, *user)?;
            if *user == member.device.user {
                return Err(ServiceError::BadRequest(
                    "a coordinator cannot deactivate themselves".into(),
                ));
            }
            tx.execute(
                "UPDATE memberships SET active = ?3 WHERE user_id = ?1 AND workspace_id = ?2",
                params![user, ws, active],
            )?;
            let action = if active {
                "person.reactivate"
            } else {
                "person.deactivate"
            };
            (Act::new(action, Some(user.to_string()), n), None, false)
        }
        AdminChange::RevokeDevice { device } => {
            let owner: Option<(UserId, String)> = tx
                .query_row(
                    "SELECT user_id, name FROM devices WHERE id = ?1 AND revoked_at IS NULL",
                    [device],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (owner, device_name) = owner
                .ok_or_else(|| ServiceError::NotFound("no active device with that id".into()))?;
            let n = member_name(tx, ws, owner)
                .map_err(|_| ServiceError::NotFound("no active device with that id".into()))?;
            tx.execute(
                "UPDATE devices SET revoked_at = ?2 WHERE id = ?1",
                params![device, now.millis()],
            )?;
            let detail = format!("{device_name:?} of {n}");
            (
                Act::new("device.revoke", Some(device.to_string()), detail),
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
            tx.execute(
                "INSERT INTO enrolment_codes (code_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![hash_token(&normalise_code(&code)), user, expires_at],
            )?;
            let issued = IssuedCode {
                link: public_url.map(|server| {
                    EnrolmentLink {
                        server: server.to_string(),
                        code: code.clone(),
                    }
                    .to_string()
                }),
                code,
                expires_at: Timestamp::from_millis(expires_at).unwrap_or(now),
            };
            let detail = format!("a one-time code for {n}, valid for {ttl_minutes} minutes");
            (
                Act::new("enrolment.code", Some(user.to_string()), detail),
                Some(issued),
                false,
            )
        }
        AdminChange::WithdrawCode { code } => {
            let hash = hash_token(&normalise_code(code));
            let user: Option<UserId> = tx
                .query_row(
                    "SELECT user_id FROM enrolment_codes WHERE code_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
                    params![hash, now.millis()],
                    |r| r.get(0),
                )
                .optional()?;
            let n = user
                .and_then(|u| member_name(tx, ws, u).ok())
                .ok_or_else(|| {
                    ServiceError::NotFound(
                        "no unused code of this workspace's people matches".into(),
                    )
                })?;
            tx.execute("DELETE FROM enrolment_codes WHERE code_hash = ?1", [hash])?;
            let detail = format!("a code for {n} withdrawn before use");
            (
                Act::new("enrolment.withdraw", user.map(|u| u.to_string()), detail),
                None,
                false,
            )
        }
    })
}

fn people(conn: &Connection, workspace: WorkspaceId) -> ServiceResult<People> {
    let organisations = register::organisations(conn, workspace)?;
    let mut stmt = conn.prepare_cached(
        "SELECT u.id, u.name, m.organisation_id, m.role, m.active FROM memberships m
         JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 ORDER BY u.name",
    )?;
    let mut people = stmt
        .query_map([workspace], |r| {
            Ok(Person {
                user: r.get(0)?,
                name: r.get(1)?,
                organisation: r.get(2)?,
                role: r.get(3)?,
                active: r.get(4)?,
                devices: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut devices = conn.prepare_cached(
        "SELECT id, name, created_at, last_seen_at, app_version, revoked_at IS NOT NULL
         FROM devices WHERE user_id = ?1 ORDER BY created_at",
    )?;
    for person in &mut people {
        person.devices = devices
            .query_map([person.user], |r| {
                let at = |ms: i64| {
                    Timestamp::from_millis(ms).unwrap_or(Timestamp(chrono::DateTime::UNIX_EPOCH))
                };
                Ok(DeviceSummary {
                    id: r.get::<_, DeviceId>(0)?,
                    name: r.get(1)?,
                    enrolled_at: at(r.get(2)?),
                    last_seen: r.get::<_, Option<i64>>(3)?.map(at),
                    app_version: r.get(4)?,
                    revoked: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
    }
    Ok(People {
        organisations,
        people,
    })
}
