//! CSV and GeoJSON out, CSV in.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_store, draft, now, second_store};
use lagesbild_core::exchange;
use lagesbild_core::exchange::read_csv;
use lagesbild_core::{ListQuery, ObservationDraft};

#[test]
fn an_exported_csv_imports_into_another_store_with_the_same_content() {
    let (mut store, demo, _) = demo_store(1);
    store
        .record(
            &ObservationDraft {
                observed_at: Some("2026-11-24 21:30".into()),
                people: Some(12),
                description: Some("Grupp, \"högljudd\", vid entrén; flaskor".into()),
                ..draft("Rönninge station", "alkohol", 3)
            },
            now(),
        )
        .unwrap();
    store
        .record(&draft("Salemhallen", "klotter", 1), now())
        .unwrap();
    let mut csv = Vec::new();
    assert_eq!(
        exchange::export_csv(&store, &ListQuery::default(), &mut csv).unwrap(),
        2
    );

    let mut coordinator = second_store(&demo, 0);
    let drafts = read_csv(csv.as_slice()).unwrap();
    let me = coordinator.require_identity().unwrap().reporter();
    assert_eq!(coordinator.import(&drafts, &me, now()).unwrap().unwrap(), 2);

    let key = |rows: Vec<lagesbild_core::ObservationRow>| {
        let mut v: Vec<_> = rows
            .into_iter()
            .map(|r| {
                (
                    r.place_name.clone(),
                    r.category.clone(),
                    r.grade,
                    r.observed_at.local_display(),
                    r.people,
                    r.description.clone(),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(
        key(store.list(&Default::default()).unwrap()),
        key(coordinator.list(&Default::default()).unwrap())
    );
}

#[test]
fn an_import_with_bad_lines_reports_each_and_stores_nothing() {
    let (mut store, _, identity) = demo_store(0);
    let file = "tid;plats;kategori;bedömning;antal;beskrivning\n\
                2026-11-20 22:00;Rönninge station;klotter;2;;Klotter på perrongen\n\
                2026-11-20 23:00;Okänd gata;klotter;2;;\n\
                2026-11-21 01:00;Salemhallen;brak;7;3;Bråk\n\
                2026-11-21 02:00;Salemhallen;brak;2;tre;\n";
    let drafts = read_csv(file.as_bytes()).unwrap();
    assert_eq!(
        drafts.len(),
        4,
        "semicolons and Swedish headers are understood"
    );
    let problems = store
        .import(&drafts, &identity.reporter(), now())
        .unwrap()
        .unwrap_err();
    let lines: Vec<(u64, String)> = problems
        .iter()
        .map(|p| {
            (
                p.line,
                match &p.error {
                    lagesbild_core::Error::Invalid(v) => v.field.name().to_string(),
                    e => e.to_string(),
                },
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            (3, "place".into()),
            (4, "grade".into()),
            (5, "people".into())
        ]
    );
    assert!(
        store.list(&Default::default()).unwrap().is_empty(),
        "not even the good line was stored"
    );
}

#[test]
fn geojson_places_each_report_at_its_position_or_its_place() {
    let (mut store, demo, _) = demo_store(1);
    store
        .record(
            &ObservationDraft {
                position: Some(lagesbild_core::Position {
                    lat: 59.19,
                    lon: 17.75,
                    accuracy_m: None,
                }),
                ..draft("Rönninge station", "alkohol", 3)
            },
            now(),
        )
        .unwrap();
    store
        .record(&draft("Salemhallen", "klotter", 1), now())
        .unwrap();
    let mut out = Vec::new();
    exchange::export_geojson(&store, &ListQuery::default(), &mut out).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["type"], "FeatureCollection");
    let hall = demo
        .places
        .iter()
        .find(|p| p.name == "Salemhallen")
        .unwrap();
    let coords: Vec<(String, f64, f64)> = json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                f["properties"]["place"].as_str().unwrap().to_string(),
                c[0].as_f64().unwrap(),
                c[1].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(
        coords.contains(&("Rönninge station".into(), 17.75, 59.19)),
        "{coords:?}"
    );
    assert!(
        coords.contains(&("Salemhallen".into(), hall.lon, hall.lat)),
        "{coords:?}"
    );
}
