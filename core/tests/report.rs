//! The lägesrapport for a period: counts per area and category, week by week, against
//! the period before; decisions and their follow-up. Worked out by hand.
#![allow(clippy::unwrap_used)]

mod common;

use common::{at, demo_store};
use lagesbild_core::views;
use lagesbild_core::{DecisionDraft, Deployee, ObservationDraft, Store};

fn report(
    store: &mut Store,
    place: &str,
    category: &str,
    grade: i64,
    when: &str,
) -> lagesbild_core::ObservationId {
    let draft = ObservationDraft {
        category: Some(category.into()),
        place: Some(place.into()),
        grade: Some(grade),
        observed_at: Some(when.into()),
        ..Default::default()
    };
    store.record(&draft, at("2026-12-02T12:00:00Z")).unwrap().id
}

#[test]
fn a_month_against_the_month_before() {
    let (mut store, demo, _) = demo_store(0);
    // October (the period before): 4.
    for _ in 0..4 {
        report(
            &mut store,
            "Rönninge station",
            "klotter",
            2,
            "2026-10-15 20:00",
        );
    }
    // November: 3 at the station in week 45, 2 in week 47 (linked: one event), 1 at
    // Salemhallen in week 46; one on 1 December is outside.
    for _ in 0..3 {
        report(
            &mut store,
            "Rönninge station",
            "brak",
            3,
            "2026-11-04 21:00",
        );
    }
    let a = report(
        &mut store,
        "Rönninge station",
        "vald",
        4,
        "2026-11-18 22:00",
    );
    let b = report(&mut store, "Rönninge station", "hot", 4, "2026-11-18 22:10");
    store.link(&[a, b], at("2026-11-19T08:00:00Z")).unwrap();
    report(&mut store, "Salemhallen", "klotter", 2, "2026-11-11 19:00");
    report(&mut store, "Salemhallen", "klotter", 5, "2026-12-01 00:30");
    let station = demo
        .places
        .iter()
        .find(|p| p.name == "Rönninge station")
        .unwrap();
    store
        .decide(
            &DecisionDraft {
                place: Some(station.id),
                deployees: vec![Deployee::Faltare, Deployee::Polis],
                days: vec!["2026-11-20".into()],
                why: "Våld vid stationen".into(),
                responsible: Some(demo.organisations[0].id),
                ..Default::default()
            },
            at("2026-11-18T17:00:00Z"),
        )
        .unwrap();

    let r = views::period_report(
        &store,
        "2026-11-01",
        "2026-12-01",
        at("2026-12-01T08:00:00Z"),
    )
    .unwrap();
    let weeks: Vec<String> = r.weeks.iter().map(|w| w.to_string()).collect();
    // 1 November is a Sunday (week 44), 30 November a Monday (week 49).
    assert_eq!(
        weeks,
        [
            "2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"
        ]
    );
    assert_eq!((r.reports, r.events, r.previous_reports), (6, 5, 4));

    let rönninge = r.areas.iter().find(|t| t.name == "Rönninge").unwrap();
    assert_eq!(
        (rönninge.reports, rönninge.events, rönninge.previous_reports),
        (5, 4, 4)
    );
    assert_eq!(rönninge.per_week, [0, 3, 0, 2, 0, 0]);
    assert_eq!(rönninge.highest.map(|g| g.value()), Some(4));
    let salem = r.areas.iter().find(|t| t.name == "Salems centrum").unwrap();
    assert_eq!(
        (salem.reports, salem.per_week.clone()),
        (1, vec![0, 0, 1, 0, 0, 0])
    );

    // Subcategories count under their main category.
    let disorder = r
        .categories
        .iter()
        .find(|t| t.key == "ordningsstorning")
        .unwrap();
    assert_eq!(
        (disorder.reports, disorder.name.as_str()),
        (5, "Ordningsstörning")
    );
    let damage = r
        .categories
        .iter()
        .find(|t| t.key == "skadegorelse")
        .unwrap();
    assert_eq!((damage.reports, damage.previous_reports), (1, 4));

    assert_eq!(r.decisions.len(), 1);
    let d = &r.decisions[0];
    assert_eq!(d.place, "Rönninge station");
    let before: Vec<u32> = d.before.iter().map(|p| p.reports).collect();
    let after: Vec<u32> = d.after.iter().map(|p| p.reports).collect();
    assert_eq!(before, [0, 3, 0, 2], "weeks 44–47");
    assert_eq!(after, [0, 0], "weeks 48–49");
    let refused = views::period_report(
        &store,
        "2026-12-01",
        "2026-11-01",
        at("2026-12-01T08:00:00Z"),
    )
    .unwrap_err();
    assert!(
        matches!(refused, lagesbild_core::Error::Invalid(_)),
        "an empty period is refused as invalid: {refused:?}"
    );
}
