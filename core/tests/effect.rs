//! The effect estimator checked as a statistician would: on seeded synthetic data with a
//! known truth, over 200 seeds each, its verdicts, its interval's coverage, its false
//! alarms under no effect and under a shock that hits every place, displacement to the
//! neighbours, and the trap of deployed people reporting more. And beside it, the
//! weighted displacement difference crime analysts use.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use lagesbild_core::PlaceId;
use lagesbild_core::effect::synthetic::{Generated, Scenario, generate};
use lagesbild_core::effect::{
    Effect, EffectInput, NeighbourReading, PlaceSeries, Verdict, estimate,
};

const SEEDS: u64 = 200;

/// The estimate on the indicator that counts only organisations the effort does not
/// deploy (the default), or on every report.
fn run(g: &Generated, only_others: bool) -> Effect {
    let (treated, neighbours, untreated) = if only_others {
        (&g.treated_others, &g.neighbours_others, &g.untreated_others)
    } else {
        (&g.treated, &g.neighbours, &g.untreated)
    };
    estimate(&EffectInput {
        treated,
        neighbours,
        untreated,
        start: g.start,
        comparison: None,
    })
    .unwrap()
}

fn share(scenario: &Scenario, only_others: bool, pass: impl Fn(&Effect) -> bool) -> f64 {
    let hits = (0..SEEDS)
        .filter(|&seed| pass(&run(&generate(scenario, seed), only_others)))
        .count();
    hits as f64 / SEEDS as f64
}

fn clear(e: &Effect) -> bool {
    e.treated.verdict.is_clear()
}

#[test]
fn a_true_forty_percent_decrease_is_found_and_covered() {
    let scenario = Scenario {
        effect: -0.4,
        ..Scenario::default()
    };
    let found = share(&scenario, true, |e| {
        e.treated.verdict == Verdict::TydligMinskning
    });
    assert!(
        found >= 0.8,
        "tydlig minskning in {found:.2} of the seeds, want ≥ 0.80"
    );
    let covered = share(&scenario, true, |e| {
        e.treated
            .change
            .is_some_and(|c| c.low <= -0.4 && -0.4 <= c.high)
    });
    assert!(
        covered >= 0.9,
        "the 95 % interval held −40 % in {covered:.2} of the seeds, want ≥ 0.90"
    );
}

#[test]
fn with_no_effect_a_clear_verdict_is_rare() {
    let alarms = share(&Scenario::default(), true, clear);
    assert!(
        alarms <= 0.08,
        "a clear verdict in {alarms:.2} of the seeds without an effect, want ≤ 0.08"
    );
}

#[test]
fn a_shock_that_hits_every_place_at_the_start_is_not_an_effect() {
    let scenario = Scenario {
        shock: 1.8,
        ..Scenario::default()
    };
    let alarms = share(&scenario, true, clear);
    assert!(
        alarms <= 0.08,
        "a clear verdict in {alarms:.2} of the seeds after a common shock, want ≤ 0.08"
    );
}

#[test]
fn an_effect_moved_round_the_corner_shows_as_displacement() {
    // The reports the three treated places lose (40 % of about 30 a week) turn up at
    // the place round the corner, of about the same size: +120 % there.
    let scenario = Scenario {
        effect: -0.4,
        neighbours: 1,
        neighbour_effect: 1.2,
        ..Scenario::default()
    };
    let fell = share(&scenario, true, |e| {
        e.treated.verdict == Verdict::TydligMinskning
    });
    assert!(
        fell >= 0.8,
        "treated tydlig minskning in {fell:.2} of the seeds, want ≥ 0.80"
    );
    let moved = share(&scenario, true, |e| {
        e.neighbours
            .as_ref()
            .is_some_and(|n| n.reading == NeighbourReading::Forflyttning)
    });
    assert!(
        moved >= 0.8,
        "neighbours read förflyttning? in {moved:.2} of the seeds, want ≥ 0.80"
    );
    // And where nothing moved, the neighbours are rarely called displaced.
    let calm = Scenario {
        effect: -0.4,
        ..Scenario::default()
    };
    let false_moves = share(&calm, true, |e| {
        e.neighbours
            .as_ref()
            .is_some_and(|n| n.reading == NeighbourReading::Forflyttning)
    });
    assert!(
        false_moves <= 0.08,
        "förflyttning? without displacement in {false_moves:.2} of the seeds"
    );
}

#[test]
fn deployed_people_reporting_more_is_no_effect_on_the_default_indicator() {
    // The deployed organisation's reports at the treated places double; nothing else
    // changes.
    let scenario = Scenario {
        deployed_boost: 2.0,
        ..Scenario::default()
    };
    let alarms = share(&scenario, true, clear);
    assert!(
        alarms <= 0.08,
        "a clear verdict in {alarms:.2} of the seeds on the others' reports, want ≤ 0.08"
    );
    // Counting every report, the trap springs: this is why the default excludes them.
    let trapped = share(&scenario, false, |e| {
        e.treated.verdict == Verdict::TydligOkning
    });
    assert!(
        trapped >= 0.5,
        "counting every report should mislead (tydlig ökning in {trapped:.2})"
    );
}

#[test]
fn our_estimate_agrees_with_the_weighted_displacement_difference_and_is_no_wider() {
    // The analysts' set-up: treated places, control places and a displacement area
    // (the neighbours), pre and post counts.
    let scenario = Scenario {
        effect: -0.4,
        ..Scenario::default()
    };
    let (mut agree, mut both, mut narrower, mut wdd_covered) = (0, 0, 0, 0);
    for seed in 0..SEEDS {
        let e = run(&generate(&scenario, seed), true);
        let (Some(ours), Some(wdd)) = (e.treated.change, e.wdd) else {
            panic!("seed {seed}: both apply to 10 reports a week");
        };
        if wdd.z.abs() >= 1.96 && e.treated.verdict.is_clear() {
            both += 1;
            agree += usize::from(ours.estimate.signum() == wdd.relative.estimate.signum());
        }
        narrower += usize::from(ours.high - ours.low <= wdd.relative.high - wdd.relative.low);
        wdd_covered += usize::from(wdd.relative.low <= -0.4 && -0.4 <= wdd.relative.high);
    }
    assert_eq!(agree, both, "where both are clear they agree in sign");
    assert!(both as u64 >= SEEDS / 2, "both clear in {both} of {SEEDS}");
    assert!(
        narrower as u64 >= SEEDS * 9 / 10,
        "our interval no wider than WDD's in {narrower} of {SEEDS} seeds, want ≥ 90 %"
    );
    // Not asserted, said: WDD's Poisson error ignores overdispersion.
    eprintln!("WDD's interval held the true −40 % in {wdd_covered} of {SEEDS} seeds");
}

#[test]
fn too_few_reports_give_no_number() {
    let scenario = Scenario {
        level: 0.4,
        effect: -0.4,
        ..Scenario::default()
    };
    for seed in 0..20 {
        let e = run(&generate(&scenario, seed), true);
        assert!(
            matches!(e.treated.verdict, Verdict::ForLiteUnderlag { .. }),
            "seed {seed}: {:?}",
            e.treated.verdict
        );
        assert_eq!(
            e.treated.change, None,
            "no number where the data cannot carry one"
        );
        assert_eq!(e.wdd, None);
    }
}

#[test]
fn no_certain_difference_says_how_many_more_weeks() {
    // A real but small effect over few weeks: not yet clear, and the answer says how long.
    let scenario = Scenario {
        effect: -0.25,
        weeks_after: 3,
        ..Scenario::default()
    };
    let with_weeks = share(&scenario, true, |e| {
        matches!(
            e.treated.verdict,
            Verdict::IngenSakerSkillnad { more_weeks: Some(n) } if n > 0
        )
    });
    assert!(
        with_weeks > 0.3,
        "an estimate of weeks needed in {with_weeks:.2} of the seeds"
    );
    assert!(
        Verdict::IngenSakerSkillnad {
            more_weeks: Some(6)
        }
        .label()
        .contains("6 veckor")
    );
}

fn series(place: PlaceId, weeks: usize) -> PlaceSeries {
    PlaceSeries {
        place,
        weekly: vec![10; weeks],
    }
}

#[test]
fn bad_input_is_refused_naming_the_field() {
    let g = generate(&Scenario::default(), 1);
    let input = |treated, comparison, start| EffectInput {
        treated,
        neighbours: &g.neighbours_others,
        untreated: &g.untreated_others,
        start,
        comparison,
    };
    let field = |i: EffectInput<'_>| estimate(&i).unwrap_err().field;
    assert_eq!(field(input(&[], None, g.start)), "places");
    assert_eq!(field(input(&g.treated_others, None, 40)), "baseline");
    assert_eq!(field(input(&g.treated_others, None, 0)), "baseline");
    let treated_place = [g.treated_others[0].place];
    assert_eq!(
        field(input(&g.treated_others, Some(&treated_place), g.start)),
        "comparison"
    );
    let unknown = [PlaceId::new()];
    assert_eq!(
        field(input(&g.treated_others, Some(&unknown), g.start)),
        "comparison"
    );
    let short = [series(PlaceId::new(), 5)];
    assert_eq!(field(input(&short, None, 3)), "weeks");
}

#[test]
fn chosen_comparison_places_are_used_as_chosen() {
    let g = generate(&Scenario::default(), 3);
    let chosen: Vec<PlaceId> = g.untreated_others[..5].iter().map(|s| s.place).collect();
    let e = estimate(&EffectInput {
        treated: &g.treated_others,
        neighbours: &g.neighbours_others,
        untreated: &g.untreated_others,
        start: g.start,
        comparison: Some(&chosen),
    })
    .unwrap();
    assert_eq!(e.comparison_places, chosen);
    let proposed = run(&g, true);
    assert_eq!(proposed.comparison_places.len(), 10);
    assert!(
        proposed
            .comparison_places
            .iter()
            .all(|p| g.untreated_others.iter().any(|s| s.place == *p)),
        "proposed comparisons are untreated places, never neighbours"
    );
}
