//! Enrolment and authentication. A device proves who it is with a random bearer token
//! that only it holds; the server keeps the token's SHA-256 (a fast hash is right for a
//! 256-bit random secret: there is nothing to brute-force).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lagesbild_core::Field;
use lagesbild_core::audit_detail::{self, EnrolmentRefused, Facts, RefusedCode};
use lagesbild_core::sync::wire::{EnrollRequest, EnrollResponse, Me};
use lagesbild_core::validate::records;
use lagesbild_core::{AuditAction, DeviceId, Timestamp, UserId, WorkspaceId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::audit::{self, Act, Origin, count_failed_enrolment};
use super::{Device, Member, Service, ServiceError, ServiceResult};
use crate::storage::{FailedEnrolment, NewDevice};

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

/// How long a credential found for a long poll answers for it from memory. A revocation
/// or a change of membership made through any server instance ends it at once (the
/// others are told by the database); this bounds one made at the command line beside a
/// running server on SQLite, or whose word to the other instances was lost.
const CREDENTIAL_FOR: Duration = Duration::from_secs(2);

/// Credentials kept at most; past this they are all forgotten.
const MOST_CREDENTIALS: usize = 100_000;

/// Credentials the long polls presented lately: when a change lands, a thousand devices
/// receive it and ask again at once, and each would otherwise take a trip to the
/// database to prove again who it is. Only the feed uses them; every other request reads
/// the database.
#[derive(Debug)]
pub(crate) struct Credentials {
    known: Mutex<HashMap<(Vec<u8>, WorkspaceId), Credential>>,
    /// Moves on whenever access changes: what was read before is not kept.
    generation: AtomicU64,
    /// Told the generation whenever access changes: long polls wake to check theirs.
    changes: tokio::sync::watch::Sender<u64>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            known: Mutex::default(),
            generation: AtomicU64::new(0),
            changes: tokio::sync::watch::channel(0).0,
        }
    }
}

#[derive(Debug)]
struct Credential {
    member: Member,
    app_version: Option<String>,
    at: Instant,
}

impl Credentials {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Vec<u8>, WorkspaceId), Credential>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets every credential (a device was revoked, or someone's membership changed).
    pub(crate) fn forget(&self) {
        let mut known = self.lock();
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        known.clear();
        drop(known);
        self.changes.send_replace(generation);
    }
}

/// Where a credential was read: the generation when the reading began.
#[derive(Debug, Clone, Copy)]
pub struct Reading(u64);

impl Service {
    /// The member behind `token` in `workspace`, from memory, if it was found lately and
    /// nothing about access changed since (and the device still says the same version).
    pub fn known_member(
        &self,
        token: &str,
        app_version: Option<&str>,
        workspace: WorkspaceId,
    ) -> Option<Member> {
        let known = self.credentials.lock();
        known
            .get(&(hash_token(token), workspace))
            .filter(|c| c.at.elapsed() < CREDENTIAL_FOR && c.app_version.as_deref() == app_version)
            .map(|c| c.member.clone())
    }

    /// Begins reading a credential to remember.
    pub fn reading(&self) -> Reading {
        Reading(self.credentials.generation.load(Ordering::Acquire))
    }

    /// Whether access changed (here, or announced by another instance) since `reading`
    /// began: a member read before may no longer stand as read.
    pub fn access_changed_since(&self, reading: Reading) -> bool {
        self.credentials.generation.load(Ordering::Acquire) != reading.0
    }

    /// A receiver that changes whenever access changes.
    pub fn watch_access(&self) -> tokio::sync::watch::Receiver<u64> {
        self.credentials.changes.subscribe()
    }

    /// Keeps `member`, read since `reading` began, unless access changed meanwhile.
    pub fn remember_member(
        &self,
        token: &str,
        app_version: Option<&str>,
        member: &Member,
        reading: Reading,
    ) {
        let mut known = self.credentials.lock();
        if self.credentials.generation.load(Ordering::Acquire) != reading.0 {
            return;
        }
        if known.len() >= MOST_CREDENTIALS {
            known.clear();
        }
        known.insert(
            (hash_token(token), member.workspace),
            Credential {
                member: member.clone(),
                app_version: app_version.map(str::to_string),
                at: Instant::now(),
            },
        );
    }

    /// Access changed here (and was announced to the other instances in its
    /// transaction, `Tx::announce_access`): forget what is known.
    pub(super) fn access_changed(&self) {
        self.credentials.forget();
    }

    /// Whether `code` would enrol a device now, read without writing: a client held back
    /// for failed guesses (its own or its address's) may still use a valid code, since a
    /// valid credential is never refused for someone else's failures.
    pub fn code_is_usable(&self, code: &str, now: Timestamp) -> ServiceResult<bool> {
        let hash = hash_token(&normalise_code(code));
        let found = self.single(|tx| Ok(tx.code(&hash)?))?;
        Ok(found.is_some_and(|c| {
            c.used_at.is_none() && c.workspace.is_some() && c.expires_at > now.millis()
        }))
    }

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
        let token_hash = hash_token(&token);
        let invalid = || {
            ServiceError::Unauthorized("the enrolment code is not valid: it may be mistyped, used or expired; ask the coordinator for a new one".into())
        };
        // A failed attempt is counted too, so the write commits with an `Err` inside.
        let (user, workspace) = self.write(
            |tx| -> ServiceResult<ServiceResult<(UserId, WorkspaceId)>> {
                let Some((user, workspace)) = tx.use_code(&code_hash, now)? else {
                    let found = tx.code(&code_hash)?;
                    let (why, reason) = match &found {
                        None => (FailedEnrolment::Unknown, RefusedCode::Unknown),
                        Some(c) if c.used_at.is_some() => {
                            (FailedEnrolment::Used, RefusedCode::Used)
                        }
                        Some(c) if c.workspace.is_none() => {
                            (FailedEnrolment::Expired, RefusedCode::Unscoped)
                        }
                        Some(_) => (FailedEnrolment::Expired, RefusedCode::Expired),
                    };
                    let refused = EnrolmentRefused {
                        reason,
                        device: name.to_string(),
                    };
                    let act = Act::new(AuditAction::EnrolmentFailed, None, refused.detail());
                    // A real code used again or too late: its workspace's coordinators
                    // see it. An unknown code is the server's.
                    let workspace = found.and_then(|c| c.workspace);
                    count_failed_enrolment(tx, workspace, why, address, &act, now)?;
                    return Ok(Err(invalid()));
                };
                let added = tx.add_device(&NewDevice {
                    id: device,
                    user,
                    workspace,
                    name,
                    actor: &actor,
                    token_hash: &token_hash,
                    created_at: now,
                })?;
                if !added {
                    return Err(ServiceError::BadRequest(
                        "this actor id is enrolled already; a device needs its own".into(),
                    ));
                }
                let user_name = tx.user_name(user)?.unwrap_or_default();
                let origin = Origin {
                    user: Some((user, user_name)),
                    device: Some(device),
                    address,
                };
                audit::write(
                    tx,
                    Some(workspace),
                    &origin,
                    &Act::new(
                        AuditAction::Enrolment,
                        Some(device.to_string()),
                        audit_detail::Device {
                            device: name.to_string(),
                            person: None,
                        }
                        .detail(),
                    ),
                    now,
                )?;
                Ok(Ok((user, workspace)))
            },
        )??;
        tracing::info!(%device, %user, "device enrolled");
        let device = Device {
            id: device,
            user,
            name: name.to_string(),
            actor,
            workspace: Some(workspace),
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
        let found = self.single(|tx| Ok(tx.device_by_token(&hash)?))?;
        match found {
            None => Err(ServiceError::Unauthorized(
                "unknown credential; enrol this device".into(),
            )),
            Some(row) if row.revoked => Err(ServiceError::Revoked(
                "this device has been revoked; ask the coordinator to enrol it again".into(),
            )),
            Some(row) => {
                // Written only when it says something new: most requests write nothing.
                let stale = row
                    .last_seen_at
                    .is_none_or(|seen| seen < now.millis() - 60_000);
                let upgraded = app_version.is_some() && app_version != row.app_version;
                if stale || upgraded {
                    self.write(|tx| {
                        Ok(tx.device_seen(row.device.id, now, app_version.as_deref())?)
                    })?;
                }
                Ok(Device::stored(row.device))
            }
        }
    }

    /// The device acting in `workspace`, if that workspace enrolled it and its user is a
    /// member there.
    pub fn member(&self, device: &Device, workspace: WorkspaceId) -> ServiceResult<Member> {
        if device.workspace != Some(workspace) {
            return Err(ServiceError::Forbidden(match device.workspace {
                Some(_) => "this device was enrolled in another workspace and acts only there; ask this workspace's coordinator for a code to enrol it here".into(),
                None => "this device was enrolled before devices belonged to one workspace, and its person is a member of several; enrol it again with a code from the coordinator of the workspace it is for".into(),
            }));
        }
        let found = self.single(|tx| Ok(tx.membership(device.user, workspace)?))?;
        let row = found.ok_or_else(|| {
            ServiceError::Forbidden("this device is not a member of that workspace".into())
        })?;
        if !row.active {
            return Err(ServiceError::Deactivated(
                "the coordinator has deactivated this person in that workspace".into(),
            ));
        }
        Ok(Member {
            device: device.clone(),
            name: row.user_name,
            workspace,
            organisation: row.organisation,
            organisation_kind: row.organisation_kind,
            role: row.role,
        })
    }

    pub fn me(&self, device: &Device) -> ServiceResult<Me> {
        self.read(|tx| {
            Ok(Me {
                device: device.id,
                user: device.user,
                name: tx.user_name(device.user)?.unwrap_or_default(),
                // Only the workspace that enrolled the device: it acts nowhere else.
                memberships: tx
                    .memberships(device.user)?
                    .into_iter()
                    .filter(|m| Some(m.workspace.id) == device.workspace)
                    .collect(),
            })
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
