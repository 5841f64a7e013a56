//! A decision's effect read from the device's store: its place's reports per week
//! against comparable places, the deployed organisation's own reports left out, and
//! the places next to it looked at on their own, never as comparisons.
#![allow(clippy::unwrap_used)]

mod common;

use common::{at, demo_store};
use lagesbild_core::effect::Verdict;
use lagesbild_core::store::DecisionDraft;
use lagesbild_core::{Deployee, ObservationDraft, Place, PlaceKind, Reporter, views};

/// `n` reports at `place` in the week that `monday` starts, by `reporter`.
fn reports(
    place: &Place,
    monday: lagesbild_core::Timestamp,
    n: u32,
    reporter: &Reporter,
) -> Vec<(Reporter, ObservationDraft)> {
    (0..n)
        .map(|i| {
            let at =
                lagesbild_core::Timestamp::from_millis(monday.millis() + i64::from(i) * 3_600_000)
                    .unwrap();
            let draft = ObservationDraft {
                observed_at: Some(at.0.to_rfc3339()),
                ..common::draft(&place.name, "brak", 2)
            };
            (reporter.clone(), draft)
        })
        .collect()
}

#[test]
fn a_decision_that_worked_reads_as_a_clear_decrease_whatever_its_own_people_report() {
    let (mut store, demo, identity) = demo_store(0);
    let workspace = demo.workspace.id;
    let places: Vec<Place> = store
        .places(workspace)
        .unwrap()
        .into_iter()
        .filter(|p| p.kind == PlaceKind::Plats && !p.retired)
        .collect();
    let treated = places[0].clone();
    let organisations = store.organisations(workspace).unwrap();
    let deployed = organisations[0].id;
    let reporter = identity.reporter();
    let others = Reporter {
        organisation: organisations[1].id,
        ..reporter.clone()
    };
    let own = Reporter {
        organisation: deployed,
        ..reporter.clone()
    };
    let decided = at("2026-09-02T10:00:00Z");
    let first_monday = at("2026-06-08T06:00:00Z");
    let mut batch = Vec::new();
    for week in 0..20i64 {
        let monday =
            lagesbild_core::Timestamp::from_millis(first_monday.millis() + week * 7 * 86_400_000)
                .unwrap();
        let after = monday > decided;
        for (i, place) in places.iter().enumerate() {
            let n = if place.id == treated.id {
                if after { 2 } else { 12 }
            } else {
                8 + (i as u32 + week as u32) % 5
            };
            batch.extend(reports(place, monday, n, &others));
        }
        if after {
            // The deployed people report where they are sent.
            batch.extend(reports(&treated, monday, 15, &own));
        }
    }
    let now = at("2026-10-26T10:00:00Z");
    store.record_many(workspace, &batch, now).unwrap();
    let decision = store
        .decide(
            &DecisionDraft {
                meeting: None,
                place: Some(treated.id),
                deployees: vec![Deployee::Vaktare],
                days: vec!["2026-09-04".into()],
                from: Some("20:00".into()),
                to: Some("02:00".into()),
                why: "Oro vid platsen kvällstid".into(),
                responsible: Some(deployed),
                activity: None,
            },
            decided,
        )
        .unwrap();
    let effect = views::decision_effect(&store, decision.id, now).unwrap();
    assert_eq!(effect.place, treated.name);
    assert_eq!(effect.weeks[effect.start], decided.week());
    assert_eq!(effect.start, 12, "twelve weeks of baseline");
    assert_eq!(effect.excluded, [organisations[0].name.clone()]);
    assert_eq!(
        effect.effect.treated.verdict,
        Verdict::TydligMinskning,
        "{effect:#?}"
    );
    let change = effect.effect.treated.change.unwrap();
    assert!(change.high < 0.0, "{change:?}");
    assert!(
        !effect.comparison.contains(&treated.name),
        "the place itself is no comparison"
    );
    for neighbour in &effect.neighbours {
        assert!(
            !effect.comparison.contains(neighbour),
            "{neighbour} is near the place: never a comparison"
        );
    }
    // Twelve weeks of 12 before; the decision's own week (12 more, from before it
    // was taken) and seven weeks of 2 after. The deployed organisation's 15 a week are
    // not counted: with them the place would look four times as busy.
    let counts = effect.effect.treated.counts;
    assert_eq!((counts.before, counts.after), (12 * 12, 12 + 7 * 2));
}
