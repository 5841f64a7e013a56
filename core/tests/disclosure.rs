//! The politicians' lägesrapports attacked as a reader holding all of them would: every
//! count they leave out is solved for, as an integer programme, from everything every
//! published report says — totals, rows, the columns of both tables, the period before —
//! and from every sum a reader knows across them: a count of some days is the sum of the
//! counts of their parts, in whichever reports those stand. No count of 1 or 2 may come
//! out bounded below 3, and no withheld count may come out exactly.
//!
//! The reader is written from the published reports alone, independently of the
//! suppression and the ledger it attacks.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{at, demo_store};
use lagesbild_core::report::politicians::{OTHERS, PoliticiansReport};
use lagesbild_core::{ObservationDraft, Store, Timestamp, views};
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
    "Söderby torg",
    "Nytorps centrum",
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

/// Publishes the version for politicians of `from`..`until` as the app and the command
/// line do: made against the ledger, written out, recorded.
fn publish(store: &mut Store, from: &str, until: &str, now: Timestamp) -> PoliticiansReport {
    let report = views::politicians_report(store, from, until, now).unwrap();
    let html = report.html(lagesbild_core::Lang::Sv);
    store.publish(&report, html.as_bytes(), now).unwrap();
    report
}

/// A count a reader names: of a table's row (or the total) over some days.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Cell {
    table: &'static str,
    key: String,
    from: String,
    until: String,
}

/// A stretch of days as the ledger published it, and the rows each of its tables
/// lists.
struct Part {
    from: String,
    until: String,
    /// Per table: its listed rows, and whether it has a row of others.
    listed: HashMap<&'static str, (BTreeSet<String>, bool)>,
}

/// What every published report says, as counts of rows over days.
#[derive(Default)]
struct Reader {
    said: HashMap<Cell, Option<u32>>,
    /// Every row a table may have: the register's areas, the categories.
    universe: HashMap<&'static str, BTreeSet<String>>,
    /// The stretches of days as first published, with the rows each lists: given to
    /// the reader whole, though a reader of the files sees only the parts published as
    /// reports of their own.
    parts: Vec<Part>,
}

impl Reader {
    fn say(&mut self, cell: Cell, value: Option<u32>) {
        let known = self.said.entry(cell.clone()).or_insert(value);
        if known.is_none() {
            *known = value;
        }
        // The same count is published the same wherever it stands.
        if let (Some(a), Some(b)) = (*known, value) {
            assert_eq!(a, b, "{cell:?} published as {a} and as {b}");
        }
    }

    fn read(&mut self, report: &PoliticiansReport) {
        let cell = |table, key: &str, from: &str, until: &str| Cell {
            table,
            key: key.to_string(),
            from: from.to_string(),
            until: until.to_string(),
        };
        let (from, until) = (&report.from, &report.until);
        let (pfrom, puntil) = (&report.previous_from, &report.previous_until);
        self.say(cell("total", "", from, until), report.reports);
        if report.previous_shown {
            self.say(cell("total", "", pfrom, puntil), report.previous_reports);
        }
        for (table, rows) in [("area", &report.areas), ("category", &report.categories)] {
            for row in rows {
                self.say(cell(table, &row.key, from, until), row.reports);
                if report.previous_shown {
                    self.say(cell(table, &row.key, pfrom, puntil), row.previous_reports);
                }
                assert_eq!(row.per_column.len(), report.columns.len());
                for (column, &n) in report.columns.iter().zip(&row.per_column) {
                    self.say(cell(table, &row.key, &column.from, &column.until), n);
                }
            }
        }
    }

    /// Rows a part leaves out had no reports there, unless the table has a row of
    /// others: then each is somewhere from 0 to the others' count, and a reader names it
    /// as a withheld count of its own.
    fn missing(&mut self) {
        let mut said = Vec::new();
        for part in &self.parts {
            for (table, (listed, others)) in &part.listed {
                for key in self.universe[table].difference(listed) {
                    let cell = Cell {
                        table,
                        key: key.clone(),
                        from: part.from.clone(),
                        until: part.until.clone(),
                    };
                    said.push((cell, (!*others).then_some(0)));
                }
            }
        }
        for (cell, value) in said {
            self.say(cell, value);
        }
    }

    /// The part `day` falls in.
    fn part_of(&self, day: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.from.as_str() <= day && day < p.until.as_str())
    }
}

/// The reader's linear model: one unknown per row and stretch of days no report splits
/// further; every count is the sum of its stretches; in each stretch the areas and the
/// categories both add up to the total.
struct Model {
    /// Per count: the unknowns it adds.
    terms: HashMap<Cell, Vec<usize>>,
    /// Each unknown fixed by what was published (after propagation), if it is.
    fixed: Vec<Option<i64>>,
    /// Σ unknowns (with signs) = value.
    equations: Vec<(Vec<(usize, f64)>, f64)>,
    unknowns: usize,
}

impl Model {
    fn of(reader: &Reader) -> Model {
        let mut bounds = BTreeSet::new();
        for part in &reader.parts {
            bounds.insert(part.from.clone());
            bounds.insert(part.until.clone());
        }
        for cell in reader.said.keys() {
            bounds.insert(cell.from.clone());
            bounds.insert(cell.until.clone());
        }
        let bounds: Vec<String> = bounds.into_iter().collect();
        let mut index: HashMap<(&'static str, String, usize), usize> = HashMap::new();
        let mut next = 0;
        let mut unknown = |table: &'static str, key: &str, stretch: usize| {
            *index
                .entry((table, key.to_string(), stretch))
                .or_insert_with(|| {
                    next += 1;
                    next - 1
                })
        };
        let mut terms: HashMap<Cell, Vec<usize>> = HashMap::new();
        for cell in reader.said.keys() {
            let a = bounds.iter().position(|b| *b == cell.from).unwrap();
            let b = bounds.iter().position(|b| *b == cell.until).unwrap();
            terms.insert(
                cell.clone(),
                (a..b).map(|s| unknown(cell.table, &cell.key, s)).collect(),
            );
        }
        // Every stretch in a part with a row of others: the others are the rows the
        // part does not list; in a part without, there are none.
        let mut equations = Vec::new();
        for (stretch, first) in bounds.iter().enumerate() {
            // The last bound begins no stretch, and falls in no part.
            let Some(part) = reader.part_of(first) else {
                continue;
            };
            for (table, (listed, has_others)) in &part.listed {
                let others = unknown(table, OTHERS, stretch);
                let mut eq = vec![(others, 1.0)];
                if *has_others {
                    for key in reader.universe[table].difference(listed) {
                        eq.push((unknown(table, key, stretch), -1.0));
                    }
                }
                equations.push((eq, 0.0));
            }
        }
        // Every stretch: Σ areas = total = Σ categories.
        let mut by_stretch: HashMap<(usize, &'static str), Vec<usize>> = HashMap::new();
        for ((table, key, stretch), &i) in &index {
            if key != OTHERS {
                by_stretch.entry((*stretch, table)).or_default().push(i);
            }
        }
        let unknowns = index.len();
        for stretch in 0..bounds.len() {
            let total = index.get(&("total", String::new(), stretch)).copied();
            for table in ["area", "category"] {
                let mut eq: Vec<(usize, f64)> = by_stretch
                    .get(&(stretch, table))
                    .map(|v| v.iter().map(|&i| (i, 1.0)).collect())
                    .unwrap_or_default();
                if let Some(t) = total {
                    eq.push((t, -1.0));
                }
                if !eq.is_empty() {
                    equations.push((eq, 0.0));
                }
            }
        }
        for (cell, value) in &reader.said {
            if let Some(v) = value {
                equations.push((
                    terms[cell].iter().map(|&i| (i, 1.0)).collect(),
                    f64::from(*v),
                ));
            }
        }
        let mut model = Model {
            terms,
            fixed: vec![None; unknowns],
            equations,
            unknowns,
        };
        model.propagate();
        model
    }

    /// What follows at once: a sum of unknowns that is 0 makes each 0 (counts are not
    /// negative), a sum of one unknown gives it.
    fn propagate(&mut self) {
        loop {
            let mut changed = false;
            for (eq, value) in &self.equations {
                let free: Vec<(usize, f64)> = eq
                    .iter()
                    .copied()
                    .filter(|(i, _)| self.fixed[*i].is_none())
                    .collect();
                let rest: f64 = value
                    - eq.iter()
                        .filter_map(|(i, c)| self.fixed[*i].map(|f| f as f64 * c))
                        .sum::<f64>();
                if free.is_empty() {
                    continue;
                }
                if rest == 0.0 && free.iter().all(|(_, c)| *c > 0.0) {
                    free.iter().for_each(|(i, _)| self.fixed[*i] = Some(0));
                    changed = true;
                } else if let [(i, c)] = free.as_slice() {
                    self.fixed[*i] = Some((rest / c).round() as i64);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// The least and the greatest the count can be, as integers, given everything.
    fn bounds(&self, cell: &Cell) -> (i64, i64) {
        let fixed: i64 = self.terms[cell].iter().filter_map(|&i| self.fixed[i]).sum();
        let free: Vec<usize> = self.terms[cell]
            .iter()
            .copied()
            .filter(|&i| self.fixed[i].is_none())
            .collect();
        if free.is_empty() {
            return (fixed, fixed);
        }
        let solve = |direction| {
            let mut problem = Problem::new(direction);
            let mut vars = HashMap::new();
            for i in 0..self.unknowns {
                if self.fixed[i].is_none() {
                    let objective = if free.contains(&i) { 1.0 } else { 0.0 };
                    vars.insert(i, problem.add_integer_var(objective, (0, 100_000)));
                }
            }
            for (eq, value) in &self.equations {
                let expr: Vec<_> = eq
                    .iter()
                    .filter(|(i, _)| self.fixed[*i].is_none())
                    .map(|(i, c)| (vars[i], *c))
                    .collect();
                if expr.is_empty() {
                    continue;
                }
                let rest = value
                    - eq.iter()
                        .filter_map(|(i, c)| self.fixed[*i].map(|f| f as f64 * c))
                        .sum::<f64>();
                problem.add_constraint(expr.as_slice(), ComparisonOp::Eq, rest);
            }
            let solution = problem.solve().unwrap().into_solution().unwrap();
            solution.objective().round() as i64
        };
        (
            fixed + solve(OptimizationDirection::Minimize),
            fixed + solve(OptimizationDirection::Maximize),
        )
    }
}

/// The real counts of some days, by table and row (the total: `("total", "")`).
type Counts = HashMap<(&'static str, String), u32>;

/// What a reader holding `reports` works out: every withheld count bounded below 3
/// that is 1 or 2, and every withheld count found exactly; how many withheld counts
/// were 1 or 2 in all.
fn attack(store: &Store, reports: &[PoliticiansReport]) -> (Vec<String>, Vec<String>, usize) {
    let mut reader = Reader::default();
    for report in reports {
        reader.read(report);
        // Never a grade beside a withheld count; never a published 1 or 2.
        for row in report.areas.iter().chain(&report.categories) {
            assert!(row.reports.is_some() || row.highest.is_none(), "{row:?}");
            for n in [row.reports, row.previous_reports]
                .iter()
                .chain(&row.per_column)
            {
                assert!(!matches!(n, Some(1 | 2)), "{row:?}");
            }
        }
    }
    let now = at("2027-02-01T12:00:00Z");
    // The reader knows the register: every area and category there is.
    let all = views::period_report(store, "2024-01-01", "2027-01-01", now).unwrap();
    for (table, rows) in [("area", &all.areas), ("category", &all.categories)] {
        reader
            .universe
            .insert(table, rows.iter().map(|r| r.key.clone()).collect());
    }
    for publication in store.publications().unwrap() {
        for part in publication.parts {
            let listed = |rows: &[lagesbild_core::PartRow]| {
                (
                    rows.iter()
                        .map(|r| r.key.clone())
                        .filter(|k| k != OTHERS)
                        .collect(),
                    rows.iter().any(|r| r.key == OTHERS),
                )
            };
            reader.parts.push(Part {
                listed: HashMap::from([
                    ("area", listed(&part.areas)),
                    ("category", listed(&part.categories)),
                ]),
                from: part.from,
                until: part.until,
            });
        }
    }
    reader.missing();
    let model = Model::of(&reader);
    // The truth, to check the reader and to know which withheld counts are small.
    let mut truths: HashMap<(String, String), Counts> = HashMap::new();
    let mut truth = |cell: &Cell| -> u32 {
        let mut count = |table: &'static str, key: &str, from: &str, until: &str| -> u32 {
            let counts = truths
                .entry((from.to_string(), until.to_string()))
                .or_insert_with(|| {
                    let full = views::period_report(store, from, until, now).unwrap();
                    let mut counts = HashMap::from([(("total", String::new()), full.reports)]);
                    for (table, rows) in [("area", &full.areas), ("category", &full.categories)] {
                        for row in rows {
                            counts.insert((table, row.key.clone()), row.reports);
                        }
                    }
                    counts
                });
            counts.get(&(table, key.to_string())).copied().unwrap_or(0)
        };
        if cell.key != OTHERS {
            return count(cell.table, &cell.key, &cell.from, &cell.until);
        }
        // The others: in each part the days touch, the rows it does not list.
        let mut sum = 0;
        for part in &reader.parts {
            let from = part.from.as_str().max(cell.from.as_str());
            let until = part.until.as_str().min(cell.until.as_str());
            let (listed, others) = &part.listed[cell.table];
            if from < until && *others {
                for key in reader.universe[cell.table].difference(listed) {
                    sum += count(cell.table, key, from, until);
                }
            }
        }
        sum
    };
    let (mut bounded, mut exact, mut small) = (Vec::new(), Vec::new(), 0);
    let mut withheld: Vec<&Cell> = reader
        .said
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(c, _)| c)
        .collect();
    withheld.sort();
    for cell in withheld {
        let real = i64::from(truth(cell));
        let (min, max) = model.bounds(cell);
        assert!(
            min <= real && real <= max,
            "{cell:?}: {real} outside {min}..{max}"
        );
        if (1..=2).contains(&real) {
            small += 1;
            if max < 3 {
                bounded.push(format!("{cell:?} = {real}, found {min}..={max}"));
            }
        }
        if min == max {
            exact.push(format!("{cell:?} = {real}"));
        }
    }
    for cell in reader.said.iter().filter_map(|(c, v)| v.map(|v| (c, v))) {
        assert_eq!(truth(cell.0), cell.1, "{:?}", cell.0);
    }
    (bounded, exact, small)
}

#[test]
fn the_audits_example_cannot_be_worked_out_by_subtraction() {
    // Total 7: Rönninge 5, Salems centrum 2.
    let (mut store, _, _) = demo_store(0);
    for day in 2..7 {
        let when = format!("2026-11-{day:02} 20:00");
        report(&mut store, "Rönninge station", "klotter", 2, &when);
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
    let now = at("2026-12-02T12:00:00Z");
    let november = publish(&mut store, "2026-11-01", "2026-12-01", now);
    let salem = november
        .areas
        .iter()
        .find(|r| r.name == "Salems centrum")
        .unwrap();
    assert_eq!(salem.reports, None);
    assert_eq!(salem.highest, None);
    let (bounded, exact, small) = attack(&store, &[november]);
    assert!(small > 0);
    assert!(bounded.is_empty(), "worked out: {bounded:#?}");
    assert!(exact.is_empty(), "exact: {exact:#?}");
}

/// A sparse year of reports: a few a month, places and categories unevenly used.
fn sparse_year(store: &mut Store, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    for month in 1..=12u32 {
        let days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
        for _ in 0..(4 + rng.usize(..16)) {
            let place = PLACES[rng.usize(..PLACES.len()).min(rng.usize(..PLACES.len()))];
            let category = CATEGORIES[rng
                .usize(..CATEGORIES.len())
                .min(rng.usize(..CATEGORIES.len()))];
            let when = format!(
                "2025-{month:02}-{:02} {:02}:30",
                1 + rng.u32(..days),
                12 + rng.u32(..10)
            );
            report(store, place, category, rng.i64(1..=5), &when);
        }
    }
}

/// A year as a coordinator publishes it: each month when it is over, each quarter, the
/// year, and periods of their own between (half a month before the month, two months
/// across a quarter's turn, a season).
fn publish_year(store: &mut Store) -> Vec<PoliticiansReport> {
    let mut published = Vec::new();
    let mut clock = at("2026-01-10T08:00:00Z").millis();
    let mut out = |store: &mut Store, from: &str, until: &str| {
        clock += 60_000;
        published.push(publish(
            store,
            from,
            until,
            Timestamp::from_millis(clock).unwrap(),
        ));
    };
    let month = |m: u32| format!("2025-{m:02}-01");
    let next = |m: u32| {
        if m == 12 {
            "2026-01-01".to_string()
        } else {
            format!("2025-{:02}-01", m + 1)
        }
    };
    for m in 1..=12u32 {
        if m == 6 {
            out(store, "2025-06-01", "2025-06-16");
        }
        if m == 9 {
            out(store, "2025-09-08", "2025-09-22");
        }
        out(store, &month(m), &next(m));
        if m % 3 == 0 {
            out(store, &month(m - 2), &next(m));
        }
        if m == 4 {
            out(store, "2025-03-01", "2025-05-01");
        }
        if m == 8 {
            out(store, "2025-06-01", "2025-09-01");
        }
    }
    out(store, "2025-01-01", "2026-01-01");
    published
}

#[test]
fn no_small_count_of_a_published_year_can_be_worked_out() {
    let mut total_small = 0;
    for seed in 0..3 {
        let (mut store, _, _) = demo_store(0);
        sparse_year(&mut store, seed);
        let published = publish_year(&mut store);
        assert_eq!(published.len(), 12 + 4 + 1 + 4);
        assert_eq!(store.publications().unwrap().len(), published.len());
        let (bounded, exact, small) = attack(&store, &published);
        total_small += small;
        assert!(bounded.is_empty(), "seed {seed}, worked out: {bounded:#?}");
        assert!(exact.is_empty(), "seed {seed}, exact: {exact:#?}");
        // How much the year's reports publish.
        let share = published
            .iter()
            .fold((0, 0), |(c, p), r| (c + r.share.all, p + r.share.shown));
        // And how many of their reports stand in an area whose count is published.
        let placed = published.iter().fold((0, 0), |(all, placed), r| {
            let rows: u32 = r.areas.iter().filter_map(|row| row.reports).sum();
            (all + r.reports.unwrap_or(0), placed + rows)
        });
        println!(
            "seed {seed}: {} of {} counts published ({:.0} %), {small} small counts withheld; \
             {:.0} % of the reports in an area shown",
            share.1,
            share.0,
            f64::from(share.1) / f64::from(share.0) * 100.0,
            f64::from(placed.1) / f64::from(placed.0) * 100.0
        );
    }
    // The data had small counts to protect.
    assert!(total_small > 50, "{total_small}");
}

#[test]
fn a_period_that_would_cut_a_published_one_is_refused_and_nothing_is_recorded() {
    let (mut store, _, _) = demo_store(0);
    sparse_year(&mut store, 7);
    let now = at("2026-01-10T08:00:00Z");
    publish(&mut store, "2025-11-01", "2025-12-01", now);
    let refused = views::politicians_report(&store, "2025-11-02", "2025-12-01", now)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("november 2025"), "{refused}");
    assert!(refused.contains("2025-11-01 – 2025-11-30"), "{refused}");
    assert_eq!(store.publications().unwrap().len(), 1);
    // Across the turn of a month too; the month after is fine.
    assert!(views::politicians_report(&store, "2025-10-20", "2025-11-10", now).is_err());
    assert!(views::politicians_report(&store, "2025-12-01", "2026-01-01", now).is_ok());
}

#[test]
fn a_published_count_is_never_changed_by_a_report_that_arrives_late() {
    let (mut store, _, _) = demo_store(0);
    sparse_year(&mut store, 3);
    let now = at("2026-01-10T08:00:00Z");
    let before = publish(&mut store, "2025-11-01", "2025-12-01", now);
    report(
        &mut store,
        "Rönninge station",
        "klotter",
        3,
        "2025-11-12 21:00",
    );
    let again = views::politicians_report(&store, "2025-11-01", "2025-12-01", now).unwrap();
    assert_eq!(again.areas, before.areas);
    assert_eq!(again.reports, before.reports);
    // The quarter's other months are counted now; November stays as published.
    let quarter = views::politicians_report(&store, "2025-10-01", "2026-01-01", now).unwrap();
    let column = quarter
        .columns
        .iter()
        .position(|c| c.from == "2025-11-01")
        .unwrap();
    for row in &quarter.areas {
        let published = before.areas.iter().find(|r| r.key == row.key);
        // A row November leaves out had none there, or is among its others.
        let gathers = before.areas.iter().any(|r| r.key == OTHERS);
        let missing = (!gathers).then_some(0);
        assert_eq!(
            row.per_column[column],
            published.map_or(missing, |r| r.reports)
        );
    }
}

#[test]
fn only_the_coordinator_publishes() {
    let (mut store, _, _) = demo_store(4);
    sparse_year(&mut store, 1);
    let now = at("2026-01-10T08:00:00Z");
    let report = views::politicians_report(&store, "2025-11-01", "2025-12-01", now).unwrap();
    let refused = store.publish(&report, b"<html>", now).unwrap_err();
    assert_eq!(refused.code(), lagesbild_core::ErrorCode::Forbidden);
    assert!(store.publications().unwrap().is_empty());
}

#[test]
fn a_publication_too_large_to_sync_is_refused_and_nothing_is_recorded() {
    let (mut store, _, _) = demo_store(0);
    sparse_year(&mut store, 5);
    let now = at("2026-01-10T08:00:00Z");
    let mut report = views::politicians_report(&store, "2025-01-01", "2026-01-01", now).unwrap();
    // Two hundred places each its own row, in every month: more than one change holds.
    for part in &mut report.parts {
        part.areas = (0..200)
            .map(|i| lagesbild_core::PartRow {
                key: format!("01a24f0e-6145-73a5-bab9-{i:012}"),
                name: format!("Plats {i}"),
                reports: Some(0),
                highest: None,
                per_column: vec![Some(0); part.columns.len()],
            })
            .collect();
    }
    let refused = store
        .publish(&report, b"<html>", now)
        .unwrap_err()
        .to_string();
    assert!(refused.contains("publish the months first"), "{refused}");
    assert!(store.publications().unwrap().is_empty());
}

#[test]
fn small_areas_are_gathered_into_others_rather_than_shown_as_rows_of_dots() {
    let (mut store, _, _) = demo_store(0);
    // Salems centrum has enough to stand; three areas have a report or two each.
    for day in 2..14 {
        let when = format!("2025-11-{day:02} 20:00");
        report(&mut store, "Salems centrum, torget", "klotter", 2, &when);
    }
    report(
        &mut store,
        "Rönninge station",
        "klotter",
        3,
        "2025-11-04 21:00",
    );
    report(
        &mut store,
        "Rönninge station",
        "klotter",
        3,
        "2025-11-05 21:00",
    );
    report(
        &mut store,
        "Skogsängsskolan",
        "klotter",
        2,
        "2025-11-06 21:00",
    );
    report(&mut store, "Säby gård", "klotter", 4, "2025-11-20 21:00");
    let now = at("2026-01-10T08:00:00Z");
    let november = publish(&mut store, "2025-11-01", "2025-12-01", now);
    let names: Vec<&str> = november.areas.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["Salems centrum", "Övriga områden"],
        "{:#?}",
        november.areas
    );
    let others = &november.areas[1];
    assert_eq!(others.key, OTHERS);
    assert_eq!(others.reports, Some(4));
    assert_eq!(november.areas[0].reports, Some(12));
    let html = november.html(lagesbild_core::Lang::Sv);
    assert!(html.contains(">Övriga områden</th>"), "{html}");
    assert!(
        html.contains("samlar de som har för få rapporter"),
        "{html}"
    );
    let english = november.html(lagesbild_core::Lang::En);
    assert!(english.contains(">Other areas</th>"));
    // Which areas it holds is nowhere in the file.
    for area in ["Rönninge", "Skogsängen", "Säby"] {
        assert!(!html.contains(area), "{area} named");
    }
    let (bounded, exact, small) = attack(&store, &[november]);
    assert!(small >= 3, "{small}");
    assert!(bounded.is_empty(), "worked out: {bounded:#?}");
    assert!(exact.is_empty(), "exact: {exact:#?}");
}
