//! The lägesrapport as it may leave the collaboration: for the municipal board and
//! other politicians. Counts are protected by cell suppression (`disclosure`): counts
//! of 1 or 2 are not published, nor any other count that would let a reader work them
//! out from the totals, the rows, the columns or the other table; a row whose count is
//! not published shows no highest grade either.
//!
//! A report is built from the ledger's parts (`ledger`): each stretch of days is
//! protected once, when first published, and published the same ever after; the period
//! before is shown as its parts were published. So every report that has left, read
//! together, tells no more than each part alone.
//!
//! Rows too small to stand alone are gathered into one row, *övriga områden* or
//! *övriga kategorier* (`OTHERS`), rather than shown as rows of "..": which rows it
//! holds is not published, so a reader cannot tell a row in it from a row with no
//! reports (see `PeriodReport::with_others` for why that keeps them protected).
//!
//! Rows are in alphabetical order (the row of others last), never by size: an order by size would bound a
//! suppressed count between its neighbours. Events (linked reports counted once) and
//! the decisions' counts at single places are left out: both are finer than the tables
//! they would be checked against.

use serde::{Deserialize, Serialize};

use super::disclosure::Network;
use super::{DecisionOutcome, PeriodReport, PeriodRow};
use crate::codes::{DecisionStatus, Deployee};
use crate::grade::Grade;
use crate::model::{PartRow, PublishedPart};
use crate::time::{IsoWeek, Timestamp, parse_day};

/// A count as published: `None` where it is suppressed.
pub type Published = Option<u32>;

/// The key of the row that gathers a part's rows too small to stand alone.
pub const OTHERS: &str = "övriga";

/// The row of others' total must reach this to be shown at all: it holds at least two
/// rows, each with a report, so a reader who knows that bounds each by the total less
/// one, and that must still leave room for 3.
const OTHERS_AT_LEAST: u32 = 4;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedRow {
    pub key: String,
    pub name: String,
    pub reports: Published,
    /// `None` also where the period before is not shown (`previous_shown`).
    pub previous_reports: Published,
    /// Only where `reports` is published.
    pub highest: Option<Grade>,
    /// One count per column, in `PoliticiansReport::columns` order.
    pub per_column: Vec<Published>,
}

/// A column of the tables: a week (cut to the period: `partial`), or, in a report of
/// several published parts, one part.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Its days, `from` up to (not including) `until`.
    pub from: String,
    pub until: String,
    /// The week it is (or is part of); none for a column that is a part.
    pub week: Option<IsoWeek>,
    /// A week of which only some days fall in the period.
    pub partial: bool,
}

/// A decision and its follow-up, without counts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedDecision {
    pub place: String,
    pub deployees: Vec<Deployee>,
    pub days: Vec<String>,
    pub why: String,
    pub responsible: String,
    pub status: DecisionStatus,
    pub note: String,
    pub decided_week: IsoWeek,
}

/// How much of a table is published: its counts, and how many of them are shown.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// Counts in the table, withheld or not.
    pub all: u32,
    pub shown: u32,
}

impl Share {
    fn add(&mut self, n: Published) {
        self.all += 1;
        self.shown += u32::from(n.is_some());
    }

    /// The share published, 0 to 1; 1 for a table without counts.
    pub fn ratio(self) -> f64 {
        if self.all == 0 {
            1.0
        } else {
            f64::from(self.shown) / f64::from(self.all)
        }
    }
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoliticiansReport {
    pub workspace: String,
    pub from: String,
    pub until: String,
    /// The period before, as `from` and `until`.
    pub previous_from: String,
    pub previous_until: String,
    /// Whether the period before is shown: not where it would cut a report already
    /// published (`ledger`).
    pub previous_shown: bool,
    pub generated_at: Timestamp,
    pub columns: Vec<Column>,
    pub reports: Published,
    pub previous_reports: Published,
    pub areas: Vec<PublishedRow>,
    pub categories: Vec<PublishedRow>,
    pub decisions: Vec<PublishedDecision>,
    /// The activities: status, målvisare, verdict and relative change with its interval,
    /// the period's reconsiderations; no counts, and no names of people.
    #[serde(default)]
    pub efforts: Vec<PublishedEffort>,
    /// How many counts are suppressed, the period before's included.
    pub suppressed: u32,
    /// How much of each table is published: areas, categories, and all counts.
    pub share_areas: Share,
    pub share_categories: Share,
    pub share: Share,
    /// The stretches of days its counts come from, as the ledger keeps them: what
    /// publishing it records (`Store::publish`). Not part of the file.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub parts: Vec<PublishedPart>,
}

/// An activity as it may leave the collaboration. A verdict is published where its
/// counts are not: an effect is only estimated from at least 20 reports before its start
/// and 40 in all, and the change is relative, so it singles no one out; the counts
/// themselves would be finer than the tables they could be checked against, and are
/// left out. *För lite underlag* is published without its reason, which names counts.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedEffort {
    pub promise: Option<String>,
    pub activity: String,
    pub responsible: String,
    pub status: crate::effect::follow_up::ActivityStatus,
    pub malvisare: Option<crate::effect::indicator::Colour>,
    pub verdict: Option<crate::effect::Verdict>,
    pub change: Option<crate::effect::Change>,
    /// What the meeting decided, when, and why.
    pub reconsiderations: Vec<PublishedReconsideration>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedReconsideration {
    pub outcome: crate::codes::Reconsideration,
    pub date: String,
    pub reason: String,
}

fn published_effort(e: &super::EffortOutcome) -> PublishedEffort {
    use crate::effect::Verdict;
    PublishedEffort {
        promise: e.promise.clone(),
        activity: e.activity.clone(),
        responsible: e.responsible.clone(),
        status: e.status,
        malvisare: e.malvisare.as_ref().map(|m| m.colour),
        verdict: e.verdict.clone().map(|v| match v {
            Verdict::ForLiteUnderlag { .. } => Verdict::ForLiteUnderlag { why: String::new() },
            other => other,
        }),
        // In whole per cent, as the file prints it: no more digits than it shows.
        change: e.change.map(|c| {
            let whole = |x: f64| (x * 100.0).round() / 100.0;
            crate::effect::Change {
                estimate: whole(c.estimate),
                low: whole(c.low),
                high: whole(c.high),
            }
        }),
        reconsiderations: e
            .reconsiderations
            .iter()
            .map(|r| PublishedReconsideration {
                outcome: r.outcome,
                date: r.at.local_date().to_string(),
                reason: r.reason.clone(),
            })
            .collect(),
    }
}

/// Where each count of a report sits in its network.
struct Layout {
    network: Network,
    total: usize,
    areas: Vec<(usize, Vec<usize>)>,
    categories: Vec<(usize, Vec<usize>)>,
}

/// What suppressing a count costs its reader: interior cells are cheapest, a row's
/// total dearer, the grand total dearest; within each, small counts first.
const CELL: u64 = 1;
const ROW: u64 = 50;
const GRAND: u64 = 10_000;

impl PeriodReport {
    /// The period's counts as a network: the grand total flows into every area's
    /// total, on through its weeks, and back out through the categories. The weeks'
    /// totals are not published, but each is the same in both tables, and that is what
    /// the week nodes say.
    fn layout(&self) -> Layout {
        let mut network = Network::new();
        let (source, sink) = (network.node(), network.node());
        let weeks: Vec<usize> = self.weeks.iter().map(|_| network.node()).collect();
        let total = network.arc(sink, source, self.reports, GRAND + u64::from(self.reports));
        let mut areas = Vec::new();
        for row in &self.areas {
            let node = network.node();
            let sum = network.arc(source, node, row.reports, ROW + u64::from(row.reports));
            let cells = row
                .per_week
                .iter()
                .zip(&weeks)
                .map(|(&n, &week)| network.arc(node, week, n, CELL + u64::from(n)))
                .collect();
            areas.push((sum, cells));
        }
        let mut categories = Vec::new();
        for row in &self.categories {
            let node = network.node();
            let cells = row
                .per_week
                .iter()
                .zip(&weeks)
                .map(|(&n, &week)| network.arc(week, node, n, CELL + u64::from(n)))
                .collect();
            let sum = network.arc(node, sink, row.reports, ROW + u64::from(row.reports));
            categories.push((sum, cells));
        }
        Layout {
            network,
            total,
            areas,
            categories,
        }
    }

    /// The period's counts protected on their own, as the ledger keeps a part: rows
    /// whose total is published as 0 are left out (a missing row is 0, unless the table
    /// has a row of others).
    pub fn published_part(&self) -> PublishedPart {
        let layout = self.layout();
        let hidden = layout.network.suppress(&[]);
        let mut best = self.part(&layout, &hidden);
        let (areas, categories) = self.with_others(&layout, &hidden);
        let options = [
            (areas.clone(), None),
            (None, categories.clone()),
            (areas, categories),
        ];
        for (areas, categories) in options {
            if areas.is_none() && categories.is_none() {
                continue;
            }
            let merged = PeriodReport {
                areas: areas.unwrap_or_else(|| self.areas.clone()),
                categories: categories.unwrap_or_else(|| self.categories.clone()),
                ..self.clone()
            };
            let again = merged.layout();
            let hidden_again = again.network.suppress(&[]);
            // Every row left standing keeps its total published: a reader who knows the
            // rule learns nothing from which rows stand.
            let standing = again
                .areas
                .iter()
                .zip(&merged.areas)
                .chain(again.categories.iter().zip(&merged.categories))
                .filter(|(_, row)| row.key != OTHERS)
                .all(|((sum, _), _)| !hidden_again[*sum]);
            let part = merged.part(&again, &hidden_again);
            if standing && usefulness(&part) > usefulness(&best) {
                best = part;
            }
        }
        best
    }

    /// Each table with the rows whose totals a first protection withheld gathered into
    /// one row of others; `None` where that gains nothing: fewer than two such rows, too
    /// few reports in them (`OTHERS_AT_LEAST`), or no row left to stand beside them.
    /// `published_part` keeps whichever of the tables, gathered or not, is the more
    /// useful (`usefulness`).
    ///
    /// Why its rows stay protected: the part lists every other row, and a reader cannot
    /// tell a row in the others from one with no reports, so each is bounded only by the
    /// others' total; that is at least 4 where published, and where withheld, no less
    /// than 3 can be ruled out (`disclosure`). Knowing that at least two rows are in it
    /// takes one report off that bound, which is why the total must reach 4.
    fn with_others(
        &self,
        layout: &Layout,
        hidden: &[bool],
    ) -> (Option<Vec<PeriodRow>>, Option<Vec<PeriodRow>>) {
        let gather = |rows: &[PeriodRow], arcs: &[(usize, Vec<usize>)], name: &str| {
            let (mut small, mut kept) = (Vec::new(), Vec::new());
            for (row, (sum, _)) in rows.iter().zip(arcs) {
                if hidden[*sum] && row.reports > 0 {
                    small.push(row);
                } else {
                    kept.push(row.clone());
                }
            }
            let total: u32 = small.iter().map(|r| r.reports).sum();
            let standing = kept.iter().any(|r| r.reports > 0);
            if small.len() < 2 || total < OTHERS_AT_LEAST || !standing {
                return None;
            }
            let mut others = PeriodRow {
                key: OTHERS.to_string(),
                name: name.to_string(),
                reports: 0,
                events: 0,
                previous_reports: 0,
                highest: None,
                per_week: vec![0; self.weeks.len()],
            };
            for row in small {
                others.reports += row.reports;
                others.events += row.events;
                others.previous_reports += row.previous_reports;
                others.highest = others.highest.max(row.highest);
                for (sum, n) in others.per_week.iter_mut().zip(&row.per_week) {
                    *sum += n;
                }
            }
            kept.push(others);
            Some(kept)
        };
        (
            gather(&self.areas, &layout.areas, "Övriga områden"),
            gather(&self.categories, &layout.categories, "Övriga kategorier"),
        )
    }

    /// The part as `hidden` leaves it.
    fn part(&self, layout: &Layout, hidden: &[bool]) -> PublishedPart {
        let show = |arc: usize, n: u32| (!hidden[arc]).then_some(n);
        let rows = |list: &[PeriodRow], arcs: &[(usize, Vec<usize>)]| -> Vec<PartRow> {
            list.iter()
                .zip(arcs)
                .map(|(row, (sum, cells))| {
                    let reports = show(*sum, row.reports);
                    PartRow {
                        key: row.key.clone(),
                        name: row.name.clone(),
                        reports,
                        highest: reports.and(row.highest),
                        per_column: row
                            .per_week
                            .iter()
                            .zip(cells)
                            .map(|(&n, &arc)| show(arc, n))
                            .collect(),
                    }
                })
                .filter(|row| row.reports != Some(0))
                .collect()
        };
        let from = parse_day(&self.from).ok();
        PublishedPart {
            from: self.from.clone(),
            until: self.until.clone(),
            columns: self
                .weeks
                .iter()
                .map(|w| {
                    let monday = w.monday();
                    from.map_or(monday, |f| f.max(monday)).to_string()
                })
                .collect(),
            reports: show(layout.total, self.reports),
            areas: rows(&self.areas, &layout.areas),
            categories: rows(&self.categories, &layout.categories),
        }
    }
}

/// The version for politicians of the period `parts` cover (`now`), against the
/// period before (`before`; none where it cannot be shown), with `full`'s decisions and
/// activities. Every count is a part's published count or a sum of them; a sum is
/// published only where every count it adds is.
pub fn assemble(
    full: &PeriodReport,
    now: Vec<PublishedPart>,
    before: Option<Vec<PublishedPart>>,
    previous: (String, String),
) -> PoliticiansReport {
    let columns: Vec<Column> = match now.as_slice() {
        [one] => week_columns(one),
        parts => parts
            .iter()
            .map(|p| Column {
                from: p.from.clone(),
                until: p.until.clone(),
                week: None,
                partial: false,
            })
            .collect(),
    };
    let single = now.len() == 1;
    fn sum(mut counts: impl Iterator<Item = Published>) -> Published {
        counts.try_fold(0u32, |acc, n| Some(acc + n?))
    }
    let table = |pick: fn(&PublishedPart) -> &Vec<PartRow>| -> Vec<PublishedRow> {
        let mut keys: Vec<(String, String)> = Vec::new();
        // The newest part's name stands: the period before's first, then the period's.
        for part in before.iter().flatten().chain(now.iter()) {
            for row in pick(part) {
                match keys.iter_mut().find(|(k, _)| *k == row.key) {
                    Some(known) => known.1.clone_from(&row.name),
                    None => keys.push((row.key.clone(), row.name.clone())),
                }
            }
        }
        let row_in =
            |part: &PublishedPart, key: &str| pick(part).iter().find(|r| r.key == key).cloned();
        // A row missing from a part had no reports there — 0, published — unless the
        // part has a row of others, which it may be in: then it is known only where the
        // others are 0.
        let others = |part: &PublishedPart, key: &str| {
            pick(part)
                .iter()
                .find(|r| r.key == OTHERS && key != OTHERS)
                .cloned()
        };
        let missing = |part: &PublishedPart, key: &str| -> Published {
            others(part, key).map_or(Some(0), |o| o.reports.filter(|&n| n == 0))
        };
        let missing_columns = |part: &PublishedPart, key: &str| -> Vec<Published> {
            match others(part, key) {
                Some(o) => o.per_column.iter().map(|n| n.filter(|&n| n == 0)).collect(),
                None => vec![Some(0); part.columns.len()],
            }
        };
        let count = |part: &PublishedPart, key: &str| -> Published {
            row_in(part, key).map_or_else(|| missing(part, key), |r| r.reports)
        };
        let all_gather = now.iter().all(|p| pick(p).iter().any(|r| r.key == OTHERS));
        let mut rows: Vec<PublishedRow> = keys
            .into_iter()
            .map(|(key, name)| {
                let found: Vec<Option<PartRow>> = now.iter().map(|p| row_in(p, &key)).collect();
                let reports = sum(now.iter().map(|p| count(p, &key)));
                let per_column = if single {
                    match &found[0] {
                        Some(r) => r.per_column.clone(),
                        None => missing_columns(&now[0], &key),
                    }
                } else {
                    now.iter().map(|p| count(p, &key)).collect()
                };
                let highest =
                    reports.and_then(|_| found.iter().flatten().filter_map(|r| r.highest).max());
                let previous_reports = before
                    .as_ref()
                    .and_then(|parts| sum(parts.iter().map(|p| count(p, &key))));
                PublishedRow {
                    key,
                    name,
                    reports,
                    previous_reports,
                    highest,
                    per_column,
                }
            })
            .filter(|r| r.reports != Some(0) || (r.previous_reports != Some(0) && before.is_some()))
            // Where every part gathers others, a row that shows nothing is among them
            // or had no reports, as a row left out is: it says nothing a reader does not
            // already know.
            .filter(|r| {
                !(all_gather
                    && r.reports.is_none()
                    && r.previous_reports.is_none()
                    && r.per_column.iter().all(Option::is_none))
            })
            .collect();
        rows.sort_by_key(|r| (r.key == OTHERS, swedish_order(&r.name)));
        rows
    };
    let areas = table(|p| &p.areas);
    let categories = table(|p| &p.categories);
    let reports = sum(now.iter().map(|p| p.reports));
    let previous_reports = before
        .as_ref()
        .and_then(|parts| sum(parts.iter().map(|p| p.reports)));
    let share_of = |rows: &[PublishedRow]| {
        let mut share = Share { all: 0, shown: 0 };
        for row in rows {
            share.add(row.reports);
            if before.is_some() {
                share.add(row.previous_reports);
            }
            row.per_column.iter().for_each(|&n| share.add(n));
        }
        share
    };
    let (share_areas, share_categories) = (share_of(&areas), share_of(&categories));
    let mut share = Share {
        all: share_areas.all + share_categories.all,
        shown: share_areas.shown + share_categories.shown,
    };
    share.add(reports);
    if before.is_some() {
        share.add(previous_reports);
    }
    let parts = now.iter().chain(before.iter().flatten()).cloned().collect();
    PoliticiansReport {
        workspace: full.workspace.clone(),
        from: full.from.clone(),
        until: full.until.clone(),
        previous_from: previous.0,
        previous_until: previous.1,
        previous_shown: before.is_some(),
        generated_at: full.generated_at,
        columns,
        reports,
        previous_reports,
        areas,
        categories,
        decisions: full.decisions.iter().map(published_decision).collect(),
        efforts: full.efforts.iter().map(published_effort).collect(),
        suppressed: share.all - share.shown,
        share_areas,
        share_categories,
        share,
        parts,
    }
}

/// How useful a part is to its reader: first how many of its reports stand in a row
/// whose total is published — a row of others counts, a row of ".." does not — then the
/// share of its counts published.
fn usefulness(part: &PublishedPart) -> (u32, u64) {
    let placed = part
        .areas
        .iter()
        .chain(&part.categories)
        .filter_map(|r| r.reports)
        .sum();
    let mut share = Share { all: 0, shown: 0 };
    share.add(part.reports);
    for row in part.areas.iter().chain(&part.categories) {
        share.add(row.reports);
        row.per_column.iter().for_each(|&n| share.add(n));
    }
    (placed, (share.ratio() * 1e6) as u64)
}

/// A part's weeks as columns, each cut to the part.
fn week_columns(part: &PublishedPart) -> Vec<Column> {
    let end = parse_day(&part.until).ok();
    part.columns
        .iter()
        .filter_map(|first| {
            let first = parse_day(first).ok()?;
            let week = IsoWeek::containing_date(first);
            let next = week.monday() + chrono::Days::new(7);
            let until = end.map_or(next, |e| e.min(next));
            Some(Column {
                from: first.to_string(),
                until: until.to_string(),
                week: Some(week),
                partial: first > week.monday() || until < next,
            })
        })
        .collect()
}

fn published_decision(d: &DecisionOutcome) -> PublishedDecision {
    PublishedDecision {
        place: d.place.clone(),
        deployees: d.deployees.clone(),
        days: d.days.clone(),
        why: d.why.clone(),
        responsible: d.responsible.clone(),
        status: d.status,
        note: d.note.clone(),
        decided_week: d.decided_week,
    }
}

/// A sort key that puts Swedish names in Swedish order: … x y z å ä ö.
pub fn swedish_order(name: &str) -> Vec<u32> {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'å' => u32::from('z') + 1,
            'ä' | 'æ' => u32::from('z') + 2,
            'ö' | 'ø' => u32::from('z') + 3,
            'é' | 'è' => u32::from('e'),
            'ü' => u32::from('y'),
            c => u32::from(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_names_sort_as_in_swedish() {
        let mut names = vec!["Östra", "Ängen", "Åsen", "Centrum", "Zeta"];
        names.sort_by_key(|n| swedish_order(n));
        assert_eq!(names, ["Centrum", "Zeta", "Åsen", "Ängen", "Östra"]);
    }
}
