//! The weekly meeting: decisions and their follow-up, the agenda built from the
//! lägesbild, official assessments beside the reports' grades, and two laptops editing
//! the same meeting offline.
#![allow(clippy::unwrap_used)]

mod common;

use common::{at, demo_store, draft, now, second_store};
use lagesbild_core::agenda::AgendaReason;
use lagesbild_core::views;
use lagesbild_core::{
    DecisionDraft, DecisionStatus, Deployee, Error, Field, Grade, IsoWeek, PlaceKind, Store,
    Timestamp,
};

fn week(s: &str) -> IsoWeek {
    s.parse().unwrap()
}

/// Records `n` reports at `place` with `grade` on the Wednesday of `week`.
fn reports(store: &mut Store, place: &str, grade: i64, n: usize, week: IsoWeek) {
    let (start, _) = week.bounds();
    let at = Timestamp::from_millis(start.millis() + 2 * 86_400_000 + 18 * 3_600_000).unwrap();
    for _ in 0..n {
        let mut d = draft(place, "brak", grade);
        d.observed_at = Some(at.to_string());
        store.record(&d, at).unwrap();
    }
}

fn place_id(store: &Store, name: &str) -> lagesbild_core::PlaceId {
    let ws = store.require_identity().unwrap().workspace;
    store
        .places(ws)
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
        .id
}

fn decision_at(store: &Store, place: &str) -> DecisionDraft {
    let ws = store.require_identity().unwrap().workspace;
    let orgs = store.organisations(ws).unwrap();
    DecisionDraft {
        meeting: None,
        place: Some(place_id(store, place)),
        deployees: vec![Deployee::Faltare, Deployee::Vaktare],
        days: vec!["2026-11-27".into(), "2026-11-28".into()],
        from: Some("18:00".into()),
        to: Some("23:00".into()),
        why: "Grupperingar och skadegörelse tre helger i rad".into(),
        responsible: Some(orgs[0].id),
        activity: None,
    }
}

fn field_of(e: Error) -> Field {
    match e {
        Error::Invalid(v) => v.field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn a_decision_names_whom_where_when_why_and_who_answers() {
    let (mut store, _, _) = demo_store(0);
    let now = at("2026-11-25T18:00:00Z");
    let meeting = store.start_meeting(week("2026-W48"), now).unwrap();
    let mut input = decision_at(&store, "Rönninge station");
    input.meeting = Some(meeting.id);
    let decision = store.decide(&input, now).unwrap();
    let read = store.decision(decision.id).unwrap();
    assert_eq!(read, decision);
    assert_eq!(read.status, DecisionStatus::Planerad);
    assert_eq!(read.schedule.days, ["2026-11-27", "2026-11-28"]);
    assert_eq!(read.schedule.from.as_deref(), Some("18:00"));

    let bad = [
        (
            DecisionDraft {
                deployees: vec![],
                ..input.clone()
            },
            Field::Deployees,
        ),
        (
            DecisionDraft {
                days: vec!["fredag".into()],
                ..input.clone()
            },
            Field::Schedule,
        ),
        (
            DecisionDraft {
                days: vec![],
                ..input.clone()
            },
            Field::Schedule,
        ),
        (
            DecisionDraft {
                from: Some("25:00".into()),
                ..input.clone()
            },
            Field::Schedule,
        ),
        (
            DecisionDraft {
                place: None,
                ..input.clone()
            },
            Field::Place,
        ),
        (
            DecisionDraft {
                responsible: None,
                ..input.clone()
            },
            Field::Organisation,
        ),
    ];
    for (draft, field) in bad {
        assert_eq!(field_of(store.decide(&draft, now).unwrap_err()), field);
    }
    assert_eq!(
        store.decisions().unwrap().len(),
        1,
        "nothing bad was stored"
    );

    let carried = store
        .set_decision_status(
            decision.id,
            DecisionStatus::Genomford,
            "Två fältare fre, väktare lör",
            at("2026-12-01T10:00:00Z"),
        )
        .unwrap();
    assert_eq!(carried.status, DecisionStatus::Genomford);
    assert_eq!(carried.history.len(), 1);
    assert_eq!(carried.history[0].note, "Två fältare fre, väktare lör");
}

#[test]
fn night_walkers_do_not_keep_meetings() {
    let (mut store, _, _) = demo_store(6);
    let err = store
        .start_meeting(week("2026-W48"), at("2026-11-25T18:00:00Z"))
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
}

#[test]
fn the_agenda_holds_new_worse_and_still_high_places_and_follows_up_decisions() {
    let (mut store, _, _) = demo_store(0);
    let w = week("2026-W48");
    // Rönninge station: grade 4 for weeks, still high now.
    for n in 1..=4 {
        reports(&mut store, "Rönninge station", 4, 3, w.minus(n));
    }
    reports(&mut store, "Rönninge station", 4, 2, w);
    // Salemhallen: calm before, worse now.
    reports(&mut store, "Salemhallen", 1, 1, w.minus(1));
    reports(&mut store, "Salemhallen", 3, 2, w);
    // Säby gård: nothing before, new now.
    reports(&mut store, "Säby gård", 2, 1, w);
    // Skogsängsskolan: the same as before: not on the agenda.
    reports(&mut store, "Skogsängsskolan", 2, 1, w.minus(1));
    reports(&mut store, "Skogsängsskolan", 2, 1, w);

    // A decision two weeks ago about Rönninge station, carried out.
    let decided = at("2026-11-11T18:00:00Z"); // week 46
    let d = store
        .decide(&decision_at(&store, "Rönninge station"), decided)
        .unwrap();
    store
        .set_decision_status(
            d.id,
            DecisionStatus::Genomford,
            "",
            at("2026-11-16T10:00:00Z"),
        )
        .unwrap();
    // One made this week: listed as this week's, not followed up.
    store
        .decide(
            &decision_at(&store, "Salemhallen"),
            at("2026-11-25T19:00:00Z"),
        )
        .unwrap();

    let agenda = views::agenda(&store, w, now()).unwrap();
    let reasons: Vec<(String, AgendaReason)> = agenda
        .items
        .iter()
        .map(|i| (i.summary.name.clone(), i.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("Rönninge station".to_string(), AgendaReason::StillHigh),
            ("Salemhallen".to_string(), AgendaReason::Worse),
            ("Säby gård".to_string(), AgendaReason::New),
        ]
    );
    assert_eq!(agenda.decisions.len(), 1);
    assert_eq!(agenda.follow_ups.len(), 1);
    let f = &agenda.follow_ups[0];
    assert_eq!(f.place_name, "Rönninge station");
    assert_eq!(f.decided_week, week("2026-W46"));
    let before: Vec<u32> = f.before.iter().map(|p| p.reports).collect();
    let after: Vec<(u32, Option<Grade>)> = f.after.iter().map(|p| (p.reports, p.highest)).collect();
    assert_eq!(
        before,
        [0, 3, 3, 3],
        "weeks 43–46 (reports began in week 44)"
    );
    assert_eq!(
        after,
        [(3, Some(Grade::Allvarligt)), (2, Some(Grade::Allvarligt))],
        "weeks 47–48"
    );
}

#[test]
fn the_official_assessment_stands_beside_the_reports_and_each_organisations_view() {
    let (mut coordinator, demo, me) = demo_store(0);
    let w = week("2026-W48");
    reports(&mut coordinator, "Rönninge station", 4, 2, w);
    let area = demo
        .places
        .iter()
        .find(|p| p.kind == PlaceKind::Omrade && p.name.starts_with("Rönninge"))
        .unwrap()
        .id;
    let now = at("2026-11-25T18:00:00Z");
    assert_eq!(
        field_of(
            coordinator
                .assess(area, w, true, Grade::Forhojt, " ", now)
                .unwrap_err()
        ),
        Field::Description,
        "an official assessment needs its motivation"
    );
    coordinator
        .assess(
            area,
            w,
            true,
            Grade::Forhojt,
            "Lugnare än rapporterna antyder",
            now,
        )
        .unwrap();
    // The police's own view, from another device, merged in.
    let mut police = second_store(&demo, 3);
    let own = police
        .assess(
            area,
            w,
            false,
            Grade::KritisktLage,
            "Knivincident i fredags",
            now,
        )
        .unwrap();
    let changes = police.document_changes(own.id.as_uuid()).unwrap();
    coordinator
        .receive(me.workspace, own.id.as_uuid(), &changes, now)
        .unwrap();

    let agenda = views::agenda(&coordinator, w, now).unwrap();
    let view = agenda.areas.iter().find(|a| a.area == area).unwrap();
    assert_eq!(view.implied_highest, Some(Grade::Allvarligt));
    assert_eq!(view.official.as_ref().unwrap().grade, Grade::Forhojt);
    assert_eq!(view.organisations.len(), 1);
    assert_eq!(view.organisations[0].assessment.grade, Grade::KritisktLage);
    assert_eq!(
        view.organisations[0].name,
        "Polisen, lokalpolisområde Södertälje"
    );
}

#[test]
fn notes_written_on_two_laptops_from_nothing_stay_on_lines_of_their_own() {
    let (mut a, demo, me) = demo_store(0);
    let mut b = second_store(&demo, 1);
    let start = at("2026-11-25T17:00:00Z");
    let meeting = a.start_meeting(week("2026-W48"), start).unwrap();
    let id = meeting.id.as_uuid();
    b.receive(me.workspace, id, &a.document_changes(id).unwrap(), start)
        .unwrap();

    // Offline, each writes one sentence into the empty notes, as people type them.
    a.edit_meeting_notes(
        meeting.id,
        "Beslut: fältare och väktare till hallen.",
        start,
    )
    .unwrap();
    b.edit_meeting_notes(meeting.id, "Läget: oroligt vid stationen.", start)
        .unwrap();
    let (from_a, from_b) = (
        a.document_changes(id).unwrap(),
        b.document_changes(id).unwrap(),
    );
    b.receive(me.workspace, id, &from_a, start).unwrap();
    a.receive(me.workspace, id, &from_b, start).unwrap();

    let notes = a.meeting(meeting.id).unwrap().notes.as_str().to_string();
    assert_eq!(notes, b.meeting(meeting.id).unwrap().notes.as_str());
    let mut lines: Vec<&str> = notes.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "Beslut: fältare och väktare till hallen.",
            "Läget: oroligt vid stationen."
        ],
        "each laptop's text on its own line, not run together: {notes:?}"
    );
}

#[test]
fn two_laptops_edit_the_same_meeting_offline_and_converge() {
    let (mut a, demo, me) = demo_store(0);
    let mut b = second_store(&demo, 1);
    let start = at("2026-11-25T17:00:00Z");
    let meeting = a.start_meeting(week("2026-W48"), start).unwrap();
    a.edit_meeting_notes(meeting.id, "Närvarande: se lista.\nBeslut:\n", start)
        .unwrap();
    let id = meeting.id.as_uuid();
    let to_b = a.document_changes(id).unwrap();
    b.receive(me.workspace, id, &to_b, start).unwrap();

    // Offline, both write in the notes and add attendees and decisions.
    let later = at("2026-11-25T17:30:00Z");
    a.edit_meeting_notes(
        meeting.id,
        "Närvarande: se lista.\nBeslut:\n- Fältare till stationen fre–lör\n",
        later,
    )
    .unwrap();
    b.edit_meeting_notes(
        meeting.id,
        "Närvarande: se lista.\nLäget: oroligt vid stationen.\nBeslut:\n",
        later,
    )
    .unwrap();
    a.add_attendee(meeting.id, "Maria (samordnare)", later)
        .unwrap();
    b.add_attendee(meeting.id, "Jonas (fältare)", later)
        .unwrap();
    let mut da = decision_at(&a, "Rönninge station");
    da.meeting = Some(meeting.id);
    let decision_a = a.decide(&da, later).unwrap();
    let mut db = decision_at(&b, "Salemhallen");
    db.meeting = Some(meeting.id);
    let decision_b = b.decide(&db, later).unwrap();

    // Back online: everything both hold goes both ways.
    for doc in [id, decision_a.id.as_uuid(), decision_b.id.as_uuid()] {
        let from_a = a.document_changes(doc).unwrap();
        let from_b = b.document_changes(doc).unwrap();
        if !from_a.is_empty() {
            b.receive(me.workspace, doc, &from_a, later).unwrap();
        }
        if !from_b.is_empty() {
            a.receive(me.workspace, doc, &from_b, later).unwrap();
        }
    }
    let (ma, mb) = (
        a.meeting(meeting.id).unwrap(),
        b.meeting(meeting.id).unwrap(),
    );
    assert_eq!(ma, mb, "both laptops hold the same meeting");
    assert_eq!(
        ma.notes.as_str(),
        "Närvarande: se lista.\nLäget: oroligt vid stationen.\nBeslut:\n- Fältare till stationen fre–lör\n",
        "both edits of the notes are kept"
    );
    assert_eq!(ma.attendees.len(), 2);
    assert_eq!(a.decisions().unwrap(), b.decisions().unwrap());
    assert_eq!(a.decisions().unwrap().len(), 2);
}

#[test]
fn two_laptops_that_both_start_the_meeting_offline_keep_both() {
    let (mut a, demo, me) = demo_store(0);
    let mut b = second_store(&demo, 1);
    let w = week("2026-W48");
    let ma = a.start_meeting(w, at("2026-11-25T17:00:00Z")).unwrap();
    let mb = b.start_meeting(w, at("2026-11-25T17:01:00Z")).unwrap();
    a.edit_meeting_notes(ma.id, "A:s anteckningar", at("2026-11-25T17:05:00Z"))
        .unwrap();
    b.edit_meeting_notes(mb.id, "B:s anteckningar", at("2026-11-25T17:05:00Z"))
        .unwrap();
    for id in [ma.id.as_uuid(), mb.id.as_uuid()] {
        let from_a = a.document_changes(id).unwrap();
        let from_b = b.document_changes(id).unwrap();
        if !from_a.is_empty() {
            b.receive(me.workspace, id, &from_a, now()).unwrap();
        }
        if !from_b.is_empty() {
            a.receive(me.workspace, id, &from_b, now()).unwrap();
        }
    }
    let on_a = a.meetings(Some(w)).unwrap();
    assert_eq!(on_a, b.meetings(Some(w)).unwrap());
    let notes: Vec<&str> = on_a.iter().map(|m| m.notes.as_str()).collect();
    assert_eq!(
        notes,
        ["A:s anteckningar\n", "B:s anteckningar\n"],
        "neither is lost"
    );
    assert_eq!(views::agenda(&a, w, now()).unwrap().meetings.len(), 2);
}
