//! Who may read and change what. The server decides; the app hiding something is not
//! security (DESIGN.md requirement 6).

use lagesbild_core::{
    Assessment, Decision, DocKind, Meeting, Observation, OrganisationId, Visibility,
};

use super::Member;

/// A record as the server understands it, to decide about changes to it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Record {
    Observation(Box<Observation>),
    Decision(Box<Decision>),
    Meeting(Box<Meeting>),
    Assessment(Box<Assessment>),
}

impl Record {
    pub fn kind(&self) -> DocKind {
        match self {
            Record::Observation(_) => DocKind::Observation,
            Record::Decision(_) => DocKind::Decision,
            Record::Meeting(_) => DocKind::Meeting,
            Record::Assessment(_) => DocKind::Assessment,
        }
    }

    /// The organisation whose visibility rules apply, and the visibility.
    pub fn audience(&self) -> (Option<OrganisationId>, Visibility) {
        match self {
            Record::Observation(o) => (Some(o.reporter.organisation), o.visibility),
            _ => (None, Visibility::Alla),
        }
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
            Some(Record::Assessment(_)) => false,
        }
}

/// Whether `member` may turn `before` into `after`; the reason when not.
pub(super) fn may_change(
    member: &Member,
    before: Option<&Record>,
    after: &Record,
) -> Result<(), String> {
    let me = member.device.user;
    let coordinator = member.role.is_coordinator();
    if let Some(before) = before {
        let (org, visibility) = before.audience();
        if !can_read(member, org, visibility) {
            return Err("this device may not read that record, so it may not change it".into());
        }
    }
    match (before, after) {
        (None, Record::Observation(o)) => {
            if o.reporter.user != me {
                return Err("a new report must name this device's user as reporter".into());
            }
            if !coordinator
                && (o.reporter.organisation != member.organisation
                    || o.reporter.role != member.role)
            {
                return Err(
                    "a new report must carry the reporter's own organisation and role".into(),
                );
            }
            Ok(())
        }
        (Some(Record::Observation(b)), Record::Observation(a)) => {
            if coordinator {
                return Ok(());
            }
            if b.reporter.user == me {
                return if a.reporter == b.reporter {
                    Ok(())
                } else {
                    Err("the reporter of a report cannot be changed".into())
                };
            }
            only_notes_added(b, a, member)
        }
        (None, Record::Meeting(m)) => meeting_group(member).and(creator(m.created_by.user == me)),
        (None, Record::Decision(d)) => meeting_group(member).and(creator(d.created_by.user == me)),
        (Some(Record::Meeting(_)), Record::Meeting(_))
        | (Some(Record::Decision(_)), Record::Decision(_)) => meeting_group(member),
        (before, Record::Assessment(a)) => {
            if coordinator {
                return Ok(());
            }
            meeting_group(member)?;
            let empty = Assessment::new(a.workspace, a.area, a.week);
            let b = match before {
                Some(Record::Assessment(b)) => b.as_ref(),
                None => &empty,
                Some(_) => return Err("the record changed kind".into()),
            };
            let others_changed = a
                .by_organisation
                .iter()
                .filter(|(org, _)| **org != member.organisation)
                .any(|(org, grade)| b.by_organisation.get(org) != Some(grade))
                || b.by_organisation
                    .keys()
                    .any(|org| *org != member.organisation && !a.by_organisation.contains_key(org));
            if others_changed {
                return Err("an organisation's own assessment is set by that organisation".into());
            }
            Ok(())
        }
        _ => Err("the record changed kind".into()),
    }
}

fn meeting_group(member: &Member) -> Result<(), String> {
    if member.role.in_meeting_group() {
        Ok(())
    } else {
        Err("meetings and decisions are kept by the deployment group".into())
    }
}

fn creator(ok: bool) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err("a new record must name this device's user as its creator".into())
    }
}

/// Someone who may read a report but did not write it may only add notes of their own.
fn only_notes_added(
    before: &Observation,
    after: &Observation,
    member: &Member,
) -> Result<(), String> {
    let refused = || {
        Err("only the reporter or the coordinator may change a report; others may add follow-up notes".to_string())
    };
    let kept = before.notes.iter().all(|n| after.notes.contains(n));
    let added: Vec<_> = after
        .notes
        .iter()
        .filter(|n| !before.notes.iter().any(|b| b.id == n.id))
        .collect();
    if !kept || added.iter().any(|n| n.author.user != member.device.user) {
        return refused();
    }
    let mut unchanged = after.clone();
    unchanged.notes = before.notes.clone();
    if unchanged != *before {
        return refused();
    }
    Ok(())
}
