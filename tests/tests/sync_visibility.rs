//! Visibility is decided when a device reads, not when a change was written: a report
//! recorded for everyone, edited to name a person and then narrowed to its own
//! organisation reaches no other organisation's device with its text, whichever way
//! that device pages the feed or bootstraps.
#![allow(clippy::unwrap_used)]

use lagesbild_core::sync::SyncStorage;
use lagesbild_core::sync::wire::{BootstrapPage, FeedEntry, FeedPage};
use lagesbild_core::{ListQuery, ObservationDraft, ObservationPatch};
use lagesbild_tests::{Backend, Device, Scenario, now};

const NAME: &str = "Kalle Persson";

async fn a_narrowed_report_reaches_no_other_organisation_with_its_earlier_text(backend: Backend) {
    let Scenario { server, codes, .. } = Scenario::on(backend).named("Synlighet").start().await;
    let faltare = Device::enroll(&server.url(), &codes[1], "fältare").await;
    // A guard who could read the report while it was open to everyone.
    let early_guard = Device::enroll(&server.url(), &codes[4], "väktare 1").await;

    let draft = ObservationDraft {
        category: Some("grupperingar".into()),
        place: Some("Rönninge station".into()),
        grade: Some(3),
        description: Some("Grupp vid perrongen".into()),
        ..ObservationDraft::default()
    };
    let id = faltare.store().record(&draft, now()).unwrap().id;
    faltare.sync().await;
    let edit = ObservationPatch {
        description: Some(format!("Grupp vid perrongen, bland dem {NAME}")),
        ..ObservationPatch::default()
    };
    faltare.store().edit(id, &edit, now()).unwrap();
    faltare.sync().await;
    early_guard.sync().await;
    assert!(
        early_guard
            .store()
            .observation(id)
            .unwrap()
            .description()
            .contains(NAME),
        "the guard could read it while it was open to everyone"
    );
    let narrow = ObservationPatch {
        visibility: Some("egen-organisation".into()),
        ..ObservationPatch::default()
    };
    faltare.store().edit(id, &narrow, now()).unwrap();
    faltare.sync().await;

    // The guard who held the text drops it and keeps only what may be counted.
    early_guard.sync().await;
    let row = early_guard
        .store()
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    assert!(
        row.restricted,
        "the narrowed report is a restricted summary now"
    );
    assert!(
        early_guard.store().observation(id).is_err()
            || !early_guard
                .store()
                .observation(id)
                .unwrap()
                .description()
                .contains(NAME),
        "the guard's device no longer holds the text"
    );

    // A guard enrolled afterwards pages the feed one entry at a time from every
    // position, and bootstraps: no change or document of the report reaches it.
    let late_guard = Device::enroll(&server.url(), &codes[5], "väktare 2").await;
    let head = late_guard
        .get::<FeedPage>("feed?since=0&limit=1000")
        .await
        .cursor;
    let mut entries = Vec::new();
    for since in 0..=head {
        for limit in [1, 2, 3] {
            let page: FeedPage = late_guard
                .get(&format!("feed?since={since}&limit={limit}"))
                .await;
            entries.extend(page.entries);
        }
    }
    let bootstrap: BootstrapPage = late_guard.get("bootstrap?limit=1").await;
    entries.extend(bootstrap.entries);
    let mut seen = 0;
    for entry in &entries {
        match entry {
            FeedEntry::Change { doc, .. } | FeedEntry::Document { doc, .. } => {
                assert_ne!(
                    *doc, id.0,
                    "the narrowed report's content reached another organisation"
                );
            }
            FeedEntry::Restricted { projection }
            | FeedEntry::Remove {
                restricted: Some(projection),
                ..
            } if projection.id == id => {
                seen += 1;
            }
            _ => {}
        }
    }
    assert!(seen > 0, "the report is still counted for the guard");
    late_guard.sync().await;
    assert!(
        late_guard.store().observation(id).is_err()
            || !late_guard
                .store()
                .observation(id)
                .unwrap()
                .description()
                .contains(NAME)
    );
}

/// Devices that wake together ask for the same page, which the server reads once: each
/// still gets only what it may read, and nothing erased since.
async fn a_page_read_once_for_many_devices_follows_each_reader_and_erasure(backend: Backend) {
    const CANARY: &str = "Kanariefågel-5521";
    let Scenario { server, codes, .. } = Scenario::on(backend).named("Sidor").start().await;
    let coordinator = Device::enroll(&server.url(), &codes[0], "samordnare").await;
    let faltare = Device::enroll(&server.url(), &codes[1], "fältare").await;
    let police = Device::enroll(&server.url(), &codes[3], "polis").await;
    let guard = Device::enroll(&server.url(), &codes[4], "väktare").await;
    for device in [&coordinator, &police, &guard] {
        device.sync().await;
    }
    let cursor = guard.store().sync_state(guard.workspace).unwrap().cursor;
    let draft = ObservationDraft {
        category: Some("grupperingar".into()),
        place: Some("Rönninge station".into()),
        grade: Some(3),
        description: Some(format!("Grupp vid perrongen: {CANARY}")),
        visibility: Some("kommun-polis".into()),
        ..ObservationDraft::default()
    };
    let id = faltare.store().record(&draft, now()).unwrap().id;
    faltare.sync().await;

    // The guard asks first, then those who may read it, then the guard again.
    let page = |device: &Device| {
        let device = device.clone();
        async move {
            let page: FeedPage = device.get(&format!("feed?since={cursor}")).await;
            serde_json::to_string(&page).unwrap()
        }
    };
    for _ in 0..2 {
        let seen = page(&guard).await;
        assert!(!seen.contains(CANARY), "the guard may not read it: {seen}");
        assert!(seen.contains("restricted"), "{seen}");
        for reader in [&coordinator, &police] {
            assert!(page(reader).await.contains(CANARY));
        }
    }

    // An edit: those who may read the report get the change alone (no document is read
    // for them); the guard, asking the same page next (answered from memory when it
    // can be), still gets the report's restricted summary, never the edit.
    for device in [&coordinator, &police, &guard] {
        device.sync().await;
    }
    let cursor = police.store().sync_state(police.workspace).unwrap().cursor;
    let edit = ObservationPatch {
        description: Some(format!("Gruppen kvar vid perrongen: {CANARY}")),
        ..ObservationPatch::default()
    };
    faltare.store().edit(id, &edit, now()).unwrap();
    faltare.sync().await;
    let since = |device: &Device| {
        let device = device.clone();
        async move {
            let page: FeedPage = device.get(&format!("feed?since={cursor}")).await;
            page
        }
    };
    let read = since(&police).await;
    assert!(
        read.entries
            .iter()
            .any(|e| matches!(e, FeedEntry::Change { doc, .. } if *doc == *id.as_uuid())),
        "{:?}",
        read.entries
    );
    let summary = since(&guard).await;
    assert!(
        matches!(&summary.entries[..], [FeedEntry::Restricted { .. }]),
        "the guard gets the summary, and only it: {:?}",
        summary.entries
    );
    assert!(!serde_json::to_string(&summary).unwrap().contains(CANARY));

    // Erased: the same page, asked for again, holds its removal and not its text.
    coordinator
        .request(reqwest::Method::POST, &format!("observations/{id}/erase"))
        .send()
        .await
        .unwrap();
    for device in [&guard, &coordinator, &police] {
        let seen = page(device).await;
        assert!(!seen.contains(CANARY), "{seen}");
        let page: FeedPage = serde_json::from_str(&seen).unwrap();
        assert!(
            page.entries
                .iter()
                .any(|e| matches!(e, FeedEntry::Remove { doc, .. } if *doc == *id.as_uuid())),
            "{seen}"
        );
    }
}

lagesbild_tests::on_both_backends!(
    async a_narrowed_report_reaches_no_other_organisation_with_its_earlier_text,
    a_page_read_once_for_many_devices_follows_each_reader_and_erasure,
);
