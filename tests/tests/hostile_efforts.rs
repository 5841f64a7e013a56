//! Citizen promises and activities on the server: the coordinator makes and edits them,
//! everyone reads them, the deployment group only appends its reconsiderations in its
//! own name, and an activity naming places outside the register is refused.
#![allow(clippy::unwrap_used)]

use lagesbild_core::doc::Document;
use lagesbild_core::store::{ActivityDraft, IndicatorDraft};
use lagesbild_core::sync::wire::{PushOutcome, RefusalCode, WireChange};
use lagesbild_core::{Activity, IndicatorKind, PlaceId, Reconsideration, Store};
use lagesbild_tests::{Backend, Device, Scenario, now};

fn draft(store: &Store) -> ActivityDraft {
    let workspace = store.require_identity().unwrap().workspace;
    let guards = store
        .organisations(workspace)
        .unwrap()
        .into_iter()
        .find(|o| o.name.contains("Centrumvakterna"))
        .unwrap();
    ActivityDraft {
        title: "Väktare vid stationen".into(),
        purpose: "Färre grupperingar".into(),
        goal: "25 % färre rapporter".into(),
        places: vec!["Rönninge station".into()],
        from: "2026-10-05".into(),
        to: None,
        weekdays: vec![5, 6],
        from_time: None,
        to_time: None,
        responsible: Some(guards.id),
        responsible_person: "Lisa Ek".into(),
        promise: None,
        indicators: vec![IndicatorDraft::new(IndicatorKind::Reports, "-25 %")],
        comparison: vec![],
        neighbour_metres: None,
    }
}

/// `activity` as `device` holds it, changed by `edit` outside the store's checks, as a
/// modified client would send it.
fn forged(device: &Device, id: uuid::Uuid, edit: impl FnOnce(&mut Activity)) -> WireChange {
    lagesbild_tests::forged(&device.store(), id, edit)
}

async fn only_the_coordinator_keeps_the_activity_plan_and_the_group_appends(backend: Backend) {
    let Scenario { server, codes, .. } = Scenario::on(backend).named("Insatser").start().await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnaren").await;
    let field_worker = Device::enroll(&server.url(), &codes[1], "fältaren").await;
    let police = Device::enroll(&server.url(), &codes[3], "polisen").await;
    let walker = Device::enroll(&server.url(), &codes[6], "nattvandraren").await;

    let activity = {
        let mut store = coordinator.store();
        let d = draft(&store);
        store.add_activity(&d, now()).unwrap()
    };
    coordinator.sync().await;
    for device in [&field_worker, &police, &walker] {
        device.sync().await;
        assert_eq!(
            device.store().activity(activity.id).unwrap().title,
            activity.title,
            "everyone reads the activity plan"
        );
    }

    // A police device that makes its own activity, or renames the coordinator's.
    let own = {
        let store = police.store();
        let me = store.require_identity().unwrap().reporter();
        Activity {
            id: lagesbild_core::ActivityId::new(),
            created_by: me,
            ..activity.clone()
        }
    };
    let (_, change) = Document::create(police.store().actor(), &own, now()).unwrap();
    let made = police
        .push_one(WireChange {
            doc: own.id.0,
            hash: change.hash.to_string(),
            bytes: change.bytes,
        })
        .await;
    assert!(
        matches!(&made, PushOutcome::Refused { code: RefusalCode::ForbiddenField, message } if message.contains("coordinator")),
        "{made:?}"
    );
    let renamed = police
        .push_one(forged(&police, activity.id.0, |a| {
            a.title = "Polisens insats".into()
        }))
        .await;
    assert!(
        matches!(&renamed, PushOutcome::Refused { code: RefusalCode::ForbiddenField, message } if message.contains("title")),
        "{renamed:?}"
    );
    // The device refuses the same, early.
    let mine = draft(&police.store());
    assert!(matches!(
        police.store().edit_activity(activity.id, &mine, now()),
        Err(lagesbild_core::Error::Forbidden(_))
    ));

    // The deployment group reconsiders in its own name; a forged author is refused, and
    // a night walker (not in the group) does not reconsider.
    field_worker
        .store()
        .reconsider(
            activity.id,
            Reconsideration::Andras,
            "Flytta till lördagar",
            None,
            now(),
        )
        .unwrap();
    let status = field_worker.sync().await;
    assert_eq!(status.refused, 0, "{status:?}");
    let someone_else = coordinator.store().require_identity().unwrap().reporter();
    let forged_author = police
        .push_one(forged(&police, activity.id.0, |a| {
            a.reconsiderations
                .push(lagesbild_core::ReconsiderationEntry {
                    id: lagesbild_core::NoteId::new(),
                    outcome: Reconsideration::Avslutas,
                    reason: "Stoppa".into(),
                    meeting: None,
                    by: someone_else,
                    at: now(),
                })
        }))
        .await;
    assert!(
        matches!(
            &forged_author,
            PushOutcome::Refused {
                code: RefusalCode::WrongAuthor,
                ..
            }
        ),
        "{forged_author:?}"
    );
    assert!(matches!(
        walker
            .store()
            .reconsider(activity.id, Reconsideration::Avslutas, "Sluta", None, now()),
        Err(lagesbild_core::Error::Forbidden(_))
    ));
    // Nor may a modified night walker's app, in the walker's own name.
    let walker_me = walker.store().require_identity().unwrap().reporter();
    let walked = walker
        .push_one(forged(&walker, activity.id.0, |a| {
            a.reconsiderations
                .push(lagesbild_core::ReconsiderationEntry {
                    id: lagesbild_core::NoteId::new(),
                    outcome: Reconsideration::Avslutas,
                    reason: "Sluta".into(),
                    meeting: None,
                    by: walker_me,
                    at: now(),
                })
        }))
        .await;
    assert!(
        matches!(&walked, PushOutcome::Refused { code: RefusalCode::ForbiddenField, message } if message.contains("deployment group")),
        "{walked:?}"
    );
    coordinator.sync().await;
    let seen = coordinator.store().activity(activity.id).unwrap();
    assert_eq!(seen.reconsiderations.len(), 1);
    assert_eq!(seen.reconsiderations[0].reason, "Flytta till lördagar");

    // The coordinator's activity may not name a place the register does not have.
    let stray = coordinator
        .push_one(forged(&coordinator, activity.id.0, |a| {
            a.places.push(PlaceId::new())
        }))
        .await;
    assert!(
        matches!(&stray, PushOutcome::Refused { code: RefusalCode::InvalidRecord, message } if message.contains("places")),
        "{stray:?}"
    );
}

lagesbild_tests::on_both_backends!(
    async only_the_coordinator_keeps_the_activity_plan_and_the_group_appends,
);
