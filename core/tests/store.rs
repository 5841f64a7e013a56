//! The local store: recording, bad input, and its schema.
#![allow(clippy::unwrap_used)]

mod common;

use common::{counts, demo_store, draft, now};
use lagesbild_core::sync::storage::{PushAnswer, SyncStorage};
use lagesbild_core::{
    Error, ErrorCode, Field, ObservationDraft, ObservationPatch, Problem, Store, Warning,
};

fn field_of(err: &Error) -> Field {
    match err {
        Error::Invalid(v) => v.field,
        Error::NeedsConfirmation(Warning::PossiblePersonnummer { field }) => *field,
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn a_recorded_observation_reads_back_whole() {
    let (mut store, _, identity) = demo_store(1);
    let input = ObservationDraft {
        observed_at: Some("2026-11-24 21:30".into()),
        observed_until: Some("2026-11-24 22:15".into()),
        people: Some(8),
        age_group: Some("unga".into()),
        source: Some("Själv sett".into()),
        description: Some("Grupp vid stationen, höga röster".into()),
        place_detail: Some("Vid cykelstället".into()),
        position: Some(lagesbild_core::Position {
            lat: 59.1934,
            lon: 17.7508,
            accuracy_m: Some(12.0),
        }),
        visibility: Some("kommun-polis".into()),
        ..draft("Rönninge station", "grupperingar", 3)
    };
    let recorded = store.record(&input, now()).unwrap();
    let read = store.observation(recorded.id).unwrap();
    assert_eq!(read, recorded, "the document holds what was recorded");
    assert_eq!(read.observed_at.local_display(), "2026-11-24 21:30");
    assert_eq!(
        read.reporter.user, identity.user,
        "the reporter comes from the device's identity"
    );
    assert_eq!(read.recorded_at, now());
    let rows = store.list(&Default::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].place_name, "Rönninge station");
    assert_eq!(rows[0].description, "Grupp vid stationen, höga röster");
    assert_eq!(rows[0].week.to_string(), "2026-W48");
    assert_eq!(
        store.pending_count().unwrap(),
        1,
        "the creation waits to be sent"
    );
}

#[test]
fn bad_input_names_the_field_and_stores_nothing() {
    let (mut store, _, _) = demo_store(1);
    let long = "x".repeat(2001);
    let cases: Vec<(ObservationDraft, Field)> = vec![
        (draft("Rönninge station", "klotter", 0), Field::Grade),
        (draft("Rönninge station", "klotter", 6), Field::Grade),
        (
            ObservationDraft {
                grade: None,
                ..draft("Rönninge station", "klotter", 1)
            },
            Field::Grade,
        ),
        (draft("Rönninge station", "tjuvjakt", 2), Field::Category),
        (draft("Månbasen", "klotter", 2), Field::Place),
        (
            ObservationDraft {
                category: None,
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::Category,
        ),
        (
            ObservationDraft {
                place: Some("  ".into()),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::Place,
        ),
        (
            ObservationDraft {
                description: Some(long),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::Description,
        ),
        (
            ObservationDraft {
                place_detail: Some("y".repeat(201)),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::PlaceDetail,
        ),
        (
            ObservationDraft {
                observed_at: Some("igår kväll".into()),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::ObservedAt,
        ),
        (
            ObservationDraft {
                observed_at: Some("2026-12-24 18:00".into()),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::ObservedAt,
        ),
        (
            ObservationDraft {
                observed_at: Some("2026-11-24 22:00".into()),
                observed_until: Some("2026-11-24 21:00".into()),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::ObservedUntil,
        ),
        (
            ObservationDraft {
                people: Some(-3),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::People,
        ),
        (
            ObservationDraft {
                age_group: Some("pensionärer".into()),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::AgeGroup,
        ),
        (
            ObservationDraft {
                visibility: Some("hemlig".into()),
                ..draft("Rönninge station", "klotter", 2)
            },
            Field::Visibility,
        ),
    ];
    for (input, field) in cases {
        let err = store.record(&input, now()).unwrap_err();
        assert_eq!(
            field_of(&err),
            field,
            "{input:?} is refused for its {field}: {err}"
        );
        assert_eq!(err.code(), ErrorCode::Invalid);
        assert!(
            err.to_string().starts_with(field.name()),
            "the message names the field: {err}"
        );
    }
    assert_eq!(counts(&store), (0, 0), "no bad input left anything behind");
}

#[test]
fn a_retired_category_keeps_old_reports_but_takes_no_new_ones() {
    let (mut store, demo, _) = demo_store(1);
    let old = store
        .record(&draft("Rönninge station", "alkohol", 2), now())
        .unwrap();
    let mut alkohol = demo
        .categories
        .iter()
        .find(|c| c.key == "alkohol")
        .unwrap()
        .clone();
    alkohol.retired = true;
    store.save_category(demo.workspace.id, &alkohol).unwrap();
    let err = store
        .record(&draft("Rönninge station", "alkohol", 2), now())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Invalid(v) if matches!(v.problem, Problem::Retired { .. })),
        "{err}"
    );
    assert_eq!(
        store.observation(old.id).unwrap().category,
        "alkohol",
        "the old report is untouched"
    );
    store
        .edit(
            old.id,
            &ObservationPatch {
                grade: Some(3),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
}

#[test]
fn text_that_looks_like_a_personnummer_needs_confirmation() {
    let (mut store, _, _) = demo_store(1);
    let input = ObservationDraft {
        description: Some("Pojke med personnummer 080514-1234 var där".into()),
        ..draft("Rönninge station", "grupperingar", 2)
    };
    let err = store.record(&input, now()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NeedsConfirmation);
    assert_eq!(field_of(&err), Field::Description);
    assert_eq!(
        counts(&store),
        (0, 0),
        "nothing is stored before confirmation"
    );

    let confirmed = ObservationDraft {
        acknowledge_personnummer: true,
        ..input
    };
    store.record(&confirmed, now()).unwrap();
    assert_eq!(counts(&store).0, 1, "stored once the user confirmed");

    let id = store.list(&Default::default()).unwrap()[0].id;
    let err = store
        .add_note(id, "Kontakt: 19900101-1234", false, now())
        .unwrap_err();
    assert_eq!(field_of(&err), Field::Note, "notes are checked too");
}

#[test]
fn a_store_opens_again_and_keeps_its_actor_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    let demo = lagesbild_core::demo::workspace("Test");
    let (actor, id) = {
        let mut store = Store::open(&path, &common::key()).unwrap();
        demo.install(&mut store, 1).unwrap();
        let o = store
            .record(&draft("Rönninge station", "klotter", 2), now())
            .unwrap();
        (store.actor().clone(), o.id)
    };
    let store = Store::open(&path, &common::key()).unwrap();
    assert_eq!(
        store.actor(),
        &actor,
        "the device keeps writing as the same actor"
    );
    assert_eq!(store.observation(id).unwrap().grade.value(), 2);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn a_store_written_by_a_newer_version_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite3");
    drop(Store::open(&path, &common::key()).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "key", format!("x'{}'", "5a".repeat(32)))
        .unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    let err = Store::open(&path, &common::key()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::StoreTooNew);
    let message = err.to_string();
    assert!(
        message.contains("newer version") && message.contains("999"),
        "{message}"
    );
}

#[test]
fn each_report_says_whether_it_waits_was_sent_or_was_refused() {
    use lagesbild_core::store::Delivery;
    let (mut store, _, _) = demo_store(1);
    let a = store
        .record(&draft("Salemhallen", "klotter", 2), now())
        .unwrap()
        .id;
    let b = store
        .record(&draft("Salemhallen", "brak", 3), now())
        .unwrap()
        .id;
    let c = store
        .record(&draft("Salemhallen", "hot", 4), now())
        .unwrap()
        .id;
    assert_eq!(
        store.delivery(&[a, b, c]).unwrap(),
        vec![Delivery::Waiting; 3]
    );

    let pending = store.pending_changes(100).unwrap();
    let of = |id: lagesbild_core::ObservationId| {
        pending
            .iter()
            .filter(|p| p.doc_id == *id.as_uuid())
            .map(|p| p.seq)
            .collect::<Vec<_>>()
    };
    store
        .settle_push(&PushAnswer {
            acknowledged: of(a),
            refused: vec![(
                of(c)[0],
                "forbidden".into(),
                "the category is retired".into(),
            )],
            erased: vec![],
            server_time: now(),
        })
        .unwrap();
    assert_eq!(
        store.delivery(&[a, b, c]).unwrap(),
        vec![
            Delivery::Sent { at: Some(now()) },
            Delivery::Waiting,
            Delivery::Refused {
                code: "forbidden".into(),
                message: "the category is retired".into()
            },
        ]
    );
}

#[test]
fn places_are_ranked_by_what_is_reported_there_at_this_time_of_day() {
    let (mut store, demo, identity) = demo_store(1);
    let id = |name: &str| demo.places.iter().find(|p| p.name == name).unwrap().id;
    let report = |store: &mut Store, place: &str, when: &str| {
        let draft = ObservationDraft {
            category: Some("skadegorelse".into()),
            place: Some(place.into()),
            grade: Some(2),
            observed_at: Some(when.into()),
            ..Default::default()
        };
        store.record(&draft, now()).unwrap();
    };
    // Now is 12:00 on 25 November. Salemhallen: three reports around noon; Rönninge
    // station: five at night; Säby gård: one at noon, but five weeks ago.
    for day in ["2026-11-20 11:30", "2026-11-18 13:45", "2026-11-10 12:10"] {
        report(&mut store, "Salemhallen", day);
    }
    for day in 15..20 {
        report(
            &mut store,
            "Rönninge station",
            &format!("2026-11-{day} 23:30"),
        );
    }
    report(&mut store, "Säby gård", "2026-10-21 12:00");
    let habits = store.place_habits(identity.workspace, now()).unwrap();
    let ranked: Vec<_> = habits
        .iter()
        .map(|h| (h.place, h.reports, h.at_this_hour))
        .collect();
    assert_eq!(
        ranked,
        vec![(id("Salemhallen"), 3, 3), (id("Rönninge station"), 5, 0),]
    );
}

/// A new report's first change is kept once (the document is that change) and sent
/// from the document; an edit before sending overwrites the document, so the first
/// change must keep its own copy first: both go to the server exactly as made, and
/// together make the report as edited.
#[test]
fn a_report_edited_before_it_is_sent_sends_both_changes_as_made() {
    let (mut store, _, _) = demo_store(1);
    let recorded = store
        .record(&draft("Salemhallen", "klotter", 2), now())
        .unwrap();
    let created = store.pending_changes(10).unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(
        store.size_stats().unwrap().pending_bytes,
        0,
        "the creation is held once, in the document"
    );
    let edited = store
        .edit(
            recorded.id,
            &ObservationPatch {
                grade: Some(4),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    let pending = store.pending_changes(10).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(
        pending[0].change, created[0].change,
        "the first change is sent as it was made, not as the document is now"
    );
    // Each is a change whose bytes hash to its name; applied in order they are the report.
    let mut doc = lagesbild_core::doc::Document::new(&automerge::ActorId::random());
    for p in &pending {
        let change = lagesbild_core::doc::DocChange::decode(&p.change.bytes).unwrap();
        assert_eq!(change.hash, p.change.hash);
        doc.apply(std::slice::from_ref(&change)).unwrap();
    }
    let read: lagesbild_core::Observation = doc.read().unwrap();
    assert_eq!(read, edited);
}
