//! The politicians' lägesrapport attacked as a reader would: every count it leaves out
//! is solved for, as an integer programme, from everything published beside it — the
//! totals, the rows, the weekly columns of both tables, and the period before as its
//! own report publishes it. No count of 1 or 2 may come out pinned to 1 or 2.
//!
//! The attacker is written from the published report alone, independently of the
//! suppression code it attacks.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::{at, demo_store};
use lagesbild_core::report::politicians::{PoliticiansReport, PublishedRow};
use lagesbild_core::views;
use lagesbild_core::{ObservationDraft, Store};
use microlp::{ComparisonOp, OptimizationDirection, Problem};

const PLACES: &[&str] = &[
    "Salems centrum, torget",
    "Salems centrum, bussterminalen",
    "Salemhallen",
    "Rönninge station",
    "Rönninge centrum",
    "Rönninge gymnasium",
    "Skogsängsskolan",
    "Skogsängens fritidsgård",
    "Säby gård",
    "Bränningestrand",
];
const CATEGORIES: &[&str] = &[
    "klotter",
    "krossat-glas",
    "brand",
    "grupperingar",
    "brak",
    "hot",
    "vald",
    "narkotika",
    "alkohol",
    "belysning",
    "nedskrapning",
    "olovlig-korning",
];

fn report(store: &mut Store, place: &str, category: &str, grade: i64, when: &str) {
    let draft = ObservationDraft {
        category: Some(category.into()),
        place: Some(place.into()),
        grade: Some(grade),
        observed_at: Some(when.into()),
        ..Default::default()
    };
    store.record(&draft, at("2026-12-02T12:00:00Z")).unwrap();
}

/// A count as the attacker sees it: known, or an unknown to solve for.
#[derive(Clone, Copy)]
enum Term {
    Known(u32),
    Unknown(usize),
}

/// Everything published, as linear equations over the unknown counts.
#[derive(Default)]
struct Attack {
    /// Each unknown's name, for the failure message.
    names: Vec<String>,
    /// Σ terms = 0, each term with its sign.
    equations: Vec<Vec<(i32, Term)>>,
    /// A count already named in another table is the same unknown (the period
    /// before's row totals).
    by_name: HashMap<String, usize>,
}

impl Attack {
    fn term(&mut self, name: String, published: Option<u32>) -> Term {
        match published {
            Some(n) => Term::Known(n),
            None => {
                let next = self.names.len();
                let i = *self.by_name.entry(name.clone()).or_insert(next);
                if i == next {
                    self.names.push(name);
                }
                Term::Unknown(i)
            }
        }
    }

    /// The equations one published report gives: its totals are the sums of its rows,
    /// each row's total the sum of its weeks, each week the same in both tables.
    fn read(&mut self, period: &str, report: &PoliticiansReport) {
        let total = self.term(format!("{period} total"), report.reports);
        let rows = |attack: &mut Attack, table: &str, rows: &[PublishedRow]| {
            let mut sums = vec![(-1, total)];
            let mut weeks: Vec<Vec<(i32, Term)>> = vec![Vec::new(); report.weeks.len()];
            for row in rows {
                let sum = attack.term(format!("{period} {table} {}", row.key), row.reports);
                sums.push((1, sum));
                let mut cells = vec![(-1, sum)];
                for (w, &n) in row.per_week.iter().enumerate() {
                    let cell = attack.term(format!("{period} {table} {} week {w}", row.key), n);
                    cells.push((1, cell));
                    weeks[w].push((1, cell));
                }
                attack.equations.push(cells);
            }
            attack.equations.push(sums);
            weeks
        };
        let by_area = rows(self, "area", &report.areas);
        let by_category = rows(self, "category", &report.categories);
        for (mut area, category) in by_area.into_iter().zip(by_category) {
            area.extend(category.into_iter().map(|(_, t)| (-1, t)));
            self.equations.push(area);
        }
    }

    /// The period before's row totals as this report publishes them: the same unknowns
    /// as that period's own report.
    fn read_previous(&mut self, period: &str, report: &PoliticiansReport) {
        let total = self.term(format!("{period} total"), report.previous_reports);
        for (table, rows) in [("area", &report.areas), ("category", &report.categories)] {
            let mut sums = vec![(-1, total)];
            for row in rows.iter() {
                let sum = self.term(
                    format!("{period} {table} {}", row.key),
                    row.previous_reports,
                );
                sums.push((1, sum));
            }
            // Every row of the period before is a row now (a row is made by either).
            self.equations.push(sums);
        }
    }

    /// The least and the greatest the unknown can be, as integers, given everything.
    fn bounds(&self, unknown: usize) -> (i64, i64) {
        let solve = |direction| {
            let mut problem = Problem::new(direction);
            let vars: Vec<_> = (0..self.names.len())
                .map(|i| {
                    problem.add_integer_var(if i == unknown { 1.0 } else { 0.0 }, (0, 100_000))
                })
                .collect();
            for equation in &self.equations {
                let mut known = 0.0;
                let mut expr = Vec::new();
                for &(sign, term) in equation {
                    match term {
                        Term::Known(n) => known += f64::from(sign) * f64::from(n),
                        Term::Unknown(i) => expr.push((vars[i], f64::from(sign))),
                    }
                }
                if expr.is_empty() {
                    continue;
                }
                problem.add_constraint(expr.as_slice(), ComparisonOp::Eq, -known);
            }
            let solution = problem.solve().unwrap().into_solution().unwrap();
            solution.objective().round() as i64
        };
        (
            solve(OptimizationDirection::Minimize),
            solve(OptimizationDirection::Maximize),
        )
    }
}

/// Attacks November's and October's politicians' reports together; returns every
/// count the attacker pinned to 1 or 2, and how many counts were 1 or 2 in all.
fn attack(store: &Store) -> (Vec<String>, usize) {
    let now = at("2026-12-02T12:00:00Z");
    let november = views::politicians_report(store, "2026-11-01", "2026-12-01", now).unwrap();
    let october = views::politicians_report(store, "2026-10-01", "2026-11-01", now).unwrap();
    let full = [
        (
            "november",
            views::period_report(store, "2026-11-01", "2026-12-01", now).unwrap(),
        ),
        (
            "october",
            views::period_report(store, "2026-10-01", "2026-11-01", now).unwrap(),
        ),
    ];

    // What this report says of October agrees with October's own report.
    for row in &november.areas {
        let own = october.areas.iter().find(|r| r.key == row.key);
        assert_eq!(row.previous_reports, own.map_or(Some(0), |r| r.reports));
    }
    assert_eq!(november.previous_reports, october.reports);
    // No grade beside a count that is not published.
    for row in november.areas.iter().chain(&november.categories) {
        assert!(row.reports.is_some() || row.highest.is_none(), "{row:?}");
    }

    let mut attack = Attack::default();
    attack.read("november", &november);
    attack.read("october", &october);
    attack.read_previous("october", &november);

    // The truth, to check the attacker and to know which unknowns are small.
    let mut truth = HashMap::new();
    for (period, full) in &full {
        truth.insert(format!("{period} total"), full.reports);
        for (table, rows) in [("area", &full.areas), ("category", &full.categories)] {
            for row in rows {
                truth.insert(format!("{period} {table} {}", row.key), row.reports);
                for (w, &n) in row.per_week.iter().enumerate() {
                    truth.insert(format!("{period} {table} {} week {w}", row.key), n);
                }
            }
        }
    }
    let mut pinned = Vec::new();
    let mut small = 0;
    for (i, name) in attack.names.iter().enumerate() {
        let real = i64::from(truth[name]);
        let (min, max) = attack.bounds(i);
        assert!(
            min <= real && real <= max,
            "{name}: {real} outside {min}..{max}"
        );
        if (1..=2).contains(&real) {
            small += 1;
            if max <= 2 {
                pinned.push(format!("{name} = {real}, found {min}..={max}"));
            }
        }
    }
    // Every small count was left out in the first place.
    for (period, report) in [("november", &november), ("october", &october)] {
        for (table, rows) in [("area", &report.areas), ("category", &report.categories)] {
            for row in rows.iter() {
                for (w, n) in row.per_week.iter().enumerate() {
                    assert!(
                        !matches!(n, Some(1 | 2)),
                        "{period} {table} {} week {w}",
                        row.key
                    );
                }
                assert!(!matches!(row.reports, Some(1 | 2)));
            }
        }
    }
    (pinned, small)
}

#[test]
fn the_audits_example_cannot_be_worked_out_by_subtraction() {
    // Total 7: Rönninge 5, Salems centrum 2.
    let (mut store, _, _) = demo_store(0);
    for day in 2..7 {
        report(
            &mut store,
            "Rönninge station",
            "klotter",
            2,
            &format!("2026-11-{day:02} 20:00"),
        );
    }
    report(
        &mut store,
        "Salems centrum, torget",
        "alkohol",
        3,
        "2026-11-10 21:00",
    );
    report(
        &mut store,
        "Salems centrum, torget",
        "alkohol",
        3,
        "2026-11-11 21:00",
    );
    let november = views::politicians_report(
        &store,
        "2026-11-01",
        "2026-12-01",
        at("2026-12-02T12:00:00Z"),
    )
    .unwrap();
    let salem = november
        .areas
        .iter()
        .find(|r| r.name == "Salems centrum")
        .unwrap();
    assert_eq!(salem.reports, None);
    assert_eq!(salem.highest, None);
    let (pinned, small) = attack(&store);
    assert!(small > 0);
    assert!(pinned.is_empty(), "worked out: {pinned:#?}");
}

#[test]
fn no_small_count_of_random_months_can_be_worked_out() {
    let mut total_small = 0;
    for seed in 0..12 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let (mut store, _, _) = demo_store(0);
        // From a quiet month to a busy one, places and categories unevenly used.
        let reports = 5 + rng.usize(..(10 * seed as usize + 20));
        let places = 2 + rng.usize(..PLACES.len() - 1);
        let categories = 2 + rng.usize(..CATEGORIES.len() - 1);
        for _ in 0..reports {
            let place = PLACES[rng.usize(..places).min(rng.usize(..places))];
            let category = CATEGORIES[rng.usize(..categories).min(rng.usize(..categories))];
            let month = if rng.bool() { 10 } else { 11 };
            let day = 1 + rng.u32(..if month == 10 { 31 } else { 30 });
            let when = format!("2026-{month}-{day:02} {:02}:30", 12 + rng.u32(..10));
            report(&mut store, place, category, rng.i64(1..=5), &when);
        }
        let (pinned, small) = attack(&store);
        total_small += small;
        assert!(pinned.is_empty(), "seed {seed}, worked out: {pinned:#?}");
    }
    // The data had small counts to protect.
    assert!(total_small > 50, "{total_small}");
}
