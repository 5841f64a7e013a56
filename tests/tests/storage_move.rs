//! A municipality moves from SQLite to PostgreSQL with one command, and its devices
//! carry on from their cursors: nothing is bootstrapped again, nothing is lost, and what
//! was erased stays erased. The move is from one backend to the other, so the test runs
//! on both by its nature: the server on SQLite, then on PostgreSQL.
#![allow(clippy::unwrap_used)]

use lagesbild_core::Role;
use lagesbild_core::sync::SyncStorage;
use lagesbild_core::sync::wire::{FeedEntry, FeedPage, PushOutcome};
use lagesbild_tests::postgres::TestDatabase;
use lagesbild_tests::{Device, ServerProcess, TestServer, server_command, wire_changes};

/// The workspace's audit log as the coordinator's device reads it.
async fn audit_csv(coordinator: &Device) -> String {
    coordinator
        .request(reqwest::Method::GET, "audit.csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_municipality_moves_from_sqlite_to_postgres_and_its_devices_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("server.sqlite3");
    let mut server = TestServer::start(&sqlite).await;
    let demo = lagesbild_core::demo::workspace("Flytten");
    let codes = server.install_demo(&demo, 40);
    let coordinator = demo
        .people
        .iter()
        .position(|p| p.role == Role::Samordnare)
        .unwrap();
    let reporter = (coordinator + 1) % demo.people.len();
    let coordinator = Device::enroll(&server.url(), &codes[coordinator], "Laptop").await;
    let reporter = Device::enroll(&server.url(), &codes[reporter], "Telefon").await;
    let erased = reporter.report("Sprayat på perrongen");
    let kept = reporter.report("Krossad ruta i väntkuren");
    let erased_changes = wire_changes(&reporter.store(), erased.id.0);
    reporter.sync().await;
    coordinator.sync().await;
    coordinator
        .transport
        .erase(coordinator.workspace, erased.id)
        .await
        .unwrap();
    coordinator.sync().await;
    reporter.sync().await;
    let before = coordinator.report_ids().len();
    assert_eq!(reporter.report_ids().len(), before);
    let cursor = coordinator
        .store()
        .sync_state(coordinator.workspace)
        .unwrap()
        .cursor;
    assert!(cursor > 0);
    let audit_before = audit_csv(&coordinator).await;
    let timeline = coordinator
        .get::<FeedPage>(&format!("feed?since={cursor}"))
        .await
        .timeline;
    assert!(timeline.is_some());
    server.stop().await;
    let port = server.addr.port();
    drop(server);

    // The move: one command, then the server on PostgreSQL at the same address.
    let db = TestDatabase::create();
    let moved = server_command(sqlite.to_str().unwrap(), &["move-to-postgres", &db.url]);
    assert!(moved.contains("feed"), "{moved}");
    let pg = ServerProcess::start(&db.url, port).await;

    // The reporter's new report reaches the coordinator through the feed, from the
    // cursor it had: one new entry, no bootstrap.
    let fresh = reporter.report("Brand i papperskorg");
    reporter.sync().await;
    let page: FeedPage = coordinator.get(&format!("feed?since={cursor}")).await;
    assert_eq!(page.timeline, timeline, "the same history goes on");
    let docs: Vec<_> = page
        .entries
        .iter()
        .filter_map(|e| match e {
            FeedEntry::Document { doc, .. } | FeedEntry::Change { doc, .. } => Some(*doc),
            _ => None,
        })
        .collect();
    assert!(
        !docs.is_empty() && docs.iter().all(|d| *d == fresh.id.0),
        "only the new report after the old cursor: {:?}",
        page.entries
    );
    coordinator.sync().await;
    assert_eq!(coordinator.report_ids().len(), before + 1);
    let state = coordinator
        .store()
        .sync_state(coordinator.workspace)
        .unwrap();
    assert!(state.cursor > cursor && state.bootstrapped);
    assert!(coordinator.store().observation(kept.id).is_ok());
    assert!(coordinator.store().observation(fresh.id).is_ok());

    // What was erased stays erased: its changes, sent again as by a device that was
    // offline, are refused on PostgreSQL too.
    for change in erased_changes {
        assert_eq!(reporter.push_one(change).await, PushOutcome::Erased);
    }

    // People, codes and the audit log came along: a new device enrols on PostgreSQL and
    // bootstraps everything, and the log holds what was logged before the move.
    let users = server_command(&db.url, &["devices"]);
    assert!(
        users.contains("Laptop") && users.contains("Telefon"),
        "{users}"
    );
    let police = demo.people.iter().find(|p| p.role == Role::Polis).unwrap();
    let code = server_command(&db.url, &["enroll", "--user", &police.user.to_string()]);
    let code = code.lines().next().unwrap().trim().to_string();
    let newcomer = Device::enroll(&pg.url, &code, "Polisens platta").await;
    assert!(!newcomer.report_ids().is_empty());
    let audit_after = audit_csv(&coordinator).await;
    assert!(
        audit_after.starts_with(audit_before.trim_end()),
        "the log kept its order"
    );
    assert!(audit_after.contains(",observation.erase,"));
    assert!(
        audit_after.len() > audit_before.len(),
        "the new enrolment was logged"
    );
    drop(pg);
}
