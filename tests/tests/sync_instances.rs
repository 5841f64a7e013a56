//! Several server instances on one PostgreSQL database: devices talk to any of them,
//! long polls wake when a change arrives through another, a revoked device is refused
//! by all of them at once, one instance killed mid-push loses nothing — and the feed's
//! sequence numbers never let a reader pass a change that commits late.
//!
//! Server processes side by side are a PostgreSQL deployment (SQLite's server is one
//! process, and nothing tells a second one of the first's changes): the first test runs
//! on PostgreSQL only. The feed's order under writers on several handles holds on both
//! backends, and its two tests run on both.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lagesbild_core::sync::SyncStorage;
use lagesbild_core::sync::wire::FeedPage;
use lagesbild_core::{DocKind, Visibility};
use lagesbild_sync::storage::{NewChange, Storage};
use lagesbild_tests::scenario::blocking;
use lagesbild_tests::{
    Backend, Database, Device, ServerProcess, now, report_changes, server_command,
};

/// The demo workspace on `database`; an enrolment code per demo person, in order.
fn demo(database: &str, reports: usize) -> Vec<String> {
    let out = server_command(
        database,
        &[
            "demo",
            "--reports",
            &reports.to_string(),
            "--name",
            "Regionen",
        ],
    );
    out.lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_spread_over_two_instances_converge_when_one_is_killed_mid_push() {
    let db = Database::new(Backend::Postgres);
    let codes = demo(db.url(), 20);
    let one = ServerProcess::start(db.url(), 0).await;
    let mut two = ServerProcess::start(db.url(), 0).await;
    let mut devices = Vec::new();
    for (n, code) in codes.iter().take(6).enumerate() {
        let server = if n % 2 == 0 { &one.url } else { &two.url };
        devices.push(Device::enroll(server, code, &format!("Enhet {n}")).await);
    }

    // A long poll on one instance wakes when a report arrives through the other.
    let listener = devices[0].clone();
    let head = listener
        .store()
        .sync_state(listener.workspace)
        .unwrap()
        .cursor;
    let waiting = tokio::spawn(async move {
        let started = Instant::now();
        let page: FeedPage = listener.get(&format!("feed?since={head}&wait=25")).await;
        (started.elapsed(), page)
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let news = devices[1].report("Nyhet via den andra instansen");
    devices[1].sync().await;
    let (waited, page) = waiting.await.unwrap();
    assert!(!page.entries.is_empty(), "the long poll ended empty");
    assert!(
        waited < Duration::from_secs(15),
        "the long poll on one instance slept through a change on the other ({waited:?})"
    );

    // Every device reports; the devices of the second instance push while it is killed.
    let mut made = BTreeSet::from([news.id.0]);
    for round in 0..3 {
        for (n, device) in devices.iter().enumerate() {
            made.insert(
                device
                    .report(&format!("Rapport {round} från enhet {n}"))
                    .id
                    .0,
            );
        }
    }
    let pushes: Vec<_> = devices
        .iter()
        .filter(|d| d.server == two.url)
        .map(|d| {
            let d = d.clone();
            tokio::spawn(async move {
                let _ = lagesbild_client::sync_once(&d.store, &d.transport, d.workspace).await;
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(fastrand::u64(5..40))).await;
    two.kill();
    for push in pushes {
        push.await.unwrap();
    }
    // Their devices carry on through the first instance.
    let moved: Vec<Device> = devices.iter().map(|d| d.via(&one.url)).collect();
    for device in &moved {
        device.sync().await;
    }
    // The second instance comes back; devices spread over both again.
    let two = ServerProcess::start(db.url(), 0).await;
    let spread: Vec<Device> = moved
        .iter()
        .enumerate()
        .map(|(n, d)| d.via(if n % 2 == 0 { &two.url } else { &one.url }))
        .collect();
    for _ in 0..2 {
        for device in &spread {
            device.sync().await;
        }
    }
    let first = spread[0].report_ids();
    assert!(
        made.is_subset(&first),
        "missing: {:?}",
        made.difference(&first)
    );
    for device in &spread {
        assert_eq!(
            device.report_ids(),
            first,
            "every device holds the same reports"
        );
        let status = device.sync().await;
        assert_eq!((status.waiting, status.refused), (0, 0), "{status:?}");
    }
    // Nothing stored twice: each report is one document, each change one feed entry (a
    // change is known by its bytes, which its hash is taken of).
    let look = db.open();
    let (observations, changes, distinct) = blocking(|| {
        let mut tx = look.read().unwrap();
        let ws = devices[0].workspace;
        let observations = tx
            .documents(ws, uuid::Uuid::nil(), 1_000_000)
            .unwrap()
            .into_iter()
            .filter(|(_, d)| d.kind == DocKind::Observation)
            .count();
        let changes: Vec<Vec<u8>> = tx
            .feed(ws, 0, 1_000_000)
            .unwrap()
            .into_iter()
            .filter_map(|r| r.bytes)
            .collect();
        let distinct = changes.iter().collect::<BTreeSet<_>>().len();
        (observations, changes.len(), distinct)
    });
    assert_eq!(observations, first.len(), "documents on the server");
    assert_eq!(changes, distinct, "a change stored twice");

    // Revoked through the operator's command line (a third process), refused by both.
    let listed = server_command(db.url(), &["devices"]);
    let line = listed.lines().find(|l| l.contains("Enhet 3")).unwrap();
    let id = line.split_whitespace().next().unwrap();
    let poll = |server: &str| {
        devices[3]
            .via(server)
            .request(reqwest::Method::GET, "feed")
            .send()
    };
    for server in [&one.url, &two.url] {
        let polled = poll(server).await.unwrap();
        assert_eq!(polled.status(), 200, "{server}");
    }
    server_command(db.url(), &["revoke", id]);
    for server in [&one.url, &two.url] {
        let response = devices[3]
            .via(server)
            .request(reqwest::Method::GET, "register")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{server}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "revoked", "{server}: {body}");
        // Long polls present their credential often, and each instance knows it for a
        // moment: the database's word of the revocation ends that. It travels beside the
        // request, so it is given a moment too (not the two seconds a credential lasts).
        let asked = Instant::now();
        loop {
            let response = poll(server).await.unwrap();
            if response.status() == 401 {
                break;
            }
            assert!(
                asked.elapsed() < Duration::from_millis(500),
                "{server} still serves the revoked device's long poll"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    drop((one, two));
}

/// The classic gap, set up on purpose: one instance's push has taken sequence number N
/// and not committed; another instance's push would take N + 1 and commit first; a
/// reader reads in between. Without the per-workspace lock the reader sees N + 1, moves
/// its cursor past N, and never sees N. With it, the second push waits for the first
/// (on SQLite, for the database's one write lock).
fn a_change_that_commits_late_is_not_skipped_by_a_reader(backend: Backend) {
    let db = Database::new(backend);
    let storages: Vec<Box<dyn Storage>> = (0..3).map(|_| db.open()).collect();
    let [first, second, reader] = &storages[..] else {
        unreachable!()
    };
    let ws = lagesbild_core::WorkspaceId::new();
    let mut tx = first.write().unwrap();
    tx.save_workspace(&lagesbild_core::Workspace {
        id: ws,
        name: "Glappet".into(),
        grade_labels: None,
        tiles: None,
    })
    .unwrap();
    tx.commit().unwrap();
    let change = |n: u8| NewChange {
        workspace: ws,
        doc: uuid::Uuid::now_v7(),
        kind: DocKind::Observation,
        hash: Box::leak(Box::new([n; 32])),
        bytes: b"change",
        creates: true,
        device: None,
        org: None,
        visibility_before: Visibility::Alla,
        visibility_after: Visibility::Alla,
        received_at: now(),
    };
    let follow = |cursor: &mut i64, seen: &mut Vec<i64>| {
        let mut tx = reader.read().unwrap();
        for row in tx.feed(ws, *cursor, 100).unwrap() {
            *cursor = row.seq;
            seen.push(row.seq);
        }
    };
    let (mut cursor, mut seen) = (0, Vec::new());
    let mut late = first.write().unwrap();
    late.lock_feed(ws).unwrap();
    late.append_change(&change(1)).unwrap();
    std::thread::scope(|scope| {
        let early = scope.spawn(|| {
            let mut tx = second.write().unwrap();
            tx.lock_feed(ws).unwrap();
            tx.append_change(&change(2)).unwrap();
            tx.commit().unwrap();
        });
        // Time for the second push to commit, were it not made to wait.
        std::thread::sleep(Duration::from_millis(500));
        follow(&mut cursor, &mut seen);
        late.commit().unwrap();
        early.join().unwrap();
    });
    follow(&mut cursor, &mut seen);
    follow(&mut cursor, &mut seen);
    assert_eq!(seen.len(), 2, "the reader saw {seen:?} of two changes");
    assert!(seen[0] < seen[1]);
}

/// Changes pushed through two instances at once, each on its own connections, while a
/// reader follows the feed by cursor the way devices do: the reader sees every change,
/// and the feed holds each once.
fn a_reader_following_the_feed_sees_every_change_pushed_through_two_instances(backend: Backend) {
    let db = Database::new(backend);
    let first = db.service();
    let second = db.service();
    let demo = lagesbild_core::demo::workspace("Kapplöpning");
    first.install_demo(&demo, 0, now()).unwrap();
    let ws = demo.workspace.id;
    // Reports made on a device, one change each.
    let changes = report_changes(&demo, 600, now());
    let reader = db.open();
    let done = AtomicBool::new(false);
    let seen = std::thread::scope(|scope| {
        // Six writers, three per instance, pushing a few changes at a time (so each
        // write holds its numbers a little while before it commits).
        let writers: Vec<_> = changes
            .chunks(changes.len() / 6 + 1)
            .enumerate()
            .map(|(n, share)| {
                let service = if n % 2 == 0 { &first } else { &second };
                scope.spawn(move || {
                    for push in share.chunks(6) {
                        service.ingest_changes(ws, push, now()).unwrap();
                    }
                })
            })
            .collect();
        let following = scope.spawn(|| {
            let mut cursor = 0;
            let mut seen = BTreeSet::new();
            loop {
                let finished = done.load(Ordering::Acquire);
                let mut tx = reader.read().unwrap();
                let rows = tx.feed(ws, cursor, 1000).unwrap();
                drop(tx);
                for row in &rows {
                    seen.insert(row.seq);
                }
                if let Some(last) = rows.last() {
                    cursor = last.seq;
                } else if finished {
                    return seen;
                }
            }
        });
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, Ordering::Release);
        following.join().unwrap()
    });
    let mut tx = reader.read().unwrap();
    let all: BTreeSet<i64> = tx
        .feed(ws, 0, 100_000)
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(all.len(), changes.len());
    let skipped: Vec<_> = all.difference(&seen).collect();
    assert!(
        skipped.is_empty(),
        "the reader skipped {} changes: {skipped:?}",
        skipped.len()
    );
}

lagesbild_tests::on_both_backends!(
    blocking a_change_that_commits_late_is_not_skipped_by_a_reader,
    a_reader_following_the_feed_sees_every_change_pushed_through_two_instances,
);
