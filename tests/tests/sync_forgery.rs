//! A device cannot write what its role may not write, nor write in someone else's
//! name: the server holds every change against core's one table of who may write which
//! field, and against who the authenticated device's user is.
#![allow(clippy::unwrap_used)]

use lagesbild_core::doc::Document;
use lagesbild_core::sync::wire::{PushOutcome, RefusalCode, WireChange};
use lagesbild_core::{
    Correction, CorrectionId, Note, NoteId, Observation, ObservationDraft, ObservationId, Review,
    Status, Store,
};
use lagesbild_tests::{Backend, Device, Scenario, forged_edit, now};

/// A change to the report as a modified client of the device could write it.
fn forged(store: &Store, id: ObservationId, edit: impl FnOnce(&mut Observation)) -> WireChange {
    forged_edit(store, id, store.actor(), edit)
}

fn code(outcome: &PushOutcome) -> Option<RefusalCode> {
    match outcome {
        PushOutcome::Refused { code, .. } => Some(*code),
        _ => None,
    }
}

async fn a_reporter_cannot_review_correct_close_or_write_in_anothers_name(backend: Backend) {
    let Scenario {
        server,
        demo,
        codes,
    } = Scenario::on(backend).named("Förfalskning").start().await;
    let faltare = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let coordinator = demo.people[0].clone();
    let police = demo.people[3].clone();
    let draft = ObservationDraft {
        category: Some("grupperingar".into()),
        place: Some("Rönninge station".into()),
        grade: Some(3),
        ..ObservationDraft::default()
    };
    let id = faltare.store().record(&draft, now()).unwrap().id;
    faltare.sync().await;

    let review = forged(&faltare.store(), id, |o| {
        o.review = Some(Review {
            by: coordinator.clone(),
            at: now(),
        });
    });
    let correction = forged(&faltare.store(), id, |o| {
        o.corrections.push(Correction {
            id: CorrectionId::new(),
            by: coordinator.clone(),
            at: now(),
            field: "place".into(),
            from: "a".into(),
            to: "b".into(),
        });
    });
    let closed = forged(&faltare.store(), id, |o| o.status = Status::Avslutad);
    let police_note = forged(&faltare.store(), id, |o| {
        o.notes.push(Note {
            id: NoteId::new(),
            author: police.clone(),
            at: now(),
            text: "Polisen har varit på plats".into(),
        });
    });
    let renamed = forged(&faltare.store(), id, |o| {
        o.reporter.name = "Kommunpolis Ahmed Nour".into()
    });
    for (what, change, expected) in [
        (
            "a review in the coordinator's name",
            review,
            RefusalCode::ForbiddenField,
        ),
        (
            "a correction by the coordinator",
            correction,
            RefusalCode::ForbiddenField,
        ),
        ("status avslutad", closed, RefusalCode::ForbiddenField),
        (
            "a note signed by a police officer",
            police_note,
            RefusalCode::WrongAuthor,
        ),
        (
            "the reporter's name changed",
            renamed,
            RefusalCode::ForbiddenField,
        ),
    ] {
        let outcome = faltare.push_one(change).await;
        assert_eq!(code(&outcome), Some(expected), "{what}: {outcome:?}");
    }

    // A new report whose reporter was renamed in a copy of the store.
    let mut forged_new = Document::new(faltare.store().actor());
    let mut observation = faltare.store().observation(id).unwrap();
    observation.id = ObservationId::new();
    observation.reporter.name = "Någon annan".into();
    observation.description = autosurgeon::Text::with_value(observation.description());
    let change = forged_new.update(&observation, now()).unwrap().remove(0);
    let outcome = faltare
        .push_one(WireChange {
            doc: observation.id.0,
            hash: change.hash.to_string(),
            bytes: change.bytes,
        })
        .await;
    assert_eq!(
        code(&outcome),
        Some(RefusalCode::WrongAuthor),
        "{outcome:?}"
    );

    let stored = server.observations();
    assert_eq!(stored.len(), 1, "nothing forged was stored");
    assert!(
        stored[0].review.is_none()
            && stored[0].corrections.is_empty()
            && stored[0].notes.is_empty()
    );
    assert_eq!(stored[0].status, Status::Ny);

    // The device refuses the same early, with the same words.
    let mut store = faltare.store();
    let patch = lagesbild_core::ObservationPatch {
        status: Some("avslutad".into()),
        ..Default::default()
    };
    let error = store.edit(id, &patch, now()).unwrap_err();
    assert!(error.to_string().contains("`status`"), "{error}");
}

lagesbild_tests::on_both_backends!(
    async a_reporter_cannot_review_correct_close_or_write_in_anothers_name,
);
