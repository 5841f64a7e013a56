//! Observations are Automerge documents: concurrent offline edits merge per field and
//! every device ends with the same record.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_store, draft, now, second_store};
use lagesbild_core::{Observation, ObservationId, ObservationPatch, Store, Timestamp};

/// Sends every change `from` holds of `id` to `to`, as sync would.
fn send(from: &Store, to: &mut Store, id: ObservationId, now: Timestamp) {
    let changes = from.document_changes(id.as_uuid()).unwrap();
    let workspace = from.require_identity().unwrap().workspace;
    to.receive(workspace, id.as_uuid(), &changes, now).unwrap();
}

fn exchange(a: &mut Store, b: &mut Store, id: ObservationId) {
    send(a, b, id, now());
    send(b, a, id, now());
}

/// A coordinator's store and a reporter's store sharing one observation by the reporter.
fn shared_observation() -> (Store, Store, Observation) {
    let (mut reporter, demo, _) = demo_store(1);
    let coordinator = second_store(&demo, 0);
    let original = reporter
        .record(
            &lagesbild_core::ObservationDraft {
                description: Some("Grupp vid entrén".into()),
                people: Some(5),
                ..draft("Rönninge station", "grupperingar", 2)
            },
            now(),
        )
        .unwrap();
    let mut coordinator = coordinator;
    send(&reporter, &mut coordinator, original.id, now());
    (reporter, coordinator, original)
}

#[test]
fn edits_to_different_fields_made_offline_are_both_kept() {
    let (mut reporter, mut coordinator, original) = shared_observation();
    reporter
        .edit(
            original.id,
            &ObservationPatch {
                grade: Some(4),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    coordinator
        .edit(
            original.id,
            &ObservationPatch {
                people: Some(Some(12)),
                ..Default::default()
            },
            now(),
        )
        .unwrap();

    exchange(&mut reporter, &mut coordinator, original.id);

    let a = reporter.observation(original.id).unwrap();
    let b = coordinator.observation(original.id).unwrap();
    assert_eq!(
        a, b,
        "both stores hold the same record after exchanging changes"
    );
    assert_eq!(
        a.grade.value(),
        4,
        "the reporter's grade survives the merge"
    );
    assert_eq!(
        a.people,
        Some(12),
        "the coordinator's count survives the merge"
    );
    assert_eq!(
        reporter.list(&Default::default()).unwrap()[0].grade.value(),
        4,
        "the projection follows the merged document"
    );
}

#[test]
fn edits_to_the_same_field_converge_on_one_value() {
    let (mut reporter, mut coordinator, original) = shared_observation();
    reporter
        .edit(
            original.id,
            &ObservationPatch {
                grade: Some(3),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    coordinator
        .edit(
            original.id,
            &ObservationPatch {
                grade: Some(5),
                ..Default::default()
            },
            now(),
        )
        .unwrap();

    exchange(&mut reporter, &mut coordinator, original.id);

    let a = reporter.observation(original.id).unwrap();
    let b = coordinator.observation(original.id).unwrap();
    assert_eq!(a, b, "same-field conflicts resolve identically everywhere");
    assert!(
        [3, 5].contains(&a.grade.value()),
        "the winner is one of the two edits, not a mix"
    );
    let rows_a = reporter.list(&Default::default()).unwrap();
    let rows_b = coordinator.list(&Default::default()).unwrap();
    assert_eq!(rows_a[0].grade, rows_b[0].grade, "projections agree too");
}

#[test]
fn concurrent_edits_of_the_description_keep_both_texts() {
    let (mut reporter, mut coordinator, original) = shared_observation();
    let patch = |text: &str| ObservationPatch {
        description: Some(text.into()),
        ..Default::default()
    };
    reporter
        .edit(
            original.id,
            &patch("Grupp vid entrén, cirka tio personer"),
            now(),
        )
        .unwrap();
    coordinator
        .edit(original.id, &patch("Stor grupp vid entrén"), now())
        .unwrap();

    exchange(&mut reporter, &mut coordinator, original.id);

    let merged = reporter.observation(original.id).unwrap();
    assert_eq!(merged, coordinator.observation(original.id).unwrap());
    let text = merged.description();
    assert!(
        text.contains("cirka tio personer"),
        "the reporter's addition is kept: {text}"
    );
    assert!(
        text.contains("Stor"),
        "the coordinator's addition is kept: {text}"
    );
}

#[test]
fn follow_up_notes_added_concurrently_are_all_kept() {
    let (mut reporter, mut coordinator, original) = shared_observation();
    reporter
        .add_note(original.id, "Pratade med gruppen, lugnt nu", false, now())
        .unwrap();
    reporter
        .add_note(original.id, "Gick vidare 22:10", false, now())
        .unwrap();
    coordinator
        .add_note(original.id, "Tas upp på mötet på tisdag", false, now())
        .unwrap();

    exchange(&mut reporter, &mut coordinator, original.id);

    let a = reporter.observation(original.id).unwrap();
    assert_eq!(a, coordinator.observation(original.id).unwrap());
    let texts: Vec<&str> = a.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(a.notes.len(), 3, "no note is lost: {texts:?}");
    assert!(texts.contains(&"Tas upp på mötet på tisdag"));
    assert_eq!(reporter.list(&Default::default()).unwrap()[0].note_count, 3);
}

#[test]
fn a_coordinator_correction_is_visible_to_the_reporter() {
    let (mut reporter, mut coordinator, original) = shared_observation();
    coordinator
        .edit(
            original.id,
            &ObservationPatch {
                category: Some("narkotika".into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    send(&coordinator, &mut reporter, original.id, now());
    let seen = reporter.observation(original.id).unwrap();
    assert_eq!(seen.category, "narkotika");
    let correction = seen
        .corrections
        .first()
        .expect("the correction is recorded");
    assert_eq!(
        (correction.field.as_str(), correction.from.as_str()),
        ("category", "grupperingar")
    );
    assert_eq!(
        correction.by.name, "Samira Lind",
        "the reporter sees who corrected it"
    );
}

#[test]
fn a_reporter_may_not_edit_someone_elses_report_but_may_add_a_note() {
    let (mut reporter, demo, _) = demo_store(1);
    let mut guard = second_store(&demo, 4);
    let original = reporter
        .record(&draft("Rönninge station", "klotter", 2), now())
        .unwrap();
    send(&reporter, &mut guard, original.id, now());
    let err = guard
        .edit(
            original.id,
            &ObservationPatch {
                grade: Some(5),
                ..Default::default()
            },
            now(),
        )
        .unwrap_err();
    assert_eq!(err.code(), lagesbild_core::ErrorCode::Forbidden);
    guard
        .add_note(original.id, "Sett samma sak", false, now())
        .unwrap();
    assert_eq!(
        guard.observation(original.id).unwrap().grade.value(),
        2,
        "the refused edit changed nothing"
    );
}

#[test]
fn changes_for_another_document_are_refused_and_store_nothing() {
    let (mut reporter, demo, _) = demo_store(1);
    let mut other = second_store(&demo, 2);
    let original = reporter
        .record(&draft("Rönninge station", "klotter", 2), now())
        .unwrap();
    let changes = reporter.document_changes(original.id.as_uuid()).unwrap();
    let wrong_id = ObservationId::new();
    let result = other.receive(demo.workspace.id, wrong_id.as_uuid(), &changes, now());
    assert!(
        matches!(&result, Err(lagesbild_core::Error::Corrupt(why)) if why.contains("hold record")),
        "a change claiming another document is refused: {result:?}"
    );
    assert!(
        other.list(&Default::default()).unwrap().is_empty(),
        "and nothing is stored"
    );
}
