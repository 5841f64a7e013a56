//! The coordinator changes the register from a device: places added, renamed and merged,
//! categories added and retired. Other devices follow; reports keep their place and
//! category; a merged place's reports count for the place it merged into.
#![allow(clippy::unwrap_used)]

use lagesbild_core::sync::engine::TransportError;
use lagesbild_core::sync::wire::RegisterChange;
use lagesbild_core::views;
use lagesbild_core::{ObservationDraft, ObservationFilter, PlaceKind};
use lagesbild_tests::{Backend, Device, Scenario, now};

fn draft(place: &str, category: &str) -> ObservationDraft {
    ObservationDraft {
        category: Some(category.into()),
        place: Some(place.into()),
        grade: Some(3),
        ..Default::default()
    }
}

/// A server on `backend` with a demo workspace (no reports), its coordinator's device
/// and a field worker's.
async fn workspace(backend: Backend, name: &str) -> (Scenario, Device, Device) {
    let s = Scenario::on(backend).named(name).start().await;
    let coordinator = s.enroll(0, "samordnare").await;
    let field = s.enroll(1, "fält").await;
    (s, coordinator, field)
}

async fn the_coordinator_keeps_the_register_and_devices_follow(backend: Backend) {
    let (s, coordinator, field) = workspace(backend, "Register").await;
    let demo = &s.demo;
    let ws = coordinator.workspace;
    let area = demo
        .places
        .iter()
        .find(|p| p.kind == PlaceKind::Omrade && p.name == "Salems centrum")
        .unwrap();
    let hall = demo
        .places
        .iter()
        .find(|p| p.name == "Salemhallen")
        .unwrap();

    // A field worker may not.
    let refused = field
        .transport
        .change_register(
            ws,
            &RegisterChange::AddPlace {
                name: "Lekplatsen".into(),
                is_area: false,
                area: Some(area.id),
                lat: 59.2,
                lon: 17.77,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(refused, TransportError::Rejected { status: 403, .. }),
        "{refused:?}"
    );

    // The coordinator adds a place; a taken name is refused.
    let add = RegisterChange::AddPlace {
        name: "Salems idrottsplats".into(),
        is_area: false,
        area: Some(area.id),
        lat: 59.2041,
        lon: 17.7761,
    };
    let register = coordinator
        .transport
        .change_register(ws, &add)
        .await
        .unwrap();
    let sports = register
        .places
        .iter()
        .find(|p| p.name == "Salems idrottsplats")
        .unwrap()
        .clone();
    let taken = coordinator
        .transport
        .change_register(ws, &add)
        .await
        .unwrap_err();
    assert!(
        matches!(taken, TransportError::Rejected { status: 400, .. }),
        "{taken:?}"
    );

    // A report at the hall, then the hall merges into the sports ground.
    field
        .store()
        .record(&draft("Salemhallen", "brak"), now())
        .unwrap();
    field.sync().await;
    coordinator
        .transport
        .change_register(
            ws,
            &RegisterChange::MergePlace {
                place: hall.id,
                into: sports.id,
            },
        )
        .await
        .unwrap();
    // The sports ground lies elsewhere than first set; a position off the earth is refused.
    let moved = coordinator
        .transport
        .change_register(
            ws,
            &RegisterChange::MovePlace {
                place: sports.id,
                lat: 59.2051,
                lon: 17.7702,
            },
        )
        .await
        .unwrap();
    let at = moved.places.iter().find(|p| p.id == sports.id).unwrap();
    assert_eq!((at.lat, at.lon), (59.2051, 17.7702));
    let off = coordinator
        .transport
        .change_register(
            ws,
            &RegisterChange::MovePlace {
                place: sports.id,
                lat: 95.0,
                lon: 17.7,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(off, TransportError::Rejected { status: 400, .. }),
        "{off:?}"
    );
    coordinator
        .transport
        .change_register(
            ws,
            &RegisterChange::RenamePlace {
                place: sports.id,
                name: "Salems idrottsplats och hall".into(),
            },
        )
        .await
        .unwrap();
    assert!(
        register.categories.iter().all(|c| c.key != "buskorning"),
        "not a default category"
    );
    let added = coordinator
        .transport
        .change_register(
            ws,
            &RegisterChange::AddCategory {
                name_sv: "Buskörning".into(),
                name_en: "Reckless driving".into(),
                parent: None,
            },
        )
        .await
        .unwrap();
    assert!(added.categories.iter().any(|c| c.key == "buskorning"));
    coordinator
        .transport
        .change_register(
            ws,
            &RegisterChange::RetireCategory {
                key: "klotter".into(),
            },
        )
        .await
        .unwrap();

    // The field device follows at its next sync.
    field.sync().await;
    let store = field.store();
    let places = store.places(ws).unwrap();
    let sports_ground = places
        .iter()
        .find(|p| p.name == "Salems idrottsplats och hall")
        .unwrap();
    assert_eq!((sports_ground.lat, sports_ground.lon), (59.2051, 17.7702));
    let merged = places.iter().find(|p| p.id == hall.id).unwrap();
    assert_eq!(merged.merged_into, Some(sports.id));
    drop(store);
    // No new reports at a merged place or in a retired category; the old report stays.
    let merged = field
        .store()
        .record(&draft("Salemhallen", "brak"), now())
        .unwrap_err();
    assert!(
        matches!(&merged, lagesbild_core::Error::Invalid(v) if v.field == lagesbild_core::Field::Place),
        "{merged:?}"
    );
    let retired = field
        .store()
        .record(&draft("Rönninge station", "klotter"), now())
        .unwrap_err();
    assert!(
        matches!(&retired, lagesbild_core::Error::Invalid(v) if v.field == lagesbild_core::Field::Category),
        "{retired:?}"
    );
    field
        .store()
        .record(&draft("Salems idrottsplats och hall", "buskorning"), now())
        .unwrap();
    let picture = views::lagesbild(
        &field.store(),
        ws,
        now().week(),
        &ObservationFilter::default(),
    )
    .unwrap();
    let counted = picture
        .places
        .iter()
        .find(|s| s.place == sports.id)
        .unwrap();
    assert_eq!(
        counted.reports, 2,
        "the hall's report counts for the place it merged into"
    );
    assert!(picture.places.iter().all(|s| s.place != hall.id));
    let rows = field.store().list(&Default::default()).unwrap();
    assert!(
        rows.iter().any(|r| r.place == hall.id),
        "the report keeps its place"
    );
}

async fn a_report_made_offline_before_its_place_merged_still_reaches_everyone(backend: Backend) {
    let (s, coordinator, field) = workspace(backend, "Offline").await;
    let (server, demo) = (&s.server, &s.demo);
    let ws = coordinator.workspace;
    let place = |name: &str| demo.places.iter().find(|p| p.name == name).unwrap().id;
    field.sync().await;

    // Out of signal, the field worker reports graffiti at the hall and saves.
    let saved = field
        .store()
        .record(&draft("Salemhallen", "klotter"), now())
        .unwrap();
    // Meanwhile the coordinator merges the hall and retires the category.
    for change in [
        RegisterChange::MergePlace {
            place: place("Salemhallen"),
            into: place("Skogsängens fritidsgård"),
        },
        RegisterChange::RetireCategory {
            key: "klotter".into(),
        },
    ] {
        coordinator
            .transport
            .change_register(ws, &change)
            .await
            .unwrap();
    }

    // Back in signal: the report is stored, not refused, as it was made.
    let status = field.sync().await;
    assert_eq!(
        (status.waiting, status.refused),
        (0, 0),
        "sent and accepted: {:?}",
        field.store().refused_changes().unwrap()
    );
    let stored = server.observations();
    let report = stored.iter().find(|o| o.id == saved.id).unwrap();
    assert_eq!(
        report.place,
        place("Salemhallen"),
        "the report keeps its place"
    );
    assert_eq!(report.category, "klotter");
    // Everyone sees it, counted for the place the hall merged into.
    coordinator.sync().await;
    let picture = views::lagesbild(
        &coordinator.store(),
        ws,
        now().week(),
        &ObservationFilter::default(),
    )
    .unwrap();
    let counted = picture
        .places
        .iter()
        .find(|s| s.place == place("Skogsängens fritidsgård"))
        .unwrap();
    assert_eq!(counted.reports, 1);
    // A new report cannot use the merged place any more, now that the device knows.
    let merged = field
        .store()
        .record(&draft("Salemhallen", "brak"), now())
        .unwrap_err();
    assert!(
        matches!(&merged, lagesbild_core::Error::Invalid(v) if v.field == lagesbild_core::Field::Place),
        "{merged:?}"
    );
}

/// The coordinator draws an area's outline and sets the workspace's map address; both
/// reach every device with the register, and what is no outline or no tile address is
/// refused with nothing changed.
async fn drawn_outlines_and_the_map_address_reach_every_device(backend: Backend) {
    let (s, coordinator, field) = workspace(backend, "Outlines").await;
    let ws = coordinator.workspace;
    let demo = &s.demo;
    let area = |name: &str| demo.places.iter().find(|p| p.name == name).unwrap().id;
    let drawn = vec![
        [17.765, 59.198],
        [17.785, 59.199],
        [17.787, 59.209],
        [17.770, 59.211],
    ];
    let change = |change: RegisterChange| {
        let transport = coordinator.transport.clone();
        async move { transport.change_register(ws, &change).await }
    };
    change(RegisterChange::SetOutline {
        place: area("Salems centrum"),
        outline: Some(drawn.clone()),
    })
    .await
    .unwrap();
    // WMTS's names for the numbers are taken as the same tile address.
    let register = change(RegisterChange::SetTiles {
        template: Some(
            "https://maps.example.se/wmts/topowebb/default/3857/{TileMatrix}/{TileRow}/{TileCol}.png"
                .into(),
        ),
    })
    .await
    .unwrap();
    let expected = "https://maps.example.se/wmts/topowebb/default/3857/{z}/{y}/{x}.png";
    assert_eq!(
        register.workspace.as_ref().unwrap().tiles.as_deref(),
        Some(expected)
    );

    // Refused, each with 400 and nothing changed: a crossed outline, two corners, an
    // outline for a place (not an area), a tile address with no numbers, on plain
    // http to another computer, or with a number in the server's name.
    let bowtie = vec![
        [17.76, 59.19],
        [17.78, 59.21],
        [17.78, 59.19],
        [17.76, 59.21],
    ];
    for refused in [
        RegisterChange::SetOutline {
            place: area("Salems centrum"),
            outline: Some(bowtie),
        },
        RegisterChange::SetOutline {
            place: area("Salems centrum"),
            outline: Some(vec![[17.76, 59.19], [17.78, 59.21]]),
        },
        RegisterChange::SetOutline {
            place: area("Salemhallen"),
            outline: Some(drawn.clone()),
        },
        RegisterChange::SetTiles {
            template: Some("https://maps.example.se/tile.png".into()),
        },
        RegisterChange::SetTiles {
            template: Some("http://maps.example.se/{z}/{x}/{y}.png".into()),
        },
        RegisterChange::SetTiles {
            template: Some("https://{z}.example.se/{x}/{y}.png".into()),
        },
    ] {
        let error = change(refused.clone()).await.unwrap_err();
        assert!(
            matches!(error, TransportError::Rejected { status: 400, .. }),
            "{refused:?}: {error:?}"
        );
    }

    field.sync().await;
    let (places, workspace) = {
        let store = field.store();
        (store.places(ws).unwrap(), store.workspace(ws).unwrap())
    };
    let centre = places
        .iter()
        .find(|p| p.id == area("Salems centrum"))
        .unwrap();
    assert_eq!(centre.outline.as_ref(), Some(&drawn));
    assert_eq!(workspace.tiles.as_deref(), Some(expected));

    // Removed again: the map goes back to the outline around the places, and no address.
    change(RegisterChange::SetOutline {
        place: area("Salems centrum"),
        outline: None,
    })
    .await
    .unwrap();
    change(RegisterChange::SetTiles { template: None })
        .await
        .unwrap();
    field.sync().await;
    let store = field.store();
    let places = store.places(ws).unwrap();
    assert_eq!(
        places
            .iter()
            .find(|p| p.id == area("Salems centrum"))
            .unwrap()
            .outline,
        None
    );
    assert_eq!(store.workspace(ws).unwrap().tiles, None);
}

lagesbild_tests::on_both_backends!(
    async the_coordinator_keeps_the_register_and_devices_follow,
    a_report_made_offline_before_its_place_merged_still_reaches_everyone,
    drawn_outlines_and_the_map_address_reach_every_device,
);
