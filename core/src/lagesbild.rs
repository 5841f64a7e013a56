//! The weekly lägesbild: per place and per area, how many reports, how serious, of what,
//! from whom, and how that compares with the four weeks before. A function of the
//! week's counts ([`WeekCounts`], which the store reads from the projection with grouped
//! range scans, no document loaded) and the register.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::codes::PlaceKind;
use crate::grade::Grade;
use crate::ids::{OrganisationId, PlaceId, WorkspaceId};
use crate::model::ObservationFilter;
use crate::model::{Organisation, Place};
use crate::time::IsoWeek;

/// How many earlier weeks the trend compares with.
pub const TREND_WEEKS: usize = 4;

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lagesbild {
    pub workspace: WorkspaceId,
    pub week: IsoWeek,
    /// The weeks the trend compares with, most recent first.
    pub previous_weeks: [IsoWeek; TREND_WEEKS],
    pub filter: ObservationFilter,
    pub total_reports: u32,
    /// Places with reports this week or in the previous weeks, most serious first.
    pub places: Vec<Summary>,
    /// The same, rolled up per area.
    pub areas: Vec<Summary>,
    /// Every report of these weeks is on this device. False only while a new device's
    /// bootstrap is still bringing in reports this far back.
    #[serde(default)]
    pub complete: bool,
}

/// One place's or area's week.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub place: PlaceId,
    pub name: String,
    pub kind: PlaceKind,
    pub area: Option<PlaceId>,
    pub lat: f64,
    pub lon: f64,
    pub reports: u32,
    /// Events: reports linked as one event count once.
    pub events: u32,
    pub highest: Option<Grade>,
    /// The median grade; halfway between two grades when the count is even.
    pub median: Option<f64>,
    /// Reports per grade, index 0 = grade 1.
    pub grades: [u32; 5],
    pub categories: BTreeMap<String, u32>,
    pub organisations: Vec<OrganisationCount>,
    /// Reports in each previous week, most recent first.
    pub previous: [u32; TREND_WEEKS],
    /// The highest grade in the previous weeks.
    pub previous_highest: Option<Grade>,
    pub trend: Trend,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationCount {
    pub organisation: OrganisationId,
    pub name: String,
    pub reports: u32,
}

/// This week's number of reports against the average of the previous weeks.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    /// Reports this week, none in the previous weeks.
    New,
    /// At least one report, and a quarter, above the previous average.
    Rising,
    Steady,
    /// At least one report, and a quarter, below the previous average.
    Falling,
}

impl Trend {
    pub fn between(reports: u32, previous: &[u32; TREND_WEEKS]) -> Trend {
        let total: u32 = previous.iter().sum();
        if total == 0 {
            return if reports > 0 {
                Trend::New
            } else {
                Trend::Steady
            };
        }
        let average = f64::from(total) / TREND_WEEKS as f64;
        let threshold = (average * 0.25).max(1.0);
        let difference = f64::from(reports) - average;
        if difference >= threshold {
            Trend::Rising
        } else if difference <= -threshold {
            Trend::Falling
        } else {
            Trend::Steady
        }
    }
}

impl Summary {
    fn empty(place: &Place) -> Summary {
        Summary {
            place: place.id,
            name: place.name.clone(),
            kind: place.kind,
            area: place.area,
            lat: place.lat,
            lon: place.lon,
            reports: 0,
            events: 0,
            highest: None,
            median: None,
            grades: [0; 5],
            categories: BTreeMap::new(),
            organisations: Vec::new(),
            previous: [0; TREND_WEEKS],
            previous_highest: None,
            trend: Trend::Steady,
        }
    }

    fn add_current(
        &mut self,
        grade: Grade,
        category: &str,
        organisation: OrganisationId,
        count: u32,
    ) {
        self.reports += count;
        // Each report is an event until linked reports are counted once (below).
        self.events += count;
        self.grades[usize::from(grade.value() - 1)] += count;
        *self.categories.entry(category.to_string()).or_default() += count;
        match self
            .organisations
            .iter_mut()
            .find(|o| o.organisation == organisation)
        {
            Some(o) => o.reports += count,
            None => self.organisations.push(OrganisationCount {
                organisation,
                name: String::new(),
                reports: count,
            }),
        }
    }

    fn add_previous(&mut self, index: usize, count: u32, highest: Grade) {
        self.previous[index] += count;
        self.previous_highest = self.previous_highest.max(Some(highest));
    }

    fn absorb(&mut self, other: &Summary) {
        self.reports += other.reports;
        self.events += other.events;
        for (mine, theirs) in self.grades.iter_mut().zip(other.grades) {
            *mine += theirs;
        }
        for (category, count) in &other.categories {
            *self.categories.entry(category.clone()).or_default() += count;
        }
        for theirs in &other.organisations {
            self.add_org(theirs);
        }
        for (mine, theirs) in self.previous.iter_mut().zip(other.previous) {
            *mine += theirs;
        }
        self.previous_highest = self.previous_highest.max(other.previous_highest);
    }

    fn add_org(&mut self, theirs: &OrganisationCount) {
        match self
            .organisations
            .iter_mut()
            .find(|o| o.organisation == theirs.organisation)
        {
            Some(o) => o.reports += theirs.reports,
            None => self.organisations.push(theirs.clone()),
        }
    }

    /// Derives highest, median and trend from the counts, and names organisations.
    fn finish(&mut self, names: &HashMap<OrganisationId, String>) {
        self.highest = (1..=5)
            .rev()
            .find(|g| self.grades[g - 1] > 0)
            .and_then(|g| Grade::new(g as i64).ok());
        self.median = median(&self.grades);
        self.trend = Trend::between(self.reports, &self.previous);
        for org in &mut self.organisations {
            org.name = names
                .get(&org.organisation)
                .cloned()
                .unwrap_or_else(|| "okänd organisation".into());
        }
        self.organisations
            .sort_by(|a, b| b.reports.cmp(&a.reports).then_with(|| a.name.cmp(&b.name)));
    }
}

/// The median of a grade histogram (index 0 = grade 1).
pub fn median(grades: &[u32; 5]) -> Option<f64> {
    let n: u32 = grades.iter().sum();
    if n == 0 {
        return None;
    }
    // The k-th smallest grade, k counted from 1.
    let nth = |k: u32| {
        let mut seen = 0;
        for (i, count) in grades.iter().enumerate() {
            seen += count;
            if seen >= k {
                return i as f64 + 1.0;
            }
        }
        5.0
    };
    Some(if n % 2 == 1 {
        nth(n / 2 + 1)
    } else {
        (nth(n / 2) + nth(n / 2 + 1)) / 2.0
    })
}

/// The summary of a place in `map`, created empty on first use. A place missing from
/// the register (not yet synced) is shown as unknown rather than dropped.
/// The place a report counts for: a merged place's reports count for the place it was
/// merged into.
pub(crate) fn resolve<P: std::borrow::Borrow<Place>>(
    places: &HashMap<PlaceId, P>,
    mut id: PlaceId,
) -> PlaceId {
    for _ in 0..8 {
        match places.get(&id).and_then(|p| p.borrow().merged_into) {
            Some(next) => id = next,
            None => break,
        }
    }
    id
}

fn entry<'a>(
    map: &'a mut HashMap<PlaceId, Summary>,
    places: &HashMap<PlaceId, Place>,
    id: PlaceId,
) -> &'a mut Summary {
    map.entry(id).or_insert_with(|| match places.get(&id) {
        Some(place) => Summary::empty(place),
        None => Summary::empty(&Place {
            id,
            workspace: WorkspaceId(uuid::Uuid::nil()),
            name: "okänd plats".into(),
            kind: PlaceKind::Plats,
            area: None,
            lat: 0.0,
            lon: 0.0,
            retired: true,
            merged_into: None,
            outline: None,
        }),
    })
}

/// Most serious first: highest grade, then number of reports, then name.
fn rank(a: &Summary, b: &Summary) -> std::cmp::Ordering {
    b.highest
        .cmp(&a.highest)
        .then_with(|| b.reports.cmp(&a.reports))
        .then_with(|| {
            b.previous
                .iter()
                .sum::<u32>()
                .cmp(&a.previous.iter().sum::<u32>())
        })
        .then_with(|| a.name.cmp(&b.name))
}

/// What the lägesbild of a week is made from: the week's reports counted by place,
/// grade, category and organisation; the linked reports per place (linked reports of
/// one event count once); and the reports of the four weeks before, per place and week.
/// The store counts them (`Store::week_counts`); [`build`] does the rest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WeekCounts {
    pub current: Vec<CurrentCount>,
    pub linked: Vec<LinkedCount>,
    pub previous: Vec<PreviousCount>,
}

/// Reports of the week at a place with one grade, category and organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentCount {
    pub place: PlaceId,
    pub grade: Grade,
    pub category: String,
    pub organisation: OrganisationId,
    pub reports: u32,
}

/// The week's linked reports at a place, and how many distinct events they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedCount {
    pub place: PlaceId,
    pub linked: u32,
    pub events: u32,
}

/// Reports at a place in one of the weeks before, and the highest grade among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousCount {
    pub place: PlaceId,
    pub week: IsoWeek,
    pub reports: u32,
    pub highest: Grade,
}

/// The weeks a lägesbild of `week` compares with, most recent first.
pub fn previous_weeks(week: IsoWeek) -> [IsoWeek; TREND_WEEKS] {
    std::array::from_fn(|i| week.minus(i as i64 + 1))
}

/// The lägesbild of `week` from its counts: places (merged ones counted where they
/// went), rolled up into their areas, ranked most serious first. `complete` says
/// whether every report of these weeks is on the device.
pub fn build(
    workspace: WorkspaceId,
    week: IsoWeek,
    filter: &ObservationFilter,
    register: (&[Place], &[Organisation]),
    counts: &WeekCounts,
    complete: bool,
) -> Lagesbild {
    let previous_weeks = previous_weeks(week);
    let places: HashMap<PlaceId, Place> = register.0.iter().map(|p| (p.id, p.clone())).collect();
    let names: HashMap<OrganisationId, String> =
        register.1.iter().map(|o| (o.id, o.name.clone())).collect();
    let mut by_place: HashMap<PlaceId, Summary> = HashMap::new();
    for c in &counts.current {
        entry(&mut by_place, &places, resolve(&places, c.place)).add_current(
            c.grade,
            &c.category,
            c.organisation,
            c.reports,
        );
    }
    // An unlinked report is an event of its own, so a place's events are its reports
    // less its linked ones plus their distinct events.
    for l in &counts.linked {
        let summary = entry(&mut by_place, &places, resolve(&places, l.place));
        summary.events = summary.events.saturating_sub(l.linked - l.events);
    }
    for p in &counts.previous {
        if let Some(index) = previous_weeks.iter().position(|w| *w == p.week) {
            entry(&mut by_place, &places, resolve(&places, p.place))
                .add_previous(index, p.reports, p.highest);
        }
    }

    // Roll places up into their areas; an area's own reports count for it too.
    let mut by_area: HashMap<PlaceId, Summary> = HashMap::new();
    for summary in by_place.values() {
        let area = match summary.kind {
            PlaceKind::Omrade => Some(summary.place),
            PlaceKind::Plats => summary.area,
        };
        if let Some(area) = area {
            entry(&mut by_area, &places, area).absorb(summary);
        }
    }
    let finish = |map: HashMap<PlaceId, Summary>| {
        let mut list: Vec<Summary> = map.into_values().collect();
        list.iter_mut().for_each(|s| s.finish(&names));
        list.sort_by(rank);
        list
    };
    let places_list: Vec<Summary> = finish(by_place)
        .into_iter()
        .filter(|s| s.kind == PlaceKind::Plats)
        .collect();
    let areas = finish(by_area);
    let total_reports = areas.iter().map(|a| a.reports).sum::<u32>()
        + places_list
            .iter()
            .filter(|p| p.area.is_none())
            .map(|p| p.reports)
            .sum::<u32>();
    Lagesbild {
        workspace,
        week,
        previous_weeks,
        filter: filter.clone(),
        total_reports,
        places: places_list,
        areas,
        complete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_histograms() {
        assert_eq!(median(&[0, 0, 0, 0, 0]), None);
        assert_eq!(median(&[1, 0, 0, 0, 0]), Some(1.0));
        assert_eq!(median(&[1, 0, 1, 0, 0]), Some(2.0), "1 and 3 → 2");
        assert_eq!(median(&[2, 0, 0, 0, 1]), Some(1.0));
        assert_eq!(median(&[0, 2, 0, 0, 2]), Some(3.5));
    }

    #[test]
    fn trend_compares_with_the_previous_average() {
        assert_eq!(Trend::between(3, &[0, 0, 0, 0]), Trend::New);
        assert_eq!(Trend::between(6, &[4, 4, 4, 4]), Trend::Rising);
        assert_eq!(Trend::between(4, &[4, 3, 5, 4]), Trend::Steady);
        assert_eq!(Trend::between(0, &[1, 1, 1, 1]), Trend::Falling);
        assert_eq!(
            Trend::between(1, &[1, 0, 0, 0]),
            Trend::Steady,
            "small numbers need a whole report's difference"
        );
    }
}
