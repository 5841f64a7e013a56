//! Ten devices against a real server on loopback: random offline periods, concurrent
//! edits of the same reports, syncs cut off mid-request, the server restarted (and
//! crashed) mid-sync, replayed and truncated requests. At the end every device holds
//! every report exactly once (whole, or as a restricted summary where it may not read
//! it), the same lägesbild, and the same document as the server for what it may read.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lagesbild_core::sync::engine::Connection;
use lagesbild_core::sync::wire::{PushOutcome, PushRequest, PushResponse, WireChange};
use lagesbild_core::views;
use lagesbild_core::{ListQuery, ObservationId, ObservationRow};
use lagesbild_tests::{Backend, Device, Scenario, TestServer, now, user_action};

const SEED: u64 = 0x1a6e_5b11d;

fn rows(device: &Device) -> Vec<ObservationRow> {
    device.store().list(&ListQuery::default()).unwrap()
}

async fn ten_devices_converge_through_outages_restarts_and_interruptions(backend: Backend) {
    let Scenario {
        mut server,
        demo,
        codes,
    } = Scenario::on(backend)
        .named("Konvergens")
        .reports(20)
        .start()
        .await;
    let mut devices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        devices.push(Device::enroll(&server.url(), code, &format!("enhet {i}")).await);
    }
    // Second devices for the fältare, the police officer and a guard: ten in all.
    for person in [1, 3, 4] {
        let user = demo.people[person].user;
        let code = server
            .call(|s| s.enrolment_code(user, chrono::Duration::hours(1), now()))
            .unwrap();
        devices.push(Device::enroll(&server.url(), &code, &format!("extra {person}")).await);
    }
    assert_eq!(devices.len(), 10);

    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut recorded = Vec::new();
    let mut cut_off = 0;
    for round in 0..24 {
        for device in &devices {
            for _ in 0..rng.usize(0..3) {
                user_action(&mut device.store(), &mut rng, &mut recorded);
            }
        }
        // Each device is online this round with probability 0.7; some syncs are cut off
        // after a few milliseconds, mid-request or mid-response.
        let mut syncs = Vec::new();
        for device in &devices {
            if rng.f32() >= 0.7 {
                continue;
            }
            let device = device.clone();
            let cut = (rng.f32() < 0.25).then(|| Duration::from_millis(rng.u64(1..40)));
            syncs.push(tokio::spawn(async move {
                match cut {
                    Some(after) => tokio::time::timeout(after, device.sync()).await.is_err(),
                    None => {
                        device.sync().await;
                        false
                    }
                }
            }));
        }
        match round {
            8 => server.restart().await,
            16 => server.crash_and_restart().await,
            _ => {}
        }
        for sync in syncs {
            cut_off += usize::from(sync.await.unwrap());
        }
    }

    assert!(cut_off > 5, "syncs were cut off mid-way ({cut_off})");
    replayed_and_truncated_pushes_store_nothing_twice(&server, &devices[1], &mut recorded).await;

    // Everyone comes online and stays until nothing moves.
    for _ in 0..3 {
        for device in &devices {
            let status = device.sync().await;
            assert!(
                matches!(status.connection, Connection::Synced { .. }),
                "{status:?}"
            );
        }
    }

    let on_server = server.observations();
    let server_ids: BTreeSet<ObservationId> = on_server.iter().map(|o| o.id).collect();
    assert_eq!(on_server.len(), server_ids.len());
    assert_eq!(
        server_ids.len(),
        recorded.len() + 20,
        "every recorded report reached the server once"
    );
    for id in &recorded {
        assert!(server_ids.contains(id), "report {id} was lost");
    }
    let by_id: BTreeMap<ObservationId, &lagesbild_core::Observation> =
        on_server.iter().map(|o| (o.id, o)).collect();

    let week = now().week();
    let reference: Vec<_> = (0..3)
        .map(|back| {
            views::lagesbild(
                &devices[0].store(),
                demo.workspace.id,
                week.minus(back),
                &Default::default(),
            )
            .unwrap()
        })
        .collect();
    assert!(reference[0].total_reports > 0);
    for (i, device) in devices.iter().enumerate() {
        let store = device.store();
        assert_eq!(
            store.pending_count().unwrap(),
            0,
            "device {i} has nothing left to send"
        );
        assert!(
            store.refused_changes().unwrap().is_empty(),
            "device {i} had changes refused"
        );
        let rows = store.list(&ListQuery::default()).unwrap();
        let ids: BTreeSet<ObservationId> = rows.iter().map(|r| r.id).collect();
        assert_eq!(rows.len(), ids.len(), "device {i} holds no report twice");
        assert_eq!(ids, server_ids, "device {i} knows of every report");
        for row in rows.iter().filter(|r| !r.restricted) {
            assert_eq!(
                &&store.observation(row.id).unwrap(),
                by_id.get(&row.id).unwrap(),
                "device {i} agrees with the server on {}",
                row.id
            );
        }
        for theirs in &reference {
            let mine =
                views::lagesbild(&store, demo.workspace.id, theirs.week, &Default::default())
                    .unwrap();
            assert_eq!(
                &mine, theirs,
                "device {i} sees the same lägesbild for {}",
                theirs.week
            );
        }
    }
    let restricted: usize = devices
        .iter()
        .map(|d| rows(d).iter().filter(|r| r.restricted).count())
        .sum();
    assert!(restricted > 0, "the run exercised restricted visibility");
    eprintln!(
        "{} reports on the server, {} recorded in the run, {restricted} restricted rows across devices",
        server_ids.len(),
        recorded.len()
    );
}

/// A push sent twice stores once; a push cut in half stores nothing.
async fn replayed_and_truncated_pushes_store_nothing_twice(
    server: &TestServer,
    device: &Device,
    recorded: &mut Vec<ObservationId>,
) {
    let change = {
        let mut store = device.store();
        let o = store
            .record(
                &lagesbild_core::ObservationDraft {
                    category: Some("klotter".into()),
                    place: Some("Rönninge station".into()),
                    grade: Some(2),
                    ..Default::default()
                },
                now(),
            )
            .unwrap();
        recorded.push(o.id);
        let pending = store.pending_changes(100).unwrap();
        pending.into_iter().find(|p| p.doc_id == o.id.0).unwrap()
    };
    let request = PushRequest {
        changes: vec![WireChange {
            doc: change.doc_id,
            hash: change.change.hash.to_string(),
            bytes: change.change.bytes,
        }],
    };
    let url = format!("{}/v1/workspaces/{}/push", server.url(), device.workspace);
    let client = reqwest::Client::new();
    let body = serde_json::to_vec(&request).unwrap();
    let truncated = client
        .post(&url)
        .bearer_auth(&device.token)
        .header("content-type", "application/json")
        .body(body[..body.len() / 2].to_vec())
        .send()
        .await
        .unwrap();
    assert!(
        truncated.status().is_client_error(),
        "a truncated push is refused: {}",
        truncated.status()
    );
    assert!(
        !server
            .observations()
            .iter()
            .any(|o| o.id.0 == change.doc_id),
        "and stores nothing"
    );
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        let response: PushResponse = client
            .post(&url)
            .bearer_auth(&device.token)
            .json(&request)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        outcomes.push(response.results[0].outcome.clone());
    }
    assert_eq!(outcomes, [PushOutcome::Stored, PushOutcome::Duplicate]);
}

lagesbild_tests::on_both_backends!(
    async ten_devices_converge_through_outages_restarts_and_interruptions,
);
