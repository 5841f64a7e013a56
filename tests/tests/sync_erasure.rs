//! Erasure: the coordinator erases a report; it disappears from the server and from
//! every device at its next sync, a device that was offline cannot bring it back, and
//! its text cannot be read from any SQLite file afterwards. The devices' files are
//! encrypted, so their bytes never show it; the server's file shows it until erasure.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use lagesbild_core::store::StoreKey;
use lagesbild_core::{ListQuery, ObservationDraft, Store};
use lagesbild_tests::{Device, TestServer, now};

const SECRET: &str = "Kännetecken-7F3A9 vid cykelstället";

/// Whether any file in `dir` (databases, write-ahead logs) holds `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).ok()?;
            bytes
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
                .then(|| path.display().to_string())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_report_is_gone_everywhere_and_stays_gone() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(&dir.path().join("server.sqlite3")).await;
    let demo = lagesbild_core::demo::workspace("Radering");
    let codes = server.install_demo(&demo, 5);
    let mut devices = Vec::new();
    for (i, person) in [0, 1, 2, 3].into_iter().enumerate() {
        let store = Store::open(
            &dir.path().join(format!("device-{i}.sqlite3")),
            &StoreKey::random().unwrap(),
        )
        .unwrap();
        devices.push(Device::enroll_store(store, &server.url(), &codes[person], "enhet").await);
    }
    let [coordinator, reporter, offline, police] = &devices[..] else {
        unreachable!()
    };

    let secret = reporter
        .store()
        .record(
            &ObservationDraft {
                category: Some("narkotika".into()),
                place: Some("Rönninge station".into()),
                grade: Some(4),
                description: Some(SECRET.into()),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    reporter.sync().await;
    for device in [coordinator, offline, police] {
        device.sync().await;
        assert!(
            device.store().observation(secret.id).is_ok(),
            "everyone has the report before"
        );
    }
    // The offline device follows it up without a connection.
    offline
        .store()
        .add_note(secret.id, "Följt upp på plats", false, now())
        .unwrap();

    let holding = files_holding(dir.path(), SECRET);
    assert!(
        holding.iter().any(|f| f.contains("server")),
        "before erasure the text is in the server's files (the check can see it): {holding:?}"
    );
    assert!(
        holding.iter().all(|f| !f.contains("device-")),
        "a device's encrypted files never show it: {holding:?}"
    );

    coordinator
        .transport
        .erase(coordinator.workspace, secret.id)
        .await
        .unwrap();
    assert!(
        server.observations().iter().all(|o| o.id != secret.id),
        "gone from the server"
    );

    for device in [coordinator, reporter, police, offline] {
        device.sync().await;
        let store = device.store();
        assert!(
            store.observation(secret.id).is_err(),
            "gone from the device"
        );
        assert!(
            store
                .list(&ListQuery::default())
                .unwrap()
                .iter()
                .all(|r| r.id != secret.id),
            "and from its lists"
        );
        assert_eq!(
            store.pending_count().unwrap(),
            0,
            "nothing about it waits to be sent"
        );
    }
    assert!(
        server.observations().iter().all(|o| o.id != secret.id),
        "the offline device did not bring it back"
    );
    assert_eq!(
        server.observations().len(),
        5,
        "the other reports are untouched"
    );
    assert_eq!(
        files_holding(dir.path(), SECRET),
        Vec::<String>::new(),
        "no file holds the erased text"
    );
    assert_eq!(
        files_holding(dir.path(), "Följt upp på plats"),
        Vec::<String>::new(),
        "nor the note written offline"
    );
}
