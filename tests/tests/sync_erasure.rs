//! Erasure: the coordinator erases a report; it disappears from the server and from
//! every device at its next sync, a device that was offline cannot bring it back, and
//! its text cannot be read from any SQLite file afterwards. The devices' files are
//! encrypted, so their bytes never show it; the server's file shows it until erasure.
//!
//! On both backends. The server's files are looked at on SQLite only: on PostgreSQL the
//! bytes of deleted rows stay in the tables' free space until the operator's `purge`
//! rewrites them (the README's "Erasure on PostgreSQL"), which
//! `storage_contract::an_erased_document_is_gone_from_the_files` checks on both.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use lagesbild_core::store::StoreKey;
use lagesbild_core::{ListQuery, ObservationDraft, Store};
use lagesbild_tests::{Backend, Device, Scenario, now};

const SECRET: &str = "Kännetecken-7F3A9 vid cykelstället";

/// Which files in `dirs` (databases, write-ahead logs) hold `needle`.
fn files_holding(dirs: &[PathBuf], needle: &str) -> Vec<String> {
    dirs.iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap())
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

async fn an_erased_report_is_gone_everywhere_and_stays_gone(backend: Backend) {
    let Scenario { server, codes, .. } = Scenario::on(backend)
        .named("Radering")
        .reports(5)
        .start()
        .await;
    // The devices' stores; on SQLite, the server's database (and its log) too.
    let dir = tempfile::tempdir().unwrap();
    let mut dirs = vec![dir.path().to_path_buf()];
    let server_file = server.database().sqlite_path();
    dirs.extend(
        server_file
            .iter()
            .map(|f| f.parent().unwrap().to_path_buf()),
    );
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

    let holding = files_holding(&dirs, SECRET);
    if let Some(server_file) = &server_file {
        let server_file = server_file.display().to_string();
        assert!(
            holding.iter().any(|f| f.starts_with(&server_file)),
            "before erasure the text is in the server's files (the check can see it): {holding:?}"
        );
    }
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
        files_holding(&dirs, SECRET),
        Vec::<String>::new(),
        "no file holds the erased text"
    );
    assert_eq!(
        files_holding(&dirs, "Följt upp på plats"),
        Vec::<String>::new(),
        "nor the note written offline"
    );
}

lagesbild_tests::on_both_backends!(
    async an_erased_report_is_gone_everywhere_and_stays_gone,
);
