//! Who may read and change what. The server decides; the app hiding something is not
//! security (ARCHITECTURE.md, invariant 6). Who may write which field is core's one table
//! (`lagesbild_core::permissions`); this applies it to authenticated members.

use lagesbild_core::permissions::{self, Denied, Record, Writer};
use lagesbild_core::{Observation, OrganisationId, Reporter, Visibility};

use super::{Member, ServiceError, ServiceResult};
use crate::storage::{Standing, Tx};

/// The organisation whose visibility rules apply to a record, and the visibility.
pub(super) fn audience(record: &Record) -> (Option<OrganisationId>, Visibility) {
    match record {
        Record::Observation(o) => (Some(o.reporter.organisation), o.visibility),
        _ => (None, Visibility::Alla),
    }
}

pub(super) fn can_read(
    member: &Member,
    organisation: Option<OrganisationId>,
    visibility: Visibility,
) -> bool {
    organisation.is_none_or(|author| {
        visibility.allows(author, member.organisation, member.organisation_kind)
    })
}

/// Whether `member` may change anything in the record (not only add to it): the
/// coordinator, the creator of something new, the reporter of an observation, and the
/// meeting group for meetings and decisions. Others' changes must not add conflicts.
pub(super) fn privileged(member: &Member, before: Option<&Record>) -> bool {
    member.role.is_coordinator()
        || match before {
            None => true,
            Some(Record::Observation(o)) => o.reporter.user == member.device.user,
            Some(Record::Meeting(_) | Record::Decision(_)) => member.role.in_meeting_group(),
            // Promises and activities are the coordinator's; the group only appends. A
            // publication is never changed.
            Some(
                Record::Assessment(_)
                | Record::Promise(_)
                | Record::Activity(_)
                | Record::Publication(_),
            ) => false,
        }
}

/// The member as records name their authors.
pub(super) fn reporter(member: &Member) -> Reporter {
    Reporter {
        user: member.device.user,
        name: member.name.clone(),
        role: member.role,
        organisation: member.organisation,
    }
}

/// Whether `member` may turn `before` into `after`, by core's table.
pub(super) fn may_change(
    member: &Member,
    before: Option<&Record>,
    after: &Record,
) -> Result<(), Denied> {
    let me = reporter(member);
    let may_read = before.is_none_or(|b| {
        let (org, visibility) = audience(b);
        can_read(member, org, visibility)
    });
    permissions::check(&Writer { me: &me, may_read }, before, after)
}

/// Whether `member` may widen `from` by starting `next`, its continuation.
pub(super) fn may_continue(
    member: &Member,
    from: &Observation,
    next: &Observation,
) -> Result<(), Denied> {
    let me = reporter(member);
    let may_read = can_read(member, Some(from.reporter.organisation), from.visibility);
    permissions::check_continuation(&Writer { me: &me, may_read }, from, next)
}

/// Refuses to write for `member` unless it still stands as it was read when its request
/// was authenticated: its device not revoked, its person active in the workspace, in the
/// same organisation with the same role. Read in the transaction that writes, so a
/// revocation or change of membership that commits first is obeyed (`Tx::standing`).
pub(super) fn still_stands(tx: &mut dyn Tx, member: &Member) -> ServiceResult<()> {
    match tx.standing(member.device.id, member.workspace)? {
        Standing::Revoked => Err(ServiceError::Revoked(
            "this device has been revoked; ask the coordinator to enrol it again".into(),
        )),
        Standing::Outside => Err(ServiceError::Forbidden(
            "this device is not a member of that workspace".into(),
        )),
        Standing::Member(row) if !row.active => Err(ServiceError::Deactivated(
            "the coordinator has deactivated this person in that workspace".into(),
        )),
        Standing::Member(row)
            if (row.organisation, row.organisation_kind, row.role)
                != (member.organisation, member.organisation_kind, member.role) =>
        {
            Err(ServiceError::Forbidden(
                "this person's organisation or role changed while the request was under way; send it again".into(),
            ))
        }
        Standing::Member(_) => Ok(()),
    }
}
