//! The weekly lägesbild over a small dataset whose answers are worked out by hand.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_store, now};
use lagesbild_core::demo::DemoWorkspace;
use lagesbild_core::lagesbild::{Lagesbild, Summary, Trend};
use lagesbild_core::views;
use lagesbild_core::{IsoWeek, ObservationDraft, ObservationFilter, Store};

const FALTARE: usize = 1;
const POLIS: usize = 3;
const VAKTARE: usize = 4;

/// (person, place, category, grade, local time)
const REPORTS: &[(usize, &str, &str, i64, &str)] = &[
    // Week 48 (this week).
    (
        FALTARE,
        "Rönninge station",
        "klotter",
        2,
        "2026-11-23 20:00",
    ),
    (
        FALTARE,
        "Rönninge station",
        "klotter",
        4,
        "2026-11-24 21:00",
    ),
    (VAKTARE, "Rönninge station", "brak", 5, "2026-11-24 23:30"),
    (
        POLIS,
        "Rönninge centrum",
        "narkotika",
        1,
        "2026-11-25 01:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        3,
        "2026-11-23 19:00",
    ),
    // Week 47.
    (
        FALTARE,
        "Rönninge station",
        "klotter",
        2,
        "2026-11-18 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        2,
        "2026-11-17 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        2,
        "2026-11-18 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        2,
        "2026-11-19 20:00",
    ),
    // Week 46.
    (VAKTARE, "Rönninge station", "brak", 3, "2026-11-10 20:00"),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        2,
        "2026-11-10 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        2,
        "2026-11-11 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        2,
        "2026-11-12 20:00",
    ),
    // Weeks 45 and 44: the torget only.
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        1,
        "2026-11-03 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        1,
        "2026-11-04 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        1,
        "2026-11-05 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        1,
        "2026-10-27 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        1,
        "2026-10-28 20:00",
    ),
    (
        FALTARE,
        "Salems centrum, torget",
        "alkohol",
        1,
        "2026-10-29 20:00",
    ),
    // Week 43: outside the trend window.
    (VAKTARE, "Rönninge station", "brak", 5, "2026-10-20 20:00"),
];

fn seeded() -> (Store, DemoWorkspace) {
    let (mut store, demo, identity) = demo_store(FALTARE);
    let batch: Vec<_> = REPORTS
        .iter()
        .map(|(person, place, category, grade, at)| {
            let draft = ObservationDraft {
                category: Some((*category).into()),
                place: Some((*place).into()),
                grade: Some(*grade),
                observed_at: Some((*at).into()),
                ..Default::default()
            };
            (demo.people[*person].clone(), draft)
        })
        .collect();
    store
        .record_many(identity.workspace, &batch, now())
        .unwrap();
    (store, demo)
}

fn week48() -> IsoWeek {
    "2026-W48".parse().unwrap()
}

fn find<'a>(list: &'a [Summary], name: &str) -> &'a Summary {
    list.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("{name} is in the lägesbild"))
}

fn picture(store: &Store, demo: &DemoWorkspace, filter: ObservationFilter) -> Lagesbild {
    views::lagesbild(store, demo.workspace.id, week48(), &filter).unwrap()
}

#[test]
fn each_place_shows_its_counts_grades_categories_and_reporters() {
    let (store, demo) = seeded();
    let l = picture(&store, &demo, ObservationFilter::default());
    assert_eq!(l.total_reports, 5);
    assert_eq!(
        l.previous_weeks.map(|w| w.to_string()),
        ["2026-W47", "2026-W46", "2026-W45", "2026-W44"]
    );

    let station = find(&l.places, "Rönninge station");
    assert_eq!(station.reports, 3);
    assert_eq!(station.highest.map(|g| g.value()), Some(5));
    assert_eq!(station.median, Some(4.0), "grades 2, 4, 5");
    assert_eq!(station.grades, [0, 1, 0, 1, 1]);
    assert_eq!(station.categories.get("klotter"), Some(&2));
    assert_eq!(station.categories.get("brak"), Some(&1));
    let orgs: Vec<(&str, u32)> = station
        .organisations
        .iter()
        .map(|o| (o.name.as_str(), o.reports))
        .collect();
    assert_eq!(
        orgs,
        [
            ("Salems kommun – fältgruppen", 2),
            ("Centrumvakterna AB", 1)
        ]
    );
    assert_eq!(
        station.previous,
        [1, 1, 0, 0],
        "week 43 is outside the four-week window"
    );
    assert_eq!(station.previous_highest.map(|g| g.value()), Some(3));
    assert_eq!(station.trend, Trend::Rising);

    assert_eq!(find(&l.places, "Rönninge centrum").trend, Trend::New);
    let torget = find(&l.places, "Salems centrum, torget");
    assert_eq!(
        (torget.reports, torget.previous, torget.trend),
        (1, [3, 3, 3, 3], Trend::Falling)
    );
}

#[test]
fn places_are_ranked_by_highest_grade_then_reports() {
    let (store, demo) = seeded();
    let l = picture(&store, &demo, ObservationFilter::default());
    let names: Vec<&str> = l.places.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Rönninge station",
            "Salems centrum, torget",
            "Rönninge centrum"
        ]
    );
}

#[test]
fn areas_roll_up_their_places() {
    let (store, demo) = seeded();
    let l = picture(&store, &demo, ObservationFilter::default());
    let ronninge = find(&l.areas, "Rönninge");
    assert_eq!(ronninge.reports, 4);
    assert_eq!(ronninge.grades, [1, 1, 0, 1, 1]);
    assert_eq!(ronninge.median, Some(3.0), "grades 1, 2, 4, 5");
    assert_eq!(ronninge.organisations.len(), 3);
    assert_eq!(ronninge.previous, [1, 1, 0, 0]);
    assert_eq!(
        l.areas[0].name, "Rönninge",
        "the most serious area comes first"
    );
}

#[test]
fn filters_narrow_the_picture() {
    let (store, demo) = seeded();
    let disorder = picture(
        &store,
        &demo,
        ObservationFilter {
            categories: vec!["ordningsstorning".into()],
            ..Default::default()
        },
    );
    assert_eq!(
        disorder.total_reports, 1,
        "a main category includes its subcategories (brak)"
    );
    assert_eq!(
        find(&disorder.places, "Rönninge station").previous,
        [0, 1, 0, 0],
        "the trend is filtered too"
    );

    let serious = picture(
        &store,
        &demo,
        ObservationFilter {
            grades: vec![
                lagesbild_core::Grade::Allvarligt,
                lagesbild_core::Grade::KritisktLage,
            ],
            ..Default::default()
        },
    );
    assert_eq!(serious.total_reports, 2);

    let police = demo.people[POLIS].organisation;
    let by_police = picture(
        &store,
        &demo,
        ObservationFilter {
            organisations: vec![police],
            ..Default::default()
        },
    );
    assert_eq!(
        by_police
            .places
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Rönninge centrum"]
    );

    let area = demo
        .places
        .iter()
        .find(|p| p.name == "Rönninge")
        .unwrap()
        .id;
    let in_area = picture(
        &store,
        &demo,
        ObservationFilter {
            place: Some(area),
            ..Default::default()
        },
    );
    assert_eq!(in_area.total_reports, 4);
    assert!(
        in_area
            .places
            .iter()
            .all(|p| p.name.starts_with("Rönninge"))
    );
}

#[test]
fn a_report_late_on_sunday_night_counts_in_that_week() {
    let (mut store, demo, identity) = demo_store(FALTARE);
    let later = common::at("2026-11-30T09:00:00Z");
    let draft = ObservationDraft {
        category: Some("brak".into()),
        place: Some("Rönninge station".into()),
        grade: Some(3),
        observed_at: Some("2026-11-29 23:45".into()),
        ..Default::default()
    };
    store
        .record_many(
            identity.workspace,
            &[(demo.people[1].clone(), draft)],
            later,
        )
        .unwrap();
    assert_eq!(
        picture(&store, &demo, ObservationFilter::default()).total_reports,
        1
    );
    let w49 = views::lagesbild(
        &store,
        demo.workspace.id,
        "2026-W49".parse().unwrap(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(w49.total_reports, 0);
}

#[test]
fn linked_reports_count_as_one_event_and_each_is_kept() {
    let (store, demo) = seeded();
    // The coordinator's store holds the same reports (as sync would give it).
    let mut coordinator = Store::open_in_memory().unwrap();
    demo.install(&mut coordinator, 0).unwrap();
    let ws = demo.workspace.id;
    for row in store.list(&Default::default()).unwrap() {
        let changes = store.document_changes(row.id.as_uuid()).unwrap();
        coordinator
            .receive(ws, row.id.as_uuid(), &changes, now())
            .unwrap();
    }
    let at_station: Vec<_> = coordinator
        .list(&lagesbild_core::ListQuery {
            week: Some(week48()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .filter(|r| r.place_name == "Rönninge station")
        .map(|r| r.id)
        .collect();
    assert_eq!(at_station.len(), 3);
    let before = picture(&coordinator, &demo, ObservationFilter::default());
    assert_eq!(find(&before.places, "Rönninge station").events, 3);

    coordinator.link(&at_station[..2], now()).unwrap();
    let after = picture(&coordinator, &demo, ObservationFilter::default());
    let station = find(&after.places, "Rönninge station");
    assert_eq!(station.reports, 3, "every report is kept");
    assert_eq!(station.events, 2, "two linked reports are one event");
    let area = find(&after.areas, "Rönninge");
    assert_eq!(area.events, area.reports - 1);

    // A field worker may not link reports.
    let mut field = store;
    assert!(matches!(
        field.link(&at_station[..2], now()),
        Err(lagesbild_core::Error::Forbidden(_))
    ));
}
