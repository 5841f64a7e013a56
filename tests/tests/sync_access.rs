//! Access, enforced by the server: every role against every visibility for pull (feed
//! and bootstrap), listing and push; unauthenticated, revoked and forged requests.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use lagesbild_core::doc::Document;
use lagesbild_core::sync::wire::{PushOutcome, PushResponse, RefusalCode, WireChange};
use lagesbild_core::{
    ListQuery, Observation, ObservationDraft, ObservationId, ObservationRow, Visibility,
};
use lagesbild_tests::{Backend, Device, Scenario, TestServer, forged_edit, now};

const VISIBILITIES: [&str; 3] = ["alla", "kommun-polis", "egen-organisation"];

struct World {
    server: TestServer,
    demo: lagesbild_core::demo::DemoWorkspace,
    devices: Vec<Device>,
    /// Every report, with its author's index.
    reports: Vec<(ObservationId, usize, Visibility)>,
}

async fn world(backend: Backend) -> World {
    let Scenario {
        server,
        demo,
        codes,
    } = Scenario::on(backend).named("Behörighet").start().await;
    let mut devices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        devices.push(Device::enroll(&server.url(), code, &format!("enhet {i}")).await);
    }
    let mut reports = Vec::new();
    for (i, device) in devices.iter().enumerate() {
        for visibility in VISIBILITIES {
            let draft = ObservationDraft {
                category: Some("grupperingar".into()),
                place: Some("Rönninge station".into()),
                grade: Some(2),
                visibility: Some(visibility.into()),
                description: Some(format!("Enhet {i}, {visibility}")),
                ..ObservationDraft::default()
            };
            let o = device.store().record(&draft, now()).unwrap();
            reports.push((o.id, i, o.visibility));
        }
    }
    for device in &devices {
        device.sync().await;
    }
    for device in &devices {
        device.sync().await;
    }
    World {
        server,
        demo,
        devices,
        reports,
    }
}

impl World {
    /// Who may read what, written out from the product's rules rather than taken from
    /// the code under test: everyone reads "alla"; "kommun-polis" is read by the
    /// municipality's and the police's people (demo people 0–3: the coordinator, two
    /// field workers, the police) and the author's own organisation; "egen-organisation"
    /// by the author's organisation only. Each demo person is in an organisation of
    /// their own.
    fn may_read(&self, reader: usize, author: usize, visibility: Visibility) -> bool {
        const MUNICIPALITY_AND_POLICE: [usize; 4] = [0, 1, 2, 3];
        reader == author
            || match visibility {
                Visibility::Alla => true,
                Visibility::KommunPolis => MUNICIPALITY_AND_POLICE.contains(&reader),
                Visibility::EgenOrganisation => false,
            }
    }
}

fn refusal(outcome: &PushOutcome) -> Option<RefusalCode> {
    match outcome {
        PushOutcome::Refused { code, .. } => Some(*code),
        _ => None,
    }
}

async fn every_role_sees_exactly_what_each_visibility_allows(backend: Backend) {
    let w = world(backend).await;
    for (reader, device) in w.devices.iter().enumerate() {
        let store = device.store();
        let rows: BTreeMap<ObservationId, bool> = store
            .list(&ListQuery::default())
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.restricted))
            .collect();
        assert_eq!(
            rows.len(),
            w.reports.len(),
            "device {reader} knows of every report, in full or restricted"
        );
        for (id, author, visibility) in &w.reports {
            let readable = w.may_read(reader, *author, *visibility);
            assert_eq!(
                rows[id], !readable,
                "role {:?} reading {visibility:?} by {:?}",
                w.demo.people[reader].role, w.demo.people[*author].role
            );
            assert_eq!(
                store.observation(*id).is_ok(),
                readable,
                "device {reader} holds the document only when it may read it"
            );
            if !readable {
                let row = store
                    .list(&ListQuery::default())
                    .unwrap()
                    .into_iter()
                    .find(|r| r.id == *id)
                    .unwrap();
                assert!(
                    row.description.is_empty() && row.reporter_name.is_empty(),
                    "a restricted row carries no details"
                );
            }
        }
    }
    // A new device bootstraps to the same picture.
    for (reader, person) in w.demo.people.iter().enumerate() {
        let code = w
            .server
            .call(|s| s.enrolment_code(person.user, chrono::Duration::hours(1), now()))
            .unwrap();
        let fresh = Device::enroll(&w.server.url(), &code, "ny enhet").await;
        // Projections first (restricted where it may not read), then the documents.
        let rows: BTreeMap<ObservationId, ObservationRow> = fresh
            .store()
            .list(&ListQuery::default())
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        for (id, author, visibility) in &w.reports {
            let readable = w.may_read(reader, *author, *visibility);
            let row = &rows[id];
            assert_eq!(row.restricted, !readable, "bootstrapped device {reader}");
            assert_eq!(
                fresh.store().observation(*id).is_ok(),
                readable,
                "bootstrapped device {reader} holds the document only when it may read it"
            );
            if !readable {
                assert!(row.description.is_empty() && row.reporter_name.is_empty());
            }
        }
    }
}

async fn only_the_reporter_and_the_coordinator_may_change_a_report_and_readers_may_add_notes(
    backend: Backend,
) {
    let w = world(backend).await;
    for (editor, device) in w.devices.iter().enumerate() {
        let (actor, readable): (automerge::ActorId, Vec<(ObservationId, usize)>) = {
            let store = device.store();
            let readable = w
                .reports
                .iter()
                .filter(|(id, _, _)| store.observation(*id).is_ok())
                .map(|(id, a, _)| (*id, *a))
                .collect();
            (store.actor().clone(), readable)
        };
        for (id, author) in readable {
            let (edit, note) = {
                let store = device.store();
                // A value no one else writes, so the edit really changes the report.
                let edit = forged_edit(&store, id, &actor, |o| {
                    o.people = Some(1000 + editor as u32)
                });
                let me = store.require_identity().unwrap().reporter();
                let note = forged_edit(&store, id, &actor, |o| {
                    o.notes.push(lagesbild_core::Note {
                        id: lagesbild_core::NoteId::new(),
                        author: me,
                        at: now(),
                        text: "Sett".into(),
                    })
                });
                (edit, note)
            };
            let may_edit = editor == author || w.demo.people[editor].role.is_coordinator();
            let outcome = device.push_one(edit).await;
            // Refused by the field table, or (an edit on top of another's) as a hidden
            // concurrent write to what only the reporter or the coordinator may change.
            assert_eq!(
                refusal(&outcome).is_some_and(|c| matches!(
                    c,
                    RefusalCode::ForbiddenField | RefusalCode::Forbidden
                )),
                !may_edit,
                "device {editor} editing a report by {author}: {outcome:?}"
            );
            // The note builds on the edit only when the edit was stored.
            if may_edit {
                continue;
            }
            assert_eq!(
                device.push_one(note).await,
                PushOutcome::Stored,
                "device {editor} may add a note to what it reads"
            );
        }
    }
}

async fn a_change_to_a_report_one_may_not_read_is_refused(backend: Backend) {
    let w = world(backend).await;
    let guard = 4;
    let (secret, _, _) = *w
        .reports
        .iter()
        .find(|(_, a, v)| *a == 2 && *v == Visibility::EgenOrganisation)
        .unwrap();
    let change = {
        let store = w.devices[guard].store();
        assert!(
            store.observation(secret).is_err(),
            "the guard cannot read social services' own report"
        );
        // Forge a document with the same id, as if to overwrite it.
        let me = store.require_identity().unwrap().reporter();
        let mut fake = w.server_observation(secret);
        fake.reporter = me;
        fake.description = autosurgeon::Text::with_value("överskrivet");
        Document::create(store.actor(), &fake, now()).unwrap().1
    };
    let outcome = w.devices[guard]
        .push_one(WireChange {
            doc: secret.0,
            hash: change.hash.to_string(),
            bytes: change.bytes,
        })
        .await;
    assert_eq!(
        refusal(&outcome),
        Some(RefusalCode::Forbidden),
        "{outcome:?}"
    );
    assert_eq!(
        w.server_observation(secret).description(),
        "Enhet 2, egen-organisation",
        "the report is untouched"
    );
}

impl World {
    fn server_observation(&self, id: ObservationId) -> Observation {
        self.server
            .observations()
            .into_iter()
            .find(|o| o.id == id)
            .unwrap()
    }
}

async fn forged_and_malformed_changes_are_refused_precisely_and_store_nothing(backend: Backend) {
    let w = world(backend).await;
    let fältare = &w.devices[1];
    let own = w.reports.iter().find(|(_, a, _)| *a == 1).unwrap().0;
    let before = w.server.observations();

    // Written with another device's actor.
    let other_actor = w.devices[2].store().actor().clone();
    let change = forged_edit(&fältare.store(), own, &other_actor, |o| o.people = Some(3));
    assert_eq!(
        refusal(&fältare.push_one(change).await),
        Some(RefusalCode::WrongAuthor)
    );

    // Claiming another document.
    let actor = fältare.store().actor().clone();
    let mut change = forged_edit(&fältare.store(), own, &actor, |o| o.people = Some(4));
    change.doc = uuid::Uuid::now_v7();
    assert_eq!(
        refusal(&fältare.push_one(change).await),
        Some(RefusalCode::MissingDependencies)
    );
    let fresh = {
        let store = fältare.store();
        let mut o = store.observation(own).unwrap();
        o.id = ObservationId::new();
        o.description = autosurgeon::Text::with_value(o.description());
        let (_, change) = Document::create(&actor, &o, now()).unwrap();
        WireChange {
            doc: uuid::Uuid::now_v7(),
            hash: change.hash.to_string(),
            bytes: change.bytes,
        }
    };
    assert_eq!(
        refusal(&fältare.push_one(fresh).await),
        Some(RefusalCode::WrongDocument)
    );

    // Not a change; a hash that does not match.
    let garbage = WireChange {
        doc: own.0,
        hash: "00".repeat(32),
        bytes: b"inte en automerge-\xe4ndring".to_vec(),
    };
    assert_eq!(
        refusal(&fältare.push_one(garbage).await),
        Some(RefusalCode::Undecodable)
    );
    let mut mismatched = forged_edit(&fältare.store(), own, &actor, |o| o.people = Some(5));
    mismatched.hash = "11".repeat(32);
    assert_eq!(
        refusal(&fältare.push_one(mismatched).await),
        Some(RefusalCode::Undecodable)
    );

    // Building on a change the server never got.
    let (first, second) = {
        let store = fältare.store();
        let mut doc = Document::new(&actor);
        doc.apply(&store.document_changes(own.as_uuid()).unwrap())
            .unwrap();
        let mut o: Observation = doc.read().unwrap();
        o.people = Some(6);
        let first = doc.update(&o, now()).unwrap().remove(0);
        let mut o: Observation = doc.read().unwrap();
        o.people = Some(7);
        let second = doc.update(&o, now()).unwrap().remove(0);
        (first, second)
    };
    let _ = first;
    let orphan = WireChange {
        doc: own.0,
        hash: second.hash.to_string(),
        bytes: second.bytes,
    };
    assert_eq!(
        refusal(&fältare.push_one(orphan).await),
        Some(RefusalCode::MissingDependencies)
    );

    // A grade the record cannot hold, written with raw Automerge.
    let invalid = {
        let store = fältare.store();
        let mut doc = automerge::AutoCommit::new().with_actor(actor.clone());
        for c in store.document_changes(own.as_uuid()).unwrap() {
            doc.apply_changes([automerge::Change::from_bytes(c.bytes).unwrap()])
                .unwrap();
        }
        doc.put(automerge::ROOT, "grade", 9_u64).unwrap();
        doc.commit();
        let change = doc.get_last_local_change().unwrap();
        WireChange {
            doc: own.0,
            hash: change.hash().to_string(),
            bytes: change.raw_bytes().to_vec(),
        }
    };
    assert_eq!(
        refusal(&fältare.push_one(invalid).await),
        Some(RefusalCode::InvalidRecord)
    );

    // Bytes damaged in transit: every variant is refused and the server keeps serving.
    let valid = forged_edit(&fältare.store(), own, &actor, |o| o.people = Some(8));
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..200 {
        let mut damaged = valid.clone();
        for _ in 0..rng.usize(1..4) {
            let at = rng.usize(..damaged.bytes.len());
            damaged.bytes[at] = rng.u8(..);
        }
        if rng.bool() {
            damaged.bytes.truncate(rng.usize(..damaged.bytes.len()));
        }
        if damaged.bytes == valid.bytes {
            continue; // the "damage" wrote back the same bytes
        }
        let response = fältare.push_raw(vec![damaged]).await;
        assert_eq!(
            response.status(),
            200,
            "a damaged change is an outcome, not a failure"
        );
        let outcome: PushResponse = response.json().await.unwrap();
        assert!(
            matches!(outcome.results[0].outcome, PushOutcome::Refused { .. }),
            "{:?}",
            outcome.results[0]
        );
    }
    assert_eq!(
        w.server.observations(),
        before,
        "nothing forged or damaged was stored"
    );
    assert_eq!(
        fältare.push_one(valid).await,
        PushOutcome::Stored,
        "and the real change still goes through"
    );
}

async fn unauthenticated_revoked_and_misdirected_requests_are_refused(backend: Backend) {
    let w = world(backend).await;
    let client = reqwest::Client::new();
    let feed =
        |workspace: String| format!("{}/v1/workspaces/{workspace}/feed?since=0", w.server.url());
    let ws = w.demo.workspace.id.to_string();
    assert_eq!(
        client.get(feed(ws.clone())).send().await.unwrap().status(),
        401,
        "no credential"
    );
    assert_eq!(
        client
            .get(feed(ws.clone()))
            .bearer_auth("förfalskad")
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "a forged credential"
    );
    let other = lagesbild_core::WorkspaceId::new().to_string();
    assert_eq!(
        client
            .get(feed(other))
            .bearer_auth(&w.devices[1].token)
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "another workspace"
    );

    let too_big = vec![b'x'; lagesbild_sync::http::MAX_BODY_BYTES + 1];
    let response = client
        .post(format!("{}/v1/workspaces/{ws}/push", w.server.url()))
        .bearer_auth(&w.devices[1].token)
        .header("content-type", "application/json")
        .body(too_big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413, "an oversized request is refused");

    // Revoke the guard's device; what it sends afterwards is not stored.
    let guard = &w.devices[4];
    let device = guard.store().credential().unwrap().unwrap().device;
    w.server.call(|s| s.revoke_device(device, now())).unwrap();
    let recorded = guard
        .store()
        .record(
            &ObservationDraft {
                category: Some("klotter".into()),
                place: Some("Säby gård".into()),
                grade: Some(1),
                ..Default::default()
            },
            now(),
        )
        .unwrap();
    let status = guard.sync().await;
    assert!(
        matches!(
            status.connection,
            lagesbild_core::sync::engine::Connection::Revoked { .. }
        ),
        "{status:?}"
    );
    assert_eq!(status.waiting, 1, "the report stays on the device");
    assert!(
        w.server.observations().iter().all(|o| o.id != recorded.id),
        "and never reaches the server"
    );
    let erase = client
        .post(format!(
            "{}/v1/workspaces/{ws}/observations/{}/erase",
            w.server.url(),
            w.reports[0].0
        ))
        .bearer_auth(&w.devices[1].token)
        .send()
        .await
        .unwrap();
    assert_eq!(erase.status(), 403, "only the coordinator erases");
}

lagesbild_tests::on_both_backends!(
    async every_role_sees_exactly_what_each_visibility_allows,
    only_the_reporter_and_the_coordinator_may_change_a_report_and_readers_may_add_notes,
    a_change_to_a_report_one_may_not_read_is_refused,
    forged_and_malformed_changes_are_refused_precisely_and_store_nothing,
    unauthenticated_revoked_and_misdirected_requests_are_refused,
);
