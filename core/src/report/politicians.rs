//! The lägesrapport as it may leave the collaboration: for the municipal board and
//! other politicians. Counts are protected by cell suppression (`disclosure`): counts
//! of 1 or 2 are not published, nor any other count that would let a reader work them
//! out from the totals, the rows, the columns or the other table; a row whose count is
//! not published shows no highest grade either. The period before is published as its
//! own report published it, so that the two together tell no more than each.
//!
//! Rows are in alphabetical order, never by size: an order by size would bound a
//! suppressed count between its neighbours. Events (linked reports counted once) and
//! the decisions' counts at single places are left out: both are finer than the tables
//! they would be checked against.

use serde::{Deserialize, Serialize};

use super::disclosure::Network;
use super::{DecisionOutcome, PeriodReport, PeriodRow};
use crate::codes::{DecisionStatus, Deployee};
use crate::grade::Grade;
use crate::time::{IsoWeek, Timestamp};

/// A count as published: `None` where it is suppressed.
pub type Published = Option<u32>;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedRow {
    pub key: String,
    pub name: String,
    pub reports: Published,
    pub previous_reports: Published,
    /// Only where `reports` is published.
    pub highest: Option<Grade>,
    pub per_week: Vec<Published>,
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

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoliticiansReport {
    pub workspace: String,
    pub from: String,
    pub until: String,
    /// The period before, as `from` and `until`.
    pub previous_from: String,
    pub previous_until: String,
    pub generated_at: Timestamp,
    pub weeks: Vec<IsoWeek>,
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
        change: e.change,
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

    /// The report's own counts with the suppressed ones hidden, rows in the report's
    /// order.
    fn protected(&self) -> Protected {
        let layout = self.layout();
        let hidden = layout.network.suppress(&[]);
        let show = |arc: usize, n: u32| (!hidden[arc]).then_some(n);
        let rows = |list: &[PeriodRow], arcs: &[(usize, Vec<usize>)]| -> Vec<PublishedRow> {
            list.iter()
                .zip(arcs)
                .map(|(row, (sum, cells))| {
                    let reports = show(*sum, row.reports);
                    PublishedRow {
                        key: row.key.clone(),
                        name: row.name.clone(),
                        reports,
                        previous_reports: None,
                        highest: reports.and(row.highest),
                        per_week: row
                            .per_week
                            .iter()
                            .zip(cells)
                            .map(|(&n, &arc)| show(arc, n))
                            .collect(),
                    }
                })
                .collect()
        };
        Protected {
            reports: show(layout.total, self.reports),
            areas: rows(&self.areas, &layout.areas),
            categories: rows(&self.categories, &layout.categories),
        }
    }

    /// The version for politicians. `before` is the report of the period before
    /// (`previous_period`): its totals are published here as its own protected version
    /// publishes them.
    pub fn for_politicians(&self, before: &PeriodReport) -> PoliticiansReport {
        let now = self.protected();
        let earlier = before.protected();
        let finish = |mut rows: Vec<PublishedRow>, earlier: &[PublishedRow]| {
            for row in &mut rows {
                // Nothing in the period before: no row there, and 0, published.
                row.previous_reports = earlier
                    .iter()
                    .find(|r| r.key == row.key)
                    .map_or(Some(0), |r| r.reports);
            }
            rows.sort_by_key(|r| swedish_order(&r.name));
            rows
        };
        let areas = finish(now.areas, &earlier.areas);
        let categories = finish(now.categories, &earlier.categories);
        let suppressed = areas
            .iter()
            .chain(&categories)
            .flat_map(|r| {
                [r.reports, r.previous_reports]
                    .into_iter()
                    .chain(r.per_week.iter().copied())
            })
            .chain([now.reports, earlier.reports])
            .filter(Option::is_none)
            .count();
        PoliticiansReport {
            workspace: self.workspace.clone(),
            from: self.from.clone(),
            until: self.until.clone(),
            previous_from: before.from.clone(),
            previous_until: before.until.clone(),
            generated_at: self.generated_at,
            weeks: self.weeks.clone(),
            reports: now.reports,
            previous_reports: earlier.reports,
            areas,
            categories,
            decisions: self.decisions.iter().map(published_decision).collect(),
            efforts: self.efforts.iter().map(published_effort).collect(),
            suppressed: u32::try_from(suppressed).unwrap_or(u32::MAX),
        }
    }
}

struct Protected {
    reports: Published,
    areas: Vec<PublishedRow>,
    categories: Vec<PublishedRow>,
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
