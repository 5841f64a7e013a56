//! Enrolment and authentication. A device proves who it is with a random bearer token
//! that only it holds; the server keeps the token's SHA-256 (a fast hash is right for a
//! 256-bit random secret: there is nothing to brute-force).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lagesbild_core::Field;
use lagesbild_core::sync::wire::{EnrollRequest, EnrollResponse, Me, Membership};
use lagesbild_core::validate::records;
use lagesbild_core::{DeviceId, Organisation, Timestamp, UserId, Workspace, WorkspaceId};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::audit::{Act, Origin, record, record_for_user};
use super::{Device, Member, Service, ServiceError, ServiceResult};

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.trim().as_bytes()).to_vec()
}

fn random_bytes<const N: usize>() -> ServiceResult<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

pub(super) fn new_token() -> ServiceResult<String> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}

/// Crockford's base32 without I, L, O, U: easy to read aloud and type.
const CODE_ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A 12-character code in groups of four (60 bits), such as `K7QX-M2PA-9RTW`.
pub(super) fn new_enrolment_code() -> ServiceResult<String> {
    let bytes = random_bytes::<12>()?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(b % 32)] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Codes are compared without case, dashes or spaces.
pub(super) fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl Service {
    /// Exchanges a one-time enrolment code for the device's own credential.
    pub fn enroll(
        &self,
        request: &EnrollRequest,
        address: Option<std::net::IpAddr>,
        now: Timestamp,
    ) -> ServiceResult<EnrollResponse> {
        let actor = automerge::ActorId::try_from(request.actor.as_str())
            .ok()
            .map(|a| a.to_bytes().to_vec())
            .filter(|a| (1..=32).contains(&a.len()))
            .ok_or_else(|| {
                ServiceError::BadRequest(
                    "actor must be the device's Automerge actor id in hex".into(),
                )
            })?;
        let name = &records::name(Field::Name, &request.device_name)
            .map_err(|e| ServiceError::BadRequest(format!("device_{e}")))?;
        let code_hash = hash_token(&normalise_code(&request.code));
        let token = new_token()?;
        let device = DeviceId::new();
        let user = self.db().with(|conn| -> ServiceResult<UserId> {
            let tx = conn.transaction()?;
            let found: Option<(UserId, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT user_id, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?1",
                    [&code_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let invalid = || ServiceError::Unauthorized("the enrolment code is not valid: it may be mistyped, used or expired; ask the coordinator for a new one".into());
            let failure = match found {
                None => Some("an unknown code"),
                Some((_, _, Some(_))) => Some("a code used before"),
                Some((_, expires_at, None)) if expires_at <= now.millis() => Some("an expired code"),
                Some(_) => None,
            };
            let (Some((user, _, _)), None) = (found, failure) else {
                let why = failure.unwrap_or("an unknown code");
                let act = Act::new("enrolment.failed", None, format!("{why} (device named {name:?})"));
                match found {
                    // A real code used again or too late: its person's coordinators see it.
                    Some((user, _, _)) => record_for_user(&tx, user, &Origin::at(address), &act, now)?,
                    None => record(&tx, None, &Origin::at(address), &act, now)?,
                }
                tx.commit()?;
                return Err(invalid());
            };
            tx.execute("UPDATE enrolment_codes SET used_at = ?2 WHERE code_hash = ?1", params![code_hash, now.millis()])?;
            let inserted = tx.execute(
                "INSERT INTO devices (id, user_id, name, actor, token_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (actor) DO NOTHING",
                params![device, user, name, actor, hash_token(&token), now.millis()],
            )?;
            if inserted == 0 {
                return Err(ServiceError::BadRequest("this actor id is enrolled already; a device needs its own".into()));
            }
            let user_name: String = tx.query_row("SELECT name FROM users WHERE id = ?1", [user], |r| r.get(0))?;
            let origin = Origin { user: Some((user, user_name)), device: Some(device), address };
            record_for_user(&tx, user, &origin, &Act::new("enrolment", Some(device.to_string()), format!("device {name:?} enrolled")), now)?;
            tx.commit()?;
            Ok(user)
        })?;
        tracing::info!(%device, %user, "device enrolled");
        let device = Device {
            id: device,
            user,
            name: name.to_string(),
            actor,
            address,
        };
        Ok(EnrollResponse {
            device: device.id,
            token,
            me: self.me(&device)?,
        })
    }

    /// The device a bearer token belongs to. A revoked device is refused.
    /// Notes, at most once a minute, when the device was last seen and which app version
    /// it says it runs.
    pub fn authenticate(
        &self,
        token: &str,
        app_version: Option<&str>,
        now: Timestamp,
    ) -> ServiceResult<Device> {
        let hash = hash_token(token);
        let app_version = app_version
            .filter(|v| records::line(Field::Name, v, 40).is_ok())
            .map(str::to_string);
        let found = self.db().with(|conn| {
            conn.prepare_cached(
                "SELECT id, user_id, name, actor, revoked_at FROM devices WHERE token_hash = ?1",
            )?
            .query_row([hash], |r| {
                Ok((
                    Device {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        name: r.get(2)?,
                        actor: r.get(3)?,
                        address: None,
                    },
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .optional()
        })?;
        match found {
            None => Err(ServiceError::Unauthorized(
                "unknown credential; enrol this device".into(),
            )),
            Some((_, Some(_))) => Err(ServiceError::Revoked(
                "this device has been revoked; ask the coordinator to enrol it again".into(),
            )),
            Some((device, None)) => {
                self.db().with(|conn| {
                    conn.prepare_cached(
                        "UPDATE devices SET last_seen_at = ?2, app_version = COALESCE(?3, app_version)
                         WHERE id = ?1 AND (last_seen_at IS NULL OR last_seen_at < ?2 - 60000
                                            OR app_version IS NOT COALESCE(?3, app_version))",
                    )?
                    .execute(params![device.id, now.millis(), app_version])
                })?;
                Ok(device)
            }
        }
    }

    /// The device acting in `workspace`, if its user is a member there.
    pub fn member(&self, device: &Device, workspace: WorkspaceId) -> ServiceResult<Member> {
        let found = self.db().with(|conn| {
            conn.prepare_cached(
                "SELECT m.organisation_id, o.kind, m.role, u.name, m.active FROM memberships m
                 JOIN organisations o ON o.id = m.organisation_id
                 JOIN users u ON u.id = m.user_id
                 WHERE m.user_id = ?1 AND m.workspace_id = ?2",
            )?
            .query_row(params![device.user, workspace], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get::<_, bool>(4)?,
                ))
            })
            .optional()
        })?;
        let (organisation, organisation_kind, role, name, active) = found.ok_or_else(|| {
            ServiceError::Forbidden("this device is not a member of that workspace".into())
        })?;
        if !active {
            return Err(ServiceError::Deactivated(
                "the coordinator has deactivated this person in that workspace".into(),
            ));
        }
        Ok(Member {
            device: device.clone(),
            name,
            workspace,
            organisation,
            organisation_kind,
            role,
        })
    }

    pub fn me(&self, device: &Device) -> ServiceResult<Me> {
        self.db().with(|conn| {
            let name: String = conn.query_row("SELECT name FROM users WHERE id = ?1", [device.user], |r| r.get(0))?;
            let mut stmt = conn.prepare_cached(
                "SELECT w.id, w.name, w.grade_labels, o.id, o.name, o.kind, m.role FROM memberships m
                 JOIN workspaces w ON w.id = m.workspace_id
                 JOIN organisations o ON o.id = m.organisation_id
                 WHERE m.user_id = ?1 AND m.active = 1 ORDER BY w.name",
            )?;
            let memberships = stmt
                .query_map([device.user], |r| {
                    let labels: Option<String> = r.get(2)?;
                    let workspace = Workspace {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        grade_labels: labels.and_then(|l| serde_json::from_str(&l).ok()),
                    };
                    Ok(Membership {
                        organisation: Organisation { id: r.get(3)?, workspace: workspace.id, name: r.get(4)?, kind: r.get(5)? },
                        workspace,
                        role: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Me { device: device.id, user: device.user, name, memberships })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_codes_read_well_and_normalise() {
        let code = new_enrolment_code().unwrap();
        assert_eq!(code.len(), 14, "{code}");
        assert!(
            code.chars()
                .all(|c| c == '-' || CODE_ALPHABET.contains(&(c as u8)))
        );
        assert_eq!(normalise_code(" k7qx-m2pa 9rtw "), "K7QXM2PA9RTW");
    }
}
