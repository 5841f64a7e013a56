//! While connected, a device sees others' reports within about a second (long poll);
//! a police officer's device syncs every workspace it serves; status tells what waits.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use lagesbild_client::Syncer;
use lagesbild_core::sync::engine::Connection;
use lagesbild_core::{ListQuery, ObservationDraft, OrganisationKind, Role, Store};
use lagesbild_tests::{Backend, Device, Scenario, now};
use tokio::sync::watch;

fn draft(place: &str) -> ObservationDraft {
    ObservationDraft {
        category: Some("brak".into()),
        place: Some(place.into()),
        grade: Some(4),
        ..Default::default()
    }
}

async fn arrives(
    device: &Device,
    workspace: lagesbild_core::WorkspaceId,
    id: lagesbild_core::ObservationId,
    within: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        let known = device
            .store()
            .list(&ListQuery {
                workspace: Some(workspace),
                ..Default::default()
            })
            .unwrap()
            .iter()
            .any(|r| r.id == id);
        if known {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn a_report_reaches_a_connected_device_by_long_poll(backend: Backend) {
    let Scenario { server, codes, .. } =
        Scenario::on(backend).named("Live").reports(3).start().await;
    let a = Device::enroll(&server.url(), &codes[1], "a").await;
    let b = Device::enroll(&server.url(), &codes[4], "b").await;
    let (stop, stopping) = watch::channel(false);
    let syncer_a = Syncer::start(
        &tokio::runtime::Handle::current(),
        a.store.clone(),
        a.transport.clone(),
        &[a.workspace],
        stopping.clone(),
    );
    let syncer_b = Syncer::start(
        &tokio::runtime::Handle::current(),
        b.store.clone(),
        b.transport.clone(),
        &[b.workspace],
        stopping,
    );
    // Let both settle into their long polls.
    let mut status_b = syncer_b.status();
    tokio::time::timeout(
        Duration::from_secs(10),
        status_b.wait_for(|s| {
            s.values()
                .any(|s| matches!(s.connection, Connection::Synced { .. }))
        }),
    )
    .await
    .unwrap()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let recorded = a.store().record(&draft("Rönninge station"), now()).unwrap();
    syncer_a.wake();
    // The long poll waits 25 s on the server: arriving well before that means it was
    // pushed through the open poll, not picked up by a later round.
    let took = arrives(&b, b.workspace, recorded.id, Duration::from_secs(10))
        .await
        .expect("the report reached the other device");
    eprintln!(
        "a report reached the other device in {} ms",
        took.as_millis()
    );
    assert!(took < Duration::from_secs(10));
    let status = syncer_b
        .status()
        .borrow()
        .get(&b.workspace)
        .cloned()
        .unwrap();
    assert!(
        status.live,
        "the device is on a long poll, not periodic sync"
    );
    stop.send_replace(true);
}

/// An officer who serves two municipalities has a device enrolled by each: a device acts
/// only in the workspace that enrolled it, and syncs that workspace's reports.
async fn a_police_officer_serving_two_workspaces_syncs_each_on_the_device_it_enrolled(
    backend: Backend,
) {
    let Scenario {
        server,
        demo: salem,
        ..
    } = Scenario::on(backend)
        .named("Salem")
        .reports(2)
        .start()
        .await;
    let botkyrka = lagesbild_core::demo::workspace("Botkyrka");
    let botkyrka_codes = server.install_demo(&botkyrka, 2);
    // The Salem officer serves Botkyrka too, in Botkyrka's police organisation.
    let officer = salem.people[3].user;
    let police_in_botkyrka = botkyrka
        .organisations
        .iter()
        .find(|o| o.kind == OrganisationKind::Polis)
        .unwrap()
        .id;
    let workspace = botkyrka.workspace.id;
    server
        .call(|s| s.add_membership(officer, workspace, police_in_botkyrka, Role::Polis, now()))
        .unwrap();
    let code = |workspace| {
        server
            .call(|s| {
                s.enrolment_code_in(officer, Some(workspace), chrono::Duration::hours(1), now())
            })
            .unwrap()
    };
    let police = Device::enroll(
        &server.url(),
        &code(botkyrka.workspace.id),
        "polisens platta i Botkyrka",
    )
    .await;
    let memberships = police.store().memberships().unwrap();
    assert_eq!(
        memberships
            .iter()
            .map(|m| m.workspace.id)
            .collect::<Vec<_>>(),
        [botkyrka.workspace.id],
        "the device Botkyrka enrolled is Botkyrka's only"
    );

    let botkyrka_guard = Device::enroll(&server.url(), &botkyrka_codes[4], "vakt").await;
    let report = botkyrka_guard
        .store()
        .record(&draft("Rönninge station"), now())
        .unwrap();
    botkyrka_guard.sync().await;

    let (stop, stopping) = watch::channel(false);
    let workspaces: Vec<_> = police
        .store()
        .memberships()
        .unwrap()
        .iter()
        .map(|m| m.workspace.id)
        .collect();
    let _syncer = Syncer::start(
        &tokio::runtime::Handle::current(),
        police.store.clone(),
        police.transport.clone(),
        &workspaces,
        stopping,
    );
    arrives(
        &police,
        botkyrka.workspace.id,
        report.id,
        Duration::from_secs(10),
    )
    .await
    .expect("the Botkyrka report reached the officer");
    // Salem's reports reach the officer's device Salem enrolled, not Botkyrka's.
    let salem_tablet = Device::enroll(
        &server.url(),
        &code(salem.workspace.id),
        "polisens platta i Salem",
    )
    .await;
    salem_tablet.sync().await;
    let salem_rows = |device: &Device| {
        device
            .store()
            .list(&ListQuery {
                workspace: Some(salem.workspace.id),
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    assert_eq!(
        salem_rows(&salem_tablet),
        2,
        "Salem's reports arrive in Salem"
    );
    assert_eq!(
        salem_rows(&police),
        0,
        "the device Botkyrka enrolled holds nothing of Salem"
    );
    let botkyrka_rows = police
        .store()
        .list(&ListQuery {
            workspace: Some(botkyrka.workspace.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        botkyrka_rows.len(),
        3,
        "and Botkyrka's stay Botkyrka's: two demo reports and the guard's"
    );
    stop.send_replace(true);
}

async fn status_shows_offline_and_what_waits(backend: Backend) {
    let Scenario {
        mut server, codes, ..
    } = Scenario::on(backend).named("Status").start().await;
    let device = Device::enroll_store(
        Store::open_in_memory().unwrap(),
        &server.url(),
        &codes[1],
        "a",
    )
    .await;
    server.crash_and_restart().await;
    let unreachable =
        lagesbild_client::HttpTransport::new("http://127.0.0.1:9", &device.token, None).unwrap();
    let offline = Device {
        transport: unreachable,
        ..device.clone()
    };
    offline.store().record(&draft("Säby gård"), now()).unwrap();
    offline.store().record(&draft("Säby gård"), now()).unwrap();
    let status = offline.sync().await;
    assert!(
        matches!(status.connection, Connection::Offline { .. }),
        "{status:?}"
    );
    assert_eq!(status.waiting, 2, "two reports wait to be sent");
    let status = device.sync().await;
    assert!(matches!(status.connection, Connection::Synced { .. }));
    assert_eq!(status.waiting, 0);
}

lagesbild_tests::on_both_backends!(
    async a_report_reaches_a_connected_device_by_long_poll,
    a_police_officer_serving_two_workspaces_syncs_each_on_the_device_it_enrolled,
    status_shows_offline_and_what_waits,
);
