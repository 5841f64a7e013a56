//! Who may write which field of which record: one table (ARCHITECTURE.md, invariant 10),
//! read by the server to enforce it, by the device to refuse early with the same
//! message, and by the app to show what its user can do.
//!
//! A change is judged by what it does to the record: every field that differs between
//! the record before and after must be one the writer may write, and whatever the
//! change adds in someone's name (a note, a correction, a review, a status step, an
//! assessment, the record itself) must name the writer: the authenticated user, with
//! the name, role and organisation the server knows.

use crate::codes::{DocKind, Role};
use crate::model::{
    Activity, Assessment, Decision, Meeting, Observation, Promise, Publication, Reporter,
};

/// Who may write a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writers {
    /// Set when the record is made, never changed (ids, the reporter, creation times).
    Nobody,
    /// Every member of the workspace.
    Members,
    /// The coordinator.
    Coordinator,
    /// The report's reporter and the coordinator.
    Reporter,
    /// The deployment group (utsättningsgrupp), the coordinator included.
    MeetingGroup,
    /// Everyone who may read the record adds entries in their own name; no entry is
    /// changed or removed.
    ReadersAppend,
    /// The coordinator adds entries in their own name; no entry is changed or removed.
    CoordinatorAppends,
    /// The deployment group adds entries in their own name; none is changed or removed.
    MeetingGroupAppends,
    /// Each organisation's entry, by that organisation's members of the deployment
    /// group (or the coordinator), in their own name.
    OwnOrganisation,
}

/// The table: every field of every record kind and who may write it. The register
/// (places, categories, organisations) is the coordinator's: `REGISTER`.
pub const FIELDS: &[(DocKind, &str, Writers)] = &[
    (DocKind::Observation, "kind", Writers::Nobody),
    (DocKind::Observation, "id", Writers::Nobody),
    (DocKind::Observation, "workspace", Writers::Nobody),
    (DocKind::Observation, "reporter", Writers::Nobody),
    (DocKind::Observation, "recorded_at", Writers::Nobody),
    (DocKind::Observation, "category", Writers::Reporter),
    (DocKind::Observation, "place", Writers::Reporter),
    (DocKind::Observation, "position", Writers::Reporter),
    (DocKind::Observation, "place_detail", Writers::Reporter),
    (DocKind::Observation, "observed_at", Writers::Reporter),
    (DocKind::Observation, "observed_until", Writers::Reporter),
    (DocKind::Observation, "grade", Writers::Reporter),
    (DocKind::Observation, "people", Writers::Reporter),
    (DocKind::Observation, "age_group", Writers::Reporter),
    (DocKind::Observation, "source", Writers::Reporter),
    (DocKind::Observation, "description", Writers::Reporter),
    (DocKind::Observation, "visibility", Writers::Reporter),
    (DocKind::Observation, "status", Writers::Coordinator),
    (DocKind::Observation, "notes", Writers::ReadersAppend),
    (DocKind::Observation, "links", Writers::Coordinator),
    (DocKind::Observation, "review", Writers::Coordinator),
    (
        DocKind::Observation,
        "corrections",
        Writers::CoordinatorAppends,
    ),
    (DocKind::Observation, "continues", Writers::Nobody),
    (DocKind::Observation, "continued_by", Writers::Reporter),
    (DocKind::Decision, "kind", Writers::Nobody),
    (DocKind::Decision, "id", Writers::Nobody),
    (DocKind::Decision, "workspace", Writers::Nobody),
    (DocKind::Decision, "created_by", Writers::Nobody),
    (DocKind::Decision, "created_at", Writers::Nobody),
    (DocKind::Decision, "meeting", Writers::MeetingGroup),
    (DocKind::Decision, "place", Writers::MeetingGroup),
    (DocKind::Decision, "deployees", Writers::MeetingGroup),
    (DocKind::Decision, "schedule", Writers::MeetingGroup),
    (DocKind::Decision, "why", Writers::MeetingGroup),
    (DocKind::Decision, "responsible", Writers::MeetingGroup),
    (DocKind::Decision, "activity", Writers::MeetingGroup),
    (DocKind::Decision, "status", Writers::MeetingGroup),
    (DocKind::Decision, "history", Writers::MeetingGroupAppends),
    (DocKind::Meeting, "kind", Writers::Nobody),
    (DocKind::Meeting, "id", Writers::Nobody),
    (DocKind::Meeting, "workspace", Writers::Nobody),
    (DocKind::Meeting, "created_by", Writers::Nobody),
    (DocKind::Meeting, "week", Writers::MeetingGroup),
    (DocKind::Meeting, "held_at", Writers::MeetingGroup),
    (DocKind::Meeting, "attendees", Writers::MeetingGroup),
    (DocKind::Meeting, "notes", Writers::MeetingGroup),
    (DocKind::Assessment, "id", Writers::Nobody),
    (DocKind::Assessment, "workspace", Writers::Nobody),
    (DocKind::Assessment, "area", Writers::Nobody),
    (DocKind::Assessment, "week", Writers::Nobody),
    (DocKind::Assessment, "official", Writers::MeetingGroup),
    (
        DocKind::Assessment,
        "by_organisation",
        Writers::OwnOrganisation,
    ),
    (DocKind::Promise, "kind", Writers::Nobody),
    (DocKind::Promise, "id", Writers::Nobody),
    (DocKind::Promise, "workspace", Writers::Nobody),
    (DocKind::Promise, "created_by", Writers::Nobody),
    (DocKind::Promise, "created_at", Writers::Nobody),
    (DocKind::Promise, "title", Writers::Coordinator),
    (DocKind::Promise, "text", Writers::Coordinator),
    (DocKind::Promise, "from", Writers::Coordinator),
    (DocKind::Promise, "to", Writers::Coordinator),
    (DocKind::Promise, "signed_by", Writers::Coordinator),
    (DocKind::Promise, "areas", Writers::Coordinator),
    (DocKind::Activity, "kind", Writers::Nobody),
    (DocKind::Activity, "id", Writers::Nobody),
    (DocKind::Activity, "workspace", Writers::Nobody),
    (DocKind::Activity, "created_by", Writers::Nobody),
    (DocKind::Activity, "created_at", Writers::Nobody),
    (DocKind::Activity, "title", Writers::Coordinator),
    (DocKind::Activity, "purpose", Writers::Coordinator),
    (DocKind::Activity, "goal", Writers::Coordinator),
    (DocKind::Activity, "places", Writers::Coordinator),
    (DocKind::Activity, "period", Writers::Coordinator),
    (DocKind::Activity, "responsible", Writers::Coordinator),
    (
        DocKind::Activity,
        "responsible_person",
        Writers::Coordinator,
    ),
    (DocKind::Activity, "promise", Writers::Coordinator),
    (DocKind::Activity, "indicators", Writers::Coordinator),
    (DocKind::Activity, "comparison", Writers::Coordinator),
    (DocKind::Activity, "neighbour_metres", Writers::Coordinator),
    (
        DocKind::Activity,
        "reconsiderations",
        Writers::MeetingGroupAppends,
    ),
    // What left the collaboration is never changed afterwards.
    (DocKind::Publication, "kind", Writers::Nobody),
    (DocKind::Publication, "id", Writers::Nobody),
    (DocKind::Publication, "workspace", Writers::Nobody),
    (DocKind::Publication, "title", Writers::Nobody),
    (DocKind::Publication, "from", Writers::Nobody),
    (DocKind::Publication, "until", Writers::Nobody),
    (DocKind::Publication, "sha256", Writers::Nobody),
    (DocKind::Publication, "counts", Writers::Nobody),
    (DocKind::Publication, "shown", Writers::Nobody),
    (DocKind::Publication, "parts", Writers::Nobody),
    (DocKind::Publication, "uses", Writers::Nobody),
    (DocKind::Publication, "published_by", Writers::Nobody),
    (DocKind::Publication, "published_at", Writers::Nobody),
];

/// Who may make a new record of each kind, in their own name. An assessment holds the
/// deployment group's grades, so only the group starts one.
pub const CREATORS: &[(DocKind, Writers)] = &[
    (DocKind::Observation, Writers::Members),
    (DocKind::Decision, Writers::MeetingGroup),
    (DocKind::Meeting, Writers::MeetingGroup),
    (DocKind::Assessment, Writers::MeetingGroup),
    (DocKind::Promise, Writers::Coordinator),
    (DocKind::Activity, Writers::Coordinator),
    (DocKind::Publication, Writers::Coordinator),
];

/// Who may make a new record of `kind`; `Nobody` for a kind not in the table.
pub fn creators(kind: DocKind) -> Writers {
    CREATORS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or(Writers::Nobody, |(_, w)| *w)
}

/// The register: places, categories and organisations.
pub const REGISTER: Writers = Writers::Coordinator;

/// Who may write `field` of a record of `kind`; `Nobody` for a field not in the table.
pub fn writers(kind: DocKind, field: &str) -> Writers {
    FIELDS
        .iter()
        .find(|(k, f, _)| *k == kind && *f == field)
        .map_or(Writers::Nobody, |(_, _, w)| *w)
}

/// The one writing: who they are as the server knows them, and whether they may read
/// the record they change.
#[derive(Debug, Clone)]
pub struct Writer<'a> {
    pub me: &'a Reporter,
    pub may_read: bool,
}

impl Writer<'_> {
    fn coordinator(&self) -> bool {
        self.me.role.is_coordinator()
    }

    fn meeting_group(&self) -> bool {
        self.me.role.in_meeting_group()
    }
}

/// Whether `role` may write fields of `writers` on records it did not make: what the
/// app shows the user.
pub fn role_may(role: Role, writers: Writers) -> bool {
    match writers {
        Writers::Nobody => false,
        Writers::Coordinator | Writers::CoordinatorAppends | Writers::Reporter => {
            role.is_coordinator()
        }
        Writers::MeetingGroup | Writers::MeetingGroupAppends | Writers::OwnOrganisation => {
            role.in_meeting_group()
        }
        Writers::Members | Writers::ReadersAppend => true,
    }
}

/// A record of any kind, as a change leaves it.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Observation(Box<Observation>),
    Decision(Box<Decision>),
    Meeting(Box<Meeting>),
    Assessment(Box<Assessment>),
    Promise(Box<Promise>),
    Activity(Box<Activity>),
    Publication(Box<Publication>),
}

impl Record {
    /// The record a document holds, by the kind it says it is.
    pub fn read(doc: &crate::doc::Document) -> crate::Result<Record> {
        Ok(match doc.kind()? {
            DocKind::Observation => Record::Observation(Box::new(doc.read()?)),
            DocKind::Decision => Record::Decision(Box::new(doc.read()?)),
            DocKind::Meeting => Record::Meeting(Box::new(doc.read()?)),
            DocKind::Assessment => Record::Assessment(Box::new(doc.read()?)),
            DocKind::Promise => Record::Promise(Box::new(doc.read()?)),
            DocKind::Activity => Record::Activity(Box::new(doc.read()?)),
            DocKind::Publication => Record::Publication(Box::new(doc.read()?)),
        })
    }

    /// The record's id and workspace, as it says.
    pub fn identity(&self) -> (uuid::Uuid, crate::ids::WorkspaceId) {
        match self {
            Record::Observation(o) => (o.id.0, o.workspace),
            Record::Decision(d) => (d.id.0, d.workspace),
            Record::Meeting(m) => (m.id.0, m.workspace),
            Record::Assessment(a) => (a.id.0, a.workspace),
            Record::Promise(p) => (p.id.0, p.workspace),
            Record::Activity(a) => (a.id.0, a.workspace),
            Record::Publication(p) => (p.id.0, p.workspace),
        }
    }

    pub fn kind(&self) -> DocKind {
        match self {
            Record::Observation(_) => DocKind::Observation,
            Record::Decision(_) => DocKind::Decision,
            Record::Meeting(_) => DocKind::Meeting,
            Record::Assessment(_) => DocKind::Assessment,
            Record::Promise(_) => DocKind::Promise,
            Record::Activity(_) => DocKind::Activity,
            Record::Publication(_) => DocKind::Publication,
        }
    }
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The writer may not read the record, so may change nothing in it.
    #[error("this device may not read that record, so it may not change it")]
    Unreadable,
    /// A field this writer may not write.
    #[error("{message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// Something added in another person's name, or with another role or organisation.
    #[error("{0}")]
    Author(String),
}

fn field(field: &'static str, message: impl Into<String>) -> Denied {
    Denied::Field {
        field,
        message: message.into(),
    }
}

/// Whether `writer` may turn `before` (none: a new record) into `after`.
pub fn check(writer: &Writer<'_>, before: Option<&Record>, after: &Record) -> Result<(), Denied> {
    if before.is_some() && !writer.may_read {
        return Err(Denied::Unreadable);
    }
    if before.is_none() {
        may_create(writer, after.kind())?;
    }
    match (before, after) {
        (None, Record::Observation(a)) => new_observation(writer, a),
        (Some(Record::Observation(b)), Record::Observation(a)) => observation(writer, b, a),
        (None, Record::Decision(a)) => {
            named(writer, &a.created_by, "created_by")?;
            appended(writer, &[], &a.history, |h| &h.by, |x, y| x == y, "history")
        }
        (Some(Record::Decision(b)), Record::Decision(a)) => decision(writer, b, a),
        (None, Record::Meeting(a)) => named(writer, &a.created_by, "created_by"),
        (Some(Record::Meeting(b)), Record::Meeting(a)) => meeting(writer, b, a),
        (None, Record::Assessment(a)) => {
            let empty = Assessment::new(a.workspace, a.area, a.week);
            assessment(writer, &empty, a)
        }
        (Some(Record::Assessment(b)), Record::Assessment(a)) => assessment(writer, b, a),
        (None, Record::Promise(a)) => named(writer, &a.created_by, "created_by"),
        (Some(Record::Promise(b)), Record::Promise(a)) => promise(writer, b, a),
        (None, Record::Activity(a)) => {
            named(writer, &a.created_by, "created_by")?;
            appended(
                writer,
                &[],
                &a.reconsiderations,
                |r| &r.by,
                |x, y| x == y,
                "reconsiderations",
            )
        }
        (Some(Record::Activity(b)), Record::Activity(a)) => activity(writer, b, a),
        (None, Record::Publication(a)) => named(writer, &a.published_by, "published_by"),
        (Some(Record::Publication(b)), Record::Publication(a)) => publication(writer, b, a),
        _ => Err(field(
            "kind",
            "a change may not turn a record into another kind",
        )),
    }
}

/// The fields of a record of `kind` that differ, by their names in the table.
macro_rules! changed {
    ($before:expr, $after:expr, $($field:ident),+ $(,)?) => {{
        let mut changed: Vec<&'static str> = Vec::new();
        $(if $before.$field != $after.$field { changed.push(stringify!($field)); })+
        changed
    }};
}

fn may_write(
    writer: &Writer<'_>,
    kind: DocKind,
    name: &'static str,
    reporter: bool,
) -> Result<(), Denied> {
    let allowed = match writers(kind, name) {
        Writers::Nobody => false,
        Writers::Members => true,
        Writers::Coordinator => writer.coordinator(),
        Writers::Reporter => reporter || writer.coordinator(),
        Writers::MeetingGroup => writer.meeting_group(),
        // Checked entry by entry by the caller.
        Writers::ReadersAppend
        | Writers::CoordinatorAppends
        | Writers::MeetingGroupAppends
        | Writers::OwnOrganisation => true,
    };
    if allowed {
        Ok(())
    } else {
        Err(field(
            name,
            format!(
                "this device's user may not change `{name}` of this {}",
                kind.code()
            ),
        ))
    }
}

/// Something that names its author must name the writer, as the server knows them.
fn named(writer: &Writer<'_>, who: &Reporter, what: &str) -> Result<(), Denied> {
    if who == writer.me {
        Ok(())
    } else {
        Err(Denied::Author(format!(
            "`{what}` must name this device's user ({}, {}) with their role and organisation",
            writer.me.name,
            writer.me.role.code()
        )))
    }
}

/// Entries kept as they were, and every new one in the writer's name.
fn appended<T>(
    writer: &Writer<'_>,
    before: &[T],
    after: &[T],
    by: impl Fn(&T) -> &Reporter,
    same: impl Fn(&T, &T) -> bool,
    name: &'static str,
) -> Result<(), Denied> {
    let kept = before.iter().all(|b| after.iter().any(|a| same(a, b)));
    if !kept {
        return Err(field(
            name,
            format!("entries of `{name}` are never changed or removed"),
        ));
    }
    for entry in after.iter().filter(|a| !before.iter().any(|b| same(a, b))) {
        named(writer, by(entry), name)?;
    }
    Ok(())
}

/// Whether the writer may make a new record of `kind`, by `CREATORS`.
fn may_create(writer: &Writer<'_>, kind: DocKind) -> Result<(), Denied> {
    let allowed = match creators(kind) {
        Writers::Members => true,
        Writers::MeetingGroup => writer.meeting_group(),
        Writers::Coordinator => writer.coordinator(),
        _ => false,
    };
    let who = match creators(kind) {
        Writers::Coordinator => "the coordinator",
        _ => "the deployment group",
    };
    if allowed {
        Ok(())
    } else {
        Err(field(
            "record",
            format!("a new {} is made by {who}", kind.code()),
        ))
    }
}

fn in_meeting_group(writer: &Writer<'_>, what: &str) -> Result<(), Denied> {
    if writer.meeting_group() {
        Ok(())
    } else {
        Err(field(
            "record",
            format!("a {what} is kept by the deployment group"),
        ))
    }
}

fn new_observation(writer: &Writer<'_>, o: &Observation) -> Result<(), Denied> {
    if o.continues.is_some() || o.continued_by.is_some() {
        return Err(field(
            "continues",
            "a report continues another only as that report is widened (`check_continuation`)",
        ));
    }
    named(writer, &o.reporter, "reporter")?;
    if o.status != crate::codes::Status::Ny && !writer.coordinator() {
        return Err(field("status", "a new report starts as `ny`"));
    }
    if !writer.coordinator() && (!o.links.is_empty() || o.review.is_some()) {
        return Err(field(
            if o.review.is_some() {
                "review"
            } else {
                "links"
            },
            "only the coordinator reviews and links reports",
        ));
    }
    appended(writer, &[], &o.notes, |n| &n.author, |x, y| x == y, "notes")?;
    if !writer.coordinator() && !o.corrections.is_empty() {
        return Err(field(
            "corrections",
            "only the coordinator corrects reports",
        ));
    }
    appended(
        writer,
        &[],
        &o.corrections,
        |c| &c.by,
        |x, y| x == y,
        "corrections",
    )
}

fn observation(writer: &Writer<'_>, b: &Observation, a: &Observation) -> Result<(), Denied> {
    let reporter = b.reporter.user == writer.me.user;
    let changed = changed!(
        b,
        a,
        kind,
        id,
        workspace,
        reporter,
        recorded_at,
        category,
        place,
        position,
        place_detail,
        observed_at,
        observed_until,
        grade,
        people,
        age_group,
        source,
        description,
        visibility,
        status,
        notes,
        links,
        review,
        corrections,
        continues,
        continued_by,
    );
    for name in changed {
        may_write(writer, DocKind::Observation, name, reporter)?;
    }
    if a.visibility.wider_than(b.visibility) {
        return Err(field(
            "visibility",
            "a report is widened by continuing it as a new report, so that what was removed from it before stays with the readers it had",
        ));
    }
    if b.continued_by.is_some() && b.continued_by != a.continued_by {
        return Err(field("continued_by", "a report continues only once"));
    }
    appended(
        writer,
        &b.notes,
        &a.notes,
        |n| &n.author,
        |x, y| x == y,
        "notes",
    )?;
    if b.corrections != a.corrections && !writer.coordinator() {
        return Err(field(
            "corrections",
            "only the coordinator corrects reports",
        ));
    }
    appended(
        writer,
        &b.corrections,
        &a.corrections,
        |c| &c.by,
        |x, y| x == y,
        "corrections",
    )?;
    if b.review != a.review
        && let Some(review) = &a.review
    {
        named(writer, &review.by, "review")?;
    }
    if b.links != a.links
        && a.links
            .iter()
            .any(|(k, l)| b.links.get(k) != Some(l) && l.by != writer.me.user)
    {
        return Err(Denied::Author(
            "`links` must name this device's user".into(),
        ));
    }
    Ok(())
}

/// Whether `writer` may widen `from` by starting `next`, the report that continues it
/// (README, "Visibility over time"). `next` carries `from`'s state as the writer saw it,
/// with the wider visibility: the same reporter, workspace and time recorded; notes and
/// corrections that `from` holds (the server's copy may hold later ones too) or that are
/// the writer's own; and any other difference is one the writer may make to `from`.
pub fn check_continuation(
    writer: &Writer<'_>,
    from: &Observation,
    next: &Observation,
) -> Result<(), Denied> {
    if !writer.may_read {
        return Err(Denied::Unreadable);
    }
    let reporter = from.reporter.user == writer.me.user;
    may_write(writer, DocKind::Observation, "visibility", reporter)?;
    let continues_from = next.continues.as_ref().map(|c| c.from);
    if continues_from != Some(from.id) || next.continued_by.is_some() {
        return Err(field(
            "continues",
            "a continuation names the report it continues, and nothing continues it yet",
        ));
    }
    if from.continued_by.is_some_and(|by| by != next.id) {
        return Err(field("continued_by", "a report continues only once"));
    }
    if next.id == from.id || !next.visibility.wider_than(from.visibility) {
        return Err(field(
            "visibility",
            "a continuation is a new report with a wider visibility",
        ));
    }
    // `from` as the writer saw it: what it holds now less what arrived since.
    let mut seen = from.clone();
    seen.id = next.id;
    seen.visibility = next.visibility;
    seen.continues = next.continues.clone();
    seen.notes.retain(|n| next.notes.contains(n));
    seen.corrections.retain(|c| next.corrections.contains(c));
    observation(writer, &seen, next)
}

fn decision(writer: &Writer<'_>, b: &Decision, a: &Decision) -> Result<(), Denied> {
    in_meeting_group(writer, "decision")?;
    let changed = changed!(
        b,
        a,
        kind,
        id,
        workspace,
        created_by,
        created_at,
        meeting,
        place,
        deployees,
        schedule,
        why,
        responsible,
        activity,
        status,
        history,
    );
    for name in changed {
        may_write(writer, DocKind::Decision, name, false)?;
    }
    appended(
        writer,
        &b.history,
        &a.history,
        |h| &h.by,
        |x, y| x == y,
        "history",
    )
}

fn meeting(writer: &Writer<'_>, b: &Meeting, a: &Meeting) -> Result<(), Denied> {
    in_meeting_group(writer, "meeting")?;
    let changed = changed!(
        b, a, kind, id, workspace, created_by, week, held_at, attendees, notes
    );
    for name in changed {
        may_write(writer, DocKind::Meeting, name, false)?;
    }
    Ok(())
}

fn promise(writer: &Writer<'_>, b: &Promise, a: &Promise) -> Result<(), Denied> {
    let changed = changed!(
        b, a, kind, id, workspace, created_by, created_at, title, text, from, to, signed_by, areas
    );
    for name in changed {
        may_write(writer, DocKind::Promise, name, false)?;
    }
    Ok(())
}

fn publication(writer: &Writer<'_>, b: &Publication, a: &Publication) -> Result<(), Denied> {
    let changed = changed!(
        b,
        a,
        kind,
        id,
        workspace,
        title,
        from,
        until,
        sha256,
        counts,
        shown,
        parts,
        uses,
        published_by,
        published_at
    );
    for name in changed {
        may_write(writer, DocKind::Publication, name, false)?;
    }
    Ok(())
}

fn activity(writer: &Writer<'_>, b: &Activity, a: &Activity) -> Result<(), Denied> {
    if b.reconsiderations != a.reconsiderations && !writer.meeting_group() {
        return Err(field(
            "reconsiderations",
            "an activity is reconsidered by the deployment group",
        ));
    }
    let changed = changed!(
        b,
        a,
        kind,
        id,
        workspace,
        created_by,
        created_at,
        title,
        purpose,
        goal,
        places,
        period,
        responsible,
        responsible_person,
        promise,
        indicators,
        comparison,
        neighbour_metres,
        reconsiderations,
    );
    for name in changed {
        may_write(writer, DocKind::Activity, name, false)?;
    }
    appended(
        writer,
        &b.reconsiderations,
        &a.reconsiderations,
        |r| &r.by,
        |x, y| x == y,
        "reconsiderations",
    )
}

fn assessment(writer: &Writer<'_>, b: &Assessment, a: &Assessment) -> Result<(), Denied> {
    let changed = changed!(b, a, id, workspace, area, week, official, by_organisation);
    for name in changed {
        may_write(writer, DocKind::Assessment, name, false)?;
    }
    if b.official != a.official
        && let Some(official) = &a.official
    {
        named(writer, &official.by, "official")?;
    }
    for (org, grade) in &a.by_organisation {
        if b.by_organisation.get(org) == Some(grade) {
            continue;
        }
        let own = *org == writer.me.organisation && writer.meeting_group();
        if !own && !writer.coordinator() {
            return Err(field(
                "by_organisation",
                "an organisation's own assessment is set by that organisation",
            ));
        }
        named(writer, &grade.by, "by_organisation")?;
    }
    if b.by_organisation
        .keys()
        .any(|org| !a.by_organisation.contains_key(org))
        && !writer.coordinator()
    {
        return Err(field(
            "by_organisation",
            "an organisation's own assessment is not removed",
        ));
    }
    Ok(())
}

/// Who erases a report everywhere.
pub const ERASURE: Writers = Writers::Coordinator;
/// Who administers the workspace: its people, devices and enrolment codes, and the
/// audit log of what was done.
pub const ADMINISTRATION: Writers = Writers::Coordinator;

/// Why an administrative act is refused whoever makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdministrationRefusal {
    /// A coordinator who could change their own membership could move into the police
    /// to read its own reports and move back, or step down and leave no one.
    #[error(
        "nobody changes their own organisation, role or membership, nor deactivates themselves; another coordinator does"
    )]
    OwnMembership,
    #[error(
        "a workspace keeps an active coordinator with a device: make someone else coordinator first"
    )]
    LastCoordinator,
}

/// Whether `actor` may change `person`'s organisation, role or membership, or
/// (de)activate them: anyone's but their own.
pub fn may_change_membership(
    actor: crate::ids::UserId,
    person: crate::ids::UserId,
) -> Result<(), AdministrationRefusal> {
    if actor == person {
        Err(AdministrationRefusal::OwnMembership)
    } else {
        Ok(())
    }
}

/// Who can administer a workspace, counted before and after an act: the active members
/// whose role administers, and those of them with a device that can act there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Administrators {
    pub active: usize,
    pub with_device: usize,
}

impl Administrators {
    /// Counts `(role, active, devices that can act)` of each member.
    pub fn count(members: impl IntoIterator<Item = (Role, bool, usize)>) -> Administrators {
        members
            .into_iter()
            .filter(|(role, active, _)| *active && role_may(*role, ADMINISTRATION))
            .fold(Administrators::default(), |n, (_, _, devices)| {
                Administrators {
                    active: n.active + 1,
                    with_device: n.with_device + usize::from(devices > 0),
                }
            })
    }

    /// No act leaves a workspace that had an active coordinator (one with a device)
    /// without one.
    pub fn kept(self, after: Administrators) -> Result<(), AdministrationRefusal> {
        let lost = |before: usize, after: usize| before > 0 && after == 0;
        if lost(self.active, after.active) || lost(self.with_device, after.with_device) {
            Err(AdministrationRefusal::LastCoordinator)
        } else {
            Ok(())
        }
    }
}

/// What a user may do, from the table: the app shows what this allows and nothing
/// else, so no screen decides from a role's name.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Abilities {
    /// Keep meetings and decisions, and set an area's official assessment.
    pub meeting: bool,
    /// Set the own organisation's assessment of an area beside the official one.
    pub own_assessment: bool,
    /// Review, correct and link others' reports; make the period report.
    pub review: bool,
    /// Keep places and categories.
    pub register: bool,
    /// Erase a report everywhere.
    pub erase: bool,
    /// Keep the citizen promises and the activity plan.
    pub efforts: bool,
    /// Publish the lägesrapport's version for politicians (`report::ledger`).
    pub publish: bool,
    /// Administer the workspace: organisations, people, devices, enrolment codes; read
    /// and export the audit log.
    pub administer: bool,
}

impl Abilities {
    pub fn of(role: Role) -> Abilities {
        let review = role_may(role, writers(DocKind::Observation, "review"));
        Abilities {
            meeting: role_may(role, writers(DocKind::Decision, "status")),
            // The coordinator speaks for the workspace: the official grade is theirs.
            own_assessment: role_may(role, writers(DocKind::Assessment, "by_organisation"))
                && !review,
            review,
            register: role_may(role, REGISTER),
            erase: role_may(role, ERASURE),
            efforts: role_may(role, creators(DocKind::Activity)),
            publish: role_may(role, creators(DocKind::Publication)),
            administer: role_may(role, ADMINISTRATION),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::codes::{Role, Status, Visibility};
    use crate::ids::{OrganisationId, UserId};

    fn person(role: Role) -> Reporter {
        Reporter {
            user: UserId::new(),
            name: format!("{role:?}"),
            role,
            organisation: OrganisationId::new(),
        }
    }

    fn report(reporter: &Reporter) -> Observation {
        let now = crate::Timestamp::from(chrono::Utc::now());
        Observation {
            kind: DocKind::Observation,
            id: crate::ids::ObservationId::new(),
            workspace: crate::ids::WorkspaceId::new(),
            category: "klotter".into(),
            place: crate::ids::PlaceId::new(),
            position: None,
            place_detail: None,
            observed_at: now,
            observed_until: None,
            recorded_at: now,
            grade: crate::Grade::new(2).unwrap(),
            people: None,
            age_group: None,
            source: None,
            description: autosurgeon::Text::with_value("grupp"),
            reporter: reporter.clone(),
            visibility: Visibility::Alla,
            status: Status::Ny,
            notes: Vec::new(),
            links: Default::default(),
            review: None,
            corrections: Vec::new(),
            continues: None,
            continued_by: None,
        }
    }

    /// A change of observation field `name` by `me`, as an honest client would write it:
    /// entries appended in the writer's own name. Every field of the table has one.
    fn edit_of(name: &str, me: &Reporter, o: &mut Observation) {
        let now = crate::Timestamp::from(chrono::Utc::now());
        match name {
            "kind" => o.kind = DocKind::Decision,
            "id" => o.id = crate::ids::ObservationId::new(),
            "workspace" => o.workspace = crate::ids::WorkspaceId::new(),
            "reporter" => {
                o.reporter = Reporter {
                    user: UserId::new(),
                    ..me.clone()
                }
            }
            "recorded_at" => o.recorded_at = crate::Timestamp::from_millis(0).unwrap(),
            "category" => o.category = "brak".into(),
            "place" => o.place = crate::ids::PlaceId::new(),
            "position" => {
                o.position = Some(crate::model::Position {
                    lat: 59.2,
                    lon: 17.7,
                    accuracy_m: None,
                })
            }
            "place_detail" => o.place_detail = Some("vid porten".into()),
            "observed_at" => o.observed_at = crate::Timestamp::from_millis(1).unwrap(),
            "observed_until" => o.observed_until = Some(now),
            "grade" => o.grade = crate::Grade::new(5).unwrap(),
            "people" => o.people = Some(99),
            "age_group" => o.age_group = Some(crate::codes::AgeGroup::ALL[0]),
            "source" => o.source = Some(crate::codes::Source::ALL[0]),
            "description" => o.description = autosurgeon::Text::with_value("ny"),
            // Narrowing; widening is never done in place (see `a_report_is_never_widened_in_place`).
            "visibility" => o.visibility = Visibility::EgenOrganisation,
            "status" => o.status = Status::Avslutad,
            "notes" => o.notes.push(crate::model::Note {
                id: crate::ids::NoteId::new(),
                author: me.clone(),
                at: now,
                text: "uppföljning".into(),
            }),
            "links" => {
                o.links.insert(
                    crate::ids::ObservationId::new().to_string(),
                    crate::model::Link {
                        by: me.user,
                        at: now,
                    },
                );
            }
            "review" => {
                o.review = Some(crate::model::Review {
                    by: me.clone(),
                    at: now,
                })
            }
            "corrections" => o.corrections.push(crate::model::Correction {
                id: crate::ids::CorrectionId::new(),
                by: me.clone(),
                at: now,
                field: "category".into(),
                from: "klotter".into(),
                to: "brak".into(),
            }),
            "continues" => {
                o.continues = Some(crate::model::Continuation {
                    from: crate::ids::ObservationId::new(),
                    at: Vec::new(),
                })
            }
            "continued_by" => o.continued_by = Some(crate::ids::ObservationId::new()),
            other => panic!("the test has no edit of the observation field `{other}`"),
        }
    }

    /// Every observation field of the table, changed by every role, as its reporter and
    /// not: allowed exactly as the table's writers say.
    #[test]
    fn every_role_may_write_exactly_the_observation_fields_the_table_gives_it() {
        let fields: Vec<(&str, Writers)> = FIELDS
            .iter()
            .filter(|(kind, _, _)| *kind == DocKind::Observation)
            .map(|(_, name, writers)| (*name, *writers))
            .collect();
        // Every field the record has is in the table (the samples fill every field).
        let sample = serde_json::to_value(report(&person(Role::Samordnare))).unwrap();
        for key in sample.as_object().unwrap().keys() {
            assert!(
                fields.iter().any(|(name, _)| name == key),
                "`{key}` has no row in the table"
            );
        }
        for role in Role::ALL {
            for own in [true, false] {
                let author = person(Role::Fritidsfaltare);
                let me = if own {
                    Reporter {
                        role: *role,
                        ..author.clone()
                    }
                } else {
                    person(*role)
                };
                let before = report(&Reporter {
                    role: me.role,
                    ..author.clone()
                });
                let coordinator = role.is_coordinator();
                for (name, writers) in &fields {
                    let mut after = before.clone();
                    edit_of(name, &me, &mut after);
                    let expected = match writers {
                        Writers::Nobody => false,
                        Writers::Reporter => own || coordinator,
                        Writers::Coordinator | Writers::CoordinatorAppends => coordinator,
                        Writers::ReadersAppend | Writers::Members => true,
                        Writers::MeetingGroup
                        | Writers::MeetingGroupAppends
                        | Writers::OwnOrganisation => role.in_meeting_group(),
                    };
                    let outcome = check(
                        &Writer {
                            me: &me,
                            may_read: true,
                        },
                        Some(&Record::Observation(Box::new(before.clone()))),
                        &Record::Observation(Box::new(after)),
                    );
                    assert_eq!(
                        outcome.is_ok(),
                        expected,
                        "{role:?} (own: {own}) writing {name} ({writers:?}): {outcome:?}"
                    );
                }
            }
        }
    }

    /// What is appended in someone's name must be in the writer's own: a link, a note, a
    /// review or a correction naming another person is refused, the coordinator's too.
    #[test]
    fn nobody_writes_in_another_persons_name() {
        let now = crate::Timestamp::from(chrono::Utc::now());
        let reporter = person(Role::Fritidsfaltare);
        let someone = person(Role::Polis);
        for role in [Role::Samordnare, Role::Fritidsfaltare] {
            let me = if role == Role::Samordnare {
                person(role)
            } else {
                reporter.clone()
            };
            let before = report(&reporter);
            type Forge = fn(&mut Observation, &Reporter, crate::Timestamp);
            let forged: [(&str, Forge); 4] = [
                ("links", |o, other, at| {
                    o.links.insert(
                        crate::ids::ObservationId::new().to_string(),
                        crate::model::Link { by: other.user, at },
                    );
                }),
                ("notes", |o, other, at| {
                    o.notes.push(crate::model::Note {
                        id: crate::ids::NoteId::new(),
                        author: other.clone(),
                        at,
                        text: "x".into(),
                    })
                }),
                ("review", |o, other, at| {
                    o.review = Some(crate::model::Review {
                        by: other.clone(),
                        at,
                    })
                }),
                ("corrections", |o, other, at| {
                    o.corrections.push(crate::model::Correction {
                        id: crate::ids::CorrectionId::new(),
                        by: other.clone(),
                        at,
                        field: "place".into(),
                        from: "a".into(),
                        to: "b".into(),
                    })
                }),
            ];
            for (name, forge) in forged {
                let mut after = before.clone();
                forge(&mut after, &someone, now);
                let outcome = check(
                    &Writer {
                        me: &me,
                        may_read: true,
                    },
                    Some(&Record::Observation(Box::new(before.clone()))),
                    &Record::Observation(Box::new(after)),
                );
                assert!(outcome.is_err(), "{role:?} forging {name}: {outcome:?}");
            }
        }
    }

    #[test]
    fn a_report_is_never_widened_in_place() {
        let reporter = person(Role::Fritidsfaltare);
        let mut before = report(&reporter);
        before.visibility = Visibility::EgenOrganisation;
        for me in [reporter.clone(), person(Role::Samordnare)] {
            let mut after = before.clone();
            after.visibility = Visibility::Alla;
            let outcome = check(
                &Writer {
                    me: &me,
                    may_read: true,
                },
                Some(&Record::Observation(Box::new(before.clone()))),
                &Record::Observation(Box::new(after)),
            );
            assert!(
                matches!(
                    &outcome,
                    Err(Denied::Field {
                        field: "visibility",
                        ..
                    })
                ),
                "{outcome:?}"
            );
        }
    }
    /// Every record kind has creators in the table; a night walker starts no assessment,
    /// meeting or decision, and every role may start a report.
    #[test]
    fn who_may_start_each_record_kind_is_the_tables_creators() {
        for kind in DocKind::ALL {
            assert_ne!(creators(*kind), Writers::Nobody, "{kind:?} has creators");
        }
        let workspace = crate::ids::WorkspaceId::new();
        for role in Role::ALL {
            let me = person(*role);
            let writer = Writer {
                me: &me,
                may_read: true,
            };
            let assessment = Assessment::new(
                workspace,
                crate::ids::PlaceId::new(),
                "2026-W48".parse().unwrap(),
            );
            let outcome = check(&writer, None, &Record::Assessment(Box::new(assessment)));
            if role.in_meeting_group() {
                assert_eq!(outcome, Ok(()), "{role:?} starting an assessment");
            } else {
                assert!(
                    matches!(&outcome, Err(Denied::Field { field: "record", message }) if message.contains("deployment group")),
                    "{role:?} starting an assessment: {outcome:?}"
                );
            }
            let report = report(&me);
            assert_eq!(
                check(&writer, None, &Record::Observation(Box::new(report))),
                Ok(()),
                "{role:?} starting a report"
            );
        }
    }

    /// Meetings and assessments, made and changed by every role.
    #[test]
    fn meetings_and_assessments_follow_the_table_for_every_role() {
        let now = crate::Timestamp::from(chrono::Utc::now());
        let workspace = crate::ids::WorkspaceId::new();
        let chair = person(Role::Samordnare);
        let meeting = Meeting {
            kind: DocKind::Meeting,
            id: crate::ids::MeetingId::new(),
            workspace,
            week: "2026-W48".into(),
            held_at: now,
            attendees: Vec::new(),
            notes: autosurgeon::Text::with_value(""),
            created_by: chair.clone(),
        };
        for role in Role::ALL {
            let me = person(*role);
            let writer = Writer {
                me: &me,
                may_read: true,
            };
            let group = role.in_meeting_group();
            let mine = Meeting {
                created_by: me.clone(),
                ..meeting.clone()
            };
            assert_eq!(
                check(&writer, None, &Record::Meeting(Box::new(mine))).is_ok(),
                group,
                "{role:?} starting a meeting"
            );
            let mut noted = meeting.clone();
            noted.attendees.push("Ny deltagare".into());
            assert_eq!(
                check(
                    &writer,
                    Some(&Record::Meeting(Box::new(meeting.clone()))),
                    &Record::Meeting(Box::new(noted))
                )
                .is_ok(),
                group,
                "{role:?} adding an attendee"
            );
            let mut taken = meeting.clone();
            taken.created_by = me.clone();
            assert!(
                check(
                    &writer,
                    Some(&Record::Meeting(Box::new(meeting.clone()))),
                    &Record::Meeting(Box::new(taken))
                )
                .is_err(),
                "{role:?} may not take over who started a meeting"
            );

            let empty = Assessment::new(
                workspace,
                crate::ids::PlaceId::new(),
                "2026-W48".parse().unwrap(),
            );
            let grade = |by: &Reporter| crate::model::AreaGrade {
                grade: crate::Grade::new(3).unwrap(),
                motivation: "Oroligt".into(),
                by: by.clone(),
                at: now,
            };
            let mut own = empty.clone();
            own.by_organisation.insert(me.organisation, grade(&me));
            assert_eq!(
                check(
                    &writer,
                    Some(&Record::Assessment(Box::new(empty.clone()))),
                    &Record::Assessment(Box::new(own))
                )
                .is_ok(),
                group,
                "{role:?} grading for its own organisation"
            );
            let mut others = empty.clone();
            others
                .by_organisation
                .insert(OrganisationId::new(), grade(&me));
            assert_eq!(
                check(
                    &writer,
                    Some(&Record::Assessment(Box::new(empty.clone()))),
                    &Record::Assessment(Box::new(others))
                )
                .is_ok(),
                role.is_coordinator(),
                "{role:?} grading for another organisation"
            );
            let mut forged = empty.clone();
            forged.official = Some(grade(&chair));
            assert!(
                check(
                    &writer,
                    Some(&Record::Assessment(Box::new(empty.clone()))),
                    &Record::Assessment(Box::new(forged))
                )
                .is_err(),
                "{role:?} may not set an official grade in another's name"
            );
        }
    }

    /// The deployment group reconsiders activities; a night walker, who is not in it,
    /// adds no reconsideration, not even in their own name.
    #[test]
    fn only_the_deployment_group_reconsiders_an_activity() {
        let now = crate::Timestamp::from(chrono::Utc::now());
        let coordinator = person(Role::Samordnare);
        let activity = Activity {
            kind: DocKind::Activity,
            id: crate::ids::ActivityId::new(),
            workspace: crate::ids::WorkspaceId::new(),
            title: "Väktare".into(),
            purpose: autosurgeon::Text::with_value(""),
            goal: String::new(),
            places: vec![crate::ids::PlaceId::new()],
            period: crate::model::ActivityPeriod {
                from: "2026-10-05".into(),
                to: None,
                weekdays: Vec::new(),
                from_time: None,
                to_time: None,
            },
            responsible: OrganisationId::new(),
            responsible_person: String::new(),
            promise: None,
            indicators: Vec::new(),
            comparison: Vec::new(),
            neighbour_metres: 500,
            reconsiderations: Vec::new(),
            created_by: coordinator,
            created_at: now,
        };
        for role in Role::ALL {
            let me = person(*role);
            let mut after = activity.clone();
            after
                .reconsiderations
                .push(crate::model::ReconsiderationEntry {
                    id: crate::ids::NoteId::new(),
                    outcome: crate::codes::Reconsideration::Avslutas,
                    reason: "Sluta".into(),
                    meeting: None,
                    by: me.clone(),
                    at: now,
                });
            let outcome = check(
                &Writer {
                    me: &me,
                    may_read: true,
                },
                Some(&Record::Activity(Box::new(activity.clone()))),
                &Record::Activity(Box::new(after)),
            );
            assert_eq!(
                outcome.is_ok(),
                role.in_meeting_group(),
                "{role:?} reconsidering: {outcome:?}"
            );
        }
    }

    #[test]
    fn nobody_changes_their_own_membership_and_no_act_leaves_no_coordinator() {
        let (me, other) = (UserId::new(), UserId::new());
        assert_eq!(
            may_change_membership(me, me),
            Err(AdministrationRefusal::OwnMembership)
        );
        assert_eq!(may_change_membership(me, other), Ok(()));

        let two = Administrators::count([
            (Role::Samordnare, true, 1),
            (Role::Samordnare, true, 0),
            (Role::Polis, true, 3),
        ]);
        assert_eq!(
            two,
            Administrators {
                active: 2,
                with_device: 1
            }
        );
        let one = Administrators::count([(Role::Samordnare, true, 1)]);
        let none = Administrators::count([(Role::Samordnare, false, 1), (Role::Polis, true, 1)]);
        let deviceless = Administrators::count([(Role::Samordnare, true, 0)]);
        assert_eq!(two.kept(one), Ok(()));
        assert_eq!(one.kept(none), Err(AdministrationRefusal::LastCoordinator));
        assert_eq!(
            one.kept(deviceless),
            Err(AdministrationRefusal::LastCoordinator),
            "the last coordinator's last device is not revoked by anyone in the app"
        );
        assert_eq!(
            Administrators::default().kept(none),
            Ok(()),
            "a new workspace gets its people before its coordinator"
        );
    }
}
