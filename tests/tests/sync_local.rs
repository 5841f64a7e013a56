//! A device records before it is enrolled; once enrolled, its reports move into the
//! workspace and reach the server — those whose place the workspace knows by themselves,
//! the others when the user picks a place.
#![allow(clippy::unwrap_used)]

use lagesbild_core::{ListQuery, ObservationDraft, Position, Store};
use lagesbild_tests::{Backend, Device, Scenario, now};

fn draft(place: &str, grade: i64) -> ObservationDraft {
    ObservationDraft {
        category: Some("brak".into()),
        place: Some(place.into()),
        grade: Some(grade),
        description: Some(format!("innan anslutning vid {place}")),
        ..Default::default()
    }
}

async fn reports_made_before_enrolment_reach_the_server_after_it(backend: Backend) {
    let Scenario { server, codes, .. } = Scenario::on(backend).named("Före").start().await;

    // Not enrolled: the device records into its own local workspace.
    let mut store = Store::open_in_memory().unwrap();
    assert!(
        matches!(
            store.record(&draft("x", 3), now()),
            Err(lagesbild_core::Error::NoIdentity)
        ),
        "no identity yet"
    );
    let local_identity = store.start_local("Sam").unwrap();
    let position = Position {
        lat: 59.19,
        lon: 17.75,
        accuracy_m: Some(10.0),
    };
    // A place the workspace has (named in other case) and one it does not.
    store
        .add_local_place("rönninge STATION", Some(position))
        .unwrap();
    store.add_local_place("Gården bakom", None).unwrap();
    let known = store.record(&draft("rönninge STATION", 4), now()).unwrap();
    let unknown = store.record(&draft("Gården bakom", 2), now()).unwrap();
    store
        .add_note(known.id, "Lugnt igen 22:10", false, now())
        .unwrap();
    assert_eq!(known.workspace, local_identity.workspace);
    assert!(
        server.observations().is_empty(),
        "nothing can reach a server before enrolment"
    );

    // Enrolment, then the first sync: the register arrives, the known report moves.
    let device = Device::enroll_store(store, &server.url(), &codes[1], "telefon").await;
    device.sync().await;
    let on_server = server.observations();
    assert_eq!(on_server.len(), 1, "the report at a known place was sent");
    let sent = &on_server[0];
    assert_eq!(sent.id, known.id, "it keeps its id");
    assert_eq!(sent.workspace, device.workspace);
    assert_eq!(sent.grade.value(), 4);
    assert_eq!(sent.description(), "innan anslutning vid rönninge STATION");
    let me = device.store().require_identity().unwrap();
    assert_eq!(
        sent.reporter.user, me.user,
        "the enrolled user is the reporter"
    );
    assert_eq!(sent.notes.len(), 1, "its note came along");
    let station = device
        .store()
        .places(device.workspace)
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Rönninge station")
        .unwrap();
    assert_eq!(sent.place, station.id);

    // The other waits, still local, until the user picks a place.
    let local = device.store().local_workspace().unwrap();
    assert_eq!(local, Some(local_identity.workspace));
    let waiting = device
        .store()
        .list(&ListQuery {
            workspace: local,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].id, unknown.id);
    let other_place = device
        .store()
        .places(device.workspace)
        .unwrap()
        .into_iter()
        .find(|p| p.name != "Rönninge station" && p.area.is_some())
        .unwrap();
    let moved = device
        .store()
        .rehome(unknown.id, other_place.id, now())
        .unwrap();
    assert_eq!(moved.place, other_place.id);
    assert_eq!(device.store().local_workspace().unwrap(), None);
    device.sync().await;
    let on_server = server.observations();
    assert_eq!(on_server.len(), 2, "the second report was sent too");
    assert!(on_server.iter().all(|o| o.reporter.user == me.user));
}

lagesbild_tests::on_both_backends!(
    async reports_made_before_enrolment_reach_the_server_after_it,
);
