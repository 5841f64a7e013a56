//! Two records of each kind with every field filled, written by the types' own
//! `Reconcile`: what the shapes are derived from. They differ in every id, so the keys
//! that are ids (a report's links, an assessment's organisations) differ between them
//! and are told apart from the fields.

use std::collections::BTreeMap;

use automerge::AutoCommit;
use autosurgeon::{ReconcileError, Text, reconcile};
use uuid::Uuid;

use super::scratch;
use crate::codes::{
    AgeGroup, DecisionStatus, Deployee, DocKind, IndicatorKind, Reconsideration, Role, Source,
    Status, Visibility,
};
use crate::grade::Grade;
use crate::ids::{
    ActivityId, AssessmentId, CorrectionId, DecisionId, MeetingId, NoteId, ObservationId,
    OrganisationId, PlaceId, PromiseId, PublicationId, UserId, WorkspaceId,
};
use crate::model::{
    Activity, ActivityPeriod, AreaGrade, Assessment, Continuation, Correction, Decision,
    DecisionStatusChange, IndicatorSpec, Link, Meeting, Note, Observation, PartRow, Position,
    Promise, Publication, PublishedPart, ReconsiderationEntry, Reporter, Review, Schedule,
};
use crate::time::{IsoWeek, Timestamp};

/// The two samples of `kind`, each in a document of its own.
pub(super) fn written(kind: DocKind) -> Result<[AutoCommit; 2], ReconcileError> {
    let mut docs = [scratch(), scratch()];
    for (doc, n) in docs.iter_mut().zip([0x00, 0xff]) {
        let at = Timestamp(chrono::DateTime::UNIX_EPOCH);
        match kind {
            DocKind::Observation => reconcile(doc, observation(n, at))?,
            DocKind::Decision => reconcile(doc, decision(n, at))?,
            DocKind::Meeting => reconcile(doc, meeting(n, at))?,
            DocKind::Assessment => reconcile(doc, assessment(n, at))?,
            DocKind::Promise => reconcile(doc, promise(n, at))?,
            DocKind::Activity => reconcile(doc, activity(n, at))?,
            DocKind::Publication => reconcile(doc, publication(n, at))?,
        }
    }
    Ok(docs)
}

fn uuid(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

fn reporter(n: u8) -> Reporter {
    Reporter {
        user: UserId(uuid(n)),
        name: "Namn".into(),
        role: Role::Samordnare,
        organisation: OrganisationId(uuid(n)),
    }
}

fn observation(n: u8, at: Timestamp) -> Observation {
    Observation {
        kind: DocKind::Observation,
        id: ObservationId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        category: "annat".into(),
        place: PlaceId(uuid(n)),
        position: Some(Position {
            lat: 59.0,
            lon: 17.0,
            accuracy_m: Some(5.0),
        }),
        place_detail: Some("detalj".into()),
        observed_at: at,
        observed_until: Some(at),
        recorded_at: at,
        grade: Grade::ALL[0],
        people: Some(1),
        age_group: Some(AgeGroup::ALL[0]),
        source: Some(Source::ALL[0]),
        description: Text::with_value("text"),
        reporter: reporter(n),
        visibility: Visibility::Alla,
        status: Status::Ny,
        notes: vec![Note {
            id: NoteId(uuid(n)),
            author: reporter(n),
            at,
            text: "anteckning".into(),
        }],
        links: BTreeMap::from([(
            ObservationId(uuid(n)).to_string(),
            Link {
                by: UserId(uuid(n)),
                at,
            },
        )]),
        review: Some(Review {
            by: reporter(n),
            at,
        }),
        corrections: vec![Correction {
            id: CorrectionId(uuid(n)),
            by: reporter(n),
            at,
            field: "place".into(),
            from: "a".into(),
            to: "b".into(),
        }],
        continues: Some(Continuation {
            from: ObservationId(uuid(n)),
            at: vec!["00".into()],
        }),
        continued_by: Some(ObservationId(uuid(n))),
    }
}

fn decision(n: u8, at: Timestamp) -> Decision {
    Decision {
        kind: DocKind::Decision,
        id: DecisionId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        meeting: Some(MeetingId(uuid(n))),
        place: PlaceId(uuid(n)),
        deployees: vec![Deployee::ALL[0]],
        schedule: Schedule {
            days: vec!["2026-11-27".into()],
            from: Some("18:00".into()),
            to: Some("23:00".into()),
        },
        why: Text::with_value("varför"),
        responsible: OrganisationId(uuid(n)),
        activity: Some(ActivityId(uuid(n))),
        status: DecisionStatus::ALL[0],
        history: vec![DecisionStatusChange {
            id: NoteId(uuid(n)),
            status: DecisionStatus::ALL[0],
            note: "notering".into(),
            by: reporter(n),
            at,
        }],
        created_by: reporter(n),
        created_at: at,
    }
}

fn meeting(n: u8, at: Timestamp) -> Meeting {
    Meeting {
        kind: DocKind::Meeting,
        id: MeetingId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        week: "2026-W48".into(),
        held_at: at,
        attendees: vec!["Deltagare".into()],
        notes: Text::with_value("anteckningar"),
        created_by: reporter(n),
    }
}

fn assessment(n: u8, at: Timestamp) -> Assessment {
    let grade = AreaGrade {
        grade: Grade::ALL[0],
        motivation: "motivering".into(),
        by: reporter(n),
        at,
    };
    Assessment {
        id: AssessmentId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        area: PlaceId(uuid(n)),
        week: IsoWeek::containing(at),
        official: Some(grade.clone()),
        by_organisation: BTreeMap::from([(OrganisationId(uuid(n)), grade)]),
    }
}

fn promise(n: u8, at: Timestamp) -> Promise {
    Promise {
        kind: DocKind::Promise,
        id: PromiseId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        title: "Trygg station".into(),
        text: Text::with_value("löfte"),
        from: "2026-01-01".into(),
        to: "2027-12-31".into(),
        signed_by: vec!["Namn".into()],
        areas: vec![PlaceId(uuid(n))],
        created_by: reporter(n),
        created_at: at,
    }
}

fn publication(n: u8, at: Timestamp) -> Publication {
    let row = PartRow {
        key: "omrade".into(),
        name: "Område".into(),
        reports: Some(5),
        highest: Some(Grade::ALL[0]),
        per_column: vec![Some(u32::from(n)), Some(0)],
    };
    Publication {
        kind: DocKind::Publication,
        id: PublicationId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        title: "Lägesrapport".into(),
        from: "2026-11-01".into(),
        until: "2026-12-01".into(),
        sha256: "00".repeat(32),
        counts: 30,
        shown: 20,
        parts: vec![PublishedPart {
            from: "2026-11-01".into(),
            until: "2026-12-01".into(),
            columns: vec!["2026-11-01".into(), "2026-11-02".into()],
            reports: Some(4),
            areas: vec![row.clone()],
            categories: vec![row],
        }],
        uses: vec![
            "2026-10-01/2026-11-01".into(),
            "2026-11-01/2026-12-01".into(),
        ],
        published_by: reporter(n),
        published_at: at,
    }
}

fn activity(n: u8, at: Timestamp) -> Activity {
    Activity {
        kind: DocKind::Activity,
        id: ActivityId(uuid(n)),
        workspace: WorkspaceId(uuid(n)),
        title: "Väktare vid stationen".into(),
        purpose: Text::with_value("syfte"),
        goal: "mål".into(),
        places: vec![PlaceId(uuid(n))],
        period: ActivityPeriod {
            from: "2026-06-01".into(),
            to: Some("2026-12-31".into()),
            weekdays: vec![5],
            from_time: Some("18:00".into()),
            to_time: Some("23:00".into()),
        },
        responsible: OrganisationId(uuid(n)),
        responsible_person: "Namn".into(),
        promise: Some(PromiseId(uuid(n))),
        indicators: vec![IndicatorSpec {
            kind: IndicatorKind::ALL[0],
            categories: vec!["annat".into()],
            baseline_from: "2026-W10".into(),
            baseline_to: "2026-W21".into(),
            target: -0.25,
            counts_deployed: false,
        }],
        comparison: vec![PlaceId(uuid(n))],
        neighbour_metres: 500,
        reconsiderations: vec![ReconsiderationEntry {
            id: NoteId(uuid(n)),
            outcome: Reconsideration::ALL[0],
            reason: "skäl".into(),
            meeting: Some(MeetingId(uuid(n))),
            by: reporter(n),
            at,
        }],
        created_by: reporter(n),
        created_at: at,
    }
}
