//! A backup taken while devices write, restored into a fresh server: the devices send
//! again what they made after the backup, and everyone carries on without a new
//! bootstrap.
//!
//! `lagesbild-sync backup` copies a SQLite server's database (PostgreSQL is backed up
//! with its own tools), so the server that is backed up runs on SQLite; the backup is
//! restored into either backend, and the devices carry on against it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;

use lagesbild_core::sync::SyncStorage;
use lagesbild_tests::scenario::observations;
use lagesbild_tests::{Backend, Database, Device, ServerProcess, now, server_command};

/// The reports in the SQLite database at `db`, read through the storage as a second
/// server instance would.
fn stored(db: &Path) -> BTreeSet<uuid::Uuid> {
    observations(&*Database::sqlite_at(db).open())
        .into_iter()
        .map(|o| o.id.0)
        .collect()
}

/// The reports in a backup, read on a copy of it (opening a database as the server does
/// sets it up; the backup is restored as it was written).
fn in_backup(backup: &Path) -> BTreeSet<uuid::Uuid> {
    let look = tempfile::tempdir().unwrap();
    let copy = look.path().join("backup.sqlite3");
    std::fs::copy(backup, &copy).unwrap();
    stored(&copy)
}

/// Restored into a new database on `backend`: a SQLite file that does not exist yet, or
/// an empty PostgreSQL database.
async fn a_backup_taken_under_load_restores_and_devices_send_again_what_it_lacks(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let restored = Database::new(backend);
    backup_and_restore(dir.path(), restored.url()).await;
}

lagesbild_tests::on_both_backends!(
    async a_backup_taken_under_load_restores_and_devices_send_again_what_it_lacks
);

/// Devices write while a backup is taken, and after; the server is lost and the backup
/// restored into `restored`; the devices carry on.
async fn backup_and_restore(dir: &Path, restored: &str) {
    let db = dir.join("server.sqlite3");
    let db_name = db.to_str().unwrap();
    let codes_file = dir.join("codes.json");
    server_command(
        db_name,
        &[
            "demo",
            "--reports",
            "10",
            "--codes",
            codes_file.to_str().unwrap(),
        ],
    );
    let codes: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&codes_file).unwrap()).unwrap();
    let mut server = ServerProcess::start(db_name, 0).await;
    let server_url = server.url.clone();
    let port: u16 = server_url.rsplit(':').next().unwrap().parse().unwrap();
    let mut devices = Vec::new();
    for (i, code) in codes.iter().enumerate().skip(1).take(3) {
        let code = code["code"].as_str().unwrap();
        devices.push(Device::enroll(&server.url, code, &format!("Telefon {i}")).await);
    }
    for (i, device) in devices.iter().enumerate() {
        device.report(&format!("Före säkerhetskopian {i}"));
        device.sync().await;
    }

    // Every device reports and syncs, round after round, while the backup is taken by
    // another process.
    let writers: Vec<_> = devices
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, device)| {
            tokio::spawn(async move {
                for round in 0..12 {
                    device.report(&format!("Under säkerhetskopian {i}.{round}"));
                    device.sync().await;
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let backup = dir.join("backup.sqlite3");
    let printed = {
        let (db, backup) = (db_name.to_string(), backup.to_str().unwrap().to_string());
        tokio::task::spawn_blocking(move || server_command(&db, &["backup", &backup]))
            .await
            .unwrap()
    };
    assert!(printed.contains("documents"), "{printed}");
    for writer in writers {
        writer.await.unwrap();
    }
    // After the backup: new reports, and a note on another device's report, which
    // builds on a change the backup may lack.
    let noted = devices[0].report("Efter säkerhetskopian, med anteckning");
    devices[0].sync().await;
    devices[1].sync().await;
    devices[1]
        .store()
        .add_note(noted.id, "Sett även av mig", false, now())
        .unwrap();
    for (i, device) in devices.iter().enumerate() {
        device.report(&format!("Efter säkerhetskopian {i}"));
        device.sync().await;
    }
    for device in &devices {
        device.sync().await;
    }
    let everything = stored(&db);
    let in_backup = in_backup(&backup);
    assert!(
        in_backup.len() < everything.len() && in_backup.len() > 10,
        "the backup holds some of what the devices wrote: {} of {}",
        in_backup.len(),
        everything.len()
    );
    assert!(in_backup.is_subset(&everything));

    // The server is lost; the backup is restored into a new database, served at the
    // same address.
    server.kill();
    let printed = server_command(restored, &["restore", backup.to_str().unwrap()]);
    assert!(printed.contains("new timeline"), "{printed}");
    let _server = ServerProcess::start(restored, port).await;
    // The note's device first: its change needs the report, which the other device
    // has not sent again yet, so it is refused until that arrives, then sent again.
    for _ in 0..3 {
        for device in devices.iter().rev() {
            device.sync().await;
        }
    }
    // A device enrolled now bootstraps from the restored server: every report made after
    // the backup was sent again.
    let newcomer = Device::enroll(&server_url, codes[5]["code"].as_str().unwrap(), "Ny").await;
    assert_eq!(newcomer.report_ids(), everything);
    for device in &devices {
        assert_eq!(device.report_ids(), everything);
        let store = device.store();
        let state = store.sync_state(device.workspace).unwrap();
        assert!(
            state.bootstrapped
                && store
                    .bootstrap_progress(device.workspace)
                    .unwrap()
                    .is_none()
        );
        assert!(store.refused_changes().unwrap().is_empty());
        assert_eq!(store.waiting(device.workspace).unwrap().pending, 0);
    }
    let note = newcomer.store().observation(noted.id).unwrap();
    assert_eq!(
        note.notes.len(),
        1,
        "the note made after the backup came back"
    );

    // And on: a report made now reaches everyone.
    let fresh = devices[2].report("Efter återställningen");
    devices[2].sync().await;
    for device in &devices {
        device.sync().await;
        assert!(device.report_ids().contains(&fresh.id.0));
    }
}
